// Turns now.gg's verifyPurchase answer into the store-agnostic VerifiedPurchase, refusing
// anything that is not a paid purchase of the claimed product for this app and environment.
import { FinishMode, ProductType, StoreEnvironment } from '../../../generated/prisma/enums.js';
import { PurchaseVerificationError } from '../../../platform/errors.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../../contract.js';
import { readNowggAccount, type NowggAccountSettings } from './account.js';
import { majorToMinorUnits } from './amount.js';
import {
  createNowggClient,
  nowggPurchaseTypes,
  serverConsumableTypes,
  toBoolean,
  toInteger,
  type NowggClient,
  type NowggPurchaseData,
  type NowggPurchaseType,
} from './client.js';

/** What the game client sends ZeroDrop after a now.gg SDK purchase. */
export interface NowggPurchaseClaim {
  purchaseToken: string;
  productId: string;
  currency?: string | null | undefined;
  /** nowgg (default) | xiaomi | onestore | amazon | huawei, any letter case. */
  type?: string | null | undefined;
  /** Sent with consumePurchase (now.gg accepts it for multistore); defaults to the purchase's own. */
  developerPayload?: string | null | undefined;
}

/** What the client (or our worker) passes to now.gg to consume this purchase. */
export interface NowggFinishParams extends Record<string, unknown> {
  type: NowggPurchaseType;
  purchaseToken: string;
  productId: string;
}

/**
 * Key under which we keep the verified purchase type in VerifiedPurchase.payload, beside
 * now.gg's own fields: the acknowledgement worker only sees the payload and needs the type
 * to address the right multistore partner.
 */
export const PURCHASE_TYPE_PAYLOAD_KEY = 'purchaseType';

/**
 * Key under which we keep the developerPayload the client asked us to consume with, beside
 * now.gg's own `developerPayload` (what the purchase carried), which stays as now.gg sent it.
 */
export const CONSUME_DEVELOPER_PAYLOAD_KEY = 'consumeDeveloperPayload';

const PURCHASED = 0;

export function parseNowggPurchaseType(raw: string | null | undefined): NowggPurchaseType {
  if (raw == null || raw === '') return 'nowgg';
  const type = nowggPurchaseTypes.find((candidate) => candidate === raw.toLowerCase());
  if (!type) {
    throw new PurchaseVerificationError(
      'MALFORMED_PURCHASE',
      `now.gg purchase type "${raw}" is not one of ${nowggPurchaseTypes.join(', ')}`,
    );
  }
  return type;
}

/** Asks now.gg about the claimed purchase and returns it verified. */
export async function verifyNowggPurchase(
  account: StoreAccountConfig,
  claim: NowggPurchaseClaim,
  client: NowggClient = createNowggClient(account),
): Promise<VerifiedPurchase> {
  const type = parseNowggPurchaseType(claim.type);
  const data = await client.verifyPurchase({
    purchaseToken: claim.purchaseToken,
    productId: claim.productId,
    currency: claim.currency,
    type,
  });
  return toVerifiedPurchase(account, claim, data);
}

/** Pure mapping and checks of a verifyPurchase answer; throws PurchaseVerificationError. */
export function toVerifiedPurchase(
  account: StoreAccountConfig,
  claim: NowggPurchaseClaim,
  data: NowggPurchaseData,
): VerifiedPurchase {
  const { settings } = readNowggAccount(account);
  const type = parseNowggPurchaseType(claim.type);

  const environment = toBoolean(data.isTestOrder) ? StoreEnvironment.SANDBOX : StoreEnvironment.PRODUCTION;
  if (environment !== account.environment) {
    throw new PurchaseVerificationError(
      'WRONG_ENVIRONMENT',
      `now.gg says order ${data.orderId} is a ${environment} order but store account ${account.id} is ${account.environment}`,
    );
  }
  assertSameApplication(settings, data, `order ${data.orderId}`);
  if (toInteger(data.purchaseState) !== PURCHASED) {
    throw new PurchaseVerificationError(
      'PURCHASE_NOT_PAID',
      `now.gg order ${data.orderId} has purchaseState ${data.purchaseState}, not 0 (purchased)`,
    );
  }
  if (data.productId !== claim.productId) {
    throw new PurchaseVerificationError(
      'WRONG_PRODUCT',
      `now.gg order ${data.orderId} is for product "${data.productId}", not the claimed "${claim.productId}"`,
    );
  }

  const finishParams: NowggFinishParams = { type, purchaseToken: claim.purchaseToken, productId: data.productId };
  return {
    storeOrderId: data.orderId,
    storeProductId: data.productId,
    productType: isSubscription(data) ? ProductType.AUTO_RENEWABLE : null,
    quantity: 1,
    amountMinor: amountInMinorUnits(data),
    currency: data.currency ?? null,
    purchaseToken: claim.purchaseToken,
    purchasedAt: purchaseTime(data),
    expiresAt: data.expiryTime == null ? null : new Date(toInteger(data.expiryTime)),
    environment,
    revocation: null,
    finishMode: serverConsumableTypes.has(type) ? FinishMode.SERVER : FinishMode.CLIENT,
    finishParams,
    payload: {
      ...data,
      [PURCHASE_TYPE_PAYLOAD_KEY]: type,
      ...(claim.developerPayload ? { [CONSUME_DEVELOPER_PAYLOAD_KEY]: claim.developerPayload } : {}),
    },
  };
}

/**
 * Refuses proofs for another app when the account pins appId and/or packageName.
 * `whenUnreported: 'allow'` skips a pinned field the proof does not carry at all (webhooks
 * carry packageName but no appId, and are already tied to the app by its Webhook API Key).
 */
export function assertSameApplication(
  settings: NowggAccountSettings,
  reported: { appId?: string | number | null | undefined; packageName?: string | null | undefined },
  subject: string,
  whenUnreported: 'reject' | 'allow' = 'reject',
): void {
  const pins = [
    { field: 'appId', expected: settings.appId, actual: reported.appId == null ? null : String(reported.appId) },
    { field: 'packageName', expected: settings.packageName, actual: reported.packageName ?? null },
  ];
  for (const { field, expected, actual } of pins) {
    if (expected == null || actual === expected) continue;
    if (actual === null && whenUnreported === 'allow') continue;
    throw new PurchaseVerificationError(
      'WRONG_APPLICATION',
      `now.gg ${subject} belongs to ${field} "${actual ?? '(none)'}", not this account's "${expected}"`,
    );
  }
}

// now.gg mirrors Google Play's "kind" (nowgg#productPurchase); a subscription kind is the
// only product-type hint the store gives. One-time products stay null: the core's own
// Product decides consumable vs non-consumable.
function isSubscription(data: NowggPurchaseData): boolean {
  return data.kind != null && data.kind.toLowerCase().includes('subscription');
}

function purchaseTime(data: NowggPurchaseData): Date {
  const millis = data.purchaseTime ?? data.purchaseTimeMillis;
  if (millis == null) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `now.gg order ${data.orderId} has no purchaseTime`);
  }
  return new Date(toInteger(millis));
}

function amountInMinorUnits(data: NowggPurchaseData): bigint | null {
  if (data.orderAmount == null || data.orderAmount === '' || !data.currency) return null;
  try {
    return majorToMinorUnits(data.orderAmount, data.currency);
  } catch (error) {
    throw new PurchaseVerificationError(
      'MALFORMED_PURCHASE',
      `now.gg order ${data.orderId} has an unusable amount: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

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

/**
 * Pure mapping and checks of a verifyPurchase answer; throws PurchaseVerificationError.
 * Order matters: the answer must first show a purchase of this app, in this environment,
 * that is paid; only then may a product the store does not name be taken from the claim.
 */
export function toVerifiedPurchase(
  account: StoreAccountConfig,
  claim: NowggPurchaseClaim,
  data: NowggPurchaseData,
  now: Date = new Date(),
): VerifiedPurchase {
  const { settings } = readNowggAccount(account);
  const type = parseNowggPurchaseType(claim.type);
  const subject = `now.gg order ${data.orderId}`;

  const environment = reportedEnvironment(settings, data, subject);
  if (environment !== account.environment) {
    throw new PurchaseVerificationError(
      'WRONG_ENVIRONMENT',
      `now.gg says order ${data.orderId} is a ${environment} order but store account ${account.id} is ${account.environment}`,
    );
  }
  assertSameApplication(settings, data, `order ${data.orderId}`);
  assertPaid(data, subject);
  const productId = purchasedProduct(data, claim, subject);
  const purchasedAt = purchaseTime(data, subject, now);
  const expiresAt = data.expiryTime == null ? null : storeInstant(data.expiryTime, 'expiryTime', subject, null);

  const finishParams: NowggFinishParams = { type, purchaseToken: claim.purchaseToken, productId };
  return {
    storeOrderId: data.orderId,
    storeProductId: productId,
    productType: isSubscription(data) ? ProductType.AUTO_RENEWABLE : null,
    quantity: 1,
    amountMinor: amountInMinorUnits(data),
    currency: data.currency ?? null,
    purchaseToken: claim.purchaseToken,
    purchasedAt,
    expiresAt,
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

function reportedEnvironment(settings: NowggAccountSettings, data: NowggPurchaseData, subject: string): StoreEnvironment {
  if (data.isTestOrder != null) return toBoolean(data.isTestOrder) ? StoreEnvironment.SANDBOX : StoreEnvironment.PRODUCTION;
  if (settings.environmentWhenUnreported) return settings.environmentWhenUnreported;
  throw new PurchaseVerificationError(
    'MALFORMED_PURCHASE',
    `${subject} does not say whether it is a test order (no isTestOrder); set environmentWhenUnreported on the store account to accept such answers`,
  );
}

type PaidReading = 'PAID' | 'UNPAID' | 'UNKNOWN';

// The pay-status vocabulary of the store's samples ("Paid", "Unpaid"); case and spaces ignored.
function readPayStatus(value: string | number): PaidReading {
  const text = String(value).trim().toLowerCase();
  if (text === 'paid') return 'PAID';
  if (text === 'unpaid') return 'UNPAID';
  return 'UNKNOWN';
}

/**
 * Every paid-state field present must say paid. Any that says unpaid makes the purchase
 * unpaid, even when another says paid (the store's documentation has a sample with
 * purchaseState 0 and payStatusTxt "Unpaid"): granting an unpaid order is the worse
 * mistake, and the client can submit again once the store reports it paid. A value we
 * cannot read is ambiguous; no paid-state field at all is malformed.
 */
function assertPaid(data: NowggPurchaseData, subject: string): void {
  const readings: { field: string; value: string; reading: PaidReading }[] = [];
  if (data.purchaseState != null) {
    readings.push({
      field: 'purchaseState',
      value: String(data.purchaseState),
      reading: toInteger(data.purchaseState) === PURCHASED ? 'PAID' : 'UNPAID',
    });
  }
  if (data.payStatusTxt != null) {
    readings.push({ field: 'payStatusTxt', value: data.payStatusTxt, reading: readPayStatus(data.payStatusTxt) });
  }
  if (data.payStatus != null) {
    readings.push({ field: 'payStatus', value: String(data.payStatus), reading: readPayStatus(data.payStatus) });
  }
  const describe = (list: typeof readings) => list.map((r) => `${r.field} ${JSON.stringify(r.value)}`).join(', ');
  if (readings.length === 0) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `${subject} has no payment state (purchaseState, payStatusTxt or payStatus)`);
  }
  const unpaid = readings.filter((r) => r.reading === 'UNPAID');
  if (unpaid.length > 0) {
    throw new PurchaseVerificationError('PURCHASE_NOT_PAID', `${subject} is not paid: ${describe(unpaid)} (answer: ${describe(readings)})`);
  }
  const unknown = readings.filter((r) => r.reading === 'UNKNOWN');
  if (unknown.length > 0) {
    throw new PurchaseVerificationError('AMBIGUOUS_PURCHASE', `${subject} has a payment state ZeroDrop cannot read: ${describe(unknown)}`);
  }
}

/**
 * The product the store names (productId, or sellerGoodsId in older answers). When it names
 * none, the claimed product is used: this runs after the store has answered our own API
 * key for this token with a paid purchase of this app, so the token is genuine; see
 * "Open points" in docs/nowgg.md for what that leaves to trust.
 */
function purchasedProduct(data: NowggPurchaseData, claim: NowggPurchaseClaim, subject: string): string {
  const named = [
    { field: 'productId', value: data.productId },
    { field: 'sellerGoodsId', value: data.sellerGoodsId == null ? null : String(data.sellerGoodsId) },
  ].filter((entry): entry is { field: string; value: string } => entry.value != null && entry.value !== '');
  const distinct = new Set(named.map((entry) => entry.value));
  if (distinct.size > 1) {
    throw new PurchaseVerificationError(
      'AMBIGUOUS_PURCHASE',
      `${subject} names two products: ${named.map((e) => `${e.field} "${e.value}"`).join(' and ')}`,
    );
  }
  const reported = named[0]?.value;
  if (reported === undefined) return claim.productId;
  if (reported !== claim.productId) {
    throw new PurchaseVerificationError(
      'WRONG_PRODUCT',
      `${subject} is for product "${reported}", not the claimed "${claim.productId}"`,
    );
  }
  return reported;
}

// Epoch values from the store are seconds in some samples and milliseconds in others. The
// two ranges are told apart by magnitude: from 2010 to the year 5138, seconds stay below
// 1e11 and milliseconds above 1.26e12. Anything else is refused rather than guessed.
const EARLIEST = Date.UTC(2010, 0, 1);
const LATEST = Date.UTC(5000, 0, 1);
const CLOCK_SKEW_MS = 86_400_000;

function storeInstant(raw: number | string, field: string, subject: string, notAfter: Date | null): Date {
  const value = toInteger(raw);
  const millis = !Number.isSafeInteger(value)
    ? Number.NaN
    : value >= EARLIEST / 1000 && value < LATEST / 1000
      ? value * 1000
      : value >= EARLIEST && value < LATEST
        ? value
        : Number.NaN;
  if (Number.isNaN(millis) || (notAfter && millis > notAfter.getTime())) {
    throw new PurchaseVerificationError(
      'MALFORMED_PURCHASE',
      `${subject} has an impossible ${field} ${JSON.stringify(raw)} (neither epoch seconds nor milliseconds of a plausible date)`,
    );
  }
  return new Date(millis);
}

/**
 * purchaseTime, else the deprecated purchaseTimeMillis, else payTime. When purchaseTime and
 * purchaseTimeMillis are both given they must name the same second (one of the store's
 * samples gives the one in seconds and the other in milliseconds).
 */
function purchaseTime(data: NowggPurchaseData, subject: string, now: Date): Date {
  const notAfter = new Date(now.getTime() + CLOCK_SKEW_MS);
  const candidates = (['purchaseTime', 'purchaseTimeMillis', 'payTime'] as const)
    .filter((field) => data[field] != null && data[field] !== '')
    .map((field) => ({ field, at: storeInstant(data[field]!, field, subject, notAfter) }));
  const [first, second] = candidates;
  if (!first) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `${subject} has no purchaseTime`);
  }
  if (second && second.field === 'purchaseTimeMillis' && Math.abs(first.at.getTime() - second.at.getTime()) >= 1000) {
    throw new PurchaseVerificationError(
      'AMBIGUOUS_PURCHASE',
      `${subject} gives two purchase times: purchaseTime ${first.at.toISOString()} and purchaseTimeMillis ${second.at.toISOString()}`,
    );
  }
  return first.at;
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

// Turns what a HarmonyOS client submits (purchaseData or a bare jwsPurchaseOrder) into a
// VerifiedPurchase: JWS verification, payload decoding, account/environment checks.
import { end as durationEnd, parse as parseDuration } from 'iso8601-duration';
import { z } from 'zod';
import { PurchaseVerificationError } from '../../../platform/errors.js';
import type { FinishMode, ProductType, StoreEnvironment } from '../../../generated/prisma/enums.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../../contract.js';
import { verifyHuaweiJws, type VerifyHuaweiJwsOptions } from './jws.js';
import { huaweiTrustSetFor } from './roots.js';
import { readHuaweiAccount } from './settings.js';

export {
  huaweiAccountSecretsSchema,
  huaweiAccountSettingsSchema,
  type HuaweiAccountSecrets,
  type HuaweiAccountSettings,
} from './settings.js';

/** Huawei's productType codes (iap.ProductType), as carried in payloads and finishParams. */
export const HUAWEI_PRODUCT_TYPE_CODES = {
  CONSUMABLE: 0,
  NON_CONSUMABLE: 1,
  AUTO_RENEWABLE: 2,
  NON_RENEWING: 3,
} as const satisfies Partial<Record<ProductType, number>>;

export type HuaweiProductType = keyof typeof HUAWEI_PRODUCT_TYPE_CODES;

const PRODUCT_TYPE_BY_CODE = new Map<string, HuaweiProductType>(
  Object.entries(HUAWEI_PRODUCT_TYPE_CODES).map(([type, code]) => [String(code), type as HuaweiProductType]),
);

const REVOCATION_REASONS: Record<string, string> = { '0': 'OTHER', '1': 'USER_REFUND' };

/** Huawei's payload environment names, by our account environment. */
export const HUAWEI_ENVIRONMENT_NAMES: Record<StoreEnvironment, string> = { PRODUCTION: 'NORMAL', SANDBOX: 'SANDBOX' };

/** Huawei writes numbers as JSON numbers or numeric strings depending on API and version. */
const integerLike = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);
const stringLike = z.union([z.string().min(1), z.number()]).transform(String);

// Loose: Huawei adds fields over time; the whole decoded payload is kept on the order anyway.
const purchaseOrderPayloadSchema = z.looseObject({
  environment: z.string(),
  purchaseOrderId: z.string().min(1),
  purchaseToken: z.string().min(1),
  applicationId: stringLike,
  productId: z.string().min(1),
  productType: z
    .union([z.string(), z.number()])
    .transform((code, context) => {
      const productType = PRODUCT_TYPE_BY_CODE.get(String(code));
      if (productType !== undefined) return productType;
      context.addIssue({ code: 'custom', message: 'productType must be "0", "1", "2" or "3"' });
      return z.NEVER;
    }),
  quantity: integerLike.transform(Number).optional(),
  purchaseTime: integerLike.transform(Number),
  price: integerLike.transform((value) => BigInt(value)).optional(),
  currency: z.string().optional(),
  purchaseOrderRevocationReasonCode: z.union([z.string(), z.number()]).transform(String).optional(),
  revocationTime: integerLike.transform(Number).optional(),
  signedTime: integerLike.transform(Number).optional(),
});

export type HuaweiPurchaseOrderPayload = z.output<typeof purchaseOrderPayloadSchema>;

// Huawei documents no single expiry field on purchase orders; these are the names its
// subscription payloads use across API versions. The first present one wins.
const EXPIRY_FIELDS = ['expiresTime', 'expirationDate', 'expireTime', 'expiryTime'] as const;

/** What the client may submit: `purchaseData` (the JSON string from createPurchase/queryPurchases) or the bare JWS. */
export interface HuaweiPurchaseSubmission {
  purchaseData?: string | null;
  jwsPurchaseOrder?: string | null;
}

/** A client submission's signed proof: a purchase order, or (auto-renewable) a subscription status. */
export type HuaweiProof = { kind: 'ORDER'; jws: string } | { kind: 'SUBSCRIPTION'; jws: string };

function looksLikeCompactJws(text: string): boolean {
  return text.split('.').length === 3 && !text.trimStart().startsWith('{');
}

function proofFromPurchaseData(purchaseData: string): HuaweiProof {
  const trimmed = purchaseData.trim();
  if (looksLikeCompactJws(trimmed)) return { kind: 'ORDER', jws: trimmed };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'purchaseData is not JSON', { cause: error });
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  // PurchaseData carries jwsPurchaseOrder (types 0, 1, 3) or jwsSubscriptionStatus (type 2).
  const { jwsPurchaseOrder, jwsSubscriptionStatus } = record;
  if (typeof jwsPurchaseOrder === 'string' && jwsPurchaseOrder !== '') return { kind: 'ORDER', jws: jwsPurchaseOrder };
  if (typeof jwsSubscriptionStatus === 'string' && jwsSubscriptionStatus !== '') return { kind: 'SUBSCRIPTION', jws: jwsSubscriptionStatus };
  throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'purchaseData has no jwsPurchaseOrder or jwsSubscriptionStatus string');
}

/** The signed proof in a client submission: purchaseData (either kind) or a bare jwsPurchaseOrder. */
export function extractHuaweiProof(submission: HuaweiPurchaseSubmission): HuaweiProof {
  const fromPurchaseData = submission.purchaseData ? proofFromPurchaseData(submission.purchaseData) : null;
  const bare = submission.jwsPurchaseOrder?.trim() || null;
  if (fromPurchaseData !== null && bare !== null && (fromPurchaseData.kind !== 'ORDER' || fromPurchaseData.jws !== bare)) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'purchaseData and jwsPurchaseOrder describe different purchases');
  }
  const proof = fromPurchaseData ?? (bare === null ? null : ({ kind: 'ORDER', jws: bare } as const));
  if (proof === null) throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'Send purchaseData or jwsPurchaseOrder');
  return proof;
}

/** Extracts the purchase-order JWS from a client submission (subscriptions are refused here). */
export function extractJwsPurchaseOrder(submission: HuaweiPurchaseSubmission): string {
  const proof = extractHuaweiProof(submission);
  if (proof.kind !== 'ORDER') {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'purchaseData carries a subscription status, not a purchase order');
  }
  return proof.jws;
}

export function parsePurchaseOrderPayload(payload: Record<string, unknown>): HuaweiPurchaseOrderPayload {
  const parsed = purchaseOrderPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `Huawei purchase order payload: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Checks a payload's applicationId and environment (NORMAL ↔ PRODUCTION, SANDBOX ↔ SANDBOX) against the account. */
export function assertHuaweiAccountMatches(
  account: Pick<StoreAccountConfig, 'environment'>,
  expectedApplicationId: string,
  payload: { applicationId: string; environment: string },
): void {
  if (payload.applicationId !== expectedApplicationId) {
    throw new PurchaseVerificationError(
      'WRONG_APPLICATION',
      `Signed for Huawei app ${payload.applicationId}, but this store account is app ${expectedApplicationId}`,
    );
  }
  const expectedEnvironment = HUAWEI_ENVIRONMENT_NAMES[account.environment];
  if (payload.environment !== expectedEnvironment) {
    throw new PurchaseVerificationError(
      'WRONG_ENVIRONMENT',
      `Signed for Huawei environment ${payload.environment}, but this store account expects ${expectedEnvironment}`,
    );
  }
}

function subscriptionExpiry(payload: Record<string, unknown>): Date | null {
  for (const field of EXPIRY_FIELDS) {
    const parsed = integerLike.transform(Number).safeParse(payload[field]);
    if (parsed.success) return new Date(parsed.data);
  }
  return null;
}

/** Maps a verified, account-checked payload to the core's VerifiedPurchase. */
export function toVerifiedPurchase(
  account: StoreAccountConfig,
  order: HuaweiPurchaseOrderPayload,
  rawPayload: Record<string, unknown>,
  finishMode: FinishMode,
): VerifiedPurchase {
  const { productType } = order;
  const revocationCode = order.purchaseOrderRevocationReasonCode;
  const revoked = revocationCode !== undefined && revocationCode !== '';
  return {
    storeOrderId: order.purchaseOrderId,
    storeProductId: order.productId,
    productType,
    quantity: order.quantity ?? 1,
    amountMinor: order.price ?? null,
    currency: order.currency ?? null,
    purchaseToken: order.purchaseToken,
    purchasedAt: new Date(order.purchaseTime),
    expiresAt: productType === 'AUTO_RENEWABLE' || productType === 'NON_RENEWING' ? subscriptionExpiry(rawPayload) : null,
    subscription: null,
    environment: account.environment,
    revocation: revoked
      ? {
          at: new Date(order.revocationTime ?? order.signedTime ?? Date.now()),
          reason: REVOCATION_REASONS[revocationCode] ?? `HUAWEI_REVOCATION_${revocationCode}`,
        }
      : null,
    finishMode,
    finishParams: {
      productType: HUAWEI_PRODUCT_TYPE_CODES[productType],
      purchaseToken: order.purchaseToken,
      purchaseOrderId: order.purchaseOrderId,
    },
    payload: rawPayload,
  };
}

/** Verifies a purchase-order JWS (from a client or Huawei's status query) for this account. */
export async function verifyHuaweiPurchaseOrderJws(
  account: StoreAccountConfig,
  jwsPurchaseOrder: string,
  options: VerifyHuaweiJwsOptions = {},
): Promise<VerifiedPurchase> {
  const huaweiAccount = readHuaweiAccount(account);
  const { payload } = await verifyHuaweiJws(jwsPurchaseOrder, huaweiTrustSetFor(account), options);
  const order = parsePurchaseOrderPayload(payload);
  assertHuaweiAccountMatches(account, huaweiAccount.applicationId, order);
  return toVerifiedPurchase(account, order, payload, huaweiAccount.credentials === null ? 'CLIENT' : 'SERVER');
}

/**
 * Verifies what a client submitted after createPurchase / miniGamePay / queryPurchases.
 * A revoked order still verifies: `revocation` is set and the core records it without granting.
 */
export async function verifyHuaweiPurchase(
  account: StoreAccountConfig,
  submission: HuaweiPurchaseSubmission,
  options: VerifyHuaweiJwsOptions = {},
): Promise<VerifiedPurchase> {
  return verifyHuaweiPurchaseOrderJws(account, extractJwsPurchaseOrder(submission), options);
}

/**
 * How long a non-renewing (productType "3") order grants access, as Huawei states it on
 * the order: an explicit end (expiresTime and its aliases) or the ISO 8601 `duration`
 * counted from purchaseTime (calendar months and years included). Null when the order
 * says neither: then it is never granted without an end (the core keeps it waiting).
 */
export function huaweiNonRenewingDurationMs(payload: unknown): number | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const fields = payload as Record<string, unknown>;
  const purchaseTime = integerLike.transform(Number).safeParse(fields.purchaseTime);
  if (!purchaseTime.success) return null;
  const start = purchaseTime.data;
  const expiry = subscriptionExpiry(fields);
  if (expiry !== null && expiry.getTime() > start) return expiry.getTime() - start;
  if (typeof fields.duration === 'string' && fields.duration !== '') {
    try {
      const endsAt = durationEnd(parseDuration(fields.duration), new Date(start)).getTime();
      if (Number.isFinite(endsAt) && endsAt > start) return endsAt - start;
    } catch {
      return null; // not ISO 8601: treated as unstated
    }
  }
  return null;
}

/** Huawei product type of a stored payload (AckRequest.payload), for confirm routing. */
export function huaweiProductTypeOf(payload: Record<string, unknown>): HuaweiProductType | null {
  const code = payload.productType;
  return (typeof code === 'string' || typeof code === 'number' ? PRODUCT_TYPE_BY_CODE.get(String(code)) : undefined) ?? null;
}

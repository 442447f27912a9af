// Huawei auto-renewable subscriptions (productType "2"). The client's purchaseData carries
// jwsSubscriptionStatus and the server API answers jwsSubGroupStatus; both decode to
// SubGroupStatusPayload (IAP Kit data model): the subscription group, its
// lastSubscriptionStatus (subGroupGenerationId, status, expiresTime, lastPurchaseOrder,
// recentPurchaseOrderList, renewalInfo) and the recent history. Every purchase order in it
// (first purchase, each renewal) becomes its own VerifiedPurchase keyed to the
// subscription, so the core records each once and moves one entitlement.
import { z } from 'zod';
import { PurchaseVerificationError } from '../../../platform/errors.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../../contract.js';
import { verifyHuaweiJws, type VerifyHuaweiJwsOptions } from './jws.js';
import { assertHuaweiAccountMatches, parsePurchaseOrderPayload, toVerifiedPurchase } from './purchase.js';
import { huaweiTrustSetFor } from './roots.js';
import { readHuaweiAccount } from './settings.js';

/** SubscriptionStatus.status: 1 active, 2 expired, 3 billing retry (account hold), 5 revoked. */
export const HUAWEI_SUBSCRIPTION_STATUS = { ACTIVE: '1', EXPIRED: '2', BILLING_RETRY: '3', REVOKED: '5' } as const;

const millis = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(Number);
const text = z.union([z.string().min(1), z.number()]).transform(String);
const record = z.record(z.string(), z.unknown());

// Loose: Huawei adds fields over time; the decoded payload is kept on each order anyway.
const subscriptionStatusSchema = z.looseObject({
  subGroupGenerationId: text,
  subscriptionId: text.optional(),
  purchaseToken: z.string().min(1),
  status: text,
  expiresTime: millis,
  lastPurchaseOrder: record.optional(),
  recentPurchaseOrderList: z.array(record).optional(),
  renewalInfo: record.optional(),
});

const subGroupStatusSchema = z.looseObject({
  environment: z.string(),
  applicationId: text,
  packageName: z.string().optional(),
  subGroupId: text,
  lastSubscriptionStatus: subscriptionStatusSchema.optional(),
  historySubscriptionStatusList: z.array(z.unknown()).optional(),
});

export interface HuaweiSubscriptionState {
  subGroupGenerationId: string;
  subGroupId: string;
  subscriptionId: string | null;
  purchaseToken: string;
  /** HUAWEI_SUBSCRIPTION_STATUS code as Huawei sent it (unknown codes are kept, not guessed). */
  status: string;
  expiresAt: Date;
  /** The product of the latest purchase order (what the subscription is now). */
  productId: string | null;
  /** Every purchase order the status lists, oldest first; the last is lastPurchaseOrder. */
  orders: VerifiedPurchase[];
  /** The verified SubGroupStatusPayload, JSON-safe. */
  payload: Record<string, unknown>;
}

/** The key every order of one subscription shares (Huawei keeps subGroupGenerationId across product switches). */
export const huaweiSubscriptionKey = (subGroupGenerationId: string): string => subGroupGenerationId;

/**
 * Verifies a jwsSubscriptionStatus (client) or jwsSubGroupStatus (server API) for this
 * account and decodes it. Throws PurchaseVerificationError for anything malformed.
 */
export async function verifyHuaweiSubscriptionStatusJws(
  account: StoreAccountConfig,
  jws: string,
  options: VerifyHuaweiJwsOptions = {},
): Promise<HuaweiSubscriptionState> {
  const huaweiAccount = readHuaweiAccount(account);
  const { payload } = await verifyHuaweiJws(jws, huaweiTrustSetFor(account), options);
  const parsed = subGroupStatusSchema.safeParse(payload);
  if (!parsed.success) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `Huawei subscription status payload: ${z.prettifyError(parsed.error)}`);
  }
  const group = parsed.data;
  assertHuaweiAccountMatches(account, huaweiAccount.applicationId, group);
  const status = group.lastSubscriptionStatus;
  if (status === undefined) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'Huawei subscription status has no lastSubscriptionStatus');
  }
  const finishMode = huaweiAccount.credentials === null ? 'CLIENT' : 'SERVER';
  const key = huaweiSubscriptionKey(status.subGroupGenerationId);

  // lastPurchaseOrder plus the recent list (renewals, proration orders), each once.
  const rawOrders = new Map<string, Record<string, unknown>>();
  for (const order of [...(status.recentPurchaseOrderList ?? []), ...(status.lastPurchaseOrder ? [status.lastPurchaseOrder] : [])]) {
    const id = order.purchaseOrderId;
    if (typeof id === 'string' && id !== '') rawOrders.set(id, order);
  }
  const lastOrderId = typeof status.lastPurchaseOrder?.purchaseOrderId === 'string' ? status.lastPurchaseOrder.purchaseOrderId : null;
  const orders: VerifiedPurchase[] = [];
  for (const raw of rawOrders.values()) {
    // Orders nested in a status are signed with it; they inherit its app and environment
    // when they leave them out, and must not belong to another subscription.
    const full: Record<string, unknown> = { environment: group.environment, applicationId: group.applicationId, ...raw };
    const generation = full.subGroupGenerationId;
    if (generation !== undefined && String(generation) !== status.subGroupGenerationId) {
      throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'A purchase order in the subscription status belongs to another subscription');
    }
    const order = parsePurchaseOrderPayload(full);
    assertHuaweiAccountMatches(account, huaweiAccount.applicationId, order);
    // Delivered and finished at Huawei already (finishStatus "1"): nothing left to confirm.
    const verified = toVerifiedPurchase(account, order, full, full.finishStatus === '1' ? 'NONE' : finishMode);
    orders.push({
      ...verified,
      // Only the latest order's period end is stated (expiresTime); earlier ones keep theirs.
      expiresAt: order.purchaseOrderId === lastOrderId ? new Date(status.expiresTime) : null,
      subscription: { key },
    });
  }
  orders.sort((a, b) => a.purchasedAt.getTime() - b.purchasedAt.getTime() || (a.storeOrderId === lastOrderId ? 1 : 0));
  if (lastOrderId !== null && orders.at(-1)?.storeOrderId !== lastOrderId) {
    // lastPurchaseOrder is the latest by definition; keep it last whatever the clocks say.
    const index = orders.findIndex((order) => order.storeOrderId === lastOrderId);
    orders.push(...orders.splice(index, 1));
  }
  return {
    subGroupGenerationId: status.subGroupGenerationId,
    subGroupId: group.subGroupId,
    subscriptionId: status.subscriptionId ?? null,
    purchaseToken: status.purchaseToken,
    status: status.status,
    expiresAt: new Date(status.expiresTime),
    productId: orders.at(-1)?.storeProductId ?? null,
    orders,
    payload,
  };
}

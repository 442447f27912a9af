// Huawei HarmonyOS IAP flows: verify what the client sends (purchase orders and
// auto-renewable subscription statuses), record and grant through the fulfilment core,
// tell the client what to finish; notifications as triggers; reconciliation.
import type { Entitlement, Order } from '../../generated/prisma/client.js';
import type { TransactionClient } from '../../platform/db.js';
import { AppError, NotFoundError, PurchaseRevokedError, PurchaseVerificationError } from '../../platform/errors.js';
import { failpoint } from '../../platform/failpoints.js';
import { EventBuffer, OrderEventType } from '../../fulfilment/events.js';
import { OutboundGuard } from '../../platform/outbound-url.js';
import { rowId } from '../../services/validation.js';
import {
  extractHuaweiProof,
  huaweiNonRenewingDurationMs,
  HuaweiCrlChecker,
  queryOrderStatus,
  readHuaweiAccount,
  verifyHuaweiNotification,
  verifyHuaweiPurchaseOrderJws,
  querySubscriptionStatus,
  HUAWEI_SUBSCRIPTION_STATUS,
  huaweiSubscriptionKey,
  verifyHuaweiSubscriptionStatusJws,
  type HuaweiNotification,
  type HuaweiSubscriptionState,
} from './protocol/index.js';
import type { StoreAccountConfig, StoreDeps, VerifiedPurchase } from '../contract.js';
import type { StoreAccountsService } from '../../services/store-accounts.js';
import type { AccessDurationResolver } from '../../fulfilment/fulfilment.js';
import { HuaweiSweep } from './sweep.js';

export interface HuaweiSubmission {
  purchaseData?: string | null | undefined;
  jwsPurchaseOrder?: string | null | undefined;
}

export interface HuaweiDelivery {
  order: Order;
  newlyDelivered: boolean;
  /** The order's entitlements when recording read or wrote them (see RecordPurchaseResult). */
  entitlements?: Entitlement[];
}

export interface SyncItem {
  index: number;
  delivery: HuaweiDelivery | null;
  error: AppError | null;
}

export type NotificationOutcome = 'PROCESSED' | 'DUPLICATE';

/** Notification types Huawei documents for IAP v3 (key events and the refund review request). */
export const HUAWEI_NOTIFICATION_TYPES = [
  'DID_NEW_TRANSACTION',
  'DID_CHANGE_RENEWAL_STATUS',
  'REVOKE',
  'RENEWAL_TIME_MODIFIED',
  'EXPIRE',
  'SYNC',
  'REFUND_REQUEST',
  'TEST',
] as const;

/** An order a notification names: its own purchaseOrderId, or one listed inside its metadata (refunds). */
interface OrderReference {
  purchaseOrderId: string;
  purchaseToken: string | null;
}

/** What the store says about the orders a notification names, read before the transaction. */
type NotificationFacts =
  | { kind: 'SUBSCRIPTION'; state: HuaweiSubscriptionState }
  | { kind: 'ORDERS'; orders: { reference: OrderReference; current: VerifiedPurchase | null }[] }
  | { kind: 'SIGNED_ONLY'; references: OrderReference[] };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every order a notification's metadata names: `purchaseOrderId` itself, and order ids in
 * lists nested in it (refund notifications can carry several refunded orders). Huawei's
 * pages do not name the list field for every version, so any array of objects carrying
 * `purchaseOrderId`, or of strings under a key naming order ids, counts (depth ≤ 3).
 */
export function orderReferencesOf(metadata: Record<string, unknown>): OrderReference[] {
  const found = new Map<string, OrderReference>();
  const add = (id: unknown, token: unknown) => {
    if (typeof id !== 'string' || id === '') return;
    const purchaseToken = typeof token === 'string' && token !== '' ? token : null;
    const known = found.get(id);
    if (!known || (known.purchaseToken === null && purchaseToken !== null)) found.set(id, { purchaseOrderId: id, purchaseToken });
  };
  add(metadata.purchaseOrderId, metadata.purchaseToken);
  const walk = (value: unknown, key: string, depth: number) => {
    if (depth > 3) return;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (isRecord(item)) {
          add(item.purchaseOrderId ?? item.orderId, item.purchaseToken ?? metadata.purchaseToken);
          walk(item, key, depth + 1);
        } else if (typeof item === 'string' && /order.?id/i.test(key)) {
          add(item, metadata.purchaseToken);
        }
      }
    } else if (isRecord(value)) {
      for (const [childKey, child] of Object.entries(value)) {
        if (Array.isArray(child) || isRecord(child)) walk(child, childKey, depth + 1);
      }
    }
  };
  walk(metadata, '', 0);
  return [...found.values()];
}

/**
 * Non-renewing products (productType "3") last as long as Huawei's order says; one that
 * says nothing waits (AWAITING_PRODUCT) rather than being granted without an end.
 */
export const huaweiAccessDuration: AccessDurationResolver = (product, verifiedPayload) => {
  if (product.type !== 'NON_RENEWING') return { accessDurationMs: null };
  const accessDurationMs = huaweiNonRenewingDurationMs(verifiedPayload);
  return accessDurationMs === null ? null : { accessDurationMs };
};

/** Most redirects a CRL download follows; each hop is checked by the guard again. */
const CRL_MAX_REDIRECTS = 3;

/**
 * A CRL download through the outbound guard. The guard never follows redirects (a public
 * URL could bounce to an internal one); a CRL host may redirect (e.g. to its CDN), so each
 * Location is followed here and goes through the guard's checks like the first URL.
 */
async function fetchCrlThrough(guard: OutboundGuard, url: string, init: { signal: AbortSignal }): Promise<Response> {
  let target = url;
  for (let hop = 0; ; hop++) {
    const response = await guard.fetchFunction(target, init);
    const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
    if (!location || hop === CRL_MAX_REDIRECTS) return response;
    await response.body?.cancel();
    target = new URL(location, target).toString();
  }
}

export function createHuaweiService(deps: StoreDeps, storeAccounts: StoreAccountsService = deps.storeAccounts) {
  const { fulfilment, prisma } = deps;
  const timeoutMs = deps.env.STORE_HTTP_TIMEOUT_MS;
  // One CRL cache for every account of this instance. CRL URLs come from certificates that
  // chain to a trusted root (Huawei's, or a sandbox account's own test root — tenant-chosen,
  // so its CRL URLs are too): downloads go through the outbound guard, internal addresses
  // refused at check and connect time. Plain http stays allowed even in production: CRLs are
  // signed data that RFC 5280 publishes over http, and Huawei's CRL URLs are http.
  const crlOutbound = new OutboundGuard({ allowPrivate: deps.env.OUTBOUND_ALLOW_PRIVATE, requireHttps: false });
  const crlChecker = new HuaweiCrlChecker({
    policy: deps.env.HUAWEI_CRL_POLICY,
    timeoutMs: deps.env.HUAWEI_CRL_TIMEOUT_MS,
    fetch: (url, init) => fetchCrlThrough(crlOutbound, url, init),
    onUnavailable: (event) =>
      deps.logger.warn({ ...event }, event.policy === 'soft-fail' ? 'Huawei CRL unavailable; accepted (soft-fail)' : 'Huawei CRL unavailable; refused'),
  });

  const hasCredentials = (account: StoreAccountConfig) => readHuaweiAccount(account).credentials !== null;

  /** Records what a verified subscription status says, for the player who bought it. */
  async function deliverSubscription(account: StoreAccountConfig, playerId: string, state: HuaweiSubscriptionState): Promise<HuaweiDelivery> {
    if (state.orders.length === 0) {
      throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'Huawei subscription status lists no purchase order');
    }
    const result = await fulfilment.recordSubscription({
      account,
      playerId,
      key: huaweiSubscriptionKey(state.subGroupGenerationId),
      orders: state.orders,
      revocation: subscriptionRevocation(state),
    });
    failpoint('after-commit-before-answer');
    const latest = result.orders.at(-1)!;
    // A refunded renewal leaves the subscription running on the orders still paid for.
    if (result.entitlement?.revokedAt || (!result.entitlement && latest.order.status === 'REVOKED')) {
      throw new PurchaseRevokedError(
        `Huawei revoked this subscription (${latest.order.revocationReason ?? 'status 5'}); it was recorded and not granted`,
        latest.order.id,
      );
    }
    const entitlements = result.entitlement && result.entitlement.orderId === latest.order.id ? [result.entitlement] : undefined;
    return { order: latest.order, newlyDelivered: result.newlyDelivered, ...(entitlements ? { entitlements } : {}) };
  }

  /** Verifies, records and grants one purchase. A revoked purchase is recorded, then refused. */
  async function deliver(account: StoreAccountConfig, playerId: string, submission: HuaweiSubmission): Promise<HuaweiDelivery> {
    const proof = extractHuaweiProof({ purchaseData: submission.purchaseData ?? null, jwsPurchaseOrder: submission.jwsPurchaseOrder ?? null });
    if (proof.kind === 'SUBSCRIPTION') {
      return deliverSubscription(account, playerId, await verifyHuaweiSubscriptionStatusJws(account, proof.jws, { revocation: crlChecker }));
    }
    const purchase = await verifyHuaweiPurchaseOrderJws(account, proof.jws, { revocation: crlChecker });
    if (purchase.productType === 'AUTO_RENEWABLE') {
      // A bare subscription order says nothing about the period it pays for: its state
      // comes from the subscription status (query it when we can).
      if (!hasCredentials(account) || !purchase.purchaseToken) {
        throw new PurchaseVerificationError(
          'MALFORMED_PURCHASE',
          'Auto-renewable purchases are proven by purchaseData with jwsSubscriptionStatus (or server credentials to query it)',
        );
      }
      const state = await querySubscriptionStatus(account, { purchaseOrderId: purchase.storeOrderId, purchaseToken: purchase.purchaseToken }, { timeoutMs, revocation: crlChecker });
      return deliverSubscription(account, playerId, state);
    }
    const result = await fulfilment.recordPurchase({ account, playerId, purchase });
    failpoint('after-commit-before-answer');
    if (result.order.status === 'REVOKED') {
      throw new PurchaseRevokedError(
        `Huawei revoked this purchase (${result.order.revocationReason ?? 'no reason given'}); it was recorded and not granted`,
        result.order.id,
      );
    }
    return result;
  }

  /** Reads what Huawei says now about the orders a notification names (with credentials). */
  async function factsFor(account: StoreAccountConfig, notification: HuaweiNotification): Promise<NotificationFacts> {
    const metadata = notification.metadata;
    const references = orderReferencesOf(metadata.raw);
    if (!hasCredentials(account)) return { kind: 'SIGNED_ONLY', references };
    const subscription = metadata.type === '2' || typeof metadata.raw.subGroupGenerationId === 'string';
    if (subscription && metadata.purchaseOrderId && metadata.purchaseToken) {
      const state = await querySubscriptionStatus(
        account,
        { purchaseOrderId: metadata.purchaseOrderId, purchaseToken: metadata.purchaseToken },
        { timeoutMs, revocation: crlChecker },
      );
      return { kind: 'SUBSCRIPTION', state };
    }
    const orders: { reference: OrderReference; current: VerifiedPurchase | null }[] = [];
    for (const reference of references) {
      const purchaseToken = reference.purchaseToken ?? (await storedPurchaseToken(account.id, reference.purchaseOrderId));
      if (purchaseToken === null) {
        orders.push({ reference, current: null }); // unknown to us and to the query: nothing to decide on
        continue;
      }
      const stored = await prisma.order.findUnique({
        where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: reference.purchaseOrderId } },
        select: { subscriptionKey: true, purchaseToken: true },
      });
      if (stored?.subscriptionKey) {
        // An order of a subscription: Huawei's subscription query decides (the order query does not cover it).
        const state = await querySubscriptionStatus(account, { purchaseOrderId: reference.purchaseOrderId, purchaseToken }, { timeoutMs, revocation: crlChecker });
        return { kind: 'SUBSCRIPTION', state };
      }
      orders.push({ reference, current: await queryOrderStatus(account, { purchaseOrderId: reference.purchaseOrderId, purchaseToken }, { timeoutMs, revocation: crlChecker }) });
    }
    return { kind: 'ORDERS', orders };
  }

  async function storedPurchaseToken(storeAccountId: string, storeOrderId: string): Promise<string | null> {
    const order = await prisma.order.findUnique({
      where: { storeAccountId_storeOrderId: { storeAccountId, storeOrderId } },
      select: { purchaseToken: true },
    });
    return order?.purchaseToken ?? null;
  }

  /** Applies a subscription state inside a transaction; returns whether anything changed. */
  async function applySubscriptionState(
    tx: TransactionClient,
    events: EventBuffer,
    account: StoreAccountConfig,
    state: HuaweiSubscriptionState,
  ): Promise<boolean> {
    const key = huaweiSubscriptionKey(state.subGroupGenerationId);
    const owner = await ownerInTx(tx, account, key);
    const before = events.events.length;
    if (owner === null) {
      // Not submitted yet: the client's next sync delivers it. Refunds meanwhile are
      // remembered so that submission records those orders revoked.
      for (const order of state.orders) {
        if (!order.revocation) continue;
        await fulfilment.lockStoreOrder(tx, account.id, order.storeOrderId);
        await fulfilment.recordRevocationNotice(tx, account.id, order.storeOrderId, order.revocation);
      }
      return false;
    }
    await fulfilment.recordSubscriptionInTransaction(tx, events, {
      account,
      playerId: owner,
      key,
      orders: state.orders,
      revocation: subscriptionRevocation(state),
    });
    return events.events.length > before;
  }

  async function ownerInTx(tx: TransactionClient, account: StoreAccountConfig, key: string): Promise<string | null> {
    const order = await tx.order.findFirst({
      where: { storeAccountId: account.id, subscriptionKey: key },
      orderBy: { seq: 'asc' },
      select: { playerId: true },
    });
    return order?.playerId ?? null;
  }

  /** Applies one order's verified state (or the signed revocation) inside a transaction. */
  async function applyOrderState(
    tx: TransactionClient,
    events: EventBuffer,
    account: StoreAccountConfig,
    purchaseOrderId: string,
    revocation: { at: Date; reason: string } | null,
  ): Promise<boolean> {
    // Serializes with a submission of the same purchase: one of us sees the other.
    await fulfilment.lockStoreOrder(tx, account.id, purchaseOrderId);
    const order = await tx.order.findUnique({
      where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: purchaseOrderId } },
    });
    if (!revocation) return false;
    if (!order) {
      await fulfilment.recordRevocationNotice(tx, account.id, purchaseOrderId, revocation);
      return false;
    }
    if (order.status === 'REVOKED') return false;
    await fulfilment.revokeInTransaction(tx, events, order, revocation);
    return true;
  }

  async function recordNotificationEvent(
    tx: TransactionClient,
    events: EventBuffer,
    account: StoreAccountConfig,
    notification: HuaweiNotification,
    outcome: string,
  ): Promise<void> {
    const purchaseOrderId = notification.metadata.purchaseOrderId;
    const order = purchaseOrderId
      ? await tx.order.findUnique({
          where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: purchaseOrderId } },
          select: { id: true, playerId: true },
        })
      : null;
    await events.append(tx, {
      appId: account.appId,
      orderId: order?.id ?? null,
      playerId: order?.playerId ?? null,
      type: OrderEventType.NOTIFICATION_RECORDED,
      data: {
        store: 'HUAWEI',
        storeAccountId: account.id,
        notificationType: notification.notificationType,
        notificationSubtype: notification.notificationSubtype,
        notificationRequestId: notification.notificationRequestId,
        purchaseOrderId: purchaseOrderId ?? null,
        outcome,
      },
    });
  }

  const flows = {
    /** finishPurchase: after createPurchase / miniGamePay succeeded on the client. */
    async finishPurchase(appId: string, playerId: string, submission: HuaweiSubmission, storeAccountId?: string | null) {
      const account = await storeAccounts.resolve(appId, 'HUAWEI', storeAccountId);
      return deliver(account, playerId, submission);
    },

    /**
     * syncPurchases: what the client reads at every app start from queryPurchases
     * (UNFINISHED, CURRENT_ENTITLEMENT, and subscriptions). Each item succeeds or fails on its own.
     */
    async syncPurchases(appId: string, playerId: string, purchaseDataList: string[], storeAccountId?: string | null): Promise<SyncItem[]> {
      const account = await storeAccounts.resolve(appId, 'HUAWEI', storeAccountId);
      const items: SyncItem[] = [];
      for (const [index, purchaseData] of purchaseDataList.entries()) {
        try {
          items.push({ index, delivery: await deliver(account, playerId, { purchaseData }), error: null });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          items.push({ index, delivery: null, error: err });
        }
      }
      return items;
    },

    /**
     * Notifications v3, every type: verified, then treated as a trigger. With server
     * credentials Huawei's status query decides what changes (subscription query for
     * auto-renewable products, order query otherwise) — a notification never changes
     * anything against it. Without credentials only a signed REVOKE acts (on every order
     * it names); the rest is recorded for the client's next sync. Durable before the 200.
     */
    async handleNotification(storeAccountId: string, body: string): Promise<NotificationOutcome> {
      const account = await storeAccounts.configById(storeAccountId);
      if (!account || account.store !== 'HUAWEI') throw new NotificationAccountError();
      const notification = await verifyHuaweiNotification(account, body, { revocation: crlChecker });
      const facts = await factsFor(account, notification);
      const known = (HUAWEI_NOTIFICATION_TYPES as readonly string[]).includes(notification.notificationType);
      const claimsRevocation = notification.notificationType === 'REVOKE';
      const processed = await fulfilment.processNotification(
        {
          storeAccountId: account.id,
          externalId: notification.notificationRequestId,
          type: [notification.notificationType, notification.notificationSubtype].filter(Boolean).join('/'),
          payload: notification.payload,
        },
        async (tx, events) => {
          let changed = false;
          if (facts.kind === 'SUBSCRIPTION') {
            changed = await applySubscriptionState(tx, events, account, facts.state);
          } else if (facts.kind === 'ORDERS') {
            for (const { reference, current } of facts.orders) {
              if (current) changed = (await applyOrderState(tx, events, account, reference.purchaseOrderId, current.revocation)) || changed;
            }
          } else if (claimsRevocation) {
            const at = notification.signedAt ?? new Date();
            const reason = notification.notificationSubtype ?? 'REVOKE';
            for (const reference of facts.references) {
              changed = (await applyOrderState(tx, events, account, reference.purchaseOrderId, { at, reason })) || changed;
            }
          }
          if (changed) return;
          const outcome = !known
            ? 'UNKNOWN_TYPE'
            : notification.notificationType === 'REFUND_REQUEST'
              ? 'REFUND_REQUESTED'
              : claimsRevocation && facts.kind !== 'SIGNED_ONLY'
                ? 'CONTRADICTED_BY_STATUS_QUERY'
                : 'NO_CHANGE';
          await recordNotificationEvent(tx, events, account, notification, outcome);
        },
      );
      return processed ? 'PROCESSED' : 'DUPLICATE';
    },

    /** Reconciliation: re-reads an order (or its subscription) from Huawei and applies what changed. */
    async reconcileOrder(appId: string, orderId: string): Promise<Order> {
      const order = await prisma.order.findFirst({ where: { id: rowId(orderId), appId, store: 'HUAWEI' } });
      if (!order) throw new NotFoundError('Huawei order');
      const account = await storeAccounts.config(appId, order.storeAccountId);
      await reconcile(account, order);
      return prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    },

    /** Sweep step: re-reads one delivered order or subscription; returns what changed. */
    reconcile,
  };
  /** The reconciliation sweep (a periodic task on the shared worker). */
  const sweep = new HuaweiSweep({ env: deps.env, prisma, fulfilment, logger: deps.logger, storeAccounts, reconcile });
  return { ...flows, sweep };

  /**
   * Re-reads one order from Huawei (the subscription query for subscription orders) and
   * applies it. Returns 'REVOKED' / 'CHANGED' / 'UNCHANGED'.
   */
  async function reconcile(account: StoreAccountConfig, order: Order): Promise<'REVOKED' | 'CHANGED' | 'UNCHANGED'> {
    if (!order.purchaseToken) return 'UNCHANGED';
    const reference = { purchaseOrderId: order.storeOrderId, purchaseToken: order.purchaseToken };
    if (order.subscriptionKey !== null) {
      const state = await querySubscriptionStatus(account, reference, { timeoutMs, revocation: crlChecker });
      const events = await fulfilment.transaction(async (tx, buffer) => {
        await applySubscriptionState(tx, buffer, account, state);
        return buffer.events;
      });
      return events.some((event) => event.type === OrderEventType.ORDER_REVOKED)
        ? 'REVOKED'
        : events.length > 0
          ? 'CHANGED'
          : 'UNCHANGED';
    }
    const current = await queryOrderStatus(account, reference, { timeoutMs, revocation: crlChecker });
    if (current.revocation && order.status !== 'REVOKED') {
      await fulfilment.revokeOrder(order.id, current.revocation);
      return 'REVOKED';
    }
    return 'UNCHANGED';
  }
}

/** A whole-subscription revocation (status 5): the entitlement is withdrawn. */
function subscriptionRevocation(state: HuaweiSubscriptionState): { at: Date; reason: string } | null {
  if (state.status !== HUAWEI_SUBSCRIPTION_STATUS.REVOKED) return null;
  const latest = state.orders.at(-1);
  return { at: latest?.revocation?.at ?? new Date(), reason: latest?.revocation?.reason ?? 'HUAWEI_SUBSCRIPTION_REVOKED' };
}

/** The URL names no Huawei store account. */
export class NotificationAccountError extends AppError {
  constructor() {
    super('STORE_ACCOUNT_NOT_FOUND', 'No Huawei store account with this id');
  }
}

export type HuaweiService = ReturnType<typeof createHuaweiService>;

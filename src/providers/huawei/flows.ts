// Huawei HarmonyOS IAP flows: verify what the client sends, record and grant through
// the fulfilment core, tell the client what to finish; notifications as triggers.
import type { Entitlement, Order } from '../../generated/prisma/client.js';
import { AppError, NotFoundError, PurchaseRevokedError } from '../../platform/errors.js';
import { failpoint } from '../../platform/failpoints.js';
import {
  HuaweiCrlChecker,
  queryOrderStatus,
  readHuaweiAccount,
  verifyHuaweiNotification,
  verifyHuaweiPurchase,
  type HuaweiNotification,
} from './protocol/index.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../contract.js';
import type { StoreDeps } from '../contract.js';
import type { StoreAccountsService } from '../../services/store-accounts.js';

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

export function createHuaweiService(deps: StoreDeps, storeAccounts: StoreAccountsService = deps.storeAccounts) {
  const { fulfilment, prisma } = deps;
  const timeoutMs = deps.env.STORE_HTTP_TIMEOUT_MS;
  // One CRL cache for every account of this instance. CRL URLs come from certificates that
  // chain to a trusted root (Huawei's, or a sandbox account's own test root).
  // TODO(net): download through the SSRF guard (src/platform/outbound-url.ts) once it lands:
  // a sandbox account's root is tenant-controlled, and so are its certificates' CRL URLs.
  const crlChecker = new HuaweiCrlChecker({
    policy: deps.env.HUAWEI_CRL_POLICY,
    timeoutMs: deps.env.HUAWEI_CRL_TIMEOUT_MS,
    onUnavailable: (event) =>
      deps.logger.warn({ ...event }, event.policy === 'soft-fail' ? 'Huawei CRL unavailable; accepted (soft-fail)' : 'Huawei CRL unavailable; refused'),
  });

  /** Verifies, records and grants one purchase. A revoked purchase is recorded, then refused. */
  async function deliver(account: StoreAccountConfig, playerId: string, submission: HuaweiSubmission): Promise<HuaweiDelivery> {
    const purchase = await verifyHuaweiPurchase(
      account,
      { purchaseData: submission.purchaseData ?? null, jwsPurchaseOrder: submission.jwsPurchaseOrder ?? null },
      { revocation: crlChecker },
    );
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

  return {
    /** finishPurchase: after createPurchase / miniGamePay succeeded on the client. */
    async finishPurchase(appId: string, playerId: string, submission: HuaweiSubmission, storeAccountId?: string | null) {
      const account = await storeAccounts.resolve(appId, 'HUAWEI', storeAccountId);
      return deliver(account, playerId, submission);
    },

    /**
     * syncPurchases: what the client reads at every app start from queryPurchases
     * (UNFINISHED, CURRENT_ENTITLEMENT). Each item succeeds or fails on its own.
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
     * Notifications v3: verified, then treated as a trigger. With server credentials the
     * order's current state is read from Huawei (authoritative); otherwise the signed
     * notification itself is acted on. Durable before the 200 (processNotification).
     */
    async handleNotification(storeAccountId: string, body: string): Promise<NotificationOutcome> {
      const account = await storeAccounts.configById(storeAccountId);
      if (!account || account.store !== 'HUAWEI') throw new NotificationAccountError();
      const notification = await verifyHuaweiNotification(account, body, { revocation: crlChecker });
      const current = await currentState(account, notification);
      const processed = await fulfilment.processNotification(
        {
          storeAccountId: account.id,
          externalId: notification.notificationRequestId,
          type: [notification.notificationType, notification.notificationSubtype].filter(Boolean).join('/'),
          payload: notification.payload,
        },
        async (tx, events) => {
          const purchaseOrderId = current?.storeOrderId ?? notification.metadata.purchaseOrderId;
          if (!purchaseOrderId) return; // TEST and account-level notifications: recorded, nothing to act on
          // Serializes with a submission of the same purchase: one of us sees the other.
          await fulfilment.lockStoreOrder(tx, account.id, purchaseOrderId);
          const order = await tx.order.findUnique({
            where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: purchaseOrderId } },
          });
          const revocation =
            current?.revocation ??
            (notification.notificationType === 'REVOKE'
              ? { at: notification.signedAt ?? new Date(), reason: notification.notificationSubtype ?? 'REVOKE' }
              : null);
          if (!order) {
            // Not submitted yet: the client's next sync delivers it — unless it was refunded
            // meanwhile, which is remembered so that submission is recorded revoked.
            if (revocation) await fulfilment.recordRevocationNotice(tx, account.id, purchaseOrderId, revocation);
            return;
          }
          if (revocation && order.status !== 'REVOKED') {
            await fulfilment.revokeInTransaction(tx, events, order, revocation);
            return;
          }
          if (current?.expiresAt && order.status !== 'REVOKED' && current.expiresAt.getTime() !== order.expiresAt?.getTime()) {
            await fulfilment.updateExpiry(tx, events, order.id, current.expiresAt, notification.notificationSubtype ?? notification.notificationType);
          }
        },
      );
      return processed ? 'PROCESSED' : 'DUPLICATE';
    },

    /** Reconciliation: re-reads an order from Huawei and revokes it if refunded. */
    async reconcileOrder(appId: string, orderId: string): Promise<Order> {
      const order = await prisma.order.findFirst({ where: { id: orderId, appId, store: 'HUAWEI' } });
      if (!order) throw new NotFoundError('Huawei order');
      const account = await storeAccounts.config(appId, order.storeAccountId);
      if (!order.purchaseToken) return order;
      const current = await queryOrderStatus(account, { purchaseOrderId: order.storeOrderId, purchaseToken: order.purchaseToken }, { timeoutMs, revocation: crlChecker });
      if (current.revocation && order.status !== 'REVOKED') return fulfilment.revokeOrder(order.id, current.revocation);
      return order;
    },
  };

  /** The order's state per Huawei's server API, when credentials allow asking. */
  async function currentState(account: StoreAccountConfig, notification: HuaweiNotification): Promise<VerifiedPurchase | null> {
    const { purchaseOrderId, purchaseToken } = notification.metadata;
    if (!purchaseOrderId || !purchaseToken || readHuaweiAccount(account).credentials === null) return null;
    return queryOrderStatus(account, { purchaseOrderId, purchaseToken }, { timeoutMs, revocation: crlChecker });
  }
}

/** The URL names no Huawei store account. */
export class NotificationAccountError extends AppError {
  constructor() {
    super('STORE_ACCOUNT_NOT_FOUND', 'No Huawei store account with this id');
  }
}

export type HuaweiService = ReturnType<typeof createHuaweiService>;

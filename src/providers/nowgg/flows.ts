// now.gg flows: verify what the client sends with now.gg's verifyPurchase, record and
// grant once through the fulfilment core (which schedules the server-side consume or
// acknowledgement on the task worker), and apply now.gg's webhooks exactly once.
import { z } from 'zod';
import type { TransactionClient } from '../../platform/db.js';
import type { Entitlement, Order } from '../../generated/prisma/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { failpoint } from '../../platform/failpoints.js';
import { OrderEventType, type EventBuffer } from '../../fulfilment/events.js';
import { assertNotRevoked } from '../../fulfilment/fulfilment.js';
import {
  createNowggClient,
  readNowggAccount,
  nowggPurchaseTypes,
  parseNowggWebhook,
  readNowggWebhook,
  majorToMinorUnits,
  verifyNowggPurchase,
  type NowggOrderNotification,
  type NowggPurchaseType,
} from './protocol/index.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../contract.js';
import type { StoreDeps } from '../contract.js';
import type { StoreAccountsService } from '../../services/store-accounts.js';
import { isUuid, parseInput } from '../../services/validation.js';

/** What the game client sends after a now.gg SDK purchase. */
export interface NowggConsumeRequest {
  purchaseToken: string;
  productId: string;
  currency?: string | null | undefined;
  developerPayload?: string | null | undefined;
  /** Which store the purchase was made in; nowgg when omitted. */
  type?: NowggPurchaseType | null | undefined;
  storeAccountId?: string | null | undefined;
}

/** What the client itself must do when now.gg cannot finish the purchase server-side. */
export interface NowggClientFinish {
  type: NowggPurchaseType;
  purchaseToken: string;
  productId: string;
  /** CONSUME for one-time products, ACKNOWLEDGE for subscriptions. */
  operation: 'CONSUME' | 'ACKNOWLEDGE';
  instructions: string;
}

export interface NowggDelivery {
  order: Order;
  /** True only for the one submission that granted the order. */
  newlyDelivered: boolean;
  /** Set for amazon and huawei purchases through now.gg (finishMode CLIENT). */
  clientFinish: NowggClientFinish | null;
  /** The order's entitlements when recording read or wrote them (see RecordPurchaseResult). */
  entitlements?: Entitlement[] | undefined;
}

/**
 * PROCESSED: acted on (or recorded with nothing to change). DUPLICATE: a redelivery of a
 * notification already processed. UNMATCHED: names an order or player we cannot resolve;
 * kept in StoreNotification (and announced for web-shop payments) so it is not lost.
 */
export type NowggWebhookOutcome = 'PROCESSED' | 'DUPLICATE' | 'UNMATCHED';

/** The URL names no now.gg store account. */
export class NowggWebhookAccountError extends AppError {
  constructor() {
    super('STORE_ACCOUNT_NOT_FOUND', 'No now.gg store account with this id');
  }
}

const consumeRequestSchema = z.object({
  purchaseToken: z.string().trim().min(1).max(4096),
  productId: z.string().trim().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').nullish(),
  developerPayload: z.string().max(4096).nullish(),
});

/** NowggFinishParams as verification stored them on a CLIENT-finish order. */
const finishParamsSchema = z.object({
  type: z.enum(nowggPurchaseTypes),
  purchaseToken: z.string(),
  productId: z.string(),
});

/** Web-shop orders carry no player: the developerPayload set at checkout must name one. */
const playerPayloadSchema = z.object({ playerId: z.string().trim().min(1).max(200) });

const assignRequestSchema = z.object({
  paymentId: z.string().trim().min(1),
  playerId: z.string().trim().min(1).max(200),
});

/** A web-shop payment whose callback named no player, and that no order records yet. */
export interface NowggUnmatchedPayment {
  /** The stored notification's id: what assignNowggWebshopPayment takes. */
  id: string;
  storeAccountId: string;
  storeOrderId: string;
  storeProductId: string | null;
  amountMinor: bigint | null;
  currency: string | null;
  developerPayload: string | null;
  receivedAt: Date;
  payload: Record<string, unknown>;
}

/** Keyset position in the unmatched-payments list: (receivedAt, id). */
interface UnmatchedCursor {
  receivedAt: Date;
  id: string;
}

export function unmatchedPaymentCursor(payment: Pick<NowggUnmatchedPayment, 'receivedAt' | 'id'>): string {
  return Buffer.from(`${payment.receivedAt.toISOString()}|${payment.id}`, 'utf8').toString('base64url');
}

function parseUnmatchedCursor(cursor: string): UnmatchedCursor {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const receivedAt = new Date(at ?? '');
  if (!id || !isUuid(id) || Number.isNaN(receivedAt.getTime())) {
    throw new ValidationError('Not a cursor of this list', [{ path: 'after', message: 'unknown cursor' }]);
  }
  return { receivedAt, id };
}

const SUBSCRIPTION_NOTIFICATION_TYPES = [
  'SUBSCRIPTION_PURCHASED',
  'SUBSCRIPTION_RENEWED',
  'SUBSCRIPTION_CANCELLED',
  'SUBSCRIPTION_EXPIRED',
] as const;

export function createNowggService(deps: StoreDeps, storeAccounts: StoreAccountsService = deps.storeAccounts) {
  const { fulfilment, env, prisma } = deps;

  // The account's own timeout wins; otherwise the server-wide store timeout.
  const clientFor = (account: StoreAccountConfig) =>
    createNowggClient(account, {
      timeoutMs: readNowggAccount(account).settings.requestTimeoutMs ?? env.STORE_HTTP_TIMEOUT_MS,
    });

  return {
    /**
     * Verifies a purchase token with now.gg and grants it exactly once. Nothing is written
     * unless now.gg verifies it. The consume (or, for subscriptions, the acknowledgement)
     * runs on the task worker after the commit, retried until now.gg confirms; amazon and
     * huawei purchases are finished by the client, and the answer says how.
     */
    async consumePurchase(appId: string, playerId: string, request: NowggConsumeRequest): Promise<NowggDelivery> {
      const input = parseInput(consumeRequestSchema, request, 'now.gg purchase');
      const account = await storeAccounts.resolve(appId, 'NOWGG', request.storeAccountId);
      const purchase = await verifyNowggPurchase(
        account,
        {
          purchaseToken: input.purchaseToken,
          productId: input.productId,
          currency: input.currency,
          type: request.type ?? 'nowgg',
          developerPayload: input.developerPayload,
        },
        clientFor(account),
      );
      const { order, newlyDelivered, entitlements } = await fulfilment.recordPurchase({ account, playerId, purchase });
      failpoint('after-commit-before-answer');
      // A purchase revoked since (refund, operator) is never answered as delivered.
      assertNotRevoked(order);
      return { order, newlyDelivered, entitlements, clientFinish: clientFinishFor(order) };
    },

    /**
     * POST /webhooks/nowgg/<storeAccountId>. Authenticates with the account's Webhook API
     * Key, then applies the notification and records it in one transaction, so a resolved
     * promise means the work is durable and a redelivery changes nothing.
     */
    async handleWebhook(
      storeAccountId: string,
      request: { authorization: string | null; body: string },
    ): Promise<NowggWebhookOutcome> {
      const account = await storeAccounts.configById(storeAccountId);
      if (!account || account.store !== 'NOWGG') throw new NowggWebhookAccountError();
      const notification = readNowggWebhook(account, request);
      let outcome: NowggWebhookOutcome = 'PROCESSED';
      const processed = await fulfilment.processNotification(
        {
          storeAccountId: account.id,
          externalId: notification.idempotencyKey,
          type: notification.type === 'UNKNOWN' ? notification.notificationType : notification.type,
          payload: notification.payload,
        },
        async (tx, events) => {
          // Unknown types are kept (processNotification stored them) and acted on by nothing.
          if (notification.type === 'UNKNOWN') return;
          outcome = await applyNotification(tx, events, account, notification);
        },
      );
      return processed ? outcome : 'DUPLICATE';
    },

    /**
     * Web-shop payments that named no player and are not recorded as an order, oldest
     * first, keyset-paginated by (receivedAt, id); only this app's accounts.
     */
    async listUnmatchedPayments(
      appId: string,
      options: {
        storeAccountId?: string | null | undefined;
        after?: string | null | undefined;
        before?: string | null | undefined;
        limit: number;
        inverted: boolean;
      },
    ): Promise<NowggUnmatchedPayment[]> {
      const after = options.after ? parseUnmatchedCursor(options.after) : null;
      const before = options.before ? parseUnmatchedCursor(options.before) : null;
      if (options.storeAccountId && !isUuid(options.storeAccountId)) return [];
      const direction = options.inverted ? Prisma.sql`DESC` : Prisma.sql`ASC`;
      const rows = await prisma.$queryRaw<{ id: string; storeAccountId: string; payload: Record<string, unknown>; receivedAt: Date }[]>`
        SELECT n."id", n."storeAccountId", n."payload", n."receivedAt"
          FROM "StoreNotification" n
          JOIN "StoreAccount" a ON a."id" = n."storeAccountId"
         WHERE a."appId" = ${appId}::uuid AND a."store" = 'NOWGG'::"Store"
           AND n."type" = 'WEBSHOP_ITEM_PURCHASED' AND n."processedAt" IS NOT NULL
           ${options.storeAccountId ? Prisma.sql`AND n."storeAccountId" = ${options.storeAccountId}::uuid` : Prisma.empty}
           AND NOT EXISTS (SELECT 1 FROM "Order" o
                            WHERE o."storeAccountId" = n."storeAccountId" AND o."storeOrderId" = n."payload"->>'orderId')
           ${after ? Prisma.sql`AND (n."receivedAt", n."id") > (${after.receivedAt}::timestamp, ${after.id}::uuid)` : Prisma.empty}
           ${before ? Prisma.sql`AND (n."receivedAt", n."id") < (${before.receivedAt}::timestamp, ${before.id}::uuid)` : Prisma.empty}
         ORDER BY n."receivedAt" ${direction}, n."id" ${direction}
         LIMIT ${options.limit}`;
      return rows.map((row) => unmatchedPayment(row));
    },

    /**
     * Grants an unmatched web-shop payment to `playerId`, exactly once: the order it
     * records is unique per store order, so a second assignment (or a later callback
     * naming a player) finds it and gets ConflictError, nothing written. The order is
     * then an ordinary web-shop order (granted now, finishMode NONE).
     */
    async assignWebshopPayment(appId: string, request: { paymentId: string; playerId: string }): Promise<NowggDelivery> {
      const input = parseInput(assignRequestSchema, request, 'web-shop payment assignment');
      const row = isUuid(input.paymentId)
        ? await prisma.storeNotification.findFirst({
            where: {
              id: input.paymentId,
              type: 'WEBSHOP_ITEM_PURCHASED',
              processedAt: { not: null },
              storeAccount: { appId, store: 'NOWGG' },
            },
          })
        : null;
      if (!row) throw new NotFoundError('now.gg web-shop payment');
      const account = await storeAccounts.config(appId, row.storeAccountId);
      // The stored data is the callback's own `data`; read it exactly as the callback was.
      const notification = parseNowggWebhook(account, JSON.stringify({ notificationType: row.type, data: row.payload }));
      if (notification.type !== 'WEBSHOP_ITEM_PURCHASED') throw new NotFoundError('now.gg web-shop payment');
      const recorded = await fulfilment.transaction(async (tx, events) => {
        await fulfilment.lockStoreOrder(tx, account.id, notification.storeOrderId);
        const existing = await tx.order.findUnique({
          where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: notification.storeOrderId } },
          select: { id: true },
        });
        if (existing) {
          throw new ConflictError(`now.gg web-shop order ${notification.storeOrderId} is already recorded for a player`);
        }
        return fulfilment.recordPurchaseInTransaction(tx, events, {
          account,
          playerId: input.playerId,
          purchase: webshopPurchase(account, notification),
        });
      });
      return { ...recorded, clientFinish: null };
    },
  };

  async function applyNotification(
    tx: TransactionClient,
    events: EventBuffer,
    account: StoreAccountConfig,
    notification: NowggOrderNotification,
  ): Promise<NowggWebhookOutcome> {
    // now.gg names orders by orderId, the storeOrderId we recorded on this store account.
    const order = await tx.order.findUnique({
      where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: notification.storeOrderId } },
    });
    if (notification.type === 'WEBSHOP_ITEM_PURCHASED') {
      if (order) return 'PROCESSED'; // already recorded (an earlier delivery of the same payment)
      return recordWebshopPurchase(tx, events, account, notification);
    }
    // Subscriptions are recorded by the client's consumePurchase, which carries the token we
    // need to acknowledge them; a webhook that beats it is kept, and verifyPurchase then
    // reports the same expiry.
    if (!order) return 'UNMATCHED';
    if (order.status === 'REVOKED') return 'PROCESSED';
    // now.gg does not promise ordering: an older event never undoes a newer one.
    if (await newerSubscriptionEventApplied(tx, account.id, notification)) return 'PROCESSED';

    switch (notification.type) {
      case 'SUBSCRIPTION_PURCHASED':
      case 'SUBSCRIPTION_RENEWED':
        if (notification.expiresAt && notification.expiresAt.getTime() !== order.expiresAt?.getTime()) {
          await fulfilment.updateExpiry(tx, events, order.id, notification.expiresAt, notification.type);
        }
        return 'PROCESSED';
      case 'SUBSCRIPTION_CANCELLED':
        // Renewal stopped, not a refund: access stays until the paid period ends.
        await events.append(tx, {
          appId: order.appId,
          orderId: order.id,
          playerId: order.playerId,
          type: OrderEventType.ORDER_RENEWAL_CANCELLED,
          data: {
            cancelledAt: notification.eventTime.toISOString(),
            accessUntil: (notification.expiresAt ?? order.expiresAt)?.toISOString() ?? null,
          },
        });
        return 'PROCESSED';
      case 'SUBSCRIPTION_EXPIRED': {
        // Access ends at the reported expiry, and no later than the event itself.
        const endedAt = earliest(notification.expiresAt, notification.eventTime);
        if (!order.expiresAt || order.expiresAt.getTime() > endedAt.getTime()) {
          await fulfilment.updateExpiry(tx, events, order.id, endedAt, notification.type);
        }
        return 'PROCESSED';
      }
    }
  }

  /**
   * A paid web-shop order we have not seen. now.gg's web-shop callback names no player, so
   * we grant it only when the developerPayload set at checkout is {"playerId": "..."};
   * otherwise the notification stays stored and an event announces it, so the payment is
   * visible to the developer instead of silently dropped.
   */
  async function recordWebshopPurchase(
    tx: TransactionClient,
    events: EventBuffer,
    account: StoreAccountConfig,
    notification: NowggOrderNotification,
  ): Promise<NowggWebhookOutcome> {
    const playerId = playerFromDeveloperPayload(notification.developerPayload);
    if (!playerId) {
      await events.append(tx, {
        appId: account.appId,
        orderId: null,
        playerId: null,
        type: OrderEventType.NOTIFICATION_UNMATCHED,
        data: {
          store: 'NOWGG',
          storeAccountId: account.id,
          notificationType: notification.type,
          notificationId: notification.idempotencyKey,
          storeOrderId: notification.storeOrderId,
          storeProductId: notification.storeProductId,
          reason: 'developerPayload names no player ({"playerId": "..."})',
        },
      });
      return 'UNMATCHED';
    }
    await fulfilment.recordPurchaseInTransaction(tx, events, {
      account,
      playerId,
      purchase: webshopPurchase(account, notification),
    });
    return 'PROCESSED';
  }
}

/**
 * The authenticated web-shop callback is now.gg's proof of payment, and answering it 200
 * is the whole finish step (now.gg then marks the order completed): finishMode NONE.
 */
function webshopPurchase(account: StoreAccountConfig, notification: NowggOrderNotification): VerifiedPurchase {
  return {
    storeOrderId: notification.storeOrderId,
    storeProductId: notification.storeProductId,
    productType: null,
    quantity: 1,
    amountMinor: notification.amountMinor,
    currency: notification.currency,
    purchaseToken: notification.purchaseToken,
    purchasedAt: notification.eventTime,
    expiresAt: notification.expiresAt,
    environment: notification.environment ?? account.environment,
    revocation: null,
    finishMode: 'NONE',
    finishParams: null,
    payload: notification.payload,
  };
}

function unmatchedPayment(row: {
  id: string;
  storeAccountId: string;
  payload: Record<string, unknown>;
  receivedAt: Date;
}): NowggUnmatchedPayment {
  const text = (key: string) => {
    const value = row.payload[key];
    return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
  };
  const currency = text('currency');
  const amount = text('amount');
  let amountMinor: bigint | null = null;
  if (amount && currency) {
    try {
      amountMinor = majorToMinorUnits(amount, currency);
    } catch {
      amountMinor = null; // shown as unknown; the assignment re-reads and refuses it
    }
  }
  return {
    id: row.id,
    storeAccountId: row.storeAccountId,
    storeOrderId: text('orderId') ?? '',
    storeProductId: text('productId'),
    amountMinor,
    currency,
    developerPayload: text('developerPayload'),
    receivedAt: row.receivedAt,
    payload: row.payload,
  };
}

/** The client's part, from what verification stored on the order (its finishParams). */
function clientFinishFor(order: Order): NowggClientFinish | null {
  if (order.finishMode !== 'CLIENT') return null;
  const params = finishParamsSchema.parse(order.finishParams);
  const operation = order.productType === 'AUTO_RENEWABLE' ? 'ACKNOWLEDGE' : 'CONSUME';
  const verb = operation === 'ACKNOWLEDGE' ? 'acknowledge' : 'consume';
  return {
    ...params,
    operation,
    instructions:
      `now.gg cannot ${verb} ${params.type} purchases server-side. On the device, ${verb} this purchase with the ` +
      `now.gg SDK using this purchaseToken, then call confirmClientFinish with the order id. Until then the order ` +
      `stays DELIVERED (granted) and consumePurchase returns these instructions again.`,
  };
}

function playerFromDeveloperPayload(developerPayload: string | null): string | null {
  if (!developerPayload) return null;
  let json: unknown;
  try {
    json = JSON.parse(developerPayload);
  } catch {
    return null;
  }
  const parsed = playerPayloadSchema.safeParse(json);
  return parsed.success ? parsed.data.playerId : null;
}

function earliest(candidate: Date | null, bound: Date): Date {
  return candidate && candidate.getTime() < bound.getTime() ? candidate : bound;
}

/** True when a subscription notification with a later eventTime was already applied to the order. */
async function newerSubscriptionEventApplied(
  tx: TransactionClient,
  storeAccountId: string,
  notification: NowggOrderNotification,
): Promise<boolean> {
  const applied = await tx.storeNotification.findMany({
    where: {
      storeAccountId,
      processedAt: { not: null },
      type: { in: [...SUBSCRIPTION_NOTIFICATION_TYPES] },
      payload: { path: ['orderId'], equals: notification.storeOrderId },
    },
    select: { payload: true },
  });
  const eventTime = notification.eventTime.getTime();
  return applied.some(({ payload }) => {
    const isObject = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
    const recorded = isObject ? Number(payload.eventTime) : Number.NaN;
    return Number.isFinite(recorded) && recorded > eventTime;
  });
}

export type NowggService = ReturnType<typeof createNowggService>;

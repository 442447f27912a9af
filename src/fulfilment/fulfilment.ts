// The store-agnostic fulfilment core: record a verified purchase, grant exactly once,
// revoke, finish. Exactly-once rests on unique constraints (Order: storeAccountId +
// storeOrderId; Entitlement: appId + grantKey; Task: dedupeKey) and on conditional
// status updates — never on isolation levels or in-process locks — so it holds across
// any number of instances and any crash (a transaction either committed whole or not).
import type { PrismaClient, TransactionClient } from '../platform/db.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Entitlement, Order, Product } from '../generated/prisma/client.js';
import type { ProductType, Store } from '../generated/prisma/enums.js';
import type { VerifiedPurchase } from '../providers/contract.js';
import { ConflictError, PurchaseRevokedError } from '../platform/errors.js';
import { failpoint } from '../platform/failpoints.js';
import { replayAccess, type PaidPeriod } from './access-replay.js';
import { EventBuffer, OrderEventType, type PublishEvents } from './events.js';
import { enqueueTask } from './tasks.js';

export const STORE_ACK_TASK = 'store.ack';

/** StoreNotification.externalId prefix of a refund announced before its order was recorded. */
const REVOCATION_NOTICE_PREFIX = 'revocation-notice:';

export interface PurchaseAccount {
  id: string;
  appId: string;
  store: Store;
}

export interface RecordPurchaseInput {
  account: PurchaseAccount;
  playerId: string;
  purchase: VerifiedPurchase;
}

/**
 * For stores that price goods per order (Huya prepaid: the level bought → days): whether
 * `product` delivers an order with this verified payload, and how long each such order
 * extends access (null: the core's usual expiry rules). Null when the product cannot
 * deliver it: the order is kept AWAITING_PRODUCT, never granted without an end.
 */
export type AccessDurationResolver = (product: Product, verifiedPayload: unknown) => { accessDurationMs: number | null } | null;

export interface RecordPurchaseResult {
  order: Order;
  /** True only for the one call that granted it. */
  newlyDelivered: boolean;
  /**
   * The order's entitlements, when this call read or wrote them anyway (a new order's
   * are exactly those its transaction created): answers can show them without reading
   * the order again. Absent when unknown.
   */
  entitlements?: Entitlement[];
}

/** JSON text with bigints as strings (store payloads carry money as bigint). */
const jsonText = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

const jsonSafe = (value: unknown): Prisma.InputJsonValue => JSON.parse(jsonText(value)) as Prisma.InputJsonValue;

export class Fulfilment {
  readonly #prisma: PrismaClient;
  readonly #publish: PublishEvents;
  readonly #onTasksEnqueued: () => void;
  /** Transactions (by their event buffer) that enqueued a task: only those wake the worker. */
  readonly #enqueuedTasks = new WeakSet<EventBuffer>();
  /** Stores that price their time-limited orders (see AccessDurationResolver). */
  readonly #accessDurations: ReadonlyMap<Store, AccessDurationResolver>;

  constructor(deps: {
    prisma: PrismaClient;
    publish: PublishEvents;
    onTasksEnqueued?: () => void;
    accessDurations?: ReadonlyMap<Store, AccessDurationResolver>;
  }) {
    this.#prisma = deps.prisma;
    this.#publish = deps.publish;
    this.#onTasksEnqueued = deps.onTasksEnqueued ?? (() => {});
    this.#accessDurations = deps.accessDurations ?? new Map();
  }

  /** Whether `product` delivers an order with this payload, and for how long. */
  #pricing(product: Product | null, verifiedPayload: unknown): { deliverable: boolean; accessDurationMs: number | null } {
    const resolver = product ? this.#accessDurations.get(product.store) : undefined;
    if (!product || !resolver) return { deliverable: product !== null, accessDurationMs: null };
    const priced = resolver(product, verifiedPayload);
    return priced === null ? { deliverable: false, accessDurationMs: null } : { deliverable: true, accessDurationMs: priced.accessDurationMs };
  }

  /** Runs `work` in one transaction; its events are published only after commit. */
  async transaction<T>(work: (tx: TransactionClient, events: EventBuffer) => Promise<T>): Promise<T> {
    return this.#transaction(work, () => true);
  }

  /** `transaction`, waking the worker after the commit only when `wakeWorker` says so. */
  async #transaction<T>(
    work: (tx: TransactionClient, events: EventBuffer) => Promise<T>,
    wakeWorker: (events: EventBuffer) => boolean,
  ): Promise<T> {
    const events = new EventBuffer();
    const result = await this.#prisma.$transaction((tx) => work(tx, events), { timeout: 15_000, maxWait: 10_000 });
    if (events.events.length > 0) this.#publish(events.events);
    if (wakeWorker(events)) this.#onTasksEnqueued();
    return result;
  }

  /**
   * Records a verified purchase and grants it exactly once. Concurrent calls for the
   * same store order get the same order; exactly one of them grants.
   */
  async recordPurchase(input: RecordPurchaseInput): Promise<RecordPurchaseResult> {
    // Resubmissions (client retries, every app start's sync) are answered from the
    // committed order without opening a transaction: a row found here was written, and
    // granted or not, by the one transaction that inserted it. Only a revocation of a
    // recorded order still has work to do, which the transaction below does.
    const found = await this.#prisma.order.findUnique({
      where: { storeAccountId_storeOrderId: { storeAccountId: input.account.id, storeOrderId: input.purchase.storeOrderId } },
      include: { entitlements: true },
    });
    if (found && !(input.purchase.revocation && found.status !== 'REVOKED')) {
      const { entitlements, ...recorded } = found;
      assertSamePlayer(recorded, input.playerId);
      return { order: recorded, newlyDelivered: false, entitlements };
    }
    // Only a purchase that enqueued its store acknowledgement wakes the worker: waking it
    // after every purchase kept it polling back to back under load.
    return this.#transaction(
      (tx, events) => this.recordPurchaseInTransaction(tx, events, input),
      (events) => this.#enqueuedTasks.has(events),
    );
  }

  /** The same as recordPurchase, inside a caller's transaction (a notification that carries a purchase). */
  async recordPurchaseInTransaction(
    tx: TransactionClient,
    events: EventBuffer,
    input: RecordPurchaseInput,
  ): Promise<RecordPurchaseResult> {
    const { account, playerId } = input;
    await this.lockStoreOrder(tx, account.id, input.purchase.storeOrderId);
    // The product, and a refund the store announced before the purchase reached us (then
    // it is never granted), in one statement.
    const [found] = await tx.$queryRaw<(Product & { revocationNotice: { at: string; reason: string } | null })[]>`
      SELECT p.*, (SELECT n."payload" FROM "StoreNotification" n
                    WHERE n."storeAccountId" = ${account.id}::uuid
                      AND n."externalId" = ${`${REVOCATION_NOTICE_PREFIX}${input.purchase.storeOrderId}`}) AS "revocationNotice"
        FROM (SELECT 1) AS "one"
        LEFT JOIN "Product" p ON p."appId" = ${account.appId}::uuid AND p."store" = ${account.store}::"Store"
                             AND p."storeProductId" = ${input.purchase.storeProductId}`;
    const { revocationNotice, ...productColumns } = found!;
    const product: Product | null = productColumns.id === null ? null : productColumns;
    const notice = input.purchase.revocation || !revocationNotice ? null : { at: new Date(revocationNotice.at), reason: revocationNotice.reason };
    const purchase = notice ? { ...input.purchase, revocation: notice } : input.purchase;
    const pricing = this.#pricing(product, purchase.payload);
    const status = purchase.revocation ? 'REVOKED' : pricing.deliverable ? 'DELIVERED' : 'AWAITING_PRODUCT';
    const now = new Date();
    const finishedAt = status === 'DELIVERED' && purchase.finishMode === 'NONE' ? now : null;
    // ON CONFLICT DO NOTHING: a concurrent insert of the same order makes this wait for
    // the other transaction, then return nothing; we then read the committed row.
    // Raw SQL because Prisma compiles createMany/createManyAndReturn afresh on every call
    // (its query-plan cache skips them), which cost more CPU than the rest of the insert.
    const inserted = await tx.$queryRaw<Order[]>`
      INSERT INTO "Order" ("id", "appId", "storeAccountId", "store", "environment", "storeOrderId", "storeProductId",
        "productId", "productType", "playerId", "quantity", "amountMinor", "currency", "purchaseToken", "purchasedAt",
        "expiresAt", "subscriptionKey", "status", "finishMode", "finishParams", "deliveredAt", "finishedAt", "revokedAt", "revocationReason",
        "verifiedPayload", "createdAt", "updatedAt")
      VALUES (gen_random_uuid(), ${account.appId}::uuid, ${account.id}::uuid, ${account.store}::"Store",
        ${purchase.environment}::"StoreEnvironment", ${purchase.storeOrderId}, ${purchase.storeProductId},
        ${product?.id ?? null}::uuid, ${product?.type ?? purchase.productType}::"ProductType", ${playerId},
        ${purchase.quantity}::int, ${purchase.amountMinor}::bigint, ${purchase.currency}, ${purchase.purchaseToken},
        ${purchase.purchasedAt}::timestamp, ${purchase.expiresAt}::timestamp, ${purchase.subscription?.key ?? null},
        ${status}::"OrderStatus",
        ${purchase.finishMode}::"FinishMode", ${purchase.finishParams ? jsonText(purchase.finishParams) : null}::jsonb,
        ${status === 'DELIVERED' ? now : null}::timestamp, ${finishedAt}::timestamp, ${purchase.revocation?.at ?? null}::timestamp,
        ${purchase.revocation?.reason ?? null}, ${jsonText(purchase.payload)}::jsonb, ${now}::timestamp, ${now}::timestamp)
      ON CONFLICT ("storeAccountId", "storeOrderId") DO NOTHING
      RETURNING *`;
    const created = inserted[0];
    if (!created) {
      const existing = await tx.order.findUniqueOrThrow({
        where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: purchase.storeOrderId } },
      });
      assertSamePlayer(existing, playerId);
      if (purchase.revocation && existing.status !== 'REVOKED') {
        const revoked = await this.#revokeInTx(tx, events, existing, purchase.revocation);
        return { order: revoked, newlyDelivered: false };
      }
      return { order: existing, newlyDelivered: false };
    }
    failpoint('after-order-insert');
    let order: Order = created.finishedAt ? { ...created, status: 'FINISHED' as const } : created;
    if (order.status === 'FINISHED') {
      await tx.order.update({ where: { id: order.id }, data: { status: 'FINISHED' } });
    }
    const entitlements: Entitlement[] = [];
    if (status === 'DELIVERED' && product) {
      const granted = await this.#grant(tx, events, order, product, pricing.accessDurationMs);
      order = granted.order;
      if (granted.entitlement.orderId === order.id) entitlements.push(granted.entitlement);
    } else if (status === 'AWAITING_PRODUCT') {
      await events.append(tx, {
        appId: order.appId, orderId: order.id, playerId, type: OrderEventType.ORDER_AWAITING_PRODUCT,
        data: { storeProductId: order.storeProductId, store: order.store },
      });
    } else {
      await events.append(tx, {
        appId: order.appId, orderId: order.id, playerId, type: OrderEventType.ORDER_REVOKED, store: order.store,
        data: { reason: order.revocationReason, neverGranted: true },
      });
    }
    return { order, newlyDelivered: status === 'DELIVERED', entitlements };
  }

  /**
   * Locks one store order until the transaction ends, so recording its purchase and
   * applying a store notification about it serialize (across instances) and neither
   * misses the other. Call before reading the order in a notification's work.
   */
  async lockStoreOrder(tx: TransactionClient, storeAccountId: string, storeOrderId: string): Promise<void> {
    // Its own statement: in READ COMMITTED the next statement's snapshot then sees what
    // the transaction we waited for committed.
    await tx.$queryRaw`SELECT 1 AS "locked" FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`${storeAccountId}/${storeOrderId}`}, 0))) AS "lock"`;
  }

  /**
   * Remembers a refund the store announced for an order we have not recorded yet (the
   * client has not submitted it), so a later submission records it REVOKED and grants
   * nothing. Call with the order locked (lockStoreOrder). Idempotent.
   */
  async recordRevocationNotice(
    tx: TransactionClient,
    storeAccountId: string,
    storeOrderId: string,
    revocation: { at: Date; reason: string },
  ): Promise<void> {
    await tx.storeNotification.createMany({
      data: [
        {
          storeAccountId,
          externalId: `${REVOCATION_NOTICE_PREFIX}${storeOrderId}`,
          type: 'REVOCATION_NOTICE',
          payload: { storeOrderId, at: revocation.at.toISOString(), reason: revocation.reason },
          processedAt: new Date(),
        },
      ],
      skipDuplicates: true,
    });
  }

  /**
   * Grants the entitlement for a just-delivered order and schedules the store ack.
   * Returns the entitlement as it now is (shared access may belong to an earlier order)
   * and the order with the expiry the grant gave it.
   */
  async #grant(
    tx: TransactionClient,
    events: EventBuffer,
    order: Order,
    product: Product,
    accessDurationMs: number | null,
  ): Promise<{ order: Order; entitlement: Entitlement }> {
    if (order.subscriptionKey !== null) return this.#grantSubscription(tx, events, order, product);
    const kind = entitlementKind(product.type);
    let entitlement: Entitlement;
    if (kind === 'CONSUMABLE') {
      entitlement = await tx.entitlement.create({
        data: {
          appId: order.appId, playerId: order.playerId, productId: product.id, orderId: order.id,
          kind, quantity: order.quantity * product.grantQuantity, grantKey: `order:${order.id}`,
        },
      });
    } else {
      // One entitlement per player and product: re-activated by a new order after a
      // revocation; expiring access is extended (from now or from its current end).
      const grantKey = `product:${product.id}:player:${order.playerId}`;
      const durationSeconds = accessDurationMs === null ? null : Math.round(accessDurationMs / 1000);
      const newExpiry = kind === 'EXPIRING' && durationSeconds === null ? (order.expiresAt ?? null) : null;
      const rows = await tx.$queryRaw<Entitlement[]>`
        INSERT INTO "Entitlement" ("id", "appId", "playerId", "productId", "orderId", "kind", "quantity", "expiresAt", "grantKey", "updatedAt")
        VALUES (gen_random_uuid(), ${order.appId}::uuid, ${order.playerId}, ${product.id}::uuid, ${order.id}::uuid,
                ${kind}::"EntitlementKind", 1,
                CASE WHEN ${durationSeconds}::int IS NULL THEN ${newExpiry}::timestamp
                     ELSE ${order.purchasedAt}::timestamp + make_interval(secs => ${durationSeconds}::int) END,
                ${grantKey}, now())
        ON CONFLICT ("appId", "grantKey") DO UPDATE SET
          "expiresAt" = CASE
            WHEN ${durationSeconds}::int IS NOT NULL THEN
              GREATEST(CASE WHEN "Entitlement"."revokedAt" IS NULL THEN "Entitlement"."expiresAt" END, ${order.purchasedAt}::timestamp)
                + make_interval(secs => ${durationSeconds}::int)
            WHEN "Entitlement"."revokedAt" IS NOT NULL THEN EXCLUDED."expiresAt"
            WHEN EXCLUDED."expiresAt" IS NULL OR "Entitlement"."expiresAt" IS NULL THEN NULL
            ELSE GREATEST("Entitlement"."expiresAt", EXCLUDED."expiresAt") END,
          "orderId" = CASE WHEN "Entitlement"."revokedAt" IS NOT NULL THEN EXCLUDED."orderId" ELSE "Entitlement"."orderId" END,
          "revokedAt" = NULL,
          "updatedAt" = now()
        RETURNING *`;
      const row = rows[0];
      if (!row) throw new Error('entitlement upsert returned no row');
      entitlement = row;
      // Store-priced access (Huya prepaid) is recomputed from all paid orders, so the
      // arrival order of their callbacks cannot change it (the upsert above took the row lock).
      if (durationSeconds !== null && this.#accessDurations.has(product.store)) {
        entitlement = await this.#replayPricedAccess(tx, entitlement, product);
      }
      if (row.expiresAt && !order.expiresAt) {
        order = await tx.order.update({ where: { id: order.id }, data: { expiresAt: row.expiresAt } });
      }
    }
    await events.append(tx, {
      appId: order.appId, orderId: order.id, playerId: order.playerId, type: OrderEventType.ORDER_DELIVERED, store: order.store,
      data: { entitlementId: entitlement.id, productId: product.id, sku: product.sku, quantity: order.quantity, storeOrderId: order.storeOrderId },
    });
    if (order.finishMode === 'SERVER') {
      this.#enqueuedTasks.add(events);
      await enqueueTask(tx, {
        appId: order.appId, kind: STORE_ACK_TASK, dedupeKey: `${STORE_ACK_TASK}:${order.id}`,
        payload: { orderId: order.id }, maxAttempts: 200,
      });
    }
    return { order, entitlement };
  }

  /** The entitlement's end replayed from the player's paid, non-revoked orders of `product`. */
  async #replayPricedAccess(tx: TransactionClient, entitlement: Entitlement, product: Product): Promise<Entitlement> {
    const paid = await tx.order.findMany({
      where: { appId: product.appId, productId: product.id, playerId: entitlement.playerId, status: { in: ['DELIVERED', 'FINISHED'] } },
      select: { storeOrderId: true, purchasedAt: true, verifiedPayload: true },
    });
    const periods: PaidPeriod[] = [];
    for (const order of paid) {
      const { accessDurationMs } = this.#pricing(product, order.verifiedPayload);
      if (accessDurationMs !== null) periods.push({ at: order.purchasedAt, durationMs: accessDurationMs, key: order.storeOrderId });
    }
    const expiresAt = replayAccess(periods);
    if (expiresAt === null || expiresAt.getTime() === entitlement.expiresAt?.getTime()) return entitlement;
    return tx.entitlement.update({ where: { id: entitlement.id }, data: { expiresAt } });
  }

  /**
   * A subscription order's grant: ONE entitlement per subscription (grantKey
   * "subscription:<storeAccountId>:<key>"), created by its first order; every later
   * order (a renewal) only moves its expiry, which is the latest period end among the
   * subscription's orders not revoked.
   */
  async #grantSubscription(
    tx: TransactionClient,
    events: EventBuffer,
    order: Order,
    product: Product,
  ): Promise<{ order: Order; entitlement: Entitlement }> {
    const key = order.subscriptionKey!;
    const grantKey = subscriptionGrantKey(order.storeAccountId, key);
    // Never open-ended: without a stated period end, access ends at the purchase.
    const inserted = await tx.$queryRaw<Entitlement[]>`
      INSERT INTO "Entitlement" ("id", "appId", "playerId", "productId", "orderId", "kind", "quantity", "expiresAt", "grantKey", "updatedAt")
      VALUES (gen_random_uuid(), ${order.appId}::uuid, ${order.playerId}, ${product.id}::uuid, ${order.id}::uuid,
              'EXPIRING'::"EntitlementKind", 1, ${order.expiresAt ?? order.purchasedAt}::timestamp, ${grantKey}, now())
      ON CONFLICT ("appId", "grantKey") DO NOTHING
      RETURNING *`;
    const settled = await this.#settleSubscription(tx, order.appId, order.storeAccountId, key, order.purchasedAt);
    const entitlement = settled.entitlement ?? inserted[0]!;
    if (inserted[0]) {
      await events.append(tx, {
        appId: order.appId, orderId: order.id, playerId: order.playerId, type: OrderEventType.ORDER_DELIVERED,
        data: {
          entitlementId: entitlement.id, productId: product.id, sku: product.sku, quantity: order.quantity,
          storeOrderId: order.storeOrderId, subscriptionKey: key, expiresAt: entitlement.expiresAt?.toISOString() ?? null,
        },
      });
    } else {
      await events.append(tx, {
        appId: order.appId, orderId: order.id, playerId: order.playerId, type: OrderEventType.ORDER_RENEWED,
        data: {
          entitlementId: entitlement.id, storeOrderId: order.storeOrderId, subscriptionKey: key,
          expiresAt: entitlement.expiresAt?.toISOString() ?? null, reason: 'RENEWAL_ORDER',
        },
      });
    }
    if (order.finishMode === 'SERVER') {
      this.#enqueuedTasks.add(events);
      await enqueueTask(tx, {
        appId: order.appId, kind: STORE_ACK_TASK, dedupeKey: `${STORE_ACK_TASK}:${order.id}`,
        payload: { orderId: order.id }, maxAttempts: 200,
      });
    }
    return { order, entitlement };
  }

  /**
   * Re-derives a subscription's entitlement from its orders: expiry = the latest period
   * end among orders not revoked; revoked when none is left. Never re-activates a
   * revoked subscription entitlement (a store revocation is final).
   */
  async #settleSubscription(
    tx: TransactionClient,
    appId: string,
    storeAccountId: string,
    key: string,
    revokedAt: Date,
  ): Promise<{ entitlement: Entitlement | null; revoked: boolean }> {
    const grantKey = subscriptionGrantKey(storeAccountId, key);
    const rows = await tx.$queryRaw<(Entitlement & { live: bigint })[]>`
      WITH live AS (
        SELECT max(o."expiresAt") AS "endsAt", count(*) AS "live" FROM "Order" o
         WHERE o."storeAccountId" = ${storeAccountId}::uuid AND o."subscriptionKey" = ${key}
           AND o."status" IN ('DELIVERED', 'FINISHED'))
      UPDATE "Entitlement" e SET
        "expiresAt" = COALESCE(live."endsAt", e."expiresAt"),
        "revokedAt" = CASE WHEN live."live" = 0 THEN ${revokedAt}::timestamp ELSE e."revokedAt" END,
        "updatedAt" = now()
        FROM live
       WHERE e."appId" = ${appId}::uuid AND e."grantKey" = ${grantKey} AND e."revokedAt" IS NULL
      RETURNING e.*, live."live"`;
    const row = rows[0];
    if (!row) return { entitlement: await tx.entitlement.findUnique({ where: { appId_grantKey: { appId, grantKey } } }), revoked: false };
    const { live, ...entitlement } = row;
    return { entitlement, revoked: Number(live) === 0 };
  }

  /**
   * Records what the store says about one subscription, in one transaction: each of its
   * orders once (the first grants, renewals move the same entitlement), later period
   * ends of known orders (a renewal date moved), revocations, and — when the store
   * revoked the whole subscription — the entitlement withdrawn.
   */
  async recordSubscription(input: {
    account: PurchaseAccount;
    playerId: string;
    key: string;
    orders: readonly VerifiedPurchase[];
    revocation: { at: Date; reason: string } | null;
  }): Promise<RecordSubscriptionResult> {
    return this.#transaction(
      (tx, events) => this.recordSubscriptionInTransaction(tx, events, input),
      (events) => this.#enqueuedTasks.has(events),
    );
  }

  async recordSubscriptionInTransaction(
    tx: TransactionClient,
    events: EventBuffer,
    input: {
      account: PurchaseAccount;
      playerId: string;
      key: string;
      orders: readonly VerifiedPurchase[];
      revocation: { at: Date; reason: string } | null;
    },
  ): Promise<RecordSubscriptionResult> {
    const { account, playerId, key } = input;
    // One subscription's orders serialize across submissions, notifications and sweeps.
    await this.lockStoreOrder(tx, account.id, `subscription:${key}`);
    const grantKey = subscriptionGrantKey(account.id, key);
    const existing = await tx.entitlement.findUnique({ where: { appId_grantKey: { appId: account.appId, grantKey } } });
    if (existing && existing.playerId !== playerId) throw new ConflictError('This subscription was already recorded for another player');
    const results: RecordPurchaseResult[] = [];
    let moved = false;
    for (const purchase of input.orders) {
      const result = await this.recordPurchaseInTransaction(tx, events, { account, playerId, purchase: { ...purchase, subscription: { key } } });
      results.push(result);
      const known = result.order;
      if (!result.newlyDelivered && purchase.expiresAt && known.status !== 'REVOKED'
          && (known.expiresAt === null || purchase.expiresAt.getTime() > known.expiresAt.getTime())) {
        // The store moved this order's period end (renewal date postponed): later only.
        results[results.length - 1] = {
          ...result,
          order: await tx.order.update({ where: { id: known.id }, data: { expiresAt: purchase.expiresAt } }),
        };
        moved = true;
      }
    }
    const last = results.at(-1)?.order ?? null;
    if (moved && last) {
      const settled = await this.#settleSubscription(tx, account.appId, account.id, key, new Date());
      if (settled.entitlement && !settled.entitlement.revokedAt) {
        await events.append(tx, {
          appId: account.appId, orderId: last.id, playerId, type: OrderEventType.ORDER_RENEWED,
          data: { expiresAt: settled.entitlement.expiresAt?.toISOString() ?? null, subscriptionKey: key, reason: 'PERIOD_END_MOVED' },
        });
      }
    }
    if (input.revocation) {
      const withdrawn = await tx.entitlement.updateMany({
        where: { appId: account.appId, grantKey, revokedAt: null },
        data: { revokedAt: input.revocation.at },
      });
      if (withdrawn.count > 0) {
        await events.append(tx, {
          appId: account.appId, orderId: last?.id ?? null, playerId, type: OrderEventType.ORDER_REVOKED,
          data: { reason: input.revocation.reason, entitlementsRevoked: withdrawn.count, subscriptionKey: key },
        });
      }
    }
    const entitlement = await tx.entitlement.findUnique({ where: { appId_grantKey: { appId: account.appId, grantKey } } });
    return { orders: results, entitlement, newlyDelivered: existing === null && entitlement !== null && results.some((r) => r.newlyDelivered) };
  }

  /** The player a store subscription was first recorded for, if it was. */
  async subscriptionOwner(appId: string, storeAccountId: string, key: string): Promise<string | null> {
    const entitlement = await this.#prisma.entitlement.findUnique({
      where: { appId_grantKey: { appId, grantKey: subscriptionGrantKey(storeAccountId, key) } },
      select: { playerId: true },
    });
    if (entitlement) return entitlement.playerId;
    const order = await this.#prisma.order.findFirst({ where: { storeAccountId, subscriptionKey: key }, select: { playerId: true } });
    return order?.playerId ?? null;
  }

  /** Delivers orders that arrived before their product existed. Safe to call repeatedly. */
  async deliverAwaitingOrders(product: Product): Promise<number> {
    const waiting = await this.#prisma.order.findMany({
      where: { appId: product.appId, store: product.store, storeProductId: product.storeProductId, status: 'AWAITING_PRODUCT' },
      select: { id: true },
    });
    let delivered = 0;
    for (const { id } of waiting) {
      const done = await this.transaction(async (tx, events) => {
        const pending = await tx.order.findUnique({ where: { id } });
        if (pending?.status !== 'AWAITING_PRODUCT') return false;
        const pricing = this.#pricing(product, pending.verifiedPayload);
        if (!pricing.deliverable) return false; // e.g. a Huya level this product does not list: keeps waiting
        const now = new Date();
        // As in recordPurchase: with no store-side finish step, delivered is finished.
        const finished = pending.finishMode === 'NONE';
        const claimed = await tx.order.updateMany({
          where: { id, status: 'AWAITING_PRODUCT' },
          data: {
            status: finished ? 'FINISHED' : 'DELIVERED',
            productId: product.id,
            productType: product.type,
            deliveredAt: now,
            finishedAt: finished ? now : null,
          },
        });
        if (claimed.count === 0) return false;
        const order = await tx.order.findUniqueOrThrow({ where: { id } });
        await this.#grant(tx, events, order, product, pricing.accessDurationMs);
        return true;
      });
      if (done) delivered++;
    }
    return delivered;
  }

  /** Records that the store-side finish step completed. Idempotent. */
  async markFinished(orderId: string, by: 'SERVER' | 'CLIENT'): Promise<Order> {
    return this.transaction(async (tx, events) => {
      const changed = await tx.order.updateMany({
        where: { id: orderId, status: 'DELIVERED' },
        data: { status: 'FINISHED', finishedAt: new Date() },
      });
      const order = await tx.order.findUniqueOrThrow({ where: { id: orderId } });
      if (changed.count === 1) {
        await events.append(tx, {
          appId: order.appId, orderId, playerId: order.playerId, type: OrderEventType.ORDER_FINISHED, store: order.store, data: { by },
        });
      }
      return order;
    });
  }

  /** Revokes an order (refund) and withdraws what it granted. Idempotent. */
  async revokeOrder(orderId: string, revocation: { at: Date; reason: string }): Promise<Order> {
    return this.transaction(async (tx, events) => {
      const order = await tx.order.findUniqueOrThrow({ where: { id: orderId } });
      if (order.status === 'REVOKED') return order;
      return this.#revokeInTx(tx, events, order, revocation);
    });
  }

  async #revokeInTx(
    tx: TransactionClient,
    events: EventBuffer,
    order: Order,
    revocation: { at: Date; reason: string },
  ): Promise<Order> {
    const changed = await tx.order.updateMany({
      where: { id: order.id, status: { not: 'REVOKED' } },
      data: { status: 'REVOKED', revokedAt: revocation.at, revocationReason: revocation.reason },
    });
    if (changed.count === 0) return tx.order.findUniqueOrThrow({ where: { id: order.id } });
    if (order.subscriptionKey !== null) {
      // One order of a subscription (a refunded renewal, say): the subscription's access
      // shrinks to the orders still paid for, and ends only when none is left.
      const { revoked } = await this.#settleSubscription(tx, order.appId, order.storeAccountId, order.subscriptionKey, revocation.at);
      await events.append(tx, {
        appId: order.appId, orderId: order.id, playerId: order.playerId, type: OrderEventType.ORDER_REVOKED,
        data: { reason: revocation.reason, entitlementsRevoked: revoked ? 1 : 0, subscriptionKey: order.subscriptionKey },
      });
      return tx.order.findUniqueOrThrow({ where: { id: order.id } });
    }
    // Withdraw the order's own grant, and for shared (permanent/expiring) access the
    // player's entitlement to the product: nothing stays granted after a revocation.
    const withdrawn = await tx.entitlement.updateMany({
      where: {
        appId: order.appId,
        revokedAt: null,
        OR: [
          { orderId: order.id },
          ...(order.productId ? [{ grantKey: `product:${order.productId}:player:${order.playerId}` }] : []),
        ],
      },
      data: { revokedAt: revocation.at },
    });
    await events.append(tx, {
      appId: order.appId, orderId: order.id, playerId: order.playerId, type: OrderEventType.ORDER_REVOKED, store: order.store,
      data: { reason: revocation.reason, entitlementsRevoked: withdrawn.count },
    });
    return tx.order.findUniqueOrThrow({ where: { id: order.id } });
  }

  /**
   * Processes a store notification exactly once: records it by the store's id (dedupe)
   * and runs `work` in the same transaction, so a 200 answer means the work is durable
   * and a redelivery does nothing. Network calls (status queries) belong before this.
   * Returns false for a notification already processed.
   */
  async processNotification(
    notification: { storeAccountId: string; externalId: string; type: string; payload: unknown },
    work: (tx: TransactionClient, events: EventBuffer) => Promise<void>,
  ): Promise<boolean> {
    return this.transaction(async (tx, events) => {
      await tx.storeNotification.createMany({
        data: [
          {
            storeAccountId: notification.storeAccountId,
            externalId: notification.externalId,
            type: notification.type,
            payload: jsonSafe(notification.payload),
          },
        ],
        skipDuplicates: true,
      });
      // Lock the row: concurrent redeliveries wait here and then see processedAt.
      const [row] = await tx.$queryRaw<{ processedAt: Date | null }[]>`
        SELECT "processedAt" FROM "StoreNotification"
         WHERE "storeAccountId" = ${notification.storeAccountId}::uuid AND "externalId" = ${notification.externalId}
         FOR UPDATE`;
      if (row?.processedAt) return false;
      await work(tx, events);
      await tx.storeNotification.update({
        where: { storeAccountId_externalId: { storeAccountId: notification.storeAccountId, externalId: notification.externalId } },
        data: { processedAt: new Date() },
      });
      return true;
    });
  }

  /** Moves a subscription's (or time-limited order's) expiry: renewal, cancellation, expiry. */
  async updateExpiry(
    tx: TransactionClient,
    events: EventBuffer,
    orderId: string,
    expiresAt: Date,
    reason: string,
  ): Promise<Order> {
    const order = await tx.order.update({ where: { id: orderId }, data: { expiresAt } });
    if (order.productId) {
      await tx.entitlement.updateMany({
        where: { appId: order.appId, grantKey: `product:${order.productId}:player:${order.playerId}`, revokedAt: null },
        data: { expiresAt },
      });
    }
    await events.append(tx, {
      appId: order.appId, orderId, playerId: order.playerId, type: OrderEventType.ORDER_RENEWED,
      data: { expiresAt: expiresAt.toISOString(), reason },
    });
    return order;
  }

  /** The same as revokeOrder, inside a caller's transaction (notifications). */
  revokeInTransaction(tx: TransactionClient, events: EventBuffer, order: Order, revocation: { at: Date; reason: string }) {
    return this.#revokeInTx(tx, events, order, revocation);
  }

  /** Records a failed acknowledgement attempt as an event (dashboards show failures live). */
  async recordAckFailure(orderId: string, attempt: number, error: string): Promise<void> {
    await this.transaction(async (tx, events) => {
      const order = await tx.order.findUnique({ where: { id: orderId }, select: { appId: true, playerId: true, store: true } });
      if (!order) return;
      await events.append(tx, {
        appId: order.appId, orderId, playerId: order.playerId, type: OrderEventType.ORDER_ACK_FAILED, store: order.store,
        data: { attempt, error: error.slice(0, 500) },
      });
    });
  }
}

export interface RecordSubscriptionResult {
  /** One result per order, in the order given (the last is the subscription's latest). */
  orders: RecordPurchaseResult[];
  /** The subscription's one entitlement, once its product exists. */
  entitlement: Entitlement | null;
  /** True only for the call that created the entitlement. */
  newlyDelivered: boolean;
}

/** The one entitlement of a store subscription. */
export const subscriptionGrantKey = (storeAccountId: string, key: string): string => `subscription:${storeAccountId}:${key}`;

export function entitlementKind(type: ProductType): 'CONSUMABLE' | 'PERMANENT' | 'EXPIRING' {
  switch (type) {
    case 'CONSUMABLE':
      return 'CONSUMABLE';
    case 'NON_CONSUMABLE':
    case 'REVENUE_SHARE':
      return 'PERMANENT';
    case 'AUTO_RENEWABLE':
    case 'NON_RENEWING':
    case 'TIME_LIMITED':
      return 'EXPIRING';
  }
}

/** One store order belongs to the player it was first recorded for. */
function assertSamePlayer(order: Order, playerId: string): void {
  if (order.playerId !== playerId) throw new ConflictError('This purchase was already recorded for another player');
}

/** Throws the typed error for a purchase the store revoked (after it was recorded). */
export function assertNotRevoked(order: Order): void {
  if (order.status === 'REVOKED') {
    throw new PurchaseRevokedError(
      `The store revoked this purchase (${order.revocationReason ?? 'no reason given'}); it was recorded and not granted`,
      order.id,
    );
  }
}

// The verdict after the dust settles: for every paid purchase, read what the database
// and the fake store hold and check the promise — one order, one grant, each event once,
// acknowledged at the store once (repeats only where the store itself shrugs them off).
import type { PrismaClient } from '../../../src/platform/db.js';
import { STORE_ACK_TASK } from '../../../src/fulfilment/fulfilment.js';
import { sleep } from './api.js';
import type { ChaosPurchase, StoreDriver } from './stores.js';

export interface Verdict {
  purchases: number;
  purchasesByStore: Record<string, number>;
  /** Purchases with their one order, one grant and one ORDER_DELIVERED event. */
  delivered: number;
  /** Purchases whose store ZeroDrop must tell "delivered" (by its worker or its answer). */
  acknowledgeable: number;
  /** Of those: finished in the database and acknowledged at the store exactly once. */
  acknowledged: number;
  /** Purchases not delivered (no order, no grant or no event). */
  lost: number;
  /** Extra grants, events, orders or store-side effects. */
  duplicates: number;
  /** Finish requests the store answered "already done" (tolerated, counted). */
  idempotentStoreRepeats: number;
  /** The same, per store. */
  idempotentRepeatsByStore: Record<string, number>;
  /** Every violation, described. */
  problems: string[];
}

const SINGLE_EVENTS = ['ORDER_DELIVERED', 'ORDER_FINISHED'] as const;
const FORBIDDEN_EVENTS = ['ORDER_REVOKED', 'ORDER_AWAITING_PRODUCT'] as const;

export async function verifyPurchases(
  prisma: PrismaClient,
  appId: string,
  purchases: readonly ChaosPurchase[],
  drivers: ReadonlyMap<string, StoreDriver>,
): Promise<Verdict> {
  const purchasesByStore: Record<string, number> = {};
  for (const purchase of purchases) purchasesByStore[purchase.store] = (purchasesByStore[purchase.store] ?? 0) + 1;
  const verdict: Verdict = {
    purchases: purchases.length,
    purchasesByStore,
    delivered: 0,
    acknowledgeable: 0,
    acknowledged: 0,
    lost: 0,
    duplicates: 0,
    idempotentStoreRepeats: 0,
    idempotentRepeatsByStore: {},
    problems: [],
  };
  const [orders, entitlements, events, tasks, products] = await Promise.all([
    prisma.order.findMany({ where: { appId } }),
    prisma.entitlement.findMany({ where: { appId } }),
    prisma.orderEvent.groupBy({ by: ['orderId', 'type'], where: { appId }, _count: { _all: true } }),
    prisma.task.findMany({ where: { appId, kind: STORE_ACK_TASK } }),
    prisma.product.findMany({ where: { appId } }),
  ]);
  const orderByKey = new Map(orders.map((o) => [`${o.storeAccountId}/${o.storeOrderId}`, o]));
  const grantsByOrder = groupBy(entitlements, (e) => e.orderId);
  const entitlementByKey = new Map(entitlements.map((e) => [e.grantKey, e]));
  const eventCounts = new Map(events.map((e) => [`${e.orderId}/${e.type}`, e._count._all]));
  const taskByKey = new Map(tasks.map((t) => [t.dedupeKey, t]));
  const productById = new Map(products.map((p) => [p.id, p]));
  const problem = (purchase: ChaosPurchase, text: string) => verdict.problems.push(`${purchase.store} ${purchase.storeOrderId}: ${text}`);

  const storeSide = new Map<ChaosPurchase, { acknowledged: boolean; effects: number; idempotentRepeats: number }>();
  for (const [accountId, driver] of drivers) {
    const own = purchases.filter((p) => p.storeAccountId === accountId);
    driver.storeSide(own).forEach((ack, index) => storeSide.set(own[index]!, ack));
  }

  for (const purchase of purchases) {
    const order = orderByKey.get(`${purchase.storeAccountId}/${purchase.storeOrderId}`);
    if (!order) {
      verdict.lost += 1;
      problem(purchase, 'no order recorded (lost)');
      continue;
    }
    let delivered = true;
    let duplicated = false;
    if (order.playerId !== purchase.playerId) problem(purchase, `order belongs to ${order.playerId}, expected ${purchase.playerId}`);
    if (order.status !== 'DELIVERED' && order.status !== 'FINISHED') {
      delivered = false;
      problem(purchase, `order status ${order.status}`);
    }
    const wrongAnswers = purchase.answeredOrderIds.filter((id) => id !== order.id);
    if (wrongAnswers.length > 0) problem(purchase, `${wrongAnswers.length} answer(s) named another order (${wrongAnswers[0]})`);

    for (const type of SINGLE_EVENTS) {
      const count = eventCounts.get(`${order.id}/${type}`) ?? 0;
      if (count > 1) {
        duplicated = true;
        problem(purchase, `${count} ${type} events`);
      }
    }
    for (const type of FORBIDDEN_EVENTS) {
      if (eventCounts.has(`${order.id}/${type}`)) problem(purchase, `unexpected ${type} event`);
    }
    if (!eventCounts.has(`${order.id}/ORDER_DELIVERED`)) {
      delivered = false;
      problem(purchase, 'no ORDER_DELIVERED event');
    }

    const grant = purchase.grant;
    if (grant.kind === 'CONSUMABLE') {
      const grants = grantsByOrder.get(order.id) ?? [];
      if (grants.length !== 1) {
        if (grants.length === 0) delivered = false;
        else duplicated = true;
        problem(purchase, `${grants.length} grants for the order`);
      } else if (grants[0]!.quantity !== grant.quantity || grants[0]!.revokedAt) {
        problem(purchase, `grant of ${grants[0]!.quantity} (expected ${grant.quantity})${grants[0]!.revokedAt ? ', revoked' : ''}`);
      }
    } else {
      const product = order.productId ? productById.get(order.productId) : undefined;
      const entitlement = product ? entitlementByKey.get(`product:${product.id}:player:${order.playerId}`) : undefined;
      if (!entitlement || entitlement.revokedAt) {
        delivered = false;
        problem(purchase, entitlement ? 'entitlement revoked' : 'no entitlement');
      } else if (grant.kind === 'EXPIRING') {
        const grantedMs = (entitlement.expiresAt?.getTime() ?? 0) - order.purchasedAt.getTime();
        if (grantedMs > grant.durationMs) {
          duplicated = true;
          problem(purchase, `access extended by ${grantedMs} ms, expected ${grant.durationMs} ms (applied twice?)`);
        } else if (grantedMs < grant.durationMs) {
          problem(purchase, `access of ${grantedMs} ms, expected ${grant.durationMs} ms`);
        }
      }
    }

    if (purchase.ack !== 'client') {
      verdict.acknowledgeable += 1;
      const ack = storeSide.get(purchase) ?? { acknowledged: false, effects: 0, idempotentRepeats: 0 };
      verdict.idempotentStoreRepeats += ack.idempotentRepeats;
      verdict.idempotentRepeatsByStore[purchase.store] = (verdict.idempotentRepeatsByStore[purchase.store] ?? 0) + ack.idempotentRepeats;
      if (ack.effects > 1) {
        duplicated = true;
        problem(purchase, `acknowledged ${ack.effects} times at the store`);
      }
      // Worker acknowledgements also leave their trace here: the task done, the order FINISHED once.
      const task = taskByKey.get(`${STORE_ACK_TASK}:${order.id}`);
      const finishedByWorker =
        order.status === 'FINISHED' && (eventCounts.get(`${order.id}/ORDER_FINISHED`) ?? 0) === 1 && task?.status === 'DONE';
      const recorded = purchase.ack === 'answer' ? order.status === 'FINISHED' : finishedByWorker;
      if (ack.acknowledged && ack.effects === 1 && recorded) verdict.acknowledged += 1;
      else {
        problem(
          purchase,
          `acknowledgement incomplete: store ${ack.acknowledged ? 'acknowledged' : 'not acknowledged'}, order ${order.status}, task ${task?.status ?? 'none'}`,
        );
      }
    }
    if (delivered) verdict.delivered += 1;
    else verdict.lost += 1;
    if (duplicated) verdict.duplicates += 1;
  }

  const expectedKeys = new Set(purchases.map((p) => `${p.storeAccountId}/${p.storeOrderId}`));
  for (const order of orders) {
    if (!expectedKeys.has(`${order.storeAccountId}/${order.storeOrderId}`)) {
      verdict.duplicates += 1;
      verdict.problems.push(`unexpected order ${order.store} ${order.storeOrderId} (${order.id})`);
    }
  }
  return verdict;
}

/** True when no acknowledgement of this app is still waiting to run. */
export async function acknowledgementsSettled(prisma: PrismaClient, appId: string): Promise<boolean> {
  const open = await prisma.task.count({ where: { appId, kind: STORE_ACK_TASK, status: { not: 'DONE' } } });
  return open === 0;
}

/**
 * Waits until `check` holds (the system converged) and returns how long it took, or null
 * when it did not within `timeoutMs`. Database errors while waiting count as "not yet".
 */
export async function waitForConvergence(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await sleep(250);
  }
  return null;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

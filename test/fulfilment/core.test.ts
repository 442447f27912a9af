// The store-agnostic core through its public API: exactly-once across instances,
// revocation, and the durable task worker (leases, retries, restarts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/fulfilment/backoff.js';
import { enqueueTask, TaskWorker } from '../../src/fulfilment/tasks.js';
import { createLogger } from '../../src/platform/logger.js';
import type { VerifiedPurchase } from '../../src/providers/contract.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

let t: TestApp;
let tenant: Tenant;
let account: { id: string; appId: string; store: 'HUYA' };
const silent = createLogger('silent');

function purchase(storeOrderId: string, overrides: Partial<VerifiedPurchase> = {}): VerifiedPurchase {
  return {
    storeOrderId,
    storeProductId: 'sku-consumable',
    productType: null,
    quantity: 1,
    amountMinor: 100n,
    currency: 'CNY',
    purchaseToken: null,
    purchasedAt: new Date(),
    expiresAt: null,
    environment: 'SANDBOX',
    revocation: null,
    finishMode: 'NONE',
    finishParams: null,
    payload: { storeOrderId },
    ...overrides,
  };
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant();
  const created = await t.app.services.storeAccounts.create(tenant.appId, {
    store: 'HUYA',
    environment: 'SANDBOX',
    name: 'core',
    settings: { huyaAppId: 'app', extUuid: 'ext' },
    secrets: { extSecret: 'secret' },
  });
  account = { id: created.id, appId: tenant.appId, store: 'HUYA' };
  for (const [sku, type] of [['sku-consumable', 'CONSUMABLE'], ['sku-permanent', 'NON_CONSUMABLE'], ['sku-sub', 'AUTO_RENEWABLE']] as const) {
    await t.app.services.products.create(tenant.appId, { store: 'HUYA', sku, storeProductId: sku, type, name: sku });
  }
});
afterAll(() => t.close());

describe('recordPurchase', () => {
  it('yields one order and one grant when two instances record the same purchase concurrently', async () => {
    const second = await createTestApp({}, { database: t.database });
    try {
      const p = purchase('race-1');
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? second : t).app.services.fulfilment.recordPurchase({ account, playerId: 'p1', purchase: p })),
      );
      expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
      expect(results.filter((r) => r.newlyDelivered)).toHaveLength(1);
      const order = results[0]!.order;
      expect(await t.app.db.prisma.entitlement.count({ where: { orderId: order.id } })).toBe(1);
      expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id } })).toBe(1);
    } finally {
      await second.app.close();
    }
  });

  it('extends subscriptions to the later expiry and never shortens them', async () => {
    const now = Date.now();
    const later = new Date(now + 30 * 86_400_000);
    const sooner = new Date(now + 10 * 86_400_000);
    const f = t.app.services.fulfilment;
    await f.recordPurchase({ account, playerId: 'sub', purchase: purchase('sub-1', { storeProductId: 'sku-sub', expiresAt: later }) });
    await f.recordPurchase({ account, playerId: 'sub', purchase: purchase('sub-2', { storeProductId: 'sku-sub', expiresAt: sooner }) });
    const entitlements = await t.app.db.prisma.entitlement.findMany({ where: { playerId: 'sub' } });
    expect(entitlements).toHaveLength(1);
    expect(entitlements[0]!.expiresAt?.getTime()).toBe(later.getTime());
  });

  it('revokes an order and its grants exactly once; a revoked order is never granted again', async () => {
    const f = t.app.services.fulfilment;
    const { order } = await f.recordPurchase({ account, playerId: 'rev', purchase: purchase('rev-1', { storeProductId: 'sku-permanent' }) });
    const at = new Date();
    await Promise.all([f.revokeOrder(order.id, { at, reason: 'refund' }), f.revokeOrder(order.id, { at, reason: 'refund' })]);
    const again = await f.recordPurchase({ account, playerId: 'rev', purchase: purchase('rev-1', { storeProductId: 'sku-permanent' }) });
    expect(again.order.status).toBe('REVOKED');
    expect(again.newlyDelivered).toBe(false);
    const entitlement = await t.app.db.prisma.entitlement.findFirstOrThrow({ where: { playerId: 'rev' } });
    expect(entitlement.revokedAt).not.toBeNull();
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id, type: 'ORDER_REVOKED' } })).toBe(1);
    // A later, different purchase of the same product re-grants it.
    await f.recordPurchase({ account, playerId: 'rev', purchase: purchase('rev-2', { storeProductId: 'sku-permanent' }) });
    const regranted = await t.app.db.prisma.entitlement.findFirstOrThrow({ where: { playerId: 'rev' } });
    expect(regranted.revokedAt).toBeNull();
  });

  it('records a purchase that arrives already revoked without granting anything', async () => {
    const { order, newlyDelivered } = await t.app.services.fulfilment.recordPurchase({
      account,
      playerId: 'pre-revoked',
      purchase: purchase('rev-pre', { revocation: { at: new Date(), reason: 'USER_REFUND' } }),
    });
    expect(order.status).toBe('REVOKED');
    expect(newlyDelivered).toBe(false);
    expect(await t.app.db.prisma.entitlement.count({ where: { orderId: order.id } })).toBe(0);
  });
});

describe('task worker', () => {
  it('runs each task once across competing workers and records every attempt', async () => {
    const prisma = t.app.db.prisma;
    const runs = new Map<string, number>();
    const handler = async (task: { dedupeKey: string }) => {
      runs.set(task.dedupeKey, (runs.get(task.dedupeKey) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    };
    await prisma.$transaction(async (tx) => {
      for (let i = 0; i < 20; i++) await enqueueTask(tx, { appId: null, kind: 'test.once', dedupeKey: `once:${i}`, payload: {} });
      // the same key again is ignored
      await enqueueTask(tx, { appId: null, kind: 'test.once', dedupeKey: 'once:0', payload: {} });
    });
    const workers = [1, 2, 3].map(() => new TaskWorker({ prisma, logger: silent, kinds: { 'test.once': { handler } }, concurrency: 4 }));
    for (let round = 0; round < 10; round++) await Promise.all(workers.map((w) => w.runOnce()));
    expect(runs.size).toBe(20);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(await prisma.taskAttempt.count({ where: { task: { kind: 'test.once' } } })).toBe(20);
  });

  it('retakes a task whose worker died holding the lease, and marks tasks DEAD after maxAttempts', async () => {
    const prisma = t.app.db.prisma;
    await prisma.$transaction((tx) => enqueueTask(tx, { appId: null, kind: 'test.crash', dedupeKey: 'crash:1', payload: {}, maxAttempts: 3 }));
    // A worker that claims and then "dies": its lease is held until it expires.
    let claimed!: () => void;
    const claimedSignal = new Promise<void>((resolve) => (claimed = resolve));
    const dying = new TaskWorker({
      prisma,
      logger: silent,
      leaseMs: 1500,
      kinds: { 'test.crash': { handler: () => (claimed(), new Promise(() => {})) } },
    });
    const leaseTakenAt = Date.now();
    void dying.runOnce();
    await claimedSignal;
    let ran = 0;
    const healthy = new TaskWorker({ prisma, logger: silent, kinds: { 'test.crash': { handler: async () => void ran++ } } });
    if (Date.now() - leaseTakenAt < 1000) expect(await healthy.runOnce()).toBe(0); // lease still held
    await new Promise((r) => setTimeout(r, Math.max(0, leaseTakenAt + 1700 - Date.now())));
    expect(await healthy.runOnce()).toBe(1);
    expect(ran).toBe(1);
    expect((await prisma.task.findUniqueOrThrow({ where: { dedupeKey: 'crash:1' } })).status).toBe('DONE');

    await prisma.$transaction((tx) => enqueueTask(tx, { appId: null, kind: 'test.fail', dedupeKey: 'fail:1', payload: {}, maxAttempts: 3 }));
    const failing = new TaskWorker({ prisma, logger: silent, kinds: { 'test.fail': { handler: async () => { throw new Error('nope'); }, baseDelayMs: 1, capDelayMs: 2 } } });
    for (let i = 0; i < 20; i++) {
      await failing.runOnce();
      await new Promise((r) => setTimeout(r, 5));
    }
    const task = await prisma.task.findUniqueOrThrow({ where: { dedupeKey: 'fail:1' }, include: { attemptLog: true } });
    expect(task.status).toBe('DEAD');
    expect(task.attemptLog).toHaveLength(3);
    expect(task.lastError).toContain('nope');
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelayMs(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelayMs(30, 1000, 60_000, () => 0)).toBe(30_000);
  });
});

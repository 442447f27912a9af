// Huawei auto-renewable subscriptions (productType "2") and non-renewing products ("3")
// through app.fetch: one entitlement per subscription with Huawei's expiresTime, renewals
// as their own orders (by client sync, notification or sweep, in any interleaving),
// notifications as triggers, refunds only the sweep sees, confirm exactly once.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { huawei } from '../../src/providers/huawei/index.js';
import { FakeHuawei, type SignedSubscription } from '../helpers/fake-huawei.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createHuaweiAccount, createProduct, drainWorker, FinishPurchase, rowCounts, type HuaweiAccountIds } from './setup.js';

const SyncPurchases = graphql(`
  mutation HuaweiSubscriptionSync($input: SyncPurchasesInput!) {
    syncPurchases(input: $input) {
      __typename
      ... on SyncPurchasesPayload { items { index newlyDelivered order { id status expiresAt } error { code message } } }
      ... on Error { code message }
    }
  }
`);

const DAY = 86_400_000;
/** The reconciliation sweep of this app's Huawei store module. */
const sweepOf = (t: TestApp) => t.app.services.stores.flowsOf(huawei).sweep;
let fake: FakeHuawei;

beforeAll(async () => {
  fake = await FakeHuawei.start();
});
afterAll(() => fake.close());

function webhook(t: TestApp, account: HuaweiAccountIds, body: string) {
  return t.app.fetch(new Request(`http://zerodrop.test${account.webhookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
}

async function entitlementsOf(t: TestApp, tenant: Tenant, playerId: string) {
  return t.app.db.prisma.entitlement.findMany({ where: { appId: tenant.appId, playerId } });
}

describe('subscriptions from the client (no server credentials)', () => {
  let t: TestApp;
  let tenant: Tenant;
  let account: HuaweiAccountIds;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant();
    account = await createHuaweiAccount(t, tenant, fake, { withCredentials: false });
    await createProduct(t, tenant, { sku: 'vip', storeProductId: 'vip_monthly', type: 'AUTO_RENEWABLE' });
    await createProduct(t, tenant, { sku: 'pass', storeProductId: 'season_pass', type: 'NON_RENEWING' });
  });
  afterAll(() => t.close());

  const finish = (purchaseData: string, playerId: string) => t.gql(FinishPurchase, { input: { purchaseData, playerId } }, { key: tenant.serverKey });
  const sync = (purchaseDataList: string[], playerId: string) =>
    t.gql(SyncPurchases, { input: { purchaseDataList, playerId } }, { key: tenant.serverKey });

  it('a subscription purchase grants one entitlement that expires at Huawei’s expiresTime', async () => {
    const subscription = await fake.subscribe();
    const res = await finish(subscription.purchaseData, 'sub-alice');
    expect(res.data?.finishPurchase).toMatchObject({
      __typename: 'HuaweiDelivery',
      needsClientFinish: true,
      finishParams: { productType: 2, purchaseOrderId: subscription.purchaseOrderId, purchaseToken: subscription.purchaseToken },
      order: { status: 'DELIVERED', storeOrderId: subscription.purchaseOrderId, entitlements: [{ kind: 'EXPIRING' }] },
    });
    const [entitlement, ...others] = await entitlementsOf(t, tenant, 'sub-alice');
    expect(others).toEqual([]);
    expect(entitlement!.expiresAt?.getTime()).toBe(subscription.expiresTime);
    // The same purchaseData again (client retry, app start) changes nothing.
    const again = await finish(subscription.purchaseData, 'sub-alice');
    expect(again.data?.finishPurchase).toMatchObject({ __typename: 'HuaweiDelivery', order: { status: 'DELIVERED' } });
    expect(await entitlementsOf(t, tenant, 'sub-alice')).toHaveLength(1);
  });

  it('each renewal is its own order that moves the same entitlement, never a second grant', async () => {
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'sub-bob');
    fake.renew(subscription.subGroupGenerationId);
    fake.renew(subscription.subGroupGenerationId);
    const renewed = await fake.signSubscriptionStatus(subscription.subGroupGenerationId);
    const res = await sync([renewed.purchaseData, renewed.purchaseData], 'sub-bob');
    if (res.data?.syncPurchases.__typename !== 'SyncPurchasesPayload') throw new Error(JSON.stringify(res));
    expect(res.data.syncPurchases.items.map((item) => item.error)).toEqual([null, null]);
    const entitlements = await entitlementsOf(t, tenant, 'sub-bob');
    expect(entitlements).toHaveLength(1);
    expect(entitlements[0]!.expiresAt?.getTime()).toBe(renewed.expiresTime);
    expect(renewed.expiresTime).toBeGreaterThan(subscription.expiresTime + 50 * DAY);
    const orders = await t.app.db.prisma.order.findMany({ where: { appId: tenant.appId, playerId: 'sub-bob' }, orderBy: { seq: 'asc' } });
    expect(orders.map((o) => o.storeOrderId)).toEqual(fake.subscriptionOrderIds(subscription.subGroupGenerationId));
    expect(new Set(orders.map((o) => o.subscriptionKey))).toEqual(new Set([subscription.subGroupGenerationId]));
    const delivered = await t.app.db.prisma.orderEvent.count({ where: { appId: tenant.appId, playerId: 'sub-bob', type: 'ORDER_DELIVERED' } });
    const renewedEvents = await t.app.db.prisma.orderEvent.count({ where: { appId: tenant.appId, playerId: 'sub-bob', type: 'ORDER_RENEWED' } });
    expect({ delivered, renewedEvents }).toEqual({ delivered: 1, renewedEvents: 2 });
  });

  it('a subscription belongs to the player who bought it', async () => {
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'sub-carol');
    const stolen = await finish(subscription.purchaseData, 'sub-mallory');
    expect(stolen.data?.finishPurchase).toMatchObject({ __typename: 'ConflictError' });
    expect(await entitlementsOf(t, tenant, 'sub-mallory')).toEqual([]);
  });

  it('refuses forged or malformed subscription statuses with typed errors and writes nothing', async () => {
    const before = await rowCounts(t);
    const forged = JSON.stringify({ type: 2, jwsSubscriptionStatus: await fake.hostileToken('foreign-chain') });
    const tampered = await fake.subscribe();
    const [header, , signature] = tampered.jwsSubscriptionStatus.split('.');
    const payload = { ...tampered.payload, lastSubscriptionStatus: { ...(tampered.payload.lastSubscriptionStatus as object), expiresTime: Date.now() + 3650 * DAY } };
    const swapped = JSON.stringify({ type: 2, jwsSubscriptionStatus: `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}` });
    const noStatus = JSON.stringify({ type: 2, jwsSubscriptionStatus: await fake.signJws({ environment: 'SANDBOX', applicationId: fake.applicationId, subGroupId: 'g' }) });
    for (const purchaseData of [forged, swapped, noStatus, JSON.stringify({ type: 2 })]) {
      const res = await finish(purchaseData, 'sub-dave');
      expect(res.data?.finishPurchase).toMatchObject({ __typename: 'PurchaseVerificationError' });
    }
    expect(await rowCounts(t)).toEqual(before);
  });

  it('a bare jwsPurchaseOrder of a subscription is refused without credentials to read its status', async () => {
    const subscription = await fake.subscribe();
    const order = (subscription.payload.lastSubscriptionStatus as { lastPurchaseOrder: Record<string, unknown> }).lastPurchaseOrder;
    const res = await t.gql(FinishPurchase, { input: { jwsPurchaseOrder: await fake.signJws(order), playerId: 'sub-erin' } }, { key: tenant.serverKey });
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'MALFORMED_PURCHASE' });
  });

  it('without credentials a signed REVOKE revokes each order it lists, and a refunded renewal only shortens access', async () => {
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'sub-fay');
    const renewalId = fake.renew(subscription.subGroupGenerationId);
    await sync([(await fake.signSubscriptionStatus(subscription.subGroupGenerationId)).purchaseData], 'sub-fay');
    const gems = await Promise.all([fake.signPurchase(), fake.signPurchase()]);
    await createProduct(t, tenant, { sku: `gems-${randomBytes(2).toString('hex')}`, storeProductId: 'gems_100', type: 'CONSUMABLE' }).catch(() => null);
    for (const g of gems) await finish(g.purchaseData, 'sub-fay');
    // One refund notification naming a subscription renewal and two consumable orders in a nested list.
    const n = await fake.signNotification({
      notificationType: 'REVOKE',
      notificationSubtype: 'REFUND_TRANSACTION',
      metadata: {
        type: 0,
        refundOrderList: [renewalId, ...gems.map((g) => String(g.payload.purchaseOrderId))].map((purchaseOrderId) => ({ purchaseOrderId })),
      },
    });
    expect((await webhook(t, account, n.body)).status).toBe(200);
    const orders = await t.app.db.prisma.order.findMany({
      where: { storeOrderId: { in: [renewalId, ...gems.map((g) => String(g.payload.purchaseOrderId))] } },
    });
    expect(orders.map((o) => o.status)).toEqual(['REVOKED', 'REVOKED', 'REVOKED']);
    const [subscriptionAccess] = (await entitlementsOf(t, tenant, 'sub-fay')).filter((e) => e.kind === 'EXPIRING');
    expect(subscriptionAccess!.revokedAt).toBeNull();
    expect(subscriptionAccess!.expiresAt?.getTime()).toBe(subscription.expiresTime);
  });

  it('unknown notification types are recorded, answered 200 and visible as events', async () => {
    const n = await fake.signNotification({ notificationType: 'SOMETHING_NEW_IN_2027', notificationSubtype: 'WHATEVER' });
    const res = await webhook(t, account, n.body);
    expect(res.status).toBe(200);
    expect(await t.app.db.prisma.storeNotification.count({ where: { externalId: n.notificationRequestId } })).toBe(1);
    const events = await t.app.db.prisma.orderEvent.findMany({ where: { appId: tenant.appId, type: 'NOTIFICATION_RECORDED' } });
    expect(events.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ notificationType: 'SOMETHING_NEW_IN_2027', outcome: 'UNKNOWN_TYPE', notificationRequestId: n.notificationRequestId }),
    );
  });

  it('non-renewing products last as long as Huawei’s order says, and are never granted without an end', async () => {
    const purchaseTime = Date.UTC(2026, 0, 15, 12);
    const withDuration = await fake.signPurchase({ productId: 'season_pass', productType: '3', purchaseTime, duration: 'P1M' });
    const res = await finish(withDuration.purchaseData, 'sub-gus');
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'HuaweiDelivery', finishParams: { productType: 3 } });
    const [pass] = await entitlementsOf(t, tenant, 'sub-gus');
    // A calendar month (31 days from 15 January), not a fixed 30 days.
    expect(pass!.expiresAt?.toISOString()).toBe(new Date(Date.UTC(2026, 1, 15, 12)).toISOString());
    const without = await fake.signPurchase({ productId: 'season_pass', productType: '3' });
    const waiting = await finish(without.purchaseData, 'sub-hal');
    expect(waiting.data?.finishPurchase).toMatchObject({ order: { status: 'AWAITING_PRODUCT', entitlements: [] } });
  });
});

describe('subscriptions with server credentials', () => {
  const masterKey = randomBytes(32).toString('base64');
  let t: TestApp;
  let tenant: Tenant;
  let account: HuaweiAccountIds;
  beforeAll(async () => {
    t = await createTestApp({ ZERODROP_MASTER_KEY: masterKey, HUAWEI_SWEEP_PACE_MS: '0' });
    tenant = await t.createTenant();
    account = await createHuaweiAccount(t, tenant, fake, { withCredentials: true });
    await createProduct(t, tenant, { sku: 'vip', storeProductId: 'vip_monthly', type: 'AUTO_RENEWABLE' });
    await createProduct(t, tenant, { sku: 'gems', storeProductId: 'gems_100', type: 'CONSUMABLE' });
  });
  afterAll(() => t.close());

  const finish = (purchaseData: string, playerId: string) => t.gql(FinishPurchase, { input: { purchaseData, playerId } }, { key: tenant.serverKey });
  const entitlementOf = async (playerId: string) => {
    const all = await entitlementsOf(t, tenant, playerId);
    expect(all).toHaveLength(1);
    return all[0]!;
  };

  it('confirms a subscription order with the subscription endpoint exactly once, across a restart', async () => {
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'cred-ann');
    await t.app.close();
    const restarted = await createTestApp({ ZERODROP_MASTER_KEY: masterKey, HUAWEI_SWEEP_PACE_MS: '0' }, { database: t.database });
    try {
      await drainWorker(restarted, async () => fake.isConfirmed(subscription.purchaseOrderId));
      // Run the worker again: nothing is left to confirm.
      await restarted.app.worker.runOnce();
      expect(fake.confirmAttempts(subscription.purchaseOrderId)).toBe(1);
      const confirms = fake.requests.filter((r) => r.body?.purchaseOrderId === subscription.purchaseOrderId && r.path.includes('shipped/confirm'));
      expect(confirms.map((r) => r.path)).toEqual(['/subscription/harmony/v1/application/purchase/shipped/confirm']);
      const order = await restarted.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: subscription.purchaseOrderId } });
      expect(order.status).toBe('FINISHED');
    } finally {
      await restarted.app.close();
      t = await createTestApp({ ZERODROP_MASTER_KEY: masterKey, HUAWEI_SWEEP_PACE_MS: '0' }, { database: t.database });
    }
  });

  it('a renewal notification is a trigger: the subscription status query decides the new expiry', async () => {
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'cred-ben');
    const renewalId = fake.renew(subscription.subGroupGenerationId);
    const n = await fake.signNotification({ notificationType: 'DID_NEW_TRANSACTION', notificationSubtype: 'DID_RENEW', purchaseOrderId: renewalId });
    expect((await webhook(t, account, n.body)).status).toBe(200);
    expect((await entitlementOf('cred-ben')).expiresAt?.getTime()).toBe(fake.expiresTime(subscription.subGroupGenerationId));
    const statusQueries = fake.requests.filter((r) => r.path === '/subscription/harmony/v1/application/subscription/status/query' && r.body?.purchaseOrderId === renewalId);
    expect(statusQueries).toHaveLength(1);
  });

  it('a REVOKE notification that the status query contradicts changes nothing', async () => {
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'cred-cat');
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData, 'cred-cat');
    const before = await t.app.db.prisma.order.findMany({ where: { appId: tenant.appId, playerId: 'cred-cat' }, orderBy: { seq: 'asc' } });
    const entitlementsBefore = await entitlementsOf(t, tenant, 'cred-cat');
    for (const purchaseOrderId of [subscription.purchaseOrderId, String(payload.purchaseOrderId)]) {
      const n = await fake.signNotification({ notificationType: 'REVOKE', notificationSubtype: 'REFUND_TRANSACTION', purchaseOrderId });
      expect((await webhook(t, account, n.body)).status).toBe(200);
    }
    const after = await t.app.db.prisma.order.findMany({ where: { appId: tenant.appId, playerId: 'cred-cat' }, orderBy: { seq: 'asc' } });
    expect(after.map((o) => [o.status, o.revokedAt])).toEqual(before.map((o) => [o.status, o.revokedAt]));
    expect(await entitlementsOf(t, tenant, 'cred-cat')).toEqual(entitlementsBefore);
    const recorded = await t.app.db.prisma.orderEvent.findMany({ where: { appId: tenant.appId, playerId: 'cred-cat', type: 'NOTIFICATION_RECORDED' } });
    expect(recorded.map((e) => (e.data as { outcome: string }).outcome)).toEqual(['CONTRADICTED_BY_STATUS_QUERY', 'CONTRADICTED_BY_STATUS_QUERY']);
  });

  it('a refund Huawei never notified is revoked by the reconciliation sweep, which records its run', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData, 'cred-dan');
    const subscription = await fake.subscribe();
    await finish(subscription.purchaseData, 'cred-dan');
    fake.refund(String(payload.purchaseOrderId));
    fake.revokeSubscription(subscription.subGroupGenerationId);
    // The sweep is a task: scheduled once per slot, whichever instance runs it.
    await sweepOf(t).ensureScheduled();
    await sweepOf(t).ensureScheduled();
    const slotTasks = await t.app.db.prisma.task.findMany({ where: { kind: 'huawei.sweep', status: 'PENDING', runAt: { lte: new Date() } } });
    expect(slotTasks).toHaveLength(1);
    await drainWorker(t, async () => (await t.app.db.prisma.task.count({ where: { id: slotTasks[0]!.id, status: 'DONE' } })) === 1, 30_000);
    const consumable = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: String(payload.purchaseOrderId) }, include: { entitlements: true } });
    expect(consumable.status).toBe('REVOKED');
    expect(consumable.entitlements.every((e) => e.revokedAt !== null)).toBe(true);
    const access = (await entitlementsOf(t, tenant, 'cred-dan')).find((e) => e.kind === 'EXPIRING');
    expect(access?.revokedAt).not.toBeNull();
    const run = await t.app.db.prisma.orderEvent.findFirstOrThrow({ where: { appId: tenant.appId, type: 'RECONCILIATION_RUN' }, orderBy: { id: 'desc' } });
    expect((run.data as { findings: { storeOrderId: string; outcome: string }[] }).findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ storeOrderId: String(payload.purchaseOrderId), outcome: 'REVOKED' }),
        expect.objectContaining({ storeOrderId: subscription.purchaseOrderId, outcome: 'REVOKED' }),
      ]),
    );
    // The run scheduled the next slot.
    expect(await t.app.db.prisma.task.count({ where: { kind: 'huawei.sweep', status: 'PENDING', runAt: { gt: new Date() } } })).toBe(1);
  });

  it('renewals by client sync, notification and sweep, in any interleaving, end at the store’s latest expiresTime, granted once', async () => {
    type Step = 'renew' | 'sync' | 'notify' | 'sweep';
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Step>('renew', 'sync', 'notify', 'sweep'), { minLength: 1, maxLength: 8 }), async (steps) => {
        run += 1;
        const playerId = `prop-${run}-${randomBytes(3).toString('hex')}`;
        const subscription: SignedSubscription = await fake.subscribe();
        const generation = subscription.subGroupGenerationId;
        await finish(subscription.purchaseData, playerId);
        // Reference model: what the store says, and what we must show after each read of it.
        let expected = subscription.expiresTime;
        for (const step of steps) {
          if (step === 'renew') {
            fake.renew(generation, { periodMs: 7 * DAY });
            continue;
          }
          if (step === 'sync') {
            const status = await fake.signSubscriptionStatus(generation);
            await t.gql(SyncPurchases, { input: { purchaseDataList: [status.purchaseData], playerId } }, { key: tenant.serverKey });
          } else if (step === 'notify') {
            const latest = fake.subscriptionOrderIds(generation).at(-1)!;
            const n = await fake.signNotification({ notificationType: 'DID_NEW_TRANSACTION', notificationSubtype: 'DID_RENEW', purchaseOrderId: latest });
            expect((await webhook(t, account, n.body)).status).toBe(200);
          } else {
            await sweepOf(t).run();
          }
          expected = fake.expiresTime(generation);
          expect((await entitlementOf(playerId)).expiresAt?.getTime()).toBe(expected);
        }
        const entitlement = await entitlementOf(playerId);
        expect(entitlement.expiresAt?.getTime()).toBe(expected);
        expect(entitlement.revokedAt).toBeNull();
        const delivered = await t.app.db.prisma.orderEvent.count({ where: { appId: tenant.appId, playerId, type: 'ORDER_DELIVERED' } });
        expect(delivered).toBe(1);
        const orders = await t.app.db.prisma.order.findMany({ where: { appId: tenant.appId, playerId }, select: { storeOrderId: true } });
        const storeOrders = fake.subscriptionOrderIds(generation);
        // Every order recorded at most once, and only orders Huawei has.
        expect(new Set(orders.map((o) => o.storeOrderId)).size).toBe(orders.length);
        expect(orders.every((o) => storeOrders.includes(o.storeOrderId))).toBe(true);
      }),
      { numRuns: 10 },
    );
  }, 240_000);
});

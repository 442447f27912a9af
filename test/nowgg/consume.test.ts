// consumePurchase against a real local now.gg: verify, grant once, consume (or acknowledge)
// through the task worker, and tell the client what to do for amazon/huawei purchases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { graphql } from '../gql/index.js';
import { ConsumePurchase, createNowggAccount, createProduct, drainWorker, rowCounts, type NowggAccountIds } from './setup.js';

let fake: FakeNowgg;
let t: TestApp;
let tenant: Tenant;
let account: NowggAccountIds;

beforeAll(async () => {
  fake = await FakeNowgg.start();
  t = await createTestApp();
  tenant = await t.createTenant('nowgg');
  account = await createNowggAccount(t, tenant, fake);
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  await createProduct(t, tenant, { sku: 'vip_monthly', storeProductId: 'vip_monthly', type: 'AUTO_RENEWABLE' });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

interface ConsumeInput {
  purchaseToken: string;
  productId: string;
  currency?: string;
  developerPayload?: string;
  type?: 'NOWGG' | 'XIAOMI' | 'ONESTORE' | 'AMAZON' | 'HUAWEI';
  playerId?: string;
  storeAccountId?: string;
}
const consume = (input: ConsumeInput) => t.gql(ConsumePurchase, { input: { playerId: 'player-1', ...input } }, { key: tenant.serverKey });

async function delivered(input: ConsumeInput) {
  const res = await consume(input);
  const payload = res.data?.consumePurchase;
  if (payload?.__typename !== 'ConsumePurchasePayload') throw new Error(JSON.stringify(res));
  return payload;
}

const orderRow = (storeOrderId: string) => t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId } });
const isFinished = (storeOrderId: string) => async () => (await orderRow(storeOrderId)).status === 'FINISHED';

describe('consumePurchase for now.gg purchases', () => {
  it('verifies with now.gg, grants once, then consumes server-side through the worker', async () => {
    const token = fake.addPurchase({ productId: 'gems_100', amount: '25.15', currency: 'USD' });
    const { orderId } = fake.purchase(token);
    const payload = await delivered({ purchaseToken: token, productId: 'gems_100', currency: 'USD' });
    expect(payload).toMatchObject({
      newlyDelivered: true,
      needsClientFinish: false,
      clientFinish: null,
      order: {
        status: 'DELIVERED',
        finishMode: 'SERVER',
        storeOrderId: orderId,
        playerId: 'player-1',
        price: { amountMinor: '2515', currency: 'USD' },
        entitlements: [{ kind: 'CONSUMABLE', quantity: 100 }],
      },
    });
    // Verification used the real protocol: form-encoded, raw key.
    const verify = fake.requests.find((r) => r.path === '/v2/seller/order/verifyPurchase' && r.form.purchaseToken === token);
    expect(verify).toMatchObject({ authorization: fake.paymentsApiKey, contentType: 'application/x-www-form-urlencoded' });

    await drainWorker(t, isFinished(orderId));
    expect(fake.purchase(token).consumeCount).toBe(1);
    const events = await t.app.db.prisma.orderEvent.findMany({ where: { orderId: (await orderRow(orderId)).id }, orderBy: { id: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['ORDER_DELIVERED', 'ORDER_FINISHED']);

    const again = await delivered({ purchaseToken: token, productId: 'gems_100', storeAccountId: account.globalId });
    expect(again).toMatchObject({ newlyDelivered: false, order: { id: payload.order.id, status: 'FINISHED' } });
  });

  it('records, grants and consumes exactly once across 20 concurrent submissions', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    const { orderId } = fake.purchase(token);
    const answers = await Promise.all(Array.from({ length: 20 }, () => delivered({ purchaseToken: token, productId: 'gems_100' })));
    expect(new Set(answers.map((a) => a.order.id)).size).toBe(1);
    expect(answers.filter((a) => a.newlyDelivered)).toHaveLength(1);

    const orders = await t.app.db.prisma.order.findMany({ where: { storeOrderId: orderId }, include: { entitlements: true } });
    expect(orders).toHaveLength(1);
    expect(orders[0]!.entitlements).toHaveLength(1);
    expect(await t.app.db.prisma.task.count({ where: { dedupeKey: `store.ack:${orders[0]!.id}` } })).toBe(1);

    // Two workers racing (this instance and a second poll) still consume once.
    await Promise.all([t.app.worker.runOnce(), t.app.worker.runOnce()]);
    await drainWorker(t, isFinished(orderId));
    expect(fake.purchase(token).consumeCount).toBe(1);
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: orders[0]!.id, type: 'ORDER_DELIVERED' } })).toBe(1);
  });

  it('keeps the order DELIVERED with a pending task through a now.gg outage, then consumes once', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    const { orderId } = fake.purchase(token);
    await delivered({ purchaseToken: token, productId: 'gems_100' });

    fake.failNext(1, { kind: 'http-error', status: 503 });
    fake.failNext(1, { kind: 'reset' });
    fake.failNext(1, { kind: 'not-json' });
    fake.failNext(1, { kind: 'code', code: 5014 });
    fake.failNext(1, { kind: 'code', code: 3900 }); // a key being rotated: retried until it works again
    fake.failNext(1, { kind: 'code', code: 3800 }); // re-verified as not consumed, so still a failure
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      await drainWorker(t, async () => (await t.app.db.prisma.taskAttempt.count({ where: { task: { dedupeKey: `store.ack:${(await orderRow(orderId)).id}` } } })) >= attempt);
      const order = await orderRow(orderId);
      expect(order.status).toBe('DELIVERED');
      const task = await t.app.db.prisma.task.findUniqueOrThrow({ where: { dedupeKey: `store.ack:${order.id}` } });
      expect(task.status).toBe('PENDING');
      expect(await t.app.db.prisma.entitlement.count({ where: { orderId: order.id, revokedAt: null } })).toBe(1);
    }
    const task = await t.app.db.prisma.task.findFirstOrThrow({ where: { dedupeKey: `store.ack:${(await orderRow(orderId)).id}` } });
    expect(task.lastError).toMatch(/ERROR_CONSUMING_PRODUCT/);

    await drainWorker(t, isFinished(orderId));
    expect(fake.purchase(token).consumeCount).toBe(1);
    const order = await orderRow(orderId);
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id, type: 'ORDER_ACK_FAILED' } })).toBe(6);
  });

  it('treats a consume whose answer was lost as done (re-verified), without consuming twice', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    const { orderId } = fake.purchase(token);
    await delivered({ purchaseToken: token, productId: 'gems_100' });
    fake.failNext(1, { kind: 'drop-answer' });
    await drainWorker(t, isFinished(orderId));
    expect(fake.purchase(token).consumeCount).toBe(1);
    const consumes = fake.requests.filter((r) => r.path === '/v2/order/consumePurchase' && r.form.purchaseToken === token);
    expect(consumes).toHaveLength(2); // the lost one and the retry answered 3800, then re-verified as consumed
  });

  it('acknowledges a subscription instead of consuming it, through the same worker', async () => {
    const expiry = new Date(Date.now() + 30 * 86_400_000);
    const token = fake.addPurchase({ productId: 'vip_monthly', subscription: true, expiryTime: expiry });
    const { orderId } = fake.purchase(token);
    const payload = await delivered({ purchaseToken: token, productId: 'vip_monthly' });
    expect(payload.order).toMatchObject({
      productType: 'AUTO_RENEWABLE',
      finishMode: 'SERVER',
      expiresAt: expiry.toISOString(),
      entitlements: [{ kind: 'EXPIRING', expiresAt: expiry.toISOString() }],
    });
    await drainWorker(t, isFinished(orderId));
    expect(fake.purchase(token)).toMatchObject({ acknowledgeCount: 1, acknowledgementState: 1, consumeCount: 0 });
    expect(fake.requests.filter((r) => r.path === '/v2/order/consumePurchase' && r.form.purchaseToken === token)).toHaveLength(0);
  });

  it('consumes xiaomi and onestore purchases server-side with productId, currency, type and developerPayload', async () => {
    for (const type of ['XIAOMI', 'ONESTORE'] as const) {
      const wire = type.toLowerCase() as 'xiaomi' | 'onestore';
      const token = fake.addPurchase({ productId: 'gems_100', type: wire, currency: 'EUR', amount: '1.99' });
      const { orderId } = fake.purchase(token);
      const payload = await delivered({ purchaseToken: token, productId: 'gems_100', currency: 'EUR', type, developerPayload: 'dp-42' });
      expect(payload).toMatchObject({ needsClientFinish: false, clientFinish: null, order: { finishMode: 'SERVER', price: { amountMinor: '199', currency: 'EUR' } } });
      await drainWorker(t, isFinished(orderId));
      expect(fake.purchase(token).consumeCount).toBe(1);
      const consumeCall = fake.requests.find((r) => r.path === '/v2/order/consumePurchase' && r.form.purchaseToken === token);
      expect(consumeCall?.form).toMatchObject({ productId: 'gems_100', currency: 'EUR', type: wire, developerPayload: 'dp-42' });
    }
  });

  it('leaves amazon and huawei purchases to the client: CLIENT finish, no task, instructions, then confirmClientFinish', async () => {
    const ConfirmClientFinish = graphql(`
      mutation NowggConfirmClientFinish($input: ConfirmClientFinishInput!) {
        confirmClientFinish(input: $input) {
          __typename
          ... on ConfirmClientFinishPayload { order { id status finishMode } }
          ... on Error { code message }
        }
      }
    `);
    for (const type of ['AMAZON', 'HUAWEI'] as const) {
      const wire = type.toLowerCase() as 'amazon' | 'huawei';
      const token = fake.addPurchase({ productId: 'gems_100', type: wire });
      const before = await rowCounts(t);
      const payload = await delivered({ purchaseToken: token, productId: 'gems_100', currency: 'USD', type });
      expect(payload).toMatchObject({
        newlyDelivered: true,
        needsClientFinish: true,
        order: { status: 'DELIVERED', finishMode: 'CLIENT', entitlements: [{ kind: 'CONSUMABLE', quantity: 100 }] },
        clientFinish: { type, purchaseToken: token, productId: 'gems_100', operation: 'CONSUME' },
      });
      expect(payload.clientFinish?.instructions).toMatch(/cannot consume .* server-side.*confirmClientFinish/);
      expect((await rowCounts(t)).tasks).toBe(before.tasks);

      // Asking again (e.g. at the next app start) repeats the instructions, without granting again.
      const again = await delivered({ purchaseToken: token, productId: 'gems_100', currency: 'USD', type });
      expect(again).toMatchObject({ newlyDelivered: false, needsClientFinish: true, clientFinish: { purchaseToken: token } });

      const confirmed = await t.gql(ConfirmClientFinish, { input: { orderId: payload.order.id } }, { key: tenant.serverKey });
      expect(confirmed.data?.confirmClientFinish).toMatchObject({ order: { status: 'FINISHED', finishMode: 'CLIENT' } });
      const after = await delivered({ purchaseToken: token, productId: 'gems_100', currency: 'USD', type });
      expect(after).toMatchObject({ needsClientFinish: false, order: { status: 'FINISHED' } });
      expect(fake.requests.filter((r) => r.path === '/v2/order/consumePurchase' && r.form.purchaseToken === token)).toHaveLength(0);
    }
  });

  it('tells the client to acknowledge an amazon subscription', async () => {
    const token = fake.addPurchase({ productId: 'vip_monthly', type: 'amazon', subscription: true });
    const payload = await delivered({ purchaseToken: token, productId: 'vip_monthly', type: 'AMAZON' });
    expect(payload.clientFinish).toMatchObject({ operation: 'ACKNOWLEDGE', type: 'AMAZON' });
  });

  it('refuses a purchase already recorded for another player, writing nothing', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    await delivered({ purchaseToken: token, productId: 'gems_100', playerId: 'player-a' });
    const before = await rowCounts(t);
    const res = await consume({ purchaseToken: token, productId: 'gems_100', playerId: 'player-b' });
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('answers PurchaseRevokedError for a purchase revoked since it was delivered', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    await delivered({ purchaseToken: token, productId: 'gems_100' });
    const order = await orderRow(fake.purchase(token).orderId);
    await t.app.services.fulfilment.revokeOrder(order.id, { at: new Date(), reason: 'refunded by support' });
    const res = await consume({ purchaseToken: token, productId: 'gems_100' });
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'PurchaseRevokedError', code: 'PURCHASE_REVOKED' });
    expect(await t.app.db.prisma.entitlement.count({ where: { orderId: order.id, revokedAt: null } })).toBe(0);
  });

  it('records a paid purchase for a product the app has not created yet as AWAITING_PRODUCT, with no consume', async () => {
    const token = fake.addPurchase({ productId: 'not_yet_created' });
    const payload = await delivered({ purchaseToken: token, productId: 'not_yet_created' });
    expect(payload.order).toMatchObject({ status: 'AWAITING_PRODUCT', entitlements: [] });
    const row = await orderRow(fake.purchase(token).orderId);
    expect(await t.app.db.prisma.task.count({ where: { dedupeKey: `store.ack:${row.id}` } })).toBe(0);
  });

  it('lets a client key consume for the player in its token only', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    const { token: playerToken } = await t.app.services.auth.mintPlayerToken(tenant.appId, 'player-token-owner', 600);
    const res = await t.gql(ConsumePurchase, { input: { purchaseToken: token, productId: 'gems_100' } }, { key: tenant.clientKey, playerToken });
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'ConsumePurchasePayload', order: { playerId: 'player-token-owner' } });
    const other = await t.gql(
      ConsumePurchase,
      { input: { purchaseToken: token, productId: 'gems_100', playerId: 'someone-else' } },
      { key: tenant.clientKey, playerToken },
    );
    expect(other.data?.consumePurchase).toMatchObject({ __typename: 'ValidationError' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHuawei, type HostileTokenKind } from '../helpers/fake-huawei.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createHuaweiAccount, createProduct, drainWorker, FinishPurchase, rowCounts, type HuaweiAccountIds } from './setup.js';

let fake: FakeHuawei;
let t: TestApp;
let tenant: Tenant;
let serverAccount: HuaweiAccountIds;

beforeAll(async () => {
  fake = await FakeHuawei.start();
  t = await createTestApp();
  tenant = await t.createTenant('huawei');
  serverAccount = await createHuaweiAccount(t, tenant, fake, { withCredentials: true });
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  await createProduct(t, tenant, { sku: 'no_ads', storeProductId: 'no_ads', type: 'NON_CONSUMABLE' });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const finish = (purchaseData: string, playerId = 'player-1') =>
  t.gql(FinishPurchase, { input: { purchaseData, playerId } }, { key: tenant.serverKey });

describe('finishPurchase with server credentials', () => {
  it('verifies, grants once, confirms delivery with Huawei through the worker, and returns finishParams', async () => {
    const { purchaseData, payload } = await fake.signPurchase({ quantity: 2, price: 1200 });
    const res = await finish(purchaseData);
    const delivery = res.data?.finishPurchase;
    if (delivery?.__typename !== 'HuaweiDelivery') throw new Error(JSON.stringify(res));
    expect(delivery.order).toMatchObject({
      status: 'DELIVERED',
      finishMode: 'SERVER',
      storeOrderId: payload.purchaseOrderId,
      playerId: 'player-1',
      quantity: 2,
      price: { amountMinor: '1200', currency: 'CNY' },
      entitlements: [{ kind: 'CONSUMABLE', quantity: 200 }],
    });
    expect(delivery.finishParams).toEqual({ productType: 0, purchaseToken: payload.purchaseToken, purchaseOrderId: payload.purchaseOrderId });
    expect(delivery.needsClientFinish).toBe(false);

    const orderId = String(payload.purchaseOrderId);
    await drainWorker(t, async () => fake.isConfirmed(orderId));
    expect(fake.confirmAttempts(orderId)).toBe(1);
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: orderId } });
    expect(order.status).toBe('FINISHED');
    const events = await t.app.db.prisma.orderEvent.findMany({ where: { orderId: order.id }, orderBy: { id: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['ORDER_DELIVERED', 'ORDER_FINISHED']);
    // The API call carried a valid ES256 JWT (verified by the fake).
    const confirmCall = fake.requests.find((r) => r.path.endsWith('/order/harmony/v1/application/purchase/shipped/confirm'));
    expect(confirmCall?.authFailure).toBeNull();
    expect(confirmCall?.claims?.aud).toBe('iap-v1');
  });

  it('delivers a purchase submitted twice and 20 times concurrently exactly once, with identical answers', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    const answers = await Promise.all(Array.from({ length: 20 }, () => finish(purchaseData)));
    const orders = answers.map((a) => (a.data?.finishPurchase.__typename === 'HuaweiDelivery' ? a.data.finishPurchase.order.id : null));
    expect(new Set(orders).size).toBe(1);
    expect(orders[0]).not.toBeNull();
    const again = await finish(purchaseData);
    expect(again.data?.finishPurchase.__typename === 'HuaweiDelivery' && again.data.finishPurchase.order.id).toBe(orders[0]);
    const rows = await t.app.db.prisma.order.findMany({ where: { storeOrderId: String(payload.purchaseOrderId) }, include: { entitlements: true } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.entitlements).toHaveLength(1);
    const delivered = await t.app.db.prisma.orderEvent.count({ where: { orderId: rows[0]!.id, type: 'ORDER_DELIVERED' } });
    expect(delivered).toBe(1);
    await drainWorker(t, async () => fake.isConfirmed(String(payload.purchaseOrderId)));
    expect(fake.confirmAttempts(String(payload.purchaseOrderId))).toBe(1);
  });

  it('retries the confirmation through outages until Huawei says yes, recording every attempt', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData);
    fake.failNext(1, { kind: 'http-status', status: 503 });
    fake.failNext(1, { kind: 'reset' });
    fake.failNext(1, { kind: 'response-code', responseCode: '1001880006' });
    const orderId = String(payload.purchaseOrderId);
    await drainWorker(t, async () => fake.isConfirmed(orderId));
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: orderId } });
    const task = await t.app.db.prisma.task.findUniqueOrThrow({ where: { dedupeKey: `store.ack:${order.id}` }, include: { attemptLog: true } });
    expect(task.status).toBe('DONE');
    expect(task.attemptLog.map((a) => a.ok)).toEqual([false, false, false, true]);
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id, type: 'ORDER_ACK_FAILED' } })).toBe(3);
    expect(order.status).toBe('FINISHED');
  });

  it('treats "already confirmed" (1001880009) as done', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData);
    fake.failNext(1, { kind: 'response-code', responseCode: '1001880009' });
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: String(payload.purchaseOrderId) } });
    await drainWorker(t, async () => (await t.app.db.prisma.order.findUniqueOrThrow({ where: { id: order.id } })).status === 'FINISHED');
  });

  it('grants a non-consumable once per player, whatever the number of orders', async () => {
    const first = await fake.signPurchase({ productId: 'no_ads', productType: '1' });
    const second = await fake.signPurchase({ productId: 'no_ads', productType: '1' });
    await finish(first.purchaseData, 'player-nc');
    await finish(second.purchaseData, 'player-nc');
    const entitlements = await t.app.db.prisma.entitlement.findMany({ where: { playerId: 'player-nc' } });
    expect(entitlements).toHaveLength(1);
    expect(entitlements[0]!.kind).toBe('PERMANENT');
  });

  it('refuses a purchase already recorded for another player', async () => {
    const { purchaseData } = await fake.signPurchase();
    await finish(purchaseData, 'owner');
    const res = await finish(purchaseData, 'thief');
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
  });
});

describe('finishPurchase refuses bad proofs and writes nothing', () => {
  const cases: [HostileTokenKind, string][] = [
    ['tampered-payload', 'BAD_SIGNATURE'],
    ['expired-leaf', 'CERTIFICATE_EXPIRED'],
    ['alg-none', 'UNSUPPORTED_ALGORITHM'],
    ['hs256', 'UNSUPPORTED_ALGORITHM'],
    ['rs256', 'UNSUPPORTED_ALGORITHM'],
    ['foreign-chain', 'UNTRUSTED_CERTIFICATE'],
    ['self-signed-leaf', 'UNTRUSTED_CERTIFICATE'],
    ['leaf-without-oid', 'UNTRUSTED_CERTIFICATE'],
    ['two-cert-chain', 'UNTRUSTED_CERTIFICATE'],
    ['header-root-swapped', 'UNTRUSTED_CERTIFICATE'],
  ];
  it.each(cases)('%s → %s', async (kind, code) => {
    const before = await rowCounts(t);
    const jws = await fake.hostileToken(kind);
    const res = await t.gql(FinishPurchase, { input: { jwsPurchaseOrder: jws, playerId: 'p' } }, { key: tenant.serverKey });
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'PurchaseVerificationError', code });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('malformed purchaseData, wrong application, wrong environment', async () => {
    const before = await rowCounts(t);
    const malformed = await finish('{"jwsPurchaseOrder": 42}');
    expect(malformed.data?.finishPurchase).toMatchObject({ code: 'MALFORMED_PURCHASE' });
    const wrongApp = await fake.signPurchase({ applicationId: '999' });
    expect((await finish(wrongApp.purchaseData)).data?.finishPurchase).toMatchObject({ code: 'WRONG_APPLICATION' });
    const wrongEnv = await fake.signPurchase({ environment: 'NORMAL' });
    expect((await finish(wrongEnv.purchaseData)).data?.finishPurchase).toMatchObject({ code: 'WRONG_ENVIRONMENT' });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('records a purchase carrying a revocation code as REVOKED and grants nothing', async () => {
    const { purchaseData, payload } = await fake.signPurchase({ purchaseOrderRevocationReasonCode: '1', revocationTime: Date.now() });
    const res = await finish(purchaseData);
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'PurchaseRevokedError', code: 'PURCHASE_REVOKED' });
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: String(payload.purchaseOrderId) }, include: { entitlements: true } });
    expect(order.status).toBe('REVOKED');
    expect(order.entitlements).toHaveLength(0);
    expect(await t.app.db.prisma.task.count({ where: { dedupeKey: `store.ack:${order.id}` } })).toBe(0);
  });

  it('answers STORE_ACCOUNT_NOT_FOUND for an app without a Huawei account', async () => {
    const other = await t.createTenant();
    const { purchaseData } = await fake.signPurchase();
    const res = await t.gql(FinishPurchase, { input: { purchaseData, playerId: 'p' } }, { key: other.serverKey });
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'StoreAccountError', code: 'STORE_ACCOUNT_NOT_FOUND' });
  });

  it('uses the named store account', async () => {
    const { purchaseData } = await fake.signPurchase();
    const res = await t.gql(FinishPurchase, { input: { purchaseData, playerId: 'p', storeAccountId: serverAccount.globalId } }, { key: tenant.serverKey });
    expect(res.data?.finishPurchase.__typename).toBe('HuaweiDelivery');
  });
});

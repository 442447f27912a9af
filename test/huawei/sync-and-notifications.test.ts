import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createHuaweiAccount, createProduct, drainWorker, FinishPurchase, type HuaweiAccountIds } from './setup.js';

const SyncPurchases = graphql(`
  mutation HuaweiSyncPurchases($input: SyncPurchasesInput!) {
    syncPurchases(input: $input) {
      __typename
      ... on SyncPurchasesPayload {
        items {
          index
          newlyDelivered
          needsClientFinish
          finishParams { purchaseOrderId }
          order { id status }
          error { code message }
        }
      }
      ... on Error { code message }
    }
  }
`);

const ConfirmClientFinish = graphql(`
  mutation HuaweiConfirmClientFinish($input: ConfirmClientFinishInput!) {
    confirmClientFinish(input: $input) {
      __typename
      ... on ConfirmClientFinishPayload { order { id status finishedAt } }
      ... on Error { code message }
    }
  }
`);

const ReconcileHuaweiOrder = graphql(`
  mutation HuaweiReconcileOrder($input: ReconcileHuaweiOrderInput!) {
    reconcileHuaweiOrder(input: $input) {
      __typename
      ... on ReconcileHuaweiOrderPayload { order { id status } }
      ... on Error { code message }
    }
  }
`);

const CreatePlayerToken = graphql(`
  mutation HuaweiCreatePlayerToken($input: CreatePlayerTokenInput!) {
    createPlayerToken(input: $input) { __typename ... on CreatePlayerTokenPayload { token } }
  }
`);

let fake: FakeHuawei;

beforeAll(async () => {
  fake = await FakeHuawei.start();
});
afterAll(() => fake.close());

async function playerToken(t: TestApp, tenant: Tenant, playerId: string): Promise<string> {
  const res = await t.gql(CreatePlayerToken, { input: { playerId } }, { key: tenant.serverKey });
  if (res.data?.createPlayerToken.__typename !== 'CreatePlayerTokenPayload') throw new Error(JSON.stringify(res));
  return res.data.createPlayerToken.token;
}

describe('client flow without server credentials', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant();
    await createHuaweiAccount(t, tenant, fake, { withCredentials: false });
    await createProduct(t, tenant, { sku: 'gems', storeProductId: 'gems_100', type: 'CONSUMABLE' });
  });
  afterAll(() => t.close());

  it('a client key with a player token delivers, gets finishParams, and reports the finish', async () => {
    const token = await playerToken(t, tenant, 'alice');
    const { purchaseData, payload } = await fake.signPurchase();
    const res = await t.gql(FinishPurchase, { input: { purchaseData } }, { key: tenant.clientKey, playerToken: token });
    const delivery = res.data?.finishPurchase;
    if (delivery?.__typename !== 'HuaweiDelivery') throw new Error(JSON.stringify(res));
    expect(delivery.order).toMatchObject({ playerId: 'alice', status: 'DELIVERED', finishMode: 'CLIENT' });
    expect(delivery.needsClientFinish).toBe(true);
    expect(delivery.finishParams.purchaseOrderId).toBe(payload.purchaseOrderId);
    expect(await t.app.db.prisma.task.count()).toBe(0);

    const confirmed = await t.gql(ConfirmClientFinish, { input: { orderId: delivery.order.id } }, { key: tenant.clientKey, playerToken: token });
    expect(confirmed.data?.confirmClientFinish).toMatchObject({ __typename: 'ConfirmClientFinishPayload', order: { status: 'FINISHED' } });
    const again = await t.gql(ConfirmClientFinish, { input: { orderId: delivery.order.id } }, { key: tenant.clientKey, playerToken: token });
    expect(again.data?.confirmClientFinish).toMatchObject({ order: { status: 'FINISHED' } });
    const row = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: String(payload.purchaseOrderId) } });
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: row.id, type: 'ORDER_FINISHED' } })).toBe(1);

    const bobToken = await playerToken(t, tenant, 'bob');
    const notBobs = await t.gql(ConfirmClientFinish, { input: { orderId: delivery.order.id } }, { key: tenant.clientKey, playerToken: bobToken });
    expect(notBobs.data?.confirmClientFinish).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('takes the player from the token, never from the input', async () => {
    const token = await playerToken(t, tenant, 'alice');
    const { purchaseData } = await fake.signPurchase();
    const res = await t.gql(FinishPurchase, { input: { purchaseData, playerId: 'mallory' } }, { key: tenant.clientKey, playerToken: token });
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'ValidationError' });
    const noToken = await t.post({ query: 'mutation { finishPurchase(input: {purchaseData: "x", playerId: "a"}) { __typename } }' }, { key: tenant.clientKey });
    expect(((await noToken.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('syncPurchases delivers what is missing, reports what needs finishing, and isolates bad items', async () => {
    const token = await playerToken(t, tenant, 'carol');
    const known = await fake.signPurchase();
    await t.gql(FinishPurchase, { input: { purchaseData: known.purchaseData } }, { key: tenant.clientKey, playerToken: token });
    const missing = await fake.signPurchase();
    const forged = await fake.hostileToken('tampered-payload');
    const res = await t.gql(
      SyncPurchases,
      { input: { purchaseDataList: [known.purchaseData, missing.purchaseData, JSON.stringify({ jwsPurchaseOrder: forged })] } },
      { key: tenant.clientKey, playerToken: token },
    );
    if (res.data?.syncPurchases.__typename !== 'SyncPurchasesPayload') throw new Error(JSON.stringify(res));
    const [a, b, c] = res.data.syncPurchases.items;
    expect(a).toMatchObject({ index: 0, newlyDelivered: false, needsClientFinish: true, error: null, order: { status: 'DELIVERED' } });
    expect(b).toMatchObject({ index: 1, newlyDelivered: true, needsClientFinish: true, finishParams: { purchaseOrderId: missing.payload.purchaseOrderId } });
    expect(c).toMatchObject({ index: 2, order: null, newlyDelivered: false, error: { code: 'BAD_SIGNATURE' } });
  });

  it('records a purchase of an unconfigured product, announces it, and delivers it when the product appears', async () => {
    const { purchaseData, payload } = await fake.signPurchase({ productId: 'future_pack' });
    const res = await t.gql(FinishPurchase, { input: { purchaseData, playerId: 'dave' } }, { key: tenant.serverKey });
    if (res.data?.finishPurchase.__typename !== 'HuaweiDelivery') throw new Error(JSON.stringify(res));
    expect(res.data.finishPurchase.order).toMatchObject({ status: 'AWAITING_PRODUCT', entitlements: [] });
    expect(res.data.finishPurchase.needsClientFinish).toBe(false);
    const orderId = res.data.finishPurchase.order.id;
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: String(payload.purchaseOrderId) } });
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id, type: 'ORDER_AWAITING_PRODUCT' } })).toBe(1);

    await createProduct(t, tenant, { sku: 'future', storeProductId: 'future_pack', type: 'CONSUMABLE', grantQuantity: 5 });
    const after = await t.app.db.prisma.order.findUniqueOrThrow({ where: { id: order.id }, include: { entitlements: true } });
    expect(after.status).toBe('DELIVERED');
    expect(after.entitlements.map((e) => e.quantity)).toEqual([5]);
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id, type: 'ORDER_DELIVERED' } })).toBe(1);
    expect(orderId).toBeTruthy();
  });
});

describe('server credentials: restarts, notifications', () => {
  const masterKey = randomBytes(32).toString('base64');
  let t: TestApp;
  let tenant: Tenant;
  let account: HuaweiAccountIds;
  beforeAll(async () => {
    t = await createTestApp({ ZERODROP_MASTER_KEY: masterKey });
    tenant = await t.createTenant();
    account = await createHuaweiAccount(t, tenant, fake, { withCredentials: true });
    await createProduct(t, tenant, { sku: 'gems', storeProductId: 'gems_100', type: 'CONSUMABLE' });
  });
  afterAll(() => t.close());

  const finish = (purchaseData: string, playerId = 'erin') => t.gql(FinishPurchase, { input: { purchaseData, playerId } }, { key: tenant.serverKey });

  it('a delivery whose confirmation never ran is confirmed by the next instance after a restart', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData);
    // "Crash": this instance stops without running its worker; a new one starts on the same database.
    await t.app.close();
    const restarted = await createTestApp({ ZERODROP_MASTER_KEY: masterKey }, { database: t.database });
    try {
      const orderId = String(payload.purchaseOrderId);
      await drainWorker(restarted, async () => fake.isConfirmed(orderId));
      expect(fake.confirmAttempts(orderId)).toBe(1);
      const order = await restarted.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: orderId } });
      expect(order.status).toBe('FINISHED');
    } finally {
      await restarted.app.close();
      t = await createTestApp({ ZERODROP_MASTER_KEY: masterKey }, { database: t.database });
    }
  });

  it('revokes on a REVOKE notification (status queried from Huawei), once, and ignores the replay', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData, 'frank');
    const orderId = String(payload.purchaseOrderId);
    fake.refund(orderId);
    const notification = await fake.signNotification({ notificationType: 'REVOKE', notificationSubtype: 'REFUND_TRANSACTION', purchaseOrderId: orderId });
    const post = () =>
      t.app.fetch(new Request(`http://zerodrop.test${account.webhookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: notification.body }));
    const first = await post();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ outcome: 'PROCESSED' });
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: orderId }, include: { entitlements: true } });
    expect(order.status).toBe('REVOKED');
    expect(order.entitlements.every((e) => e.revokedAt !== null)).toBe(true);
    const replay = await post();
    expect(await replay.json()).toMatchObject({ outcome: 'DUPLICATE' });
    expect(await t.app.db.prisma.orderEvent.count({ where: { orderId: order.id, type: 'ORDER_REVOKED' } })).toBe(1);
    // A revoked order is never granted again, even when the client resubmits it.
    const resubmitted = await finish(purchaseData, 'frank');
    expect(resubmitted.data?.finishPurchase).toMatchObject({ __typename: 'PurchaseRevokedError' });
  });

  it('answers 503 (Huawei retries) when the order status cannot be read, and 400 for forged notifications', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    await finish(purchaseData, 'gina');
    const notification = await fake.signNotification({ notificationType: 'REVOKE', purchaseOrderId: String(payload.purchaseOrderId) });
    fake.failNext(1, { kind: 'http-status', status: 502 });
    const url = `http://zerodrop.test${account.webhookPath}`;
    const deferred = await t.app.fetch(new Request(url, { method: 'POST', body: notification.body }));
    expect(deferred.status).toBe(503);
    expect(await t.app.db.prisma.storeNotification.count({ where: { externalId: notification.notificationRequestId } })).toBe(0);
    const forged = await t.app.fetch(new Request(url, { method: 'POST', body: JSON.stringify({ jwsNotification: await fake.hostileToken('foreign-chain') }) }));
    expect(forged.status).toBe(400);
    const unknownAccount = await t.app.fetch(new Request('http://zerodrop.test/webhooks/huawei/00000000-0000-0000-0000-000000000000', { method: 'POST', body: notification.body }));
    expect(unknownAccount.status).toBe(404);
  });

  it('tolerates unknown notification types and TEST notifications', async () => {
    const url = `http://zerodrop.test${account.webhookPath}`;
    for (const type of ['TEST', 'SOMETHING_NEW_IN_2027']) {
      const n = await fake.signNotification({ notificationType: type, notificationSubtype: 'WHATEVER' });
      const res = await t.app.fetch(new Request(url, { method: 'POST', body: n.body }));
      expect(res.status).toBe(200);
    }
  });

  it('reconcileHuaweiOrder re-reads the order from Huawei and revokes a refund', async () => {
    const { purchaseData, payload } = await fake.signPurchase();
    const res = await finish(purchaseData, 'ivan');
    if (res.data?.finishPurchase.__typename !== 'HuaweiDelivery') throw new Error(JSON.stringify(res));
    const orderId = res.data.finishPurchase.order.id;
    const reconciled = await t.gql(ReconcileHuaweiOrder, { input: { orderId } }, { key: tenant.serverKey });
    expect(reconciled.data?.reconcileHuaweiOrder).toMatchObject({ order: { status: 'DELIVERED' } });
    fake.refund(String(payload.purchaseOrderId));
    const revoked = await t.gql(ReconcileHuaweiOrder, { input: { orderId } }, { key: tenant.serverKey });
    expect(revoked.data?.reconcileHuaweiOrder).toMatchObject({ order: { status: 'REVOKED' } });
    const other = await t.createTenant();
    const foreign = await t.gql(ReconcileHuaweiOrder, { input: { orderId } }, { key: other.serverKey });
    expect(foreign.data?.reconcileHuaweiOrder).toMatchObject({ __typename: 'NotFoundError' });
  });
});

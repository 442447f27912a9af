// Regression for what the property test found: Huawei announced a refund (REVOKE
// notification, answered 200) before the client ever submitted the purchase, and the
// later submission granted it anyway. A refund ZeroDrop has heard of is never granted,
// also when the notification and the submission arrive at the same moment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { answerOf, gqlRaw, raw } from './support.js';

const FINISH = `mutation ($input: FinishPurchaseInput!) {
  finishPurchase(input: $input) { __typename ... on HuaweiDelivery { order { id status } } ... on Error { code message } } }`;

let t: TestApp;
let tenant: Tenant;
let huawei: FakeHuawei;
let webhookPath: string;

beforeAll(async () => {
  huawei = await FakeHuawei.start();
  t = await createTestApp();
  tenant = await t.createTenant('refund-first');
  const created = await gqlRaw(
    t,
    `mutation ($input: CreateStoreAccountInput!) { createStoreAccount(input: $input) { __typename ... on StoreAccountPayload { storeAccount { webhookPath } } } }`,
    {
      input: {
        name: 'huawei',
        environment: 'SANDBOX',
        apiBaseUrl: huawei.baseUrl,
        trustedRootsPem: huawei.rootPem,
        huawei: { applicationId: huawei.applicationId, ...huawei.createApiCredentials() },
      },
    },
    { key: tenant.serverKey },
  );
  webhookPath = ((await created.json()) as { data: { createStoreAccount: { storeAccount: { webhookPath: string } } } }).data.createStoreAccount.storeAccount.webhookPath;
  await gqlRaw(
    t,
    `mutation ($input: CreateProductInput!) { createProduct(input: $input) { __typename } }`,
    { input: { store: 'HUAWEI', sku: 'gems_100', name: 'gems', storeProductId: 'gems_100', type: 'CONSUMABLE' } },
    { key: tenant.serverKey },
  );
});

afterAll(async () => {
  await t.close();
  await huawei.close();
});

async function notifyRefund(purchaseOrderId: string): Promise<number> {
  const { body } = await huawei.signNotification({ notificationType: 'REVOKE', notificationSubtype: 'REFUND_TRANSACTION', purchaseOrderId });
  const response = await raw(t, { path: webhookPath, headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
}

const submit = async (purchaseData: string, playerId: string) =>
  answerOf(await gqlRaw(t, FINISH, { input: { purchaseData, playerId } }, { key: tenant.serverKey }));

async function grantsOf(storeOrderId: string) {
  const order = await t.app.db.prisma.order.findFirst({ where: { storeOrderId }, include: { entitlements: true } });
  return { status: order?.status ?? null, activeGrants: order?.entitlements.filter((e) => e.revokedAt === null).length ?? 0 };
}

describe('a refund announced before the purchase is submitted', () => {
  it('records the later submission as revoked and grants nothing', async () => {
    const { purchaseData, payload } = await huawei.signPurchase();
    const orderId = String(payload.purchaseOrderId);
    huawei.refund(orderId);
    expect(await notifyRefund(orderId)).toBe(200);

    const answer = await submit(purchaseData, 'player-1');
    expect(answer.code).toBe('PURCHASE_REVOKED');
    expect(await grantsOf(orderId)).toEqual({ status: 'REVOKED', activeGrants: 0 });
    // Submitting again (the client's next sync) changes nothing.
    expect((await submit(purchaseData, 'player-1')).code).toBe('PURCHASE_REVOKED');
    const events = await t.app.db.prisma.orderEvent.findMany({ where: { order: { storeOrderId: orderId } } });
    expect(events.map((e) => e.type)).toEqual(['ORDER_REVOKED']);
  });

  it('never leaves a refunded purchase granted when notification and submission race', async () => {
    for (let round = 0; round < 10; round += 1) {
      const { purchaseData, payload } = await huawei.signPurchase();
      const orderId = String(payload.purchaseOrderId);
      huawei.refund(orderId);
      const [status] = await Promise.all([notifyRefund(orderId), submit(purchaseData, `racer-${round}`)]);
      expect(status).toBe(200);
      expect(await grantsOf(orderId)).toEqual({ status: 'REVOKED', activeGrants: 0 });
    }
  });
});

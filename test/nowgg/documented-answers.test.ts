// Every verifyPurchase answer shape the store's documentation shows, served by the fake
// now.gg, must end in its outcome: granted exactly once (then consumed), or refused with
// its typed error and nothing written. Plus the per-account path prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { contradictoryAnswers, documentedAnswers, type Outcome } from './documented-answers.js';
import { ConsumePurchase, createNowggAccount, createProduct, drainWorker, rowCounts } from './setup.js';

let fake: FakeNowgg;
let t: TestApp;
const tenants: Record<'pinned' | 'open', Tenant> = {} as never;

beforeAll(async () => {
  fake = await FakeNowgg.start();
  t = await createTestApp();
  tenants.pinned = await t.createTenant('nowgg-docs-pinned');
  await createNowggAccount(t, tenants.pinned, fake, { appId: null });
  tenants.open = await t.createTenant('nowgg-docs-open');
  await createNowggAccount(t, tenants.open, fake, { appId: null, packageName: null, environmentWhenUnreported: 'PRODUCTION' });
  for (const tenant of Object.values(tenants)) {
    await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
    await createProduct(t, tenant, { sku: 'legacy', storeProductId: '111222344', type: 'CONSUMABLE' });
  }
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const consume = (tenant: Tenant, purchaseToken: string, productId: string) =>
  t.gql(ConsumePurchase, { input: { purchaseToken, productId, playerId: 'player-docs' } }, { key: tenant.serverKey });

async function expectOutcome(tenant: Tenant, data: Record<string, unknown>, claim: string, outcome: Outcome) {
  const token = fake.addPurchase({ productId: claim, verifyData: data });
  const { orderId } = fake.purchase(token);
  if ('refused' in outcome) {
    const before = await rowCounts(t);
    const res = await consume(tenant, token, claim);
    expect(res.errors).toBeUndefined();
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'PurchaseVerificationError', code: outcome.refused });
    expect(await rowCounts(t)).toEqual(before);
    return;
  }
  const first = await consume(tenant, token, claim);
  expect(first.data?.consumePurchase).toMatchObject({
    __typename: 'ConsumePurchasePayload',
    newlyDelivered: true,
    order: { storeOrderId: orderId, storeProductId: outcome.granted, status: 'DELIVERED' },
  });
  const again = await consume(tenant, token, claim);
  expect(again.data?.consumePurchase).toMatchObject({ newlyDelivered: false, order: { storeOrderId: orderId } });
  const rows = await t.app.db.prisma.order.findMany({ where: { storeOrderId: orderId } });
  expect(rows).toHaveLength(1);
  // every documented time is 2021-09-01T20:49:57Z (seconds or milliseconds) or the payTime of the old sample
  expect([Date.UTC(2021, 8, 1, 20, 49, 57), Date.UTC(2021, 8, 1, 20, 49, 57, 125), 1653640320_000]).toContain(rows[0]!.purchasedAt.getTime());
  // the documented consume answer ({success, code 0, data {}}) finishes it, once
  await drainWorker(t, async () => (await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: orderId } })).status === 'FINISHED');
  expect(fake.purchase(token).consumeCount).toBe(1);
}

describe("verifyPurchase answers from the store's documentation", () => {
  for (const answer of documentedAnswers) {
    describe(`${answer.name} (${answer.complete ? 'complete' : 'visible part'}, ${answer.source})`, () => {
      it(`pinned account: ${JSON.stringify(answer.pinned)}`, () => expectOutcome(tenants.pinned, answer.data, answer.claim, answer.pinned));
      it(`open account: ${JSON.stringify(answer.open)}`, () => expectOutcome(tenants.open, answer.data, answer.claim, answer.open));
    });
  }
});

describe('answers that contradict themselves or are impossible are refused, nothing written', () => {
  it.each(contradictoryAnswers)('$name → $refused', ({ data, refused }) =>
    expectOutcome(tenants.pinned, data, 'gems_100', { refused }),
  );

  it('the old v1 error envelope (no code field) is StoreUnavailableError, nothing written', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    fake.failNext(1, {
      kind: 'body',
      body: { iap_error_code: 412, iap_error_message: 'No data found.', payload: { orderId: '1-2022052708285322094340093', purchaseToken: token, timeZone: 0 }, success: false },
    });
    const before = await rowCounts(t);
    const res = await consume(tenants.pinned, token, 'gems_100');
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'StoreUnavailableError', retryable: true });
    expect(await rowCounts(t)).toEqual(before);
  });
});

describe('the seller path prefix is a per-account setting', () => {
  it('defaults to v2/seller/; an account set to SELLERS calls v2/sellers/', async () => {
    const strict = await FakeNowgg.start({ paymentsApiKey: fake.paymentsApiKey });
    try {
      strict.sellerPrefixes = ['v2/sellers/'];
      const byDefault = await t.createTenant('nowgg-prefix-default');
      await createNowggAccount(t, byDefault, strict);
      const sellers = await t.createTenant('nowgg-prefix-sellers');
      await createNowggAccount(t, sellers, strict, { apiPathPrefix: 'SELLERS' });
      for (const tenant of [byDefault, sellers]) {
        await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE' });
      }

      const token = strict.addPurchase({ productId: 'gems_100' });
      const before = await rowCounts(t);
      const refused = await consume(byDefault, token, 'gems_100');
      expect(refused.data?.consumePurchase).toMatchObject({ __typename: 'StoreRejectedError', code: 'STORE_ERROR', storeCode: '150' });
      expect(await rowCounts(t)).toEqual(before);
      expect(strict.requests.at(-1)?.path).toBe('/v2/seller/order/verifyPurchase');

      const granted = await consume(sellers, token, 'gems_100');
      expect(granted.data?.consumePurchase).toMatchObject({ __typename: 'ConsumePurchasePayload', newlyDelivered: true });
      expect(strict.requests.at(-1)?.path).toBe('/v2/sellers/order/verifyPurchase');
    } finally {
      await strict.close();
    }
  });
});

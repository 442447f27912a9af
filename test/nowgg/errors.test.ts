// now.gg answers HTTP 200 even on errors: every result code must become a typed GraphQL
// error with a clear message, and a refused purchase must write nothing at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { ConsumePurchase, createNowggAccount, createProduct, rowCounts } from './setup.js';

let fake: FakeNowgg;
let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  fake = await FakeNowgg.start();
  t = await createTestApp();
  tenant = await t.createTenant('nowgg-errors');
  await createNowggAccount(t, tenant, fake);
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE' });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const consume = (input: { purchaseToken: string; productId: string; type?: 'NOWGG' | 'XIAOMI' | 'AMAZON'; currency?: string }) =>
  t.gql(ConsumePurchase, { input: { playerId: 'player-1', ...input } }, { key: tenant.serverKey });

/** Runs `submit` and checks that it wrote nothing; returns the typed result. */
async function refused(submit: () => ReturnType<typeof consume>) {
  const before = await rowCounts(t);
  const res = await submit();
  expect(res.errors).toBeUndefined();
  expect(await rowCounts(t)).toEqual(before);
  return res.data?.consumePurchase;
}

describe('now.gg result codes on verifyPurchase become typed errors and write nothing', () => {
  it.each([
    { code: 3800, typename: 'StoreRejectedError', errorCode: 'STORE_CONSUME_FAILED', retryable: true, message: /ERROR_CONSUMING_PRODUCT/ },
    { code: 3900, typename: 'StoreRejectedError', errorCode: 'INVALID_STORE_CREDENTIALS', retryable: false, message: /paymentsApiKey/ },
    { code: 3901, typename: 'PurchaseVerificationError', errorCode: 'INVALID_PURCHASE_TOKEN', retryable: false, message: /INVALID_PURCHASE_TOKEN/ },
    { code: 5014, typename: 'StoreRejectedError', errorCode: 'MULTISTORE_UNKNOWN_ERROR', retryable: true, message: /MULTISTORE_UNKNOWN_ERROR/ },
    { code: 5015, typename: 'StoreRejectedError', errorCode: 'MULTISTORE_AUTH_ERROR', retryable: true, message: /MULTISTORE_AUTH_ERROR/ },
    { code: 4242, typename: 'StoreRejectedError', errorCode: 'STORE_ERROR', retryable: false, message: /unmapped code \[4242/ },
  ])('code $code → $typename $errorCode', async ({ code, typename, errorCode, retryable, message }) => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    fake.failNext(1, { kind: 'code', code });
    const result = await refused(() => consume({ purchaseToken: token, productId: 'gems_100' }));
    expect(result).toMatchObject({ __typename: typename, code: errorCode, retryable });
    expect(result && 'message' in result ? result.message : '').toMatch(message);
    if (typename === 'StoreRejectedError') expect(result).toMatchObject({ storeCode: String(code) });
  });

  it('an unknown token is INVALID_PURCHASE_TOKEN (3901 from the store itself)', async () => {
    const result = await refused(() => consume({ purchaseToken: '-nowgg-never-issued', productId: 'gems_100' }));
    expect(result).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'INVALID_PURCHASE_TOKEN' });
  });

  it('a rotated Payments API key is INVALID_STORE_CREDENTIALS (3900 from the store itself)', async () => {
    const token = fake.addPurchase({ productId: 'gems_100' });
    const original = fake.paymentsApiKey;
    fake.paymentsApiKey = 'rotated-on-nowstudio';
    try {
      const result = await refused(() => consume({ purchaseToken: token, productId: 'gems_100' }));
      expect(result).toMatchObject({ __typename: 'StoreRejectedError', code: 'INVALID_STORE_CREDENTIALS', storeCode: '3900' });
    } finally {
      fake.paymentsApiKey = original;
    }
  });

  it.each([5014, 5015])('a multistore purchase failing with %i at the partner is refused, typed', async (code) => {
    const token = fake.addPurchase({ productId: 'gems_100', type: 'xiaomi', failWithCode: code });
    const result = await refused(() => consume({ purchaseToken: token, productId: 'gems_100', type: 'XIAOMI', currency: 'USD' }));
    expect(result).toMatchObject({ __typename: 'StoreRejectedError', storeCode: String(code), retryable: true });
  });

  it('an outage, a reset connection or a non-JSON answer is StoreUnavailableError (retryable)', async () => {
    for (const failure of [{ kind: 'http-error', status: 502 }, { kind: 'reset' }, { kind: 'not-json' }] as const) {
      const token = fake.addPurchase({ productId: 'gems_100' });
      fake.failNext(1, failure);
      const result = await refused(() => consume({ purchaseToken: token, productId: 'gems_100' }));
      expect(result).toMatchObject({ __typename: 'StoreUnavailableError', code: 'STORE_UNAVAILABLE', retryable: true });
    }
  });

  it("a hung call times out after the account's requestTimeoutMs: StoreUnavailableError", async () => {
    // Its own tenant and account, so the short timeout applies to this case only.
    const slow = await t.createTenant('nowgg-timeout');
    await createNowggAccount(t, slow, fake, { requestTimeoutMs: 300 });
    const token = fake.addPurchase({ productId: 'gems_100' });
    fake.failNext(1, { kind: 'hang' });
    const before = await rowCounts(t);
    const res = await t.gql(ConsumePurchase, { input: { purchaseToken: token, productId: 'gems_100', playerId: 'p' } }, { key: slow.serverKey });
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'StoreUnavailableError', retryable: true, message: expect.stringMatching(/within 300 ms/) });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses unpaid, wrong-product and wrong-environment purchases', async () => {
    const pending = fake.addPurchase({ productId: 'gems_100', purchaseState: 2 });
    expect(await refused(() => consume({ purchaseToken: pending, productId: 'gems_100' }))).toMatchObject({ code: 'PURCHASE_NOT_PAID' });
    const other = fake.addPurchase({ productId: 'gems_500' });
    expect(await refused(() => consume({ purchaseToken: other, productId: 'gems_100' }))).toMatchObject({ code: 'WRONG_PRODUCT' });
    const test = fake.addPurchase({ productId: 'gems_100', isTestOrder: true });
    expect(await refused(() => consume({ purchaseToken: test, productId: 'gems_100' }))).toMatchObject({ code: 'WRONG_ENVIRONMENT' });
    const foreign = fake.addPurchase({ productId: 'gems_100', packageName: 'com.someone.else' });
    expect(await refused(() => consume({ purchaseToken: foreign, productId: 'gems_100' }))).toMatchObject({ code: 'WRONG_APPLICATION' });
  });

  it('rejects malformed input before calling now.gg', async () => {
    const calls = fake.requests.length;
    const result = await refused(() => consume({ purchaseToken: '  ', productId: 'gems_100', currency: 'usd' }));
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect(fake.requests.length).toBe(calls);
  });
});

describe('store account problems', () => {
  it('an app without a now.gg account gets StoreAccountError', async () => {
    const lonely = await t.createTenant('no-nowgg');
    const before = await rowCounts(t);
    const res = await t.gql(ConsumePurchase, { input: { purchaseToken: 'x', productId: 'gems_100', playerId: 'p' } }, { key: lonely.serverKey });
    expect(res.data?.consumePurchase).toMatchObject({ __typename: 'StoreAccountError', code: 'STORE_ACCOUNT_NOT_FOUND' });
    expect(await rowCounts(t)).toEqual(before);
  });
});

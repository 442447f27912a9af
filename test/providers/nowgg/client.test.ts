import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurchaseVerificationError, StoreRejectedError, StoreUnavailableError } from '../../../src/platform/errors.js';
import { NowggClient, createNowggClient } from '../../../src/providers/nowgg/protocol/index.js';
import { FakeNowgg } from '../../helpers/fake-nowgg.js';
import { testOutbound } from '../../helpers/outbound.js';
import { nowggAccount } from './account-fixture.js';

let fake: FakeNowgg;
beforeAll(async () => {
  fake = await FakeNowgg.start();
});
afterAll(async () => {
  await fake.close();
});

function client(timeoutMs = 2_000): NowggClient {
  return new NowggClient({ outbound: testOutbound, paymentsApiKey: fake.paymentsApiKey, baseUrl: fake.baseUrl, timeoutMs });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('now.gg client protocol', () => {
  it('posts a form-encoded body with the raw key as Authorization to v2/seller/order/verifyPurchase', async () => {
    const token = fake.addPurchase({ productId: 'gems_100', amount: '25.15', currency: 'USD' });
    const data = await client().verifyPurchase({ purchaseToken: token });
    expect(data.productId).toBe('gems_100');
    expect(data.orderAmount).toBe('25.15');
    const request = fake.requests.at(-1);
    expect(request?.path).toBe('/v2/seller/order/verifyPurchase');
    expect(request?.authorization).toBe(fake.paymentsApiKey);
    expect(request?.contentType).toBe('application/x-www-form-urlencoded');
    expect(request?.form).toEqual({ purchaseToken: token });
  });

  it('sends productId, currency and type only for multistore purchases', async () => {
    const token = fake.addPurchase({ productId: 'gems_100', type: 'xiaomi', currency: 'CNY', amount: '6.00' });
    await client().verifyPurchase({ purchaseToken: token, productId: 'gems_100', currency: 'CNY', type: 'xiaomi' });
    expect(fake.requests.at(-1)?.form).toEqual({ purchaseToken: token, productId: 'gems_100', currency: 'CNY', type: 'xiaomi' });
    await client().consumePurchase({ purchaseToken: token, productId: 'gems_100', currency: null, type: 'xiaomi' });
    expect(fake.requests.at(-1)?.form).toEqual({ purchaseToken: token, productId: 'gems_100', currency: 'null', type: 'xiaomi' });
  });

  it('keeps a base URL path when the configured base lacks a trailing slash', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    const noSlash = new NowggClient({ outbound: testOutbound, paymentsApiKey: fake.paymentsApiKey, baseUrl: fake.baseUrl.replace(/\/$/, '') });
    await expect(noSlash.verifyPurchase({ purchaseToken: token })).resolves.toMatchObject({ productId: 'p' });
  });

  it('the fake serves both the v2/seller and v2/sellers spellings', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    for (const path of ['v2/seller/order/verifyPurchase', 'v2/sellers/order/verifyPurchase']) {
      const response = await fetch(new URL(path, fake.baseUrl), {
        method: 'POST',
        headers: { Authorization: fake.paymentsApiKey, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ purchaseToken: token }),
      });
      expect(await response.json()).toMatchObject({ success: true, code: 0 });
    }
  });

  it('builds a client from a store account (apiBaseUrl and secrets.paymentsApiKey)', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    await expect(createNowggClient(nowggAccount(fake)).verifyPurchase({ purchaseToken: token })).resolves.toMatchObject({
      productId: 'p',
    });
  });
});

describe('now.gg codes become typed errors', () => {
  it('3900 INVALID_AUTHORIZATION_KEY (wrong key) → StoreRejectedError INVALID_STORE_CREDENTIALS', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    const wrongKey = new NowggClient({ outbound: testOutbound, paymentsApiKey: 'not-the-key', baseUrl: fake.baseUrl });
    const error = await rejectionOf(wrongKey.verifyPurchase({ purchaseToken: token }));
    expect(error).toBeInstanceOf(StoreRejectedError);
    expect(error).toMatchObject({ code: 'INVALID_STORE_CREDENTIALS', storeCode: '3900', retryable: false });
    expect((error as Error).message).toMatch(/Payments API key/);
  });

  it('3901 INVALID_PURCHASE_TOKEN (unknown token) → PurchaseVerificationError INVALID_PURCHASE_TOKEN', async () => {
    const error = await rejectionOf(client().verifyPurchase({ purchaseToken: 'no-such-token' }));
    expect(error).toBeInstanceOf(PurchaseVerificationError);
    expect(error).toMatchObject({ code: 'INVALID_PURCHASE_TOKEN', retryable: false });
  });

  it.each([
    [3800, 'STORE_CONSUME_FAILED', true],
    [5001, 'SUBSCRIPTION_NOT_FOUND', false],
    [5002, 'INVALID_SUBSCRIPTION_OPERATION', false],
    [5004, 'SUBSCRIPTION_INACTIVE', false],
    [5006, 'ACTIVE_SUBSCRIPTION_ALREADY_EXISTS', false],
    [5014, 'MULTISTORE_UNKNOWN_ERROR', true],
    [5015, 'MULTISTORE_AUTH_ERROR', true],
    [4242, 'STORE_ERROR', false],
    [150, 'STORE_ERROR', false],
  ])('code %i → StoreRejectedError %s (retryable %s)', async (storeCode, code, retryable) => {
    const token = fake.addPurchase({ productId: 'p' });
    fake.failNext(1, { kind: 'code', code: storeCode });
    const error = await rejectionOf(client().verifyPurchase({ purchaseToken: token }));
    expect(error).toBeInstanceOf(StoreRejectedError);
    expect(error).toMatchObject({ code, retryable, storeCode: String(storeCode) });
    expect((error as Error).message).toContain(String(storeCode));
  });

  it('multistore errors configured on a purchase surface on every call', async () => {
    const token = fake.addPurchase({ productId: 'p', type: 'onestore', failWithCode: 5015 });
    await expect(client().verifyPurchase({ purchaseToken: token, productId: 'p', type: 'onestore' })).rejects.toMatchObject({
      code: 'MULTISTORE_AUTH_ERROR',
    });
  });
});

describe('now.gg outages', () => {
  it('5xx → StoreUnavailableError, then recovers', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    fake.failNext(2, { kind: 'http-error', status: 503 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await rejectionOf(client().verifyPurchase({ purchaseToken: token }));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    }
    await expect(client().verifyPurchase({ purchaseToken: token })).resolves.toMatchObject({ productId: 'p' });
  });

  it('connection reset and non-JSON answers → StoreUnavailableError', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    fake.failNext(1, { kind: 'reset' });
    await expect(client().verifyPurchase({ purchaseToken: token })).rejects.toBeInstanceOf(StoreUnavailableError);
    fake.failNext(1, { kind: 'not-json' });
    await expect(client().verifyPurchase({ purchaseToken: token })).rejects.toThrow(/without a now.gg JSON envelope/);
  });

  it('a hung call times out → StoreUnavailableError naming the timeout', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    fake.failNext(1, { kind: 'hang' });
    const started = Date.now();
    const error = await rejectionOf(client(300).consumePurchase({ purchaseToken: token }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.purchase(token).consumeCount).toBe(0);
  });

  it('an unreachable host → StoreUnavailableError', async () => {
    const closed = await FakeNowgg.start();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const unreachable = new NowggClient({ outbound: testOutbound, paymentsApiKey: 'k', baseUrl });
    await expect(unreachable.verifyPurchase({ purchaseToken: 't' })).rejects.toThrow(/could not be reached/);
  });
});

describe('already-finished purchases', () => {
  it('a second consume is ALREADY_DONE and now.gg consumed only once', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    await expect(client().consumePurchase({ purchaseToken: token })).resolves.toBe('DONE');
    await expect(client().consumePurchase({ purchaseToken: token })).resolves.toBe('ALREADY_DONE');
    expect(fake.purchase(token).consumeCount).toBe(1);
  });

  it('3800 on a purchase that is not consumed stays an error', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    fake.failNext(1, { kind: 'code', code: 3800 });
    await expect(client().consumePurchase({ purchaseToken: token })).rejects.toMatchObject({
      code: 'STORE_CONSUME_FAILED',
      retryable: true,
    });
    await expect(client().consumePurchase({ purchaseToken: token })).resolves.toBe('DONE');
  });

  it('codes configured as "already consumed" are success without a re-check', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    const configured = new NowggClient({ outbound: testOutbound, paymentsApiKey: fake.paymentsApiKey, baseUrl: fake.baseUrl, alreadyConsumedCodes: [4100] });
    fake.failNext(1, { kind: 'code', code: 4100 });
    const before = fake.requests.length;
    await expect(configured.consumePurchase({ purchaseToken: token })).resolves.toBe('ALREADY_DONE');
    expect(fake.requests.length).toBe(before + 1);
  });

  it('a second acknowledgement is ALREADY_DONE and counted once', async () => {
    const token = fake.addPurchase({ productId: 'vip_month', subscription: true });
    await expect(client().acknowledgePurchase({ purchaseToken: token })).resolves.toBe('DONE');
    await expect(client().acknowledgePurchase({ purchaseToken: token })).resolves.toBe('ALREADY_DONE');
    expect(fake.purchase(token).acknowledgeCount).toBe(1);
  });
});

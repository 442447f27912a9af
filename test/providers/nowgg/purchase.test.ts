import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurchaseVerificationError } from '../../../src/platform/errors.js';
import { majorToMinorUnits, verifyNowggPurchase } from '../../../src/providers/nowgg/protocol/index.js';
import { FakeNowgg } from '../../helpers/fake-nowgg.js';
import { nowggAccount } from './account-fixture.js';

let fake: FakeNowgg;
beforeAll(async () => {
  fake = await FakeNowgg.start();
});
afterAll(async () => {
  await fake.close();
});

describe('majorToMinorUnits', () => {
  it.each([
    ['25.15', 'USD', 2515n],
    ['25.1', 'USD', 2510n],
    ['25', 'USD', 2500n],
    ['0.07', 'USD', 7n],
    ['1000', 'JPY', 1000n],
    ['1000.00', 'JPY', 1000n],
    ['1.234', 'KWD', 1234n],
    ['92233720368547758.07', 'USD', 9223372036854775807n],
  ] as const)('%s %s → %s', (amount, currency, minor) => {
    expect(majorToMinorUnits(amount, currency)).toBe(minor);
  });

  it('converts JSON numbers without float error (24.99, 0.29, 1.15)', () => {
    expect(majorToMinorUnits(24.99, 'USD')).toBe(2499n);
    expect(majorToMinorUnits(0.29, 'USD')).toBe(29n);
    expect(majorToMinorUnits(1.15, 'USD')).toBe(115n);
  });

  it.each([['1.005', 'USD'], ['1.5', 'JPY'], ['-1', 'USD'], ['1e3', 'USD'], ['', 'USD'], ['12', 'usd'], ['12', 'US']])(
    'refuses %s %s',
    (amount, currency) => {
      expect(() => majorToMinorUnits(amount, currency)).toThrow(RangeError);
    },
  );
});

describe('verifyNowggPurchase', () => {
  it('maps a paid now.gg purchase to a VerifiedPurchase the server consumes', async () => {
    const purchaseTime = new Date('2026-03-01T10:00:00.000Z');
    const token = fake.addPurchase({ productId: 'gems_100', amount: '25.15', currency: 'USD', purchaseTime, orderId: '1-2024' });
    const verified = await verifyNowggPurchase(nowggAccount(fake), { purchaseToken: token, productId: 'gems_100', currency: 'USD' });
    expect(verified).toMatchObject({
      storeOrderId: '1-2024',
      storeProductId: 'gems_100',
      productType: null,
      quantity: 1,
      amountMinor: 2515n,
      currency: 'USD',
      purchaseToken: token,
      purchasedAt: purchaseTime,
      expiresAt: null,
      environment: 'PRODUCTION',
      revocation: null,
      finishMode: 'SERVER',
      finishParams: { type: 'nowgg', purchaseToken: token, productId: 'gems_100' },
    });
    expect(verified.payload).toMatchObject({ orderId: '1-2024', orderAmount: '25.15', purchaseType: 'nowgg' });
    expect(JSON.parse(JSON.stringify(verified.payload))).toEqual(verified.payload);
  });

  it('test orders are SANDBOX and must come to a SANDBOX account', async () => {
    const token = fake.addPurchase({ productId: 'p', isTestOrder: true });
    await expect(verifyNowggPurchase(nowggAccount(fake), { purchaseToken: token, productId: 'p' })).rejects.toMatchObject({
      code: 'WRONG_ENVIRONMENT',
    });
    const sandbox = nowggAccount(fake, { environment: 'SANDBOX' });
    await expect(verifyNowggPurchase(sandbox, { purchaseToken: token, productId: 'p' })).resolves.toMatchObject({
      environment: 'SANDBOX',
    });
    const live = fake.addPurchase({ productId: 'p', isTestOrder: false });
    await expect(verifyNowggPurchase(sandbox, { purchaseToken: live, productId: 'p' })).rejects.toMatchObject({
      code: 'WRONG_ENVIRONMENT',
    });
  });

  it('refuses purchases of another app when appId or packageName is configured', async () => {
    const token = fake.addPurchase({ productId: 'p', appId: '777', packageName: 'com.other.game' });
    for (const settings of [{ appId: '11001' }, { packageName: 'gg.now.sample.app' }]) {
      const error = verifyNowggPurchase(nowggAccount(fake, { settings }), { purchaseToken: token, productId: 'p' });
      await expect(error).rejects.toBeInstanceOf(PurchaseVerificationError);
      await expect(error).rejects.toMatchObject({ code: 'WRONG_APPLICATION' });
    }
    const matching = nowggAccount(fake, { settings: { appId: '777', packageName: 'com.other.game' } });
    await expect(verifyNowggPurchase(matching, { purchaseToken: token, productId: 'p' })).resolves.toBeTruthy();
  });

  it.each([1, 2])('purchaseState %i → PURCHASE_NOT_PAID', async (purchaseState) => {
    const token = fake.addPurchase({ productId: 'p', purchaseState });
    await expect(verifyNowggPurchase(nowggAccount(fake), { purchaseToken: token, productId: 'p' })).rejects.toMatchObject({
      code: 'PURCHASE_NOT_PAID',
    });
  });

  it('a token for another product → WRONG_PRODUCT', async () => {
    const token = fake.addPurchase({ productId: 'gems_10' });
    await expect(
      verifyNowggPurchase(nowggAccount(fake), { purchaseToken: token, productId: 'gems_1000' }),
    ).rejects.toMatchObject({ code: 'WRONG_PRODUCT' });
  });

  it.each([
    ['xiaomi', 'SERVER'],
    ['ONESTORE', 'SERVER'],
    ['amazon', 'CLIENT'],
    ['Huawei', 'CLIENT'],
  ] as const)('multistore type %s → finishMode %s with exact consume params', async (claimedType, finishMode) => {
    const type = claimedType.toLowerCase() as 'xiaomi' | 'onestore' | 'amazon' | 'huawei';
    const token = fake.addPurchase({ productId: 'coins', type, currency: 'CNY', amount: '6.00' });
    const verified = await verifyNowggPurchase(nowggAccount(fake), {
      purchaseToken: token,
      productId: 'coins',
      currency: 'CNY',
      type: claimedType,
    });
    expect(verified.finishMode).toBe(finishMode);
    expect(verified.finishParams).toEqual({ type, purchaseToken: token, productId: 'coins' });
    expect(verified.amountMinor).toBe(600n);
  });

  it('an unknown purchase type → MALFORMED_PURCHASE before calling now.gg', async () => {
    const before = fake.requests.length;
    await expect(
      verifyNowggPurchase(nowggAccount(fake), { purchaseToken: 't', productId: 'p', type: 'steam' }),
    ).rejects.toMatchObject({ code: 'MALFORMED_PURCHASE' });
    expect(fake.requests.length).toBe(before);
  });

  it('an amount finer than the currency allows → MALFORMED_PURCHASE', async () => {
    const token = fake.addPurchase({ productId: 'p', amount: '1.005', currency: 'USD' });
    await expect(verifyNowggPurchase(nowggAccount(fake), { purchaseToken: token, productId: 'p' })).rejects.toMatchObject({
      code: 'MALFORMED_PURCHASE',
    });
  });

  it('subscriptions carry AUTO_RENEWABLE and their expiry', async () => {
    const expiryTime = new Date('2026-04-01T00:00:00.000Z');
    const token = fake.addPurchase({ productId: 'vip', subscription: true, expiryTime });
    await expect(verifyNowggPurchase(nowggAccount(fake), { purchaseToken: token, productId: 'vip' })).resolves.toMatchObject({
      productType: 'AUTO_RENEWABLE',
      expiresAt: expiryTime,
    });
  });

  it('an account without a Payments API key → STORE_CREDENTIALS_MISSING', async () => {
    const account = nowggAccount(fake, { secrets: {} });
    await expect(verifyNowggPurchase(account, { purchaseToken: 't', productId: 'p' })).rejects.toMatchObject({
      code: 'STORE_CREDENTIALS_MISSING',
    });
  });
});

describe('store account settings', () => {
  it('null settings (omitted GraphQL fields) mean "not set"', async () => {
    const token = fake.addPurchase({ productId: 'p' });
    const account = nowggAccount(fake, {
      settings: { appId: null, packageName: null, requestTimeoutMs: null, alreadyConsumedCodes: null },
    });
    await expect(verifyNowggPurchase(account, { purchaseToken: token, productId: 'p' })).resolves.toBeTruthy();
  });

  it('invalid settings → VALIDATION_FAILED naming the field', async () => {
    const account = nowggAccount(fake, { settings: { requestTimeoutMs: 'soon' } });
    await expect(verifyNowggPurchase(account, { purchaseToken: 't', productId: 'p' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: [expect.objectContaining({ path: 'settings.requestTimeoutMs' })],
    });
  });
});

// Client submissions → VerifiedPurchase, against purchases signed by the fake Huawei.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurchaseVerificationError, StoreAccountError } from '../../../src/platform/errors.js';
import {
  HUAWEI_CBG_ROOT_CA_G2_PEM,
  HUAWEI_CBG_ROOT_CA_G2_SHA256,
  huaweiAccountSecretsSchema,
  huaweiAccountSettingsSchema,
  parseTrustedRootsPem,
  verifyHuaweiPurchase,
  type HuaweiPurchaseSubmission,
} from '../../../src/providers/huawei/protocol/index.js';
import { certificateExtensionOids } from '../../../src/providers/huawei/protocol/der.js';
import { FakeHuawei } from '../../helpers/fake-huawei.js';

let fake: FakeHuawei;

beforeAll(async () => {
  fake = await FakeHuawei.start();
});
afterAll(() => fake.close());

async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PurchaseVerificationError);
  return (error as PurchaseVerificationError).code;
}

describe('verifyHuaweiPurchase', () => {
  it('maps a consumable purchase from purchaseData', async () => {
    const { purchaseData, payload } = await fake.signPurchase({ quantity: 2, price: 1200 });
    const verified = await verifyHuaweiPurchase(fake.storeAccount(), { purchaseData });
    expect(verified).toEqual({
      storeOrderId: payload.purchaseOrderId,
      storeProductId: 'gems_100',
      productType: 'CONSUMABLE',
      quantity: 2,
      amountMinor: 1200n,
      currency: 'CNY',
      purchaseToken: payload.purchaseToken,
      purchasedAt: new Date(payload.purchaseTime as number),
      expiresAt: null,
      subscription: null,
      environment: 'SANDBOX',
      revocation: null,
      finishMode: 'CLIENT',
      finishParams: { productType: 0, purchaseToken: payload.purchaseToken, purchaseOrderId: payload.purchaseOrderId },
      payload,
    });
  });

  it('the fake signs what Huawei signs: productType a string, price a number, no quantity, finishStatus and needFinish', async () => {
    const { payload } = await fake.signPurchase();
    expect(typeof payload.productType).toBe('string');
    expect(typeof payload.price).toBe('number');
    expect(payload).not.toHaveProperty('quantity');
    expect(payload).toMatchObject({ finishStatus: '2', needFinish: true });
    const verified = await verifyHuaweiPurchase(fake.storeAccount(), { purchaseData: (await fake.signPurchase()).purchaseData });
    expect(verified.quantity).toBe(1);
    const notification = await fake.signNotification({ notificationType: 'DID_NEW_TRANSACTION', purchaseOrderId: String(payload.purchaseOrderId) });
    expect((notification.payload.notificationMetaData as Record<string, unknown>).type).toBe(0);
  });

  it('accepts a bare jwsPurchaseOrder, and purchaseData that is itself the JWS', async () => {
    const { jwsPurchaseOrder, payload } = await fake.signPurchase();
    const account = fake.storeAccount();
    expect((await verifyHuaweiPurchase(account, { jwsPurchaseOrder })).storeOrderId).toBe(payload.purchaseOrderId);
    expect((await verifyHuaweiPurchase(account, { purchaseData: jwsPurchaseOrder })).storeOrderId).toBe(payload.purchaseOrderId);
  });

  it('uses finishMode SERVER when the account has server credentials', async () => {
    const { purchaseData } = await fake.signPurchase();
    const verified = await verifyHuaweiPurchase(fake.storeAccount({ withCredentials: true }), { purchaseData });
    expect(verified.finishMode).toBe('SERVER');
    expect(verified.finishParams).toMatchObject({ productType: 0 });
  });

  it.each([
    ['1', 'NON_CONSUMABLE', 1],
    ['3', 'NON_RENEWING', 3],
  ] as const)('maps productType "%s" to %s', async (code, productType, numericCode) => {
    const { purchaseData } = await fake.signPurchase({ productType: code });
    const verified = await verifyHuaweiPurchase(fake.storeAccount(), { purchaseData });
    expect(verified.productType).toBe(productType);
    expect(verified.finishParams?.productType).toBe(numericCode);
  });

  it('reads a subscription expiry when the payload carries one', async () => {
    const expiresTime = Date.now() + 30 * 24 * 60 * 60 * 1000;
    const { purchaseData } = await fake.signPurchase({
      productType: '2',
      productId: 'vip_monthly',
      subscriptionId: 'sub-1',
      subGroupId: 'group-1',
      duration: 'P1M',
      expiresTime: String(expiresTime),
    });
    const verified = await verifyHuaweiPurchase(fake.storeAccount(), { purchaseData });
    expect(verified.productType).toBe('AUTO_RENEWABLE');
    expect(verified.expiresAt).toEqual(new Date(expiresTime));
    expect(verified.finishParams?.productType).toBe(2);
  });

  it('reports a refunded order as a revocation instead of failing', async () => {
    const revocationTime = Date.now() - 1000;
    const { purchaseData } = await fake.signPurchase({ purchaseOrderRevocationReasonCode: '1', revocationTime });
    const verified = await verifyHuaweiPurchase(fake.storeAccount(), { purchaseData });
    expect(verified.revocation).toEqual({ at: new Date(revocationTime), reason: 'USER_REFUND' });
  });

  it('tolerates missing optional fields (price, currency, quantity)', async () => {
    const { purchaseData } = await fake.signPurchase({ price: undefined, currency: undefined, quantity: undefined });
    const verified = await verifyHuaweiPurchase(fake.storeAccount(), { purchaseData });
    expect(verified).toMatchObject({ amountMinor: null, currency: null, quantity: 1 });
  });

  it('rejects a purchase for another Huawei app with WRONG_APPLICATION', async () => {
    const { purchaseData } = await fake.signPurchase({ applicationId: '999' });
    expect(await rejectionCode(verifyHuaweiPurchase(fake.storeAccount(), { purchaseData }))).toBe('WRONG_APPLICATION');
  });

  it('rejects a NORMAL (production) purchase on a sandbox account with WRONG_ENVIRONMENT', async () => {
    const { purchaseData } = await fake.signPurchase({ environment: 'NORMAL' });
    expect(await rejectionCode(verifyHuaweiPurchase(fake.storeAccount(), { purchaseData }))).toBe('WRONG_ENVIRONMENT');
  });

  it('refuses the fake chain on a production account (pinned root only)', async () => {
    const { purchaseData } = await fake.signPurchase({ environment: 'NORMAL' });
    const production = fake.storeAccount({ environment: 'PRODUCTION' });
    expect(await rejectionCode(verifyHuaweiPurchase(production, { purchaseData }))).toBe('UNTRUSTED_CERTIFICATE');
  });

  it.each<[HuaweiPurchaseSubmission, string]>([
    [{}, 'nothing submitted'],
    [{ purchaseData: 'not json' }, 'non-JSON purchaseData'],
    [{ purchaseData: '{"type":0}' }, 'purchaseData without jwsPurchaseOrder'],
  ])('rejects %j (%s) with MALFORMED_PURCHASE', async (submission) => {
    expect(await rejectionCode(verifyHuaweiPurchase(fake.storeAccount(), submission))).toBe('MALFORMED_PURCHASE');
  });

  it('rejects purchaseData and jwsPurchaseOrder that disagree', async () => {
    const first = await fake.signPurchase();
    const second = await fake.signPurchase();
    const submission = { purchaseData: first.purchaseData, jwsPurchaseOrder: second.jwsPurchaseOrder };
    expect(await rejectionCode(verifyHuaweiPurchase(fake.storeAccount(), submission))).toBe('MALFORMED_PURCHASE');
  });

  it('rejects a correctly signed payload that lacks required fields', async () => {
    const { purchaseData } = await fake.signPurchase({ purchaseToken: undefined });
    expect(await rejectionCode(verifyHuaweiPurchase(fake.storeAccount(), { purchaseData }))).toBe('MALFORMED_PURCHASE');
    const unknownType = await fake.signPurchase({ productType: '7' });
    expect(await rejectionCode(verifyHuaweiPurchase(fake.storeAccount(), { purchaseData: unknownType.purchaseData }))).toBe(
      'MALFORMED_PURCHASE',
    );
  });

  it('throws StoreAccountError when the account has no applicationId', async () => {
    const { purchaseData } = await fake.signPurchase();
    const account = { ...fake.storeAccount(), settings: {} };
    await expect(verifyHuaweiPurchase(account, { purchaseData })).rejects.toBeInstanceOf(StoreAccountError);
  });
});

describe('account schemas', () => {
  it('requires applicationId and accepts optional server credentials', () => {
    expect(huaweiAccountSettingsSchema.safeParse({}).success).toBe(false);
    expect(huaweiAccountSettingsSchema.parse({ applicationId: '123', issuerId: 'iss', keyId: 'kid' })).toEqual({
      applicationId: '123',
      issuerId: 'iss',
      keyId: 'kid',
    });
  });

  it('accepts only a PKCS#8 EC P-256 private key', () => {
    const { privateKeyPem } = fake.createApiCredentials();
    expect(huaweiAccountSecretsSchema.safeParse({ privateKeyPem }).success).toBe(true);
    expect(huaweiAccountSecretsSchema.safeParse({}).success).toBe(true);
    expect(huaweiAccountSecretsSchema.safeParse({ privateKeyPem: 'garbage' }).success).toBe(false);
    expect(huaweiAccountSecretsSchema.safeParse({ privateKeyPem: HUAWEI_CBG_ROOT_CA_G2_PEM }).success).toBe(false);
  });
});

describe('pinned Huawei CBG Root CA G2', () => {
  it('parses, matches its fingerprint, and is a CA certificate', () => {
    const [root] = parseTrustedRootsPem(HUAWEI_CBG_ROOT_CA_G2_PEM);
    expect(root?.sha256).toBe(HUAWEI_CBG_ROOT_CA_G2_SHA256);
    expect(root?.subject).toContain('CN=Huawei CBG Root CA G2');
    expect(root?.certificate.ca).toBe(true);
    // key usage, basic constraints, subject key identifier
    expect(certificateExtensionOids(root?.certificate.raw ?? new Uint8Array())).toEqual(['2.5.29.15', '2.5.29.19', '2.5.29.14']);
  });

  it('rejects trustedRootsPem without certificates', () => {
    expect(() => parseTrustedRootsPem('nothing here')).toThrow(/trustedRootsPem/);
  });
});

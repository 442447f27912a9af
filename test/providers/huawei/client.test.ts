// The server API client against the fake Huawei over real HTTP: JWT auth as Huawei checks
// it, confirm semantics, status queries with refunds, and every failure mode.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, StoreAccountError, StoreRejectedError, StoreUnavailableError } from '../../../src/platform/errors.js';
import {
  HUAWEI_API_PATHS,
  confirmDelivery,
  queryOrderStatus,
} from '../../../src/providers/huawei/protocol/index.js';
import type { AckRequest } from '../../../src/providers/contract.js';
import { FakeHuawei, type SignedPurchase } from '../../helpers/fake-huawei.js';
import { huawei as huaweiProvider } from '../../../src/providers/huawei/index.js';

let fake: FakeHuawei;

beforeAll(async () => {
  fake = await FakeHuawei.start();
});
afterAll(() => fake.close());

function orderOf(purchase: SignedPurchase): { purchaseOrderId: string; purchaseToken: string } {
  return { purchaseOrderId: String(purchase.payload.purchaseOrderId), purchaseToken: String(purchase.payload.purchaseToken) };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

describe('Bearer JWT', () => {
  it('is accepted by the fake: ES256 with kid, aud iap-v1, aid, digest of the exact body, exp − iat ≤ 1 h', async () => {
    const purchase = await fake.signPurchase();
    const account = fake.storeAccount({ withCredentials: true });
    await confirmDelivery(account, { ...orderOf(purchase), productType: 'CONSUMABLE' });

    const request = fake.requests.at(-1);
    expect(request?.authFailure).toBeNull();
    const claims = request?.claims;
    expect(claims).toMatchObject({ aud: 'iap-v1', iss: account.settings.issuerId, aid: fake.applicationId });
    expect(claims?.digest).toBe(createHash('sha256').update(request?.rawBody ?? '').digest('hex'));
    const { iat = 0, exp = 0 } = claims ?? {};
    expect(exp - iat).toBeLessThanOrEqual(3600);
    expect(iat).toBeLessThan(Date.now() / 1000 - 30);
    expect(JSON.parse(request?.rawBody ?? '')).toEqual(orderOf(purchase));
  });

  it('sends header alg ES256, typ JWT and the account kid', async () => {
    const purchase = await fake.signPurchase();
    const credentials = fake.createApiCredentials();
    await confirmDelivery(fake.storeAccount({ credentials }), { ...orderOf(purchase), productType: 'CONSUMABLE' });
    expect(fake.requests.at(-1)?.jwtHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: credentials.keyId });
  });

  it('is refused by the fake when signed with an unregistered key', async () => {
    const purchase = await fake.signPurchase();
    const stranger = { ...fake.createApiCredentials(), keyId: 'kid-not-registered' };
    const error = await caught(confirmDelivery(fake.storeAccount({ credentials: stranger }), { ...orderOf(purchase), productType: 'CONSUMABLE' }));
    expect(error).toBeInstanceOf(StoreRejectedError);
    expect((error as StoreRejectedError).code).toBe('HUAWEI_INVALID_ACCOUNT');
    expect(fake.requests.at(-1)?.authFailure).toMatch(/unknown kid/);
  });
});

describe('confirmDelivery', () => {
  it('confirms once; a repeat answers 1001880009 and still resolves', async () => {
    const purchase = await fake.signPurchase();
    const account = fake.storeAccount({ withCredentials: true });
    const request = { ...orderOf(purchase), productType: 'CONSUMABLE' } as const;
    await expect(confirmDelivery(account, request)).resolves.toBe('CONFIRMED');
    await expect(confirmDelivery(account, request)).resolves.toBe('ALREADY_CONFIRMED');
    expect(fake.confirmAttempts(request.purchaseOrderId)).toBe(2);
    expect(fake.isConfirmed(request.purchaseOrderId)).toBe(true);
    expect(fake.requests.at(-1)?.path).toBe(HUAWEI_API_PATHS.orderShippedConfirm);
  });

  it('uses the subscription endpoint for AUTO_RENEWABLE and treats 1001880020 as done', async () => {
    const purchase = await fake.signPurchase({ productType: '2' });
    const account = fake.storeAccount({ withCredentials: true });
    const request = { ...orderOf(purchase), productType: 'AUTO_RENEWABLE' } as const;
    await expect(confirmDelivery(account, request)).resolves.toBe('CONFIRMED');
    expect(fake.requests.at(-1)?.path).toBe(HUAWEI_API_PATHS.subscriptionShippedConfirm);
    await expect(confirmDelivery(account, request)).resolves.toBe('ALREADY_CONFIRMED');
  });

  it.each(['1001880009', '1001880020'])('treats an injected %s as success', async (responseCode) => {
    const purchase = await fake.signPurchase();
    fake.failNext(1, { kind: 'response-code', responseCode });
    const outcome = await confirmDelivery(fake.storeAccount({ withCredentials: true }), { ...orderOf(purchase), productType: 'CONSUMABLE' });
    expect(outcome).toBe('ALREADY_CONFIRMED');
  });

  it('maps HTTP 5xx to StoreUnavailableError and succeeds once Huawei recovers', async () => {
    const purchase = await fake.signPurchase();
    const account = fake.storeAccount({ withCredentials: true });
    const request = { ...orderOf(purchase), productType: 'CONSUMABLE' } as const;
    fake.failNext(2, { kind: 'http-status', status: 503 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await caught(confirmDelivery(account, request));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as AppError).retryable).toBe(true);
    }
    await expect(confirmDelivery(account, request)).resolves.toBe('CONFIRMED');
    expect(fake.confirmAttempts(request.purchaseOrderId)).toBe(3);
  });

  it('maps a hung request to StoreUnavailableError after the timeout', async () => {
    const purchase = await fake.signPurchase();
    fake.failNext(1, { kind: 'hang' });
    const started = Date.now();
    const error = await caught(
      confirmDelivery(fake.storeAccount({ withCredentials: true }), { ...orderOf(purchase), productType: 'CONSUMABLE' }, { timeoutMs: 300 }),
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('maps a connection reset to StoreUnavailableError', async () => {
    const purchase = await fake.signPurchase();
    fake.failNext(1, { kind: 'reset' });
    const error = await caught(confirmDelivery(fake.storeAccount({ withCredentials: true }), { ...orderOf(purchase), productType: 'CONSUMABLE' }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps an unreachable host to StoreUnavailableError', async () => {
    const purchase = await fake.signPurchase();
    const account = { ...fake.storeAccount({ withCredentials: true }), apiBaseUrl: 'http://127.0.0.1:1' };
    expect(await caught(confirmDelivery(account, { ...orderOf(purchase), productType: 'CONSUMABLE' }))).toBeInstanceOf(StoreUnavailableError);
  });

  it.each([
    ['1001880005', 'HUAWEI_IAP_NOT_ACTIVATED', false],
    ['1001880006', 'HUAWEI_SERVER_FATAL', true],
    ['1001880008', 'HUAWEI_NOT_OWNED', false],
    ['1001880010', 'HUAWEI_HIGH_RISK', false],
    ['1001880011', 'HUAWEI_INVALID_ACCOUNT', false],
    ['1001880012', 'HUAWEI_RECORD_NOT_FOUND', false],
    ['1001889999', 'HUAWEI_REQUEST_REJECTED', false],
  ] as const)('maps responseCode %s to StoreRejectedError %s', async (responseCode, code, retryable) => {
    const purchase = await fake.signPurchase();
    fake.failNext(1, { kind: 'response-code', responseCode });
    const error = await caught(confirmDelivery(fake.storeAccount({ withCredentials: true }), { ...orderOf(purchase), productType: 'CONSUMABLE' }));
    expect(error).toBeInstanceOf(StoreRejectedError);
    expect(error).toMatchObject({ code, storeCode: responseCode, retryable });
  });

  it('refuses to call Huawei without credentials', async () => {
    const purchase = await fake.signPurchase();
    const error = await caught(confirmDelivery(fake.storeAccount(), { ...orderOf(purchase), productType: 'CONSUMABLE' }));
    expect(error).toBeInstanceOf(StoreAccountError);
    expect((error as StoreAccountError).code).toBe('STORE_CREDENTIALS_MISSING');
  });
});

describe('queryOrderStatus', () => {
  it('returns the verified order, and the revocation once Huawei records a refund', async () => {
    const purchase = await fake.signPurchase();
    const account = fake.storeAccount({ withCredentials: true });
    const before = await queryOrderStatus(account, orderOf(purchase));
    expect(before).toMatchObject({ storeOrderId: purchase.payload.purchaseOrderId, revocation: null, finishMode: 'SERVER' });

    const refundedAt = Date.now();
    fake.refund(String(purchase.payload.purchaseOrderId), '1', refundedAt);
    const after = await queryOrderStatus(account, orderOf(purchase));
    expect(after.revocation).toEqual({ at: new Date(refundedAt), reason: 'USER_REFUND' });
  });

  it('maps an unknown order to HUAWEI_RECORD_NOT_FOUND', async () => {
    const error = await caught(
      queryOrderStatus(fake.storeAccount({ withCredentials: true }), { purchaseOrderId: 'nope', purchaseToken: 'nope' }),
    );
    expect(error).toMatchObject({ code: 'HUAWEI_RECORD_NOT_FOUND', storeCode: '1001880012' });
  });
});

describe('huaweiProvider.acknowledge', () => {
  function ackRequest(purchase: SignedPurchase, overrides: Partial<AckRequest> = {}): AckRequest {
    return {
      orderId: 'order-1',
      storeOrderId: String(purchase.payload.purchaseOrderId),
      storeProductId: String(purchase.payload.productId),
      productType: null,
      purchaseToken: null,
      payload: purchase.payload,
      ...overrides,
    };
  }

  it('confirms using the stored payload and is idempotent', async () => {
    const purchase = await fake.signPurchase({ productType: '2' });
    const account = fake.storeAccount({ withCredentials: true });
    await huaweiProvider.acknowledge?.(account, ackRequest(purchase));
    await huaweiProvider.acknowledge?.(account, ackRequest(purchase));
    expect(fake.isConfirmed(String(purchase.payload.purchaseOrderId))).toBe(true);
    expect(fake.requests.at(-1)?.path).toBe(HUAWEI_API_PATHS.subscriptionShippedConfirm);
  });

  it('throws StoreAccountError without credentials', async () => {
    const purchase = await fake.signPurchase();
    await expect(huaweiProvider.acknowledge?.(fake.storeAccount(), ackRequest(purchase))).rejects.toBeInstanceOf(StoreAccountError);
  });
});

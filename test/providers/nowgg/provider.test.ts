import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductType } from '../../../src/generated/prisma/enums.js';
import type { AckRequest, VerifiedPurchase } from '../../../src/providers/contract.js';
import { acknowledgeNowggPurchase, verifyNowggPurchase } from '../../../src/providers/nowgg/protocol/index.js';
import { nowgg as nowggProvider } from '../../../src/providers/nowgg/index.js';
import { FakeNowgg, type FakeNowggStoreType } from '../../helpers/fake-nowgg.js';
import { nowggAccount } from './account-fixture.js';

let fake: FakeNowgg;
beforeAll(async () => {
  fake = await FakeNowgg.start();
});
afterAll(async () => {
  await fake.close();
});

// What the core builds from a recorded order: the verified purchase as stored.
function ackRequestFor(verified: VerifiedPurchase, productType: ProductType | null = verified.productType): AckRequest {
  return {
    orderId: 'order_1',
    storeOrderId: verified.storeOrderId,
    storeProductId: verified.storeProductId,
    productType,
    purchaseToken: verified.purchaseToken,
    payload: JSON.parse(JSON.stringify(verified.payload)) as Record<string, unknown>,
  };
}

async function verifiedPurchase(input: { productId: string; type?: FakeNowggStoreType; subscription?: boolean }) {
  const token = fake.addPurchase({ ...input, currency: 'USD', amount: '4.99' });
  const verified = await verifyNowggPurchase(nowggAccount(fake), {
    purchaseToken: token,
    productId: input.productId,
    currency: 'USD',
    type: input.type,
  });
  return { token, verified };
}

describe('nowggProvider.acknowledge', () => {
  it('consumes a now.gg consumable once; a retried task is still success', async () => {
    const { token, verified } = await verifiedPurchase({ productId: 'gems' });
    const request = ackRequestFor(verified, 'CONSUMABLE');
    await nowggProvider.acknowledge?.(nowggAccount(fake), request);
    await nowggProvider.acknowledge?.(nowggAccount(fake), request);
    expect(fake.purchase(token).consumeCount).toBe(1);
    await expect(acknowledgeNowggPurchase(nowggAccount(fake), request)).resolves.toBe('ALREADY_DONE');
  });

  it.each(['xiaomi', 'onestore'] as const)('consumes %s purchases through now.gg multistore', async (type) => {
    const { token, verified } = await verifiedPurchase({ productId: 'gems', type });
    await nowggProvider.acknowledge?.(nowggAccount(fake), ackRequestFor(verified, 'CONSUMABLE'));
    expect(fake.purchase(token).consumeCount).toBe(1);
    expect(fake.requests.at(-1)?.form).toMatchObject({ type, productId: 'gems', currency: 'USD' });
  });

  it('acknowledges a subscription instead of consuming it', async () => {
    const { token, verified } = await verifiedPurchase({ productId: 'vip', subscription: true });
    const request = ackRequestFor(verified);
    expect(request.productType).toBe('AUTO_RENEWABLE');
    await nowggProvider.acknowledge?.(nowggAccount(fake), request);
    await nowggProvider.acknowledge?.(nowggAccount(fake), request);
    expect(fake.purchase(token).acknowledgeCount).toBe(1);
    expect(fake.purchase(token).consumeCount).toBe(0);
  });

  it.each(['amazon', 'huawei'] as const)('refuses to consume %s purchases server-side without calling now.gg', async (type) => {
    const { verified } = await verifiedPurchase({ productId: 'gems', type });
    const before = fake.requests.length;
    await expect(nowggProvider.acknowledge?.(nowggAccount(fake), ackRequestFor(verified))).rejects.toMatchObject({
      code: 'CLIENT_FINISH_ONLY',
    });
    expect(fake.requests.length).toBe(before);
  });

  it('an outage fails the task retryably, and the retry consumes', async () => {
    const { token, verified } = await verifiedPurchase({ productId: 'gems' });
    fake.failNext(1, { kind: 'http-error', status: 502 });
    await expect(nowggProvider.acknowledge?.(nowggAccount(fake), ackRequestFor(verified))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retryable: true,
    });
    await nowggProvider.acknowledge?.(nowggAccount(fake), ackRequestFor(verified));
    expect(fake.purchase(token).consumeCount).toBe(1);
  });

  it('a consume whose answer was lost is success on retry, consumed once', async () => {
    const { token, verified } = await verifiedPurchase({ productId: 'gems' });
    fake.failNext(1, { kind: 'drop-answer' });
    await expect(acknowledgeNowggPurchase(nowggAccount(fake), ackRequestFor(verified))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(fake.purchase(token).consumeCount).toBe(1);
    await expect(acknowledgeNowggPurchase(nowggAccount(fake), ackRequestFor(verified))).resolves.toBe('ALREADY_DONE');
    expect(fake.purchase(token).consumeCount).toBe(1);
  });

  it('the account timeout setting applies to acknowledgements', async () => {
    const { token, verified } = await verifiedPurchase({ productId: 'gems' });
    fake.failNext(1, { kind: 'hang' });
    const account = nowggAccount(fake, { settings: { requestTimeoutMs: 200 } });
    await expect(acknowledgeNowggPurchase(account, ackRequestFor(verified))).rejects.toThrow(/within 200 ms/);
    expect(fake.purchase(token).consumeCount).toBe(0);
  });

  it('a rotated Payments API key fails with INVALID_STORE_CREDENTIALS', async () => {
    const { verified } = await verifiedPurchase({ productId: 'gems' });
    const stale = nowggAccount(fake, { secrets: { paymentsApiKey: 'old-key' } });
    await expect(nowggProvider.acknowledge?.(stale, ackRequestFor(verified))).rejects.toMatchObject({
      code: 'INVALID_STORE_CREDENTIALS',
      storeCode: '3900',
    });
  });
});

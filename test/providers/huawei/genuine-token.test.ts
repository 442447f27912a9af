// A genuine Huawei-signed jwsPurchaseOrder (public, see the fixture's header) through the
// production verification path: pinned Huawei CBG Root CA G2, no extra roots, a PRODUCTION
// account. Its leaf expired on 2026-03-01, so the clock is set to the token's signedTime.
//
// Its certificates name Huawei's real CRLs (http://h5hosting-drcn.dbankcdn.cn/… for the leaf,
// http://pki.consumer.huawei.com/… for the intermediate). Tests have no internet, so the CRL
// download is answered by a fetch that fails like an offline network: under soft-fail the
// token verifies and both unreachable CRLs are reported; under enforce it is refused,
// retryably. That the CRL check runs at all proves Huawei's distribution points are read.
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { PurchaseVerificationError, StoreUnavailableError } from '../../../src/platform/errors.js';
import {
  HuaweiCrlChecker,
  clearHuaweiChainCache,
  verifyHuaweiPurchase,
  type CrlFetch,
  type CrlUnavailableEvent,
} from '../../../src/providers/huawei/protocol/index.js';
import type { StoreAccountConfig } from '../../../src/providers/contract.js';

const GENUINE_JWS = readFileSync(new URL('../../fixtures/huawei/genuine-jws-purchase-order.txt', import.meta.url), 'utf8')
  .split('\n')
  .find((line) => line.length > 0 && !line.startsWith('#'))!;
const SIGNED_AT = new Date(1_716_434_162_562);

const productionAccount: StoreAccountConfig = {
  id: 'genuine-account',
  appId: 'genuine-app',
  store: 'HUAWEI',
  environment: 'PRODUCTION',
  settings: { applicationId: '5765880207854356261' },
  secrets: {},
  apiBaseUrl: null,
  trustedRootsPem: null,
};

/** What an offline machine's fetch does: fail before any byte arrives. */
const offline: { urls: string[]; fetch: CrlFetch } = {
  urls: [],
  fetch: async (url) => {
    offline.urls.push(url);
    throw new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${new URL(url).hostname}`) });
  },
};

function checker(policy: 'enforce' | 'soft-fail') {
  const events: CrlUnavailableEvent[] = [];
  return { events, crl: new HuaweiCrlChecker({ policy, timeoutMs: 1_000, fetch: offline.fetch, onUnavailable: (event) => events.push(event) }) };
}

beforeEach(() => {
  clearHuaweiChainCache();
  offline.urls.length = 0;
});

describe('a genuine Huawei-signed purchase order', () => {
  it('verifies against the pinned root at its signedTime and decodes to the order Huawei signed', async () => {
    const { crl, events } = checker('soft-fail');
    const purchase = await verifyHuaweiPurchase(productionAccount, { jwsPurchaseOrder: GENUINE_JWS }, { now: SIGNED_AT, revocation: crl });
    expect(purchase).toMatchObject({
      storeOrderId: '202405161036449949c73488c1.5765880207854356261',
      storeProductId: 'com.raven.tank.hmcn.test',
      productType: 'CONSUMABLE',
      quantity: 1,
      amountMinor: 1n,
      currency: 'CNY',
      purchaseToken: '0000018f7f4279e9d43bd3b8eb415ce7be42d7b2701540560d53a9af00979ed10995fe5f42c1752a.1.5765880207854356261',
      purchasedAt: new Date(1_715_827_013_000),
      expiresAt: null,
      environment: 'PRODUCTION',
      revocation: null,
      finishMode: 'CLIENT',
      finishParams: {
        productType: 0,
        purchaseOrderId: '202405161036449949c73488c1.5765880207854356261',
        purchaseToken: '0000018f7f4279e9d43bd3b8eb415ce7be42d7b2701540560d53a9af00979ed10995fe5f42c1752a.1.5765880207854356261',
      },
    });
    expect(purchase.payload).toMatchObject({ environment: 'NORMAL', productType: '0', price: 1, finishStatus: '1', needFinish: true });
    // Huawei's own CRL distribution points were read from the genuine leaf and intermediate.
    expect(offline.urls.sort()).toEqual([
      'http://h5hosting-drcn.dbankcdn.cn/cch5/crl/haicag3/HuaweiCBGHAIG3crl.crl',
      'http://pki.consumer.huawei.com/ca/crl/root_g2_crl.crl',
    ]);
    expect(events.map((event) => [event.role, event.reason])).toEqual(
      expect.arrayContaining([
        ['leaf', expect.stringContaining('ENOTFOUND h5hosting-drcn.dbankcdn.cn')],
        ['intermediate', expect.stringContaining('ENOTFOUND pki.consumer.huawei.com')],
      ]),
    );
  });

  it('is refused, retryably and with nothing to write, under enforce when Huawei’s CRLs cannot be reached', async () => {
    const error = await verifyHuaweiPurchase(productionAccount, { jwsPurchaseOrder: GENUINE_JWS }, { now: SIGNED_AT, revocation: checker('enforce').crl }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).retryable).toBe(true);
  });

  it('is refused today: its leaf certificate expired on 2026-03-01', async () => {
    const error = await verifyHuaweiPurchase(productionAccount, { jwsPurchaseOrder: GENUINE_JWS }, { now: new Date('2026-03-02T00:00:00Z') }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PurchaseVerificationError);
    expect((error as PurchaseVerificationError).code).toBe('CERTIFICATE_EXPIRED');
  });

  it('is refused when one payload byte changes, and for another app or a sandbox account', async () => {
    const [header, payload, signature] = GENUINE_JWS.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decoded, price: 100 })).toString('base64url')}.${signature}`;
    const codeOf = (account: StoreAccountConfig, jws: string) =>
      verifyHuaweiPurchase(account, { jwsPurchaseOrder: jws }, { now: SIGNED_AT }).then(
        () => null,
        (caught: unknown) => (caught as PurchaseVerificationError).code,
      );
    expect(await codeOf(productionAccount, tampered)).toBe('BAD_SIGNATURE');
    expect(await codeOf({ ...productionAccount, settings: { applicationId: '1' } }, GENUINE_JWS)).toBe('WRONG_APPLICATION');
    expect(await codeOf({ ...productionAccount, environment: 'SANDBOX' }, GENUINE_JWS)).toBe('WRONG_ENVIRONMENT');
  });
});

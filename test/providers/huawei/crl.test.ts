// Revocation of Huawei JWS certificates: the fake PKI's leaf and intermediate name CRL
// distribution points served over real HTTP (fake-huawei-crl.ts), CRLs signed by the fake CAs.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError, PurchaseVerificationError, StoreUnavailableError } from '../../../src/platform/errors.js';
import {
  HuaweiCrlChecker,
  clearHuaweiChainCache,
  trustSetFromPem,
  verifyHuaweiJws,
  type CrlUnavailableEvent,
  type HuaweiCrlCheckerOptions,
  type HuaweiCrlPolicy,
} from '../../../src/providers/huawei/protocol/index.js';
import { FakeHuawei } from '../../helpers/fake-huawei.js';

const MINUTE = 60_000;
const fakes: FakeHuawei[] = [];

async function startFake(): Promise<FakeHuawei> {
  const fake = await FakeHuawei.start();
  fakes.push(fake);
  return fake;
}

afterAll(async () => {
  await Promise.all(fakes.map((fake) => fake.close()));
});
beforeEach(() => clearHuaweiChainCache());

function checker(policy: HuaweiCrlPolicy, options: Partial<HuaweiCrlCheckerOptions> = {}) {
  const unavailable: CrlUnavailableEvent[] = [];
  const crl = new HuaweiCrlChecker({ policy, timeoutMs: 2_000, onUnavailable: (event) => unavailable.push(event), ...options });
  return { crl, unavailable };
}

async function verify(fake: FakeHuawei, crl: HuaweiCrlChecker, now?: Date) {
  const { jwsPurchaseOrder } = await fake.signPurchase();
  return verifyHuaweiJws(jwsPurchaseOrder, trustSetFromPem(fake.rootPem), { revocation: crl, ...(now ? { now } : {}) });
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('CRL check of the leaf and the intermediate', () => {
  let fake: FakeHuawei;
  beforeAll(async () => {
    fake = await startFake();
  });
  afterEach(() => {
    fake.crl.fail('root', null);
    fake.crl.fail('intermediate', null);
  });

  it('accepts a chain whose CRLs list neither certificate, fetching each CRL once and then using the cache', async () => {
    const { crl } = checker('enforce');
    const before = { root: fake.crl.fetches('root'), intermediate: fake.crl.fetches('intermediate') };
    await expect(verify(fake, crl)).resolves.toMatchObject({ payload: { productId: 'gems_100' } });
    await verify(fake, crl);
    await verify(fake, crl);
    expect(fake.crl.fetches('root') - before.root).toBe(1);
    expect(fake.crl.fetches('intermediate') - before.intermediate).toBe(1);
    expect(crl.stats()).toMatchObject({ downloads: 2, cached: 2 });
  });

  it('shares one download among concurrent checks (single flight)', async () => {
    const { crl } = checker('enforce');
    const before = fake.crl.fetches('intermediate');
    await Promise.all(Array.from({ length: 20 }, () => verify(fake, crl)));
    expect(fake.crl.fetches('intermediate') - before).toBe(1);
    expect(crl.stats().downloads).toBe(2);
  });

  it.each<[string, Parameters<FakeHuawei['crl']['fail']>[1]]>([
    ['the connection is reset', 'reset'],
    ['the CRL server answers 500', 'http-500'],
    ['the body is not a CRL', 'garbage'],
    ['the CRL is signed by another key', 'wrong-signer'],
    ['the CRL is past its nextUpdate', 'expired'],
  ])('under enforce refuses, retryably, when %s; soft-fail accepts and reports it; off never fetches', async (_, fault) => {
    fake.crl.fail('intermediate', fault);
    const enforce = checker('enforce');
    const error = await failure(verify(fake, enforce.crl));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('leaf certificate');
    expect(enforce.unavailable).toMatchObject([{ role: 'leaf', url: fake.crl.url('intermediate'), policy: 'enforce' }]);

    const softFail = checker('soft-fail');
    await expect(verify(fake, softFail.crl)).resolves.toBeDefined();
    expect(softFail.unavailable).toMatchObject([{ role: 'leaf', url: fake.crl.url('intermediate'), policy: 'soft-fail' }]);

    const before = fake.crl.fetches('intermediate') + fake.crl.fetches('root');
    const off = checker('off');
    await expect(verify(fake, off.crl)).resolves.toBeDefined();
    expect(fake.crl.fetches('intermediate') + fake.crl.fetches('root')).toBe(before);
    expect(off.unavailable).toEqual([]);
  });

  it('gives up on a hanging CRL server after HUAWEI_CRL_TIMEOUT_MS', async () => {
    fake.crl.fail('root', 'hang');
    const { crl, unavailable } = checker('enforce', { timeoutMs: 300 });
    const started = Date.now();
    expect(await failure(verify(fake, crl))).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(unavailable).toMatchObject([{ role: 'intermediate', reason: 'download timed out' }]);
  });

  it('does not retry a failed download before the back-off passes', async () => {
    fake.crl.fail('intermediate', 'http-500');
    const now = new Date();
    const { crl } = checker('enforce', { failureBackoffMs: 30_000 });
    const before = fake.crl.fetches('intermediate');
    await failure(verify(fake, crl, now));
    await failure(verify(fake, crl, new Date(now.getTime() + 10_000)));
    expect(fake.crl.fetches('intermediate') - before).toBe(1);
    fake.crl.fail('intermediate', null);
    await expect(verify(fake, crl, new Date(now.getTime() + 31_000))).resolves.toBeDefined();
    expect(fake.crl.fetches('intermediate') - before).toBe(2);
  });

  it('keeps at most cacheLimit CRLs', async () => {
    const { crl } = checker('enforce', { cacheLimit: 1 });
    await verify(fake, crl);
    expect(crl.stats().cached).toBe(1);
  });
});

describe('revoked certificates', () => {
  it('refuses a token whose leaf is on the intermediate CA’s CRL, under enforce and soft-fail alike', async () => {
    const fake = await startFake();
    fake.revokeCertificate('leaf');
    for (const policy of ['enforce', 'soft-fail'] as const) {
      const error = await failure(verify(fake, checker(policy).crl));
      expect(error).toBeInstanceOf(PurchaseVerificationError);
      expect(error.code).toBe('CERTIFICATE_REVOKED');
      expect(error.message).toContain('leaf certificate');
      expect(error.retryable).toBe(false);
    }
    // Revocation checking off: the operator chose not to know.
    await expect(verify(fake, checker('off').crl)).resolves.toBeDefined();
  });

  it('refuses a token whose intermediate is on the root’s CRL', async () => {
    const fake = await startFake();
    fake.revokeCertificate('intermediate');
    const error = await failure(verify(fake, checker('enforce').crl));
    expect(error.code).toBe('CERTIFICATE_REVOKED');
    expect(error.message).toContain('intermediate certificate');
  });

  it('sees a revocation once the cached CRL reaches its nextUpdate, not before', async () => {
    const fake = await startFake();
    const now = Date.now();
    fake.crl.setValidity('intermediate', { thisUpdate: new Date(now - MINUTE), nextUpdate: new Date(now + 60 * MINUTE) });
    const { crl } = checker('enforce');
    await verify(fake, crl, new Date(now));
    fake.revokeCertificate('leaf');
    fake.crl.setValidity('intermediate', { thisUpdate: new Date(now + 59 * MINUTE), nextUpdate: new Date(now + 120 * MINUTE) });
    // Still inside the cached CRL's validity: no download, still accepted.
    await expect(verify(fake, crl, new Date(now + 30 * MINUTE))).resolves.toBeDefined();
    expect(fake.crl.fetches('intermediate')).toBe(1);
    // Past nextUpdate: the new CRL is fetched and the revocation applies.
    expect((await failure(verify(fake, crl, new Date(now + 61 * MINUTE)))).code).toBe('CERTIFICATE_REVOKED');
    expect(fake.crl.fetches('intermediate')).toBe(2);
  });

  it('refreshes after maxAge but keeps using a still-current CRL when the refresh fails', async () => {
    const fake = await startFake();
    const now = Date.now();
    fake.crl.setValidity('intermediate', { thisUpdate: new Date(now - MINUTE), nextUpdate: new Date(now + 60 * MINUTE) });
    const { crl, unavailable } = checker('enforce', { maxAgeMs: 5 * MINUTE });
    await verify(fake, crl, new Date(now));
    fake.crl.fail('intermediate', 'reset');
    await expect(verify(fake, crl, new Date(now + 10 * MINUTE))).resolves.toBeDefined();
    expect(fake.crl.fetches('intermediate')).toBe(2);
    expect(unavailable).toEqual([]);
    // Once that CRL is out of date and no new one can be had, enforce refuses.
    expect(await failure(verify(fake, crl, new Date(now + 61 * MINUTE)))).toBeInstanceOf(StoreUnavailableError);
  });

  it('never downloads a CRL for a token whose signature does not verify', async () => {
    const fake = await startFake();
    const before = fake.crl.fetches('intermediate');
    const token = await fake.hostileToken('tampered-payload');
    const error = await failure(verifyHuaweiJws(token, trustSetFromPem(fake.rootPem), { revocation: checker('enforce').crl }));
    expect(error.code).toBe('BAD_SIGNATURE');
    expect(fake.crl.fetches('intermediate')).toBe(before);
  });
});

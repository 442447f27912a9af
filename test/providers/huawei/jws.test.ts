// JWS verification against the fake Huawei PKI: the valid path, every hostile token, and
// the chain cache. Real certificates, real signatures.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PurchaseVerificationError } from '../../../src/platform/errors.js';
import {
  HUAWEI_CBG_ROOT_CA_G2_SHA256,
  clearHuaweiChainCache,
  huaweiChainCacheStats,
  huaweiTrustSetFor,
  trustSetFromPem,
  verifyHuaweiJws,
  type TrustSet,
} from '../../../src/providers/huawei/protocol/index.js';
import { FakeHuawei, type HostileTokenKind } from '../../helpers/fake-huawei.js';

let fake: FakeHuawei;
let trustSet: TrustSet;

beforeAll(async () => {
  fake = await FakeHuawei.start();
  trustSet = trustSetFromPem(fake.rootPem);
});
afterAll(() => fake.close());
beforeEach(() => clearHuaweiChainCache());

async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PurchaseVerificationError);
  return (error as PurchaseVerificationError).code;
}

describe('verifyHuaweiJws', () => {
  it('accepts a purchase signed by the trusted chain and returns its payload', async () => {
    const { jwsPurchaseOrder, payload } = await fake.signPurchase();
    const verified = await verifyHuaweiJws(jwsPurchaseOrder, trustSet);
    expect(verified.payload).toEqual(payload);
    expect(verified.rootSha256).toBe(trustSet.roots[0]?.sha256);
  });

  const hostileCases: [HostileTokenKind, string][] = [
    ['tampered-payload', 'BAD_SIGNATURE'],
    ['expired-leaf', 'CERTIFICATE_EXPIRED'],
    ['alg-none', 'UNSUPPORTED_ALGORITHM'],
    ['hs256', 'UNSUPPORTED_ALGORITHM'],
    ['rs256', 'UNSUPPORTED_ALGORITHM'],
    ['foreign-chain', 'UNTRUSTED_CERTIFICATE'],
    ['self-signed-leaf', 'UNTRUSTED_CERTIFICATE'],
    ['leaf-without-oid', 'UNTRUSTED_CERTIFICATE'],
    ['two-cert-chain', 'UNTRUSTED_CERTIFICATE'],
    ['header-root-swapped', 'UNTRUSTED_CERTIFICATE'],
  ];
  it.each(hostileCases)('rejects a %s token with %s', async (kind, code) => {
    const token = await fake.hostileToken(kind);
    expect(await rejectionCode(verifyHuaweiJws(token, trustSet))).toBe(code);
  });

  it('rejects a tampered payload even when its chain is already cached', async () => {
    const { jwsPurchaseOrder } = await fake.signPurchase();
    await verifyHuaweiJws(jwsPurchaseOrder, trustSet);
    const token = await fake.hostileToken('tampered-payload');
    expect(await rejectionCode(verifyHuaweiJws(token, trustSet))).toBe('BAD_SIGNATURE');
    expect(huaweiChainCacheStats().hits).toBe(1);
  });

  it('trusts only the pinned Huawei root in production: the fake chain is refused', async () => {
    const production = huaweiTrustSetFor({ environment: 'PRODUCTION', trustedRootsPem: fake.rootPem });
    expect(production.roots.map((root) => root.sha256)).toEqual([HUAWEI_CBG_ROOT_CA_G2_SHA256]);
    const { jwsPurchaseOrder } = await fake.signPurchase();
    expect(await rejectionCode(verifyHuaweiJws(jwsPurchaseOrder, production))).toBe('UNTRUSTED_CERTIFICATE');
  });

  it('in sandbox trusts the pinned root plus every root in trustedRootsPem', async () => {
    const sandbox = huaweiTrustSetFor({ environment: 'SANDBOX', trustedRootsPem: `${fake.foreignRootPem}\n${fake.rootPem}` });
    expect(sandbox.roots).toHaveLength(3);
    expect(sandbox.roots.map((root) => root.sha256)).toContain(HUAWEI_CBG_ROOT_CA_G2_SHA256);
    const { jwsPurchaseOrder } = await fake.signPurchase();
    await expect(verifyHuaweiJws(jwsPurchaseOrder, sandbox)).resolves.toBeDefined();
    const foreign = await fake.hostileToken('foreign-chain');
    await expect(verifyHuaweiJws(foreign, sandbox)).resolves.toBeDefined();
  });

  it.each([
    ['', 'empty'],
    ['a.b', 'two segments'],
    ['!!.e30.sig', 'non-base64url header'],
    [`${Buffer.from('not json').toString('base64url')}.e30.sig`, 'non-JSON header'],
  ])('rejects malformed input (%s: %s) with MALFORMED_PURCHASE', async (token) => {
    expect(await rejectionCode(verifyHuaweiJws(token, trustSet))).toBe('MALFORMED_PURCHASE');
  });

  it('rejects x5c entries that are not certificates with MALFORMED_PURCHASE', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: ['AAAA', 'AAAA', 'AAAA'] })).toString('base64url');
    expect(await rejectionCode(verifyHuaweiJws(`${header}.e30.c2ln`, trustSet))).toBe('MALFORMED_PURCHASE');
  });

  it('rejects a token without x5c as UNTRUSTED_CERTIFICATE', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT' })).toString('base64url');
    expect(await rejectionCode(verifyHuaweiJws(`${header}.e30.c2ln`, trustSet))).toBe('UNTRUSTED_CERTIFICATE');
  });
});

describe('chain cache', () => {
  it('validates a repeated chain once and serves later requests from the cache', async () => {
    const purchases = await Promise.all([1, 2, 3, 4].map(() => fake.signPurchase()));
    for (const { jwsPurchaseOrder } of purchases) await verifyHuaweiJws(jwsPurchaseOrder, trustSet);
    expect(huaweiChainCacheStats()).toEqual({ hits: 3, misses: 1, size: 1 });
  });

  it('keys entries by trust set too, so a production lookup never reuses a sandbox validation', async () => {
    const { jwsPurchaseOrder } = await fake.signPurchase();
    await verifyHuaweiJws(jwsPurchaseOrder, trustSet);
    const production = huaweiTrustSetFor({ environment: 'PRODUCTION', trustedRootsPem: null });
    expect(await rejectionCode(verifyHuaweiJws(jwsPurchaseOrder, production))).toBe('UNTRUSTED_CERTIFICATE');
    expect(huaweiChainCacheStats().hits).toBe(0);
  });

  it('stops serving an entry once the earliest certificate in the chain has expired', async () => {
    const { jwsPurchaseOrder } = await fake.signPurchase();
    await verifyHuaweiJws(jwsPurchaseOrder, trustSet);
    const afterLeafExpiry = new Date(Date.now() + 400 * 24 * 60 * 60 * 1000);
    expect(await rejectionCode(verifyHuaweiJws(jwsPurchaseOrder, trustSet, { now: afterLeafExpiry }))).toBe('CERTIFICATE_EXPIRED');
    expect(huaweiChainCacheStats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it('rejects a chain that is not yet valid', async () => {
    const { jwsPurchaseOrder } = await fake.signPurchase();
    const beforeIssue = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000);
    expect(await rejectionCode(verifyHuaweiJws(jwsPurchaseOrder, trustSet, { now: beforeIssue }))).toBe('CERTIFICATE_EXPIRED');
  });

  it('does not cache failed validations', async () => {
    const token = await fake.hostileToken('leaf-without-oid');
    await rejectionCode(verifyHuaweiJws(token, trustSet));
    await rejectionCode(verifyHuaweiJws(token, trustSet));
    expect(huaweiChainCacheStats()).toEqual({ hits: 0, misses: 2, size: 0 });
  });
});

// Verifies Huawei JWS (purchase orders, API answers, notifications) as Huawei specifies:
// ES256 only, x5c = [leaf, intermediate, root] chaining to a trusted root we hold ourselves
// (never the header's root), validity dates, Huawei's leaf OID, the signature, then
// revocation of the leaf and intermediate (crl.ts) when a checker is given.
// jose checks only the signature; the chain is ours. Validated chains are cached because
// every purchase from one signing certificate repeats the same x5c; revocation is checked
// on every token (against cached CRLs), so a revocation is seen without waiting for the chain cache.
import { X509Certificate, createHash } from 'node:crypto';
import { compactVerify, importX509 } from 'jose';
import { PurchaseVerificationError } from '../../../platform/errors.js';
import type { HuaweiCrlChecker } from './crl.js';
import { certificateExtensionOids } from './der.js';
import type { TrustSet, TrustedRoot } from './roots.js';

/** Non-critical extension every Huawei IAP signing (leaf) certificate carries. */
export const HUAWEI_LEAF_CERTIFICATE_OID = '1.3.6.1.4.1.2011.2.415.1.1';

const REQUIRED_ALGORITHM = 'ES256';
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]*$/;
const BASE64_CERTIFICATE = /^[A-Za-z0-9+/]+={0,2}$/;

export interface VerifyHuaweiJwsOptions {
  /** Clock for certificate validity; tests move it. Defaults to the current time. */
  now?: Date;
  /** Checks the leaf and intermediate against their CRLs (HUAWEI_CRL_POLICY). Absent: no check. */
  revocation?: HuaweiCrlChecker;
}

export interface VerifiedHuaweiJws {
  payload: Record<string, unknown>;
  /** SHA-256 fingerprint of the trusted root the chain was validated against. */
  rootSha256: string;
}

interface ValidatedChain {
  leafKey: CryptoKey;
  leaf: X509Certificate;
  intermediate: X509Certificate;
  /** The trusted root the intermediate chains to (not the header's copy). */
  root: X509Certificate;
  rootSha256: string;
  /** The chain is only usable while every certificate in it is valid. */
  validFrom: number;
  validUntil: number;
}

const CHAIN_CACHE_LIMIT = 1000;
/** Insertion-ordered Map used as an LRU: a hit is re-inserted, the oldest entry is evicted. */
const chainCache = new Map<string, ValidatedChain>();
const chainCacheCounters = { hits: 0, misses: 0 };

export interface ChainCacheStats {
  hits: number;
  /** Lookups that ran a full chain validation (new chain, or cached entry outside its validity). */
  misses: number;
  size: number;
}

export function huaweiChainCacheStats(): ChainCacheStats {
  return { ...chainCacheCounters, size: chainCache.size };
}

/** Empties the chain cache and its counters (tests, or after rotating trusted roots). */
export function clearHuaweiChainCache(): void {
  chainCache.clear();
  chainCacheCounters.hits = 0;
  chainCacheCounters.misses = 0;
}

function malformed(message: string, cause?: unknown): PurchaseVerificationError {
  return new PurchaseVerificationError('MALFORMED_PURCHASE', message, cause === undefined ? undefined : { cause });
}

function untrusted(message: string): PurchaseVerificationError {
  return new PurchaseVerificationError('UNTRUSTED_CERTIFICATE', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  if (!BASE64URL_SEGMENT.test(segment)) throw malformed(`JWS ${what} is not base64url`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (error) {
    throw malformed(`JWS ${what} is not JSON`, error);
  }
  if (!isRecord(decoded)) throw malformed(`JWS ${what} is not a JSON object`);
  return decoded;
}

function readX5c(header: Record<string, unknown>): string[] {
  const { x5c } = header;
  if (!Array.isArray(x5c) || !x5c.every((entry): entry is string => typeof entry === 'string')) {
    throw untrusted('JWS header has no x5c certificate chain');
  }
  if (x5c.length !== 3) {
    throw untrusted(`JWS x5c must hold exactly 3 certificates [leaf, intermediate, root], got ${x5c.length}`);
  }
  return x5c;
}

function parseCertificate(base64: string, role: string): X509Certificate {
  if (!BASE64_CERTIFICATE.test(base64)) throw malformed(`x5c ${role} certificate is not base64 DER`);
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch (error) {
    throw malformed(`x5c ${role} certificate cannot be parsed`, error);
  }
}

/** Issuer name/key-identifier match (checkIssued) and a valid signature by the issuer's key. */
function isIssuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    // Unsupported key/signature combinations cannot prove anything: not issued.
    return false;
  }
}

function findIssuingRoot(intermediate: X509Certificate, trustSet: TrustSet): TrustedRoot | null {
  return trustSet.roots.find((root) => isIssuedBy(intermediate, root.certificate)) ?? null;
}

function sameKey(certificate: X509Certificate, root: TrustedRoot): boolean {
  return certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(root.subjectPublicKeyInfo);
}

interface ValidityWindow {
  notBefore: Date;
  notAfter: Date;
}

function validityOf(certificate: X509Certificate): ValidityWindow {
  // node 20 exposes only OpenSSL's text form ("Mar 16 03:04:39 2020 GMT"), which Date parses.
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

function assertCurrentlyValid(validity: ValidityWindow, role: string, now: Date): void {
  if (!(now >= validity.notBefore)) {
    throw new PurchaseVerificationError('CERTIFICATE_EXPIRED', `${role} certificate is not valid before ${validity.notBefore.toISOString()}`);
  }
  if (!(now <= validity.notAfter)) {
    throw new PurchaseVerificationError('CERTIFICATE_EXPIRED', `${role} certificate expired at ${validity.notAfter.toISOString()}`);
  }
}

function hasHuaweiLeafExtension(leaf: X509Certificate): boolean {
  try {
    return certificateExtensionOids(leaf.raw).includes(HUAWEI_LEAF_CERTIFICATE_OID);
  } catch {
    return false;
  }
}

function toPem(base64Der: string): string {
  const lines = base64Der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
}

async function validateChain(x5c: string[], trustSet: TrustSet, now: Date): Promise<ValidatedChain> {
  const [leafBase64, intermediateBase64, headerRootBase64] = x5c as [string, string, string];
  const leaf = parseCertificate(leafBase64, 'leaf');
  const intermediate = parseCertificate(intermediateBase64, 'intermediate');
  const headerRoot = parseCertificate(headerRootBase64, 'root');

  const root = findIssuingRoot(intermediate, trustSet);
  if (root === null) throw untrusted(`Intermediate "${intermediate.subject}" is not issued by a trusted Huawei root`);
  // The header's root is informational at best; it must at least be the anchor we used.
  if (headerRoot.subject !== root.subject || !sameKey(headerRoot, root)) {
    throw untrusted('x5c root certificate is not the trusted Huawei root');
  }
  if (!intermediate.ca) throw untrusted('x5c intermediate certificate is not a CA certificate');
  if (!isIssuedBy(leaf, intermediate)) throw untrusted('x5c leaf certificate is not issued by the intermediate');

  const validities = [validityOf(root.certificate), validityOf(intermediate), validityOf(leaf)] as const;
  assertCurrentlyValid(validities[0], 'Trusted root', now);
  assertCurrentlyValid(validities[1], 'Intermediate', now);
  assertCurrentlyValid(validities[2], 'Leaf', now);

  if (!hasHuaweiLeafExtension(leaf)) {
    throw untrusted(`Leaf certificate lacks the Huawei IAP extension ${HUAWEI_LEAF_CERTIFICATE_OID}`);
  }

  let leafKey: CryptoKey;
  try {
    leafKey = await importX509(toPem(leafBase64), REQUIRED_ALGORITHM);
  } catch (error) {
    throw untrusted(`Leaf certificate key cannot verify ES256: ${error instanceof Error ? error.message : String(error)}`);
  }

  return {
    leafKey,
    leaf,
    intermediate,
    root: root.certificate,
    rootSha256: root.sha256,
    validFrom: Math.max(...validities.map((validity) => validity.notBefore.getTime())),
    validUntil: Math.min(...validities.map((validity) => validity.notAfter.getTime())),
  };
}

async function validatedChainFor(x5c: string[], trustSet: TrustSet, now: Date): Promise<ValidatedChain> {
  const cacheKey = createHash('sha256').update(trustSet.id).update('\n').update(x5c.join('\n')).digest('base64url');
  const nowMs = now.getTime();
  const cached = chainCache.get(cacheKey);
  if (cached !== undefined) {
    chainCache.delete(cacheKey);
    if (nowMs >= cached.validFrom && nowMs <= cached.validUntil) {
      chainCache.set(cacheKey, cached);
      chainCacheCounters.hits += 1;
      return cached;
    }
    // Outside the validity window: re-validate so the caller gets the precise error.
  }
  chainCacheCounters.misses += 1;
  const validated = await validateChain(x5c, trustSet, now);
  if (chainCache.size >= CHAIN_CACHE_LIMIT) {
    const oldest = chainCache.keys().next();
    if (oldest.done !== true) chainCache.delete(oldest.value);
  }
  chainCache.set(cacheKey, validated);
  return validated;
}

/**
 * Verifies a Huawei JWS against `trustSet` and returns its JSON payload.
 * Throws PurchaseVerificationError: MALFORMED_PURCHASE, UNSUPPORTED_ALGORITHM,
 * UNTRUSTED_CERTIFICATE, CERTIFICATE_EXPIRED, BAD_SIGNATURE or CERTIFICATE_REVOKED; with a
 * revocation checker under policy enforce, StoreUnavailableError when a CRL cannot be had.
 */
export async function verifyHuaweiJws(
  jws: string,
  trustSet: TrustSet,
  options: VerifyHuaweiJwsOptions = {},
): Promise<VerifiedHuaweiJws> {
  if (typeof jws !== 'string' || jws.length === 0) throw malformed('JWS is empty');
  const segments = jws.split('.');
  if (segments.length !== 3) throw malformed('JWS must be compact serialization with 3 segments');
  const header = decodeJsonSegment(segments[0] as string, 'header');

  if (header.alg !== REQUIRED_ALGORITHM) {
    throw new PurchaseVerificationError('UNSUPPORTED_ALGORITHM', `JWS alg must be ES256, got ${JSON.stringify(header.alg ?? null)}`);
  }
  if (header.typ !== undefined && header.typ !== 'JWT') {
    throw malformed(`JWS typ must be JWT, got ${JSON.stringify(header.typ)}`);
  }
  if (header.crit !== undefined) throw malformed('JWS crit header parameters are not supported');

  const now = options.now ?? new Date();
  const chain = await validatedChainFor(readX5c(header), trustSet, now);

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(jws, chain.leafKey, { algorithms: [REQUIRED_ALGORITHM] }));
  } catch (error) {
    throw new PurchaseVerificationError('BAD_SIGNATURE', 'JWS signature does not verify with the leaf certificate key', {
      cause: error,
    });
  }

  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch (error) {
    throw malformed('JWS payload is not JSON', error);
  }
  if (!isRecord(payload)) throw malformed('JWS payload is not a JSON object');
  // After the signature: a forged token never makes us download anything.
  await options.revocation?.assertNotRevoked(
    [
      { role: 'leaf', certificate: chain.leaf, issuer: chain.intermediate },
      { role: 'intermediate', certificate: chain.intermediate, issuer: chain.root },
    ],
    now,
  );
  return { payload, rootSha256: chain.rootSha256 };
}

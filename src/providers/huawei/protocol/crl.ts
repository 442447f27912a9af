// Certificate revocation for Huawei JWS chains, as Huawei's own reference verifiers do it
// (IAP Kit server demos: PKIX with CRLs, leaf and intermediate, soft-fail only as an
// explicit choice): each certificate's CRL distribution points are fetched over HTTP, the
// CRL is verified (signed by the certificate's issuer, current), cached until its
// nextUpdate, and the certificate's serial must not be listed.
// node:crypto cannot parse CRLs; @peculiar/asn1-x509 does the ASN.1, node:crypto the signature.
import { createHash, verify as verifySignature, type KeyObject, type X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Certificate,
  CertificateList,
  CRLDistributionPoints,
  CRLReason,
  CRLReasons,
  IssuingDistributionPoint,
  id_ce_cRLDistributionPoints,
  id_ce_cRLReasons,
  id_ce_issuingDistributionPoint,
  type Extension,
} from '@peculiar/asn1-x509';
import { PurchaseVerificationError, StoreUnavailableError } from '../../../platform/errors.js';

/**
 * What to do about revocation (HUAWEI_CRL_POLICY):
 * - `enforce`: a certificate whose CRL cannot be fetched and verified is refused (retryable).
 * - `soft-fail`: such a certificate is accepted and the failure is reported; a CRL that was
 *   fetched and lists the certificate still refuses it.
 * - `off`: no revocation check.
 */
export const HUAWEI_CRL_POLICIES = ['enforce', 'soft-fail', 'off'] as const;
export type HuaweiCrlPolicy = (typeof HUAWEI_CRL_POLICIES)[number];

/** Fetches one CRL URL. Production passes the outbound HTTP client; tests may pass their own. */
export type CrlFetch = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface CrlUnavailableEvent {
  url: string | null;
  role: CertificateRole;
  subject: string;
  reason: string;
  policy: HuaweiCrlPolicy;
}

export interface HuaweiCrlCheckerOptions {
  policy: HuaweiCrlPolicy;
  /** Per CRL download. */
  timeoutMs: number;
  fetch?: CrlFetch;
  /** Largest CRL body read (default 4 MiB); Huawei's CRLs are a few hundred bytes. */
  maxBytes?: number;
  /** CRLs kept (LRU, default 64); one per (issuer, URL). */
  cacheLimit?: number;
  /** After a failed download, the same URL is not tried again for this long (default 30 s). */
  failureBackoffMs?: number;
  /** A CRL is re-fetched after this long even before its nextUpdate (default 24 h). */
  maxAgeMs?: number;
  /** Called when a CRL cannot be had: under soft-fail the certificate passes, under enforce it is refused. */
  onUnavailable?: (event: CrlUnavailableEvent) => void;
}

export type CertificateRole = 'leaf' | 'intermediate';

/** A certificate of a validated chain and the CA certificate that issued it. */
export interface RevocationSubject {
  role: CertificateRole;
  certificate: X509Certificate;
  issuer: X509Certificate;
}

export interface CrlCheckerStats {
  /** CRL downloads started (single-flight: concurrent checks share one). */
  downloads: number;
  cacheHits: number;
  cached: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_CACHE_LIMIT = 64;
const DEFAULT_FAILURE_BACKOFF_MS = 30_000;
const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Issuer clocks run a little ahead; a CRL "issued" minutes in the future is still usable. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const PARSED_CERTIFICATE_LIMIT = 256;

/** Signature algorithms a CRL may use → node:crypto digest (ECDSA signatures are DER, node's default). */
const SIGNATURE_DIGESTS = new Map<string, string>([
  ['1.2.840.10045.4.3.2', 'sha256'], // ecdsa-with-SHA256
  ['1.2.840.10045.4.3.3', 'sha384'], // ecdsa-with-SHA384
  ['1.2.840.10045.4.3.4', 'sha512'], // ecdsa-with-SHA512
  ['1.2.840.113549.1.1.11', 'sha256'], // sha256WithRSAEncryption
  ['1.2.840.113549.1.1.12', 'sha384'], // sha384WithRSAEncryption
  ['1.2.840.113549.1.1.13', 'sha512'], // sha512WithRSAEncryption
]);

interface ParsedCertificate {
  serial: string;
  issuerName: string;
  crlUrls: string[];
}

interface VerifiedCrl {
  issuerName: string;
  thisUpdate: number;
  nextUpdate: number | null;
  revoked: Map<string, { at: Date; reason: string | null }>;
  onlyUserCerts: boolean;
  onlyCaCerts: boolean;
}

interface CacheEntry {
  crl: VerifiedCrl | null;
  /** When a verified CRL is fetched again (nextUpdate or max age, whichever is first). */
  refreshAt: number;
  failure: { at: number; reason: string } | null;
}

class CrlUnavailable extends Error {}

function hex(buffer: ArrayBuffer | Uint8Array): string {
  // Serials compare as integers: DER may prefix a 00 byte to keep them positive.
  return Buffer.from(buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer)).toString('hex').replace(/^(00)+(?=.)/, '');
}

/**
 * Names compare by attribute type and value, case- and space-insensitively (RFC 5280 7.1),
 * not by bytes: a CA may encode its name in a CRL with other string types than in a certificate.
 */
function nameKey(name: Certificate['tbsCertificate']['issuer']): string {
  return name
    .map((rdn) =>
      rdn
        .map((attribute) => `${attribute.type}=${attribute.value.toString().trim().replace(/\s+/g, ' ').toLowerCase()}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

function httpUrls(extension: Extension | undefined): string[] {
  if (extension === undefined) return [];
  const points = AsnConvert.parse(extension.extnValue, CRLDistributionPoints);
  const urls: string[] = [];
  for (const point of points) {
    // A distribution point limited to some reasons or with another CRL issuer cannot speak
    // for every revocation of this certificate on its own; such points are not used.
    if (point.reasons !== undefined || point.cRLIssuer !== undefined) continue;
    for (const name of point.distributionPoint?.fullName ?? []) {
      const uri = name.uniformResourceIdentifier;
      if (uri !== undefined && /^https?:\/\//i.test(uri)) urls.push(uri);
    }
  }
  return urls;
}

function entryReason(extensions: Extension[] | undefined): { reason: string | null; unsupportedCritical: boolean } {
  let reason: string | null = null;
  for (const extension of extensions ?? []) {
    if (extension.extnID === id_ce_cRLReasons) {
      const code = AsnConvert.parse(extension.extnValue, CRLReason).reason;
      reason = CRLReasons[code] ?? String(code);
    } else if (extension.critical) {
      return { reason, unsupportedCritical: true };
    }
  }
  return { reason, unsupportedCritical: false };
}

function decodeBody(body: Uint8Array): Uint8Array {
  // Most CAs serve DER; some serve PEM.
  const text = body.length > 0 && body[0] === 0x2d ? Buffer.from(body).toString('latin1') : null;
  const pem = text?.match(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/);
  return pem ? Buffer.from((pem[1] ?? '').replace(/\s+/g, ''), 'base64') : body;
}

/** Parses and checks a CRL: signature by `issuerKey`, supported extensions. Throws CrlUnavailable. */
function verifyCrl(der: Uint8Array, issuerKey: KeyObject): VerifiedCrl {
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (error) {
    throw new CrlUnavailable(`not a DER CRL (${error instanceof Error ? error.message : String(error)})`);
  }
  const tbs = list.tbsCertList;
  const algorithm = list.signatureAlgorithm.algorithm;
  const digest = SIGNATURE_DIGESTS.get(algorithm);
  if (digest === undefined || tbs.signature.algorithm !== algorithm) throw new CrlUnavailable(`unsupported CRL signature algorithm ${algorithm}`);
  if (list.tbsCertListRaw === undefined) throw new CrlUnavailable('CRL has no signed part');
  let signatureValid = false;
  try {
    signatureValid = verifySignature(digest, new Uint8Array(list.tbsCertListRaw), issuerKey, new Uint8Array(list.signature));
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) throw new CrlUnavailable("CRL signature does not verify with the issuing CA's key");

  let onlyUserCerts = false;
  let onlyCaCerts = false;
  for (const extension of tbs.crlExtensions ?? []) {
    if (extension.extnID === id_ce_issuingDistributionPoint) {
      const point = AsnConvert.parse(extension.extnValue, IssuingDistributionPoint);
      // Indirect and partial (some-reasons) CRLs need machinery Huawei's PKI does not use.
      if (point.indirectCRL || point.onlySomeReasons !== undefined || point.onlyContainsAttributeCerts) {
        throw new CrlUnavailable('indirect or partial CRLs are not supported');
      }
      onlyUserCerts = point.onlyContainsUserCerts;
      onlyCaCerts = point.onlyContainsCACerts;
    } else if (extension.critical) {
      // E.g. a delta CRL indicator: an unknown critical extension makes the CRL unusable (RFC 5280 5.2).
      throw new CrlUnavailable(`CRL has an unsupported critical extension ${extension.extnID}`);
    }
  }

  const revoked = new Map<string, { at: Date; reason: string | null }>();
  for (const entry of tbs.revokedCertificates ?? []) {
    const { reason, unsupportedCritical } = entryReason(entry.crlEntryExtensions);
    if (unsupportedCritical) throw new CrlUnavailable('CRL entry has an unsupported critical extension');
    if (reason === 'removeFromCRL') continue; // only meaningful in delta CRLs
    revoked.set(hex(entry.userCertificate), { at: entry.revocationDate.getTime(), reason });
  }
  return {
    issuerName: nameKey(tbs.issuer),
    thisUpdate: tbs.thisUpdate.getTime().getTime(),
    nextUpdate: tbs.nextUpdate === undefined ? null : tbs.nextUpdate.getTime().getTime(),
    revoked,
    onlyUserCerts,
    onlyCaCerts,
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw new CrlUnavailable(`CRL is larger than ${maxBytes} bytes`);
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new CrlUnavailable(`CRL is larger than ${maxBytes} bytes`);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks);
}

/**
 * Checks certificates against their CRLs under one policy. One instance per app: its
 * cache is shared by every account and request of an app instance; concurrent checks of one CRL share one download.
 */
export class HuaweiCrlChecker {
  readonly policy: HuaweiCrlPolicy;
  readonly #options: Required<Omit<HuaweiCrlCheckerOptions, 'onUnavailable'>> & Pick<HuaweiCrlCheckerOptions, 'onUnavailable'>;
  /** Insertion-ordered Map used as an LRU. */
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #parsed = new Map<string, ParsedCertificate>();
  readonly #stats = { downloads: 0, cacheHits: 0 };

  constructor(options: HuaweiCrlCheckerOptions) {
    this.policy = options.policy;
    this.#options = {
      fetch: (url, init) => fetch(url, init),
      maxBytes: DEFAULT_MAX_BYTES,
      cacheLimit: DEFAULT_CACHE_LIMIT,
      failureBackoffMs: DEFAULT_FAILURE_BACKOFF_MS,
      maxAgeMs: DEFAULT_MAX_AGE_MS,
      ...options,
    };
  }

  stats(): CrlCheckerStats {
    return { ...this.#stats, cached: this.#cache.size };
  }

  /**
   * Throws PurchaseVerificationError CERTIFICATE_REVOKED when a CRL lists a certificate, and
   * (enforce only) StoreUnavailableError when a certificate's CRL cannot be fetched and verified.
   * A certificate without an HTTP CRL distribution point has nothing to check.
   */
  async assertNotRevoked(subjects: readonly RevocationSubject[], now: Date): Promise<void> {
    if (this.policy === 'off') return;
    // Both CRLs are fetched at once; the first refusal in chain order wins.
    const outcomes = await Promise.allSettled(subjects.map((subject) => this.#check(subject, now)));
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }

  async #check(subject: RevocationSubject, now: Date): Promise<void> {
    const certificate = this.#parse(subject.certificate);
    if (certificate.crlUrls.length === 0) return;
    let lastFailure: { url: string; reason: string } | null = null;
    for (const url of certificate.crlUrls) {
      const crl = await this.#crlFor(url, subject.issuer, now);
      if ('reason' in crl) {
        lastFailure = { url, reason: crl.reason };
        continue;
      }
      if (crl.issuerName !== certificate.issuerName) {
        lastFailure = { url, reason: 'CRL issuer is not the certificate issuer' };
        continue;
      }
      if ((crl.onlyUserCerts && subject.role !== 'leaf') || (crl.onlyCaCerts && subject.role !== 'intermediate')) {
        lastFailure = { url, reason: 'CRL scope does not cover this certificate' };
        continue;
      }
      const entry = crl.revoked.get(certificate.serial);
      if (entry !== undefined) {
        throw new PurchaseVerificationError(
          'CERTIFICATE_REVOKED',
          `The ${subject.role} certificate (serial ${certificate.serial}) was revoked on ${entry.at.toISOString()}` +
            `${entry.reason === null ? '' : ` (${entry.reason})`} according to its CA's CRL`,
        );
      }
      return;
    }
    const reason = lastFailure?.reason ?? 'no usable CRL';
    this.#options.onUnavailable?.({
      url: lastFailure?.url ?? null,
      role: subject.role,
      subject: subject.certificate.subject,
      reason,
      policy: this.policy,
    });
    if (this.policy === 'soft-fail') return;
    throw new StoreUnavailableError(
      `The revocation status of Huawei's ${subject.role} certificate cannot be checked: its CRL ${lastFailure?.url ?? ''} ` +
        `is unavailable (${reason}). Nothing was written; retry later.`,
    );
  }

  #parse(certificate: X509Certificate): ParsedCertificate {
    const key = certificate.fingerprint256;
    const cached = this.#parsed.get(key);
    if (cached !== undefined) return cached;
    const tbs = AsnConvert.parse(certificate.raw, Certificate).tbsCertificate;
    const parsed: ParsedCertificate = {
      serial: hex(tbs.serialNumber),
      issuerName: nameKey(tbs.issuer),
      crlUrls: httpUrls(tbs.extensions?.find((extension) => extension.extnID === id_ce_cRLDistributionPoints)),
    };
    if (this.#parsed.size >= PARSED_CERTIFICATE_LIMIT) this.#parsed.delete(this.#parsed.keys().next().value as string);
    this.#parsed.set(key, parsed);
    return parsed;
  }

  /** A current verified CRL for (issuer, url), from the cache or downloaded once; or why not. */
  async #crlFor(url: string, issuer: X509Certificate, now: Date): Promise<VerifiedCrl | { reason: string }> {
    // The issuer is part of the key: one URL verified for one CA says nothing about another's certificates.
    const key = `${createHash('sha256').update(issuer.raw).digest('hex')} ${url}`;
    const nowMs = now.getTime();
    let entry = this.#cache.get(key);
    const fresh = entry?.crl != null && nowMs < entry.refreshAt && isCurrent(entry.crl, nowMs, this.#options.maxAgeMs);
    const backingOff = entry?.failure != null && nowMs - entry.failure.at < this.#options.failureBackoffMs;
    if (fresh || backingOff) {
      this.#stats.cacheHits += 1;
    } else {
      let download = this.#inFlight.get(key);
      if (download === undefined) {
        download = this.#download(key, url, issuer, nowMs).finally(() => this.#inFlight.delete(key));
        this.#inFlight.set(key, download);
      }
      await download;
      entry = this.#cache.get(key);
    }
    if (entry?.crl != null && isCurrent(entry.crl, nowMs, this.#options.maxAgeMs)) return entry.crl;
    return { reason: entry?.failure?.reason ?? 'CRL is out of date' };
  }

  async #download(key: string, url: string, issuer: X509Certificate, nowMs: number): Promise<void> {
    this.#stats.downloads += 1;
    const previous = this.#cache.get(key);
    let next: CacheEntry;
    try {
      const crl = await this.#fetchAndVerify(url, issuer.publicKey);
      if (crl.thisUpdate > nowMs + CLOCK_SKEW_MS) throw new CrlUnavailable('CRL is not valid yet (thisUpdate in the future)');
      if (crl.nextUpdate !== null && crl.nextUpdate < nowMs) throw new CrlUnavailable(`CRL expired at ${new Date(crl.nextUpdate).toISOString()}`);
      const maxAge = nowMs + this.#options.maxAgeMs;
      next = { crl, refreshAt: crl.nextUpdate === null ? maxAge : Math.min(crl.nextUpdate, maxAge), failure: null };
    } catch (error) {
      const reason = error instanceof CrlUnavailable ? error.message : describeFetchError(error);
      // A previous CRL that is still current keeps answering (its CA promised it until nextUpdate).
      next = { crl: previous?.crl ?? null, refreshAt: previous?.refreshAt ?? 0, failure: { at: nowMs, reason } };
    }
    this.#cache.delete(key);
    if (this.#cache.size >= this.#options.cacheLimit) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, next);
  }

  async #fetchAndVerify(url: string, issuerKey: KeyObject): Promise<VerifiedCrl> {
    const response = await this.#options.fetch(url, { signal: AbortSignal.timeout(this.#options.timeoutMs) });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new CrlUnavailable(`HTTP ${response.status}`);
    }
    return verifyCrl(decodeBody(await readCapped(response, this.#options.maxBytes)), issuerKey);
  }
}

function isCurrent(crl: VerifiedCrl, nowMs: number, maxAgeMs: number): boolean {
  if (crl.thisUpdate > nowMs + CLOCK_SKEW_MS) return false;
  // A CRL without nextUpdate (RFC 5280 requires one) is trusted for maxAge after it was issued.
  return nowMs <= (crl.nextUpdate ?? crl.thisUpdate + maxAgeMs);
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'download timed out';
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `download failed${cause}`;
}

// Trust anchors for Huawei JWS chains. The x5c header carries a root too, but it is
// attacker-controlled: only the certificates in a TrustSet decide what is trusted.
import { X509Certificate, createHash } from 'node:crypto';
import { ValidationError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';

/**
 * Huawei CBG Root CA G2 (ECDSA P-384, valid 2020-03-16 → 2049-03-16), published by Huawei
 * at https://pki.consumer.huawei.com/ca/cer/RootCaG2Ecdsa.cer.
 *
 * This machine has no internet access, so the PEM text was taken from OpenHarmony's
 * app verifier, which pins the same root: repository eclipse-oniro-mirrors/security_appverify
 * (mirror of OpenHarmony security_appverify, Apache-2.0),
 * interfaces/innerkits/appverify_lite/src/mbedtls_pkcs7.c, constant ROOT_CA_G2_CERT_IN_PEM.
 * Its DER SHA-256 fingerprint matches the one independently recorded for RootCaG2Ecdsa.cer.
 */
export const HUAWEI_CBG_ROOT_CA_G2_PEM = `-----BEGIN CERTIFICATE-----
MIICGjCCAaGgAwIBAgIIShhpn519jNAwCgYIKoZIzj0EAwMwUzELMAkGA1UEBhMC
Q04xDzANBgNVBAoMBkh1YXdlaTETMBEGA1UECwwKSHVhd2VpIENCRzEeMBwGA1UE
AwwVSHVhd2VpIENCRyBSb290IENBIEcyMB4XDTIwMDMxNjAzMDQzOVoXDTQ5MDMx
NjAzMDQzOVowUzELMAkGA1UEBhMCQ04xDzANBgNVBAoMBkh1YXdlaTETMBEGA1UE
CwwKSHVhd2VpIENCRzEeMBwGA1UEAwwVSHVhd2VpIENCRyBSb290IENBIEcyMHYw
EAYHKoZIzj0CAQYFK4EEACIDYgAEWidkGnDSOw3/HE2y2GHl+fpWBIa5S+IlnNrs
GUvwC1I2QWvtqCHWmwFlFK95zKXiM8s9yV3VVXh7ivN8ZJO3SC5N1TCrvB2lpHMB
wcz4DA0kgHCMm/wDec6kOHx1xvCRo0IwQDAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0T
AQH/BAUwAwEB/zAdBgNVHQ4EFgQUo45a9Vq8cYwqaiVyfkiS4pLcIAAwCgYIKoZI
zj0EAwMDZwAwZAIwMypeB7P0IbY7c6gpWcClhRznOJFj8uavrNu2PIoz9KIqr3jn
BlBHJs0myI7ntYpEAjBbm8eDMZY5zq5iMZUC6H7UzYSix4Uy1YlsLVV738PtKP9h
FTjgDHctXJlC5L7+ZDY=
-----END CERTIFICATE-----
`;

/** SHA-256 of the DER encoding of HUAWEI_CBG_ROOT_CA_G2_PEM (DF:21:A3:C0:…:DF:3A:37). */
export const HUAWEI_CBG_ROOT_CA_G2_SHA256 = 'df21a3c09f7954579305f85c64f80cad86f79853ee3a887c1dec95d218df3a37';

export interface TrustedRoot {
  certificate: X509Certificate;
  subject: string;
  /** DER SubjectPublicKeyInfo: a header root "matches" only when its key is byte-identical. */
  subjectPublicKeyInfo: Buffer;
  sha256: string;
}

export interface TrustSet {
  /** Stable identity of the set (hash of the root fingerprints); part of chain-cache keys. */
  id: string;
  roots: readonly TrustedRoot[];
}

const PEM_CERTIFICATE_PATTERN = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

function trustedRootFromDer(der: Buffer): TrustedRoot {
  const certificate = new X509Certificate(der);
  return {
    certificate,
    subject: certificate.subject,
    subjectPublicKeyInfo: certificate.publicKey.export({ type: 'spki', format: 'der' }),
    sha256: createHash('sha256').update(certificate.raw).digest('hex'),
  };
}

function buildTrustSet(roots: TrustedRoot[]): TrustSet {
  const uniqueRoots = new Map(roots.map((root) => [root.sha256, root]));
  const fingerprints = [...uniqueRoots.keys()].sort();
  return { id: createHash('sha256').update(fingerprints.join(',')).digest('hex'), roots: [...uniqueRoots.values()] };
}

/**
 * Parses one or more PEM certificates (an account's `trustedRootsPem`). Throws a
 * ValidationError naming `trustedRootsPem`, so the GraphQL layer can reuse it when an
 * account is saved.
 */
export function parseTrustedRootsPem(pemText: string): TrustedRoot[] {
  const blocks = [...pemText.matchAll(PEM_CERTIFICATE_PATTERN)];
  if (blocks.length === 0) {
    throw new ValidationError('trustedRootsPem holds no PEM certificate', [
      { path: 'trustedRootsPem', message: 'expected one or more -----BEGIN CERTIFICATE----- blocks' },
    ]);
  }
  return blocks.map((block, index) => {
    try {
      return trustedRootFromDer(Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64'));
    } catch (error) {
      throw new ValidationError(`trustedRootsPem certificate #${index + 1} cannot be parsed`, [
        { path: 'trustedRootsPem', message: error instanceof Error ? error.message : String(error) },
      ]);
    }
  });
}

function loadPinnedRoot(): TrustedRoot {
  const [root] = parseTrustedRootsPem(HUAWEI_CBG_ROOT_CA_G2_PEM);
  // Guards against an accidental edit of the embedded PEM: refuse to start with a wrong anchor.
  if (root === undefined || root.sha256 !== HUAWEI_CBG_ROOT_CA_G2_SHA256) {
    throw new Error('Embedded Huawei CBG Root CA G2 does not match its pinned SHA-256 fingerprint');
  }
  return root;
}

const pinnedRoot = loadPinnedRoot();
const productionTrustSet = buildTrustSet([pinnedRoot]);

// Accounts are re-read per request; parsing their PEM every time would dominate the hot path.
const SANDBOX_TRUST_SET_CACHE_LIMIT = 100;
const sandboxTrustSets = new Map<string, TrustSet>();

/**
 * The roots a Huawei JWS for this account may chain to: production trusts only the pinned
 * Huawei root; sandbox adds the account's `trustedRootsPem` (test CAs, fake servers).
 */
export function huaweiTrustSetFor(account: Pick<StoreAccountConfig, 'environment' | 'trustedRootsPem'>): TrustSet {
  const extraPem = account.trustedRootsPem?.trim();
  if (account.environment === 'PRODUCTION' || !extraPem) return productionTrustSet;

  const cached = sandboxTrustSets.get(extraPem);
  if (cached !== undefined) return cached;
  const trustSet = buildTrustSet([pinnedRoot, ...parseTrustedRootsPem(extraPem)]);
  if (sandboxTrustSets.size >= SANDBOX_TRUST_SET_CACHE_LIMIT) {
    const oldest = sandboxTrustSets.keys().next();
    if (oldest.done !== true) sandboxTrustSets.delete(oldest.value);
  }
  sandboxTrustSets.set(extraPem, trustSet);
  return trustSet;
}

/** A trust set from explicit PEM text only (no pinned root); for tests and tools. */
export function trustSetFromPem(pemText: string): TrustSet {
  return buildTrustSet(parseTrustedRootsPem(pemText));
}

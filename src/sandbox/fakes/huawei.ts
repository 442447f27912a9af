// A real local Huawei IAP: its own test PKI (root → intermediate → leaf with Huawei's OID),
// purchase orders, subscription statuses and notifications signed like Huawei signs them
// and shaped like Huawei's (productType a string, price a number, no quantity,
// finishStatus/needFinish; notification metadata `type` a number), and the server API
// (order and subscription status queries, shipped/confirm for orders and subscriptions)
// over HTTP, checking our Bearer JWTs. Faults can be injected per call; hostile tokens
// are built on demand. Like Huawei's, the leaf and intermediate name CRL distribution
// points (huawei-crl.ts). Used by the tests and by `zerodrop sandbox` (always SANDBOX there).
import 'reflect-metadata'; // tsyringe (inside @peculiar/x509) needs the Reflect metadata API
import { createHash, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509CertificateGenerator,
  type X509Certificate,
} from '@peculiar/x509';
import { CompactSign, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { StoreEnvironment } from '../../generated/prisma/enums.js';
import { OutboundGuard } from '../../platform/outbound-url.js';
import { HUAWEI_API_PATHS } from '../../providers/huawei/protocol/client.js';
import { HUAWEI_LEAF_CERTIFICATE_OID } from '../../providers/huawei/protocol/jws.js';
import type { StoreAccountConfig } from '../../providers/contract.js';
import { FakeCrlServer } from './huawei-crl.js';

const crypto = webcrypto as unknown as Crypto;

let local: OutboundGuard | undefined;
/** The outbound policy an account config pointed at this fake needs: 127.0.0.1 over http. */
function localOutbound(): OutboundGuard {
  return (local ??= new OutboundGuard({ allowPrivate: true, requireHttps: false }));
}
const DAY_MS = 24 * 60 * 60 * 1000;
/** DER NULL: the Huawei leaf extension only has to be present. */
const HUAWEI_OID_EXTENSION_VALUE = new Uint8Array([0x05, 0x00]);
/** The fake's answer to a bad Bearer JWT: HTTP 401 with Huawei's "invalid account" code. */
export const FAKE_AUTH_FAILURE_CODE = '1001880011';

type Curve = 'P-256' | 'P-384';

interface CertifiedKey {
  certificate: X509Certificate;
  keys: CryptoKeyPair;
  curve: Curve;
}

interface IssueOptions {
  subject: string;
  curve: Curve;
  ca: boolean;
  huaweiOid?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** CRL distribution point URL written into the certificate. */
  crlUrl?: string | undefined;
}

const HASH_FOR_CURVE: Record<Curve, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384' };

function generateKeys(curve: Curve): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
}

function caExtensions(): Extension[] {
  return [new BasicConstraintsExtension(true, undefined, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true)];
}

function leafExtensions(huaweiOid: boolean): Extension[] {
  const extensions: Extension[] = [new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true)];
  if (huaweiOid) extensions.push(new Extension(HUAWEI_LEAF_CERTIFICATE_OID, false, HUAWEI_OID_EXTENSION_VALUE));
  return extensions;
}

function serialNumber(): string {
  // Positive, non-zero DER integer.
  return `01${randomBytes(8).toString('hex')}`;
}

async function createSelfSigned(options: IssueOptions): Promise<CertifiedKey> {
  const keys = await generateKeys(options.curve);
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: options.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
      notAfter: options.notAfter ?? new Date(Date.now() + 3650 * DAY_MS),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: HASH_FOR_CURVE[options.curve] } as EcdsaParams,
      extensions: options.ca ? caExtensions() : leafExtensions(options.huaweiOid ?? false),
    },
    crypto,
  );
  return { certificate, keys, curve: options.curve };
}

async function issue(issuer: CertifiedKey, options: IssueOptions): Promise<CertifiedKey> {
  const keys = await generateKeys(options.curve);
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: options.subject,
      issuer: issuer.certificate.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
      notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: HASH_FOR_CURVE[issuer.curve] } as EcdsaParams,
      extensions: [
        ...(options.ca ? caExtensions() : leafExtensions(options.huaweiOid ?? false)),
        ...(options.crlUrl === undefined ? [] : [new CRLDistributionPointsExtension([options.crlUrl])]),
      ],
    },
    crypto,
  );
  return { certificate, keys, curve: options.curve };
}

interface Pki {
  root: CertifiedKey;
  intermediate: CertifiedKey;
  leaf: CertifiedKey;
}

/**
 * Shaped like Huawei's: P-384 root and intermediate (SHA-384 signatures), P-256 leaf for ES256.
 * With `crl`, the intermediate names the root's CRL and the leaf the intermediate's, and both are published.
 */
async function createPki(label: string, crl?: FakeCrlServer): Promise<Pki> {
  const root = await createSelfSigned({ subject: `C=CN, O=Huawei, OU=Huawei CBG, CN=${label} Root CA G2`, curve: 'P-384', ca: true });
  const intermediate = await issue(root, {
    subject: `C=CN, O=Huawei, OU=Huawei CBG, CN=${label} IAP CA`,
    curve: 'P-384',
    ca: true,
    crlUrl: crl?.url('root'),
  });
  const leaf = await issue(intermediate, {
    subject: `C=CN, O=Huawei, OU=Huawei CBG, CN=${label} IAP Signing`,
    curve: 'P-256',
    ca: false,
    huaweiOid: true,
    crlUrl: crl?.url('intermediate'),
  });
  crl?.publish('root', { certificate: root.certificate, privateKey: root.keys.privateKey, hash: 'SHA-384' });
  crl?.publish('intermediate', { certificate: intermediate.certificate, privateKey: intermediate.keys.privateKey, hash: 'SHA-384' });
  return { root, intermediate, leaf };
}

function base64Der(certificate: X509Certificate): string {
  return Buffer.from(certificate.rawData).toString('base64');
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function signCompact(payload: Record<string, unknown>, x5c: string[], key: CryptoKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
    .sign(key);
}

export type HostileTokenKind =
  | 'tampered-payload'
  | 'expired-leaf'
  | 'alg-none'
  | 'hs256'
  | 'rs256'
  | 'foreign-chain'
  | 'self-signed-leaf'
  | 'leaf-without-oid'
  | 'two-cert-chain'
  | 'header-root-swapped';

export type FakeFault =
  | { kind: 'http-status'; status: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'response-code'; responseCode: string; responseMessage?: string };

export interface FakeApiCredentials {
  issuerId: string;
  keyId: string;
  privateKeyPem: string;
}

export interface RecordedApiRequest {
  path: string;
  rawBody: string;
  body: Record<string, unknown> | null;
  /** The Bearer JWT's protected header, when it could be decoded. */
  jwtHeader: ProtectedHeaderParameters | null;
  /** Verified JWT claims; null when authentication failed. */
  claims: JWTPayload | null;
  authFailure: string | null;
  fault: FakeFault['kind'] | null;
}

export interface SignedPurchase {
  /** What createPurchase / queryPurchases hand the client: a JSON string holding the JWS. */
  purchaseData: string;
  jwsPurchaseOrder: string;
  payload: Record<string, unknown>;
}

export interface NotificationOptions {
  notificationType: string;
  notificationSubtype?: string;
  notificationRequestId?: string;
  /** Fills metadata from a purchase signed by this fake. */
  purchaseOrderId?: string;
  metadata?: Record<string, unknown>;
}

export interface SignedNotification {
  body: string;
  jwsNotification: string;
  notificationRequestId: string;
  payload: Record<string, unknown>;
}

interface FakeOrder {
  payload: Record<string, unknown>;
  confirmAttempts: number;
  confirmed: boolean;
  /** Subscription orders: the end of the period this order paid for. */
  periodEndsAt?: number;
}

/** Huawei's SubscriptionStatus.status codes. */
export type FakeSubscriptionStatusCode = '1' | '2' | '3' | '5';

interface FakeSubscription {
  subGroupId: string;
  subGroupGenerationId: string;
  subscriptionId: string;
  purchaseToken: string;
  productId: string;
  /** Forced status ('5' revoked, '3' billing retry); otherwise derived from expiresTime. */
  status: FakeSubscriptionStatusCode | null;
  /** Every order of this subscription, oldest first. */
  orderIds: string[];
}

export interface SignedSubscription {
  /** What createPurchase / queryPurchases hand the client: `{"type":2,"jwsSubscriptionStatus":...}`. */
  purchaseData: string;
  jwsSubscriptionStatus: string;
  subGroupGenerationId: string;
  purchaseToken: string;
  /** The order this status names as lastPurchaseOrder. */
  purchaseOrderId: string;
  expiresTime: number;
  payload: Record<string, unknown>;
}

export interface SubscriptionOptions {
  productId?: string;
  /** Length of each paid period (the first and every renewal). */
  periodMs?: number;
  purchaseTime?: number;
  overrides?: Record<string, unknown>;
}

interface RegisteredApiKey {
  issuerId: string;
  publicKey: KeyObject;
}

export interface FakeHuaweiOptions {
  applicationId?: string;
  /** Huawei's environment name written into payloads: SANDBOX (default) or NORMAL. */
  environment?: 'SANDBOX' | 'NORMAL';
}

export class FakeHuawei {
  readonly applicationId: string;
  readonly environment: 'SANDBOX' | 'NORMAL';
  /** Trust anchor for accounts talking to this fake (their trustedRootsPem). */
  readonly rootPem: string;
  /** A second, unrelated root: signs the "foreign-chain" tokens. */
  readonly foreignRootPem: string;
  readonly requests: RecordedApiRequest[] = [];
  /** The PKI's CRL distribution points: revocations, faults, fetch counts. */
  readonly crl: FakeCrlServer;

  readonly #pki: Pki;
  readonly #foreignPki: Pki;
  readonly #server = createServer((request, response) => void this.#handle(request, response));
  readonly #orders = new Map<string, FakeOrder>();
  readonly #subscriptions = new Map<string, FakeSubscription>();
  readonly packageName = 'com.example.zerodrop';
  readonly #apiKeys = new Map<string, RegisteredApiKey>();
  readonly #faults: FakeFault[] = [];
  #defaultCredentials: FakeApiCredentials | null = null;
  #baseUrl: string | null = null;

  private constructor(options: FakeHuaweiOptions, pki: Pki, foreignPki: Pki, crl: FakeCrlServer) {
    this.crl = crl;
    this.applicationId = options.applicationId ?? '6917500000000000001';
    this.environment = options.environment ?? 'SANDBOX';
    this.#pki = pki;
    this.#foreignPki = foreignPki;
    this.rootPem = pki.root.certificate.toString('pem');
    this.foreignRootPem = foreignPki.root.certificate.toString('pem');
  }

  /** Generates the PKIs and listens on 127.0.0.1 at a free port. */
  static async start(options: FakeHuaweiOptions = {}): Promise<FakeHuawei> {
    const crl = await FakeCrlServer.start();
    const [pki, foreignPki] = await Promise.all([createPki('Fake Huawei CBG', crl), createPki('Attacker')]);
    const fake = new FakeHuawei(options, pki, foreignPki, crl);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.#baseUrl = `http://127.0.0.1:${port}`;
    return fake;
  }

  get baseUrl(): string {
    if (this.#baseUrl === null) throw new Error('FakeHuawei is not listening');
    return this.#baseUrl;
  }

  async close(): Promise<void> {
    // Hung requests (fault "hang") would otherwise keep close() waiting forever.
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
    await this.crl.close();
  }

  /** Lists the signing leaf (on the intermediate's CRL) or the intermediate (on the root's CRL) as revoked. */
  revokeCertificate(which: 'leaf' | 'intermediate'): void {
    const [crlName, certificate] = which === 'leaf' ? ['intermediate', this.#pki.leaf] : ['root', this.#pki.intermediate];
    this.crl.revoke(crlName, certificate.certificate.serialNumber);
  }

  // ---- API keys and store accounts ----------------------------------------------------

  /** Accepts Bearer JWTs with this kid, issuer and public key. */
  registerApiKey(keyId: string, issuerId: string, publicKey: KeyObject): void {
    this.#apiKeys.set(keyId, { issuerId, publicKey });
  }

  /** Generates an EC P-256 API key like AppGallery Connect does and registers it. */
  createApiCredentials(): FakeApiCredentials {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const credentials = {
      issuerId: `issuer-${randomBytes(4).toString('hex')}`,
      keyId: `kid-${randomBytes(4).toString('hex')}`,
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    this.registerApiKey(credentials.keyId, credentials.issuerId, publicKey);
    return credentials;
  }

  /**
   * A store account pointed at this fake. SANDBOX by default (trusts rootPem); with
   * `withCredentials` it carries registered server API credentials.
   */
  storeAccount(
    options: { environment?: StoreEnvironment; withCredentials?: boolean; applicationId?: string; credentials?: FakeApiCredentials } = {},
  ): StoreAccountConfig {
    const withCredentials = options.withCredentials ?? options.credentials !== undefined;
    const credentials = withCredentials ? (options.credentials ?? this.#sharedCredentials()) : null;
    return {
      id: `huawei-account-${randomBytes(4).toString('hex')}`,
      appId: 'app-under-test',
      store: 'HUAWEI',
      environment: options.environment ?? (this.environment === 'NORMAL' ? 'PRODUCTION' : 'SANDBOX'),
      settings: {
        applicationId: options.applicationId ?? this.applicationId,
        ...(credentials ? { issuerId: credentials.issuerId, keyId: credentials.keyId } : {}),
      },
      secrets: credentials ? { privateKeyPem: credentials.privateKeyPem } : {},
      apiBaseUrl: this.baseUrl,
      trustedRootsPem: this.rootPem,
      outbound: localOutbound(),
    };
  }

  #sharedCredentials(): FakeApiCredentials {
    this.#defaultCredentials ??= this.createApiCredentials();
    return this.#defaultCredentials;
  }

  // ---- Signing -------------------------------------------------------------------------

  /** A purchase order payload as Huawei would sign it; `overrides` win (undefined removes a field). */
  purchasePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Date.now();
    const payload: Record<string, unknown> = {
      environment: this.environment,
      purchaseOrderId: `PO${now}${randomBytes(4).toString('hex')}`,
      purchaseToken: `000001${randomBytes(24).toString('hex')}`,
      applicationId: this.applicationId,
      productId: 'gems_100',
      productType: '0',
      purchaseTime: now,
      finishStatus: '2',
      needFinish: true,
      price: 600,
      currency: 'CNY',
      developerPayload: 'player-42',
      countryCode: 'CN',
      signedTime: now,
      ...overrides,
    };
    return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  }

  /** Signs with the fake's real chain and remembers the order for the server API. */
  async signPurchase(overrides: Record<string, unknown> = {}): Promise<SignedPurchase> {
    const payload = this.purchasePayload(overrides);
    const jwsPurchaseOrder = await this.signJws(payload);
    this.#orders.set(String(payload.purchaseOrderId), { payload, confirmAttempts: 0, confirmed: false });
    return { purchaseData: JSON.stringify({ type: Number(payload.productType), jwsPurchaseOrder }), jwsPurchaseOrder, payload };
  }

  /** Any payload signed with the fake's valid chain [leaf, intermediate, root]. */
  signJws(payload: Record<string, unknown>): Promise<string> {
    return signCompact(payload, this.#x5c(this.#pki), this.#pki.leaf.keys.privateKey);
  }

  #x5c(pki: Pki): string[] {
    return [base64Der(pki.leaf.certificate), base64Der(pki.intermediate.certificate), base64Der(pki.root.certificate)];
  }

  /** A token that a correct verifier must refuse; its payload is otherwise a valid purchase. */
  async hostileToken(kind: HostileTokenKind, overrides: Record<string, unknown> = {}): Promise<string> {
    const payload = this.purchasePayload(overrides);
    const chain = this.#x5c(this.#pki);
    const leafKey = this.#pki.leaf.keys.privateKey;
    switch (kind) {
      case 'tampered-payload': {
        const [header, , signature] = (await this.signJws(payload)).split('.');
        return `${header}.${base64UrlJson({ ...payload, price: 1, quantity: 1000 })}.${signature}`;
      }
      case 'expired-leaf': {
        const expired = await issue(this.#pki.intermediate, {
          subject: 'C=CN, O=Huawei, OU=Huawei CBG, CN=Expired IAP Signing',
          curve: 'P-256',
          ca: false,
          huaweiOid: true,
          notBefore: new Date(Date.now() - 30 * DAY_MS),
          notAfter: new Date(Date.now() - DAY_MS),
        });
        return signCompact(payload, [base64Der(expired.certificate), ...chain.slice(1)], expired.keys.privateKey);
      }
      case 'alg-none':
        return `${base64UrlJson({ alg: 'none', typ: 'JWT', x5c: chain })}.${base64UrlJson(payload)}.`;
      case 'hs256':
        // Classic confusion attack: HMAC keyed with the (public) leaf certificate bytes.
        return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', x5c: chain })
          .sign(new Uint8Array(this.#pki.leaf.certificate.rawData));
      case 'rs256':
        return `${base64UrlJson({ alg: 'RS256', typ: 'JWT', x5c: chain })}.${base64UrlJson(payload)}.${randomBytes(256).toString('base64url')}`;
      case 'foreign-chain':
        return signCompact(payload, this.#x5c(this.#foreignPki), this.#foreignPki.leaf.keys.privateKey);
      case 'self-signed-leaf': {
        const selfSigned = await createSelfSigned({
          subject: 'C=CN, O=Huawei, OU=Huawei CBG, CN=Self-signed IAP Signing',
          curve: 'P-256',
          ca: false,
          huaweiOid: true,
        });
        return signCompact(payload, [base64Der(selfSigned.certificate), ...chain.slice(1)], selfSigned.keys.privateKey);
      }
      case 'leaf-without-oid': {
        const plainLeaf = await issue(this.#pki.intermediate, {
          subject: 'C=CN, O=Huawei, OU=Huawei CBG, CN=Unmarked Signing',
          curve: 'P-256',
          ca: false,
          huaweiOid: false,
        });
        return signCompact(payload, [base64Der(plainLeaf.certificate), ...chain.slice(1)], plainLeaf.keys.privateKey);
      }
      case 'two-cert-chain':
        return signCompact(payload, chain.slice(0, 2), leafKey);
      case 'header-root-swapped':
        return signCompact(payload, [...chain.slice(0, 2), base64Der(this.#foreignPki.root.certificate)], leafKey);
    }
  }

  /** A signed v3 notification body `{"jwsNotification": ...}`. */
  async signNotification(options: NotificationOptions): Promise<SignedNotification> {
    const order = options.purchaseOrderId === undefined ? undefined : this.#orders.get(options.purchaseOrderId)?.payload;
    const subscription = order?.subGroupGenerationId === undefined ? undefined : this.#subscriptions.get(String(order.subGroupGenerationId));
    const notificationRequestId = options.notificationRequestId ?? `nr-${randomBytes(8).toString('hex')}`;
    const payload: Record<string, unknown> = JSON.parse(
      JSON.stringify({
        notificationType: options.notificationType,
        notificationSubtype: options.notificationSubtype,
        notificationRequestId,
        notificationMetaData: {
          environment: this.environment,
          applicationId: this.applicationId,
          packageName: this.packageName,
          // Huawei sends the product type here as a number (the payloads carry it as a string).
          type: order?.productType === undefined ? undefined : Number(order.productType),
          currentProductId: order?.productId,
          subGroupId: subscription?.subGroupId,
          subGroupGenerationId: subscription?.subGroupGenerationId,
          subscriptionId: subscription?.subscriptionId,
          purchaseToken: order?.purchaseToken,
          purchaseOrderId: order?.purchaseOrderId,
          ...options.metadata,
        },
        notificationVersion: 'v3',
        signedTime: Date.now(),
      }),
    ) as Record<string, unknown>;
    const jwsNotification = await this.signJws(payload);
    return { body: JSON.stringify({ jwsNotification }), jwsNotification, notificationRequestId, payload };
  }

  /** POSTs a signed notification to `url` like Huawei does. */
  async sendNotification(url: string, options: NotificationOptions): Promise<SignedNotification & { status: number }> {
    const notification = await this.signNotification(options);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: notification.body });
    await response.arrayBuffer();
    return { ...notification, status: response.status };
  }


  // ---- Subscriptions (productType "2") ------------------------------------------------

  /**
   * A new auto-renewable subscription with its first purchase order; returns the
   * client's purchaseData (jwsSubscriptionStatus) for it.
   */
  async subscribe(options: SubscriptionOptions = {}): Promise<SignedSubscription> {
    const purchaseTime = options.purchaseTime ?? Date.now();
    const subscription: FakeSubscription = {
      subGroupId: `group-${randomBytes(3).toString('hex')}`,
      subGroupGenerationId: `gen-${randomBytes(8).toString('hex')}`,
      subscriptionId: `sub-${randomBytes(8).toString('hex')}`,
      purchaseToken: `000002${randomBytes(24).toString('hex')}`,
      productId: options.productId ?? 'vip_monthly',
      status: null,
      orderIds: [],
    };
    this.#subscriptions.set(subscription.subGroupGenerationId, subscription);
    this.#addSubscriptionOrder(subscription, purchaseTime, options.periodMs ?? 30 * DAY_MS, options.overrides ?? {});
    return this.signSubscriptionStatus(subscription.subGroupGenerationId);
  }

  /** Huawei charged the next period: a new purchase order (same purchaseToken) and a later expiresTime. */
  renew(subGroupGenerationId: string, options: { periodMs?: number; purchaseTime?: number } = {}): string {
    const subscription = this.#subscription(subGroupGenerationId);
    const purchaseTime = options.purchaseTime ?? Date.now();
    // The new period starts where the paid one ends (or now, after a lapse).
    const periodStart = Math.max(this.expiresTime(subGroupGenerationId), purchaseTime);
    return this.#addSubscriptionOrder(subscription, purchaseTime, options.periodMs ?? 30 * DAY_MS, {}, periodStart);
  }

  /** Huawei revoked the whole subscription (status 5), e.g. APPLICATION_DELETE_SUBSCRIPTION_HOSTING. */
  revokeSubscription(subGroupGenerationId: string): void {
    const subscription = this.#subscription(subGroupGenerationId);
    subscription.status = '5';
    const last = subscription.orderIds.at(-1);
    if (last !== undefined) this.refund(last, '0');
  }

  /** The subscription's expiresTime: the latest period end of its orders not refunded. */
  expiresTime(subGroupGenerationId: string): number {
    const subscription = this.#subscription(subGroupGenerationId);
    let latest = 0;
    for (const id of subscription.orderIds) {
      const order = this.#orders.get(id)!;
      if (order.payload.purchaseOrderRevocationReasonCode !== undefined) continue;
      latest = Math.max(latest, order.periodEndsAt ?? 0);
    }
    return latest;
  }

  /** Purchase order ids of a subscription, oldest first. */
  subscriptionOrderIds(subGroupGenerationId: string): string[] {
    return [...this.#subscription(subGroupGenerationId).orderIds];
  }

  /** SubGroupStatusPayload as Huawei's status query and the client's jwsSubscriptionStatus carry it. */
  subscriptionStatusPayload(subGroupGenerationId: string): Record<string, unknown> {
    const subscription = this.#subscription(subGroupGenerationId);
    const orders = subscription.orderIds.map((id) => this.#orders.get(id)!.payload);
    const expiresTime = this.expiresTime(subGroupGenerationId);
    const status: FakeSubscriptionStatusCode = subscription.status ?? (expiresTime > Date.now() ? '1' : '2');
    const lastSubscriptionStatus = {
      subGroupGenerationId: subscription.subGroupGenerationId,
      subscriptionId: subscription.subscriptionId,
      purchaseToken: subscription.purchaseToken,
      status,
      expiresTime,
      lastPurchaseOrder: orders.at(-1),
      recentPurchaseOrderList: orders.slice(-10).reverse(),
      renewalInfo: {
        environment: this.environment,
        subGroupGenerationId: subscription.subGroupGenerationId,
        productId: subscription.productId,
        autoRenewStatusCode: status === '1' ? '1' : '0',
        hasInBillingRetryPeriod: status === '3',
        renewalTime: expiresTime,
      },
    };
    return JSON.parse(
      JSON.stringify({
        environment: this.environment,
        applicationId: this.applicationId,
        packageName: this.packageName,
        subGroupId: subscription.subGroupId,
        lastSubscriptionStatus,
        historySubscriptionStatusList: [lastSubscriptionStatus],
      }),
    ) as Record<string, unknown>;
  }

  /** The subscription's current state signed as jwsSubscriptionStatus, in the client's purchaseData. */
  async signSubscriptionStatus(subGroupGenerationId: string): Promise<SignedSubscription> {
    const subscription = this.#subscription(subGroupGenerationId);
    const payload = this.subscriptionStatusPayload(subGroupGenerationId);
    const jwsSubscriptionStatus = await this.signJws(payload);
    return {
      purchaseData: JSON.stringify({ type: 2, jwsSubscriptionStatus }),
      jwsSubscriptionStatus,
      subGroupGenerationId,
      purchaseToken: subscription.purchaseToken,
      purchaseOrderId: subscription.orderIds.at(-1)!,
      expiresTime: this.expiresTime(subGroupGenerationId),
      payload,
    };
  }

  #subscription(subGroupGenerationId: string): FakeSubscription {
    const subscription = this.#subscriptions.get(subGroupGenerationId);
    if (subscription === undefined) throw new Error(`FakeHuawei: unknown subscription ${subGroupGenerationId}`);
    return subscription;
  }

  #addSubscriptionOrder(
    subscription: FakeSubscription,
    purchaseTime: number,
    periodMs: number,
    overrides: Record<string, unknown>,
    periodStart = purchaseTime,
  ): string {
    const payload = this.purchasePayload({
      purchaseOrderId: `PO${purchaseTime}${randomBytes(4).toString('hex')}`,
      purchaseToken: subscription.purchaseToken,
      productId: subscription.productId,
      productType: '2',
      purchaseTime,
      price: 1500,
      subGroupId: subscription.subGroupId,
      subGroupGenerationId: subscription.subGroupGenerationId,
      subscriptionId: subscription.subscriptionId,
      ...overrides,
    });
    const id = String(payload.purchaseOrderId);
    this.#orders.set(id, { payload, confirmAttempts: 0, confirmed: false, periodEndsAt: periodStart + periodMs });
    subscription.orderIds.push(id);
    return id;
  }

  // ---- Order state and faults ----------------------------------------------------------

  /** Marks an order refunded: status queries now return it with a revocation code. */
  refund(purchaseOrderId: string, reasonCode: '0' | '1' = '1', revocationTime = Date.now()): void {
    const order = this.#orders.get(purchaseOrderId);
    if (order === undefined) throw new Error(`FakeHuawei: unknown order ${purchaseOrderId}`);
    order.payload = { ...order.payload, purchaseOrderRevocationReasonCode: reasonCode, revocationTime };
  }

  /** Confirm requests that reached this order (including failed and duplicate ones). */
  confirmAttempts(purchaseOrderId: string): number {
    return this.#orders.get(purchaseOrderId)?.confirmAttempts ?? 0;
  }

  isConfirmed(purchaseOrderId: string): boolean {
    return this.#orders.get(purchaseOrderId)?.confirmed ?? false;
  }

  /** The next `count` API calls fail with `fault`, in order, before any other processing. */
  failNext(count: number, fault: FakeFault): void {
    for (let index = 0; index < count; index += 1) this.#faults.push(fault);
  }

  // ---- HTTP ----------------------------------------------------------------------------

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      body = null;
    }
    const fault = this.#faults.shift() ?? null;
    const record: RecordedApiRequest = {
      path,
      rawBody,
      body,
      jwtHeader: null,
      claims: null,
      authFailure: null,
      fault: fault?.kind ?? null,
    };
    this.requests.push(record);
    this.#countConfirmAttempt(path, body);

    if (fault !== null) {
      switch (fault.kind) {
        case 'hang':
          return;
        case 'reset':
          request.socket.destroy();
          return;
        case 'http-status':
          response.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`fault injected: HTTP ${fault.status}`);
          return;
        case 'response-code':
          this.#answer(response, 200, { responseCode: fault.responseCode, responseMessage: fault.responseMessage ?? 'fault injected' });
          return;
      }
    }

    if (request.method !== 'POST') {
      this.#answer(response, 405, { responseCode: '1001880006', responseMessage: 'POST only' });
      return;
    }
    const authentication = await this.#authenticate(request.headers.authorization, rawBody, record);
    if ('failure' in authentication) {
      record.authFailure = authentication.failure;
      this.#answer(response, 401, { responseCode: FAKE_AUTH_FAILURE_CODE, responseMessage: authentication.failure });
      return;
    }
    record.claims = authentication.claims;

    const order = this.#findOrder(body);
    switch (path) {
      case HUAWEI_API_PATHS.orderStatusQuery: {
        // Huawei's order query covers consumables, non-consumables and non-renewing products only.
        if (order === null || order.payload.productType === '2') {
          return this.#answer(response, 200, { responseCode: '1001880012', responseMessage: 'record does not exist' });
        }
        const jwsPurchaseOrder = await this.signJws(order.payload);
        return this.#answer(response, 200, { responseCode: '0', responseMessage: 'success', jwsPurchaseOrder });
      }
      case HUAWEI_API_PATHS.subscriptionStatusQuery: {
        const generation = order?.payload.subGroupGenerationId;
        if (order === null || typeof generation !== 'string') {
          return this.#answer(response, 200, { responseCode: '1001880012', responseMessage: 'record does not exist' });
        }
        const jwsSubGroupStatus = await this.signJws(this.subscriptionStatusPayload(generation));
        return this.#answer(response, 200, { responseCode: '0', responseMessage: 'success', jwsSubGroupStatus });
      }
      case HUAWEI_API_PATHS.orderShippedConfirm:
      case HUAWEI_API_PATHS.subscriptionShippedConfirm: {
        if (order === null) return this.#answer(response, 200, { responseCode: '1001880012', responseMessage: 'record does not exist' });
        if (order.confirmed) {
          const alreadyCode = path === HUAWEI_API_PATHS.subscriptionShippedConfirm ? '1001880020' : '1001880009';
          return this.#answer(response, 200, { responseCode: alreadyCode, responseMessage: 'already confirmed' });
        }
        order.confirmed = true;
        order.payload = { ...order.payload, finishStatus: '1' };
        return this.#answer(response, 200, { responseCode: '0', responseMessage: 'success' });
      }
      default:
        return this.#answer(response, 404, { responseCode: '1001880006', responseMessage: `no route ${path}` });
    }
  }

  #countConfirmAttempt(path: string, body: Record<string, unknown> | null): void {
    if (path !== HUAWEI_API_PATHS.orderShippedConfirm && path !== HUAWEI_API_PATHS.subscriptionShippedConfirm) return;
    const order = this.#orders.get(String(body?.purchaseOrderId));
    if (order !== undefined) order.confirmAttempts += 1;
  }

  #findOrder(body: Record<string, unknown> | null): FakeOrder | null {
    const order = this.#orders.get(String(body?.purchaseOrderId));
    return order !== undefined && order.payload.purchaseToken === body?.purchaseToken ? order : null;
  }

  async #authenticate(
    authorization: string | undefined,
    rawBody: string,
    record: RecordedApiRequest,
  ): Promise<{ claims: JWTPayload } | { failure: string }> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : null;
    if (token === null) return { failure: 'missing Bearer token' };
    try {
      record.jwtHeader = decodeProtectedHeader(token);
    } catch {
      return { failure: 'unparsable JWT header' };
    }
    const { kid, typ } = record.jwtHeader;
    if (typ !== 'JWT') return { failure: `typ must be JWT, got ${String(typ)}` };
    const apiKey = kid === undefined ? undefined : this.#apiKeys.get(kid);
    if (apiKey === undefined) return { failure: `unknown kid ${String(kid)}` };
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, apiKey.publicKey, {
        algorithms: ['ES256'],
        audience: 'iap-v1',
        issuer: apiKey.issuerId,
        requiredClaims: ['iat', 'exp'],
      }));
    } catch (error) {
      return { failure: `JWT rejected: ${error instanceof Error ? error.message : String(error)}` };
    }
    const { iat, exp } = claims as { iat: number; exp: number };
    if (exp - iat > 3600) return { failure: `exp - iat is ${exp - iat}s, over 1 h` };
    if (claims.aid !== this.applicationId) return { failure: `aid ${String(claims.aid)} is not ${this.applicationId}` };
    const digest = createHash('sha256').update(rawBody).digest('hex');
    if (claims.digest !== digest) return { failure: 'digest does not match the request body' };
    return { claims };
  }

  #answer(response: ServerResponse, status: number, body: Record<string, unknown>): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

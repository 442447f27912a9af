// Huawei IAP server API: order status query and delivery confirmation. Every call is
// authenticated with a fresh ES256 JWT bound to the exact body (digest claim) and bounded
// by a timeout, so a hung Huawei endpoint can never hold a worker.
import { createHash } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { AppError, PurchaseVerificationError, StoreAccountError, StoreRejectedError, StoreUnavailableError } from '../../../platform/errors.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../../contract.js';
import { apiBaseUrlRefused } from '../../api-base-url.js';
import { isOutboundRefusal, strictOutbound } from '../../../platform/outbound-url.js';
import type { VerifyHuaweiJwsOptions } from './jws.js';
import { verifyHuaweiPurchaseOrderJws, type HuaweiProductType } from './purchase.js';
import { verifyHuaweiSubscriptionStatusJws, type HuaweiSubscriptionState } from './subscription.js';
import { readHuaweiAccount, type HuaweiServerCredentials } from './settings.js';

export const HUAWEI_DEFAULT_API_BASE_URL = 'https://iap.cloud.huawei.com';
export const HUAWEI_DEFAULT_TIMEOUT_MS = 10_000;

export const HUAWEI_API_PATHS = {
  orderStatusQuery: '/order/harmony/v1/application/order/status/query',
  orderShippedConfirm: '/order/harmony/v1/application/purchase/shipped/confirm',
  subscriptionStatusQuery: '/subscription/harmony/v1/application/subscription/status/query',
  subscriptionShippedConfirm: '/subscription/harmony/v1/application/purchase/shipped/confirm',
} as const;

const JWT_AUDIENCE = 'iap-v1';
/** Back-dating iat absorbs clock skew between us and Huawei. */
const JWT_BACKDATE_SECONDS = 60;
/** Huawei accepts exp − iat ≤ 1 h; tokens are minted per call, so a short life is enough. */
const JWT_LIFETIME_SECONDS = 15 * 60;

const SUCCESS_CODE = '0';
/** "Already consumed/confirmed" for orders and subscriptions: the goal state, i.e. success. */
const ALREADY_CONFIRMED_CODES = new Set(['1001880009', '1001880020']);

interface HuaweiErrorDescription {
  code: string;
  message: string;
  retryable: boolean;
}

const HUAWEI_ERRORS: Record<string, HuaweiErrorDescription> = {
  '1001880005': {
    code: 'HUAWEI_IAP_NOT_ACTIVATED',
    message: 'IAP Kit is not activated for this app in AppGallery Connect',
    retryable: false,
  },
  '1001880006': {
    code: 'HUAWEI_SERVER_FATAL',
    message: 'Huawei reported a fatal server error; retry later',
    retryable: true,
  },
  '1001880008': {
    code: 'HUAWEI_NOT_OWNED',
    message: 'The user does not own this product (not purchased, or already consumed)',
    retryable: false,
  },
  '1001880010': {
    code: 'HUAWEI_HIGH_RISK',
    message: 'Huawei blocked the request as a high-risk operation',
    retryable: false,
  },
  '1001880011': {
    code: 'HUAWEI_INVALID_ACCOUNT',
    message: 'Huawei rejected the account: check issuerId, keyId, private key and applicationId',
    retryable: false,
  },
  '1001880012': {
    code: 'HUAWEI_RECORD_NOT_FOUND',
    message: 'Huawei has no record of this purchase (wrong purchaseOrderId / purchaseToken?)',
    retryable: false,
  },
};

export interface HuaweiClientOptions extends VerifyHuaweiJwsOptions {
  /** Per-call timeout; defaults to HUAWEI_DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface HuaweiOrderReference {
  purchaseOrderId: string;
  purchaseToken: string;
}

export interface HuaweiConfirmRequest extends HuaweiOrderReference {
  /** AUTO_RENEWABLE goes to the subscription endpoint; everything else to the order endpoint. */
  productType: HuaweiProductType;
}

export type HuaweiConfirmOutcome = 'CONFIRMED' | 'ALREADY_CONFIRMED';

interface HuaweiApiAnswer {
  responseCode: string;
  responseMessage: string | null;
  body: Record<string, unknown>;
}

// Importing a PKCS#8 key costs far more than signing; keys are keyed by their PEM text.
const PRIVATE_KEY_CACHE_LIMIT = 100;
const privateKeys = new Map<string, Promise<CryptoKey>>();

function importSigningKey(credentials: HuaweiServerCredentials): Promise<CryptoKey> {
  const cacheKey = createHash('sha256').update(credentials.privateKeyPem).digest('hex');
  const cached = privateKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  const imported = importPKCS8(credentials.privateKeyPem.trim(), 'ES256').catch((error: unknown) => {
    privateKeys.delete(cacheKey);
    throw new StoreAccountError(
      'STORE_CREDENTIALS_MISSING',
      `Huawei privateKeyPem is not a PKCS#8 EC P-256 key: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  if (privateKeys.size >= PRIVATE_KEY_CACHE_LIMIT) {
    const oldest = privateKeys.keys().next();
    if (oldest.done !== true) privateKeys.delete(oldest.value);
  }
  privateKeys.set(cacheKey, imported);
  return imported;
}

async function authorizationFor(credentials: HuaweiServerCredentials, applicationId: string, body: string): Promise<string> {
  const key = await importSigningKey(credentials);
  const issuedAt = Math.floor(Date.now() / 1000) - JWT_BACKDATE_SECONDS;
  const jwt = await new SignJWT({ aid: applicationId, digest: createHash('sha256').update(body).digest('hex') })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: credentials.keyId })
    .setIssuer(credentials.issuerId)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + JWT_LIFETIME_SECONDS)
    .sign(key);
  return `Bearer ${jwt}`;
}

function requireCredentials(account: StoreAccountConfig): { applicationId: string; credentials: HuaweiServerCredentials } {
  const { applicationId, credentials } = readHuaweiAccount(account);
  if (credentials === null) {
    throw new StoreAccountError(
      'STORE_CREDENTIALS_MISSING',
      `Huawei store account ${account.id} has no server API credentials (settings.issuerId, settings.keyId, secrets.privateKeyPem)`,
    );
  }
  return { applicationId, credentials };
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

async function callHuaweiApi(
  account: StoreAccountConfig,
  path: string,
  requestBody: Record<string, string>,
  options: HuaweiClientOptions,
): Promise<HuaweiApiAnswer> {
  const { applicationId, credentials } = requireCredentials(account);
  const body = JSON.stringify(requestBody);
  const authorization = await authorizationFor(credentials, applicationId, body);
  const url = new URL(path, account.apiBaseUrl ?? HUAWEI_DEFAULT_API_BASE_URL);
  const timeoutMs = options.timeoutMs ?? HUAWEI_DEFAULT_TIMEOUT_MS;

  let status: number;
  let text: string;
  try {
    // One signal bounds the whole exchange, including reading the body.
    const response = await (account.outbound ?? strictOutbound()).fetch(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json; charset=UTF-8', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (isOutboundRefusal(error)) throw apiBaseUrlRefused();
    throw new StoreUnavailableError(`Huawei ${path} unreachable: ${describeFailure(error, timeoutMs)}`, { cause: error });
  }

  if (status >= 500 || status === 429) {
    throw new StoreUnavailableError(`Huawei ${path} answered HTTP ${status}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const responseCode =
    typeof parsed === 'object' && parsed !== null && 'responseCode' in parsed ? String(parsed.responseCode) : null;
  if (responseCode === null) {
    if (status >= 400) throw new StoreRejectedError('HUAWEI_HTTP_ERROR', String(status), `Huawei ${path} answered HTTP ${status}`);
    // A 2xx without a Huawei envelope is a broken answer (proxy, outage page): retry later.
    throw new StoreUnavailableError(`Huawei ${path} answered HTTP ${status} without a responseCode`);
  }
  const answer = parsed as Record<string, unknown>;
  const responseMessage = typeof answer.responseMessage === 'string' ? answer.responseMessage : null;
  return { responseCode, responseMessage, body: answer };
}

function rejection(path: string, answer: HuaweiApiAnswer): AppError {
  const known = HUAWEI_ERRORS[answer.responseCode];
  const detail = answer.responseMessage === null ? '' : ` (${answer.responseMessage})`;
  if (known === undefined) {
    return new StoreRejectedError(
      'HUAWEI_REQUEST_REJECTED',
      answer.responseCode,
      `Huawei ${path} rejected the request with responseCode ${answer.responseCode}${detail}`,
    );
  }
  return new StoreRejectedError(known.code, answer.responseCode, `${known.message} [${answer.responseCode}]${detail}`, {
    retryable: known.retryable,
  });
}

/**
 * Asks Huawei for the current state of an order and verifies the signed answer like a
 * client submission (chain, applicationId, environment). Refunds show up as `revocation`.
 */
export async function queryOrderStatus(
  account: StoreAccountConfig,
  order: HuaweiOrderReference,
  options: HuaweiClientOptions = {},
): Promise<VerifiedPurchase> {
  const path = HUAWEI_API_PATHS.orderStatusQuery;
  const answer = await callHuaweiApi(
    account,
    path,
    { purchaseOrderId: order.purchaseOrderId, purchaseToken: order.purchaseToken },
    options,
  );
  if (answer.responseCode !== SUCCESS_CODE) throw rejection(path, answer);
  const { jwsPurchaseOrder } = answer.body;
  if (typeof jwsPurchaseOrder !== 'string') {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `Huawei ${path} answered without jwsPurchaseOrder`);
  }
  const verified = await verifyHuaweiPurchaseOrderJws(account, jwsPurchaseOrder, options);
  if (verified.storeOrderId !== order.purchaseOrderId) {
    throw new PurchaseVerificationError(
      'MALFORMED_PURCHASE',
      `Huawei ${path} answered for order ${verified.storeOrderId}, not ${order.purchaseOrderId}`,
    );
  }
  return verified;
}

/**
 * Asks Huawei for a subscription's current state (auto-renewable products; the order
 * query does not cover them) and verifies the signed jwsSubGroupStatus.
 */
export async function querySubscriptionStatus(
  account: StoreAccountConfig,
  order: HuaweiOrderReference,
  options: HuaweiClientOptions = {},
): Promise<HuaweiSubscriptionState> {
  const path = HUAWEI_API_PATHS.subscriptionStatusQuery;
  const answer = await callHuaweiApi(
    account,
    path,
    { purchaseOrderId: order.purchaseOrderId, purchaseToken: order.purchaseToken },
    options,
  );
  if (answer.responseCode !== SUCCESS_CODE) throw rejection(path, answer);
  const { jwsSubGroupStatus } = answer.body;
  if (typeof jwsSubGroupStatus !== 'string') {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `Huawei ${path} answered without jwsSubGroupStatus`);
  }
  const state = await verifyHuaweiSubscriptionStatusJws(account, jwsSubGroupStatus, options);
  if (state.purchaseToken !== order.purchaseToken) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `Huawei ${path} answered for another subscription`);
  }
  return state;
}

/**
 * Tells Huawei the order was delivered. Resolves on success and on "already confirmed"
 * (1001880009 / 1001880020); throws StoreUnavailableError (network, 5xx, timeout) or
 * StoreRejectedError (any other responseCode).
 */
export async function confirmDelivery(
  account: StoreAccountConfig,
  request: HuaweiConfirmRequest,
  options: HuaweiClientOptions = {},
): Promise<HuaweiConfirmOutcome> {
  const path =
    request.productType === 'AUTO_RENEWABLE' ? HUAWEI_API_PATHS.subscriptionShippedConfirm : HUAWEI_API_PATHS.orderShippedConfirm;
  const answer = await callHuaweiApi(
    account,
    path,
    { purchaseOrderId: request.purchaseOrderId, purchaseToken: request.purchaseToken },
    options,
  );
  if (answer.responseCode === SUCCESS_CODE) return 'CONFIRMED';
  if (ALREADY_CONFIRMED_CODES.has(answer.responseCode)) return 'ALREADY_CONFIRMED';
  throw rejection(path, answer);
}

// Huya mini-program payment callback (seed 003, §6 支付回调接入).
//
// Huya calls the developer's URL by GET (fields in the query string) or POST (a JSON
// body, content-type application/json), every value a string, with header
//   authorization = upper(hex(md5(appId + timestamp + data + extSecret)))   (UTF-8)
// where `data` is "支付回调的JSON字符串" — the callback's JSON string.
//   POST: the body *is* that JSON string, so we hash the raw body exactly as received
//         (re-serialising could reorder keys or change escaping and break the hash).
//   GET:  no JSON travels, so we rebuild it: compact JSON of the seven documented fields.
//         The seed's example lists them in the order goodsUuid, orderTime, orderId,
//         extUuid, profileId, expenseLevel, timestamp; the key order Huya really uses for
//         GET is not confirmed, so it is the account setting `getSigningKeyOrder`.
// `timestamp` in the signature is the callback's own `timestamp` field (seconds).
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { PurchaseVerificationError, StoreAccountError } from '../../../platform/errors.js';
import { FinishMode } from '../../../generated/prisma/enums.js';
import type { StoreAccountConfig, VerifiedPurchase } from '../../contract.js';
import { HUYA_TIME_ZONE, instantOfWallClock, isValidWallClock } from './zoned-time.js';

export const DEFAULT_CALLBACK_TOLERANCE_SECONDS = 300;

/** The callback fields in the order the seed documents (and signs, in its example). */
export const HUYA_CALLBACK_FIELDS = [
  'goodsUuid',
  'orderTime',
  'orderId',
  'extUuid',
  'profileId',
  'expenseLevel',
  'timestamp',
] as const;

export type HuyaCallbackField = (typeof HUYA_CALLBACK_FIELDS)[number];
export type HuyaCallbackFields = Record<HuyaCallbackField, string>;

/**
 * How a GET callback's fields are ordered in the JSON that Huya signs (unconfirmed):
 * `documented` — the seed's order (default); `query` — the order the fields appear in the
 * URL; `alphabetical` — sorted keys (what fastjson emits for a Java bean by default).
 */
export const GetSigningKeyOrder = z.enum(['documented', 'query', 'alphabetical']);
export type GetSigningKeyOrder = z.infer<typeof GetSigningKeyOrder>;

/** Non-secret Huya store-account settings (StoreAccount.settings). */
export const HuyaAccountSettingsSchema = z.object({
  /** The developer appId Huya puts first in the callback signature. */
  huyaAppId: z.string().min(1),
  /** The mini-program's uuid; callbacks for any other extUuid are refused. */
  extUuid: z.string().min(1),
  getSigningKeyOrder: GetSigningKeyOrder.default('documented'),
  /**
   * Accepted distance between `timestamp` and our clock, both directions. Unset: the
   * server-wide window (HUYA_TIMESTAMP_WINDOW_SECONDS, passed as VerifyCallbackOptions).
   */
  callbackToleranceSeconds: z.number().int().min(1).max(86_400).optional(),
  /** Zone of `orderTime` (yyyyMMddHHmmss has no offset; Huya is a China platform). */
  orderTimeZone: z
    .string()
    .min(1)
    .refine(isKnownTimeZone, { message: 'unknown IANA time zone' })
    .default(HUYA_TIME_ZONE),
});
export type HuyaAccountSettings = z.infer<typeof HuyaAccountSettingsSchema>;

/** Huya store-account secrets (sealed at rest). */
export const HuyaAccountSecretsSchema = z.object({
  /** 小程序的秘钥: signs callbacks (MD5) and the SDK's JWTs (HS256). */
  extSecret: z.string().min(1),
});
export type HuyaAccountSecrets = z.infer<typeof HuyaAccountSecretsSchema>;

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const ORDER_TIME_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

const CallbackFieldsSchema = z.object({
  goodsUuid: z.string().min(1),
  orderTime: z.string().regex(ORDER_TIME_PATTERN, 'expected yyyyMMddHHmmss'),
  orderId: z.string().min(1),
  extUuid: z.string().min(1),
  profileId: z.string().min(1),
  expenseLevel: z.string().regex(/^\d{1,9}$/, 'expected a non-negative integer string'),
  timestamp: z.string().regex(/^\d{1,12}$/, 'expected unix seconds'),
});

/** What the HTTP layer hands over; header names are case-insensitive, pass it as received. */
export type HuyaCallbackRequest =
  | { method: 'GET'; query: URLSearchParams; authorization: string | null }
  | { method: 'POST'; rawBody: string; authorization: string | null };

export interface HuyaCallback {
  fields: HuyaCallbackFields;
  /** expenseLevel as a number: the prepaid level bought. */
  expenseLevel: number;
  orderTime: Date;
  timestamp: Date;
}

export interface VerifiedHuyaCallback {
  callback: HuyaCallback;
  /** playerId for the core is `callback.fields.profileId` (the streamer's unionId). */
  purchase: VerifiedPurchase;
}

export interface VerifyCallbackOptions {
  /** Clock for the timestamp window; defaults to the real time. */
  now?: Date;
  /** Window for accounts without callbackToleranceSeconds; default 300 s. */
  toleranceSeconds?: number;
}

export interface HuyaAccount {
  settings: HuyaAccountSettings;
  secrets: HuyaAccountSecrets;
}

/** Parses an account's settings and secrets; a broken account is a configuration error. */
export function parseHuyaAccount(account: Pick<StoreAccountConfig, 'id' | 'settings' | 'secrets'>): HuyaAccount {
  const settings = HuyaAccountSettingsSchema.safeParse(account.settings);
  const secrets = HuyaAccountSecretsSchema.safeParse(account.secrets);
  if (!settings.success || !secrets.success) {
    throw new StoreAccountError(
      'STORE_CREDENTIALS_MISSING',
      `Huya store account ${account.id} needs settings { huyaAppId, extUuid } and secrets { extSecret }`,
    );
  }
  return { settings: settings.data, secrets: secrets.data };
}

/** The Huya signature: upper(hex(md5(appId + timestamp + data + extSecret))), UTF-8. */
export function huyaSignature(appId: string, timestamp: string, data: string, extSecret: string): string {
  return createHash('md5').update(`${appId}${timestamp}${data}${extSecret}`, 'utf8').digest('hex').toUpperCase();
}

/** The JSON string Huya signs for a GET callback, given the key order in use. */
export function getCallbackSigningData(
  fields: HuyaCallbackFields,
  keyOrder: GetSigningKeyOrder,
  query?: URLSearchParams,
): string {
  const keys = orderedKeys(keyOrder, query);
  // JSON.stringify of strings matches Java JSON writers for the characters these ids use.
  return `{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(fields[key])}`).join(',')}}`;
}

function orderedKeys(keyOrder: GetSigningKeyOrder, query: URLSearchParams | undefined): HuyaCallbackField[] {
  switch (keyOrder) {
    case 'documented':
      return [...HUYA_CALLBACK_FIELDS];
    case 'alphabetical':
      return [...HUYA_CALLBACK_FIELDS].sort();
    case 'query': {
      const known = new Set<string>(HUYA_CALLBACK_FIELDS);
      const seen = new Set<HuyaCallbackField>();
      for (const key of query?.keys() ?? []) {
        if (known.has(key)) seen.add(key as HuyaCallbackField);
      }
      return [...seen];
    }
  }
}

function malformed(message: string): PurchaseVerificationError {
  return new PurchaseVerificationError('MALFORMED_PURCHASE', `Huya callback: ${message}`);
}

function readFields(request: HuyaCallbackRequest): HuyaCallbackFields {
  let candidate: unknown;
  if (request.method === 'POST') {
    try {
      candidate = JSON.parse(request.rawBody);
    } catch {
      throw malformed('body is not JSON');
    }
  } else {
    const fromQuery: Record<string, string> = {};
    for (const field of HUYA_CALLBACK_FIELDS) {
      const values = request.query.getAll(field);
      // A repeated field would make "the" value ambiguous; refuse rather than guess.
      if (values.length > 1) throw malformed(`${field} appears more than once`);
      const [value] = values;
      if (value !== undefined) fromQuery[field] = value;
    }
    candidate = fromQuery;
  }
  const parsed = CallbackFieldsSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw malformed(issues.join('; '));
  }
  return parsed.data;
}

function parseOrderTime(orderTime: string, timeZone: string): Date {
  const match = ORDER_TIME_PATTERN.exec(orderTime);
  if (match === null) throw malformed('orderTime must be yyyyMMddHHmmss');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const clock = { year, month, day, hour, minute, second };
  if (!isValidWallClock(clock)) throw malformed(`orderTime ${orderTime} is not a calendar time`);
  return instantOfWallClock(clock, timeZone);
}

function signaturesMatch(received: string, expected: string): boolean {
  // Hex is case-insensitive in meaning; the seed sends upper case, so normalise to it.
  const receivedBytes = Buffer.from(received.trim().toUpperCase(), 'utf8');
  const expectedBytes = Buffer.from(expected, 'utf8');
  // The length of an MD5 hex digest is public; only the content needs constant time.
  return receivedBytes.length === expectedBytes.length && timingSafeEqual(receivedBytes, expectedBytes);
}

/**
 * Verifies a Huya payment callback for `account` and maps it to a VerifiedPurchase.
 * Checks, in order: well-formed (MALFORMED_PURCHASE), signature (BAD_SIGNATURE),
 * timestamp within ±tolerance (STALE_TIMESTAMP), extUuid is this account's (WRONG_APPLICATION).
 * Dedupe by orderId is the core's job: storeOrderId = orderId.
 */
export function verifyHuyaCallback(
  account: StoreAccountConfig,
  request: HuyaCallbackRequest,
  options: VerifyCallbackOptions = {},
): VerifiedHuyaCallback {
  const { settings, secrets } = parseHuyaAccount(account);
  const fields = readFields(request);
  const orderTime = parseOrderTime(fields.orderTime, settings.orderTimeZone);

  if (request.authorization === null || request.authorization.trim() === '') {
    throw new PurchaseVerificationError('BAD_SIGNATURE', 'Huya callback: missing authorization header');
  }
  const signedData =
    request.method === 'POST'
      ? request.rawBody
      : getCallbackSigningData(fields, settings.getSigningKeyOrder, request.query);
  const expected = huyaSignature(settings.huyaAppId, fields.timestamp, signedData, secrets.extSecret);
  if (!signaturesMatch(request.authorization, expected)) {
    throw new PurchaseVerificationError('BAD_SIGNATURE', 'Huya callback: authorization does not match the signature');
  }

  const timestampSeconds = Number(fields.timestamp);
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const toleranceSeconds =
    settings.callbackToleranceSeconds ?? options.toleranceSeconds ?? DEFAULT_CALLBACK_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - timestampSeconds) > toleranceSeconds) {
    throw new PurchaseVerificationError(
      'STALE_TIMESTAMP',
      `Huya callback: timestamp ${fields.timestamp} is more than ${toleranceSeconds}s from now`,
    );
  }

  if (fields.extUuid !== settings.extUuid) {
    throw new PurchaseVerificationError(
      'WRONG_APPLICATION',
      `Huya callback: extUuid ${fields.extUuid} is not this account's mini-program`,
    );
  }

  const callback: HuyaCallback = {
    fields,
    expenseLevel: Number(fields.expenseLevel),
    orderTime,
    timestamp: new Date(timestampSeconds * 1000),
  };
  const purchase: VerifiedPurchase = {
    storeOrderId: fields.orderId,
    storeProductId: fields.goodsUuid,
    // Huya does not say; the product row (TIME_LIMITED) decides.
    productType: null,
    quantity: 1,
    amountMinor: null,
    currency: null,
    purchaseToken: null,
    purchasedAt: orderTime,
    // The expiry depends on the streamer's current expiry; see extendAccess in prepaid.ts.
    expiresAt: null,
    environment: account.environment,
    revocation: null,
    // The HTTP 200 answer is Huya's acknowledgement; nothing is left to finish.
    finishMode: FinishMode.NONE,
    finishParams: null,
    payload: { ...fields },
  };
  return { callback, purchase };
}

// Plays Huya in tests and in `zerodrop sandbox`: signs payment callbacks the way seed 003's Java sample does and
// mints the HS256 JWTs Huya's SDK hands a mini-program. Real MD5 and real JWS, no mocks.
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { StoreAccountConfig } from '../../providers/contract.js';

export const HUYA_TEST_APP_ID = 'hy-app-1001';
export const HUYA_TEST_EXT_UUID = 'ext-uuid-abc123';
export const HUYA_TEST_EXT_SECRET = 'ext-secret-0123456789abcdef0123456789abcdef';

export interface HuyaCallbackFieldsInput {
  goodsUuid: string;
  orderTime: string;
  orderId: string;
  extUuid: string;
  profileId: string;
  expenseLevel: string;
  timestamp: string;
}

export function huyaTestAccount(overrides: Partial<StoreAccountConfig> = {}): StoreAccountConfig {
  return {
    id: 'acct-huya-1',
    appId: 'app-1',
    store: 'HUYA',
    environment: 'PRODUCTION',
    settings: { huyaAppId: HUYA_TEST_APP_ID, extUuid: HUYA_TEST_EXT_UUID },
    secrets: { extSecret: HUYA_TEST_EXT_SECRET },
    apiBaseUrl: null,
    trustedRootsPem: null,
    ...overrides,
  };
}

/** The seed's example callback, with `timestamp` at `now`. */
export function huyaCallbackFields(now: Date, overrides: Partial<HuyaCallbackFieldsInput> = {}): HuyaCallbackFieldsInput {
  return {
    goodsUuid: 'goods-skin-1',
    orderTime: '20210316170234',
    orderId: '21031617023426027961',
    extUuid: HUYA_TEST_EXT_UUID,
    profileId: 'streamer-union-1',
    expenseLevel: '1',
    timestamp: String(Math.floor(now.getTime() / 1000)),
    ...overrides,
  };
}

/** Written independently of src: string concatenation, md5, hex, upper case (as the Java sample). */
export function huyaSign(appId: string, timestamp: string, data: string, extSecret: string): string {
  return createHash('md5')
    .update(Buffer.from(appId + timestamp + data + extSecret, 'utf8'))
    .digest('hex')
    .toUpperCase();
}

interface SigningKeys {
  appId?: string;
  extSecret?: string;
}

/** A POST callback: the JSON body as Huya sends it and its authorization header. */
export function signedHuyaPost(
  fields: HuyaCallbackFieldsInput,
  keys: SigningKeys = {},
): { method: 'POST'; rawBody: string; authorization: string } {
  const rawBody = JSON.stringify(fields);
  return {
    method: 'POST',
    rawBody,
    authorization: huyaSign(keys.appId ?? HUYA_TEST_APP_ID, fields.timestamp, rawBody, keys.extSecret ?? HUYA_TEST_EXT_SECRET),
  };
}

/**
 * A GET callback: fields in the query string (in the order given), signed over the
 * compact JSON of the fields in `signedKeyOrder` (default: the order of `fields`).
 */
export function signedHuyaGet(
  fields: HuyaCallbackFieldsInput,
  keys: SigningKeys & { signedKeyOrder?: readonly (keyof HuyaCallbackFieldsInput)[] } = {},
): { method: 'GET'; query: URLSearchParams; authorization: string } {
  const order = keys.signedKeyOrder ?? (Object.keys(fields) as (keyof HuyaCallbackFieldsInput)[]);
  const signedJson = JSON.stringify(Object.fromEntries(order.map((key) => [key, fields[key]])));
  return {
    method: 'GET',
    query: new URLSearchParams(Object.entries(fields)),
    authorization: huyaSign(keys.appId ?? HUYA_TEST_APP_ID, fields.timestamp, signedJson, keys.extSecret ?? HUYA_TEST_EXT_SECRET),
  };
}

export interface HuyaSdkJwtInput {
  profileId?: string;
  userId?: string;
  extId?: string;
  appId?: string;
  issuedAt: Date;
  expiresAt?: Date;
  secret?: string;
}

/** A JWT as Huya's SDK mints it: HS256 over the extSecret. */
export async function mintHuyaSdkJwt(input: HuyaSdkJwtInput): Promise<string> {
  const claims: Record<string, string> = {
    profileId: input.profileId ?? 'streamer-union-1',
    userId: input.userId ?? 'user-42',
    extId: input.extId ?? HUYA_TEST_EXT_UUID,
    appId: input.appId ?? HUYA_TEST_APP_ID,
  };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(Math.floor(input.issuedAt.getTime() / 1000));
  if (input.expiresAt !== undefined) jwt.setExpirationTime(Math.floor(input.expiresAt.getTime() / 1000));
  return jwt.sign(new TextEncoder().encode(input.secret ?? HUYA_TEST_EXT_SECRET));
}

/** Huya's orderTime for an instant: yyyyMMddHHmmss on the Asia/Shanghai wall clock (UTC+8, no DST). */
export function huyaOrderTime(instant: Date): string {
  const shanghai = new Date(instant.getTime() + 8 * 3_600_000);
  return shanghai.toISOString().slice(0, 19).replace(/\D/g, '');
}

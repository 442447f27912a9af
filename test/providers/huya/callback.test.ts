import { describe, expect, it } from 'vitest';
import { PurchaseVerificationError, StoreAccountError } from '../../../src/platform/errors.js';
import { getCallbackSigningData, huyaSignature, verifyHuyaCallback } from '../../../src/providers/huya/protocol/index.js';
import {
  HUYA_TEST_APP_ID,
  HUYA_TEST_EXT_SECRET,
  huyaCallbackFields,
  huyaSign,
  huyaTestAccount,
  signedHuyaGet,
  signedHuyaPost,
} from '../../helpers/huya.js';

const now = new Date('2021-03-16T09:02:35Z'); // 1615885355, the seed's example timestamp
const account = huyaTestAccount();

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof PurchaseVerificationError || error instanceof StoreAccountError) return error.code;
    throw error;
  }
  return undefined;
}

describe('Huya signature', () => {
  it('matches the seed formula upper(hex(md5(appId + timestamp + data + extSecret)))', () => {
    const data = '{"orderId":"订单-1"}';
    expect(huyaSignature('app', '1615885355', data, 'secret')).toBe(huyaSign('app', '1615885355', data, 'secret'));
    expect(huyaSignature('app', '1615885355', data, 'secret')).toMatch(/^[0-9A-F]{32}$/);
  });

  it('rebuilds the GET JSON in the documented key order, compact', () => {
    const fields = huyaCallbackFields(now);
    expect(getCallbackSigningData(fields, 'documented')).toBe(
      '{"goodsUuid":"goods-skin-1","orderTime":"20210316170234","orderId":"21031617023426027961",' +
        '"extUuid":"ext-uuid-abc123","profileId":"streamer-union-1","expenseLevel":"1","timestamp":"1615885355"}',
    );
  });
});

describe('verifyHuyaCallback', () => {
  it('accepts a signed POST and maps it to a VerifiedPurchase', () => {
    const fields = huyaCallbackFields(now);
    const { callback, purchase } = verifyHuyaCallback(account, signedHuyaPost(fields), { now });
    expect(callback.expenseLevel).toBe(1);
    // 2021-03-16 17:02:34 in Asia/Shanghai is 09:02:34 UTC.
    expect(callback.orderTime.toISOString()).toBe('2021-03-16T09:02:34.000Z');
    expect(purchase).toEqual({
      storeOrderId: '21031617023426027961',
      storeProductId: 'goods-skin-1',
      productType: null,
      quantity: 1,
      amountMinor: null,
      currency: null,
      purchaseToken: null,
      purchasedAt: new Date('2021-03-16T09:02:34.000Z'),
      expiresAt: null,
      environment: 'PRODUCTION',
      revocation: null,
      finishMode: 'NONE',
      finishParams: null,
      payload: fields,
    });
  });

  it('hashes the POST body exactly as received (key order and spacing are Huya’s)', () => {
    const fields = huyaCallbackFields(now);
    const rawBody = `{ "timestamp": "${fields.timestamp}", "orderId": "${fields.orderId}", "goodsUuid": "${fields.goodsUuid}", "orderTime": "${fields.orderTime}", "extUuid": "${fields.extUuid}", "profileId": "${fields.profileId}", "expenseLevel": "1" }`;
    const authorization = huyaSign(HUYA_TEST_APP_ID, fields.timestamp, rawBody, HUYA_TEST_EXT_SECRET);
    expect(verifyHuyaCallback(account, { method: 'POST', rawBody, authorization }, { now }).purchase.storeOrderId).toBe(
      fields.orderId,
    );
  });

  it('accepts a signed GET (documented order) and a lower-case signature', () => {
    const request = signedHuyaGet(huyaCallbackFields(now));
    expect(verifyHuyaCallback(account, request, { now }).callback.fields.profileId).toBe('streamer-union-1');
    const lower = { ...request, authorization: request.authorization.toLowerCase() };
    expect(verifyHuyaCallback(account, lower, { now }).purchase.storeOrderId).toBe('21031617023426027961');
  });

  it('follows the configured GET key order', () => {
    const fields = huyaCallbackFields(now);
    const alphabetical = signedHuyaGet(fields, { signedKeyOrder: [...(Object.keys(fields) as (keyof typeof fields)[])].sort() });
    expect(codeOf(() => verifyHuyaCallback(account, alphabetical, { now }))).toBe('BAD_SIGNATURE');
    const alphabeticalAccount = huyaTestAccount({
      settings: { huyaAppId: HUYA_TEST_APP_ID, extUuid: fields.extUuid, getSigningKeyOrder: 'alphabetical' },
    });
    expect(codeOf(() => verifyHuyaCallback(alphabeticalAccount, alphabetical, { now }))).toBeUndefined();

    const reversed = Object.fromEntries(Object.entries(fields).reverse()) as typeof fields;
    const queryOrdered = signedHuyaGet(reversed);
    const queryAccount = huyaTestAccount({
      settings: { huyaAppId: HUYA_TEST_APP_ID, extUuid: fields.extUuid, getSigningKeyOrder: 'query' },
    });
    expect(codeOf(() => verifyHuyaCallback(queryAccount, queryOrdered, { now }))).toBeUndefined();
    expect(codeOf(() => verifyHuyaCallback(account, queryOrdered, { now }))).toBe('BAD_SIGNATURE');
  });

  it('refuses a wrong, missing or foreign-secret signature with BAD_SIGNATURE', () => {
    const fields = huyaCallbackFields(now);
    const post = signedHuyaPost(fields);
    const flipped = post.authorization.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    expect(codeOf(() => verifyHuyaCallback(account, { ...post, authorization: flipped }, { now }))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyHuyaCallback(account, { ...post, authorization: null }, { now }))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyHuyaCallback(account, { ...post, authorization: 'short' }, { now }))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyHuyaCallback(account, signedHuyaPost(fields, { extSecret: 'other' }), { now }))).toBe(
      'BAD_SIGNATURE',
    );
    expect(codeOf(() => verifyHuyaCallback(account, signedHuyaPost(fields, { appId: 'other-app' }), { now }))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('refuses a tampered field', () => {
    const post = signedHuyaPost(huyaCallbackFields(now));
    const tampered = { ...post, rawBody: post.rawBody.replace('"expenseLevel":"1"', '"expenseLevel":"3"') };
    expect(codeOf(() => verifyHuyaCallback(account, tampered, { now }))).toBe('BAD_SIGNATURE');
    const get = signedHuyaGet(huyaCallbackFields(now));
    get.query.set('orderId', 'another-order');
    expect(codeOf(() => verifyHuyaCallback(account, get, { now }))).toBe('BAD_SIGNATURE');
  });

  it('refuses stale and future timestamps beyond ±300 s, accepts the edges', () => {
    const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000);
    const request = signedHuyaPost(huyaCallbackFields(now));
    expect(codeOf(() => verifyHuyaCallback(account, request, { now: at(300) }))).toBeUndefined();
    expect(codeOf(() => verifyHuyaCallback(account, request, { now: at(-300) }))).toBeUndefined();
    expect(codeOf(() => verifyHuyaCallback(account, request, { now: at(301) }))).toBe('STALE_TIMESTAMP');
    expect(codeOf(() => verifyHuyaCallback(account, request, { now: at(-301) }))).toBe('STALE_TIMESTAMP');
  });

  it('uses the account’s configured tolerance', () => {
    const strict = huyaTestAccount({
      settings: { huyaAppId: HUYA_TEST_APP_ID, extUuid: huyaCallbackFields(now).extUuid, callbackToleranceSeconds: 10 },
    });
    const request = signedHuyaPost(huyaCallbackFields(now));
    expect(codeOf(() => verifyHuyaCallback(strict, request, { now: new Date(now.getTime() + 11_000) }))).toBe(
      'STALE_TIMESTAMP',
    );
    // The account's own window wins over the server-wide one.
    const later = { now: new Date(now.getTime() + 11_000), toleranceSeconds: 600 };
    expect(codeOf(() => verifyHuyaCallback(strict, request, later))).toBe('STALE_TIMESTAMP');
  });

  it('uses the server-wide window for accounts that set none', () => {
    const request = signedHuyaPost(huyaCallbackFields(now));
    const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000);
    expect(codeOf(() => verifyHuyaCallback(account, request, { now: at(60), toleranceSeconds: 60 }))).toBeUndefined();
    expect(codeOf(() => verifyHuyaCallback(account, request, { now: at(61), toleranceSeconds: 60 }))).toBe('STALE_TIMESTAMP');
  });

  it('refuses malformed callbacks with MALFORMED_PURCHASE', () => {
    const fields = huyaCallbackFields(now);
    const cases: Record<string, unknown>[] = [
      { ...fields, orderTime: '2021-03-16 17:02' },
      { ...fields, orderTime: '20210230120000' },
      { ...fields, expenseLevel: 'gold' },
      { ...fields, timestamp: 1615885355 },
      { ...fields, orderId: '' },
      Object.fromEntries(Object.entries(fields).filter(([key]) => key !== 'profileId')),
    ];
    for (const body of cases) {
      const rawBody = JSON.stringify(body);
      const authorization = huyaSign(HUYA_TEST_APP_ID, String(body['timestamp']), rawBody, HUYA_TEST_EXT_SECRET);
      expect(codeOf(() => verifyHuyaCallback(account, { method: 'POST', rawBody, authorization }, { now }))).toBe(
        'MALFORMED_PURCHASE',
      );
    }
    expect(codeOf(() => verifyHuyaCallback(account, { method: 'POST', rawBody: '{not json', authorization: 'X' }, { now }))).toBe(
      'MALFORMED_PURCHASE',
    );
    const repeated = signedHuyaGet(fields);
    repeated.query.append('orderId', 'second');
    expect(codeOf(() => verifyHuyaCallback(account, repeated, { now }))).toBe('MALFORMED_PURCHASE');
  });

  it('refuses another mini-program’s extUuid with WRONG_APPLICATION', () => {
    const request = signedHuyaPost(huyaCallbackFields(now, { extUuid: 'someone-elses-ext' }));
    expect(codeOf(() => verifyHuyaCallback(account, request, { now }))).toBe('WRONG_APPLICATION');
  });

  it('reports an account without its settings or secret as STORE_CREDENTIALS_MISSING', () => {
    const request = signedHuyaPost(huyaCallbackFields(now));
    expect(codeOf(() => verifyHuyaCallback(huyaTestAccount({ secrets: {} }), request, { now }))).toBe(
      'STORE_CREDENTIALS_MISSING',
    );
  });

  it('reads orderTime in the configured zone and keeps the account environment', () => {
    const utcAccount = huyaTestAccount({
      environment: 'SANDBOX',
      settings: { huyaAppId: HUYA_TEST_APP_ID, extUuid: huyaCallbackFields(now).extUuid, orderTimeZone: 'UTC' },
    });
    const { purchase } = verifyHuyaCallback(utcAccount, signedHuyaPost(huyaCallbackFields(now)), { now });
    expect(purchase.purchasedAt.toISOString()).toBe('2021-03-16T17:02:34.000Z');
    expect(purchase.environment).toBe('SANDBOX');
  });
});

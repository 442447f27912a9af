// Huya's payment callback end to end through app.fetch: GET and POST, signature, window,
// replay, goods checks, and prepaid expiry extension on the fulfilment core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { HUYA_TEST_EXT_SECRET, signedHuyaPost } from '../helpers/huya.js';
import {
  DAY_MS,
  GoodsAccess,
  UpdateHuyaProduct,
  callbackFields,
  createHuyaAccount,
  createPrepaidGoods,
  createRevenueGoods,
  expireOf,
  getCallback,
  postCallback,
  rowCounts,
  toSecond,
  type HuyaAccountIds,
} from './setup.js';

const RecordHuyaCallback = graphql(`
  mutation HuyaRecordCallback($input: RecordHuyaCallbackInput!) {
    recordHuyaCallback(input: $input) {
      __typename
      ... on RecordHuyaCallbackPayload { newlyDelivered order { storeOrderId playerId status productType expiresAt } }
      ... on Error { code message }
    }
  }
`);

const GOODS = 'goods-skin-1';

let t: TestApp;
let tenant: Tenant;
let account: HuyaAccountIds;
let productGlobalId: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('huya');
  account = await createHuyaAccount(t, tenant);
  productGlobalId = await createPrepaidGoods(t, tenant, GOODS);
});
afterAll(() => t.close());

const orderOf = (storeOrderId: string) =>
  t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId }, include: { entitlements: true } });

describe('a signed payment callback', () => {
  it('POST: verifies, records the order as finished and grants the level’s days from the order time', async () => {
    const orderedAt = toSecond(new Date(Date.now() - 60_000));
    const fields = callbackFields({ profileId: 'streamer-post', expenseLevel: '1', orderedAt });
    const res = await postCallback(t, account.webhookPath, fields);
    expect(res).toEqual({ status: 200, body: { success: true, orderId: fields.orderId, status: 'FINISHED' } });

    const order = await orderOf(fields.orderId);
    expect(order).toMatchObject({ playerId: 'streamer-post', storeProductId: GOODS, productType: 'TIME_LIMITED', finishMode: 'NONE' });
    expect(order.purchasedAt.getTime()).toBe(orderedAt.getTime());
    expect(order.expiresAt?.getTime()).toBe(orderedAt.getTime() + 7 * DAY_MS);
    expect(order.entitlements).toHaveLength(1);
    expect(await expireOf(t, tenant, GOODS, 'streamer-post')).toBe(orderedAt.getTime() + 7 * DAY_MS);
    const events = await t.app.db.prisma.orderEvent.findMany({ where: { orderId: order.id } });
    expect(events.map((event) => event.type)).toEqual(['ORDER_DELIVERED']);
  });

  it('GET: the same fields in the query string, signed over their JSON', async () => {
    const fields = callbackFields({ profileId: 'streamer-get', expenseLevel: '2' });
    const res = await getCallback(t, account.webhookPath, fields);
    expect(res.status).toBe(200);
    const order = await orderOf(fields.orderId);
    expect(order.expiresAt?.getTime()).toBe(order.purchasedAt.getTime() + 30 * DAY_MS);
  });

  it('refuses a wrong signature, a missing one and another secret’s with 401, writing nothing', async () => {
    const before = await rowCounts(t);
    const fields = callbackFields({ profileId: 'streamer-bad-signature' });
    const signed = signedHuyaPost(fields);
    const tampered = await t.app.fetch(
      new Request(`http://zerodrop.test${account.webhookPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: signed.authorization },
        body: signed.rawBody.replace('"expenseLevel":"1"', '"expenseLevel":"3"'),
      }),
    );
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ success: false, code: 'BAD_SIGNATURE' });
    const unsigned = await t.app.fetch(
      new Request(`http://zerodrop.test${account.webhookPath}`, { method: 'POST', body: signed.rawBody }),
    );
    expect(unsigned.status).toBe(401);
    expect((await postCallback(t, account.webhookPath, fields, { extSecret: 'not-the-secret' })).status).toBe(401);
    expect((await getCallback(t, account.webhookPath, fields, { appId: 'another-app' })).status).toBe(401);
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses stale and future timestamps outside the window (401 STALE_TIMESTAMP), writing nothing', async () => {
    const before = await rowCounts(t);
    const nowSeconds = Math.floor(Date.now() / 1000);
    // Well past ±300 s, so the second or two the request takes cannot bring it back inside.
    for (const offset of [-330, 330, -3600]) {
      const fields = callbackFields({ timestamp: String(nowSeconds + offset) });
      const res = await postCallback(t, account.webhookPath, fields);
      expect(res.status, `offset ${offset}`).toBe(401);
      expect(res.body.code).toBe('STALE_TIMESTAMP');
    }
    expect(await rowCounts(t)).toEqual(before);
    const inside = await postCallback(t, account.webhookPath, callbackFields({ timestamp: String(nowSeconds - 240) }));
    expect(inside.status).toBe(200);
  });

  it('uses HUYA_TIMESTAMP_WINDOW_SECONDS as the window', async () => {
    const strict = await createTestApp({ HUYA_TIMESTAMP_WINDOW_SECONDS: '30' });
    try {
      const strictTenant = await strict.createTenant('strict');
      const strictAccount = await createHuyaAccount(strict, strictTenant);
      await createPrepaidGoods(strict, strictTenant, GOODS);
      const nowSeconds = Math.floor(Date.now() / 1000);
      const late = await postCallback(strict, strictAccount.webhookPath, callbackFields({ timestamp: String(nowSeconds - 60) }));
      expect(late).toMatchObject({ status: 401, body: { code: 'STALE_TIMESTAMP' } });
      const fresh = await postCallback(strict, strictAccount.webhookPath, callbackFields({ timestamp: String(nowSeconds - 10) }));
      expect(fresh.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('answers a replay 200 and extends nothing, also when 10 copies arrive at once', async () => {
    const fields = callbackFields({ profileId: 'streamer-replay', expenseLevel: '1' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => postCallback(t, account.webhookPath, fields)));
    expect(answers.every((res) => res.status === 200 && res.body.orderId === fields.orderId)).toBe(true);
    const expiry = await expireOf(t, tenant, GOODS, 'streamer-replay');
    const before = await rowCounts(t);

    expect((await postCallback(t, account.webhookPath, fields)).status).toBe(200);
    expect((await getCallback(t, account.webhookPath, fields)).status).toBe(200);
    expect(await rowCounts(t)).toEqual(before);
    expect(await expireOf(t, tenant, GOODS, 'streamer-replay')).toBe(expiry);
    expect(await t.app.db.prisma.order.count({ where: { storeOrderId: fields.orderId } })).toBe(1);
  });

  it('refuses an orderId replayed for another streamer (409)', async () => {
    const fields = callbackFields({ profileId: 'streamer-first' });
    expect((await postCallback(t, account.webhookPath, fields)).status).toBe(200);
    const other = await postCallback(t, account.webhookPath, { ...fields, profileId: 'streamer-second' });
    expect(other).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
  });

  it('refuses another mini-program’s extUuid (422 WRONG_APPLICATION), writing nothing', async () => {
    const before = await rowCounts(t);
    const res = await postCallback(t, account.webhookPath, callbackFields({ extUuid: 'someone-elses-ext' }));
    expect(res).toMatchObject({ status: 422, body: { code: 'WRONG_APPLICATION' } });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses gift-revenue goods (422 WRONG_PRODUCT), writing nothing', async () => {
    // Another app's goods with the same goodsUuid are no reason to refuse: test/security/callback-tenancy.test.ts.
    await createRevenueGoods(t, tenant, 'goods-revenue');
    const before = await rowCounts(t);
    const res = await postCallback(t, account.webhookPath, callbackFields({ goodsUuid: 'goods-revenue' }));
    expect(res).toMatchObject({ status: 422, body: { code: 'WRONG_PRODUCT' } });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('answers 404 for an unknown or non-Huya account, 405 for other methods, 400 for a malformed body', async () => {
    const fields = callbackFields();
    expect((await postCallback(t, '/webhooks/huya/00000000-0000-4000-8000-000000000000', fields)).status).toBe(404);
    expect((await postCallback(t, '/webhooks/huya/not-a-uuid', fields)).status).toBe(404);
    const put = await t.app.fetch(new Request(`http://zerodrop.test${account.webhookPath}`, { method: 'PUT', body: '{}' }));
    expect(put.status).toBe(405);
    const signed = signedHuyaPost(fields);
    const broken = await t.app.fetch(
      new Request(`http://zerodrop.test${account.webhookPath}`, {
        method: 'POST',
        headers: { authorization: signed.authorization },
        body: '{"goodsUuid":',
      }),
    );
    expect(broken.status).toBe(400);
  });
});

describe('prepaid access extension on the core', () => {
  it('adds days to an expiry still valid at the order time, across levels', async () => {
    const profileId = 'streamer-extend';
    const t0 = toSecond(new Date(Date.now() - 2 * DAY_MS));
    await postCallback(t, account.webhookPath, callbackFields({ profileId, expenseLevel: '1', orderedAt: t0 }));
    expect(await expireOf(t, tenant, GOODS, profileId)).toBe(t0.getTime() + 7 * DAY_MS);
    // Bought again a day later, still valid: 30 more days from the current expiry.
    await postCallback(t, account.webhookPath, callbackFields({ profileId, expenseLevel: '2', orderedAt: new Date(t0.getTime() + DAY_MS) }));
    expect(await expireOf(t, tenant, GOODS, profileId)).toBe(t0.getTime() + 37 * DAY_MS);
    await postCallback(t, account.webhookPath, callbackFields({ profileId, expenseLevel: '3', orderedAt: new Date(t0.getTime() + DAY_MS) }));
    expect(await expireOf(t, tenant, GOODS, profileId)).toBe(t0.getTime() + 402 * DAY_MS);
  });

  it('restarts from the order time when the access had lapsed', async () => {
    const profileId = 'streamer-lapsed';
    const longAgo = toSecond(new Date(Date.now() - 100 * DAY_MS));
    await postCallback(t, account.webhookPath, callbackFields({ profileId, expenseLevel: '1', orderedAt: longAgo }));
    const lapsed = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId }, { key: tenant.serverKey });
    expect(lapsed.data?.huyaGoodsAccess).toMatchObject({ canUse: false, reason: 'EXPIRED', hadBuy: true, expire: longAgo.getTime() + 7 * DAY_MS });

    const orderedAt = toSecond(new Date(Date.now() - 1000));
    await postCallback(t, account.webhookPath, callbackFields({ profileId, expenseLevel: '2', orderedAt }));
    const renewed = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId }, { key: tenant.serverKey });
    expect(renewed.data?.huyaGoodsAccess).toMatchObject({ canUse: true, reason: 'OK', hadBuy: true, expire: orderedAt.getTime() + 30 * DAY_MS });
  });

  it('keeps an order whose level the product does not list, and delivers it once the level is added', async () => {
    const profileId = 'streamer-new-level';
    const orderedAt = toSecond(new Date(Date.now() - 5000));
    const fields = callbackFields({ profileId, expenseLevel: '4', orderedAt });
    const res = await postCallback(t, account.webhookPath, fields);
    expect(res).toMatchObject({ status: 200, body: { status: 'AWAITING_PRODUCT' } });
    expect((await orderOf(fields.orderId)).entitlements).toHaveLength(0);
    expect(await expireOf(t, tenant, GOODS, profileId)).toBe(-1);

    const updated = await t.gql(
      UpdateHuyaProduct,
      {
        input: {
          id: productGlobalId,
          timeLevels: [
            { level: '1', days: 7 },
            { level: '2', days: 30 },
            { level: '3', days: 365 },
            { level: '4', days: 90 },
          ],
        },
      },
      { key: tenant.serverKey },
    );
    expect(updated.data?.updateProduct.__typename).toBe('ProductPayload');
    const order = await orderOf(fields.orderId);
    expect(order.status).toBe('FINISHED');
    expect(await expireOf(t, tenant, GOODS, profileId)).toBe(orderedAt.getTime() + 90 * DAY_MS);
  });

  it('records a paid order for unknown goods (200) and delivers it with its days when the product appears', async () => {
    const profileId = 'streamer-early';
    const orderedAt = toSecond(new Date(Date.now() - 5000));
    const fields = callbackFields({ goodsUuid: 'goods-not-yet', profileId, expenseLevel: '2', orderedAt });
    const res = await postCallback(t, account.webhookPath, fields);
    expect(res).toMatchObject({ status: 200, body: { success: true, status: 'AWAITING_PRODUCT' } });
    expect((await postCallback(t, account.webhookPath, fields)).status).toBe(200);

    await createPrepaidGoods(t, tenant, 'goods-not-yet', [{ level: '2', days: 14 }]);
    const order = await orderOf(fields.orderId);
    expect(order.status).toBe('FINISHED');
    expect(order.entitlements).toHaveLength(1);
    // Time-limited, not permanent: the level's days from the order time.
    expect(await expireOf(t, tenant, 'goods-not-yet', profileId)).toBe(orderedAt.getTime() + 14 * DAY_MS);
  });
});

describe('orders waiting for goods that turn out to be gift-revenue goods', () => {
  it('keep waiting: a payment callback never buys gift-revenue goods', async () => {
    const fields = callbackFields({ goodsUuid: 'goods-later-revenue', profileId: 'streamer-mixup' });
    expect((await postCallback(t, account.webhookPath, fields)).body.status).toBe('AWAITING_PRODUCT');
    await createRevenueGoods(t, tenant, 'goods-later-revenue');
    const order = await orderOf(fields.orderId);
    expect(order.status).toBe('AWAITING_PRODUCT');
    expect(order.entitlements).toHaveLength(0);
  });
});

describe('recordHuyaCallback (relayed by the app’s server)', () => {
  it('verifies the relayed data and authorization, once per orderId', async () => {
    const fields = callbackFields({ profileId: 'streamer-relay', expenseLevel: '1' });
    const signed = signedHuyaPost(fields);
    const input = { authorization: signed.authorization, data: signed.rawBody };
    const first = await t.gql(RecordHuyaCallback, { input }, { key: tenant.serverKey });
    expect(first.data?.recordHuyaCallback).toMatchObject({
      __typename: 'RecordHuyaCallbackPayload',
      newlyDelivered: true,
      order: { storeOrderId: fields.orderId, playerId: 'streamer-relay', status: 'FINISHED', productType: 'TIME_LIMITED' },
    });
    const again = await t.gql(RecordHuyaCallback, { input: { ...input, storeAccountId: account.globalId } }, { key: tenant.serverKey });
    expect(again.data?.recordHuyaCallback).toMatchObject({ newlyDelivered: false });

    const forged = await t.gql(
      RecordHuyaCallback,
      { input: { ...input, data: input.data.replace('streamer-relay', 'streamer-thief') } },
      { key: tenant.serverKey },
    );
    expect(forged.data?.recordHuyaCallback).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'BAD_SIGNATURE' });
  });

  it('is for server keys only', async () => {
    const signed = signedHuyaPost(callbackFields(), { extSecret: HUYA_TEST_EXT_SECRET });
    const res = await t.gql(RecordHuyaCallback, { input: { authorization: signed.authorization, data: signed.rawBody } }, { key: tenant.clientKey });
    expect(res.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

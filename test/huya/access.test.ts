// huyaGoodsAccess for prepaid goods: a server key names the streamer; a client key with
// the JWT Huya's SDK hands the mini-program acts for that streamer only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { mintHuyaSdkJwt } from '../helpers/huya.js';
import { DAY_MS, GoodsAccess, callbackFields, createHuyaAccount, createPrepaidGoods, postCallback, toSecond } from './setup.js';

const Entitlements = graphql(`
  query HuyaEntitlements { entitlements { playerId kind expiresAt product { storeProductId } } }
`);

const CreateInvalidProduct = graphql(`
  mutation HuyaCreateInvalidProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ValidationError { code fieldErrors { path message } }
    }
  }
`);

const GOODS = 'goods-effects';
const hour = (n: number) => new Date(Date.now() + n * 3_600_000);

let t: TestApp;
let tenant: Tenant;
let orderedAt: Date;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('huya-access');
  const account = await createHuyaAccount(t, tenant);
  await createPrepaidGoods(t, tenant, GOODS);
  orderedAt = toSecond(new Date(Date.now() - 60_000));
  const res = await postCallback(t, account.webhookPath, callbackFields({ goodsUuid: GOODS, profileId: 'streamer-a', expenseLevel: '1', orderedAt }));
  if (res.status !== 200) throw new Error(JSON.stringify(res));
});
afterAll(() => t.close());

describe('huyaGoodsAccess for prepaid goods', () => {
  it('mirrors checkStreamerCanUseGoods / checkStreamerGoodsExpire for a server key', async () => {
    const bought = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId: 'streamer-a' }, { key: tenant.serverKey });
    expect(bought.data?.huyaGoodsAccess).toMatchObject({
      __typename: 'HuyaGoodsAccess',
      productType: 'TIME_LIMITED',
      canUse: true,
      reason: 'OK',
      hadBuy: true,
      expire: orderedAt.getTime() + 7 * DAY_MS,
      expiresAt: new Date(orderedAt.getTime() + 7 * DAY_MS).toISOString(),
      bill: null,
    });
    const never = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId: 'streamer-b' }, { key: tenant.serverKey });
    expect(never.data?.huyaGoodsAccess).toMatchObject({ canUse: false, reason: 'NEVER_BOUGHT', hadBuy: false, expire: -1, expiresAt: null });
  });

  it('answers typed errors for unknown goods and a missing profileId', async () => {
    const unknown = await t.gql(GoodsAccess, { goodsUuid: 'no-such-goods', profileId: 'streamer-a' }, { key: tenant.serverKey });
    expect(unknown.data?.huyaGoodsAccess).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const anonymous = await t.gql(GoodsAccess, { goodsUuid: GOODS }, { key: tenant.serverKey });
    expect(anonymous.data?.huyaGoodsAccess).toMatchObject({ __typename: 'ValidationError' });
  });

  it('lets a client key with the Huya SDK JWT read its own streamer, and only that one', async () => {
    const jwt = await mintHuyaSdkJwt({ profileId: 'streamer-a', issuedAt: new Date(), expiresAt: hour(1) });
    const own = await t.gql(GoodsAccess, { goodsUuid: GOODS }, { key: tenant.clientKey, playerToken: jwt });
    expect(own.data?.huyaGoodsAccess).toMatchObject({ profileId: 'streamer-a', canUse: true, expire: orderedAt.getTime() + 7 * DAY_MS });
    const named = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId: 'streamer-a' }, { key: tenant.clientKey, playerToken: jwt });
    expect(named.data?.huyaGoodsAccess).toMatchObject({ canUse: true });

    const other = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId: 'streamer-b' }, { key: tenant.clientKey, playerToken: jwt });
    expect(other.data?.huyaGoodsAccess).toMatchObject({ __typename: 'ValidationError' });

    // The token is a player token everywhere: the core's entitlements query sees the same streamer.
    const entitlements = await t.gql(Entitlements, {}, { key: tenant.clientKey, playerToken: jwt });
    expect(entitlements.data?.entitlements).toEqual([
      expect.objectContaining({ playerId: 'streamer-a', kind: 'EXPIRING', product: { storeProductId: GOODS } }),
    ]);

    const withoutToken = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId: 'streamer-a' }, { key: tenant.clientKey });
    expect(withoutToken.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('refuses expired, foreign-secret and other-mini-program SDK tokens with 401', async () => {
    const tokens = await Promise.all([
      mintHuyaSdkJwt({ profileId: 'streamer-a', issuedAt: hour(-3), expiresAt: hour(-2) }),
      mintHuyaSdkJwt({ profileId: 'streamer-a', issuedAt: new Date(), expiresAt: hour(1), secret: 'not-the-ext-secret-0123456789abcdef' }),
      mintHuyaSdkJwt({ profileId: 'streamer-a', issuedAt: new Date(), expiresAt: hour(1), extId: 'another-ext' }),
      mintHuyaSdkJwt({ profileId: 'streamer-a', issuedAt: new Date() }),
    ]);
    for (const [index, playerToken] of tokens.entries()) {
      const res = await t.post(
        { query: 'query ($g: String!) { huyaGoodsAccess(goodsUuid: $g) { __typename } }', variables: { g: GOODS } },
        { key: tenant.clientKey, playerToken },
      );
      expect(res.status, `token ${index}`).toBe(401);
    }
  });

  it('does not accept one app’s Huya token for another app', async () => {
    const otherTenant = await t.createTenant('no-huya');
    const jwt = await mintHuyaSdkJwt({ profileId: 'streamer-a', issuedAt: new Date(), expiresAt: hour(1) });
    const res = await t.post({ query: '{ entitlements { playerId } }' }, { key: otherTenant.clientKey, playerToken: jwt });
    expect(res.status).toBe(401);
  });
});

describe('Huya goods configuration', () => {
  it('validates levels as Huya expenseLevels and requires a positive cap', async () => {
    const badLevel = await t.gql(
      CreateInvalidProduct,
      { input: { store: 'HUYA', sku: 'bad-level', storeProductId: 'bad-level', type: 'TIME_LIMITED', name: 'x', timeLevels: [{ level: 'gold', days: 7 }] } },
      { key: tenant.serverKey },
    );
    expect(badLevel.data?.createProduct).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'timeLevels.0.level' }] });
    const zeroCap = await t.gql(
      CreateInvalidProduct,
      {
        input: {
          store: 'HUYA',
          sku: 'zero-cap',
          storeProductId: 'zero-cap',
          type: 'REVENUE_SHARE',
          name: 'x',
          revenueTiers: [{ minBeans: '0', ratePercent: 10 }],
          monthlyCap: '0',
        },
      },
      { key: tenant.serverKey },
    );
    expect(zeroCap.data?.createProduct).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'monthlyCap' }] });
  });
});

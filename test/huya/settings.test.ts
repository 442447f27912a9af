// HuyaAccountInput exposes the account's optional settings (GET signing key order,
// timestamp tolerance, order-time zone): validated, read back as stored, and in effect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { HUYA_TEST_APP_ID, HUYA_TEST_EXT_SECRET, HUYA_TEST_EXT_UUID, huyaOrderTime, type HuyaCallbackFieldsInput } from '../helpers/huya.js';

const ALPHABETICAL_KEYS: (keyof HuyaCallbackFieldsInput)[] = ['expenseLevel', 'extUuid', 'goodsUuid', 'orderId', 'orderTime', 'profileId', 'timestamp'];
import { DAY_MS, callbackFields, createPrepaidGoods, expireOf, getCallback, postCallback, rowCounts, toSecond } from './setup.js';

const CreateAccount = graphql(`
  mutation HuyaSettingsCreate($input: CreateStoreAccountInput!) {
    createStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { id webhookPath settings } }
      ... on ValidationError { code fieldErrors { path message } }
    }
  }
`);

const UpdateAccount = graphql(`
  mutation HuyaSettingsUpdate($input: UpdateStoreAccountInput!) {
    updateStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { id settings } }
      ... on ValidationError { code fieldErrors { path message } }
    }
  }
`);

type HuyaSettingsInput = {
  getSigningKeyOrder?: 'DOCUMENTED' | 'QUERY' | 'ALPHABETICAL';
  callbackToleranceSeconds?: number;
  orderTimeZone?: string;
};

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function tenantWithAccount(name: string, settings: HuyaSettingsInput) {
  const tenant = await t.createTenant(name);
  const res = await t.gql(
    CreateAccount,
    {
      input: {
        name,
        environment: 'PRODUCTION',
        huya: { huyaAppId: HUYA_TEST_APP_ID, extUuid: HUYA_TEST_EXT_UUID, extSecret: HUYA_TEST_EXT_SECRET, ...settings },
      },
    },
    { key: tenant.serverKey },
  );
  const payload = res.data?.createStoreAccount;
  if (payload?.__typename !== 'StoreAccountPayload') throw new Error(JSON.stringify(res));
  await createPrepaidGoods(t, tenant, 'goods-settings');
  return { tenant, account: payload.storeAccount };
}

describe('Huya account settings through the API', () => {
  it('round-trip: what createStoreAccount and updateStoreAccount set is what settings reads', async () => {
    const { tenant, account } = await tenantWithAccount('huya-settings-roundtrip', {
      getSigningKeyOrder: 'ALPHABETICAL',
      callbackToleranceSeconds: 900,
      orderTimeZone: 'UTC',
    });
    expect(account.settings).toEqual({
      huyaAppId: HUYA_TEST_APP_ID,
      extUuid: HUYA_TEST_EXT_UUID,
      getSigningKeyOrder: 'alphabetical',
      callbackToleranceSeconds: 900,
      orderTimeZone: 'UTC',
    });
    const updated = await t.gql(
      UpdateAccount,
      { input: { id: account.id, huya: { getSigningKeyOrder: 'QUERY', callbackToleranceSeconds: 60 } } },
      { key: tenant.serverKey },
    );
    expect(updated.data?.updateStoreAccount).toMatchObject({
      __typename: 'StoreAccountPayload',
      storeAccount: { settings: { getSigningKeyOrder: 'query', callbackToleranceSeconds: 60, orderTimeZone: 'UTC' } },
    });
  });

  it('refuses invalid values with ValidationError and keeps the stored settings', async () => {
    const { tenant, account } = await tenantWithAccount('huya-settings-invalid', {});
    for (const huya of [{ orderTimeZone: 'Mars/Olympus_Mons' }, { callbackToleranceSeconds: 0 }, { callbackToleranceSeconds: 86_401 }]) {
      const res = await t.gql(UpdateAccount, { input: { id: account.id, huya } }, { key: tenant.serverKey });
      const payload = res.data?.updateStoreAccount;
      expect(payload).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
      const path = Object.keys(huya)[0]!;
      expect(payload?.__typename === 'ValidationError' && payload.fieldErrors.map((e) => e.path).join(' ')).toContain(path);
    }
    const row = await t.app.db.prisma.storeAccount.findFirstOrThrow({ where: { name: 'huya-settings-invalid' } });
    expect(row.settings).toEqual({ huyaAppId: HUYA_TEST_APP_ID, extUuid: HUYA_TEST_EXT_UUID, getSigningKeyOrder: 'documented', orderTimeZone: 'Asia/Shanghai' });
  });

  it('getSigningKeyOrder: a GET callback signed over alphabetical keys is accepted only where the account says so', async () => {
    const strict = await tenantWithAccount('huya-settings-get-default', {});
    const alphabetical = await tenantWithAccount('huya-settings-get-alpha', { getSigningKeyOrder: 'ALPHABETICAL' });
    const fields = callbackFields({ goodsUuid: 'goods-settings', profileId: 'streamer-get' });
    const options = { signedKeyOrder: ALPHABETICAL_KEYS };

    const before = await rowCounts(t);
    const refused = await getCallback(t, strict.account.webhookPath, fields, options);
    expect(refused.status).toBe(401);
    expect(await rowCounts(t)).toEqual(before);

    const accepted = await getCallback(t, alphabetical.account.webhookPath, fields, options);
    expect(accepted).toMatchObject({ status: 200, body: { success: true, orderId: fields.orderId } });
  });

  it('callbackToleranceSeconds: a callback 20 minutes old is stale by default and fresh with a 1-hour tolerance', async () => {
    const byDefault = await tenantWithAccount('huya-settings-tolerance-default', {});
    const lenient = await tenantWithAccount('huya-settings-tolerance-hour', { callbackToleranceSeconds: 3600 });
    const old = String(Math.floor(Date.now() / 1000) - 20 * 60);
    const fields = callbackFields({ goodsUuid: 'goods-settings', profileId: 'streamer-late', timestamp: old });

    const before = await rowCounts(t);
    const stale = await postCallback(t, byDefault.account.webhookPath, fields);
    expect(stale).toMatchObject({ status: 401, body: { success: false, code: 'STALE_TIMESTAMP' } });
    expect(await rowCounts(t)).toEqual(before);

    expect(await postCallback(t, lenient.account.webhookPath, fields)).toMatchObject({ status: 200, body: { success: true } });
  });

  it('orderTimeZone: the same orderTime is read on the account zone, so access ends 8 hours apart', async () => {
    const shanghai = await tenantWithAccount('huya-settings-zone-default', {});
    const utc = await tenantWithAccount('huya-settings-zone-utc', { orderTimeZone: 'UTC' });
    // 10 h ago on the Shanghai wall clock; the same digits read as UTC name an instant 8 h later
    const orderedAt = toSecond(new Date(Date.now() - 10 * 3_600_000));
    const orderTime = huyaOrderTime(orderedAt);
    for (const { account } of [shanghai, utc]) {
      const res = await postCallback(t, account.webhookPath, callbackFields({ goodsUuid: 'goods-settings', profileId: 'streamer-zone', orderTime }));
      expect(res.status).toBe(200);
    }
    expect(await expireOf(t, shanghai.tenant, 'goods-settings', 'streamer-zone')).toBe(orderedAt.getTime() + 7 * DAY_MS);
    expect(await expireOf(t, utc.tenant, 'goods-settings', 'streamer-zone')).toBe(orderedAt.getTime() + 8 * 3_600_000 + 7 * DAY_MS);
  });
});

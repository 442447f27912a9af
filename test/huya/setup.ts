// Shared set-up for the Huya flow tests: store accounts, goods, and Huya's callbacks sent
// through app.fetch exactly as Huya sends them (signed by test/helpers/huya.ts).
import { graphql } from '../gql/index.js';
import type { Tenant, TestApp } from '../helpers/app.js';
import {
  HUYA_TEST_APP_ID,
  HUYA_TEST_EXT_SECRET,
  HUYA_TEST_EXT_UUID,
  huyaCallbackFields,
  huyaOrderTime,
  signedHuyaGet,
  signedHuyaPost,
  type HuyaCallbackFieldsInput,
} from '../helpers/huya.js';

export const DAY_MS = 86_400_000;

export const CreateHuyaAccount = graphql(`
  mutation HuyaCreateStoreAccount($input: CreateStoreAccountInput!) {
    createStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { id accountId webhookPath } }
      ... on ValidationError { message }
    }
  }
`);

export const CreateHuyaProduct = graphql(`
  mutation HuyaCreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id storeProductId timeLevels { level days } revenueTiers { minBeans ratePercent } monthlyCap } }
      ... on ValidationError { code message fieldErrors { path message } }
    }
  }
`);

export const UpdateHuyaProduct = graphql(`
  mutation HuyaUpdateProduct($input: UpdateProductInput!) {
    updateProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id } }
      ... on Error { code message }
    }
  }
`);

export const GoodsAccess = graphql(`
  query HuyaGoodsAccess($goodsUuid: String!, $profileId: String) {
    huyaGoodsAccess(goodsUuid: $goodsUuid, profileId: $profileId) {
      __typename
      ... on HuyaGoodsAccess {
        goodsUuid profileId productType canUse reason expire hadBuy expiresAt confirmationLevel
        bill { month incomeBeans tierIndex ratePercent feeBeans capReached paidBeans dueBeans arrearsBeans confirmedTier }
      }
      ... on Error { code message }
    }
  }
`);

export interface HuyaAccountIds {
  globalId: string;
  accountId: string;
  webhookPath: string;
}

export interface HuyaKeys {
  huyaAppId?: string;
  extUuid?: string;
  extSecret?: string;
}

export async function createHuyaAccount(t: TestApp, tenant: Tenant, keys: HuyaKeys & { name?: string } = {}): Promise<HuyaAccountIds> {
  const res = await t.gql(
    CreateHuyaAccount,
    {
      input: {
        name: keys.name ?? 'huya',
        environment: 'PRODUCTION',
        huya: {
          huyaAppId: keys.huyaAppId ?? HUYA_TEST_APP_ID,
          extUuid: keys.extUuid ?? HUYA_TEST_EXT_UUID,
          extSecret: keys.extSecret ?? HUYA_TEST_EXT_SECRET,
        },
      },
    },
    { key: tenant.serverKey },
  );
  const payload = res.data?.createStoreAccount;
  if (payload?.__typename !== 'StoreAccountPayload') throw new Error(`createStoreAccount: ${JSON.stringify(res)}`);
  return { globalId: payload.storeAccount.id, accountId: payload.storeAccount.accountId, webhookPath: payload.storeAccount.webhookPath };
}

/** Prepaid goods with levels 1 → 7 days, 2 → 30 days, 3 → 365 days unless given. */
export async function createPrepaidGoods(
  t: TestApp,
  tenant: Tenant,
  goodsUuid: string,
  timeLevels: { level: string; days: number }[] = [
    { level: '1', days: 7 },
    { level: '2', days: 30 },
    { level: '3', days: 365 },
  ],
): Promise<string> {
  const res = await t.gql(
    CreateHuyaProduct,
    { input: { store: 'HUYA', sku: goodsUuid, storeProductId: goodsUuid, type: 'TIME_LIMITED', name: goodsUuid, timeLevels } },
    { key: tenant.serverKey },
  );
  const payload = res.data?.createProduct;
  if (payload?.__typename !== 'ProductPayload') throw new Error(`createProduct: ${JSON.stringify(res)}`);
  return payload.product.id;
}

/** Gift-revenue goods: 0 % below 100,000 beans, 10 % from 100,000, 20 % from 1,000,000; cap 300,000. */
export async function createRevenueGoods(t: TestApp, tenant: Tenant, goodsUuid: string): Promise<string> {
  const res = await t.gql(
    CreateHuyaProduct,
    {
      input: {
        store: 'HUYA',
        sku: goodsUuid,
        storeProductId: goodsUuid,
        type: 'REVENUE_SHARE',
        name: goodsUuid,
        revenueTiers: [
          { minBeans: '0', ratePercent: 0 },
          { minBeans: '100000', ratePercent: 10 },
          { minBeans: '1000000', ratePercent: 20 },
        ],
        monthlyCap: '300000',
      },
    },
    { key: tenant.serverKey },
  );
  const payload = res.data?.createProduct;
  if (payload?.__typename !== 'ProductPayload') throw new Error(`createProduct: ${JSON.stringify(res)}`);
  return payload.product.id;
}

/** A callback's fields: timestamp now, orderTime `orderedAt` (default now), fresh orderId. */
export function callbackFields(overrides: Partial<HuyaCallbackFieldsInput> & { orderedAt?: Date } = {}): HuyaCallbackFieldsInput {
  const { orderedAt, ...fields } = overrides;
  const now = new Date();
  return huyaCallbackFields(now, {
    orderId: `hy-${now.getTime()}-${Math.random().toString(36).slice(2, 10)}`,
    orderTime: huyaOrderTime(orderedAt ?? now),
    ...fields,
  });
}

interface SendOptions {
  appId?: string;
  extSecret?: string;
}

export interface CallbackAnswer {
  status: number;
  body: { success: boolean; orderId?: string; status?: string; code?: string; message?: string };
}

async function answer(response: Response): Promise<CallbackAnswer> {
  return { status: response.status, body: (await response.json()) as CallbackAnswer['body'] };
}

/** POSTs a callback as Huya does: JSON body, authorization header. */
export async function postCallback(t: TestApp, webhookPath: string, fields: HuyaCallbackFieldsInput, keys: SendOptions = {}): Promise<CallbackAnswer> {
  const signed = signedHuyaPost(fields, keys);
  const response = await t.app.fetch(
    new Request(`http://zerodrop.test${webhookPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: signed.authorization },
      body: signed.rawBody,
    }),
  );
  return answer(response);
}

/** GETs a callback as Huya does: fields in the query string, authorization header. */
export async function getCallback(
  t: TestApp,
  webhookPath: string,
  fields: HuyaCallbackFieldsInput,
  keys: SendOptions & { signedKeyOrder?: readonly (keyof HuyaCallbackFieldsInput)[] } = {},
): Promise<CallbackAnswer> {
  const signed = signedHuyaGet(fields, keys);
  const response = await t.app.fetch(
    new Request(`http://zerodrop.test${webhookPath}?${signed.query.toString()}`, {
      method: 'GET',
      headers: { authorization: signed.authorization },
    }),
  );
  return answer(response);
}

/** Counts what a refused callback must not have written. */
export async function rowCounts(t: TestApp) {
  const p = t.app.db.prisma;
  const [orders, entitlements, events] = await Promise.all([p.order.count(), p.entitlement.count(), p.orderEvent.count()]);
  return { orders, entitlements, events };
}

/** The streamer's prepaid expiry for goods, as huyaGoodsAccess reports it (server key). */
export async function expireOf(t: TestApp, tenant: Tenant, goodsUuid: string, profileId: string): Promise<number> {
  const res = await t.gql(GoodsAccess, { goodsUuid, profileId }, { key: tenant.serverKey });
  const access = res.data?.huyaGoodsAccess;
  if (access?.__typename !== 'HuyaGoodsAccess') throw new Error(`huyaGoodsAccess: ${JSON.stringify(res)}`);
  return access.expire;
}

/** orderTime has whole seconds: the instant Huya's yyyyMMddHHmmss names. */
export function toSecond(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / 1000) * 1000);
}

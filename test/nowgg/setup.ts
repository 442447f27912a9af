// Shared set-up for the now.gg flow tests: a fake now.gg, a tenant, a store account and
// products, all created through the public API.
import { graphql } from '../gql/index.js';
import type { FakeNowgg } from '../helpers/fake-nowgg.js';
import type { Tenant, TestApp } from '../helpers/app.js';

export const WEBHOOK_API_KEY = 'nowgg-webhook-key-7c2e9a';

export const NowggCreateStoreAccount = graphql(`
  mutation NowggCreateStoreAccount($input: CreateStoreAccountInput!) {
    createStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { id accountId webhookPath secretNames } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const NowggCreateProduct = graphql(`
  mutation NowggCreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id } }
      ... on ValidationError { message }
    }
  }
`);

export const ConsumePurchase = graphql(`
  mutation NowggConsumePurchase($input: ConsumePurchaseInput!) {
    consumePurchase(input: $input) {
      __typename
      ... on ConsumePurchasePayload {
        newlyDelivered
        needsClientFinish
        clientFinish { type purchaseToken productId operation instructions }
        order {
          id status finishMode productType storeOrderId storeProductId playerId expiresAt
          price { amountMinor currency }
          entitlements { id kind quantity expiresAt }
        }
      }
      ... on Error { code message retryable }
      ... on StoreRejectedError { storeCode }
    }
  }
`);

export interface NowggAccountIds {
  globalId: string;
  accountId: string;
  webhookPath: string;
}

export async function createNowggAccount(
  t: TestApp,
  tenant: Tenant,
  fake: FakeNowgg,
  options: {
    environment?: 'SANDBOX' | 'PRODUCTION';
    name?: string;
    webhookApiKey?: string | null;
    requestTimeoutMs?: number;
    /** null leaves the pin unset (the account then accepts any app id / package name). */
    appId?: string | null;
    packageName?: string | null;
    apiPathPrefix?: 'SELLER' | 'SELLERS';
    environmentWhenUnreported?: 'SANDBOX' | 'PRODUCTION';
  } = {},
): Promise<NowggAccountIds> {
  const webhookApiKey = options.webhookApiKey === undefined ? WEBHOOK_API_KEY : options.webhookApiKey;
  const res = await t.gql(
    NowggCreateStoreAccount,
    {
      input: {
        name: options.name ?? 'now.gg',
        environment: options.environment ?? 'PRODUCTION',
        apiBaseUrl: fake.baseUrl,
        nowgg: {
          ...(options.appId === null ? {} : { appId: options.appId ?? '11001' }),
          ...(options.packageName === null ? {} : { packageName: options.packageName ?? 'gg.now.sample.app' }),
          ...(options.apiPathPrefix ? { apiPathPrefix: options.apiPathPrefix } : {}),
          ...(options.environmentWhenUnreported ? { environmentWhenUnreported: options.environmentWhenUnreported } : {}),
          paymentsApiKey: fake.paymentsApiKey,
          ...(webhookApiKey === null ? {} : { webhookApiKey }),
          ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
        },
      },
    },
    { key: tenant.serverKey },
  );
  const payload = res.data?.createStoreAccount;
  if (payload?.__typename !== 'StoreAccountPayload') throw new Error(`createStoreAccount: ${JSON.stringify(res)}`);
  return { globalId: payload.storeAccount.id, accountId: payload.storeAccount.accountId, webhookPath: payload.storeAccount.webhookPath };
}

export async function createProduct(
  t: TestApp,
  tenant: Tenant,
  input: { sku: string; storeProductId: string; type: 'CONSUMABLE' | 'NON_CONSUMABLE' | 'AUTO_RENEWABLE'; grantQuantity?: number },
): Promise<string> {
  const res = await t.gql(NowggCreateProduct, { input: { store: 'NOWGG', name: input.sku, ...input } }, { key: tenant.serverKey });
  const payload = res.data?.createProduct;
  if (payload?.__typename !== 'ProductPayload') throw new Error(`createProduct: ${JSON.stringify(res)}`);
  return payload.product.id;
}

/** Counts everything a refused request or webhook must not have written. */
export async function rowCounts(t: TestApp) {
  const p = t.app.db.prisma;
  const [orders, entitlements, events, tasks, notifications] = await Promise.all([
    p.order.count(),
    p.entitlement.count(),
    p.orderEvent.count(),
    p.task.count(),
    p.storeNotification.count(),
  ]);
  return { orders, entitlements, events, tasks, notifications };
}

/** Runs the task worker until `done` holds (retries have short backoffs in tests). */
export async function drainWorker(t: TestApp, done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('worker did not converge');
    const ran = await t.app.worker.runOnce();
    if (ran === 0) await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** POSTs a webhook to the app the way now.gg does: JSON, raw key in Authorization. */
export function sendWebhook(t: TestApp, path: string, body: unknown, authorization: string | null = WEBHOOK_API_KEY): Promise<Response> {
  return t.app.fetch(
    new Request(`http://zerodrop.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

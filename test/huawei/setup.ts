// Shared set-up for the Huawei flow tests: a fake Huawei, a tenant, store accounts and products.
import { graphql } from '../gql/index.js';
import type { FakeHuawei } from '../helpers/fake-huawei.js';
import type { Tenant, TestApp } from '../helpers/app.js';

export const CreateStoreAccount = graphql(`
  mutation HuaweiCreateStoreAccount($input: CreateStoreAccountInput!) {
    createStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { id accountId webhookPath secretNames } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const CreateProduct = graphql(`
  mutation HuaweiCreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id } }
      ... on ValidationError { message }
    }
  }
`);

export const FinishPurchase = graphql(`
  mutation HuaweiFinishPurchase($input: FinishPurchaseInput!) {
    finishPurchase(input: $input) {
      __typename
      ... on HuaweiDelivery {
        needsClientFinish
        finishParams { productType purchaseToken purchaseOrderId }
        order { id status finishMode storeOrderId playerId quantity price { amountMinor currency } entitlements { id kind quantity } }
      }
      ... on Error { code message }
      ... on PurchaseRevokedError { orderId }
    }
  }
`);

export interface HuaweiAccountIds {
  globalId: string;
  accountId: string;
  webhookPath: string;
}

export async function createHuaweiAccount(
  t: TestApp,
  tenant: Tenant,
  fake: FakeHuawei,
  options: { withCredentials: boolean; name?: string },
): Promise<HuaweiAccountIds> {
  const credentials = options.withCredentials ? fake.createApiCredentials() : null;
  const res = await t.gql(
    CreateStoreAccount,
    {
      input: {
        name: options.name ?? (options.withCredentials ? 'server' : 'client'),
        environment: 'SANDBOX',
        apiBaseUrl: fake.baseUrl,
        trustedRootsPem: fake.rootPem,
        huawei: { applicationId: fake.applicationId, ...(credentials ?? {}) },
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
  input: { sku: string; storeProductId: string; type: 'CONSUMABLE' | 'NON_CONSUMABLE' | 'AUTO_RENEWABLE' | 'NON_RENEWING'; grantQuantity?: number },
): Promise<string> {
  const res = await t.gql(CreateProduct, { input: { store: 'HUAWEI', name: input.sku, ...input } }, { key: tenant.serverKey });
  const payload = res.data?.createProduct;
  if (payload?.__typename !== 'ProductPayload') throw new Error(`createProduct: ${JSON.stringify(res)}`);
  return payload.product.id;
}

/** Counts what a failed request must not have written. */
export async function rowCounts(t: TestApp) {
  const p = t.app.db.prisma;
  const [orders, entitlements, events, tasks] = await Promise.all([p.order.count(), p.entitlement.count(), p.orderEvent.count(), p.task.count()]);
  return { orders, entitlements, events, tasks };
}

/** Runs the task worker until `done` holds or the deadline passes (retries have short backoffs in tests). */
export async function drainWorker(t: TestApp, done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('worker did not converge');
    const ran = await t.app.worker.runOnce();
    if (ran === 0) await new Promise((r) => setTimeout(r, 15));
  }
}

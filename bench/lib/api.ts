// Seeding through ZeroDrop's own GraphQL API, as an operator and an app would.
export class ApiError extends Error {}

export async function graphqlRequest<T>(
  baseUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new ApiError(`GraphQL ${response.status}: ${JSON.stringify(body).slice(0, 1000)}`);
  }
  return body.data;
}

/** The union member a mutation answered with, or an ApiError naming what came back instead. */
function expectType<T extends { __typename: string }>(result: T, typename: string, what: string): T {
  if (result.__typename !== typename) throw new ApiError(`${what}: ${JSON.stringify(result)}`);
  return result;
}

export interface BenchTenant {
  appId: string;
  serverKey: string;
  storeAccountId: string;
}

/** An app (no practical rate limit) with one SANDBOX Huawei account trusting the fake's root, plus products. */
export async function createHuaweiTenant(
  baseUrl: string,
  adminToken: string,
  options: { name: string; applicationId: string; rootPem: string; consumables: string[] },
): Promise<BenchTenant> {
  const { createApp } = await graphqlRequest<{ createApp: { __typename: string; serverKey?: string } }>(
    baseUrl,
    adminToken,
    `mutation BenchCreateApp($input: CreateAppInput!) {
       createApp(input: $input) { __typename ... on CreateAppPayload { serverKey } ... on Error { message } }
     }`,
    { input: { name: options.name, rateLimitPerMinute: 1_000_000 } },
  );
  const serverKey = expectType(createApp, 'CreateAppPayload', 'createApp').serverKey!;
  // The raw app id (deep-order seeding writes SQL) is inside the app's relay global id.
  const { app } = await graphqlRequest<{ app: { id: string } }>(baseUrl, serverKey, '{ app { id } }');
  const appId = Buffer.from(app.id, 'base64').toString('utf8').replace(/^App:/, '');

  const { createStoreAccount } = await graphqlRequest<{
    createStoreAccount: { __typename: string; storeAccount?: { accountId: string } };
  }>(
    baseUrl,
    serverKey,
    `mutation BenchCreateStoreAccount($input: CreateStoreAccountInput!) {
       createStoreAccount(input: $input) { __typename ... on StoreAccountPayload { storeAccount { accountId } } ... on Error { message } }
     }`,
    {
      input: {
        name: 'huawei-sandbox',
        environment: 'SANDBOX',
        trustedRootsPem: options.rootPem,
        huawei: { applicationId: options.applicationId },
      },
    },
  );
  const account = expectType(createStoreAccount, 'StoreAccountPayload', 'createStoreAccount');

  for (const productId of options.consumables) {
    const { createProduct } = await graphqlRequest<{ createProduct: { __typename: string } }>(
      baseUrl,
      serverKey,
      `mutation BenchCreateProduct($input: CreateProductInput!) {
         createProduct(input: $input) { __typename ... on Error { message } }
       }`,
      { input: { store: 'HUAWEI', sku: productId, storeProductId: productId, type: 'CONSUMABLE', name: productId, grantQuantity: 100 } },
    );
    expectType(createProduct, 'ProductPayload', 'createProduct');
  }
  return { appId, serverKey, storeAccountId: account.storeAccount!.accountId };
}

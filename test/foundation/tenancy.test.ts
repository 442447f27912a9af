// The cross-tenant suite. Tenant B (the attacker) tries every root query, mutation and
// subscription (over SSE and over graphql-ws) with its server key, its client key alone, and its client key with a
// player token for a player id tenant A also has — aimed at A's ids. B must see nothing
// of A and change nothing of A (A's rows are compared before and after every attempt),
// and no request may reach a store with A's credentials.
//
// The guard at the end reads the live schema: a new root field without a case here
// fails the suite. Adding an operation? Add its case to `queryCases`,
// `mutationCases` or `subscriptionCases`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { graphql } from '../gql/index.js';
import { buildSchema } from '../../src/schema/index.js';
import { builtInStores } from '../../src/providers/index.js';
import { createTestApp, type Credentials, type Tenant, type TestApp } from '../helpers/app.js';
import { seedCatalogue, seedOrder } from './seed.js';
import { listen, wsClient } from '../live/helpers.js';

const schema = buildSchema(builtInStores);

const CreatePlayerToken = graphql(`
  mutation TenancyPlayerToken($input: CreatePlayerTokenInput!) {
    createPlayerToken(input: $input) { __typename ... on CreatePlayerTokenPayload { token } }
  }
`);

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The victim's rows and secrets: none of these may appear in anything B receives. */
interface Victim extends Tenant {
  playerToken: string;
  /** Global ids of A's objects, by type (what B aims at). */
  ids: { app: string; apiKey: string; storeAccount: string; huaweiAccount: string; huyaAccount: string; product: string; order: string; entitlement: string; webhookEndpoint: string; webhookDelivery: string | null };
  goodsUuid: string;
  /** A's unmatched now.gg web-shop payment (NowggUnmatchedPayment.id). */
  webshopPaymentId: string;
  canaries: string[];
}

let t: TestApp;
let victim: Victim;
let attacker: Tenant;
let attackerPlayerToken: string;
let tripwire: Server;
/** The same app on a real socket, for subscriptions over graphql-ws. */
let socketServer: Awaited<ReturnType<typeof listen>>;
/** Requests that reached a store API with A's account settings (must stay empty). */
const tripped: string[] = [];

const tables = async (): Promise<string[]> => {
  const rows = await t.app.db.prisma.$queryRaw<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.columns
    WHERE column_name = 'appId' AND table_schema = current_schema() ORDER BY table_name`;
  return rows.map((row) => row.table_name);
};

/** Every row of tenant A, in every table that has an appId, plus the rows hanging off them. */
async function snapshotOf(appId: string): Promise<string> {
  const prisma = t.app.db.prisma;
  const rows: Record<string, unknown> = {
    App: await prisma.$queryRawUnsafe(`SELECT * FROM "App" WHERE id::text = $1`, appId),
    StoreNotification: await prisma.$queryRawUnsafe(
      `SELECT n.* FROM "StoreNotification" n JOIN "StoreAccount" s ON s.id = n."storeAccountId" WHERE s."appId"::text = $1 ORDER BY n.id`,
      appId,
    ),
    TaskAttempt: await prisma.$queryRawUnsafe(
      `SELECT a.* FROM "TaskAttempt" a JOIN "Task" k ON k.id = a."taskId" WHERE k."appId"::text = $1 ORDER BY a.id`,
      appId,
    ),
  };
  for (const table of await tables()) {
    rows[table] = await prisma.$queryRawUnsafe(`SELECT * FROM "${table}" WHERE "appId"::text = $1 ORDER BY 1`, appId);
  }
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 1);
}

/** Runs `attempt` and fails if any of A's rows changed meanwhile. */
async function expectUnchanged(attempt: () => Promise<void>): Promise<void> {
  const before = await snapshotOf(victim.appId);
  await attempt();
  expect(await snapshotOf(victim.appId)).toBe(before);
}

const attackers = (): { label: string; creds: Credentials }[] => [
  { label: 'B server key', creds: { key: attacker.serverKey } },
  { label: 'B client key alone', creds: { key: attacker.clientKey } },
  { label: 'B client key + player token', creds: { key: attacker.clientKey, playerToken: attackerPlayerToken } },
];

/** Sends `query` as each attacker; checks nothing of A leaks; returns the bodies by attacker. */
async function attack(query: string, variables: Record<string, unknown> = {}): Promise<{ label: string; body: Body }[]> {
  const results = [];
  for (const { label, creds } of attackers()) {
    const res = await t.post({ query, variables }, creds);
    const text = await res.text();
    expect(res.status, `${label}: ${text}`).toBe(200);
    for (const canary of victim.canaries) expect(text, `${label} received ${canary}`).not.toContain(canary);
    const body = JSON.parse(text) as Body;
    const data = JSON.stringify(body.data ?? null);
    for (const id of Object.values(victim.ids)) if (id) expect(data, `${label} received A's id ${id}`).not.toContain(id);
    results.push({ label, body });
  }
  return results;
}

/** Refused for every attacker: a typed error result, or the field was not authorized. */
function expectRefused(results: { label: string; body: Body }[], field: string): void {
  for (const { label, body } of results) {
    const result = body.data?.[field] as { __typename?: string } | null | undefined;
    if (result) {
      expect(result.__typename, `${label}: ${JSON.stringify(body)}`).toMatch(/Error$/);
    } else {
      expect(body.errors?.[0]?.extensions?.code, `${label}: ${JSON.stringify(body)}`).toMatch(/^(FORBIDDEN|BAD_USER_INPUT)$/);
    }
  }
}

/** The one-input mutation shape every mutation shares, selecting any typed error. */
const mutation = (field: string, inputType: string) =>
  `mutation ($input: ${inputType}!) { ${field}(input: $input) { __typename ... on Error { code message } } }`;

async function refusedMutation(field: string, inputType: string, input: Record<string, unknown>): Promise<void> {
  await expectUnchanged(async () => expectRefused(await attack(mutation(field, inputType), { input }), field));
}

interface OpenSubscription {
  status: number;
  /** Every `next` payload so far (a refused subscription answers with one carrying errors). */
  events: Body[];
  close(): Promise<void>;
}

/**
 * Opens a graphql-ws subscription on the app's socket; results (and refusals, as an
 * `errors` body) accumulate until close().
 */
function openSocketSubscription(query: string, variables: Record<string, unknown>, creds: Credentials): OpenSubscription {
  const events: Body[] = [];
  const client = wsClient(socketServer.wsUrl, creds);
  const refused = (err: unknown) => {
    const reason = err instanceof Error ? err.message : (err as { reason?: string } | null)?.reason ?? JSON.stringify(err);
    events.push({ errors: [{ message: `socket refused: ${reason}` }] } as Body);
  };
  const unsubscribe = client.subscribe({ query, variables }, { next: (value) => events.push(value as Body), error: refused, complete: () => {} });
  return {
    status: 101,
    events,
    close: async () => {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** Opens a GraphQL-over-SSE subscription; events accumulate until close(). */
async function openSubscription(query: string, variables: Record<string, unknown>, creds: Credentials): Promise<OpenSubscription> {
  const res = await t.post({ query, variables }, { ...creds, headers: { accept: 'text/event-stream' } });
  if (!res.body || !res.headers.get('content-type')?.includes('text/event-stream')) {
    const body = (await res.json()) as Body;
    return { status: res.status, events: [body], close: async () => {} };
  }
  const events: Body[] = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((line) => line.startsWith('data:'));
        if (frame.startsWith('event: next') && data) events.push(JSON.parse(data.slice(5)) as Body);
      }
    }
  })().catch(() => {});
  return {
    status: res.status,
    events,
    close: async () => {
      await reader.cancel().catch(() => {});
      await reading;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  t = await createTestApp();
  socketServer = await listen(t.app);
  tripwire = createServer((req, res) => {
    tripped.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve));
  const address = tripwire.address();
  const tripwireUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  // Tenant A: a game with keys, three store accounts (all pointed at the tripwire), products, a
  // paid order with its entitlement, a webhook endpoint and player-token settings.
  const a = await t.createTenant('Victim game');
  const services = t.app.services;
  const catalogue = await seedCatalogue(t, a.appId, 'victim_gems');
  await services.storeAccounts.update(a.appId, catalogue.account.id, { apiBaseUrl: tripwireUrl });
  const huawei = await services.storeAccounts.create(a.appId, {
    store: 'HUAWEI',
    environment: 'SANDBOX',
    name: 'victim huawei',
    apiBaseUrl: tripwireUrl,
    settings: { applicationId: '109876543', issuerId: 'victim-issuer', keyId: 'victim-key' },
    secrets: {},
  });
  const huya = await services.storeAccounts.create(a.appId, {
    store: 'HUYA',
    environment: 'SANDBOX',
    name: 'victim huya',
    settings: { huyaAppId: 'victim-huya-app', extUuid: 'victim-ext' },
    secrets: { extSecret: 'victim-ext-secret-value' },
  });
  const goodsUuid = 'victim-goods-uuid';
  await services.products.create(a.appId, {
    store: 'HUYA',
    sku: 'victim_vip',
    storeProductId: goodsUuid,
    type: 'TIME_LIMITED',
    name: 'Victim VIP',
    timeLevels: [{ level: '1', days: 30 }],
  });
  const extraKey = await services.apps.createApiKey(a.appId, { role: 'SERVER', name: 'victim ops key' });
  await services.apps.updatePlayerTokenSettings(a.appId, { hmacSecret: 'victim-hmac-secret-0123456789abcdef' });
  const webhook = await t.post(
    { query: 'mutation { createWebhookEndpoint(input: { url: "https://victim.example/hooks" }) { __typename ... on WebhookEndpointSecretPayload { endpoint { endpoint { id } } } } }' },
    { key: a.serverKey },
  );
  const webhookBody = (await webhook.json()) as { data?: { createWebhookEndpoint: { endpoint?: { endpoint: { id: string } } } } };
  const webhookEndpointId = webhookBody.data?.createWebhookEndpoint.endpoint?.endpoint.id;
  if (!webhookEndpointId) throw new Error(`could not create A's webhook endpoint: ${JSON.stringify(webhookBody)}`);
  const order = await seedOrder(t, catalogue, 'alice');
  await t.app.services.webhooks.relayOnce(); // queue the order's events for A's endpoint
  const entitlement = await t.app.db.prisma.entitlement.findFirstOrThrow({ where: { orderId: order.id } });
  const delivery = await t.app.db.prisma.webhookDelivery.findFirst({ where: { appId: a.appId } });
  // A web-shop payment that named no player, as the now.gg callback leaves it (stored, processed, no order).
  const webshopPayment = await t.app.db.prisma.storeNotification.create({
    data: {
      storeAccountId: catalogue.account.id,
      externalId: 'victim-webshop-notification',
      type: 'WEBSHOP_ITEM_PURCHASED',
      processedAt: new Date(),
      payload: { orderId: 'victim-webshop-order', productId: 'victim_gems.store', eventTime: Date.now(), paymentId: 'victim-pay', amount: 4.99, currency: 'USD' },
    },
  });
  const minted = await t.gql(CreatePlayerToken, { input: { playerId: 'alice' } }, { key: a.serverKey });
  if (minted.data?.createPlayerToken.__typename !== 'CreatePlayerTokenPayload') throw new Error(JSON.stringify(minted));

  victim = {
    ...a,
    playerToken: minted.data.createPlayerToken.token,
    goodsUuid,
    webshopPaymentId: webshopPayment.id,
    ids: {
      app: encodeGlobalID('App', a.appId),
      apiKey: encodeGlobalID('ApiKey', extraKey.apiKey.id),
      storeAccount: encodeGlobalID('StoreAccount', catalogue.account.id),
      huaweiAccount: encodeGlobalID('StoreAccount', huawei.id),
      huyaAccount: encodeGlobalID('StoreAccount', huya.id),
      product: encodeGlobalID('Product', catalogue.product.id),
      order: encodeGlobalID('Order', order.id),
      entitlement: encodeGlobalID('Entitlement', entitlement.id),
      webhookEndpoint: webhookEndpointId,
      webhookDelivery: delivery ? encodeGlobalID('WebhookDelivery', delivery.id) : null,
    },
    canaries: [
      'Victim game',
      a.appId,
      catalogue.account.id,
      huawei.id,
      huya.id,
      catalogue.product.id,
      order.id,
      entitlement.id,
      extraKey.apiKey.id,
      'victim_gems',
      order.storeOrderId,
      order.purchaseToken!,
      'https://victim.example/hooks',
      'victim-ext-secret-value',
      'victim-webshop-order',
      webshopPayment.id,
      a.serverKey.slice(0, 12),
      extraKey.secret.slice(0, 12),
    ],
  };

  // Tenant B: its own app, one product, and a player token for a player named like A's.
  attacker = await t.createTenant('Attacker game');
  await services.products.create(attacker.appId, { store: 'NOWGG', sku: 'attacker_coins', storeProductId: 'coins', type: 'CONSUMABLE', name: 'Coins' });
  const bToken = await t.gql(CreatePlayerToken, { input: { playerId: 'alice' } }, { key: attacker.serverKey });
  if (bToken.data?.createPlayerToken.__typename !== 'CreatePlayerTokenPayload') throw new Error(JSON.stringify(bToken));
  attackerPlayerToken = bToken.data.createPlayerToken.token;
});

afterAll(async () => {
  await socketServer.close();
  await new Promise<void>((resolve) => tripwire.close(() => resolve()));
  await t.close();
});

/** Lists that must hold only B's rows (B has one product and nothing else). */
async function expectOwnListOnly(query: string, path: (data: Record<string, unknown>) => unknown[]): Promise<void> {
  const results = await attack(query);
  const server = results[0]!.body;
  expect(server.errors, JSON.stringify(server)).toBeUndefined();
  for (const item of path(server.data!)) expect(JSON.stringify(item)).not.toContain('victim');
  expectRefused(results.slice(1, 2), Object.keys(server.data!)[0]!); // a client key alone reads nothing private
}

const edges = (key: string) => (data: Record<string, unknown>) => (data[key] as { edges: unknown[] }).edges;

const queryCases: Record<string, () => Promise<void>> = {
  app: async () => {
    const [server, clientAlone, player] = await attack('{ app { id name } }');
    expect(server!.body.data).toEqual({ app: { id: encodeGlobalID('App', attacker.appId), name: 'Attacker game' } });
    expectRefused([clientAlone!], 'app');
    expect(player!.body.data).toEqual({ app: { id: encodeGlobalID('App', attacker.appId), name: 'Attacker game' } });
  },
  node: async () => {
    // first nothing is seen; then, an unknown id is answered cleanly (null, or FORBIDDEN for
    // a client key alone), not with a masked error
    const unclean: string[] = [];
    for (const [name, id] of Object.entries(victim.ids)) {
      if (!id) continue;
      for (const { label, body } of await attack('query ($id: ID!) { node(id: $id) { id __typename } }', { id })) {
        expect(body.data, `${label} node(${name})`).toEqual({ node: null });
        const code = body.errors?.[0]?.extensions?.code;
        if (code && code !== 'FORBIDDEN') unclean.push(`${name} (${label}): ${code} ${body.errors?.[0]?.message}`);
      }
    }
    expect(unclean, 'node(id) of an object the caller cannot see must be null without an error (prismaNode({ nullable: true }))').toEqual([]);
  },
  apiKeys: () => expectOwnListOnly('{ apiKeys(first: 100) { edges { node { id name prefix } } } }', edges('apiKeys')),
  products: () => expectOwnListOnly('{ products(first: 100) { edges { node { id sku storeProductId } } } }', edges('products')),
  storeAccounts: () => expectOwnListOnly('{ storeAccounts(first: 100) { edges { node { id name settings } } } }', edges('storeAccounts')),
  nowggUnmatchedPayments: async () => {
    await expectOwnListOnly('{ nowggUnmatchedPayments(first: 100) { edges { node { id storeOrderId } } } }', edges('nowggUnmatchedPayments'));
    // naming A's now.gg account as the filter lists nothing of A's either
    const results = await attack('query ($account: ID) { nowggUnmatchedPayments(first: 100, storeAccountId: $account) { edges { node { id } } } }', {
      account: victim.ids.storeAccount,
    });
    expect(results[0]!.body.data?.nowggUnmatchedPayments, JSON.stringify(results[0]!.body)).toEqual({ edges: [] });
  },
  orders: async () => {
    await expectOwnListOnly('{ orders(first: 100, filter: { playerId: "alice" }) { edges { node { id storeOrderId } } } }', edges('orders'));
    const [server, , player] = await attack('{ orders(first: 100) { edges { node { id } } } }');
    expect(server!.body.data).toEqual({ orders: { edges: [] } });
    expect(player!.body.data).toEqual({ orders: { edges: [] } });
  },
  entitlements: async () => {
    const results = await attack('{ entitlements(playerId: "alice", includeInactive: true) { id playerId } }');
    expect(results[0]!.body.data).toEqual({ entitlements: [] });
    expectRefused([results[1]!], 'entitlements');
    expect(results[2]!.body.data).toEqual({ entitlements: [] });
  },
  latestOrderEventId: async () => {
    const [server, clientAlone, player] = await attack('{ latestOrderEventId }');
    // B has no events of its own: the newest event of another app is not B's business
    expect(server!.body.data).toEqual({ latestOrderEventId: '0' });
    expectRefused([clientAlone!], 'latestOrderEventId');
    expect(player!.body.data).toEqual({ latestOrderEventId: '0' });
  },
  orderTotals: async () => {
    const [server] = await attack('{ orderTotals(days: 30) { __typename ... on OrderTotalsReport { rows { orders delivered } } } }');
    const rows = (server!.body.data?.orderTotals as { rows: { orders: number }[] }).rows;
    expect(rows.reduce((sum, row) => sum + row.orders, 0)).toBe(0);
  },
  webhookEndpoints: async () => {
    const [server] = await attack('{ webhookEndpoints { id url } }');
    expect(server!.body.data).toEqual({ webhookEndpoints: [] });
  },
  webhookDeliveries: async () => {
    const [server] = await attack(
      'query ($endpoint: ID) { webhookDeliveries(first: 50, filter: { endpointId: $endpoint }) { edges { node { id } } } }',
      { endpoint: victim.ids.webhookEndpoint },
    );
    expect(JSON.stringify(server!.body)).not.toContain('"node":{');
  },
  huyaGoodsAccess: async () => {
    const results = await attack(
      'query ($goods: String!) { huyaGoodsAccess(goodsUuid: $goods, profileId: "streamer-1") { __typename ... on Error { code } ... on HuyaGoodsAccess { hadBuy canUse } } }',
      { goods: victim.goodsUuid },
    );
    for (const { label, body } of results) {
      const result = body.data?.huyaGoodsAccess as { __typename: string; hadBuy?: boolean } | null | undefined;
      if (result?.__typename === 'HuyaGoodsAccess') expect(result.hadBuy, label).toBe(false);
      else expectRefused([{ label, body }], 'huyaGoodsAccess');
    }
  },
  huyaMonthlyBill: async () => {
    expectRefused(
      await attack('query ($goods: String!) { huyaMonthlyBill(goodsUuid: $goods, profileId: "streamer-1") { __typename ... on Error { code } } }', {
        goods: victim.goodsUuid,
      }),
      'huyaMonthlyBill',
    );
  },
};

const mutationCases: Record<string, () => Promise<void>> = {
  confirmClientFinish: () => refusedMutation('confirmClientFinish', 'ConfirmClientFinishInput', { orderId: victim.ids.order }),
  updateProduct: () => refusedMutation('updateProduct', 'UpdateProductInput', { id: victim.ids.product, name: 'pwned', storeProductId: 'pwned' }),
  deleteProduct: () => refusedMutation('deleteProduct', 'DeleteProductInput', { id: victim.ids.product }),
  revokeApiKey: () => refusedMutation('revokeApiKey', 'RevokeApiKeyInput', { id: victim.ids.apiKey }),
  updateStoreAccount: async () => {
    for (const id of [victim.ids.storeAccount, victim.ids.huaweiAccount, victim.ids.huyaAccount]) {
      await refusedMutation('updateStoreAccount', 'UpdateStoreAccountInput', { id, name: 'pwned', apiBaseUrl: 'https://attacker.example' });
    }
  },
  createApp: () => refusedMutation('createApp', 'CreateAppInput', { name: 'not an operator' }),
  // Operations that succeed for B, inside B only: A's rows must not move, and what B
  // creates must not collide with A's (uniqueness is per app).
  createApiKey: async () => {
    await expectUnchanged(async () => {
      const [server, ...clients] = await attack(mutation('createApiKey', 'CreateApiKeyInput'), { input: { role: 'SERVER', name: 'victim ops key' } });
      expect(server!.body.data?.createApiKey).toMatchObject({ __typename: 'CreateApiKeyPayload' });
      expectRefused(clients, 'createApiKey');
    });
    expect(await t.app.db.prisma.apiKey.count({ where: { appId: attacker.appId, name: 'victim ops key' } })).toBe(1);
  },
  createPlayerToken: async () => {
    let token = '';
    await expectUnchanged(async () => {
      const [server, ...clients] = await attack(
        'mutation { createPlayerToken(input: { playerId: "alice" }) { __typename ... on CreatePlayerTokenPayload { token } } }',
      );
      token = (server!.body.data?.createPlayerToken as { token: string }).token;
      expectRefused(clients, 'createPlayerToken');
    });
    // B's token for "alice" is not a token of A's
    const replay = await t.post({ query: '{ entitlements { id } }' }, { key: victim.clientKey, playerToken: token });
    expect(replay.status).toBe(401);
  },
  updatePlayerTokenSettings: async () => {
    await expectUnchanged(async () => {
      const [server, ...clients] = await attack(mutation('updatePlayerTokenSettings', 'UpdatePlayerTokenSettingsInput'), {
        input: { hmacSecret: 'attacker-hmac-secret-0123456789abcdef', jwksUrl: 'https://attacker.example/jwks.json' },
      });
      expect(server!.body.data?.updatePlayerTokenSettings).toMatchObject({ __typename: 'UpdatePlayerTokenSettingsPayload' });
      expectRefused(clients, 'updatePlayerTokenSettings');
    });
  },
  createProduct: async () => {
    await expectUnchanged(async () => {
      const [server, ...clients] = await attack(mutation('createProduct', 'CreateProductInput'), {
        input: { store: 'NOWGG', sku: 'victim_gems', storeProductId: 'victim_gems.store', type: 'CONSUMABLE', name: 'Same sku, other app' },
      });
      expect(server!.body.data?.createProduct).toMatchObject({ __typename: 'ProductPayload' });
      expectRefused(clients, 'createProduct');
    });
  },
  createStoreAccount: async () => {
    await expectUnchanged(async () => {
      const [server, ...clients] = await attack(mutation('createStoreAccount', 'CreateStoreAccountInput'), {
        input: { name: 'victim huya', environment: 'SANDBOX', huya: { huyaAppId: 'victim-huya-app', extUuid: 'victim-ext', extSecret: 'attacker-secret' } },
      });
      expect(server!.body.data?.createStoreAccount).toMatchObject({ __typename: 'StoreAccountPayload' });
      expectRefused(clients, 'createStoreAccount');
    });
  },
  createWebhookEndpoint: async () => {
    await expectUnchanged(async () => {
      const [server, ...clients] = await attack(mutation('createWebhookEndpoint', 'CreateWebhookEndpointInput'), {
        input: { url: 'https://attacker.example/hooks' },
      });
      expect(server!.body.data?.createWebhookEndpoint).toMatchObject({ __typename: "WebhookEndpointSecretPayload" });
      expectRefused(clients, 'createWebhookEndpoint');
    });
  },
  updateWebhookEndpoint: () =>
    refusedMutation('updateWebhookEndpoint', 'UpdateWebhookEndpointInput', { id: victim.ids.webhookEndpoint, url: 'https://attacker.example/steal', enabled: false }),
  deleteWebhookEndpoint: () => refusedMutation('deleteWebhookEndpoint', 'WebhookEndpointIdInput', { id: victim.ids.webhookEndpoint }),
  rotateWebhookEndpointSecret: () => refusedMutation('rotateWebhookEndpointSecret', 'WebhookEndpointIdInput', { id: victim.ids.webhookEndpoint }),
  resendWebhookDelivery: async () => {
    expect(victim.ids.webhookDelivery, 'A has a webhook delivery to aim at').not.toBeNull();
    await refusedMutation('resendWebhookDelivery', 'ResendWebhookDeliveryInput', { deliveryId: victim.ids.webhookDelivery });
  },
  // Purchase submissions naming A's store accounts: refused before any store is called.
  finishPurchase: () =>
    refusedMutation('finishPurchase', 'FinishPurchaseInput', { storeAccountId: victim.ids.huaweiAccount, purchaseData: '{"jwsPurchaseOrder":"x.y.z"}', playerId: 'alice' }),
  syncPurchases: () =>
    refusedMutation('syncPurchases', 'SyncPurchasesInput', { storeAccountId: victim.ids.huaweiAccount, purchaseDataList: ['{"jwsPurchaseOrder":"x.y.z"}'], playerId: 'alice' }),
  reconcileHuaweiOrder: () => refusedMutation('reconcileHuaweiOrder', 'ReconcileHuaweiOrderInput', { orderId: victim.ids.order }),
  consumePurchase: () =>
    refusedMutation('consumePurchase', 'ConsumePurchaseInput', {
      storeAccountId: victim.ids.storeAccount,
      productId: 'victim_gems.store',
      purchaseToken: 'victim-purchase-token',
      playerId: 'alice',
    }),
  assignNowggWebshopPayment: async () => {
    await refusedMutation('assignNowggWebshopPayment', 'AssignNowggWebshopPaymentInput', { paymentId: victim.webshopPaymentId, playerId: 'alice' });
    expect(await t.app.db.prisma.order.count({ where: { storeOrderId: 'victim-webshop-order' } })).toBe(0);
  },
  recordHuyaCallback: () =>
    refusedMutation('recordHuyaCallback', 'RecordHuyaCallbackInput', { storeAccountId: victim.ids.huyaAccount, authorization: 'forged', data: '{}' }),
  confirmHuyaGoodsUse: () => refusedMutation('confirmHuyaGoodsUse', 'ConfirmHuyaGoodsUseInput', { goodsUuid: victim.goodsUuid, profileId: 'streamer-1' }),
  startHuyaGiftRevenueStat: () =>
    refusedMutation('startHuyaGiftRevenueStat', 'StartHuyaGiftRevenueStatInput', { goodsUuid: victim.goodsUuid, profileId: 'streamer-1', giftIds: ['g1'] }),
  endHuyaGiftRevenueStat: () => refusedMutation('endHuyaGiftRevenueStat', 'EndHuyaGiftRevenueStatInput', { goodsUuid: victim.goodsUuid, profileId: 'streamer-1' }),
  recordHuyaGiftRevenue: () =>
    refusedMutation('recordHuyaGiftRevenue', 'RecordHuyaGiftRevenueInput', { goodsUuid: victim.goodsUuid, profileId: 'streamer-1', eventId: 'e1', giftId: 'g1', beans: '100' }),
  recordHuyaBillPayment: () =>
    refusedMutation('recordHuyaBillPayment', 'RecordHuyaBillPaymentInput', { goodsUuid: victim.goodsUuid, profileId: 'streamer-1', month: '2026-11', paymentId: 'p1', beans: '100' }),
};

const subscriptionCases: Record<string, () => Promise<void>> = {
  orderEvents: () =>
    expectSubscriptionsIsolated('subscription ($after: ID) { orderEvents(after: $after) { id type order { id } } }', 'orderEvents'),
  entitlementChanged: () =>
    expectSubscriptionsIsolated(
      'subscription ($after: ID) { entitlementChanged(after: $after, playerId: "alice") { id type playerId order { id } } }',
      'entitlementChanged',
    ),
};

/**
 * A subscribes too, as the control: it must receive its replayed and its live events, so
 * the check cannot pass vacuously. B's subscriptions, replaying from the first event and
 * then live while A gets a new order, must receive nothing of A.
 */
async function expectSubscriptionsIsolated(query: string, field: string): Promise<void> {
  const control = await openSubscription(query, { after: '0' }, { key: victim.serverKey });
  // A's control on the socket too, so the graphql-ws checks cannot pass vacuously either.
  const socketControl = openSocketSubscription(query, { after: '0' }, { key: victim.serverKey });
  // Every attacker on both transports: over SSE, and over graphql-ws (connection_init then subscribe).
  const spies = await Promise.all(
    attackers().flatMap(({ label, creds }) => [
      (async () => ({ label: `${label} (SSE)`, subscription: await openSubscription(query, { after: '0' }, creds) }))(),
      (async () => ({ label: `${label} (graphql-ws)`, subscription: openSocketSubscription(query, { after: '0' }, creds) }))(),
    ]),
  );
  try {
    await waitFor(() => control.events.some((e) => e.data?.[field]), `A's replayed ${field}`);
    const catalogue = {
      account: await t.app.db.prisma.storeAccount.findFirstOrThrow({ where: { appId: victim.appId, store: 'NOWGG' } }),
      product: await t.app.db.prisma.product.findFirstOrThrow({ where: { appId: victim.appId, sku: 'victim_gems' } }),
    };
    const live = await seedOrder(t, catalogue, 'alice');
    const liveId = encodeGlobalID('Order', live.id);
    await waitFor(() => JSON.stringify(control.events).includes(liveId), `A's live ${field}`);
    await waitFor(() => JSON.stringify(socketControl.events).includes(liveId), `A's live ${field} over graphql-ws`);
    await sleep(300); // B's streams get as long as A's did, and then some
    for (const { label, subscription } of spies) {
      const text = JSON.stringify(subscription.events);
      for (const canary of [...victim.canaries, live.id, liveId]) expect(text, `${label} on ${field}`).not.toContain(canary);
      const delivered = subscription.events.filter((e) => e.data?.[field]);
      expect(delivered, `${label} received ${field}`).toEqual([]);
    }
  } finally {
    await Promise.all([control.close(), socketControl.close(), ...spies.map(({ subscription }) => subscription.close())]);
  }
}

describe('tenant isolation', () => {
  describe('queries', () => {
    for (const [field, run] of Object.entries(queryCases)) it(`Query.${field}`, run);
  });
  describe('mutations', () => {
    for (const [field, run] of Object.entries(mutationCases)) it(`Mutation.${field}`, run);
  });
  describe('subscriptions', () => {
    for (const [field, run] of Object.entries(subscriptionCases)) it(`Subscription.${field}`, run);
  });

  it('no request reached a store with A’s credentials, and A still works', async () => {
    expect(tripped).toEqual([]);
    const own = await t.post({ query: '{ app { name } products(first: 10) { edges { node { sku } } } }' }, { key: victim.serverKey });
    expect(await own.json()).toMatchObject({ data: { app: { name: 'Victim game' } } });
    const player = await t.post({ query: '{ entitlements { playerId } }' }, { key: victim.clientKey, playerToken: victim.playerToken });
    const { data } = (await player.json()) as { data: { entitlements: { playerId: string }[] } };
    expect(data.entitlements.length).toBeGreaterThan(0);
    expect(data.entitlements.every((e) => e.playerId === 'alice')).toBe(true);
  });

  it('covers every root field of the schema (add a case above for each new operation)', () => {
    const covered = { Query: queryCases, Mutation: mutationCases, Subscription: subscriptionCases };
    for (const [rootName, cases] of Object.entries(covered)) {
      const root = rootName === 'Query' ? schema.getQueryType() : rootName === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      const fields = root ? Object.keys(root.getFields()).sort() : [];
      expect({ root: rootName, missingCases: fields.filter((f) => !(f in cases)) }).toEqual({ root: rootName, missingCases: [] });
      expect({ root: rootName, casesForRemovedFields: Object.keys(cases).filter((f) => !fields.includes(f)) }).toEqual({ root: rootName, casesForRemovedFields: [] });
    }
  });
});

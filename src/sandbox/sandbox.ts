// `zerodrop sandbox`: the store simulators the tests use (Huawei with its own test CA and
// server API, now.gg's Payments API, Huya's signed callbacks), run next to a running
// ZeroDrop, wired to SANDBOX store accounts and products of the app whose server key is
// given, plus a small control API that makes paid purchases on demand.
//
// SANDBOX only by construction: the accounts it creates or updates are SANDBOX ones; the
// Huawei root is registered as a SANDBOX account's extra root (refused for PRODUCTION
// accounts, and ignored by their verification); every now.gg purchase is a test order
// (a PRODUCTION account refuses it); Huya callbacks are signed with a secret generated
// here for the sandbox account only.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeHuawei, type FakeApiCredentials } from './fakes/huawei.js';
import { FakeNowgg } from './fakes/nowgg.js';
import { huyaCallbackFields, huyaOrderTime, signedHuyaPost } from './fakes/huya.js';
import { payload, zeroDropClient, type ZeroDropClient } from './graphql-client.js';

export const SANDBOX_STORES = ['huawei', 'nowgg', 'huya'] as const;
export type SandboxStore = (typeof SANDBOX_STORES)[number];

const NOWGG_APP_ID = 'zerodrop-sandbox';
const NOWGG_PACKAGE = 'dev.zerodrop.sandbox';
const HUYA_APP_ID = 'zerodrop-sandbox';
const HUYA_EXT_UUID = 'zerodrop-sandbox-ext';

/** What the sandbox sells in each store (created once per app, kept afterwards). */
export const SANDBOX_PRODUCTS = {
  huawei: { store: 'HUAWEI', sku: 'sandbox_gems_100', storeProductId: 'sandbox_gems_100', type: 'CONSUMABLE', name: '100 gems (sandbox)' },
  nowgg: { store: 'NOWGG', sku: 'sandbox_gems_100', storeProductId: 'sandbox_gems_100', type: 'CONSUMABLE', name: '100 gems (sandbox)' },
  huya: {
    store: 'HUYA',
    sku: 'sandbox_skin_30d',
    storeProductId: 'sandbox-goods-skin',
    type: 'TIME_LIMITED',
    name: 'Skin, 30 days (sandbox)',
    timeLevels: [{ level: '1', days: 30 }],
  },
} as const;

/** What `sandbox purchase` needs from the running sandbox (written to DATA_DIR/sandbox.json). */
export interface SandboxState {
  zerodropUrl: string;
  controlUrl: string;
  appName: string;
  accounts: Record<SandboxStore, { id: string; webhookPath: string }>;
}

export interface RunningSandbox {
  state: SandboxState;
  huawei: FakeHuawei;
  nowgg: FakeNowgg;
  close(): Promise<void>;
}

interface AccountNode {
  id: string;
  name: string;
  store: string;
  environment: string;
  webhookPath: string;
}

const ACCOUNT_FIELDS = 'id name store environment webhookPath';

const LIST = `query SandboxList {
  app { name }
  storeAccounts(first: 100) { edges { node { ${ACCOUNT_FIELDS} } } }
  products(first: 100) { edges { node { sku store } } }
}`;

const CREATE_ACCOUNT = `mutation SandboxCreateAccount($input: CreateStoreAccountInput!) {
  createStoreAccount(input: $input) {
    __typename
    ... on StoreAccountPayload { storeAccount { ${ACCOUNT_FIELDS} } }
    ... on Error { code message }
  }
}`;

const UPDATE_ACCOUNT = `mutation SandboxUpdateAccount($input: UpdateStoreAccountInput!) {
  updateStoreAccount(input: $input) {
    __typename
    ... on StoreAccountPayload { storeAccount { ${ACCOUNT_FIELDS} } }
    ... on Error { code message }
  }
}`;

const CREATE_PRODUCT = `mutation SandboxCreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { __typename ... on ProductPayload { product { id } } ... on Error { code message } }
}`;

type AccountResult = { __typename: string; storeAccount: AccountNode };

/**
 * Starts the simulators and the control API, and points the app's SANDBOX accounts at
 * them (created on the first run, updated on later runs: each run has a new test CA and
 * new secrets). `controlPort` 0 picks a free port.
 */
export async function startSandbox(options: { zerodropUrl: string; serverKey: string; controlPort?: number; host?: string }): Promise<RunningSandbox> {
  const client = zeroDropClient(options.zerodropUrl, options.serverKey);
  const listed = await client.request<{
    app: { name: string } | null;
    storeAccounts: { edges: { node: AccountNode }[] };
    products: { edges: { node: { sku: string; store: string } }[] };
  }>(LIST);

  const [huawei, nowgg] = await Promise.all([FakeHuawei.start({ environment: 'SANDBOX' }), FakeNowgg.start()]);
  const huyaSecret = randomBytes(24).toString('hex');
  const huaweiCredentials: FakeApiCredentials = huawei.createApiCredentials();
  try {
    const existing = listed.storeAccounts.edges.map((e) => e.node);
    const ensure = async (store: string, name: string, settings: Record<string, unknown>): Promise<AccountNode> => {
      // Only a SANDBOX account of that name is ever reused; a PRODUCTION one is left alone.
      const found = existing.find((a) => a.store === store && a.name === name && a.environment === 'SANDBOX');
      if (found) {
        const updated = await client.request<{ updateStoreAccount: AccountResult }>(UPDATE_ACCOUNT, { input: { id: found.id, ...settings } });
        return payload(updated.updateStoreAccount, 'StoreAccountPayload').storeAccount;
      }
      const created = await client.request<{ createStoreAccount: AccountResult }>(CREATE_ACCOUNT, {
        input: { name, environment: 'SANDBOX', ...settings },
      });
      return payload(created.createStoreAccount, 'StoreAccountPayload').storeAccount;
    };

    const huaweiAccount = await ensure('HUAWEI', 'sandbox-huawei', {
      apiBaseUrl: huawei.baseUrl,
      trustedRootsPem: huawei.rootPem,
      huawei: {
        applicationId: huawei.applicationId,
        issuerId: huaweiCredentials.issuerId,
        keyId: huaweiCredentials.keyId,
        privateKeyPem: huaweiCredentials.privateKeyPem,
      },
    });
    const nowggAccount = await ensure('NOWGG', 'sandbox-nowgg', {
      apiBaseUrl: nowgg.baseUrl,
      nowgg: { appId: NOWGG_APP_ID, packageName: NOWGG_PACKAGE, paymentsApiKey: nowgg.paymentsApiKey },
    });
    const huyaAccount = await ensure('HUYA', 'sandbox-huya', { huya: { huyaAppId: HUYA_APP_ID, extUuid: HUYA_EXT_UUID, extSecret: huyaSecret } });

    const products = new Set(listed.products.edges.map((e) => `${e.node.store}:${e.node.sku}`));
    for (const product of Object.values(SANDBOX_PRODUCTS)) {
      if (products.has(`${product.store}:${product.sku}`)) continue;
      const created = await client.request<{ createProduct: { __typename: string } }>(CREATE_PRODUCT, { input: product });
      payload(created.createProduct, 'ProductPayload');
    }

    const accounts: SandboxState['accounts'] = {
      huawei: { id: huaweiAccount.id, webhookPath: huaweiAccount.webhookPath },
      nowgg: { id: nowggAccount.id, webhookPath: nowggAccount.webhookPath },
      huya: { id: huyaAccount.id, webhookPath: huyaAccount.webhookPath },
    };
    const control = await startControlServer(
      { huawei, nowgg, huyaSecret, zerodropUrl: client.url, accounts },
      options.controlPort ?? 0,
      options.host ?? '127.0.0.1',
    );
    const { port } = control.address() as AddressInfo;
    return {
      state: { zerodropUrl: client.url, controlUrl: `http://127.0.0.1:${port}`, appName: listed.app?.name ?? '', accounts },
      huawei,
      nowgg,
      close: async () => {
        control.closeAllConnections();
        await new Promise<void>((resolve) => control.close(() => resolve()));
        await Promise.all([huawei.close(), nowgg.close()]);
      },
    };
  } catch (err) {
    await Promise.all([huawei.close(), nowgg.close()]);
    if (err instanceof Error && /apiBaseUrl/.test(err.message)) {
      // The server's outbound guard refuses loopback store URLs unless told otherwise.
      throw new Error(
        `${err.message}\nZeroDrop must be allowed to call the simulators on this machine: restart it with OUTBOUND_ALLOW_PRIVATE=true (development only).`,
      );
    }
    throw err;
  }
}

// ---- the control API: paid purchases on demand ------------------------------------------

interface Simulators {
  huawei: FakeHuawei;
  nowgg: FakeNowgg;
  huyaSecret: string;
  zerodropUrl: string;
  accounts: SandboxState['accounts'];
}

/** A store purchase as the game client would hold it after paying. */
export type SimulatedPurchase =
  | { store: 'huawei'; purchaseOrderId: string; purchaseData: string; productId: string }
  | { store: 'nowgg'; orderId: string; purchaseToken: string; productId: string }
  | { store: 'huya'; orderId: string; goodsUuid: string; profileId: string; callbackStatus: number; callbackAnswer: string };

async function simulate(sims: Simulators, store: SandboxStore, body: Record<string, unknown>): Promise<SimulatedPurchase> {
  const text = (name: string, fallback: string) => (typeof body[name] === 'string' && body[name] ? String(body[name]) : fallback);
  switch (store) {
    case 'huawei': {
      const productId = text('productId', SANDBOX_PRODUCTS.huawei.storeProductId);
      const signed = await sims.huawei.signPurchase({ productId, developerPayload: text('playerId', '') || undefined });
      return { store, purchaseOrderId: String(signed.payload.purchaseOrderId), purchaseData: signed.purchaseData, productId };
    }
    case 'nowgg': {
      const productId = text('productId', SANDBOX_PRODUCTS.nowgg.storeProductId);
      const purchaseToken = sims.nowgg.addPurchase({
        productId,
        amount: '0.99',
        currency: 'USD',
        isTestOrder: true, // always: a PRODUCTION account refuses test orders
        appId: NOWGG_APP_ID,
        packageName: NOWGG_PACKAGE,
      });
      return { store, orderId: sims.nowgg.purchase(purchaseToken).orderId, purchaseToken, productId };
    }
    case 'huya': {
      // Huya tells the developer's server by a signed callback; the simulator sends it to ZeroDrop.
      const now = new Date();
      const fields = huyaCallbackFields(now, {
        goodsUuid: text('goodsUuid', SANDBOX_PRODUCTS.huya.storeProductId),
        orderId: `${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`,
        orderTime: huyaOrderTime(now),
        extUuid: HUYA_EXT_UUID,
        profileId: text('profileId', text('playerId', 'sandbox-streamer')),
        expenseLevel: text('expenseLevel', '1'),
      });
      const signed = signedHuyaPost(fields, { appId: HUYA_APP_ID, extSecret: sims.huyaSecret });
      const response = await fetch(`${sims.zerodropUrl}${sims.accounts.huya.webhookPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: signed.authorization },
        body: signed.rawBody,
      });
      return {
        store,
        orderId: fields.orderId,
        goodsUuid: fields.goodsUuid,
        profileId: fields.profileId,
        callbackStatus: response.status,
        callbackAnswer: await response.text(),
      };
    }
  }
}

function startControlServer(sims: Simulators, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    handle(sims, request, response).catch((err: unknown) => reply(response, 500, { error: err instanceof Error ? err.message : String(err) }));
  });
  const listen = (on: number) =>
    new Promise<Server>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  // A fixed port keeps the printed curl commands the same from run to run; when it is
  // taken (a second sandbox), any free port will do.
  return listen(port).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || port === 0) throw err;
    return listen(0);
  });
}

async function handle(sims: Simulators, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
  const match = /^\/(huawei|nowgg|huya)\/purchases$/.exec(path);
  if (request.method === 'GET' && path === '/') {
    reply(response, 200, { stores: SANDBOX_STORES, purchase: 'POST /<store>/purchases {"playerId": "…"}', accounts: sims.accounts });
    return;
  }
  if (!match || request.method !== 'POST') {
    reply(response, 404, { error: 'POST /huawei/purchases, /nowgg/purchases or /huya/purchases' });
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  let body: Record<string, unknown> = {};
  if (raw.trim()) {
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      reply(response, 400, { error: 'the body must be JSON' });
      return;
    }
  }
  reply(response, 201, await simulate(sims, match[1] as SandboxStore, body));
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}

// ---- a purchase end to end ------------------------------------------------------------------

const ORDER_FIELDS = 'id store storeOrderId playerId status price { amountMinor currency } product { name }';

export interface SandboxOrder {
  id: string;
  store: string;
  storeOrderId: string;
  playerId: string;
  status: string;
  price: { amountMinor: string; currency: string } | null;
  product: { name: string } | null;
}

export interface SandboxPurchaseResult {
  purchase: SimulatedPurchase;
  order: SandboxOrder;
  newlyDelivered: boolean;
}

/** The GraphQL a developer's server sends for each store (also printed by the command). */
export const PURCHASE_MUTATIONS = {
  huawei: `mutation SandboxFinishPurchase($input: FinishPurchaseInput!) {
  finishPurchase(input: $input) {
    __typename
    ... on HuaweiDelivery { newlyDelivered needsClientFinish order { ${ORDER_FIELDS} } }
    ... on Error { code message }
  }
}`,
  nowgg: `mutation SandboxConsumePurchase($input: ConsumePurchaseInput!) {
  consumePurchase(input: $input) {
    __typename
    ... on ConsumePurchasePayload { newlyDelivered order { ${ORDER_FIELDS} } }
    ... on Error { code message }
  }
}`,
  huya: `query SandboxHuyaOrder($storeOrderId: String!) {
  orders(first: 1, filter: { storeOrderId: $storeOrderId }) { edges { node { ${ORDER_FIELDS} } } }
}`,
} as const;

/**
 * One purchase end to end: the simulator takes the payment, then ZeroDrop is told the way
 * a game server tells it (finishPurchase, consumePurchase; Huya's callback goes straight
 * to ZeroDrop) and the order is returned.
 */
export async function sandboxPurchase(state: SandboxState, serverKey: string, store: SandboxStore, playerId: string): Promise<SandboxPurchaseResult> {
  const response = await fetch(`${state.controlUrl}/${store}/purchases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ playerId }),
  }).catch((err: unknown) => {
    throw new Error(`the sandbox is not running at ${state.controlUrl} (${err instanceof Error ? err.message : String(err)}); start it with \`npx zerodrop sandbox\``);
  });
  const purchase = (await response.json()) as SimulatedPurchase & { error?: string };
  if (!response.ok) throw new Error(`sandbox simulator: ${purchase.error ?? `HTTP ${response.status}`}`);
  const client: ZeroDropClient = zeroDropClient(state.zerodropUrl, serverKey);

  switch (purchase.store) {
    case 'huawei': {
      const data = await client.request<{ finishPurchase: { __typename: string; newlyDelivered: boolean; order: SandboxOrder } }>(PURCHASE_MUTATIONS.huawei, {
        input: { purchaseData: purchase.purchaseData, playerId, storeAccountId: state.accounts.huawei.id },
      });
      const result = payload(data.finishPurchase, 'HuaweiDelivery');
      return { purchase, order: result.order, newlyDelivered: result.newlyDelivered };
    }
    case 'nowgg': {
      const data = await client.request<{ consumePurchase: { __typename: string; newlyDelivered: boolean; order: SandboxOrder } }>(PURCHASE_MUTATIONS.nowgg, {
        input: { purchaseToken: purchase.purchaseToken, productId: purchase.productId, playerId, storeAccountId: state.accounts.nowgg.id },
      });
      const result = payload(data.consumePurchase, 'ConsumePurchasePayload');
      return { purchase, order: result.order, newlyDelivered: result.newlyDelivered };
    }
    case 'huya': {
      if (purchase.callbackStatus !== 200) throw new Error(`ZeroDrop refused the Huya callback: HTTP ${purchase.callbackStatus} ${purchase.callbackAnswer}`);
      const data = await client.request<{ orders: { edges: { node: SandboxOrder }[] } }>(PURCHASE_MUTATIONS.huya, { storeOrderId: purchase.orderId });
      const order = data.orders.edges[0]?.node;
      if (!order) throw new Error(`ZeroDrop accepted Huya order ${purchase.orderId} but does not list it`);
      return { purchase, order, newlyDelivered: true };
    }
  }
}

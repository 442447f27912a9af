// The three stores as the chaos clients see them: each driver sets up a store account
// and products through the public GraphQL API, creates paid purchases at its fake store,
// submits them the way a game (or, for Huya, the store itself) does, and reads the
// store-side record of acknowledgements.
import { randomBytes } from 'node:crypto';
import type { FakeHuawei } from '../../helpers/fake-huawei.js';
import type { FakeNowgg } from '../../helpers/fake-nowgg.js';
import { huyaOrderTime, signedHuyaPost, type HuyaCallbackFieldsInput } from '../../helpers/huya.js';
import { mutate, mutateOrThrow, send, type Outcome } from './api.js';

export type StoreName = 'HUAWEI' | 'NOWGG' | 'HUYA';

/** What a delivered purchase must have granted. */
export type ExpectedGrant =
  | { kind: 'CONSUMABLE'; quantity: number }
  /** One entitlement per player and product (each such purchase goes to its own player). */
  | { kind: 'PERMANENT' }
  /** Time-limited access of this length, from the purchase time (own player per purchase). */
  | { kind: 'EXPIRING'; durationMs: number };

/**
 * How the store learns that a purchase was delivered: ZeroDrop's worker tells it
 * (`worker`: Huawei confirm, now.gg consume), our HTTP answer tells it (`answer`: Huya's
 * callback gets its 200), or the game client does (`client`: nothing for us to count).
 */
export type AckPath = 'worker' | 'answer' | 'client';

interface PurchaseBase {
  storeOrderId: string;
  storeAccountId: string;
  playerId: string;
  grant: ExpectedGrant;
  ack: AckPath;
  /** The order id each successful answer named; all must be the one order. */
  answeredOrderIds: string[];
}

/** Huya's callback fields except `timestamp`, which Huya sets at each delivery. */
export type HuyaOrderFields = Omit<HuyaCallbackFieldsInput, 'timestamp'>;

export type ChaosPurchase =
  | (PurchaseBase & { store: 'HUAWEI'; purchaseData: string })
  | (PurchaseBase & { store: 'NOWGG'; purchaseToken: string; productId: string })
  | (PurchaseBase & { store: 'HUYA'; fields: HuyaOrderFields });

/** The store's own record of the finish step for one purchase. */
export interface StoreSideAck {
  /** The store considers the purchase finished (Huya: got its HTTP 200). */
  acknowledged: boolean;
  /** Finish steps that took effect at the store (must be exactly 1). */
  effects: number;
  /** Further finish requests the store answered without effect ("already done"; Huya: a redelivery answered 200 again). */
  idempotentRepeats: number;
}

export interface Tenant {
  appId: string;
  serverKey: string;
}

/** A submission's success: the order (database id) the answer names, or null when it names none. */
export type Submission = Outcome<string | null>;

export interface StoreDriver<P extends ChaosPurchase = ChaosPurchase> {
  readonly store: StoreName;
  readonly storeAccountId: string;
  newPurchase(index: number): Promise<P>;
  /** One attempt; `repeat` marks a client resubmitting a purchase already answered. */
  submit(purchase: P, baseUrl: string, repeat: boolean): Promise<Submission>;
  /** The store's record for each purchase, in order (read once, after the run). */
  storeSide(purchases: readonly P[]): StoreSideAck[];
}

const CREATE_APP = `
  mutation ChaosCreateApp($input: CreateAppInput!) {
    createApp(input: $input) {
      __typename
      ... on CreateAppPayload { serverKey app { id } }
      ... on Error { code message }
    }
  }`;

const CREATE_STORE_ACCOUNT = `
  mutation ChaosCreateStoreAccount($input: CreateStoreAccountInput!) {
    createStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { accountId } }
      ... on Error { code message }
    }
  }`;

const CREATE_PRODUCT = `
  mutation ChaosCreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id } }
      ... on Error { code message }
    }
  }`;

export const FINISH_PURCHASE = `
  mutation ChaosFinishPurchase($input: FinishPurchaseInput!) {
    finishPurchase(input: $input) {
      __typename
      ... on HuaweiDelivery {
        needsClientFinish
        finishParams { productType purchaseToken purchaseOrderId }
        order { id status finishMode storeOrderId playerId quantity price { amountMinor currency } entitlements { id kind quantity } }
      }
      ... on Error { code message retryable }
    }
  }`;

const SYNC_PURCHASES = `
  mutation ChaosSyncPurchases($input: SyncPurchasesInput!) {
    syncPurchases(input: $input) {
      __typename
      ... on SyncPurchasesPayload { items { order { id } error { code message retryable } } }
      ... on Error { code message retryable }
    }
  }`;

const CONSUME_PURCHASE = `
  mutation ChaosConsumePurchase($input: ConsumePurchaseInput!) {
    consumePurchase(input: $input) {
      __typename
      ... on ConsumePurchasePayload {
        newlyDelivered
        needsClientFinish
        order { id status finishMode storeOrderId playerId price { amountMinor currency } entitlements { id kind quantity } }
      }
      ... on Error { code message retryable }
    }
  }`;

export interface HuaweiDeliveryAnswer {
  order: { id: string };
}

export async function createTenant(baseUrl: string, adminToken: string, name: string): Promise<Tenant> {
  const created = await mutateOrThrow<{ serverKey: string; app: { id: string } }>(
    baseUrl,
    adminToken,
    CREATE_APP,
    { input: { name, rateLimitPerMinute: 1_000_000 } },
    'createApp',
    ['CreateAppPayload'],
  );
  return { appId: rawId(created.app.id), serverKey: created.serverKey };
}

/** The database id inside a Relay global id ("Order:<uuid>", base64). */
function rawId(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

async function createStoreAccount(baseUrl: string, tenant: Tenant, input: Record<string, unknown>): Promise<string> {
  const payload = await mutateOrThrow<{ storeAccount: { accountId: string } }>(
    baseUrl,
    tenant.serverKey,
    CREATE_STORE_ACCOUNT,
    { input },
    'createStoreAccount',
    ['StoreAccountPayload'],
  );
  return payload.storeAccount.accountId;
}

async function createProduct(baseUrl: string, tenant: Tenant, input: Record<string, unknown>): Promise<void> {
  await mutateOrThrow(baseUrl, tenant.serverKey, CREATE_PRODUCT, { input: { name: String(input.sku), ...input } }, 'createProduct', ['ProductPayload']);
}

/** A short random tag that keeps store order ids unique across runs and tenants. */
export const runTag = () => randomBytes(3).toString('hex');

// ---- Huawei ----------------------------------------------------------------------------

type HuaweiPurchase = Extract<ChaosPurchase, { store: 'HUAWEI' }>;

const HUAWEI_GEMS = { sku: 'gems_100', storeProductId: 'gems_100', grantQuantity: 100 } as const;
const HUAWEI_NO_ADS = { sku: 'no_ads', storeProductId: 'no_ads' } as const;

export interface HuaweiDriverOptions {
  /** Server API credentials: ZeroDrop confirms delivery itself (finishMode SERVER). */
  withCredentials: boolean;
  /** Share of purchases that are non-consumables (each for its own player). */
  nonConsumableShare?: number;
  /** Share of repeat submissions sent through syncPurchases instead of finishPurchase. */
  syncShare?: number;
}

export async function huaweiDriver(
  fake: FakeHuawei,
  apiBaseUrl: string,
  baseUrl: string,
  tenant: Tenant,
  options: HuaweiDriverOptions,
): Promise<StoreDriver<HuaweiPurchase>> {
  const credentials = options.withCredentials ? fake.createApiCredentials() : null;
  const storeAccountId = await createStoreAccount(baseUrl, tenant, {
    name: `huawei ${options.withCredentials ? 'server' : 'client'} finish`,
    environment: 'SANDBOX',
    apiBaseUrl,
    trustedRootsPem: fake.rootPem,
    huawei: { applicationId: fake.applicationId, ...(credentials ?? {}) },
  });
  await createProduct(baseUrl, tenant, { store: 'HUAWEI', type: 'CONSUMABLE', ...HUAWEI_GEMS });
  await createProduct(baseUrl, tenant, { store: 'HUAWEI', type: 'NON_CONSUMABLE', ...HUAWEI_NO_ADS });
  const tag = runTag();
  const nonConsumableShare = options.nonConsumableShare ?? 0.15;
  const syncShare = options.syncShare ?? 0.5;

  return {
    store: 'HUAWEI',
    storeAccountId,
    async newPurchase(index) {
      const nonConsumable = Math.random() < nonConsumableShare;
      const quantity = nonConsumable ? 1 : 1 + Math.floor(Math.random() * 3);
      const playerId = nonConsumable ? `hw-nc-${tag}-${index}` : `hw-${tag}-${index % 250}`;
      const signed = await fake.signPurchase({
        purchaseOrderId: `HW-${tag}-${index}`,
        productId: nonConsumable ? HUAWEI_NO_ADS.storeProductId : HUAWEI_GEMS.storeProductId,
        productType: nonConsumable ? '1' : '0',
        quantity,
        developerPayload: playerId,
      });
      return {
        store: 'HUAWEI',
        storeOrderId: String(signed.payload.purchaseOrderId),
        storeAccountId,
        playerId,
        grant: nonConsumable ? { kind: 'PERMANENT' } : { kind: 'CONSUMABLE', quantity: quantity * HUAWEI_GEMS.grantQuantity },
        ack: options.withCredentials ? 'worker' : 'client',
        answeredOrderIds: [],
        purchaseData: signed.purchaseData,
      };
    },
    async submit(purchase, url, repeat) {
      if (repeat && Math.random() < syncShare) {
        // What the game does at every start: queryPurchases(UNFINISHED) → syncPurchases.
        const synced = await mutate<{ items: { order: { id: string } | null; error: { code: string; message: string; retryable: boolean } | null }[] }>(
          url,
          tenant.serverKey,
          SYNC_PURCHASES,
          { input: { purchaseDataList: [purchase.purchaseData], playerId: purchase.playerId } },
          'syncPurchases',
          ['SyncPurchasesPayload'],
        );
        if (!synced.ok) return synced;
        const item = synced.value.items[0];
        if (item?.order) return { ok: true, value: rawId(item.order.id) };
        const error = item?.error ?? { code: 'EMPTY_SYNC', message: 'syncPurchases answered no item', retryable: false };
        return { ok: false, failure: { kind: 'typed', ...error } };
      }
      const delivered = await mutate<HuaweiDeliveryAnswer>(
        url,
        tenant.serverKey,
        FINISH_PURCHASE,
        { input: { purchaseData: purchase.purchaseData, playerId: purchase.playerId } },
        'finishPurchase',
        ['HuaweiDelivery'],
      );
      return delivered.ok ? { ok: true, value: rawId(delivered.value.order.id) } : delivered;
    },
    storeSide(purchases) {
      return purchases.map((purchase) => {
        const confirmed = fake.isConfirmed(purchase.storeOrderId);
        const attempts = fake.confirmAttempts(purchase.storeOrderId);
        // Huawei answers every confirm after the first with 1001880009 "already confirmed".
        return { acknowledged: confirmed, effects: confirmed ? 1 : 0, idempotentRepeats: Math.max(0, attempts - 1) };
      });
    },
  };
}

/** Submits one Huawei purchase once (the race scenario compares these raw answers). */
export function finishHuaweiPurchase(baseUrl: string, tenant: Tenant, purchaseData: string, playerId: string) {
  return mutate<Record<string, unknown>>(
    baseUrl,
    tenant.serverKey,
    FINISH_PURCHASE,
    { input: { purchaseData, playerId } },
    'finishPurchase',
    ['HuaweiDelivery'],
  );
}

// ---- now.gg ----------------------------------------------------------------------------

type NowggPurchase = Extract<ChaosPurchase, { store: 'NOWGG' }>;

const NOWGG_COINS = { sku: 'coins_50', storeProductId: 'coins_50', grantQuantity: 50 } as const;
const CONSUME_PATH = '/v2/order/consumePurchase';

export async function nowggDriver(fake: FakeNowgg, apiBaseUrl: string, baseUrl: string, tenant: Tenant): Promise<StoreDriver<NowggPurchase>> {
  const storeAccountId = await createStoreAccount(baseUrl, tenant, {
    name: 'now.gg',
    environment: 'PRODUCTION',
    apiBaseUrl,
    nowgg: { appId: '11001', packageName: 'gg.now.sample.app', paymentsApiKey: fake.paymentsApiKey, webhookApiKey: `wh-${runTag()}` },
  });
  await createProduct(baseUrl, tenant, { store: 'NOWGG', type: 'CONSUMABLE', ...NOWGG_COINS });
  const tag = runTag();

  return {
    store: 'NOWGG',
    storeAccountId,
    async newPurchase(index) {
      const orderId = `NG-${tag}-${index}`;
      const purchaseToken = fake.addPurchase({ productId: NOWGG_COINS.storeProductId, amount: '0.99', currency: 'USD', orderId });
      return {
        store: 'NOWGG',
        storeOrderId: orderId,
        storeAccountId,
        playerId: `ng-${tag}-${index % 250}`,
        grant: { kind: 'CONSUMABLE', quantity: NOWGG_COINS.grantQuantity },
        ack: 'worker',
        answeredOrderIds: [],
        purchaseToken,
        productId: NOWGG_COINS.storeProductId,
      };
    },
    async submit(purchase, url) {
      const consumed = await mutate<{ order: { id: string } }>(
        url,
        tenant.serverKey,
        CONSUME_PURCHASE,
        { input: { purchaseToken: purchase.purchaseToken, productId: purchase.productId, playerId: purchase.playerId } },
        'consumePurchase',
        ['ConsumePurchasePayload'],
      );
      return consumed.ok ? { ok: true, value: rawId(consumed.value.order.id) } : consumed;
    },
    storeSide(purchases) {
      const consumeRequests = countBy(
        fake.requests.filter((r) => r.path === CONSUME_PATH),
        (r) => r.form.purchaseToken ?? '',
      );
      return purchases.map((purchase) => {
        const state = fake.purchase(purchase.purchaseToken);
        const requests = consumeRequests.get(purchase.purchaseToken) ?? 0;
        // now.gg refuses a second consume (3800) without effect; ZeroDrop then reads
        // consumptionState with verifyPurchase and counts the consume as done.
        return {
          acknowledged: state.consumptionState === 1,
          effects: state.consumeCount,
          idempotentRepeats: Math.max(0, requests - state.consumeCount),
        };
      });
    },
  };
}

/** Submits one now.gg purchase once (race scenario). */
export function consumeNowggPurchase(baseUrl: string, tenant: Tenant, input: Record<string, unknown>) {
  return mutate<Record<string, unknown>>(baseUrl, tenant.serverKey, CONSUME_PURCHASE, { input }, 'consumePurchase', ['ConsumePurchasePayload']);
}

export async function nowggClientFinishAccount(fake: FakeNowgg, apiBaseUrl: string, baseUrl: string, tenant: Tenant): Promise<void> {
  await createStoreAccount(baseUrl, tenant, {
    name: 'now.gg race',
    environment: 'PRODUCTION',
    apiBaseUrl,
    nowgg: { appId: '11001', packageName: 'gg.now.sample.app', paymentsApiKey: fake.paymentsApiKey },
  });
  await createProduct(baseUrl, tenant, { store: 'NOWGG', type: 'CONSUMABLE', ...NOWGG_COINS });
}

// ---- Huya --------------------------------------------------------------------------------

type HuyaPurchase = Extract<ChaosPurchase, { store: 'HUYA' }>;

const DAY_MS = 86_400_000;
const HUYA_PASS = { goodsUuid: 'vip_pass', timeLevels: [{ level: '1', days: 7 }, { level: '2', days: 30 }] } as const;

export interface HuyaDriver extends StoreDriver<HuyaPurchase> {
  /** Delivers one callback as Huya does (signed now); the raw answer (race scenario). */
  deliver(purchase: HuyaPurchase, baseUrl: string): Promise<Outcome<{ status: number; text: string }>>;
}

/**
 * The harness plays Huya: it calls the account's callback URL with a signed POST and
 * retries until the answer is 200 (that answer is Huya's acknowledgement).
 */
export async function huyaDriver(baseUrl: string, tenant: Tenant): Promise<HuyaDriver> {
  const tag = runTag();
  const keys = { huyaAppId: `hy-app-${tag}`, extUuid: `ext-${tag}`, extSecret: randomBytes(16).toString('hex') };
  const storeAccountId = await createStoreAccount(baseUrl, tenant, { name: 'huya', environment: 'PRODUCTION', huya: keys });
  await createProduct(baseUrl, tenant, {
    store: 'HUYA',
    sku: HUYA_PASS.goodsUuid,
    storeProductId: HUYA_PASS.goodsUuid,
    type: 'TIME_LIMITED',
    timeLevels: HUYA_PASS.timeLevels,
  });
  /** 200 answers Huya received, per orderId. */
  const answered = new Map<string, number>();

  const deliver = (purchase: HuyaPurchase, url: string) => {
    // Huya signs every delivery afresh, with the current timestamp.
    const signed = signedHuyaPost(
      { ...purchase.fields, timestamp: String(Math.floor(Date.now() / 1000)) },
      { appId: keys.huyaAppId, extSecret: keys.extSecret },
    );
    return send(`${url}/webhooks/huya/${storeAccountId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: signed.authorization },
      body: signed.rawBody,
    });
  };

  return {
    store: 'HUYA',
    storeAccountId,
    deliver,
    async newPurchase(index) {
      const level = HUYA_PASS.timeLevels[index % HUYA_PASS.timeLevels.length]!;
      // Each order for its own streamer: its access must end exactly `days` after the order.
      const profileId = `hy-${tag}-${index}`;
      return {
        store: 'HUYA',
        storeOrderId: `HY-${tag}-${index}`,
        storeAccountId,
        playerId: profileId,
        grant: { kind: 'EXPIRING', durationMs: level.days * DAY_MS },
        ack: 'answer',
        answeredOrderIds: [],
        fields: {
          goodsUuid: HUYA_PASS.goodsUuid,
          orderTime: huyaOrderTime(new Date()),
          orderId: `HY-${tag}-${index}`,
          extUuid: keys.extUuid,
          profileId,
          expenseLevel: level.level,
        },
      };
    },
    async submit(purchase, url) {
      const sent = await deliver(purchase, url);
      if (!sent.ok) return sent;
      const { status, text } = sent.value;
      if (status === 200) {
        answered.set(purchase.storeOrderId, (answered.get(purchase.storeOrderId) ?? 0) + 1);
        return { ok: true, value: null };
      }
      let code: string | null = null;
      try {
        // The callback's own refusal ({code}) or the server's ({errors: [{extensions: {code}}]}).
        const body = JSON.parse(text) as { code?: string; errors?: { extensions?: { code?: string } }[] };
        code = body.code ?? body.errors?.[0]?.extensions?.code ?? null;
      } catch {
        // not JSON: the status says enough
      }
      // Huya retries anything but 200; a 4xx for a valid, signed callback is still a finding.
      return { ok: false, failure: { kind: 'http', retryable: status === 429 || status >= 500, status, code, message: text.slice(0, 200) } };
    },
    storeSide(purchases) {
      return purchases.map((purchase) => {
        const count = answered.get(purchase.storeOrderId) ?? 0;
        return { acknowledged: count > 0, effects: count > 0 ? 1 : 0, idempotentRepeats: Math.max(0, count - 1) };
      });
    },
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

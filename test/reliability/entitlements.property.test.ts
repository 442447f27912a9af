// Property test: random interleavings of purchases, duplicate (and concurrent) submissions,
// refunds and replayed store notifications, checked after every step against a simple
// reference model of what each player owns. Runs on PGlite and on PostgreSQL.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { HUYA_TEST_APP_ID, HUYA_TEST_EXT_SECRET, HUYA_TEST_EXT_UUID, huyaOrderTime, signedHuyaPost, type HuyaCallbackFieldsInput } from '../helpers/huya.js';
import { answerOf, gqlRaw, raw } from './support.js';

const PRODUCTS = {
  gems: { store: 'HUAWEI', storeProductId: 'gems_100', huaweiType: '0', kind: 'CONSUMABLE', grantQuantity: 10 },
  no_ads: { store: 'HUAWEI', storeProductId: 'no_ads', huaweiType: '1', kind: 'NON_CONSUMABLE', grantQuantity: 1 },
  coins: { store: 'NOWGG', storeProductId: 'coins_50', huaweiType: null, kind: 'CONSUMABLE', grantQuantity: 5 },
  /** Huya prepaid goods: expenseLevel "1" buys 7 days, "2" buys 30. */
  pass: { store: 'HUYA', storeProductId: 'vip_pass', huaweiType: null, kind: 'TIME_LIMITED', grantQuantity: 1 },
} as const;
const HUYA_LEVEL_DAYS: Record<string, number> = { '1': 7, '2': 30 };
const DAY_MS = 86_400_000;
type ProductName = keyof typeof PRODUCTS;
const PLAYERS = 3;

const FINISH = `mutation ($input: FinishPurchaseInput!) {
  finishPurchase(input: $input) { __typename ... on HuaweiDelivery { order { id } } ... on Error { code message } } }`;
const SYNC = `mutation ($input: SyncPurchasesInput!) {
  syncPurchases(input: $input) { __typename ... on SyncPurchasesPayload { items { order { id } error { code message } } } ... on Error { code message } } }`;
const CONSUME = `mutation ($input: ConsumePurchaseInput!) {
  consumePurchase(input: $input) { __typename ... on ConsumePurchasePayload { order { id } } ... on Error { code message } } }`;

/** One purchase as the reference model sees it. */
interface ModelPurchase {
  product: ProductName;
  player: string;
  quantity: number;
  storeOrderId: string;
  /** Refunded at the store. */
  refunded: boolean;
  /** ZeroDrop has been told of the refund (a REVOKE notification was answered 200). */
  refundNotified: boolean;
  /** What ZeroDrop holds: nothing yet, a grant, or a revoked order. */
  recorded: 'none' | 'granted' | 'revoked';
  /** The order id answers name, once known (Huya's answer names the store order id). */
  orderId: string | null;
  /** Huya: the order time and the access it buys. */
  orderedAt: Date;
  accessMs: number;
}

interface Model {
  purchases: ModelPurchase[];
  /** Per player: owns no_ads now (one shared entitlement, withdrawn by any refund of it). */
  noAds: Map<string, boolean>;
  /** Per player: when the Huya pass ends (each order extends it from its order time or the current end, whichever is later). */
  passUntil: Map<string, number>;
}

/** What the game client (or, for Huya, Huya itself) holds for one purchase. */
interface Proof {
  purchaseData?: string;
  purchaseToken?: string;
  huyaFields?: Omit<HuyaCallbackFieldsInput, 'timestamp'>;
}

interface Real {
  /** Per purchase, by store order id. */
  proofs: Map<string, Proof>;
}

let t: TestApp;
let tenant: Tenant;
let huawei: FakeHuawei;
let nowgg: FakeNowgg;
let huaweiWebhookPath: string;
let huyaWebhookPath: string;
let run = 0;
/** Player ids of the current run (fresh per run, so runs share one app without interfering). */
let players: string[] = [];

async function setUpAccount(input: Record<string, unknown>): Promise<string> {
  const res = await gqlRaw(
    t,
    `mutation ($input: CreateStoreAccountInput!) { createStoreAccount(input: $input) { __typename ... on StoreAccountPayload { storeAccount { webhookPath } } } }`,
    { input },
    { key: tenant.serverKey },
  );
  const body = (await res.json()) as { data?: { createStoreAccount?: { storeAccount?: { webhookPath: string } } } };
  const path = body.data?.createStoreAccount?.storeAccount?.webhookPath;
  if (!path) throw new Error(`createStoreAccount: ${JSON.stringify(body)}`);
  return path;
}

beforeAll(async () => {
  [huawei, nowgg] = await Promise.all([FakeHuawei.start(), FakeNowgg.start()]);
  t = await createTestApp();
  tenant = await t.createTenant('property');
  // Server credentials: a notification is checked against Huawei's order status query.
  huaweiWebhookPath = await setUpAccount({
    name: 'huawei',
    environment: 'SANDBOX',
    apiBaseUrl: huawei.baseUrl,
    trustedRootsPem: huawei.rootPem,
    huawei: { applicationId: huawei.applicationId, ...huawei.createApiCredentials() },
  });
  await setUpAccount({
    name: 'now.gg',
    environment: 'PRODUCTION',
    apiBaseUrl: nowgg.baseUrl,
    nowgg: { appId: '11001', packageName: 'gg.now.sample.app', paymentsApiKey: nowgg.paymentsApiKey },
  });
  huyaWebhookPath = await setUpAccount({
    name: 'huya',
    environment: 'PRODUCTION',
    huya: { huyaAppId: HUYA_TEST_APP_ID, extUuid: HUYA_TEST_EXT_UUID, extSecret: HUYA_TEST_EXT_SECRET },
  });
  for (const [sku, product] of Object.entries(PRODUCTS)) {
    const levels = product.kind === 'TIME_LIMITED' ? { timeLevels: Object.entries(HUYA_LEVEL_DAYS).map(([level, days]) => ({ level, days })) } : {};
    const res = await gqlRaw(
      t,
      `mutation ($input: CreateProductInput!) { createProduct(input: $input) { __typename } }`,
      { input: { store: product.store, sku, name: sku, storeProductId: product.storeProductId, type: product.kind, grantQuantity: product.grantQuantity, ...levels } },
      { key: tenant.serverKey },
    );
    expect((await answerOf(res)).typename).toBe('ProductPayload');
  }
});

afterAll(async () => {
  await t.close();
  await Promise.all([huawei.close(), nowgg.close()]);
});

const pickFrom = <T>(items: readonly T[], index: number): T => items[index % items.length]!;
const huaweiPurchases = (m: Readonly<Model>) => m.purchases.filter((p) => PRODUCTS[p.product].store === 'HUAWEI');

/** A game pays for a product at its store (the client now holds the proof; nothing reached ZeroDrop yet). */
class Buy implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly playerIndex: number,
    readonly product: ProductName,
    readonly quantity: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const player = pickFrom(players, this.playerIndex);
    const product = PRODUCTS[this.product];
    const storeOrderId = `${product.store}-${run}-${m.purchases.length}-${randomBytes(3).toString('hex')}`;
    // Whole seconds, as Huya's orderTime carries them; a little in the past, in any order.
    const orderedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - this.quantity * 60_000);
    const level = String(this.quantity === 3 ? 2 : 1);
    if (product.store === 'HUYA') {
      r.proofs.set(storeOrderId, {
        huyaFields: { goodsUuid: product.storeProductId, orderTime: huyaOrderTime(orderedAt), orderId: storeOrderId, extUuid: HUYA_TEST_EXT_UUID, profileId: player, expenseLevel: level },
      });
    } else if (product.store === 'HUAWEI') {
      const signed = await huawei.signPurchase({
        purchaseOrderId: storeOrderId,
        productId: product.storeProductId,
        productType: product.huaweiType,
        quantity: this.quantity,
      });
      r.proofs.set(storeOrderId, { purchaseData: signed.purchaseData });
    } else {
      r.proofs.set(storeOrderId, { purchaseToken: nowgg.addPurchase({ productId: product.storeProductId, orderId: storeOrderId }) });
    }
    // A now.gg purchase token and a Huya order are one unit.
    const quantity = product.store === 'HUAWEI' ? this.quantity : 1;
    m.purchases.push({
      product: this.product,
      player,
      quantity,
      storeOrderId,
      refunded: false,
      refundNotified: false,
      recorded: 'none',
      orderId: null,
      orderedAt,
      accessMs: (HUYA_LEVEL_DAYS[level] ?? 0) * DAY_MS,
    });
  }
  toString = () => `Buy(player ${this.playerIndex}, ${this.quantity} × ${this.product})`;
}

/** The client (for Huya: Huya's callback) submits a purchase, `copies` times at once (finishPurchase, syncPurchases, consumePurchase, callback). */
class Submit implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly copies: number,
    readonly viaSync: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.purchases.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const purchase = pickFrom(m.purchases, this.pick);
    const proof = r.proofs.get(purchase.storeOrderId)!;
    const answers = await Promise.all(Array.from({ length: this.copies }, () => submit(purchase, proof, this.viaSync)));

    // The reference: a purchase ZeroDrop knows to be refunded is never granted.
    if (purchase.recorded === 'none') {
      purchase.recorded = purchase.refundNotified ? 'revoked' : 'granted';
      if (purchase.recorded === 'granted' && purchase.product === 'no_ads') m.noAds.set(purchase.player, true);
      if (purchase.recorded === 'granted' && purchase.product === 'pass') {
        const current = m.passUntil.get(purchase.player) ?? 0;
        m.passUntil.set(purchase.player, Math.max(current, purchase.orderedAt.getTime()) + purchase.accessMs);
      }
    }
    for (const answer of answers) {
      if (purchase.recorded === 'revoked') {
        expect(answer, `${purchase.storeOrderId} is refunded`).toEqual({ code: 'PURCHASE_REVOKED' });
      } else {
        expect(answer.code, `${purchase.storeOrderId} answered an error`).toBeUndefined();
        purchase.orderId ??= answer.orderId ?? null;
        expect(answer.orderId, 'every answer names the one order').toBe(purchase.orderId);
      }
    }
  }
  toString = () => `Submit(#${this.pick}, ${this.copies}×${this.viaSync ? ' via sync' : ''})`;
}

/** The store refunds a Huawei purchase (ZeroDrop hears of it only from a notification). */
class Refund implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => huaweiPurchases(m).some((p) => !p.refunded);
  async run(m: Model): Promise<void> {
    const purchase = pickFrom(huaweiPurchases(m).filter((p) => !p.refunded), this.pick);
    huawei.refund(purchase.storeOrderId);
    purchase.refunded = true;
  }
  toString = () => `Refund(#${this.pick})`;
}

/** Huawei sends the REVOKE notification for a refund, `copies` times at once (redeliveries). */
class NotifyRefund implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly copies: number,
    readonly sameRequestId: boolean,
  ) {}
  check = (m: Readonly<Model>) => huaweiPurchases(m).some((p) => p.refunded);
  async run(m: Model): Promise<void> {
    const purchase = pickFrom(huaweiPurchases(m).filter((p) => p.refunded), this.pick);
    const requestId = `nr-${randomBytes(6).toString('hex')}`;
    const statuses = await Promise.all(
      Array.from({ length: this.copies }, async (_, copy) => {
        const { body } = await huawei.signNotification({
          notificationType: 'REVOKE',
          notificationSubtype: 'REFUND_TRANSACTION',
          purchaseOrderId: purchase.storeOrderId,
          notificationRequestId: this.sameRequestId ? requestId : `${requestId}-${copy}`,
        });
        const response = await raw(t, { path: huaweiWebhookPath, headers: { 'content-type': 'application/json' }, body });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.every((s) => s === 200), `notification answers ${statuses.join(', ')}`).toBe(true);
    purchase.refundNotified = true;
    if (purchase.recorded === 'granted') {
      purchase.recorded = 'revoked';
      if (purchase.product === 'no_ads') m.noAds.set(purchase.player, false);
    }
  }
  toString = () => `NotifyRefund(#${this.pick}, ${this.copies}×, ${this.sameRequestId ? 'same id' : 'distinct ids'})`;
}

async function submit(purchase: ModelPurchase, proof: Proof, viaSync: boolean): Promise<{ orderId?: string; code?: string }> {
  const caller = { key: tenant.serverKey };
  const product = PRODUCTS[purchase.product];
  if (proof.huyaFields) {
    // Huya delivers its callback (signed now); a redelivery is the same callback again.
    const signed = signedHuyaPost({ ...proof.huyaFields, timestamp: String(Math.floor(Date.now() / 1000)) });
    const response = await raw(t, { path: huyaWebhookPath, headers: { 'content-type': 'application/json', authorization: signed.authorization }, body: signed.rawBody });
    const answer = await answerOf(response);
    if (answer.status !== 200) return { code: answer.code ?? `HTTP ${answer.status}` };
    return { orderId: (answer.body as { orderId: string }).orderId };
  }
  const response =
    product.store === 'NOWGG'
      ? await gqlRaw(t, CONSUME, { input: { purchaseToken: proof.purchaseToken, productId: product.storeProductId, playerId: purchase.player } }, caller)
      : viaSync
        ? await gqlRaw(t, SYNC, { input: { purchaseDataList: [proof.purchaseData], playerId: purchase.player } }, caller)
        : await gqlRaw(t, FINISH, { input: { purchaseData: proof.purchaseData, playerId: purchase.player } }, caller);
  const answer = await answerOf(response);
  if (answer.code !== null) return { code: answer.code };
  const data = (answer.body as { data: Record<string, { order?: { id: string }; items?: { order: { id: string } | null }[] }> }).data;
  const result = Object.values(data)[0]!;
  const orderId = result.order?.id ?? result.items?.[0]?.order?.id;
  return orderId ? { orderId } : {};
}

/** What the database holds for this run's players, against the model. */
async function checkAgainstModel(m: Model): Promise<void> {
  const prisma = t.app.db.prisma;
  const [entitlements, orders, products] = await Promise.all([
    prisma.entitlement.findMany({ where: { appId: tenant.appId, playerId: { in: players } } }),
    prisma.order.findMany({ where: { appId: tenant.appId, playerId: { in: players } }, include: { events: true } }),
    prisma.product.findMany({ where: { appId: tenant.appId } }),
  ]);
  const skuOf = new Map(products.map((p) => [p.id, p.sku as ProductName]));
  for (const player of players) {
    for (const name of ['gems', 'coins'] as const) {
      const expected = m.purchases
        .filter((p) => p.player === player && p.product === name && p.recorded === 'granted')
        .reduce((sum, p) => sum + p.quantity * PRODUCTS[name].grantQuantity, 0);
      const actual = entitlements
        .filter((e) => e.playerId === player && skuOf.get(e.productId) === name && e.revokedAt === null)
        .reduce((sum, e) => sum + e.quantity, 0);
      expect(actual, `${player} ${name}`).toBe(expected);
    }
    const ownsNoAds = entitlements.some((e) => e.playerId === player && skuOf.get(e.productId) === 'no_ads' && e.revokedAt === null);
    expect(ownsNoAds, `${player} no_ads`).toBe(m.noAds.get(player) ?? false);
    const pass = entitlements.find((e) => e.playerId === player && skuOf.get(e.productId) === 'pass' && e.revokedAt === null);
    expect(pass?.expiresAt?.getTime() ?? null, `${player} pass ends`).toBe(m.passUntil.get(player) ?? null);
  }
  const byStoreOrder = new Map(orders.map((o) => [o.storeOrderId, o]));
  for (const purchase of m.purchases) {
    const order = byStoreOrder.get(purchase.storeOrderId);
    if (purchase.recorded === 'none') {
      expect(order, `${purchase.storeOrderId} was never submitted`).toBeUndefined();
      continue;
    }
    if (purchase.recorded === 'granted') expect(order?.status, purchase.storeOrderId).toMatch(/^(DELIVERED|FINISHED)$/);
    // A refunded purchase is either recorded as revoked or not granted at all.
    if (purchase.recorded === 'revoked' && order) expect(order.status, purchase.storeOrderId).toBe('REVOKED');
    if (order) {
      const count = (type: string) => order.events.filter((e) => e.type === type).length;
      expect(count('ORDER_DELIVERED'), `${purchase.storeOrderId} delivered events`).toBeLessThanOrEqual(1);
      expect(count('ORDER_REVOKED'), `${purchase.storeOrderId} revoked events`).toBeLessThanOrEqual(1);
    }
  }
  expect(orders.length).toBe(byStoreOrder.size);
}

const commandArbitraries = [
  fc.tuple(fc.nat(PLAYERS - 1), fc.constantFrom<ProductName>('gems', 'gems', 'no_ads', 'coins', 'pass'), fc.integer({ min: 1, max: 3 })).map(
    ([player, product, quantity]) => new Buy(player, product, quantity),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([pick, copies, viaSync]) => new Submit(pick, copies, viaSync)),
  fc.nat().map((pick) => new Refund(pick)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([pick, copies, same]) => new NotifyRefund(pick, copies, same)),
];

/** Runs the commands, checking the database against the model after each one. */
class Checked implements fc.AsyncCommand<Model, Real> {
  constructor(readonly inner: fc.AsyncCommand<Model, Real>) {}
  check = (m: Readonly<Model>) => this.inner.check(m);
  async run(m: Model, r: Real): Promise<void> {
    await this.inner.run(m, r);
    await checkAgainstModel(m);
  }
  toString = () => this.inner.toString();
}

describe('entitlements under random interleavings (property)', () => {
  it('match the reference model after every purchase, duplicate, refund and notification', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commandArbitraries.map((a) => a.map((c) => new Checked(c))), { maxCommands: 14 }), async (commands) => {
        run += 1;
        players = Array.from({ length: PLAYERS }, (_, i) => `r${run}-p${i}-${randomBytes(2).toString('hex')}`);
        await fc.asyncModelRun(() => ({ model: { purchases: [], noAds: new Map(), passUntil: new Map() }, real: { proofs: new Map() } }), commands);
      }),
      { numRuns: 100, endOnFailure: true },
    );
  }, 120_000);
});

// A purchase's answer shows the order as the purchase left it without reading it again:
// the fulfilment core hands over the row it inserted (or found) and the order's
// entitlements. These tests hold the answer to a fresh read of the same order, field by
// field, for each kind of delivery, and bound the SQL statements of a new purchase and
// of a resubmission (counted with the database's statement hook, src/platform/db.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { createHuaweiAccount, createProduct } from '../huawei/setup.js';

const Purchase = graphql(`
  mutation PerfFinishPurchase($input: FinishPurchaseInput!) {
    finishPurchase(input: $input) {
      __typename
      ... on HuaweiDelivery {
        newlyDelivered
        order {
          id status finishMode storeOrderId storeProductId playerId quantity productType
          price { amountMinor currency }
          purchasedAt expiresAt deliveredAt finishedAt revokedAt revocationReason finishParams createdAt
          product { id sku }
          entitlements { id kind quantity playerId expiresAt revokedAt active createdAt product { id sku } order { id } }
        }
      }
      ... on Error { code message }
    }
  }
`);

const OrderRead = graphql(`
  query PerfOrderRead($id: ID!) {
    node(id: $id) {
      ... on Order {
        id status finishMode storeOrderId storeProductId playerId quantity productType
        price { amountMinor currency }
        purchasedAt expiresAt deliveredAt finishedAt revokedAt revocationReason finishParams createdAt
        product { id sku }
        entitlements { id kind quantity playerId expiresAt revokedAt active createdAt product { id sku } order { id } }
      }
    }
  }
`);

/** The benchmark's selection (bench/run.ts). */
const BenchPurchase = graphql(`
  mutation PerfBenchFinishPurchase($input: FinishPurchaseInput!) {
    finishPurchase(input: $input) {
      __typename
      ... on HuaweiDelivery {
        needsClientFinish
        finishParams { productType purchaseToken purchaseOrderId }
        order { id status storeOrderId quantity entitlements { id kind quantity } }
      }
      ... on Error { code message }
    }
  }
`);

const statements: string[] = [];
let fake: FakeHuawei;
let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  fake = await FakeHuawei.start();
  t = await createTestApp({}, { database: await createTestDatabase({ onQuery: ({ sql }) => statements.push(sql) }) });
  tenant = await t.createTenant('perf-purchase');
  await createHuaweiAccount(t, tenant, fake, { withCredentials: false });
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  await createProduct(t, tenant, { sku: 'no_ads', storeProductId: 'no_ads', type: 'NON_CONSUMABLE' });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

async function purchase(purchaseData: string, playerId: string) {
  const res = await t.gql(Purchase, { input: { purchaseData, playerId } }, { key: tenant.serverKey });
  const payload = res.data?.finishPurchase;
  if (payload?.__typename !== 'HuaweiDelivery') throw new Error(JSON.stringify(res));
  return payload;
}

async function read(id: string) {
  const res = await t.gql(OrderRead, { id }, { key: tenant.serverKey });
  expect(res.errors).toBeUndefined();
  return res.data!.node;
}

describe('a purchase answers with the order as stored', () => {
  it('a new consumable: the order and its one grant equal a fresh read', async () => {
    const { purchaseData } = await fake.signPurchase({ productId: 'gems_100' });
    const answer = await purchase(purchaseData, 'player-1');
    expect(answer.newlyDelivered).toBe(true);
    expect(answer.order.entitlements).toMatchObject([{ kind: 'CONSUMABLE', quantity: 100, active: true, order: { id: answer.order.id } }]);
    expect(answer.order).toEqual(await read(answer.order.id));
  });

  it('the same purchase again: equal to a fresh read, not newly delivered', async () => {
    const { purchaseData } = await fake.signPurchase({ productId: 'gems_100' });
    const first = await purchase(purchaseData, 'player-2');
    const again = await purchase(purchaseData, 'player-2');
    expect(again.newlyDelivered).toBe(false);
    expect(again.order).toEqual(first.order);
    expect(again.order).toEqual(await read(again.order.id));
  });

  it("a second non-consumable order of one player: the shared grant stays the first order's", async () => {
    const first = await purchase((await fake.signPurchase({ productId: 'no_ads' })).purchaseData, 'player-3');
    const second = await purchase((await fake.signPurchase({ productId: 'no_ads' })).purchaseData, 'player-3');
    expect(first.order.entitlements).toMatchObject([{ kind: 'PERMANENT', active: true }]);
    expect(second.newlyDelivered).toBe(true);
    expect(second.order.entitlements).toEqual([]);
    expect(first.order).toEqual(await read(first.order.id));
    expect(second.order).toEqual(await read(second.order.id));
  });

  it('a product the app does not have yet: awaiting, nothing granted, equal to a fresh read', async () => {
    const answer = await purchase((await fake.signPurchase({ productId: 'not_created_yet' })).purchaseData, 'player-4');
    expect(answer.order).toMatchObject({ status: 'AWAITING_PRODUCT', product: null, entitlements: [] });
    expect(answer.order).toEqual(await read(answer.order.id));
  });
});

describe('SQL statements per purchase (the benchmark selection)', () => {
  /** Statements one request sent, without the API key's fire-and-forget lastUsedAt write. */
  async function statementsFor(purchaseData: string) {
    statements.length = 0;
    const res = await t.gql(BenchPurchase, { input: { purchaseData, playerId: 'player-5' } }, { key: tenant.serverKey });
    expect(res.data?.finishPurchase.__typename).toBe('HuaweiDelivery');
    return statements.filter((sql) => !/UPDATE\s+"public"\."ApiKey"/.test(sql));
  }

  // New: the look-up for an earlier submission, then one transaction — lock, product and
  // refund notice, order, grant, event, COMMIT (BEGIN is not reported). Again: the order
  // and its entitlements.
  it('a new purchase sends at most 7, the same purchase again at most 2', async () => {
    await statementsFor((await fake.signPurchase({ productId: 'gems_100' })).purchaseData); // caches key and account
    const { purchaseData } = await fake.signPurchase({ productId: 'gems_100' });
    const sql = await statementsFor(purchaseData);
    expect(sql.length, sql.join('\n')).toBeLessThanOrEqual(7);
    const again = await statementsFor(purchaseData);
    expect(again.length, again.join('\n')).toBeLessThanOrEqual(2);
  });
});

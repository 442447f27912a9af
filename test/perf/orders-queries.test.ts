// The orders list loads each page's products and entitlements with the page, not per
// order: a constant number of SQL statements per request (≤ 3), whatever the page size
// and however deep the page. Counted with the database's statement hook (src/platform/db.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { createHuaweiAccount, createProduct, FinishPurchase } from '../huawei/setup.js';

const OrdersPage = graphql(`
  query PerfOrdersPage($first: Int!, $after: String) {
    orders(first: $first, after: $after) {
      edges {
        node {
          id
          status
          storeOrderId
          product { id sku type }
          entitlements { id kind quantity active }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const statements: string[] = [];
let fake: FakeHuawei;
let t: TestApp;
let tenant: Tenant;

/** SQL statements one request sent: the query's own (a request just before caches the API key). */
async function statementsFor(first: number, after: string | null = null) {
  await t.gql(OrdersPage, { first: 1, after: null }, { key: tenant.serverKey });
  statements.length = 0;
  const res = await t.gql(OrdersPage, { first, after }, { key: tenant.serverKey });
  // The key's lastUsedAt write is fire-and-forget from authentication and may land in
  // this window on a loaded machine; it is not part of the query's statements.
  return { res, sql: statements.filter((sql) => !/UPDATE\s+"public"\."ApiKey"/.test(sql)) };
}

beforeAll(async () => {
  fake = await FakeHuawei.start();
  t = await createTestApp({}, { database: await createTestDatabase({ onQuery: ({ sql }) => statements.push(sql) }) });
  tenant = await t.createTenant('perf');
  await createHuaweiAccount(t, tenant, fake, { withCredentials: false });
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  await createProduct(t, tenant, { sku: 'no_ads', storeProductId: 'no_ads', type: 'NON_CONSUMABLE' });
  // 70 orders: consumables (one entitlement each), non-consumables for several players
  // (shared per player), and orders for a product the app does not have (no entitlement).
  const productFor = (i: number) => (i % 10 === 9 ? 'unknown_sku' : i % 3 === 0 ? 'no_ads' : 'gems_100');
  for (let batch = 0; batch < 7; batch++) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, j) => {
        const i = batch * 10 + j;
        const { purchaseData } = await fake.signPurchase({ productId: productFor(i) });
        const res = await t.gql(FinishPurchase, { input: { purchaseData, playerId: `player-${i % 4}` } }, { key: tenant.serverKey });
        expect(res.data?.finishPurchase.__typename).toBe('HuaweiDelivery');
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

describe('orders(first: 50) with product and entitlements per order', () => {
  it('runs at most 3 SQL statements and returns every order with its product and entitlements', async () => {
    const { res, sql } = await statementsFor(50);
    expect(res.errors).toBeUndefined();
    const edges = res.data!.orders.edges;
    expect(edges).toHaveLength(50);
    for (const { node } of edges) {
      if (node.status === 'AWAITING_PRODUCT') {
        expect(node.product).toBeNull();
        expect(node.entitlements).toEqual([]);
      } else if (node.product?.type === 'CONSUMABLE') {
        expect(node.entitlements).toMatchObject([{ kind: 'CONSUMABLE', quantity: 100, active: true }]);
      } else {
        // One permanent entitlement per player and product, attached to the player's first order.
        expect(node.product?.type).toBe('NON_CONSUMABLE');
      }
    }
    expect(edges.some(({ node }) => node.status === 'AWAITING_PRODUCT')).toBe(true);
    expect(edges.some(({ node }) => node.entitlements.some((e) => e.kind === 'PERMANENT'))).toBe(true);
    expect(sql.length, sql.join('\n')).toBeLessThanOrEqual(3);
  });

  it('sends the same number of statements for 5 orders, 50 orders and a later page', async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    const next = await statementsFor(50, fifty.res.data!.orders.pageInfo.endCursor);
    expect(next.res.data!.orders.edges).toHaveLength(20);
    expect(five.sql).toHaveLength(fifty.sql.length);
    expect(next.sql).toHaveLength(fifty.sql.length);
  });
});

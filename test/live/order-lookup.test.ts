// The support queries the dashboard relies on: an order found by its store order id, and
// per-day revenue and refunds (refunds counted on the day of the revocation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { OrdersByStoreOrderId, OrderTotals } from './documents.js';
import { buy, openShop, type Shop } from './helpers.js';

describe('support lookups', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let shopA: Shop;
  let shopB: Shop;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createTenant('A');
    b = await t.createTenant('B');
    shopA = await openShop(t.app, a.appId);
    shopB = await openShop(t.app, b.appId);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finds an order by its store order id, within the caller’s app only', async () => {
    await buy(t.app, shopA, 'alice', { storeOrderId: 'GPA.1234' });
    await buy(t.app, shopA, 'bob', { storeOrderId: 'GPA.5678' });
    // the same store order id in another app (another store account) is another order
    await buy(t.app, shopB, 'mallory', { storeOrderId: 'GPA.1234' });

    const found = await t.gql(OrdersByStoreOrderId, { storeOrderId: 'GPA.1234' }, { key: a.serverKey });
    const nodes = found.data!.orders.edges.map((e) => e.node);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ storeOrderId: 'GPA.1234', playerId: 'alice', status: 'FINISHED', product: { name: '100 gems' } });

    const none = await t.gql(OrdersByStoreOrderId, { storeOrderId: 'GPA.5678' }, { key: b.serverKey });
    expect(none.data!.orders.edges).toEqual([]);
    const missing = await t.gql(OrdersByStoreOrderId, { storeOrderId: 'no-such-order' }, { key: a.serverKey });
    expect(missing.data!.orders.edges).toEqual([]);
  });

  it('lets a client key find only its own player’s order', async () => {
    const { token } = await t.app.services.auth.mintPlayerToken(a.appId, 'bob', 600);
    const creds = { key: a.clientKey, playerToken: token };
    const own = await t.gql(OrdersByStoreOrderId, { storeOrderId: 'GPA.5678' }, creds);
    expect(own.data!.orders.edges.map((e) => e.node.playerId)).toEqual(['bob']);
    const other = await t.gql(OrdersByStoreOrderId, { storeOrderId: 'GPA.1234' }, creds);
    expect(other.data!.orders.edges).toEqual([]);
  });

  it('counts revenue on the purchase day and refunds on the revocation day', async () => {
    const c = await t.createTenant('C');
    const shop = await openShop(t.app, c.appId);
    const day = 24 * 3600 * 1000;
    const threeDaysAgo = new Date(Date.now() - 3 * day);
    await buy(t.app, shop, 'p1', { amountMinor: 500n, currency: 'USD', purchasedAt: threeDaysAgo });
    const refunded = await buy(t.app, shop, 'p2', { amountMinor: 700n, currency: 'USD', purchasedAt: threeDaysAgo });
    await buy(t.app, shop, 'p3', { amountMinor: 900n, currency: 'CNY' });
    await t.app.services.fulfilment.revokeOrder(refunded.order.id, { at: new Date(), reason: 'refunded' });

    const result = await t.gql(OrderTotals, { days: 7, timeZone: 'UTC' }, { key: c.serverKey });
    const report = result.data!.orderTotals;
    if (report.__typename !== 'OrderTotalsReport') throw new Error(report.message);
    const isoDay = (d: Date) => d.toISOString().slice(0, 10);
    const byKey = new Map(report.rows.map((r) => [`${r.day}:${r.currency}`, r]));

    const then = byKey.get(`${isoDay(threeDaysAgo)}:USD`);
    expect(then).toMatchObject({ orders: 2, delivered: 1, revoked: 1, amountMinor: '500', refunds: 0, refundedAmountMinor: '0' });
    const today = byKey.get(`${isoDay(new Date())}:USD`);
    expect(today).toMatchObject({ orders: 0, delivered: 0, amountMinor: '0', refunds: 1, refundedAmountMinor: '700' });
    expect(byKey.get(`${isoDay(new Date())}:CNY`)).toMatchObject({ orders: 1, amountMinor: '900', refunds: 0 });

    // another app sees none of it
    const other = await t.gql(OrderTotals, { days: 7 }, { key: b.serverKey });
    const otherRows = other.data!.orderTotals.__typename === 'OrderTotalsReport' ? other.data!.orderTotals.rows : [];
    expect(otherRows.reduce((sum, r) => sum + r.refunds, 0)).toBe(0);
  });
});

// orderEvents and entitlementChanged over SSE (Yoga's default transport): live delivery,
// replay from a cursor with no gap and no duplicate at the seam, the order re-read at
// delivery time, filters, cursors and authorization.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, openShop, sseSubscribe, type Shop } from './helpers.js';
import { EntitlementChanged, LatestOrderEventId, OrderEvents } from './documents.js';

let t: TestApp;
let tenant: Tenant;
let shop: Shop;
const GRAPHQL = 'http://zerodrop.test/graphql';

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('live');
  shop = await openShop(t.app, tenant.appId);
});
afterAll(() => t.close());

const fetchApp = (request: Request) => t.app.fetch(request);
const latest = async (key = tenant.serverKey) => (await t.gql(LatestOrderEventId, {}, { key })).data!.latestOrderEventId;

describe('orderEvents over SSE', () => {
  it('delivers a committed purchase live, with its id and the order', async () => {
    const stream = await sseSubscribe(fetchApp, GRAPHQL, OrderEvents, {}, { key: tenant.serverKey });
    try {
      const { order } = await buy(t.app, shop, 'player-1');
      const result = await stream.next();
      expect(result.errors).toBeUndefined();
      const event = result.data!.orderEvents;
      expect(event).toMatchObject({
        type: 'ORDER_DELIVERED',
        playerId: 'player-1',
        order: { storeOrderId: order.storeOrderId, status: 'FINISHED', price: { amountMinor: '600', currency: 'USD' } },
      });
      expect(event.id).toMatch(/^\d+$/);
      expect(event.order!.entitlements).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });

  it('replays everything after a cursor, then continues live, each event exactly once', async () => {
    const cursor = await latest();
    const before = [];
    for (let i = 0; i < 5; i++) before.push((await buy(t.app, shop, `replay-${i}`)).order.storeOrderId);

    const stream = await sseSubscribe(fetchApp, GRAPHQL, OrderEvents, { after: cursor }, { key: tenant.serverKey });
    try {
      // Purchases racing the subscription start land on either side of the seam.
      const racing = Promise.all(Array.from({ length: 10 }, (_, i) => buy(t.app, shop, `race-${i}`)));
      const seen: string[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 15; i++) {
        const event = (await stream.next()).data!.orderEvents;
        seen.push(event.order!.storeOrderId);
        ids.push(event.id);
      }
      const raced = (await racing).map((r) => r.order.storeOrderId);
      expect(seen.slice(0, 5)).toEqual(before);
      expect(new Set(seen)).toEqual(new Set([...before, ...raced]));
      expect(new Set(ids).size).toBe(15);
      const after = await buy(t.app, shop, 'after-seam');
      expect((await stream.next()).data!.orderEvents.order!.storeOrderId).toBe(after.order.storeOrderId);
      expect(await stream.drain(300)).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it('resuming with the last id received misses nothing and repeats nothing', async () => {
    const cursor = await latest();
    const bought = [];
    for (let i = 0; i < 6; i++) bought.push((await buy(t.app, shop, `resume-${i}`)).order.storeOrderId);
    const first = await sseSubscribe(fetchApp, GRAPHQL, OrderEvents, { after: cursor }, { key: tenant.serverKey });
    const got: string[] = [];
    let last = cursor;
    for (let i = 0; i < 2; i++) {
      const event = (await first.next()).data!.orderEvents;
      got.push(event.order!.storeOrderId);
      last = event.id;
    }
    await first.close();
    const second = await sseSubscribe(fetchApp, GRAPHQL, OrderEvents, { after: last }, { key: tenant.serverKey });
    try {
      for (let i = 0; i < 4; i++) got.push((await second.next()).data!.orderEvents.order!.storeOrderId);
      expect(got).toEqual(bought);
      expect(await second.drain(200)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('carries the order as it is at delivery time, not as it was when the event was written', async () => {
    const cursor = await latest();
    const { order } = await buy(t.app, shop, 'revoked-later');
    await t.app.services.fulfilment.revokeOrder(order.id, { at: new Date(), reason: 'refund' });
    const stream = await sseSubscribe(fetchApp, GRAPHQL, OrderEvents, { after: cursor }, { key: tenant.serverKey });
    try {
      const delivered = (await stream.next()).data!.orderEvents;
      expect(delivered.type).toBe('ORDER_DELIVERED');
      expect(delivered.order!.status).toBe('REVOKED');
      const revoked = (await stream.next()).data!.orderEvents;
      expect(revoked).toMatchObject({ type: 'ORDER_REVOKED', data: { reason: 'refund', entitlementsRevoked: 1 } });
    } finally {
      await stream.close();
    }
  });

  it('filters by event type and player', async () => {
    const cursor = await latest();
    const { order: mine } = await buy(t.app, shop, 'filtered');
    await buy(t.app, shop, 'someone-else');
    await t.app.services.fulfilment.revokeOrder(mine.id, { at: new Date(), reason: 'chargeback' });
    const stream = await sseSubscribe(
      fetchApp,
      GRAPHQL,
      OrderEvents,
      { after: cursor, filter: { types: ['ORDER_REVOKED'], playerId: 'filtered' } },
      { key: tenant.serverKey },
    );
    try {
      expect((await stream.next()).data!.orderEvents).toMatchObject({ type: 'ORDER_REVOKED', playerId: 'filtered' });
      expect(await stream.drain(200)).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it('refuses a malformed cursor and a cursor of another app with typed errors', async () => {
    const other = await t.createTenant('other');
    const otherShop = await openShop(t.app, other.appId);
    await buy(t.app, otherShop, 'p');
    const foreign = await latest(other.serverKey);

    const res = await t.post(
      { query: 'subscription($after: ID) { orderEvents(after: $after) { id } }', variables: { after: foreign } },
      { key: tenant.serverKey },
    );
    const body = (await res.json()) as { errors?: { message: string; extensions: { code: string } }[] };
    expect(body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(body.errors?.[0]?.message).toBe(`Order event ${foreign} not found`);

    const bad = await t.post({ query: 'subscription { orderEvents(after: "abc") { id } }' }, { key: tenant.serverKey });
    const badBody = (await bad.json()) as { errors?: { extensions: { code: string } }[] };
    expect(badBody.errors?.[0]?.extensions.code).toBe('VALIDATION_FAILED');
  });

  it('is for server keys only', async () => {
    const token = (await t.app.services.auth.mintPlayerToken(tenant.appId, 'p1', 600)).token;
    const res = await t.post({ query: 'subscription { orderEvents { id } }' }, { key: tenant.clientKey, playerToken: token });
    const body = (await res.json()) as { errors?: { extensions: { code: string } }[] };
    expect(body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});

describe('entitlementChanged', () => {
  it("gives a client its own player's changes only, with the entitlements as they are now", async () => {
    const token = (await t.app.services.auth.mintPlayerToken(tenant.appId, 'client-player', 600)).token;
    const stream = await sseSubscribe(fetchApp, GRAPHQL, EntitlementChanged, {}, { key: tenant.clientKey, playerToken: token });
    try {
      await buy(t.app, shop, 'not-me');
      const { order } = await buy(t.app, shop, 'client-player');
      const change = (await stream.next()).data!.entitlementChanged;
      expect(change).toMatchObject({
        type: 'ORDER_DELIVERED',
        playerId: 'client-player',
        order: { storeOrderId: order.storeOrderId },
        entitlements: [{ kind: 'CONSUMABLE', quantity: 1, revokedAt: null, active: true }],
      });
      await t.app.services.fulfilment.revokeOrder(order.id, { at: new Date(), reason: 'refund' });
      const revoked = (await stream.next()).data!.entitlementChanged;
      expect(revoked).toMatchObject({ type: 'ORDER_REVOKED', entitlements: [{ active: false }] });
      expect(await stream.drain(200)).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it('refuses a client that names another player, and a server key that names none', async () => {
    const token = (await t.app.services.auth.mintPlayerToken(tenant.appId, 'client-player', 600)).token;
    const other = await t.post(
      { query: 'subscription { entitlementChanged(playerId: "someone-else") { id } }' },
      { key: tenant.clientKey, playerToken: token },
    );
    expect(((await other.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code).toBe('VALIDATION_FAILED');
    const none = await t.post({ query: 'subscription { entitlementChanged { id } }' }, { key: tenant.serverKey });
    expect(((await none.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code).toBe('VALIDATION_FAILED');
  });

  it('lets a game server follow one player, replaying from a cursor', async () => {
    const cursor = await latest();
    const { order } = await buy(t.app, shop, 'server-followed');
    const stream = await sseSubscribe(fetchApp, GRAPHQL, EntitlementChanged, { playerId: 'server-followed', after: cursor }, { key: tenant.serverKey });
    try {
      expect((await stream.next()).data!.entitlementChanged.order!.storeOrderId).toBe(order.storeOrderId);
    } finally {
      await stream.close();
    }
  });
});

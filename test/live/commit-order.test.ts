// Event ids come from a sequence, so a transaction can take a lower id and commit after
// one with a higher id. Feeds must not skip the late one: neither a live subscriber, nor
// one resuming from the id it last received, nor the webhook relay.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, openShop, sseSubscribe, type Shop } from './helpers.js';
import { LatestOrderEventId, OrderEvents } from './documents.js';

// Only PostgreSQL runs transactions side by side; embedded PGlite has one connection,
// so a second transaction waits for the first and the out-of-order case cannot occur.
const concurrentTransactions = Boolean(process.env.DATABASE_URL);

describe.skipIf(!concurrentTransactions)('an event that commits after a later-numbered one (PostgreSQL)', () => {
  let t: TestApp;
  let tenant: Tenant;
  let shop: Shop;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('commit-order');
    shop = await openShop(t.app, tenant.appId);
  });
  afterAll(() => t.close());

  /** Appends an event in a transaction that stays open until `release` is called. */
  async function openTransactionWithEvent(): Promise<{ eventId: bigint; release: () => Promise<void> }> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let appended!: (id: bigint) => void;
    const eventId = new Promise<bigint>((resolve) => (appended = resolve));
    const done = t.app.services.fulfilment.transaction(async (tx, events) => {
      const event = await events.append(tx, { appId: tenant.appId, orderId: null, playerId: 'slow', type: 'ORDER_ACK_FAILED', data: { slow: true } });
      appended(event.id);
      await held;
    });
    return {
      eventId: await eventId,
      release: async () => {
        release();
        await done;
      },
    };
  }

  it('holds the later event back until the earlier one commits, then delivers both in order', async () => {
    const cursor = (await t.gql(LatestOrderEventId, {}, { key: tenant.serverKey })).data!.latestOrderEventId;
    const stream = await sseSubscribe((r) => t.app.fetch(r), 'http://zerodrop.test/graphql', OrderEvents, { after: cursor }, { key: tenant.serverKey });
    try {
      const slow = await openTransactionWithEvent();
      const fast = await buy(t.app, shop, 'fast');
      const fastEvent = await t.app.db.prisma.orderEvent.findFirstOrThrow({ where: { orderId: fast.order.id } });
      expect(fastEvent.id).toBeGreaterThan(slow.eventId);

      // Committed but not deliverable yet: delivering it now would put the cursor past the slow one.
      expect(await stream.drain(500)).toEqual([]);
      expect((await t.gql(LatestOrderEventId, {}, { key: tenant.serverKey })).data!.latestOrderEventId).toBe(cursor);

      await slow.release();
      const first = (await stream.next()).data!.orderEvents;
      const second = (await stream.next()).data!.orderEvents;
      expect([first.id, second.id]).toEqual([slow.eventId.toString(), fastEvent.id.toString()]);

      // A client that stopped after the first resumes with exactly the second.
      const resumed = await sseSubscribe((r) => t.app.fetch(r), 'http://zerodrop.test/graphql', OrderEvents, { after: first.id }, { key: tenant.serverKey });
      try {
        expect((await resumed.next()).data!.orderEvents.id).toBe(second.id);
        expect(await resumed.drain(200)).toEqual([]);
      } finally {
        await resumed.close();
      }
    } finally {
      await stream.close();
    }
  });

  it('keeps the webhook relay from moving past an event that has not committed yet', async () => {
    await t.app.services.webhooks.createEndpoint(tenant.appId, { url: 'http://127.0.0.1:9/never-called' });
    const slow = await openTransactionWithEvent();
    const fast = await buy(t.app, shop, 'fast-2');
    await t.app.services.webhooks.relayOnce();
    const whileOpen = await t.app.db.prisma.webhookDelivery.findMany({ where: { appId: tenant.appId } });
    expect(whileOpen).toEqual([]);

    await slow.release();
    expect(await t.app.services.webhooks.relayOnce()).toBe(2);
    const queued = await t.app.db.prisma.webhookDelivery.findMany({ where: { appId: tenant.appId }, include: { event: true } });
    expect(new Set(queued.map((d) => d.event.orderId))).toEqual(new Set([null, fast.order.id]));
  });

  it('is not held back by a long transaction in another database of the cluster', async () => {
    const elsewhere = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('CREATE TEMP TABLE zd_long_running (x int)'); // takes a transaction id
      const cursor = (await t.gql(LatestOrderEventId, {}, { key: tenant.serverKey })).data!.latestOrderEventId;
      const stream = await sseSubscribe((r) => t.app.fetch(r), 'http://zerodrop.test/graphql', OrderEvents, { after: cursor }, { key: tenant.serverKey });
      try {
        const { order } = await buy(t.app, shop, 'not-held');
        expect((await stream.next(3_000)).data!.orderEvents.order!.storeOrderId).toBe(order.storeOrderId);
      } finally {
        await stream.close();
      }
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  });
});

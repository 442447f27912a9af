// Two ZeroDrop instances on one PostgreSQL and one Redis: events committed on one reach
// subscribers on the other, and webhooks go out once however many relays and workers run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, openShop, sleep, sseSubscribe, type Shop } from './helpers.js';
import { WebhookReceiver } from './receiver.js';
import { CreateWebhookEndpoint, LatestOrderEventId, OrderEvents } from './documents.js';

// Cross-instance fan-out needs a shared database and Redis; with PGlite (one process)
// or without REDIS_URL there is no second instance to reach.
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describe.skipIf(!shared)('two instances on one PostgreSQL and one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let tenant: Tenant;
  let shop: Shop;

  beforeAll(async () => {
    a = await createTestApp({}, { startWorker: true });
    // Instance B: its own connection pool, Redis clients and worker; the same database and master key.
    const url = a.database.url!;
    const db = await openDatabase({ databaseUrl: url, poolSize: 5 });
    b = await createTestApp({ ZERODROP_MASTER_KEY: a.env.ZERODROP_MASTER_KEY! }, { startWorker: true, database: { db, url, drop: () => db.close() } });
    tenant = await a.createTenant('two-instances');
    shop = await openShop(a.app, tenant.appId);
  });
  afterAll(async () => {
    await b.close();
    await b.database.drop();
    await a.close();
  });

  it('a purchase committed on A reaches a subscriber on B through Redis', async () => {
    const stream = await sseSubscribe((r) => b.app.fetch(r), 'http://b.test/graphql', OrderEvents, {}, { key: tenant.serverKey });
    try {
      // Past the feed's first seconds of fast polling, only a Redis message wakes B this quickly.
      await sleep(2_500);
      const { order } = await buy(a.app, shop, 'cross');
      const committed = performance.now();
      const event = (await stream.next(4_000)).data!.orderEvents;
      expect(event.order!.storeOrderId).toBe(order.storeOrderId);
      expect(performance.now() - committed).toBeLessThan(2_000);
    } finally {
      await stream.close();
    }
  });

  it('subscribers on both instances get every event of purchases made on both, once each', async () => {
    const cursor = (await a.gql(LatestOrderEventId, {}, { key: tenant.serverKey })).data!.latestOrderEventId;
    const onA = await sseSubscribe((r) => a.app.fetch(r), 'http://a.test/graphql', OrderEvents, { after: cursor }, { key: tenant.serverKey });
    const onB = await sseSubscribe((r) => b.app.fetch(r), 'http://b.test/graphql', OrderEvents, { after: cursor }, { key: tenant.serverKey });
    try {
      const bought = await Promise.all(Array.from({ length: 20 }, (_, i) => buy(i % 2 ? a.app : b.app, shop, `both-${i}`)));
      const expected = new Set(bought.map((r) => r.order.storeOrderId));
      for (const stream of [onA, onB]) {
        const got: string[] = [];
        for (let i = 0; i < 20; i++) got.push((await stream.next()).data!.orderEvents.order!.storeOrderId);
        expect(new Set(got)).toEqual(expected);
        expect(await stream.drain(200)).toEqual([]);
      }
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it('sends each webhook once while both instances relay and deliver', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const created = await a.gql(CreateWebhookEndpoint, { input: { url: receiver.url } }, { key: tenant.serverKey });
      expect(created.data?.createWebhookEndpoint.__typename).toBe('WebhookEndpointSecretPayload');
      await Promise.all(Array.from({ length: 10 }, (_, i) => buy(i % 2 ? a.app : b.app, shop, `hook-${i}`)));
      const until = Date.now() + 15_000;
      while (receiver.received.length < 10 && Date.now() < until) await sleep(50);
      await sleep(500); // a duplicate would arrive now
      const ids = receiver.received.map((r) => r.id);
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
    } finally {
      await receiver.down();
    }
  });
});

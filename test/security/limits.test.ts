// Issue 13 item 3: rate limits everywhere. graphql-ws connection_init and subscribe
// messages spend the same budgets as HTTP; sockets and subscriptions are capped per key
// and per address; sockets without credentials are closed; client-key traffic is
// budgeted per player (and per address without a player token) below the app-wide
// ceiling; failed authentication is throttled per address, with a negative cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { listen, sleep, sseSubscribe } from '../live/helpers.js';
import { OrderEvents } from '../live/documents.js';
import { bearer, randomAddress, rawSocket } from './helpers.js';

const ORDER_EVENTS = 'subscription { orderEvents { id } }';
const TYPENAME = { query: '{ __typename }' };

describe('rate limits and caps on every transport', () => {
  let t: TestApp;
  let tenant: Tenant;
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    t = await createTestApp({
      TRUST_PROXY_HOPS: '1', // tests pick their client address with X-Forwarded-For
      PLAYER_RATE_LIMIT_PER_MINUTE: '3',
      CLIENT_ADDRESS_RATE_LIMIT_PER_MINUTE: '2',
      AUTH_FAILURES_PER_MINUTE: '3',
      LIVE_CONNECTIONS_PER_KEY: '2',
      LIVE_CONNECTIONS_PER_ADDRESS: '3',
      LIVE_SUBSCRIPTIONS_PER_KEY: '2',
      LIVE_SUBSCRIPTIONS_PER_ADDRESS: '3',
      WS_CONNECTION_INIT_TIMEOUT_MS: '1500', // generous: a loaded machine may take a while to read a connection_init
    });
    tenant = await t.createTenant('limits');
    server = await listen(t.app);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  const from = (address: string) => ({ 'x-forwarded-for': address });
  const serverKey = async () => (await t.app.services.apps.createApiKey(tenant.appId, { role: 'SERVER', name: 'limits' })).secret;

  it("spends the key's HTTP budget on graphql-ws connection_init and on every subscribe", async () => {
    const tight = await t.app.services.apps.createApp({ name: 'tight', rateLimitPerMinute: 4 }, 600);
    const address = randomAddress();
    expect((await t.post(TYPENAME, { key: tight.serverKey, headers: from(address) })).status).toBe(200); // 1
    const socket = rawSocket(server.wsUrl, bearer(tight.serverKey), address); // 2
    await socket.acked;
    socket.subscribe('a', ORDER_EVENTS); // 3
    socket.subscribe('b', ORDER_EVENTS); // 4
    socket.subscribe('c', ORDER_EVENTS); // over budget
    const refused = await socket.message('c', 15_000);
    expect(refused.type).toBe('error');
    expect(JSON.stringify(refused.payload)).toContain('RATE_LIMITED');
    const http = await t.post(TYPENAME, { key: tight.serverKey, headers: from(address) });
    expect(http.status).toBe(429);
    expect(Number(http.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    socket.close();
  });

  it('caps open sockets per key (4429) and per address', async () => {
    const key = await serverKey();
    const first = rawSocket(server.wsUrl, bearer(key), randomAddress());
    const second = rawSocket(server.wsUrl, bearer(key), randomAddress());
    await Promise.all([first.acked, second.acked]);
    const third = rawSocket(server.wsUrl, bearer(key), randomAddress());
    expect(await third.closed).toMatchObject({ code: 4429, reason: 'Too many open connections for this API key (limit 2)' });
    first.close();
    await first.closed;
    await sleep(50);
    const again = rawSocket(server.wsUrl, bearer(key), randomAddress());
    await again.acked; // the place freed by the closed socket

    const address = randomAddress();
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const socket = rawSocket(server.wsUrl, bearer(await serverKey()), address);
      await socket.acked;
      sockets.push(socket);
    }
    const over = rawSocket(server.wsUrl, bearer(await serverKey()), address);
    expect(await over.closed).toMatchObject({ code: 4429, reason: 'Too many open connections from this address (limit 3)' });
    for (const socket of [second, again, ...sockets]) socket.close();
  });

  /** Waits (a loaded machine may be slow) until the key holds `count` running subscriptions. */
  async function untilSubscriptions(keyId: string, count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (t.app.guard.openSessionsOfKey('subscription', keyId) !== count) {
      if (Date.now() > deadline) throw new Error(`key never held ${count} subscriptions (holds ${t.app.guard.openSessionsOfKey('subscription', keyId)})`);
      await sleep(20);
    }
  }

  it('caps running subscriptions per key across SSE and graphql-ws, and per address', async () => {
    const { secret: key, apiKey } = await t.app.services.apps.createApiKey(tenant.appId, { role: 'SERVER', name: 'limits' });
    const sse = await sseSubscribe(t.app.fetch, 'http://zerodrop.test/graphql', OrderEvents, {}, { key, headers: from(randomAddress()) });
    const socket = rawSocket(server.wsUrl, bearer(key), randomAddress());
    await socket.acked;
    socket.subscribe('ws', ORDER_EVENTS);
    await untilSubscriptions(apiKey.id, 2);
    const third = await sseSubscribe(t.app.fetch, 'http://zerodrop.test/graphql', OrderEvents, {}, { key, headers: from(randomAddress()) });
    const refused = await third.next(10_000);
    expect(refused.errors?.[0]).toMatchObject({
      message: 'Too many open subscriptions for this API key (limit 2)',
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
    await sse.close();
    await untilSubscriptions(apiKey.id, 1);
    const afterClose = await sseSubscribe(t.app.fetch, 'http://zerodrop.test/graphql', OrderEvents, {}, { key, headers: from(randomAddress()) });
    expect(await afterClose.drain(300)).toEqual([]); // running, nothing refused
    await afterClose.close();
    socket.close();

    const address = randomAddress();
    const streams = [];
    for (let i = 0; i < 3; i++) {
      streams.push(await sseSubscribe(t.app.fetch, 'http://zerodrop.test/graphql', OrderEvents, {}, { key: await serverKey(), headers: from(address) }));
    }
    const over = await sseSubscribe(t.app.fetch, 'http://zerodrop.test/graphql', OrderEvents, {}, { key: await serverKey(), headers: from(address) });
    expect((await over.next(10_000)).errors?.[0]?.message).toBe('Too many open subscriptions from this address (limit 3)');
    for (const stream of streams) await stream.close();
  });

  it('closes sockets that send no connection_init (4408) and refuses one without credentials (4403)', async () => {
    const silent = rawSocket(server.wsUrl, null);
    expect((await silent.closed).code).toBe(4408);
    const anonymous = rawSocket(server.wsUrl, {});
    const closed = await anonymous.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toContain('Authorization: Bearer zd_sk_');
  });

  it('budgets client-key calls per player and, without a player token, per address', async () => {
    const token = async (player: string) => (await t.app.services.auth.mintPlayerToken(tenant.appId, player, 600)).token;
    const alice = await token(`alice-${randomAddress()}`);
    const bob = await token(`bob-${randomAddress()}`);
    const address = randomAddress();
    for (let i = 0; i < 3; i++) expect((await t.post(TYPENAME, { key: tenant.clientKey, playerToken: alice, headers: from(address) })).status).toBe(200);
    const limited = await t.post(TYPENAME, { key: tenant.clientKey, playerToken: alice, headers: from(randomAddress()) });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/for this player; retry in \d+s/);
    // another player of the same app keeps its own budget
    expect((await t.post(TYPENAME, { key: tenant.clientKey, playerToken: bob, headers: from(address) })).status).toBe(200);

    const anonymousAddress = randomAddress();
    for (let i = 0; i < 2; i++) expect((await t.post(TYPENAME, { key: tenant.clientKey, headers: from(anonymousAddress) })).status).toBe(200);
    expect((await t.post(TYPENAME, { key: tenant.clientKey, headers: from(anonymousAddress) })).status).toBe(429);
    expect((await t.post(TYPENAME, { key: tenant.clientKey, headers: from(randomAddress()) })).status).toBe(200);
  });

  it("keeps the app-wide ceiling: the client key's own budget caps all its players together", async () => {
    const small = await t.app.services.apps.createApp({ name: 'ceiling', rateLimitPerMinute: 4 }, 600);
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const { token } = await t.app.services.auth.mintPlayerToken(small.app.id, `player-${i}`, 600);
      statuses.push((await t.post(TYPENAME, { key: small.clientKey, playerToken: token, headers: from(randomAddress()) })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('throttles failed authentication per address (429 + Retry-After), on HTTP and graphql-ws', async () => {
    const address = randomAddress();
    for (let i = 0; i < 3; i++) {
      const res = await t.post(TYPENAME, { key: `zd_sk_made-up-${i}`, headers: from(address) });
      expect(res.status).toBe(401);
    }
    const throttled = await t.post(TYPENAME, { key: tenant.serverKey, headers: from(address) });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await throttled.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/Too many failed authentications/);
    const socket = rawSocket(server.wsUrl, bearer(tenant.serverKey), address);
    expect((await socket.closed).code).toBe(4429);
    // other addresses are not affected
    expect((await t.post(TYPENAME, { key: tenant.serverKey, headers: from(randomAddress()) })).status).toBe(200);
  });
});

describe('negative cache for unknown keys', () => {
  it('looks an unknown key up once per cache period, however often it is sent', async () => {
    let keyLookups = 0;
    const database = await createTestDatabase({
      onQuery: (statement) => {
        if (/^\s*SELECT[\s\S]*"ApiKey"/.test(statement.sql)) keyLookups++;
      },
    });
    const t = await createTestApp({ API_KEY_CACHE_MS: '60000' }, { database });
    try {
      const unknown = 'zd_sk_this-key-was-never-issued-000000000';
      for (let i = 0; i < 10; i++) expect((await t.post(TYPENAME, { key: unknown })).status).toBe(401);
      expect(keyLookups).toBe(1);
    } finally {
      await t.close();
      await database.drop();
    }
  });
});

// The same subscriptions over graphql-ws on a real HTTP server, authenticated through
// connectionParams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, listen, openShop, wsClient, wsSubscribe, type Shop } from './helpers.js';
import { EntitlementChanged, LatestOrderEventId, OrderEvents } from './documents.js';

let t: TestApp;
let tenant: Tenant;
let shop: Shop;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('ws');
  shop = await openShop(t.app, tenant.appId);
  server = await listen(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

describe('subscriptions over graphql-ws', () => {
  it('streams orderEvents live and replays from a cursor', async () => {
    const client = wsClient(server.wsUrl, { key: tenant.serverKey });
    try {
      const cursor = (await t.gql(LatestOrderEventId, {}, { key: tenant.serverKey })).data!.latestOrderEventId;
      const earlier = await buy(t.app, shop, 'ws-player');
      const stream = wsSubscribe(client, OrderEvents, { after: cursor });
      const replayed = (await stream.next()).data!.orderEvents;
      expect(replayed).toMatchObject({ type: 'ORDER_DELIVERED', order: { storeOrderId: earlier.order.storeOrderId } });
      const live = await buy(t.app, shop, 'ws-player');
      expect((await stream.next()).data!.orderEvents.order!.storeOrderId).toBe(live.order.storeOrderId);
      await stream.close();
    } finally {
      await client.dispose();
    }
  });

  it('authenticates a player from connectionParams and scopes entitlementChanged to that player', async () => {
    const { token } = await t.app.services.auth.mintPlayerToken(tenant.appId, 'ws-client', 600);
    const client = wsClient(server.wsUrl, { key: tenant.clientKey, playerToken: token });
    try {
      // Starting after the current cursor makes the purchases below arrive however long the subscribe takes.
      const cursor = (await t.gql(LatestOrderEventId, {}, { key: tenant.clientKey, playerToken: token })).data!.latestOrderEventId;
      const stream = wsSubscribe(client, EntitlementChanged, { after: cursor });
      await buy(t.app, shop, 'someone-else');
      const mine = await buy(t.app, shop, 'ws-client');
      const change = (await stream.next()).data!.entitlementChanged;
      expect(change).toMatchObject({ playerId: 'ws-client', order: { storeOrderId: mine.order.storeOrderId } });
      const forbidden = wsSubscribe(client, OrderEvents, {});
      expect((await forbidden.next()).errors?.[0]).toMatchObject({ message: 'Not authorized to access Subscription.orderEvents', extensions: { code: 'FORBIDDEN' } });
      await stream.close();
    } finally {
      await client.dispose();
    }
  });

  it('closes the socket with 4403 for a bad key', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: 'Bearer zd_sk_not-a-key' } })));
    expect(await closed).toBe(4403);
  });
});

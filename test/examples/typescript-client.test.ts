// The TypeScript client example (examples/typescript-client) against a real ZeroDrop server:
// HTTP for queries and mutations, graphql-ws for entitlementChanged, a purchase signed by the
// fake Huawei. Keeps the example compiling (typed documents from schema.graphql) and working.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerAdapter } from '@whatwg-node/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZeroDropClient } from '../../examples/typescript-client/src/client.js';
import { buyAndWatch, recoverAtStart, type FinishParams } from '../../examples/typescript-client/src/purchase-loop.js';
import { attachGraphqlWs } from '../../src/http/graphql-ws.js';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { createHuaweiAccount, createProduct } from '../huawei/setup.js';

const MintPlayerToken = graphql(`
  mutation ExampleTestPlayerToken($input: CreatePlayerTokenInput!) {
    createPlayerToken(input: $input) {
      __typename
      ... on CreatePlayerTokenPayload { token }
    }
  }
`);

let t: TestApp;
let fake: FakeHuawei;
let tenant: Tenant;
let server: Server;
let closeWs: () => Promise<void>;
let url: string;

beforeAll(async () => {
  [t, fake] = await Promise.all([createTestApp(), FakeHuawei.start()]);
  tenant = await t.createTenant('example');
  // No server credentials: the client finishes with the store (the full loop).
  await createHuaweiAccount(t, tenant, fake, { withCredentials: false });
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  server = createServer(createServerAdapter(t.app.fetch));
  const ws = attachGraphqlWs(server, t.app);
  closeWs = () => ws.close();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await closeWs?.();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
  await fake?.close();
});

async function playerClient(playerId: string): Promise<ZeroDropClient> {
  const minted = await t.gql(MintPlayerToken, { input: { playerId } }, { key: tenant.serverKey });
  const payload = minted.data?.createPlayerToken;
  if (payload?.__typename !== 'CreatePlayerTokenPayload') throw new Error(JSON.stringify(minted));
  return new ZeroDropClient({ url, clientKey: tenant.clientKey, playerToken: payload.token });
}

describe('examples/typescript-client', () => {
  it('buys, finishes with the store, confirms, and sees the grant on entitlementChanged', async () => {
    const client = await playerClient('player-example');
    const { purchaseData, payload } = await fake.signPurchase();
    const storeFinishes: FinishParams[] = [];
    try {
      const result = await buyAndWatch({ client, purchaseData, finishWithStore: async (params) => void storeFinishes.push(params) });
      expect(result).toMatchObject({ newlyDelivered: true, finishedByClient: true });
      expect(result.change).toMatchObject({
        playerId: 'player-example',
        order: { id: result.orderId, storeOrderId: payload.purchaseOrderId },
        entitlements: [{ kind: 'CONSUMABLE', quantity: 100, active: true, product: { sku: 'gems_100' } }],
      });
      expect(storeFinishes).toEqual([{ productType: 0, purchaseToken: payload.purchaseToken, purchaseOrderId: payload.purchaseOrderId }]);
      const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId: String(payload.purchaseOrderId) } });
      expect(order.status).toBe('FINISHED');

      // The next start re-sends what the store still lists: nothing is granted twice.
      const items = await recoverAtStart(client, [purchaseData], async (params) => void storeFinishes.push(params));
      expect(items).toMatchObject([{ index: 0, newlyDelivered: false, order: { id: result.orderId } }]);
      expect(await t.app.db.prisma.entitlement.count({ where: { orderId: order.id } })).toBe(1);
    } finally {
      await client.close();
    }
  });
});

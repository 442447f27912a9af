// now.gg web-shop payments whose callback named no player: listed per app (keyset pages),
// and assigned to a player exactly once, even under 20 concurrent assignments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createNowggAccount, createProduct, sendWebhook, type NowggAccountIds } from './setup.js';

const Unmatched = graphql(`
  query NowggUnmatched($first: Int, $after: String) {
    nowggUnmatchedPayments(first: $first, after: $after) {
      edges { cursor node { id storeOrderId storeProductId amountMinor currency storeAccount { accountId } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const Assign = graphql(`
  mutation NowggAssign($input: AssignNowggWebshopPaymentInput!) {
    assignNowggWebshopPayment(input: $input) {
      __typename
      ... on AssignNowggWebshopPaymentPayload { order { id status playerId storeOrderId entitlements { kind quantity } } }
      ... on Error { code message }
    }
  }
`);

let fake: FakeNowgg;
let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let account: NowggAccountIds;

beforeAll(async () => {
  fake = await FakeNowgg.start();
  t = await createTestApp();
  tenant = await t.createTenant('nowgg-webshop');
  account = await createNowggAccount(t, tenant, fake);
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  other = await t.createTenant('nowgg-webshop-other');
  await createNowggAccount(t, other, fake);
}, 120_000);
afterAll(async () => {
  await t.close();
  await fake.close();
});

async function unmatchedWebshopPayment(orderId: string): Promise<void> {
  const res = await sendWebhook(t, account.webhookPath, {
    notificationType: 'WEBSHOP_ITEM_PURCHASED',
    data: { orderId, packageName: 'gg.now.sample.app', productId: 'gems_100', eventTime: Date.now(), paymentId: `pay-${orderId}`, amount: 4.99, currency: 'USD' },
  });
  expect(res.status).toBe(200);
}

const list = (who: Tenant, first = 50, after?: string) =>
  t.gql(Unmatched, { first, ...(after ? { after } : {}) }, { key: who.serverKey }).then((res) => res.data!.nowggUnmatchedPayments);

describe('unmatched now.gg web-shop payments', () => {
  it('are listed for their app only, oldest first, in keyset pages', async () => {
    for (const orderId of ['ws-page-1', 'ws-page-2', 'ws-page-3']) await unmatchedWebshopPayment(orderId);
    const first = await list(tenant, 2);
    expect(first.edges.map((e) => e.node.storeOrderId)).toEqual(['ws-page-1', 'ws-page-2']);
    expect(first.edges[0]!.node).toMatchObject({ storeProductId: 'gems_100', amountMinor: '499', currency: 'USD', storeAccount: { accountId: account.accountId } });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await list(tenant, 2, first.pageInfo.endCursor!);
    expect(second.edges.map((e) => e.node.storeOrderId)).toEqual(['ws-page-3']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect((await list(other)).edges).toEqual([]);
  });

  it('is assigned exactly once under 20 concurrent assignments; the rest get ConflictError', async () => {
    await unmatchedWebshopPayment('ws-race');
    const payment = (await list(tenant)).edges.find((e) => e.node.storeOrderId === 'ws-race')!.node;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(Assign, { input: { paymentId: payment.id, playerId: `player-${i}` } }, { key: tenant.serverKey }).then((r) => r.data!.assignNowggWebshopPayment),
      ),
    );
    const granted = results.filter((r) => r.__typename === 'AssignNowggWebshopPaymentPayload');
    expect(granted).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'ConflictError')).toHaveLength(19);
    const winner = granted[0]!;
    if (winner.__typename !== 'AssignNowggWebshopPaymentPayload') throw new Error('unreachable');
    expect(winner.order).toMatchObject({ status: 'FINISHED', storeOrderId: 'ws-race', entitlements: [{ kind: 'CONSUMABLE', quantity: 100 }] });

    const orders = await t.app.db.prisma.order.findMany({ where: { storeOrderId: 'ws-race' } });
    expect(orders).toHaveLength(1);
    expect(await t.app.db.prisma.entitlement.count({ where: { orderId: orders[0]!.id } })).toBe(1);
    expect((await list(tenant)).edges.map((e) => e.node.storeOrderId)).not.toContain('ws-race');

    // later: the same assignment again is still a conflict, nothing written
    const before = await t.app.db.prisma.entitlement.count();
    const again = await t.gql(Assign, { input: { paymentId: payment.id, playerId: winner.order.playerId } }, { key: tenant.serverKey });
    expect(again.data?.assignNowggWebshopPayment).toMatchObject({ __typename: 'ConflictError' });
    expect(await t.app.db.prisma.entitlement.count()).toBe(before);
  });

  it("another app cannot see or assign the payment; unknown ids are NotFoundError", async () => {
    await unmatchedWebshopPayment('ws-foreign');
    const payment = (await list(tenant)).edges.find((e) => e.node.storeOrderId === 'ws-foreign')!.node;
    const foreign = await t.gql(Assign, { input: { paymentId: payment.id, playerId: 'thief' } }, { key: other.serverKey });
    expect(foreign.data?.assignNowggWebshopPayment).toMatchObject({ __typename: 'NotFoundError' });
    const unknown = await t.gql(Assign, { input: { paymentId: 'not-a-payment', playerId: 'p' } }, { key: tenant.serverKey });
    expect(unknown.data?.assignNowggWebshopPayment).toMatchObject({ __typename: 'NotFoundError' });
    expect(await t.app.db.prisma.order.count({ where: { storeOrderId: 'ws-foreign' } })).toBe(0);
  });
});

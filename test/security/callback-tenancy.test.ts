// Tenant isolation in store callbacks (issue 13 item 5): a callback is matched against the
// receiving account's own app only. Another tenant creating goods with the same goods id
// must never get a paid callback refused or lost. (Huawei notifications and now.gg
// webhooks look orders up by the receiving store account and products by its app —
// src/fulfilment/fulfilment.ts — so only Huya's goods check had crossed apps.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { callbackFields, createHuyaAccount, createPrepaidGoods, createRevenueGoods, postCallback, type HuyaAccountIds } from '../huya/setup.js';

let t: TestApp;
let victim: Tenant;
let attacker: Tenant;
let account: HuyaAccountIds;

beforeAll(async () => {
  t = await createTestApp();
  victim = await t.createTenant('victim');
  attacker = await t.createTenant('attacker');
  account = await createHuyaAccount(t, victim);
});
afterAll(() => t.close());

const ordersOf = (appId: string) => t.app.db.prisma.order.findMany({ where: { appId } });

describe('a Huya payment callback', () => {
  it('is recorded for the receiving app when another tenant has goods with that goods id and the app has none yet', async () => {
    await createPrepaidGoods(t, attacker, 'shared-goods-a');
    const fields = callbackFields({ goodsUuid: 'shared-goods-a', profileId: 'streamer-1', expenseLevel: '1' });
    const res = await postCallback(t, account.webhookPath, fields);
    // Paid and kept: it waits for the victim's own product instead of being refused.
    expect(res).toMatchObject({ status: 200, body: { success: true, status: 'AWAITING_PRODUCT' } });

    await createPrepaidGoods(t, victim, 'shared-goods-a');
    const [order] = (await ordersOf(victim.appId)).filter((o) => o.storeOrderId === fields.orderId);
    expect(order).toMatchObject({ storeProductId: 'shared-goods-a', playerId: 'streamer-1' });
    expect(order!.status).not.toBe('AWAITING_PRODUCT'); // delivered once the product exists
    expect(await ordersOf(attacker.appId)).toEqual([]);
  });

  it('is delivered when another tenant has goods of another type with the same goods id', async () => {
    await createPrepaidGoods(t, victim, 'shared-goods-b');
    await createRevenueGoods(t, attacker, 'shared-goods-b');
    const fields = callbackFields({ goodsUuid: 'shared-goods-b', profileId: 'streamer-2', expenseLevel: '2' });
    expect(await postCallback(t, account.webhookPath, fields)).toMatchObject({ status: 200, body: { success: true, status: 'FINISHED' } });
    expect(await ordersOf(attacker.appId)).toEqual([]);
  });
});

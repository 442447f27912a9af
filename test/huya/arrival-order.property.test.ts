// A streamer's access to prepaid goods depends only on the set of paid orders, not on the
// order their callbacks arrive in. The rule (docs/huya.md): replay the orders by orderTime
// (ties by orderId); each extends access from the current end if that is after its order
// time, else from its order time. Checked through the real callback endpoint.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { DAY_MS, callbackFields, createHuyaAccount, createPrepaidGoods, expireOf, postCallback, toSecond, type HuyaAccountIds } from './setup.js';

const GOODS = 'goods-arrival';
const LEVEL_DAYS: Record<string, number> = { '1': 7, '2': 30 };

let t: TestApp;
let tenant: Tenant;
let account: HuyaAccountIds;
let streamers = 0;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('huya-arrival');
  account = await createHuyaAccount(t, tenant);
  await createPrepaidGoods(t, tenant, GOODS, [
    { level: '1', days: 7 },
    { level: '2', days: 30 },
  ]);
}, 120_000);
afterAll(() => t.close());

interface PaidOrder {
  orderId: string;
  orderedAt: Date;
  level: '1' | '2';
}

/** The rule, written independently of the code under test. */
function expectedEnd(orders: readonly PaidOrder[]): number {
  const byTime = [...orders].sort((a, b) => a.orderedAt.getTime() - b.orderedAt.getTime() || a.orderId.localeCompare(b.orderId));
  let end = -1;
  for (const order of byTime) end = Math.max(end, order.orderedAt.getTime()) + LEVEL_DAYS[order.level]! * DAY_MS;
  return end;
}

async function deliver(profileId: string, arrival: readonly PaidOrder[]): Promise<number> {
  for (const order of arrival) {
    const res = await postCallback(
      t,
      account.webhookPath,
      callbackFields({ goodsUuid: GOODS, profileId, orderId: order.orderId, orderedAt: order.orderedAt, expenseLevel: order.level }),
    );
    if (res.status !== 200) throw new Error(`callback refused: ${JSON.stringify(res)}`);
  }
  return expireOf(t, tenant, GOODS, profileId);
}

describe('Huya prepaid access is independent of callback arrival order', () => {
  it('the case from the issue: two callbacks in reverse order give the same end', async () => {
    const now = Date.now();
    const early: PaidOrder = { orderId: 'issue-early', orderedAt: toSecond(new Date(now - 40 * DAY_MS)), level: '2' };
    const late: PaidOrder = { orderId: 'issue-late', orderedAt: toSecond(new Date(now - 5 * DAY_MS)), level: '1' };
    const renamed = (order: PaidOrder, suffix: string): PaidOrder => ({ ...order, orderId: `${order.orderId}-${suffix}` });
    const inOrder = await deliver('streamer-issue-a', [renamed(early, 'a'), renamed(late, 'a')]);
    const reversed = await deliver('streamer-issue-b', [renamed(late, 'b'), renamed(early, 'b')]);
    // 30 days from day −40 lapse on day −10; the gap stays a gap: 7 days from day −5.
    expect(inOrder).toBe(late.orderedAt.getTime() + 7 * DAY_MS);
    expect(reversed).toBe(inOrder);
  });

  it('property: any arrival permutation of a set of paid orders gives the replayed end', async () => {
    const now = toSecond(new Date()).getTime();
    const orderArb = fc.record({
      // within the last 90 days, whole seconds; collisions of orderTime are allowed (ties by orderId)
      minutesAgo: fc.integer({ min: 1, max: 90 * 24 * 60 }),
      level: fc.constantFrom<'1' | '2'>('1', '2'),
    });
    const scenario = fc
      .array(orderArb, { minLength: 2, maxLength: 4 })
      .chain((orders) => fc.tuple(fc.constant(orders), fc.shuffledSubarray(orders.map((_, i) => i), { minLength: orders.length, maxLength: orders.length })));
    await fc.assert(
      fc.asyncProperty(scenario, async ([generated, permutation]) => {
        streamers += 1;
        const profileId = `streamer-prop-${streamers}`;
        const orders: PaidOrder[] = generated.map((o, i) => ({
          orderId: `prop-${streamers}-${i}`,
          orderedAt: new Date(now - o.minutesAgo * 60_000),
          level: o.level,
        }));
        const end = await deliver(profileId, permutation.map((i) => orders[i]!));
        expect(end).toBe(expectedEnd(orders));
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});

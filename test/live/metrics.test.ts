// GET /metrics: Prometheus text, scraped with the metrics token only; a purchase, a
// verification failure, a store acknowledgement and a refund move the counters, and the
// task backlog gauges read the database at scrape time.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createHuaweiAccount, createProduct, drainWorker, FinishPurchase } from '../huawei/setup.js';

const TOKEN = 'metrics-token-0123456789abcdef';

let fake: FakeHuawei;
let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  fake = await FakeHuawei.start();
  t = await createTestApp({ METRICS_TOKEN: TOKEN });
  tenant = await t.createTenant('metrics');
  await createHuaweiAccount(t, tenant, fake, { withCredentials: true });
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const scrape = async (): Promise<string> => {
  const res = await t.app.fetch(new Request('http://zd.test/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};

/** The value of one series (0 when absent), e.g. value(text, 'zerodrop_purchases_total', { store: 'HUAWEI' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, v]) => line.includes(`${key}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('GET /metrics', () => {
  it('answers only with the metrics token', async () => {
    const none = await t.app.fetch(new Request('http://zd.test/metrics'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await t.app.fetch(new Request('http://zd.test/metrics', { headers: { authorization: 'Bearer not-the-token-at-all' } }));
    expect(wrong.status).toBe(401);
    expect(await scrape()).toContain('# TYPE zerodrop_purchases_total counter');
  });

  it('is not served on the API port without a token', async () => {
    const plain = await createTestApp({}, { database: t.database });
    try {
      expect((await plain.app.fetch(new Request('http://zd.test/metrics'))).status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it('counts purchases, verification failures, acknowledgements, task attempts, refunds and requests', async () => {
    const before = await scrape();
    const purchase = await fake.signPurchase();
    const res = await t.gql(FinishPurchase, { input: { purchaseData: purchase.purchaseData, playerId: 'p-1' } }, { key: tenant.serverKey });
    expect(res.data?.finishPurchase).toMatchObject({ __typename: 'HuaweiDelivery' });
    const malformed = await t.gql(FinishPurchase, { input: { purchaseData: '{"jwsPurchaseOrder": 42}', playerId: 'p-1' } }, { key: tenant.serverKey });
    expect(malformed.data?.finishPurchase).toMatchObject({ code: 'MALFORMED_PURCHASE' });

    // the confirmation waits as a task: the backlog shows it
    const waiting = await scrape();
    expect(value(waiting, 'zerodrop_tasks_pending', { kind: 'store.ack' })).toBeGreaterThanOrEqual(1);
    expect(value(waiting, 'zerodrop_tasks_oldest_pending_age_seconds', { kind: 'store.ack' })).toBeGreaterThanOrEqual(0);

    await drainWorker(t, async () => (await t.app.db.prisma.order.count({ where: { appId: tenant.appId, finishedAt: { not: null } } })) === 1);
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { appId: tenant.appId } });
    await t.app.services.fulfilment.revokeOrder(order.id, { at: new Date(), reason: 'refund' });

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(moved('zerodrop_purchases_total', { store: 'HUAWEI', outcome: 'delivered' })).toBe(1);
    expect(moved('zerodrop_purchases_total', { store: 'HUAWEI', outcome: 'revoked' })).toBe(1);
    expect(moved('zerodrop_purchase_verification_failures_total', { code: 'MALFORMED_PURCHASE' })).toBe(1);
    expect(moved('zerodrop_store_ack_attempts_total', { store: 'HUAWEI', outcome: 'acknowledged' })).toBe(1);
    expect(moved('zerodrop_store_call_duration_seconds_count', { store: 'HUAWEI', operation: 'acknowledge', outcome: 'ok' })).toBe(1);
    expect(moved('zerodrop_task_attempts_total', { kind: 'store.ack', outcome: 'ok' })).toBe(1);
    expect(moved('zerodrop_graphql_operation_duration_seconds_count', { type: 'mutation' })).toBe(2);
    expect(moved('zerodrop_http_request_duration_seconds_count', { route: '/graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(value(after, 'zerodrop_tasks_pending', { kind: 'store.ack' })).toBe(0);
    expect(after).toContain('zerodrop_live_subscriptions 0');
    expect(after).toContain('zerodrop_webhook_delivery_lag_seconds 0');
    expect(after).toContain('zerodrop_process_cpu_seconds_total');
    if (t.app.db.kind === 'postgres') expect(value(after, 'zerodrop_database_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  });

  it('docs/grafana-dashboard.json charts only series this server exports', async () => {
    const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const used = new Set([...dashboard.matchAll(/zerodrop_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')));
    const exported = new Set([...(await scrape()).matchAll(/^# TYPE (zerodrop_[a-z_]+) /gm)].map(([, name]) => name!));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(12);
  });
});

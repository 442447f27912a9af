// Race: the same purchase submitted concurrently many times across both server
// instances (sharing PostgreSQL), at each store. One order, one grant, one ORDER_DELIVERED
// event, and every answer identical. Client-finish accounts keep the order's status
// still, so the answers can be compared whole; Huya's answer is its callback's 200 body.
import { failureLabel, sleep, type Outcome } from '../lib/api.js';
import type { Harness, ScenarioResult } from '../lib/harness.js';
import { seconds } from '../lib/harness.js';
import {
  consumeNowggPurchase,
  createTenant,
  finishHuaweiPurchase,
  huaweiDriver,
  huyaDriver,
  nowggClientFinishAccount,
  type StoreName,
  type Tenant,
} from '../lib/stores.js';

interface RaceOutcome {
  store: StoreName;
  submissions: number;
  attempts: number;
  distinctAnswers: number;
  orders: number;
  grants: number;
  deliveredEvents: number;
  /** now.gg: answers that said newlyDelivered (exactly one may). */
  newlyDelivered?: number;
  /** Failed attempts (retried) by kind. */
  failures: Record<string, number>;
  problems: string[];
}

export async function raceScenario(harness: Harness): Promise<ScenarioResult> {
  const started = Date.now();
  const urls = harness.urls();
  const tenant = await createTenant(urls[0]!, harness.adminToken, 'chaos-race');
  const submissions = harness.settings.race.submissions;
  harness.log(`race: the same purchase ${submissions} times at once across ${urls.length} instances, per store`);

  const huawei = await huaweiDriver(harness.huawei.fake, harness.huawei.proxy.baseUrl, urls[0]!, tenant, {
    withCredentials: false,
    nonConsumableShare: 0,
  });
  const huaweiPurchase = await huawei.newPurchase(0);
  const huaweiRace = await race(harness, tenant, 'HUAWEI', submissions, (url) =>
    finishHuaweiPurchase(url, tenant, huaweiPurchase.purchaseData, huaweiPurchase.playerId),
  );

  await nowggClientFinishAccount(harness.nowgg.fake, harness.nowgg.proxy.baseUrl, urls[0]!, tenant);
  const purchaseToken = harness.nowgg.fake.addPurchase({ productId: 'coins_50', type: 'amazon', currency: 'USD', amount: '0.99' });
  const nowggRace = await race(harness, tenant, 'NOWGG', submissions, (url) =>
    consumeNowggPurchase(url, tenant, { purchaseToken, productId: 'coins_50', currency: 'USD', type: 'AMAZON', playerId: 'racer-ng' }),
  );

  const huya = await huyaDriver(urls[0]!, tenant);
  const huyaPurchase = await huya.newPurchase(0);
  const huyaRace = await race(harness, tenant, 'HUYA', submissions, async (url) => {
    const sent = await huya.deliver(huyaPurchase, url);
    if (!sent.ok) return sent;
    const { status, text } = sent.value;
    return status === 200
      ? { ok: true, value: JSON.parse(text) as Record<string, unknown> }
      : { ok: false, failure: { kind: 'http', retryable: status >= 500, status, code: null, message: text.slice(0, 200) } };
  });

  const outcomes = [huaweiRace, nowggRace, huyaRace];
  const problems = outcomes.flatMap((o) => o.problems.map((p) => `${o.store}: ${p}`));
  const ok = (o: RaceOutcome) => o.orders === 1 && o.grants === 1 && o.deliveredEvents === 1;
  return {
    name: 'race',
    passed: problems.length === 0,
    purchases: outcomes.length,
    submissions: outcomes.reduce((n, o) => n + o.submissions, 0),
    attempts: outcomes.reduce((n, o) => n + o.attempts, 0),
    delivered: outcomes.filter(ok).length,
    acknowledgeable: 0,
    acknowledged: 0,
    duplicates: outcomes.reduce((n, o) => n + Math.max(0, o.orders - 1) + Math.max(0, o.grants - 1) + Math.max(0, o.deliveredEvents - 1), 0),
    lost: outcomes.filter((o) => o.orders === 0 || o.grants === 0).length,
    idempotentStoreRepeats: 0,
    convergeSeconds: null,
    durationSeconds: seconds(Date.now() - started),
    details: Object.fromEntries(outcomes.map((o) => [o.store, { ...o, problems: undefined }])),
    problems,
  };
}

/** Fires `count` submissions at once (alternating instances), each retried until answered. */
async function race(
  harness: Harness,
  tenant: Tenant,
  store: StoreName,
  count: number,
  submit: (url: string) => Promise<Outcome<Record<string, unknown>>>,
): Promise<RaceOutcome> {
  const urls = harness.urls();
  const started = Date.now();
  let attempts = 0;
  const failures: Record<string, number> = {};
  const problems: string[] = [];
  const answers = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        attempts += 1;
        const outcome = await submit(urls[(index + attempt) % urls.length]!);
        if (outcome.ok) return outcome.value;
        const label = failureLabel(outcome.failure);
        failures[label] = (failures[label] ?? 0) + 1;
        if (!outcome.failure.retryable && failures[label] === 1) problems.push(`non-retryable failure: ${label}: ${outcome.failure.message}`);
        // An overloaded server answers 503 with retry-after 1: back off about that long.
        await sleep(250 + Math.random() * 1000);
      }
      return null;
    }),
  );
  harness.log(`race ${store}: ${count} answers in ${seconds(Date.now() - started)} s, ${attempts} attempts`);
  const answered = answers.filter((a): a is Record<string, unknown> => a !== null);
  if (answered.length < count) problems.push(`${count - answered.length} submissions never got an answer`);
  const newlyDelivered = answered.filter((a) => a.newlyDelivered === true).length;
  // newlyDelivered is the one field meant to differ: true for the submission that granted.
  const distinct = new Set(answered.map(({ newlyDelivered: _ignored, ...rest }) => JSON.stringify(rest)));
  if (distinct.size !== 1) problems.push(`${distinct.size} different answers`);
  // At most one: the granting submission's answer can itself fail after the commit (an
  // overloaded pool), and its retry then reads the order as already delivered.
  if (newlyDelivered > 1) problems.push(`${newlyDelivered} answers said newlyDelivered`);

  const orders = await harness.prisma.order.findMany({ where: { appId: tenant.appId, store } });
  const orderIds = orders.map((o) => o.id);
  const [grants, deliveredEvents] = await Promise.all([
    harness.prisma.entitlement.count({ where: { orderId: { in: orderIds } } }),
    harness.prisma.orderEvent.count({ where: { orderId: { in: orderIds }, type: 'ORDER_DELIVERED' } }),
  ]);
  // Time-limited access (Huya) is extended per order: one order must extend it once.
  const expiring = await harness.prisma.entitlement.findMany({ where: { orderId: { in: orderIds }, expiresAt: { not: null } } });
  for (const entitlement of expiring) {
    const order = orders.find((o) => o.id === entitlement.orderId);
    if (order?.expiresAt && entitlement.expiresAt?.getTime() !== order.expiresAt.getTime()) {
      problems.push(`access ends ${entitlement.expiresAt?.toISOString()}, the order paid until ${order.expiresAt.toISOString()}`);
    }
  }
  if (orders.length !== 1) problems.push(`${orders.length} orders`);
  if (grants !== 1) problems.push(`${grants} grants`);
  if (deliveredEvents !== 1) problems.push(`${deliveredEvents} ORDER_DELIVERED events`);
  return {
    store,
    submissions: answered.length,
    attempts,
    distinctAnswers: distinct.size,
    orders: orders.length,
    grants,
    deliveredEvents,
    ...(newlyDelivered > 0 || store === 'NOWGG' ? { newlyDelivered } : {}),
    failures,
    problems,
  };
}

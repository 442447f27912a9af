// Set-up and verdict steps the load scenarios share.
import { pick, shuffle, seconds, type Harness, type ScenarioResult } from '../lib/harness.js';
import { runLoad, type LoadStats } from '../lib/load.js';
import { createTenant, huaweiDriver, huyaDriver, nowggDriver, type ChaosPurchase, type StoreDriver, type Tenant } from '../lib/stores.js';
import { acknowledgementsSettled, verifyPurchases, waitForConvergence, type Verdict } from '../lib/verify.js';

export interface StoreSet {
  tenant: Tenant;
  drivers: Map<string, StoreDriver>;
  /** Creates `count` paid purchases at the fake stores, mixed across stores, in random order. */
  newPurchases(count: number): Promise<ChaosPurchase[]>;
}

/** Share of a scenario's purchases per store (Huya takes the rest). */
const STORE_WEIGHTS = { HUAWEI: 0.45, NOWGG: 0.35 } as const;

/** A fresh tenant with an account at every store (Huawei with server credentials). */
export async function setUpStores(harness: Harness, tenantName: string): Promise<StoreSet> {
  const url = pick(harness.urls());
  const tenant = await createTenant(url, harness.adminToken, tenantName);
  const huawei = await huaweiDriver(harness.huawei.fake, harness.huawei.proxy.baseUrl, url, tenant, { withCredentials: true });
  const nowgg = await nowggDriver(harness.nowgg.fake, harness.nowgg.proxy.baseUrl, url, tenant);
  const huya = await huyaDriver(url, tenant);
  const drivers = new Map<string, StoreDriver>([
    [huawei.storeAccountId, huawei as StoreDriver],
    [nowgg.storeAccountId, nowgg as StoreDriver],
    [huya.storeAccountId, huya as StoreDriver],
  ]);
  let created = 0;
  return {
    tenant,
    drivers,
    async newPurchases(count) {
      const purchases: ChaosPurchase[] = [];
      const huaweiCount = Math.round(count * STORE_WEIGHTS.HUAWEI);
      const nowggCount = Math.round(count * STORE_WEIGHTS.NOWGG);
      for (let i = 0; i < count; i += 1) {
        const index = created++;
        const driver = i < huaweiCount ? huawei : i < huaweiCount + nowggCount ? nowgg : huya;
        purchases.push(await (driver as StoreDriver).newPurchase(index));
      }
      return shuffle(purchases);
    },
  };
}

/**
 * A scenario's load: retrying clients submit `purchases` through whichever instances are
 * running, at the scenario's concurrency and rate, repeating the harness's share.
 */
export function loadThroughAll(
  harness: Harness,
  stores: StoreSet,
  purchases: readonly ChaosPurchase[],
  settings: { concurrency: number; ratePerSecond: number },
): Promise<LoadStats> {
  return runLoad({
    purchases,
    drivers: stores.drivers,
    targets: () => harness.urls(),
    concurrency: settings.concurrency,
    ratePerSecond: settings.ratePerSecond,
    repeatShare: harness.settings.repeatShare,
    giveUpAfterMs: 180_000,
    log: harness.log,
  });
}

/** Waits for the app's acknowledgements to settle; returns the time it took (ms) or null. */
export function converge(harness: Harness, tenant: Tenant): Promise<number | null> {
  return waitForConvergence(() => acknowledgementsSettled(harness.prisma, tenant.appId), harness.settings.convergeTimeoutMs);
}

export async function verdictFor(harness: Harness, stores: StoreSet, purchases: readonly ChaosPurchase[]): Promise<Verdict> {
  return verifyPurchases(harness.prisma, stores.tenant.appId, purchases, stores.drivers);
}

/** Folds the load statistics and the verdict into the scenario's report entry. */
export function resultOf(
  name: string,
  started: number,
  load: LoadStats,
  verdict: Verdict,
  convergeMs: number | null,
  details: Record<string, unknown>,
  extraProblems: string[],
): ScenarioResult {
  const problems = [...extraProblems, ...verdict.problems];
  if (convergeMs === null) problems.unshift('acknowledgements did not settle before the timeout');
  for (const purchase of load.unanswered) problems.push(`${purchase.store} ${purchase.storeOrderId}: no client ever got an answer`);
  for (const failure of load.nonRetryable.slice(0, 20)) {
    problems.push(`non-retryable failure for a valid ${failure.store} purchase: ${failure.label}: ${failure.message}`);
  }
  if (load.nonRetryable.length > 20) problems.push(`… and ${load.nonRetryable.length - 20} more non-retryable failures`);
  return {
    name,
    passed: problems.length === 0,
    purchases: verdict.purchases,
    submissions: load.submissions,
    attempts: load.attempts,
    delivered: verdict.delivered,
    acknowledgeable: verdict.acknowledgeable,
    acknowledged: verdict.acknowledged,
    duplicates: verdict.duplicates,
    lost: verdict.lost,
    idempotentStoreRepeats: verdict.idempotentStoreRepeats,
    convergeSeconds: convergeMs === null ? null : seconds(convergeMs),
    durationSeconds: seconds(Date.now() - started),
    details: {
      ...details,
      purchasesByStore: verdict.purchasesByStore,
      storeRepeatsByStore: verdict.idempotentRepeatsByStore,
      clientFailures: Object.fromEntries([...load.failures].sort((a, b) => b[1] - a[1])),
    },
    problems,
  };
}

/** Combines two load runs of one scenario (a main load and a top-up). */
export function combineLoads(a: LoadStats, b: LoadStats): LoadStats {
  const failures = new Map(a.failures);
  for (const [label, count] of b.failures) failures.set(label, (failures.get(label) ?? 0) + count);
  return {
    purchases: a.purchases + b.purchases,
    submissions: a.submissions + b.submissions,
    repeats: a.repeats + b.repeats,
    attempts: a.attempts + b.attempts,
    failures,
    nonRetryable: [...a.nonRetryable, ...b.nonRetryable],
    failureLog: [...a.failureLog, ...b.failureLog],
    unanswered: [...a.unanswered, ...b.unanswered],
    durationMs: a.durationMs + b.durationMs,
  };
}

// Crash test: purchases across the stores from retrying clients while the harness
// SIGKILLs server processes at random moments and failpoints kill them at the worst
// ones (after the order insert, after the commit before the answer, after the store's
// acknowledgement before it is recorded). After a last restart and a quiet period,
// every purchase must be delivered once and acknowledged once.
import { FAILPOINTS } from '../../../src/platform/failpoints.js';
import { sleep } from '../lib/api.js';
import type { ServerInstance } from '../lib/cluster.js';
import { pick, seconds, uniform, type Harness, type ScenarioResult } from '../lib/harness.js';
import { runLoad, type LoadStats } from '../lib/load.js';
import type { ChaosPurchase } from '../lib/stores.js';
import { combineLoads, converge, loadThroughAll, resultOf, setUpStores, verdictFor, type StoreSet } from './common.js';

/** When only one instance is up, the chance that a kill round takes it down anyway. */
const LAST_INSTANCE_KILL_SHARE = 0.25;
/** How long a top-up waits for its failpoint to fire. */
const TOP_UP_TIMEOUT_MS = 60_000;

export async function crashScenario(harness: Harness): Promise<ScenarioResult> {
  const settings = harness.settings.crash;
  const started = Date.now();
  const stores = await setUpStores(harness, 'chaos-crash');
  const purchases = await stores.newPurchases(settings.purchases);
  harness.log(`crash: ${purchases.length} purchases, failpoints ${settings.failpoints}, at least ${settings.minKills} SIGKILLs`);

  await restartAll(harness.instances, settings.failpoints);
  const monkey = startMonkey(harness, settings.minKills, settings.killIntervalMs);
  let load = await loadThroughAll(harness, stores, purchases, settings);
  harness.log(`crash: load done in ${seconds(load.durationMs)} s; waiting for the monkey's last kills`);
  const kills = await monkey.stop();

  // Chance decides how often each failpoint fires; make sure each fired at least the minimum.
  const topUp = await topUpFailpoints(harness, stores, settings.minFailpointCrashes, settings.failpoints);
  if (topUp.load) load = combineLoads(load, topUp.load);
  const allPurchases = [...purchases, ...topUp.purchases];

  // The last restart: SIGKILL both mid-flight, start them clean, and measure the quiet period.
  for (const instance of harness.instances) await instance.settled();
  await Promise.all(harness.instances.map((instance) => instance.kill()));
  await restartAll(harness.instances, '');
  harness.log('crash: last restart done; waiting for the acknowledgements to settle');
  const convergeMs = await converge(harness, stores.tenant);
  const verdict = await verdictFor(harness, stores, allPurchases);

  const failpointCrashes = Object.fromEntries(FAILPOINTS.map((name) => [name, sum(harness.instances, (i) => i.failpointDeaths.get(name) ?? 0)]));
  const unexpectedExits = harness.instances.flatMap((i) => i.unexpectedExits);
  const problems: string[] = [];
  if (kills < settings.minKills) problems.push(`only ${kills} random SIGKILLs (at least ${settings.minKills} required)`);
  for (const [name, count] of Object.entries(failpointCrashes)) {
    if (count < settings.minFailpointCrashes) problems.push(`failpoint ${name} fired ${count} times (at least ${settings.minFailpointCrashes} required)`);
  }
  for (const exit of unexpectedExits) {
    problems.push(`${exit.instance} died unexpectedly (code ${exit.code}, signal ${exit.signal}): ${exit.lastStderr.slice(-3).join(' | ')}`);
  }
  for (const instance of harness.instances) if (instance.restartFailure) problems.push(`${instance.name}: ${instance.restartFailure.message}`);
  return resultOf('crash', started, load, verdict, convergeMs, {
    randomSigkills: kills,
    failpointCrashes,
    failpointTopUps: topUp.fired,
    serverStarts: sum(harness.instances, (i) => i.starts),
    repeats: load.repeats,
  }, problems);
}

async function restartAll(instances: readonly ServerInstance[], failpoints: string): Promise<void> {
  for (const instance of instances) {
    await instance.settled();
    await instance.stop();
    instance.setFailpoints(failpoints);
  }
  // One after the other: the first start applies migrations, if any.
  for (const instance of instances) await instance.start();
}

interface Monkey {
  /** Stops once at least `minKills` were done; returns the number of kills. */
  stop(): Promise<number>;
}

/** SIGKILLs a random running instance every few seconds and restarts it. */
function startMonkey(harness: Harness, minKills: number, intervalMs: readonly [number, number]): Monkey {
  let kills = 0;
  let stopping = false;
  const busy = new Set<ServerInstance>();
  const restarts: Promise<void>[] = [];
  const loop = (async () => {
    while (!stopping || kills < minKills) {
      await sleep(uniform(intervalMs[0], intervalMs[1]));
      const candidates = harness.instances.filter((i) => i.ready && !busy.has(i));
      // Mostly kill while another instance serves; sometimes take the last one down too.
      if (candidates.length === 0 || (candidates.length === 1 && harness.instances.length > 1 && Math.random() > LAST_INSTANCE_KILL_SHARE)) continue;
      const victim = pick(candidates);
      busy.add(victim);
      kills += 1;
      restarts.push(victim.killAndRestart().finally(() => busy.delete(victim)));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await Promise.all(restarts);
      return kills;
    },
  };
}

/**
 * For each failpoint that fired fewer than `min` times, arms it with probability 1 on one
 * instance and submits fresh purchases there until it fires, then disarms it.
 */
async function topUpFailpoints(
  harness: Harness,
  stores: StoreSet,
  min: number,
  normalFailpoints: string,
): Promise<{ purchases: ChaosPurchase[]; load: LoadStats | null; fired: Record<string, number> }> {
  const target = harness.instances[0]!;
  const purchases: ChaosPurchase[] = [];
  const fired: Record<string, number> = {};
  let load: LoadStats | null = null;
  for (const name of FAILPOINTS) {
    const crashes = () => sum(harness.instances, (i) => i.failpointDeaths.get(name) ?? 0);
    while (crashes() < min) {
      const before = crashes();
      await target.settled();
      await target.stop();
      target.setFailpoints(`${name}@1`);
      try {
        await target.start();
      } catch {
        // It fired while starting (a pending acknowledgement): that counts.
      }
      // The supervisor's restart after the crash must come back disarmed.
      target.setFailpoints(normalFailpoints);
      const deadline = Date.now() + TOP_UP_TIMEOUT_MS;
      while (crashes() === before && Date.now() < deadline) {
        const batch = await stores.newPurchases(2);
        purchases.push(...batch);
        const stats = await runLoad({
          purchases: batch,
          drivers: stores.drivers,
          // The armed instance first; once it is down, the others answer the retries.
          targets: () => (target.running ? [target.url] : harness.urls()),
          concurrency: 2,
          ratePerSecond: 0,
          repeatShare: 0,
          giveUpAfterMs: 60_000,
        });
        load = load ? combineLoads(load, stats) : stats;
        await sleep(200);
      }
      await target.settled();
      if (crashes() === before) throw new Error(`failpoint ${name} did not fire within ${TOP_UP_TIMEOUT_MS} ms of being armed`);
      fired[name] = (fired[name] ?? 0) + 1;
    }
  }
  return { purchases, load, fired };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

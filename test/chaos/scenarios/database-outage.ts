// Database outage: PostgreSQL is stopped under load and started again. Meanwhile every
// request must fail with a clear, retryable error (503 / SERVICE_UNAVAILABLE), nothing
// may be half-written, and the servers must recover by themselves — same processes,
// no restart.
import { send, sleep } from '../lib/api.js';
import { seconds, type Harness, type ScenarioResult } from '../lib/harness.js';
import { startCluster, stopCluster } from '../lib/postgres.js';
import { converge, loadThroughAll, resultOf, setUpStores, verdictFor } from './common.js';

export async function databaseOutageScenario(harness: Harness): Promise<ScenarioResult> {
  const settings = harness.settings.databaseOutage;
  if (!settings) throw new Error('database outage scenario is disabled in these settings');
  const started = Date.now();
  const stores = await setUpStores(harness, 'chaos-database-outage');
  const purchases = await stores.newPurchases(settings.purchases);
  const pidsBefore = harness.instances.map((i) => i.pid);
  const startsBefore = harness.instances.map((i) => i.starts);
  const exitsBefore = harness.instances.map((i) => i.unexpectedExits.length);
  harness.log(`database outage: ${purchases.length} purchases, PostgreSQL down for ${seconds(settings.outageMs)} s`);

  const loadDone = loadThroughAll(harness, stores, purchases, settings);
  const readyAnswers = new Map<number, number>();
  let outageStart = 0;
  let outageEnd = 0;
  try {
    await sleep(settings.leadInMs);
    outageStart = Date.now();
    await stopCluster();
    harness.log('database outage: PostgreSQL stopped');
    const until = Date.now() + settings.outageMs;
    while (Date.now() < until) {
      // Readiness must say "unavailable" while the database is gone.
      for (const instance of harness.instances) {
        const answer = await send(`${instance.url}/ready`, { method: 'GET' });
        const status = answer.ok ? answer.value.status : 0;
        readyAnswers.set(status, (readyAnswers.get(status) ?? 0) + 1);
      }
      await sleep(500);
    }
  } finally {
    await startCluster(harness.databaseUrl);
    outageEnd = Date.now();
  }
  harness.log('database outage: PostgreSQL started again');
  const load = await loadDone;
  const settledMs = await converge(harness, stores.tenant);
  const convergeMs = settledMs === null ? null : Date.now() - outageEnd;
  const verdict = await verdictFor(harness, stores, purchases);

  // What clients were told while the database was down (plus a grace period for
  // requests that were already waiting on it).
  const during = load.failureLog.filter((f) => f.at >= outageStart && f.at <= outageEnd + 5_000);
  const errorsDuringOutage: Record<string, number> = {};
  for (const failure of during) errorsDuringOutage[failure.label] = (errorsDuringOutage[failure.label] ?? 0) + 1;

  const problems: string[] = [];
  if (during.length === 0) problems.push('no request failed during the outage: the load did not reach the database while it was down');
  if ((readyAnswers.get(200) ?? 0) > 0) problems.push(`/ready answered 200 ${readyAnswers.get(200)} times while PostgreSQL was down`);
  harness.instances.forEach((instance, index) => {
    if (instance.pid !== pidsBefore[index] || instance.starts !== startsBefore[index]) {
      problems.push(`${instance.name} was restarted during the outage (pid ${pidsBefore[index]} → ${instance.pid}): it did not recover by itself`);
    }
  });
  for (const exit of harness.instances.flatMap((i, index) => i.unexpectedExits.slice(exitsBefore[index]))) {
    problems.push(`${exit.instance} died (code ${exit.code}, signal ${exit.signal}): ${exit.lastStderr.slice(-3).join(' | ')}`);
  }
  for (const instance of harness.instances) {
    const answer = await send(`${instance.url}/ready`, { method: 'GET' });
    if (!answer.ok || answer.value.status !== 200) problems.push(`${instance.name} is not ready after the database came back`);
  }
  return resultOf('database outage', started, load, verdict, convergeMs, {
    outageSeconds: seconds(outageEnd - outageStart),
    errorsDuringOutage,
    readyStatusesDuringOutage: Object.fromEntries(readyAnswers),
    serverRestarts: harness.instances.reduce((n, instance, index) => n + instance.starts - startsBefore[index]!, 0),
    repeats: load.repeats,
  }, problems);
}

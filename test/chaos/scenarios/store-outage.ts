// Store outage: the fake stores answer 5xx, hang or reset connections for a while, then
// recover (still losing a share of answers on the way back). Purchases keep coming the
// whole time; every acknowledgement must complete once the stores are back, nothing lost,
// nothing duplicated.
import { sleep } from '../lib/api.js';
import { seconds, type Harness, type ScenarioResult } from '../lib/harness.js';
import { converge, loadThroughAll, resultOf, setUpStores, verdictFor } from './common.js';

/** After recovery, this share of store answers is still lost on the way back. */
const LOST_ANSWER_RATE = 0.1;

export async function storeOutageScenario(harness: Harness): Promise<ScenarioResult> {
  const settings = harness.settings.storeOutage;
  const started = Date.now();
  const stores = await setUpStores(harness, 'chaos-store-outage');
  const purchases = await stores.newPurchases(settings.purchases);
  const proxies = [harness.huawei.proxy, harness.nowgg.proxy];
  harness.log(`store outage: ${purchases.length} purchases, stores down for ${seconds(settings.outageMs)} s`);

  const faultsBefore = proxies.map((p) => p.faultCount);
  const loadDone = loadThroughAll(harness, stores, purchases, settings);
  let recoveredAt = Date.now();
  try {
    await sleep(settings.leadInMs);
    for (const proxy of proxies) proxy.setMode({ kind: 'outage' });
    await sleep(settings.outageMs);
  } finally {
    for (const proxy of proxies) proxy.setMode({ kind: 'healthy', lostAnswerRate: LOST_ANSWER_RATE });
    recoveredAt = Date.now();
  }
  harness.log('store outage: stores recovered');
  const load = await loadDone;
  const settledMs = await converge(harness, stores.tenant);
  const convergeMs = settledMs === null ? null : Date.now() - recoveredAt;
  for (const proxy of proxies) proxy.setMode({ kind: 'healthy', lostAnswerRate: 0 });
  const verdict = await verdictFor(harness, stores, purchases);

  const storeFaults = proxies.map((p, i) => p.faultCount - faultsBefore[i]!);
  const problems: string[] = [];
  if (storeFaults.some((n) => n === 0)) problems.push(`the outage injected no faults at one store (${storeFaults.join(', ')}): it tested nothing`);
  return resultOf('store outage', started, load, verdict, convergeMs, {
    outageSeconds: seconds(settings.outageMs),
    storeFaults: { huawei: { ...harness.huawei.proxy.faults }, nowgg: { ...harness.nowgg.proxy.faults } },
    repeats: load.repeats,
  }, problems);
}

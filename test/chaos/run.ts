// `npm run test:chaos` — proves "zero dropped orders" against real server processes on
// PostgreSQL: random SIGKILLs and failpoints under load, store outages, a database
// outage, and a 1,000-way race; then prints the counts and writes test/chaos/report.json.
//
//   npm run test:chaos                    full run (about 5 min on 2 cores)
//   npm run test:chaos -- --ci            bounded run for CI (about 2.5 min), report-ci.json
//   options: --only=crash,store-outage,database-outage,race   --skip-database-outage   --keep-database
//
// DATABASE_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres);
// the run creates its own database there and drops it afterwards. The database outage
// stops and starts the local cluster `main` with pg_ctlcluster (ZERODROP_CHAOS_PG_CLUSTER
// names another): never run it beside other users of that cluster. docs/reliability.md
// has the details and the latest figures.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase, type Database } from '../../src/platform/db.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { ServerInstance } from './lib/cluster.js';
import { freePort } from '../helpers/free-port.js';
import type { ChaosSettings, Harness, ScenarioResult } from './lib/harness.js';
import { canControlCluster, createChaosDatabase, isPostgresUp, startCluster, type ChaosDatabase } from './lib/postgres.js';
import { FaultProxy } from './lib/proxy.js';
import { buildReport, formatReport, writeReport } from './lib/report.js';
import { crashScenario } from './scenarios/crash.js';
import { databaseOutageScenario } from './scenarios/database-outage.js';
import { raceScenario } from './scenarios/race.js';
import { storeOutageScenario } from './scenarios/store-outage.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Fixed so every server process (and every restart) opens the same sealed secrets. */
const MASTER_KEY = '5a45524f44524f502d63686161732d6d61737465722d6b65792d666978656421';
const ADMIN_TOKEN = 'chaos-admin-token-0123456789abcdef';
const INSTANCES = 2;

const FAILPOINTS_UNDER_LOAD = 'after-order-insert@0.003,after-commit-before-answer@0.003,after-store-ack-before-record@0.004';

const FULL: ChaosSettings = {
  mode: 'full',
  crash: {
    purchases: 2000,
    ratePerSecond: 14,
    concurrency: 24,
    minKills: 12,
    killIntervalMs: [4_000, 9_000],
    failpoints: FAILPOINTS_UNDER_LOAD,
    minFailpointCrashes: 2,
  },
  storeOutage: { purchases: 400, ratePerSecond: 10, concurrency: 16, outageMs: 20_000, leadInMs: 5_000 },
  databaseOutage: { purchases: 400, ratePerSecond: 12, concurrency: 16, outageMs: 12_000, leadInMs: 5_000 },
  race: { submissions: 1000 },
  repeatShare: 0.1,
  convergeTimeoutMs: 180_000,
};

const CI: ChaosSettings = {
  mode: 'ci',
  crash: {
    purchases: 600,
    ratePerSecond: 10,
    concurrency: 16,
    minKills: 10,
    killIntervalMs: [3_000, 6_000],
    failpoints: FAILPOINTS_UNDER_LOAD,
    minFailpointCrashes: 1,
  },
  storeOutage: { purchases: 150, ratePerSecond: 10, concurrency: 12, outageMs: 8_000, leadInMs: 3_000 },
  databaseOutage: { purchases: 150, ratePerSecond: 10, concurrency: 12, outageMs: 6_000, leadInMs: 3_000 },
  race: { submissions: 1000 },
  repeatShare: 0.1,
  convergeTimeoutMs: 120_000,
};

const SCENARIOS = {
  crash: crashScenario,
  'store-outage': storeOutageScenario,
  'database-outage': databaseOutageScenario,
  race: raceScenario,
} as const;
type ScenarioName = keyof typeof SCENARIOS;

const log = (message: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ci: { type: 'boolean', default: false },
      only: { type: 'string' },
      'skip-database-outage': { type: 'boolean', default: false },
      'keep-database': { type: 'boolean', default: false },
    },
  });
  const settings = values.ci ? CI : FULL;
  const adminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const selected = selectScenarios(values.only);
  const skipped: { name: string; reason: string }[] = [];
  if (selected.includes('database-outage') && (values['skip-database-outage'] || !canControlCluster())) {
    selected.splice(selected.indexOf('database-outage'), 1);
    skipped.push({
      name: 'database-outage',
      reason: values['skip-database-outage'] ? '--skip-database-outage' : 'no local pg_ctlcluster cluster to stop and start',
    });
  }
  if (!(await isPostgresUp(adminUrl))) {
    console.error(`PostgreSQL does not answer at ${adminUrl}; the chaos run needs PostgreSQL (set DATABASE_URL)`);
    return 2;
  }

  const startedAt = Date.now();
  const logDir = mkdtempSync(join(tmpdir(), 'zerodrop-chaos-'));
  log(`${settings.mode} run: ${selected.join(', ')}; server logs in ${logDir}`);
  const cleanup: (() => Promise<unknown>)[] = [];
  const instances: ServerInstance[] = [];
  let database: ChaosDatabase | null = null;
  const restoreDatabaseServer = () =>
    selected.includes('database-outage')
      ? startCluster(adminUrl).catch((error: unknown) => log(`could not restart PostgreSQL: ${String(error)}`))
      : Promise.resolve();
  // Interrupted (Ctrl-C): PostgreSQL must not stay stopped, nor servers keep running.
  const interrupt = (signal: string) => {
    log(`${signal}: restarting PostgreSQL if needed and stopping the servers`);
    for (const instance of instances) instance.abandon();
    void restoreDatabaseServer()
      .then(() => (values['keep-database'] ? undefined : database?.drop()))
      .catch(() => {})
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const scenarios: ScenarioResult[] = [];
  let verifier: Database | null = null;
  try {
    database = await createChaosDatabase(adminUrl);
    const [huaweiFake, nowggFake] = await Promise.all([FakeHuawei.start(), FakeNowgg.start()]);
    cleanup.push(() => huaweiFake.close(), () => nowggFake.close());
    const [huaweiProxy, nowggProxy] = await Promise.all([FaultProxy.start(huaweiFake.baseUrl), FaultProxy.start(nowggFake.baseUrl)]);
    cleanup.push(() => huaweiProxy.close(), () => nowggProxy.close());

    const serverEnv: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      DATA_DIR: join(logDir, 'data'),
      ZERODROP_MASTER_KEY: MASTER_KEY,
      ZERODROP_ADMIN_TOKEN: ADMIN_TOKEN,
      CREATE_DEMO_APP: 'false',
      GRAPHIQL: 'false',
      // The fake stores and receivers listen on 127.0.0.1.
      OUTBOUND_ALLOW_PRIVATE: 'true',
      ALLOW_PRODUCTION_API_BASE_URL: 'true',
      LOG_LEVEL: 'warn',
      WORKER_POLL_MS: '100',
      // A killed instance's acknowledgements are retaken after this (not the 60 s default),
      // still longer than one store call's timeout.
      WORKER_LEASE_MS: '15000',
      RATE_LIMIT_PER_MINUTE: '1000000',
      STORE_HTTP_TIMEOUT_MS: '3000',
      SHUTDOWN_GRACE_MS: '5000',
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    };
    for (let index = 0; index < INSTANCES; index += 1) {
      const instance = new ServerInstance({ name: `server-${'ab'[index]}`, port: await freePort(), env: serverEnv, logDir, repoRoot: REPO_ROOT });
      instances.push(instance);
      cleanup.push(() => instance.close());
      // One after the other: the first applies the migrations to the fresh database.
      await instance.start();
    }
    verifier = await openDatabase({ databaseUrl: database.url, poolSize: 4 });
    const harness: Harness = {
      settings,
      instances,
      urls: () => instances.map((i) => i.url),
      prisma: verifier.prisma,
      databaseUrl: database.url,
      adminToken: ADMIN_TOKEN,
      huawei: { fake: huaweiFake, proxy: huaweiProxy },
      nowgg: { fake: nowggFake, proxy: nowggProxy },
      log,
    };
    for (const name of selected) {
      const scenarioStarted = Date.now();
      try {
        const result = await SCENARIOS[name](harness);
        scenarios.push(result);
        log(`${result.name}: ${result.passed ? 'pass' : 'FAIL'} in ${Math.round(result.durationSeconds)} s`);
      } catch (error) {
        scenarios.push(crashedScenario(name, scenarioStarted, error));
        log(`${name}: the scenario itself failed: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
  } finally {
    // PostgreSQL must be up again whatever happened (the database outage stops it).
    await restoreDatabaseServer();
    for (const close of cleanup.reverse()) await close().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    await verifier?.close().catch(() => {});
    if (database && !values['keep-database']) await database.drop().catch((error: unknown) => log(`could not drop ${database?.name}: ${String(error)}`));
  }

  const report = buildReport(settings.mode, startedAt, scenarios, skipped, {
    database: 'PostgreSQL',
    redis: Boolean(process.env.REDIS_URL),
  });
  const reportPath = join(REPO_ROOT, 'test', 'chaos', settings.mode === 'ci' ? 'report-ci.json' : 'report.json');
  writeReport(reportPath, report);
  console.log(`\n${formatReport(report)}\n\nreport: ${reportPath}\nserver logs: ${logDir}`);
  return report.passed ? 0 : 1;
}

function selectScenarios(only: string | undefined): ScenarioName[] {
  const all = Object.keys(SCENARIOS) as ScenarioName[];
  if (!only) return all;
  const names = only.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(all as string[]).includes(name)) throw new Error(`unknown scenario ${name} (known: ${all.join(', ')})`);
  }
  return all.filter((name) => names.includes(name));
}

function crashedScenario(name: string, started: number, error: unknown): ScenarioResult {
  return {
    name,
    passed: false,
    purchases: 0,
    submissions: 0,
    attempts: 0,
    delivered: 0,
    acknowledgeable: 0,
    acknowledged: 0,
    duplicates: 0,
    lost: 0,
    idempotentStoreRepeats: 0,
    convergeSeconds: null,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    details: {},
    problems: [`the scenario could not run to the end: ${error instanceof Error ? error.message : String(error)}`],
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

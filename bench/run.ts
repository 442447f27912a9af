// `npm run bench` — the purchase-path benchmark. Builds and starts ZeroDrop as
// `npm run start:prod` runs it (`node dist/main.js`, one bundled file, 256 MB heap budget) and a raw
// node:http + SQL baseline as separate processes, seeds them
// through the API, drives each workload with autocannon from a third process, and
// reports ratios measured side by side in this one run (absolute numbers on a shared
// machine drift; ratios much less). Writes bench/results/latest.json and prints a
// markdown table. See bench/README.md.
//
//   npm run bench                      full run, PostgreSQL then PGlite
//   npm run bench -- --quick           short run (smaller pools, 100k deep orders)
//   npm run bench -- --db postgres     one database only (postgres | pglite)
//   npm run bench -- --profile         also profile ZeroDrop in an extra run per workload
//                                      (bench/results/profiles/*.cpuprofile, summaries in latest.json)
//   npm run bench -- --only purchase   a subset: coldstart, ceilings, purchase, resubmit, orders, paging
//   BENCH_ZERODROP_NODE_OPTIONS=…      runtime flags for the ZeroDrop process only (NODE_OPTIONS)
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { LoadResult, LoadSpec } from './load.js';
import { REPO_ROOT, runNode, startServer, type ServerProcess } from './lib/processes.js';
import { freePort } from '../test/helpers/free-port.js';
import { createBenchDatabase, postgresVersion, type BenchDatabase } from './lib/postgres.js';
import { createHuaweiTenant, graphqlRequest, type BenchTenant } from './lib/api.js';
import { BENCH_PRODUCT_ID, startPurchaseSigner, type PurchaseSigner } from './lib/purchases.js';
import { seedDeepOrdersPglite, seedDeepOrdersPostgres, type DeepOrders } from './lib/deep-orders.js';
import { InspectorSession, type ProfileSummary } from './lib/profiler.js';

type DatabaseKind = 'postgres' | 'pglite';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    db: { type: 'string', default: 'both' },
    profile: { type: 'boolean', default: false },
    connections: { type: 'string' },
    duration: { type: 'string' },
    only: { type: 'string' },
  },
});

const QUICK = args.quick === true;
const SETTINGS = {
  /** Seconds per measured run. */
  durationSeconds: Number(args.duration ?? (QUICK ? 5 : 15)),
  warmupSeconds: QUICK ? 2 : 4,
  /** Concurrent connections for throughput runs: enough to keep a 10-connection pool busy. */
  connections: Number(args.connections ?? 16),
  /** Each comparison runs ZeroDrop and the baseline alternately this many times; medians are reported. */
  rounds: QUICK ? 1 : 2,
  deepOrders: QUICK ? 100_000 : 1_000_000,
  /** PGlite writes a million rows (with Order's indexes) in well over ten minutes; paging is measured on fewer. */
  deepOrdersPglite: 100_000,
  coldStarts: 3,
  /** Purchases delivered during seeding: the resubmission set and the orders list's data. */
  deliveredPurchases: 200,
  databasePoolSize: 10,
};
const WORKLOADS = ['coldstart', 'ceilings', 'purchase', 'resubmit', 'orders', 'paging'] as const;
type Workload = (typeof WORKLOADS)[number];
/** `--only purchase,orders` runs a subset while working on one path (the table then has gaps). */
const SELECTED = new Set<Workload>(args.only ? (args.only.split(',') as Workload[]) : WORKLOADS);
for (const workload of SELECTED) if (!WORKLOADS.includes(workload)) throw new Error(`--only takes ${WORKLOADS.join(', ')}; got ${workload}`);
const DATABASES: DatabaseKind[] = args.db === 'both' ? ['postgres', 'pglite'] : [args.db as DatabaseKind];
for (const kind of DATABASES) if (kind !== 'postgres' && kind !== 'pglite') throw new Error(`--db must be postgres, pglite or both, got ${kind}`);

const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const PROFILE_DIR = join(RESULTS_DIR, 'profiles');
const WORK_DIR = mkdtempSync(join(tmpdir(), 'zd-bench-'));
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const MASTER_KEY = randomBytes(32).toString('base64');

// ---- the documents under load -----------------------------------------------------------

const FINISH_PURCHASE = `mutation BenchFinishPurchase($input: FinishPurchaseInput!) {
  finishPurchase(input: $input) {
    __typename
    ... on HuaweiDelivery {
      needsClientFinish
      finishParams { productType purchaseToken purchaseOrderId }
      order { id status storeOrderId quantity entitlements { id kind quantity } }
    }
    ... on Error { code message }
  }
}`;

// `first` as a variable: graphql-armor multiplies a literal `first` into the query cost,
// and a literal 50 with this selection is over ZeroDrop's cost limit (5350 > 5000).
const ORDERS_PAGE = `query BenchOrders($first: Int!) {
  orders(first: $first) {
    edges { cursor node {
      id storeOrderId status quantity price { amountMinor currency } purchasedAt
      product { id sku name type }
      entitlements { id kind quantity active }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const PAGING = `query BenchPaging($after: String) {
  orders(first: 50, after: $after) {
    edges { cursor node { id storeOrderId status purchasedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const INPUT_PLACEHOLDER = '"__INPUT__"';
const graphqlBody = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
/** finishPurchase with the pool line (`{"purchaseData","playerId"}`) as its input. */
const finishPurchaseTemplate = JSON.stringify({ query: FINISH_PURCHASE, variables: { input: '__INPUT__' } });

// ---- running load ---------------------------------------------------------------------------

interface Measured extends LoadResult {
  /** Server CPU per answered request (user + system), in ms. */
  serverCpuMsPerRequest: number;
  /** How busy the whole machine was during the run (all processes, all cores), in %. */
  machineBusyPercent: number;
}

/** Busy and total jiffies of all CPUs (/proc/stat), for the machine's load during a run. */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

let specSerial = 0;
async function load(server: ServerProcess, spec: Omit<LoadSpec, 'resultFile' | 'connections' | 'durationSeconds'> & Partial<LoadSpec>): Promise<Measured> {
  specSerial += 1;
  const resultFile = join(WORK_DIR, `result-${specSerial}.json`);
  const full: LoadSpec = { connections: SETTINGS.connections, durationSeconds: SETTINGS.durationSeconds, ...spec, resultFile };
  const specFile = join(WORK_DIR, `spec-${specSerial}.json`);
  writeFileSync(specFile, JSON.stringify(full));
  const cpuBefore = server.cpuSeconds();
  const machineBefore = machineCpu();
  await runNode(['--import', 'tsx', join(REPO_ROOT, 'bench/load.ts'), specFile]);
  const cpu = server.cpuSeconds() - cpuBefore;
  const machineAfter = machineCpu();
  const machineBusyPercent = (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total);
  const result = JSON.parse(readFileSync(resultFile, 'utf8')) as LoadResult;
  if (result.unexpected > 0 || result.errors > 0) {
    throw new Error(`${spec.url}: ${result.unexpected} unexpected answers, ${result.errors} errors; first: ${result.firstUnexpected}`);
  }
  return { ...result, serverCpuMsPerRequest: result.requests > 0 ? (cpu * 1000) / result.requests : 0, machineBusyPercent };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The run whose throughput is the median of several (its latencies come with it). */
const medianRun = (runs: Measured[]): Measured => {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---- one database ---------------------------------------------------------------------------

interface Comparison {
  zerodrop: Measured;
  baseline: Measured;
  ratio: number;
}

interface DatabaseResults {
  database: DatabaseKind;
  coldStartMs?: { freshDatabase: number[]; migratedDatabase: number[] };
  ceilings?: { bareHttp: Measured; yogaTypename: Measured };
  purchase?: Comparison & { at70PercentOfPeak: Measured & { targetRate: number }; at30PercentOfPeak: Measured & { targetRate: number } };
  resubmission?: { zerodrop: Measured; baseline: Measured; ratioToNewPurchase: number | null };
  orders?: Comparison;
  paging?: { firstPage: Measured; pages: { depth: number; run: Measured; ratioToFirst: number }[]; deep: Omit<DeepOrders, 'cursors'> };
  peakRssMib: { zerodrop: number; baseline: number };
  /** Resident set size once started, before any load. */
  idleRssMib: { zerodrop: number; baseline: number };
  /** --profile: where ZeroDrop's CPU went in an extra, profiled run of each workload. */
  profiles?: Record<string, ProfileSummary>;
}

type Target = 'zerodrop' | 'baseline';

interface Servers {
  zerodrop: ServerProcess;
  baseline: ServerProcess;
}

function serverEnv(kind: DatabaseKind, dataDir: string, database: BenchDatabase | null, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    ...(kind === 'postgres' ? { DATABASE_URL: database!.url } : {}),
    DATABASE_POOL_SIZE: String(SETTINGS.databasePoolSize),
    LOG_LEVEL: 'warn',
    CREATE_DEMO_APP: 'false',
    GRAPHIQL: 'false',
    ZERODROP_ADMIN_TOKEN: ADMIN_TOKEN,
    ZERODROP_MASTER_KEY: MASTER_KEY,
    RATE_LIMIT_PER_MINUTE: '1000000',
    // The fake stores listen on 127.0.0.1.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    ALLOW_PRODUCTION_API_BASE_URL: 'true',
  };
}

/** As `npm run start:prod` (package.json). */
const PRODUCTION_NODE_OPTIONS = '--max-old-space-size=256';

async function startZeroDrop(env: Record<string, string>, inspectPort?: number): Promise<ServerProcess> {
  const inspect = inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
  // The heap budget `npm run start:prod` sets; BENCH_ZERODROP_NODE_OPTIONS replaces it to
  // try other runtime flags on ZeroDrop alone.
  env = { ...env, NODE_OPTIONS: process.env.BENCH_ZERODROP_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS };
  // As in production: the compiled server (`npm run build`, run before the benchmark).
  return startServer({ name: 'zerodrop', nodeArgs: [...inspect, 'dist/main.js'], env, port: Number(env.PORT), readyPath: '/ready' });
}

async function startBaseline(env: Record<string, string>): Promise<ServerProcess> {
  return startServer({ name: 'baseline', nodeArgs: ['--import', 'tsx', 'bench/baseline-server.ts'], env, port: Number(env.PORT), readyPath: '/bare' });
}

/** Delivers purchases through the API (seeding): the resubmission set and data for the orders list. */
async function deliverThroughApi(baseUrl: string, tenant: BenchTenant, poolFile: string): Promise<void> {
  const lines = readFileSync(poolFile, 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    const data = await graphqlRequest<{ finishPurchase: { __typename: string; order?: { status: string } } }>(
      baseUrl,
      tenant.serverKey,
      FINISH_PURCHASE,
      { input: JSON.parse(line) as Record<string, unknown> },
    );
    if (data.finishPurchase.order?.status !== 'DELIVERED') throw new Error(`seeding: ${JSON.stringify(data)}`);
  }
}

/** Purchase pool sized for `rate` req/s over `seconds`, with headroom (a run that exhausts it just ends early). */
const poolSize = (rate: number, seconds: number) => Math.ceil(rate * seconds * 1.5) + SETTINGS.connections * 4 + 200;

async function benchDatabase(kind: DatabaseKind, signer: PurchaseSigner): Promise<DatabaseResults> {
  log(`── ${kind} ──`);
  const database = kind === 'postgres' ? await createBenchDatabase() : null;
  const dataDir = mkdtempSync(join(WORK_DIR, `${kind}-data-`));
  const baselineDataDir = mkdtempSync(join(WORK_DIR, `${kind}-baseline-data-`));
  const zerodropEnv = serverEnv(kind, dataDir, database, await freePort());
  const baselineEnv = serverEnv(kind, kind === 'pglite' ? baselineDataDir : dataDir, database, await freePort());
  const servers: Partial<Servers> = {};
  const results: DatabaseResults = { database: kind, peakRssMib: { zerodrop: 0, baseline: 0 }, idleRssMib: { zerodrop: 0, baseline: 0 } };
  const coldStarts = SELECTED.has('coldstart') ? SETTINGS.coldStarts : 1;
  try {
    // 5. Cold start on an empty database (migrations applied during start-up); the first
    //    start also fills tsx's transform cache, as any first start after install would.
    const freshDatabase: number[] = [];
    for (let i = 0; i < coldStarts - 1; i++) {
      const scratchDir = mkdtempSync(join(WORK_DIR, 'cold-'));
      const scratch = kind === 'postgres' ? await createBenchDatabase() : null;
      const server = await startZeroDrop(serverEnv(kind, scratchDir, scratch, Number(zerodropEnv.PORT)));
      freshDatabase.push(server.startupMs);
      await server.stop();
      await scratch?.drop();
      rmSync(scratchDir, { recursive: true, force: true });
    }

    // Seed through the API.
    let zerodrop = await startZeroDrop(zerodropEnv);
    freshDatabase.push(zerodrop.startupMs);
    log(`cold start on an empty database: ${freshDatabase.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    const tenant = await createHuaweiTenant(zerodrop.baseUrl, ADMIN_TOKEN, {
      name: 'bench',
      applicationId: signer.applicationId,
      rootPem: signer.rootPem,
      consumables: [BENCH_PRODUCT_ID],
    });
    const deepTenant = await createHuaweiTenant(zerodrop.baseUrl, ADMIN_TOKEN, {
      name: 'bench-deep',
      applicationId: signer.applicationId,
      rootPem: signer.rootPem,
      consumables: [],
    });
    const deliveredPool = await signer.writePool(join(WORK_DIR, `${kind}-delivered.jsonl`), SETTINGS.deliveredPurchases);
    await deliverThroughApi(zerodrop.baseUrl, tenant, deliveredPool);
    await zerodrop.stop();
    if (kind === 'pglite') cpSync(dataDir, baselineDataDir, { recursive: true });

    let deep: DeepOrders | null = null;
    if (SELECTED.has('paging')) {
      const count = kind === 'postgres' ? SETTINGS.deepOrders : Math.min(SETTINGS.deepOrders, SETTINGS.deepOrdersPglite);
      log(`seeding ${count.toLocaleString('en')} orders for paging`);
      const depths = [count / 2, count - 100];
      deep =
        kind === 'postgres'
          ? await seedDeepOrdersPostgres(database!.url, deepTenant.appId, deepTenant.storeAccountId, count, depths)
          : await seedDeepOrdersPglite(dataDir, deepTenant.appId, deepTenant.storeAccountId, count, depths);
      log(`seeded in ${deep.seedSeconds.toFixed(1)} s`);
    }

    // 5. Cold start on the migrated, seeded database; the last start stays up for the workloads.
    const migratedDatabase: number[] = [];
    const inspectPort = args.profile ? await freePort() : undefined;
    for (let i = 0; i < coldStarts; i++) {
      zerodrop = await startZeroDrop(zerodropEnv, i === coldStarts - 1 ? inspectPort : undefined);
      migratedDatabase.push(zerodrop.startupMs);
      if (i < coldStarts - 1) await zerodrop.stop();
    }
    servers.zerodrop = zerodrop;
    log(`cold start on the migrated database: ${migratedDatabase.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    if (SELECTED.has('coldstart')) results.coldStartMs = { freshDatabase, migratedDatabase };
    const baseline = await startBaseline(baselineEnv);
    servers.baseline = baseline;
    await sleep(1_000); // the worker's first poll has loaded Prisma's query compiler
    results.idleRssMib = { zerodrop: zerodrop.rssMib(), baseline: baseline.rssMib() };
    const inspector = inspectPort ? await InspectorSession.connect(inspectPort) : null;
    /** --profile: one more ZeroDrop run of the workload, sampled (profiling slows it, so it is not measured). */
    const profiled = async (workload: string, run: () => Promise<Measured>) => {
      if (!inspector) return;
      const file = join(PROFILE_DIR, `${kind}-${workload}.cpuprofile`);
      const { summary } = await inspector.profile(file, run);
      results.profiles = { ...results.profiles, [workload]: summary };
      log(`profile of ${workload}: ${file}`);
    };

    const auth = { 'content-type': 'application/json', authorization: `Bearer ${tenant.serverKey}` };
    const deepAuth = { 'content-type': 'application/json', authorization: `Bearer ${deepTenant.serverKey}` };
    const warmup = { durationSeconds: SETTINGS.warmupSeconds };
    const endpoint = (server: ServerProcess, target: Target) => (target === 'zerodrop' ? `${server.baseUrl}/graphql` : `${server.baseUrl}/purchase`);
    const purchaseTemplate = (target: Target) => (target === 'zerodrop' ? finishPurchaseTemplate : INPUT_PLACEHOLDER);

    /** ZeroDrop and the baseline alternately, `rounds` times each; the median runs. */
    const compare = async (run: (server: ServerProcess, target: Target, previous: Measured[]) => Promise<Measured>) => {
      const zerodropRuns: Measured[] = [];
      const baselineRuns: Measured[] = [];
      for (let round = 0; round < SETTINGS.rounds; round++) {
        zerodropRuns.push(await run(zerodrop, 'zerodrop', zerodropRuns));
        baselineRuns.push(await run(baseline, 'baseline', baselineRuns));
      }
      const zerodropRun = medianRun(zerodropRuns);
      const baselineRun = medianRun(baselineRuns);
      return { zerodrop: zerodropRun, baseline: baselineRun, ratio: zerodropRun.rps / baselineRun.rps };
    };

    if (deep) {
      // 4. Paging: one client, the first page vs pages deep into the million orders. First,
      //    while the deep app's orders are the newest: after workload 1 another app's newer
      //    orders make PostgreSQL's first page scan past them (see bench/README.md).
      const pagingSpec = (after: string | null) => ({
        url: `${zerodrop.baseUrl}/graphql`,
        method: 'POST' as const,
        headers: deepAuth,
        body: graphqlBody(PAGING, { after }),
        expect: '"hasNextPage":true',
        connections: 1,
      });
      // plugin-prisma's cursor for a BigInt `seq` (checked against a real endCursor below).
      const cursorFor = (seq: string) => Buffer.from(`GPC:I:${seq}`).toString('base64');
      const page = await graphqlRequest<{ orders: { pageInfo: { endCursor: string } } }>(zerodrop.baseUrl, deepTenant.serverKey, PAGING, { after: null });
      if (!/^GPC:I:\d+$/.test(Buffer.from(page.orders.pageInfo.endCursor, 'base64').toString('utf8'))) {
        throw new Error(`unexpected cursor format ${page.orders.pageInfo.endCursor}`);
      }
      await load(zerodrop, { ...pagingSpec(null), ...warmup });
      // First page and deep pages alternately, so a slow moment of the machine hits all alike.
      const pageRuns = new Map<number | null, Measured[]>();
      const pageSpecs: [number | null, string | null][] = [[null, null], ...deep.cursors.map((c) => [c.depth, cursorFor(c.seq)] as [number, string])];
      for (let round = 0; round < 3; round++) {
        for (const [depth, after] of pageSpecs) {
          pageRuns.set(depth, [...(pageRuns.get(depth) ?? []), await load(zerodrop, { ...pagingSpec(after), durationSeconds: Math.ceil(SETTINGS.durationSeconds / 2) })]);
        }
      }
      const medianLatency = (runs: Measured[]) => [...runs].sort((a, b) => a.latencyMs.mean - b.latencyMs.mean)[Math.floor((runs.length - 1) / 2)]!;
      const firstPage = medianLatency(pageRuns.get(null)!);
      const pages = deep.cursors.map((cursor) => {
        const run = medianLatency(pageRuns.get(cursor.depth)!);
        return { depth: cursor.depth, run, ratioToFirst: run.latencyMs.mean / firstPage.latencyMs.mean };
      });
      const { cursors: _cursors, ...deepSummary } = deep;
      results.paging = { firstPage, pages, deep: deepSummary };
      log(`paging: first page ${ms(firstPage.latencyMs.mean)}, ${pages.map((p) => `depth ${p.depth}: ${ms(p.run.latencyMs.mean)}`).join(', ')}`);
    }

    if (SELECTED.has('ceilings')) {
      // A bare node:http answer, and Yoga's cheapest query through ZeroDrop's full request path.
      const bareSpec = { url: `${baseline.baseUrl}/bare`, method: 'GET' as const, headers: {}, expect: '"ok"' };
      const typenameSpec = {
        url: `${zerodrop.baseUrl}/graphql`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        body: graphqlBody('{ __typename }', {}),
        expect: '"Query"',
      };
      await load(baseline, { ...bareSpec, ...warmup });
      await load(zerodrop, { ...typenameSpec, ...warmup });
      results.ceilings = { bareHttp: await load(baseline, bareSpec), yogaTypename: await load(zerodrop, typenameSpec) };
      log(`ceilings: bare node:http ${rps(results.ceilings.bareHttp)}, Yoga { __typename } ${rps(results.ceilings.yogaTypename)}`);
    }

    if (SELECTED.has('purchase')) {
      // 1. New purchases: every request a purchase never seen before.
      let pools = 0;
      const purchaseRun = async (server: ServerProcess, target: Target, rate: number, extra: Partial<LoadSpec> = {}) => {
        pools += 1;
        const seconds = extra.durationSeconds ?? SETTINGS.durationSeconds;
        const file = await signer.writePool(join(WORK_DIR, `${kind}-pool-${pools}.jsonl`), poolSize(rate, seconds));
        return load(server, {
          url: endpoint(server, target),
          method: 'POST',
          headers: auth,
          bodies: { file, template: purchaseTemplate(target), placeholder: INPUT_PLACEHOLDER, cycle: false },
          expect: '"status":"DELIVERED"',
          ...extra,
        });
      };
      // Warm-ups also estimate each server's rate, which sizes the pools of the measured runs.
      const warmRate = {
        zerodrop: (await purchaseRun(zerodrop, 'zerodrop', 1000, warmup)).rps,
        baseline: (await purchaseRun(baseline, 'baseline', 1000, warmup)).rps,
      };
      const peak = await compare((server, target, previous) =>
        purchaseRun(server, target, Math.max(warmRate[target], ...previous.map((run) => run.rps)) * 1.3),
      );
      await profiled('purchase', () => purchaseRun(zerodrop, 'zerodrop', peak.zerodrop.rps * 1.3));
      const targetRate = Math.max(1, Math.round(peak.zerodrop.rps * 0.7));
      const at70 = await purchaseRun(zerodrop, 'zerodrop', targetRate, { overallRate: targetRate, paced: true });
      // And at a light load, where the machine has room: what a request costs without queueing.
      const lightRate = Math.max(1, Math.round(peak.zerodrop.rps * 0.3));
      const at30 = await purchaseRun(zerodrop, 'zerodrop', lightRate, { overallRate: lightRate, paced: true });
      results.purchase = { ...peak, at70PercentOfPeak: { ...at70, targetRate }, at30PercentOfPeak: { ...at30, targetRate: lightRate } };
      log(`new purchase: ZeroDrop ${rps(peak.zerodrop)}, baseline ${rps(peak.baseline)}; p99 at ${targetRate} req/s: ${ms(at70.latencyMs.p99)}`);
    }

    if (SELECTED.has('resubmit')) {
      // 2. The same purchases submitted again (all delivered during seeding), round-robin.
      const resubmitSpec = (server: ServerProcess, target: Target) => ({
        url: endpoint(server, target),
        method: 'POST' as const,
        headers: auth,
        bodies: { file: deliveredPool, template: purchaseTemplate(target), placeholder: INPUT_PLACEHOLDER, cycle: true },
        expect: '"status":"DELIVERED"',
      });
      await load(zerodrop, { ...resubmitSpec(zerodrop, 'zerodrop'), ...warmup });
      await load(baseline, { ...resubmitSpec(baseline, 'baseline'), ...warmup });
      const again = await compare((server, target) => load(server, resubmitSpec(server, target)));
      await profiled('resubmit', () => load(zerodrop, resubmitSpec(zerodrop, 'zerodrop')));
      results.resubmission = {
        zerodrop: again.zerodrop,
        baseline: again.baseline,
        ratioToNewPurchase: results.purchase ? again.zerodrop.rps / results.purchase.zerodrop.rps : null,
      };
      log(`same purchase again: ZeroDrop ${rps(again.zerodrop)}, baseline ${rps(again.baseline)}`);
    }

    if (SELECTED.has('orders')) {
      // 3. orders(first: 50) with product and entitlements per order.
      const ordersSpec = (server: ServerProcess, target: Target) =>
        target === 'zerodrop'
          ? { url: `${server.baseUrl}/graphql`, method: 'POST' as const, headers: auth, body: graphqlBody(ORDERS_PAGE, { first: 50 }), expect: '"hasNextPage":true' }
          : { url: `${server.baseUrl}/orders?first=50`, method: 'GET' as const, headers: auth, expect: '"hasNextPage":true' };
      await load(zerodrop, { ...ordersSpec(zerodrop, 'zerodrop'), ...warmup });
      await load(baseline, { ...ordersSpec(baseline, 'baseline'), ...warmup });
      results.orders = await compare((server, target) => load(server, ordersSpec(server, target)));
      await profiled('orders', () => load(zerodrop, ordersSpec(zerodrop, 'zerodrop')));
      log(`orders(first: 50): ZeroDrop ${rps(results.orders.zerodrop)}, baseline ${rps(results.orders.baseline)}`);
    }

    results.peakRssMib = { zerodrop: zerodrop.peakRssMib(), baseline: baseline.peakRssMib() };
    inspector?.close();
    return results;
  } finally {
    await servers.zerodrop?.stop();
    await servers.baseline?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(baselineDataDir, { recursive: true, force: true });
  }
}

// ---- report ---------------------------------------------------------------------------------

const rps = (m: Measured) => `${m.rps.toFixed(0)} req/s`;
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');

function table(r: DatabaseResults): string {
  const rows: string[][] = [['Workload', 'ZeroDrop', 'Baseline', 'Ratio', 'Target', '']];
  if (r.purchase) {
    const at70 = r.purchase.at70PercentOfPeak;
    rows.push(['1. finishPurchase, new purchase', rps(r.purchase.zerodrop), rps(r.purchase.baseline), times(r.purchase.ratio), '≥ 0.70× baseline', mark(r.purchase.ratio >= 0.7)]);
    rows.push([
      `1. p99 latency at 70% of peak (${at70.targetRate} req/s; p50 ${ms(at70.latencyMs.p50)}, machine ${at70.machineBusyPercent.toFixed(0)}% busy)`,
      ms(at70.latencyMs.p99), '', '', '< 50 ms', mark(at70.latencyMs.p99 < 50),
    ]);
    const at30 = r.purchase.at30PercentOfPeak;
    rows.push([
      `1. p99 latency at 30% of peak (${at30.targetRate} req/s; p50 ${ms(at30.latencyMs.p50)}, machine ${at30.machineBusyPercent.toFixed(0)}% busy)`,
      ms(at30.latencyMs.p99), '', '', '', '',
    ]);
  }
  if (r.resubmission) {
    const ratio = r.resubmission.ratioToNewPurchase;
    rows.push([
      '2. same purchase again (already delivered)',
      rps(r.resubmission.zerodrop),
      rps(r.resubmission.baseline),
      ratio === null ? '' : `${times(ratio)} workload 1`,
      '≥ 2× workload 1',
      ratio === null ? '' : mark(ratio >= 2),
    ]);
  }
  if (r.orders) {
    rows.push(['3. orders(first: 50) + product + entitlements', rps(r.orders.zerodrop), rps(r.orders.baseline), times(r.orders.ratio), '≥ 0.50× baseline', mark(r.orders.ratio >= 0.5)]);
  }
  if (r.paging) {
    rows.push(['4. orders page 1, one client (mean latency)', ms(r.paging.firstPage.latencyMs.mean), '', '', '', '']);
    for (const page of r.paging.pages) {
      rows.push([
        `4. page after ${page.depth.toLocaleString('en')} of ${r.paging.deep.count.toLocaleString('en')} orders`,
        ms(page.run.latencyMs.mean),
        '',
        `${times(page.ratioToFirst)} page 1`,
        '≤ 1.2× page 1',
        mark(page.ratioToFirst <= 1.2),
      ]);
    }
  }
  if (r.coldStartMs) {
    const migrated = median(r.coldStartMs.migratedDatabase);
    const pglite = r.database === 'pglite';
    rows.push(['5. cold start to ready, migrated database (median)', ms(migrated), '', '', pglite ? '≤ 2 s' : '', pglite ? mark(migrated <= 2000) : '']);
    rows.push(['5. cold start to ready, empty database (runs migrations)', ms(median(r.coldStartMs.freshDatabase)), '', '', '', '']);
  }
  rows.push(['6. peak RSS over the whole run', `${r.peakRssMib.zerodrop.toFixed(0)} MiB`, `${r.peakRssMib.baseline.toFixed(0)} MiB`, '', '< 300 MiB', mark(r.peakRssMib.zerodrop < 300)]);
  rows.push(['6. RSS once started, before load', `${r.idleRssMib.zerodrop.toFixed(0)} MiB`, `${r.idleRssMib.baseline.toFixed(0)} MiB`, '', '', '']);
  if (r.ceilings) {
    rows.push(['Ceiling: Yoga `{ __typename }` through ZeroDrop', rps(r.ceilings.yogaTypename), '', '', '', '']);
    rows.push(['Ceiling: bare node:http', '', rps(r.ceilings.bareHttp), '', '', '']);
  }
  return markdownTable(rows);
}

function cpuTable(r: DatabaseResults): string {
  const rows: string[][] = [
    ['Per request, at peak', 'ZeroDrop CPU', 'Baseline CPU', 'CPU ratio', 'ZeroDrop p50 / p99', 'Baseline p50 / p99', 'Machine busy (ZeroDrop / baseline run)'],
  ];
  const add = (name: string, pair: { zerodrop: Measured; baseline: Measured } | undefined) => {
    if (!pair) return;
    const { zerodrop: z, baseline: b } = pair;
    rows.push([
      name,
      `${z.serverCpuMsPerRequest.toFixed(2)} ms`,
      `${b.serverCpuMsPerRequest.toFixed(2)} ms`,
      times(z.serverCpuMsPerRequest / b.serverCpuMsPerRequest),
      `${ms(z.latencyMs.p50)} / ${ms(z.latencyMs.p99)}`,
      `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)}`,
      `${z.machineBusyPercent.toFixed(0)}% / ${b.machineBusyPercent.toFixed(0)}%`,
    ]);
  };
  add('new purchase', r.purchase);
  add('same purchase again', r.resubmission);
  add('orders(first: 50)', r.orders);
  return rows.length > 1 ? markdownTable(rows) : '';
}

function profileTable(r: DatabaseResults): string {
  if (!r.profiles) return '';
  const lines = Object.entries(r.profiles).map(
    ([workload, summary]) =>
      `- ${workload}: ${summary.busyShareByPackage
        .slice(0, 8)
        .map((entry) => `${entry.name} ${entry.percent}%`)
        .join(', ')}`,
  );
  return ['ZeroDrop CPU by package (share of busy samples, profiled extra run):', ...lines].join('\n');
}

function markdownTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The commit measured: BENCH_COMMIT when the tree is an exported copy without .git, else HEAD. */
function gitCommit(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (args.profile) mkdirSync(PROFILE_DIR, { recursive: true });
  const started = new Date();
  const signer = await startPurchaseSigner();
  const results: DatabaseResults[] = [];
  try {
    for (const kind of DATABASES) results.push(await benchDatabase(kind, signer));
  } finally {
    await signer.close();
    rmSync(WORK_DIR, { recursive: true, force: true });
  }
  const meta = {
    date: started.toISOString(),
    durationMinutes: (Date.now() - started.getTime()) / 60_000,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    commit: gitCommit(),
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    postgres: DATABASES.includes('postgres') ? await postgresVersion() : null,
    settings: SETTINGS,
    zerodropNodeOptions: process.env.BENCH_ZERODROP_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS,
  };
  const latest = join(RESULTS_DIR, 'latest.json');
  writeFileSync(latest, JSON.stringify({ meta, results }, null, 2) + '\n');
  if (QUICK) copyFileSync(latest, join(RESULTS_DIR, 'latest-quick.json'));
  const report = [
    `Benchmark ${meta.date} · commit ${meta.commit} · ${meta.cpu} · Node ${meta.node}${meta.postgres ? ` · PostgreSQL ${meta.postgres}` : ''}`,
    `${SETTINGS.durationSeconds} s per run, ${SETTINGS.connections} connections, ${SETTINGS.rounds} round(s), medians · load generator, servers and database share the machine`,
    ...results.flatMap((r) => ['', `### ${r.database === 'postgres' ? 'PostgreSQL' : 'PGlite'}`, '', table(r), '', cpuTable(r), '', profileTable(r)]),
  ].join('\n');
  process.stdout.write(report + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

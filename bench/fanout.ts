// Subscription fan-out: N concurrent SSE subscribers of orderEvents on a real ZeroDrop
// server process (or several, on one PostgreSQL and one Redis), a series of purchases,
// and how long each event takes from its commit to each subscriber.
//
// The commit happens inside the purchase request, between sending it and its answer, so
// two figures bound commit→receipt: from the answer (commit + answering; slightly low)
// and from sending (verification + commit + publish; high).
//
//   npx tsx bench/fanout.ts [--subscribers 1000] [--purchases 50] [--interval-ms 250] [--instances 1]
//   DATABASE_URL=postgresql://… REDIS_URL=redis://… npx tsx bench/fanout.ts --instances 2
//
// Without DATABASE_URL the server uses embedded PGlite in a temporary directory; with it,
// a fresh database is created for the run and dropped afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { freePort } from '../test/helpers/free-port.js';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FakeHuawei } from '../test/helpers/fake-huawei.js';

const REPO_ROOT = new URL('..', import.meta.url).pathname;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const PRODUCT_ID = 'gems_100';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    purchases: { type: 'string', default: '50' },
    'interval-ms': { type: 'string', default: '250' },
    instances: { type: 'string', default: '1' },
  },
});
const SUBSCRIBERS = Number(args.subscribers);
const PURCHASES = Number(args.purchases);
const INTERVAL_MS = Number(args['interval-ms']);
const INSTANCES = Number(args.instances);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Instance {
  baseUrl: string;
  child: ChildProcess;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} while starting`);
    if (Date.now() > deadline) throw new Error('server did not become ready within 120 s');
    const ready = await fetch(`${baseUrl}/ready`).then((r) => r.status === 200, () => false);
    if (ready) return { baseUrl, child };
    await sleep(100);
  }
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  const force = setTimeout(() => instance.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(force);
}

async function graphql<T>(baseUrl: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!response.ok || body.errors || !body.data) throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

/** An app with a SANDBOX Huawei account trusting the fake's root, and one consumable. */
async function createTenant(baseUrl: string, fake: FakeHuawei): Promise<string> {
  const { createApp } = await graphql<{ createApp: { serverKey: string } }>(
    baseUrl,
    ADMIN_TOKEN,
    `mutation($input: CreateAppInput!) { createApp(input: $input) { ... on CreateAppPayload { serverKey } } }`,
    { input: { name: 'fan-out bench', rateLimitPerMinute: 1_000_000 } },
  );
  const key = createApp.serverKey;
  await graphql(baseUrl, key, `mutation($input: CreateStoreAccountInput!) { createStoreAccount(input: $input) { __typename } }`, {
    input: { name: 'huawei', environment: 'SANDBOX', trustedRootsPem: fake.rootPem, huawei: { applicationId: fake.applicationId } },
  });
  await graphql(baseUrl, key, `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename } }`, {
    input: { store: 'HUAWEI', sku: PRODUCT_ID, storeProductId: PRODUCT_ID, type: 'CONSUMABLE', name: '100 gems' },
  });
  return key;
}

const SUBSCRIPTION = JSON.stringify({ query: 'subscription { orderEvents { id type order { storeOrderId status } } }' });

/**
 * Opens one SSE subscription over plain node:http (cheap on the client side, so the
 * client is not what is measured) and reports each event's storeOrderId with the time
 * it arrived. Resolves when the response headers arrived: the subscription is running.
 */
function subscribe(baseUrl: string, key: string, agent: Agent, onEvent: (storeOrderId: string, at: number) => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/graphql`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`subscription answered HTTP ${res.statusCode}`));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffered += chunk;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!block.startsWith('event: next') || !data) continue;
            const parsed = JSON.parse(data) as { data: { orderEvents: { order: { storeOrderId: string } } } };
            onEvent(parsed.data.orderEvents.order.storeOrderId, at);
          }
        });
        resolve(res);
      },
    );
    req.on('error', reject);
    req.end(SUBSCRIPTION);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (INSTANCES > 1 && !(databaseUrl && redisUrl)) throw new Error('--instances > 1 needs DATABASE_URL and REDIS_URL (one database, one Redis)');

  const dataDir = mkdtempSync(join(tmpdir(), 'zd-fanout-'));
  let dropDatabase: (() => Promise<void>) | undefined;
  let serverDatabaseUrl: string | undefined;
  if (databaseUrl) {
    const name = `zd_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    serverDatabaseUrl = url.toString();
    dropDatabase = async () => {
      const dropper = new pg.Client({ connectionString: databaseUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    };
  }

  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    ZERODROP_MASTER_KEY: randomBytes(32).toString('base64'),
    ZERODROP_ADMIN_TOKEN: ADMIN_TOKEN,
    CREATE_DEMO_APP: 'false',
    GRAPHIQL: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000',
    PLAYER_RATE_LIMIT_PER_MINUTE: '1000000',
    CLIENT_ADDRESS_RATE_LIMIT_PER_MINUTE: '1000000',
    LIVE_CONNECTIONS_PER_KEY: '1000000',
    LIVE_CONNECTIONS_PER_ADDRESS: '1000000',
    LIVE_SUBSCRIPTIONS_PER_KEY: '1000000',
    LIVE_SUBSCRIPTIONS_PER_ADDRESS: '1000000',
    ...(serverDatabaseUrl ? { DATABASE_URL: serverDatabaseUrl } : {}),
    ...(redisUrl && serverDatabaseUrl ? { REDIS_URL: redisUrl } : {}),
  };

  const fake = await FakeHuawei.start();
  const instances: Instance[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const streams: IncomingMessage[] = [];
  try {
    // The first instance migrates the database; the others start once it is ready.
    instances.push(await startInstance(env));
    for (let i = 1; i < INSTANCES; i++) instances.push(await startInstance({ ...env, MIGRATE_ON_START: 'false' }));
    const key = await createTenant(instances[0]!.baseUrl, fake);

    // arrivals[storeOrderId] = receipt times, one per subscriber
    const arrivals = new Map<string, number[]>();
    const onEvent = (storeOrderId: string, at: number) => {
      const list = arrivals.get(storeOrderId);
      if (list) list.push(at);
      else arrivals.set(storeOrderId, [at]);
    };
    const opening = performance.now();
    for (let i = 0; i < SUBSCRIBERS; i += 100) {
      const batch = Array.from({ length: Math.min(100, SUBSCRIBERS - i) }, (_, j) =>
        subscribe(instances[(i + j) % instances.length]!.baseUrl, key, agent, onEvent),
      );
      streams.push(...(await Promise.all(batch)));
    }
    const openMs = performance.now() - opening;

    const purchases = await Promise.all(Array.from({ length: PURCHASES }, () => fake.signPurchase({ productId: PRODUCT_ID })));
    const sent = new Map<string, { sentAt: number; answeredAt: number }>();
    for (const [i, { purchaseData, payload }] of purchases.entries()) {
      const sentAt = performance.now();
      await graphql(instances[0]!.baseUrl, key, `mutation($input: FinishPurchaseInput!) { finishPurchase(input: $input) { __typename } }`, {
        input: { purchaseData, playerId: `player-${i}` },
      });
      sent.set(String(payload.purchaseOrderId), { sentAt, answeredAt: performance.now() });
      await sleep(INTERVAL_MS);
    }
    // let the last event reach everyone
    const settleUntil = performance.now() + 10_000;
    while (performance.now() < settleUntil && [...sent.keys()].some((id) => (arrivals.get(id)?.length ?? 0) < SUBSCRIBERS)) await sleep(50);

    const fromAnswer: number[] = [];
    const fromSend: number[] = [];
    let missing = 0;
    let extra = 0;
    for (const [storeOrderId, { sentAt, answeredAt }] of sent) {
      const times = arrivals.get(storeOrderId) ?? [];
      missing += Math.max(0, SUBSCRIBERS - times.length);
      extra += Math.max(0, times.length - SUBSCRIBERS);
      for (const at of times) {
        fromAnswer.push(at - answeredAt);
        fromSend.push(at - sentAt);
      }
    }
    fromAnswer.sort((a, b) => a - b);
    fromSend.sort((a, b) => a - b);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const summary = {
      database: serverDatabaseUrl ? 'postgresql' : 'pglite',
      redis: Boolean(env.REDIS_URL),
      instances: INSTANCES,
      subscribers: SUBSCRIBERS,
      purchases: PURCHASES,
      intervalMs: INTERVAL_MS,
      receipts: fromAnswer.length,
      missing,
      duplicates: extra,
      openSubscribersMs: Math.round(openMs),
      fromAnswer: { p50: percentile(fromAnswer, 50), p99: percentile(fromAnswer, 99), max: fromAnswer.at(-1) },
      fromSend: { p50: percentile(fromSend, 50), p99: percentile(fromSend, 99), max: fromSend.at(-1) },
      loadAverage1m: loadavg()[0] ?? NaN,
    };
    console.log(
      [
        `fan-out: ${SUBSCRIBERS} SSE subscribers on ${INSTANCES} instance(s), ${summary.database}${summary.redis ? ' + Redis' : ''}, ${PURCHASES} purchases ${INTERVAL_MS} ms apart`,
        `  receipts ${summary.receipts} (missing ${missing}, duplicates ${extra}); subscribers opened in ${summary.openSubscribersMs} ms`,
        `  commit→receipt, from the purchase's answer: p50 ${ms(summary.fromAnswer.p50)}  p99 ${ms(summary.fromAnswer.p99)}  max ${ms(summary.fromAnswer.max ?? NaN)}`,
        `  commit→receipt, from sending the purchase:  p50 ${ms(summary.fromSend.p50)}  p99 ${ms(summary.fromSend.p99)}  max ${ms(summary.fromSend.max ?? NaN)}`,
        `  machine load average (1 min) at the end: ${summary.loadAverage1m.toFixed(2)}`,
      ].join('\n'),
    );
    console.log(JSON.stringify(summary));
    if (missing > 0 || extra > 0) process.exitCode = 1;
  } finally {
    for (const stream of streams) stream.destroy();
    agent.destroy();
    await Promise.all(instances.map(stopInstance));
    await fake.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

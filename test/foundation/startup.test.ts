// `npm start` as a newcomer sees it: the real server process on a fresh database applies
// the migrations, prints a demo app's keys once, serves GraphiQL, answers /health and
// /ready, and stops cleanly on SIGTERM. On PostgreSQL (DATABASE_URL set for the suite) the
// same runs against a fresh, empty database created for this file.
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadEnv } from '../../src/platform/env.js';
import { createLogger } from '../../src/platform/logger.js';
import { graphql } from '../gql/index.js';
import { withDatabase } from '../global-setup.js';
import { createTestDatabase } from '../helpers/database.js';
import { SLOW, startServer } from './process.js';
import { freePort } from '../helpers/free-port.js';
import { builtInStores } from '../../src/providers/index.js';

const CreateProduct = graphql(`
  mutation StartupCreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload { product { sku } }
    }
  }
`);

const postgres = inject('postgresTemplate');
const createdDatabases: string[] = [];

/** A fresh, empty (unmigrated) database: a temp DATA_DIR for PGlite, or a new PostgreSQL database. */
async function freshDatabase(): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zd-start-'));
  if (!postgres) return { DATA_DIR: dataDir };
  const name = `zd_start_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  createdDatabases.push(name);
  return {
    DATA_DIR: dataDir,
    DATABASE_URL: withDatabase(postgres.adminUrl, name),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: postgres!.adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

afterAll(async () => {
  for (const name of createdDatabases) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

/** pino writes one JSON object per line; the demo banner is plain text between them. */
function logMessages(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe.concurrent('the server process', () => {
  it('starts on a fresh database, prints the demo keys once, serves GraphiQL, stops on SIGTERM', SLOW, async () => {
    const database = await freshDatabase();
    const vars = { ...database, LOG_LEVEL: 'info', WORKER_POLL_MS: '60000' };

    const first = await startServer(vars);
    const banner = await first.waitForStdout(/Open http:\S+ and set the header.*\n/);
    expect(logMessages(banner)).toContain('applied database migrations');
    expect(banner).toContain('ZeroDrop demo app created');
    const serverKey = /server key\s+(zd_sk_\S+)/.exec(banner)?.[1];
    expect(serverKey).toBeDefined();
    expect(banner).toMatch(/client key\s+zd_pk_\S+/);
    expect(banner).toMatch(/Open http:\/\/localhost:\d+\/graphql and set the header/);

    expect(await (await fetch(`${first.baseUrl}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${first.baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', ...(database.REDIS_URL ? { redis: 'ok' } : {}) },
    });

    const graphiql = await fetch(`${first.baseUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    expect(graphiql.headers.get('content-type')).toContain('text/html');
    expect(await graphiql.text()).toContain('<title>ZeroDrop</title>');

    // the newcomer's first step: create a product with the printed key
    const created = await fetch(`${first.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serverKey}` },
      body: JSON.stringify({
        query: print(CreateProduct),
        variables: { input: { store: 'HUAWEI', sku: 'gems_100', storeProductId: 'gems100', type: 'CONSUMABLE', name: '100 gems' } },
      }),
    });
    expect(await created.json()).toEqual({ data: { createProduct: { __typename: 'ProductPayload', product: { sku: 'gems_100' } } } });

    const stopped = await first.stop();
    expect(stopped.code).toBe(0);
    expect(logMessages(stopped.stdout)).toContain('stopped');

    // second start: nothing to migrate, no second demo app, the printed key still works
    const second = await startServer(vars);
    const again = await fetch(`${second.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serverKey}` },
      body: JSON.stringify({ query: '{ products { edges { node { sku } } } }' }),
    });
    expect(await again.json()).toEqual({ data: { products: { edges: [{ node: { sku: 'gems_100' } }] } } });

    if (postgres) {
      // the database goes away under a running server: /ready says so, promptly
      await adminQuery(`DROP DATABASE ${new URL(database.DATABASE_URL!).pathname.slice(1)} WITH (FORCE)`);
      const started = Date.now();
      const gone = await fetch(`${second.baseUrl}/ready`);
      expect(gone.status).toBe(503);
      expect(await gone.json()).toMatchObject({ status: 'unavailable', checks: { database: 'failed' } });
      expect(Date.now() - started).toBeLessThan(3000);
    }

    const secondStop = await second.stop();
    expect(secondStop.code).toBe(0);
    expect(secondStop.stdout).not.toContain('demo app created');
    expect(secondStop.stdout).not.toContain('zd_sk_');
    expect(logMessages(secondStop.stdout)).not.toContain('applied database migrations');
  });

  it('keeps running with the database unreachable: /ready answers 503, GraphQL 503, SIGTERM exits 0', SLOW, async () => {
    const closedPort = await freePort();
    const server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'zd-start-')),
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/zerodrop`,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'warn',
      WORKER_POLL_MS: '60000',
    });
    const started = Date.now();
    const ready = await fetch(`${server.baseUrl}/ready`);
    expect(ready.status).toBe(503);
    const body = await ready.text();
    expect(JSON.parse(body)).toEqual({ status: 'unavailable', checks: { database: 'failed' } });
    expect(body).not.toContain(String(closedPort)); // /ready is public: no hosts, no driver messages
    expect(Date.now() - started).toBeLessThan(3000);

    const query = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer zd_sk_${'x'.repeat(32)}` },
      body: JSON.stringify({ query: '{ app { id } }' }),
    });
    expect(query.status).toBe(503);
    expect(await query.json()).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] });

    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('could not check for or create the demo app');
  });

  it('reports Redis on /ready when REDIS_URL is set and Redis does not answer', SLOW, async () => {
    const database = await createTestDatabase();
    const env = loadEnv({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'zd-start-')),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'silent',
    });
    const app = await createApp({ env, stores: builtInStores, db: database.db, logger: createLogger('silent'), startWorker: false });
    try {
      await database.db.ping(); // the pool's first connection is not what this measures
      const started = Date.now();
      const ready = await app.fetch(new Request('http://zerodrop.test/ready'));
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'failed' } });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('does not migrate with MIGRATE_ON_START=false', SLOW, async () => {
    const database = await freshDatabase();
    const env = loadEnv({ ...database, MIGRATE_ON_START: 'false', CREATE_DEMO_APP: 'false', LOG_LEVEL: 'silent' });
    const app = await createApp({ env, stores: builtInStores, logger: createLogger('silent'), startWorker: false });
    try {
      const [row] = await app.db.prisma.$queryRaw<{ table: string | null }[]>`SELECT to_regclass('"_prisma_migrations"')::text AS "table"`;
      expect(row?.table).toBeNull();
      const [apps] = await app.db.prisma.$queryRaw<{ table: string | null }[]>`SELECT to_regclass('"App"')::text AS "table"`;
      expect(apps?.table).toBeNull();
    } finally {
      await app.close();
    }
  });
});

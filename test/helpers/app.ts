// A ZeroDrop instance for tests, driven through app.fetch (no socket), with helpers
// to create tenants and run typed GraphQL documents.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createApp, type ZeroDropApp } from '../../src/app.js';
import { loadEnv, type Env } from '../../src/platform/env.js';
import { createLogger } from '../../src/platform/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { builtInStores } from '../../src/providers/index.js';
import type { StoreModule } from '../../src/providers/contract.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface Credentials {
  key?: string;
  playerToken?: string;
  headers?: Record<string, string>;
}

export interface Tenant {
  appId: string;
  serverKey: string;
  clientKey: string;
}

export interface TestApp {
  app: ZeroDropApp;
  env: Env;
  database: TestDatabase;
  /** Runs a document and returns the parsed JSON body (status must be 200). */
  gql<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V, creds?: Credentials): Promise<ExecutionResult<R>>;
  /** Raw POST /graphql for status-code tests. */
  post(body: unknown, creds?: Credentials, init?: RequestInit): Promise<Response>;
  createTenant(name?: string): Promise<Tenant>;
  close(): Promise<void>;
}

export async function createTestApp(overrides: Record<string, string> = {}, options: { startWorker?: boolean; database?: TestDatabase; stores?: readonly StoreModule[] } = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const env = loadEnv({
    NODE_ENV: 'test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'zd-data-')),
    ZERODROP_MASTER_KEY: randomBytes(32).toString('base64'),
    ZERODROP_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    // The fake stores and webhook receivers listen on 127.0.0.1 (test/security turns these off).
    OUTBOUND_ALLOW_PRIVATE: 'true',
    ALLOW_PRODUCTION_API_BASE_URL: 'true',
    REDIS_URL: process.env.REDIS_URL,
    ...overrides,
  });
  const app = await createApp({
    env,
    stores: options.stores ?? builtInStores,
    db: database.db,
    logger: createLogger(env.LOG_LEVEL),
    startWorker: options.startWorker ?? false,
    workerBaseDelayMs: 20,
  });

  const post = (body: unknown, creds: Credentials = {}, init: RequestInit = {}) =>
    app.fetch(
      new Request('http://zerodrop.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(creds.key ? { authorization: `Bearer ${creds.key}` } : {}),
          ...(creds.playerToken ? { 'x-player-token': creds.playerToken } : {}),
          ...creds.headers,
        },
        body: JSON.stringify(body),
        ...init,
      }),
    );

  const gql: TestApp['gql'] = async (doc, variables, creds) => {
    const res = await post({ query: print(doc), variables }, creds);
    const body = (await res.json()) as ExecutionResult<never>;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };

  const createTenant = async (name = `app-${randomBytes(3).toString('hex')}`): Promise<Tenant> => {
    const created = await app.services.apps.createApp({ name }, 100_000);
    return { appId: created.app.id, serverKey: created.serverKey, clientKey: created.clientKey };
  };

  return {
    app,
    env,
    database,
    gql,
    post,
    createTenant,
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}

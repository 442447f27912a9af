// `npx zerodrop …`: apps and API keys from a shell, and migration status. One real
// process proves the bin works end to end; the other commands run in this process
// through runCli (the same function), which keeps the file fast.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type ZeroDropApp } from '../../src/app.js';
import { runCli } from '../../src/cli.js';
import { loadEnv } from '../../src/platform/env.js';
import { createLogger } from '../../src/platform/logger.js';
import { openDatabase } from '../../src/platform/db.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SLOW, runNode } from './process.js';
import { builtInStores } from '../../src/providers/index.js';

interface CliRun {
  code: number;
  out: string;
  err: string;
}

describe('the zerodrop CLI', () => {
  /** The same configuration a shell would give it: a temp DATA_DIR (PGlite), or this file's PostgreSQL database. */
  let vars: Record<string, string>;
  let postgres: TestDatabase | null = null;
  let created: { appId: string; serverKey: string; clientKey: string };

  const cli = async (...argv: string[]): Promise<CliRun> => {
    const run = { code: -1, out: '', err: '' };
    // after the first command (which migrated) no command needs to migrate again
    run.code = await runCli(argv, { ...vars, MIGRATE_ON_START: 'false' }, {
      out: (text) => void (run.out += `${text}\n`),
      err: (text) => void (run.err += `${text}\n`),
    });
    return run;
  };

  /** A server on the same database, to prove the keys the CLI printed work. */
  const withServer = async <T>(work: (app: ZeroDropApp) => Promise<T>): Promise<T> => {
    const env = loadEnv({ ...vars, MIGRATE_ON_START: 'false', LOG_LEVEL: 'silent' });
    const app = await createApp({ env, stores: builtInStores, logger: createLogger('silent'), startWorker: false });
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  };
  const ask = (app: ZeroDropApp, key: string) =>
    app.fetch(
      new Request('http://zerodrop.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ __typename app { name } }' }),
      }),
    );

  beforeAll(async () => {
    vars = { DATA_DIR: mkdtempSync(join(tmpdir(), 'zd-cli-')), LOG_LEVEL: 'silent' };
    const pgliteTemplate = inject('pgliteTemplatePath');
    if (pgliteTemplate) {
      // start from the run's migrated template: a fresh PGlite data directory costs
      // seconds to create, and startup.test.ts already proves a fresh one is migrated
      const seeded = await openDatabase({ dataDir: vars.DATA_DIR, loadDataDir: new Blob([readFileSync(pgliteTemplate)]) });
      await seeded.close();
    } else {
      postgres = await createTestDatabase();
      await postgres.db.close(); // the CLI and the server below open their own connections
      vars.DATABASE_URL = postgres.url!;
    }
  });
  afterAll(async () => {
    await postgres?.drop();
  });

  it('apps:create (through bin/zerodrop.js) prints keys that work', SLOW, async () => {
    const run = await runNode(['bin/zerodrop.js', 'apps:create', '--name', 'CLI game'], vars);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    created = JSON.parse(run.stdout) as typeof created;
    expect(created.serverKey).toMatch(/^zd_sk_/);
    expect(created.clientKey).toMatch(/^zd_pk_/);
    // the keys are tried against a server below, with the ones keys:create prints
  });

  it('apps:list, keys:create and keys:revoke manage keys; a revoked key is refused', SLOW, async () => {
    const listed = await cli('apps:list');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ id: created.appId, name: 'CLI game' })]);

    const made = await cli('keys:create', '--app', created.appId, '--role', 'server', '--name', 'deploy bot');
    expect(made.code).toBe(0);
    const key = JSON.parse(made.out) as { keyId: string; key: string };
    expect(key.key).toMatch(/^zd_sk_/);

    const client = JSON.parse((await cli('keys:create', '--app', created.appId, '--role', 'CLIENT')).out) as { key: string };
    expect(client.key).toMatch(/^zd_pk_/);

    const revoked = await cli('keys:revoke', '--app', created.appId, '--key', key.keyId);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.out)).toMatchObject({ keyId: key.keyId, revokedAt: expect.any(String) });

    await withServer(async (app) => {
      expect(await (await ask(app, created.serverKey)).json()).toEqual({ data: { __typename: 'Query', app: { name: 'CLI game' } } });
      expect((await ask(app, created.clientKey)).status).toBe(200);
      expect((await ask(app, client.key)).status).toBe(200);
      expect((await ask(app, key.key)).status).toBe(401);
    });
  });

  it('migrate status reports an up-to-date database, and migrate applies nothing', SLOW, async () => {
    const status = await cli('migrate', 'status');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toEqual({ applied: true, history: null, failedMigrationNames: [], editedMigrationNames: [] });
    const deploy = await cli('migrate', 'deploy');
    expect(deploy).toEqual({ code: 0, out: 'database is up to date\n', err: '' });
  });

  it('explains mistakes', SLOW, async () => {
    await expect(cli('keys:create', '--app', created.appId, '--role', 'admin')).rejects.toThrow('keys:create needs --app <id> --role server|client');
    await expect(cli('keys:create', '--app', 'not-an-app', '--role', 'server')).rejects.toThrow('App not found');
    await expect(cli('keys:revoke', '--app', created.appId, '--key', 'nope')).rejects.toThrow('API key not found');
    await expect(cli('keys:revoke', '--app', created.appId)).rejects.toThrow('keys:revoke needs --app <id> --key <keyId>');
    await expect(cli('migrate', 'sideways')).rejects.toThrow('unknown migrate subcommand sideways');
    await expect(cli('migrate:create')).rejects.toThrow('migrate:create needs a name');
    await expect(cli('--bogus-flag')).rejects.toThrow("Unknown option '--bogus-flag'");

    const unknown = await cli('apps:delete');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('unknown command apps:delete');
    expect(unknown.err).toContain('Usage: zerodrop <command>');
    expect((await cli()).code).toBe(1);
    const help = await cli('apps:create', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('keys:revoke --app <id> --key <keyId>');
  });
});

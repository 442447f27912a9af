// The chaos run's own PostgreSQL database (created fresh, dropped at the end) and the
// local cluster's stop/start for the database outage scenario.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { sleep } from './api.js';

const run = promisify(execFile);

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface ChaosDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the server `adminUrl` points at; the servers migrate it. */
export async function createChaosDatabase(adminUrl: string): Promise<ChaosDatabase> {
  const name = `zd_chaos_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () => withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** True when the server answers a query. */
export async function isPostgresUp(url: string): Promise<boolean> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * The pg_ctlcluster cluster the database outage stops: `main` unless
 * ZERODROP_CHAOS_PG_CLUSTER names another (a private cluster spares a shared machine's
 * other users of `main`).
 */
const clusterName = () => process.env.ZERODROP_CHAOS_PG_CLUSTER ?? 'main';

/** The local cluster's version directory (/etc/postgresql/<version>), for pg_ctlcluster. */
function clusterVersion(): string {
  const versions = readdirSync('/etc/postgresql');
  if (versions.length !== 1) throw new Error(`expected one PostgreSQL version in /etc/postgresql, found: ${versions.join(', ') || 'none'}`);
  return versions[0]!;
}

/** Whether this machine runs PostgreSQL as a local pg_ctlcluster cluster we may stop. */
export function canControlCluster(): boolean {
  try {
    clusterVersion();
    return true;
  } catch {
    return false;
  }
}

/** Stops the local cluster (fast mode: open sessions are cut, as in a crash of the database host). */
export async function stopCluster(): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', clusterVersion(), clusterName(), 'stop', '-m', 'fast']);
}

/** Starts the local cluster and waits until `url` answers. Safe to call when it is already up. */
export async function startCluster(url: string): Promise<void> {
  if (!(await isPostgresUp(url))) {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', clusterVersion(), clusterName(), 'start']).catch(async (error: unknown) => {
      // "already running" races are fine; anything else must surface if the server stays down.
      if (!(await isPostgresUp(url))) throw error;
    });
  }
  const deadline = Date.now() + 60_000;
  while (!(await isPostgresUp(url))) {
    if (Date.now() > deadline) throw new Error('PostgreSQL did not come back within 60 s');
    await sleep(200);
  }
}

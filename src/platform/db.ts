// Database access: embedded PGlite by default, PostgreSQL when DATABASE_URL is set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../generated/prisma/client.js';
import { applyMigrations } from './migrate.js';
import { lockDataDir } from './guards.js';

export { PrismaClient };
export type { Prisma } from '../generated/prisma/client.js';
export type TransactionClient = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory (ignored with databaseUrl). */
  dataDir?: string | undefined;
  /** PGlite: start from a dumped data directory (tests clone a migrated template). */
  loadDataDir?: Blob | undefined;
  poolSize?: number | undefined;
  /** Called with every SQL statement Prisma sends (tests count statements per request). */
  onQuery?: QueryListener | undefined;
}

export type QueryListener = (statement: { sql: string; durationMs: number }) => void;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  /** PostgreSQL only: connections of the pool (metrics). */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
  /** PGlite only: the raw embedded database (tests dump/clone it). */
  readonly pglite?: PGlite;
}

/** Prisma's query log is off by default (it costs on every statement); only a listener turns it on. */
function createPrismaClient(adapter: SqlMigrationAwareDriverAdapterFactory, onQuery: QueryListener | undefined): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery({ sql: event.query, durationMs: event.duration }));
  return prisma;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    // Our own pool, so metrics can read its use; the adapter leaves an external pool open.
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => {}); // an idle client's lost connection: the next query reports it
    const adapterFactory = new PrismaPg(pool);
    const prisma = createPrismaClient(adapterFactory, options.onQuery);
    return {
      kind: 'postgres',
      prisma,
      adapterFactory,
      migrate: () => applyMigrations(adapterFactory),
      ping: async () => {
        await prisma.$queryRaw`SELECT 1`;
      },
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: async () => {
        await prisma.$disconnect();
        // Idempotent: an owner and a test harness may both close it; pg-pool throws on a second end().
        if (!pool.ended && !pool.ending) await pool.end();
      },
    };
  }
  let dataDir: string | undefined;
  let unlock = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    dataDir = join(options.dataDir, 'pglite');
    unlock = lockDataDir(options.dataDir);
  }
  let pglite: PGlite;
  let PrismaPGlite: typeof import('pglite-prisma-adapter').PrismaPGlite;
  try {
    // Loaded only for the embedded database: a PostgreSQL deployment never needs them.
    const [pgliteModule, adapterModule] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
    PrismaPGlite = adapterModule.PrismaPGlite;
    pglite = await pgliteModule.PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (err) {
    unlock();
    throw err;
  }
  const adapterFactory = new PrismaPGlite(pglite);
  const prisma = createPrismaClient(adapterFactory, options.onQuery);
  return {
    kind: 'pglite',
    prisma,
    adapterFactory,
    pglite,
    migrate: () => applyMigrations(adapterFactory),
    ping: async () => {
      await pglite.query('SELECT 1');
    },
    close: async () => {
      await prisma.$disconnect();
      if (!pglite.closed) await pglite.close();
      unlock();
    },
  };
}

// Prisma migrations without Prisma's native engine: the wasm schema engine driven
// through our own driver adapters. Same folder format and `_prisma_migrations`
// bookkeeping as `prisma migrate deploy`, on PGlite and on PostgreSQL.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Database } from './db.js';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type {
  MigrationList,
  SchemaEngine as SchemaEngineInstance,
  HistoryDiagnostic,
} from '@prisma/schema-engine-wasm';

/** The project root: the nearest folder above this module with a package.json (src/db/ when run from source, dist/ when bundled). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the migration module');
    dir = parent;
  }
  return dir;
}

const root = projectRoot();
export const schemaPath = join(root, 'prisma/schema.prisma');
export const migrationsDir = join(root, 'prisma/migrations');

/** Where the schema and its migration history live (tests point these at a scratch copy). */
export interface MigrationPaths {
  schemaPath: string;
  migrationsDir: string;
}
const projectPaths: MigrationPaths = { schemaPath, migrationsDir };
const filters = { externalTables: [], externalEnums: [] };

type EngineModule = typeof import('@prisma/schema-engine-wasm');
let engineModule: Promise<EngineModule> | undefined;

/** Instantiates the wasm ourselves (no --experimental-wasm-modules) and unrefs its timers. */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const pkgDir = dirname(gluePath);
    // the glue alone, without the entry's `import * as wasm from "*.wasm"`
    const glue = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as EngineModule &
      Record<string, unknown>;
    const imports: WebAssembly.ModuleImports = { ...(glue as unknown as WebAssembly.ModuleImports) };
    for (const [name, fn] of Object.entries(glue)) {
      if (name.startsWith('__wbg_setTimeout_') && typeof fn === 'function') {
        imports[name] = (...args: unknown[]) => {
          const timer = (fn as (...a: unknown[]) => { unref?: () => void })(...args);
          timer.unref?.();
          return timer;
        };
      }
    }
    const bytes = await readFile(join(pkgDir, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    (glue as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  return engineModule;
}

export async function readMigrations(dir = migrationsDir): Promise<MigrationList> {
  const names = existsSync(dir)
    ? (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const lockPath = join(dir, 'migration_lock.toml');
  const lockContent = existsSync(lockPath)
    ? await readFile(lockPath, 'utf8')
    : 'provider = "postgresql"\n';
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok' as const, value: await readFile(join(dir, name, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

type Adapter = Awaited<ReturnType<SqlMigrationAwareDriverAdapterFactory['connect']>>;

/** An engine plus what it connected, so every connection it opened is closed after use. */
async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  shadow: () => Promise<Adapter>,
  work: (engine: SchemaEngineInstance) => Promise<T>,
  paths: MigrationPaths = projectPaths,
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readFile(paths.schemaPath, 'utf8');
  const opened: Adapter[] = [];
  const track = async (connect: () => Promise<Adapter>) => {
    const adapter = await connect();
    opened.push(adapter);
    return adapter;
  };
  const bound = bindMigrationAwareSqlAdapterFactory({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(() => factory.connect()),
    connectToShadowDb: () => track(shadow),
  });
  const engine = await SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, bound);
  try {
    return await work(engine);
  } finally {
    engine.free();
    await Promise.all(opened.map((a) => a.dispose().catch(() => {})));
  }
}

/** PGlite, loaded only when a migration needs it (a server start with nothing to apply never does). */
async function loadPglite() {
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  return { PGlite, PrismaPGlite };
}

async function inMemoryShadow() {
  const { PGlite, PrismaPGlite } = await loadPglite();
  const shadowDb = new PGlite();
  return new PrismaPGlite(shadowDb).connect();
}

/** Applies pending migrations; returns the names applied now (empty when up to date). */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const migrationsList = await readMigrations();
  return withEngine(factory, inMemoryShadow, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters });
    return out.appliedMigrationNames;
  });
}

export interface MigrationStatus {
  applied: boolean;
  history: HistoryDiagnostic | null;
  failedMigrationNames: string[];
  editedMigrationNames: string[];
}

export async function migrationStatus(factory: SqlMigrationAwareDriverAdapterFactory): Promise<MigrationStatus> {
  const migrationsList = await readMigrations();
  return withEngine(factory, inMemoryShadow, async (engine) => {
    const out = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters });
    return {
      applied: out.history === null && out.failedMigrationNames.length === 0,
      history: out.history,
      failedMigrationNames: out.failedMigrationNames,
      editedMigrationNames: out.editedMigrationNames,
    };
  });
}

/**
 * SQL that takes the migration history to `schema.prisma`; empty when they agree.
 * Always computed on in-memory PGlite, so it needs no database of the user's.
 */
export async function pendingSchemaSql(paths: MigrationPaths = projectPaths): Promise<string> {
  const { PGlite, PrismaPGlite } = await loadPglite();
  const scratch = new PGlite();
  const schema = await readFile(paths.schemaPath, 'utf8');
  const migrationsList = await readMigrations(paths.migrationsDir);
  try {
    return await withEngine(
      new PrismaPGlite(scratch),
      // The scratch database doubles as the shadow the migrations are replayed into: it is
      // empty and nothing else uses it, and each in-memory PGlite costs seconds to create.
      () => new PrismaPGlite(scratch).connect(),
      async (engine) => {
        const out = await engine.diff({
          from: { tag: 'migrations', ...migrationsList },
          to: { tag: 'schemaDatamodel', files: [{ path: paths.schemaPath, content: schema }] },
          script: true,
          exitCode: true,
          filters,
        });
        return out.exitCode === 2 ? (out.stdout ?? '') : '';
      },
      paths,
    );
  } finally {
    await scratch.close();
  }
}

/** Writes prisma/migrations/<timestamp>_<name>/migration.sql; returns its folder, or null if nothing changed. */
export async function createMigration(name: string, now = new Date(), paths: MigrationPaths = projectPaths): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('migration name must be snake_case: [a-z0-9_]+');
  const sql = await pendingSchemaSql(paths);
  if (!sql.trim()) return null;
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const folder = join(paths.migrationsDir, `${stamp}_${name}`);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'migration.sql'), sql);
  const lock = join(paths.migrationsDir, 'migration_lock.toml');
  if (!existsSync(lock)) {
    await writeFile(
      lock,
      '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
    );
  }
  return folder;
}

/**
 * Whether every migration folder is recorded as applied. Start-up then skips Prisma's
 * schema engine, which takes about a second and tens of MB to load only to find nothing
 * to do. Anything else — no history table yet, a pending, failed or rolled-back
 * migration — goes through the engine, which applies or reports it. Asked through the
 * driver adapter: the Prisma client would load its query compiler before the server is
 * ready.
 */
export async function migrationsApplied(db: Database): Promise<boolean> {
  const adapter = await db.adapterFactory.connect();
  try {
    const history = await adapter.queryRaw({
      sql: `SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
      args: [],
      argTypes: [],
    });
    const applied = new Set(history.rows.map(([name]) => name));
    const { migrationDirectories } = await readMigrations();
    return migrationDirectories.every((migration) => applied.has(migration.path));
  } catch {
    return false; // no history table yet: a new database
  } finally {
    await adapter.dispose();
  }
}

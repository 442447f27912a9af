// One Prisma schema, one migration history, both databases. The drift test fails the
// suite when schema.prisma changes without `npm run db:migrate:create -- <name>`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMigration,
  migrationStatus,
  migrationsDir,
  pendingSchemaSql,
  schemaPath,
  type MigrationPaths,
} from '../../src/platform/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SLOW } from './process.js';

/** A scratch copy of prisma/ so creating migrations never touches the real history. */
function scratchProject(): MigrationPaths {
  const dir = mkdtempSync(join(tmpdir(), 'zd-migrations-'));
  cpSync(migrationsDir, join(dir, 'migrations'), { recursive: true });
  cpSync(schemaPath, join(dir, 'schema.prisma'));
  return { schemaPath: join(dir, 'schema.prisma'), migrationsDir: join(dir, 'migrations') };
}

describe('schema.prisma and prisma/migrations', () => {
  it('agree: no SQL is pending (run `npm run db:migrate:create -- <name>` if this fails)', SLOW, async () => {
    const pending = await pendingSchemaSql();
    expect(pending.trim(), `schema.prisma is ahead of prisma/migrations by:\n${pending}`).toBe('');
  });

  it('createMigration writes a Prisma-format folder for a change, and then they agree again', SLOW, async () => {
    const paths = scratchProject();
    appendFileSync(paths.schemaPath, '\nmodel ScratchNote {\n  id   Int    @id\n  body String\n}\n');
    const folder = await createMigration('add_scratch_note', new Date('2030-01-02T03:04:05Z'), paths);
    expect(folder).toBe(join(paths.migrationsDir, '20300102030405_add_scratch_note'));
    expect(readFileSync(join(folder!, 'migration.sql'), 'utf8')).toContain('CREATE TABLE "ScratchNote"');
    expect(await createMigration('nothing_changed', new Date(), paths)).toBeNull();

    // the real history is untouched
    expect(readdirSync(migrationsDir).some((name) => name.endsWith('_add_scratch_note'))).toBe(false);
  });

  it('refuses a migration name that is not snake_case', async () => {
    await expect(createMigration('Add Refunds')).rejects.toThrow('migration name must be snake_case');
    expect(existsSync(join(migrationsDir, 'Add Refunds'))).toBe(false);
  });
});

describe('a migrated database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('reports every migration applied, and migrating again applies nothing', SLOW, async () => {
    const status = await migrationStatus(database.db.adapterFactory);
    expect(status).toEqual({ applied: true, history: null, failedMigrationNames: [], editedMigrationNames: [] });
    expect(await database.db.migrate()).toEqual([]);

    const applied = await database.db.prisma.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name`;
    const folders = readdirSync(migrationsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(applied.map((row) => row.migration_name)).toEqual(folders);
  });
});

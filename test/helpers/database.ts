// A fresh, migrated database for one test file: a PGlite clone of the run's template,
// or a PostgreSQL database created from the run's template database.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database, type QueryListener } from '../../src/platform/db.js';
import { withDatabase } from '../global-setup.js';

export interface TestDatabase {
  db: Database;
  /** PostgreSQL only: the URL of this file's database (for a second instance). */
  url: string | null;
  drop(): Promise<void>;
}

/** `onQuery` hears every SQL statement Prisma sends (tests that count statements per request). */
export async function createTestDatabase(options: { onQuery?: QueryListener } = {}): Promise<TestDatabase> {
  const pgliteTemplate = inject('pgliteTemplatePath');
  if (pgliteTemplate) {
    const db = await openDatabase({ loadDataDir: new Blob([readFileSync(pgliteTemplate)]), onQuery: options.onQuery });
    return { db, url: null, drop: () => db.close() };
  }
  const pgTemplate = inject('postgresTemplate');
  if (!pgTemplate) throw new Error('global setup provided no database template');
  const name = `zd_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgTemplate.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${pgTemplate.template}`);
  await admin.end();
  const url = withDatabase(pgTemplate.adminUrl, name);
  const db = await openDatabase({ databaseUrl: url, poolSize: 10, onQuery: options.onQuery });
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const dropper = new pg.Client({ connectionString: pgTemplate.adminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

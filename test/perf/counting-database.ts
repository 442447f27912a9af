// A test database whose Prisma client reports every SQL statement (src/db.ts onQuery),
// for tests that count statements per request.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type QueryListener } from '../../src/db.js';
import { withDatabase } from '../global-setup.js';
import type { TestDatabase } from '../helpers/database.js';

/** Like test/helpers/database.ts, with a statement listener on the Prisma client. */
export async function countingDatabase(onQuery: QueryListener): Promise<TestDatabase> {
  const pgliteTemplate = inject('pgliteTemplatePath');
  if (pgliteTemplate) {
    const db = await openDatabase({ loadDataDir: new Blob([readFileSync(pgliteTemplate)]), onQuery });
    return { db, url: null, drop: () => db.close() };
  }
  const template = inject('postgresTemplate');
  if (!template) throw new Error('global setup provided no database template');
  const name = `zd_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: template.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template.template}`);
  await admin.end();
  const url = withDatabase(template.adminUrl, name);
  const db = await openDatabase({ databaseUrl: url, poolSize: 4, onQuery });
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const dropper = new pg.Client({ connectionString: template.adminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

// Runs once per `vitest run`: prepares a migrated template database that every test
// file clones, so files are isolated and none pays for migrations.
//  - PGlite (default): migrate an in-memory PGlite once and dump it to a file.
//  - PostgreSQL (DATABASE_URL set): create a template database for this run; each file
//    creates its own database from it and drops it afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/platform/db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplatePath: string | null;
    postgresTemplate: { adminUrl: string; template: string } | null;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'zerodrop-test-'));
    const db = await openDatabase({});
    await db.migrate();
    const dump = await db.pglite!.dumpDataDir('none');
    const path = join(dir, 'template.tar');
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
    await db.close();
    project.provide('pgliteTemplatePath', path);
    project.provide('postgresTemplate', null);
    return async () => rmSync(dir, { recursive: true, force: true });
  }
  const template = `zd_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const db = await openDatabase({ databaseUrl: withDatabase(databaseUrl, template), poolSize: 2 });
  await db.migrate();
  await db.close();
  project.provide('pgliteTemplatePath', null);
  project.provide('postgresTemplate', { adminUrl: databaseUrl, template });
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}

// `npx tsx bench/driver-overhead.ts` — what one statement costs the Node process through
// Prisma 7 (query compiler + driver adapter) compared with `pg` alone, on a fresh
// migrated PostgreSQL database: the figure that bounds workload 1 and 3 in
// bench/README.md. Sequential calls on an idle pool; CPU is this process's user + system
// time per call, so the database's own work is not in it.
import pg from 'pg';
import { openDatabase } from '../src/platform/db.js';
import { createBenchDatabase } from './lib/postgres.js';

const CALLS = Number(process.env.CALLS ?? 3000);

async function measure(name: string, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 300; i++) await call(); // warm: plan caches, JIT
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let i = 0; i < CALLS; i++) await call();
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  const perCall = (value: number) => (value / CALLS).toFixed(3).padStart(6);
  console.log(`| ${name.padEnd(52)} | ${perCall((cpu.user + cpu.system) / 1000)} ms | ${perCall(wall)} ms |`);
}

async function main(): Promise<void> {
  const database = await createBenchDatabase();
  const db = await openDatabase({ databaseUrl: database.url, poolSize: 4 });
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  try {
    await db.migrate();
    const [app] = await pool.query<{ id: string }>(`INSERT INTO "App" (id, name, "playerTokenSecret", "updatedAt")
      VALUES (gen_random_uuid(), 'bench', 'x', now()) RETURNING id`).then((r) => r.rows);
    const appId = app!.id;
    console.log(`${CALLS} sequential calls each, after 300 to warm up\n`);
    console.log('| Call | CPU per call | Wall per call |');
    console.log('|---|---|---|');
    await measure('pg: SELECT 1', () => pool.query('SELECT 1'));
    await measure('Prisma: $queryRaw SELECT 1', () => db.prisma.$queryRaw`SELECT 1`);
    await measure('pg: SELECT app by id', () => pool.query('SELECT * FROM "App" WHERE id = $1', [appId]));
    await measure('Prisma: app.findUnique by id', () => db.prisma.app.findUnique({ where: { id: appId } }));
    await measure('pg: BEGIN; SELECT 1; COMMIT', async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT 1');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    await measure('Prisma: $transaction(tx => tx.$queryRaw SELECT 1)', () => db.prisma.$transaction((tx) => tx.$queryRaw`SELECT 1`));
  } finally {
    await pool.end();
    await db.close();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

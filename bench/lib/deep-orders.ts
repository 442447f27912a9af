// Workload 4's data: a million orders for one app, written with set-based SQL (through
// the API this would take hours and measure nothing of interest). The rows look like
// delivered Huawei orders; only the paging query reads them.
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

const BATCH = 100_000;

type Run = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export interface DeepOrders {
  count: number;
  /** Cursor seq values: paging `after` them reads a page this many orders from the newest. */
  cursors: { depth: number; seq: string }[];
  seedSeconds: number;
}

async function seed(run: Run, appId: string, storeAccountId: string, count: number, depths: number[]): Promise<DeepOrders> {
  const started = performance.now();
  for (let from = 1; from <= count; from += BATCH) {
    const to = Math.min(count, from + BATCH - 1);
    await run(
      `INSERT INTO "Order" (id, "appId", "storeAccountId", store, environment, "storeOrderId", "storeProductId", "productType",
         "playerId", quantity, "amountMinor", currency, "purchasedAt", status, "finishMode", "deliveredAt", "verifiedPayload", "updatedAt")
       SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'HUAWEI', 'SANDBOX', 'DEEP' || g, 'gems_100', 'CONSUMABLE',
         'player-' || (g % 1000), 1, 600, 'CNY', now(), 'DELIVERED', 'CLIENT', now(), '{}'::jsonb, now()
       FROM generate_series($3::int, $4::int) AS g`,
      [appId, storeAccountId, from, to],
    );
  }
  // Settle the table before measuring: visibility map and statistics for the planner.
  await run('VACUUM ANALYZE "Order"', []);
  const cursors: DeepOrders['cursors'] = [];
  for (const depth of depths) {
    // Newest first: the order `depth` rows from the top; paging after it reads the next page.
    // (Aliased apart from "seq": ORDER BY would otherwise sort by the text alias.)
    const [row] = await run(`SELECT seq::text AS "cursorSeq" FROM "Order" WHERE "appId" = $1::uuid ORDER BY seq DESC OFFSET $2 LIMIT 1`, [
      appId,
      Math.min(depth, count - 51),
    ]);
    cursors.push({ depth, seq: String(row!.cursorSeq) });
  }
  return { count, cursors, seedSeconds: (performance.now() - started) / 1000 };
}

export async function seedDeepOrdersPostgres(url: string, appId: string, storeAccountId: string, count: number, depths: number[]): Promise<DeepOrders> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const seeded = await seed(async (text, params) => (await client.query(text, params)).rows as Record<string, unknown>[], appId, storeAccountId, count, depths);
    await client.query('CHECKPOINT'); // the seeding's writes flushed now, not during a measurement
    return seeded;
  } finally {
    await client.end();
  }
}

/** PGlite is single-process: call this only while no server holds `dataDir`. */
export async function seedDeepOrdersPglite(dataDir: string, appId: string, storeAccountId: string, count: number, depths: number[]): Promise<DeepOrders> {
  const db = await PGlite.create({ dataDir: join(dataDir, 'pglite') });
  try {
    return await seed(async (text, params) => (await db.query<Record<string, unknown>>(text, params)).rows, appId, storeAccountId, count, depths);
  } finally {
    await db.close();
  }
}

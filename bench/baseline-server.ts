// The yardstick: a plain node:http server that does what ZeroDrop's purchase and order
// paths must do at minimum — the same API-key check (cached like ZeroDrop's), the same
// Huawei verification code (JWS, x5c chain, OID, account checks), and hand-written SQL in
// one transaction through `pg` (or PGlite with DATA_DIR) — with no GraphQL and no ORM.
// It handles only the benchmark's case (a known consumable product, client-side finish);
// it is not a product. Routes: GET /bare, POST /purchase, GET /orders?first=N.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { SecretBox } from '../src/platform/crypto.js';
import { decodeKey } from '../src/platform/env.js';
import { verifyHuaweiPurchase } from '../src/providers/huawei/protocol/purchase.js';
import type { StoreAccountConfig } from '../src/providers/contract.js';

type Row = Record<string, unknown>;
type Query = (text: string, params?: unknown[]) => Promise<Row[]>;

interface Sql {
  query: Query;
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
}

function postgresSql(url: string, poolSize: number): Sql {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  return {
    query: async (text, params) => (await pool.query(text, params)).rows as Row[],
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(async (text, params) => (await client.query(text, params)).rows as Row[]);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

async function pgliteSql(dataDir: string): Promise<Sql> {
  const db = await PGlite.create({ dataDir: join(dataDir, 'pglite') });
  return {
    query: async (text, params) => (await db.query<Row>(text, params)).rows,
    transaction: (work) => db.transaction((tx) => work(async (text, params) => (await tx.query<Row>(text, params)).rows)),
  };
}

const KEY_CACHE_MS = 5_000;
const ACCOUNT_CACHE_MS = 5_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const sql = databaseUrl
    ? postgresSql(databaseUrl, Number(process.env.DATABASE_POOL_SIZE ?? 10))
    : await pgliteSql(process.env.DATA_DIR ?? '.data');
  const masterKey = decodeKey(process.env.ZERODROP_MASTER_KEY ?? '');
  if (!masterKey) throw new Error('ZERODROP_MASTER_KEY (32 bytes, base64 or hex) is required');
  const box = new SecretBox(masterKey);

  const keys = new Map<string, { appId: string; until: number }>();
  async function authenticate(request: IncomingMessage): Promise<string> {
    const key = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!key) throw new HttpError(401, 'missing API key');
    const hash = createHash('sha256').update(key).digest('hex');
    const cached = keys.get(hash);
    if (cached && cached.until > Date.now()) return cached.appId;
    const [row] = await sql.query('SELECT "appId", "revokedAt" FROM "ApiKey" WHERE hash = $1', [hash]);
    if (!row || row.revokedAt !== null) throw new HttpError(401, 'invalid API key');
    const appId = row.appId as string;
    keys.set(hash, { appId, until: Date.now() + KEY_CACHE_MS });
    return appId;
  }

  const accounts = new Map<string, { config: StoreAccountConfig; until: number }>();
  async function huaweiAccount(appId: string): Promise<StoreAccountConfig> {
    const cached = accounts.get(appId);
    if (cached && cached.until > Date.now()) return cached.config;
    const rows = await sql.query(`SELECT * FROM "StoreAccount" WHERE "appId" = $1 AND store = 'HUAWEI' LIMIT 2`, [appId]);
    if (rows.length !== 1) throw new HttpError(422, 'expected exactly one Huawei store account');
    const row = rows[0]!;
    const config: StoreAccountConfig = {
      id: row.id as string,
      appId,
      store: 'HUAWEI',
      environment: row.environment as StoreAccountConfig['environment'],
      settings: row.settings as Record<string, unknown>,
      secrets: box.openJson<Record<string, string>>(row.sealedSecrets as string),
      apiBaseUrl: row.apiBaseUrl as string | null,
      trustedRootsPem: row.trustedRootsPem as string | null,
    };
    accounts.set(appId, { config, until: Date.now() + ACCOUNT_CACHE_MS });
    return config;
  }

  async function purchase(request: IncomingMessage): Promise<string> {
    const appId = await authenticate(request);
    const input = JSON.parse(await readBody(request)) as { purchaseData: string; playerId: string };
    const account = await huaweiAccount(appId);
    const verified = await verifyHuaweiPurchase(account, { purchaseData: input.purchaseData });
    if (verified.revocation) throw new HttpError(422, 'revoked purchases are outside the baseline');
    const { order, entitlements } = await sql.transaction(async (query) => {
      const [product] = await query(
        `SELECT id, type, "grantQuantity", sku FROM "Product" WHERE "appId" = $1 AND store = 'HUAWEI' AND "storeProductId" = $2`,
        [appId, verified.storeProductId],
      );
      if (!product || product.type !== 'CONSUMABLE') throw new HttpError(422, 'only known consumables are in the baseline');
      const [inserted] = await query(
        `INSERT INTO "Order" (id, "appId", "storeAccountId", store, environment, "storeOrderId", "storeProductId", "productId",
           "productType", "playerId", quantity, "amountMinor", currency, "purchaseToken", "purchasedAt", status, "finishMode",
           "finishParams", "deliveredAt", "verifiedPayload", "updatedAt")
         VALUES (gen_random_uuid(), $1, $2, 'HUAWEI', $3, $4, $5, $6, 'CONSUMABLE', $7, $8, $9, $10, $11,
           to_timestamp($12::bigint / 1000.0) AT TIME ZONE 'UTC', 'DELIVERED', $13, $14, now() AT TIME ZONE 'UTC', $15,
           now() AT TIME ZONE 'UTC')
         ON CONFLICT ("storeAccountId", "storeOrderId") DO NOTHING
         RETURNING id, status, "storeOrderId", "playerId", quantity, "finishMode", "finishParams"`,
        [
          appId, account.id, verified.environment, verified.storeOrderId, verified.storeProductId, product.id, input.playerId,
          verified.quantity, verified.amountMinor?.toString() ?? null, verified.currency, verified.purchaseToken,
          verified.purchasedAt.getTime(), verified.finishMode, JSON.stringify(verified.finishParams), JSON.stringify(verified.payload),
        ],
      );
      if (!inserted) {
        const [existing] = await query(
          `SELECT id, status, "storeOrderId", "playerId", quantity, "finishMode", "finishParams" FROM "Order"
            WHERE "storeAccountId" = $1 AND "storeOrderId" = $2`,
          [account.id, verified.storeOrderId],
        );
        if (!existing || existing.playerId !== input.playerId) throw new HttpError(409, 'recorded for another player');
        const granted = await query(`SELECT id, kind, quantity FROM "Entitlement" WHERE "orderId" = $1`, [existing.id]);
        return { order: existing, entitlements: granted };
      }
      const granted = await query(
        `INSERT INTO "Entitlement" (id, "appId", "playerId", "productId", "orderId", kind, quantity, "grantKey", "updatedAt")
         VALUES (gen_random_uuid(), $1, $2, $3, $4, 'CONSUMABLE', $5, $6, now() AT TIME ZONE 'UTC')
         RETURNING id, kind, quantity`,
        [appId, input.playerId, product.id, inserted.id, verified.quantity * (product.grantQuantity as number), `order:${String(inserted.id)}`],
      );
      await query(
        `INSERT INTO "OrderEvent" ("appId", "orderId", "playerId", type, data) VALUES ($1, $2, $3, 'ORDER_DELIVERED', $4) RETURNING id`,
        [
          appId, inserted.id, input.playerId,
          JSON.stringify({ entitlementId: granted[0]!.id, productId: product.id, sku: product.sku, quantity: verified.quantity, storeOrderId: verified.storeOrderId }),
        ],
      );
      return { order: inserted, entitlements: granted };
    });
    return JSON.stringify({
      data: {
        finishPurchase: {
          __typename: 'HuaweiDelivery',
          needsClientFinish: order.status === 'DELIVERED' && order.finishMode === 'CLIENT',
          finishParams: order.finishParams,
          order: {
            id: globalId('Order', order.id as string),
            status: order.status,
            storeOrderId: order.storeOrderId,
            quantity: order.quantity,
            entitlements: entitlements.map((e) => ({ id: globalId('Entitlement', e.id as string), kind: e.kind, quantity: e.quantity })),
          },
        },
      },
    });
  }

  async function orders(request: IncomingMessage, url: URL): Promise<string> {
    const appId = await authenticate(request);
    const first = Math.min(100, Math.max(1, Number(url.searchParams.get('first') ?? 50)));
    const rows = await sql.query(
      `SELECT id, seq, "storeOrderId", status, quantity, "amountMinor", currency, "purchasedAt", "productId"
         FROM "Order" WHERE "appId" = $1 ORDER BY seq DESC LIMIT $2`,
      [appId, first + 1],
    );
    const page = rows.slice(0, first);
    const orderIds = page.map((row) => row.id);
    const productIds = [...new Set(page.map((row) => row.productId).filter((id) => id !== null))];
    const [products, entitlements] = await Promise.all([
      sql.query(`SELECT id, sku, name, type FROM "Product" WHERE id = ANY($1::uuid[])`, [productIds]),
      sql.query(
        `SELECT id, "orderId", kind, quantity, "revokedAt", "expiresAt" FROM "Entitlement" WHERE "orderId" = ANY($1::uuid[]) ORDER BY id`,
        [orderIds],
      ),
    ]);
    const productById = new Map(products.map((product) => [product.id, product]));
    const entitlementsByOrder = new Map<unknown, Row[]>();
    for (const entitlement of entitlements) {
      const list = entitlementsByOrder.get(entitlement.orderId) ?? [];
      list.push(entitlement);
      entitlementsByOrder.set(entitlement.orderId, list);
    }
    const now = Date.now();
    const cursor = (seq: unknown) => Buffer.from(`GPC:I:${String(seq)}`).toString('base64');
    return JSON.stringify({
      data: {
        orders: {
          edges: page.map((row) => {
            const product = row.productId === null ? undefined : productById.get(row.productId);
            return {
              cursor: cursor(row.seq),
              node: {
                id: globalId('Order', row.id as string),
                storeOrderId: row.storeOrderId,
                status: row.status,
                quantity: row.quantity,
                price: row.amountMinor === null ? null : { amountMinor: row.amountMinor, currency: row.currency },
                purchasedAt: (row.purchasedAt as Date).toISOString(),
                product: product
                  ? { id: globalId('Product', product.id as string), sku: product.sku, name: product.name, type: product.type }
                  : null,
                entitlements: (entitlementsByOrder.get(row.id) ?? []).map((e) => ({
                  id: globalId('Entitlement', e.id as string),
                  kind: e.kind,
                  quantity: e.quantity,
                  active: e.revokedAt === null && (e.expiresAt === null || (e.expiresAt as Date).getTime() > now),
                })),
              },
            };
          }),
          pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? cursor(page.at(-1)!.seq) : null },
        },
      },
    });
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://baseline');
    let answer: Promise<string>;
    if (url.pathname === '/bare') answer = Promise.resolve('{"ok":true}');
    else if (url.pathname === '/purchase' && request.method === 'POST') answer = purchase(request);
    else if (url.pathname === '/orders') answer = orders(request, url);
    else answer = Promise.reject(new HttpError(404, `no route ${url.pathname}`));
    answer.then(
      (body) => send(response, 200, body),
      (error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        send(response, status, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  const port = Number(process.env.PORT ?? 4100);
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

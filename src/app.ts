// createApp: everything a server instance needs, as one object tests can drive through
// `fetch` without a socket. main.ts adds the listener, the demo app and signals.
import { randomUUID } from 'node:crypto';
import { createYoga, type YogaServerInstance, maskError as defaultMaskError } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { armor } from './armor.js';
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import type { Env } from './env.js';
import { openDatabase, type Database } from './db.js';
import { readMigrations } from './db/migrate.js';
import { createLogger, logOrderEvents, type Logger } from './logger.js';
import { loadMasterKey, SecretBox } from './crypto.js';
import { Authenticator, AuthenticationError, type Caller } from './auth.js';
import { createPubSubHandle, type PubSubHandle } from './pubsub.js';
import { Fulfilment, STORE_ACK_TASK } from './fulfilment/fulfilment.js';
import { TaskWorker, type TaskKindOptions } from './fulfilment/tasks.js';
import { createServices, type Services } from './services/index.js';
import { pothosPrisma, type Context } from './context.js';
import { schema } from './schema/index.js';
import { KeyRateLimiter } from './rate-limit.js';
import { AppError, ServiceUnavailableError } from './errors.js';
import { health, ready } from './http/health.js';
import { graphqlErrorResponse } from './http/json.js';
import { checkGraphqlBody } from './http/graphql-body.js';
import { routeWebhook } from './http/webhooks.js';
import { dashboard } from './http/dashboard.js';
import { GRAPHIQL_CSP, graphiqlAsset, graphiqlOptions, renderGraphiQLPage } from './http/graphiql.js';
import { WEBHOOK_DELIVERY_TASK } from './services/webhooks.js';
import { providerFor } from './providers/registry.js';
import { configureFailpoints, failpoint } from './failpoints.js';
import { checkMasterKey } from './db/guards.js';
import { createMetrics, metricsResponse, routeLabel, type Metrics } from './metrics.js';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import './providers/index.js';
import './http/huawei.js';
import './http/nowgg.js';
import './http/huya.js';

export interface CreateAppOptions {
  env: Env;
  /** Use this database instead of opening one from env (tests). */
  db?: Database;
  logger?: Logger;
  /** Run the task worker's poll loop (tests usually drive it with worker.runOnce()). */
  startWorker?: boolean;
  /** Worker retry tuning (tests shorten delays). */
  workerBaseDelayMs?: number;
  /** Where this instance records metrics (default: a registry of its own). */
  metrics?: Metrics;
}

export interface ZeroDropApp {
  fetch: (request: Request) => Promise<Response>;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  db: Database;
  services: Services;
  worker: TaskWorker;
  pubsub: PubSubHandle;
  logger: Logger;
  metrics: Metrics;
  /** Builds a GraphQL context for a caller (graphql-ws subscriptions). */
  contextFor(caller: Caller, requestId?: string): Context;
  close(): Promise<void>;
}

/** SQLSTATEs of a database that is stopping, starting or refusing connections. */
const UNAVAILABLE_SQLSTATE = '57P0[123]|08[0-9A-Z]{3}|53300';

/**
 * Connection-level failures (database down, pool exhausted) become a typed, retryable error.
 * Besides the driver's network errors: pg-pool's "timeout exceeded when trying to connect"
 * (no pooled connection freed up in time) and "Client has encountered a connection error",
 * and the server's SQLSTATEs while it stops or starts — 57P01-57P03 ("the database system
 * is shutting down", "... is starting up", "... in recovery mode"), class 08 (connection
 * exception) and 53300 (too many connections), as pg's error code or in Prisma's message
 * ("Code: `57P03`"). The chaos database-outage test hits each of these.
 */
function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && new RegExp(`^(${UNAVAILABLE_SQLSTATE})$`).test(code)) return true;
  const text = err instanceof Error ? `${err.name} ${err.message} ${typeof code === 'string' ? code : ''}` : String(err);
  return (
    new RegExp(`Code: \`(${UNAVAILABLE_SQLSTATE})\``).test(text) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|connection error|Can't reach database|P1001|P1017|P2024|DatabaseNotReachable|connection.*(closed|timeout)|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|terminating connection/i.test(
      text,
    )
  );
}

/** Calls `fn` at most once per `everyMs` (a client retrying every second must not flood the log). */
function throttled<T>(everyMs: number, fn: (value: T) => void): (value: T) => void {
  let last = -Infinity;
  return (value) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    fn(value);
  };
}

/**
 * Whether every migration folder is recorded as applied. Start-up then skips Prisma's
 * schema engine, which takes about a second and tens of MB to load only to find nothing
 * to do. Anything else — no history table yet, a pending, failed or rolled-back
 * migration — goes through the engine, which applies or reports it. Asked through the
 * driver adapter: the Prisma client would load its query compiler before the server is
 * ready.
 */
async function migrationsApplied(db: Database): Promise<boolean> {
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

const PURCHASE_OUTCOMES: Partial<Record<string, string>> = {
  ORDER_DELIVERED: 'delivered',
  ORDER_AWAITING_PRODUCT: 'awaiting_product',
  ORDER_REVOKED: 'revoked',
};

function countPurchases(metrics: Metrics, events: readonly { type: string; store?: string | undefined }[]): void {
  for (const event of events) {
    const outcome = PURCHASE_OUTCOMES[event.type];
    if (outcome) metrics.purchases.inc({ store: event.store ?? 'unknown', outcome });
  }
}

/** Counts each attempt of a task kind by outcome. */
function countedTaskKind(metrics: Metrics, kind: string, options: TaskKindOptions): TaskKindOptions {
  return {
    ...options,
    handler: async (task) => {
      try {
        await options.handler(task);
      } catch (err) {
        metrics.taskAttempts.inc({ kind, outcome: 'failed' });
        throw err;
      }
      metrics.taskAttempts.inc({ kind, outcome: 'ok' });
    },
  };
}

/** Pending and dead tasks by kind, and the oldest pending one's age (read at scrape time). */
async function readTaskBacklog(db: Database) {
  const rows = await db.prisma.$queryRaw<{ kind: string; pending: number; dead: number; oldest: Date | null }[]>`
    SELECT "kind",
           count(*) FILTER (WHERE "status" = 'PENDING')::int AS "pending",
           count(*) FILTER (WHERE "status" = 'DEAD')::int AS "dead",
           min("createdAt") FILTER (WHERE "status" = 'PENDING') AS "oldest"
    FROM "Task" WHERE "status" IN ('PENDING', 'DEAD') GROUP BY "kind"`;
  const now = Date.now();
  return rows.map((row) => ({
    kind: row.kind,
    pending: row.pending,
    dead: row.dead,
    oldestPendingSeconds: row.oldest ? Math.max(0, (now - row.oldest.getTime()) / 1000) : 0,
  }));
}

/** Age of the oldest webhook delivery still being retried (dead ones are counted as dead tasks). */
async function readWebhookLag(db: Database): Promise<number> {
  const [row] = await db.prisma.$queryRaw<{ oldest: Date | null }[]>`
    SELECT min(d."createdAt") AS "oldest" FROM "WebhookDelivery" d JOIN "Task" t ON t."dedupeKey" = d."taskKey"
    WHERE d."deliveredAt" IS NULL AND t."status" = 'PENDING'`;
  return row?.oldest ? Math.max(0, (Date.now() - row.oldest.getTime()) / 1000) : 0;
}

/** GraphQL execution time by operation type and outcome. */
function graphqlTiming(metrics: Metrics): Plugin {
  return {
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const type = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.graphqlOperations.observe({ type, outcome: failed ? 'error' : 'ok' }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

/** GET /: to GraphiQL, or to the dashboard when GraphiQL is off. */
function frontDoor(graphiql: boolean): Response {
  return new Response(null, { status: 302, headers: { location: graphiql ? '/graphql' : '/dashboard/' } });
}

export async function createApp(options: CreateAppOptions): Promise<ZeroDropApp> {
  const { env } = options;
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const metrics = options.metrics ?? createMetrics();
  configureFailpoints(env.ZERODROP_FAILPOINTS);
  const db =
    options.db ??
    (await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: env.DATABASE_POOL_SIZE }));
  if (!options.db && env.MIGRATE_ON_START && !(await migrationsApplied(db))) {
    const applied = await db.migrate();
    if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
  }
  const { key, generated } = loadMasterKey(env.ZERODROP_MASTER_KEY, env.DATA_DIR);
  if (generated) {
    logger.warn({ dataDir: env.DATA_DIR }, 'generated a development master key in DATA_DIR/master.key; set ZERODROP_MASTER_KEY in production');
  }
  const box = new SecretBox(key);
  try {
    const keySource = env.ZERODROP_MASTER_KEY ? 'ZERODROP_MASTER_KEY' : `${env.DATA_DIR}/master.key${generated ? ', generated just now' : ''}`;
    const keyCheck = await checkMasterKey(db.adapterFactory, key, box, keySource);
    if (keyCheck === 'recorded') logger.info('recorded the master key fingerprint; instances with another key will refuse to start');
    if (keyCheck === 'unchecked') logger.warn('could not compare the master key with the database (not reachable or not migrated); checked on the next start');
  } catch (err) {
    if (!options.db) await db.close();
    throw err;
  }
  const onRedisError = throttled(30_000, (err: Error) => logger.warn({ err }, 'Redis unavailable; reconnecting (/ready reports it)'));
  const pubsub = createPubSubHandle(env.REDIS_URL, onRedisError);
  const rateRedis = env.REDIS_URL ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  rateRedis?.on('error', onRedisError);
  const rateLimiter = new KeyRateLimiter(rateRedis);
  const auth = new Authenticator({ prisma: db.prisma, box, adminToken: env.ZERODROP_ADMIN_TOKEN });

  const fulfilment = new Fulfilment({
    prisma: db.prisma,
    publish: (events) => {
      logOrderEvents(logger, events);
      countPurchases(metrics, events);
      pubsub.publishEvents(events);
      // `services` is declared below; this runs only after a commit
      services.webhooks.wakeRelay(events.map((event) => event.appId));
    },
    // `worker` is declared below; this runs only after a commit, long after start-up
    onTasksEnqueued: () => worker.wake(),
  });
  const services = createServices({ env, prisma: db.prisma, box, auth, fulfilment, pubsub: pubsub.pubsub, logger });

  const storeAck: TaskKindOptions = {
    baseDelayMs: options.workerBaseDelayMs ?? 2_000,
    capDelayMs: 15 * 60_000,
    handler: async (task) => {
      const { orderId } = task.payload as { orderId: string };
      const order = await db.prisma.order.findUnique({ where: { id: orderId } });
      if (!order || order.status !== 'DELIVERED') return; // finished, revoked or gone: nothing to acknowledge
      const account = await services.storeAccounts.config(order.appId, order.storeAccountId);
      const { provider } = providerFor(order.store);
      if (!provider.acknowledge) return;
      const started = performance.now();
      try {
        await provider.acknowledge(account, {
          orderId: order.id,
          storeOrderId: order.storeOrderId,
          storeProductId: order.storeProductId,
          productType: order.productType,
          purchaseToken: order.purchaseToken,
          payload: order.verifiedPayload as Record<string, unknown>,
        });
      } catch (err) {
        metrics.storeCalls.observe({ store: order.store, operation: 'acknowledge', outcome: 'error' }, (performance.now() - started) / 1000);
        metrics.storeCallErrors.inc({ store: order.store, operation: 'acknowledge' });
        metrics.ackAttempts.inc({ store: order.store, outcome: 'failed' });
        const message = err instanceof Error ? err.message : String(err);
        logger.info({ orderId: order.id, store: order.store, appId: order.appId, attempt: task.attempts, outcome: 'failed', error: message }, 'store acknowledgement failed; retrying');
        await fulfilment.recordAckFailure(order.id, task.attempts, message).catch(() => {});
        throw err;
      }
      metrics.storeCalls.observe({ store: order.store, operation: 'acknowledge', outcome: 'ok' }, (performance.now() - started) / 1000);
      metrics.ackAttempts.inc({ store: order.store, outcome: 'acknowledged' });
      failpoint('after-store-ack-before-record');
      await fulfilment.markFinished(order.id, 'SERVER');
      logger.info({ orderId: order.id, store: order.store, appId: order.appId, attempt: task.attempts, outcome: 'acknowledged' }, 'store acknowledged the order');
    },
  };
  const worker = new TaskWorker({
    prisma: db.prisma,
    logger,
    kinds: {
      [STORE_ACK_TASK]: countedTaskKind(metrics, STORE_ACK_TASK, storeAck),
      [WEBHOOK_DELIVERY_TASK]: countedTaskKind(metrics, WEBHOOK_DELIVERY_TASK, services.webhooks.taskKind(options.workerBaseDelayMs)),
    },
    pollMs: env.WORKER_POLL_MS,
    concurrency: env.WORKER_CONCURRENCY,
    leaseMs: env.WORKER_LEASE_MS,
    ...(options.workerBaseDelayMs ? { defaultBaseDelayMs: options.workerBaseDelayMs } : {}),
  });

  const contextFor = (caller: Caller, requestId: string = randomUUID()): Context => {
    let requestLogger: Logger | undefined;
    return {
      requestId,
      caller,
      services,
      metrics,
      // A pino child costs more than a small request; most requests never log.
      get logger() {
        return (requestLogger ??= logger.child({ requestId }));
      },
      [pothosPrisma]: db.prisma,
    };
  };

  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    // Served from this server's own files (src/http/graphiql.ts), never from a CDN.
    graphiql: env.GRAPHIQL ? graphiqlOptions() : false,
    renderGraphiQL: renderGraphiQLPage,
    landingPage: false,
    // checkGraphqlBody enforces a tighter limit before Yoga sees the request; Yoga's own
    // would re-wrap every body in a TransformStream and a second Request.
    maxRequestBodySize: false,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error({ err: args[0] }, 'graphql error'),
    },
    context: ({ caller, requestId }) => contextFor(caller as Caller, requestId as string),
    maskedErrors: {
      // Never attach the original error (message, stack) to a response, whatever
      // NODE_ENV says; unexpected errors are logged with their stack instead.
      isDev: false,
      maskError: (error, message, isDev) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof AppError) {
          return new GraphQLError(original.message, { extensions: { code: original.code, retryable: original.retryable } });
        }
        if (isDatabaseUnavailable(original)) {
          const unavailable = new ServiceUnavailableError();
          return new GraphQLError(unavailable.message, { extensions: { code: unavailable.code, retryable: true } });
        }
        return defaultMaskError(error, message, isDev);
      },
    },
    // Requests a browser sends cross-site without a preflight (GET, form and text/plain
    // POSTs) need the x-graphql-yoga-csrf header; JSON POSTs pass, being preflighted.
    plugins: [...armor(), useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }), graphqlTiming(metrics)],
  });

  metrics.sources.taskBacklog = () => readTaskBacklog(db);
  metrics.sources.webhookLagSeconds = () => readWebhookLag(db);
  metrics.sources.liveSubscriptions = () => services.orderEvents.activeStreams;
  if (db.poolStats) metrics.sources.databasePool = () => db.poolStats!();

  const startWorker = options.startWorker ?? env.WORKER_ENABLED;
  if (startWorker) {
    worker.start();
    services.webhooks.startRelay();
  }

  const handleGraphql = async (request: Request, requestId: string): Promise<Response> => {
    let caller: Caller;
    try {
      caller = await auth.authenticate(request.headers);
    } catch (err) {
      if (err instanceof AuthenticationError) return graphqlErrorResponse(401, err.code, err.message);
      if (isDatabaseUnavailable(err)) return graphqlErrorResponse(503, 'SERVICE_UNAVAILABLE', new ServiceUnavailableError().message);
      throw err;
    }
    if (caller.kind === 'server' || caller.kind === 'client') {
      const wait = await rateLimiter.consume(caller.keyId, caller.rateLimitPerMinute);
      if (wait !== null) {
        return graphqlErrorResponse(429, 'RATE_LIMITED', `Rate limit of ${caller.rateLimitPerMinute} requests/minute exceeded for this API key; retry in ${wait}s`, {
          'retry-after': String(wait),
        });
      }
    }
    const checked = await checkGraphqlBody(request, yoga.fetchAPI.Request);
    if (checked instanceof Response) return checked;
    return yoga.fetch(checked, { caller, requestId });
  };

  const fetch = async (request: Request): Promise<Response> => {
    const started = performance.now();
    const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
    const path = new URL(request.url).pathname;
    let response: Response;
    try {
      if (path === '/graphql') {
        response = await handleGraphql(request, requestId);
        if (response.headers.get('content-type')?.startsWith('text/html')) response.headers.set('content-security-policy', GRAPHIQL_CSP);
      } else if (path === '/') response = frontDoor(env.GRAPHIQL);
      else if (path === '/metrics' && env.METRICS_TOKEN) response = await metricsResponse(request, metrics, env.METRICS_TOKEN);
      else if (env.GRAPHIQL && path.startsWith('/graphiql/')) response = await graphiqlAsset(request, path);
      else if (path === '/health') response = health();
      else if (path === '/ready') response = await ready(db, pubsub, Boolean(env.REDIS_URL), logger);
      else if (path.startsWith('/webhooks/')) response = await routeWebhook(request, path, { services, logger, requestId });
      else if (path === '/dashboard' || path.startsWith('/dashboard/')) response = dashboard(request, path);
      else response = graphqlErrorResponse(404, 'NOT_FOUND', `No route for ${path}`);
    } catch (err) {
      if (request.signal.aborted) {
        // The client went away mid-request (its body never arrived): nobody reads an answer.
        logger.debug({ requestId, path }, 'client closed the request');
        return new Response(null, { status: 499 });
      }
      logger.error({ err, requestId, path }, 'request failed');
      response = isDatabaseUnavailable(err)
        ? graphqlErrorResponse(503, 'SERVICE_UNAVAILABLE', new ServiceUnavailableError().message, { 'retry-after': '1' })
        : graphqlErrorResponse(500, 'INTERNAL', 'Internal error');
    }
    response.headers.set('x-request-id', requestId);
    metrics.httpRequests.observe({ route: routeLabel(path), method: request.method, status: response.status }, (performance.now() - started) / 1000);
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ requestId, method: request.method, path, status: response.status, ms: Math.round(performance.now() - started) }, 'request');
    }
    return response;
  };

  return {
    fetch,
    yoga,
    db,
    services,
    worker,
    pubsub,
    logger,
    metrics,
    contextFor,
    close: async () => {
      services.orderEvents.closeAll();
      await services.webhooks.stopRelay();
      await worker.stop();
      await pubsub.close();
      rateRedis?.disconnect();
      if (!options.db) await db.close();
    },
  };
}

// The composition root: platform, core and services, built once from the environment
// and the store modules, for the server (app.ts) and the CLI alike. Nothing here
// registers itself by being imported; what a store adds comes from its module.
import type { Env } from './platform/env.js';
import { openDatabase, type Database } from './platform/db.js';
import { migrationsApplied } from './platform/migrate.js';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from './platform/logger.js';
import { loadMasterKey, SecretBox } from './platform/crypto.js';
import { createPubSubHandle, type PubSubHandle } from './platform/pubsub.js';
import { configureFailpoints } from './platform/failpoints.js';
import { Authenticator } from './auth.js';
import { Fulfilment, STORE_ACK_TASK } from './fulfilment/fulfilment.js';
import { storeAckTaskKind } from './fulfilment/store-ack.js';
import { TaskWorker } from './fulfilment/tasks.js';
import type { StoreModule } from './providers/contract.js';
import { StoreCatalog } from './providers/catalog.js';
import { createServices, type Services } from './services/index.js';
import { StoreAccountsService } from './services/store-accounts.js';
import { WEBHOOK_DELIVERY_TASK } from './services/webhooks.js';
import { OutboundGuard, outboundPolicyFrom } from './platform/outbound-url.js';

export interface ContainerOptions {
  env: Env;
  /** The stores this instance serves (providers/index.ts: builtInStores). */
  stores: readonly StoreModule[];
  /** Use this database instead of opening one from env (tests). */
  db?: Database;
  logger?: Logger;
  /** Where the logger created here writes (default stdout). */
  logDestination?: DestinationStream;
  /** Worker retry tuning (tests shorten delays). */
  workerBaseDelayMs?: number;
  /** Database pool size; default DATABASE_POOL_SIZE (the CLI needs 2). */
  poolSize?: number;
}

export interface Container {
  env: Env;
  logger: Logger;
  db: Database;
  catalog: StoreCatalog;
  /** Every request to a tenant-chosen URL goes through this (webhooks, JWKS, store apiBaseUrl). */
  outbound: OutboundGuard;
  auth: Authenticator;
  fulfilment: Fulfilment;
  services: Services;
  worker: TaskWorker;
  pubsub: PubSubHandle;
  /** Called with Redis connection errors (throttled): the rate limiter's client reports here too. */
  onRedisError: (err: Error) => void;
  close(): Promise<void>;
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

export async function createContainer(options: ContainerOptions): Promise<Container> {
  const { env } = options;
  const catalog = new StoreCatalog(options.stores);
  const logger = options.logger ?? createLogger(env.LOG_LEVEL, options.logDestination, catalog.secretNames());
  configureFailpoints(env.ZERODROP_FAILPOINTS);
  const db =
    options.db ??
    (await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: options.poolSize ?? env.DATABASE_POOL_SIZE }));
  if (!options.db && env.MIGRATE_ON_START && !(await migrationsApplied(db))) {
    const applied = await db.migrate();
    if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
  }
  const { key, generated } = loadMasterKey(env.ZERODROP_MASTER_KEY, env.DATA_DIR);
  if (generated) {
    logger.warn({ dataDir: env.DATA_DIR }, 'generated a development master key in DATA_DIR/master.key; set ZERODROP_MASTER_KEY in production');
  }
  const box = new SecretBox(key);
  const onRedisError = throttled(30_000, (err: Error) => logger.warn({ err }, 'Redis unavailable; reconnecting (/ready reports it)'));
  const pubsub = createPubSubHandle(env.REDIS_URL, onRedisError);
  const outbound = new OutboundGuard(outboundPolicyFrom(env));
  const storeAccounts = new StoreAccountsService(db.prisma, box, catalog, {
    outbound,
    allowProductionApiBaseUrl: env.ALLOW_PRODUCTION_API_BASE_URL,
  });
  const auth = new Authenticator({
    prisma: db.prisma,
    box,
    adminToken: env.ZERODROP_ADMIN_TOKEN,
    outbound,
    playerTokenMaxTtlSeconds: env.PLAYER_TOKEN_MAX_TTL_SECONDS,
    playerTokenVerifiers: catalog.modules.flatMap((store) => store.hooks?.playerTokenVerifier?.({ prisma: db.prisma, storeAccounts }) ?? []),
  });

  const fulfilment = new Fulfilment({
    prisma: db.prisma,
    accessDurations: new Map(catalog.modules.flatMap((store) => (store.hooks?.accessDuration ? [[store.store, store.hooks.accessDuration]] : []))),
    publish: (events) => {
      pubsub.publishEvents(events);
      // `services` is declared below; this runs only after a commit
      services.webhooks.wakeRelay(events.map((event) => event.appId));
    },
    // `worker` is declared below; this runs only after a commit, long after start-up
    onTasksEnqueued: () => worker.wake(),
  });
  const services = createServices({ env, prisma: db.prisma, box, auth, fulfilment, pubsub: pubsub.pubsub, logger, catalog, storeAccounts, outbound });
  const worker = new TaskWorker({
    prisma: db.prisma,
    logger,
    kinds: {
      [STORE_ACK_TASK]: storeAckTaskKind({ prisma: db.prisma, catalog, storeAccounts, fulfilment, baseDelayMs: options.workerBaseDelayMs }),
      [WEBHOOK_DELIVERY_TASK]: services.webhooks.taskKind(options.workerBaseDelayMs),
      // Stores' own durable jobs (Huawei's reconciliation sweep).
      ...Object.fromEntries(catalog.modules.flatMap((store) => Object.entries(store.tasks?.(services.stores.flowsOf(store)).kinds ?? {}))),
    },
    pollMs: env.WORKER_POLL_MS,
    concurrency: env.WORKER_CONCURRENCY,
    leaseMs: env.WORKER_LEASE_MS,
    ...(options.workerBaseDelayMs ? { defaultBaseDelayMs: options.workerBaseDelayMs } : {}),
  });

  return {
    env,
    logger,
    db,
    catalog,
    outbound,
    auth,
    fulfilment,
    services,
    worker,
    pubsub,
    onRedisError,
    close: async () => {
      services.orderEvents.closeAll();
      await services.webhooks.stopRelay();
      await worker.stop();
      await pubsub.close();
      await outbound.close();
      if (!options.db) await db.close();
    },
  };
}

// Prometheus metrics (prom-client). One registry per server instance, built by the
// composition (createApp) and passed to what records into it: nothing registers on import,
// and two instances in one process (tests) keep separate counts. Hot paths only increment
// or observe prebuilt series; everything that needs the database is read at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { constantTimeEqual } from './platform/crypto.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  readonly purchases: Counter<'store' | 'outcome'>;
  readonly verificationFailures: Counter<'code'>;
  readonly storeCalls: Histogram<'store' | 'operation' | 'outcome'>;
  readonly storeCallErrors: Counter<'store' | 'operation'>;
  readonly ackAttempts: Counter<'store' | 'outcome'>;
  readonly taskAttempts: Counter<'kind' | 'outcome'>;
  readonly httpRequests: Histogram<'route' | 'method' | 'status'>;
  readonly graphqlOperations: Histogram<'type' | 'outcome'>;
  /** Scrape-time readers, set by the composition once the parts they read exist. */
  readonly sources: MetricSources;
}

export interface TaskBacklogRow {
  kind: string;
  pending: number;
  dead: number;
  oldestPendingSeconds: number;
}

export interface MetricSources {
  taskBacklog?: () => Promise<TaskBacklogRow[]>;
  webhookLagSeconds?: () => Promise<number>;
  liveSubscriptions?: () => number;
  databasePool?: () => { total: number; idle: number; waiting: number } | null;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'zerodrop_' });
  const sources: MetricSources = {};

  // Task rows read once per scrape for three gauges.
  let backlog: Promise<TaskBacklogRow[]> | null = null;
  const readBacklog = () => (backlog ??= (sources.taskBacklog?.() ?? Promise.resolve([])).finally(() => setTimeout(() => (backlog = null), 0)));

  new Gauge({
    name: 'zerodrop_tasks_pending',
    help: 'Durable tasks waiting to run (store acknowledgements, webhook deliveries), by kind.',
    labelNames: ['kind'],
    registers,
    async collect() {
      this.reset();
      for (const row of await readBacklog()) this.set({ kind: row.kind }, row.pending);
    },
  });
  new Gauge({
    name: 'zerodrop_tasks_oldest_pending_age_seconds',
    help: 'Age of the oldest pending task, by kind (0 when none).',
    labelNames: ['kind'],
    registers,
    async collect() {
      this.reset();
      for (const row of await readBacklog()) this.set({ kind: row.kind }, row.oldestPendingSeconds);
    },
  });
  new Gauge({
    name: 'zerodrop_tasks_dead',
    help: 'Tasks that used up their attempts and need an operator, by kind.',
    labelNames: ['kind'],
    registers,
    async collect() {
      this.reset();
      for (const row of await readBacklog()) this.set({ kind: row.kind }, row.dead);
    },
  });
  new Gauge({
    name: 'zerodrop_webhook_delivery_lag_seconds',
    help: 'Age of the oldest webhook delivery not yet accepted by its endpoint (0 when none).',
    registers,
    async collect() {
      this.set((await sources.webhookLagSeconds?.()) ?? 0);
    },
  });
  new Gauge({
    name: 'zerodrop_live_subscriptions',
    help: 'Open orderEvents streams (SSE and WebSocket) on this instance.',
    registers,
    collect() {
      this.set(sources.liveSubscriptions?.() ?? 0);
    },
  });
  new Gauge({
    name: 'zerodrop_database_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients); absent with PGlite.',
    labelNames: ['state'],
    registers,
    collect() {
      const pool = sources.databasePool?.();
      if (!pool) return;
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });

  return {
    registry,
    sources,
    purchases: new Counter({
      name: 'zerodrop_purchases_total',
      help: 'Committed purchase outcomes by store: delivered, awaiting_product, revoked.',
      labelNames: ['store', 'outcome'],
      registers,
    }),
    verificationFailures: new Counter({
      name: 'zerodrop_purchase_verification_failures_total',
      help: 'Purchases refused by verification, by error code (BAD_SIGNATURE, WRONG_APPLICATION, …).',
      labelNames: ['code'],
      registers,
    }),
    storeCalls: new Histogram({
      name: 'zerodrop_store_call_duration_seconds',
      help: 'Calls to store APIs by store, operation and outcome (ok, error).',
      labelNames: ['store', 'operation', 'outcome'],
      buckets: SECONDS,
      registers,
    }),
    storeCallErrors: new Counter({
      name: 'zerodrop_store_call_errors_total',
      help: 'Failed calls to store APIs by store and operation.',
      labelNames: ['store', 'operation'],
      registers,
    }),
    ackAttempts: new Counter({
      name: 'zerodrop_store_ack_attempts_total',
      help: 'Store acknowledgement (finish/consume/confirm) attempts by store and outcome (acknowledged, failed).',
      labelNames: ['store', 'outcome'],
      registers,
    }),
    taskAttempts: new Counter({
      name: 'zerodrop_task_attempts_total',
      help: 'Task attempts by kind and outcome (ok, failed); failed webhook.delivery attempts are webhook delivery failures.',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    httpRequests: new Histogram({
      name: 'zerodrop_http_request_duration_seconds',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: SECONDS,
      registers,
    }),
    graphqlOperations: new Histogram({
      name: 'zerodrop_graphql_operation_duration_seconds',
      help: 'GraphQL executions by operation type (query, mutation; subscriptions until their first result) and outcome (ok, error).',
      labelNames: ['type', 'outcome'],
      buckets: SECONDS,
      registers,
    }),
  };
}

/** A bounded route label: known prefixes, never the raw path (ids would explode cardinality). */
export function routeLabel(path: string): string {
  if (path === '/graphql' || path === '/health' || path === '/ready' || path === '/metrics' || path === '/') return path;
  if (path.startsWith('/webhooks/')) return `/webhooks/${path.split('/')[2] ?? ''}`;
  if (path.startsWith('/dashboard')) return '/dashboard';
  if (path.startsWith('/graphiql/')) return '/graphiql';
  return 'other';
}

/**
 * GET /metrics in the Prometheus text format. With a token, only `Authorization: Bearer
 * <token>` may scrape; without one, the caller decides (a separate, private listener).
 */
export async function metricsResponse(request: Request, metrics: Metrics, token: string | undefined): Promise<Response> {
  if (token !== undefined) {
    const header = request.headers.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !constantTimeEqual(given, token)) {
      return new Response('send Authorization: Bearer <METRICS_TOKEN>\n', {
        status: 401,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
      });
    }
  }
  return new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } });
}

// createApp({ env, stores }): a server instance as one object tests can drive through
// `fetch` without a socket: the container (container.ts) plus GraphQL and the HTTP routes.
// main.ts adds the listener, graphql-ws, the demo app and signals.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createYoga, type YogaServerInstance, maskError as defaultMaskError } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { armor } from './armor.js';
import { GraphQLError } from 'graphql';
import { PothosValidationError } from '@pothos/core';
import { Redis } from 'ioredis';
import type { Database } from './platform/db.js';
import { isDatabaseUnavailable } from './platform/db-outage.js';
import type { Logger } from './platform/logger.js';
import type { PubSubHandle } from './platform/pubsub.js';
import type { Caller } from './auth.js';
import { clientAddress, Guard } from './guard.js';
import type { TaskWorker } from './fulfilment/tasks.js';
import type { Services } from './services/index.js';
import { pothosPrisma, type Context } from './context.js';
import { buildSchema } from './schema/index.js';
import { KeyRateLimiter } from './rate-limit.js';
import { AppError, ServiceUnavailableError } from './platform/errors.js';
import { health, ready } from './http/health.js';
import { graphqlErrorResponse } from './http/json.js';
import { routeWebhook } from './http/webhooks.js';
import { dashboard } from './http/dashboard.js';
import { createContainer, type ContainerOptions } from './container.js';
import { GRAPHIQL_CSP, graphiqlAsset, graphiqlOptions, renderGraphiQLPage } from './http/graphiql.js';
import { metricsResponse, routeLabel, type Metrics } from './metrics.js';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface CreateAppOptions extends ContainerOptions {
  /** Run the task worker's poll loop (tests usually drive it with worker.runOnce()). */
  startWorker?: boolean;
}

/** What the HTTP server passes with each request (createServerAdapter's server context). */
export interface RequestContext {
  req?: IncomingMessage;
  /** The client's address, when the caller knows it better than the socket (tests). */
  clientAddress?: string;
}

export interface ZeroDropApp {
  /**
   * `context`: a RequestContext, such as the server context createServerAdapter passes
   * (`{ req, res }` under node:http), so `createServerAdapter(app.fetch)` works as is.
   */
  fetch: (request: Request, context?: unknown) => Promise<Response>;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  db: Database;
  services: Services;
  worker: TaskWorker;
  pubsub: PubSubHandle;
  logger: Logger;
  /** Authentication, budgets and live-session caps shared by every transport. */
  guard: Guard;
  /** The client address of a request or socket (X-Forwarded-For per TRUST_PROXY_HOPS). */
  clientAddressOf(req: IncomingMessage | undefined, headers: Headers | IncomingMessage['headers']): string;
  metrics: Metrics;
  close(): Promise<void>;
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

/**
 * CORS from CORS_ORIGINS: `*` answers any origin; a list answers only its members; an
 * empty list sends no CORS headers (browsers then refuse cross-origin calls). Credentials
 * are never allowed: callers authenticate with bearer keys, not cookies.
 */
function corsOptions(origins: string[]) {
  if (origins.length === 0) return false;
  const any = origins.includes('*');
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || (!any && !origins.includes(origin))) return false;
    return { origin, credentials: false, maxAge: 600 };
  };
}

export async function createApp(options: CreateAppOptions): Promise<ZeroDropApp> {
  const container = await createContainer(options);
  const { env, logger, db, auth, services, worker, pubsub, catalog, metrics } = container;
  const rateRedis = env.REDIS_URL ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  rateRedis?.on('error', container.onRedisError);
  const rateLimiter = new KeyRateLimiter(rateRedis);
  const guard = new Guard({ env, auth, limiter: rateLimiter, logger });
  // Revocations from any instance (through Redis when set; services/apps.ts publishes them)
  // drop cached lookups here and end the key's sockets and streams.
  const revocations = pubsub.pubsub.subscribe('apiKeys:revoked')[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) {
        const next = await revocations.next();
        if (next.done) return;
        auth.keyRevoked(next.value.keyId, next.value.hash);
      }
    } catch (err) {
      logger.warn({ err }, 'API key revocation broadcast ended; open sessions are re-checked by the sweep');
    }
  })();

  const contextFor = (caller: Caller, requestId: string = randomUUID(), address = 'unknown'): Context => {
    let requestLogger: Logger | undefined;
    return {
      requestId,
      caller,
      clientAddress: address,
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
    schema: buildSchema(catalog.modules),
    graphqlEndpoint: '/graphql',
    // Served from this server's own files (src/http/graphiql.ts), never from a CDN.
    graphiql: env.GRAPHIQL ? graphiqlOptions() : false,
    renderGraphiQL: renderGraphiQLPage,
    landingPage: false,
    cors: corsOptions(env.CORS_ORIGINS),
    // checkGraphqlBody enforces a tighter limit before Yoga sees the request; Yoga's own
    // would re-wrap every body in a TransformStream and a second Request.
    maxRequestBodySize: false,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error({ err: args[0] }, 'graphql error'),
    },
    context: ({ caller, requestId, clientAddress: address }) =>
      contextFor((caller as Caller | undefined) ?? { kind: 'anonymous' }, requestId as string, address as string | undefined),
    maskedErrors: {
      // Never attach the original error (message, stack) to a response, whatever
      // NODE_ENV says; unexpected errors are logged with their stack instead.
      isDev: false,
      maskError: (error, message, isDev) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof AppError) {
          return new GraphQLError(original.message, { extensions: { code: original.code, retryable: original.retryable } });
        }
        // An id that is not a global id (relay's decoding) or another argument Pothos refuses:
        // the caller's mistake, said as such with a code, like GraphQL's own validation errors.
        if (original instanceof PothosValidationError && error instanceof GraphQLError) {
          return new GraphQLError(original.message, { nodes: error.nodes ?? null, path: error.path, extensions: { code: 'BAD_USER_INPUT' } });
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
    plugins: [
      // First: nothing is parsed for a caller who is refused.
      guard.yogaPlugin((err) => unexpectedResponse(err)),
      ...armor(),
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
      guard.envelopPlugin(),
      graphqlTiming(metrics),
    ],
  });

  guard.startSweep();
  const startWorker = options.startWorker ?? env.WORKER_ENABLED;
  if (startWorker) {
    worker.start();
    services.webhooks.startRelay();
    // Stores' periodic jobs (Huawei's sweep) schedule themselves; this idempotent start covers a new database.
    for (const store of container.catalog.modules) {
      store
        .tasks?.(services.stores.flowsOf(store))
        .start?.()
        .catch((err: unknown) => logger.warn({ err, store: store.store }, 'could not schedule the store tasks'));
    }
  }

  /** The answer to an error that is not a refusal: 503 for a database down, else 500. */
  function unexpectedResponse(err: unknown): Response {
    if (isDatabaseUnavailable(err)) return graphqlErrorResponse(503, 'SERVICE_UNAVAILABLE', new ServiceUnavailableError().message, { 'retry-after': '1' });
    logger.error({ err }, 'request failed');
    return graphqlErrorResponse(500, 'INTERNAL', 'Internal error');
  }

  const clientAddressOf = (req: IncomingMessage | undefined, headers: Headers | IncomingMessage['headers']) =>
    clientAddress(req, headers, env.TRUST_PROXY_HOPS);

  const fetch = async (request: Request, serverContext?: unknown): Promise<Response> => {
    const context = (serverContext ?? {}) as RequestContext;
    const started = performance.now();
    const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
    const path = new URL(request.url).pathname;
    let response: Response;
    try {
      if (path === '/graphql') {
        const address = context.clientAddress ?? clientAddressOf(context.req, request.headers);
        response = await yoga.fetch(request, { requestId, clientAddress: address });
        if (response.headers.get('content-type')?.startsWith('text/html')) response.headers.set('content-security-policy', GRAPHIQL_CSP);
      } else if (path === '/') response = frontDoor(env.GRAPHIQL);
      else if (env.GRAPHIQL && path.startsWith('/graphiql/')) response = await graphiqlAsset(request, path);
      else if (path === '/metrics' && env.METRICS_TOKEN) response = await metricsResponse(request, metrics, env.METRICS_TOKEN);
      else if (path === '/health') response = health();
      else if (path === '/ready') response = await ready(db, pubsub, Boolean(env.REDIS_URL), logger);
      else if (path.startsWith('/webhooks/')) response = await routeWebhook(catalog, request, path, { services, logger, requestId });
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
    guard,
    clientAddressOf,
    metrics,
    close: async () => {
      guard.stopSweep();
      await revocations.return?.();
      await container.close();
      rateRedis?.disconnect();
    },
  };
}

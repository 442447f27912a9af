// createApp({ env, stores }): a server instance as one object tests can drive through
// `fetch` without a socket: the container (container.ts) plus GraphQL and the HTTP routes.
// main.ts adds the listener, graphql-ws, the demo app and signals.
import { randomUUID } from 'node:crypto';
import { createYoga, type YogaServerInstance, maskError as defaultMaskError } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { armor } from './armor.js';
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import type { Database } from './platform/db.js';
import { isDatabaseUnavailable } from './platform/db-outage.js';
import type { Logger } from './platform/logger.js';
import type { PubSubHandle } from './platform/pubsub.js';
import { AuthenticationError, type Caller } from './auth.js';
import type { TaskWorker } from './fulfilment/tasks.js';
import type { Services } from './services/index.js';
import { pothosPrisma, type Context } from './context.js';
import { buildSchema } from './schema/index.js';
import { KeyRateLimiter } from './rate-limit.js';
import { AppError, ServiceUnavailableError } from './platform/errors.js';
import { health, ready } from './http/health.js';
import { graphqlErrorResponse } from './http/json.js';
import { checkGraphqlBody } from './http/graphql-body.js';
import { routeWebhook } from './http/webhooks.js';
import { dashboard } from './http/dashboard.js';
import { createContainer, type ContainerOptions } from './container.js';

export interface CreateAppOptions extends ContainerOptions {
  /** Run the task worker's poll loop (tests usually drive it with worker.runOnce()). */
  startWorker?: boolean;
}

export interface ZeroDropApp {
  fetch: (request: Request) => Promise<Response>;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  db: Database;
  services: Services;
  worker: TaskWorker;
  pubsub: PubSubHandle;
  logger: Logger;
  close(): Promise<void>;
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
  const { env, logger, db, auth, services, worker, pubsub, catalog } = container;
  const rateRedis = env.REDIS_URL ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  rateRedis?.on('error', container.onRedisError);
  const rateLimiter = new KeyRateLimiter(rateRedis);

  const contextFor = (caller: Caller, requestId: string = randomUUID()): Context => {
    let requestLogger: Logger | undefined;
    return {
      requestId,
      caller,
      services,
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
    graphiql: env.GRAPHIQL ? { title: 'ZeroDrop', defaultQuery: '{ app { id name } }' } : false,
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
    plugins: [...armor(), useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] })],
  });

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
      if (path === '/graphql') response = await handleGraphql(request, requestId);
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
    close: async () => {
      await container.close();
      rateRedis?.disconnect();
    },
  };
}

// Entry point: parse env → createApp with the built-in stores → listen; demo app on first start; graceful shutdown.
import { createServer, type IncomingMessage } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';
import { EnvError, loadEnv } from './platform/env.js';
import { createApp } from './app.js';
import { builtInStores } from './providers/index.js';
import { ensureDemoApp } from './demo.js';
import { attachGraphqlWs } from './http/graphql-ws.js';
import { processLogDestination } from './platform/logger.js';
import { StartupRefusal } from './platform/guards.js';
import { metricsResponse } from './metrics.js';

async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logDestination = await processLogDestination(env);
  const app = await createApp({ env, stores: builtInStores, ...(logDestination ? { logDestination } : {}) });
  const { logger } = app;
  // The Node request goes along for the client's address (per-address limits).
  const server = createServer(createServerAdapter<{ req: IncomingMessage }>((request, ctx) => app.fetch(request, { req: ctx.req })));
  server.keepAliveTimeout = 65_000;
  // Subscriptions over WebSocket (graphql-ws) on /graphql; SSE needs nothing beyond Yoga.
  const graphqlWs = attachGraphqlWs(server, app);
  // Metrics on their own port, without a token: bind it where only the scraper reaches.
  const metricsServer =
    env.METRICS_PORT === undefined
      ? null
      : createServer((req, res) => {
          if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
            return;
          }
          metricsResponse(new Request('http://metrics/metrics'), app.metrics, undefined)
            .then(async (answer) => res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(await answer.text()))
            .catch((err: unknown) => {
              logger.error({ err }, 'metrics scrape failed');
              res.writeHead(500).end();
            });
        });
  if (metricsServer) {
    await new Promise<void>((resolve) => metricsServer.listen(env.METRICS_PORT, env.METRICS_HOST, resolve));
    logger.info({ host: env.METRICS_HOST, port: env.METRICS_PORT }, 'metrics on a separate listener');
  }
  await new Promise<void>((resolve) => server.listen(env.PORT, env.HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const baseUrl = env.PUBLIC_URL ?? `http://localhost:${port}`;
  logger.info({ port, database: app.db.kind, redis: Boolean(env.REDIS_URL) }, `ZeroDrop listening on ${baseUrl}/graphql`);

  if (env.CREATE_DEMO_APP) {
    // A convenience only: a database that is down or not migrated yet must not stop a
    // server that /ready already reports as unavailable.
    await ensureDemoApp(app, baseUrl, env.GRAPHIQL).catch((err: unknown) => {
      logger.warn({ err }, 'could not check for or create the demo app');
    });
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests and tasks');
    const force = setTimeout(() => {
      logger.warn('shutdown grace period over; exiting');
      process.exit(1);
    }, env.SHUTDOWN_GRACE_MS);
    force.unref();
    // Live streams never go idle: end them (SSE responses complete, sockets close with
    // 1001 so clients reconnect elsewhere with their last event id) before closing.
    app.services.orderEvents.closeAll();
    await graphqlWs.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    metricsServer?.close();
    await app.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof StartupRefusal) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});

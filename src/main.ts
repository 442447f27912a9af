// Entry point: parse env → createApp with the built-in stores → listen; demo app on first start; graceful shutdown.
import { createServer } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';
import { EnvError, loadEnv } from './platform/env.js';
import { createApp } from './app.js';
import { builtInStores } from './providers/index.js';
import { ensureDemoApp } from './demo.js';
import { attachGraphqlWs } from './http/graphql-ws.js';

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
  const app = await createApp({ env, stores: builtInStores });
  const { logger } = app;
  const server = createServer(createServerAdapter(app.fetch));
  server.keepAliveTimeout = 65_000;
  // Subscriptions over WebSocket (graphql-ws) on /graphql; SSE needs nothing beyond Yoga.
  const graphqlWs = attachGraphqlWs(server, app);
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
    await app.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

// First start on an empty database: create a demo app and print its keys once, so a
// newcomer can try the API in GraphiQL straight away.
import type { ZeroDropApp } from './app.js';

export async function ensureDemoApp(app: ZeroDropApp, baseUrl: string, graphiql: boolean): Promise<void> {
  if ((await app.db.prisma.app.count()) > 0) return;
  const demo = await app.services.apps.createApp({ name: 'Demo app' }, app.services.env.RATE_LIMIT_PER_MINUTE);
  const lines = [
    '',
    '  ZeroDrop demo app created (printed once; keys are stored hashed):',
    `    app id      ${demo.app.id}`,
    `    server key  ${demo.serverKey}`,
    `    client key  ${demo.clientKey}`,
    '',
    graphiql
      ? `  Open ${baseUrl}/graphql and set the header  {"Authorization": "Bearer ${demo.serverKey}"}`
      : `  POST ${baseUrl}/graphql with  Authorization: Bearer ${demo.serverKey}`,
    '',
  ];
  // Deliberately stdout, not the logger: the logger redacts keys, and this is the one time they are shown.
  process.stdout.write(lines.join('\n') + '\n');
}

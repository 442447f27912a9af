// `npx zerodrop <command>`: database migrations and tenant administration from a shell.
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadEnv } from './platform/env.js';
import { StartupRefusal } from './platform/guards.js';

const usage = `Usage: zerodrop <command> [options]

Commands:
  migrate [deploy]                 apply pending migrations (default)
  migrate status [--json]          list migrations by name (applied, pending, failed, …); exit 1 if
                                   any is not applied
  migrate:create <name>            write prisma/migrations/<ts>_<name> from schema.prisma
  apps:create --name <name>        create an app; prints its server and client keys
  apps:list                        list apps
  keys:create --app <id> --role server|client [--name <name>]
                                   create an API key (shown once)
  keys:revoke --app <id> --key <keyId>
                                   revoke an API key
  sandbox [--url <zerodrop>] [--key zd_sk_…]
                                   run store simulators against a running ZeroDrop
                                   (SANDBOX accounts only); \`sandbox --help\` for more
  sandbox purchase huawei|nowgg|huya [--player <id>]
                                   a purchase end to end through the running sandbox

Reads the same environment as the server (DATABASE_URL, DATA_DIR, ZERODROP_MASTER_KEY,
MIGRATE_ON_START: admin commands first apply pending migrations unless it is false).`;

/** Where the CLI writes: stdout for results (JSON), stderr for problems. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: CliOutput = { out: (text) => console.log(text), err: (text) => console.error(text) };

/** A command that needs the database, with its arguments checked. */
type DatabaseCommand =
  | { kind: 'migrate'; status: boolean }
  | { kind: 'apps:create'; name: string }
  | { kind: 'apps:list' }
  | { kind: 'keys:create'; appId: string; role: 'SERVER' | 'CLIENT'; name: string }
  | { kind: 'keys:revoke'; appId: string; keyId: string };

interface CliValues {
  name?: string | undefined;
  app?: string | undefined;
  role?: string | undefined;
  key?: string | undefined;
}

/** Checks the command line before anything opens the database; null for an unknown command. */
function parseDatabaseCommand(command: string, sub: string | undefined, values: CliValues): DatabaseCommand | null {
  switch (command) {
    case 'migrate':
      if (sub && sub !== 'deploy' && sub !== 'status') throw new Error(`unknown migrate subcommand ${sub}`);
      return { kind: 'migrate', status: sub === 'status' };
    case 'apps:create':
      return { kind: 'apps:create', name: values.name ?? '' };
    case 'apps:list':
      return { kind: 'apps:list' };
    case 'keys:create': {
      const role = values.role?.toUpperCase();
      if (!values.app || (role !== 'SERVER' && role !== 'CLIENT')) throw new Error('keys:create needs --app <id> --role server|client');
      return { kind: 'keys:create', appId: values.app, role, name: values.name ?? `${role.toLowerCase()} key` };
    }
    case 'keys:revoke':
      if (!values.app || !values.key) throw new Error('keys:revoke needs --app <id> --key <keyId>');
      return { kind: 'keys:revoke', appId: values.app, keyId: values.key };
    default:
      return null;
  }
}

/** Runs one command; returns the process exit code. Errors are thrown, not printed. */
export async function runCli(
  argv: string[],
  source: Record<string, string | undefined> = process.env,
  output: CliOutput = consoleOutput,
): Promise<number> {
  // The sandbox talks to a running server over HTTP and never opens the database; loaded
  // only when asked for (its certificate library is not needed by the other commands).
  if (argv[0] === 'sandbox') return (await import('./sandbox/command.js')).runSandboxCommand(argv.slice(1), source, output);
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      app: { type: 'string' },
      role: { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    output.out(usage);
    return command ? 0 : 1;
  }
  if (command === 'migrate:create') {
    if (!sub) throw new Error('migrate:create needs a name, e.g. `npm run db:migrate:create -- add_refunds`');
    const { createMigration } = await import('./platform/migrate.js');
    const folder = await createMigration(sub);
    output.out(folder ? `created ${folder}` : 'schema.prisma and the migrations agree; nothing to create');
    return 0;
  }
  const parsed = parseDatabaseCommand(command, sub, values);
  if (!parsed) {
    output.err(`unknown command ${command}\n\n${usage}`);
    return 1;
  }

  const env = loadEnv(source);
  // Loaded after the command line checks out: --help and typos answer at once.
  const [{ openDatabase }, { listMigrations }] = await Promise.all([import('./platform/db.js'), import('./platform/migrate.js')]);
  if (parsed.kind === 'migrate') {
    const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: 2 });
    try {
      if (parsed.status) {
        const migrations = await listMigrations(db.adapterFactory);
        const behind = migrations.filter((migration) => migration.state !== 'applied');
        if (values.json) output.out(JSON.stringify({ upToDate: behind.length === 0, migrations }, null, 2));
        else {
          const width = Math.max(...migrations.map((migration) => migration.state.length));
          for (const migration of migrations) output.out(`${migration.state.padEnd(width)}  ${migration.name}`);
          output.out(
            behind.length === 0
              ? `database is up to date (${migrations.length} migrations applied)`
              : `${behind.length} of ${migrations.length} migrations not applied; \`zerodrop migrate\` applies pending ones`,
          );
        }
        return behind.length === 0 ? 0 : 1;
      }
      const applied = await db.migrate();
      output.out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      return 0;
    } finally {
      await db.close();
    }
  }
  // The same services the server builds (pending migrations applied unless MIGRATE_ON_START=false);
  // logs go where problems go, so stdout stays the command's JSON.
  const logDestination = { write: (line: string) => output.err(line.trimEnd()) };
  const [{ createContainer }, { builtInStores }] = await Promise.all([import('./container.js'), import('./providers/index.js')]);
  const container = await createContainer({ env, stores: builtInStores, logDestination, poolSize: 2 });
  const { db } = container;
  const { apps } = container.services;
  try {
    switch (parsed.kind) {
      case 'apps:create': {
        const created = await apps.createApp({ name: parsed.name }, env.RATE_LIMIT_PER_MINUTE);
        output.out(JSON.stringify({ appId: created.app.id, serverKey: created.serverKey, clientKey: created.clientKey }, null, 2));
        return 0;
      }
      case 'apps:list': {
        const list = await db.prisma.app.findMany({ select: { id: true, name: true, createdAt: true }, orderBy: { createdAt: 'asc' } });
        output.out(JSON.stringify(list, null, 2));
        return 0;
      }
      case 'keys:create': {
        const created = await apps.createApiKey(parsed.appId, { role: parsed.role, name: parsed.name });
        output.out(JSON.stringify({ keyId: created.apiKey.id, key: created.secret }, null, 2));
        return 0;
      }
      case 'keys:revoke': {
        const key = await apps.revokeApiKey(parsed.appId, parsed.keyId);
        if (env.REDIS_URL && !(await broadcastRevocation(env.REDIS_URL, key))) {
          output.err('warning: could not reach Redis; running servers notice the revocation within API_KEY_CACHE_MS instead');
        }
        output.out(JSON.stringify({ keyId: key.id, revokedAt: key.revokedAt }, null, 2));
        return 0;
      }
    }
  } finally {
    await container.close();
  }
}

/**
 * Tells running servers a key was revoked, as a server's own revokeApiKey does: they drop
 * cached lookups and end the key's sockets and streams. Loaded only here, so other
 * commands start without the Redis client.
 */
async function broadcastRevocation(redisUrl: string, key: { id: string; hash: string }): Promise<boolean> {
  const [{ Redis }, { API_KEY_REVOKED_CHANNEL }] = await Promise.all([import('ioredis'), import('./auth.js')]);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.publish(API_KEY_REVOKED_CHANNEL, JSON.stringify({ keyId: key.id, hash: key.hash }));
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** True when this file is the program (bin/zerodrop.js, `tsx src/cli.ts`), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runCli(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      console.error(err instanceof StartupRefusal ? err.message : err instanceof Error ? `error: ${err.message}` : err);
      process.exit(1);
    });
}

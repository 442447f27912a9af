// `npx zerodrop <command>`: database migrations and tenant administration from a shell.
import { parseArgs } from 'node:util';
import { loadEnv } from './env.js';
import { openDatabase } from './db.js';
import { createMigration, migrationStatus } from './db/migrate.js';
import { loadMasterKey, SecretBox } from './crypto.js';
import { Authenticator } from './auth.js';
import { AppsService } from './services/apps.js';
import { AppError } from './errors.js';

const usage = `Usage: zerodrop <command> [options]

Commands:
  migrate [deploy]                 apply pending migrations (default)
  migrate status                   list applied/pending migrations; exit 1 if behind
  migrate:create <name>            write prisma/migrations/<ts>_<name> from schema.prisma
  apps:create --name <name>        create an app; prints its server and client keys
  apps:list                        list apps
  keys:create --app <id> --role server|client [--name <name>]
                                   create an API key (shown once)
  keys:revoke --app <id> --key <keyId>
                                   revoke an API key

Reads the same environment as the server (DATABASE_URL, DATA_DIR, ZERODROP_MASTER_KEY).`;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      app: { type: 'string' },
      role: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    console.log(usage);
    return command ? 0 : 1;
  }
  if (command === 'migrate:create') {
    if (!sub) throw new Error('migrate:create needs a name, e.g. `npm run db:migrate:create -- add_refunds`');
    const folder = await createMigration(sub);
    console.log(folder ? `created ${folder}` : 'schema.prisma and the migrations agree; nothing to create');
    return 0;
  }
  const env = loadEnv();
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: 2 });
  try {
    if (command === 'migrate') {
      if (sub === 'status') {
        const status = await migrationStatus(db.adapterFactory);
        console.log(JSON.stringify(status, null, 2));
        return status.applied ? 0 : 1;
      }
      if (sub && sub !== 'deploy') throw new Error(`unknown migrate subcommand ${sub}`);
      const applied = await db.migrate();
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      return 0;
    }
    await db.migrate();
    const box = new SecretBox(loadMasterKey(env.ZERODROP_MASTER_KEY, env.DATA_DIR).key);
    const apps = new AppsService(db.prisma, box, new Authenticator({ prisma: db.prisma, box, adminToken: undefined }));
    switch (command) {
      case 'apps:create': {
        const created = await apps.createApp({ name: values.name ?? '' }, env.RATE_LIMIT_PER_MINUTE);
        console.log(JSON.stringify({ appId: created.app.id, serverKey: created.serverKey, clientKey: created.clientKey }, null, 2));
        return 0;
      }
      case 'apps:list': {
        const list = await db.prisma.app.findMany({ select: { id: true, name: true, createdAt: true }, orderBy: { createdAt: 'asc' } });
        console.log(JSON.stringify(list, null, 2));
        return 0;
      }
      case 'keys:create': {
        const role = values.role?.toUpperCase();
        if (!values.app || (role !== 'SERVER' && role !== 'CLIENT')) throw new Error('keys:create needs --app <id> --role server|client');
        const created = await apps.createApiKey(values.app, { role, name: values.name ?? `${role.toLowerCase()} key` });
        console.log(JSON.stringify({ keyId: created.apiKey.id, key: created.secret }, null, 2));
        return 0;
      }
      case 'keys:revoke': {
        if (!values.app || !values.key) throw new Error('keys:revoke needs --app <id> --key <keyId>');
        const key = await apps.revokeApiKey(values.app, values.key);
        console.log(JSON.stringify({ keyId: key.id, revokedAt: key.revokedAt }, null, 2));
        return 0;
      }
      default:
        console.error(`unknown command ${command}\n\n${usage}`);
        return 1;
    }
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof AppError || err instanceof Error ? `error: ${err.message}` : err);
    process.exit(1);
  });

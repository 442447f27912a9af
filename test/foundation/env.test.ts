// Configuration: parsed in one place, defaults documented in docs/operations.md, and a
// bad value stops start-up with a message naming the variable.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EnvError, envVariableNames, loadEnv } from '../../src/platform/env.js';
import { SLOW, runProcess } from './process.js';

function refusal(source: Record<string, string>): string {
  try {
    loadEnv(source);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as EnvError).message;
  }
  throw new Error(`loadEnv accepted ${JSON.stringify(source)}`);
}

describe('loadEnv', () => {
  it('has a default for everything a fresh checkout needs', () => {
    expect(loadEnv({})).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 4000,
      DATA_DIR: '.data',
      DATABASE_POOL_SIZE: 10,
      MIGRATE_ON_START: true,
      CREATE_DEMO_APP: true,
      LOG_LEVEL: 'info',
      GRAPHIQL: true,
      RATE_LIMIT_PER_MINUTE: 600,
      WORKER_ENABLED: true,
      WORKER_POLL_MS: 1000,
      WORKER_CONCURRENCY: 4,
      STORE_HTTP_TIMEOUT_MS: 10_000,
      PLAYER_TOKEN_MAX_TTL_SECONDS: 86_400,
      HUYA_TIMESTAMP_WINDOW_SECONDS: 300,
      HUYA_TIME_ZONE: 'Asia/Shanghai',
      SHUTDOWN_GRACE_MS: 10_000,
      ZERODROP_FAILPOINTS: '',
    });
    const unset = ['PUBLIC_URL', 'DATABASE_URL', 'REDIS_URL', 'ZERODROP_ADMIN_TOKEN', 'ZERODROP_MASTER_KEY'];
    for (const name of unset) expect(loadEnv({})).not.toHaveProperty(name);
  });

  it('is documented: every variable appears in the configuration table of docs/operations.md', () => {
    const guide = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const undocumented = envVariableNames.filter((name) => !guide.includes(`| \`${name}\` |`));
    expect(undocumented).toEqual([]);
  });

  it('parses what it is given, and treats empty strings as unset', () => {
    const hexKey = randomBytes(32).toString('hex');
    const env = loadEnv({
      PORT: ' 8080 ',
      DATABASE_URL: 'postgres://u@db:5432/zd',
      REDIS_URL: 'rediss://cache:6380',
      MIGRATE_ON_START: 'no',
      GRAPHIQL: '0',
      WORKER_ENABLED: 'yes',
      ZERODROP_MASTER_KEY: hexKey,
      ZERODROP_ADMIN_TOKEN: randomBytes(24).toString('base64'),
      PUBLIC_URL: 'https://pay.example.com',
      LOG_LEVEL: '',
    });
    expect(env).toMatchObject({
      PORT: 8080,
      DATABASE_URL: 'postgres://u@db:5432/zd',
      REDIS_URL: 'rediss://cache:6380',
      MIGRATE_ON_START: false,
      GRAPHIQL: false,
      WORKER_ENABLED: true,
      ZERODROP_MASTER_KEY: hexKey,
      PUBLIC_URL: 'https://pay.example.com',
      LOG_LEVEL: 'info',
    });
    expect(loadEnv({ ZERODROP_MASTER_KEY: randomBytes(32).toString('base64') }).ZERODROP_MASTER_KEY).toBeDefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number'],
    [{ PORT: '0x10' }, 'PORT: must be a whole number'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ DATABASE_URL: 'mysql://root@localhost/zd' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
    [{ ZERODROP_MASTER_KEY: 'too-short' }, 'ZERODROP_MASTER_KEY: must be 32 bytes as base64 or 64 hex characters'],
    [{ ZERODROP_ADMIN_TOKEN: 'short' }, 'ZERODROP_ADMIN_TOKEN: must be at least 32 characters'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_MINUTE: must be at least 1'],
    [{ HUYA_TIME_ZONE: 'Mars/Olympus' }, 'HUYA_TIME_ZONE: must be an IANA time zone'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
  ])('refuses %j naming the variable', (source, expected) => {
    expect(refusal(source)).toContain(expected);
  });

  it('names every bad variable at once', () => {
    const message = refusal({ PORT: 'abc', DATABASE_URL: 'mysql://x' });
    expect(message).toMatch(/^Invalid configuration:/);
    expect(message).toContain('PORT:');
    expect(message).toContain('DATABASE_URL:');
  });
});

describe('npm start with a bad value', () => {
  it('exits non-zero before opening anything, printing the variable and the reason', SLOW, async () => {
    const run = await runProcess(['src/main.ts'], { PORT: 'abc', DATABASE_URL: 'mysql://root@localhost/zd' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Invalid configuration:');
    expect(run.stderr).toContain('PORT: must be a whole number');
    expect(run.stderr).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(run.stdout).toBe('');
  });
});

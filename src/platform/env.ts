// All configuration, parsed and validated in one place. A bad value stops start-up
// with a message naming the variable.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * A whole number written as decimal digits. Stricter than z.coerce.number(), which
 * would read " " as 0 (PORT=" " → a random port) and "0x10" as 16.
 */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(4000),
  /** The URL users reach this server at; printed in start-up hints and webhook URLs. */
  PUBLIC_URL: z.url().optional(),
  /** Embedded PGlite data and the generated dev master key live here. */
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  MIGRATE_ON_START: bool.default(true),
  CREATE_DEMO_APP: bool.default(true),
  ZERODROP_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** 32 bytes, base64 or hex. Absent: a dev key is generated into DATA_DIR. */
  ZERODROP_MASTER_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== null, 'must be 32 bytes as base64 or 64 hex characters')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GRAPHIQL: bool.default(true),
  /** Default per-key request budget per minute (an app may set its own). */
  RATE_LIMIT_PER_MINUTE: int(1).default(600),
  WORKER_ENABLED: bool.default(true),
  WORKER_POLL_MS: int(10, 60_000).default(1000),
  WORKER_CONCURRENCY: int(1, 64).default(4),
  /** How long a claimed task is held; a crashed instance's tasks are retried after it. */
  WORKER_LEASE_MS: int(1_000, 3_600_000).default(60_000),
  STORE_HTTP_TIMEOUT_MS: int(100, 120_000).default(10_000),
  PLAYER_TOKEN_MAX_TTL_SECONDS: int(60).default(86_400),
  /**
   * Revocation check of Huawei JWS certificates against their CRLs: enforce (default, as
   * Huawei's reference verifiers), soft-fail (accept when a CRL cannot be fetched) or off.
   */
  HUAWEI_CRL_POLICY: z.enum(['enforce', 'soft-fail', 'off']).default('enforce'),
  /** Timeout of one CRL download. */
  HUAWEI_CRL_TIMEOUT_MS: int(100, 60_000).default(5_000),
  HUYA_TIMESTAMP_WINDOW_SECONDS: int(1).default(300),
  HUYA_TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  SHUTDOWN_GRACE_MS: int(0).default(10_000),
  /** Chaos testing only: comma-separated failpoints that kill the process (see src/platform/failpoints.ts). */
  ZERODROP_FAILPOINTS: z.string().default(''),
});

export type Env = z.infer<typeof envSchema>;

/** Every variable loadEnv reads (docs/operations.md documents each; a test checks it). */
export const envVariableNames = Object.keys(envSchema.shape) as (keyof Env)[];

export class EnvError extends Error {}

/** Parses configuration from `source` (default: process.env). Throws EnvError naming each bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // Treat empty strings as unset, as shells and .env files often produce them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new EnvError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function decodeKey(value: string): Buffer | null {
  const hex = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : null;
  if (hex) return hex;
  const b64 = Buffer.from(value, 'base64');
  return b64.length === 32 ? b64 : null;
}

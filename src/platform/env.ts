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
  /** Unset: a demo app on first start, except with NODE_ENV=production. */
  CREATE_DEMO_APP: bool.optional(),
  ZERODROP_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .refine(isStrongToken, 'is too predictable: use a random value such as `openssl rand -base64 32`')
    .optional(),
  /** 32 bytes, base64 or hex. Absent: a dev key is generated into DATA_DIR. */
  ZERODROP_MASTER_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== null, 'must be 32 bytes as base64 or 64 hex characters')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: on, except with NODE_ENV=production. */
  GRAPHIQL: bool.optional(),
  /**
   * Browser origins allowed to call /graphql cross-origin, comma-separated, or `*`.
   * Unset: any origin in development and tests, none with NODE_ENV=production.
   */
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ }).transform((o) => new URL(o).origin)])))
    .optional(),
  /**
   * Outbound requests to tenant-chosen URLs (webhooks, JWKS, store apiBaseUrl) may reach
   * loopback, private and other non-public addresses. For development and test rigs only.
   */
  OUTBOUND_ALLOW_PRIVATE: bool.default(false),
  /** Store accounts of the PRODUCTION environment accept an apiBaseUrl override (test rigs only). */
  ALLOW_PRODUCTION_API_BASE_URL: bool.default(false),
  /** Most webhook endpoints one app may register. */
  WEBHOOK_ENDPOINTS_PER_APP: int(1, 1000).default(20),
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
  /** Huawei reconciliation sweep (docs/huawei.md): re-reads recent orders and subscriptions with the status queries. */
  HUAWEI_SWEEP_ENABLED: bool.default(true),
  /** One sweep per interval across all instances (a task per time slot). */
  HUAWEI_SWEEP_INTERVAL_MS: int(60_000, 7 * 86_400_000).default(3_600_000),
  /** How far back a sweep looks: orders delivered, or subscriptions paid until, within this many hours. */
  HUAWEI_SWEEP_WINDOW_HOURS: int(1, 24 * 365).default(7 * 24),
  /** Pause between two Huawei API calls of a sweep, to stay well inside Huawei's rate limits. */
  HUAWEI_SWEEP_PACE_MS: int(0, 60_000).default(250),
  HUYA_TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  SHUTDOWN_GRACE_MS: int(0).default(10_000),
  /** Chaos testing only: comma-separated failpoints that kill the process (see src/platform/failpoints.ts). */
  ZERODROP_FAILPOINTS: z.string().default(''),
});

type ParsedEnv = z.infer<typeof envSchema>;

/** Configuration with the NODE_ENV-dependent defaults filled in. */
export type Env = Omit<ParsedEnv, 'CREATE_DEMO_APP' | 'GRAPHIQL' | 'CORS_ORIGINS'> & {
  CREATE_DEMO_APP: boolean;
  GRAPHIQL: boolean;
  /** Allowed origins; `['*']` for any, `[]` for none. */
  CORS_ORIGINS: string[];
};

/** Every variable loadEnv reads (docs/operations.md documents each; a test checks it). */
export const envVariableNames = Object.keys(envSchema.shape) as (keyof ParsedEnv)[];

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
  // Production gets the safe choice for everything a developer wants on by default.
  const production = parsed.data.NODE_ENV === 'production';
  return {
    ...parsed.data,
    CREATE_DEMO_APP: parsed.data.CREATE_DEMO_APP ?? !production,
    GRAPHIQL: parsed.data.GRAPHIQL ?? !production,
    CORS_ORIGINS: parsed.data.CORS_ORIGINS ?? (production ? [] : ['*']),
  };
}

/**
 * Whether an operator token looks random enough to stand in for a password nobody can
 * guess: enough distinct characters, and at least 100 bits by the character-frequency
 * (Shannon) estimate — `openssl rand -hex 16` gives about 120, "password1234password1234"
 * about 80.
 */
export function isStrongToken(value: string): boolean {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bitsPerChar -= p * Math.log2(p);
  }
  return counts.size >= 10 && bitsPerChar * value.length >= 100;
}

export function decodeKey(value: string): Buffer | null {
  const hex = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : null;
  if (hex) return hex;
  const b64 = Buffer.from(value, 'base64');
  return b64.length === 32 ? b64 : null;
}

// All configuration, parsed and validated in one place. A bad value stops start-up
// with a message naming the variable.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** The URL users reach this server at; printed in start-up hints and webhook URLs. */
  PUBLIC_URL: z.url().optional(),
  /** Embedded PGlite data and the generated dev master key live here. */
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
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
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  WORKER_ENABLED: bool.default(true),
  WORKER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  STORE_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  PLAYER_TOKEN_MAX_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  HUYA_TIMESTAMP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
  HUYA_TIME_ZONE: z.string().default('Asia/Shanghai'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Chaos testing only: comma-separated failpoints that kill the process (see src/failpoints.ts). */
  ZERODROP_FAILPOINTS: z.string().default(''),
});

export type Env = z.infer<typeof envSchema>;

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

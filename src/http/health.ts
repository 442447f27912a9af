import type { Database } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { PubSubHandle } from '../platform/pubsub.js';
import { json } from './json.js';

/** Liveness: the process answers. */
export function health(): Response {
  return json({ status: 'ok' });
}

const CHECK_TIMEOUT_MS = 1000;

/**
 * Readiness: the database (and Redis, when configured) answer within a second. The
 * answer says only which check failed; the reason (hosts, driver messages) goes to the
 * log, since /ready is unauthenticated.
 */
export async function ready(db: Database, pubsub: PubSubHandle, redisConfigured: boolean, logger: Logger): Promise<Response> {
  const check = async (name: string, fn: () => Promise<void>): Promise<'ok' | 'failed'> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return 'ok';
    } catch (err) {
      logger.warn({ err, check: name }, 'readiness check failed');
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  };
  const checks: Record<string, string> = { database: await check('database', () => db.ping()) };
  if (redisConfigured) checks.redis = await check('redis', () => pubsub.ping());
  const ok = Object.values(checks).every((v) => v === 'ok');
  return json({ status: ok ? 'ready' : 'unavailable', checks }, ok ? 200 : 503);
}

import type { Database } from '../db.js';
import type { PubSubHandle } from '../pubsub.js';
import { json } from './json.js';

/** Liveness: the process answers. */
export function health(): Response {
  return json({ status: 'ok' });
}

/** Readiness: the database (and Redis, when configured) answer within a second. */
export async function ready(db: Database, pubsub: PubSubHandle, redisConfigured: boolean): Promise<Response> {
  const check = async (fn: () => Promise<void>) => {
    try {
      await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref())]);
      return 'ok';
    } catch (err) {
      return `failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  const checks: Record<string, string> = { database: await check(() => db.ping()) };
  if (redisConfigured) checks.redis = await check(() => pubsub.ping());
  const ok = Object.values(checks).every((v) => v === 'ok');
  return json({ status: ok ? 'ready' : 'unavailable', checks }, ok ? 200 : 503);
}

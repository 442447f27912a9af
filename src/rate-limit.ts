// Request budgets per minute (per API key, per player, per client address) and the
// failed-authentication throttle. In memory per instance, or shared in Redis.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

export class KeyRateLimiter {
  readonly #limiters = new Map<string, RateLimiterAbstract>();
  constructor(private readonly redis: Redis | null) {}

  /**
   * Consumes one request from `bucket`'s budget of `perMinute`; returns seconds to wait
   * when over budget, else null. Buckets of different kinds must not share names
   * (callers prefix them: a key id, "player:…", "addr:…").
   */
  async consume(bucket: string, perMinute: number): Promise<number | null> {
    try {
      await this.#limiter('rl', perMinute).consume(bucket, 1);
      return null;
    } catch (res) {
      if (res instanceof RateLimiterRes) return secondsOf(res);
      throw res;
    }
  }

  /** Seconds `bucket` must wait because its `limit` failures are spent, else null (counts nothing). */
  async blocked(bucket: string, limit: number): Promise<number | null> {
    const res = await this.#limiter('fail', limit).get(bucket);
    return res && res.consumedPoints >= limit ? secondsOf(res) : null;
  }

  /** Counts one failure against `bucket`. */
  async penalize(bucket: string, limit: number): Promise<void> {
    await this.#limiter('fail', limit)
      .penalty(bucket, 1)
      .catch(() => {});
  }

  #limiter(kind: string, points: number): RateLimiterAbstract {
    const name = `${kind}-${points}`;
    let limiter = this.#limiters.get(name);
    if (!limiter) {
      const opts = { points, duration: 60, keyPrefix: kind === 'rl' ? `zd-rl-${points}` : `zd-${name}` };
      limiter = this.redis
        ? new RateLimiterRedis({ ...opts, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(opts) })
        : new RateLimiterMemory(opts);
      this.#limiters.set(name, limiter);
    }
    return limiter;
  }
}

function secondsOf(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

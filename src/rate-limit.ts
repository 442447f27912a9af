// Per-API-key request budgets (per minute). In memory per instance, or shared in Redis.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

export class KeyRateLimiter {
  readonly #limiters = new Map<number, RateLimiterAbstract>();
  constructor(private readonly redis: Redis | null) {}

  /** Consumes one request; returns seconds to wait when over budget, else null. */
  async consume(keyId: string, perMinute: number): Promise<number | null> {
    try {
      await this.#limiter(perMinute).consume(keyId, 1);
      return null;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw res;
    }
  }

  #limiter(points: number): RateLimiterAbstract {
    let limiter = this.#limiters.get(points);
    if (!limiter) {
      const opts = { points, duration: 60, keyPrefix: `zd-rl-${points}` };
      limiter = this.redis
        ? new RateLimiterRedis({ ...opts, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(opts) })
        : new RateLimiterMemory(opts);
      this.#limiters.set(points, limiter);
    }
    return limiter;
  }
}

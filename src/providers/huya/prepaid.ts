// Huya prepaid goods (直接付费, 预付费购买): the developer prices several validity levels
// (days); the callback's expenseLevel says which one the streamer bought. Access is checked
// on every use (checkStreamerCanUseGoods) and the expiry is readable
// (checkStreamerGoodsExpire → { expire: ms timestamp or -1, hadBuy }).
import { z } from 'zod';
import { PurchaseVerificationError } from '../../errors.js';
import { parseOrThrow } from './validation.js';

const MS_PER_DAY = 86_400_000;

/** Product.timeLevels for TIME_LIMITED Huya goods: [{ level, days }], levels unique. */
export const TimeLimitedConfigSchema = z
  .array(
    z.object({
      level: z.number().int().min(0),
      days: z.number().int().min(1).max(36_500),
    }),
  )
  .min(1)
  .refine((levels) => new Set(levels.map((entry) => entry.level)).size === levels.length, {
    message: 'each level may appear only once',
  });
export type TimeLevel = z.infer<typeof TimeLimitedConfigSchema>[number];

/** Validates Product.timeLevels (product CRUD input or a stored row); ValidationError otherwise. */
export function parseTimeLimitedConfig(input: unknown): TimeLevel[] {
  return parseOrThrow(TimeLimitedConfigSchema, input, 'Huya prepaid levels (timeLevels)');
}

/** Days bought at `expenseLevel`; a level the product does not define is WRONG_PRODUCT. */
export function daysForLevel(timeLevels: readonly TimeLevel[], expenseLevel: number): number {
  const match = timeLevels.find((entry) => entry.level === expenseLevel);
  if (match === undefined) {
    throw new PurchaseVerificationError(
      'WRONG_PRODUCT',
      `Huya expenseLevel ${expenseLevel} is not one of this product's levels (${timeLevels.map((entry) => entry.level).join(', ')})`,
    );
  }
  return match.days;
}

/**
 * New expiry after buying `days`: time still left at the order time is kept (the new days
 * start at the current expiry); a lapsed or absent expiry restarts from the order time.
 * Days are 24 h: Huya's zone, Asia/Shanghai, has no DST.
 */
export function extendAccess(currentExpiry: Date | null, orderTime: Date, days: number): Date {
  const stillValid = currentExpiry !== null && currentExpiry.getTime() > orderTime.getTime();
  const start = stillValid ? currentExpiry.getTime() : orderTime.getTime();
  return new Date(start + days * MS_PER_DAY);
}

export interface GoodsAccess {
  /** checkStreamerCanUseGoods → isCanUse. */
  canUse: boolean;
  /** checkStreamerGoodsExpire → expire: expiry in ms, -1 when never bought. */
  expire: number;
  /** checkStreamerGoodsExpire → hadBuy. */
  hadBuy: boolean;
}

/** Access to prepaid goods at `now`, given the streamer's expiry (null: never bought). */
export function goodsAccess(expiry: Date | null, now: Date): GoodsAccess {
  if (expiry === null) return { canUse: false, expire: -1, hadBuy: false };
  return { canUse: expiry.getTime() > now.getTime(), expire: expiry.getTime(), hadBuy: true };
}

// Huya prepaid goods (直接付费, 预付费购买): the developer prices several validity levels
// (days); the callback's expenseLevel says which one the streamer bought. Access is checked
// on every use (checkStreamerCanUseGoods) and the expiry is readable
// (checkStreamerGoodsExpire → { expire: ms timestamp or -1, hadBuy }).
import { z } from 'zod';
import { PurchaseVerificationError } from '../../../platform/errors.js';
import { parseOrThrow } from './validation.js';

export const MS_PER_DAY = 86_400_000;

/**
 * A level as Huya's callback names it (`expenseLevel`, a string of digits). Accepted as
 * digits or a whole number and stored canonically ("01" and 1 are both "1"), so the
 * product's levels and the callback's level compare as equal strings.
 */
const LevelSchema = z
  .union([
    z.string().trim().regex(/^\d{1,9}$/, 'expected a whole number, as Huya sends expenseLevel'),
    z.number().int().min(0).max(999_999_999),
  ])
  .transform((level) => String(Number(level)));

/** The part of a recorded callback (Order.verifiedPayload) that names the level bought. */
const ExpenseLevelSchema = z.object({ expenseLevel: LevelSchema });

/** Product.timeLevels for TIME_LIMITED Huya goods: [{ level, days }], levels unique. */
export const TimeLimitedConfigSchema = z
  .array(
    z.object({
      level: LevelSchema,
      days: z.number().int().min(1).max(3650),
    }),
  )
  .min(1, 'at least one level')
  .refine((levels) => new Set(levels.map((entry) => entry.level)).size === levels.length, {
    message: 'each level may appear only once',
  });
export type TimeLevel = z.output<typeof TimeLimitedConfigSchema>[number];

/** Validates Product.timeLevels (product CRUD input or a stored row); ValidationError otherwise. */
export function parseTimeLimitedConfig(input: unknown): TimeLevel[] {
  return parseOrThrow(TimeLimitedConfigSchema, input, 'Huya prepaid levels (timeLevels)');
}

/** Days bought at `expenseLevel`; a level the product does not define is WRONG_PRODUCT. */
export function daysForLevel(timeLevels: readonly TimeLevel[], expenseLevel: number): number {
  const match = timeLevels.find((entry) => entry.level === String(expenseLevel));
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

/**
 * Access one recorded callback buys with a product: its expenseLevel's days, in ms. Reads
 * the stored Product.timeLevels and Order.verifiedPayload (the callback's fields), so
 * orders recorded before their product existed are priced when it appears. Null when the
 * product does not price the order (not TIME_LIMITED, level not listed, broken config):
 * the order then waits rather than being granted without an end.
 */
export function accessDurationForCallback(
  product: { type: string; timeLevels: unknown },
  verifiedPayload: unknown,
): number | null {
  if (product.type !== 'TIME_LIMITED') return null;
  const levels = TimeLimitedConfigSchema.safeParse(product.timeLevels);
  const expenseLevel = ExpenseLevelSchema.safeParse(verifiedPayload);
  if (!levels.success || !expenseLevel.success) return null;
  const match = levels.data.find((entry) => entry.level === expenseLevel.data.expenseLevel);
  return match === undefined ? null : match.days * MS_PER_DAY;
}

// Huya gift-revenue goods (礼物收益付费, 月结后付费), seed 003 §1 and §5(1):
// - tiers of monthly gift income in beans (金豆), each with one rate (%);
// - a monthly cap (封顶值): when the month's share exceeds it, the cap is charged;
// - checkStreamerCanUseGoods is false (Huya shows a page to confirm) on the first use in a
//   month, when the income reaches a new tier, when the fee reaches the cap, and while
//   there are arrears (存在欠费).
//
// Fee rule: the rate of the tier the month's income has reached applies to the whole
// month's income ("每个阶梯对应一个费率"), floored to a whole bean (the streamer is never
// charged a fraction up), then limited to the cap. Rates are integer percent because the
// seed states them in % and Product.revenueTiers stores ratePercent; beans and fees are
// bigint so no money ever passes through a float.
import { z } from 'zod';
import { ValidationError } from '../../../platform/errors.js';
import { parseOrThrow } from './validation.js';
import { HUYA_TIME_ZONE, instantOfWallClock, wallClockAt } from './zoned-time.js';

/** Beans as stored in JSON (number or decimal string) or passed in code (bigint). */
const BeansSchema = z.union([
  z.bigint().min(0n),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^\d{1,30}$/, 'expected a non-negative integer'),
]).transform((value) => BigInt(value));

const RevenueTierSchema = z.object({
  minBeans: BeansSchema,
  ratePercent: z.number().int().min(0).max(100),
});

export const RevenueTiersSchema = z
  .array(RevenueTierSchema)
  .min(1)
  .superRefine((tiers, context) => {
    if (tiers[0] !== undefined && tiers[0].minBeans !== 0n) {
      context.addIssue({ code: 'custom', path: [0, 'minBeans'], message: 'the first tier must start at 0 beans' });
    }
    tiers.forEach((tier, index) => {
      const previous = tiers[index - 1];
      if (previous !== undefined && tier.minBeans <= previous.minBeans) {
        context.addIssue({ code: 'custom', path: [index, 'minBeans'], message: 'tiers must be strictly ascending' });
      }
    });
  });

/** REVENUE_SHARE product config: Product.revenueTiers + Product.monthlyCap (beans). */
export const RevenueShareConfigSchema = z.object({
  tiers: RevenueTiersSchema,
  monthlyCapBeans: BeansSchema.refine((cap) => cap > 0n, 'the monthly cap must be at least 1 bean'),
});

export type RevenueTier = z.output<typeof RevenueTierSchema>;
export type RevenueShareConfig = z.output<typeof RevenueShareConfigSchema>;

/** Validates product CRUD input or a stored row; ValidationError otherwise. */
export function parseRevenueShareConfig(input: unknown): RevenueShareConfig {
  return parseOrThrow(RevenueShareConfigSchema, input, 'Huya revenue-share config');
}

/** Product.revenueTiers as JSON (bigint is not JSON): beans as decimal strings. */
export function revenueTiersToJson(tiers: readonly RevenueTier[]): { minBeans: string; ratePercent: number }[] {
  return tiers.map((tier) => ({ minBeans: tier.minBeans.toString(), ratePercent: tier.ratePercent }));
}

/** A config as JSON (HuyaMonthlyBill.terms): parseRevenueShareConfig reads it back. */
export function revenueShareConfigToJson(config: RevenueShareConfig): {
  tiers: { minBeans: string; ratePercent: number }[];
  monthlyCapBeans: string;
} {
  return { tiers: revenueTiersToJson(config.tiers), monthlyCapBeans: config.monthlyCapBeans.toString() };
}

function assertIncome(incomeBeans: bigint): void {
  if (incomeBeans < 0n) throw new ValidationError('Gift income cannot be negative', [{ path: 'incomeBeans', message: 'must be ≥ 0' }]);
}

/** The highest tier whose threshold the income has reached (tiers validated: first is 0). */
export function tierFor(incomeBeans: bigint, tiers: readonly RevenueTier[]): { index: number; tier: RevenueTier } {
  assertIncome(incomeBeans);
  let index = 0;
  tiers.forEach((tier, position) => {
    if (tier.minBeans <= incomeBeans) index = position;
  });
  const tier = tiers[index];
  if (tier === undefined) throw new ValidationError('A revenue-share product needs at least one tier');
  return { index, tier };
}

/** The month's fee in beans: whole income × reached tier's rate, floored, at most the cap. */
export function monthlyFee(incomeBeans: bigint, tiers: readonly RevenueTier[], monthlyCapBeans: bigint): bigint {
  return monthlyBill(incomeBeans, { tiers, monthlyCapBeans }).feeBeans;
}

export interface MonthlyBill {
  incomeBeans: bigint;
  tierIndex: number;
  ratePercent: number;
  uncappedFeeBeans: bigint;
  feeBeans: bigint;
  /** The fee has reached the cap (费用到达封顶值); more income costs nothing more. */
  capReached: boolean;
  /**
   * What the streamer must have confirmed to use the goods: the tier index, or
   * tiers.length once the cap is reached (reaching the cap is one more confirmation).
   * Stored in HuyaMonthlyBill.confirmedTier when the streamer confirms.
   */
  confirmationLevel: number;
}

export function monthlyBill(
  incomeBeans: bigint,
  config: { tiers: readonly RevenueTier[]; monthlyCapBeans: bigint },
): MonthlyBill {
  const { index, tier } = tierFor(incomeBeans, config.tiers);
  const uncappedFeeBeans = (incomeBeans * BigInt(tier.ratePercent)) / 100n;
  const capReached = uncappedFeeBeans >= config.monthlyCapBeans;
  return {
    incomeBeans,
    tierIndex: index,
    ratePercent: tier.ratePercent,
    uncappedFeeBeans,
    feeBeans: capReached ? config.monthlyCapBeans : uncappedFeeBeans,
    capReached,
    confirmationLevel: capReached ? config.tiers.length : index,
  };
}

/** Unpaid beans over closed months (the current month is billed only after it ends). */
export function arrearsBeans(closedMonths: readonly { feeBeans: bigint; paidBeans: bigint }[]): bigint {
  return closedMonths.reduce((sum, month) => sum + (month.feeBeans > month.paidBeans ? month.feeBeans - month.paidBeans : 0n), 0n);
}

export type AccessReason =
  | 'OK'
  | 'ARREARS'
  | 'NEEDS_FIRST_USE_CONFIRMATION'
  | 'NEEDS_TIER_CONFIRMATION'
  | 'NEEDS_CAP_CONFIRMATION';

export interface RevenueShareMonthState {
  /** Gift income counted this month so far. */
  incomeBeans: bigint;
  /** HuyaMonthlyBill.confirmedTier: the highest confirmationLevel confirmed this month. */
  confirmedTier: number | null;
  /** HuyaMonthlyBill.firstUseConfirmed !== null. */
  firstUseConfirmed: boolean;
  /** arrearsBeans(...) over the streamer's closed months for these goods. */
  arrearsBeans: bigint;
}

export interface AccessDecision {
  canUse: boolean;
  reason: AccessReason;
  bill: MonthlyBill;
  /** Value to store in confirmedTier when the streamer confirms what was shown. */
  confirmationLevel: number;
  arrearsBeans: bigint;
}

/**
 * checkStreamerCanUseGoods for revenue-share goods. Arrears block first (nothing can be
 * confirmed away); then the month's first use; then each new tier / the cap, each needing
 * one confirmation that shows the current income and fee.
 */
export function accessDecision(state: RevenueShareMonthState, config: RevenueShareConfig): AccessDecision {
  const bill = monthlyBill(state.incomeBeans, config);
  const decide = (reason: AccessReason): AccessDecision => ({
    canUse: reason === 'OK',
    reason,
    bill,
    confirmationLevel: bill.confirmationLevel,
    arrearsBeans: state.arrearsBeans,
  });
  if (state.arrearsBeans > 0n) return decide('ARREARS');
  if (!state.firstUseConfirmed) return decide('NEEDS_FIRST_USE_CONFIRMATION');
  // First-use confirmation covers the level reached at that moment; a null tier is level 0.
  if ((state.confirmedTier ?? 0) < bill.confirmationLevel) {
    return decide(bill.capReached ? 'NEEDS_CAP_CONFIRMATION' : 'NEEDS_TIER_CONFIRMATION');
  }
  return decide('OK');
}

const MONTH_KEY_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** "YYYY-MM" of `instant` in `timeZone` (HuyaGiftRevenue.month, HuyaMonthlyBill.month). */
export function monthKey(instant: Date, timeZone: string = HUYA_TIME_ZONE): string {
  const { year, month } = wallClockAt(instant, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

/** The month's instants: start inclusive, end exclusive (the next month's start). */
export function monthBounds(key: string, timeZone: string = HUYA_TIME_ZONE): { start: Date; end: Date } {
  const match = MONTH_KEY_PATTERN.exec(key);
  if (match === null) throw new ValidationError(`Invalid month "${key}"`, [{ path: 'month', message: 'expected YYYY-MM' }]);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const midnightOfFirst = (y: number, m: number): Date =>
    instantOfWallClock({ year: y, month: m, day: 1, hour: 0, minute: 0, second: 0 }, timeZone);
  return {
    start: midnightOfFirst(year, month),
    end: month === 12 ? midnightOfFirst(year + 1, 1) : midnightOfFirst(year, month + 1),
  };
}

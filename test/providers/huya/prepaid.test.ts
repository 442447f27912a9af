import { describe, expect, it } from 'vitest';
import { PurchaseVerificationError, ValidationError } from '../../../src/platform/errors.js';
import {
  accessDurationForCallback,
  daysForLevel,
  extendAccess,
  goodsAccess,
  parseTimeLimitedConfig,
} from '../../../src/providers/huya/protocol/index.js';

const levels = parseTimeLimitedConfig([
  { level: 1, days: 7 },
  { level: 2, days: 30 },
  { level: 3, days: 365 },
]);
const DAY = 86_400_000;

describe('Huya prepaid levels', () => {
  it('maps expenseLevel to days', () => {
    expect(daysForLevel(levels, 1)).toBe(7);
    expect(daysForLevel(levels, 3)).toBe(365);
  });

  it('refuses a level the product does not define with WRONG_PRODUCT', () => {
    for (const unknownLevel of [0, 4]) {
      const error: unknown = (() => {
        try {
          daysForLevel(levels, unknownLevel);
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(PurchaseVerificationError);
      expect((error as PurchaseVerificationError).code).toBe('WRONG_PRODUCT');
    }
  });

  it('validates the config: unique levels, whole positive days, not empty', () => {
    expect(() => parseTimeLimitedConfig([])).toThrowError(ValidationError);
    expect(() => parseTimeLimitedConfig([{ level: 1, days: 0 }])).toThrowError(ValidationError);
    expect(() => parseTimeLimitedConfig([{ level: 1, days: 1.5 }])).toThrowError(ValidationError);
    expect(() => parseTimeLimitedConfig([{ level: 1, days: 7 }, { level: 1, days: 30 }])).toThrowError(ValidationError);
    expect(() => parseTimeLimitedConfig([{ level: 'gold', days: 7 }])).toThrowError(ValidationError);
    expect(() => parseTimeLimitedConfig([{ level: -1, days: 7 }])).toThrowError(ValidationError);
  });

  it('reads levels as Huya sends expenseLevel: digit strings, stored canonically', () => {
    const fromStrings = parseTimeLimitedConfig([
      { level: '1', days: 7 },
      { level: ' 02 ', days: 30 },
    ]);
    expect(fromStrings).toEqual([
      { level: '1', days: 7 },
      { level: '2', days: 30 },
    ]);
    expect(daysForLevel(fromStrings, 2)).toBe(30);
    // "01" and 1 name the same level.
    expect(() => parseTimeLimitedConfig([{ level: '01', days: 7 }, { level: 1, days: 30 }])).toThrowError(ValidationError);
  });
});

describe('extendAccess', () => {
  const orderTime = new Date('2024-05-10T04:00:00Z');

  it('starts from the order time for a first purchase', () => {
    expect(extendAccess(null, orderTime, 7)).toEqual(new Date(orderTime.getTime() + 7 * DAY));
  });

  it('adds to an expiry still valid at the order time, across levels', () => {
    const afterWeek = extendAccess(null, orderTime, daysForLevel(levels, 1));
    const thenMonth = extendAccess(afterWeek, new Date(orderTime.getTime() + 2 * DAY), daysForLevel(levels, 2));
    expect(thenMonth).toEqual(new Date(orderTime.getTime() + 37 * DAY));
  });

  it('restarts from the order time when the expiry has lapsed (or lapses exactly then)', () => {
    const lapsed = new Date(orderTime.getTime() - DAY);
    expect(extendAccess(lapsed, orderTime, 30)).toEqual(new Date(orderTime.getTime() + 30 * DAY));
    expect(extendAccess(orderTime, orderTime, 30)).toEqual(new Date(orderTime.getTime() + 30 * DAY));
  });

  it('an earlier order processed late still adds all its days (never fewer than bought)', () => {
    const later = new Date(orderTime.getTime() + DAY);
    const inOrder = extendAccess(extendAccess(null, orderTime, 7), later, 30);
    const lateArrival = extendAccess(extendAccess(null, later, 30), orderTime, 7);
    expect(inOrder).toEqual(new Date(orderTime.getTime() + 37 * DAY));
    expect(lateArrival).toEqual(new Date(later.getTime() + 37 * DAY));
  });
});

describe('goodsAccess', () => {
  const now = new Date('2024-05-10T04:00:00Z');

  it('never bought: cannot use, expire -1, hadBuy false', () => {
    expect(goodsAccess(null, now)).toEqual({ canUse: false, expire: -1, hadBuy: false });
  });

  it('valid: can use until the expiry instant (exclusive)', () => {
    const expiry = new Date(now.getTime() + 1000);
    expect(goodsAccess(expiry, now)).toEqual({ canUse: true, expire: expiry.getTime(), hadBuy: true });
    expect(goodsAccess(now, now)).toEqual({ canUse: false, expire: now.getTime(), hadBuy: true });
  });
});

describe('accessDurationForCallback', () => {
  const product = { type: 'TIME_LIMITED', timeLevels: [{ level: '1', days: 7 }, { level: '2', days: 30 }] };

  it('prices a recorded callback by its expenseLevel', () => {
    expect(accessDurationForCallback(product, { expenseLevel: '2', orderId: 'x' })).toBe(30 * DAY);
    expect(accessDurationForCallback(product, { expenseLevel: '01' })).toBe(7 * DAY);
  });

  it('returns null (the order waits) for an unlisted level, other goods types or broken data', () => {
    expect(accessDurationForCallback(product, { expenseLevel: '3' })).toBeNull();
    expect(accessDurationForCallback({ ...product, type: 'REVENUE_SHARE' }, { expenseLevel: '1' })).toBeNull();
    expect(accessDurationForCallback({ type: 'TIME_LIMITED', timeLevels: null }, { expenseLevel: '1' })).toBeNull();
    expect(accessDurationForCallback(product, {})).toBeNull();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/platform/errors.js';
import {
  accessDecision,
  arrearsBeans,
  monthBounds,
  monthKey,
  monthlyBill,
  monthlyFee,
  parseRevenueShareConfig,
  revenueTiersToJson,
  tierFor,
  type RevenueShareConfig,
  type RevenueTier,
} from '../../../src/providers/huya/protocol/index.js';

/** Plain reference: find the last reached tier by a loop, charge whole income at its rate, cap. */
function referenceFee(income: bigint, tiers: readonly RevenueTier[], cap: bigint): bigint {
  let rate = 0n;
  for (const tier of tiers) {
    if (income >= tier.minBeans) rate = BigInt(tier.ratePercent);
  }
  // floor(income × rate / 100) computed per hundred beans, then the remainder.
  const hundreds = income / 100n;
  const remainder = income % 100n;
  let fee = hundreds * rate + (remainder * rate) / 100n;
  if (fee > cap) fee = cap;
  return fee;
}

const beans = fc.bigInt({ min: 0n, max: 10n ** 13n });

function configArbitrary(rates: fc.Arbitrary<number[]> | null = null): fc.Arbitrary<RevenueShareConfig> {
  return fc
    .uniqueArray(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 0, maxLength: 6 })
    .chain((thresholds) => {
      const starts = [0n, ...thresholds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))];
      const rateList = rates ?? fc.array(fc.integer({ min: 0, max: 100 }), { minLength: starts.length, maxLength: starts.length });
      return fc.record({
        tiers: rateList.map((list) => starts.map((minBeans, index) => ({ minBeans, ratePercent: list[index] ?? 0 }))),
        monthlyCapBeans: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      });
    })
    .map((config) => parseRevenueShareConfig(config));
}

/** Rates that never fall as income rises (the usual shape of Huya's tier tables). */
const nonDecreasingRates = fc
  .array(fc.integer({ min: 0, max: 100 }), { minLength: 7, maxLength: 7 })
  .map((rates) => [...rates].sort((a, b) => a - b));

const config = parseRevenueShareConfig({
  tiers: [
    { minBeans: 0, ratePercent: 0 },
    { minBeans: '100000', ratePercent: 10 },
    { minBeans: 1_000_000, ratePercent: 20 },
  ],
  monthlyCapBeans: 300_000,
});

describe('Huya revenue-share config', () => {
  it('parses numbers, strings and bigints as beans and serialises back to JSON', () => {
    expect(config.tiers.map((tier) => tier.minBeans)).toEqual([0n, 100_000n, 1_000_000n]);
    expect(config.monthlyCapBeans).toBe(300_000n);
    expect(parseRevenueShareConfig({ tiers: revenueTiersToJson(config.tiers), monthlyCapBeans: 300_000n })).toEqual(config);
  });

  it('refuses tiers not starting at 0, not ascending, fractional or out-of-range rates, and no cap', () => {
    const invalid: unknown[] = [
      { tiers: [{ minBeans: 10, ratePercent: 5 }], monthlyCapBeans: 1 },
      { tiers: [{ minBeans: 0, ratePercent: 5 }, { minBeans: 0, ratePercent: 6 }], monthlyCapBeans: 1 },
      { tiers: [{ minBeans: 0, ratePercent: 5 }, { minBeans: 20, ratePercent: 6 }, { minBeans: 10, ratePercent: 7 }], monthlyCapBeans: 1 },
      { tiers: [{ minBeans: 0, ratePercent: 2.5 }], monthlyCapBeans: 1 },
      { tiers: [{ minBeans: 0, ratePercent: 101 }], monthlyCapBeans: 1 },
      { tiers: [{ minBeans: -1, ratePercent: 1 }], monthlyCapBeans: 1 },
      { tiers: [], monthlyCapBeans: 1 },
      { tiers: [{ minBeans: 0, ratePercent: 5 }], monthlyCapBeans: 0 },
      { tiers: [{ minBeans: 0, ratePercent: 5 }] },
    ];
    invalid.forEach((input, index) => {
      expect(() => parseRevenueShareConfig(input), `case ${index}`).toThrowError(ValidationError);
    });
  });
});

describe('monthlyFee', () => {
  it('charges the whole income at the reached tier’s rate, floored, up to the cap (worked example)', () => {
    expect(monthlyFee(99_999n, config.tiers, config.monthlyCapBeans)).toBe(0n);
    expect(monthlyFee(100_000n, config.tiers, config.monthlyCapBeans)).toBe(10_000n);
    expect(monthlyFee(123_459n, config.tiers, config.monthlyCapBeans)).toBe(12_345n);
    expect(monthlyFee(1_000_000n, config.tiers, config.monthlyCapBeans)).toBe(200_000n);
    expect(monthlyFee(1_500_000n, config.tiers, config.monthlyCapBeans)).toBe(300_000n);
    expect(monthlyFee(5_000_000n, config.tiers, config.monthlyCapBeans)).toBe(300_000n);
  });

  it('equals the plain reference model', () => {
    fc.assert(
      fc.property(configArbitrary(), beans, (generated, income) => {
        expect(monthlyFee(income, generated.tiers, generated.monthlyCapBeans)).toBe(
          referenceFee(income, generated.tiers, generated.monthlyCapBeans),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('never exceeds the cap nor the income', () => {
    fc.assert(
      fc.property(configArbitrary(), beans, (generated, income) => {
        const fee = monthlyFee(income, generated.tiers, generated.monthlyCapBeans);
        expect(fee >= 0n && fee <= generated.monthlyCapBeans && fee <= income).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is non-decreasing in income when rates do not fall across tiers', () => {
    fc.assert(
      fc.property(configArbitrary(nonDecreasingRates), beans, beans, (generated, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const { tiers, monthlyCapBeans } = generated;
        expect(monthlyFee(low, tiers, monthlyCapBeans) <= monthlyFee(high, tiers, monthlyCapBeans)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('can drop at a tier whose rate is lower: the whole income moves to the lower rate', () => {
    const discount = parseRevenueShareConfig({
      tiers: [
        { minBeans: 0, ratePercent: 10 },
        { minBeans: 10_000, ratePercent: 5 },
      ],
      monthlyCapBeans: 1_000_000,
    });
    expect(monthlyFee(9_999n, discount.tiers, discount.monthlyCapBeans)).toBe(999n);
    expect(monthlyFee(10_000n, discount.tiers, discount.monthlyCapBeans)).toBe(500n);
  });

  it('refuses negative income', () => {
    expect(() => monthlyFee(-1n, config.tiers, config.monthlyCapBeans)).toThrowError(ValidationError);
  });
});

describe('tier crossings and access', () => {
  it('finds the tier at each threshold exactly', () => {
    expect(tierFor(0n, config.tiers).index).toBe(0);
    expect(tierFor(99_999n, config.tiers).index).toBe(0);
    expect(tierFor(100_000n, config.tiers).index).toBe(1);
    expect(tierFor(999_999n, config.tiers).index).toBe(1);
    expect(tierFor(1_000_000n, config.tiers).index).toBe(2);
  });

  it('walks a month: first use, each tier, the cap, each confirmed once', () => {
    const state = { incomeBeans: 0n, confirmedTier: null as number | null, firstUseConfirmed: false, arrearsBeans: 0n };
    const reasonAt = (incomeBeans: bigint) => accessDecision({ ...state, incomeBeans }, config);

    expect(reasonAt(0n)).toMatchObject({ canUse: false, reason: 'NEEDS_FIRST_USE_CONFIRMATION', confirmationLevel: 0 });
    state.firstUseConfirmed = true;
    state.confirmedTier = reasonAt(0n).confirmationLevel;
    expect(reasonAt(99_999n)).toMatchObject({ canUse: true, reason: 'OK' });

    const tierOne = reasonAt(100_000n);
    expect(tierOne).toMatchObject({ canUse: false, reason: 'NEEDS_TIER_CONFIRMATION', confirmationLevel: 1 });
    expect(tierOne.bill).toMatchObject({ tierIndex: 1, ratePercent: 10, feeBeans: 10_000n, capReached: false });
    state.confirmedTier = tierOne.confirmationLevel;
    expect(reasonAt(500_000n).reason).toBe('OK');

    expect(reasonAt(1_000_000n)).toMatchObject({ reason: 'NEEDS_TIER_CONFIRMATION', confirmationLevel: 2 });
    state.confirmedTier = 2;
    expect(reasonAt(1_499_999n).reason).toBe('OK');

    const capped = reasonAt(1_500_000n);
    expect(capped).toMatchObject({ canUse: false, reason: 'NEEDS_CAP_CONFIRMATION', confirmationLevel: 3 });
    expect(capped.bill).toMatchObject({ feeBeans: 300_000n, capReached: true });
    state.confirmedTier = capped.confirmationLevel;
    expect(reasonAt(9_000_000n)).toMatchObject({ canUse: true, reason: 'OK' });
  });

  it('a jump over several tiers needs one confirmation', () => {
    const decision = accessDecision({ incomeBeans: 1_200_000n, confirmedTier: 0, firstUseConfirmed: true, arrearsBeans: 0n }, config);
    expect(decision).toMatchObject({ reason: 'NEEDS_TIER_CONFIRMATION', confirmationLevel: 2 });
    expect(accessDecision({ incomeBeans: 1_200_000n, confirmedTier: 2, firstUseConfirmed: true, arrearsBeans: 0n }, config).reason).toBe('OK');
  });

  it('arrears block use before anything else', () => {
    const owed = arrearsBeans([
      { feeBeans: 300_000n, paidBeans: 300_000n },
      { feeBeans: 50_000n, paidBeans: 20_000n },
      { feeBeans: 10n, paidBeans: 99n },
    ]);
    expect(owed).toBe(30_000n);
    expect(accessDecision({ incomeBeans: 0n, confirmedTier: 3, firstUseConfirmed: true, arrearsBeans: owed }, config)).toMatchObject({
      canUse: false,
      reason: 'ARREARS',
      arrearsBeans: 30_000n,
    });
  });

  it('monthlyBill reports the uncapped fee beside the charged one', () => {
    expect(monthlyBill(2_000_000n, config)).toEqual({
      incomeBeans: 2_000_000n,
      tierIndex: 2,
      ratePercent: 20,
      uncappedFeeBeans: 400_000n,
      feeBeans: 300_000n,
      capReached: true,
      confirmationLevel: 3,
    });
  });
});

describe('billing months', () => {
  it('keys instants by the Asia/Shanghai month, not the UTC one', () => {
    // 2024-01-31T16:00Z is 2024-02-01 00:00 in Shanghai.
    expect(monthKey(new Date('2024-01-31T15:59:59.999Z'))).toBe('2024-01');
    expect(monthKey(new Date('2024-01-31T16:00:00.000Z'))).toBe('2024-02');
    expect(monthKey(new Date('2024-01-31T16:00:00.000Z'), 'UTC')).toBe('2024-01');
    expect(monthKey(new Date('2023-12-31T16:00:00.000Z'))).toBe('2024-01');
  });

  it('gives month bounds as instants: start inclusive, next month’s start exclusive', () => {
    expect(monthBounds('2024-02')).toEqual({ start: new Date('2024-01-31T16:00:00Z'), end: new Date('2024-02-29T16:00:00Z') });
    expect(monthBounds('2024-12')).toEqual({ start: new Date('2024-11-30T16:00:00Z'), end: new Date('2024-12-31T16:00:00Z') });
    expect(monthBounds('2024-02', 'UTC')).toEqual({ start: new Date('2024-02-01T00:00:00Z'), end: new Date('2024-03-01T00:00:00Z') });
    expect(monthBounds('2024-03', 'Europe/Berlin')).toEqual({ start: new Date('2024-02-29T23:00:00Z'), end: new Date('2024-03-31T22:00:00Z') });
    expect(() => monthBounds('2024-13')).toThrowError(ValidationError);
  });

  it('every instant falls inside the bounds of its own month key', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom('Asia/Shanghai', 'UTC', 'America/New_York'),
        (instant, zone) => {
          const { start, end } = monthBounds(monthKey(instant, zone), zone);
          expect(start.getTime() <= instant.getTime() && instant.getTime() < end.getTime()).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// now.gg reports money in major units as a decimal ("25.15" in verifyPurchase, 24.99 as a
// JSON number in webhooks). The core stores integer minor units, so we convert by string
// arithmetic: a binary float (25.15 * 100 = 2514.9999…) must never decide what a player paid.

const DECIMAL_AMOUNT = /^(\d+)(?:\.(\d+))?$/;
const CURRENCY_CODE = /^[A-Z]{3}$/;

/** ISO 4217 minor digits from the runtime's CLDR data (USD 2, JPY 0, KWD 3). */
export function currencyMinorDigits(currency: string): number {
  if (!CURRENCY_CODE.test(currency)) throw new RangeError(`"${currency}" is not an ISO 4217 currency code`);
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Converts a major-unit amount ("25.15", 24.99, "1000") to minor units of `currency`.
 * Throws RangeError for negative, exponent or non-numeric input, and when the amount has
 * more significant fraction digits than the currency allows ("1.005" USD): rounding
 * someone else's money silently is worse than refusing the purchase with a clear error.
 */
export function majorToMinorUnits(amount: string | number, currency: string): bigint {
  const text = typeof amount === 'number' ? numberToPlainDecimal(amount) : amount.trim();
  const match = DECIMAL_AMOUNT.exec(text);
  if (!match) throw new RangeError(`amount "${text}" is not a non-negative decimal number`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  const digits = currencyMinorDigits(currency);
  const significantFraction = fraction.replace(/0+$/, '');
  if (significantFraction.length > digits) {
    throw new RangeError(`amount "${text}" has more fraction digits than ${currency} allows (${digits})`);
  }
  return BigInt(whole + significantFraction.padEnd(digits, '0'));
}

// Number#toString yields the shortest decimal that round-trips, i.e. the literal the
// sender wrote in its JSON (24.99 → "24.99"), except for exponent forms we refuse.
function numberToPlainDecimal(amount: number): string {
  if (!Number.isFinite(amount)) throw new RangeError(`amount ${amount} is not a finite number`);
  return String(amount);
}

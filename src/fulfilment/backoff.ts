/** Exponential backoff with jitter: between half and all of min(cap, base·2^(attempt-1)). */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

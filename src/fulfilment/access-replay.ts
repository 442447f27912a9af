// Time-limited access bought order by order (Huya prepaid goods): the end of access is a
// function of the set of paid orders only, never of the order their callbacks arrived in.

export interface PaidPeriod {
  /** When the order was placed (Huya: orderTime). */
  at: Date;
  /** How long it buys. */
  durationMs: number;
  /** Breaks ties between orders placed in the same second (the store's order id). */
  key: string;
}

/**
 * Replays the orders in order-time order (ties by key): each one extends access from the
 * current end if that is still after its order time, else from its order time. So a gap
 * in which the streamer had no access stays a gap, whichever callback arrives first.
 * Null when there is no order.
 */
export function replayAccess(periods: readonly PaidPeriod[]): Date | null {
  const sorted = [...periods].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let end: number | null = null;
  for (const period of sorted) {
    const start: number = end !== null && end > period.at.getTime() ? end : period.at.getTime();
    end = start + period.durationMs;
  }
  return end === null ? null : new Date(end);
}

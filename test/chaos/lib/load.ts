// Retrying clients: each purchase is submitted until an answer names its order, whatever
// fails in between (the server dies, the database or the store is down). Some purchases
// are submitted again after their answer, as a game does at its next start.
import { failureLabel, sleep, type Failure } from './api.js';
import type { ChaosPurchase, StoreDriver } from './stores.js';

export interface LoadOptions {
  purchases: readonly ChaosPurchase[];
  drivers: ReadonlyMap<string, StoreDriver>;
  /** The server base URLs a client may pick from (read at every attempt). */
  targets: () => readonly string[];
  concurrency: number;
  /** Purchases started per second (paces the load over the chaos window); 0 = no pacing. */
  ratePerSecond: number;
  /** Share of purchases submitted a second time after their first answer. */
  repeatShare: number;
  /** A purchase still unanswered after this long is given up (and reported). */
  giveUpAfterMs: number;
  /** Progress lines every 15 s (long runs should show they are moving). */
  log?: (message: string) => void;
}

const PROGRESS_INTERVAL_MS = 15_000;

export interface FailureRecord {
  label: string;
  retryable: boolean;
  message: string;
  store: string;
  at: number;
}

export interface LoadStats {
  purchases: number;
  /** Successful answers, first submissions and repeats. */
  submissions: number;
  repeats: number;
  /** Every attempt, failed or not. */
  attempts: number;
  failures: Map<string, number>;
  /** Failures a client could not have known to retry: each is a finding. */
  nonRetryable: FailureRecord[];
  /** Every failure with its time, for scenarios that look at a window. */
  failureLog: FailureRecord[];
  /** Purchases no answer was obtained for before giving up. */
  unanswered: ChaosPurchase[];
  durationMs: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const stats: LoadStats = {
    purchases: options.purchases.length,
    submissions: 0,
    repeats: 0,
    attempts: 0,
    failures: new Map(),
    nonRetryable: [],
    failureLog: [],
    unanswered: [],
    durationMs: 0,
  };
  const started = Date.now();
  let next = 0;
  let answered = 0;

  const submitUntilAnswered = async (purchase: ChaosPurchase, repeat: boolean): Promise<boolean> => {
    const driver = options.drivers.get(purchase.storeAccountId);
    if (!driver) throw new Error(`no driver for store account ${purchase.storeAccountId}`);
    const deadline = Date.now() + options.giveUpAfterMs;
    for (let attempt = 0; ; attempt += 1) {
      const targets = options.targets();
      const target = targets[Math.floor(Math.random() * targets.length)]!;
      stats.attempts += 1;
      const outcome = await driver.submit(purchase, target, repeat);
      if (outcome.ok) {
        stats.submissions += 1;
        if (outcome.value !== null) purchase.answeredOrderIds.push(outcome.value);
        return true;
      }
      record(stats, purchase, outcome.failure);
      if (Date.now() > deadline) return false;
      // Exponential backoff with jitter, 50 ms up to 1 s: fast enough to find a restarted server.
      await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
    }
  };

  const client = async () => {
    for (;;) {
      const index = next++;
      const purchase = options.purchases[index];
      if (!purchase) return;
      if (options.ratePerSecond > 0) {
        const startAt = started + (index / options.ratePerSecond) * 1000;
        if (startAt > Date.now()) await sleep(startAt - Date.now());
      }
      if (!(await submitUntilAnswered(purchase, false))) {
        stats.unanswered.push(purchase);
        continue;
      }
      answered += 1;
      if (Math.random() < options.repeatShare) {
        stats.repeats += 1;
        if (!(await submitUntilAnswered(purchase, true))) stats.unanswered.push(purchase);
      }
    }
  };

  const progress = options.log
    ? setInterval(() => {
        options.log?.(`  ${answered}/${options.purchases.length} purchases answered, ${stats.attempts} attempts, ${stats.failureLog.length} failed`);
      }, PROGRESS_INTERVAL_MS)
    : undefined;
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    clearInterval(progress);
  }
  stats.durationMs = Date.now() - started;
  return stats;
}

function record(stats: LoadStats, purchase: ChaosPurchase, failure: Failure): void {
  const label = failureLabel(failure);
  stats.failures.set(label, (stats.failures.get(label) ?? 0) + 1);
  const entry = { label, retryable: failure.retryable, message: failure.message.slice(0, 300), store: purchase.store, at: Date.now() };
  stats.failureLog.push(entry);
  if (!failure.retryable) stats.nonRetryable.push(entry);
}

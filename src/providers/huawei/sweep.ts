// Huawei reconciliation sweep: a refund or revocation Huawei never notified (or whose
// notification was lost) still reaches us. Periodically, and durably, re-reads recently
// delivered orders and recently paid subscriptions with Huawei's status queries and
// applies what changed. It runs as a task on the shared worker: one task per time slot
// (dedupe key "huawei.sweep:<slot start>"), so however many instances run, each slot is
// swept once, and each run schedules the next slot before it starts.
import type { PrismaClient } from '../../platform/db.js';
import type { Env } from '../../platform/env.js';
import type { Order } from '../../generated/prisma/client.js';
import { AppError } from '../../platform/errors.js';
import { OrderEventType } from '../../fulfilment/events.js';
import type { Fulfilment } from '../../fulfilment/fulfilment.js';
import { enqueueTask, type TaskKindOptions } from '../../fulfilment/tasks.js';
import type { Logger } from '../../platform/logger.js';
import { readHuaweiAccount } from './protocol/index.js';
import type { StoreAccountConfig } from '../contract.js';
import type { StoreAccountsService } from '../../services/store-accounts.js';

export const HUAWEI_SWEEP_TASK = 'huawei.sweep';

// A type alias (not an interface) so findings are JSON values for the event data.
export type SweepFinding = {
  orderId: string;
  storeOrderId: string;
  outcome: 'REVOKED' | 'CHANGED' | 'FAILED';
  error?: string;
};

export interface SweepReport {
  slot: string;
  accounts: number;
  checked: number;
  findings: SweepFinding[];
  /** True when the run stopped at its time budget before checking everything. */
  truncated: boolean;
}

export interface HuaweiSweepDeps {
  env: Env;
  prisma: PrismaClient;
  fulfilment: Fulfilment;
  logger: Logger;
  storeAccounts: StoreAccountsService;
  /** Re-reads one order (or its subscription) from Huawei and applies it (the flows' reconcile). */
  reconcile: (account: StoreAccountConfig, order: Order) => Promise<'REVOKED' | 'CHANGED' | 'UNCHANGED'>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class HuaweiSweep {
  readonly #deps: HuaweiSweepDeps;

  constructor(deps: HuaweiSweepDeps) {
    this.#deps = deps;
  }

  get #intervalMs(): number {
    return this.#deps.env.HUAWEI_SWEEP_INTERVAL_MS;
  }

  /** The start of the time slot `at` falls in. */
  slotOf(at: Date): Date {
    return new Date(Math.floor(at.getTime() / this.#intervalMs) * this.#intervalMs);
  }

  /** Makes sure the current slot's sweep exists (idempotent; every instance calls it at start). */
  async ensureScheduled(now = new Date()): Promise<void> {
    if (!this.#deps.env.HUAWEI_SWEEP_ENABLED) return;
    await this.#schedule(this.slotOf(now));
  }

  async #schedule(slot: Date): Promise<void> {
    await this.#deps.prisma.$transaction((tx) =>
      enqueueTask(tx, {
        appId: null,
        kind: HUAWEI_SWEEP_TASK,
        dedupeKey: `${HUAWEI_SWEEP_TASK}:${slot.toISOString()}`,
        payload: { slot: slot.toISOString() },
        runAt: slot,
        maxAttempts: 3,
      }),
    );
  }

  taskKind(): TaskKindOptions {
    return {
      baseDelayMs: 60_000,
      handler: async (task) => {
        const slot = new Date(String((task.payload as { slot?: unknown }).slot ?? new Date().toISOString()));
        // The chain continues even if this run fails: the next slot is scheduled first.
        if (this.#deps.env.HUAWEI_SWEEP_ENABLED) await this.#schedule(new Date(this.slotOf(slot).getTime() + this.#intervalMs));
        await this.run(slot);
      },
    };
  }

  /**
   * One sweep: every Huawei account with server credentials, its orders delivered within
   * the window and its subscriptions paid until within the window, newest first; one
   * status query per order or subscription, paced; bounded by half the worker lease so a
   * second instance never retakes a sweep that is still running.
   */
  async run(slot: Date = new Date()): Promise<SweepReport[]> {
    const { env, prisma, logger } = this.#deps;
    const startedAt = Date.now();
    const budgetMs = Math.max(1_000, Math.floor(env.WORKER_LEASE_MS / 2));
    const since = new Date(startedAt - env.HUAWEI_SWEEP_WINDOW_HOURS * 3_600_000);
    const accounts = await prisma.storeAccount.findMany({ where: { store: 'HUAWEI' }, select: { id: true, appId: true } });
    const reports = new Map<string, SweepReport>();
    let calls = 0;
    let outOfTime = false;
    for (const { id, appId } of accounts) {
      const account = await this.#deps.storeAccounts.config(appId, id).catch(() => null);
      if (!account || !this.#hasCredentials(account)) continue;
      const report = reports.get(appId) ?? { slot: slot.toISOString(), accounts: 0, checked: 0, findings: [], truncated: false };
      reports.set(appId, report);
      report.accounts += 1;
      for (const order of await this.#candidates(account.id, since)) {
        if (Date.now() - startedAt > budgetMs) {
          outOfTime = true;
          report.truncated = true;
          break;
        }
        if (calls > 0 && env.HUAWEI_SWEEP_PACE_MS > 0) await sleep(env.HUAWEI_SWEEP_PACE_MS);
        calls += 1;
        report.checked += 1;
        try {
          const outcome = await this.#deps.reconcile(account, order);
          if (outcome !== 'UNCHANGED') report.findings.push({ orderId: order.id, storeOrderId: order.storeOrderId, outcome });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          report.findings.push({ orderId: order.id, storeOrderId: order.storeOrderId, outcome: 'FAILED', error: `${err.code}: ${err.message}`.slice(0, 300) });
        }
      }
      if (outOfTime) break;
    }
    for (const [appId, report] of reports) {
      await this.#deps.fulfilment.transaction(async (tx, events) => {
        await events.append(tx, {
          appId,
          orderId: null,
          playerId: null,
          type: OrderEventType.RECONCILIATION_RUN,
          data: {
            store: 'HUAWEI',
            ...report,
            findings: report.findings.slice(0, 100).map((finding) => ({ ...finding })),
            windowHours: env.HUAWEI_SWEEP_WINDOW_HOURS,
          },
        });
      });
    }
    logger.info({ slot: slot.toISOString(), calls, apps: reports.size, outOfTime }, 'huawei reconciliation sweep');
    return [...reports.values()];
  }

  #hasCredentials(account: StoreAccountConfig): boolean {
    try {
      return readHuaweiAccount(account).credentials !== null;
    } catch {
      return false;
    }
  }

  /** Orders to re-read: one per subscription (its latest order), every other delivered order in the window. */
  async #candidates(storeAccountId: string, since: Date): Promise<Order[]> {
    const orders = await this.#deps.prisma.order.findMany({
      where: {
        storeAccountId,
        status: { in: ['DELIVERED', 'FINISHED'] },
        OR: [{ deliveredAt: { gte: since } }, { subscriptionKey: { not: null }, expiresAt: { gte: since } }],
      },
      orderBy: { seq: 'desc' },
      take: 10_000,
    });
    const seen = new Set<string>();
    return orders.filter((order) => {
      if (order.subscriptionKey === null) return true;
      if (seen.has(order.subscriptionKey)) return false;
      seen.add(order.subscriptionKey);
      return true;
    });
  }
}

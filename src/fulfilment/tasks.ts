// Durable tasks: store acknowledgements and outbound webhooks. Every instance runs a
// worker; they share work through row leases claimed with FOR UPDATE SKIP LOCKED, so a
// task runs on one instance at a time and survives any instance dying mid-attempt.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { PrismaClient, TransactionClient } from '../platform/db.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Logger } from '../platform/logger.js';
import { backoffDelayMs } from './backoff.js';

export interface ClaimedTask {
  id: string;
  appId: string | null;
  kind: string;
  dedupeKey: string;
  payload: Prisma.JsonValue;
  attempts: number;
  maxAttempts: number;
}

export type TaskHandler = (task: ClaimedTask) => Promise<void>;

export interface TaskKindOptions {
  handler: TaskHandler;
  /** First retry delay; doubles per attempt up to capDelayMs, with jitter. */
  baseDelayMs?: number;
  capDelayMs?: number;
}

/** Creates the task unless one with the same dedupe key exists (then it is left as is). */
export async function enqueueTask(
  tx: TransactionClient,
  task: { appId: string | null; kind: string; dedupeKey: string; payload: Prisma.InputJsonValue; maxAttempts?: number; runAt?: Date },
): Promise<void> {
  await tx.task.createMany({
    data: [
      {
        appId: task.appId,
        kind: task.kind,
        dedupeKey: task.dedupeKey,
        payload: task.payload,
        ...(task.maxAttempts ? { maxAttempts: task.maxAttempts } : {}),
        ...(task.runAt ? { runAt: task.runAt } : {}),
      },
    ],
    skipDuplicates: true,
  });
}

export interface TaskWorkerOptions {
  prisma: PrismaClient;
  logger: Logger;
  kinds: Record<string, TaskKindOptions>;
  pollMs?: number;
  concurrency?: number;
  /** How long a claim is held; a crashed instance's tasks are retaken after it. */
  leaseMs?: number;
  defaultBaseDelayMs?: number;
  defaultCapDelayMs?: number;
}

export class TaskWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #opts: Required<Omit<TaskWorkerOptions, 'kinds'>> & { kinds: Record<string, TaskKindOptions> };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  #wakeRequested = false;

  constructor(options: TaskWorkerOptions) {
    this.#opts = {
      pollMs: 1000,
      concurrency: 4,
      leaseMs: 60_000,
      defaultBaseDelayMs: 2_000,
      defaultCapDelayMs: 3_600_000,
      ...options,
    };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops polling and waits for attempts in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /** Runs due tasks soon (called after a commit that enqueued work). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#wakeRequested = true;
      return;
    }
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#loop(), delay);
    this.#timer.unref();
  }

  async #loop(): Promise<void> {
    if (this.#stopped || this.#running) return;
    let ran = 0;
    const run = this.runOnce()
      .then((n) => {
        ran = n;
      })
      .catch((err: unknown) => this.#opts.logger.warn({ err }, 'task worker poll failed'));
    this.#running = run;
    await run;
    this.#running = undefined;
    if (this.#stopped) return;
    const again = ran > 0 || this.#wakeRequested;
    this.#wakeRequested = false;
    this.#schedule(again ? 0 : this.#opts.pollMs);
  }

  /** Claims up to `concurrency` due tasks and runs them; returns how many ran. */
  async runOnce(): Promise<number> {
    const tasks = await this.#claim(this.#opts.concurrency);
    await Promise.all(tasks.map((task) => this.#attempt(task)));
    return tasks.length;
  }

  async #claim(limit: number): Promise<ClaimedTask[]> {
    const leaseSeconds = this.#opts.leaseMs / 1000;
    return this.#opts.prisma.$queryRaw<ClaimedTask[]>`
      UPDATE "Task" AS t
         SET "leaseUntil" = now() + make_interval(secs => ${leaseSeconds}),
             "leaseOwner" = ${this.owner},
             "attempts" = t."attempts" + 1,
             "updatedAt" = now()
       WHERE t."id" IN (
         SELECT "id" FROM "Task"
          WHERE "status" = 'PENDING'
            AND "runAt" <= now()
            AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
          ORDER BY "runAt"
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING t."id", t."appId", t."kind", t."dedupeKey", t."payload", t."attempts", t."maxAttempts"`;
  }

  async #attempt(task: ClaimedTask): Promise<void> {
    const { prisma, logger } = this.#opts;
    const startedAt = new Date();
    const kind = this.#opts.kinds[task.kind];
    try {
      if (!kind) throw new Error(`no handler for task kind ${task.kind}`);
      await kind.handler(task);
      await prisma.$transaction([
        prisma.task.updateMany({
          where: { id: task.id, leaseOwner: this.owner },
          data: { status: 'DONE', doneAt: new Date(), leaseUntil: null, lastError: null },
        }),
        prisma.taskAttempt.create({
          data: { taskId: task.id, attempt: task.attempts, startedAt, ok: true, worker: this.owner },
        }),
      ]);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const dead = task.attempts >= task.maxAttempts;
      const delay = backoffDelayMs(
        task.attempts,
        kind?.baseDelayMs ?? this.#opts.defaultBaseDelayMs,
        kind?.capDelayMs ?? this.#opts.defaultCapDelayMs,
      );
      logger.warn({ taskId: task.id, kind: task.kind, attempt: task.attempts, dead, err: message }, 'task attempt failed');
      await prisma
        .$transaction([
          prisma.task.updateMany({
            where: { id: task.id, leaseOwner: this.owner },
            data: {
              status: dead ? 'DEAD' : 'PENDING',
              runAt: new Date(Date.now() + delay),
              leaseUntil: null,
              lastError: message.slice(0, 2000),
            },
          }),
          prisma.taskAttempt.create({
            data: { taskId: task.id, attempt: task.attempts, startedAt, ok: false, error: message.slice(0, 2000), worker: this.owner },
          }),
        ])
        // If even this fails (database down) the lease expires and the task is retaken.
        .catch((e: unknown) => logger.error({ err: e, taskId: task.id }, 'could not record task failure'));
    }
  }
}

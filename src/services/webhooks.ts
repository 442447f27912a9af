// Outbound webhooks: an app registers endpoints; every order event of the types an
// endpoint asks for is POSTed to it, signed, and retried for at least three days.
//
// Nothing here runs in the purchase path. A relay (a loop in every instance) reads each
// enabled endpoint's events after its stored position and, in one transaction, creates
// one delivery row and one task per (endpoint, event) and moves the position: a crash
// either keeps all of that or none of it, and the unique task key makes a repeat harmless.
// The task worker sends; its attempts are the delivery attempts.
//
// Signing follows the Standard Webhooks scheme (standardwebhooks.com):
//   webhook-id:        the event id (the same on every retry and resend: dedupe on it)
//   webhook-timestamp: Unix seconds of this attempt
//   webhook-signature: "v1," + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`))
// where the secret is the bytes after "whsec_", base64-decoded.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { z } from 'zod';
import type { PrismaClient, TransactionClient } from '../platform/db.js';
import type { SecretBox } from '../platform/crypto.js';
import type { Logger } from '../platform/logger.js';
import type { Order, Prisma, TaskStatus, WebhookEndpoint } from '../generated/prisma/client.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import { backoffDelayMs } from '../fulfilment/backoff.js';
import { OrderEventType } from '../fulfilment/events.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import type { ClaimedTask, TaskKindOptions } from '../fulfilment/tasks.js';
import { afterPosition, settledBelow, type FeedEvent } from './order-events.js';
import { parseInput, rowId } from './validation.js';
import { isOutboundRefusal, OutboundTargetError, outboundUrlSchema, type OutboundGuard } from '../platform/outbound-url.js';
import type { Response as OutboundResponse } from 'undici';

export const WEBHOOK_DELIVERY_TASK = 'webhook.deliver';
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** First retry after about 10 s, doubling to an hourly cap. */
export const WEBHOOK_RETRY_BASE_MS = 10_000;
export const WEBHOOK_RETRY_CAP_MS = 3_600_000;
/** Deliveries are retried for at least this long before they are marked failed. */
export const WEBHOOK_RETRY_WINDOW_MS = 3 * 24 * 3_600_000;
/** How long one attempt may take, connection to last byte of the answer. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * How many attempts span at least `windowMs` even when every backoff delay comes out at
 * its shortest (the jitter's lower half).
 */
export function attemptsCovering(windowMs: number, baseMs: number, capMs: number): number {
  let attempts = 1;
  let elapsed = 0;
  while (elapsed < windowMs) {
    elapsed += backoffDelayMs(attempts, baseMs, capMs, () => 0);
    attempts++;
  }
  return attempts;
}

export const WEBHOOK_MAX_ATTEMPTS = attemptsCovering(WEBHOOK_RETRY_WINDOW_MS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_RETRY_CAP_MS);

/** A delivery attempt the receiver did not accept (network error, timeout, non-2xx). */
export class WebhookDeliveryError extends AppError {
  constructor(message: string) {
    super('WEBHOOK_DELIVERY_FAILED', message, { retryable: true });
  }
}

/** The endpoint is disabled: its queued deliveries wait (retrying) until it is enabled. */
export class WebhookEndpointDisabledError extends AppError {
  constructor() {
    super('WEBHOOK_ENDPOINT_DISABLED', 'The webhook endpoint is disabled; the delivery waits until it is enabled again', { retryable: true });
  }
}

export type WebhookDeliveryStatus = 'PENDING' | 'RETRYING' | 'DELIVERED' | 'FAILED';

/** A delivery's status from its task: the task is the source of truth for retries. */
export function deliveryStatus(task: { status: TaskStatus; lastError: string | null }): WebhookDeliveryStatus {
  if (task.status === 'DONE') return 'DELIVERED';
  if (task.status === 'DEAD') return 'FAILED';
  return task.lastError === null ? 'PENDING' : 'RETRYING';
}

export function deliveryStatusFilter(statuses: readonly WebhookDeliveryStatus[]): Prisma.WebhookDeliveryWhereInput {
  const conditions: Prisma.TaskWhereInput[] = statuses.map((status) => {
    switch (status) {
      case 'PENDING':
        return { status: 'PENDING', lastError: null };
      case 'RETRYING':
        return { status: 'PENDING', lastError: { not: null } };
      case 'DELIVERED':
        return { status: 'DONE' };
      case 'FAILED':
        return { status: 'DEAD' };
    }
  });
  return { task: { OR: conditions } };
}

/** The JSON body of a webhook: the event and its order as it is when sent. */
export function webhookBody(event: FeedEvent): Record<string, unknown> {
  return {
    id: event.id.toString(),
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    appId: event.appId,
    playerId: event.playerId,
    data: event.data,
    order: event.order ? orderJson(event.order) : null,
  };
}

/** The order as the GraphQL API shows it (same global id, money as a string of minor units). */
function orderJson(order: Order): Record<string, unknown> {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: encodeGlobalID('Order', order.id),
    store: order.store,
    environment: order.environment,
    storeOrderId: order.storeOrderId,
    storeProductId: order.storeProductId,
    playerId: order.playerId,
    status: order.status,
    finishMode: order.finishMode,
    productType: order.productType,
    quantity: order.quantity,
    price: order.amountMinor !== null && order.currency ? { amountMinor: order.amountMinor.toString(), currency: order.currency } : null,
    purchasedAt: order.purchasedAt.toISOString(),
    expiresAt: iso(order.expiresAt),
    deliveredAt: iso(order.deliveredAt),
    finishedAt: iso(order.finishedAt),
    revokedAt: iso(order.revokedAt),
    revocationReason: order.revocationReason,
  };
}

/** The webhook-signature header value for one attempt. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * For receivers written in TypeScript: checks a request's signature and timestamp window.
 * The header may carry several space-separated signatures (during a secret rotation).
 */
export function verifyWebhook(secret: string, headers: Headers, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const id = headers.get('webhook-id');
  const timestamp = Number(headers.get('webhook-timestamp'));
  const signatures = headers.get('webhook-signature')?.split(' ') ?? [];
  if (!id || !Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body));
  return signatures.some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const eventTypeNames = Object.values(OrderEventType) as [string, ...string[]];

/** How long the list of apps with webhook endpoints is trusted before it is read again. */
const RELAYING_APPS_TTL_MS = 5_000;

const eventTypesSchema = z.array(z.enum(eventTypeNames)).max(eventTypeNames.length).transform((types) => [...new Set(types)]);

export interface CreatedEndpoint {
  endpoint: WebhookEndpoint;
  /** Shown once, on creation and rotation. */
  secret: string;
}

export interface WebhooksDeps {
  prisma: PrismaClient;
  box: SecretBox;
  fulfilment: Fulfilment;
  logger: Logger;
  /** How often the relay looks for events when nothing woke it. */
  relayPollMs: number;
  /** Endpoint URLs are tenant-chosen: checked when saved and called only through this. */
  outbound: OutboundGuard;
  /** Most endpoints one app may have (WEBHOOK_ENDPOINTS_PER_APP). */
  maxEndpointsPerApp: number;
}

export class WebhooksService {
  readonly #prisma: PrismaClient;
  readonly #box: SecretBox;
  readonly #fulfilment: Fulfilment;
  readonly #logger: Logger;
  readonly #relayPollMs: number;
  readonly #outbound: OutboundGuard;
  readonly #maxEndpointsPerApp: number;
  #relayTimer: NodeJS.Timeout | undefined;
  #relayRunning: Promise<unknown> | undefined;
  #relayStopped = true;
  #relayWakeRequested = false;
  /** Apps with an enabled endpoint, as last read; a commit of another app's events needs no relay run. */
  #relayingApps: { appIds: Set<string>; readAt: number } | null = null;
  #relayingAppsRead: Promise<unknown> | undefined;

  constructor(deps: WebhooksDeps) {
    this.#prisma = deps.prisma;
    this.#box = deps.box;
    this.#fulfilment = deps.fulfilment;
    this.#logger = deps.logger;
    this.#relayPollMs = deps.relayPollMs;
    this.#outbound = deps.outbound;
    this.#maxEndpointsPerApp = deps.maxEndpointsPerApp;
  }

  get #endpointUrl() {
    return outboundUrlSchema(this.#outbound);
  }

  // ---- endpoints -------------------------------------------------------------

  async createEndpoint(appId: string, input: { url: string; eventTypes?: readonly string[] | null | undefined }): Promise<CreatedEndpoint> {
    const parsed = parseInput(z.object({ url: this.#endpointUrl, eventTypes: eventTypesSchema.nullish() }), input, 'webhook endpoint');
    // Each endpoint costs a relay query per batch and a delivery per event: bounded per app.
    // Two concurrent creates may both pass this count; the bound is a budget, not an invariant.
    if ((await this.#prisma.webhookEndpoint.count({ where: { appId } })) >= this.#maxEndpointsPerApp) {
      throw new ValidationError(`An app may have at most ${this.#maxEndpointsPerApp} webhook endpoints; delete one first`, [
        { path: 'url', message: `at most ${this.#maxEndpointsPerApp} endpoints per app` },
      ]);
    }
    const secret = newSecret();
    // The relay starts at the settled edge: the endpoint gets what commits from now on.
    const endpoint = await this.#prisma.webhookEndpoint.create({
      data: {
        appId,
        url: parsed.url,
        eventTypes: parsed.eventTypes ?? [],
        sealedSecret: this.#box.seal(secret),
        relayTxid: await settledBelow(this.#prisma),
        relayEventId: 0n,
      },
    });
    this.#relayingApps = null;
    return { endpoint, secret };
  }

  async updateEndpoint(
    appId: string,
    id: string,
    input: { url?: string | null | undefined; eventTypes?: readonly string[] | null | undefined; enabled?: boolean | null | undefined },
  ): Promise<WebhookEndpoint> {
    const parsed = parseInput(
      z.object({ url: this.#endpointUrl.nullish(), eventTypes: eventTypesSchema.nullish(), enabled: z.boolean().nullish() }),
      input,
      'webhook endpoint',
    );
    await this.#endpoint(appId, id);
    const endpoint = await this.#prisma.webhookEndpoint.update({
      where: { id },
      data: {
        ...(parsed.url ? { url: parsed.url } : {}),
        ...(parsed.eventTypes ? { eventTypes: parsed.eventTypes } : {}),
        ...(typeof parsed.enabled === 'boolean' ? { enabled: parsed.enabled } : {}),
      },
    });
    this.#relayingApps = null;
    if (parsed.enabled === true) {
      await this.#expedite(id);
      this.wakeRelay();
    }
    return endpoint;
  }

  /** Deletes the endpoint with its deliveries; queued attempts stop. */
  async deleteEndpoint(appId: string, id: string): Promise<void> {
    await this.#endpoint(appId, id);
    await this.#prisma.$transaction([
      this.#prisma.task.deleteMany({ where: { webhookDelivery: { endpointId: id }, status: 'PENDING' } }),
      this.#prisma.webhookEndpoint.delete({ where: { id } }),
    ]);
    this.#relayingApps = null;
  }

  /** A new signing secret; the old one stops working at once. */
  async rotateSecret(appId: string, id: string): Promise<CreatedEndpoint> {
    await this.#endpoint(appId, id);
    const secret = newSecret();
    const endpoint = await this.#prisma.webhookEndpoint.update({ where: { id }, data: { sealedSecret: this.#box.seal(secret) } });
    return { endpoint, secret };
  }

  /** Sends a delivery again now (delivered or failed), with a fresh retry budget. */
  async resend(appId: string, deliveryId: string): Promise<void> {
    const delivery = await this.#prisma.webhookDelivery.findFirst({
      where: { id: rowId(deliveryId), appId },
      select: { taskKey: true, task: { select: { attempts: true } } },
    });
    if (!delivery) throw new NotFoundError('Webhook delivery');
    await this.#fulfilment.transaction(async (tx) => {
      const rearmed = await tx.task.updateMany({
        where: { dedupeKey: delivery.taskKey, OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date() } }] },
        data: { status: 'PENDING', runAt: new Date(), doneAt: null, maxAttempts: delivery.task.attempts + WEBHOOK_MAX_ATTEMPTS },
      });
      if (rearmed.count === 0) throw new ConflictError('An attempt for this delivery is running right now; resend it in a moment');
    });
  }

  async #endpoint(appId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.#prisma.webhookEndpoint.findFirst({ where: { id: rowId(id), appId } });
    if (!endpoint) throw new NotFoundError('Webhook endpoint');
    return endpoint;
  }

  // ---- reads for the GraphQL layer -------------------------------------------

  endpoints(query: Record<string, unknown>, appId: string) {
    return this.#prisma.webhookEndpoint.findMany({ ...query, where: { appId }, orderBy: { createdAt: 'asc' } });
  }

  endpoint(query: Record<string, unknown>, appId: string, id: string) {
    return this.#prisma.webhookEndpoint.findFirst({ ...query, where: { id: rowId(id), appId } });
  }

  delivery(query: Record<string, unknown>, appId: string, id: string) {
    return this.#prisma.webhookDelivery.findFirst({ ...query, where: { id: rowId(id), appId } });
  }

  deliveries(
    query: Record<string, unknown>,
    appId: string,
    filter: { endpointId?: string | null | undefined; statuses?: readonly WebhookDeliveryStatus[] | null | undefined },
  ) {
    return this.#prisma.webhookDelivery.findMany({
      ...query,
      where: {
        appId,
        ...(filter.endpointId ? { endpointId: rowId(filter.endpointId) } : {}),
        ...(filter.statuses?.length ? deliveryStatusFilter(filter.statuses) : {}),
      },
      orderBy: { seq: 'desc' },
    });
  }

  event(appId: string, eventId: bigint): Promise<FeedEvent | null> {
    return this.#prisma.orderEvent.findFirst({ where: { id: eventId, appId }, include: { order: true } });
  }

  // ---- relay: events → deliveries --------------------------------------------

  startRelay(): void {
    if (!this.#relayStopped) return;
    this.#relayStopped = false;
    this.#scheduleRelay(0);
  }

  async stopRelay(): Promise<void> {
    this.#relayStopped = true;
    if (this.#relayTimer) clearTimeout(this.#relayTimer);
    await this.#relayRunning;
  }

  /**
   * Looks for new events soon (called after a commit that appended events). Given the
   * apps whose events were committed, it skips the run when none of them has an enabled
   * endpoint — checked against a list at most RELAYING_APPS_TTL_MS old, so an endpoint
   * created on another instance is served by the periodic poll until the list is re-read.
   */
  wakeRelay(appIds?: Iterable<string>): void {
    if (this.#relayStopped) return;
    if (appIds) {
      const known = this.#relayingApps;
      if (!known || Date.now() - known.readAt > RELAYING_APPS_TTL_MS) {
        this.#relayingAppsRead ??= this.#prisma.webhookEndpoint
          .findMany({ where: { enabled: true }, distinct: ['appId'], select: { appId: true } })
          .then((rows) => {
            this.#relayingApps = { appIds: new Set(rows.map((row) => row.appId)), readAt: Date.now() };
          })
          .catch(() => {
            this.#relayingApps = null;
          })
          .finally(() => {
            this.#relayingAppsRead = undefined;
          });
        // Unread (database trouble): wake anyway rather than ask again in a loop.
        void this.#relayingAppsRead.then(() => (this.#relayingApps ? this.wakeRelay(appIds) : this.wakeRelay()));
        return;
      }
      let relaying = false;
      for (const appId of appIds) if (known.appIds.has(appId)) relaying = true;
      if (!relaying) return;
    }
    if (this.#relayRunning) {
      this.#relayWakeRequested = true;
      return;
    }
    this.#scheduleRelay(0);
  }

  #scheduleRelay(delay: number): void {
    if (this.#relayTimer) clearTimeout(this.#relayTimer);
    this.#relayTimer = setTimeout(() => void this.#relayLoop(), delay);
    this.#relayTimer.unref();
  }

  async #relayLoop(): Promise<void> {
    if (this.#relayStopped || this.#relayRunning) return;
    const run = this.relayOnce().catch((err: unknown) => this.#logger.warn({ err }, 'webhook relay failed; retrying'));
    this.#relayRunning = run;
    await run;
    this.#relayRunning = undefined;
    if (this.#relayStopped) return;
    const again = this.#relayWakeRequested;
    this.#relayWakeRequested = false;
    this.#scheduleRelay(again ? 0 : this.#relayPollMs);
  }

  /**
   * Queues a delivery for every settled event after each enabled endpoint's position, in
   * batches, until none is left. Endpoints another instance is relaying are skipped.
   * Returns how many deliveries were queued.
   */
  async relayOnce(): Promise<number> {
    let queued = 0;
    for (;;) {
      const batch = await this.#fulfilment.transaction(async (tx) => {
        const below = await settledBelow(tx);
        const endpoints = await tx.$queryRaw<{ id: string; appId: string; eventTypes: string[]; relayTxid: string; relayEventId: string }[]>`
          SELECT w."id", w."appId", w."eventTypes", w."relayTxid"::text AS "relayTxid", w."relayEventId"::text AS "relayEventId"
            FROM "WebhookEndpoint" w
           WHERE w."enabled"
             AND EXISTS (
               SELECT 1 FROM "OrderEvent" e
                WHERE e."appId" = w."appId"
                  AND (e."txid", e."id") > (w."relayTxid", w."relayEventId")
                  AND e."txid" < ${below}
                  AND (cardinality(w."eventTypes") = 0 OR e."type" = ANY (w."eventTypes")))
           ORDER BY w."relayTxid"
           LIMIT 20
           FOR UPDATE OF w SKIP LOCKED`;
        let count = 0;
        for (const endpoint of endpoints) count += await this.#relayEndpoint(tx, endpoint, below);
        return { endpoints: endpoints.length, count };
      });
      queued += batch.count;
      if (batch.endpoints === 0) return queued;
    }
  }

  async #relayEndpoint(
    tx: TransactionClient,
    endpoint: { id: string; appId: string; eventTypes: string[]; relayTxid: string; relayEventId: string },
    below: bigint,
  ): Promise<number> {
    const limit = 500;
    const events = await tx.orderEvent.findMany({
      where: {
        appId: endpoint.appId,
        txid: { lt: below },
        ...afterPosition({ txid: BigInt(endpoint.relayTxid), id: BigInt(endpoint.relayEventId) }),
        ...(endpoint.eventTypes.length ? { type: { in: endpoint.eventTypes } } : {}),
      },
      orderBy: [{ txid: 'asc' }, { id: 'asc' }],
      take: limit,
      select: { id: true, txid: true },
    });
    const taskKey = (eventId: bigint) => `webhook:${endpoint.id}:${eventId}`;
    // Batched enqueueTask: the unique dedupeKey makes a repeated relay a no-op.
    await tx.task.createMany({
      data: events.map((e) => ({
        appId: endpoint.appId,
        kind: WEBHOOK_DELIVERY_TASK,
        dedupeKey: taskKey(e.id),
        payload: { endpointId: endpoint.id, eventId: e.id.toString() },
        maxAttempts: WEBHOOK_MAX_ATTEMPTS,
      })),
      skipDuplicates: true,
    });
    await tx.webhookDelivery.createMany({
      data: events.map((e) => ({ appId: endpoint.appId, endpointId: endpoint.id, eventId: e.id, taskKey: taskKey(e.id) })),
      skipDuplicates: true,
    });
    const last = events.at(-1);
    // A short page read everything settled: move to the settled edge, past non-matching types too.
    const next = events.length < limit ? { txid: below, id: 0n } : { txid: last!.txid, id: last!.id };
    await tx.$executeRaw`
      UPDATE "WebhookEndpoint" SET "relayTxid" = ${next.txid}, "relayEventId" = ${next.id}
       WHERE "id" = ${endpoint.id}::uuid`;
    return events.length;
  }

  // ---- delivery: the task worker's handler -------------------------------------

  /** The task kind for app.ts's worker; `baseDelayMs` is shortened by tests only. */
  taskKind(baseDelayMs: number = WEBHOOK_RETRY_BASE_MS): TaskKindOptions {
    return { baseDelayMs, capDelayMs: WEBHOOK_RETRY_CAP_MS, handler: (task) => this.#deliver(task) };
  }

  async #deliver(task: ClaimedTask): Promise<void> {
    const delivery = await this.#prisma.webhookDelivery.findUnique({
      where: { taskKey: task.dedupeKey },
      include: { endpoint: true, event: { include: { order: true } } },
    });
    if (!delivery) return; // its endpoint was deleted
    const { endpoint, event } = delivery;
    if (!endpoint.enabled) throw new WebhookEndpointDisabledError();
    const body = JSON.stringify(webhookBody(event));
    const id = event.id.toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhook(this.#box.open(endpoint.sealedSecret), id, timestamp, body);
    let response: OutboundResponse;
    try {
      response = await this.#outbound.fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ZeroDrop-Webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      // Only the status is kept: the receiver's body is never read into anything a tenant sees.
      await response.body?.cancel().catch(() => {});
    } catch (err) {
      // The tenant sees a fixed reason, never the network error's text: it would tell
      // whoever chose the URL what answers at addresses they cannot reach themselves.
      const reason = deliveryFailureReason(err);
      this.#logger.debug({ err, endpointId: endpoint.id }, 'webhook delivery attempt failed');
      throw new WebhookDeliveryError(`No answer from the receiver: ${reason}`);
    }
    const ok = response.status >= 200 && response.status < 300;
    await this.#prisma.webhookDelivery.update({
      where: { id: delivery.id },
      data: { lastResponseStatus: response.status, ...(ok ? { deliveredAt: new Date() } : {}) },
    });
    if (!ok) {
      const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
      throw new WebhookDeliveryError(`The receiver answered HTTP ${response.status}${redirect}`);
    }
    // It failed before and works now: the receiver is back, so send what waits for it now.
    if (task.attempts > 1) await this.#expedite(endpoint.id);
  }

  /** Moves the endpoint's waiting retries to now (the transaction wakes the worker). */
  async #expedite(endpointId: string): Promise<void> {
    await this.#fulfilment.transaction(
      (tx) => tx.$executeRaw`
        UPDATE "Task" t SET "runAt" = now()
          FROM "WebhookDelivery" d
         WHERE d."endpointId" = ${endpointId}::uuid AND d."taskKey" = t."dedupeKey" AND d."deliveredAt" IS NULL
           AND t."status" = 'PENDING' AND t."runAt" > now() AND (t."leaseUntil" IS NULL OR t."leaseUntil" < now())`,
    );
  }
}

/** A fixed, tenant-safe reason for an attempt that got no HTTP answer. */
function deliveryFailureReason(err: unknown): string {
  if (err instanceof OutboundTargetError || isOutboundRefusal(err)) return 'the URL points to an address that is not allowed';
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timed out after ${WEBHOOK_TIMEOUT_MS} ms`;
  }
  return 'connection failed';
}

function newSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

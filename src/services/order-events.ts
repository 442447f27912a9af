// Order event feeds for subscriptions: replay from a cursor, then live, with no gap and
// no duplicate at the seam.
//
// Why (txid, id) and not the id alone: ids come from a sequence, so a transaction can
// take id 10, another take id 11 and commit first. A reader that saw 11 and moved its
// cursor past it would never see 10. Every event row records its transaction id, and
// feeds read only events of transactions older than the oldest one of this database
// still running (settledBelow): those are all finished, so nothing can later appear
// before the position a reader has reached. The stream is ordered by (txid, id); a
// client's cursor stays the plain event id, which the server maps back to its position.
// The price: while a transaction runs, events of later transactions wait for it (every
// transaction here is bounded by the core's 15 s timeout; they take milliseconds).
//
// Pub/sub messages (in-process, or Redis across instances) only say "this app has new
// events": each instance keeps one live feed per app with subscribers, which reads the
// database once per wake-up and fans the events out from a short in-memory buffer.
// A subscriber behind that buffer (replaying from an old cursor, or slow) reads pages
// from the database until it reaches the buffer. The order is re-read with each read.
import { Repeater } from 'graphql-yoga';
import type { PrismaClient, TransactionClient } from '../platform/db.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Order, OrderEvent } from '../generated/prisma/client.js';
import type { Logger } from '../platform/logger.js';
import type { OrderEventMessage, PubSub } from '../platform/pubsub.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';

/** A place in an app's event stream: after the event (txid, id). */
export interface FeedPosition {
  txid: bigint;
  id: bigint;
}

export type FeedEvent = OrderEvent & { order: Order | null };

export interface FeedFilter {
  /** Only these event types (all when empty or absent). */
  types?: readonly string[] | null | undefined;
  /** Only this player's events. */
  playerId?: string | null | undefined;
}

export interface StreamOptions extends FeedFilter {
  /** Resume after this event id ("0": from the beginning); absent: from now. */
  after?: string | null | undefined;
}

/** Tuning; the defaults suit production, tests shorten nothing. */
export interface FeedOptions {
  /** Events kept in memory per app and instance for subscribers that are caught up. */
  bufferSize?: number;
  /** Events read per database page. */
  pageSize?: number;
  /** Safety net for lost wake-ups (a Redis hiccup, a publisher that died after commit). */
  pollMs?: number;
}

const START: FeedPosition = { txid: 0n, id: 0n };

export function comparePositions(a: FeedPosition, b: FeedPosition): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

const positionOf = (event: OrderEvent): FeedPosition => ({ txid: event.txid, id: event.id });
const later = (a: FeedPosition, b: FeedPosition) => (comparePositions(a, b) >= 0 ? a : b);

/** Events strictly after `position`, as a Prisma filter on (txid, id). */
export function afterPosition(position: FeedPosition): Prisma.OrderEventWhereInput {
  return { OR: [{ txid: { gt: position.txid } }, { txid: position.txid, id: { gt: position.id } }] };
}

/**
 * A transaction id below which every transaction of this database has finished, so the
 * events of those transactions are all committed (or gone) and a later statement sees
 * them all. It is the oldest transaction of this database still running, or the next
 * transaction id when none is: transactions in other databases of the cluster are
 * ignored, so a long one elsewhere (a migration, a dump that writes) holds nothing back.
 * Transactions are matched to databases through pg_stat_activity, whose backend_xid any
 * role may read. (Two-phase prepared transactions are not listed there; ZeroDrop uses none.)
 */
export async function settledBelow(prisma: PrismaClient | TransactionClient): Promise<bigint> {
  const rows = await prisma.$queryRaw<{ below: string }[]>`
    SELECT (COALESCE(
              (SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x
                WHERE x::xid IN (SELECT a.backend_xid FROM pg_stat_activity a
                                  WHERE a.datid = d.oid AND a.backend_xid IS NOT NULL)),
              pg_snapshot_xmax(s.snap)))::text AS below
      FROM (SELECT pg_current_snapshot() AS snap) AS s,
           (SELECT oid FROM pg_database WHERE datname = current_database()) AS d`;
  return BigInt(rows[0]!.below);
}

function matches(event: OrderEvent, filter: FeedFilter): boolean {
  if (filter.playerId && event.playerId !== filter.playerId) return false;
  return !filter.types?.length || filter.types.includes(event.type);
}

/** Parses a client cursor: a non-negative integer event id. */
function parseCursor(after: string): bigint {
  if (!/^\d{1,19}$/.test(after)) {
    throw new ValidationError('after must be an event id (the id of an event you received), or "0" for the beginning', [
      { path: 'after', message: 'not an event id' },
    ]);
  }
  return BigInt(after);
}

export class OrderEventFeeds {
  readonly #prisma: PrismaClient;
  readonly #pubsub: PubSub;
  readonly #logger: Logger;
  readonly #options: Required<FeedOptions>;
  readonly #feeds = new Map<string, AppFeed>();
  readonly #streams = new Set<() => void>();

  constructor(deps: { prisma: PrismaClient; pubsub: PubSub; logger: Logger; options?: FeedOptions }) {
    this.#prisma = deps.prisma;
    this.#pubsub = deps.pubsub;
    this.#logger = deps.logger;
    this.#options = { bufferSize: 256, pageSize: 200, pollMs: 5_000, ...deps.options };
  }

  /** Where a stream starts: after the event `after` of this app, or now. */
  async startPosition(appId: string, after: string | null | undefined): Promise<FeedPosition> {
    if (after === null || after === undefined) return { txid: await settledBelow(this.#prisma), id: 0n };
    const id = parseCursor(after);
    if (id === 0n) return START;
    const event = await this.#prisma.orderEvent.findFirst({ where: { id, appId }, select: { id: true, txid: true } });
    if (!event) throw new NotFoundError(`Order event ${after}`);
    return positionOf(event as OrderEvent);
  }

  /** The id of the app's newest settled event, or "0": subscribe with it as `after` to miss nothing from here. */
  async latestEventId(appId: string): Promise<string> {
    const below = await settledBelow(this.#prisma);
    const last = await this.#prisma.orderEvent.findFirst({
      where: { appId, txid: { lt: below } },
      orderBy: [{ txid: 'desc' }, { id: 'desc' }],
      select: { id: true },
    });
    return (last?.id ?? 0n).toString();
  }

  /**
   * Settled events after `position`, oldest first, each with its order as it is now.
   * `frontier` is how far the read reached: a short page means nothing settled remains
   * before it (matching the filter or not).
   */
  async page(appId: string, position: FeedPosition, filter: FeedFilter, limit: number): Promise<{ events: FeedEvent[]; frontier: FeedPosition }> {
    const below = await settledBelow(this.#prisma);
    const events = await this.#prisma.orderEvent.findMany({
      where: {
        appId,
        txid: { lt: below },
        ...afterPosition(position),
        ...(filter.types?.length ? { type: { in: [...filter.types] } } : {}),
        ...(filter.playerId ? { playerId: filter.playerId } : {}),
      },
      include: { order: true },
      orderBy: [{ txid: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    const last = events.at(-1);
    const reached = last ? positionOf(last) : position;
    return { events, frontier: events.length < limit ? later(reached, { txid: below, id: 0n }) : reached };
  }

  /**
   * The app's events after `start`, then live, until the consumer stops. Call
   * startPosition first so a bad cursor fails the subscribe call itself.
   */
  stream(appId: string, start: FeedPosition, filter: FeedFilter): AsyncIterable<FeedEvent> {
    return new Repeater<FeedEvent>(async (push, stop) => {
      const feed = this.#acquire(appId);
      let stopped = false;
      /** Ends a wait for the feed early when the consumer stops. */
      let interruptWait: (() => void) | undefined;
      const end = () => stop();
      this.#streams.add(end);
      void stop.then(() => {
        stopped = true;
        interruptWait?.();
      });
      try {
        await feed.ready;
        let position = start;
        while (!stopped) {
          if (comparePositions(position, feed.floor) >= 0) {
            const next = feed.after(position);
            if (next.length === 0) {
              await new Promise<void>((resolve) => {
                interruptWait = resolve;
                feed.onChange(resolve);
              });
              interruptWait = undefined;
              continue;
            }
            for (const event of next) {
              if (stopped) break;
              position = positionOf(event);
              if (matches(event, filter)) await push(event);
            }
          } else {
            const { events, frontier } = await this.page(appId, position, filter, this.#options.pageSize);
            for (const event of events) {
              if (stopped) break;
              await push(event);
            }
            if (!stopped) position = frontier;
          }
        }
      } catch (err) {
        if (!stopped) throw err;
      } finally {
        this.#streams.delete(end);
        this.#release(feed);
      }
    });
  }

  /**
   * The event's order for a GraphQL selection. The order was read with the event, after
   * it committed, once for every subscriber of this instance; only a selection with
   * relations (product, entitlements) reads it again, with them.
   */
  orderFor(query: { include?: object; select?: object }, event: FeedEvent): Order | Promise<Order | null> | null {
    if (!event.order) return null;
    const needsRelations =
      Object.keys(query.include ?? {}).length > 0 || Object.values(query.select ?? {}).some((value) => typeof value === 'object');
    return needsRelations ? this.#prisma.order.findUnique({ ...query, where: { id: event.order.id } }) : event.order;
  }

  /** The player's entitlements an event's order granted or changed: its own grant and the shared one for its product. */
  entitlementsTouched(query: Record<string, unknown>, event: FeedEvent) {
    const order = event.order;
    if (!order) return Promise.resolve([]);
    return this.#prisma.entitlement.findMany({
      ...query,
      where: {
        appId: order.appId,
        playerId: order.playerId,
        OR: [{ orderId: order.id }, ...(order.productId ? [{ productId: order.productId, kind: { not: 'CONSUMABLE' as const } }] : [])],
      },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** Ends every open stream (shutdown: lets SSE responses and sockets finish). */
  closeAll(): void {
    for (const end of [...this.#streams]) end();
  }

  #acquire(appId: string): AppFeed {
    let feed = this.#feeds.get(appId);
    if (!feed) {
      feed = new AppFeed(appId, {
        pubsub: this.#pubsub,
        logger: this.#logger,
        options: this.#options,
        settledBelow: () => settledBelow(this.#prisma),
        page: (position) => this.page(appId, position, {}, this.#options.pageSize),
      });
      this.#feeds.set(appId, feed);
    }
    feed.subscribers++;
    return feed;
  }

  #release(feed: AppFeed): void {
    feed.subscribers--;
    if (feed.subscribers === 0) {
      this.#feeds.delete(feed.appId);
      feed.close();
    }
  }
}

interface AppFeedDeps {
  pubsub: PubSub;
  logger: Logger;
  options: Required<FeedOptions>;
  settledBelow(): Promise<bigint>;
  page(position: FeedPosition): Promise<{ events: FeedEvent[]; frontier: FeedPosition }>;
}

/** One app's live events on this instance, read once per wake-up for all its subscribers. */
class AppFeed {
  subscribers = 0;
  /** Events at or before the floor are not (or no longer) in the buffer. */
  floor: FeedPosition = START;
  readonly ready: Promise<void>;
  readonly #buffer: FeedEvent[] = [];
  #frontier: FeedPosition = START;
  readonly #deps: AppFeedDeps;
  readonly #notifications: AsyncIterator<OrderEventMessage>;
  /** Announced event ids not read yet: their transaction committed, an older one still runs. */
  readonly #announced = new Map<string, number>();
  #waiters: Array<() => void> = [];
  #started = false;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = 0;
  #closed = false;
  readonly #openedAt = Date.now();

  constructor(
    readonly appId: string,
    deps: AppFeedDeps,
  ) {
    this.#deps = deps;
    // Subscribe before reading the start position, so no wake-up falls between the two.
    this.#notifications = deps.pubsub.subscribe('orderEvents:app', appId)[Symbol.asyncIterator]();
    void this.#listen();
    this.ready = deps.settledBelow().then((below) => {
      this.floor = { txid: below, id: 0n };
      this.#frontier = this.floor;
      this.#started = true;
      this.#read();
    });
    // Subscribers await `ready` and see its failure; this only keeps it from being "unhandled".
    this.ready.catch(() => {});
  }

  /** Buffered events after `position` (which is at or after the floor). */
  after(position: FeedPosition): FeedEvent[] {
    let low = 0;
    let high = this.#buffer.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (comparePositions(positionOf(this.#buffer[mid]!), position) <= 0) low = mid + 1;
      else high = mid;
    }
    return this.#buffer.slice(low);
  }

  /** Calls `wake` once, at the next buffer change or when the feed closes. */
  onChange(wake: () => void): void {
    if (this.#closed) wake();
    else this.#waiters.push(wake);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    void this.#notifications.return?.().catch(() => {});
    this.#wakeWaiters();
  }

  async #listen(): Promise<void> {
    try {
      for (;;) {
        const next = await this.#notifications.next();
        if (next.done || this.#closed) return;
        this.#announced.set(next.value.eventId, Date.now());
        this.#read();
      }
    } catch (err) {
      this.#deps.logger.warn({ err, appId: this.appId }, 'order event notifications ended; polling continues');
    }
  }

  /** Reads what settled since the last read; coalesces wake-ups that arrive meanwhile. */
  #read(): void {
    if (this.#closed || !this.#started) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        try {
          await this.#readSettled();
        } catch (err) {
          this.#deps.logger.warn({ err, appId: this.appId }, 'reading order events failed; retrying');
        }
      } while (this.#readAgain && !this.#closed);
    })().finally(() => {
      this.#reading = undefined;
      this.#scheduleNext();
    });
  }

  async #readSettled(): Promise<void> {
    for (;;) {
      const { events, frontier } = await this.#deps.page(this.#frontier);
      this.#frontier = frontier;
      if (events.length > 0) {
        for (const event of events) this.#announced.delete(event.id.toString());
        this.#buffer.push(...events);
        const excess = this.#buffer.length - this.#deps.options.bufferSize;
        if (excess > 0) this.floor = positionOf(this.#buffer.splice(0, excess).at(-1)!);
        this.#wakeWaiters();
      }
      if (events.length < this.#deps.options.pageSize) return;
    }
  }

  /**
   * Announced events not read yet are held back by an older running transaction: read
   * again soon, backing off. The first seconds poll fast too, since a Redis subscription
   * is confirmed asynchronously and an announcement may slip past it. Otherwise poll slowly.
   */
  #scheduleNext(): void {
    if (this.#closed) return;
    const now = Date.now();
    for (const [id, at] of this.#announced) if (now - at > 60_000) this.#announced.delete(id);
    let delay = this.#deps.options.pollMs;
    if (this.#announced.size > 0) {
      this.#retryMs = Math.min(Math.max(this.#retryMs * 2, 10), 1_000);
      delay = this.#retryMs;
    } else {
      this.#retryMs = 0;
      if (now - this.#openedAt < 2_000) delay = 100;
    }
    this.#schedule(delay);
  }

  #schedule(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#read(), delay);
    this.#timer.unref();
  }

  #wakeWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

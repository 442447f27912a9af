// Order events: the audit log, the subscription feed and the webhook outbox in one
// append-only table, always written in the same transaction as the change.
import type { TransactionClient } from '../platform/db.js';
import type { Prisma } from '../generated/prisma/client.js';

export const OrderEventType = {
  /** Verified and granted. */
  ORDER_DELIVERED: 'ORDER_DELIVERED',
  /** Verified and paid, but the app has no such product yet. */
  ORDER_AWAITING_PRODUCT: 'ORDER_AWAITING_PRODUCT',
  /** The store-side finish step completed (server acknowledgement or client report). */
  ORDER_FINISHED: 'ORDER_FINISHED',
  /** Refunded or revoked by the store; entitlements withdrawn. */
  ORDER_REVOKED: 'ORDER_REVOKED',
  /** A store acknowledgement attempt failed; it will be retried. */
  ORDER_ACK_FAILED: 'ORDER_ACK_FAILED',
  /** A subscription's or time-limited access's expiry moved (renewal, extension, expiry). */
  ORDER_RENEWED: 'ORDER_RENEWED',
  /** The store stopped a subscription's renewal; access stays until expiresAt. */
  ORDER_RENEWAL_CANCELLED: 'ORDER_RENEWAL_CANCELLED',
  /** A store notification reported a payment that names no known order or player (kept for follow-up). */
  NOTIFICATION_UNMATCHED: 'NOTIFICATION_UNMATCHED',
  /** A store notification was recorded and changed nothing: unknown type, refund request, contradicted by the store's status query, … */
  NOTIFICATION_RECORDED: 'NOTIFICATION_RECORDED',
  /** A reconciliation sweep re-read recent orders from the store; `data` has what it checked and found. */
  RECONCILIATION_RUN: 'RECONCILIATION_RUN',
} as const;
export type OrderEventType = (typeof OrderEventType)[keyof typeof OrderEventType];

export interface AppendedEvent {
  id: bigint;
  appId: string;
  orderId: string | null;
  playerId: string | null;
  type: OrderEventType;
}

/** Collects what a transaction appended, so it is published only after commit. */
export class EventBuffer {
  readonly events: AppendedEvent[] = [];

  async append(
    tx: TransactionClient,
    event: { appId: string; orderId: string | null; playerId: string | null; type: OrderEventType; data?: Prisma.InputJsonValue },
  ): Promise<AppendedEvent> {
    // Raw SQL: every delivery appends an event, and Prisma's create costs several times
    // the statement itself. txid comes from the column default (the writing transaction).
    const [row] = await tx.$queryRaw<{ id: bigint }[]>`
      INSERT INTO "OrderEvent" ("appId", "orderId", "playerId", "type", "data", "createdAt")
      VALUES (${event.appId}::uuid, ${event.orderId}::uuid, ${event.playerId}, ${event.type},
              ${JSON.stringify(event.data ?? {})}::jsonb, ${new Date()}::timestamp)
      RETURNING "id"`;
    const appended = { id: row!.id, appId: event.appId, orderId: event.orderId, playerId: event.playerId, type: event.type };
    this.events.push(appended);
    return appended;
  }
}

/** Where committed events go (pub/sub); injected so fulfilment stays transport-free. */
export type PublishEvents = (events: readonly AppendedEvent[]) => void;

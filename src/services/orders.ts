// Order operations common to every store.
import type { PrismaClient } from '../platform/db.js';
import type { Entitlement, Order } from '../generated/prisma/client.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import { rowId } from './validation.js';

export class OrdersService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly fulfilment: Fulfilment,
  ) {}

  get(query: Record<string, unknown>, appId: string, id: string, playerId: string | null) {
    return this.prisma.order.findFirst({ ...query, where: { id: rowId(id), appId, ...(playerId !== null ? { playerId } : {}) } });
  }

  /**
   * The order a purchase call just recorded or found, for its answer: in hand with its
   * entitlements when the call read or wrote them (plugin-prisma loads only what else the
   * selection asks for), read with the selection otherwise.
   */
  async recorded(query: Record<string, unknown>, result: { order: Order; entitlements?: Entitlement[] | undefined }) {
    if (result.entitlements) return { ...result.order, entitlements: result.entitlements };
    return (await this.get(query, result.order.appId, result.order.id, null))!;
  }

  /** The client finished the purchase at the store: DELIVERED → FINISHED. Idempotent. */
  async confirmClientFinish(appId: string, orderId: string, playerId: string | null): Promise<Order> {
    const order = await this.prisma.order.findFirst({ where: { id: rowId(orderId), appId, ...(playerId !== null ? { playerId } : {}) } });
    if (!order) throw new NotFoundError('Order');
    if (order.status === 'AWAITING_PRODUCT' || order.status === 'REVOKED') {
      throw new ValidationError(`An order in status ${order.status} cannot be finished`, [
        { path: 'orderId', message: `order is ${order.status}` },
      ]);
    }
    if (order.status === 'FINISHED') return order;
    return this.fulfilment.markFinished(order.id, 'CLIENT');
  }
}

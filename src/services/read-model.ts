// Tenant-scoped reads for the GraphQL layer. Every query here filters by appId (and by
// player for client callers); `query` is plugin-prisma's selection, passed through so
// nested fields are loaded in the same statements.
import type { PrismaClient } from '../platform/db.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { OrderStatus, Store } from '../generated/prisma/enums.js';

type Query<T> = T & Record<string, unknown>;

export interface OrderFilter {
  playerId?: string | null | undefined;
  status?: OrderStatus | null | undefined;
  store?: Store | null | undefined;
  storeOrderId?: string | null | undefined;
}

export class ReadModel {
  constructor(private readonly prisma: PrismaClient) {}

  app(query: Query<object>, appId: string) {
    return this.prisma.app.findUnique({ ...query, where: { id: appId } });
  }

  apiKey(query: Query<object>, appId: string, id: string) {
    return this.prisma.apiKey.findFirst({ ...query, where: { id, appId } });
  }

  apiKeys(query: Query<object>, appId: string) {
    return this.prisma.apiKey.findMany({ ...query, where: { appId }, orderBy: { createdAt: 'asc' } });
  }

  products(query: Query<object>, appId: string, store?: Store | null) {
    return this.prisma.product.findMany({ ...query, where: { appId, ...(store ? { store } : {}) }, orderBy: { id: 'asc' } });
  }

  async orders(query: Query<object>, appId: string, filter: OrderFilter) {
    const where: Prisma.OrderWhereInput = {
      appId,
      ...(filter.playerId ? { playerId: filter.playerId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.store ? { store: filter.store } : {}),
    };
    if (filter.storeOrderId) {
      // Store order ids are unique per store account: naming the app's accounts lets the
      // lookup use that unique index instead of scanning the app's orders.
      const accounts = await this.prisma.storeAccount.findMany({ where: { appId }, select: { id: true } });
      where.storeOrderId = filter.storeOrderId;
      where.storeAccountId = { in: accounts.map((a) => a.id) };
    }
    // `query` selects only the columns the GraphQL selection needs (Order is in select
    // mode): never verifiedPayload, the kilobyte-or-more store payload no field shows.
    return this.prisma.order.findMany({ ...query, where, orderBy: { seq: 'desc' } });
  }

  entitlements(query: Query<object>, appId: string, playerId: string, includeInactive: boolean, now = new Date()) {
    const active: Prisma.EntitlementWhereInput = includeInactive
      ? {}
      : { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
    return this.prisma.entitlement.findMany({ ...query, where: { appId, playerId, ...active }, orderBy: { createdAt: 'asc' } });
  }
}

import { callerPlayerId, scopedAppId, type Context } from '../context.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { rowId } from '../services/validation.js';
import type { Builder } from './builder.js';
import type { StoreAccountRefs } from './store-account.js';
import type { ProductRefs } from './product.js';

export type OrderRefs = ReturnType<typeof registerOrders>;

export function registerOrders(builder: Builder, { StoreEnum, StoreEnvironmentEnum, ProductTypeEnum }: StoreAccountRefs & ProductRefs) {
  const OrderStatusEnum = builder.enumType('OrderStatus', {
    values: {
      AWAITING_PRODUCT: { description: 'Paid and verified; delivered as soon as the product is created.' },
      DELIVERED: { description: 'Granted; the store-side finish step is pending.' },
      FINISHED: { description: 'Granted and finished at the store.' },
      REVOKED: { description: 'Refunded/revoked by the store; nothing stays granted.' },
    } as const,
  });

  const FinishModeEnum = builder.enumType('FinishMode', {
    values: {
      SERVER: { description: 'ZeroDrop finishes at the store (confirm/consume/acknowledge), retried until done.' },
      CLIENT: { description: 'The client must finish with finishParams, then call confirmClientFinish.' },
      NONE: { description: 'The store needs no finish step.' },
    } as const,
  });

  const Money = builder.objectRef<{ amountMinor: bigint; currency: string }>('Money').implement({
    description: 'An amount in minor units (cents, fen) of a currency.',
    fields: (t) => ({
      amountMinor: t.field({ type: 'BigInt', resolve: (m) => m.amountMinor }),
      currency: t.exposeString('currency'),
    }),
  });

  /** Client keys see only their own player's orders. */
  const ownOrderFilter = (ctx: Context) => {
    const player = callerPlayerId(ctx);
    return player === null ? {} : { playerId: player };
  };

  const OrderNode = builder.prismaNode('Order', {
    id: { field: 'id' },
    // Select mode: lists read only the columns the query asks for, not whole rows.
    select: { id: true },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => ({ id: rowId(id), appId: scopedAppId(ctx), ...ownOrderFilter(ctx) }),
    authScopes: { serverKey: true, player: true },
    fields: (t) => ({
      store: t.expose('store', { type: StoreEnum }),
      environment: t.expose('environment', { type: StoreEnvironmentEnum }),
      storeOrderId: t.exposeString('storeOrderId'),
      storeProductId: t.exposeString('storeProductId'),
      playerId: t.exposeString('playerId'),
      status: t.expose('status', { type: OrderStatusEnum }),
      finishMode: t.expose('finishMode', { type: FinishModeEnum }),
      productType: t.expose('productType', { type: ProductTypeEnum, nullable: true }),
      quantity: t.exposeInt('quantity'),
      price: t.field({
        type: Money,
        nullable: true,
        select: { amountMinor: true, currency: true },
        resolve: (o) => (o.amountMinor !== null && o.currency ? { amountMinor: o.amountMinor, currency: o.currency } : null),
      }),
      purchasedAt: t.expose('purchasedAt', { type: 'DateTime' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
      deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
      finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
      revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
      revocationReason: t.exposeString('revocationReason', { nullable: true }),
      finishParams: t.expose('finishParams', {
        type: 'JSON',
        nullable: true,
        description: 'What the client passes to the store SDK to finish (Huawei: productType, purchaseToken, purchaseOrderId).',
      }),
      product: t.relation('product', { nullable: true }),
      entitlements: t.relation('entitlements'),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  const OrderFilter = builder.inputType('OrderFilter', {
    fields: (t) => ({
      playerId: t.string(),
      status: t.field({ type: OrderStatusEnum }),
      store: t.field({ type: StoreEnum }),
      storeOrderId: t.string({ description: 'The store’s order id (Huawei purchaseOrderId, now.gg orderId, Huya orderId): exact match.' }),
    }),
  });

  builder.queryField('orders', (t) =>
    t.prismaConnection({
      type: 'Order',
      cursor: 'seq',
      description: 'Newest first. Client keys see only their player’s orders.',
      authScopes: { serverKey: true, player: true },
      args: { filter: t.arg({ type: OrderFilter }) },
      resolve: (query, _root, args, ctx) =>
        ctx.services.read.orders(query, scopedAppId(ctx), { ...(args.filter ?? {}), ...ownOrderFilter(ctx) }),
    }),
  );

  const ConfirmClientFinishInput = builder.inputType('ConfirmClientFinishInput', {
    fields: (t) => ({
      orderId: t.globalID({ required: true, for: [OrderNode] }),
    }),
  });

  const ConfirmClientFinishPayload = builder.objectRef<{ orderId: string }>('ConfirmClientFinishPayload').implement({
    fields: (t) => ({
      order: t.prismaField({
        type: 'Order',
        resolve: async (query, p, _a, ctx) => (await ctx.services.orders.get(query, scopedAppId(ctx), p.orderId, callerPlayerId(ctx)))!,
      }),
    }),
  });

  builder.mutationField('confirmClientFinish', (t) =>
    t.field({
      type: ConfirmClientFinishPayload,
      description:
        'The client reports that it finished the purchase with the store SDK (Huawei iap.finishPurchase, now.gg client consume). Idempotent.',
      authScopes: { serverKey: true, player: true },
      errors: { types: [NotFoundError, ValidationError], union: { name: 'ConfirmClientFinishResult' } },
      args: { input: t.arg({ type: ConfirmClientFinishInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const order = await ctx.services.orders.confirmClientFinish(scopedAppId(ctx), input.orderId.id, callerPlayerId(ctx));
        return { orderId: order.id };
      },
    }),
  );

  return { OrderStatusEnum, FinishModeEnum, OrderNode };
}

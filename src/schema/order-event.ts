// Order events: the live feed (orderEvents), the per-player entitlement feed
// (entitlementChanged) and the cursor to start either from. Both subscriptions replay
// what committed after `after`, then continue live; see services/order-events.ts.
import { resolvePlayerId, scopedAppId } from '../context.js';
import { OrderEventType } from '../fulfilment/events.js';
import type { FeedEvent } from '../services/order-events.js';
import type { Builder } from './builder.js';

export type OrderEventRefs = ReturnType<typeof registerOrderEvents>;

export function registerOrderEvents(builder: Builder) {
  const descriptions: Partial<Record<string, string>> = {
    ORDER_DELIVERED: 'Verified and granted.',
    ORDER_AWAITING_PRODUCT: 'Verified and paid, but the app has no such product yet; delivered when it is created.',
    ORDER_FINISHED: 'The store-side finish step completed (server acknowledgement or client report).',
    ORDER_REVOKED: 'Refunded or revoked by the store; entitlements withdrawn.',
    ORDER_ACK_FAILED: 'A store acknowledgement attempt failed; it is retried. `data` has the attempt and the error.',
    ORDER_RENEWED: "A subscription's or time-limited access's expiry moved (renewal, extension, expiry).",
    NOTIFICATION_RECORDED:
      'A store notification was recorded and changed nothing (unknown type, refund request, contradicted by the status query); `data` says which and why.',
    RECONCILIATION_RUN: 'A reconciliation sweep re-read recent orders and subscriptions from the store; `data` has the counts and findings.',
  };

  /** Every type the fulfilment core writes (new core types appear here without a change). */
  const OrderEventTypeEnum = builder.enumType('OrderEventType', {
    values: Object.fromEntries(
      Object.values(OrderEventType).map((type) => [type, descriptions[type] ? { description: descriptions[type] } : {}]),
    ),
  });

  /** The event types that change what a player owns. */
  const ENTITLEMENT_EVENT_TYPES: readonly string[] = [OrderEventType.ORDER_DELIVERED, OrderEventType.ORDER_REVOKED, OrderEventType.ORDER_RENEWED];

  const OrderEventRef = builder.objectRef<FeedEvent>('OrderEvent').implement({
    description: 'A committed change to an order. Events of a stream arrive in commit-safe order; resume with the last `id` you received.',
    fields: (t) => ({
      id: t.id({ description: 'The event id, unique and stable: the cursor to resume after, and the key to deduplicate on.', resolve: (e) => e.id.toString() }),
      type: t.field({ type: OrderEventTypeEnum, resolve: (e) => e.type }),
      playerId: t.exposeString('playerId', { nullable: true }),
      data: t.field({ type: 'JSON', description: 'Details of this type of event (e.g. ORDER_ACK_FAILED: attempt and error).', resolve: (e) => e.data }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      order: t.prismaField({
        type: 'Order',
        nullable: true,
        description: 'The order as it is when the event is delivered (read after the event committed), not as it was then.',
        resolve: (query, e, _args, ctx) => ctx.services.orderEvents.orderFor(query, e),
      }),
    }),
  });

  const EntitlementChangeRef = builder.objectRef<FeedEvent>('EntitlementChange').implement({
    description: "A change to what one player owns: a delivery, a revocation or a new expiry.",
    fields: (t) => ({
      id: t.id({ description: 'The event id: resume after it with `after`.', resolve: (e) => e.id.toString() }),
      type: t.field({ type: OrderEventTypeEnum, resolve: (e) => e.type }),
      playerId: t.string({ resolve: (e) => e.playerId ?? '' }),
      order: t.prismaField({
        type: 'Order',
        nullable: true,
        description: 'The order as it is now.',
        resolve: (query, e, _args, ctx) => ctx.services.orderEvents.orderFor(query, e),
      }),
      entitlements: t.prismaField({
        type: ['Entitlement'],
        description: "The player's entitlements this order granted or changed, as they are now (revoked and expired ones included).",
        resolve: (query, e, _args, ctx) => ctx.services.orderEvents.entitlementsTouched(query, e),
      }),
    }),
  });

  const OrderEventFilter = builder.inputType('OrderEventFilter', {
    fields: (t) => ({
      types: t.field({ type: [OrderEventTypeEnum], description: 'Only these types (all when omitted or empty).' }),
      playerId: t.string({ description: "Only this player's events." }),
    }),
  });

  const afterArgDescription =
    'Replay every event committed after this event id, then continue live. "0" replays from the beginning; ' +
    'omitted: only what commits from now on.';

  builder.subscriptionField('orderEvents', (t) =>
    t.field({
      type: OrderEventRef,
      description:
        "The app's order events (server keys). With `after`, events committed since that event are replayed first, " +
        'then the stream continues live with no gap and no duplicate. Each event carries the order as it is when delivered.',
      authScopes: { serverKey: true },
      args: {
        after: t.arg.id({ description: afterArgDescription }),
        filter: t.arg({ type: OrderEventFilter }),
      },
      subscribe: async (_root, args, ctx) => {
        const appId = scopedAppId(ctx);
        const start = await ctx.services.orderEvents.startPosition(appId, args.after);
        return ctx.services.orderEvents.stream(appId, start, { types: args.filter?.types, playerId: args.filter?.playerId });
      },
      resolve: (event) => event,
    }),
  );

  builder.subscriptionField('entitlementChanged', (t) =>
    t.field({
      type: EntitlementChangeRef,
      description:
        "Changes to one player's entitlements (deliveries, revocations, new expiries), for game servers (server key, " +
        'name the player) and clients (client key with a player token: their own player only). `after` replays as in orderEvents.',
      authScopes: { serverKey: true, player: true },
      args: {
        playerId: t.arg.string({ description: 'Required with a server key; a client may omit it (it comes from the player token).' }),
        after: t.arg.id({ description: afterArgDescription }),
      },
      subscribe: async (_root, args, ctx) => {
        const appId = scopedAppId(ctx);
        const playerId = resolvePlayerId(ctx, args.playerId);
        const start = await ctx.services.orderEvents.startPosition(appId, args.after);
        return ctx.services.orderEvents.stream(appId, start, { types: ENTITLEMENT_EVENT_TYPES, playerId });
      },
      resolve: (event) => event,
    }),
  );

  builder.queryField('latestOrderEventId', (t) =>
    t.id({
      description:
        'The id of the newest committed event ("0" when there is none). Read it with your initial data, then subscribe with ' +
        'it as `after`: nothing that commits in between is missed.',
      authScopes: { serverKey: true, player: true },
      resolve: (_root, _args, ctx) => ctx.services.orderEvents.latestEventId(scopedAppId(ctx)),
    }),
  );

  return { OrderEventTypeEnum, OrderEventRef };
}

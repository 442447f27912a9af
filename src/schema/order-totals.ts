// Order totals per day, store and currency (the dashboard's summary).
import { scopedAppId } from '../context.js';
import { ValidationError } from '../platform/errors.js';
import type { OrderTotalsRow } from '../services/order-totals.js';
import type { Builder } from './builder.js';
import type { StoreAccountRefs } from './store-account.js';

export function registerOrderTotals(builder: Builder, { StoreEnum }: StoreAccountRefs) {
  const OrderTotalsRef = builder.objectRef<OrderTotalsRow>('OrderTotals').implement({
    description: "One day's orders of one store in one currency.",
    fields: (t) => ({
      day: t.exposeString('day', { description: 'The purchase day (YYYY-MM-DD) in the requested time zone.' }),
      store: t.expose('store', { type: StoreEnum }),
      currency: t.exposeString('currency', { nullable: true, description: 'Null for orders whose store states no price.' }),
      orders: t.exposeInt('orders', { description: 'All orders bought this day, whatever their status.' }),
      delivered: t.exposeInt('delivered', { description: 'Granted (DELIVERED or FINISHED).' }),
      awaitingFinish: t.exposeInt('awaitingFinish', { description: 'Granted; the store-side finish step is still pending.' }),
      awaitingProduct: t.exposeInt('awaitingProduct'),
      revoked: t.exposeInt('revoked'),
      amountMinor: t.field({
        type: 'BigInt',
        description: 'Sum of the granted orders’ prices in minor units of currency (revoked orders excluded).',
        resolve: (row) => row.amountMinor,
      }),
      refunds: t.exposeInt('refunds', { description: 'Orders revoked (refunded) on this day, whatever day they were bought.' }),
      refundedAmountMinor: t.field({
        type: 'BigInt',
        description: 'Sum of the prices of the orders revoked on this day, in minor units of currency.',
        resolve: (row) => row.refundedAmountMinor,
      }),
    }),
  });

  interface OrderTotalsReport {
    timeZone: string;
    rows: OrderTotalsRow[];
  }

  const OrderTotalsReportRef = builder.objectRef<OrderTotalsReport>('OrderTotalsReport').implement({
    fields: (t) => ({
      timeZone: t.exposeString('timeZone'),
      rows: t.field({ type: [OrderTotalsRef], description: 'Newest day first; days without orders or refunds are absent.', resolve: (r) => r.rows }),
    }),
  });

  builder.queryField('orderTotals', (t) =>
    t.field({
      type: OrderTotalsReportRef,
      description: 'Order counts, revenue and refunds per day, store and currency for the last `days` days.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'OrderTotalsResult' } },
      args: {
        days: t.arg.int({ defaultValue: 7, description: '1 to 366, today included.' }),
        timeZone: t.arg.string({ defaultValue: 'UTC', description: 'IANA time zone the days are counted in, e.g. "Asia/Shanghai".' }),
      },
      resolve: async (_root, args, ctx) => {
        const timeZone = args.timeZone ?? 'UTC';
        return { timeZone, rows: await ctx.services.orderTotals.totals(scopedAppId(ctx), args.days ?? 7, timeZone) };
      },
    }),
  );
}

// Order totals per day, store and currency: the dashboard's summary table.
import type { PrismaClient } from '../platform/db.js';
import type { Store } from '../generated/prisma/enums.js';
import { ValidationError } from '../platform/errors.js';

export interface OrderTotalsRow {
  /** Calendar day (YYYY-MM-DD) of the purchase in the requested time zone. */
  day: string;
  store: Store;
  currency: string | null;
  orders: number;
  /** Granted (DELIVERED or FINISHED). */
  delivered: number;
  /** Granted, the store-side finish step still pending. */
  awaitingFinish: number;
  awaitingProduct: number;
  revoked: number;
  /** Sum of granted orders' amounts in minor units of `currency` (revoked ones excluded). */
  amountMinor: bigint;
  /** Orders revoked (refunded) on this day, whenever they were bought. */
  refunds: number;
  /** Sum of the prices of the orders revoked on this day. */
  refundedAmountMinor: bigint;
}

export class OrderTotalsService {
  constructor(private readonly prisma: PrismaClient) {}

  /** The last `days` calendar days in `timeZone` (IANA name), newest day first. */
  async totals(appId: string, days: number, timeZone: string): Promise<OrderTotalsRow[]> {
    if (!Number.isInteger(days) || days < 1 || days > 366) {
      throw new ValidationError('days must be between 1 and 366', [{ path: 'days', message: 'between 1 and 366' }]);
    }
    if (!isTimeZone(timeZone)) {
      throw new ValidationError(`Unknown time zone "${timeZone}"; use an IANA name such as "UTC" or "Asia/Shanghai"`, [
        { path: 'timeZone', message: 'not an IANA time zone' },
      ]);
    }
    // Timestamps are UTC without zone; days are taken in the caller's zone. Purchases count
    // on their purchase day, refunds on their revocation day (what a revenue chart shows).
    const rows = await this.prisma.$queryRaw<
      {
        day: string;
        store: Store;
        currency: string | null;
        orders: number;
        delivered: number;
        awaitingFinish: number;
        awaitingProduct: number;
        revoked: number;
        amountMinor: string;
        refunds: number;
        refundedAmountMinor: string;
      }[]
    >`
      WITH local AS (
        SELECT 'purchase' AS kind, ("purchasedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${timeZone} AS at,
               "store", "currency", "status", "amountMinor"
          FROM "Order" WHERE "appId" = ${appId}::uuid
        UNION ALL
        SELECT 'refund', ("revokedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${timeZone},
               "store", "currency", "status", "amountMinor"
          FROM "Order" WHERE "appId" = ${appId}::uuid AND "status" = 'REVOKED' AND "revokedAt" IS NOT NULL)
      SELECT to_char(at, 'YYYY-MM-DD') AS day, "store"::text AS store, "currency",
             (count(*) FILTER (WHERE kind = 'purchase'))::int AS orders,
             (count(*) FILTER (WHERE kind = 'purchase' AND "status" IN ('DELIVERED', 'FINISHED')))::int AS delivered,
             (count(*) FILTER (WHERE kind = 'purchase' AND "status" = 'DELIVERED'))::int AS "awaitingFinish",
             (count(*) FILTER (WHERE kind = 'purchase' AND "status" = 'AWAITING_PRODUCT'))::int AS "awaitingProduct",
             (count(*) FILTER (WHERE kind = 'purchase' AND "status" = 'REVOKED'))::int AS revoked,
             (coalesce(sum("amountMinor") FILTER (WHERE kind = 'purchase' AND "status" IN ('DELIVERED', 'FINISHED')), 0))::text AS "amountMinor",
             (count(*) FILTER (WHERE kind = 'refund'))::int AS refunds,
             (coalesce(sum("amountMinor") FILTER (WHERE kind = 'refund'), 0))::text AS "refundedAmountMinor"
        FROM local
       WHERE at >= date_trunc('day', now() AT TIME ZONE ${timeZone}) - make_interval(days => ${days - 1})
       GROUP BY 1, 2, 3
       ORDER BY 1 DESC, 2, 3`;
    return rows.map((row) => ({ ...row, amountMinor: BigInt(row.amountMinor), refundedAmountMinor: BigInt(row.refundedAmountMinor) }));
  }
}

function isTimeZone(name: string): boolean {
  if (name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

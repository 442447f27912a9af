// Huya mini-program flows on the fulfilment core (protocol and arithmetic live in
// providers/huya; this file reads and writes the database):
// - the signed payment callback for prepaid (TIME_LIMITED) goods, each order extending
//   the streamer's access by its level's days, exactly once per orderId;
// - the SDK's checks (checkStreamerCanUseGoods / checkStreamerGoodsExpire) on our data;
// - gift-revenue (REVENUE_SHARE) goods: stat sessions, gift income, the monthly bill,
//   confirmations and payments;
// - the Huya SDK's JWT as a player token, so a mini-program acts for its streamer.
import type { TransactionClient } from '../../platform/db.js';
import type { HuyaMonthlyBill, HuyaStatSession, Order, Product } from '../../generated/prisma/client.js';
import { AppError, ConflictError, NotFoundError, PurchaseVerificationError, StoreAccountError, ValidationError } from '../../platform/errors.js';
import { failpoint } from '../../platform/failpoints.js';
import {
  accessDecision,
  accessDurationForCallback,
  arrearsBeans,
  goodsAccess,
  monthBounds,
  monthKey,
  monthlyBill,
  parseRevenueShareConfig,
  revenueShareConfigToJson,
  verifyHuyaCallback,
  verifyHuyaSdkJwt,
  type AccessReason,
  type HuyaCallbackRequest,
  type MonthlyBill,
  type RevenueShareConfig,
} from './protocol/index.js';
import type { StoreAccountConfig } from '../contract.js';
import type { StoreDeps } from '../contract.js';
import type { AccessDurationResolver } from '../../fulfilment/fulfilment.js';
import type { PlayerTokenVerifier } from '../../auth.js';
import type { StoreAccountsService } from '../../services/store-accounts.js';

/** Gift events and payments may be stamped slightly ahead of our clock, not more. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_ID_LENGTH = 200;
const MAX_GIFT_IDS = 200;

export interface HuyaCallbackResult {
  order: Order;
  /** True only for the call that granted it; false for replays and orders that wait for their product. */
  newlyDelivered: boolean;
}

/** The monthly bill of one streamer for one revenue-share goods. */
export interface HuyaBillView {
  goodsUuid: string;
  profileId: string;
  /** YYYY-MM in the billing time zone. */
  month: string;
  /** The month has ended: its fee is due. */
  closed: boolean;
  bill: MonthlyBill;
  /** The tiers and cap this month is billed on. */
  terms: RevenueShareConfig;
  paidBeans: bigint;
  /** This month's fee not yet paid. */
  dueBeans: bigint;
  /** Unpaid fees of all closed months (blocks use while above 0). */
  arrearsBeans: bigint;
  confirmedTier: number | null;
  firstUseConfirmedAt: Date | null;
}

export type HuyaAccessReason = AccessReason | 'NEVER_BOUGHT' | 'EXPIRED' | 'REVOKED';

export interface HuyaGoodsAccessView {
  goodsUuid: string;
  profileId: string;
  productType: 'TIME_LIMITED' | 'REVENUE_SHARE';
  canUse: boolean;
  reason: HuyaAccessReason;
  /** checkStreamerGoodsExpire.expire: ms since the epoch, -1 when never bought. */
  expire: number;
  hadBuy: boolean;
  expiresAt: Date | null;
  /** Revenue share: this month's bill and the level a confirmation records. */
  bill: HuyaBillView | null;
  confirmationLevel: number | null;
}

export type GiftRevenueOutcome = 'COUNTED' | 'DUPLICATE' | 'NO_OPEN_SESSION' | 'GIFT_NOT_IN_SESSION';

export interface GiftRevenueInput {
  goodsUuid: string;
  profileId: string;
  eventId: string;
  giftId: string;
  beans: bigint;
  /** When the gift was received; default now. Decides the session and the month. */
  receivedAt?: Date | null | undefined;
}

export interface BillPaymentInput {
  goodsUuid: string;
  profileId: string;
  month: string;
  paymentId: string;
  beans: bigint;
}

/** The store account in a callback URL does not exist or is not a Huya account (HTTP 404). */
export class HuyaCallbackAccountError extends StoreAccountError {
  constructor() {
    super('STORE_ACCOUNT_NOT_FOUND', 'No Huya store account with this id');
  }
}

function requireId(value: string, path: string, what: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_ID_LENGTH) {
    throw new ValidationError(`${what} must be 1..${MAX_ID_LENGTH} characters`, [{ path, message: `1..${MAX_ID_LENGTH} characters` }]);
  }
  return trimmed;
}

function requirePositiveBeans(beans: bigint, path: string): bigint {
  if (beans <= 0n) throw new ValidationError('Beans must be a positive whole number', [{ path, message: 'must be ≥ 1' }]);
  return beans;
}

/**
 * Prepaid goods: the days an order buys depend on its level and the product's levels,
 * read by the core inside its transaction (also for orders that waited for the product).
 * Gift-revenue goods are never bought by a callback, so such an order keeps waiting.
 */
export const huyaAccessDuration: AccessDurationResolver = (product, verifiedPayload) => {
  if (product.type === 'REVENUE_SHARE') return null;
  if (product.type !== 'TIME_LIMITED') return { accessDurationMs: null };
  const accessDurationMs = accessDurationForCallback(product, verifiedPayload);
  return accessDurationMs === null ? null : { accessDurationMs };
};

/** A client key + the JWT Huya's SDK gives the mini-program acts for that streamer. */
export function huyaPlayerTokenVerifier({ prisma, storeAccounts }: Pick<StoreDeps, 'prisma' | 'storeAccounts'>): PlayerTokenVerifier {
  return async (appId, token) => {
    const accounts = await prisma.storeAccount.findMany({ where: { appId, store: 'HUYA' }, select: { id: true } });
    for (const { id } of accounts) {
      try {
        const identity = await verifyHuyaSdkJwt(await storeAccounts.config(appId, id), token);
        return identity.profileId;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
    }
    return null;
  };
}

export function createHuyaService(deps: StoreDeps, storeAccounts: StoreAccountsService = deps.storeAccounts) {
  const { prisma, fulfilment, env } = deps;
  const timeZone = env.HUYA_TIME_ZONE;
  // Fail at start-up, not at the first bill, when the configured zone is unknown.
  monthKey(new Date(), timeZone);

  /** The app's Huya goods with this goodsUuid; NotFoundError otherwise. */
  async function findGoods(appId: string, goodsUuid: string): Promise<Product> {
    const product = await prisma.product.findUnique({
      where: { appId_store_storeProductId: { appId, store: 'HUYA', storeProductId: goodsUuid } },
    });
    if (!product) throw new NotFoundError(`Huya goods ${goodsUuid}`);
    return product;
  }

  async function findRevenueGoods(appId: string, goodsUuid: string): Promise<Product> {
    const product = await findGoods(appId, goodsUuid);
    if (product.type !== 'REVENUE_SHARE') {
      throw new ValidationError(`Huya goods ${goodsUuid} are ${product.type} goods, not gift-revenue (REVENUE_SHARE) goods`, [
        { path: 'goodsUuid', message: 'not REVENUE_SHARE goods' },
      ]);
    }
    return product;
  }

  function productTerms(product: Product): RevenueShareConfig {
    return parseRevenueShareConfig({ tiers: product.revenueTiers, monthlyCapBeans: product.monthlyCap });
  }

  /** The terms a month is billed on: those snapshotted with its first entry, else the product's. */
  function termsOf(bill: Pick<HuyaMonthlyBill, 'terms'> | null, product: Product): RevenueShareConfig {
    return bill?.terms ? parseRevenueShareConfig(bill.terms) : productTerms(product);
  }

  /**
   * Refuses goods that are not this account's to sell: goods bound to another store
   * account of this app, and goods that are not prepaid. Only the receiving account's own
   * app is looked at: another tenant's goods with the same goodsUuid say nothing about
   * this payment (looking there let any tenant get this app's paid callbacks refused).
   * Unknown goods pass: the core records the order as AWAITING_PRODUCT and delivers it
   * when the product is created.
   */
  async function assertGoodsOfAccount(account: StoreAccountConfig, goodsUuid: string): Promise<void> {
    const product = await prisma.product.findUnique({
      where: { appId_store_storeProductId: { appId: account.appId, store: 'HUYA', storeProductId: goodsUuid } },
      select: { type: true, storeAccountId: true },
    });
    if (!product) return;
    if (product.storeAccountId !== null && product.storeAccountId !== account.id) {
      throw new PurchaseVerificationError('WRONG_PRODUCT', `Huya goods ${goodsUuid} belong to another store account of this app`);
    }
    if (product.type !== 'TIME_LIMITED') {
      throw new PurchaseVerificationError(
        'WRONG_PRODUCT',
        `Huya goods ${goodsUuid} are ${product.type} goods; only prepaid (TIME_LIMITED) goods are paid through the callback`,
      );
    }
  }

  /** Creates the month's bill row once, snapshotting the product's terms; returns it. */
  async function ensureBillRow(tx: TransactionClient, product: Product, profileId: string, month: string): Promise<HuyaMonthlyBill> {
    const key = { appId: product.appId, productId: product.id, profileId, month };
    await tx.huyaMonthlyBill.createMany({
      data: [{ ...key, terms: revenueShareConfigToJson(productTerms(product)) }],
      skipDuplicates: true,
    });
    return tx.huyaMonthlyBill.findUniqueOrThrow({ where: { appId_productId_profileId_month: key } });
  }

  /** Unpaid fees over the streamer's months before `currentMonth`. */
  async function closedMonthsArrears(product: Product, profileId: string, currentMonth: string): Promise<bigint> {
    const where = { appId: product.appId, productId: product.id, profileId, month: { lt: currentMonth } };
    const [incomes, bills] = await Promise.all([
      prisma.huyaGiftRevenue.groupBy({ by: ['month'], where, _sum: { beans: true } }),
      prisma.huyaMonthlyBill.findMany({ where, select: { month: true, paidBeans: true, terms: true } }),
    ]);
    const billByMonth = new Map(bills.map((bill) => [bill.month, bill]));
    const months = new Set([...incomes.map((income) => income.month), ...billByMonth.keys()]);
    const incomeByMonth = new Map(incomes.map((income) => [income.month, income._sum.beans ?? 0n]));
    return arrearsBeans(
      [...months].map((month) => {
        const bill = billByMonth.get(month) ?? null;
        return {
          feeBeans: monthlyBill(incomeByMonth.get(month) ?? 0n, termsOf(bill, product)).feeBeans,
          paidBeans: bill?.paidBeans ?? 0n,
        };
      }),
    );
  }

  async function billView(product: Product, profileId: string, month: string, now: Date): Promise<HuyaBillView> {
    const currentMonth = monthKey(now, timeZone);
    const key = { appId: product.appId, productId: product.id, profileId, month };
    const [income, bill, arrears] = await Promise.all([
      prisma.huyaGiftRevenue.aggregate({ where: key, _sum: { beans: true } }),
      prisma.huyaMonthlyBill.findUnique({ where: { appId_productId_profileId_month: key } }),
      closedMonthsArrears(product, profileId, currentMonth),
    ]);
    const terms = termsOf(bill, product);
    const computed = monthlyBill(income._sum.beans ?? 0n, terms);
    const paidBeans = bill?.paidBeans ?? 0n;
    return {
      goodsUuid: product.storeProductId,
      profileId,
      month,
      closed: month < currentMonth,
      bill: computed,
      terms,
      paidBeans,
      dueBeans: computed.feeBeans > paidBeans ? computed.feeBeans - paidBeans : 0n,
      arrearsBeans: arrears,
      confirmedTier: bill?.confirmedTier ?? null,
      firstUseConfirmedAt: bill?.firstUseConfirmed ?? null,
    };
  }

  async function prepaidAccess(product: Product, profileId: string, now: Date): Promise<HuyaGoodsAccessView> {
    const entitlement = await prisma.entitlement.findFirst({
      where: { appId: product.appId, productId: product.id, playerId: profileId },
      select: { expiresAt: true, revokedAt: true },
    });
    const base = { goodsUuid: product.storeProductId, profileId, productType: 'TIME_LIMITED' as const, bill: null, confirmationLevel: null };
    if (entitlement?.revokedAt) {
      return { ...base, canUse: false, reason: 'REVOKED', expire: entitlement.revokedAt.getTime(), hadBuy: true, expiresAt: entitlement.revokedAt };
    }
    const expiresAt = entitlement?.expiresAt ?? null;
    const access = goodsAccess(expiresAt, now);
    const reason: HuyaAccessReason = !access.hadBuy ? 'NEVER_BOUGHT' : access.canUse ? 'OK' : 'EXPIRED';
    return { ...base, ...access, reason, expiresAt };
  }

  async function revenueAccess(product: Product, profileId: string, now: Date): Promise<HuyaGoodsAccessView> {
    const view = await billView(product, profileId, monthKey(now, timeZone), now);
    const decision = accessDecision(
      {
        incomeBeans: view.bill.incomeBeans,
        confirmedTier: view.confirmedTier,
        firstUseConfirmed: view.firstUseConfirmedAt !== null,
        arrearsBeans: view.arrearsBeans,
      },
      view.terms,
    );
    return {
      goodsUuid: product.storeProductId,
      profileId,
      productType: 'REVENUE_SHARE',
      canUse: decision.canUse,
      reason: decision.reason,
      expire: -1,
      hadBuy: false,
      expiresAt: null,
      bill: view,
      confirmationLevel: decision.confirmationLevel,
    };
  }

  async function goodsAccessOf(product: Product, profileId: string, now: Date): Promise<HuyaGoodsAccessView> {
    switch (product.type) {
      case 'TIME_LIMITED':
        return prepaidAccess(product, profileId, now);
      case 'REVENUE_SHARE':
        return revenueAccess(product, profileId, now);
      default:
        throw new ValidationError(`Huya goods ${product.storeProductId} are ${product.type}; expected TIME_LIMITED or REVENUE_SHARE`, [
          { path: 'goodsUuid', message: 'not Huya prepaid or gift-revenue goods' },
        ]);
    }
  }

  /**
   * A payment callback, verified with `account` (from the URL, or resolved for a relay):
   * signature, timestamp window, extUuid, goods. The order is committed before this
   * returns, so the caller may answer Huya 200. A replay of an orderId changes nothing.
   */
  async function recordCallback(account: StoreAccountConfig, request: HuyaCallbackRequest, now = new Date()): Promise<HuyaCallbackResult> {
    if (account.store !== 'HUYA') throw new HuyaCallbackAccountError();
    const { callback, purchase } = verifyHuyaCallback(account, request, { now, toleranceSeconds: env.HUYA_TIMESTAMP_WINDOW_SECONDS });
    const profileId = callback.fields.profileId;
    const recorded = await prisma.order.findUnique({
      where: { storeAccountId_storeOrderId: { storeAccountId: account.id, storeOrderId: purchase.storeOrderId } },
    });
    if (recorded) {
      // A replay: answered from what was recorded, whatever happened to the goods since.
      if (recorded.playerId !== profileId) throw new ConflictError('This Huya orderId was already recorded for another streamer');
      return { order: recorded, newlyDelivered: false };
    }
    await assertGoodsOfAccount(account, purchase.storeProductId);
    const result = await fulfilment.recordPurchase({ account, playerId: profileId, purchase });
    failpoint('after-commit-before-answer');
    return result;
  }

  return {
    recordCallback,

    /** recordHuyaCallback: a relayed callback, for the app's (only or named) Huya account. */
    async recordRelayedCallback(appId: string, input: { authorization: string; data: string }, storeAccountId?: string | null) {
      const account = await storeAccounts.resolve(appId, 'HUYA', storeAccountId);
      return recordCallback(account, { method: 'POST', rawBody: input.data, authorization: input.authorization });
    },

    /** The store account named in a callback URL, or HuyaCallbackAccountError. */
    async callbackAccount(storeAccountId: string): Promise<StoreAccountConfig> {
      const account = await storeAccounts.configById(storeAccountId);
      if (!account || account.store !== 'HUYA') throw new HuyaCallbackAccountError();
      return account;
    },

    /** checkStreamerCanUseGoods + checkStreamerGoodsExpire for one streamer and goods. */
    async goodsAccess(appId: string, profileId: string, goodsUuid: string, now = new Date()): Promise<HuyaGoodsAccessView> {
      return goodsAccessOf(await findGoods(appId, goodsUuid), profileId, now);
    },

    /** The bill of `month` (default: the current one) for revenue-share goods. */
    async monthlyBill(appId: string, profileId: string, goodsUuid: string, month?: string | null, now = new Date()): Promise<HuyaBillView> {
      const product = await findRevenueGoods(appId, goodsUuid);
      const key = month ?? monthKey(now, timeZone);
      monthBounds(key, timeZone); // validates YYYY-MM
      return billView(product, profileId, key, now);
    },

    /**
     * startModuleGiftRevenueStat: opens a stat session counting `giftIds`. A session still
     * open for the streamer and goods is ended first, so one session counts at a time.
     */
    async startGiftRevenueStat(appId: string, profileId: string, goodsUuid: string, giftIds: readonly string[], now = new Date()): Promise<HuyaStatSession> {
      const ids = [...new Set(giftIds.map((giftId, index) => requireId(giftId, `giftIds.${index}`, 'A gift id')))];
      if (ids.length === 0 || ids.length > MAX_GIFT_IDS) {
        throw new ValidationError(`Give 1..${MAX_GIFT_IDS} gift ids`, [{ path: 'giftIds', message: `1..${MAX_GIFT_IDS} ids` }]);
      }
      const product = await findRevenueGoods(appId, goodsUuid);
      return prisma.$transaction(async (tx) => {
        await tx.huyaStatSession.updateMany({
          where: { appId, productId: product.id, profileId, endedAt: null },
          data: { endedAt: now },
        });
        return tx.huyaStatSession.create({ data: { appId, productId: product.id, profileId, giftIds: ids, startedAt: now } });
      });
    },

    /** endModuleGiftRevenueStat: ends the open session(s). Idempotent; returns how many ended. */
    async endGiftRevenueStat(appId: string, profileId: string, goodsUuid: string, now = new Date()): Promise<number> {
      const product = await findRevenueGoods(appId, goodsUuid);
      const ended = await prisma.huyaStatSession.updateMany({
        where: { appId, productId: product.id, profileId, endedAt: null },
        data: { endedAt: now },
      });
      return ended.count;
    },

    /**
     * Counts one gift toward the month's income, once per eventId, when a session covering
     * its time lists the gift; anything else is ignored (and said so), nothing written.
     */
    async recordGiftRevenue(appId: string, input: GiftRevenueInput, now = new Date()): Promise<{ outcome: GiftRevenueOutcome; bill: HuyaBillView }> {
      const eventId = requireId(input.eventId, 'eventId', 'eventId');
      const giftId = requireId(input.giftId, 'giftId', 'giftId');
      const profileId = requireId(input.profileId, 'profileId', 'profileId');
      const beans = requirePositiveBeans(input.beans, 'beans');
      const receivedAt = input.receivedAt ?? now;
      if (receivedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
        throw new ValidationError('receivedAt is in the future', [{ path: 'receivedAt', message: 'must not be in the future' }]);
      }
      const product = await findRevenueGoods(appId, input.goodsUuid);
      const month = monthKey(receivedAt, timeZone);
      const result = (outcome: GiftRevenueOutcome) => billView(product, profileId, month, now).then((bill) => ({ outcome, bill }));

      const previous = await prisma.huyaGiftRevenue.findUnique({ where: { appId_eventId: { appId, eventId } } });
      if (previous) return duplicateGift(previous, { productId: product.id, profileId, giftId, beans }, () => result('DUPLICATE'));

      const sessions = await prisma.huyaStatSession.findMany({
        where: {
          appId,
          productId: product.id,
          profileId,
          startedAt: { lte: receivedAt },
          OR: [{ endedAt: null }, { endedAt: { gt: receivedAt } }],
        },
        orderBy: { startedAt: 'desc' },
      });
      if (sessions.length === 0) return result('NO_OPEN_SESSION');
      const session = sessions.find((candidate) => candidate.giftIds.includes(giftId));
      if (!session) return result('GIFT_NOT_IN_SESSION');

      const inserted = await prisma.$transaction(async (tx) => {
        await ensureBillRow(tx, product, profileId, month);
        const rows = await tx.huyaGiftRevenue.createMany({
          data: [{ appId, productId: product.id, profileId, sessionId: session.id, eventId, giftId, beans, month }],
          skipDuplicates: true,
        });
        return rows.count === 1;
      });
      if (inserted) return result('COUNTED');
      // A concurrent delivery of the same event won the insert.
      const winner = await prisma.huyaGiftRevenue.findUniqueOrThrow({ where: { appId_eventId: { appId, eventId } } });
      return duplicateGift(winner, { productId: product.id, profileId, giftId, beans }, () => result('DUPLICATE'));
    },

    /**
     * The streamer confirmed what the access check showed (first use this month, a new
     * tier, the cap). `confirmationLevel` is the level shown (default: the current one);
     * a level above the current one confirms only the current one. Nothing is recorded
     * while arrears block use.
     */
    async confirmGoodsUse(appId: string, profileId: string, goodsUuid: string, confirmationLevel?: number | null, now = new Date()): Promise<HuyaGoodsAccessView> {
      if (confirmationLevel != null && (!Number.isInteger(confirmationLevel) || confirmationLevel < 0)) {
        throw new ValidationError('confirmationLevel must be a whole number ≥ 0', [{ path: 'confirmationLevel', message: 'must be ≥ 0' }]);
      }
      const product = await findRevenueGoods(appId, goodsUuid);
      const before = await revenueAccess(product, profileId, now);
      // Arrears cannot be confirmed away, and what the streamer saw was not the month's terms.
      if (before.reason === 'ARREARS') return before;
      const current = before.confirmationLevel ?? 0;
      const level = confirmationLevel == null ? current : Math.min(confirmationLevel, current);
      const month = monthKey(now, timeZone);
      await prisma.$transaction(async (tx) => {
        const bill = await ensureBillRow(tx, product, profileId, month);
        // Conditional updates: concurrent confirmations only ever raise the level.
        await tx.huyaMonthlyBill.updateMany({
          where: { id: bill.id, OR: [{ confirmedTier: null }, { confirmedTier: { lt: level } }] },
          data: { confirmedTier: level },
        });
        await tx.huyaMonthlyBill.updateMany({ where: { id: bill.id, firstUseConfirmed: null }, data: { firstUseConfirmed: now } });
      });
      return revenueAccess(product, profileId, now);
    },

    /** A payment toward a month's bill, counted once per paymentId. */
    async recordBillPayment(appId: string, input: BillPaymentInput, now = new Date()): Promise<{ bill: HuyaBillView; duplicate: boolean }> {
      const paymentId = requireId(input.paymentId, 'paymentId', 'paymentId');
      const profileId = requireId(input.profileId, 'profileId', 'profileId');
      const beans = requirePositiveBeans(input.beans, 'beans');
      monthBounds(input.month, timeZone); // validates YYYY-MM
      if (input.month > monthKey(now, timeZone)) {
        throw new ValidationError('Payments are for the current or an earlier month', [{ path: 'month', message: 'in the future' }]);
      }
      const product = await findRevenueGoods(appId, input.goodsUuid);
      const recorded = { productId: product.id, profileId, month: input.month, beans };
      const inserted = await prisma.$transaction(async (tx) => {
        const bill = await ensureBillRow(tx, product, profileId, input.month);
        const rows = await tx.huyaBillPayment.createMany({ data: [{ appId, paymentId, ...recorded }], skipDuplicates: true });
        if (rows.count === 0) return false;
        await tx.huyaMonthlyBill.update({ where: { id: bill.id }, data: { paidBeans: { increment: beans } } });
        return true;
      });
      if (!inserted) {
        const previous = await prisma.huyaBillPayment.findUniqueOrThrow({ where: { appId_paymentId: { appId, paymentId } } });
        const same =
          previous.productId === recorded.productId &&
          previous.profileId === recorded.profileId &&
          previous.month === recorded.month &&
          previous.beans === recorded.beans;
        if (!same) throw new ConflictError(`paymentId ${paymentId} was already recorded for another payment`);
      }
      return { bill: await billView(product, profileId, input.month, now), duplicate: !inserted };
    },
  };
}

/** A repeated eventId: the same gift is a duplicate; a different gift under it is a conflict. */
function duplicateGift<T>(
  previous: { productId: string; profileId: string; giftId: string; beans: bigint },
  incoming: { productId: string; profileId: string; giftId: string; beans: bigint },
  answer: () => T,
): T {
  const same =
    previous.productId === incoming.productId &&
    previous.profileId === incoming.profileId &&
    previous.giftId === incoming.giftId &&
    previous.beans === incoming.beans;
  if (!same) throw new ConflictError('This eventId was already recorded for another gift');
  return answer();
}

export type HuyaService = ReturnType<typeof createHuyaService>;

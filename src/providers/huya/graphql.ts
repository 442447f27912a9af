// Huya mini-program operations: the relayed payment callback, the SDK's access checks,
// gift-revenue stat sessions, income, confirmations, bills and payments.
import type { HuyaStatSession } from '../../generated/prisma/client.js';
import { callerPlayerId, scopedAppId, type Context } from '../../context.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { HuyaBillView, HuyaGoodsAccessView, HuyaService as HuyaFlows } from './flows.js';
import type { StoreGraphqlContext } from '../contract.js';
import type { Builder } from '../../schema/builder.js';
import { purchaseErrors } from '../../schema/errors.js';

export function registerHuyaGraphql({ builder, refs: { StoreAccountNode, ProductTypeEnum }, flows }: StoreGraphqlContext<HuyaFlows>) {
  /**
   * The streamer (Huya profileId) an operation is for: a client key acts for the streamer
   * of its player token (the Huya SDK's JWT); a server key names one.
   */
  function streamerOf(ctx: Context, inputProfileId: string | null | undefined): string {
    const own = callerPlayerId(ctx);
    if (own !== null) {
      if (inputProfileId && inputProfileId !== own) {
        throw new ValidationError('profileId comes from the player token; it may not name another streamer', [
          { path: 'profileId', message: 'must match the player token or be omitted' },
        ]);
      }
      return own;
    }
    const profileId = inputProfileId?.trim();
    if (!profileId || profileId.length > 200) {
      throw new ValidationError('profileId (the streamer’s unionId, 1..200 characters) is required with a server key', [
        { path: 'profileId', message: 'required with a server key' },
      ]);
    }
    return profileId;
  }

  const HuyaAccessReasonEnum = builder.enumType('HuyaAccessReason', {
    values: {
      OK: { description: 'The streamer may use the goods.' },
      NEVER_BOUGHT: { description: 'Prepaid goods never bought (expire = -1): show the purchase panel.' },
      EXPIRED: { description: 'Prepaid access has ended: show the purchase panel.' },
      REVOKED: { description: 'Prepaid access was revoked.' },
      ARREARS: { description: 'Gift-revenue goods: fees of a closed month are unpaid; use is blocked until paid.' },
      NEEDS_FIRST_USE_CONFIRMATION: { description: 'Gift-revenue goods: first use this month; the streamer confirms the terms.' },
      NEEDS_TIER_CONFIRMATION: { description: 'Gift-revenue goods: income reached a new tier; the streamer confirms income and fee.' },
      NEEDS_CAP_CONFIRMATION: { description: 'Gift-revenue goods: the fee reached the monthly cap; the streamer confirms once more.' },
    } as const,
  });

  const HuyaRevenueTier = builder.objectRef<{ minBeans: bigint; ratePercent: number }>('HuyaRevenueTier').implement({
    fields: (t) => ({
      minBeans: t.field({ type: 'BigInt', resolve: (tier) => tier.minBeans }),
      ratePercent: t.exposeInt('ratePercent'),
    }),
  });

  const HuyaMonthlyBillRef = builder.objectRef<HuyaBillView>('HuyaMonthlyBill').implement({
    description:
      'One month of a streamer’s gift-revenue goods: income, reached tier, fee (the tier’s rate on the whole income, floored, at most the cap), payments and arrears. Beans throughout.',
    fields: (t) => ({
      goodsUuid: t.exposeString('goodsUuid'),
      profileId: t.exposeString('profileId'),
      month: t.exposeString('month', { description: 'YYYY-MM in the billing time zone (HUYA_TIME_ZONE, default Asia/Shanghai).' }),
      closed: t.exposeBoolean('closed', { description: 'The month has ended; its fee is due.' }),
      incomeBeans: t.field({ type: 'BigInt', resolve: (b) => b.bill.incomeBeans }),
      tierIndex: t.int({ description: 'Index in tiers of the tier the income has reached.', resolve: (b) => b.bill.tierIndex }),
      ratePercent: t.int({ resolve: (b) => b.bill.ratePercent }),
      uncappedFeeBeans: t.field({ type: 'BigInt', resolve: (b) => b.bill.uncappedFeeBeans }),
      feeBeans: t.field({ type: 'BigInt', resolve: (b) => b.bill.feeBeans }),
      capReached: t.boolean({ resolve: (b) => b.bill.capReached }),
      monthlyCapBeans: t.field({ type: 'BigInt', resolve: (b) => b.terms.monthlyCapBeans }),
      tiers: t.field({
        type: [HuyaRevenueTier],
        description: 'The terms this month is billed on (the product’s when the month’s first entry was written).',
        resolve: (b) => b.terms.tiers,
      }),
      paidBeans: t.field({ type: 'BigInt', resolve: (b) => b.paidBeans }),
      dueBeans: t.field({ type: 'BigInt', description: 'This month’s fee not yet paid.', resolve: (b) => b.dueBeans }),
      arrearsBeans: t.field({
        type: 'BigInt',
        description: 'Unpaid fees of all closed months for these goods; above 0 blocks use.',
        resolve: (b) => b.arrearsBeans,
      }),
      confirmedTier: t.exposeInt('confirmedTier', { nullable: true, description: 'The highest confirmationLevel confirmed this month.' }),
      firstUseConfirmedAt: t.expose('firstUseConfirmedAt', { type: 'DateTime', nullable: true }),
    }),
  });

  const HuyaGoodsAccessRef = builder.objectRef<HuyaGoodsAccessView>('HuyaGoodsAccess').implement({
    description: 'Huya SDK checkStreamerCanUseGoods and checkStreamerGoodsExpire, answered from ZeroDrop’s records.',
    fields: (t) => ({
      goodsUuid: t.exposeString('goodsUuid'),
      profileId: t.exposeString('profileId'),
      productType: t.field({ type: ProductTypeEnum, resolve: (a) => a.productType }),
      canUse: t.exposeBoolean('canUse', { description: 'checkStreamerCanUseGoods → isCanUse.' }),
      reason: t.field({ type: HuyaAccessReasonEnum, description: 'Why canUse is false (OK when true).', resolve: (a) => a.reason }),
      expire: t.exposeFloat('expire', {
        description: 'checkStreamerGoodsExpire → expire: the expiry as whole milliseconds since the epoch; -1 when never bought.',
      }),
      hadBuy: t.exposeBoolean('hadBuy', { description: 'checkStreamerGoodsExpire → hadBuy.' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
      confirmationLevel: t.exposeInt('confirmationLevel', {
        nullable: true,
        description: 'Gift-revenue goods: the level to pass to confirmHuyaGoodsUse after showing bill to the streamer.',
      }),
      bill: t.field({ type: HuyaMonthlyBillRef, nullable: true, description: 'Gift-revenue goods: this month’s bill.', resolve: (a) => a.bill }),
    }),
  });

  const HuyaStatSessionRef = builder.objectRef<HuyaStatSession>('HuyaStatSession').implement({
    description: 'A gift-revenue stat session (startModuleGiftRevenueStat … endModuleGiftRevenueStat).',
    fields: (t) => ({
      id: t.exposeID('id'),
      profileId: t.exposeString('profileId'),
      giftIds: t.exposeStringList('giftIds'),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    }),
  });

  builder.queryField('huyaGoodsAccess', (t) =>
    t.field({
      type: HuyaGoodsAccessRef,
      description:
        'Can the streamer use these goods now, until when, and why not. A client key with the Huya SDK’s JWT as player token sees only its own streamer.',
      authScopes: { serverKey: true, player: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'HuyaGoodsAccessResult' } },
      args: {
        goodsUuid: t.arg.string({ required: true }),
        profileId: t.arg.string({ description: 'Server keys: the streamer. Client keys: from the player token.' }),
      },
      resolve: (_root, args, ctx) => flows(ctx).goodsAccess(scopedAppId(ctx), streamerOf(ctx, args.profileId), args.goodsUuid),
    }),
  );

  builder.queryField('huyaMonthlyBill', (t) =>
    t.field({
      type: HuyaMonthlyBillRef,
      description: 'The gift-revenue bill of one month (default: the current one) for a streamer and goods.',
      authScopes: { serverKey: true, player: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'HuyaMonthlyBillResult' } },
      args: {
        goodsUuid: t.arg.string({ required: true }),
        profileId: t.arg.string(),
        month: t.arg.string({ description: 'YYYY-MM; default the current month.' }),
      },
      resolve: (_root, args, ctx) =>
        flows(ctx).monthlyBill(scopedAppId(ctx), streamerOf(ctx, args.profileId), args.goodsUuid, args.month),
    }),
  );

  const RecordHuyaCallbackInput = builder.inputType('RecordHuyaCallbackInput', {
    description: 'A Huya payment callback your server received and relays, unchanged.',
    fields: (t) => ({
      authorization: t.string({ required: true, description: 'The callback’s authorization header.' }),
      data: t.string({
        required: true,
        description: 'The callback JSON string Huya signed: the POST body exactly as received.',
      }),
      storeAccountId: t.globalID({ for: [StoreAccountNode], description: 'Needed when the app has several Huya accounts.' }),
    }),
  });

  const RecordHuyaCallbackPayload = builder.objectRef<{ orderId: string; appId: string; newlyDelivered: boolean }>('RecordHuyaCallbackPayload').implement({
    fields: (t) => ({
      order: t.prismaField({
        type: 'Order',
        resolve: async (query, p, _a, ctx) => (await ctx.services.orders.get(query, p.appId, p.orderId, null))!,
      }),
      newlyDelivered: t.exposeBoolean('newlyDelivered', {
        description: 'True only for the call that granted it; false for a replay or an order waiting for its product.',
      }),
    }),
  });

  builder.mutationField('recordHuyaCallback', (t) =>
    t.field({
      type: RecordHuyaCallbackPayload,
      description:
        'Verifies and records a relayed Huya payment callback (signature, timestamp window, extUuid, goods), exactly once per orderId.',
      authScopes: { serverKey: true },
      errors: { types: purchaseErrors, union: { name: 'RecordHuyaCallbackResult' } },
      args: { input: t.arg({ type: RecordHuyaCallbackInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const { order, newlyDelivered } = await flows(ctx).recordRelayedCallback(
          scopedAppId(ctx),
          { authorization: input.authorization, data: input.data },
          input.storeAccountId?.id,
        );
        return { orderId: order.id, appId: order.appId, newlyDelivered };
      },
    }),
  );

  const StartHuyaGiftRevenueStatInput = builder.inputType('StartHuyaGiftRevenueStatInput', {
    fields: (t) => ({
      goodsUuid: t.string({ required: true }),
      profileId: t.string({ description: 'Server keys: the streamer. Client keys: from the player token.' }),
      giftIds: t.stringList({ required: true, description: 'The gifts to count (the SDK’s "a|b|c", split).' }),
    }),
  });

  const HuyaStatSessionPayload = builder.objectRef<{ session: HuyaStatSession }>('HuyaStatSessionPayload').implement({
    fields: (t) => ({ session: t.field({ type: HuyaStatSessionRef, resolve: (p) => p.session }) }),
  });

  builder.mutationField('startHuyaGiftRevenueStat', (t) =>
    t.field({
      type: HuyaStatSessionPayload,
      description: 'startModuleGiftRevenueStat: counts the listed gifts toward the month’s income until ended. Ends a session still open.',
      authScopes: { serverKey: true, player: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'StartHuyaGiftRevenueStatResult' } },
      args: { input: t.arg({ type: StartHuyaGiftRevenueStatInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const session = await flows(ctx).startGiftRevenueStat(
          scopedAppId(ctx),
          streamerOf(ctx, input.profileId),
          input.goodsUuid,
          input.giftIds,
        );
        return { session };
      },
    }),
  );

  const EndHuyaGiftRevenueStatInput = builder.inputType('EndHuyaGiftRevenueStatInput', {
    fields: (t) => ({
      goodsUuid: t.string({ required: true }),
      profileId: t.string({ description: 'Server keys: the streamer. Client keys: from the player token.' }),
    }),
  });

  const EndHuyaGiftRevenueStatPayload = builder.objectRef<{ endedSessions: number }>('EndHuyaGiftRevenueStatPayload').implement({
    fields: (t) => ({ endedSessions: t.exposeInt('endedSessions', { description: '0 when none was open (idempotent).' }) }),
  });

  builder.mutationField('endHuyaGiftRevenueStat', (t) =>
    t.field({
      type: EndHuyaGiftRevenueStatPayload,
      description: 'endModuleGiftRevenueStat: stops counting gifts for the streamer and goods.',
      authScopes: { serverKey: true, player: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'EndHuyaGiftRevenueStatResult' } },
      args: { input: t.arg({ type: EndHuyaGiftRevenueStatInput, required: true }) },
      resolve: async (_root, { input }, ctx) => ({
        endedSessions: await flows(ctx).endGiftRevenueStat(scopedAppId(ctx), streamerOf(ctx, input.profileId), input.goodsUuid),
      }),
    }),
  );

  const HuyaGiftRevenueOutcomeEnum = builder.enumType('HuyaGiftRevenueOutcome', {
    values: {
      COUNTED: { description: 'Added to the month’s income.' },
      DUPLICATE: { description: 'This eventId was already counted; nothing changed.' },
      NO_OPEN_SESSION: { description: 'No stat session covered the gift’s time; ignored.' },
      GIFT_NOT_IN_SESSION: { description: 'The session does not count this gift; ignored.' },
    } as const,
  });

  const RecordHuyaGiftRevenueInput = builder.inputType('RecordHuyaGiftRevenueInput', {
    fields: (t) => ({
      goodsUuid: t.string({ required: true }),
      profileId: t.string({ required: true }),
      eventId: t.string({ required: true, description: 'Your id for the gift event; a replay counts once.' }),
      giftId: t.string({ required: true }),
      beans: t.field({ type: 'BigInt', required: true, description: 'The gift’s income in beans (金豆), ≥ 1.' }),
      receivedAt: t.field({ type: 'DateTime', description: 'When the gift was received; default now. Decides session and month.' }),
    }),
  });

  const RecordHuyaGiftRevenuePayload = builder
    .objectRef<{ outcome: 'COUNTED' | 'DUPLICATE' | 'NO_OPEN_SESSION' | 'GIFT_NOT_IN_SESSION'; bill: HuyaBillView }>('RecordHuyaGiftRevenuePayload')
    .implement({
      fields: (t) => ({
        outcome: t.field({ type: HuyaGiftRevenueOutcomeEnum, resolve: (p) => p.outcome }),
        bill: t.field({ type: HuyaMonthlyBillRef, description: 'The bill of the gift’s month, after this call.', resolve: (p) => p.bill }),
      }),
    });

  builder.mutationField('recordHuyaGiftRevenue', (t) =>
    t.field({
      type: RecordHuyaGiftRevenuePayload,
      description: 'Server keys: adds one gift’s income while a stat session lists it. Idempotent by eventId.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError, NotFoundError, ConflictError], union: { name: 'RecordHuyaGiftRevenueResult' } },
      args: { input: t.arg({ type: RecordHuyaGiftRevenueInput, required: true }) },
      resolve: (_root, { input }, ctx) => flows(ctx).recordGiftRevenue(scopedAppId(ctx), input),
    }),
  );

  const ConfirmHuyaGoodsUseInput = builder.inputType('ConfirmHuyaGoodsUseInput', {
    fields: (t) => ({
      goodsUuid: t.string({ required: true }),
      profileId: t.string({ description: 'Server keys: the streamer. Client keys: from the player token.' }),
      confirmationLevel: t.int({
        description: 'The confirmationLevel huyaGoodsAccess returned and the streamer saw; default the current one.',
      }),
    }),
  });

  const ConfirmHuyaGoodsUsePayload = builder.objectRef<{ access: HuyaGoodsAccessView }>('ConfirmHuyaGoodsUsePayload').implement({
    fields: (t) => ({ access: t.field({ type: HuyaGoodsAccessRef, description: 'Access after the confirmation.', resolve: (p) => p.access }) }),
  });

  builder.mutationField('confirmHuyaGoodsUse', (t) =>
    t.field({
      type: ConfirmHuyaGoodsUsePayload,
      description:
        'Gift-revenue goods: records that the streamer confirmed the month’s first use, a new tier or the cap. Arrears still block use.',
      authScopes: { serverKey: true, player: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'ConfirmHuyaGoodsUseResult' } },
      args: { input: t.arg({ type: ConfirmHuyaGoodsUseInput, required: true }) },
      resolve: async (_root, { input }, ctx) => ({
        access: await flows(ctx).confirmGoodsUse(
          scopedAppId(ctx),
          streamerOf(ctx, input.profileId),
          input.goodsUuid,
          input.confirmationLevel,
        ),
      }),
    }),
  );

  const RecordHuyaBillPaymentInput = builder.inputType('RecordHuyaBillPaymentInput', {
    fields: (t) => ({
      goodsUuid: t.string({ required: true }),
      profileId: t.string({ required: true }),
      month: t.string({ required: true, description: 'YYYY-MM of the bill paid.' }),
      paymentId: t.string({ required: true, description: 'Your id for the payment; a replay counts once.' }),
      beans: t.field({ type: 'BigInt', required: true }),
    }),
  });

  const RecordHuyaBillPaymentPayload = builder.objectRef<{ bill: HuyaBillView; duplicate: boolean }>('RecordHuyaBillPaymentPayload').implement({
    fields: (t) => ({
      bill: t.field({ type: HuyaMonthlyBillRef, resolve: (p) => p.bill }),
      duplicate: t.exposeBoolean('duplicate', { description: 'This paymentId was already recorded; nothing changed.' }),
    }),
  });

  builder.mutationField('recordHuyaBillPayment', (t) =>
    t.field({
      type: RecordHuyaBillPaymentPayload,
      description: 'Server keys: records a payment toward a month’s gift-revenue fee (clears arrears). Idempotent by paymentId.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError, NotFoundError, ConflictError], union: { name: 'RecordHuyaBillPaymentResult' } },
      args: { input: t.arg({ type: RecordHuyaBillPaymentInput, required: true }) },
      resolve: (_root, { input }, ctx) => flows(ctx).recordBillPayment(scopedAppId(ctx), input),
    }),
  );
}

/** The Huya part of createStoreAccount / updateStoreAccount. */
export function huyaAccountInput(builder: Builder) {
  return builder.inputType('HuyaAccountInput', {
    fields: (t) => ({
      huyaAppId: t.string({ description: 'The appId in the callback signature.' }),
      extUuid: t.string({ description: 'The mini-program (extension) uuid.' }),
      extSecret: t.string({ description: 'Secret. Signs callbacks and the SDK JWT.' }),
    }),
  });
}

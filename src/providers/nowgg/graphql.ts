// now.gg (and its multistore partners): consumePurchase; web-shop payments that named no player.
import { resolveCursorConnection } from '@pothos/plugin-relay';
import { resolvePlayerId, scopedAppId } from '../../context.js';
import { NotFoundError } from '../../platform/errors.js';
import {
  unmatchedPaymentCursor,
  type NowggClientFinish,
  type NowggDelivery,
  type NowggService as NowggFlows,
  type NowggUnmatchedPayment,
} from './flows.js';
import type { StoreGraphqlContext } from '../contract.js';
import type { Builder } from '../../schema/builder.js';
import { purchaseErrors } from '../../schema/errors.js';

export function registerNowggGraphql({ builder, refs: { StoreAccountNode }, flows }: StoreGraphqlContext<NowggFlows>) {
  const NowggPurchaseTypeEnum = builder.enumType('NowggPurchaseType', {
    description: 'The store a now.gg purchase was made in (now.gg multistore).',
    values: {
      NOWGG: { value: 'nowgg', description: "now.gg's own store; consumed server-side." },
      XIAOMI: { value: 'xiaomi', description: 'Xiaomi through now.gg; consumed server-side.' },
      ONESTORE: { value: 'onestore', description: 'ONE store through now.gg; consumed server-side.' },
      AMAZON: { value: 'amazon', description: 'Amazon through now.gg; the client must consume (see clientFinish).' },
      HUAWEI: { value: 'huawei', description: 'Huawei through now.gg; the client must consume (see clientFinish).' },
    } as const,
  });

  const NowggClientOperationEnum = builder.enumType('NowggClientOperation', {
    values: {
      CONSUME: { description: 'One-time product: consume it with the now.gg SDK.' },
      ACKNOWLEDGE: { description: 'Subscription: acknowledge it with the now.gg SDK (now.gg refunds it after 3 days otherwise).' },
    } as const,
  });

  const NowggClientFinishRef = builder.objectRef<NowggClientFinish>('NowggClientFinish').implement({
    description: 'What the device must do for amazon and huawei purchases, which now.gg cannot finish server-side.',
    fields: (t) => ({
      type: t.field({ type: NowggPurchaseTypeEnum, resolve: (f) => f.type }),
      purchaseToken: t.exposeString('purchaseToken'),
      productId: t.exposeString('productId'),
      operation: t.field({ type: NowggClientOperationEnum, resolve: (f) => f.operation }),
      instructions: t.exposeString('instructions'),
    }),
  });

  const ConsumePurchasePayload = builder.objectRef<NowggDelivery>('ConsumePurchasePayload').implement({
    fields: (t) => ({
      order: t.prismaField({
        type: 'Order',
        resolve: (query, delivery, _a, ctx) => ctx.services.orders.recorded(query, delivery),
      }),
      newlyDelivered: t.exposeBoolean('newlyDelivered', {
        description: 'True only for the submission that granted the order; repeats return the same order with false.',
      }),
      needsClientFinish: t.boolean({
        description: 'True while the device still has to do clientFinish and report it with confirmClientFinish.',
        resolve: ({ order }) => order.status === 'DELIVERED' && order.finishMode === 'CLIENT',
      }),
      clientFinish: t.field({
        type: NowggClientFinishRef,
        nullable: true,
        description: 'Set when finishMode is CLIENT (amazon, huawei); null when ZeroDrop finishes with now.gg itself.',
        resolve: (delivery) => delivery.clientFinish,
      }),
    }),
  });

  const ConsumePurchaseInput = builder.inputType('ConsumePurchaseInput', {
    fields: (t) => ({
      purchaseToken: t.string({ required: true, description: 'From the now.gg SDK purchase.' }),
      productId: t.string({ required: true, description: "The now.gg product id (the order's storeProductId)." }),
      currency: t.string({ description: 'ISO 4217 code. Multistore purchases need it when known.' }),
      developerPayload: t.string({ description: 'Sent to now.gg with the server-side consume (multistore).' }),
      type: t.field({ type: NowggPurchaseTypeEnum, description: 'Default NOWGG.' }),
      playerId: t.string({ description: 'Server keys: the player. Client calls take it from the player token.' }),
      storeAccountId: t.globalID({ for: [StoreAccountNode], description: 'Needed when the app has several now.gg accounts.' }),
    }),
  });

  builder.mutationField('consumePurchase', (t) =>
    t.field({
      type: ConsumePurchasePayload,
      description:
        'now.gg: verifies the purchase token with now.gg, grants it exactly once, and consumes it with now.gg (subscriptions: ' +
        'acknowledges) through the task worker, retried until now.gg confirms. Amazon and Huawei purchases through now.gg ' +
        'are finished by the client: see clientFinish. Safe to repeat.',
      authScopes: { serverKey: true, player: true },
      errors: { types: purchaseErrors, union: { name: 'ConsumePurchaseResult' } },
      args: { input: t.arg({ type: ConsumePurchaseInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const playerId = resolvePlayerId(ctx, input.playerId);
        return flows(ctx).consumePurchase(scopedAppId(ctx), playerId, {
          purchaseToken: input.purchaseToken,
          productId: input.productId,
          currency: input.currency,
          developerPayload: input.developerPayload,
          type: input.type,
          storeAccountId: input.storeAccountId?.id,
        });
      },
    }),
  );

  const NowggUnmatchedPaymentRef = builder.objectRef<NowggUnmatchedPayment>('NowggUnmatchedPayment').implement({
    description:
      'A now.gg web-shop payment whose callback named no player (its developerPayload had no playerId) and that no order ' +
      'records yet. Assign it with assignNowggWebshopPayment.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'What assignNowggWebshopPayment takes.' }),
      storeAccount: t.prismaField({
        type: 'StoreAccount',
        resolve: async (query, payment, _a, ctx) => {
          const account = await ctx.services.storeAccounts.get(query, scopedAppId(ctx), payment.storeAccountId);
          if (!account) throw new NotFoundError('Store account');
          return account;
        },
      }),
      storeOrderId: t.exposeString('storeOrderId', { description: "now.gg's orderId." }),
      storeProductId: t.exposeString('storeProductId', { nullable: true, description: "now.gg's productId." }),
      amountMinor: t.field({ type: 'BigInt', nullable: true, resolve: (p) => p.amountMinor }),
      currency: t.exposeString('currency', { nullable: true }),
      developerPayload: t.exposeString('developerPayload', { nullable: true }),
      receivedAt: t.field({ type: 'DateTime', resolve: (p) => p.receivedAt }),
      payload: t.field({ type: 'JSON', description: "The callback's data as now.gg sent it.", resolve: (p) => p.payload }),
    }),
  });

  builder.queryField('nowggUnmatchedPayments', (t) =>
    t.connection({
      type: NowggUnmatchedPaymentRef,
      description: 'Web-shop payments waiting for assignNowggWebshopPayment, oldest first. This app only.',
      authScopes: { serverKey: true },
      args: { storeAccountId: t.arg.globalID({ for: [StoreAccountNode], description: 'Only this now.gg account.' }) },
      resolve: async (_root, args, ctx) => {
        const connection = await resolveCursorConnection(
          { args, toCursor: (payment) => unmatchedPaymentCursor(payment as NowggUnmatchedPayment) },
          (page) =>
            flows(ctx).listUnmatchedPayments(scopedAppId(ctx), { ...page, storeAccountId: args.storeAccountId?.id ?? null }),
        );
        // resolveCursorConnection types its nodes as unknown; they are the rows listed above.
        return connection as {
          pageInfo: NonNullable<typeof connection>['pageInfo'];
          edges: { cursor: string; node: NowggUnmatchedPayment }[];
        };
      },
    }),
  );

  const AssignNowggWebshopPaymentInput = builder.inputType('AssignNowggWebshopPaymentInput', {
    fields: (t) => ({
      paymentId: t.id({ required: true, description: 'NowggUnmatchedPayment.id.' }),
      playerId: t.string({ required: true, description: 'The player who paid.' }),
    }),
  });

  const AssignNowggWebshopPaymentPayload = builder.objectRef<NowggDelivery>('AssignNowggWebshopPaymentPayload').implement({
    fields: (t) => ({
      order: t.prismaField({
        type: 'Order',
        resolve: (query, delivery, _a, ctx) => ctx.services.orders.recorded(query, delivery),
      }),
    }),
  });

  builder.mutationField('assignNowggWebshopPayment', (t) =>
    t.field({
      type: AssignNowggWebshopPaymentPayload,
      description:
        'Grants a web-shop payment that named no player to `playerId`, exactly once: a second assignment of the same ' +
        'payment is a ConflictError and changes nothing. The order is then granted like any web-shop order.',
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError, ...purchaseErrors], union: { name: 'AssignNowggWebshopPaymentResult' } },
      args: { input: t.arg({ type: AssignNowggWebshopPaymentInput, required: true }) },
      resolve: (_root, { input }, ctx) =>
        flows(ctx).assignWebshopPayment(scopedAppId(ctx), { paymentId: String(input.paymentId), playerId: input.playerId }),
    }),
  );
}

/** The now.gg part of createStoreAccount / updateStoreAccount. */
export function nowggAccountInput(builder: Builder) {
  const NowggApiPathPrefixEnum = builder.enumType('NowggApiPathPrefix', {
    description: "How the store's seller endpoints are spelled; its documentation shows both.",
    values: {
      SELLER: { value: 'v2/seller/', description: "v2/seller/order/… (the Request Path line of the store's documentation; default)." },
      SELLERS: { value: 'v2/sellers/', description: "v2/sellers/order/… (some code samples in the store's documentation)." },
    } as const,
  });
  const NowggUnreportedEnvironmentEnum = builder.enumType('NowggUnreportedEnvironment', {
    description: 'What a verifyPurchase answer without isTestOrder counts as.',
    values: ['SANDBOX', 'PRODUCTION'] as const,
  });
  return builder.inputType('NowggAccountInput', {
    fields: (t) => ({
      appId: t.string(),
      packageName: t.string(),
      paymentsApiKey: t.string({ description: 'Secret. now.gg Payments API key.' }),
      webhookApiKey: t.string({ description: 'Secret. The key now.gg sends with webhooks.' }),
      requestTimeoutMs: t.int({ description: 'Timeout of each now.gg call (100..120000 ms); default STORE_HTTP_TIMEOUT_MS.' }),
      alreadyConsumedCodes: t.intList({ description: 'now.gg consumePurchase codes that mean "already consumed" (none documented).' }),
      alreadyAcknowledgedCodes: t.intList({ description: 'now.gg acknowledgepurchase codes that mean "already acknowledged" (none documented).' }),
      apiPathPrefix: t.field({ type: NowggApiPathPrefixEnum, description: 'Prefix of verifyPurchase and acknowledgepurchase; default SELLER.' }),
      environmentWhenUnreported: t.field({
        type: NowggUnreportedEnvironmentEnum,
        description: 'What a verifyPurchase answer without isTestOrder counts as. Unset (default): such answers are refused.',
      }),
    }),
  });
}

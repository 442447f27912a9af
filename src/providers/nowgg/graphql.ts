// now.gg (and its multistore partners): consumePurchase.
import { resolvePlayerId, scopedAppId } from '../../context.js';
import type { NowggClientFinish, NowggDelivery, NowggService as NowggFlows } from './flows.js';
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
}

/** The now.gg part of createStoreAccount / updateStoreAccount. */
export function nowggAccountInput(builder: Builder) {
  return builder.inputType('NowggAccountInput', {
    fields: (t) => ({
      appId: t.string(),
      packageName: t.string(),
      paymentsApiKey: t.string({ description: 'Secret. now.gg Payments API key.' }),
      webhookApiKey: t.string({ description: 'Secret. The key now.gg sends with webhooks.' }),
      requestTimeoutMs: t.int({ description: 'Timeout of each now.gg call (100..120000 ms); default STORE_HTTP_TIMEOUT_MS.' }),
      alreadyConsumedCodes: t.intList({ description: 'now.gg consumePurchase codes that mean "already consumed" (none documented).' }),
      alreadyAcknowledgedCodes: t.intList({ description: 'now.gg acknowledgepurchase codes that mean "already acknowledged" (none documented).' }),
    }),
  });
}

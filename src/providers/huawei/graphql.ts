// Huawei HarmonyOS IAP (and Game Service Kit miniGamePay): finishPurchase, syncPurchases.
import { resolvePlayerId, scopedAppId } from '../../context.js';
import type { Entitlement, Order } from '../../generated/prisma/client.js';
import type { HuaweiDelivery, HuaweiService as HuaweiFlows } from './flows.js';
import { NotFoundError, ValidationError, type AppError } from '../../platform/errors.js';
import type { StoreGraphqlContext } from '../contract.js';
import type { Builder } from '../../schema/builder.js';
import { purchaseErrors } from '../../schema/errors.js';

export function registerHuaweiGraphql({ builder, refs: { StoreAccountNode, OrderNode }, flows }: StoreGraphqlContext<HuaweiFlows>) {
  const HuaweiFinishParams = builder
    .objectRef<{ productType: number; purchaseToken: string; purchaseOrderId: string }>('HuaweiFinishParams')
    .implement({
      description: 'Pass these to iap.finishPurchase() on the device, then call confirmClientFinish.',
      fields: (t) => ({
        productType: t.exposeInt('productType', { description: 'Huawei code: 0 consumable, 1 non-consumable, 2 auto-renewable, 3 non-renewing.' }),
        purchaseToken: t.exposeString('purchaseToken'),
        purchaseOrderId: t.exposeString('purchaseOrderId'),
      }),
    });

  /** Whether the client still has to call iap.finishPurchase for this order. */
  const clientMustFinish = (order: Order) => order.status === 'DELIVERED' && order.finishMode === 'CLIENT';

  const finishParamsOf = (order: Order) =>
    (order.finishParams as { productType: number; purchaseToken: string; purchaseOrderId: string } | null) ?? null;

  const HuaweiDeliveryRef = builder.objectRef<HuaweiDelivery>('HuaweiDelivery').implement({
    fields: (t) => ({
      order: t.prismaField({
        type: 'Order',
        resolve: (query, delivery, _a, ctx) => ctx.services.orders.recorded(query, delivery),
      }),
      newlyDelivered: t.exposeBoolean('newlyDelivered', {
        description: 'True only for the submission that granted the order; repeats return the same order with false.',
      }),
      needsClientFinish: t.boolean({
        description:
          'True when the device must call iap.finishPurchase(finishParams) (no server credentials, or ZeroDrop is still confirming). ' +
          'Calling it again for a finished purchase is harmless.',
        resolve: ({ order }) => clientMustFinish(order),
      }),
      finishParams: t.field({
        type: HuaweiFinishParams,
        description: 'Always returned, so the client can finish even while the server confirmation is pending.',
        resolve: ({ order }) => finishParamsOf(order)!,
      }),
    }),
  });

  const FinishPurchaseInput = builder.inputType('FinishPurchaseInput', {
    fields: (t) => ({
      purchaseData: t.string({
        description:
          'CreatePurchaseResult.purchaseData: the JSON string holding jwsPurchaseOrder, or jwsSubscriptionStatus for auto-renewable subscriptions.',
      }),
      jwsPurchaseOrder: t.string({ description: 'Or the bare jwsPurchaseOrder.' }),
      playerId: t.string({ description: 'Server keys: the player. Client calls take it from the player token.' }),
      storeAccountId: t.globalID({ for: [StoreAccountNode], description: 'Needed when the app has several Huawei accounts.' }),
    }),
  });

  builder.mutationField('finishPurchase', (t) =>
    t.field({
      type: HuaweiDeliveryRef,
      description:
        'Huawei: verifies purchaseData (JWS, certificate chain, app, environment), delivers exactly once, confirms delivery ' +
        'with Huawei when server credentials are configured, and returns finishParams for iap.finishPurchase.',
      authScopes: { serverKey: true, player: true },
      errors: { types: purchaseErrors, union: { name: 'FinishPurchaseResult' } },
      args: { input: t.arg({ type: FinishPurchaseInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const playerId = resolvePlayerId(ctx, input.playerId);
        return flows(ctx).finishPurchase(
          scopedAppId(ctx),
          playerId,
          { purchaseData: input.purchaseData, jwsPurchaseOrder: input.jwsPurchaseOrder },
          input.storeAccountId?.id,
        );
      },
    }),
  );

  interface SyncItemShape {
    index: number;
    order: Order | null;
    entitlements?: Entitlement[] | undefined;
    newlyDelivered: boolean;
    error: AppError | null;
  }

  const SyncPurchaseError = builder.objectRef<{ code: string; message: string; retryable: boolean }>('SyncPurchaseError').implement({
    description: 'The typed error for one item of a sync (same codes as finishPurchase errors).',
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      retryable: t.exposeBoolean('retryable'),
    }),
  });

  const SyncPurchaseItem = builder.objectRef<SyncItemShape>('SyncPurchaseItem').implement({
    fields: (t) => ({
      index: t.exposeInt('index', { description: 'Position in purchaseDataList.' }),
      order: t.prismaField({
        type: 'Order',
        nullable: true,
        resolve: (query, item, _a, ctx) => (item.order ? ctx.services.orders.recorded(query, { order: item.order, entitlements: item.entitlements }) : null),
      }),
      newlyDelivered: t.exposeBoolean('newlyDelivered', { description: 'True when this sync delivered it (it was missing).' }),
      needsClientFinish: t.boolean({ resolve: (item) => (item.order ? clientMustFinish(item.order) : false) }),
      finishParams: t.field({
        type: HuaweiFinishParams,
        nullable: true,
        resolve: (item) => (item.order ? finishParamsOf(item.order) : null),
      }),
      error: t.field({
        type: SyncPurchaseError,
        nullable: true,
        description: 'Why this item was not delivered (bad signature, revoked, …).',
        // A plain object: graphql-js would treat a returned Error instance as a field failure.
        resolve: (item) => (item.error ? { code: item.error.code, message: item.error.message, retryable: item.error.retryable } : null),
      }),
    }),
  });

  const SyncPurchasesPayload = builder.objectRef<{ items: SyncItemShape[] }>('SyncPurchasesPayload').implement({
    fields: (t) => ({ items: t.field({ type: [SyncPurchaseItem], resolve: (p) => p.items }) }),
  });

  const SyncPurchasesInput = builder.inputType('SyncPurchasesInput', {
    fields: (t) => ({
      purchaseDataList: t.stringList({
        required: true,
        description: 'queryPurchases(...).purchaseDataList: purchase orders and subscription statuses alike.',
      }),
      playerId: t.string(),
      storeAccountId: t.globalID({ for: [StoreAccountNode] }),
    }),
  });

  builder.mutationField('syncPurchases', (t) =>
    t.field({
      type: SyncPurchasesPayload,
      description: 'Huawei, at every app start: delivers whatever is missing and says what still needs finishing.',
      authScopes: { serverKey: true, player: true },
      errors: { types: purchaseErrors, union: { name: 'SyncPurchasesResult' } },
      args: { input: t.arg({ type: SyncPurchasesInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const playerId = resolvePlayerId(ctx, input.playerId);
        if (input.purchaseDataList.length > 100) {
          throw new ValidationError('At most 100 purchases per sync', [{ path: 'purchaseDataList', message: 'at most 100' }]);
        }
        const items = await flows(ctx).syncPurchases(scopedAppId(ctx), playerId, input.purchaseDataList, input.storeAccountId?.id);
        return {
          items: items.map((i) => ({
            index: i.index,
            order: i.delivery?.order ?? null,
            entitlements: i.delivery?.entitlements,
            newlyDelivered: i.delivery?.newlyDelivered ?? false,
            error: i.error,
          })),
        };
      },
    }),
  );

  const ReconcileHuaweiOrderInput = builder.inputType('ReconcileHuaweiOrderInput', {
    fields: (t) => ({ orderId: t.globalID({ required: true, for: [OrderNode] }) }),
  });

  const ReconcileHuaweiOrderPayload = builder.objectRef<{ order: Order }>('ReconcileHuaweiOrderPayload').implement({
    fields: (t) => ({
      order: t.prismaField({
        type: 'Order',
        resolve: async (query, { order }, _a, ctx) => (await ctx.services.orders.get(query, order.appId, order.id, null))!,
      }),
    }),
  });

  builder.mutationField('reconcileHuaweiOrder', (t) =>
    t.field({
      type: ReconcileHuaweiOrderPayload,
      description:
        "Server keys: re-reads an order's state (its subscription's, for auto-renewable orders) from Huawei's server API and applies refunds, revocations and renewals.",
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError, ...purchaseErrors], union: { name: 'ReconcileHuaweiOrderResult' } },
      args: { input: t.arg({ type: ReconcileHuaweiOrderInput, required: true }) },
      resolve: async (_root, { input }, ctx) => ({ order: await flows(ctx).reconcileOrder(scopedAppId(ctx), input.orderId.id) }),
    }),
  );
}

/** The Huawei part of createStoreAccount / updateStoreAccount. */
export function huaweiAccountInput(builder: Builder) {
  return builder.inputType('HuaweiAccountInput', {
    description: 'HarmonyOS IAP Kit. issuerId, keyId and privateKeyPem enable server-side delivery confirmation.',
    fields: (t) => ({
      applicationId: t.string({ description: 'AppGallery Connect app id; purchases must carry it.' }),
      issuerId: t.string(),
      keyId: t.string(),
      privateKeyPem: t.string({ description: 'Secret. The IAP server API key (PKCS#8 EC P-256 PEM).' }),
    }),
  });
}

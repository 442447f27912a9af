// The now.gg protocol: verification entry points and the server-side finish step.
import { AppError, PurchaseVerificationError } from '../../../platform/errors.js';
import { ProductType } from '../../../generated/prisma/enums.js';
import type { AckRequest, StoreAccountConfig } from '../../contract.js';
import { createNowggClient, serverConsumableTypes, type NowggClient, type NowggFinishOutcome } from './client.js';
import { CONSUME_DEVELOPER_PAYLOAD_KEY, parseNowggPurchaseType, PURCHASE_TYPE_PAYLOAD_KEY } from './purchase.js';

/**
 * Consumes a delivered one-time purchase (nowgg, xiaomi, onestore) or acknowledges a
 * subscription. "Already done" is success. Amazon and Huawei purchases through now.gg
 * can only be consumed by the client SDK, so asking the server to do it is a bug upstream.
 */
export async function acknowledgeNowggPurchase(
  account: StoreAccountConfig,
  request: AckRequest,
  client: NowggClient = createNowggClient(account),
): Promise<NowggFinishOutcome> {
  const { payload } = request;
  const type = parseNowggPurchaseType(stringField(payload, PURCHASE_TYPE_PAYLOAD_KEY));
  if (!serverConsumableTypes.has(type)) {
    throw new AppError(
      'CLIENT_FINISH_ONLY',
      `now.gg cannot consume ${type} purchases server-side (order ${request.storeOrderId}); the client consumes them with the now.gg SDK`,
    );
  }
  const purchaseToken = request.purchaseToken ?? stringField(payload, 'purchaseToken');
  if (!purchaseToken) {
    throw new PurchaseVerificationError(
      'MALFORMED_PURCHASE',
      `order ${request.storeOrderId} has no now.gg purchase token to consume with`,
    );
  }
  const ref = {
    purchaseToken,
    productId: request.storeProductId,
    currency: stringField(payload, 'currency'),
    type,
  };
  if (request.productType === ProductType.AUTO_RENEWABLE) return client.acknowledgePurchase(ref);
  const developerPayload = stringField(payload, CONSUME_DEVELOPER_PAYLOAD_KEY) ?? stringField(payload, 'developerPayload');
  return client.consumePurchase({ ...ref, developerPayload });
}

function stringField(payload: Record<string, unknown>, key: string): string | null {
  const value = payload[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

export {
  nowggAccountSecretsSchema,
  nowggAccountSettingsSchema,
  readNowggAccount,
  type NowggAccount,
  type NowggAccountSecrets,
  type NowggAccountSettings,
} from './account.js';
export { currencyMinorDigits, majorToMinorUnits } from './amount.js';
export {
  createNowggClient,
  NOWGG_DEFAULT_TIMEOUT_MS,
  NOWGG_PRODUCTION_BASE_URL,
  NowggClient,
  nowggPurchaseDataSchema,
  nowggPurchaseTypes,
  serverConsumableTypes,
  type NowggClientOptions,
  type NowggConsumeParams,
  type NowggFinishOutcome,
  type NowggPurchaseData,
  type NowggPurchaseRef,
  type NowggPurchaseType,
} from './client.js';
export { NowggCode, nowggErrorFor, type NowggOperation } from './codes.js';
export {
  CONSUME_DEVELOPER_PAYLOAD_KEY,
  parseNowggPurchaseType,
  PURCHASE_TYPE_PAYLOAD_KEY,
  toVerifiedPurchase,
  verifyNowggPurchase,
  type NowggFinishParams,
  type NowggPurchaseClaim,
} from './purchase.js';
export {
  authenticateNowggWebhook,
  NOWGG_WEBHOOK_SUCCESS_BODY,
  nowggNotificationTypes,
  parseNowggWebhook,
  readNowggWebhook,
  type NowggNotification,
  type NowggNotificationType,
  type NowggOrderNotification,
  type NowggUnknownNotification,
} from './webhook.js';

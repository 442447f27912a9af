// Huawei HarmonyOS IAP Kit (and Game Service Kit miniGamePay, which returns the same
// purchaseData). Protocol facts: docs/huawei.md and shared STORES.md.
import { PurchaseVerificationError } from '../../../platform/errors.js';
import type { AckRequest, StoreAccountConfig } from '../../contract.js';
import { confirmDelivery, type HuaweiClientOptions } from './client.js';
import { huaweiProductTypeOf, type HuaweiProductType } from './purchase.js';

function stringField(payload: Record<string, unknown>, field: string): string | null {
  const value = payload[field];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Server-side finish: confirms delivery with Huawei (credentials required). */
export async function acknowledgeHuaweiOrder(
  account: StoreAccountConfig,
  request: AckRequest,
  options: HuaweiClientOptions = {},
): Promise<void> {
  // The stored payload is the verified one; it fills gaps in older or partial ack requests.
  const productType = huaweiProductTypeOf(request.payload) ?? huaweiProductTypeFromCore(request);
  const purchaseToken = request.purchaseToken ?? stringField(request.payload, 'purchaseToken');
  if (productType === null || purchaseToken === null) {
    throw new PurchaseVerificationError(
      'MALFORMED_PURCHASE',
      `Order ${request.orderId} lacks the Huawei productType or purchaseToken needed to confirm delivery`,
    );
  }
  await confirmDelivery(account, { purchaseOrderId: request.storeOrderId, purchaseToken, productType }, options);
}

function huaweiProductTypeFromCore(request: AckRequest): HuaweiProductType | null {
  switch (request.productType) {
    case 'CONSUMABLE':
    case 'NON_CONSUMABLE':
    case 'AUTO_RENEWABLE':
    case 'NON_RENEWING':
      return request.productType;
    default:
      return null;
  }
}

export {
  HUAWEI_API_PATHS,
  HUAWEI_DEFAULT_API_BASE_URL,
  HUAWEI_DEFAULT_TIMEOUT_MS,
  confirmDelivery,
  queryOrderStatus,
  querySubscriptionStatus,
  type HuaweiClientOptions,
  type HuaweiConfirmOutcome,
  type HuaweiConfirmRequest,
  type HuaweiOrderReference,
} from './client.js';
export {
  HUAWEI_CRL_POLICIES,
  HuaweiCrlChecker,
  type CrlFetch,
  type CrlUnavailableEvent,
  type HuaweiCrlCheckerOptions,
  type HuaweiCrlPolicy,
} from './crl.js';
export {
  HUAWEI_LEAF_CERTIFICATE_OID,
  clearHuaweiChainCache,
  huaweiChainCacheStats,
  verifyHuaweiJws,
  type ChainCacheStats,
  type VerifiedHuaweiJws,
  type VerifyHuaweiJwsOptions,
} from './jws.js';
export {
  verifyHuaweiNotification,
  type HuaweiNotification,
  type HuaweiNotificationMetadata,
} from './notification.js';
export {
  HUAWEI_ENVIRONMENT_NAMES,
  HUAWEI_PRODUCT_TYPE_CODES,
  extractHuaweiProof,
  extractJwsPurchaseOrder,
  huaweiNonRenewingDurationMs,
  huaweiProductTypeOf,
  verifyHuaweiPurchase,
  verifyHuaweiPurchaseOrderJws,
  type HuaweiProductType,
  type HuaweiProof,
  type HuaweiPurchaseOrderPayload,
  type HuaweiPurchaseSubmission,
} from './purchase.js';
export {
  HUAWEI_SUBSCRIPTION_STATUS,
  huaweiSubscriptionKey,
  verifyHuaweiSubscriptionStatusJws,
  type HuaweiSubscriptionState,
} from './subscription.js';
export {
  HUAWEI_CBG_ROOT_CA_G2_PEM,
  HUAWEI_CBG_ROOT_CA_G2_SHA256,
  huaweiTrustSetFor,
  parseTrustedRootsPem,
  trustSetFromPem,
  type TrustSet,
  type TrustedRoot,
} from './roots.js';
export {
  huaweiAccountSecretsSchema,
  huaweiAccountSettingsSchema,
  readHuaweiAccount,
  type HuaweiAccount,
  type HuaweiAccountSecrets,
  type HuaweiAccountSettings,
  type HuaweiServerCredentials,
} from './settings.js';

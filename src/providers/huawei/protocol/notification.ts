// Huawei IAP server notifications v3: POST {"jwsNotification": "<JWS>"}. Verified with the
// same chain rules as purchases. Huawei retries non-200 answers, so callers dedupe on
// notificationRequestId and treat a notification as a trigger to query status, not as proof.
import { z } from 'zod';
import { PurchaseVerificationError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';
import { verifyHuaweiJws, type VerifyHuaweiJwsOptions } from './jws.js';
import { assertHuaweiAccountMatches } from './purchase.js';
import { huaweiTrustSetFor } from './roots.js';
import { readHuaweiAccount } from './settings.js';

const optionalString = z
  .union([z.string(), z.number()])
  .transform(String)
  .optional()
  .catch(undefined);

const notificationMetadataSchema = z.looseObject({
  environment: z.string(),
  applicationId: z.union([z.string().min(1), z.number()]).transform(String),
  type: optionalString,
  currentProductId: optionalString,
  subscriptionId: optionalString,
  purchaseToken: optionalString,
  purchaseOrderId: optionalString,
});

const notificationPayloadSchema = z.looseObject({
  notificationType: z.string().min(1),
  notificationSubtype: z.string().optional(),
  notificationRequestId: z.string().min(1),
  notificationMetaData: notificationMetadataSchema,
  signedTime: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(Number).optional(),
});

const notificationBodySchema = z.object({ jwsNotification: z.string().min(1) });

export interface HuaweiNotificationMetadata {
  /** Huawei's name: NORMAL or SANDBOX. */
  environment: string;
  applicationId: string;
  type: string | null;
  currentProductId: string | null;
  subscriptionId: string | null;
  purchaseToken: string | null;
  purchaseOrderId: string | null;
  /** Everything Huawei sent in notificationMetaData, including fields not named above. */
  raw: Record<string, unknown>;
}

export interface HuaweiNotification {
  /** DID_NEW_TRANSACTION, DID_CHANGE_RENEWAL_STATUS, REVOKE, RENEWAL_TIME_MODIFIED, EXPIRE, TEST, or newer ones. */
  notificationType: string;
  notificationSubtype: string | null;
  /** Dedupe key: Huawei re-sends the same id until it gets HTTP 200. */
  notificationRequestId: string;
  signedAt: Date | null;
  metadata: HuaweiNotificationMetadata;
  /** The verified decoded payload, JSON-safe. */
  payload: Record<string, unknown>;
}

function parseBody(body: string | Record<string, unknown>): string {
  let candidate: unknown = body;
  if (typeof body === 'string') {
    try {
      candidate = JSON.parse(body);
    } catch (error) {
      throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'Huawei notification body is not JSON', { cause: error });
    }
  }
  const parsed = notificationBodySchema.safeParse(candidate);
  if (!parsed.success) throw new PurchaseVerificationError('MALFORMED_PURCHASE', 'Huawei notification body has no jwsNotification');
  return parsed.data.jwsNotification;
}

/** Verifies and decodes a v3 notification body (raw text or parsed JSON) for this account. */
export async function verifyHuaweiNotification(
  account: StoreAccountConfig,
  body: string | Record<string, unknown>,
  options: VerifyHuaweiJwsOptions = {},
): Promise<HuaweiNotification> {
  const { applicationId } = readHuaweiAccount(account);
  const { payload } = await verifyHuaweiJws(parseBody(body), huaweiTrustSetFor(account), options);
  const parsed = notificationPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new PurchaseVerificationError('MALFORMED_PURCHASE', `Huawei notification payload: ${z.prettifyError(parsed.error)}`);
  }
  const notification = parsed.data;
  const metadata = notification.notificationMetaData;
  assertHuaweiAccountMatches(account, applicationId, metadata);
  return {
    notificationType: notification.notificationType,
    notificationSubtype: notification.notificationSubtype ?? null,
    notificationRequestId: notification.notificationRequestId,
    signedAt: notification.signedTime === undefined ? null : new Date(notification.signedTime),
    metadata: {
      environment: metadata.environment,
      applicationId: metadata.applicationId,
      type: metadata.type ?? null,
      currentProductId: metadata.currentProductId ?? null,
      subscriptionId: metadata.subscriptionId ?? null,
      purchaseToken: metadata.purchaseToken ?? null,
      purchaseOrderId: metadata.purchaseOrderId ?? null,
      raw: isRecord(payload.notificationMetaData) ? payload.notificationMetaData : {},
    },
    payload,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

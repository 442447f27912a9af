// now.gg webhooks (subscription status and webshop callbacks). now.gg signs nothing: the
// only proof of origin is the Webhook API Key it sends raw in the Authorization header.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { StoreEnvironment } from '../../../generated/prisma/enums.js';
import { ForbiddenError, PurchaseVerificationError, StoreAccountError, ValidationError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';
import { readNowggAccount } from './account.js';
import { majorToMinorUnits } from './amount.js';
import { isRecord, toBoolean, toInteger } from './client.js';
import { assertSameApplication } from './purchase.js';

/**
 * SUBSCRIPTION_PURCHASED / SUBSCRIPTION_RENEWED: access runs until `expiresAt`.
 * SUBSCRIPTION_CANCELLED: renewal stopped; now.gg does not say the money was refunded, so
 *   this is not a revocation: access stays until `expiresAt`.
 * SUBSCRIPTION_EXPIRED: access ends.
 * WEBSHOP_ITEM_PURCHASED: a web-shop order was paid; grant it like a verified purchase.
 */
export const nowggNotificationTypes = [
  'SUBSCRIPTION_PURCHASED',
  'SUBSCRIPTION_RENEWED',
  'SUBSCRIPTION_CANCELLED',
  'SUBSCRIPTION_EXPIRED',
  'WEBSHOP_ITEM_PURCHASED',
] as const;
export type NowggNotificationType = (typeof nowggNotificationTypes)[number];

/** now.gg retries until it gets HTTP 200 with exactly this body. */
export const NOWGG_WEBHOOK_SUCCESS_BODY = { success: true } as const;

export interface NowggOrderNotification {
  type: NowggNotificationType;
  /** Stable per notification, for dedupe of now.gg's retries: type, order and event time. */
  idempotencyKey: string;
  storeOrderId: string;
  storeProductId: string;
  eventTime: Date;
  /** End (or next renewal) of the paid period, when now.gg tells it. */
  expiresAt: Date | null;
  amountMinor: bigint | null;
  currency: string | null;
  /** From isTestOrder; null when the notification does not say (webshop callback). */
  environment: StoreEnvironment | null;
  developerPayload: string | null;
  purchaseToken: string | null;
  /** The notification's data as received, JSON-safe. */
  payload: Record<string, unknown>;
}

/** A notification type this version does not know: record it, answer 200, act on nothing. */
export interface NowggUnknownNotification {
  type: 'UNKNOWN';
  notificationType: string;
  idempotencyKey: string;
  payload: Record<string, unknown>;
}

export type NowggNotification = NowggOrderNotification | NowggUnknownNotification;

const integerLike = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);

const envelopeSchema = z.object({
  notificationType: z.string().min(1),
  data: z.unknown(),
});

const orderDataSchema = z.looseObject({
  orderId: z.string().min(1),
  productId: z.string().min(1),
  eventTime: integerLike,
  expiryTime: integerLike.nullish(),
  amount: z.union([z.number(), z.string()]).nullish(),
  currency: z.string().nullish(),
  isTestOrder: z.union([z.boolean(), z.enum(['true', 'false'])]).nullish(),
  developerPayload: z.string().nullish(),
  purchaseToken: z.string().nullish(),
  packageName: z.string().nullish(),
  appId: z.union([z.string(), z.number()]).nullish(),
});

/** Throws unless `authorization` is the account's Webhook API Key. */
export function authenticateNowggWebhook(account: StoreAccountConfig, authorization: string | null | undefined): void {
  const { secrets } = readNowggAccount(account);
  if (!secrets.webhookApiKey) {
    throw new StoreAccountError(
      'STORE_CREDENTIALS_MISSING',
      `now.gg store account ${account.id} has no secrets.webhookApiKey; copy it from nowStudio to accept webhooks`,
    );
  }
  if (!authorization) throw new ForbiddenError('now.gg webhook rejected: no Authorization header');
  // Hashing first gives equal-length inputs, so the comparison leaks neither content nor length.
  if (!timingSafeEqual(sha256(authorization), sha256(secrets.webhookApiKey))) {
    throw new ForbiddenError('now.gg webhook rejected: the Authorization header is not this account\'s Webhook API Key');
  }
}

/** Parses and checks an authenticated webhook body. */
export function parseNowggWebhook(account: StoreAccountConfig, rawBody: string): NowggNotification {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new ValidationError('now.gg webhook body is not JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new ValidationError('now.gg webhook body needs notificationType and data', zodFieldErrors(envelope.error));
  }
  const { notificationType } = envelope.data;
  const payload = isRecord(envelope.data.data) ? envelope.data.data : {};
  const type = nowggNotificationTypes.find((known) => known === notificationType);
  if (!type) {
    return {
      type: 'UNKNOWN',
      notificationType,
      idempotencyKey: `nowgg:${notificationType}:${sha256(rawBody).toString('hex')}`,
      payload,
    };
  }

  const parsed = orderDataSchema.safeParse(payload);
  if (!parsed.success) {
    throw new ValidationError(`now.gg ${type} webhook has invalid data`, zodFieldErrors(parsed.error, 'data'));
  }
  const data = parsed.data;
  const { settings } = readNowggAccount(account);
  assertSameApplication(settings, data, `${type} webhook for order ${data.orderId}`, 'allow');
  const environment = data.isTestOrder == null
    ? null
    : toBoolean(data.isTestOrder) ? StoreEnvironment.SANDBOX : StoreEnvironment.PRODUCTION;
  if (environment !== null && environment !== account.environment) {
    throw new PurchaseVerificationError(
      'WRONG_ENVIRONMENT',
      `now.gg ${type} webhook for order ${data.orderId} is ${environment} but store account ${account.id} is ${account.environment}`,
    );
  }
  const eventTimeMillis = toInteger(data.eventTime);
  return {
    type,
    idempotencyKey: `nowgg:${type}:${data.orderId}:${eventTimeMillis}`,
    storeOrderId: data.orderId,
    storeProductId: data.productId,
    eventTime: new Date(eventTimeMillis),
    expiresAt: data.expiryTime == null ? null : new Date(toInteger(data.expiryTime)),
    amountMinor: webhookAmount(type, data.orderId, data.amount, data.currency),
    currency: data.currency ?? null,
    environment,
    developerPayload: data.developerPayload ?? null,
    purchaseToken: data.purchaseToken ?? null,
    payload,
  };
}

/** Authenticates, then parses: what an HTTP route calls with the raw request. */
export function readNowggWebhook(
  account: StoreAccountConfig,
  request: { authorization: string | null | undefined; body: string },
): NowggNotification {
  authenticateNowggWebhook(account, request.authorization);
  return parseNowggWebhook(account, request.body);
}

function webhookAmount(
  type: NowggNotificationType,
  orderId: string,
  amount: number | string | null | undefined,
  currency: string | null | undefined,
): bigint | null {
  if (amount == null || amount === '' || !currency) return null;
  try {
    return majorToMinorUnits(amount, currency);
  } catch (error) {
    throw new ValidationError(
      `now.gg ${type} webhook for order ${orderId} has an unusable amount: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function zodFieldErrors(error: z.ZodError, prefix?: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.') || '(root)',
    message: issue.message,
  }));
}

// now.gg Payments API (v2) client: form-encoded POSTs, raw-key Authorization, and the
// {success, code, codeMsg, data} envelope that now.gg returns with HTTP 200 even on errors.
import { apiBaseUrlRefused } from '../../api-base-url.js';
import { isOutboundRefusal, strictOutbound, type OutboundGuard } from '../../../platform/outbound-url.js';
import { z } from 'zod';
import { PurchaseVerificationError, StoreUnavailableError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';
import { readNowggAccount } from './account.js';
import { NowggCode, nowggErrorFor, type NowggOperation } from './codes.js';

export const NOWGG_PRODUCTION_BASE_URL = 'https://payments-api.now.gg/';
export const NOWGG_DEFAULT_TIMEOUT_MS = 10_000;

/** now.gg's own store and the multistore partners, as spelled on the wire. */
export const nowggPurchaseTypes = ['nowgg', 'xiaomi', 'onestore', 'amazon', 'huawei'] as const;
export type NowggPurchaseType = (typeof nowggPurchaseTypes)[number];

/** Types whose purchases now.gg can consume server-side; amazon and huawei are consumed by the client SDK. */
export const serverConsumableTypes: ReadonlySet<NowggPurchaseType> = new Set(['nowgg', 'xiaomi', 'onestore']);

const integerLike = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
const booleanLike = z.union([z.boolean(), z.enum(['true', 'false'])]);

/** verifyPurchase `data`. Loose: unknown fields are kept so the payload stays the store's own. */
export const nowggPurchaseDataSchema = z.looseObject({
  orderId: z.string().min(1),
  productId: z.string().min(1),
  /** 0 purchased (Google Play semantics, which now.gg mirrors); anything else is not paid. */
  purchaseState: integerLike,
  /** 0 not yet consumed, 1 consumed. */
  consumptionState: integerLike.nullish(),
  /** Subscriptions: 0 not yet acknowledged, 1 acknowledged (when now.gg reports it). */
  acknowledgementState: integerLike.nullish(),
  /** Major units as a decimal string, e.g. "25.15". */
  orderAmount: z.union([z.string(), z.number()]).nullish(),
  currency: z.string().nullish(),
  developerPayload: z.string().nullish(),
  isTestOrder: booleanLike,
  /** Epoch milliseconds; purchaseTimeMillis is the deprecated spelling. */
  purchaseTime: integerLike.nullish(),
  purchaseTimeMillis: integerLike.nullish(),
  /** Subscriptions: epoch milliseconds when the paid period ends. */
  expiryTime: integerLike.nullish(),
  packageName: z.string().nullish(),
  appId: z.union([z.string(), z.number()]).nullish(),
  regionCode: z.string().nullish(),
  kind: z.string().nullish(),
});
export type NowggPurchaseData = z.infer<typeof nowggPurchaseDataSchema>;

export function toInteger(value: number | string): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

export function toBoolean(value: boolean | 'true' | 'false'): boolean {
  return value === true || value === 'true';
}

const envelopeSchema = z.object({
  code: integerLike,
  codeMsg: z.string().nullish(),
  data: z.unknown(),
});

interface NowggEnvelope {
  code: number;
  codeMsg: string;
  data: Record<string, unknown>;
}

export interface NowggClientOptions {
  paymentsApiKey: string;
  /** Defaults to now.gg production; sandbox and tests point elsewhere. */
  baseUrl?: string | null | undefined;
  /** The gate calls go through (the server's outbound policy); absent: public https only. */
  outbound?: OutboundGuard | undefined;
  timeoutMs?: number | null | undefined;
  /** consumePurchase codes that mean "already consumed" (none documented by now.gg). */
  alreadyConsumedCodes?: Iterable<number> | null | undefined;
  /** acknowledgepurchase codes that mean "already acknowledged" (none documented by now.gg). */
  alreadyAcknowledgedCodes?: Iterable<number> | null | undefined;
}

export interface NowggPurchaseRef {
  purchaseToken: string;
  /** Multistore only (xiaomi, onestore, amazon, huawei); ignored for now.gg's own store. */
  productId?: string | null | undefined;
  currency?: string | null | undefined;
  type?: NowggPurchaseType | null | undefined;
}

export interface NowggConsumeParams extends NowggPurchaseRef {
  developerPayload?: string | null | undefined;
}

/** DONE: the store did it now. ALREADY_DONE: it had been done before (a retry). Both are success. */
export type NowggFinishOutcome = 'DONE' | 'ALREADY_DONE';

// Failures that an earlier, successful finish plausibly produces. On these we ask
// verifyPurchase whether the purchase is in fact finished before reporting an error.
const consumeFailuresWorthRechecking: ReadonlySet<number> = new Set([
  NowggCode.ERROR_CONSUMING_PRODUCT,
  NowggCode.INVALID_PURCHASE_TOKEN,
]);
const acknowledgeFailuresWorthRechecking: ReadonlySet<number> = new Set([
  NowggCode.INVALID_PURCHASE_TOKEN,
  NowggCode.NO_VALID_SUBSCRIPTION_FOUND,
  NowggCode.INVALID_SUBSCRIPTION_OPERATION,
  NowggCode.SUBSCRIPTION_INACTIVE,
  NowggCode.ACTIVE_SUBSCRIPTION_ALREADY_EXISTS,
]);

export class NowggClient {
  readonly #apiKey: string;
  readonly #baseUrl: URL;
  readonly #timeoutMs: number;
  readonly #outbound: OutboundGuard;
  readonly #alreadyConsumedCodes: ReadonlySet<number>;
  readonly #alreadyAcknowledgedCodes: ReadonlySet<number>;

  constructor(options: NowggClientOptions) {
    this.#apiKey = options.paymentsApiKey;
    const base = options.baseUrl ?? NOWGG_PRODUCTION_BASE_URL;
    // Request paths are relative ("v2/…"), so the base must end with "/" to keep its own path.
    this.#baseUrl = new URL(base.endsWith('/') ? base : `${base}/`);
    this.#timeoutMs = options.timeoutMs ?? NOWGG_DEFAULT_TIMEOUT_MS;
    this.#outbound = options.outbound ?? strictOutbound();
    this.#alreadyConsumedCodes = new Set(options.alreadyConsumedCodes ?? []);
    this.#alreadyAcknowledgedCodes = new Set(options.alreadyAcknowledgedCodes ?? []);
  }

  /** POST v2/seller/order/verifyPurchase. Resolves with the validated purchase data. */
  async verifyPurchase(ref: NowggPurchaseRef): Promise<NowggPurchaseData> {
    const envelope = await this.#call('verifyPurchase', 'v2/seller/order/verifyPurchase', purchaseRefForm(ref));
    if (envelope.code !== NowggCode.SUCCESS) throw nowggErrorFor('verifyPurchase', envelope.code, envelope.codeMsg);
    const parsed = nowggPurchaseDataSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new PurchaseVerificationError('MALFORMED_PURCHASE', `now.gg verifyPurchase answered without valid fields: ${fields}`);
    }
    return parsed.data;
  }

  /** POST v2/order/consumePurchase. "Already consumed" resolves ALREADY_DONE. */
  async consumePurchase(params: NowggConsumeParams): Promise<NowggFinishOutcome> {
    const form = purchaseRefForm(params);
    if (params.developerPayload) form.set('developerPayload', params.developerPayload);
    const envelope = await this.#call('consumePurchase', 'v2/order/consumePurchase', form);
    return this.#finishOutcome('consumePurchase', envelope, params, {
      alreadyDoneCodes: this.#alreadyConsumedCodes,
      recheckCodes: consumeFailuresWorthRechecking,
      isFinished: (data) => data.consumptionState != null && toInteger(data.consumptionState) === 1,
    });
  }

  /** POST v2/seller/order/acknowledgepurchase (subscriptions). "Already acknowledged" resolves ALREADY_DONE. */
  async acknowledgePurchase(ref: NowggPurchaseRef): Promise<NowggFinishOutcome> {
    const envelope = await this.#call('acknowledgePurchase', 'v2/seller/order/acknowledgepurchase', purchaseRefForm(ref));
    return this.#finishOutcome('acknowledgePurchase', envelope, ref, {
      alreadyDoneCodes: this.#alreadyAcknowledgedCodes,
      recheckCodes: acknowledgeFailuresWorthRechecking,
      isFinished: (data) => data.acknowledgementState != null && toInteger(data.acknowledgementState) === 1,
    });
  }

  async #finishOutcome(
    operation: NowggOperation,
    envelope: NowggEnvelope,
    ref: NowggPurchaseRef,
    rules: {
      alreadyDoneCodes: ReadonlySet<number>;
      recheckCodes: ReadonlySet<number>;
      isFinished: (data: NowggPurchaseData) => boolean;
    },
  ): Promise<NowggFinishOutcome> {
    if (envelope.code === NowggCode.SUCCESS) return 'DONE';
    if (rules.alreadyDoneCodes.has(envelope.code)) return 'ALREADY_DONE';
    const failure = nowggErrorFor(operation, envelope.code, envelope.codeMsg);
    if (rules.recheckCodes.has(envelope.code) && (await this.#storeSaysFinished(ref, rules.isFinished))) {
      return 'ALREADY_DONE';
    }
    throw failure;
  }

  // A failed re-check is not news: the caller reports the original finish error instead.
  async #storeSaysFinished(ref: NowggPurchaseRef, isFinished: (data: NowggPurchaseData) => boolean): Promise<boolean> {
    try {
      return isFinished(await this.verifyPurchase(ref));
    } catch {
      return false;
    }
  }

  async #call(operation: NowggOperation, path: string, form: URLSearchParams): Promise<NowggEnvelope> {
    const url = new URL(path, this.#baseUrl);
    let status: number;
    let text: string;
    try {
      const response = await this.#outbound.fetch(url, {
        method: 'POST',
        headers: {
          Authorization: this.#apiKey,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        body: form,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (isOutboundRefusal(error)) throw apiBaseUrlRefused();
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new StoreUnavailableError(
        timedOut
          ? `now.gg ${operation} did not answer within ${this.#timeoutMs} ms`
          : `now.gg ${operation} could not be reached: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (status >= 500) throw new StoreUnavailableError(`now.gg ${operation} answered HTTP ${status}`);
    const envelope = parseEnvelope(text);
    if (!envelope) {
      throw new StoreUnavailableError(`now.gg ${operation} answered HTTP ${status} without a now.gg JSON envelope`);
    }
    return envelope;
  }
}

/** A client for one store account: its key, its base URL override and its settings. */
export function createNowggClient(account: StoreAccountConfig, options: { timeoutMs?: number } = {}): NowggClient {
  const { settings, secrets } = readNowggAccount(account);
  return new NowggClient({
    paymentsApiKey: secrets.paymentsApiKey,
    baseUrl: account.apiBaseUrl,
    outbound: account.outbound,
    timeoutMs: options.timeoutMs ?? settings.requestTimeoutMs,
    alreadyConsumedCodes: settings.alreadyConsumedCodes,
    alreadyAcknowledgedCodes: settings.alreadyAcknowledgedCodes,
  });
}

function isMultistore(type: NowggPurchaseType | null | undefined): type is Exclude<NowggPurchaseType, 'nowgg'> {
  return type != null && type !== 'nowgg';
}

// now.gg's own store needs only the token (productId/type are deprecated there); the
// multistore partners also need productId, currency and type. The seed says to pass
// the literal null when the currency is unknown.
function purchaseRefForm(ref: NowggPurchaseRef): URLSearchParams {
  const form = new URLSearchParams({ purchaseToken: ref.purchaseToken });
  if (isMultistore(ref.type)) {
    if (ref.productId) form.set('productId', ref.productId);
    form.set('currency', ref.currency ?? 'null');
    form.set('type', ref.type);
  }
  return form;
}

function parseEnvelope(text: string): NowggEnvelope | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return null;
  const { code, codeMsg, data } = parsed.data;
  return {
    code: toInteger(code),
    codeMsg: codeMsg ?? '',
    data: isRecord(data) ? data : {},
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

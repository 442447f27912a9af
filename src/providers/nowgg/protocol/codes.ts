// now.gg Payments API result codes and how each becomes a typed ZeroDrop error.
// now.gg answers HTTP 200 even on failure; the `code` field is the only verdict.
import { AppError, PurchaseVerificationError, StoreRejectedError } from '../../../platform/errors.js';

export const NowggCode = {
  SUCCESS: 0,
  ERROR_CONSUMING_PRODUCT: 3800,
  INVALID_AUTHORIZATION_KEY: 3900,
  INVALID_PURCHASE_TOKEN: 3901,
  NO_VALID_SUBSCRIPTION_FOUND: 5001,
  INVALID_SUBSCRIPTION_OPERATION: 5002,
  SUBSCRIPTION_INACTIVE: 5004,
  ACTIVE_SUBSCRIPTION_ALREADY_EXISTS: 5006,
  MULTISTORE_UNKNOWN_ERROR: 5014,
  MULTISTORE_AUTH_ERROR: 5015,
} as const;

export type NowggOperation = 'verifyPurchase' | 'consumePurchase' | 'acknowledgePurchase';

interface CodeMapping {
  /** ZeroDrop error code exposed to API clients and recorded on tasks. */
  errorCode: string;
  retryable: boolean;
  explanation: string;
}

const mappings: ReadonlyMap<number, CodeMapping> = new Map([
  [NowggCode.ERROR_CONSUMING_PRODUCT, {
    errorCode: 'STORE_CONSUME_FAILED',
    retryable: true,
    explanation: 'now.gg could not consume the product (ERROR_CONSUMING_PRODUCT); retry later',
  }],
  [NowggCode.INVALID_AUTHORIZATION_KEY, {
    errorCode: 'INVALID_STORE_CREDENTIALS',
    retryable: false,
    explanation: 'now.gg rejected the Payments API key (INVALID_AUTHORIZATION_KEY); update secrets.paymentsApiKey from nowStudio > Credentials',
  }],
  [NowggCode.NO_VALID_SUBSCRIPTION_FOUND, {
    errorCode: 'SUBSCRIPTION_NOT_FOUND',
    retryable: false,
    explanation: 'now.gg found no valid subscription for this purchase token (NO_VALID_SUBSCRIPTION_FOUND)',
  }],
  [NowggCode.INVALID_SUBSCRIPTION_OPERATION, {
    errorCode: 'INVALID_SUBSCRIPTION_OPERATION',
    retryable: false,
    explanation: 'now.gg says this subscription operation is not valid (INVALID_SUBSCRIPTION_OPERATION)',
  }],
  [NowggCode.SUBSCRIPTION_INACTIVE, {
    errorCode: 'SUBSCRIPTION_INACTIVE',
    retryable: false,
    explanation: 'now.gg says the subscription is inactive (SUBSCRIPTION_INACTIVE)',
  }],
  [NowggCode.ACTIVE_SUBSCRIPTION_ALREADY_EXISTS, {
    errorCode: 'ACTIVE_SUBSCRIPTION_ALREADY_EXISTS',
    retryable: false,
    explanation: 'now.gg says an active subscription already exists (ACTIVE_SUBSCRIPTION_ALREADY_EXISTS)',
  }],
  [NowggCode.MULTISTORE_UNKNOWN_ERROR, {
    errorCode: 'MULTISTORE_UNKNOWN_ERROR',
    retryable: true,
    explanation: 'the partner store behind now.gg multistore failed (MULTISTORE_UNKNOWN_ERROR); retry later',
  }],
  [NowggCode.MULTISTORE_AUTH_ERROR, {
    errorCode: 'MULTISTORE_AUTH_ERROR',
    retryable: true,
    explanation: 'now.gg could not authenticate with the partner store (MULTISTORE_AUTH_ERROR); retry later, and if it persists check the multistore credentials in nowStudio',
  }],
]);

/** The typed error for a non-zero now.gg code. */
export function nowggErrorFor(operation: NowggOperation, code: number, codeMsg: string): AppError {
  const detail = codeMsg ? ` [${code} ${codeMsg}]` : ` [${code}]`;
  if (code === NowggCode.INVALID_PURCHASE_TOKEN) {
    return new PurchaseVerificationError(
      'INVALID_PURCHASE_TOKEN',
      `now.gg ${operation}: the purchase token is not valid for this app (INVALID_PURCHASE_TOKEN)${detail}`,
    );
  }
  const mapping = mappings.get(code);
  if (mapping) {
    return new StoreRejectedError(mapping.errorCode, String(code), `now.gg ${operation}: ${mapping.explanation}${detail}`, {
      retryable: mapping.retryable,
    });
  }
  return new StoreRejectedError('STORE_ERROR', String(code), `now.gg ${operation} failed with unmapped code${detail}`);
}

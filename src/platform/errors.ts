// Typed errors. Only subclasses of AppError are exposed through GraphQL (plugin-errors
// lists them explicitly); every other exception stays masked by Yoga.

export class AppError extends Error {
  /** Stable machine-readable code, e.g. "BAD_SIGNATURE". */
  readonly code: string;
  /** True when the same request may succeed later (store or database outage). */
  readonly retryable: boolean;
  constructor(code: string, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends AppError {
  readonly fieldErrors: FieldError[];
  constructor(message: string, fieldErrors: FieldError[] = []) {
    super('VALIDATION_FAILED', message);
    this.fieldErrors = fieldErrors;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', `Rate limit exceeded for this API key; retry in ${retryAfterSeconds}s`, {
      retryable: true,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Codes for proofs of purchase that we refuse. Nothing is written when one is thrown. */
export type VerificationCode =
  | 'MALFORMED_PURCHASE'
  | 'BAD_SIGNATURE'
  | 'UNSUPPORTED_ALGORITHM'
  | 'UNTRUSTED_CERTIFICATE'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_REVOKED'
  | 'WRONG_APPLICATION'
  | 'WRONG_ENVIRONMENT'
  | 'WRONG_PRODUCT'
  | 'INVALID_PURCHASE_TOKEN'
  | 'PURCHASE_NOT_PAID'
  | 'STALE_TIMESTAMP';

export class PurchaseVerificationError extends AppError {
  constructor(code: VerificationCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The store revoked (refunded) the purchase. The order is recorded as REVOKED; nothing is granted. */
export class PurchaseRevokedError extends AppError {
  readonly orderId: string | null;
  constructor(message: string, orderId: string | null = null) {
    super('PURCHASE_REVOKED', message);
    this.orderId = orderId;
  }
}

/** The store could not be reached or answered 5xx / timed out. Safe to retry. */
export class StoreUnavailableError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, { retryable: true, ...options });
  }
}

/** The store answered with an error code we map (e.g. now.gg 3900, Huawei 1001880011). */
export class StoreRejectedError extends AppError {
  readonly storeCode: string;
  constructor(code: string, storeCode: string, message: string, options?: { retryable?: boolean }) {
    super(code, message, options);
    this.storeCode = storeCode;
  }
}

/**
 * The store account is missing, ambiguous, lacks the credentials an operation needs, or
 * its apiBaseUrl is refused by the outbound request policy.
 */
export class StoreAccountError extends AppError {
  constructor(
    code: 'STORE_ACCOUNT_NOT_FOUND' | 'STORE_ACCOUNT_AMBIGUOUS' | 'STORE_CREDENTIALS_MISSING' | 'STORE_API_URL_REFUSED',
    message: string,
  ) {
    super(code, message);
  }
}

/** The database is unreachable or overloaded. Safe to retry; nothing was written. */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'The database is unavailable; nothing was written. Retry shortly.', options?: { cause?: unknown }) {
    super('SERVICE_UNAVAILABLE', message, { retryable: true, ...options });
  }
}

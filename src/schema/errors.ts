// Typed errors in results. Each AppError subclass listed here becomes an object type
// implementing `Error`; mutations list the ones they can return.
import {
  AppError,
  ConflictError,
  NotFoundError,
  PurchaseRevokedError,
  PurchaseVerificationError,
  RateLimitedError,
  ServiceUnavailableError,
  StoreAccountError,
  StoreRejectedError,
  StoreUnavailableError,
  ValidationError,
  type FieldError,
} from '../platform/errors.js';
import type { Builder } from './builder.js';

/** The errors any purchase-submitting mutation can return. */
export const purchaseErrors = [
  ValidationError,
  PurchaseVerificationError,
  PurchaseRevokedError,
  StoreUnavailableError,
  StoreRejectedError,
  StoreAccountError,
  ConflictError,
  ServiceUnavailableError,
];

export function registerErrors(builder: Builder) {
  const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
    description: 'Every typed error has a stable code and a human-readable message.',
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      retryable: t.exposeBoolean('retryable', { description: 'The same request may succeed later.' }),
    }),
  });

  const FieldErrorRef = builder.objectRef<FieldError>('FieldError').implement({
    fields: (t) => ({ path: t.exposeString('path'), message: t.exposeString('message') }),
  });

  builder.objectType(ValidationError, {
    name: 'ValidationError',
    description: 'The input is invalid; nothing was written.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ValidationError,
  });
  builder.objectFields(ValidationError, (t) => ({
    fieldErrors: t.field({ type: [FieldErrorRef], resolve: (e) => e.fieldErrors }),
  }));
  builder.objectType(NotFoundError, {
    name: 'NotFoundError',
    description: 'No such object in this app.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof NotFoundError,
  });
  builder.objectType(ConflictError, {
    name: 'ConflictError',
    description: 'The request conflicts with existing state.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ConflictError,
  });
  builder.objectType(RateLimitedError, {
    name: 'RateLimitedError',
    description: 'Too many requests for this API key.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof RateLimitedError,
  });
  builder.objectType(PurchaseVerificationError, {
    name: 'PurchaseVerificationError',
    description: 'The store proof was refused (bad signature, untrusted chain, wrong app or environment, malformed, …). Nothing was written.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof PurchaseVerificationError,
  });
  builder.objectType(PurchaseRevokedError, {
    name: 'PurchaseRevokedError',
    description: 'The store revoked this purchase; it was recorded, not granted.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof PurchaseRevokedError,
  });
  builder.objectFields(PurchaseRevokedError, (t) => ({
    orderId: t.exposeID('orderId', { nullable: true }),
  }));
  builder.objectType(StoreUnavailableError, {
    name: 'StoreUnavailableError',
    description: 'The store could not be reached; retry later. Nothing was written.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof StoreUnavailableError,
  });
  builder.objectType(StoreRejectedError, {
    name: 'StoreRejectedError',
    description: 'The store answered with an error code.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof StoreRejectedError,
  });
  builder.objectFields(StoreRejectedError, (t) => ({ storeCode: t.exposeString('storeCode') }));
  builder.objectType(StoreAccountError, {
    name: 'StoreAccountError',
    description: 'The store account is missing, ambiguous or lacks credentials.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof StoreAccountError,
  });
  builder.objectType(ServiceUnavailableError, {
    name: 'ServiceUnavailableError',
    description: 'The database is unavailable; retry. Nothing was written.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ServiceUnavailableError,
  });

  return { ErrorInterface };
}

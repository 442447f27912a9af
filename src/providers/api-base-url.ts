// What a store client reports when the outbound policy refuses its account's apiBaseUrl.
import { StoreAccountError } from '../platform/errors.js';

/** Not retryable: the same URL is refused every time until the account is changed. */
export function apiBaseUrlRefused(): StoreAccountError {
  return new StoreAccountError(
    'STORE_API_URL_REFUSED',
    "The store account's apiBaseUrl points to an address outbound requests may not reach",
  );
}

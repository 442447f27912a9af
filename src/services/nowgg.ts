import type { ServiceDeps } from './index.js';
import type { StoreAccountsService } from './store-accounts.js';

/** Nowgg purchase flows: verify with the provider, record through the fulfilment core. */
export function createNowggService(deps: ServiceDeps, storeAccounts: StoreAccountsService) {
  void deps;
  void storeAccounts;
  return {};
}

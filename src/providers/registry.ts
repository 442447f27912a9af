// One module per store behind one interface (Vendure's payment-handler shape).
import type { z } from 'zod';
import type { Store } from '../generated/prisma/enums.js';
import type { StoreProvider } from './contract.js';

export interface ProviderModule {
  provider: StoreProvider;
  /** Non-secret store-account settings. */
  settingsSchema: z.ZodType<Record<string, unknown>>;
  /** Secret store-account fields (sealed at rest). */
  secretsSchema: z.ZodType<Record<string, unknown>>;
}

const modules = new Map<Store, ProviderModule>();

export function registerProvider(store: Store, module: ProviderModule): void {
  modules.set(store, module);
}

export function providerFor(store: Store): ProviderModule {
  const module = modules.get(store);
  if (!module) throw new Error(`no provider registered for ${store}`);
  return module;
}

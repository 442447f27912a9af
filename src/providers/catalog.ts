// The store modules an app was given, looked up by their Store value or path key, and
// the flows built from them once per app.
import type { Store } from '../generated/prisma/enums.js';
import type { StoreDeps, StoreModule } from './contract.js';

export class StoreCatalog {
  readonly #byStore = new Map<Store, StoreModule>();
  readonly #byKey = new Map<string, StoreModule>();

  constructor(readonly modules: readonly StoreModule[]) {
    for (const module of modules) {
      if (this.#byStore.has(module.store) || this.#byKey.has(module.key)) {
        throw new Error(`store ${module.store} (${module.key}) given twice`);
      }
      if (!/^[a-z][a-z0-9]*$/.test(module.key)) throw new Error(`store key ${module.key} must be lower-case letters and digits`);
      this.#byStore.set(module.store, module);
      this.#byKey.set(module.key, module);
    }
  }

  /** The module of a store this app was given; a store it was not given is a bug. */
  get(store: Store): StoreModule {
    const module = this.#byStore.get(store);
    if (!module) throw new Error(`no store module for ${store}`);
    return module;
  }

  has(store: Store): boolean {
    return this.#byStore.has(store);
  }

  byKey(key: string): StoreModule | undefined {
    return this.#byKey.get(key);
  }

  /** Every store's secret field names (write-only in the API, redacted in logs). */
  secretNames(): string[] {
    return [...new Set(this.modules.flatMap((module) => module.account.secretNames))];
  }
}

/** Each store module's flows, built once from the app's services. */
export class StoreFlows {
  readonly #flows = new Map<StoreModule, unknown>();

  constructor(readonly catalog: StoreCatalog, deps: StoreDeps) {
    for (const module of catalog.modules) this.#flows.set(module, module.createFlows(deps));
  }

  flowsOf<Flows>(module: StoreModule<Flows>): Flows {
    if (!this.#flows.has(module)) throw new Error(`store ${module.store} is not part of this app`);
    return this.#flows.get(module) as Flows;
  }
}

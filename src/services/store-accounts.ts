// Store credentials per app and environment. Secrets are sealed (AES-GCM) and never
// leave this service except to providers, unsealed, in memory.
import { z } from 'zod';
import type { PrismaClient } from '../platform/db.js';
import type { StoreAccount } from '../generated/prisma/client.js';
import type { Store, StoreEnvironment } from '../generated/prisma/enums.js';
import type { SecretBox } from '../platform/crypto.js';
import { NotFoundError, StoreAccountError, ValidationError } from '../platform/errors.js';
import type { StoreAccountConfig, StoreModule } from '../providers/contract.js';
import type { StoreCatalog } from '../providers/catalog.js';
import { isUniqueViolation, isUuid, parseInput, rowId } from './validation.js';
import type { OutboundGuard } from '../platform/outbound-url.js';

export interface StoreAccountInput {
  store: Store;
  environment: StoreEnvironment;
  name: string;
  apiBaseUrl?: string | null | undefined;
  trustedRootsPem?: string | null | undefined;
  settings: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

const commonSchema = z.object({
  name: z.string().trim().min(1).max(100),
  apiBaseUrl: z.url({ protocol: /^https?$/ }).nullish(),
  trustedRootsPem: z
    .string()
    .regex(/-----BEGIN CERTIFICATE-----/, 'must contain PEM certificates')
    .max(64_000)
    .nullish(),
});

/** Drops undefined/null entries so partial secret updates merge cleanly. */
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));

export class StoreAccountsService {
  readonly #cache = new Map<string, { config: StoreAccountConfig; until: number }>();
  /**
   * resolve()'s answer per app, store and environment (the app's only account): every
   * purchase that names no storeAccountId asks it. Kept as briefly as #cache, and dropped
   * here when this instance adds or changes an account of the app; another instance's
   * change is seen within the TTL.
   */
  readonly #resolved = new Map<string, { config: StoreAccountConfig; until: number }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly box: SecretBox,
    private readonly catalog: StoreCatalog,
    private readonly options: {
      /** apiBaseUrl is tenant-chosen: checked when saved, and store clients call it only through this. */
      outbound: OutboundGuard;
      /** PRODUCTION accounts accept apiBaseUrl too (ALLOW_PRODUCTION_API_BASE_URL; test rigs). */
      allowProductionApiBaseUrl: boolean;
    },
  ) {}

  list(query: Record<string, unknown>, appId: string) {
    return this.prisma.storeAccount.findMany({ ...query, where: { appId }, orderBy: { id: 'asc' } });
  }

  get(query: Record<string, unknown>, appId: string, id: string) {
    return this.prisma.storeAccount.findFirst({ ...query, where: { id: rowId(id), appId } });
  }

  async create(appId: string, input: StoreAccountInput): Promise<StoreAccount> {
    const common = parseInput(commonSchema, input, 'store account');
    const module = this.catalog.get(input.store);
    const settings = parseInput(module.account.settings, defined(input.settings), `${input.store} settings`);
    const secrets = parseInput(module.account.secrets, defined(input.secrets), `${input.store} secrets`);
    this.#assertTrustedRootsAllowed(common.trustedRootsPem, module, input.environment);
    this.#assertApiBaseUrlAllowed(common.apiBaseUrl, input.environment);
    await this.#assertNameFree(appId, input.store, input.environment, common.name, null);
    return this.#forgetResolvedAfter(appId, this.prisma.storeAccount.create({
      data: {
        appId,
        store: input.store,
        environment: input.environment,
        name: common.name,
        apiBaseUrl: common.apiBaseUrl ?? null,
        trustedRootsPem: common.trustedRootsPem ?? null,
        settings: settings as object,
        sealedSecrets: this.box.sealJson(secrets),
      },
    }));
  }

  /** Updates settings; secrets given replace those stored, secrets omitted are kept. */
  async update(
    appId: string,
    id: string,
    input: Partial<Omit<StoreAccountInput, 'environment'>>,
  ): Promise<StoreAccount> {
    const existing = await this.prisma.storeAccount.findFirst({ where: { id: rowId(id), appId } });
    if (!existing) throw new NotFoundError('Store account');
    if (input.store !== undefined && input.store !== existing.store) {
      // Another store's fields would be dropped silently by this store's schemas.
      throw parseInputError(input.store.toLowerCase(), `this is a ${existing.store} account; give ${existing.store.toLowerCase()} fields`);
    }
    const module = this.catalog.get(existing.store);
    const common = parseInput(commonSchema.partial(), input, 'store account');
    const settings = parseInput(
      module.account.settings,
      { ...(existing.settings as Record<string, unknown>), ...defined(input.settings ?? {}) },
      `${existing.store} settings`,
    );
    const secrets = parseInput(
      module.account.secrets,
      { ...this.box.openJson<Record<string, unknown>>(existing.sealedSecrets), ...defined(input.secrets ?? {}) },
      `${existing.store} secrets`,
    );
    this.#assertTrustedRootsAllowed(common.trustedRootsPem, module, existing.environment);
    this.#assertApiBaseUrlAllowed(common.apiBaseUrl, existing.environment);
    if (common.name !== undefined) await this.#assertNameFree(appId, existing.store, existing.environment, common.name, existing.id);
    this.#cache.delete(existing.id);
    return this.#forgetResolvedAfter(appId, this.prisma.storeAccount.update({
      where: { id: existing.id },
      data: {
        ...(common.name !== undefined ? { name: common.name } : {}),
        ...(common.apiBaseUrl !== undefined ? { apiBaseUrl: common.apiBaseUrl } : {}),
        ...(common.trustedRootsPem !== undefined ? { trustedRootsPem: common.trustedRootsPem } : {}),
        settings: settings as object,
        sealedSecrets: this.box.sealJson(secrets),
      },
    }));
  }

  #assertTrustedRootsAllowed(pem: string | null | undefined, module: StoreModule, environment: StoreEnvironment): void {
    if (!pem) return;
    const { trustedRoots } = module.account;
    if (!trustedRoots) {
      const stores = this.catalog.modules.filter((m) => m.account.trustedRoots).map((m) => m.store);
      throw parseInputError('trustedRootsPem', `extra trusted roots apply to ${stores.join(', ') || 'no'} accounts only`);
    }
    if (environment === 'PRODUCTION') {
      throw parseInputError('trustedRootsPem', 'extra trusted roots are for SANDBOX accounts only; production pins the store root');
    }
    trustedRoots(pem); // certificates that cannot be parsed are refused now, not at the first purchase
  }

  /**
   * A store API override sends the account's store credentials wherever it points: only
   * SANDBOX accounts take one (unless the operator allows it), and only to an address the
   * outbound policy accepts.
   */
  #assertApiBaseUrlAllowed(apiBaseUrl: string | null | undefined, environment: StoreEnvironment): void {
    if (!apiBaseUrl) return;
    if (environment === 'PRODUCTION' && !this.options.allowProductionApiBaseUrl) {
      throw parseInputError('apiBaseUrl', 'a store API override is for SANDBOX accounts only; production calls the store itself');
    }
    const problem = this.options.outbound.problem(apiBaseUrl);
    if (problem) throw parseInputError('apiBaseUrl', problem);
  }

  /** A friendlier refusal than the unique index's for the common, non-racing case. */
  async #assertNameFree(appId: string, store: Store, environment: StoreEnvironment, name: string, exceptId: string | null) {
    const clash = await this.prisma.storeAccount.findFirst({
      where: { appId, store, environment, name, ...(exceptId ? { NOT: { id: exceptId } } : {}) },
      select: { id: true },
    });
    if (clash) throw duplicateNameError(store, environment);
  }

  /** The write (through the name guard); then resolve() asks the database again for this app. */
  async #forgetResolvedAfter(appId: string, write: Promise<StoreAccount>): Promise<StoreAccount> {
    const account = await this.#uniqueNameGuard(write);
    for (const key of this.#resolved.keys()) if (key.startsWith(`${appId}:`)) this.#resolved.delete(key);
    return account;
  }

  /** Two requests racing for one name: the unique index decides; the loser gets the typed error. */
  async #uniqueNameGuard(write: Promise<StoreAccount>): Promise<StoreAccount> {
    try {
      return await write;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateNameError();
      throw err;
    }
  }

  /** The names of the secrets set on an account (never their values). */
  secretNames(account: StoreAccount): string[] {
    return Object.keys(this.box.openJson<Record<string, unknown>>(account.sealedSecrets)).sort();
  }

  /** Loads an account for a provider, secrets unsealed. Cached briefly (hot path). */
  async config(appId: string, id: string): Promise<StoreAccountConfig> {
    const cached = this.#cache.get(id);
    if (cached && cached.until > Date.now() && cached.config.appId === appId) return cached.config;
    const row = await this.prisma.storeAccount.findFirst({ where: { id: rowId(id), appId } });
    if (!row) throw new StoreAccountError('STORE_ACCOUNT_NOT_FOUND', 'No such store account for this app');
    const config = this.#toConfig(row);
    this.#cache.set(id, { config, until: Date.now() + 5_000 });
    return config;
  }

  /**
   * The account to use for a store: the one named, else the app's only account for that
   * store (preferring PRODUCTION when both environments exist is a guess we refuse to make).
   */
  async resolve(appId: string, store: Store, id?: string | null, environment?: StoreEnvironment | null): Promise<StoreAccountConfig> {
    if (id) {
      const config = await this.config(appId, id);
      if (config.store !== store) {
        throw new StoreAccountError('STORE_ACCOUNT_NOT_FOUND', `Store account ${id} is not a ${store} account`);
      }
      return config;
    }
    const key = `${appId}:${store}:${environment ?? ''}`;
    const cached = this.#resolved.get(key);
    if (cached && cached.until > Date.now()) return cached.config;
    const rows = await this.prisma.storeAccount.findMany({
      where: { appId, store, ...(environment ? { environment } : {}) },
      take: 2,
    });
    if (rows.length === 0) {
      throw new StoreAccountError('STORE_ACCOUNT_NOT_FOUND', `This app has no ${store} store account; create one first`);
    }
    if (rows.length > 1) {
      throw new StoreAccountError('STORE_ACCOUNT_AMBIGUOUS', `This app has several ${store} store accounts; pass storeAccountId`);
    }
    const config = this.#toConfig(rows[0]!);
    this.#resolved.set(key, { config, until: Date.now() + 5_000 });
    return config;
  }

  /** For store callbacks that name the account in the URL (no API key): any app. */
  async configById(id: string): Promise<StoreAccountConfig | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.storeAccount.findUnique({ where: { id } });
    return row ? this.#toConfig(row) : null;
  }

  #toConfig(row: StoreAccount): StoreAccountConfig {
    return {
      id: row.id,
      appId: row.appId,
      store: row.store,
      environment: row.environment,
      settings: row.settings as Record<string, unknown>,
      secrets: this.box.openJson<Record<string, string>>(row.sealedSecrets),
      apiBaseUrl: row.apiBaseUrl,
      trustedRootsPem: row.trustedRootsPem,
      outbound: this.options.outbound,
    };
  }
}

function duplicateNameError(store?: Store, environment?: StoreEnvironment): ValidationError {
  const scope = store && environment ? `${store} ${environment} ` : '';
  return parseInputError('name', `this app already has a ${scope}store account with this name`);
}

function parseInputError(path: string, message: string): ValidationError {
  return new ValidationError(`Invalid store account: ${path}: ${message}`, [{ path, message }]);
}

import { scopedAppId } from '../context.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import type { StoreAccountInput } from '../services/store-accounts.js';
import { rowId } from '../services/validation.js';
import type { Builder } from './builder.js';
import type { StoreModule } from '../providers/contract.js';

export type StoreAccountRefs = ReturnType<typeof registerStoreAccounts>;

export function registerStoreAccounts(builder: Builder, stores: readonly StoreModule[]) {
  const StoreEnum = builder.enumType('Store', { values: stores.map((store) => store.store) });
  const StoreEnvironmentEnum = builder.enumType('StoreEnvironment', { values: ['SANDBOX', 'PRODUCTION'] as const });

  const StoreAccountNode = builder.prismaNode('StoreAccount', {
    id: { field: 'id' },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => ({ id: rowId(id), appId: scopedAppId(ctx) }),
    authScopes: { serverKey: true },
    description: 'Store credentials for one environment. Secrets are write-only.',
    fields: (t) => ({
      store: t.expose('store', { type: StoreEnum }),
      environment: t.expose('environment', { type: StoreEnvironmentEnum }),
      name: t.exposeString('name'),
      /** The raw id, for URLs the store calls (webhooks, callbacks). */
      accountId: t.exposeString('id', { description: 'The raw id used in webhook and callback URLs.' }),
      settings: t.expose('settings', { type: 'JSON', description: 'Non-secret settings.' }),
      secretNames: t.stringList({
        description: 'Which secrets are set (never their values).',
        select: { sealedSecrets: true, store: true },
        resolve: (account, _a, ctx) => ctx.services.storeAccounts.secretNames(account as never),
      }),
      apiBaseUrl: t.exposeString('apiBaseUrl', { nullable: true }),
      hasTrustedRoots: t.boolean({ select: { trustedRootsPem: true }, resolve: (a) => a.trustedRootsPem !== null }),
      webhookPath: t.string({
        description: 'Where this store sends notifications/callbacks (append to your public URL).',
        select: { store: true },
        resolve: (a) => `/webhooks/${a.store.toLowerCase()}/${a.id}`,
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  builder.queryField('storeAccounts', (t) =>
    t.prismaConnection({
      type: 'StoreAccount',
      cursor: 'id',
      authScopes: { serverKey: true },
      resolve: (query, _root, _args, ctx) => ctx.services.storeAccounts.list(query, scopedAppId(ctx)),
    }),
  );

  // The store-specific part of the account inputs: one optional field per store module.
  const accountInputs = stores.map((store) => ({ store, input: store.account.input(builder) }));
  const secretNames = new Map(stores.map((store) => [store.key, new Set(store.account.secretNames)]));
  const storeFields = <T extends { field: Function }>(t: T) => // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    Object.fromEntries(accountInputs.map(({ store, input }) => [store.key, t.field({ type: input })])) as Record<string, never>;

  /** Splits a store-specific input into non-secret settings and secrets. */
  function splitStoreFields(key: string | undefined, fields: Record<string, unknown> | null | undefined) {
    const secretFields = (key && secretNames.get(key)) || new Set<string>();
    const settings: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields ?? {})) {
      if (value === undefined || value === null) continue;
      (secretFields.has(name) ? secrets : settings)[name] = value;
    }
    return { settings, secrets };
  }

  const storeKeys = stores.map((store) => store.key);
  const oneOf = storeKeys.length > 1 ? `${storeKeys.slice(0, -1).join(', ')} or ${storeKeys.at(-1)}` : storeKeys.join('');

  /** The one store whose fields an input gives; null when it gives none. */
  function givenStore(input: Record<string, unknown>) {
    const given = stores.filter((store) => input[store.key] != null);
    if (given.length === 0) return null;
    if (given.length !== 1) {
      throw new ValidationError(`Give exactly one of ${oneOf}`, [{ path: 'input', message: 'exactly one store' }]);
    }
    const module = given[0]!;
    return { store: module.store, key: module.key, fields: input[module.key] as Record<string, unknown> };
  }

  function pickStore(input: Record<string, unknown>) {
    const picked = givenStore(input);
    if (!picked) throw new ValidationError(`Give exactly one of ${oneOf}`, [{ path: 'input', message: 'exactly one store' }]);
    return picked;
  }

  const CreateStoreAccountInput = builder.inputType('CreateStoreAccountInput', {
    fields: (t) => ({
      name: t.string({ required: true }),
      environment: t.field({ type: StoreEnvironmentEnum, required: true }),
      apiBaseUrl: t.string({ description: "Overrides the store's API root (sandbox, tests)." }),
      trustedRootsPem: t.string({ description: 'Huawei SANDBOX only: extra trusted root certificates (PEM).' }),
      ...storeFields(t),
    }),
  });

  const StoreAccountPayload = builder.objectRef<{ id: string }>('StoreAccountPayload').implement({
    fields: (t) => ({
      storeAccount: t.prismaField({
        type: 'StoreAccount',
        resolve: async (query, p, _a, ctx) => {
          const account = await ctx.services.storeAccounts.get(query, scopedAppId(ctx), p.id);
          if (!account) throw new NotFoundError('Store account');
          return account;
        },
      }),
    }),
  });

  builder.mutationField('createStoreAccount', (t) =>
    t.field({
      type: StoreAccountPayload,
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'CreateStoreAccountResult' } },
      args: { input: t.arg({ type: CreateStoreAccountInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const { store, key, fields } = pickStore(input);
        const account: StoreAccountInput = {
          store,
          environment: input.environment,
          name: input.name,
          apiBaseUrl: input.apiBaseUrl,
          trustedRootsPem: input.trustedRootsPem,
          ...splitStoreFields(key, fields),
        };
        const created = await ctx.services.storeAccounts.create(scopedAppId(ctx), account);
        return { id: created.id };
      },
    }),
  );

  const UpdateStoreAccountInput = builder.inputType('UpdateStoreAccountInput', {
    fields: (t) => ({
      id: t.globalID({ required: true, for: [StoreAccountNode] }),
      name: t.string(),
      apiBaseUrl: t.string(),
      trustedRootsPem: t.string(),
      ...storeFields(t),
    }),
  });

  builder.mutationField('updateStoreAccount', (t) =>
    t.field({
      type: StoreAccountPayload,
      description: 'Secrets given replace the stored ones; secrets omitted are kept.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'UpdateStoreAccountResult' } },
      args: { input: t.arg({ type: UpdateStoreAccountInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        // the service checks that the fields given are for the account's own store
        const storeFields = givenStore(input);
        const updated = await ctx.services.storeAccounts.update(scopedAppId(ctx), input.id.id, {
          ...(input.name != null ? { name: input.name } : {}),
          ...(input.apiBaseUrl !== undefined ? { apiBaseUrl: input.apiBaseUrl } : {}),
          ...(input.trustedRootsPem !== undefined ? { trustedRootsPem: input.trustedRootsPem } : {}),
          ...(storeFields ? { store: storeFields.store } : {}),
          ...splitStoreFields(storeFields?.key, storeFields?.fields),
        });
        return { id: updated.id };
      },
    }),
  );

  return { StoreEnum, StoreEnvironmentEnum, StoreAccountNode };
}

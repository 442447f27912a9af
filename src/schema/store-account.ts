import { scopedAppId } from '../context.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import type { StoreAccountInput } from '../services/store-accounts.js';
import { rowId } from '../services/validation.js';
import { builder } from './builder.js';

export const StoreEnum = builder.enumType('Store', { values: ['HUAWEI', 'NOWGG', 'HUYA'] as const });
export const StoreEnvironmentEnum = builder.enumType('StoreEnvironment', { values: ['SANDBOX', 'PRODUCTION'] as const });

export const StoreAccountNode = builder.prismaNode('StoreAccount', {
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

const HuaweiAccountInput = builder.inputType('HuaweiAccountInput', {
  description: 'HarmonyOS IAP Kit. issuerId, keyId and privateKeyPem enable server-side delivery confirmation.',
  fields: (t) => ({
    applicationId: t.string({ description: 'AppGallery Connect app id; purchases must carry it.' }),
    issuerId: t.string(),
    keyId: t.string(),
    privateKeyPem: t.string({ description: 'Secret. The IAP server API key (PKCS#8 EC P-256 PEM).' }),
  }),
});

const NowggAccountInput = builder.inputType('NowggAccountInput', {
  fields: (t) => ({
    appId: t.string(),
    packageName: t.string(),
    paymentsApiKey: t.string({ description: 'Secret. now.gg Payments API key.' }),
    webhookApiKey: t.string({ description: 'Secret. The key now.gg sends with webhooks.' }),
    requestTimeoutMs: t.int({ description: 'Timeout of each now.gg call (100..120000 ms); default STORE_HTTP_TIMEOUT_MS.' }),
    alreadyConsumedCodes: t.intList({ description: 'now.gg consumePurchase codes that mean "already consumed" (none documented).' }),
    alreadyAcknowledgedCodes: t.intList({ description: 'now.gg acknowledgepurchase codes that mean "already acknowledged" (none documented).' }),
  }),
});

const HuyaAccountInput = builder.inputType('HuyaAccountInput', {
  fields: (t) => ({
    huyaAppId: t.string({ description: 'The appId in the callback signature.' }),
    extUuid: t.string({ description: 'The mini-program (extension) uuid.' }),
    extSecret: t.string({ description: 'Secret. Signs callbacks and the SDK JWT.' }),
  }),
});

const secretFields = new Set(['privateKeyPem', 'paymentsApiKey', 'webhookApiKey', 'extSecret']);

/** Splits a store-specific input into non-secret settings and secrets. */
function splitStoreFields(fields: Record<string, unknown> | null | undefined) {
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined || value === null) continue;
    (secretFields.has(key) ? secrets : settings)[key] = value;
  }
  return { settings, secrets };
}

function pickStore(input: { huawei?: unknown; nowgg?: unknown; huya?: unknown }) {
  const given = (['huawei', 'nowgg', 'huya'] as const).filter((k) => input[k] != null);
  if (given.length !== 1) {
    throw new ValidationError('Give exactly one of huawei, nowgg or huya', [{ path: 'input', message: 'exactly one store' }]);
  }
  const key = given[0]!;
  return { store: key.toUpperCase() as 'HUAWEI' | 'NOWGG' | 'HUYA', fields: input[key] as Record<string, unknown> };
}

const CreateStoreAccountInput = builder.inputType('CreateStoreAccountInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    environment: t.field({ type: StoreEnvironmentEnum, required: true }),
    apiBaseUrl: t.string({ description: "Overrides the store's API root (sandbox, tests)." }),
    trustedRootsPem: t.string({ description: 'Huawei SANDBOX only: extra trusted root certificates (PEM).' }),
    huawei: t.field({ type: HuaweiAccountInput }),
    nowgg: t.field({ type: NowggAccountInput }),
    huya: t.field({ type: HuyaAccountInput }),
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
      const { store, fields } = pickStore(input);
      const account: StoreAccountInput = {
        store,
        environment: input.environment,
        name: input.name,
        apiBaseUrl: input.apiBaseUrl,
        trustedRootsPem: input.trustedRootsPem,
        ...splitStoreFields(fields),
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
    huawei: t.field({ type: HuaweiAccountInput }),
    nowgg: t.field({ type: NowggAccountInput }),
    huya: t.field({ type: HuyaAccountInput }),
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
      const storeGiven = input.huawei != null || input.nowgg != null || input.huya != null;
      // the service checks that the fields given are for the account's own store
      const storeFields = storeGiven ? pickStore(input) : null;
      const updated = await ctx.services.storeAccounts.update(scopedAppId(ctx), input.id.id, {
        ...(input.name != null ? { name: input.name } : {}),
        ...(input.apiBaseUrl !== undefined ? { apiBaseUrl: input.apiBaseUrl } : {}),
        ...(input.trustedRootsPem !== undefined ? { trustedRootsPem: input.trustedRootsPem } : {}),
        ...(storeFields ? { store: storeFields.store } : {}),
        ...splitStoreFields(storeFields?.fields),
      });
      return { id: updated.id };
    },
  }),
);

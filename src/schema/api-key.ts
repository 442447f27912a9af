import { scopedAppId } from '../context.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { rowId } from '../services/validation.js';
import type { Builder } from './builder.js';

export function registerApiKeys(builder: Builder) {
  const ApiKeyRole = builder.enumType('ApiKeyRole', {
    values: {
      SERVER: { description: 'zd_sk_…: full access to its app. Keep on servers.' },
      CLIENT: { description: 'zd_pk_…: safe in a game; acts for one player with a player token.' },
    } as const,
  });

  const ApiKeyNode = builder.prismaNode('ApiKey', {
    id: { field: 'id' },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => ({ id: rowId(id), appId: scopedAppId(ctx) }),
    authScopes: { serverKey: true },
    fields: (t) => ({
      name: t.exposeString('name'),
      role: t.expose('role', { type: ApiKeyRole }),
      prefix: t.exposeString('prefix', { description: 'The first characters of the key; the key itself is never shown again.' }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
      revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    }),
  });

  builder.queryField('apiKeys', (t) =>
    t.prismaConnection({
      type: 'ApiKey',
      cursor: 'id',
      authScopes: { serverKey: true },
      resolve: (query, _root, _args, ctx) => ctx.services.read.apiKeys(query, scopedAppId(ctx)),
    }),
  );

  const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
    fields: (t) => ({
      role: t.field({ type: ApiKeyRole, required: true }),
      name: t.string({ required: true }),
    }),
  });

  const CreateApiKeyPayload = builder.objectRef<{ apiKeyId: string; secret: string }>('CreateApiKeyPayload').implement({
    fields: (t) => ({
      apiKey: t.prismaField({
        type: 'ApiKey',
        resolve: async (query, p, _a, ctx) => (await ctx.services.read.apiKey(query, scopedAppId(ctx), p.apiKeyId))!,
      }),
      secret: t.exposeString('secret', { description: 'The key. Shown once.' }),
    }),
  });

  builder.mutationField('createApiKey', (t) =>
    t.field({
      type: CreateApiKeyPayload,
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'CreateApiKeyResult' } },
      args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const created = await ctx.services.apps.createApiKey(scopedAppId(ctx), input);
        return { apiKeyId: created.apiKey.id, secret: created.secret };
      },
    }),
  );

  const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
    fields: (t) => ({ id: t.globalID({ required: true, for: [ApiKeyNode] }) }),
  });

  const RevokeApiKeyPayload = builder.objectRef<{ apiKeyId: string }>('RevokeApiKeyPayload').implement({
    fields: (t) => ({
      apiKey: t.prismaField({
        type: 'ApiKey',
        resolve: async (query, p, _a, ctx) => (await ctx.services.read.apiKey(query, scopedAppId(ctx), p.apiKeyId))!,
      }),
    }),
  });

  builder.mutationField('revokeApiKey', (t) =>
    t.field({
      type: RevokeApiKeyPayload,
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError], union: { name: 'RevokeApiKeyResult' } },
      args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const key = await ctx.services.apps.revokeApiKey(scopedAppId(ctx), input.id.id);
        return { apiKeyId: key.id };
      },
    }),
  );

  return { ApiKeyNode };
}

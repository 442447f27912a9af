import { callerAppId, NO_APP, scopedAppId } from '../context.js';
import { ValidationError } from '../platform/errors.js';
import type { Builder } from './builder.js';

export function registerApp(builder: Builder) {
  const AppRef = builder.prismaNode('App', {
    id: { field: 'id' },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    // Only the caller's own app resolves; any other id (another tenant's) finds nothing.
    findUnique: (id, ctx) => ({ id: callerAppId(ctx) === id ? id : NO_APP }),
    // admin: the operator reads the app it just created (createApp payload); it has no
    // app of its own, so `app` and `node` give it nothing.
    authScopes: { serverKey: true, player: true, admin: true },
    fields: (t) => ({
      name: t.exposeString('name'),
      rateLimitPerMinute: t.exposeInt('rateLimitPerMinute', { authScopes: { serverKey: true, admin: true } }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      playerTokenJwksUrl: t.exposeString('playerTokenJwksUrl', { nullable: true, authScopes: { serverKey: true, admin: true } }),
      playerTokenHmacSecretSet: t.boolean({
        authScopes: { serverKey: true, admin: true },
        select: { playerTokenHmacKey: true },
        resolve: (app) => app.playerTokenHmacKey !== null,
      }),
    }),
  });

  builder.queryField('app', (t) =>
    t.prismaField({
      type: 'App',
      nullable: true,
      description: 'The app the API key belongs to.',
      authScopes: { serverKey: true, player: true },
      resolve: (query, _root, _args, ctx) => ctx.services.read.app(query, scopedAppId(ctx)),
    }),
  );

  const CreateAppInput = builder.inputType('CreateAppInput', {
    fields: (t) => ({
      name: t.string({ required: true }),
      rateLimitPerMinute: t.int({ description: 'Requests per minute per API key; defaults to RATE_LIMIT_PER_MINUTE.' }),
    }),
  });

  const CreateAppPayload = builder
    .objectRef<{ appId: string; serverKey: string; clientKey: string }>('CreateAppPayload')
    .implement({
      fields: (t) => ({
        app: t.prismaField({
          type: 'App',
          // the operator has no app of its own; read the new one directly
          authScopes: { admin: true },
          resolve: async (query, payload, _args, ctx) => {
            const app = await ctx.services.read.app(query, payload.appId);
            if (!app) throw new Error('created app vanished');
            return app;
          },
        }),
        serverKey: t.exposeString('serverKey', { description: 'Shown once. Keep it on your servers.' }),
        clientKey: t.exposeString('clientKey', { description: 'Shown once. Safe to ship inside a game.' }),
      }),
    });

  builder.mutationField('createApp', (t) =>
    t.field({
      type: CreateAppPayload,
      description: 'Operator only (ZERODROP_ADMIN_TOKEN): creates an app with a server and a client key.',
      authScopes: { admin: true },
      errors: { types: [ValidationError], union: { name: 'CreateAppResult' } },
      args: { input: t.arg({ type: CreateAppInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const created = await ctx.services.apps.createApp(input, ctx.services.env.RATE_LIMIT_PER_MINUTE);
        return { appId: created.app.id, serverKey: created.serverKey, clientKey: created.clientKey };
      },
    }),
  );

  const UpdatePlayerTokenSettingsInput = builder.inputType('UpdatePlayerTokenSettingsInput', {
    fields: (t) => ({
      hmacSecret: t.string({ description: 'HS256 secret your servers sign player tokens with (null clears).' }),
      jwksUrl: t.string({ description: 'JWKS URL your player tokens are verified against (null clears).' }),
    }),
  });

  const UpdatePlayerTokenSettingsPayload = builder.objectRef<{ appId: string }>('UpdatePlayerTokenSettingsPayload').implement({
    fields: (t) => ({
      app: t.prismaField({
        type: 'App',
        resolve: async (query, p, _a, ctx) => (await ctx.services.read.app(query, p.appId))!,
      }),
    }),
  });

  builder.mutationField('updatePlayerTokenSettings', (t) =>
    t.field({
      type: UpdatePlayerTokenSettingsPayload,
      description: 'Lets your servers sign player tokens themselves (HS256 secret or a JWKS URL).',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'UpdatePlayerTokenSettingsResult' } },
      args: { input: t.arg({ type: UpdatePlayerTokenSettingsInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const app = await ctx.services.apps.updatePlayerTokenSettings(scopedAppId(ctx), input);
        return { appId: app.id };
      },
    }),
  );

  const CreatePlayerTokenInput = builder.inputType('CreatePlayerTokenInput', {
    fields: (t) => ({
      playerId: t.string({ required: true }),
      ttlSeconds: t.int({ description: 'Lifetime; default 3600, at most PLAYER_TOKEN_MAX_TTL_SECONDS.' }),
    }),
  });

  const CreatePlayerTokenPayload = builder.objectRef<{ token: string; expiresAt: Date; playerId: string }>('CreatePlayerTokenPayload').implement({
    fields: (t) => ({
      token: t.exposeString('token', { description: 'Send as the X-Player-Token header with a client key.' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
      playerId: t.exposeString('playerId'),
    }),
  });

  builder.mutationField('createPlayerToken', (t) =>
    t.field({
      type: CreatePlayerTokenPayload,
      description: 'Server keys: mints a short-lived token that lets a client key act for one player.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'CreatePlayerTokenResult' } },
      args: { input: t.arg({ type: CreatePlayerTokenInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const ttl = input.ttlSeconds ?? 3600;
        const max = ctx.services.env.PLAYER_TOKEN_MAX_TTL_SECONDS;
        const playerId = input.playerId.trim();
        if (ttl < 30 || ttl > max) {
          throw new ValidationError(`ttlSeconds must be between 30 and ${max}`, [{ path: 'ttlSeconds', message: `30..${max}` }]);
        }
        if (!playerId || playerId.length > 200) {
          throw new ValidationError('playerId must be 1..200 characters', [{ path: 'playerId', message: '1..200 characters' }]);
        }
        const minted = await ctx.services.auth.mintPlayerToken(scopedAppId(ctx), playerId, ttl);
        return { ...minted, playerId };
      },
    }),
  );

  return { AppRef };
}

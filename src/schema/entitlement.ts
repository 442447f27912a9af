import { GraphQLError } from 'graphql';
import { callerPlayerId, scopedAppId } from '../context.js';
import { rowId } from '../services/validation.js';
import type { Builder } from './builder.js';

export function registerEntitlements(builder: Builder) {
  const EntitlementKindEnum = builder.enumType('EntitlementKind', {
    values: {
      CONSUMABLE: { description: 'A one-off grant of `quantity` units (one per order).' },
      PERMANENT: { description: 'Owned forever (non-consumables).' },
      EXPIRING: { description: 'Access until expiresAt (subscriptions, time-limited goods).' },
    } as const,
  });

  builder.prismaNode('Entitlement', {
    id: { field: 'id' },
    // Select mode: lists read only the columns the query asks for, not whole rows.
    select: { id: true },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => {
      const player = callerPlayerId(ctx);
      return { id: rowId(id), appId: scopedAppId(ctx), ...(player === null ? {} : { playerId: player }) };
    },
    authScopes: { serverKey: true, player: true },
    fields: (t) => ({
      playerId: t.exposeString('playerId'),
      kind: t.expose('kind', { type: EntitlementKindEnum }),
      quantity: t.exposeInt('quantity'),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
      revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
      active: t.boolean({
        select: { revokedAt: true, expiresAt: true },
        resolve: (e) => e.revokedAt === null && (e.expiresAt === null || e.expiresAt > new Date()),
      }),
      product: t.relation('product'),
      order: t.relation('order'),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  builder.queryField('entitlements', (t) =>
    t.prismaField({
      type: ['Entitlement'],
      description:
        'What a player owns. Server keys name the player; client keys read their own player (from the player token) and may omit it.',
      authScopes: { serverKey: true, player: true },
      args: {
        playerId: t.arg.string(),
        includeInactive: t.arg.boolean({ defaultValue: false, description: 'Include revoked and expired entitlements.' }),
      },
      resolve: (query, _root, args, ctx) => {
        const own = callerPlayerId(ctx);
        const playerId = own ?? args.playerId;
        if (!playerId) throw new GraphQLError('playerId is required with a server key', { extensions: { code: 'BAD_USER_INPUT' } });
        if (own !== null && args.playerId && args.playerId !== own) {
          throw new GraphQLError('A player token reads only its own player', { extensions: { code: 'FORBIDDEN' } });
        }
        return ctx.services.read.entitlements(query, scopedAppId(ctx), playerId, args.includeInactive ?? false);
      },
    }),
  );
}

// The schema builder: plugins and their options only. Types live one per file beside it,
// each file a register function; index.ts's buildSchema calls them on a fresh builder,
// so a schema is built from the store modules an app is given, with no global state.
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import { pothosPrisma, type Context } from '../context.js';

export interface UserSchemaTypes {
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** Operator token (ZERODROP_ADMIN_TOKEN). */
    admin: boolean;
    /** An app's server key: full access to its app. */
    serverKey: boolean;
    /** An app's client key with a valid player token: that player only. */
    player: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    BigInt: { Input: bigint; Output: bigint | number | string };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string | number | bigint };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
}

export type SchemaTypes = PothosSchemaTypes.ExtendDefaultTypes<UserSchemaTypes>;
export type Builder = PothosSchemaTypes.SchemaBuilder<SchemaTypes>;

export const createBuilder = (): Builder =>
  new SchemaBuilder<UserSchemaTypes>({
    plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
    defaultFieldNullability: false,
    scopeAuth: {
      authScopes: (ctx) => ({
        admin: ctx.caller.kind === 'admin',
        serverKey: ctx.caller.kind === 'server',
        player: ctx.caller.kind === 'client' && ctx.caller.playerId !== null,
      }),
      // GraphQLError passes Yoga's masking with a clear message; other errors stay masked.
      unauthorizedError: (_parent, _ctx, info) =>
        new GraphQLError(`Not authorized to access ${info.parentType.name}.${info.fieldName}`, {
          extensions: { code: 'FORBIDDEN' },
        }),
      // Check authorization when a subscription starts, not only per event.
      authorizeOnSubscribe: true,
    },
    errors: {
      // No defaultTypes: only listed AppError subclasses are exposed; the rest stays masked.
      defaultTypes: [],
      directResult: true,
    },
    prisma: {
      client: (ctx) => ctx[pothosPrisma],
      dmmf: getDatamodel(),
      exposeDescriptions: false,
      filterConnectionTotalCount: true,
    },
    relay: {
      clientMutationId: 'omit',
      cursorType: 'String',
      nodeQueryOptions: { nullable: true },
      nodesQueryOptions: false,
    },
  });

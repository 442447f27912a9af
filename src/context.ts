import type { PrismaClient } from './db.js';
import type { Caller } from './auth.js';
import type { Logger } from './logger.js';
import type { Services } from './services/index.js';

/**
 * Only builder.ts reads this key (plugin-prisma needs a client to batch relation
 * queries); resolvers go through `services`, which own tenancy and validation.
 */
export const pothosPrisma = Symbol('pothosPrisma');

export interface Context {
  requestId: string;
  caller: Caller;
  services: Services;
  logger: Logger;
  [pothosPrisma]: PrismaClient;
}

/** The app the caller acts for, or null (operator, anonymous). */
export function callerAppId(ctx: Context): string | null {
  return ctx.caller.kind === 'server' || ctx.caller.kind === 'client' ? ctx.caller.appId : null;
}

/** A tenancy filter that matches nothing for callers without an app. */
export const NO_APP = '00000000-0000-0000-0000-000000000000';
export function scopedAppId(ctx: Context): string {
  return callerAppId(ctx) ?? NO_APP;
}

/** The player a client caller acts for (from its player token), or null. */
export function callerPlayerId(ctx: Context): string | null {
  return ctx.caller.kind === 'client' ? ctx.caller.playerId : null;
}

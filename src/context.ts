import { ValidationError } from './platform/errors.js';
import type { PrismaClient } from './platform/db.js';
import type { Caller } from './auth.js';
import type { Logger } from './platform/logger.js';
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

/**
 * The player a purchase is for. Client callers act for the player in their token (an
 * input playerId must match it); server keys must name the player.
 */
export function resolvePlayerId(ctx: Context, inputPlayerId: string | null | undefined): string {
  const own = callerPlayerId(ctx);
  if (own !== null) {
    if (inputPlayerId && inputPlayerId !== own) {
      throw new ValidationError('playerId comes from the player token; it may not name another player', [
        { path: 'playerId', message: 'must match the player token or be omitted' },
      ]);
    }
    return own;
  }
  const playerId = inputPlayerId?.trim();
  if (!playerId || playerId.length > 200) {
    throw new ValidationError('playerId (1..200 characters) is required with a server key', [
      { path: 'playerId', message: 'required with a server key' },
    ]);
  }
  return playerId;
}

import { ValidationError } from './platform/errors.js';
import type { PrismaClient } from './platform/db.js';
import type { Caller } from './auth.js';
import type { Logger } from './platform/logger.js';
import type { Services } from './services/index.js';
import type { Metrics } from './metrics.js';

/**
 * Only app.ts (which sets it) and builder.ts (plugin-prisma batches relation queries with
 * it) use this key; resolvers go through `services`. Tenancy: every root field and node
 * look-up filters by the caller's app (scopedAppId), in the service or in the type's
 * findUnique; relation fields only follow rows already filtered that way.
 */
export const pothosPrisma = Symbol('pothosPrisma');

export interface Context {
  requestId: string;
  caller: Caller;
  /** Where the request or socket came from (per-address limits); "unknown" in-process. */
  clientAddress: string;
  services: Services;
  logger: Logger;
  metrics: Metrics;
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

/** Rows a client caller may see: its own player's; everything in the app for others. */
export function ownPlayerFilter(ctx: Context): { playerId?: string } {
  const player = callerPlayerId(ctx);
  return player === null ? {} : { playerId: player };
}

/**
 * The player an operation acts for (the one acting-player rule). Client callers act for
 * the player in their token (an input naming another is refused); server keys must name
 * one. `field` and `noun` word the errors for inputs such as Huya's profileId (a streamer).
 */
export function actingPlayer(
  ctx: Context,
  input: string | null | undefined,
  { field = 'playerId', noun = 'player', description = '' }: { field?: string; noun?: string; description?: string } = {},
): string {
  const own = callerPlayerId(ctx);
  if (own !== null) {
    if (input && input !== own) {
      throw new ValidationError(`${field} comes from the player token; it may not name another ${noun}`, [
        { path: field, message: 'must match the player token or be omitted' },
      ]);
    }
    return own;
  }
  const playerId = input?.trim();
  if (!playerId || playerId.length > 200) {
    throw new ValidationError(`${field} (${description}1..200 characters) is required with a server key`, [
      { path: field, message: 'required with a server key' },
    ]);
  }
  return playerId;
}

/** The player a purchase is for (see actingPlayer). */
export const resolvePlayerId = (ctx: Context, inputPlayerId: string | null | undefined): string => actingPlayer(ctx, inputPlayerId);

// The JWT Huya's SDK gives a mini-program for its developer backend (hyExt.request):
// HS256 signed with the mini-program's extSecret; claims profileId, userId, extId, appId,
// iat, exp. ZeroDrop accepts it as the player token of a Huya streamer.
import { errors as joseErrors, jwtVerify } from 'jose';
import { AppError, PurchaseVerificationError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';
import { parseHuyaAccount } from './callback.js';

/** A Huya SDK token we refuse. Register with the GraphQL error types beside AppError's others. */
export class HuyaPlayerTokenError extends AppError {
  constructor(code: 'INVALID_PLAYER_TOKEN' | 'PLAYER_TOKEN_EXPIRED', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface HuyaSdkIdentity {
  /** The streamer's unionId: the playerId of Huya purchases. */
  profileId: string;
  userId: string | null;
  extId: string | null;
  appId: string | null;
  expiresAt: Date;
}

export interface VerifySdkJwtOptions {
  /** Clock for exp/iat; defaults to the real time. */
  now?: Date;
  /** Allowed clock difference with Huya, seconds. */
  clockToleranceSeconds?: number;
}

/** Huya sends ids as strings or numbers depending on the claim; compare them as strings. */
function optionalIdClaim(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return null;
}

/**
 * Verifies a Huya SDK JWT for `account`: HS256 only (alg pinned, so "none" and RS/ES
 * confusion are refused), signed with extSecret, `exp` required and in the future.
 * When the token names an appId / extId, they must be this account's (WRONG_APPLICATION).
 */
export async function verifyHuyaSdkJwt(
  account: Pick<StoreAccountConfig, 'id' | 'settings' | 'secrets'>,
  token: string,
  options: VerifySdkJwtOptions = {},
): Promise<HuyaSdkIdentity> {
  const { settings, secrets } = parseHuyaAccount(account);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secrets.extSecret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'profileId'],
      clockTolerance: options.clockToleranceSeconds ?? 30,
      ...(options.now === undefined ? {} : { currentDate: options.now }),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new HuyaPlayerTokenError('PLAYER_TOKEN_EXPIRED', 'The Huya SDK token has expired', { cause: error });
    }
    throw new HuyaPlayerTokenError('INVALID_PLAYER_TOKEN', 'The Huya SDK token is not valid for this mini-program', {
      cause: error,
    });
  }

  const profileId = optionalIdClaim(payload['profileId']);
  if (profileId === null) throw new HuyaPlayerTokenError('INVALID_PLAYER_TOKEN', 'The Huya SDK token has no profileId');
  const appId = optionalIdClaim(payload['appId']);
  const extId = optionalIdClaim(payload['extId']);
  if ((appId !== null && appId !== settings.huyaAppId) || (extId !== null && extId !== settings.extUuid)) {
    throw new PurchaseVerificationError('WRONG_APPLICATION', 'The Huya SDK token was issued for another mini-program');
  }
  return {
    profileId,
    userId: optionalIdClaim(payload['userId']),
    extId,
    appId,
    // requiredClaims guarantees a numeric exp once jwtVerify returns.
    expiresAt: new Date(Number(payload['exp']) * 1000),
  };
}

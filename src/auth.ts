// Who is calling: operator (admin token), an app's server key, or an app's client key
// acting for one player (player token). Keys are looked up by SHA-256 hash.
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { strictOutbound, type OutboundGuard } from './platform/outbound-url.js';
import type { PrismaClient } from './platform/db.js';
import { constantTimeEqual, randomToken, sha256Hex, type SecretBox } from './platform/crypto.js';
import { AppError } from './platform/errors.js';

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'admin' }
  | { kind: 'server'; appId: string; keyId: string; rateLimitPerMinute: number }
  | { kind: 'client'; appId: string; keyId: string; rateLimitPerMinute: number; playerId: string | null };

export const SERVER_KEY_PREFIX = 'zd_sk_';
export const CLIENT_KEY_PREFIX = 'zd_pk_';
export const PLAYER_TOKEN_ISSUER = 'zerodrop';
export const playerTokenAudience = (appId: string) => `zerodrop:app:${appId}`;
/** The longest player id a token may carry (the same bound createPlayerToken applies). */
export const MAX_PLAYER_ID_LENGTH = 200;

/** A request that cannot be authenticated: answered 401 before GraphQL runs. */
export class AuthenticationError extends AppError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

export function generateApiKey(role: 'SERVER' | 'CLIENT'): { key: string; prefix: string; hash: string } {
  const key = (role === 'SERVER' ? SERVER_KEY_PREFIX : CLIENT_KEY_PREFIX) + randomToken(24);
  return { key, prefix: key.slice(0, 12), hash: sha256Hex(key) };
}

interface CachedKey {
  caller: Exclude<Caller, { kind: 'anonymous' } | { kind: 'admin' }>;
  until: number;
}

/**
 * The player a verified token names. An empty or oversized subject is refused: an empty
 * player id would read as "no player" to code that tests it for truthiness.
 */
function playerIdOf(payload: JWTPayload): string {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.trim() === '' || sub.length > MAX_PLAYER_ID_LENGTH) {
    throw new AuthenticationError(`Invalid player token: sub must name the player (1..${MAX_PLAYER_ID_LENGTH} characters)`);
  }
  return sub;
}

/** Extra player-token verifiers a store may contribute (Huya's SDK JWT). */
export type PlayerTokenVerifier = (appId: string, token: string) => Promise<string | null>;

export class Authenticator {
  readonly #prisma: PrismaClient;
  readonly #box: SecretBox;
  readonly #adminToken: string | undefined;
  readonly #keyCache = new Map<string, CachedKey>();
  readonly #jwks = new Map<string, JWTVerifyGetKey>();
  readonly #extraVerifiers: readonly PlayerTokenVerifier[];
  /** How long a key lookup is trusted; revocation reaches other instances within this. */
  readonly keyCacheMs: number;
  readonly #outbound: OutboundGuard | undefined;
  readonly #maxTokenLifetimeSeconds: number;

  constructor(deps: {
    prisma: PrismaClient;
    box: SecretBox;
    adminToken: string | undefined;
    keyCacheMs?: number;
    /** Store-issued tokens accepted as player tokens (Huya's SDK JWT). */
    playerTokenVerifiers?: readonly PlayerTokenVerifier[];
    /** JWKS URLs are tenant-chosen: fetched only through the outbound guard (absent: public https only). */
    outbound?: OutboundGuard;
    /** The longest lifetime an app-signed player token may have (exp − iat, and exp − now). */
    playerTokenMaxTtlSeconds?: number;
  }) {
    this.#prisma = deps.prisma;
    this.#extraVerifiers = deps.playerTokenVerifiers ?? [];
    this.#box = deps.box;
    this.#adminToken = deps.adminToken;
    this.keyCacheMs = deps.keyCacheMs ?? 5_000;
    this.#outbound = deps.outbound;
    this.#maxTokenLifetimeSeconds = deps.playerTokenMaxTtlSeconds ?? 86_400;
  }

  forgetKey(hash: string): void {
    this.#keyCache.delete(hash);
  }

  async authenticate(headers: Headers): Promise<Caller> {
    const authorization = headers.get('authorization');
    if (!authorization) return { kind: 'anonymous' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw new AuthenticationError('Authorization must be "Bearer <key>"');
    const token = match[1];
    if (this.#adminToken && constantTimeEqual(token, this.#adminToken)) return { kind: 'admin' };
    if (!token.startsWith(SERVER_KEY_PREFIX) && !token.startsWith(CLIENT_KEY_PREFIX)) {
      throw new AuthenticationError('Unknown credential: expected a zd_sk_ or zd_pk_ API key');
    }
    const caller = await this.#lookupKey(token);
    if (caller.kind === 'client') {
      const playerToken = headers.get('x-player-token');
      return { ...caller, playerId: playerToken ? await this.verifyPlayerToken(caller.appId, playerToken) : null };
    }
    return caller;
  }

  async #lookupKey(key: string): Promise<CachedKey['caller']> {
    const hash = sha256Hex(key);
    const cached = this.#keyCache.get(hash);
    if (cached && cached.until > Date.now()) return cached.caller;
    const row = await this.#prisma.apiKey.findUnique({
      where: { hash },
      select: { id: true, appId: true, role: true, revokedAt: true, app: { select: { rateLimitPerMinute: true } } },
    });
    if (!row || row.revokedAt) throw new AuthenticationError('Invalid or revoked API key');
    const base = { appId: row.appId, keyId: row.id, rateLimitPerMinute: row.app.rateLimitPerMinute };
    const caller: CachedKey['caller'] =
      row.role === 'SERVER' ? { kind: 'server', ...base } : { kind: 'client', ...base, playerId: null };
    if (this.#keyCache.size > 10_000) this.#keyCache.clear();
    this.#keyCache.set(hash, { caller, until: Date.now() + this.keyCacheMs });
    void this.#prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
    return caller;
  }

  /** Mints a short-lived player token for `playerId` (createPlayerToken). */
  async mintPlayerToken(appId: string, playerId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
    const app = await this.#prisma.app.findUniqueOrThrow({ where: { id: appId }, select: { playerTokenSecret: true } });
    const secret = new TextEncoder().encode(this.#box.open(app.playerTokenSecret));
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(PLAYER_TOKEN_ISSUER)
      .setAudience(playerTokenAudience(appId))
      .setSubject(playerId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(secret);
    return { token, expiresAt };
  }

  /**
   * Verifies a player token and returns the player id it names. Accepted: tokens we
   * minted, tokens the app signs itself (HS256 secret or its JWKS), and store tokens
   * (Huya SDK). Algorithms are pinned; expiry and audience are required.
   */
  async verifyPlayerToken(appId: string, token: string): Promise<string> {
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new AuthenticationError('Player token is not a JWT');
    }
    const audience = playerTokenAudience(appId);
    const app = await this.#prisma.app.findUniqueOrThrow({
      where: { id: appId },
      select: { playerTokenSecret: true, playerTokenHmacKey: true, playerTokenJwksUrl: true },
    });
    const options = { audience, requiredClaims: ['exp', 'sub'] };
    const reasonOf = (err: unknown) => (err instanceof Error ? err.message : 'verification failed');
    /** Why the app's own HMAC secret refused the token, reported if nothing else accepts it. */
    let hmacRefusal: string | null = null;
    try {
      if (claims.iss === PLAYER_TOKEN_ISSUER) {
        const secret = new TextEncoder().encode(this.#box.open(app.playerTokenSecret));
        const { payload } = await jwtVerify(token, secret, { ...options, issuer: PLAYER_TOKEN_ISSUER, algorithms: ['HS256'] });
        return playerIdOf(payload);
      }
      if (claims.aud !== undefined) {
        if (app.playerTokenHmacKey) {
          const secret = new TextEncoder().encode(this.#box.open(app.playerTokenHmacKey));
          const verified = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] }).catch((err: unknown) => {
            hmacRefusal = reasonOf(err);
            return null;
          });
          if (verified) return playerIdOf(this.#withinLifetime(verified.payload));
        }
        if (app.playerTokenJwksUrl) {
          const { payload } = await jwtVerify(token, this.#jwksFor(app.playerTokenJwksUrl), {
            ...options,
            algorithms: ['RS256', 'ES256', 'EdDSA'],
          });
          return playerIdOf(this.#withinLifetime(payload));
        }
      }
    } catch (err) {
      if (err instanceof AuthenticationError) throw err;
      throw new AuthenticationError(`Invalid player token: ${reasonOf(err)}`);
    }
    for (const verifier of this.#extraVerifiers) {
      const playerId = await verifier(appId, token).catch(() => null);
      if (playerId) return playerIdOf({ sub: playerId });
    }
    throw new AuthenticationError(`Invalid player token${hmacRefusal ? `: ${hmacRefusal}` : ''}`);
  }

  /**
   * A token the app signed itself may not outlive PLAYER_TOKEN_MAX_TTL_SECONDS: a leaked
   * year-long token would otherwise act for the player all year.
   */
  #withinLifetime(payload: JWTPayload): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    const max = this.#maxTokenLifetimeSeconds;
    const leeway = 60; // clock skew between the app's signer and us
    if (typeof payload.exp === 'number' && payload.exp - now > max + leeway) {
      throw new AuthenticationError(`Invalid player token: expires more than ${max} s from now (the longest lifetime allowed)`);
    }
    if (typeof payload.iat === 'number' && typeof payload.exp === 'number' && payload.exp - payload.iat > max + leeway) {
      throw new AuthenticationError(`Invalid player token: lifetime exp − iat is over ${max} s`);
    }
    return payload;
  }

  #jwksFor(url: string): JWTVerifyGetKey {
    let jwks = this.#jwks.get(url);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(url), {
        timeoutDuration: 5_000,
        cooldownDuration: 30_000,
        [customFetch]: (this.#outbound ?? strictOutbound()).fetchFunction,
      });
      this.#jwks.set(url, jwks);
    }
    return jwks;
  }
}

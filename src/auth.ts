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
  | {
      kind: 'client';
      appId: string;
      keyId: string;
      rateLimitPerMinute: number;
      playerId: string | null;
      /** When the player token stops being valid (ms since epoch); null without one or when it names no expiry. */
      playerTokenExpiresAt: number | null;
    };

/** What a caller must send; every 401 names it. */
export const CREDENTIALS_HINT = 'send Authorization: Bearer zd_sk_… (server key) or zd_pk_… plus X-Player-Token (client key for one player)';

/** The WWW-Authenticate header of a 401 (RFC 6750): the scheme, and what was wrong. */
export function wwwAuthenticate(description?: string): string {
  const quoted = (text: string) => text.replace(/[\\"]/g, '').replace(/[^\x20-\x7e]/g, '');
  return description
    ? `Bearer realm="zerodrop", error="invalid_token", error_description="${quoted(description)}"`
    : 'Bearer realm="zerodrop"';
}

export const SERVER_KEY_PREFIX = 'zd_sk_';
/** The pub/sub topic (and Redis channel) announcing a revoked key to every instance: src/pubsub.ts. */
export const API_KEY_REVOKED_CHANNEL = 'apiKeys:revoked';
export const CLIENT_KEY_PREFIX = 'zd_pk_';
export const PLAYER_TOKEN_ISSUER = 'zerodrop';
export const playerTokenAudience = (appId: string) => `zerodrop:app:${appId}`;
/** The longest player id a token may carry (the same bound createPlayerToken applies). */
export const MAX_PLAYER_ID_LENGTH = 200;

/** A request that cannot be authenticated: answered 401 before GraphQL runs. */
export class AuthenticationError extends AppError {
  /** What was wrong, without the hint (for WWW-Authenticate). */
  readonly reason: string;
  constructor(reason: string) {
    super('UNAUTHENTICATED', `${reason}: ${CREDENTIALS_HINT}`);
    this.reason = reason;
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

/** A verified player token: the player it names and when it expires. */
export interface PlayerClaims {
  playerId: string;
  /** ms since epoch; null when the verifier does not say (a store's own token). */
  expiresAt: number | null;
}

/**
 * The player a verified token names. An empty or oversized subject is refused: an empty
 * player id would read as "no player" to code that tests it for truthiness.
 */
function playerIdOf(payload: JWTPayload): PlayerClaims {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.trim() === '' || sub.length > MAX_PLAYER_ID_LENGTH) {
    throw new AuthenticationError(`Invalid player token: sub must name the player (1..${MAX_PLAYER_ID_LENGTH} characters)`);
  }
  return { playerId: sub, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null };
}

/** Bounds a cache map: cleared whole when it grows past `max` (simple, and enough against floods). */
function bounded<T extends { size: number; clear(): void }>(cache: T, max: number): T {
  if (cache.size >= max) cache.clear();
  return cache;
}

/** Extra player-token verifiers a store may contribute (Huya's SDK JWT). */
export type PlayerTokenVerifier = (appId: string, token: string) => Promise<string | null>;

export class Authenticator {
  readonly #prisma: PrismaClient;
  readonly #box: SecretBox;
  readonly #adminToken: string | undefined;
  readonly #keyCache = new Map<string, CachedKey>();
  /** Hashes of keys that do not exist or are revoked, until when that answer is reused. */
  readonly #unknownKeys = new Map<string, number>();
  /** Key ids known active, until when. */
  readonly #activeKeys = new Map<string, number>();
  readonly #revocationListeners: ((keyId: string) => void)[] = [];
  /** Key ids known revoked (revocation is final). */
  readonly #revokedKeys = new Set<string>();
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

  /** Calls `listener` with each revoked key's id (the guard ends the key's live sessions). */
  onKeyRevoked(listener: (keyId: string) => void): void {
    this.#revocationListeners.push(listener);
  }

  /**
   * A key was revoked (here or, through the broadcast, on another instance): drop what is
   * cached about it and tell the listeners.
   */
  keyRevoked(keyId: string, hash: string): void {
    for (const listener of this.#revocationListeners) listener(keyId);
    this.#keyCache.delete(hash);
    this.#activeKeys.delete(keyId);
    bounded(this.#revokedKeys, 100_000).add(keyId);
    bounded(this.#unknownKeys, 100_000).set(hash, Date.now() + Math.max(this.keyCacheMs, 60_000));
  }

  /**
   * Whether the caller's credentials still hold: its key is not revoked and its player
   * token has not expired. Run before every operation, so a long-lived socket or stream
   * cannot outlive them. Reads the database at most once per key per keyCacheMs.
   */
  async recheck(caller: Caller): Promise<void> {
    if (caller.kind !== 'server' && caller.kind !== 'client') return;
    if (caller.kind === 'client' && caller.playerTokenExpiresAt !== null && caller.playerTokenExpiresAt <= Date.now()) {
      throw new AuthenticationError('Player token expired');
    }
    if (this.#revokedKeys.has(caller.keyId)) throw new AuthenticationError('API key revoked');
    const until = this.#activeKeys.get(caller.keyId);
    if (until !== undefined && until > Date.now()) return;
    const row = await this.#prisma.apiKey.findUnique({ where: { id: caller.keyId }, select: { revokedAt: true } });
    if (!row || row.revokedAt) {
      bounded(this.#revokedKeys, 100_000).add(caller.keyId);
      throw new AuthenticationError('API key revoked');
    }
    bounded(this.#activeKeys, 10_000).set(caller.keyId, Date.now() + this.keyCacheMs);
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
      if (!playerToken) return caller;
      const claims = await this.verifyPlayerClaims(caller.appId, playerToken);
      return { ...caller, playerId: claims.playerId, playerTokenExpiresAt: claims.expiresAt };
    }
    return caller;
  }

  async #lookupKey(key: string): Promise<CachedKey['caller']> {
    const hash = sha256Hex(key);
    const now = Date.now();
    const cached = this.#keyCache.get(hash);
    if (cached && cached.until > now) return cached.caller;
    // Negative cache: a flood of made-up keys costs no database reads.
    if ((this.#unknownKeys.get(hash) ?? 0) > now) throw new AuthenticationError('Invalid or revoked API key');
    const row = await this.#prisma.apiKey.findUnique({
      where: { hash },
      select: { id: true, appId: true, role: true, revokedAt: true, app: { select: { rateLimitPerMinute: true } } },
    });
    if (!row || row.revokedAt) {
      bounded(this.#unknownKeys, 100_000).set(hash, now + Math.max(this.keyCacheMs, 1_000));
      if (row) bounded(this.#revokedKeys, 100_000).add(row.id);
      throw new AuthenticationError('Invalid or revoked API key');
    }
    const base = { appId: row.appId, keyId: row.id, rateLimitPerMinute: row.app.rateLimitPerMinute };
    const caller: CachedKey['caller'] =
      row.role === 'SERVER' ? { kind: 'server', ...base } : { kind: 'client', ...base, playerId: null, playerTokenExpiresAt: null };
    bounded(this.#keyCache, 10_000).set(hash, { caller, until: now + this.keyCacheMs });
    bounded(this.#activeKeys, 10_000).set(row.id, now + this.keyCacheMs);
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
    return (await this.verifyPlayerClaims(appId, token)).playerId;
  }

  /** verifyPlayerToken, with the token's expiry. */
  async verifyPlayerClaims(appId: string, token: string): Promise<PlayerClaims> {
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

// The checks every GraphQL operation passes, on every transport (HTTP, SSE, graphql-ws):
// who is calling (with a throttle on failed attempts per address), whether their budget
// allows it (per key, per player, per address), whether their credentials still hold
// (re-checked before every operation, not only when a socket opens), and how many
// sockets and subscriptions they hold. Live sessions (sockets, subscription streams)
// end when their key is revoked — here or, through the broadcast, on another instance —
// or when their player token expires.
//
// HTTP and SSE run these in the Yoga plugin (authentication, budgets, body check) and the
// envelop plugin (re-check, subscription caps and ends); graphql-ws runs authentication
// and budgets in its connection_init and subscribe hooks and then the same envelop
// plugin through Yoga's getEnveloped.
import type { IncomingMessage } from 'node:http';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { Repeater, type Plugin as YogaPlugin } from 'graphql-yoga';
import type { Env } from './platform/env.js';
import { AuthenticationError, wwwAuthenticate, type Authenticator, type Caller } from './auth.js';
import type { KeyRateLimiter } from './rate-limit.js';
import { AppError, RateLimitedError } from './platform/errors.js';
import type { Context } from './context.js';
import type { Logger } from './platform/logger.js';
import { graphqlErrorResponse } from './http/json.js';
import { checkGraphqlBody } from './http/graphql-body.js';

/** Why a live session ended; the graphql-ws close code and reason, documented in docs/operations.md. */
export interface SessionEnd {
  code: number;
  message: string;
}

/** graphql-ws close codes ZeroDrop uses besides the protocol's own (4400, 4408, 4409, …). */
export const CLOSE_CODES = {
  /** connection_init without valid credentials (graphql-ws's Forbidden). */
  refused: 4403,
  /** The key was revoked or the player token expired while the socket was open (graphql-ws's Unauthorized). */
  credentialsEnded: 4401,
  /** Over a rate limit or a connection cap at connection_init. */
  tooMany: 4429,
} as const;

export const KEY_REVOKED: SessionEnd = { code: CLOSE_CODES.credentialsEnded, message: 'API key revoked' };
export const TOKEN_EXPIRED: SessionEnd = { code: CLOSE_CODES.credentialsEnded, message: 'Player token expired' };

/** Refused because a cap on open connections or subscriptions is reached. */
export class LiveLimitError extends AppError {
  constructor(message: string) {
    super('TOO_MANY_SUBSCRIPTIONS', message);
  }
}

/** One open socket or subscription stream, counted against its caps until closed. */
export interface LiveSession {
  /** Resolves when the session must end (revocation, expiry); never rejects. */
  readonly ended: Promise<SessionEnd>;
  /** Releases the session's place (idempotent). */
  close(): void;
}

/** The address a request came from: the socket's peer, or X-Forwarded-For behind `hops` trusted proxies. */
export function clientAddress(req: IncomingMessage | undefined, headers: Headers | IncomingMessage['headers'], hops: number): string {
  const peer = req?.socket?.remoteAddress ?? 'unknown';
  if (hops === 0) return peer;
  const raw = headers instanceof Headers ? headers.get('x-forwarded-for') : headers['x-forwarded-for'];
  const forwarded = (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  // Each trusted proxy appended the address it saw; entries further left are the client's word.
  return forwarded.length === 0 ? peer : (forwarded[Math.max(0, forwarded.length - hops)] ?? peer);
}

interface SessionEntry {
  keyId: string | null;
  end(reason: SessionEnd): void;
}

type GuardSettings = Pick<
  Env,
  | 'PLAYER_RATE_LIMIT_PER_MINUTE'
  | 'CLIENT_ADDRESS_RATE_LIMIT_PER_MINUTE'
  | 'AUTH_FAILURES_PER_MINUTE'
  | 'LIVE_CONNECTIONS_PER_KEY'
  | 'LIVE_CONNECTIONS_PER_ADDRESS'
  | 'LIVE_SUBSCRIPTIONS_PER_KEY'
  | 'LIVE_SUBSCRIPTIONS_PER_ADDRESS'
  | 'API_KEY_CACHE_MS'
>;

export class Guard {
  readonly #auth: Authenticator;
  readonly #limiter: KeyRateLimiter;
  readonly #settings: GuardSettings;
  readonly #logger: Logger;
  readonly #counts = new Map<string, number>();
  readonly #sessions = new Set<SessionEntry>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(deps: { env: GuardSettings; auth: Authenticator; limiter: KeyRateLimiter; logger: Logger }) {
    this.#auth = deps.auth;
    this.#limiter = deps.limiter;
    this.#settings = deps.env;
    this.#logger = deps.logger;
    this.#auth.onKeyRevoked((keyId) => this.#endKey(keyId));
  }

  /**
   * The caller `headers` name. An address whose failures spent AUTH_FAILURES_PER_MINUTE is
   * refused before any lookup (RateLimitedError); each failure counts against it.
   */
  async authenticate(headers: Headers, address: string): Promise<Caller> {
    const wait = await this.#limiter.blocked(`auth:${address}`, this.#settings.AUTH_FAILURES_PER_MINUTE);
    if (wait !== null) {
      throw new RateLimitedError(wait, `Too many failed authentications from this address; retry in ${wait}s`);
    }
    try {
      return await this.#auth.authenticate(headers);
    } catch (err) {
      if (err instanceof AuthenticationError) await this.#limiter.penalize(`auth:${address}`, this.#settings.AUTH_FAILURES_PER_MINUTE);
      throw err;
    }
  }

  /**
   * Spends one request of the caller's budgets: the player's (client key with a player
   * token) or the address's (client key without one), then the key's own, which stays
   * the ceiling for the whole app key however many players share it.
   */
  async admit(caller: Caller, address: string): Promise<void> {
    if (caller.kind === 'client') {
      const [bucket, limit, whose] =
        caller.playerId !== null
          ? [`player:${caller.appId}:${caller.playerId}`, this.#settings.PLAYER_RATE_LIMIT_PER_MINUTE, 'this player']
          : [`addr:${caller.keyId}:${address}`, this.#settings.CLIENT_ADDRESS_RATE_LIMIT_PER_MINUTE, 'client-key calls without a player token from this address'];
      const wait = await this.#limiter.consume(bucket, limit);
      if (wait !== null) throw new RateLimitedError(wait, `Rate limit of ${limit} requests/minute exceeded for ${whose}; retry in ${wait}s`);
    }
    if (caller.kind === 'server' || caller.kind === 'client') {
      const wait = await this.#limiter.consume(caller.keyId, caller.rateLimitPerMinute);
      if (wait !== null) {
        throw new RateLimitedError(wait, `Rate limit of ${caller.rateLimitPerMinute} requests/minute exceeded for this API key; retry in ${wait}s`);
      }
    }
  }

  /** Live sessions of `kind` a server key holds on this instance (what its cap counts). */
  openSessionsOfKey(kind: 'connection' | 'subscription', keyId: string): number {
    return this.#counts.get(`${kind}:key:${keyId}`) ?? 0;
  }

  /**
   * Opens a live session (a graphql-ws socket or a running subscription) for `caller`, or
   * throws LiveLimitError when the key's (a client key: the player's) or the address's
   * cap for that kind is reached. `onEnd` runs once if the key is revoked or the player
   * token expires while the session is open.
   */
  openSession(caller: Caller, address: string, kind: 'connection' | 'subscription', onEnd?: (reason: SessionEnd) => void): LiveSession {
    const [perKey, perAddress] =
      kind === 'connection'
        ? [this.#settings.LIVE_CONNECTIONS_PER_KEY, this.#settings.LIVE_CONNECTIONS_PER_ADDRESS]
        : [this.#settings.LIVE_SUBSCRIPTIONS_PER_KEY, this.#settings.LIVE_SUBSCRIPTIONS_PER_ADDRESS];
    const principal =
      caller.kind === 'server' ? caller.keyId : caller.kind === 'client' ? `${caller.keyId}:${caller.playerId ?? `@${address}`}` : caller.kind;
    const counters = [`${kind}:key:${principal}`, `${kind}:addr:${address}`];
    const plural = kind === 'connection' ? 'connections' : 'subscriptions';
    if ((this.#counts.get(counters[0]!) ?? 0) >= perKey) {
      throw new LiveLimitError(`Too many open ${plural} for this ${caller.kind === 'client' ? 'player' : 'API key'} (limit ${perKey})`);
    }
    if ((this.#counts.get(counters[1]!) ?? 0) >= perAddress) {
      throw new LiveLimitError(`Too many open ${plural} from this address (limit ${perAddress})`);
    }
    for (const counter of counters) this.#counts.set(counter, (this.#counts.get(counter) ?? 0) + 1);

    let resolveEnded!: (reason: SessionEnd) => void;
    const ended = new Promise<SessionEnd>((resolve) => (resolveEnded = resolve));
    let open = true;
    let expiry: NodeJS.Timeout | undefined;
    const entry: SessionEntry = {
      keyId: caller.kind === 'server' || caller.kind === 'client' ? caller.keyId : null,
      end: (reason) => {
        if (!open) return;
        close();
        resolveEnded(reason);
        onEnd?.(reason);
      },
    };
    const close = () => {
      if (!open) return;
      open = false;
      if (expiry) clearTimeout(expiry);
      this.#sessions.delete(entry);
      for (const counter of counters) {
        const left = (this.#counts.get(counter) ?? 1) - 1;
        if (left <= 0) this.#counts.delete(counter);
        else this.#counts.set(counter, left);
      }
    };
    this.#sessions.add(entry);
    const expiresAt = caller.kind === 'client' ? caller.playerTokenExpiresAt : null;
    if (expiresAt !== null) {
      // setTimeout holds at most ~24.8 days; a later expiry is still caught by the re-check before each operation.
      const delay = Math.max(0, expiresAt - Date.now());
      if (delay < 2 ** 31 - 1) {
        expiry = setTimeout(() => entry.end(TOKEN_EXPIRED), delay);
        expiry.unref();
      }
    }
    return { ended, close };
  }

  /** A key was revoked (Authenticator.keyRevoked): end its sockets and streams. */
  #endKey(keyId: string): void {
    let ended = 0;
    for (const session of [...this.#sessions]) {
      if (session.keyId === keyId) {
        session.end(KEY_REVOKED);
        ended++;
      }
    }
    if (ended > 0) this.#logger.info({ keyId, sessions: ended }, 'API key revoked: ended its live sessions');
  }

  /**
   * Re-reads the keys of open sessions every API_KEY_CACHE_MS (at least every second): the
   * safety net for revocations whose broadcast did not arrive (no Redis between instances,
   * a revocation from the CLI without REDIS_URL).
   */
  startSweep(): void {
    const every = Math.max(1_000, this.#settings.API_KEY_CACHE_MS);
    this.#sweep = setInterval(() => void this.#sweepOnce(), every);
    this.#sweep.unref();
  }

  stopSweep(): void {
    if (this.#sweep) clearInterval(this.#sweep);
  }

  async #sweepOnce(): Promise<void> {
    const keyIds = new Set<string>();
    for (const session of this.#sessions) if (session.keyId) keyIds.add(session.keyId);
    for (const keyId of keyIds) {
      try {
        await this.#auth.recheck({ kind: 'server', keyId, appId: '', rateLimitPerMinute: 0 });
      } catch (err) {
        if (!(err instanceof AuthenticationError)) return; // database unavailable: try again next time
        for (const session of [...this.#sessions]) if (session.keyId === keyId) session.end(KEY_REVOKED);
      }
    }
  }

  /** Ends every open session (tests; shutdown closes sockets itself). */
  get openSessions(): number {
    return this.#sessions.size;
  }

  /**
   * The envelop plugin every operation runs through (HTTP, SSE and graphql-ws alike):
   * credentials re-checked before each execute and subscribe; subscriptions counted
   * against their caps and ended on revocation or token expiry with a final error.
   */
  envelopPlugin(): YogaPlugin<Context> {
    const refusal = async (caller: Caller): Promise<GraphQLError | null> => {
      try {
        await this.#auth.recheck(caller);
        return null;
      } catch (err) {
        if (err instanceof AuthenticationError) return new GraphQLError(err.message, { extensions: { code: err.code } });
        throw err;
      }
    };
    return {
      onExecute: async ({ args, setResultAndStopExecution }) => {
        const refused = await refusal(args.contextValue.caller);
        if (refused) setResultAndStopExecution({ errors: [refused] });
      },
      onSubscribe: async ({ args, setResultAndStopExecution }) => {
        const ctx = args.contextValue;
        const refused = await refusal(ctx.caller);
        if (refused) {
          setResultAndStopExecution({ errors: [refused] });
          return;
        }
        let session: LiveSession;
        try {
          session = this.openSession(ctx.caller, ctx.clientAddress, 'subscription');
        } catch (err) {
          if (!(err instanceof LiveLimitError)) throw err;
          setResultAndStopExecution({ errors: [new GraphQLError(err.message, { extensions: { code: err.code } })] });
          return;
        }
        return {
          onSubscribeResult: ({ result, setResult }) => {
            if (Symbol.asyncIterator in result) setResult(guardedStream(result, session));
            else session.close();
          },
        };
      },
    };
  }

  /**
   * The Yoga plugin for HTTP (and SSE) requests: authentication with its throttle,
   * budgets, and the body check, before Yoga parses anything. The caller goes to the
   * GraphQL context through the server context. `unexpected` answers errors that are not
   * refusals (database down: 503).
   */
  yogaPlugin(unexpected: (err: unknown) => Response): YogaPlugin<Context> {
    return {
      onRequest: async ({ request, setRequest, serverContext, endResponse, fetchAPI }) => {
        const server = serverContext as { clientAddress?: string; caller?: Caller };
        const address = server.clientAddress ?? 'unknown';
        try {
          const caller = await this.authenticate(request.headers, address);
          await this.admit(caller, address);
          server.caller = caller;
        } catch (err) {
          endResponse(refusalResponse(err) ?? unexpected(err));
          return;
        }
        try {
          const checked = await checkGraphqlBody(request, fetchAPI.Request);
          if (checked instanceof Response) endResponse(checked);
          else setRequest(checked);
        } catch (err) {
          endResponse(unexpected(err));
        }
      },
    };
  }
}

/** The HTTP answer to a refused request (401 or 429), or null for any other error. */
export function refusalResponse(err: unknown): Response | null {
  if (err instanceof AuthenticationError) {
    return graphqlErrorResponse(401, err.code, err.message, { 'www-authenticate': wwwAuthenticate(err.reason) });
  }
  if (err instanceof RateLimitedError) {
    return graphqlErrorResponse(429, err.code, err.message, { 'retry-after': String(err.retryAfterSeconds) });
  }
  return null;
}

/**
 * `source`, ended with a final UNAUTHENTICATED error when the session ends (revocation,
 * expiry). A Repeater, not an async generator: a generator waiting for the next event
 * could not be stopped until one came, and the stream would outlive its client.
 */
function guardedStream(source: AsyncIterable<ExecutionResult>, session: LiveSession): AsyncIterableIterator<ExecutionResult> {
  return new Repeater<ExecutionResult>(async (push, stop) => {
    const iterator = source[Symbol.asyncIterator]();
    let finished = false;
    void stop.then(() => {
      finished = true;
      session.close();
      void iterator.return?.()?.catch(() => {});
    });
    void session.ended.then((reason) => {
      if (finished) return;
      // Values pushed before stop() are still delivered: the client reads why its stream ended.
      void push({ errors: [new GraphQLError(reason.message, { extensions: { code: 'UNAUTHENTICATED' } })] });
      stop();
    });
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || finished) break;
        await push(next.value);
      }
      stop();
    } catch (err) {
      stop(err);
    }
  });
}

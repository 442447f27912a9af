// GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's /graphql path,
// executed by the same Yoga/envelop pipeline as HTTP requests. Clients authenticate in
// connectionParams ({ Authorization: "Bearer <key>", "X-Player-Token": "<jwt>" }), never
// in the URL, where keys would end up in access logs.
//
// The guard (src/guard.ts) runs here as on HTTP: connection_init authenticates (failed
// attempts throttled per address), spends one request of the caller's budgets and takes
// a place among the key's and the address's connections; every subscribe message spends
// one more and re-checks the credentials; the envelop plugin re-checks them again before
// the operation runs. A socket whose key is revoked or whose player token expires is
// closed with 4401 and the reason (close codes: CLOSE_CODES, docs/operations.md).
import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ZeroDropApp } from '../app.js';
import { AuthenticationError, type Caller } from '../auth.js';
import { CLOSE_CODES, LiveLimitError, type LiveSession } from '../guard.js';
import { AppError, RateLimitedError } from '../platform/errors.js';
import { MAX_GRAPHQL_BODY_BYTES } from './graphql-body.js';

/** Envelop's execute/subscribe, carried to graphql-ws's execute/subscribe through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

interface Connection {
  caller: Caller;
  address: string;
  session: LiveSession;
}

function param(params: Record<string, unknown> | undefined, name: string): string | null {
  if (!params) return null;
  const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : params[key];
  return typeof value === 'string' ? value : null;
}

/** A close reason fits in 123 bytes (RFC 6455); longer ones are cut. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= 123 ? text : `${bytes.subarray(0, 120).toString().replace(/\uFFFD+$/, '')}...`;
}

export const MISSING_CREDENTIALS_REASON = 'Send Authorization: Bearer zd_sk_… or zd_pk_… plus X-Player-Token in connectionParams';

export interface GraphqlWsServer {
  /** Closes every socket (code 1001, going away) and stops accepting new ones. */
  close(): Promise<void>;
}

export function attachGraphqlWs(server: Server, app: ZeroDropApp): GraphqlWsServer {
  const wss = new WebSocketServer({ server, path: app.yoga.graphqlEndpoint, maxPayload: MAX_GRAPHQL_BODY_BYTES });
  const connections = new WeakMap<object, Connection>();
  const env = app.services.env;
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const address = app.clientAddressOf(request, request.headers);
        const refuse = (code: number, reason: string) => {
          app.logger.debug({ reason, address }, 'graphql-ws connection refused');
          socket.close(code, closeReason(reason));
          return false; // graphql-ws's own close after ours changes nothing
        };
        const headers = new Headers();
        const authorization = param(ctx.connectionParams, 'Authorization');
        const playerToken = param(ctx.connectionParams, 'X-Player-Token');
        if (authorization) headers.set('authorization', authorization);
        if (playerToken) headers.set('x-player-token', playerToken);
        try {
          const caller = await app.guard.authenticate(headers, address);
          // Nothing is open to anonymous callers; an idle socket would only hold a place.
          if (caller.kind === 'anonymous') return refuse(CLOSE_CODES.refused, MISSING_CREDENTIALS_REASON);
          await app.guard.admit(caller, address);
          const session = app.guard.openSession(caller, address, 'connection', (end) => socket.close(end.code, end.message));
          connections.set(ctx, { caller, address, session });
          return true;
        } catch (err) {
          if (err instanceof AuthenticationError) return refuse(CLOSE_CODES.refused, `Forbidden: ${err.reason}`);
          if (err instanceof RateLimitedError || err instanceof LiveLimitError) return refuse(CLOSE_CODES.tooMany, err.message);
          throw err;
        }
      },
      onClose: (ctx) => {
        connections.get(ctx)?.session.close();
      },
      onSubscribe: async (ctx, _id, payload) => {
        const connection = connections.get(ctx);
        if (!connection) return [new GraphQLError('Not connected', { extensions: { code: 'UNAUTHENTICATED' } })];
        const { caller, address } = connection;
        try {
          await app.services.auth.recheck(caller);
          await app.guard.admit(caller, address);
        } catch (err) {
          if (err instanceof AuthenticationError) {
            // The credentials ended between the broadcast and this message: end the socket as the broadcast would.
            ctx.extra.socket.close(CLOSE_CODES.credentialsEnded, closeReason(err.reason));
          }
          if (err instanceof AppError) {
            const retryAfter = err instanceof RateLimitedError ? { retryAfter: err.retryAfterSeconds } : {};
            return [new GraphQLError(err.message, { extensions: { code: err.code, ...retryAfter } })];
          }
          throw err;
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.yoga.getEnveloped({
          caller,
          clientAddress: address,
          requestId: crypto.randomUUID(),
        });
        const document = parse(payload.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const root: EnvelopedRoot = { execute, subscribe };
        return {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: root,
        };
      },
    },
    wss,
  );
  return {
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

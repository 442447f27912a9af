// GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's /graphql path,
// executed by the same Yoga/envelop pipeline as HTTP requests. Clients authenticate in
// connectionParams ({ Authorization: "Bearer <key>", "X-Player-Token": "<jwt>" }), never
// in the URL, where keys would end up in access logs.
import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ZeroDropApp } from '../app.js';
import { AuthenticationError, type Caller } from '../auth.js';

/** Envelop's execute/subscribe, carried to graphql-ws's execute/subscribe through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

function param(params: Record<string, unknown> | undefined, name: string): string | null {
  if (!params) return null;
  const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : params[key];
  return typeof value === 'string' ? value : null;
}

export interface GraphqlWsServer {
  /** Closes every socket (code 1001, going away) and stops accepting new ones. */
  close(): Promise<void>;
}

export function attachGraphqlWs(server: Server, app: ZeroDropApp): GraphqlWsServer {
  const wss = new WebSocketServer({ server, path: app.yoga.graphqlEndpoint, maxPayload: 1024 * 1024 });
  const callers = new WeakMap<object, Caller>();
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const headers = new Headers();
        const authorization = param(ctx.connectionParams, 'Authorization');
        const playerToken = param(ctx.connectionParams, 'X-Player-Token');
        if (authorization) headers.set('authorization', authorization);
        if (playerToken) headers.set('x-player-token', playerToken);
        try {
          callers.set(ctx, await app.services.auth.authenticate(headers));
          return true;
        } catch (err) {
          if (err instanceof AuthenticationError) {
            app.logger.debug({ reason: err.message }, 'graphql-ws connection refused');
            return false; // closes with 4403 Forbidden
          }
          throw err;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const caller = callers.get(ctx) ?? { kind: 'anonymous' };
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.yoga.getEnveloped({
          caller,
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

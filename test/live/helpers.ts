// Live-delivery test helpers: orders through the fulfilment core's public API, and
// subscription clients over SSE (as Yoga serves it) and graphql-ws.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createServerAdapter } from '@whatwg-node/server';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { ZeroDropApp } from '../../src/app.js';
import type { PurchaseAccount } from '../../src/fulfilment/fulfilment.js';
import type { VerifiedPurchase } from '../../src/providers/contract.js';
import { attachGraphqlWs } from '../../src/http/graphql-ws.js';
import type { Credentials } from '../helpers/app.js';

export interface Shop {
  account: PurchaseAccount;
  /** storeProductId of a consumable the app sells. */
  gems: string;
}

/** A now.gg store account and one consumable product for `appId`. */
export async function openShop(app: ZeroDropApp, appId: string): Promise<Shop> {
  const account = await app.services.storeAccounts.create(appId, {
    store: 'NOWGG',
    environment: 'SANDBOX',
    name: `nowgg-${randomBytes(3).toString('hex')}`,
    settings: {},
    secrets: { paymentsApiKey: 'payments-api-key' },
  });
  const gems = `gems-${randomBytes(3).toString('hex')}`;
  await app.services.products.create(appId, { store: 'NOWGG', sku: gems, storeProductId: gems, type: 'CONSUMABLE', name: '100 gems' });
  return { account: { id: account.id, appId, store: 'NOWGG' }, gems };
}

export function verifiedPurchase(storeProductId: string, overrides: Partial<VerifiedPurchase> = {}): VerifiedPurchase {
  const storeOrderId = `order-${randomBytes(6).toString('hex')}`;
  return {
    storeOrderId,
    storeProductId,
    productType: 'CONSUMABLE',
    quantity: 1,
    amountMinor: 600n,
    currency: 'USD',
    purchaseToken: null,
    purchasedAt: new Date(),
    expiresAt: null,
    environment: 'SANDBOX',
    revocation: null,
    finishMode: 'NONE',
    finishParams: null,
    payload: { storeOrderId },
    ...overrides,
  };
}

/** Records a verified purchase through the core (what a store flow ends with). */
export async function buy(app: ZeroDropApp, shop: Shop, playerId: string, overrides: Partial<VerifiedPurchase> = {}) {
  return app.services.fulfilment.recordPurchase({ account: shop.account, playerId, purchase: verifiedPurchase(shop.gems, overrides) });
}

/** A stream of GraphQL results with a timeout per result. */
export interface ResultStream<R> {
  next(timeoutMs?: number): Promise<ExecutionResult<R>>;
  /** Resolves with the results that arrive within `ms` (for "nothing more comes" checks). */
  drain(ms: number): Promise<ExecutionResult<R>[]>;
  close(): Promise<void>;
}

/** Queues pushed values for consumers that ask with a timeout. */
class Inbox<T> {
  readonly #values: T[] = [];
  readonly #waiters: Array<(value: T) => void> = [];
  #failure: Error | undefined;
  #failureWaiters: Array<(err: Error) => void> = [];

  push(value: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#failureWaiters.shift();
      waiter(value);
    } else this.#values.push(value);
  }

  fail(err: Error): void {
    this.#failure = err;
    for (const reject of this.#failureWaiters.splice(0)) reject(err);
    this.#waiters.splice(0);
  }

  take(timeoutMs: number, what: string): Promise<T> {
    const queued = this.#values.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(onValue);
        if (at >= 0) {
          this.#waiters.splice(at, 1);
          this.#failureWaiters.splice(at, 1);
        }
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onValue = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiters.push(onValue);
      this.#failureWaiters.push((err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  async drain(ms: number): Promise<T[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#values.splice(0);
  }
}

function authHeaders(creds: Credentials): Record<string, string> {
  return {
    ...(creds.key ? { authorization: `Bearer ${creds.key}` } : {}),
    ...(creds.playerToken ? { 'x-player-token': creds.playerToken } : {}),
  };
}

/**
 * Subscribes over SSE (POST with Accept: text/event-stream, as Yoga serves it) through
 * `fetchFn` (app.fetch in-process, or global fetch against a server). Resolves once the
 * response headers arrived, i.e. the subscription is running.
 */
export async function sseSubscribe<R, V extends Record<string, unknown>>(
  fetchFn: (request: Request) => Promise<Response>,
  url: string,
  doc: TypedDocumentNode<R, V>,
  variables: V,
  creds: Credentials = {},
): Promise<ResultStream<R>> {
  const abort = new AbortController();
  const response = await fetchFn(
    new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders(creds) },
      body: JSON.stringify({ query: print(doc), variables }),
      signal: abort.signal,
    }),
  );
  if (!response.ok || !response.body) throw new Error(`SSE subscribe failed: HTTP ${response.status} ${await response.text()}`);
  const inbox = new Inbox<ExecutionResult<R>>();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffered = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += value;
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          if (event === 'next' && data) inbox.push(JSON.parse(data) as ExecutionResult<R>);
          if (event === 'complete') inbox.fail(new Error('subscription completed'));
        }
      }
      inbox.fail(new Error('SSE stream ended'));
    } catch (err) {
      inbox.fail(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return {
    next: (timeoutMs = 5_000) => inbox.take(timeoutMs, 'subscription result'),
    drain: (ms) => inbox.drain(ms),
    close: async () => {
      abort.abort();
      await reader.cancel().catch(() => {});
    },
  };
}

/** An HTTP server with graphql-ws for an app, as main.ts runs it. */
export async function listen(app: ZeroDropApp): Promise<{ server: Server; url: string; wsUrl: string; close(): Promise<void> }> {
  const server = createServer(createServerAdapter(app.fetch));
  const ws = attachGraphqlWs(server, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    close: async () => {
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A graphql-ws client authenticating with connectionParams (never the URL). */
export function wsClient(wsUrl: string, creds: Credentials): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: {
      ...(creds.key ? { Authorization: `Bearer ${creds.key}` } : {}),
      ...(creds.playerToken ? { 'X-Player-Token': creds.playerToken } : {}),
    },
    retryAttempts: 0,
    lazy: true,
  });
}

export function wsSubscribe<R, V extends Record<string, unknown>>(client: Client, doc: TypedDocumentNode<R, V>, variables: V): ResultStream<R> {
  const inbox = new Inbox<ExecutionResult<R>>();
  const unsubscribe = client.subscribe<R>(
    { query: print(doc), variables },
    {
      next: (value) => inbox.push(value as ExecutionResult<R>),
      error: (err) => inbox.fail(err instanceof Error ? err : new Error(JSON.stringify(err))),
      complete: () => inbox.fail(new Error('subscription completed')),
    },
  );
  return {
    next: (timeoutMs = 5_000) => inbox.take(timeoutMs, 'subscription result'),
    drain: (ms) => inbox.drain(ms),
    close: async () => unsubscribe(),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

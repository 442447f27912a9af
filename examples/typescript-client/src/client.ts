// A small typed ZeroDrop client: queries and mutations over HTTP, subscriptions over
// graphql-ws. Credentials: the app's client key and a player token your game server minted.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface ZeroDropCredentials {
  /** e.g. https://zerodrop.example.com/graphql */
  url: string;
  clientKey: string;
  playerToken: string;
}

export class ZeroDropError extends Error {}

export class ZeroDropClient {
  readonly #credentials: ZeroDropCredentials;
  #ws: Client | null = null;

  constructor(credentials: ZeroDropCredentials) {
    this.#credentials = credentials;
  }

  /** Runs a query or mutation; GraphQL errors (not typed result errors) throw. */
  async request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const response = await fetch(this.#credentials.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.#credentials.clientKey}`,
        'x-player-token': this.#credentials.playerToken,
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    if (!response.ok) throw new ZeroDropError(`ZeroDrop answered HTTP ${response.status}: ${await response.text()}`);
    const result = (await response.json()) as ExecutionResult<R>;
    if (result.errors?.length || !result.data) throw new ZeroDropError(result.errors?.map((error) => error.message).join('; ') ?? 'no data');
    return result.data;
  }

  /** Subscribes over graphql-ws; `onData` sees every event until the returned function is called. */
  subscribe<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    onData: (data: R) => void,
    onError: (error: unknown) => void = () => {},
  ): () => void {
    this.#ws ??= createClient({
      url: this.#credentials.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${this.#credentials.clientKey}`, 'X-Player-Token': this.#credentials.playerToken },
    });
    return this.#ws.subscribe<R>(
      { query: print(document), variables },
      {
        next: (result) => (result.data ? onData(result.data) : onError(result.errors)),
        error: onError,
        complete: () => {},
      },
    );
  }

  async close(): Promise<void> {
    await this.#ws?.dispose();
    this.#ws = null;
  }
}

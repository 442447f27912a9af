// Raw graphql-ws sockets for the security tests: what a client sends and exactly how the
// server closes (code and reason), without a client library's retries in between.
import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
  /** performance.now() when the close arrived. */
  at: number;
}

export interface RawSocket {
  /** Resolves with the connection_ack, or rejects with the close. */
  acked: Promise<void>;
  closed: Promise<Closed>;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  /** The next message for subscription `id` (next, error or complete). */
  message(id: string, timeoutMs?: number): Promise<{ type: string; payload?: unknown }>;
  close(): void;
}

/**
 * Opens a graphql-transport-ws socket; sends connection_init with `params` unless `params`
 * is null. `from`: the client address, sent as X-Forwarded-For (servers with TRUST_PROXY_HOPS=1).
 */
export function rawSocket(wsUrl: string, params: Record<string, unknown> | null, from?: string): RawSocket {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws', from ? { headers: { 'x-forwarded-for': from } } : {});
  const queues = new Map<string, { type: string; payload?: unknown }[]>();
  const waiters = new Map<string, (m: { type: string; payload?: unknown }) => void>();
  let ack!: () => void;
  let nack!: (err: Error) => void;
  const acked = new Promise<void>((resolve, reject) => {
    ack = resolve;
    nack = reject;
  });
  acked.catch(() => {});
  const closed = new Promise<Closed>((resolve) =>
    socket.on('close', (code, reason) => {
      nack(new Error(`closed ${code} ${reason.toString()}`));
      resolve({ code, reason: reason.toString(), at: performance.now() });
    }),
  );
  socket.on('open', () => {
    if (params !== null) socket.send(JSON.stringify({ type: 'connection_init', payload: params }));
  });
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; id?: string; payload?: unknown };
    if (message.type === 'connection_ack') return ack();
    if (!message.id) return;
    const waiter = waiters.get(message.id);
    if (waiter) {
      waiters.delete(message.id);
      waiter(message);
    } else queues.set(message.id, [...(queues.get(message.id) ?? []), message]);
  });
  return {
    acked,
    closed,
    subscribe: (id, query, variables = {}) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    message: (id, timeoutMs = 5_000) => {
      const queued = queues.get(id)?.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message for ${id} within ${timeoutMs} ms`)), timeoutMs);
        waiters.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
    close: () => socket.close(),
  };
}

export const bearer = (key: string, playerToken?: string): Record<string, string> => ({
  Authorization: `Bearer ${key}`,
  ...(playerToken ? { 'X-Player-Token': playerToken } : {}),
});

/** A random documentation-range address, so runs sharing one Redis never share a budget. */
export function randomAddress(): string {
  return `198.51.100.${Math.floor(Math.random() * 254) + 1}-${Math.random().toString(36).slice(2, 8)}`;
}

// Typed pub/sub topics. In-process by default; Redis fans events out to every
// instance when REDIS_URL is set. Payloads carry ids only: subscribers re-read.
import { createPubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { AppendedEvent } from '../fulfilment/events.js';

export interface OrderEventMessage {
  eventId: string;
  orderId: string | null;
  playerId: string | null;
  type: string;
}

export type PubSubTopics = {
  /** Committed order events of one app. */
  'orderEvents:app': [appId: string, payload: OrderEventMessage];
  /**
   * An API key was revoked: every instance drops its cached lookups and ends the key's
   * sockets and streams. The CLI publishes to this Redis channel directly (API_KEY_REVOKED_CHANNEL).
   */
  'apiKeys:revoked': [payload: ApiKeyRevokedMessage];
};

export interface ApiKeyRevokedMessage {
  keyId: string;
  /** SHA-256 of the key, the key caches' index. */
  hash: string;
}

export type PubSub = ReturnType<typeof createPubSub<PubSubTopics>>;

export interface PubSubHandle {
  pubsub: PubSub;
  publishEvents(events: readonly AppendedEvent[]): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `onRedisError` receives the clients' connection errors (ioredis reconnects by itself;
 * without a listener it prints every failed attempt to stderr).
 */
export function createPubSubHandle(redisUrl?: string, onRedisError: (err: Error) => void = () => {}): PubSubHandle {
  if (!redisUrl) {
    const pubsub = createPubSub<PubSubTopics>();
    return {
      pubsub,
      publishEvents: (events) => publishAll(pubsub, events),
      ping: async () => {},
      close: async () => {},
    };
  }
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
  publishClient.on('error', onRedisError);
  subscribeClient.on('error', onRedisError);
  const pubsub = createPubSub<PubSubTopics>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient: settledSubscriptions(subscribeClient, onRedisError) }),
  });
  return {
    pubsub,
    publishEvents: (events) => publishAll(pubsub, events),
    ping: async () => {
      await publishClient.ping();
    },
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

function publishAll(pubsub: PubSub, events: readonly AppendedEvent[]): void {
  for (const e of events) {
    pubsub.publish('orderEvents:app', e.appId, {
      eventId: e.id.toString(),
      orderId: e.orderId,
      playerId: e.playerId,
      type: e.type,
    });
  }
}

/**
 * The subscribe client as redis-event-target sees it, except that its SUBSCRIBE and
 * UNSUBSCRIBE promises are always handled: the library drops them, so one still pending
 * when Redis goes away or the instance closes ("Connection is closed") was an unhandled
 * rejection. A failure is reported like any Redis error; ioredis resubscribes on reconnect.
 */
function settledSubscriptions(client: Redis, onRedisError: (err: Error) => void): Redis {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'subscribe' || property === 'unsubscribe') {
        return (...channels: string[]) => {
          const pending = target[property](...channels);
          pending.catch((err: unknown) => onRedisError(err instanceof Error ? err : new Error(String(err))));
          return pending;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}


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
};

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
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
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

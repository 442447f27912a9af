// Outbound webhooks: registration, signed delivery through the relay and the task worker,
// retries with backoff, a receiver that is down for a while, manual resend, pause,
// rotation, deletion and tenancy.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { backoffDelayMs } from '../../src/fulfilment/backoff.js';
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_RETRY_CAP_MS, verifyWebhook } from '../../src/services/webhooks.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, openShop, sleep, type Shop } from './helpers.js';
import { expectedSignature, WebhookReceiver } from './receiver.js';
import {
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  ResendWebhookDelivery,
  RotateWebhookSecret,
  UpdateWebhookEndpoint,
  WebhookDeliveries,
} from './documents.js';

let t: TestApp;
let tenant: Tenant;
let shop: Shop;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await createTestApp();
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await receiver.down();
  await t.close();
});
beforeEach(async () => {
  await receiver.up(); // a test that took it down and failed halfway must not break the next
  // A fresh tenant per test: endpoints and deliveries of one test never meet another's.
  tenant = await t.createTenant('hooks');
  shop = await openShop(t.app, tenant.appId);
  received().length = 0;
  receiver.answer = { status: 204, body: '' };
});

async function register(eventTypes?: ('ORDER_DELIVERED' | 'ORDER_REVOKED')[], key = tenant.serverKey, through: TestApp = t) {
  const res = await through.gql(CreateWebhookEndpoint, { input: { url: receiver.url, ...(eventTypes ? { eventTypes } : {}) } }, { key });
  const created = res.data?.createWebhookEndpoint;
  if (created?.__typename !== 'WebhookEndpointSecretPayload') throw new Error(JSON.stringify(res));
  return { id: created.endpoint.endpoint.id, secret: created.secret, endpoint: created.endpoint.endpoint };
}

/** Runs the relay and the worker until `done()` holds (tests drive both by hand). */
async function deliverUntil(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error('webhook delivery did not finish in time');
    await t.app.services.webhooks.relayOnce();
    await t.app.worker.runOnce();
    await sleep(10);
  }
}

/** What the receiver got for this test's tenant (earlier tests' retries may still arrive). */
const received = () => receiver.received.filter((r) => r.json.appId === tenant.appId);

const deliveries = async (key = tenant.serverKey) =>
  (await t.gql(WebhookDeliveries, { first: 50 }, { key })).data!.webhookDeliveries.edges.map((e) => e.node);

describe('webhook endpoints', () => {
  it('POSTs each event once, signed over id, timestamp and body, with the order as it is when sent', async () => {
    const { secret } = await register();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const { order } = await buy(t.app, shop, 'hook-player');
    await deliverUntil(() => received().length === 1);

    const [hook] = received();
    const event = await t.app.db.prisma.orderEvent.findFirstOrThrow({ where: { orderId: order.id } });
    expect(hook!.id).toBe(event.id.toString());
    expect(hook!.signature).toBe(expectedSignature(secret, hook!));
    expect(Math.abs(hook!.timestamp - Date.now() / 1000)).toBeLessThan(30);
    expect(hook!.headers['content-type']).toBe('application/json');
    expect(hook!.json).toMatchObject({
      id: event.id.toString(),
      type: 'ORDER_DELIVERED',
      appId: tenant.appId,
      playerId: 'hook-player',
      order: { storeOrderId: order.storeOrderId, status: 'FINISHED', price: { amountMinor: '600', currency: 'USD' } },
    });
    // the same global id as the GraphQL API
    expect(Buffer.from(String(hook!.json.order!.id), 'base64').toString()).toBe(`Order:${order.id}`);
    // our own verifier agrees, and refuses a tampered body or a stale timestamp
    const headers = new Headers({ 'webhook-id': hook!.id, 'webhook-timestamp': String(hook!.timestamp), 'webhook-signature': hook!.signature });
    expect(verifyWebhook(secret, headers, hook!.body)).toBe(true);
    expect(verifyWebhook(secret, headers, hook!.body.replace('hook-player', 'other'))).toBe(false);
    expect(verifyWebhook(secret, headers, hook!.body, 300, (hook!.timestamp + 301) * 1000)).toBe(false);

    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1, lastResponseStatus: 204, lastError: null, nextAttemptAt: null });
    expect(delivery!.attemptLog).toEqual([{ attempt: 1, ok: true, error: null }]);

    // nothing more: the relay and the worker running again change nothing
    await t.app.services.webhooks.relayOnce();
    await t.app.worker.runOnce();
    expect(received()).toHaveLength(1);
  });

  it('sends only the event types asked for, and only what commits after registration', async () => {
    const before = await buy(t.app, shop, 'early');
    await register(['ORDER_REVOKED']);
    const { order } = await buy(t.app, shop, 'refunded');
    await t.app.services.fulfilment.revokeOrder(order.id, { at: new Date(), reason: 'refund' });
    await t.app.services.fulfilment.revokeOrder(before.order.id, { at: new Date(), reason: 'refund' });
    await deliverUntil(() => received().length === 2);
    await sleep(50);
    await t.app.services.webhooks.relayOnce();
    await t.app.worker.runOnce();
    expect(received().map((r) => r.json.type)).toEqual(['ORDER_REVOKED', 'ORDER_REVOKED']);
    expect(received().map((r) => r.json.order!.storeOrderId).sort()).toEqual([order.storeOrderId, before.order.storeOrderId].sort());
  });

  it('retries through the worker with backoff while the receiver is down, and delivers everything once it is back', async () => {
    await register();
    await receiver.down();
    const bought = [];
    for (let i = 0; i < 3; i++) bought.push((await buy(t.app, shop, `down-${i}`)).order.storeOrderId);
    await deliverUntil(async () => {
      const queued = await deliveries();
      return queued.length === 3 && queued.every((d) => d.attempts >= 2);
    });

    const failing = await deliveries();
    expect(failing).toHaveLength(3);
    for (const d of failing) {
      expect(d.status).toBe('RETRYING');
      expect(d.lastError).toBe('WebhookDeliveryError: No answer from the receiver: connection failed');
      expect(d.nextAttemptAt).not.toBeNull();
      expect(d.attemptLog.every((a) => !a.ok)).toBe(true);
    }

    await receiver.up();
    await deliverUntil(() => new Set(received().map((r) => r.id)).size === 3);
    expect(received().map((r) => r.json.order!.storeOrderId).sort()).toEqual([...bought].sort());
    const done = await deliveries();
    expect(done.map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
  });

  it('records the receiver’s error answer, and a delivery that failed for good can be resent by hand', async () => {
    await register();
    receiver.answer = { status: 500, body: 'database on fire' };
    await buy(t.app, shop, 'five-hundred');
    await deliverUntil(async () => (await deliveries())[0]?.attempts === 2);
    const [failing] = await deliveries();
    expect(failing).toMatchObject({ status: 'RETRYING', lastResponseStatus: 500 });
    // The status only: the receiver's body never reaches the tenant (test/security/outbound.test.ts).
    expect(failing!.lastError).toBe('WebhookDeliveryError: The receiver answered HTTP 500');

    // Let the retry budget run out (what three days of failures do), so the delivery is FAILED.
    const row = await t.app.db.prisma.webhookDelivery.findFirstOrThrow({ where: { appId: tenant.appId } });
    await t.app.db.prisma.task.update({ where: { dedupeKey: row.taskKey }, data: { maxAttempts: 3 } });
    await deliverUntil(async () => (await deliveries())[0]?.status === 'FAILED');

    receiver.answer = { status: 200, body: 'ok' };
    const resent = await t.gql(ResendWebhookDelivery, { input: { deliveryId: failing!.id } }, { key: tenant.serverKey });
    expect(resent.data?.resendWebhookDelivery).toMatchObject({ __typename: 'WebhookDeliveryPayload', delivery: { status: 'RETRYING' } });
    await deliverUntil(async () => (await deliveries())[0]?.status === 'DELIVERED');
    const ids = received().map((r) => r.id);
    expect(new Set(ids).size).toBe(1); // every attempt carried the same event id

    // a delivered one can be resent too: same id again, for the receiver to dedupe
    const before = received().length;
    await t.gql(ResendWebhookDelivery, { input: { deliveryId: failing!.id } }, { key: tenant.serverKey });
    await deliverUntil(() => received().length === before + 1);
    expect(received().at(-1)!.id).toBe(ids[0]);
  });

  it('retries for at least three days before giving up', () => {
    let shortest = 0;
    for (let attempt = 1; attempt < WEBHOOK_MAX_ATTEMPTS; attempt++) {
      shortest += backoffDelayMs(attempt, WEBHOOK_RETRY_BASE_MS, WEBHOOK_RETRY_CAP_MS, () => 0);
    }
    expect(shortest).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);
  });

  it('gives each delivery task the three-day budget', async () => {
    await register();
    await buy(t.app, shop, 'budget');
    await t.app.services.webhooks.relayOnce();
    const task = await t.app.db.prisma.task.findFirstOrThrow({ where: { appId: tenant.appId, kind: 'webhook.deliver' } });
    expect(task.maxAttempts).toBe(WEBHOOK_MAX_ATTEMPTS);
    expect(task.dedupeKey).toMatch(/^webhook:[0-9a-f-]{36}:\d+$/);
  });

  it('pauses a disabled endpoint and sends what it missed when it is enabled again', async () => {
    const { id } = await register();
    const paused = await t.gql(UpdateWebhookEndpoint, { input: { id, enabled: false } }, { key: tenant.serverKey });
    expect(paused.data?.updateWebhookEndpoint).toMatchObject({ endpoint: { enabled: false } });
    const { order } = await buy(t.app, shop, 'while-paused');
    await t.app.services.webhooks.relayOnce();
    await t.app.worker.runOnce();
    expect(received()).toHaveLength(0);

    await t.gql(UpdateWebhookEndpoint, { input: { id, enabled: true } }, { key: tenant.serverKey });
    await deliverUntil(() => received().length === 1);
    expect(received()[0]!.json.order!.storeOrderId).toBe(order.storeOrderId);
  });

  it('rotates the secret: later deliveries are signed with the new one', async () => {
    const { id, secret } = await register();
    const rotated = await t.gql(RotateWebhookSecret, { input: { id } }, { key: tenant.serverKey });
    const next = rotated.data?.rotateWebhookEndpointSecret;
    if (next?.__typename !== 'WebhookEndpointSecretPayload') throw new Error(JSON.stringify(rotated));
    expect(next.secret).not.toBe(secret);
    await buy(t.app, shop, 'rotated');
    await deliverUntil(() => received().length === 1);
    expect(received()[0]!.signature).toBe(expectedSignature(next.secret, received()[0]!));
  });

  it('deletes an endpoint with its queued deliveries', async () => {
    const { id } = await register();
    await receiver.down();
    await buy(t.app, shop, 'deleted');
    await t.app.services.webhooks.relayOnce();
    const deleted = await t.gql(DeleteWebhookEndpoint, { input: { id } }, { key: tenant.serverKey });
    expect(deleted.data?.deleteWebhookEndpoint).toEqual({ __typename: 'DeleteWebhookEndpointPayload', deletedId: id });
    await receiver.up();
    await t.app.services.webhooks.relayOnce();
    await t.app.worker.runOnce();
    expect(received()).toHaveLength(0);
    expect(await deliveries()).toEqual([]);
    expect(await t.app.db.prisma.task.count({ where: { appId: tenant.appId, kind: 'webhook.deliver', status: 'PENDING' } })).toBe(0);
  });

  it('queues each (endpoint, event) once even if the relay position is lost', async () => {
    const { id } = await register();
    await buy(t.app, shop, 'idempotent');
    await t.app.services.webhooks.relayOnce();
    // as if the relay crashed before saving its position: it reads the events again
    await t.app.db.prisma.webhookEndpoint.update({ where: { id: decodeGlobalID(id).id }, data: { relayTxid: 0n, relayEventId: 0n } });
    await t.app.services.webhooks.relayOnce();
    expect(await t.app.db.prisma.webhookDelivery.count({ where: { appId: tenant.appId } })).toBe(1);
  });

  it('refuses a bad URL with a typed error, and keeps tenants apart', async () => {
    const bad = await t.gql(CreateWebhookEndpoint, { input: { url: 'ftp://example.com/x' } }, { key: tenant.serverKey });
    expect(bad.data?.createWebhookEndpoint).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'url' }] });
    const withPassword = await t.gql(CreateWebhookEndpoint, { input: { url: 'https://user:pw@example.com/x' } }, { key: tenant.serverKey });
    expect(withPassword.data?.createWebhookEndpoint.__typename).toBe('ValidationError');

    const { id } = await register();
    await buy(t.app, shop, 'mine');
    await deliverUntil(() => received().length === 1);
    const [mine] = await deliveries();
    const other = await t.createTenant('other');
    expect(await deliveries(other.serverKey)).toEqual([]);
    const resend = await t.gql(ResendWebhookDelivery, { input: { deliveryId: mine!.id } }, { key: other.serverKey });
    expect(resend.data?.resendWebhookDelivery).toMatchObject({ __typename: 'NotFoundError' });
    const update = await t.gql(UpdateWebhookEndpoint, { input: { id, enabled: false } }, { key: other.serverKey });
    expect(update.data?.updateWebhookEndpoint).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('with the worker running', () => {
  it('delivers without anyone driving the relay or the worker', async () => {
    const running = await createTestApp({}, { startWorker: true, database: t.database });
    try {
      const own = await running.createTenant('auto');
      const ownShop = await openShop(running.app, own.appId);
      await register(undefined, own.serverKey, running);
      const { order } = await buy(running.app, ownShop, 'auto');
      const until = Date.now() + 10_000;
      while (!receiver.received.some((r) => r.json.order?.storeOrderId === order.storeOrderId)) {
        if (Date.now() > until) throw new Error('not delivered by the running worker');
        await sleep(20);
      }
    } finally {
      await running.app.close();
    }
  });
});

// now.gg webhooks through app.fetch: authenticated by the Webhook API Key, applied once,
// answered {"success":true} only when durable; replays, stale events and unknown orders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { openDatabase } from '../../src/platform/db.js';
import { createLogger } from '../../src/platform/logger.js';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import {
  ConsumePurchase,
  createNowggAccount,
  createProduct,
  rowCounts,
  sendWebhook,
  WEBHOOK_API_KEY,
  type NowggAccountIds,
} from './setup.js';
import { builtInStores } from '../../src/providers/index.js';

const DAY = 86_400_000;

let fake: FakeNowgg;
let t: TestApp;
let tenant: Tenant;
let account: NowggAccountIds;

beforeAll(async () => {
  fake = await FakeNowgg.start();
  t = await createTestApp();
  tenant = await t.createTenant('nowgg-webhooks');
  account = await createNowggAccount(t, tenant, fake);
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  await createProduct(t, tenant, { sku: 'vip_monthly', storeProductId: 'vip_monthly', type: 'AUTO_RENEWABLE' });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

/** A subscription bought and submitted by the client: the order webhooks then refer to. */
async function subscribe(playerId: string, expiry: Date) {
  const token = fake.addPurchase({ productId: 'vip_monthly', subscription: true, expiryTime: expiry });
  const res = await t.gql(ConsumePurchase, { input: { purchaseToken: token, productId: 'vip_monthly', playerId } }, { key: tenant.serverKey });
  if (res.data?.consumePurchase.__typename !== 'ConsumePurchasePayload') throw new Error(JSON.stringify(res));
  const storeOrderId = fake.purchase(token).orderId;
  const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { storeOrderId } });
  return { orderId: order.id, storeOrderId };
}

function subscriptionEvent(notificationType: string, storeOrderId: string, eventTime: Date, expiryTime: Date | null) {
  return {
    notificationType,
    data: {
      orderId: storeOrderId,
      packageName: 'gg.now.sample.app',
      productId: 'vip_monthly',
      eventTime: eventTime.getTime(),
      ...(expiryTime ? { expiryTime: expiryTime.getTime() } : {}),
      amount: 24.99,
      currency: 'USD',
      isTestOrder: false,
      developerPayload: '',
    },
  };
}

const post = (body: unknown, authorization?: string | null) => sendWebhook(t, account.webhookPath, body, authorization);

async function expectSuccess(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ success: true });
}

const eventTypes = async (orderId: string) =>
  (await t.app.db.prisma.orderEvent.findMany({ where: { orderId }, orderBy: { id: 'asc' } })).map((e) => e.type);

const entitlementOf = (orderId: string) => t.app.db.prisma.entitlement.findFirstOrThrow({ where: { orderId } });

describe('authentication and malformed requests', () => {
  const body = { notificationType: 'SUBSCRIPTION_RENEWED', data: { orderId: 'x', productId: 'vip_monthly', eventTime: 1 } };

  it('answers 401 for a wrong or missing key and writes nothing', async () => {
    const before = await rowCounts(t);
    for (const authorization of ['not-the-key', WEBHOOK_API_KEY.slice(0, -1), `${WEBHOOK_API_KEY}x`, '', null]) {
      const res = await post(body, authorization);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false });
    }
    expect(await rowCounts(t)).toEqual(before);
  });

  it('answers 401 when the account has no Webhook API Key to check against', async () => {
    const other = await t.createTenant('nowgg-keyless');
    const keyless = await createNowggAccount(t, other, fake, { name: 'keyless', webhookApiKey: null });
    const res = await sendWebhook(t, keyless.webhookPath, body, 'anything');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/webhookApiKey/);
  });

  it('answers 404 for an unknown account, 405 for GET, 400 for malformed bodies', async () => {
    expect((await sendWebhook(t, '/webhooks/nowgg/6b0f3a2e-64f5-4a43-9d55-6f1f0cbb1d11', body)).status).toBe(404);
    expect((await sendWebhook(t, '/webhooks/nowgg/not-a-uuid', body)).status).toBe(404);
    const get = await t.app.fetch(new Request(`http://zerodrop.test${account.webhookPath}`, { method: 'GET' }));
    expect(get.status).toBe(405);
    const before = await rowCounts(t);
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ data: {} })).status).toBe(400);
    expect((await post({ notificationType: 'SUBSCRIPTION_RENEWED', data: { orderId: 'x' } })).status).toBe(400);
    // A test order sent to a PRODUCTION account is refused, not applied.
    expect((await post({ notificationType: 'WEBSHOP_ITEM_PURCHASED', data: { ...body.data, isTestOrder: true } })).status).toBe(400);
    expect(await rowCounts(t)).toEqual(before);
  });
});

describe('subscription notifications', () => {
  it('moves the expiry on renewal, once however often now.gg redelivers it', async () => {
    const start = Date.now();
    const { orderId, storeOrderId } = await subscribe('sub-renew', new Date(start + 30 * DAY));
    const renewal = subscriptionEvent('SUBSCRIPTION_RENEWED', storeOrderId, new Date(start + 30 * DAY), new Date(start + 60 * DAY));

    await expectSuccess(await post(renewal));
    const order = await t.app.db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.expiresAt?.getTime()).toBe(start + 60 * DAY);
    expect((await entitlementOf(orderId)).expiresAt?.getTime()).toBe(start + 60 * DAY);

    const before = await rowCounts(t);
    const replays = await Promise.all(Array.from({ length: 5 }, () => post(renewal)));
    for (const replay of replays) await expectSuccess(replay);
    expect(await rowCounts(t)).toEqual(before);
    expect(await eventTypes(orderId)).toEqual(['ORDER_DELIVERED', 'ORDER_RENEWED']);
  });

  it('records a cancellation without taking access away before it expires', async () => {
    const expiry = new Date(Date.now() + 20 * DAY);
    const { orderId, storeOrderId } = await subscribe('sub-cancel', expiry);
    await expectSuccess(await post(subscriptionEvent('SUBSCRIPTION_CANCELLED', storeOrderId, new Date(), expiry)));
    const entitlement = await entitlementOf(orderId);
    expect(entitlement.revokedAt).toBeNull();
    expect(entitlement.expiresAt?.getTime()).toBe(expiry.getTime());
    const order = await t.app.db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.status).not.toBe('REVOKED');
    const cancelled = await t.app.db.prisma.orderEvent.findFirstOrThrow({ where: { orderId, type: 'ORDER_RENEWAL_CANCELLED' } });
    expect(cancelled.data).toMatchObject({ accessUntil: expiry.toISOString() });
  });

  it('ends access on expiry, and ignores an older event that arrives after a newer one', async () => {
    const start = Date.now() - 50 * DAY;
    const { orderId, storeOrderId } = await subscribe('sub-expire', new Date(start + 30 * DAY));
    // Renewed at day 30 until day 60; the expiry of the first period arrives late.
    await expectSuccess(await post(subscriptionEvent('SUBSCRIPTION_RENEWED', storeOrderId, new Date(start + 30 * DAY), new Date(start + 60 * DAY))));
    await expectSuccess(await post(subscriptionEvent('SUBSCRIPTION_EXPIRED', storeOrderId, new Date(start + 29 * DAY), new Date(start + 29 * DAY))));
    expect((await entitlementOf(orderId)).expiresAt?.getTime()).toBe(start + 60 * DAY);

    // Now it really expires, early (day 45): access ends then.
    const ended = new Date(start + 45 * DAY);
    await expectSuccess(await post(subscriptionEvent('SUBSCRIPTION_EXPIRED', storeOrderId, ended, null)));
    const entitlement = await entitlementOf(orderId);
    expect(entitlement.expiresAt?.getTime()).toBe(ended.getTime());
    expect(entitlement.expiresAt!.getTime()).toBeLessThan(Date.now());
    expect(await eventTypes(orderId)).toEqual(['ORDER_DELIVERED', 'ORDER_RENEWED', 'ORDER_RENEWED']);
  });

  it('keeps a notification about an order it has not seen, and answers success', async () => {
    const before = await rowCounts(t);
    await expectSuccess(await post(subscriptionEvent('SUBSCRIPTION_PURCHASED', '1-never-submitted', new Date(), new Date(Date.now() + DAY))));
    const after = await rowCounts(t);
    expect(after).toEqual({ ...before, notifications: before.notifications + 1 });
    const stored = await t.app.db.prisma.storeNotification.findFirstOrThrow({ where: { type: 'SUBSCRIPTION_PURCHASED', payload: { path: ['orderId'], equals: '1-never-submitted' } } });
    expect(stored.processedAt).not.toBeNull();
  });

  it('records and acknowledges a notification type it does not know', async () => {
    const before = await rowCounts(t);
    await expectSuccess(await post({ notificationType: 'SUBSCRIPTION_PAUSED', data: { orderId: 'x' } }));
    expect((await rowCounts(t)).notifications).toBe(before.notifications + 1);
  });
});

describe('web-shop purchases', () => {
  const webshop = (orderId: string, developerPayload: string | undefined) => ({
    notificationType: 'WEBSHOP_ITEM_PURCHASED',
    data: {
      orderId,
      packageName: 'gg.now.sample.app',
      productId: 'gems_100',
      eventTime: Date.now(),
      paymentId: '1234',
      amount: 4.99,
      currency: 'USD',
      ...(developerPayload === undefined ? {} : { developerPayload }),
    },
  });

  it('grants a web-shop order to the player named in developerPayload, once across concurrent redeliveries', async () => {
    const body = webshop('1-webshop-paid', JSON.stringify({ playerId: 'web-player' }));
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(body)));
    for (const answer of answers) await expectSuccess(answer);
    const orders = await t.app.db.prisma.order.findMany({ where: { storeOrderId: '1-webshop-paid' }, include: { entitlements: true } });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ playerId: 'web-player', status: 'FINISHED', finishMode: 'NONE', amountMinor: 499n, currency: 'USD' });
    expect(orders[0]!.entitlements).toMatchObject([{ kind: 'CONSUMABLE', quantity: 100 }]);
    expect(await t.app.db.prisma.task.count({ where: { dedupeKey: `store.ack:${orders[0]!.id}` } })).toBe(0);

    // The same payment announced again with a new eventTime (a new notification id) grants nothing more.
    const before = await rowCounts(t);
    await expectSuccess(await post({ ...body, data: { ...body.data, eventTime: body.data.eventTime + 1000 } }));
    expect(await rowCounts(t)).toEqual({ ...before, notifications: before.notifications + 1 });
  });

  it('keeps a web-shop payment that names no player, announces it, and answers success', async () => {
    for (const [orderId, developerPayload] of [['1-webshop-anon', undefined], ['1-webshop-uid', '{UID: abc}']] as const) {
      const before = await rowCounts(t);
      await expectSuccess(await post(webshop(orderId, developerPayload)));
      expect(await rowCounts(t)).toEqual({ ...before, events: before.events + 1, notifications: before.notifications + 1 });
      const event = await t.app.db.prisma.orderEvent.findFirstOrThrow({ where: { type: 'NOTIFICATION_UNMATCHED' }, orderBy: { id: 'desc' } });
      expect(event).toMatchObject({ appId: tenant.appId, orderId: null, data: { storeOrderId: orderId, notificationType: 'WEBSHOP_ITEM_PURCHASED' } });
    }
  });
});

describe('database down', () => {
  it('answers 503 so now.gg delivers the notification again', async () => {
    // A PostgreSQL that refuses connections: nothing can be made durable.
    const db = await openDatabase({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/zerodrop_down' });
    const down = await createApp({ env: { ...t.env, REDIS_URL: undefined }, stores: builtInStores, db, logger: createLogger('silent'), startWorker: false });
    try {
      const res = await down.fetch(
        new Request(`http://zerodrop.test${account.webhookPath}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: WEBHOOK_API_KEY },
          body: JSON.stringify(subscriptionEvent('SUBSCRIPTION_RENEWED', '1-any', new Date(), new Date())),
        }),
      );
      expect(res.status).toBe(503);
    } finally {
      await down.close();
      await db.close();
    }
  });
});

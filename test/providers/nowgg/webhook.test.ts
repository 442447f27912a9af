import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/platform/errors.js';
import type { StoreAccountConfig } from '../../../src/providers/contract.js';
import {
  NOWGG_WEBHOOK_SUCCESS_BODY,
  parseNowggWebhook,
  readNowggWebhook,
  type NowggNotification,
} from '../../../src/providers/nowgg/protocol/index.js';
import { FakeNowgg } from '../../helpers/fake-nowgg.js';
import { nowggAccount, WEBHOOK_API_KEY } from './account-fixture.js';

// A minimal receiver standing in for the http layer: it hands the raw request to the
// provider and answers the way now.gg expects, so the tests cross a real HTTP boundary.
let fake: FakeNowgg;
let receiver: Server;
let receiverUrl: string;
let account: StoreAccountConfig;
const received: NowggNotification[] = [];

beforeAll(async () => {
  fake = await FakeNowgg.start();
  account = nowggAccount(fake);
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        received.push(readNowggWebhook(account, {
          authorization: request.headers.authorization,
          body: Buffer.concat(chunks).toString('utf8'),
        }));
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(NOWGG_WEBHOOK_SUCCESS_BODY));
      } catch (error) {
        const code = error instanceof AppError ? error.code : 'INTERNAL';
        response.writeHead(code === 'FORBIDDEN' ? 401 : 400, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ success: false, reason: code }));
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/nowgg/${account.id}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await fake.close();
});

const renewal = {
  notificationType: 'SUBSCRIPTION_RENEWED',
  data: {
    orderId: '1-202402110116343',
    packageName: 'gg.now.sample.app',
    productId: 'vip_month',
    eventTime: 1752895192000,
    expiryTime: 1755573592000,
    amount: 24.99,
    currency: 'USD',
    isTestOrder: false,
    paymentId: '1234',
    developerPayload: '{UID: abc}',
  },
};

describe('now.gg webhook authentication', () => {
  it('accepts the Webhook API Key and answers {"success":true}', async () => {
    const response = await fake.sendWebhook(receiverUrl, renewal, WEBHOOK_API_KEY);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
  });

  it.each([
    ['a wrong key', 'wh_wrong'],
    ['a key differing in length', `${WEBHOOK_API_KEY}x`],
  ])('rejects %s', async (_label, key) => {
    const response = await fake.sendWebhook(receiverUrl, renewal, key);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ success: false, reason: 'FORBIDDEN' });
  });

  it('rejects the Payments API key, which is a different credential', async () => {
    const response = await fake.sendWebhook(receiverUrl, renewal, fake.paymentsApiKey);
    expect(response.status).toBe(401);
  });

  it('rejects a missing Authorization header', async () => {
    const response = await fake.sendWebhook(receiverUrl, renewal, null);
    expect(response.status).toBe(401);
  });

  it('an account without a Webhook API Key refuses every webhook', () => {
    const noKey = nowggAccount(fake, { secrets: { paymentsApiKey: 'k' } });
    expect(() => readNowggWebhook(noKey, { authorization: '', body: '{}' })).toThrow(
      expect.objectContaining({ code: 'STORE_CREDENTIALS_MISSING' }),
    );
  });
});

describe('now.gg webhook parsing', () => {
  it('turns a renewal into a typed event with a stable idempotency key', async () => {
    received.length = 0;
    await fake.sendWebhook(receiverUrl, renewal, WEBHOOK_API_KEY);
    await fake.sendWebhook(receiverUrl, renewal, WEBHOOK_API_KEY); // now.gg retry
    expect(received).toHaveLength(2);
    const [first, retry] = received;
    expect(first).toEqual({
      type: 'SUBSCRIPTION_RENEWED',
      idempotencyKey: 'nowgg:SUBSCRIPTION_RENEWED:1-202402110116343:1752895192000',
      storeOrderId: '1-202402110116343',
      storeProductId: 'vip_month',
      eventTime: new Date(1752895192000),
      expiresAt: new Date(1755573592000),
      amountMinor: 2499n,
      currency: 'USD',
      environment: 'PRODUCTION',
      developerPayload: '{UID: abc}',
      purchaseToken: null,
      payload: renewal.data,
    });
    expect(retry?.idempotencyKey).toBe(first?.idempotencyKey);
  });

  it.each(['SUBSCRIPTION_PURCHASED', 'SUBSCRIPTION_CANCELLED', 'SUBSCRIPTION_EXPIRED'])('parses %s', (notificationType) => {
    const event = parseNowggWebhook(account, JSON.stringify({ ...renewal, notificationType }));
    expect(event).toMatchObject({ type: notificationType, storeOrderId: '1-202402110116343' });
  });

  it('parses the webshop callback, which has no amount, currency or isTestOrder', () => {
    const body = JSON.stringify({
      notificationType: 'WEBSHOP_ITEM_PURCHASED',
      data: { orderId: '1-9', packageName: 'gg.now.sample.app', productId: 'bundle', eventTime: '1707965194000', paymentId: '77' },
    });
    expect(parseNowggWebhook(account, body)).toMatchObject({
      type: 'WEBSHOP_ITEM_PURCHASED',
      eventTime: new Date(1707965194000),
      amountMinor: null,
      currency: null,
      environment: null,
      expiresAt: null,
    });
  });

  it('tolerates unknown notification types and reports them as such', async () => {
    received.length = 0;
    const body = { notificationType: 'SUBSCRIPTION_PAUSED', data: { orderId: '1-5', whatever: true } };
    const response = await fake.sendWebhook(receiverUrl, body, WEBHOOK_API_KEY);
    expect(response.status).toBe(200);
    expect(received[0]).toMatchObject({ type: 'UNKNOWN', notificationType: 'SUBSCRIPTION_PAUSED', payload: body.data });
    expect(received[0]?.idempotencyKey).toMatch(/^nowgg:SUBSCRIPTION_PAUSED:[0-9a-f]{64}$/);
  });

  it.each([
    ['not JSON', 'not json', 'VALIDATION_FAILED'],
    ['no notificationType', JSON.stringify({ data: {} }), 'VALIDATION_FAILED'],
    ['no orderId', JSON.stringify({ notificationType: 'SUBSCRIPTION_RENEWED', data: { productId: 'p', eventTime: 1 } }), 'VALIDATION_FAILED'],
    ['a test order on a production account', JSON.stringify({ ...renewal, data: { ...renewal.data, isTestOrder: true } }), 'WRONG_ENVIRONMENT'],
  ])('refuses %s', (_label, body, code) => {
    expect(() => parseNowggWebhook(account, body)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses notifications for another package when the account pins one', () => {
    const pinned = nowggAccount(fake, { settings: { packageName: 'com.mine.game' } });
    expect(() => parseNowggWebhook(pinned, JSON.stringify(renewal))).toThrow(
      expect.objectContaining({ code: 'WRONG_APPLICATION' }),
    );
  });

  it('accepts notifications without appId when the account pins one (webhooks do not carry it)', () => {
    const pinned = nowggAccount(fake, { settings: { appId: '11001', packageName: 'gg.now.sample.app' } });
    expect(parseNowggWebhook(pinned, JSON.stringify(renewal))).toMatchObject({ type: 'SUBSCRIPTION_RENEWED' });
  });
});

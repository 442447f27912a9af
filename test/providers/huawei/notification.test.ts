// v3 notifications: the fake POSTs signed bodies to a real local receiver, which verifies them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurchaseVerificationError } from '../../../src/platform/errors.js';
import { verifyHuaweiNotification, type HuaweiNotification } from '../../../src/providers/huawei/protocol/index.js';
import type { StoreAccountConfig } from '../../../src/providers/contract.js';
import { FakeHuawei } from '../../helpers/fake-huawei.js';

let fake: FakeHuawei;
let account: StoreAccountConfig;
let receiver: Server;
let receiverUrl: string;
const received: (HuaweiNotification | { error: string })[] = [];

beforeAll(async () => {
  fake = await FakeHuawei.start();
  account = fake.storeAccount();
  // Minimal stand-in for the http/ route: 200 only when the notification verifies.
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      verifyHuaweiNotification(account, Buffer.concat(chunks).toString('utf8')).then(
        (notification) => {
          received.push(notification);
          response.writeHead(200).end();
        },
        (error: unknown) => {
          received.push({ error: error instanceof PurchaseVerificationError ? error.code : String(error) });
          response.writeHead(400).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/huawei`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await fake.close();
});

describe('verifyHuaweiNotification', () => {
  it('verifies a notification sent over HTTP and exposes its metadata', async () => {
    const purchase = await fake.signPurchase();
    const sent = await fake.sendNotification(receiverUrl, {
      notificationType: 'REVOKE',
      notificationSubtype: 'REFUND_TRANSACTION',
      purchaseOrderId: String(purchase.payload.purchaseOrderId),
    });
    expect(sent.status).toBe(200);
    expect(received.at(-1)).toMatchObject({
      notificationType: 'REVOKE',
      notificationSubtype: 'REFUND_TRANSACTION',
      notificationRequestId: sent.notificationRequestId,
      metadata: {
        environment: 'SANDBOX',
        applicationId: fake.applicationId,
        purchaseOrderId: purchase.payload.purchaseOrderId,
        purchaseToken: purchase.payload.purchaseToken,
        currentProductId: 'gems_100',
        type: '0',
      },
    });
  });

  it('tolerates unknown types and subtypes, and a TEST notification without purchase fields', async () => {
    const future = await fake.signNotification({ notificationType: 'SOMETHING_NEW', notificationSubtype: 'NEWER_STILL' });
    expect(await verifyHuaweiNotification(account, future.body)).toMatchObject({
      notificationType: 'SOMETHING_NEW',
      notificationSubtype: 'NEWER_STILL',
    });
    const test = await fake.signNotification({ notificationType: 'TEST' });
    const verified = await verifyHuaweiNotification(account, JSON.parse(test.body) as Record<string, unknown>);
    expect(verified).toMatchObject({ notificationType: 'TEST', notificationSubtype: null, metadata: { purchaseOrderId: null } });
  });

  it.each([
    [{ applicationId: '42' }, 'WRONG_APPLICATION'],
    [{ environment: 'NORMAL' }, 'WRONG_ENVIRONMENT'],
  ])('rejects metadata %j with %s', async (metadata, code) => {
    const sent = await fake.sendNotification(receiverUrl, { notificationType: 'DID_NEW_TRANSACTION', metadata });
    expect(sent.status).toBe(400);
    expect(received.at(-1)).toEqual({ error: code });
  });

  it('rejects a body without jwsNotification, or with a hostile JWS', async () => {
    await expect(verifyHuaweiNotification(account, '{"something":"else"}')).rejects.toMatchObject({ code: 'MALFORMED_PURCHASE' });
    await expect(verifyHuaweiNotification(account, 'not json')).rejects.toMatchObject({ code: 'MALFORMED_PURCHASE' });
    const forged = await fake.hostileToken('foreign-chain');
    await expect(verifyHuaweiNotification(account, { jwsNotification: forged })).rejects.toMatchObject({
      code: 'UNTRUSTED_CERTIFICATE',
    });
  });
});

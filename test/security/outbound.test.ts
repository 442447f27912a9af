// Request forgery (issue 13 item 2): tenant-chosen URLs — webhook endpoints, the
// player-token JWKS URL, store apiBaseUrl overrides — never reach loopback, private or
// other non-public addresses, in any spelling, at save time or at connect time; redirects
// are not followed; receivers' answers are not echoed; endpoints per app are capped.
// The suite's own helper allows private targets (its fakes listen on 127.0.0.1); these
// tests turn that off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import { isPublicAddress, OutboundGuard, OutboundTargetError } from '../../src/platform/outbound-url.js';
import { queryOrderStatus } from '../../src/providers/huawei/protocol/index.js';
import { createNowggClient } from '../../src/providers/nowgg/protocol/index.js';
import { StoreAccountError } from '../../src/platform/errors.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import { nowggAccount } from '../providers/nowgg/account-fixture.js';
import { buy, openShop, sleep } from '../live/helpers.js';
import { WebhookReceiver } from '../live/receiver.js';
import { WebhookDeliveries } from '../live/documents.js';

const strict = new OutboundGuard({ allowPrivate: false, requireHttps: false });
const production = new OutboundGuard({ allowPrivate: false, requireHttps: true });

/** Every spelling of an internal address an attacker might try. */
export const FORBIDDEN_URLS = [
  'http://127.0.0.1/',
  'http://127.1/', // shorthand
  'http://2130706433/', // decimal
  'http://0x7f000001/', // hex
  'http://0x7f.0.0.1/',
  'http://017700000001/', // octal
  'http://0177.0.0.01/',
  'http://127.0.0.1./', // trailing dot
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/', // IPv4-mapped IPv6
  'http://[::ffff:7f00:1]/',
  'http://[0:0:0:0:0:ffff:169.254.169.254]/',
  'http://[64:ff9b::7f00:1]/', // NAT64 of 127.0.0.1
  'http://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
  'http://localhost/',
  'http://LOCALHOST./',
  'http://api.localhost/',
  'http://10.0.0.1/',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/', // cloud metadata, link-local
  'http://100.64.0.1/', // CGNAT
  'http://[fd00::1]/', // unique-local
  'http://[fe80::1]/', // link-local
  'http://224.0.0.1/', // multicast
  'http://[ff02::1]/',
  'http://0.0.0.0/', // unspecified
  'http://0/',
  'http://[::]/',
  'http://255.255.255.255/',
];

describe('the outbound URL guard', () => {
  it.each(FORBIDDEN_URLS)('refuses %s', (url) => {
    expect(() => strict.check(url)).toThrow(OutboundTargetError);
  });

  it('accepts public addresses and names, and refuses credentials, other schemes and (in production) http', () => {
    expect(strict.check('http://93.184.215.14/hook').hostname).toBe('93.184.215.14');
    expect(strict.check('https://[2606:4700:4700::1111]/').protocol).toBe('https:');
    expect(strict.check('https://hooks.example.com/zd').hostname).toBe('hooks.example.com');
    expect(strict.problem('https://user:pass@hooks.example.com/')).toBe('must not contain credentials');
    expect(strict.problem('ftp://hooks.example.com/')).toBe('must be an http(s) URL');
    expect(strict.problem('file:///etc/passwd')).toBe('must be an http(s) URL');
    expect(production.problem('http://hooks.example.com/')).toBe('must be an https URL');
    expect(production.problem('https://hooks.example.com/')).toBeNull();
  });

  it('classifies resolved addresses: only global unicast passes', () => {
    for (const address of ['8.8.8.8', '2001:4860:4860::8888']) expect(isPublicAddress(address)).toBe(true);
    for (const address of ['127.0.0.1', '::1', '::ffff:10.0.0.1', '100.100.100.100', 'fc00::1', 'fe80::1%eth0', 'not-an-ip']) {
      expect(isPublicAddress(address)).toBe(false);
    }
  });
});

/** A server on all interfaces that counts what reaches it. */
async function countingServer(answer: (path: string) => { status: number; headers?: Record<string, string>; body: string }) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    const { status, headers, body } = answer(req.url ?? '');
    res.writeHead(status, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const port = (server.address() as AddressInfo).port;
  return { hits, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * This machine's own name: it passes the save-time check (it is a name, not an address)
 * and resolves to a loopback or private address — a stand-in for a rebinding domain.
 */
async function internalName(): Promise<string> {
  const name = hostname();
  const { address } = await lookup(name);
  if (isPublicAddress(address)) throw new Error(`test precondition: ${name} resolves to public ${address}; need an internal name`);
  return name;
}

describe('with private targets not allowed', () => {
  let database: TestDatabase;
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await createTestApp(
      { OUTBOUND_ALLOW_PRIVATE: 'false', ALLOW_PRODUCTION_API_BASE_URL: 'false', WEBHOOK_ENDPOINTS_PER_APP: '3' },
      { database },
    );
    tenant = await t.createTenant('ssrf');
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const createEndpoint = (url: string, key = tenant.serverKey) =>
    t.post(
      {
        query: `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
          __typename ... on WebhookEndpointSecretPayload { endpoint { endpoint { id } } } ... on ValidationError { code fieldErrors { path message } } } }`,
        variables: { input: { url } },
      },
      { key },
    ).then((res) => res.json() as Promise<{ data: { createWebhookEndpoint: Record<string, unknown> & { endpoint?: { endpoint: { id: string } } } } }>);

  it('refuses webhook endpoints at internal addresses, on create and on update', async () => {
    for (const url of FORBIDDEN_URLS) {
      const body = await createEndpoint(url);
      expect(body.data.createWebhookEndpoint, url).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'url' }] });
    }
    const ok = await createEndpoint('https://hooks.example.com/zd');
    const id = ok.data.createWebhookEndpoint.endpoint!.endpoint.id;
    const update = await t.post(
      {
        query: `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { __typename ... on Error { code } } }`,
        variables: { input: { id, url: 'http://[::ffff:169.254.169.254]/' } },
      },
      { key: tenant.serverKey },
    );
    expect(await update.json()).toMatchObject({ data: { updateWebhookEndpoint: { __typename: 'ValidationError', code: 'VALIDATION_FAILED' } } });
    expect(await t.app.db.prisma.webhookEndpoint.count({ where: { appId: tenant.appId } })).toBe(1);
  });

  it('checks the resolved address when it connects: a name that resolves inside is refused and nothing is sent', async () => {
    const name = await internalName();
    const inside = await countingServer(() => ({ status: 200, body: 'ok' }));
    const victim = await t.createTenant('rebind');
    const shop = await openShop(t.app, victim.appId);
    try {
      const created = await createEndpoint(`http://${name}:${inside.port}/hook`, victim.serverKey);
      expect(created.data.createWebhookEndpoint.__typename).toBe('WebhookEndpointSecretPayload'); // a name passes the save-time check
      await buy(t.app, shop, 'rebind-player');
      for (let i = 0; i < 50; i++) {
        await t.app.services.webhooks.relayOnce();
        await t.app.worker.runOnce();
        const task = await t.app.db.prisma.task.findFirst({ where: { appId: victim.appId, kind: 'webhook.deliver' } });
        if (task?.lastError) {
          expect(task.lastError).toBe('WebhookDeliveryError: No answer from the receiver: the URL points to an address that is not allowed');
          break;
        }
        await sleep(20);
      }
      const delivery = await t.app.db.prisma.webhookDelivery.findFirstOrThrow({ where: { appId: victim.appId }, include: { task: true } });
      expect(delivery.task.lastError).toMatch(/not allowed/);
      expect(delivery.lastResponseStatus).toBeNull();
      expect(inside.hits).toEqual([]);
    } finally {
      await inside.close();
    }
  });

  it('caps endpoints per app (WEBHOOK_ENDPOINTS_PER_APP)', async () => {
    const capped = await t.createTenant('cap');
    for (let i = 0; i < 3; i++) {
      expect((await createEndpoint(`https://hooks.example.com/${i}`, capped.serverKey)).data.createWebhookEndpoint.__typename).toBe('WebhookEndpointSecretPayload');
    }
    expect((await createEndpoint('https://hooks.example.com/4', capped.serverKey)).data.createWebhookEndpoint).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION_FAILED',
    });
    expect(await t.app.db.prisma.webhookEndpoint.count({ where: { appId: capped.appId } })).toBe(3);
  });

  it('refuses a JWKS URL at an internal address, and fetches a saved one only through the guard', async () => {
    const settings = (jwksUrl: string, key = tenant.serverKey) =>
      t.post(
        {
          query: `mutation($input: UpdatePlayerTokenSettingsInput!) { updatePlayerTokenSettings(input: $input) { __typename ... on ValidationError { code fieldErrors { path } } } }`,
          variables: { input: { jwksUrl } },
        },
        { key },
      ).then((res) => res.json());
    for (const url of ['http://169.254.169.254/jwks', 'http://[::ffff:127.0.0.1]:8080/jwks', 'http://localhost./jwks']) {
      expect(await settings(url), url).toMatchObject({ data: { updatePlayerTokenSettings: { __typename: 'ValidationError', fieldErrors: [{ path: 'jwksUrl' }] } } });
    }

    // Saved by name, resolving inside at verification time: no request reaches it.
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
    const inside = await countingServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: jwks }));
    const jwksTenant = await t.createTenant('jwks');
    try {
      const name = await internalName();
      expect(await settings(`http://${name}:${inside.port}/jwks`, jwksTenant.serverKey)).toMatchObject({
        data: { updatePlayerTokenSettings: { __typename: 'UpdatePlayerTokenSettingsPayload' } },
      });
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setAudience(`zerodrop:app:${jwksTenant.appId}`)
        .setSubject('player-1')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
      const res = await t.post({ query: '{ __typename }' }, { key: jwksTenant.clientKey, playerToken: token });
      expect(res.status).toBe(401);
      expect(inside.hits).toEqual([]);
    } finally {
      await inside.close();
    }
  });

  it('accepts apiBaseUrl on SANDBOX accounts only, and only at allowed addresses', async () => {
    const create = (environment: 'SANDBOX' | 'PRODUCTION', apiBaseUrl: string, name: string) =>
      t.post(
        {
          query: `mutation($input: CreateStoreAccountInput!) { createStoreAccount(input: $input) {
            __typename ... on ValidationError { code fieldErrors { path message } } } }`,
          variables: { input: { name, environment, apiBaseUrl, nowgg: { paymentsApiKey: 'k' } } },
        },
        { key: tenant.serverKey },
      ).then((res) => res.json());
    expect(await create('PRODUCTION', 'https://nowgg-proxy.example.com/', 'prod')).toMatchObject({
      data: { createStoreAccount: { __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'apiBaseUrl' }] } },
    });
    expect(await create('SANDBOX', 'http://10.1.2.3/', 'private')).toMatchObject({
      data: { createStoreAccount: { __typename: 'ValidationError', fieldErrors: [{ path: 'apiBaseUrl' }] } },
    });
    expect(await create('SANDBOX', 'https://nowgg-sandbox.example.com/', 'sandbox')).toMatchObject({
      data: { createStoreAccount: { __typename: 'StoreAccountPayload' } },
    });
  });
});

describe('store API clients', () => {
  let huawei: FakeHuawei;
  let nowgg: FakeNowgg;
  beforeAll(async () => {
    huawei = await FakeHuawei.start();
    nowgg = await FakeNowgg.start();
  });
  afterAll(async () => {
    await huawei.close();
    await nowgg.close();
  });

  it('call an apiBaseUrl only through the guard: an internal one is refused with a typed error and never contacted', async () => {
    const requestsBefore = huawei.requests.length;
    const huaweiAccount = { ...huawei.storeAccount({ withCredentials: true }), outbound: strict };
    await expect(queryOrderStatus(huaweiAccount, { purchaseOrderId: 'o', purchaseToken: 't' })).rejects.toMatchObject({
      constructor: StoreAccountError,
      code: 'STORE_API_URL_REFUSED',
    });
    expect(huawei.requests.length).toBe(requestsBefore);

    const nowggBefore = nowgg.requests.length;
    const nowggClient = createNowggClient({ ...nowggAccount(nowgg), outbound: strict });
    await expect(nowggClient.verifyPurchase({ purchaseToken: 'tok' })).rejects.toMatchObject({ code: 'STORE_API_URL_REFUSED' });
    // Without a guard handed in, a store account gets the strictest policy.
    const { outbound: _none, ...unguarded } = nowggAccount(nowgg);
    await expect(createNowggClient(unguarded).verifyPurchase({ purchaseToken: 'tok' })).rejects.toMatchObject({ code: 'STORE_API_URL_REFUSED' });
    expect(nowgg.requests.length).toBe(nowggBefore);
  });
});

describe('with private targets allowed (development, tests)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    t = await createTestApp();
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.down();
    await t.close();
  });

  async function deliverOnce(appId: string) {
    for (let i = 0; i < 50; i++) {
      await t.app.services.webhooks.relayOnce();
      await t.app.worker.runOnce();
      const delivery = await t.app.db.prisma.webhookDelivery.findFirst({ where: { appId }, include: { task: true } });
      if (delivery?.task.lastError || delivery?.deliveredAt) return delivery;
      await sleep(20);
    }
    throw new Error('no delivery attempt');
  }

  it('does not follow redirects, and does not echo what the receiver answered', async () => {
    const target = await countingServer(() => ({ status: 200, body: 'ok' }));
    const redirecting = await countingServer(() => ({
      status: 307,
      headers: { location: `http://127.0.0.1:${target.port}/stolen` },
      body: 'moved',
    }));
    try {
      const tenant = await t.createTenant('redirect');
      const shop = await openShop(t.app, tenant.appId);
      await t.app.services.webhooks.createEndpoint(tenant.appId, { url: `http://127.0.0.1:${redirecting.port}/hook` });
      await buy(t.app, shop, 'redirect-player');
      const delivery = await deliverOnce(tenant.appId);
      expect(redirecting.hits).toEqual(['/hook']);
      expect(target.hits).toEqual([]);
      expect(delivery.lastResponseStatus).toBe(307);
      expect(delivery.task.lastError).toBe('WebhookDeliveryError: The receiver answered HTTP 307 (redirects are not followed)');

      const chatty = await t.createTenant('chatty');
      const chattyShop = await openShop(t.app, chatty.appId);
      receiver.answer = { status: 500, body: 'root:x:0:0:root:/root:/bin/bash internal-secret' };
      await t.app.services.webhooks.createEndpoint(chatty.appId, { url: receiver.url });
      await buy(t.app, chattyShop, 'chatty-player');
      const failed = await deliverOnce(chatty.appId);
      expect(failed.task.lastError).toBe('WebhookDeliveryError: The receiver answered HTTP 500');
      // What the tenant can read about it: the status and the fixed reason, nothing of the body.
      const seen = await t.gql(WebhookDeliveries, { first: 5 }, { key: chatty.serverKey });
      const node = seen.data!.webhookDeliveries.edges[0]!.node;
      expect(node.lastResponseStatus).toBe(500);
      expect(JSON.stringify(node)).not.toContain('internal-secret');
    } finally {
      await target.close();
      await redirecting.close();
    }
  });
});

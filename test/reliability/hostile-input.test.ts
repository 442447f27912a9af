// Hostile input corpus: forged, tampered, truncated, oversized, wrong-tenant, replayed and
// stale proofs at every store, query bombs, wrong content types and invalid UTF-8 at the
// GraphQL layer. Each must be answered with a typed error or a 4xx, and the whole
// database must be byte-for-byte the same before and after.
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { FakeHuawei, type HostileTokenKind } from '../helpers/fake-huawei.js';
import { FakeNowgg } from '../helpers/fake-nowgg.js';
import {
  HUYA_TEST_APP_ID,
  HUYA_TEST_EXT_SECRET,
  HUYA_TEST_EXT_UUID,
  huyaCallbackFields,
  huyaSign,
  signedHuyaGet,
  signedHuyaPost,
  type HuyaCallbackFieldsInput,
} from '../helpers/huya.js';
import { answerOf, gqlRaw, raw, snapshot, type Answer, type Caller } from './support.js';

const CREATE_STORE_ACCOUNT = `mutation ($input: CreateStoreAccountInput!) {
  createStoreAccount(input: $input) { __typename ... on StoreAccountPayload { storeAccount { id accountId webhookPath } } ... on Error { code message } } }`;
const CREATE_PRODUCT = `mutation ($input: CreateProductInput!) {
  createProduct(input: $input) { __typename ... on ProductPayload { product { id } } ... on Error { code message } } }`;
const FINISH = `mutation ($input: FinishPurchaseInput!) {
  finishPurchase(input: $input) { __typename ... on HuaweiDelivery { order { id } } ... on Error { code message } } }`;
const SYNC = `mutation ($input: SyncPurchasesInput!) {
  syncPurchases(input: $input) { __typename ... on SyncPurchasesPayload { items { order { id } error { code } } } ... on Error { code message } } }`;
const CONSUME = `mutation ($input: ConsumePurchaseInput!) {
  consumePurchase(input: $input) { __typename ... on ConsumePurchasePayload { order { id } } ... on Error { code message } } }`;
const PLAYER_TOKEN_SETTINGS = `mutation ($input: UpdatePlayerTokenSettingsInput!) {
  updatePlayerTokenSettings(input: $input) { __typename ... on Error { code message } } }`;
const CREATE_WEBHOOK_ENDPOINT = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { __typename ... on Error { code message } } }`;
const CONFIRM_CLIENT_FINISH = `mutation ($input: ConfirmClientFinishInput!) {
  confirmClientFinish(input: $input) { __typename ... on Error { code message } } }`;

/** What a refusal must look like: an exact HTTP status, and the error code when the answer carries one. */
type Expected = { status: number; code?: string };

interface HostileCase {
  name: string;
  send(): Promise<Response>;
  expected: Expected;
}

let t: TestApp;
/** The same database behind the production outbound policy (request-forgery cases). */
let strict: TestApp;
let tenant: Tenant;
let otherTenant: Tenant;
let huawei: FakeHuawei;
let nowgg: FakeNowgg;
let huaweiAccount: { id: string; accountId: string; webhookPath: string };
let otherHuaweiAccount: { id: string; accountId: string; webhookPath: string };
let nowggAccount: { accountId: string; webhookPath: string };
let huyaAccount: { accountId: string; webhookPath: string };
let otherHuyaAccount: { accountId: string; webhookPath: string };
const HUYA_GOODS = 'goods-skin-1';
/** A Huya order already delivered to streamer-1 (for replays). */
let deliveredHuyaOrderId: string;
const NOWGG_WEBHOOK_KEY = `wh-${randomBytes(6).toString('hex')}`;
const PLAYER_TOKEN_SECRET = `player-secret-${randomBytes(16).toString('hex')}`;
/** A Huawei purchase and a now.gg token already delivered to player-1 (for replays). */
let deliveredPurchaseData: string;
let deliveredNowggToken: string;

async function ok<T>(response: Response, path: (body: Record<string, never>) => T | null | undefined): Promise<T> {
  const body = (await response.json()) as Record<string, never>;
  const value = path(body);
  if (value === undefined || value === null) throw new Error(`set-up failed: ${JSON.stringify(body)}`);
  return value;
}

async function createAccount(owner: Tenant, input: Record<string, unknown>) {
  const res = await gqlRaw(t, CREATE_STORE_ACCOUNT, { input }, { key: owner.serverKey });
  return ok(res, (b) => (b as { data?: { createStoreAccount?: { storeAccount?: { id: string; accountId: string; webhookPath: string } } } }).data?.createStoreAccount?.storeAccount);
}

async function createProduct(owner: Tenant, input: Record<string, unknown>) {
  const res = await gqlRaw(t, CREATE_PRODUCT, { input: { name: String(input.sku), ...input } }, { key: owner.serverKey });
  await ok(res, (b) => (b as { data?: { createProduct?: { product?: { id: string } } } }).data?.createProduct?.product);
}

/** A player token signed with the app's HMAC secret (or another), with these claims. */
function playerToken(options: { appId?: string; sub?: string; secret?: string; expiresIn?: number; alg?: 'HS256' | 'HS512' } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setAudience(`zerodrop:app:${options.appId ?? tenant.appId}`)
    .setSubject(options.sub ?? 'player-1')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresIn ?? 600))
    .sign(new TextEncoder().encode(options.secret ?? PLAYER_TOKEN_SECRET));
}

const unsignedJwt = (claims: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

const finish = (input: Record<string, unknown>, caller: Caller = { key: tenant.serverKey }) =>
  gqlRaw(t, FINISH, { input: { playerId: 'player-1', ...input } }, caller);
const consume = (input: Record<string, unknown>, caller: Caller = { key: tenant.serverKey }) =>
  gqlRaw(t, CONSUME, { input: { playerId: 'player-1', productId: 'coins_50', ...input } }, caller);
const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  raw(t, { path, body, headers });
const nowggWebhook = (body: string | Uint8Array, authorization: string | null = NOWGG_WEBHOOK_KEY) =>
  post(nowggAccount.webhookPath, body, { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) });

/** The deepest legal selection is 12 levels; this one nests `node` through connections well past it. */
function deepQuery(levels: number): string {
  let selection = 'id';
  for (let i = 0; i < levels; i += 1) selection = `order { ${selection} }`;
  return `{ orders(first: 1) { edges { node { entitlements { ${selection} } } } } }`;
}

/** Huya's callback fields for a fresh order, timestamp now. */
const huyaFields = (overrides: Partial<HuyaCallbackFieldsInput> = {}) =>
  huyaCallbackFields(new Date(), { goodsUuid: HUYA_GOODS, orderId: `hy-${randomUUID()}`, profileId: 'streamer-1', ...overrides });

const huyaPost = (body: string | Uint8Array, authorization: string | null, path = huyaAccount.webhookPath) =>
  post(path, body, { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) });

const huyaSigned = (fields: HuyaCallbackFieldsInput, keys: { appId?: string; extSecret?: string } = {}, path?: string) => {
  const signed = signedHuyaPost(fields, keys);
  return huyaPost(signed.rawBody, signed.authorization, path);
};

const validNowggWebhook = () =>
  JSON.stringify({ notificationType: 'WEBSHOP_ITEM_PURCHASED', data: { orderId: `W-${randomUUID()}`, productId: 'coins_50', eventTime: Date.now(), amount: '0.99', currency: 'USD', developerPayload: '{"playerId":"p9"}' } });

const HOSTILE_TOKENS: [HostileTokenKind, string][] = [
  ['tampered-payload', 'BAD_SIGNATURE'],
  ['expired-leaf', 'CERTIFICATE_EXPIRED'],
  ['alg-none', 'UNSUPPORTED_ALGORITHM'],
  ['hs256', 'UNSUPPORTED_ALGORITHM'],
  ['rs256', 'UNSUPPORTED_ALGORITHM'],
  ['foreign-chain', 'UNTRUSTED_CERTIFICATE'],
  ['self-signed-leaf', 'UNTRUSTED_CERTIFICATE'],
  ['leaf-without-oid', 'UNTRUSTED_CERTIFICATE'],
  ['two-cert-chain', 'UNTRUSTED_CERTIFICATE'],
  ['header-root-swapped', 'UNTRUSTED_CERTIFICATE'],
];

function cases(): HostileCase[] {
  const list: HostileCase[] = [];
  const add = (name: string, expected: Expected, send: () => Promise<Response>) => list.push({ name, expected, send });

  // ---- Huawei purchase proofs (finishPurchase / syncPurchases) ---------------------------
  for (const [kind, code] of HOSTILE_TOKENS) {
    add(`huawei: forged proof (${kind})`, { status: 200, code }, async () => finish({ jwsPurchaseOrder: await huawei.hostileToken(kind) }));
  }
  add('huawei: forged proof in syncPurchases', { status: 200, code: 'BAD_SIGNATURE' }, async () =>
    gqlRaw(t, SYNC, { input: { playerId: 'player-1', purchaseDataList: [JSON.stringify({ jwsPurchaseOrder: await huawei.hostileToken('tampered-payload') })] } }, { key: tenant.serverKey }),
  );
  add('huawei: truncated JWS', { status: 200, code: 'MALFORMED_PURCHASE' }, async () => {
    const { jwsPurchaseOrder } = await huawei.signPurchase();
    return finish({ jwsPurchaseOrder: jwsPurchaseOrder.slice(0, Math.floor(jwsPurchaseOrder.length / 2)) });
  });
  add('huawei: signature cut off', { status: 200, code: 'BAD_SIGNATURE' }, async () => {
    const { jwsPurchaseOrder } = await huawei.signPurchase();
    return finish({ jwsPurchaseOrder: jwsPurchaseOrder.slice(0, jwsPurchaseOrder.lastIndexOf('.') + 5) });
  });
  add('huawei: purchaseData that is not JSON', { status: 200, code: 'MALFORMED_PURCHASE' }, () => finish({ purchaseData: '{"jwsPurchaseOrder": "abc' }));
  add('huawei: purchaseData without jwsPurchaseOrder', { status: 200, code: 'MALFORMED_PURCHASE' }, () => finish({ purchaseData: '{"type": 0}' }));
  add('huawei: neither purchaseData nor jwsPurchaseOrder', { status: 200, code: 'MALFORMED_PURCHASE' }, () => finish({}));
  // Under the 1 MB request limit, over what a purchase proof can be.
  add('huawei: oversized purchaseData (600 KB)', { status: 200, code: 'MALFORMED_PURCHASE' }, () =>
    finish({ purchaseData: JSON.stringify({ jwsPurchaseOrder: 'a'.repeat(600 * 1024) }) }),
  );
  add('huawei: another app’s purchase (applicationId)', { status: 200, code: 'WRONG_APPLICATION' }, async () =>
    finish({ purchaseData: (await huawei.signPurchase({ applicationId: '6917500000000000999' })).purchaseData }),
  );
  add('huawei: production purchase on a sandbox account', { status: 200, code: 'WRONG_ENVIRONMENT' }, async () =>
    finish({ purchaseData: (await huawei.signPurchase({ environment: 'NORMAL' })).purchaseData }),
  );
  add('huawei: replayed purchase for another player', { status: 200, code: 'CONFLICT' }, () =>
    finish({ purchaseData: deliveredPurchaseData, playerId: 'player-2' }),
  );
  // The other tenant's Huawei account belongs to another AppGallery app.
  add('huawei: replayed purchase through another tenant', { status: 200, code: 'WRONG_APPLICATION' }, () =>
    finish({ purchaseData: deliveredPurchaseData }, { key: otherTenant.serverKey }),
  );
  add('huawei: another tenant’s store account id', { status: 200, code: 'STORE_ACCOUNT_NOT_FOUND' }, async () =>
    finish({ purchaseData: (await huawei.signPurchase()).purchaseData, storeAccountId: huaweiAccount.id }, { key: otherTenant.serverKey }),
  );
  add('huawei: more than 100 purchases in one sync', { status: 200, code: 'VALIDATION_FAILED' }, () =>
    gqlRaw(t, SYNC, { input: { playerId: 'player-1', purchaseDataList: Array.from({ length: 101 }, () => 'x') } }, { key: tenant.serverKey }),
  );
  add('huawei: server key without playerId', { status: 200, code: 'VALIDATION_FAILED' }, async () =>
    gqlRaw(t, FINISH, { input: { purchaseData: (await huawei.signPurchase()).purchaseData } }, { key: tenant.serverKey }),
  );

  // ---- Huawei notifications ----------------------------------------------------------
  const notify = (body: string | Uint8Array, path = huaweiAccount.webhookPath, headers?: Record<string, string>) => post(path, body, headers);
  add('huawei notification: tampered payload', { status: 400, code: 'BAD_SIGNATURE' }, async () => {
    const { jwsNotification } = await huawei.signNotification({ notificationType: 'REVOKE' });
    const [header, , signature] = jwsNotification.split('.');
    const forged = Buffer.from(JSON.stringify({ notificationType: 'REVOKE', notificationRequestId: 'x', notificationMetaData: {} })).toString('base64url');
    return notify(JSON.stringify({ jwsNotification: `${header}.${forged}.${signature}` }));
  });
  add('huawei notification: signed by a foreign chain', { status: 400, code: 'UNTRUSTED_CERTIFICATE' }, async () =>
    notify(JSON.stringify({ jwsNotification: await huawei.hostileToken('foreign-chain') })),
  );
  add('huawei notification: truncated body', { status: 400, code: 'MALFORMED_PURCHASE' }, async () => {
    const { body } = await huawei.signNotification({ notificationType: 'TEST' });
    return notify(body.slice(0, body.length / 2));
  });
  add('huawei notification: empty body', { status: 400, code: 'MALFORMED_PURCHASE' }, () => notify(''));
  add('huawei notification: invalid UTF-8', { status: 400, code: 'MALFORMED_PURCHASE' }, () =>
    notify(new Uint8Array([0x7b, 0x22, 0x6a, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])),
  );
  add('huawei notification: oversized body', { status: 413 }, () => notify(JSON.stringify({ jwsNotification: 'a'.repeat(70 * 1024) })));
  add('huawei notification: unknown store account', { status: 404 }, async () => notify((await huawei.signNotification({ notificationType: 'TEST' })).body, `/webhooks/huawei/${randomUUID()}`));
  add('huawei notification: account id that is not a uuid', { status: 404 }, async () =>
    notify((await huawei.signNotification({ notificationType: 'TEST' })).body, '/webhooks/huawei/..%2F..%2Fadmin'),
  );
  add('huawei notification: GET', { status: 405 }, () => raw(t, { method: 'GET', path: huaweiAccount.webhookPath }));
  add('huawei notification: another tenant’s account (different application)', { status: 400, code: 'WRONG_APPLICATION' }, async () =>
    notify((await huawei.signNotification({ notificationType: 'TEST' })).body, otherHuaweiAccount.webhookPath),
  );
  add('huawei notification: sent to the now.gg route', { status: 404 }, async () =>
    notify((await huawei.signNotification({ notificationType: 'TEST' })).body, `/webhooks/nowgg/${huaweiAccount.accountId}`),
  );
  add('webhooks: unknown store', { status: 404 }, () => notify('{}', `/webhooks/applestore/${huaweiAccount.accountId}`));

  // ---- now.gg purchases and webhooks -------------------------------------------------
  add('now.gg: unknown purchase token', { status: 200, code: 'INVALID_PURCHASE_TOKEN' }, () => consume({ purchaseToken: `-nowgg-${randomUUID()}` }));
  add('now.gg: empty purchase token', { status: 200, code: 'VALIDATION_FAILED' }, () => consume({ purchaseToken: '' }));
  add('now.gg: oversized purchase token', { status: 200, code: 'VALIDATION_FAILED' }, () => consume({ purchaseToken: 'a'.repeat(5000) }));
  add('now.gg: malformed currency', { status: 200, code: 'VALIDATION_FAILED' }, () => consume({ purchaseToken: deliveredNowggToken, currency: 'usd$' }));
  add('now.gg: token for another product', { status: 200, code: 'WRONG_PRODUCT' }, () =>
    consume({ purchaseToken: nowgg.addPurchase({ productId: 'coins_50' }), productId: 'gems_999' }),
  );
  add('now.gg: cancelled (unpaid) purchase', { status: 200, code: 'PURCHASE_NOT_PAID' }, () =>
    consume({ purchaseToken: nowgg.addPurchase({ productId: 'coins_50', purchaseState: 1 }) }),
  );
  add('now.gg: replayed token for another player', { status: 200, code: 'CONFLICT' }, () =>
    consume({ purchaseToken: deliveredNowggToken, playerId: 'player-2' }),
  );
  add('now.gg: replayed token through another tenant', { status: 200, code: 'STORE_ACCOUNT_NOT_FOUND' }, () =>
    consume({ purchaseToken: deliveredNowggToken }, { key: otherTenant.serverKey }),
  );
  add('now.gg webhook: no Authorization', { status: 401 }, () => nowggWebhook(validNowggWebhook(), null));
  add('now.gg webhook: forged key', { status: 401 }, () => nowggWebhook(validNowggWebhook(), `${NOWGG_WEBHOOK_KEY}x`));
  add('now.gg webhook: truncated JSON', { status: 400 }, () => nowggWebhook(validNowggWebhook().slice(0, 40)));
  add('now.gg webhook: invalid UTF-8', { status: 400 }, () => nowggWebhook(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])));
  add('now.gg webhook: oversized body', { status: 413 }, () => nowggWebhook(JSON.stringify({ notificationType: 'X', data: { pad: 'a'.repeat(70 * 1024) } })));
  add('now.gg webhook: unknown store account', { status: 404 }, () =>
    post(`/webhooks/nowgg/${randomUUID()}`, validNowggWebhook(), { 'content-type': 'application/json', authorization: NOWGG_WEBHOOK_KEY }),
  );
  add('now.gg webhook: GET', { status: 405 }, () => raw(t, { method: 'GET', path: nowggAccount.webhookPath }));
  add('now.gg webhook: data is not an object', { status: 400 }, () => nowggWebhook(JSON.stringify({ notificationType: 'WEBSHOP_ITEM_PURCHASED', data: 'x' })));

  // ---- Huya payment callbacks -----------------------------------------------------------
  add('huya: forged signature', { status: 401, code: 'BAD_SIGNATURE' }, () =>
    huyaPost(JSON.stringify(huyaFields()), randomBytes(16).toString('hex').toUpperCase()),
  );
  add('huya: no signature', { status: 401, code: 'BAD_SIGNATURE' }, () => huyaPost(JSON.stringify(huyaFields()), null));
  add('huya: tampered body (level raised after signing)', { status: 401, code: 'BAD_SIGNATURE' }, () => {
    const signed = signedHuyaPost(huyaFields({ expenseLevel: '1' }));
    return huyaPost(signed.rawBody.replace('"expenseLevel":"1"', '"expenseLevel":"3"'), signed.authorization);
  });
  add('huya: signed with another secret', { status: 401, code: 'BAD_SIGNATURE' }, () => huyaSigned(huyaFields(), { extSecret: 'not-the-secret' }));
  add('huya: truncated body', { status: 400, code: 'MALFORMED_PURCHASE' }, () => {
    const signed = signedHuyaPost(huyaFields());
    return huyaPost(signed.rawBody.slice(0, 60), signed.authorization);
  });
  add('huya: stale timestamp', { status: 401, code: 'STALE_TIMESTAMP' }, () =>
    huyaSigned(huyaFields({ timestamp: String(Math.floor(Date.now() / 1000) - 3600) })),
  );
  add('huya: timestamp from the future', { status: 401, code: 'STALE_TIMESTAMP' }, () =>
    huyaSigned(huyaFields({ timestamp: String(Math.floor(Date.now() / 1000) + 3600) })),
  );
  add('huya: replayed callback after the window', { status: 401, code: 'STALE_TIMESTAMP' }, () =>
    huyaSigned(huyaFields({ orderId: deliveredHuyaOrderId, timestamp: String(Math.floor(Date.now() / 1000) - 900) })),
  );
  add('huya: replayed orderId for another streamer', { status: 409, code: 'CONFLICT' }, () =>
    huyaSigned(huyaFields({ orderId: deliveredHuyaOrderId, profileId: 'streamer-2' })),
  );
  add('huya: signed callback without profileId', { status: 400, code: 'MALFORMED_PURCHASE' }, () => {
    const { profileId: _dropped, ...fields } = huyaFields();
    const rawBody = JSON.stringify(fields);
    return huyaPost(rawBody, huyaSign(HUYA_TEST_APP_ID, fields.timestamp, rawBody, HUYA_TEST_EXT_SECRET));
  });
  add('huya: signed callback with an impossible orderTime', { status: 400, code: 'MALFORMED_PURCHASE' }, () =>
    huyaSigned(huyaFields({ orderTime: '20211345256199' })),
  );
  add('huya: another mini-program’s extUuid', { status: 422, code: 'WRONG_APPLICATION' }, () => huyaSigned(huyaFields({ extUuid: 'ext-someone-else' })));
  add('huya: another tenant’s callback URL', { status: 401, code: 'BAD_SIGNATURE' }, () => huyaSigned(huyaFields(), {}, otherHuyaAccount.webhookPath));
  add('huya: unknown store account', { status: 404 }, () => huyaSigned(huyaFields(), {}, `/webhooks/huya/${randomUUID()}`));
  add('huya: oversized body', { status: 413 }, () => {
    const rawBody = JSON.stringify({ ...huyaFields(), pad: 'a'.repeat(20 * 1024) });
    return huyaPost(rawBody, huyaSign(HUYA_TEST_APP_ID, String(Math.floor(Date.now() / 1000)), rawBody, HUYA_TEST_EXT_SECRET));
  });
  add('huya: invalid UTF-8', { status: 400, code: 'MALFORMED_PURCHASE' }, () =>
    huyaPost(new Uint8Array([0x7b, 0x22, 0x6f, 0xff, 0xfe, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'ABC'),
  );
  add('huya: GET with a forged signature', { status: 401, code: 'BAD_SIGNATURE' }, () => {
    const signed = signedHuyaGet(huyaFields(), { extSecret: 'not-the-secret' });
    return raw(t, { method: 'GET', path: `${huyaAccount.webhookPath}?${signed.query.toString()}`, headers: { authorization: signed.authorization } });
  });
  add('huya: PUT', { status: 405 }, () => raw(t, { method: 'PUT', path: huyaAccount.webhookPath, body: '{}', headers: { 'content-type': 'application/json' } }));

  // ---- Credentials and tenancy ---------------------------------------------------------
  add('auth: no API key', { status: 200, code: 'FORBIDDEN' }, async () => gqlRaw(t, FINISH, { input: { purchaseData: 'x', playerId: 'p' } }));
  add('auth: unknown API key', { status: 401, code: 'UNAUTHENTICATED' }, () => finish({ purchaseData: 'x' }, { key: `zd_sk_${randomBytes(24).toString('base64url')}` }));
  add('auth: not a ZeroDrop key', { status: 401, code: 'UNAUTHENTICATED' }, () => finish({ purchaseData: 'x' }, { key: 'sk_live_123' }));
  add('auth: malformed Authorization header', { status: 401, code: 'UNAUTHENTICATED' }, () =>
    raw(t, { headers: { 'content-type': 'application/json', authorization: 'Basic Zm9vOmJhcg==' }, body: JSON.stringify({ query: '{ app { id } }' }) }),
  );
  add('auth: client key without a player token', { status: 200, code: 'FORBIDDEN' }, () => finish({ purchaseData: 'x' }, { key: tenant.clientKey }));
  add('auth: forged player token (wrong secret)', { status: 401, code: 'UNAUTHENTICATED' }, async () =>
    finish({ purchaseData: 'x' }, { key: tenant.clientKey, playerToken: await playerToken({ secret: 'not-the-secret-0123456789' }) }),
  );
  add('auth: expired player token', { status: 401, code: 'UNAUTHENTICATED' }, async () =>
    finish({ purchaseData: 'x' }, { key: tenant.clientKey, playerToken: await playerToken({ expiresIn: -120 }) }),
  );
  add('auth: player token for another app', { status: 401, code: 'UNAUTHENTICATED' }, async () =>
    finish({ purchaseData: 'x' }, { key: tenant.clientKey, playerToken: await playerToken({ appId: otherTenant.appId }) }),
  );
  add('auth: unsigned (alg none) player token', { status: 401, code: 'UNAUTHENTICATED' }, () =>
    finish(
      { purchaseData: 'x' },
      { key: tenant.clientKey, playerToken: unsignedJwt({ aud: `zerodrop:app:${tenant.appId}`, sub: 'player-1', exp: Math.floor(Date.now() / 1000) + 600 }) },
    ),
  );
  add('auth: player token with another algorithm', { status: 401, code: 'UNAUTHENTICATED' }, async () =>
    finish({ purchaseData: 'x' }, { key: tenant.clientKey, playerToken: await playerToken({ alg: 'HS512' }) }),
  );
  add('auth: player token, input names another player', { status: 200, code: 'VALIDATION_FAILED' }, async () =>
    finish({ purchaseData: deliveredPurchaseData, playerId: 'player-2' }, { key: tenant.clientKey, playerToken: await playerToken({ sub: 'player-1' }) }),
  );
  add('tenancy: confirm another tenant’s order', { status: 200, code: 'NOT_FOUND' }, async () => {
    const order = await t.app.db.prisma.order.findFirstOrThrow({ where: { appId: tenant.appId } });
    const globalId = Buffer.from(`Order:${order.id}`).toString('base64');
    return gqlRaw(t, CONFIRM_CLIENT_FINISH, { input: { orderId: globalId } }, { key: otherTenant.serverKey });
  });
  add('tenancy: client key creating a product', { status: 200, code: 'FORBIDDEN' }, async () =>
    gqlRaw(t, CREATE_PRODUCT, { input: { store: 'HUAWEI', sku: 'evil', storeProductId: 'evil', type: 'CONSUMABLE', name: 'evil' } }, { key: tenant.clientKey, playerToken: await playerToken() }),
  );

  // ---- GraphQL layer: query bombs, content types, encodings ---------------------------
  const key = () => tenant.serverKey;
  add('graphql: query nested past the depth limit', { status: 400, code: 'QUERY_TOO_COMPLEX' }, () => gqlRaw(t, deepQuery(14), {}, { key: key() }));
  add('graphql: alias bomb', { status: 400, code: 'QUERY_TOO_COMPLEX' }, () =>
    gqlRaw(t, `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: app { id }`).join(' ')} }`, {}, { key: key() }),
  );
  add('graphql: alias bomb inside a mutation', { status: 400, code: 'QUERY_TOO_COMPLEX' }, () =>
    gqlRaw(t, `mutation { ${Array.from({ length: 50 }, (_, i) => `a${i}: finishPurchase(input: { purchaseData: "x", playerId: "p" }) { __typename }`).join(' ')} }`, {}, { key: key() }),
  );
  add('graphql: token flood', { status: 400, code: 'QUERY_TOO_COMPLEX' }, () => gqlRaw(t, `{ app { ${'__typename '.repeat(3000)} } }`, {}, { key: key() }));
  add('graphql: directive flood', { status: 400, code: 'QUERY_TOO_COMPLEX' }, () =>
    gqlRaw(t, `{ app { id ${'@include(if: true) '.repeat(50)} } }`, {}, { key: key() }),
  );
  // Validation and parse errors: HTTP 200 with a coded error for plain JSON clients (GraphQL over HTTP).
  add('graphql: fragment cycle', { status: 200, code: 'GRAPHQL_VALIDATION_FAILED' }, () =>
    gqlRaw(t, 'query { app { ...A } } fragment A on App { ...B } fragment B on App { ...A }', {}, { key: key() }),
  );
  add('graphql: unknown field', { status: 200, code: 'GRAPHQL_VALIDATION_FAILED' }, () => gqlRaw(t, '{ app { secretKey } }', {}, { key: key() }));
  add('graphql: variable of the wrong type', { status: 400 }, () => gqlRaw(t, FINISH, { input: 42 }, { key: key() }));
  add('graphql: syntax error', { status: 200, code: 'GRAPHQL_PARSE_FAILED' }, () => gqlRaw(t, 'mutation { finishPurchase(input: {', {}, { key: key() }));
  add('graphql: malformed JSON body', { status: 400 }, () =>
    raw(t, { headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: '{"query": "{ app { id } }"' }),
  );
  add('graphql: invalid UTF-8 in a query body', { status: 400, code: 'BAD_REQUEST' }, () =>
    raw(t, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` },
      body: new Uint8Array([...Buffer.from('{"query":"{ app { id } }","variables":{"x":"'), 0xff, 0xfe, 0xc3, 0x28, ...Buffer.from('"}}')]),
    }),
  );
  add('graphql: invalid UTF-8 in a purchase’s playerId', { status: 400, code: 'BAD_REQUEST' }, async () => {
    const body = JSON.stringify({ query: FINISH, variables: { input: { purchaseData: (await huawei.signPurchase()).purchaseData, playerId: 'p-@@' } } });
    const [head, tail] = body.split('@@') as [string, string];
    return raw(t, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` },
      body: new Uint8Array([...Buffer.from(head), 0xc3, 0x28, ...Buffer.from(tail)]),
    });
  });
  add('graphql: empty body', { status: 400 }, () => raw(t, { headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: '' }));
  add('graphql: no query', { status: 200, code: 'BAD_REQUEST' }, () => raw(t, { headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: '{"variables":{}}' }));
  add('graphql: text/plain (cross-site form)', { status: 403 }, async () =>
    raw(t, { headers: { 'content-type': 'text/plain', authorization: `Bearer ${key()}` }, body: JSON.stringify({ query: FINISH, variables: { input: { purchaseData: (await huawei.signPurchase()).purchaseData, playerId: 'p' } } }) }),
  );
  add('graphql: form-encoded mutation', { status: 403 }, () =>
    raw(t, { headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${key()}` }, body: `query=${encodeURIComponent('mutation { __typename }')}` }),
  );
  // Issue 13: store callback URLs and bodies (test/security/ has the full attacks).
  for (const store of ['huawei', 'nowgg', 'huya']) {
    add(`${store}: malformed percent-escape in the callback URL`, { status: 400 }, () => post(`/webhooks/${store}/%E0%A4%A`, '{}'));
    add(`${store}: callback declaring a 200 MB body`, { status: 413 }, () =>
      post(`/webhooks/${store}/${randomUUID()}`, '{}', { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) }),
    );
  }
  // Issue 13: request forgery. Sent to an instance with the production outbound policy
  // (OUTBOUND_ALLOW_PRIVATE=false) on the same database; test/security/outbound.test.ts has
  // the connect-time (DNS rebinding) and redirect attacks.
  const internalUrls = [
    'http://127.0.0.1/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://localhost./hook',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.1/hook',
    'http://100.64.0.1/hook',
    'http://[fd00::1]/hook',
    'http://224.0.0.1/hook',
  ];
  for (const url of internalUrls) {
    add(`outbound: webhook endpoint at ${url}`, { status: 200, code: 'VALIDATION_FAILED' }, () =>
      gqlRaw(strict, CREATE_WEBHOOK_ENDPOINT, { input: { url } }, { key: key() }),
    );
  }
  add('outbound: JWKS URL at the metadata address', { status: 200, code: 'VALIDATION_FAILED' }, () =>
    gqlRaw(strict, PLAYER_TOKEN_SETTINGS, { input: { jwksUrl: 'http://169.254.169.254/jwks' } }, { key: key() }),
  );
  add('outbound: SANDBOX store apiBaseUrl at a private address', { status: 200, code: 'VALIDATION_FAILED' }, () =>
    gqlRaw(strict, CREATE_STORE_ACCOUNT, { input: { name: 'ssrf sandbox', environment: 'SANDBOX', apiBaseUrl: 'http://10.0.0.1:8080', nowgg: { appId: '11001', packageName: 'gg.now.x', paymentsApiKey: 'k' } } }, { key: key() }),
  );
  add('outbound: PRODUCTION store apiBaseUrl (SANDBOX only)', { status: 200, code: 'VALIDATION_FAILED' }, () =>
    gqlRaw(strict, CREATE_STORE_ACCOUNT, { input: { name: 'ssrf production', environment: 'PRODUCTION', apiBaseUrl: 'https://api.example.com', nowgg: { appId: '11001', packageName: 'gg.now.x', paymentsApiKey: 'k' } } }, { key: key() }),
  );
  add('graphql: mutation over GET', { status: 405 }, () =>
    raw(t, { method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { __typename }')}`, headers: { authorization: `Bearer ${key()}`, 'x-graphql-yoga-csrf': '1' } }),
  );
  add('graphql: oversized body (5 MB)', { status: 413, code: 'PAYLOAD_TOO_LARGE' }, () =>
    raw(t, { headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: JSON.stringify({ query: '{ app { id } }', variables: { pad: 'a'.repeat(5 * 1024 * 1024) } }) }),
  );
  add('graphql: batched operations', { status: 400 }, () =>
    raw(t, { headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: JSON.stringify([{ query: '{ app { id } }' }, { query: '{ app { id } }' }]) }),
  );
  add('routes: unknown path', { status: 404, code: 'NOT_FOUND' }, () => raw(t, { path: '/admin', body: '{}', headers: { 'content-type': 'application/json' } }));
  return list;
}

beforeAll(async () => {
  [huawei, nowgg] = await Promise.all([FakeHuawei.start(), FakeNowgg.start()]);
  t = await createTestApp();
  strict = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: 'false', ALLOW_PRODUCTION_API_BASE_URL: 'false' }, { database: t.database });
  tenant = await t.createTenant('hostile');
  otherTenant = await t.createTenant('other');
  const credentials = huawei.createApiCredentials();
  huaweiAccount = await createAccount(tenant, {
    name: 'huawei',
    environment: 'SANDBOX',
    apiBaseUrl: huawei.baseUrl,
    trustedRootsPem: huawei.rootPem,
    huawei: { applicationId: huawei.applicationId, ...credentials },
  });
  otherHuaweiAccount = await createAccount(otherTenant, {
    name: 'huawei other',
    environment: 'SANDBOX',
    apiBaseUrl: huawei.baseUrl,
    trustedRootsPem: huawei.rootPem,
    huawei: { applicationId: '6917500000000000777' },
  });
  nowggAccount = await createAccount(tenant, {
    name: 'now.gg',
    environment: 'PRODUCTION',
    apiBaseUrl: nowgg.baseUrl,
    nowgg: { appId: '11001', packageName: 'gg.now.sample.app', paymentsApiKey: nowgg.paymentsApiKey, webhookApiKey: NOWGG_WEBHOOK_KEY },
  });
  huyaAccount = await createAccount(tenant, {
    name: 'huya',
    environment: 'PRODUCTION',
    huya: { huyaAppId: HUYA_TEST_APP_ID, extUuid: HUYA_TEST_EXT_UUID, extSecret: HUYA_TEST_EXT_SECRET },
  });
  otherHuyaAccount = await createAccount(otherTenant, {
    name: 'huya other',
    environment: 'PRODUCTION',
    huya: { huyaAppId: 'hy-other-app', extUuid: HUYA_TEST_EXT_UUID, extSecret: 'another-tenants-secret-0123456789' },
  });
  await createProduct(tenant, { store: 'HUYA', sku: HUYA_GOODS, storeProductId: HUYA_GOODS, type: 'TIME_LIMITED', timeLevels: [{ level: '1', days: 7 }] });
  await createProduct(tenant, { store: 'HUAWEI', sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE' });
  await createProduct(tenant, { store: 'NOWGG', sku: 'coins_50', storeProductId: 'coins_50', type: 'CONSUMABLE' });
  await gqlRaw(t, PLAYER_TOKEN_SETTINGS, { input: { hmacSecret: PLAYER_TOKEN_SECRET } }, { key: tenant.serverKey });

  // Something to replay: a delivered purchase at each store.
  deliveredPurchaseData = (await huawei.signPurchase()).purchaseData;
  await ok(await finish({ purchaseData: deliveredPurchaseData }), (b) => (b as { data?: { finishPurchase?: { order?: unknown } } }).data?.finishPurchase?.order);
  deliveredNowggToken = nowgg.addPurchase({ productId: 'coins_50' });
  await ok(await consume({ purchaseToken: deliveredNowggToken }), (b) => (b as { data?: { consumePurchase?: { order?: unknown } } }).data?.consumePurchase?.order);
  const huyaOrder = huyaFields();
  deliveredHuyaOrderId = huyaOrder.orderId;
  await ok(await huyaSigned(huyaOrder), (b) => (b as { success?: boolean }).success);
});

afterAll(async () => {
  await strict.close();
  await t.close();
  await Promise.all([huawei.close(), nowgg.close()]);
});

describe('hostile input corpus', () => {
  it('has at least 60 cases across the stores and the GraphQL layer', () => {
    expect(cases().length).toBeGreaterThanOrEqual(60);
  });

  it('answers every case with its typed error or 4xx and changes nothing in the database', async () => {
    const mismatches: string[] = [];
    let before = await snapshot(t);
    for (const hostile of cases()) {
      const answer: Answer = await answerOf(await hostile.send());
      const after = await snapshot(t);
      const { status, code } = hostile.expected;
      const refused = answer.status >= 400 ? answer.status < 500 : answer.status === 200 && answer.code !== null;
      if (!refused || answer.status !== status || (code !== undefined && answer.code !== code)) {
        mismatches.push(`${hostile.name}: expected ${status}${code ? ` ${code}` : ''}, got ${answer.status} ${answer.code ?? ''} ${JSON.stringify(answer.body).slice(0, 300)}`);
      }
      if (before !== after) mismatches.push(`${hostile.name}: the database changed`);
      before = after;
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});

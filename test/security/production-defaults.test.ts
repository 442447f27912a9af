// Safe defaults in production (issue 13 item 7): NODE_ENV=production turns off the demo
// app, GraphiQL and CORS unless asked; the operator token must be random enough;
// app-signed player tokens have a maximum lifetime; a malformed percent-escape in a
// callback URL is a 400; ids that cannot be ids are typed not-found answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { EnvError, loadEnv } from '../../src/platform/env.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

describe('configuration defaults', () => {
  it('production: no demo app, no GraphiQL, no CORS origins unless set; development keeps them', () => {
    expect(loadEnv({ NODE_ENV: 'production' })).toMatchObject({ CREATE_DEMO_APP: false, GRAPHIQL: false, CORS_ORIGINS: [] });
    expect(loadEnv({})).toMatchObject({ CREATE_DEMO_APP: true, GRAPHIQL: true, CORS_ORIGINS: ['*'] });
    expect(
      loadEnv({ NODE_ENV: 'production', CREATE_DEMO_APP: 'true', GRAPHIQL: 'true', CORS_ORIGINS: 'https://game.example.com/, https://admin.example.com' }),
    ).toMatchObject({ CREATE_DEMO_APP: true, GRAPHIQL: true, CORS_ORIGINS: ['https://game.example.com', 'https://admin.example.com'] });
    expect(() => loadEnv({ CORS_ORIGINS: 'not an origin' })).toThrow(EnvError);
  });

  it.each([
    ['short', 'x'.repeat(20)],
    ['one character', 'a'.repeat(64)],
    ['a sequence', 'abcdefghabcdefghabcdefghabcdefgh'],
  ])('refuses a predictable operator token (%s)', (_name, token) => {
    expect(() => loadEnv({ ZERODROP_ADMIN_TOKEN: token })).toThrow(/ZERODROP_ADMIN_TOKEN/);
  });

  it('accepts random operator tokens', () => {
    for (const token of [randomBytes(32).toString('base64'), randomBytes(16).toString('hex'), randomBytes(24).toString('base64url')]) {
      expect(loadEnv({ ZERODROP_ADMIN_TOKEN: token }).ZERODROP_ADMIN_TOKEN).toBe(token);
    }
  });
});

describe('a production server', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp({ NODE_ENV: 'production', CORS_ORIGINS: 'https://game.example.com', PLAYER_TOKEN_MAX_TTL_SECONDS: '3600' });
    tenant = await t.createTenant('prod');
  });
  afterAll(() => t.close());

  const preflight = (origin: string) =>
    t.app.fetch(
      new Request('http://zerodrop.test/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      }),
    );

  it('answers CORS for allowed origins only, never with credentials', async () => {
    const allowed = await preflight('https://game.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://game.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const refused = await preflight('https://evil.example.com');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('does not serve GraphiQL', async () => {
    const res = await t.app.fetch(new Request('http://zerodrop.test/graphql', { headers: { accept: 'text/html' } }));
    expect(await res.text()).not.toMatch(/graphiql/i);
  });

  it('refuses app-signed player tokens that live longer than PLAYER_TOKEN_MAX_TTL_SECONDS', async () => {
    const secret = 'app-hmac-secret-0123456789abcdef-0123456789';
    const set = await t.post(
      { query: 'mutation($input: UpdatePlayerTokenSettingsInput!) { updatePlayerTokenSettings(input: $input) { __typename } }', variables: { input: { hmacSecret: secret } } },
      { key: tenant.serverKey },
    );
    expect(set.status).toBe(200);
    const sign = (lifetime: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setAudience(`zerodrop:app:${tenant.appId}`)
        .setSubject('player-1')
        .setIssuedAt()
        .setExpirationTime(lifetime)
        .sign(new TextEncoder().encode(secret));
    const query = { query: '{ entitlements { playerId } }' };
    expect((await t.post(query, { key: tenant.clientKey, playerToken: await sign('30m') })).status).toBe(200);
    const yearLong = await t.post(query, { key: tenant.clientKey, playerToken: await sign('365d') });
    expect(yearLong.status).toBe(401);
  });

  it('answers a malformed percent-escape in a callback URL with 400, and a non-UUID account with 404', async () => {
    for (const store of ['huawei', 'nowgg', 'huya']) {
      const bad = await t.app.fetch(new Request(`http://zerodrop.test/webhooks/${store}/%E0%A4%A`, { method: 'POST', body: '{}' }));
      expect(bad.status, store).toBe(400);
      const notUuid = await t.app.fetch(new Request(`http://zerodrop.test/webhooks/${store}/not-a-uuid`, { method: 'POST', body: '{}' }));
      expect(notUuid.status, store).toBe(404);
    }
  });

  it('answers ids that cannot be ids with typed not-found answers, not masked errors', async () => {
    const nodeId = Buffer.from('Order:not-a-uuid').toString('base64');
    const node = await t.post({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: nodeId } }, { key: tenant.serverKey });
    const body = (await node.json()) as { data?: { node: unknown }; errors?: { message: string }[] };
    expect((body.errors ?? []).map((e) => e.message).join()).not.toMatch(/Unexpected error/);
    expect(body.data?.node ?? null).toBeNull();
  });
});

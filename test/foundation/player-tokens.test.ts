// Player tokens: a client key acts for exactly one player, named by a short-lived JWT the
// app's server mints (createPlayerToken) or signs itself (HS256 secret or JWKS). The player
// comes from the token, never from the input; a client key alone reads nothing private.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { graphql } from '../gql/index.js';
import { playerTokenAudience } from '../../src/auth.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { seedCatalogue, seedOrder } from './seed.js';

const CreatePlayerToken = graphql(`
  mutation PlayerTokensCreate($input: CreatePlayerTokenInput!) {
    createPlayerToken(input: $input) {
      __typename
      ... on CreatePlayerTokenPayload { token expiresAt playerId }
      ... on ValidationError { code message fieldErrors { path } }
    }
  }
`);

const UpdateSettings = graphql(`
  mutation PlayerTokensSettings($input: UpdatePlayerTokenSettingsInput!) {
    updatePlayerTokenSettings(input: $input) {
      __typename
      ... on UpdatePlayerTokenSettingsPayload { app { playerTokenHmacSecretSet playerTokenJwksUrl } }
      ... on ValidationError { code fieldErrors { path message } }
    }
  }
`);

const PlayerView = graphql(`
  query PlayerTokensView($playerId: String, $orderFilter: OrderFilter) {
    entitlements(playerId: $playerId) { playerId quantity order { id } }
    orders(first: 50, filter: $orderFilter) { edges { node { id playerId } } }
  }
`);

const NodeById = graphql(`
  query PlayerTokensNode($id: ID!) { node(id: $id) { id ... on Order { playerId } } }
`);

const ConfirmFinish = graphql(`
  mutation PlayerTokensConfirm($input: ConfirmClientFinishInput!) {
    confirmClientFinish(input: $input) {
      __typename
      ... on ConfirmClientFinishPayload { order { id status playerId } }
      ... on NotFoundError { code }
    }
  }
`);

const OrderGlobalId = graphql(`
  query PlayerTokensOrderIds { orders(first: 50) { edges { node { id playerId } } } }
`);

interface ErrorBody {
  errors: { message: string; extensions?: { code?: string } }[];
}

const HMAC_SECRET = 'app-owned-hmac-secret-0123456789abcdef';

describe('player tokens', () => {
  let t: TestApp;
  let tenant: Tenant;
  let aliceToken: string;
  const orderIds: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('players');
    const catalogue = await seedCatalogue(t, tenant.appId);
    await seedOrder(t, catalogue, 'alice');
    await seedOrder(t, catalogue, 'bob');
    const ids = await t.gql(OrderGlobalId, {}, { key: tenant.serverKey });
    for (const edge of ids.data?.orders.edges ?? []) orderIds[edge.node.playerId] = edge.node.id;
    const minted = await t.gql(CreatePlayerToken, { input: { playerId: 'alice' } }, { key: tenant.serverKey });
    if (minted.data?.createPlayerToken.__typename !== 'CreatePlayerTokenPayload') throw new Error(JSON.stringify(minted));
    aliceToken = minted.data.createPlayerToken.token;
  });
  afterAll(() => t.close());

  /** Asks, as a client acting with `token`, for `playerId`'s entitlements. */
  const readAs = (token: string, playerId?: string, clientKey = tenant.clientKey) =>
    t.post(
      { query: 'query ($playerId: String) { entitlements(playerId: $playerId) { playerId } }', variables: { playerId } },
      { key: clientKey, playerToken: token },
    );

  const expectRefused = async (res: Response, message: string | RegExp) => {
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expect(body.errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0]?.message).toMatch(message);
  };

  it('are minted by server keys, short-lived, for one player', async () => {
    const res = await t.gql(CreatePlayerToken, { input: { playerId: 'carol', ttlSeconds: 120 } }, { key: tenant.serverKey });
    const payload = res.data?.createPlayerToken;
    if (payload?.__typename !== 'CreatePlayerTokenPayload') throw new Error(JSON.stringify(res));
    expect(payload.playerId).toBe('carol');
    const ttl = (Date.parse(payload.expiresAt) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);

    for (const input of [{ playerId: 'carol', ttlSeconds: 5 }, { playerId: 'carol', ttlSeconds: 10_000_000 }, { playerId: '  ' }]) {
      const bad = await t.gql(CreatePlayerToken, { input }, { key: tenant.serverKey });
      expect(bad.data?.createPlayerToken).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    }
    const byClient = await t.gql(CreatePlayerToken, { input: { playerId: 'carol' } }, { key: tenant.clientKey });
    expect(byClient.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("let a client key read its player's entitlements and orders, and nobody else's", async () => {
    const own = await t.gql(PlayerView, {}, { key: tenant.clientKey, playerToken: aliceToken });
    expect(own.errors).toBeUndefined();
    expect(own.data?.entitlements.map((e) => e.playerId)).toEqual(['alice']);
    expect(own.data?.orders.edges.map((e) => e.node.playerId)).toEqual(['alice']);

    // naming another player in the input does not switch players
    const filtered = await t.gql(PlayerView, { orderFilter: { playerId: 'bob' } }, { key: tenant.clientKey, playerToken: aliceToken });
    expect(filtered.data?.orders.edges.map((e) => e.node.playerId)).toEqual(['alice']);
    const other = await t.gql(PlayerView, { playerId: 'bob' }, { key: tenant.clientKey, playerToken: aliceToken });
    expect(other.errors?.[0]).toMatchObject({ message: 'A player token reads only its own player', extensions: { code: 'FORBIDDEN' } });
    expect(other.data).toBeNull();

    expect((await t.gql(NodeById, { id: orderIds.alice! }, { key: tenant.clientKey, playerToken: aliceToken })).data?.node).toEqual({
      id: orderIds.alice,
      playerId: 'alice',
    });
    expect(await t.gql(NodeById, { id: orderIds.bob! }, { key: tenant.clientKey, playerToken: aliceToken })).toEqual({ data: { node: null } });

    const finishBob = await t.gql(ConfirmFinish, { input: { orderId: orderIds.bob! } }, { key: tenant.clientKey, playerToken: aliceToken });
    expect(finishBob.data?.confirmClientFinish).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const bob = await t.app.db.prisma.order.findFirstOrThrow({ where: { appId: tenant.appId, playerId: 'bob' } });
    expect(bob.status).toBe('DELIVERED');

    const finishOwn = await t.gql(ConfirmFinish, { input: { orderId: orderIds.alice! } }, { key: tenant.clientKey, playerToken: aliceToken });
    expect(finishOwn.data?.confirmClientFinish).toMatchObject({ order: { playerId: 'alice', status: 'FINISHED' } });
  });

  it('server keys may name any player of their app; a player token beside a server key changes nothing', async () => {
    const res = await t.gql(PlayerView, { playerId: 'bob' }, { key: tenant.serverKey, playerToken: aliceToken });
    expect(res.data?.entitlements.map((e) => e.playerId)).toEqual(['bob']);
    expect(res.data?.orders.edges.map((e) => e.node.playerId).sort()).toEqual(['alice', 'bob']);
  });

  it('a client key alone reads nothing private', async () => {
    const fields = [
      '{ app { name } }',
      '{ products(first: 5) { edges { node { id } } } }',
      '{ orders(first: 5) { edges { node { id } } } }',
      '{ entitlements(playerId: "alice") { id } }',
      '{ storeAccounts(first: 5) { edges { node { id } } } }',
      '{ apiKeys(first: 5) { edges { node { id } } } }',
    ];
    for (const query of fields) {
      const res = await t.post({ query }, { key: tenant.clientKey });
      expect(res.status).toBe(200);
      const body = (await res.json()) as ErrorBody & { data: Record<string, unknown> | null };
      expect(body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
      expect(Object.values(body.data ?? {}).every((value) => value === null), query).toBe(true);
    }
    const node = await t.gql(NodeById, { id: orderIds.alice! }, { key: tenant.clientKey });
    expect(node.data?.node ?? null).toBeNull();
  });

  it('refuse garbage, tampering and tokens of another app with 401', async () => {
    await expectRefused(await readAs('not-a-jwt'), 'Player token is not a JWT');
    const [header, payload] = aliceToken.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    await expectRefused(await readAs(unsigned), /^Invalid player token/);
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url')}.${aliceToken.split('.')[2]}`;
    await expectRefused(await readAs(forged), 'Invalid player token: signature verification failed');

    const other = await t.createTenant('other');
    const mintedElsewhere = await t.gql(CreatePlayerToken, { input: { playerId: 'alice' } }, { key: other.serverKey });
    if (mintedElsewhere.data?.createPlayerToken.__typename !== 'CreatePlayerTokenPayload') throw new Error('mint failed');
    await expectRefused(await readAs(mintedElsewhere.data.createPlayerToken.token), /^Invalid player token/);
  });

  describe('signed by the app with its own HS256 secret', () => {
    let app: Tenant;
    beforeAll(async () => {
      app = await t.createTenant('hmac');
      const short = await t.gql(UpdateSettings, { input: { hmacSecret: 'too short' } }, { key: app.serverKey });
      expect(short.data?.updatePlayerTokenSettings).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'hmacSecret' }] });
      const set = await t.gql(UpdateSettings, { input: { hmacSecret: HMAC_SECRET } }, { key: app.serverKey });
      expect(set.data?.updatePlayerTokenSettings).toEqual({
        __typename: 'UpdatePlayerTokenSettingsPayload',
        app: { playerTokenHmacSecretSet: true, playerTokenJwksUrl: null },
      });
      const row = await t.app.db.prisma.app.findUniqueOrThrow({ where: { id: app.appId } });
      expect(JSON.stringify(row)).not.toContain(HMAC_SECRET);
    });

    const sign = (claims: { sub?: string; aud?: string; exp?: number }, secret = HMAC_SECRET) => {
      let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://game.example.com').setIssuedAt();
      if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
      jwt = jwt.setAudience(claims.aud ?? playerTokenAudience(app.appId));
      jwt = jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300);
      return jwt.sign(new TextEncoder().encode(secret));
    };

    it('accepts a valid token for the player it names', async () => {
      const token = await sign({ sub: 'dave' });
      const res = await readAs(token, 'dave', app.clientKey);
      expect(await res.json()).toEqual({ data: { entitlements: [] } });
      const other = await readAs(token, 'erin', app.clientKey);
      expect(((await other.json()) as ErrorBody).errors[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('refuses expired, wrong-audience, wrong-secret, subject-less and empty-subject tokens', async () => {
      const past = Math.floor(Date.now() / 1000) - 60;
      await expectRefused(await readAs(await sign({ sub: 'dave', exp: past }), undefined, app.clientKey), /"exp" claim timestamp check failed/);
      await expectRefused(await readAs(await sign({ sub: 'dave', aud: playerTokenAudience(tenant.appId) }), undefined, app.clientKey), /"aud" claim/);
      await expectRefused(await readAs(await sign({ sub: 'dave' }, 'another-secret-of-32-characters-or-more'), undefined, app.clientKey), /signature verification failed/);
      await expectRefused(await readAs(await sign({}), undefined, app.clientKey), /"sub"/);
      await expectRefused(await readAs(await sign({ sub: '' }), undefined, app.clientKey), 'Invalid player token: sub must name the player (1..200 characters)');
    });

    it('refuses an RS256 token when only an HMAC secret is configured', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('dave')
        .setAudience(playerTokenAudience(app.appId))
        .setExpirationTime('5m')
        .sign(privateKey);
      await expectRefused(await readAs(token, undefined, app.clientKey), /^Invalid player token/);
    });
  });

  describe('signed by the app with keys published as a JWKS', () => {
    let app: Tenant;
    let jwksServer: Server;
    let rsa: CryptoKey;
    let ec: CryptoKey;
    let jwksRequests = 0;

    beforeAll(async () => {
      app = await t.createTenant('jwks');
      const rsaPair = await generateKeyPair('RS256');
      const ecPair = await generateKeyPair('ES256');
      rsa = rsaPair.privateKey;
      ec = ecPair.privateKey;
      const keys: JWK[] = [
        { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ];
      jwksServer = createServer((_req, res) => {
        jwksRequests += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
      });
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
      const address = jwksServer.address();
      const jwksUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/.well-known/jwks.json`;
      const set = await t.gql(UpdateSettings, { input: { jwksUrl } }, { key: app.serverKey });
      expect(set.data?.updatePlayerTokenSettings).toMatchObject({ app: { playerTokenJwksUrl: jwksUrl } });
      const bad = await t.gql(UpdateSettings, { input: { jwksUrl: 'ftp://keys.example.com/jwks' } }, { key: app.serverKey });
      expect(bad.data?.updatePlayerTokenSettings).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'jwksUrl' }] });
    });
    afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

    const sign = (key: CryptoKey, alg: string, kid: string, claims: { aud?: string; exp?: string | number } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg, kid })
        .setSubject('frank')
        .setAudience(claims.aud ?? playerTokenAudience(app.appId))
        .setExpirationTime(claims.exp ?? '5m')
        .sign(key);

    it('accepts RS256 and ES256 tokens signed by a published key', async () => {
      for (const token of [await sign(rsa, 'RS256', 'rsa-1'), await sign(ec, 'ES256', 'ec-1')]) {
        expect(await (await readAs(token, 'frank', app.clientKey)).json()).toEqual({ data: { entitlements: [] } });
      }
      expect(jwksRequests).toBeGreaterThanOrEqual(1);
    });

    it('refuses unpublished keys, HS256, expired and wrong-audience tokens', async () => {
      const stranger = (await generateKeyPair('RS256')).privateKey;
      await expectRefused(await readAs(await sign(stranger, 'RS256', 'rsa-1'), undefined, app.clientKey), /signature verification failed/);
      const hs = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('frank')
        .setAudience(playerTokenAudience(app.appId))
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(HMAC_SECRET));
      await expectRefused(await readAs(hs, undefined, app.clientKey), /^Invalid player token/);
      await expectRefused(await readAs(await sign(rsa, 'RS256', 'rsa-1', { exp: Math.floor(Date.now() / 1000) - 60 }), undefined, app.clientKey), /"exp"/);
      await expectRefused(await readAs(await sign(rsa, 'RS256', 'rsa-1', { aud: 'zerodrop:app:someone-else' }), undefined, app.clientKey), /"aud"/);
    });
  });
});

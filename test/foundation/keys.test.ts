// API keys: shown once, stored as SHA-256 hashes, listed by prefix, revoked at once;
// anything but "Authorization: Bearer <key>" is refused with 401 and a clear message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { graphql } from '../gql/index.js';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/platform/logger.js';
import { buildSchema } from '../../src/schema/index.js';
import { builtInStores } from '../../src/providers/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

const schema = buildSchema(builtInStores);

const CreateApiKey = graphql(`
  mutation KeysCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreateApiKeyPayload { secret apiKey { id name role prefix revokedAt } }
      ... on ValidationError { code message }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation KeysRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      __typename
      ... on RevokeApiKeyPayload { apiKey { id revokedAt } }
      ... on NotFoundError { code message }
    }
  }
`);

const ListApiKeys = graphql(`
  query KeysList { apiKeys(first: 50) { edges { node { id name role prefix createdAt lastUsedAt revokedAt } } } }
`);

const AppName = graphql(`
  query KeysAppName { app { name } }
`);

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

interface ErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}

describe('API keys', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('keys');
  });
  afterAll(() => t.close());

  it('are shown once, prefixed by role, and stored only as a hash', async () => {
    for (const [role, prefix] of [['SERVER', 'zd_sk_'], ['CLIENT', 'zd_pk_']] as const) {
      const res = await t.gql(CreateApiKey, { input: { role, name: `${role} key` } }, { key: tenant.serverKey });
      const created = res.data?.createApiKey;
      if (created?.__typename !== 'CreateApiKeyPayload') throw new Error(JSON.stringify(res));
      expect(created.secret.startsWith(prefix)).toBe(true);
      expect(created.secret.length).toBeGreaterThanOrEqual(prefix.length + 32);
      expect(created.apiKey).toMatchObject({ role, prefix: created.secret.slice(0, 12), revokedAt: null });

      const row = await t.app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: decodeGlobalID(created.apiKey.id).id } });
      expect(row.hash).toBe(sha256(created.secret));
      const stored = JSON.stringify(row);
      expect(stored).not.toContain(created.secret);
      expect(stored).not.toContain(created.secret.slice(12)); // nor the part the prefix does not show
    }
  });

  it('are listed by prefix only: no field can return a key', async () => {
    const apiKeyType = schema.getType('ApiKey');
    expect(apiKeyType && 'getFields' in apiKeyType ? Object.keys(apiKeyType.getFields()).sort() : null).toEqual([
      'createdAt',
      'id',
      'lastUsedAt',
      'name',
      'prefix',
      'revokedAt',
      'role',
    ]);
    const res = await t.gql(ListApiKeys, {}, { key: tenant.serverKey });
    const prefixes = res.data?.apiKeys.edges.map((edge) => edge.node.prefix) ?? [];
    expect(prefixes).toContain(tenant.serverKey.slice(0, 12));
    expect(prefixes).toContain(tenant.clientKey.slice(0, 12));
    expect(prefixes.every((prefix) => prefix.length === 12)).toBe(true);
  });

  it('work at once and record when they were last used', async () => {
    const res = await t.gql(CreateApiKey, { input: { role: 'SERVER', name: 'ci' } }, { key: tenant.serverKey });
    if (res.data?.createApiKey.__typename !== 'CreateApiKeyPayload') throw new Error(JSON.stringify(res));
    const { secret, apiKey } = res.data.createApiKey;
    expect((await t.gql(AppName, {}, { key: secret })).data?.app?.name).toBe('keys');
    // recorded in the background, off the request's path
    await expect
      .poll(async () => (await t.app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: decodeGlobalID(apiKey.id).id } })).lastUsedAt, {
        timeout: 10_000,
      })
      .not.toBeNull();
  });

  it('stop working the moment they are revoked on this instance, even while cached', async () => {
    const res = await t.gql(CreateApiKey, { input: { role: 'CLIENT', name: 'old build' } }, { key: tenant.serverKey });
    if (res.data?.createApiKey.__typename !== 'CreateApiKeyPayload') throw new Error(JSON.stringify(res));
    const { secret, apiKey } = res.data.createApiKey;
    // a client key authenticates (it is looked up and cached) even without a player token
    expect((await t.post({ query: '{ __typename }' }, { key: secret })).status).toBe(200);

    const revoked = await t.gql(RevokeApiKey, { input: { id: apiKey.id } }, { key: tenant.serverKey });
    expect(revoked.data?.revokeApiKey).toMatchObject({ __typename: 'RevokeApiKeyPayload', apiKey: { id: apiKey.id } });

    const refused = await t.post({ query: '{ __typename }' }, { key: secret });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ errors: [{ message: 'Invalid or revoked API key', extensions: { code: 'UNAUTHENTICATED' } }] });

    // revoking again is harmless and keeps the first revocation time
    const again = await t.gql(RevokeApiKey, { input: { id: apiKey.id } }, { key: tenant.serverKey });
    if (revoked.data?.revokeApiKey.__typename !== 'RevokeApiKeyPayload') throw new Error('unreachable');
    expect(again.data?.revokeApiKey).toMatchObject({ apiKey: { revokedAt: revoked.data.revokeApiKey.apiKey.revokedAt } });
  });

  it('are managed with server keys only', async () => {
    const res = await t.gql(CreateApiKey, { input: { role: 'SERVER', name: 'escalate' } }, { key: tenant.clientKey });
    expect(res.data).toBeNull();
    expect(res.errors?.[0]).toMatchObject({ message: 'Not authorized to access Mutation.createApiKey', extensions: { code: 'FORBIDDEN' } });
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'Authorization must be "Bearer <key>"'],
    ['Bearer', 'Authorization must be "Bearer <key>"'],
    ['Bearer two words', 'Authorization must be "Bearer <key>"'],
    ['Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig', 'Unknown credential: expected a zd_sk_ or zd_pk_ API key'],
    [`Bearer zd_sk_${'A'.repeat(32)}`, 'Invalid or revoked API key'],
    [`Bearer zd_pk_${'A'.repeat(32)}`, 'Invalid or revoked API key'],
  ])('refuse Authorization %j with 401', async (authorization, message) => {
    const res = await t.post({ query: '{ __typename }' }, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect((await res.json()) as ErrorBody).toEqual({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('are not read from the query string or the body', async () => {
    const query = encodeURIComponent('{ app { name } }');
    for (const param of ['access_token', 'token', 'key', 'authorization']) {
      const res = await t.app.fetch(
        new Request(`http://zerodrop.test/graphql?query=${query}&${param}=${encodeURIComponent(tenant.serverKey)}`, {
          headers: { 'x-graphql-yoga-csrf': '1' },
        }),
      );
      const body = (await res.json()) as ErrorBody;
      expect(body.errors[0]).toMatchObject({ message: 'Not authorized to access Query.app', extensions: { code: 'FORBIDDEN' } });
    }
    const inBody = await t.post({ query: '{ app { name } }', extensions: { authorization: `Bearer ${tenant.serverKey}` } });
    expect(((await inBody.json()) as ErrorBody).errors[0]?.extensions.code).toBe('FORBIDDEN');
  });

  it('never reach the logs, even at trace level', async () => {
    const lines: string[] = [];
    const logged = await createApp({
      env: t.env,
      stores: builtInStores,
      db: t.database.db,
      logger: createLogger('trace', { write: (line: string) => void lines.push(line) }),
      startWorker: false,
    });
    try {
      const playerToken = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwIn0.c2ln';
      const request = (authorization: string) =>
        logged.fetch(
          new Request('http://zerodrop.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization, 'x-player-token': playerToken },
            body: JSON.stringify({ query: '{ app { name } }' }),
          }),
        );
      await request(`Bearer ${tenant.serverKey}`);
      await request(`Bearer ${tenant.clientKey}`);
      await request(`Bearer zd_sk_${'B'.repeat(32)}`);
      expect(lines.length).toBeGreaterThan(0);
      const output = lines.join('');
      expect(output).not.toContain(tenant.serverKey);
      expect(output).not.toContain(tenant.clientKey);
      expect(output).not.toContain('B'.repeat(32));
      expect(output).not.toContain(playerToken);
    } finally {
      await logged.close();
    }
  });
});

// Store credentials: secrets sealed at rest with AES-256-GCM under the master key, never
// returned (only their names), validated into typed errors; extra trusted roots only for
// Huawei sandbox accounts; a dev master key generated into DATA_DIR (0600) and reused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeGlobalID } from '@pothos/plugin-relay';
import 'reflect-metadata'; // @peculiar/x509 needs it loaded first
import * as x509 from '@peculiar/x509';
import { graphql } from '../gql/index.js';
import { createApp } from '../../src/app.js';
import { loadMasterKey, SecretBox } from '../../src/platform/crypto.js';
import { decodeKey, loadEnv } from '../../src/platform/env.js';
import { createLogger } from '../../src/platform/logger.js';
import { buildSchema } from '../../src/schema/index.js';
import { builtInStores } from '../../src/providers/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

const schema = buildSchema(builtInStores);

const CreateStoreAccount = graphql(`
  mutation StoreAccountsCreate($input: CreateStoreAccountInput!) {
    createStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload {
        storeAccount { id accountId store environment name settings secretNames apiBaseUrl hasTrustedRoots webhookPath createdAt }
      }
      ... on ValidationError { code message fieldErrors { path message } }
    }
  }
`);

const UpdateStoreAccount = graphql(`
  mutation StoreAccountsUpdate($input: UpdateStoreAccountInput!) {
    updateStoreAccount(input: $input) {
      __typename
      ... on StoreAccountPayload { storeAccount { id name settings secretNames apiBaseUrl hasTrustedRoots } }
      ... on ValidationError { code message fieldErrors { path message } }
      ... on NotFoundError { code message }
    }
  }
`);

const ListStoreAccounts = graphql(`
  query StoreAccountsList { storeAccounts(first: 50) { edges { node { id name store settings secretNames } } } }
`);

const PAYMENTS_KEY = `nowgg-payments-${randomBytes(12).toString('hex')}`;
const WEBHOOK_KEY = `nowgg-webhook-${randomBytes(12).toString('hex')}`;
const huaweiPrivateKeyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

async function selfSignedRootPem(): Promise<string> {
  x509.cryptoProvider.set(webcrypto as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=ZeroDrop Test Root',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys: keys as CryptoKeyPair,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return certificate.toString('pem');
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('store accounts', () => {
  let tenant: Tenant;
  let nowggId: string;

  beforeAll(async () => {
    tenant = await t.createTenant('stores');
    const res = await t.gql(
      CreateStoreAccount,
      {
        input: {
          name: 'now.gg sandbox',
          environment: 'SANDBOX',
          apiBaseUrl: 'https://sandbox.now.gg.example',
          nowgg: { appId: 'ngg-app-1', packageName: 'com.example.game', paymentsApiKey: PAYMENTS_KEY, webhookApiKey: WEBHOOK_KEY },
        },
      },
      { key: tenant.serverKey },
    );
    const created = res.data?.createStoreAccount;
    if (created?.__typename !== 'StoreAccountPayload') throw new Error(JSON.stringify(res));
    nowggId = created.storeAccount.id;
    expect(created.storeAccount).toMatchObject({
      store: 'NOWGG',
      environment: 'SANDBOX',
      settings: { appId: 'ngg-app-1', packageName: 'com.example.game' },
      secretNames: ['paymentsApiKey', 'webhookApiKey'],
      apiBaseUrl: 'https://sandbox.now.gg.example',
      hasTrustedRoots: false,
      webhookPath: `/webhooks/nowgg/${decodeGlobalID(nowggId).id}`,
      accountId: decodeGlobalID(nowggId).id,
    });
    expect(JSON.stringify(res)).not.toContain(PAYMENTS_KEY);
  });

  it('seal secrets with AES-256-GCM: the row holds no plaintext, and tampering is detected', async () => {
    const row = await t.app.db.prisma.storeAccount.findUniqueOrThrow({ where: { id: decodeGlobalID(nowggId).id } });
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(PAYMENTS_KEY);
    expect(raw).not.toContain(WEBHOOK_KEY);
    expect(row.sealedSecrets).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);

    const box = new SecretBox(decodeKey(t.env.ZERODROP_MASTER_KEY!)!);
    expect(box.openJson(row.sealedSecrets)).toEqual({ paymentsApiKey: PAYMENTS_KEY, webhookApiKey: WEBHOOK_KEY });
    // sealing twice gives different ciphertexts (fresh IV)
    expect(box.seal('same')).not.toBe(box.seal('same'));

    const [version, iv, tag, body] = row.sealedSecrets.split(':') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([version, iv, tag, flipped.toString('base64')].join(':'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(row.sealedSecrets)).toThrow();
  });

  it('are never returned: no field carries a secret, only secretNames', async () => {
    const type = schema.getType('StoreAccount');
    expect(type && 'getFields' in type ? Object.keys(type.getFields()).sort() : null).toEqual([
      'accountId',
      'apiBaseUrl',
      'createdAt',
      'environment',
      'hasTrustedRoots',
      'id',
      'name',
      'secretNames',
      'settings',
      'store',
      'webhookPath',
    ]);
    const listed = await t.gql(ListStoreAccounts, {}, { key: tenant.serverKey });
    const text = JSON.stringify(listed);
    expect(text).not.toContain(PAYMENTS_KEY);
    expect(text).not.toContain(WEBHOOK_KEY);
    expect(listed.data?.storeAccounts.edges[0]?.node.secretNames).toEqual(['paymentsApiKey', 'webhookApiKey']);
  });

  it.each([
    ['no store', { name: 'x', environment: 'SANDBOX' }, 'input', 'Give exactly one of huawei, nowgg or huya'],
    ['two stores', { name: 'x', environment: 'SANDBOX', nowgg: { paymentsApiKey: 'k' }, huya: { huyaAppId: 'a', extUuid: 'u', extSecret: 's' } }, 'input', 'Give exactly one'],
    ['a missing secret', { name: 'x', environment: 'SANDBOX', nowgg: { appId: 'a' } }, 'paymentsApiKey', 'Invalid NOWGG secrets'],
    ['missing settings', { name: 'x', environment: 'SANDBOX', huya: { extSecret: 's' } }, 'huyaAppId', 'Invalid HUYA settings'],
    ['a bad private key', { name: 'x', environment: 'SANDBOX', huawei: { applicationId: '1', privateKeyPem: 'nope' } }, 'privateKeyPem', 'PKCS#8'],
    ['a blank name', { name: '  ', environment: 'SANDBOX', nowgg: { paymentsApiKey: 'k' } }, 'name', 'Invalid store account'],
    ['a non-http API base URL', { name: 'x', environment: 'SANDBOX', apiBaseUrl: 'ftp://store.example', nowgg: { paymentsApiKey: 'k' } }, 'apiBaseUrl', 'Invalid store account'],
    ['a name already used', { name: 'now.gg sandbox', environment: 'SANDBOX', nowgg: { paymentsApiKey: 'k' } }, 'name', 'already has a NOWGG SANDBOX store account with this name'],
  ] as const)('refuse %s with a typed ValidationError', async (_label, input, path, message) => {
    const before = await t.app.db.prisma.storeAccount.count({ where: { appId: tenant.appId } });
    const res = await t.gql(CreateStoreAccount, { input }, { key: tenant.serverKey });
    expect(res.errors).toBeUndefined();
    const result = res.data?.createStoreAccount;
    if (result?.__typename !== 'ValidationError') throw new Error(JSON.stringify(res));
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(result.message).toContain(message);
    expect(result.fieldErrors.map((f) => f.path)).toContain(path);
    expect(await t.app.db.prisma.storeAccount.count({ where: { appId: tenant.appId } })).toBe(before);
  });

  it('accept extra trusted roots for Huawei SANDBOX accounts only, as parseable certificates', async () => {
    const rootPem = await selfSignedRootPem();
    const huawei = { applicationId: '10086', issuerId: 'issuer', keyId: 'key-1', privateKeyPem: huaweiPrivateKeyPem };
    const create = (environment: 'SANDBOX' | 'PRODUCTION', trustedRootsPem: string, name: string, store: 'huawei' | 'nowgg' = 'huawei') =>
      t.gql(
        CreateStoreAccount,
        { input: { name, environment, trustedRootsPem, ...(store === 'huawei' ? { huawei } : { nowgg: { paymentsApiKey: 'k' } }) } },
        { key: tenant.serverKey },
      );

    const sandbox = await create('SANDBOX', rootPem, 'huawei sandbox');
    expect(sandbox.data?.createStoreAccount).toMatchObject({
      storeAccount: { store: 'HUAWEI', hasTrustedRoots: true, secretNames: ['privateKeyPem'], settings: { applicationId: '10086', issuerId: 'issuer', keyId: 'key-1' } },
    });
    expect(JSON.stringify(sandbox)).not.toContain('PRIVATE KEY');

    const production = await create('PRODUCTION', rootPem, 'huawei production');
    expect(production.data?.createStoreAccount).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'trustedRootsPem', message: 'extra trusted roots are for SANDBOX accounts only; production pins the store root' }],
    });
    const otherStore = await create('SANDBOX', rootPem, 'nowgg roots', 'nowgg');
    expect(otherStore.data?.createStoreAccount).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'trustedRootsPem' }] });
    const garbage = await create('SANDBOX', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----', 'garbage roots');
    expect(garbage.data?.createStoreAccount).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'trustedRootsPem' }] });

    // a production account cannot gain roots by update either
    const prod = await t.gql(CreateStoreAccount, { input: { name: 'huawei live', environment: 'PRODUCTION', huawei } }, { key: tenant.serverKey });
    if (prod.data?.createStoreAccount.__typename !== 'StoreAccountPayload') throw new Error(JSON.stringify(prod));
    const update = await t.gql(UpdateStoreAccount, { input: { id: prod.data.createStoreAccount.storeAccount.id, trustedRootsPem: rootPem } }, { key: tenant.serverKey });
    expect(update.data?.updateStoreAccount).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'trustedRootsPem' }] });
  });

  it('update settings and keep the secrets they do not mention', async () => {
    const renamed = await t.gql(UpdateStoreAccount, { input: { id: nowggId, name: 'now.gg sandbox (renamed)' } }, { key: tenant.serverKey });
    expect(renamed.data?.updateStoreAccount).toMatchObject({ storeAccount: { name: 'now.gg sandbox (renamed)', secretNames: ['paymentsApiKey', 'webhookApiKey'] } });
    const rawId = decodeGlobalID(nowggId).id;
    expect((await t.app.services.storeAccounts.config(tenant.appId, rawId)).secrets).toEqual({ paymentsApiKey: PAYMENTS_KEY, webhookApiKey: WEBHOOK_KEY });

    const rotated = `${PAYMENTS_KEY}-rotated`;
    const rotate = await t.gql(UpdateStoreAccount, { input: { id: nowggId, nowgg: { paymentsApiKey: rotated, packageName: 'com.example.game2' } } }, { key: tenant.serverKey });
    expect(rotate.data?.updateStoreAccount).toMatchObject({ storeAccount: { settings: { appId: 'ngg-app-1', packageName: 'com.example.game2' } } });
    expect((await t.app.services.storeAccounts.config(tenant.appId, rawId)).secrets).toEqual({ paymentsApiKey: rotated, webhookApiKey: WEBHOOK_KEY });

    const clearUrl = await t.gql(UpdateStoreAccount, { input: { id: nowggId, apiBaseUrl: null } }, { key: tenant.serverKey });
    expect(clearUrl.data?.updateStoreAccount).toMatchObject({ storeAccount: { apiBaseUrl: null } });
  });

  it('refuse an update with another store’s fields, and unknown ids, with typed errors', async () => {
    const before = await t.app.db.prisma.storeAccount.findUniqueOrThrow({ where: { id: decodeGlobalID(nowggId).id } });
    const wrongStore = await t.gql(UpdateStoreAccount, { input: { id: nowggId, huya: { extSecret: 'x' } } }, { key: tenant.serverKey });
    expect(wrongStore.data?.updateStoreAccount).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'huya', message: 'this is a NOWGG account; give nowgg fields' }],
    });
    const after = await t.app.db.prisma.storeAccount.findUniqueOrThrow({ where: { id: decodeGlobalID(nowggId).id } });
    expect(after).toEqual(before);

    for (const raw of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const id = Buffer.from(`StoreAccount:${raw}`).toString('base64');
      const missing = await t.gql(UpdateStoreAccount, { input: { id, name: 'ghost' } }, { key: tenant.serverKey });
      expect(missing.data?.updateStoreAccount).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: 'Store account not found' });
    }
  });

  it('a renamed account may not take another account’s name', async () => {
    const other = await t.gql(CreateStoreAccount, { input: { name: 'second', environment: 'SANDBOX', nowgg: { paymentsApiKey: 'k2' } } }, { key: tenant.serverKey });
    if (other.data?.createStoreAccount.__typename !== 'StoreAccountPayload') throw new Error(JSON.stringify(other));
    const clash = await t.gql(UpdateStoreAccount, { input: { id: other.data.createStoreAccount.storeAccount.id, name: 'now.gg sandbox (renamed)' } }, { key: tenant.serverKey });
    expect(clash.data?.updateStoreAccount).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'name' }] });
  });
});

describe('the master key', () => {
  it('is generated into DATA_DIR with mode 0600 when absent, then reused', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'zd-key-')), 'nested');
    const first = loadMasterKey(undefined, dataDir);
    expect(first.generated).toBe(true);
    expect(first.key).toHaveLength(32);
    const file = join(dataDir, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first.key)).toBe(true);

    const second = loadMasterKey(undefined, dataDir);
    expect(second).toEqual({ key: first.key, generated: false });
  });

  it('comes from ZERODROP_MASTER_KEY when set, and a damaged key file is refused', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zd-key-'));
    const configured = randomBytes(32);
    expect(loadMasterKey(configured.toString('hex'), dataDir)).toEqual({ key: configured, generated: false });
    writeFileSync(join(dataDir, 'master.key'), 'short\n');
    expect(() => loadMasterKey(undefined, dataDir)).toThrow('does not hold a 32-byte key');
  });

  it('generated by one instance, unseals what it sealed in the next (a restart)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zd-key-'));
    const env = loadEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', REDIS_URL: process.env.REDIS_URL });
    const start = () => createApp({ env, stores: builtInStores, db: t.database.db, logger: createLogger('silent'), startWorker: false });
    const first = await start();
    const created = await first.services.apps.createApp({ name: 'restarts' }, 100);
    const account = await first.services.storeAccounts.create(created.app.id, {
      store: 'NOWGG',
      environment: 'SANDBOX',
      name: 'n',
      settings: {},
      secrets: { paymentsApiKey: PAYMENTS_KEY },
    });
    await first.close();
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

    const second = await start();
    expect((await second.services.storeAccounts.config(created.app.id, account.id)).secrets).toEqual({ paymentsApiKey: PAYMENTS_KEY });
    await second.close();
  });
});

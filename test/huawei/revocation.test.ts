// Certificate revocation through app.fetch: purchases and notifications signed by a revoked
// leaf or under a revoked intermediate are refused with nothing written; an unreachable CRL
// is handled per HUAWEI_CRL_POLICY (enforce by default, soft-fail, off). Three instances of
// ZeroDrop with different policies share one database; each fake has its own PKI and CRLs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { FakeHuawei } from '../helpers/fake-huawei.js';
import { createHuaweiAccount, createProduct, FinishPurchase, rowCounts, type HuaweiAccountIds } from './setup.js';

let database: TestDatabase;
const apps: Record<'enforce' | 'softFail' | 'off', TestApp> = {} as never;
let leafRevoked: FakeHuawei;
let intermediateRevoked: FakeHuawei;
let crlDown: FakeHuawei;

interface Shop {
  tenant: Tenant;
  account: HuaweiAccountIds;
}
/** One tenant per (instance, fake): a Huawei account trusting that fake's root, and its product. */
const shops = new Map<string, Shop>();

async function shop(policy: keyof typeof apps, fake: FakeHuawei): Promise<Shop> {
  const key = `${policy}/${fake.rootPem}`;
  const existing = shops.get(key);
  if (existing) return existing;
  const t = apps[policy];
  const tenant = await t.createTenant();
  const account = await createHuaweiAccount(t, tenant, fake, { withCredentials: false });
  await createProduct(t, tenant, { sku: 'gems_100', storeProductId: 'gems_100', type: 'CONSUMABLE', grantQuantity: 100 });
  const created = { tenant, account };
  shops.set(key, created);
  return created;
}

async function finish(policy: keyof typeof apps, fake: FakeHuawei) {
  const { tenant } = await shop(policy, fake);
  const { purchaseData } = await fake.signPurchase();
  const res = await apps[policy].gql(FinishPurchase, { input: { purchaseData, playerId: 'player-1' } }, { key: tenant.serverKey });
  return res.data?.finishPurchase;
}

async function notify(policy: keyof typeof apps, fake: FakeHuawei): Promise<Response> {
  const { account } = await shop(policy, fake);
  const { purchaseData } = await fake.signPurchase();
  const purchaseOrderId = String((JSON.parse(Buffer.from(String(JSON.parse(purchaseData).jwsPurchaseOrder).split('.')[1]!, 'base64url').toString()) as { purchaseOrderId: string }).purchaseOrderId);
  const notification = await fake.signNotification({ notificationType: 'REVOKE', notificationSubtype: 'REFUND_TRANSACTION', purchaseOrderId });
  return apps[policy].app.fetch(new Request(`http://zerodrop.test${account.webhookPath}`, { method: 'POST', body: notification.body }));
}

async function writesOf(action: () => Promise<unknown>) {
  const t = apps.enforce;
  const before = { ...(await rowCounts(t)), notifications: await t.app.db.prisma.storeNotification.count() };
  await action();
  const after = { ...(await rowCounts(t)), notifications: await t.app.db.prisma.storeNotification.count() };
  return Object.fromEntries(Object.entries(after).map(([name, count]) => [name, count - before[name as keyof typeof before]]));
}
const NOTHING = { orders: 0, entitlements: 0, events: 0, tasks: 0, notifications: 0 };

beforeAll(async () => {
  database = await createTestDatabase();
  [apps.enforce, apps.softFail, apps.off] = await Promise.all([
    createTestApp({}, { database }),
    createTestApp({ HUAWEI_CRL_POLICY: 'soft-fail' }, { database }),
    createTestApp({ HUAWEI_CRL_POLICY: 'off' }, { database }),
  ]);
  [leafRevoked, intermediateRevoked, crlDown] = await Promise.all([FakeHuawei.start(), FakeHuawei.start(), FakeHuawei.start()]);
  leafRevoked.revokeCertificate('leaf');
  intermediateRevoked.revokeCertificate('intermediate');
  crlDown.crl.fail('intermediate', 'reset');
});
afterAll(async () => {
  await Promise.all(Object.values(apps).map((t) => t.close()));
  await database.drop();
  await Promise.all([leafRevoked, intermediateRevoked, crlDown].map((fake) => fake.close()));
});

describe('HUAWEI_CRL_POLICY=enforce (the default)', () => {
  it('documents enforce as the default', () => {
    expect(apps.enforce.env.HUAWEI_CRL_POLICY).toBe('enforce');
  });

  it('refuses a purchase signed by a revoked leaf with CERTIFICATE_REVOKED and writes nothing', async () => {
    await shop('enforce', leafRevoked);
    let answer: Awaited<ReturnType<typeof finish>>;
    expect(await writesOf(async () => (answer = await finish('enforce', leafRevoked)))).toEqual(NOTHING);
    expect(answer).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'CERTIFICATE_REVOKED' });
  });

  it('refuses a purchase under a revoked intermediate and writes nothing', async () => {
    await shop('enforce', intermediateRevoked);
    let answer: Awaited<ReturnType<typeof finish>>;
    expect(await writesOf(async () => (answer = await finish('enforce', intermediateRevoked)))).toEqual(NOTHING);
    expect(answer).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'CERTIFICATE_REVOKED' });
    expect(answer && 'message' in answer ? answer.message : '').toContain('intermediate certificate');
  });

  it('answers 400 to a notification signed by a revoked leaf and records nothing', async () => {
    await shop('enforce', leafRevoked);
    let response: Response | undefined;
    expect(await writesOf(async () => (response = await notify('enforce', leafRevoked)))).toEqual(NOTHING);
    expect(response?.status).toBe(400);
    expect(await response?.json()).toMatchObject({ code: 'CERTIFICATE_REVOKED' });
  });

  it('refuses retryably (STORE_UNAVAILABLE) while a CRL cannot be fetched, answers 503 to notifications, and writes nothing', async () => {
    await shop('enforce', crlDown);
    let answer: Awaited<ReturnType<typeof finish>>;
    let response: Response | undefined;
    expect(
      await writesOf(async () => {
        answer = await finish('enforce', crlDown);
        response = await notify('enforce', crlDown);
      }),
    ).toEqual(NOTHING);
    expect(answer).toMatchObject({ __typename: 'StoreUnavailableError', code: 'STORE_UNAVAILABLE' });
    expect(response?.status).toBe(503);
  });
});

describe('HUAWEI_CRL_POLICY=soft-fail', () => {
  it('delivers while a CRL cannot be fetched', async () => {
    expect(await finish('softFail', crlDown)).toMatchObject({ __typename: 'HuaweiDelivery', order: { status: 'DELIVERED' } });
  });

  it('still refuses a revoked leaf when its CRL can be fetched', async () => {
    expect(await finish('softFail', leafRevoked)).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'CERTIFICATE_REVOKED' });
  });
});

describe('CRL downloads and the outbound guard', () => {
  it('never fetches a CRL from an internal address a tenant-trusted certificate names (OUTBOUND_ALLOW_PRIVATE=false)', async () => {
    // The sandbox account's root is the tenant's, so are its CRL URLs (here 127.0.0.1).
    const strict = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: 'false' }, { database });
    const fake = await FakeHuawei.start();
    try {
      const { tenant } = await shop('enforce', fake);
      const fetchesBefore = fake.crl.fetches('intermediate') + fake.crl.fetches('root');
      const { purchaseData } = await fake.signPurchase();
      const before = await rowCounts(strict);
      const res = await strict.gql(FinishPurchase, { input: { purchaseData, playerId: 'player-1' } }, { key: tenant.serverKey });
      expect(res.data?.finishPurchase).toMatchObject({ __typename: 'StoreUnavailableError', code: 'STORE_UNAVAILABLE' });
      expect(await rowCounts(strict)).toEqual(before);
      expect(fake.crl.fetches('intermediate') + fake.crl.fetches('root')).toBe(fetchesBefore);
    } finally {
      await strict.close();
      await fake.close();
    }
  });
});

describe('HUAWEI_CRL_POLICY=off', () => {
  it('checks no CRL: delivers with an unreachable CRL without trying it, and even under a revoked leaf', async () => {
    const before = crlDown.crl.fetches('intermediate') + crlDown.crl.fetches('root');
    expect(await finish('off', crlDown)).toMatchObject({ __typename: 'HuaweiDelivery' });
    expect(crlDown.crl.fetches('intermediate') + crlDown.crl.fetches('root')).toBe(before);
    expect(await finish('off', leafRevoked)).toMatchObject({ __typename: 'HuaweiDelivery' });
  });
});

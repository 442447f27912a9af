// `zerodrop sandbox` end to end against the real server process (src/main.ts on a fresh
// PGlite folder): the command provisions SANDBOX accounts and products, the simulators
// take payments, `zerodrop sandbox purchase` hands them to ZeroDrop, orders are granted
// and finished at the simulated stores. A second run reuses the accounts with a new test
// CA; PRODUCTION accounts never trust a simulator.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { zeroDropClient, type ZeroDropClient } from '../../src/sandbox/graphql-client.js';
import { PURCHASE_MUTATIONS, startSandbox, type RunningSandbox, type SandboxPurchaseResult, type SandboxState } from '../../src/sandbox/sandbox.js';
import { startServer, type RunningServer } from '../foundation/process.js';

const SERVER_START_MS = 180_000;

/** The output a CLI run printed. */
function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, output: { out: (text: string) => lines.push(text), err: (text: string) => errors.push(text) } };
}

const ORDER_STATUS = `query SandboxTestOrder($id: String!) { orders(first: 1, filter: { storeOrderId: $id }) { edges { node { status } } } }`;

describe('zerodrop sandbox against a running server', () => {
  let server: RunningServer;
  let serverKey: string;
  let api: ZeroDropClient;
  const dataDir = mkdtempSync(join(tmpdir(), 'zd-sandbox-cli-'));
  let firstState: SandboxState;

  beforeAll(async () => {
    server = await startServer(
      {
        DATA_DIR: mkdtempSync(join(tmpdir(), 'zd-sandbox-server-')),
        LOG_LEVEL: 'warn',
        WORKER_POLL_MS: '200',
        // as the README says to start it for the sandbox: store calls may reach this machine
        OUTBOUND_ALLOW_PRIVATE: 'true',
        // so that a PRODUCTION account can even be pointed at a simulator, and is shown to refuse it anyway
        ALLOW_PRODUCTION_API_BASE_URL: 'true',
      },
      SERVER_START_MS,
    );
    const banner = await server.waitForStdout(/server key\s+zd_sk_\S+/, 30_000);
    serverKey = /server key\s+(zd_sk_\S+)/.exec(banner)![1]!;
    api = zeroDropClient(server.baseUrl, serverKey);
  }, SERVER_START_MS + 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  const orderStatus = async (storeOrderId: string) =>
    (await api.request<{ orders: { edges: { node: { status: string } }[] } }>(ORDER_STATUS, { id: storeOrderId })).orders.edges[0]?.node.status;

  it('provisions SANDBOX accounts and products, and buys in each store through `sandbox purchase`', { timeout: 120_000 }, async () => {
    const env = { DATA_DIR: dataDir, ZERODROP_SERVER_KEY: serverKey, ZERODROP_URL: server.baseUrl };
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const foreground = capture();
    const { runSandboxCommand } = await import('../../src/sandbox/command.js');
    const running = runSandboxCommand([], env, foreground.output, () => stopped);

    const stateFile = join(dataDir, 'sandbox.json');
    await expect.poll(() => existsSync(stateFile), { timeout: 30_000 }).toBe(true);
    firstState = JSON.parse(readFileSync(stateFile, 'utf8')) as SandboxState;
    const printed = foreground.lines.join('\n');
    expect(printed).toContain('npx zerodrop sandbox purchase huawei');
    expect(printed).toContain(`${firstState.controlUrl}/huawei/purchases`);
    expect(printed).toContain('finishPurchase');
    expect(printed).not.toContain(serverKey); // the key is never printed or written
    expect(readFileSync(stateFile, 'utf8')).not.toContain(serverKey);

    const accounts = await api.request<{ storeAccounts: { edges: { node: { id: string; name: string; environment: string; hasTrustedRoots: boolean } }[] } }>(
      '{ storeAccounts(first: 10) { edges { node { id name environment hasTrustedRoots } } } }',
    );
    const byName = new Map(accounts.storeAccounts.edges.map((e) => [e.node.name, e.node]));
    for (const name of ['sandbox-huawei', 'sandbox-nowgg', 'sandbox-huya']) expect(byName.get(name)?.environment).toBe('SANDBOX');
    expect(byName.get('sandbox-huawei')?.hasTrustedRoots).toBe(true);

    const buy = async (store: string, player: string): Promise<SandboxPurchaseResult> => {
      const out = capture();
      expect(await runCli(['sandbox', 'purchase', store, '--player', player], env, out.output)).toBe(0);
      return JSON.parse(out.lines.join('\n')) as SandboxPurchaseResult;
    };

    const huawei = await buy('huawei', 'alice');
    expect(huawei.newlyDelivered).toBe(true);
    expect(huawei.order).toMatchObject({ store: 'HUAWEI', playerId: 'alice', product: { name: '100 gems (sandbox)' }, price: { amountMinor: '600', currency: 'CNY' } });
    // ZeroDrop confirms the delivery at the simulated Huawei server API (its worker, with the account's API key)
    await expect.poll(() => orderStatus(huawei.order.storeOrderId), { timeout: 30_000, interval: 250 }).toBe('FINISHED');

    const nowgg = await buy('nowgg', 'alice');
    expect(nowgg.order).toMatchObject({ store: 'NOWGG', playerId: 'alice', price: { amountMinor: '99', currency: 'USD' } });
    await expect.poll(() => orderStatus(nowgg.order.storeOrderId), { timeout: 30_000, interval: 250 }).toBe('FINISHED');

    const huya = await buy('huya', 'streamer-1');
    expect(huya.order).toMatchObject({ store: 'HUYA', playerId: 'streamer-1', product: { name: 'Skin, 30 days (sandbox)' } });

    const owned = await api.request<{ entitlements: { product: { name: string } }[] }>('{ entitlements(playerId: "alice") { product { name } } }');
    expect(owned.entitlements).toHaveLength(2);

    stop();
    expect(await running).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
    const afterStop = capture();
    expect(await runCli(['sandbox', 'purchase', 'huawei'], env, afterStop.output)).toBe(1);
    expect(afterStop.errors.join('\n')).toContain('No running sandbox');
  });

  describe('a second run', () => {
    let sandbox: RunningSandbox;
    let oldCaPurchase: string;

    beforeAll(async () => {
      // A PRODUCTION account that happens to share the sandbox's name is never touched.
      await api.request('mutation ($input: CreateStoreAccountInput!) { createStoreAccount(input: $input) { __typename } }', {
        input: { name: 'sandbox-huawei', environment: 'PRODUCTION', apiBaseUrl: 'https://iap.example.com/', huawei: { applicationId: '6917500000000000001' } },
      });
      sandbox = await startSandbox({ zerodropUrl: server.baseUrl, serverKey });
      // signed by a CA from an earlier run (the previous simulators are gone)
      const earlier = await import('../../src/sandbox/fakes/huawei.js').then(({ FakeHuawei }) => FakeHuawei.start({ environment: 'SANDBOX' }));
      oldCaPurchase = (await earlier.signPurchase({ productId: 'sandbox_gems_100' })).purchaseData;
      await earlier.close();
    }, 60_000);
    afterAll(async () => {
      await sandbox?.close();
    });

    it('reuses the SANDBOX accounts, trusting only the new test CA', async () => {
      expect(sandbox.state.accounts).toEqual(firstState.accounts);
      const refused = await api.request<{ finishPurchase: { __typename: string; code?: string } }>(PURCHASE_MUTATIONS.huawei, {
        input: { purchaseData: oldCaPurchase, playerId: 'bob', storeAccountId: sandbox.state.accounts.huawei.id },
      });
      expect(refused.finishPurchase.__typename).toBe('PurchaseVerificationError');
      const { sandboxPurchase } = await import('../../src/sandbox/sandbox.js');
      const bought = await sandboxPurchase(sandbox.state, serverKey, 'huawei', 'bob');
      expect(bought.order.playerId).toBe('bob');

      const production = await api.request<{ storeAccounts: { edges: { node: { name: string; environment: string; apiBaseUrl: string | null } }[] } }>(
        '{ storeAccounts(first: 10) { edges { node { name environment apiBaseUrl } } } }',
      );
      const untouched = production.storeAccounts.edges.find((e) => e.node.environment === 'PRODUCTION');
      expect(untouched?.node).toMatchObject({ name: 'sandbox-huawei', apiBaseUrl: 'https://iap.example.com/' });
    });

    it('a replayed purchase is granted once', async () => {
      const purchase = await sandbox.huawei.signPurchase({ productId: 'sandbox_gems_100' });
      const send = () =>
        api.request<{ finishPurchase: { __typename: string; newlyDelivered: boolean } }>(PURCHASE_MUTATIONS.huawei, {
          input: { purchaseData: purchase.purchaseData, playerId: 'carol', storeAccountId: sandbox.state.accounts.huawei.id },
        });
      expect((await send()).finishPurchase.newlyDelivered).toBe(true);
      expect((await send()).finishPurchase.newlyDelivered).toBe(false);
    });

    it('a PRODUCTION account never trusts a simulator', async () => {
      const create = (input: Record<string, unknown>) =>
        api.request<{ createStoreAccount: { __typename: string; storeAccount?: { id: string } } }>(
          'mutation ($input: CreateStoreAccountInput!) { createStoreAccount(input: $input) { __typename ... on StoreAccountPayload { storeAccount { id } } } }',
          { input },
        );
      // Huawei: the simulator's CA cannot be registered for PRODUCTION…
      const withRoot = await create({
        name: 'live huawei with test root',
        environment: 'PRODUCTION',
        trustedRootsPem: sandbox.huawei.rootPem,
        huawei: { applicationId: sandbox.huawei.applicationId },
      });
      expect(withRoot.createStoreAccount.__typename).toBe('ValidationError');
      // …and a PRODUCTION account pointed at the simulator's server API still refuses its purchases.
      const huawei = await create({ name: 'live huawei', environment: 'PRODUCTION', apiBaseUrl: sandbox.huawei.baseUrl, huawei: { applicationId: sandbox.huawei.applicationId } });
      const signed = await sandbox.huawei.signPurchase({ productId: 'sandbox_gems_100' });
      const refused = await api.request<{ finishPurchase: { __typename: string } }>(PURCHASE_MUTATIONS.huawei, {
        input: { purchaseData: signed.purchaseData, playerId: 'mallory', storeAccountId: huawei.createStoreAccount.storeAccount!.id },
      });
      expect(refused.finishPurchase.__typename).toBe('PurchaseVerificationError');

      // now.gg: a PRODUCTION account on the simulator, with its key, refuses the simulator's (test) orders.
      const nowgg = await create({
        name: 'live nowgg',
        environment: 'PRODUCTION',
        apiBaseUrl: sandbox.nowgg.baseUrl,
        nowgg: { appId: 'zerodrop-sandbox', packageName: 'dev.zerodrop.sandbox', paymentsApiKey: sandbox.nowgg.paymentsApiKey },
      });
      const simulated = (await (await fetch(`${sandbox.state.controlUrl}/nowgg/purchases`, { method: 'POST' })).json()) as { purchaseToken: string; productId: string };
      const consumed = await api.request<{ consumePurchase: { __typename: string; code?: string } }>(PURCHASE_MUTATIONS.nowgg, {
        input: { purchaseToken: simulated.purchaseToken, productId: simulated.productId, playerId: 'mallory', storeAccountId: nowgg.createStoreAccount.storeAccount!.id },
      });
      expect(consumed.consumePurchase).toMatchObject({ __typename: 'PurchaseVerificationError', code: 'WRONG_ENVIRONMENT' });
      const mallory = await api.request<{ orders: { edges: unknown[] } }>('{ orders(first: 5, filter: { playerId: "mallory" }) { edges { node { id } } } }');
      expect(mallory.orders.edges).toEqual([]);
    });
  });
});

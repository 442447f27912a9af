// `zerodrop sandbox` and `zerodrop sandbox purchase <store>` (see sandbox.ts).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PURCHASE_MUTATIONS, SANDBOX_PRODUCTS, SANDBOX_STORES, sandboxPurchase, startSandbox, type SandboxState, type SandboxStore } from './sandbox.js';

export const sandboxUsage = `Usage:
  zerodrop sandbox [--url http://localhost:4000] [--key zd_sk_…] [--port 4100]
      starts the Huawei, now.gg and Huya simulators for the app of the server key and
      points its SANDBOX store accounts at them; runs until Ctrl-C
  zerodrop sandbox purchase huawei|nowgg|huya [--player <id>]
      makes a paid purchase in a simulator and hands it to ZeroDrop, as a game server would

The server key comes from --key or ZERODROP_SERVER_KEY (the demo app's key is printed by
the first \`npm start\`). The running sandbox writes DATA_DIR/sandbox.json (no secrets) for
\`sandbox purchase\`.`;

interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Where the simulators' control API listens unless --port says otherwise (a free one if taken). */
const DEFAULT_CONTROL_PORT = 4100;

const stateFile = (source: Record<string, string | undefined>) => join(source.DATA_DIR || '.data', 'sandbox.json');

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

export async function runSandboxCommand(
  argv: string[],
  source: Record<string, string | undefined>,
  output: Output,
  untilStopped: () => Promise<void> = untilSignal,
): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      port: { type: 'string' },
      player: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    output.out(sandboxUsage);
    return 0;
  }
  const serverKey = values.key ?? source.ZERODROP_SERVER_KEY;
  if (!serverKey?.startsWith('zd_sk_')) {
    output.err(`The sandbox needs the app's server key: --key zd_sk_… or ZERODROP_SERVER_KEY=zd_sk_…\n\n${sandboxUsage}`);
    return 1;
  }

  if (positionals[0] === 'purchase') {
    const store = positionals[1] as SandboxStore | undefined;
    if (!store || !SANDBOX_STORES.includes(store)) {
      output.err(`sandbox purchase needs a store: ${SANDBOX_STORES.join(', ')}`);
      return 1;
    }
    let state: SandboxState;
    try {
      state = JSON.parse(readFileSync(stateFile(source), 'utf8')) as SandboxState;
    } catch {
      output.err(`No running sandbox found (${stateFile(source)}); start one with \`npx zerodrop sandbox\` in another terminal.`);
      return 1;
    }
    const result = await sandboxPurchase(state, serverKey, store, values.player ?? 'sandbox-player');
    output.out(JSON.stringify(result, null, 2));
    return 0;
  }
  if (positionals.length) {
    output.err(`unknown sandbox command ${positionals.join(' ')}\n\n${sandboxUsage}`);
    return 1;
  }

  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) {
    output.err(`--port must be a TCP port number, not "${values.port}"`);
    return 1;
  }
  const zerodropUrl = values.url ?? source.ZERODROP_URL ?? `http://localhost:${source.PORT || 4000}`;
  const sandbox = await startSandbox({ zerodropUrl, serverKey, controlPort: values.port ? Number(values.port) : DEFAULT_CONTROL_PORT });
  const file = stateFile(source);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(sandbox.state, null, 2)}\n`);
  output.out(instructions(sandbox.state));
  try {
    await untilStopped();
  } finally {
    rmSync(file, { force: true });
    await sandbox.close();
  }
  return 0;
}

function curlGraphql(state: SandboxState, query: string, variables: Record<string, unknown>): string {
  const body = JSON.stringify({ query: query.replace(/\s+/g, ' '), variables }).replaceAll("'", "'\\''");
  return `curl -s ${state.zerodropUrl}/graphql -H 'content-type: application/json' \\\n    -H "authorization: Bearer $ZERODROP_SERVER_KEY" \\\n    -d '${body}'`;
}

/** What the developer sees: the accounts, then a purchase per store three ways. */
export function instructions(state: SandboxState): string {
  const control = state.controlUrl;
  return `
  ZeroDrop sandbox running for app "${state.appName}" at ${state.zerodropUrl}
  Simulators: Huawei IAP (own test CA, server API), now.gg Payments API, Huya callbacks.
  SANDBOX store accounts: sandbox-huawei ${state.accounts.huawei.id}
                          sandbox-nowgg  ${state.accounts.nowgg.id}
                          sandbox-huya   ${state.accounts.huya.id}
  Products: ${SANDBOX_PRODUCTS.huawei.sku} (Huawei, now.gg), ${SANDBOX_PRODUCTS.huya.sku} (Huya goods ${SANDBOX_PRODUCTS.huya.storeProductId})

  Watch orders arrive: ${state.zerodropUrl}/dashboard (paste the server key)

  Buy something, the quick way (in another terminal, with ZERODROP_SERVER_KEY set):
    npx zerodrop sandbox purchase huawei --player alice
    npx zerodrop sandbox purchase nowgg --player alice
    npx zerodrop sandbox purchase huya --player streamer-1

  Or step by step, as your game and server would:
  Huawei: 1. the device pays (the simulator signs a purchase like IAP Kit):
    curl -s -X POST ${control}/huawei/purchases -d '{"playerId":"alice"}'
          2. your server hands purchaseData to ZeroDrop:
    ${curlGraphql(state, PURCHASE_MUTATIONS.huawei, { input: { purchaseData: '<purchaseData from step 1>', playerId: 'alice', storeAccountId: state.accounts.huawei.id } })}
  now.gg: 1. curl -s -X POST ${control}/nowgg/purchases
          2. ${curlGraphql(state, PURCHASE_MUTATIONS.nowgg, { input: { purchaseToken: '<purchaseToken from step 1>', productId: SANDBOX_PRODUCTS.nowgg.storeProductId, playerId: 'alice', storeAccountId: state.accounts.nowgg.id } })}
  Huya:   the simulator sends Huya's signed payment callback to ZeroDrop itself:
    curl -s -X POST ${control}/huya/purchases -d '{"profileId":"streamer-1"}'

  Ctrl-C stops the simulators (the accounts stay; the next run points them at new ones).
`;
}

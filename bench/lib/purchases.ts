// Pre-signed Huawei purchases, so signing is never part of a measurement: the fake
// Huawei signs with its real test PKI (root → intermediate → leaf with Huawei's OID),
// exactly as the flow tests do, and the lines go to a file the load generator reads.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { FakeHuawei } from '../../test/helpers/fake-huawei.js';

export const BENCH_PRODUCT_ID = 'gems_100';
/** Purchases are spread over this many players (one player per purchase would be unusual; one player for all, too). */
const PLAYERS = 1000;

export interface PurchaseSigner {
  readonly applicationId: string;
  readonly rootPem: string;
  /** Writes `count` new purchases as JSON lines `{"purchaseData": …, "playerId": …}`; returns the path. */
  writePool(path: string, count: number): Promise<string>;
  close(): Promise<void>;
}

export async function startPurchaseSigner(): Promise<PurchaseSigner> {
  const fake = await FakeHuawei.start();
  let serial = 0;
  return {
    applicationId: fake.applicationId,
    rootPem: fake.rootPem,
    writePool: async (path, count) => {
      const out = createWriteStream(path);
      for (let i = 0; i < count; i++) {
        serial += 1;
        const { purchaseData } = await fake.signPurchase({ productId: BENCH_PRODUCT_ID });
        const line = JSON.stringify({ purchaseData, playerId: `player-${serial % PLAYERS}` }) + '\n';
        if (!out.write(line)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      return path;
    },
    close: () => fake.close(),
  };
}

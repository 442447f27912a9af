// Run: ZERODROP_URL=http://localhost:4000/graphql ZERODROP_CLIENT_KEY=zd_pk_… ZERODROP_PLAYER_TOKEN=… \
//      PURCHASE_DATA='{"jwsPurchaseOrder":"…"}' npx tsx examples/typescript-client/src/main.ts
// A Node process has no HarmonyOS SDK: the store finish is printed for the device to do.
import { ZeroDropClient } from './client.js';
import { buyAndWatch } from './purchase-loop.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
};

const client = new ZeroDropClient({
  url: required('ZERODROP_URL'),
  clientKey: required('ZERODROP_CLIENT_KEY'),
  playerToken: required('ZERODROP_PLAYER_TOKEN'),
});
try {
  const result = await buyAndWatch({
    client,
    purchaseData: required('PURCHASE_DATA'),
    finishWithStore: async (params) => console.log('device: iap.finishPurchase(context,', JSON.stringify(params), ')'),
  });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await client.close();
}

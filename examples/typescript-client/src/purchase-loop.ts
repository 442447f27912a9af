// The zero-drop loop for a Huawei purchase, as a HarmonyOS client runs it (docs/clients/harmonyos.md):
// watch entitlementChanged from a cursor → finishPurchase(purchaseData) → the store SDK's
// finish (iap.finishPurchase) when asked → confirmClientFinish → the entitlement arrives live.
import type { ResultOf } from '@graphql-typed-document-node/core';
import { ZeroDropClient, ZeroDropError } from './client.js';
import { ConfirmClientFinish, EntitlementChanged, Entitlements, FinishPurchase, SyncPurchases } from './documents.js';

type Change = ResultOf<typeof EntitlementChanged>['entitlementChanged'];
export type FinishParams = { productType: number; purchaseToken: string; purchaseOrderId: string };

export interface LoopOptions {
  client: ZeroDropClient;
  /** CreatePurchaseResult.purchaseData from iap.createPurchase (or miniGamePay). */
  purchaseData: string;
  /** The device's iap.finishPurchase(finishParams); called only when ZeroDrop asks for it. */
  finishWithStore: (params: FinishParams) => Promise<void>;
  /** How long to wait for the live entitlementChanged event. */
  timeoutMs?: number;
}

export interface LoopResult {
  orderId: string;
  newlyDelivered: boolean;
  finishedByClient: boolean;
  /** The entitlementChanged event that announced this order. */
  change: Change;
}

export async function buyAndWatch({ client, purchaseData, finishWithStore, timeoutMs = 10_000 }: LoopOptions): Promise<LoopResult> {
  // 1. Read the cursor with the current state, then subscribe after it: nothing committed in between is missed.
  const { latestOrderEventId } = await client.request(Entitlements, {});
  const changes: Change[] = [];
  const waiters: Array<() => void> = [];
  let failure: unknown = null;
  const stop = client.subscribe(
    EntitlementChanged,
    { after: latestOrderEventId },
    (data) => {
      changes.push(data.entitlementChanged);
      waiters.splice(0).forEach((wake) => wake());
    },
    (error) => {
      failure = error;
      waiters.splice(0).forEach((wake) => wake());
    },
  );
  try {
    // 2. Hand the proof to ZeroDrop: verified, granted once.
    const { finishPurchase: answer } = await client.request(FinishPurchase, { input: { purchaseData } });
    if (answer.__typename !== 'HuaweiDelivery') {
      throw new ZeroDropError(`${answer.__typename}: ${'message' in answer ? answer.message : ''}`);
    }
    // 3. Finish with the store when ZeroDrop says so, then report it.
    if (answer.needsClientFinish) {
      await finishWithStore(answer.finishParams);
      await client.request(ConfirmClientFinish, { input: { orderId: answer.order.id } });
    }
    // 4. The grant arrives on the subscription.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const change = changes.find((candidate) => candidate.order?.id === answer.order.id);
      if (change) return { orderId: answer.order.id, newlyDelivered: answer.newlyDelivered, finishedByClient: answer.needsClientFinish, change };
      if (failure) throw new ZeroDropError(`entitlementChanged failed: ${JSON.stringify(failure)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new ZeroDropError('no entitlementChanged event for the order');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, left);
      });
    }
  } finally {
    stop();
  }
}

/** At every start: what iap.queryPurchases still lists goes to syncPurchases; finish what it asks. */
export async function recoverAtStart(client: ZeroDropClient, purchaseDataList: string[], finishWithStore: LoopOptions['finishWithStore']) {
  const { syncPurchases: answer } = await client.request(SyncPurchases, { input: { purchaseDataList } });
  if (answer.__typename !== 'SyncPurchasesPayload') throw new ZeroDropError(`${answer.__typename}: ${'message' in answer ? answer.message : ''}`);
  for (const item of answer.items) {
    if (item.order && item.needsClientFinish && item.finishParams) {
      await finishWithStore(item.finishParams);
      await client.request(ConfirmClientFinish, { input: { orderId: item.order.id } });
    }
  }
  return answer.items;
}

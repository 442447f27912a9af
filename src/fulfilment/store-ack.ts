// The store-acknowledgement task: confirms (Huawei), consumes (now.gg) or otherwise
// finishes a delivered order at its store, retried with backoff until the store says
// done or "already done" (DESIGN invariant 3). Which store, and how, is the store module's.
import type { PrismaClient } from '../platform/db.js';
import { failpoint } from '../platform/failpoints.js';
import type { StoreCatalog } from '../providers/catalog.js';
import type { StoreAccountsService } from '../services/store-accounts.js';
import type { Fulfilment } from './fulfilment.js';
import type { TaskKindOptions } from './tasks.js';

export function storeAckTaskKind(deps: {
  prisma: PrismaClient;
  catalog: StoreCatalog;
  storeAccounts: StoreAccountsService;
  fulfilment: Fulfilment;
  baseDelayMs?: number | undefined;
}): TaskKindOptions {
  const { prisma, catalog, storeAccounts, fulfilment } = deps;
  return {
    baseDelayMs: deps.baseDelayMs ?? 2_000,
    capDelayMs: 15 * 60_000,
    handler: async (task) => {
      const { orderId } = task.payload as { orderId: string };
      const order = await prisma.order.findUnique({ where: { id: orderId } });
      if (!order || order.status !== 'DELIVERED') return; // finished, revoked or gone: nothing to acknowledge
      const account = await storeAccounts.config(order.appId, order.storeAccountId);
      const store = catalog.get(order.store);
      if (!store.acknowledge) return;
      try {
        await store.acknowledge(account, {
          orderId: order.id,
          storeOrderId: order.storeOrderId,
          storeProductId: order.storeProductId,
          productType: order.productType,
          purchaseToken: order.purchaseToken,
          payload: order.verifiedPayload as Record<string, unknown>,
        });
      } catch (err) {
        await fulfilment
          .recordAckFailure(order.id, task.attempts, err instanceof Error ? err.message : String(err))
          .catch(() => {});
        throw err;
      }
      failpoint('after-store-ack-before-record');
      await fulfilment.markFinished(order.id, 'SERVER');
    },
  };
}

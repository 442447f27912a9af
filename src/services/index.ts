import type { PrismaClient } from '../db.js';
import type { Env } from '../env.js';
import type { SecretBox } from '../crypto.js';
import type { Authenticator } from '../auth.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import type { Logger } from '../logger.js';
import type { PubSub } from '../pubsub.js';
import { AppsService } from './apps.js';
import { StoreAccountsService } from './store-accounts.js';
import { ProductsService } from './products.js';
import { ReadModel } from './read-model.js';
import { OrdersService } from './orders.js';
import { createHuaweiService } from './huawei.js';
import { createNowggService } from './nowgg.js';
import { createHuyaService } from './huya.js';
import { OrderEventFeeds } from './order-events.js';
import { OrderTotalsService } from './order-totals.js';
import { WebhooksService } from './webhooks.js';

export interface ServiceDeps {
  env: Env;
  prisma: PrismaClient;
  box: SecretBox;
  auth: Authenticator;
  fulfilment: Fulfilment;
  pubsub: PubSub;
  logger: Logger;
  /** Tells every instance a key was revoked (ends its sockets and streams, drops cached lookups). */
  announceRevocation?: (key: { id: string; hash: string }) => void;
}

export function createServices(deps: ServiceDeps) {
  const { prisma, box, auth, fulfilment, env } = deps;
  const storeAccounts = new StoreAccountsService(prisma, box);
  return {
    env,
    auth,
    fulfilment,
    apps: new AppsService(prisma, box, auth, deps.announceRevocation),
    storeAccounts,
    products: new ProductsService(prisma, fulfilment),
    read: new ReadModel(prisma),
    orders: new OrdersService(prisma, fulfilment),
    huawei: createHuaweiService(deps, storeAccounts),
    nowgg: createNowggService(deps, storeAccounts),
    huya: createHuyaService(deps, storeAccounts),
    orderEvents: new OrderEventFeeds({ prisma, pubsub: deps.pubsub, logger: deps.logger }),
    orderTotals: new OrderTotalsService(prisma),
    webhooks: new WebhooksService({ prisma, box, fulfilment, logger: deps.logger, relayPollMs: env.WORKER_POLL_MS }),
  };
}

export type Services = ReturnType<typeof createServices>;

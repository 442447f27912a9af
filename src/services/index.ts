import type { PrismaClient } from '../platform/db.js';
import type { Env } from '../platform/env.js';
import type { SecretBox } from '../platform/crypto.js';
import type { Authenticator } from '../auth.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import type { Logger } from '../platform/logger.js';
import type { PubSub } from '../platform/pubsub.js';
import { AppsService } from './apps.js';
import { StoreAccountsService } from './store-accounts.js';
import { ProductsService } from './products.js';
import { ReadModel } from './read-model.js';
import { OrdersService } from './orders.js';
import { createHuaweiService } from '../providers/huawei/flows.js';
import { createNowggService } from '../providers/nowgg/flows.js';
import { createHuyaService } from '../providers/huya/flows.js';
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
}

export function createServices(deps: ServiceDeps) {
  const { prisma, box, auth, fulfilment, env } = deps;
  const storeAccounts = new StoreAccountsService(prisma, box);
  return {
    env,
    auth,
    fulfilment,
    apps: new AppsService(prisma, box, auth),
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

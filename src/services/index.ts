import type { PrismaClient } from '../platform/db.js';
import type { Env } from '../platform/env.js';
import type { SecretBox } from '../platform/crypto.js';
import type { Authenticator } from '../auth.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import type { Logger } from '../platform/logger.js';
import type { PubSub } from '../platform/pubsub.js';
import { AppsService } from './apps.js';
import type { StoreAccountsService } from './store-accounts.js';
import { ProductsService } from './products.js';
import { ReadModel } from './read-model.js';
import { OrdersService } from './orders.js';
import { StoreFlows, type StoreCatalog } from '../providers/catalog.js';
import { OrderEventFeeds } from './order-events.js';
import { OrderTotalsService } from './order-totals.js';
import { WebhooksService } from './webhooks.js';
import type { OutboundGuard } from '../platform/outbound-url.js';

export interface ServiceDeps {
  env: Env;
  prisma: PrismaClient;
  box: SecretBox;
  auth: Authenticator;
  fulfilment: Fulfilment;
  pubsub: PubSub;
  logger: Logger;
  catalog: StoreCatalog;
  storeAccounts: StoreAccountsService;
  /** The gate for requests to tenant-chosen URLs. */
  outbound: OutboundGuard;
}

export function createServices(deps: ServiceDeps) {
  const { prisma, box, auth, fulfilment, env, outbound } = deps;
  const { storeAccounts } = deps;
  return {
    env,
    auth,
    fulfilment,
    apps: new AppsService(prisma, box, auth, outbound),
    storeAccounts,
    products: new ProductsService(prisma, fulfilment, deps.catalog),
    read: new ReadModel(prisma),
    orders: new OrdersService(prisma, fulfilment),
    /** Each store module's flows (see providers/contract.ts). */
    stores: new StoreFlows(deps.catalog, { env, prisma, fulfilment, storeAccounts, pubsub: deps.pubsub, logger: deps.logger }),
    orderEvents: new OrderEventFeeds({ prisma, pubsub: deps.pubsub, logger: deps.logger }),
    orderTotals: new OrderTotalsService(prisma),
    webhooks: new WebhooksService({
      prisma,
      box,
      fulfilment,
      logger: deps.logger,
      relayPollMs: env.WORKER_POLL_MS,
      outbound,
      maxEndpointsPerApp: env.WEBHOOK_ENDPOINTS_PER_APP,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;

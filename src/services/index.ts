import type { PrismaClient } from '../db.js';
import type { Env } from '../env.js';
import type { SecretBox } from '../crypto.js';
import type { Authenticator } from '../auth.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import { AppsService } from './apps.js';
import { StoreAccountsService } from './store-accounts.js';
import { ProductsService } from './products.js';
import { ReadModel } from './read-model.js';
import { OrdersService } from './orders.js';
import { createHuaweiService } from './huawei.js';
import { createNowggService } from './nowgg.js';
import { createHuyaService } from './huya.js';

export interface ServiceDeps {
  env: Env;
  prisma: PrismaClient;
  box: SecretBox;
  auth: Authenticator;
  fulfilment: Fulfilment;
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
  };
}

export type Services = ReturnType<typeof createServices>;

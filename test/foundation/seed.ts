// Data for the foundation tests, written through the services and the fulfilment core
// (the same paths the store integrations use), so no test depends on a store fake.
import { randomBytes } from 'node:crypto';
import type { Order, Product, StoreAccount } from '../../src/generated/prisma/client.js';
import type { TestApp } from '../helpers/app.js';

export interface Catalogue {
  account: StoreAccount;
  product: Product;
}

/** A now.gg sandbox account and one consumable product for `appId`. */
export async function seedCatalogue(t: TestApp, appId: string, sku = 'gems_100'): Promise<Catalogue> {
  const account = await t.app.services.storeAccounts.create(appId, {
    store: 'NOWGG',
    environment: 'SANDBOX',
    name: `sandbox ${randomBytes(3).toString('hex')}`,
    settings: {},
    secrets: { paymentsApiKey: `nowgg-payments-${randomBytes(8).toString('hex')}` },
  });
  const product = await t.app.services.products.create(appId, {
    store: 'NOWGG',
    sku,
    storeProductId: `${sku}.store`,
    type: 'CONSUMABLE',
    name: sku,
  });
  return { account, product };
}

/**
 * A verified purchase by `playerId` through the catalogue's account: of its product (delivered,
 * to be finished by the client), or of `storeProductId` (awaiting a product when unknown).
 */
export async function seedOrder(t: TestApp, catalogue: Catalogue, playerId: string, storeProductId = catalogue.product.storeProductId): Promise<Order> {
  const { order } = await t.app.services.fulfilment.recordPurchase({
    account: { id: catalogue.account.id, appId: catalogue.account.appId, store: 'NOWGG' },
    playerId,
    purchase: {
      storeOrderId: `GPA.${randomBytes(6).toString('hex')}`,
      storeProductId,
      productType: 'CONSUMABLE',
      quantity: 1,
      amountMinor: 199n,
      currency: 'USD',
      purchaseToken: `token-${randomBytes(6).toString('hex')}`,
      purchasedAt: new Date(),
      expiresAt: null,
      environment: 'SANDBOX',
      revocation: null,
      finishMode: 'CLIENT',
      finishParams: { purchaseToken: 'for-the-sdk' },
      payload: { source: 'foundation test' },
    },
  });
  return order;
}

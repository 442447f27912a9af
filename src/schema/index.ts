// Builds the GraphQL schema from the store-agnostic types and the store modules given.
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import type { StoreModule } from '../providers/contract.js';
import { createBuilder } from './builder.js';
import { registerScalars } from './scalars.js';
import { registerErrors } from './errors.js';
import { registerApp } from './app.js';
import { registerApiKeys } from './api-key.js';
import { registerStoreAccounts, type StoreAccountRefs } from './store-account.js';
import { registerProducts, type ProductRefs } from './product.js';
import { registerOrders, type OrderRefs } from './order.js';
import { registerEntitlements } from './entitlement.js';
import { registerOrderEvents, type OrderEventRefs } from './order-event.js';
import { registerOrderTotals } from './order-totals.js';
import { registerWebhookEndpoints } from './webhook-endpoint.js';

/** The store-agnostic types a store's GraphQL may refer to. */
export type CoreRefs = StoreAccountRefs & ProductRefs & OrderRefs & OrderEventRefs;

export function buildSchema(stores: readonly StoreModule[]): GraphQLSchema {
  const builder = createBuilder();
  registerScalars(builder);
  registerErrors(builder);
  registerApp(builder);
  registerApiKeys(builder);
  const storeAccountRefs = registerStoreAccounts(builder, stores);
  const productRefs = registerProducts(builder, storeAccountRefs);
  const orderRefs = registerOrders(builder, { ...storeAccountRefs, ...productRefs });
  registerEntitlements(builder);
  const orderEventRefs = registerOrderEvents(builder);
  registerOrderTotals(builder, storeAccountRefs);
  registerWebhookEndpoints(builder, orderEventRefs);
  const refs: CoreRefs = { ...storeAccountRefs, ...productRefs, ...orderRefs, ...orderEventRefs };
  for (const store of stores) {
    store.graphql?.({ builder, refs, flows: (ctx) => ctx.services.stores.flowsOf(store) });
  }
  builder.queryType({});
  builder.mutationType({});
  builder.subscriptionType({});
  return lexicographicSortSchema(builder.toSchema());
}

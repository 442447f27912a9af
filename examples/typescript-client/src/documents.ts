// The operations this client sends. `npm run codegen` turns each into a typed document
// (examples/typescript-client/gql/, generated from the committed schema.graphql), so a
// field that the schema drops or renames breaks the build, not the player.
import { graphql } from '../gql/index.js';

export const Entitlements = graphql(`
  query ExampleEntitlements {
    latestOrderEventId
    entitlements { id kind quantity active expiresAt product { sku } order { id storeOrderId } }
  }
`);

export const EntitlementChanged = graphql(`
  subscription ExampleEntitlementChanged($after: ID) {
    entitlementChanged(after: $after) {
      id
      type
      playerId
      order { id storeOrderId status }
      entitlements { id kind quantity active product { sku } }
    }
  }
`);

export const FinishPurchase = graphql(`
  mutation ExampleFinishPurchase($input: FinishPurchaseInput!) {
    finishPurchase(input: $input) {
      __typename
      ... on HuaweiDelivery {
        newlyDelivered
        needsClientFinish
        finishParams { productType purchaseToken purchaseOrderId }
        order { id status storeOrderId }
      }
      ... on Error { code message retryable }
    }
  }
`);

export const SyncPurchases = graphql(`
  mutation ExampleSyncPurchases($input: SyncPurchasesInput!) {
    syncPurchases(input: $input) {
      __typename
      ... on SyncPurchasesPayload {
        items {
          index
          newlyDelivered
          needsClientFinish
          finishParams { productType purchaseToken purchaseOrderId }
          order { id status storeOrderId }
          error { code message retryable }
        }
      }
      ... on Error { code message retryable }
    }
  }
`);

export const ConfirmClientFinish = graphql(`
  mutation ExampleConfirmClientFinish($input: ConfirmClientFinishInput!) {
    confirmClientFinish(input: $input) {
      __typename
      ... on ConfirmClientFinishPayload { order { id status } }
      ... on Error { code message }
    }
  }
`);

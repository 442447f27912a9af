// GraphQL documents of the live-delivery tests (typed by codegen).
import { graphql } from '../gql/index.js';

export const OrderEvents = graphql(`
  subscription LiveOrderEvents($after: ID, $filter: OrderEventFilter) {
    orderEvents(after: $after, filter: $filter) {
      id
      type
      playerId
      data
      createdAt
      order { id storeOrderId status playerId price { amountMinor currency } entitlements { id quantity } }
    }
  }
`);

export const EntitlementChanged = graphql(`
  subscription LiveEntitlementChanged($playerId: String, $after: ID) {
    entitlementChanged(playerId: $playerId, after: $after) {
      id
      type
      playerId
      order { storeOrderId status }
      entitlements { kind quantity revokedAt active }
    }
  }
`);

export const LatestOrderEventId = graphql(`
  query LiveLatestOrderEventId { latestOrderEventId }
`);

export const OrderTotals = graphql(`
  query LiveOrderTotals($days: Int, $timeZone: String) {
    orderTotals(days: $days, timeZone: $timeZone) {
      __typename
      ... on OrderTotalsReport { timeZone rows { day store currency orders delivered awaitingFinish awaitingProduct revoked amountMinor refunds refundedAmountMinor } }
      ... on ValidationError { code message }
    }
  }
`);

export const OrdersByStoreOrderId = graphql(`
  query LiveOrdersByStoreOrderId($storeOrderId: String!) {
    orders(first: 10, filter: { storeOrderId: $storeOrderId }) { edges { node { id storeOrderId playerId status product { name } } } }
  }
`);

export const CreateWebhookEndpoint = graphql(`
  mutation LiveCreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpointSecretPayload { secret endpoint { endpoint { id url eventTypes enabled } } }
      ... on ValidationError { code message fieldErrors { path message } }
    }
  }
`);

export const UpdateWebhookEndpoint = graphql(`
  mutation LiveUpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpointPayload { endpoint { id url eventTypes enabled } }
      ... on Error { code message }
    }
  }
`);

export const DeleteWebhookEndpoint = graphql(`
  mutation LiveDeleteWebhookEndpoint($input: WebhookEndpointIdInput!) {
    deleteWebhookEndpoint(input: $input) {
      __typename
      ... on DeleteWebhookEndpointPayload { deletedId }
      ... on Error { code message }
    }
  }
`);

export const RotateWebhookSecret = graphql(`
  mutation LiveRotateWebhookSecret($input: WebhookEndpointIdInput!) {
    rotateWebhookEndpointSecret(input: $input) {
      __typename
      ... on WebhookEndpointSecretPayload { secret }
      ... on Error { code message }
    }
  }
`);

export const WebhookDeliveries = graphql(`
  query LiveWebhookDeliveries($filter: WebhookDeliveryFilter, $first: Int) {
    webhookDeliveries(filter: $filter, first: $first) {
      edges {
        node {
          id
          status
          attempts
          lastError
          lastResponseStatus
          nextAttemptAt
          deliveredAt
          endpoint { id }
          event { id type order { storeOrderId } }
          attemptLog { attempt ok error }
        }
      }
    }
  }
`);

export const ResendWebhookDelivery = graphql(`
  mutation LiveResendWebhookDelivery($input: ResendWebhookDeliveryInput!) {
    resendWebhookDelivery(input: $input) {
      __typename
      ... on WebhookDeliveryPayload { delivery { id status } }
      ... on Error { code message }
    }
  }
`);

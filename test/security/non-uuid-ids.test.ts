// Issue 13 item 7: an id that is not a UUID (raw, or a global id wrapping one) anywhere in
// the API is a typed refusal or null, never a masked database error — on PostgreSQL a
// uuid column would otherwise raise "invalid input syntax for type uuid".
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('non-uuid');
});
afterAll(async () => t.close());

/** Every input id field of a mutation, with the other required fields it needs. */
const mutations: Array<[field: string, inputType: string, input: (id: string) => Record<string, unknown>]> = [
  ['confirmClientFinish', 'ConfirmClientFinishInput', (id) => ({ orderId: id })],
  ['reconcileHuaweiOrder', 'ReconcileHuaweiOrderInput', (id) => ({ orderId: id })],
  ['resendWebhookDelivery', 'ResendWebhookDeliveryInput', (id) => ({ deliveryId: id })],
  ['revokeApiKey', 'RevokeApiKeyInput', (id) => ({ id })],
  ['deleteProduct', 'DeleteProductInput', (id) => ({ id })],
  ['updateProduct', 'UpdateProductInput', (id) => ({ id })],
  ['updateStoreAccount', 'UpdateStoreAccountInput', (id) => ({ id })],
  ['updateWebhookEndpoint', 'UpdateWebhookEndpointInput', (id) => ({ id })],
  ['deleteWebhookEndpoint', 'WebhookEndpointIdInput', (id) => ({ id })],
  ['rotateWebhookEndpointSecret', 'WebhookEndpointIdInput', (id) => ({ id })],
  ['finishPurchase', 'FinishPurchaseInput', (id) => ({ storeAccountId: id, purchaseData: '{}', playerId: 'p1' })],
  ['consumePurchase', 'ConsumePurchaseInput', (id) => ({ storeAccountId: id, productId: 'x', purchaseToken: 't', playerId: 'p1' })],
  ['syncPurchases', 'SyncPurchasesInput', (id) => ({ storeAccountId: id, purchaseDataList: ['{}'], playerId: 'p1' })],
];
const badIds = ['not-a-uuid', encodeGlobalID('Order', 'not-a-uuid'), encodeGlobalID('StoreAccount', "1' OR '1'='1"), ''];

describe('non-UUID ids', () => {
  for (const [field, inputType, input] of mutations) {
    it(`${field}: typed refusal, never a masked error`, async () => {
      for (const id of badIds) {
        const res = await t.post(
          { query: `mutation ($input: ${inputType}!) { ${field}(input: $input) { __typename ... on Error { code } } }`, variables: { input: input(id) } },
          { key: tenant.serverKey },
        );
        expect(res.status, `${field}(${id})`).toBe(200);
        const body = (await res.json()) as { data?: Record<string, { __typename: string } | null>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
        const answer = body.data?.[field];
        if (answer) expect(answer.__typename, `${field}(${id}): ${JSON.stringify(body)}`).toMatch(/Error$/);
        else expect(String(body.errors?.[0]?.extensions?.code), `${field}(${id}): ${JSON.stringify(body)}`).toMatch(/^(BAD_USER_INPUT|NOT_FOUND|FORBIDDEN)$/);
      }
    });
  }

  it('node() of a non-UUID id is null', async () => {
    for (const id of badIds) {
      const res = await t.post({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: { id } }, { key: tenant.serverKey });
      const body = (await res.json()) as { data?: { node: unknown }; errors?: Array<{ extensions?: { code?: string } }> };
      expect(body.data?.node).toBeNull();
      // A global id wrapping a non-UUID is simply not found; one that is no global id at all is BAD_USER_INPUT.
      if (body.errors) expect(body.errors.map((e) => e.extensions?.code), `${id}: ${JSON.stringify(body)}`).toEqual(['BAD_USER_INPUT']);
    }
  });
});

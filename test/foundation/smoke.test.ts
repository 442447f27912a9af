import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

const CreateProduct = graphql(`
  mutation SmokeCreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id sku type } }
      ... on ValidationError { code message fieldErrors { path message } }
    }
  }
`);

const AppQuery = graphql(`
  query SmokeApp { app { id name } }
`);

describe('a tenant with a server key', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('smoke');
  });
  afterAll(() => t.close());

  it('reads its app', async () => {
    const res = await t.gql(AppQuery, {}, { key: tenant.serverKey });
    expect(res.data?.app?.name).toBe('smoke');
  });

  it('creates a product and gets typed validation errors', async () => {
    const ok = await t.gql(CreateProduct, { input: { store: 'HUAWEI', sku: 'gems_100', storeProductId: 'gems100', type: 'CONSUMABLE', name: '100 gems' } }, { key: tenant.serverKey });
    expect(ok.data?.createProduct.__typename).toBe('ProductPayload');
    const bad = await t.gql(CreateProduct, { input: { store: 'HUAWEI', sku: 'gems_100', storeProductId: 'other', type: 'CONSUMABLE', name: 'dup' } }, { key: tenant.serverKey });
    expect(bad.data?.createProduct).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'sku' }] });
  });
});

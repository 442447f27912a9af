// Products: CRUD through GraphQL with relay global ids, every validation rule answered
// with a typed ValidationError naming the field, and products with orders kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { graphql } from '../gql/index.js';
import type { CreateProductInput } from '../gql/graphql.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { seedCatalogue, seedOrder } from './seed.js';

const CreateProduct = graphql(`
  mutation ProductsCreate($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on ProductPayload {
        product { id store sku storeProductId type name grantQuantity timeLevels { level days } revenueTiers { minBeans ratePercent } monthlyCap }
      }
      ... on ValidationError { code message fieldErrors { path message } }
    }
  }
`);

const UpdateProduct = graphql(`
  mutation ProductsUpdate($input: UpdateProductInput!) {
    updateProduct(input: $input) {
      __typename
      ... on ProductPayload { product { id sku storeProductId name grantQuantity } }
      ... on ValidationError { code message fieldErrors { path message } }
      ... on NotFoundError { code message }
    }
  }
`);

const DeleteProduct = graphql(`
  mutation ProductsDelete($input: DeleteProductInput!) {
    deleteProduct(input: $input) {
      __typename
      ... on DeleteProductPayload { deletedId }
      ... on ConflictError { code message }
      ... on NotFoundError { code message }
    }
  }
`);

const ProductNode = graphql(`
  query ProductsNode($id: ID!) { node(id: $id) { __typename id ... on Product { sku name grantQuantity } } }
`);

const ProductsByStore = graphql(`
  query ProductsByStore($store: Store) { products(first: 50, store: $store) { edges { node { sku store } } } }
`);

describe('products', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('products');
  });
  afterAll(() => t.close());

  const create = async (input: CreateProductInput) => {
    const res = await t.gql(CreateProduct, { input }, { key: tenant.serverKey });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.createProduct;
  };
  const createOk = async (input: CreateProductInput) => {
    const result = await create(input);
    if (result.__typename !== 'ProductPayload') throw new Error(JSON.stringify(result));
    return result.product;
  };

  it('are created, read by global id and by store, updated and deleted', async () => {
    const product = await createOk({ store: 'HUAWEI', sku: 'gems_500', storeProductId: 'com.example.gems500', type: 'CONSUMABLE', name: '500 gems', grantQuantity: 500 });
    expect(product).toMatchObject({ store: 'HUAWEI', sku: 'gems_500', type: 'CONSUMABLE', grantQuantity: 500, timeLevels: null, revenueTiers: null, monthlyCap: null });
    const { typename, id: rawId } = decodeGlobalID(product.id);
    expect(typename).toBe('Product');
    expect(rawId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await t.gql(ProductNode, { id: product.id }, { key: tenant.serverKey })).data?.node).toEqual({
      __typename: 'Product',
      id: product.id,
      sku: 'gems_500',
      name: '500 gems',
      grantQuantity: 500,
    });
    await createOk({ store: 'NOWGG', sku: 'gems_500', storeProductId: 'gems500', type: 'CONSUMABLE', name: '500 gems' });
    const huawei = await t.gql(ProductsByStore, { store: 'HUAWEI' }, { key: tenant.serverKey });
    expect(huawei.data?.products.edges.map((e) => e.node)).toEqual([{ sku: 'gems_500', store: 'HUAWEI' }]);

    const updated = await t.gql(UpdateProduct, { input: { id: product.id, name: 'Bag of gems', grantQuantity: 550 } }, { key: tenant.serverKey });
    expect(updated.data?.updateProduct).toEqual({
      __typename: 'ProductPayload',
      product: { id: product.id, sku: 'gems_500', storeProductId: 'com.example.gems500', name: 'Bag of gems', grantQuantity: 550 },
    });

    const deleted = await t.gql(DeleteProduct, { input: { id: product.id } }, { key: tenant.serverKey });
    expect(deleted.data?.deleteProduct).toEqual({ __typename: 'DeleteProductPayload', deletedId: product.id });
    expect((await t.gql(ProductNode, { id: product.id }, { key: tenant.serverKey })).data?.node).toBeNull();
    const again = await t.gql(DeleteProduct, { input: { id: product.id } }, { key: tenant.serverKey });
    expect(again.data?.deleteProduct).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: 'Product not found' });
  });

  it('store Huya time levels and revenue tiers (BigInt beans as strings)', async () => {
    const prepaid = await createOk({
      store: 'HUYA',
      sku: 'vip_pass',
      storeProductId: 'goods-vip',
      type: 'TIME_LIMITED',
      name: 'VIP pass',
      timeLevels: [{ level: '1', days: 7 }, { level: '2', days: 30 }],
    });
    expect(prepaid.timeLevels).toEqual([{ level: '1', days: 7 }, { level: '2', days: 30 }]);
    const gifts = await createOk({
      store: 'HUYA',
      sku: 'gift_share',
      storeProductId: 'goods-gift',
      type: 'REVENUE_SHARE',
      name: 'Gift share',
      revenueTiers: [{ minBeans: '0', ratePercent: 10 }, { minBeans: '9007199254740993', ratePercent: 5 }],
      monthlyCap: '9223372036854775807',
    });
    expect(gifts.revenueTiers).toEqual([{ minBeans: '0', ratePercent: 10 }, { minBeans: '9007199254740993', ratePercent: 5 }]);
    expect(gifts.monthlyCap).toBe('9223372036854775807');

    // past the 64-bit column: refused by the scalar with a clear message, nothing written
    const tooBig = await t.post(
      {
        query: 'mutation ($cap: BigInt) { createProduct(input: { store: HUYA, sku: "gift_big", storeProductId: "goods-big", type: REVENUE_SHARE, name: "Big", revenueTiers: [{ minBeans: 0, ratePercent: 10 }], monthlyCap: $cap }) { __typename } }',
        variables: { cap: '9223372036854775808' },
      },
      { key: tenant.serverKey },
    );
    expect(tooBig.status).toBe(400);
    expect(((await tooBig.json()) as { errors: { message: string }[] }).errors[0]?.message).toContain(
      'BigInt must be between -9223372036854775808 and 9223372036854775807',
    );
    expect(await t.app.db.prisma.product.count({ where: { appId: tenant.appId, sku: 'gift_big' } })).toBe(0);
  });

  const base = { store: 'HUYA', storeProductId: 'goods-x', name: 'x' } as const;
  it.each<[string, CreateProductInput, string]>([
    ['a sku with spaces', { ...base, sku: 'has space', type: 'CONSUMABLE' }, 'sku'],
    ['an empty sku', { ...base, sku: ' ', type: 'CONSUMABLE' }, 'sku'],
    ['an empty name', { ...base, sku: 'ok', name: '', type: 'CONSUMABLE' }, 'name'],
    ['an empty store product id', { ...base, sku: 'ok', storeProductId: '', type: 'CONSUMABLE' }, 'storeProductId'],
    ['a zero grant quantity', { ...base, sku: 'ok', type: 'CONSUMABLE', grantQuantity: 0 }, 'grantQuantity'],
    ['TIME_LIMITED without levels', { ...base, sku: 'ok', type: 'TIME_LIMITED' }, 'timeLevels'],
    ['TIME_LIMITED with no level', { ...base, sku: 'ok', type: 'TIME_LIMITED', timeLevels: [] }, 'timeLevels'],
    ['TIME_LIMITED with a repeated level', { ...base, sku: 'ok', type: 'TIME_LIMITED', timeLevels: [{ level: '1', days: 7 }, { level: '1', days: 30 }] }, 'timeLevels'],
    ['TIME_LIMITED with zero days', { ...base, sku: 'ok', type: 'TIME_LIMITED', timeLevels: [{ level: '1', days: 0 }] }, 'timeLevels.0.days'],
    ['TIME_LIMITED outside Huya', { ...base, store: 'HUAWEI', sku: 'ok', type: 'TIME_LIMITED', timeLevels: [{ level: '1', days: 7 }] }, 'type'],
    ['levels on a consumable', { ...base, sku: 'ok', type: 'CONSUMABLE', timeLevels: [{ level: '1', days: 7 }] }, 'timeLevels'],
    ['REVENUE_SHARE without a cap', { ...base, sku: 'ok', type: 'REVENUE_SHARE', revenueTiers: [{ minBeans: '0', ratePercent: 10 }] }, 'revenueTiers'],
    ['REVENUE_SHARE without tiers', { ...base, sku: 'ok', type: 'REVENUE_SHARE', monthlyCap: '100' }, 'revenueTiers'],
    ['tiers not starting at 0 beans', { ...base, sku: 'ok', type: 'REVENUE_SHARE', revenueTiers: [{ minBeans: '10', ratePercent: 10 }], monthlyCap: '100' }, 'revenueTiers'],
    ['tiers not ascending', { ...base, sku: 'ok', type: 'REVENUE_SHARE', revenueTiers: [{ minBeans: '0', ratePercent: 10 }, { minBeans: '0', ratePercent: 5 }], monthlyCap: '100' }, 'revenueTiers'],
    ['a rate above 100%', { ...base, sku: 'ok', type: 'REVENUE_SHARE', revenueTiers: [{ minBeans: '0', ratePercent: 101 }], monthlyCap: '100' }, 'revenueTiers.0.ratePercent'],
    ['a negative cap', { ...base, sku: 'ok', type: 'REVENUE_SHARE', revenueTiers: [{ minBeans: '0', ratePercent: 10 }], monthlyCap: '-1' }, 'monthlyCap'],
    ['tiers on a consumable', { ...base, sku: 'ok', type: 'CONSUMABLE', revenueTiers: [{ minBeans: '0', ratePercent: 10 }], monthlyCap: '100' }, 'revenueTiers'],
  ])('refuse %s with a ValidationError naming the field', async (_label, input, path) => {
    const before = await t.app.db.prisma.product.count({ where: { appId: tenant.appId } });
    const result = await create(input);
    if (result.__typename !== 'ValidationError') throw new Error(JSON.stringify(result));
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(result.message).toMatch(/^Invalid product: /);
    // the field, or a part of it (revenueTiers.1.minBeans names revenueTiers)
    expect(result.fieldErrors.some((f) => f.path === path || f.path.startsWith(`${path}.`)), JSON.stringify(result.fieldErrors)).toBe(true);
    expect(await t.app.db.prisma.product.count({ where: { appId: tenant.appId } })).toBe(before);
  });

  it('refuse duplicates per store, also when two requests race', async () => {
    await createOk({ store: 'NOWGG', sku: 'coins', storeProductId: 'coins.store', type: 'CONSUMABLE', name: 'Coins' });
    expect(await create({ store: 'NOWGG', sku: 'coins', storeProductId: 'other', type: 'CONSUMABLE', name: 'x' })).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'sku' }],
    });
    expect(await create({ store: 'NOWGG', sku: 'other', storeProductId: 'coins.store', type: 'CONSUMABLE', name: 'x' })).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'storeProductId' }],
    });
    const renamed = await createOk({ store: 'NOWGG', sku: 'coins_2', storeProductId: 'coins2.store', type: 'CONSUMABLE', name: 'Coins 2' });
    const clash = await t.gql(UpdateProduct, { input: { id: renamed.id, sku: 'coins' } }, { key: tenant.serverKey });
    expect(clash.data?.updateProduct).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'sku' }] });

    const racers = await Promise.all(
      [1, 2, 3].map(() => create({ store: 'HUAWEI', sku: 'raced', storeProductId: 'raced.store', type: 'NON_CONSUMABLE', name: 'Raced' })),
    );
    expect(racers.map((r) => r.__typename).sort()).toEqual(['ProductPayload', 'ValidationError', 'ValidationError']);
  });

  it('with orders: kept on delete, and their store product id and type are fixed', async () => {
    const catalogue = await seedCatalogue(t, tenant.appId, 'sold_item');
    await seedOrder(t, catalogue, 'player-1');
    const id = encodeGlobalID('Product', catalogue.product.id);

    const refused = await t.gql(DeleteProduct, { input: { id } }, { key: tenant.serverKey });
    expect(refused.data?.deleteProduct).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'This product has orders and cannot be deleted',
    });
    expect(await t.app.db.prisma.product.count({ where: { id: catalogue.product.id } })).toBe(1);

    const moved = await t.gql(UpdateProduct, { input: { id, storeProductId: 'moved' } }, { key: tenant.serverKey });
    expect(moved.data?.updateProduct).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: 'storeProductId' }] });
    const renamed = await t.gql(UpdateProduct, { input: { id, name: 'Renamed is fine' } }, { key: tenant.serverKey });
    expect(renamed.data?.updateProduct).toMatchObject({ __typename: 'ProductPayload', product: { name: 'Renamed is fine' } });
  });

  it('deliver orders paid before the product existed when it is created', async () => {
    const catalogue = await seedCatalogue(t, tenant.appId, 'early_bird');
    const early = await seedOrder(t, catalogue, 'player-2', 'not_yet.store');
    expect(early.status).toBe('AWAITING_PRODUCT');
    await createOk({ store: 'NOWGG', sku: 'not_yet', storeProductId: 'not_yet.store', type: 'CONSUMABLE', name: 'Late product' });
    const delivered = await t.app.db.prisma.order.findUniqueOrThrow({ where: { id: early.id } });
    expect(delivered.status).toBe('DELIVERED');
    expect(await t.app.db.prisma.entitlement.count({ where: { orderId: early.id } })).toBe(1);
  });

  it('refuse ids of another type, and ids that are not ours, with clear errors', async () => {
    const wrongType = await t.post(
      { query: 'mutation ($id: ID!) { deleteProduct(input: { id: $id }) { __typename } }', variables: { id: encodeGlobalID('Order', '00000000-0000-4000-8000-000000000000') } },
      { key: tenant.serverKey },
    );
    const body = (await wrongType.json()) as { errors: { message: string }[] };
    expect(body.errors[0]?.message).toMatch(/is not of type: Product/);

    for (const raw of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "'; DROP TABLE \"Product\"; --"]) {
      const id = encodeGlobalID('Product', raw);
      const update = await t.gql(UpdateProduct, { input: { id, name: 'ghost' } }, { key: tenant.serverKey });
      expect(update.data?.updateProduct).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: 'Product not found' });
      const node = await t.gql(ProductNode, { id }, { key: tenant.serverKey });
      expect(node).toEqual({ data: { node: null } });
    }
  });
});

import { encodeGlobalID } from '@pothos/plugin-relay';
import { scopedAppId } from '../context.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import { rowId } from '../services/validation.js';
import type { Builder } from './builder.js';
import type { StoreAccountRefs } from './store-account.js';

export type ProductRefs = ReturnType<typeof registerProducts>;

export function registerProducts(builder: Builder, { StoreEnum }: StoreAccountRefs) {
  const ProductTypeEnum = builder.enumType('ProductType', {
    values: {
      CONSUMABLE: { description: 'One grant per order, with its quantity.' },
      NON_CONSUMABLE: { description: 'One permanent entitlement per player.' },
      AUTO_RENEWABLE: { description: 'Subscription; access until the store-reported expiry.' },
      NON_RENEWING: { description: 'Fixed-term access.' },
      TIME_LIMITED: { description: 'Huya prepaid goods: each order adds its level’s days.' },
      REVENUE_SHARE: { description: 'Huya gift-revenue goods: billed monthly by tiers with a cap.' },
    } as const,
  });

  const TimeLevel = builder.objectRef<{ level: string; days: number }>('TimeLevel').implement({
    fields: (t) => ({ level: t.exposeString('level'), days: t.exposeInt('days') }),
  });
  const RevenueTier = builder.objectRef<{ minBeans: string; ratePercent: number }>('RevenueTier').implement({
    fields: (t) => ({
      minBeans: t.field({ type: 'BigInt', resolve: (tier) => BigInt(tier.minBeans) }),
      ratePercent: t.exposeInt('ratePercent'),
    }),
  });

  const ProductNode = builder.prismaNode('Product', {
    id: { field: 'id' },
    // Select mode: lists read only the columns the query asks for, not whole rows.
    select: { id: true },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => ({ id: rowId(id), appId: scopedAppId(ctx) }),
    authScopes: { serverKey: true, player: true },
    fields: (t) => ({
      store: t.expose('store', { type: StoreEnum }),
      sku: t.exposeString('sku'),
      storeProductId: t.exposeString('storeProductId'),
      type: t.expose('type', { type: ProductTypeEnum }),
      name: t.exposeString('name'),
      grantQuantity: t.exposeInt('grantQuantity'),
      timeLevels: t.field({
        type: [TimeLevel],
        nullable: true,
        select: { timeLevels: true },
        resolve: (p) => p.timeLevels as { level: string; days: number }[] | null,
      }),
      revenueTiers: t.field({
        type: [RevenueTier],
        nullable: true,
        select: { revenueTiers: true },
        resolve: (p) => p.revenueTiers as { minBeans: string; ratePercent: number }[] | null,
      }),
      monthlyCap: t.expose('monthlyCap', { type: 'BigInt', nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  builder.queryField('products', (t) =>
    t.prismaConnection({
      type: 'Product',
      cursor: 'id',
      authScopes: { serverKey: true, player: true },
      args: { store: t.arg({ type: StoreEnum }) },
      resolve: (query, _root, args, ctx) => ctx.services.read.products(query, scopedAppId(ctx), args.store),
    }),
  );

  const TimeLevelInput = builder.inputType('TimeLevelInput', {
    fields: (t) => ({ level: t.string({ required: true }), days: t.int({ required: true }) }),
  });
  const RevenueTierInput = builder.inputType('RevenueTierInput', {
    fields: (t) => ({ minBeans: t.field({ type: 'BigInt', required: true }), ratePercent: t.int({ required: true }) }),
  });

  const CreateProductInput = builder.inputType('CreateProductInput', {
    fields: (t) => ({
      store: t.field({ type: StoreEnum, required: true }),
      sku: t.string({ required: true, description: 'Your id for the product, unique per store.' }),
      storeProductId: t.string({ required: true, description: "The store's product id (Huawei productId, now.gg productId, Huya goodsUuid)." }),
      type: t.field({ type: ProductTypeEnum, required: true }),
      name: t.string({ required: true }),
      grantQuantity: t.int({ description: 'Consumables: units granted per purchased unit (default 1).' }),
      timeLevels: t.field({ type: [TimeLevelInput], description: 'TIME_LIMITED: expenseLevel → days.' }),
      revenueTiers: t.field({ type: [RevenueTierInput], description: 'REVENUE_SHARE: ascending tiers from 0 beans.' }),
      monthlyCap: t.field({ type: 'BigInt', description: 'REVENUE_SHARE: the most one month can cost (beans).' }),
    }),
  });

  const UpdateProductInput = builder.inputType('UpdateProductInput', {
    fields: (t) => ({
      id: t.globalID({ required: true, for: [ProductNode] }),
      sku: t.string(),
      storeProductId: t.string(),
      type: t.field({ type: ProductTypeEnum }),
      name: t.string(),
      grantQuantity: t.int(),
      timeLevels: t.field({ type: [TimeLevelInput] }),
      revenueTiers: t.field({ type: [RevenueTierInput] }),
      monthlyCap: t.field({ type: 'BigInt' }),
    }),
  });

  const DeleteProductInput = builder.inputType('DeleteProductInput', {
    fields: (t) => ({ id: t.globalID({ required: true, for: [ProductNode] }) }),
  });

  const ProductPayload = builder.objectRef<{ productId: string }>('ProductPayload').implement({
    fields: (t) => ({
      product: t.prismaField({
        type: 'Product',
        resolve: async (query, p, _a, ctx) => {
          const product = await ctx.services.products.get(query, scopedAppId(ctx), p.productId);
          if (!product) throw new NotFoundError('Product');
          return product;
        },
      }),
    }),
  });

  const DeleteProductPayload = builder.objectRef<{ deletedId: string }>('DeleteProductPayload').implement({
    fields: (t) => ({ deletedId: t.exposeID('deletedId') }),
  });

  const omitNulls = <T extends Record<string, unknown>>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]?: NonNullable<T[K]> };

  builder.mutationField('createProduct', (t) =>
    t.field({
      type: ProductPayload,
      description: 'Creates a product; orders paid for it before it existed are delivered now.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'CreateProductResult' } },
      args: { input: t.arg({ type: CreateProductInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const product = await ctx.services.products.create(scopedAppId(ctx), { ...input, ...omitNulls(input) });
        return { productId: product.id };
      },
    }),
  );

  builder.mutationField('updateProduct', (t) =>
    t.field({
      type: ProductPayload,
      authScopes: { serverKey: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'UpdateProductResult' } },
      args: { input: t.arg({ type: UpdateProductInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const { id, ...rest } = input;
        const product = await ctx.services.products.update(scopedAppId(ctx), id.id, omitNulls(rest));
        return { productId: product.id };
      },
    }),
  );

  builder.mutationField('deleteProduct', (t) =>
    t.field({
      type: DeleteProductPayload,
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError, ConflictError], union: { name: 'DeleteProductResult' } },
      args: { input: t.arg({ type: DeleteProductInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        await ctx.services.products.delete(scopedAppId(ctx), input.id.id);
        return { deletedId: encodeGlobalID('Product', input.id.id) };
      },
    }),
  );

  return { ProductTypeEnum, ProductNode };
}

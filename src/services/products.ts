// Products: what a store product id grants. Creating one delivers orders that were
// paid before it existed (recorded as AWAITING_PRODUCT).
import { z } from 'zod';
import type { PrismaClient } from '../platform/db.js';
import { Prisma, type Product } from '../generated/prisma/client.js';
import type { ProductType, Store } from '../generated/prisma/enums.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import type { Fulfilment } from '../fulfilment/fulfilment.js';
import { RevenueTiersSchema, TimeLimitedConfigSchema } from '../providers/huya/protocol/index.js';
import type { StoreCatalog } from '../providers/catalog.js';
import { isUniqueViolation, parseInput, rowId } from './validation.js';

export interface ProductInput {
  store: Store;
  sku: string;
  storeProductId: string;
  type: ProductType;
  name: string;
  grantQuantity?: number | null | undefined;
  timeLevels?: { level: string; days: number }[] | null | undefined;
  revenueTiers?: { minBeans: bigint; ratePercent: number }[] | null | undefined;
  monthlyCap?: bigint | null | undefined;
}

// Huya goods are validated by the Huya layer, which reads them back for callbacks and bills.
const levelSchema = TimeLimitedConfigSchema;
const tierSchema = RevenueTiersSchema;

/** Product input rules; the stores and the store-specific product types come from the app's store modules. */
const productSchemaFor = (catalog: StoreCatalog) => z
  .object({
    store: z.custom<Store>((store) => typeof store === 'string' && catalog.has(store as Store), 'not a store of this server'),
    sku: z.string().trim().min(1).max(100).regex(/^[\w.:-]+$/, 'letters, digits, _ . : - only'),
    storeProductId: z.string().trim().min(1).max(200),
    type: z.enum(['CONSUMABLE', 'NON_CONSUMABLE', 'AUTO_RENEWABLE', 'NON_RENEWING', 'TIME_LIMITED', 'REVENUE_SHARE']),
    name: z.string().trim().min(1).max(200),
    grantQuantity: z.number().int().min(1).max(1_000_000).nullish(),
    timeLevels: levelSchema.nullish(),
    revenueTiers: tierSchema.nullish(),
    monthlyCap: z.bigint().min(1n, 'the monthly cap must be at least 1 bean').nullish(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'TIME_LIMITED' && !p.timeLevels) {
      ctx.addIssue({ code: 'custom', path: ['timeLevels'], message: 'TIME_LIMITED products need timeLevels (level → days)' });
    }
    if (p.type !== 'TIME_LIMITED' && p.timeLevels) {
      ctx.addIssue({ code: 'custom', path: ['timeLevels'], message: 'only TIME_LIMITED products have timeLevels' });
    }
    if (p.type === 'REVENUE_SHARE' && (!p.revenueTiers || p.monthlyCap == null)) {
      ctx.addIssue({ code: 'custom', path: ['revenueTiers'], message: 'REVENUE_SHARE products need revenueTiers and monthlyCap' });
    }
    if (p.type !== 'REVENUE_SHARE' && (p.revenueTiers || p.monthlyCap != null)) {
      ctx.addIssue({ code: 'custom', path: ['revenueTiers'], message: 'only REVENUE_SHARE products have revenueTiers and monthlyCap' });
    }
    const sellers = catalog.modules.filter((module) => module.productTypes?.includes(p.type));
    if (sellers.length > 0 && !sellers.some((module) => module.store === p.store)) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `${p.type} products are ${sellers.map((m) => m.name).join(' or ')} goods` });
    }
  });

const toJsonTiers = (tiers: { minBeans: bigint; ratePercent: number }[]) =>
  tiers.map((t) => ({ minBeans: t.minBeans.toString(), ratePercent: t.ratePercent }));

export class ProductsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly fulfilment: Fulfilment,
    catalog: StoreCatalog,
  ) {
    this.#schema = productSchemaFor(catalog);
  }

  readonly #schema: ReturnType<typeof productSchemaFor>;

  get(query: Record<string, unknown>, appId: string, id: string) {
    return this.prisma.product.findFirst({ ...query, where: { id: rowId(id), appId } });
  }

  async create(appId: string, input: ProductInput): Promise<Product> {
    const p = parseInput(this.#schema, input, 'product');
    await this.#assertUnique(appId, p.store, p.sku, p.storeProductId, null);
    const product = await this.prisma.product.create({
      data: {
        appId,
        store: p.store,
        sku: p.sku,
        storeProductId: p.storeProductId,
        type: p.type,
        name: p.name,
        grantQuantity: p.grantQuantity ?? 1,
        ...(p.timeLevels ? { timeLevels: p.timeLevels } : {}),
        ...(p.revenueTiers ? { revenueTiers: toJsonTiers(p.revenueTiers) } : {}),
        monthlyCap: p.monthlyCap ?? null,
      },
    }).catch(raceLost);
    await this.fulfilment.deliverAwaitingOrders(product);
    return product;
  }

  /** Updates a product. Store, store product id and type are fixed once orders exist. */
  async update(appId: string, id: string, input: Partial<ProductInput>): Promise<Product> {
    const existing = await this.prisma.product.findFirst({ where: { id: rowId(id), appId } });
    if (!existing) throw new NotFoundError('Product');
    const merged = {
      store: existing.store,
      sku: input.sku ?? existing.sku,
      storeProductId: input.storeProductId ?? existing.storeProductId,
      type: input.type ?? existing.type,
      name: input.name ?? existing.name,
      grantQuantity: input.grantQuantity ?? existing.grantQuantity,
      timeLevels: input.timeLevels !== undefined ? input.timeLevels : (existing.timeLevels as ProductInput['timeLevels']),
      revenueTiers:
        input.revenueTiers !== undefined
          ? input.revenueTiers
          : ((existing.revenueTiers as { minBeans: string; ratePercent: number }[] | null)?.map((t) => ({
              minBeans: BigInt(t.minBeans),
              ratePercent: t.ratePercent,
            })) ?? null),
      monthlyCap: input.monthlyCap !== undefined ? input.monthlyCap : existing.monthlyCap,
    };
    const p = parseInput(this.#schema, merged, 'product');
    if (p.storeProductId !== existing.storeProductId || p.type !== existing.type) {
      const orders = await this.prisma.order.count({ where: { productId: id } });
      if (orders > 0) {
        throw new ValidationError('storeProductId and type cannot change once the product has orders', [
          { path: 'storeProductId', message: 'product has orders' },
        ]);
      }
    }
    await this.#assertUnique(appId, p.store, p.sku, p.storeProductId, id);
    const product = await this.prisma.product.update({
      where: { id },
      data: {
        sku: p.sku,
        storeProductId: p.storeProductId,
        type: p.type,
        name: p.name,
        grantQuantity: p.grantQuantity ?? 1,
        timeLevels: p.timeLevels ?? Prisma.DbNull,
        revenueTiers: p.revenueTiers ? toJsonTiers(p.revenueTiers) : Prisma.DbNull,
        monthlyCap: p.monthlyCap ?? null,
      },
    }).catch(raceLost);
    // A new store product id or new levels may make waiting orders deliverable.
    if (p.storeProductId !== existing.storeProductId || input.timeLevels !== undefined) {
      await this.fulfilment.deliverAwaitingOrders(product);
    }
    return product;
  }

  /** Deletes a product that nothing refers to; products with orders are kept for audit. */
  async delete(appId: string, id: string): Promise<Product> {
    const existing = await this.prisma.product.findFirst({ where: { id: rowId(id), appId } });
    if (!existing) throw new NotFoundError('Product');
    const used = await this.prisma.order.count({ where: { productId: id } });
    if (used > 0) throw new ConflictError('This product has orders and cannot be deleted');
    await this.prisma.product.delete({ where: { id } });
    return existing;
  }

  async #assertUnique(appId: string, store: Store, sku: string, storeProductId: string, exceptId: string | null) {
    const clash = await this.prisma.product.findFirst({
      where: { appId, store, OR: [{ sku }, { storeProductId }], ...(exceptId ? { NOT: { id: exceptId } } : {}) },
    });
    if (clash) {
      const path = clash.sku === sku ? 'sku' : 'storeProductId';
      throw new ValidationError(`A ${store} product with this ${path} already exists`, [
        { path, message: 'already used by another product' },
      ]);
    }
  }
}

/** Two requests raced past #assertUnique for the same sku or store product id; the index decided. */
function raceLost(err: unknown): never {
  if (isUniqueViolation(err)) {
    throw new ValidationError('A product with this sku or storeProductId already exists for this store', [
      { path: 'sku', message: 'sku and storeProductId must be unique per store' },
    ]);
  }
  throw err;
}

// The contract between a store and the store-agnostic rest of ZeroDrop: one StoreModule
// per store (src/providers/<store>/index.ts), passed to createApp({ env, stores }). Every
// store list the API shows (Store enum, store-account input, secret names, callback
// routes, log redaction) is derived from the modules given, so a store is one folder.
// A store's protocol verifies proofs and speaks its wire format and never touches the
// database; its flows drive the fulfilment core.
import type { z } from 'zod';
import type { InputObjectRef } from '@pothos/core';
import type { FinishMode, ProductType, Store, StoreEnvironment } from '../generated/prisma/enums.js';
import type { OutboundGuard } from '../platform/outbound-url.js';
import type { Context } from '../context.js';
import type { Env } from '../platform/env.js';
import type { PrismaClient } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { PubSub } from '../platform/pubsub.js';
import type { Fulfilment, AccessDurationResolver } from '../fulfilment/fulfilment.js';
import type { TaskKindOptions } from '../fulfilment/tasks.js';
import type { PlayerTokenVerifier } from '../auth.js';
import type { StoreAccountsService } from '../services/store-accounts.js';
import type { Services } from '../services/index.js';
import type { Builder, SchemaTypes } from '../schema/builder.js';
import type { CoreRefs } from '../schema/index.js';

/** A store account as providers see it: secrets already unsealed. */
export interface StoreAccountConfig {
  id: string;
  appId: string;
  store: Store;
  environment: StoreEnvironment;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  /** Overrides the store's production API root (sandbox, tests). */
  apiBaseUrl: string | null;
  /** Huawei only: extra trusted roots (PEM) for sandbox/tests. */
  trustedRootsPem: string | null;
  /** The gate store API calls go through (the server's policy); absent: public https only. */
  outbound?: OutboundGuard;
}

/** A purchase proven by the store. Everything the core needs to record and grant it. */
export interface VerifiedPurchase {
  storeOrderId: string;
  storeProductId: string;
  /** The store's own notion of the product type, when it tells one. */
  productType: ProductType | null;
  quantity: number;
  /** Money in minor units; null when the store does not say. */
  amountMinor: bigint | null;
  currency: string | null;
  purchaseToken: string | null;
  purchasedAt: Date;
  /** Subscriptions: end of the paid period, when the store tells it. */
  expiresAt: Date | null;
  /**
   * Store subscriptions whose renewals arrive as separate orders: every order of one
   * subscription carries the same key and moves ONE entitlement (never a second grant);
   * its expiry is the latest period end among the subscription's orders not revoked.
   */
  subscription?: { key: string } | null;
  environment: StoreEnvironment;
  /** Set when the store says the purchase was refunded/revoked: record, never grant. */
  revocation: { at: Date; reason: string } | null;
  /** How the store-side finish step happens for this purchase. */
  finishMode: FinishMode;
  /** What the client passes to the store SDK when it must finish (Huawei finishParams, now.gg consume info). */
  finishParams: Record<string, unknown> | null;
  /** The verified payload, JSON-safe, kept on the order for audit and reconciliation. */
  payload: Record<string, unknown>;
}

/** What the worker hands a provider to acknowledge (confirm/consume) a delivered order. */
export interface AckRequest {
  orderId: string;
  storeOrderId: string;
  storeProductId: string;
  productType: ProductType | null;
  purchaseToken: string | null;
  payload: Record<string, unknown>;
}

/** What a store's flows are built from: the platform and the store-agnostic services. */
export interface StoreDeps {
  env: Env;
  prisma: PrismaClient;
  fulfilment: Fulfilment;
  storeAccounts: StoreAccountsService;
  pubsub: PubSub;
  logger: Logger;
}

/** What a store's GraphQL registration gets: the builder, the core types, its own flows. */
export interface StoreGraphqlContext<Flows> {
  builder: Builder;
  refs: CoreRefs;
  /** This store's flows for a request (built once per app). */
  flows: (ctx: Context) => Flows;
}

/** What a store's callback route gets besides the request. */
export interface CallbackContext<Flows> {
  flows: Flows;
  services: Services;
  logger: Logger;
  requestId: string;
}

// Methods (not function-valued properties) so a StoreModule<HuaweiFlows> is a StoreModule.
export interface StoreModule<Flows = unknown> {
  /** The Store enum value the API and the database use. */
  readonly store: Store;
  /** The store's name in messages. */
  readonly name: string;
  /** Lower-case name: the store-account input field and the callback path /webhooks/<key>/<storeAccountId>. */
  readonly key: string;
  readonly account: {
    /** Non-secret store-account settings. */
    settings: z.ZodType<Record<string, unknown>>;
    /** Secret store-account fields (sealed at rest, write-only in the API, redacted in logs). */
    secrets: z.ZodType<Record<string, unknown>>;
    /** Names of the secret fields of `input` (the rest are settings). */
    secretNames: readonly string[];
    /** The store's part of createStoreAccount / updateStoreAccount. */
    input: (builder: Builder) => InputObjectRef<SchemaTypes, Record<string, unknown>>;
    /**
     * Present when a SANDBOX account may add trusted root certificates (Huawei): checks
     * the PEM, throwing a typed error for certificates that cannot be used.
     */
    trustedRoots?: (pem: string) => void;
  };
  /** Product types only this store sells (beyond the one-time and subscription types). */
  readonly productTypes?: readonly ProductType[];
  /** The store's application flows (verify → core → answer), built once per app. */
  createFlows(deps: StoreDeps): Flows;
  /** Registers the store's GraphQL types, queries and mutations. */
  graphql?(context: StoreGraphqlContext<Flows>): void;
  /** Handles POST/GET /webhooks/<key>/<storeAccountId> (notifications, payment callbacks). */
  callback?(request: Request, storeAccountId: string, context: CallbackContext<Flows>): Promise<Response>;
  /** Hooks into the core. */
  readonly hooks?: {
    /** Prices this store's per-order (time-limited) goods; see AccessDurationResolver. */
    accessDuration?: AccessDurationResolver;
    /** Accepts a store-issued token as a player token (Huya's SDK JWT). */
    playerTokenVerifier?: (deps: Pick<StoreDeps, 'prisma' | 'storeAccounts'>) => PlayerTokenVerifier;
  };
  /**
   * Durable jobs this store runs on the shared task worker (e.g. Huawei's reconciliation
   * sweep): `kinds` are registered with the worker; `start` runs when the worker starts
   * (idempotent, on every instance) and may schedule the first task.
   */
  tasks?(flows: Flows): { kinds: Record<string, TaskKindOptions>; start?(): Promise<void> };
  /**
   * Completes the store-side finish step for a delivered order. Resolves when the store
   * says done (or "already done"); throws StoreUnavailableError (retried with backoff) or
   * another AppError (retried too, recorded on the task) otherwise. Absent: nothing to do.
   */
  acknowledge?(account: StoreAccountConfig, request: AckRequest): Promise<void>;
}

/** Declares a store module with its flows type checked. */
export function defineStore<Flows>(module: StoreModule<Flows>): StoreModule<Flows> {
  return module;
}

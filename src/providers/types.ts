// The contract between store providers and the store-agnostic fulfilment core.
// Providers verify proofs and speak store wire formats; they never touch the database.
import type { FinishMode, ProductType, Store, StoreEnvironment } from '../generated/prisma/enums.js';

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

export interface StoreProvider {
  readonly store: Store;
  /**
   * Completes the store-side finish step. Resolves when the store says done (or
   * "already done"); throws StoreUnavailableError (retried with backoff) or another
   * AppError (retried too, recorded on the task) otherwise.
   */
  acknowledge?(account: StoreAccountConfig, request: AckRequest): Promise<void>;
}

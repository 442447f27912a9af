-- CreateEnum
CREATE TYPE "Store" AS ENUM ('HUAWEI', 'NOWGG', 'HUYA');

-- CreateEnum
CREATE TYPE "StoreEnvironment" AS ENUM ('SANDBOX', 'PRODUCTION');

-- CreateEnum
CREATE TYPE "ApiKeyRole" AS ENUM ('SERVER', 'CLIENT');

-- CreateEnum
CREATE TYPE "ProductType" AS ENUM ('CONSUMABLE', 'NON_CONSUMABLE', 'AUTO_RENEWABLE', 'NON_RENEWING', 'TIME_LIMITED', 'REVENUE_SHARE');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('AWAITING_PRODUCT', 'DELIVERED', 'FINISHED', 'REVOKED');

-- CreateEnum
CREATE TYPE "FinishMode" AS ENUM ('SERVER', 'CLIENT', 'NONE');

-- CreateEnum
CREATE TYPE "EntitlementKind" AS ENUM ('CONSUMABLE', 'PERMANENT', 'EXPIRING');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('PENDING', 'DONE', 'DEAD');

-- CreateTable
CREATE TABLE "App" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "playerTokenSecret" TEXT NOT NULL,
    "playerTokenHmacKey" TEXT,
    "playerTokenJwksUrl" TEXT,
    "rateLimitPerMinute" INTEGER NOT NULL DEFAULT 600,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "App_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "role" "ApiKeyRole" NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StoreAccount" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "store" "Store" NOT NULL,
    "environment" "StoreEnvironment" NOT NULL,
    "name" TEXT NOT NULL,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "sealedSecrets" TEXT NOT NULL,
    "apiBaseUrl" TEXT,
    "trustedRootsPem" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StoreAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Product" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "storeAccountId" UUID,
    "store" "Store" NOT NULL,
    "sku" TEXT NOT NULL,
    "storeProductId" TEXT NOT NULL,
    "type" "ProductType" NOT NULL,
    "name" TEXT NOT NULL,
    "timeLevels" JSONB,
    "revenueTiers" JSONB,
    "monthlyCap" BIGINT,
    "grantQuantity" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "appId" UUID NOT NULL,
    "storeAccountId" UUID NOT NULL,
    "store" "Store" NOT NULL,
    "environment" "StoreEnvironment" NOT NULL,
    "storeOrderId" TEXT NOT NULL,
    "storeProductId" TEXT NOT NULL,
    "productId" UUID,
    "productType" "ProductType",
    "playerId" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL DEFAULT 1,
    "amountMinor" BIGINT,
    "currency" TEXT,
    "purchaseToken" TEXT,
    "purchasedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "status" "OrderStatus" NOT NULL,
    "finishMode" "FinishMode" NOT NULL,
    "finishParams" JSONB,
    "deliveredAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "revocationReason" TEXT,
    "verifiedPayload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Entitlement" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "playerId" TEXT NOT NULL,
    "productId" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "kind" "EntitlementKind" NOT NULL,
    "quantity" INTEGER NOT NULL DEFAULT 1,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "grantKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Entitlement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderEvent" (
    "id" BIGSERIAL NOT NULL,
    "appId" UUID NOT NULL,
    "orderId" UUID,
    "type" TEXT NOT NULL,
    "playerId" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrderEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Task" (
    "id" UUID NOT NULL,
    "appId" UUID,
    "kind" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "status" "TaskStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 30,
    "runAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "leaseOwner" TEXT,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskAttempt" (
    "id" BIGSERIAL NOT NULL,
    "taskId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,
    "worker" TEXT NOT NULL,

    CONSTRAINT "TaskAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StoreNotification" (
    "id" UUID NOT NULL,
    "storeAccountId" UUID NOT NULL,
    "externalId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "processedAt" TIMESTAMP(3),
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StoreNotification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "sealedSecret" TEXT NOT NULL,
    "eventTypes" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HuyaStatSession" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "profileId" TEXT NOT NULL,
    "giftIds" TEXT[],
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "HuyaStatSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HuyaGiftRevenue" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "profileId" TEXT NOT NULL,
    "sessionId" UUID NOT NULL,
    "eventId" TEXT NOT NULL,
    "giftId" TEXT NOT NULL,
    "beans" BIGINT NOT NULL,
    "month" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HuyaGiftRevenue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HuyaMonthlyBill" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "profileId" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "confirmedTier" INTEGER,
    "firstUseConfirmed" TIMESTAMP(3),
    "paidBeans" BIGINT NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HuyaMonthlyBill_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "ApiKey_appId_idx" ON "ApiKey"("appId");

-- CreateIndex
CREATE INDEX "StoreAccount_appId_idx" ON "StoreAccount"("appId");

-- CreateIndex
CREATE UNIQUE INDEX "StoreAccount_appId_store_environment_name_key" ON "StoreAccount"("appId", "store", "environment", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Product_appId_store_sku_key" ON "Product"("appId", "store", "sku");

-- CreateIndex
CREATE UNIQUE INDEX "Product_appId_store_storeProductId_key" ON "Product"("appId", "store", "storeProductId");

-- CreateIndex
CREATE UNIQUE INDEX "Order_seq_key" ON "Order"("seq");

-- CreateIndex
CREATE INDEX "Order_appId_seq_idx" ON "Order"("appId", "seq");

-- CreateIndex
CREATE INDEX "Order_appId_playerId_seq_idx" ON "Order"("appId", "playerId", "seq");

-- CreateIndex
CREATE INDEX "Order_appId_status_seq_idx" ON "Order"("appId", "status", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Order_storeAccountId_storeOrderId_key" ON "Order"("storeAccountId", "storeOrderId");

-- CreateIndex
CREATE INDEX "Entitlement_appId_playerId_idx" ON "Entitlement"("appId", "playerId");

-- CreateIndex
CREATE INDEX "Entitlement_orderId_idx" ON "Entitlement"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "Entitlement_appId_grantKey_key" ON "Entitlement"("appId", "grantKey");

-- CreateIndex
CREATE INDEX "OrderEvent_appId_id_idx" ON "OrderEvent"("appId", "id");

-- CreateIndex
CREATE INDEX "OrderEvent_orderId_id_idx" ON "OrderEvent"("orderId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Task_dedupeKey_key" ON "Task"("dedupeKey");

-- CreateIndex
CREATE INDEX "Task_status_runAt_idx" ON "Task"("status", "runAt");

-- CreateIndex
CREATE INDEX "Task_appId_kind_idx" ON "Task"("appId", "kind");

-- CreateIndex
CREATE INDEX "TaskAttempt_taskId_attempt_idx" ON "TaskAttempt"("taskId", "attempt");

-- CreateIndex
CREATE UNIQUE INDEX "StoreNotification_storeAccountId_externalId_key" ON "StoreNotification"("storeAccountId", "externalId");

-- CreateIndex
CREATE INDEX "WebhookEndpoint_appId_idx" ON "WebhookEndpoint"("appId");

-- CreateIndex
CREATE INDEX "HuyaStatSession_appId_productId_profileId_idx" ON "HuyaStatSession"("appId", "productId", "profileId");

-- CreateIndex
CREATE INDEX "HuyaGiftRevenue_appId_productId_profileId_month_idx" ON "HuyaGiftRevenue"("appId", "productId", "profileId", "month");

-- CreateIndex
CREATE UNIQUE INDEX "HuyaGiftRevenue_appId_eventId_key" ON "HuyaGiftRevenue"("appId", "eventId");

-- CreateIndex
CREATE UNIQUE INDEX "HuyaMonthlyBill_appId_productId_profileId_month_key" ON "HuyaMonthlyBill"("appId", "productId", "profileId", "month");

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StoreAccount" ADD CONSTRAINT "StoreAccount_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Product" ADD CONSTRAINT "Product_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Product" ADD CONSTRAINT "Product_storeAccountId_fkey" FOREIGN KEY ("storeAccountId") REFERENCES "StoreAccount"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_storeAccountId_fkey" FOREIGN KEY ("storeAccountId") REFERENCES "StoreAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Entitlement" ADD CONSTRAINT "Entitlement_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Entitlement" ADD CONSTRAINT "Entitlement_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Entitlement" ADD CONSTRAINT "Entitlement_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderEvent" ADD CONSTRAINT "OrderEvent_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderEvent" ADD CONSTRAINT "OrderEvent_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskAttempt" ADD CONSTRAINT "TaskAttempt_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StoreNotification" ADD CONSTRAINT "StoreNotification_storeAccountId_fkey" FOREIGN KEY ("storeAccountId") REFERENCES "StoreAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookEndpoint" ADD CONSTRAINT "WebhookEndpoint_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

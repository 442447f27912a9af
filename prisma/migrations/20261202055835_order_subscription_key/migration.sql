-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "subscriptionKey" TEXT;

-- CreateIndex
CREATE INDEX "Order_storeAccountId_subscriptionKey_idx" ON "Order"("storeAccountId", "subscriptionKey");

-- CreateIndex
CREATE INDEX "Order_store_deliveredAt_idx" ON "Order"("store", "deliveredAt");

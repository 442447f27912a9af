-- AlterTable
ALTER TABLE "HuyaMonthlyBill" ADD COLUMN     "terms" JSONB;

-- CreateTable
CREATE TABLE "HuyaBillPayment" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "profileId" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "paymentId" TEXT NOT NULL,
    "beans" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HuyaBillPayment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HuyaBillPayment_appId_productId_profileId_month_idx" ON "HuyaBillPayment"("appId", "productId", "profileId", "month");

-- CreateIndex
CREATE UNIQUE INDEX "HuyaBillPayment_appId_paymentId_key" ON "HuyaBillPayment"("appId", "paymentId");

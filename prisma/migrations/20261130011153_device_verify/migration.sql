-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "DeviceState" ADD VALUE 'VERIFYING';
ALTER TYPE "DeviceState" ADD VALUE 'VERIFY_FAILED';

-- AlterTable
ALTER TABLE "device" ADD COLUMN     "verify_failed_at" TIMESTAMP(3);

-- AlterEnum
ALTER TYPE "ClaimMode" ADD VALUE 'DEVICE_CSR';

-- AlterEnum
ALTER TYPE "DeviceState" ADD VALUE 'AWAITING_CSR' BEFORE 'QUEUED';

-- AlterTable
ALTER TABLE "device" ADD COLUMN     "csr_pem" TEXT,
ADD COLUMN     "csr_received_at" TIMESTAMP(3);

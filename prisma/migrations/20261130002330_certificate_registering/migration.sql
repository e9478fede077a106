-- AlterEnum
ALTER TYPE "CertificateStatus" ADD VALUE 'REGISTERING';

-- AlterTable
ALTER TABLE "certificate" ADD COLUMN     "registering_at" TIMESTAMP(3);

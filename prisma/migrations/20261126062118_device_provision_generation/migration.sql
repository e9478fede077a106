-- AlterTable
ALTER TABLE "device" ADD COLUMN     "provision_generation" INTEGER NOT NULL DEFAULT 0;

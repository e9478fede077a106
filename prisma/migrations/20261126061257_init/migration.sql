-- CreateEnum
CREATE TYPE "PayloadFormat" AS ENUM ('JSON', 'CBOR');

-- CreateEnum
CREATE TYPE "ClaimMode" AS ENUM ('CREATE_KEYS', 'CSR');

-- CreateEnum
CREATE TYPE "KeyAlgorithm" AS ENUM ('EC_P256', 'RSA_2048');

-- CreateEnum
CREATE TYPE "DeviceState" AS ENUM ('QUEUED', 'CLAIMING', 'CERT_ISSUED', 'REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "CertificateStatus" AS ENUM ('ISSUED', 'ACTIVE', 'ORPHANED', 'REVOKED', 'SHREDDED');

-- CreateEnum
CREATE TYPE "ApiKeyRole" AS ENUM ('MES', 'STATION', 'ADMIN', 'VIEWER');

-- CreateTable
CREATE TABLE "batch" (
    "id" UUID NOT NULL,
    "external_ref" TEXT NOT NULL,
    "template_name" TEXT NOT NULL,
    "template_parameters" JSONB NOT NULL DEFAULT '{}',
    "payload_format" "PayloadFormat" NOT NULL DEFAULT 'JSON',
    "mode" "ClaimMode" NOT NULL DEFAULT 'CREATE_KEYS',
    "key_algorithm" "KeyAlgorithm" NOT NULL DEFAULT 'EC_P256',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "requested_by_key_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    "cancelled_at" TIMESTAMP(3),

    CONSTRAINT "batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device" (
    "id" UUID NOT NULL,
    "serial" TEXT NOT NULL,
    "batch_id" UUID NOT NULL,
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "state" "DeviceState" NOT NULL DEFAULT 'QUEUED',
    "thing_name" TEXT,
    "device_configuration" JSONB,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error_code" TEXT,
    "last_error_message" TEXT,
    "last_error_retryable" BOOLEAN,
    "downloaded_by_station_id" UUID,
    "burn_log_digest" TEXT,
    "queued_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claiming_at" TIMESTAMP(3),
    "cert_issued_at" TIMESTAMP(3),
    "registered_at" TIMESTAMP(3),
    "downloaded_at" TIMESTAMP(3),
    "burned_at" TIMESTAMP(3),
    "burn_failed_at" TIMESTAMP(3),
    "failed_at" TIMESTAMP(3),
    "cancelled_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "device_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "certificate" (
    "id" UUID NOT NULL,
    "certificate_id" TEXT NOT NULL,
    "device_id" UUID NOT NULL,
    "certificate_pem" TEXT NOT NULL,
    "status" "CertificateStatus" NOT NULL DEFAULT 'ISSUED',
    "private_key_ciphertext" BYTEA,
    "private_key_wrapped_key" BYTEA,
    "private_key_kek_id" TEXT,
    "private_key_algorithm" TEXT,
    "ownership_token_ciphertext" BYTEA,
    "ownership_token_wrapped_key" BYTEA,
    "ownership_token_kek_id" TEXT,
    "ownership_token_algorithm" TEXT,
    "ownership_token_expires_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMP(3),
    "orphaned_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "shredded_at" TIMESTAMP(3),

    CONSTRAINT "certificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "role" "ApiKeyRole" NOT NULL,
    "station_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "station" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "line" TEXT,
    "public_key" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "station_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_station" (
    "batch_id" UUID NOT NULL,
    "station_id" UUID NOT NULL,

    CONSTRAINT "batch_station_pkey" PRIMARY KEY ("batch_id","station_id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "device_id" UUID,
    "batch_id" UUID,
    "origin" TEXT,
    "details" JSONB,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_record" (
    "api_key_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER NOT NULL,
    "response_body" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_record_pkey" PRIMARY KEY ("api_key_id","key")
);

-- CreateIndex
CREATE INDEX "batch_external_ref_idx" ON "batch"("external_ref");

-- CreateIndex
CREATE INDEX "batch_created_at_idx" ON "batch"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "device_serial_key" ON "device"("serial");

-- CreateIndex
CREATE INDEX "device_batch_id_state_idx" ON "device"("batch_id", "state");

-- CreateIndex
CREATE INDEX "device_state_idx" ON "device"("state");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_certificate_id_key" ON "certificate"("certificate_id");

-- CreateIndex
CREATE INDEX "certificate_device_id_idx" ON "certificate"("device_id");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_one_active_per_device" ON "certificate"("device_id") WHERE (status = 'ACTIVE');

-- CreateIndex
CREATE UNIQUE INDEX "api_key_prefix_key" ON "api_key"("prefix");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_secret_hash_key" ON "api_key"("secret_hash");

-- CreateIndex
CREATE UNIQUE INDEX "station_name_key" ON "station"("name");

-- CreateIndex
CREATE INDEX "audit_event_device_id_at_idx" ON "audit_event"("device_id", "at");

-- CreateIndex
CREATE INDEX "audit_event_batch_id_at_idx" ON "audit_event"("batch_id", "at");

-- AddForeignKey
ALTER TABLE "batch" ADD CONSTRAINT "batch_requested_by_key_id_fkey" FOREIGN KEY ("requested_by_key_id") REFERENCES "api_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device" ADD CONSTRAINT "device_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batch"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device" ADD CONSTRAINT "device_downloaded_by_station_id_fkey" FOREIGN KEY ("downloaded_by_station_id") REFERENCES "station"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_station_id_fkey" FOREIGN KEY ("station_id") REFERENCES "station"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_station" ADD CONSTRAINT "batch_station_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_station" ADD CONSTRAINT "batch_station_station_id_fkey" FOREIGN KEY ("station_id") REFERENCES "station"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batch"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_record" ADD CONSTRAINT "idempotency_record_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_key"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AuditEvent is append-only: the database itself refuses to change or delete history.
CREATE FUNCTION "audit_event_is_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_event_append_only"
  BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_is_append_only"();

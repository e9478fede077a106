-- Issue 12, the maintenance queue. A revoked certificate is REVOKING until AWS confirmed the revocation
-- (UpdateCertificate REVOKED + detached), then REVOKED. `aws_settled_at` records when AWS confirmed the
-- clean-up of a REVOKED or ORPHANED certificate (revoked and detached; deactivated and deleted, or gone).
ALTER TYPE "CertificateStatus" ADD VALUE 'REVOKING' AFTER 'ACTIVE';

ALTER TABLE "certificate" ADD COLUMN "revoking_at" TIMESTAMP(3);
ALTER TABLE "certificate" ADD COLUMN "aws_settled_at" TIMESTAMP(3);

-- The maintenance scan: REVOKING, REVOKED and ORPHANED certificates whose AWS clean-up is pending.
CREATE INDEX "certificate_status_aws_settled_at_idx" ON "certificate"("status", "aws_settled_at");

-- Certificates that will never be handed out keep no key (from now on shredded in the statement that
-- sets their status): the ISSUED certificates of FAILED units become ORPHANED, and the private keys and
-- tokens of every ORPHANED and REVOKED certificate are shredded here, each audited.
UPDATE "certificate" c SET "status" = 'ORPHANED', "orphaned_at" = now()
  FROM "device" d WHERE c."device_id" = d."id" AND d."state" = 'FAILED' AND c."status" = 'ISSUED';

WITH shredded AS (
  UPDATE "certificate" c
  SET "private_key_ciphertext" = NULL, "private_key_wrapped_key" = NULL,
      "ownership_token_ciphertext" = NULL, "ownership_token_wrapped_key" = NULL,
      "shredded_at" = now()
  FROM "device" d
  WHERE c."device_id" = d."id" AND c."status" IN ('ORPHANED', 'REVOKED')
    AND (c."private_key_ciphertext" IS NOT NULL OR c."ownership_token_ciphertext" IS NOT NULL)
  RETURNING c."certificate_id", d."id" AS device_id, d."batch_id"
)
INSERT INTO "audit_event" ("actor", "action", "device_id", "batch_id", "details")
SELECT 'system', 'certificate.key-shredded', device_id, batch_id,
  jsonb_build_object('certificateId', "certificate_id", 'reason', 'migration')
FROM shredded;

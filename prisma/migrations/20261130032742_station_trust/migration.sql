-- Station trust chain (issue 13): a signing key next to the seal key, replacements pending an admin's
-- approval, and the server's bundle-signing key (its private half sealed by the vault).
ALTER TABLE "station"
  ADD COLUMN "signing_public_key" TEXT,
  ADD COLUMN "pending_public_key" TEXT,
  ADD COLUMN "pending_signing_public_key" TEXT,
  ADD COLUMN "pending_since" TIMESTAMP(3);

CREATE TABLE "server_signing_key" (
  "id" UUID NOT NULL,
  "purpose" TEXT NOT NULL,
  "fingerprint" TEXT NOT NULL,
  "public_key" TEXT NOT NULL,
  "private_key_ciphertext" BYTEA NOT NULL,
  "private_key_wrapped_key" BYTEA NOT NULL,
  "private_key_kek_id" TEXT NOT NULL,
  "private_key_algorithm" TEXT NOT NULL,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "server_signing_key_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "server_signing_key_purpose_key" ON "server_signing_key"("purpose");

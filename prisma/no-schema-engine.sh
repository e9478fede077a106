#!/bin/sh
# Stand-in for Prisma's schema-engine binary where it cannot be downloaded. `prisma generate` only
# checks that the file exists; anything that would really run the engine gets this message instead.
echo "claimline: the schema-engine binary is not installed here; use 'pnpm db:migrate' (wasm engine)" >&2
exit 1

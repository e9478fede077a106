#!/usr/bin/env bash
# Installs what claimline needs on this machine. Idempotent and quick when nothing changed.
#   scripts/setup.sh          install, generate the Prisma client, build, migrate the database as the
#                             owner (MIGRATION_DATABASE_URL) and create the application role (DATABASE_URL)
#   scripts/setup.sh --tests  install and generate only (the tests migrate their own databases)
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("claimline needs Node.js >= 20.19 (found "+process.version+")"); process.exit(1) }'

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

pnpm install --frozen-lockfile --reporter=silent
pnpm --silent db:generate >/dev/null
bash scripts/services.sh

if [ "${1:-}" = "--tests" ]; then exit 0; fi

pnpm --silent exec turbo run build --output-logs=errors-only
pnpm --silent db:migrate

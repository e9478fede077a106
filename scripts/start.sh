#!/usr/bin/env bash
# The README's first command: set up this machine, then run claimline on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/run-local.mjs "$@"

#!/usr/bin/env bash
# pnpm test:containers: docker/ built and run with podman (docker/container-test.mjs). Exits 0 with a
# printed reason ("container test: skipped: ...") where podman or podman-compose cannot run here;
# CONTAINER_TEST_REQUIRED=1 turns a skip into a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/podman.sh
. docker/podman.sh
skip() {
  echo "container test: skipped: $*"
  [ "${CONTAINER_TEST_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
}
reason=$(podman_usable) || skip "$reason"
command -v podman-compose >/dev/null 2>&1 || skip "podman-compose is not installed (apt-get install podman-compose)"
command -v debootstrap >/dev/null 2>&1 || skip "debootstrap is not installed (apt-get install debootstrap)"
exec node docker/container-test.mjs "$@"

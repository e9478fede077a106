#!/usr/bin/env bash
# Makes sure the local PostgreSQL and Redis answer, starting them if this machine has them installed
# but stopped. Idempotent. Skipped for servers that are not on this machine (DATABASE_URL/REDIS_URL
# pointing elsewhere): those are the operator's to run.
set -euo pipefail

db_url="${MIGRATION_DATABASE_URL:-${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/claimline}}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
is_local() { [[ "$1" =~ @?(127\.0\.0\.1|localhost)(:|/|$) ]]; }

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "services: $name did not come up" >&2; return 1
}

if is_local "$db_url" && command -v pg_isready >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
  fi
fi

if is_local "$redis_url" && command -v redis-server >/dev/null; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
  fi
fi

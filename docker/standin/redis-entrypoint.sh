#!/bin/sh
# Stand-in for the official redis image's entry point (docker/local-images.sh): redis-server without
# a configuration file gets --protected-mode no, so other containers can connect.
set -e
if [ "${1:-}" = redis-server ]; then
  case "${2:-}" in
    *.conf) ;;
    *) shift; set -- redis-server --protected-mode no "$@" ;;
  esac
fi
exec "$@"

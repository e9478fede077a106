# Sourced by docker/local-images.sh and the container test: podman with this repository's settings
# (docker/standin/containers.conf) and nothing of the system's configuration changed.
export CONTAINERS_CONF
CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/standin/containers.conf"
# Docker Hub is unreachable here: never try to pull (a missing image is an error, not a download).
export CLAIMLINE_PULL_POLICY=${CLAIMLINE_PULL_POLICY:-never}

# podman_usable: prints why not and returns 1 when podman cannot run a container here.
podman_usable() {
  command -v podman >/dev/null 2>&1 || { echo "podman is not installed"; return 1; }
  command -v runc >/dev/null 2>&1 || { echo "runc is not installed (apt-get install runc: docker/standin/containers.conf selects it)"; return 1; }
  [ "$(id -u)" = 0 ] || { echo "not root (the container test runs rootful podman)"; return 1; }
  podman info >/dev/null 2>&1 || { echo "podman info failed: $(podman info 2>&1 | tail -1)"; return 1; }
}

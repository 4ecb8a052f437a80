#!/usr/bin/env bash
# Drydock's one test command: installs what the tests need (Debian packages), then runs the
# whole workspace test suite. Used as-is by CI (.ci/run) and by developers.
set -euo pipefail
cd "$(dirname "$0")/.."

# System components the tests use for real: dpkg (version reference), debootstrap (a real
# Debian rootfs), skopeo (independent check of the images the tests build), buildah (real
# images built from the Dockerfiles of the misconfiguration tests), docker-registry with
# apache2-utils and openssl (a real registry, with htpasswd and token auth, for pulls), rpm
# (reference for rpmdb listings and rpmvercmp).
need=()
command -v dpkg >/dev/null || need+=(dpkg)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v skopeo >/dev/null || need+=(skopeo)
command -v zstd >/dev/null || need+=(zstd)
command -v buildah >/dev/null || need+=(buildah)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v openssl >/dev/null || need+=(openssl)
command -v rpm >/dev/null || need+=(rpm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "installing test dependencies: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The shared real data lives beside the repository.
export DRYDOCK_SHARED="${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}"
if [ ! -d "$DRYDOCK_SHARED/feeds" ]; then
  echo "error: real test data not found at $DRYDOCK_SHARED (set DRYDOCK_SHARED)" >&2
  exit 1
fi

cargo test --workspace --locked --no-fail-fast "$@"

#!/usr/bin/env bash
# bench/image.sh — build (once) the realistic multi-layer benchmark image; print its path.
#
# Usage: bench/image.sh [none|gzip]       (layer compression; default none, like `docker save`)
#
# The image is a docker-archive (legacy `docker save` layout) of three layers, cached in
# $DRYDOCK_CACHE/bench (default ~/.cache/drydock-test/bench), never in the repository:
#   1. a Debian bookworm `debootstrap --variant=minbase` rootfs (drydock-testkit's cached one);
#   2. `apt-get install` in a chroot of that rootfs (python3, pip, git, curl, build-essential,
#      ...), as a real diff layer: changed files + whiteouts (apt lists removed as a Dockerfile
#      would);
#   3. an /app layer: old PyPI wheels installed with pip (--target) and old npm packages.
# Needs root (chroot, mount), network access to the Debian mirror, PyPI and npm; ~3-5 min the
# first time. Delete the cache dir (or set BENCH_IMAGE_REBUILD=1) to rebuild.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compression=${1:-none}
case $compression in none | gzip) ;; *) die "usage: bench/image.sh [none|gzip]" ;; esac

# Bump when the recipe changes, so cached images are rebuilt.
RECIPE=v1
APT_PACKAGES="python3 python3-pip python3-venv git curl ca-certificates openssl build-essential"
PIP_PACKAGES=(requests==2.19.1 urllib3==1.23 idna==2.7 chardet==3.0.4 certifi==2018.4.16
  Django==2.2 Jinja2==2.10 Flask==0.12.2 Werkzeug==0.14.1)
NPM_PACKAGES=(lodash@4.17.4 minimist@0.0.8 express@4.16.0)

layers=$BENCH_CACHE/layers-bookworm-$RECIPE
image=$BENCH_CACHE/image-bookworm-$RECIPE-$compression.tar

if [[ -n ${BENCH_IMAGE_REBUILD:-} ]]; then
  rm -rf "$layers" "$image"
fi
if [[ -s $image ]]; then
  echo "$image"
  exit 0
fi
[[ $(id -u) == 0 ]] || die "building the benchmark image needs root (chroot)"
testkit=$(testkit_bin)

if [[ ! -s $layers/3-app.tar ]]; then
  say "building benchmark layers in $layers"
  rm -rf "$layers" && mkdir -p "$layers"
  base=$("$testkit" debian-rootfs bookworm)
  work=$(mktemp -d "$BENCH_CACHE/build.XXXXXX")
  root=$work/root
  cleanup() {
    for m in "$root/proc" "$root/sys" "$root/dev/pts"; do
      if mountpoint -q "$m" 2>/dev/null; then umount -l "$m"; fi
    done
    rm -rf "$work"
  }
  trap cleanup EXIT

  # Layer 2: apt-get install in a chroot of the base, then diff against the base tar.
  mkdir -p "$root"
  tar --numeric-owner -xf "$base" -C "$root"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  say "apt-get install $APT_PACKAGES"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $APT_PACKAGES \
           && apt-get clean" >"$work/apt.log" 2>&1 \
    || { tail -20 "$work/apt.log" >&2; die "apt-get install in the chroot failed"; }
  umount -l "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/*
  "$testkit" diff-layer "$base" "$root" "$layers/2-apt.tar.partial" >&2
  mv "$layers/2-apt.tar.partial" "$layers/2-apt.tar"

  # Layer 3: an application directory with old Python and npm packages.
  need npm npm
  app=$work/app/app
  mkdir -p "$app/python"
  say "pip install --target /app/python ${PIP_PACKAGES[*]}"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --only-binary=:all: \
    --target "$app/python" "${PIP_PACKAGES[@]}" >&2
  say "npm install ${NPM_PACKAGES[*]}"
  (cd "$app" && printf '{"name":"bench-app","version":"1.0.0","private":true}\n' >package.json \
    && npm install --silent --no-audit --no-fund "${NPM_PACKAGES[@]}" >&2)
  "$testkit" layer-from-dir "$work/app" "$layers/3-app.tar" >&2
  cp "$base" "$layers/1-base.tar"
  cleanup
  trap - EXIT
fi

say "writing $image"
"$testkit" docker-archive "$image.partial" --compression "$compression" \
  --tag drydock-bench/bookworm:$RECIPE \
  --history "debootstrap --variant=minbase bookworm /" \
  --history "RUN apt-get install -y $APT_PACKAGES && rm -rf /var/lib/apt/lists/*" \
  --history "COPY app /app" \
  "$layers/1-base.tar" "$layers/2-apt.tar" "$layers/3-app.tar" >&2
mv "$image.partial" "$image"
echo "$image"

#!/usr/bin/env bash
# bench/memory.sh — peak memory of `drydock image` on an image with a million files.
#
# Usage: bench/memory.sh [n-files]        (default 1000000)
#
# Environment:
#   BENCH_SKIP=syft   leave out the syft comparison
#   DRYDOCK_BIN, DRYDOCK_CACHE, DRYDOCK_SHARED, CI   see bench/lib.sh
#
# Builds once (cached in $DRYDOCK_CACHE/bench, ~1 GB for a million files, a few seconds) a
# docker-archive of two layers: the Alpine 3.20.3 minirootfs and a layer of n small files in a
# node_modules tree (drydock-testkit million-files-layer: 100 npm packages). Then runs
# `drydock image <tar> --format json --output /dev/null --db <db>` (and syft, for comparison)
# under /usr/bin/time -v and prints peak RSS and wall time.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=${1:-1000000}
skip=",${BENCH_SKIP:-},"
need /usr/bin/time time
testkit=$(testkit_bin)

image=$BENCH_CACHE/million-$n.tar
if [[ ! -s $image ]]; then
  say "building $image"
  tmp=$(mktemp -d "$BENCH_CACHE/million.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$testkit" million-files-layer "$tmp/files.tar" "$n" >&2
  "$testkit" docker-archive "$image.partial" --tag "drydock-bench/million:$n" \
    --history "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /" \
    --history "COPY node_modules /app/node_modules" \
    "$SHARED/rootfs/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" "$tmp/files.tar" >&2
  mv "$image.partial" "$image"
  rm -rf "$tmp"
  trap - EXIT
fi
size=$(stat -c %s "$image")

# measure NAME CMD...: run under /usr/bin/time -v, print peak RSS and wall time.
measure() {
  local name=$1 out
  shift
  out=$(mktemp)
  if ! /usr/bin/time -v -o "$out" "$@" >/dev/null 2>"$out.err"; then
    tail -20 "$out.err" >&2
    rm -f "$out" "$out.err"
    die "$name failed"
  fi
  awk -v name="$name" -F': ' '
    /Maximum resident set size/ { rss = $2 }
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + t[k] }
    END { printf "  %-8s peak RSS %7.1f MiB   wall %7.2f s\n", name, rss / 1024, s }' "$out"
  rm -f "$out" "$out.err"
}

echo "memory benchmark: $(basename "$image") ($n files + Alpine 3.20.3, $(human "$size"))"
if [[ $skip != *,drydock,* ]]; then
  drydock=$(drydock_bin)
  "$drydock" image --help >/dev/null 2>&1 || die "$drydock has no 'image' command yet"
  db=$(drydock_db "$drydock")
  measure drydock "$drydock" image "$image" --format json --output /dev/null --db "$db"
fi
if [[ $skip != *,syft,* ]]; then
  syft=$(syft_bin)
  measure syft env SYFT_CHECK_FOR_APP_UPDATE=false "$syft" -q "docker-archive:$image" -o json
fi

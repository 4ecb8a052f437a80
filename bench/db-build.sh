#!/usr/bin/env bash
# bench/db-build.sh — time `drydock db build` over the real feeds and report the DB size.
#
# Usage: bench/db-build.sh
#
# Environment:
#   BENCH_RUNS=3     how many builds to time (each into a fresh temp file)
#   DRYDOCK_BIN, DRYDOCK_SHARED, CI   see bench/lib.sh
#
# Runs `drydock db build --from $DRYDOCK_SHARED/feeds --db <tmp>/drydock.db` BENCH_RUNS times
# under /usr/bin/time -v, then prints wall time (min/mean), peak RSS and the DB file size.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=${BENCH_RUNS:-3}
need /usr/bin/time time
[[ -d $SHARED/feeds ]] || die "no feeds at $SHARED/feeds"
drydock=$(drydock_bin)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

walls=()
rss=0
for ((i = 1; i <= runs; i++)); do
  rm -f "$tmp/drydock.db"
  if ! /usr/bin/time -v -o "$tmp/time.txt" \
    "$drydock" db build --from "$SHARED/feeds" --db "$tmp/drydock.db" >"$tmp/out.txt" 2>&1; then
    tail -20 "$tmp/out.txt" >&2
    die "drydock db build failed"
  fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, t, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + t[k]; print s }' "$tmp/time.txt")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time.txt")
  ((kb > rss)) && rss=$kb
  walls+=("$wall")
  in_ci || say "run $i: ${wall} s, peak RSS $((kb / 1024)) MiB"
done

size=$(stat -c %s "$tmp/drydock.db")
python3 - "$size" "$rss" "${walls[@]}" <<'EOF'
import sys
size, rss, walls = int(sys.argv[1]), int(sys.argv[2]), [float(w) for w in sys.argv[3:]]
print(f"db build: {len(walls)} runs, min {min(walls):.2f} s, mean {sum(walls)/len(walls):.2f} s, "
      f"peak RSS {rss/1024:.0f} MiB, DB size {size/1048576:.1f} MiB ({size} bytes)")
EOF

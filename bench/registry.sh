#!/usr/bin/env bash
# bench/registry.sh — cold pull+scan of the real Debian bench image from a local registry,
# against the I/O floor: `skopeo copy` of the same image from the same registry to an OCI dir.
#
# Usage: bench/registry.sh
#
# Environment:
#   BENCH_RUNS=5          hyperfine runs per command (plus 1 warm-up)
#   PULL_SCAN_BIN=        the scanner to time (default: the drydock-registry example
#                         `pull_scan`, built in release mode); it is run as
#                         `$PULL_SCAN_BIN --plain-http <ref>` and `$PULL_SCAN_BIN --file <tar>`
#   DRYDOCK_CACHE, DRYDOCK_SHARED, CI   see bench/lib.sh
#
# Uses (or builds, with bench/image.sh gzip) $DRYDOCK_CACHE/bench/image-bookworm-v1-gzip.tar,
# starts Debian's docker-registry on 127.0.0.1 (free port, temp storage), pushes the image
# with skopeo, then runs hyperfine on:
#   skopeo   skopeo copy docker://127.0.0.1:PORT/bench/debian:12 oci:<dir>   (the I/O floor:
#            every blob downloaded, digest-checked and written; <dir> removed before each run)
#   drydock  pull_scan --plain-http 127.0.0.1:PORT/bench/debian:12   (resolve, stream every
#            layer once through the layer walker, inventory; nothing written to disk)
#   local    pull_scan --file <image tar>   (the same scan of the tarball: what the registry
#            adds on top of scanning)
#   warm     drydock image 127.0.0.1:PORT/bench/debian:12 --insecure (the real CLI, full scan
#            with vulnerability matching and JSON report) with a layer cache primed by one
#            earlier run: manifest request only, no blob downloaded (goal: < 100 ms)
# The first three are cold (no cache of ours); all read files through the page cache.
# Prints mean times and the ratios drydock/skopeo and drydock/local. hyperfine JSON in
# $DRYDOCK_CACHE/bench/registry.json.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=${BENCH_RUNS:-5}
need hyperfine hyperfine
need skopeo skopeo
need /usr/bin/docker-registry docker-registry

image=$BENCH_CACHE/image-bookworm-v1-gzip.tar
if [[ ! -s $image ]]; then
  image=$("$BENCH_DIR/image.sh" gzip)
fi
size=$(stat -c %s "$image")
say "image: $image ($(human "$size"))"

if [[ -n ${PULL_SCAN_BIN:-} ]]; then
  scanner=$PULL_SCAN_BIN
else
  # shellcheck disable=SC2046
  (cd "$REPO" && cargo build --release $(cargo_quiet) -p drydock-registry --example pull_scan) >&2
  scanner=$REPO/target/release/examples/pull_scan
fi
[[ -x $scanner ]] || die "no scanner at $scanner"

work=$(mktemp -d "$BENCH_CACHE/registry.XXXXXX")
reg_pid=
cleanup() {
  if [[ -n $reg_pid ]]; then
    kill "$reg_pid" 2>/dev/null || true
    wait "$reg_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
  secret: drydock-bench
EOF
/usr/bin/docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || die "docker-registry did not start: $(cat "$work/registry.log")"

ref=127.0.0.1:$port/bench/debian:12
say "pushing to $ref"
skopeo --insecure-policy copy --quiet --dest-tls-verify=false \
  "docker-archive:$image" "docker://$ref" >&2

say "one scan, for the record:"
"$scanner" --plain-http "$ref" | tee "$work/scan.json" >&2

drydock=$(drydock_bin)
db=$(drydock_db "$drydock")
warm_cache=$work/warm-cache
"$drydock" image "$ref" --insecure --db "$db" -q -f json -o /dev/null --cache-dir "$warm_cache"

json=$BENCH_CACHE/registry.json
args=(--warmup 1 --runs "$runs" --export-json "$json")
if in_ci; then args+=(--style none); fi
# one --prepare per command, in order: the floor starts from an empty OCI dir each run
hyperfine "${args[@]}" \
  --prepare "rm -rf $work/oci" --prepare true --prepare true --prepare true \
  --command-name skopeo --command-name drydock --command-name local --command-name warm \
  "skopeo --insecure-policy copy --quiet --src-tls-verify=false docker://$ref oci:$work/oci:latest" \
  "$scanner --plain-http $ref >/dev/null" \
  "$scanner --file $image >/dev/null" \
  "$drydock image $ref --insecure --db $db -q -f json -o /dev/null --cache-dir $warm_cache" >&2

echo "registry benchmark: $(basename "$image") ($(human "$size")) from docker-registry on 127.0.0.1, $runs runs"
python3 - "$json" "$work/scan.json" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
scan = json.load(open(sys.argv[2]))
for name, r in res.items():
    print(f"  {name:8} {r['mean']:8.3f} s ± {r['stddev'] or 0:.3f}  (min {r['min']:.3f}, max {r['max']:.3f};"
          f" CPU user {r['user']:.3f} s + sys {r['system']:.3f} s)")
print(f"  drydock pulled {scan['layers']} layers ({scan['compressed_bytes'] / 2**20:.1f} MiB), "
      f"found {scan['packages']} packages ({scan['os']}) in {scan['requests']} requests")
if "warm" in res:
    print(f"  warm re-scan (cached layers, full CLI scan): {res['warm']['mean'] * 1000:.0f} ms"
          f" (goal < 100 ms)")
for other in ("skopeo", "local"):
    if "drydock" in res and other in res:
        print(f"  drydock / {other:6} = {res['drydock']['mean'] / res[other]['mean']:.2f}")
EOF

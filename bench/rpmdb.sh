#!/usr/bin/env bash
# rpmdb parsing benchmark: a 1,000-package SQLite rpmdb (made with Debian's `rpm --initdb`,
# filled with the 129 real CBL-Mariner headers repeated) and the real samples in ../shared
# (SQLite 129 packages, BerkeleyDB 1, ndb 35). Debian's rpm cannot write BerkeleyDB or ndb,
# so those formats are measured on the real samples and extrapolated per package.
# Needs: rpm, python3. Usage: bench/rpmdb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sqlite"
rpm --initdb --dbpath "$work/sqlite"
python3 - "$SHARED/rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite" "$work/sqlite/rpmdb.sqlite" <<'PY'
import sqlite3, sys
src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro&immutable=1", uri=True)
blobs = [b for (b,) in src.execute("SELECT blob FROM Packages ORDER BY hnum")]
dst = sqlite3.connect(sys.argv[2])
for i in range(1000):
    dst.execute("INSERT INTO Packages (hnum, blob) VALUES (?, ?)", (i + 1, blobs[i % len(blobs)]))
dst.commit()
PY
echo "rpm -qa on the generated DB: $(rpm -qa --dbpath "$work/sqlite" | wc -l) packages"
cargo run --release -q -p drydock-inventory --example rpmdb_bench -- \
  "$work/sqlite/rpmdb.sqlite" \
  "$SHARED/rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite" \
  "$SHARED/rootfs/rpmdb/libuuid/Packages" \
  "$SHARED/rootfs/rpmdb/sle15-bci/Packages.db"

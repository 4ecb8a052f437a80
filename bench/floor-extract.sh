#!/usr/bin/env bash
# bench/floor-extract.sh — the floor for scanning a docker-archive: unpack it into tmpfs.
#
# Usage: bench/floor-extract.sh <image.tar>
#
# Extracts the archive into a fresh directory under /dev/shm, then extracts every layer listed
# in manifest.json, in order, into one rootfs (GNU tar detects gzip/zstd layers by itself;
# whiteouts are not applied), then deletes everything. Any scanner has to at least read every
# layer once; this is the cost of doing just that, with the kernel's fastest filesystem.
set -euo pipefail
image=${1:?usage: floor-extract.sh <image.tar>}
dir=$(mktemp -d /dev/shm/drydock-floor.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/image" "$dir/rootfs"
tar -xf "$image" -C "$dir/image"
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[0]["Layers"]))' \
  "$dir/image/manifest.json" | while IFS= read -r layer; do
  tar --numeric-owner -xf "$dir/image/$layer" -C "$dir/rootfs"
done

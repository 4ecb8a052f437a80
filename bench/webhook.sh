#!/usr/bin/env bash
# bench/webhook.sh — admission webhook decision latency over HTTPS.
#
# Usage: bench/webhook.sh
#
# Environment:
#   DRYDOCK_BENCH_SECS=60    duration of the warm-cache run
#   DRYDOCK_BENCH_RATE=500   offered requests per second (open loop, 16 client threads)
#   DRYDOCK_SHARED           see bench/lib.sh
#
# The load client is a Rust test (crates/cli/tests/webhook.rs, `bench_decision_latency`,
# ignored in normal runs), built in release mode: it starts a local docker-registry, pushes
# and signs two real images (Alpine 3.20.3 minirootfs, one with a critical CVE), starts the
# real `drydock webhook` binary with a test CA, times one cold request (resolve, signature,
# on-demand scan, Rego) and then POSTs the same Deployment AdmissionReview at the given rate,
# printing p50/p90/p99/max latency measured from each request's scheduled time.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker-registry docker-registry
need skopeo skopeo
need openssl openssl
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DRYDOCK_SHARED=${DRYDOCK_SHARED:-$SHARED} cargo test --release -p drydock --test webhook \
  -- --ignored bench_decision_latency --nocapture 2>&1 | grep -A8 '^webhook bench:'

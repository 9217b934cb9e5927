#!/usr/bin/env bash
# Times a sweep of 200 runs of a 15k-node scenario (scripts/bench-sweep.yaml) with --jobs 1 and
# --jobs 2 and prints the speed-up (target >= 1.7x on 2 free cores). Also checks that both wrote
# the same runs.csv and cells.csv. Slow by design (a few minutes): not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/jobset-sim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
t1=$(secs "$bin" sweep scripts/bench-sweep.yaml --jobs 1 --out "$tmp/j1")
t2=$(secs "$bin" sweep scripts/bench-sweep.yaml --jobs 2 --out "$tmp/j2")
cmp "$tmp/j1/runs.csv" "$tmp/j2/runs.csv"
cmp "$tmp/j1/cells.csv" "$tmp/j2/cells.csv"
printf 'sweep of 200 runs (scripts/bench-sweep.yaml): --jobs 1 %.1f s, --jobs 2 %.1f s, speed-up %.2fx\n' \
  "$t1" "$t2" "$(echo "$t1 / $t2" | bc -l)"

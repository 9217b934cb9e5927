#!/usr/bin/env bash
# Compares the whole output set (`run --out DIR --report`: summary.json, events.csv,
# timeline.csv/svg, report.html, ...) of two jobset-sim binaries on every scenario, for changes
# that must keep every output byte-identical (issue 11's rule, docs/determinism.md). The wall
# time is the one value allowed to differ: `wall_ms` and "in N ms of wall time" are masked.
#
#   scripts/compare-outputs.sh BIN_A BIN_B [SCENARIO...]
#
# Without scenarios: every scenario under scenarios/ (top level, policies/, kueue/, calibration/)
# except the Kueue object lists, which are not runnable. Exit 0 when every pair is identical,
# 1 when one differs (the diff is printed), 2 on bad usage.
set -euo pipefail
# Progress lines are printed by wall-clock time, so they would differ between any two runs.
export JOBSET_SIM_PROGRESS_S=0
if [ $# -lt 2 ]; then
  echo "usage: $0 BIN_A BIN_B [SCENARIO...]" >&2
  exit 2
fi
bin_a=$1 bin_b=$2
shift 2
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  set -- $(ls scenarios/*.yaml scenarios/policies/*.yaml scenarios/kueue/*.yaml \
    scenarios/calibration/*.yaml | grep -v 'kueue-objects')
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mask() {
  find "$1" -type f -exec sed -i -E \
    -e 's/"wall_ms": ?[0-9]+/"wall_ms": 0/g' -e 's/in [0-9]+ ms of wall time/in N ms of wall time/g' \
    -e 's/<th>wall_ms<\/th><td[^>]*>[0-9]+/<th>wall_ms<\/th><td>N/g' {} +
}
status=0
for scenario in "$@"; do
  name=$(echo "$scenario" | tr '/' '_')
  for side in a b; do
    bin=$bin_a
    [ "$side" = b ] && bin=$bin_b
    mkdir -p "$work/$side"
    "$bin" run "$scenario" --out "$work/$side/$name" --report >"$work/$side/$name.txt" 2>&1 || true
    mask "$work/$side/$name"
    sed -i -E 's/in [0-9]+ ms of wall time/in N ms of wall time/' "$work/$side/$name.txt"
  done
  if diff -r "$work/a/$name" "$work/b/$name" >/dev/null &&
    diff "$work/a/$name.txt" "$work/b/$name.txt" >/dev/null; then
    echo "same       $scenario"
  else
    echo "DIFFERENT  $scenario"
    diff -r "$work/a/$name" "$work/b/$name" | head -20 || true
    status=1
  fi
done
exit $status

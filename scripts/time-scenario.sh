#!/usr/bin/env bash
# Times whole runs of one scenario in a release build: every run's wall time (the whole command:
# loading, building the cluster, the event loop, the report), the minimum and median, the peak
# memory, and, given a budget in seconds, whether the median is within it (exit 1 if not).
#
#   scripts/time-scenario.sh scenarios/validation/llama3-54d.yaml 5 2
#
# JOBSET_SIM_BIN=path times that binary instead of building this checkout's (for A/B runs of
# two builds, alternately: one run of each in turn); JOBSET_SIM_ARGS adds arguments to every
# run (e.g. "--out /tmp/t --no-events" to include writing the output set).
#
# Runs are sequential, so a busy machine shows as spread between runs: quote the median with
# the machine (scripts/bench.sh prints its line), and re-run when the spread is wide.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: scripts/time-scenario.sh SCENARIO [RUNS] [BUDGET_S]}
runs=${2:-5}
budget=${3:-}
[ -f "$scenario" ] || { echo "no such scenario: $scenario" >&2; exit 2; }
if [ -n "${JOBSET_SIM_BIN:-}" ]; then
  bin=$JOBSET_SIM_BIN
else
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/jobset-sim
fi
read -r -a extra <<< "${JOBSET_SIM_ARGS:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "scenario: $scenario"
echo "machine:  $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
for i in $(seq "$runs"); do
  t0=$(date +%s%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" run "$scenario" --json "${extra[@]}" > "$tmp/summary.json"
    rss_mib=$(awk '{printf "%.0f", $1 / 1024}' "$tmp/rss")
  else
    "$bin" run "$scenario" --json "${extra[@]}" > "$tmp/summary.json"
    rss_mib="?"
  fi
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  echo "$ms" >> "$tmp/times"
  loop_ms=$(grep -o '"wall_ms": *[0-9]*' "$tmp/summary.json" | grep -o '[0-9]*$')
  events=$(grep -o '"events": *[0-9]*' "$tmp/summary.json" | head -n1 | grep -o '[0-9]*$')
  printf 'run %d: %d ms whole command, %s ms event loop, %s events, peak %s MiB\n' \
    "$i" "$ms" "$loop_ms" "$events" "$rss_mib"
done
sort -n "$tmp/times" > "$tmp/sorted"
min=$(head -n1 "$tmp/sorted")
median=$(awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }' "$tmp/sorted")
max=$(tail -n1 "$tmp/sorted")
printf 'whole command over %d runs: min %d ms, median %d ms, max %d ms\n' "$runs" "$min" "$median" "$max"
if [ -n "$budget" ]; then
  budget_ms=$(awk -v b="$budget" 'BEGIN { printf "%d", b * 1000 }')
  if [ "$median" -le "$budget_ms" ]; then
    echo "budget ${budget} s: met (median)"
  else
    echo "budget ${budget} s: NOT met (median)"
    exit 1
  fi
fi

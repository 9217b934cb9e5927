#!/usr/bin/env bash
# Prints the simulator's own speed on this machine: each scenario under scenarios/ run once in a
# release build (wall time from the summary, peak memory from /usr/bin/time when present), then
# the criterion benches. Figures worth keeping go to results/ with the date and machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/jobset-sim
echo "date:    $(date -u +%Y-%m-%d)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo
printf '%-52s %10s %12s %14s %12s\n' scenario wall_ms events events_per_s peak_rss_mib
for s in scenarios/*.yaml scenarios/*/*.yaml; do
  case "$s" in scenarios/sweeps/* | scenarios/manifests/*) continue ;; esac  # not scenarios
  out=$(mktemp)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$out.rss" "$bin" run "$s" --json > "$out"
    rss_kib=$(tail -n1 "$out.rss")
  else
    "$bin" run "$s" --json > "$out"
    rss_kib=0
  fi
  python3 - "$s" "$out" "$rss_kib" <<'PY'
import json, sys
name, path, rss = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.load(open(path))
wall = max(s["wall_ms"], 1)
print(f'{name:<52} {s["wall_ms"]:>10} {s["events"]:>12} {s["events"] * 1000 // wall:>14} {rss / 1024:>12.1f}')
PY
  rm -f "$out" "$out.rss"
done
echo
# criterion: keep each benchmark's name and its time / throughput, drop the change reports.
cargo bench --bench engine -- --warm-up-time 1 --measurement-time 3 2>/dev/null \
  | grep -E '^[a-z]|^ +(time|thrpt):' | grep -vE '^(Benchmarking|Found)|%' || true
echo
# Parallel speed-up of sweeps (a few minutes).
scripts/bench-sweep.sh

#!/usr/bin/env bash
# JobSet's two exclusive-placement strategies at 5k, 15k and 65k nodes under each built-in
# control-plane profile: the recovery of one RestartJobSet (scenarios/recovery-15k.yaml for
# leader/follower, scenarios/recovery-15k-node-selector.yaml for the node-selector strategy),
# scaled by the number of 16-host node pools and child Jobs, run for 3 h so that the 65k
# recoveries finish. Prints one Markdown table row per
# run: average pods/s, the 5-second windows' p50 and max, and time to recover.
#
#   scripts/strategies.sh > /tmp/strategies.md
#
# JOBSET_SIM_BIN=path runs that binary instead of building this checkout's. Every figure is a
# prediction (docs/calibration.md): nothing is fitted to it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${JOBSET_SIM_BIN:-}" ]; then
  bin=$JOBSET_SIM_BIN
else
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/jobset-sim
fi
echo "| strategy | nodes | profile | pods | average pods/s | 5-s windows p50 / max, pods/s | time to recover, s | wall, s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for strategy in leader-follower node-selector; do
  case $strategy in
    leader-follower) scenario=scenarios/recovery-15k.yaml ;;
    node-selector) scenario=scenarios/recovery-15k-node-selector.yaml ;;
  esac
  # 16-host pools: 313 x 16 = 5,008; 938 x 16 = 15,008; 4,096 x 16 = 65,536.
  for pools in 313 938 4096; do
    for profile in ci gke; do
      start=$(date +%s.%N)
      json=$("$bin" run "$scenario" --json \
        --set "cluster.nodePools[0].count=$pools" \
        --set "workloads[0].jobset.spec.replicatedJobs[0].replicas=$pools" \
        --set "controlPlane.profile=$profile" --set "run.until=3h")
      wall=$(echo "$(date +%s.%N) - $start" | bc)
      echo "$json" | python3 -c '
import json, sys
strategy, nodes, profile, wall = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = json.load(sys.stdin)
r = next(x for x in s["recoveries"] if x["path"].startswith("RestartJobSet"))
first = s["recovery"][0]
w = r["bind_windows"]
f = lambda v: "-" if v is None else f"{v:.1f}"
row = [strategy, f"{nodes:,}", profile, format(first["pods"], ","), f(first["pods_per_s"]),
       f(w["p50"]) + " / " + f(w["max"]), f(first["time_to_recover_s"]), f"{wall:.1f}"]
print("| " + " | ".join(row) + " |")
' "$strategy" $((pools * 16)) "$profile" "$wall"
    done
  done
done

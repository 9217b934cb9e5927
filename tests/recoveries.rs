//! One recovery record per interruption, for every path that repairs a JobSet
//! (summary.json `recoveries[]`, docs/metrics.md "Interruptions and recoveries").

mod common;
use common::*;
use serde_json::Value;

fn recoveries(path: &str) -> Vec<Value> {
    let out = run(&["run", path, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
    let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
    s["recoveries"].as_array().unwrap().clone()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Stages that exist come in order: failure, detection, ..., all scheduled, all running.
fn assert_ordered(r: &Value) {
    let st = &r["stages"];
    let chain = ["failed_s", "detected_s", "all_scheduled_s", "all_running_s"];
    let t: Vec<f64> = chain.iter().filter_map(|k| st[k].as_f64()).collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{r}");
    if let (Some(a), Some(b)) = (
        st["first_pod_created_s"].as_f64(),
        st["last_pod_created_s"].as_f64(),
    ) {
        assert!(a <= b && b <= f(&st["all_scheduled_s"]), "{r}");
    }
    let ttr = f(&r["durations"]["time_to_recover_s"]);
    assert!((ttr - (f(&st["all_running_s"]) - f(&st["failed_s"]))).abs() < 1e-6);
    // Where the time went: one stage of the recovery, no longer than it.
    let slow = &r["slowest_stage"];
    assert!(slow["cause"].as_str().is_some_and(|c| !c.is_empty()), "{r}");
    assert!(f(&slow["duration_s"]) <= ttr + 1e-6, "{r}");
    let share = f(&slow["share"]);
    assert!((0.0..=1.0).contains(&share), "{r}");
    // Lost pod-time: no more than every needed pod missing for the whole recovery.
    let lost = f(&r["lost_pod_s"]);
    assert!(
        lost >= 0.0 && lost <= f(&r["pods"]["needed"]) * ttr + 1e-6,
        "{r}"
    );
}

#[test]
fn restart_jobset_record_matches_the_restart_and_names_rule_and_action() {
    let out = run(&["run", "scenarios/policies/restart-jobset.yaml", "--json"]);
    let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rs = s["recoveries"].as_array().unwrap();
    // restartPolicy OnFailure, backoffLimit 0: the kubelet restarts the crashed container at
    // once (restart 1), then the Job controller fails the Job on that restart count and the
    // failure policy restarts the JobSet: one interruption, one record, from the crash.
    assert_eq!(rs.len(), 1, "{rs:?}");
    let r = &rs[0];
    assert_eq!(r["state"], "recovered");
    assert_eq!(r["path"], "RestartJobSet (Recreate)");
    assert_eq!(r["decision"]["rule"], "failurePolicyRule0");
    assert_eq!(r["decision"]["action"], "RestartJobSet");
    assert_eq!(r["broke"]["cause"], "Error: exit code 1");
    assert_eq!(r["broke"]["injector"], Value::Null);
    let (stage, cause) = slowest(r);
    assert_eq!(stage, "decide", "{r}");
    assert!(cause.ends_with("failed: BackoffLimitExceeded)"), "{cause}");
    assert_ordered(r);
    // The same failure, pods and rate as the global-restart entry, which counts from the crash.
    let old = &s["recovery"][0];
    assert_eq!(r["stages"]["all_running_s"], old["all_running_s"]);
    assert_eq!(r["stages"]["failed_s"], old["failed_at_s"]);
    assert_eq!(
        r["durations"]["time_to_recover_s"],
        old["time_to_recover_s"]
    );
    assert_eq!(r["pods_per_s"], old["pods_per_s"]);
    assert_eq!(r["pods"]["bound"], old["pods"]);
    assert!(f(&r["stages"]["decided_s"]) > f(&r["stages"]["failed_s"]));
    assert!(r["stages"]["jobs_recreated_s"].is_number());
    assert!(r["bind_windows"]["max"].is_number());
}

#[test]
fn restart_job_record_counts_only_the_restarted_jobs_pods() {
    let rs = recoveries("scenarios/policies/restart-job.yaml");
    assert_eq!(rs.len(), 1);
    let r = &rs[0];
    assert_eq!(r["path"], "RestartJob");
    assert_eq!(r["decision"]["rule"], "r_worker");
    assert_eq!(r["state"], "recovered");
    assert_eq!(r["pods"]["needed"], 4);
    // Only the failed worker Job's pods were recreated.
    assert_eq!(r["pods"]["created"], 2);
    assert_eq!(r["pods"]["bound"], 2);
    assert_ordered(r);
    // The other Jobs' pods kept running: at most the 2 recreated pods were missing.
    let ttr = f(&r["durations"]["time_to_recover_s"]);
    assert!(
        f(&r["lost_pod_s"]) > 0.0 && f(&r["lost_pod_s"]) <= 2.0 * ttr + 1e-6,
        "{r}"
    );
}

#[test]
fn in_place_restart_records_recreate_nothing() {
    let rs = recoveries("scenarios/policies/in-place-restart.yaml");
    // One worker exits; the controller makes the 3 lagging agents exit too (a second failure,
    // joining the open record), and the barrier lifts once all 4 report attempt 1: one
    // interruption, recovered when the 4 workers run again, not when the containers restart.
    assert_eq!(rs.len(), 1, "{rs:?}");
    let r = &rs[0];
    assert_eq!(r["path"], "InPlaceRestart", "{r}");
    assert_eq!(r["pods"]["created"], 0);
    assert_eq!(r["decision"]["action"], Value::Null);
    assert_eq!(r["state"], "recovered");
    assert_eq!(r["broke"]["failures"], 2, "{r}");
    assert_eq!(r["broke"]["pods_hit"], 4, "{r}");
    let start_s = r["durations"]["start_s"].as_f64().unwrap();
    assert!(start_s > 0.0, "the barrier holds the workers: {r}");
    assert_eq!(r["durations"]["time_to_recover_s"].as_f64(), Some(start_s));
    assert_ordered(r);
}

#[test]
fn node_faults_name_their_injector_cause_and_node() {
    let rs = recoveries("scenarios/validation/llama3-54d.yaml");
    assert!(rs.len() > 100);
    for r in &rs {
        assert_eq!(r["broke"]["injector"], "unexpected");
        assert!(r["broke"]["node"].as_str().unwrap().starts_with("h100-"));
        assert_eq!(r["state"], "recovered");
        assert_ordered(r);
    }
    // Training resumes restartCost after all pods run (unless the next failure came first).
    let resumed: Vec<f64> = rs
        .iter()
        .filter_map(|r| r["durations"]["resume_s"].as_f64())
        .collect();
    assert!(resumed.len() * 10 >= rs.len() * 9);
    assert!(resumed.iter().all(|&d| d > 0.0));
}

/// The planner's stall (scenarios/stalled-recovery.yaml): after a restart a leader lands in a
/// slice with a host out for repair, and its followers cannot all fit. The record says so in a
/// JobSet user's words, in summary.json and in the table.
#[test]
fn a_stalled_recovery_names_the_leader_its_slice_and_the_repair() {
    let path = "scenarios/stalled-recovery.yaml";
    let rs = recoveries(path);
    let open: Vec<&Value> = rs.iter().filter(|r| r["state"] == "stalled").collect();
    assert_eq!(open.len(), 1, "{rs:?}");
    let r = open[0];
    assert!(r["durations"]["time_to_recover_s"].is_null());
    assert!(f(&r["pods"]["running"]) < f(&r["pods"]["needed"]));
    let diagnosis: Vec<&str> = r["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let leader_lines: Vec<&&str> = diagnosis
        .iter()
        .filter(|d| d.contains(": leader on node v5p-"))
        .collect();
    assert!(!leader_lines.is_empty(), "{diagnosis:?}");
    for line in &leader_lines {
        assert!(
            line.contains("in cloud.google.com/gke-nodepool=v5p-")
                && line.contains("which has 63 schedulable node(s) for 64 pods (")
                && line.contains(": repair due at ")
                && line.ends_with("; 1 follower(s) cannot fit"),
            "{line}"
        );
    }
    // Every recovered record has its whole breakdown.
    for r in rs.iter().filter(|r| r["state"] == "recovered") {
        assert_ordered(r);
        assert!(r["diagnosis"].as_array().unwrap().is_empty());
    }
    // The table shows the state, the progress and the same diagnosis.
    let table = stdout(&run(&["run", path]));
    assert!(table.contains("stalled"), "{table}");
    assert!(table.contains("running)"), "{table}");
    assert!(table.contains(leader_lines[0]), "{table}");
}

/// Every interruption in every shipped scenario has a record with its stages: a recovered one
/// its whole ordered breakdown, an open one its progress and, when stalled or unfinished, a
/// diagnosis.
#[test]
fn every_shipped_scenario_records_every_interruption() {
    let mut paths: Vec<String> = vec![];
    for dir in [
        "scenarios",
        "scenarios/policies",
        "scenarios/validation",
        "tests/fixtures",
    ] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".yaml") {
                paths.push(format!("{dir}/{name}"));
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 15, "{paths:?}");
    for path in &paths {
        // Without the invariant sweeps (other tests run them): the 65k-node run takes minutes
        // with them.
        let out = bin()
            .args(["run", path, "--json"])
            .current_dir(repo())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let rs = s["recoveries"].as_array().unwrap();
        let sum = |list: &Value, key: &str| -> f64 {
            list.as_array().unwrap().iter().map(|x| f(&x[key])).sum()
        };
        let hits = sum(&s["faults"], "interruptions") + sum(&s["jobsets"], "restarts");
        let broke = hits + sum(&s["jobsets"], "job_restarts") + f(&s["pods"]["failed"]);
        // (Container restarts under OnFailure leave no failed pod, but have records too.)
        assert!(
            broke == 0.0 || !rs.is_empty(),
            "{path}: {broke} broke, no record"
        );
        // One interruption, one record: the failure behind a JobSet restart belongs to a
        // record opened at or before it, so no record of that JobSet opens between the
        // failure and the new attempt's first pod (under OnFailure the container restarts at
        // once and the Job fails a few seconds later: still the same interruption).
        for restart in s["recovery"].as_array().unwrap() {
            let failed = f(&restart["failed_at_s"]);
            let created = restart["first_create_s"].as_f64().unwrap_or(f64::INFINITY);
            let second = rs.iter().find(|r| {
                r["jobset"] == restart["jobset"]
                    && (failed < f(&r["stages"]["failed_s"]))
                    && f(&r["stages"]["failed_s"]) < created
            });
            assert!(second.is_none(), "{path}: {restart} has a second record");
        }
        for r in rs {
            assert!(r["stages"]["failed_s"].is_number(), "{path}: {r}");
            assert!(r["broke"]["cause"].is_string(), "{path}: {r}");
            match r["state"].as_str().unwrap() {
                "recovered" => assert_ordered(r),
                "stalled" | "unfinished at end of run" => {
                    assert!(
                        !r["diagnosis"].as_array().unwrap().is_empty(),
                        "{path}: {r}"
                    );
                    assert!(f(&r["pods"]["running"]) < f(&r["pods"]["needed"]), "{path}");
                }
                ended => {
                    assert!(ended.starts_with("ended: JobSet "), "{path}: {r}");
                    // How it ended, in words: never an ended record without them.
                    let first = r["diagnosis"][0].as_str().unwrap_or_default();
                    assert!(
                        first.starts_with("JobSet failed before recovery")
                            || first.starts_with("JobSet completed before recovery"),
                        "{path}: {r}"
                    );
                }
            }
        }
    }
}

/// `compare` of RestartJobSet against RestartJob shows the recovery rows on both sides.
#[test]
fn compare_of_restart_policies_has_recovery_rows_on_both_sides() {
    let out = run(&[
        "compare",
        "scenarios/policies/restart-jobset.yaml",
        "scenarios/policies/restart-job.yaml",
        "--seeds",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    for metric in [
        "recoveries.count",
        "recoveries.time_to_recover_p50_s",
        "recoveries.time_to_recover_max_s",
        "recoveries.pods_per_s",
        "recoveries.bind_window_max_pods_per_s",
    ] {
        let row = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(metric))
            .unwrap_or_else(|| panic!("no {metric} row:\n{table}"));
        assert!(!row.contains("missing"), "{row}");
    }
}

/// summary.json's stage keys as recovery.svg names its stage strips.
const STAGE_KEYS: [(&str, &str); 6] = [
    ("detected_s", "detected"),
    ("old_pods_gone_s", "old pods gone"),
    ("jobs_recreated_s", "Jobs recreated"),
    ("all_scheduled_s", "all scheduled"),
    ("all_running_s", "all running"),
    ("training_resumed_s", "training resumed"),
];

#[test]
fn recovery_svg_draws_every_record_with_its_stages_and_the_stall_apart() {
    let dir = scratch("recovery_svg");
    let out = dir.join("out");
    let o = run(&[
        "run",
        "scenarios/stalled-recovery.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let svg = std::fs::read_to_string(out.join("recovery.svg")).unwrap();
    let records = s["recoveries"].as_array().unwrap();
    assert!(
        records.len() >= 2 && records.len() <= 8,
        "{}",
        records.len()
    );
    for (i, r) in records.iter().enumerate() {
        let n = i + 1;
        assert!(
            svg.contains(&format!("data-record=\"{n}\" x=")),
            "record #{n} is not in the legend"
        );
        let state = r["state"].as_str().unwrap();
        for (key, stage) in STAGE_KEYS {
            let drawn = svg.contains(&format!("data-stage=\"{stage}\" data-record=\"{n}\""));
            let reached = !r["stages"][key].is_null();
            // A stage is drawn only if reached; every reached stage of a recovered record is
            // drawn (the axis covers them), while a record that did not recover may be cut at
            // the axis's edge, its later stages past it.
            assert!(
                !drawn || reached,
                "record #{n}, stage {stage} drawn, not reached"
            );
            if state == "recovered" {
                assert_eq!(reached, drawn, "record #{n}, stage {stage}");
            }
        }
        if state != "recovered" {
            // Dashed, and labelled with its state (and, cut at the axis's edge, how long it
            // ran on: `#3 stalled, 3 d 12 h →`) and its diagnosis.
            assert!(
                svg.contains(&format!(">#{n} {state}</text>"))
                    || svg.contains(&format!(">#{n} {state}, ")),
                "#{n} {state}"
            );
            let diagnosis = r["diagnosis"][0].as_str().unwrap();
            let words: String = diagnosis.chars().take(40).collect();
            assert!(svg.contains(&format!("#{n} {state}: {words}")), "{words}");
        }
    }
    assert!(records.iter().any(|r| r["state"] == "stalled"));
    assert!(svg.contains("stroke-dasharray=\"7 4\""));
    assert!(
        svg.contains(">not recovered</text>"),
        "the histogram's own bar"
    );
}

/// `distributions.time_to_recover_s` and `.recovery_pods_per_s` are per recovery record, for
/// every policy (a RestartJob run has no JobSet restart, and still has its statistics), and
/// agree exactly with the records and the headline percentiles.
#[test]
fn distributions_are_per_recovery_record_for_every_policy() {
    for path in [
        "scenarios/policies/restart-job.yaml",
        "scenarios/policies/restart-jobset.yaml",
        "scenarios/policies/in-place-restart.yaml",
        "scenarios/stalled-recovery.yaml",
    ] {
        let out = run(&["run", path, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let mut ttr: Vec<f64> = s["recoveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["durations"]["time_to_recover_s"].as_f64())
            .collect();
        ttr.sort_by(f64::total_cmp);
        assert!(!ttr.is_empty(), "{path}");
        let d = &s["distributions"]["time_to_recover_s"];
        assert_eq!(f(&d["count"]), ttr.len() as f64, "{path}: {d}");
        let rank = |p: f64| ttr[((p * ttr.len() as f64).ceil() as usize).max(1) - 1];
        assert_eq!(f(&d["p50"]), rank(0.5), "{path}");
        assert_eq!(f(&d["p90"]), rank(0.9), "{path}");
        assert_eq!(f(&d["max"]), *ttr.last().unwrap(), "{path}");
        let rates = s["recoveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["pods_per_s"].is_number())
            .count();
        assert_eq!(
            f(&s["distributions"]["recovery_pods_per_s"]["count"]),
            rates as f64,
            "{path}"
        );
    }
}

fn slowest(r: &Value) -> (&str, &str) {
    let s = &r["slowest_stage"];
    (s["stage"].as_str().unwrap(), s["cause"].as_str().unwrap())
}

/// Every recovered record says where its time went, from what the simulation recorded: the
/// stall's earlier recoveries waited for a node repair, BlockingRecreate for the old pods, a
/// node fault on 2,048 pods for the Job's pods to go before it was Failed.
#[test]
fn recovered_records_say_where_the_time_went() {
    let rs = recoveries("scenarios/stalled-recovery.yaml");
    let repaired: Vec<&Value> = rs.iter().filter(|r| r["state"] == "recovered").collect();
    assert!(!repaired.is_empty());
    for r in &repaired {
        let (stage, cause) = slowest(r);
        assert_eq!(stage, "schedule", "{r}");
        assert!(
            cause.starts_with("waited ")
                && cause.contains(" for node repair: ")
                && cause.contains("failed scheduling attempt(s) (node(s) didn't match")
                && cause.contains(" until node v5p-"),
            "{cause}"
        );
        assert!(f(&r["slowest_stage"]["share"]) > 0.9, "{r}");
    }
    for r in rs.iter().filter(|r| r["state"] != "recovered") {
        assert!(r["slowest_stage"].is_null(), "{r}");
    }

    let rs = recoveries("scenarios/policies/blocking-recreate.yaml");
    let r = rs
        .iter()
        .find(|r| r["path"] == "RestartJobSet (BlockingRecreate)")
        .unwrap();
    let (stage, cause) = slowest(r);
    assert_eq!(stage, "teardown");
    assert!(
        cause.starts_with("BlockingRecreate: waited for the old Jobs' "),
        "{cause}"
    );
    // The crash before it, restarted in place at once, is the same interruption.
    assert_eq!(rs.len(), 1, "{rs:?}");

    let out = run(&["run", "scenarios/recovery-15k.yaml", "--json"]);
    let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let r = s["recoveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "RestartJobSet (Recreate)")
        .unwrap();
    let (stage, cause) = slowest(r);
    assert_eq!(stage, "schedule");
    // Exclusive placement: followers created before their leader had a node are refused.
    assert!(cause.starts_with("Job API back-off: "), "{cause}");
    let table = stdout(&run(&["run", "scenarios/recovery-15k.yaml"]));
    assert!(
        table.contains("#1 where the time went: schedule ") && table.contains(cause),
        "{table}"
    );
}

/// A node fault under restartPolicy Never: the Job is Failed only once its 2,047 other pods
/// are deleted through the Job controller's 20 qps client, and that is where the time goes.
#[test]
fn a_node_fault_recovery_waits_for_the_failed_jobs_pods_to_go() {
    let rs = recoveries("scenarios/validation/llama3-54d.yaml");
    let decide = rs.iter().filter(|r| slowest(r).0 == "decide").count();
    assert!(decide * 10 >= rs.len() * 9, "{decide} of {}", rs.len());
    let taint = rs
        .iter()
        .map(|r| slowest(r).1)
        .filter(|c| c.contains("deleted by the taint manager"))
        .count();
    assert!(taint > 0);
    for r in &rs {
        let (_, cause) = slowest(r);
        if slowest(r).0 == "decide" {
            assert!(
                cause.contains("pod(s) deleted before the Job was Failed")
                    && cause.contains("(Job controller client 20 qps)")
                    && cause.contains("failed: BackoffLimitExceeded)"),
                "{cause}"
            );
        }
    }
}

/// A JobSet whose trainer depends on its initializer with status Complete never runs every
/// pod at once: its recoveries finish when the pods that may run at that moment run again
/// (the initializer's one pod, then the trainer's four), not at the JobSet's end.
#[test]
fn a_depends_on_complete_chain_recovers_when_the_pods_that_may_run_run() {
    let rs = recoveries("tests/fixtures/depends-on-complete.yaml");
    assert_eq!(rs.len(), 2, "{rs:?}");
    let needed: Vec<f64> = rs.iter().map(|r| f(&r["pods"]["needed"])).collect();
    assert_eq!(needed, [1.0, 4.0]);
    for r in &rs {
        assert_eq!(r["state"], "recovered", "{r}");
        assert_eq!(r["path"], "PodReplacement");
        assert_ordered(r);
        // The replacement waited for the Job controller's pod-failure back-off, not for the
        // JobSet to finish.
        assert!(f(&r["durations"]["time_to_recover_s"]) < 15.0, "{r}");
        let (stage, cause) = slowest(r);
        assert_eq!(stage, "teardown");
        assert!(cause.contains("pod-failure back-off (10 s"), "{cause}");
    }
    assert_eq!(f(&rs[1]["broke"]["pods_hit"]), 2.0);
}

/// A container restarted in place measures the crash to the container running again: the
/// first crash restarts at once (no CrashLoopBackOff), the second after its 10 s back-off,
/// which is the record's start stage (every pod stayed bound: nothing to schedule).
#[test]
fn a_container_restart_record_is_the_crash_loop_back_off() {
    let rs = recoveries("tests/fixtures/crash-loop.yaml");
    assert_eq!(rs.len(), 2, "{rs:?}");
    for r in &rs {
        assert_eq!(r["path"], "ContainerRestart");
        assert_eq!(r["state"], "recovered");
        assert_eq!(
            r["stages"]["all_scheduled_s"], r["stages"]["failed_s"],
            "{r}"
        );
        assert_ordered(r);
    }
    assert_eq!(f(&rs[0]["durations"]["time_to_recover_s"]), 0.0);
    assert_eq!(f(&rs[1]["durations"]["time_to_recover_s"]), 10.0);
    assert_eq!(f(&rs[1]["durations"]["start_s"]), 10.0);
    let (stage, cause) = slowest(&rs[1]);
    assert_eq!(stage, "start");
    assert!(cause.contains("after a 10 s back-off"), "{cause}");
    assert!(slowest(&rs[0])
        .1
        .contains("at once (first crash: no back-off; the kubelet's detection"));
}

/// recovery-15k in small (exclusive placement, restartPolicy OnFailure, backoffLimit 0): one
/// crash is one interruption. The kubelet restarts the container at once, the Job fails on
/// that restart count and the JobSet restarts; the record runs from the crash to every pod of
/// the new attempt running, so its time to recover is not the 0 s of the in-place restart.
#[test]
fn one_crash_under_on_failure_is_one_record_from_the_crash() {
    let out = run(&["run", "tests/fixtures/crash-restart-jobset.yaml", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rs = s["recoveries"].as_array().unwrap();
    assert_eq!(rs.len(), 1, "{rs:?}");
    let r = &rs[0];
    assert_eq!(r["state"], "recovered");
    assert_eq!(r["path"], "RestartJobSet (Recreate)");
    assert_eq!(r["broke"]["cause"], "Error: exit code 1");
    assert_eq!(r["broke"]["pods_hit"], 1);
    // The crash: the pod's first Running (seconds in: its create waits on the Job
    // controller's client, which also carries each create's Event) plus the 5 minutes it ran.
    let restart = &s["recovery"][0];
    assert_eq!(r["stages"]["failed_s"], restart["failed_at_s"]);
    let failed = f(&r["stages"]["failed_s"]);
    assert!((300.0..305.0).contains(&failed), "{failed}");
    // Seen at once by the kubelet; decided when the Job failed, seconds later.
    assert_eq!(r["stages"]["detected_s"], r["stages"]["failed_s"]);
    assert!(f(&r["stages"]["decided_s"]) > failed, "{r}");
    let ttr = f(&r["durations"]["time_to_recover_s"]);
    assert!(ttr > 0.0, "{r}");
    assert_eq!(ttr, f(&restart["time_to_recover_s"]));
    assert_eq!(r["pods"]["needed"], 32);
    assert_eq!(r["pods"]["bound"], 32);
    assert_ordered(r);
    // Before the decision only the failed Job's 4 pods can have been missing; after it, all.
    let decided = f(&r["stages"]["decided_s"]);
    let at_most = 4.0 * (decided - failed) + 32.0 * (f(&r["stages"]["all_running_s"]) - decided);
    let lost = f(&r["lost_pod_s"]);
    assert!(lost > 0.0 && lost <= at_most + 1e-6, "{r}");
    let d = &s["distributions"]["time_to_recover_s"];
    assert_eq!(f(&d["p50"]), ttr);
}

/// A record the JobSet's end overtook says how it ended, in upstream's words: the terminal
/// condition, the failure policy's decision, how far the recovery had come; in summary.json
/// and in the table.
#[test]
fn a_recovery_the_jobset_end_overtook_says_how_it_ended() {
    let rs = recoveries("scenarios/policies/fail-jobset.yaml");
    assert_eq!(rs.len(), 1, "{rs:?}");
    let r = &rs[0];
    assert_eq!(r["state"], "ended: JobSet Failed");
    assert_eq!(r["slowest_stage"], Value::Null);
    let lines: Vec<&str> = r["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        lines[0].starts_with("JobSet failed before recovery, ")
            && lines[0].contains(" after the failure: FailJobSetFailurePolicyAction (")
            && lines[0].contains("(first failed job: "),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("the failure policy's last decision: FailJobSet (rule ")
            && lines[1].ends_with("failed: BackoffLimitExceeded"),
        "{lines:?}"
    );
    let needed = r["pods"]["needed"].as_u64().unwrap();
    let running = r["pods"]["running"].as_u64().unwrap();
    assert_eq!(
        lines[2],
        format!("{running} of {needed} pods running when the JobSet ended")
    );
    let table = stdout(&run(&["run", "scenarios/policies/fail-jobset.yaml"]));
    assert!(
        table.contains("  #1 ended: JobSet failed before recovery, "),
        "{table}"
    );

    // Out of restarts: the terminal condition is ReachedMaxRestarts.
    let rs = recoveries("scenarios/policies/restart-jobset-max.yaml");
    let ended = rs.last().unwrap();
    assert_eq!(ended["state"], "ended: JobSet Failed");
    let first = ended["diagnosis"][0].as_str().unwrap();
    assert!(first.contains(": ReachedMaxRestarts ("), "{first}");
}

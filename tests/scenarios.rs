//! Every runnable scenario under scenarios/ does what its header comment promises.

mod common;
use common::*;

fn summary(path: &str) -> serde_json::Value {
    let out = run(&["run", path, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// (scenario, terminal state, terminal reason, restarts, per-Job restarts).
type Expected = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
    i64,
);
const POLICIES: &[Expected] = &[
    (
        "fail-jobset",
        Some("Failed"),
        Some("FailJobSetFailurePolicyAction"),
        0,
        0,
    ),
    (
        "restart-jobset",
        Some("Completed"),
        Some("AllJobsCompleted"),
        1,
        0,
    ),
    (
        "restart-jobset-max",
        Some("Failed"),
        Some("ReachedMaxRestarts"),
        3,
        0,
    ),
    (
        "restart-job",
        Some("Completed"),
        Some("AllJobsCompleted"),
        0,
        1,
    ),
    (
        "recreate",
        Some("Completed"),
        Some("AllJobsCompleted"),
        1,
        0,
    ),
    (
        "blocking-recreate",
        Some("Completed"),
        Some("AllJobsCompleted"),
        1,
        0,
    ),
    (
        "in-place-restart",
        Some("Completed"),
        Some("AllJobsCompleted"),
        0,
        0,
    ),
];

#[test]
fn policy_demonstrations_reach_their_documented_outcome() {
    for &(name, state, reason, restarts, job_restarts) in POLICIES {
        let s = summary(&format!("scenarios/policies/{name}.yaml"));
        let j = &s["jobsets"][0];
        assert_eq!(j["terminal_state"].as_str(), state, "{name}");
        assert_eq!(j["terminal_reason"].as_str(), reason, "{name}");
        assert_eq!(j["restarts"], restarts, "{name}");
        assert_eq!(j["job_restarts"], job_restarts, "{name}");
    }
}

#[test]
fn in_place_restart_recreates_nothing() {
    let s = summary("scenarios/policies/in-place-restart.yaml");
    assert_eq!(s["jobsets"][0]["in_place_restarts"], 1);
    assert_eq!(s["pods"]["created"], 4, "every pod kept");
    // 1 min of work, the in-place restart (the kubelet restarts each container at once: its
    // first crash has no back-off), then the 5 min run again.
    let done = s["jobsets"][0]["completed_at_s"].as_f64().unwrap();
    assert!((360.0..380.0).contains(&done), "{done}");
}

#[test]
fn ignore_max_restarts_demonstrations_never_run_out() {
    let s = summary("scenarios/policies/restart-jobset-ignore-max.yaml");
    let j = &s["jobsets"][0];
    assert!(j["terminal_state"].is_null());
    assert!(j["restarts"].as_i64().unwrap() > 10, "{j}");
    assert_eq!(j["restarts_count_towards_max"], 0);
    let s = summary("scenarios/policies/restart-job-ignore-max.yaml");
    let j = &s["jobsets"][0];
    assert!(j["terminal_state"].is_null());
    assert_eq!(j["restarts"], 0);
    assert!(j["job_restarts"].as_i64().unwrap() > 3, "{j}");
}

/// Pod rows of events.csv: (time, job, pod, state).
fn pod_rows(dir: &std::path::Path) -> Vec<(f64, String, String, String)> {
    std::fs::read_to_string(dir.join("events.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].parse().unwrap(),
                c[2].to_string(),
                c[3].to_string(),
                c[5].to_string(),
            )
        })
        .collect()
}

#[test]
fn recreate_and_blocking_recreate_differ_as_documented() {
    let dir = scratch("restart_strategies");
    for (name, overlap_expected) in [("recreate", true), ("blocking-recreate", false)] {
        let out = dir.join(name);
        let o = run(&[
            "run",
            &format!("scenarios/policies/{name}.yaml"),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        let rows = pod_rows(&out);
        // The first attempt's slow pod: its deletion time.
        let slow_pod = rows
            .iter()
            .find(|r| r.1.ends_with("-slow-0") && r.3 == "Created")
            .unwrap()
            .2
            .clone();
        let slow_deleted = rows
            .iter()
            .find(|r| r.2 == slow_pod && r.3 == "Deleted")
            .unwrap()
            .0;
        let first_restart = rows
            .iter()
            .find(|r| r.1.ends_with("-leader-0") && r.3 == "Terminating")
            .unwrap()
            .0;
        let new_created = rows
            .iter()
            .filter(|r| r.3 == "Created" && r.0 > first_restart && !r.1.ends_with("-slow-0"))
            .map(|r| r.0)
            .fold(f64::INFINITY, f64::min);
        assert_eq!(
            new_created < slow_deleted,
            overlap_expected,
            "{name}: new {new_created} vs slow gone {slow_deleted}"
        );
    }
}

#[test]
fn quickstart_header_commands_work() {
    let s = summary("scenarios/quickstart.yaml");
    assert_eq!(s["jobsets"][0]["terminal_state"], "Completed");
}

/// recovery-15k-node-selector: every pod, before and after the restart, runs on a node of the
/// pool prepared for its Job (pool `v5p-k` labelled for Job `train-slice-k` through the
/// `{pool}` label template), and the restart recovers every pod.
#[test]
fn node_selector_strategy_scenario_keeps_each_job_in_its_prepared_pool() {
    let dir = scratch("node_selector_scenario");
    let o = run(&[
        "run",
        "scenarios/recovery-15k-node-selector.yaml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events = std::fs::read_to_string(dir.join("events.csv")).unwrap();
    let mut scheduled = 0;
    for line in events.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        if c[5] != "Scheduled" {
            continue;
        }
        scheduled += 1;
        let job_index = c[2].rsplit('-').next().unwrap();
        // Nodes are named <pool>-<node>, pools v5p-<index>.
        let pool_index = c[4].split('-').nth(1).unwrap();
        assert_eq!(job_index, pool_index, "{line}");
    }
    assert_eq!(scheduled, 2 * 15_008, "both attempts placed every pod");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["recovery"][0]["pods"], 15_008,
        "{}",
        summary["recovery"][0]
    );
}

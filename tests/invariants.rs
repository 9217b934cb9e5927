//! The invariant checker from the command line: `--check-invariants` runs clean, and a run
//! whose only oddity is an upstream behaviour exits 0 and reports it.

mod common;
use common::*;

/// maxRestarts: -1 through the binary with --check-invariants: exit 0 (src/tests/invariants.rs
/// checks the run's restarts).
#[test]
fn negative_max_restarts_runs_clean_through_the_binary() {
    let text = contention("{}").replace("maxRestarts: 2", "maxRestarts: -1");
    let dir = scratch("invariants_negative_max");
    let path = write(&dir, "s.yaml", &text);
    let out = run(&["run", path.to_str().unwrap(), "--check-invariants"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn check_invariants_flag_runs_clean() {
    let out = run(&[
        "run",
        "scenarios/policies/restart-jobset-max.yaml",
        "--check-invariants",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The stale-leader finding of v0.12.0 (src/tests/invariants.rs checks the run itself) through
/// the binary: exit 0, the finding in summary.json and in the printed table.
#[test]
fn the_binary_reports_stale_leader_followers_and_exits_0() {
    let path = swarm_fixture("stale-leader-v0.12.0.yaml");
    let dir = scratch("invariants_stale_leader");
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        path.to_str().unwrap(),
        "--check-invariants",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("followers-from-stale-leader at "),
        "{}",
        stdout(&out)
    );
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        written["upstream_behaviours"][0]["kind"],
        "followers-from-stale-leader"
    );
}

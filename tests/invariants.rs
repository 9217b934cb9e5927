//! The invariant checker from the command line: `--check-invariants` runs clean, and a run
//! whose only oddity is an upstream behaviour exits 0 and reports it.

mod common;
use common::*;
use std::path::PathBuf;

/// maxRestarts: -1 is accepted (v0.12.0 has no minimum) and the first failure reaches it: no
/// restart is counted, and the checker must not call 0 restarts "past -1" (issue 15, 3).
#[test]
fn negative_max_restarts_is_not_a_violation() {
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

fn swarm_fixture(name: &str) -> PathBuf {
    repo()
        .join("tests")
        .join("fixtures")
        .join("swarm")
        .join(name)
}

/// Under v0.12.0 followers created from a finished leader run in the old leader's domain while
/// the next leader lands elsewhere: a behaviour of upstream v0.12.0 (kubernetes-sigs/jobset
/// #1276, #1269), reported as a finding of the run, not an invariant failure (issue 15, 3).
#[test]
fn stale_leader_followers_are_an_upstream_finding_under_v0_12_0() {
    let path = swarm_fixture("stale-leader-v0.12.0.yaml");
    // Through the binary: exit 0, the finding in summary.json and in the printed table.
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

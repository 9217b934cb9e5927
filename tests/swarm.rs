//! `jobset-sim swarm` from the command line: its results do not depend on the thread count,
//! its reproducers work, diagnosed stalls pass its liveness phase.

mod common;
use common::*;

/// The digest at the end of the swarm's last line.
fn digest(o: &std::process::Output) -> String {
    let out = stdout(o);
    let last = out.lines().last().unwrap_or_default().to_string();
    last.rsplit("digest ")
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let args = |jobs: &str| {
        run(&[
            "swarm",
            "--seed",
            "3",
            "--cases",
            "80",
            "--twice-every",
            "4",
            "--skip",
            "liveness",
            "--jobs",
            jobs,
        ])
    };
    let one = args("1");
    let two = args("2");
    assert!(one.status.success(), "{}", stdout(&one));
    assert!(!digest(&one).is_empty());
    assert_eq!(
        digest(&one),
        digest(&two),
        "{}\n{}",
        stdout(&one),
        stdout(&two)
    );
    // Every 4th of 80 cases runs twice, unless it failed on its first run.
    let checked: u32 = stdout(&one)
        .split("determinism checked on ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((15..=20).contains(&checked), "{}", stdout(&one));
}

#[test]
fn a_printed_case_runs_as_a_scenario() {
    let dir = scratch("swarm_print");
    let o = run(&["swarm", "--seed", "9", "--case", "4", "--print-scenario"]);
    assert!(o.status.success());
    let path = write(&dir, "case.yaml", &stdout(&o));
    let r = run(&["run", path.to_str().unwrap(), "--check-invariants"]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stdout(&r).contains("swarm-9-4"));
}

#[test]
fn an_unknown_skip_class_is_bad_input() {
    let o = run(&["swarm", "--cases", "1", "--skip", "slowness"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown failure class"));
}

/// Stalls the simulator diagnoses itself pass the liveness phase: restarts through an action
/// that never counts toward maxRestarts, each attempt failing again (seed 2026 cases 1074,
/// 2824), failed indexes a training model waits for (305), an InOrder Job left suspended (1953).
#[test]
fn diagnosed_endless_stalls_pass_the_liveness_phase() {
    // And an in-place restart barrier that Succeeded pods can never lift (seed 15 case 260).
    let cases = [
        ("2026", "305"),
        ("2026", "1074"),
        ("2026", "1953"),
        ("2026", "2824"),
        ("15", "260"),
    ];
    for (seed, case) in cases {
        let o = run(&["swarm", "--seed", seed, "--case", case]);
        let text = stdout(&o) + &stderr(&o);
        assert_eq!(o.status.code(), Some(0), "case {case}: {text}");
        assert!(
            text.contains("stalled with a diagnosis"),
            "case {case}: {text}"
        );
    }
}

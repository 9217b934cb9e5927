//! Rules a scenario states that the run can never carry out are `warning:` lines on stderr
//! with the file, line and field path, from every command that loads the scenario; and the
//! notices and warnings of loading reach stderr from `sweep` and `compare` as from `run`.

mod common;
use common::*;

/// SMALL_SCENARIO (pods run 30 s, run.until 1h) with lines added under `workloads[0]` and at
/// the end.
fn scenario_with(workload_lines: &str, tail: &str) -> String {
    let s = SMALL_SCENARIO.replace(
        "- pods: {runFor: 30s}\n",
        &format!("- pods: {{runFor: 30s}}\n{workload_lines}"),
    );
    assert_ne!(s, SMALL_SCENARIO);
    format!("{s}{tail}")
}

fn warnings(o: &std::process::Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn rules_that_can_never_fire_are_warned_with_file_line_and_path() {
    let dir = scratch("never_fires_warnings");
    let text = scenario_with(
        "  updates: [{at: 2h, suspend: true}]\n",
        "faults:\n\
         - {kind: nodeFailures, ratePer1000NodeDays: 3.79}\n\
         - {kind: scripted, at: 3h, node: cpu-1}\n\
         - {kind: nodeFailures, ratePer1000NodeDays: 0}\n",
    )
    .replace(
        "- pods: {runFor: 30s}\n",
        "- pods:\n    runFor: 30s\n    exits:\n    - {replicatedJob: workers, after: 45s, exitCode: 1}\n    - {after: 10s, exitCode: 2}\n    - {podIndex: 1, after: 5s, exitCode: 3}\n",
    );
    let path = write(&dir, "s.yaml", &text);
    let file = path.to_str().unwrap();
    let o = run(&["run", file, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    let expect = [
        // exits[0]: after 45s >= runFor 30s.
        (
            "s.yaml:12:7: workloads[0].pods.exits[0]: ",
            "not shorter than the container's runFor (30s)",
        ),
        // exits[2] is shadowed by exits[1], which matches every container run.
        (
            "s.yaml:14:7: workloads[0].pods.exits[2]: ",
            "also matches pods.exits[1]",
        ),
        ("workloads[0].updates[0].at: ", "the update never happens"),
        // 3 nodes × 1/24 day × 3.79/1000 ≈ 0.00047 expected faults.
        (
            "faults[0].ratePer1000NodeDays: ",
            "expects 4.7e-4 faults over the run",
        ),
        ("faults[1].at: ", "never fires"),
    ];
    for (at, says) in expect {
        assert!(
            w.iter().any(|l| l.contains(at) && l.contains(says)),
            "no warning at {at:?} saying {says:?}: {w:#?}"
        );
    }
    // A rate of 0 is an injector turned off on purpose; exits[1] can fire.
    assert_eq!(w.len(), expect.len(), "{w:#?}");
    assert!(w.iter().all(|l| l.contains(file)), "{w:#?}");

    // The same warnings from every command that loads the scenario.
    let o = run(&["compare", file, file, "--seeds", "1", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(warnings(&o).len(), 2 * expect.len(), "{}", stderr(&o));
    let o = run(&["validate", file]);
    assert_eq!(warnings(&o).len(), expect.len(), "{}", stderr(&o));
    let sweep = write(
        &dir,
        "sweep.yaml",
        "scenario: s.yaml\nseeds: 1\naxes:\n- path: workloads[0].pods.runFor\n  values: [30s, 8s]\n",
    );
    let o = run(&["sweep", sweep.to_str().unwrap(), "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    // The base's five once (not again per cell), then what only the 8 s cell adds:
    // exits[1] (after 10 s) no longer beats runFor.
    assert_eq!(w.len(), expect.len() + 1, "{w:#?}");
    assert!(
        w[expect.len()].contains("[sweep cell c1] (workloads[0].pods.runFor=8s)")
            && w[expect.len()].contains("workloads[0].pods.exits[1]: after 10s"),
        "{w:#?}"
    );
}

#[test]
fn a_scenario_with_nothing_to_warn_about_prints_no_warning() {
    let o = run(&["run", "scenarios/quickstart.yaml", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(warnings(&o), Vec::<String>::new());
}

#[test]
fn validate_warn_notices_reach_stderr_from_sweep_and_compare() {
    let dir = scratch("never_fires_validate_warn");
    let text = SMALL_SCENARIO.replace(
        "parallelism: 3",
        "parallelism: 3\n            paralelism: 3",
    );
    let path = write(&dir, "s.yaml", &text);
    let file = path.to_str().unwrap();
    let sweep = write(
        &dir,
        "sweep.yaml",
        "scenario: s.yaml\nseeds: 1\naxes:\n- path: run.seed\n  values: [1, 2]\n",
    );
    let typo = |o: &std::process::Output| {
        stderr(o)
            .lines()
            .filter(|l| l.starts_with("warning: ") && l.contains("paralelism"))
            .count()
    };
    // Strict: an error, exit 2, in both.
    let o = run(&["sweep", sweep.to_str().unwrap(), "--dry-run"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(&["compare", file, file, "--dry-run"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Warn: one warning line for the scenario (not one per cell), and the commands go on.
    let out = dir.join("out");
    let o = run(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--validate=warn",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(typo(&o), 1, "{}", stderr(&o));
    let o = run(&["compare", file, file, "--seeds", "1", "--validate=warn"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(typo(&o), 2, "{}", stderr(&o));
}

#[test]
fn compare_dry_run_prints_both_plans_and_runs_nothing() {
    let o = run(&[
        "compare",
        "scenarios/policies/recreate.yaml",
        "tests/fixtures/sweep/sweep.yaml#c1",
        "--seed-list",
        "3,5",
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for says in [
        "side A    scenarios/policies/recreate.yaml",
        "side B    tests/fixtures/sweep/sweep.yaml#c1 (",
        "seeds      3,5 (both sides run each): 4 runs",
        "nothing ran",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(!text.contains("paired"), "{text}");
    // Errors are found as in a real comparison.
    let o = run(&[
        "compare",
        "scenarios/quickstart.yaml",
        "scenarios/quickstart.yaml",
        "--dry-run",
        "--set",
        "run.until=soon",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

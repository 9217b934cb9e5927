//! `compare`, the `expect:` gates of `run`, and `check` against stored baselines, end to end.

mod common;
use common::*;

const BASE: &str = "tests/fixtures/sweep/base.yaml";
const SWEEP: &str = "tests/fixtures/sweep/sweep.yaml";

#[test]
fn compare_identical_scenarios_reports_no_difference() {
    let o = run(&["compare", BASE, BASE, "--seeds", "3", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let c: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(c["seeds"], serde_json::json!([1, 2, 3]));
    let metrics = c["metrics"].as_array().unwrap();
    assert!(metrics.iter().any(|m| m["name"] == "recovery.pods_per_s"));
    for m in metrics {
        assert_eq!(m["mean_diff"], 0.0, "{m}");
        assert_eq!(m["significant"], false, "{m}");
        assert_eq!(m["n"], 3, "{m}");
    }
}

#[test]
fn compare_sweep_cells_finds_the_difference() {
    // c1 and c3 differ only in restartStrategy (Recreate vs BlockingRecreate).
    let a = format!("{SWEEP}#c1");
    let b = format!("{SWEEP}#c3");
    let o = run(&["compare", &a, &b, "--seed-list", "1,2,3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("strategy=BlockingRecreate"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("recovery.pods_per_s"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("B higher by"), "{line}");
    let line = text.lines().find(|l| l.starts_with("restarts")).unwrap();
    assert!(line.contains("no difference"), "{line}");
    let bad = run(&["compare", &format!("{SWEEP}#c9"), BASE]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no such cell"), "{}", stderr(&bad));
}

fn scenario_with(dir: &std::path::Path, expect: &str) -> String {
    let text = format!("{SMALL_SCENARIO}expect:\n{expect}");
    write(dir, "s.yaml", &text).to_str().unwrap().to_string()
}

#[test]
fn expectations_on_numbers_pass_and_non_numbers_fail() {
    let dir = scratch("gates_pass");
    let s = scenario_with(
        &dir,
        "- \"restarts == 0\"\n- \"jobsets[0].terminal_state == 0\"\n",
    );
    // terminal_state is a string, not a number a gate can test: refused at load.
    let o = run(&["run", &s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown metric"), "{}", stderr(&o));
    let s = scenario_with(&dir, "- \"restarts == 0\"\n- \"pods.succeeded >= 6\"\n");
    let o = run(&["run", &s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn failing_expectation_exits_3_naming_metric_value_and_bound() {
    let dir = scratch("gates_fail");
    let s = scenario_with(
        &dir,
        "- \"pods.created >= 100\"\n- \"restarts == 0\"\n- \"goodput >= 0.9\"\n",
    );
    let o = run(&["run", &s, "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("expectation failed: pods.created >= 100: value 6, bound >= 100"),
        "{err}"
    );
    assert!(err.contains("goodput >= 0.9: goodput is absent"), "{err}");
    assert!(!err.contains("restarts == 0"), "{err}");
    // The summary is still printed.
    assert!(stdout(&o).contains("\"scenario\""));
}

#[test]
fn bad_expectation_is_exit_2_with_line_and_path() {
    let dir = scratch("gates_bad");
    let s = scenario_with(&dir, "- \"restarts == 0\"\n- \"restarts = 1\"\n");
    let lines = SMALL_SCENARIO.lines().count();
    let o = run(&["run", &s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("s.yaml:{}:1: expect[1]:", lines + 3)),
        "{err}"
    );
}

#[test]
fn misspelled_metric_is_exit_2_at_load_naming_line_and_valid_names() {
    let dir = scratch("gates_misspelled");
    let s = scenario_with(&dir, "- \"restarts == 0\"\n- \"recovery.pod_per_s >= 1\"\n");
    let lines = SMALL_SCENARIO.lines().count();
    let started = std::time::Instant::now();
    let o = run(&["run", &s, "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("s.yaml:{}:1: expect[1]:", lines + 3)),
        "{err}"
    );
    assert!(err.contains("did you mean recovery.pods_per_s?"), "{err}");
    for valid in [
        "finished_at_s",
        "goodput",
        "jobsets[].restarts",
        "faults[].by_cause.*.faults",
    ] {
        assert!(err.contains(valid), "{valid} not listed: {err}");
    }
    // Nothing ran: no summary on stdout.
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn check_passes_on_a_fresh_baseline_and_fails_on_a_tampered_one() {
    let dir = scratch("gates_check");
    let fresh = run(&["run", "scenarios/quickstart.yaml", "--json"]);
    assert_eq!(fresh.status.code(), Some(0));
    let good = write(&dir, "quickstart.json", &stdout(&fresh));
    let o = run(&["check", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("same"), "{}", stdout(&o));

    let tampered = stdout(&fresh).replace("\"created\": 5", "\"created\": 6");
    assert_ne!(tampered, stdout(&fresh), "fixture changed");
    let bad = write(&dir, "tampered.json", &tampered);
    let o = run(&["check", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("pods.created: baseline 6, now 5"),
        "{}",
        stdout(&o)
    );
    // Headline metrics first, with their relative change, then the changed fields.
    let out = stdout(&o);
    let headline = out.find("headline metrics:").expect(&out);
    let fields = out.find("changed fields (1):").expect(&out);
    assert!(headline < fields, "{out}");
    assert!(
        out[headline..fields].contains("pods.created                 6 -> 5 (-16.67%)"),
        "{out}"
    );
    assert!(out[headline..fields].contains("unchanged: "), "{out}");
    // A baseline of a newer summary schema is refused before any run.
    let mut newer: serde_json::Value = serde_json::from_str(&stdout(&fresh)).unwrap();
    assert!(
        newer["schema_version"].is_u64(),
        "no schema_version in the summary"
    );
    newer["schema_version"] = 99.into();
    let newer = write(&dir, "newer.json", &newer.to_string());
    let o = run(&["check", newer.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("schema 99 is newer"), "{}", stderr(&o));
    // A baseline from before summaries carried versions still checks, with a note.
    let mut old: serde_json::Value = serde_json::from_str(&stdout(&fresh)).unwrap();
    for k in ["tool_version", "schema_version", "scenario_hash"] {
        old.as_object_mut().unwrap().remove(k);
    }
    let old = write(&dir, "old.json", &old.to_string());
    let o = run(&["check", old.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("predates summary versions"),
        "{}",
        stdout(&o)
    );
    // A relative tolerance of 25% on pods accepts it.
    let o = run(&["check", bad.to_str().unwrap(), "--tolerance", "pods=0.25"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A tolerance whose path names no field would apply to nothing: exit 2, before any run,
    // with the nearest path the summary has.
    for (tolerance, hint) in [
        ("podz=0.25", "did you mean \"pods\"?"),
        ("pods.create=0.25", "did you mean \"pods.created\"?"),
        (
            "jobsets[9].restarts=0.25",
            "jobsets has 1 entry; did you mean \"jobsets[0]\"?",
        ),
    ] {
        let o = run(&["check", bad.to_str().unwrap(), "--tolerance", tolerance]);
        assert_eq!(o.status.code(), Some(2), "{tolerance}: {}", stderr(&o));
        let path = tolerance.trim_end_matches("=0.25");
        assert!(
            stderr(&o).starts_with(&format!(
                "error: --tolerance: {path:?} names no field of the baseline summaries"
            )) && stderr(&o).contains(hint),
            "{tolerance}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    }
}

#[test]
fn stored_baselines_still_hold() {
    // The fast ones; .ci/run checks them all in release.
    for b in [
        "quickstart",
        "restart-jobset",
        "recreate",
        "in-place-restart",
    ] {
        let o = run(&["check", &format!("results/baselines/{b}.json")]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{b}: {}{}\nrefresh with: jobset-sim run <scenario> --json > results/baselines/{b}.json",
            stdout(&o),
            stderr(&o)
        );
    }
}

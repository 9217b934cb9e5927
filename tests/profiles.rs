//! Control-plane profiles (`controlPlane.profile`, `calibrate --profile`, profiles/*.yaml):
//! selecting one changes the constants, `ci` is the defaults to the byte, a scenario's own keys
//! override the profile's, a profile file is found relative to the scenario, and a bad profile
//! is an error naming its file, line and field (exit 2).

mod common;
use common::*;
use std::path::Path;

/// Naming `ci` changes nothing a run writes: the same events, the same summary (but for the
/// scenario's hash, whose text differs, and the wall time).
#[test]
fn ci_profile_runs_byte_identical_to_the_defaults() {
    let dir = scratch("ci_profile_identical");
    let plain = write(&dir, "plain.yaml", SMALL_SCENARIO);
    let ci = write(&dir, "ci.yaml", &scenario_with("{profile: ci}"));
    let mut outputs = vec![];
    for (scenario, out) in [(&plain, dir.join("a")), (&ci, dir.join("b"))] {
        let o = run(&[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        outputs.push(out);
    }
    let read = |d: &Path, f: &str| std::fs::read(d.join(f)).unwrap();
    assert_eq!(
        read(&outputs[0], "events.csv"),
        read(&outputs[1], "events.csv")
    );
    let summary = |d: &Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&read(d, "summary.json")).unwrap();
        let m = v.as_object_mut().unwrap();
        m.remove("wall_ms");
        m.remove("scenario_hash");
        v
    };
    assert_eq!(summary(&outputs[0]), summary(&outputs[1]));
}

/// summary.json says which profile the constants came from and whether the scenario changed
/// any of them.
#[test]
fn the_summary_names_the_profile_and_whether_it_was_overridden() {
    let dir = scratch("summary_names_profile");
    let control_plane = |scenario: &str| {
        let path = write(&dir, &format!("{}.yaml", scenario.len()), scenario);
        let o = run(&["run", path.to_str().unwrap(), "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["control_plane"].clone()
    };
    assert_eq!(
        control_plane(SMALL_SCENARIO),
        serde_json::json!({"profile": "ci", "profile_file": "profiles/ci.yaml", "overridden": false})
    );
    assert_eq!(
        control_plane(&scenario_with("{profile: gke}")),
        serde_json::json!({"profile": "gke", "profile_file": "profiles/gke.yaml", "overridden": false})
    );
    let tuned = control_plane(&scenario_with("{profile: gke, scheduler: {qps: 123}}"));
    assert_eq!(tuned["profile"], "gke");
    assert_eq!(tuned["overridden"], true);
}

/// `run --out` of a scenario using the profile file `profile` (written next to it): exit 2
/// with nothing on stdout and no output folder; returns stderr.
fn rejected(test: &str, profile: &str) -> String {
    let dir = scratch(test);
    write(&dir, "p.yaml", profile);
    let s = write(&dir, "s.yaml", &scenario_with("{profile: p.yaml}"));
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        s.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out_dir.exists(), "no output for bad input");
    err
}

/// The 1-based line of the first line of `text` equal to `line`.
fn line_of(text: &str, line: &str) -> usize {
    text.lines().position(|l| l.starts_with(line)).unwrap() + 1
}

#[test]
fn a_missing_constant_names_its_file_line_and_path() {
    let text = ci_text().replace("    perNodeScoreCost: 1300ns", "    #");
    let err = rejected("profile_missing", &text);
    let line = line_of(&text, "  scheduler:");
    assert!(
        err.contains(&format!(
            "p.yaml:{line}:3: controlPlane.scheduler.perNodeScoreCost: missing"
        )),
        "{err}"
    );
}

#[test]
fn an_unknown_constant_names_its_file_line_and_path() {
    let text = ci_text().replace("    bindLatency:", "    bindLatencyy:");
    let err = rejected("profile_unknown", &text);
    let line = line_of(&text, "    bindLatencyy:");
    assert!(
        err.contains(&format!(
            "p.yaml:{line}:5: controlPlane.scheduler.bindLatencyy: unknown field"
        )),
        "{err}"
    );
}

/// The InterPodAffinity cost was one constant until it was split in two (issue 13): the old
/// key is unknown now, and each new one is checked like any duration.
#[test]
fn the_old_affinity_key_and_a_bad_affinity_cost_are_located() {
    let old = ci_text().replace("    affinityPerPodTermCost:", "    affinityPerPodCost:");
    let err = rejected("profile_old_affinity_key", &old);
    let line = line_of(&old, "    affinityPerPodCost:");
    assert!(
        err.contains(&format!(
            "p.yaml:{line}:5: controlPlane.scheduler.affinityPerPodCost: unknown field"
        )),
        "{err}"
    );
    let bad = ci_text().replace(
        "    affinityPerExistingPodCost: 2600ns",
        "    affinityPerExistingPodCost: fast",
    );
    let err = rejected("profile_bad_affinity_cost", &bad);
    let line = line_of(&bad, "    affinityPerExistingPodCost:");
    assert!(
        err.contains(&format!(
            "p.yaml:{line}:33: controlPlane.scheduler.affinityPerExistingPodCost:"
        )),
        "{err}"
    );
}

#[test]
fn a_wrong_type_names_its_file_line_and_path() {
    let text = ci_text().replace("    evictionRatePerS: 0.1", "    evictionRatePerS: fast");
    let err = rejected("profile_type", &text);
    let line = line_of(&text, "    evictionRatePerS:");
    assert!(
        err.contains(&format!(
            "p.yaml:{line}:23: controlPlane.nodeLifecycle.evictionRatePerS: invalid type"
        )),
        "{err}"
    );
}

#[test]
fn out_of_range_values_are_each_named() {
    let text = ci_text()
        .replace(
            "    percentageOfNodesToScore: 0",
            "    percentageOfNodesToScore: 101",
        )
        .replace("    maxInFlight: 50", "    maxInFlight: 0")
        .replace("    workers: 5 ", "    workers: 0 ");
    let err = rejected("profile_range", &text);
    let pct = line_of(&text, "    percentageOfNodesToScore:");
    let flight = line_of(&text, "    maxInFlight:");
    let workers = line_of(&text, "    workers: 0");
    assert!(
        err.contains(&format!(
            "p.yaml:{workers}:14: controlPlane.jobController.workers: must be at least 1"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "p.yaml:{pct}:31: controlPlane.scheduler.percentageOfNodesToScore: must be between 0 and 100"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "p.yaml:{flight}:18: controlPlane.jobsetController.maxInFlight: must be at least 1"
        )),
        "{err}"
    );
}

#[test]
fn a_scenario_choice_or_an_unknown_target_in_a_profile_is_refused() {
    let text = ci_text()
        .replace(
            "  jobsetController:",
            "  jobsetController:\n    version: main",
        )
        .replace("fittedTargets: [T2a,", "fittedTargets: [T99,");
    let err = rejected("profile_choice", &text);
    let version = line_of(&text, "    version: main");
    let targets = line_of(&text, "fittedTargets:");
    assert!(
        err.contains(&format!(
            "p.yaml:{version}:14: controlPlane.jobsetController.version: is a scenario's choice"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("p.yaml:{targets}:")) && err.contains("fittedTargets[0]: \"T99\""),
        "{err}"
    );
}

#[test]
fn an_unknown_profile_name_is_located_in_the_scenario() {
    let dir = scratch("profile_unknown_name");
    let s = write(&dir, "s.yaml", &scenario_with("{profile: fast}"));
    let out = run(&["run", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "s.yaml:3:25: controlPlane.profile: \"fast\" is not a built-in profile (ci, gke)"
        ),
        "{err}"
    );
    let out = run(&["calibrate", "--profile", "fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: --profile: \"fast\" is not a built-in profile"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn calibrate_reads_a_bad_profile_file_as_an_error() {
    let dir = scratch("calibrate_bad_profile");
    let text = ci_text().replace("    qps: 20\n", "    qps: -1\n");
    let p = write(&dir, "mine.yaml", &text);
    let out = run(&["calibrate", "--profile", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let line = line_of(&text, "    qps: -1");
    assert!(
        stderr(&out).contains(&format!(
            "mine.yaml:{line}:10: controlPlane.jobController.qps: must be a number"
        )),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

//! The CI conveniences of the command line: `--set`, `--dry-run`, `-` for standard input,
//! progress lines in logs and the sweep's closing table.

mod common;
use common::*;
use std::io::Write;
use std::process::Stdio;

fn run_stdin(args: &[&str], input: &str) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn summary(o: &std::process::Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap()
}

#[test]
fn set_overrides_fields_and_names_bad_paths() {
    let plain = summary(&run(&["run", "scenarios/quickstart.yaml", "--json"]));
    let set = summary(&run(&[
        "run",
        "scenarios/quickstart.yaml",
        "--json",
        "--set",
        "run.seed=5",
        "--set",
        "run.until=20s",
    ]));
    assert_eq!(set["seed"], 5);
    assert_eq!(set["sim_end_s"], 20.0);
    assert_ne!(plain["scenario_hash"], set["scenario_hash"]);
    // A field of the JobSet, through its manifest file.
    let set = summary(&run(&[
        "run",
        "scenarios/quickstart.yaml",
        "--json",
        "--set",
        "workloads[0].jobset.spec.replicatedJobs[0].replicas=2",
    ]));
    assert_ne!(plain["pods"]["created"], set["pods"]["created"]);

    for (arg, says) in [
        (
            "workloads[3].at=1s",
            "workloads has 1 entries, so [3] does not exist",
        ),
        ("run.untill=1s", "untill"),
        ("run.until", "expected PATH=VALUE"),
        (
            "workloads[0].jobset.spec.failurePolicy.maxRestart=2",
            "unknown field \"maxRestart\": neither Kubernetes nor JobSet defines it in a FailurePolicy; did you mean \"maxRestarts\"?",
        ),
    ] {
        let o = run(&["run", "scenarios/quickstart.yaml", "--set", arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{arg}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{arg}: {}", stdout(&o));
    }
}

#[test]
fn set_applies_to_sweeps_and_compare() {
    let dir = scratch("ci_set_sweep");
    let out = dir.join("out");
    let o = run(&[
        "sweep",
        "tests/fixtures/sweep/sweep.yaml",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "run.until=10s",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "sim_end_s").unwrap();
    for line in runs.lines().skip(1) {
        assert_eq!(line.split(',').nth(col), Some("10"), "{line}");
    }
    let base = "tests/fixtures/sweep/base.yaml";
    let o = run(&[
        "compare",
        base,
        base,
        "--seeds",
        "1",
        "--json",
        "--set",
        "run.until=10s",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let c: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let end = c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "sim_end_s")
        .unwrap()
        .clone();
    assert_eq!(end["mean_a"], 10.0, "{end}");
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let dir = scratch("ci_dry_run");
    let out = dir.join("never");
    let o = run(&[
        "run",
        "scenarios/recovery-15k.yaml",
        "--dry-run",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "run.seed=9",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for says in [
        "cluster    15008 nodes",
        // Byte quantities in binary units, as manifests write them.
        "memory: 448Gi",
        "seed       9",
        "until      ",
        "train: at 0s",
        "faults     0",
        "nothing ran",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(!out.exists(), "dry run created {}", out.display());
    let o = run(&[
        "sweep",
        "tests/fixtures/sweep/sweep.yaml",
        "--dry-run",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("4 cells × 3 seeds = 12 runs"),
        "{}",
        stdout(&o)
    );
    assert!(!out.exists());
    // Errors are found as in a real run.
    let o = run(&[
        "run",
        "scenarios/quickstart.yaml",
        "--dry-run",
        "--set",
        "run.until=soon",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn dash_reads_the_scenario_from_standard_input() {
    let from_file = {
        let dir = scratch("ci_stdin");
        let f = write(&dir, "small.yaml", SMALL_SCENARIO);
        summary(&run(&["run", f.to_str().unwrap(), "--json"]))
    };
    let from_stdin = summary(&run_stdin(&["run", "-", "--json"], SMALL_SCENARIO));
    assert_eq!(from_file["scenario_hash"], from_stdin["scenario_hash"]);
    assert_eq!(from_file["events"], from_stdin["events"]);
    let broken = SMALL_SCENARIO.replace("nodesPerPool: 3", "nodesPerPool: many");
    let o = run_stdin(&["run", "-"], &broken);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: <stdin>:"), "{}", stderr(&o));
    let o = run(&["compare", "-", "-"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn progress_lines_in_logs_change_no_output() {
    let dir = scratch("ci_progress");
    let quiet = bin()
        .args(["run", "scenarios/recovery-15k.yaml", "--json", "--out"])
        .arg(dir.join("quiet"))
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    // Short runs print no progress at the default period (10 s).
    assert!(!stderr(&quiet).contains("progress:"), "{}", stderr(&quiet));
    let chatty = bin()
        .args(["run", "scenarios/recovery-15k.yaml", "--json", "--out"])
        .arg(dir.join("chatty"))
        .env("JOBSET_SIM_PROGRESS_S", "0.01")
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(chatty.status.code(), Some(0));
    let lines: Vec<&str> = std::str::from_utf8(&chatty.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("progress: simulated "))
        .collect();
    assert!(lines.len() >= 2, "{}", stderr(&chatty));
    for f in ["events.csv", "timeline.csv", "timeline.svg", "recovery.svg"] {
        assert_eq!(
            std::fs::read(dir.join("quiet").join(f)).unwrap(),
            std::fs::read(dir.join("chatty").join(f)).unwrap(),
            "{f}"
        );
    }
    let strip = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("wall_ms");
        v
    };
    assert_eq!(strip(&quiet), strip(&chatty));
}

#[test]
fn sweep_ends_with_a_table_of_headline_metrics() {
    let dir = scratch("ci_sweep_table");
    let o = run(&[
        "sweep",
        "tests/fixtures/sweep/sweep.yaml",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("mean per cell over 3 seed(s)"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("recovery.pods_per_s"))
        .unwrap_or_else(|| panic!("{text}"));
    // Readable precision: no float noise.
    assert!(
        row.split_whitespace().skip(1).all(|w| w.len() <= 8),
        "{row}"
    );
    let header = text.lines().find(|l| l.starts_with("cell ")).unwrap();
    assert!(header.contains("c0") && header.contains("c3"), "{header}");
    // cells.csv: at most 9 decimals.
    let cells = std::fs::read_to_string(dir.join("out/cells.csv")).unwrap();
    for field in cells.lines().skip(1).flat_map(|l| l.split(',')) {
        if let Some((_, decimals)) = field
            .split_once('.')
            .filter(|_| field.parse::<f64>().is_ok())
        {
            assert!(decimals.len() <= 9, "{field}");
        }
    }
}

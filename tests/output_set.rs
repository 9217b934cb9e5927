//! `run --out DIR` writes its files as one set: a new set replaces the old one whole (no stale
//! file, never a mix, even when the process is killed while writing), a write failure is exit 4
//! with its own message, leaves DIR as it was and no temporary file, and the table is still
//! printed; a DIR that cannot be written is found before the simulation.

mod common;
use common::*;
use std::path::Path;

const QUICKSTART: &str = "scenarios/quickstart.yaml";

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .map(|n| (n.clone(), std::fs::read(dir.join(&n)).unwrap()))
        .collect()
}

#[test]
fn no_events_leaves_no_stale_events_csv() {
    let root = scratch("out_no_stale");
    let out = root.join("run");
    let o = run(&["run", QUICKSTART, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        names(&out),
        [
            "events.csv",
            "jobsets.csv",
            "record.json",
            "recovery.svg",
            "summary.json",
            "timeline.csv",
            "timeline.svg"
        ]
    );
    let o = run(&[
        "run",
        QUICKSTART,
        "--out",
        out.to_str().unwrap(),
        "--no-events",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        names(&out),
        [
            "jobsets.csv",
            "record.json",
            "recovery.svg",
            "summary.json",
            "timeline.csv",
            "timeline.svg"
        ]
    );
    assert_eq!(names(&root), ["run"], "no staging folder left");
}

#[test]
fn the_report_page_is_part_of_the_set() {
    let root = scratch("out_with_report");
    let out = root.join("run");
    let o = run(&[
        "run",
        QUICKSTART,
        "--out",
        out.to_str().unwrap(),
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(names(&out).contains(&"report.html".to_string()));
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<svg"), "the timeline chart is in the page");
    // A later run without --report leaves no stale page describing the earlier run.
    let o = run(&["run", QUICKSTART, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!names(&out).contains(&"report.html".to_string()));
    assert_eq!(names(&root), ["run"], "no staging folder left");
}

#[test]
fn a_failed_write_is_exit_4_keeps_the_old_set_and_prints_the_table() {
    let root = scratch("out_write_fails");
    let out = root.join("run");
    assert_eq!(
        run(&["run", QUICKSTART, "--out", out.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let before = contents(&out);
    let o = bin()
        .args([
            "run",
            "scenarios/policies/restart-jobset.yaml",
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo())
        .env("JOBSET_SIM_OUTPUT_FAULT", "fail:timeline.svg")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!("error: cannot write the output folder {}: writing timeline.svg: No space left on device (injected fault) (the folder is left as it was)\n", out.display())
    );
    assert!(
        stdout(&o).contains("restartjobset-action-example  Completed"),
        "{}",
        stdout(&o)
    );
    assert_eq!(contents(&out), before, "the old set, untouched");
    assert_eq!(names(&root), ["run"], "no temporary folder left");
}

#[test]
fn an_unwritable_out_is_found_before_the_simulation() {
    // Nothing can be created under /proc, whoever runs the test.
    let o = run(&["run", QUICKSTART, "--out", "/proc/jobset-sim-test/run"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: cannot write the output folder /proc/jobset-sim-test/run: cannot create its parent folder:"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing was simulated");
}

#[test]
fn a_folder_with_other_files_is_refused_before_the_simulation() {
    let root = scratch("out_foreign");
    write(&root, "notes.md", "mine");
    let o = run(&["run", QUICKSTART, "--out", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--out: it holds files a run does not write (notes.md)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(names(&root), ["notes.md"]);
}

#[test]
fn a_run_killed_while_writing_leaves_the_old_set_whole() {
    let root = scratch("out_killed");
    let out = root.join("run");
    assert_eq!(
        run(&[
            "run",
            QUICKSTART,
            "--out",
            out.to_str().unwrap(),
            "--no-events"
        ])
        .status
        .code(),
        Some(0)
    );
    let before = contents(&out);
    // The hook stops the run after its new files are written, before they take DIR's place.
    let mut child = bin()
        .args([
            "run",
            "scenarios/policies/restart-jobset.yaml",
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo())
        .env("JOBSET_SIM_OUTPUT_FAULT", "stall")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let staging = root.join(format!(".run.tmp-{}", child.id()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !staging.join("events.csv").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never wrote its files"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        contents(&out),
        before,
        "readers still see the whole old set"
    );
    // The next run clears what the killed one left and puts its own set in place.
    let o = run(&["run", QUICKSTART, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&root), ["run"]);
    assert_eq!(
        names(&out),
        [
            "events.csv",
            "jobsets.csv",
            "record.json",
            "recovery.svg",
            "summary.json",
            "timeline.csv",
            "timeline.svg"
        ]
    );
}

/// The scenario a folder's record.json is of.
fn record_scenario(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("record.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["scenario"].as_str().unwrap().to_string()
}

#[test]
fn the_record_is_part_of_the_set() {
    let root = scratch("out_record");
    let out = root.join("run");
    // A set written before record.json existed is a run folder: replaced, record added.
    std::fs::create_dir_all(&out).unwrap();
    write(&out, "summary.json", "{}");
    write(&out, "events.csv", "old");
    let o = run(&["run", QUICKSTART, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(names(&out).contains(&"record.json".to_string()));
    assert_eq!(record_scenario(&out), "quickstart");
    // A failed write of the record leaves the whole old set, record included.
    let before = contents(&out);
    let o = bin()
        .args([
            "run",
            "scenarios/policies/restart-jobset.yaml",
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo())
        .env("JOBSET_SIM_OUTPUT_FAULT", "fail:record.json")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("writing record.json"), "{}", stderr(&o));
    assert_eq!(contents(&out), before, "the old set, untouched");
    // The next run's record replaces the old one: no stale record of another run stays.
    let o = run(&[
        "run",
        "scenarios/policies/restart-jobset.yaml",
        "--out",
        out.to_str().unwrap(),
        "--no-events",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(record_scenario(&out), "restart-jobset");
    assert_eq!(names(&root), ["run"], "no staging folder left");
}

#[test]
fn a_failed_events_csv_written_during_the_run_leaves_no_half_file() {
    // events.csv is written as the run goes, into the staging folder as a part file that
    // takes its name only once whole: a failure there leaves DIR and its parent as they were.
    let root = scratch("out_events_fail");
    let out = root.join("run");
    assert_eq!(
        run(&["run", QUICKSTART, "--out", out.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let before = contents(&out);
    let o = bin()
        .args([
            "run",
            "scenarios/policies/restart-jobset.yaml",
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo())
        .env("JOBSET_SIM_OUTPUT_FAULT", "fail:events.csv")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!("error: cannot write the output folder {}: writing events.csv: No space left on device (injected fault) (the folder is left as it was)\n", out.display())
    );
    assert_eq!(contents(&out), before, "the old set, untouched");
    assert_eq!(names(&root), ["run"], "no temporary folder left");
}

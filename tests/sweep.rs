//! `jobset-sim sweep` and `merge` end to end on tiny fixtures (tests/fixtures/sweep/): outputs
//! independent of --jobs, resume, shards + merge, and bad input.

mod common;
use common::*;
use std::path::Path;

const SWEEP: &str = "tests/fixtures/sweep/sweep.yaml";

fn sweep(args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    run(&all)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn ok(o: &std::process::Output) {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
}

#[test]
fn outputs_do_not_depend_on_jobs() {
    let dir = scratch("sweep_jobs");
    let (one, two) = (dir.join("one"), dir.join("two"));
    ok(&sweep(&[
        SWEEP,
        "--jobs",
        "1",
        "--out",
        one.to_str().unwrap(),
    ]));
    ok(&sweep(&[
        SWEEP,
        "--jobs",
        "2",
        "--out",
        two.to_str().unwrap(),
    ]));
    for f in ["runs.csv", "cells.csv"] {
        assert_eq!(read(&one.join(f)), read(&two.join(f)), "{f} differs");
    }
    let runs = read(&one.join("runs.csv"));
    let mut lines = runs.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("cell,strategy,workloads[0].jobset.spec.failurePolicy.maxRestarts,seed,finished_at_s,restarts,"),
        "{header}"
    );
    // 2 strategies × 2 maxRestarts × 3 seeds, cell-major, seeds in order.
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 12);
    assert_eq!(&rows[0][..4], ["c0", "Recreate", "0", "1"]);
    assert_eq!(&rows[5][..4], ["c1", "Recreate", "2", "3"]);
    assert_eq!(&rows[11][..4], ["c3", "BlockingRecreate", "2", "3"]);
    // maxRestarts 0: the JobSet fails without restarting; 2: it restarts once.
    assert_eq!(rows[0][5], "0");
    assert_eq!(rows[3][5], "1");
    let cells = read(&one.join("cells.csv"));
    assert!(cells.starts_with(
        "cell,strategy,workloads[0].jobset.spec.failurePolicy.maxRestarts,metric,n,mean,sd,ci95_lo,ci95_hi\n"
    ));
    assert!(
        cells.contains("\nc1,Recreate,2,restarts,3,1,0,1,1\n"),
        "{cells}"
    );
    // A metric no run has: n = 0 and empty statistics.
    assert!(cells.contains("\nc0,Recreate,0,goodput,0,,,,\n"), "{cells}");
}

#[test]
fn resume_reruns_only_missing_runs() {
    let dir = scratch("sweep_resume");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    ok(&sweep(&[SWEEP, "--out", o]));
    let first = read(&out.join("runs.csv"));
    // One run lost (killed before its file was written) ...
    std::fs::remove_file(out.join("runs/c2-s3.json")).unwrap();
    // ... and one kept, its modification time set back so we can tell it was not rewritten.
    let kept = out.join("runs/c0-s2.json");
    let kept_bytes = read(&kept);
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let f = std::fs::File::options().write(true).open(&kept).unwrap();
    f.set_modified(old).unwrap();
    drop(f);
    let again = sweep(&[SWEEP, "--out", o]);
    ok(&again);
    assert!(
        stdout(&again).contains("1 ran, 11 already done"),
        "{}",
        stdout(&again)
    );
    assert!(out.join("runs/c2-s3.json").exists());
    assert_eq!(std::fs::metadata(&kept).unwrap().modified().unwrap(), old);
    assert_eq!(read(&kept), kept_bytes);
    assert_eq!(read(&out.join("runs.csv")), first);
}

/// A run file changed after the sweep wrote it is refused on resume (and by merge), naming the
/// file; its numbers never reach the tables.
#[test]
fn a_hand_edited_run_file_is_refused() {
    let dir = scratch("sweep_edited");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    ok(&sweep(&[SWEEP, "--out", o]));
    let tables = read(&out.join("runs.csv"));
    let edited = out.join("runs/c0-s2.json");
    let original = read(&edited);
    let mut changed: serde_json::Value = serde_json::from_str(&original).unwrap();
    changed["summary"]["events"] = serde_json::json!(123456);
    std::fs::write(&edited, serde_json::to_string(&changed).unwrap()).unwrap();
    let want = format!(
        "{}:1:1: this run file was changed after the sweep wrote it",
        edited.display()
    );
    let again = sweep(&[SWEEP, "--out", o]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains(&want), "{}", stderr(&again));
    assert_eq!(read(&out.join("runs.csv")), tables, "tables untouched");
    let merged = dir.join("merged");
    let m = run(&["merge", o, "--out", merged.to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
    assert!(stderr(&m).contains(&want), "{}", stderr(&m));
    // Spacing alone is not a change of content.
    let pristine: serde_json::Value = serde_json::from_str(&original).unwrap();
    std::fs::write(&edited, serde_json::to_string_pretty(&pristine).unwrap()).unwrap();
    let resumed = sweep(&[SWEEP, "--out", o]);
    ok(&resumed);
    assert!(
        stdout(&resumed).contains("0 ran, 12 already done"),
        "{}",
        stdout(&resumed)
    );
    assert_eq!(read(&out.join("runs.csv")), tables);
}

#[test]
fn a_changed_sweep_is_refused_in_the_same_out_dir() {
    let dir = scratch("sweep_changed");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let base = repo().join("tests/fixtures/sweep/base.yaml");
    let text = format!(
        "scenario: {}\nseeds: 2\naxes:\n- path: run.until\n  values: [1h]\n",
        base.display()
    );
    let s = write(&dir, "s.yaml", &text);
    ok(&sweep(&[s.to_str().unwrap(), "--out", o]));
    write(&dir, "s.yaml", &text.replace("[1h]", "[2h]"));
    let again = sweep(&[s.to_str().unwrap(), "--out", o]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("different sweep"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn merged_shards_equal_one_process() {
    let dir = scratch("sweep_shards");
    let (whole, a, b, merged) = (
        dir.join("whole"),
        dir.join("a"),
        dir.join("b"),
        dir.join("merged"),
    );
    ok(&sweep(&[SWEEP, "--out", whole.to_str().unwrap()]));
    let s0 = sweep(&[SWEEP, "--shard", "0/2", "--out", a.to_str().unwrap()]);
    ok(&s0);
    assert!(stdout(&s0).contains("6 ran"), "{}", stdout(&s0));
    assert!(
        !a.join("runs.csv").exists(),
        "a shard alone writes no tables"
    );
    // Missing shard: merge names the missing runs.
    let partial = run(&[
        "merge",
        a.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(partial.status.code(), Some(2));
    assert!(
        stderr(&partial).contains("6 of 12 runs"),
        "{}",
        stderr(&partial)
    );
    assert!(stderr(&partial).contains("c0-s2"), "{}", stderr(&partial));
    ok(&sweep(&[
        SWEEP,
        "--shard",
        "1/2",
        "--out",
        b.to_str().unwrap(),
    ]));
    ok(&run(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]));
    for f in ["runs.csv", "cells.csv"] {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn merge_refuses_shards_of_different_sweeps() {
    let dir = scratch("sweep_merge_mismatch");
    let base = repo().join("tests/fixtures/sweep/base.yaml");
    let s1 = write(
        &dir,
        "s1.yaml",
        &format!("scenario: {}\nseeds: 2\n", base.display()),
    );
    let s2 = write(
        &dir,
        "s2.yaml",
        &format!("scenario: {}\nseeds: 3\n", base.display()),
    );
    let (a, b) = (dir.join("a"), dir.join("b"));
    ok(&sweep(&[
        s1.to_str().unwrap(),
        "--shard",
        "0/2",
        "--out",
        a.to_str().unwrap(),
    ]));
    ok(&sweep(&[
        s2.to_str().unwrap(),
        "--shard",
        "1/2",
        "--out",
        b.to_str().unwrap(),
    ]));
    let m = run(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        dir.join("m").to_str().unwrap(),
    ]);
    assert_eq!(m.status.code(), Some(2));
    assert!(stderr(&m).contains("different sweep"), "{}", stderr(&m));
    assert!(!dir.join("m").exists());
}

#[test]
fn bad_axis_path_is_exit_2_with_line_and_no_output() {
    let dir = scratch("sweep_bad_path");
    let base = repo().join("tests/fixtures/sweep/base.yaml");
    for (path, expect) in [
        (
            "workloads[0].jobset.spec.failurePolicy.maxRestart",
            "unknown field \"maxRestart\"",
        ),
        (
            "controlPlane.jobsetController.exclusivePlacment",
            "unknown field",
        ),
        ("workloads[3].at", "does not exist"),
        ("cluster..nodePools", "empty field name"),
    ] {
        let s = write(
            &dir,
            "bad.yaml",
            &format!(
                "scenario: {}\nseeds: 2\naxes:\n- path: {path}\n  values: [1]\n",
                base.display()
            ),
        );
        let out = dir.join("out");
        let o = sweep(&[s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("bad.yaml:4:"), "{path}: no file:line in {err}");
        assert!(err.contains(expect), "{path}: {err}");
        assert!(!out.exists(), "{path}: output written");
    }
}

#[test]
fn sweeps_a_policy_scenario_through_its_manifest() {
    let dir = scratch("sweep_policies");
    let out = dir.join("out");
    ok(&sweep(&[
        "tests/fixtures/sweep/policies.yaml",
        "--out",
        out.to_str().unwrap(),
    ]));
    let runs = read(&out.join("runs.csv"));
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 8);
    for r in &rows {
        // columns: cell, maxRestarts, placement, seed, finished_at_s, restarts
        let expected = if r[1] == "0" { "0" } else { "1" };
        assert_eq!(r[5], expected, "{r:?}");
    }
    assert_eq!(&rows[2][..3], ["c1", "0", "allPods"]);
}

/// The base scenario's path is the sweep file's `scenario:` field: a file that does not exist
/// (or cannot be read) is reported there, with its line, as every other bad field is; one that
/// exists but does not load keeps its own located errors. Nothing is written either way.
#[test]
fn a_base_scenario_that_cannot_be_read_is_located_at_its_field() {
    let dir = scratch("sweep_bad_scenario");
    let out = dir.join("out");
    let s = write(
        &dir,
        "s.yaml",
        "# a sweep\nscenario: nope.yaml\nseeds: 2\naxes:\n- path: run.until\n  values: [1h]\n",
    );
    let o = sweep(&[s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("s.yaml:2:11: scenario: ") && err.contains("nope.yaml: cannot read scenario"),
        "{err}"
    );
    assert!(!out.exists(), "output written");
    write(&dir, "bad.yaml", "name: x\nbogus: 1\n");
    let s = write(
        &dir,
        "s.yaml",
        "scenario: bad.yaml\nseeds: 2\naxes:\n- path: run.until\n  values: [1h]\n",
    );
    let o = sweep(&[s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bad.yaml:2:1: bogus: unknown field"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "output written");
}

/// A cell past the memory limit is refused as the sweep loads, before any run (it used to stop
/// the sweep at that cell's run, with `sweep.json` and the earlier runs written, naming no
/// line): at the axis that makes it large, or where the base scenario writes the field.
#[test]
fn a_cell_past_the_memory_limit_is_refused_before_any_run() {
    let dir = scratch("sweep_memory");
    let out = dir.join("out");
    let small = SMALL_SCENARIO
        .replace("parallelism: 3", "parallelism: 1")
        .replace("completions: 3", "completions: 1");
    write(&dir, "small.yaml", &small);
    let s = write(
        &dir,
        "s.yaml",
        "scenario: small.yaml\nseeds: 1\naxes:\n- path: workloads[0].jobset.spec.replicatedJobs[0].replicas\n  values: [2, 2500000]\n",
    );
    let o = sweep(&[s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "s.yaml:4:1: axes[0] workloads[0].jobset.spec.replicatedJobs[0].replicas: cell c1"
        ) && err.contains("the scenario needs about 18.4 GiB of memory"),
        "{err}"
    );
    assert!(!out.exists(), "output written");
    write(
        &dir,
        "big.yaml",
        &small.replace("replicas: 2", "replicas: 2500000"),
    );
    let s = write(
        &dir,
        "s.yaml",
        "scenario: big.yaml\nseeds: 1\naxes:\n- path: run.until\n  values: [1h, 2h]\n",
    );
    let o = sweep(&[s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "big.yaml:17:19: workloads[0].jobset.spec.replicatedJobs[0].replicas: the scenario needs"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "output written");
}

/// `--out` naming a folder of other files is refused before anything is written, as `run
/// --out` refuses one (a sweep writes `runs/` and its tables there); a folder an earlier
/// sweep wrote still resumes, and `merge --out` is held to the same rule.
#[test]
fn an_out_folder_of_foreign_files_is_refused() {
    let dir = scratch("sweep_foreign_out");
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("src")).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    for args in [vec![SWEEP], vec![SWEEP, "--dry-run"]] {
        let mut args = args;
        args.extend(["--out", out.to_str().unwrap()]);
        let o = sweep(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("--out: it holds files a sweep does not write (notes.txt, src)"),
            "{}",
            stderr(&o)
        );
    }
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["notes.txt", "src"], "nothing written");
    // A foreign file among the run files counts too.
    let done = dir.join("done");
    ok(&sweep(&[SWEEP, "--out", done.to_str().unwrap()]));
    ok(&sweep(&[SWEEP, "--out", done.to_str().unwrap()]));
    std::fs::write(done.join("runs/notes.txt"), "mine").unwrap();
    let o = sweep(&[SWEEP, "--out", done.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("(runs/notes.txt)"), "{}", stderr(&o));
    let o = run(&[
        "merge",
        done.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--out: it holds files a sweep does not write"),
        "{}",
        stderr(&o)
    );
}

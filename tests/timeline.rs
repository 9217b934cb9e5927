//! `timeline.csv`'s step rule (docs/metrics.md): the step follows the run's actual end, not
//! `run.until`, and rows come finer while a recovery is open.

mod common;
use common::*;

/// (time_s, step_s, recovering) of every row.
fn rows(dir: &std::path::Path) -> Vec<(f64, f64, bool)> {
    let text = std::fs::read_to_string(dir.join("timeline.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, step, rec) = (col("time_s"), col("step_s"), col("recovering"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[t].parse().unwrap(),
                f[step].parse().unwrap(),
                f[rec] == "1",
            )
        })
        .collect()
}

fn run_to(scenario: &str, name: &str, extra: &[&str]) -> Vec<(f64, f64, bool)> {
    let out = scratch(name).join("out");
    let mut args = vec!["run", scenario, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    rows(&out)
}

#[test]
fn the_step_follows_the_actual_end_not_run_until() {
    // quickstart finishes in under two minutes; a 10-year `until` must not coarsen it.
    let rows = run_to(
        "scenarios/quickstart.yaml",
        "timeline_end",
        &["--set", "run.until=3650d"],
    );
    assert!(rows.len() > 90, "{} rows", rows.len());
    let last = rows.len() - 1;
    assert!(rows[1..last].iter().all(|r| r.1 == 1.0), "1-s step");
    assert!(
        rows[last].0 < 120.0,
        "ends at the run's end: {:?}",
        rows[last]
    );
}

#[test]
fn rows_are_finer_inside_recoveries_and_on_the_step_outside() {
    // 7 days: a 5-minute step, 15-second rows while a recovery is open.
    let rows = run_to("scenarios/stalled-recovery.yaml", "timeline_fine", &[]);
    let last = rows.len() - 1;
    let outside: Vec<_> = rows[..last].iter().filter(|r| !r.2).collect();
    assert!(
        outside.iter().all(|r| r.0 % 300.0 == 0.0),
        "on the 5-min grid"
    );
    let inside: Vec<_> = rows[..last].iter().filter(|r| r.2).collect();
    assert!(
        inside.iter().any(|r| r.0 % 300.0 != 0.0),
        "finer rows in recoveries"
    );
    assert!(inside.iter().all(|r| r.0 % 15.0 == 0.0), "on the 15-s grid");
    assert!(rows.len() < 2 * 2016 + 2000, "{} rows", rows.len());
    // step_s is the time since the previous row.
    assert!(rows
        .windows(2)
        .all(|w| (w[1].0 - w[0].0 - w[1].1).abs() < 1e-6));
}

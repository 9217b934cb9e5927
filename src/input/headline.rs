//! The headline metrics of a run, defined once: sweeps (runs.csv, cells.csv), `compare` and the
//! `expect:` gates all take them from this table. Each is computed from `summary.json` read as
//! a JSON value, so summaries that gain keys (failure injection, goodput) still read, and a key
//! a summary lacks makes the metric absent (an empty cell, left out of statistics) rather than
//! an error. To add a metric, add a row here and a line to `docs/sweeps.md`.

use serde_json::Value;

pub(crate) struct Metric {
    /// Column name and gate name; a dotted name mirrors where it comes from in summary.json.
    pub name: &'static str,
    pub compute: fn(&Value) -> Option<f64>,
}

pub(crate) const METRICS: &[Metric] = &[
    Metric {
        name: "finished_at_s",
        compute: finished_at_s,
    },
    Metric {
        name: "restarts",
        compute: |s| sum_over(s, "jobsets", "restarts"),
    },
    Metric {
        name: "job_restarts",
        compute: |s| sum_over(s, "jobsets", "job_restarts"),
    },
    Metric {
        name: "recovery.count",
        compute: |s| s.get("recovery")?.as_array().map(|r| r.len() as f64),
    },
    Metric {
        name: "recovery.time_to_recover_s",
        compute: |s| mean_over(s, "recovery", "time_to_recover_s"),
    },
    Metric {
        name: "recovery.pods_per_s",
        compute: |s| mean_over(s, "recovery", "pods_per_s"),
    },
    Metric {
        name: "recovery.bind_window_max_pods_per_s",
        compute: |s| max_window(s, "recovery"),
    },
    Metric {
        name: "pods.created",
        compute: |s| num(s.get("pods")?.get("created")?),
    },
    Metric {
        name: "pods.failed",
        compute: |s| num(s.get("pods")?.get("failed")?),
    },
    Metric {
        name: "events",
        compute: |s| num(s.get("events")?),
    },
    Metric {
        name: "sim_end_s",
        compute: |s| num(s.get("sim_end_s")?),
    },
    // Goodput and training figures: absent unless some workload has a training model.
    Metric {
        name: "goodput",
        compute: |s| num(s.get("goodput")?),
    },
    Metric {
        name: "lost_work_s",
        compute: |s| nonempty_sum(s, "training", "lost_work_s"),
    },
    Metric {
        name: "time_in_recovery_s",
        compute: |s| nonempty_sum(s, "training", "time_in_recovery_s"),
    },
    // Faults that hit at least one pod, over every injector.
    Metric {
        name: "interruptions",
        compute: |s| sum_over(s, "faults", "interruptions"),
    },
    // Per interruption, every repair path (`recoveries[]`, docs/metrics.md "Interruptions and
    // recoveries"): defined for every failure policy, so policies compare on the same rows.
    Metric {
        name: "recoveries.count",
        compute: |s| s.get("recoveries")?.as_array().map(|r| r.len() as f64),
    },
    Metric {
        name: "recoveries.unfinished",
        compute: |s| {
            let open = records(s)?
                .iter()
                .filter(|r| r["durations"]["time_to_recover_s"].as_f64().is_none())
                .count();
            Some(open as f64)
        },
    },
    Metric {
        name: "recoveries.time_to_recover_p50_s",
        compute: |s| record_percentile(s, 50.0),
    },
    Metric {
        name: "recoveries.time_to_recover_p90_s",
        compute: |s| record_percentile(s, 90.0),
    },
    Metric {
        name: "recoveries.time_to_recover_max_s",
        compute: |s| record_percentile(s, 100.0),
    },
    Metric {
        name: "recoveries.lost_pod_s",
        compute: |s| sum_over(s, "recoveries", "lost_pod_s"),
    },
    Metric {
        name: "recoveries.pods_per_s",
        compute: |s| mean_over(s, "recoveries", "pods_per_s"),
    },
    Metric {
        name: "recoveries.bind_window_max_pods_per_s",
        compute: |s| max_window(s, "recoveries"),
    },
    Metric {
        name: "time_to_recover_p90_s",
        compute: |s| {
            num(s
                .get("distributions")?
                .get("time_to_recover_s")?
                .get("p90")?)
        },
    },
    // Kueue: absent unless the scenario runs Kueue (a `kueue:` section).
    Metric {
        name: "kueue.queued_s",
        compute: |s| kueue_values(s, "queued_s").map(|v| mean(&v)),
    },
    Metric {
        name: "kueue.queued_s.p95",
        compute: |s| kueue_values(s, "queued_s").map(|v| nearest_rank(v, 0.95)),
    },
    Metric {
        name: "kueue.queued_s.max",
        compute: |s| kueue_values(s, "queued_s").map(|v| nearest_rank(v, 1.0)),
    },
    Metric {
        name: "kueue.admitted_to_pods_ready_s",
        compute: |s| kueue_values(s, "admitted_to_pods_ready_s").map(|v| mean(&v)),
    },
    Metric {
        name: "kueue.admitted",
        compute: |s| {
            Some(
                kueue_workloads(s)?
                    .iter()
                    .filter(|w| w["admitted_at_s"].is_number())
                    .count() as f64,
            )
        },
    },
    Metric {
        name: "kueue.pending_at_end",
        compute: |s| {
            Some(
                kueue_workloads(s)?
                    .iter()
                    .filter(|w| w["state"] == "pending")
                    .count() as f64,
            )
        },
    },
    Metric {
        name: "kueue.evictions",
        compute: |s| kueue_evictions(s, |_| true),
    },
    Metric {
        name: "kueue.preemptions",
        compute: |s| kueue_evictions(s, |e| e["reason"] == "Preempted"),
    },
    Metric {
        name: "kueue.admission_check_wait_s",
        compute: |s| kueue_values(s, "admission_check_wait_s").map(|v| mean(&v)),
    },
    Metric {
        name: "kueue.admission_check_wait_s.max",
        compute: |s| kueue_values(s, "admission_check_wait_s").map(|v| nearest_rank(v, 1.0)),
    },
    Metric {
        name: "kueue.reclaimable_pods",
        compute: |s| {
            let w = kueue_workloads(s)?;
            Some(
                (w.iter()
                    .filter_map(|w| w.get("reclaimable_pods")?.as_object()))
                .flat_map(|m| m.values().filter_map(Value::as_f64))
                .sum(),
            )
        },
    },
];

/// Evictions over every Workload that `keep` accepts; absent without Kueue.
fn kueue_evictions(s: &Value, keep: fn(&Value) -> bool) -> Option<f64> {
    let w = kueue_workloads(s)?;
    Some(
        (w.iter().filter_map(|w| w["evictions"].as_array()))
            .flat_map(|e| e.iter().filter(|e| keep(e)))
            .count() as f64,
    )
}

/// The best 5-second bind window over a list's entries (`bind_windows.max`); absent when none
/// has one.
fn max_window(s: &Value, list: &str) -> Option<f64> {
    s.get(list)?
        .as_array()?
        .iter()
        .filter_map(|r| r.get("bind_windows")?.get("max")?.as_f64())
        .reduce(f64::max)
}

fn records(s: &Value) -> Option<&Vec<Value>> {
    s.get("recoveries")?.as_array()
}

/// Nearest-rank percentile of the recovered records' time to recover; absent when none
/// recovered.
fn record_percentile(s: &Value, p: f64) -> Option<f64> {
    let mut times: Vec<f64> = records(s)?
        .iter()
        .filter_map(|r| r.get("durations")?.get("time_to_recover_s")?.as_f64())
        .collect();
    if times.is_empty() {
        return None;
    }
    times.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * times.len() as f64).ceil().max(1.0) as usize;
    times.get(rank - 1).copied()
}

/// Sum of a field over a list that must not be empty (an empty list means "not measured").
fn nonempty_sum(s: &Value, list: &str, field: &str) -> Option<f64> {
    if s.get(list)?.as_array()?.is_empty() {
        return None;
    }
    sum_over(s, list, field)
}

pub(crate) fn find(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

pub(crate) fn names() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.name).collect()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The last JobSet to finish; absent while any JobSet is still running at the end.
fn finished_at_s(s: &Value) -> Option<f64> {
    let jobsets = s.get("jobsets")?.as_array()?;
    let mut last: Option<f64> = None;
    for j in jobsets {
        let t = j.get("finished_at_s")?.as_f64()?;
        last = Some(last.map_or(t, |l: f64| l.max(t)));
    }
    last
}

fn sum_over(s: &Value, list: &str, key: &str) -> Option<f64> {
    let items = s.get(list)?.as_array()?;
    let mut total = 0.0;
    for i in items {
        total += i.get(key)?.as_f64()?;
    }
    Some(total)
}

/// Mean over the entries that have the value (a recovery that never finished has null
/// throughput); absent when none has it.
fn mean_over(s: &Value, list: &str, key: &str) -> Option<f64> {
    let values: Vec<f64> = s
        .get(list)?
        .as_array()?
        .iter()
        .filter_map(|i| i.get(key)?.as_f64())
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// A number as runs.csv and cells.csv print it: integers in full, anything else to at most 9
/// decimals (nanoseconds, the simulator's clock), trailing zeros dropped. Every time a summary
/// holds is whole nanoseconds, so it reads back as the very f64 of summary.json (up to 97
/// days); means and rates keep 9 decimals, far below any difference a gate or comparison
/// could mean, instead of 17 digits of float noise. docs/sweeps.md.
pub(crate) fn fmt_csv(v: f64) -> String {
    if !v.is_finite() || (v == v.trunc() && v.abs() < 1e15) {
        return format!("{v}");
    }
    let text = format!("{v:.9}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

/// A number for people to read: integers in full, anything else to 4 significant digits
/// (`133.6`, `0.9123`, `1817`), never in exponent form. Files keep more (`fmt_csv`).
pub(crate) fn fmt_readable(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 9) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Relative change from `base` to `now` as a signed percentage to 0.01 (`+4.2%`, `-0.33%`,
/// `+<0.01%`); `new`
/// when the base is 0.
pub(crate) fn fmt_change(base: f64, now: f64) -> String {
    if base == now {
        return "±0%".into();
    }
    if base == 0.0 {
        return "new".into();
    }
    let pct = (now - base) / base.abs() * 100.0;
    let sign = if pct < 0.0 { "-" } else { "+" };
    if pct.abs() < 0.01 {
        return format!("{sign}<0.01%");
    }
    let shown = format!("{:.2}", pct.abs());
    format!(
        "{sign}{}%",
        shown.trim_end_matches('0').trim_end_matches('.')
    )
}

fn kueue_workloads(s: &Value) -> Option<&Vec<Value>> {
    s.get("kueue")?.get("workloads")?.as_array()
}

/// A Kueue per-Workload figure over the Workloads that have it; absent when none has.
fn kueue_values(s: &Value, key: &str) -> Option<Vec<f64>> {
    let v: Vec<f64> = kueue_workloads(s)?
        .iter()
        .filter_map(|w| w.get(key)?.as_f64())
        .collect();
    (!v.is_empty()).then_some(v)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Nearest-rank percentile (`p` in 0..=1) of a non-empty list.
fn nearest_rank(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get(name: &str, s: &Value) -> Option<f64> {
        (find(name).unwrap().compute)(s)
    }

    #[test]
    fn computes_from_a_summary() {
        let s = json!({
            "events": 49, "sim_end_s": 101.5,
            "jobsets": [
                {"restarts": 1, "job_restarts": 0, "finished_at_s": 90.0},
                {"restarts": 2, "job_restarts": 3, "finished_at_s": 101.5}
            ],
            "pods": {"created": 10, "failed": 2},
            "recovery": [
                {"pods_per_s": 100.0, "time_to_recover_s": 10.0, "bind_windows": {"max": 180.0}},
                {"pods_per_s": null, "time_to_recover_s": 30.0, "bind_windows": {"max": null}},
                {"pods_per_s": 200.0, "time_to_recover_s": null, "bind_windows": {"max": 240.0}}
            ]
        });
        assert_eq!(get("finished_at_s", &s), Some(101.5));
        assert_eq!(get("restarts", &s), Some(3.0));
        assert_eq!(get("job_restarts", &s), Some(3.0));
        assert_eq!(get("recovery.count", &s), Some(3.0));
        assert_eq!(get("recovery.pods_per_s", &s), Some(150.0));
        assert_eq!(get("recovery.bind_window_max_pods_per_s", &s), Some(240.0));
        assert_eq!(get("recovery.time_to_recover_s", &s), Some(20.0));
        assert_eq!(get("pods.created", &s), Some(10.0));
        assert_eq!(get("pods.failed", &s), Some(2.0));
        assert_eq!(get("events", &s), Some(49.0));
        assert_eq!(get("goodput", &s), None);
    }

    #[test]
    fn kueue_metrics_from_the_workloads() {
        let s = json!({"kueue": {"workloads": [
            {"queued_s": 10.0, "admission_check_wait_s": 90.0, "reclaimable_pods": {"short": 4},
             "evictions": [{"reason": "Preempted"}, {"reason": "PodsReadyTimeout"}]},
            {"queued_s": 30.0, "admission_check_wait_s": 30.0,
             "evictions": [{"reason": "Preempted"}]},
            {"queued_s": null, "admission_check_wait_s": null, "evictions": []}
        ]}});
        assert_eq!(get("kueue.queued_s", &s), Some(20.0));
        assert_eq!(get("kueue.evictions", &s), Some(3.0));
        assert_eq!(get("kueue.preemptions", &s), Some(2.0));
        assert_eq!(get("kueue.admission_check_wait_s", &s), Some(60.0));
        assert_eq!(get("kueue.admission_check_wait_s.max", &s), Some(90.0));
        assert_eq!(get("kueue.reclaimable_pods", &s), Some(4.0));
        // No admission checks anywhere: the wait is absent, not 0; without Kueue, all absent.
        let unchecked = json!({"kueue": {"workloads": [{"queued_s": 1.0, "evictions": []}]}});
        assert_eq!(get("kueue.admission_check_wait_s", &unchecked), None);
        assert_eq!(get("kueue.reclaimable_pods", &unchecked), Some(0.0));
        assert_eq!(get("kueue.preemptions", &json!({})), None);
    }

    #[test]
    fn unfinished_jobset_or_no_recovery_means_absent() {
        let s = json!({"jobsets": [{"finished_at_s": null}], "recovery": []});
        assert_eq!(get("finished_at_s", &s), None);
        assert_eq!(get("recovery.pods_per_s", &s), None);
        assert_eq!(get("recovery.bind_window_max_pods_per_s", &s), None);
        assert_eq!(get("recovery.count", &s), Some(0.0));
    }

    #[test]
    fn csv_numbers_round_trip_nanosecond_times() {
        assert_eq!(fmt_csv(133.56157661193265), "133.561576612");
        assert_eq!(fmt_csv(30016.0), "30016");
        assert_eq!(fmt_csv(-0.0000000001), "0");
        // Every whole-nanosecond time up to 97 days reads back exactly.
        for ns in [
            1u64,
            999,
            1_816_588_692_442,
            4_665_600_000_000_001,
            8_380_800_000_000_000 - 1,
        ] {
            let t = crate::engine::time::to_secs(ns);
            assert_eq!(fmt_csv(t).parse::<f64>().unwrap(), t, "{ns}");
        }
    }

    #[test]
    fn readable_numbers() {
        assert_eq!(fmt_readable(133.56157661193265), "133.6");
        assert_eq!(fmt_readable(0.912345), "0.9123");
        assert_eq!(fmt_readable(1816.588692442), "1817");
        assert_eq!(fmt_readable(4665600.0), "4665600");
        assert_eq!(fmt_readable(17.50925518176971), "17.51");
        assert_eq!(fmt_readable(0.00012346), "0.0001235");
        assert_eq!(fmt_readable(-2.5), "-2.5");
        assert_eq!(fmt_change(100.0, 90.0), "-10%");
        assert_eq!(fmt_change(133.56, 134.0), "+0.33%");
        assert_eq!(fmt_change(140.0, 133.56157661193265), "-4.6%");
        assert_eq!(fmt_change(1e6, 1e6 + 1.0), "+<0.01%");
        assert_eq!(fmt_change(0.0, 3.0), "new");
    }

    #[test]
    fn names_are_unique() {
        let mut n = names();
        n.sort();
        n.dedup();
        assert_eq!(n.len(), METRICS.len());
    }
}

//! The short human summary printed after `jobset-sim run`.

use super::summary::Summary;
use crate::engine::time::format_duration;

/// Recoveries listed one by one; a long run's others are in summary.json.
const MAX_RECOVERY_ROWS: usize = 10;
/// Diagnosis lines printed per record (a 65,536-node recovery has a line per waiting Job);
/// summary.json has every line.
const MAX_DIAGNOSIS_LINES: usize = 12;

fn dur_s(s: f64) -> String {
    format_duration((s * 1e9).round() as u64)
}

/// How many upstream-behaviour findings the table prints; summary.json holds them all.
const UPSTREAM_BEHAVIOURS_SHOWN: usize = 10;
/// Kueue Workloads and ClusterQueues the table lists; summary.json holds them all.
const KUEUE_ROWS_SHOWN: usize = 20;

/// The short human summary of a run, section by section; empty sections are left out.
pub(crate) fn render(s: &Summary) -> String {
    let mut out = header(s);
    out.push_str(&jobsets_table(s));
    out.push_str(&format!(
        "\npods: {} created, {} scheduled, {} succeeded, {} failed; at the end {} pending, {} running\n",
        s.pods.created, s.pods.scheduled, s.pods.succeeded, s.pods.failed, s.pods.pending_at_end, s.pods.running_at_end
    ));
    if let Some(k) = &s.kueue {
        out.push_str(&kueue_section(k));
    }
    out.push_str(&recoveries_section(&s.recoveries));
    out.push_str(&recovery_distributions(s));
    out.push_str(&scheduling_latency(s));
    out.push_str(&faults_section(s));
    out.push_str(&training_section(s));
    out.push_str(&pending_pods_section(s));
    out.push_str(&upstream_behaviours_section(s));
    out
}

/// The first two lines: scenario, seed, cluster size; simulated and wall time.
fn header(s: &Summary) -> String {
    let mut out = format!(
        "scenario {}  seed {}  nodes {}\n",
        s.scenario, s.seed, s.nodes
    );
    out.push_str(&format!(
        "simulated {} in {} ms of wall time ({} events)\n\n",
        dur_s(s.sim_end_s),
        s.wall_ms,
        s.events
    ));
    out
}

/// One row per JobSet: its state, restarts and when it finished.
fn jobsets_table(s: &Summary) -> String {
    let rows: Vec<[String; 4]> = s
        .jobsets
        .iter()
        .map(|j| {
            [
                j.name.clone(),
                match (&j.terminal_state, &j.terminal_reason) {
                    (Some(t), Some(r)) if t == "Failed" => format!("Failed ({r})"),
                    (Some(t), _) => t.clone(),
                    (None, _) => "Running".into(),
                },
                if j.job_restarts > 0 {
                    format!("{} (+{} per-Job)", j.restarts, j.job_restarts)
                } else {
                    j.restarts.to_string()
                },
                j.finished_at_s.map(dur_s).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    columns(&["JOBSET", "STATE", "RESTARTS", "FINISHED AT"], &rows)
}

/// Percentiles of the recovery records, every path (the same figures as the `recoveries.*`
/// headline metrics); empty without records.
fn recovery_distributions(s: &Summary) -> String {
    if s.recoveries.is_empty() {
        return String::new();
    }
    let d = &s.distributions;
    let pct = |x: &super::distributions::Dist, fmt: &dyn Fn(f64) -> String| -> [String; 5] {
        let f = |v: Option<f64>| v.map(fmt).unwrap_or_else(|| "-".into());
        [f(x.p50), f(x.p90), f(x.p99), f(x.max), x.count.to_string()]
    };
    let secs = |v: f64| dur_s(v);
    let rate = |v: f64| format!("{v:.1}");
    let rows: Vec<[String; 6]> = [
        ("time to recover", pct(&d.time_to_recover_s, &secs)),
        ("recovery pods/s", pct(&d.recovery_pods_per_s, &rate)),
    ]
    .into_iter()
    .map(|(name, [a, b, c, m, n])| [name.to_string(), a, b, c, m, n])
    .collect();
    "\n".to_string() + &columns(&["", "P50", "P90", "P99", "MAX", "N"], &rows)
}

/// The pod scheduling latency line, when any pod was bound.
fn scheduling_latency(s: &Summary) -> String {
    let d = &s.distributions.pod_scheduling_latency_s;
    let (Some(p50), Some(p99), Some(max)) = (d.p50, d.p99, d.max) else {
        return String::new();
    };
    format!(
        "\npod scheduling latency (created -> bound): p50 {}, p99 {}, max {} over {} pods\n",
        dur_s(p50),
        dur_s(p99),
        dur_s(max),
        d.count
    )
}

/// One row per fault injector, with its three most frequent causes.
fn faults_section(s: &Summary) -> String {
    if s.faults.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 5]> = s
        .faults
        .iter()
        .map(|f| {
            let mut causes: Vec<(&String, &crate::inject::CauseStats)> =
                f.by_cause.iter().collect();
            causes.sort_by(|a, b| b.1.faults.cmp(&a.1.faults).then(a.0.cmp(b.0)));
            let top: Vec<String> = causes
                .iter()
                .take(3)
                .map(|(c, n)| format!("{c} {}", n.faults))
                .collect();
            [
                f.name.clone(),
                f.kind.clone(),
                f.faults.to_string(),
                f.interruptions.to_string(),
                top.join(", "),
            ]
        })
        .collect();
    "\nfaults:\n".to_string()
        + &columns(
            &["INJECTOR", "KIND", "FAULTS", "INTERRUPTIONS", "TOP CAUSES"],
            &rows,
        )
}

/// One row per training JobSet: goodput and where the time went.
fn training_section(s: &Summary) -> String {
    if s.training.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 6]> = s
        .training
        .iter()
        .map(|t| {
            [
                t.jobset.clone(),
                format!("{:.3}", t.goodput),
                format!("{} of {}", dur_s(t.useful_work_s), dur_s(t.work_s)),
                dur_s(t.lost_work_s),
                dur_s(t.time_in_recovery_s),
                t.interruptions.to_string(),
            ]
        })
        .collect();
    let header = [
        "JOBSET",
        "GOODPUT",
        "USEFUL WORK",
        "LOST WORK",
        "IN RECOVERY",
        "INTERRUPTIONS",
    ];
    "\ntraining:\n".to_string() + &columns(&header, &rows)
}

/// The pods still pending at the end, by group, with the reason they wait.
fn pending_pods_section(s: &Summary) -> String {
    if s.pending_pods.is_empty() {
        return String::new();
    }
    let mut out = "\npods still pending at the end:\n".to_string();
    for g in &s.pending_pods {
        let more = if g.count as usize > g.pods.len() {
            format!(", ... ({} in all)", g.count)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "  {} x{}: {}\n    {}{}\n",
            g.jobset,
            g.count,
            g.reason,
            g.pods.join(", "),
            more
        ));
    }
    out
}

/// The first upstream-behaviour findings; summary.json holds them all.
fn upstream_behaviours_section(s: &Summary) -> String {
    if s.upstream_behaviours.is_empty() {
        return String::new();
    }
    let mut out =
        "\nupstream behaviours (findings of the modelled JobSet version, not simulator faults):\n"
            .to_string();
    for b in s.upstream_behaviours.iter().take(UPSTREAM_BEHAVIOURS_SHOWN) {
        let domain = if b.domain.is_empty() {
            String::new()
        } else {
            format!(" domain {}", b.domain)
        };
        out.push_str(&format!(
            "  {} at {:.3} s: {} Job {}{} x{} ({})\n    {}\n",
            b.kind, b.time_s, b.jobset, b.job, domain, b.count, b.version, b.message
        ));
    }
    if s.upstream_behaviours.len() > UPSTREAM_BEHAVIOURS_SHOWN {
        out.push_str(&format!(
            "  ... ({} in all, every one in summary.json)\n",
            s.upstream_behaviours.len()
        ));
    }
    out
}

/// Left-aligned columns, two spaces apart.
pub(crate) fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width = header.map(|h| h.chars().count());
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                l.push_str(c);
            } else {
                // Padded by hand: `format!`'s width argument panics past u16::MAX, and a name
                // may be any length.
                l.push_str(c);
                let pad = width[i] - c.chars().count() + 2;
                l.extend(std::iter::repeat_n(' ', pad));
            }
        }
        l.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(|s| s.as_str()).collect()));
    }
    out
}

/// Pod-time in the unit that reads best: pod-s, pod-h or pod-days.
fn pod_time(pod_s: f64) -> String {
    match pod_s {
        s if s < 3_600.0 => format!("{s:.1} pod-s"),
        s if s < 86_400.0 * 10.0 => format!("{:.1} pod-h", s / 3_600.0),
        s => format!("{:.1} pod-days", s / 86_400.0),
    }
}

/// One row per interruption (every repair path), the stages' breakdown of each, and the
/// diagnosis of each that did not finish.
fn recoveries_section(records: &[super::recoveries::RecoveryEntry]) -> String {
    if records.is_empty() {
        return String::new();
    }
    let shown = &records[..records.len().min(MAX_RECOVERY_ROWS)];
    let mut out = String::from("\nrecoveries (one per interruption; docs/metrics.md):\n");
    out.push_str(&recoveries_table(shown));
    if records.len() > MAX_RECOVERY_ROWS {
        out.push_str(&format!(
            "... and {} more (summary.json has them all)\n",
            records.len() - MAX_RECOVERY_ROWS
        ));
    }
    for (i, r) in shown.iter().enumerate() {
        out.push_str(&recovery_details(i + 1, r));
    }
    out
}

/// The recoveries' table: when each failed, its path and state, how fast pods came back.
fn recoveries_table(shown: &[super::recoveries::RecoveryEntry]) -> String {
    let rate = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let rows: Vec<[String; 8]> = shown
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let recovered = match r.durations.time_to_recover_s {
                Some(t) => dur_s(t),
                None => format!("- ({}/{} running)", r.pods.running, r.pods.needed),
            };
            [
                format!("{} #{}", r.jobset, i + 1),
                dur_s(r.stages.failed_s),
                r.path.clone(),
                r.state.clone(),
                recovered,
                r.pods.bound.to_string(),
                rate(r.pods_per_s),
                rate(r.bind_windows.max),
            ]
        })
        .collect();
    let header = [
        "RECOVERY",
        "FAILED AT",
        "PATH",
        "STATE",
        "TIME TO RECOVER",
        "BINDS",
        "PODS/S",
        "5S MAX/S",
    ];
    columns(&header, &rows)
}

/// Recovery `n`'s lines under the table: its stages and lost pod-time, where the time went,
/// and its diagnosis.
fn recovery_details(n: usize, r: &super::recoveries::RecoveryEntry) -> String {
    let mut out = String::new();
    let d = &r.durations;
    let stages = [
        ("detect", d.detect_s),
        ("decide", d.decide_s),
        ("teardown", d.teardown_s),
        ("create", d.create_s),
        ("schedule", d.schedule_s),
        ("start", d.start_s),
        ("resume", d.resume_s),
    ];
    let mut parts: Vec<String> = stages
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name} {}", dur_s(v))))
        .collect();
    if r.lost_pod_s > 0.0 {
        parts.push(format!("lost {}", pod_time(r.lost_pod_s)));
    }
    if !parts.is_empty() {
        out.push_str(&format!("  #{n}: {}\n", parts.join(", ")));
    }
    if let Some(slow) = &r.slowest_stage {
        out.push_str(&format!(
            "  #{n} where the time went: {} {} ({:.0}%): {}\n",
            slow.stage,
            dur_s(slow.duration_s),
            slow.share * 100.0,
            slow.cause
        ));
    }
    // An ended record's lines say how it ended ("JobSet failed before recovery: ...").
    let label = if r.state.starts_with("ended") {
        "ended".to_string()
    } else {
        r.state.clone()
    };
    for line in r.diagnosis.iter().take(MAX_DIAGNOSIS_LINES) {
        out.push_str(&format!("  #{n} {label}: {line}\n"));
    }
    if r.diagnosis.len() > MAX_DIAGNOSIS_LINES {
        out.push_str(&format!(
            "  #{n} ... and {} more diagnosis line(s) (summary.json has them all)\n",
            r.diagnosis.len() - MAX_DIAGNOSIS_LINES
        ));
    }
    out
}

/// Kueue's Workloads and ClusterQueues (the first `KUEUE_ROWS_SHOWN` of each), then its
/// LocalQueues.
fn kueue_section(k: &super::kueue::KueueSummary) -> String {
    let mut out = format!(
        "\nkueue: {} workloads, {} admission cycles\n",
        k.workloads.len(),
        k.admission_cycles
    );
    out.push_str(&workloads_table(k));
    out.push('\n');
    out.push_str(&cluster_queues_table(k));
    out.push_str(&local_queue_table(&k.local_queues, KUEUE_ROWS_SHOWN));
    out
}

/// Kueue's Workloads (the first `KUEUE_ROWS_SHOWN`) and how long they queued.
fn workloads_table(k: &super::kueue::KueueSummary) -> String {
    let opt = |v: Option<f64>| v.map(dur_s).unwrap_or_else(|| "-".into());
    let rows: Vec<[String; 6]> = (k.workloads.iter().take(KUEUE_ROWS_SHOWN))
        .map(|w| {
            [
                w.jobset.clone(),
                w.cluster_queue.clone().unwrap_or_else(|| "-".into()),
                match &w.pending_reason {
                    Some(r) => format!("{} ({r})", w.state),
                    None => w.state.to_string(),
                },
                opt(w.queued_s),
                opt(w.admitted_to_pods_ready_s),
                w.evictions.len().to_string(),
            ]
        })
        .collect();
    let header = [
        "WORKLOAD",
        "CLUSTERQUEUE",
        "STATE",
        "QUEUED",
        "ADMITTED->READY",
        "EVICTIONS",
    ];
    let mut out = columns(&header, &rows);
    if k.workloads.len() > KUEUE_ROWS_SHOWN {
        out.push_str(&format!(
            "... and {} more in summary.json\n",
            k.workloads.len() - KUEUE_ROWS_SHOWN
        ));
    }
    out
}

/// Per ClusterQueue: what it admitted, the most Workloads waiting at once and the most
/// quota in use (borrowed in brackets) per flavor/resource it used.
fn cluster_queues_table(k: &super::kueue::KueueSummary) -> String {
    let queues: Vec<[String; 5]> = (k.cluster_queues.iter().take(KUEUE_ROWS_SHOWN))
        .map(|q| {
            let used: Vec<String> = (q.peak_usage.iter())
                .filter(|(_, &v)| v > 0.0)
                .map(|(fr, v)| {
                    let borrowed = q.peak_borrowed.get(fr).copied().unwrap_or(0.0);
                    format!("{fr} {v} ({borrowed})")
                })
                .collect();
            [
                q.name.clone(),
                q.admitted_workloads.to_string(),
                q.peak_pending.to_string(),
                q.pending_at_end.to_string(),
                if used.is_empty() {
                    "-".into()
                } else {
                    used.join(", ")
                },
            ]
        })
        .collect();
    let header = [
        "CLUSTERQUEUE",
        "ADMITTED",
        "PEAK PENDING",
        "PENDING AT END",
        "PEAK IN USE (BORROWED)",
    ];
    let mut out = columns(&header, &queues);
    if k.cluster_queues.len() > KUEUE_ROWS_SHOWN {
        out.push_str(&format!(
            "... and {} more in summary.json\n",
            k.cluster_queues.len() - KUEUE_ROWS_SHOWN
        ));
    }
    out
}

/// Per LocalQueue (a team's queue): its Workloads, how long they queued, and under admission
/// fair sharing the usage it is ordered by at the end ("inf" for a weight of 0).
fn local_queue_table(lqs: &[super::kueue::LocalQueueSummary], shown: usize) -> String {
    if lqs.is_empty() {
        return String::new();
    }
    let opt = |v: Option<f64>| v.map(dur_s).unwrap_or_else(|| "-".into());
    let rows: Vec<[String; 7]> = (lqs.iter().take(shown))
        .map(|l| {
            let usage = l.admission_fair_sharing.as_ref().map_or("-".into(), |a| {
                (a.fair_sharing_usage_at_end).map_or("inf".into(), |u| format!("{u:.3}"))
            });
            [
                format!("{}/{}", l.namespace, l.name),
                l.cluster_queue.clone(),
                format!("{}/{}", l.admitted_workloads, l.workloads),
                l.pending_at_end.to_string(),
                opt(l.queued_s_mean),
                opt(l.queued_s_max),
                usage,
            ]
        })
        .collect();
    let mut out = String::from("\n");
    out.push_str(&columns(
        &[
            "LOCALQUEUE",
            "CLUSTERQUEUE",
            "ADMITTED",
            "PENDING AT END",
            "QUEUED MEAN",
            "QUEUED MAX",
            "AFS USAGE",
        ],
        &rows,
    ));
    if lqs.len() > shown {
        out.push_str(&format!(
            "... and {} more in summary.json\n",
            lqs.len() - shown
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::columns;
    use super::local_queue_table;
    use crate::report::kueue::{LocalQueueSummary, LqFairSharing};

    #[test]
    fn local_queues_show_their_wait_and_fair_sharing_usage() {
        let lq = |name: &str, usage: Option<Option<f64>>| LocalQueueSummary {
            namespace: "default".into(),
            name: name.into(),
            cluster_queue: "gpus".into(),
            workloads: 3,
            admitted_workloads: 2,
            pending_at_end: 1,
            queued_s_mean: Some(90.0),
            queued_s_max: None,
            admission_fair_sharing: usage.map(|u| LqFairSharing {
                weight: 1.0,
                consumed_resources_at_end: Default::default(),
                last_update_s: 0.0,
                pending_penalty_at_end: Default::default(),
                fair_sharing_usage_at_end: u,
                series: vec![],
            }),
        };
        let out = local_queue_table(
            &[lq("a", None), lq("b", Some(Some(2.5))), lq("z", Some(None))],
            2,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[1].starts_with("LOCALQUEUE"), "{out}");
        assert!(
            lines[2].starts_with("default/a") && lines[2].ends_with('-'),
            "{out}"
        );
        assert!(
            lines[2].contains("2/3") && lines[2].contains("1m30s"),
            "{out}"
        );
        assert!(lines[3].ends_with("2.500"), "{out}");
        assert_eq!(lines[4], "... and 1 more in summary.json");
        assert_eq!(local_queue_table(&[], 20), "");
    }

    #[test]
    fn columns_pad_cells_of_any_length() {
        let long = "a".repeat(70_000);
        let rows = [[long.clone(), "x".to_string()], ["b".into(), "y".into()]];
        let out = columns(&["NAME", "V"], &rows);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("NAME{}V", " ".repeat(70_000 - 4 + 2)));
        assert_eq!(lines[1], format!("{long}  x"));
        assert_eq!(lines[2], format!("b{}y", " ".repeat(70_000 - 1 + 2)));
    }
}

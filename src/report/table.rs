//! The short human summary printed after `jobset-sim run`.

use super::summary::Summary;
use crate::engine::time::format_duration;

fn dur_s(s: f64) -> String {
    format_duration((s * 1e9).round() as u64)
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "scenario {}  seed {}  nodes {}\n",
        s.scenario, s.seed, s.nodes
    ));
    out.push_str(&format!(
        "simulated {} in {} ms of wall time ({} events)\n\n",
        dur_s(s.sim_end_s),
        s.wall_ms,
        s.events
    ));
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
    out.push_str(&columns(
        &["JOBSET", "STATE", "RESTARTS", "FINISHED AT"],
        &rows,
    ));
    out.push_str(&format!(
        "\npods: {} created, {} scheduled, {} succeeded, {} failed; at the end {} pending, {} running\n",
        s.pods.created, s.pods.scheduled, s.pods.succeeded, s.pods.failed, s.pods.pending_at_end, s.pods.running_at_end
    ));
    if !s.recovery.is_empty() {
        let opt = |v: Option<f64>| v.map(dur_s).unwrap_or_else(|| "-".into());
        let rows: Vec<[String; 6]> = s
            .recovery
            .iter()
            .map(|r| {
                [
                    format!("{} #{}", r.jobset, r.attempt),
                    dur_s(r.failed_at_s),
                    opt(r.time_to_recover_s),
                    r.pods.to_string(),
                    r.pods_per_s
                        .map(|v| format!("{v:.1}"))
                        .unwrap_or_else(|| "-".into()),
                    r.peak_pods_per_s.to_string(),
                ]
            })
            .collect();
        out.push_str("\nrecoveries:\n");
        out.push_str(&columns(
            &[
                "RESTART",
                "FAILED AT",
                "TIME TO RECOVER",
                "PODS",
                "PODS/S",
                "PEAK PODS/S",
            ],
            &rows,
        ));
    }
    if !s.pending_pods.is_empty() {
        out.push_str("\npods still pending at the end:\n");
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
    }
    out
}

/// Left-aligned columns, two spaces apart.
pub fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width = header.map(|h| h.len());
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
                l.push_str(&format!("{c:<w$}  ", w = width[i]));
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

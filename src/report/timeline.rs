//! `timeline.csv` and `timeline.svg`: the run's samples (see `metrics::timeline`) and the
//! moments worth marking (node failures, pod faults, restarts, repairs).

use super::timeline_svg::{render, Marker, MarkerKind, TimelineRow};
use crate::engine::time::to_secs;
use crate::error::SimError;
use crate::sim::Sim;

pub const CSV_HEADER: [&str; 9] = [
    "time_s",
    "pods_pending",
    "pods_running",
    "pods_failed",
    "nodes_available",
    "nodes_out",
    "restarts",
    "goodput",
    "step_s",
];

pub fn csv(sim: &Sim) -> Result<Vec<u8>, SimError> {
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| SimError::Internal(format!("csv: {e}"));
    w.write_record(CSV_HEADER).map_err(err)?;
    let step = to_secs(sim.timeline.step_ns).to_string();
    for s in samples_with_end(sim) {
        w.write_record([
            to_secs(s.time_ns).to_string(),
            s.pods_pending.to_string(),
            s.pods_running.to_string(),
            s.pods_failed.to_string(),
            s.nodes_available.to_string(),
            s.nodes_out.to_string(),
            s.restarts.to_string(),
            s.goodput.map(|g| format!("{g:.6}")).unwrap_or_default(),
            step.clone(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| SimError::Internal(format!("csv: {e}")))
}

/// The regular samples plus one at the end of the run, so the last state always shows.
fn samples_with_end(sim: &Sim) -> Vec<crate::metrics::timeline::Sample> {
    let mut v = sim.timeline.samples.clone();
    let end = sim.ended_at_ns.unwrap_or(sim.now());
    if v.last().is_none_or(|s| s.time_ns < end) {
        v.push(sim.snapshot(end));
    }
    v
}

pub fn svg(sim: &Sim) -> String {
    let rows: Vec<TimelineRow> = samples_with_end(sim)
        .into_iter()
        .map(|s| TimelineRow {
            t_s: to_secs(s.time_ns),
            pods_pending: s.pods_pending,
            pods_running: s.pods_running,
            pods_failed: s.pods_failed,
            nodes_ready: s.nodes_available,
            nodes_not_ready: s.nodes_out,
            restarts: s.restarts,
            goodput: s.goodput,
        })
        .collect();
    let mut markers = vec![];
    let node_name = |n: u32| sim.cluster.node(n).name.clone();
    for &(t, n) in &sim.rec.node_failures {
        markers.push(Marker {
            t_s: to_secs(t),
            kind: MarkerKind::NodeFailure,
            label: format!("{} out", node_name(n)),
        });
    }
    for &(t, n) in &sim.rec.node_repairs {
        markers.push(Marker {
            t_s: to_secs(t),
            kind: MarkerKind::Repair,
            label: format!("{} back", node_name(n)),
        });
    }
    for &t in &sim.rec.pod_faults {
        markers.push(Marker {
            t_s: to_secs(t),
            kind: MarkerKind::PodFailure,
            label: "pod fault".into(),
        });
    }
    // The failure behind each restart, when no fault injector already marked it (scripted
    // container exits, deadlines).
    for r in &sim.rec.restarts {
        let injected = sim.rec.pod_faults.binary_search(&r.failed_at_ns).is_ok()
            || sim
                .rec
                .node_failures
                .iter()
                .any(|&(t, _)| t == r.failed_at_ns);
        if !injected {
            markers.push(Marker {
                t_s: to_secs(r.failed_at_ns),
                kind: MarkerKind::PodFailure,
                label: format!("{} failure", sim.jobsets[r.jobset as usize].name),
            });
        }
    }
    for r in &sim.rec.restarts {
        markers.push(Marker {
            t_s: to_secs(r.decided_at_ns),
            kind: MarkerKind::Restart,
            label: format!(
                "{} restart {}",
                sim.jobsets[r.jobset as usize].name, r.attempt
            ),
        });
    }
    render(&sim.scenario.name, &rows, &markers)
}

//! `timeline.csv` and `timeline.svg`: the run's samples (see `metrics::timeline`), the moments
//! worth marking (faults as the fault table counts them, workload failures, restarts,
//! repairs) and the recoveries still stalled or unfinished at the end, shaded.

use super::timeline_svg::{render_with_bands, Band, Marker, MarkerKind, QueuePanel, TimelineRow};
use crate::engine::time::to_secs;
use crate::error::SimError;
use crate::metrics::recoveries::State;
use crate::metrics::timeline::Sample;
use crate::sim::Sim;

pub(crate) const CSV_HEADER: [&str; 11] = [
    "time_s",
    "pods_pending",
    "pods_running",
    "pods_failed",
    "nodes_available",
    "nodes_out",
    "restarts",
    "goodput",
    "step_s",
    "binds_per_s",
    "recovering",
];

/// Words of a diagnosis kept in a stalled band's label.
const BAND_LABEL_WORDS: usize = 10;

pub(crate) fn csv(sim: &Sim) -> Result<Vec<u8>, SimError> {
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| SimError::Internal(format!("csv: {e}"));
    let queues = super::kueue::queue_panels(sim);
    let mut header: Vec<String> = CSV_HEADER.iter().map(|h| h.to_string()).collect();
    let columns: Vec<(String, &[(f64, f64)])> = (queues.iter().enumerate())
        .flat_map(|(i, q)| queue_columns(q, i == 0 || queues[i - 1].key != q.key))
        .collect();
    header.extend(columns.iter().map(|(name, _)| name.clone()));
    w.write_record(&header).map_err(err)?;
    let samples = samples_with_end(sim);
    for (i, s) in samples.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &samples[p]);
        let t_s = to_secs(s.time_ns);
        let kueue = (columns.iter()).map(|(_, pts)| step_before(pts, t_s).to_string());
        let base = [
            to_secs(s.time_ns).to_string(),
            s.pods_pending.to_string(),
            s.pods_running.to_string(),
            s.pods_failed.to_string(),
            s.nodes_available.to_string(),
            s.nodes_out.to_string(),
            s.restarts.to_string(),
            s.goodput.map(|g| format!("{g:.6}")).unwrap_or_default(),
            prev.map_or(0.0, |p| to_secs(s.time_ns - p.time_ns))
                .to_string(),
            binds_per_s(prev, s)
                .map(|b| format!("{b:.3}"))
                .unwrap_or_default(),
            u8::from(s.recovering).to_string(),
        ];
        w.write_record(base.into_iter().chain(kueue)).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| SimError::Internal(format!("csv: {e}")))
}

/// A Kueue panel's columns: `<key>.pending` (on the queue's first panel only),
/// `<key>.<flavor/resource>.in_use` and, for a ClusterQueue, `.borrowed`, each with its step
/// line.
fn queue_columns(q: &QueuePanel, first_of_queue: bool) -> Vec<(String, &[(f64, f64)])> {
    let mut v = vec![];
    if first_of_queue {
        v.push((format!("{}.pending", q.key), q.pending.as_slice()));
    }
    v.push((
        format!("{}.{}.in_use", q.key, q.resource),
        q.usage.as_slice(),
    ));
    if let Some(b) = &q.borrowed {
        v.push((format!("{}.{}.borrowed", q.key, q.resource), b.as_slice()));
    }
    v
}

/// A step line's value just before `t_s` (a row is the state before the events at its time);
/// 0 before its first point.
fn step_before(pts: &[(f64, f64)], t_s: f64) -> f64 {
    let n = pts.partition_point(|p| p.0 < t_s);
    n.checked_sub(1).map_or(0.0, |i| pts[i].1)
}

/// Binds between two samples per second of the time between them.
fn binds_per_s(prev: Option<&Sample>, s: &Sample) -> Option<f64> {
    let p = prev?;
    let dt_s = to_secs(s.time_ns.checked_sub(p.time_ns).filter(|&d| d > 0)?);
    Some(s.binds.saturating_sub(p.binds) as f64 / dt_s)
}

/// The samples plus one at the end of the run, so the last state always shows.
fn samples_with_end(sim: &Sim) -> Vec<Sample> {
    let mut v = sim.timeline.samples.clone();
    let end = sim.ended_at_ns.unwrap_or(sim.now());
    if v.last().is_none_or(|s| s.time_ns < end) {
        v.push(sim.snapshot(end));
    }
    v
}

pub(crate) fn svg(sim: &Sim) -> String {
    let samples = samples_with_end(sim);
    let rows: Vec<TimelineRow> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| TimelineRow {
            t_s: to_secs(s.time_ns),
            pods_pending: s.pods_pending,
            pods_running: s.pods_running,
            pods_failed: s.pods_failed,
            nodes_ready: s.nodes_available,
            nodes_not_ready: s.nodes_out,
            restarts: s.restarts,
            goodput: s.goodput,
            binds_per_s: binds_per_s(i.checked_sub(1).map(|p| &samples[p]), s),
        })
        .collect();
    render_with_bands(
        &sim.scenario.name,
        &rows,
        &markers(sim),
        &stalled_bands(sim),
        &super::kueue::queue_panels(sim),
    )
}

/// Faults (one per fault, as the fault table counts them), workload failures behind restarts,
/// restarts and repairs.
fn markers(sim: &Sim) -> Vec<Marker> {
    let mut markers = vec![];
    let node_name = |n: u32| sim.cluster.node(n).name.clone();
    for f in &sim.rec.faults {
        let pod_level = sim.inject.stats()[f.injector as usize].kind == "podFailures";
        markers.push(Marker {
            t_s: to_secs(f.time_ns),
            kind: if pod_level {
                MarkerKind::PodFailure
            } else {
                MarkerKind::NodeFailure
            },
            label: match f.node {
                Some(n) => format!("{}: {}", node_name(n), f.cause),
                None => f.cause.clone(),
            },
        });
    }
    for &(t, n) in &sim.rec.node_repairs {
        markers.push(Marker {
            t_s: to_secs(t),
            kind: MarkerKind::Repair,
            label: format!("{} back", node_name(n)),
        });
    }
    // The failure behind each restart, when no fault was marked at that instant (scripted
    // container exits, deadlines).
    for r in &sim.rec.restarts {
        let injected = sim.rec.faults.iter().any(|f| f.time_ns == r.failed_at_ns);
        if !injected {
            markers.push(Marker {
                t_s: to_secs(r.failed_at_ns),
                kind: MarkerKind::WorkloadFailure,
                label: format!("{} failure", sim.store.jobsets[r.jobset as usize].name),
            });
        }
    }
    for r in &sim.rec.restarts {
        markers.push(Marker {
            t_s: to_secs(r.decided_at_ns),
            kind: MarkerKind::Restart,
            label: format!(
                "{} restart {}",
                sim.store.jobsets[r.jobset as usize].name, r.attempt
            ),
        });
    }
    markers
}

/// One band per recovery record still open at the end: a stalled one from its last progress,
/// an unfinished one from its failure, to the end of the run; labelled with its number (as in
/// recovery.svg), state and the first words of its diagnosis.
fn stalled_bands(sim: &Sim) -> Vec<Band> {
    let records = &sim.rec.recoveries.records;
    if records.iter().all(|r| r.state != State::Open) {
        return vec![];
    }
    let end_ns = sim.ended_at_ns.unwrap_or(sim.now());
    let entries = super::recoveries::build(sim);
    records
        .iter()
        .zip(&entries)
        .enumerate()
        .filter(|(_, (r, _))| r.state == State::Open)
        .map(|(i, (r, e))| {
            let from_ns = if e.state == "stalled" {
                r.last_progress_ns
            } else {
                r.failed_ns
            };
            let words: Vec<&str> = e
                .diagnosis
                .first()
                .map(|d| d.split(' ').take(BAND_LABEL_WORDS).collect())
                .unwrap_or_default();
            Band {
                from_s: to_secs(from_ns),
                to_s: to_secs(end_ns),
                label: format!("#{} {}: {} …", i + 1, e.state, words.join(" ")),
            }
        })
        .collect()
}

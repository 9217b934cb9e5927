//! The `kueue` section of `summary.json` (docs/metrics.md, "Kueue"): per Workload, how long it
//! queued, when it was admitted and when its pods were all ready, its evictions; per
//! ClusterQueue, what it holds and what waits at the end. Absent from runs without Kueue.

use crate::engine::time::to_secs;
use crate::kueue::controller::KueueController;
use crate::kueue::workload::WlState;
use crate::sim::Sim;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct KueueSummary {
    /// Admission cycles the loop ran.
    pub admission_cycles: u64,
    pub workloads: Vec<WorkloadSummary>,
    pub cluster_queues: Vec<ClusterQueueSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct WorkloadSummary {
    /// The JobSet the Workload stands for.
    pub jobset: String,
    pub namespace: String,
    pub local_queue: String,
    /// Null when the LocalQueue or its ClusterQueue does not exist.
    pub cluster_queue: Option<String>,
    pub priority: i32,
    /// `pending`, `admitted`, `evicting`, `backing_off` or `finished` at the end.
    pub state: &'static str,
    pub created_at_s: f64,
    /// First admission (quota reserved and admitted in one write).
    pub admitted_at_s: Option<f64>,
    /// Created → first admitted; null if never admitted.
    pub queued_s: Option<f64>,
    /// First time every replicated job's Jobs were ready (Kueue's PodsReady).
    pub pods_ready_at_s: Option<f64>,
    /// First admitted → pods ready.
    pub admitted_to_pods_ready_s: Option<f64>,
    pub finished_at_s: Option<f64>,
    pub evictions: Vec<Eviction>,
    /// While pending: `QuotaReserved=False`'s reason and message as Kueue writes them.
    pub pending_reason: Option<String>,
    pub pending_message: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Eviction {
    pub time_s: f64,
    pub reason: &'static str,
    /// For `Preempted`: `InClusterQueue`, `InCohortReclamation`,
    /// `InCohortReclaimWhileBorrowing` or `InCohortFairSharing`; null otherwise.
    pub preempted_reason: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ClusterQueueSummary {
    pub name: String,
    /// Null when active, else the reason (`Stopped`, `FlavorNotFound`, `CohortCycle`).
    pub inactive_reason: Option<String>,
    pub admitted_workloads: u64,
    pub pending_at_end: usize,
    /// Quota in use at the end per `flavor/resource`, in the resource's units.
    pub usage_at_end: std::collections::BTreeMap<String, f64>,
    /// The most Workloads pending at once.
    pub peak_pending: u32,
    /// The most quota in use, and borrowed above the nominal quota, at once, per
    /// `flavor/resource`.
    pub peak_usage: std::collections::BTreeMap<String, f64>,
    pub peak_borrowed: std::collections::BTreeMap<String, f64>,
    /// After each change of the queue: its pending and admitted Workloads, quota in use and
    /// borrowed.
    pub series: Vec<CqPoint>,
    /// With fair sharing on, status `fairSharing.weightedShare` at the end: the dominant
    /// resource's borrowed share (thousandths of what the cohort could lend) over the
    /// queue's weight, rounded up; 9223372036854775807 for a zero weight that borrows.
    /// Absent without fair sharing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted_share: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct CqPoint {
    pub time_s: f64,
    pub pending: u32,
    pub admitted: u32,
    pub usage: std::collections::BTreeMap<String, f64>,
    pub borrowed: std::collections::BTreeMap<String, f64>,
}

/// `flavor/resource` → value in the resource's units.
fn by_label(labels: &[String], milli: &[i64]) -> std::collections::BTreeMap<String, f64> {
    (labels.iter().zip(milli))
        .map(|(l, &v)| (l.clone(), v as f64 / 1000.0))
        .collect()
}

pub(crate) fn build(sim: &Sim) -> Option<KueueSummary> {
    let k: &KueueController = &sim.kueue;
    if !k.enabled() {
        return None;
    }
    let workloads = k
        .workloads()
        .iter()
        .map(|w| workload_summary(sim, w))
        .collect();
    let cluster_queues = cluster_queues(k, &sim.rec.kueue);
    Some(KueueSummary {
        admission_cycles: k.cycles,
        workloads,
        cluster_queues,
    })
}

/// `record.json`'s `queue_admission` of JobSet `js`: its Workload as the summary lists it, or
/// null when Kueue does not manage it.
pub(crate) fn queue_admission(
    sim: &Sim,
    js: crate::sim::objects::JsId,
) -> Option<serde_json::Value> {
    let k: &KueueController = &sim.kueue;
    let w = k.workloads().iter().find(|w| w.js == js)?;
    serde_json::to_value(workload_summary(sim, w)).ok()
}

fn workload_summary(sim: &Sim, w: &crate::kueue::workload::Workload) -> WorkloadSummary {
    let model = sim.kueue.model();
    let since = |a: Option<u64>, b: Option<u64>| Some(to_secs(b?.checked_sub(a?)?));
    let pending = w.state == WlState::Pending;
    WorkloadSummary {
        jobset: sim.jobsets[w.js as usize].name.clone(),
        namespace: w.namespace.clone(),
        local_queue: w.queue_name.clone(),
        cluster_queue: w.cq.map(|c| model.cluster_queues[c].name.clone()),
        priority: w.priority,
        state: match w.state {
            WlState::Pending => "pending",
            WlState::Admitted => "admitted",
            WlState::Evicting => "evicting",
            WlState::BackingOff => "backing_off",
            WlState::Finished => "finished",
        },
        created_at_s: to_secs(w.created_ns),
        admitted_at_s: w.first_admitted_ns.map(to_secs),
        queued_s: since(Some(w.created_ns), w.first_admitted_ns),
        pods_ready_at_s: w.first_pods_ready_ns.map(to_secs),
        admitted_to_pods_ready_s: since(w.first_admitted_ns, w.first_pods_ready_ns),
        finished_at_s: w.finished_ns.map(to_secs),
        evictions: (w.evictions.iter())
            .map(|e| Eviction {
                time_s: to_secs(e.at_ns),
                reason: e.reason,
                preempted_reason: e.preempted_reason,
            })
            .collect(),
        pending_reason: pending.then(|| w.pending_reason.0.to_string()),
        pending_message: pending.then(|| w.pending_reason.1.clone()),
    }
}

fn cluster_queues(
    k: &KueueController,
    series: &crate::metrics::kueue::KueueSeries,
) -> Vec<ClusterQueueSummary> {
    let model = k.model();
    let shares = crate::kueue::fair::weighted_shares(model);
    (model.cluster_queues.iter().enumerate())
        .map(|(i, cq)| {
            let admitted = (k.workloads().iter())
                .filter(|w| w.cq == Some(i) && w.first_admitted_ns.is_some())
                .count() as u64;
            let mut usage_at_end = std::collections::BTreeMap::new();
            for g in &cq.groups {
                for &f in &g.flavors {
                    for &r in &g.resources {
                        if let Some(fr) = model.fr(f, r) {
                            let used = model.tree.usage(cq.node, fr);
                            let key = format!("{}/{}", model.flavors[f].name, model.resources[r]);
                            usage_at_end.insert(key, used as f64 / 1000.0);
                        }
                    }
                }
            }
            let labels: Vec<String> = model.frs_of(i).into_iter().map(|(_, l)| l).collect();
            let samples = series.of(i);
            let peak = |pick: fn(&crate::metrics::kueue::CqSample) -> &Vec<i64>| {
                let most: Vec<i64> = (0..labels.len())
                    .map(|j| samples.iter().map(|s| pick(s)[j]).max().unwrap_or(0))
                    .collect();
                by_label(&labels, &most)
            };
            ClusterQueueSummary {
                name: cq.name.clone(),
                inactive_reason: cq.inactive.clone(),
                admitted_workloads: admitted,
                pending_at_end: k.pending_in(i),
                usage_at_end,
                peak_pending: samples.iter().map(|s| s.pending).max().unwrap_or(0),
                peak_usage: peak(|s| &s.usage),
                peak_borrowed: peak(|s| &s.borrowed),
                series: (samples.iter())
                    .map(|s| CqPoint {
                        time_s: to_secs(s.at_ns),
                        pending: s.pending,
                        admitted: s.admitted,
                        usage: by_label(&labels, &s.usage),
                        borrowed: by_label(&labels, &s.borrowed),
                    })
                    .collect(),
                weighted_share: shares.as_ref().map(|s| s[i]),
            }
        })
        .collect()
}

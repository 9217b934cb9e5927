//! The Workload object Kueue keeps for each JobSet it manages (kueue-semantics §1.8, §3.2):
//! its PodSets, queue, priority and the status the admission loop and the Workload
//! controller write. The timestamps are the conditions' transition times.

use super::assign::{Assignment, PodSetRequest, ScanProgress};
use super::model::{CqIx, Model};
use super::queue::{QueueKey, WlId};
use crate::api::types::JobSet;
use crate::engine::time::SimTime;
use crate::sim::objects::JsId;
use std::cmp::Reverse;

/// Where a Workload is in its life (§3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WlState {
    /// In its ClusterQueue's queue (or its LocalQueue names nothing that exists).
    Pending,
    /// Quota reserved, waiting for its admission checks (§1.8); the JobSet stays suspended.
    Reserved,
    /// Quota reserved and admitted; the JobSet runs.
    Admitted,
    /// Evicted: the JobSet is being stopped and the quota is held until it has no active Job.
    Evicting,
    /// Waiting out its requeue back-off after an eviction.
    BackingOff,
    /// The JobSet finished: quota released for good.
    Finished,
}

#[derive(Debug, Clone)]
pub(crate) struct Workload {
    pub js: JsId,
    pub namespace: String,
    pub queue_name: String,
    pub uid: String,
    /// The ClusterQueue its LocalQueue points at, when both exist.
    pub cq: Option<CqIx>,
    pub priority: i32,
    /// The PodSets as admission sees them: each `count` is the spec's count less the
    /// PodSet's reclaimable pods.
    pub podsets: Vec<PodSetRequest>,
    /// `status.reclaimablePods`, per PodSet (0: not listed): pods of succeeded replicated
    /// jobs whose quota is given back (§3.4).
    pub reclaimable: Vec<u32>,
    /// The scheduling-equivalence hash (§4.5): priority and the PodSets' shapes.
    pub hash: u64,
    pub state: WlState,
    pub created_ns: SimTime,
    /// The queue-order timestamp (§4.2): creation, or the eviction after a PodsReady timeout.
    pub order_ns: SimTime,
    pub progress: Option<ScanProgress>,
    pub admission: Option<Assignment>,
    /// `QuotaReserved=False`'s reason and message while pending.
    pub pending_reason: (&'static str, String),
    /// When the quota held now was reserved (None while none is held).
    pub admitted_ns: Option<SimTime>,
    /// First `Admitted=True` (every admission check Ready).
    pub first_admitted_ns: Option<SimTime>,
    /// First quota reservation (the same as the first admission without admission checks).
    pub first_reserved_ns: Option<SimTime>,
    /// Quota reservations so far: the attempt number each admission check script answers.
    pub reservations: u32,
    /// While `Reserved`: what the admission checks answer, decided at reservation.
    pub checks_outcome: Option<ChecksOutcome>,
    /// After a `Retry`: when `requeueAfterSeconds` lets the Workload queue again.
    pub check_requeue_at_ns: Option<SimTime>,
    /// The JobSet was unsuspended for the reservation held now.
    pub started: bool,
    /// PodsReady=True since (None while not ready).
    pub pods_ready_ns: Option<SimTime>,
    pub first_pods_ready_ns: Option<SimTime>,
    /// When readiness was lost after it had been reached (`WaitForRecovery`).
    pub unready_since_ns: Option<SimTime>,
    pub finished_ns: Option<SimTime>,
    /// `requeueState.count`.
    pub requeue_count: u32,
    pub evictions: Vec<EvictionRecord>,
    /// Guards the PodsReady timer: bumped on each admission and readiness change.
    pub timer_generation: u32,
    pub deactivated: bool,
    /// `spec.maximumExecutionTimeSeconds` (the JobSet's `kueue.x-k8s.io/max-exec-time-seconds`).
    pub max_exec_s: Option<u64>,
    /// `status.accumulatedPastExecutionTimeSeconds`: whole seconds admitted before the current
    /// admission.
    pub past_exec_s: u64,
    /// While admitted with a maximum execution time: since when (the `Admitted=True`
    /// transition), and the generation of the deadline event scheduled for it.
    pub exec_since_ns: Option<SimTime>,
    pub exec_generation: u32,
    /// Per PodSet: its `kueue.x-k8s.io/podset-*` topology request, if any.
    pub topology_requests: Vec<Option<super::tas::TopologyRequest>>,
    /// While admitted, per PodSet: where TAS put its pods (None: not a TAS flavor).
    pub placements: Vec<Option<super::topology::Placement>>,
}

/// How the admission checks of one quota reservation end (`Retry` and `Rejected` carry the
/// check's name for the messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChecksOutcome {
    Ready,
    Retry { requeue_after_s: Option<u64> },
    Rejected { check: String },
}

/// One eviction: when, its `Evicted` reason, and for a preemption the `Preempted` reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EvictionRecord {
    pub at_ns: SimTime,
    pub reason: &'static str,
    pub preempted_reason: Option<&'static str>,
    /// The (flavor, resource) pairs its admission held when evicted (`status.admission`'s
    /// flavors per resource), so a queue's panels mark it only where it held quota.
    pub frs: Vec<crate::kueue::quota::FrId>,
}

impl Workload {
    pub(crate) fn key(&self, wl: WlId) -> QueueKey {
        QueueKey {
            priority: Reverse(self.priority),
            timestamp_ns: self.order_ns,
            uid: self.uid.clone(),
            wl,
        }
    }
}

/// `PodSets` of the JobSet integration (§3.2): one per replicated job, in spec order, with
/// `count = replicas × min(parallelism, completions)` and the pod template's effective
/// request, selector, required node affinity and tolerations.
pub(crate) fn podsets_of(jobset: &JobSet, model: &mut Model) -> Vec<PodSetRequest> {
    jobset
        .spec
        .replicated_jobs
        .iter()
        .map(|rj| {
            let job = &rj.template.spec;
            let count = podset_count(rj);
            let pod = &job.template.spec;
            let per_pod = crate::sim::shape::pod_requests(pod)
                .into_iter()
                .filter(|&(_, v)| v > 0)
                .map(|(name, v)| (model.intern_resource(&name), v))
                .collect();
            let affinity_terms = pod
                .affinity
                .as_ref()
                .and_then(|a| a.node_affinity.as_ref())
                .and_then(|n| {
                    n.required_during_scheduling_ignored_during_execution
                        .as_ref()
                })
                .map(|sel| {
                    (sel.node_selector_terms.iter())
                        .map(|t| t.match_expressions.clone())
                        .collect()
                })
                .unwrap_or_default();
            PodSetRequest {
                name: rj.name.to_lowercase(),
                count,
                per_pod,
                node_selector: pod.node_selector.clone(),
                affinity_terms,
                tolerations: pod.tolerations.clone(),
                group: super::tas::parse_request(&job.template.metadata.annotations, count)
                    .ok()
                    .flatten()
                    .and_then(|r| r.group),
            }
        })
        .collect()
}

/// A replicated job's PodSet count: `replicas × min(parallelism, completions)`.
pub(crate) fn podset_count(rj: &crate::api::types::ReplicatedJob) -> u32 {
    rj.replicas.unwrap_or(1).max(0) as u32 * pods_per_replica(rj)
}

/// Pods of one of a replicated job's Jobs: `min(parallelism, completions)`
/// (`PodsCountPerReplica`).
pub(crate) fn pods_per_replica(rj: &crate::api::types::ReplicatedJob) -> u32 {
    let job = &rj.template.spec;
    let parallelism = job.parallelism.unwrap_or(1).max(0);
    job.completions
        .map_or(parallelism, |c| parallelism.min(c.max(0))) as u32
}

/// FNV-1a over the priority and the PodSets' scheduling shape: equal for Workloads that
/// admission cannot tell apart.
pub(crate) fn equivalence_hash(priority: i32, podsets: &[PodSetRequest]) -> u64 {
    let text = format!("{priority}|{podsets:?}");
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

//! `summary.json`: the headline results of one run. Every key is documented in
//! `docs/metrics.md`; keep the two in step.

use crate::engine::time::to_secs;
use crate::sim::objects::{JsId, PodId, PodObj, PodPhase};
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeMap;

/// Layout version of summary.json: raised when a key is renamed, removed or changes meaning
/// (adding a key does not raise it). docs/metrics.md, "Identity". 2: `distributions.
/// time_to_recover_s` and `.recovery_pods_per_s` are per recovery record (`recoveries[]`), no
/// longer per JobSet restart (`recovery[]`).
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// How many pod names a pending group lists before it only counts.
const PENDING_EXAMPLES: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Summary {
    /// The jobset-sim release that wrote this summary (the crate version).
    pub tool_version: String,
    /// Version of this file's layout (SCHEMA_VERSION).
    pub schema_version: u32,
    pub scenario: String,
    /// SHA-1 of the scenario as loaded (`Scenario::hash`): which inputs these results are of.
    pub scenario_hash: String,
    pub seed: u64,
    /// The control-plane profile the run's constants come from (docs/calibration.md).
    pub control_plane: crate::scenario::ControlPlaneSource,
    pub sim_end_s: f64,
    pub events: u64,
    /// FNV-1a (64 bit) of every delivered event's time, kind and ids, in delivery order, as 16
    /// hex digits (`engine::digest`): equal digests, same event stream.
    pub event_digest: String,
    pub wall_ms: u64,
    pub nodes: usize,
    pub jobsets: Vec<JobSetSummary>,
    /// Where the run's record is (docs/metrics.md, "record.json").
    pub record: RecordRef,
    pub pods: PodCounts,
    pub pending_pods: Vec<PendingGroup>,
    /// Behaviours of the modelled upstream version that break what users expect (exclusive
    /// placement from a finished leader, ...), each a finding of the run, not a simulator fault
    /// (docs/metrics.md, "Upstream behaviours").
    pub upstream_behaviours: Vec<UpstreamBehaviourEntry>,
    /// One entry per global JobSet restart (docs/metrics.md, "Recovery throughput").
    pub recovery: Vec<super::recovery::Recovery>,
    /// One entry per interruption of a JobSet, whatever repaired it (docs/metrics.md,
    /// "Interruptions and recoveries").
    pub recoveries: Vec<super::recoveries::RecoveryEntry>,
    /// p50 / p90 / p99 / max of time to recover, pod scheduling latency and recovery rate.
    pub distributions: super::distributions::Distributions,
    /// What each fault injector did (`faults:` in the scenario), in scenario order.
    pub faults: Vec<crate::inject::FaultStats>,
    /// Goodput over every JobSet with a training model (Σ useful work / Σ wall time), or null.
    pub goodput: Option<f64>,
    /// Per JobSet with a training model.
    pub training: Vec<crate::training::TrainingSummary>,
    pub scheduler: SchedulerCounts,
    /// The API calls the Job controller's and the garbage collector's clients sent, by kind
    /// (docs/metrics.md, "API calls").
    pub api_calls: crate::metrics::api_calls::ApiCalls,
    /// Kueue's Workloads and ClusterQueues (docs/metrics.md, "Kueue"); absent without Kueue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kueue: Option<super::kueue::KueueSummary>,
}

/// The cross-reference to `record.json`: its file name in the `--out` folder and how many
/// JobSet entries it holds (one per entry of `jobsets`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RecordRef {
    pub file: &'static str,
    pub jobsets: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct JobSetSummary {
    pub name: String,
    /// `"Completed"`, `"Failed"`, or null while still running at the end.
    pub terminal_state: Option<String>,
    /// Reason of the terminal condition (`AllJobsCompleted`, `FailedJobs`, `ReachedMaxRestarts`, ...).
    pub terminal_reason: Option<String>,
    pub restarts: i32,
    pub restarts_count_towards_max: i32,
    /// Per-Job restarts (RestartJob actions), summed over every replicated job and index.
    pub job_restarts: i32,
    /// In-place restart rounds completed (`status.currentInPlaceRestartAttempt`).
    pub in_place_restarts: i32,
    /// `spec.failurePolicy.maxRestarts` (0 when there is no failure policy).
    pub max_restarts: i32,
    pub submitted_at_s: f64,
    pub completed_at_s: Option<f64>,
    pub finished_at_s: Option<f64>,
    /// Every change of the JobSet's status conditions, in order.
    pub conditions: Vec<ConditionChange>,
}

/// One change of a JobSet status condition, as the controller wrote it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ConditionChange {
    /// When the status write landed.
    pub time_s: f64,
    #[serde(rename = "type")]
    pub kind: String,
    /// `"True"` or `"False"`, as the API writes it.
    pub status: &'static str,
    pub reason: String,
    pub message: String,
    /// `lastTransitionTime` after the write: moves only when the status flips.
    pub last_transition_time_s: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct PodCounts {
    pub created: u64,
    pub scheduled: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub pending_at_end: u64,
    pub running_at_end: u64,
    /// Pod creates the JobSet validating webhook denied (followers before their leader).
    pub create_rejected: u64,
    /// Pod creates refused with AlreadyExists: every generated name was held by a live pod.
    pub create_name_conflicts: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct PendingGroup {
    pub jobset: String,
    /// The scheduler's last verdict, e.g. `0/4 nodes are available: 4 Insufficient cpu.`
    pub reason: String,
    pub count: u64,
    pub pods: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct UpstreamBehaviourEntry {
    /// When it first happened.
    pub time_s: f64,
    /// One of the kinds listed in docs/metrics.md, "Upstream behaviours".
    pub kind: &'static str,
    /// The modelled JobSet controller version (`controlPlane.jobsetController.version`).
    pub version: &'static str,
    pub jobset: String,
    pub job: String,
    /// The exclusive domain (topology value) involved; empty when none is.
    pub domain: String,
    /// How many times: follower pods created or left, or follower syncs denied.
    pub count: u64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SchedulerCounts {
    pub cycles: u64,
    pub nodes_examined: u64,
    /// JobSet controller reconciles (one worker, every status change queues one).
    pub jobset_reconciles: u64,
    /// DefaultPreemption runs that nominated a node (absent when none did).
    #[serde(skip_serializing_if = "is_zero")]
    pub preemptions: u64,
    /// Pods those preemptions deleted (absent when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub preemption_victims: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The modelled JobSet controller version as the scenario names it
/// (`controlPlane.jobsetController.version`).
pub(crate) fn jobset_version(sim: &Sim) -> &'static str {
    match sim.params.jobset_version {
        crate::control::pod_webhook::PlacementVersion::V0_12_0 => "v0.12.0",
        crate::control::pod_webhook::PlacementVersion::Main => "main",
    }
}

fn upstream_behaviours(sim: &Sim) -> Vec<UpstreamBehaviourEntry> {
    let version = jobset_version(sim);
    sim.rec
        .upstream_behaviours
        .iter()
        .map(|b| UpstreamBehaviourEntry {
            time_s: to_secs(b.first_ns),
            kind: b.kind,
            version,
            jobset: b.jobset.clone(),
            job: b.job.clone(),
            domain: b.domain.clone(),
            count: b.count,
            message: b.message.clone(),
        })
        .collect()
}

/// The summary of a finished run (`wall_ms`: the wall time it took).
pub(crate) fn build(sim: &Sim, wall_ms: u64) -> Summary {
    let jobsets = jobset_summaries(sim);
    let (pods, pending_pods) = pod_counts(sim);
    let recovery = super::recovery::build(sim);
    let recoveries = super::recoveries::build(sim);
    let (training, goodput) = training_and_goodput(sim);
    Summary {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
        scenario: sim.scenario.name.clone(),
        scenario_hash: sim.scenario.hash.clone(),
        seed: sim.scenario.seed,
        control_plane: sim.scenario.control_plane_source.clone(),
        sim_end_s: to_secs(sim.ended_at_ns.unwrap_or(sim.now())),
        events: sim.queue.delivered(),
        event_digest: sim.event_digest.hex(),
        wall_ms,
        nodes: sim.cluster.len(),
        record: RecordRef {
            file: super::record::FILE,
            jobsets: jobsets.len(),
        },
        jobsets,
        pods,
        pending_pods,
        upstream_behaviours: upstream_behaviours(sim),
        distributions: super::distributions::build(sim, &recoveries),
        recovery,
        recoveries,
        faults: sim.inject.stats().to_vec(),
        goodput,
        training,
        scheduler: SchedulerCounts {
            cycles: sim.scheduler.cycles,
            nodes_examined: sim.scheduler.nodes_examined,
            jobset_reconciles: sim.rec.jobset_reconciles,
            preemptions: sim.scheduler.preemption_counts().0,
            preemption_victims: sim.scheduler.preemption_counts().1,
        },
        api_calls: sim.rec.api_calls.clone(),
        kueue: super::kueue::build(sim),
    }
}

/// One entry per JobSet, in creation order.
fn jobset_summaries(sim: &Sim) -> Vec<JobSetSummary> {
    (0..sim.store.jobsets.len())
        .map(|id| jobset_summary(sim, id))
        .collect()
}

/// JobSet `id`'s outcome, restarts and condition changes.
fn jobset_summary(sim: &Sim, id: usize) -> JobSetSummary {
    let js = &sim.store.jobsets[id];
    let terminal = js.status.terminal_state.clone();
    let finished_at_ns = sim.rec.jobset_finished_ns(id as JsId);
    let reason = terminal
        .as_deref()
        .and_then(|t| js.status.condition(t))
        .map(|c| c.reason.clone());
    JobSetSummary {
        name: js.name.clone(),
        terminal_reason: reason,
        restarts: js.status.restarts,
        restarts_count_towards_max: js.status.restarts_count_towards_max,
        max_restarts: js.spec.spec.max_restarts(),
        in_place_restarts: js.status.current_in_place_restart_attempt.unwrap_or(0),
        job_restarts: js
            .status
            .replicated_jobs
            .iter()
            .filter_map(|r| r.job_restarts.as_ref())
            .flatten()
            .sum(),
        submitted_at_s: to_secs(js.created_at_ns),
        completed_at_s: if terminal.as_deref() == Some("Completed") {
            finished_at_ns.map(to_secs)
        } else {
            None
        },
        finished_at_s: finished_at_ns.map(to_secs),
        terminal_state: terminal,
        conditions: condition_changes(sim, id),
    }
}

/// Every change of JobSet `id`'s conditions, in time order.
fn condition_changes(sim: &Sim, id: usize) -> Vec<ConditionChange> {
    sim.rec
        .status_log
        .jobset_conditions(id as crate::sim::objects::JsId)
        .map(|r| ConditionChange {
            time_s: to_secs(r.time_ns),
            kind: r.condition.clone(),
            status: if r.status == Some(true) {
                "True"
            } else {
                "False"
            },
            reason: r.reason.clone(),
            message: r.message.clone(),
            last_transition_time_s: to_secs(r.last_transition_ns.unwrap_or(r.time_ns)),
        })
        .collect()
}

/// The pod counts, and the pods still pending at the end grouped by JobSet and reason.
fn pod_counts(sim: &Sim) -> (PodCounts, Vec<PendingGroup>) {
    // In creation order: the examples of each group are its first pods.
    let held = sim.pods.in_creation_order();
    let live =
        (held.into_iter()).filter(|(_, p)| p.created && !p.removed && p.deletion_ns.is_none());
    let mut pending_at_end = 0;
    let mut running_at_end = 0;
    let mut groups: BTreeMap<(String, String), PendingGroup> = BTreeMap::new();
    for (i, p) in live {
        match p.phase {
            PodPhase::Running => running_at_end += 1,
            PodPhase::Pending => {
                pending_at_end += 1;
                if let Some((js, reason)) = why_pending(sim, i, p) {
                    let g = groups
                        .entry((js.clone(), reason.clone()))
                        .or_insert_with(|| PendingGroup {
                            jobset: js,
                            reason,
                            count: 0,
                            pods: vec![],
                        });
                    g.count += 1;
                    if g.pods.len() < PENDING_EXAMPLES {
                        g.pods.push(sim.pod_name(i));
                    }
                }
            }
            _ => {}
        }
    }
    let counts = PodCounts {
        created: sim.rec.pods_created,
        scheduled: sim.rec.pods_scheduled,
        succeeded: sim.rec.pods_succeeded,
        failed: sim.rec.pods_failed,
        pending_at_end,
        running_at_end,
        create_rejected: sim.rec.pod_creates_rejected,
        create_name_conflicts: sim.rec.pod_create_name_conflicts,
    };
    (counts, groups.into_values().collect())
}

/// A pending pod's JobSet and why it waits, unless it is bound to a live node (it only waits
/// for its kubelet).
fn why_pending(sim: &Sim, i: PodId, p: &PodObj) -> Option<(String, String)> {
    let dead_node = p.node.filter(|&n| sim.cluster.node(n).failed);
    if p.node.is_some() && dead_node.is_none() {
        return None;
    }
    let js = &sim.store.jobsets[sim.store.jobs[p.job as usize].jobset as usize].name;
    let reason = match dead_node {
        // Bound before its node died, or placed there because it tolerates
        // the NotReady taints: no kubelet starts it, and neither the
        // scheduler nor taint eviction moves it while the Node object stays.
        Some(n) => format!(
            "bound to node {}, which is down: no kubelet starts the pod, and \
             it tolerates the node's taints, so it is not (yet) evicted",
            sim.cluster.node(n).name
        ),
        None => sim.last_unschedulable(i).map_or_else(
            || "not yet scheduled (no scheduling attempt had failed)".into(),
            str::to_string,
        ),
    };
    Some((js.clone(), reason))
}

/// Each training JobSet's summary, and the goodput over all of them (none without any).
fn training_and_goodput(sim: &Sim) -> (Vec<crate::training::TrainingSummary>, Option<f64>) {
    let end_ns = sim.ended_at_ns.unwrap_or(sim.now());
    let training: Vec<crate::training::TrainingSummary> = sim
        .training
        .states()
        .map(|(js, t)| t.summary(&sim.store.jobsets[js as usize].name, end_ns))
        .collect();
    let wall: f64 = training.iter().map(|t| t.wall_s).sum();
    let goodput = (!training.is_empty() && wall > 0.0)
        .then(|| training.iter().map(|t| t.useful_work_s).sum::<f64>() / wall);
    (training, goodput)
}

//! The scenario file as written (YAML, camelCase keys, unknown keys rejected).
//! `docs/scenario-format.md` documents every key; keep the two in step.

use super::duration::DurationField;
use crate::api::quantity::WrittenQuantity;
use crate::api::types::StringMap;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ScenarioFile {
    pub name: String,
    /// Free text for the reader; accepted and not used by a run.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    #[serde(default)]
    pub run: RunSection,
    pub cluster: ClusterSection,
    #[serde(default)]
    pub control_plane: ControlPlaneSection,
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
    #[serde(default)]
    pub workloads: Vec<WorkloadSection>,
    #[serde(default)]
    pub faults: Vec<super::faults::FaultSection>,
    /// Regression gates checked by `run` after the simulation (`crate::gates`).
    #[serde(default)]
    pub expect: Vec<String>,
    /// Kueue objects and configuration (`crate::kueue_api`).
    pub kueue: Option<crate::kueue_api::KueueSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RunSection {
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Hard end of the simulated run, e.g. `2h`.
    #[serde(default = "default_until")]
    pub until: DurationField,
    /// Stop as soon as every JobSet is Completed or Failed (default true).
    #[serde(default = "default_true")]
    pub stop_when_all_terminal: bool,
    /// Refuse to build the run if its memory estimate is past this quantity (`32Gi`).
    #[serde(default)]
    pub memory_limit: Option<String>,
    /// Fault injectors fire nothing after this time (repairs already drawn still happen).
    #[serde(default)]
    pub faults_until: Option<DurationField>,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            seed: default_seed(),
            until: default_until(),
            stop_when_all_terminal: true,
            memory_limit: None,
            faults_until: None,
        }
    }
}

fn default_seed() -> u64 {
    1
}
fn default_until() -> DurationField {
    DurationField {
        ns: 24 * 3_600 * crate::engine::time::NS_PER_S,
    }
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClusterSection {
    pub node_pools: Vec<NodePoolSection>,
    /// Namespaces and their labels, for `namespaceSelector` in pod affinity terms. Namespaces
    /// the workloads use exist without being listed.
    #[serde(default)]
    pub namespaces: BTreeMap<String, NamespaceSection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NamespaceSection {
    #[serde(default)]
    pub labels: StringMap,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NodePoolSection {
    /// Pool name; with `count > 1` the pools are `<name>-0`, `<name>-1`, ...
    pub name: String,
    /// How many node pools of this shape (default 1).
    #[serde(default = "default_one")]
    pub count: u32,
    pub nodes_per_pool: u32,
    #[serde(default)]
    pub labels: StringMap,
    #[serde(default)]
    pub taints: Vec<TaintSection>,
    /// Kept as written, for the messages that quote a quantity.
    pub capacity: BTreeMap<String, WrittenQuantity>,
    /// Extra topology levels: consecutive nodes of this entry grouped into domains.
    #[serde(default)]
    pub topology: Vec<TopologyLevelSection>,
}

fn default_one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TaintSection {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TopologyLevelSection {
    /// The node label key, e.g. `topology.kubernetes.io/rack`.
    pub key: String,
    pub nodes_per_domain: u32,
}

/// Overrides of the control-plane timing defaults (see `docs/scenario-format.md`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ControlPlaneSection {
    /// The control-plane profile the other keys override: a built-in name (`ci`, `gke`) or a
    /// profile file relative to the scenario file (`scenario::profile`, docs/calibration.md).
    pub profile: Option<String>,
    pub watch_delay: Option<DurationField>,
    pub api_call_latency: Option<DurationField>,
    pub job_sync_batch_period: Option<DurationField>,
    pub jobset_reconcile_cost: Option<DurationField>,
    pub job_sync_cost: Option<DurationField>,
    pub webhook_latency: Option<DurationField>,
    #[serde(default)]
    pub scheduler: SchedulerSection,
    pub job_controller: Option<ClientSection>,
    #[serde(default)]
    pub node_lifecycle: NodeLifecycleSection,
    pub garbage_collector: Option<ClientSection>,
    pub jobset_controller: Option<JobSetControllerSection>,
    #[serde(default)]
    pub kubelet: KubeletSection,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SchedulerSection {
    pub cycle_base_cost: Option<DurationField>,
    pub per_node_filter_cost: Option<DurationField>,
    pub per_node_score_cost: Option<DurationField>,
    pub per_rejected_node_cost: Option<DurationField>,
    pub bind_latency: Option<DurationField>,
    pub percentage_of_nodes_to_score: Option<u32>,
    pub scoring_strategy: Option<String>,
    pub qps: Option<f64>,
    pub burst: Option<u32>,
    pub affinity_per_existing_pod_cost: Option<DurationField>,
    pub affinity_per_pod_term_cost: Option<DurationField>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NodeLifecycleSection {
    pub monitor_period: Option<DurationField>,
    pub monitor_grace_period: Option<DurationField>,
    pub lease_renew_interval: Option<DurationField>,
    pub eviction_rate_per_s: Option<f64>,
    pub toleration_seconds: Option<u64>,
    pub orphan_pod_gc_delay: Option<DurationField>,
}

/// A controller's API client rate limit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClientSection {
    pub qps: Option<f64>,
    pub burst: Option<u32>,
    /// Its worker pool (the Job controller and the garbage collector only).
    pub workers: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct JobSetControllerSection {
    pub qps: Option<f64>,
    pub burst: Option<u32>,
    pub max_in_flight: Option<u32>,
    /// `v0.12.0` (default) or `main`: where the releases differ (semantics §0).
    pub version: Option<String>,
    /// `leaderFollower` (v0.3.0+, default) or `allPods` (the pre-v0.3.0 design).
    pub exclusive_placement: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KubeletSection {
    pub pod_start_latency: Option<DurationField>,
    pub pod_stop_latency: Option<DurationField>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WorkloadSection {
    /// Path to a JobSet manifest (one or more YAML documents), relative to the scenario file.
    pub manifest: Option<String>,
    /// A JobSet manifest written inline.
    pub jobset: Option<serde_yaml_ng::Value>,
    /// Submission time (default `0s`).
    #[serde(default)]
    pub at: Option<DurationField>,
    #[serde(default)]
    pub pods: PodsSection,
    /// Changes a user makes to the JobSet later, e.g. `{at: 10m, suspend: false}` to resume.
    #[serde(default)]
    pub updates: Vec<UpdateSection>,
    /// A training run: how much useful work, and its checkpoints and restart cost (goodput).
    pub training: Option<TrainingSection>,
}

/// The training-progress model: the JobSet makes progress while all its pods run; a restart
/// loses the work since the last checkpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TrainingSection {
    /// Useful work to do, as time at full speed (e.g. `54d`).
    pub work: DurationField,
    /// Useful work between two checkpoints (default: no checkpoints).
    pub checkpoint_interval: Option<DurationField>,
    /// Training pauses this long to write each checkpoint (default `0s`).
    pub checkpoint_cost: Option<DurationField>,
    /// Framework start-up after all pods run, before progress resumes (default `0s`).
    pub restart_cost: Option<DurationField>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateSection {
    pub at: DurationField,
    /// New value of `spec.suspend`.
    pub suspend: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PodsSection {
    /// How long each container runs before exiting 0 (default `10m`).
    pub run_for: Option<DurationField>,
    /// Per replicated job overrides, keyed by replicated job name.
    #[serde(default)]
    pub replicated_jobs: BTreeMap<String, ReplicatedJobPodsSection>,
    /// Containers that end otherwise than by exiting 0 after `runFor`; the first matching
    /// entry applies to each container run.
    #[serde(default)]
    pub exits: Vec<ExitSection>,
}

/// "The leader of job 3 exits 1 after 10 minutes on the first attempt."
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExitSection {
    pub replicated_job: Option<String>,
    pub job_index: Option<u32>,
    /// The pod's completion index.
    pub pod_index: Option<u32>,
    /// The JobSet restart attempt (`jobset.sigs.k8s.io/restart-attempt`), 0 = first.
    pub attempt: Option<i32>,
    /// The per-Job restart attempt (`jobset.sigs.k8s.io/job-restart-attempt`, RestartJob
    /// gate), 0 = first; always 0 with the gate off.
    pub job_attempt: Option<i32>,
    /// Earlier runs of this completion index within the same Job (pod recreations and
    /// container restarts), 0 = first run.
    pub retry: Option<u32>,
    /// Time after the container starts.
    pub after: DurationField,
    pub exit_code: i32,
    /// Container name reported to podFailurePolicy; default the pod's first container.
    pub container: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ReplicatedJobPodsSection {
    pub run_for: Option<DurationField>,
}

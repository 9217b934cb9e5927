//! Kueue objects as users write them (`kueue.x-k8s.io/v1beta2`, and `v1beta1` with its renames)
//! and the Kueue configuration (`config.kueue.x-k8s.io/v1beta2`): read from a scenario's `kueue:`
//! section, checked as the API server and Kueue's webhooks would (the CRDs' OpenAPI and CEL
//! rules, then `pkg/webhooks`), defaulted, and resolved into a [`KueueSetup`] for the admission
//! engine. Errors name the file, line and field path; messages keep Kueue's wording.
//!
//! - `raw`: the documents as written (serde); `fields.txt`: every field Kueue defines, so a
//!   typo is an error and a defined field the simulator leaves out is a notice;
//! - `load`: files, inline objects and the configuration, document by document;
//! - `validate`: per-object rules and the setup they resolve to;
//! - `config`: the Configuration's knobs.

mod config;
mod load;
mod raw;
mod validate;

use crate::api::quantity::Quantity;
use crate::api::taint::Taint;
use crate::api::types::{LabelSelector, Toleration};
use std::collections::BTreeMap;

pub(crate) use load::{load, KueueSection};

/// Every Kueue object of a scenario, validated and resolved (names checked, defaults applied).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KueueSetup {
    /// In file order (the scenario's `files` in order, then `objects`).
    pub flavors: Vec<ResourceFlavor>,
    pub cluster_queues: Vec<ClusterQueue>,
    pub local_queues: Vec<LocalQueue>,
    pub cohorts: Vec<Cohort>,
    pub priority_classes: Vec<WorkloadPriorityClass>,
    /// `scheduling.k8s.io/v1` PriorityClasses, for pod templates' `priorityClassName`.
    pub pod_priority_classes: Vec<PodPriorityClass>,
    pub topologies: Vec<Topology>,
    pub admission_checks: Vec<AdmissionCheck>,
    /// `kueue.admissionCheckScripts`: what each scripted check's controller answers.
    pub check_scripts: Vec<CheckScript>,
    pub config: KueueConfig,
}

impl KueueSetup {
    /// `(kind, count)` for every kind, in a fixed order, for `validate`'s report.
    pub(crate) fn counts(&self) -> [(&'static str, usize); 8] {
        [
            ("ResourceFlavor", self.flavors.len()),
            ("ClusterQueue", self.cluster_queues.len()),
            ("LocalQueue", self.local_queues.len()),
            ("Cohort", self.cohorts.len()),
            ("WorkloadPriorityClass", self.priority_classes.len()),
            ("Topology", self.topologies.len()),
            ("AdmissionCheck", self.admission_checks.len()),
            ("PriorityClass", self.pod_priority_classes.len()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceFlavor {
    pub name: String,
    pub node_labels: BTreeMap<String, String>,
    pub node_taints: Vec<Taint>,
    pub tolerations: Vec<Toleration>,
    pub topology_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterQueue {
    pub name: String,
    /// `spec.cohortName` (v1beta1 `spec.cohort`); need not name a Cohort object.
    pub cohort: Option<String>,
    pub resource_groups: Vec<ResourceGroup>,
    pub queueing_strategy: QueueingStrategy,
    /// None = no namespace eligible; Some(selector) (an empty selector = all namespaces)
    pub namespace_selector: Option<LabelSelector>,
    pub preemption: PreemptionPolicy,
    pub flavor_fungibility: FlavorFungibility,
    /// `spec.fairSharing.weight` in thousandths (default 1000; 0 = infinite share when borrowing).
    pub fair_sharing_weight_milli: i64,
    pub stop_policy: StopPolicy,
    /// Names of the admission checks the CQ lists (`admissionChecksStrategy`, v1beta1
    /// `admissionChecks`), with the flavors each applies to (empty = all). A check without a
    /// script (`kueue.admissionCheckScripts`) is Ready as soon as quota is reserved.
    pub admission_checks: Vec<(String, Vec<String>)>,
    /// `spec.admissionScope.admissionMode: UsageBasedAdmissionFairSharing` (kueue-semantics §8).
    pub admission_fair_sharing: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceGroup {
    pub covered_resources: Vec<String>,
    /// In preference order.
    pub flavors: Vec<FlavorQuotas>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlavorQuotas {
    pub name: String,
    /// In the order of the group's `covered_resources` (the webhook enforces it).
    pub resources: Vec<ResourceQuota>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceQuota {
    pub name: String,
    pub nominal: Quantity,
    /// None = unlimited.
    pub borrowing_limit: Option<Quantity>,
    /// None = all of the nominal quota is lendable.
    pub lending_limit: Option<Quantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum QueueingStrategy {
    StrictFifo,
    #[default]
    BestEffortFifo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PreemptionPolicy {
    pub within_cluster_queue: WithinClusterQueue,
    pub reclaim_within_cohort: ReclaimWithinCohort,
    pub borrow_within_cohort: BorrowWithinCohort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum WithinClusterQueue {
    #[default]
    Never,
    LowerPriority,
    LowerOrNewerEqualPriority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ReclaimWithinCohort {
    #[default]
    Never,
    LowerPriority,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BorrowWithinCohort {
    pub policy: BorrowWithinCohortPolicy,
    pub max_priority_threshold: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum BorrowWithinCohortPolicy {
    #[default]
    Never,
    LowerPriority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlavorFungibility {
    /// Default `MayStopSearch` (v1beta1 `Borrow` converts to it).
    pub when_can_borrow: FungibilityAction,
    /// Default `TryNextFlavor` (v1beta1 `Preempt` converts to `MayStopSearch`).
    pub when_can_preempt: FungibilityAction,
    pub preference: FungibilityPreference,
}

impl Default for FlavorFungibility {
    fn default() -> Self {
        FlavorFungibility {
            when_can_borrow: FungibilityAction::MayStopSearch,
            when_can_preempt: FungibilityAction::TryNextFlavor,
            preference: FungibilityPreference::BorrowingOverPreemption,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FungibilityAction {
    MayStopSearch,
    TryNextFlavor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FungibilityPreference {
    /// Also what an unset `preference` behaves as.
    #[default]
    BorrowingOverPreemption,
    PreemptionOverBorrowing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StopPolicy {
    #[default]
    None,
    Hold,
    HoldAndDrain,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LocalQueue {
    /// Default `default`.
    pub namespace: String,
    pub name: String,
    /// May name no ClusterQueue (the Workloads then stay pending, `Misconfigured`).
    pub cluster_queue: String,
    pub stop_policy: StopPolicy,
    /// `spec.fairSharing.weight` in milli-units (default 1), for admission fair sharing.
    pub fair_sharing_weight_milli: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cohort {
    pub name: String,
    pub parent: Option<String>,
    pub resource_groups: Vec<ResourceGroup>,
    pub fair_sharing_weight_milli: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WorkloadPriorityClass {
    pub name: String,
    pub value: i32,
}

/// A Kubernetes PriorityClass: its value, and whether it is the cluster's global default.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodPriorityClass {
    pub name: String,
    pub value: i32,
    pub global_default: bool,
    /// `preemptionPolicy: Never`: pods of this class never preempt (kube-scheduler's
    /// DefaultPreemption).
    pub preempt_never: bool,
}

/// An `AdmissionCheck` object: its name and `spec.controllerName` (`parameters` ignored).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdmissionCheck {
    pub name: String,
    pub controller_name: String,
}

/// What the controller behind admission check `check` writes for each quota reservation of a
/// Workload: attempt `n` (0-based, counted per Workload) takes `attempts[n]`, each entry
/// standing for `times` attempts, the last one repeating for ever.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckScript {
    pub check: String,
    pub attempts: Vec<CheckAttempt>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CheckAttempt {
    pub outcome: CheckOutcome,
    /// From the quota reservation to the check's state as Kueue sees it.
    pub after_ns: u64,
    /// `Retry` only: the `requeueAfterSeconds` the controller sets (None: at once).
    pub requeue_after_s: Option<u64>,
    pub times: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckOutcome {
    Ready,
    Retry,
    Rejected,
}

impl CheckScript {
    /// The answer to the Workload's `n`-th quota reservation (0-based).
    pub(crate) fn attempt(&self, n: u32) -> CheckAttempt {
        let mut left = n;
        for a in &self.attempts {
            if left < a.times {
                return *a;
            }
            left -= a.times;
        }
        *self.attempts.last().expect("a script has an attempt")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Topology {
    pub name: String,
    /// Node labels, highest first.
    pub levels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KueueConfig {
    /// Some(defaults) by default (v1beta2: enabled); None only with the configuration's
    /// `featureGates: {DisableWaitForPodsReady: true}`.
    pub wait_for_pods_ready: Option<WaitForPodsReady>,
    /// A `fairSharing` block is present.
    pub fair_sharing: bool,
    /// `admissionFairSharing`, when present and the `AdmissionFairSharing` gate is on.
    pub admission_fair_sharing: Option<AdmissionFairSharing>,
    /// `fairSharing.preemptionStrategies` (meaningful when `fair_sharing`).
    pub fair_sharing_strategies: Vec<FairSharingStrategy>,
    pub quota_check_strategy: QuotaCheckStrategy,
    pub manage_jobs_without_queue_name: bool,
    /// The `ReclaimablePods` feature gate (on by default): succeeded replicated jobs give
    /// their quota back while the Workload runs (kueue-semantics §3.4).
    pub reclaimable_pods: bool,
}

/// The Configuration's `admissionFairSharing` (kueue-semantics §8), defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdmissionFairSharing {
    /// `usageHalfLifeTime`: 0 resets the consumed usage at every sample.
    pub usage_half_life_ns: u64,
    /// `usageSamplingInterval` (default 5 min).
    pub usage_sampling_interval_ns: u64,
    /// `resourceWeights` (a resource not named weighs 1).
    pub resource_weights: BTreeMap<String, f64>,
}

impl Default for KueueConfig {
    fn default() -> Self {
        KueueConfig {
            wait_for_pods_ready: Some(WaitForPodsReady::default()),
            fair_sharing: false,
            admission_fair_sharing: None,
            fair_sharing_strategies: vec![],
            quota_check_strategy: QuotaCheckStrategy::BlockUndeclared,
            manage_jobs_without_queue_name: false,
            reclaimable_pods: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FairSharingStrategy {
    LessThanOrEqualToFinalShare,
    LessThanInitialShare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum QuotaCheckStrategy {
    #[default]
    BlockUndeclared,
    IgnoreUndeclared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitForPodsReady {
    /// `timeout`, default 30 minutes.
    pub timeout_ns: u64,
    /// `recoveryTimeout`, default the timeout; None when written as 0 (no recovery timeout).
    pub recovery_timeout_ns: Option<u64>,
    pub block_admission: bool,
    /// `requeuingStrategy.timestamp`: Eviction (true, the default) or Creation (false).
    pub requeuing_timestamp_eviction: bool,
    pub backoff_base_s: u64,
    pub backoff_max_s: u64,
    /// None = requeue without limit.
    pub backoff_limit_count: Option<u32>,
}

/// `waitForPodsReady.timeout`'s default: 30 minutes.
pub(crate) const DEFAULT_PODS_READY_TIMEOUT_NS: u64 = 30 * 60 * crate::engine::time::NS_PER_S;

impl Default for WaitForPodsReady {
    fn default() -> Self {
        WaitForPodsReady {
            timeout_ns: DEFAULT_PODS_READY_TIMEOUT_NS,
            recovery_timeout_ns: Some(DEFAULT_PODS_READY_TIMEOUT_NS),
            block_admission: false,
            requeuing_timestamp_eviction: true,
            backoff_base_s: 60,
            backoff_max_s: 3600,
            backoff_limit_count: None,
        }
    }
}

#[cfg(test)]
mod tests;

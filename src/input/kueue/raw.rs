//! Kueue documents as written: the fields the simulator reads, typed. A field Kueue defines and
//! these structs leave out is collected by the loader and reported as a notice; one Kueue does
//! not define is an error (`fields.txt`). Enumerations stay strings here so that a bad value is
//! reported with the API server's `Unsupported value` wording by `validate`.

use crate::api::quantity::WrittenQuantity;
use crate::api::types::{LabelSelector, ObjectMeta, Opaque, Toleration};
use crate::scenario::duration::DurationField;
use serde::Deserialize;
use std::collections::BTreeMap;

/// An object with a `spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "S: Deserialize<'de> + Default"))]
pub(super) struct Doc<S> {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: S,
    /// Accepted as written, never read.
    #[serde(default)]
    #[allow(dead_code)]
    pub status: Opaque,
    #[serde(default)]
    #[allow(dead_code)]
    pub api_version: Opaque,
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FlavorSpec {
    #[serde(default)]
    pub node_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub node_taints: Vec<RawTaint>,
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    pub topology_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawTaint {
    pub key: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pub time_added: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CqSpec {
    #[serde(default)]
    pub resource_groups: Vec<RawResourceGroup>,
    /// v1beta2.
    pub cohort_name: Option<String>,
    /// v1beta1 (`fields.txt` lets each version have only its own).
    pub cohort: Option<String>,
    pub queueing_strategy: Option<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub flavor_fungibility: Option<RawFungibility>,
    pub preemption: Option<RawPreemption>,
    pub stop_policy: Option<String>,
    pub fair_sharing: Option<RawFairSharing>,
    pub admission_checks_strategy: Option<RawChecksStrategy>,
    pub admission_scope: Option<RawAdmissionScope>,
    /// v1beta1: plain names.
    pub admission_checks: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAdmissionScope {
    pub admission_mode: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawChecksStrategy {
    #[serde(default)]
    pub admission_checks: Vec<RawCheckRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawCheckRule {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub on_flavors: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawResourceGroup {
    pub covered_resources: Option<Vec<String>>,
    pub flavors: Option<Vec<RawFlavorQuotas>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawFlavorQuotas {
    pub name: Option<String>,
    pub resources: Option<Vec<RawResourceQuota>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawResourceQuota {
    pub name: Option<String>,
    /// As written, for the messages that quote them (and the two below).
    pub nominal_quota: Option<WrittenQuantity>,
    pub borrowing_limit: Option<WrittenQuantity>,
    pub lending_limit: Option<WrittenQuantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawFungibility {
    pub when_can_borrow: Option<String>,
    pub when_can_preempt: Option<String>,
    pub preference: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPreemption {
    pub reclaim_within_cohort: Option<String>,
    pub borrow_within_cohort: Option<RawBorrowWithinCohort>,
    pub within_cluster_queue: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBorrowWithinCohort {
    pub policy: Option<String>,
    pub max_priority_threshold: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawFairSharing {
    /// As written, for the message that quotes it.
    pub weight: Option<WrittenQuantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LqSpec {
    pub cluster_queue: Option<String>,
    pub stop_policy: Option<String>,
    pub fair_sharing: Option<RawFairSharing>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CohortSpec {
    pub parent_name: Option<String>,
    #[serde(default)]
    pub resource_groups: Vec<RawResourceGroup>,
    pub fair_sharing: Option<RawFairSharing>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TopologySpec {
    pub levels: Option<Vec<RawLevel>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawLevel {
    pub node_label: Option<String>,
}

/// WorkloadPriorityClass has no `spec`: its fields sit at the top.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WpcDoc {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub value: Option<i32>,
    pub description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pub api_version: Opaque,
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Opaque,
}

/// A Kubernetes `scheduling.k8s.io/v1` PriorityClass (no `spec` either): Kueue reads a pod
/// template's `priorityClassName` against these (`ExtractPriority`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PcDoc {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub value: Option<i32>,
    pub global_default: Option<bool>,
    #[allow(dead_code)]
    pub description: Option<String>,
    pub preemption_policy: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pub api_version: Opaque,
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Opaque,
}

/// The knobs of `config.kueue.x-k8s.io/v1beta2` Configuration the simulator reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConfigDoc {
    pub manage_jobs_without_queue_name: Option<bool>,
    pub wait_for_pods_ready: Option<RawWaitForPodsReady>,
    pub fair_sharing: Option<RawConfigFairSharing>,
    pub admission_fair_sharing: Option<RawAdmissionFairSharing>,
    pub resources: Option<RawConfigResources>,
    pub feature_gates: Option<BTreeMap<String, bool>>,
    pub integrations: Option<RawIntegrations>,
    #[serde(default)]
    #[allow(dead_code)]
    pub api_version: Opaque,
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Opaque,
}

/// `admissionFairSharing` (`AdmissionFairSharing`, apis/config/v1beta2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAdmissionFairSharing {
    pub usage_half_life_time: Option<DurationField>,
    pub usage_sampling_interval: Option<DurationField>,
    pub resource_weights: Option<BTreeMap<String, f64>>,
}

/// Read only to warn when the JobSet integration is left out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawIntegrations {
    pub frameworks: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawWaitForPodsReady {
    pub timeout: Option<DurationField>,
    pub block_admission: Option<bool>,
    pub requeuing_strategy: Option<RawRequeuingStrategy>,
    pub recovery_timeout: Option<DurationField>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawRequeuingStrategy {
    pub timestamp: Option<String>,
    pub backoff_limit_count: Option<i32>,
    pub backoff_base_seconds: Option<i32>,
    pub backoff_max_seconds: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawConfigFairSharing {
    pub preemption_strategies: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawConfigResources {
    pub quota_check_strategy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AcSpec {
    pub controller_name: Option<String>,
}

/// One entry of a scenario's `kueue.admissionCheckScripts` (a jobset-sim extension, not a
/// Kueue object).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawCheckScript {
    pub check: String,
    /// Shorthand for `attempts: [{outcome: Ready, after: <readyAfter>}]`.
    pub ready_after: Option<DurationField>,
    pub attempts: Option<Vec<RawCheckAttempt>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawCheckAttempt {
    pub outcome: String,
    pub after: Option<DurationField>,
    pub requeue_after_seconds: Option<i64>,
    pub times: Option<i64>,
}

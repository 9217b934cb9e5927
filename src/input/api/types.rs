//! Kubernetes objects as users write them: JobSet `jobset.x-k8s.io/v1alpha2` and the parts of
//! `batch/v1` Job and `v1` Pod that change scheduling or failure behaviour.
//!
//! Fields that exist in Kubernetes but do not change what the simulator does (image, command,
//! env, volumes, ...) are declared as [`Opaque`] so they are accepted silently; any other field is
//! reported as a warning with its path by the loader (see `load.rs`), never dropped silently.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A value that Kubernetes accepts and the simulator does not model.
pub(crate) type Opaque = Option<serde_yaml_ng::Value>;
pub(crate) type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    pub generate_name: Option<String>,
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: StringMap,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: StringMap,
    #[serde(skip_serializing)]
    pub uid: Opaque,
    #[serde(skip_serializing)]
    pub resource_version: Opaque,
    #[serde(skip_serializing)]
    pub creation_timestamp: Opaque,
    #[serde(skip_serializing)]
    pub finalizers: Opaque,
    #[serde(skip_serializing)]
    pub owner_references: Opaque,
}

// ---------------------------------------------------------------------------------------------
// JobSet v1alpha2
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobSet {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: JobSetSpec,
    #[serde(skip_serializing)]
    pub status: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobSetSpec {
    #[serde(default)]
    pub replicated_jobs: Vec<ReplicatedJob>,
    pub network: Option<Network>,
    pub success_policy: Option<SuccessPolicy>,
    pub failure_policy: Option<FailurePolicy>,
    pub startup_policy: Option<StartupPolicy>,
    pub suspend: Option<bool>,
    pub coordinator: Option<Coordinator>,
    pub managed_by: Option<String>,
    pub ttl_seconds_after_finished: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_claim_policies: Vec<VolumeClaimPolicy>,
}

impl JobSetSpec {
    /// `failurePolicy.maxRestarts`, 0 when unset.
    pub(crate) fn max_restarts(&self) -> i32 {
        self.failure_policy
            .as_ref()
            .and_then(|f| f.max_restarts)
            .unwrap_or(0)
    }

    /// `failurePolicy.restartStrategy`, `Recreate` when unset.
    pub(crate) fn restart_strategy(&self) -> &str {
        self.failure_policy
            .as_ref()
            .and_then(|f| f.restart_strategy.as_deref())
            .unwrap_or("Recreate")
    }

    pub(crate) fn suspended(&self) -> bool {
        self.suspend == Some(true)
    }

    /// `startupPolicy.startupPolicyOrder: InOrder`.
    pub(crate) fn in_order(&self) -> bool {
        self.startup_policy
            .as_ref()
            .is_some_and(|s| s.startup_policy_order == "InOrder")
    }

    /// Σ replicas over every replicated job.
    pub(crate) fn total_replicas(&self) -> i32 {
        self.replicated_jobs
            .iter()
            .map(ReplicatedJob::replica_count)
            .sum()
    }

    /// Pods that run at once: Σ replicas × min(parallelism, completions).
    pub(crate) fn total_pods_at_once(&self) -> u64 {
        self.replicated_jobs
            .iter()
            .map(|r| {
                let p = r.template.spec.parallelism.unwrap_or(1).max(0) as u64;
                let c = r.template.spec.completions.map_or(p, |c| c.max(0) as u64);
                r.replica_count().max(0) as u64 * p.min(c)
            })
            .sum()
    }
}

impl ReplicatedJob {
    /// `replicas`, 1 when unset (the CRD default).
    pub(crate) fn replica_count(&self) -> i32 {
        self.replicas.unwrap_or(1)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReplicatedJob {
    pub name: String,
    pub group_name: Option<String>,
    pub template: JobTemplateSpec,
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<DependsOn>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DependsOn {
    pub name: String,
    pub status: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Network {
    #[serde(rename = "enableDNSHostnames")]
    pub enable_dns_hostnames: Option<bool>,
    pub subdomain: Option<String>,
    pub publish_not_ready_addresses: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SuccessPolicy {
    pub operator: String,
    #[serde(default)]
    pub target_replicated_jobs: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FailurePolicy {
    pub max_restarts: Option<i32>,
    pub restart_strategy: Option<String>,
    #[serde(default)]
    pub rules: Vec<FailurePolicyRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FailurePolicyRule {
    #[serde(default)]
    pub name: String,
    pub action: String,
    #[serde(default)]
    pub on_job_failure_reasons: Vec<String>,
    #[serde(default)]
    pub on_job_failure_message_patterns: Vec<String>,
    #[serde(default)]
    pub target_replicated_jobs: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartupPolicy {
    pub startup_policy_order: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Coordinator {
    pub replicated_job: String,
    #[serde(default)]
    pub job_index: i32,
    #[serde(default)]
    pub pod_index: i32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VolumeClaimPolicy {
    #[serde(default)]
    pub templates: Vec<PvcTemplate>,
    pub retention_policy: Option<RetentionPolicy>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PvcTemplate {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RetentionPolicy {
    pub when_deleted: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// batch/v1 Job (template)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobTemplateSpec {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: JobSpec,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobSpec {
    pub parallelism: Option<i32>,
    pub completions: Option<i32>,
    pub completion_mode: Option<String>,
    pub backoff_limit: Option<i32>,
    pub backoff_limit_per_index: Option<i32>,
    pub max_failed_indexes: Option<i32>,
    pub pod_failure_policy: Option<PodFailurePolicy>,
    pub active_deadline_seconds: Option<i64>,
    pub pod_replacement_policy: Option<String>,
    pub suspend: Option<bool>,
    pub ttl_seconds_after_finished: Option<i32>,
    #[serde(default)]
    pub template: PodTemplateSpec,
    #[serde(skip_serializing)]
    pub selector: Opaque,
    #[serde(skip_serializing)]
    pub manual_selector: Opaque,
    #[serde(skip_serializing)]
    pub success_policy: Opaque,
    #[serde(skip_serializing)]
    pub managed_by: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodFailurePolicy {
    #[serde(default)]
    pub rules: Vec<PodFailurePolicyRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodFailurePolicyRule {
    pub action: String,
    pub on_exit_codes: Option<OnExitCodes>,
    #[serde(default)]
    pub on_pod_conditions: Vec<OnPodCondition>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OnExitCodes {
    pub container_name: Option<String>,
    pub operator: String,
    #[serde(default)]
    pub values: Vec<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OnPodCondition {
    #[serde(rename = "type")]
    pub condition_type: String,
    pub status: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// v1 Pod (template)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodTemplateSpec {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodSpec {
    #[serde(default)]
    pub containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    pub restart_policy: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: StringMap,
    pub node_name: Option<String>,
    pub affinity: Option<Affinity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    pub priority: Option<i32>,
    pub priority_class_name: Option<String>,
    pub subdomain: Option<String>,
    pub hostname: Option<String>,
    pub termination_grace_period_seconds: Option<i64>,
    pub active_deadline_seconds: Option<i64>,
    pub scheduler_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduling_gates: Vec<SchedulingGate>,
    #[serde(skip_serializing)]
    pub volumes: Opaque,
    #[serde(skip_serializing)]
    pub service_account_name: Opaque,
    #[serde(skip_serializing)]
    pub service_account: Opaque,
    #[serde(skip_serializing)]
    pub automount_service_account_token: Opaque,
    #[serde(skip_serializing)]
    pub host_network: Opaque,
    #[serde(rename = "hostIPC", skip_serializing)]
    pub host_ipc: Opaque,
    #[serde(rename = "hostPID", skip_serializing)]
    pub host_pid: Opaque,
    #[serde(skip_serializing)]
    pub dns_policy: Opaque,
    #[serde(skip_serializing)]
    pub dns_config: Opaque,
    #[serde(skip_serializing)]
    pub security_context: Opaque,
    #[serde(skip_serializing)]
    pub image_pull_secrets: Opaque,
    #[serde(skip_serializing)]
    pub topology_spread_constraints: Opaque,
    #[serde(skip_serializing)]
    pub enable_service_links: Opaque,
    #[serde(skip_serializing)]
    pub share_process_namespace: Opaque,
    #[serde(skip_serializing)]
    pub runtime_class_name: Opaque,
    pub preemption_policy: Option<String>,
    #[serde(skip_serializing)]
    pub overhead: Opaque,
    #[serde(skip_serializing)]
    pub set_hostname_as_fqdn: Opaque,
    #[serde(skip_serializing)]
    pub readiness_gates: Opaque,
    #[serde(skip_serializing)]
    pub host_aliases: Opaque,
    #[serde(skip_serializing)]
    pub os: Opaque,
    #[serde(skip_serializing)]
    pub resources: Opaque,
    #[serde(skip_serializing)]
    pub resource_claims: Opaque,
    #[serde(skip_serializing)]
    pub scheduling_group: Opaque,
    #[serde(skip_serializing)]
    pub ephemeral_containers: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SchedulingGate {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub resources: ResourceRequirements,
    pub readiness_probe: Option<Probe>,
    pub startup_probe: Option<Probe>,
    /// Only meaningful on init containers: `Always` makes it a sidecar.
    pub restart_policy: Option<String>,
    #[serde(skip_serializing)]
    pub liveness_probe: Opaque,
    #[serde(skip_serializing)]
    pub image: Opaque,
    #[serde(skip_serializing)]
    pub image_pull_policy: Opaque,
    #[serde(skip_serializing)]
    pub command: Opaque,
    #[serde(skip_serializing)]
    pub args: Opaque,
    #[serde(skip_serializing)]
    pub env: Opaque,
    #[serde(skip_serializing)]
    pub env_from: Opaque,
    #[serde(skip_serializing)]
    pub ports: Opaque,
    #[serde(skip_serializing)]
    pub volume_mounts: Opaque,
    #[serde(skip_serializing)]
    pub volume_devices: Opaque,
    #[serde(skip_serializing)]
    pub security_context: Opaque,
    #[serde(skip_serializing)]
    pub working_dir: Opaque,
    #[serde(skip_serializing)]
    pub lifecycle: Opaque,
    #[serde(skip_serializing)]
    pub stdin: Opaque,
    #[serde(skip_serializing)]
    pub stdin_once: Opaque,
    #[serde(skip_serializing)]
    pub tty: Opaque,
    #[serde(skip_serializing)]
    pub termination_message_path: Opaque,
    #[serde(skip_serializing)]
    pub termination_message_policy: Opaque,
    #[serde(skip_serializing)]
    pub resize_policy: Opaque,
    #[serde(skip_serializing)]
    pub restart_policy_rules: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", from = "WrittenResources")]
pub(crate) struct ResourceRequirements {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, super::quantity::Quantity>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, super::quantity::Quantity>,
    #[serde(skip_serializing)]
    pub claims: Opaque,
    /// Each request's and limit's text as the manifest writes it, by `requests.<name>` or
    /// `limits.<name>` ([`ResourceRequirements::written`]).
    #[serde(skip)]
    written: BTreeMap<String, String>,
}

impl ResourceRequirements {
    /// The text of `kind`'s (`requests` or `limits`) quantity of `name` as the manifest writes
    /// it, for messages that quote it; `None` for a quantity that was not read from text.
    pub(crate) fn written(&self, kind: &str, name: &str) -> Option<&str> {
        self.written
            .get(&format!("{kind}.{name}"))
            .map(String::as_str)
    }
}

/// Equal resources whatever their spelling (`1` and `1000m`).
impl PartialEq for ResourceRequirements {
    fn eq(&self, other: &Self) -> bool {
        self.requests == other.requests
            && self.limits == other.limits
            && self.claims == other.claims
    }
}

/// [`ResourceRequirements`] as read, before the texts are set aside.
#[derive(Deserialize)]
struct WrittenResources {
    #[serde(default)]
    requests: BTreeMap<String, super::quantity::WrittenQuantity>,
    #[serde(default)]
    limits: BTreeMap<String, super::quantity::WrittenQuantity>,
    #[serde(default)]
    claims: Opaque,
}

impl From<WrittenResources> for ResourceRequirements {
    fn from(w: WrittenResources) -> Self {
        let mut written = BTreeMap::new();
        let mut split = |kind: &str, map: BTreeMap<String, super::quantity::WrittenQuantity>| {
            map.into_iter()
                .map(|(name, q)| {
                    written.insert(format!("{kind}.{name}"), q.text);
                    (name, q.quantity)
                })
                .collect()
        };
        let requests = split("requests", w.requests);
        let limits = split("limits", w.limits);
        ResourceRequirements {
            requests,
            limits,
            claims: w.claims,
            written,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe {
    pub initial_delay_seconds: Option<i32>,
    pub period_seconds: Option<i32>,
    pub failure_threshold: Option<i32>,
    pub success_threshold: Option<i32>,
    pub timeout_seconds: Option<i32>,
    #[serde(skip_serializing)]
    pub exec: Opaque,
    #[serde(skip_serializing)]
    pub http_get: Opaque,
    #[serde(skip_serializing)]
    pub tcp_socket: Opaque,
    #[serde(skip_serializing)]
    pub grpc: Opaque,
    #[serde(skip_serializing)]
    pub termination_grace_period_seconds: Opaque,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Affinity {
    pub node_affinity: Option<NodeAffinity>,
    pub pod_affinity: Option<PodAffinity>,
    pub pod_anti_affinity: Option<PodAffinity>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeAffinity {
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelector {
    #[serde(default)]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelectorTerm {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreferredSchedulingTerm {
    pub weight: i32,
    pub preference: NodeSelectorTerm,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodAffinity {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WeightedPodAffinityTerm {
    pub weight: i32,
    pub pod_affinity_term: PodAffinityTerm,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodAffinityTerm {
    pub label_selector: Option<LabelSelector>,
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    pub topology_key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_label_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatch_label_keys: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: StringMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

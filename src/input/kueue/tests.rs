//! Tests of the Kueue objects: loading real objects unmodified, every validation error with its
//! message, file, line and field path, the v1beta1 renames, the defaults, and the notes.

use super::*;
use crate::error::{InputError, SimError};
use crate::scenario::{NoteLevel, Scenario};
use crate::tests::common::{scratch, upstream_examples, write};

/// A scenario that runs one small JobSet; tests append a `kueue:` section.
const BASE: &str = "name: k
cluster:
  nodePools:
  - {name: p, nodesPerPool: 1, capacity: {cpu: 8}}
workloads:
- jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: js}
    spec:
      replicatedJobs:
      - name: w
        template: {spec: {template: {spec: {containers: [{name: c}]}}}}
";

/// Loads a scenario whose `kueue.files` is one file holding `objects`; returns the kueue
/// file's path as errors name it, and the result.
fn load_file(test: &str, objects: &str) -> (String, Result<Scenario, Vec<InputError>>) {
    let dir = scratch(&format!("kueue_{test}"));
    let k = write(&dir, "k.yaml", objects);
    let s = write(
        &dir,
        "s.yaml",
        &format!("{BASE}kueue:\n  files: [k.yaml]\n"),
    );
    let result = crate::scenario::load_scenario(&s).map_err(|e| match e {
        SimError::Input(list) => list,
        other => panic!("{other}"),
    });
    (k.display().to_string(), result)
}

fn setup(test: &str, objects: &str) -> KueueSetup {
    let (_, r) = load_file(test, objects);
    match r {
        Ok(s) => s.kueue.expect("a kueue section"),
        Err(e) => panic!("{e:#?}"),
    }
}

/// The only error of a file of objects; checked to be in that file.
fn the_error(test: &str, objects: &str) -> InputError {
    let (file, r) = load_file(test, objects);
    let errors = r.err().unwrap_or_else(|| panic!("{test}: no error"));
    assert_eq!(errors.len(), 1, "{test}: {errors:#?}");
    assert_eq!(errors[0].file, file, "{test}");
    errors[0].clone()
}

/// 1-based line of the first line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the text"))
        + 1
}

/// Asserts an error's path, line (that of `marker` in `text`) and message.
fn check(e: &InputError, text: &str, marker: &str, path: &str, message: &str) {
    assert_eq!(e.path.as_deref(), Some(path), "{e}");
    assert_eq!(e.line, Some(line_of(text, marker)), "{e}");
    assert_eq!(e.message, message, "{e}");
}

const CQ_HEAD: &str = "apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: cq}
spec:
";

fn cq(spec: &str) -> String {
    format!("{CQ_HEAD}{spec}")
}

// ---- Real objects --------------------------------------------------------------------------

#[test]
fn the_tpu_multislice_kueue_config_loads_unmodified() {
    let Some(root) = upstream_examples("the_tpu_multislice_kueue_config_loads_unmodified") else {
        return;
    };
    let path = root.join("tpu-multislice/kueue-config.yaml");
    let dir = scratch("kueue_tpu_multislice");
    let s = write(
        &dir,
        "s.yaml",
        &format!("{BASE}kueue:\n  files: [{}]\n", path.display()),
    );
    let scenario = crate::scenario::load_scenario(&s).expect("loads");
    assert_eq!(scenario.notes, vec![], "nothing to say about it");
    let k = scenario.kueue.expect("kueue");
    assert_eq!(k.flavors.len(), 1);
    let f = &k.flavors[0];
    assert_eq!(f.name, "v6e-4x4");
    assert_eq!(f.node_labels["cloud.google.com/gke-tpu-topology"], "4x4");
    assert_eq!(
        f.node_labels["cloud.google.com/gke-tpu-accelerator"],
        "tpu-v6e-slice"
    );
    let cq = &k.cluster_queues[0];
    assert_eq!(cq.name, "multislice-cluster-queue");
    assert_eq!(cq.namespace_selector, Some(LabelSelector::default()));
    assert_eq!(cq.queueing_strategy, QueueingStrategy::BestEffortFifo);
    assert_eq!(cq.cohort, None);
    let rg = &cq.resource_groups[0];
    assert_eq!(rg.covered_resources, vec!["google.com/tpu"]);
    assert_eq!(rg.flavors[0].name, "v6e-4x4");
    assert_eq!(
        rg.flavors[0].resources,
        vec![ResourceQuota {
            name: "google.com/tpu".into(),
            nominal: Quantity::from_units(32),
            borrowing_limit: None,
            lending_limit: None,
        }]
    );
    assert_eq!(
        k.local_queues,
        vec![LocalQueue {
            namespace: "default".into(),
            name: "multislice-queue".into(),
            cluster_queue: "multislice-cluster-queue".into(),
            stop_policy: StopPolicy::None,
            fair_sharing_weight_milli: 1000,
        }]
    );
    assert_eq!(k.config, KueueConfig::default());
}

#[test]
fn metadata_and_status_of_a_live_object_are_accepted_silently() {
    let text = "apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata:
  name: cq
  uid: 4b1e6f7a-1
  resourceVersion: \"123\"
  generation: 2
  labels: {team: a}
  annotations: {note: x}
  finalizers: [kueue.x-k8s.io/resource-in-use]
  managedFields: [{manager: kubectl, operation: Apply}]
  creationTimestamp: \"2026-01-01T00:00:00Z\"
spec:
  namespaceSelector: {}
  resourceGroups:
  - coveredResources: [cpu]
    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4}]}]
status:
  pendingWorkloads: 3
  conditions: [{type: Active, status: \"True\", reason: Ready}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: f}
";
    let (_, r) = load_file("live_object", text);
    let s = r.expect("valid");
    assert_eq!(s.notes, vec![]);
    assert_eq!(s.kueue.unwrap().cluster_queues[0].name, "cq");
}

// ---- Defaults and v1beta1 ------------------------------------------------------------------

#[test]
fn defaults_are_applied() {
    let k = setup(
        "defaults",
        "apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: cq}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: lq}
spec: {clusterQueue: cq}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: co}
",
    );
    let cq = &k.cluster_queues[0];
    assert_eq!(cq.queueing_strategy, QueueingStrategy::BestEffortFifo);
    assert_eq!(cq.namespace_selector, None, "nil: no namespace eligible");
    assert_eq!(cq.preemption, PreemptionPolicy::default());
    assert_eq!(
        cq.preemption.reclaim_within_cohort,
        ReclaimWithinCohort::Never
    );
    assert_eq!(
        cq.flavor_fungibility,
        FlavorFungibility {
            when_can_borrow: FungibilityAction::MayStopSearch,
            when_can_preempt: FungibilityAction::TryNextFlavor,
            preference: FungibilityPreference::BorrowingOverPreemption,
        }
    );
    assert_eq!(cq.fair_sharing_weight_milli, 1000);
    assert_eq!(cq.stop_policy, StopPolicy::None);
    assert_eq!(k.local_queues[0].namespace, "default");
    assert_eq!(k.cohorts[0].fair_sharing_weight_milli, 1000);
    assert_eq!(k.cohorts[0].parent, None);
    let w = k
        .config
        .wait_for_pods_ready
        .expect("on by default in v1beta2");
    assert_eq!(w.timeout_ns, 1_800 * crate::engine::time::NS_PER_S);
    assert_eq!(w.recovery_timeout_ns, Some(w.timeout_ns));
    assert!(!w.block_admission && w.requeuing_timestamp_eviction);
    assert_eq!((w.backoff_base_s, w.backoff_max_s), (60, 3600));
    assert_eq!(w.backoff_limit_count, None);
    assert!(!k.config.fair_sharing);
    assert_eq!(
        k.config.quota_check_strategy,
        QuotaCheckStrategy::BlockUndeclared
    );
    assert!(!k.config.manage_jobs_without_queue_name);
}

const EVERY_FIELD: &str = "apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: cq}
spec:
  cohortName: team
  queueingStrategy: StrictFIFO
  namespaceSelector: {matchLabels: {team: a}}
  stopPolicy: Hold
  fairSharing: {weight: 1500m}
  preemption:
    withinClusterQueue: LowerOrNewerEqualPriority
    reclaimWithinCohort: Any
    borrowWithinCohort: {policy: LowerPriority, maxPriorityThreshold: 10}
  flavorFungibility: {whenCanBorrow: TryNextFlavor, whenCanPreempt: TryNextFlavor, preference: PreemptionOverBorrowing}
  resourceGroups:
  - coveredResources: [cpu, memory]
    flavors:
    - name: f
      resources:
      - {name: cpu, nominalQuota: 8, borrowingLimit: 2, lendingLimit: 500m}
      - {name: memory, nominalQuota: 32Gi}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: f}
spec:
  nodeLabels: {pool: a}
  nodeTaints: [{key: gpu, value: present, effect: NoSchedule}]
  tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]
  topologyName: t
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Topology
metadata: {name: t}
spec:
  levels: [{nodeLabel: cloud.google.com/gke-nodepool}, {nodeLabel: kubernetes.io/hostname}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: WorkloadPriorityClass
metadata: {name: high}
value: 1000
description: production
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: team}
spec:
  parentName: org
  fairSharing: {weight: 2}
  resourceGroups:
  - coveredResources: [cpu]
    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4, borrowingLimit: 1, lendingLimit: 9}]}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: lq, namespace: team-a}
spec: {clusterQueue: cq, stopPolicy: HoldAndDrain}
";

#[test]
fn every_field_is_read() {
    let k = setup("every_field", EVERY_FIELD);
    let cq = &k.cluster_queues[0];
    assert_eq!(cq.cohort.as_deref(), Some("team"));
    assert_eq!(cq.queueing_strategy, QueueingStrategy::StrictFifo);
    assert_eq!(
        cq.namespace_selector.as_ref().unwrap().match_labels["team"],
        "a"
    );
    assert_eq!(cq.stop_policy, StopPolicy::Hold);
    assert_eq!(cq.fair_sharing_weight_milli, 1500);
    assert_eq!(
        cq.preemption,
        PreemptionPolicy {
            within_cluster_queue: WithinClusterQueue::LowerOrNewerEqualPriority,
            reclaim_within_cohort: ReclaimWithinCohort::Any,
            borrow_within_cohort: BorrowWithinCohort {
                policy: BorrowWithinCohortPolicy::LowerPriority,
                max_priority_threshold: Some(10),
            },
        }
    );
    assert_eq!(
        cq.flavor_fungibility.preference,
        FungibilityPreference::PreemptionOverBorrowing
    );
    let r = &cq.resource_groups[0].flavors[0].resources;
    assert_eq!(r[0].borrowing_limit, Some(Quantity::from_units(2)));
    assert_eq!(r[0].lending_limit, Some(Quantity { milli: 500 }));
    assert_eq!(r[1].nominal, Quantity::parse("32Gi").unwrap());
    let f = &k.flavors[0];
    assert_eq!(
        f.node_taints[0].effect,
        crate::api::taint::TaintEffect::NoSchedule
    );
    assert_eq!(f.tolerations[0].key.as_deref(), Some("spot"));
    assert_eq!(f.topology_name.as_deref(), Some("t"));
    assert_eq!(
        k.topologies[0].levels,
        vec!["cloud.google.com/gke-nodepool", "kubernetes.io/hostname"]
    );
    assert_eq!(
        k.priority_classes,
        vec![WorkloadPriorityClass {
            name: "high".into(),
            value: 1000
        }]
    );
    let co = &k.cohorts[0];
    assert_eq!(co.parent.as_deref(), Some("org"));
    assert_eq!(co.fair_sharing_weight_milli, 2000);
    // A cohort's lendingLimit may exceed its nominal quota (the webhook checks it for CQs only).
    assert_eq!(
        co.resource_groups[0].flavors[0].resources[0].lending_limit,
        Some(Quantity::from_units(9))
    );
    assert_eq!(k.local_queues[0].namespace, "team-a");
    assert_eq!(k.local_queues[0].stop_policy, StopPolicy::HoldAndDrain);
}

#[test]
fn v1beta1_names_are_converted() {
    let k = setup(
        "v1beta1",
        "apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata: {name: cq}
spec:
  cohort: team
  admissionChecks: [prov]
  flavorFungibility: {whenCanBorrow: Borrow, whenCanPreempt: Preempt}
  resourceGroups:
  - coveredResources: [cpu]
    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4, borrowingLimit: 2}]}]
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata: {name: f}
",
    );
    let cq = &k.cluster_queues[0];
    assert_eq!(cq.cohort.as_deref(), Some("team"));
    assert_eq!(
        cq.flavor_fungibility.when_can_borrow,
        FungibilityAction::MayStopSearch
    );
    assert_eq!(
        cq.flavor_fungibility.when_can_preempt,
        FungibilityAction::MayStopSearch
    );
    assert_eq!(cq.admission_checks, vec![("prov".to_string(), vec![])]);
}

#[test]
fn each_version_has_only_its_own_names() {
    let text = cq("  cohort: team\n");
    let e = the_error("v1beta2_cohort", &text);
    check(
        &e,
        &text,
        "cohort: team",
        "spec.cohort",
        "unknown field \"cohort\": neither Kubernetes nor Kueue defines it in a ClusterQueueSpec",
    );
    let text = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {name: cq}\nspec:\n  cohortName: team\n";
    let e = the_error("v1beta1_cohort_name", text);
    check(
        &e,
        text,
        "cohortName",
        "spec.cohortName",
        "unknown field \"cohortName\": neither Kubernetes nor Kueue defines it in a ClusterQueueSpec",
    );
    let text = cq("  flavorFungibility: {whenCanBorrow: Borrow}\n");
    let e = the_error("v1beta2_borrow", &text);
    check(
        &e,
        &text,
        "whenCanBorrow",
        "spec.flavorFungibility.whenCanBorrow",
        "ClusterQueue \"cq\" is invalid: Unsupported value: \"Borrow\": supported values: \"MayStopSearch\", \"TryNextFlavor\"",
    );
}

// ---- Configuration -------------------------------------------------------------------------

#[test]
fn the_configuration_knobs_are_read() {
    let k = setup(
        "config",
        "apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
manageJobsWithoutQueueName: true
waitForPodsReady:
  timeout: 10m
  blockAdmission: true
  requeuingStrategy: {timestamp: Creation, backoffLimitCount: 5, backoffBaseSeconds: 10, backoffMaxSeconds: 600}
fairSharing: {preemptionStrategies: [LessThanInitialShare]}
resources: {quotaCheckStrategy: IgnoreUndeclared}
",
    );
    let c = &k.config;
    let w = c.wait_for_pods_ready.unwrap();
    assert_eq!(w.timeout_ns, 600 * crate::engine::time::NS_PER_S);
    assert_eq!(
        w.recovery_timeout_ns,
        Some(w.timeout_ns),
        "defaults to the timeout"
    );
    assert!(w.block_admission);
    assert!(!w.requeuing_timestamp_eviction);
    assert_eq!((w.backoff_base_s, w.backoff_max_s), (10, 600));
    assert_eq!(w.backoff_limit_count, Some(5));
    assert!(c.fair_sharing);
    assert_eq!(
        c.fair_sharing_strategies,
        vec![FairSharingStrategy::LessThanInitialShare]
    );
    assert_eq!(c.quota_check_strategy, QuotaCheckStrategy::IgnoreUndeclared);
    assert!(c.manage_jobs_without_queue_name);
}

#[test]
fn wait_for_pods_ready_turns_off_only_by_its_gate_and_recovery_by_zero() {
    let k = setup(
        "config_gate",
        "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nfeatureGates: {DisableWaitForPodsReady: true}\n",
    );
    assert_eq!(k.config.wait_for_pods_ready, None);
    let k = setup(
        "config_recovery",
        "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nwaitForPodsReady: {timeout: 5m, recoveryTimeout: 0s}\n",
    );
    assert_eq!(
        k.config.wait_for_pods_ready.unwrap().recovery_timeout_ns,
        None
    );
}

#[test]
fn inline_configuration_and_its_errors_are_located_in_the_scenario() {
    let dir = scratch("kueue_inline_config");
    let text = format!(
        "{BASE}kueue:\n  configuration:\n    fairSharing: {{}}\n    resources: {{quotaCheckStrategy: Sometimes}}\n    waitForPodsReady: {{timout: 5m}}\n"
    );
    let s = write(&dir, "s.yaml", &text);
    let Err(SimError::Input(errors)) = crate::scenario::load_scenario(&s) else {
        panic!("expected errors")
    };
    let shown = s.display().to_string();
    let got: Vec<(String, Option<usize>, String)> = errors
        .iter()
        .map(|e| {
            assert_eq!(e.file, shown);
            (e.path.clone().unwrap(), e.line, e.message.clone())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "kueue.configuration.waitForPodsReady.timout".into(),
                Some(line_of(&text, "timout")),
                "unknown field \"timout\": neither Kubernetes nor Kueue defines it in a WaitForPodsReady; did you mean \"timeout\"?".into()
            ),
            (
                "kueue.configuration.fairSharing.preemptionStrategies".into(),
                Some(line_of(&text, "fairSharing")),
                "the Kueue Configuration is invalid: Required value: must be specified".into()
            ),
            (
                "kueue.configuration.resources.quotaCheckStrategy".into(),
                Some(line_of(&text, "Sometimes")),
                "the Kueue Configuration is invalid: Unsupported value: \"Sometimes\": supported values: \"IgnoreUndeclared\", \"BlockUndeclared\"".into()
            ),
        ]
    );
}

#[test]
fn one_configuration_per_scenario() {
    let dir = scratch("kueue_two_configs");
    write(
        &dir,
        "k.yaml",
        "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\n",
    );
    let text = format!("{BASE}kueue:\n  files: [k.yaml]\n  configuration: {{}}\n");
    let s = write(&dir, "s.yaml", &text);
    let Err(SimError::Input(errors)) = crate::scenario::load_scenario(&s) else {
        panic!("expected an error")
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path.as_deref(), Some("kueue.configuration"));
    assert!(
        errors[0]
            .message
            .starts_with("a second Kueue Configuration: the first is "),
        "{}",
        errors[0].message
    );
}

#[test]
fn known_configuration_keys_are_notices_unknown_ones_errors() {
    let (_, r) = load_file(
        "config_notices",
        "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nintegrations: {frameworks: [batch/job], labelKeysToCopy: [team]}\nfeatureGates: {TASBalancedPlacement: true}\nclientConnection: {qps: 50}\n",
    );
    let s = r.expect("valid");
    let notes: Vec<(NoteLevel, String)> = s
        .notes
        .iter()
        .map(|n| (n.level, n.at.path.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                NoteLevel::Notice,
                "integrations.labelKeysToCopy".to_string()
            ),
            (NoteLevel::Notice, "clientConnection".to_string()),
            (
                NoteLevel::Notice,
                "featureGates.TASBalancedPlacement".to_string()
            ),
            (NoteLevel::Warning, "integrations.frameworks".to_string()),
        ]
    );
    assert_eq!(s.notes[3].at.message, "jobset.x-k8s.io/jobset is not among the integrations (batch/job): Kueue would manage no JobSet; jobset-sim simulates the JobSet integration enabled");
    let text =
        "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nwaitForPodReady: {}\n";
    let e = the_error("config_unknown", text);
    check(&e, text, "waitForPodReady", "waitForPodReady", "unknown field \"waitForPodReady\": neither Kubernetes nor Kueue defines it in a Configuration; did you mean \"waitForPodsReady\"?");
}

// ---- Documents -----------------------------------------------------------------------------

#[test]
fn a_document_of_another_kind_names_the_file_and_document() {
    let text = "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: f}\n---\napiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: js}\n";
    let e = the_error("other_kind", text);
    assert_eq!(e.line, Some(6));
    assert!(
        e.message.starts_with("document 2: a JobSet (jobset.x-k8s.io/v1alpha2) is not a Kueue object: expected apiVersion kueue.x-k8s.io/v1beta2 (or v1beta1) with kind ResourceFlavor, ClusterQueue, LocalQueue, Cohort, WorkloadPriorityClass, Topology"),
        "{}",
        e.message
    );
}

#[test]
fn admission_check_objects_load_in_both_versions_parameters_a_notice() {
    let text = "apiVersion: kueue.x-k8s.io/v1beta2\nkind: AdmissionCheck\nmetadata: {name: prov}\nspec:\n  controllerName: kueue.x-k8s.io/provisioning-request\n  parameters: {apiGroup: kueue.x-k8s.io, kind: ProvisioningRequestConfig, name: cfg}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: AdmissionCheck\nmetadata: {name: old}\nspec: {controllerName: example.com/check}\n";
    let (_, r) = load_file("admission_check", text);
    let s = r.expect("valid");
    let k = s.kueue.expect("a kueue section");
    assert_eq!(
        k.admission_checks,
        vec![
            AdmissionCheck {
                name: "prov".into(),
                controller_name: "kueue.x-k8s.io/provisioning-request".into()
            },
            AdmissionCheck {
                name: "old".into(),
                controller_name: "example.com/check".into()
            },
        ]
    );
    let notes: Vec<(String, Option<usize>)> = (s.notes.iter())
        .map(|n| (n.at.path.clone().unwrap_or_default(), n.at.line))
        .collect();
    assert_eq!(notes, vec![("spec.parameters".to_string(), Some(6))]);
}

#[test]
fn an_admission_check_without_controller_name_is_refused() {
    let e = the_error(
        "admission_check_no_controller",
        "apiVersion: kueue.x-k8s.io/v1beta2\nkind: AdmissionCheck\nmetadata: {name: prov}\nspec: {}\n",
    );
    assert_eq!(e.path.as_deref(), Some("spec.controllerName"));
    assert!(e.message.contains("Required value"), "{}", e.message);
}

#[test]
fn unmodelled_spec_fields_are_notices_with_their_line() {
    let text = cq("  concurrentAdmissionPolicy: {migration: {mode: Background}}\n  admissionChecksStrategy:\n    admissionChecks: [{name: prov}]\n");
    let (file, r) = load_file("unmodelled", &text);
    let s = r.expect("valid");
    let got: Vec<(NoteLevel, String, Option<usize>)> = s
        .notes
        .iter()
        .map(|n| {
            assert_eq!(n.at.file, file);
            (n.level, n.at.path.clone().unwrap(), n.at.line)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                NoteLevel::Notice,
                "spec.concurrentAdmissionPolicy".to_string(),
                Some(line_of(&text, "concurrentAdmissionPolicy"))
            ),
            (
                NoteLevel::Notice,
                "spec.admissionChecksStrategy".to_string(),
                Some(line_of(&text, "admissionChecksStrategy"))
            ),
        ]
    );
    assert_eq!(
        s.notes[0].at.message,
        "Kueue field not modelled by jobset-sim; ignored"
    );
}

#[test]
fn a_typo_is_an_error_with_its_line_and_the_nearest_name() {
    let text = cq("  resourceGroups:\n  - coveredResources: [cpu]\n    flavors:\n    - name: f\n      resources: [{name: cpu, nominalQuota: 4, borowingLimit: 1}]\n");
    let e = the_error("typo", &text);
    check(
        &e,
        &text,
        "borowingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].borowingLimit",
        "unknown field \"borowingLimit\": neither Kubernetes nor Kueue defines it in a ResourceQuota; did you mean \"borrowingLimit\"?",
    );
}

#[test]
fn a_type_error_has_its_line_and_path() {
    let text = cq("  resourceGroups:\n  - coveredResources: [cpu]\n    flavors:\n    - name: f\n      resources: [{name: cpu, nominalQuota: lots}]\n");
    let e = the_error("type_error", &text);
    assert_eq!(
        e.path.as_deref(),
        Some("spec.resourceGroups[0].flavors[0].resources[0].nominalQuota")
    );
    assert_eq!(e.line, Some(line_of(&text, "lots")));
    assert!(
        e.message.contains("invalid quantity \"lots\""),
        "{}",
        e.message
    );
}

#[test]
fn inline_objects_are_located_in_the_scenario_file() {
    let dir = scratch("kueue_inline");
    let text = format!(
        "{BASE}kueue:\n  objects:\n  - apiVersion: kueue.x-k8s.io/v1beta2\n    kind: ClusterQueue\n    metadata: {{name: cq}}\n    spec:\n      queueingStrategy: FIFO\n"
    );
    let s = write(&dir, "s.yaml", &text);
    let Err(SimError::Input(errors)) = crate::scenario::load_scenario(&s) else {
        panic!("expected an error")
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(e.file, s.display().to_string());
    check(
        e,
        &text,
        "FIFO",
        "kueue.objects[0].spec.queueingStrategy",
        "ClusterQueue \"cq\" is invalid: Unsupported value: \"FIFO\": supported values: \"StrictFIFO\", \"BestEffortFIFO\"",
    );
}

#[test]
fn a_missing_kueue_file_is_an_error_at_its_entry() {
    let dir = scratch("kueue_missing_file");
    let text = format!("{BASE}kueue:\n  files: [nothere.yaml]\n");
    let s = write(&dir, "s.yaml", &text);
    let Err(SimError::Input(errors)) = crate::scenario::load_scenario(&s) else {
        panic!("expected an error")
    };
    assert_eq!(errors[0].path.as_deref(), Some("kueue.files[0]"));
    assert_eq!(errors[0].line, Some(line_of(&text, "nothere")));
}

// ---- ClusterQueue validation ---------------------------------------------------------------

const ONE_GROUP: &str = "  resourceGroups:\n  - coveredResources: [cpu]\n    flavors:\n    - name: f\n      resources:\n      - name: cpu\n        nominalQuota: 4\n";

#[test]
fn flavors_must_list_every_covered_resource() {
    let text = cq("  resourceGroups:\n  - coveredResources: [cpu, memory]\n    flavors:\n    - name: f\n      resources: [{name: cpu, nominalQuota: 4}]\n");
    let e = the_error("same_number", &text);
    check(
        &e,
        &text,
        "resources: [{name: cpu",
        "spec.resourceGroups[0].flavors[0].resources",
        "ClusterQueue \"cq\" is invalid: spec.resourceGroups[0]: Invalid value: \"object\": flavors must have the same number of resources as the coveredResources",
    );
}

#[test]
fn a_resource_or_flavor_in_two_groups_is_a_duplicate() {
    let text = cq("  resourceGroups:\n  - coveredResources: [cpu]\n    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4}]}]\n  - coveredResources: [cpu]\n    flavors: [{name: g, resources: [{name: cpu, nominalQuota: 4}]}]\n");
    let e = the_error("dup_resource", &text);
    assert_eq!(
        e.path.as_deref(),
        Some("spec.resourceGroups[1].coveredResources[0]")
    );
    assert_eq!(e.line, Some(8));
    assert_eq!(
        e.message,
        "ClusterQueue \"cq\" is invalid: Duplicate value: \"cpu\""
    );
    let text = cq("  resourceGroups:\n  - coveredResources: [cpu]\n    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4}]}]\n  - coveredResources: [memory]\n    flavors: [{name: f, resources: [{name: memory, nominalQuota: 4}]}]\n");
    let e = the_error("dup_flavor", &text);
    check(
        &e,
        &text,
        "name: memory",
        "spec.resourceGroups[1].flavors[0].name",
        "ClusterQueue \"cq\" is invalid: Duplicate value: \"f\"",
    );
}

#[test]
fn resources_follow_the_covered_order() {
    let text = cq("  resourceGroups:\n  - coveredResources: [cpu, memory]\n    flavors:\n    - name: f\n      resources:\n      - {name: memory, nominalQuota: 4}\n      - {name: cpu, nominalQuota: 4}\n");
    let (file, r) = load_file("order", &text);
    let errors = r.err().unwrap();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].file, file);
    check(
        &errors[0],
        &text,
        "{name: memory",
        "spec.resourceGroups[0].flavors[0].resources[0].name",
        "ClusterQueue \"cq\" is invalid: Invalid value: \"memory\": must match the name in coveredResources",
    );
}

#[test]
fn borrowing_limit_needs_a_cohort() {
    let text = cq(&ONE_GROUP.replace(
        "nominalQuota: 4\n",
        "nominalQuota: 4\n        borrowingLimit: 2\n",
    ));
    let e = the_error("borrowing_no_cohort", &text);
    check(
        &e,
        &text,
        "borrowingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].borrowingLimit",
        "ClusterQueue \"cq\" is invalid: spec: Invalid value: \"object\": borrowingLimit must be nil when cohort is empty",
    );
}

#[test]
fn lending_limit_needs_a_cohort_and_at_most_the_nominal_quota() {
    let text = cq(&ONE_GROUP.replace(
        "nominalQuota: 4\n",
        "nominalQuota: 4\n        lendingLimit: 2\n",
    ));
    let e = the_error("lending_no_cohort", &text);
    check(
        &e,
        &text,
        "lendingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].lendingLimit",
        "ClusterQueue \"cq\" is invalid: Invalid value: \"2\": must be nil when cohort is empty",
    );
    let text = cq(&format!(
        "  cohortName: team\n{}",
        ONE_GROUP.replace(
            "nominalQuota: 4\n",
            "nominalQuota: 4\n        lendingLimit: 5\n"
        )
    ));
    let e = the_error("lending_over_nominal", &text);
    check(
        &e,
        &text,
        "lendingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].lendingLimit",
        "ClusterQueue \"cq\" is invalid: Invalid value: \"5\": must be less than or equal to the nominalQuota",
    );
    // The quantity is quoted as written: it used to be echoed as "1073741824".
    let text = cq(&format!(
        "  cohortName: team\n{}",
        ONE_GROUP.replace(
            "nominalQuota: 4\n",
            "nominalQuota: 4\n        lendingLimit: 1Gi\n"
        )
    ));
    let e = the_error("lending_as_written", &text);
    check(
        &e,
        &text,
        "lendingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].lendingLimit",
        "ClusterQueue \"cq\" is invalid: Invalid value: \"1Gi\": must be less than or equal to the nominalQuota",
    );
}

#[test]
fn quotas_must_not_be_negative() {
    let text = cq(&ONE_GROUP.replace("nominalQuota: 4", "nominalQuota: -1"));
    let e = the_error("negative", &text);
    check(
        &e,
        &text,
        "nominalQuota",
        "spec.resourceGroups[0].flavors[0].resources[0].nominalQuota",
        "ClusterQueue \"cq\" is invalid: Invalid value: \"-1\": must be greater than or equal to 0",
    );
    let text = cq(&format!(
        "  cohortName: team\n{}",
        ONE_GROUP.replace(
            "nominalQuota: 4\n",
            "nominalQuota: 4\n        borrowingLimit: -500m\n"
        )
    ));
    let e = the_error("negative_borrowing", &text);
    check(
        &e,
        &text,
        "borrowingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].borrowingLimit",
        "ClusterQueue \"cq\" is invalid: Invalid value: \"-500m\": must be greater than or equal to 0",
    );
}

#[test]
fn reclaim_never_forbids_borrow_within_cohort() {
    let text = cq(
        "  cohortName: team\n  preemption:\n    borrowWithinCohort:\n      policy: LowerPriority\n",
    );
    let e = the_error("reclaim_borrow", &text);
    check(
        &e,
        &text,
        "policy: LowerPriority",
        "spec.preemption.borrowWithinCohort.policy",
        "ClusterQueue \"cq\" is invalid: spec.preemption: Invalid value: \"object\": reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never",
    );
}

#[test]
fn preference_needs_both_try_next_flavor() {
    // whenCanPreempt defaults to TryNextFlavor, whenCanBorrow to MayStopSearch.
    let text = cq("  flavorFungibility:\n    whenCanPreempt: TryNextFlavor\n    preference: PreemptionOverBorrowing\n");
    let e = the_error("preference", &text);
    check(
        &e,
        &text,
        "preference",
        "spec.flavorFungibility.preference",
        "ClusterQueue \"cq\" is invalid: spec.flavorFungibility: Invalid value: \"object\": preference can only be set when both whenCanBorrow and whenCanPreempt are TryNextFlavor",
    );
}

fn group(i: usize, resources: usize, flavors: usize) -> String {
    let names: Vec<String> = (0..resources).map(|r| format!("r{i}x{r}")).collect();
    let quotas: Vec<String> = names
        .iter()
        .map(|n| format!("{{name: {n}, nominalQuota: 1}}"))
        .collect();
    let flavor_list: Vec<String> = (0..flavors)
        .map(|f| format!("{{name: f{i}x{f}, resources: [{}]}}", quotas.join(", ")))
        .collect();
    format!(
        "  - coveredResources: [{}]\n    flavors: [{}]\n",
        names.join(", "),
        flavor_list.join(", ")
    )
}

#[test]
fn list_limits() {
    let groups: String = (0..17).map(|i| group(i, 1, 1)).collect();
    let text = cq(&format!("  resourceGroups:\n{groups}"));
    let e = the_error("groups_16", &text);
    check(
        &e,
        &text,
        "resourceGroups",
        "spec.resourceGroups",
        "ClusterQueue \"cq\" is invalid: Too many: 17: must have at most 16 items",
    );
    let text = cq(&format!("  resourceGroups:\n{}", group(0, 1, 65)));
    let e = the_error("flavors_64", &text);
    check(
        &e,
        &text,
        "flavors: [",
        "spec.resourceGroups[0].flavors",
        "ClusterQueue \"cq\" is invalid: Too many: 65: must have at most 64 items",
    );
    let text = cq(&format!("  resourceGroups:\n{}", group(0, 65, 1)));
    let (file, r) = load_file("resources_64", &text);
    let errors = r.err().unwrap();
    let messages: Vec<(String, Option<usize>, String)> = errors
        .iter()
        .map(|e| {
            assert_eq!(e.file, file);
            (e.path.clone().unwrap(), e.line, e.message.clone())
        })
        .collect();
    assert_eq!(
        messages,
        vec![
            (
                "spec.resourceGroups[0].coveredResources".into(),
                Some(6),
                "ClusterQueue \"cq\" is invalid: Too many: 65: must have at most 64 items".into()
            ),
            (
                "spec.resourceGroups[0].flavors[0].resources".into(),
                Some(7),
                "ClusterQueue \"cq\" is invalid: Too many: 65: must have at most 64 items".into()
            ),
        ]
    );
    let text = cq("  resourceGroups:\n  - coveredResources: []\n    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 1}]}]\n");
    let e = the_error("covered_min", &text);
    check(
        &e,
        &text,
        "coveredResources",
        "spec.resourceGroups[0].coveredResources",
        "ClusterQueue \"cq\" is invalid: Invalid value: 0: spec.resourceGroups[0].coveredResources in body should have at least 1 items",
    );
}

#[test]
fn names_are_unique_per_kind() {
    let text = format!(
        "{}---\n{}",
        cq("  stopPolicy: None\n"),
        cq("  stopPolicy: Hold\n")
    );
    let (file, r) = load_file("dup_names", &text);
    let errors = r.err().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path.as_deref(), Some("metadata.name"));
    assert_eq!(errors[0].line, Some(9));
    assert_eq!(
        errors[0].message,
        format!(
            "ClusterQueue \"cq\" is already defined by {file} (document 1); names must be unique"
        )
    );
    // LocalQueues are unique within their namespace only.
    let lq = |ns: &str| {
        format!("apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {{name: q, namespace: {ns}}}\nspec: {{clusterQueue: cq}}\n")
    };
    let text = format!(
        "{}---\n{}---\n{}",
        cq("  stopPolicy: None\n"),
        lq("a"),
        lq("b")
    );
    let k = setup("lq_namespaces", &text);
    assert_eq!(k.local_queues.len(), 2);
}

#[test]
fn a_name_must_be_a_dns_subdomain() {
    let text =
        "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: Big_Flavor}\n";
    let e = the_error("bad_name", text);
    assert_eq!(e.path.as_deref(), Some("metadata.name"));
    assert!(
        e.message.starts_with("ResourceFlavor \"Big_Flavor\" is invalid: Invalid value: \"Big_Flavor\": a lowercase RFC 1123 subdomain"),
        "{}",
        e.message
    );
}

// ---- Cohort, ResourceFlavor, Topology, LocalQueue, WorkloadPriorityClass -------------------

#[test]
fn a_root_cohort_has_no_limits() {
    let text = "apiVersion: kueue.x-k8s.io/v1beta2\nkind: Cohort\nmetadata: {name: co}\nspec:\n  resourceGroups:\n  - coveredResources: [cpu]\n    flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4, lendingLimit: 1}]}]\n";
    let e = the_error("cohort_limit", text);
    check(
        &e,
        text,
        "lendingLimit",
        "spec.resourceGroups[0].flavors[0].resources[0].lendingLimit",
        "Cohort \"co\" is invalid: Invalid value: \"1\": must be nil when parent is empty",
    );
}

const RF_HEAD: &str =
    "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: f}\nspec:\n";

#[test]
fn flavor_limits_and_rules() {
    let labels: Vec<String> = (0..9).map(|i| format!("l{i}: v")).collect();
    let text = format!("{RF_HEAD}  nodeLabels: {{{}}}\n", labels.join(", "));
    let e = the_error("rf_labels", &text);
    check(
        &e,
        &text,
        "nodeLabels",
        "spec.nodeLabels",
        "ResourceFlavor \"f\" is invalid: Too many: 9: must have at most 8 items",
    );
    let taints: Vec<String> = (0..9)
        .map(|i| format!("{{key: t{i}, effect: NoSchedule}}"))
        .collect();
    let text = format!("{RF_HEAD}  nodeTaints: [{}]\n", taints.join(", "));
    let e = the_error("rf_taints", &text);
    check(
        &e,
        &text,
        "nodeTaints",
        "spec.nodeTaints",
        "ResourceFlavor \"f\" is invalid: Too many: 9: must have at most 8 items",
    );
    let tolerations: Vec<String> = (0..9)
        .map(|i| format!("{{key: t{i}, operator: Exists}}"))
        .collect();
    let text = format!("{RF_HEAD}  tolerations: [{}]\n", tolerations.join(", "));
    let e = the_error("rf_tolerations", &text);
    check(
        &e,
        &text,
        "tolerations",
        "spec.tolerations",
        "ResourceFlavor \"f\" is invalid: Too many: 9: must have at most 8 items",
    );
    let text = format!("{RF_HEAD}  topologyName: t\n");
    let e = the_error("rf_topology_label", &text);
    check(&e, &text, "topologyName", "spec.topologyName", "ResourceFlavor \"f\" is invalid: spec: Invalid value: \"object\": at least one nodeLabel is required when topology is set");
    let text = format!("{RF_HEAD}  nodeTaints:\n  - key: gpu\n    effect: NoRun\n");
    let e = the_error("rf_taint_effect", &text);
    check(&e, &text, "NoRun", "spec.nodeTaints[0].effect", "ResourceFlavor \"f\" is invalid: spec.nodeTaints: Invalid value: \"array\": supported taint effect values: 'NoSchedule', 'PreferNoSchedule', 'NoExecute'");
    let text = format!(
        "{RF_HEAD}  tolerations:\n  - operator: Exists\n    key: spot\n    value: \"yes\"\n"
    );
    let e = the_error("rf_toleration_value", &text);
    check(&e, &text, "value: \"yes\"", "spec.tolerations[0].value", "ResourceFlavor \"f\" is invalid: spec.tolerations: Invalid value: \"array\": a value must be empty when 'operator' is 'Exists'");
    let text = format!("{RF_HEAD}  nodeTaints:\n  - {{key: gpu, effect: NoSchedule}}\n  - {{key: gpu, value: x, effect: NoSchedule}}\n");
    let e = the_error("rf_taint_dup", &text);
    check(&e, &text, "value: x", "spec.nodeTaints[1]", "ResourceFlavor \"f\" is invalid: Duplicate value: {\"key\":\"gpu\",\"value\":\"x\",\"effect\":\"NoSchedule\"}: taints must be unique by key and effect pair");
}

const TOPO_HEAD: &str =
    "apiVersion: kueue.x-k8s.io/v1beta2\nkind: Topology\nmetadata: {name: t}\nspec:\n";

#[test]
fn topology_levels() {
    let text = format!("{TOPO_HEAD}  levels: []\n");
    let e = the_error("topo_empty", &text);
    check(&e, &text, "levels", "spec.levels", "Topology \"t\" is invalid: Invalid value: 0: spec.levels in body should have at least 1 items");
    let levels: Vec<String> = (0..17).map(|i| format!("{{nodeLabel: l{i}}}")).collect();
    let text = format!("{TOPO_HEAD}  levels: [{}]\n", levels.join(", "));
    let e = the_error("topo_17", &text);
    check(
        &e,
        &text,
        "levels",
        "spec.levels",
        "Topology \"t\" is invalid: Too many: 17: must have at most 16 items",
    );
    let text = format!("{TOPO_HEAD}  levels:\n  - nodeLabel: block\n  - nodeLabel: block\n");
    let e = the_error("topo_unique", &text);
    assert_eq!(e.path.as_deref(), Some("spec.levels[1]"));
    assert_eq!(e.line, Some(7));
    assert_eq!(
        e.message,
        "Topology \"t\" is invalid: spec.levels: Invalid value: \"array\": must be unique"
    );
    let text = format!(
        "{TOPO_HEAD}  levels:\n  - nodeLabel: kubernetes.io/hostname\n  - nodeLabel: rack\n"
    );
    let e = the_error("topo_hostname", &text);
    check(&e, &text, "hostname", "spec.levels[0].nodeLabel", "Topology \"t\" is invalid: spec.levels: Invalid value: \"array\": the kubernetes.io/hostname label can only be used at the lowest level of topology");
}

#[test]
fn local_queue_and_priority_class_rules() {
    let text = "apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {name: q}\nspec:\n  stopPolicy: Pause\n  clusterQueue: cq\n";
    let (_, r) = load_file("lq_stop", text);
    let errors = r.err().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    check(&errors[0], text, "Pause", "spec.stopPolicy", "LocalQueue \"q\" is invalid: Unsupported value: \"Pause\": supported values: \"None\", \"Hold\", \"HoldAndDrain\"");
    let text = "apiVersion: kueue.x-k8s.io/v1beta2\nkind: WorkloadPriorityClass\nmetadata: {name: p}\ndescription: x\n";
    let e = the_error("wpc_value", text);
    assert_eq!(e.path.as_deref(), Some("value"));
    assert_eq!(
        e.message,
        "WorkloadPriorityClass \"p\" is invalid: Required value"
    );
}

#[test]
fn a_kubernetes_priority_class_is_read_and_checked() {
    let text = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: urgent}\nvalue: 1000\nglobalDefault: true\n";
    let (_, r) = load_file("pc_ok", text);
    let setup = r
        .expect("a valid PriorityClass")
        .kueue
        .expect("a kueue section");
    assert_eq!(
        setup.pod_priority_classes,
        vec![PodPriorityClass {
            name: "urgent".into(),
            value: 1000,
            global_default: true,
            preempt_never: false
        }]
    );
    let text = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: p}\npreemptionPolicy: Sometimes\n";
    let (_, r) = load_file("pc_bad", text);
    let errors = r.err().unwrap();
    let paths: Vec<_> = errors.iter().map(|e| e.path.as_deref()).collect();
    assert_eq!(
        paths,
        [Some("value"), Some("preemptionPolicy")],
        "{errors:#?}"
    );
    assert_eq!(
        errors[1].message,
        "PriorityClass \"p\" is invalid: Unsupported value: \"Sometimes\": supported values: \"Never\", \"PreemptLowerPriority\""
    );
}

// ---- Tolerated references ------------------------------------------------------------------

#[test]
fn references_kueue_tolerates_are_kept_and_noted() {
    let text = "apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: cq}
spec:
  resourceGroups:
  - coveredResources: [cpu]
    flavors: [{name: missing, resources: [{name: cpu, nominalQuota: 4}]}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: q}
spec: {clusterQueue: nowhere}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: a}
spec: {parentName: b}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: b}
spec: {parentName: a}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: tas}
spec: {nodeLabels: {pool: x}, topologyName: none}
";
    let (file, r) = load_file("references", text);
    let s = r.expect("valid: Kueue accepts all of these");
    let k = s.kueue.as_ref().unwrap();
    assert_eq!(
        k.cluster_queues[0].resource_groups[0].flavors[0].name,
        "missing"
    );
    assert_eq!(k.local_queues[0].cluster_queue, "nowhere");
    assert_eq!(k.cohorts.len(), 2);
    let got: Vec<(NoteLevel, String, usize)> = s
        .notes
        .iter()
        .map(|n| {
            assert_eq!(n.at.file, file);
            (n.level, n.at.path.clone().unwrap(), n.at.line.unwrap())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (NoteLevel::Notice, "spec.topologyName".into(), 27),
            (
                NoteLevel::Notice,
                "spec.resourceGroups[0].flavors[0].name".into(),
                7
            ),
            (NoteLevel::Warning, "spec.clusterQueue".into(), 12),
            (NoteLevel::Notice, "spec.parentName".into(), 17),
            (NoteLevel::Notice, "spec.parentName".into(), 22),
        ]
    );
    assert!(s.notes[1].at.message.contains("(FlavorNotFound)"));
    assert!(s.notes[2]
        .at
        .message
        .contains("stay pending (Misconfigured)"));
    assert!(
        s.notes[3]
            .at
            .message
            .starts_with("Cohort \"a\" is in a cycle (a → b → a)"),
        "{}",
        s.notes[3].at.message
    );
}

// ---- Robustness ----------------------------------------------------------------------------

/// Every variant of `text` with one line removed or one value replaced by an odd one.
fn mutations(text: &str) -> Vec<String> {
    const REPLACEMENTS: &[&str] = &["-1", "0", "2147483648", "x", "[]", "{a: 1}", "null", "\"\""];
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    for (i, line) in lines.iter().enumerate() {
        let mut variant = |new_line: Option<String>| {
            let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            match new_line {
                Some(l) => v[i] = l,
                None => {
                    v.remove(i);
                }
            }
            out.push(v.join("\n"));
        };
        variant(None);
        if let Some((key, value)) = line.split_once(": ") {
            if !value.trim().is_empty() {
                for r in REPLACEMENTS {
                    variant(Some(format!("{key}: {r}")));
                }
            }
        }
    }
    out
}

#[test]
fn mutated_kueue_objects_never_panic() {
    let config = "---\napiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nwaitForPodsReady: {timeout: 5m, recoveryTimeout: 1m, requeuingStrategy: {timestamp: Creation, backoffLimitCount: 3}}\nfairSharing: {preemptionStrategies: [LessThanOrEqualToFinalShare]}\nintegrations: {frameworks: [jobset.x-k8s.io/jobset]}\n";
    let text = format!("{EVERY_FIELD}{config}");
    let variants = mutations(&text);
    assert!(variants.len() > 300, "{} variants", variants.len());
    let mut valid = 0;
    for (n, variant) in variants.iter().enumerate() {
        let result = std::panic::catch_unwind(|| {
            let (mut errors, mut notes) = (vec![], vec![]);
            let _ = load::load_text("k.yaml", variant, &mut errors, &mut notes);
            for e in errors.iter().chain(notes.iter().map(|n| &n.at)) {
                assert!(e.line.is_some(), "unlocated: {e}");
            }
            errors.is_empty()
        });
        match result {
            Ok(ok) => valid += usize::from(ok),
            Err(_) => panic!("variant {n} panicked:\n{variant}"),
        }
    }
    assert!(
        valid > 0 && valid < variants.len(),
        "{valid} of {} valid",
        variants.len()
    );
}

// ---- Admission fair sharing ------------------------------------------------------------------

#[test]
fn admission_fair_sharing_reads_its_defaults_gate_scope_and_local_queue_weight() {
    let objects = "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nadmissionFairSharing: {usageHalfLifeTime: 10m, resourceWeights: {memory: 0.5}}\n---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {name: cq}\nspec:\n  admissionScope: {admissionMode: UsageBasedAdmissionFairSharing}\n---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {name: lq}\nspec: {clusterQueue: cq, fairSharing: {weight: 2500m}}\n";
    let k = setup("afs_defaults", objects);
    let afs = k.config.admission_fair_sharing.expect("configured");
    assert_eq!(afs.usage_half_life_ns, 600 * 1_000_000_000);
    assert_eq!(
        afs.usage_sampling_interval_ns,
        300 * 1_000_000_000,
        "SetDefaults_Configuration: 5 min"
    );
    assert_eq!(afs.resource_weights.get("memory"), Some(&0.5));
    assert!(k.cluster_queues[0].admission_fair_sharing);
    assert_eq!(k.local_queues[0].fair_sharing_weight_milli, 2500);
    let gated = objects.replace(
        "admissionFairSharing:",
        "featureGates: {AdmissionFairSharing: false}\nadmissionFairSharing:",
    );
    let k = setup("afs_gate_off", &gated);
    assert_eq!(
        k.config.admission_fair_sharing, None,
        "the gate turns it off"
    );
}

#[test]
fn admission_fair_sharing_errors_name_their_field() {
    let text = "apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nadmissionFairSharing:\n  resourceWeights: {cpu: -1}\n";
    let e = the_error("afs_negative_weight", text);
    check(
        &e,
        text,
        "resourceWeights",
        "admissionFairSharing.resourceWeights[cpu]",
        "the Kueue Configuration is invalid: Invalid value: -1: must be greater than or equal to 0",
    );
    let text = cq("  admissionScope: {admissionMode: Sometimes}\n");
    let e = the_error("afs_bad_mode", &text);
    assert_eq!(e.path.as_deref(), Some("spec.admissionScope.admissionMode"));
    assert!(
        e.message.contains("Unsupported value: \"Sometimes\""),
        "{}",
        e.message
    );
}

//! The Kueue Configuration (`config.kueue.x-k8s.io/v1beta2`): its defaults
//! (`apis/config/v1beta2/defaults.go`) and the checks of `pkg/config/validation.go` for the
//! knobs the simulator reads: `waitForPodsReady`, `fairSharing`, `resources.quotaCheckStrategy`,
//! `manageJobsWithoutQueueName`, `admissionFairSharing`. Of the feature gates, `DisableWaitForPodsReady`, `AdmissionFairSharing` and
//! `ReclaimablePods` are read; the others are notices. `integrations.frameworks` is read only to warn when it leaves the
//! JobSet integration out (the simulator always simulates it enabled).

use super::load::{Out, Where};
use super::raw::{ConfigDoc, RawAdmissionFairSharing};
use super::*;
use crate::api::validation::{invalid, not_supported, FieldError};

const TIMESTAMPS: [&str; 2] = ["Creation", "Eviction"];
const QUOTA_CHECK_STRATEGIES: [&str; 2] = ["IgnoreUndeclared", "BlockUndeclared"];
/// The strategy lists `fairSharing.preemptionStrategies` may hold, as upstream prints them.
const STRATEGY_SETS: [&str; 3] = [
    "LessThanOrEqualToFinalShare",
    "LessThanInitialShare",
    "LessThanOrEqualToFinalShare,LessThanInitialShare",
];
const NEGATIVE_MSG: &str = "must be greater than or equal to 0";
const DISABLE_WAIT_FOR_PODS_READY: &str = "DisableWaitForPodsReady";
const RECLAIMABLE_PODS: &str = "ReclaimablePods";
const ADMISSION_FAIR_SHARING: &str = "AdmissionFairSharing";
/// The feature gates the simulator reads.
const GATES_READ: [&str; 3] = [
    DISABLE_WAIT_FOR_PODS_READY,
    RECLAIMABLE_PODS,
    ADMISSION_FAIR_SHARING,
];
/// `usageSamplingInterval`'s default (`SetDefaults_Configuration`).
const AFS_SAMPLING_DEFAULT_NS: u64 = 5 * 60 * 1_000_000_000;
const JOBSET_FRAMEWORK: &str = "jobset.x-k8s.io/jobset";

/// The Kueue Configuration as the simulator reads it; errors, notices and warnings go to `out`.
pub(super) fn resolve(c: &ConfigDoc, at: &Where, out: &mut Out) -> KueueConfig {
    let mut errs: Vec<FieldError> = vec![];
    let gates = c.feature_gates.clone().unwrap_or_default();
    notes_on_unmodelled(c, &gates, at, out);
    let disabled = gates
        .get(DISABLE_WAIT_FOR_PODS_READY)
        .copied()
        .unwrap_or(false);
    let wait_for_pods_ready = (!disabled).then(|| wait_for_pods_ready(c, &mut errs));
    let strategies = fair_sharing_strategies(c, &mut errs);
    let afs_gate = gates.get(ADMISSION_FAIR_SHARING).copied().unwrap_or(true);
    let admission_fair_sharing = (c.admission_fair_sharing.as_ref())
        .filter(|_| afs_gate)
        .map(|a| admission_fair_sharing(a, &mut errs));
    let quota_check_strategy = quota_check_strategy(c, &mut errs);
    for e in errs {
        let message = format!("the Kueue Configuration is invalid: {}", e.message);
        out.errors.push(at.at(&e.path, message));
    }
    KueueConfig {
        wait_for_pods_ready,
        fair_sharing: c.fair_sharing.is_some(),
        admission_fair_sharing,
        fair_sharing_strategies: strategies,
        quota_check_strategy,
        manage_jobs_without_queue_name: c.manage_jobs_without_queue_name.unwrap_or(false),
        reclaimable_pods: gates.get(RECLAIMABLE_PODS).copied().unwrap_or(true),
    }
}

/// Notices for feature gates the simulator does not read, and a warning when the integrations
/// leave JobSet out.
fn notes_on_unmodelled(c: &ConfigDoc, gates: &BTreeMap<String, bool>, at: &Where, out: &mut Out) {
    for name in gates.keys().filter(|g| !GATES_READ.contains(&g.as_str())) {
        out.notice(at.at(
            &format!("featureGates.{name}"),
            "Kueue feature gate not modelled by jobset-sim (it simulates the gates' defaults at Kueue main, docs/fidelity.md); ignored",
        ));
    }
    let frameworks = c.integrations.as_ref().and_then(|i| i.frameworks.as_ref());
    if let Some(f) = frameworks.filter(|f| !f.iter().any(|f| f == JOBSET_FRAMEWORK)) {
        out.warning(at.at(
            "integrations.frameworks",
            format!(
                "{JOBSET_FRAMEWORK} is not among the integrations ({}): Kueue would manage no JobSet; jobset-sim simulates the JobSet integration enabled",
                f.join(", ")
            ),
        ));
    }
}

/// `waitForPodsReady` with its defaults, and the checks of its requeuing strategy.
fn wait_for_pods_ready(c: &ConfigDoc, errs: &mut Vec<FieldError>) -> WaitForPodsReady {
    let raw = c.wait_for_pods_ready.clone().unwrap_or_default();
    let mut w = WaitForPodsReady::default();
    // A zero timeout takes the default, as `SetDefaults_Configuration` does.
    if let Some(t) = raw.timeout.filter(|t| t.ns > 0) {
        w.timeout_ns = t.ns;
    }
    w.recovery_timeout_ns = match raw.recovery_timeout {
        None => Some(w.timeout_ns),
        Some(r) if r.ns == 0 => None,
        Some(r) => Some(r.ns),
    };
    w.block_admission = raw.block_admission.unwrap_or(false);
    let strategy = raw.requeuing_strategy.unwrap_or_default();
    let p = "waitForPodsReady.requeuingStrategy";
    if let Some(t) = &strategy.timestamp {
        if !TIMESTAMPS.contains(&t.as_str()) {
            errs.push(not_supported(format!("{p}.timestamp"), t, &TIMESTAMPS));
        }
        w.requeuing_timestamp_eviction = t != "Creation";
    }
    let mut non_negative = |field: &str, v: Option<i32>| match v {
        Some(n) if n < 0 => {
            errs.push(invalid(
                format!("{p}.{field}"),
                &n.to_string(),
                NEGATIVE_MSG,
            ));
            None
        }
        other => other.map(|n| n as u32),
    };
    w.backoff_limit_count = non_negative("backoffLimitCount", strategy.backoff_limit_count);
    // `cmp.Or`: a zero takes the default too.
    let base_s = non_negative("backoffBaseSeconds", strategy.backoff_base_seconds);
    if let Some(b) = base_s.filter(|&b| b > 0) {
        w.backoff_base_s = u64::from(b);
    }
    let max_s = non_negative("backoffMaxSeconds", strategy.backoff_max_seconds);
    if let Some(m) = max_s.filter(|&m| m > 0) {
        w.backoff_max_s = u64::from(m);
    }
    w
}

/// `fairSharing.preemptionStrategies`, when fair sharing is configured and the list is one
/// upstream accepts.
fn fair_sharing_strategies(c: &ConfigDoc, errs: &mut Vec<FieldError>) -> Vec<FairSharingStrategy> {
    let Some(fs) = &c.fair_sharing else {
        return vec![];
    };
    let p = "fairSharing.preemptionStrategies";
    let list = match fs.preemption_strategies.as_deref() {
        None | Some([]) => {
            errs.push(FieldError {
                path: p.into(),
                message: "Required value: must be specified".into(),
            });
            return vec![];
        }
        Some(list) => list,
    };
    if !STRATEGY_SETS.contains(&list.join(",").as_str()) {
        let shown = format!("[{}]", list.join(" "));
        let quoted: Vec<String> = STRATEGY_SETS.iter().map(|s| format!("{s:?}")).collect();
        errs.push(FieldError {
            path: p.into(),
            message: format!(
                "Unsupported value: {shown}: supported values: {}",
                quoted.join(", ")
            ),
        });
        return vec![];
    }
    list.iter()
        .map(|s| match s.as_str() {
            "LessThanInitialShare" => FairSharingStrategy::LessThanInitialShare,
            _ => FairSharingStrategy::LessThanOrEqualToFinalShare,
        })
        .collect()
}

/// `resources.quotaCheckStrategy`, BlockUndeclared by default.
fn quota_check_strategy(c: &ConfigDoc, errs: &mut Vec<FieldError>) -> QuotaCheckStrategy {
    let written = c
        .resources
        .as_ref()
        .and_then(|r| r.quota_check_strategy.as_deref());
    match written {
        None | Some("BlockUndeclared") => QuotaCheckStrategy::BlockUndeclared,
        Some("IgnoreUndeclared") => QuotaCheckStrategy::IgnoreUndeclared,
        Some(other) => {
            errs.push(not_supported(
                "resources.quotaCheckStrategy",
                other,
                &QUOTA_CHECK_STRATEGIES,
            ));
            QuotaCheckStrategy::BlockUndeclared
        }
    }
}

/// `admissionFairSharing` with its defaults (`SetDefaults_Configuration`: a zero sampling
/// interval takes 5 min) and `validateAdmissionFairSharing`'s checks (durations cannot be
/// negative here: the duration parser refuses them).
fn admission_fair_sharing(
    a: &RawAdmissionFairSharing,
    errs: &mut Vec<FieldError>,
) -> AdmissionFairSharing {
    let weights = a.resource_weights.clone().unwrap_or_default();
    for (name, w) in &weights {
        if *w < 0.0 {
            errs.push(invalid(
                format!("admissionFairSharing.resourceWeights[{name}]"),
                &w.to_string(),
                NEGATIVE_MSG,
            ));
        }
    }
    let sampling_ns = a.usage_sampling_interval.map_or(0, |d| d.ns);
    AdmissionFairSharing {
        usage_half_life_ns: a.usage_half_life_time.map_or(0, |d| d.ns),
        usage_sampling_interval_ns: if sampling_ns == 0 {
            AFS_SAMPLING_DEFAULT_NS
        } else {
            sampling_ns
        },
        resource_weights: weights,
    }
}

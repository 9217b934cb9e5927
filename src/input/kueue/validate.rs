//! Kueue's admission of its objects, then their resolution into a [`KueueSetup`].
//!
//! Per object, as the API server runs it: object metadata, the CRD's OpenAPI constraints (enums,
//! `maxItems`, required fields, map-list keys), the CRD's CEL rules, and, only when all of those
//! pass, the validating webhook (`pkg/webhooks/{clusterqueue,cohort,resourceflavor}_webhook.go`).
//! Messages and field paths are spelled as Kueue and the API server print them. A CEL rule is
//! reported by the API server at the object that carries it (`spec`, `spec.resourceGroups[0]`);
//! here the error points at the offending field, so its line is the one to edit, and the
//! message keeps the rule's own path: `spec: Invalid value: "object": borrowingLimit must be nil
//! when cohort is empty`.
//!
//! Then, across objects: a name defined twice is an error; references that Kueue tolerates (a
//! flavor, topology or ClusterQueue that does not exist, a cycle of cohorts) are kept as written
//! and reported as notes saying what Kueue does with them.

use super::load::{Out, Placed, Read, Where};
use super::raw::{
    AcSpec, CohortSpec, CqSpec, Doc, FlavorSpec, LqSpec, PcDoc, RawCheckAttempt, RawCheckScript,
    RawFairSharing, RawFungibility, RawPreemption, RawResourceGroup, RawResourceQuota, RawTaint,
    TopologySpec, WpcDoc,
};
use super::*;
use crate::api::quantity::WrittenQuantity;
use crate::api::types::ObjectMeta;
use crate::api::validation::{
    duplicate, go_quote, invalid, is_dns1123_subdomain, is_label_value, json_str,
    map_list_duplicates, not_supported, qualified_name_errors, required, too_many, FieldError,
};
use std::collections::{BTreeMap, BTreeSet};

const MAX_RESOURCE_GROUPS: usize = 16;
const MAX_FLAVORS_PER_GROUP: usize = 64;
const MAX_RESOURCES: usize = 64;
const MAX_FLAVORS_TOTAL: usize = 256;
const MAX_NODE_LABELS: usize = 8;
const MAX_TAINTS: usize = 8;
const MAX_TOLERATIONS: usize = 8;
const MAX_TOPOLOGY_LEVELS: usize = 16;
const MAX_NODE_LABEL_LENGTH: usize = 316;
const MAX_DESCRIPTION_LENGTH: usize = 2048;
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
const NODE_LABEL_PATTERN: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";

const QUEUEING_STRATEGIES: [&str; 2] = ["StrictFIFO", "BestEffortFIFO"];
const STOP_POLICIES: [&str; 3] = ["None", "Hold", "HoldAndDrain"];
/// `AdmissionMode` (apis/kueue/v1beta2/fairsharing_types.go).
const ADMISSION_MODES: [&str; 2] = ["UsageBasedAdmissionFairSharing", "NoAdmissionFairSharing"];
const RECLAIM_POLICIES: [&str; 3] = ["Never", "LowerPriority", "Any"];
const WITHIN_CQ_POLICIES: [&str; 3] = ["Never", "LowerPriority", "LowerOrNewerEqualPriority"];
const BORROW_POLICIES: [&str; 2] = ["Never", "LowerPriority"];
const WHEN_CAN_BORROW: [&str; 2] = ["MayStopSearch", "TryNextFlavor"];
const WHEN_CAN_BORROW_V1BETA1: [&str; 3] = ["MayStopSearch", "TryNextFlavor", "Borrow"];
const WHEN_CAN_PREEMPT: [&str; 2] = ["MayStopSearch", "TryNextFlavor"];
const WHEN_CAN_PREEMPT_V1BETA1: [&str; 3] = ["MayStopSearch", "TryNextFlavor", "Preempt"];
const PREFERENCES: [&str; 2] = ["BorrowingOverPreemption", "PreemptionOverBorrowing"];
const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

// CEL rules' messages, as the CRDs carry them.
const CEL_BORROWING_LIMIT: &str = "borrowingLimit must be nil when cohort is empty";
const CEL_SAME_RESOURCES: &str =
    "flavors must have the same number of resources as the coveredResources";
const CEL_PREFERENCE: &str =
    "preference can only be set when both whenCanBorrow and whenCanPreempt are TryNextFlavor";
const CEL_RECLAIM_BORROW: &str = "reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never";
const CEL_TOPOLOGY_NEEDS_LABEL: &str = "at least one nodeLabel is required when topology is set";
const CEL_TAINT_EFFECTS: &str =
    "supported taint effect values: 'NoSchedule', 'PreferNoSchedule', 'NoExecute'";
const CEL_TOLERATION_KEY: &str =
    "operator must be Exists when 'key' is empty, which means 'match all values and all keys'";
const CEL_TOLERATION_SECONDS: &str = "effect must be 'NoExecute' when 'tolerationSeconds' is set";
const CEL_TOLERATION_OPERATOR: &str = "supported toleration values: 'Equal'(default), 'Exists'";
const CEL_TOLERATION_VALUE: &str = "a value must be empty when 'operator' is 'Exists'";
const CEL_LEVELS_UNIQUE: &str = "must be unique";
const CEL_HOSTNAME_LOWEST: &str =
    "the kubernetes.io/hostname label can only be used at the lowest level of topology";

// Webhook messages.
const NEGATIVE_MSG: &str = "must be greater than or equal to 0";
const LENDING_LIMIT_MSG: &str = "must be less than or equal to the nominalQuota";
const MATCH_COVERED_MSG: &str = "must match the name in coveredResources";

/// A CEL rule's error: `owner` is where the CRD carries the rule, `at` the field to point at.
fn cel(at: impl Into<String>, owner: &str, value_type: &str, msg: &str) -> FieldError {
    FieldError {
        path: at.into(),
        message: format!("{owner}: Invalid value: \"{value_type}\": {msg}"),
    }
}

/// The OpenAPI `minItems` error.
fn too_few(path: &str, actual: usize, min: usize) -> FieldError {
    invalid(
        path,
        &actual.to_string(),
        &format!("{path} in body should have at least {min} items"),
    )
}

/// A quantity quoted as the manifest writes it (`1Gi`, `-500m`), where Kueue prints
/// `resource.Quantity.String()`: that keeps the suffix the user wrote, and a form rewritten from
/// the parsed value (`1073741824`) is not text the user can find in the file.
fn q(v: &WrittenQuantity) -> String {
    go_quote(&v.text)
}

// =============================================================================================
// Shared pieces
// =============================================================================================

/// `metadata.name`: required, a DNS-1123 subdomain (the API server's checks for every object).
fn name_errors(meta: &ObjectMeta) -> Vec<FieldError> {
    if meta.name.is_empty() {
        return vec![FieldError {
            path: "metadata.name".into(),
            message: "Required value: name or generateName is required".into(),
        }];
    }
    is_dns1123_subdomain(&meta.name)
        .iter()
        .map(|m| invalid("metadata.name", &go_quote(&meta.name), m))
        .collect()
}

fn enumeration(errs: &mut Vec<FieldError>, path: &str, value: Option<&String>, allowed: &[&str]) {
    if let Some(v) = value {
        if !allowed.contains(&v.as_str()) {
            errs.push(not_supported(path, v, allowed));
        }
    }
}

fn label_name(errs: &mut Vec<FieldError>, path: &str, key: &str) {
    for m in qualified_name_errors(key) {
        errs.push(invalid(path, &go_quote(key), &m));
    }
}

/// `ValidateLabels`: keys qualified names, values label values.
fn labels(errs: &mut Vec<FieldError>, path: &str, map: &BTreeMap<String, String>) {
    for (k, v) in map {
        label_name(errs, path, k);
        for m in is_label_value(v) {
            errs.push(invalid(path, &go_quote(v), &m));
        }
    }
}

/// `ValidateLabelSelector` (operators and their values, keys, labels).
fn label_selector(errs: &mut Vec<FieldError>, path: &str, sel: &LabelSelector) {
    for (i, e) in sel.match_expressions.iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        match e.operator.as_str() {
            "In" | "NotIn" if e.values.is_empty() => errs.push(FieldError {
                path: format!("{p}.values"),
                message: "Required value: must be specified when `operator` is 'In' or 'NotIn'"
                    .into(),
            }),
            "Exists" | "DoesNotExist" if !e.values.is_empty() => errs.push(FieldError {
                path: format!("{p}.values"),
                message:
                    "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                        .into(),
            }),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errs.push(invalid(
                format!("{p}.operator"),
                &go_quote(other),
                "not a valid selector operator",
            )),
        }
        label_name(errs, &format!("{p}.key"), &e.key);
    }
    labels(errs, &format!("{path}.matchLabels"), &sel.match_labels);
}

/// The OpenAPI constraints of `resourceGroups` (shared by ClusterQueue and Cohort).
fn groups_schema(errs: &mut Vec<FieldError>, groups: &[RawResourceGroup]) {
    if groups.len() > MAX_RESOURCE_GROUPS {
        errs.push(too_many(
            "spec.resourceGroups",
            groups.len(),
            MAX_RESOURCE_GROUPS,
        ));
    }
    for (i, g) in groups.iter().enumerate() {
        let gp = format!("spec.resourceGroups[{i}]");
        match &g.covered_resources {
            None => errs.push(required(format!("{gp}.coveredResources"))),
            Some(c) if c.is_empty() => errs.push(too_few(&format!("{gp}.coveredResources"), 0, 1)),
            Some(c) if c.len() > MAX_RESOURCES => errs.push(too_many(
                format!("{gp}.coveredResources"),
                c.len(),
                MAX_RESOURCES,
            )),
            Some(_) => {}
        }
        let flavors = match &g.flavors {
            None => {
                errs.push(required(format!("{gp}.flavors")));
                continue;
            }
            Some(f) if f.is_empty() => {
                errs.push(too_few(&format!("{gp}.flavors"), 0, 1));
                continue;
            }
            Some(f) => f,
        };
        if flavors.len() > MAX_FLAVORS_PER_GROUP {
            errs.push(too_many(
                format!("{gp}.flavors"),
                flavors.len(),
                MAX_FLAVORS_PER_GROUP,
            ));
        }
        for (j, f) in flavors.iter().enumerate() {
            let fp = format!("{gp}.flavors[{j}]");
            if f.name.as_deref().unwrap_or("").is_empty() {
                errs.push(required(format!("{fp}.name")));
            }
            let resources = match &f.resources {
                None => {
                    errs.push(required(format!("{fp}.resources")));
                    continue;
                }
                Some(r) if r.is_empty() => {
                    errs.push(too_few(&format!("{fp}.resources"), 0, 1));
                    continue;
                }
                Some(r) => r,
            };
            if resources.len() > MAX_RESOURCES {
                errs.push(too_many(
                    format!("{fp}.resources"),
                    resources.len(),
                    MAX_RESOURCES,
                ));
            }
            for (k, r) in resources.iter().enumerate() {
                let rp = format!("{fp}.resources[{k}]");
                if r.name.as_deref().unwrap_or("").is_empty() {
                    errs.push(required(format!("{rp}.name")));
                }
                if r.nominal_quota.is_none() {
                    errs.push(required(format!("{rp}.nominalQuota")));
                }
            }
            let names = resources.iter().map(|r| r.name.as_deref().unwrap_or(""));
            errs.extend(map_list_duplicates(&format!("{fp}.resources"), names));
        }
        let names = flavors.iter().map(|f| f.name.as_deref().unwrap_or(""));
        errs.extend(map_list_duplicates(&format!("{gp}.flavors"), names));
    }
}

/// The ResourceGroup CEL rule: every flavor lists as many resources as the group covers.
fn groups_cel(errs: &mut Vec<FieldError>, groups: &[RawResourceGroup]) {
    for (i, g) in groups.iter().enumerate() {
        let covered = g.covered_resources.as_ref().map_or(0, Vec::len);
        let flavors = g.flavors.as_deref().unwrap_or_default();
        if let Some(j) = flavors
            .iter()
            .position(|f| f.resources.as_ref().map_or(0, Vec::len) != covered)
        {
            let owner = format!("spec.resourceGroups[{i}]");
            let at = format!("{owner}.flavors[{j}].resources");
            errs.push(cel(at, &owner, "object", CEL_SAME_RESOURCES));
        }
    }
}

/// `validateResourceGroups` of the webhook (ClusterQueue: `is_cohort` false).
fn groups_webhook(
    errs: &mut Vec<FieldError>,
    groups: &[RawResourceGroup],
    has_parent: bool,
    is_cohort: bool,
) {
    let mut seen_resources = BTreeSet::new();
    let mut seen_flavors = BTreeSet::new();
    for (i, g) in groups.iter().enumerate() {
        let gp = format!("spec.resourceGroups[{i}]");
        let covered = g.covered_resources.as_deref().unwrap_or_default();
        for (j, name) in covered.iter().enumerate() {
            let p = format!("{gp}.coveredResources[{j}]");
            for m in qualified_name_errors(name) {
                errs.push(invalid(&p, &go_quote(name), &m));
            }
            if !seen_resources.insert(name.clone()) {
                errs.push(duplicate(&p, &go_quote(name)));
            }
        }
        for (j, f) in g.flavors.as_deref().unwrap_or_default().iter().enumerate() {
            let fp = format!("{gp}.flavors[{j}]");
            let resources = f.resources.as_deref().unwrap_or_default();
            // Resources past the covered ones are the CEL rule's to report.
            for (k, (r, covered_name)) in resources.iter().zip(covered).enumerate() {
                let rp = format!("{fp}.resources[{k}]");
                quota_webhook(errs, &rp, r, covered_name, has_parent, is_cohort);
            }
            let name = f.name.clone().unwrap_or_default();
            if !seen_flavors.insert(name.clone()) {
                errs.push(duplicate(format!("{fp}.name"), &go_quote(&name)));
            }
        }
    }
}

/// The webhook's checks of one resource's quotas at `rp`: its name matches the covered
/// resource's, no quota is negative, limits need a parent, lending is within the nominal quota.
fn quota_webhook(
    errs: &mut Vec<FieldError>,
    rp: &str,
    r: &RawResourceQuota,
    covered_name: &str,
    has_parent: bool,
    is_cohort: bool,
) {
    let no_parent_msg = if is_cohort {
        "must be nil when parent is empty"
    } else {
        "must be nil when cohort is empty"
    };
    let name = r.name.clone().unwrap_or_default();
    if name != covered_name {
        errs.push(invalid(
            format!("{rp}.name"),
            &go_quote(&name),
            MATCH_COVERED_MSG,
        ));
    }
    let nominal = r.nominal_quota.as_ref();
    if let Some(n) = nominal.filter(|n| n.quantity.milli < 0) {
        errs.push(invalid(format!("{rp}.nominalQuota"), &q(n), NEGATIVE_MSG));
    }
    if let Some(b) = &r.borrowing_limit {
        let p = format!("{rp}.borrowingLimit");
        if !has_parent {
            errs.push(invalid(&p, &q(b), no_parent_msg));
        }
        if b.quantity.milli < 0 {
            errs.push(invalid(&p, &q(b), NEGATIVE_MSG));
        }
    }
    if let Some(l) = &r.lending_limit {
        let p = format!("{rp}.lendingLimit");
        if l.quantity.milli < 0 {
            errs.push(invalid(&p, &q(l), NEGATIVE_MSG));
        }
        if !has_parent {
            errs.push(invalid(&p, &q(l), no_parent_msg));
        }
        let nominal = nominal.map(|n| n.quantity).unwrap_or_default();
        if !is_cohort && l.quantity > nominal {
            errs.push(invalid(&p, &q(l), LENDING_LIMIT_MSG));
        }
    }
}

/// `validateFairSharing`.
fn fair_sharing_webhook(errs: &mut Vec<FieldError>, fs: Option<&RawFairSharing>) {
    let Some(w) = fs.and_then(|f| f.weight.as_ref()) else {
        return;
    };
    if w.quantity.milli < 0 {
        errs.push(invalid("spec.fairSharing", &q(w), NEGATIVE_MSG));
    }
    // Upstream also refuses 0 < weight <= 1n ("When not 0, weight must be > 10e-9"); in
    // milli-units such a weight already rounds up to 0.001, so that rule cannot be told here.
}

fn resolve_groups(groups: &[RawResourceGroup]) -> Vec<ResourceGroup> {
    groups
        .iter()
        .map(|g| ResourceGroup {
            covered_resources: g.covered_resources.clone().unwrap_or_default(),
            flavors: g
                .flavors
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|f| FlavorQuotas {
                    name: f.name.clone().unwrap_or_default(),
                    resources: f
                        .resources
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .map(|r| ResourceQuota {
                            name: r.name.clone().unwrap_or_default(),
                            nominal: (r.nominal_quota.as_ref())
                                .map(|n| n.quantity)
                                .unwrap_or_default(),
                            borrowing_limit: r.borrowing_limit.as_ref().map(|b| b.quantity),
                            lending_limit: r.lending_limit.as_ref().map(|l| l.quantity),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

fn weight_milli(fs: Option<&RawFairSharing>) -> i64 {
    fs.and_then(|f| f.weight.as_ref())
        .map_or(1000, |w| w.quantity.milli)
}

fn stop_policy(v: Option<&String>) -> StopPolicy {
    match v.map(String::as_str) {
        Some("Hold") => StopPolicy::Hold,
        Some("HoldAndDrain") => StopPolicy::HoldAndDrain,
        _ => StopPolicy::None,
    }
}

/// The API server's order: metadata and CRD errors stop before the webhook.
fn staged(
    api_server: Vec<FieldError>,
    webhook: impl FnOnce() -> Vec<FieldError>,
) -> Vec<FieldError> {
    if api_server.is_empty() {
        webhook()
    } else {
        api_server
    }
}

// =============================================================================================
// ClusterQueue
// =============================================================================================

/// A ClusterQueue's admission errors, in the API server's order, and the queue it resolves to.
fn cluster_queue(doc: &Doc<CqSpec>, v1beta1: bool) -> (Vec<FieldError>, ClusterQueue) {
    let s = &doc.spec;
    let cohort = if v1beta1 { &s.cohort } else { &s.cohort_name };
    let cohort = cohort.clone().filter(|c| !c.is_empty());
    let mut errs = name_errors(&doc.metadata);
    let mut schema = cq_schema_errors(s, v1beta1);
    // CEL, on the defaulted object, when the schema passed.
    if schema.is_empty() {
        schema = cq_cel_errors(s, cohort.is_some());
    }
    errs.extend(schema);
    let errs = staged(errs, || cq_webhook_errors(s, cohort.is_some()));
    (errs, resolve_cluster_queue(doc, cohort))
}

/// `spec.admissionScope.admissionMode`, when written.
fn admission_mode(s: &CqSpec) -> Option<&String> {
    s.admission_scope
        .as_ref()
        .and_then(|a| a.admission_mode.as_ref())
}

/// The OpenAPI constraints of a ClusterQueue: its resource groups, then its enumerations.
fn cq_schema_errors(s: &CqSpec, v1beta1: bool) -> Vec<FieldError> {
    let mut schema = vec![];
    groups_schema(&mut schema, &s.resource_groups);
    let preemption = s.preemption.as_ref();
    let fungibility = s.flavor_fungibility.as_ref();
    let (borrow, preempt): (&[&str], &[&str]) = if v1beta1 {
        (&WHEN_CAN_BORROW_V1BETA1, &WHEN_CAN_PREEMPT_V1BETA1)
    } else {
        (&WHEN_CAN_BORROW, &WHEN_CAN_PREEMPT)
    };
    // In the order the API server reports them.
    let enums: [(&str, Option<&String>, &[&str]); 9] = [
        (
            "spec.queueingStrategy",
            s.queueing_strategy.as_ref(),
            &QUEUEING_STRATEGIES,
        ),
        ("spec.stopPolicy", s.stop_policy.as_ref(), &STOP_POLICIES),
        (
            "spec.admissionScope.admissionMode",
            admission_mode(s),
            &ADMISSION_MODES,
        ),
        (
            "spec.preemption.reclaimWithinCohort",
            preemption.and_then(|p| p.reclaim_within_cohort.as_ref()),
            &RECLAIM_POLICIES,
        ),
        (
            "spec.preemption.withinClusterQueue",
            preemption.and_then(|p| p.within_cluster_queue.as_ref()),
            &WITHIN_CQ_POLICIES,
        ),
        (
            "spec.preemption.borrowWithinCohort.policy",
            preemption
                .and_then(|p| p.borrow_within_cohort.as_ref())
                .and_then(|b| b.policy.as_ref()),
            &BORROW_POLICIES,
        ),
        (
            "spec.flavorFungibility.whenCanBorrow",
            fungibility.and_then(|f| f.when_can_borrow.as_ref()),
            borrow,
        ),
        (
            "spec.flavorFungibility.whenCanPreempt",
            fungibility.and_then(|f| f.when_can_preempt.as_ref()),
            preempt,
        ),
        (
            "spec.flavorFungibility.preference",
            fungibility.and_then(|f| f.preference.as_ref()),
            &PREFERENCES,
        ),
    ];
    for (path, value, allowed) in enums {
        enumeration(&mut schema, path, value, allowed);
    }
    schema
}

/// The CRD's CEL rules of a ClusterQueue.
fn cq_cel_errors(s: &CqSpec, has_cohort: bool) -> Vec<FieldError> {
    let mut errs = vec![];
    if !has_cohort {
        if let Some(at) = first_borrowing_limit(&s.resource_groups) {
            errs.push(cel(at, "spec", "object", CEL_BORROWING_LIMIT));
        }
    }
    groups_cel(&mut errs, &s.resource_groups);
    errs.extend(s.flavor_fungibility.as_ref().and_then(fungibility_cel));
    errs.extend(s.preemption.as_ref().and_then(preemption_cel));
    errs
}

/// The path of the first `borrowingLimit` written in `groups`, if any.
fn first_borrowing_limit(groups: &[RawResourceGroup]) -> Option<String> {
    for (i, g) in groups.iter().enumerate() {
        for (j, f) in g.flavors.as_deref().unwrap_or_default().iter().enumerate() {
            let resources = f.resources.as_deref().unwrap_or_default();
            if let Some(k) = resources.iter().position(|r| r.borrowing_limit.is_some()) {
                return Some(format!(
                    "spec.resourceGroups[{i}].flavors[{j}].resources[{k}].borrowingLimit"
                ));
            }
        }
    }
    None
}

/// The CEL rule of `spec.flavorFungibility`: a preference needs TryNextFlavor on both sides.
fn fungibility_cel(f: &RawFungibility) -> Option<FieldError> {
    let borrow = f.when_can_borrow.as_deref().unwrap_or("MayStopSearch");
    let preempt = f.when_can_preempt.as_deref().unwrap_or("TryNextFlavor");
    let both_try_next = borrow == "TryNextFlavor" && preempt == "TryNextFlavor";
    (f.preference.is_some() && !both_try_next).then(|| {
        cel(
            "spec.flavorFungibility.preference",
            "spec.flavorFungibility",
            "object",
            CEL_PREFERENCE,
        )
    })
}

/// The CEL rule of `spec.preemption`: borrowing within the cohort needs reclaiming within it.
fn preemption_cel(p: &RawPreemption) -> Option<FieldError> {
    let reclaim = p.reclaim_within_cohort.as_deref().unwrap_or("Never");
    let borrow = p.borrow_within_cohort.as_ref();
    let borrow_policy = borrow.map(|b| b.policy.as_deref().unwrap_or("Never"));
    let borrows_in_cohort = borrow_policy.is_some_and(|b| b != "Never");
    if reclaim != "Never" || !borrows_in_cohort {
        return None;
    }
    let at = if borrow.is_some_and(|b| b.policy.is_some()) {
        "spec.preemption.borrowWithinCohort.policy"
    } else {
        "spec.preemption"
    };
    Some(cel(at, "spec.preemption", "object", CEL_RECLAIM_BORROW))
}

/// The validating webhook's checks of a ClusterQueue.
fn cq_webhook_errors(s: &CqSpec, has_cohort: bool) -> Vec<FieldError> {
    let mut w = vec![];
    groups_webhook(&mut w, &s.resource_groups, has_cohort, false);
    if let Some(sel) = &s.namespace_selector {
        label_selector(&mut w, "spec.namespaceSelector", sel);
    }
    fair_sharing_webhook(&mut w, s.fair_sharing.as_ref());
    let groups = &s.resource_groups;
    let flavors: usize = groups
        .iter()
        .map(|g| g.flavors.as_ref().map_or(0, Vec::len))
        .sum();
    let covered: usize = groups
        .iter()
        .map(|g| g.covered_resources.as_ref().map_or(0, Vec::len))
        .sum();
    for (what, total) in [("flavors", flavors), ("covered resources", covered)] {
        if total > MAX_FLAVORS_TOTAL {
            w.push(invalid(
                "spec.resourceGroups",
                &total.to_string(),
                &format!(
                    "total number of {what} across all resourceGroups must be ≤ 256, got {total}"
                ),
            ));
        }
    }
    w
}

/// The ClusterQueue a (possibly invalid) document stands for, unwritten fields defaulted.
fn resolve_cluster_queue(doc: &Doc<CqSpec>, cohort: Option<String>) -> ClusterQueue {
    let s = &doc.spec;
    ClusterQueue {
        name: doc.metadata.name.clone(),
        cohort,
        resource_groups: resolve_groups(&s.resource_groups),
        queueing_strategy: match s.queueing_strategy.as_deref() {
            Some("StrictFIFO") => QueueingStrategy::StrictFifo,
            _ => QueueingStrategy::BestEffortFifo,
        },
        namespace_selector: s.namespace_selector.clone(),
        preemption: preemption_policy(s.preemption.clone().unwrap_or_default()),
        flavor_fungibility: flavor_fungibility(s.flavor_fungibility.as_ref()),
        fair_sharing_weight_milli: weight_milli(s.fair_sharing.as_ref()),
        stop_policy: stop_policy(s.stop_policy.as_ref()),
        admission_checks: admission_checks(s),
        admission_fair_sharing: admission_mode(s)
            .is_some_and(|m| m == "UsageBasedAdmissionFairSharing"),
    }
}

/// `spec.preemption` resolved, unwritten policies defaulted.
fn preemption_policy(preemption: RawPreemption) -> PreemptionPolicy {
    let borrow = preemption.borrow_within_cohort.unwrap_or_default();
    PreemptionPolicy {
        within_cluster_queue: match preemption.within_cluster_queue.as_deref() {
            Some("LowerPriority") => WithinClusterQueue::LowerPriority,
            Some("LowerOrNewerEqualPriority") => WithinClusterQueue::LowerOrNewerEqualPriority,
            _ => WithinClusterQueue::Never,
        },
        reclaim_within_cohort: match preemption.reclaim_within_cohort.as_deref() {
            Some("LowerPriority") => ReclaimWithinCohort::LowerPriority,
            Some("Any") => ReclaimWithinCohort::Any,
            _ => ReclaimWithinCohort::Never,
        },
        borrow_within_cohort: BorrowWithinCohort {
            policy: match borrow.policy.as_deref() {
                Some("LowerPriority") => BorrowWithinCohortPolicy::LowerPriority,
                _ => BorrowWithinCohortPolicy::Never,
            },
            max_priority_threshold: borrow.max_priority_threshold,
        },
    }
}

/// `spec.flavorFungibility` resolved, unwritten actions defaulted.
fn flavor_fungibility(fungibility: Option<&RawFungibility>) -> FlavorFungibility {
    let action = |v: Option<&String>, default: FungibilityAction| match v.map(String::as_str) {
        Some("TryNextFlavor") => FungibilityAction::TryNextFlavor,
        // v1beta1's `Borrow` and `Preempt` convert to MayStopSearch.
        Some("MayStopSearch" | "Borrow" | "Preempt") => FungibilityAction::MayStopSearch,
        _ => default,
    };
    FlavorFungibility {
        when_can_borrow: action(
            fungibility.and_then(|f| f.when_can_borrow.as_ref()),
            FungibilityAction::MayStopSearch,
        ),
        when_can_preempt: action(
            fungibility.and_then(|f| f.when_can_preempt.as_ref()),
            FungibilityAction::TryNextFlavor,
        ),
        preference: match fungibility.and_then(|f| f.preference.as_deref()) {
            Some("PreemptionOverBorrowing") => FungibilityPreference::PreemptionOverBorrowing,
            _ => FungibilityPreference::BorrowingOverPreemption,
        },
    }
}

/// The admission checks: v1beta1's plain names (on every flavor), then the strategy's rules.
fn admission_checks(s: &CqSpec) -> Vec<(String, Vec<String>)> {
    let mut checks: Vec<(String, Vec<String>)> = s
        .admission_checks
        .iter()
        .flatten()
        .map(|n| (n.clone(), vec![]))
        .collect();
    if let Some(strategy) = &s.admission_checks_strategy {
        checks.extend(
            strategy
                .admission_checks
                .iter()
                .map(|r| (r.name.clone(), r.on_flavors.clone())),
        );
    }
    checks
}

// =============================================================================================
// Cohort, LocalQueue, WorkloadPriorityClass, Topology, ResourceFlavor
// =============================================================================================

fn cohort(doc: &Doc<CohortSpec>) -> (Vec<FieldError>, Cohort) {
    let s = &doc.spec;
    let parent = s.parent_name.clone().filter(|p| !p.is_empty());
    let mut errs = name_errors(&doc.metadata);
    groups_schema(&mut errs, &s.resource_groups);
    if errs.is_empty() {
        groups_cel(&mut errs, &s.resource_groups);
    }
    let errs = staged(errs, || {
        let mut w = vec![];
        fair_sharing_webhook(&mut w, s.fair_sharing.as_ref());
        groups_webhook(&mut w, &s.resource_groups, parent.is_some(), true);
        w
    });
    let c = Cohort {
        name: doc.metadata.name.clone(),
        parent,
        resource_groups: resolve_groups(&s.resource_groups),
        fair_sharing_weight_milli: weight_milli(s.fair_sharing.as_ref()),
    };
    (errs, c)
}

fn local_queue(doc: &Doc<LqSpec>) -> (Vec<FieldError>, LocalQueue) {
    let s = &doc.spec;
    let mut errs = name_errors(&doc.metadata);
    match s.cluster_queue.as_deref() {
        None | Some("") => errs.push(required("spec.clusterQueue")),
        Some(cq) => {
            if !is_dns1123_subdomain(cq).is_empty() {
                let msg = format!(
                    "spec.clusterQueue in body should match '{}'",
                    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
                );
                errs.push(invalid("spec.clusterQueue", &go_quote(cq), &msg));
            }
        }
    }
    enumeration(
        &mut errs,
        "spec.stopPolicy",
        s.stop_policy.as_ref(),
        &STOP_POLICIES,
    );
    let lq = LocalQueue {
        namespace: doc
            .metadata
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string()),
        name: doc.metadata.name.clone(),
        cluster_queue: s.cluster_queue.clone().unwrap_or_default(),
        stop_policy: stop_policy(s.stop_policy.as_ref()),
        fair_sharing_weight_milli: weight_milli(s.fair_sharing.as_ref()),
    };
    (errs, lq)
}

fn priority_class(doc: &WpcDoc) -> (Vec<FieldError>, WorkloadPriorityClass) {
    let mut errs = name_errors(&doc.metadata);
    if doc.value.is_none() {
        errs.push(required("value"));
    }
    if let Some(d) = &doc.description {
        if d.chars().count() > MAX_DESCRIPTION_LENGTH {
            errs.push(FieldError {
                path: "description".into(),
                message: format!("Too long: may not be more than {MAX_DESCRIPTION_LENGTH} bytes"),
            });
        }
    }
    let wpc = WorkloadPriorityClass {
        name: doc.metadata.name.clone(),
        value: doc.value.unwrap_or_default(),
    };
    (errs, wpc)
}

/// `scheduling.k8s.io/v1` PriorityClass validation (`ValidatePriorityClass`): a value, and a
/// preemption policy Kubernetes knows.
fn pod_priority_class(doc: &PcDoc) -> (Vec<FieldError>, PodPriorityClass) {
    let mut errs = name_errors(&doc.metadata);
    if doc.value.is_none() {
        errs.push(required("value"));
    }
    if let Some(p) = doc.preemption_policy.as_deref() {
        if p != "PreemptLowerPriority" && p != "Never" {
            errs.push(FieldError {
                path: "preemptionPolicy".into(),
                message: format!("Unsupported value: \"{p}\": supported values: \"Never\", \"PreemptLowerPriority\""),
            });
        }
    }
    let pc = PodPriorityClass {
        name: doc.metadata.name.clone(),
        value: doc.value.unwrap_or_default(),
        global_default: doc.global_default.unwrap_or(false),
        preempt_never: doc.preemption_policy.as_deref() == Some("Never"),
    };
    (errs, pc)
}

/// Matches the CRD's nodeLabel pattern: an optional DNS-subdomain prefix and a name part.
fn matches_node_label(v: &str) -> bool {
    let (prefix, name) = match v.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, v),
    };
    prefix.is_none_or(|p| is_dns1123_subdomain(p).is_empty())
        && !name.is_empty()
        && crate::api::validation::matches_label_value(name)
}

fn topology(doc: &Doc<TopologySpec>) -> (Vec<FieldError>, Topology) {
    let mut errs = name_errors(&doc.metadata);
    let levels = doc.spec.levels.as_deref();
    let mut schema = vec![];
    match levels {
        None => schema.push(required("spec.levels")),
        Some([]) => schema.push(too_few("spec.levels", 0, 1)),
        Some(l) if l.len() > MAX_TOPOLOGY_LEVELS => {
            schema.push(too_many("spec.levels", l.len(), MAX_TOPOLOGY_LEVELS))
        }
        Some(_) => {}
    }
    for (i, level) in levels.unwrap_or_default().iter().enumerate() {
        let p = format!("spec.levels[{i}].nodeLabel");
        let label = level.node_label.as_deref().unwrap_or("");
        if label.is_empty() {
            schema.push(invalid(
                &p,
                "\"\"",
                &format!("{p} in body should be at least 1 chars long"),
            ));
        } else if label.len() > MAX_NODE_LABEL_LENGTH {
            schema.push(FieldError {
                path: p.clone(),
                message: format!("Too long: may not be more than {MAX_NODE_LABEL_LENGTH} bytes"),
            });
        } else if !matches_node_label(label) {
            let msg = format!("{p} in body should match '{NODE_LABEL_PATTERN}'");
            schema.push(invalid(&p, &go_quote(label), &msg));
        }
    }
    if schema.is_empty() {
        let labels: Vec<&str> = levels
            .unwrap_or_default()
            .iter()
            .map(|l| l.node_label.as_deref().unwrap_or(""))
            .collect();
        let mut seen = BTreeSet::new();
        if let Some(i) = labels.iter().position(|l| !seen.insert(*l)) {
            schema.push(cel(
                format!("spec.levels[{i}]"),
                "spec.levels",
                "array",
                CEL_LEVELS_UNIQUE,
            ));
        }
        if let Some(i) = labels.iter().position(|l| *l == HOSTNAME_LABEL) {
            if labels.last() != Some(&HOSTNAME_LABEL) {
                schema.push(cel(
                    format!("spec.levels[{i}].nodeLabel"),
                    "spec.levels",
                    "array",
                    CEL_HOSTNAME_LOWEST,
                ));
            }
        }
    }
    errs.extend(schema);
    let t = Topology {
        name: doc.metadata.name.clone(),
        levels: levels
            .unwrap_or_default()
            .iter()
            .map(|l| l.node_label.clone().unwrap_or_default())
            .collect(),
    };
    (errs, t)
}

/// A CEL rule over every toleration: the field to point at, the message, the predicate.
type TolerationRule = (&'static str, &'static str, fn(&Toleration) -> bool);

/// A ResourceFlavor's admission errors, in the API server's order, and the flavor it resolves to.
fn flavor(doc: &Doc<FlavorSpec>) -> (Vec<FieldError>, ResourceFlavor) {
    let s = &doc.spec;
    let mut errs = name_errors(&doc.metadata);
    let mut schema = flavor_schema_errors(s);
    // CEL, when the schema passed.
    if schema.is_empty() {
        schema = flavor_cel_errors(s);
    }
    errs.extend(schema);
    let errs = staged(errs, || flavor_webhook_errors(s));
    (errs, resolve_flavor(doc))
}

/// The OpenAPI constraints of a ResourceFlavor: list lengths and required taint fields.
fn flavor_schema_errors(s: &FlavorSpec) -> Vec<FieldError> {
    let mut schema = vec![];
    if s.node_labels.len() > MAX_NODE_LABELS {
        schema.push(too_many(
            "spec.nodeLabels",
            s.node_labels.len(),
            MAX_NODE_LABELS,
        ));
    }
    if s.node_taints.len() > MAX_TAINTS {
        schema.push(too_many("spec.nodeTaints", s.node_taints.len(), MAX_TAINTS));
    }
    for (i, t) in s.node_taints.iter().enumerate() {
        if t.key.is_none() {
            schema.push(required(format!("spec.nodeTaints[{i}].key")));
        }
        if t.effect.is_none() {
            schema.push(required(format!("spec.nodeTaints[{i}].effect")));
        }
    }
    if s.tolerations.len() > MAX_TOLERATIONS {
        schema.push(too_many(
            "spec.tolerations",
            s.tolerations.len(),
            MAX_TOLERATIONS,
        ));
    }
    schema
}

/// The CRD's CEL rules of a ResourceFlavor: topology, taint effects, tolerations.
fn flavor_cel_errors(s: &FlavorSpec) -> Vec<FieldError> {
    let mut errs = vec![];
    if s.topology_name.is_some() && s.node_labels.is_empty() {
        errs.push(cel(
            "spec.topologyName",
            "spec",
            "object",
            CEL_TOPOLOGY_NEEDS_LABEL,
        ));
    }
    if let Some(i) = s
        .node_taints
        .iter()
        .position(|t| !TAINT_EFFECTS.contains(&t.effect.as_deref().unwrap_or("")))
    {
        errs.push(cel(
            format!("spec.nodeTaints[{i}].effect"),
            "spec.nodeTaints",
            "array",
            CEL_TAINT_EFFECTS,
        ));
    }
    tolerations_cel(&mut errs, &s.tolerations);
    errs
}

/// The CEL rules over `spec.tolerations`: each rule reports its first offending toleration.
fn tolerations_cel(errs: &mut Vec<FieldError>, tolerations: &[Toleration]) {
    let rules: [TolerationRule; 5] = [
        ("operator", CEL_TOLERATION_KEY, |x| {
            x.key.is_some() || x.operator.as_deref() == Some("Exists")
        }),
        ("tolerationSeconds", CEL_TOLERATION_SECONDS, |x| {
            x.toleration_seconds.is_none() || x.effect.as_deref() == Some("NoExecute")
        }),
        ("operator", CEL_TOLERATION_OPERATOR, |x| {
            x.operator
                .as_deref()
                .is_none_or(|o| o == "Equal" || o == "Exists")
        }),
        ("value", CEL_TOLERATION_VALUE, |x| {
            x.operator.as_deref() != Some("Exists") || x.value.is_none()
        }),
        ("effect", CEL_TAINT_EFFECTS, |x| {
            x.effect
                .as_deref()
                .is_none_or(|e| TAINT_EFFECTS.contains(&e))
        }),
    ];
    for (field, msg, ok) in rules {
        if let Some(i) = tolerations.iter().position(|x| !ok(x)) {
            errs.push(cel(
                format!("spec.tolerations[{i}].{field}"),
                "spec.tolerations",
                "array",
                msg,
            ));
        }
    }
}

/// The validating webhook's checks of a ResourceFlavor.
fn flavor_webhook_errors(s: &FlavorSpec) -> Vec<FieldError> {
    let mut w = vec![];
    labels(&mut w, "spec.nodeLabels", &s.node_labels);
    taints_webhook(&mut w, &s.node_taints);
    for (i, t) in s.tolerations.iter().enumerate() {
        if let Some(k) = t.key.as_deref().filter(|k| !k.is_empty()) {
            label_name(&mut w, &format!("spec.tolerations[{i}].key"), k);
        }
    }
    w
}

/// The webhook's taint checks: key and value syntax, one taint per key and effect.
fn taints_webhook(errs: &mut Vec<FieldError>, taints: &[RawTaint]) {
    let mut unique: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, t) in taints.iter().enumerate() {
        let key = t.key.clone().unwrap_or_default();
        let value = t.value.clone().unwrap_or_default();
        let effect = t.effect.clone().unwrap_or_default();
        label_name(errs, &format!("spec.nodeTaints[{i}].key"), &key);
        let value_errs = is_label_value(&value);
        if !value_errs.is_empty() {
            errs.push(invalid(
                format!("spec.nodeTaints[{i}].value"),
                &go_quote(&value),
                &value_errs.join(";"),
            ));
        }
        if !unique.insert((effect.clone(), key.clone())) {
            let shown = format!(
                "{{\"key\":{},\"value\":{},\"effect\":{}}}",
                json_str(&key),
                json_str(&value),
                json_str(&effect)
            );
            let mut d = duplicate(format!("spec.nodeTaints[{i}]"), &shown);
            d.message
                .push_str(": taints must be unique by key and effect pair");
            errs.push(d);
        }
    }
}

/// The ResourceFlavor a (possibly invalid) document stands for; incomplete taints are dropped.
fn resolve_flavor(doc: &Doc<FlavorSpec>) -> ResourceFlavor {
    let s = &doc.spec;
    ResourceFlavor {
        name: doc.metadata.name.clone(),
        node_labels: s.node_labels.clone(),
        node_taints: s
            .node_taints
            .iter()
            .filter_map(|t| {
                Some(Taint {
                    key: t.key.clone()?,
                    value: t.value.clone().unwrap_or_default(),
                    effect: crate::api::taint::TaintEffect::parse(t.effect.as_deref()?)?,
                })
            })
            .collect(),
        tolerations: s.tolerations.clone(),
        topology_name: s.topology_name.clone().filter(|t| !t.is_empty()),
    }
}

// =============================================================================================
// The whole setup
// =============================================================================================

/// Reports an object's errors, prefixed as the API server prints them.
fn report(out: &mut Out, at: &Where, kind: &str, name: &str, errs: Vec<FieldError>) {
    for e in errs {
        let message = format!("{kind} {} is invalid: {}", go_quote(name), e.message);
        out.errors.push(at.at(&e.path, message));
    }
}

/// Refuses a second object of a kind under one name (`key` holds the namespace for
/// LocalQueues).
fn unique(
    out: &mut Out,
    seen: &mut BTreeMap<String, String>,
    kind: &str,
    key: String,
    shown: &str,
    at: &Where,
) {
    if shown.is_empty() {
        return; // reported as a missing name
    }
    if let Some(prev) = seen.insert(key, at.describe()) {
        out.errors.push(at.at(
            "metadata.name",
            format!(
                "{kind} {} is already defined by {prev}; names must be unique",
                go_quote(shown)
            ),
        ));
    }
}

fn checked<T, R>(
    out: &mut Out,
    list: Vec<Placed<T>>,
    kind: &str,
    check: impl Fn(&T, bool) -> (Vec<FieldError>, R),
    name: impl Fn(&R) -> String,
) -> Vec<(R, Where)> {
    let mut seen = BTreeMap::new();
    let mut resolved = vec![];
    for p in list {
        let (errs, r) = check(&p.obj, p.v1beta1);
        let shown = name(&r);
        report(out, &p.at, kind, &shown, errs);
        let key = shown.clone();
        unique(out, &mut seen, kind, key, &shown, &p.at);
        resolved.push((r, p.at));
    }
    resolved
}

pub(super) fn resolve(read: Read, out: &mut Out) -> KueueSetup {
    let flavors = checked(
        out,
        read.flavors,
        "ResourceFlavor",
        |d, _| flavor(d),
        |r| r.name.clone(),
    );
    let cqs = checked(
        out,
        read.cluster_queues,
        "ClusterQueue",
        cluster_queue,
        |r| r.name.clone(),
    );
    let cohorts = checked(
        out,
        read.cohorts,
        "Cohort",
        |d, _| cohort(d),
        |r| r.name.clone(),
    );
    let wpcs = checked(
        out,
        read.priority_classes,
        "WorkloadPriorityClass",
        |d, _| priority_class(d),
        |r| r.name.clone(),
    );
    let pod_pcs = checked(
        out,
        read.pod_priority_classes,
        "PriorityClass",
        |d, _| pod_priority_class(d),
        |r| r.name.clone(),
    );
    let topologies = checked(
        out,
        read.topologies,
        "Topology",
        |d, _| topology(d),
        |r| r.name.clone(),
    );
    // LocalQueues are namespaced: the name is unique within its namespace.
    let mut lqs = vec![];
    let mut seen = BTreeMap::new();
    for p in read.local_queues {
        let (errs, lq) = local_queue(&p.obj);
        report(out, &p.at, "LocalQueue", &lq.name, errs);
        let key = format!("{}/{}", lq.namespace, lq.name);
        unique(out, &mut seen, "LocalQueue", key, &lq.name, &p.at);
        lqs.push((lq, p.at));
    }
    let checks = checked(
        out,
        read.admission_checks,
        "AdmissionCheck",
        |d, _| admission_check(d),
        |r| r.name.clone(),
    );
    let scripts = check_scripts(out, read.scripts, &checks);
    let config = match &read.config {
        Some(p) => super::config::resolve(&p.obj, &p.at, out),
        None => KueueConfig::default(),
    };
    references(out, &flavors, &cqs, &lqs, &cohorts, &topologies);
    check_references(out, &cqs, &checks, &scripts);
    KueueSetup {
        flavors: strip(flavors),
        cluster_queues: strip(cqs),
        local_queues: strip(lqs),
        cohorts: strip(cohorts),
        priority_classes: strip(wpcs),
        pod_priority_classes: strip(pod_pcs),
        topologies: strip(topologies),
        admission_checks: strip(checks),
        check_scripts: scripts,
        config,
    }
}

fn admission_check(doc: &Doc<AcSpec>) -> (Vec<FieldError>, AdmissionCheck) {
    let mut errs = name_errors(&doc.metadata);
    let controller_name = doc.spec.controller_name.clone().unwrap_or_default();
    if controller_name.is_empty() {
        errs.push(required("spec.controllerName"));
    }
    let ac = AdmissionCheck {
        name: doc.metadata.name.clone(),
        controller_name,
    };
    (errs, ac)
}

const CHECK_OUTCOMES: [&str; 3] = ["Ready", "Retry", "Rejected"];

/// `kueue.admissionCheckScripts`: each names an AdmissionCheck of the scenario once and says
/// what its controller answers, attempt by attempt.
fn check_scripts(
    out: &mut Out,
    raw: Vec<Placed<RawCheckScript>>,
    checks: &[(AdmissionCheck, Where)],
) -> Vec<CheckScript> {
    let names: BTreeSet<&str> = checks.iter().map(|(c, _)| c.name.as_str()).collect();
    let mut seen = BTreeMap::new();
    let mut scripts = vec![];
    for p in raw {
        script_check_name(out, &p, &names, &mut seen);
        let attempts = script_attempts(out, &p);
        if !attempts.is_empty() {
            scripts.push(CheckScript {
                check: p.obj.check.clone(),
                attempts,
            });
        }
    }
    scripts
}

/// Reports a script whose check is not defined, or whose check already has a script (`seen`
/// maps each scripted check to where its first script is).
fn script_check_name(
    out: &mut Out,
    p: &Placed<RawCheckScript>,
    names: &BTreeSet<&str>,
    seen: &mut BTreeMap<String, String>,
) {
    let check = &p.obj.check;
    let msg = if !names.contains(check.as_str()) {
        format!(
            "no AdmissionCheck named {} in the scenario's Kueue objects",
            go_quote(check)
        )
    } else if let Some(prev) = seen.insert(check.clone(), p.at.describe()) {
        format!(
            "AdmissionCheck {} already has a script ({prev}); one per check",
            go_quote(check)
        )
    } else {
        return;
    };
    out.errors.push(p.at.at("check", msg));
}

/// A script's attempts, from `readyAfter` or `attempts`; invalid ones are reported and left out.
fn script_attempts(out: &mut Out, p: &Placed<RawCheckScript>) -> Vec<CheckAttempt> {
    let r = &p.obj;
    let mut attempts = vec![];
    match (&r.ready_after, &r.attempts) {
        (Some(_), Some(_)) => out
            .errors
            .push(p.at.at("readyAfter", "give either readyAfter or attempts, not both")),
        (None, None) | (None, Some(_)) if r.attempts.as_ref().is_none_or(Vec::is_empty) => {
            out.errors.push(p.at.at(
                "",
                "a script needs readyAfter (a duration) or attempts (a non-empty list)",
            ))
        }
        (Some(d), None) => attempts.push(CheckAttempt {
            outcome: CheckOutcome::Ready,
            after_ns: d.ns,
            requeue_after_s: None,
            times: 1,
        }),
        (None, Some(list)) => {
            for (j, a) in list.iter().enumerate() {
                attempts.extend(check_attempt(out, &p.at, j, a));
            }
        }
        _ => {}
    }
    attempts
}

/// Attempt `j` of a script (`at` is where the script is), or `None` when its outcome is unknown.
fn check_attempt(out: &mut Out, at: &Where, j: usize, a: &RawCheckAttempt) -> Option<CheckAttempt> {
    let mut err = |field: &str, msg: String| {
        out.errors
            .push(at.at(&format!("attempts[{j}].{field}"), msg))
    };
    let outcome = match a.outcome.as_str() {
        "Ready" => CheckOutcome::Ready,
        "Retry" => CheckOutcome::Retry,
        "Rejected" => CheckOutcome::Rejected,
        other => {
            err("outcome", not_supported("", other, &CHECK_OUTCOMES).message);
            return None;
        }
    };
    let requeue_after_s = match a.requeue_after_seconds {
        Some(_) if outcome != CheckOutcome::Retry => {
            err(
                "requeueAfterSeconds",
                "only a Retry outcome has requeueAfterSeconds".into(),
            );
            None
        }
        Some(n) if n < 0 => {
            err("requeueAfterSeconds", NEGATIVE_MSG.into());
            None
        }
        n => n.map(|n| n as u64),
    };
    let times = match a.times {
        Some(n) if n < 1 => {
            err("times", "must be at least 1".into());
            1
        }
        Some(n) => n.min(i64::from(u32::MAX)) as u32,
        None => 1,
    };
    Some(CheckAttempt {
        outcome,
        after_ns: a.after.map_or(0, |d| d.ns),
        requeue_after_s,
        times,
    })
}

/// ClusterQueues naming admission checks: a missing check keeps the queue inactive; a check
/// without a script is Ready at once.
fn check_references(
    out: &mut Out,
    cqs: &[(ClusterQueue, Where)],
    checks: &[(AdmissionCheck, Where)],
    scripts: &[CheckScript],
) {
    let names: BTreeSet<&str> = checks.iter().map(|(c, _)| c.name.as_str()).collect();
    let scripted: BTreeSet<&str> = scripts.iter().map(|s| s.check.as_str()).collect();
    for (cq, at) in cqs {
        // v1beta1's plain `admissionChecks` is not found under this path; the note then
        // points at `spec`.
        for (name, _) in &cq.admission_checks {
            let msg = if !names.contains(name.as_str()) {
                format!("ClusterQueue {} refers to AdmissionCheck {}, which the scenario does not define: Kueue keeps the ClusterQueue inactive (AdmissionCheckNotFound) and admits nothing through it", go_quote(&cq.name), go_quote(name))
            } else if !scripted.contains(name.as_str()) {
                format!("AdmissionCheck {} has no script (kueue.admissionCheckScripts): jobset-sim answers Ready as soon as quota is reserved", go_quote(name))
            } else {
                continue;
            };
            out.notice(at.at("spec.admissionChecksStrategy", msg));
        }
    }
}

/// What Kueue tolerates but the user should hear: names that refer to nothing, cohort cycles,
/// (admission checks: `check_references`).
fn references(
    out: &mut Out,
    flavors: &[(ResourceFlavor, Where)],
    cqs: &[(ClusterQueue, Where)],
    lqs: &[(LocalQueue, Where)],
    cohorts: &[(Cohort, Where)],
    topologies: &[(Topology, Where)],
) {
    let flavor_names: BTreeSet<&str> = flavors.iter().map(|(f, _)| f.name.as_str()).collect();
    let topology_names: BTreeSet<&str> = topologies.iter().map(|(t, _)| t.name.as_str()).collect();
    let cq_names: BTreeSet<&str> = cqs.iter().map(|(c, _)| c.name.as_str()).collect();
    for (f, at) in flavors {
        if let Some(t) = f
            .topology_name
            .as_deref()
            .filter(|t| !topology_names.contains(t))
        {
            out.notice(at.at(
                "spec.topologyName",
                format!("ResourceFlavor {} refers to Topology {}, which the scenario does not define: Kueue keeps every ClusterQueue using this flavor inactive (TopologyNotFound)", go_quote(&f.name), go_quote(t)),
            ));
        }
    }
    for (cq, at) in cqs {
        for (i, g) in cq.resource_groups.iter().enumerate() {
            for (j, f) in g.flavors.iter().enumerate() {
                if !flavor_names.contains(f.name.as_str()) {
                    out.notice(at.at(
                        &format!("spec.resourceGroups[{i}].flavors[{j}].name"),
                        format!("ClusterQueue {} refers to ResourceFlavor {}, which the scenario does not define: Kueue keeps the ClusterQueue inactive (FlavorNotFound) and admits nothing through it", go_quote(&cq.name), go_quote(&f.name)),
                    ));
                }
            }
        }
    }
    for (lq, at) in lqs {
        if !lq.cluster_queue.is_empty() && !cq_names.contains(lq.cluster_queue.as_str()) {
            out.warning(at.at(
                "spec.clusterQueue",
                format!("LocalQueue {}/{} refers to ClusterQueue {}, which the scenario does not define: Workloads submitted to it stay pending (Misconfigured)", lq.namespace, lq.name, go_quote(&lq.cluster_queue)),
            ));
        }
    }
    // Cohort cycles: follow each cohort's parents among the Cohort objects.
    let parent: BTreeMap<&str, &str> = cohorts
        .iter()
        .filter_map(|(c, _)| Some((c.name.as_str(), c.parent.as_deref()?)))
        .collect();
    for (c, at) in cohorts {
        let mut chain = vec![c.name.as_str()];
        let mut cur = c.name.as_str();
        while let Some(&p) = parent.get(cur) {
            if p == c.name {
                chain.push(p);
                out.notice(at.at(
                    "spec.parentName",
                    format!("Cohort {} is in a cycle ({}): Kueue deactivates every member of the cycle, ClusterQueues included, until it is removed", go_quote(&c.name), chain.join(" → ")),
                ));
                break;
            }
            if chain.contains(&p) {
                break; // a cycle this cohort leads into, reported by its members
            }
            chain.push(p);
            cur = p;
        }
    }
}

fn strip<T>(v: Vec<(T, Where)>) -> Vec<T> {
    v.into_iter().map(|(r, _)| r).collect()
}

//! JobSet exclusive placement, leader/follower strategy (spec §6.2–§6.4), as pure functions:
//! the pod mutating webhook (`podWebhook.Default`), the pod validating webhook
//! (`podWebhook.ValidateCreate`), the leader lookup they share, and the decision of the
//! placement-repair pod reconciler (`pod_controller.go`).
//!
//! Upstream reference: kubernetes-sigs/jobset v0.12.0, `pkg/webhooks/pod_webhook.go`,
//! `pkg/controllers/pod_controller.go`, `pkg/util/placement/placement.go`. Where later `main`
//! behaves differently (§0 items 2–3: #1269 repair deletes followers, #1276 lookup ignores
//! terminal leaders) the caller picks the behaviour with [`PlacementVersion`].
//!
//! Error strings are the upstream ones, character for character, because the simulator reports
//! them as admission denials and reconcile errors.

use crate::api::keys::{
    EXCLUSIVE_TOPOLOGY, JOBSET_NAME, JOB_COMPLETION_INDEX, JOB_INDEX, JOB_KEY,
    NODE_SELECTOR_STRATEGY, PRIORITY, REPLICATED_JOB_NAME,
};
use crate::api::types::{
    Affinity, LabelSelector, LabelSelectorRequirement, PodAffinity, PodAffinityTerm, StringMap,
};
use crate::api::validation::go_quote;

/// Pod condition type the repair adds before deleting a follower (`corev1.DisruptionTarget`),
/// so that a Job `podFailurePolicy` can ignore these deletions.
pub(crate) const DISRUPTION_TARGET: &str = "DisruptionTarget";
/// Reason of that condition (`constants.ExclusivePlacementViolationReason`).
#[cfg(test)]
pub(crate) const EXCLUSIVE_PLACEMENT_VIOLATION_REASON: &str = "ExclusivePlacementViolation";
/// Message of that condition (`constants.ExclusivePlacementViolationMessage`).
#[cfg(test)]
pub(crate) const EXCLUSIVE_PLACEMENT_VIOLATION_MESSAGE: &str =
    "Pod violated JobSet exclusive placement policy";

/// A JobSet pod is named `<jobset>-<replicatedJob>-<jobIndex>-<podIndex>-<suffix>`, so the
/// upstream pod-name index ignores names with fewer dash-separated parts.
const MIN_POD_NAME_PARTS: usize = 5;

/// Label selector operators, spelled as in `metav1.LabelSelectorOperator`.
const OP_IN: &str = "In";
const OP_NOT_IN: &str = "NotIn";
const OP_EXISTS: &str = "Exists";

pub(crate) use crate::params::PlacementVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PodPhaseView {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// The parts of a pod the webhooks and the placement reconciler read or write.
///
/// An empty `node_selector` stands for Go's nil map: the API server does not persist an empty
/// `nodeSelector` (omitempty), so the webhooks and the controller never see an empty non-nil one.
/// An empty `owner_uid` means "no controller owner reference".
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct PodView {
    pub name: String,
    pub namespace: String,
    pub labels: StringMap,
    pub annotations: StringMap,
    pub node_name: Option<String>,
    pub node_selector: StringMap,
    pub affinity: Option<Affinity>,
    pub priority: Option<i32>,
    pub phase: PodPhaseView,
    pub terminating: bool,
    /// UID of the controller owner (the Job).
    pub owner_uid: String,
}

/// Outcome of the placement-repair reconciler for one scheduled leader.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlacementCheck {
    /// Nothing to do.
    Valid,
    /// Delete these follower pod names (main only). Before each deletion the caller adds the
    /// condition [`DISRUPTION_TARGET`]=True with [`EXCLUSIVE_PLACEMENT_VIOLATION_REASON`] and
    /// [`EXCLUSIVE_PLACEMENT_VIOLATION_MESSAGE`], then deletes with background propagation.
    DeleteFollowers(Vec<String>),
    /// Error and retry, nothing deleted.
    Error(String),
}

// ---------------------------------------------------------------------------------------------
// Pod classification
// ---------------------------------------------------------------------------------------------

/// The webhooks act only on pods the JobSet controller stamped (the jobset-name annotation).
pub(crate) fn is_jobset_pod(pod: &PodView) -> bool {
    pod.annotations.contains_key(JOBSET_NAME)
}

/// The leader is the pod with completion index "0" (`placement.IsLeaderPod`); every other pod,
/// including a NonIndexed one without the annotation, is a follower (§11 item 8).
pub(crate) fn is_leader(pod: &PodView) -> bool {
    pod.annotations
        .get(JOB_COMPLETION_INDEX)
        .map(String::as_str)
        == Some("0")
}

/// The exclusive topology key, unless the pod uses the node-selector strategy, which the pod
/// webhooks skip entirely (§6.5). Presence of the annotation counts, whatever its value.
#[cfg(test)]
pub(crate) fn uses_exclusive_placement(pod: &PodView) -> Option<&str> {
    if pod.annotations.contains_key(NODE_SELECTOR_STRATEGY) {
        return None;
    }
    pod.annotations.get(EXCLUSIVE_TOPOLOGY).map(String::as_str)
}

/// `spec.nodeName` if the pod is bound; an empty name counts as unscheduled, as in Go.
fn scheduled_node(pod: &PodView) -> Option<&str> {
    pod.node_name.as_deref().filter(|n| !n.is_empty())
}

/// Renders `pod.spec.priority` as the priority label value. Plain decimal, as in v0.12.0 and the
/// spec's `main` snapshot (the later "n"-prefix for negative values, #1291, is not modelled).
fn priority_label_value(priority: i32) -> String {
    priority.to_string()
}

// ---------------------------------------------------------------------------------------------
// Leader lookup (§6.3)
// ---------------------------------------------------------------------------------------------

/// Name of the follower's leader, `<jobset>-<replicatedJob>-<jobIndex>-0`, built from the
/// follower's labels (`genLeaderPodName`); the Job controller's random suffix is not part of it.
pub(crate) fn leader_pod_name(follower: &PodView) -> Result<String, String> {
    let label = |key: &str| {
        follower
            .labels
            .get(key)
            .ok_or_else(|| format!("pod missing label: {key}"))
    };
    let jobset = label(JOBSET_NAME)?;
    let replicated_job = label(REPLICATED_JOB_NAME)?;
    let job_index = label(JOB_INDEX)?;
    Ok(format!("{jobset}-{replicated_job}-{job_index}-0"))
}

/// The key of upstream's `podName` field index: the pod name without its last dash-separated
/// segment, for exclusive-placement pods whose name has at least five segments.
fn pod_name_index_key(pod: &PodView) -> Option<&str> {
    if !pod.annotations.contains_key(EXCLUSIVE_TOPOLOGY) {
        return None;
    }
    let parts = pod.name.split('-').count();
    if parts < MIN_POD_NAME_PARTS {
        return None;
    }
    pod.name.rfind('-').map(|cut| &pod.name[..cut])
}

/// What the leader lookup reads of a pod that carries the leader's name. Implemented by the
/// webhook's [`PodView`] and by the simulation's own pod objects, so the run and the webhook
/// tests go through one lookup ([`single_leader`]).
pub(crate) trait LeaderCandidate {
    /// The pod has a deletion timestamp.
    fn terminating(&self) -> bool;
    fn phase(&self) -> PodPhaseView;
}

impl LeaderCandidate for PodView {
    fn terminating(&self) -> bool {
        self.terminating
    }
    fn phase(&self) -> PodPhaseView {
        self.phase
    }
}

/// Whether an indexed pod still counts as a leader candidate. Terminating pods never count; since
/// #1276 (`main`) finished pods do not either, so a failed-and-replaced leader no longer makes the
/// count 2 and blocks the Job's followers forever.
fn counts_as_leader_candidate<P: LeaderCandidate + ?Sized>(
    pod: &P,
    version: PlacementVersion,
) -> bool {
    if pod.terminating() {
        return false;
    }
    match version {
        PlacementVersion::V0_12_0 => true,
        PlacementVersion::Main => {
            !matches!(pod.phase(), PodPhaseView::Failed | PodPhaseView::Succeeded)
        }
    }
}

/// The heart of `leaderPodForFollower`: of the pods carrying the leader's name, exactly one
/// may still count as a candidate. `Err` holds how many did (0 or 2 and more).
pub(crate) fn single_leader<'a, P: LeaderCandidate + 'a>(
    named_like_leader: impl IntoIterator<Item = &'a P>,
    version: PlacementVersion,
) -> Result<&'a P, usize> {
    let mut candidates = named_like_leader
        .into_iter()
        .filter(|p| counts_as_leader_candidate(*p, version));
    let first = candidates.next().ok_or(0usize)?;
    match candidates.count() {
        0 => Ok(first),
        more => Err(1 + more),
    }
}

/// The webhook's message when the lookup does not find exactly one leader.
pub(crate) fn leader_count_error(leader_name: &str, count: usize) -> String {
    format!(
        "expected 1 leader pod ({leader_name}), but got {count}. this is an expected, transient error"
    )
}

/// `podsOwnedBySameJob`: Jobs keep their name across JobSet restarts, so a leader found by name
/// may belong to the previous attempt; the controller owner UID tells them apart.
fn check_same_owner(leader: &PodView, follower: &PodView) -> Result<(), String> {
    if follower.owner_uid.is_empty() {
        return Err("follower pod has no owner reference".to_string());
    }
    if leader.owner_uid.is_empty() {
        return Err(format!(
            "leader pod {} has no owner reference",
            go_quote(&leader.name)
        ));
    }
    if follower.owner_uid != leader.owner_uid {
        return Err(format!(
            "follower pod owner UID ({}) != leader pod owner UID ({})",
            follower.owner_uid, leader.owner_uid
        ));
    }
    Ok(())
}

/// `leaderPodForFollower`: exactly one live pod in the follower's namespace must carry the leader
/// name (modulo suffix), and it must be owned by the same Job. List order of `pods_in_namespace`
/// does not matter: any count other than one is an error.
pub(crate) fn find_leader<'a>(
    follower: &PodView,
    pods_in_namespace: &'a [PodView],
    version: PlacementVersion,
) -> Result<&'a PodView, String> {
    let leader_name = leader_pod_name(follower)?;
    let named_like_leader = pods_in_namespace
        .iter()
        .filter(|p| p.namespace == follower.namespace)
        .filter(|p| pod_name_index_key(p) == Some(leader_name.as_str()));
    let leader = single_leader(named_like_leader, version)
        .map_err(|count| leader_count_error(&leader_name, count))?;
    check_same_owner(leader, follower)?;
    Ok(leader)
}

// ---------------------------------------------------------------------------------------------
// Mutating webhook (§6.2)
// ---------------------------------------------------------------------------------------------

/// One `matchExpressions` entry.
fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// A required term over `topology_key` in all namespaces (`namespaceSelector: {}`).
fn all_namespaces_term(
    topology_key: &str,
    expressions: Vec<LabelSelectorRequirement>,
) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_expressions: expressions,
            ..LabelSelector::default()
        }),
        namespace_selector: Some(LabelSelector::default()),
        topology_key: topology_key.to_string(),
        ..PodAffinityTerm::default()
    }
}

/// Appends the leader's terms after any user terms: affinity to its own Job keeps the domain the
/// Job's own, anti-affinity to other Jobs of the same priority keeps the domain exclusive.
/// Missing labels read as "" (a Go map lookup), so a leader without priority gets `In [""]`.
fn add_exclusive_affinities(pod: &mut PodView, topology_key: &str) {
    let job_key = pod.labels.get(JOB_KEY).cloned().unwrap_or_default();
    let priority = pod.labels.get(PRIORITY).cloned().unwrap_or_default();
    let affinity_term =
        all_namespaces_term(topology_key, vec![requirement(JOB_KEY, OP_IN, &[&job_key])]);
    let anti_affinity_term = all_namespaces_term(
        topology_key,
        vec![
            requirement(JOB_KEY, OP_EXISTS, &[]),
            requirement(JOB_KEY, OP_NOT_IN, &[&job_key]),
            requirement(PRIORITY, OP_IN, &[&priority]),
        ],
    );
    let affinity = pod.affinity.get_or_insert_with(Affinity::default);
    affinity
        .pod_affinity
        .get_or_insert_with(PodAffinity::default)
        .required_during_scheduling_ignored_during_execution
        .push(affinity_term);
    affinity
        .pod_anti_affinity
        .get_or_insert_with(PodAffinity::default)
        .required_during_scheduling_ignored_during_execution
        .push(anti_affinity_term);
}

/// The webhook's `topologyFromPod`: the value of `topology_key` on the leader's Node. A missing
/// Node is the API server's NotFound error and denies admission (since #1089, in v0.12.0).
fn leader_node_topology(
    node_name: &str,
    topology_key: &str,
    node_labels: &dyn Fn(&str) -> Option<StringMap>,
) -> Result<String, String> {
    let labels =
        node_labels(node_name).ok_or_else(|| format!("nodes \"{node_name}\" not found"))?;
    labels
        .get(topology_key)
        .cloned()
        .ok_or_else(|| format!("node does not have topology label: {topology_key}"))
}

/// The follower's `nodeSelector[topology_key]` value, or `None` to leave the pod unchanged when
/// the leader cannot be found or is not bound yet (the validating webhook then rejects it).
fn follower_selector_value(
    follower: &PodView,
    topology_key: &str,
    pods_in_namespace: &[PodView],
    node_labels: &dyn Fn(&str) -> Option<StringMap>,
    version: PlacementVersion,
) -> Result<Option<String>, String> {
    match lookup_leader(
        follower,
        topology_key,
        pods_in_namespace,
        node_labels,
        version,
    ) {
        LeaderLookup::NotFound(_) | LeaderLookup::Unscheduled => Ok(None),
        LeaderLookup::Bound(domain) => domain.map(Some),
    }
}

/// What the leader lookup finds for a follower, as both webhooks then read it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LeaderLookup {
    /// Not exactly one leader, or not of the same Job: the lookup's message.
    NotFound(String),
    /// The leader exists but is not bound to a node yet.
    Unscheduled,
    /// The leader is bound: the topology key's value on its node, or why it cannot be read.
    Bound(Result<String, String>),
}

/// [`LeaderLookup`] over the webhook's view of the namespace.
pub(crate) fn lookup_leader(
    follower: &PodView,
    topology_key: &str,
    pods_in_namespace: &[PodView],
    node_labels: &dyn Fn(&str) -> Option<StringMap>,
    version: PlacementVersion,
) -> LeaderLookup {
    match find_leader(follower, pods_in_namespace, version) {
        Err(message) => LeaderLookup::NotFound(message),
        Ok(leader) => match scheduled_node(leader) {
            None => LeaderLookup::Unscheduled,
            Some(node) => {
                LeaderLookup::Bound(leader_node_topology(node, topology_key, node_labels))
            }
        },
    }
}

/// The mutating and then the validating webhook on a follower of an exclusive-placement Job,
/// in upstream order: the topology domain its nodeSelector gets, or the denial message.
/// `own_selector` is the follower's nodeSelector as its Job's template writes it. The run
/// admits followers through this; a test checks it against [`default_pod`] followed by
/// [`validate_pod_create`] case by case.
pub(crate) fn admit_follower(
    own_selector: &StringMap,
    topology_key: &str,
    leader: LeaderLookup,
) -> Result<String, String> {
    // Mutating: a bound leader sets the selector, or its unreadable node denies the pod; after
    // it the validating webhook finds the same leader, bound, and admits.
    let pending_message = match leader {
        LeaderLookup::Bound(domain) => return domain,
        LeaderLookup::NotFound(message) => message,
        LeaderLookup::Unscheduled => "leader pod not yet scheduled, not creating follower pod. this is an expected, transient error".to_string(),
    };
    // Validating, with the selector left as the template wrote it.
    if own_selector.is_empty() {
        return Err("follower pod node selector not set".to_string());
    }
    if !own_selector.contains_key(topology_key) {
        return Err(format!(
            "follower pod node selector for topology domain not found. missing selector: {topology_key}"
        ));
    }
    Err(pending_message)
}

/// Mutating webhook. `node_labels(node_name)` returns the node's labels, or None if the node
/// does not exist.
///
/// On `Err` the pod is left exactly as it was: upstream denies the admission, so no partial
/// mutation may leak. The follower's Node is therefore read before anything is written.
pub(crate) fn default_pod(
    pod: &mut PodView,
    pods_in_namespace: &[PodView],
    node_labels: &dyn Fn(&str) -> Option<StringMap>,
    version: PlacementVersion,
) -> Result<(), String> {
    if !is_jobset_pod(pod) || pod.annotations.contains_key(NODE_SELECTOR_STRATEGY) {
        return Ok(());
    }
    let topology_key = pod.annotations.get(EXCLUSIVE_TOPOLOGY).cloned();
    let follower_selector = match &topology_key {
        Some(key) if !is_leader(pod) => {
            follower_selector_value(pod, key, pods_in_namespace, node_labels, version)?
        }
        _ => None,
    };
    // Every JobSet pod gets the priority label, so that other Jobs' anti-affinity sees it.
    if let Some(priority) = pod.priority {
        pod.labels
            .insert(PRIORITY.to_string(), priority_label_value(priority));
    }
    if let Some(key) = topology_key {
        if is_leader(pod) {
            add_exclusive_affinities(pod, &key);
        } else if let Some(value) = follower_selector {
            pod.node_selector.insert(key, value);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Validating webhook (§6.2)
// ---------------------------------------------------------------------------------------------

/// Validating webhook (CREATE). Checks in upstream order: the nodeSelector checks come before the
/// leader lookup, so an unscheduled leader usually surfaces as "node selector not set".
/// A run decides followers with `admit_follower`, one step per pod; this object-level
/// version is the reference its tests hold that decision to, so it is built for tests only.
#[cfg(test)]
pub(crate) fn validate_pod_create(
    pod: &PodView,
    pods_in_namespace: &[PodView],
    version: PlacementVersion,
) -> Result<(), String> {
    if !is_jobset_pod(pod) {
        return Ok(());
    }
    let Some(topology_key) = uses_exclusive_placement(pod) else {
        return Ok(());
    };
    if is_leader(pod) {
        return Ok(());
    }
    if pod.node_selector.is_empty() {
        return Err("follower pod node selector not set".to_string());
    }
    if !pod.node_selector.contains_key(topology_key) {
        return Err(format!(
            "follower pod node selector for topology domain not found. missing selector: {topology_key}"
        ));
    }
    let leader = find_leader(pod, pods_in_namespace, version)?;
    if scheduled_node(leader).is_none() {
        return Err(
            "leader pod not yet scheduled, not creating follower pod. this is an expected, transient error"
                .to_string(),
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Placement-repair reconciler (§6.4)
// ---------------------------------------------------------------------------------------------

/// The reconciler's watch predicate: only scheduled, live leaders with the exclusive annotation
/// are reconciled. Returns their topology key. Like upstream, node-selector-strategy leaders are
/// not exempt (§6.5 caveat, §11 item 7); callers wanting the intended behaviour skip them.
fn reconciled_topology_key(leader: &PodView) -> Option<&str> {
    let reconciled = is_leader(leader) && scheduled_node(leader).is_some() && !leader.terminating;
    if !reconciled {
        return None;
    }
    leader
        .annotations
        .get(EXCLUSIVE_TOPOLOGY)
        .map(String::as_str)
}

/// The controller's `leaderPodTopology`: a missing Node is ignored (topology ""), as a Node can
/// vanish briefly during maintenance; a Node without the label is an error.
fn leader_topology(
    node_name: &str,
    topology_key: &str,
    node_labels: &dyn Fn(&str) -> Option<StringMap>,
) -> Result<String, String> {
    match node_labels(node_name) {
        None => Ok(String::new()),
        Some(labels) => labels
            .get(topology_key)
            .cloned()
            .ok_or_else(|| format!("node does not have topology label: {topology_key}")),
    }
}

/// The pods the reconciler compares: upstream lists the `podJobKey` index (exclusive pods with
/// the leader's job-key, in its namespace) and skips leaders. On `main` only pods of the leader's
/// own Job (same owner UID) are kept, so pods of a previous attempt are not judged (spec §6.4).
fn job_followers<'a>(
    leader: &PodView,
    job_key: &str,
    pods: &'a [PodView],
    version: PlacementVersion,
) -> Vec<&'a PodView> {
    pods.iter()
        .filter(|p| p.namespace == leader.namespace)
        .filter(|p| p.annotations.contains_key(EXCLUSIVE_TOPOLOGY))
        .filter(|p| p.labels.get(JOB_KEY).map(String::as_str) == Some(job_key))
        .filter(|p| version == PlacementVersion::V0_12_0 || p.owner_uid == leader.owner_uid)
        .filter(|p| !is_leader(p))
        .collect()
}

/// `followerPodTopology` compared with the leader's: the reason this follower violates the
/// placement, or None if its `nodeSelector[key]` equals the leader topology.
fn follower_violation(
    follower: &PodView,
    topology_key: &str,
    leader_topology: &str,
) -> Option<String> {
    if follower.node_selector.is_empty() {
        return Some(format!("pod {} nodeSelector is nil", follower.name));
    }
    let Some(topology) = follower.node_selector.get(topology_key) else {
        return Some(format!(
            "pod {} nodeSelector is missing key: {topology_key}",
            follower.name
        ));
    };
    (topology != leader_topology).then(|| {
        format!(
            "follower topology {} != leader topology {}",
            go_quote(topology),
            go_quote(leader_topology)
        )
    })
}

/// What the reconciler does about a violation. v0.12.0 only returns the error (and retries);
/// `main` (#1269) deletes every follower, except when the leader's Node is gone (empty topology):
/// then the right domain is unknown, so it still errors and retries. That error reuses the
/// violation message (the exact `main` wording is not in the spec).
fn repair(
    violation: String,
    leader_topology: &str,
    followers: &[&PodView],
    version: PlacementVersion,
) -> PlacementCheck {
    if version == PlacementVersion::V0_12_0 || leader_topology.is_empty() {
        return PlacementCheck::Error(violation);
    }
    PlacementCheck::DeleteFollowers(followers.iter().map(|p| p.name.clone()).collect())
}

/// Placement-repair decision for one scheduled leader and the pods of its Job (`followers` may
/// also hold the leader or unrelated pods; they are filtered as the upstream index does).
pub(crate) fn check_placement(
    leader: &PodView,
    followers: &[PodView],
    node_labels: &dyn Fn(&str) -> Option<StringMap>,
    version: PlacementVersion,
) -> PlacementCheck {
    let Some(topology_key) = reconciled_topology_key(leader) else {
        return PlacementCheck::Valid;
    };
    let Some(job_key) = leader.labels.get(JOB_KEY) else {
        return PlacementCheck::Error(format!(
            "job key label not found on leader pod: {}",
            go_quote(&leader.name)
        ));
    };
    let node_name = scheduled_node(leader).unwrap_or_default();
    let leader_topology = match leader_topology(node_name, topology_key, node_labels) {
        Ok(topology) => topology,
        Err(e) => return PlacementCheck::Error(e),
    };
    let followers = job_followers(leader, job_key, followers, version);
    let violation = followers
        .iter()
        .find_map(|f| follower_violation(f, topology_key, &leader_topology));
    match violation {
        None => PlacementCheck::Valid,
        Some(v) => repair(v, &leader_topology, &followers, version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlacementVersion::{Main, V0_12_0};

    const ZONE: &str = "topology.kubernetes.io/zone";
    const BOTH: [PlacementVersion; 2] = [V0_12_0, Main];

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn no_nodes(_: &str) -> Option<StringMap> {
        None
    }

    /// node-a in zone-a, as in upstream `TestDefault`.
    fn node_a_zone_a(name: &str) -> Option<StringMap> {
        (name == "node-a").then(|| map(&[(ZONE, "zone-a")]))
    }

    /// A pod of Job `js-rjob-0` in "default", owned by job-uid-1, exclusive on zone.
    fn jobset_pod(name: &str, completion_index: &str) -> PodView {
        PodView {
            name: name.to_string(),
            namespace: "default".to_string(),
            labels: map(&[
                (JOBSET_NAME, "js"),
                (REPLICATED_JOB_NAME, "rjob"),
                (JOB_INDEX, "0"),
                (JOB_KEY, "js-rjob-0"),
            ]),
            annotations: map(&[
                (JOBSET_NAME, "js"),
                (EXCLUSIVE_TOPOLOGY, ZONE),
                (JOB_COMPLETION_INDEX, completion_index),
            ]),
            priority: Some(100),
            owner_uid: "job-uid-1".to_string(),
            ..PodView::default()
        }
    }

    fn leader(name: &str, node: Option<&str>) -> PodView {
        PodView {
            node_name: node.map(str::to_string),
            ..jobset_pod(name, "0")
        }
    }

    fn follower() -> PodView {
        jobset_pod("js-rjob-0-1-abc", "1")
    }

    fn expected_exclusive_terms(
        job_key: &str,
        priority: &str,
    ) -> (PodAffinityTerm, PodAffinityTerm) {
        let selector = |reqs: Vec<LabelSelectorRequirement>| {
            Some(LabelSelector {
                match_labels: StringMap::new(),
                match_expressions: reqs,
            })
        };
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.to_string(),
            operator: op.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        let affinity = PodAffinityTerm {
            label_selector: selector(vec![req("jobset.sigs.k8s.io/job-key", "In", &[job_key])]),
            namespace_selector: Some(LabelSelector::default()),
            namespaces: vec![],
            topology_key: ZONE.to_string(),
            match_label_keys: vec![],
            mismatch_label_keys: vec![],
        };
        let anti = PodAffinityTerm {
            label_selector: selector(vec![
                req("jobset.sigs.k8s.io/job-key", "Exists", &[]),
                req("jobset.sigs.k8s.io/job-key", "NotIn", &[job_key]),
                req("jobset.sigs.k8s.io/priority", "In", &[priority]),
            ]),
            ..affinity.clone()
        };
        (affinity, anti)
    }

    fn required(terms: &Option<PodAffinity>) -> &[PodAffinityTerm] {
        terms
            .as_ref()
            .map(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_slice()
            })
            .unwrap_or_default()
    }

    // ---- TestDefault ------------------------------------------------------------------------

    // TestDefault "not a jobset pod"
    #[test]
    fn default_non_jobset_pod_untouched() {
        for v in BOTH {
            let mut pod = PodView {
                name: "p".into(),
                priority: Some(100),
                annotations: map(&[(EXCLUSIVE_TOPOLOGY, ZONE)]),
                ..PodView::default()
            };
            let before = pod.clone();
            assert_eq!(default_pod(&mut pod, &[], &no_nodes, v), Ok(()));
            assert_eq!(pod, before);
        }
    }

    // TestDefault "using node selector strategy": no priority label, no affinities (§6.5).
    #[test]
    fn default_node_selector_strategy_untouched() {
        for v in BOTH {
            let mut pod = leader("js-rjob-0-0-xyz", None);
            pod.annotations
                .insert(NODE_SELECTOR_STRATEGY.to_string(), String::new());
            let before = pod.clone();
            assert_eq!(default_pod(&mut pod, &[], &no_nodes, v), Ok(()));
            assert_eq!(pod, before);
            let mut f = follower();
            f.annotations
                .insert(NODE_SELECTOR_STRATEGY.to_string(), String::new());
            let before = f.clone();
            assert_eq!(default_pod(&mut f, &[], &no_nodes, v), Ok(()));
            assert_eq!(f, before);
        }
    }

    // TestDefault "jobset pod, no exclusive placement, no priority"
    #[test]
    fn default_jobset_pod_without_priority_unchanged() {
        let mut pod = PodView {
            name: "p".into(),
            annotations: map(&[(JOBSET_NAME, "js")]),
            ..PodView::default()
        };
        let before = pod.clone();
        assert_eq!(default_pod(&mut pod, &[], &no_nodes, Main), Ok(()));
        assert_eq!(pod, before);
    }

    // TestDefault "jobset pod, no exclusive placement, with priority"
    #[test]
    fn default_jobset_pod_with_priority_gets_label_only() {
        let mut pod = PodView {
            name: "p".into(),
            annotations: map(&[(JOBSET_NAME, "js")]),
            priority: Some(100),
            ..PodView::default()
        };
        assert_eq!(default_pod(&mut pod, &[], &no_nodes, Main), Ok(()));
        assert_eq!(pod.labels, map(&[(PRIORITY, "100")]));
        assert_eq!(pod.affinity, None);
        assert!(pod.node_selector.is_empty());
    }

    // TestDefault "leader pod with exclusive placement" (§9.2 #19), exact terms.
    #[test]
    fn default_leader_gets_exact_exclusive_terms() {
        for v in BOTH {
            let mut pod = PodView {
                name: "p-leader".into(),
                labels: map(&[(JOB_KEY, "js-rjob-0")]),
                annotations: map(&[
                    (JOBSET_NAME, "js"),
                    (EXCLUSIVE_TOPOLOGY, ZONE),
                    (JOB_COMPLETION_INDEX, "0"),
                    (REPLICATED_JOB_NAME, "rjob"),
                    (JOB_INDEX, "0"),
                ]),
                priority: Some(100),
                ..PodView::default()
            };
            assert_eq!(default_pod(&mut pod, &[], &no_nodes, v), Ok(()));
            assert_eq!(
                pod.labels,
                map(&[(JOB_KEY, "js-rjob-0"), (PRIORITY, "100")])
            );
            let (aff, anti) = expected_exclusive_terms("js-rjob-0", "100");
            let want = Affinity {
                node_affinity: None,
                pod_affinity: Some(PodAffinity {
                    required_during_scheduling_ignored_during_execution: vec![aff],
                    preferred_during_scheduling_ignored_during_execution: vec![],
                }),
                pod_anti_affinity: Some(PodAffinity {
                    required_during_scheduling_ignored_during_execution: vec![anti],
                    preferred_during_scheduling_ignored_during_execution: vec![],
                }),
            };
            assert_eq!(pod.affinity, Some(want));
            assert!(pod.node_selector.is_empty());
        }
    }

    // Leader terms are appended after user-supplied terms, which are kept.
    #[test]
    fn default_leader_appends_after_user_terms() {
        let user_term = PodAffinityTerm {
            topology_key: "kubernetes.io/hostname".into(),
            ..PodAffinityTerm::default()
        };
        let mut pod = leader("js-rjob-0-0-xyz", None);
        pod.affinity = Some(Affinity {
            pod_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: vec![user_term.clone()],
                ..PodAffinity::default()
            }),
            ..Affinity::default()
        });
        assert_eq!(default_pod(&mut pod, &[], &no_nodes, Main), Ok(()));
        let affinity = pod.affinity.as_ref().cloned().unwrap_or_default();
        let (aff, anti) = expected_exclusive_terms("js-rjob-0", "100");
        assert_eq!(required(&affinity.pod_affinity), &[user_term, aff][..]);
        assert_eq!(required(&affinity.pod_anti_affinity), &[anti][..]);
    }

    // Upstream "leader is not labeled" case: no priority → the anti-affinity term has In [""].
    #[test]
    fn default_leader_without_priority_uses_empty_priority_value() {
        let mut pod = leader("js-rjob-0-0-xyz", None);
        pod.priority = None;
        assert_eq!(default_pod(&mut pod, &[], &no_nodes, Main), Ok(()));
        assert!(!pod.labels.contains_key(PRIORITY));
        let affinity = pod.affinity.clone().unwrap_or_default();
        let (_, anti) = expected_exclusive_terms("js-rjob-0", "");
        assert_eq!(required(&affinity.pod_anti_affinity), &[anti][..]);
    }

    // TestDefault "follower pod, leader scheduled" (§9.2 #20): node-a in zone-a.
    #[test]
    fn default_follower_with_scheduled_leader_gets_node_selector() {
        for v in BOTH {
            let pods = [leader("js-rjob-0-0-leader", Some("node-a"))];
            let mut pod = follower();
            assert_eq!(default_pod(&mut pod, &pods, &node_a_zone_a, v), Ok(()));
            assert_eq!(pod.node_selector, map(&[(ZONE, "zone-a")]));
            assert_eq!(pod.labels.get(PRIORITY).map(String::as_str), Some("100"));
            assert_eq!(pod.affinity, None, "followers get no affinity terms");
        }
    }

    // TestDefault "follower pod, leader not scheduled": only the priority label is added.
    #[test]
    fn default_follower_with_unscheduled_leader_only_gets_priority_label() {
        for v in BOTH {
            let pods = [leader("js-rjob-0-0-leader", None)];
            let mut pod = follower();
            let mut want = pod.clone();
            want.labels.insert(PRIORITY.into(), "100".into());
            assert_eq!(default_pod(&mut pod, &pods, &node_a_zone_a, v), Ok(()));
            assert_eq!(pod, want);
            // ...and the validating webhook then rejects it.
            assert_eq!(
                validate_pod_create(&pod, &pods, v),
                Err("follower pod node selector not set".to_string())
            );
        }
    }

    // TestDefault "follower pod, leader scheduled on missing node": NotFound, pod unchanged.
    #[test]
    fn default_follower_with_leader_on_missing_node_errors() {
        for v in BOTH {
            let pods = [leader("js-rjob-0-0-leader", Some("node-a"))];
            let mut pod = follower();
            let before = pod.clone();
            assert_eq!(
                default_pod(&mut pod, &pods, &no_nodes, v),
                Err("nodes \"node-a\" not found".to_string())
            );
            assert_eq!(pod, before, "a denied admission leaves no partial mutation");
        }
    }

    // topologyFromPod: leader's Node lacks the topology label → error.
    #[test]
    fn default_follower_with_unlabelled_leader_node_errors() {
        let pods = [leader("js-rjob-0-0-leader", Some("node-b"))];
        let node_b = |n: &str| (n == "node-b").then(StringMap::new);
        let mut pod = follower();
        assert_eq!(
            default_pod(&mut pod, &pods, &node_b, Main),
            Err(format!("node does not have topology label: {ZONE}"))
        );
    }

    // setNodeSelector: a failed leader lookup is not an error; the pod is left for validation.
    #[test]
    fn default_follower_without_leader_is_left_for_validation() {
        for v in BOTH {
            let mut pod = follower();
            assert_eq!(default_pod(&mut pod, &[], &node_a_zone_a, v), Ok(()));
            assert!(pod.node_selector.is_empty());
            assert_eq!(pod.labels.get(PRIORITY).map(String::as_str), Some("100"));
        }
    }

    // Priority label is plain decimal in v0.12.0 and the spec's main (#1291 not modelled).
    #[test]
    fn default_priority_label_is_plain_decimal() {
        let mut pod = jobset_pod("js-rjob-0-0-x", "0");
        pod.annotations.remove(EXCLUSIVE_TOPOLOGY);
        pod.priority = Some(-5);
        assert_eq!(default_pod(&mut pod, &[], &no_nodes, Main), Ok(()));
        assert_eq!(pod.labels.get(PRIORITY).map(String::as_str), Some("-5"));
    }

    // ---- TestLeaderPodName ------------------------------------------------------------------

    // TestLeaderPodName "valid pod"
    #[test]
    fn leader_pod_name_from_labels() {
        assert_eq!(leader_pod_name(&follower()), Ok("js-rjob-0-0".to_string()));
    }

    // TestLeaderPodName "pod missing labels", one message per label, checked in upstream order.
    #[test]
    fn leader_pod_name_missing_labels() {
        for key in [JOBSET_NAME, REPLICATED_JOB_NAME, JOB_INDEX] {
            let mut pod = follower();
            pod.labels.remove(key);
            assert_eq!(
                leader_pod_name(&pod),
                Err(format!("pod missing label: {key}"))
            );
        }
        assert_eq!(
            leader_pod_name(&PodView::default()),
            Err("pod missing label: jobset.sigs.k8s.io/jobset-name".to_string())
        );
    }

    // ---- TestPodsOwnedBySameJob -------------------------------------------------------------

    fn owned(name: &str, uid: &str) -> PodView {
        PodView {
            name: name.into(),
            owner_uid: uid.into(),
            ..PodView::default()
        }
    }

    // TestPodsOwnedBySameJob, all four cases.
    #[test]
    fn pods_owned_by_same_job() {
        assert_eq!(
            check_same_owner(
                &owned("leader-pod", "job-uid-1"),
                &owned("follower-pod", "job-uid-1")
            ),
            Ok(())
        );
        assert_eq!(
            check_same_owner(
                &owned("leader-pod", "job-uid-1"),
                &owned("follower-pod", "job-uid-2")
            ),
            Err("follower pod owner UID (job-uid-2) != leader pod owner UID (job-uid-1)".into())
        );
        assert_eq!(
            check_same_owner(
                &owned("leader-pod", "job-uid-1"),
                &owned("follower-pod", "")
            ),
            Err("follower pod has no owner reference".into())
        );
        assert_eq!(
            check_same_owner(
                &owned("leader-pod", ""),
                &owned("follower-pod", "job-uid-2")
            ),
            Err("leader pod \"leader-pod\" has no owner reference".into())
        );
    }

    #[test]
    fn go_quote_escapes_like_go() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\x01\"");
    }

    // ---- TestLeaderPodForFollower -----------------------------------------------------------

    // "valid leader pod exists"
    #[test]
    fn find_leader_valid() {
        for v in BOTH {
            let pods = [leader("js-rjob-0-0-xyz", None), follower()];
            assert_eq!(find_leader(&follower(), &pods, v), Ok(&pods[0]));
        }
    }

    // "follower pod missing labels"
    #[test]
    fn find_leader_follower_missing_labels() {
        let mut f = follower();
        f.labels.remove(JOB_INDEX);
        let pods = [leader("js-rjob-0-0-xyz", None)];
        assert_eq!(
            find_leader(&f, &pods, Main),
            Err("pod missing label: jobset.sigs.k8s.io/job-index".to_string())
        );
    }

    // "no leader pod found"
    #[test]
    fn find_leader_none() {
        for v in BOTH {
            assert_eq!(
                find_leader(&follower(), &[], v),
                Err("expected 1 leader pod (js-rjob-0-0), but got 0. this is an expected, transient error".into())
            );
        }
    }

    // "multiple leader pods found"
    #[test]
    fn find_leader_multiple() {
        for v in BOTH {
            let pods = [
                leader("js-rjob-0-0-xyz", None),
                leader("js-rjob-0-0-uvw", None),
            ];
            assert_eq!(
                find_leader(&follower(), &pods, v),
                Err("expected 1 leader pod (js-rjob-0-0), but got 2. this is an expected, transient error".into())
            );
        }
    }

    // "leader pod is terminating" → got 0, in both versions.
    #[test]
    fn find_leader_terminating_only() {
        for v in BOTH {
            let mut l = leader("js-rjob-0-0-xyz", Some("node-a"));
            l.terminating = true;
            assert_eq!(
                find_leader(&follower(), &[l], v),
                Err("expected 1 leader pod (js-rjob-0-0), but got 0. this is an expected, transient error".into())
            );
        }
    }

    // "leader and follower owned by different jobs"
    #[test]
    fn find_leader_different_owner() {
        let mut l = leader("js-rjob-0-0-xyz", None);
        l.owner_uid = "job-uid-2".into();
        assert_eq!(
            find_leader(&follower(), &[l], Main),
            Err("follower pod owner UID (job-uid-1) != leader pod owner UID (job-uid-2)".into())
        );
    }

    // #1276: an active leader next to a Failed or Succeeded old leader. Main picks the active
    // one; v0.12.0 counts the terminal one too, so the lookup fails with "got 2".
    #[test]
    fn find_leader_ignores_terminal_leader_on_main_only() {
        for phase in [PodPhaseView::Failed, PodPhaseView::Succeeded] {
            let mut old = leader("js-rjob-0-0-old", Some("node-b"));
            old.phase = phase;
            let active = leader("js-rjob-0-0-new", Some("node-a"));
            let pods = [old, active];
            assert_eq!(find_leader(&follower(), &pods, Main), Ok(&pods[1]));
            assert_eq!(
                find_leader(&follower(), &pods, V0_12_0),
                Err("expected 1 leader pod (js-rjob-0-0), but got 2. this is an expected, transient error".into())
            );
        }
    }

    // Only a terminal leader left: v0.12.0 still finds it, main reports "got 0".
    #[test]
    fn find_leader_only_terminal_leader() {
        let mut failed = leader("js-rjob-0-0-old", Some("node-a"));
        failed.phase = PodPhaseView::Failed;
        let pods = [failed];
        assert_eq!(find_leader(&follower(), &pods, V0_12_0), Ok(&pods[0]));
        assert_eq!(
            find_leader(&follower(), &pods, Main),
            Err("expected 1 leader pod (js-rjob-0-0), but got 0. this is an expected, transient error".into())
        );
    }

    // The podName index: only exclusive pods with >= 5 name parts, in the follower's namespace.
    #[test]
    fn find_leader_respects_pod_name_index() {
        let mut not_exclusive = leader("js-rjob-0-0-a", None);
        not_exclusive.annotations.remove(EXCLUSIVE_TOPOLOGY);
        let mut other_ns = leader("js-rjob-0-0-b", None);
        other_ns.namespace = "other".into();
        // "js-rjob-0-0" itself has 4 parts: it is not indexed at all.
        let no_suffix = leader("js-rjob-0-0", None);
        // "js-rjob-0-0-x-y" strips to "js-rjob-0-0-x", not the leader name.
        let extra_part = leader("js-rjob-0-0-x-y", None);
        let pods = [not_exclusive, other_ns, no_suffix, extra_part];
        assert_eq!(
            find_leader(&follower(), &pods, Main),
            Err("expected 1 leader pod (js-rjob-0-0), but got 0. this is an expected, transient error".into())
        );
        assert_eq!(
            pod_name_index_key(&leader("a-b-c-d-e", None)),
            Some("a-b-c-d")
        );
        assert_eq!(pod_name_index_key(&leader("a--b-c-", None)), Some("a--b-c"));
    }

    // ---- TestPodWebhook_DuplicateLeaderPods -------------------------------------------------

    // Two live leader pods: defaulting leaves the follower alone, validation rejects it.
    #[test]
    fn duplicate_leader_pods_reject_follower() {
        for v in BOTH {
            let pods = [
                leader("js-rjob-0-0-xyz", Some("node-a")),
                leader("js-rjob-0-0-uvw", Some("node-a")),
            ];
            let mut pod = follower();
            assert_eq!(default_pod(&mut pod, &pods, &node_a_zone_a, v), Ok(()));
            assert!(pod.node_selector.is_empty());
            assert_eq!(
                validate_pod_create(&pod, &pods, v),
                Err("follower pod node selector not set".to_string())
            );
            // With a selector already present the lookup error itself surfaces.
            pod.node_selector = map(&[(ZONE, "zone-a")]);
            assert_eq!(
                validate_pod_create(&pod, &pods, v),
                Err("expected 1 leader pod (js-rjob-0-0), but got 2. this is an expected, transient error".into())
            );
        }
    }

    // The #1276 deadlock end to end: a Failed old leader and its scheduled replacement.
    #[test]
    fn duplicate_leader_pods_failed_old_leader_blocks_only_v0_12_0() {
        let mut old = leader("js-rjob-0-0-old", Some("node-b"));
        old.phase = PodPhaseView::Failed;
        let pods = [old, leader("js-rjob-0-0-new", Some("node-a"))];

        let mut on_main = follower();
        assert_eq!(
            default_pod(&mut on_main, &pods, &node_a_zone_a, Main),
            Ok(())
        );
        assert_eq!(on_main.node_selector, map(&[(ZONE, "zone-a")]));
        assert_eq!(validate_pod_create(&on_main, &pods, Main), Ok(()));

        let mut on_v012 = follower();
        assert_eq!(
            default_pod(&mut on_v012, &pods, &node_a_zone_a, V0_12_0),
            Ok(())
        );
        assert_eq!(
            validate_pod_create(&on_v012, &pods, V0_12_0),
            Err("follower pod node selector not set".to_string())
        );
    }

    // ---- ValidateCreate ---------------------------------------------------------------------

    // Pods the validating webhook does not look at.
    #[test]
    fn validate_skips_non_exclusive_pods() {
        let plain = PodView::default();
        let mut node_selector_strategy = follower();
        node_selector_strategy
            .annotations
            .insert(NODE_SELECTOR_STRATEGY.into(), "true".into());
        let mut not_exclusive = follower();
        not_exclusive.annotations.remove(EXCLUSIVE_TOPOLOGY);
        let mut not_jobset = follower();
        not_jobset.annotations.remove(JOBSET_NAME);
        for pod in [plain, node_selector_strategy, not_exclusive, not_jobset] {
            assert_eq!(validate_pod_create(&pod, &[], Main), Ok(()));
        }
    }

    // Leaders are admitted immediately.
    #[test]
    fn validate_admits_leader() {
        assert_eq!(
            validate_pod_create(&leader("js-rjob-0-0-xyz", None), &[], V0_12_0),
            Ok(())
        );
    }

    // Check 3: no nodeSelector, reported even though the leader is missing (order matters).
    #[test]
    fn validate_follower_without_node_selector() {
        assert_eq!(
            validate_pod_create(&follower(), &[], Main),
            Err("follower pod node selector not set".to_string())
        );
    }

    // Check 4: a nodeSelector without the topology key.
    #[test]
    fn validate_follower_missing_topology_selector() {
        let mut pod = follower();
        pod.node_selector = map(&[("kubernetes.io/os", "linux")]);
        let pods = [leader("js-rjob-0-0-xyz", Some("node-a"))];
        assert_eq!(
            validate_pod_create(&pod, &pods, Main),
            Err(format!(
                "follower pod node selector for topology domain not found. missing selector: {ZONE}"
            ))
        );
    }

    // Check 5: leader lookup errors are returned as they are.
    #[test]
    fn validate_follower_leader_lookup_error() {
        let mut pod = follower();
        pod.node_selector = map(&[(ZONE, "zone-a")]);
        assert_eq!(
            validate_pod_create(&pod, &[], Main),
            Err("expected 1 leader pod (js-rjob-0-0), but got 0. this is an expected, transient error".into())
        );
        let mut stale = leader("js-rjob-0-0-xyz", Some("node-a"));
        stale.owner_uid = "job-uid-0".into();
        assert_eq!(
            validate_pod_create(&pod, &[stale], Main),
            Err("follower pod owner UID (job-uid-1) != leader pod owner UID (job-uid-0)".into())
        );
    }

    // Check 6: leader found but not scheduled (also for an empty nodeName).
    #[test]
    fn validate_follower_leader_not_scheduled() {
        let mut pod = follower();
        pod.node_selector = map(&[(ZONE, "zone-a")]);
        for node in [None, Some("")] {
            let pods = [leader("js-rjob-0-0-xyz", node)];
            assert_eq!(
                validate_pod_create(&pod, &pods, Main),
                Err("leader pod not yet scheduled, not creating follower pod. this is an expected, transient error".into())
            );
        }
    }

    // All checks pass.
    #[test]
    fn validate_follower_admitted() {
        let mut pod = follower();
        pod.node_selector = map(&[(ZONE, "zone-a")]);
        let pods = [leader("js-rjob-0-0-xyz", Some("node-a"))];
        for v in BOTH {
            assert_eq!(validate_pod_create(&pod, &pods, v), Ok(()));
        }
    }

    // ---- TestValidatePodPlacements ----------------------------------------------------------

    const TEST_KEY: &str = "test-node-topologyKey";
    const FOLLOWER_NAME: &str = "test-jobset-replicated-job-1-test-job-0-1";

    /// Upstream fixture: leader `...-test-job-0-0` on test-node, follower `...-test-job-0-1`.
    fn placement_pod(name: &str, completion_index: &str) -> PodView {
        PodView {
            name: name.into(),
            namespace: "default".into(),
            labels: map(&[(JOB_KEY, "key-test-job-0")]),
            annotations: map(&[
                (JOBSET_NAME, "test-jobset"),
                (EXCLUSIVE_TOPOLOGY, TEST_KEY),
                (JOB_COMPLETION_INDEX, completion_index),
            ]),
            owner_uid: "job-uid".into(),
            ..PodView::default()
        }
    }

    fn placement_leader() -> PodView {
        PodView {
            node_name: Some("test-node".into()),
            ..placement_pod("test-jobset-replicated-job-1-test-job-0-0", "0")
        }
    }

    fn placement_follower(selector: &[(&str, &str)]) -> PodView {
        PodView {
            node_selector: map(selector),
            ..placement_pod(FOLLOWER_NAME, "1")
        }
    }

    fn test_node(name: &str) -> Option<StringMap> {
        (name == "test-node").then(|| map(&[(TEST_KEY, "topologyDomain")]))
    }

    // "topology node label not found"
    #[test]
    fn placements_node_without_topology_label() {
        let unlabelled = |n: &str| (n == "test-node").then(StringMap::new);
        for v in BOTH {
            let pods = [
                placement_leader(),
                placement_follower(&[(TEST_KEY, "topologyDomain")]),
            ];
            assert_eq!(
                check_placement(&placement_leader(), &pods, &unlabelled, v),
                PlacementCheck::Error(format!("node does not have topology label: {TEST_KEY}"))
            );
        }
    }

    // "valid pod placements" (and no followers at all)
    #[test]
    fn placements_valid() {
        for v in BOTH {
            let pods = [
                placement_leader(),
                placement_follower(&[(TEST_KEY, "topologyDomain")]),
            ];
            assert_eq!(
                check_placement(&placement_leader(), &pods, &test_node, v),
                PlacementCheck::Valid
            );
            assert_eq!(
                check_placement(&placement_leader(), &[], &test_node, v),
                PlacementCheck::Valid
            );
        }
    }

    // "follower pod nodeSelector is nil" (upstream's "is empty" case is the same pod here).
    #[test]
    fn placements_follower_selector_nil() {
        let pods = [placement_follower(&[])];
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, V0_12_0),
            PlacementCheck::Error(format!("pod {FOLLOWER_NAME} nodeSelector is nil"))
        );
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, Main),
            PlacementCheck::DeleteFollowers(vec![FOLLOWER_NAME.into()])
        );
    }

    // A nodeSelector without the topology key.
    #[test]
    fn placements_follower_selector_missing_key() {
        let pods = [placement_follower(&[("other", "x")])];
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, V0_12_0),
            PlacementCheck::Error(format!(
                "pod {FOLLOWER_NAME} nodeSelector is missing key: {TEST_KEY}"
            ))
        );
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, Main),
            PlacementCheck::DeleteFollowers(vec![FOLLOWER_NAME.into()])
        );
    }

    // "followerTopology != leaderTopology"
    #[test]
    fn placements_topology_mismatch() {
        let pods = [placement_follower(&[(TEST_KEY, "topologyDomain1")])];
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, V0_12_0),
            PlacementCheck::Error(
                "follower topology \"topologyDomain1\" != leader topology \"topologyDomain\""
                    .into()
            )
        );
    }

    // Leader's Node missing: topology "" without error; a violation then errors in both versions
    // (main cannot repair without knowing the domain); no followers → nothing to do.
    #[test]
    fn placements_leader_node_missing() {
        let pods = [placement_follower(&[(TEST_KEY, "topologyDomain")])];
        for v in BOTH {
            assert_eq!(
                check_placement(&placement_leader(), &pods, &no_nodes, v),
                PlacementCheck::Error(
                    "follower topology \"topologyDomain\" != leader topology \"\"".into()
                )
            );
            assert_eq!(
                check_placement(&placement_leader(), &[], &no_nodes, v),
                PlacementCheck::Valid
            );
        }
    }

    // ---- TestReconcileDeletesMismatchedFollowerPods (§9.2 #21) ------------------------------

    // Main deletes every follower (also the matching ones) and never the leader; v0.12.0 returns
    // the first violation as an error and deletes nothing.
    #[test]
    fn reconcile_deletes_mismatched_follower_pods() {
        let mut good = placement_follower(&[(TEST_KEY, "topologyDomain")]);
        good.name = "test-jobset-replicated-job-1-test-job-0-2".into();
        let mut bad = placement_follower(&[(TEST_KEY, "wrong-topology")]);
        bad.name = "test-jobset-replicated-job-1-test-job-0-3".into();
        let pods = [placement_leader(), good.clone(), bad.clone()];
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, Main),
            PlacementCheck::DeleteFollowers(vec![good.name.clone(), bad.name.clone()])
        );
        assert_eq!(
            check_placement(&placement_leader(), &pods, &test_node, V0_12_0),
            PlacementCheck::Error(
                "follower topology \"wrong-topology\" != leader topology \"topologyDomain\"".into()
            )
        );
        assert_eq!(DISRUPTION_TARGET, "DisruptionTarget");
        assert_eq!(
            EXCLUSIVE_PLACEMENT_VIOLATION_REASON,
            "ExclusivePlacementViolation"
        );
        assert_eq!(
            EXCLUSIVE_PLACEMENT_VIOLATION_MESSAGE,
            "Pod violated JobSet exclusive placement policy"
        );
    }

    // Watch predicate: unscheduled, terminating, non-leader or non-exclusive pods are not
    // reconciled.
    #[test]
    fn reconcile_only_scheduled_live_exclusive_leaders() {
        let pods = [placement_follower(&[(TEST_KEY, "wrong")])];
        let mut unscheduled = placement_leader();
        unscheduled.node_name = None;
        let mut terminating = placement_leader();
        terminating.terminating = true;
        let mut not_exclusive = placement_leader();
        not_exclusive.annotations.remove(EXCLUSIVE_TOPOLOGY);
        let not_leader = PodView {
            node_name: Some("test-node".into()),
            ..placement_follower(&[(TEST_KEY, "topologyDomain")])
        };
        for l in [unscheduled, terminating, not_exclusive, not_leader] {
            assert_eq!(
                check_placement(&l, &pods, &test_node, Main),
                PlacementCheck::Valid
            );
        }
    }

    // Reconcile: a leader without job-key cannot list its Job's pods.
    #[test]
    fn reconcile_leader_without_job_key() {
        let mut l = placement_leader();
        l.labels.remove(JOB_KEY);
        assert_eq!(
            check_placement(&l, &[], &test_node, Main),
            PlacementCheck::Error(
                "job key label not found on leader pod: \"test-jobset-replicated-job-1-test-job-0-0\""
                    .into()
            )
        );
    }

    // Only the leader's Job is judged: other job-keys, namespaces and non-exclusive pods are
    // outside the index; on main, pods of another owner (a previous attempt) are skipped too.
    #[test]
    fn reconcile_ignores_pods_outside_the_job() {
        let mut other_job = placement_follower(&[(TEST_KEY, "wrong")]);
        other_job.labels.insert(JOB_KEY.into(), "other".into());
        let mut other_ns = placement_follower(&[(TEST_KEY, "wrong")]);
        other_ns.namespace = "other".into();
        let mut not_exclusive = placement_follower(&[(TEST_KEY, "wrong")]);
        not_exclusive.annotations.remove(EXCLUSIVE_TOPOLOGY);
        let mut old_attempt = placement_follower(&[(TEST_KEY, "wrong")]);
        old_attempt.owner_uid = "old-job-uid".into();
        let outside = [other_job, other_ns, not_exclusive];
        for v in BOTH {
            assert_eq!(
                check_placement(&placement_leader(), &outside, &test_node, v),
                PlacementCheck::Valid
            );
        }
        let stale = [old_attempt];
        assert_eq!(
            check_placement(&placement_leader(), &stale, &test_node, Main),
            PlacementCheck::Valid
        );
        assert_eq!(
            check_placement(&placement_leader(), &stale, &test_node, V0_12_0),
            PlacementCheck::Error(
                "follower topology \"wrong\" != leader topology \"topologyDomain\"".into()
            )
        );
    }

    // §6.5 caveat / §11 #7: node-selector-strategy followers have no nodeSelector[K]; like
    // upstream, main deletes them and v0.12.0 errors. Callers skip such leaders for the intended
    // behaviour (uses_exclusive_placement returns None for them).
    #[test]
    fn reconcile_node_selector_strategy_is_not_exempt() {
        let strategy = |mut p: PodView| {
            p.annotations
                .insert(NODE_SELECTOR_STRATEGY.into(), "true".into());
            p
        };
        let l = strategy(placement_leader());
        let pods = [strategy(placement_follower(&[(
            "alpha.jobset.sigs.k8s.io/namespaced-job",
            "default_test-job-0",
        )]))];
        assert_eq!(uses_exclusive_placement(&l), None);
        assert_eq!(
            check_placement(&l, &pods, &test_node, Main),
            PlacementCheck::DeleteFollowers(vec![FOLLOWER_NAME.into()])
        );
        assert!(matches!(
            check_placement(&l, &pods, &test_node, V0_12_0),
            PlacementCheck::Error(_)
        ));
    }

    // ---- Classification helpers -------------------------------------------------------------

    #[test]
    fn classification_helpers() {
        let l = leader("js-rjob-0-0-x", None);
        let f = follower();
        assert!(is_jobset_pod(&l) && is_leader(&l) && !is_leader(&f));
        assert_eq!(uses_exclusive_placement(&f), Some(ZONE));
        assert!(!is_jobset_pod(&PodView::default()));
        assert!(
            !is_leader(&PodView::default()),
            "no completion index → follower"
        );
        assert_eq!(PodPhaseView::default(), PodPhaseView::Pending);
    }

    /// The run admits followers through `admit_follower`; the webhooks' own model is
    /// `default_pod` then `validate_pod_create`. They must agree on every leader situation and
    /// every selector the template may carry, on both versions.
    #[test]
    fn admit_follower_agrees_with_both_webhooks_in_order() {
        let other_owner = PodView {
            owner_uid: "job-uid-0".into(),
            ..leader("js-rjob-0-0-old", Some("node-a"))
        };
        let finished = PodView {
            phase: PodPhaseView::Failed,
            ..leader("js-rjob-0-0-old", Some("node-a"))
        };
        let terminating = PodView {
            terminating: true,
            ..leader("js-rjob-0-0-old", Some("node-a"))
        };
        let namespaces: Vec<Vec<PodView>> = vec![
            vec![],
            vec![leader("js-rjob-0-0-ldr", None)],
            vec![leader("js-rjob-0-0-ldr", Some("node-a"))],
            vec![leader("js-rjob-0-0-ldr", Some("node-b"))],
            vec![other_owner],
            vec![finished.clone(), leader("js-rjob-0-0-ldr", Some("node-a"))],
            vec![terminating, leader("js-rjob-0-0-ldr", Some("node-a"))],
            vec![finished, leader("js-rjob-0-0-ldr", None)],
        ];
        let node_labels = |name: &str| match name {
            "node-a" => Some(map(&[(ZONE, "zone-a")])),
            "node-b" => Some(map(&[("other", "x")])),
            _ => None,
        };
        let selectors = [map(&[]), map(&[("pool", "p")]), map(&[(ZONE, "zone-z")])];
        let mut admitted = 0;
        for v in BOTH {
            for pods in &namespaces {
                for selector in &selectors {
                    let mut pod = PodView {
                        node_selector: selector.clone(),
                        ..follower()
                    };
                    let lookup = lookup_leader(&pod, ZONE, pods, &node_labels, v);
                    let webhooks = default_pod(&mut pod, pods, &node_labels, v)
                        .and_then(|()| validate_pod_create(&pod, pods, v))
                        .map(|()| pod.node_selector[ZONE].clone());
                    let combined = admit_follower(selector, ZONE, lookup);
                    assert_eq!(combined, webhooks, "{v:?} {pods:?} {selector:?}");
                    admitted += usize::from(combined.is_ok());
                }
            }
        }
        assert!(
            admitted > 0 && admitted < 2 * 8 * 3,
            "both outcomes are covered"
        );
    }
}

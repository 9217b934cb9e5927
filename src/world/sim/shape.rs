//! A pod's scheduling-relevant shape, compiled once per Job from its pod template: dense resource
//! requests, interned node selector, tolerations, priority.

use crate::api::types::{PodSpec, StringMap, Toleration};
use crate::cluster::{resources, Cluster, ResourceIndex};
use crate::engine::time::secs_field_ns;
use crate::scheduler::affinity::{AffinityIndex, Op, ScoreTerm, Term};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodShape {
    /// Milli-units per resource dimension, `pods` included (1 pod = 1000).
    pub request: Vec<i64>,
    /// The nodeSelector as written, for messages.
    pub node_selector: Vec<(String, String)>,
    /// Interned selector; `None` when some pair is carried by no node at all.
    pub selector_ids: Option<Vec<(u32, u32)>>,
    pub tolerations: Vec<Toleration>,
    pub node_name: Option<String>,
    /// `spec.priority` as the Priority admission plugin sets it (its PriorityClass, the
    /// global default, else 0): set by `Scheduler::compile_pod_shape`; `compile` reads the
    /// written `priority` only.
    pub priority: i32,
    /// `spec.preemptionPolicy: Never` (written or from the PriorityClass): the pod never
    /// preempts others (DefaultPreemption's `PodEligibleToPreemptOthers`).
    pub preempt_never: bool,
    /// Readiness probe initial delay; `None` when the pod is Ready as soon as it runs.
    pub ready_delay_ns: Option<u64>,
    pub grace_period_ns: u64,
    /// cpu and memory as scoring counts them: kube-scheduler substitutes 100m cpu and 200Mi
    /// memory for a container that requests none, so empty pods still spread.
    pub score_request: [i64; 2],
    /// The main container's `restartPolicyRules` (KEP-5307): exit codes that restart it in
    /// place even under `restartPolicy: Never`. (NotIn?, values) per rule, in order.
    pub restart_rules: Vec<(bool, Vec<i32>)>,
    /// Required node affinity: terms ORed, each a list of requirements ANDed.
    pub node_affinity: Option<Vec<Vec<NodeRequirement>>>,
    /// NodeAffinity PreFilter's result: the node names every required term pins with
    /// `matchFields metadata.name In`, when each term has such a requirement (DaemonSet pods are
    /// pinned this way). Filter then runs on these nodes only; `Some(empty)` when the terms
    /// conflict and no node can match.
    pub prefilter_node_names: Option<Vec<String>>,
    /// Required inter-pod affinity and anti-affinity terms.
    pub affinity: Vec<Term>,
    pub anti_affinity: Vec<Term>,
    /// The required affinity terms again, as InterPodAffinity Score weighs them for pods that
    /// come later (hardPodAffinityWeight).
    pub hard_affinity: Vec<ScoreTerm>,
    /// Preferred inter-pod affinity (positive weights) and anti-affinity (negative) terms.
    pub preferred: Vec<ScoreTerm>,
    /// Preferred node affinity: (weight, requirements ANDed).
    pub preferred_node_affinity: Vec<(i64, Vec<NodeRequirement>)>,
    /// The pod carries a scheduling gate (`spec.schedulingGates`): the scheduler's
    /// SchedulingGates PreEnqueue plugin keeps it out of the queue until the gate is removed.
    pub gated: bool,
}

/// One `matchExpressions` requirement on a node label, or one `matchFields` requirement on
/// the node's name (`metadata.name`, the only field Kubernetes allows there).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeRequirement {
    pub key: String,
    pub op: NodeOp,
    /// A `matchFields` requirement: `key` is `metadata.name` and the value is the node's name.
    pub on_node_name: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeOp {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    Gt(i64),
    Lt(i64),
    Invalid,
}

/// The node field `matchFields` may select on.
pub(crate) const NODE_NAME_FIELD: &str = "metadata.name";

/// Whether every requirement of a node selector term holds on `node`. An empty term matches no
/// node (core/v1 `NodeSelectorTerm`: "A null or empty node selector term matches no objects").
pub(crate) fn term_matches(cluster: &Cluster, node: u32, term: &[NodeRequirement]) -> bool {
    !term.is_empty() && term.iter().all(|r| r.holds_on(cluster, node))
}

impl NodeRequirement {
    fn holds_on(&self, cluster: &Cluster, node: u32) -> bool {
        if self.on_node_name {
            self.holds(Some(&cluster.node(node).name))
        } else {
            self.holds(cluster.label_value(node, &self.key))
        }
    }

    pub(crate) fn holds(&self, value: Option<&str>) -> bool {
        match &self.op {
            NodeOp::In(vs) => value.is_some_and(|v| vs.iter().any(|x| x == v)),
            NodeOp::NotIn(vs) => value.is_none_or(|v| vs.iter().all(|x| x != v)),
            NodeOp::Exists => value.is_some(),
            NodeOp::DoesNotExist => value.is_none(),
            NodeOp::Gt(n) => value
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            NodeOp::Lt(n) => value
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
            NodeOp::Invalid => false,
        }
    }
}

fn compile_node_affinity(spec: &PodSpec) -> Option<Vec<Vec<NodeRequirement>>> {
    let required = spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?;
    Some(required.node_selector_terms.iter().map(node_term).collect())
}

/// A term's label requirements followed by its field requirements, all ANDed.
fn node_term(t: &crate::api::types::NodeSelectorTerm) -> Vec<NodeRequirement> {
    let labels = t.match_expressions.iter().map(node_requirement);
    // The API server admits only `metadata.name` here; like an unknown operator, any other
    // field never holds.
    let fields = t.match_fields.iter().map(|e| {
        let mut r = node_requirement(e);
        r.on_node_name = true;
        if e.key != NODE_NAME_FIELD {
            r.op = NodeOp::Invalid;
        }
        r
    });
    labels.chain(fields).collect()
}

/// NodeAffinity's PreFilter (kubernetes `nodeaffinity/node_affinity.go`): the union over the
/// required terms of each term's `metadata.name In` values (intersected within a term), or
/// `None` when some term has no such requirement (the terms are ORed, so any node may match).
fn prefilter_node_names(terms: &[Vec<NodeRequirement>]) -> Option<Vec<String>> {
    let mut union: std::collections::BTreeSet<String> = Default::default();
    for term in terms {
        let mut term_names: Option<std::collections::BTreeSet<String>> = None;
        for r in term.iter().filter(|r| r.on_node_name) {
            if let NodeOp::In(values) = &r.op {
                let set = values.iter().cloned().collect();
                term_names = Some(match term_names {
                    None => set,
                    Some(prev) => prev.intersection(&set).cloned().collect(),
                });
            }
        }
        union.extend(term_names?);
    }
    (!terms.is_empty()).then(|| union.into_iter().collect())
}

/// A node selector requirement compiled (an operator Kubernetes would reject matches nothing).
pub(crate) fn node_requirement(e: &crate::api::types::NodeSelectorRequirement) -> NodeRequirement {
    let single = || e.values.first().and_then(|v| v.parse::<i64>().ok());
    let op = match e.operator.as_str() {
        "In" => NodeOp::In(e.values.clone()),
        "NotIn" => NodeOp::NotIn(e.values.clone()),
        "Exists" => NodeOp::Exists,
        "DoesNotExist" => NodeOp::DoesNotExist,
        "Gt" => single().map(NodeOp::Gt).unwrap_or(NodeOp::Invalid),
        "Lt" => single().map(NodeOp::Lt).unwrap_or(NodeOp::Invalid),
        _ => NodeOp::Invalid,
    };
    NodeRequirement {
        key: e.key.clone(),
        op,
        on_node_name: false,
    }
}

fn compile_preferred_node_affinity(spec: &PodSpec) -> Vec<(i64, Vec<NodeRequirement>)> {
    let Some(na) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
    else {
        return vec![];
    };
    na.preferred_during_scheduling_ignored_during_execution
        .iter()
        .map(|p| (p.weight as i64, node_term(&p.preference)))
        .collect()
}

/// kube-scheduler's default `hardPodAffinityWeight` (InterPodAffinityArgs): what a placed pod's
/// required affinity term adds to the score of a pod it matches.
pub(crate) const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Does the pod template carry inter-pod (anti-)affinity terms?
pub(crate) fn has_inter_pod_terms(spec: &PodSpec) -> bool {
    spec.affinity
        .as_ref()
        .is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some())
}

/// Adds the pod template's inter-pod terms, compiled against the pods' labels and namespace.
/// With terms, the index must be labelled ([`AffinityIndex::labelled`]).
pub(crate) fn compile_with_affinity(
    spec: &PodSpec,
    cluster: &Cluster,
    placement: &mut AffinityIndex,
    labels: &StringMap,
    namespace: &str,
) -> PodShape {
    let mut shape = compile(spec, cluster);
    let Some(a) = &spec.affinity else {
        return shape;
    };
    if a.pod_affinity.is_none() && a.pod_anti_affinity.is_none() {
        // Most shapes (followers, plain pods) have no inter-pod terms: skip the label copy.
        return shape;
    }
    assert!(
        placement.labelled(),
        "the affinity index keeps Jobs' labels before an inter-pod term is compiled (Scheduler::compile_pod_shape)"
    );
    let own = AffinityIndex::match_labels(labels, namespace);
    if let Some(pa) = &a.pod_affinity {
        let required = &pa.required_during_scheduling_ignored_during_execution;
        shape.affinity = placement.compile_terms(cluster, required, &own, false);
        shape.hard_affinity = placement.compile_score_terms(
            cluster,
            required.iter().map(|t| (t, HARD_POD_AFFINITY_WEIGHT)),
            &own,
        );
        shape.preferred = placement.compile_score_terms(
            cluster,
            pa.preferred_during_scheduling_ignored_during_execution
                .iter()
                .map(|w| (&w.pod_affinity_term, w.weight as i64)),
            &own,
        );
    }
    if let Some(pa) = &a.pod_anti_affinity {
        shape.anti_affinity = placement.compile_terms(
            cluster,
            &pa.required_during_scheduling_ignored_during_execution,
            &own,
            true,
        );
        let anti = placement.compile_score_terms(
            cluster,
            pa.preferred_during_scheduling_ignored_during_execution
                .iter()
                .map(|w| (&w.pod_affinity_term, -(w.weight as i64))),
            &own,
        );
        shape.preferred.extend(anti);
    }
    shape
}

impl PodShape {
    /// This shape as compiled for a pod whose label `key` reads `to` where this one's pod read
    /// `from`, when that label enters the shape only through its inter-pod terms: their
    /// `key` requirements' values and their owner's `$SELF` value. (A JobSet leader's terms
    /// name its own Job's `job-key`: `create_job` compiles a replicated job's leader once and
    /// gives each further Job this copy; the normalized forms, and so `norm`, are the same.)
    pub(crate) fn with_own_label(&self, key: &str, from: &str, to: &str) -> PodShape {
        let mut shape = self.clone();
        let swap = |selector: &mut crate::scheduler::affinity::Selector,
                    self_value: &mut Option<String>| {
            for (k, op) in &mut selector.reqs {
                if let (true, Op::In(vs) | Op::NotIn(vs)) = (k == key, op) {
                    for v in vs.iter_mut().filter(|v| *v == from) {
                        *v = to.to_string();
                    }
                }
            }
            if self_value.as_deref() == Some(from) {
                *self_value = Some(to.to_string());
            }
        };
        for t in shape.affinity.iter_mut().chain(&mut shape.anti_affinity) {
            swap(std::sync::Arc::make_mut(&mut t.selector), &mut t.self_value);
        }
        for t in shape.hard_affinity.iter_mut().chain(&mut shape.preferred) {
            swap(&mut t.selector, &mut t.self_value);
        }
        shape
    }

    /// Does a container exit with `code` restart in place under the container restart rules?
    pub(crate) fn rule_restarts(&self, code: i32) -> bool {
        self.restart_rules
            .iter()
            .any(|(not_in, values)| values.contains(&code) != *not_in)
    }
}

/// Reads `restartPolicyRules: [{action: Restart, exitCodes: {operator, values}}]`, which the
/// API types keep as an opaque value because only this part of it changes behaviour.
fn restart_rules(container: Option<&crate::api::types::Container>) -> Vec<(bool, Vec<i32>)> {
    let Some(serde_yaml_ng::Value::Sequence(rules)) =
        container.and_then(|c| c.restart_policy_rules.as_ref())
    else {
        return vec![];
    };
    rules
        .iter()
        .filter(|r| r.get("action").and_then(|a| a.as_str()) == Some("Restart"))
        .filter_map(|r| {
            let codes = r.get("exitCodes")?;
            let not_in = codes.get("operator").and_then(|o| o.as_str()) == Some("NotIn");
            let values = codes
                .get("values")
                .and_then(|v| v.as_sequence())
                .map(|vs| {
                    vs.iter()
                        .filter_map(|v| v.as_i64())
                        .map(|v| v as i32)
                        .collect()
                })
                .unwrap_or_default();
            Some((not_in, values))
        })
        .collect()
}

/// Non-zero defaults of pkg/scheduler/util (DefaultMilliCPURequest, DefaultMemoryRequest).
const DEFAULT_MILLI_CPU: i64 = 100;
const DEFAULT_MEMORY_MILLI: i64 = 200 * 1024 * 1024 * 1000;

/// The effective request of a pod: the larger of the sum over containers and the largest init
/// container, per resource, as the scheduler computes it. Limits stand in for missing requests
/// (API defaulting).
pub(crate) fn pod_requests(spec: &PodSpec) -> BTreeMap<String, i64> {
    let container_req = |c: &crate::api::types::Container| {
        let mut m: BTreeMap<String, i64> = c
            .resources
            .limits
            .iter()
            .map(|(k, v)| (k.clone(), v.milli))
            .collect();
        for (k, v) in &c.resources.requests {
            m.insert(k.clone(), v.milli);
        }
        m
    };
    let mut sum: BTreeMap<String, i64> = BTreeMap::new();
    for c in &spec.containers {
        for (k, v) in container_req(c) {
            *sum.entry(k).or_default() += v;
        }
    }
    for c in &spec.init_containers {
        for (k, v) in container_req(c) {
            let e = sum.entry(k).or_default();
            *e = (*e).max(v);
        }
    }
    sum
}

/// Registers every resource a pod spec requests, so cluster arrays can be sized up front.
pub(crate) fn intern_resources(spec: &PodSpec, index: &mut ResourceIndex) {
    for name in pod_requests(spec).keys() {
        index.intern(name);
    }
}

/// A nodeSelector interned against the cluster's labels; `None` when some pair is carried by
/// no node at all.
pub(crate) fn selector_ids(
    selector: &[(String, String)],
    cluster: &Cluster,
) -> Option<Vec<(u32, u32)>> {
    (selector.iter())
        .map(|(k, v)| Some((cluster.keys.get(k)?, cluster.values.get(v)?)))
        .collect()
}

pub(crate) fn compile(spec: &PodSpec, cluster: &Cluster) -> PodShape {
    let mut request = vec![0i64; cluster.dims()];
    for (name, milli) in pod_requests(spec) {
        if let Some(i) = cluster.resources.get(&name) {
            request[i] = milli;
        }
    }
    request[resources::PODS] = 1000;
    let node_selector: Vec<(String, String)> = spec
        .node_selector
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let selector_ids = selector_ids(&node_selector, cluster);
    let ready_delay_ns = spec
        .containers
        .iter()
        .filter_map(|c| c.readiness_probe.as_ref())
        .map(|p| secs_field_ns(p.initial_delay_seconds.unwrap_or(0) as i64))
        .max();
    let score_request = [
        if request[resources::CPU] == 0 {
            DEFAULT_MILLI_CPU
        } else {
            request[resources::CPU]
        },
        if request[resources::MEMORY] == 0 {
            DEFAULT_MEMORY_MILLI
        } else {
            request[resources::MEMORY]
        },
    ];
    let node_affinity = compile_node_affinity(spec);
    PodShape {
        preferred_node_affinity: compile_preferred_node_affinity(spec),
        prefilter_node_names: node_affinity.as_deref().and_then(prefilter_node_names),
        node_affinity,
        affinity: vec![],
        anti_affinity: vec![],
        hard_affinity: vec![],
        preferred: vec![],
        restart_rules: restart_rules(spec.containers.first()),
        score_request,
        request,
        node_selector,
        selector_ids,
        tolerations: spec.tolerations.clone(),
        node_name: spec.node_name.clone(),
        priority: spec.priority.unwrap_or(0),
        preempt_never: spec.preemption_policy.as_deref() == Some("Never"),
        ready_delay_ns,
        grace_period_ns: secs_field_ns(spec.termination_grace_period_seconds.unwrap_or(30)),
        gated: !spec.scheduling_gates.is_empty(),
    }
}

//! `cluster:`: node pools (names, sizes, capacity, taints, topology) and namespaces.

use super::types::{ClusterSection, NamespaceSection, NodePoolSection};
use super::{is_dns_label, Problems};
use crate::api::quantity::Quantity;
use crate::api::taint::{Taint, TaintEffect};
use crate::api::types::StringMap;
use crate::api::validation::{
    go_quote, is_label_value, qualified_name_errors, resource_quantity_errors,
};
use std::collections::{BTreeMap, BTreeSet};

/// A node pool shape from the scenario, already checked.
#[derive(Debug, Clone)]
pub(crate) struct NodePoolSpec {
    pub name: String,
    pub count: u32,
    pub nodes_per_pool: u32,
    /// Labels whose value is the same on every node of the entry.
    pub labels: StringMap,
    /// Labels whose value names the node's pool or node index (`{pool}`, `{node}`), expanded
    /// node by node when the cluster is built.
    pub label_templates: Vec<(String, LabelTemplate)>,
    pub taints: Vec<Taint>,
    pub capacity: BTreeMap<String, Quantity>,
    pub topology: Vec<(String, u32)>,
}

/// The most nodes a scenario may declare.
const MAX_NODES: u64 = 1_000_000;

pub(super) struct Cluster {
    pub node_pools: Vec<NodePoolSpec>,
    pub namespaces: BTreeMap<String, StringMap>,
}

pub(super) fn resolve(raw: &ClusterSection, problems: &mut Problems) -> Cluster {
    if raw.node_pools.is_empty() {
        problems.at("cluster.nodePools", "at least one node pool is needed");
    }
    let mut pool_names = BTreeSet::new();
    let mut node_pools = vec![];
    for (i, pool) in raw.node_pools.iter().enumerate() {
        let at = format!("cluster.nodePools[{i}]");
        let defined_before = !pool_names.insert(pool.name.as_str());
        node_pools.push(node_pool(&at, pool, defined_before, problems));
    }
    let total_nodes: u64 = node_pools
        .iter()
        .map(|p| p.count as u64 * p.nodes_per_pool as u64)
        .sum();
    if total_nodes > MAX_NODES {
        problems.at(
            "cluster.nodePools",
            format!("{total_nodes} nodes is more than the 1,000,000 jobset-sim supports"),
        );
    }
    Cluster {
        node_pools,
        namespaces: namespaces(&raw.namespaces, problems),
    }
}

fn node_pool(
    at: &str,
    p: &NodePoolSection,
    defined_before: bool,
    problems: &mut Problems,
) -> NodePoolSpec {
    if !is_dns_label(&p.name) {
        problems.at(
            format!("{at}.name"),
            format!(
                "{:?} is not a valid node pool name (lowercase letters, digits and '-')",
                p.name
            ),
        );
    }
    if defined_before {
        let message = format!("node pool {:?} is defined twice", p.name);
        problems.at(format!("{at}.name"), message);
    }
    if p.count == 0 {
        problems.at(format!("{at}.count"), "must be at least 1");
    }
    if p.nodes_per_pool == 0 {
        problems.at(format!("{at}.nodesPerPool"), "must be at least 1");
    }
    for (name, q) in &p.capacity {
        // A resource name is a qualified name, as the API server checks a node's allocatable.
        for m in qualified_name_errors(name) {
            let message = format!("{name:?} is not a valid resource name: {m}");
            problems.at(format!("{at}.capacity.{name}"), message);
        }
        // As the API server checks a Node's capacity and allocatable: a device plugin reports
        // whole devices, so `nvidia.com/gpu: 0.5` is refused as in a container.
        for detail in resource_quantity_errors(name, &q.quantity) {
            let message = format!(
                "Invalid value: {}: {detail} (as the API server checks a Node's capacity)",
                go_quote(&q.text)
            );
            problems.at(format!("{at}.capacity.{name}"), message);
        }
    }
    let (labels, label_templates) = labels(at, p, problems);
    NodePoolSpec {
        name: p.name.clone(),
        count: p.count,
        nodes_per_pool: p.nodes_per_pool,
        labels,
        label_templates,
        taints: taints(at, p, problems),
        capacity: (p.capacity.iter())
            .map(|(name, q)| (name.clone(), q.quantity))
            .collect(),
        topology: topology(at, p, problems),
    }
}

/// One part of a templated label value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePart {
    Text(String),
    /// The pool's index within its entry, `0` … `count - 1`.
    Pool,
    /// The node's index within its pool, `0` … `nodesPerPool - 1`.
    Node,
}

/// A label value with `{pool}` and `{node}` placeholders, so that one pool entry can prepare
/// nodes per Job (JobSet's node-selector strategy labels each Job's nodes with the Job's own
/// name) instead of one entry per pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelTemplate {
    parts: Vec<TemplatePart>,
}

/// The placeholders a label value may hold, for error messages.
const PLACEHOLDERS: &str =
    "{pool} (the pool's index in its entry) and {node} (the node's index in its pool)";

impl LabelTemplate {
    /// Parses `value`; `Ok(None)` when it holds no placeholder (an ordinary label).
    pub(crate) fn parse(value: &str) -> Result<Option<LabelTemplate>, String> {
        if !value.contains(['{', '}']) {
            return Ok(None);
        }
        let mut parts = vec![];
        let mut rest = value;
        while let Some(open) = rest.find(['{', '}']) {
            if rest.as_bytes()[open] == b'}' {
                return Err(format!("{value:?} has a '}}' with no '{{' before it"));
            }
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_string()));
            }
            let Some(len) = rest[open..].find('}') else {
                return Err(format!("{value:?} has a '{{' that is never closed"));
            };
            parts.push(match &rest[open + 1..open + len] {
                "pool" => TemplatePart::Pool,
                "node" => TemplatePart::Node,
                other => {
                    return Err(format!(
                        "{{{other}}} is not a placeholder: a label value may use {PLACEHOLDERS}"
                    ))
                }
            });
            rest = &rest[open + len + 1..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_string()));
        }
        Ok(Some(LabelTemplate { parts }))
    }

    /// The value on node `node` of the entry's pool number `pool`.
    pub(crate) fn expand(&self, pool: u32, node: u32) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Pool => write!(out, "{pool}").expect("writing to a String"),
                TemplatePart::Node => write!(out, "{node}").expect("writing to a String"),
            }
        }
        out
    }
}

/// Splits the entry's labels into fixed ones and templated ones; a templated value must expand
/// to a valid label value on every node (at most 63 characters).
fn labels(
    at: &str,
    p: &NodePoolSection,
    problems: &mut Problems,
) -> (StringMap, Vec<(String, LabelTemplate)>) {
    let mut fixed = StringMap::new();
    let mut templated = vec![];
    for (key, value) in &p.labels {
        // As the API server checks a node's labels: the key a qualified name.
        for m in qualified_name_errors(key) {
            let message = format!("{key:?} is not a valid label key: {m}");
            problems.at(format!("{at}.labels.{key}"), message);
        }
        match LabelTemplate::parse(value) {
            Ok(None) => {
                for m in is_label_value(value) {
                    let message = format!("{value:?} is not a valid label value: {m}");
                    problems.at(format!("{at}.labels.{key}"), message);
                }
                fixed.insert(key.clone(), value.clone());
            }
            Ok(Some(template)) => {
                let longest = template.expand(p.count.max(1) - 1, p.nodes_per_pool.max(1) - 1);
                if longest.len() > 63 {
                    let message = format!(
                        "expands to {longest:?} ({} characters); a label value has at most 63",
                        longest.len()
                    );
                    problems.at(format!("{at}.labels.{key}"), message);
                } else if let Some(m) = is_label_value(&longest).into_iter().next() {
                    let message = format!("expands to {longest:?}, not a valid label value: {m}");
                    problems.at(format!("{at}.labels.{key}"), message);
                }
                templated.push((key.clone(), template));
            }
            Err(message) => problems.at(format!("{at}.labels.{key}"), message),
        }
    }
    (fixed, templated)
}

fn taints(at: &str, p: &NodePoolSection, problems: &mut Problems) -> Vec<Taint> {
    let mut taints = vec![];
    for (t, taint) in p.taints.iter().enumerate() {
        // As the API server checks a node's taints.
        for m in qualified_name_errors(&taint.key) {
            let message = format!("{:?} is not a valid taint key: {m}", taint.key);
            problems.at(format!("{at}.taints[{t}].key"), message);
        }
        for m in is_label_value(&taint.value) {
            let message = format!("{:?} is not a valid taint value: {m}", taint.value);
            problems.at(format!("{at}.taints[{t}].value"), message);
        }
        match TaintEffect::parse(&taint.effect) {
            Some(effect) => taints.push(Taint {
                key: taint.key.clone(),
                value: taint.value.clone(),
                effect,
            }),
            None => problems.at(
                format!("{at}.taints[{t}].effect"),
                format!(
                    "{:?} is not a taint effect: use NoSchedule, PreferNoSchedule or NoExecute",
                    taint.effect
                ),
            ),
        }
    }
    taints
}

fn topology(at: &str, p: &NodePoolSection, problems: &mut Problems) -> Vec<(String, u32)> {
    let mut levels = vec![];
    for (t, level) in p.topology.iter().enumerate() {
        if level.nodes_per_domain == 0 {
            let path = format!("{at}.topology[{t}].nodesPerDomain");
            problems.at(path, "must be at least 1");
        }
        levels.push((level.key.clone(), level.nodes_per_domain.max(1)));
    }
    levels
}

/// `cluster.namespaces`: valid names and label values; the API server's own name label, when
/// written, must agree with the name.
fn namespaces(
    raw: &BTreeMap<String, NamespaceSection>,
    problems: &mut Problems,
) -> BTreeMap<String, StringMap> {
    use crate::api::keys::NAMESPACE_NAME_LABEL;
    let mut out = BTreeMap::new();
    for (name, ns) in raw {
        let at = format!("cluster.namespaces.{name}");
        if !is_dns_label(name) {
            problems.at(
                &at,
                format!(
                    "{name:?} is not a valid namespace name (at most 63 lowercase letters, digits and '-')"
                ),
            );
        }
        for (k, v) in &ns.labels {
            let path = format!("{at}.labels.{k}");
            if k.is_empty() {
                problems.at(&path, "a label key must not be empty");
            }
            if let Some(problem) = crate::api::validation::is_label_value(v).into_iter().next() {
                problems.at(&path, format!("{v:?}: {problem}"));
            }
            if k == NAMESPACE_NAME_LABEL && v != name {
                problems.at(
                    &path,
                    format!("must equal the namespace's name {name:?} (the API server sets it)"),
                );
            }
        }
        let mut labels = ns.labels.clone();
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
        out.insert(name.clone(), labels);
    }
    out
}

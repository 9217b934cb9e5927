//! `cluster:`: node pools (names, sizes, capacity, taints, topology) and namespaces.

use super::types::{ClusterSection, NamespaceSection, NodePoolSection};
use super::{is_dns_label, Problems};
use crate::api::quantity::Quantity;
use crate::api::taint::{Taint, TaintEffect};
use crate::api::types::StringMap;
use std::collections::{BTreeMap, BTreeSet};

/// A node pool shape from the scenario, already checked.
#[derive(Debug, Clone)]
pub(crate) struct NodePoolSpec {
    pub name: String,
    pub count: u32,
    pub nodes_per_pool: u32,
    pub labels: StringMap,
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
        if q.milli < 0 {
            problems.at(format!("{at}.capacity.{name}"), "must not be negative");
        }
    }
    NodePoolSpec {
        name: p.name.clone(),
        count: p.count,
        nodes_per_pool: p.nodes_per_pool,
        labels: p.labels.clone(),
        taints: taints(at, p, problems),
        capacity: p.capacity.clone(),
        topology: topology(at, p, problems),
    }
}

fn taints(at: &str, p: &NodePoolSection, problems: &mut Problems) -> Vec<Taint> {
    let mut taints = vec![];
    for (t, taint) in p.taints.iter().enumerate() {
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

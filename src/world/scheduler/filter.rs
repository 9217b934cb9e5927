//! kube-scheduler Filter plugins, in the framework's order, and the "0/N nodes are available"
//! diagnosis it prints when none passes.

use crate::api::types::Toleration;
use crate::cluster::{resources, Cluster, NodeId, Taint, TaintEffect};
use crate::sim::shape::PodShape;
use std::collections::BTreeMap;

/// Why one node was rejected: the first failing filter, as the framework stops there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reject {
    /// NodeUnschedulable
    Unschedulable,
    /// NodeName
    NodeName,
    /// TaintToleration: the node's first untolerated taint (by position, so a rejection on the
    /// scheduler's hot path allocates nothing; the text is built only for a diagnosis).
    Taint { node: NodeId, taint: usize },
    /// NodeAffinity (nodeSelector)
    Selector,
    /// NodeResourcesFit: every dimension that does not fit.
    Resources(Vec<usize>),
}

impl Reject {
    /// The reason strings kube-scheduler reports for this rejection.
    pub(crate) fn reasons(&self, cluster: &Cluster) -> Vec<String> {
        match self {
            Reject::Unschedulable => vec!["node(s) were unschedulable".into()],
            Reject::NodeName => vec!["node(s) didn't match the requested node name".into()],
            Reject::Taint { node, taint } => {
                let t = &cluster.node(*node).taints[*taint];
                vec![taint_reason(&t.key, &t.value)]
            }
            Reject::Selector => vec!["node(s) didn't match Pod's node affinity/selector".into()],
            Reject::Resources(dims) => resource_reasons(cluster, dims),
        }
    }
}

/// TaintToleration's reason for a node whose first untolerated taint is `key=value`.
pub(crate) fn taint_reason(key: &str, value: &str) -> String {
    if value.is_empty() {
        format!("node(s) had untolerated taint {{{key}: }}")
    } else {
        format!("node(s) had untolerated taint {{{key}: {value}}}")
    }
}

/// The reasons for NodeResourcesFit's shortfall on `dims` (as `Reject::Resources`).
pub(crate) fn resource_reasons(cluster: &Cluster, dims: &[usize]) -> Vec<String> {
    dims.iter()
        .map(|&d| {
            if d == resources::PODS {
                "Too many pods".to_string()
            } else {
                format!("Insufficient {}", cluster.resources.name(d))
            }
        })
        .collect()
}

/// Kubernetes `Toleration.ToleratesTaint`.
pub(crate) fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = t.effect.as_deref() {
        if !effect.is_empty() && effect != taint.effect.as_str() {
            return false;
        }
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        _ => t.value.as_deref().unwrap_or("") == taint.value,
    }
}

/// TaintToleration's filter: the position of the first NoSchedule or NoExecute taint that no
/// toleration tolerates.
#[inline] // once per decision, mostly over no taint
pub(crate) fn first_untolerated(taints: &[Taint], tolerations: &[Toleration]) -> Option<usize> {
    taints.iter().position(|taint| {
        taint.effect != TaintEffect::PreferNoSchedule
            && !tolerations.iter().any(|t| tolerates(t, taint))
    })
}

/// Does the node's label set satisfy the pod's nodeSelector?
pub(crate) fn selector_matches(cluster: &Cluster, node: NodeId, shape: &PodShape) -> bool {
    match &shape.selector_ids {
        None => false,
        Some(ids) => ids
            .iter()
            .all(|&(k, v)| cluster.node_label(node, k) == Some(v)),
    }
}

/// Required node affinity: some non-empty term whose every requirement holds on the node's
/// labels and name.
pub(crate) fn node_affinity_matches(cluster: &Cluster, node: NodeId, shape: &PodShape) -> bool {
    match &shape.node_affinity {
        None => true,
        Some(terms) => terms
            .iter()
            .any(|t| crate::sim::shape::term_matches(cluster, node, t)),
    }
}

/// Runs the filters on one node, `ignore_usage` answering "could it ever fit on an empty node?".
pub(crate) fn check(
    cluster: &Cluster,
    node: NodeId,
    shape: &PodShape,
    ignore_usage: bool,
) -> Result<(), Reject> {
    check_before_fit(cluster, node, shape, ignore_usage)?;
    let mut short: Vec<usize> = shortfalls(cluster, node, shape, ignore_usage).collect();
    if short.is_empty() {
        Ok(())
    } else {
        // kube-scheduler lists "Too many pods" first, then resources in request order.
        short.sort_by_key(|&d| if d == resources::PODS { 0 } else { d + 1 });
        Err(Reject::Resources(short))
    }
}

/// `check(..).is_ok()` without building the rejection: a scan rejects most nodes it visits
/// for resources, and a `Reject::Resources` allocated for each was a fifth of the scan's cost.
/// NodeResourcesFit goes first here: the verdict is the same in either order (only `check`'s
/// rejection names the first failing filter), and its dense rows answer a full node (most of
/// a JobSet follower's pool, once its Job fills it) without the node's record.
pub(crate) fn passes(
    cluster: &Cluster,
    node: NodeId,
    shape: &PodShape,
    ignore_usage: bool,
) -> bool {
    let verdict = fits(cluster, node, shape, ignore_usage)
        && passes_before_fit(cluster, node, shape, ignore_usage);
    // Every test run checks the shortcut against the filters in the framework's order.
    #[cfg(test)]
    assert_eq!(
        verdict,
        check(cluster, node, shape, ignore_usage).is_ok(),
        "filter::passes against check on node {node}"
    );
    verdict
}

/// `shortfalls(..).next().is_none()` over the request and the node's rows zipped: the
/// request has a dimension per row entry, and walking them together checks no index.
fn fits(cluster: &Cluster, node: NodeId, shape: &PodShape, ignore_usage: bool) -> bool {
    let mut rows = (shape.request.iter()).zip(cluster.alloc(node).iter().zip(cluster.used(node)));
    rows.all(|(&req, (&alloc, &used))| {
        let free = if ignore_usage { alloc } else { alloc - used };
        req == 0 || req <= free
    })
}

/// `check_before_fit(..).is_ok()` from the cluster's per-node flags where they answer (a
/// cordoned node, an untainted one): the node's record is read only for a node name or taints.
fn passes_before_fit(
    cluster: &Cluster,
    node: NodeId,
    shape: &PodShape,
    ignore_usage: bool,
) -> bool {
    if cluster.cordoned(node) && !ignore_usage {
        return false;
    }
    if shape
        .node_name
        .as_ref()
        .is_some_and(|name| *name != cluster.node(node).name)
    {
        return false;
    }
    let tolerated = || first_untolerated(&cluster.node(node).taints, &shape.tolerations).is_none();
    (cluster.untainted(node) || tolerated())
        && selector_matches(cluster, node, shape)
        && node_affinity_matches(cluster, node, shape)
}

/// The filters before NodeResourcesFit, in the framework's order: the first rejection.
fn check_before_fit(
    cluster: &Cluster,
    node: NodeId,
    shape: &PodShape,
    ignore_usage: bool,
) -> Result<(), Reject> {
    let n = cluster.node(node);
    if n.unschedulable && !ignore_usage {
        return Err(Reject::Unschedulable);
    }
    // A NotReady node is refused through its `unreachable` NoSchedule taint, below.
    if let Some(name) = &shape.node_name {
        if *name != n.name {
            return Err(Reject::NodeName);
        }
    }
    if let Some(taint) = first_untolerated(&n.taints, &shape.tolerations) {
        return Err(Reject::Taint { node, taint });
    }
    if !selector_matches(cluster, node, shape) || !node_affinity_matches(cluster, node, shape) {
        return Err(Reject::Selector);
    }
    Ok(())
}

/// NodeResourcesFit: the dimensions, in request order, that the node has too little free of.
fn shortfalls<'a>(
    cluster: &'a Cluster,
    node: NodeId,
    shape: &'a PodShape,
    ignore_usage: bool,
) -> impl Iterator<Item = usize> + 'a {
    let alloc = cluster.alloc(node);
    let used = cluster.used(node);
    (shape.request.iter().enumerate())
        .filter(move |&(d, &req)| {
            let free = if ignore_usage {
                alloc[d]
            } else {
                alloc[d] - used[d]
            };
            req != 0 && req > free
        })
        .map(|(d, _)| d)
}

/// Counts of rejection reasons over nodes: kube-scheduler's FitError.
#[derive(Debug, Default, Clone)]
pub(crate) struct Diagnosis {
    pub nodes: usize,
    pub reasons: BTreeMap<String, usize>,
}

impl Diagnosis {
    pub(crate) fn add(&mut self, reason: String, count: usize) {
        *self.reasons.entry(reason).or_default() += count;
    }

    /// `0/4 nodes are available: 4 Insufficient nvidia.com/gpu.` (reasons sorted by text).
    pub(crate) fn message(&self) -> String {
        let parts: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, c)| format!("{c} {r}"))
            .collect();
        format!(
            "0/{} nodes are available: {}.",
            self.nodes,
            parts.join(", ")
        )
    }
}

/// Why no node fits, over the whole cluster. Nodes outside `subset` (when given) are known to
/// fail the nodeSelector and are counted without being visited.
pub(crate) fn diagnose(
    cluster: &Cluster,
    shape: &PodShape,
    subset: Option<&[NodeId]>,
    ignore_usage: bool,
) -> Diagnosis {
    let mut d = Diagnosis {
        nodes: cluster.len(),
        ..Default::default()
    };
    // The distinct rejections and how many nodes gave each: their reason strings are built
    // once each, not once per node (a failed cycle on a large cluster visits every node).
    let mut seen: Vec<(Reject, usize)> = vec![];
    let mut visit = |node: NodeId| {
        if let Err(r) = check(cluster, node, shape, ignore_usage) {
            match seen.iter_mut().find(|(s, _)| same_reasons(cluster, s, &r)) {
                Some((_, c)) => *c += 1,
                None => seen.push((r, 1)),
            }
        }
    };
    match subset {
        Some(nodes) => {
            let outside = cluster.len() - nodes.len();
            if outside > 0 {
                d.add(Reject::Selector.reasons(cluster).remove(0), outside);
            }
            for &n in nodes {
                visit(n);
            }
        }
        None => {
            for n in 0..cluster.len() as NodeId {
                visit(n);
            }
        }
    }
    for (r, count) in seen {
        for reason in r.reasons(cluster) {
            d.add(reason, count);
        }
    }
    d
}

/// Two rejections that kube-scheduler reports with the same reason strings.
fn same_reasons(cluster: &Cluster, a: &Reject, b: &Reject) -> bool {
    match (a, b) {
        (
            Reject::Taint {
                node: n1,
                taint: t1,
            },
            Reject::Taint {
                node: n2,
                taint: t2,
            },
        ) => {
            let (x, y) = (
                &cluster.node(*n1).taints[*t1],
                &cluster.node(*n2).taints[*t2],
            );
            x.key == y.key && x.value == y.value
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect,
        }
    }

    fn tol(
        key: Option<&str>,
        op: Option<&str>,
        value: Option<&str>,
        effect: Option<&str>,
    ) -> Toleration {
        Toleration {
            key: key.map(Into::into),
            operator: op.map(Into::into),
            value: value.map(Into::into),
            effect: effect.map(Into::into),
            toleration_seconds: None,
        }
    }

    #[test]
    fn toleration_matching_follows_kubernetes() {
        let t = taint("gpu", "true", TaintEffect::NoSchedule);
        assert!(tolerates(
            &tol(Some("gpu"), Some("Equal"), Some("true"), Some("NoSchedule")),
            &t
        ));
        assert!(tolerates(&tol(Some("gpu"), None, Some("true"), None), &t));
        assert!(!tolerates(&tol(Some("gpu"), None, Some("false"), None), &t));
        assert!(tolerates(&tol(Some("gpu"), Some("Exists"), None, None), &t));
        assert!(tolerates(&tol(None, Some("Exists"), None, None), &t));
        assert!(!tolerates(
            &tol(Some("gpu"), Some("Exists"), None, Some("NoExecute")),
            &t
        ));
        assert!(!tolerates(
            &tol(Some("other"), Some("Exists"), None, None),
            &t
        ));
    }
}

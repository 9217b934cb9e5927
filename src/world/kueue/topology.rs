//! Topology-Aware Scheduling as the Kueue component runs it (kueue-semantics §9.1, §9.5,
//! §9.6): the free capacity of each TAS flavor's nodes as one admission cycle sees it, the
//! placement of an admitted Workload's PodSets (the domains its pods go to, in rank order),
//! and the pieces of the topology ungater and the node controller that read them. The
//! placement algorithm itself is `tas::TasSnapshot::find`.

use super::assign::PodSetRequest;
use super::model::{FlavorIx, Model};
use super::tas::{LeafIx, TasSnapshot, TopologyMode, TopologyRequest};
use crate::api::taint::{Taint, TaintEffect};
use crate::api::types::Toleration;
use crate::cluster::{Cluster, NodeId};
use crate::sim::objects::ShapeId;
use std::collections::{BTreeMap, BTreeSet};

/// The scheduling gate Kueue adds to a TAS PodSet's pod template at admission
/// (`kueue.TopologySchedulingGate`).
pub(crate) const TOPOLOGY_GATE: &str = "kueue.x-k8s.io/topology";
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// One domain of a PodSet's topology assignment: the nodeSelector the ungater gives its
/// pods, the nodes it holds, and how many pods go there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Domain {
    pub selector: Vec<(String, String)>,
    pub nodes: Vec<NodeId>,
    pub count: u32,
}

/// Where an admitted PodSet's pods go (`podSetAssignments[].topologyAssignment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    pub flavor: FlavorIx,
    /// In rank order: the first domain takes ranks 0..count-1, and so on (§9.5).
    pub domains: Vec<Domain>,
    /// One pod's request per cluster resource dimension (`pods` included).
    pub per_pod: Vec<i64>,
}

impl Placement {
    /// The domain of the pod with this rank. A rank past the assignment (it cannot happen
    /// for a JobSet whose pod count matches its PodSet) falls back to the last domain, as
    /// the ungater's greedy fallback would place it somewhere in the assignment.
    pub(crate) fn domain_of(&self, rank: u32) -> &Domain {
        let mut first = 0;
        for d in &self.domains {
            if rank < first + d.count {
                return d;
            }
            first += d.count;
        }
        self.domains.last().expect("a placement has a domain")
    }

    pub(crate) fn uses(&self, node: NodeId) -> bool {
        self.domains.iter().any(|d| d.nodes.contains(&node))
    }
}

/// A TAS flavor's free capacity as one cycle sees it: one leaf per lowest-level domain.
pub(crate) struct FlavorView {
    snapshot: TasSnapshot,
    leaves: Vec<LeafInfo>,
    leaf_of_node: BTreeMap<NodeId, LeafIx>,
}

struct LeafInfo {
    selector: Vec<(String, String)>,
    nodes: Vec<NodeId>,
    /// The NoSchedule and NoExecute taints its nodes carry.
    taints: Vec<Taint>,
}

/// Is the node one TAS counts: Ready and schedulable (`tas_flavor_snapshot.go` skips the
/// others), with every level label?
fn node_usable(cluster: &Cluster, n: NodeId, levels: &[String]) -> bool {
    let node = cluster.node(n);
    node.ready && !node.unschedulable && levels.iter().all(|l| cluster.label_value(n, l).is_some())
}

/// The nodes a flavor's `nodeLabels` select, ascending.
pub(crate) fn flavor_nodes(cluster: &Cluster, labels: &BTreeMap<String, String>) -> Vec<NodeId> {
    let mut out: Option<Vec<NodeId>> = None;
    for (k, v) in labels {
        let with: BTreeSet<NodeId> = cluster.nodes_with_label(k, v).iter().copied().collect();
        out = Some(match out {
            None => with.into_iter().collect(),
            Some(prev) => prev.into_iter().filter(|n| with.contains(n)).collect(),
        });
    }
    out.unwrap_or_else(|| (0..cluster.len() as NodeId).collect())
}

impl FlavorView {
    /// The flavor's usable nodes with what is free on each: allocatable, less what live
    /// non-TAS pods request (`non_tas_usage`), less what admitted TAS Workloads were
    /// assigned (`assigned`: per node, per dimension).
    pub(crate) fn build(
        cluster: &Cluster,
        nodes: &[NodeId],
        (topology, levels): (&str, &[String]),
        non_tas_usage: &dyn Fn(NodeId) -> Vec<i64>,
        assigned: &BTreeMap<NodeId, Vec<i64>>,
    ) -> FlavorView {
        let dims = cluster.dims();
        let mut view = FlavorView {
            snapshot: TasSnapshot::new(levels.to_vec(), dims),
            leaves: vec![],
            leaf_of_node: BTreeMap::new(),
        };
        view.snapshot.set_topology_name(topology);
        let names: Vec<&str> = (0..dims).map(|d| cluster.resources.name(d)).collect();
        view.snapshot.set_dim_names(&names);
        let hostname_lowest = levels.last().is_some_and(|l| l == HOSTNAME_LABEL);
        for &n in nodes.iter().filter(|&&n| node_usable(cluster, n, levels)) {
            let values: Vec<&str> = (levels.iter())
                .map(|l| {
                    cluster
                        .label_value(n, l)
                        .expect("usable nodes carry every level")
                })
                .collect();
            let other = non_tas_usage(n);
            let taken = assigned.get(&n);
            let free: Vec<i64> = (0..dims)
                .map(|d| cluster.alloc(n)[d] - other[d] - taken.map_or(0, |t| t[d]))
                .collect();
            let leaf = view.snapshot.add_node(&values, &free);
            if leaf as usize == view.leaves.len() {
                let selector = if hostname_lowest {
                    vec![(
                        HOSTNAME_LABEL.to_string(),
                        values[values.len() - 1].to_string(),
                    )]
                } else {
                    (levels.iter().zip(&values))
                        .map(|(l, v)| (l.clone(), v.to_string()))
                        .collect()
                };
                view.leaves.push(LeafInfo {
                    selector,
                    nodes: vec![],
                    taints: vec![],
                });
            }
            let info = &mut view.leaves[leaf as usize];
            info.nodes.push(n);
            for t in &cluster.node(n).taints {
                if t.effect != TaintEffect::PreferNoSchedule && !info.taints.contains(t) {
                    info.taints.push(t.clone());
                }
            }
            view.leaf_of_node.insert(n, leaf);
        }
        view
    }

    /// Places `count` pods of `per_pod` (§9.3) on leaves whose taints the tolerations
    /// tolerate and that `allowed` keeps; the domains in rank order, or Kueue's message.
    pub(crate) fn place(
        &self,
        request: &TopologyRequest,
        per_pod: &[i64],
        count: u32,
        tolerations: &[Toleration],
        allowed: &dyn Fn(&[NodeId]) -> bool,
    ) -> Result<Vec<Domain>, String> {
        let eligible = |leaf: LeafIx| {
            let info = &self.leaves[leaf as usize];
            allowed(&info.nodes)
                && (info.taints.iter()).all(|taint| {
                    tolerations
                        .iter()
                        .any(|t| crate::scheduler::filter::tolerates(t, taint))
                })
        };
        let found = self.snapshot.find(request, per_pod, count, &eligible)?;
        Ok(self.domains(found))
    }

    fn domains(&self, found: Vec<(LeafIx, u32)>) -> Vec<Domain> {
        found
            .into_iter()
            .map(|(leaf, count)| {
                let info = &self.leaves[leaf as usize];
                Domain {
                    selector: info.selector.clone(),
                    nodes: info.nodes.clone(),
                    count,
                }
            })
            .collect()
    }

    /// Places a PodSet group (§9.3, `findTopologyAssignment` with a leader): `count` workers
    /// of `per_pod` and one leader of `leader` together, on the leaves the workers'
    /// tolerations allow. The workers' domains and the leader's, in rank order.
    pub(crate) fn place_group(
        &self,
        request: &TopologyRequest,
        per_pod: &[i64],
        count: u32,
        leader: &[i64],
        tolerations: &[Toleration],
    ) -> Result<(Vec<Domain>, Vec<Domain>), String> {
        let eligible = |leaf: LeafIx| {
            let info = &self.leaves[leaf as usize];
            if (info.taints.iter()).all(|taint| {
                tolerations
                    .iter()
                    .any(|t| crate::scheduler::filter::tolerates(t, taint))
            }) {
                Ok(())
            } else {
                Err(None)
            }
        };
        let (workers, lead) =
            self.snapshot
                .find_group(request, per_pod, count, Some(leader), &eligible)?;
        Ok((self.domains(workers), self.domains(lead)))
    }

    /// Kueue's second pass for a failed node (`TasSnapshot::replace_assignment`): `domains` (an
    /// admitted PodSet's, whose usage the view holds) with the pods they had on `lost` placed
    /// again on leaves whose taints `tolerations` tolerate, merged into the kept ones.
    /// Kueue's reason when a kept domain is no longer in the topology or nothing fits.
    pub(crate) fn replace(
        &self,
        (request, per_pod): (&TopologyRequest, &[i64]),
        domains: &[Domain],
        (lost, lost_values): (NodeId, &[&str]),
        tolerations: &[Toleration],
    ) -> Result<Vec<Domain>, String> {
        let lost_count = (domains.iter().filter(|d| d.nodes.contains(&lost)))
            .map(|d| d.count)
            .sum();
        let mut kept = Vec::with_capacity(domains.len());
        for d in domains.iter().filter(|d| !d.nodes.contains(&lost)) {
            let Some(&leaf) = d.nodes.first().and_then(|n| self.leaf_of_node.get(n)) else {
                let stale = d.selector.last().map_or("", |(_, v)| v.as_str());
                return Err(format!("Cannot replace the node, because the existing topologyAssignment is invalid, as it contains the stale domain {stale}"));
            };
            kept.push((leaf, d.count));
        }
        let eligible = |leaf: LeafIx| {
            let info = &self.leaves[leaf as usize];
            !info.nodes.contains(&lost)
                && (info.taints.iter()).all(|taint| {
                    tolerations
                        .iter()
                        .any(|t| crate::scheduler::filter::tolerates(t, taint))
                })
        };
        let merged = self.snapshot.replace_assignment(
            request,
            per_pod,
            (&kept, lost_values, lost_count),
            &eligible,
        )?;
        Ok(self.domains(merged))
    }

    /// Takes (`sign` 1) or gives back (-1) what a placement's pods need on this flavor.
    pub(crate) fn adjust(&mut self, domains: &[Domain], per_pod: &[i64], sign: i64) {
        for d in domains {
            let Some(&leaf) = d.nodes.first().and_then(|n| self.leaf_of_node.get(n)) else {
                continue;
            };
            self.snapshot.adjust(leaf, per_pod, d.count, sign);
        }
    }
}

/// The request a PodSet places with on a TAS flavor: its annotations, or "anywhere in the
/// flavor" (`Implied`) when it has none (§9.1).
pub(crate) fn effective_request(request: Option<&TopologyRequest>) -> TopologyRequest {
    request
        .cloned()
        .unwrap_or(TopologyRequest::new(TopologyMode::Implied))
}

/// One pod of `ps` per cluster dimension, with the one unit of `pods` TAS adds (§9.3).
pub(crate) fn per_pod_request(model: &Model, cluster: &Cluster, ps: &PodSetRequest) -> Vec<i64> {
    let mut out = vec![0i64; cluster.dims()];
    for &(r, v) in &ps.per_pod {
        if let Some(d) = cluster.resources.get(&model.resources[r]) {
            out[d] = v;
        }
    }
    out[crate::cluster::resources::PODS] = 1000;
    out
}

/// What admitted placements hold, per node and dimension.
pub(crate) fn assigned_usage<'a>(
    placements: impl Iterator<Item = &'a Placement>,
    flavor: FlavorIx,
) -> BTreeMap<NodeId, Vec<i64>> {
    let mut out: BTreeMap<NodeId, Vec<i64>> = BTreeMap::new();
    for p in placements.filter(|p| p.flavor == flavor) {
        for d in &p.domains {
            // A domain of several nodes (lowest level above hostname) is charged to its
            // first node: the snapshot merges the nodes into one leaf anyway.
            let Some(&n) = d.nodes.first() else { continue };
            let row = out.entry(n).or_insert_with(|| vec![0; p.per_pod.len()]);
            for (x, &v) in row.iter_mut().zip(&p.per_pod) {
                *x += v * i64::from(d.count);
            }
        }
    }
    out
}

/// The ungated specs Kueue derived: pods with one of them are TAS pods, whose usage the
/// placements account for.
#[derive(Debug, Default)]
pub(crate) struct TasShapes(BTreeSet<ShapeId>);

impl TasShapes {
    pub(crate) fn insert(&mut self, s: ShapeId) {
        self.0.insert(s);
    }
    pub(crate) fn contains(&self, s: ShapeId) -> bool {
        self.0.contains(&s)
    }
}

/// Is node `n` unhealthy for TAS (§9.6): NotReady, or carrying a NoSchedule/NoExecute taint
/// the PodSet does not tolerate (cordoning adds `node.kubernetes.io/unschedulable`)?
pub(crate) fn node_unhealthy(cluster: &Cluster, n: NodeId, tolerations: &[Toleration]) -> bool {
    let node = cluster.node(n);
    if !node.ready {
        return true;
    }
    // A cordon is the `node.kubernetes.io/unschedulable:NoSchedule` taint, matched like any
    // other (Kubernetes' NodeUnschedulable filter does the same).
    let cordon = node.unschedulable.then(|| Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    });
    let untolerated = |taint: &Taint| {
        !(tolerations.iter()).any(|t| crate::scheduler::filter::tolerates(t, taint))
    };
    (node.taints.iter().chain(cordon.as_ref()))
        .filter(|t| t.effect != TaintEffect::PreferNoSchedule)
        .any(untolerated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(host: &str, node: NodeId, count: u32) -> Domain {
        Domain {
            selector: vec![(HOSTNAME_LABEL.into(), host.into())],
            nodes: vec![node],
            count,
        }
    }

    /// Ranks are laid out over the domains in order (§9.5): 3 pods on a, then 2 on b.
    #[test]
    fn ranks_take_the_domains_in_order() {
        let p = Placement {
            flavor: 0,
            domains: vec![domain("a", 0, 3), domain("b", 1, 2)],
            per_pod: vec![1000, 0],
        };
        let hosts: Vec<&str> = (0..6)
            .map(|r| p.domain_of(r).selector[0].1.as_str())
            .collect();
        assert_eq!(hosts, ["a", "a", "a", "b", "b", "b"]);
        assert!(p.uses(1) && !p.uses(2));
    }

    /// Admitted placements charge count × request to each domain's node, per flavor.
    #[test]
    fn assigned_usage_sums_placements_of_the_flavor() {
        let on = |flavor, count| Placement {
            flavor,
            domains: vec![domain("a", 7, count)],
            per_pod: vec![1000, 4000],
        };
        let placements = [on(0, 2), on(0, 1), on(1, 5)];
        let usage = assigned_usage(placements.iter(), 0);
        assert_eq!(usage.get(&7), Some(&vec![3000, 12000]));
        assert_eq!(usage.len(), 1);
    }
}

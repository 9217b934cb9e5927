//! The Kueue objects of a run compiled for admission: dense flavor, resource and FR ids, the
//! ClusterQueues with their resource groups in preference order, and the quota tree.

use super::quota::{FrId, FrQuota, NodeIx, QuotaTree};
use crate::api::taint::Taint;
use crate::api::types::Toleration;
use std::collections::BTreeMap;

pub(crate) type FlavorIx = usize;
pub(crate) type ResIx = usize;
pub(crate) type CqIx = usize;

#[derive(Debug, Clone)]
pub(crate) struct Flavor {
    pub name: String,
    pub node_labels: BTreeMap<String, String>,
    /// Only NoSchedule and NoExecute taints count at admission.
    pub node_taints: Vec<Taint>,
    pub tolerations: Vec<Toleration>,
    /// False when a ClusterQueue names a flavor no ResourceFlavor defines.
    pub exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    StrictFifo,
    BestEffortFifo,
}

/// `flavorFungibility`: whether a borrowing or preempting flavor ends the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fungibility {
    pub try_next_when_can_borrow: bool,
    pub try_next_when_can_preempt: bool,
    pub preemption_over_borrowing: bool,
}

impl Default for Fungibility {
    fn default() -> Self {
        Fungibility {
            try_next_when_can_borrow: false,
            try_next_when_can_preempt: true,
            preemption_over_borrowing: false,
        }
    }
}

/// `withinClusterQueue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum WithinQueue {
    #[default]
    Never,
    LowerPriority,
    LowerOrNewerEqualPriority,
}

/// `reclaimWithinCohort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Reclaim {
    #[default]
    Never,
    LowerPriority,
    Any,
}

/// A ClusterQueue's `preemption` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PreemptionPolicy {
    pub within: WithinQueue,
    pub reclaim: Reclaim,
    /// `borrowWithinCohort`: None when its policy is Never, else its `maxPriorityThreshold`.
    pub borrow_within: Option<Option<i32>>,
}

impl PreemptionPolicy {
    /// Could a head that does not fit look for candidates at all (§5.5 step 4)?
    pub(crate) fn borrow_within_allowed(&self) -> bool {
        self.borrow_within.is_some()
    }
}

/// One resource group: the resources it covers and its flavors in preference order.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub resources: Vec<ResIx>,
    pub flavors: Vec<FlavorIx>,
}

#[derive(Debug, Clone)]
pub(crate) struct ClusterQueue {
    pub name: String,
    pub node: NodeIx,
    pub groups: Vec<Group>,
    pub strategy: Strategy,
    pub fungibility: Fungibility,
    pub preemption: PreemptionPolicy,
    /// `None`: active; otherwise why the ClusterQueue takes no heads (`Active=False`).
    pub inactive: Option<String>,
    /// The namespaces whose Workloads it admits; `None` = none.
    pub namespace_selector: Option<crate::api::types::LabelSelector>,
}

impl ClusterQueue {
    /// The group covering resource `r`, if any.
    pub(crate) fn group_of(&self, r: ResIx) -> Option<usize> {
        self.groups.iter().position(|g| g.resources.contains(&r))
    }
}

/// Everything admission reads that does not change while a run goes on (quota usage lives
/// in `tree`, which does).
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub resources: Vec<String>,
    pub flavors: Vec<Flavor>,
    /// By flavor, then resource: the FR id, for pairs some node has quota for.
    fr_ids: Vec<BTreeMap<ResIx, FrId>>,
    pub cluster_queues: Vec<ClusterQueue>,
    pub tree: QuotaTree,
    /// `resources.quotaCheckStrategy: BlockUndeclared`.
    pub block_undeclared: bool,
    /// The configuration's `fairSharing` block, when present (kueue/fair.rs).
    pub fair_sharing: Option<super::fair::FairSharing>,
    /// Each cohort's tree node and name (defined ones first, then those only named).
    pub cohorts: Vec<(NodeIx, String)>,
}

impl Model {
    pub(crate) fn new(
        resources: Vec<String>,
        flavors: Vec<Flavor>,
        fr_ids: Vec<BTreeMap<ResIx, FrId>>,
        cluster_queues: Vec<ClusterQueue>,
        tree: QuotaTree,
        block_undeclared: bool,
    ) -> Self {
        Model {
            resources,
            flavors,
            fr_ids,
            cluster_queues,
            tree,
            block_undeclared,
            fair_sharing: None,
            cohorts: vec![],
        }
    }

    /// ClusterQueue `cq`'s (flavor, resource) pairs in its groups' order, each with its
    /// `flavor/resource` label.
    pub(crate) fn frs_of(&self, cq: CqIx) -> Vec<(FrId, String)> {
        let mut out = vec![];
        for g in &self.cluster_queues[cq].groups {
            for &f in &g.flavors {
                for &r in &g.resources {
                    if let Some(fr) = self.fr(f, r) {
                        let label = format!("{}/{}", self.flavors[f].name, self.resources[r]);
                        out.push((fr, label));
                    }
                }
            }
        }
        out
    }

    pub(crate) fn fr(&self, flavor: FlavorIx, r: ResIx) -> Option<FrId> {
        self.fr_ids[flavor].get(&r).copied()
    }

    /// The resource of FR `fr`.
    pub(crate) fn resource_of_fr(&self, fr: FrId) -> ResIx {
        (self.fr_ids.iter().flatten())
            .find(|&(_, &id)| id == fr)
            .map(|(&r, _)| r)
            .expect("an FR of the model")
    }

    /// The resource's index, adding a name no queue covers (a pod may request anything).
    pub(crate) fn intern_resource(&mut self, name: &str) -> ResIx {
        intern(&mut self.resources, name)
    }

    pub(crate) fn resource_ix(&self, name: &str) -> Option<ResIx> {
        self.resources.iter().position(|r| r == name)
    }
}

/// A ClusterQueue or cohort's resource groups as written: covered resources, then each
/// flavor with its quota per resource.
pub(crate) type GroupSpec = (Vec<String>, Vec<(String, Vec<(String, FrQuota)>)>);

/// A ClusterQueue as the builder takes it (names still names).
#[derive(Debug, Clone)]
pub(crate) struct CqSpec {
    pub name: String,
    pub cohort: Option<String>,
    pub groups: Vec<GroupSpec>,
    pub strategy: Strategy,
    pub fungibility: Fungibility,
    pub preemption: PreemptionPolicy,
    pub namespace_selector: Option<crate::api::types::LabelSelector>,
    /// `stopPolicy` other than None.
    pub stopped: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CohortSpec {
    pub name: String,
    pub parent: Option<String>,
    pub groups: Vec<GroupSpec>,
}

/// Builds a `Model` from the objects by name: resources and FR pairs get dense ids in the
/// order they first appear, a cohort named but not defined is an implicit one without quota,
/// and a cycle of cohorts deactivates the ClusterQueues under it (as Kueue does).
#[derive(Debug, Clone, Default)]
pub(crate) struct ModelBuilder {
    pub flavors: Vec<Flavor>,
    pub cluster_queues: Vec<CqSpec>,
    pub cohorts: Vec<CohortSpec>,
    pub block_undeclared: bool,
    /// Fair sharing's strategies and weights, when the configuration turns it on.
    pub fair_sharing: Option<super::fair::FairSharingSpec>,
}

impl ModelBuilder {
    /// Compiles the objects into the model admission reads.
    pub(crate) fn build(mut self) -> Model {
        let (resources, pairs) = self.intern_pairs();
        let mut fr_ids = vec![BTreeMap::new(); self.flavors.len()];
        for (id, &(f, r)) in pairs.iter().enumerate() {
            fr_ids[f].insert(r, id);
        }
        let mut tree = QuotaTree::new(pairs.len());
        let quotas = |groups: &[GroupSpec]| quotas_of(groups, &self.flavors, &resources, &fr_ids);
        let cq_nodes: Vec<NodeIx> = (self.cluster_queues.iter())
            .map(|c| tree.add_node(false, &quotas(&c.groups)))
            .collect();
        let cohorts = self.cohort_forest(&mut tree, &quotas);
        let cluster_queues =
            self.compile_cluster_queues(&mut tree, &resources, &cq_nodes, &cohorts);
        tree.finish();
        let fair_sharing = self.fair_sharing.take().map(|spec| {
            let mut names = vec![String::new(); cq_nodes.len() + cohorts.nodes.len()];
            for (c, &n) in cluster_queues.iter().zip(&cq_nodes) {
                names[n] = c.name.clone();
            }
            for (name, &n) in cohorts.names.iter().zip(&cohorts.nodes) {
                names[n] = name.clone();
            }
            let fr_resource = pairs.iter().map(|&(_, r)| r).collect();
            super::fair::FairSharing::new(spec, names, &cohorts.nodes, fr_resource)
        });
        let mut model = Model::new(
            resources,
            self.flavors,
            fr_ids,
            cluster_queues,
            tree,
            self.block_undeclared,
        );
        model.fair_sharing = fair_sharing;
        model.cohorts = cohorts.nodes.into_iter().zip(cohorts.names).collect();
        model
    }

    /// The resources and the (flavor, resource) pairs with quota, each in the order they
    /// first appear in the groups (ClusterQueues' first, then cohorts').
    fn intern_pairs(&mut self) -> (Vec<String>, Vec<(FlavorIx, ResIx)>) {
        let mut resources: Vec<String> = Vec::new();
        let mut pairs: Vec<(FlavorIx, ResIx)> = Vec::new();
        let all_groups: Vec<GroupSpec> =
            (self.cluster_queues.iter().flat_map(|c| c.groups.clone()))
                .chain(self.cohorts.iter().flat_map(|c| c.groups.clone()))
                .collect();
        for (covered, flavors) in &all_groups {
            for r in covered {
                intern(&mut resources, r);
            }
            for (f, quotas) in flavors {
                let fi = self.flavor_ix(f);
                for (r, _) in quotas {
                    let ri = intern(&mut resources, r);
                    if !pairs.contains(&(fi, ri)) {
                        pairs.push((fi, ri));
                    }
                }
            }
        }
        (resources, pairs)
    }

    /// The cohorts' tree nodes: the defined ones, then those only named (implicit, no quota),
    /// linked to their parents except on a cycle.
    fn cohort_forest(
        &self,
        tree: &mut QuotaTree,
        quotas: &dyn Fn(&[GroupSpec]) -> FrQuotas,
    ) -> Cohorts {
        let mut names: Vec<String> = self.cohorts.iter().map(|c| c.name.clone()).collect();
        let named = (self.cluster_queues.iter().filter_map(|c| c.cohort.clone()))
            .chain(self.cohorts.iter().filter_map(|c| c.parent.clone()));
        for n in named.collect::<Vec<_>>() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let nodes: Vec<NodeIx> = (0..names.len())
            .map(|i| {
                let q = self.cohorts.get(i).map_or(vec![], |c| quotas(&c.groups));
                tree.add_node(true, &q)
            })
            .collect();
        let cohort_ix = |name: &str| names.iter().position(|n| n == name).expect("named");
        let parents: Vec<Option<usize>> = (0..names.len())
            .map(|i| {
                self.cohorts
                    .get(i)
                    .and_then(|c| c.parent.as_deref())
                    .map(cohort_ix)
            })
            .collect();
        let in_cycle: Vec<bool> = (0..names.len()).map(|i| on_a_cycle(&parents, i)).collect();
        for (i, p) in parents.iter().enumerate() {
            if let (Some(p), false) = (p, in_cycle[i]) {
                tree.set_parent(nodes[i], nodes[*p]);
            }
        }
        Cohorts {
            names,
            nodes,
            parents,
            in_cycle,
        }
    }

    /// The ClusterQueues with dense ids, each linked under its cohort unless that cohort's
    /// chain meets a cycle.
    fn compile_cluster_queues(
        &mut self,
        tree: &mut QuotaTree,
        resources: &[String],
        cq_nodes: &[NodeIx],
        cohorts: &Cohorts,
    ) -> Vec<ClusterQueue> {
        let mut cluster_queues = Vec::new();
        for (ci, spec) in std::mem::take(&mut self.cluster_queues)
            .into_iter()
            .enumerate()
        {
            let cohort = spec.cohort.as_deref().map(|name| cohorts.ix(name));
            let mut inactive = spec.stopped.then(|| "Stopped".to_string());
            if let Some(c) = cohort {
                if reaches_cycle(&cohorts.parents, &cohorts.in_cycle, c) {
                    inactive = Some("CohortCycle".into());
                } else {
                    tree.set_parent(cq_nodes[ci], cohorts.nodes[c]);
                }
            }
            let groups = spec
                .groups
                .iter()
                .map(|(covered, fl)| Group {
                    resources: covered.iter().map(|r| position(resources, r)).collect(),
                    flavors: fl.iter().map(|(f, _)| self.flavor_ix(f)).collect(),
                })
                .collect::<Vec<_>>();
            if groups
                .iter()
                .flat_map(|g| &g.flavors)
                .any(|&f| !self.flavors[f].exists)
            {
                inactive.get_or_insert_with(|| "FlavorNotFound".into());
            }
            cluster_queues.push(ClusterQueue {
                name: spec.name,
                node: cq_nodes[ci],
                groups,
                strategy: spec.strategy,
                fungibility: spec.fungibility,
                preemption: spec.preemption,
                inactive,
                namespace_selector: spec.namespace_selector,
            });
        }
        cluster_queues
    }

    /// The flavor's index; a name no ResourceFlavor defines is added as missing.
    fn flavor_ix(&mut self, name: &str) -> FlavorIx {
        if let Some(i) = self.flavors.iter().position(|f| f.name == name) {
            return i;
        }
        self.flavors.push(Flavor {
            name: name.to_string(),
            node_labels: BTreeMap::new(),
            node_taints: vec![],
            tolerations: vec![],
            exists: false,
        });
        self.flavors.len() - 1
    }
}

/// The cohorts of a build: names (defined ones first), tree nodes, parents (by index) and
/// which ones are on a cycle of parent links.
struct Cohorts {
    names: Vec<String>,
    nodes: Vec<NodeIx>,
    parents: Vec<Option<usize>>,
    in_cycle: Vec<bool>,
}

impl Cohorts {
    /// The index of a cohort by name.
    fn ix(&self, name: &str) -> usize {
        self.names.iter().position(|n| n == name).expect("named")
    }
}

/// FR quotas, as a quota tree node takes them.
type FrQuotas = Vec<(FrId, FrQuota)>;

/// The FR quotas of resource groups as written, in their order.
fn quotas_of(
    groups: &[GroupSpec],
    flavors: &[Flavor],
    resources: &[String],
    fr_ids: &[BTreeMap<ResIx, FrId>],
) -> FrQuotas {
    let mut out = Vec::new();
    for (_, fl) in groups {
        for (f, qs) in fl {
            let fi = flavors.iter().position(|x| &x.name == f).expect("interned");
            for (r, q) in qs {
                let ri = resources.iter().position(|x| x == r).expect("interned");
                out.push((fr_ids[fi][&ri], *q));
            }
        }
    }
    out
}

fn intern(names: &mut Vec<String>, name: &str) -> usize {
    match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    }
}

fn position(names: &[String], name: &str) -> usize {
    names.iter().position(|n| n == name).expect("interned")
}

/// Is cohort `start` on a cycle of parent links?
fn on_a_cycle(parents: &[Option<usize>], start: usize) -> bool {
    let mut at = parents[start];
    for _ in 0..parents.len() {
        match at {
            Some(p) if p == start => return true,
            Some(p) => at = parents[p],
            None => return false,
        }
    }
    false
}

/// Does cohort `start`'s chain of parents meet a cycle?
fn reaches_cycle(parents: &[Option<usize>], in_cycle: &[bool], start: usize) -> bool {
    let mut at = Some(start);
    for _ in 0..=parents.len() {
        match at {
            Some(c) if in_cycle[c] => return true,
            Some(c) => at = parents[c],
            None => return false,
        }
    }
    false
}

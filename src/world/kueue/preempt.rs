//! Classical preemption (kueue-semantics §6; `pkg/scheduler/preemption/preemption.go`
//! `classicalPreemptions`, `classical/hierarchical_preemption.go`, `common/ordering.go`): which
//! admitted Workloads a Workload that does not fit may evict, chosen greedily in Kueue's
//! candidate order and then filled back to a minimal set.

use super::model::{CqIx, Model, Reclaim, WithinQueue};
use super::queue::WlId;
use super::quota::{FrId, NodeIx, QuotaTree};
use std::collections::BTreeSet;

/// An admitted Workload as preemption sees it (it holds its quota until released).
#[derive(Debug, Clone)]
pub(crate) struct Admitted {
    pub wl: WlId,
    pub cq: CqIx,
    pub priority: i32,
    /// Queue-order timestamp (for `LowerOrNewerEqualPriority`).
    pub timestamp_ns: u64,
    /// When its quota was reserved (most recent first among equals).
    pub reserved_ns: u64,
    pub uid: String,
    pub usage: Vec<(FrId, i64)>,
    /// Already evicted (its JobSet stopping): counted as preempted, never patched again.
    pub evicted: bool,
    /// Under admission fair sharing: its LocalQueue and that queue's score (§8).
    pub lq_usage: Option<(u32, f64)>,
}

/// Why a target is preempted (`Preempted` condition's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Variant {
    /// Another ClusterQueue's Workload, in a subtree whose quota the preemptor's request fits.
    HierarchicalReclaim,
    /// Another ClusterQueue's Workload, usable only if the preemptor will not borrow after.
    ReclaimWithoutBorrowing,
    /// Another ClusterQueue's Workload under `borrowWithinCohort`.
    ReclaimWhileBorrowing,
    /// A Workload of the preemptor's own ClusterQueue.
    WithinQueue,
    /// Another ClusterQueue's Workload whose removal the fair-sharing strategies allowed.
    FairSharing,
}

impl Variant {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Variant::HierarchicalReclaim | Variant::ReclaimWithoutBorrowing => {
                "InCohortReclamation"
            }
            Variant::ReclaimWhileBorrowing => "InCohortReclaimWhileBorrowing",
            Variant::WithinQueue => "InClusterQueue",
            Variant::FairSharing => "InCohortFairSharing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub wl: WlId,
    pub variant: Variant,
}

/// The Workload that wants quota.
pub(crate) struct Preemptor<'a> {
    pub cq: CqIx,
    pub priority: i32,
    pub timestamp_ns: u64,
    /// Its whole usage on every assigned FR.
    pub usage: &'a [(FrId, i64)],
    /// The FRs whose flavor needs preemption.
    pub contested: &'a BTreeSet<FrId>,
    /// Topology-Aware Scheduling: does its placement succeed once these Workloads are gone
    /// (`workloadFits` checks the TAS assignment too, §6.4 step 2)? None: quota alone decides.
    pub placement: Option<&'a PlacesWithout<'a>>,
}

/// Does the preemptor's topology placement succeed once these Workloads are gone?
pub(crate) type PlacesWithout<'a> = dyn Fn(&[WlId]) -> bool + 'a;

impl Preemptor<'_> {
    /// The preemptor fits the quota (`fits`) and, when it places by topology, the topology
    /// once the chosen candidates are gone.
    pub(crate) fn fits_without(
        &self,
        tree: &QuotaTree,
        node: NodeIx,
        chosen: &[&Candidate],
        allow_borrowing: bool,
    ) -> bool {
        fits(tree, node, self.usage, allow_borrowing)
            && self.placement.is_none_or(|placed| {
                let gone: Vec<WlId> = chosen.iter().map(|c| c.a.wl).collect();
                placed(&gone)
            })
    }
}

pub(crate) struct Candidate<'a> {
    pub a: &'a Admitted,
    pub variant: Variant,
}

/// `GetTargets`: the Workloads to evict so that the preemptor fits, or none.
pub(crate) fn targets(
    model: &Model,
    tree: &QuotaTree,
    admitted: &[Admitted],
    p: &Preemptor,
) -> Vec<Target> {
    if let Some(fs) = &model.fair_sharing {
        return super::fair::targets(model, fs, tree, admitted, p);
    }
    let cq = &model.cluster_queues[p.cq];
    let uses_contested = |a: &Admitted| a.usage.iter().any(|(fr, _)| p.contested.contains(fr));
    let mut own: Vec<Candidate> = admitted
        .iter()
        .filter(|a| a.cq == p.cq && uses_contested(a))
        .filter(|a| within_allows(cq.preemption.within, p, a))
        .map(|a| Candidate {
            a,
            variant: Variant::WithinQueue,
        })
        .collect();
    let (mut hierarchy, mut priority) = cohort_candidates(model, tree, admitted, p);
    let borrow_forbidden = cq.preemption.borrow_within.is_none();
    for list in [&mut own, &mut hierarchy, &mut priority] {
        list.sort_by(|x, y| order(p.cq, x.a, y.a));
    }
    let ordered: Vec<&Candidate> = [true, false]
        .into_iter()
        .flat_map(|evicted| {
            let (h, pr, o) = (&hierarchy, &priority, &own);
            (h.iter().chain(pr).chain(o)).filter(move |c| c.a.evicted == evicted)
        })
        .collect();
    let node = cq.node;
    let strictly_under_nominal = p
        .contested
        .iter()
        .all(|&fr| tree.usage(node, fr) < tree.quota(node, fr).nominal);
    let attempts: &[bool] = if hierarchy.is_empty() && priority.is_empty()
        || (borrow_forbidden && !strictly_under_nominal)
    {
        &[true]
    } else if borrow_forbidden && hierarchy.is_empty() {
        &[false, true]
    } else {
        &[true, false]
    };
    for &allow_borrowing in attempts {
        if let Some(t) = attempt(model, tree, p, &ordered, allow_borrowing) {
            return t;
        }
    }
    vec![]
}

/// `withinClusterQueue` for a candidate of the preemptor's own queue.
pub(crate) fn within_allows(policy: WithinQueue, p: &Preemptor, a: &Admitted) -> bool {
    match policy {
        WithinQueue::Never => false,
        WithinQueue::LowerPriority => a.priority < p.priority,
        WithinQueue::LowerOrNewerEqualPriority => {
            a.priority < p.priority || (a.priority == p.priority && p.timestamp_ns < a.timestamp_ns)
        }
    }
}

/// `CandidatesOrdering`: evicted first, other queues before the own, under admission fair
/// sharing the higher LocalQueue score first (two Workloads of one ClusterQueue from different
/// LocalQueues), lower priority, most recently reserved, UID.
pub(crate) fn order(own: CqIx, x: &Admitted, y: &Admitted) -> std::cmp::Ordering {
    (!x.evicted, x.cq == own)
        .cmp(&(!y.evicted, y.cq == own))
        .then_with(|| afs_order(x, y))
        .then_with(|| {
            (x.priority, std::cmp::Reverse(x.reserved_ns), &x.uid).cmp(&(
                y.priority,
                std::cmp::Reverse(y.reserved_ns),
                &y.uid,
            ))
        })
}

/// `CandidatesOrdering` step 2: between Workloads of one ClusterQueue and different
/// LocalQueues, both scored, the higher score first.
fn afs_order(x: &Admitted, y: &Admitted) -> std::cmp::Ordering {
    match (x.lq_usage, y.lq_usage) {
        (Some((lx, ux)), Some((ly, uy))) if x.cq == y.cq && lx != ly => uy.total_cmp(&ux),
        _ => std::cmp::Ordering::Equal,
    }
}

/// Node `n` is within nominal on the contested FRs: it borrows on none of them.
fn within_nominal(tree: &QuotaTree, n: NodeIx, contested: &BTreeSet<FrId>) -> bool {
    contested.iter().all(|&fr| !tree.borrows_with(n, fr, 0))
}

/// §6.3 step 2: the other queues' candidates up the cohort tree, split into those the
/// preemptor has hierarchical advantage over and the rest.
fn cohort_candidates<'a>(
    model: &Model,
    tree: &QuotaTree,
    admitted: &'a [Admitted],
    p: &Preemptor,
) -> (Vec<Candidate<'a>>, Vec<Candidate<'a>>) {
    let cq = &model.cluster_queues[p.cq];
    let (mut hierarchy, mut priority) = (vec![], vec![]);
    let Some(mut ancestor) = tree.parent(cq.node) else {
        return (hierarchy, priority);
    };
    if cq.preemption.reclaim == Reclaim::Never {
        return (hierarchy, priority);
    }
    let request = |fr: FrId| {
        p.usage
            .iter()
            .find(|(f, _)| *f == fr)
            .map_or(0, |(_, v)| *v)
    };
    let mut advantage = p
        .contested
        .iter()
        .all(|&fr| tree.subtree_quota(cq.node, fr) >= tree.usage(cq.node, fr) + request(fr));
    let mut remaining: Vec<(FrId, i64)> = (p.contested.iter())
        .map(|&fr| (fr, request(fr) - tree.local_available(cq.node, fr)))
        .collect();
    let mut visited = cq.node;
    loop {
        for a in admitted {
            let a_node = model.cluster_queues[a.cq].node;
            if a.cq == p.cq
                || !a.usage.iter().any(|(fr, _)| p.contested.contains(fr))
                || !under(tree, a_node, ancestor)
                || under(tree, a_node, visited)
                || skipped_on_the_way(tree, a_node, ancestor, p.contested)
                || !reclaim_allows(cq.preemption.reclaim, p, a)
            {
                continue;
            }
            let variant = classify(cq.preemption.borrow_within, advantage, p, a);
            let c = Candidate { a, variant };
            if variant == Variant::HierarchicalReclaim {
                hierarchy.push(c);
            } else {
                priority.push(c);
            }
        }
        advantage |= remaining
            .iter()
            .all(|&(fr, r)| tree.subtree_quota(ancestor, fr) >= tree.usage(ancestor, fr) + r);
        for (fr, r) in &mut remaining {
            *r -= tree.local_available(ancestor, *fr);
        }
        visited = ancestor;
        match tree.parent(ancestor) {
            Some(next) => ancestor = next,
            None => return (hierarchy, priority),
        }
    }
}

/// Is node `n` in the subtree of `root` (itself included)?
fn under(tree: &QuotaTree, mut n: NodeIx, root: NodeIx) -> bool {
    loop {
        if n == root {
            return true;
        }
        match tree.parent(n) {
            Some(p) => n = p,
            None => return false,
        }
    }
}

/// A candidate's queue, or a cohort between it and `top` (excluded), within nominal on the
/// contested FRs: the whole subtree is skipped.
fn skipped_on_the_way(
    tree: &QuotaTree,
    mut n: NodeIx,
    top: NodeIx,
    contested: &BTreeSet<FrId>,
) -> bool {
    while n != top {
        if within_nominal(tree, n, contested) {
            return true;
        }
        match tree.parent(n) {
            Some(p) => n = p,
            None => return false,
        }
    }
    false
}

pub(crate) fn reclaim_allows(policy: Reclaim, p: &Preemptor, a: &Admitted) -> bool {
    match policy {
        Reclaim::Never => false,
        Reclaim::LowerPriority => a.priority < p.priority,
        Reclaim::Any => true,
    }
}

fn classify(
    borrow_within: Option<Option<i32>>,
    advantage: bool,
    p: &Preemptor,
    a: &Admitted,
) -> Variant {
    if advantage {
        return Variant::HierarchicalReclaim;
    }
    match borrow_within {
        None => Variant::ReclaimWithoutBorrowing,
        Some(threshold) => {
            if a.priority >= p.priority || threshold.is_some_and(|t| a.priority > t) {
                Variant::ReclaimWithoutBorrowing
            } else {
                Variant::ReclaimWhileBorrowing
            }
        }
    }
}

/// One pass of the removal loop (§6.4) with `allow_borrowing`, then the fill-back.
fn attempt(
    model: &Model,
    tree: &QuotaTree,
    p: &Preemptor,
    ordered: &[&Candidate],
    allow_borrowing: bool,
) -> Option<Vec<Target>> {
    let mut snapshot = tree.clone();
    let own_node = model.cluster_queues[p.cq].node;
    let mut chosen: Vec<&Candidate> = vec![];
    for c in ordered {
        let a_node = model.cluster_queues[c.a.cq].node;
        if c.a.cq != p.cq {
            if allow_borrowing && c.variant == Variant::ReclaimWithoutBorrowing {
                continue;
            }
            let top = lowest_common_ancestor(&snapshot, a_node, own_node);
            if skipped_on_the_way(&snapshot, a_node, top, p.contested) {
                continue;
            }
        }
        remove(&mut snapshot, a_node, &c.a.usage);
        chosen.push(c);
        if p.fits_without(&snapshot, own_node, &chosen, allow_borrowing) {
            fill_back(model, &mut snapshot, p, &mut chosen, allow_borrowing);
            return Some(
                (chosen.iter())
                    .map(|c| Target {
                        wl: c.a.wl,
                        variant: c.variant,
                    })
                    .collect(),
            );
        }
    }
    None
}

/// Re-adds the chosen candidates, last but one first, dropping each the preemptor fits
/// without (`fillBackWorkloads`; fair sharing calls it with borrowing allowed).
pub(crate) fn fill_back(
    model: &Model,
    snapshot: &mut QuotaTree,
    p: &Preemptor,
    chosen: &mut Vec<&Candidate>,
    allow_borrowing: bool,
) {
    let own_node = model.cluster_queues[p.cq].node;
    for i in (0..chosen.len().saturating_sub(1)).rev() {
        let c = chosen.remove(i);
        let node = model.cluster_queues[c.a.cq].node;
        for &(fr, v) in &c.a.usage {
            snapshot.add_usage(node, fr, v);
        }
        if !p.fits_without(snapshot, own_node, chosen, allow_borrowing) {
            remove(snapshot, node, &c.a.usage);
            chosen.insert(i, c);
        }
    }
}

pub(crate) fn remove(tree: &mut QuotaTree, node: NodeIx, usage: &[(FrId, i64)]) {
    for &(fr, v) in usage {
        tree.remove_usage(node, fr, v);
    }
}

pub(crate) fn fits(
    tree: &QuotaTree,
    node: NodeIx,
    usage: &[(FrId, i64)],
    allow_borrowing: bool,
) -> bool {
    usage.iter().all(|&(fr, v)| {
        (allow_borrowing || !tree.borrows_with(node, fr, v)) && v <= tree.available(node, fr)
    })
}

fn lowest_common_ancestor(tree: &QuotaTree, a: NodeIx, b: NodeIx) -> NodeIx {
    let mut n = a;
    loop {
        if under(tree, b, n) {
            return n;
        }
        match tree.parent(n) {
            Some(p) => n = p,
            None => return n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(wl: WlId, cq: CqIx, priority: i32, lq_usage: Option<(u32, f64)>) -> Admitted {
        Admitted {
            wl,
            cq,
            priority,
            timestamp_ns: 0,
            reserved_ns: 0,
            uid: format!("uid-{wl}"),
            usage: vec![],
            evicted: false,
            lq_usage,
        }
    }

    #[test]
    fn fair_sharing_candidates_of_the_more_used_local_queue_go_first() {
        // `CandidatesOrdering` step 2: between two LocalQueues of one ClusterQueue the higher
        // score is preempted first, before priority is compared.
        let heavy = candidate(1, 0, 5, Some((0, 9.0)));
        let light = candidate(2, 0, 1, Some((1, 2.0)));
        assert_eq!(order(0, &heavy, &light), std::cmp::Ordering::Less);
        // Same LocalQueue, or unscored: priority decides.
        let same_lq = candidate(3, 0, 1, Some((0, 9.0)));
        assert_eq!(order(0, &heavy, &same_lq), std::cmp::Ordering::Greater);
        let plain = candidate(4, 0, 1, None);
        assert_eq!(order(0, &heavy, &plain), std::cmp::Ordering::Greater);
        // Other ClusterQueues still come before the preemptor's own.
        let other_cq = candidate(5, 1, 9, Some((2, 0.0)));
        assert_eq!(order(0, &other_cq, &heavy), std::cmp::Ordering::Less);
    }
}

//! Fair sharing (kueue-semantics §7; docs/kueue.md "Fair sharing"): the Dominant Resource
//! Share of a node of the quota tree (`pkg/cache/scheduler/fair_sharing.go`), the tournament
//! that orders a cycle's entries (`pkg/scheduler/fair_sharing_iterator.go`) and fair-sharing
//! preemption (`preemption.go` `fairPreemptions`, `preemption/fairsharing/*.go`).
//!
//! Shares are exact: a ratio is kept as the fraction `borrowed × 1000 / lendable` of two
//! integers and weighted shares are compared as fractions (Kueue compares float64s), so no
//! rounding decides an order.

use super::model::{CqIx, Model, Reclaim, ResIx};
use super::preempt::{self, Admitted, Candidate, Preemptor, Target, Variant};
use super::quota::{FrId, NodeIx, QuotaTree};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `fairSharing.preemptionStrategies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FsStrategy {
    /// Rule S2-a: the preemptor's new share ≤ the target's share after the removal.
    LessThanOrEqualToFinalShare,
    /// Rule S2-b: the preemptor's new share < the target's share before it.
    LessThanInitialShare,
}

/// Fair sharing as the builder takes it: strategies, and `spec.fairSharing.weight` in
/// thousandths by ClusterQueue and by cohort name (absent: 1000).
#[derive(Debug, Clone, Default)]
pub(crate) struct FairSharingSpec {
    pub strategies: Vec<FsStrategy>,
    pub cq_weights: BTreeMap<String, i64>,
    pub cohort_weights: BTreeMap<String, i64>,
}

/// Fair sharing compiled for the quota tree.
#[derive(Debug, Clone)]
pub(crate) struct FairSharing {
    /// Never empty: an empty list means both, S2-a first (`parseStrategies`).
    pub strategies: Vec<FsStrategy>,
    /// Per node: its weight in thousandths.
    weight_milli: Vec<i64>,
    /// Per node: its name (for the choices Kueue leaves to map order).
    names: Vec<String>,
    /// Per FR: its resource.
    fr_resource: Vec<ResIx>,
}

impl FairSharing {
    pub(crate) fn new(
        spec: FairSharingSpec,
        names: Vec<String>,
        cohort_nodes: &[NodeIx],
        fr_resource: Vec<ResIx>,
    ) -> Self {
        let weight_milli = (names.iter().enumerate())
            .map(|(n, name)| {
                let weights = if cohort_nodes.contains(&n) {
                    &spec.cohort_weights
                } else {
                    &spec.cq_weights
                };
                weights.get(name).copied().unwrap_or(1000)
            })
            .collect();
        let strategies = if spec.strategies.is_empty() {
            vec![
                FsStrategy::LessThanOrEqualToFinalShare,
                FsStrategy::LessThanInitialShare,
            ]
        } else {
            spec.strategies
        };
        FairSharing {
            strategies,
            weight_milli,
            names,
            fr_resource,
        }
    }
}

/// A node's Dominant Resource Share (`DRS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Drs {
    weight_milli: i64,
    /// The dominant resource's `borrowed × 1000 / lendable` as (numerator, denominator);
    /// `None` when zero.
    ratio: Option<(u128, u128)>,
    /// The resource that gave the ratio.
    pub dominant: Option<ResIx>,
    /// The FRs the node borrows on (empty: not borrowing).
    borrowed_frs: Vec<FrId>,
}

impl Drs {
    pub(crate) fn borrowing(&self) -> bool {
        !self.borrowed_frs.is_empty()
    }

    /// Borrowing on one of the FRs `usage` asks for (`IsBorrowingOn`).
    fn borrowing_on(&self, usage: &[(FrId, i64)]) -> bool {
        (self.borrowed_frs.iter()).any(|fr| usage.iter().any(|&(f, v)| f == *fr && v > 0))
    }

    /// A zero weight that borrows: an infinite share.
    fn infinite(&self) -> bool {
        self.weight_milli == 0 && self.ratio.is_some()
    }

    /// `ratio / weight` as a fraction (weight in thousandths: `ratio × 1000 / weight_milli`).
    fn weighted(&self) -> (u128, u128) {
        match self.ratio {
            None => (0, 1),
            Some((n, d)) => (
                n.saturating_mul(1000),
                d.saturating_mul(self.weight_milli.max(1) as u128),
            ),
        }
    }

    /// Status `fairSharing.weightedShare`: `ceil(ratio / weight)`, `i64::MAX` for an
    /// infinite share.
    pub(crate) fn weighted_share(&self) -> i64 {
        if self.infinite() {
            return i64::MAX;
        }
        let (n, d) = self.weighted();
        i64::try_from(n.div_ceil(d)).unwrap_or(i64::MAX)
    }
}

/// `CompareDRS`: lower is preferred for admission, higher for preemption. Infinite shares
/// beat every finite one and compare among themselves by their unweighted ratio.
pub(crate) fn compare(a: &Drs, b: &Drs) -> Ordering {
    let zero = (0, 1);
    match (a.infinite(), b.infinite()) {
        (true, true) => cmp_fraction(a.ratio.unwrap_or(zero), b.ratio.unwrap_or(zero)),
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => cmp_fraction(a.weighted(), b.weighted()),
    }
}

/// Compares `an/ad` with `bn/bd` (denominators positive) exactly, by their continued
/// fractions, so no product can overflow.
fn cmp_fraction((mut an, mut ad): (u128, u128), (mut bn, mut bd): (u128, u128)) -> Ordering {
    let mut flipped = false;
    loop {
        let (aq, ar, bq, br) = (an / ad, an % ad, bn / bd, bn % bd);
        let order = match (aq.cmp(&bq), ar == 0, br == 0) {
            (Ordering::Equal, true, true) => Ordering::Equal,
            (Ordering::Equal, true, false) => Ordering::Less,
            (Ordering::Equal, false, true) => Ordering::Greater,
            (Ordering::Equal, false, false) => {
                // ar/ad < br/bd ⇔ ad/ar > bd/br.
                (an, ad, bn, bd) = (ad, ar, bd, br);
                flipped = !flipped;
                continue;
            }
            (o, _, _) => o,
        };
        return if flipped { order.reverse() } else { order };
    }
}

/// `dominantResourceShare`: for a node with a parent, with `extra` added to its usage, the
/// largest over resources of what it borrows (summed over flavors) × 1000 / what its parent
/// could lend of that resource; ties go to the resource whose name sorts first.
pub(crate) fn drs(
    model: &Model,
    fs: &FairSharing,
    tree: &QuotaTree,
    node: NodeIx,
    extra: &[(FrId, i64)],
) -> Drs {
    let mut out = Drs {
        weight_milli: fs.weight_milli[node],
        ratio: None,
        dominant: None,
        borrowed_frs: vec![],
    };
    let Some(parent) = tree.parent(node) else {
        return out;
    };
    let mut borrowed: BTreeMap<ResIx, u128> = BTreeMap::new();
    for fr in 0..tree.fr_count() {
        let more: i64 = (extra.iter().filter(|(f, _)| *f == fr))
            .map(|(_, v)| v)
            .sum();
        let amount = tree.usage(node, fr) + more - tree.subtree_quota(node, fr);
        if amount > 0 {
            *borrowed.entry(fs.fr_resource[fr]).or_default() += amount as u128;
            out.borrowed_frs.push(fr);
        }
    }
    for (&r, &b) in &borrowed {
        let lendable: u128 = (0..tree.fr_count())
            .filter(|&fr| fs.fr_resource[fr] == r)
            .map(|fr| tree.potential_available(parent, fr).max(0) as u128)
            .sum();
        if lendable == 0 {
            continue;
        }
        let ratio = (b.saturating_mul(1000), lendable);
        let better = match (out.ratio, out.dominant) {
            (Some(cur), Some(d)) => match cmp_fraction(ratio, cur) {
                Ordering::Greater => true,
                Ordering::Equal => model.resources[r] < model.resources[d],
                Ordering::Less => false,
            },
            _ => true,
        };
        if better {
            out.ratio = Some(ratio);
            out.dominant = Some(r);
        }
    }
    out
}

/// Status `fairSharing.weightedShare` of every ClusterQueue (0 without a cohort).
pub(crate) fn weighted_shares(model: &Model) -> Option<Vec<i64>> {
    let fs = model.fair_sharing.as_ref()?;
    Some(
        (model.cluster_queues.iter())
            .map(|cq| drs(model, fs, &model.tree, cq.node, &[]).weighted_share())
            .collect(),
    )
}

/// A cycle's entry as the tournament sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Contender<'a> {
    pub cq: CqIx,
    pub priority: i32,
    pub timestamp_ns: u64,
    /// The usage its assignment would add.
    pub usage: &'a [(FrId, i64)],
}

/// The fair-sharing iterator's next pop (§7.2): the index in `entries` of the entry to
/// process next, with the quota as `model.tree` holds it now. Kueue starts from any entry's
/// tree (map order); here the tree whose root's name sorts first.
pub(crate) fn next_entry(model: &Model, entries: &[Contender]) -> usize {
    let fs = model.fair_sharing.as_ref().expect("fair sharing on");
    let tree = &model.tree;
    let node_of = |e: &Contender| model.cluster_queues[e.cq].node;
    let start = (0..entries.len())
        .min_by_key(|&i| {
            let root = tree.root(node_of(&entries[i]));
            (&fs.names[root], root, i)
        })
        .expect("an entry left");
    let root = tree.root(node_of(&entries[start]));
    if tree.parent(node_of(&entries[start])).is_none() {
        return start;
    }
    // Each entry's DRS, its usage added, at every level: keyed by (parent cohort, entry).
    let mut scratch = tree.clone();
    let mut shares: BTreeMap<(NodeIx, usize), Drs> = BTreeMap::new();
    let mut by_node: BTreeMap<NodeIx, usize> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let node = node_of(e);
        if tree.root(node) != root {
            continue;
        }
        by_node.insert(node, i);
        for &(fr, v) in e.usage {
            scratch.add_usage(node, fr, v);
        }
        let mut child = node;
        while let Some(parent) = scratch.parent(child) {
            shares.insert((parent, i), drs(model, fs, &scratch, child, &[]));
            child = parent;
        }
        for &(fr, v) in e.usage {
            scratch.remove_usage(node, fr, v);
        }
    }
    let t = Tournament {
        model,
        entries,
        shares: &shares,
        by_node: &by_node,
    };
    t.winner(root)
        .expect("the root's tree holds the start entry")
}

struct Tournament<'a> {
    model: &'a Model,
    entries: &'a [Contender<'a>],
    shares: &'a BTreeMap<(NodeIx, usize), Drs>,
    by_node: &'a BTreeMap<NodeIx, usize>,
}

impl Tournament<'_> {
    /// `runTournament`: the best of the child cohorts' winners and the child queues' entries.
    fn winner(&self, cohort: NodeIx) -> Option<usize> {
        let tree = &self.model.tree;
        let children = tree.children(cohort);
        let from_cohorts = (children.iter())
            .filter(|&&c| tree.is_cohort(c))
            .filter_map(|&c| self.winner(c));
        let from_queues = (children.iter())
            .filter(|&&c| !tree.is_cohort(c))
            .filter_map(|c| self.by_node.get(c).copied());
        let candidates: Vec<usize> = from_cohorts.chain(from_queues).collect();
        let mut best = *candidates.first()?;
        for &c in &candidates[1..] {
            if self.less(c, best, cohort) {
                best = c;
            }
        }
        Some(best)
    }

    /// `entryComparer.less` at the level below `cohort`: not borrowing on its own FRs first
    /// (`FairSharingPrioritizeNonBorrowing`), lower DRS, higher priority, older; then (where
    /// Kueue keeps whichever came first in map order) the ClusterQueue's name.
    fn less(&self, a: usize, b: usize, cohort: NodeIx) -> bool {
        let (ea, eb) = (&self.entries[a], &self.entries[b]);
        let (da, db) = (&self.shares[&(cohort, a)], &self.shares[&(cohort, b)]);
        let (ba, bb) = (da.borrowing_on(ea.usage), db.borrowing_on(eb.usage));
        let names = &self.model.cluster_queues;
        (ba.cmp(&bb))
            .then_with(|| compare(da, db))
            .then_with(|| eb.priority.cmp(&ea.priority))
            .then_with(|| ea.timestamp_ns.cmp(&eb.timestamp_ns))
            .then_with(|| names[ea.cq].name.cmp(&names[eb.cq].name))
            == Ordering::Less
    }
}

/// `fairPreemptions` (§7.3): the Workloads to evict so that the preemptor fits, chosen by
/// the target-queue ordering and the fair-sharing strategies, then filled back.
pub(crate) fn targets(
    model: &Model,
    fs: &FairSharing,
    tree: &QuotaTree,
    admitted: &[Admitted],
    p: &Preemptor,
) -> Vec<Target> {
    let cq = &model.cluster_queues[p.cq];
    let own = cq.node;
    let uses_contested = |a: &Admitted| a.usage.iter().any(|(fr, _)| p.contested.contains(fr));
    let node_of = |a: &Admitted| model.cluster_queues[a.cq].node;
    let mut candidates: Vec<&Admitted> = (admitted.iter())
        .filter(|a| a.cq == p.cq && uses_contested(a))
        .filter(|a| preempt::within_allows(cq.preemption.within, p, a))
        .collect();
    if tree.parent(own).is_some() && cq.preemption.reclaim != Reclaim::Never {
        let root = tree.root(own);
        let borrowing = |n: NodeIx| p.contested.iter().any(|&fr| tree.borrows_with(n, fr, 0));
        candidates.extend(admitted.iter().filter(|a| {
            a.cq != p.cq
                && tree.root(node_of(a)) == root
                && borrowing(node_of(a))
                && uses_contested(a)
                && preempt::reclaim_allows(cq.preemption.reclaim, p, a)
        }));
    }
    if candidates.is_empty() {
        return vec![];
    }
    candidates.sort_by(|x, y| preempt::order(p.cq, x, y));
    let mut run = Run {
        model,
        fs,
        p,
        own,
        snapshot: tree.clone(),
        chosen: vec![],
    };
    // Every share below includes the incoming Workload.
    for &(fr, v) in p.usage {
        run.snapshot.add_usage(own, fr, v);
    }
    let (mut fits, retry) = run.first_pass(&candidates, fs.strategies[0]);
    if !fits && fs.strategies.len() > 1 {
        fits = run.second_pass(&retry);
    }
    for &(fr, v) in p.usage {
        run.snapshot.remove_usage(own, fr, v);
    }
    if !fits {
        return vec![];
    }
    let taken = std::mem::take(&mut run.chosen);
    let mut chosen: Vec<&Candidate> = taken.iter().collect();
    preempt::fill_back(model, &mut run.snapshot, p, &mut chosen, true);
    (chosen.iter())
        .map(|c| Target {
            wl: c.a.wl,
            variant: c.variant,
        })
        .collect()
}

/// One fair preemption simulation: the snapshot holds the incoming Workload's usage and
/// lacks every victim chosen so far.
struct Run<'a> {
    model: &'a Model,
    fs: &'a FairSharing,
    p: &'a Preemptor<'a>,
    own: NodeIx,
    snapshot: QuotaTree,
    chosen: Vec<Candidate<'a>>,
}

impl<'a> Run<'a> {
    fn node_of(&self, a: &Admitted) -> NodeIx {
        self.model.cluster_queues[a.cq].node
    }

    fn drs(&self, node: NodeIx) -> Drs {
        drs(self.model, self.fs, &self.snapshot, node, &[])
    }

    fn take(&mut self, a: &'a Admitted, variant: Variant) -> bool {
        let node = self.node_of(a);
        preempt::remove(&mut self.snapshot, node, &a.usage);
        self.chosen.push(Candidate { a, variant });
        self.fits()
    }

    /// `workloadFitsForFairSharing`: the preemptor fits (borrowing allowed) once its own
    /// simulated usage is taken out again.
    fn fits(&mut self) -> bool {
        for &(fr, v) in self.p.usage {
            self.snapshot.remove_usage(self.own, fr, v);
        }
        let chosen: Vec<&Candidate> = self.chosen.iter().collect();
        let fits = self.p.fits_without(&self.snapshot, self.own, &chosen, true);
        for &(fr, v) in self.p.usage {
            self.snapshot.add_usage(self.own, fr, v);
        }
        fits
    }

    /// The lowest common ancestor's children on the preemptor's and the target's paths
    /// (`getAlmostLCAs`).
    fn almost_lcas(&self, ordering: &TargetOrdering, target: NodeIx) -> (NodeIx, NodeIx) {
        let tree = &self.snapshot;
        let mut lca = tree
            .parent(target)
            .expect("a target in the preemptor's tree");
        while !ordering.own_path.contains(&lca) {
            lca = tree
                .parent(lca)
                .expect("the root is on the preemptor's path");
        }
        let below = |mut n: NodeIx| {
            while tree.parent(n) != Some(lca) {
                n = tree.parent(n).expect("under the common ancestor");
            }
            n
        };
        (below(self.own), below(target))
    }

    /// (preemptor's new share, target's old share) at their almost-LCAs.
    fn shares(&self, ordering: &TargetOrdering, target: NodeIx) -> (Drs, Drs) {
        let (p, t) = self.almost_lcas(ordering, target);
        (self.drs(p), self.drs(t))
    }

    /// `runFirstFsStrategy`: whether the preemptor fits, and the candidates the strategy
    /// turned down (for rule S2-b).
    fn first_pass(
        &mut self,
        candidates: &[&'a Admitted],
        strategy: FsStrategy,
    ) -> (bool, Vec<&'a Admitted>) {
        let mut ordering = TargetOrdering::new(self, candidates);
        let mut retry = vec![];
        // `FairSharingPreemptWithinNominal`: nominal entitlement beats fairness.
        let within_nominal =
            (self.p.contested.iter()).all(|&fr| !self.snapshot.borrows_with(self.own, fr, 0));
        while let Some(target) = ordering.next(self) {
            if target == self.own {
                let a = ordering.pop(target);
                if self.take(a, Variant::WithinQueue) {
                    return (true, vec![]);
                }
                continue;
            }
            if within_nominal {
                let a = ordering.pop(target);
                if self.take(a, Variant::HierarchicalReclaim) {
                    return (true, vec![]);
                }
                continue;
            }
            let (preemptor_new, target_old) = self.shares(&ordering, target);
            if preemptor_new.infinite() && !target_old.infinite() {
                while ordering.has(target) {
                    retry.push(ordering.pop(target));
                }
                continue;
            }
            while ordering.has(target) {
                let a = ordering.pop(target);
                let node = self.node_of(a);
                preempt::remove(&mut self.snapshot, node, &a.usage);
                let (_, almost) = self.almost_lcas(&ordering, target);
                let target_new = self.drs(almost);
                for &(fr, v) in &a.usage {
                    self.snapshot.add_usage(node, fr, v);
                }
                let passed = match strategy {
                    FsStrategy::LessThanOrEqualToFinalShare => {
                        compare(&preemptor_new, &target_new) != Ordering::Greater
                    }
                    FsStrategy::LessThanInitialShare => {
                        compare(&preemptor_new, &target_old) == Ordering::Less
                    }
                };
                if passed {
                    if self.take(a, Variant::FairSharing) {
                        return (true, vec![]);
                    }
                    // The shares changed: choose the target queue again.
                    break;
                }
                retry.push(a);
            }
        }
        (false, retry)
    }

    /// `runSecondFsStrategy` (rule S2-b over the turned-down candidates): per target queue in
    /// the same order, its first candidate if the preemptor's new share is below the
    /// target's; each queue is tried once.
    fn second_pass(&mut self, retry: &[&'a Admitted]) -> bool {
        let mut ordering = TargetOrdering::new(self, retry);
        while let Some(target) = ordering.next(self) {
            let (preemptor_new, target_old) = self.shares(&ordering, target);
            let a = ordering.pop(target);
            if compare(&preemptor_new, &target_old) == Ordering::Less
                && self.take(a, Variant::FairSharing)
            {
                return true;
            }
            ordering.pruned_cqs.insert(target);
        }
        false
    }
}

/// `TargetClusterQueueOrdering`: from the root, the child with the highest DRS among those
/// still holding candidates; queues that do not borrow (but the preemptor's) and cohorts
/// that do not borrow (but those on the preemptor's path) are pruned.
struct TargetOrdering<'a> {
    own: NodeIx,
    /// The preemptor's ancestors, parent first.
    own_path: Vec<NodeIx>,
    /// Candidates by ClusterQueue node, in candidate order.
    queues: BTreeMap<NodeIx, VecDeque<&'a Admitted>>,
    pruned_cqs: BTreeSet<NodeIx>,
    pruned_cohorts: BTreeSet<NodeIx>,
}

impl<'a> TargetOrdering<'a> {
    fn new(run: &Run, candidates: &[&'a Admitted]) -> Self {
        let mut own_path = vec![];
        let mut n = run.own;
        while let Some(p) = run.snapshot.parent(n) {
            own_path.push(p);
            n = p;
        }
        let mut queues: BTreeMap<NodeIx, VecDeque<&Admitted>> = BTreeMap::new();
        for a in candidates {
            queues.entry(run.node_of(a)).or_default().push_back(a);
        }
        TargetOrdering {
            own: run.own,
            own_path,
            queues,
            pruned_cqs: BTreeSet::new(),
            pruned_cohorts: BTreeSet::new(),
        }
    }

    fn has(&self, cq: NodeIx) -> bool {
        self.queues.get(&cq).is_some_and(|q| !q.is_empty())
    }

    fn pop(&mut self, cq: NodeIx) -> &'a Admitted {
        (self.queues.get_mut(&cq))
            .and_then(VecDeque::pop_front)
            .expect("a target queue holds a candidate")
    }

    /// The next target queue, or `None` once the root is pruned.
    fn next(&mut self, run: &Run) -> Option<NodeIx> {
        let Some(&root) = self.own_path.last() else {
            let own = self.own;
            return (!self.pruned_cqs.contains(&own) && self.has(own)).then_some(own);
        };
        while !self.pruned_cohorts.contains(&root) {
            if let Some(t) = self.next_target(run, root) {
                return Some(t);
            }
        }
        None
    }

    /// `nextTarget`: `None` when this call only pruned.
    fn next_target(&mut self, run: &Run, cohort: NodeIx) -> Option<NodeIx> {
        let tree = &run.snapshot;
        let mut best_cq: Option<(NodeIx, Drs)> = None;
        let mut child_cohorts = vec![];
        for &child in tree.children(cohort) {
            if tree.is_cohort(child) {
                child_cohorts.push(child);
                continue;
            }
            if self.pruned_cqs.contains(&child) {
                continue;
            }
            let d = run.drs(child);
            if (!d.borrowing() && child != self.own) || !self.has(child) {
                self.pruned_cqs.insert(child);
                continue;
            }
            let better = match &best_cq {
                None => true,
                Some((b, bd)) => match compare(&d, bd) {
                    Ordering::Greater => true,
                    Ordering::Less => false,
                    Ordering::Equal => {
                        let first = |n: &NodeIx| self.queues[n][0];
                        preempt::order(run.p.cq, first(&child), first(b)) == Ordering::Less
                    }
                },
            };
            if better {
                best_cq = Some((child, d));
            }
        }
        // Kueue keeps the last of equal cohorts in map order; here the first by name.
        child_cohorts.sort_by(|a, b| run.fs.names[*a].cmp(&run.fs.names[*b]).then(a.cmp(b)));
        let mut best_cohort: Option<(NodeIx, Drs)> = None;
        for child in child_cohorts {
            if self.pruned_cohorts.contains(&child) {
                continue;
            }
            let d = run.drs(child);
            if !d.borrowing() && !self.own_path.contains(&child) {
                self.pruned_cohorts.insert(child);
                continue;
            }
            if best_cohort
                .as_ref()
                .is_none_or(|(_, bd)| compare(&d, bd) == Ordering::Greater)
            {
                best_cohort = Some((child, d));
            }
        }
        match (best_cohort, best_cq) {
            (None, None) => {
                self.pruned_cohorts.insert(cohort);
                None
            }
            // A tie goes to the cohort: the most unfair node within it can be chosen.
            (Some((c, cd)), Some((_, qd))) if compare(&cd, &qd) != Ordering::Less => {
                self.next_target(run, c)
            }
            (Some((c, _)), None) => self.next_target(run, c),
            (_, Some((q, _))) => Some(q),
        }
    }
}

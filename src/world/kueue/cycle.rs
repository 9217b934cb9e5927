//! One admission cycle (`pkg/scheduler/scheduler.go`, kueue-semantics §5.2–5.9): every
//! ClusterQueue's head is nominated against the quota as the cycle found it, the entries
//! are ordered, then processed one by one against quota each admitted entry has already
//! taken. A pure function of the model and the heads; the Kueue component applies its
//! decisions.

use super::assign::{assign, Assignment, Mode, PodSetRequest, PreemptionView, ScanProgress};
use super::model::{CqIx, Model};
use super::preempt::{self, Admitted, Preemptor, Target};
use super::queue::{RequeueReason, WlId};
use super::quota::{FrId, QuotaTree};
use std::collections::BTreeSet;

/// A ClusterQueue's head as the cycle takes it.
#[derive(Debug, Clone)]
pub(crate) struct Head<'a> {
    pub wl: WlId,
    pub cq: CqIx,
    pub priority: i32,
    pub timestamp_ns: u64,
    pub podsets: &'a [PodSetRequest],
    pub progress: Option<&'a ScanProgress>,
    /// The Workload's namespace matches the ClusterQueue's `namespaceSelector`.
    pub namespace_matches: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Quota reserved (and admitted: the simulator models no admission checks).
    Admitted,
    /// Preemptions issued for it (§5.8 step 7): back to the queue at once, admitted once the
    /// targets' quota is released.
    Preempting { targets: Vec<Target> },
    /// Back to the queue, with the `QuotaReserved=False` reason and message.
    Requeue {
        reason: RequeueReason,
        condition_reason: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub wl: WlId,
    pub verdict: Verdict,
    /// The nomination's assignment (absent when nomination failed before assigning).
    pub assignment: Option<Assignment>,
}

/// Runs one cycle over `heads` (at most one per ClusterQueue) with `admitted` the Workloads
/// holding quota. Admitted entries' usage is in `model.tree` when it returns; what the cycle
/// held back for blocked or preempting entries is not.
#[cfg(test)]
pub(crate) fn run_cycle(model: &mut Model, heads: &[Head], admitted: &[Admitted]) -> Vec<Decision> {
    run_cycle_placing(model, heads, admitted, &mut NoTopology)
}

/// Which Workloads a placement check takes out of the topology first.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Without<'w> {
    /// None: the topology as the cycle has it.
    Nothing,
    /// These (preemption targets).
    These(&'w [WlId]),
    /// Every Workload placed by topology (`WithSimulateEmpty`: could it ever fit?).
    AnyPlaced,
}

/// A PodSet the topology cannot hold, and why.
#[derive(Debug, Clone)]
pub(crate) struct Unplaced {
    pub podset: usize,
    pub message: String,
}

/// The placement check an entry that fits the quota must also pass (Topology-Aware
/// Scheduling, kueue-semantics §9.3 step 5), made in processing order: entries see the
/// placements kept for earlier ones.
pub(crate) trait Placer {
    /// Does any PodSet of the entry place by topology?
    fn places(&self, head: &Head, a: &Assignment) -> bool;
    /// Places every such PodSet with `without` taken out first; the placement stays (later
    /// entries see it) only when `keep` and it succeeded.
    fn place(
        &mut self,
        model: &Model,
        head: &Head,
        a: &Assignment,
        without: Without,
        keep: bool,
    ) -> Result<(), Unplaced>;
    /// Holds, for the rest of the cycle, the domains the entry would take on the empty
    /// topology (`WithSimulateEmpty`), without placing it: what an entry that needs
    /// preemption and found no candidate reserves (`netUsage`'s TAS part).
    fn hold_empty(&mut self, model: &Model, head: &Head, a: &Assignment);
}

/// No flavor places by topology.
#[cfg(test)]
struct NoTopology;

#[cfg(test)]
impl Placer for NoTopology {
    fn places(&self, _: &Head, _: &Assignment) -> bool {
        false
    }
    fn place(
        &mut self,
        _: &Model,
        _: &Head,
        _: &Assignment,
        _: Without,
        _: bool,
    ) -> Result<(), Unplaced> {
        Ok(())
    }
    fn hold_empty(&mut self, _: &Model, _: &Head, _: &Assignment) {}
}

/// `run_cycle`, where `place` decides, in processing order, whether each entry that fits
/// the quota also fits the topology (entries see the placements of earlier ones).
pub(crate) fn run_cycle_placing(
    model: &mut Model,
    heads: &[Head],
    admitted: &[Admitted],
    place: &mut dyn Placer,
) -> Vec<Decision> {
    let mut out = Vec::with_capacity(heads.len());
    let mut entries: Vec<Entry> = Vec::new();
    for head in heads {
        if !head.namespace_matches {
            out.push(namespace_mismatch(head));
            continue;
        }
        let (a, targets) = nominate(model, head, admitted, place);
        entries.push((head, a, targets));
    }
    sort_entries(model, &mut entries);
    let mut cycle = CycleState {
        reserved: vec![],
        victims: BTreeSet::new(),
        admitted,
    };
    let mut entries = std::collections::VecDeque::from(entries);
    while !entries.is_empty() {
        let next = next_entry(model, &entries);
        let (head, assignment, targets) = entries.remove(next).expect("an entry left");
        let verdict = process_entry(model, head, &assignment, targets, &mut cycle, place);
        out.push(Decision {
            wl: head.wl,
            verdict,
            assignment: Some(assignment),
        });
    }
    for (node, fr, v) in cycle.reserved {
        model.tree.remove_usage(node, fr, v);
    }
    out
}

/// A head with its nomination: the flavor assignment and, when it must preempt or reclaim,
/// its targets.
type Entry<'h, 'a> = (&'h Head<'a>, Assignment, Vec<Target>);

/// A head whose namespace its ClusterQueue's selector does not match: requeued as
/// misconfigured.
fn namespace_mismatch(head: &Head) -> Decision {
    Decision {
        wl: head.wl,
        verdict: Verdict::Requeue {
            reason: RequeueReason::NamespaceMismatch,
            condition_reason: "Misconfigured",
            message: "workload namespace doesn't match ClusterQueue selector".into(),
        },
        assignment: None,
    }
}

/// Nomination of one head: its flavor assignment (with the topology's part when `place`
/// places it) and, in the preempt or reclaim mode, the workloads it would preempt.
fn nominate(
    model: &mut Model,
    head: &Head,
    admitted: &[Admitted],
    place: &mut dyn Placer,
) -> (Assignment, Vec<Target>) {
    let cq = &model.cluster_queues[head.cq];
    let view = PreemptionView {
        cq: head.cq,
        priority: head.priority,
        timestamp_ns: head.timestamp_ns,
        admitted,
    };
    let mut a = assign(model, cq, head.podsets, head.progress, view);
    let topology = place.places(head, &a);
    if topology {
        nominate_topology(model, head, &mut a, place);
    }
    if !matches!(a.mode, Mode::Preempt | Mode::Reclaim) {
        return (a, vec![]);
    }
    let place = std::cell::RefCell::new(&mut *place);
    let placed = |gone: &[WlId]| {
        let without = Without::These(gone);
        (place.borrow_mut().place(model, head, &a, without, false)).is_ok()
    };
    let p = Preemptor {
        cq: head.cq,
        priority: head.priority,
        timestamp_ns: head.timestamp_ns,
        usage: &a.usage,
        contested: &a.contested,
        placement: topology.then_some(&placed as &preempt::PlacesWithout<'_>),
    };
    let targets = preempt::targets(model, &model.tree, admitted, &p);
    (a, targets)
}

/// §5.7: lower borrowing level, higher priority, older first; then, where Kueue's unstable
/// sort leaves the order open, the ClusterQueue's name (docs/kueue.md).
fn sort_entries(model: &Model, entries: &mut [Entry<'_, '_>]) {
    entries.sort_by(|(a, x, _), (b, y, _)| {
        (x.borrowing, std::cmp::Reverse(a.priority), a.timestamp_ns)
            .cmp(&(y.borrowing, std::cmp::Reverse(b.priority), b.timestamp_ns))
            .then_with(|| {
                let names = &model.cluster_queues;
                names[a.cq].name.cmp(&names[b.cq].name)
            })
    });
}

/// The entry processed next: the first in order, or under fair sharing the tournament's
/// pick, decided before each entry (§7.2).
fn next_entry(model: &Model, entries: &std::collections::VecDeque<Entry<'_, '_>>) -> usize {
    if model.fair_sharing.is_none() {
        return 0;
    }
    let contenders: Vec<super::fair::Contender> = (entries.iter())
        .map(|(h, a, _)| super::fair::Contender {
            cq: h.cq,
            priority: h.priority,
            timestamp_ns: h.timestamp_ns,
            usage: &a.usage,
        })
        .collect();
    super::fair::next_entry(model, &contenders)
}

/// The topology's part of nomination (`flavorassigner.go`, kueue-semantics §9.3 step 5): an
/// entry that fits the quota but not the topology needs preemption on its unplaced PodSet's
/// flavors; one that needs preemption but would not fit even with every placed Workload gone
/// does not fit at all.
fn nominate_topology(model: &Model, head: &Head, a: &mut Assignment, place: &mut dyn Placer) {
    if a.mode == Mode::Fit {
        let Err(unplaced) = place.place(model, head, a, Without::Nothing, false) else {
            return;
        };
        a.mode = Mode::Preempt;
        let frs = (a.flavors[unplaced.podset].iter()).filter_map(|&(r, f)| model.fr(f, r));
        a.contested.extend(frs);
        a.message = unplaced.message;
    }
    if matches!(a.mode, Mode::Preempt | Mode::Reclaim | Mode::NoCandidates) {
        if let Err(unplaced) = place.place(model, head, a, Without::AnyPlaced, false) {
            a.mode = Mode::NoFit;
            a.message = unplaced.message;
        }
    }
}

/// What earlier entries of the cycle did: quota held back for this cycle only, and the
/// Workloads already chosen for preemption.
struct CycleState<'a> {
    reserved: Vec<(usize, FrId, i64)>,
    victims: BTreeSet<WlId>,
    admitted: &'a [Admitted],
}

impl CycleState<'_> {
    /// Does `usage` fit ClusterQueue node `node` once every victim (and `extra`) is gone?
    fn fits_without_victims(
        &self,
        model: &Model,
        node: usize,
        usage: &[(FrId, i64)],
        extra: &[Target],
    ) -> bool {
        let gone: BTreeSet<WlId> = (self.victims.iter().copied())
            .chain(extra.iter().map(|t| t.wl))
            .collect();
        let mut tree: QuotaTree;
        let tree = if gone.is_empty() {
            &model.tree
        } else {
            tree = model.tree.clone();
            for a in self.admitted.iter().filter(|a| gone.contains(&a.wl)) {
                for &(fr, v) in &a.usage {
                    tree.remove_usage(model.cluster_queues[a.cq].node, fr, v);
                }
            }
            &tree
        };
        usage.iter().all(|&(fr, v)| v <= tree.available(node, fr))
    }

    /// Holds `usage` for the rest of the cycle.
    fn hold(&mut self, model: &mut Model, node: usize, usage: &[(FrId, i64)]) {
        for &(fr, v) in usage {
            model.tree.add_usage(node, fr, v);
            self.reserved.push((node, fr, v));
        }
    }
}

/// `processEntry` (§5.8): a no-fit entry is requeued; one that needs preemption and found no
/// candidate holds back what its queue is entitled to (and, placed by topology, the domains
/// it would take on the empty topology: `reserveCapacityForUnreclaimablePreempt`); one whose targets another entry took
/// already, or that no longer fits, is skipped; otherwise its preemptions are issued, or it
/// is admitted.
fn process_entry(
    model: &mut Model,
    head: &Head,
    a: &Assignment,
    targets: Vec<Target>,
    cycle: &mut CycleState,
    place: &mut dyn Placer,
) -> Verdict {
    match a.mode {
        Mode::NoFit => Verdict::Requeue {
            reason: RequeueReason::NoFit,
            condition_reason: a.reason.map_or("Pending", |r| r.as_str()),
            message: a.message.clone(),
        },
        Mode::NoCandidates | Mode::Preempt | Mode::Reclaim if targets.is_empty() => {
            hold_back(model, head, a, cycle, place)
        }
        Mode::NoCandidates | Mode::Preempt | Mode::Reclaim => {
            preempt_for(model, head, a, targets, cycle, place)
        }
        Mode::Fit => admit_entry(model, head, a, cycle, place),
    }
}

/// The verdict on an entry skipped after its nomination, with the reason.
fn skipped(message: &str) -> Verdict {
    Verdict::Requeue {
        reason: RequeueReason::FailedAfterNomination,
        condition_reason: "WaitingForQuota",
        message: message.into(),
    }
}

/// An entry that needs preemption but found no candidate: unless its queue reclaims from
/// any, it holds back what it is entitled to for the rest of the cycle; it is requeued.
fn hold_back(
    model: &mut Model,
    head: &Head,
    a: &Assignment,
    cycle: &mut CycleState,
    place: &mut dyn Placer,
) -> Verdict {
    let cq = &model.cluster_queues[head.cq];
    let node = cq.node;
    if cq.preemption.reclaim != super::model::Reclaim::Any {
        let usage: Vec<(FrId, i64)> = (a.usage.iter())
            .map(|&(fr, v)| (fr, to_reserve(model, node, fr, v, a.borrowing > 0)))
            .filter(|&(_, v)| v > 0)
            .collect();
        cycle.hold(model, node, &usage);
        if place.places(head, a) {
            place.hold_empty(model, head, a);
        }
    }
    Verdict::Requeue {
        reason: RequeueReason::PreemptionNoCandidates,
        condition_reason: "WaitingForQuota",
        message: a.message.clone(),
    }
}

/// An entry with preemption targets: skipped when another entry took them or it no longer
/// fits; else its targets become the cycle's victims and its usage is held.
fn preempt_for(
    model: &mut Model,
    head: &Head,
    a: &Assignment,
    targets: Vec<Target>,
    cycle: &mut CycleState,
    place: &mut dyn Placer,
) -> Verdict {
    let node = model.cluster_queues[head.cq].node;
    if targets.iter().any(|t| cycle.victims.contains(&t.wl)) {
        return skipped("Workload has overlapping preemption targets with another workload");
    }
    if !cycle.fits_without_victims(model, node, &a.usage, &targets) {
        return skipped("Workload no longer fits after processing another workload");
    }
    if place.places(head, a) {
        // Its placement with every victim gone stays for the rest of the cycle, on
        // top of the victims' (as Kueue adds the entry's usage to the snapshot).
        let gone: Vec<WlId> = (cycle.victims.iter().copied())
            .chain(targets.iter().map(|t| t.wl))
            .collect();
        if place
            .place(model, head, a, Without::These(&gone), true)
            .is_err()
        {
            return skipped("Workload no longer fits after processing another workload");
        }
    }
    cycle.victims.extend(targets.iter().map(|t| t.wl));
    cycle.hold(model, node, &a.usage);
    Verdict::Preempting { targets }
}

/// An entry that fits: admitted, its usage added to the quota tree, unless it no longer
/// fits or cannot be placed.
fn admit_entry(
    model: &mut Model,
    head: &Head,
    a: &Assignment,
    cycle: &mut CycleState,
    place: &mut dyn Placer,
) -> Verdict {
    let node = model.cluster_queues[head.cq].node;
    if !cycle.fits_without_victims(model, node, &a.usage, &[]) {
        return skipped("Workload no longer fits after processing another workload");
    }
    if let Err(unplaced) = place.place(model, head, a, Without::Nothing, true) {
        return Verdict::Requeue {
            reason: RequeueReason::NoFit,
            condition_reason: "Pending",
            message: unplaced.message,
        };
    }
    for &(fr, v) in &a.usage {
        model.tree.add_usage(node, fr, v);
    }
    Verdict::Admitted
}

/// `quotaResourcesToReserve` (§5.8 step 3): what a blocked entry holds back in this cycle.
fn to_reserve(model: &Model, node: usize, fr: FrId, request: i64, borrows: bool) -> i64 {
    let tree = &model.tree;
    let q = tree.quota(node, fr);
    let used = tree.usage(node, fr);
    let amount = if !borrows {
        request.min(q.nominal - used)
    } else {
        match q.borrowing_limit {
            None => request,
            Some(limit) => request.min(q.nominal + limit - used),
        }
    };
    amount.max(0)
}

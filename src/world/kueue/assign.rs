//! Flavor assignment (`flavorassigner.Assign`, kueue-semantics §5.4–5.6): for each PodSet of a
//! Workload and each resource group of its ClusterQueue, the flavors are tried in preference
//! order, from where the last scan stopped; each gives a mode (fit, preempt, no fit) and a
//! borrowing level, and the fungibility rules say whether the scan stops there.

use super::model::{ClusterQueue, FlavorIx, Model, ResIx};
use super::quota::FrId;
use crate::api::quantity::Quantity;
use crate::api::types::{NodeSelectorRequirement, Toleration};
use crate::scheduler::filter::tolerates;
use std::collections::BTreeMap;

/// One PodSet of a Workload as admission sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PodSetRequest {
    pub name: String,
    pub count: u32,
    /// The per-pod request of each resource it asks for (non-zero only).
    pub per_pod: Vec<(ResIx, i64)>,
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity: any term, each term all of its expressions.
    pub affinity_terms: Vec<Vec<NodeSelectorRequirement>>,
    pub tolerations: Vec<Toleration>,
    /// `podset-group-name` (with required or preferred topology): the PodSets of a group
    /// are assigned flavors together, one flavor for their summed requests.
    pub group: Option<String>,
}

/// A flavor's or a Workload's outcome, worst first (§5.6: fit > reclaim > preempt >
/// noPreemptionCandidates > noFit). Reclaim: the candidates are all in other ClusterQueues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mode {
    NoFit,
    NoCandidates,
    Preempt,
    Reclaim,
    Fit,
}

/// What the preemption oracle needs to know about the Workload being assigned, and the
/// admitted Workloads it could preempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PreemptionView<'a> {
    pub cq: super::model::CqIx,
    pub priority: i32,
    pub timestamp_ns: u64,
    pub admitted: &'a [super::preempt::Admitted],
}

/// Why a PodSet got no flavor, most severe last (§5.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PendingReason {
    WaitingForQuota,
    ExceedsMaxQuota,
    NoMatchingFlavor,
}

impl PendingReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PendingReason::WaitingForQuota => "WaitingForQuota",
            PendingReason::ExceedsMaxQuota => "ExceedsMaxQuota",
            PendingReason::NoMatchingFlavor => "NoMatchingFlavor",
        }
    }
}

/// Where each PodSet's scan of each group stopped last time (`LastAssignment`): the index of
/// the last flavor tried, `None` when the scan reached the end (the next one starts over).
pub(crate) type ScanProgress = Vec<Vec<Option<usize>>>;

#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub mode: Mode,
    /// The highest borrowing level of the flavors taken (0: no borrowing).
    pub borrowing: u32,
    /// Per PodSet: the flavor taken for each resource it asks for.
    pub flavors: Vec<Vec<(ResIx, FlavorIx)>>,
    /// The Workload's usage per FR, summed over its PodSets.
    pub usage: Vec<(FrId, i64)>,
    pub progress: ScanProgress,
    /// The FRs whose flavor needs preemption (`frsNeedPreemption`).
    pub contested: std::collections::BTreeSet<FrId>,
    /// For a Workload that does not fit: the most severe reason, and the message per PodSet.
    pub reason: Option<PendingReason>,
    pub message: String,
}

/// One flavor's verdict for one PodSet and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Granular {
    mode: Mode,
    borrowing: u32,
}

impl Assignment {
    /// The assignment of `podsets` PodSets before any is scanned: fits, takes nothing.
    fn empty(podsets: usize) -> Self {
        Assignment {
            mode: Mode::Fit,
            borrowing: 0,
            flavors: vec![vec![]; podsets],
            usage: vec![],
            progress: vec![vec![]; podsets],
            contested: Default::default(),
            reason: None,
            message: String::new(),
        }
    }
}

/// The PodSets scanned as one request with PodSet `ps_index`: its group's, from it on, or
/// itself alone.
fn group_members(podsets: &[PodSetRequest], ps_index: usize) -> Vec<&PodSetRequest> {
    let ps = &podsets[ps_index];
    match &ps.group {
        None => vec![ps],
        Some(g) => (podsets[ps_index..].iter())
            .filter(|m| m.group.as_ref() == Some(g))
            .collect(),
    }
}

/// Assigns flavors to every PodSet of a Workload on ClusterQueue `cq` (§5.4).
pub(crate) fn assign(
    model: &Model,
    cq: &ClusterQueue,
    podsets: &[PodSetRequest],
    progress: Option<&ScanProgress>,
    view: PreemptionView,
) -> Assignment {
    let mut out = Assignment::empty(podsets.len());
    let mut messages = Vec::new();
    let mut done = vec![false; podsets.len()];
    for (ps_index, ps) in podsets.iter().enumerate() {
        if done[ps_index] {
            continue;
        }
        // A PodSet group is scanned as one request, in the order of its first PodSet
        // (`groupedRequests.InOrder`); the scan resumes where its first PodSet's stopped.
        let members = group_members(podsets, ps_index);
        let mut scan = PodSetScan {
            model,
            cq,
            ps,
            members: &members,
            earlier: &out.usage,
            view,
            reasons: vec![],
            severity: None,
            contested: vec![],
        };
        let last = progress.and_then(|p| p.get(ps_index));
        let (flavors, mode, borrowing, ps_progress, usage) = scan.run(last);
        if mode < Mode::Fit {
            let reason = scan.severity.unwrap_or(PendingReason::WaitingForQuota);
            out.reason = out.reason.max(Some(reason));
            for m in &members {
                messages.push(format!(
                    "couldn't assign flavors to pod set {}: {}",
                    m.name,
                    scan.reasons.join(", ")
                ));
            }
        }
        out.mode = out.mode.min(mode);
        out.borrowing = out.borrowing.max(borrowing);
        out.contested.extend(scan.contested.iter().copied());
        for (k, m) in podsets.iter().enumerate().skip(ps_index) {
            if !std::ptr::eq(m, ps) && !members.iter().any(|x| std::ptr::eq(*x, m)) {
                continue;
            }
            done[k] = true;
            // `resolvePodSetFlavors`: each PodSet keeps the flavors of what it requests.
            let own: Vec<ResIx> = scan.requests_of(m).iter().map(|&(r, _)| r).collect();
            out.flavors[k] = (flavors.iter())
                .filter(|(r, _)| own.contains(r))
                .copied()
                .collect();
            out.progress[k] = ps_progress.clone();
        }
        for (fr, v) in usage {
            add_to(&mut out.usage, fr, v);
        }
    }
    out.message = messages.join("; ");
    out
}

fn add_to(usage: &mut Vec<(FrId, i64)>, fr: FrId, v: i64) {
    match usage.iter_mut().find(|(f, _)| *f == fr) {
        Some((_, total)) => *total += v,
        None => usage.push((fr, v)),
    }
}

struct PodSetScan<'a> {
    model: &'a Model,
    cq: &'a ClusterQueue,
    ps: &'a PodSetRequest,
    /// The PodSets scanned together: `ps` alone, or its group.
    members: &'a [&'a PodSetRequest],
    /// What the Workload's earlier PodSets took, per FR.
    earlier: &'a [(FrId, i64)],
    view: PreemptionView<'a>,
    reasons: Vec<String>,
    severity: Option<PendingReason>,
    /// FRs of the flavors taken whose quota needs preemption.
    contested: Vec<FrId>,
}

type PodSetOutcome = (
    Vec<(ResIx, FlavorIx)>,
    Mode,
    u32,
    Vec<Option<usize>>,
    Vec<(FrId, i64)>,
);

impl PodSetScan<'_> {
    fn note(&mut self, reason: PendingReason, message: String) {
        self.severity = self.severity.max(Some(reason));
        self.reasons.push(message);
    }

    /// The total request per resource of one PodSet (`pods` = its count when the queue
    /// covers it).
    fn requests_of(&self, ps: &PodSetRequest) -> Vec<(ResIx, i64)> {
        let mut out: Vec<(ResIx, i64)> = ps
            .per_pod
            .iter()
            .map(|&(r, v)| (r, v.saturating_mul(i64::from(ps.count))))
            .collect();
        if let Some(pods) = self.model.resource_ix("pods") {
            if self.cq.group_of(pods).is_some() && !out.iter().any(|(r, _)| *r == pods) {
                out.push((pods, i64::from(ps.count) * 1000));
            }
        }
        out
    }

    /// The scanned PodSets' total request per resource, summed over a group.
    fn requests(&self) -> Vec<(ResIx, i64)> {
        let mut out = self.requests_of(self.ps);
        for m in self.members.iter().filter(|m| !std::ptr::eq(**m, self.ps)) {
            for (r, v) in self.requests_of(m) {
                match out.iter_mut().find(|(x, _)| *x == r) {
                    Some((_, total)) => *total = total.saturating_add(v),
                    None => out.push((r, v)),
                }
            }
        }
        out
    }

    fn run(&mut self, last: Option<&Vec<Option<usize>>>) -> PodSetOutcome {
        let requests = self.requests();
        let mut flavors = vec![];
        let mut usage = vec![];
        let mut progress = vec![None; self.cq.groups.len()];
        let (mut mode, mut borrowing) = (Mode::Fit, 0);
        for &(r, _) in &requests {
            if self.cq.group_of(r).is_none() && self.model.block_undeclared {
                let name = &self.model.resources[r];
                self.note(
                    PendingReason::NoMatchingFlavor,
                    format!("resource {name} unavailable in ClusterQueue"),
                );
                mode = Mode::NoFit;
            }
        }
        for (g, group) in self.cq.groups.iter().enumerate() {
            let wanted: Vec<(ResIx, i64)> = requests
                .iter()
                .copied()
                .filter(|(r, _)| group.resources.contains(r))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let start = last
                .and_then(|l| l.get(g).copied().flatten())
                .map_or(0, |i| i + 1);
            let (chosen, stopped_at) = self.scan_group(g, &wanted, start);
            progress[g] = stopped_at;
            match chosen {
                Some((f, verdict)) => {
                    mode = mode.min(verdict.mode);
                    borrowing = borrowing.max(verdict.borrowing);
                    for &(r, v) in &wanted {
                        flavors.push((r, f));
                        if let Some(fr) = self.model.fr(f, r) {
                            usage.push((fr, v));
                        }
                    }
                }
                None => mode = Mode::NoFit,
            }
        }
        if mode < Mode::Fit && self.reasons.is_empty() {
            self.note(PendingReason::NoMatchingFlavor, "no flavors".into());
        }
        (flavors, mode, borrowing, progress, usage)
    }

    /// Tries group `g`'s flavors from `start`: the flavor taken with its verdict, and where the
    /// scan stopped (`None`: it reached the end).
    fn scan_group(
        &mut self,
        g: usize,
        wanted: &[(ResIx, i64)],
        start: usize,
    ) -> (Option<(FlavorIx, Granular)>, Option<usize>) {
        let group = &self.cq.groups[g];
        let mut best: Option<(FlavorIx, Granular, Vec<FrId>)> = None;
        let last = group.flavors.len().saturating_sub(1);
        for (i, &f) in group.flavors.iter().enumerate().skip(start) {
            let Some((verdict, contested)) = self.try_flavor(f, wanted) else {
                continue;
            };
            if !self.should_try_next(verdict) {
                self.contested.extend(contested);
                // Stopping at the last flavor leaves nothing to try next time.
                return (Some((f, verdict)), (i < last).then_some(i));
            }
            if best
                .as_ref()
                .is_none_or(|(_, b, _)| self.is_preferred(verdict, *b))
                && verdict.mode > Mode::NoFit
            {
                best = Some((f, verdict, contested));
            }
        }
        match best {
            Some((f, verdict, contested)) => {
                self.contested.extend(contested);
                (Some((f, verdict)), None)
            }
            None => (None, None),
        }
    }

    /// One flavor for one group's resources: `None` when the flavor cannot take the PodSet at
    /// all (missing, untolerated taint, selector mismatch).
    fn try_flavor(
        &mut self,
        f: FlavorIx,
        wanted: &[(ResIx, i64)],
    ) -> Option<(Granular, Vec<FrId>)> {
        let flavor = &self.model.flavors[f];
        if !flavor.exists {
            let msg = format!("flavor {} not found", flavor.name);
            self.note(PendingReason::NoMatchingFlavor, msg);
            return None;
        }
        // `checkFlavorForPodSets`: every PodSet scanned, taints then affinity.
        for ps in self.members {
            if let Some(taint) = flavor.node_taints.iter().find(|t| {
                !ps.tolerations.iter().any(|tol| tolerates(tol, t))
                    && !flavor.tolerations.iter().any(|tol| tolerates(tol, t))
            }) {
                let msg = format!(
                    "untolerated taint {{{}={}:{}}} in flavor {}",
                    taint.key,
                    taint.value,
                    taint.effect.as_str(),
                    flavor.name
                );
                self.note(PendingReason::NoMatchingFlavor, msg);
                return None;
            }
            if !matches_flavor(ps, &flavor.node_labels) {
                let msg = format!("flavor {} doesn't match node affinity", flavor.name);
                self.note(PendingReason::NoMatchingFlavor, msg);
                return None;
            }
        }
        let mut verdict = Granular {
            mode: Mode::Fit,
            borrowing: 0,
        };
        let mut contested = vec![];
        for &(r, v) in wanted {
            let (mode, borrowing) = self.fits_quota(f, r, v);
            verdict.mode = verdict.mode.min(mode);
            verdict.borrowing = verdict.borrowing.max(borrowing);
            if matches!(mode, Mode::Preempt | Mode::Reclaim) {
                contested.extend(self.model.fr(f, r));
            }
        }
        Some((verdict, contested))
    }

    /// `fitsResourceQuota` (§5.5) for `current` more of resource `r` in flavor `f`.
    fn fits_quota(&mut self, f: FlavorIx, r: ResIx, current: i64) -> (Mode, u32) {
        let (model, cq) = (self.model, self.cq);
        let (flavor, resource) = (&model.flavors[f].name, &model.resources[r]);
        let Some(fr) = model.fr(f, r) else {
            let msg = format!("insufficient quota for {resource} in flavor {flavor}");
            self.note(PendingReason::ExceedsMaxQuota, msg);
            return (Mode::NoFit, 0);
        };
        let earlier = self
            .earlier
            .iter()
            .find(|(x, _)| *x == fr)
            .map_or(0, |(_, v)| *v);
        let val = earlier + current;
        let tree = &model.tree;
        let potential = tree.potential_available(cq.node, fr);
        if val > potential {
            let msg = format!(
                "insufficient quota for {resource} in flavor {flavor}, previously considered podsets requests ({}) + current podset request ({}) > maximum capacity ({})",
                show(resource, earlier),
                show(resource, current),
                show(resource, potential)
            );
            self.note(PendingReason::ExceedsMaxQuota, msg);
            return (Mode::NoFit, 0);
        }
        let (borrowing, may_reclaim) = tree.borrowing_level(cq.node, fr, val);
        let available = tree.available(cq.node, fr);
        if val <= available {
            return (Mode::Fit, borrowing);
        }
        let msg = format!(
            "insufficient unused quota for {resource} in flavor {flavor}, {} more needed",
            show(resource, val - available)
        );
        self.note(PendingReason::WaitingForQuota, msg);
        let within_nominal = tree.quota(cq.node, fr).nominal >= val;
        // `canPreemptWhileBorrowing`: borrowWithinCohort, or fair sharing with reclaim.
        let fair_reclaim =
            model.fair_sharing.is_some() && cq.preemption.reclaim != super::model::Reclaim::Never;
        if within_nominal || may_reclaim || cq.preemption.borrow_within_allowed() || fair_reclaim {
            self.simulate_preemption(fr, val, borrowing)
        } else {
            (Mode::NoFit, borrowing)
        }
    }

    /// The preemption oracle for one FR: no candidates, candidates only in other queues
    /// (reclaim), or some in the own queue (preempt); the borrowing level as if the targets
    /// were gone.
    fn simulate_preemption(&self, fr: FrId, val: i64, borrowing: u32) -> (Mode, u32) {
        let (model, view) = (self.model, self.view);
        let contested = std::collections::BTreeSet::from([fr]);
        let usage = [(fr, val)];
        let preemptor = super::preempt::Preemptor {
            cq: view.cq,
            priority: view.priority,
            timestamp_ns: view.timestamp_ns,
            usage: &usage,
            contested: &contested,
            placement: None,
        };
        let targets = super::preempt::targets(model, &model.tree, view.admitted, &preemptor);
        if targets.is_empty() {
            return (Mode::NoCandidates, borrowing);
        }
        let mut tree = model.tree.clone();
        let mut reclaim_only = true;
        for t in &targets {
            let a = view
                .admitted
                .iter()
                .find(|a| a.wl == t.wl)
                .expect("a candidate is admitted");
            reclaim_only &= a.cq != view.cq;
            for &(f, v) in &a.usage {
                tree.remove_usage(model.cluster_queues[a.cq].node, f, v);
            }
        }
        let (level, _) = tree.borrowing_level(self.cq.node, fr, val);
        let mode = if reclaim_only {
            Mode::Reclaim
        } else {
            Mode::Preempt
        };
        (mode, level)
    }

    /// `shouldTryNextFlavor` (§5.6).
    fn should_try_next(&self, v: Granular) -> bool {
        let f = self.cq.fungibility;
        match v.mode {
            Mode::NoFit | Mode::NoCandidates => true,
            Mode::Preempt | Mode::Reclaim if f.try_next_when_can_preempt => true,
            _ => v.borrowing > 0 && f.try_next_when_can_borrow,
        }
    }

    /// `isPreferred(a, b)`: does `a` beat the best so far?
    fn is_preferred(&self, a: Granular, b: Granular) -> bool {
        if a.mode == Mode::NoFit {
            return false;
        }
        if b.mode == Mode::NoFit || b.mode == Mode::NoCandidates {
            return a.mode > b.mode;
        }
        let by_mode = a.mode.cmp(&b.mode);
        let by_borrowing = b.borrowing.cmp(&a.borrowing);
        let order = if self.cq.fungibility.preemption_over_borrowing {
            by_borrowing.then(by_mode)
        } else {
            by_mode.then(by_borrowing)
        };
        order == std::cmp::Ordering::Greater
    }
}

/// A quantity of resource `r` as Kueue prints it.
fn show(resource: &str, milli: i64) -> String {
    let q = Quantity { milli };
    if resource == "memory" {
        q.display_bytes()
    } else {
        q.display()
    }
}

/// Does the PodSet's nodeSelector and required node affinity, restricted to the keys the
/// flavor labels, match the flavor's labels? A term left empty matches anything.
pub(crate) fn matches_flavor(ps: &PodSetRequest, labels: &BTreeMap<String, String>) -> bool {
    let selector_ok = ps
        .node_selector
        .iter()
        .all(|(k, v)| labels.get(k).is_none_or(|have| have == v));
    if !selector_ok {
        return false;
    }
    if ps.affinity_terms.is_empty() {
        return true;
    }
    ps.affinity_terms.iter().any(|term| {
        term.iter()
            .filter(|e| labels.contains_key(&e.key))
            .all(|e| requirement_holds(e, labels))
    })
}

fn requirement_holds(e: &NodeSelectorRequirement, labels: &BTreeMap<String, String>) -> bool {
    let have = labels.get(&e.key).map(String::as_str);
    crate::sim::shape::node_requirement(e).holds(have)
}

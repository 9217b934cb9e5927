//! kube-scheduler's priority preemption: the DefaultPreemption PostFilter plugin
//! (`pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`), its evaluator
//! (`pkg/scheduler/framework/preemption/preemption.go`) and the nominated pods that Filter
//! counts on their node (`addNominatedPods`), with pod priority as the Priority admission
//! plugin resolves it (`plugin/pkg/admission/priority`).
//!
//! When a pod fails Filter on every node and may preempt (`preemptionPolicy` not `Never`, and
//! not already waiting for victims it preempted on its nominated node), the nodes Filter
//! rejected for a reason preemption can cure (Unschedulable, not UnschedulableAndUnresolvable:
//! here a NodeResourcesFit or an inter-pod anti-affinity rejection) are dry-run from a random
//! offset: on each, every pod of lower priority is removed, Filter runs, and the victims are
//! reprieved one by one, most important first (priority, then start time), while the pod still
//! fits. The search stops once it has `max(10 % of the potential nodes, 100)` candidates; the
//! node is picked by `pickOneNodeForPreemption`. Each victim gets the `DisruptionTarget`
//! condition (reason `PreemptionByScheduler`) and a DELETE, both on the scheduler's client,
//! and stops gracefully; the preemptor is nominated to the node and waits in the queue.
//! What is not modelled is listed in docs/fidelity.md ("Priority preemption").

use super::affinity::PodCtx;
use super::filter::{self, Reject};
use super::Scheduler;
use super::{candidates, QueueState};
use crate::api::types::PodSpec;
use crate::cluster::NodeId;
use crate::engine::{rng::below, SimTime, StreamRng};
use crate::sim::ctx::Ctx;
use crate::sim::objects::{PodId, ShapeId};
use crate::sim::pod_change::PodChange;
use crate::sim::shape::PodShape;
use std::collections::BTreeMap;

/// DefaultPreemptionArgs defaults (`pkg/scheduler/apis/config/v1/defaults.go`).
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;
/// The PriorityClasses every cluster has (`pkg/apis/scheduling/types.go`).
const SYSTEM_CLASSES: [(&str, i32); 2] = [
    ("system-cluster-critical", 2_000_000_000),
    ("system-node-critical", 2_000_001_000),
];
/// The reason a preempted pod's `DisruptionTarget` condition and DELETE carry.
pub(crate) const PREEMPTION_REASON: &str = "PreemptionByScheduler";

/// The cluster's PriorityClasses, as the Priority admission plugin reads them.
#[derive(Debug, Default)]
pub(crate) struct PriorityClasses {
    /// name -> (value, preemptionPolicy Never)
    by_name: BTreeMap<String, (i32, bool)>,
    /// The global default (the lowest valued one when several claim it).
    global_default: Option<(i32, bool)>,
}

impl PriorityClasses {
    pub(crate) fn new(classes: &[crate::kueue_api::PodPriorityClass]) -> Self {
        let mut by_name: BTreeMap<String, (i32, bool)> = SYSTEM_CLASSES
            .iter()
            .map(|&(n, v)| (n.to_string(), (v, false)))
            .collect();
        let mut global_default: Option<(i32, bool)> = None;
        for c in classes {
            by_name.insert(c.name.clone(), (c.value, c.preempt_never));
            if c.global_default && global_default.is_none_or(|d| c.value < d.0) {
                global_default = Some((c.value, c.preempt_never));
            }
        }
        PriorityClasses {
            by_name,
            global_default,
        }
    }

    /// The pod's priority and whether it never preempts, as the Priority admission plugin
    /// sets `spec.priority` and `spec.preemptionPolicy`: its `priorityClassName`'s class,
    /// else the global default class, else 0 and `PreemptLowerPriority`. A `priority` or
    /// `preemptionPolicy` written in the template is kept (upstream refuses the pod when it
    /// differs from the computed one); a class name no class has counts as no class
    /// (upstream refuses the pod).
    pub(crate) fn resolve(&self, spec: &PodSpec) -> (i32, bool) {
        let class = match spec.priority_class_name.as_deref() {
            Some(name) if !name.is_empty() => self.by_name.get(name).copied(),
            _ => self.global_default,
        };
        let (value, never) = class.unwrap_or((0, false));
        let never = match spec.preemption_policy.as_deref() {
            Some(p) => p == "Never",
            None => never,
        };
        (spec.priority.unwrap_or(value), never)
    }
}

/// The scheduler's preemption state: the placed pods by priority (so that a pod with no
/// lower-priority pod anywhere costs nothing), the nominations, the victims in flight.
pub(crate) struct Preemption {
    pub(crate) classes: PriorityClasses,
    /// The offset draw (`GetOffsetAndNumCandidates`), its own stream.
    rng: StreamRng,
    /// The pods whose requests the scheduler's cache holds on each node.
    by_node: crate::sim::node_lists::NodeLists,
    /// How many such pods there are of each priority.
    levels: BTreeMap<i32, u32>,
    /// Each pod's nominated node (`status.nominatedNodeName`, the scheduler's nominator).
    nominated: Vec<Option<NodeId>>,
    /// The pods nominated to each node.
    nominations: BTreeMap<NodeId, Vec<PodId>>,
    /// Nominated pods by priority.
    nominated_levels: BTreeMap<i32, u32>,
    /// Pods preempted (DisruptionTarget `PreemptionByScheduler` and a DELETE sent).
    victim: Vec<bool>,
    /// The pod and priority of the cycle under way when nominated pods count in Filter.
    pub(crate) cycle: Option<(PodId, i32)>,
    /// Successful PostFilter runs (a node nominated, victims deleted).
    pub(crate) preemptions: u64,
    /// Pods preempted.
    pub(crate) victims: u64,
}

/// One dry-run candidate: the node and its victims, most important first.
struct Candidate {
    node: NodeId,
    victims: Vec<(i32, SimTime, PodId)>,
}

/// What a PostFilter run did: the Filter runs it made (charged as nodes examined) and the
/// node the pod was nominated to.
pub(crate) struct PostFilter {
    pub filters: u64,
    pub nominated: Option<NodeId>,
}

impl Preemption {
    pub(crate) fn new(classes: PriorityClasses, rng: StreamRng) -> Self {
        Preemption {
            classes,
            rng,
            by_node: Default::default(),
            levels: BTreeMap::new(),
            nominated: vec![],
            nominations: BTreeMap::new(),
            nominated_levels: BTreeMap::new(),
            victim: vec![],
            cycle: None,
            preemptions: 0,
            victims: 0,
        }
    }

    /// Starts loading what `placed` and `released` read of `node` (`engine::prefetch`).
    pub(crate) fn prefetch(&self, node: NodeId) {
        self.by_node.prefetch(node as usize);
    }

    /// The cache now holds `pod` (priority `prio`) on `node`.
    pub(crate) fn placed(&mut self, pod: PodId, node: NodeId, prio: i32) {
        self.by_node.push(node as usize, pod);
        *self.levels.entry(prio).or_default() += 1;
    }

    /// The cache released `pod` from `node`.
    pub(crate) fn released(&mut self, pod: PodId, node: NodeId, prio: i32) {
        self.by_node.swap_remove_item(node as usize, pod);
        if let Some(c) = self.levels.get_mut(&prio) {
            *c -= 1;
            if *c == 0 {
                self.levels.remove(&prio);
            }
        }
        if let Some(v) = self.victim.get_mut(pod as usize) {
            *v = false;
        }
    }

    /// Some placed pod has a priority below `prio`.
    fn any_below(&self, prio: i32) -> bool {
        self.levels.keys().next().is_some_and(|&p| p < prio)
    }

    /// Some nominated pod other than the cycle's counts in Filter for a pod of `prio`.
    pub(crate) fn nominations_apply(&self, prio: i32) -> bool {
        self.nominated_levels.range(prio..).next().is_some()
    }

    pub(crate) fn nominated_node(&self, pod: PodId) -> Option<NodeId> {
        self.nominated.get(pod as usize).copied().flatten()
    }

    fn nominate(&mut self, pod: PodId, node: NodeId, prio: i32) {
        self.clear_nomination(pod, prio);
        let at = pod as usize;
        if self.nominated.len() <= at {
            self.nominated.resize(at + 1, None);
        }
        self.nominated[at] = Some(node);
        self.nominations.entry(node).or_default().push(pod);
        *self.nominated_levels.entry(prio).or_default() += 1;
    }

    /// The pod is nominated nowhere any more (bound, gone, or preemption does not help).
    /// Inlined: asked for every pod bound and gone, and almost none is nominated.
    #[inline(always)]
    pub(crate) fn clear_nomination(&mut self, pod: PodId, prio: i32) {
        if let Some(node) = self.nominated.get_mut(pod as usize).and_then(Option::take) {
            self.forget_nomination(pod, node, prio);
        }
    }

    /// The indexes of the nomination of `pod` on `node`, which was just taken back.
    fn forget_nomination(&mut self, pod: PodId, node: NodeId, prio: i32) {
        if let Some(list) = self.nominations.get_mut(&node) {
            list.retain(|&p| p != pod);
            if list.is_empty() {
                self.nominations.remove(&node);
            }
        }
        if let Some(c) = self.nominated_levels.get_mut(&prio) {
            *c -= 1;
            if *c == 0 {
                self.nominated_levels.remove(&prio);
            }
        }
    }

    fn is_victim(&self, pod: PodId) -> bool {
        self.victim.get(pod as usize).copied().unwrap_or(false)
    }

    fn mark_victim(&mut self, pod: PodId) {
        let at = pod as usize;
        if self.victim.len() <= at {
            self.victim.resize(at + 1, false);
        }
        self.victim[at] = true;
    }
}

/// `calculateNumCandidates`.
fn num_candidates(potential: usize) -> usize {
    (potential * MIN_CANDIDATE_NODES_PERCENTAGE / 100)
        .max(MIN_CANDIDATE_NODES_ABSOLUTE)
        .min(potential)
}

impl Scheduler {
    /// Pod priority and preemption policy for a pod template (the Priority admission plugin).
    fn priority_of(&self, cx: &Ctx<'_>, pod: PodId) -> i32 {
        cx.shape(cx.pod(pod).shape).priority
    }

    /// Filter's room check on `node` with the nominated pods of at least the cycle's priority
    /// counted (`addNominatedPods`), the cycle's own pod left out, and the requests of
    /// `freed` pods given back.
    pub(crate) fn room_with_nominated(
        &self,
        cx: &Ctx<'_>,
        node: NodeId,
        shape: &PodShape,
        freed: &[PodId],
    ) -> bool {
        self.room_freeing(cx, node, shape, || freed.iter().copied())
    }

    /// `room_with_nominated` with the freed pods listed by `freed` (called once per resource
    /// the pod requests).
    fn room_freeing<I: Iterator<Item = PodId>>(
        &self,
        cx: &Ctx<'_>,
        node: NodeId,
        shape: &PodShape,
        freed: impl Fn() -> I,
    ) -> bool {
        let alloc = cx.cluster().alloc(node);
        let used = cx.cluster().used(node);
        let nominated: &[PodId] = match self.preemption.cycle {
            Some(_) => (self.preemption.nominations.get(&node)).map_or(&[], |l| l),
            None => &[],
        };
        // Dimension by dimension, without building the free vector: every candidate node of a
        // preemptor is checked here, several times (`select_victims`).
        let request = |q: PodId| &cx.shape(cx.pod(q).shape).request;
        shape.request.iter().enumerate().all(|(d, &r)| {
            if r == 0 {
                return true;
            }
            let mut f = alloc[d] - used[d];
            for v in freed() {
                f += request(v)[d];
            }
            if let Some((me, prio)) = self.preemption.cycle {
                for &q in nominated {
                    if q != me && self.priority_of(cx, q) >= prio {
                        f -= request(q)[d];
                    }
                }
            }
            r <= f
        })
    }

    /// Whether nominated pods may change this node's verdict for the cycle's pod.
    pub(crate) fn nominated_on(&self, node: NodeId) -> bool {
        self.preemption.cycle.is_some() && self.preemption.nominations.contains_key(&node)
    }

    /// DefaultPreemption's PostFilter for a pod that fit no node. Cheap when no placed pod
    /// has a lower priority (a look at the lowest priority placed).
    pub(crate) fn post_filter(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        at_ns: SimTime,
    ) -> PostFilter {
        let mut out = PostFilter {
            filters: 0,
            nominated: None,
        };
        let (prio, never) = (
            cx.shape(shape_id as ShapeId).priority,
            cx.shape(shape_id as ShapeId).preempt_never,
        );
        if never || !self.preemption.any_below(prio) {
            // Not eligible, or nothing to preempt anywhere: every node answers "No preemption
            // victims found for incoming pod" without running Filter.
            if !never {
                self.preemption.clear_nomination(pod, prio);
            }
            return out;
        }
        if let Some(n) = self.waiting_on_nomination(cx, pod, shape_id, ctx, prio) {
            out.nominated = Some(n);
            return out;
        }
        // The nodes preemption might help: those Filter rejected as Unschedulable.
        let shape = cx.shape(shape_id as ShapeId);
        let subset = candidates(cx.cluster(), shape);
        let filters = &mut out.filters;
        let found = if subset.is_none() && ctx.is_none() && self.fast_scheduling {
            self.candidates_from_index(cx, pod, shape_id, at_ns, filters)
        } else {
            let subset = subset.as_deref();
            self.candidates_by_scan(cx, pod, shape_id, ctx, subset, at_ns, filters)
        };
        match found {
            None => {
                self.preemption.clear_nomination(pod, prio);
                out
            }
            Some(found) => self.finish_post_filter(cx, pod, prio, found, at_ns, out),
        }
    }

    /// PodEligibleToPreemptOthers: a pod whose nominated node still holds a victim it
    /// preempted (being deleted, or its DELETE on the way: upstream's PreEnqueue holds the
    /// pod until the calls are made) waits for it. That node, when the pod waits.
    fn waiting_on_nomination(
        &self,
        cx: &Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        prio: i32,
    ) -> Option<NodeId> {
        let n = self.preemption.nominated_node(pod)?;
        let unresolvable = !potential(self, cx, n, cx.shape(shape_id as ShapeId), ctx);
        let waiting = (self.preemption.by_node.get(n as usize))
            .iter()
            .any(|&q| self.preemption.is_victim(q) && self.priority_of(cx, q) < prio);
        (waiting && !unresolvable).then_some(n)
    }

    /// The candidates among the potential nodes from the failure path's index (`diag.rs`):
    /// the same nodes in the same order as the scan. None when no node is potential.
    fn candidates_from_index(
        &mut self,
        cx: &Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        at_ns: SimTime,
        filters: &mut u64,
    ) -> Option<Vec<Candidate>> {
        let shape = cx.shape(shape_id as ShapeId);
        self.diag.prepare(cx.cluster(), shape_id, shape);
        let count = self.diag.potential(shape_id).len();
        // Every test run checks the index against the visit of every node.
        #[cfg(test)]
        self.check_potential_index(cx, shape_id, count);
        if count == 0 {
            return None;
        }
        let offset = below(&mut self.preemption.rng, count as u64) as usize;
        let want = num_candidates(count);
        let prev_cycle = self.preemption.cycle.replace((pod, shape.priority));
        let potential_nodes = self.diag.potential(shape_id);
        let nodes = potential_nodes.starting_at_rank(offset);
        let found = self.first_candidates(cx, shape_id, None, at_ns, filters, want, nodes);
        self.preemption.cycle = prev_cycle;
        Some(found)
    }

    /// Tests only: the failure index's potential nodes and their order are those of the
    /// visit of every node.
    #[cfg(test)]
    fn check_potential_index(&self, cx: &Ctx<'_>, shape_id: usize, count: usize) {
        let shape = cx.shape(shape_id as ShapeId);
        let slow: Vec<NodeId> = (0..cx.cluster().len() as NodeId)
            .filter(|&n| potential(self, cx, n, shape, None))
            .collect();
        let fast = self.diag.potential(shape_id);
        assert_eq!(slow.len(), count, "the failure index's potential nodes");
        if count > 0 {
            let o = (slow[0] as usize * 7 + count / 3) % count;
            let order: Vec<NodeId> = fast.starting_at_rank(o).collect();
            let want: Vec<NodeId> = (0..count).map(|i| slow[(o + i) % count]).collect();
            assert_eq!(order, want, "the failure index's potential order");
        }
    }

    /// The candidates among the potential nodes of `subset` (all nodes without one), visited
    /// from a random offset. None when no node is potential.
    #[allow(clippy::too_many_arguments)]
    fn candidates_by_scan(
        &mut self,
        cx: &Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        subset: Option<&[NodeId]>,
        at_ns: SimTime,
        filters: &mut u64,
    ) -> Option<Vec<Candidate>> {
        let shape = cx.shape(shape_id as ShapeId);
        let nodes: Vec<NodeId> = match subset {
            Some(list) => list
                .iter()
                .copied()
                .filter(|&n| potential(self, cx, n, shape, ctx))
                .collect(),
            None => (0..cx.cluster().len() as NodeId)
                .filter(|&n| potential(self, cx, n, shape, ctx))
                .collect(),
        };
        if nodes.is_empty() {
            return None;
        }
        let offset = below(&mut self.preemption.rng, nodes.len() as u64) as usize;
        let want = num_candidates(nodes.len());
        let prev_cycle = self.preemption.cycle.replace((pod, shape.priority));
        let in_order = (0..nodes.len()).map(|i| nodes[(offset + i) % nodes.len()]);
        let found = self.first_candidates(cx, shape_id, ctx, at_ns, filters, want, in_order);
        self.preemption.cycle = prev_cycle;
        Some(found)
    }

    /// The first `want` nodes of `nodes` where removing victims lets the pod fit, with their
    /// victims (upstream's `DryRunPreemption`, stopping at `numCandidates`).
    #[allow(clippy::too_many_arguments)]
    fn first_candidates(
        &self,
        cx: &Ctx<'_>,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        at_ns: SimTime,
        filters: &mut u64,
        want: usize,
        nodes: impl Iterator<Item = NodeId>,
    ) -> Vec<Candidate> {
        let mut found: Vec<Candidate> = vec![];
        for node in nodes {
            if let Some(c) = self.select_victims(cx, node, shape_id, ctx, at_ns, filters) {
                found.push(c);
                if found.len() >= want {
                    break;
                }
            }
        }
        found
    }

    /// The candidates found: pick one node, preempt its victims, nominate the pod to it.
    fn finish_post_filter(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        prio: i32,
        found: Vec<Candidate>,
        at_ns: SimTime,
        mut out: PostFilter,
    ) -> PostFilter {
        let Some(best) = pick_one_node(&found) else {
            self.preemption.clear_nomination(pod, prio);
            return out;
        };
        let c = &found[best];
        self.preempt(cx, pod, prio, c.node, &c.victims, at_ns);
        out.nominated = Some(c.node);
        out
    }

    /// `SelectVictimsOnNode`: every lower-priority pod removed, Filter; then each reprieved,
    /// most important first, while the pod still fits. `None` when the node is no candidate.
    fn select_victims(
        &self,
        cx: &Ctx<'_>,
        node: NodeId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        now_ns: SimTime,
        filters: &mut u64,
    ) -> Option<Candidate> {
        let shape = cx.shape(shape_id as ShapeId);
        let prio = shape.priority;
        let list = self.preemption.by_node.get(node as usize);
        // Most nodes visited are no candidate (no lower-priority pod, or no room even with
        // them all gone): answered before anything is collected.
        let lower_pods = || {
            list.iter()
                .copied()
                .filter(|&q| self.priority_of(cx, q) < prio)
        };
        // "No preemption victims found for incoming pod": no Filter run.
        lower_pods().next()?;
        *filters += 1;
        // InterPodAffinity is not re-evaluated with the victims gone (see the module doc).
        if ctx.is_some_and(|c| self.placement.check(c, node).is_err()) {
            return None;
        }
        if !self.room_freeing(cx, node, shape, lower_pods) {
            return None;
        }
        let mut lower_iter = lower_pods();
        if let (Some(q), None) = (lower_iter.next(), lower_iter.next()) {
            // One lower-priority pod (a one-pod node): reprieved when the pod fits beside it.
            *filters += 1;
            if self.room_with_nominated(cx, node, shape, &[]) {
                return None;
            }
            let p = cx.pod(q);
            let victim = (self.priority_of(cx, q), p.bound_at_ns.unwrap_or(now_ns), q);
            return Some(Candidate {
                node,
                victims: vec![victim],
            });
        }
        let mut lower: Vec<(i32, SimTime, PodId)> = list
            .iter()
            .map(|&q| {
                let p = cx.pod(q);
                (self.priority_of(cx, q), p.bound_at_ns.unwrap_or(now_ns), q)
            })
            .filter(|&(p, _, _)| p < prio)
            .collect();
        let mut removed: Vec<PodId> = lower.iter().map(|v| v.2).collect();
        // MoreImportantPod: higher priority, then the earlier start.
        lower.sort_by_key(|&(p, start, q)| (std::cmp::Reverse(p), start, q));
        let mut victims = vec![];
        for v in lower {
            removed.retain(|&q| q != v.2);
            *filters += 1;
            if !self.room_with_nominated(cx, node, shape, &removed) {
                removed.push(v.2);
                victims.push(v);
            }
        }
        (!victims.is_empty()).then_some(Candidate { node, victims })
    }

    /// `prepareCandidate`: each victim not already going gets the `DisruptionTarget`
    /// condition and a DELETE on the scheduler's client; lower-priority pods nominated to the
    /// node lose their nomination; the pod is nominated to it.
    fn preempt(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        prio: i32,
        node: NodeId,
        victims: &[(i32, SimTime, PodId)],
        at_ns: SimTime,
    ) {
        let latency = cx.params().api_call_latency_ns;
        self.preemption.preemptions += 1;
        for &(_, _, v) in victims {
            self.preemption.victims += 1;
            self.preemption.mark_victim(v);
            let p = cx.pod(v);
            if p.deletion_ns.is_some() || p.removed || cx.pod_delete_in_flight(v) {
                continue;
            }
            let patch = !p.disruption_target;
            if patch {
                cx.change_pod(v, PodChange::DisruptionTarget);
            }
            let client = &mut self.client;
            cx.request_pod_delete(v, PREEMPTION_REASON, |_| {
                let after_patch = if patch {
                    client.reserve(at_ns) + latency
                } else {
                    at_ns
                };
                client.reserve(after_patch)
            });
        }
        let lower: Vec<PodId> = (self.preemption.nominations.get(&node))
            .map(|l| {
                l.iter()
                    .copied()
                    .filter(|&q| q != pod && self.priority_of(cx, q) < prio)
                    .collect()
            })
            .unwrap_or_default();
        for q in lower {
            let qp = self.priority_of(cx, q);
            self.preemption.clear_nomination(q, qp);
            self.client.reserve(at_ns);
            if self.state(q) == QueueState::Unschedulable {
                self.unschedulable.remove(&q);
                self.push_active(cx, q);
            }
        }
        self.preemption.nominate(pod, node, prio);
    }
}

/// Filter's verdict on `node` is one preemption might cure (Unschedulable, not
/// UnschedulableAndUnresolvable): room (NodeResourcesFit) or anti-affinity.
fn potential(
    s: &Scheduler,
    cx: &Ctx<'_>,
    node: NodeId,
    shape: &PodShape,
    ctx: Option<&PodCtx>,
) -> bool {
    match filter::check(cx.cluster(), node, shape, false) {
        Ok(()) | Err(Reject::Resources(_)) => ctx.is_none_or(|c| {
            !matches!(
                s.placement.check(c, node),
                Err(super::affinity::AffinityReject::Affinity)
            )
        }),
        Err(_) => false,
    }
}

/// `pickOneNodeForPreemption` (no PodDisruptionBudgets: every candidate violates none): the
/// lowest highest-victim priority, then the lowest sum of priorities, the fewest victims, the
/// latest start of the highest-priority victims, the first found.
fn pick_one_node(found: &[Candidate]) -> Option<usize> {
    type Score = fn(&Candidate) -> i64;
    let scores: [Score; 4] = [
        |c| -(c.victims[0].0 as i64),
        |c| {
            -c.victims
                .iter()
                .map(|v| v.0 as i64 + i32::MAX as i64 + 1)
                .sum::<i64>()
        },
        |c| -(c.victims.len() as i64),
        |c| {
            let top = c.victims[0].0;
            (c.victims.iter())
                .filter(|v| v.0 == top)
                .map(|v| v.1 as i64)
                .min()
                .unwrap_or(i64::MIN)
        },
    ];
    let mut left: Vec<usize> = (0..found.len()).collect();
    for f in scores {
        if left.len() <= 1 {
            break;
        }
        let best = left.iter().map(|&i| f(&found[i])).max()?;
        left.retain(|&i| f(&found[i]) == best);
    }
    left.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_count_follows_default_preemption_args() {
        assert_eq!(num_candidates(5), 5);
        assert_eq!(num_candidates(100), 100);
        assert_eq!(num_candidates(999), 100);
        assert_eq!(num_candidates(5_000), 500);
        assert_eq!(num_candidates(65_536), 6_553);
    }

    fn cand(node: NodeId, victims: &[(i32, SimTime)]) -> Candidate {
        Candidate {
            node,
            victims: victims
                .iter()
                .enumerate()
                .map(|(i, &(p, t))| (p, t, i as PodId))
                .collect(),
        }
    }

    /// The criteria of `pickOneNodeForPreemption`, in order.
    #[test]
    fn pick_one_node_follows_upstream_order() {
        // Lowest highest priority wins over fewer victims.
        let f = [cand(0, &[(10, 0)]), cand(1, &[(5, 0), (5, 0)])];
        assert_eq!(pick_one_node(&f), Some(1));
        // Then the smallest sum.
        let f = [cand(0, &[(5, 0), (4, 0)]), cand(1, &[(5, 0), (1, 0)])];
        assert_eq!(pick_one_node(&f), Some(1));
        // Then the fewest victims (negative priorities counted from MinInt32).
        let f = [cand(0, &[(-5, 0), (-5, 0)]), cand(1, &[(-5, 0)])];
        assert_eq!(pick_one_node(&f), Some(1));
        // Then the latest start of the highest-priority victims.
        let f = [
            cand(0, &[(5, 10)]),
            cand(1, &[(5, 20)]),
            cand(2, &[(5, 20)]),
        ];
        assert_eq!(pick_one_node(&f), Some(1));
        assert_eq!(pick_one_node(&[]), None);
    }

    /// The Priority admission plugin: class, global default (the lowest of several), 0.
    #[test]
    fn priority_resolves_like_the_admission_plugin() {
        use crate::kueue_api::PodPriorityClass;
        let pc = |name: &str, value, global_default, preempt_never| PodPriorityClass {
            name: name.into(),
            value,
            global_default,
            preempt_never,
        };
        let spec = |class: Option<&str>| PodSpec {
            priority_class_name: class.map(Into::into),
            ..Default::default()
        };
        let none = PriorityClasses::new(&[]);
        assert_eq!(none.resolve(&spec(None)), (0, false));
        assert_eq!(
            none.resolve(&spec(Some("system-node-critical"))),
            (2_000_001_000, false)
        );
        let classes = PriorityClasses::new(&[
            pc("high", 1000, false, true),
            pc("d1", 50, true, false),
            pc("d2", 20, true, false),
        ]);
        assert_eq!(classes.resolve(&spec(Some("high"))), (1000, true));
        assert_eq!(classes.resolve(&spec(None)), (20, false));
        let mut s = spec(Some("high"));
        s.preemption_policy = Some("PreemptLowerPriority".into());
        assert_eq!(classes.resolve(&s), (1000, false));
    }
}

//! kube-scheduler model: active / backoff / unschedulable queues, one scheduling cycle at a
//! time, asynchronous binding. Decisions come from indexes (label postings, capacity arrays) and
//! match what the real node scan would pick; the simulated time charged follows the real scan.
//!
//! A component like the controllers (docs/architecture.md): its handlers (`on_add_pod`,
//! `on_pod_gone`, `on_cycle`, `on_backoff_done`, `on_flush_unschedulable`, `on_bind_done`,
//! `move_all_unschedulable`) take its own state and a `Ctx`, through which it reads nodes, pods
//! and pod specs as its informers would, holds node capacity through the scheduler cache
//! (`Ctx::scheduler_cache`), lands binds and verdicts on the pod-change path and sends
//! preemption DELETEs on its own client.

pub(crate) mod affinity;

#[cfg(test)]
mod component_tests;
pub(crate) mod diag;
pub(crate) mod fast;
pub(crate) mod filter;
mod pod_specs;
pub(crate) mod preemption;

use crate::cluster::{resources, NodeId};
use crate::engine::{rng::below, SimTime, StreamRng};
use crate::params::ScoringStrategy;
use crate::sim::ctx::Ctx;
use crate::sim::objects::{JobId, PodId, PodPhase, ShapeId};
use crate::sim::pod_change::PodChange;
use crate::sim::shape::PodShape;
use crate::sim::Event;
use affinity::PodCtx;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Score plugin weights of kube-scheduler's default profile.
pub(crate) const WEIGHT_RESOURCES_FIT: i64 = 1;
const WEIGHT_NODE_AFFINITY: i64 = 2;
pub(crate) const WEIGHT_TAINT_TOLERATION: i64 = 3;
const WEIGHT_INTER_POD_AFFINITY: i64 = 2;
/// framework.MaxNodeScore.
const MAX_NODE_SCORE: i64 = 100;

/// kube-scheduler's minFeasibleNodesToFind and minFeasibleNodesPercentageToFind.
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;
/// flushUnschedulablePodsLeftover runs this often.
const UNSCHEDULABLE_FLUSH_PERIOD_NS: u64 = 30_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueState {
    None,
    Active,
    Backoff,
    Unschedulable,
    Assumed,
}

pub(crate) struct Scheduler {
    /// Max-heap on (priority, earliest arrival).
    active: BinaryHeap<(i32, Reverse<u64>, PodId)>,
    unschedulable: BTreeMap<PodId, SimTime>,
    state: Vec<QueueState>,
    last_attempt_ns: Vec<SimTime>,
    /// Scheduling cycles each pod went through (`QueuedPodInfo.Attempts`): its back-off.
    attempts: Vec<u32>,
    /// The cache: the node whose capacity is held for each pod, from its assumption until
    /// the pod is gone or terminal.
    reserved_on: Vec<Option<NodeId>>,
    seq: u64,
    busy: bool,
    /// The loop is busy with its last cycle until then (no event waits for it when idle).
    free_at_ns: SimTime,
    flush_scheduled: bool,
    next_start_node: usize,
    rng: StreamRng,
    /// Its API client's rate limiter (binds).
    client: crate::engine::TokenBucket,
    pub cycles: u64,
    pub nodes_examined: u64,
    /// Cycles decided by the fast path (`fast.rs`): a speed statistic, not in any output.
    pub fast_decisions: u64,
    /// Domain walks decided by the fast path (`fast::decide_fast_domains`).
    pub fast_domain_decisions: u64,
    /// Of those, walks that counted the free domains in bulk (`Pristine::free_domains`).
    pub fast_bulk_walks: u64,
    /// DefaultPreemption: the placed pods by priority, nominations, victims (`preemption.rs`).
    preemption: preemption::Preemption,
    /// The failure path's verdicts per shape on every node (`diag.rs`).
    diag: diag::DiagIndex,
    /// Failure diagnoses answered from `diag` (a speed statistic, not in any output).
    pub fast_diagnoses: u64,
    /// InterPodAffinity's view of the cache: the placed pods per topology domain, and the
    /// Jobs' pod labels once some term can read them (`affinity.rs`).
    placement: affinity::AffinityIndex,
    /// Decide plain-scan pods from the pristine-node index (`fast.rs`); off only in tests
    /// that check it decides exactly as the plain scan.
    fast_scheduling: bool,
    /// `select_host`'s per-node lists (preferred node affinity, soft taints, total scores,
    /// inter-pod affinity), kept between cycles so that scoring allocates nothing.
    score_buffers: [Vec<i64>; 4],
    /// InterPodAffinity's PreScore state, kept between cycles for the same reason.
    score_ctx: affinity::ScoreCtx,
    /// InterPodAffinity's filter context (`affinity_ctx`), likewise.
    pod_ctx: PodCtx,
    /// `decide_scan`'s candidate list and feasible nodes, kept between cycles: built afresh
    /// per decision they were two allocations of every plain-scan cycle.
    scan_buffers: ScanBuffers,
    /// The fast path's verdicts and scores of the nodes it counts, for the last shape.
    counted_scores: fast::CountedScores,
    /// The fast path's window pieces, kept between cycles so that a decision allocates
    /// nothing.
    window_items: Vec<fast::Item>,
}

/// Which nodes a decision filters (`Scheduler::scan_plan`).
struct ScanPlan {
    /// The topology whose domains the pod's inter-pod terms walk, skipping excluded ones.
    skip_topo: Option<u16>,
    /// A PreFilter result narrows the nodes filtered to its node names.
    narrowed: bool,
    /// Whether the plan has a candidate list (a nodeSelector's posting list, the PreFilter's
    /// nodes): `list` holds it then, and is an unused buffer otherwise.
    has_list: bool,
    list: Vec<NodeId>,
    /// The nodes kube-scheduler counts as filtered.
    n_filtered: usize,
    /// Feasible nodes that end the scan (`numFeasibleNodesToFind`).
    want: usize,
    /// The rotating start.
    start: usize,
}

impl ScanPlan {
    /// The candidate list, if any.
    fn subset(&self) -> Option<&[NodeId]> {
        self.has_list.then_some(self.list.as_slice())
    }

    /// The candidate list the scan visits: none when a domain walk ignores it.
    fn scanned_list(&self) -> Option<&[NodeId]> {
        self.subset().filter(|_| self.skip_topo.is_none())
    }
}

/// The scheduler's buffers for one plain-scan decision (cleared, not reallocated, per cycle).
#[derive(Debug, Default)]
struct ScanBuffers {
    candidates: Vec<NodeId>,
    feasible: Vec<NodeId>,
}

/// What a scan for feasible nodes looks for: the pod's shape and affinity context, the
/// rotating start, and how many feasible nodes end it.
struct Scan<'a> {
    shape: &'a PodShape,
    ctx: Option<&'a PodCtx>,
    start: usize,
    want: usize,
}

/// What one scheduling cycle found.
struct Decision {
    node: Option<NodeId>,
    /// Nodes the real scheduler would have run Filter on.
    examined: usize,
    /// Feasible nodes that were scored (0 when exactly one was feasible).
    scored: usize,
}

impl Decision {
    /// Nodes Filter rejected among those examined: each gets a Status that a serial loop
    /// inserts into the diagnosis (`schedule_one.go` `findNodesThatPassFilters`), charged
    /// `perRejectedNodeCost` on top of the Filter run.
    fn rejected(&self) -> u64 {
        let feasible = match (self.node, self.scored) {
            (None, _) => 0,
            (Some(_), 0) => 1,
            (Some(_), n) => n,
        };
        self.examined.saturating_sub(feasible) as u64
    }
}

/// Pods the per-pod vectors grow by at a time (`Scheduler::ensure`).
const POD_BLOCK: usize = 1024;

impl Scheduler {
    pub(crate) fn new(
        rng: StreamRng,
        client: crate::engine::TokenBucket,
        preemption: preemption::Preemption,
    ) -> Self {
        Scheduler {
            active: BinaryHeap::new(),
            unschedulable: BTreeMap::new(),
            state: vec![],
            last_attempt_ns: vec![],
            attempts: vec![],
            reserved_on: vec![],
            seq: 0,
            busy: false,
            free_at_ns: 0,
            flush_scheduled: false,
            next_start_node: 0,
            rng,
            client,
            fast_decisions: 0,
            fast_domain_decisions: 0,
            fast_bulk_walks: 0,
            cycles: 0,
            nodes_examined: 0,
            preemption,
            diag: Default::default(),
            fast_diagnoses: 0,
            placement: Default::default(),
            fast_scheduling: true,
            score_buffers: Default::default(),
            score_ctx: Default::default(),
            pod_ctx: Default::default(),
            scan_buffers: Default::default(),
            counted_scores: Default::default(),
            window_items: vec![],
        }
    }

    /// A pod template's priority and whether it never preempts (the Priority admission
    /// plugin, `preemption::PriorityClasses::resolve`).
    pub(crate) fn pod_priority(&self, spec: &crate::api::types::PodSpec) -> (i32, bool) {
        self.preemption.classes.resolve(spec)
    }

    /// Room for pod `pod` in the per-pod tables. Inlined: asked twice per pod, and the
    /// tables grow only once per block of pods.
    #[inline(always)]
    fn ensure(&mut self, pod: PodId) {
        if self.state.len() <= pod as usize {
            self.grow_pod_tables(pod);
        }
    }

    fn grow_pod_tables(&mut self, pod: PodId) {
        // Grown a block of pods at a time: pod ids rise one by one, and four resizes per pod
        // created were a measurable share of its queueing. A pod past the end and one in
        // the block are alike (no state, no attempt, no reservation).
        let len = (pod as usize + 1).next_multiple_of(POD_BLOCK);
        self.state.resize(len, QueueState::None);
        self.last_attempt_ns.resize(len, 0);
        self.attempts.resize(len, 0);
        self.reserved_on.resize(len, None);
    }

    /// DefaultPreemption's counts so far: cycles that preempted, and pods they evicted.
    pub(crate) fn preemption_counts(&self) -> (u64, u64) {
        (self.preemption.preemptions, self.preemption.victims)
    }

    /// Decide with the plain scan alone (tests that check the fast path decides the same).
    #[cfg(test)]
    pub(crate) fn set_fast_scheduling(&mut self, fast: bool) {
        self.fast_scheduling = fast;
    }

    /// Every reservation the cache holds, by pod id.
    pub(crate) fn reservations(&self) -> impl Iterator<Item = (PodId, NodeId)> + '_ {
        (self.reserved_on.iter().enumerate())
            .filter_map(|(pod, node)| Some((pod as PodId, (*node)?)))
    }

    /// Moves a reservation elsewhere without touching the nodes' capacity: a corrupt cache,
    /// which the invariant tests make to prove the checker finds it.
    #[cfg(test)]
    pub(crate) fn corrupt_reservation(&mut self, pod: PodId, node: NodeId) {
        self.ensure(pod);
        self.reserved_on[pod as usize] = Some(node);
    }

    pub(crate) fn state(&self, pod: PodId) -> QueueState {
        self.state
            .get(pod as usize)
            .copied()
            .unwrap_or(QueueState::None)
    }
}

/// The nodes worth filtering for a pod, ascending: the node it names, the nodes NodeAffinity's
/// PreFilter narrows it to, or the smallest label posting list of its nodeSelector; `None` when
/// any node may fit (no selector).
pub(crate) fn candidates(
    cluster: &crate::cluster::Cluster,
    shape: &PodShape,
) -> Option<Vec<NodeId>> {
    let mut list = Vec::new();
    candidates_into(cluster, shape, &mut list).then_some(list)
}

/// `x % n` for the rotating start's arithmetic, where `x` is below `2n` but for a start
/// kept from a larger cluster: a compare and a subtraction where a 64-bit division costs tens
/// of cycles, several times per scheduling decision.
#[inline(always)]
fn wrap_index(x: usize, n: usize) -> usize {
    if x < n {
        x
    } else if x - n < n {
        x - n
    } else {
        x % n
    }
}

/// [`candidates`] into a caller's buffer (cleared first), for the scheduler's cycle to reuse
/// one: `false` when any node may fit.
fn candidates_into(
    cluster: &crate::cluster::Cluster,
    shape: &PodShape,
    list: &mut Vec<NodeId>,
) -> bool {
    list.clear();
    if let Some(name) = &shape.node_name {
        list.extend(cluster.node_by_name(name));
        return true;
    }
    if let Some(names) = &shape.prefilter_node_names {
        list.extend(names.iter().filter_map(|n| cluster.node_by_name(n)));
        list.sort_unstable();
        return true;
    }
    match &shape.selector_ids {
        None => true,
        Some(ids) if ids.is_empty() => false,
        Some(ids) => {
            // The selector's pairs as ids (in `node_selector`'s order): no string is hashed.
            let mut best: Option<&[NodeId]> = None;
            for &(k, v) in ids {
                let list = cluster.nodes_with_label_id(k, v);
                if best.is_none_or(|b| list.len() < b.len()) {
                    best = Some(list);
                }
            }
            list.extend_from_slice(best.unwrap_or(&[]));
            true
        }
    }
}

/// kube-scheduler's `numFeasibleNodesToFind`.
pub(crate) fn num_feasible_nodes_to_find(num_all_nodes: usize, percentage: u32) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut pct = percentage as usize;
    if pct == 0 {
        pct = 50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE);
    }
    if pct >= 100 {
        return num_all_nodes;
    }
    (num_all_nodes * pct / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

impl Scheduler {
    fn push_active(&mut self, cx: &mut Ctx<'_>, pod: PodId) {
        self.ensure(pod);
        self.state[pod as usize] = QueueState::Active;
        self.seq += 1;
        let prio = cx.shape(cx.pod(pod).shape).priority;
        self.active.push((prio, Reverse(self.seq), pod));
        self.wake_scheduler(cx);
    }

    fn wake_scheduler(&mut self, cx: &mut Ctx<'_>) {
        if !self.busy {
            self.busy = true;
            let at = self.free_at_ns.max(cx.now());
            cx.schedule_at(at, Event::SchedulerCycle);
        }
    }

    pub(crate) fn on_add_pod(&mut self, cx: &mut Ctx<'_>, pod: PodId) {
        let p = cx.pod(pod);
        if p.removed
            || p.deletion_ns.is_some()
            || p.node.is_some()
            || self.state(pod) != QueueState::None
        {
            return;
        }
        self.push_active(cx, pod);
    }

    /// A pod that held resources is gone or terminal: free them and retry unschedulable pods.
    /// A pod's removal is the last thing the scheduler hears of it: it gives the pod's slot
    /// back to the store then (`Sim::release_pod_slot`), once it read the pod's shape and Job.
    pub(crate) fn on_pod_gone(&mut self, cx: &mut Ctx<'_>, pod: PodId) {
        if cx.pod_released(pod) {
            // The informer's notice of the pod's end (`Finished`) arrived after its removal,
            // and an earlier notice released it: that one left nothing of the pod here.
            assert!(
                self.reserved_on
                    .get(pod as usize)
                    .is_none_or(Option::is_none)
                    && self.state(pod) == QueueState::None,
                "internal error: the scheduler holds pod {pod} after its slot was released"
            );
            return;
        }
        let reservation = (self.reserved_on.get_mut(pod as usize)).and_then(Option::take);
        let prio = cx.shape(cx.pod(pod).shape).priority;
        self.preemption.clear_nomination(pod, prio);
        if let Some(node) = reservation {
            cx.cluster().prefetch(node); // as in `assume`
            let shape_id = cx.pod(pod).shape;
            self.preemption.released(pod, node, prio);
            cx.scheduler_cache().release(node, shape_id);
            let job = cx.pod(pod).job;
            self.placement.place(node, job, cx.shape(shape_id), -1);
            self.sync_free_domains(cx);
            self.move_all_unschedulable(cx);
        }
        self.ensure(pod);
        if self.state[pod as usize] == QueueState::Unschedulable {
            self.unschedulable.remove(&pod);
        }
        self.state[pod as usize] = QueueState::None;
        if cx.pod(pod).removed {
            // Nothing of the scheduler's names the pod any more: its reservation, nomination
            // and queue state are cleared above, and an entry left in the active heap is
            // dropped when popped, by its state, before the pod is read (`on_cycle`).
            cx.release_pod_slot(pod);
        }
    }

    /// Cluster event that may make pods schedulable: move them to backoff or active.
    pub(crate) fn move_all_unschedulable(&mut self, cx: &mut Ctx<'_>) {
        if self.unschedulable.is_empty() {
            return; // the usual case: no map to take apart and no list to build
        }
        let pods: Vec<PodId> = std::mem::take(&mut self.unschedulable)
            .into_keys()
            .collect();
        for pod in pods {
            self.requeue_after_backoff(cx, pod);
        }
    }

    fn backoff_ns(&self, cx: &Ctx<'_>, pod: PodId) -> u64 {
        let attempts = self.attempts[pod as usize].max(1);
        let p = &cx.params().scheduler;
        let mut d = p.initial_backoff_ns;
        for _ in 1..attempts {
            d = d.saturating_mul(2);
            if d >= p.max_backoff_ns {
                return p.max_backoff_ns;
            }
        }
        d.min(p.max_backoff_ns)
    }

    fn requeue_after_backoff(&mut self, cx: &mut Ctx<'_>, pod: PodId) {
        let ready_at = self.last_attempt_ns[pod as usize] + self.backoff_ns(cx, pod);
        if ready_at <= cx.now() {
            self.push_active(cx, pod);
        } else {
            self.state[pod as usize] = QueueState::Backoff;
            cx.schedule_at(ready_at, Event::SchedulerBackoffDone(pod));
        }
    }

    pub(crate) fn on_backoff_done(&mut self, cx: &mut Ctx<'_>, pod: PodId) {
        if self.state(pod) == QueueState::Backoff {
            self.push_active(cx, pod);
        }
    }

    pub(crate) fn on_flush_unschedulable(&mut self, cx: &mut Ctx<'_>) {
        self.flush_scheduled = false;
        let limit = cx.params().scheduler.max_unschedulable_ns;
        let now = cx.now();
        let due: Vec<PodId> = self
            .unschedulable
            .iter()
            .filter(|(_, &since)| now.saturating_sub(since) >= limit)
            .map(|(&p, _)| p)
            .collect();
        for pod in due {
            self.unschedulable.remove(&pod);
            self.push_active(cx, pod);
        }
        self.arm_unschedulable_flush(cx);
    }

    fn arm_unschedulable_flush(&mut self, cx: &mut Ctx<'_>) {
        if !self.flush_scheduled && !self.unschedulable.is_empty() {
            self.flush_scheduled = true;
            cx.schedule_in(
                UNSCHEDULABLE_FLUSH_PERIOD_NS,
                Event::SchedulerFlushUnschedulable,
            );
        }
    }

    /// One scheduling cycle: pop the best pod, decide, assume, start binding.
    pub(crate) fn on_cycle(&mut self, cx: &mut Ctx<'_>) {
        let Some(pod) = self.pop_schedulable(cx) else {
            self.busy = false;
            return;
        };
        let now = cx.now();
        self.cycles += 1;
        self.last_attempt_ns[pod as usize] = now;
        self.attempts[pod as usize] += 1;
        let shape_id = cx.pod(pod).shape as usize;
        let pod_ctx = self.affinity_ctx(cx, pod);
        let ctx = pod_ctx.as_ref();
        let decision = self.decide(cx, pod, shape_id, ctx);
        let sp = &cx.params().scheduler;
        let mut cost_ns = sp.cycle_base_cost_ns
            + sp.per_node_filter_cost_ns * decision.examined as u64
            + sp.per_rejected_node_cost_ns * decision.rejected()
            + sp.per_node_score_cost_ns * decision.scored as u64
            + self.affinity_walk_cost_ns(cx, shape_id, decision.scored > 0);
        self.nodes_examined += decision.examined as u64;
        match decision.node {
            Some(node) => self.assume(cx, pod, shape_id, node, now + cost_ns),
            None => {
                cost_ns += self.on_no_fit(cx, pod, shape_id, ctx, now + cost_ns);
            }
        }
        if let Some(kept) = pod_ctx {
            self.pod_ctx = kept;
        }
        // The next cycle starts when this one's work is done; with nothing queued the loop
        // goes idle and the next pod wakes it no earlier than that.
        if self.active.is_empty() {
            self.busy = false;
            self.free_at_ns = now + cost_ns;
        } else {
            cx.schedule_at(now + cost_ns, Event::SchedulerCycle);
        }
    }

    /// The next pod of the active queue still to schedule; stale entries (a pod no longer
    /// active, removed or being deleted) are dropped on the way.
    fn pop_schedulable(&mut self, cx: &Ctx<'_>) -> Option<PodId> {
        loop {
            match self.active.pop()? {
                // The state first: a stale entry's pod may be released.
                (_, _, pod) if self.state(pod) == QueueState::Active => {
                    let p = cx.pod(pod);
                    if !p.removed && p.deletion_ns.is_none() {
                        return Some(pod);
                    }
                }
                _ => {}
            }
        }
    }

    /// Assume: `pod` holds its room on `node` in the cache from now; its binding goes out
    /// when the cycle's work is done (`cycle_done_ns`).
    fn assume(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        node: NodeId,
        cycle_done_ns: SimTime,
    ) {
        // The node's entries in the cluster's arrays and the preemption index are out of
        // cache in a long run: their misses overlap when started together.
        cx.cluster().prefetch(node);
        self.preemption.prefetch(node);
        assert_may_hold(cx.cluster(), node, cx.shape(shape_id as ShapeId));
        cx.scheduler_cache().reserve(node, shape_id as ShapeId);
        let shape = cx.shape(shape_id as ShapeId);
        let job = cx.pod(pod).job;
        self.placement.place(node, job, shape, 1);
        let prio = shape.priority;
        self.sync_free_domains(cx);
        self.reserved_on[pod as usize] = Some(node);
        self.preemption.clear_nomination(pod, prio);
        self.preemption.placed(pod, node, prio);
        if cx.pod(pod).unschedulable {
            cx.change_pod(
                pod,
                PodChange::SchedulingVerdict {
                    unschedulable: None,
                },
            );
        }
        self.state[pod as usize] = QueueState::Assumed;
        let send = self.client.reserve(cycle_done_ns);
        let bind_at = send + cx.params().scheduler.bind_latency_ns;
        cx.schedule_at(bind_at, Event::BindDone { pod, node });
    }

    /// A pod that fit no node: PostFilter (preemption), then the FailedScheduling diagnosis
    /// on the pod and the unschedulable queue. Returns the PostFilter's extra cost.
    fn on_no_fit(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        cycle_done_ns: SimTime,
    ) -> u64 {
        let now = cx.now();
        // PostFilter (DefaultPreemption): its Filter runs are charged like the scan's.
        let pf = self.post_filter(cx, pod, shape_id, ctx, cycle_done_ns);
        self.nodes_examined += pf.filters;
        let diag = self.diagnose_no_fit(cx, shape_id, ctx);
        let first_failure = !cx.pod(pod).unschedulable;
        cx.observe_failed_scheduling(pod, first_failure, &diag);
        let message = diag.message();
        let unschedulable = Some(message.as_str());
        cx.change_pod(pod, PodChange::SchedulingVerdict { unschedulable });
        self.state[pod as usize] = QueueState::Unschedulable;
        self.unschedulable.insert(pod, now);
        self.arm_unschedulable_flush(cx);
        cx.params().scheduler.per_node_filter_cost_ns * pf.filters
    }

    /// Why a pod fits no node: the Filter reasons over the nodes `decide` took as its
    /// candidates, from the failure index when the fast path is on, plus InterPodAffinity's.
    fn diagnose_no_fit(
        &mut self,
        cx: &Ctx<'_>,
        shape_id: usize,
        ctx: Option<&PodCtx>,
    ) -> filter::Diagnosis {
        let shape = cx.shape(shape_id as ShapeId);
        let subset = candidates(cx.cluster(), shape);
        let mut diag = match subset {
            None if self.fast_scheduling => {
                self.fast_diagnoses += 1;
                let d = self.diag.diagnose(cx.cluster(), shape_id, shape);
                // Every test run checks the index against the visit of every node.
                #[cfg(test)]
                assert_eq!(
                    d.reasons,
                    filter::diagnose(cx.cluster(), shape, None, false).reasons,
                    "the failure index's diagnosis"
                );
                d
            }
            _ => filter::diagnose(cx.cluster(), shape, subset.as_deref(), false),
        };
        if let Some(ctx) = ctx {
            self.add_affinity_diagnosis(cx, &mut diag, shape_id, ctx, subset.as_deref());
        }
        diag
    }

    /// Filter and score as kube-scheduler does, from the label index when the pod has a
    /// nodeSelector, and rotating the scan start between cycles.
    /// Every filter for one node, InterPodAffinity last as in the framework. Terms on
    /// `cleared` were already checked for this node's whole domain.
    fn feasible(
        &self,
        cx: &Ctx<'_>,
        node: NodeId,
        shape: &PodShape,
        ctx: Option<&PodCtx>,
        cleared: Option<u16>,
        entry_verdicts: Option<&[bool]>,
    ) -> bool {
        let fits = match entry_verdicts {
            Some(v) if cx.cluster().pristine.is[node as usize] => {
                v[cx.cluster().pristine.spec_of[node as usize] as usize]
            }
            _ => filter::passes(cx.cluster(), node, shape, false),
        };
        fits && (!self.nominated_on(node) || self.room_with_nominated(cx, node, shape, &[]))
            && ctx.is_none_or(|c| self.placement.check_except(c, node, cleared).is_ok())
    }

    /// The filters' verdict on the pristine nodes of each pool entry, when the pod's node
    /// constraints read only labels the whole entry shares (its `labels`, not the per-node
    /// hostname, node pool or topology labels): every pristine node of an entry then passes
    /// or fails alike, and one check per entry answers for all of them.
    fn entry_verdicts(&self, cx: &Ctx<'_>, shape: &PodShape) -> Option<Vec<bool>> {
        if shape.node_name.is_some() || shape.node_affinity.is_some() {
            return None;
        }
        let ids = shape.selector_ids.as_ref()?;
        if ids.iter().any(|(k, _)| cx.node_varying_keys().contains(k)) {
            return None;
        }
        let pr = &cx.cluster().pristine;
        Some(
            (0..pr.specs())
                .map(|e| {
                    pr.representative(e).is_some_and(|rep| {
                        filter::passes(cx.cluster(), rep as NodeId, shape, false)
                    })
                })
                .collect(),
        )
    }

    /// A fast path's decision, as the plain scan's would be: the rotating start moves past
    /// the nodes it examined.
    fn fast_decided(&mut self, d: fast::FastDecision, start: usize, n_all: usize) -> Decision {
        self.next_start_node = wrap_index(start + d.examined, n_all.max(1));
        Decision {
            node: d.node,
            examined: d.examined,
            scored: d.scored,
        }
    }

    /// The cycle's decision. While pods of at least this pod's priority are nominated
    /// somewhere, Filter counts them on their node (`addNominatedPods`): the plain path
    /// decides. A nominated pod tries its nominated node first (`evaluateNominatedNode`).
    fn decide(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
    ) -> Decision {
        let prio = cx.shape(shape_id as ShapeId).priority;
        let claims = self.preemption.nominations_apply(prio);
        self.preemption.cycle = claims.then_some((pod, prio));
        let nominated = self.preemption.nominated_node(pod);
        let decision = match nominated {
            Some(n) if self.feasible(cx, n, cx.shape(shape_id as ShapeId), ctx, None, None) => {
                Decision {
                    node: Some(n),
                    examined: 1,
                    scored: 0,
                }
            }
            _ => self.decide_scan(cx, pod, shape_id, ctx, claims),
        };
        self.preemption.cycle = None;
        decision
    }

    fn decide_scan(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        claims: bool,
    ) -> Decision {
        let candidates = std::mem::take(&mut self.scan_buffers.candidates);
        let plan = self.scan_plan(cx, shape_id, ctx, candidates);
        let decision = match self.try_fast_paths(cx, pod, shape_id, ctx, claims, &plan) {
            Some(d) => d,
            None => self.decide_plain_scan(cx, pod, shape_id, ctx, &plan),
        };
        self.scan_buffers.candidates = plan.list;
        decision
    }

    /// The plain scan's decision, when the fast paths declined.
    fn decide_plain_scan(
        &mut self,
        cx: &Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        plan: &ScanPlan,
    ) -> Decision {
        let n_all = cx.cluster().len();
        // The scheduler's buffer, sized once for the decision: grown push by push it
        // reallocated several times per decision, and a fresh one per decision was an
        // allocation of every plain-scan cycle.
        let mut feasible = std::mem::take(&mut self.scan_buffers.feasible);
        feasible.clear();
        feasible.reserve(plan.want.min(plan.n_filtered));
        let scan = Scan {
            shape: cx.shape(shape_id as ShapeId),
            ctx,
            start: plan.start,
            want: plan.want,
        };
        let examined = match (plan.scanned_list(), plan.skip_topo) {
            (None, None) => self.scan_free_nodes(cx, &scan, &mut feasible),
            (None, Some(topo)) => self.scan_domains(cx, &scan, topo, &mut feasible),
            (Some(list), _) => {
                let processed = self.scan_list(cx, &scan, list, &mut feasible);
                if plan.narrowed {
                    processed
                } else {
                    scan_length(&feasible, plan.want, plan.start, n_all)
                }
            }
        };
        self.next_start_node = wrap_index(plan.start + examined, n_all.max(1));
        let (node, scored) = match feasible.len() {
            0 => (None, 0),
            1 => (Some(feasible[0]), 0),
            n => (Some(self.select_host(cx, pod, shape_id, &feasible)), n),
        };
        self.scan_buffers.feasible = feasible;
        Decision {
            node,
            examined,
            scored,
        }
    }

    /// Which nodes a decision filters, from where, and how many feasible ones end it.
    /// `list`: the buffer the candidate list is built in.
    fn scan_plan(
        &self,
        cx: &Ctx<'_>,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        mut list: Vec<NodeId>,
    ) -> ScanPlan {
        let n_all = cx.cluster().len();
        let shape = cx.shape(shape_id as ShapeId);
        // A pod with its own inter-pod terms walks its topology's domains (skipping excluded
        // ones whole) even when it also has a nodeSelector: its selector's posting list is
        // typically the whole accelerator fleet, its free domains a few.
        let skip_topo = ctx.and_then(|c| self.placement.skip_topology(c));
        // With a PreFilter result kube-scheduler filters only those nodes: they are all it
        // counts, examines and is charged for (`schedule_one.go` `findNodesThatFitPod`).
        let narrowed = shape.prefilter_node_names.is_some() && shape.node_name.is_none();
        // The candidate list, unless a domain walk ignores it (a leader's selector's posting
        // list is every node of the fleet: copying it per decision was a tenth of
        // recovery-15k's instructions).
        let has_list =
            (skip_topo.is_none() || narrowed) && candidates_into(cx.cluster(), shape, &mut list);
        let n_filtered = if has_list && narrowed {
            list.len()
        } else {
            n_all
        };
        let percentage = cx.params().scheduler.percentage_of_nodes_to_score;
        ScanPlan {
            skip_topo,
            narrowed,
            has_list,
            list,
            n_filtered,
            want: num_feasible_nodes_to_find(n_filtered, percentage),
            start: wrap_index(self.next_start_node, n_all.max(1)),
        }
    }

    /// The fast paths' decision (`fast.rs`), when one applies to the pod and decides:
    /// without a candidate list, affinity context or claims, over classes of equal nodes;
    /// with a domain walk, over the walk's free domains.
    fn try_fast_paths(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        ctx: Option<&PodCtx>,
        claims: bool,
        plan: &ScanPlan,
    ) -> Option<Decision> {
        if !self.fast_scheduling || claims {
            return None;
        }
        let (start, want, n_all) = (plan.start, plan.want, cx.cluster().len());
        let shape = cx.shape(shape_id as ShapeId);
        if plan.subset().is_none()
            && ctx.is_none()
            && self.fast_path_applies(cx, shape, cx.pod(pod).job)
        {
            if let Some(d) = self.decide_fast(cx, shape_id, start, want) {
                self.fast_decisions += 1;
                return Some(self.fast_decided(d, start, n_all));
            }
        }
        if let (Some(topo), Some(ctx), None) = (plan.skip_topo, ctx, plan.scanned_list()) {
            let d = self.decide_fast_domains(cx, pod, ctx, topo, start, want)?;
            self.fast_domain_decisions += 1;
            return Some(self.fast_decided(d, start, n_all));
        }
        None
    }

    /// The plain scan from the rotating start, jumping over nodes without room for the
    /// pod's requests (NodeResourcesFit would reject each of them). Returns the nodes
    /// examined.
    fn scan_free_nodes(&mut self, cx: &Ctx<'_>, scan: &Scan, feasible: &mut Vec<NodeId>) -> usize {
        let n_all = cx.cluster().len();
        let free = &cx.cluster().free;
        'halves: for (lo, hi) in [(scan.start, n_all), (0, scan.start)] {
            let mut pos = lo;
            while let Some(node) = free.next_fit_all(&scan.shape.request, pos) {
                if node >= hi {
                    break;
                }
                if self.feasible(cx, node as NodeId, scan.shape, scan.ctx, None, None) {
                    feasible.push(node as NodeId);
                    if feasible.len() == scan.want {
                        break 'halves;
                    }
                }
                pos = node + 1;
            }
        }
        scan_length(feasible, scan.want, scan.start, n_all)
    }

    /// The walk over the domains of `topo` the pod's terms leave (`domain_walk`). Returns the
    /// nodes examined.
    fn scan_domains(
        &mut self,
        cx: &Ctx<'_>,
        scan: &Scan,
        topo: u16,
        feasible: &mut Vec<NodeId>,
    ) -> usize {
        let verdicts = self.entry_verdicts(cx, scan.shape);
        let ctx = scan.ctx.expect("a skip topology comes from a context");
        'runs: for (lo, hi) in self.domain_walk(ctx, topo, scan.start) {
            for node in lo..hi {
                let node = node as NodeId;
                let topo = Some(topo);
                if self.feasible(cx, node, scan.shape, Some(ctx), topo, verdicts.as_deref()) {
                    feasible.push(node);
                    if feasible.len() == scan.want {
                        break 'runs;
                    }
                }
            }
        }
        scan_length(feasible, scan.want, scan.start, cx.cluster().len())
    }

    /// The scan over a candidate list (a nodeSelector's posting list, a PreFilter's node
    /// names), from the first candidate at or after the rotating start. Returns the
    /// candidates processed.
    fn scan_list(
        &mut self,
        cx: &Ctx<'_>,
        scan: &Scan,
        list: &[NodeId],
        feasible: &mut Vec<NodeId>,
    ) -> usize {
        let first = list.partition_point(|&n| (n as usize) < scan.start);
        let mut processed = 0;
        for i in 0..list.len() {
            let node = list[(first + i) % list.len()];
            processed += 1;
            if self.feasible(cx, node, scan.shape, scan.ctx, None, None) {
                feasible.push(node);
                if feasible.len() == scan.want {
                    break;
                }
            }
        }
        processed
    }

    /// The node ranges a pod's walk over the domains of `topo` visits, in order: the
    /// topology's runs of consecutive nodes from the rotating start (the start's own run first
    /// from `start`, and last up to it), skipping whole domains the pod's terms exclude.
    /// Usually only clear domains qualify: that ordered set is walked lazily from the start's
    /// run; with extra runs (rare) they are merged in a list.
    fn domain_walk<'a>(
        &'a self,
        ctx: &'a PodCtx,
        topo: u16,
        start: usize,
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        let runs = &self.placement.topos[topo as usize].runs;
        let first = runs.partition_point(|r| (r.1 as usize) <= start);
        let first_u = first as u32;
        let candidates = self.placement.candidate_runs(ctx, topo);
        let list: Option<Vec<u32>> = match &candidates {
            None => Some((0..runs.len() as u32).collect()),
            Some(c) if !c.extra.is_empty() => {
                let mut v: Vec<u32> = c
                    .clear
                    .iter()
                    .copied()
                    .chain(c.extra.iter().copied())
                    .collect();
                v.sort_unstable();
                v.dedup();
                Some(v)
            }
            Some(_) => None,
        };
        let (order, first_is_candidate): (Box<dyn Iterator<Item = u32> + 'a>, bool) =
            match (list, candidates) {
                (Some(mut v), _) => {
                    let is = v.binary_search(&first_u).is_ok();
                    let split = v.partition_point(|&r| r < first_u);
                    let tail = v.split_off(split);
                    (Box::new(tail.into_iter().chain(v)), is)
                }
                (None, Some(c)) => (
                    Box::new(
                        c.clear
                            .range(first_u..)
                            .chain(c.clear.range(..first_u))
                            .copied(),
                    ),
                    c.clear.contains(&first_u),
                ),
                (None, None) => (Box::new(std::iter::empty()), false),
            };
        let wrap = first_is_candidate.then_some((first_u, true));
        let mut ranges = order
            .map(|r| (r, false))
            .chain(wrap)
            .filter_map(move |(r, tail)| {
                let (a, b, d) = runs[r as usize];
                let (lo, hi) = if r as usize != first {
                    (a as usize, b as usize)
                } else if tail {
                    (a as usize, start.min(b as usize))
                } else {
                    (start.max(a as usize), b as usize)
                };
                (lo < hi && !self.placement.domain_excluded(ctx, topo, d)).then_some((lo, hi))
            })
            .peekable();
        // Consecutive runs that follow each other in node order are one range: the walk
        // visits the same nodes in the same order, and the fast path counts a range at once.
        std::iter::from_fn(move || {
            let (lo, mut hi) = ranges.next()?;
            while let Some((_, h)) = ranges.next_if(|&(l, _)| l == hi) {
                hi = h;
            }
            Some((lo, hi))
        })
    }

    /// What InterPodAffinity's walks of the placed pods cost one cycle (`interpodaffinity/`).
    /// PreFilter: every pod walks the placed pods carrying required anti-affinity, matching
    /// their terms against it (`filtering.go` `getExistingAntiAffinityCounts`), and a pod with
    /// its own required terms matches each of them against every placed pod
    /// (`getIncomingAffinityAntiAffinityCounts`). PreScore, only when the cycle scores (two or
    /// more feasible nodes: `schedule_one.go` `schedulePod` takes a lone feasible node without
    /// scoring): every pod walks the placed pods carrying any inter-pod term
    /// (`NodeInfo.PodsWithAffinity`, their terms against it: `scoring.go` `PreScore`,
    /// `processExistingPod`), and a pod with preferred terms matches each against every placed
    /// pod (it walks them all). A placed pod's terms matched against the incoming pod cost
    /// `affinityPerExistingPodCost`; one of the incoming pod's terms matched against a placed
    /// pod costs `affinityPerPodTermCost`.
    fn affinity_walk_cost_ns(&self, cx: &Ctx<'_>, shape_id: usize, scored: bool) -> u64 {
        let sp = &cx.params().scheduler;
        let shape = cx.shape(shape_id as ShapeId);
        let placed = &self.placement;
        let own_terms = (shape.affinity.len() + shape.anti_affinity.len()) as u64;
        let mut existing = placed.placed_anti_pods;
        let mut term_matches = own_terms * placed.placed_pods;
        if scored {
            existing += placed.placed_affinity_pods;
            term_matches += shape.preferred.len() as u64 * placed.placed_pods;
        }
        sp.affinity_per_existing_pod_cost_ns * existing
            + sp.affinity_per_pod_term_cost_ns * term_matches
    }

    /// The InterPodAffinity context of a cycle, when anything affinity-related is in play:
    /// the scheduler's kept context, taken out and refilled (`decide` and the cycle's other
    /// steps borrow the scheduler), to be put back when the cycle ends. Left in place when
    /// nothing is: most cycles of a run without inter-pod terms.
    fn affinity_ctx(&mut self, cx: &Ctx<'_>, pod: PodId) -> Option<PodCtx> {
        let p = cx.pod(pod);
        let shape = cx.shape(p.shape);
        if shape.affinity.is_empty()
            && shape.anti_affinity.is_empty()
            && self.placement.placed_anti_pods == 0
        {
            return None;
        }
        let mut ctx = std::mem::take(&mut self.pod_ctx);
        let (affinity, anti) = (&shape.affinity, &shape.anti_affinity);
        self.placement.pod_ctx_into(p.job, affinity, anti, &mut ctx);
        Some(ctx)
    }

    /// Adds InterPodAffinity's reasons to a diagnosis, for nodes that passed every other filter.
    fn add_affinity_diagnosis(
        &self,
        cx: &Ctx<'_>,
        diag: &mut filter::Diagnosis,
        shape_id: usize,
        ctx: &PodCtx,
        subset: Option<&[NodeId]>,
    ) {
        let shape = cx.shape(shape_id as ShapeId);
        let all: Vec<NodeId>;
        let nodes = match subset {
            Some(s) => s,
            None => {
                all = (0..cx.cluster().len() as NodeId).collect();
                &all
            }
        };
        for &n in nodes {
            if filter::passes(cx.cluster(), n, shape, false) {
                if let Err(r) = self.placement.check(ctx, n) {
                    diag.add(r.reason().to_string(), 1);
                }
            }
        }
    }

    /// Scores feasible nodes (NodeResourcesFit) and picks the best, ties broken uniformly at
    /// random as kube-scheduler's reservoir sampling does.
    fn select_host(
        &mut self,
        cx: &Ctx<'_>,
        pod: PodId,
        shape_id: usize,
        feasible: &[NodeId],
    ) -> NodeId {
        let shape = cx.shape(shape_id as ShapeId);
        // The per-node lists reuse the scheduler's buffers: one cycle scores at a time.
        let mut lists = std::mem::take(&mut self.score_buffers);
        let mut score_ctx = std::mem::take(&mut self.score_ctx);
        let [raw_affinity, raw_taints, scores, raw_inter_pod] = &mut lists;
        let job = cx.pod(pod).job;
        let inter_pod = self.inter_pod_scores(job, shape, feasible, &mut score_ctx, raw_inter_pod);
        self.raw_soft_scores(cx, shape, feasible, raw_affinity, raw_taints);
        let strategy = cx.params().scheduler.scoring;
        scores.clear();
        let soft = SoftScores::new(raw_affinity, raw_taints);
        let (mut best, best_score, ties) =
            score_nodes(cx, shape, strategy, feasible, &soft, inter_pod, scores);
        if ties > 1 {
            // Uniform among the best, in feasible order: one draw gives the distribution of
            // upstream's reservoir sampling, and the same pick as the fast path (`fast.rs`).
            let r = below(&mut self.rng, ties);
            best = feasible
                .iter()
                .zip(scores.iter())
                .filter(|(_, &s)| s == best_score)
                .nth(r as usize)
                .map(|(&n, _)| n)
                .expect("r is below the number of ties");
        }
        self.score_buffers = lists;
        self.score_ctx = score_ctx;
        best
    }

    /// InterPodAffinity: raw scores from the index, normalized over the scored nodes, in
    /// `raw` (a kept buffer: a new list per scoring cycle was an allocation of each; `ctx`
    /// likewise); none when the pod's Job has no scoring terms or every node scores the same.
    fn inter_pod_scores<'a>(
        &self,
        own_job: JobId,
        shape: &PodShape,
        feasible: &[NodeId],
        ctx: &mut affinity::ScoreCtx,
        raw: &'a mut Vec<i64>,
    ) -> Option<&'a [i64]> {
        if !(self.placement).score_ctx_into(own_job, &shape.preferred, ctx) {
            return None;
        }
        raw.clear();
        raw.extend(feasible.iter().map(|&n| self.placement.score(ctx, n)));
        // Equal raw scores normalize to 0 everywhere: nothing to add.
        if raw.iter().all(|&s| s == raw[0]) {
            return None;
        }
        normalize_min_max(raw);
        Some(raw)
    }

    /// The raw scores of the plugins normalized over the feasible nodes, into `raw_affinity`
    /// (preferred node affinity, higher is better) and `raw_taints` (untolerated
    /// PreferNoSchedule taints, fewer is better). Without preferred terms every node scores
    /// 0: the first list stays empty, never read.
    fn raw_soft_scores(
        &self,
        cx: &Ctx<'_>,
        shape: &PodShape,
        feasible: &[NodeId],
        raw_affinity: &mut Vec<i64>,
        raw_taints: &mut Vec<i64>,
    ) {
        raw_affinity.clear();
        if !shape.preferred_node_affinity.is_empty() {
            let per_node = feasible
                .iter()
                .map(|&n| self.preferred_node_affinity(cx, n, shape));
            raw_affinity.extend(per_node);
        }
        raw_taints.clear();
        raw_taints.extend(
            feasible
                .iter()
                .map(|&n| self.untolerated_soft_taints(cx, n, shape)),
        );
    }

    /// NodeAffinity score: the weights of the preferred terms the node satisfies.
    fn preferred_node_affinity(&self, cx: &Ctx<'_>, node: NodeId, shape: &PodShape) -> i64 {
        shape
            .preferred_node_affinity
            .iter()
            .filter(|(_, reqs)| crate::sim::shape::term_matches(cx.cluster(), node, reqs))
            .map(|(w, _)| *w)
            .sum()
    }

    /// TaintToleration score input: PreferNoSchedule taints the pod does not tolerate.
    /// Inlined: asked of every scored node, most of which carry none (one flag read); the
    /// count is a call of its own.
    #[inline]
    pub(crate) fn untolerated_soft_taints(
        &self,
        cx: &Ctx<'_>,
        node: NodeId,
        shape: &PodShape,
    ) -> i64 {
        if !cx.cluster().soft_tainted(node) {
            return 0;
        }
        count_untolerated_soft_taints(cx, node, shape)
    }

    pub(crate) fn on_bind_done(&mut self, cx: &mut Ctx<'_>, pod: PodId, node: NodeId) {
        let p = cx.pod(pod);
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Pending {
            // Deleted while binding: the reservation is dropped when the pod goes.
            return;
        }
        self.state[pod as usize] = QueueState::None;
        cx.change_pod(pod, crate::sim::pod_change::PodChange::Bound { node });
    }
}

/// PreferNoSchedule taints of a soft-tainted node that the pod does not tolerate.
#[inline(never)]
fn count_untolerated_soft_taints(cx: &Ctx<'_>, node: NodeId, shape: &PodShape) -> i64 {
    cx.cluster()
        .node(node)
        .taints
        .iter()
        .filter(|t| t.effect == crate::cluster::TaintEffect::PreferNoSchedule)
        .filter(|t| {
            !shape
                .tolerations
                .iter()
                .any(|tol| filter::tolerates(tol, t))
        })
        .count() as i64
}

/// Nodes the real scan examines: from `start`, in node order, until it has `want` feasible
/// nodes (the position of the last one found), or every node when fewer exist.
fn scan_length(feasible: &[NodeId], want: usize, start: usize, n_all: usize) -> usize {
    if feasible.len() == want {
        let last = *feasible.last().expect("non-empty") as usize;
        wrap_index(last + n_all - start, n_all) + 1
    } else {
        n_all
    }
}

/// InterPodAffinity's `NormalizeScore`: 100 × (s − min) / (max − min), 0 everywhere when
/// max == min. Computed in f64 and truncated as upstream does, so boundary cases (e.g.
/// 100 × 0.29 = 28.999…) round the same way; IEEE arithmetic keeps it deterministic.
fn normalize_min_max(scores: &mut [i64]) {
    let min = scores.iter().copied().min().unwrap_or(0);
    let max = scores.iter().copied().max().unwrap_or(0);
    let diff = max - min;
    for s in scores.iter_mut() {
        *s = if diff > 0 {
            (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64
        } else {
            0
        };
    }
}

/// NodeResourcesFit score (0..100) over cpu and memory with equal weights, the pod included,
/// on non-zero requests as kube-scheduler scores them.
pub(crate) fn resource_score(
    alloc: &[i64],
    used: [i64; 2],
    shape: &PodShape,
    strategy: ScoringStrategy,
) -> i64 {
    let mut total = 0i64;
    let mut weight = 0i64;
    for (i, d) in [resources::CPU, resources::MEMORY].into_iter().enumerate() {
        let cap = alloc[d];
        if cap <= 0 {
            continue;
        }
        let requested = (used[i] + shape.score_request[i]).min(cap);
        let s = match strategy {
            ScoringStrategy::LeastAllocated => (cap - requested) * 100 / cap,
            ScoringStrategy::MostAllocated => requested * 100 / cap,
        };
        total += s;
        weight += 1;
    }
    if weight == 0 {
        0
    } else {
        total / weight
    }
}

/// The node the scheduler picked takes the pod: schedulable, and every taint it carries that
/// keeps pods off (a NotReady node's included) tolerated. Room is checked as it is reserved
/// (`Cluster::reserve`). Checked at the decision, in every build: cheap next to the filters
/// that found the node.
fn assert_may_hold(cluster: &crate::cluster::Cluster, node: NodeId, shape: &PodShape) {
    // The cluster's flags first: an untainted node's record is not read at all.
    let tolerated = || {
        cluster.untainted(node)
            || filter::first_untolerated(&cluster.node(node).taints, &shape.tolerations).is_none()
    };
    assert!(
        !cluster.cordoned(node) && tolerated(),
        "internal error: the scheduler chose node {}, which is cordoned or has a taint the pod does not tolerate",
        cluster.node(node).name
    );
}

/// The raw per-node scores of the plugins normalized by their maximum over the feasible
/// nodes (`Scheduler::raw_soft_scores`), with those maxima.
struct SoftScores<'a> {
    raw_affinity: &'a [i64],
    raw_taints: &'a [i64],
    max_affinity: i64,
    max_taints: i64,
}

impl<'a> SoftScores<'a> {
    fn new(raw_affinity: &'a [i64], raw_taints: &'a [i64]) -> Self {
        SoftScores {
            raw_affinity,
            raw_taints,
            max_affinity: raw_affinity.iter().copied().max().unwrap_or(0),
            max_taints: raw_taints.iter().copied().max().unwrap_or(0),
        }
    }

    /// Node `i`'s normalized NodeAffinity and TaintToleration scores.
    fn normalized(&self, i: usize) -> (i64, i64) {
        let affinity = if self.max_affinity > 0 {
            self.raw_affinity[i] * 100 / self.max_affinity
        } else {
            0
        };
        let taints = if self.max_taints > 0 {
            (self.max_taints - self.raw_taints[i]) * 100 / self.max_taints
        } else {
            100
        };
        (affinity, taints)
    }
}

/// Every feasible node's total score, in order, into `scores`; returns the first best node,
/// the best score and how many nodes tie at it.
fn score_nodes(
    cx: &Ctx<'_>,
    shape: &PodShape,
    strategy: ScoringStrategy,
    feasible: &[NodeId],
    soft: &SoftScores,
    inter_pod: Option<&[i64]>,
    scores: &mut Vec<i64>,
) -> (NodeId, i64, u64) {
    let mut best = feasible[0];
    let mut best_score = i64::MIN;
    let mut ties = 0u64;
    // Neighbouring nodes are mostly alike (one pool, nothing placed yet): the last
    // NodeResourcesFit score is reused while allocatable and usage are the same.
    let mut last_fit: Option<(i64, i64, [i64; 2], i64)> = None;
    for (i, &node) in feasible.iter().enumerate() {
        let alloc = cx.cluster().alloc(node);
        let (cpu, mem) = (alloc[resources::CPU], alloc[resources::MEMORY]);
        let used = cx.cluster().score_used(node);
        let fit = match last_fit {
            Some((c, m, u, fit)) if (c, m, u) == (cpu, mem, used) => fit,
            _ => {
                let fit = resource_score(alloc, used, shape, strategy);
                last_fit = Some((cpu, mem, used, fit));
                fit
            }
        };
        let (affinity, taints) = soft.normalized(i);
        let inter_pod = inter_pod.map_or(0, |s| s[i]);
        let score = WEIGHT_RESOURCES_FIT * fit
            + WEIGHT_NODE_AFFINITY * affinity
            + WEIGHT_TAINT_TOLERATION * taints
            + WEIGHT_INTER_POD_AFFINITY * inter_pod;
        scores.push(score);
        if score > best_score {
            best_score = score;
            best = node;
            ties = 1;
        } else if score == best_score {
            ties += 1;
        }
    }
    (best, best_score, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The adaptive percentage of kube-scheduler's schedule_one.go (calibration §1.2 table).
    #[test]
    fn feasible_nodes_to_find_follows_upstream_formula() {
        assert_eq!(num_feasible_nodes_to_find(50, 0), 50);
        assert_eq!(num_feasible_nodes_to_find(100, 0), 100);
        assert_eq!(num_feasible_nodes_to_find(1_000, 0), 420);
        assert_eq!(num_feasible_nodes_to_find(5_000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(15_000, 0), 750);
        assert_eq!(num_feasible_nodes_to_find(65_000, 0), 3_250);
        assert_eq!(num_feasible_nodes_to_find(5_000, 100), 5_000);
        assert_eq!(num_feasible_nodes_to_find(5_000, 1), 100);
    }

    /// InterPodAffinity NormalizeScore (scoring.go): min-max to 0..100, 0 when all equal,
    /// negative raw scores (anti-affinity) included, truncated from f64 like upstream.
    #[test]
    fn inter_pod_affinity_normalizes_like_upstream() {
        let normalized = |raw: &[i64]| {
            let mut v = raw.to_vec();
            normalize_min_max(&mut v);
            v
        };
        assert_eq!(normalized(&[-100, 0, 100]), vec![0, 50, 100]);
        assert_eq!(normalized(&[-3, -3]), vec![0, 0]);
        assert_eq!(normalized(&[7]), vec![0]);
        // 100 × (29 / 100) is 28.999… in f64: upstream's int64() gives 28, not 29.
        assert_eq!(normalized(&[0, 29, 100]), vec![0, 28, 100]);
    }

    /// The rotating start's wrap is `%`, within two cluster sizes and beyond.
    #[test]
    fn wrap_index_is_the_remainder() {
        for n in 1..40 {
            for x in 0..5 * n {
                assert_eq!(wrap_index(x, n), x % n, "{x} % {n}");
            }
        }
        assert_eq!(wrap_index(usize::MAX, 7), usize::MAX % 7);
    }
}

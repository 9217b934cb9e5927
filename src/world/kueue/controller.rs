//! The Kueue component: its JobSet webhook and job reconciler, the queue manager, the
//! admission loop and the Workload controller (kueue-semantics §3–§5), as one component that
//! owns every Workload and reaches JobSets only through API writes (`Ctx::kueue_patch_jobset`)
//! and its watch of JobSet status (`on_jobset_status`).
//!
//! Every hop is an API round trip on Kueue's own client (300 QPS, burst 500 by default):
//! JobSet create → Workload create, admission → status write → JobSet patch, eviction →
//! JobSet patch. The admission loop runs cycles back to back while one admits; after a
//! cycle that admits nothing it backs off 1, 2, 4, 8, then 10 ms (`pkg/util/wait`). A cycle
//! that admitted nothing would give the same answer until something changes, so the loop
//! sleeps until a change and runs at the back-off tick the real loop would have reached.

mod afs_handlers;
mod reclaim;
mod tas_handlers;

use super::assign::ScanProgress;
use super::cycle::{run_cycle_placing, Decision, Head, Verdict};
use super::model::{CqIx, Model};
use super::preempt::{Admitted, Target};
use super::queue::{CqQueue, RequeueReason, WlId};
use super::quota::NodeIx;
use super::topology::Placement;
use super::workload::{
    equivalence_hash, podsets_of, ChecksOutcome, EvictionRecord, WlState, Workload,
};
use crate::engine::time::{SimTime, NS_PER_MS, NS_PER_S};
use crate::engine::token_bucket::TokenBucket;
use crate::error::InputError;
use crate::kueue_api::{CheckOutcome, CheckScript, KueueSetup, WaitForPodsReady};
use crate::sim::ctx::Ctx;
use crate::sim::event::Event;
use crate::sim::objects::JsId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub(crate) const QUEUE_NAME_LABEL: &str = "kueue.x-k8s.io/queue-name";
pub(crate) const PRIORITY_CLASS_LABEL: &str = "kueue.x-k8s.io/priority-class";
/// `constants.MaxExecTimeSecondsLabel`: the Workload's `maximumExecutionTimeSeconds`.
pub(crate) const MAX_EXEC_TIME_LABEL: &str = "kueue.x-k8s.io/max-exec-time-seconds";
/// Kueue's API client (`clientConnection` defaults, apis/config/v1beta2/defaults.go).
const KUEUE_CLIENT_QPS: f64 = 300.0;
const KUEUE_CLIENT_BURST: u32 = 500;
/// `requeueBatchPeriod`: parked Workloads come back this long after a freeing event.
const REQUEUE_BATCH_NS: SimTime = NS_PER_S;
/// The admission loop's back-off after a cycle that admitted nothing: 1 ms doubling to 10.
const LOOP_INITIAL_BACKOFF_NS: SimTime = NS_PER_MS;
const LOOP_MAX_BACKOFF_NS: SimTime = 10 * NS_PER_MS;

/// The admission loop: when it last ran a cycle that admitted nothing, and how many in a row.
#[derive(Debug, Clone, Default)]
struct LoopState {
    /// A `KueueCycle` is scheduled.
    scheduled: bool,
    failed_cycles: u32,
    last_failed_ns: SimTime,
    /// After the last failed cycle some ClusterQueue still had an active head (StrictFIFO):
    /// the loop keeps ticking; otherwise it blocks until a push.
    heads_left: bool,
    /// `blockAdmission`: the loop waits in `WaitForPodsReady` (§3.7).
    blocked: bool,
}

/// One admission check a ClusterQueue lists: its script (None: Ready at once) and the flavors
/// it applies to (`onFlavors`; empty: all).
#[derive(Debug, Clone)]
struct QueueCheck {
    script: Option<usize>,
    on_flavors: Vec<usize>,
}

pub(crate) struct KueueController {
    /// The scenario has a `kueue:` section; without one the component does nothing.
    enabled: bool,
    model: Model,
    /// (namespace, name) → ClusterQueue name.
    local_queues: BTreeMap<(String, String), String>,
    priority_classes: BTreeMap<String, i32>,
    /// Kubernetes PriorityClasses by name: (value, globalDefault).
    pod_priority_classes: BTreeMap<String, (i32, bool)>,
    /// The scenario's namespaces with their labels (`kubernetes.io/metadata.name` included).
    namespace_labels: BTreeMap<String, crate::api::types::StringMap>,
    pods_ready: Option<WaitForPodsReady>,
    manage_without_queue_name: bool,
    /// The `ReclaimablePods` gate (`reclaim.rs`).
    reclaimable_pods: bool,
    queues: Vec<CqQueue>,
    /// Workloads holding each ClusterQueue's quota (admitted or evicting).
    holding: Vec<u32>,
    workloads: Vec<Workload>,
    by_jobset: BTreeMap<JsId, WlId>,
    client: TokenBucket,
    loop_state: LoopState,
    /// Roots of cohort trees (or lone ClusterQueues) with a requeue trigger queued.
    triggers_pending: BTreeSet<NodeIx>,
    pub(crate) cycles: u64,
    /// Topology-Aware Scheduling: each flavor's Topology levels (None: not a TAS flavor),
    /// the ungated pod specs it derived, and the ungate patches in flight.
    tas: tas_handlers::TasState,
    /// Per ClusterQueue, the admission checks it lists.
    queue_checks: Vec<Vec<QueueCheck>>,
    check_scripts: Vec<CheckScript>,
    /// `waitForPodsReady.blockAdmission`: entries the blocked loop admits, in order, once every
    /// Workload holding quota is PodsReady.
    blocked: VecDeque<(WlId, super::assign::Assignment)>,
    /// Admission fair sharing, when configured (`controller/afs_handlers.rs`).
    afs: Option<afs_handlers::AfsState>,
}

impl KueueController {
    /// The scenario's Kueue, or an inert component when it has no `kueue:` section.
    pub(crate) fn for_scenario(scenario: &crate::scenario::Scenario) -> Result<Self, String> {
        let Some(setup) = &scenario.kueue else {
            let mut inert = Self::new(
                &KueueSetup::default(),
                BTreeMap::new(),
                TokenBucket::new(1.0, 1),
            )?;
            inert.enabled = false;
            return Ok(inert);
        };
        let client = TokenBucket::new(KUEUE_CLIENT_QPS, KUEUE_CLIENT_BURST);
        Self::new(setup, scenario.namespaces.clone(), client)
    }

    /// The Kueue webhook's checks of each JobSet's topology annotations, located in the file
    /// the JobSet came from. None without a `kueue:` section (Kueue then sees no JobSet).
    pub(crate) fn check_jobsets(scenario: &crate::scenario::Scenario) -> Vec<InputError> {
        if scenario.kueue.is_none() {
            return vec![];
        }
        (scenario.workloads.iter())
            .filter_map(|w| {
                let (path, message) = check_max_exec_time(&w.jobset)
                    .and_then(|()| tas_handlers::check_topology_requests(&w.jobset))
                    .err()?;
                Some(InputError::new(&w.source, message).at_path(path))
            })
            .collect()
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn new(
        setup: &KueueSetup,
        namespace_labels: BTreeMap<String, crate::api::types::StringMap>,
        client: TokenBucket,
    ) -> Result<Self, String> {
        let model = super::compile::compile(setup)?;
        let tas = tas_handlers::TasState::new(setup)?;
        let queues = vec![CqQueue::default(); model.cluster_queues.len()];
        let check_scripts = setup.check_scripts.clone();
        let cq_names: Vec<String> = (model.cluster_queues.iter())
            .map(|c| c.name.clone())
            .collect();
        let afs = afs_handlers::AfsState::new(setup, &cq_names);
        let queue_checks = (setup.cluster_queues.iter())
            .map(|cq| {
                (cq.admission_checks.iter())
                    .map(|(name, on_flavors)| QueueCheck {
                        script: check_scripts.iter().position(|s| &s.check == name),
                        on_flavors: (on_flavors.iter())
                            .filter_map(|f| model.flavors.iter().position(|m| &m.name == f))
                            .collect(),
                    })
                    .collect()
            })
            .collect();
        Ok(KueueController {
            enabled: true,
            model,
            local_queues: (setup.local_queues.iter())
                .map(|l| {
                    (
                        (l.namespace.clone(), l.name.clone()),
                        l.cluster_queue.clone(),
                    )
                })
                .collect(),
            priority_classes: (setup.priority_classes.iter())
                .map(|p| (p.name.clone(), p.value))
                .collect(),
            pod_priority_classes: (setup.pod_priority_classes.iter())
                .map(|p| (p.name.clone(), (p.value, p.global_default)))
                .collect(),
            namespace_labels,
            pods_ready: setup.config.wait_for_pods_ready,
            manage_without_queue_name: setup.config.manage_jobs_without_queue_name,
            reclaimable_pods: setup.config.reclaimable_pods,
            holding: vec![0; queues.len()],
            queues,
            workloads: vec![],
            by_jobset: BTreeMap::new(),
            client,
            loop_state: LoopState::default(),
            triggers_pending: BTreeSet::new(),
            cycles: 0,
            tas,
            queue_checks,
            check_scripts,
            blocked: VecDeque::new(),
            afs,
        })
    }

    /// Every Workload is finished (true without Kueue).
    pub(crate) fn all_finished(&self) -> bool {
        self.workloads.iter().all(|w| w.state == WlState::Finished)
    }

    pub(crate) fn model(&self) -> &Model {
        &self.model
    }

    pub(crate) fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    pub(crate) fn pending_in(&self, cq: CqIx) -> usize {
        self.queues[cq].pending()
    }

    /// Kueue's JobSet webhook on create (§3.1): the default LocalQueue, then suspend a JobSet
    /// Kueue manages. Returns whether it does.
    pub(crate) fn default_jobset(&self, js: &mut crate::api::types::JobSet) -> bool {
        let ns = js
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let labels = &mut js.metadata.labels;
        if !labels.contains_key(QUEUE_NAME_LABEL)
            && self.local_queues.contains_key(&(ns, "default".into()))
        {
            labels.insert(QUEUE_NAME_LABEL.into(), "default".into());
        }
        if !labels.contains_key(PRIORITY_CLASS_LABEL)
            && self.priority_classes.contains_key("default")
        {
            labels.insert(PRIORITY_CLASS_LABEL.into(), "default".into());
        }
        let managed = labels.contains_key(QUEUE_NAME_LABEL) || self.manage_without_queue_name;
        if managed {
            js.spec.suspend = Some(true);
        }
        managed
    }

    /// When a call Kueue's client issues now lands.
    fn call_lands(&mut self, ctx: &Ctx) -> SimTime {
        self.client.reserve(ctx.now()) + ctx.params().api_call_latency_ns
    }

    /// Kueue's JobSet reconciler sees a new managed JobSet and creates its Workload.
    pub(crate) fn on_jobset_created(&mut self, ctx: &mut Ctx, js: JsId) {
        let seen = ctx.now() + ctx.params().watch_delay_ns;
        let lands = self.client.reserve(seen) + ctx.params().api_call_latency_ns;
        ctx.schedule_at(lands, Event::KueueWorkloadCreated(js));
    }

    /// `ExtractPriority` (kueue-semantics §1.6): the WorkloadPriorityClass label's value;
    /// else the `priorityClassName` of the first replicated job's pod template that sets one,
    /// as its PriorityClass's value; else the global-default PriorityClass (the lowest if
    /// several); else 0.
    fn priority_of(&self, js: &crate::api::types::JobSet) -> i32 {
        let labels = &js.metadata.labels;
        if let Some(class) = labels.get(PRIORITY_CLASS_LABEL) {
            return self.priority_classes.get(class).copied().unwrap_or(0);
        }
        let pod_class = (js.spec.replicated_jobs.iter())
            .find_map(|rj| {
                rj.template
                    .spec
                    .template
                    .spec
                    .priority_class_name
                    .as_deref()
            })
            .filter(|name| !name.is_empty());
        if let Some(name) = pod_class {
            return self.pod_priority_classes.get(name).map_or(0, |pc| pc.0);
        }
        (self.pod_priority_classes.values())
            .filter(|pc| pc.1)
            .map(|pc| pc.0)
            .min()
            .unwrap_or(0)
    }

    /// The Workload create landed: it is pending in its ClusterQueue's queue.
    pub(crate) fn on_workload_created(&mut self, ctx: &mut Ctx, js: JsId) {
        let wl = self.new_workload(ctx, js);
        let cq = wl.cq;
        let id = self.workloads.len() as WlId;
        self.workloads.push(wl);
        self.by_jobset.insert(js, id);
        self.afs_on_created(ctx, id);
        match cq {
            Some(cq) => {
                if self.model.cluster_queues[cq].inactive.is_some() {
                    // The Workload controller's `Inadmissible` while the queue is inactive.
                    let name = &self.model.cluster_queues[cq].name;
                    let msg = format!("ClusterQueue {name} is inactive");
                    self.workloads[id as usize].pending_reason = ("Inadmissible", msg);
                }
                self.push(ctx, id)
            }
            None => {
                let w = &mut self.workloads[id as usize];
                w.pending_reason = (
                    "Misconfigured",
                    format!(
                        "LocalQueue {} doesn't exist or its ClusterQueue is missing",
                        w.queue_name
                    ),
                );
            }
        }
    }

    /// JobSet `js`'s Workload as created: pending, in the ClusterQueue its LocalQueue names
    /// (if any), with its PodSets, priority and topology requests.
    fn new_workload(&mut self, ctx: &Ctx, js: JsId) -> Workload {
        let obj = ctx.jobset(js);
        let labels = &obj.spec.metadata.labels;
        let queue_name = labels.get(QUEUE_NAME_LABEL).cloned().unwrap_or_default();
        let priority = self.priority_of(&obj.spec);
        let namespace = obj.namespace.clone();
        let cq = (self
            .local_queues
            .get(&(namespace.clone(), queue_name.clone())))
        .and_then(|name| {
            self.model
                .cluster_queues
                .iter()
                .position(|c| &c.name == name)
        });
        let podsets = podsets_of(&obj.spec, &mut self.model);
        let topology_requests = tas_handlers::topology_requests(&obj.spec);
        let now = ctx.now();
        Workload {
            js,
            namespace,
            queue_name,
            uid: obj.uid.clone(),
            cq,
            priority,
            hash: equivalence_hash(priority, &podsets),
            reclaimable: vec![0; podsets.len()],
            podsets,
            state: WlState::Pending,
            created_ns: now,
            order_ns: now,
            progress: None,
            admission: None,
            pending_reason: ("Pending", String::new()),
            admitted_ns: None,
            first_admitted_ns: None,
            first_reserved_ns: None,
            reservations: 0,
            checks_outcome: None,
            check_requeue_at_ns: None,
            started: false,
            pods_ready_ns: None,
            first_pods_ready_ns: None,
            unready_since_ns: None,
            finished_ns: None,
            requeue_count: 0,
            evictions: vec![],
            timer_generation: 0,
            deactivated: false,
            max_exec_s: (labels.get(MAX_EXEC_TIME_LABEL))
                .and_then(|v| v.parse::<i32>().ok())
                .filter(|&v| v > 0)
                .map(|v| v as u64),
            past_exec_s: 0,
            exec_since_ns: None,
            exec_generation: 0,
            topology_requests,
            placements: vec![],
        }
    }

    /// A pending Workload enters its queue; the loop wakes.
    fn push(&mut self, ctx: &mut Ctx, wl: WlId) {
        let w = &self.workloads[wl as usize];
        let cq = w.cq.expect("queued Workloads have a ClusterQueue");
        let strategy = self.model.cluster_queues[cq].strategy;
        self.queues[cq].push(w.key(wl), w.hash, strategy);
        self.observe_cq(ctx, cq);
        self.wake(ctx);
    }

    /// The metrics sample ClusterQueue `cq` after a change (`metrics/kueue.rs`).
    fn observe_cq(&self, ctx: &mut Ctx, cq: CqIx) {
        let node = self.model.cluster_queues[cq].node;
        let tree = &self.model.tree;
        let frs = self.model.frs_of(cq);
        let usage: Vec<i64> = frs.iter().map(|&(fr, _)| tree.usage(node, fr)).collect();
        let borrowed = (frs.iter().zip(&usage))
            .map(|(&(fr, _), &u)| (u - tree.quota(node, fr).nominal).max(0))
            .collect();
        let sample = crate::metrics::kueue::CqSample {
            at_ns: ctx.now(),
            pending: self.queues[cq].pending() as u32,
            admitted: self.holding[cq],
            usage,
            borrowed,
        };
        ctx.metrics().kueue.observe(cq, sample);
    }

    /// Something changed that a cycle could act on: schedule the next cycle where the real
    /// loop would run it.
    fn wake(&mut self, ctx: &mut Ctx) {
        if self.loop_state.scheduled
            || self.loop_state.blocked
            || !self.queues.iter().any(|q| q.has_active())
        {
            return;
        }
        let now = ctx.now();
        let at = self.next_cycle_at(now);
        self.loop_state.scheduled = true;
        ctx.schedule_at(at, Event::KueueCycle);
    }

    /// The first moment at or after `now` the loop takes heads again: at once when it is not
    /// backing off, else at its next back-off tick (or as soon as the back-off ends and it
    /// blocks waiting for a head).
    fn next_cycle_at(&self, now: SimTime) -> SimTime {
        let s = &self.loop_state;
        if s.failed_cycles == 0 {
            return now;
        }
        let mut tick = s.last_failed_ns;
        let mut failures = s.failed_cycles;
        loop {
            tick += loop_backoff_ns(failures);
            if tick >= now || !s.heads_left {
                return tick.max(now);
            }
            if loop_backoff_ns(failures) == LOOP_MAX_BACKOFF_NS {
                let steps = (now - tick).div_ceil(LOOP_MAX_BACKOFF_NS);
                return tick + steps * LOOP_MAX_BACKOFF_NS;
            }
            failures += 1;
        }
    }

    /// One admission cycle (§5.2): a head per active ClusterQueue, then their decisions.
    pub(crate) fn on_cycle(&mut self, ctx: &mut Ctx) {
        self.loop_state.scheduled = false;
        if self.loop_state.blocked {
            return;
        }
        self.cycles += 1;
        let heads_taken = self.take_heads();
        if heads_taken.is_empty() {
            return;
        }
        let (decisions, mut placed) = self.decide(ctx, &heads_taken);
        let mut admitted = 0;
        for d in decisions {
            admitted += self.apply_decision(ctx, d, &mut placed);
        }
        if admitted > 0 {
            self.loop_state.failed_cycles = 0;
        } else {
            self.loop_state.failed_cycles += 1;
            self.loop_state.last_failed_ns = ctx.now();
        }
        for &(cq, _) in &heads_taken {
            self.observe_cq(ctx, cq);
        }
        self.loop_state.heads_left = self.queues.iter().any(|q| q.has_active());
        if admitted > 0 || self.has_new_head(&heads_taken) {
            self.wake(ctx);
        }
    }

    /// Pops the head of each active ClusterQueue, in ClusterQueue order.
    fn take_heads(&mut self) -> Vec<(CqIx, WlId)> {
        let scores = self.afs_wl_scores();
        let score = |wl: WlId| scores[wl as usize];
        let mut heads_taken: Vec<(CqIx, WlId)> = vec![];
        for cq in 0..self.queues.len() {
            if self.model.cluster_queues[cq].inactive.is_some() {
                continue;
            }
            let by_score = self
                .afs_orders(cq)
                .then_some(&score as &dyn Fn(WlId) -> f64);
            let head = self.queues[cq].pop_head_by(by_score);
            heads_taken.extend(head.map(|k| (cq, k.wl)));
        }
        heads_taken
    }

    /// The cycle's decisions on the heads taken, with the TAS placements of those admitted.
    fn decide(
        &mut self,
        ctx: &Ctx,
        heads_taken: &[(CqIx, WlId)],
    ) -> (Vec<Decision>, BTreeMap<WlId, Vec<Option<Placement>>>) {
        let namespace_ok: Vec<bool> = (heads_taken.iter())
            .map(|&(cq, wl)| self.namespace_matches(cq, &self.workloads[wl as usize].namespace))
            .collect();
        let workloads = &self.workloads;
        let heads: Vec<Head> = (heads_taken.iter().zip(namespace_ok))
            .map(|(&(cq, wl), namespace_matches)| {
                let w = &workloads[wl as usize];
                Head {
                    wl,
                    cq,
                    priority: w.priority,
                    timestamp_ns: w.order_ns,
                    podsets: &w.podsets,
                    progress: w.progress.as_ref(),
                    namespace_matches,
                }
            })
            .collect();
        let admitted = self.admitted_workloads();
        let mut placer = self.tas.placer(ctx, workloads);
        let decisions = run_cycle_placing(&mut self.model, &heads, &admitted, &mut placer);
        (decisions, placer.into_placements())
    }

    /// Carries out one head's decision; returns 1 when it admitted or issued a new
    /// preemption (the loop keeps going), else 0.
    fn apply_decision(
        &mut self,
        ctx: &mut Ctx,
        d: Decision,
        placed: &mut BTreeMap<WlId, Vec<Option<Placement>>>,
    ) -> u32 {
        match d.verdict {
            Verdict::Preempting { targets } => {
                // Re-issuing preemptions already in flight changes nothing: only new
                // ones make the loop keep going.
                let issued = self.issue_preemptions(ctx, &targets);
                let progress = d.assignment.map(|a| a.progress);
                let pending = (
                    "WaitingForQuota",
                    format!("Pending the preemption of {} workload(s)", targets.len()),
                );
                self.requeue(d.wl, RequeueReason::PendingPreemption, pending, progress);
                issued
            }
            Verdict::Admitted => {
                let a = d.assignment.expect("admitted with an assignment");
                let placements = placed.remove(&d.wl).unwrap_or_default();
                self.workloads[d.wl as usize].placements = placements;
                if self.blocks_admission() {
                    // §3.7: `QuotaReserved=False/WaitingForPodsReady`; the loop waits.
                    self.workloads[d.wl as usize].pending_reason = (
                        "WaitingForPodsReady",
                        "waiting for all admitted workloads to be in PodsReady condition".into(),
                    );
                    self.loop_state.blocked = true;
                    self.blocked.push_back((d.wl, a));
                } else {
                    self.admit(ctx, d.wl, a);
                }
                1
            }
            Verdict::Requeue {
                reason,
                condition_reason,
                message,
            } => {
                let progress = d.assignment.map(|a| a.progress);
                self.requeue(d.wl, reason, (condition_reason, message), progress);
                0
            }
        }
    }

    /// Some queue's next head is not the one just evaluated: it was parked, or admitted, so
    /// the next cycle has something new. A head requeued at once against unchanged quota
    /// would get the same answer, so only a change wakes the loop for it.
    fn has_new_head(&self, heads_taken: &[(CqIx, WlId)]) -> bool {
        let scores = self.afs_wl_scores();
        let score = |wl: WlId| scores[wl as usize];
        heads_taken.iter().any(|&(cq, wl)| {
            let by_score = self
                .afs_orders(cq)
                .then_some(&score as &dyn Fn(WlId) -> f64);
            let next = self.queues[cq].peek_head_by(by_score);
            next.is_some_and(|next| next != wl)
        })
    }

    /// The Workloads holding quota, as preemption sees them.
    fn admitted_workloads(&self) -> Vec<Admitted> {
        let lq_scores = self.afs_lq_scores();
        (self.workloads.iter().enumerate())
            .filter(|(_, w)| {
                matches!(
                    w.state,
                    WlState::Reserved | WlState::Admitted | WlState::Evicting
                )
            })
            .map(|(i, w)| Admitted {
                wl: i as WlId,
                cq: w.cq.expect("admitted in a ClusterQueue"),
                priority: w.priority,
                timestamp_ns: w.order_ns,
                reserved_ns: w.admitted_ns.expect("admitted"),
                uid: w.uid.clone(),
                usage: w.admission.as_ref().expect("admitted").usage.clone(),
                evicted: w.state == WlState::Evicting,
                lq_usage: self.afs_score(&lq_scores, i as WlId),
            })
            .collect()
    }

    /// §6.6: each target not already evicted is evicted as `Preempted`; how many were.
    fn issue_preemptions(&mut self, ctx: &mut Ctx, targets: &[Target]) -> u32 {
        let mut issued = 0;
        for t in targets {
            if matches!(
                self.workloads[t.wl as usize].state,
                WlState::Admitted | WlState::Reserved
            ) {
                self.evict(ctx, t.wl, "Preempted", Some(t.variant.reason()));
                issued += 1;
            }
        }
        issued
    }

    fn namespace_matches(&self, cq: CqIx, namespace: &str) -> bool {
        match &self.model.cluster_queues[cq].namespace_selector {
            None => false,
            Some(sel) => {
                let own = BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_string(),
                    namespace.to_string(),
                )]);
                let labels = self.namespace_labels.get(namespace).unwrap_or(&own);
                crate::scheduler::affinity::Selector::compile(Some(sel)).matches(labels)
            }
        }
    }

    fn requeue(
        &mut self,
        wl: WlId,
        reason: RequeueReason,
        pending: (&'static str, String),
        progress: Option<ScanProgress>,
    ) {
        let w = &mut self.workloads[wl as usize];
        let scan_left = progress
            .as_ref()
            .is_some_and(|p| p.iter().flatten().any(|i| i.is_some()));
        w.progress = progress;
        w.pending_reason = pending;
        let cq = w.cq.expect("a head has a ClusterQueue");
        let key = w.key(wl);
        let hash = w.hash;
        let strategy = self.model.cluster_queues[cq].strategy;
        let workloads = &self.workloads;
        self.queues[cq].requeue(key, reason, strategy, scan_left, hash, |other| {
            workloads[other as usize].hash
        });
    }

    /// `blockAdmission` (§3.7): an entry may be admitted only when every Workload holding
    /// quota is PodsReady (and none waits before it).
    fn blocks_admission(&self) -> bool {
        self.pods_ready.is_some_and(|p| p.block_admission)
            && (!self.blocked.is_empty() || !self.all_pods_ready())
    }

    /// `podsReadyForAllAdmittedWorkloads`: no Workload in the cache (quota reserved) lacks
    /// `PodsReady=True`.
    fn all_pods_ready(&self) -> bool {
        self.workloads.iter().all(|w| match w.state {
            WlState::Reserved | WlState::Evicting => false,
            WlState::Admitted => w.pods_ready_ns.is_some(),
            _ => true,
        })
    }

    /// The blocked loop wakes on a PodsReady change (or a Workload leaving the cache): the
    /// entries it held are admitted in order while every Workload is ready.
    fn unblock(&mut self, ctx: &mut Ctx) {
        if !self.loop_state.blocked {
            return;
        }
        while !self.blocked.is_empty() && self.all_pods_ready() {
            let (wl, a) = self.blocked.pop_front().expect("non-empty");
            self.admit(ctx, wl, a);
        }
        if self.blocked.is_empty() {
            self.loop_state.blocked = false;
            self.loop_state.failed_cycles = 0;
            self.wake(ctx);
        }
    }

    /// The admission checks of `cq` that apply to assignment `a` (`onFlavors`), each with its
    /// script's answer to this reservation; checks without a script are Ready at once and
    /// left out. None when the queue lists no check.
    fn checks_for(
        &self,
        cq: CqIx,
        a: &super::assign::Assignment,
        attempt: u32,
    ) -> Option<Vec<(String, crate::kueue_api::CheckAttempt)>> {
        let checks = &self.queue_checks[cq];
        if checks.is_empty() {
            return None;
        }
        let used: BTreeSet<usize> = a.flavors.iter().flatten().map(|&(_, f)| f).collect();
        Some(
            (checks.iter())
                .filter(|c| {
                    c.on_flavors.is_empty() || c.on_flavors.iter().any(|f| used.contains(f))
                })
                .filter_map(|c| c.script)
                .map(|i| {
                    let s = &self.check_scripts[i];
                    (s.check.clone(), s.attempt(attempt))
                })
                .collect(),
        )
    }

    /// §5.9 and §3.3: quota reserved; without admission checks to wait for, admitted in the
    /// same status write, and Kueue's job reconciler then patches the JobSet (flavors'
    /// selectors and tolerations, unsuspended). With scripted checks the Workload waits
    /// `Reserved` until their answer.
    fn admit(&mut self, ctx: &mut Ctx, wl: WlId, a: super::assign::Assignment) {
        let now = ctx.now();
        let cq = self.workloads[wl as usize]
            .cq
            .expect("admitted in a ClusterQueue");
        let attempt = self.workloads[wl as usize].reservations;
        let checks = self.checks_for(cq, &a, attempt);
        let w = &mut self.workloads[wl as usize];
        w.reservations += 1;
        if checks.is_some() {
            w.first_reserved_ns.get_or_insert(now);
        }
        let waits = checks.filter(|c| !c.is_empty());
        let Some(checks) = waits else {
            self.admit_now(ctx, wl, a, now);
            return;
        };
        // The QuotaReserved status write; the checks' controllers answer after their delays.
        let _ = self.call_lands(ctx);
        let (at, outcome) = decide(&checks);
        let w = &mut self.workloads[wl as usize];
        self.holding[cq] += 1;
        w.state = WlState::Reserved;
        w.admission = Some(a);
        w.progress = None;
        w.admitted_ns = Some(now);
        w.pods_ready_ns = None;
        w.unready_since_ns = None;
        w.started = false;
        w.checks_outcome = Some(outcome);
        w.timer_generation += 1;
        let generation = w.timer_generation;
        ctx.schedule_at(now + at, Event::KueueChecksAnswered { wl, generation });
        self.afs_on_reserved(ctx, wl);
    }

    /// Quota reserved and admitted in one write (`reserved_ns`: when the quota was reserved).
    fn admit_now(
        &mut self,
        ctx: &mut Ctx,
        wl: WlId,
        a: super::assign::Assignment,
        reserved_ns: SimTime,
    ) {
        let now = ctx.now();
        let status_lands = self.call_lands(ctx);
        let seen = status_lands + ctx.params().watch_delay_ns;
        let patch_lands = self.client.reserve(seen) + ctx.params().api_call_latency_ns;
        let w = &mut self.workloads[wl as usize];
        let newly_reserved = w.state != WlState::Reserved;
        if newly_reserved {
            self.holding[w.cq.expect("admitted in a ClusterQueue")] += 1;
        }
        w.state = WlState::Admitted;
        w.admission = Some(a);
        w.progress = None;
        w.admitted_ns = Some(reserved_ns);
        w.first_admitted_ns.get_or_insert(now);
        w.pods_ready_ns = None;
        w.unready_since_ns = None;
        w.checks_outcome = None;
        w.timer_generation += 1;
        if let Some(max_s) = w.max_exec_s {
            // reconcileMaxExecutionTime: what is left of the budget from the Admitted=True
            // transition.
            w.exec_since_ns = Some(now);
            w.exec_generation += 1;
            let left_ns = max_s.saturating_sub(w.past_exec_s) * NS_PER_S;
            let generation = w.exec_generation;
            ctx.schedule_at(now + left_ns, Event::KueueMaxExecTime { wl, generation });
        }
        ctx.schedule_at(patch_lands, Event::KueueStartJobSet(wl));
        if newly_reserved {
            // One reservation, one penalty (`shouldApplyEntryPenalty`).
            self.afs_on_reserved(ctx, wl);
        }
        self.afs_on_admitted(ctx, wl);
        let w = &self.workloads[wl as usize];
        if let Some(p) = self.pods_ready {
            let generation = w.timer_generation;
            ctx.schedule_at(
                now + p.timeout_ns,
                Event::KueuePodsReadyTimeout { wl, generation },
            );
        }
    }

    /// The scripted admission checks of a `Reserved` Workload have answered (as Kueue's
    /// Workload controller sees it): every one Ready ⇒ `Admitted=True`; a `Retry` ⇒ evicted
    /// `AdmissionCheck` ("At least one admission check is false"), queued again from the
    /// eviction time after `requeueAfterSeconds`; a `Rejected` ⇒ deactivated (evicted
    /// `Deactivated`, never queued again) — `reconcileCheckBasedEviction`.
    pub(crate) fn on_checks_answered(&mut self, ctx: &mut Ctx, wl: WlId, generation: u32) {
        let now = ctx.now();
        let w = &mut self.workloads[wl as usize];
        if w.state != WlState::Reserved || w.timer_generation != generation {
            return;
        }
        match w
            .checks_outcome
            .take()
            .expect("a Reserved Workload waits for an answer")
        {
            ChecksOutcome::Ready => {
                let a = w.admission.take().expect("quota reserved");
                let reserved = w.admitted_ns.expect("quota reserved");
                self.admit_now(ctx, wl, a, reserved);
            }
            ChecksOutcome::Retry { requeue_after_s } => {
                w.order_ns = now;
                w.check_requeue_at_ns = requeue_after_s.map(|s| now + s * NS_PER_S);
                self.evict(ctx, wl, "AdmissionCheck", None);
            }
            ChecksOutcome::Rejected { check } => {
                let why = format!("Admission check(s): {check}, were rejected");
                self.deactivate(ctx, wl, "DeactivatedDueToAdmissionCheck", &why);
            }
        }
    }

    /// The admitted Workload's JobSet patch lands: each replicated job's pod template gets
    /// its flavors' node labels and tolerations, and the JobSet is resumed.
    pub(crate) fn on_start_jobset(&mut self, ctx: &mut Ctx, wl: WlId) {
        if self.workloads[wl as usize].state != WlState::Admitted {
            return;
        }
        self.workloads[wl as usize].started = true;
        let w = &self.workloads[wl as usize];
        let a = w.admission.as_ref().expect("admitted");
        let templates = (w.podsets.iter().zip(&a.flavors).enumerate())
            .map(|(i, (ps, flavors))| {
                let mut selector = ps.node_selector.clone();
                let mut tolerations = ps.tolerations.clone();
                let mut seen = BTreeSet::new();
                for &(_, f) in flavors {
                    if !seen.insert(f) {
                        continue;
                    }
                    let flavor = &self.model.flavors[f];
                    selector.extend(flavor.node_labels.clone());
                    for t in &flavor.tolerations {
                        if !tolerations.contains(t) {
                            tolerations.push(t.clone());
                        }
                    }
                }
                let gated = w.placements.get(i).is_some_and(Option::is_some);
                (selector, tolerations, gated)
            })
            .collect();
        ctx.kueue_patch_jobset(w.js, templates, false);
    }

    /// Kueue's watch of JobSet status: completion finishes the Workload, readiness feeds
    /// PodsReady, and an evicted JobSet with no active Job gives its quota back.
    pub(crate) fn on_jobset_status(&mut self, ctx: &mut Ctx, js: JsId) {
        let Some(&wl) = self.by_jobset.get(&js) else {
            return;
        };
        let obj = ctx.jobset(js);
        let finished = ["Completed", "Failed"]
            .iter()
            .any(|c| obj.status.condition(c).is_some_and(|c| c.status));
        let rjs = &obj.status.replicated_jobs;
        let any_active = rjs.iter().any(|r| r.active > 0);
        let ready = rjs.iter().map(|r| r.ready + r.succeeded).sum::<i32>()
            == obj.spec.spec.total_replicas();
        let now = ctx.now();
        if !finished {
            self.sync_reclaimable(ctx, wl);
        }
        match self.workloads[wl as usize].state {
            WlState::Admitted if finished => self.finish(ctx, wl),
            WlState::Admitted => self.observe_readiness(ctx, wl, ready, now),
            WlState::Evicting if !any_active || finished => self.release(ctx, wl),
            WlState::Pending if finished => self.finish(ctx, wl),
            _ => {}
        }
        self.unblock(ctx);
    }

    fn observe_readiness(&mut self, ctx: &mut Ctx, wl: WlId, ready: bool, now: SimTime) {
        let w = &mut self.workloads[wl as usize];
        match (ready, w.pods_ready_ns.is_some()) {
            (true, false) => {
                w.pods_ready_ns = Some(now);
                w.first_pods_ready_ns.get_or_insert(now);
                w.unready_since_ns = None;
                w.timer_generation += 1;
            }
            (false, true) => {
                w.pods_ready_ns = None;
                w.unready_since_ns = Some(now);
                w.timer_generation += 1;
                let recovery = self.pods_ready.and_then(|p| p.recovery_timeout_ns);
                if let Some(t) = recovery.filter(|&t| t > 0) {
                    let generation = w.timer_generation;
                    ctx.schedule_at(now + t, Event::KueuePodsReadyTimeout { wl, generation });
                }
            }
            _ => {}
        }
    }

    /// §3.7: an admitted Workload not ready in time is evicted (or deactivated once past
    /// its back-off limit).
    pub(crate) fn on_pods_ready_timeout(&mut self, ctx: &mut Ctx, wl: WlId, generation: u32) {
        let p = self.pods_ready.expect("timers only with waitForPodsReady");
        let w = &mut self.workloads[wl as usize];
        if w.state != WlState::Admitted
            || w.timer_generation != generation
            || w.pods_ready_ns.is_some()
        {
            return;
        }
        let now = ctx.now();
        if (p.backoff_limit_count).is_some_and(|limit| w.requeue_count + 1 > limit) {
            // triggerDeactivationOrBackoffRequeue: a deactivation target instead of a requeue.
            let why = "exceeding the maximum number of re-queuing retries";
            self.deactivate(ctx, wl, "DeactivatedDueToRequeuingLimitExceeded", why);
            return;
        }
        w.requeue_count += 1;
        if p.requeuing_timestamp_eviction {
            w.order_ns = now;
        }
        self.evict(ctx, wl, "PodsReadyTimeout", None);
    }

    /// The admitted Workload's maximum execution time is spent (`reconcileMaxExecutionTime`):
    /// it is deactivated.
    pub(crate) fn on_max_exec_time(&mut self, ctx: &mut Ctx, wl: WlId, generation: u32) {
        let w = &mut self.workloads[wl as usize];
        if w.state != WlState::Admitted || w.exec_generation != generation {
            return;
        }
        w.past_exec_s = 0;
        w.exec_since_ns = None;
        let why = "exceeding the maximum execution time";
        self.deactivate(ctx, wl, "DeactivatedDueToMaximumExecutionTimeExceeded", why);
    }

    /// A deactivation target (`spec.active=false`) and its eviction, `Deactivated` with its
    /// cause (`ReasonWithCause`): the Workload leaves the queues for good once its quota is
    /// released.
    fn deactivate(&mut self, ctx: &mut Ctx, wl: WlId, reason: &'static str, why: &str) {
        if self.workloads[wl as usize].admission.is_none() {
            // Inactive and unreserved: the penalty goes now; a reservation still held drops
            // it when freed (`free_quota`).
            self.afs_drop_penalty(ctx, wl);
        }
        let w = &mut self.workloads[wl as usize];
        w.deactivated = true;
        w.pending_reason = (
            "Deactivated",
            format!("The workload is deactivated due to {why}"),
        );
        self.evict(ctx, wl, reason, None);
    }

    /// An eviction (§3.6 step 1): `Evicted=True` written on the Workload; Kueue's job
    /// reconciler sees it and stops the JobSet. The quota stays held until the JobSet has no
    /// active Job.
    fn evict(
        &mut self,
        ctx: &mut Ctx,
        wl: WlId,
        reason: &'static str,
        preempted_reason: Option<&'static str>,
    ) {
        let now = ctx.now();
        let status_lands = self.call_lands(ctx);
        let seen = status_lands + ctx.params().watch_delay_ns;
        let patch_lands = self.client.reserve(seen) + ctx.params().api_call_latency_ns;
        let w = &mut self.workloads[wl as usize];
        let frs = (w.admission.iter())
            .flat_map(|a| a.usage.iter().map(|&(fr, _)| fr))
            .collect();
        w.evictions.push(EvictionRecord {
            at_ns: now,
            reason,
            preempted_reason,
            frs,
        });
        if let Some(since) = w.exec_since_ns.take() {
            // SyncAdmittedCondition: Admitted=False adds the whole seconds admitted.
            w.past_exec_s += (now - since) / NS_PER_S;
            w.exec_generation += 1;
        }
        w.state = WlState::Evicting;
        w.timer_generation += 1;
        ctx.schedule_at(patch_lands, Event::KueueStopJobSet(wl));
    }

    /// The eviction's JobSet patch lands (§3.6 step 1): suspended, with the pod templates the
    /// Workload recorded (what admission injected removed).
    pub(crate) fn on_stop_jobset(&mut self, ctx: &mut Ctx, wl: WlId) {
        let w = &self.workloads[wl as usize];
        if w.state != WlState::Evicting {
            return;
        }
        if !w.started {
            // Evicted before its JobSet was resumed (admission checks pending): the JobSet is
            // suspended and has no active Job, so the reservation is cleared at once.
            self.release(ctx, wl);
            self.unblock(ctx);
            return;
        }
        let original = (w.podsets.iter())
            .map(|ps| (ps.node_selector.clone(), ps.tolerations.clone(), false))
            .collect();
        ctx.kueue_patch_jobset(w.js, original, true);
    }

    /// §3.6 steps 2–3: the evicted JobSet has no active Job: the reservation is cleared, the
    /// cohort tree gets a requeue trigger, and the Workload queues again (after its back-off).
    fn release(&mut self, ctx: &mut Ctx, wl: WlId) {
        self.free_quota(ctx, wl);
        let now = ctx.now();
        let p = self.pods_ready;
        let w = &mut self.workloads[wl as usize];
        if w.deactivated {
            w.state = WlState::Finished;
            w.finished_ns = Some(now);
            return;
        }
        let last = w.evictions.last().expect("released after an eviction");
        let (reason, evicted_at) = (last.reason, last.at_ns);
        if reason == "AdmissionCheck" {
            // Requeued after the check's `requeueAfterSeconds` from the eviction (at once
            // when unset), behind Workloads created before the eviction (§4.2 b).
            w.pending_reason = (
                "PendingEvaluation",
                "At least one admission check is false".into(),
            );
            match w.check_requeue_at_ns.take().filter(|&t| t > now) {
                Some(at) => {
                    w.state = WlState::BackingOff;
                    ctx.schedule_at(at, Event::KueueBackoffDone(wl));
                }
                None => {
                    w.state = WlState::Pending;
                    self.push(ctx, wl);
                }
            }
            return;
        }
        if reason == "Preempted" || reason == "NodeFailures" {
            // Requeued=True at once, in its old place (the creation timestamp).
            w.pending_reason = ("PendingEvaluation", reason.into());
            w.state = WlState::Pending;
            self.push(ctx, wl);
            return;
        }
        let backoff_s = p.map_or(0, |p| {
            let exp = p
                .backoff_base_s
                .saturating_mul(1 << (w.requeue_count.saturating_sub(1)).min(40));
            exp.min(p.backoff_max_s)
        });
        let requeue_at = evicted_at + backoff_s * NS_PER_S;
        w.pending_reason = ("PendingEvaluation", "Exceeded the PodsReady timeout".into());
        if requeue_at > now {
            w.state = WlState::BackingOff;
            ctx.schedule_at(requeue_at, Event::KueueBackoffDone(wl));
        } else {
            w.state = WlState::Pending;
            self.push(ctx, wl);
        }
    }

    /// The back-off after an eviction ended (`Requeued=True`, `BackoffFinished`).
    pub(crate) fn on_backoff_done(&mut self, ctx: &mut Ctx, wl: WlId) {
        let w = &mut self.workloads[wl as usize];
        if w.state != WlState::BackingOff {
            return;
        }
        w.state = WlState::Pending;
        self.push(ctx, wl);
    }

    /// §3.5: the JobSet finished; its quota is released for good.
    fn finish(&mut self, ctx: &mut Ctx, wl: WlId) {
        let state = self.workloads[wl as usize].state;
        if matches!(
            state,
            WlState::Reserved | WlState::Admitted | WlState::Evicting
        ) {
            self.free_quota(ctx, wl);
        } else if state == WlState::Pending {
            let w = &self.workloads[wl as usize];
            if let Some(cq) = w.cq {
                self.queues[cq].remove(&w.key(wl));
                self.observe_cq(ctx, cq);
            }
        }
        self.afs_drop_penalty(ctx, wl);
        let w = &mut self.workloads[wl as usize];
        w.state = WlState::Finished;
        w.finished_ns = Some(ctx.now());
        w.timer_generation += 1;
    }

    /// Gives the Workload's usage back to the tree and queues a requeue trigger for its
    /// cohort tree, batched by one second (§4.4).
    fn free_quota(&mut self, ctx: &mut Ctx, wl: WlId) {
        let w = &mut self.workloads[wl as usize];
        let a = w.admission.take().expect("quota held");
        w.placements.clear();
        w.admitted_ns = None;
        w.started = false;
        w.checks_outcome = None;
        let cq = w.cq.expect("admitted in a ClusterQueue");
        let node = self.model.cluster_queues[cq].node;
        for &(fr, v) in &a.usage {
            self.model.tree.remove_usage(node, fr, v);
        }
        self.holding[cq] -= 1;
        self.observe_cq(ctx, cq);
        if self.workloads[wl as usize].deactivated {
            self.afs_drop_penalty(ctx, wl);
        }
        self.trigger_requeue(ctx, cq);
    }

    /// Queues a requeue trigger for `cq`'s cohort tree, batched by one second (§4.4), and
    /// wakes the loop: the cache frees the quota at once, so a head still in a heap
    /// (StrictFIFO, a sticky preemptor) sees it at the loop's next tick.
    fn trigger_requeue(&mut self, ctx: &mut Ctx, cq: CqIx) {
        let root = self.root_of(self.model.cluster_queues[cq].node);
        if self.triggers_pending.insert(root) {
            ctx.schedule_in(REQUEUE_BATCH_NS, Event::KueueRequeueTrigger(root as u32));
        }
        self.wake(ctx);
    }

    fn root_of(&self, mut node: NodeIx) -> NodeIx {
        while let Some(p) = self.model.tree.parent(node) {
            node = p;
        }
        node
    }

    /// The batched trigger: every parked Workload of the tree goes back to its heap.
    pub(crate) fn on_requeue_trigger(&mut self, ctx: &mut Ctx, root: u32) {
        let root = root as NodeIx;
        self.triggers_pending.remove(&root);
        for cq in 0..self.queues.len() {
            if self.root_of(self.model.cluster_queues[cq].node) == root {
                self.queues[cq].queue_inadmissible();
            }
        }
        self.wake(ctx);
    }
}

/// The admission loop's sleep after its `failures`-th cycle in a row that admitted nothing.
fn loop_backoff_ns(failures: u32) -> SimTime {
    let doubled = LOOP_INITIAL_BACKOFF_NS << (failures.saturating_sub(1)).min(8);
    doubled.min(LOOP_MAX_BACKOFF_NS)
}

/// When the scripted checks of one reservation have all answered, and how it ends: the first
/// check to answer `Retry` or `Rejected` decides (Rejected first on a tie, as
/// `reconcileCheckBasedEviction` looks at rejections first); otherwise the last `Ready`.
fn decide(checks: &[(String, crate::kueue_api::CheckAttempt)]) -> (SimTime, ChecksOutcome) {
    let failure = (checks.iter())
        .filter(|(_, a)| a.outcome != CheckOutcome::Ready)
        .min_by_key(|(_, a)| (a.after_ns, a.outcome != CheckOutcome::Rejected));
    match failure {
        Some((name, a)) if a.outcome == CheckOutcome::Rejected => (
            a.after_ns,
            ChecksOutcome::Rejected {
                check: name.clone(),
            },
        ),
        Some((_, a)) => (
            a.after_ns,
            ChecksOutcome::Retry {
                requeue_after_s: a.requeue_after_s,
            },
        ),
        None => (
            checks.iter().map(|(_, a)| a.after_ns).max().unwrap_or(0),
            ChecksOutcome::Ready,
        ),
    }
}

/// The Kueue job webhook's check of `kueue.x-k8s.io/max-exec-time-seconds`
/// (`validateCreateForMaxExecTime`: an integer, greater than 0).
fn check_max_exec_time(js: &crate::api::types::JobSet) -> Result<(), (String, String)> {
    let Some(value) = js.metadata.labels.get(MAX_EXEC_TIME_LABEL) else {
        return Ok(());
    };
    let path = format!("metadata.labels[{MAX_EXEC_TIME_LABEL}]");
    let name = &js.metadata.name;
    let invalid = |shown: String, why: String| {
        let message = format!("JobSet \"{name}\" is invalid: Invalid value: {shown}: {why}");
        Err((path.clone(), message))
    };
    match value.parse::<i64>() {
        Err(e) => {
            let why = match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    "value out of range"
                }
                _ => "invalid syntax",
            };
            invalid(
                format!("{value:?}"),
                format!("strconv.Atoi: parsing {value:?}: {why}"),
            )
        }
        Ok(v) if v <= 0 => invalid(v.to_string(), "should be greater than 0".into()),
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;
    use crate::kueue_api::CheckAttempt;

    fn attempt(outcome: CheckOutcome, after_s: u64, times: u32) -> CheckAttempt {
        CheckAttempt {
            outcome,
            after_ns: after_s * NS_PER_S,
            requeue_after_s: None,
            times,
        }
    }

    #[test]
    fn a_script_answers_attempt_by_attempt_and_its_last_entry_repeats() {
        let s = CheckScript {
            check: "prov".into(),
            attempts: vec![
                attempt(CheckOutcome::Retry, 10, 2),
                attempt(CheckOutcome::Ready, 5, 1),
            ],
        };
        let outcomes: Vec<CheckOutcome> = (0..5).map(|n| s.attempt(n).outcome).collect();
        use CheckOutcome::*;
        assert_eq!(outcomes, [Retry, Retry, Ready, Ready, Ready]);
    }

    #[test]
    fn the_first_failing_check_decides_and_rejected_wins_a_tie() {
        // workload_controller.go `reconcileCheckBasedEviction`: rejections are looked at
        // before retries; all Ready ⇒ admitted when the last one answers.
        let c = |name: &str, a| (name.to_string(), a);
        let ready = decide(&[
            c("a", attempt(CheckOutcome::Ready, 30, 1)),
            c("b", attempt(CheckOutcome::Ready, 90, 1)),
        ]);
        assert_eq!(ready, (90 * NS_PER_S, ChecksOutcome::Ready));
        let tie = decide(&[
            c("a", attempt(CheckOutcome::Retry, 20, 1)),
            c("b", attempt(CheckOutcome::Rejected, 20, 1)),
            c("c", attempt(CheckOutcome::Ready, 5, 1)),
        ]);
        assert_eq!(
            tie,
            (20 * NS_PER_S, ChecksOutcome::Rejected { check: "b".into() })
        );
        let first = decide(&[
            c("a", attempt(CheckOutcome::Retry, 10, 1)),
            c("b", attempt(CheckOutcome::Rejected, 20, 1)),
        ]);
        assert_eq!(
            first,
            (
                10 * NS_PER_S,
                ChecksOutcome::Retry {
                    requeue_after_s: None
                }
            )
        );
    }
}

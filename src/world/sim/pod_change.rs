//! The one path for pod changes. Every write to a pod's API state (phase, readiness, node,
//! deletion, removal, the `DisruptionTarget` condition, the in-place restart annotation) and
//! every start or stop of its main container goes through `Sim::change_pod`. It applies the
//! change, keeps the indexes built over pods in step (the Job's live counts and pod list, the
//! per-node pod lists), and tells the watchers that upstream would tell: the Job controller's
//! pod informer, the scheduler's cache, the kubelet, the JobSet controller, the garbage
//! collector, the training model and the metrics observer (`metrics::Recorder::observe_pod`).
//!
//! Which watcher hears which change, and in which order, is written once, in `notify`.

use crate::cluster::NodeId;
use crate::sim::objects::{LiveCounts, MaybeTime, PodId, PodObj, PodPhase, TrackingFinalizer};
use crate::sim::{Event, Sim};

/// One change to a pod, as its writer (API server, scheduler, kubelet, controller) makes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PodChange<'a> {
    /// The API create returned: the pod exists for other components.
    Created,
    /// The scheduler's verdict on the pod (condition `PodScheduled`): the Unschedulable
    /// message of a failed cycle, or none once a cycle found a node.
    SchedulingVerdict { unschedulable: Option<&'a str> },
    /// The scheduler's bind call returned.
    Bound { node: NodeId },
    /// The kubelet started the pod: phase Pending -> Running.
    Running,
    /// Ready with the container's start (no readiness probe): reported with the start itself.
    ReadyAtStart,
    /// The readiness probe passed.
    Ready,
    /// The main container (re)started; `restart` is the restart count on a restart in place.
    ContainerStarted { restart: Option<u32> },
    /// The workload in the container started (at once, or when the in-place restart agent
    /// lifts its barrier): the container is running, so its status shows no exit.
    WorkerStarted,
    /// The container's current run ended: the non-zero exit the kubelet reports in the
    /// container status (container name id, code), or none for exit 0.
    RunEnds { exit: Option<(u16, i32)> },
    /// A fault (`reason`) killed the main container's current run now: the kubelet reports
    /// the non-zero exit it ends with (container name id, code).
    RunKilled { reason: &'a str, exit: (u16, i32) },
    /// The in-place restart agent announced its attempt (annotation) and holds the worker.
    InPlaceAttempt { attempt: i32 },
    /// The main container stopped: it exited, was killed, or its node died. `failed`: the
    /// stop is a failure of the workload (non-zero exit, eviction, node death).
    ContainerStopped { failed: bool },
    /// The kubelet restarts the container in place after back-off (the pod stays Running).
    Restarting { reason: &'a str },
    /// The kubelet reports a terminal phase (`disruption`: with a `DisruptionTarget`
    /// condition, as on node-pressure eviction).
    Finished {
        phase: PodPhase,
        reason: &'a str,
        disruption: bool,
    },
    /// A controller added the `DisruptionTarget` condition (before deleting the pod).
    DisruptionTarget,
    /// A DELETE for the pod was sent through a rate-limited client.
    DeleteRequested,
    /// The DELETE landed: the pod is terminating (`evicted`: by eviction, with a
    /// `DisruptionTarget` condition).
    Deleting { reason: &'a str, evicted: bool },
    /// The kubelet (or PodGC) is done with the deleted pod but its tracking finalizer is on:
    /// the API server keeps the object until the finalizer goes.
    RemovalHeld,
    /// The Job controller's PATCH removing the tracking finalizer landed.
    FinalizerRemoved,
    /// The pod object is gone from the API.
    Removed,
    /// Kueue's topology ungater removed the pod's scheduling gate and pinned it to its
    /// topology domain (`nodeSelector`): the pod's spec is now shape `to` (was `from`).
    Ungated {
        from: crate::sim::objects::ShapeId,
        to: crate::sim::objects::ShapeId,
    },
}

/// What the watchers compare a change against: the pod's state before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PodBefore {
    pub phase: PodPhase,
    /// Exists for other components (created and not removed).
    pub visible: bool,
    pub created: bool,
    pub node: Option<NodeId>,
}

impl PodBefore {
    fn of(p: &PodObj) -> Self {
        PodBefore {
            phase: p.phase,
            visible: p.created && !p.removed,
            created: p.created,
            node: p.node,
        }
    }
}

/// Whether a change can move the pod's share of its Job's live counts: `LiveCounts::of`
/// reads the phase's being terminal, the deletion, readiness, removal and a sent DELETE.
/// The others (most changes: created, bound, running, container starts and stops) leave
/// the counts as they are, and are not counted twice over for nothing.
fn moves_live_counts(change: PodChange) -> bool {
    matches!(
        change,
        PodChange::ReadyAtStart
            | PodChange::Ready
            | PodChange::Restarting { .. }
            | PodChange::Finished { .. }
            | PodChange::DeleteRequested
            | PodChange::Deleting { .. }
            | PodChange::Removed
    )
}

impl Sim {
    /// Applies one change to a pod, keeps the indexes over pods in step and tells the
    /// watchers. Every change to a pod goes through here.
    pub(crate) fn change_pod(&mut self, pod: PodId, change: PodChange) {
        // A removed pod's state is final: the reports counted it at its removal
        // (`Recorder::removed_pods`), and no component may act on a pod that is gone.
        assert!(
            !self.pods[pod as usize].removed,
            "internal error: a change to pod {pod} after its removal"
        );
        match change {
            PodChange::SchedulingVerdict { .. }
            | PodChange::RunEnds { .. }
            | PodChange::RunKilled { .. } => self.change_pod_status(pod, change),
            PodChange::DeleteRequested => self.delete_requested(pod),
            // A first start writes no field (the phase and readiness are changes of their
            // own) and no watcher hears it (`notify`: the metrics observer counts nothing
            // for it), so nothing is done: every pod starts once.
            PodChange::ContainerStarted { restart: None } => {}
            _ => self.change_pod_object(pod, change),
        }
    }

    /// Status text no index counts and only the metrics observer hears: applied alone,
    /// since the scheduler writes it for nearly every pod and the kubelet for every run.
    fn change_pod_status(&mut self, pod: PodId, change: PodChange) {
        self.observe_pod_status(pod, change);
        if let PodChange::SchedulingVerdict { unschedulable } = change {
            // A message is kept exactly while the pod is flagged (the invariant sweep's
            // `unschedulable_messages_match`): most verdicts clear no flag, and need no
            // look-up.
            match unschedulable {
                Some(message) => {
                    self.unschedulable_messages.insert(pod, message.into());
                }
                None if self.pods[pod as usize].unschedulable => {
                    self.unschedulable_messages.remove(&pod);
                }
                None => {}
            }
        }
        let now = self.now();
        apply(&mut self.pods[pod as usize], change, now, false);
    }

    /// A change to the pod object: applied, the indexes kept in step, the watchers told.
    fn change_pod_object(&mut self, pod: PodId, change: PodChange) {
        let now = self.now();
        if let PodChange::Bound { node } = change {
            // Its row is out of cache in a long run: loaded while the pod's slot is.
            self.node_pods.prefetch(node as usize);
        }
        // PodGC's rule on removal reads whether the Job counted the pod failed already.
        let counted_failed =
            matches!(change, PodChange::Removed) && self.job_controller.counted_failed(pod);
        let p = &mut self.pods[pod as usize];
        let before = PodBefore::of(p);
        let live_before = moves_live_counts(change)
            .then(|| LiveCounts::of(p, self.delete_requests.in_flight(pod)));
        apply(p, change, now, counted_failed);
        self.reindex(pod, live_before, change);
        self.notify(pod, &before, change);
    }

    /// `DeleteRequested`: client state, not the pod's (`Sim::delete_requests`). The sent
    /// DELETE counts in the Job's live counts (`active_undeleted`) from here on; no field of
    /// the pod changes and no watcher hears of it, so the rest of the path is skipped (every
    /// deleted pod comes this way).
    fn delete_requested(&mut self, pod: PodId) {
        let p = &self.pods[pod as usize];
        let live_before = LiveCounts::of(p, self.delete_requests.in_flight(pod));
        self.delete_requests.sent(pod);
        self.recount(pod, live_before);
    }

    /// The Job's live counts after a change that can move the pod's share (`before`).
    fn recount(&mut self, pod: PodId, before: LiveCounts) {
        let p = &self.pods[pod as usize];
        let after = LiveCounts::of(p, self.delete_requests.in_flight(pod));
        if before != after {
            let counts = &mut self.job_pod_counts[p.job as usize];
            counts.sub(before);
            counts.add(after);
        }
    }

    /// The indexes built over pods: the Job's live counts (`live_before`: the pod's share
    /// before a change that can move it) and pod list, the node's pod list.
    fn reindex(&mut self, pod: PodId, live_before: Option<LiveCounts>, change: PodChange) {
        let indexed = matches!(
            change,
            PodChange::Bound { .. } | PodChange::Ungated { .. } | PodChange::Removed
        );
        if live_before.is_none() && !indexed {
            return; // most changes: no count moves and no list changes
        }
        if let Some(before) = live_before {
            self.recount(pod, before);
        }
        let p = &self.pods[pod as usize];
        let job = p.job;
        match change {
            PodChange::Bound { node } => self.node_pods.push(node as usize, pod),
            PodChange::Ungated { from, to } => {
                let index = p.index;
                self.jobset_controller.pod_removed(job, index, from);
                self.jobset_controller.pod_added(job, index, to);
            }
            PodChange::Removed => {
                let (index, shape) = (p.index, p.shape);
                self.kubelet.forget(pod);
                // Pods usually go in the order they were created: the search ends near the
                // front, and so does the shift (`IdList`).
                if self.job_pods[job as usize].remove(pod) {
                    self.jobset_controller.pod_removed(job, index, shape);
                }
                // Off its node's list too, or the lists grow with every pod a node ever ran
                // (the order of the others is kept: node faults reach pods in binding order).
                if let Some(n) = self.pods[pod as usize].node {
                    self.node_pods.remove_keep_order(n as usize, pod);
                }
            }
            _ => {}
        }
    }

    /// The slot of removed pod `pod` goes back to the store for the next pod
    /// (`pod_store`): the scheduler's informer, the last watcher to read the pod, has heard
    /// of its removal. What is kept beside the store by serial goes with it.
    pub(crate) fn release_pod_slot(&mut self, pod: PodId) {
        assert!(
            !self.pods[pod as usize].holds_tracking_finalizer(),
            "internal error: pod {pod} released with its tracking finalizer on"
        );
        let job = self.pods[pod as usize].job;
        if self.job_controller.awaits_accounting(job, pod) {
            // The Job's next sync reads the failed pod's exit and conditions (its
            // podFailurePolicy, `count_failed_pods`): released after that sync.
            self.pods.defer_release(pod);
            return;
        }
        let flagged = self.pods[pod as usize].unschedulable;
        if self.pods.release(pod) && flagged {
            self.unschedulable_messages.remove(&pod);
        }
    }

    /// The API server's store takes a new pod (its create was sent; `Created` follows when it
    /// returns): the indexes over pods learn of it. Every pod enters through here.
    pub(crate) fn insert_pod(&mut self, pod: PodObj) -> PodId {
        let (j, index, shape) = (pod.job, pod.index, pod.shape);
        let id = self.pods.len() as PodId;
        let counts = LiveCounts::of(&pod, self.delete_requests.in_flight(id));
        self.job_pod_counts[j as usize].add(counts);
        self.pods.push(pod);
        self.job_pods[j as usize].push(id);
        self.jobset_controller.pod_added(j, index, shape);
        id
    }

    /// Kueue's TAS node controller watches pods that stop on a node that is NotReady or
    /// cordoned (`nodeFailurePodHandler`): such a node may now be replaceable.
    fn tell_kueue_pod_stopped(&mut self, pod: PodId) {
        // The flag first: without Kueue's TAS no one watches, and the node's record is out
        // of cache in a long run.
        if !self.kueue_watches_nodes {
            return;
        }
        let Some(n) = self.pods[pod as usize].node else {
            return;
        };
        let node = self.cluster.node(n);
        if !node.ready || node.unschedulable || !node.taints.is_empty() {
            let watch = self.params.watch_delay_ns;
            self.queue.schedule_in(watch, Event::KueueNodeChanged(n));
        }
    }

    /// Tells each watcher of this kind of change, in the order the components would see it.
    fn notify(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        if let PodChange::Finished { .. } | PodChange::Deleting { .. } | PodChange::Removed = change
        {
            self.tell_kueue_pod_stopped(pod);
        }
        match change {
            PodChange::Created => self.notify_created(pod, before, change),
            PodChange::Ungated { .. } => self.tell_scheduler_add_pod(pod),
            PodChange::Bound { .. } => self.notify_bound(pod, before, change),
            PodChange::Running | PodChange::ReadyAtStart | PodChange::DisruptionTarget => {
                self.observe_pod(pod, before, change, false);
            }
            PodChange::DeleteRequested
            | PodChange::RemovalHeld
            | PodChange::FinalizerRemoved
            | PodChange::SchedulingVerdict { .. }
            | PodChange::RunEnds { .. }
            | PodChange::RunKilled { .. } => {}
            PodChange::Ready | PodChange::Restarting { .. } => {
                self.observe_pod(pod, before, change, false);
                self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
            }
            PodChange::WorkerStarted => self.notify_worker_started(pod, before, change),
            PodChange::ContainerStarted { restart } => {
                self.observe_pod(pod, before, change, false);
                if restart.is_some() {
                    // status.containerStatuses[].restartCount changed: the Job controller
                    // counts restarts against backoffLimit under OnFailure.
                    self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
                }
            }
            PodChange::InPlaceAttempt { .. } => self.notify_in_place_attempt(pod),
            PodChange::ContainerStopped { .. } => {
                // Only the kubelet stops a container, its scheduled end already forgotten.
                self.observe_container_stopped(pod);
                self.training(|t, ctx| t.on_container_stopped(ctx, pod));
                self.observe_pod(pod, before, change, false);
            }
            PodChange::Finished { .. } => self.notify_finished(pod, before, change),
            PodChange::Deleting { .. } => self.notify_deleting(pod, before, change),
            PodChange::Removed => self.notify_removed(pod, before, change),
        }
    }

    /// The scheduler's pod informer hears of a pod to schedule.
    #[inline(always)]
    fn tell_scheduler_add_pod(&mut self, pod: PodId) {
        let watch = self.params.watch_delay_ns;
        self.queue.schedule_in(watch, Event::SchedulerAddPod(pod));
    }

    /// `Created`: the metrics, the scheduler's cache and queue (or Kueue's ungater).
    fn notify_created(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        self.observe_pod(pod, before, change, false);
        // The scheduler's pod informer: its cache holds the pod with its labels.
        self.scheduler_sees_pod_labels(self.pods[pod as usize].job);
        let p = &self.pods[pod as usize];
        if p.deletion_ns.is_none() {
            // A gated pod waits outside the scheduler's queue (PreEnqueue); Kueue's
            // topology ungater watches for it.
            if self.shapes[p.shape as usize].gated {
                let watch = self.params.watch_delay_ns;
                self.queue.schedule_in(watch, Event::KueuePodGated(pod));
            } else {
                self.tell_scheduler_add_pod(pod);
            }
        }
    }

    /// `Bound`: the metrics, the kubelet, the Job controller and the JobSet pod reconciler.
    fn notify_bound(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        self.observe_pod(pod, before, change, false);
        self.kubelet(|k, ctx| k.on_pod_bound(ctx, pod));
        // The Job controller sees the pod update (a bound leader lets followers
        // through); the JobSet pod reconciler checks exclusive placement.
        self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
        self.handle(
            |sim| &mut sim.jobset_controller,
            |c, ctx| c.on_pod_bound(ctx, pod),
        );
    }

    /// `WorkerStarted`: the metrics, the Job controller, the recovery records, the training.
    fn notify_worker_started(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        self.observe_pod(pod, before, change, false);
        self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
        // The workload runs: under in-place restart only once the agent lifts its
        // barrier, so the recovery records and the training model count the pod
        // running from here.
        self.observe_container_started(pod);
        self.training(|t, ctx| t.on_container_started(ctx, pod));
    }

    /// `InPlaceAttempt`: the JobSet controller (it watches pods for the agents' attempts)
    /// and the Job controller.
    fn notify_in_place_attempt(&mut self, pod: PodId) {
        let js = self.store.jobs[self.pods[pod as usize].job as usize].jobset;
        self.enqueue_jobset(
            js,
            self.params.api_call_latency_ns + self.params.watch_delay_ns,
        );
        self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
    }

    /// `Finished`: the Job controller's count, the metrics, the scheduler's cache.
    fn notify_finished(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        let counted = self.job_controller(|jc, ctx| jc.on_pod_update(ctx, pod, before, change));
        self.observe_pod(pod, before, change, counted);
        if self.pods[pod as usize].node.is_some() {
            let watch = self.params.watch_delay_ns;
            self.queue.schedule_in(watch, Event::SchedulerPodGone(pod));
        }
        self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
    }

    /// `Deleting`: the kubelet stops the containers, then the records, the Job controller.
    fn notify_deleting(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        // The kubelet stops the containers at once; the pod goes after its grace.
        self.kubelet(|k, ctx| k.on_pod_deleting(ctx, pod));
        self.observe_container_stopped(pod);
        self.training(|t, ctx| t.on_container_stopped(ctx, pod));
        let counted = self.job_controller(|jc, ctx| jc.on_pod_update(ctx, pod, before, change));
        self.observe_pod(pod, before, change, counted);
        // The Job's sync counts a deleted pod and removes its tracking finalizer:
        // the pod update (its deletionTimestamp) queues it.
        if counted || self.pods[pod as usize].holds_tracking_finalizer() {
            self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
        }
    }

    /// `Removed`: the Job controller, the metrics, the scheduler's cache, and the garbage
    /// collector when the Job is being deleted.
    fn notify_removed(&mut self, pod: PodId, before: &PodBefore, change: PodChange) {
        let counted = self.job_controller(|jc, ctx| jc.on_pod_update(ctx, pod, before, change));
        self.observe_pod(pod, before, change, counted);
        if counted {
            self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
        }
        let watch = self.params.watch_delay_ns;
        self.queue.schedule_in(watch, Event::SchedulerPodGone(pod));
        let j = self.pods[pod as usize].job;
        if self.store.jobs[j as usize].deletion_ns.is_some() {
            self.handle(|sim| &mut sim.gc, |gc, ctx| gc.on_dependent_removed(ctx, j));
        } else {
            self.job_controller(|jc, ctx| jc.on_pod_watch(ctx, pod));
        }
    }
}

/// The field writes of a change (`counted_failed`: the pod's Job counted it failed already).
fn apply(p: &mut PodObj, change: PodChange, now_ns: u64, counted_failed: bool) {
    match change {
        PodChange::Created => p.created = true,
        PodChange::SchedulingVerdict { unschedulable } => {
            p.unschedulable = unschedulable.is_some();
        }
        PodChange::Bound { node } => {
            p.node = Some(node);
            p.bound_at_ns = MaybeTime::at(now_ns);
        }
        PodChange::Running => {
            assert_eq!(p.phase, PodPhase::Pending, "only a pending pod starts");
            p.phase = PodPhase::Running;
        }
        PodChange::ReadyAtStart | PodChange::Ready => p.ready = true,
        PodChange::InPlaceAttempt { attempt } => p.in_place_attempt = Some(attempt),
        PodChange::RunEnds { exit } => p.last_exit = exit,
        PodChange::RunKilled { exit, .. } => p.last_exit = Some(exit),
        PodChange::WorkerStarted => p.last_exit = None,
        // Not ready while the container waits out its back-off.
        PodChange::Restarting { .. } => p.ready = false,
        PodChange::ContainerStarted { restart: Some(n) } => {
            assert_eq!(n, p.restart_count + 1, "restarts are counted one by one");
            p.restart_count = n;
        }
        PodChange::ContainerStarted { restart: None } | PodChange::ContainerStopped { .. } => {}
        PodChange::Finished {
            phase, disruption, ..
        } => {
            assert!(phase.terminal(), "a pod finishes in a terminal phase");
            p.ready = false;
            p.phase = phase;
            p.disruption_target |= disruption;
        }
        PodChange::DisruptionTarget => p.disruption_target = true,
        // The sending client keeps it (`Sim::delete_requested`); the pod is unchanged.
        PodChange::DeleteRequested => {}
        PodChange::Deleting { evicted, .. } => {
            p.deletion_ns = MaybeTime::at(now_ns);
            p.disruption_target |= evicted;
        }
        PodChange::Ungated { from, to } => {
            assert_eq!(p.shape, from, "an ungate replaces the spec it read");
            assert!(p.node.is_none(), "only an unscheduled pod is gated");
            p.shape = to;
        }
        PodChange::RemovalHeld => {
            assert!(
                p.deletion_ns.is_some(),
                "only a deleted pod's removal waits"
            );
            assert_eq!(
                p.tracking_finalizer,
                TrackingFinalizer::On,
                "held once, by it"
            );
            p.tracking_finalizer = TrackingFinalizer::HoldsRemoval;
        }
        PodChange::FinalizerRemoved => {
            assert!(p.holds_tracking_finalizer(), "a finalizer goes once");
            p.tracking_finalizer = TrackingFinalizer::Removed;
        }
        PodChange::Removed => {
            assert!(
                !p.holds_tracking_finalizer(),
                "internal error: a pod object goes only once its tracking finalizer is gone"
            );
            // PodGC marks an evicted orphan Failed before removing it, unless its Job
            // already counted it failed when it was evicted.
            if p.disruption_target && !p.phase.terminal() && !counted_failed {
                p.phase = PodPhase::Failed;
            }
            p.removed = true;
            p.ready = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulation stepped event by event until `done` holds (or the queue runs dry).
    fn sim_until(done: impl Fn(&Sim) -> bool) -> Sim {
        use crate::tests::common::{one_job_scenario, step_until, world};
        let mut sim = world(&one_job_scenario(7, 2, "pods: {runFor: 30m}"));
        step_until(&mut sim, done);
        sim
    }

    fn running(sim: &Sim) -> Vec<PodId> {
        (0..sim.pods.len() as PodId)
            .filter(|&p| sim.pods[p as usize].phase == PodPhase::Running)
            .collect()
    }

    /// The Job's live counts as a recount over its pods.
    fn recount(sim: &Sim, job: u32) -> LiveCounts {
        let mut c = LiveCounts::default();
        for &p in &sim.job_pods[job as usize] {
            c.add(LiveCounts::of(
                &sim.pods[p as usize],
                sim.delete_requests.in_flight(p),
            ));
        }
        c
    }

    /// What the watchers of a pod change could touch: the pod, the indexes over pods, the
    /// metrics, the Job controller, the kubelet, the training model and the event queue.
    fn watched_state(sim: &Sim, pod: PodId) -> String {
        let job = sim.pods[pod as usize].job as usize;
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
            sim.pods[pod as usize],
            sim.job_pod_counts[job],
            sim.rec,
            sim.job_controller,
            sim.kubelet,
            sim.training,
            sim.jobset_controller,
            sim.queue.scheduled()
        )
    }

    /// `change_pod` skips a first container start: through the whole path it would change
    /// nothing any watcher keeps (so a watcher added for it must end the skip).
    #[test]
    fn a_first_container_start_changes_nothing_a_watcher_keeps() {
        let mut sim = sim_until(|s| running(s).len() == 2);
        let pod = running(&sim)[0];
        let before = watched_state(&sim, pod);
        sim.change_pod_object(pod, PodChange::ContainerStarted { restart: None });
        assert_eq!(watched_state(&sim, pod), before);
        sim.change_pod_object(pod, PodChange::ContainerStarted { restart: Some(1) });
        assert_ne!(
            watched_state(&sim, pod),
            before,
            "the test can see a change"
        );
    }

    #[test]
    fn a_failed_container_is_counted_once_and_indexes_follow() {
        let mut sim = sim_until(|s| running(s).len() == 2);
        let pod = running(&sim)[0];
        let job = sim.pods[pod as usize].job;
        let node = sim.pods[pod as usize].node.expect("bound");
        assert_eq!(sim.rec.pods_running_now, 2);
        assert!(sim.node_pods.get(node as usize).contains(&pod));
        assert!(sim.kubelet.exit_pending(pod));

        // The container dies: its scheduled exit is forgotten, the Job's first failure noted.
        sim.kubelet(|k, ctx| k.containers_died(ctx, pod));
        assert!(!sim.kubelet.exit_pending(pod));
        assert_eq!(sim.rec.first_failure_ns(job), Some(sim.now()));

        // The kubelet reports it Failed: counted once by the Job's informer and the metrics.
        let finished = PodChange::Finished {
            phase: PodPhase::Failed,
            reason: "Error: exit code 1",
            disruption: false,
        };
        sim.change_pod(pod, finished);
        assert_eq!(sim.job_controller.uncounted(job), [pod]);
        assert_eq!(sim.rec.pods_failed, 1);
        assert_eq!(sim.rec.pods_running_now, 1);
        assert_eq!(sim.job_pod_counts[job as usize], recount(&sim, job));
        // Removing it does not count it again, and takes it off every index.
        sim.change_pod(pod, PodChange::FinalizerRemoved);
        sim.change_pod(pod, PodChange::Removed);
        assert_eq!(sim.rec.pods_failed, 1);
        assert_eq!(sim.job_controller.uncounted(job), [pod]);
        assert!(!sim.job_pods[job as usize].contains(&pod));
        assert!(!sim.node_pods.get(node as usize).contains(&pod));
        assert_eq!(sim.job_pod_counts[job as usize], recount(&sim, job));
        let row = sim.rec.rows.last().expect("rows kept");
        assert_eq!(
            (row.pod, row.state),
            (pod, crate::metrics::PodState::Deleted)
        );
    }

    /// Status text applied alone is still observed: a fault's kill writes its `Fault` row and
    /// the exit it ends with; an Unschedulable verdict writes a row only when its message
    /// differs from the pod's last one.
    #[test]
    fn status_text_is_observed_once_per_change() {
        use crate::metrics::PodState;
        let mut sim = sim_until(|s| running(s).len() == 2);
        let pod = running(&sim)[0];
        let rows = sim.rec.rows.len();
        let kill = PodChange::RunKilled {
            reason: "DeviceFault",
            exit: (0, 137),
        };
        sim.change_pod(pod, kill);
        assert_eq!(sim.pods[pod as usize].last_exit, Some((0, 137)));
        let row = &sim.rec.rows[rows];
        assert_eq!((row.pod, row.state), (pod, PodState::Fault));
        assert_eq!(row.reason, "DeviceFault: exit code 137");

        let other = running(&sim)[1];
        let verdict = PodChange::SchedulingVerdict {
            unschedulable: Some("0/2 nodes are available"),
        };
        for _ in 0..2 {
            sim.change_pod(other, verdict);
        }
        let verdict_rows = |sim: &Sim| {
            (sim.rec.rows.iter())
                .filter(|r| r.pod == other && r.state == PodState::Unschedulable)
                .count()
        };
        assert_eq!(verdict_rows(&sim), 1, "the same message is one row");
        let cleared = PodChange::SchedulingVerdict {
            unschedulable: None,
        };
        sim.change_pod(other, cleared);
        sim.change_pod(other, verdict);
        assert_eq!(
            verdict_rows(&sim),
            2,
            "a verdict after a cleared one is a new row"
        );
    }

    /// Pods in every phase, deleting or not, ready or not, with the tracking finalizer or not.
    fn pod_states() -> Vec<PodObj> {
        let phases = [
            PodPhase::Pending,
            PodPhase::Running,
            PodPhase::Succeeded,
            PodPhase::Failed,
        ];
        let mut states = vec![];
        for phase in phases {
            for bits in 0..8 {
                let mut p = PodObj::pending_for_test(0);
                p.phase = phase;
                p.deletion_ns = if bits & 1 != 0 {
                    MaybeTime::at(5)
                } else {
                    MaybeTime::NONE
                };
                p.ready = bits & 2 != 0;
                if bits & 4 != 0 {
                    p.tracking_finalizer = TrackingFinalizer::Removed;
                }
                states.push(p);
            }
        }
        states
    }

    /// Every kind of change, once each (the status-text ones aside: they never reach the
    /// live counts, `change_pod` applies them alone).
    const EVERY_CHANGE: [PodChange<'static>; 19] = [
        PodChange::Created,
        PodChange::Bound { node: 1 },
        PodChange::Running,
        PodChange::ReadyAtStart,
        PodChange::Ready,
        PodChange::ContainerStarted { restart: None },
        PodChange::ContainerStarted { restart: Some(1) },
        PodChange::WorkerStarted,
        PodChange::InPlaceAttempt { attempt: 1 },
        PodChange::ContainerStopped { failed: true },
        PodChange::Restarting { reason: "r" },
        PodChange::Finished {
            phase: PodPhase::Failed,
            reason: "r",
            disruption: true,
        },
        PodChange::DisruptionTarget,
        PodChange::DeleteRequested,
        PodChange::Deleting {
            reason: "r",
            evicted: true,
        },
        PodChange::RemovalHeld,
        PodChange::FinalizerRemoved,
        PodChange::Removed,
        PodChange::Ungated { from: 0, to: 1 },
    ];

    /// Whether `change` can be applied to a pod in state `p` (the assertions in `apply`).
    fn applies(p: &PodObj, change: PodChange) -> bool {
        match change {
            PodChange::Running => p.phase == PodPhase::Pending,
            PodChange::RemovalHeld => {
                p.deletion_ns.is_some() && p.tracking_finalizer == TrackingFinalizer::On
            }
            PodChange::FinalizerRemoved => p.holds_tracking_finalizer(),
            PodChange::Removed => !p.holds_tracking_finalizer(),
            _ => true,
        }
    }

    /// Every change `moves_live_counts` leaves out keeps a pod's share of its Job's live
    /// counts, from every state it can be applied in (a DELETE sent counts as the client's
    /// mark the change sets). Every change it names moves the share from some state.
    #[test]
    fn only_the_changes_named_move_the_live_counts() {
        for change in EVERY_CHANGE {
            let mut moved = false;
            for state in pod_states().iter().filter(|p| applies(p, change)) {
                let mut p = state.clone();
                apply(&mut p, change, 9, false);
                for sent in [false, true] {
                    let sent_after = sent || matches!(change, PodChange::DeleteRequested);
                    let same = LiveCounts::of(state, sent) == LiveCounts::of(&p, sent_after);
                    assert!(same || moves_live_counts(change), "{change:?} on {state:?}");
                    moved |= !same;
                }
            }
            assert_eq!(moved, moves_live_counts(change), "{change:?}");
        }
    }

    /// podReplacementPolicy: an evicted pod counts as failed at once, unless the Job waits
    /// for terminal pods.
    #[test]
    fn eviction_counts_a_pod_failed_unless_the_job_waits_for_terminal_pods() {
        for (policy, counted) in [(None, true), (Some("Failed"), false)] {
            let mut sim = sim_until(|s| running(s).len() == 2);
            let pod = running(&sim)[0];
            let job = sim.pods[pod as usize].job;
            std::sync::Arc::make_mut(&mut sim.store.jobs[job as usize].spec)
                .pod_replacement_policy = policy.map(String::from);
            sim.api_server(|a, ctx| a.evict_pod(ctx, pod, "EvictionByEvictionAPI"));
            let p = &sim.pods[pod as usize];
            assert!(p.disruption_target && p.deletion_ns.is_some());
            assert_eq!(
                sim.job_controller.counted_failed(pod),
                counted,
                "{policy:?}"
            );
            assert_eq!(sim.rec.pods_failed, counted as u64);
            assert_eq!(sim.job_pod_counts[job as usize], recount(&sim, job));
            // Once gone, an evicted pod the Job has not counted is marked Failed by PodGC
            // and counted then.
            sim.change_pod(pod, PodChange::FinalizerRemoved);
            sim.change_pod(pod, PodChange::Removed);
            assert!(sim.job_controller.counted_failed(pod));
            assert_eq!(sim.rec.pods_failed, 1);
        }
    }
}

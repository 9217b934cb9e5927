//! Every kind of event the simulation schedules. A plain enum: no allocation per event, and the
//! compiler checks every handler.

use super::objects::{JobId, JsId, PodId};
use crate::cluster::NodeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A workload's JobSet is created through the API (admission already applied).
    SubmitJobSet { workload: u32 },
    /// A scripted user update of a workload's JobSet (e.g. resume).
    UpdateJobSet { workload: u32, update: u32 },
    /// The JobSet controller's worker picks up this JobSet's key.
    ReconcileJobSet(JsId),
    /// The Job controller's worker picks up this Job's key.
    SyncJob(JobId),
    /// A pod create call returned: the pod object now exists.
    PodCreated(PodId),
    /// The scheduler's informer delivers a new pending pod.
    SchedulerAddPod(PodId),
    /// The scheduler's informer learns a pod left its node: its resources are free.
    SchedulerPodGone(PodId),
    /// The scheduler loop is free to run its next scheduling cycle.
    SchedulerCycle,
    /// A pod waiting out its backoff may return to the active queue.
    SchedulerBackoffDone(PodId),
    /// Periodic retry of pods that stayed unschedulable too long.
    SchedulerFlushUnschedulable,
    /// The bind API call for a pod returned.
    BindDone { pod: PodId, node: NodeId },
    /// The kubelet has started the pod's containers.
    PodRunning(PodId),
    /// The readiness probe first succeeds.
    PodReady(PodId),
    /// The pod's main container exits on its own.
    ContainerExit { pod: PodId, exit_code: i32 },
    /// The kubelet restarts a crashed container in place (`restartPolicy: OnFailure`).
    ContainerRestart(PodId),
    /// The in-place restart agent in a pod sees the JobSet's current status.
    AgentSync(PodId),
    /// A DELETE of a pod reaches the API server (reason interned in `Sim::delete_requests`).
    DeletePod { pod: PodId, reason: u16 },
    /// The kubelet finished stopping a deleted pod; the API object goes away.
    PodRemoved(PodId),
    /// The garbage collector acts on a Job's foreground deletion: it deletes the Job's pods.
    GcDeleteDependents(JobId),
    /// The garbage collector deletes a Job whose foreground deletion is done.
    JobRemoved(JobId),
    /// The node lifecycle controller marks a node NotReady.
    NodeNotReady(NodeId),
    /// The NoExecute `unreachable` taint lands on a node (rate-limited).
    NodeTaintNoExecute(NodeId),
    /// The taint manager evicts a pod whose toleration ran out.
    EvictPod(PodId),
    /// A fault injector acts: `target` is a node, a domain or a pod slot, as the injector
    /// defines it (`src/world/inject`).
    FaultFires { fault: u16, target: u32 },
    /// A node back from repair or maintenance: Ready and schedulable again.
    NodeRepaired(NodeId),
    /// The training framework finished starting up on all pods of a JobSet (`generation`
    /// guards against a start-up that an interruption overtook).
    TrainingStart { js: JsId, generation: u32 },
    /// A JobSet's training has done all its work: its containers exit 0.
    TrainingDone { js: JsId, generation: u32 },
    /// Kueue's Workload for a managed JobSet is created (`kueue::controller`).
    KueueWorkloadCreated(JsId),
    /// Kueue's admission loop runs a cycle.
    KueueCycle,
    /// Kueue's patch of an admitted Workload's JobSet lands (flavors injected, resumed).
    KueueStartJobSet(u32),
    /// Kueue's patch of an evicted Workload's JobSet lands (suspended, templates restored).
    KueueStopJobSet(u32),
    /// Kueue's watch hears of a JobSet status write.
    KueueJobSetStatus(JsId),
    /// An admitted Workload's PodsReady timeout (`generation` guards a stale timer).
    KueuePodsReadyTimeout { wl: u32, generation: u32 },
    /// An evicted Workload's requeue back-off ends.
    KueueBackoffDone(u32),
    /// The batched requeue trigger of a cohort tree (its root node) fires.
    KueueRequeueTrigger(u32),
    /// The LocalQueue controller's admission-fair-sharing sample (every
    /// `usageSamplingInterval`).
    KueueAfsSample,
    /// The scripted admission checks of a quota reservation have answered (`generation`
    /// guards against a reservation since released).
    KueueChecksAnswered { wl: u32, generation: u32 },
    /// An admitted Workload's maximum execution time runs out (if still the same admission).
    KueueMaxExecTime { wl: u32, generation: u32 },
    /// Kueue's pod watch hears of a pod created with its topology scheduling gate.
    KueuePodGated(PodId),
    /// Kueue's ungate patch of a gated pod lands.
    KueueUngateLands(PodId),
    /// Kueue's node watch hears of a change to a node's readiness or schedulability.
    KueueNodeChanged(NodeId),
    /// A Job controller sync worker is free and a Job waits for one (its work queue).
    JobWorkersFree,
    /// The Job controller's PATCH removing a pod's tracking finalizer returned.
    FinalizerRemoved(PodId),
    /// The run's time limit.
    EndOfRun,
}

impl Event {
    /// The pod of an event whose handler does nothing for a removed pod (its first act is to
    /// return on `removed`, or, for a back-off's end, on the queue state that the pod's
    /// removal cleared). Such an event for a pod whose slot was released since
    /// (`pod_store`) is dropped before its handler runs: the pod is no longer there to read.
    /// The other events naming a pod check for a released pod in their handlers, after what
    /// they do regardless of it (`SchedulerPodGone`, `ContainerExit`, `KueueUngateLands`).
    /// `FinalizerRemoved` never finds its pod released: a pod keeps its slot while its
    /// tracking finalizer is on.
    pub(crate) fn pod_ignored_once_removed(&self) -> Option<PodId> {
        use Event::*;
        match *self {
            PodCreated(pod)
            | SchedulerAddPod(pod)
            | SchedulerBackoffDone(pod)
            | BindDone { pod, .. }
            | PodRunning(pod)
            | PodReady(pod)
            | ContainerRestart(pod)
            | AgentSync(pod)
            | DeletePod { pod, .. }
            | PodRemoved(pod)
            | EvictPod(pod)
            | KueuePodGated(pod) => Some(pod),
            _ => None,
        }
    }

    /// The event's record for the event-stream digest (`engine::digest`): its kind (the
    /// variant's position above) and up to two ids or values, 0 where it has fewer. Values
    /// that are not object ids (an exit code, a generation) are part of what happened, so
    /// they are included too.
    pub(crate) fn digest_record(&self) -> (u8, u32, u32) {
        use Event::*;
        match *self {
            SubmitJobSet { workload } => (0, workload, 0),
            UpdateJobSet { workload, update } => (1, workload, update),
            ReconcileJobSet(js) => (2, js, 0),
            SyncJob(job) => (3, job, 0),
            PodCreated(pod) => (4, pod, 0),
            SchedulerAddPod(pod) => (5, pod, 0),
            SchedulerPodGone(pod) => (6, pod, 0),
            SchedulerCycle => (7, 0, 0),
            SchedulerBackoffDone(pod) => (8, pod, 0),
            SchedulerFlushUnschedulable => (9, 0, 0),
            BindDone { pod, node } => (10, pod, node),
            PodRunning(pod) => (11, pod, 0),
            PodReady(pod) => (12, pod, 0),
            ContainerExit { pod, exit_code } => (13, pod, exit_code as u32),
            ContainerRestart(pod) => (14, pod, 0),
            AgentSync(pod) => (15, pod, 0),
            DeletePod { pod, reason } => (16, pod, reason as u32),
            PodRemoved(pod) => (17, pod, 0),
            GcDeleteDependents(job) => (18, job, 0),
            JobRemoved(job) => (19, job, 0),
            NodeNotReady(node) => (21, node, 0),
            NodeTaintNoExecute(node) => (22, node, 0),
            EvictPod(pod) => (23, pod, 0),
            FaultFires { fault, target } => (24, fault as u32, target),
            NodeRepaired(node) => (25, node, 0),
            TrainingStart { js, generation } => (26, js, generation),
            TrainingDone { js, generation } => (27, js, generation),
            EndOfRun => (28, 0, 0),
            KueueWorkloadCreated(js) => (29, js, 0),
            KueueCycle => (30, 0, 0),
            KueueStartJobSet(wl) => (31, wl, 0),
            KueueStopJobSet(wl) => (32, wl, 0),
            KueueJobSetStatus(js) => (33, js, 0),
            KueuePodsReadyTimeout { wl, generation } => (34, wl, generation),
            KueueBackoffDone(wl) => (35, wl, 0),
            KueueRequeueTrigger(root) => (36, root, 0),
            KueuePodGated(pod) => (37, pod, 0),
            KueueUngateLands(pod) => (38, pod, 0),
            KueueNodeChanged(node) => (39, node, 0),
            KueueChecksAnswered { wl, generation } => (40, wl, generation),
            KueueMaxExecTime { wl, generation } => (41, wl, generation),
            JobWorkersFree => (42, 0, 0),
            FinalizerRemoved(pod) => (43, pod, 0),
            KueueAfsSample => (50, 0, 0),
        }
    }
}

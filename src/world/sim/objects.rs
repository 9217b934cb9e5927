//! The simulated API objects at run time: JobSets, Jobs and Pods. JobSets and Jobs are in
//! append-only arenas so ids are stable and deterministic; an object that Kubernetes would
//! have removed is marked `removed` rather than freed. Pods are in the pod store
//! (`pod_store`), whose slots are reused once a pod is gone; a `PodId` is the pod's creation
//! serial.

use crate::api::types::{JobSet, JobSpec};
use crate::cluster::NodeId;
use crate::engine::SimTime;
use std::sync::Arc;

pub(crate) type JsId = u32;
pub(crate) type JobId = u32;
pub(crate) type PodId = u32;
pub(crate) type ShapeId = u32;

/// A pod's name `<job>-<index>-<suffix>`, by parts: the Job's name is fixed by its JobSet,
/// replicated job and job index (a recreated Job has the same name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PodNameKey {
    pub jobset: JsId,
    pub rj: u32,
    pub job_index: u32,
    pub index: u32,
    pub suffix: [u8; 5],
}

/// A status condition with the upstream fields that matter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub kind: String,
    pub status: bool,
    pub reason: String,
    pub message: String,
    pub last_transition_ns: SimTime,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ReplicatedJobStatus {
    pub name: String,
    pub ready: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub active: i32,
    pub suspended: i32,
    /// Per job index, only with the RestartJob gate (§1.10).
    pub job_restarts: Option<Vec<i32>>,
    pub job_restarts_count_towards_max: Option<Vec<i32>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct JobSetStatus {
    pub restarts: i32,
    pub restarts_count_towards_max: i32,
    pub terminal_state: Option<String>,
    pub conditions: Vec<Condition>,
    /// In-place restart barrier (§3.12): lagging pods restart up to `previous`; pods whose
    /// attempt equals `current` run their workers.
    pub previous_in_place_restart_attempt: Option<i32>,
    pub current_in_place_restart_attempt: Option<i32>,
    pub replicated_jobs: Vec<ReplicatedJobStatus>,
}

impl JobSetStatus {
    pub(crate) fn condition(&self, kind: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }

    pub(crate) fn is_true(&self, kind: &str) -> bool {
        self.condition(kind).is_some_and(|c| c.status)
    }

    /// Restarts that count towards maxRestarts (§4.3 `T`): global ones, plus per-Job ones
    /// when the RestartJob gate is on.
    pub(crate) fn counted_restarts(&self, restart_job_gate: bool) -> i32 {
        let per_job: i32 = self
            .replicated_jobs
            .iter()
            .filter_map(|r| r.job_restarts_count_towards_max.as_ref())
            .flatten()
            .sum();
        self.restarts_count_towards_max + if restart_job_gate { per_job } else { 0 }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct JobSetObj {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    /// The defaulted spec as admitted.
    pub spec: JobSet,
    /// `metadata.generation`: 1 at create, one more for each spec write (Kueue's patches).
    pub generation: u64,
    pub status: JobSetStatus,
    /// The (replicated job, index) names its child Jobs (`Sim::jobset_jobs`) take.
    pub taken_names: crate::control::child_jobs::TakenNames,
    pub created_at_ns: SimTime,
    /// Foreground deletion of the JobSet itself (TTL after finished).
    pub deletion_ns: Option<SimTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobCondition {
    pub kind: String,
    pub reason: String,
    pub message: String,
    pub time_ns: SimTime,
}

#[derive(Debug, Clone)]
pub(crate) struct JobObj {
    pub name: String,
    pub jobset: JsId,
    /// Index of the replicated job in the JobSet spec.
    pub rj: u32,
    pub job_index: u32,
    /// The JobSet's restart attempt when the Job was created (the restart-attempt label).
    pub restart_attempt: i32,
    /// Under the RestartJob gate, its index's restart attempt when the Job was created (the
    /// job-restart-attempt label). With the fields above it fixes every label and annotation
    /// of the Job and its pod template, which `Sim::job_metadata` builds when one is read:
    /// a dozen-entry map four times over per Job was most of a Job's memory.
    pub job_restart_attempt: Option<i32>,
    /// `spec.suspend == Some(true)`: the suspension as the JobSet controller last wrote it.
    /// The shared `spec` below does not carry it.
    pub suspended: bool,
    /// The Job spec after API defaulting, pod template included, without the pod template's
    /// metadata (`Sim::job_metadata`) and its `suspend` (`suspended`): shared by every Job of a
    /// replicated job, except where a Job's pod spec is its own (the node-selector strategy's
    /// pin, the pre-v0.3.0 exclusive terms). Never written after creation.
    pub spec: Arc<JobSpec>,
    pub parallelism: u32,
    pub completions: u32,
    pub backoff_limit: i32,
    /// Per completion index: has a pod for it succeeded? (`status.completedIndexes`)
    pub succeeded_index: Vec<bool>,
    pub succeeded: u32,
    pub failed: u32,
    pub conditions: Vec<JobCondition>,
    pub deletion_ns: Option<SimTime>,
    pub created_at_ns: SimTime,
    /// `status.active` and `status.ready` as last written by the Job controller.
    pub status_active: u32,
    pub status_ready: u32,
    /// Per completion index: failed for good (`status.failedIndexes`, backoffLimitPerIndex).
    pub index_failed: Vec<bool>,
    /// `status.startTime`: first sync while not suspended.
    pub start_time_ns: Option<SimTime>,
}

impl JobObj {
    pub(crate) fn condition(&self, kind: &str) -> Option<&JobCondition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }

    /// Finished as JobSet sees it: only `Complete` or `Failed` count (TestIsJobFinished),
    /// the first of them added, as upstream's `IsJobFinished` walks `status.conditions` in
    /// order. Read from the conditions, not kept beside them: a Job has a handful at most,
    /// and they are only ever appended (`add_condition`), so the first stays the first.
    pub(crate) fn finished(&self) -> Option<&'static str> {
        self.conditions.iter().find_map(|c| match c.kind.as_str() {
            "Complete" => Some("Complete"),
            "Failed" => Some("Failed"),
            _ => None,
        })
    }

    /// Adds a condition unless one of its type exists (a Job's conditions are never replaced).
    pub(crate) fn add_condition(
        &mut self,
        kind: &str,
        reason: &str,
        message: &str,
        time_ns: SimTime,
    ) {
        if self.condition(kind).is_some() {
            return;
        }
        self.conditions.push(JobCondition {
            kind: kind.into(),
            reason: reason.into(),
            message: message.into(),
            time_ns,
        });
    }
}

/// A Job's pods as its controller counts them on a sync: active (not finished and not being
/// deleted), ready among those, and terminating (being deleted, not yet gone); and the active
/// ones no DELETE was sent for yet (a sync that deletes the active pods need not walk them
/// again while their DELETEs are on their way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LiveCounts {
    pub active: u32,
    pub ready: u32,
    pub terminating: u32,
    pub active_undeleted: u32,
}

impl LiveCounts {
    /// One pod's share of its Job's counts; `delete_requested`: a client sent a DELETE for
    /// it that has not landed (`control::gc::DeleteRequests`).
    pub(crate) fn of(p: &PodObj, delete_requested: bool) -> LiveCounts {
        let active = p.deletion_ns.is_none() && !p.phase.terminal();
        LiveCounts {
            active: active as u32,
            ready: (active && p.ready) as u32,
            terminating: (p.deletion_ns.is_some() && !p.removed) as u32,
            active_undeleted: (active && !delete_requested) as u32,
        }
    }

    pub(crate) fn add(&mut self, o: LiveCounts) {
        self.active += o.active;
        self.ready += o.ready;
        self.terminating += o.terminating;
        self.active_undeleted += o.active_undeleted;
    }

    /// Takes one pod's share away. A count below zero means a pod left a state it was never
    /// counted in: a bug in the caller, stopped here, where it happens, in every build.
    pub(crate) fn sub(&mut self, o: LiveCounts) {
        let take = |count: &mut u32, by: u32, what: &str| {
            *count = count.checked_sub(by).unwrap_or_else(|| {
                panic!("internal error: a Job's {what} pod count went below zero")
            });
        };
        take(&mut self.active, o.active, "active");
        take(&mut self.ready, o.ready, "ready");
        take(&mut self.terminating, o.terminating, "terminating");
        take(
            &mut self.active_undeleted,
            o.active_undeleted,
            "active undeleted",
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl PodPhase {
    pub(crate) fn terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PodObj {
    /// The random part of the pod's name (`<job>-<index>-<suffix>`), which `Sim::pod_name`
    /// spells out when a name is shown: most pods' names are never read, and building one
    /// per pod was a measurable share of long runs.
    pub suffix: [u8; 5],
    pub job: JobId,
    pub index: u32,
    pub shape: ShapeId,
    pub phase: PodPhase,
    pub node: Option<NodeId>,
    pub ready: bool,
    /// The API create has returned: the pod exists for other components.
    pub created: bool,
    pub deletion_ns: MaybeTime,
    pub removed: bool,
    /// The last scheduling cycle found no node (reason Unschedulable): the `PodScheduled`
    /// condition's message is kept beside the arena (`Sim::last_unschedulable`), set on few
    /// of a long run's pods.
    pub unschedulable: bool,
    pub created_at_ns: SimTime,
    /// Container restarts in place (`restartPolicy: OnFailure`).
    pub restart_count: u32,
    /// The last non-zero exit: (container name id in `Sim::container_names`, exit code).
    pub last_exit: Option<(u16, i32)>,
    /// The `DisruptionTarget` condition, the only pod condition podFailurePolicy can match
    /// that the simulation sets (taint eviction, the Eviction API, PodGC, the placement
    /// webhook). A flag, not a list: a million pods in a long run each carried an empty one.
    pub disruption_target: bool,
    /// `jobset.sigs.k8s.io/in-place-restart-attempt`, written by the in-place restart agent.
    pub in_place_attempt: Option<i32>,
    /// When the bind call returned (the `PodScheduled` condition's lastTransitionTime).
    pub bound_at_ns: MaybeTime,
    /// `metadata.finalizers`: the Job controller's tracking finalizer, which the API server
    /// reads to keep a deleted pod's object.
    pub tracking_finalizer: TrackingFinalizer,
}

/// The Job controller's tracking finalizer (`batch.kubernetes.io/job-tracking`) in a pod's
/// `metadata.finalizers`: every pod of a Job is created with it, and the controller's PATCH
/// removes it once it has accounted the pod. While it is on, the API server keeps a deleted
/// pod's object. One byte: the pod slot has exactly one to spare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackingFinalizer {
    /// On the pod.
    On,
    /// On the pod, whose deletion is otherwise done (the kubelet's last DELETE with grace
    /// period 0, or PodGC's force-delete): the object goes with the finalizer.
    HoldsRemoval,
    /// Removed by the Job controller's PATCH.
    Removed,
}

impl PodObj {
    /// A pod as its create sends it (`suffix`: the generated name's), returning at
    /// `created_at_ns`: pending, unbound, not yet visible to other components.
    pub(crate) fn new_pending(
        suffix: [u8; 5],
        job: JobId,
        index: u32,
        shape: ShapeId,
        created_at_ns: SimTime,
    ) -> PodObj {
        PodObj {
            suffix,
            job,
            index,
            shape,
            phase: PodPhase::Pending,
            node: None,
            ready: false,
            created: false,
            deletion_ns: MaybeTime::NONE,
            removed: false,
            unschedulable: false,
            created_at_ns,
            restart_count: 0,
            last_exit: None,
            disruption_target: false,
            in_place_attempt: None,
            bound_at_ns: MaybeTime::NONE,
            // Upstream's Job controller creates every pod with it.
            tracking_finalizer: TrackingFinalizer::On,
        }
    }

    /// The tracking finalizer is still on the pod (its removal PATCH has not returned).
    pub(crate) fn holds_tracking_finalizer(&self) -> bool {
        self.tracking_finalizer != TrackingFinalizer::Removed
    }
}

/// Tests only: a created, pending, unbound pod of Job 0 with completion index `index`.
#[cfg(test)]
impl PodObj {
    pub(crate) fn pending_for_test(index: u32) -> PodObj {
        PodObj {
            created: true,
            ..PodObj::new_pending(*b"abcde", 0, index, 0, 0)
        }
    }
}

// Each pod that exists holds a slot of the pod store (`Sim::pods`): up to about 4,100 at once
// in llama3-54d, up to the cluster's capacity in the recoveries.
const _: () = assert!(std::mem::size_of::<PodObj>() == 80);

/// A time that may be unset, in one word instead of `Option<SimTime>`'s two: every pod ever
/// created keeps two of them in the arena (886k pods in llama3-54d). `u64::MAX` stands for
/// unset; no simulated time reaches it (`MaybeTime::at` refuses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MaybeTime(SimTime);

impl MaybeTime {
    pub(crate) const NONE: MaybeTime = MaybeTime(SimTime::MAX);

    pub(crate) fn at(t: SimTime) -> MaybeTime {
        assert_ne!(t, SimTime::MAX, "internal error: a time at the end of time");
        MaybeTime(t)
    }

    pub(crate) fn get(self) -> Option<SimTime> {
        (self.0 != SimTime::MAX).then_some(self.0)
    }

    pub(crate) fn is_some(self) -> bool {
        self.0 != SimTime::MAX
    }

    pub(crate) fn is_none(self) -> bool {
        self.0 == SimTime::MAX
    }

    pub(crate) fn unwrap_or(self, default: SimTime) -> SimTime {
        self.get().unwrap_or(default)
    }
}

#[cfg(test)]
impl JobObj {
    /// An Indexed Job of `completions` pods, all run at once, as a unit test starts from.
    pub(crate) fn for_tests(completions: u32) -> JobObj {
        JobObj {
            name: "j".into(),
            jobset: 0,
            rj: 0,
            job_index: 0,
            restart_attempt: 0,
            job_restart_attempt: None,
            suspended: false,
            spec: Default::default(),
            parallelism: completions,
            completions,
            backoff_limit: 0,
            succeeded_index: vec![false; completions as usize],
            succeeded: 0,
            failed: 0,
            conditions: vec![],
            deletion_ns: None,
            created_at_ns: 0,
            status_active: 0,
            status_ready: 0,
            index_failed: vec![false; completions as usize],
            start_time_ns: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_with(conditions: &[&str]) -> JobObj {
        let mut job = JobObj::for_tests(1);
        for c in conditions {
            job.add_condition(c, "", "", 0);
        }
        job
    }

    #[test]
    #[should_panic(expected = "a Job's ready pod count went below zero")]
    fn live_counts_never_go_below_zero() {
        let mut counts = LiveCounts {
            active: 1,
            ..LiveCounts::default()
        };
        counts.sub(LiveCounts {
            active: 1,
            ready: 1,
            ..LiveCounts::default()
        });
    }

    /// A `MaybeTime` answers as the `Option<SimTime>` it replaces, time 0 included.
    #[test]
    fn maybe_time_answers_as_an_option() {
        for t in [None, Some(0), Some(1), Some(SimTime::MAX - 1)] {
            let m = t.map_or(MaybeTime::NONE, MaybeTime::at);
            assert_eq!(m.get(), t);
            assert_eq!(m.is_some(), t.is_some());
            assert_eq!(m.is_none(), t.is_none());
            assert_eq!(m.unwrap_or(7), t.unwrap_or(7));
        }
    }

    #[test]
    #[should_panic(expected = "a time at the end of time")]
    fn maybe_time_refuses_its_unset_value() {
        MaybeTime::at(SimTime::MAX);
    }

    /// Mirrors TestIsJobFinished (§9.2 #1): only Complete or Failed finish a Job.
    #[test]
    fn only_complete_or_failed_finish_a_job() {
        assert_eq!(job_with(&["Complete"]).finished(), Some("Complete"));
        assert_eq!(job_with(&["Failed"]).finished(), Some("Failed"));
        assert_eq!(
            job_with(&["FailureTarget", "Failed"]).finished(),
            Some("Failed")
        );
        assert_eq!(job_with(&["Suspended"]).finished(), None);
        assert_eq!(job_with(&["FailureTarget"]).finished(), None);
        assert_eq!(job_with(&["SuccessCriteriaMet"]).finished(), None);
    }
}

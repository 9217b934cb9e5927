//! What a run observes: one row per pod state change (for `events.csv`) and the counters the
//! summary reports. Rows hold ids; names are resolved once, when the report is written.

pub(crate) mod api_calls;
pub(crate) mod events_csv;
pub(crate) mod failed_scheduling;
pub(crate) mod faults;
pub(crate) mod kueue;
pub(crate) mod objects;
pub(crate) mod pod_status;
pub(crate) mod recoveries;
pub(crate) mod status_log;
pub(crate) mod timeline;

use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::sim::objects::{JobId, JsId, PodId, PodPhase};
use crate::sim::pod_change::{PodBefore, PodChange};
use crate::sim::Sim;

#[derive(Debug, Clone)]
pub(crate) struct PodEventRow {
    pub time_ns: SimTime,
    /// Read by tests only: `calibrate` reads the Job.
    #[cfg_attr(not(test), allow(dead_code))]
    pub pod: PodId,
    /// The pod's Job: a kept row outlives the pod, whose slot a later pod takes
    /// (`sim::pod_store`).
    pub job: JobId,
    pub node: Option<NodeId>,
    pub state: PodState,
    pub reason: String,
}

/// Declares `PodState` with its `ALL` list and names from one list of variants, so a new
/// state is in `ALL` (and so checked against `docs/metrics.md` by `src/tests/docs_drift.rs`).
macro_rules! pod_states {
    ($($(#[$doc:meta])* $state:ident),* $(,)?) => {
        /// The `state` column of `events.csv`: what happened to a pod.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum PodState {
            $($(#[$doc])* $state),*
        }

        impl PodState {
            #[cfg(test)]
            pub(crate) const ALL: &'static [PodState] = &[$(PodState::$state),*];

            /// The name written in `events.csv`.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(PodState::$state => stringify!($state)),*
                }
            }
        }
    };
}

/// Rows compare with their `events.csv` name, as tests and tools read them.
impl PartialEq<&str> for PodState {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

impl std::fmt::Display for PodState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pod_states! {
    /// The pod create call returned.
    Created,
    /// A scheduling attempt found no node.
    Unschedulable,
    /// The bind call returned.
    Scheduled,
    /// The kubelet started the containers (or restarted one in place).
    Running,
    /// The readiness probe passed.
    Ready,
    /// The main container exited 0.
    Succeeded,
    /// A fault ended the main container.
    Fault,
    /// The pod failed.
    Failed,
    /// The kubelet restarts the container in place.
    ContainerRestart,
    /// The pod was deleted; containers are stopping.
    Terminating,
    /// The pod object is gone.
    Deleted,
}

/// A global JobSet restart, as the failure policy decided it.
#[derive(Debug, Clone)]
pub(crate) struct RestartRecord {
    pub jobset: crate::sim::objects::JsId,
    /// The new attempt (`status.restarts` after the restart).
    pub attempt: i32,
    /// The container failure that started it all.
    pub failed_at_ns: SimTime,
    /// When the JobSet controller applied the restart.
    pub decided_at_ns: SimTime,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct AttemptTimes {
    /// When the attempt's first pod was created (the report reads no other create time).
    pub first_created: Option<SimTime>,
    pub scheduled: Vec<SimTime>,
    pub running: Vec<SimTime>,
}

/// The `AttemptTimes` of each (JobSet, restart attempt) with a restart record, by JobSet
/// and attempt number: a JobSet's attempts count up from 0 one by one, so a table per JobSet
/// answers the look-up on three state changes of every pod with two array reads (a hash map
/// probed its table, cold by then, on each).
#[derive(Debug, Default, Clone)]
pub(crate) struct AttemptBook {
    by_jobset: Vec<Vec<Option<AttemptTimes>>>,
}

impl AttemptBook {
    /// The times of (`js`, `attempt`), kept from now on.
    pub(crate) fn open(&mut self, js: crate::sim::objects::JsId, attempt: i32) {
        // Attempts are `status.restarts`, counted up from 0.
        let a = usize::try_from(attempt).expect("internal error: a negative restart attempt");
        let js = js as usize;
        if self.by_jobset.len() <= js {
            self.by_jobset.resize_with(js + 1, Vec::new);
        }
        let attempts = &mut self.by_jobset[js];
        if attempts.len() <= a {
            attempts.resize_with(a + 1, || None);
        }
        attempts[a].get_or_insert_with(Default::default);
    }

    /// The times of (`js`, `attempt`) if they are kept.
    pub(crate) fn get(&self, js: crate::sim::objects::JsId, attempt: i32) -> Option<&AttemptTimes> {
        let attempts = self.by_jobset.get(js as usize)?;
        attempts.get(usize::try_from(attempt).ok()?)?.as_ref()
    }

    fn get_mut(
        &mut self,
        js: crate::sim::objects::JsId,
        attempt: i32,
    ) -> Option<&mut AttemptTimes> {
        let attempts = self.by_jobset.get_mut(js as usize)?;
        attempts.get_mut(usize::try_from(attempt).ok()?)?.as_mut()
    }
}

/// A behaviour of the modelled upstream JobSet version that breaks what its users expect,
/// reported as a finding of the run (`summary.json` `upstream_behaviours`) rather than as the
/// simulator failing. One record per (kind, Job, domain); `count` adds up its occurrences.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamBehaviour {
    pub first_ns: SimTime,
    pub kind: &'static str,
    pub jobset: String,
    pub job: String,
    pub domain: String,
    pub count: u64,
    pub message: String,
}

/// One fault that happened: when, which injector (index into `scenario.faults`), its cause or
/// effect, and the first node it took.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FaultMark {
    pub time_ns: SimTime,
    pub injector: u16,
    pub cause: String,
    pub node: Option<crate::cluster::NodeId>,
}

/// Pod created → bound of every pod bound, in microseconds (HdrHistogram, 3 significant
/// digits), added when each bind returns so that no report reads a pod after it is gone
/// (`report::distributions::scheduling_latency` reads it). A histogram's counts, mean,
/// percentiles and max do not depend on the order values arrive in: this equals the walk over
/// every pod ever bound at the end that it replaces.
#[derive(Debug, Clone)]
pub(crate) struct SchedulingLatency {
    pub micros: hdrhistogram::Histogram<u64>,
}

impl SchedulingLatency {
    pub(crate) const UNIT_S: f64 = 1e-6;

    pub(crate) fn add_pod(&mut self, created_ns: SimTime, bound_ns: SimTime) {
        let v = crate::engine::time::to_secs(bound_ns.saturating_sub(created_ns));
        if v.is_finite() && v >= 0.0 {
            // The histogram grows to fit (auto-resize); nothing is clamped.
            let _ = self.micros.record((v / Self::UNIT_S).round() as u64);
        }
    }
}

impl Default for SchedulingLatency {
    fn default() -> Self {
        SchedulingLatency {
            micros: hdrhistogram::Histogram::new(3).expect("3 significant digits is valid"),
        }
    }
}

/// Every pod created for a JobSet, by where it ended (`record.json`'s `jobsets[].pods`); the
/// five counts add up to `created`.
#[derive(Debug, Default, serde::Serialize, PartialEq)]
pub(crate) struct PodsByFinalStatus {
    pub created: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Deleted (gone, or terminating at the end) before it finished: a restart's teardown.
    pub deleted_unfinished: u64,
    pub running_at_end: u64,
    pub pending_at_end: u64,
}

impl PodsByFinalStatus {
    pub(crate) fn add(&mut self, o: &PodsByFinalStatus) {
        self.created += o.created;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.deleted_unfinished += o.deleted_unfinished;
        self.running_at_end += o.running_at_end;
        self.pending_at_end += o.pending_at_end;
    }
}

/// One created pod counted: at its removal, or at the end if it still exists.
pub(crate) fn count_pod(counts: &mut PodsByFinalStatus, p: &crate::sim::objects::PodObj) {
    counts.created += 1;
    *final_status(counts, p) += 1;
}

/// The one count of `counts` a pod ends in.
fn final_status<'a>(
    counts: &'a mut PodsByFinalStatus,
    p: &crate::sim::objects::PodObj,
) -> &'a mut u64 {
    match p.phase {
        PodPhase::Succeeded => &mut counts.succeeded,
        PodPhase::Failed => &mut counts.failed,
        _ if p.removed || p.deletion_ns.is_some() => &mut counts.deleted_unfinished,
        PodPhase::Running => &mut counts.running_at_end,
        PodPhase::Pending => &mut counts.pending_at_end,
    }
}

#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub rows: Vec<PodEventRow>,
    pub restarts: Vec<RestartRecord>,
    pub pods_created: u64,
    pub pods_scheduled: u64,
    pub pods_succeeded: u64,
    pub pods_failed: u64,
    pub jobs_created: u64,
    /// JobSet reconciles run.
    pub jobset_reconciles: u64,
    /// The API calls the controllers' clients sent, by client and kind.
    pub api_calls: api_calls::ApiCalls,
    /// Pod creates denied by the JobSet validating webhook (followers before their leader).
    pub pod_creates_rejected: u64,
    /// Pod creates refused with AlreadyExists: every generated name was held by a live pod.
    pub pod_create_name_conflicts: u64,
    /// Nodes taken out of the pool by a fault: (time, node).
    pub node_failures: Vec<(SimTime, NodeId)>,
    /// Nodes back from repair or maintenance: (time, node).
    pub node_repairs: Vec<(SimTime, NodeId)>,
    /// Pod-level faults that hit a running pod (pod injectors, software faults on a node).
    pub pod_faults: Vec<SimTime>,
    /// Every fault as the fault table counts it (`faults[].faults`): one per fault that
    /// happened, whatever it hit, for the timeline's markers.
    pub faults: Vec<FaultMark>,
    /// Every JobSet and Job state change (conditions, failure-policy actions, creations,
    /// deletions).
    pub status_log: status_log::StatusLog,
    /// One record per interruption of a JobSet and its recovery.
    pub recoveries: recoveries::Recoveries,
    /// kube-scheduler's FailedScheduling Events, counted per JobSet and reason (`record.json`).
    pub(crate) failed_scheduling: failed_scheduling::FailedScheduling,
    /// Kueue's ClusterQueues over time (empty without Kueue).
    pub kueue: kueue::KueueSeries,
    /// Keep every row (for events.csv). Off, only the counters and the recovery times are kept.
    pub record_rows: bool,
    /// `events.csv` written as the run goes (`run --out`): each row is formatted and written
    /// when it happens, none is kept.
    pub events_out: Option<Box<events_csv::EventsCsv>>,
    /// Per (JobSet, restart attempt) with a restart record: when each pod of the attempt was
    /// first created, bound and running.
    pub attempt_times: AttemptBook,
    /// Upstream behaviours the run went through, in the order they first happened.
    pub upstream_behaviours: Vec<UpstreamBehaviour>,
    /// (kind, Job, domain) -> index in `upstream_behaviours`.
    upstream_index: std::collections::BTreeMap<(&'static str, JobId, String), usize>,
    /// Followers placed where the modelled upstream version puts them although their Job's
    /// leader is elsewhere (v0.12.0: placed from a finished leader, or left unrepaired when
    /// the leader moved): noted once each, and left aside by the exclusive-domain invariant.
    upstream_misplaced: std::collections::BTreeSet<PodId>,
    /// Pods that exist now in phase Pending (bound or not) and Running: kept as pods change
    /// phase, so the timeline never scans every pod.
    pub pods_pending_now: u64,
    pub pods_running_now: u64,
    /// Per Job (by id): when a pod of it first and last failed (`first_failure_ns`,
    /// `last_failure_ns`).
    first_failure_ns: Vec<Option<SimTime>>,
    last_failure_ns: Vec<SimTime>,
    /// Per JobSet (by id): when the status write that made it terminal landed (the reports'
    /// finish time; no field of the JobSet object).
    jobset_finished_ns: Vec<Option<SimTime>>,
    /// Per Job (by id): when its object went (`record.json`'s `deleted_at_s`; upstream the
    /// object is simply gone, so no field of it).
    job_removed_ns: Vec<Option<SimTime>>,
    /// Per pod (by id): states already reached once (bits: created, scheduled, running), for
    /// the recovery report's attempt times.
    seen_states: Vec<u8>,
    /// Pod created → bound of every pod bound so far (`summary.json`'s distributions).
    pub(crate) scheduling_latency: SchedulingLatency,
    /// Per JobSet (by id): the pods created for it that are gone, by how they ended
    /// (`record.json`'s `pods`), counted at removal so the report walks only the pods that
    /// exist at the end.
    pub(crate) removed_pods: Vec<PodsByFinalStatus>,
}

impl Recorder {
    /// A recorder that keeps every row (for events.csv).
    pub(crate) fn keeping_rows() -> Self {
        Recorder {
            record_rows: true,
            status_log: status_log::StatusLog {
                keep_job_rows: true,
                ..Default::default()
            },
            ..Recorder::default()
        }
    }

    /// When a pod of this Job first failed (a non-zero exit, an eviction, its node dying, or
    /// its Job counting it failed): where a restart's recovery starts.
    pub(crate) fn first_failure_ns(&self, job: JobId) -> Option<SimTime> {
        self.first_failure_ns.get(job as usize).copied().flatten()
    }

    /// When a pod of this Job last failed: the failure a Job failure (backoffLimit exceeded,
    /// a pod failure policy) follows from.
    pub(crate) fn last_failure_ns(&self, job: JobId) -> Option<SimTime> {
        self.first_failure_ns(job)?;
        self.last_failure_ns.get(job as usize).copied()
    }

    /// Counts one occurrence of an upstream behaviour; the first one of its (kind, Job,
    /// domain) makes the record, with `describe` giving its JobSet, Job and message.
    pub(crate) fn note_upstream_behaviour(
        &mut self,
        now: SimTime,
        kind: &'static str,
        job: JobId,
        domain: &str,
        describe: impl FnOnce() -> (String, String, String),
    ) {
        let key = (kind, job, domain.to_string());
        if let Some(&i) = self.upstream_index.get(&key) {
            self.upstream_behaviours[i].count += 1;
            return;
        }
        let (jobset, job_name, message) = describe();
        self.upstream_index
            .insert(key, self.upstream_behaviours.len());
        self.upstream_behaviours.push(UpstreamBehaviour {
            first_ns: now,
            kind,
            jobset,
            job: job_name,
            domain: domain.to_string(),
            count: 1,
            message,
        });
    }

    /// A follower of `job` placed in `domain` where the modelled upstream version puts it,
    /// away from its leader: marked, and counted as an occurrence of the behaviour `kind`.
    pub(crate) fn note_upstream_misplaced(
        &mut self,
        pod: PodId,
        now: SimTime,
        kind: &'static str,
        job: JobId,
        domain: &str,
        describe: impl FnOnce() -> (String, String, String),
    ) {
        self.upstream_misplaced.insert(pod);
        self.note_upstream_behaviour(now, kind, job, domain, describe);
    }

    /// `pod` was noted upstream-misplaced (`note_upstream_misplaced`).
    pub(crate) fn upstream_misplaced(&self, pod: PodId) -> bool {
        self.upstream_misplaced.contains(&pod)
    }

    fn note_failure(&mut self, job: JobId, now: SimTime) {
        if self.first_failure_ns.len() <= job as usize {
            self.first_failure_ns.resize(job as usize + 1, None);
            self.last_failure_ns.resize(job as usize + 1, 0);
        }
        self.first_failure_ns[job as usize].get_or_insert(now);
        self.last_failure_ns[job as usize] = now;
    }
}

/// The `events.csv` row a pod change makes, if any: (state, reason).
fn row_of(change: PodChange<'_>, created: bool) -> Option<(PodState, std::borrow::Cow<'_, str>)> {
    use std::borrow::Cow;
    Some(match change {
        PodChange::Created => (PodState::Created, Cow::Borrowed("")),
        PodChange::Bound { .. } => (PodState::Scheduled, Cow::Borrowed("")),
        PodChange::Running => (PodState::Running, Cow::Borrowed("")),
        PodChange::Ready => (PodState::Ready, Cow::Borrowed("")),
        PodChange::ContainerStarted { restart: Some(n) } => {
            (PodState::Running, Cow::Owned(format!("restart {n}")))
        }
        PodChange::Restarting { reason } => (PodState::ContainerRestart, Cow::Borrowed(reason)),
        PodChange::Finished { phase, reason, .. } => (
            if phase == PodPhase::Succeeded {
                PodState::Succeeded
            } else {
                PodState::Failed
            },
            Cow::Borrowed(reason),
        ),
        PodChange::Deleting { reason, .. } => (PodState::Terminating, Cow::Borrowed(reason)),
        PodChange::Removed if created => (PodState::Deleted, Cow::Borrowed("")),
        _ => return None,
    })
}

/// Changes the pod observer counts nothing for and writes no row of: readiness with the
/// container's start, a start that is no restart, the worker's start, a `DisruptionTarget`
/// condition. None changes the phase, the creation, the removal or the node, which the
/// counts read, and `row_of` has no row for them; `counted_failed` is the Job's count.
fn moves_no_pod_count(change: PodChange<'_>, counted_failed: bool) -> bool {
    !counted_failed
        && matches!(
            change,
            PodChange::ReadyAtStart
                | PodChange::ContainerStarted { restart: None }
                | PodChange::WorkerStarted
                | PodChange::DisruptionTarget
        )
}

/// The back-off of a `ContainerRestart` row's reason (`Error: exit code 1; restart 2 after
/// back-off 10s`), as the kubelet wrote it.
fn restart_backoff_ns(reason: &str) -> Option<SimTime> {
    let secs = reason.rsplit("after back-off ").next()?.strip_suffix('s')?;
    secs.parse::<u64>()
        .ok()
        .map(|s| s * crate::engine::time::NS_PER_S)
}

impl Sim {
    /// The metrics observer of pod changes (`sim::pod_change`): the live and total counts,
    /// each Job's first failure, and the row for `events.csv`.
    /// `counted_failed`: the Job's informer counted the pod failed with this change.
    ///
    /// Inlined, so that a watcher's call with a change it skips (`moves_no_pod_count`)
    /// costs nothing: three come with every pod's start.
    #[inline]
    pub(crate) fn observe_pod(
        &mut self,
        pod: PodId,
        before: &PodBefore,
        change: PodChange,
        counted_failed: bool,
    ) {
        if moves_no_pod_count(change, counted_failed) {
            debug_assert!(
                {
                    let p = &self.pods[pod as usize];
                    before.phase == p.phase
                        && before.created == p.created
                        && before.visible == (p.created && !p.removed)
                        && before.node == p.node
                },
                "a change the observer skips moved a count"
            );
            return;
        }
        self.count_pod_change(pod, before, change, counted_failed);
    }

    /// `observe_pod` for a change that may move a count or write a row.
    fn count_pod_change(
        &mut self,
        pod: PodId,
        before: &PodBefore,
        change: PodChange,
        counted_failed: bool,
    ) {
        let now = self.now();
        let p = &self.pods[pod as usize];
        let rec = &mut self.rec;
        if before.visible {
            match before.phase {
                PodPhase::Pending => rec.pods_pending_now -= 1,
                PodPhase::Running => rec.pods_running_now -= 1,
                _ => {}
            }
        }
        if p.created && !p.removed {
            match p.phase {
                PodPhase::Pending => rec.pods_pending_now += 1,
                PodPhase::Running => rec.pods_running_now += 1,
                _ => {}
            }
        }
        rec.pods_created += (!before.created && p.created) as u64;
        rec.pods_scheduled += (before.node.is_none() && p.node.is_some()) as u64;
        rec.pods_succeeded +=
            (before.phase != PodPhase::Succeeded && p.phase == PodPhase::Succeeded) as u64;
        rec.pods_failed += counted_failed as u64;
        if counted_failed || matches!(change, PodChange::ContainerStopped { failed: true }) {
            rec.note_failure(p.job, now);
        }
        match change {
            // A pod binds once (`nodeName` cannot change upstream; only a unit test binds a
            // pod again, to stand for a new leader).
            PodChange::Bound { .. } if before.node.is_none() => {
                rec.scheduling_latency.add_pod(p.created_at_ns, now);
            }
            PodChange::Removed if p.created => {
                let js = self.store.jobs[p.job as usize].jobset as usize;
                if rec.removed_pods.len() <= js {
                    rec.removed_pods.resize_with(js + 1, Default::default);
                }
                count_pod(&mut rec.removed_pods[js], p);
            }
            _ => {}
        }
        if let Some((state, reason)) = row_of(change, p.created) {
            self.record(pod, state, &reason);
        }
    }

    /// The metrics observer of a failed scheduling attempt (one FailedScheduling Event):
    /// counted per JobSet and reason of the verdict. `first` when the pod had not failed
    /// to schedule before.
    pub(crate) fn observe_failed_scheduling(
        &mut self,
        pod: PodId,
        first: bool,
        verdict: &crate::scheduler::filter::Diagnosis,
    ) {
        let js = self.store.jobs[self.pods[pod as usize].job as usize].jobset;
        self.rec
            .failed_scheduling
            .attempt_failed(js, first, verdict.reasons.keys());
        // The reason naming the most nodes (the first by text among equals).
        let top = verdict
            .reasons
            .iter()
            .fold(None, |best: Option<(&String, usize)>, (r, &n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((r, n)),
            });
        if let Some((reason, _)) = top {
            let now = self.now();
            self.rec.recoveries.unschedulable(now, js, reason);
        }
    }

    /// What a pod state change means for its JobSet's recovery record.
    fn observe_recovery(&mut self, pod: PodId, js: JsId, state: PodState, reason: &str) {
        let now = self.now();
        let r = &mut self.rec.recoveries;
        match state {
            PodState::Created => r.pod_created(now, js),
            PodState::Scheduled => r.pod_bound(now, js, pod),
            PodState::Fault => r.interrupted(now, js, pod, reason),
            PodState::Failed | PodState::ContainerRestart => {
                // The exit itself, without the kubelet's back-off note.
                let cause = reason.split(';').next().unwrap_or(reason);
                r.interrupted(now, js, pod, cause);
                r.detected(now, js);
                if state == PodState::Failed {
                    r.pod_unbound(now, js, pod);
                } else {
                    r.container_restart(js, restart_backoff_ns(reason));
                    if self.in_place_enabled(js) {
                        self.rec.recoveries.in_place_restart(js);
                    }
                }
            }
            PodState::Terminating => {
                if reason == "DeletionByTaintManager" || reason == "EvictionByEvictionAPI" {
                    r.interrupted(now, js, pod, reason);
                    r.detected(now, js);
                    if reason == "DeletionByTaintManager" {
                        r.taint_deletion(js);
                    }
                }
                r.pod_unbound(now, js, pod);
            }
            PodState::Succeeded => r.pod_unbound(now, js, pod),
            PodState::Deleted => r.pod_deleted(now, js, pod),
            _ => {}
        }
    }

    /// Records a pod state change at the current time (the reason is copied only when rows
    /// are kept). Only the observers of this module write rows.
    fn record(&mut self, pod: PodId, state: PodState, reason: &str) {
        // The first time a pod of a restarted attempt is created, bound, running: for the
        // recovery report, kept as the run goes so it needs no stored rows.
        let bit = match state {
            PodState::Created => 1,
            PodState::Scheduled => 2,
            PodState::Running => 4,
            _ => 0,
        };
        let now = self.now();
        // The pod's and its Job's fields, read once: the store maps the pod's serial to its
        // slot on every read.
        let p = &self.pods[pod as usize];
        let (job, node) = (p.job, p.node);
        let (js, attempt) = {
            let j = &self.store.jobs[job as usize];
            (j.jobset, j.restart_attempt)
        };
        self.observe_recovery(pod, js, state, reason);
        let seen = &mut self.rec.seen_states;
        if bit != 0 && seen.len() <= pod as usize {
            seen.resize(pod as usize + 1, 0);
        }
        if bit != 0 && seen[pod as usize] & bit == 0 {
            seen[pod as usize] |= bit;
            if let Some(t) = self.rec.attempt_times.get_mut(js, attempt) {
                match bit {
                    1 => {
                        t.first_created.get_or_insert(now);
                    }
                    2 => t.scheduled.push(now),
                    _ => t.running.push(now),
                }
            }
        }
        if let Some(mut out) = self.rec.events_out.take() {
            out.row(self, now, pod, node, state.as_str(), reason);
            self.rec.events_out = Some(out);
        }
        if !self.rec.record_rows {
            return;
        }
        self.rec.rows.push(PodEventRow {
            time_ns: now,
            pod,
            job,
            node,
            state,
            reason: reason.to_string(),
        });
    }
}

impl Recorder {
    /// When JobSet `js` became terminal (its status write with a terminal state landed).
    pub(crate) fn jobset_finished_ns(&self, js: JsId) -> Option<SimTime> {
        self.jobset_finished_ns.get(js as usize).copied().flatten()
    }

    /// When Job `j`'s object was removed; None while it exists.
    pub(crate) fn job_removed_ns(&self, j: JobId) -> Option<SimTime> {
        self.job_removed_ns.get(j as usize).copied().flatten()
    }

    pub(super) fn note_job_removed(&mut self, now_ns: SimTime, j: JobId) {
        let i = j as usize;
        if self.job_removed_ns.len() <= i {
            self.job_removed_ns.resize(i + 1, None);
        }
        debug_assert!(self.job_removed_ns[i].is_none(), "a Job is removed once");
        self.job_removed_ns[i] = Some(now_ns);
    }

    fn note_jobset_finished(&mut self, now_ns: SimTime, js: JsId) {
        let i = js as usize;
        if self.jobset_finished_ns.len() <= i {
            self.jobset_finished_ns.resize(i + 1, None);
        }
        self.jobset_finished_ns[i] = Some(now_ns);
    }
}

//! One recovery record per interruption of a JobSet, whatever repairs it (docs/metrics.md,
//! "Interruptions and recoveries"). An observer: it is told of pod, Job, node and policy
//! changes where they happen and never changes the simulation.
//!
//! An interruption opens when a pod of the JobSet stops involuntarily (a fault, a non-zero
//! exit, an eviction, its node failing or drained) and no record of the JobSet is open; later
//! failures join the open record. It is recovered when every pod the JobSet runs at once is
//! running again. A later repair of the same failure — its Job failing on that pod failure
//! after the kubelet had restarted the container, then the failure policy acting — continues
//! the record rather than opening a second one.

use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::sim::objects::JsId;

/// Per-pod flags kept by the observer.
const BOUND: u8 = 1;
/// The pod's interruption is already counted (cleared when it runs again or goes).
const HIT: u8 = 2;
/// The pod's main container runs now.
const RUNNING: u8 = 4;
/// Progress steps kept per record at most: enough for a smooth curve on a 1,000-pixel chart,
/// small enough that thousands of records (weeks of training) stay a few MB.
const MAX_PROGRESS_STEPS: usize = 256;

/// A recovery's progress at one instant: pods created since the failure, the JobSet's pods
/// bound and running now (for `recovery.svg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProgressStep {
    /// Time since the record's failure.
    pub offset_ns: u64,
    pub created: u32,
    pub scheduled: u32,
    pub running: u32,
}

/// A record's progress as a bounded step list, appended only on change. When the list is
/// full every other step goes and the spacing doubles, so a long recovery keeps an even
/// outline of at most `MAX_PROGRESS_STEPS` steps; the latest state is always kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Progress {
    steps: Vec<ProgressStep>,
    /// A change closer than this to the last kept step only updates `latest`.
    min_gap_ns: u64,
    latest: Option<ProgressStep>,
}

impl Progress {
    fn note(&mut self, step: ProgressStep) {
        let Some(last) = self.steps.last_mut() else {
            self.steps.push(step);
            return;
        };
        if step.offset_ns == last.offset_ns {
            *last = step;
        } else if step.offset_ns >= last.offset_ns + self.min_gap_ns {
            if self.steps.len() == MAX_PROGRESS_STEPS {
                self.thin();
            }
            self.steps.push(step);
            self.latest = None;
        } else {
            self.latest = Some(step);
        }
    }

    /// Keeps every other step (the first included) and doubles the spacing of new ones.
    fn thin(&mut self) {
        let mut i = 0;
        self.steps.retain(|_| {
            i += 1;
            i % 2 == 1
        });
        let span_ns = self.steps.last().map_or(0, |s| s.offset_ns);
        let even_ns = span_ns / (MAX_PROGRESS_STEPS as u64 / 2);
        self.min_gap_ns = (self.min_gap_ns * 2).max(even_ns).max(1);
    }

    /// The kept steps in time order, the latest state last.
    pub(crate) fn steps(&self) -> impl Iterator<Item = &ProgressStep> {
        self.steps.iter().chain(self.latest.iter())
    }
}

/// What broke.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cause {
    /// The fault injector (index into `scenario.faults`), or None for a workload's own exit.
    pub injector: Option<u16>,
    /// The injector's cause or effect, or the container's exit (`exit code 1`).
    pub cause: String,
    /// The first node hit, and how many nodes the fault took (a domain fault takes several).
    pub node: Option<NodeId>,
    pub nodes: u32,
}

/// Where the recovery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Open,
    Recovered,
    /// The JobSet became terminal (Failed or Completed) before all its pods ran again.
    JobSetFinished,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub jobset: JsId,
    pub state: State,
    pub broke: Cause,
    /// Failures folded into this record (the first one included).
    pub failures: u32,
    /// Pods interrupted.
    pub pods_hit: u64,
    last_hit_ns: SimTime,
    /// The failure policy's rule (None: default action or no policy) and action, of its last
    /// decision while open; how many decisions (restarts) the record saw, and the last one's
    /// cause.
    pub rule: Option<String>,
    pub decisions: u32,
    pub last_decision_cause: String,
    pub action: Option<String>,
    /// The JobSet's terminal state when it ended the record.
    pub finished_as: Option<String>,
    pub failed_ns: SimTime,
    /// The control plane saw it: the pod Failed or restarting, deleted by the taint manager
    /// or an eviction, or its node NotReady.
    pub detected_ns: Option<SimTime>,
    /// The JobSet controller applied its failure policy.
    pub decided_ns: Option<SimTime>,
    /// The last pod removal while recovering.
    pub old_pods_gone_ns: Option<SimTime>,
    /// The last child Job created while recovering.
    pub jobs_recreated_ns: Option<SimTime>,
    pub first_pod_created_ns: Option<SimTime>,
    pub last_pod_created_ns: Option<SimTime>,
    pub all_scheduled_ns: Option<SimTime>,
    pub all_running_ns: Option<SimTime>,
    /// Training made progress again (after `restartCost`), when the JobSet has a model.
    pub training_resumed_ns: Option<SimTime>,
    /// `currentInPlaceRestartAttempt` moved while recovering.
    pub in_place: bool,
    /// Container restarts in place (restartPolicy OnFailure or a container restart rule).
    pub container_restarts: u32,
    pub pods_needed: u64,
    pub pods_created: u64,
    /// Binds between the first pod created and all pods scheduled (each bind once).
    pub pods_bound: u64,
    /// Running pods when the record was last updated (for unfinished ones, at the end).
    pub pods_running: u64,
    /// The last pod created, bound or started while open (for a stall).
    pub last_progress_ns: SimTime,
    /// Bind times within the record (sorted by construction), until it closes.
    pub bind_times_ns: Vec<SimTime>,
    /// Lost pod-time so far: ∫ (needed − running) dt from the failure to `lost_since_ns`.
    lost_pod_ns: u64,
    lost_since_ns: SimTime,
    /// Pods created, scheduled and running from the failure to the record's end.
    pub progress: Progress,
    /// What the slowest stage waited on, as it happened while open (for "where the time
    /// went"): failed scheduling attempts of the JobSet's pods, the first and last of them,
    /// and the reason naming the most nodes in the latest verdict.
    pub unschedulable_attempts: u64,
    pub first_unschedulable_ns: Option<SimTime>,
    pub unschedulable_reason: String,
    /// Pod creates the API refused (webhook denial, name conflict): each puts the Job in
    /// API back-off.
    pub creates_refused: u64,
    /// Pods removed (deleted and gone) while open, and how many of them the taint manager
    /// deleted (NoExecute on a NotReady node).
    pub pods_removed: u64,
    pub taint_deletions: u64,
    /// The kubelet's CrashLoopBackOff before the latest in-place container restart.
    pub last_restart_backoff_ns: Option<SimTime>,
    /// `pods_removed`, `taint_deletions` and `old_pods_gone_ns` when the failure policy first
    /// acted: what the failed Job's teardown took before JobSet saw it Failed.
    pub removed_at_decision: u64,
    pub taint_deletions_at_decision: u64,
    pub gone_at_decision_ns: Option<SimTime>,
}

impl Record {
    /// Lost pod-time: pod-nanoseconds the JobSet's pods were not running, from the failure to
    /// the record's end, or to `end_ns` for a record still open.
    pub(crate) fn lost_pod_ns(&self, end_ns: SimTime) -> u64 {
        if self.state != State::Open {
            return self.lost_pod_ns;
        }
        let missing = self.pods_needed.saturating_sub(self.pods_running);
        let tail = missing.saturating_mul(end_ns.saturating_sub(self.lost_since_ns));
        self.lost_pod_ns.saturating_add(tail)
    }

    /// Adds the lost pod-time up to `now`, at the running count before a change.
    fn accrue(&mut self, now: SimTime, running_before: u64) {
        let missing = self.pods_needed.saturating_sub(running_before);
        let span_ns = now.saturating_sub(self.lost_since_ns);
        self.lost_pod_ns = self
            .lost_pod_ns
            .saturating_add(missing.saturating_mul(span_ns));
        self.lost_since_ns = self.lost_since_ns.max(now);
    }

    /// The path that repaired the JobSet, in words: the policy's action (with the restart
    /// strategy), in-place restart, container restart, or the Job controller's replacement.
    pub(crate) fn path(&self, restart_strategy: &str) -> String {
        match self.action.as_deref() {
            Some(a) if a.starts_with("RestartJobSet") => format!("{a} ({restart_strategy})"),
            Some(a) => a.to_string(),
            None if self.in_place => "InPlaceRestart".into(),
            None if self.pods_created > 0 => "PodReplacement".into(),
            None if self.container_restarts > 0 => "ContainerRestart".into(),
            None => "none yet".into(),
        }
    }
}

/// The failure policy's decision on a JobSet, as the observer is told of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision<'a> {
    /// The `Failed` condition time of the Job the policy acted on.
    pub failed_ns: SimTime,
    /// The latest pod failure among the failed Jobs (None when no pod of theirs failed: a
    /// deadline): the failure their Job failure follows from. The metrics observer fills it.
    pub pod_failed_ns: Option<SimTime>,
    pub rule: Option<&'a str>,
    pub action: &'a str,
    pub cause: &'a str,
}

/// A JobSet's latest record after it recovered, until the JobSet's next interruption: the
/// Job controller may still fail a Job on that record's failure (under `restartPolicy:
/// OnFailure` the container restarts at once and the Job fails on the restart count), and
/// then the record continues. Meanwhile the pod-time lost and the pods removed are kept here,
/// to fold into the record if it does.
#[derive(Debug, Clone, Copy)]
struct Settled {
    record: usize,
    lost_pod_ns: u64,
    lost_since_ns: SimTime,
    pods_removed: u64,
    last_gone_ns: Option<SimTime>,
}

#[derive(Debug, Default)]
pub(crate) struct Recoveries {
    pub records: Vec<Record>,
    /// Per JobSet: the open record, the last closed one (training may resume after it
    /// closes), pods running and bound now, pods needed.
    open: Vec<Option<usize>>,
    last: Vec<Option<usize>>,
    settled: Vec<Option<Settled>>,
    running: Vec<u64>,
    bound: Vec<u64>,
    needed: Vec<u64>,
    /// Per JobSet: its replicated jobs run in stages (a `dependsOn` with status `Complete`),
    /// so `needed` follows the pods that may run at the moment (docs/metrics.md).
    staged: Vec<bool>,
    pod_flags: Vec<u8>,
    /// Set by a fault injector while it applies a fault, so the pods it stops are
    /// attributed to it.
    pub context: Option<Cause>,
    /// Records open now, and since when some record has been open (the timeline samples
    /// finer while any is).
    open_count: u32,
    open_since_ns: SimTime,
}

impl Recoveries {
    /// A JobSet was created: `needed` pods run at once (`staged` when its replicated jobs
    /// run in stages, a `dependsOn` with status `Complete`).
    pub(crate) fn add_jobset(&mut self, js: JsId, needed: u64, staged: bool) {
        let i = js as usize;
        if self.open.len() <= i {
            self.open.resize(i + 1, None);
            self.last.resize(i + 1, None);
            self.settled.resize(i + 1, None);
            self.running.resize(i + 1, 0);
            self.bound.resize(i + 1, 0);
            self.needed.resize(i + 1, 0);
            self.staged.resize(i + 1, false);
        }
        self.needed[i] = needed;
        self.staged[i] = staged;
    }

    #[inline]
    pub(crate) fn runs_in_stages(&self, js: JsId) -> bool {
        self.staged.get(js as usize).copied().unwrap_or(false)
    }

    /// A staged JobSet's pods that may run now (its open record's `pods_needed` follows,
    /// the lost pod-time so far counted at the earlier figure).
    pub(crate) fn set_needed(&mut self, now: SimTime, js: JsId, needed: u64) {
        let i = js as usize;
        debug_assert!(self.staged[i], "only a staged JobSet's need changes");
        self.needed[i] = needed;
        let running = self.running[i];
        if let Some(r) = self.open_mut(js) {
            r.accrue(now, running);
            r.pods_needed = needed;
        }
    }

    fn flags(&mut self, pod: u32) -> &mut u8 {
        let i = pod as usize;
        if self.pod_flags.len() <= i {
            self.pod_flags.resize(i + 1, 0);
        }
        &mut self.pod_flags[i]
    }

    fn open_mut(&mut self, js: JsId) -> Option<&mut Record> {
        let i = self.open.get(js as usize).copied().flatten()?;
        Some(&mut self.records[i])
    }

    /// A pod of `js` stopped involuntarily (`cause` says why when no injector is applying a
    /// fault). Opens a record, or joins the open one.
    pub(crate) fn interrupted(&mut self, now: SimTime, js: JsId, pod: u32, cause: &str) {
        let f = self.flags(pod);
        if *f & HIT != 0 {
            return;
        }
        *f |= HIT;
        if let Some(r) = self.open_mut(js) {
            r.pods_hit += 1;
            if r.last_hit_ns != now {
                r.failures += 1;
                r.last_hit_ns = now;
            }
            return;
        }
        let mut r = self.template(js, now, cause);
        if let Some(c) = &self.context {
            r.broke = c.clone();
        }
        self.settled[js as usize] = None;
        self.records.push(r);
        self.open[js as usize] = Some(self.records.len() - 1);
        self.count_opened(now);
        self.note_progress(now, js);
    }

    /// The control plane saw the failure (first sign only).
    pub(crate) fn detected(&mut self, now: SimTime, js: JsId) {
        if let Some(r) = self.open_mut(js) {
            r.detected_ns.get_or_insert(now);
        }
    }

    /// A node went NotReady: detection for the records it broke.
    pub(crate) fn node_not_ready(&mut self, now: SimTime, node: NodeId) {
        for i in self.open.iter().flatten() {
            let r = &mut self.records[*i];
            if r.broke.node == Some(node) {
                r.detected_ns.get_or_insert(now);
            }
        }
    }

    /// The failure policy acted on `js`. With no record open, a decision on Jobs whose pods
    /// failed during the JobSet's latest record continues that record (the same
    /// interruption, repaired further); one on Jobs that failed without a pod failing (a
    /// deadline) opens a record at the Job's failure.
    pub(crate) fn decided(&mut self, now: SimTime, js: JsId, d: &Decision) {
        if self.open_mut(js).is_none() && !self.reopen(now, js, d.pod_failed_ns) {
            self.records.push(Record {
                pods_hit: 0,
                ..self.template(js, d.failed_ns, d.cause)
            });
            self.settled[js as usize] = None;
            self.open[js as usize] = Some(self.records.len() - 1);
            self.count_opened(now);
            self.note_progress(d.failed_ns, js);
        }
        let r = self.open_mut(js).expect("opened above");
        r.detected_ns.get_or_insert(now);
        // The first decision: later ones (a failure during the recovery) keep it.
        if r.decided_ns.is_none() {
            r.decided_ns = Some(now);
            r.removed_at_decision = r.pods_removed;
            r.taint_deletions_at_decision = r.taint_deletions;
            r.gone_at_decision_ns = r.old_pods_gone_ns;
        }
        r.rule = d.rule.map(str::to_string);
        r.action = Some(d.action.to_string());
        r.decisions += 1;
        r.last_decision_cause = d.cause.to_string();
    }

    /// Opens the JobSet's latest record again if its failure is the one behind a Job failure
    /// (`pod_failed_ns` no earlier than the record's failure: a later failure would have
    /// opened another record). Its end is undone; the pod-time lost and the pods removed
    /// since it recovered are folded in.
    fn reopen(&mut self, now: SimTime, js: JsId, pod_failed_ns: Option<SimTime>) -> bool {
        let i = js as usize;
        let Some(s) = self.settled[i] else {
            return false;
        };
        if pod_failed_ns.is_none_or(|t| t < self.records[s.record].failed_ns) {
            return false;
        }
        self.settled[i] = None;
        if self.last[i] == Some(s.record) {
            self.last[i] = None;
        }
        let (running, bound, needed) = (self.running[i], self.bound[i], self.needed[i]);
        let r = &mut self.records[s.record];
        debug_assert_eq!(r.state, State::Recovered, "only a recovered record settles");
        r.state = State::Open;
        r.all_running_ns = None;
        r.training_resumed_ns = None;
        if bound < needed {
            r.all_scheduled_ns = None;
        }
        let missing = needed.saturating_sub(running);
        let tail_ns = missing.saturating_mul(now.saturating_sub(s.lost_since_ns));
        r.lost_pod_ns = r
            .lost_pod_ns
            .saturating_add(s.lost_pod_ns)
            .saturating_add(tail_ns);
        r.lost_since_ns = now;
        r.pods_running = running;
        r.pods_removed += s.pods_removed;
        r.old_pods_gone_ns = s.last_gone_ns.or(r.old_pods_gone_ns);
        self.open[i] = Some(s.record);
        self.count_opened(now);
        self.note_progress(now, js);
        true
    }

    fn template(&self, js: JsId, failed_ns: SimTime, cause: &str) -> Record {
        let i = js as usize;
        // Every needed pod still bound (a container restarting in its pod, a pod whose node
        // died but which is not deleted yet): nothing to schedule, so the wait that follows
        // is the start (`start_s`: a CrashLoopBackOff, an in-place restart). A pod lost later
        // clears it, as any unbind does.
        let all_bound = self.bound[i] >= self.needed[i];
        Record {
            jobset: js,
            state: State::Open,
            broke: Cause {
                cause: cause.to_string(),
                ..Cause::default()
            },
            failures: 1,
            pods_hit: 1,
            last_hit_ns: failed_ns,
            rule: None,
            decisions: 0,
            last_decision_cause: String::new(),
            action: None,
            finished_as: None,
            failed_ns,
            detected_ns: None,
            decided_ns: None,
            old_pods_gone_ns: None,
            jobs_recreated_ns: None,
            first_pod_created_ns: None,
            last_pod_created_ns: None,
            all_scheduled_ns: all_bound.then_some(failed_ns),
            all_running_ns: None,
            training_resumed_ns: None,
            in_place: false,
            container_restarts: 0,
            pods_needed: self.needed[js as usize],
            pods_created: 0,
            pods_bound: 0,
            pods_running: self.running[js as usize],
            last_progress_ns: failed_ns,
            bind_times_ns: vec![],
            lost_pod_ns: 0,
            lost_since_ns: failed_ns,
            progress: Progress::default(),
            unschedulable_attempts: 0,
            first_unschedulable_ns: None,
            unschedulable_reason: String::new(),
            creates_refused: 0,
            pods_removed: 0,
            taint_deletions: 0,
            last_restart_backoff_ns: None,
            removed_at_decision: 0,
            taint_deletions_at_decision: 0,
            gone_at_decision_ns: None,
        }
    }

    /// A scheduling attempt of a pod of `js` failed; `reason` names the most nodes.
    pub(crate) fn unschedulable(&mut self, now: SimTime, js: JsId, reason: &str) {
        if let Some(r) = self.open_mut(js) {
            r.unschedulable_attempts += 1;
            r.first_unschedulable_ns.get_or_insert(now);
            if r.unschedulable_reason != reason {
                r.unschedulable_reason = reason.to_string();
            }
        }
    }

    /// The API refused a pod create of a Job of `js`.
    pub(crate) fn create_refused(&mut self, js: JsId) {
        if let Some(r) = self.open_mut(js) {
            r.creates_refused += 1;
        }
    }

    /// The taint manager deleted a pod of `js` (its node NotReady past its toleration).
    pub(crate) fn taint_deletion(&mut self, js: JsId) {
        if let Some(r) = self.open_mut(js) {
            r.taint_deletions += 1;
        }
    }

    /// Adds the JobSet's state now to its open record's progress.
    fn note_progress(&mut self, now: SimTime, js: JsId) {
        let i = js as usize;
        let Some(ri) = self.open.get(i).copied().flatten() else {
            return;
        };
        let (scheduled, running) = (self.bound[i], self.running[i]);
        let r = &mut self.records[ri];
        r.progress.note(ProgressStep {
            offset_ns: now.saturating_sub(r.failed_ns),
            created: r.pods_created as u32,
            scheduled: scheduled as u32,
            running: running as u32,
        });
    }

    pub(crate) fn in_place_restart(&mut self, js: JsId) {
        if let Some(r) = self.open_mut(js) {
            r.in_place = true;
        }
    }

    /// The kubelet restarts a container of `js` in place after `backoff_ns`.
    pub(crate) fn container_restart(&mut self, js: JsId, backoff_ns: Option<SimTime>) {
        if let Some(r) = self.open_mut(js) {
            r.container_restarts += 1;
            r.last_restart_backoff_ns = backoff_ns.or(r.last_restart_backoff_ns);
        }
    }

    pub(crate) fn job_created(&mut self, at: SimTime, js: JsId) {
        if let Some(r) = self.open_mut(js) {
            r.jobs_recreated_ns = Some(r.jobs_recreated_ns.map_or(at, |t| t.max(at)));
        }
    }

    pub(crate) fn pod_created(&mut self, now: SimTime, js: JsId) {
        if let Some(r) = self.open_mut(js) {
            r.pods_created += 1;
            r.last_progress_ns = now;
            r.first_pod_created_ns.get_or_insert(now);
            r.last_pod_created_ns = Some(now);
            self.note_progress(now, js);
        }
    }

    pub(crate) fn pod_bound(&mut self, now: SimTime, js: JsId, pod: u32) {
        let f = self.flags(pod);
        if *f & BOUND != 0 {
            return;
        }
        *f |= BOUND;
        let i = js as usize;
        self.bound[i] += 1;
        let (bound, needed) = (self.bound[i], self.needed[i]);
        if let Some(r) = self.open_mut(js) {
            r.last_progress_ns = now;
            if r.all_scheduled_ns.is_none() {
                if r.first_pod_created_ns.is_some() {
                    r.pods_bound += 1;
                    r.bind_times_ns.push(now);
                }
                if bound >= needed {
                    r.all_scheduled_ns = Some(now);
                }
            }
        }
        self.note_progress(now, js);
    }

    /// The pod no longer holds its place: finished, failed, terminating or gone.
    #[inline(always)] // twice per pod, mostly to find the pod counted already
    pub(crate) fn pod_unbound(&mut self, now: SimTime, js: JsId, pod: u32) {
        let f = self.flags(pod);
        if *f & BOUND != 0 {
            *f &= !BOUND;
            self.bound[js as usize] -= 1;
            // A pod lost during the recovery: all scheduled (again) is still to come.
            if let Some(r) = self.open_mut(js) {
                r.all_scheduled_ns = None;
            }
            self.note_progress(now, js);
        }
    }

    pub(crate) fn pod_deleted(&mut self, now: SimTime, js: JsId, pod: u32) {
        self.pod_unbound(now, js, pod);
        *self.flags(pod) &= !HIT;
        if let Some(r) = self.open_mut(js) {
            r.old_pods_gone_ns = Some(now);
            r.pods_removed += 1;
        } else if let Some(s) = self.settled[js as usize].as_mut() {
            s.last_gone_ns = Some(now);
            s.pods_removed += 1;
        }
    }

    /// A pod's main container started (again): the record closes when all needed run.
    pub(crate) fn pod_running(&mut self, now: SimTime, js: JsId, pod: u32) {
        let f = self.flags(pod);
        if *f & RUNNING != 0 {
            return;
        }
        *f = (*f | RUNNING) & !HIT;
        let i = js as usize;
        self.running[i] += 1;
        let (running, needed) = (self.running[i], self.needed[i]);
        let Some(ri) = self.open[i] else {
            self.settle_accrue(now, js, running - 1);
            return;
        };
        self.note_progress(now, js);
        let r = &mut self.records[ri];
        r.accrue(now, running - 1);
        r.pods_running = running;
        r.last_progress_ns = now;
        if running >= needed {
            r.all_scheduled_ns.get_or_insert(now);
            r.all_running_ns = Some(now);
            r.state = State::Recovered;
            self.open[i] = None;
            self.open_count -= 1;
            self.last[i] = Some(ri);
            self.settled[i] = Some(Settled {
                record: ri,
                lost_pod_ns: 0,
                lost_since_ns: now,
                pods_removed: 0,
                last_gone_ns: None,
            });
        }
    }

    /// Lost pod-time of a settled record's JobSet, at the running count before a change.
    fn settle_accrue(&mut self, now: SimTime, js: JsId, running_before: u64) {
        let i = js as usize;
        let needed = self.needed[i];
        if let Some(s) = self.settled[i].as_mut() {
            let missing = needed.saturating_sub(running_before);
            let span_ns = now.saturating_sub(s.lost_since_ns);
            s.lost_pod_ns = s
                .lost_pod_ns
                .saturating_add(missing.saturating_mul(span_ns));
            s.lost_since_ns = now;
        }
    }

    pub(crate) fn pod_stopped(&mut self, now: SimTime, js: JsId, pod: u32) {
        let f = self.flags(pod);
        if *f & RUNNING == 0 {
            return;
        }
        *f &= !RUNNING;
        let i = js as usize;
        self.running[i] -= 1;
        if let Some(ri) = self.open[i] {
            let r = &mut self.records[ri];
            r.accrue(now, self.running[i] + 1);
            r.pods_running = self.running[i];
            self.note_progress(now, js);
        } else {
            self.settle_accrue(now, js, self.running[i] + 1);
        }
    }

    /// Training progressed again after the JobSet's last recovery.
    pub(crate) fn training_resumed(&mut self, now: SimTime, js: JsId) {
        if let Some(ri) = self.last.get(js as usize).copied().flatten() {
            let r = &mut self.records[ri];
            r.training_resumed_ns.get_or_insert(now);
            self.last[js as usize] = None;
        }
    }

    /// The JobSet became terminal: its open record ends there.
    pub(crate) fn jobset_finished(&mut self, now: SimTime, js: JsId, terminal_state: &str) {
        if let Some(s) = self.settled.get_mut(js as usize) {
            *s = None;
        }
        if let Some(ri) = self.open.get(js as usize).copied().flatten() {
            let r = &mut self.records[ri];
            r.accrue(now, r.pods_running);
            r.state = State::JobSetFinished;
            r.finished_as = Some(terminal_state.to_string());
            self.open[js as usize] = None;
            self.open_count -= 1;
        }
    }

    fn count_opened(&mut self, now: SimTime) {
        if self.open_count == 0 {
            self.open_since_ns = now;
        }
        self.open_count += 1;
    }

    /// Since when some record has been open without a break; None when none is open.
    #[inline]
    pub(crate) fn open_since_ns(&self) -> Option<SimTime> {
        (self.open_count > 0).then_some(self.open_since_ns)
    }

    #[cfg(test)]
    pub(crate) fn is_open(&self, js: JsId) -> bool {
        self.open.get(js as usize).copied().flatten().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_replacement_is_one_record_from_failure_to_all_running() {
        let mut r = Recoveries::default();
        r.add_jobset(0, 2, false);
        for p in 0..2 {
            r.pod_bound(1, 0, p);
            r.pod_running(1, 0, p);
        }
        assert!(r.records.is_empty(), "starting up is no interruption");
        r.pod_stopped(10, 0, 1);
        r.interrupted(10, 0, 1, "exit code 1");
        r.interrupted(10, 0, 1, "exit code 1");
        r.detected(11, 0);
        r.pod_unbound(11, 0, 1);
        r.pod_deleted(12, 0, 1);
        r.pod_created(13, 0);
        r.pod_bound(14, 0, 2);
        assert!(r.is_open(0));
        assert_eq!(r.open_since_ns(), Some(10));
        r.pod_running(15, 0, 2);
        assert!(!r.is_open(0));
        assert_eq!(r.open_since_ns(), None);
        let rec = &r.records[0];
        assert_eq!(rec.state, State::Recovered);
        assert_eq!(rec.pods_hit, 1);
        assert_eq!(
            (rec.failed_ns, rec.detected_ns, rec.old_pods_gone_ns),
            (10, Some(11), Some(12))
        );
        assert_eq!(rec.first_pod_created_ns, Some(13));
        assert_eq!(rec.all_scheduled_ns, Some(14));
        assert_eq!(rec.all_running_ns, Some(15));
        assert_eq!(rec.pods_bound, 1);
        // One of two pods missing from the failure at 10 to all running at 15.
        assert_eq!(rec.lost_pod_ns(99), 5);
        assert_eq!(rec.path("Recreate"), "PodReplacement");
        let steps: Vec<(u64, u32, u32, u32)> = rec
            .progress
            .steps()
            .map(|s| (s.offset_ns, s.created, s.scheduled, s.running))
            .collect();
        // Open (1 running: the stop came first), unbound, created, bound, running again.
        assert_eq!(
            steps,
            [
                (0, 0, 2, 1),
                (1, 0, 1, 1),
                (3, 1, 1, 1),
                (4, 1, 2, 1),
                (5, 1, 2, 2)
            ]
        );
        r.training_resumed(20, 0);
        assert_eq!(r.records[0].training_resumed_ns, Some(20));
    }

    #[test]
    fn progress_keeps_a_bounded_outline_with_the_first_and_latest_state() {
        let mut p = Progress::default();
        for t in 0..100_000u64 {
            p.note(ProgressStep {
                offset_ns: t * 1_000,
                created: t as u32,
                scheduled: 0,
                running: (t / 2) as u32,
            });
        }
        let steps: Vec<&ProgressStep> = p.steps().collect();
        assert!(steps.len() <= MAX_PROGRESS_STEPS + 1, "{}", steps.len());
        assert!(steps.len() >= MAX_PROGRESS_STEPS / 2);
        assert_eq!(steps[0].offset_ns, 0);
        assert_eq!(
            steps.last().unwrap().created,
            99_999,
            "the latest state is kept"
        );
        assert!(steps.windows(2).all(|w| w[0].offset_ns < w[1].offset_ns));
        // Evenly spread: no gap longer than a few times the even spacing.
        let even = 100_000_000 / MAX_PROGRESS_STEPS as u64;
        assert!(steps
            .windows(2)
            .all(|w| w[1].offset_ns - w[0].offset_ns <= 4 * even));
        // Changes at one instant keep that instant's final state.
        let mut q = Progress::default();
        for running in [3, 2, 1] {
            q.note(ProgressStep {
                offset_ns: 5,
                created: 0,
                scheduled: 0,
                running,
            });
        }
        assert_eq!(q.steps().map(|s| s.running).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn a_decision_without_a_pod_failure_opens_a_record() {
        let mut r = Recoveries::default();
        r.add_jobset(0, 1, false);
        r.decided(
            9,
            0,
            &Decision {
                failed_ns: 7,
                pod_failed_ns: None,
                rule: Some("r"),
                action: "RestartJobSet",
                cause: "Job x failed: DeadlineExceeded",
            },
        );
        let rec = &r.records[0];
        assert_eq!((rec.failed_ns, rec.decided_ns), (7, Some(9)));
        assert_eq!(
            rec.path("BlockingRecreate"),
            "RestartJobSet (BlockingRecreate)"
        );
        r.jobset_finished(20, 0, "Failed");
        assert_eq!(r.records[0].state, State::JobSetFinished);
        // No pod ran: the JobSet's pods were all missing from 7 to its end at 20.
        let needed = r.records[0].pods_needed;
        assert_eq!(r.records[0].lost_pod_ns(99), needed * 13);
    }

    /// restartPolicy OnFailure, backoffLimit 0: the container crashes and restarts at once
    /// (running again at the crash's instant), the Job controller then fails the Job on the
    /// restart count and deletes its pods, and the failure policy restarts the JobSet. One
    /// interruption, one record, from the crash to the new pods running.
    #[test]
    fn a_job_failing_on_a_restarted_container_continues_its_record() {
        let mut r = Recoveries::default();
        r.add_jobset(0, 2, false);
        for p in 0..2 {
            r.pod_bound(1, 0, p);
            r.pod_running(1, 0, p);
        }
        // The crash at 10, the container restarted in place at once.
        r.pod_stopped(10, 0, 0);
        r.interrupted(10, 0, 0, "Error: exit code 1");
        r.detected(10, 0);
        r.container_restart(0, Some(0));
        r.pod_running(10, 0, 0);
        assert!(
            !r.is_open(0),
            "recovered at once, as far as anyone knows yet"
        );
        // The Job fails on the restart count: its pods go from 13, gone at 14.
        for p in 0..2 {
            r.pod_stopped(13, 0, p);
            r.pod_unbound(13, 0, p);
            r.pod_deleted(14, 0, p);
        }
        let decision = Decision {
            failed_ns: 14,
            pod_failed_ns: Some(10),
            rule: None,
            action: "RestartJobSet",
            cause: "Job j failed: BackoffLimitExceeded",
        };
        r.decided(15, 0, &decision);
        assert_eq!(r.records.len(), 1, "one interruption, one record");
        assert!(r.is_open(0));
        r.job_created(16, 0);
        for (p, t) in [(2, 17), (3, 18)] {
            r.pod_created(t, 0);
            r.pod_bound(t, 0, p);
        }
        r.pod_running(19, 0, 2);
        r.pod_running(20, 0, 3);
        let rec = &r.records[0];
        assert_eq!(rec.state, State::Recovered);
        assert_eq!(rec.failed_ns, 10, "measured from the crash");
        assert_eq!(
            (rec.detected_ns, rec.decided_ns, rec.old_pods_gone_ns),
            (Some(10), Some(15), Some(14))
        );
        assert_eq!(rec.all_running_ns, Some(20));
        assert_eq!(rec.action.as_deref(), Some("RestartJobSet"));
        assert_eq!(rec.path("Recreate"), "RestartJobSet (Recreate)");
        assert_eq!((rec.pods_removed, rec.removed_at_decision), (2, 2));
        // 2 pods missing from 13 to 19, then 1 to 20: 13 pod-ns.
        assert_eq!(rec.lost_pod_ns(99), 13);
        assert_eq!((rec.pods_created, rec.pods_bound), (2, 2));
    }

    /// A Job failure whose pods failed before the latest record (or not at all) is not that
    /// record's: it opens its own at the Job's failure.
    #[test]
    fn a_job_failure_older_than_the_latest_record_opens_its_own() {
        let mut r = Recoveries::default();
        r.add_jobset(0, 1, false);
        r.pod_bound(1, 0, 0);
        r.pod_running(1, 0, 0);
        r.pod_stopped(10, 0, 0);
        r.interrupted(10, 0, 0, "Error: exit code 1");
        r.pod_running(10, 0, 0);
        let decision = Decision {
            failed_ns: 30,
            pod_failed_ns: Some(5),
            rule: None,
            action: "RestartJobSet",
            cause: "Job j failed: BackoffLimitExceeded",
        };
        r.decided(31, 0, &decision);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0].state, State::Recovered);
        assert_eq!(r.records[1].failed_ns, 30);
    }
}

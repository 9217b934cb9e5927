//! The JobSet reconciler (pkg/controllers/jobset_controller.go), one pass per work-queue pop,
//! in the order of semantics §3.2, and its pod reconciler (placement repair on a leader's bind).
//!
//! A component: its reactions are methods of `JobSetController` over a `Ctx`
//! (`Sim::jobset_controller`): the work queue (`enqueue`), the reconcile
//! (`on_reconcile_jobset`) and the pod reconciler (`on_pod_bound`). The reconcile writes the
//! JobSet's status through `Ctx::update_jobset_status` (one write, seen when the pass ends),
//! creates its Jobs through the API (`Ctx::create_job`), deletes them in the foreground
//! (`Ctx::delete_job`) and suspends or resumes them (`Ctx::set_job_suspended`), each call
//! through its own client (`api_call`). Its books of child Jobs (`child_jobs.rs`) and the Job
//! specs its Jobs share are its own. The API server's side of a JobSet (its create, the user's
//! updates, a Job create or DELETE landing) stays `impl Sim`.

use super::child_jobs::{ChildClass, ChildState, ClassSnapshot, ReplicatedJobCounts};
use super::conditions::{condition, update_condition};
use super::counters;
use super::failure_policy::{self, FailedJob, Outcome};
use super::job::SUSPENDED_JOB_NEVER_RESUMED;
use super::jobset_controller::{JobSetController, Wakeup};
use crate::api::defaults::default_job_spec;
use crate::api::keys::*;
use crate::api::types::{JobSpec, ReplicatedJob, StringMap};
use crate::metrics::objects::JobChange;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{shape, Event, Sim};
use sha1::{Digest, Sha1};
use std::sync::Arc;

/// Child Jobs of one JobSet as a reconcile reads them (`getChildJobs`, §3.3): the failed Jobs
/// by id, in creation order; whether any is of an older attempt (those are deleted from the
/// books' list, `ChildJobBooks::take_previous_to_delete`); the rest as the books' counters
/// (`JobSetController::children`).
struct ChildJobs {
    failed: Vec<JobId>,
    any_previous: bool,
    any_succeeded: bool,
}

/// What fixes a child Job's labels and annotations (§3.5) besides its JobSet: its replicated
/// job and index, the JobSet's restart attempt when it was created and, under the RestartJob
/// gate, its index's restart attempt.
pub(crate) struct JobIdentity {
    pub rj: u32,
    pub job_index: u32,
    pub restart_attempt: i32,
    pub job_restart_attempt: Option<i32>,
}

/// A child Job's labels and annotations and its pod template's, as `constructJob` writes them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobMetadata {
    pub labels: StringMap,
    pub annotations: StringMap,
    /// Before the pod webhook's priority label.
    pub pod_labels: StringMap,
    pub pod_annotations: StringMap,
}

/// Lowercase hex SHA-1 of `<namespace>/<jobName>` (the API comment says SHA256; the code
/// uses SHA-1).
pub(crate) fn job_key(namespace: &str, job_name: &str) -> String {
    let mut sha = Sha1::new();
    for part in [namespace, "/", job_name] {
        sha.update(part.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(40);
    for b in sha.finalize() {
        key.push(HEX[usize::from(b >> 4)] as char);
        key.push(HEX[usize::from(b & 15)] as char);
    }
    key
}

impl Sim {
    /// A scripted user update of the JobSet (`workloads[].updates`): today, `spec.suspend`.
    /// The user's side: the JobSet of workload `workload` gets its update `update`, which
    /// the API server stores.
    pub(crate) fn update_jobset(&mut self, workload: u32, update: u32) {
        self.pending_updates -= 1;
        let (_, suspend) = self.scenario.workloads[workload as usize].updates[update as usize];
        let Some(js) = self.jobset_workloads.iter().position(|&w| w == workload) else {
            return;
        };
        self.api_server(|a, ctx| a.on_update_jobset(ctx, js as JsId, suspend));
    }

    /// Runs one of the JobSet controller's handlers (`Sim::handle`).
    pub(crate) fn jobset_controller<R>(
        &mut self,
        handler: impl FnOnce(&mut JobSetController, &mut Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.jobset_controller, handler)
    }

    /// The JobSet controller's watch hears of a write to JobSet `js` (or to one of its Jobs
    /// or pods) `delay_ns` from now: its work queue gets the JobSet's key.
    pub(crate) fn enqueue_jobset(&mut self, js: JsId, delay_ns: u64) {
        self.jobset_controller(|c, ctx| c.enqueue(ctx, js, delay_ns));
    }

    /// The status the JobSet controller's reconcile wrote landed (`before`: as the reconcile
    /// found it): the metrics observe it (and note the finish time).
    pub(crate) fn jobset_status_written(&mut self, js: JsId, before: &JobSetStatus) {
        let now = self.now();
        let obj = &self.store.jobsets[js as usize];
        self.rec.observe_jobset_status(now, js, before, &obj.status);
        // Kueue's JobSet watch hears the write once it lands.
        if self.kueue.enabled() {
            let p = &self.params;
            let seen = p.jobset_reconcile_cost_ns + p.api_call_latency_ns + p.watch_delay_ns;
            self.queue.schedule_in(seen, Event::KueueJobSetStatus(js));
        }
    }

    /// The labels of every pod of Job `j`: its pod template's (§3.5) and, except under the
    /// node-selector strategy (§1.12), the pod webhook's priority label. Built when read: the
    /// affinity index keeps them once some pod has an inter-pod term, nothing else does.
    pub(crate) fn job_pod_labels(&self, j: JobId) -> StringMap {
        let job = &self.store.jobs[j as usize];
        let obj = &self.store.jobsets[job.jobset as usize];
        let rj = &obj.spec.spec.replicated_jobs[job.rj as usize];
        let (_, node_selector_strategy) = exclusive_placement(&obj.spec, rj);
        let identity = JobIdentity {
            rj: job.rj,
            job_index: job.job_index,
            restart_attempt: job.restart_attempt,
            job_restart_attempt: job.job_restart_attempt,
        };
        let mut labels = pod_labels_of(obj, &identity);
        if !node_selector_strategy {
            add_priority_label(&mut labels, &job.spec);
        }
        labels
    }

    /// The scheduler's pod informer holds a pod of Job `j` (`Scheduler::on_pod_informed`):
    /// run by the pod-change path's `Created` watch.
    pub(crate) fn scheduler_sees_pod_labels(&mut self, j: JobId) {
        self.scheduler(|s, ctx| s.on_pod_informed(ctx, j));
    }

    /// Job `j`'s pod labels, borrowed from the affinity index when it keeps them (then with
    /// the index's namespace pseudo-label too), else built.
    pub(crate) fn pod_labels(&self, j: JobId) -> std::borrow::Cow<'_, StringMap> {
        match self.scheduler.kept_pod_labels(j) {
            Some(labels) => std::borrow::Cow::Borrowed(labels),
            None => std::borrow::Cow::Owned(self.job_pod_labels(j)),
        }
    }

    /// Job `j`'s labels and annotations and its pod template's.
    pub(crate) fn job_metadata(&self, j: JobId) -> JobMetadata {
        let job = &self.store.jobs[j as usize];
        metadata_of(
            &self.store.jobsets[job.jobset as usize],
            &JobIdentity {
                rj: job.rj,
                job_index: job.job_index,
                restart_attempt: job.restart_attempt,
                job_restart_attempt: job.job_restart_attempt,
            },
        )
    }

    /// Where the JobSet controller's books of `js`'s child Jobs differ from a full
    /// classification (`JobSetController::child_books_violations`).
    pub(crate) fn child_books_violations(&self, js: JsId) -> Vec<String> {
        let gate = self.scenario.gate("RestartJob");
        let obj = &self.store.jobsets[js as usize];
        let job = |j: JobId| self.store.live_job(j);
        let children = self.store.jobset_jobs(js);
        (self.jobset_controller).child_books_violations(js, obj, children, job, gate)
    }

    pub(crate) fn push_shape(&mut self, shape: shape::PodShape) -> ShapeId {
        self.shapes.push(shape);
        (self.shapes.len() - 1) as ShapeId
    }

    /// A pod spec compiled to the shape the scheduler and the kubelet read: kube-scheduler
    /// compiles its inter-pod terms against its affinity index (`Scheduler::compile_pod_shape`).
    pub(crate) fn compile_pod_shape(
        &mut self,
        spec: &crate::api::types::PodSpec,
        labels: &StringMap,
        namespace: &str,
    ) -> ShapeId {
        self.scheduler(|s, ctx| s.compile_pod_shape(ctx, spec, labels, namespace))
    }
}

/// Child Job `j`'s class against the JobSet status `snapshot` (`getChildJobs`), and, when
/// active, its share of the replicated job's counters (`calculateReplicatedJobStatuses`);
/// `None`: the Job store no longer holds it.
fn child_state(job: Option<&JobObj>, snapshot: &ClassSnapshot, gate: bool) -> ChildState {
    let Some(job) = job else {
        return ChildState::default();
    };
    let mut previous = job.restart_attempt < snapshot.restarts;
    if gate && !previous {
        let current = (snapshot.job_restarts.get(job.rj as usize))
            .and_then(Option::as_ref)
            .and_then(|v| v.get(job.job_index as usize))
            .copied()
            .unwrap_or(0);
        previous = job.job_restart_attempt.is_some_and(|l| l < current);
    }
    let class = match (previous, job.finished()) {
        (true, _) => ChildClass::Previous,
        (false, Some("Failed")) => ChildClass::Failed,
        (false, Some(_)) => ChildClass::Succeeded,
        (false, None) => ChildClass::Active,
    };
    let mut state = ChildState {
        class,
        rj: job.rj,
        ..ChildState::default()
    };
    if class == ChildClass::Active {
        // Status as the Job controller writes it: ready and active pods.
        let (ready, active) = (job.status_ready, job.status_active);
        state.ready = counters::job_counts_as_ready(
            job.parallelism,
            Some(job.completions),
            ready,
            job.succeeded,
        );
        state.active = active > 0;
        state.suspended = job.suspended;
    }
    state
}

/// Whether `books` were classified against the JobSet's current restart attempt (and, under
/// the RestartJob gate, its per-index restarts).
fn class_snapshot_current(snapshot: Option<&ClassSnapshot>, st: &JobSetStatus, gate: bool) -> bool {
    let Some(snapshot) = snapshot else {
        return false;
    };
    if snapshot.restarts != st.restarts {
        return false;
    }
    !gate
        || (snapshot.job_restarts.len() == st.replicated_jobs.len()
            && (snapshot.job_restarts.iter())
                .zip(&st.replicated_jobs)
                .all(|(kept, now)| *kept == now.job_restarts))
}

impl JobSetController {
    /// Adds the JobSet's key to the work queue `delay_ns` from now. Like client-go's delaying
    /// queue, a key waits at most once, at its earliest due time.
    pub(crate) fn enqueue(&mut self, ctx: &mut Ctx, js: JsId, delay_ns: u64) {
        let due = ctx.now() + delay_ns;
        if self.enqueue_at(js, due) {
            ctx.schedule_at(due, Event::ReconcileJobSet(js));
        }
    }

    /// A wake-up of `js`'s work queue entry: the single worker reconciles it (or it waits for
    /// the worker); a pass that changed the JobSet's status writes it, which the JobSet watch
    /// sees.
    pub(crate) fn on_reconcile_jobset(&mut self, ctx: &mut Ctx, js: JsId) {
        let now = ctx.now();
        let cost = ctx.params().jobset_reconcile_cost_ns;
        match self.wake(js, now, cost) {
            Wakeup::Stale => return,
            Wakeup::WaitForWorker { at_ns } => {
                ctx.schedule_at(at_ns, Event::ReconcileJobSet(js));
                return;
            }
            Wakeup::Reconcile => {}
        }
        let before = ctx.jobset(js).status.clone();
        ctx.metrics().observe_jobset_reconcile();
        self.reconcile(ctx, js);
        if ctx.jobset(js).status != before {
            ctx.jobset_status_written(js, &before);
            // §11.10: the JobSet watch has no generation predicate, so a status write triggers
            // another reconcile.
            let p = ctx.params();
            let d = p.jobset_reconcile_cost_ns + p.api_call_latency_ns + p.watch_delay_ns;
            self.enqueue(ctx, js, d);
        }
    }

    /// Brings the books of `js`'s child Jobs up to date: the Jobs that changed since the last
    /// reconcile are classified again, or every child Job when the JobSet status the classes
    /// depend on changed. Then the reconcile's view of them.
    fn child_jobs(&mut self, ctx: &Ctx, js: JsId) -> ChildJobs {
        let gate = ctx.gate("RestartJob");
        let obj = ctx.jobset(js);
        let changed = if class_snapshot_current(self.children.snapshot(js), &obj.status, gate) {
            self.children.take_dirty(js)
        } else {
            let snapshot = ClassSnapshot {
                restarts: obj.status.restarts,
                job_restarts: if gate {
                    (obj.status.replicated_jobs.iter())
                        .map(|r| r.job_restarts.clone())
                        .collect()
                } else {
                    vec![]
                },
            };
            let n_rj = obj.spec.spec.replicated_jobs.len();
            self.children.reset(js, snapshot, n_rj, ctx.jobset_jobs(js));
            ctx.jobset_jobs(js).to_vec()
        };
        let snapshot = self.children.snapshot(js).expect("refreshed above");
        let states: Vec<(JobId, ChildState)> = (changed.iter())
            .map(|&j| (j, child_state(ctx.live_job(j), snapshot, gate)))
            .collect();
        for (j, state) in states {
            self.children.set(j, state);
        }
        debug_assert_eq!(
            self.child_books_violations(js, obj, ctx.jobset_jobs(js), |j| ctx.live_job(j), gate),
            Vec::<String>::new()
        );
        let books = &self.children;
        ChildJobs {
            failed: books.failed(js),
            any_previous: books.any_previous(js),
            any_succeeded: books.any_succeeded(js),
        }
    }

    /// Where the books of `js` (`obj`, whose child Jobs are `children` and whose Jobs the
    /// store holds `job` reads) differ from a full
    /// classification of its child Jobs against the books' snapshot (a Job changed since the
    /// last reconcile counts as booked): each a sentence, none when they agree.
    pub(crate) fn child_books_violations<'a>(
        &self,
        js: JsId,
        obj: &JobSetObj,
        children: &[JobId],
        job: impl Fn(JobId) -> Option<&'a JobObj>,
        gate: bool,
    ) -> Vec<String> {
        let books = &self.children;
        let Some(snapshot) = books.snapshot(js) else {
            return vec![];
        };
        let departed = (books.dirty_jobs(js).iter()).filter(|&&j| job(j).is_none());
        let mut expected: Vec<(JobId, ChildState)> = (children.iter())
            .map(|&j| match books.is_dirty(j) {
                true => (j, books.state(j)),
                false => (j, child_state(job(j), snapshot, gate)),
            })
            .chain(departed.map(|&j| (j, books.state(j))))
            .collect();
        expected.sort_by_key(|&(j, _)| j);
        let mut out = vec![];
        for &(j, state) in &expected {
            if books.state(j) != state {
                let booked = books.state(j);
                let name = job(j).map_or("(removed)", |o| o.name.as_str());
                out.push(format!(
                    "JobSet {}: Job {name} is booked as {booked:?} but classifies as {state:?}",
                    obj.name
                ));
            }
        }
        let mut counts = vec![ReplicatedJobCounts::default(); books.counts(js).len()];
        let mut lists: [Vec<JobId>; 3] = Default::default();
        for &(j, s) in &expected {
            let Some(c) = counts.get_mut(s.rj as usize) else {
                continue;
            };
            match s.class {
                ChildClass::Active => {
                    c.ready += i32::from(s.ready);
                    c.active += i32::from(s.active);
                    c.suspended += i32::from(s.suspended);
                    lists[0].push(j);
                }
                ChildClass::Succeeded => c.succeeded += 1,
                ChildClass::Failed => {
                    c.failed += 1;
                    lists[1].push(j);
                }
                ChildClass::Previous => lists[2].push(j),
                ChildClass::Gone => {}
            }
        }
        let succeeded: i32 = counts.iter().map(|c| c.succeeded).sum();
        let booked = [books.active(js), books.failed(js), books.previous(js)];
        if counts != books.counts(js)
            || lists != booked
            || (succeeded > 0) != books.any_succeeded(js)
        {
            out.push(format!(
                "JobSet {}: the child Job books ({:?}; active, failed, previous {:?}) differ \
                 from a recount ({counts:?}; {lists:?})",
                obj.name,
                books.counts(js),
                booked
            ));
        }
        out
    }

    /// `calculateReplicatedJobStatuses` (§3.4), from the books' counters.
    fn replicated_job_statuses(
        &self,
        js: JsId,
        obj: &JobSetObj,
        gate: bool,
    ) -> Vec<ReplicatedJobStatus> {
        let counts = self.children.counts(js);
        obj.spec
            .spec
            .replicated_jobs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let old = obj.status.replicated_jobs.get(i);
                let c = counts[i];
                ReplicatedJobStatus {
                    name: r.name.clone(),
                    ready: c.ready,
                    succeeded: c.succeeded,
                    failed: c.failed,
                    active: c.active,
                    suspended: c.suspended,
                    job_restarts: if gate {
                        old.and_then(|o| o.job_restarts.clone())
                    } else {
                        None
                    },
                    job_restarts_count_towards_max: if gate {
                        old.and_then(|o| o.job_restarts_count_towards_max.clone())
                    } else {
                        None
                    },
                }
            })
            .collect()
    }

    /// One reconcile pass of JobSet `js` (§3.2): its status is written through
    /// `Ctx::update_jobset_status` (landing when the pass ends), its Jobs created, deleted,
    /// suspended and resumed through the API.
    fn reconcile(&mut self, ctx: &mut Ctx, js: JsId) {
        if !reconciled_here(ctx, js) {
            return;
        }
        let jobs = self.child_jobs(ctx, js);
        let gate = ctx.gate("RestartJob");
        let statuses = self.replicated_job_statuses(js, ctx.jobset(js), gate);
        ctx.update_jobset_status(js, |st| st.replicated_jobs = statuses);

        // 5. Terminal: delete what is still active, nothing else.
        let status = &ctx.jobset(js).status;
        if status.is_true("Completed") || status.is_true("Failed") {
            for j in self.children.active(js) {
                self.delete_job(ctx, j);
            }
            self.apply_ttl(ctx, js);
            return;
        }
        // 6. Jobs of older attempts go, foreground. Upstream passes over every one and skips
        // those with a deletionTimestamp; the books list only the Jobs that became previous
        // since the last pass (the others all have one: a deletion is never undone).
        for j in self.children.take_previous_to_delete(js) {
            self.delete_job(ctx, j);
        }
        // 7.
        mark_jobs_ready(ctx, js);
        // 8. Failure outranks success.
        if !jobs.failed.is_empty() {
            self.execute_failure_policy(ctx, js, &jobs.failed);
            return;
        }
        // 9. Success.
        if jobs.any_succeeded && success_policy_met(ctx.jobset(js)) {
            mark_completed(ctx, js);
            return;
        }
        // 10. Headless Service, created once.
        create_service_once(ctx, js);
        // 13. Create missing Jobs.
        self.create_missing_jobs(ctx, js, &jobs);
        // 14. Suspend or resume.
        if ctx.jobset(js).spec.spec.suspended() {
            self.suspend_jobs(ctx, js);
        } else {
            self.resume_jobs_if_necessary(ctx, js);
        }
        // 15. In-place restart.
        if ctx.in_place_enabled(js) {
            self.reconcile_in_place(ctx, js);
        }
    }

    /// §3.8: suspend every active Job, then the Suspended condition.
    fn suspend_jobs(&mut self, ctx: &mut Ctx, js: JsId) {
        let now = ctx.now();
        for j in self.children.active(js) {
            if !ctx.job(j).suspended {
                ctx.set_job_suspended(j, true);
                self.children.job_changed(j);
                ctx.metrics().observe_job(now, j, JobChange::Suspended);
                notify_job_of_update(ctx, j);
            }
        }
        ctx.update_jobset_status(js, |st| {
            update_condition(
                &mut st.conditions,
                condition("Suspended", true, "SuspendedJobs", "jobset is suspended"),
                now,
            );
            update_condition(
                &mut st.conditions,
                condition(
                    "RestartingJobSet",
                    false,
                    "JobSetSuspended",
                    "jobset is suspended",
                ),
                now,
            );
        });
    }

    /// §3.8 `resumeJobsIfNecessary`: resume replicated jobs in order, honouring DependsOn and,
    /// under InOrder, one replicated job per pass.
    fn resume_jobs_if_necessary(&mut self, ctx: &mut Ctx, js: JsId) {
        let now = ctx.now();
        let resumed = |st: &mut JobSetStatus| {
            update_condition(
                &mut st.conditions,
                condition("Suspended", false, "ResumeJobs", "jobset is resumed"),
                now,
            )
        };
        let obj = ctx.jobset(js);
        // Nothing suspended (the counters of this pass say so): only the condition is left.
        if obj.status.replicated_jobs.iter().all(|r| r.suspended == 0) {
            ctx.update_jobset_status(js, resumed);
            return;
        }
        // The active Jobs as this pass classified them (the books change only at the next).
        let active = self.children.active(js);
        let in_order = obj.spec.spec.in_order();
        let n_rj = obj.spec.spec.replicated_jobs.len();
        for rj_index in 0..n_rj {
            let obj = ctx.jobset(js);
            if !depends_on_met(obj, rj_index) {
                continue;
            }
            let replicas = obj.spec.spec.replicated_jobs[rj_index]
                .replicas
                .unwrap_or(1);
            if in_order
                && counters::replicated_job_started(
                    replicas,
                    obj.status.replicated_jobs.get(rj_index),
                )
            {
                note_started_jobs_left_suspended(ctx, js, rj_index, &active);
                continue;
            }
            let suspended: Vec<JobId> = active
                .iter()
                .copied()
                .filter(|&j| ctx.job(j).rj == rj_index as u32 && ctx.job(j).suspended)
                .collect();
            for &j in &suspended {
                merge_template_on_resume(ctx, js, j);
                ctx.set_job_suspended(j, false);
                self.children.job_changed(j);
                ctx.metrics().observe_job(now, j, JobChange::Resumed);
                notify_job_of_update(ctx, j);
            }
            if in_order && !suspended.is_empty() {
                set_startup_in_progress(ctx, js);
                return;
            }
        }
        ctx.update_jobset_status(js, resumed);
    }

    /// §3.9 TTL after finished: foreground-delete the JobSet once the TTL has passed since the
    /// terminal condition's transition, else come back when it will have.
    fn apply_ttl(&mut self, ctx: &mut Ctx, js: JsId) {
        let now = ctx.now();
        let obj = ctx.jobset(js);
        let Some(ttl) = obj.spec.spec.ttl_seconds_after_finished else {
            return;
        };
        let finished = ["Completed", "Failed"]
            .iter()
            .filter_map(|k| obj.status.condition(k).filter(|c| c.status))
            .map(|c| c.last_transition_ns)
            .next()
            .unwrap_or(now);
        let expiry = finished.saturating_add(crate::engine::time::secs_field_ns(ttl as i64));
        if now >= expiry {
            let p = ctx.params();
            let at = now + p.jobset_reconcile_cost_ns + p.api_call_latency_ns;
            ctx.delete_jobset(js, at);
            let jobs = ctx.jobset_jobs(js).to_vec();
            for j in jobs {
                self.delete_job(ctx, j);
            }
            ctx.finish_jobset_deletion(js);
        } else {
            self.enqueue(ctx, js, expiry - now);
        }
    }

    fn execute_failure_policy(&mut self, ctx: &mut Ctx, js: JsId, failed: &[JobId]) {
        let now = ctx.now();
        let obj = ctx.jobset(js);
        let infos: Vec<FailedJob> = failed
            .iter()
            .map(|&j| {
                let job = ctx.job(j);
                let c = job
                    .condition("Failed")
                    .expect("failed jobs have the condition");
                FailedJob {
                    name: job.name.clone(),
                    // The replicated-job-name label's value.
                    replicated_job: obj.spec.spec.replicated_jobs[job.rj as usize].name.clone(),
                    job_index: job.job_index as usize,
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                    failed_at_ns: c.time_ns,
                }
            })
            .collect();
        let gate = ctx.gate("RestartJob");
        let policy = obj.spec.spec.failure_policy.clone();
        let outcome = ctx.update_jobset_status(js, |st| {
            failure_policy::apply(policy.as_ref(), &infos, st, gate, now)
        });
        if let (Some(o), Some((rule, job, action))) =
            (&outcome, failure_policy::decide(policy.as_ref(), &infos))
        {
            if *o != Outcome::GateError {
                let cause = format!("Job {} failed: {}", job.name, job.reason);
                let decision = crate::metrics::recoveries::Decision {
                    failed_ns: job.failed_at_ns,
                    pod_failed_ns: None,
                    rule: rule.map(|r| r.name.as_str()),
                    action,
                    cause: &cause,
                };
                (ctx.metrics()).observe_failure_policy_decision(now, js, failed, decision);
            }
            if let Some((reason, message)) =
                failure_policy::event_for(o, &ctx.jobset(js).status, action, &job.name)
            {
                (ctx.metrics()).observe_failure_policy_event(now, js, &reason, &message);
            }
        }
        if outcome == Some(Outcome::RestartedJobSet) {
            let failed: Vec<(JobId, crate::engine::SimTime)> = failed
                .iter()
                .map(|&j| {
                    let condition = ctx.job(j).condition("Failed");
                    (j, condition.map(|c| c.time_ns).unwrap_or(now))
                })
                .collect();
            let attempt = ctx.jobset(js).status.restarts;
            ctx.metrics()
                .observe_jobset_restart(now, js, attempt, &failed);
        }
        if outcome == Some(Outcome::GateError) {
            // The reconcile errors; controller-runtime retries with backoff (5 ms doubling).
            self.enqueue(ctx, js, 5_000_000);
        }
    }

    /// Step 13 (§3.2) with DependsOn and InOrder gating (§5.2, §5.3).
    fn create_missing_jobs(&mut self, ctx: &mut Ctx, js: JsId, jobs: &ChildJobs) {
        let now = ctx.now();
        let obj = ctx.jobset(js);
        let suspended = obj.spec.spec.suspended();
        let in_order = obj.spec.spec.in_order();
        let blocking = obj.spec.spec.restart_strategy() == "BlockingRecreate";
        // A Job name `<js>-<rj>-<i>` is taken while a Job of that replicated job and index
        // exists, in any attempt (§3.5); names are compared as (replicated job, index).
        // When there are as many Jobs as replicas, every name is taken: skip the bookkeeping.
        let total: usize = obj
            .spec
            .spec
            .replicated_jobs
            .iter()
            .map(|r| r.replicas.unwrap_or(1).max(0) as usize)
            .sum();
        // (Nor any per-index list: a reconcile of a JobSet of 60,000 Jobs built and scanned
        // one of 60,000 entries, and JobSets are reconciled on every child Job's change.)
        // The names the existing Jobs take are kept as the list changes (`TakenNames`): a
        // reconcile reads off only the missing ones.
        let all_taken = ctx.jobset_jobs(js).len() >= total;
        let n_rj = obj.spec.spec.replicated_jobs.len();
        let mut stopped_in_order = false;
        for rj_index in 0..n_rj {
            let obj = ctx.jobset(js);
            let rj = &obj.spec.spec.replicated_jobs[rj_index];
            let replicas = rj.replicas.unwrap_or(1).max(0) as u32;
            // (No list when every name is taken.)
            let missing: Vec<u32> = if !all_taken && (!blocking || !jobs.any_previous) {
                obj.taken_names.missing(rj_index, replicas)
            } else {
                vec![]
            };
            if !depends_on_met(obj, rj_index) {
                continue;
            }
            let st = &obj.status.replicated_jobs[rj_index];
            let started = counters::replicated_job_started(replicas as i32, Some(st));
            if !suspended && in_order && started {
                continue;
            }
            for i in missing {
                self.create_job(ctx, js, rj_index as u32, i);
            }
            if !suspended && in_order {
                set_startup_in_progress(ctx, js);
                stopped_in_order = true;
                break;
            }
        }
        if !suspended && in_order && !stopped_in_order {
            ctx.update_jobset_status(js, |st| {
                update_condition(
                    &mut st.conditions,
                    condition(
                        "StartupPolicyCompleted",
                        true,
                        "InOrderStartupPolicyCompleted",
                        "in order startup policy has completed",
                    ),
                    now,
                )
            });
        }
    }

    /// The Job spec every Job of replicated job `rj_index` gets (§3.5) before what is the
    /// Job's own (the node-selector strategy's pin, the pre-v0.3.0 exclusive terms): its
    /// template with the subdomain, after API defaulting, pod metadata as the template has it.
    /// Built once per replicated job and shared.
    fn shared_job_spec(&mut self, obj: &JobSetObj, js: JsId, rj_index: u32) -> Arc<JobSpec> {
        if let Some(spec) = self.job_spec(js, rj_index, obj.generation) {
            return spec;
        }
        let mut spec = obj.spec.spec.replicated_jobs[rj_index as usize]
            .template
            .spec
            .clone();
        if let Some(sub) = jobset_subdomain(obj) {
            spec.template.spec.subdomain = Some(sub);
        }
        default_job_spec(&mut spec);
        let spec = Arc::new(spec);
        self.keep_job_spec(js, rj_index, obj.generation, spec.clone());
        spec
    }

    /// `constructJob` (§3.5) and the API create.
    fn create_job(&mut self, ctx: &mut Ctx, js: JsId, rj_index: u32, job_index: u32) {
        let now = ctx.now();
        let identity = job_identity(ctx, js, rj_index, job_index);
        let obj = ctx.jobset(js);
        let rj = &obj.spec.spec.replicated_jobs[rj_index as usize];
        let name = format!("{}-{}-{job_index}", obj.name, rj.name);
        let (placement, all_pods) = template_placement(ctx, obj, rj);
        let suspended = obj.spec.spec.suspended();
        let generation = obj.generation;
        let shared = self.shared_job_spec(obj, js, rj_index);
        // The Jobs built from the shared spec share its compiled pod template when no Job's
        // own labels enter it other than through the leader's own terms: the template has
        // no inter-pod terms of its own (`SharedTemplate`).
        let shares_template = !(placement.node_selector_strategy
            || all_pods
            || shape::has_inter_pod_terms(&shared.template.spec));
        let job_spec = own_job_spec(shared, &placement, all_pods, &obj.namespace, &name);
        let shared_template = shares_template
            .then(|| self.shared_template(js, rj_index, generation))
            .flatten();
        let template = match shared_template {
            Some(t) => stamp_job_pod_template(ctx, js, &identity, placement, t),
            None => {
                let keep_for = shares_template.then_some(generation);
                self.compile_template(ctx, js, &identity, &job_spec, placement, keep_for)
            }
        };
        let created_at = self.api_call(ctx);
        let job = new_job(name, js, &identity, suspended, job_spec, created_at);
        let id = ctx.create_job(job, template);
        self.children.job_created(js, id);
        observe_job_created(ctx, id, created_at);
        let delay = created_at - now + ctx.params().watch_delay_ns;
        ctx.enqueue_job(id, delay);
    }

    /// Compiles a Job's pod template; with `keep_for` (the JobSet's generation), keeps it as
    /// the template the replicated job's further Jobs share.
    fn compile_template(
        &mut self,
        ctx: &mut Ctx,
        js: JsId,
        identity: &JobIdentity,
        job_spec: &JobSpec,
        placement: TemplatePlacement,
        keep_for: Option<u64>,
    ) -> crate::control::pod_templates::JobPodTemplate {
        let (template, pod_labels) =
            compile_job_pod_template(ctx, js, identity, job_spec, placement);
        if let Some(generation) = keep_for {
            let leader = template.leader_shape.map(|s| {
                let key = pod_labels
                    .get(JOB_KEY)
                    .expect("a leader's pods are labelled");
                (ctx.shape(s).clone(), key.clone())
            });
            let t = crate::control::pod_templates::SharedTemplate {
                shape: template.shape,
                leader,
            };
            self.keep_shared_template(js, identity.rj, generation, t);
        }
        template
    }

    /// When a create or delete issued by the running reconcile lands: the controller's client
    /// rate limit, at most `jobset_max_in_flight` calls at once, one API latency each.
    fn api_call(&mut self, ctx: &Ctx) -> u64 {
        let p = ctx.params();
        let start = ctx.now() + p.jobset_reconcile_cost_ns;
        let (in_flight, latency) = (p.jobset_max_in_flight, p.api_call_latency_ns);
        let send = self.send_call(start, in_flight, latency);
        send + latency
    }

    /// Foreground deletion of a child Job (§3.6) through the controller's client.
    fn delete_job(&mut self, ctx: &mut Ctx, j: JobId) {
        if ctx.job(j).deletion_ns.is_some() {
            return;
        }
        let at = self.api_call(ctx);
        ctx.delete_job(j, at);
    }
}

/// InOrder resume skips a replicated job that counts as started, and a suspended Job counts
/// as ready when its succeeded pods reach its parallelism: such a Job is never resumed
/// (`resumeJobsIfNecessary`, `calculateReplicatedJobStatuses`), a finding of the run.
fn note_started_jobs_left_suspended(ctx: &mut Ctx, js: JsId, rj_index: usize, active: &[JobId]) {
    let now = ctx.now();
    for &j in active {
        let job = ctx.job(j);
        if job.rj != rj_index as u32 || !job.suspended {
            continue;
        }
        let obj = ctx.jobset(js);
        let (jobset, name) = (obj.name.clone(), job.name.clone());
        let rj = obj.spec.spec.replicated_jobs[rj_index].name.clone();
        ctx.metrics()
            .note_upstream_behaviour(now, SUSPENDED_JOB_NEVER_RESUMED, j, "", || {
                let message = format!(
                    "Job {name} stays suspended: startupPolicy InOrder skips replicated job \
                     {rj} on resume because it counts as started, and a suspended Job whose \
                     succeeded pods reach its parallelism counts as ready \
                     (resumeJobsIfNecessary, calculateReplicatedJobStatuses)"
                );
                (jobset, name, message)
            });
    }
}

fn set_startup_in_progress(ctx: &mut Ctx, js: JsId) {
    let now = ctx.now();
    ctx.update_jobset_status(js, |st| {
        update_condition(
            &mut st.conditions,
            condition(
                "StartupPolicyInProgress",
                true,
                "InOrderStartupPolicyInProgress",
                "in order startup policy is in progress",
            ),
            now,
        )
    });
}

/// A Job spec update from this controller reaches the Job controller.
fn notify_job_of_update(ctx: &mut Ctx, j: JobId) {
    let p = ctx.params();
    let d = p.jobset_reconcile_cost_ns + p.api_call_latency_ns + p.watch_delay_ns;
    ctx.enqueue_job(j, d);
}

/// §5.1: evaluated only with at least one successful and no failed Job; the successful Jobs
/// are this pass's counters.
fn success_policy_met(obj: &JobSetObj) -> bool {
    let policy = obj.spec.spec.success_policy.as_ref();
    let targets: &[String] = policy
        .map(|p| p.target_replicated_jobs.as_slice())
        .unwrap_or(&[]);
    let counts = |rj: &str| targets.is_empty() || targets.iter().any(|t| t == rj);
    let rjs = &obj.spec.spec.replicated_jobs;
    let matching: i32 = (rjs.iter().zip(&obj.status.replicated_jobs))
        .filter(|(r, _)| counts(&r.name))
        .map(|(_, st)| st.succeeded)
        .sum();
    let needed = match policy.map(|p| p.operator.as_str()) {
        Some("Any") => 1,
        _ => rjs
            .iter()
            .filter(|r| counts(&r.name))
            .map(ReplicatedJob::replica_count)
            .sum(),
    };
    matching >= needed
}

/// §5.3: exact equality on the dependency's counters.
pub(super) fn depends_on_met(obj: &JobSetObj, rj_index: usize) -> bool {
    let Some(deps) = &obj.spec.spec.replicated_jobs[rj_index].depends_on else {
        return true;
    };
    deps.iter().all(|d| {
        let pos = obj
            .spec
            .spec
            .replicated_jobs
            .iter()
            .position(|r| r.name == d.name);
        let replicas = pos
            .map(|p| obj.spec.spec.replicated_jobs[p].replica_count())
            .unwrap_or(0);
        counters::dependency_reached(
            pos.and_then(|p| obj.status.replicated_jobs.get(p)),
            replicas,
            &d.status,
        )
    })
}

/// The labels `constructJob` (§3.5) puts on a Job of JobSet `obj` and its pod template, by
/// key: the JobSet's name, uid, the replicated job, the Job's indexes, the restart attempts,
/// the coordinator.
fn job_keys(obj: &JobSetObj, id: &JobIdentity) -> Vec<(&'static str, String)> {
    let spec = &obj.spec.spec;
    let rj_index = id.rj as usize;
    let rj = &spec.replicated_jobs[rj_index];
    let job_index = id.job_index;
    let global_replicas = spec.total_replicas();
    let global_index: i32 = spec.replicated_jobs[..rj_index]
        .iter()
        .map(ReplicatedJob::replica_count)
        .sum::<i32>()
        + job_index as i32;
    let group = rj.group_name.clone().unwrap_or_else(|| "default".into());
    let in_group = |r: &&ReplicatedJob| r.group_name.as_deref().unwrap_or("default") == group;
    let group_replicas: i32 = (spec.replicated_jobs.iter())
        .filter(in_group)
        .map(ReplicatedJob::replica_count)
        .sum();
    let group_index: i32 = spec.replicated_jobs[..rj_index]
        .iter()
        .filter(in_group)
        .map(ReplicatedJob::replica_count)
        .sum::<i32>()
        + job_index as i32;
    let mut keys: Vec<(&'static str, String)> = vec![
        (JOBSET_NAME, obj.name.clone()),
        (JOBSET_UID, obj.uid.clone()),
        (REPLICATED_JOB_NAME, rj.name.clone()),
        (
            REPLICATED_JOB_REPLICAS,
            rj.replicas.unwrap_or(1).to_string(),
        ),
        (GLOBAL_REPLICAS, global_replicas.to_string()),
        (JOB_INDEX, job_index.to_string()),
        (JOB_GLOBAL_INDEX, global_index.to_string()),
        (JOB_KEY, job_key_of(obj, id)),
        (GROUP_NAME, group.clone()),
        (GROUP_REPLICAS, group_replicas.to_string()),
        (JOB_GROUP_INDEX, group_index.to_string()),
        (RESTART_ATTEMPT, id.restart_attempt.to_string()),
    ];
    if let Some(attempt) = id.job_restart_attempt {
        keys.push((JOB_RESTART_ATTEMPT, attempt.to_string()));
    }
    if let Some(c) = &spec.coordinator {
        let sub = jobset_subdomain(obj).unwrap_or_else(|| obj.name.clone());
        keys.push((
            COORDINATOR,
            format!(
                "{}-{}-{}-{}.{sub}",
                obj.name, c.replicated_job, c.job_index, c.pod_index
            ),
        ));
    }
    keys
}

/// The `job-key` label of Job `id`'s pods ([`job_keys`]): SHA-1 of its namespace and name.
fn job_key_of(obj: &JobSetObj, id: &JobIdentity) -> String {
    let rj = &obj.spec.spec.replicated_jobs[id.rj as usize];
    let name = format!("{}-{}-{}", obj.name, rj.name, id.job_index);
    job_key(&obj.namespace, &name)
}

/// A Job's labels and annotations and its pod template's (§3.5), built from what the Job
/// keeps (its JobSet, replicated job, indexes and attempts) when they are read: the keys over
/// the replicated job's own, and the exclusive placement annotations. Jobs do not keep these
/// maps, a dozen entries each that only a few rare paths read.
fn metadata_of(obj: &JobSetObj, id: &JobIdentity) -> JobMetadata {
    let rj = &obj.spec.spec.replicated_jobs[id.rj as usize];
    let pod_meta = &rj.template.spec.template.metadata;
    let mut m = JobMetadata {
        labels: rj.template.metadata.labels.clone(),
        annotations: rj.template.metadata.annotations.clone(),
        pod_labels: pod_meta.labels.clone(),
        pod_annotations: pod_meta.annotations.clone(),
    };
    add_job_keys(
        obj,
        id,
        &mut [
            &mut m.labels,
            &mut m.annotations,
            &mut m.pod_labels,
            &mut m.pod_annotations,
        ],
    );
    add_exclusive_annotations(obj, rj, &mut [&mut m.annotations, &mut m.pod_annotations]);
    m
}

/// The pod template's labels and annotations of [`metadata_of`] alone: compiling a Job's pod
/// template reads no other, and the Job's own two maps were half the cost.
fn pod_metadata_of(obj: &JobSetObj, id: &JobIdentity) -> (StringMap, StringMap) {
    let rj = &obj.spec.spec.replicated_jobs[id.rj as usize];
    let pod_meta = &rj.template.spec.template.metadata;
    let (mut labels, mut annotations) = (pod_meta.labels.clone(), pod_meta.annotations.clone());
    add_job_keys(obj, id, &mut [&mut labels, &mut annotations]);
    add_exclusive_annotations(obj, rj, &mut [&mut annotations]);
    (labels, annotations)
}

/// The pod template's labels of [`pod_metadata_of`] alone.
fn pod_labels_of(obj: &JobSetObj, id: &JobIdentity) -> StringMap {
    let rj = &obj.spec.spec.replicated_jobs[id.rj as usize];
    let mut labels = rj.template.spec.template.metadata.labels.clone();
    add_job_keys(obj, id, &mut [&mut labels]);
    labels
}

/// The JobSet controller's labels and annotations on a child Job (and its pod template).
fn add_job_keys(obj: &JobSetObj, id: &JobIdentity, maps: &mut [&mut StringMap]) {
    let Some((last, others)) = maps.split_last_mut() else {
        return;
    };
    for (k, v) in job_keys(obj, id) {
        for map in others.iter_mut() {
            map.insert(k.to_string(), v.clone());
        }
        // The last map takes the value itself: a clone per key less (the pod labels, built
        // for every Job, are the only map).
        last.insert(k.to_string(), v);
    }
}

/// Exclusive placement annotations: the RJ's Job template wins over the JobSet's.
fn add_exclusive_annotations(
    obj: &JobSetObj,
    rj: &crate::api::types::ReplicatedJob,
    maps: &mut [&mut StringMap],
) {
    let (exclusive, node_selector_strategy) = exclusive_placement(&obj.spec, rj);
    if let Some(topology) = exclusive {
        for map in maps.iter_mut() {
            map.insert(EXCLUSIVE_TOPOLOGY.into(), topology.clone());
            if node_selector_strategy {
                map.insert(NODE_SELECTOR_STRATEGY.into(), "true".into());
            }
        }
    }
}

/// The leader's pod spec after the mutating pod webhook (§6.2): its affinity and
/// anti-affinity terms, built by the webhook model itself.
fn leader_pod_spec(
    pod_spec: &crate::api::types::PodSpec,
    pod_annotations: &StringMap,
    pod_labels: &StringMap,
    jobset_name: &str,
    version: crate::control::pod_webhook::PlacementVersion,
) -> crate::api::types::PodSpec {
    use crate::control::pod_webhook::{default_pod, PodView};
    let mut annotations = pod_annotations.clone();
    annotations.insert(JOB_COMPLETION_INDEX.into(), "0".into());
    let mut labels = pod_labels.clone();
    labels.insert(JOB_COMPLETION_INDEX.into(), "0".into());
    let mut view = PodView {
        name: format!("{jobset_name}-0"),
        namespace: "default".into(),
        labels,
        annotations,
        affinity: pod_spec.affinity.clone(),
        priority: Some(pod_spec.priority.unwrap_or(0)),
        ..Default::default()
    };
    let mut spec = pod_spec.clone();
    if default_pod(&mut view, &[], &|_| None, version).is_ok() {
        spec.affinity = view.affinity;
    }
    spec
}

/// The headless Service's subdomain when DNS hostnames are on: `network.subdomain`, else the
/// JobSet's name.
fn jobset_subdomain(obj: &JobSetObj) -> Option<String> {
    (obj.spec.spec.network.as_ref())
        .filter(|n| n.enable_dns_hostnames == Some(true))
        .map(|n| {
            n.subdomain
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| obj.name.clone())
        })
}

/// The pre-v0.3.0 design: every pod requires its own Job's pods in the domain and repels
/// other Jobs' pods (v0.2.x jobset_controller.go; no priority term yet).
fn add_v02_exclusive_terms(spec: &mut crate::api::types::PodSpec, job_key: &str, topology: &str) {
    use crate::api::types::{
        Affinity, LabelSelector, LabelSelectorRequirement, PodAffinity, PodAffinityTerm,
    };
    let req = |op: &str, values: Vec<String>| LabelSelectorRequirement {
        key: JOB_KEY.into(),
        operator: op.into(),
        values,
    };
    let term = |exprs: Vec<LabelSelectorRequirement>| PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_expressions: exprs,
            ..Default::default()
        }),
        topology_key: topology.to_string(),
        namespace_selector: Some(LabelSelector::default()),
        ..Default::default()
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    affinity
        .pod_affinity
        .get_or_insert_with(PodAffinity::default)
        .required_during_scheduling_ignored_during_execution
        .push(term(vec![req("In", vec![job_key.to_string()])]));
    affinity
        .pod_anti_affinity
        .get_or_insert_with(PodAffinity::default)
        .required_during_scheduling_ignored_during_execution
        .push(term(vec![
            req("Exists", vec![]),
            req("NotIn", vec![job_key.to_string()]),
        ]));
}

/// The pod webhook's priority label (§6.2): the pod's priority, 0 by default (Kubernetes'
/// Priority admission).
fn add_priority_label(labels: &mut StringMap, spec: &JobSpec) {
    let priority = spec.template.spec.priority.unwrap_or(0);
    labels.insert(PRIORITY.into(), priority.to_string());
}

/// The exclusive topology key and whether the node-selector strategy applies, read from the
/// replicated job's Job template if it sets the key, else from the JobSet (§1.12).
pub(crate) fn exclusive_placement(
    js: &crate::api::types::JobSet,
    rj: &crate::api::types::ReplicatedJob,
) -> (Option<String>, bool) {
    for annotations in [&rj.template.metadata.annotations, &js.metadata.annotations] {
        if let Some(t) = annotations.get(EXCLUSIVE_TOPOLOGY) {
            return (
                Some(t.clone()),
                annotations.contains_key(NODE_SELECTOR_STRATEGY),
            );
        }
    }
    (None, false)
}

/// Node-selector strategy (§6.5): the pod template selects the nodes prepared for this Job and
/// tolerates their taint.
pub(crate) fn pin_to_prepared_nodes(
    pod: &mut crate::api::types::PodSpec,
    namespace: &str,
    job_name: &str,
) {
    pod.node_selector
        .insert(NAMESPACED_JOB.into(), format!("{namespace}_{job_name}"));
    pod.tolerations.push(crate::api::types::Toleration {
        key: Some(NO_SCHEDULE_TAINT.into()),
        operator: Some("Exists".into()),
        effect: Some("NoSchedule".into()),
        ..Default::default()
    });
}

impl JobSetController {
    /// The JobSet pod reconciler (§6.4), watching pods, on a leader that just got its node:
    /// followers whose nodeSelector disagrees with the leader's domain are deleted (main) or
    /// only complained about (v0.12.0, which changes nothing in the cluster, so there is
    /// nothing to compute).
    ///
    /// Followers are judged by their nodeSelector, which their shape holds, so the check sees
    /// one follower per distinct shape (`live_follower_shapes`) rather than every pod the Job
    /// keeps: a Job with thousands of failed pods costs the same at each leader bind. Only a
    /// violation walks the Job's pods, to delete them.
    pub(crate) fn on_pod_bound(&mut self, ctx: &mut Ctx, pod: PodId) {
        use crate::control::pod_webhook::{check_placement, PlacementCheck, PlacementVersion};
        let version = ctx.params().jobset_version;
        if version == PlacementVersion::V0_12_0 {
            note_unrepaired_followers(ctx, pod);
            return;
        }
        let p = ctx.pod(pod);
        let j = p.job;
        // Only a leader's bind is checked: the key is copied after that test, not for every pod.
        if p.index != 0 {
            return;
        }
        let Some(key) = ctx.exclusive_key(j).map(str::to_string) else {
            return;
        };
        let leader = placement_view(ctx, pod, p.shape, 0, ctx.pod_name(pod));
        let followers: Vec<_> = (self.live_follower_shapes(j).iter())
            .map(|&(shape, _)| placement_view(ctx, pod, shape, 1, format!("shape-{shape}")))
            .collect();
        let node_labels = |name: &str| -> Option<crate::api::types::StringMap> {
            let n = ctx.node_by_name(name)?;
            Some(
                ctx.node_label(n, &key)
                    .map(|v| [(key.clone(), v.to_string())].into())
                    .unwrap_or_default(),
            )
        };
        let check = check_placement(&leader, &followers, &node_labels, version);
        if let PlacementCheck::DeleteFollowers(_) = check {
            let doomed: Vec<PodId> = (ctx.job_pods(j).iter())
                .copied()
                .filter(|&q| ctx.pod(q).index != 0)
                .collect();
            for q in doomed {
                ctx.change_pod(q, PodChange::DisruptionTarget);
                ctx.gc_request_pod_delete(q, "ExclusivePlacementViolation");
            }
        }
    }
}

/// v0.12.0's reconciler only complains about followers whose nodeSelector names another
/// domain than the leader that just bound (main deletes them, kubernetes-sigs/jobset#1269):
/// they stay, and run, in their domain. Each is marked and the run reports it.
fn note_unrepaired_followers(ctx: &mut Ctx, leader: PodId) {
    let p = ctx.pod(leader);
    let j = p.job;
    let (Some(node), 0) = (p.node, p.index) else {
        return;
    };
    // Copied only for a leader's bind: every pod's bind comes here.
    let Some(key) = ctx.exclusive_key(j).map(str::to_string) else {
        return;
    };
    let Some(leader_domain) = ctx.node_label(node, &key).map(str::to_string) else {
        return;
    };
    let candidates: Vec<(PodId, String)> = (ctx.job_pods(j).iter())
        .copied()
        .filter_map(|q| {
            let pod = ctx.pod(q);
            if pod.index == 0 || pod.removed || pod.phase.terminal() {
                return None;
            }
            let domain = (ctx.shape(pod.shape).node_selector.iter())
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())?;
            (domain != leader_domain).then_some((q, domain))
        })
        .collect();
    let misplaced: Vec<(PodId, String)> = (candidates.into_iter())
        .filter(|&(q, _)| !ctx.metrics().upstream_misplaced(q))
        .collect();
    let now = ctx.now();
    let leader_name = ctx.pod_name(leader);
    for (q, domain) in misplaced {
        let job = ctx.job(j);
        let (jobset, name) = (ctx.jobset(job.jobset).name.clone(), job.name.clone());
        let message = format!(
            "followers of Job {name} stay in {key}={domain} while their leader pod \
             {leader_name} runs in {key}={leader_domain}: v0.12.0's pod reconciler reports \
             the mismatch but deletes nothing (main deletes them, kubernetes-sigs/jobset#1269)"
        );
        ctx.metrics().note_upstream_misplaced(
            q,
            now,
            crate::control::job::UNREPAIRED_FOLLOWERS,
            j,
            &domain,
            || (jobset, name, message),
        );
    }
}

/// What the reconciler reads of a pod of `leader`'s Job with this shape and completion
/// index: the Job's labels and annotations, the shape's nodeSelector; the node and the
/// terminating flag are the leader's own (only the leader's are read).
fn placement_view(
    ctx: &Ctx,
    leader: PodId,
    shape: ShapeId,
    index: u32,
    name: String,
) -> crate::control::pod_webhook::PodView {
    let p = ctx.pod(leader);
    let meta = ctx.job_metadata(p.job);
    let mut annotations = meta.pod_annotations;
    annotations.insert(JOB_COMPLETION_INDEX.into(), index.to_string());
    crate::control::pod_webhook::PodView {
        name,
        namespace: "default".into(),
        labels: meta.labels,
        annotations,
        node_name: p.node.map(|n| ctx.node(n).name.clone()),
        node_selector: ctx.shape(shape).node_selector.iter().cloned().collect(),
        terminating: p.deletion_ns.is_some(),
        owner_uid: p.job.to_string(),
        ..Default::default()
    }
}

/// `resumeJob`: the fields of the replicated job's pod template that Kueue may have changed
/// while the JobSet was suspended (nodeSelector, tolerations, scheduling gates) are merged into the Job before
/// it resumes, so its pods go where admission put them.
fn merge_template_on_resume(ctx: &mut Ctx, js: JsId, j: JobId) {
    let obj = ctx.jobset(js);
    let job = ctx.job(j);
    let rj = &obj.spec.spec.replicated_jobs[job.rj as usize];
    let wanted = &rj.template.spec.template.spec;
    let pod = &job.spec.template.spec;
    let mut selector = pod.node_selector.clone();
    selector.extend(wanted.node_selector.clone());
    let mut tolerations = pod.tolerations.clone();
    for t in &wanted.tolerations {
        if !tolerations.contains(t) {
            tolerations.push(t.clone());
        }
    }
    let mut gates = pod.scheduling_gates.clone();
    for g in &wanted.scheduling_gates {
        if !gates.contains(g) {
            gates.push(g.clone());
        }
    }
    if selector == pod.node_selector
        && tolerations == pod.tolerations
        && gates == pod.scheduling_gates
    {
        return;
    }
    let mut spec = JobSpec::clone(&job.spec);
    spec.template.spec.node_selector = selector;
    spec.template.spec.tolerations = tolerations;
    spec.template.spec.scheduling_gates = gates;
    let identity = JobIdentity {
        rj: job.rj,
        job_index: job.job_index,
        restart_attempt: job.restart_attempt,
        job_restart_attempt: job.job_restart_attempt,
    };
    let (_, node_selector_strategy) = exclusive_placement(&obj.spec, rj);
    let webhook_key = ctx.exclusive_key(j).map(str::to_string);
    let placement = TemplatePlacement {
        leader_follower: webhook_key.is_some(),
        webhook_key,
        node_selector_strategy,
    };
    let (template, _) = compile_job_pod_template(ctx, js, &identity, &spec, placement);
    ctx.replace_job_template(j, Arc::new(spec), template);
}

/// Whether this controller reconciles the JobSet: not being deleted (step 1), and not
/// managed by another controller (§3.13).
fn reconciled_here(ctx: &Ctx, js: JsId) -> bool {
    let obj = ctx.jobset(js);
    let managed_by = obj.spec.spec.managed_by.as_deref();
    obj.deletion_ns.is_none() && managed_by.is_none_or(|m| m == JOBSET_CONTROLLER_NAME)
}

/// Step 7: a running JobSet whose every Job is ready or done is no longer restarting.
fn mark_jobs_ready(ctx: &mut Ctx, js: JsId) {
    let now = ctx.now();
    let obj = ctx.jobset(js);
    let suspended = obj.spec.spec.suspended();
    let total_replicas = obj.spec.spec.total_replicas();
    let ready_or_done: i32 = obj
        .status
        .replicated_jobs
        .iter()
        .map(|r| r.ready + r.succeeded)
        .sum();
    if !suspended && ready_or_done == total_replicas {
        ctx.update_jobset_status(js, |st| {
            update_condition(
                &mut st.conditions,
                condition("RestartingJobSet", false, "JobsReady", "all jobs are ready"),
                now,
            )
        });
    }
}

/// Step 9: the success policy is met; the JobSet completes.
fn mark_completed(ctx: &mut Ctx, js: JsId) {
    let now = ctx.now();
    ctx.update_jobset_status(js, |st| {
        update_condition(
            &mut st.conditions,
            condition(
                "Completed",
                true,
                "AllJobsCompleted",
                "jobset completed successfully",
            ),
            now,
        );
        update_condition(
            &mut st.conditions,
            condition(
                "RestartingJobSet",
                false,
                "JobSetCompleted",
                "jobset completed successfully",
            ),
            now,
        );
        st.terminal_state = Some("Completed".into());
    });
}

/// Step 10: the headless Service of a JobSet with DNS hostnames, created once.
fn create_service_once(ctx: &mut Ctx, js: JsId) {
    let dns = (ctx.jobset(js).spec.spec.network.as_ref()).and_then(|n| n.enable_dns_hostnames)
        == Some(true);
    if dns && !ctx.service_exists(js) {
        let p = ctx.params();
        let at = ctx.now() + p.jobset_reconcile_cost_ns + p.api_call_latency_ns;
        ctx.create_service(js, at);
    }
}

/// What fixes the new Job `job_index` of replicated job `rj_index`'s labels: the JobSet's
/// restart attempt and, under the RestartJob gate, its index's.
fn job_identity(ctx: &Ctx, js: JsId, rj_index: u32, job_index: u32) -> JobIdentity {
    let gate = ctx.gate("RestartJob");
    let obj = ctx.jobset(js);
    JobIdentity {
        rj: rj_index,
        job_index,
        restart_attempt: obj.status.restarts,
        job_restart_attempt: gate.then(|| {
            obj.status.replicated_jobs[rj_index as usize]
                .job_restarts
                .as_ref()
                .and_then(|v| v.get(job_index as usize))
                .copied()
                .unwrap_or(0)
        }),
    }
}

/// How the Jobs of replicated job `rj` place their pods, and whether (before v0.3.0) every
/// pod carries the exclusive terms.
fn template_placement(ctx: &Ctx, obj: &JobSetObj, rj: &ReplicatedJob) -> (TemplatePlacement, bool) {
    let (exclusive, node_selector_strategy) = exclusive_placement(&obj.spec, rj);
    let webhook_key = exclusive.filter(|_| !node_selector_strategy);
    let (leader_follower, all_pods) =
        match (webhook_key.is_some(), ctx.params().exclusive_placement) {
            (false, _) => (false, false),
            (true, crate::params::ExclusivePlacement::LeaderFollower) => (true, false),
            (true, crate::params::ExclusivePlacement::AllPods) => (false, true),
        };
    let placement = TemplatePlacement {
        leader_follower,
        webhook_key,
        node_selector_strategy,
    };
    (placement, all_pods)
}

/// The Job's spec: the shared one, or a copy with what is the Job's own (the node-selector
/// strategy's pin, the pre-v0.3.0 exclusive terms).
fn own_job_spec(
    shared: Arc<JobSpec>,
    placement: &TemplatePlacement,
    all_pods: bool,
    namespace: &str,
    name: &str,
) -> Arc<JobSpec> {
    if !(placement.node_selector_strategy || all_pods) {
        return shared;
    }
    let mut own = JobSpec::clone(&shared);
    if placement.node_selector_strategy {
        pin_to_prepared_nodes(&mut own.template.spec, namespace, name);
    }
    if all_pods {
        // Before v0.3.0 the controller put both terms on the Job's pod template.
        let topology = placement.webhook_key.clone().unwrap_or_default();
        let key = job_key(namespace, name);
        add_v02_exclusive_terms(&mut own.template.spec, &key, &topology);
    }
    Arc::new(own)
}

/// The Job object as its create sends it.
fn new_job(
    name: String,
    js: JsId,
    identity: &JobIdentity,
    suspended: bool,
    spec: Arc<JobSpec>,
    created_at_ns: u64,
) -> JobObj {
    let completions = spec.completions.unwrap_or(1).max(0) as u32;
    JobObj {
        name,
        jobset: js,
        rj: identity.rj,
        job_index: identity.job_index,
        restart_attempt: identity.restart_attempt,
        job_restart_attempt: identity.job_restart_attempt,
        parallelism: spec.parallelism.unwrap_or(1).max(0) as u32,
        completions,
        backoff_limit: spec.backoff_limit.unwrap_or(6),
        suspended,
        spec,
        succeeded_index: vec![false; completions as usize],
        succeeded: 0,
        failed: 0,
        conditions: vec![],
        deletion_ns: None,
        created_at_ns,
        status_active: 0,
        status_ready: 0,
        index_failed: vec![false; completions as usize],
        start_time_ns: None,
    }
}

/// The metrics observe the Job's creation.
fn observe_job_created(ctx: &mut Ctx, id: JobId, created_at_ns: u64) {
    let job = ctx.job(id);
    let job_restart_attempt = job.job_restart_attempt.map(|a| a.to_string());
    let created = JobChange::Created {
        jobset: job.jobset,
        restart_attempt: job.restart_attempt,
        job_restart_attempt: job_restart_attempt.as_deref(),
        suspended: job.suspended,
    };
    ctx.metrics().observe_job(created_at_ns, id, created);
}

/// How a Job's pods are placed, as its pod template's compile needs to know.
struct TemplatePlacement {
    leader_follower: bool,
    /// The exclusive topology key the leader/follower webhooks place by.
    webhook_key: Option<String>,
    node_selector_strategy: bool,
}

/// [`compile_job_pod_template`] for a further Job of a replicated job whose template was
/// compiled for its first Job (`shared`): the same pods' shape and the leader's shape with
/// this Job's `job-key` in its terms. Neither the pod labels (the scheduler builds its own
/// when its informer sees a pod; the leader's terms need only the `job-key`) nor the
/// annotations (only the leader's compile reads them) are built.
fn stamp_job_pod_template(
    ctx: &mut Ctx,
    js: JsId,
    identity: &JobIdentity,
    placement: TemplatePlacement,
    shared: &crate::control::pod_templates::SharedTemplate,
) -> crate::control::pod_templates::JobPodTemplate {
    let TemplatePlacement {
        leader_follower,
        webhook_key,
        ..
    } = placement;
    assert_eq!(
        leader_follower,
        shared.leader.is_some(),
        "a replicated job's Jobs are all placed alike"
    );
    let leader_shape = shared.leader.as_ref().map(|(shape, key)| {
        let own = job_key_of(ctx.jobset(js), identity);
        let shape = shape.with_own_label(JOB_KEY, key, &own);
        ctx.push_shape(shape)
    });
    crate::control::pod_templates::JobPodTemplate {
        shape: shared.shape,
        exclusive_key: if leader_follower { webhook_key } else { None },
        leader_shape,
    }
}

/// A Job's pod template compiled for its pods (`constructJob` and the pod webhooks): the
/// shape, under leader/follower placement the leader's shape, and the pods' labels.
fn compile_job_pod_template(
    ctx: &mut Ctx,
    js: JsId,
    identity: &JobIdentity,
    job_spec: &JobSpec,
    placement: TemplatePlacement,
) -> (crate::control::pod_templates::JobPodTemplate, StringMap) {
    let TemplatePlacement {
        leader_follower,
        webhook_key,
        node_selector_strategy,
    } = placement;
    let obj = ctx.jobset(js);
    let namespace = obj.namespace.clone();
    let jobset_name = obj.name.clone();
    // The pod template's labels and annotations are read only by the leader's terms, the
    // inter-pod terms' compile and the affinity index once it keeps labels: a dozen
    // entries of four maps per Job, built only then (`Sim::job_pod_labels` builds them
    // again when read).
    let meta = (leader_follower
        || ctx.affinity_index_keeps_labels()
        || shape::has_inter_pod_terms(&job_spec.template.spec))
    .then(|| pod_metadata_of(obj, identity));
    // The pod webhook labels every JobSet pod with its priority, except under the
    // node-selector strategy (§1.12); Kubernetes' Priority admission makes it 0 by default.
    let (mut pod_labels, mut pod_annotations) = (StringMap::new(), StringMap::new());
    if let Some(m) = meta {
        (pod_labels, pod_annotations) = m;
        if !node_selector_strategy {
            add_priority_label(&mut pod_labels, job_spec);
        }
    }
    let shape_id = ctx.compile_pod_shape(&job_spec.template.spec, &pod_labels, &namespace);
    let leader_shape = if leader_follower {
        let spec = leader_pod_spec(
            &job_spec.template.spec,
            &pod_annotations,
            &pod_labels,
            &jobset_name,
            ctx.params().jobset_version,
        );
        Some(ctx.compile_pod_shape(&spec, &pod_labels, &namespace))
    } else {
        None
    };
    let template = crate::control::pod_templates::JobPodTemplate {
        shape: shape_id,
        exclusive_key: if leader_follower { webhook_key } else { None },
        leader_shape,
    };
    (template, pod_labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_key_is_sha1_of_namespace_and_name() {
        // printf 'default/js-rjob-0' | sha1sum
        assert_eq!(
            job_key("default", "js-rjob-0"),
            "594cb5c93756409379daf5f78db3fa5c78663cd1"
        );
    }

    /// Each Job's pod template as `create_job` gives it (the first Job of a replicated job
    /// compiled, the others sharing the pods' shape and given the first leader's shape with
    /// their own `job-key`) equals the template compiled for that Job alone: shapes, leader
    /// shapes and pod labels, before and after a restart (a new attempt, new keys).
    #[test]
    fn shared_pod_templates_equal_each_jobs_own_compile() {
        use crate::tests::common::{one_job_scenario, step_until, world};
        for exclusive in [false, true] {
            let mut text = one_job_scenario(3, 2, "pods: {runFor: 30m}")
                .replace("nodesPerPool: 2,", "count: 4, nodesPerPool: 2,")
                .replace(
                    "      - name: workers\n",
                    "      - name: workers\n        replicas: 3\n",
                )
                .replace(
                    "    spec:\n      replicatedJobs:",
                    "    spec:\n      failurePolicy: {maxRestarts: 2}\n      replicatedJobs:",
                );
            if exclusive {
                text = text.replace(
                    "metadata: {name: small}",
                    "metadata: {name: small, annotations: \
                     {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}}",
                );
            }
            let mut sim = world(&text);
            step_until(&mut sim, |s| s.store.jobs.len() == 3);
            job_ends(&mut sim, 0, "Failed", "BackoffLimitExceeded");
            for j in 0..3 {
                sim.api_server(|a, ctx| a.on_job_removed(ctx, j));
            }
            reconcile(&mut sim);
            reconcile(&mut sim);
            assert_eq!(sim.store.jobs.len(), 6, "the restart's Jobs were created");
            for j in 0..6 as JobId {
                let job = &sim.store.jobs[j as usize];
                let identity = JobIdentity {
                    rj: job.rj,
                    job_index: job.job_index,
                    restart_attempt: job.restart_attempt,
                    job_restart_attempt: job.job_restart_attempt,
                };
                let spec = job.spec.clone();
                let webhook_key = sim.pod_templates.exclusive_key(j).map(str::to_string);
                assert_eq!(webhook_key.is_some(), exclusive);
                let placement = TemplatePlacement {
                    leader_follower: exclusive,
                    webhook_key,
                    node_selector_strategy: false,
                };
                let (own, labels) = sim.jobset_controller(|_, ctx| {
                    compile_job_pod_template(ctx, 0, &identity, &spec, placement)
                });
                let given = sim.pod_templates.of(j).clone();
                let shape = |s: ShapeId| &sim.shapes[s as usize];
                assert_eq!(shape(given.shape), shape(own.shape), "Job {j}'s pods");
                assert_eq!(given.exclusive_key, own.exclusive_key);
                match (given.leader_shape, own.leader_shape) {
                    (Some(a), Some(b)) => assert_eq!(shape(a), shape(b), "Job {j}'s leader"),
                    (None, None) => assert!(!exclusive),
                    other => panic!("Job {j}: leader shapes {other:?}"),
                }
                if exclusive {
                    // The labels the scheduler's informer builds for the Job's pods are the
                    // ones its own compile gives them.
                    assert_eq!(sim.job_pod_labels(j), labels, "Job {j}'s pod labels");
                }
            }
            // The pods' shape is compiled once per replicated job (the spec's generation
            // does not change with a restart).
            let t = |j: JobId| sim.pod_templates.of(j).shape;
            assert!((1..6).all(|j| t(j) == t(0)));
        }
    }

    /// A world whose JobSet `small` has two child Jobs (`workers`, replicas 2) of one pod
    /// each, running, stopped there; `spec` is added to the JobSet's spec.
    fn two_jobs_running(spec: &str) -> Sim {
        use crate::tests::common::{one_job_scenario, step_until, world};
        let text = one_job_scenario(3, 1, "pods: {runFor: 30m}")
            .replace(
                "      - name: workers\n",
                "      - name: workers\n        replicas: 2\n",
            )
            .replace(
                "    spec:\n      replicatedJobs:",
                &format!("    spec:\n{spec}      replicatedJobs:"),
            );
        let mut sim = world(&text);
        step_until(&mut sim, |s| {
            s.pods.len() == 2 && s.pods.iter().all(|p| p.phase == PodPhase::Running)
        });
        assert_eq!(sim.store.jobs.len(), 2);
        sim
    }

    /// Job `j` ends with condition `kind` (`Failed` or `Complete`), as the Job controller
    /// writes it; the JobSet controller's Job watch hears of it.
    fn job_ends(sim: &mut Sim, j: JobId, kind: &str, reason: &str) {
        let now = sim.now();
        sim.store.jobs[j as usize].add_condition(kind, reason, "by the test", now);
        sim.jobset_controller.job_changed(j);
    }

    /// One reconcile pass of JobSet 0, without the work queue.
    fn reconcile(sim: &mut Sim) {
        sim.jobset_controller(|c, ctx| c.reconcile(ctx, 0));
    }

    /// The reconcile as the work queue runs it: a status write is observed and enqueues the
    /// next pass; a wake-up that is not due does nothing.
    #[test]
    fn a_queued_reconcile_runs_once_when_due() {
        let mut sim = two_jobs_running("");
        let reconciles = sim.rec.jobset_reconciles;
        sim.jobset_controller(|c, ctx| c.on_reconcile_jobset(ctx, 0));
        assert_eq!(sim.rec.jobset_reconciles, reconciles, "nothing queued now");
        sim.enqueue_jobset(0, 0);
        sim.jobset_controller(|c, ctx| c.on_reconcile_jobset(ctx, 0));
        assert_eq!(sim.rec.jobset_reconciles, reconciles + 1);
    }

    /// A failed child Job under the default RestartJobSet: the first pass restarts the JobSet
    /// (restarts 1), the next deletes every Job of attempt 0 through the API, and once they
    /// are gone every Job is created again with restart attempt 1.
    #[test]
    fn a_failed_job_restarts_the_jobset_with_the_next_attempt() {
        let mut sim = two_jobs_running("      failurePolicy: {maxRestarts: 3}\n");
        job_ends(&mut sim, 1, "Failed", "BackoffLimitExceeded");
        reconcile(&mut sim);
        let st = &sim.store.jobsets[0].status;
        assert_eq!(st.restarts, 1);
        assert!(st.terminal_state.is_none());
        assert!(
            sim.store.jobs.iter().all(|j| j.deletion_ns.is_none()),
            "deleted next pass"
        );
        reconcile(&mut sim);
        assert!(sim.store.jobs.iter().all(|j| j.deletion_ns.is_some()));
        assert_eq!(
            sim.store.jobs.len(),
            2,
            "the names are taken until the old Jobs are gone"
        );
        for j in 0..2 {
            sim.api_server(|a, ctx| a.on_job_removed(ctx, j));
        }
        reconcile(&mut sim);
        assert_eq!(sim.store.jobs.len(), 4);
        for j in 2..4 {
            assert_eq!(sim.store.jobs[j].restart_attempt, 1);
            assert_eq!(sim.job_metadata(j as JobId).labels[RESTART_ATTEMPT], "1");
        }
        assert_eq!(sim.store.jobset_jobs(0), [2, 3]);
        assert_eq!(sim.child_books_violations(0), Vec::<String>::new());
    }

    /// A failed child Job with maxRestarts reached fails the JobSet; its next pass deletes the
    /// Jobs still active.
    #[test]
    fn max_restarts_reached_fails_the_jobset() {
        let mut sim = two_jobs_running("      failurePolicy: {maxRestarts: 0}\n");
        job_ends(&mut sim, 0, "Failed", "BackoffLimitExceeded");
        reconcile(&mut sim);
        let st = &sim.store.jobsets[0].status;
        assert_eq!(st.terminal_state.as_deref(), Some("Failed"));
        let failed = st.condition("Failed").expect("the Failed condition");
        assert!(failed.status);
        assert_eq!(failed.reason, "ReachedMaxRestarts");
        assert_eq!(st.restarts, 0);
        assert!(sim.store.jobs[1].deletion_ns.is_none());
        reconcile(&mut sim);
        assert!(
            sim.store.jobs[1].deletion_ns.is_some(),
            "the active Job goes"
        );
        assert!(
            sim.store.jobs[0].deletion_ns.is_none(),
            "the failed one stays"
        );
    }

    /// A success policy (`operator: Any`) met by one completed Job completes the JobSet; the
    /// next pass deletes the Job still running.
    #[test]
    fn a_success_policy_completes_the_jobset() {
        let mut sim = two_jobs_running(
            "      successPolicy: {operator: Any, targetReplicatedJobs: [workers]}\n",
        );
        reconcile(&mut sim);
        assert!(
            sim.store.jobsets[0].status.terminal_state.is_none(),
            "nothing succeeded yet"
        );
        job_ends(&mut sim, 0, "Complete", "CompletionsReached");
        reconcile(&mut sim);
        let st = &sim.store.jobsets[0].status;
        assert_eq!(st.terminal_state.as_deref(), Some("Completed"));
        assert!(st.is_true("Completed"));
        assert_eq!(st.replicated_jobs[0].succeeded, 1);
        reconcile(&mut sim);
        assert!(sim.store.jobs[1].deletion_ns.is_some());
        assert!(sim.store.jobs[0].deletion_ns.is_none());
    }

    /// A JobSet of one exclusive Job (topology key `pool`) with a leader and a follower, on
    /// two single-node pools `a` and `b`, run until both pods are bound, under the JobSet
    /// controller `version`. Returns the world, the leader and the follower.
    fn leader_and_follower_bound(version: &str) -> (Sim, PodId, PodId) {
        use crate::tests::common::{one_job_scenario, step_until, world};
        let text = one_job_scenario(3, 2, "pods: {runFor: 30m}")
            .replace(
                "cluster:\n",
                &format!("controlPlane:\n  jobsetController: {{version: {version}}}\ncluster:\n"),
            )
            .replace(
                "metadata: {name: small}",
                "metadata: {name: small, annotations: \
                 {alpha.jobset.sigs.k8s.io/exclusive-topology: pool}}",
            )
            .replace(
                "  - {name: cpu, nodesPerPool: 2, capacity: {cpu: 8, memory: 32Gi}}\n",
                "  - {name: a, nodesPerPool: 1, capacity: {cpu: 8, memory: 32Gi}, labels: {pool: a}}\n  \
                 - {name: b, nodesPerPool: 1, capacity: {cpu: 8, memory: 32Gi}, labels: {pool: b}}\n",
            );
        let mut sim = world(&text);
        step_until(&mut sim, |s| {
            s.pods.len() == 2 && s.pods.iter().all(|p| p.node.is_some())
        });
        let (leader, follower) = (0, 1);
        assert_eq!((sim.pods[leader].index, sim.pods[follower].index), (0, 1));
        assert_eq!(
            sim.pods[leader].node, sim.pods[follower].node,
            "the follower is admitted to its leader's pool"
        );
        (sim, leader as PodId, follower as PodId)
    }

    /// The leader bound again in the other pool (as a new leader would be), through the
    /// pod-change path, which runs the pod reconciler.
    fn rebind_leader_elsewhere(sim: &mut Sim, leader: PodId) {
        let other = (sim.pods[leader as usize].node.expect("bound") + 1) % 2;
        sim.change_pod(leader, PodChange::Bound { node: other });
    }

    /// The pod reconciler on a leader's bind (main, kubernetes-sigs/jobset#1269): followers in
    /// the leader's domain stay; once the leader is bound in another domain, the followers
    /// placed by the old one get `DisruptionTarget` and a DELETE from the GC's client.
    #[test]
    fn followers_away_from_their_leader_are_deleted_on_its_bind() {
        let (mut sim, leader, follower) = leader_and_follower_bound("main");
        sim.handle(
            |s| &mut s.jobset_controller,
            |c, ctx| c.on_pod_bound(ctx, leader),
        );
        let f = follower as usize;
        assert!(!sim.pods[f].disruption_target, "in the leader's domain");
        assert!(!sim.delete_requests.in_flight(follower));
        rebind_leader_elsewhere(&mut sim, leader);
        assert!(sim.pods[f].disruption_target);
        assert!(sim.delete_requests.in_flight(follower));
    }

    /// v0.12.0's pod reconciler only reports followers away from their leader's domain: they
    /// are noted once for the run's report and keep running, with no DELETE.
    #[test]
    fn followers_away_from_their_leader_are_only_reported_under_v0_12_0() {
        let (mut sim, leader, follower) = leader_and_follower_bound("v0.12.0");
        sim.handle(
            |s| &mut s.jobset_controller,
            |c, ctx| c.on_pod_bound(ctx, leader),
        );
        assert!(
            !sim.rec.upstream_misplaced(follower),
            "in the leader's domain"
        );
        rebind_leader_elsewhere(&mut sim, leader);
        assert!(sim.rec.upstream_misplaced(follower));
        assert!(!sim.pods[follower as usize].disruption_target);
        assert!(!sim.delete_requests.in_flight(follower));
    }
}

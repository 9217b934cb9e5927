//! The Kubernetes Job controller (pkg/controller/job), for the Jobs JobSet creates: Indexed
//! pod creation with slow start, success and failure conditions, pod-failure backoff.
//!
//! A component: its reactions are methods of `JobController` over a `Ctx` (`Sim::handle`):
//! the sync (`on_sync_job`), its Job informer (`on_job_created`, `enqueue`) and its pod
//! informer (`on_pod_update` books what the next sync reads, `on_pod_watch` queues the Job).
//! It writes Job status through `Ctx::update_job_status`, creates pods through the API
//! server's path (`Ctx::admit_pod`, the pod webhooks, then `Ctx::create_pod`) and deletes them
//! through its own client (`Ctx::request_pod_delete`); its status writes reach the JobSet
//! controller's Job watch (`Ctx::jobset_job_changed`, `Ctx::enqueue_jobset`).

mod controller;
mod workqueue;

pub(crate) use controller::JobController;
// The pod-failure back-off, which the recovery report names when it is where the time went.
pub(crate) use controller::{MAX_POD_FAILURE_BACKOFF_NS, POD_FAILURE_BACKOFF_NS};

use crate::engine::time::secs_field_ns;
use crate::engine::SimTime;
use crate::metrics::api_calls::ApiCall;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::{PodBefore, PodChange};
use crate::sim::{Event, Sim};

/// What the podFailurePolicy says about one failed pod.
enum PodFailureAction {
    FailJob(String),
    Ignore,
    FailIndex,
    Count,
}

fn backoff_exceeded() -> (String, String) {
    (
        "BackoffLimitExceeded".into(),
        "Job has reached the specified backoff limit".into(),
    )
}

/// MaxPodCreateDeletePerSync.
const MAX_PODS_PER_SYNC: u32 = 500;

/// What a sync compares to decide whether it wrote the Job's status: active, ready,
/// succeeded, failed, and the number of conditions (append-only).
type StatusFingerprint = (u32, u32, u32, u32, usize);

fn status_fingerprint(job: &JobObj) -> StatusFingerprint {
    (
        job.status_active,
        job.status_ready,
        job.succeeded,
        job.failed,
        job.conditions.len(),
    )
}

impl JobController {
    /// Adds a Job key to the controller's delaying queue `delay_ns` from now (earliest due
    /// time wins).
    pub(crate) fn enqueue(&mut self, ctx: &mut Ctx, j: JobId, delay_ns: u64) {
        let due = ctx.now() + delay_ns;
        if ctx.job_exists(j) && self.enqueue_at(j, due) {
            ctx.schedule_at(due, Event::SyncJob(j));
        }
    }

    /// Its Job informer sees Job `j` created (ids come in creation order).
    pub(crate) fn on_job_created(&mut self, ctx: &mut Ctx, j: JobId) {
        self.job_created(j, ctx.job(j).completions);
    }

    /// The pod informer's update handler books what the next sync reads: a pod's succeeded
    /// index (written to the Job's status at once), or a failed pod to count (once). A pod
    /// counts as failed when it reaches phase Failed, or when it is evicted, unless the Job
    /// waits for terminal pods (`podReplacementPolicy: Failed`). Returns whether it booked a
    /// failed pod.
    pub(crate) fn on_pod_update(
        &mut self,
        ctx: &mut Ctx,
        pod: PodId,
        before: &PodBefore,
        change: PodChange,
    ) -> bool {
        let p = ctx.pod(pod);
        let (j, index, phase) = (p.job, p.index as usize, p.phase);
        if phase == PodPhase::Succeeded && before.phase != PodPhase::Succeeded {
            let counted = ctx.update_job_status(j, |job| {
                let new = index < job.succeeded_index.len() && !job.succeeded_index[index];
                if new {
                    job.succeeded_index[index] = true;
                    job.succeeded += 1;
                }
                new
            });
            if counted {
                ctx.jobset_job_changed(j);
            }
            return false;
        }
        let evicted = matches!(change, PodChange::Deleting { evicted: true, .. });
        let failed = phase == PodPhase::Failed
            || (evicted && ctx.job(j).spec.pod_replacement_policy.as_deref() != Some("Failed"));
        if !failed || self.counted_failed(pod) {
            return false;
        }
        self.book_failed(j, pod);
        true
    }

    /// A pod of the Job changed: the controller syncs after its batching period.
    #[inline(always)] // four times per pod
    pub(crate) fn on_pod_watch(&mut self, ctx: &mut Ctx, pod: PodId) {
        let j = ctx.pod(pod).job;
        let d = ctx.params().watch_delay_ns + ctx.params().job_sync_batch_period_ns;
        self.enqueue(ctx, j, d);
    }

    /// A queued sync of Job `j` is due (a stale wake-up, one an earlier entry replaced, does
    /// nothing): it joins the work queue, and free workers take what waits there.
    pub(crate) fn on_sync_job(&mut self, ctx: &mut Ctx, j: JobId) {
        let now = ctx.now();
        if !self.take_due(j, now) {
            return;
        }
        self.queue.add(j, now);
        self.run_workers(ctx);
    }

    /// A sync worker's wake-up: syncs that ended free their workers for what waits.
    pub(crate) fn on_workers_free(&mut self, ctx: &mut Ctx) {
        self.queue.woke(ctx.now());
        self.run_workers(ctx);
    }

    /// Free workers take waiting Jobs, oldest first; each sync holds its worker until its
    /// processing and the calls it waits for are done. When Jobs still wait, or a Job was
    /// queued again during its sync, a wake-up is set for the worker that frees first.
    fn run_workers(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        while let Some(j) = self.queue.take(now) {
            self.sync_starts(now, ctx.params().job_sync_cost_ns);
            self.sync_one(ctx, j);
            let end = self.sync_end();
            self.queue.busy_until(j, end);
        }
        if let Some(at) = self.queue.next_wake(now) {
            ctx.schedule_at(at, Event::JobWorkersFree);
        }
    }

    /// One sync of Job `j` by a worker.
    fn sync_one(&mut self, ctx: &mut Ctx, j: JobId) {
        let conditions_before = ctx.job(j).conditions.len();
        self.sync_job(ctx, j);
        self.remove_tracking_finalizers(ctx, j);
        // Its status may have changed: the JobSet controller's Job watch hears of it.
        ctx.jobset_job_changed(j);
        // A Job's conditions are append-only: the sync added those past the old length.
        let added = ctx.job(j).conditions[conditions_before..].to_vec();
        let now = ctx.now();
        ctx.metrics().observe_job_conditions(now, j, &added);
    }

    fn sync_job(&mut self, ctx: &mut Ctx, j: JobId) {
        let now = ctx.now();
        let job = ctx.job(j);
        if !ctx.job_exists(j) || job.deletion_ns.is_some() || job.finished().is_some() {
            return;
        }
        let before = status_fingerprint(job);
        let suspended = job.suspended;
        if !suspended && job.start_time_ns.is_none() {
            ctx.update_job_status(j, |job| job.start_time_ns = Some(now));
        }
        self.arm_active_deadline(ctx, j);
        self.count_failed_pods(ctx, j);
        // The live pods (not finished, not being deleted), how many are ready, and whether
        // any is still terminating: kept as pods change, listed only when acted on.
        let live = ctx.job_pod_counts(j);
        let terminating = live.terminating > 0;
        ctx.update_job_status(j, |job| {
            job.status_active = live.active;
            job.status_ready = live.ready;
        });

        // A Job that met its failure or success criteria finishes once its pods are gone
        // (FailureTarget / SuccessCriteriaMet first, §7.1).
        for (interim, terminal) in [
            ("FailureTarget", "Failed"),
            ("SuccessCriteriaMet", "Complete"),
        ] {
            if let Some(c) = ctx.job(j).condition(interim).cloned() {
                if live.active_undeleted > 0 {
                    for p in active_pods(ctx, j) {
                        self.delete_pod(ctx, p, &c.reason);
                    }
                }
                if live.active == 0 && !terminating {
                    add_condition(ctx, j, terminal, &c.reason, &c.message);
                }
                self.after_status_write(ctx, j, before);
                return;
            }
        }
        if let Some((reason, message)) = failure_criteria(ctx, j) {
            add_condition(ctx, j, "FailureTarget", &reason, &message);
            return self.sync_job_again_now(ctx, j, before);
        }
        let job = ctx.job(j);
        if job.succeeded >= job.completions {
            add_condition(
                ctx,
                j,
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            );
            return self.sync_job_again_now(ctx, j, before);
        }
        if suspended {
            if live.active_undeleted > 0 {
                for p in active_pods(ctx, j) {
                    self.delete_pod(ctx, p, "JobSuspended");
                }
            }
            self.after_status_write(ctx, j, before);
            return;
        }
        self.create_missing_pods(ctx, j, live.active);
        self.after_status_write(ctx, j, before);
    }

    /// A pod DELETE through its own client, sent after the sync's processing; when it
    /// returns, the `SuccessfulDelete` Event (`RealPodControl.DeletePod`).
    fn delete_pod(&mut self, ctx: &mut Ctx, pod: PodId, reason: &str) {
        let cost = ctx.params().job_sync_cost_ns;
        let mut sent_ns = None;
        ctx.request_pod_delete(pod, reason, |at_ns| {
            let sent = self.send_call(at_ns + cost);
            sent_ns = Some(sent);
            sent
        });
        if let Some(sent) = sent_ns {
            ctx.metrics().api_calls.observe(ApiCall::JobPodDelete);
            let returned = sent + ctx.params().api_call_latency_ns;
            self.sync_waits_until(returned);
            self.record_event(ctx, ctx.pod(pod).job, returned);
        }
    }

    /// The sync's last step (`trackJobStatusAndRemoveFinalizers`): every pod of the Job that
    /// finished, was deleted (or has a DELETE from this sync on its way), or whose Job is
    /// being deleted, loses its tracking finalizer by one PATCH on the controller's client.
    /// The PATCHes go together once the sync's creates and deletes have returned
    /// (`removeTrackingFinalizerFromPods`), and the sync waits for them; a deleted pod's object
    /// goes only when its PATCH has returned (`Sim::on_finalizer_removed`).
    fn remove_tracking_finalizers(&mut self, ctx: &mut Ctx, j: JobId) {
        if !ctx.job_exists(j) {
            return;
        }
        let job = ctx.job(j);
        let job_deleting = job.deletion_ns.is_some();
        let due: Vec<PodId> = (ctx.job_pods(j).iter().copied())
            .filter(|&p| !self.finalizer_patch_in_flight(p))
            .filter(|&p| {
                let pod = ctx.pod(p);
                pod.holds_tracking_finalizer()
                    && (job_deleting
                        || pod.phase.terminal()
                        || pod.deletion_ns.is_some()
                        || ctx.pod_delete_in_flight(p))
            })
            .collect();
        if due.is_empty() {
            return;
        }
        let at = self.sync_end();
        let latency = ctx.params().api_call_latency_ns;
        for p in due {
            let returned = self.send_call(at) + latency;
            self.sync_waits_until(returned);
            self.finalizer_patch_sent(p);
            ctx.metrics().api_calls.observe(ApiCall::JobFinalizerPatch);
            ctx.schedule_at(returned, Event::FinalizerRemoved(p));
        }
    }

    /// Records an Event about Job `j` at `at_ns`: sent on the controller's client unless the
    /// spam filter drops it.
    fn record_event(&mut self, ctx: &mut Ctx, j: JobId, at_ns: SimTime) {
        let call = match self.send_event(j, at_ns) {
            true => ApiCall::JobEvent,
            false => ApiCall::JobEventFiltered,
        };
        ctx.metrics().api_calls.observe(call);
    }

    /// A sync that changed the Job's status writes it (`UpdateStatus`) through the client
    /// after its processing; the JobSet controller's Job watch hears of it one API call and
    /// one watch delay after the write leaves.
    fn after_status_write(&mut self, ctx: &mut Ctx, j: JobId, before: StatusFingerprint) {
        if status_fingerprint(ctx.job(j)) == before {
            return;
        }
        let now = ctx.now();
        let p = ctx.params();
        let (cost, latency, watch) = (p.job_sync_cost_ns, p.api_call_latency_ns, p.watch_delay_ns);
        let sent = self.send_call(now + cost);
        self.sync_waits_until(sent + latency);
        ctx.metrics().api_calls.observe(ApiCall::JobStatusWrite);
        let js = ctx.job(j).jobset;
        ctx.enqueue_jobset(js, sent - now + latency + watch);
    }

    /// After adding an interim condition the same sync goes on to delete pods and, when none
    /// remain, to finish the Job.
    fn sync_job_again_now(&mut self, ctx: &mut Ctx, j: JobId, before: StatusFingerprint) {
        self.after_status_write(ctx, j, before);
        self.forget_due(j);
        self.sync_job(ctx, j);
    }

    /// Wakes the Job when its activeDeadlineSeconds runs out. Re-armed on every sync, as the
    /// real controller requeues with the remaining time, because the work queue keeps only the
    /// earliest wake-up of a key.
    fn arm_active_deadline(&mut self, ctx: &mut Ctx, j: JobId) {
        let job = ctx.job(j);
        if let (Some(start), Some(d)) = (job.start_time_ns, job.spec.active_deadline_seconds) {
            let deadline = start.saturating_add(secs_field_ns(d));
            let now = ctx.now();
            if deadline > now {
                self.enqueue(ctx, j, deadline - now);
            }
        }
    }

    /// Accounts failed pods the controller has not seen yet, through the podFailurePolicy.
    fn count_failed_pods(&mut self, ctx: &mut Ctx, j: JobId) {
        let now = ctx.now();
        let uncounted = self.take_uncounted(j);
        let per_index = ctx.job(j).spec.backoff_limit_per_index.is_some();
        for &pod in &uncounted {
            let action = pod_failure_policy_action(ctx, j, pod);
            let index = ctx.pod(pod).index as usize;
            match action {
                PodFailureAction::FailJob(message) => ctx.update_job_status(j, |job| {
                    job.add_condition("FailureTarget", "PodFailurePolicy", &message, now);
                }),
                PodFailureAction::Ignore => {}
                PodFailureAction::FailIndex => ctx.update_job_status(j, |job| {
                    if index < job.index_failed.len() {
                        job.index_failed[index] = true;
                    }
                }),
                PodFailureAction::Count => {
                    let failures = self.count_failure(j, index, now, per_index);
                    ctx.update_job_status(j, |job| {
                        job.failed += 1;
                        let per_index = job.spec.backoff_limit_per_index;
                        if let (Some(failures), Some(limit)) = (failures, per_index) {
                            if failures as i64 > limit as i64 {
                                job.index_failed[index] = true;
                            }
                        }
                    });
                }
            }
        }
        for pod in uncounted {
            // A removed pod's slot waited for this read (`Sim::release_pod_slot`).
            ctx.release_accounted_pod(pod);
        }
    }

    /// Creates pods for the lowest missing completion indexes, in slow-start batches
    /// (1, 2, 4, ...), each batch one round of API latency. Replacements of failed pods wait
    /// out the pod-failure backoff (10 s doubling to 10 min), per index with
    /// backoffLimitPerIndex, else per Job.
    fn create_missing_pods(&mut self, ctx: &mut Ctx, j: JobId, active: u32) {
        let now = ctx.now();
        let job = ctx.job(j);
        let want_active = job
            .parallelism
            .min(job.completions - job.succeeded.min(job.completions));
        if active >= want_active {
            return;
        }
        let per_index = job.spec.backoff_limit_per_index.is_some();
        if !per_index {
            if let Some(wait) = self.job_backoff_left_ns(j, job.failed, now) {
                self.enqueue(ctx, j, wait);
                return;
            }
        }
        let covered = covered_indexes(ctx, j);
        let budget = (want_active - active).min(MAX_PODS_PER_SYNC);
        let (missing, earliest_wait) = self.indexes_to_create(j, job, &covered, budget, now);
        if let Some(wait) = earliest_wait {
            self.enqueue(ctx, j, wait);
        }
        let (batches_end, rejected) = self.create_in_batches(ctx, j, &missing);
        // A batch with an error ends the sync with an error: the Job is retried through the
        // API back-off (1 s doubling to 60 s); a clean sync resets it.
        if let Some(delay) = self.api_backoff_after_creates(j, rejected) {
            let wait = batches_end.saturating_sub(now) + delay;
            self.enqueue(ctx, j, wait);
        }
    }

    /// Creates the pods of the `missing` indexes in slow-start batches until one is rejected.
    /// Returns when the last batch returned and whether a create was rejected.
    fn create_in_batches(&mut self, ctx: &mut Ctx, j: JobId, missing: &[u32]) -> (u64, bool) {
        // Each batch's creates go out together through the rate limiter; the next batch waits
        // for the whole batch to return. A JobSet pod's create passes the pod webhooks.
        let params = ctx.params();
        let mut batch_start = ctx.now() + params.job_sync_cost_ns;
        let call = params.api_call_latency_ns + params.webhook_latency_ns;
        let mut batch = 1usize;
        let mut offset = 0usize;
        let mut rejected = false;
        // The webhooks answer the same for every follower of one sync: look the leader up once.
        let follower = if missing.iter().any(|&i| i > 0) {
            ctx.admit_pod(j, 1)
        } else {
            None
        };
        // Sized for every create at once: the batches double, and a list grown with them
        // reallocated in most syncs.
        let mut returned_ns = Vec::with_capacity(missing.len());
        while offset < missing.len() && !rejected {
            let end = (offset + batch).min(missing.len());
            let mut batch_end = batch_start;
            returned_ns.clear();
            for &index in &missing[offset..end] {
                let at = self.send_call(batch_start) + call;
                ctx.metrics().api_calls.observe(ApiCall::JobPodCreate);
                let admitted = match index {
                    0 => ctx.admit_pod(j, 0),
                    _ => follower.clone(),
                };
                if !ctx.create_pod(j, index, admitted.as_ref(), at) {
                    rejected = true;
                }
                returned_ns.push(at);
                self.sync_waits_until(at);
                batch_end = batch_end.max(at);
            }
            // Each create that returns records SuccessfulCreate (or FailedCreate): sent on the
            // same client, they take their tokens before the next batch's creates.
            for &at in &returned_ns {
                self.record_event(ctx, j, at);
            }
            offset = end;
            batch *= 2;
            batch_start = batch_end;
        }
        (batch_start, rejected)
    }
}

/// Which completion indexes a pod of Job `j` holds: one not finished and not being deleted,
/// or (with podReplacementPolicy Failed) terminating but not yet gone.
fn covered_indexes(ctx: &Ctx, j: JobId) -> Vec<bool> {
    let job = ctx.job(j);
    let wait_for_terminal = job.spec.pod_replacement_policy.as_deref() == Some("Failed");
    let mut covered = vec![false; job.completions as usize];
    for &p in ctx.job_pods(j) {
        let pod = ctx.pod(p);
        let holds = !pod.phase.terminal()
            && (pod.deletion_ns.is_none() || (wait_for_terminal && !pod.removed));
        if holds && (pod.index as usize) < covered.len() {
            covered[pod.index as usize] = true;
        }
    }
    covered
}

/// The Job's active pods (not finished, not being deleted), in creation order.
fn active_pods(ctx: &Ctx, j: JobId) -> Vec<PodId> {
    (ctx.job_pods(j).iter().copied())
        .filter(|&p| LiveCounts::of(ctx.pod(p), false).active == 1)
        .collect()
}

/// The Job's failure criteria in upstream's priority order (§7.1): a podFailurePolicy
/// FailJob match (recorded while counting pods), the backoff limit, the active deadline,
/// then the per-index limits.
fn failure_criteria(ctx: &Ctx, j: JobId) -> Option<(String, String)> {
    let now = ctx.now();
    let job = ctx.job(j);
    let on_failure = job.spec.template.spec.restart_policy.as_deref() != Some("Never");
    let limit = job.backoff_limit.max(0) as u64;
    if on_failure {
        let restarts: u64 = active_pods(ctx, j)
            .iter()
            .map(|&p| ctx.pod(p))
            .filter(|p| matches!(p.phase, PodPhase::Running | PodPhase::Pending))
            .map(|p| p.restart_count as u64)
            .sum();
        if (limit == 0 && restarts > 0) || (limit > 0 && restarts >= limit) {
            return Some(backoff_exceeded());
        }
    }
    if job.failed as u64 > limit {
        return Some(backoff_exceeded());
    }
    if let (Some(start), Some(deadline_s)) = (job.start_time_ns, job.spec.active_deadline_seconds) {
        if now >= start.saturating_add(secs_field_ns(deadline_s)) {
            return Some((
                "DeadlineExceeded".into(),
                "Job was active longer than specified deadline".into(),
            ));
        }
    }
    if job.spec.backoff_limit_per_index.is_some() {
        let failed_indexes = job.index_failed.iter().filter(|&&f| f).count() as i64;
        if let Some(max) = job.spec.max_failed_indexes {
            if failed_indexes > max as i64 {
                return Some((
                    "MaxFailedIndexesExceeded".into(),
                    "Job has exceeded the specified maximal number of failed indexes".into(),
                ));
            }
        }
        let all_finished =
            (0..job.completions as usize).all(|i| job.succeeded_index[i] || job.index_failed[i]);
        if failed_indexes > 0 && all_finished {
            return Some(("FailedIndexes".into(), "Job has failed indexes".into()));
        }
    }
    None
}

/// The first podFailurePolicy rule that matches the failed pod decides; none means Count.
fn pod_failure_policy_action(ctx: &Ctx, j: JobId, pod: PodId) -> PodFailureAction {
    let job = ctx.job(j);
    let Some(policy) = &job.spec.pod_failure_policy else {
        return PodFailureAction::Count;
    };
    let p = ctx.pod(pod);
    let name = ctx.pod_name(pod);
    let ns = &ctx.jobset(job.jobset).namespace;
    for (i, rule) in policy.rules.iter().enumerate() {
        let matched = if let Some(codes) = &rule.on_exit_codes {
            p.last_exit.map(|(c, code)| (ctx.container_name(c), code)).and_then(|(container, code)| {
                let container_ok = codes.container_name.as_deref().is_none_or(|c| c == container);
                let in_values = codes.values.contains(&code);
                let op_ok = match codes.operator.as_str() {
                    "In" => in_values,
                    "NotIn" => !in_values,
                    _ => false,
                };
                (container_ok && op_ok).then(|| {
                    format!("Container {container} for pod {ns}/{} failed with exit code {code} matching {} rule at index {i}", name, rule.action)
                })
            })
        } else {
            rule.on_pod_conditions.iter().find_map(|c| {
                let status_ok = c.status.as_deref().unwrap_or("True") == "True";
                let has = p.disruption_target
                    && c.condition_type == crate::control::pod_webhook::DISRUPTION_TARGET;
                (status_ok && has).then(|| {
                    format!(
                        "Pod {ns}/{} has condition {} matching {} rule at index {i}",
                        name, c.condition_type, rule.action
                    )
                })
            })
        };
        if let Some(message) = matched {
            return match rule.action.as_str() {
                "FailJob" => PodFailureAction::FailJob(message),
                "Ignore" => PodFailureAction::Ignore,
                "FailIndex" => PodFailureAction::FailIndex,
                _ => PodFailureAction::Count,
            };
        }
    }
    PodFailureAction::Count
}

fn add_condition(ctx: &mut Ctx, j: JobId, kind: &str, reason: &str, message: &str) {
    let now = ctx.now();
    ctx.update_job_status(j, |job| job.add_condition(kind, reason, message, now));
}

impl Sim {
    /// Runs one of the Job controller's handlers (`Sim::handle`).
    pub(crate) fn job_controller<R>(
        &mut self,
        handler: impl FnOnce(&mut JobController, &mut Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.job_controller, handler)
    }

    /// The Job controller's Job informer hears of a change to Job `j` (a create, a spec
    /// update) `delay_ns` from now: the Job is queued for a sync.
    pub(crate) fn enqueue_job(&mut self, j: JobId, delay_ns: u64) {
        self.job_controller(|jc, ctx| jc.enqueue(ctx, j, delay_ns));
    }
}

/// `summary.json` `upstream_behaviours` kinds (docs/metrics.md).
pub(crate) const FOLLOWERS_FROM_STALE_LEADER: &str = "followers-from-stale-leader";
pub(crate) const FOLLOWERS_DENIED_AFTER_LEADER_SUCCEEDED: &str =
    "followers-denied-after-leader-succeeded";
pub(crate) const FOLLOWERS_DENIED_AFTER_LEADER_INDEX_FAILED: &str =
    "followers-denied-after-leader-index-failed";
pub(crate) const UNREPAIRED_FOLLOWERS: &str = "unrepaired-followers";
pub(crate) const SUSPENDED_JOB_NEVER_RESUMED: &str = "suspended-job-never-resumed";
pub(crate) const IN_PLACE_BARRIER_NEVER_LIFTS: &str = "in-place-barrier-never-lifts";
pub(crate) const FOLLOWERS_DENIED_FINISHED_LEADER_COUNTED: &str =
    "followers-denied-finished-leader-counted";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::common::{one_job_scenario, step_until, world};

    /// A world whose one Job runs its three pods (`restartPolicy: Never`) on two nodes, stopped
    /// there; `job_spec` is added to the Job's spec.
    fn running_job(job_spec: &str) -> Sim {
        let text = one_job_scenario(3, 3, "pods: {runFor: 30m}").replace(
            "            parallelism: 3\n",
            &format!("            parallelism: 3\n{job_spec}"),
        );
        let mut sim = world(&text);
        step_until(&mut sim, |s| {
            (s.pods.iter())
                .filter(|p| p.phase == PodPhase::Running)
                .count()
                == 3
        });
        sim
    }

    /// Queues Job `j` now and runs its sync, as the wake-up would.
    fn sync_now(sim: &mut Sim, j: JobId) {
        sim.job_controller(|jc, ctx| {
            jc.enqueue(ctx, j, 0);
            jc.on_sync_job(ctx, j);
        });
    }

    fn kill(sim: &mut Sim, pod: PodId) {
        sim.kubelet(|k, ctx| k.kill_container(ctx, pod, 1, "Error"));
    }

    /// The pod informer books a failed pod once and queues the Job after the batching period;
    /// that sync counts it, and the replacement waits out the pod-failure back-off (10 s from
    /// the counted failure) before it is created, at the same completion index.
    #[test]
    fn a_failed_pod_is_counted_once_and_replaced_after_the_back_off() {
        let mut sim = running_job("");
        let failed_ns = sim.now();
        kill(&mut sim, 0);
        assert_eq!(sim.pods[0].phase, PodPhase::Failed);
        assert_eq!(
            sim.job_controller.uncounted(0),
            [0],
            "booked, not yet counted"
        );
        assert!(sim.job_controller.counted_failed(0));
        step_until(&mut sim, |s| s.store.jobs[0].failed == 1);
        let counted_ns = sim.now();
        let p = &sim.params;
        // At the latest after the batching period (a sync queued earlier comes first).
        assert!(counted_ns > failed_ns);
        assert!(counted_ns <= failed_ns + p.watch_delay_ns + p.job_sync_batch_period_ns);
        assert!(sim.job_controller.uncounted(0).is_empty());
        assert_eq!(
            sim.job_pods[0].len(),
            3,
            "no replacement during the back-off"
        );
        step_until(&mut sim, |s| s.job_pods[0].len() == 4);
        assert_eq!(sim.now(), counted_ns + POD_FAILURE_BACKOFF_NS);
        let replacement = *sim.job_pods[0].last().expect("a pod");
        assert_eq!(sim.pods[replacement as usize].index, sim.pods[0].index);
        assert_eq!(sim.store.jobs[0].failed, 1, "counted once");
    }

    /// Past its backoffLimit the Job gets FailureTarget at once, deletes its active pods
    /// through its own client in the same sync, and fails only once no pod is left running.
    #[test]
    fn a_job_past_its_backoff_limit_deletes_its_pods_then_fails() {
        // Walks removed pods after the run.
        crate::sim::pod_store::keep_every_slot_in_this_test();
        let mut sim = running_job("            backoffLimit: 0\n");
        kill(&mut sim, 0);
        sync_now(&mut sim, 0);
        let job = &sim.store.jobs[0];
        let target = job.condition("FailureTarget").expect("FailureTarget");
        assert_eq!(target.reason, "BackoffLimitExceeded");
        assert_eq!(job.finished(), None, "two pods are still active");
        assert!(sim.delete_requests.in_flight(1) && sim.delete_requests.in_flight(2));
        let counts = sim.job_pod_counts[0];
        assert_eq!((counts.active, counts.active_undeleted), (2, 0));
        // A second sync sends no DELETE again. Queued while the first still waits for its
        // DELETEs, it runs when that one's worker is free (a key is never synced twice at once).
        let deletes = sim.rec.api_calls.job_controller.pod_deletes;
        assert_eq!(deletes, 2);
        let scheduled = sim.queue.scheduled();
        sync_now(&mut sim, 0);
        assert_eq!(
            sim.queue.scheduled(),
            scheduled + 2,
            "the wake-up, then the worker's"
        );
        step_until(&mut sim, |s| s.store.jobs[0].finished().is_some());
        assert_eq!(sim.rec.api_calls.job_controller.pod_deletes, deletes);
        assert_eq!(sim.store.jobs[0].finished(), Some("Failed"));
        assert!((1..3).all(|p| sim.pods[p].deletion_ns.is_some()));
        assert_eq!(sim.pods.len(), 3, "no replacement");
    }

    /// A suspended Job deletes its active pods and creates none; a wake-up that is not the
    /// queued one does nothing.
    #[test]
    fn a_suspended_job_deletes_its_pods_and_creates_none() {
        let mut sim = running_job("");
        // As the JobSet controller writes it for a suspended JobSet (which keeps it so).
        sim.store.jobsets[0].spec.spec.suspend = Some(true);
        sim.store.jobs[0].suspended = true;
        let synced_ns = sim.now();
        sync_now(&mut sim, 0);
        assert!((0..3).all(|p| sim.delete_requests.in_flight(p)));
        // The same sync PATCHes the three finalizers away once its DELETEs returned: sent
        // after its 1 ms of processing, each DELETE returns 10 ms later, then each PATCH
        // takes 10 ms (unthrottled client): back at 21 ms.
        assert_eq!(sim.rec.api_calls.job_controller.finalizer_patches, 3);
        step_until(&mut sim, |s| !s.pods[2].holds_tracking_finalizer());
        let p = &sim.params;
        let back = synced_ns + p.job_sync_cost_ns + 2 * p.api_call_latency_ns;
        assert_eq!(sim.now(), back);
        step_until(&mut sim, |s| s.job_pods[0].is_empty());
        let scheduled = sim.queue.scheduled();
        sim.job_controller(|jc, ctx| jc.on_sync_job(ctx, 0));
        assert_eq!(sim.queue.scheduled(), scheduled, "not queued: no sync");
        sync_now(&mut sim, 0);
        assert_eq!(sim.pods.len(), 3, "no pod created while suspended");
        assert_eq!(sim.store.jobs[0].status_active, 0);
    }

    /// Each succeeded pod's index is written to the Job's status once, by the informer; the
    /// next sync meets the success criteria and completes the Job (no pod left active).
    #[test]
    fn succeeded_pods_complete_the_job() {
        let mut sim = running_job("");
        for p in 0..3 {
            sim.kubelet(|k, ctx| k.finish_run_now(ctx, p));
        }
        step_until(&mut sim, |s| s.store.jobs[0].succeeded == 3);
        assert_eq!(sim.store.jobs[0].succeeded_index, [true; 3]);
        assert_eq!(sim.store.jobs[0].finished(), None, "not synced yet");
        sync_now(&mut sim, 0);
        let kinds: Vec<&str> = (sim.store.jobs[0].conditions.iter())
            .map(|c| c.kind.as_str())
            .collect();
        assert_eq!(kinds, ["SuccessCriteriaMet", "Complete"]);
        assert_eq!(sim.store.jobs[0].succeeded, 3);
    }
}

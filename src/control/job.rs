//! The Kubernetes Job controller (pkg/controller/job), for the Jobs JobSet creates: Indexed
//! pod creation with slow start, success and failure conditions, pod-failure backoff.

use crate::engine::time::NS_PER_S;
use crate::sim::objects::*;
use crate::sim::{Event, Sim};

/// DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
const POD_FAILURE_BACKOFF_NS: u64 = 10 * NS_PER_S;
const MAX_POD_FAILURE_BACKOFF_NS: u64 = 600 * NS_PER_S;
/// MaxPodCreateDeletePerSync.
const MAX_PODS_PER_SYNC: u32 = 500;

impl Sim {
    /// Adds a Job key to the Job controller's delaying queue (earliest due time wins).
    pub(crate) fn enqueue_job(&mut self, j: JobId, delay_ns: u64) {
        let due = self.now() + delay_ns;
        let job = &mut self.jobs[j as usize];
        if job.removed || job.sync_due_ns.is_some_and(|d| d <= due) {
            return;
        }
        job.sync_due_ns = Some(due);
        self.queue.schedule_at(due, Event::SyncJob(j));
    }

    /// A pod of this Job changed: the controller syncs after its batching period.
    pub(crate) fn notify_job_of_pod(&mut self, pod: PodId) {
        let j = self.pods[pod as usize].job;
        let d = self.params.watch_delay_ns + self.params.job_sync_batch_period_ns;
        self.enqueue_job(j, d);
    }

    pub(crate) fn on_sync_job(&mut self, j: JobId) {
        if self.jobs[j as usize].sync_due_ns != Some(self.now()) {
            return;
        }
        self.jobs[j as usize].sync_due_ns = None;
        self.sync_job(j);
    }

    /// Status as the Job controller writes it: active and ready pods.
    pub(crate) fn job_ready_and_active(&self, j: JobId) -> (u32, u32) {
        let job = &self.jobs[j as usize];
        (job.status_ready, job.status_active)
    }

    fn live_pods(&self, j: JobId) -> impl Iterator<Item = PodId> + '_ {
        self.jobs[j as usize].pods.iter().copied().filter(|&p| {
            let pod = &self.pods[p as usize];
            !pod.phase.terminal() && pod.deletion_ns.is_none()
        })
    }

    fn sync_job(&mut self, j: JobId) {
        let now = self.now();
        {
            let job = &self.jobs[j as usize];
            if job.removed || job.deletion_ns.is_some() || job.finished().is_some() {
                return;
            }
        }
        let before = self.job_status_fingerprint(j);
        let active: Vec<PodId> = self.live_pods(j).collect();
        let ready = active
            .iter()
            .filter(|&&p| self.pods[p as usize].ready)
            .count() as u32;
        let terminating = self.jobs[j as usize].pods.iter().any(|&p| {
            self.pods[p as usize].deletion_ns.is_some() && !self.pods[p as usize].removed
        });
        {
            let job = &mut self.jobs[j as usize];
            job.status_active = active.len() as u32;
            job.status_ready = ready;
        }

        // A Job that reached its failure or success criteria finishes once its pods are gone.
        if let Some(target) = self.jobs[j as usize].condition("FailureTarget").cloned() {
            if active.is_empty() && !terminating {
                self.add_job_condition(j, "Failed", &target.reason, &target.message);
            }
            self.after_job_status_write(j, before);
            return;
        }
        let job = &self.jobs[j as usize];
        let restart_never = job.spec.template.spec.restart_policy.as_deref() == Some("Never");
        if restart_never && job.failed as i64 > job.backoff_limit as i64 {
            self.add_job_condition(
                j,
                "FailureTarget",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
            );
            for p in active.iter().copied() {
                self.delete_pod(p, "BackoffLimitExceeded");
            }
            if active.is_empty() && !terminating {
                self.add_job_condition(
                    j,
                    "Failed",
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                );
            }
            self.after_job_status_write(j, before);
            return;
        }
        let job = &self.jobs[j as usize];
        if job.succeeded >= job.completions {
            if job.condition("SuccessCriteriaMet").is_none() {
                self.add_job_condition(
                    j,
                    "SuccessCriteriaMet",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                );
            }
            for p in active.iter().copied() {
                self.delete_pod(p, "CompletionsReached");
            }
            if active.is_empty() && !terminating {
                self.add_job_condition(
                    j,
                    "Complete",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                );
            }
            self.after_job_status_write(j, before);
            return;
        }
        if job.spec.suspend == Some(true) {
            self.after_job_status_write(j, before);
            return;
        }
        // Pod-failure backoff: no replacement before it has elapsed.
        if let Some(last) = job.last_pod_failure_ns {
            let mut backoff = POD_FAILURE_BACKOFF_NS;
            for _ in 1..job.failed {
                backoff = (backoff * 2).min(MAX_POD_FAILURE_BACKOFF_NS);
            }
            if now < last + backoff {
                let wait = last + backoff - now;
                self.enqueue_job(j, wait);
                self.after_job_status_write(j, before);
                return;
            }
        }
        self.create_missing_pods(j, &active);
        self.after_job_status_write(j, before);
    }

    fn job_status_fingerprint(&self, j: JobId) -> (u32, u32, u32, u32, usize) {
        let job = &self.jobs[j as usize];
        (
            job.status_active,
            job.status_ready,
            job.succeeded,
            job.failed,
            job.conditions.len(),
        )
    }

    /// A Job status write reaches the JobSet controller through its Job watch.
    fn after_job_status_write(&mut self, j: JobId, before: (u32, u32, u32, u32, usize)) {
        if self.job_status_fingerprint(j) != before {
            let js = self.jobs[j as usize].jobset;
            let d = self.params.job_sync_cost_ns
                + self.params.api_call_latency_ns
                + self.params.watch_delay_ns;
            self.enqueue_jobset(js, d);
        }
    }

    fn add_job_condition(&mut self, j: JobId, kind: &str, reason: &str, message: &str) {
        let now = self.now();
        let job = &mut self.jobs[j as usize];
        if job.condition(kind).is_none() {
            job.conditions.push(JobCondition {
                kind: kind.into(),
                reason: reason.into(),
                message: message.into(),
                time_ns: now,
            });
        }
    }

    /// Creates pods for the lowest missing completion indexes, in slow-start batches
    /// (1, 2, 4, ...), each batch one round of API latency.
    fn create_missing_pods(&mut self, j: JobId, active: &[PodId]) {
        let job = &self.jobs[j as usize];
        let want_active = job
            .parallelism
            .min(job.completions - job.succeeded.min(job.completions));
        if active.len() as u32 >= want_active {
            return;
        }
        let mut budget = (want_active - active.len() as u32).min(MAX_PODS_PER_SYNC);
        let mut covered = vec![false; job.completions as usize];
        for &p in active {
            let idx = self.pods[p as usize].index as usize;
            if idx < covered.len() {
                covered[idx] = true;
            }
        }
        let missing: Vec<u32> = (0..job.completions)
            .filter(|&i| !job.succeeded_index[i as usize] && !covered[i as usize])
            .take_while(|_| {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                true
            })
            .collect();
        let start = self.now() + self.params.job_sync_cost_ns;
        let mut batch = 1usize;
        let mut offset = 0usize;
        let mut round = 1u64;
        while offset < missing.len() {
            let end = (offset + batch).min(missing.len());
            let at = start + round * self.params.api_call_latency_ns;
            for &index in &missing[offset..end] {
                self.create_pod(j, index, at);
            }
            offset = end;
            batch *= 2;
            round += 1;
        }
    }

    fn create_pod(&mut self, j: JobId, index: u32, at: u64) {
        let suffix = self.random_suffix();
        let job = &self.jobs[j as usize];
        let pod = PodObj {
            name: format!("{}-{index}-{suffix}", job.name),
            job: j,
            index,
            shape: job.shape,
            phase: PodPhase::Pending,
            node: None,
            ready: false,
            created: false,
            deletion_ns: None,
            removed: false,
            reserved_on: None,
            pending_exit: None,
            last_unschedulable: None,
            schedule_attempts: 0,
            created_at_ns: at,
        };
        self.pods.push(pod);
        let id = (self.pods.len() - 1) as PodId;
        self.jobs[j as usize].pods.push(id);
        self.queue.schedule_at(at, Event::PodCreated(id));
    }

    pub(crate) fn on_pod_created(&mut self, pod: PodId) {
        let p = &mut self.pods[pod as usize];
        if p.removed {
            return;
        }
        p.created = true;
        self.rec.pods_created += 1;
        self.record(pod, "Created", String::new());
        if self.pods[pod as usize].deletion_ns.is_none() {
            self.queue
                .schedule_in(self.params.watch_delay_ns, Event::SchedulerAddPod(pod));
        }
    }
}

//! The Job controller's private state: its work queue entry per Job, its API back-off, the
//! failed pods its pod informer booked and no sync has accounted yet, and its pod-failure
//! back-off records. Upstream keeps these in the controller's work queue, `podBackoffStore` and
//! expectations, never in the Job object, so they are kept here, beside the `JobObj`s. Dense by
//! `JobId` (Jobs are never freed). The counts of each Job's pods that a sync reads are an index
//! over the pod store the pod-change path keeps (`Sim::job_pod_counts`, `Ctx::job_pod_counts`),
//! as upstream's sync lists the pods from the shared informer's cache.

use super::super::events::EventRecorder;
use super::workqueue::WorkQueue;
use crate::engine::time::NS_PER_S;
use crate::engine::{SimTime, TokenBucket};
use crate::sim::objects::{JobId, JobObj, PodId};

/// DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
pub(crate) const POD_FAILURE_BACKOFF_NS: u64 = 10 * NS_PER_S;
pub(crate) const MAX_POD_FAILURE_BACKOFF_NS: u64 = 600 * NS_PER_S;
/// DefaultJobApiBackOff and MaxJobApiBackOff.
const API_BACKOFF_NS: u64 = NS_PER_S;
const MAX_API_BACKOFF_NS: u64 = 60 * NS_PER_S;

#[derive(Debug)]
pub(crate) struct JobController {
    /// Its API client's rate limiter: pod creates and deletes, Job status writes, Events.
    client: TokenBucket,
    /// Its event recorder's spam filter, per Job.
    events: EventRecorder,
    jobs: Vec<JobBooks>,
    /// Its work queue of due Jobs and the pool of sync workers.
    pub(super) queue: WorkQueue,
    /// The sync in progress holds its worker until then: its processing, and every call it
    /// waits for (pod creates and deletes, the status write; not its Events, which the
    /// event broadcaster sends on its own goroutine).
    sync_end_ns: SimTime,
    /// By `PodId`: the informer counted the pod failed (once; upstream its UID enters
    /// `uncountedTerminatedPods` and its tracking finalizer goes). Grown as pods are booked.
    counted_failed: Vec<bool>,
    /// By `PodId`: a PATCH removing the pod's tracking finalizer is on its way (the
    /// finalizer itself is on the pod, `PodObj::tracking_finalizer`). Grown as PATCHes are
    /// sent.
    finalizer_patches: Vec<bool>,
}

/// One Job's entry.
#[derive(Debug, Clone, Default)]
struct JobBooks {
    /// The sync queued for this time (the work queue keeps one entry per key).
    sync_due_ns: Option<SimTime>,
    /// Consecutive syncs whose pod creates failed: the API back-off's step.
    api_backoff_steps: u32,
    /// Failed pods the informer booked that no sync has accounted yet.
    uncounted_failed: Vec<PodId>,
    /// When the Job's last counted pod failure happened (the Job-wide back-off counts from it).
    last_pod_failure_ns: Option<SimTime>,
    /// The Job's completions: the indexes below.
    completions: u32,
    /// Per completion index: counted failures and the last one's time (backoffLimitPerIndex;
    /// upstream counts them on the pods' `job-index-failure-count` annotation). Empty until
    /// a pod of the Job first fails (most Jobs of a long run never count one).
    index_failures: Vec<u32>,
    index_last_failure_ns: Vec<Option<SimTime>>,
}

impl JobController {
    pub(crate) fn new(client: TokenBucket, workers: u32) -> Self {
        JobController {
            client,
            events: EventRecorder::default(),
            jobs: vec![],
            queue: WorkQueue::new(workers),
            sync_end_ns: 0,
            counted_failed: vec![],
            finalizer_patches: vec![],
        }
    }

    /// When a call issued at `at_ns` leaves through the rate limiter.
    pub(super) fn send_call(&mut self, at_ns: SimTime) -> SimTime {
        self.client.reserve(at_ns)
    }

    /// The sync in progress waits for something until `at_ns`: its worker is busy until then.
    pub(super) fn sync_waits_until(&mut self, at_ns: SimTime) {
        self.sync_end_ns = self.sync_end_ns.max(at_ns);
    }

    /// A sync starts at `now_ns` and costs `cost_ns` of processing at least.
    pub(super) fn sync_starts(&mut self, now_ns: SimTime, cost_ns: u64) {
        self.sync_end_ns = now_ns + cost_ns;
    }

    /// When the sync that just ran releases its worker.
    pub(super) fn sync_end(&self) -> SimTime {
        self.sync_end_ns
    }

    /// An Event about Job `j` recorded at `at_ns`: sent through the client (taking a token)
    /// unless the spam filter drops it. True when sent.
    pub(super) fn send_event(&mut self, j: JobId, at_ns: SimTime) -> bool {
        if !self.events.passes_spam_filter(j, at_ns) {
            return false;
        }
        self.send_call(at_ns);
        true
    }

    /// The informer saw Job `j` created; ids come in creation order.
    pub(super) fn job_created(&mut self, j: JobId, completions: u32) {
        assert_eq!(
            j as usize,
            self.jobs.len(),
            "Jobs are registered as created"
        );
        self.jobs.push(JobBooks {
            completions,
            ..JobBooks::default()
        });
    }

    fn books(&mut self, j: JobId) -> &mut JobBooks {
        &mut self.jobs[j as usize]
    }

    /// Queues a sync of `j` at `due_ns` unless one is queued no later (the delaying queue keeps
    /// the earliest). True when the caller must schedule the wake-up.
    pub(super) fn enqueue_at(&mut self, j: JobId, due_ns: SimTime) -> bool {
        let books = self.books(j);
        if books.sync_due_ns.is_some_and(|d| d <= due_ns) {
            return false;
        }
        books.sync_due_ns = Some(due_ns);
        true
    }

    /// A wake-up of `j` at `now_ns`: true, and the entry leaves the queue, when it is the
    /// queued one; a wake-up an earlier entry replaced is stale.
    pub(super) fn take_due(&mut self, j: JobId, now_ns: SimTime) -> bool {
        let books = self.books(j);
        if books.sync_due_ns != Some(now_ns) {
            return false;
        }
        books.sync_due_ns = None;
        true
    }

    /// The sync in progress runs again at once: whatever was queued is covered by it.
    pub(super) fn forget_due(&mut self, j: JobId) {
        self.books(j).sync_due_ns = None;
    }

    /// The informer booked a failed pod of `j` for the next sync to account.
    pub(super) fn book_failed(&mut self, j: JobId, pod: PodId) {
        let at = pod as usize;
        if self.counted_failed.len() <= at {
            self.counted_failed.resize(at + 1, false);
        }
        assert!(!self.counted_failed[at], "a failed pod is counted once");
        self.counted_failed[at] = true;
        self.books(j).uncounted_failed.push(pod);
    }

    /// A PATCH removing `pod`'s tracking finalizer is on its way.
    pub(super) fn finalizer_patch_in_flight(&self, pod: PodId) -> bool {
        (self.finalizer_patches.get(pod as usize).copied()).unwrap_or(false)
    }

    /// A PATCH removing `pod`'s finalizer was sent.
    pub(super) fn finalizer_patch_sent(&mut self, pod: PodId) {
        let at = pod as usize;
        if self.finalizer_patches.len() <= at {
            self.finalizer_patches.resize(at + 1, false);
        }
        assert!(!self.finalizer_patches[at], "one PATCH per finalizer");
        self.finalizer_patches[at] = true;
    }

    /// The PATCH removing `pod`'s finalizer returned.
    pub(crate) fn finalizer_patch_returned(&mut self, pod: PodId) {
        let sent = self.finalizer_patches.get_mut(pod as usize);
        assert!(
            sent.as_deref() == Some(&true),
            "a finalizer goes by its PATCH"
        );
        self.finalizer_patches[pod as usize] = false;
    }

    /// The informer counted `pod` failed already.
    pub(crate) fn counted_failed(&self, pod: PodId) -> bool {
        self.counted_failed
            .get(pod as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The booked failed pods, handed to the sync that accounts them.
    pub(super) fn take_uncounted(&mut self, j: JobId) -> Vec<PodId> {
        std::mem::take(&mut self.books(j).uncounted_failed)
    }

    /// Failed `pod` of Job `j` is booked and no sync has accounted it yet.
    pub(crate) fn awaits_accounting(&self, j: JobId, pod: PodId) -> bool {
        (self.jobs.get(j as usize)).is_some_and(|b| b.uncounted_failed.contains(&pod))
    }

    /// Failed pods booked and not yet accounted.
    #[cfg(test)]
    pub(crate) fn uncounted(&self, j: JobId) -> &[PodId] {
        &self.jobs[j as usize].uncounted_failed
    }

    /// A failure of a pod at completion `index` counted against the back-off limits at
    /// `now_ns`. Under backoffLimitPerIndex (`per_index`), the index's failures so far (None
    /// for an index outside the Job); without it None, and no per-index books are kept:
    /// nothing reads them, and they took 20 bytes per completion index of every Job that
    /// ever failed a pod (18 MB of a 54-day run's 96).
    pub(super) fn count_failure(
        &mut self,
        j: JobId,
        index: usize,
        now_ns: SimTime,
        per_index: bool,
    ) -> Option<u32> {
        let books = self.books(j);
        books.last_pod_failure_ns = Some(now_ns);
        if !per_index || index >= books.completions as usize {
            return None;
        }
        if books.index_failures.is_empty() {
            let n = books.completions as usize;
            books.index_failures = vec![0; n];
            books.index_last_failure_ns = vec![None; n];
        }
        let failures = &mut books.index_failures[index];
        *failures += 1;
        books.index_last_failure_ns[index] = Some(now_ns);
        Some(*failures)
    }

    /// Time left of the Job-wide pod-failure back-off after `failed` counted failures.
    pub(super) fn job_backoff_left_ns(
        &self,
        j: JobId,
        failed: u32,
        now_ns: SimTime,
    ) -> Option<u64> {
        remaining_backoff(self.jobs[j as usize].last_pod_failure_ns, failed, now_ns)
    }

    /// Time left of completion `index`'s pod-failure back-off (backoffLimitPerIndex).
    fn index_backoff_left_ns(&self, j: JobId, index: usize, now_ns: SimTime) -> Option<u64> {
        let books = &self.jobs[j as usize];
        remaining_backoff(
            books.index_last_failure_ns.get(index).copied().flatten(),
            books.index_failures.get(index).copied().unwrap_or(0),
            now_ns,
        )
    }

    /// A sync's pod creates ended: after a rejected one, the delay before the Job is retried
    /// (1 s doubling per consecutive failure, at most 60 s); a clean one resets the back-off.
    pub(super) fn api_backoff_after_creates(&mut self, j: JobId, rejected: bool) -> Option<u64> {
        let books = self.books(j);
        if !rejected {
            books.api_backoff_steps = 0;
            return None;
        }
        let delay = (API_BACKOFF_NS << books.api_backoff_steps.min(6)).min(MAX_API_BACKOFF_NS);
        books.api_backoff_steps += 1;
        Some(delay)
    }

    /// The most syncs its workers ever ran at once.
    #[cfg(test)]
    pub(crate) fn peak_syncs_in_flight(&self) -> u32 {
        self.queue.peak_in_flight()
    }

    /// Consecutive failed syncs of `j` (0: none), for the stalled-recovery diagnosis.
    pub(crate) fn api_backoff_steps(&self, j: JobId) -> u32 {
        self.jobs[j as usize].api_backoff_steps
    }
}

impl JobController {
    /// The completion indexes a sync creates pods for now, lowest first and at most `budget`:
    /// those that have not succeeded, have not failed for good and hold no pod (`covered`).
    /// Under backoffLimitPerIndex an index still in its back-off waits; the earliest end of
    /// those waits comes back with the indexes, to wake the Job then.
    pub(super) fn indexes_to_create(
        &self,
        j: JobId,
        job: &JobObj,
        covered: &[bool],
        mut budget: u32,
        now_ns: SimTime,
    ) -> (Vec<u32>, Option<u64>) {
        let per_index = job.spec.backoff_limit_per_index.is_some();
        let mut missing = vec![];
        let mut earliest_wait: Option<u64> = None;
        for (i, &held) in covered.iter().enumerate() {
            if budget == 0 {
                break;
            }
            if job.succeeded_index[i] || job.index_failed[i] || held {
                continue;
            }
            if per_index {
                if let Some(wait) = self.index_backoff_left_ns(j, i, now_ns) {
                    earliest_wait = Some(earliest_wait.map_or(wait, |w| w.min(wait)));
                    continue;
                }
            }
            missing.push(i as u32);
            budget -= 1;
        }
        (missing, earliest_wait)
    }
}

/// The pod-failure back-off after `failures` (at least 1) failures: 10 s doubling per further
/// failure, at most 10 min. In closed form, so that an index with thousands of failures costs
/// the same as one with two (10 s * 2^6 = 640 s is past the cap).
fn pod_failure_backoff_ns(failures: u32) -> u64 {
    const DOUBLINGS_TO_MAX: u32 = 6;
    let doublings = failures.saturating_sub(1).min(DOUBLINGS_TO_MAX);
    (POD_FAILURE_BACKOFF_NS << doublings).min(MAX_POD_FAILURE_BACKOFF_NS)
}

/// Time left of the pod-failure backoff after `failures` failures, the last at `last`.
fn remaining_backoff(last: Option<u64>, failures: u32, now: u64) -> Option<u64> {
    let last = last?;
    if failures == 0 {
        return None;
    }
    let backoff = pod_failure_backoff_ns(failures);
    (now < last + backoff).then(|| last + backoff - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = NS_PER_S;

    fn controller_with_job(completions: u32) -> JobController {
        let mut c = JobController::new(TokenBucket::new(0.0, 1), 5);
        c.job_created(0, completions);
        c
    }

    /// The delaying queue keeps one entry per Job, the earliest; a wake-up of an entry an
    /// earlier one replaced does not sync.
    #[test]
    fn a_job_is_queued_once_at_its_earliest_time() {
        let mut c = controller_with_job(1);
        assert!(c.enqueue_at(0, 100));
        assert!(!c.enqueue_at(0, 200), "a later wake-up is covered");
        assert!(!c.enqueue_at(0, 100), "so is one at the same time");
        assert!(c.enqueue_at(0, 50), "an earlier one replaces it");
        assert!(!c.take_due(0, 50 - 1));
        assert!(c.take_due(0, 50));
        assert!(!c.take_due(0, 100), "the replaced wake-up is stale");
        assert!(c.enqueue_at(0, 200), "once synced, the Job queues again");
        c.forget_due(0);
        assert!(!c.take_due(0, 200), "a sync that ran again covered it");
    }

    #[test]
    #[should_panic(expected = "Jobs are registered as created")]
    fn jobs_are_registered_in_creation_order() {
        let mut c = controller_with_job(1);
        c.job_created(2, 1);
    }

    /// Failed pods wait in the informer's book until one sync accounts them all.
    #[test]
    fn booked_failed_pods_are_handed_to_one_sync() {
        let mut c = controller_with_job(2);
        c.job_created(1, 1);
        c.book_failed(0, 7);
        c.book_failed(1, 8);
        c.book_failed(0, 9);
        assert_eq!(c.uncounted(0), [7, 9]);
        assert_eq!(c.take_uncounted(0), vec![7, 9]);
        assert!(c.uncounted(0).is_empty());
        assert_eq!(c.uncounted(1), [8], "another Job's book is its own");
        assert!(c.counted_failed(9) && !c.counted_failed(6) && !c.counted_failed(100));
    }

    #[test]
    #[should_panic(expected = "a failed pod is counted once")]
    fn a_failed_pod_is_booked_once() {
        let mut c = controller_with_job(1);
        c.book_failed(0, 3);
        c.take_uncounted(0);
        c.book_failed(0, 3);
    }

    /// The Job-wide back-off runs from the last counted failure and doubles per failure.
    #[test]
    fn pod_failure_backoff_runs_from_the_last_failure() {
        let mut c = controller_with_job(2);
        assert_eq!(c.job_backoff_left_ns(0, 0, 0), None, "no failure yet");
        assert_eq!(c.count_failure(0, 1, 100 * S, true), Some(1));
        assert_eq!(c.job_backoff_left_ns(0, 1, 104 * S), Some(6 * S));
        assert_eq!(c.job_backoff_left_ns(0, 1, 110 * S), None, "10 s passed");
        assert_eq!(c.count_failure(0, 0, 200 * S, true), Some(1));
        assert_eq!(c.job_backoff_left_ns(0, 2, 200 * S), Some(20 * S));
        // A pod outside the Job's indexes still counts for the Job as a whole.
        assert_eq!(c.count_failure(0, 5, 300 * S, true), None);
        assert_eq!(c.job_backoff_left_ns(0, 3, 300 * S), Some(40 * S));
        // Without per-index limits no index is counted, but the Job-wide back-off restarts.
        assert_eq!(c.count_failure(0, 1, 400 * S, false), None);
        assert_eq!(c.job_backoff_left_ns(0, 4, 400 * S), Some(80 * S));
    }

    /// Under backoffLimitPerIndex each index waits out its own back-off: the sync creates the
    /// indexes that are free and wakes the Job when the first waiting one is due.
    #[test]
    fn indexes_in_back_off_wait_and_wake_the_job_at_the_earliest_end() {
        let mut job = JobObj::for_tests(4);
        std::sync::Arc::make_mut(&mut job.spec).backoff_limit_per_index = Some(3);
        let mut c = controller_with_job(4);
        c.count_failure(0, 1, 0, true);
        c.count_failure(0, 2, 0, true);
        c.count_failure(0, 2, 5 * S, true);
        let free = [false; 4];
        assert_eq!(
            c.indexes_to_create(0, &job, &free, 10, 2 * S),
            (vec![0, 3], Some(8 * S)),
            "index 1 is due at 10 s, index 2 (two failures) at 25 s"
        );
        assert_eq!(
            c.indexes_to_create(0, &job, &free, 10, 10 * S),
            (vec![0, 1, 3], Some(15 * S))
        );
        // Held, succeeded and failed indexes get no pod; the budget caps the rest.
        job.succeeded_index[0] = true;
        job.index_failed[3] = true;
        let held = [false, true, false, false];
        assert_eq!(
            c.indexes_to_create(0, &job, &held, 10, 30 * S),
            (vec![2], None)
        );
        assert_eq!(
            c.indexes_to_create(0, &job, &free, 1, 30 * S),
            (vec![1], None)
        );
        // Without backoffLimitPerIndex the Job-wide back-off applies instead (in the sync).
        std::sync::Arc::make_mut(&mut job.spec).backoff_limit_per_index = None;
        assert_eq!(
            c.indexes_to_create(0, &job, &free, 10, 0),
            (vec![1, 2], None)
        );
    }

    /// Rejected creates retry after 1 s doubling to 60 s; a clean sync starts again at 1 s.
    #[test]
    fn api_backoff_doubles_to_a_minute_and_resets_after_a_clean_sync() {
        let mut c = controller_with_job(1);
        let delays: Vec<u64> = (0..9)
            .map(|_| c.api_backoff_after_creates(0, true).expect("rejected") / S)
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(c.api_backoff_steps(0), 9);
        assert_eq!(c.api_backoff_after_creates(0, false), None);
        assert_eq!(c.api_backoff_steps(0), 0);
        assert_eq!(c.api_backoff_after_creates(0, true), Some(S));
    }

    /// The closed form equals the controller's doubling loop at every count.
    #[test]
    fn pod_failure_backoff_doubles_to_ten_minutes() {
        let mut doubled = POD_FAILURE_BACKOFF_NS;
        for failures in 1..50 {
            assert_eq!(pod_failure_backoff_ns(failures), doubled, "{failures}");
            doubled = (doubled * 2).min(MAX_POD_FAILURE_BACKOFF_NS);
        }
        assert_eq!(pod_failure_backoff_ns(u32::MAX), MAX_POD_FAILURE_BACKOFF_NS);
    }
}

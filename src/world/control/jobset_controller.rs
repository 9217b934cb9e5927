//! The JobSet controller's private state: its work queue (one entry per JobSet, the earliest
//! due time), its single worker, and its API client (rate limit and the in-flight limit of one
//! reconcile's calls), its pod reconciler's index of each Job's followers, the books of each
//! JobSet's child Jobs and the Job specs its Jobs share. Kept here, not on the `JobSetObj`s,
//! which hold only what the API server stores. Dense by `JsId` (JobSets are never freed).
//!
//! A component: its reactions are handlers over a `Ctx` (`Sim::jobset_controller`), written
//! in `jobset.rs` (the reconcile, `on_reconcile_jobset`, and its work queue's `enqueue`; the
//! pod reconciler, `on_pod_bound`) and `in_place.rs` (the reconcile's in-place restart step).

use super::child_jobs::ChildJobBooks;
use super::pod_templates::SharedTemplate;
use crate::api::types::JobSpec;
use crate::engine::{SimTime, TokenBucket};
use crate::sim::objects::{JobId, JsId, ShapeId};
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct JobSetController {
    /// By `JsId`: the reconcile queued for this time.
    due_ns: Vec<Option<SimTime>>,
    /// The single worker is busy with a reconcile until then.
    worker_free_ns: SimTime,
    /// API calls issued by the reconcile in progress (its in-flight limit).
    calls_in_pass: u32,
    client: TokenBucket,
    /// By `JobId`: the Job's live pods other than completion index 0, counted by shape (a
    /// pod's shape never changes). The pod reconciler judges followers by their shape's
    /// nodeSelector, so it reads these few entries instead of every pod the Job keeps.
    follower_shapes: Vec<Vec<(ShapeId, u32)>>,
    /// Each JobSet's child Jobs by class and its replicated jobs' counters, kept from the
    /// Jobs that changed. Only the controller's own files (`jobset.rs`) reach it; the rest of
    /// the world tells it of a changed Job through `job_changed`.
    pub(super) children: ChildJobBooks,
    /// By `JsId` and replicated job: the Job spec its Jobs share, once built.
    /// By JobSet: the generation the specs were built from, and one spec per replicated job.
    job_specs: Vec<(u64, Vec<Option<Arc<JobSpec>>>)>,
    /// By `JsId` and replicated job, for the generation of `job_specs`: the pod template
    /// compiled for the first Job built from the shared spec, for the others (`create_job`).
    templates: Vec<Vec<Option<SharedTemplate>>>,
}

/// What a wake-up of a JobSet's work queue entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wakeup {
    /// An earlier entry replaced this one: nothing to do.
    Stale,
    /// The worker is busy: the entry waits until it is free, then wakes again.
    WaitForWorker { at_ns: SimTime },
    /// The worker takes the JobSet now.
    Reconcile,
}

impl JobSetController {
    pub(crate) fn new(client: TokenBucket) -> Self {
        JobSetController {
            due_ns: vec![],
            worker_free_ns: 0,
            calls_in_pass: 0,
            client,
            follower_shapes: vec![],
            children: ChildJobBooks::default(),
            job_specs: vec![],
            templates: vec![],
        }
    }

    /// The informer saw JobSet `js` created; ids come in creation order.
    pub(crate) fn jobset_created(&mut self, js: JsId) {
        assert_eq!(
            js as usize,
            self.due_ns.len(),
            "JobSets are registered as created"
        );
        self.due_ns.push(None);
        self.children.jobset_created(js);
        self.job_specs.push((0, vec![]));
        self.templates.push(vec![]);
    }

    /// The Job spec the Jobs of replicated job `rj` of `js` share, if built from the
    /// JobSet's spec at `generation`.
    pub(crate) fn job_spec(&self, js: JsId, rj: u32, generation: u64) -> Option<Arc<JobSpec>> {
        let (built_from, specs) = &self.job_specs[js as usize];
        if *built_from != generation {
            return None;
        }
        specs.get(rj as usize).cloned().flatten()
    }

    /// Keeps the shared Job spec of replicated job `rj` of `js`, built from the JobSet's spec
    /// at `generation` (only Kueue's patches change the templates).
    pub(crate) fn keep_job_spec(&mut self, js: JsId, rj: u32, generation: u64, spec: Arc<JobSpec>) {
        let (built_from, specs) = &mut self.job_specs[js as usize];
        if *built_from != generation {
            *built_from = generation;
            specs.clear();
            self.templates[js as usize].clear();
        }
        if specs.len() <= rj as usize {
            specs.resize(rj as usize + 1, None);
        }
        specs[rj as usize] = Some(spec);
        // A spec built again (for a generation the books had not seen) gets its template
        // compiled again.
        if let Some(t) = self.templates[js as usize].get_mut(rj as usize) {
            *t = None;
        }
    }

    /// The pod template compiled for the first Job of replicated job `rj` of `js` built from
    /// the shared spec at `generation`, if any.
    pub(crate) fn shared_template(
        &self,
        js: JsId,
        rj: u32,
        generation: u64,
    ) -> Option<&SharedTemplate> {
        if self.job_specs[js as usize].0 != generation {
            return None;
        }
        self.templates[js as usize].get(rj as usize)?.as_ref()
    }

    /// Keeps the pod template compiled for a Job of replicated job `rj` of `js` built from
    /// the shared spec, kept at `generation` by `keep_job_spec`.
    pub(crate) fn keep_shared_template(
        &mut self,
        js: JsId,
        rj: u32,
        generation: u64,
        template: SharedTemplate,
    ) {
        assert_eq!(
            self.job_specs[js as usize].0, generation,
            "a template is kept with the spec it was compiled from"
        );
        let templates = &mut self.templates[js as usize];
        if templates.len() <= rj as usize {
            templates.resize(rj as usize + 1, None);
        }
        templates[rj as usize] = Some(template);
    }

    /// Its Job watch: Job `j` changed (created, a status or spec write, removed); the books
    /// re-classify it at its JobSet's next reconcile.
    pub(crate) fn job_changed(&mut self, j: JobId) {
        self.children.job_changed(j);
    }

    /// Queues a reconcile of `js` at `due_ns` unless one is queued no later (like client-go's
    /// delaying queue). True when the caller must schedule the wake-up.
    pub(crate) fn enqueue_at(&mut self, js: JsId, due_ns: SimTime) -> bool {
        let due = &mut self.due_ns[js as usize];
        if due.is_some_and(|d| d <= due_ns) {
            return false;
        }
        *due = Some(due_ns);
        true
    }

    /// A wake-up of `js` at `now_ns`. A reconcile taken by the worker keeps it busy for
    /// `cost_ns` and starts a new pass of API calls.
    pub(crate) fn wake(&mut self, js: JsId, now_ns: SimTime, cost_ns: u64) -> Wakeup {
        let due = &mut self.due_ns[js as usize];
        if *due != Some(now_ns) {
            return Wakeup::Stale;
        }
        if now_ns < self.worker_free_ns {
            *due = Some(self.worker_free_ns);
            return Wakeup::WaitForWorker {
                at_ns: self.worker_free_ns,
            };
        }
        *due = None;
        self.worker_free_ns = now_ns + cost_ns;
        self.calls_in_pass = 0;
        Wakeup::Reconcile
    }

    /// A pod of Job `j` entered the API server's store (its create was sent).
    pub(crate) fn pod_added(&mut self, j: JobId, index: u32, shape: ShapeId) {
        if index == 0 {
            return;
        }
        if self.follower_shapes.len() <= j as usize {
            self.follower_shapes.resize(j as usize + 1, vec![]);
        }
        let shapes = &mut self.follower_shapes[j as usize];
        match shapes.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, n)) => *n += 1,
            None => shapes.push((shape, 1)),
        }
    }

    /// A pod of Job `j` left the API server's store.
    pub(crate) fn pod_removed(&mut self, j: JobId, index: u32, shape: ShapeId) {
        if index == 0 {
            return;
        }
        let shapes = &mut self.follower_shapes[j as usize];
        let at = shapes.iter().position(|(s, _)| *s == shape);
        let at = at.expect("a removed follower was counted when it was added");
        shapes[at].1 -= 1;
        if shapes[at].1 == 0 {
            shapes.remove(at);
        }
    }

    /// Job `j`'s live followers, counted by shape, in the order the shapes first appeared.
    pub(crate) fn live_follower_shapes(&self, j: JobId) -> &[(ShapeId, u32)] {
        self.follower_shapes
            .get(j as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// When an API call the running reconcile issues at `start_ns` is sent: through the
    /// client's rate limit, and at most `max_in_flight` at once, each taking `latency_ns`.
    pub(crate) fn send_call(
        &mut self,
        start_ns: SimTime,
        max_in_flight: u32,
        latency_ns: u64,
    ) -> SimTime {
        let wave = (self.calls_in_pass / max_in_flight.max(1)) as u64;
        self.calls_in_pass += 1;
        self.client
            .reserve(start_ns)
            .max(start_ns + wave * latency_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unlimited() -> JobSetController {
        let mut c = JobSetController::new(TokenBucket::new(0.0, 1));
        c.jobset_created(0);
        c.jobset_created(1);
        c
    }

    /// One entry per JobSet, the earliest; a replaced entry's wake-up is stale.
    #[test]
    fn a_jobset_is_queued_once_at_its_earliest_time() {
        let mut c = unlimited();
        assert!(c.enqueue_at(0, 100));
        assert!(!c.enqueue_at(0, 100));
        assert!(c.enqueue_at(0, 40));
        assert_eq!(c.wake(0, 100, 5), Wakeup::Stale);
        assert_eq!(c.wake(0, 40, 5), Wakeup::Reconcile);
        assert_eq!(c.wake(0, 40, 5), Wakeup::Stale, "taken off the queue");
        assert!(c.enqueue_at(0, 100), "queued again after its reconcile");
    }

    /// One worker: a JobSet due while another is reconciled waits until the worker is free,
    /// and keeps its place against later enqueues.
    #[test]
    fn a_busy_worker_makes_the_next_jobset_wait() {
        let mut c = unlimited();
        c.enqueue_at(0, 10);
        c.enqueue_at(1, 12);
        assert_eq!(c.wake(0, 10, 50), Wakeup::Reconcile);
        assert_eq!(c.wake(1, 12, 50), Wakeup::WaitForWorker { at_ns: 60 });
        assert!(!c.enqueue_at(1, 70), "the waiting entry covers a later one");
        assert_eq!(c.wake(1, 60, 50), Wakeup::Reconcile);
        assert_eq!(c.wake(1, 12, 50), Wakeup::Stale);
    }

    /// A reconcile's calls go `max_in_flight` at a time, one latency per wave; the next
    /// reconcile starts a new pass.
    #[test]
    fn calls_of_one_pass_go_in_waves_of_the_in_flight_limit() {
        let mut c = unlimited();
        c.enqueue_at(0, 0);
        assert_eq!(c.wake(0, 0, 1), Wakeup::Reconcile);
        let sends: Vec<SimTime> = (0..5).map(|_| c.send_call(100, 2, 10)).collect();
        assert_eq!(sends, [100, 100, 110, 110, 120]);
        c.enqueue_at(1, 1);
        assert_eq!(c.wake(1, 1, 1), Wakeup::Reconcile);
        assert_eq!(c.send_call(100, 2, 10), 100, "a new pass starts at wave 0");
    }

    /// Followers are counted by shape as they come and go; leaders are not counted.
    #[test]
    fn followers_are_counted_by_shape() {
        let mut c = unlimited();
        c.pod_added(3, 0, 9);
        assert!(
            c.live_follower_shapes(3).is_empty(),
            "a leader is no follower"
        );
        c.pod_added(3, 1, 5);
        c.pod_added(3, 2, 6);
        c.pod_added(3, 3, 5);
        assert_eq!(c.live_follower_shapes(3), [(5, 2), (6, 1)]);
        c.pod_removed(3, 1, 5);
        c.pod_removed(3, 2, 6);
        assert_eq!(c.live_follower_shapes(3), [(5, 1)]);
        assert!(c.live_follower_shapes(2).is_empty());
    }

    #[test]
    #[should_panic(expected = "counted when it was added")]
    fn a_follower_never_counted_cannot_leave() {
        let mut c = unlimited();
        c.pod_added(0, 1, 5);
        c.pod_removed(0, 1, 6);
    }

    /// The client's rate limit holds across passes.
    #[test]
    fn the_client_rate_limit_spaces_calls() {
        let mut c = JobSetController::new(TokenBucket::new(10.0, 1));
        c.jobset_created(0);
        c.enqueue_at(0, 0);
        c.wake(0, 0, 1);
        let ms = 1_000_000;
        let sends: Vec<SimTime> = (0..3).map(|_| c.send_call(0, 100, ms)).collect();
        assert_eq!(sends, [0, 100 * ms, 200 * ms]);
    }
}

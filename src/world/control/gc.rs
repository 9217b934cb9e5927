//! Deletion: the API side of deleting a pod, the kubelet's graceful stop, and the garbage
//! collector's foreground deletion of a Job's pods (semantics §7.3).

use crate::engine::{SimTime, TokenBucket};
use crate::metrics::api_calls::ApiCall;
use crate::metrics::Recorder;
use crate::params::ClientRate;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

/// The garbage collector's own state: its metadata client (its decisions follow from the
/// Jobs' deletion and their pods, which it reads from the API objects). Its reactions are its
/// own methods over a `Ctx` (`Sim::handle`).
#[derive(Debug)]
pub(crate) struct GarbageCollector {
    client: TokenBucket,
    /// The API round trip of each of its calls (the reads and the DELETE).
    read_latency_ns: u64,
    /// Its attempt-to-delete workers (`--concurrent-gc-syncs`): when each is free. A worker
    /// holds a dependent from its first GET until its DELETE returns.
    workers_free_ns: Vec<SimTime>,
    /// Each dependent's time on a worker, from its first GET to its DELETE's return.
    #[cfg(test)]
    pub(crate) held: Vec<(SimTime, SimTime)>,
}

impl GarbageCollector {
    /// `kcm` is kube-controller-manager's client setting; the garbage collector's metadata
    /// client runs at twice its QPS, the same burst ("each object deletion takes two API
    /// calls", `startGarbageCollectorController`).
    pub(crate) fn new(kcm: ClientRate, workers: u32, read_latency_ns: u64) -> Self {
        assert!(workers >= 1, "a worker pool has at least one worker");
        GarbageCollector {
            client: TokenBucket::new(kcm.qps * 2.0, kcm.burst),
            read_latency_ns,
            workers_free_ns: vec![0; workers as usize],
            #[cfg(test)]
            held: vec![],
        }
    }

    /// When the DELETE of a dependent queued at `at_ns` leaves: the first worker free takes
    /// it (dependents are queued and taken in order, so the earliest-free worker is the one
    /// client-go's queue would hand it to); upstream's `attemptToDeleteItem` first GETs the
    /// object, then (`isDangling`) its owner, each through the same rate limiter and each one
    /// round trip, then sends the DELETE and holds the worker until it returns.
    fn send_delete(&mut self, rec: &mut Recorder, at_ns: SimTime) -> SimTime {
        let (w, free_ns) = (self.workers_free_ns.iter().copied().enumerate())
            .min_by_key(|&(w, free)| (free, w))
            .expect("at least one worker");
        let start_ns = at_ns.max(free_ns);
        let mut issue_ns = start_ns;
        for _ in 0..2 {
            issue_ns = self.client.reserve(issue_ns) + self.read_latency_ns;
            rec.api_calls.observe(ApiCall::GcGet);
        }
        rec.api_calls.observe(ApiCall::GcPodDelete);
        let sent_ns = self.client.reserve(issue_ns);
        let end_ns = sent_ns + self.read_latency_ns;
        assert!(
            free_ns <= start_ns,
            "a GC worker holds one dependent at a time"
        );
        self.workers_free_ns[w] = end_ns;
        #[cfg(test)]
        self.held.push((start_ns, end_ns));
        sent_ns
    }

    /// Its watch sees Job `j` deleted in the foreground: the dependents go one watch delay
    /// after the deletion.
    pub(crate) fn on_job_deleting(&mut self, ctx: &mut Ctx, j: JobId) {
        let deleted_ns = ctx.job(j).deletion_ns.unwrap_or(ctx.now());
        let at = deleted_ns + ctx.params().watch_delay_ns;
        ctx.schedule_at(at, Event::GcDeleteDependents(j));
    }

    /// Deletes every pod Job `j` still owns through its own client.
    pub(crate) fn on_delete_dependents(&mut self, ctx: &mut Ctx, j: JobId) {
        let pods = ctx.job_pods(j).to_vec();
        for p in pods {
            ctx.request_pod_delete_observed(p, "JobDeleted", |rec, at_ns| {
                self.send_delete(rec, at_ns)
            });
        }
        self.on_dependent_removed(ctx, j);
    }

    /// A pod of Job `j` is gone: under foreground deletion the Job goes with its last pod
    /// (the GC removes the `foregroundDeletion` finalizer).
    pub(crate) fn on_dependent_removed(&mut self, ctx: &mut Ctx, j: JobId) {
        let job = ctx.job(j);
        if job.deletion_ns.is_some() && ctx.job_exists(j) && ctx.job_pods(j).is_empty() {
            let latency = ctx.params().api_call_latency_ns;
            ctx.schedule_in(latency, Event::JobRemoved(j));
        }
    }
}

/// The DELETEs the components' clients have sent and the API server has not received yet:
/// which pods have one on its way (a second request for such a pod is not sent), and the
/// reasons they carry, interned so that the `DeletePod` event holds an index. Client-side
/// state, never part of the pod object: the Job controller's expectations and the garbage
/// collector's pending deletes upstream.
#[derive(Debug, Default)]
pub(crate) struct DeleteRequests {
    /// By `PodId`, grown as requests are made.
    in_flight: Vec<bool>,
    /// Shared, so the handler of a landed DELETE holds its reason without a copy of the text
    /// per pod while the API server's handler runs.
    reasons: Vec<std::sync::Arc<str>>,
}

impl DeleteRequests {
    /// A DELETE for `pod` is on its way (sent, not yet landed).
    pub(crate) fn in_flight(&self, pod: PodId) -> bool {
        self.in_flight.get(pod as usize).copied().unwrap_or(false)
    }

    /// A DELETE for `pod` was sent; it stays marked (a landed DELETE leaves the pod with a
    /// deletion timestamp, which every reader checks first).
    pub(crate) fn sent(&mut self, pod: PodId) {
        let at = pod as usize;
        if self.in_flight.len() <= at {
            self.in_flight.resize(at + 1, false);
        }
        self.in_flight[at] = true;
    }

    /// The index a `DeletePod` event carries for `reason`.
    #[inline(always)] // once per DELETE sent; the list holds a handful of reasons
    fn intern(&mut self, reason: &str) -> u16 {
        match self.reasons.iter().position(|r| **r == *reason) {
            Some(i) => i as u16,
            None => {
                self.reasons.push(reason.into());
                (self.reasons.len() - 1) as u16
            }
        }
    }

    /// The reason interned as `index`.
    pub(crate) fn reason(&self, index: u16) -> std::sync::Arc<str> {
        self.reasons[index as usize].clone()
    }
}

impl Sim {
    /// Sends one pod DELETE (no reads first) charged to the garbage collector's rate limiter:
    /// the JobSet pod reconciler's deletes of misplaced followers, which upstream sends on the
    /// JobSet controller's own client. A choice kept from before the garbage collector's calls
    /// were counted: they take its tokens but are not in `api_calls.garbage_collector`.
    pub(crate) fn gc_request_pod_delete(&mut self, pod: PodId, reason: &str) {
        self.handle(
            |sim| &mut sim.gc,
            |gc, ctx| ctx.request_pod_delete(pod, reason, |at_ns| gc.client.reserve(at_ns)),
        );
    }

    /// Sends a pod DELETE unless one is on its way or the pod is already going: `send` says
    /// when the sender's client lets it go; it lands one API latency later.
    pub(crate) fn send_pod_delete(
        &mut self,
        pod: PodId,
        reason: &str,
        send: impl FnOnce(&mut Sim, SimTime) -> SimTime,
    ) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || self.delete_requests.in_flight(pod) {
            return;
        }
        self.change_pod(pod, PodChange::DeleteRequested);
        let now = self.now();
        let send = send(self, now);
        let reason = self.delete_requests.intern(reason);
        self.queue.schedule_at(
            send + self.params.api_call_latency_ns,
            Event::DeletePod { pod, reason },
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::sim::objects::{PodPhase, TrackingFinalizer};
    use crate::sim::pod_change::PodChange;
    use crate::sim::{Event, Sim};

    /// A world whose one Job runs its three pods on two nodes, stopped there (no whole run).
    pub(crate) fn running_job() -> Sim {
        use crate::tests::common::{one_job_scenario, step_until, world};
        let mut sim = world(&one_job_scenario(3, 3, "pods: {runFor: 30m}"));
        let running = |s: &Sim| {
            s.pods
                .iter()
                .filter(|p| p.phase == PodPhase::Running)
                .count()
        };
        step_until(&mut sim, |s| running(s) == 3);
        sim
    }

    /// The GC deletes a deleted Job's pods once each, through its own client, and removes the
    /// Job only once its last pod is gone.
    #[test]
    fn dependents_go_first_then_the_job() {
        let mut sim = running_job();
        let now = sim.now();
        sim.store.jobs[0].deletion_ns = Some(now);
        let gc =
            |sim: &mut Sim| sim.handle(|s| &mut s.gc, |gc, ctx| gc.on_delete_dependents(ctx, 0));
        gc(&mut sim);
        let pods = sim.job_pods[0].to_vec();
        assert_eq!(pods.len(), 3);
        assert!(pods.iter().all(|&p| sim.delete_requests.in_flight(p)));
        let scheduled = sim.queue.scheduled();
        gc(&mut sim);
        assert_eq!(sim.queue.scheduled(), scheduled, "no DELETE is sent twice");
        // The pods go; the Job goes with the last one, one API call later.
        for p in pods {
            sim.change_pod(p, PodChange::FinalizerRemoved);
            sim.change_pod(p, PodChange::Removed);
        }
        let mut removed_at = None;
        while let Some((at, event)) = sim.queue.pop() {
            if let Event::JobRemoved(0) = event {
                removed_at = Some(at);
                break;
            }
        }
        assert_eq!(removed_at, Some(now + sim.params.api_call_latency_ns));
    }

    /// The API server keeps a pod DELETEd while its tracking finalizer is on: once the
    /// kubelet is done, the object is held (the scheduler's informer drops the pod), and it
    /// goes when the Job controller's PATCH removing the finalizer lands, not before.
    #[test]
    fn a_deleted_pod_stays_until_its_finalizer_patch_lands() {
        use crate::tests::common::step_until;
        let mut sim = running_job();
        let pod = sim.job_pods[0][0];
        // The kubelet stops the pod one watch delay after the DELETE, well before the Job
        // controller's batched sync PATCHes the finalizer away.
        sim.params.kubelet.pod_stop_latency_ns = 0;
        sim.api_server(|a, ctx| a.delete_pod(ctx, pod, "Test", false));
        assert!(sim.pods[pod as usize].holds_tracking_finalizer());
        let held =
            |s: &Sim| s.pods[pod as usize].tracking_finalizer == TrackingFinalizer::HoldsRemoval;
        step_until(&mut sim, |s| held(s) || s.pods[pod as usize].removed);
        assert!(held(&sim), "the kubelet is done first, the object stays");
        loop {
            let (_, event) = sim.queue.pop().expect("the PATCH lands");
            let lands = matches!(event, Event::FinalizerRemoved(p) if p == pod);
            assert!(!sim.dispatch(event));
            if lands {
                break;
            }
            assert!(
                !sim.pods[pod as usize].removed,
                "gone before its PATCH landed"
            );
        }
        let p = &sim.pods[pod as usize];
        assert!(p.removed && !p.holds_tracking_finalizer());
        assert!(!sim.job_pods[0].contains(&pod));
    }
}

//! Deletion: the API side of deleting a pod, the kubelet's graceful stop, and the garbage
//! collector's foreground deletion of a Job's pods (semantics §7.3).

use crate::engine::{SimTime, TokenBucket};
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

/// Whose API client a request goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    GarbageCollector,
    JobController,
}

/// The garbage collector's own state: its API client (its decisions follow from the Jobs'
/// deletion and their pods, which it reads from the API objects).
#[derive(Debug)]
pub(crate) struct GarbageCollector {
    client: TokenBucket,
}

impl GarbageCollector {
    pub(crate) fn new(client: TokenBucket) -> Self {
        GarbageCollector { client }
    }

    /// When a DELETE issued at `at_ns` leaves through the rate limiter.
    fn send_call(&mut self, at_ns: SimTime) -> SimTime {
        self.client.reserve(at_ns)
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
    reasons: Vec<String>,
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
    fn intern(&mut self, reason: &str) -> u16 {
        match self.reasons.iter().position(|r| r == reason) {
            Some(i) => i as u16,
            None => {
                self.reasons.push(reason.to_string());
                (self.reasons.len() - 1) as u16
            }
        }
    }

    /// The reason interned as `index`.
    pub(crate) fn reason(&self, index: u16) -> &str {
        &self.reasons[index as usize]
    }
}

impl Sim {
    /// The GC learns of a Job's foreground deletion through its watch.
    pub(crate) fn gc_foreground_delete_job(&mut self, j: JobId) {
        let at =
            self.jobs[j as usize].deletion_ns.unwrap_or(self.now()) + self.params.watch_delay_ns;
        self.queue.schedule_at(at, Event::GcDeleteDependents(j));
    }

    pub(crate) fn gc_delete_dependents(&mut self, j: JobId) {
        let pods: Vec<PodId> = self.job_pods[j as usize].clone();
        for p in pods {
            self.request_pod_delete(p, "JobDeleted", Client::GarbageCollector);
        }
        self.maybe_finish_job_deletion(j);
    }

    /// Sends a pod DELETE through a component's rate-limited client; it lands one API
    /// latency after the client lets it go.
    pub(crate) fn request_pod_delete(&mut self, pod: PodId, reason: &str, client: Client) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || self.delete_requests.in_flight(pod) {
            return;
        }
        self.change_pod(pod, PodChange::DeleteRequested);
        let now = self.now();
        let send = match client {
            Client::GarbageCollector => self.gc.send_call(now),
            Client::JobController => {
                (self.job_controller).send_call(now + self.params.job_sync_cost_ns)
            }
        };
        let reason = self.delete_requests.intern(reason);
        self.queue.schedule_at(
            send + self.params.api_call_latency_ns,
            Event::DeletePod { pod, reason },
        );
    }

    /// A pod of a Job under foreground deletion is gone: the Job goes with its last pod.
    pub(crate) fn maybe_finish_job_deletion(&mut self, j: JobId) {
        let job = &self.jobs[j as usize];
        if job.deletion_ns.is_some() && !job.removed && self.job_pods[j as usize].is_empty() {
            self.queue
                .schedule_in(self.params.api_call_latency_ns, Event::JobRemoved(j));
        }
    }

    /// Eviction (the taint manager, the Eviction API): a DELETE with a `DisruptionTarget`
    /// condition. Whether the Job counts the pod failed at once is the Job controller's rule
    /// (`job_informer_books`).
    pub(crate) fn evict_pod(&mut self, pod: PodId, reason: &str) {
        if self.pods[pod as usize].phase.terminal() {
            return;
        }
        self.delete_pod(pod, reason, true);
    }

    /// DELETE on a pod: a running pod stops gracefully on its node, anything else goes at once.
    pub(crate) fn delete_pod(&mut self, pod: PodId, reason: &str, evicted: bool) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() {
            return;
        }
        let on_node = p.node.is_some() && !p.phase.terminal();
        let grace = self.shapes[p.shape as usize].grace_period_ns;
        let dead_node = p.node.is_some_and(|n| self.cluster.node(n).failed);
        let delay = if dead_node {
            // No kubelet will confirm: PodGC force-deletes it after its quarantine.
            self.params.node_lifecycle.orphan_pod_gc_ns
        } else if on_node {
            self.params.watch_delay_ns + self.params.kubelet.pod_stop_latency_ns.min(grace)
        } else {
            self.params.api_call_latency_ns
        };
        self.queue.schedule_in(delay, Event::PodRemoved(pod));
        self.change_pod(pod, PodChange::Deleting { reason, evicted });
    }

    pub(crate) fn on_pod_removed(&mut self, pod: PodId) {
        if !self.pods[pod as usize].removed {
            self.change_pod(pod, PodChange::Removed);
        }
    }

    pub(crate) fn on_job_removed(&mut self, j: JobId) {
        if self.jobs[j as usize].removed {
            return;
        }
        self.jobs[j as usize].removed = true;
        self.jobs[j as usize].removed_at_ns = Some(self.now());
        let now = self.now();
        (self.rec).observe_job(now, j, crate::metrics::objects::JobChange::Deleted);
        let js = self.jobs[j as usize].jobset;
        self.jobsets[js as usize].jobs.retain(|&x| x != j);
        self.maybe_finish_jobset_deletion(js);
        self.enqueue_jobset(js, self.params.watch_delay_ns);
    }
}

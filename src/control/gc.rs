//! Deletion: the API side of deleting a pod, the kubelet's graceful stop, and the garbage
//! collector's foreground deletion of a Job's pods (semantics §7.3).

use crate::sim::objects::*;
use crate::sim::{Event, Sim};

/// Whose API client a request goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    GarbageCollector,
    JobController,
}

impl Sim {
    /// The GC learns of a Job's foreground deletion through its watch.
    pub(crate) fn gc_foreground_delete_job(&mut self, j: JobId) {
        let at =
            self.jobs[j as usize].deletion_ns.unwrap_or(self.now()) + self.params.watch_delay_ns;
        self.queue.schedule_at(at, Event::GcDeleteDependents(j));
    }

    pub(crate) fn gc_delete_dependents(&mut self, j: JobId) {
        let pods: Vec<PodId> = self.jobs[j as usize].pods.clone();
        for p in pods {
            self.request_pod_delete(p, "JobDeleted", Client::GarbageCollector);
        }
        self.maybe_finish_job_deletion(j);
    }

    /// Sends a pod DELETE through a component's rate-limited client; it lands one API
    /// latency after the client lets it go.
    pub(crate) fn request_pod_delete(&mut self, pod: PodId, reason: &str, client: Client) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || p.delete_requested {
            return;
        }
        self.change_pod(pod, |p| p.delete_requested = true);
        let now = self.now();
        let send = match client {
            Client::GarbageCollector => self.clients.gc.reserve(now),
            Client::JobController => self
                .clients
                .job_controller
                .reserve(now + self.params.job_sync_cost_ns),
        };
        let reason = match self.delete_reasons.iter().position(|r| r == reason) {
            Some(i) => i as u16,
            None => {
                self.delete_reasons.push(reason.to_string());
                (self.delete_reasons.len() - 1) as u16
            }
        };
        self.queue.schedule_at(
            send + self.params.api_call_latency_ns,
            Event::DeletePod { pod, reason },
        );
    }

    fn maybe_finish_job_deletion(&mut self, j: JobId) {
        let job = &self.jobs[j as usize];
        if job.deletion_ns.is_some() && !job.removed && job.pods.is_empty() {
            self.queue
                .schedule_in(self.params.api_call_latency_ns, Event::JobRemoved(j));
        }
    }

    /// DELETE on a pod: a running pod stops gracefully on its node, anything else goes at once.
    pub(crate) fn delete_pod(&mut self, pod: PodId, reason: &str) {
        let now = self.now();
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() {
            return;
        }
        self.change_pod(pod, |p| {
            p.delete_requested = true;
            p.deletion_ns = Some(now);
        });
        if let Some(exit) = self.pods[pod as usize].pending_exit.take() {
            self.queue.cancel(exit);
        }
        self.stop_working(pod);
        let p = &self.pods[pod as usize];
        let on_node = p.node.is_some() && !p.phase.terminal();
        let grace = self.shapes[p.shape as usize].grace_period_ns;
        let dead_node = p.node.is_some_and(|n| self.cluster.node(n).failed);
        self.record(pod, "Terminating", reason);
        let delay = if dead_node {
            // No kubelet will confirm: PodGC force-deletes it after its quarantine.
            self.params.node_lifecycle.orphan_pod_gc_ns
        } else if on_node {
            self.params.watch_delay_ns + self.params.kubelet.pod_stop_latency_ns.min(grace)
        } else {
            self.params.api_call_latency_ns
        };
        self.queue.schedule_in(delay, Event::PodRemoved(pod));
    }

    pub(crate) fn on_pod_removed(&mut self, pod: PodId) {
        let p = &mut self.pods[pod as usize];
        if p.removed {
            return;
        }
        if p.created {
            match p.phase {
                PodPhase::Pending => self.rec.pods_pending_now -= 1,
                PodPhase::Running => self.rec.pods_running_now -= 1,
                _ => {}
            }
        }
        let j = p.job;
        let evicted = p.disruption_target;
        // PodGC marks an evicted orphan Failed before removing it: now the Job counts it.
        let orphan_fails = evicted && !p.phase.terminal() && !p.counted_failed;
        self.change_pod(pod, |p| {
            p.removed = true;
            p.ready = false;
            if orphan_fails {
                p.phase = PodPhase::Failed;
            }
        });
        if orphan_fails {
            self.count_pod_failed(pod);
        }
        let p = &self.pods[pod as usize];
        if p.created {
            self.record(pod, "Deleted", "");
        }
        // Pods usually go in the order they were created: the search ends near the front.
        let pods = &mut self.jobs[j as usize].pods;
        if let Some(i) = pods.iter().position(|&x| x == pod) {
            pods.remove(i);
        }
        // Off its node's list too, or the lists grow with every pod a node ever ran (the
        // order of the others is kept: node faults reach pods in binding order).
        if let Some(n) = self.pods[pod as usize].node {
            let list = &mut self.node_pods[n as usize];
            if let Some(i) = list.iter().position(|&x| x == pod) {
                list.remove(i);
            }
        }
        self.queue
            .schedule_in(self.params.watch_delay_ns, Event::SchedulerPodGone(pod));
        if self.jobs[j as usize].deletion_ns.is_some() {
            self.maybe_finish_job_deletion(j);
        } else {
            self.notify_job_of_pod(pod);
        }
    }

    pub(crate) fn on_job_removed(&mut self, j: JobId) {
        if self.jobs[j as usize].removed {
            return;
        }
        self.jobs[j as usize].removed = true;
        self.jobs[j as usize].removed_at_ns = Some(self.now());
        let js = self.jobs[j as usize].jobset;
        self.jobsets[js as usize].jobs.retain(|&x| x != j);
        self.maybe_finish_jobset_deletion(js);
        self.enqueue_jobset(js, self.params.watch_delay_ns);
    }
}

//! The kubelet side of a pod: start after binding, readiness, the container's exit, and the
//! graceful stop of a deleted pod.

use crate::sim::objects::*;
use crate::sim::{Event, Sim};

impl Sim {
    /// The kubelet sees the binding through its watch and starts the containers.
    pub(crate) fn kubelet_pod_bound(&mut self, pod: PodId) {
        let d = self.params.watch_delay_ns + self.params.kubelet.pod_start_latency_ns;
        self.queue.schedule_in(d, Event::PodRunning(pod));
    }

    pub(crate) fn on_pod_running(&mut self, pod: PodId) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Pending {
            return;
        }
        self.pods[pod as usize].phase = PodPhase::Running;
        self.record(pod, "Running", String::new());
        let shape = &self.shapes[self.pods[pod as usize].shape as usize];
        match shape.ready_delay_ns {
            None => self.pods[pod as usize].ready = true,
            Some(d) => {
                self.queue.schedule_in(d, Event::PodReady(pod));
            }
        }
        let run_for = self.pod_run_for(pod);
        let exit = self
            .queue
            .schedule_in(run_for, Event::ContainerExit { pod, exit_code: 0 });
        self.pods[pod as usize].pending_exit = Some(exit);
        self.notify_job_of_pod(pod);
    }

    fn pod_run_for(&self, pod: PodId) -> u64 {
        let job = &self.jobs[self.pods[pod as usize].job as usize];
        let js = &self.jobsets[job.jobset as usize];
        let rj = &js.spec.spec.replicated_jobs[job.rj as usize].name;
        self.scenario.workloads[js.workload as usize].run_for(rj)
    }

    pub(crate) fn on_pod_ready(&mut self, pod: PodId) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Running {
            return;
        }
        self.pods[pod as usize].ready = true;
        self.record(pod, "Ready", String::new());
        self.notify_job_of_pod(pod);
    }

    pub(crate) fn on_container_exit(&mut self, pod: PodId, exit_code: i32) {
        let p = &mut self.pods[pod as usize];
        p.pending_exit = None;
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Running {
            return;
        }
        p.ready = false;
        let job = p.job;
        if exit_code == 0 {
            p.phase = PodPhase::Succeeded;
            self.rec.pods_succeeded += 1;
            let index = self.pods[pod as usize].index as usize;
            let j = &mut self.jobs[job as usize];
            if index < j.succeeded_index.len() && !j.succeeded_index[index] {
                j.succeeded_index[index] = true;
                j.succeeded += 1;
            }
            self.record(pod, "Succeeded", "Completed".into());
        } else {
            p.phase = PodPhase::Failed;
            self.rec.pods_failed += 1;
            let now = self.now();
            let j = &mut self.jobs[job as usize];
            j.failed += 1;
            j.last_pod_failure_ns = Some(now);
            self.record(pod, "Failed", format!("Error: exit code {exit_code}"));
        }
        self.queue
            .schedule_in(self.params.watch_delay_ns, Event::SchedulerPodGone(pod));
        self.notify_job_of_pod(pod);
    }
}

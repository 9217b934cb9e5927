//! The metrics observers of the pod status the pod-change path applies without the
//! before/after bookkeeping (the scheduler's verdicts, the kubelet's report of a run a fault
//! killed), and of the main containers starting and stopping, which the recovery records
//! count.

use super::PodState;
use crate::engine::SimTime;
use crate::sim::objects::{JsId, PodId};
use crate::sim::pod_change::PodChange;
use crate::sim::Sim;

impl Sim {
    /// A status-text change, seen before it is applied: an Unschedulable verdict whose
    /// message differs from the pod's last one (a new `FailedScheduling` row), or a fault
    /// killing the container's run (a `Fault` row naming the fault and the exit code).
    pub(crate) fn observe_pod_status(&mut self, pod: PodId, change: PodChange) {
        match change {
            PodChange::SchedulingVerdict {
                unschedulable: Some(message),
            } => {
                let last = self.last_unschedulable(pod);
                if last != Some(message) {
                    self.record(pod, PodState::Unschedulable, message);
                }
            }
            PodChange::RunKilled {
                reason,
                exit: (_, exit_code),
            } => {
                let reason = format!("{reason}: exit code {exit_code}");
                self.record(pod, PodState::Fault, &reason);
            }
            _ => {}
        }
    }

    /// The workload in a pod's main container started (again; under in-place restart, when
    /// the agent lifted its barrier): the recovery record counts the pod running.
    pub(crate) fn observe_container_started(&mut self, pod: PodId) {
        let js = self.store.jobs[self.pods[pod as usize].job as usize].jobset;
        if self.rec.recoveries.runs_in_stages(js) {
            let now = self.now();
            let needed = self.pods_that_may_run(js);
            self.rec.recoveries.set_needed(now, js, needed);
        }
        self.rec.recoveries.pod_running(self.now(), js, pod);
    }

    /// For a JobSet whose replicated jobs run in stages (a `dependsOn` with status
    /// `Complete`): the pods that may run now, those of its Jobs that exist, are not being
    /// deleted, not suspended and not finished: Σ min(parallelism, completions − succeeded).
    /// The Jobs of a replicated job that waits for another to complete do not exist yet
    /// (`depends_on.go`: neither created nor resumed), and a finished Job runs nothing.
    fn pods_that_may_run(&self, js: JsId) -> u64 {
        self.store
            .jobset_jobs(js)
            .iter()
            .map(|&j| &self.store.jobs[j as usize])
            .filter(|j| j.deletion_ns.is_none() && !j.suspended && j.finished().is_none())
            .map(|j| u64::from(j.parallelism.min(j.completions.saturating_sub(j.succeeded))))
            .sum()
    }

    /// A pod's main container stopped (exited, killed, its node died, or the pod is being
    /// deleted).
    pub(crate) fn observe_container_stopped(&mut self, pod: PodId) {
        let js = self.store.jobs[self.pods[pod as usize].job as usize].jobset;
        self.rec.recoveries.pod_stopped(self.now(), js, pod);
    }
}

impl super::Recorder {
    /// The training model's start-up after a recovery is over: training progresses again.
    pub(crate) fn observe_training_resumed(&mut self, now_ns: SimTime, js: JsId) {
        self.recoveries.training_resumed(now_ns, js);
    }
}

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
                let last = self.pods[pod as usize].last_unschedulable.as_deref();
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

    /// A pod's main container started (again): the recovery record counts it running.
    pub(crate) fn observe_container_started(&mut self, pod: PodId) {
        let js = self.jobs[self.pods[pod as usize].job as usize].jobset;
        self.rec.recoveries.pod_running(self.now(), js, pod);
    }

    /// A pod's main container stopped (exited, killed, its node died, or the pod is being
    /// deleted).
    pub(crate) fn observe_container_stopped(&mut self, pod: PodId) {
        let js = self.jobs[self.pods[pod as usize].job as usize].jobset;
        self.rec.recoveries.pod_stopped(self.now(), js, pod);
    }
}

impl super::Recorder {
    /// The training model's start-up after a recovery is over: training progresses again.
    pub(crate) fn observe_training_resumed(&mut self, now_ns: SimTime, js: JsId) {
        self.recoveries.training_resumed(now_ns, js);
    }
}

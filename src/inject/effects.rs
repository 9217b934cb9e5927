//! What a fault does, through the components that would see it in a real cluster.

use super::sample::lognormal_ns;
use super::Slot;
use crate::cluster::NodeId;
use crate::control::node_lifecycle::UNREACHABLE_TAINT;
use crate::scenario::faults::{Lognormal, NodeEffect, PodEffect, OOM_EXIT_CODE};
use crate::sim::objects::*;
use crate::sim::{Event, Sim};

/// `node_fault`'s answer for a node that never comes back.
pub const NEVER: u64 = u64::MAX;

impl Sim {
    /// Applies a node-level fault to every node of `nodes` still in the pool; returns when the
    /// nodes come back (`NEVER` if not repaired), or `None` when they stay in the pool.
    pub(crate) fn node_fault(
        &mut self,
        fault: u16,
        cause: &str,
        nodes: &[NodeId],
        effect: NodeEffect,
        repair: Option<&Lognormal>,
    ) -> Option<u64> {
        let now = self.now();
        let live: Vec<NodeId> = nodes
            .iter()
            .copied()
            .filter(|&n| !self.inject.node_out[n as usize] && !self.cluster.node(n).failed)
            .collect();
        if live.is_empty() {
            return None; // already out: this fault does not happen
        }
        let back = match effect {
            NodeEffect::PodCrash { .. } => None,
            _ => Some(match repair {
                Some(d) => {
                    let inj = &mut self.inject.injectors[fault as usize];
                    now.saturating_add(lognormal_ns(&mut inj.rng, d))
                }
                None => NEVER,
            }),
        };
        let mut hit = 0u64;
        for &n in &live {
            let pods = self.pods_on_node(n);
            hit += pods.len() as u64;
            match effect {
                NodeEffect::Down => self.on_node_fails(n),
                NodeEffect::Crash { exit_code } => {
                    self.cordon(n);
                    for p in pods {
                        self.crash_container(p, exit_code, "DeviceFault");
                    }
                }
                NodeEffect::PodCrash { exit_code } => {
                    if !pods.is_empty() {
                        self.rec.pod_faults.push(now);
                    }
                    for p in pods {
                        self.crash_container(p, exit_code, "Error");
                    }
                }
                NodeEffect::Drain => {
                    self.cordon(n);
                    for p in pods {
                        self.evict_with_disruption(p, "EvictionByEvictionAPI");
                    }
                }
            }
            if back.is_some() {
                self.inject.node_out[n as usize] = true;
                self.rec.node_failures.push((now, n));
                if let Some(t) = back.filter(|&t| t != NEVER) {
                    self.queue.schedule_at(t, Event::NodeRepaired(n));
                }
            }
        }
        let stats = &mut self.inject.stats[fault as usize];
        stats.faults += 1;
        stats.pods_hit += hit;
        let c = stats.by_cause.entry(cause.to_string()).or_default();
        c.faults += 1;
        if hit > 0 {
            stats.interruptions += 1;
            c.interruptions += 1;
        }
        back
    }

    /// Health automation takes the node out of scheduling (`spec.unschedulable`).
    fn cordon(&mut self, n: NodeId) {
        let now = self.now();
        self.cluster.update_node(n, |node| {
            node.unschedulable = true;
            node.changed_at_ns = now;
        });
    }

    /// The main container of a running pod dies now with `exit_code`.
    pub(crate) fn crash_container(&mut self, pod: PodId, exit_code: i32, reason: &str) {
        let p = &self.pods[pod as usize];
        if p.removed
            || p.deletion_ns.is_some()
            || p.phase != PodPhase::Running
            || p.pending_exit.is_none()
        {
            return; // not running a container now (pending, in back-off, or stopping)
        }
        let job = p.job;
        let container = self.main_container(job);
        if let Some(e) = self.pods[pod as usize].pending_exit.take() {
            self.queue.cancel(e);
        }
        self.pods[pod as usize].last_exit = Some((container, exit_code));
        self.record(pod, "Fault", &format!("{reason}: exit code {exit_code}"));
        self.on_container_exit(pod, exit_code);
    }

    /// Eviction with a `DisruptionTarget` condition (taint manager, Eviction API): the pod is
    /// deleted gracefully and its Job counts it failed.
    pub(crate) fn evict_with_disruption(&mut self, pod: PodId, reason: &str) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || p.phase.terminal() {
            return;
        }
        self.pods[pod as usize].disruption_target = true;
        self.delete_pod(pod, reason);
        // A terminating pod that had not succeeded counts as failed at once, unless the Job
        // waits for terminal pods (podReplacementPolicy: Failed).
        let job = self.pods[pod as usize].job;
        if self.jobs[job as usize]
            .spec
            .pod_replacement_policy
            .as_deref()
            != Some("Failed")
        {
            self.count_pod_failed(pod);
        }
    }

    /// A pod-level fault.
    pub(crate) fn pod_fault(&mut self, pod: PodId, effect: PodEffect) {
        match effect {
            PodEffect::Exit { code } => self.crash_container(pod, code, "Error"),
            PodEffect::OomKilled => self.crash_container(pod, OOM_EXIT_CODE, "OOMKilled"),
            PodEffect::Evicted => self.kubelet_evict(pod),
        }
    }

    /// Node-pressure eviction by the kubelet: the pod goes Failed (reason `Evicted`) with a
    /// `DisruptionTarget` condition (reason `TerminationByKubelet`); it is not deleted.
    fn kubelet_evict(&mut self, pod: PodId) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || p.phase.terminal() {
            return;
        }
        if let Some(e) = self.pods[pod as usize].pending_exit.take() {
            self.queue.cancel(e);
        }
        let was_running = self.pods[pod as usize].phase == PodPhase::Running;
        self.pods[pod as usize].disruption_target = true;
        self.stop_working(pod);
        self.set_phase(pod, PodPhase::Failed);
        self.change_pod(pod, |p| p.ready = false);
        let job = self.pods[pod as usize].job;
        if self.jobs[job as usize].first_failure_ns.is_none() {
            self.jobs[job as usize].first_failure_ns = Some(self.now());
        }
        self.record(pod, "Failed", "Evicted");
        self.count_pod_failed(pod);
        if was_running || self.pods[pod as usize].node.is_some() {
            self.queue
                .schedule_in(self.params.watch_delay_ns, Event::SchedulerPodGone(pod));
        }
    }

    /// The pod running now in a slot (its Job of the current attempt, not being deleted).
    pub(crate) fn running_pod_at(&self, slot: &Slot) -> Option<PodId> {
        let js = self.jobset_of_workload(slot.workload)?;
        let jsobj = &self.jobsets[js as usize];
        jsobj.jobs.iter().find_map(|&j| {
            let job = &self.jobs[j as usize];
            if job.rj != slot.rj || job.job_index != slot.job_index || job.deletion_ns.is_some() {
                return None;
            }
            job.pods.iter().copied().find(|&p| {
                let pod = &self.pods[p as usize];
                pod.index == slot.pod_index
                    && pod.phase == PodPhase::Running
                    && !pod.removed
                    && pod.deletion_ns.is_none()
            })
        })
    }

    fn jobset_of_workload(&self, workload: u32) -> Option<JsId> {
        self.jobsets
            .iter()
            .position(|js| js.workload == workload && js.removed_at_ns.is_none())
            .map(|i| i as JsId)
    }

    /// A node returns from repair or maintenance: Ready, schedulable, taints gone. Pods still
    /// bound to it lost their containers with the node (restartPolicy aside, the kubelet finds
    /// nothing to resume) and fail.
    pub(crate) fn on_node_repaired(&mut self, n: NodeId) {
        if !self.inject.node_out[n as usize] {
            return;
        }
        self.inject.node_out[n as usize] = false;
        let now = self.now();
        let was_down = self.cluster.node(n).failed;
        self.cluster.update_node(n, |node| {
            node.failed = false;
            node.ready = true;
            node.unschedulable = false;
            node.taints.retain(|t| t.key != UNREACHABLE_TAINT);
            node.changed_at_ns = now;
        });
        if was_down {
            for p in self.pods_on_node(n) {
                if self.pods[p as usize].deletion_ns.is_none() {
                    self.kubelet_lost_pod(p);
                }
            }
        }
        self.record_node_repaired(n);
        self.move_all_unschedulable();
    }

    /// A pod whose containers vanished with a node: Failed when the kubelet comes back.
    fn kubelet_lost_pod(&mut self, pod: PodId) {
        if self.pods[pod as usize].phase.terminal() {
            return;
        }
        self.set_phase(pod, PodPhase::Failed);
        self.change_pod(pod, |p| p.ready = false);
        self.record(pod, "Failed", "NodeLost");
        self.count_pod_failed(pod);
        self.queue
            .schedule_in(self.params.watch_delay_ns, Event::SchedulerPodGone(pod));
    }

    fn record_node_repaired(&mut self, n: NodeId) {
        self.rec.node_repairs.push((self.now(), n));
    }
}

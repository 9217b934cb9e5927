//! What a fault does, through the components that would see it in a real cluster.

use super::sample::lognormal_ns;
use super::Slot;
use crate::cluster::NodeId;
use crate::scenario::faults::{Lognormal, NodeEffect, PodEffect};
use crate::sim::objects::*;
use crate::sim::{Event, Sim};

/// `node_fault`'s answer for a node that never comes back.
pub(crate) const NEVER: u64 = u64::MAX;

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
            self.rec
                .observe_fault_cause(crate::metrics::recoveries::Cause {
                    injector: Some(fault),
                    cause: cause.to_string(),
                    node: Some(n),
                    nodes: live.len() as u32,
                });
            let pods = self.pods_on_node(n);
            hit += pods.len() as u64;
            match effect {
                NodeEffect::Down => self.node_lifecycle(|c, ctx| c.on_node_fails(ctx, n)),
                NodeEffect::Crash { exit_code } => {
                    self.cordon(n);
                    for p in pods {
                        self.kubelet_kill_container(p, exit_code, "DeviceFault");
                    }
                }
                NodeEffect::PodCrash { exit_code } => {
                    if !pods.is_empty() {
                        self.rec.observe_pod_fault(now);
                    }
                    for p in pods {
                        self.kubelet_kill_container(p, exit_code, "Error");
                    }
                }
                NodeEffect::Drain => {
                    self.cordon(n);
                    for p in pods {
                        self.evict_pod(p, "EvictionByEvictionAPI");
                    }
                }
            }
            if back.is_some() {
                // `live` holds only nodes in the pool: this is always a change.
                self.inject.node_out[n as usize] = true;
                self.inject.nodes_out_now += 1;
                self.inject.repair_due_ns[n as usize] = back.unwrap_or(NEVER);
                self.rec.observe_node_out(now, n);
                if let Some(t) = back.filter(|&t| t != NEVER) {
                    self.queue.schedule_at(t, Event::NodeRepaired(n));
                }
            }
        }
        self.rec.observe_fault_done();
        self.rec.observe_fault(crate::metrics::FaultMark {
            time_ns: now,
            injector: fault,
            cause: cause.to_string(),
            node: live.first().copied(),
        });
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

    /// A pod-level fault.
    pub(crate) fn pod_fault(&mut self, pod: PodId, effect: PodEffect) {
        match effect {
            PodEffect::Exit { code } => self.kubelet_kill_container(pod, code, "Error"),
            PodEffect::OomKilled => self.kubelet_oom_kill(pod),
            PodEffect::Evicted => self.kubelet_evict(pod),
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
            self.job_pods[j as usize].iter().copied().find(|&p| {
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

    /// A node's repair or maintenance is over: Kubernetes takes it from there
    /// (`on_node_returns`).
    pub(crate) fn on_node_repaired(&mut self, n: NodeId) {
        if !self.inject.node_out[n as usize] {
            return;
        }
        self.inject.node_out[n as usize] = false;
        self.inject.nodes_out_now -= 1;
        self.inject.repair_due_ns[n as usize] = NEVER;
        self.node_lifecycle(|c, ctx| c.on_node_returns(ctx, n));
        self.rec.observe_node_back(self.queue.now(), n);
    }
}

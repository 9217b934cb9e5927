//! Node lifecycle (kube-controller-manager) and taint-based eviction, for hard node failures:
//! the kubelet stops renewing its lease; after the grace period the node is NotReady and
//! tainted `unreachable`; NoExecute taints go out at the eviction rate; pods that do not
//! tolerate the taint are deleted after their toleration seconds (`DisruptionTarget`); since
//! no kubelet confirms, PodGC force-deletes them after its quarantine (calibration §7.2).

use crate::cluster::{NodeId, Taint, TaintEffect};
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

pub(crate) const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";

impl Sim {
    /// A node dies: its containers stop with it and nothing reports it but the missing lease.
    pub(crate) fn on_node_fails(&mut self, node: NodeId) {
        let now = self.now();
        if self.cluster.node(node).failed {
            return;
        }
        self.cluster.update_node(node, |n| n.failed = true);
        for p in self.pods_on_node(node) {
            // The workload died with the node: that is when its Job's trouble starts, and
            // when training stops (even though the API learns of it minutes later).
            self.change_pod(p, PodChange::ContainerStopped { failed: true });
            let js = self.jobs[self.pods[p as usize].job as usize].jobset;
            self.rec
                .recoveries
                .interrupted(now, js, p, "node failure (no lease)");
        }
        // The controller sees the lease go stale at its first look past the grace period.
        let nl = &self.params.node_lifecycle;
        let last_renewal = now / nl.lease_renew_ns * nl.lease_renew_ns;
        let deadline = last_renewal + nl.monitor_grace_ns;
        let detect = (deadline / nl.monitor_period_ns + 1) * nl.monitor_period_ns;
        self.queue.schedule_at(detect, Event::NodeNotReady(node));
    }

    /// Pods bound to the node that have not finished, from the per-node index (which drops
    /// finished pods as it goes, so it stays as short as the node's live pods).
    pub(crate) fn pods_on_node(&mut self, node: NodeId) -> Vec<PodId> {
        let pods = &self.pods;
        let list = &mut self.node_pods[node as usize];
        list.retain(|&p| {
            let pod = &pods[p as usize];
            pod.node == Some(node) && !pod.removed && !pod.phase.terminal()
        });
        list.clone()
    }

    pub(crate) fn on_node_not_ready(&mut self, node: NodeId) {
        let now = self.now();
        self.rec.recoveries.node_not_ready(now, node);
        if !self.cluster.node(node).failed {
            return; // repaired before the controller looked
        }
        self.cluster.update_node(node, |n| {
            n.ready = false;
            n.changed_at_ns = now;
            n.taints.push(Taint {
                key: UNREACHABLE_TAINT.into(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
        });
        let at = self.node_eviction_bucket.reserve(now);
        self.queue.schedule_at(at, Event::NodeTaintNoExecute(node));
    }

    /// The NoExecute taint: every pod that does not tolerate it is evicted after its
    /// toleration seconds (DefaultTolerationSeconds unless the pod says otherwise).
    pub(crate) fn on_node_taint_no_execute(&mut self, node: NodeId) {
        let now = self.now();
        if !self.cluster.node(node).failed {
            return;
        }
        self.cluster.update_node(node, |n| {
            n.taints.push(Taint {
                key: UNREACHABLE_TAINT.into(),
                value: String::new(),
                effect: TaintEffect::NoExecute,
            })
        });
        for p in self.pods_on_node(node) {
            let shape = &self.shapes[self.pods[p as usize].shape as usize];
            let own = shape.tolerations.iter().find(|t| {
                t.key.as_deref() == Some(UNREACHABLE_TAINT)
                    && t.effect.as_deref().is_none_or(|e| e == "NoExecute")
                    && t.operator.as_deref() == Some("Exists")
            });
            let after = match own {
                Some(t) => match t.toleration_seconds {
                    Some(s) => crate::engine::time::secs_field_ns(s),
                    None => continue, // tolerates it forever
                },
                None => self.params.node_lifecycle.toleration_ns,
            };
            self.queue.schedule_at(now + after, Event::EvictPod(p));
        }
    }

    /// The taint manager deletes a pod from an unreachable node.
    pub(crate) fn on_evict_pod(&mut self, pod: PodId) {
        self.evict_pod(pod, "DeletionByTaintManager");
    }

    /// A node is back from repair or maintenance, uncordoned. Its kubelet reports Ready,
    /// which clears the `unreachable` taints; after a failure, the kubelet fails the pods
    /// whose containers died with the machine; the scheduler retries unschedulable pods on
    /// the node update.
    pub(crate) fn node_returns(&mut self, n: NodeId) {
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
                self.kubelet_pod_lost(p);
            }
        }
        self.move_all_unschedulable();
    }
}

//! Node lifecycle (kube-controller-manager) and taint-based eviction, for hard node failures:
//! the kubelet stops renewing its lease; after the grace period the node is NotReady and
//! tainted `unreachable`; NoExecute taints go out at the eviction rate; pods that do not
//! tolerate the taint are deleted after their toleration seconds (`DisruptionTarget`); since
//! no kubelet confirms, PodGC force-deletes them after its quarantine (calibration §7.2).

use crate::api::types::Toleration;
use crate::cluster::{NodeId, Taint, TaintEffect};
use crate::engine::{SimTime, TokenBucket};
use crate::params::NodeLifecycleParams;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::{Event, Sim};

pub(crate) const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";

/// The node lifecycle controller's own state: its flags and the rate limiter of its NoExecute
/// taints (kube-controller-manager's zone eviction limiter). Its reactions are its own
/// methods over a `Ctx` (`Sim::handle`).
#[derive(Debug)]
pub(crate) struct NodeLifecycleController {
    params: NodeLifecycleParams,
    taint_limiter: TokenBucket,
}

impl NodeLifecycleController {
    pub(crate) fn new(params: &NodeLifecycleParams) -> Self {
        NodeLifecycleController {
            taint_limiter: TokenBucket::new(params.eviction_rate_per_s, 1),
            params: params.clone(),
        }
    }

    /// When the controller marks a node NotReady whose kubelet died at `failed_ns`: at its
    /// first look past the grace period after the last lease renewal.
    pub(crate) fn not_ready_at(&self, failed_ns: SimTime) -> SimTime {
        let nl = &self.params;
        let last_renewal = failed_ns / nl.lease_renew_ns * nl.lease_renew_ns;
        let deadline = last_renewal + nl.monitor_grace_ns;
        (deadline / nl.monitor_period_ns + 1) * nl.monitor_period_ns
    }

    /// When the NoExecute taint of a node found NotReady at `now_ns` goes out.
    pub(crate) fn taint_no_execute_at(&mut self, now_ns: SimTime) -> SimTime {
        self.taint_limiter.reserve(now_ns)
    }

    /// How long a pod with these tolerations stays on an `unreachable` NoExecute node before
    /// it is evicted: its own toleration's seconds, DefaultTolerationSeconds without one,
    /// None when it tolerates the taint forever.
    pub(crate) fn eviction_delay_ns(&self, tolerations: &[Toleration]) -> Option<u64> {
        let own = tolerations.iter().find(|t| {
            t.key.as_deref() == Some(UNREACHABLE_TAINT)
                && t.effect.as_deref().is_none_or(|e| e == "NoExecute")
                && t.operator.as_deref() == Some("Exists")
        });
        match own {
            Some(t) => t.toleration_seconds.map(crate::engine::time::secs_field_ns),
            None => Some(self.params.toleration_ns),
        }
    }
}

impl NodeLifecycleController {
    /// A node dies: its containers stop with it and nothing reports it but the missing lease.
    pub(crate) fn on_node_fails(&mut self, ctx: &mut Ctx, node: NodeId) {
        let now = ctx.now();
        if ctx.node(node).failed {
            return;
        }
        ctx.update_node(node, |n| n.failed = true);
        for p in ctx.pods_on_node(node) {
            // The workload died with the node: that is when its Job's trouble starts, and
            // when training stops (even though the API learns of it minutes later).
            ctx.kubelet_containers_died(p);
            let js = ctx.job(ctx.pod(p).job).jobset;
            ctx.metrics().observe_pod_lost_with_node(now, js, p);
        }
        let detect = self.not_ready_at(now);
        ctx.schedule_at(detect, Event::NodeNotReady(node));
    }

    pub(crate) fn on_node_not_ready(&mut self, ctx: &mut Ctx, node: NodeId) {
        let now = ctx.now();
        ctx.metrics().observe_node_not_ready(now, node);
        if !ctx.node(node).failed {
            return; // repaired before the controller looked
        }
        ctx.update_node(node, |n| {
            n.ready = false;
            n.changed_at_ns = now;
            n.taints.push(Taint {
                key: UNREACHABLE_TAINT.into(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
        });
        let at = self.taint_no_execute_at(now);
        ctx.schedule_at(at, Event::NodeTaintNoExecute(node));
    }

    /// The NoExecute taint: every pod that does not tolerate it is evicted after its
    /// toleration seconds (DefaultTolerationSeconds unless the pod says otherwise).
    pub(crate) fn on_node_taint_no_execute(&mut self, ctx: &mut Ctx, node: NodeId) {
        let now = ctx.now();
        if !ctx.node(node).failed {
            return;
        }
        ctx.update_node(node, |n| {
            n.taints.push(Taint {
                key: UNREACHABLE_TAINT.into(),
                value: String::new(),
                effect: TaintEffect::NoExecute,
            })
        });
        for p in ctx.pods_on_node(node) {
            let shape = ctx.shape(ctx.pod(p).shape);
            let Some(after) = self.eviction_delay_ns(&shape.tolerations) else {
                continue; // tolerates it forever
            };
            ctx.schedule_at(now + after, Event::EvictPod(p));
        }
    }

    /// The taint manager deletes a pod from an unreachable node.
    pub(crate) fn on_evict_pod(&mut self, ctx: &mut Ctx, pod: PodId) {
        ctx.evict_pod(pod, "DeletionByTaintManager");
    }

    /// A node is back from repair or maintenance, uncordoned. Its kubelet reports Ready,
    /// which clears the `unreachable` taints; after a failure, the kubelet fails the pods
    /// whose containers died with the machine; the scheduler retries unschedulable pods on
    /// the node update.
    pub(crate) fn on_node_returns(&mut self, ctx: &mut Ctx, n: NodeId) {
        let now = ctx.now();
        let was_down = ctx.node(n).failed;
        ctx.update_node(n, |node| {
            node.failed = false;
            node.ready = true;
            node.unschedulable = false;
            node.taints.retain(|t| t.key != UNREACHABLE_TAINT);
            node.changed_at_ns = now;
        });
        if was_down {
            for p in ctx.pods_on_node(n) {
                ctx.kubelet_pod_lost(p);
            }
        }
        ctx.scheduler_node_changed();
    }
}

impl Sim {
    /// Pods bound to the node that have not finished, from the per-node index (which drops
    /// finished pods as it goes, so it stays as short as the node's live pods).
    pub(crate) fn pods_on_node(&mut self, node: NodeId) -> Vec<PodId> {
        let pods = &self.pods;
        self.node_pods.retain(node as usize, |p| {
            let pod = &pods[p as usize];
            pod.node == Some(node) && !pod.removed && !pod.phase.terminal()
        });
        self.node_pods.get(node as usize).to_vec()
    }

    /// Runs one of the node lifecycle controller's handlers.
    pub(crate) fn node_lifecycle(
        &mut self,
        handler: impl FnOnce(&mut NodeLifecycleController, &mut Ctx<'_>),
    ) {
        self.handle(|sim| &mut sim.node_lifecycle, handler);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::NS_PER_S;

    const S: u64 = NS_PER_S;

    fn controller() -> NodeLifecycleController {
        NodeLifecycleController::new(&NodeLifecycleParams {
            monitor_period_ns: 5 * S,
            monitor_grace_ns: 40 * S,
            lease_renew_ns: 10 * S,
            eviction_rate_per_s: 0.1,
            toleration_ns: 300 * S,
            orphan_pod_gc_ns: 40 * S,
        })
    }

    /// The lease was last renewed at 20 s; stale past 60 s; seen at the next look, 65 s.
    #[test]
    fn a_dead_node_is_seen_at_the_first_look_past_the_grace_period() {
        let c = controller();
        assert_eq!(c.not_ready_at(23 * S), 65 * S);
        assert_eq!(c.not_ready_at(20 * S), 65 * S);
        assert_eq!(c.not_ready_at(19 * S), 55 * S);
    }

    /// At 0.1 nodes per second the taints go out 10 s apart; an idle limiter lets one go now.
    #[test]
    fn no_execute_taints_go_out_at_the_eviction_rate() {
        let mut c = controller();
        let at: Vec<u64> = (0..3).map(|_| c.taint_no_execute_at(0) / S).collect();
        assert_eq!(at, [0, 10, 20]);
        assert_eq!(c.taint_no_execute_at(100 * S), 100 * S);
    }

    fn toleration(effect: Option<&str>, operator: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: Some(UNREACHABLE_TAINT.into()),
            operator: Some(operator.into()),
            value: None,
            effect: effect.map(String::from),
            toleration_seconds: seconds,
        }
    }

    /// A pod's own toleration of the unreachable NoExecute taint sets its stay; without one
    /// the default applies; with no seconds it stays for good.
    #[test]
    fn a_pods_own_toleration_decides_when_it_is_evicted() {
        let c = controller();
        assert_eq!(c.eviction_delay_ns(&[]), Some(300 * S));
        let own = toleration(Some("NoExecute"), "Exists", Some(30));
        assert_eq!(c.eviction_delay_ns(&[own]), Some(30 * S));
        let any_effect = toleration(None, "Exists", Some(5));
        assert_eq!(c.eviction_delay_ns(&[any_effect]), Some(5 * S));
        let forever = toleration(Some("NoExecute"), "Exists", None);
        assert_eq!(c.eviction_delay_ns(&[forever]), None);
        let other_effect = toleration(Some("NoSchedule"), "Exists", Some(30));
        assert_eq!(c.eviction_delay_ns(&[other_effect]), Some(300 * S));
    }

    /// The handlers over a world stopped mid-run: a dead node stops its pods' containers at
    /// once, is seen NotReady at the first look past the grace period, then gets its
    /// `unreachable` taints; evictions follow at the pods' toleration seconds.
    #[test]
    fn a_dead_node_is_found_tainted_and_drained() {
        use crate::sim::Event;
        let mut sim = crate::control::gc::tests::running_job();
        let node = sim.pods[0].node.expect("running pods are bound");
        let on_node = sim.pods_on_node(node);
        let failed_ns = sim.now();
        sim.node_lifecycle(|c, ctx| c.on_node_fails(ctx, node));
        assert!(sim.cluster.node(node).failed);
        assert!(on_node.iter().all(|&p| !sim.kubelet.exit_pending(p)));
        let want = sim.node_lifecycle.not_ready_at(failed_ns);
        let (at, event) = (0..1000)
            .map(|_| sim.queue.pop().expect("the controller looks"))
            .find(|(_, e)| matches!(e, Event::NodeNotReady(_)))
            .expect("NotReady is scheduled");
        assert_eq!(at, want);
        assert!(matches!(event, Event::NodeNotReady(n) if n == node));
        sim.node_lifecycle(|c, ctx| c.on_node_not_ready(ctx, node));
        assert!(!sim.cluster.node(node).ready);
        sim.node_lifecycle(|c, ctx| c.on_node_taint_no_execute(ctx, node));
        let taints: Vec<_> = (sim.cluster.node(node).taints.iter())
            .filter(|t| t.key == UNREACHABLE_TAINT)
            .map(|t| t.effect)
            .collect();
        assert_eq!(taints, [TaintEffect::NoSchedule, TaintEffect::NoExecute]);
    }
}

//! The API server's side of a pod's deletion: a DELETE landing (the clients send theirs
//! through `Sim::send_pod_delete`, `control/gc.rs`), the Eviction API, the kubelet (or PodGC)
//! done with the pod, and the object's removal, which waits for the Job controller's
//! tracking finalizer (semantics §7.3).

use super::ApiServer;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::Event;

impl ApiServer {
    /// Eviction (the taint manager, the Eviction API): a DELETE with a `DisruptionTarget`
    /// condition. Whether the Job counts the pod failed at once is the Job controller's rule
    /// (`JobController::on_pod_update`).
    pub(crate) fn evict_pod(&mut self, ctx: &mut Ctx, pod: PodId, reason: &str) {
        if ctx.pod(pod).phase.terminal() {
            return;
        }
        self.delete_pod(ctx, pod, reason, true);
    }

    /// DELETE on a pod: a running pod stops gracefully on its node, anything else goes at once.
    pub(crate) fn delete_pod(&mut self, ctx: &mut Ctx, pod: PodId, reason: &str, evicted: bool) {
        let p = ctx.pod(pod);
        if p.removed || p.deletion_ns.is_some() {
            return;
        }
        let on_node = p.node.is_some() && !p.phase.terminal();
        let grace = ctx.shape(p.shape).grace_period_ns;
        let dead_node = p.node.is_some_and(|n| ctx.cluster().node_failed(n));
        let params = ctx.params();
        let delay = if dead_node {
            // No kubelet will confirm: PodGC force-deletes it after its quarantine.
            params.node_lifecycle.orphan_pod_gc_ns
        } else if on_node {
            params.watch_delay_ns + params.kubelet.pod_stop_latency_ns.min(grace)
        } else {
            params.api_call_latency_ns
        };
        ctx.schedule_in(delay, Event::PodRemoved(pod));
        ctx.change_pod(pod, PodChange::Deleting { reason, evicted });
    }

    /// The kubelet (or PodGC) is done with a deleted pod: the object goes, unless the pod
    /// still carries its tracking finalizer, in which case it goes when the Job controller's
    /// PATCH removing the finalizer lands (`on_finalizer_removed`).
    pub(crate) fn on_pod_removed(&mut self, ctx: &mut Ctx, pod: PodId) {
        let p = ctx.pod(pod);
        if p.removed {
            return;
        }
        if p.holds_tracking_finalizer() {
            // The kubelet marked the pod terminal (or PodGC did, on a dead node): the
            // scheduler's informer, which lists no Succeeded or Failed pod, drops it and frees
            // its node now, while the object waits for the PATCH.
            ctx.change_pod(pod, PodChange::RemovalHeld);
            let watch = ctx.params().watch_delay_ns;
            ctx.schedule_in(watch, Event::SchedulerPodGone(pod));
            return;
        }
        self.remove_pod(ctx, pod);
    }

    /// The Job controller's PATCH removing `pod`'s tracking finalizer landed: the finalizer
    /// is off the pod, and a deleted pod the kubelet is done with goes now.
    pub(crate) fn on_finalizer_removed(&mut self, ctx: &mut Ctx, pod: PodId) {
        // A pod keeps its slot while its finalizer is on (`Sim::release_pod_slot`).
        let p = ctx.pod(pod);
        assert!(
            !p.removed,
            "a pod object goes only once its finalizer is gone"
        );
        let held = p.tracking_finalizer == TrackingFinalizer::HoldsRemoval;
        ctx.change_pod(pod, PodChange::FinalizerRemoved);
        if held {
            self.remove_pod(ctx, pod);
        }
    }

    /// The pod object goes: its name is free again, then the removal takes the one path (the
    /// name was released inside the path before its watchers ran; it still is before them).
    #[inline(always)] // once per pod
    fn remove_pod(&mut self, ctx: &mut Ctx, pod: PodId) {
        self.release_pod_name(&ctx.pod_name_key(pod));
        ctx.change_pod(pod, PodChange::Removed);
    }
}

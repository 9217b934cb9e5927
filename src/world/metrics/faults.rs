//! The metrics observers of the fault injectors: each fault as it strikes (for the fault
//! table and the pictures), the nodes it takes out and brings back, and the cause that the
//! recovery records give the pod changes it sets off.

use super::recoveries::Cause;
use super::{FaultMark, Recorder};
use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::sim::objects::{JsId, PodId};

impl Recorder {
    /// A fault struck (once per fault, however many nodes or pods it hit).
    pub(crate) fn observe_fault(&mut self, mark: FaultMark) {
        self.faults.push(mark);
    }

    /// A fault hit running pods' containers directly (not through their node).
    pub(crate) fn observe_pod_fault(&mut self, now_ns: SimTime) {
        self.pod_faults.push(now_ns);
    }

    /// The pod changes that follow, until `observe_fault_done`, are caused by this fault.
    pub(crate) fn observe_fault_cause(&mut self, cause: Cause) {
        self.recoveries.context = Some(cause);
    }

    pub(crate) fn observe_fault_done(&mut self) {
        self.recoveries.context = None;
    }

    /// A fault took node `n` out of service (until a repair, or for good).
    pub(crate) fn observe_node_out(&mut self, now_ns: SimTime, n: NodeId) {
        self.node_failures.push((now_ns, n));
    }

    /// The node lifecycle controller found node `n` NotReady (a fault's detection).
    pub(crate) fn observe_node_not_ready(&mut self, now_ns: SimTime, n: NodeId) {
        self.recoveries.node_not_ready(now_ns, n);
    }

    /// A pod of JobSet `js` lost its workload with its node (no lease renewed): where its
    /// recovery record starts, although the API learns of it only later.
    pub(crate) fn observe_pod_lost_with_node(&mut self, now_ns: SimTime, js: JsId, pod: PodId) {
        (self.recoveries).interrupted(now_ns, js, pod, "node failure (no lease)");
    }

    /// Node `n` is back from repair or maintenance.
    pub(crate) fn observe_node_back(&mut self, now_ns: SimTime, n: NodeId) {
        self.node_repairs.push((now_ns, n));
    }
}

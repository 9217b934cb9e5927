//! The API calls the modelled controllers' clients send, per client and kind (summary.json
//! `api_calls`, docs/metrics.md): what the control plane's rate limiters were charged for.
//! Observed where each call is sent; never read by a component.

use serde::Serialize;

/// The Job controller's client (one clientset: pods, Job status and its Events share one
/// rate limiter upstream).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct JobControllerCalls {
    /// Pod POSTs, refused ones included.
    pub pod_creates: u64,
    /// Pod DELETEs.
    pub pod_deletes: u64,
    /// Job status writes (`UpdateStatus`), one per sync that changed the status.
    pub status_writes: u64,
    /// Pod PATCHes removing the `batch.kubernetes.io/job-tracking` finalizer: one per pod
    /// that finished or was deleted (or whose Job is being deleted).
    pub finalizer_patches: u64,
    /// Events sent (`SuccessfulCreate`, `FailedCreate`, `SuccessfulDelete`).
    pub events: u64,
    /// Events the event recorder's spam filter dropped (25 per Job, then one per 5 minutes):
    /// recorded but never sent, so never charged.
    pub events_filtered: u64,
}

/// The garbage collector's metadata client: per dependent it deletes, a GET of the object, a
/// GET of its owner and the DELETE.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct GarbageCollectorCalls {
    pub gets: u64,
    pub pod_deletes: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct ApiCalls {
    pub job_controller: JobControllerCalls,
    pub garbage_collector: GarbageCollectorCalls,
}

/// One call a client sent (or, for `EventFiltered`, did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiCall {
    JobPodCreate,
    JobPodDelete,
    JobStatusWrite,
    JobFinalizerPatch,
    JobEvent,
    JobEventFiltered,
    GcGet,
    GcPodDelete,
}

impl ApiCalls {
    pub(crate) fn observe(&mut self, call: ApiCall) {
        let (jc, gc) = (&mut self.job_controller, &mut self.garbage_collector);
        let counter = match call {
            ApiCall::JobPodCreate => &mut jc.pod_creates,
            ApiCall::JobPodDelete => &mut jc.pod_deletes,
            ApiCall::JobStatusWrite => &mut jc.status_writes,
            ApiCall::JobFinalizerPatch => &mut jc.finalizer_patches,
            ApiCall::JobEvent => &mut jc.events,
            ApiCall::JobEventFiltered => &mut jc.events_filtered,
            ApiCall::GcGet => &mut gc.gets,
            ApiCall::GcPodDelete => &mut gc.pod_deletes,
        };
        *counter += 1;
    }
}

//! Control-plane timing parameters. Defaults come from `../shared/spec/calibration.md` (sources
//! in `docs/calibration.md`); a scenario's `controlPlane:` section overrides any of them.

use crate::engine::time::{NS_PER_MS, NS_PER_S};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ControlPlane {
    /// Informer/watch delivery: an object change reaches other controllers this much later.
    pub watch_delay_ns: u64,
    /// One mutating API call (create, delete, bind) as seen by its caller.
    pub api_call_latency_ns: u64,
    /// The Job controller enqueues a Job this long after a pod event (syncJobBatchPeriod).
    pub job_sync_batch_period_ns: u64,
    /// Processing time of one JobSet reconcile (the controller has one worker).
    pub jobset_reconcile_cost_ns: u64,
    /// Processing time of one Job sync.
    pub job_sync_cost_ns: u64,
    /// Admission webhook round trip added to every JobSet pod create (mpod + vpod).
    pub webhook_latency_ns: u64,
    pub scheduler: SchedulerParams,
    pub kubelet: KubeletParams,
    /// Client-side rate limits (client-go token buckets), one per component.
    pub job_controller_client: ClientRate,
    pub gc_client: ClientRate,
    pub jobset_client: ClientRate,
    /// The Job controller's sync workers (`--concurrent-job-syncs`): at most this many Jobs
    /// sync at once, the rest wait in its work queue.
    pub job_controller_workers: u32,
    /// The garbage collector's attempt-to-delete workers (`--concurrent-gc-syncs`): at most
    /// this many dependents are being deleted at once.
    pub gc_workers: u32,
    /// The JobSet controller's creates and deletes in flight at once (MaxParallelism).
    pub jobset_max_in_flight: u32,
    /// Which JobSet release to reproduce where releases differ.
    pub jobset_version: PlacementVersion,
    /// How exclusive placement is enforced.
    pub exclusive_placement: ExclusivePlacement,
    pub node_lifecycle: NodeLifecycleParams,
}

/// kube-controller-manager's node lifecycle and taint eviction, and PodGC (calibration §7).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeLifecycleParams {
    /// `--node-monitor-period`: how often the controller looks at node leases.
    pub monitor_period_ns: u64,
    /// `--node-monitor-grace-period`: a lease older than this makes the node NotReady.
    pub monitor_grace_ns: u64,
    /// The kubelet renews its lease this often.
    pub lease_renew_ns: u64,
    /// NoExecute taints applied per second (1 node per 10 s in a healthy zone).
    pub eviction_rate_per_s: f64,
    /// DefaultTolerationSeconds for the unreachable / not-ready NoExecute taints.
    pub toleration_ns: u64,
    /// PodGC force-deletes pods left terminating on a dead node after this quarantine.
    pub orphan_pod_gc_ns: u64,
}

/// JobSet's exclusive-placement designs (calibration §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExclusivePlacement {
    /// v0.3.0 and later: the pod webhook gives the leader the affinity terms, followers wait
    /// for it and get a nodeSelector.
    LeaderFollower,
    /// Before v0.3.0: required affinity and anti-affinity on every pod (jobset issue #174).
    AllPods,
}

/// QPS and burst of one API client; `qps <= 0` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClientRate {
    pub qps: f64,
    pub burst: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SchedulerParams {
    /// Fixed cost of one scheduling cycle (queue pop, snapshot, PreFilter, assume).
    pub cycle_base_cost_ns: u64,
    /// Filter cost per node examined.
    pub per_node_filter_cost_ns: u64,
    /// Score cost per feasible node scored.
    pub per_node_score_cost_ns: u64,
    /// Extra cost of a node Filter rejected, on top of `per_node_filter_cost_ns`: the failing
    /// plugin's Status and its serial insert into the diagnosis (`schedule_one.go`
    /// `findNodesThatPassFilters`: `result[i]`, then `NodeToStatus.Set`, `AddPluginStatus`).
    pub per_rejected_node_cost_ns: u64,
    /// Latency of the bind API call after the scheduling cycle.
    pub bind_latency_ns: u64,
    /// `percentageOfNodesToScore`; 0 means the adaptive rule.
    pub percentage_of_nodes_to_score: u32,
    pub scoring: ScoringStrategy,
    /// podInitialBackoffSeconds / podMaxBackoffSeconds.
    pub initial_backoff_ns: u64,
    pub max_backoff_ns: u64,
    /// Unschedulable pods are retried at least this often (podMaxInUnschedulablePodsDuration).
    pub max_unschedulable_ns: u64,
    /// The scheduler's API client: every bind is one request.
    pub client: ClientRate,
    /// InterPodAffinity: cost of matching one placed pod's own terms against the incoming pod,
    /// per placed pod walked for its terms (PreFilter's placed pods with required
    /// anti-affinity, PreScore's placed pods with any inter-pod term).
    pub affinity_per_existing_pod_cost_ns: u64,
    /// InterPodAffinity: cost of matching one of the incoming pod's terms against one placed
    /// pod (PreFilter: its required terms; PreScore: its preferred terms).
    pub affinity_per_pod_term_cost_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScoringStrategy {
    LeastAllocated,
    MostAllocated,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KubeletParams {
    /// From the kubelet seeing a bound pod to its containers running (images cached).
    pub pod_start_latency_ns: u64,
    /// From a pod's deletion to its containers having stopped, when the process exits on
    /// SIGTERM; capped by the pod's terminationGracePeriodSeconds.
    pub pod_stop_latency_ns: u64,
}

impl Default for ControlPlane {
    fn default() -> Self {
        ControlPlane {
            watch_delay_ns: 50 * NS_PER_MS,
            api_call_latency_ns: 10 * NS_PER_MS,
            job_sync_batch_period_ns: NS_PER_S,
            jobset_reconcile_cost_ns: 2 * NS_PER_MS,
            job_sync_cost_ns: NS_PER_MS,
            scheduler: SchedulerParams {
                cycle_base_cost_ns: 700_000,
                per_node_filter_cost_ns: 100,
                per_node_score_cost_ns: 1_300,
                per_rejected_node_cost_ns: 331,
                bind_latency_ns: 10 * NS_PER_MS,
                percentage_of_nodes_to_score: 0,
                scoring: ScoringStrategy::LeastAllocated,
                initial_backoff_ns: NS_PER_S,
                max_backoff_ns: 10 * NS_PER_S,
                max_unschedulable_ns: 300 * NS_PER_S,
                client: ClientRate {
                    qps: 50.0,
                    burst: 100,
                },
                affinity_per_existing_pod_cost_ns: 2_600,
                affinity_per_pod_term_cost_ns: 670,
            },
            kubelet: KubeletParams {
                pod_start_latency_ns: 500 * NS_PER_MS,
                pod_stop_latency_ns: NS_PER_S,
            },
            webhook_latency_ns: 5 * NS_PER_MS,
            job_controller_client: ClientRate {
                qps: 20.0,
                burst: 30,
            },
            gc_client: ClientRate {
                qps: 20.0,
                burst: 30,
            },
            jobset_client: ClientRate {
                qps: 500.0,
                burst: 500,
            },
            job_controller_workers: 5,
            gc_workers: 20,
            jobset_max_in_flight: 50,
            jobset_version: PlacementVersion::V0_12_0,
            exclusive_placement: ExclusivePlacement::LeaderFollower,
            node_lifecycle: NodeLifecycleParams {
                monitor_period_ns: 5 * NS_PER_S,
                monitor_grace_ns: 50 * NS_PER_S,
                lease_renew_ns: 10 * NS_PER_S,
                eviction_rate_per_s: 0.1,
                toleration_ns: 300 * NS_PER_S,
                orphan_pod_gc_ns: 40 * NS_PER_S,
            },
        }
    }
}

/// Which upstream JobSet behaviour to reproduce where v0.12.0 and later `main` differ
/// (`jobsetController.version`; the pod webhooks and the placement reconciler read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlacementVersion {
    V0_12_0,
    Main,
}

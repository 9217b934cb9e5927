//! `controlPlane:`: overrides of the timing and client constants of a profile
//! (`params::ControlPlane`; `profile` picks which).

use super::duration::DurationField;
use super::types::{
    ClientSection, ControlPlaneSection, JobSetControllerSection, NodeLifecycleSection,
    SchedulerSection,
};
use super::Problems;
use crate::params::{ClientRate, ControlPlane, ExclusivePlacement, ScoringStrategy};

/// `base` (the profile's constants) with every key `cp` sets put over it, range-checked.
pub(super) fn resolve(
    cp: &ControlPlaneSection,
    base: ControlPlane,
    problems: &mut Problems,
) -> ControlPlane {
    let mut control = base;
    set_durations(cp, &mut control);
    set_client_rates(cp, &mut control, problems);
    if let Some(js) = &cp.jobset_controller {
        set_jobset_controller(js, &mut control, problems);
    }
    set_node_lifecycle(&cp.node_lifecycle, &mut control, problems);
    set_scheduler_choices(&cp.scheduler, &mut control, problems);
    control
}

/// Every duration override: each field already parsed and located by `DurationField`.
fn set_durations(cp: &ControlPlaneSection, control: &mut ControlPlane) {
    fn set(target: &mut u64, field: Option<DurationField>) {
        *target = DurationField::ns_or(field, *target);
    }
    let (s, k, nl) = (&cp.scheduler, &cp.kubelet, &cp.node_lifecycle);
    set(&mut control.watch_delay_ns, cp.watch_delay);
    set(&mut control.api_call_latency_ns, cp.api_call_latency);
    set(
        &mut control.job_sync_batch_period_ns,
        cp.job_sync_batch_period,
    );
    set(
        &mut control.jobset_reconcile_cost_ns,
        cp.jobset_reconcile_cost,
    );
    set(&mut control.job_sync_cost_ns, cp.job_sync_cost);
    set(&mut control.webhook_latency_ns, cp.webhook_latency);
    let sched = &mut control.scheduler;
    set(
        &mut sched.affinity_per_existing_pod_cost_ns,
        s.affinity_per_existing_pod_cost,
    );
    set(
        &mut sched.affinity_per_pod_term_cost_ns,
        s.affinity_per_pod_term_cost,
    );
    set(&mut sched.cycle_base_cost_ns, s.cycle_base_cost);
    set(&mut sched.per_node_filter_cost_ns, s.per_node_filter_cost);
    set(&mut sched.per_node_score_cost_ns, s.per_node_score_cost);
    set(
        &mut sched.per_rejected_node_cost_ns,
        s.per_rejected_node_cost,
    );
    set(&mut sched.bind_latency_ns, s.bind_latency);
    set(
        &mut control.kubelet.pod_start_latency_ns,
        k.pod_start_latency,
    );
    set(&mut control.kubelet.pod_stop_latency_ns, k.pod_stop_latency);
    let life = &mut control.node_lifecycle;
    set(&mut life.monitor_period_ns, nl.monitor_period);
    set(&mut life.monitor_grace_ns, nl.monitor_grace_period);
    set(&mut life.lease_renew_ns, nl.lease_renew_interval);
    set(&mut life.orphan_pod_gc_ns, nl.orphan_pod_gc_delay);
}

fn set_client_rates(cp: &ControlPlaneSection, control: &mut ControlPlane, problems: &mut Problems) {
    let s = &cp.scheduler;
    let scheduler = ClientSection {
        qps: s.qps,
        burst: s.burst,
        workers: None,
    };
    set_rate(
        "controlPlane.scheduler",
        &scheduler,
        &mut control.scheduler.client,
        problems,
    );
    if let Some(c) = &cp.job_controller {
        let target = &mut control.job_controller_client;
        set_rate("controlPlane.jobController", c, target, problems);
        let workers = &mut control.job_controller_workers;
        set_workers("controlPlane.jobController", c, workers, problems);
    }
    if let Some(c) = &cp.garbage_collector {
        set_rate(
            "controlPlane.garbageCollector",
            c,
            &mut control.gc_client,
            problems,
        );
        set_workers(
            "controlPlane.garbageCollector",
            c,
            &mut control.gc_workers,
            problems,
        );
    }
    if let Some(c) = &cp.jobset_controller {
        let client = ClientSection {
            qps: c.qps,
            burst: c.burst,
            workers: None,
        };
        set_rate(
            "controlPlane.jobsetController",
            &client,
            &mut control.jobset_client,
            problems,
        );
    }
}

/// A client-go token bucket: `qps` (0: unlimited) and `burst`.
fn set_rate(path: &str, raw: &ClientSection, target: &mut ClientRate, problems: &mut Problems) {
    match raw.qps {
        Some(q) if !q.is_finite() || q < 0.0 => problems.at(
            format!("{path}.qps"),
            "must be a number of requests per second, 0 for unlimited",
        ),
        Some(q) => target.qps = q,
        None => {}
    }
    match raw.burst {
        Some(0) => problems.at(format!("{path}.burst"), "must be at least 1"),
        Some(b) => target.burst = b,
        None => {}
    }
}

/// A controller's worker pool: at least one worker.
fn set_workers(path: &str, raw: &ClientSection, target: &mut u32, problems: &mut Problems) {
    match raw.workers {
        Some(0) => problems.at(format!("{path}.workers"), "must be at least 1"),
        Some(w) => *target = w,
        None => {}
    }
}

fn set_jobset_controller(
    c: &JobSetControllerSection,
    control: &mut ControlPlane,
    problems: &mut Problems,
) {
    use crate::params::PlacementVersion;
    const AT: &str = "controlPlane.jobsetController";
    match c.version.as_deref() {
        None | Some("v0.12.0") => {}
        Some("main") => control.jobset_version = PlacementVersion::Main,
        Some(v) => problems.at(
            format!("{AT}.version"),
            format!("{v:?}: use v0.12.0 or main"),
        ),
    }
    match c.exclusive_placement.as_deref() {
        None | Some("leaderFollower") => {}
        Some("allPods") => control.exclusive_placement = ExclusivePlacement::AllPods,
        Some(v) => problems.at(
            format!("{AT}.exclusivePlacement"),
            format!("{v:?}: use leaderFollower or allPods"),
        ),
    }
    match c.max_in_flight {
        Some(0) => problems.at(format!("{AT}.maxInFlight"), "must be at least 1"),
        Some(m) => control.jobset_max_in_flight = m,
        None => {}
    }
}

fn set_node_lifecycle(
    nl: &NodeLifecycleSection,
    control: &mut ControlPlane,
    problems: &mut Problems,
) {
    let life = &mut control.node_lifecycle;
    if life.monitor_period_ns == 0 || life.lease_renew_ns == 0 {
        problems.at(
            "controlPlane.nodeLifecycle",
            "monitorPeriod and leaseRenewInterval must be longer than 0s",
        );
    }
    match nl.eviction_rate_per_s {
        Some(r) if !r.is_finite() || r <= 0.0 => problems.at(
            "controlPlane.nodeLifecycle.evictionRatePerS",
            "must be a positive number",
        ),
        Some(r) => life.eviction_rate_per_s = r,
        None => {}
    }
    if let Some(t) = nl.toleration_seconds {
        let seconds = t.min(i64::MAX as u64) as i64;
        life.toleration_ns = crate::engine::time::secs_field_ns(seconds);
    }
}

fn set_scheduler_choices(
    s: &SchedulerSection,
    control: &mut ControlPlane,
    problems: &mut Problems,
) {
    if let Some(p) = s.percentage_of_nodes_to_score {
        if p > 100 {
            problems.at(
                "controlPlane.scheduler.percentageOfNodesToScore",
                "must be between 0 and 100",
            );
        }
        control.scheduler.percentage_of_nodes_to_score = p;
    }
    control.scheduler.scoring = match s.scoring_strategy.as_deref() {
        None => control.scheduler.scoring,
        Some("LeastAllocated") => ScoringStrategy::LeastAllocated,
        Some("MostAllocated") => ScoringStrategy::MostAllocated,
        Some(other) => {
            problems.at(
                "controlPlane.scheduler.scoringStrategy",
                format!("{other:?} is not a scoring strategy: use LeastAllocated or MostAllocated"),
            );
            ScoringStrategy::LeastAllocated
        }
    };
}

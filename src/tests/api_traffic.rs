//! The API traffic the Job controller and the garbage collector are charged for
//! (docs/calibration.md, "API traffic"): each pod create's Event, the spam filter, status
//! writes, and the garbage collector's three calls per dependent on its doubled-QPS client.

use super::common::*;
use crate::engine::time::{NS_PER_MS, NS_PER_S};
use crate::sim::Sim;

/// One Job of `pods` pods (1 cpu each, running 30 minutes) on enough 8-cpu nodes, with
/// `control` as the scenario's `controlPlane:` body (flow style).
fn scenario(pods: u32, control: &str) -> String {
    let nodes = pods.div_ceil(8);
    one_job_scenario(1, pods, "pods: {runFor: 30m}")
        .replace("nodesPerPool: 2", &format!("nodesPerPool: {nodes}"))
        .replace(
            "cluster:\n",
            &format!("controlPlane: {control}\ncluster:\n"),
        )
}

fn run(text: &str, base_dir: &str) -> Sim {
    let scenario = crate::scenario::load_scenario_from_str("t.yaml", text, base_dir.as_ref())
        .expect("valid scenario");
    simulate_scenario(scenario)
}

#[test]
fn each_pod_create_sends_its_event_and_each_status_change_a_write() {
    let sim = run(&scenario(10, "{}"), ".");
    let jc = &sim.rec.api_calls.job_controller;
    assert_eq!(jc.pod_creates, 10);
    assert_eq!(jc.events, 10, "one SuccessfulCreate per pod");
    assert_eq!(jc.events_filtered, 0);
    assert_eq!(jc.pod_deletes, 0);
    assert!(jc.status_writes >= 2, "active, then ready: {jc:?}");
}

#[test]
fn the_spam_filter_lets_25_events_about_one_job_through() {
    let sim = run(&scenario(40, "{}"), ".");
    let jc = &sim.rec.api_calls.job_controller;
    assert_eq!(jc.pod_creates, 40);
    assert_eq!((jc.events, jc.events_filtered), (25, 15));
}

/// When the first and the last of the Job's pods were created.
fn create_span_ns(control: &str, pods: u32) -> (u64, u64) {
    let mut sim = world(&scenario(pods, control));
    step_until(&mut sim, |s| s.rec.pods_created == pods as u64);
    let times = sim.pods.iter().map(|p| p.created_at_ns);
    (times.clone().min().unwrap(), times.max().unwrap())
}

#[test]
fn events_take_the_job_controllers_tokens() {
    // 10 creates at 10 QPS, burst 1, in slow-start batches of 1, 2, 4, 3: each batch's Events
    // take their tokens before the next batch's creates, so the tenth create is the 17th call
    // (c1 e1 c2 c3 e2 e3 c4..c7 e4..e7 c8 c9 c10), 16 tokens (1.6 s) after the first; without
    // its Events it would be the 10th call, 0.9 s after the first.
    let (first, last) = create_span_ns("{jobController: {qps: 10, burst: 1}}", 10);
    assert_eq!(last - first, 16 * 100 * NS_PER_MS);
    // Unthrottled, the Events cost no time: the batches follow each other one round trip apart.
    let (first, last) = create_span_ns("{}", 10);
    assert!(last - first < NS_PER_S / 10, "{first} {last}");
}

#[test]
fn the_garbage_collector_reads_twice_before_each_delete() {
    let path = "scenarios/policies/restart-jobset.yaml";
    let sim = run(
        &std::fs::read_to_string(path).unwrap(),
        "scenarios/policies",
    );
    let gc = &sim.rec.api_calls.garbage_collector;
    assert!(gc.pod_deletes > 0, "the restart deletes the old Jobs' pods");
    assert_eq!(gc.gets, 2 * gc.pod_deletes);
    // The Job controller's own deletes each record SuccessfulDelete, as its creates do.
    let jc = &sim.rec.api_calls.job_controller;
    assert!(jc.pod_deletes > 0, "{jc:?}");
    assert_eq!(jc.events_filtered, 0);
    assert_eq!(jc.events, jc.pod_creates + jc.pod_deletes, "{jc:?}");
}

/// SMALL_SCENARIO with twelve Jobs of three pods on six nodes, `control` as its controlPlane.
fn twelve_jobs(control: &str) -> Sim {
    let text = scenario_with(control)
        .replace("replicas: 2", "replicas: 12")
        .replace("nodesPerPool: 3", "nodesPerPool: 6");
    run(&text, ".")
}

#[test]
fn the_job_controller_syncs_at_most_its_workers_at_once() {
    // The JobSet creates its twelve Jobs in one reconcile: they are due together, and each
    // sync holds its worker while its creates and status write go through a 10-QPS client.
    let sim = twelve_jobs("{jobController: {qps: 10, burst: 1, workers: 2}}");
    assert_eq!(sim.job_controller.peak_syncs_in_flight(), 2);
    assert_eq!(sim.rec.api_calls.job_controller.pod_creates, 36);
    // The default pool is 5 (--concurrent-job-syncs); with room for all twelve, more than
    // five ran at once: the bound, not the workload, held it at five.
    let sim = twelve_jobs("{jobController: {qps: 10, burst: 1}}");
    assert_eq!(sim.job_controller.peak_syncs_in_flight(), 5);
    let sim = twelve_jobs("{jobController: {qps: 10, burst: 1, workers: 100}}");
    assert!(sim.job_controller.peak_syncs_in_flight() > 5);
}

/// The most intervals that overlap at one instant.
fn max_overlap(held: &[(u64, u64)]) -> usize {
    let mut edges: Vec<(u64, i32)> = held
        .iter()
        .flat_map(|&(start, end)| [(start, 1), (end, -1)])
        .collect();
    edges.sort(); // an end (-1) before a start at the same instant: the worker is free
    let mut open = 0i32;
    let mut most = 0;
    for (_, d) in edges {
        open += d;
        most = most.max(open);
    }
    most as usize
}

#[test]
fn the_garbage_collector_deletes_at_most_its_workers_dependents_at_once() {
    let path = "scenarios/policies/restart-jobset.yaml";
    let text = std::fs::read_to_string(path).unwrap();
    let load = || {
        crate::scenario::load_scenario_from_str("t.yaml", &text, "scenarios/policies".as_ref())
            .unwrap()
    };
    let mut one = load();
    one.control.gc_workers = 1;
    let sim = simulate_scenario(one);
    let held = &sim.gc.held;
    assert!(held.len() > 1, "the restart deletes the old Jobs' pods");
    assert_eq!(max_overlap(held), 1);
    // Each dependent holds its worker for its two GETs and its DELETE: three round trips.
    let latency = sim.params.api_call_latency_ns;
    assert!(held.iter().all(|&(s, e)| e - s >= 3 * latency));
    let sim = simulate_scenario(load());
    assert!(max_overlap(&sim.gc.held) <= 20);
    assert!(
        max_overlap(&sim.gc.held) > 1,
        "the default pool runs them side by side"
    );
}

#[test]
fn each_finished_pod_loses_its_tracking_finalizer_by_one_patch() {
    // Ten pods run 30 minutes and succeed; the syncs that see them finished PATCH each one's
    // `batch.kubernetes.io/job-tracking` finalizer away once: 10 PATCHes. Nothing deletes a
    // pod, so no DELETE.
    let sim = run(&scenario(10, "{}"), ".");
    let jc = &sim.rec.api_calls.job_controller;
    assert_eq!(jc.finalizer_patches, 10);
    assert_eq!(jc.pod_deletes, 0);
    let finalizer_gone = |p| {
        sim.pods
            .get(p)
            .is_none_or(|p| !p.holds_tracking_finalizer())
    };
    assert!((0..10).all(finalizer_gone));
}

#[test]
fn a_deleted_pod_goes_only_once_its_finalizer_patch_returned() {
    // Walks removed pods after the run.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    // restart-jobset: a leader Job and a worker Job of two pods each (backoffLimit 0). The
    // leader's index 0 exits 1 at 10 s and restarts in place (restartPolicy OnFailure): the
    // restart counts against backoffLimit 0, so the leader Job fails and deletes its two
    // active pods (the Job controller's two DELETEs); the JobSet restarts, deleting both Jobs
    // in the foreground, so the garbage collector deletes the two workers. Each of those four
    // deleted pods loses its finalizer by one PATCH; the second attempt's four pods succeed
    // after 100 s and lose theirs: 8 PATCHes, one per pod created. Checked after every event:
    // no pod object goes while its finalizer is on.
    let path = "scenarios/policies/restart-jobset.yaml";
    let text = std::fs::read_to_string(path).unwrap();
    let scenario =
        crate::scenario::load_scenario_from_str("t.yaml", &text, "scenarios/policies".as_ref())
            .unwrap();
    let mut sim = Sim::new(scenario).unwrap();
    while let Some((_, event)) = sim.queue.pop() {
        if sim.dispatch(event) {
            break;
        }
        for (i, p) in sim.pods.iter().enumerate() {
            assert!(
                !p.removed || !p.holds_tracking_finalizer(),
                "pod {i} went with its finalizer on"
            );
        }
    }
    assert_eq!(sim.rec.pods_created, 8);
    let removed = sim.pods.iter().filter(|p| p.removed).count();
    assert_eq!(removed, 4, "the first attempt's pods");
    let jc = &sim.rec.api_calls.job_controller;
    assert_eq!(jc.pod_deletes, 2, "{jc:?}");
    assert_eq!(sim.rec.api_calls.garbage_collector.pod_deletes, 2);
    assert_eq!(jc.finalizer_patches, 8, "{jc:?}");
    assert!((0..8).all(|p| !sim.pods[p].holds_tracking_finalizer()));
}

//! kube-scheduler driven as a component, without a whole run: a small world (two nodes, one
//! Job) is stepped until its pods reach the scheduler's informer, and from there the
//! scheduler's handlers are called one by one (`Sim::scheduler`), as the dispatcher would.

use super::QueueState;
use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::sim::objects::PodId;
use crate::sim::{Event, Sim};
use crate::tests::common::{one_job_scenario, world};

const S: SimTime = 1_000_000_000;

/// Delivers events until the next one `wanted` picks, which is returned undelivered (the test
/// runs the handler itself).
fn until_event(sim: &mut Sim, wanted: impl Fn(&Event) -> bool) -> (SimTime, Event) {
    loop {
        let (at, event) = sim
            .queue
            .pop()
            .expect("the event comes before the run ends");
        if wanted(&event) {
            return (at, event);
        }
        assert!(!sim.dispatch(event), "the run ended first");
    }
}

/// A world of two 8-CPU nodes and one Job of `pods` one-CPU pods, stepped until the
/// scheduler's informer is about to hear of the first pod; that pod is returned.
fn first_pod_reaches_scheduler(pods: u32) -> (Sim, PodId) {
    let mut sim = world(&one_job_scenario(1, pods, "pods: {runFor: 30m}"));
    let (_, event) = until_event(&mut sim, |e| matches!(e, Event::SchedulerAddPod(_)));
    let Event::SchedulerAddPod(pod) = event else {
        unreachable!()
    };
    (sim, pod)
}

fn cordon(sim: &mut Sim, cordoned: bool) {
    for n in 0..sim.cluster.len() as NodeId {
        sim.cluster
            .update_node(n, |node| node.unschedulable = cordoned);
    }
}

/// The informer adds the pod, a cycle assumes it on a node (the cache holds its requests
/// there) and sends the bind; the bind's landing binds it through the pod-change path.
#[test]
fn a_cycle_assumes_the_pod_and_the_bind_lands() {
    let (mut sim, pod) = first_pod_reaches_scheduler(1);
    sim.scheduler(|s, cx| s.on_add_pod(cx, pod));
    assert_eq!(sim.scheduler.state(pod), QueueState::Active);
    let added_ns = sim.now();
    // The informer's second notice of the same pod changes nothing.
    sim.scheduler(|s, cx| s.on_add_pod(cx, pod));
    assert_eq!(sim.scheduler.active.len(), 1);
    let (at, _) = until_event(&mut sim, |e| matches!(e, Event::SchedulerCycle));
    assert_eq!(at, added_ns, "an idle scheduler wakes at once");
    sim.scheduler(|s, cx| s.on_cycle(cx));
    assert_eq!(sim.scheduler.state(pod), QueueState::Assumed);
    assert_eq!(sim.scheduler.cycles, 1);
    let reserved: Vec<(PodId, NodeId)> = sim.scheduler.reservations().collect();
    let [(p, node)] = reserved[..] else {
        panic!("one reservation: {reserved:?}")
    };
    assert_eq!(p, pod);
    assert_eq!(sim.cluster.used(node)[crate::cluster::resources::CPU], 1000);
    assert!(
        sim.pods[pod as usize].node.is_none(),
        "not bound before the call returns"
    );
    let (_, bind) = until_event(&mut sim, |e| matches!(e, Event::BindDone { .. }));
    assert!(matches!(bind, Event::BindDone { pod: p, node: n } if p == pod && n == node));
    sim.scheduler(|s, cx| s.on_bind_done(cx, pod, node));
    assert_eq!(sim.pods[pod as usize].node, Some(node));
    assert_eq!(sim.scheduler.state(pod), QueueState::None);
    // The pod is gone: the cache gives its node's capacity back.
    sim.scheduler(|s, cx| s.on_pod_gone(cx, pod));
    assert_eq!(sim.scheduler.reservations().count(), 0);
    assert_eq!(sim.cluster.used(node)[crate::cluster::resources::CPU], 0);
}

/// A pod that fits no node is unschedulable (its `PodScheduled` verdict written); a node
/// change moves it to back-off, which ends one initial back-off after its attempt, and the
/// next cycle places it.
#[test]
fn unschedulable_then_a_node_change_moves_it_back() {
    let (mut sim, pod) = first_pod_reaches_scheduler(1);
    cordon(&mut sim, true);
    sim.scheduler(|s, cx| s.on_add_pod(cx, pod));
    until_event(&mut sim, |e| matches!(e, Event::SchedulerCycle));
    let attempt_ns = sim.now();
    sim.scheduler(|s, cx| s.on_cycle(cx));
    assert_eq!(sim.scheduler.state(pod), QueueState::Unschedulable);
    assert!(sim.pods[pod as usize].unschedulable);
    assert_eq!(sim.scheduler.reservations().count(), 0);
    assert_eq!(
        sim.last_unschedulable(pod),
        Some("0/2 nodes are available: 2 node(s) were unschedulable.")
    );
    // Nothing changed: the pod waits (no cycle for it).
    assert!(sim.scheduler.active.is_empty());
    // The nodes are uncordoned; the scheduler's node handler moves the pod to back-off.
    cordon(&mut sim, false);
    sim.scheduler(|s, cx| s.move_all_unschedulable(cx));
    assert_eq!(sim.scheduler.state(pod), QueueState::Backoff);
    let (at, _) = until_event(
        &mut sim,
        |e| matches!(e, Event::SchedulerBackoffDone(p) if *p == pod),
    );
    assert_eq!(at, attempt_ns + S, "one attempt: the initial back-off, 1 s");
    sim.scheduler(|s, cx| s.on_backoff_done(cx, pod));
    assert_eq!(sim.scheduler.state(pod), QueueState::Active);
    until_event(&mut sim, |e| matches!(e, Event::SchedulerCycle));
    sim.scheduler(|s, cx| s.on_cycle(cx));
    assert_eq!(sim.scheduler.state(pod), QueueState::Assumed);
    assert!(
        !sim.pods[pod as usize].unschedulable,
        "the verdict is cleared"
    );
}

/// The back-off doubles with each attempt from 1 s and stops at 10 s (the defaults of
/// `podInitialBackoffSeconds` and `podMaxBackoffSeconds`).
#[test]
fn backoff_doubles_per_attempt_up_to_the_maximum() {
    let (mut sim, pod) = first_pod_reaches_scheduler(1);
    sim.scheduler(|s, cx| s.on_add_pod(cx, pod));
    let backoffs: Vec<SimTime> = (1..=6)
        .map(|attempts| {
            sim.scheduler(|s, cx| {
                s.attempts[pod as usize] = attempts;
                s.backoff_ns(cx, pod)
            })
        })
        .collect();
    assert_eq!(backoffs, [S, 2 * S, 4 * S, 8 * S, 10 * S, 10 * S]);
}

/// The periodic flush moves a pod unschedulable for longer than
/// `podMaxInUnschedulablePodsDuration` (5 min) back to the active queue without any node
/// change, and stops re-arming once nothing waits.
#[test]
fn the_flush_retries_a_pod_unschedulable_too_long() {
    let (mut sim, pod) = first_pod_reaches_scheduler(1);
    cordon(&mut sim, true);
    sim.scheduler(|s, cx| s.on_add_pod(cx, pod));
    until_event(&mut sim, |e| matches!(e, Event::SchedulerCycle));
    let failed_ns = sim.now();
    sim.scheduler(|s, cx| s.on_cycle(cx));
    let mut flushes = 0;
    while sim.scheduler.state(pod) == QueueState::Unschedulable {
        until_event(&mut sim, |e| {
            matches!(e, Event::SchedulerFlushUnschedulable)
        });
        sim.scheduler(|s, cx| s.on_flush_unschedulable(cx));
        flushes += 1;
    }
    assert_eq!(sim.scheduler.state(pod), QueueState::Active);
    assert!(sim.now() - failed_ns >= 300 * S && sim.now() - failed_ns < 330 * S);
    assert_eq!(flushes, 10, "every 30 s until the pod is due");
    assert!(!sim.scheduler.flush_scheduled, "nothing left to flush");
}

/// A pod deleted while it waits is skipped by the cycle; the loop goes idle.
#[test]
fn a_deleted_pod_is_not_scheduled() {
    let (mut sim, pod) = first_pod_reaches_scheduler(1);
    sim.scheduler(|s, cx| s.on_add_pod(cx, pod));
    let now = sim.now();
    sim.pods[pod as usize].deletion_ns = crate::sim::objects::MaybeTime::at(now);
    sim.scheduler(|s, cx| s.on_cycle(cx));
    assert_eq!(sim.scheduler.cycles, 0);
    assert!(!sim.scheduler.busy);
    assert_eq!(sim.scheduler.reservations().count(), 0);
}

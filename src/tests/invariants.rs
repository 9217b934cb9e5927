//! The simulator's invariants hold over many seeds, on scenarios that stress them: exclusive
//! placement under contention and restarts, both placement designs, resource contention.
//! A failure prints the command that reproduces it.

use super::common::*;
use jobset_sim::control::pod_webhook::PlacementVersion;
use jobset_sim::report::summary;
use jobset_sim::scenario::load_scenario;
use jobset_sim::sim::{invariants, Sim};

const SEEDS: u64 = 100;

fn check_over_seeds(name: &str, text: &str) {
    let dir = scratch(&format!("invariants_{name}"));
    let path = write(&dir, "s.yaml", text);
    let base = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    for seed in 0..SEEDS {
        let mut scenario = base.clone();
        scenario.seed = seed;
        let mut sim = Sim::new(scenario).unwrap();
        sim.check_invariants = true;
        sim.invariant_period_events = TEST_INVARIANT_PERIOD_EVENTS;
        sim.run();
        assert!(
            sim.violations.is_empty(),
            "{:?}\nreproduce: jobset-sim run {} --seed {seed} --check-invariants",
            sim.violations,
            path.display()
        );
        assert!(
            sim.store
                .jobsets
                .iter()
                .all(|j| j.status.terminal_state.is_some()),
            "{name} seed {seed} did not finish"
        );
    }
}

#[test]
fn exclusive_placement_with_restarts_over_100_seeds() {
    check_over_seeds("leader_follower", &contention("{}"));
}

#[test]
fn pre_v030_design_over_100_seeds() {
    check_over_seeds(
        "all_pods",
        &contention("{jobsetController: {exclusivePlacement: allPods}}"),
    );
}

#[test]
fn main_branch_placement_over_100_seeds() {
    check_over_seeds("main", &contention("{jobsetController: {version: main}}"));
}

#[test]
fn resource_contention_over_100_seeds() {
    let text = SMALL_SCENARIO
        .replace("cpu: \"1\"", "cpu: \"5\"")
        .replace("replicas: 2", "replicas: 4");
    check_over_seeds("resources", &text);
}

#[test]
fn the_checker_catches_violations() {
    // A checker that cannot fail proves nothing: corrupt a finished run and look.
    let dir = scratch("invariants_catch");
    let path = write(&dir, "s.yaml", &contention("{}"));
    let mut mid_run = load_scenario(&path).unwrap();
    mid_run.until_ns = 120_000_000_000; // stop while pods run
    let mut sim = simulate_scenario(mid_run);
    assert!(invariants::check(&sim).is_empty());
    // Two Jobs' pods in one pool.
    let (a, a_node) = sim.scheduler.reservations().next().unwrap();
    let other_pool = (sim.scheduler.reservations())
        .map(|(_, n)| n)
        .find(|&n| n / 3 != a_node / 3);
    let other_pool = other_pool.expect("pods run in several pools");
    sim.scheduler.corrupt_reservation(a, other_pool);
    let v = invariants::check(&sim);
    assert!(
        v.iter()
            .any(|m| m.contains("Jobs at priority") || m.contains("domains")),
        "{v:?}"
    );
    // A Job that finished without the JobSet controller's books hearing of it.
    let running = sim.store.jobset_jobs(0)[0];
    sim.store.jobs[running as usize].add_condition("Failed", "BackoffLimitExceeded", "", 0);
    let v = invariants::check(&sim);
    assert!(
        v.iter()
            .any(|m| m.contains("is booked as") && m.contains("classifies as")),
        "{v:?}"
    );
    // An over-committed node: stopped where it happens, as the reservation is made.
    let mut sim = Sim::new(load_scenario(&path).unwrap()).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::cluster::SchedulerCache::new(&mut sim.cluster, &[])
            .reserve_requests(0, &[9_000, 0, 0])
    }))
    .expect_err("a reservation past allocatable must stop the run");
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("over-committed on cpu: 9000 of 8000"),
        "{message}"
    );
    // Restarts past the limit.
    let mut sim2 = simulate_scenario(load_scenario(&path).unwrap());
    sim2.store.jobsets[0].status.restarts_count_towards_max = 3;
    assert!(invariants::check(&sim2)
        .iter()
        .any(|m| m.contains("counted restarts")));
}

/// maxRestarts: -1 is accepted (v0.12.0 has no minimum) and the first failure reaches it: no
/// restart is counted, and the checker must not call 0 restarts "past -1" (issue 15, 3).
#[test]
fn negative_max_restarts_is_not_a_violation() {
    let text = contention("{}").replace("maxRestarts: 2", "maxRestarts: -1");
    let dir = scratch("invariants_negative_max");
    let path = write(&dir, "s.yaml", &text);
    let sim = simulate_scenario(load_scenario(&path).unwrap());
    let a = &sim.store.jobsets[0];
    assert_eq!(a.status.terminal_state.as_deref(), Some("Failed"));
    assert_eq!(a.status.restarts, 0);
}

/// Under v0.12.0 followers created from a finished leader run in the old leader's domain while
/// the next leader lands elsewhere: a behaviour of upstream v0.12.0 (kubernetes-sigs/jobset
/// #1276, #1269), reported as a finding of the run, not an invariant failure (issue 15, 3).
#[test]
fn stale_leader_followers_are_an_upstream_finding_under_v0_12_0() {
    let path = swarm_fixture("stale-leader-v0.12.0.yaml");
    let sim = simulate_scenario(load_scenario(&path).unwrap());
    let s = summary::build(&sim, 0);
    let stale: Vec<_> = s
        .upstream_behaviours
        .iter()
        .filter(|b| b.kind == "followers-from-stale-leader")
        .collect();
    assert!(!stale.is_empty(), "{:?}", s.upstream_behaviours);
    for b in &stale {
        assert_eq!((b.version, b.jobset.as_str()), ("v0.12.0", "js0"), "{b:?}");
        assert!(
            b.job.starts_with("js0-r") && b.domain.starts_with("p0-rack-"),
            "{b:?}"
        );
        assert!(
            b.count > 0 && b.time_s > 0.0 && b.message.contains("#1276"),
            "{b:?}"
        );
    }
}

/// The same misplaced followers are a violation under a version where upstream fixed the
/// behaviour (`main`): the checker excuses them only for the version that has it.
#[test]
fn the_same_misplacement_is_a_violation_where_upstream_fixed_it() {
    let mut scenario = load_scenario(&swarm_fixture("stale-leader-v0.12.0.yaml")).unwrap();
    // A misplaced follower of js0-r2-1 runs in its old rack at 1,889.9 s.
    scenario.until_ns = 1_890_000_000_000;
    let mut sim = Sim::new(scenario).unwrap();
    sim.run();
    assert!(invariants::check(&sim).is_empty());
    assert!(sim
        .scheduler
        .reservations()
        .any(|(p, _)| sim.rec.upstream_misplaced(p)));
    sim.params.jobset_version = PlacementVersion::Main;
    let v = invariants::check(&sim);
    assert!(v.iter().any(|m| m.contains(" domains: ")), "{v:?}");
}

/// Under main a Job whose leader succeeded (completions > parallelism) has its followers
/// denied for good: upstream main's leader lookup ignores finished pods (#1276). The run
/// reports it, and the pool its Jobs leave unguarded may take another Job's pods, as
/// kube-scheduler allows once no live leader's anti-affinity covers it (issue 15's swarm
/// findings: seed 1 case 798 under main).
#[test]
fn followers_denied_after_the_leader_succeeded_are_reported_under_main() {
    let sim =
        simulate_scenario(load_scenario(&swarm_fixture("main-finished-leader.yaml")).unwrap());
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].terminal_state, None);
    let denied: Vec<_> = s
        .upstream_behaviours
        .iter()
        .filter(|b| b.kind == "followers-denied-after-leader-succeeded")
        .collect();
    assert!(!denied.is_empty(), "{:?}", s.upstream_behaviours);
    assert!(denied
        .iter()
        .all(|b| b.version == "main" && b.jobset == "js0" && b.count > 0));
    assert!(s.pods.create_rejected > 0);
}

/// A pod's removal comes after its deletion as late as the kubelet's stop (within the grace
/// period), which may outlast a short PodGC quarantine: the checker's bound on "still holds
/// resources" counts both (seed 2026 case 96579 called such pods leaking).
#[test]
fn a_slow_pod_stop_is_not_a_resource_leak() {
    // Walks removed pods after the run.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    let sim = simulate_scenario(load_scenario(&swarm_fixture("slow-pod-stop.yaml")).unwrap());
    assert!(sim.pods.iter().any(|p| p.removed));
    assert!(sim.params.kubelet.pod_stop_latency_ns > sim.params.node_lifecycle.orphan_pod_gc_ns);
}

/// A pod that tolerates every taint may be placed on a NotReady node and then stays Pending
/// there: the summary names it as a stalled pod with the reason, so the stall is diagnosed
/// (swarm seed 2026 case 19).
#[test]
fn a_pod_pending_on_a_dead_node_is_a_diagnosed_stall() {
    let sim = simulate_scenario(load_scenario(&swarm_fixture("dead-node-tolerated.yaml")).unwrap());
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].terminal_state, None);
    let group = s
        .pending_pods
        .iter()
        .find(|g| g.jobset == "js0")
        .unwrap_or_else(|| panic!("{:?}", s.pending_pods));
    assert!(
        group
            .reason
            .starts_with("bound to node p0-0, which is down"),
        "{}",
        group.reason
    );
    assert_eq!(group.count, 1);
}

/// A failed index under `backoffLimitPerIndex` is never recreated; with a training model the
/// other indexes wait for every pod, so the Job never ends. The recovery record says so, which
/// the swarm's liveness phase takes as the stall's diagnosis (seed 2026 case 305).
#[test]
fn a_failed_index_that_training_waits_for_is_a_diagnosed_stall() {
    let path = swarm_fixture("failed-index-training.yaml");
    let sim = simulate_scenario(load_scenario(&path).unwrap());
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].terminal_state, None);
    let r = &s.recoveries[0];
    assert_eq!(r.state, "stalled");
    assert_eq!((r.pods.running, r.pods.needed), (2, 3));
    assert_eq!(
        r.diagnosis,
        vec![
            "Job js0-r0-0: index(es) 1 failed (backoffLimitPerIndex 0) and are not recreated; \
              the Job ends when its other indexes finish; with a training model the other \
              indexes run until the work is done, which needs every pod running: the Job \
              never finishes"
                .to_string()
        ]
    );
}

/// Upstream's InOrder resume skips a replicated job that counts as started, and a suspended
/// Job counts as ready once its succeeded pods reach its parallelism: resumed after index 0
/// succeeded, the Job stays suspended. The run reports it as an upstream behaviour, the stall's
/// diagnosis (swarm seed 2026 cases 1953 and 2812).
#[test]
fn an_in_order_job_left_suspended_is_an_upstream_behaviour() {
    let path = swarm_fixture("in-order-never-resumed.yaml");
    let sim = simulate_scenario(load_scenario(&path).unwrap());
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].terminal_state, None);
    assert_eq!(
        s.upstream_behaviours.len(),
        1,
        "{:?}",
        s.upstream_behaviours
    );
    let b = &s.upstream_behaviours[0];
    assert_eq!(
        (b.kind, b.job.as_str()),
        ("suspended-job-never-resumed", "js0-r0-0")
    );
    assert!(b
        .message
        .contains("startupPolicy InOrder skips replicated job r0"));
}

/// The `upstream_behaviours` entries of a swarm fixture's run, whose JobSet never ends.
fn stall_findings(fixture: &str) -> Vec<crate::report::summary::UpstreamBehaviourEntry> {
    let sim = simulate_scenario(load_scenario(&swarm_fixture(fixture)).unwrap());
    assert!(invariants::check(&sim).is_empty());
    let s = summary::build(&sim, 0);
    assert_eq!(
        s.jobsets[0].terminal_state, None,
        "{fixture}: the JobSet never ends"
    );
    s.upstream_behaviours
}

/// In-place restart with `dependsOn: Complete`: the barrier waits for pods that are created
/// only once the held ones complete. Upstream accepts the JobSet and it never ends; the run
/// names the deadlock (issue 15's swarm finding `swarm-in-place-stall`).
#[test]
fn an_in_place_barrier_waiting_for_a_dependent_is_an_upstream_behaviour() {
    let found = stall_findings("in-place-depends-on-complete.yaml");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].kind, found[0].job.as_str()),
        ("in-place-barrier-never-lifts", "js0-r0-0")
    );
    assert!(found[0].message.contains(
        "waits for all 4 pods (replicas x parallelism) at attempt 0: replicated job r1 \
         (2 pod(s)) is created only once r0 completes (dependsOn)"
    ));
}

/// In-place restart after some pods succeeded: the barrier counts the Succeeded pods at
/// their old attempt, and their agents never run again.
#[test]
fn an_in_place_barrier_waiting_for_a_succeeded_pod_is_an_upstream_behaviour() {
    let found = stall_findings("in-place-succeeded-pod.yaml");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, "in-place-barrier-never-lifts");
    assert!(
        found[0].message.contains("at attempt 1: pod js0-r0-0-0-")
            && found[0]
                .message
                .contains("Succeeded at attempt 0 and its agent never announces attempt 1"),
        "{}",
        found[0].message
    );
}

/// v0.12.0 counts a failed leader pod that was replaced: two pods named like the leader, so
/// every later follower create is denied (issue 15's swarm finding `swarm-denied-followers`).
#[test]
fn followers_denied_by_a_counted_failed_leader_are_reported_under_v0_12_0() {
    let found = stall_findings("v0.12.0-failed-leader-counted.yaml");
    assert_eq!(found.len(), 1, "{found:?}");
    let b = &found[0];
    assert_eq!(
        (b.kind, b.version, b.job.as_str()),
        (
            "followers-denied-finished-leader-counted",
            "v0.12.0",
            "js0-w-0"
        )
    );
    assert!(b.count > 1 && b.message.contains("counts 2 pods named like the leader"));
}

/// Under main, a leader whose index failed for good (`backoffLimitPerIndex`) gets no new pod,
/// and its followers are denied for good.
#[test]
fn followers_denied_after_the_leader_index_failed_are_reported_under_main() {
    let found = stall_findings("main-leader-index-failed.yaml");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].kind, found[0].version),
        ("followers-denied-after-leader-index-failed", "main")
    );
    assert!(found[0]
        .message
        .contains("failed for good (backoffLimitPerIndex)"));
}

//! Helpers of the in-process tests: run simulations with every invariant checked.
//!
//! Every test that runs a simulation goes through `simulate_scenario` / `run_checked`, so the
//! invariant sweeps of `src/world/sim/invariants.rs` run in every such test, not only in the few
//! that ask; the command-line tests (`tests/`) get `--check-invariants` the same way.

pub(crate) use super::fixtures::*;
use crate::scenario::Scenario;
use crate::sim::Sim;

/// Events between two invariant sweeps in tests: ten times as often as `--check-invariants`,
/// so short runs are swept many times, not only at their end.
pub(crate) const TEST_INVARIANT_PERIOD_EVENTS: u64 = 100;

/// Runs `sim` to its end with every invariant swept every `TEST_INVARIANT_PERIOD_EVENTS`
/// events and at the end; a violation fails the test, naming it.
pub(crate) fn run_checked(sim: &mut Sim) {
    sim.check_invariants = true;
    sim.invariant_period_events = TEST_INVARIANT_PERIOD_EVENTS;
    sim.run();
    assert!(
        sim.violations.is_empty(),
        "scenario {:?} seed {}: invariant violated: {:?}",
        sim.scenario.name,
        sim.scenario.seed,
        sim.violations
    );
}

/// Builds and runs `scenario` with every invariant checked (`run_checked`).
pub(crate) fn simulate_scenario(scenario: Scenario) -> Sim {
    let mut sim = Sim::new(scenario).unwrap_or_else(|e| panic!("{e}"));
    run_checked(&mut sim);
    sim
}

/// One JobSet of one Job of `pods` pods (`restartPolicy: Never`, 1 cpu each) on two 8-cpu
/// nodes, with `workload` as its workload's first key (`pods: {runFor: 30m}`,
/// `training: {work: 10m}`): the small world a component's unit test stops mid-run.
pub(crate) fn one_job_scenario(seed: u64, pods: u32, workload: &str) -> String {
    format!(
        "name: one-job\nrun: {{seed: {seed}, until: 2h}}\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 2, capacity: {{cpu: 8, memory: 32Gi}}}}\nworkloads:\n- {workload}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: small}}\n    spec:\n      replicatedJobs:\n      - name: workers\n        template:\n          spec:\n            parallelism: {pods}\n            completions: {pods}\n            template:\n              spec:\n                restartPolicy: Never\n                containers: [{{name: main, image: busybox, resources: {{requests: {{cpu: \"1\"}}}}}}]\n"
    )
}

/// The world of `scenario`, built and not run.
pub(crate) fn world(scenario: &str) -> Sim {
    let scenario =
        crate::scenario::load_scenario_from_str("world.yaml", scenario, std::path::Path::new("."))
            .expect("valid scenario");
    Sim::new(scenario).expect("cluster fits")
}

/// Delivers events until `done` holds; the run must not end first.
pub(crate) fn step_until(sim: &mut Sim, done: impl Fn(&Sim) -> bool) {
    while !done(sim) {
        let (_, event) = sim.queue.pop().expect("the run reaches the state");
        assert!(!sim.dispatch(event), "the run ended first");
    }
}

/// The `Failed` condition of the first Job (in creation order) that has one.
pub(crate) fn first_failed_condition(sim: &Sim) -> &crate::sim::objects::JobCondition {
    (sim.store.jobs.iter())
        .find_map(|j| j.condition("Failed"))
        .expect("some Job failed")
}

/// Every `.rs` file under `dir`, at any depth (the source scans of `function_length` and
/// `layers`).
pub(crate) fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

//! Swarm cases load and are deterministic, and regression tests for what the swarm found.

use jobset_sim::scenario::load_scenario_from_str;
use jobset_sim::sim::Sim;
use jobset_sim::swarm;
#[test]
fn generated_cases_load_and_build() {
    for case in 0..150 {
        let c = swarm::gen::generate(11, case);
        let scenario = load_scenario_from_str("swarm.yaml", &c.yaml, std::path::Path::new("."))
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{}", c.yaml));
        Sim::new(scenario).unwrap_or_else(|e| panic!("case {case}: {e}"));
    }
}

#[test]
fn same_case_same_scenario() {
    assert_eq!(
        swarm::gen::generate(5, 17).yaml,
        swarm::gen::generate(5, 17).yaml
    );
    assert_ne!(
        swarm::gen::generate(5, 17).yaml,
        swarm::gen::generate(5, 18).yaml
    );
}

/// Found by the swarm: with `training`, pods of completion indexes started after the work
/// was done (completions > parallelism) waited forever for an end that had passed.
#[test]
fn training_with_more_completions_than_parallelism_completes() {
    let text = r#"name: t
run: {until: 1d}
cluster:
  nodePools:
  - {name: p, nodesPerPool: 2, capacity: {cpu: 16, memory: 64Gi}}
workloads:
- training: {work: 20m}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: js}
    spec:
      replicatedJobs:
      - name: r
        replicas: 1
        template:
          spec:
            parallelism: 2
            completions: 3
            template: {spec: {restartPolicy: Never, containers: [{name: c, resources: {requests: {cpu: 2}}}]}}
"#;
    let scenario = load_scenario_from_str("t.yaml", text, std::path::Path::new(".")).unwrap();
    let mut sim = Sim::new(scenario).unwrap();
    sim.check_invariants = true;
    sim.run();
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    assert_eq!(
        sim.store.jobsets[0].status.terminal_state.as_deref(),
        Some("Completed")
    );
}

/// `run.faultsUntil` switches the injectors off: a high failure rate fires nothing after it.
#[test]
fn no_fault_fires_after_faults_until() {
    let text = |until: &str| {
        format!(
            r#"name: f
run: {{until: 2d, stopWhenAllTerminal: false{until}}}
cluster:
  nodePools:
  - {{name: p, nodesPerPool: 4, capacity: {{cpu: 16, memory: 64Gi}}}}
workloads:
- jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: js}}
    spec:
      replicatedJobs:
      - name: r
        template: {{spec: {{template: {{spec: {{restartPolicy: Never, containers: [{{name: c}}]}}}}}}}}
faults:
- {{kind: nodeFailures, ratePer1000NodeDays: 2000, repair: {{median: 1h, sigma: 0}}}}
"#
        )
    };
    let faults = |until: &str| {
        let s = load_scenario_from_str("f.yaml", &text(until), std::path::Path::new("."))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sim = Sim::new(s).unwrap();
        sim.run();
        sim.inject.stats()[0].faults
    };
    assert!(faults("") > 5);
    assert_eq!(faults(", faultsUntil: 1s"), 0);
    let bad = load_scenario_from_str(
        "f.yaml",
        &text(", faultsUntil: 10"),
        std::path::Path::new("."),
    );
    assert!(bad.is_err());
}

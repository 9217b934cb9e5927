//! `jobset-sim swarm`: its cases load, its results do not depend on the thread count, its
//! reproducers work; and regression tests for what the swarm found.

mod common;
use common::*;
use jobset_sim::scenario::load_scenario_from_str;
use jobset_sim::sim::Sim;
use jobset_sim::swarm;

/// The digest at the end of the swarm's last line.
fn digest(o: &std::process::Output) -> String {
    let out = stdout(o);
    let last = out.lines().last().unwrap_or_default().to_string();
    last.rsplit("digest ")
        .next()
        .unwrap_or_default()
        .to_string()
}

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

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let args = |jobs: &str| {
        run(&[
            "swarm",
            "--seed",
            "3",
            "--cases",
            "80",
            "--twice-every",
            "4",
            "--skip",
            "liveness",
            "--jobs",
            jobs,
        ])
    };
    let one = args("1");
    let two = args("2");
    assert!(one.status.success(), "{}", stdout(&one));
    assert!(!digest(&one).is_empty());
    assert_eq!(
        digest(&one),
        digest(&two),
        "{}\n{}",
        stdout(&one),
        stdout(&two)
    );
    // Every 4th of 80 cases runs twice, unless it failed on its first run.
    let checked: u32 = stdout(&one)
        .split("determinism checked on ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((15..=20).contains(&checked), "{}", stdout(&one));
}

#[test]
fn a_printed_case_runs_as_a_scenario() {
    let dir = scratch("swarm_print");
    let o = run(&["swarm", "--seed", "9", "--case", "4", "--print-scenario"]);
    assert!(o.status.success());
    let path = write(&dir, "case.yaml", &stdout(&o));
    let r = run(&["run", path.to_str().unwrap(), "--check-invariants"]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stdout(&r).contains("swarm-9-4"));
}

#[test]
fn an_unknown_skip_class_is_bad_input() {
    let o = run(&["swarm", "--cases", "1", "--skip", "slowness"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown failure class"));
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
        sim.jobsets[0].status.terminal_state.as_deref(),
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
        sim.inject.stats[0].faults
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

/// Stalls the simulator diagnoses itself pass the liveness phase: restarts through an action
/// that never counts toward maxRestarts, each attempt failing again (seed 2026 cases 1074,
/// 2824), failed indexes a training model waits for (305), an InOrder Job left suspended (1953).
#[test]
fn diagnosed_endless_stalls_pass_the_liveness_phase() {
    // And an in-place restart barrier that Succeeded pods can never lift (seed 15 case 260).
    let cases = [
        ("2026", "305"),
        ("2026", "1074"),
        ("2026", "1953"),
        ("2026", "2824"),
        ("15", "260"),
    ];
    for (seed, case) in cases {
        let o = run(&["swarm", "--seed", seed, "--case", case]);
        let text = stdout(&o) + &stderr(&o);
        assert_eq!(o.status.code(), Some(0), "case {case}: {text}");
        assert!(
            text.contains("stalled with a diagnosis"),
            "case {case}: {text}"
        );
    }
}

//! Helpers shared by the integration tests: run the real binary, make scratch directories,
//! and run simulations with every invariant checked.
//!
//! Every test that runs a simulation goes through `simulate` / `run_checked` (in process) or
//! `run` (the binary, which then gets `--check-invariants`), so the invariant sweeps of
//! `src/sim/invariants.rs` run in every such test, not only in the few that ask.

#![allow(dead_code)]

use jobset_sim::scenario::Scenario;
use jobset_sim::sim::Sim;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Events between two invariant sweeps in tests: ten times as often as `--check-invariants`,
/// so short runs are swept many times, not only at their end.
pub const TEST_INVARIANT_PERIOD_EVENTS: u64 = 100;

/// Runs `sim` to its end with every invariant swept every `TEST_INVARIANT_PERIOD_EVENTS`
/// events and at the end; a violation fails the test, naming it.
pub fn run_checked(sim: &mut Sim) {
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
pub fn simulate_scenario(scenario: Scenario) -> Sim {
    let mut sim = Sim::new(scenario).unwrap_or_else(|e| panic!("{e}"));
    run_checked(&mut sim);
    sim
}

/// Subcommands that run simulations, and so take `--check-invariants`.
const SIMULATING: &[&str] = &["run", "sweep", "compare", "check", "calibrate"];

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jobset-sim"))
}

/// `args` with `--check-invariants` added when they run simulations (and do not ask for help).
pub fn with_checks(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let simulates = args.first().is_some_and(|c| SIMULATING.contains(c));
    let help = args.iter().any(|a| *a == "--help" || *a == "-h");
    if simulates && !help && !args.contains(&"--check-invariants") {
        out.push("--check-invariants".into());
    }
    out
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary without invariant sweeps: only for runs of weeks of simulated time, where
/// a sweep every 1,000 events over a million pods takes minutes (their in-process
/// counterparts in tests/validation.rs sweep every 100,000 events).
pub fn run_long_unchecked(args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(repo())
        .output()
        .expect("binary runs")
}

/// Runs the binary in the repository; simulations run with `--check-invariants`.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(with_checks(args))
        .current_dir(repo())
        .output()
        .expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory under target/, unique per test name.
pub fn scratch(name: &str) -> PathBuf {
    let dir = repo().join("target").join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A small valid scenario with an inline JobSet, for tests to edit.
pub const SMALL_SCENARIO: &str = r#"name: small
run: {seed: 7, until: 1h}
cluster:
  nodePools:
  - name: cpu
    nodesPerPool: 3
    capacity: {cpu: 8, memory: 32Gi}
workloads:
- pods: {runFor: 30s}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: small}
    spec:
      replicatedJobs:
      - name: workers
        replicas: 2
        template:
          spec:
            parallelism: 3
            completions: 3
            template:
              spec:
                containers:
                - name: main
                  image: busybox
                  resources: {requests: {cpu: "1"}}
"#;

/// Environment variable naming the directory of the upstream JobSet examples.
pub const UPSTREAM_ENV: &str = "JOBSET_SIM_UPSTREAM_EXAMPLES";

/// The upstream JobSet examples (the `examples/` folder of kubernetes-sigs/jobset): the directory
/// named by `$JOBSET_SIM_UPSTREAM_EXAMPLES`, else `../shared/examples/jobset-upstream` beside the
/// repository. The repository runs without them; when they are absent a test that needs them
/// says so on stderr (written past the harness's output capture, so it shows) and returns None.
/// A variable naming a directory that does not exist is a mistake and fails the test.
pub fn upstream_examples(test: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(UPSTREAM_ENV) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "{UPSTREAM_ENV}={} is not a directory",
            dir.display()
        );
        return Some(dir);
    }
    let dir = repo().join("../shared/examples/jobset-upstream");
    if dir.is_dir() {
        return Some(dir);
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "note: {test}: SKIPPED, upstream JobSet examples not found at ../shared/examples/jobset-upstream; set {UPSTREAM_ENV}=DIR (the examples/ folder of kubernetes-sigs/jobset) to run it"
    );
    None
}

//! Scratch directories, small scenarios and the upstream examples' location, shared by the
//! in-process tests (`src/tests`) and the command-line tests (`tests/`, which include this file).

// Public: the command-line tests include this file and use it from their own `common` module.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// Two exclusive JobSets competing for five pools, one of them restarting twice.
pub fn contention(control: &str) -> String {
    let js = |name: &str, exits: &str| {
        format!(
            "- pods: {{runFor: 4m, exits: [{exits}]}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: {name}, annotations: {{alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}}}}
    spec:
      failurePolicy: {{maxRestarts: 2}}
      replicatedJobs:
      - name: w
        replicas: 3
        template:
          spec: {{parallelism: 3, completions: 3, backoffLimit: 0, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 2}}}}}}]}}}}}}
"
        )
    };
    format!(
        "name: contention\nrun: {{until: 2h}}\ncontrolPlane: {control}\ncluster:\n  nodePools:\n  - {{name: p, count: 5, nodesPerPool: 3, capacity: {{cpu: 8, memory: 32Gi}}}}\nworkloads:\n{}{}",
        js("a", "{jobIndex: 1, podIndex: 2, attempt: 0, after: 1m, exitCode: 1}, {jobIndex: 0, podIndex: 0, attempt: 1, after: 90s, exitCode: 1}"),
        js("b", "")
    )
}

pub fn ci_text() -> String {
    std::fs::read_to_string(repo().join("profiles/ci.yaml")).unwrap()
}

/// SMALL_SCENARIO with `control_plane` (one YAML flow mapping) as its `controlPlane`.
pub fn scenario_with(control_plane: &str) -> String {
    SMALL_SCENARIO.replacen(
        "cluster:\n",
        &format!("controlPlane: {control_plane}\ncluster:\n"),
        1,
    )
}

/// A scenario the swarm found, kept under tests/fixtures/swarm.
pub fn swarm_fixture(name: &str) -> PathBuf {
    repo()
        .join("tests")
        .join("fixtures")
        .join("swarm")
        .join(name)
}

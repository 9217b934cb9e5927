//! Helpers shared by the integration tests: run the real binary, make scratch directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jobset-sim"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
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

//! Every JobSet manifest of the upstream examples (../shared/examples/jobset-upstream or
//! $JOBSET_SIM_UPSTREAM_EXAMPLES; skipped, saying so, when absent) loads unmodified and
//! simulates to the outcome its name and comments imply (the table in docs/examples.md).

mod common;
use common::*;

/// A cluster every example fits: three CPU node pools and two TPU v6e 4x4 slices.
const CLUSTER: &str = "cluster:
  nodePools:
  - {name: cpu, count: 3, nodesPerPool: 4, capacity: {cpu: 32, memory: 128Gi}}
  - name: tpu-v6e
    count: 2
    nodesPerPool: 4
    labels: {cloud.google.com/gke-tpu-accelerator: tpu-v6e-slice, cloud.google.com/gke-tpu-topology: 4x4}
    capacity: {cpu: 180, memory: 720Gi, google.com/tpu: 4}
";

struct Case {
    path: &'static str,
    gates: &'static str,
    /// YAML for `pods:` (indented under it).
    pods: &'static str,
    until: &'static str,
    state: Option<&'static str>,
    reason: Option<&'static str>,
    /// Global restarts expected; None = "many" (at least 5).
    restarts: Option<i64>,
}

const RUN_2M: &str = "{runFor: 2m}";
const LEADER_FAILS: &str =
    "{runFor: 1000s, exits: [{replicatedJob: leader, podIndex: 0, after: 10s, exitCode: 1}]}";

fn case(
    path: &'static str,
    state: Option<&'static str>,
    reason: Option<&'static str>,
    restarts: Option<i64>,
) -> Case {
    Case {
        path,
        gates: "",
        pods: RUN_2M,
        until: "3h",
        state,
        reason,
        restarts,
    }
}

const DONE: Option<&str> = Some("Completed");
const ALL: Option<&str> = Some("AllJobsCompleted");

fn cases() -> Vec<Case> {
    vec![
        case("simple/paralleljobs.yaml", DONE, ALL, Some(0)),
        case("simple/success-policy.yaml", DONE, ALL, Some(0)),
        Case {
            pods: LEADER_FAILS,
            ..case("simple/failure-policy.yaml", Some("Failed"), Some("ReachedMaxRestarts"), Some(3))
        },
        case("simple/exclusive-placement.yaml", DONE, ALL, Some(0)),
        case("simple/coordinator.yaml", DONE, ALL, Some(0)),
        case("simple/group.yaml", DONE, ALL, Some(0)),
        case("simple/jobset-with-network.yaml", DONE, ALL, Some(0)),
        case("simple/ttl-after-finished.yaml", DONE, ALL, Some(0)),
        case("startup-policy/startup-driver-ready.yaml", DONE, ALL, Some(0)),
        case("depends-on/depends-on.yaml", DONE, ALL, Some(0)),
        case("depends-on/multiple-depends-on.yaml", DONE, ALL, Some(0)),
        case("volume-claim-policy/single-pvc.yaml", DONE, ALL, Some(0)),
        Case {
            pods: LEADER_FAILS,
            ..case("failure-policy/failjobset-action.yaml", Some("Failed"), Some("FailJobSetFailurePolicyAction"), Some(0))
        },
        Case {
            pods: LEADER_FAILS,
            ..case("failure-policy/restartjobset-action.yaml", Some("Failed"), Some("ReachedMaxRestarts"), Some(3))
        },
        Case {
            pods: LEADER_FAILS,
            until: "15m",
            ..case("failure-policy/restartjobsetandignoremaxrestarts-action.yaml", None, None, None)
        },
        Case {
            pods: LEADER_FAILS,
            until: "15m",
            ..case("failure-policy/onjobfailurereasons-present.yaml", None, None, None)
        },
        Case {
            pods: LEADER_FAILS,
            until: "15m",
            ..case("failure-policy/onjobfailurereasons-present-podfailurepolicy.yaml", None, None, None)
        },
        Case {
            pods: LEADER_FAILS,
            ..case("failure-policy/host-maintenance-event-model.yaml", Some("Failed"), Some("ReachedMaxRestarts"), Some(0))
        },
        Case {
            gates: "featureGates: {RestartJob: true}\n",
            pods: "{runFor: 5m, exits: [{replicatedJob: rj-worker, podIndex: 0, jobAttempt: 0, after: 1m, exitCode: 1}]}",
            ..case("failure-policy/restartjob-action.yaml", DONE, ALL, Some(0))
        },
        Case {
            gates: "featureGates: {RestartJob: true}\n",
            pods: "{runFor: 5m, exits: [{replicatedJob: rj-leader, podIndex: 0, attempt: 0, after: 1m, exitCode: 1}]}",
            ..case("failure-policy/restartjobandignoremaxrestarts-action.yaml", DONE, ALL, Some(1))
        },
        Case {
            gates: "featureGates: {InPlaceRestart: true}\n",
            ..case("in-place-restart/jobset-main-container-mode.yaml", DONE, ALL, Some(0))
        },
        Case {
            gates: "featureGates: {InPlaceRestart: true}\n",
            ..case("in-place-restart/jobset-sidecar-container-mode.yaml", DONE, ALL, Some(0))
        },
        case("tpu-multislice/v6e-jax-workload.yaml", DONE, ALL, Some(0)),
        case("pytorch/cnn-mnist/mnist.yaml", DONE, ALL, Some(0)),
        case("pytorch/resnet-cifar10/resnet.yaml", DONE, ALL, Some(0)),
        case("tensorflow/mnist.yaml", DONE, ALL, Some(0)),
        // An empty spec: no replicated job, so no Job can ever succeed (§11.4).
        Case {
            until: "10m",
            ..case("config-samples/batch_v1alpha2_jobset.yaml", None, None, Some(0))
        },
    ]
}

#[test]
fn every_upstream_example_simulates_to_its_documented_outcome() {
    let Some(root) =
        upstream_examples("every_upstream_example_simulates_to_its_documented_outcome")
    else {
        return;
    };
    let dir = scratch("upstream_examples");
    let mut failures = vec![];
    for (i, c) in cases().iter().enumerate() {
        let manifest = root.join(c.path);
        let scenario = format!(
            "name: example-{i}\nrun: {{seed: 5, until: {}}}\n{}{CLUSTER}workloads:\n- manifest: {}\n  pods: {}\n",
            c.until,
            c.gates,
            manifest.display(),
            c.pods
        );
        let p = write(&dir, &format!("s{i}.yaml"), &scenario);
        let out = run(&["run", p.to_str().unwrap(), "--json"]);
        if out.status.code() != Some(0) {
            failures.push(format!(
                "{}: exit {:?}: {}",
                c.path,
                out.status.code(),
                stderr(&out)
            ));
            continue;
        }
        assert!(
            !stderr(&out).contains("warning"),
            "{}: {}",
            c.path,
            stderr(&out)
        );
        let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let j = &s["jobsets"][0];
        let restarts = j["restarts"].as_i64().unwrap();
        let restarts_ok = match c.restarts {
            Some(n) => restarts == n,
            None => restarts >= 5,
        };
        if j["terminal_state"].as_str() != c.state
            || j["terminal_reason"].as_str() != c.reason
            || !restarts_ok
        {
            failures.push(format!(
                "{}: got {} {} restarts {restarts}",
                c.path, j["terminal_state"], j["terminal_reason"]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_jobset_example_is_covered() {
    // A new upstream example must get a row in the table above and in docs/examples.md.
    let Some(root) = upstream_examples("every_jobset_example_is_covered") else {
        return;
    };
    let covered: Vec<&str> = cases().iter().map(|c| c.path).collect();
    let mut missing = vec![];
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                let text = std::fs::read_to_string(&p).unwrap();
                let rel = p.strip_prefix(&root).unwrap().to_str().unwrap().to_string();
                if text.contains("kind: JobSet") && !covered.contains(&rel.as_str()) {
                    missing.push(rel);
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "examples without an expected outcome: {missing:?}"
    );
    let doc = std::fs::read_to_string(repo().join("docs/examples.md")).unwrap();
    for c in cases() {
        assert!(doc.contains(c.path), "docs/examples.md lacks {}", c.path);
    }
}

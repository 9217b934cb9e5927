//! A hard node failure takes the real path (calibration §7.2): lease goes stale, NotReady after
//! the grace period, `unreachable` taints, eviction after the toleration with DisruptionTarget,
//! the Job fails, the JobSet restarts elsewhere.

use super::common::*;
use jobset_sim::scenario::load_scenario;
use jobset_sim::sim::Sim;

fn scenario(test: &str, pod_spec_extra: &str, job_extra: &str) -> Sim {
    let dir = scratch(test);
    let text = format!(
        "name: {test}
run: {{seed: 1, until: 3h}}
cluster:
  nodePools:
  - {{name: cpu, nodesPerPool: 4, capacity: {{cpu: 32, memory: 128Gi}}}}
faults:
- {{kind: scripted, at: 10m, node: cpu-1}}
workloads:
- pods: {{runFor: 1h}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: train}}
    spec:
      failurePolicy: {{maxRestarts: 2}}
      replicatedJobs:
      - name: w
        replicas: 2
        template:
          spec: {{parallelism: 2, completions: 2, backoffLimit: 0{job_extra}, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 20}}}}}}]{pod_spec_extra}}}}}}}
"
    );
    let p = write(&dir, "s.yaml", &text);
    simulate_scenario(load_scenario(&p).unwrap())
}

fn evicted_at(sim: &Sim) -> f64 {
    sim.rec
        .rows
        .iter()
        .find(|r| r.reason == "DeletionByTaintManager")
        .map(|r| r.time_ns as f64 / 1e9)
        .expect("a pod was evicted")
}

#[test]
fn node_failure_evicts_after_grace_and_toleration_and_the_jobset_restarts() {
    // Walks removed pods after the run.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    let sim = scenario("node_failure_default", "", "");
    let node = sim.cluster.node_by_name("cpu-1").unwrap();
    let n = &sim.cluster.node(node);
    assert!(n.failed && !n.ready);
    // Lease renewed at 600 s; NotReady at the first 5 s tick past 650 s; evicted 300 s later.
    assert_eq!(n.changed_at_ns, 655_000_000_000);
    assert!(
        (evicted_at(&sim) - 955.0).abs() < 0.001,
        "{}",
        evicted_at(&sim)
    );
    let js = &sim.store.jobsets[0];
    assert_eq!(js.status.restarts, 1);
    assert_eq!(js.status.terminal_state.as_deref(), Some("Completed"));
    let failed = first_failed_condition(&sim);
    assert_eq!(failed.reason, "BackoffLimitExceeded");
    // Nothing was bound to the dead node once it was NotReady.
    for row in sim
        .rec
        .rows
        .iter()
        .filter(|r| r.state == "Scheduled" && r.node == Some(node))
    {
        assert!(row.time_ns < n.changed_at_ns);
    }
    // The evicted pod carries DisruptionTarget and was force-deleted by PodGC 40 s later.
    let pod = sim.pods.iter().find(|p| p.disruption_target).unwrap();
    assert!(pod.removed);
}

#[test]
fn a_shorter_toleration_evicts_sooner() {
    let sim = scenario(
        "node_failure_toleration",
        ", tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]",
        "",
    );
    assert!(
        (evicted_at(&sim) - 685.0).abs() < 0.001,
        "{}",
        evicted_at(&sim)
    );
}

#[test]
fn pod_failure_policy_sees_the_disruption() {
    // podFailurePolicy on DisruptionTarget (upstream host-maintenance-event-model.yaml's idea):
    // with podReplacementPolicy Failed the Job waits for PodGC to mark the pod Failed, then
    // fails with reason PodFailurePolicy.
    let sim = scenario(
        "node_failure_pfp",
        ", restartPolicy: Never",
        ", podFailurePolicy: {rules: [{action: FailJob, onPodConditions: [{type: DisruptionTarget}]}]}",
    );
    let failed = first_failed_condition(&sim);
    assert_eq!(failed.reason, "PodFailurePolicy");
    assert!(
        failed
            .message
            .contains("has condition DisruptionTarget matching FailJob rule at index 0"),
        "{}",
        failed.message
    );
    // Counted only once PodGC removed the orphan (955 s + 40 s), not at eviction.
    assert!(failed.time_ns as f64 / 1e9 >= 995.0, "{}", failed.time_ns);
}

/// A container that never exited shows no exit code: the pod evicted from the dead node was
/// to exit 42 at 1 h, but died at about 16 min, so a podFailurePolicy rule on exit code 42 does
/// not match it (the Job controller reads the container's terminated state, which it never
/// reached) and the failure counts against backoffLimit instead.
#[test]
fn an_exit_that_never_happened_matches_no_exit_code_rule() {
    let dir = scratch("node_failure_unexited");
    let text = "name: unexited
run: {seed: 1, until: 3h}
cluster:
  nodePools:
  - {name: cpu, nodesPerPool: 4, capacity: {cpu: 32, memory: 128Gi}}
faults:
- {kind: scripted, at: 10m, node: cpu-1}
workloads:
- pods: {runFor: 2h, exits: [{after: 1h, exitCode: 42}]}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: train}
    spec:
      failurePolicy: {maxRestarts: 2}
      replicatedJobs:
      - name: w
        replicas: 2
        template:
          spec: {parallelism: 2, completions: 2, backoffLimit: 0, podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}, template: {spec: {restartPolicy: Never, containers: [{name: c, resources: {requests: {cpu: 20}}}]}}}
";
    let p = write(&dir, "s.yaml", text);
    let sim = simulate_scenario(load_scenario(&p).unwrap());
    let first_failure = sim
        .store
        .jobs
        .iter()
        .filter_map(|j| j.condition("Failed"))
        .min_by_key(|c| c.time_ns)
        .expect("the evicted pod's Job failed");
    assert!(
        first_failure.time_ns < 3_600 * 1_000_000_000,
        "the eviction, not the scripted exit: {first_failure:?}"
    );
    assert_eq!(
        first_failure.reason, "BackoffLimitExceeded",
        "{first_failure:?}"
    );
    // The pods that did run to their scripted exit match the rule as before.
    assert!(
        sim.store
            .jobs
            .iter()
            .filter_map(|j| j.condition("Failed"))
            .any(|c| c.reason == "PodFailurePolicy" && c.message.contains("exit code 42")),
        "a later attempt exits 42 and fails by the rule"
    );
}

//! End-to-end conformance with upstream JobSet behaviour. Each test names the upstream test or
//! documented behaviour it mirrors (kubernetes-sigs/jobset v0.12.0; spec sections refer to
//! ../shared/spec/jobset-semantics.md). The JobSet goes through the whole simulated chain:
//! JobSet controller, Job controller, scheduler, kubelet, garbage collector.

use super::common::*;
use jobset_sim::metrics::status_log::Subject;
use jobset_sim::scenario::load_scenario;
use jobset_sim::sim::objects::JobSetObj;
use jobset_sim::sim::Sim;

/// Upstream's integration fixture `testJobSet`: replicated-job-a (1 Job) and replicated-job-b
/// (3 Jobs), one pod each, backoffLimit 0, restartPolicy Never. `{policy}` is replaced by
/// whatever the test puts under `spec:` besides replicatedJobs.
const FIXTURE: &str = r#"apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: test-js}
spec:
{policy}
  replicatedJobs:
  - name: replicated-job-a
    replicas: 1
    template:
      spec: {parallelism: 1, completions: 1, backoffLimit: 0, template: {spec: {restartPolicy: Never, containers: [{name: c}]}}}
  - name: replicated-job-b
    replicas: 3
    template:
      spec: {parallelism: 1, completions: 1, backoffLimit: 0, template: {spec: {restartPolicy: Never, containers: [{name: c}]}}}
"#;

/// Writes the manifest and a scenario around it, runs it, returns the finished simulation.
fn simulate(test: &str, manifest: &str, pods: &str, extra: &str) -> Sim {
    let dir = scratch(test);
    write(&dir, "m.yaml", manifest);
    let scenario = format!(
        "name: {test}\nrun: {{seed: 3, until: 2h}}\n{extra}\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 8, capacity: {{cpu: 64, memory: 256Gi}}}}\nworkloads:\n- manifest: m.yaml\n  pods:\n{pods}\n"
    );
    let path = write(&dir, "s.yaml", &scenario);
    let scenario = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    simulate_scenario(scenario)
}

fn fixture(policy: &str) -> String {
    FIXTURE.replace("{policy}", policy)
}

/// An upstream example's text; None (the test skips, saying so) when the examples are absent.
fn upstream(test: &str, path: &str) -> Option<String> {
    let root = upstream_examples(test)?;
    Some(std::fs::read_to_string(root.join(path)).unwrap())
}

/// Runs an unmodified upstream example on four 32-cpu nodes: `head` holds the scenario lines
/// before `cluster:` (run, featureGates), `pods` the workload lines after its manifest.
fn upstream_sim(test: &str, example: &str, head: &str, pods: &str) -> Option<Sim> {
    let manifest = upstream(test, example)?;
    let dir = scratch(test);
    write(&dir, "m.yaml", &manifest);
    let p = write(
        &dir,
        "s.yaml",
        &format!("name: s\n{head}cluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 4, capacity: {{cpu: 32, memory: 64Gi}}}}\nworkloads:\n- manifest: m.yaml\n{pods}"),
    );
    Some(simulate_scenario(
        load_scenario(&p).unwrap_or_else(|e| panic!("{e}")),
    ))
}

/// The first Job whose name contains `part`, with its id.
fn job_named<'s>(sim: &'s Sim, part: &str) -> (u32, &'s crate::sim::objects::JobObj) {
    let (j, job) = (sim.store.jobs.iter().enumerate())
        .find(|(_, j)| j.name.contains(part))
        .unwrap_or_else(|| panic!("no Job named like {part:?}"));
    (j as u32, job)
}

fn js(sim: &Sim) -> &JobSetObj {
    &sim.store.jobsets[0]
}

fn terminal(sim: &Sim) -> (Option<&str>, Option<&str>) {
    let s = &js(sim).status;
    let state = s.terminal_state.as_deref();
    let reason = state
        .and_then(|t| s.condition(t))
        .map(|c| c.reason.as_str());
    (state, reason)
}

/// Jobs created per restart attempt, `(attempt, count)`.
fn jobs_per_attempt(sim: &Sim) -> Vec<(i32, usize)> {
    let mut m = std::collections::BTreeMap::new();
    for j in &sim.store.jobs {
        *m.entry(j.restart_attempt).or_insert(0) += 1;
    }
    m.into_iter().collect()
}

#[test]
fn all_jobs_complete_then_jobset_completes() {
    // Integration: "jobset should succeed after all jobs succeed" (success policy All default).
    let sim = simulate("all_complete", &fixture(""), "    runFor: 30s", "");
    assert_eq!(
        terminal(&sim),
        (Some("Completed"), Some("AllJobsCompleted"))
    );
    let c = js(&sim).status.condition("Completed").unwrap();
    assert_eq!(c.message, "jobset completed successfully");
    assert_eq!(sim.store.jobs.len(), 4);
    assert!(
        js(&sim).status.condition("RestartingJobSet").is_none(),
        "never added as False (§1.11 rule 4)"
    );
}

#[test]
fn no_failure_policy_fails_on_first_job_failure() {
    // §4.1 / integration "jobset fails when a job fails and there is no failure policy".
    let sim = simulate(
        "no_policy",
        &fixture(""),
        "    runFor: 10m\n    exits: [{replicatedJob: replicated-job-b, jobIndex: 1, after: 30s, exitCode: 1}]",
        "",
    );
    assert_eq!(terminal(&sim), (Some("Failed"), Some("FailedJobs")));
    assert_eq!(
        js(&sim).status.condition("Failed").unwrap().message,
        "jobset failed due to one or more job failures (first failed job: test-js-replicated-job-b-1)"
    );
    assert_eq!(js(&sim).status.restarts, 0);
}

#[test]
fn fails_after_reaching_max_restarts() {
    // §9.2 #11, integration "jobset fails after reaching max restarts": maxRestarts 1, the first
    // failure restarts, a failure in the next attempt fails the JobSet.
    let sim = simulate(
        "max_restarts",
        &fixture("  failurePolicy: {maxRestarts: 1}"),
        "    runFor: 10m\n    exits: [{replicatedJob: replicated-job-a, after: 30s, exitCode: 1}]",
        "",
    );
    assert_eq!(terminal(&sim), (Some("Failed"), Some("ReachedMaxRestarts")));
    let s = &js(&sim).status;
    assert_eq!((s.restarts, s.restarts_count_towards_max), (1, 1));
    assert_eq!(
        jobs_per_attempt(&sim),
        vec![(0, 4), (1, 4)],
        "every Job was recreated once"
    );
    assert_eq!(
        s.condition("Failed").unwrap().message,
        "jobset failed due to reaching max number of restarts (first failed job: test-js-replicated-job-a-0)"
    );
    let r = s.condition("RestartingJobSet").unwrap();
    assert!(
        !r.status,
        "RestartingJobSet flips to False when the JobSet fails"
    );
    assert_eq!(r.reason, "JobSetFailed");
}

#[test]
fn failure_outranks_success_in_the_same_pass() {
    // §9.2 #12, integration "job succeeds after one failure": job a succeeds while a job of b
    // fails at the same moment -> restart; the new attempt completes.
    let sim = simulate(
        "failure_beats_success",
        &fixture("  failurePolicy: {maxRestarts: 1}"),
        "    runFor: 30s\n    exits: [{replicatedJob: replicated-job-b, jobIndex: 0, attempt: 0, after: 29999999999ns, exitCode: 1}]",
        "",
    );
    assert_eq!(
        terminal(&sim),
        (Some("Completed"), Some("AllJobsCompleted"))
    );
    assert_eq!(js(&sim).status.restarts, 1);
    // Jobs of attempt 0 that had already succeeded were deleted and recreated too (§11.12).
    assert_eq!(jobs_per_attempt(&sim), vec![(0, 4), (1, 4)]);
}

#[test]
fn first_matching_rule_decides_end_to_end() {
    // §9.2 #10, integration "failure policy rules order verification test 3": failures of
    // replicated-job-a with MaxFailedIndexesExceeded restart without counting; a failure of
    // replicated-job-b (other reason) hits the catch-all FailJobSet rule.
    let manifest = FIXTURE
        .replace(
            "{policy}",
            "  failurePolicy:\n    maxRestarts: 1\n    rules:\n    - {action: RestartJobSetAndIgnoreMaxRestarts, onJobFailureReasons: [MaxFailedIndexesExceeded], targetReplicatedJobs: [replicated-job-a]}\n    - {action: FailJobSet}",
        )
        .replacen(
            "spec: {parallelism: 1, completions: 1, backoffLimit: 0,",
            "spec: {parallelism: 1, completions: 1, backoffLimitPerIndex: 0, maxFailedIndexes: 0,",
            1,
        );
    let sim = simulate(
        "rule_order",
        &manifest,
        "    runFor: 10m\n    exits:\n    - {replicatedJob: replicated-job-a, attempt: 0, after: 20s, exitCode: 1}\n    - {replicatedJob: replicated-job-a, attempt: 1, after: 20s, exitCode: 1}\n    - {replicatedJob: replicated-job-a, attempt: 2, after: 20s, exitCode: 1}\n    - {replicatedJob: replicated-job-b, jobIndex: 2, attempt: 3, after: 20s, exitCode: 1}",
        "",
    );
    let s = &js(&sim).status;
    assert_eq!(
        terminal(&sim),
        (Some("Failed"), Some("FailJobSetFailurePolicyAction"))
    );
    assert_eq!((s.restarts, s.restarts_count_towards_max), (3, 0));
    assert_eq!(
        s.condition("Failed").unwrap().message,
        "applying FailJobSet failure policy action (first failed job: test-js-replicated-job-b-2)"
    );
    assert_eq!(
        s.condition("RestartingJobSet").unwrap().reason,
        "JobSetFailed"
    );
    let a_failures: Vec<_> = sim
        .store
        .jobs
        .iter()
        .filter(|j| j.name == "test-js-replicated-job-a-0")
        .filter_map(|j| j.condition("Failed").map(|c| c.reason.clone()))
        .collect();
    assert_eq!(a_failures, vec!["MaxFailedIndexesExceeded"; 3]);
}

#[test]
fn restarting_condition_names_the_rule() {
    // TestApplyFailurePolicyRuleAction end to end: reason FailurePolicy_<rule>, then JobsReady.
    let sim = simulate(
        "restarting_condition",
        &fixture("  failurePolicy:\n    maxRestarts: 3\n    rules: [{name: restartOnB, action: RestartJobSet, targetReplicatedJobs: [replicated-job-b]}]"),
        "    runFor: 5m\n    exits: [{replicatedJob: replicated-job-b, jobIndex: 0, attempt: 0, after: 30s, exitCode: 1}]",
        "",
    );
    assert_eq!(
        terminal(&sim),
        (Some("Completed"), Some("AllJobsCompleted"))
    );
    let s = &js(&sim).status;
    assert_eq!((s.restarts, s.restarts_count_towards_max), (1, 1));
    let r = s.condition("RestartingJobSet").unwrap();
    assert!(!r.status);
    // It went True (FailurePolicy_restartOnB) -> False (JobsReady) -> False (JobSetCompleted):
    // the same status keeps its transition time, only the reason changes.
    assert_eq!(r.reason, "JobSetCompleted");
}

#[test]
fn recreate_replaces_each_job_as_soon_as_it_is_gone() {
    // §3.7 / §9.2 #13 "jobs are restarted individually with Recreate strategy": a Job whose old
    // incarnation is gone is recreated while others are still terminating.
    let (recreate_overlap, _) = restart_overlap("Recreate");
    assert!(
        recreate_overlap,
        "Recreate: a new Job exists while an old one is still being deleted"
    );
}

#[test]
fn blocking_recreate_waits_for_every_old_job() {
    // §3.7 / §9.2 #13: BlockingRecreate creates nothing while any previous Job exists, then all.
    let (overlap, same_pass) = restart_overlap("BlockingRecreate");
    assert!(
        !overlap,
        "BlockingRecreate: no new Job before the last old one is gone"
    );
    assert!(
        same_pass,
        "all Jobs of the new attempt are created in one pass"
    );
}

/// Job b-2's pods take 60 s to stop (grace period 60 s), the others 1 s. Returns whether a Job
/// of attempt 1 was created before the last Job of attempt 0 was removed, and whether all
/// attempt-1 Jobs were created at the same instant.
fn restart_overlap(strategy: &str) -> (bool, bool) {
    let manifest = fixture(&format!("  failurePolicy: {{maxRestarts: 1, restartStrategy: {strategy}}}"))
        .replace(
            "  - name: replicated-job-b\n    replicas: 3",
            "  - name: replicated-job-c\n    replicas: 1\n    template:\n      spec: {parallelism: 1, completions: 1, backoffLimit: 0, template: {spec: {restartPolicy: Never, terminationGracePeriodSeconds: 60, containers: [{name: c}]}}}\n  - name: replicated-job-b\n    replicas: 3",
        );
    let sim = simulate(
        &format!("overlap_{strategy}"),
        &manifest,
        "    runFor: 10m\n    exits: [{replicatedJob: replicated-job-a, attempt: 0, after: 30s, exitCode: 1}]",
        "controlPlane: {kubelet: {podStopLatency: 90s}}",
    );
    assert_eq!(js(&sim).status.restarts, 1);
    let last_old_removed = sim
        .store
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.restart_attempt == 0)
        .map(|(id, _)| {
            sim.rec
                .job_removed_ns(id as crate::sim::objects::JobId)
                .expect("old jobs are gone")
        })
        .max()
        .unwrap();
    let new: Vec<u64> = sim
        .store
        .jobs
        .iter()
        .filter(|j| j.restart_attempt == 1)
        .map(|j| j.created_at_ns)
        .collect();
    assert_eq!(new.len(), 5);
    let overlap = new.iter().any(|&t| t < last_old_removed);
    let same_pass = new.iter().all(|&t| t == new[0]);
    (overlap, same_pass)
}

#[test]
fn success_policy_any_with_target() {
    // §9.2 #14, integration "success policy 'any' with replicated job specified": one Job of
    // the target completes -> Completed; the others are deleted (active jobs cleanup).
    let manifest =
        fixture("  successPolicy: {operator: Any, targetReplicatedJobs: [replicated-job-b]}");
    let sim = simulate(
        "success_any_2",
        &manifest,
        "    runFor: 1h\n    exits: [{replicatedJob: replicated-job-b, jobIndex: 1, after: 1m, exitCode: 0}]",
        "",
    );
    assert_eq!(
        terminal(&sim),
        (Some("Completed"), Some("AllJobsCompleted"))
    );
    let done = sim.rec.jobset_finished_ns(0).unwrap();
    assert!(
        done < 120_000_000_000,
        "completed right after b-1, at {done} ns"
    );
}

#[test]
fn success_policy_all_with_target_ignores_other_jobs() {
    // §5.1: All with targets completes when every Job of the targets succeeded; the non-target
    // Jobs still running are deleted (upstream success-policy.yaml's leader keeps running).
    let Some(manifest) = upstream("success_all_target", "simple/success-policy.yaml") else {
        return;
    };
    let dir = scratch("success_all_target");
    write(&dir, "m.yaml", &manifest);
    let p = write(
        &dir,
        "s.yaml",
        "name: s\nrun: {until: 2h, stopWhenAllTerminal: false}\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 4, capacity: {cpu: 32, memory: 64Gi}}\nworkloads:\n- manifest: m.yaml\n  pods:\n    runFor: 100s\n    replicatedJobs:\n      leader: {runFor: 1h}\n",
    );
    let sim = simulate_scenario(load_scenario(&p).unwrap());
    assert_eq!(
        terminal(&sim),
        (Some("Completed"), Some("AllJobsCompleted"))
    );
    let done = sim.rec.jobset_finished_ns(0).unwrap() as f64 / 1e9;
    assert!(
        (100.0..110.0).contains(&done),
        "workers finish at ~100 s, the JobSet then: {done}"
    );
    let (leader, _) = job_named(&sim, "leader");
    assert!(
        !sim.store.job_exists(leader),
        "the still-active leader Job was deleted after completion"
    );
}

#[test]
fn in_order_startup_waits_for_readiness() {
    // §9.2 #15 / §5.2 with upstream startup-driver-ready.yaml: workers are created only once
    // the driver is ready (readiness probe, 30 s initial delay).
    let Some(sim) = upstream_sim(
        "in_order",
        "startup-policy/startup-driver-ready.yaml",
        "run: {until: 2h}\n",
        "  pods: {runFor: 5m}\n",
    ) else {
        return;
    };
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let (_, driver) = job_named(&sim, "driver");
    let (_, workers) = job_named(&sim, "workers");
    let gap = (workers.created_at_ns - driver.created_at_ns) as f64 / 1e9;
    assert!(
        (30.0..35.0).contains(&gap),
        "workers created {gap}s after the driver"
    );
    let s = &js(&sim).status;
    assert!(s.is_true("StartupPolicyCompleted"));
    assert!(
        !s.is_true("StartupPolicyInProgress"),
        "InProgress flipped to False"
    );
}

#[test]
fn depends_on_complete_then_ready() {
    // §5.3 with upstream depends-on.yaml: the launcher waits for the initializer to Complete;
    // the workers wait for the launcher to be Ready.
    let Some(sim) = upstream_sim(
        "depends_on",
        "depends-on/depends-on.yaml",
        "run: {until: 2h}\n",
        "  pods:\n    runFor: 2m\n    replicatedJobs:\n      initializer: {runFor: 40s}\n",
    ) else {
        return;
    };
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let created = |rj: &str| job_named(&sim, rj).1.created_at_ns as f64 / 1e9;
    let (init, launcher, workers) = (
        created("initializer"),
        created("launcher"),
        created("worker"),
    );
    assert!(
        launcher - init >= 40.0,
        "launcher after the initializer completed: {init} {launcher}"
    );
    assert!(
        workers >= launcher,
        "workers after the launcher is ready: {launcher} {workers}"
    );
}

#[test]
fn pod_failure_policy_reason_reaches_the_jobset_rule() {
    // Upstream onjobfailurereasons-present-podfailurepolicy.yaml: the leader's exit 1 matches
    // the Job's podFailurePolicy FailJob rule, the Job fails with reason PodFailurePolicy, and
    // the JobSet rule restarts it without counting (unlimited).
    let Some(sim) = upstream_sim("pfp", "failure-policy/onjobfailurereasons-present-podfailurepolicy.yaml", "run: {until: 10m}\n", "  pods:\n    runFor: 1000s\n    exits: [{replicatedJob: leader, podIndex: 0, after: 10s, exitCode: 1, container: leader}]\n") else {
        return;
    };
    let s = &js(&sim).status;
    assert_eq!(terminal(&sim).0, None, "restarts never run out");
    assert!(s.restarts >= 5, "restarts: {}", s.restarts);
    assert_eq!(s.restarts_count_towards_max, 0);
    let failed = first_failed_condition(&sim);
    assert_eq!(failed.reason, "PodFailurePolicy");
    assert!(
        failed.message.starts_with("Container leader for pod default/onjobfailurereasons-podfailurepolicy-example-leader-0-0-")
            && failed.message.ends_with(" failed with exit code 1 matching FailJob rule at index 0"),
        "{}",
        failed.message
    );
}

#[test]
fn restart_job_recreates_only_the_failed_job() {
    // §3.7 per-Job restart, upstream restartjob-action.yaml with the RestartJob gate: a worker
    // Job fails, only it is recreated; the global restart counter stays 0.
    let Some(sim) = upstream_sim("restart_job", "failure-policy/restartjob-action.yaml", "run: {until: 1h}\nfeatureGates: {RestartJob: true}\n", "  pods:\n    runFor: 5m\n    exits: [{replicatedJob: rj-worker, podIndex: 1, jobAttempt: 0, after: 1m, exitCode: 1}]\n") else {
        return;
    };
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let s = &js(&sim).status;
    assert_eq!((s.restarts, s.restarts_count_towards_max), (0, 0));
    let worker = s
        .replicated_jobs
        .iter()
        .find(|r| r.name == "rj-worker")
        .unwrap();
    assert_eq!(worker.job_restarts, Some(vec![1]));
    assert_eq!(worker.job_restarts_count_towards_max, Some(vec![1]));
    assert!(
        s.condition("RestartingJobSet").is_none(),
        "per-Job restarts set no condition"
    );
    let labels: Vec<_> = (0..sim.store.jobs.len())
        .map(|j| sim.job_metadata(j as u32).labels)
        .collect();
    let names: Vec<(&str, &str)> = (sim.store.jobs.iter().zip(&labels))
        .map(|(j, l)| {
            (
                j.name.as_str(),
                l.get("jobset.sigs.k8s.io/job-restart-attempt")
                    .map(|s| s.as_str())
                    .unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("js-rj-leader-0", "0"),
            ("js-rj-worker-0", "0"),
            ("js-rj-worker-0", "1")
        ]
    );
}

#[test]
fn active_deadline_fails_the_job() {
    // §7.1: activeDeadlineSeconds -> DeadlineExceeded, the JobSet fails (no policy).
    let manifest = fixture("").replacen(
        "backoffLimit: 0,",
        "backoffLimit: 0, activeDeadlineSeconds: 60,",
        1,
    );
    let sim = simulate("deadline", &manifest, "    runFor: 10m", "");
    assert_eq!(terminal(&sim), (Some("Failed"), Some("FailedJobs")));
    let failed = first_failed_condition(&sim);
    assert_eq!(
        (failed.reason.as_str(), failed.message.as_str()),
        (
            "DeadlineExceeded",
            "Job was active longer than specified deadline"
        )
    );
    let t = sim.rec.jobset_finished_ns(0).unwrap() as f64 / 1e9;
    assert!((60.0..70.0).contains(&t), "{t}");
}

#[test]
fn on_failure_container_restarts_count_against_backoff_limit() {
    // Walks removed pods after the run.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    // §7.1 / §11.9: restartPolicy OnFailure (the JobSet default) with backoffLimit 2: the pod
    // restarts in place until the summed restart count reaches 2 -> BackoffLimitExceeded.
    let manifest = fixture("")
        .replace("backoffLimit: 0", "backoffLimit: 2")
        .replace("restartPolicy: Never, ", "");
    let sim = simulate(
        "on_failure",
        &manifest,
        "    runFor: 10m\n    exits: [{replicatedJob: replicated-job-a, after: 5s, exitCode: 3}]",
        "",
    );
    assert_eq!(terminal(&sim), (Some("Failed"), Some("FailedJobs")));
    let job = sim
        .store
        .jobs
        .iter()
        .find(|j| j.name == "test-js-replicated-job-a-0")
        .unwrap();
    assert_eq!(
        job.condition("Failed").unwrap().reason,
        "BackoffLimitExceeded"
    );
    let pod = sim.pods.iter().find(|p| p.job == 0).unwrap();
    assert_eq!(pod.restart_count, 2, "two in-place restarts, no new pod");
    assert_eq!(sim.pods.iter().filter(|p| p.job == 0).count(), 1);
}

#[test]
fn never_restart_policy_recreates_pods_with_backoff() {
    // §7.2: restartPolicy Never, backoffLimit 2: failed pods are replaced after 10 s, then 20 s;
    // the third failure exceeds the limit.
    let manifest = fixture("").replace("backoffLimit: 0", "backoffLimit: 2");
    let sim = simulate(
        "never_backoff",
        &manifest,
        "    runFor: 10m\n    exits: [{replicatedJob: replicated-job-a, after: 5s, exitCode: 1}]",
        "",
    );
    assert_eq!(terminal(&sim), (Some("Failed"), Some("FailedJobs")));
    let created: Vec<f64> = sim
        .pods
        .iter()
        .filter(|p| p.job == 0)
        .map(|p| p.created_at_ns as f64 / 1e9)
        .collect();
    assert_eq!(created.len(), 3);
    let gaps: Vec<f64> = created.windows(2).map(|w| w[1] - w[0]).collect();
    // Each gap: ~6 s to run and fail, then the 10 s / 20 s backoff.
    assert!((15.0..18.0).contains(&gaps[0]), "{gaps:?}");
    assert!((25.0..28.0).contains(&gaps[1]), "{gaps:?}");
}

#[test]
fn suspended_jobset_starts_nothing_until_resumed() {
    // §3.8 / integration "suspend a running jobset" and "resume a suspended jobset": Jobs are
    // created suspended, no pod runs; a user update resumes them.
    let manifest = fixture("  suspend: true");
    let sim = simulate(
        "suspend_resume",
        &manifest,
        "    runFor: 1m\n  updates: [{at: 5m, suspend: false}]",
        "",
    );
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let first_pod = sim.pods.iter().map(|p| p.created_at_ns).min().unwrap() as f64 / 1e9;
    assert!(
        first_pod >= 300.0,
        "no pod before the resume at 5m: {first_pod}"
    );
    assert!(
        sim.store
            .jobs
            .iter()
            .all(|j| j.created_at_ns < 1_000_000_000),
        "Jobs exist from the start, suspended"
    );
    let c = js(&sim).status.condition("Suspended").unwrap();
    assert_eq!(
        (c.status, c.reason.as_str(), c.message.as_str()),
        (false, "ResumeJobs", "jobset is resumed")
    );
}

#[test]
fn suspending_a_running_jobset_deletes_its_pods() {
    // §3.8: suspend: true on a running JobSet suspends its Jobs, whose pods are deleted.
    let sim = simulate(
        "suspend_running",
        &fixture(""),
        "    runFor: 10m\n  updates: [{at: 2m, suspend: true}, {at: 4m, suspend: false}]",
        "",
    );
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let deleted: Vec<_> = sim
        .rec
        .rows
        .iter()
        .filter(|r| r.state == "Terminating" && r.reason == "JobSuspended")
        .collect();
    assert_eq!(
        deleted.len(),
        4,
        "the four running pods were deleted on suspend"
    );
    // Work restarts from scratch after resuming: done ~10 minutes after the 4m resume.
    let done = sim.rec.jobset_finished_ns(0).unwrap() as f64 / 1e9;
    assert!((840.0..860.0).contains(&done), "{done}");
}

#[test]
fn ttl_after_finished_deletes_the_jobset() {
    // §3.9 TTL with upstream simple/ttl-after-finished.yaml (60 s): the JobSet and all its
    // Jobs are deleted 60 s after it completed.
    let Some(sim) = upstream_sim(
        "ttl",
        "simple/ttl-after-finished.yaml",
        "run: {until: 1h}\n",
        "  pods: {runFor: 30s}\n",
    ) else {
        return;
    };
    let j = js(&sim);
    assert_eq!(j.status.terminal_state.as_deref(), Some("Completed"));
    let finished = sim.rec.jobset_finished_ns(0).unwrap();
    // Upstream the deleted object is simply gone: its removal time is the status log's
    // `Deleted` row (jobsets.csv).
    let removed = (sim.rec.status_log.rows.iter())
        .find(|r| r.subject == Subject::JobSet(0) && r.change == "Deleted")
        .expect("deleted by TTL")
        .time_ns;
    let after = (removed - finished) as f64 / 1e9;
    assert!(
        (60.0..62.0).contains(&after),
        "deleted {after}s after finishing"
    );
    assert!(
        (0..sim.store.jobs.len() as u32).all(|j| !sim.store.job_exists(j)),
        "completed Jobs went with it"
    );
}

#[test]
fn managed_by_another_controller_is_ignored() {
    // §3.13: spec.managedBy other than the JobSet controller -> nothing happens at all.
    let sim = simulate(
        "managed_by",
        &fixture("  managedBy: kueue.x-k8s.io/multikueue"),
        "    runFor: 1m",
        "",
    );
    assert!(sim.store.jobs.is_empty());
    assert_eq!(terminal(&sim).0, None);
}

#[test]
fn child_jobs_carry_upstream_labels_and_annotations() {
    // TestConstructJobsFromTemplate / §3.5 / §1.12: names, labels and annotations (both), SHA-1
    // job-key, indexes, group counters, restart attempt, coordinator, exclusive annotations
    // (the replicated job's template wins over the JobSet's), subdomain, suspend.
    let manifest = r#"apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}
spec:
  coordinator: {replicatedJob: driver, jobIndex: 0, podIndex: 0}
  network: {subdomain: sub}
  replicatedJobs:
  - name: driver
    template:
      spec: {completions: 1, parallelism: 1, template: {spec: {containers: [{name: c}]}}}
  - name: workers
    groupName: group-b
    replicas: 3
    template:
      metadata:
        labels: {team: ml}
        annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: topology.kubernetes.io/rack}
      spec: {completions: 2, parallelism: 2, template: {metadata: {labels: {app: w}}, spec: {containers: [{name: c}]}}}
"#;
    let sim = simulate("construct", manifest, "    runFor: 1m", "");
    let j = sim
        .store
        .jobs
        .iter()
        .position(|j| j.name == "js-workers-2")
        .unwrap();
    let meta = sim.job_metadata(j as u32);
    let l = &meta.labels;
    let get = |k: &str| l.get(k).map(String::as_str).unwrap_or("<missing>");
    assert_eq!(get("jobset.sigs.k8s.io/jobset-name"), "js");
    assert_eq!(get("jobset.sigs.k8s.io/replicatedjob-name"), "workers");
    assert_eq!(get("jobset.sigs.k8s.io/replicatedjob-replicas"), "3");
    assert_eq!(get("jobset.sigs.k8s.io/global-replicas"), "4");
    assert_eq!(get("jobset.sigs.k8s.io/job-index"), "2");
    assert_eq!(
        get("jobset.sigs.k8s.io/job-global-index"),
        "3",
        "1 driver Job precedes"
    );
    assert_eq!(get("jobset.sigs.k8s.io/group-name"), "group-b");
    assert_eq!(get("jobset.sigs.k8s.io/group-replicas"), "3");
    assert_eq!(get("jobset.sigs.k8s.io/job-group-index"), "2");
    assert_eq!(get("jobset.sigs.k8s.io/restart-attempt"), "0");
    assert_eq!(
        get("jobset.sigs.k8s.io/job-key"),
        jobset_sim::control::jobset::job_key("default", "js-workers-2")
    );
    assert_eq!(get("jobset.sigs.k8s.io/coordinator"), "js-driver-0-0.sub");
    assert_eq!(get("team"), "ml", "template labels are kept");
    assert!(
        !l.contains_key("jobset.sigs.k8s.io/job-restart-attempt"),
        "only with the RestartJob gate"
    );
    // Each key is also an annotation, on the Job and on its pod template.
    assert_eq!(
        meta.annotations
            .get("jobset.sigs.k8s.io/job-index")
            .map(String::as_str),
        Some("2")
    );
    assert_eq!(
        meta.pod_labels
            .get("jobset.sigs.k8s.io/job-index")
            .map(String::as_str),
        Some("2")
    );
    assert_eq!(meta.pod_labels.get("app").map(String::as_str), Some("w"));
    assert_eq!(
        meta.pod_annotations
            .get("jobset.sigs.k8s.io/job-index")
            .map(String::as_str),
        Some("2")
    );
    assert_eq!(
        meta.annotations
            .get("alpha.jobset.sigs.k8s.io/exclusive-topology")
            .map(String::as_str),
        Some("topology.kubernetes.io/rack"),
        "the replicated job's annotation overrides the JobSet's"
    );
    let driver = sim
        .store
        .jobs
        .iter()
        .position(|j| j.name == "js-driver-0")
        .unwrap();
    assert_eq!(
        sim.job_metadata(driver as u32)
            .annotations
            .get("alpha.jobset.sigs.k8s.io/exclusive-topology")
            .map(String::as_str),
        Some("cloud.google.com/gke-nodepool")
    );
    let job = &sim.store.jobs[j];
    assert_eq!(job.spec.template.spec.subdomain.as_deref(), Some("sub"));
    assert!(!job.suspended, "spec.suspend is the JobSet's: false");
    assert_eq!(job.spec.completion_mode.as_deref(), Some("Indexed"));
    assert!(
        sim.store.service_created_ns(0).is_some(),
        "headless Service named after the subdomain"
    );
}

#[test]
fn node_selector_strategy_pins_jobs_to_prepared_nodes() {
    // §3.5 / §6.5: with both annotations, each Job's pods get nodeSelector
    // namespaced-job=<ns>_<job> and the no-schedule toleration; nodes are prepared out of band.
    let manifest = r#"apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  annotations:
    alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool
    alpha.jobset.sigs.k8s.io/node-selector: "true"
spec:
  replicatedJobs:
  - name: w
    replicas: 2
    template:
      spec: {completions: 2, parallelism: 2, template: {spec: {containers: [{name: c}]}}}
"#;
    let dir = scratch("node_selector_strategy");
    write(&dir, "m.yaml", manifest);
    let pools: String = (0..2)
        .map(|i| {
            format!(
                "  - name: pool{i}\n    nodesPerPool: 2\n    capacity: {{cpu: 8}}\n    labels: {{alpha.jobset.sigs.k8s.io/namespaced-job: default_js-w-{i}}}\n    taints: [{{key: alpha.jobset.sigs.k8s.io/no-schedule, value: \"true\", effect: NoSchedule}}]\n"
            )
        })
        .collect();
    let p = write(
        &dir,
        "s.yaml",
        &format!("name: s\nrun: {{until: 1h}}\ncluster:\n  nodePools:\n{pools}workloads:\n- manifest: m.yaml\n  pods: {{runFor: 1m}}\n"),
    );
    let sim = simulate_scenario(load_scenario(&p).unwrap());
    assert_eq!(terminal(&sim).0, Some("Completed"));
    for row in sim.rec.rows.iter().filter(|r| r.state == "Scheduled") {
        let pod = &sim.pods[row.pod as usize];
        let job = &sim.store.jobs[pod.job as usize];
        let node = &sim.cluster.node(row.node.unwrap()).name;
        let want_pool = if job.name.ends_with('0') {
            "pool0"
        } else {
            "pool1"
        };
        assert!(
            node.starts_with(want_pool),
            "{} ran on {node}",
            sim.pod_name(row.pod)
        );
    }
}

#[test]
fn self_dependency_passes_admission_and_never_starts() {
    // §11.3: dependsOn naming the replicated job itself passes validation (the name set is
    // filled before the check) and can never be satisfied: its Jobs are never created.
    let manifest = fixture("").replace(
        "  - name: replicated-job-b\n    replicas: 3\n",
        "  - name: replicated-job-b\n    replicas: 3\n    dependsOn: [{name: replicated-job-b, status: Ready}]\n",
    );
    let sim = simulate("self_dependency", &manifest, "    runFor: 1m", "");
    assert_eq!(terminal(&sim).0, None);
    assert!(
        sim.store
            .jobs
            .iter()
            .all(|j| j.name.contains("replicated-job-a")),
        "b never created"
    );
}

#[test]
fn in_place_restart_fails_past_max_restarts() {
    // §3.12 step 1: a container restarted more than maxRestarts (3) times fails the JobSet
    // with ReachedMaxRestarts and no "(first failed job …)" suffix.
    let Some(sim) = upstream_sim("in_place_max", "in-place-restart/jobset-main-container-mode.yaml", "run: {until: 2h}\nfeatureGates: {InPlaceRestart: true}\n", "  pods:\n    runFor: 5m\n    exits: [{replicatedJob: rj, jobIndex: 1, podIndex: 0, after: 30s, exitCode: 1}]\n") else {
        return;
    };
    assert_eq!(terminal(&sim), (Some("Failed"), Some("ReachedMaxRestarts")));
    assert_eq!(
        js(&sim).status.condition("Failed").unwrap().message,
        "jobset failed due to reaching max number of restarts"
    );
    assert_eq!(sim.pods.len(), 4, "no pod was ever recreated");
    assert_eq!(js(&sim).status.restarts, 0);
    let failing = (0..sim.pods.len() as u32)
        .find(|&p| sim.pod_name(p).starts_with("js-rj-1-0-"))
        .map(|p| &sim.pods[p as usize])
        .unwrap();
    assert_eq!(failing.restart_count, 4);
}

#[test]
fn in_place_restart_without_the_gate_is_refused() {
    // V1: restartStrategy InPlaceRestart with the gate off is rejected at admission.
    let Some(manifest) = upstream(
        "in_place_no_gate",
        "in-place-restart/jobset-main-container-mode.yaml",
    ) else {
        return;
    };
    let dir = scratch("in_place_no_gate");
    write(&dir, "m.yaml", &manifest);
    let p = write(
        &dir,
        "s.yaml",
        "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 4, capacity: {cpu: 32, memory: 64Gi}}\nworkloads:\n- manifest: m.yaml\n",
    );
    let err = load_scenario(&p).unwrap_err().to_string();
    assert!(err.contains("InPlaceRestart restart strategy cannot be set when InPlaceRestart feature gate is disabled"), "{err}");
}

/// Runs upstream exclusive-placement.yaml (3 Jobs x 3 pods, exclusive by node pool) on `pools`
/// pools of 3 nodes, with extra controlPlane settings.
fn exclusive(test: &str, pools: u32, control: &str) -> Option<Sim> {
    let manifest = upstream(test, "simple/exclusive-placement.yaml")?;
    let dir = scratch(test);
    write(&dir, "m.yaml", &manifest);
    let p = write(
        &dir,
        "s.yaml",
        &format!("name: s\nrun: {{seed: 11, until: 1h}}\ncontrolPlane: {control}\ncluster:\n  nodePools:\n  - {{name: pool, count: {pools}, nodesPerPool: 3, capacity: {{cpu: 32, memory: 64Gi}}}}\nworkloads:\n- manifest: m.yaml\n  pods: {{runFor: 5m}}\n"),
    );
    Some(simulate_scenario(load_scenario(&p).unwrap()))
}

/// Node pool of every bound pod, per Job name.
fn pools_per_job(
    sim: &Sim,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut m: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for row in sim.rec.rows.iter().filter(|r| r.state == "Scheduled") {
        let pod = &sim.pods[row.pod as usize];
        let node = row.node.unwrap();
        let pool = sim
            .cluster
            .label_value(node, "cloud.google.com/gke-nodepool")
            .unwrap()
            .to_string();
        m.entry(sim.store.jobs[pod.job as usize].name.clone())
            .or_default()
            .insert(pool);
    }
    m
}

#[test]
fn exclusive_placement_puts_one_job_per_node_pool() {
    // §6.2: the leader's anti-affinity keeps other Jobs out of its pool, followers follow it
    // through the nodeSelector the webhook gives them.
    let Some(sim) = exclusive("exclusive_one_per_pool", 5, "{}") else {
        return;
    };
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let m = pools_per_job(&sim);
    assert_eq!(m.len(), 3);
    let all: std::collections::BTreeSet<&String> = m.values().flatten().collect();
    assert_eq!(all.len(), 3, "three distinct pools: {m:?}");
    assert!(
        m.values().all(|p| p.len() == 1),
        "every Job inside one pool: {m:?}"
    );
    // Followers were tried before their leader had a node and denied (#482).
    assert!(sim.rec.pod_creates_rejected > 0);
    for job in &sim.store.jobs {
        let bound = |idx: u32| {
            sim.rec
                .rows
                .iter()
                .find(|r| {
                    r.state == "Scheduled"
                        && sim.pods[r.pod as usize].job as usize == job_index(&sim, &job.name)
                        && sim.pods[r.pod as usize].index == idx
                })
                .map(|r| r.time_ns)
                .unwrap()
        };
        let created = |idx: u32| {
            (0..sim.pods.len() as u32)
                .find(|&p| sim.pod_name(p).starts_with(&format!("{}-{idx}-", job.name)))
                .map(|p| sim.pods[p as usize].created_at_ns)
                .unwrap()
        };
        assert!(
            created(1) > bound(0),
            "{}: follower created after the leader was bound",
            job.name
        );
    }
}

fn job_index(sim: &Sim, name: &str) -> usize {
    sim.store.jobs.iter().position(|j| j.name == name).unwrap()
}

#[test]
fn exclusive_placement_leaves_extra_jobs_pending() {
    // Two pools for three Jobs: the third leader is unschedulable by its anti-affinity until
    // a pool frees up.
    let Some(sim) = exclusive("exclusive_two_pools", 2, "{}") else {
        return;
    };
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let waits: Vec<&str> = sim
        .rec
        .rows
        .iter()
        .filter(|r| r.state == "Unschedulable")
        .map(|r| r.reason.as_str())
        .collect();
    assert!(
        waits.iter().any(
            |w| w.contains("node(s) didn't match pod anti-affinity rules")
                || w.contains("existing pods anti-affinity")
        ),
        "{waits:?}"
    );
    let m = pools_per_job(&sim);
    assert!(m.values().all(|p| p.len() == 1), "{m:?}");
    // The third Job ran after one of the first two finished (5 minutes).
    let done = sim.rec.jobset_finished_ns(0).unwrap() as f64 / 1e9;
    assert!(done > 600.0, "{done}");
}

#[test]
fn pre_v030_design_is_exclusive_too() {
    // jobset issue #174's design: every pod has both terms; still one Job per pool, and no
    // follower gating.
    let Some(sim) = exclusive(
        "exclusive_all_pods",
        5,
        "{jobsetController: {exclusivePlacement: allPods}}",
    ) else {
        return;
    };
    assert_eq!(terminal(&sim).0, Some("Completed"));
    let m = pools_per_job(&sim);
    assert!(m.values().all(|p| p.len() == 1), "{m:?}");
    let all: std::collections::BTreeSet<&String> = m.values().flatten().collect();
    assert_eq!(all.len(), 3);
    assert_eq!(sim.rec.pod_creates_rejected, 0);
}

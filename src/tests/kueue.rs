//! Kueue end to end (docs/kueue.md): JobSets queued as Workloads, admitted by quota, started
//! with their flavors, evicted on the PodsReady timeout and requeued after their back-off.

use super::common::*;
use crate::engine::time::NS_PER_S;
use crate::kueue::workload::{WlState, Workload};
use crate::sim::Sim;

/// A JobSet of one Job with `pods` pods of `cpu` cpu each, queued to `queue`, submitted at
/// `at` and running `run_for` (flow-style workload entry).
fn jobset(name: &str, queue: &str, pods: u32, cpu: u32, at: &str, run_for: &str) -> String {
    format!(
        "- at: {at}\n  pods: {{runFor: {run_for}}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: {name}, labels: {{kueue.x-k8s.io/queue-name: {queue}}}}}\n    spec:\n      replicatedJobs:\n      - name: workers\n        template:\n          spec:\n            parallelism: {pods}\n            completions: {pods}\n            template:\n              spec:\n                restartPolicy: Never\n                containers: [{{name: main, image: busybox, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]\n"
    )
}

/// A ClusterQueue `name` with `cpu` nominal cpu of flavor `default` (and `extra` spec keys,
/// flow style), with a LocalQueue of the same name in `default`.
fn queue(name: &str, cpu: u32, extra: &str) -> String {
    format!(
        "  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: ClusterQueue, metadata: {{name: {name}}}, spec: {{namespaceSelector: {{}}, resourceGroups: [{{coveredResources: [cpu], flavors: [{{name: default, resources: [{{name: cpu, nominalQuota: {cpu}}}]}}]}}]{extra}}}}}\n  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {{namespace: default, name: {name}}}, spec: {{clusterQueue: {name}}}}}\n"
    )
}

fn scenario(nodes: u32, queues: &str, config: &str, workloads: &[String]) -> String {
    format!(
        "name: kueue-test\nrun: {{seed: 3, until: 6h}}\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: {nodes}, capacity: {{cpu: 8, memory: 32Gi}}}}\nkueue:\n  configuration: {{{config}}}\n  objects:\n  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: ResourceFlavor, metadata: {{name: default}}}}\n{queues}workloads:\n{}",
        workloads.concat()
    )
}

fn run(text: &str) -> Sim {
    let scenario = crate::scenario::load_scenario_from_str("k.yaml", text, ".".as_ref())
        .unwrap_or_else(|e| panic!("{e:?}"));
    simulate_scenario(scenario)
}

fn workload<'a>(sim: &'a Sim, jobset: &str) -> &'a Workload {
    let k: &crate::kueue::controller::KueueController = &sim.kueue;
    k.workloads()
        .iter()
        .find(|w| sim.store.jobsets[w.js as usize].name == jobset)
        .expect("a Workload per managed JobSet")
}

fn secs(ns: Option<u64>) -> f64 {
    ns.expect("happened") as f64 / NS_PER_S as f64
}

#[test]
fn jobsets_over_the_quota_wait_suspended_and_start_as_quota_frees() {
    let text = scenario(
        4,
        &queue("team", 16, ""),
        "",
        &[
            jobset("first", "team", 16, 1, "0s", "10m"),
            jobset("second", "team", 16, 1, "1s", "10m"),
        ],
    );
    let sim = run(&text);
    let (first, second) = (workload(&sim, "first"), workload(&sim, "second"));
    assert_eq!(
        (first.state, second.state),
        (WlState::Finished, WlState::Finished)
    );
    assert!(
        secs(first.first_admitted_ns) < 1.0,
        "first admitted at once"
    );
    let first_done = secs(first.finished_ns);
    let second_in = secs(second.first_admitted_ns);
    // Quota frees when Kueue sees the finished JobSet; the parked Workload comes back one
    // requeue batch period (1 s) later.
    assert!(second_in >= first_done + 1.0, "{second_in} vs {first_done}");
    assert!(second_in < first_done + 1.5, "{second_in} vs {first_done}");
    // 32 cpu of nodes but 16 of quota: never both at once.
    assert!(sim
        .store
        .jobsets
        .iter()
        .all(|j| j.status.terminal_state.as_deref() == Some("Completed")));
}

#[test]
fn a_queue_that_does_not_exist_leaves_the_jobset_suspended_with_misconfigured() {
    let text = scenario(
        2,
        &queue("team", 16, ""),
        "",
        &[jobset("lost", "nowhere", 2, 1, "0s", "1m")],
    );
    let sim = run(&text);
    let w = workload(&sim, "lost");
    assert_eq!(w.state, WlState::Pending);
    assert_eq!(w.pending_reason.0, "Misconfigured");
    assert_eq!(
        sim.rec.api_calls.job_controller.pod_creates, 0,
        "no pod while suspended"
    );
}

#[test]
fn strict_fifo_head_blocks_its_queue_best_effort_lets_the_next_one_in() {
    for (strategy, small_waits) in [("StrictFIFO", true), ("BestEffortFIFO", false)] {
        let text = scenario(
            4,
            &queue("team", 16, &format!(", queueingStrategy: {strategy}")),
            "",
            &[
                jobset("running", "team", 12, 1, "0s", "10m"),
                jobset("big", "team", 8, 1, "1s", "1m"),
                jobset("small", "team", 2, 1, "2s", "1m"),
            ],
        );
        let sim = run(&text);
        let small = secs(workload(&sim, "small").first_admitted_ns);
        let running_done = secs(workload(&sim, "running").finished_ns);
        assert_eq!(
            small > running_done,
            small_waits,
            "{strategy}: small admitted at {small}"
        );
    }
}

#[test]
fn a_queue_borrows_idle_quota_of_its_cohort() {
    let queues = queue("a", 8, ", cohortName: shared") + &queue("b", 8, ", cohortName: shared");
    let text = scenario(
        4,
        &queues,
        "",
        &[
            jobset("wide", "a", 14, 1, "0s", "5m"),
            jobset("late", "b", 4, 1, "1s", "1m"),
        ],
    );
    let sim = run(&text);
    let (wide, late) = (workload(&sim, "wide"), workload(&sim, "late"));
    assert!(
        secs(wide.first_admitted_ns) < 1.0,
        "14 of 16 cpu borrowed at once"
    );
    // b's own quota is lent out: it waits for wide to give it back.
    assert!(secs(late.first_admitted_ns) > secs(wide.finished_ns));
}

#[test]
fn pods_never_ready_are_evicted_at_the_timeout_and_requeued_after_the_back_off() {
    // A JobSet Kueue does not manage holds both nodes: quota admits "stuck", no node fits
    // its pod.
    let hog = jobset("hog", "none", 2, 8, "0s", "1h")
        .replace(", labels: {kueue.x-k8s.io/queue-name: none}", "");
    let text = scenario(
        2,
        &queue("team", 32, ""),
        "waitForPodsReady: {timeout: 5m}",
        &[hog, jobset("stuck", "team", 1, 4, "1s", "1m")],
    )
    .replace("until: 6h", "until: 20m");
    let sim = run(&text);
    let w = workload(&sim, "stuck");
    let times: Vec<f64> = w
        .evictions
        .iter()
        .map(|e| e.at_ns as f64 / NS_PER_S as f64)
        .collect();
    assert!(w.evictions.iter().all(|e| e.reason == "PodsReadyTimeout"));
    assert!(times.len() >= 2, "{times:?}");
    // Submitted at 1 s and admitted within a fraction of a second, evicted 5 min later;
    // requeued 60 s after the eviction (the back-off counts from it), evicted again 5 min
    // after that; then 120 s of back-off.
    assert!((301.0..302.0).contains(&times[0]), "{times:?}");
    assert!((times[1] - times[0] - 360.0).abs() < 0.5, "{times:?}");
    if times.len() > 2 {
        assert!((times[2] - times[1] - 420.0).abs() < 0.5, "{times:?}");
    }
    assert_eq!(w.requeue_count as usize, times.len());
}

/// Fair sharing (kueue-semantics §7.2) end to end: team-a and team-b hold no quota of their
/// own and borrow a lender's 16 cpu through cohort `shared`. team-a runs 10 + 6 cpu; when
/// its 6-cpu JobSet finishes, team-a's older JobSet (6 cpu) and team-b's (6 cpu) are both
/// heads and only one fits. With fair sharing team-b, the less served, goes first (its share
/// with the entry: 6/16 = 375 against team-a's 16/16 = 1000); without it the older JobSet
/// (team-a's) does. The summary reports each queue's weighted share at the end.
#[test]
fn fair_sharing_admits_the_less_served_queue_first() {
    let cohort = ", cohortName: shared";
    let queues = [
        queue("pool", 16, cohort),
        queue("team-a", 0, cohort),
        queue("team-b", 0, cohort),
    ]
    .concat();
    let workloads = [
        jobset("a-long", "team-a", 10, 1, "0s", "1h"),
        jobset("a-short", "team-a", 6, 1, "0s", "10m"),
        jobset("a-next", "team-a", 6, 1, "1s", "10m"),
        jobset("b-next", "team-b", 6, 1, "2s", "10m"),
    ];
    let fair =
        "fairSharing: {preemptionStrategies: [LessThanOrEqualToFinalShare, LessThanInitialShare]}";
    for (config, b_first) in [(fair, true), ("", false)] {
        let sim = run(&scenario(4, &queues, config, &workloads));
        let short_done = secs(workload(&sim, "a-short").finished_ns);
        let long_done = secs(workload(&sim, "a-long").finished_ns);
        let a_next = secs(workload(&sim, "a-next").first_admitted_ns);
        let b_next = secs(workload(&sim, "b-next").first_admitted_ns);
        let (first, second) = if b_first {
            (b_next, a_next)
        } else {
            (a_next, b_next)
        };
        assert!(
            first > short_done && first < short_done + 2.0,
            "{config}: {first} after {short_done}"
        );
        assert!(second > long_done.min(first + 600.0), "{config}: {second}");
        assert!(sim
            .store
            .jobsets
            .iter()
            .all(|j| j.status.terminal_state.as_deref() == Some("Completed")));
        let summary = crate::report::kueue::build(&sim).expect("a Kueue run");
        let shares: Vec<Option<i64>> = (summary.cluster_queues.iter())
            .map(|c| c.weighted_share)
            .collect();
        let want = if b_first { Some(0) } else { None };
        assert_eq!(
            shares,
            vec![want; 3],
            "{config}: nothing borrowed at the end"
        );
    }
}

/// The weighted share written to `summary.json` while a queue borrows.
#[test]
fn fair_sharing_reports_the_weighted_share_of_a_borrowing_queue() {
    let cohort = ", cohortName: shared";
    let queues = [queue("pool", 16, cohort), queue("team-a", 0, cohort)].concat();
    let fair = "fairSharing: {preemptionStrategies: [LessThanOrEqualToFinalShare]}";
    let text = scenario(
        4,
        &queues,
        fair,
        &[jobset("a", "team-a", 4, 1, "0s", "10h")],
    )
    .replace("until: 6h", "until: 1h");
    let sim = run(&text);
    let summary = crate::report::kueue::build(&sim).expect("a Kueue run");
    let shares: Vec<Option<i64>> = (summary.cluster_queues.iter())
        .map(|c| c.weighted_share)
        .collect();
    // team-a borrows 4 of the 16 the cohort can lend it: 4000 × 1000 / 16000 = 250.
    assert_eq!(shares, vec![Some(0), Some(250)]);
}

/// Fair-sharing preemption end to end (kueue-semantics §7.3): team-a and team-b hold 4 cpu
/// each and a lender 8 more in cohort `shared`; team-b runs three 4-cpu JobSets (12 cpu,
/// share 8/16 = 500). team-a asks 6 cpu (above its nominal 4, so only fair sharing lets it
/// look for candidates): its new share 2/16 = 125 is at most team-b's 250 after losing one,
/// so team-b's most recently admitted JobSet is preempted (`InCohortFairSharing`) and
/// team-a runs once its pods are gone. Without fair sharing team-a waits for a JobSet of
/// team-b to finish.
#[test]
fn fair_sharing_preempts_from_the_queue_with_the_highest_share() {
    let cohort = ", cohortName: shared";
    let reclaim = ", cohortName: shared, preemption: {reclaimWithinCohort: Any}";
    let queues = [
        queue("pool", 8, cohort),
        queue("team-a", 4, reclaim),
        queue("team-b", 4, reclaim),
    ]
    .concat();
    let workloads = [
        jobset("b-1", "team-b", 4, 1, "0s", "1h"),
        jobset("b-2", "team-b", 4, 1, "1s", "1h"),
        jobset("b-3", "team-b", 4, 1, "2s", "1h"),
        jobset("a-1", "team-a", 6, 1, "5m", "10m"),
    ];
    let fair =
        "fairSharing: {preemptionStrategies: [LessThanOrEqualToFinalShare, LessThanInitialShare]}";
    for (config, preempts) in [(fair, true), ("", false)] {
        let sim = run(&scenario(4, &queues, config, &workloads));
        let a = secs(workload(&sim, "a-1").first_admitted_ns);
        let evictions: Vec<(&str, &str, Option<&str>)> = ["b-1", "b-2", "b-3"]
            .iter()
            .flat_map(|&name| {
                (workload(&sim, name).evictions.iter())
                    .map(move |e| (name, e.reason, e.preempted_reason))
            })
            .collect();
        if preempts {
            assert_eq!(
                evictions,
                vec![("b-3", "Preempted", Some("InCohortFairSharing"))]
            );
            let at = workload(&sim, "b-3").evictions[0].at_ns as f64 / NS_PER_S as f64;
            assert!((300.0..302.0).contains(&at), "{at}");
            assert!(a > at && a < at + 60.0, "{a} after {at}");
        } else {
            assert_eq!(evictions, vec![]);
            let b1_done = secs(workload(&sim, "b-1").finished_ns);
            assert!(a > b1_done, "{a} after {b1_done}");
        }
        assert!(sim
            .store
            .jobsets
            .iter()
            .all(|j| j.status.terminal_state.as_deref() == Some("Completed")));
    }
}

/// scenarios/kueue/fair-sharing.yaml, the outcome the README describes: team-b's two
/// trainings each preempt one of team-a's (`InCohortFairSharing`) and wait seconds; the
/// preempted ones run again afterwards.
#[test]
fn the_fair_sharing_scenario_evens_out_the_two_teams() {
    let path = std::path::Path::new("scenarios/kueue/fair-sharing.yaml");
    let scenario = crate::scenario::load_scenario(path).expect("the shipped scenario loads");
    let sim = simulate_scenario(scenario);
    let mut preempted = vec![];
    for name in ["a-1", "a-2", "a-3", "a-4"] {
        for e in &workload(&sim, name).evictions {
            assert_eq!(e.preempted_reason, Some("InCohortFairSharing"), "{name}");
            let at = e.at_ns as f64 / NS_PER_S as f64;
            assert!((600.0..605.0).contains(&at), "{name} at {at}");
            preempted.push(name);
        }
    }
    assert_eq!(preempted.len(), 2, "{preempted:?}");
    for name in ["b-1", "b-2"] {
        let w = workload(&sim, name);
        let waited = secs(w.first_admitted_ns) - secs(Some(w.created_ns));
        assert!(waited < 10.0, "{name} waited {waited}");
    }
    for name in preempted {
        let again = secs(workload(&sim, name).finished_ns);
        assert!(again > 3.0 * 3600.0, "{name} finished at {again}");
    }
    assert!(sim
        .store
        .jobsets
        .iter()
        .all(|j| j.status.terminal_state.as_deref() == Some("Completed")));
}

/// Two WorkloadPriorityClasses and a JobSet's label selecting one.
const PRIORITIES: &str = "  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: WorkloadPriorityClass, metadata: {name: low}, value: 10}\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: WorkloadPriorityClass, metadata: {name: high}, value: 1000}\n";

fn with_priority(jobset: String, class: &str) -> String {
    jobset.replace(
        "labels: {kueue.x-k8s.io/queue-name:",
        &format!("labels: {{kueue.x-k8s.io/priority-class: {class}, kueue.x-k8s.io/queue-name:"),
    )
}

#[test]
fn a_higher_priority_jobset_preempts_a_lower_one_in_its_queue() {
    let queues = queue(
        "team",
        16,
        ", preemption: {withinClusterQueue: LowerPriority}",
    );
    let text = scenario(
        4,
        &(queues + PRIORITIES),
        "",
        &[
            with_priority(jobset("training", "team", 16, 1, "0s", "1h"), "low"),
            with_priority(jobset("inference", "team", 8, 1, "5m", "5m"), "high"),
        ],
    );
    let sim = run(&text);
    let (training, inference) = (workload(&sim, "training"), workload(&sim, "inference"));
    assert_eq!((training.priority, inference.priority), (10, 1000));
    let e = training.evictions.first().expect("training preempted");
    assert_eq!(
        (e.reason, e.preempted_reason),
        ("Preempted", Some("InClusterQueue"))
    );
    let preempted_at = e.at_ns as f64 / NS_PER_S as f64;
    assert!((300.0..302.0).contains(&preempted_at), "{preempted_at}");
    // Inference waits for training's pods to go, then runs; training comes back after.
    let inference_in = secs(inference.first_admitted_ns);
    assert!(inference_in > preempted_at, "{inference_in}");
    assert!(inference_in < preempted_at + 60.0, "{inference_in}");
    assert_eq!(training.state, WlState::Finished);
    assert!(secs(training.finished_ns) > secs(inference.finished_ns) + 3600.0);
}

/// scenarios/kueue/multi-team.yaml, the outcome the README describes: team-b's second
/// inference replica takes its quota back from team-a's borrowing pre-training.
#[test]
fn the_multi_team_scenario_reclaims_lent_quota_for_inference() {
    let path = std::path::Path::new("scenarios/kueue/multi-team.yaml");
    let scenario = crate::scenario::load_scenario(path).expect("the shipped scenario loads");
    let sim = simulate_scenario(scenario);
    let pretrain = workload(&sim, "pretrain");
    let [e] = pretrain.evictions.as_slice() else {
        panic!("one eviction: {:?}", pretrain.evictions);
    };
    assert_eq!(
        (e.reason, e.preempted_reason),
        ("Preempted", Some("InCohortReclamation"))
    );
    let preempted_at = e.at_ns as f64 / NS_PER_S as f64;
    assert!((2100.0..2101.0).contains(&preempted_at), "{preempted_at}");
    let inference = workload(&sim, "inference-2");
    assert!(secs(inference.first_admitted_ns) < preempted_at + 10.0);
    // Two fine-tunings fit team-a's GPUs with what it borrows; the other two wait 40 min.
    for name in ["finetune-3", "finetune-4"] {
        let w = workload(&sim, name);
        let waited = secs(w.first_admitted_ns) - secs(Some(w.created_ns));
        assert!((2400.0..2410.0).contains(&waited), "{name} waited {waited}");
    }
    assert!(sim
        .store
        .jobsets
        .iter()
        .all(|j| j.status.terminal_state.as_deref() == Some("Completed")));
}

/// Three pools of 4 nodes under a TAS flavor (levels: pool, hostname); a JobSet of 2 Jobs of 4
/// pods, each Job a slice of one pool. A host of an assigned pool fails at 20 min.
fn tas_scenario(failure: &str) -> String {
    format!(
        "name: tas\nrun: {{seed: 5, until: 3h}}\ncluster:\n  nodePools:\n  - {{name: p, count: 3, nodesPerPool: 4, labels: {{acc: tpu}}, capacity: {{cpu: 8, google.com/tpu: 4}}}}\n{failure}kueue:\n  objects:\n  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: Topology, metadata: {{name: pools}}, spec: {{levels: [{{nodeLabel: cloud.google.com/gke-nodepool}}, {{nodeLabel: kubernetes.io/hostname}}]}}}}\n  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: ResourceFlavor, metadata: {{name: tpu}}, spec: {{nodeLabels: {{acc: tpu}}, topologyName: pools}}}}\n  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: ClusterQueue, metadata: {{name: q}}, spec: {{namespaceSelector: {{}}, resourceGroups: [{{coveredResources: [google.com/tpu], flavors: [{{name: tpu, resources: [{{name: google.com/tpu, nominalQuota: 48}}]}}]}}]}}}}\n  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {{namespace: default, name: q}}, spec: {{clusterQueue: q}}}}\nworkloads:\n- at: 0s\n  pods: {{runFor: 1h}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: train, labels: {{kueue.x-k8s.io/queue-name: q}}}}\n    spec:\n      failurePolicy: {{maxRestarts: 5}}\n      replicatedJobs:\n      - name: slice\n        replicas: 2\n        template:\n          spec:\n            parallelism: 4\n            completions: 4\n            backoffLimit: 0\n            completionMode: Indexed\n            template:\n              metadata:\n                annotations: {{kueue.x-k8s.io/podset-slice-required-topology: cloud.google.com/gke-nodepool, kueue.x-k8s.io/podset-slice-size: \"4\"}}\n              spec:\n                restartPolicy: Never\n                containers: [{{name: main, image: jax, resources: {{requests: {{google.com/tpu: 4}}, limits: {{google.com/tpu: 4}}}}}}]\n"
    )
}

/// The pools each Job's pods were bound in (one entry per Job index).
fn pools_of_jobs(sim: &Sim) -> Vec<std::collections::BTreeSet<String>> {
    let mut out = vec![std::collections::BTreeSet::new(); 2];
    for p in &sim.pods {
        if let Some(n) = p.node {
            let pool = sim.cluster.label_value(n, "cloud.google.com/gke-nodepool");
            let job = &sim.store.jobs[p.job as usize];
            out[job.job_index as usize].insert(pool.expect("pools label nodes").to_string());
        }
    }
    out
}

#[test]
fn tas_puts_each_job_in_one_pool_through_the_ungater() {
    let sim = run(&tas_scenario(""));
    let w = workload(&sim, "train");
    assert_eq!(w.state, WlState::Finished);
    assert!(w.evictions.is_empty());
    // Every pod was created gated and sent to a host by the ungater: each Job's 4 pods share
    // one pool, and the two Jobs are in different pools (a pool holds one slice).
    let mut pools = vec![std::collections::BTreeSet::new(); 2];
    for p in &sim.pods {
        let shape = &sim.shapes[p.shape as usize];
        assert!(!shape.gated, "no pod left gated");
        let host = (shape.node_selector.iter()).find(|(k, _)| k == "kubernetes.io/hostname");
        let host = host.expect("the ungater pins each pod to its host");
        let n = p.node.expect("bound");
        assert_eq!(sim.cluster.node(n).name, host.1);
        let pool = sim.cluster.label_value(n, "cloud.google.com/gke-nodepool");
        pools[sim.store.jobs[p.job as usize].job_index as usize].insert(pool.unwrap().to_string());
    }
    assert!(pools.iter().all(|p| p.len() == 1), "{pools:?}");
    assert_ne!(pools[0], pools[1]);
}

#[test]
fn a_failed_host_evicts_the_tas_workload_and_it_comes_back_on_healthy_pools() {
    // Without failures Job 0 runs in pool p-0 (the placement is deterministic): fail a host
    // there.
    let before = run(&tas_scenario(""));
    assert_eq!(pools_of_jobs(&before)[0], ["p-0".to_string()].into());
    let failing = "p-0-1";
    let text = tas_scenario(&format!(
        "faults:\n- {{kind: scripted, at: 20m, node: {failing}, repairAfter: 10h}}\n"
    ));
    let sim = run(&text);
    let w = workload(&sim, "train");
    let reasons: Vec<&str> = w.evictions.iter().map(|e| e.reason).collect();
    assert_eq!(
        reasons,
        ["NodeFailures"],
        "evicted once, no replacement in the pool"
    );
    assert_eq!(w.state, WlState::Finished, "admitted again and completed");
    let failed = sim.cluster.node_by_name(failing).expect("node exists");
    let bound_after: Vec<_> = (sim.pods.iter())
        .filter(|p| {
            p.bound_at_ns
                .get()
                .is_some_and(|t| t > w.evictions[0].at_ns)
        })
        .collect();
    assert!(bound_after.len() >= 8, "the whole JobSet placed again");
    for p in bound_after {
        let n = p.node.expect("bound");
        assert_ne!(
            sim.cluster.label_value(n, "cloud.google.com/gke-nodepool"),
            sim.cluster
                .label_value(failed, "cloud.google.com/gke-nodepool"),
            "the pool with the failed host is avoided while it is down"
        );
    }
}

#[test]
fn a_failed_host_is_replaced_inside_its_pool_when_the_pool_has_a_spare() {
    // Pools of 5 hosts: each slice of 4 leaves one host spare in its pool. The failed host's
    // pod fails, the JobSet restarts (its failure policy), and Kueue's second pass has put
    // that pod's place on the spare host of the same pool (the slice's domain): the Workload
    // is not evicted and every Job stays in its pool.
    let before = run(&tas_scenario("").replace("nodesPerPool: 4", "nodesPerPool: 5"));
    let pools_before = pools_of_jobs(&before);
    let text =
        tas_scenario("faults:\n- {kind: scripted, at: 20m, node: p-0-1, repairAfter: 10h}\n")
            .replace("nodesPerPool: 4", "nodesPerPool: 5");
    let sim = run(&text);
    let w = workload(&sim, "train");
    assert!(
        w.evictions.is_empty(),
        "replaced, not evicted: {:?}",
        w.evictions
    );
    assert_eq!(w.state, WlState::Finished);
    assert!(
        pools_before.iter().any(|p| p.contains("p-0")),
        "a slice runs in the failing host's pool: {pools_before:?}"
    );
    assert_eq!(pools_of_jobs(&sim), pools_before, "each Job kept its pool");
    let failed = sim.cluster.node_by_name("p-0-1").expect("node exists");
    let fault_ns = 20 * 60 * 1_000_000_000u64;
    let bound_after: Vec<_> = (sim.pods.iter())
        .filter(|p| p.bound_at_ns.get().is_some_and(|t| t > fault_ns))
        .collect();
    assert!(bound_after.len() >= 8, "the JobSet ran again");
    assert!(bound_after.iter().all(|p| p.node != Some(failed)));
}

#[test]
fn tas_with_exclusive_placement_on_one_jobset_is_refused() {
    let text = tas_scenario("").replace(
        "metadata: {name: train, labels: {kueue.x-k8s.io/queue-name: q}}",
        "metadata: {name: train, labels: {kueue.x-k8s.io/queue-name: q}, annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}}",
    );
    let scenario = crate::scenario::load_scenario_from_str("k.yaml", &text, ".".as_ref())
        .expect("the scenario itself is valid");
    let err = match Sim::new(scenario) {
        Err(e) => format!("{e:?}"),
        Ok(_) => panic!("TAS with exclusive placement must be refused"),
    };
    assert!(
        err.contains("together with JobSet exclusive placement"),
        "{err}"
    );
}

/// A leader Job (1 pod, cpu only) and a worker Job (4 pods of 4 TPUs) in one PodSet group
/// (`kueue.x-k8s.io/podset-group-name`), both required in one pool, on the pools of
/// `tas_scenario`. `worker_annotations` replaces the workers' topology annotations.
fn tas_group_scenario(worker_annotations: &str) -> String {
    let leader = "      - name: leader\n        replicas: 1\n        template:\n          spec:\n            parallelism: 1\n            completions: 1\n            backoffLimit: 0\n            completionMode: Indexed\n            template:\n              metadata:\n                annotations: {kueue.x-k8s.io/podset-required-topology: cloud.google.com/gke-nodepool, kueue.x-k8s.io/podset-group-name: lws}\n              spec:\n                restartPolicy: Never\n                containers: [{name: main, image: jax, resources: {requests: {cpu: 1}}}]\n      - name: slice\n";
    tas_scenario("")
        .replace(
            "coveredResources: [google.com/tpu], flavors: [{name: tpu, resources: [{name: google.com/tpu, nominalQuota: 48}]}]",
            "coveredResources: [cpu, google.com/tpu], flavors: [{name: tpu, resources: [{name: cpu, nominalQuota: 96}, {name: google.com/tpu, nominalQuota: 48}]}]",
        )
        .replace("      - name: slice\n", leader)
        .replace("        replicas: 2\n", "        replicas: 1\n")
        .replace(
            "{kueue.x-k8s.io/podset-slice-required-topology: cloud.google.com/gke-nodepool, kueue.x-k8s.io/podset-slice-size: \"4\"}",
            worker_annotations,
        )
}

const GROUPED_WORKERS: &str = "{kueue.x-k8s.io/podset-required-topology: cloud.google.com/gke-nodepool, kueue.x-k8s.io/podset-group-name: lws}";

#[test]
fn tas_places_a_leader_job_with_its_workers_in_one_pool() {
    // A pool has 4 hosts of 4 TPUs: the workers take one host each, the leader shares one.
    let sim = run(&tas_group_scenario(GROUPED_WORKERS));
    let w = workload(&sim, "train");
    assert_eq!(w.state, WlState::Finished);
    assert!(w.evictions.is_empty());
    let mut pools = std::collections::BTreeMap::new();
    for p in &sim.pods {
        let shape = &sim.shapes[p.shape as usize];
        assert!(!shape.gated, "no pod left gated");
        let n = p.node.expect("bound");
        let host = (shape.node_selector.iter()).find(|(k, _)| k == "kubernetes.io/hostname");
        assert_eq!(
            Some(sim.cluster.node(n).name.as_str()),
            host.map(|h| h.1.as_str())
        );
        let pool = sim
            .cluster
            .label_value(n, "cloud.google.com/gke-nodepool")
            .unwrap();
        let rj = sim.store.jobs[p.job as usize].rj;
        pools
            .entry(rj)
            .or_insert_with(std::collections::BTreeSet::new)
            .insert(pool.to_string());
    }
    assert_eq!(pools.len(), 2, "a leader and a worker PodSet: {pools:?}");
    let all: std::collections::BTreeSet<_> = pools.values().flatten().collect();
    assert_eq!(all.len(), 1, "leader and workers in one pool: {pools:?}");
    let per_rj = |rj: u32| {
        (sim.pods.iter())
            .filter(|p| sim.store.jobs[p.job as usize].rj == rj)
            .count()
    };
    assert_eq!((per_rj(0), per_rj(1)), (1, 4));
}

#[test]
fn tas_podset_groups_are_checked_as_kueues_webhook_does() {
    let refused = |text: String| {
        let scenario = crate::scenario::load_scenario_from_str("k.yaml", &text, ".".as_ref())
            .expect("the scenario itself is valid");
        match Sim::new(scenario) {
            Err(e) => format!("{e:?}"),
            Ok(_) => panic!("refused"),
        }
    };
    // Different levels in one group.
    let err = refused(tas_group_scenario(
        "{kueue.x-k8s.io/podset-required-topology: kubernetes.io/hostname, kueue.x-k8s.io/podset-group-name: lws}",
    ));
    assert!(
        err.contains("must specify 'kueue.x-k8s.io/podset-required-topology' or 'kueue.x-k8s.io/podset-preferred-topology' topology consistent with 'spec.replicatedJobs[1].template.spec.template.metadata.annotations' in group 'lws'"),
        "{err}"
    );
    // A group of one.
    let err = refused(tas_group_scenario(
        "{kueue.x-k8s.io/podset-required-topology: cloud.google.com/gke-nodepool}",
    ));
    assert!(
        err.contains("can only define groups of exactly 2 pod sets, got: 1 pod set(s)"),
        "{err}"
    );
    // Without required or preferred.
    let err = refused(tas_group_scenario(
        "{kueue.x-k8s.io/podset-group-name: lws}",
    ));
    assert!(err.contains("may not be set when neither"), "{err}");
}

#[test]
fn a_tas_flavor_naming_a_missing_topology_is_refused() {
    let text = tas_scenario("").replace("topologyName: pools", "topologyName: racks");
    let scenario = crate::scenario::load_scenario_from_str("k.yaml", &text, ".".as_ref());
    let err = match scenario.map(Sim::new) {
        Err(e) => format!("{e:?}"),
        Ok(Err(e)) => format!("{e:?}"),
        Ok(Ok(_)) => panic!("a missing Topology must be refused"),
    };
    assert!(err.contains("racks"), "{err}");
}

// Admission checks (docs/kueue.md, "Admission checks"): a ClusterQueue listing check `prov`,
// the AdmissionCheck object, and the script of its controller.
fn checked_queue(script: &str) -> String {
    let mut q = queue(
        "team",
        16,
        ", admissionChecksStrategy: {admissionChecks: [{name: prov}]}",
    );
    q.push_str("  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: AdmissionCheck, metadata: {name: prov}, spec: {controllerName: kueue.x-k8s.io/provisioning-request}}\n");
    if !script.is_empty() {
        q.push_str(&format!("  admissionCheckScripts:\n  - {script}\n"));
    }
    q
}

fn one_job(script: &str) -> Sim {
    run(&scenario(
        2,
        &checked_queue(script),
        "",
        &[jobset("train", "team", 4, 1, "0s", "10m")],
    ))
}

#[test]
fn a_check_ready_after_90s_delays_the_start_by_90s() {
    // Mirrors pkg/workload/admissionchecks_test.go TestSyncAdmittedCondition (Admitted only
    // once every check is Ready) and the provisioning integration test "Should set the
    // condition ready when the provision succeed": quota reserved at once, Admitted when the
    // check turns Ready.
    let at_once = one_job("");
    let delayed = one_job("{check: prov, readyAfter: 90s}");
    let (a, d) = (workload(&at_once, "train"), workload(&delayed, "train"));
    assert_eq!((a.state, d.state), (WlState::Finished, WlState::Finished));
    // An unscripted check is Ready at once: reserved and admitted in one write.
    assert_eq!(a.first_reserved_ns, a.first_admitted_ns);
    let wait = secs(d.first_admitted_ns) - secs(d.first_reserved_ns);
    assert_eq!(wait, 90.0);
    assert_eq!(a.first_reserved_ns, d.first_reserved_ns);
    let shift = secs(d.first_pods_ready_ns) - secs(a.first_pods_ready_ns);
    assert!((shift - 90.0).abs() < 0.5, "pods ready {shift} s later");
    let shift = secs(d.finished_ns) - secs(a.finished_ns);
    assert!((shift - 90.0).abs() < 0.5, "finished {shift} s later");
    assert!(d.evictions.is_empty());
    // Mid-wait: quota reserved (counted), the JobSet suspended, no pod.
    let mid = run(&scenario(
        2,
        &checked_queue("{check: prov, readyAfter: 90s}"),
        "",
        &[jobset("train", "team", 4, 1, "0s", "10m")],
    )
    .replace("until: 6h", "until: 30s"));
    let w = workload(&mid, "train");
    assert_eq!(w.state, WlState::Reserved);
    assert_eq!(mid.rec.api_calls.job_controller.pod_creates, 0);
    let k: &crate::kueue::controller::KueueController = &mid.kueue;
    let m = k.model();
    assert_eq!(
        m.tree.usage(m.cluster_queues[0].node, 0),
        4000,
        "4 cpu reserved"
    );
}

#[test]
fn a_check_retried_twice_then_ready_gives_two_admission_check_evictions() {
    // Mirrors workload_controller_eviction_test.go TestReconcileEviction "workload with retry
    // checks should be evicted and checks should be pending" (reason AdmissionCheck, "At least
    // one admission check is false"), admissionchecks_test.go TestGetMaxRetryTime (requeued
    // requeueAfterSeconds after the Retry) and the provisioning integration test "Should retry
    // twice if a ProvisioningRequest fails twice".
    let sim = one_job(
        "{check: prov, attempts: [{outcome: Retry, after: 30s, requeueAfterSeconds: 60, times: 2}, {outcome: Ready, after: 20s}]}",
    );
    let w = workload(&sim, "train");
    assert_eq!(w.state, WlState::Finished);
    let reasons: Vec<&str> = w.evictions.iter().map(|e| e.reason).collect();
    assert_eq!(reasons, ["AdmissionCheck", "AdmissionCheck"]);
    let reserved = secs(w.first_reserved_ns);
    let first = w.evictions[0].at_ns as f64 / NS_PER_S as f64;
    let second = w.evictions[1].at_ns as f64 / NS_PER_S as f64;
    assert_eq!(first - reserved, 30.0);
    // Queued again 60 s after the eviction, reserved within a cycle, answered 30 s later.
    assert!(
        second - first >= 90.0 && second - first < 91.0,
        "{first} {second}"
    );
    let admitted = secs(w.first_admitted_ns);
    assert!(
        admitted - second >= 80.0 && admitted - second < 81.0,
        "{admitted}"
    );
    assert_eq!(w.reservations, 3);
}

#[test]
fn a_rejected_check_deactivates_the_workload_and_the_jobset_stays_suspended() {
    // Mirrors workload_controller_eviction_test.go TestReconcileEviction "admitted workload
    // with rejected checks gets deactivated, with message" (DeactivationTarget, then evicted
    // DeactivatedDueToAdmissionCheck, never requeued) and the provisioning integration test "Should set the
    // condition rejected when the provision fails".
    let sim = one_job("{check: prov, attempts: [{outcome: Rejected, after: 45s}]}");
    let w = workload(&sim, "train");
    assert!(w.deactivated);
    assert_eq!(w.first_admitted_ns, None);
    let reasons: Vec<&str> = w.evictions.iter().map(|e| e.reason).collect();
    assert_eq!(reasons, ["DeactivatedDueToAdmissionCheck"]);
    assert_eq!(
        w.pending_reason.1,
        "The workload is deactivated due to Admission check(s): prov, were rejected"
    );
    assert_eq!(w.reservations, 1, "never queued again");
    assert_eq!(
        sim.rec.api_calls.job_controller.pod_creates, 0,
        "no pod: the JobSet stays suspended"
    );
    assert!(w.pending_reason.1.contains("prov, were rejected"));
}

#[test]
fn a_queue_naming_a_missing_check_is_inactive_and_its_workloads_stay_pending() {
    // Mirrors pkg/cache/scheduler/clusterqueue_test.go TestClusterQueueUpdateWithAdmissionCheck
    // "Active clusterQueue with an AC strategy updated with not found AC" (inactive,
    // AdmissionCheckNotFound) and the Workload controller's "ClusterQueue <cq> is inactive".
    let objects = queue(
        "team",
        16,
        ", admissionChecksStrategy: {admissionChecks: [{name: prov}]}",
    );
    let sim = run(&scenario(
        2,
        &objects,
        "",
        &[jobset("train", "team", 4, 1, "0s", "10m")],
    ));
    let w = workload(&sim, "train");
    assert_eq!(w.state, WlState::Pending);
    assert_eq!(
        w.pending_reason,
        ("Inadmissible", "ClusterQueue team is inactive".to_string())
    );
    let k: &crate::kueue::controller::KueueController = &sim.kueue;
    assert_eq!(
        k.model().cluster_queues[0].inactive.as_deref(),
        Some("AdmissionCheckNotFound")
    );
    assert_eq!(sim.rec.api_calls.job_controller.pod_creates, 0);
}

#[test]
fn block_admission_holds_the_second_workload_until_the_first_is_pods_ready() {
    // Mirrors the podsready integration suite (test/integration/singlecluster/scheduler/
    // podsready/scheduler_test.go) "Should block admission of one new workload if two are
    // considered in the same scheduling cycle", and its non-blocking twin "Should not block
    // admission of one new workload if two are considered in the same scheduling cycle": with
    // an admitted Workload not PodsReady the next entry waits
    // (QuotaReserved=False/WaitingForPodsReady) and is admitted once the first's pods are
    // ready.
    let queues = format!("{}{}", queue("a", 16, ""), queue("b", 16, ""));
    let jobs = [
        jobset("first", "a", 4, 1, "0s", "10m"),
        jobset("second", "b", 4, 1, "0s", "10m"),
    ];
    let free = run(&scenario(4, &queues, "", &jobs));
    let blocked = run(&scenario(
        4,
        &queues,
        "waitForPodsReady: {blockAdmission: true}",
        &jobs,
    ));
    let (f1, f2) = (workload(&free, "first"), workload(&free, "second"));
    assert_eq!(f1.first_admitted_ns, f2.first_admitted_ns, "one cycle");
    let (b1, b2) = (workload(&blocked, "first"), workload(&blocked, "second"));
    let (ready1, admitted2) = (secs(b1.first_pods_ready_ns), secs(b2.first_admitted_ns));
    assert!(admitted2 >= ready1, "{admitted2} vs {ready1}");
    assert!(admitted2 < ready1 + 0.5, "woken by the PodsReady change");
    assert!(secs(b1.first_admitted_ns) < ready1);
    assert_eq!(b2.state, WlState::Finished);
    // Stopped before the first's pods are ready: the second waits with Kueue's reason.
    let early = run(&scenario(
        4,
        &queues,
        "waitForPodsReady: {blockAdmission: true}",
        &jobs,
    )
    .replace("until: 6h", "until: 1s"));
    assert!(ready1 > 1.0, "{ready1}");
    let w = workload(&early, "second");
    assert_eq!(w.state, WlState::Pending);
    assert_eq!(
        w.pending_reason,
        (
            "WaitingForPodsReady",
            "waiting for all admitted workloads to be in PodsReady condition".to_string()
        )
    );
}

#[test]
fn a_bad_check_script_is_refused_with_its_line_and_path() {
    let text = scenario(
        2,
        &checked_queue("{check: prov, attempts: [{outcome: Maybe, after: 1m}]}"),
        "",
        &[jobset("train", "team", 4, 1, "0s", "10m")],
    );
    let err = match crate::scenario::load_scenario_from_str("k.yaml", &text, ".".as_ref()) {
        Err(e) => format!("{e}"),
        Ok(_) => panic!("an unknown outcome must be refused"),
    };
    assert!(
        err.contains("kueue.admissionCheckScripts[0].attempts[0].outcome"),
        "{err}"
    );
    assert!(err.contains("Unsupported value: \"Maybe\""), "{err}");
    let line = text
        .lines()
        .position(|l| l.contains("admissionCheckScripts:"))
        .expect("written")
        + 2;
    assert!(err.contains(&format!("k.yaml:{line}")), "{err}");
    let text = text.replace("check: prov,", "check: provision,");
    let err = match crate::scenario::load_scenario_from_str("k.yaml", &text, ".".as_ref()) {
        Err(e) => format!("{e}"),
        Ok(_) => panic!("a script for no check must be refused"),
    };
    assert!(
        err.contains("no AdmissionCheck named \"provision\""),
        "{err}"
    );
}

/// `tas_scenario` with 64 TPU of quota on 48 of hardware (so quota never stops a second
/// JobSet, the topology does), preemption of lower priorities within the queue, `train` at low
/// priority and, 10 minutes later, `urgent`: the same JobSet at high priority.
fn tas_preemption_scenario() -> String {
    let text = tas_scenario("")
        .replace("nominalQuota: 48", "nominalQuota: 64")
        .replace(
            "namespaceSelector: {}, resourceGroups",
            "namespaceSelector: {}, preemption: {withinClusterQueue: LowerPriority}, resourceGroups",
        )
        .replace("kueue:\n  objects:\n", &format!("kueue:\n  objects:\n{PRIORITIES}"));
    let train_at = text.find("- at: 0s").expect("one workload");
    let train = text[train_at..].to_string();
    let urgent = with_priority(
        train
            .replace("at: 0s", "at: 10m")
            .replace("name: train", "name: urgent"),
        "high",
    );
    format!(
        "{}{}{urgent}",
        &text[..train_at],
        with_priority(train, "low")
    )
}

#[test]
fn tas_preempts_a_lower_priority_workload_whose_domains_it_needs() {
    // Mirrors Kueue's scheduler TAS preemption (flavorassigner.go: quota fits, placement does
    // not => Preempt; preemption.go workloadFits checks the placement with the targets gone):
    // `urgent`'s quota fits, but only one pool of the three is free for its two slices.
    let sim = run(&tas_preemption_scenario());
    let train = workload(&sim, "train");
    let urgent = workload(&sim, "urgent");
    let reasons: Vec<_> = (train.evictions.iter())
        .map(|e| (e.reason, e.preempted_reason))
        .collect();
    assert_eq!(reasons, [("Preempted", Some("InClusterQueue"))]);
    let preempted_at = secs(Some(train.evictions[0].at_ns));
    assert!((600.0..601.0).contains(&preempted_at), "{preempted_at}");
    let urgent_admitted = secs(urgent.first_admitted_ns);
    assert!(
        (600.0..660.0).contains(&urgent_admitted),
        "admitted once train's pods are gone: {urgent_admitted}"
    );
    // `train` comes back when `urgent` ends: its quota fitted all along, its placement not,
    // and it may not preempt a higher priority. It then runs its hour again.
    let train_done = secs(train.finished_ns);
    assert!(
        train_done >= secs(urgent.finished_ns) + 3600.0,
        "{train_done}"
    );
    assert_eq!(
        (train.state, urgent.state),
        (WlState::Finished, WlState::Finished)
    );
}

#[test]
fn tas_does_not_preempt_when_the_empty_topology_cannot_hold_the_workload() {
    // Four slices of one pool each on three pools: no preemption can help (Kueue's
    // WithSimulateEmpty check => NoFit), so `train` keeps running and `urgent` never starts.
    let text = tas_preemption_scenario();
    let urgent_at = text.find("name: urgent").expect("urgent");
    let (head, tail) = text.split_at(urgent_at);
    let text = format!("{head}{}", tail.replacen("replicas: 2", "replicas: 4", 1));
    let sim = run(&text);
    let train = workload(&sim, "train");
    let urgent = workload(&sim, "urgent");
    assert!(train.evictions.is_empty(), "{:?}", train.evictions);
    assert_eq!(urgent.first_admitted_ns, None);
    let (reason, message) = &urgent.pending_reason;
    assert_eq!(
        *reason, "Pending",
        "no fit, rather than waiting for preemption"
    );
    assert!(
        message.contains("couldn't assign flavors to pod set slice"),
        "{message}"
    );
}

#[test]
fn a_parent_cohort_panel_sums_the_queues_of_its_child_cohorts() {
    // org ⊃ {research ⊃ {a, b}, c}: research's panel sums a and b, org's sums all three,
    // though org has one ClusterQueue of its own.
    let cohort = |name: &str, parent: &str| {
        format!("  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: Cohort, metadata: {{name: {name}}}, spec: {{{parent}}}}}\n")
    };
    let queues = [
        cohort("org", ""),
        cohort("research", "parentName: org"),
        queue("a", 8, ", cohortName: research"),
        queue("b", 8, ", cohortName: research"),
        queue("c", 8, ", cohortName: org"),
    ]
    .concat();
    let text = scenario(
        4,
        &queues,
        "",
        &[
            jobset("ja", "a", 4, 1, "0s", "10m"),
            jobset("jb", "b", 4, 1, "0s", "10m"),
            jobset("jc", "c", 8, 1, "0s", "10m"),
        ],
    );
    let sim = run(&text);
    let panels = crate::report::kueue::queue_panels(&sim);
    let titles: Vec<(&str, &str, f64)> = (panels.iter())
        .map(|p| (p.key.as_str(), p.title.as_str(), p.quota))
        .collect();
    assert_eq!(
        titles[3..],
        [
            ("kueue.cohort.research", "Cohort research (a + b)", 16.0),
            ("kueue.cohort.org", "Cohort org (a + b + c)", 24.0),
        ]
    );
    let peak = |key: &str| {
        let p = panels.iter().find(|p| p.key == key).expect("panel");
        p.usage.iter().map(|&(_, u)| u).fold(0.0, f64::max)
    };
    assert_eq!(
        (peak("kueue.cohort.research"), peak("kueue.cohort.org")),
        (8.0, 16.0)
    );
}

#[test]
fn a_recovery_kueue_cannot_place_again_says_kueue_holds_the_jobset() {
    // Hosts of two of the three pools fail for good at 20 min: after the NodeFailures
    // eviction the two slices fit one whole pool, so the Workload waits and the JobSet's
    // recovery stalls. Its diagnosis leads with Kueue's reason, in Kueue's words.
    let faults = "faults:\n- {kind: scripted, at: 20m, node: p-0-1, repairAfter: 10h}\n- {kind: scripted, at: 20m, node: p-1-1, repairAfter: 10h}\n";
    let sim = run(&tas_scenario(faults));
    let entries = crate::report::recoveries::build(&sim);
    let open: Vec<_> = entries.iter().filter(|e| e.state != "recovered").collect();
    assert_eq!(
        open.len(),
        1,
        "{:?}",
        entries.iter().map(|e| &e.state).collect::<Vec<_>>()
    );
    let first = open[0].diagnosis.first().expect("a diagnosis");
    assert!(
        first.starts_with("JobSet suspended by Kueue: Workload pending in ClusterQueue q (Pending: couldn't assign flavors to pod set slice: "),
        "{first}"
    );
}

fn with_max_exec(jobset: String, seconds: &str) -> String {
    jobset.replace(
        "labels: {kueue.x-k8s.io/queue-name:",
        &format!("labels: {{kueue.x-k8s.io/max-exec-time-seconds: \"{seconds}\", kueue.x-k8s.io/queue-name:"),
    )
}

#[test]
fn a_workload_past_its_maximum_execution_time_is_deactivated() {
    // Mirrors workload_controller_test.go TestReconcile "deactivated workload with max
    // execution time exceeded" (reconcileMaxExecutionTime): the budget counts from the
    // Admitted=True transition; the eviction is DeactivatedDueToMaximumExecutionTimeExceeded.
    let text = scenario(
        4,
        &queue("team", 16, ""),
        "",
        &[with_max_exec(
            jobset("train", "team", 4, 1, "0s", "1h"),
            "600",
        )],
    );
    let sim = run(&text);
    let w = workload(&sim, "train");
    assert!(w.deactivated);
    let reasons: Vec<(&str, f64)> = (w.evictions.iter())
        .map(|e| (e.reason, secs(Some(e.at_ns))))
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons[0].0, "DeactivatedDueToMaximumExecutionTimeExceeded");
    let admitted = secs(w.first_admitted_ns);
    assert!(
        (reasons[0].1 - admitted - 600.0).abs() < 1e-6,
        "{reasons:?} {admitted}"
    );
    assert_eq!(
        w.pending_reason.1,
        "The workload is deactivated due to exceeding the maximum execution time"
    );
    let js = &sim.store.jobsets[w.js as usize];
    assert_eq!(js.status.terminal_state, None, "suspended, never finished");
    assert!(
        js.spec.spec.suspend == Some(true),
        "the JobSet stays suspended"
    );
}

#[test]
fn the_maximum_execution_time_counts_every_admission() {
    // accumulatedPastExecutionTimeSeconds: `low` runs 10 min of its 20, is preempted by
    // `high` (10 min), then is admitted again with 10 min left.
    let queues = queue(
        "team",
        4,
        ", preemption: {withinClusterQueue: LowerPriority}",
    );
    let text = scenario(
        4,
        &queues,
        "",
        &[
            with_priority(
                with_max_exec(jobset("low", "team", 4, 1, "0s", "1h"), "1200"),
                "low",
            ),
            with_priority(jobset("high", "team", 4, 1, "10m", "10m"), "high"),
        ],
    )
    .replace("  objects:\n", &format!("  objects:\n{PRIORITIES}"));
    let sim = run(&text);
    let low = workload(&sim, "low");
    let reasons: Vec<&str> = low.evictions.iter().map(|e| e.reason).collect();
    assert_eq!(
        reasons,
        ["Preempted", "DeactivatedDueToMaximumExecutionTimeExceeded"]
    );
    let first_run = secs(Some(low.evictions[0].at_ns)) - secs(low.first_admitted_ns);
    assert!((599.0..=601.0).contains(&first_run), "{first_run}");
    // Readmitted once `high` finishes (its quota freed, then the 1 s requeue trigger), it
    // has the other 600 s left.
    let high_done = secs(workload(&sim, "high").finished_ns);
    let deactivated = secs(Some(low.evictions[1].at_ns));
    let left = 1200.0 - first_run.floor();
    assert!(
        (deactivated - high_done - left) >= 0.0 && (deactivated - high_done - left) < 5.0,
        "high done at {high_done}, low deactivated at {deactivated}"
    );
}

/// Two Kubernetes PriorityClasses, one the global default.
const POD_PRIORITIES: &str = "  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: urgent}, value: 1000}\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: batch}, value: 50, globalDefault: true}\n";

fn with_pod_priority(jobset: String, class: &str) -> String {
    jobset.replace(
        "              spec:\n                restartPolicy: Never\n",
        &format!("              spec:\n                priorityClassName: {class}\n                restartPolicy: Never\n"),
    )
}

#[test]
fn a_pod_priority_class_gives_the_workload_its_priority() {
    // ExtractPriority (kueue-semantics §1.6): no WorkloadPriorityClass label, so the first
    // pod template's priorityClassName decides (`urgent`, 1000); without one, the global
    // default PriorityClass (`batch`, 50). `urgent` preempts `plain` in a LowerPriority queue.
    let queues = queue(
        "team",
        4,
        ", preemption: {withinClusterQueue: LowerPriority}",
    );
    let text = scenario(
        4,
        &queues,
        "",
        &[
            jobset("plain", "team", 4, 1, "0s", "1h"),
            with_pod_priority(jobset("rush", "team", 4, 1, "10m", "10m"), "urgent"),
        ],
    )
    .replace("  objects:\n", &format!("  objects:\n{POD_PRIORITIES}"));
    let sim = run(&text);
    let (plain, rush) = (workload(&sim, "plain"), workload(&sim, "rush"));
    assert_eq!((plain.priority, rush.priority), (50, 1000));
    let reasons: Vec<&str> = plain.evictions.iter().map(|e| e.reason).collect();
    assert_eq!(reasons, ["Preempted"]);
    assert!(
        secs(rush.first_admitted_ns) < 700.0,
        "admitted soon after 600 s"
    );
}

#[test]
fn a_workload_priority_class_label_wins_over_the_pod_priority_class() {
    let text = scenario(
        4,
        &queue("team", 4, ""),
        "",
        &[with_priority(
            with_pod_priority(jobset("both", "team", 4, 1, "0s", "10m"), "urgent"),
            "low",
        )],
    )
    .replace(
        "  objects:\n",
        &format!("  objects:\n{POD_PRIORITIES}{PRIORITIES}"),
    );
    let sim = run(&text);
    assert_eq!(workload(&sim, "both").priority, 10);
}

#[test]
fn past_the_requeuing_limit_a_workload_is_deactivated_with_its_cause() {
    // Mirrors workload_controller_test.go TestReconcile "should set the Evicted condition with
    // DeactivatedDueToRequeuingLimitExceeded reason" (triggerDeactivationOrBackoffRequeue):
    // with backoffLimitCount 0 the first PodsReady timeout deactivates instead of requeuing.
    let hog = jobset("hog", "none", 2, 8, "0s", "1h")
        .replace(", labels: {kueue.x-k8s.io/queue-name: none}", "");
    let text = scenario(
        2,
        &queue("team", 32, ""),
        "waitForPodsReady: {timeout: 5m, requeuingStrategy: {backoffLimitCount: 0}}",
        &[hog, jobset("stuck", "team", 1, 4, "1s", "1m")],
    )
    .replace("until: 6h", "until: 20m");
    let sim = run(&text);
    let w = workload(&sim, "stuck");
    let reasons: Vec<&str> = w.evictions.iter().map(|e| e.reason).collect();
    assert_eq!(reasons, ["DeactivatedDueToRequeuingLimitExceeded"]);
    assert!(w.deactivated);
    assert_eq!(
        w.pending_reason.1,
        "The workload is deactivated due to exceeding the maximum number of re-queuing retries"
    );
}

/// A JobSet of two replicated jobs of 4 one-cpu pods each: `short` runs 2 minutes, `long` 30.
fn two_phase_jobset(name: &str, at: &str) -> String {
    jobset(name, "team", 4, 1, at, "30m")
        .replace(
            "  pods: {runFor: 30m}\n",
            "  pods: {runFor: 30m, replicatedJobs: {short: {runFor: 2m}}}\n",
        )
        .replace(
            "      replicatedJobs:\n      - name: workers\n",
            "      replicatedJobs:\n      - name: short\n        template:\n          spec:\n            parallelism: 4\n            completions: 4\n            template:\n              spec:\n                restartPolicy: Never\n                containers: [{name: main, image: busybox, resources: {requests: {cpu: \"1\"}}}]\n      - name: long\n",
        )
}

#[test]
fn a_succeeded_replicated_job_gives_its_quota_back_while_the_jobset_runs() {
    // kueue-semantics §3.4 (JobSet.ReclaimablePods, jobset_controller_test.go
    // TestReclaimablePods): once `short` succeeds, its 4 pods are reclaimable, the Workload's
    // usage drops from 8 to 4 cpu, and the 8-cpu JobSet waiting on the 12-cpu queue is
    // admitted one requeue batch (1 s) later, long before the first JobSet finishes.
    let jobs = [
        two_phase_jobset("phased", "0s"),
        jobset("next", "team", 8, 1, "1s", "10m"),
    ];
    let sim = run(&scenario(4, &queue("team", 12, ""), "", &jobs));
    let (phased, next) = (workload(&sim, "phased"), workload(&sim, "next"));
    assert_eq!(phased.reclaimable, [4, 0]);
    let next_in = secs(next.first_admitted_ns);
    assert!(
        (120.0..130.0).contains(&next_in),
        "admitted once `short` succeeded: {next_in}"
    );
    assert!(next_in < secs(phased.finished_ns));
    // The gate off: `next` waits for the whole first JobSet.
    let off = run(&scenario(
        4,
        &queue("team", 12, ""),
        "featureGates: {ReclaimablePods: false}",
        &jobs,
    ));
    let (phased, next) = (workload(&off, "phased"), workload(&off, "next"));
    assert_eq!(phased.reclaimable, [0, 0]);
    assert!(secs(next.first_admitted_ns) >= secs(phased.finished_ns) + 1.0);
}

#[test]
fn the_queue_usage_series_shows_the_reclaimed_quota() {
    // The ClusterQueue's usage falls from 8 to 4 cpu when `short` succeeds, with no other
    // Workload around to take it.
    let sim = run(&scenario(
        4,
        &queue("team", 12, ""),
        "",
        &[two_phase_jobset("phased", "0s")],
    ));
    let summary = crate::report::kueue::build(&sim).expect("kueue on");
    let series = &summary.cluster_queues[0].series;
    let cpu: Vec<f64> = series.iter().map(|p| p.usage["default/cpu"]).collect();
    assert!(cpu.windows(2).any(|w| w == [8.0, 4.0]), "{cpu:?}");
    let w = &summary.workloads[0];
    assert_eq!(
        w.reclaimable_pods,
        std::collections::BTreeMap::from([("short".to_string(), 4)])
    );
}

#[test]
fn reclaimable_counts_never_go_down_while_the_workload_holds_quota() {
    // `validateReclaimablePodsUpdate`: the Workload webhook refuses a lower count while quota
    // is reserved. A JobSet restart at 5 min recreates `short`'s succeeded Jobs, so the count
    // Kueue derives drops to 0; the write is refused and the Workload keeps 4 reclaimable
    // pods (and 4 cpu of usage) while `short` runs again.
    let text = scenario(
        4,
        &queue("team", 12, ""),
        "",
        &[two_phase_jobset("phased", "0s")
            .replace(
                "      replicatedJobs:\n",
                "      failurePolicy: {maxRestarts: 1}\n      replicatedJobs:\n",
            )
            .replace("            parallelism: 4\n", "            parallelism: 4\n            backoffLimit: 0\n")
            .replace(
                "replicatedJobs: {short: {runFor: 2m}}}",
                "replicatedJobs: {short: {runFor: 2m}}, exits: [{replicatedJob: long, attempt: 0, after: 5m, exitCode: 1}]}",
            )],
    )
    .replace("until: 6h", "until: 6m");
    let sim = run(&text);
    assert_eq!(sim.store.jobsets[0].status.restarts, 1, "restarted once");
    let w = workload(&sim, "phased");
    assert_eq!(w.state, WlState::Admitted);
    assert_eq!(w.reclaimable, [4, 0]);
    assert_eq!(w.podsets[0].count, 0);
    let running_short = (sim.store.jobsets[0].status.replicated_jobs.iter())
        .find(|r| r.name == "short")
        .map_or(0, |r| r.active);
    assert_eq!(running_short, 1, "short runs again after the restart");
}

#[test]
fn a_queue_gets_a_timeline_panel_per_resource_it_used_or_holds() {
    // A ClusterQueue covering cpu and memory: cpu used most, so its panel comes first, then
    // memory; the csv lists the queue's pending count once, then each pair's columns.
    let queues = "  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: ClusterQueue, metadata: {name: team}, spec: {namespaceSelector: {}, resourceGroups: [{coveredResources: [cpu, memory], flavors: [{name: default, resources: [{name: cpu, nominalQuota: 16}, {name: memory, nominalQuota: 8Gi}]}]}]}}\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {namespace: default, name: team}, spec: {clusterQueue: team}}\n";
    let sim = run(&scenario(
        4,
        queues,
        "",
        &[jobset("train", "team", 4, 2, "0s", "10m")],
    ));
    let panels = crate::report::kueue::queue_panels(&sim);
    let shown: Vec<(&str, &str)> = (panels.iter())
        .map(|p| (p.key.as_str(), p.resource.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("kueue.cq.team", "default/cpu"),
            ("kueue.cq.team", "default/memory")
        ]
    );
    assert_eq!(panels[1].quota, 8.0 * 1024.0 * 1024.0 * 1024.0);
    let csv = String::from_utf8(crate::report::timeline::csv(&sim).expect("csv")).expect("utf-8");
    let header = csv.lines().next().expect("header");
    assert!(
        header.ends_with(",kueue.cq.team.pending,kueue.cq.team.default/cpu.in_use,kueue.cq.team.default/cpu.borrowed,kueue.cq.team.default/memory.in_use,kueue.cq.team.default/memory.borrowed"),
        "{header}"
    );
}

#[test]
fn an_entry_without_preemption_candidates_holds_its_empty_topology_domains() {
    // scheduler.go `reserveCapacityForUnreclaimablePreempt` / `netUsage`: `urgent` (three
    // one-pool slices) fits queue `q`'s quota but not the topology while `train` holds a
    // pool, and `q` may not preempt, so it has no candidates. It holds the three pools it
    // would take on the empty topology for the rest of the cycle, so `small` (queue `b`,
    // lower priority, one pool) does not slip into a free pool and waits for `urgent`. The
    // two queues share a cohort, so `urgent`'s end requeues `small` (Kueue requeues the
    // parked Workloads of the finished one's cohort tree only).
    let text = tas_scenario("")
        .replace("nominalQuota: 48", "nominalQuota: 64")
        .replace(
            "metadata: {name: q}, spec: {namespaceSelector",
            "metadata: {name: q}, spec: {cohortName: pools, namespaceSelector",
        )
        .replace("replicas: 2", "replicas: 1")
        .replace("kueue:\n  objects:\n", &format!("kueue:\n  objects:\n{PRIORITIES}"))
        .replace(
            "workloads:\n",
            "  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: ClusterQueue, metadata: {name: b}, spec: {cohortName: pools, namespaceSelector: {}, resourceGroups: [{coveredResources: [google.com/tpu], flavors: [{name: tpu, resources: [{name: google.com/tpu, nominalQuota: 16}]}]}]}}\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {namespace: default, name: b}, spec: {clusterQueue: b}}\nworkloads:\n",
        );
    let train_at = text.find("- at: 0s").expect("one workload");
    let train = text[train_at..].to_string();
    let urgent = with_priority(
        (train.replace("at: 0s", "at: 10m"))
            .replace("name: train", "name: urgent")
            .replace("replicas: 1", "replicas: 3"),
        "high",
    );
    let small = with_priority(
        (train.replace("at: 0s", "at: 10m"))
            .replace("name: train", "name: small")
            .replace("queue-name: q", "queue-name: b"),
        "low",
    );
    let text = format!(
        "{}{}{urgent}{small}",
        &text[..train_at],
        with_priority(train, "low")
    );
    let sim = run(&text);
    let (train, urgent, small) = (
        workload(&sim, "train"),
        workload(&sim, "urgent"),
        workload(&sim, "small"),
    );
    assert!(train.evictions.is_empty(), "{:?}", train.evictions);
    let urgent_in = secs(urgent.first_admitted_ns);
    assert!(urgent_in >= secs(train.finished_ns), "{urgent_in}");
    let small_in = secs(small.first_admitted_ns);
    assert!(
        small_in >= secs(urgent.finished_ns),
        "small waited for urgent: {small_in}"
    );
}

/// ClusterQueue `shared` (8 cpu; `scope`: its extra spec keys, flow style) and LocalQueues
/// `lq-a` (weight 1), `lq-b` (weight 1) and `lq-zero` (weight 0) feeding it.
fn afs_queues(scope: &str) -> String {
    let lq = |name: &str, weight: &str| {
        format!("  - {{apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {{namespace: default, name: {name}}}, spec: {{clusterQueue: shared, fairSharing: {{weight: \"{weight}\"}}}}}}\n")
    };
    let cq = queue("shared", 8, scope);
    let cq = cq.lines().next().expect("the ClusterQueue line");
    format!(
        "{cq}\n{}{}{}",
        lq("lq-a", "1"),
        lq("lq-b", "1"),
        lq("lq-zero", "0")
    )
}

const AFS_CONFIG: &str =
    "admissionFairSharing: {usageHalfLifeTime: 10m, usageSamplingInterval: 1m}";
const AFS_SCOPE: &str = ", admissionScope: {admissionMode: UsageBasedAdmissionFairSharing}";

/// The order in which the JobSets were first admitted.
fn admission_order(sim: &Sim, names: &[&str]) -> Vec<String> {
    let mut order: Vec<(u64, String)> = (names.iter())
        .map(|n| {
            (
                workload(sim, n).first_admitted_ns.expect("admitted"),
                n.to_string(),
            )
        })
        .collect();
    order.sort();
    order.into_iter().map(|(_, n)| n).collect()
}

#[test]
fn admission_fair_sharing_admits_the_less_used_local_queue_first() {
    // Mirrors Kueue's TestScheduleForAFS "admits workload from less active localqueue": lq-a
    // has used the queue (a1 ran for 10 min), so b1 goes before the older a2. Without the
    // admission scope the queue is FIFO by creation time.
    let workloads = [
        jobset("a1", "lq-a", 8, 1, "0s", "10m"),
        jobset("a2", "lq-a", 8, 1, "1s", "10m"),
        jobset("b1", "lq-b", 8, 1, "2s", "10m"),
    ];
    let names = ["a1", "a2", "b1"];
    let fair = run(&scenario(2, &afs_queues(AFS_SCOPE), AFS_CONFIG, &workloads));
    assert_eq!(admission_order(&fair, &names), ["a1", "b1", "a2"]);
    let fifo = run(&scenario(2, &afs_queues(""), AFS_CONFIG, &workloads));
    assert_eq!(admission_order(&fifo, &names), ["a1", "a2", "b1"]);
}

#[test]
fn admission_fair_sharing_puts_a_zero_weight_local_queue_last() {
    // Mirrors "does not prioritize a zero-weight localqueue": z1 is older than a1, both
    // queues unused, but a weight of 0 scores +inf.
    let workloads = [
        jobset("blocker", "lq-b", 8, 1, "0s", "10m"),
        jobset("z1", "lq-zero", 8, 1, "1s", "10m"),
        jobset("a1", "lq-a", 8, 1, "2s", "10m"),
    ];
    let names = ["blocker", "z1", "a1"];
    let sim = run(&scenario(2, &afs_queues(AFS_SCOPE), AFS_CONFIG, &workloads));
    assert_eq!(admission_order(&sim, &names), ["blocker", "a1", "z1"]);
}

#[test]
fn admission_fair_sharing_forgets_usage_by_its_half_life() {
    // lq-a used the queue for an hour (a1), lq-b for the last ten minutes (b0). With a 1-min
    // half-life lq-a's hour is forgotten 11 min later and lq-b's recent use counts: a2 first.
    // With a 1000-h half-life both uses are kept and lq-a's hour outweighs: b1 first.
    let workloads = [
        jobset("a1", "lq-a", 8, 1, "0s", "60m"),
        jobset("b0", "lq-b", 8, 1, "61m", "10m"),
        jobset("a2", "lq-a", 8, 1, "62m", "10m"),
        jobset("b1", "lq-b", 8, 1, "63m", "10m"),
    ];
    let names = ["a2", "b1"];
    let config = |half_life: &str| {
        format!(
            "admissionFairSharing: {{usageHalfLifeTime: {half_life}, usageSamplingInterval: 1m}}"
        )
    };
    let short = run(&scenario(
        2,
        &afs_queues(AFS_SCOPE),
        &config("1m"),
        &workloads,
    ));
    assert_eq!(admission_order(&short, &names), ["a2", "b1"]);
    let long = run(&scenario(
        2,
        &afs_queues(AFS_SCOPE),
        &config("1000h"),
        &workloads,
    ));
    assert_eq!(admission_order(&long, &names), ["b1", "a2"]);
}

/// ClusterQueue `team` (16 cpu) ordered by admission fair sharing, with check `prov` scripted
/// by `script`, and JobSet `train` (4 pods of 1 cpu for 10 min) through LocalQueue `team`,
/// run until `until`.
fn afs_checked_run(script: &str, until: &str) -> Sim {
    let extra =
        format!("{AFS_SCOPE}, admissionChecksStrategy: {{admissionChecks: [{{name: prov}}]}}");
    let mut q = queue("team", 16, &extra);
    q.push_str("  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: AdmissionCheck, metadata: {name: prov}, spec: {controllerName: kueue.x-k8s.io/provisioning-request}}\n");
    q.push_str(&format!("  admissionCheckScripts:\n  - {script}\n"));
    let text = scenario(
        2,
        &q,
        AFS_CONFIG,
        &[jobset("train", "team", 4, 1, "0s", "10m")],
    );
    run(&text.replace("until: 6h", &format!("until: {until}")))
}

/// LocalQueue `team`'s admission-fair-sharing ledger as the summary reports it.
fn afs_ledger(sim: &Sim) -> crate::report::kueue::LqFairSharing {
    let summary = crate::report::kueue::build(sim).expect("a Kueue run");
    let lq = (summary.local_queues.into_iter())
        .find(|l| l.name == "team")
        .expect("LocalQueue team");
    lq.admission_fair_sharing
        .expect("its ClusterQueue uses admission fair sharing")
}

/// α × 4 cpu with α = 1 − 0.5^(elapsed / 10 min): what 4 cpu adds over `elapsed_s`.
fn four_cpu_decayed(elapsed_s: f64) -> f64 {
    4.0 * (1.0 - 0.5f64.powf(elapsed_s / 600.0))
}

#[test]
fn admission_fair_sharing_charges_one_entry_penalty_through_admission_checks() {
    // Mirrors Kueue's scheduler `updateEntryPenalty` (pushed once when quota is reserved,
    // `shouldApplyEntryPenalty`) and workload_controller `updateAfsConsumedUsage` (folded in
    // at Admitted=True): 90 s of waiting for the check holds one penalty of α(1 min) × 4 cpu,
    // never a second at admission, and admission settles it into the consumed usage.
    let penalty = four_cpu_decayed(60.0);
    let waiting = afs_ledger(&afs_checked_run("{check: prov, readyAfter: 90s}", "60s"));
    assert_eq!(waiting.pending_penalty_at_end.len(), 1);
    assert!((waiting.pending_penalty_at_end["cpu"] - penalty).abs() < 1e-12);
    assert!(
        waiting.consumed_resources_at_end.is_empty(),
        "nothing admitted yet"
    );
    assert_eq!(waiting.fair_sharing_usage_at_end, Some(penalty));

    let sim = afs_checked_run("{check: prov, readyAfter: 90s}", "6h");
    let admitted_s = secs(workload(&sim, "train").first_admitted_ns);
    let ledger = afs_ledger(&sim);
    let at = |t: f64| {
        ledger
            .series
            .iter()
            .rev()
            .find(|p| p.time_s <= t)
            .expect("a point")
    };
    let before = at(admitted_s - 1e-9);
    assert!((before.pending_penalty["cpu"] - penalty).abs() < 1e-12);
    let after = at(admitted_s);
    assert!(after.pending_penalty.is_empty(), "{after:?}");
    // The last sample before the admission (at 60 s) held nothing: the usage decays toward
    // the 4 cpu now admitted over the time since, and the penalty is folded in once.
    let since_s = admitted_s - 60.0;
    let expected = four_cpu_decayed(since_s) + penalty;
    assert!(
        (after.consumed_resources["cpu"] - expected).abs() < 1e-9,
        "{after:?} expected {expected}"
    );
    assert_eq!(
        after.fair_sharing_usage,
        Some(after.consumed_resources["cpu"])
    );
}

#[test]
fn admission_fair_sharing_keeps_the_penalty_of_an_evicted_workload_and_drops_a_rejected_ones() {
    // Mirrors workload_controller.go's Update handler: "An evicted Workload that stays active
    // on the same LocalQueue keeps its record" (the check's Retry evicts it; its next
    // reservation replaces the record), and a Workload inactive with its reservation gone
    // loses it (`SubPenalty`): a rejected check deactivates it, and the penalty goes when the
    // quota is released.
    let penalty = four_cpu_decayed(60.0);
    let retry = "{check: prov, attempts: [{outcome: Retry, after: 30s, requeueAfterSeconds: 60}, {outcome: Ready, after: 20s}]}";
    // At 60 s the Workload is evicted (30 s) and waits out its 60 s back-off.
    let backing_off = afs_checked_run(retry, "60s");
    assert_eq!(workload(&backing_off, "train").evictions.len(), 1);
    assert_eq!(workload(&backing_off, "train").state, WlState::BackingOff);
    let ledger = afs_ledger(&backing_off);
    assert!((ledger.pending_penalty_at_end["cpu"] - penalty).abs() < 1e-12);
    // Reserved again, then admitted: one penalty settled, none left.
    let done = afs_ledger(&afs_checked_run(retry, "6h"));
    assert!(done.pending_penalty_at_end.is_empty());

    let rejected = afs_checked_run(
        "{check: prov, attempts: [{outcome: Rejected, after: 45s}]}",
        "6h",
    );
    let w = workload(&rejected, "train");
    assert!(w.deactivated && w.first_admitted_ns.is_none());
    let ledger = afs_ledger(&rejected);
    assert!(ledger.pending_penalty_at_end.is_empty(), "{ledger:?}");
    assert!(
        ledger.consumed_resources_at_end.is_empty(),
        "never admitted"
    );
    assert_eq!(ledger.fair_sharing_usage_at_end, Some(0.0));
    // While the check was pending the penalty counted.
    let held = ledger
        .series
        .iter()
        .any(|p| p.pending_penalty.get("cpu") == Some(&penalty));
    assert!(held, "{ledger:?}");
}

#[test]
fn local_queues_report_each_teams_wait_and_ledger() {
    // The admission-fair-sharing scenario (README): team-b's two trainings go before team-a's
    // last two, so team-b waits for one training (1 h from 10 min) and team-a's last two wait
    // for two (2 h).
    let scenario =
        crate::scenario::load_scenario(&repo().join("scenarios/kueue/admission-fair-sharing.yaml"))
            .unwrap();
    let sim = simulate_scenario(scenario);
    let summary = crate::report::kueue::build(&sim).expect("a Kueue run");
    let lqs = &summary.local_queues;
    let names: Vec<&str> = lqs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["team-a", "team-b"]);
    let (a, b) = (&lqs[0], &lqs[1]);
    assert_eq!(
        (a.workloads, a.admitted_workloads, a.pending_at_end),
        (4, 4, 0)
    );
    assert_eq!(
        (b.workloads, b.admitted_workloads, b.pending_at_end),
        (2, 2, 0)
    );
    let b_wait = b.queued_s_max.expect("admitted");
    assert!((b_wait - 3000.0).abs() < 5.0, "{b_wait}");
    let a_wait = a.queued_s_max.expect("admitted");
    assert!((a_wait - 7200.0).abs() < 10.0, "{a_wait}");
    let (fa, fb) = (
        a.admission_fair_sharing.as_ref().expect("fair sharing"),
        b.admission_fair_sharing.as_ref().expect("fair sharing"),
    );
    // When team-b was admitted (about 1 h) team-a's usage was above team-b's.
    let usage_at = |f: &crate::report::kueue::LqFairSharing, t: f64| {
        (f.series.iter().rev().find(|p| p.time_s < t))
            .map_or(0.0, |p| p.fair_sharing_usage.expect("weight 1"))
    };
    let t = b.queued_s_max.unwrap() + 600.0;
    assert!(usage_at(fa, t) > usage_at(fb, t) + 1.0);
    // Every point is in time order, and the end matches the last point.
    assert!(fa.series.windows(2).all(|w| w[0].time_s < w[1].time_s));
    let last = fa.series.last().expect("points");
    assert_eq!(last.fair_sharing_usage, fa.fair_sharing_usage_at_end);
    assert_eq!(last.consumed_resources, fa.consumed_resources_at_end);
}

#[test]
fn an_eviction_is_marked_only_on_the_panels_of_the_quota_it_held() {
    // A ClusterQueue covering cpu and memory; "stuck" asks for cpu only and is evicted at the
    // PodsReady timeout: its marker is on the cpu panel, not on the memory one.
    let queues = "  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: ClusterQueue, metadata: {name: team}, spec: {namespaceSelector: {}, resourceGroups: [{coveredResources: [cpu, memory], flavors: [{name: default, resources: [{name: cpu, nominalQuota: 32}, {name: memory, nominalQuota: 8Gi}]}]}]}}\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {namespace: default, name: team}, spec: {clusterQueue: team}}\n";
    let hog = jobset("hog", "none", 2, 8, "0s", "1h")
        .replace(", labels: {kueue.x-k8s.io/queue-name: none}", "");
    let text = scenario(
        2,
        queues,
        "waitForPodsReady: {timeout: 5m}",
        &[hog, jobset("stuck", "team", 1, 4, "1s", "1m")],
    )
    .replace("until: 6h", "until: 20m");
    let sim = run(&text);
    assert!(!workload(&sim, "stuck").evictions.is_empty());
    let panels = crate::report::kueue::queue_panels(&sim);
    let marks = |resource: &str| {
        let p = (panels.iter().find(|p| p.resource == resource)).expect("a panel");
        p.evictions.len()
    };
    assert_eq!(
        marks("default/cpu"),
        workload(&sim, "stuck").evictions.len()
    );
    assert_eq!(marks("default/memory"), 0);
}

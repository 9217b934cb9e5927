//! kube-scheduler priority preemption (DefaultPreemption, `scheduler/preemption.rs`): who
//! preempts, whom, on which node, and what the victims' Jobs do.

use super::common::*;
use crate::sim::Sim;

/// A JobSet of one Job of `pods` pods of `cpu` cpu each, its pods in PriorityClass `class`
/// (or none), created at `at`.
fn jobset(name: &str, at: &str, pods: u32, cpu: u32, class: Option<&str>, extra: &str) -> String {
    let class = class.map_or(String::new(), |c| format!(", priorityClassName: {c}"));
    format!(
        "- at: {at}\n  pods: {{runFor: 2h}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: {name}}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec: {{parallelism: {pods}, completions: {pods}, backoffLimit: 100, template: {{spec: {{restartPolicy: Never{class}{extra}, containers: [{{name: c, resources: {{requests: {{cpu: {cpu}}}}}}}]}}}}}}\n"
    )
}

/// PriorityClasses low (10), mid (100), high (1000) and never (1000, preemptionPolicy Never).
const CLASSES: &str = "kueue:\n  objects:\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: low}, value: 10}\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: mid}, value: 100}\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high}, value: 1000}\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: never}, value: 1000, preemptionPolicy: Never}\n";

fn scenario(seed: u64, nodes: &str, workloads: &[String]) -> String {
    format!(
        "name: preemption\nrun: {{seed: {seed}, until: 1h}}\ncluster:\n  nodePools:\n{nodes}{CLASSES}workloads:\n{}",
        workloads.concat()
    )
}

const TWO_NODES: &str = "  - {name: n, nodesPerPool: 2, capacity: {cpu: 4}}\n";

fn run(text: &str) -> Sim {
    let scenario =
        crate::scenario::load_scenario_from_str("s.yaml", text, std::path::Path::new("."))
            .expect("valid scenario");
    // `pods_of` walks the deleted victims after the run.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    simulate_scenario(scenario)
}

/// The pods of JobSet `name`'s Job: (bound node name, deleted, preempted).
fn pods_of(sim: &Sim, name: &str) -> Vec<(Option<String>, bool, bool)> {
    let js = (sim.store.jobsets.iter())
        .position(|j| j.spec.metadata.name == name)
        .expect("the JobSet exists");
    (sim.pods.iter())
        .filter(|p| sim.store.jobs[p.job as usize].jobset as usize == js)
        .map(|p| {
            (
                p.node.map(|n| sim.cluster.node(n).name.clone()),
                p.deletion_ns.is_some(),
                p.disruption_target && p.deletion_ns.is_some(),
            )
        })
        .collect()
}

fn running(pods: &[(Option<String>, bool, bool)]) -> usize {
    pods.iter().filter(|p| p.0.is_some() && !p.1).count()
}

/// A high-priority pod on a full cluster preempts one lowest-priority pod; the victim's Job
/// recreates it, and the replacement pends (the cluster is full again).
#[test]
fn high_priority_pod_preempts_lowest_priority_pod_on_full_cluster() {
    let text = scenario(
        1,
        TWO_NODES,
        &[
            jobset("low", "0s", 8, 1, Some("low"), ""),
            jobset("high", "5m", 1, 1, Some("high"), ""),
        ],
    );
    let sim = run(&text);
    let high = pods_of(&sim, "high");
    assert_eq!(high.len(), 1);
    assert!(high[0].0.is_some(), "the high-priority pod is bound");
    let low = pods_of(&sim, "low");
    let preempted = low.iter().filter(|p| p.2).count();
    assert_eq!(preempted, 1, "one victim: {low:?}");
    assert_eq!(low.len(), 9, "the victim's Job created a replacement");
    assert_eq!(running(&low), 7, "the replacement pends");
    assert_eq!(sim.scheduler.preemption_counts().0, 1);
    assert_eq!(sim.scheduler.preemption_counts().1, 1);
    let summary = crate::report::summary::build(&sim, 0);
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["scheduler"]["preemptions"], 1);
    assert_eq!(json["scheduler"]["preemption_victims"], 1);
}

/// `preemptionPolicy: Never` (from its PriorityClass) never preempts: the pod pends.
#[test]
fn preemption_policy_never_does_not_preempt() {
    let text = scenario(
        1,
        TWO_NODES,
        &[
            jobset("low", "0s", 8, 1, Some("low"), ""),
            jobset("high", "5m", 1, 1, Some("never"), ""),
        ],
    );
    let sim = run(&text);
    assert!(pods_of(&sim, "high")[0].0.is_none(), "it pends");
    assert!(pods_of(&sim, "low").iter().all(|p| !p.1));
    assert_eq!(sim.scheduler.preemption_counts().0, 0);
    let summary = serde_json::to_value(crate::report::summary::build(&sim, 0)).unwrap();
    assert!(summary["scheduler"].get("preemptions").is_none());
}

/// Equal priority never preempts (victims must have a strictly lower priority).
#[test]
fn equal_priority_never_preempts() {
    let text = scenario(
        1,
        TWO_NODES,
        &[
            jobset("first", "0s", 8, 1, Some("mid"), ""),
            jobset("second", "5m", 1, 1, Some("mid"), ""),
        ],
    );
    let sim = run(&text);
    assert!(pods_of(&sim, "second")[0].0.is_none());
    assert!(pods_of(&sim, "first").iter().all(|p| !p.1));
    assert_eq!(sim.scheduler.preemption_counts().0, 0);
}

/// The node whose victims matter least is chosen (pickOneNodeForPreemption): node a holds
/// a mid-priority pod, node b a low-priority one; the high pod preempts on b, whatever the
/// offset drawn.
#[test]
fn node_with_least_important_victims_is_chosen() {
    let nodes = "  - {name: a, nodesPerPool: 1, capacity: {cpu: 4}}\n  - {name: b, nodesPerPool: 1, capacity: {cpu: 4}}\n";
    for seed in 1..6 {
        let text = scenario(
            seed,
            nodes,
            &[
                jobset(
                    "mid",
                    "0s",
                    1,
                    4,
                    Some("mid"),
                    ", nodeSelector: {kubernetes.io/hostname: a-0}",
                ),
                jobset(
                    "low",
                    "0s",
                    1,
                    4,
                    Some("low"),
                    ", nodeSelector: {kubernetes.io/hostname: b-0}",
                ),
                jobset("high", "5m", 1, 4, Some("high"), ""),
            ],
        );
        let sim = run(&text);
        assert_eq!(
            pods_of(&sim, "high")[0].0.as_deref(),
            Some("b-0"),
            "seed {seed}"
        );
        assert!(pods_of(&sim, "mid").iter().all(|p| !p.1), "seed {seed}");
        assert_eq!(pods_of(&sim, "low").iter().filter(|p| p.2).count(), 1);
    }
}

/// Reprieve: of two low pods on the only node, the more important (the mid one) is
/// reprieved when removing the other alone makes room.
#[test]
fn reprieve_keeps_more_important_victims() {
    let nodes = "  - {name: a, nodesPerPool: 1, capacity: {cpu: 4}}\n";
    let text = scenario(
        3,
        nodes,
        &[
            jobset("mid", "0s", 1, 2, Some("mid"), ""),
            jobset("low", "0s", 1, 2, Some("low"), ""),
            jobset("high", "5m", 1, 2, Some("high"), ""),
        ],
    );
    let sim = run(&text);
    assert!(pods_of(&sim, "high")[0].0.is_some());
    assert!(pods_of(&sim, "mid").iter().all(|p| !p.1));
    assert_eq!(pods_of(&sim, "low").iter().filter(|p| p.2).count(), 1);
    assert_eq!(sim.scheduler.preemption_counts().1, 1);
}

/// The same scenario and seed give the same run, event for event.
#[test]
fn preemption_is_deterministic() {
    let nodes = "  - {name: n, nodesPerPool: 20, capacity: {cpu: 4}}\n";
    let text = |seed| {
        scenario(
            seed,
            nodes,
            &[
                jobset("low", "0s", 80, 1, Some("low"), ""),
                jobset("high", "5m", 10, 2, Some("high"), ""),
            ],
        )
    };
    let a = run(&text(7));
    let b = run(&text(7));
    assert_eq!(a.event_digest, b.event_digest);
    assert_eq!(pods_of(&a, "low"), pods_of(&b, "low"));
    assert!(
        a.scheduler.preemption_counts().0 >= 5,
        "each high pod needs room"
    );
    assert!(pods_of(&a, "high").iter().all(|p| p.0.is_some()));
}

//! kube-scheduler scoring as the default profile weighs it: NodeResourcesFit, preferred node
//! affinity (weight 2), TaintToleration for PreferNoSchedule (weight 3); ties at random.

use super::common::*;
use jobset_sim::scenario::load_scenario;

fn placements(test: &str, pools: &str, pod_extra: &str) -> Vec<String> {
    let dir = scratch(test);
    let text = format!(
        "name: {test}\nrun: {{seed: 4, until: 1h}}\ncluster:\n  nodePools:\n{pools}workloads:\n- pods: {{runFor: 10m}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: s}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec: {{parallelism: 6, completions: 6, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 1}}}}}}]{pod_extra}}}}}}}\n"
    );
    let p = write(&dir, "s.yaml", &text);
    let sim = simulate_scenario(load_scenario(&p).unwrap());
    sim.rec
        .rows
        .iter()
        .filter(|r| r.state == "Scheduled")
        .map(|r| sim.cluster.node(r.node.unwrap()).name.clone())
        .collect()
}

#[test]
fn preferred_node_affinity_attracts_pods() {
    let pools = "  - {name: fast, nodesPerPool: 2, labels: {disk: ssd}, capacity: {cpu: 64}}\n  - {name: slow, nodesPerPool: 2, labels: {disk: hdd}, capacity: {cpu: 64}}\n";
    let nodes = placements(
        "preferred_affinity",
        pools,
        ", affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}]}}",
    );
    assert_eq!(nodes.len(), 6);
    assert!(nodes.iter().all(|n| n.starts_with("fast")), "{nodes:?}");
    // Without the preference the pods spread over all four nodes.
    let nodes = placements("no_preference", pools, "");
    assert!(nodes.iter().any(|n| n.starts_with("slow")), "{nodes:?}");
}

#[test]
fn prefer_no_schedule_taints_repel_softly() {
    let pools = "  - {name: tainted, nodesPerPool: 2, capacity: {cpu: 64}, taints: [{key: spot, value: \"true\", effect: PreferNoSchedule}]}\n  - {name: clean, nodesPerPool: 2, capacity: {cpu: 64}}\n";
    let nodes = placements("soft_taint", pools, "");
    assert!(nodes.iter().all(|n| n.starts_with("clean")), "{nodes:?}");
    // Soft: when only tainted nodes have room, pods still go there.
    let pools = "  - {name: tainted, nodesPerPool: 2, capacity: {cpu: 64}, taints: [{key: spot, value: \"true\", effect: PreferNoSchedule}]}\n  - {name: clean, nodesPerPool: 1, capacity: {cpu: 2}}\n";
    let nodes = placements("soft_taint_full", pools, "");
    assert!(
        nodes.iter().filter(|n| n.starts_with("tainted")).count() >= 4,
        "{nodes:?}"
    );
}

#[test]
fn required_node_affinity_filters() {
    let pools = "  - {name: a, nodesPerPool: 2, labels: {gen: \"5\"}, capacity: {cpu: 64}}\n  - {name: b, nodesPerPool: 2, labels: {gen: \"3\"}, capacity: {cpu: 64}}\n";
    let nodes = placements(
        "required_affinity",
        pools,
        ", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: gen, operator: Gt, values: [\"4\"]}]}]}}}",
    );
    assert!(nodes.iter().all(|n| n.starts_with("a-")), "{nodes:?}");
}

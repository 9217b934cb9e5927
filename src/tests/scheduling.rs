//! kube-scheduler scoring as the default profile weighs it: NodeResourcesFit, preferred node
//! affinity (weight 2), TaintToleration for PreferNoSchedule (weight 3); ties at random.

use super::common::*;
use jobset_sim::scenario::load_scenario;

fn placements(test: &str, pools: &str, pod_extra: &str) -> Vec<String> {
    placed(test, pools, pod_extra).0
}

/// The scenario `placements` runs, as text.
fn six_pods(test: &str, pools: &str, pod_extra: &str) -> String {
    format!(
        "name: {test}\nrun: {{seed: 4, until: 1h}}\ncluster:\n  nodePools:\n{pools}workloads:\n- pods: {{runFor: 10m}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: s}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec: {{parallelism: 6, completions: 6, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 1}}}}}}]{pod_extra}}}}}}}\n"
    )
}

/// The nodes the six pods were bound to, and the nodes the scheduler examined per cycle.
fn placed(test: &str, pools: &str, pod_extra: &str) -> (Vec<String>, f64) {
    let dir = scratch(test);
    let text = six_pods(test, pools, pod_extra);
    let p = write(&dir, "s.yaml", &text);
    let sim = simulate_scenario(load_scenario(&p).unwrap());
    let nodes = sim
        .rec
        .rows
        .iter()
        .filter(|r| r.state == "Scheduled")
        .map(|r| sim.cluster.node(r.node.unwrap()).name.clone())
        .collect();
    let per_cycle = sim.scheduler.nodes_examined as f64 / sim.scheduler.cycles as f64;
    (nodes, per_cycle)
}

const FOUR_NODES: &str = "  - {name: a, nodesPerPool: 2, capacity: {cpu: 64}}\n  - {name: b, nodesPerPool: 2, capacity: {cpu: 64}}\n";

/// `matchFields metadata.name In` (how DaemonSet pods are pinned) narrows the pod to the named
/// nodes in NodeAffinity's PreFilter: Filter runs, and the cost model charges, only those.
#[test]
fn match_fields_node_name_narrows_in_prefilter() {
    let pin = |names: &str| {
        format!(", affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchFields: [{{key: metadata.name, operator: In, values: [{names}]}}]}}]}}}}}}")
    };
    let (nodes, per_cycle) = placed("match_fields_one", FOUR_NODES, &pin("b-1"));
    assert_eq!(nodes, vec!["b-1"; 6]);
    assert_eq!(per_cycle, 1.0, "one node filtered per cycle");
    let (nodes, per_cycle) = placed("match_fields_two", FOUR_NODES, &pin("a-0, b-1"));
    assert!(nodes.iter().all(|n| n == "a-0" || n == "b-1"), "{nodes:?}");
    assert_eq!(per_cycle, 2.0);
    // A label nodeSelector on the hostname does not narrow: every node is filtered.
    let (nodes, per_cycle) = placed(
        "hostname_selector",
        FOUR_NODES,
        ", nodeSelector: {kubernetes.io/hostname: b-1}",
    );
    assert_eq!(nodes, vec!["b-1"; 6]);
    assert_eq!(
        per_cycle, 4.0,
        "a nodeSelector is a Filter, not a PreFilter narrowing"
    );
}

/// A node Filter rejects costs `perRejectedNodeCost` on top of its Filter run (the failing
/// plugin's Status and its serial insert into the diagnosis, `findNodesThatPassFilters`).
/// Six pods pinned to b-1 by a hostname nodeSelector on four nodes: each cycle filters all
/// four and rejects three, so at 1 ms per rejected node the first pod's cycle, and so its
/// bind, ends 3 ms later than at 0; a pod narrowed to b-1 in PreFilter rejects none.
#[test]
fn a_rejected_node_costs_its_status_on_top_of_its_filter() {
    let first_bind_s = |test: &str, pod_extra: &str, cost: &str| {
        let dir = scratch(test);
        let text = six_pods(test, FOUR_NODES, pod_extra).replacen(
            "cluster:\n",
            &format!("controlPlane: {{scheduler: {{perRejectedNodeCost: {cost}}}}}\ncluster:\n"),
            1,
        );
        let sim = simulate_scenario(load_scenario(&write(&dir, "s.yaml", &text)).unwrap());
        let first = sim.rec.rows.iter().find(|r| r.state == "Scheduled");
        first.map(|r| r.time_ns).unwrap()
    };
    let selector = ", nodeSelector: {kubernetes.io/hostname: b-1}";
    let free = first_bind_s("rejected_cost_0", selector, "0ns");
    let charged = first_bind_s("rejected_cost_1ms", selector, "1ms");
    assert_eq!(charged - free, 3_000_000, "three rejected nodes at 1 ms");
    let narrowed = ", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [b-1]}]}]}}}";
    assert_eq!(
        first_bind_s("rejected_cost_narrowed_0", narrowed, "0ns"),
        first_bind_s("rejected_cost_narrowed_1ms", narrowed, "1ms"),
        "no node rejected after PreFilter narrowing"
    );
}

/// `NotIn` on the node name filters without narrowing; a term that mixes a label requirement
/// with a name requirement needs both.
#[test]
fn match_fields_not_in_and_mixed_terms_filter() {
    let (nodes, per_cycle) = placed(
        "match_fields_not_in",
        FOUR_NODES,
        ", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: NotIn, values: [a-0]}, {key: metadata.name, operator: NotIn, values: [a-1]}]}]}}}",
    );
    assert!(nodes.iter().all(|n| n.starts_with("b-")), "{nodes:?}");
    assert_eq!(per_cycle, 4.0);
    let pools = "  - {name: a, nodesPerPool: 2, labels: {gen: \"5\"}, capacity: {cpu: 64}}\n  - {name: b, nodesPerPool: 2, labels: {gen: \"3\"}, capacity: {cpu: 64}}\n";
    let (nodes, _) = placed(
        "match_fields_mixed",
        pools,
        ", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: gen, operator: In, values: [\"5\"]}], matchFields: [{key: metadata.name, operator: In, values: [a-1, b-1]}]}]}}}",
    );
    assert_eq!(nodes, vec!["a-1"; 6]);
}

/// An empty node selector term matches no node (core/v1 NodeSelectorTerm), so a pod whose
/// only term is empty can never be scheduled: the scenario is refused before it runs.
#[test]
fn empty_node_selector_term_matches_no_node() {
    let dir = scratch("empty_term");
    let text = six_pods(
        "empty_term",
        FOUR_NODES,
        ", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{}]}}}",
    );
    let p = write(&dir, "s.yaml", &text);
    let err = match crate::sim::Sim::new(load_scenario(&p).unwrap()) {
        Ok(_) => panic!("an empty term matched some node"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("can never be scheduled"), "{err}");
    assert!(
        err.contains("4 node(s) didn't match Pod's node affinity/selector"),
        "{err}"
    );
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

/// Six pods carrying `placed_extra` placed at 0 on four nodes, then one pod carrying
/// `later_extra` at 10 min: the later pod's bind time under the scheduler keys `costs`.
fn later_bind_ns(test: &str, placed_extra: &str, later_extra: &str, costs: &str) -> u64 {
    let group = |name: &str, at: &str, pods: u32, extra: &str| {
        format!("- at: {at}\n  pods: {{runFor: 1h}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: {name}}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec: {{parallelism: {pods}, completions: {pods}, template: {{metadata: {{labels: {{app: {name}}}}}, spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 1}}}}}}]{extra}}}}}}}\n")
    };
    let text = format!(
        "name: {test}\nrun: {{seed: 4, until: 2h}}\ncontrolPlane: {{scheduler: {{{costs}}}}}\ncluster:\n  nodePools:\n{FOUR_NODES}workloads:\n{}{}",
        group("placed", "0s", 6, placed_extra),
        group("later", "10m", 1, later_extra)
    );
    let dir = scratch(test);
    let sim = simulate_scenario(load_scenario(&write(&dir, "s.yaml", &text)).unwrap());
    let binds: Vec<u64> = (sim.rec.rows.iter())
        .filter(|r| r.state == "Scheduled")
        .map(|r| r.time_ns)
        .collect();
    assert_eq!(binds.len(), 7, "{test}");
    *binds.iter().max().unwrap()
}

/// An inter-pod term that matches no pod: it counts as a term without changing any placement.
fn term_on_nobody(kind: &str, required: bool) -> String {
    let term = "labelSelector: {matchLabels: {app: nobody}}, topologyKey: kubernetes.io/hostname";
    if required {
        format!(", affinity: {{{kind}: {{requiredDuringSchedulingIgnoredDuringExecution: [{{{term}}}]}}}}")
    } else {
        format!(", affinity: {{{kind}: {{preferredDuringSchedulingIgnoredDuringExecution: [{{weight: 1, podAffinityTerm: {{{term}}}}}]}}}}")
    }
}

/// The later pod pinned to one node (`matchFields`, narrowed in PreFilter): one feasible node.
const PINNED: &str = ", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [b-1]}]}]}}}";

/// How much later the later pod binds when one affinity constant is 1 ms instead of 0.
fn walk_cost_ms(test: &str, placed: &str, later: &str, key: &str) -> f64 {
    let zero = "affinityPerExistingPodCost: 0ns, affinityPerPodTermCost: 0ns";
    let one = zero.replace(&format!("{key}: 0ns"), &format!("{key}: 1ms"));
    let free = later_bind_ns(&format!("{test}_0"), placed, later, zero);
    let charged = later_bind_ns(&format!("{test}_1"), placed, later, &one);
    (charged - free) as f64 / 1e6
}

/// InterPodAffinity's PreScore walk (`scoring.go` `PreScore`) runs only when the cycle scores,
/// two or more nodes feasible (`schedulePod` takes a lone feasible node unscored): a pod then
/// walks the placed pods carrying any inter-pod term (`PodsWithAffinity`), at
/// `affinityPerExistingPodCost` each. Six placed pods with a preferred term: a plain pod
/// scored on four nodes pays six; pinned to one node it pays none.
#[test]
fn the_prescore_walk_is_charged_when_the_pod_is_scored() {
    let placed = term_on_nobody("podAntiAffinity", false);
    let existing = "affinityPerExistingPodCost";
    assert_eq!(walk_cost_ms("prescore_scored", &placed, "", existing), 6.0);
    assert_eq!(
        walk_cost_ms("prescore_one_node", &placed, PINNED, existing),
        0.0
    );
    // Placed pods without inter-pod terms are not walked.
    assert_eq!(walk_cost_ms("prescore_plain", "", "", existing), 0.0);
}

/// PreFilter's walks run whether or not the cycle scores: the placed pods with required
/// anti-affinity (`getExistingAntiAffinityCounts`, `affinityPerExistingPodCost` each) and,
/// for a pod with required terms of its own, every placed pod per term
/// (`getIncomingAffinityAntiAffinityCounts`, `affinityPerPodTermCost` each). A pod with
/// preferred terms matches each against every placed pod in PreScore, when it scores.
#[test]
fn the_prefilter_walks_and_the_pods_own_terms_are_charged_by_their_constants() {
    let required_anti = term_on_nobody("podAntiAffinity", true);
    let (existing, term) = ("affinityPerExistingPodCost", "affinityPerPodTermCost");
    // Pinned: PreFilter's symmetric walk only (six placed anti-affinity pods).
    assert_eq!(
        walk_cost_ms("prefilter_anti", &required_anti, PINNED, existing),
        6.0
    );
    // Scored: PreScore walks them again.
    assert_eq!(
        walk_cost_ms("prefilter_anti_scored", &required_anti, "", existing),
        12.0
    );
    // The later pod's own required term against the six placed pods, scored or not.
    assert_eq!(walk_cost_ms("own_required", "", &required_anti, term), 6.0);
    let pinned_anti = pinned_with(
        "podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: nobody}}, topologyKey: kubernetes.io/hostname}]}",
    );
    assert_eq!(
        walk_cost_ms("own_required_pinned", "", &pinned_anti, term),
        6.0
    );
    // Its own preferred term: against every placed pod, only when it scores.
    let preferred = term_on_nobody("podAffinity", false);
    assert_eq!(walk_cost_ms("own_preferred", "", &preferred, term), 6.0);
    let pinned_preferred = pinned_with(
        "podAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, podAffinityTerm: {labelSelector: {matchLabels: {app: nobody}}, topologyKey: kubernetes.io/hostname}}]}",
    );
    assert_eq!(
        walk_cost_ms("own_preferred_pinned", "", &pinned_preferred, term),
        0.0
    );
}

/// The pinned pod template (`PINNED`) with one more inter-pod term in its affinity.
fn pinned_with(term: &str) -> String {
    PINNED.replacen("affinity: {", &format!("affinity: {{{term}, "), 1)
}

//! InterPodAffinity beyond JobSet's own terms: namespace scoping of pod (anti-)affinity terms
//! (`namespaces`, `namespaceSelector`) and the Score half (preferred terms, symmetric weights).
//! Each test names the upstream behaviour or test case it mirrors.

use super::common::*;
use jobset_sim::scenario::load_scenario;
use std::collections::BTreeMap;

/// One single-replicated-job JobSet of the scenarios below.
struct Js<'a> {
    name: &'a str,
    namespace: &'a str,
    at: &'a str,
    /// Pod labels, as a flow mapping body (`app: x, tier: t`).
    labels: &'a str,
    pods: u32,
    cpu: &'a str,
    /// The pod's `affinity`, as a flow mapping, or empty.
    affinity: &'a str,
}

impl<'a> Js<'a> {
    fn new(name: &'a str, namespace: &'a str, at: &'a str, labels: &'a str) -> Self {
        Js {
            name,
            namespace,
            at,
            labels,
            pods: 1,
            cpu: "1",
            affinity: "",
        }
    }
    fn pods(mut self, n: u32) -> Self {
        self.pods = n;
        self
    }
    fn cpu(mut self, cpu: &'a str) -> Self {
        self.cpu = cpu;
        self
    }
    fn affinity(mut self, a: &'a str) -> Self {
        self.affinity = a;
        self
    }
}

/// Where each JobSet's pods were bound: JobSet name → node names (one per binding). The run
/// ends after 30 minutes, while every pod (running 1h) still holds its place.
type Placements = BTreeMap<String, Vec<String>>;

fn run(test: &str, cluster: &str, top: &str, jobsets: &[Js]) -> Placements {
    let mut text =
        format!("name: {test}\nrun: {{seed: 4, until: 30m}}\n{top}cluster:\n{cluster}workloads:\n");
    for js in jobsets {
        let affinity = if js.affinity.is_empty() {
            String::new()
        } else {
            format!("                affinity: {}\n", js.affinity)
        };
        text.push_str(&format!(
            "- at: {at}\n  pods: {{runFor: 1h}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: {name}, namespace: {ns}}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec:\n            parallelism: {n}\n            completions: {n}\n            template:\n              metadata: {{labels: {{{labels}}}}}\n              spec:\n                containers: [{{name: c, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]\n{affinity}",
            at = js.at,
            name = js.name,
            ns = js.namespace,
            n = js.pods,
            labels = js.labels,
            cpu = js.cpu,
        ));
    }
    let dir = scratch(test);
    let p = write(&dir, "s.yaml", &text);
    let sim = simulate_scenario(load_scenario(&p).unwrap());
    let mut out = Placements::new();
    for js in jobsets {
        out.insert(js.name.to_string(), vec![]);
    }
    for r in sim.rec.rows.iter().filter(|r| r.state == "Scheduled") {
        let pod = sim.pod_name(r.pod);
        let js = pod.split('-').next().unwrap().to_string();
        let node = sim.cluster.node(r.node.unwrap()).name.clone();
        out.entry(js).or_default().push(node);
    }
    out
}

const ONE_NODE: &str = "  nodePools:\n  - {name: n, nodesPerPool: 1, capacity: {cpu: 8}}\n";
const FOUR_NODES: &str = "  nodePools:\n  - {name: n, nodesPerPool: 4, capacity: {cpu: 8}}\n";
const TEAMS: &str =
    "  namespaces:\n    team-b: {labels: {team: b}}\n    team-c: {labels: {team: c}}\n";

fn anti_x(scope: &str) -> String {
    format!("{{podAntiAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{{labelSelector: {{matchLabels: {{app: x}}}}, topologyKey: kubernetes.io/hostname{scope}}}]}}}}")
}

/// Is a pod of namespace team-a, with required anti-affinity to `app=x` scoped by `scope`,
/// kept off the only node, where an `app=x` pod of namespace team-b runs?
fn repelled_by_team_b(test: &str, scope: &str) -> bool {
    let anti = anti_x(scope);
    let p = run(
        test,
        &format!("{ONE_NODE}{TEAMS}"),
        "",
        &[
            Js::new("x", "team-b", "0s", "app: x"),
            Js::new("a", "team-a", "1m", "app: a").affinity(&anti),
        ],
    );
    assert_eq!(p["x"].len(), 1, "{p:?}");
    p["a"].is_empty()
}

/// Upstream filtering_test.go (TestRequiredAffinitySingleNode) "Does not satisfy the
/// PodAffinity with labelSelector because of diff Namespace", for anti-affinity: a term with
/// neither `namespaces` nor `namespaceSelector` only sees the pod's own namespace.
#[test]
fn anti_affinity_defaults_to_the_pods_own_namespace() {
    assert!(!repelled_by_team_b("ns_default_scope", ""));
}

/// `namespaces` names the other namespace; `namespaceSelector: {}` means every namespace
/// (the form JobSet's exclusive-placement terms use).
#[test]
fn anti_affinity_with_listed_or_all_namespaces_repels() {
    assert!(repelled_by_team_b("ns_listed", ", namespaces: [team-b]"));
    assert!(repelled_by_team_b("ns_all", ", namespaceSelector: {}"));
    assert!(!repelled_by_team_b(
        "ns_listed_other",
        ", namespaces: [team-c]"
    ));
}

/// Upstream filtering_test.go namespaceSelector cases: the selector is matched against the
/// namespaces' labels (declared in `cluster.namespaces`, plus the automatic
/// `kubernetes.io/metadata.name`), and its namespaces are added to `namespaces`.
#[test]
fn anti_affinity_namespace_selector_matches_namespace_labels() {
    assert!(repelled_by_team_b(
        "ns_selector_label",
        ", namespaceSelector: {matchLabels: {team: b}}"
    ));
    assert!(!repelled_by_team_b(
        "ns_selector_other",
        ", namespaceSelector: {matchLabels: {team: c}}"
    ));
    assert!(repelled_by_team_b(
        "ns_selector_name",
        ", namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [team-b]}]}"
    ));
    // Union: a selector that selects nothing still leaves the listed namespaces.
    assert!(repelled_by_team_b(
        "ns_selector_union",
        ", namespaces: [team-b], namespaceSelector: {matchLabels: {team: nobody}}"
    ));
}

/// The symmetric check (upstream `satisfyExistingPodsAntiAffinity`): a placed pod's required
/// anti-affinity is scoped by the namespaces of *its* term, resolved against *its* namespace.
#[test]
fn existing_pods_anti_affinity_is_namespace_scoped() {
    let placed = |test: &str, scope: &str| {
        let anti = format!("{{podAntiAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{{labelSelector: {{matchLabels: {{app: a}}}}, topologyKey: kubernetes.io/hostname{scope}}}]}}}}");
        let p = run(
            test,
            &format!("{ONE_NODE}{TEAMS}"),
            "",
            &[
                Js::new("x", "team-b", "0s", "app: x").affinity(&anti),
                Js::new("a", "team-a", "1m", "app: a"),
            ],
        );
        assert_eq!(p["x"].len(), 1, "{p:?}");
        !p["a"].is_empty()
    };
    assert!(placed("sym_own_ns", ""), "x's term only covers team-b");
    assert!(!placed("sym_listed", ", namespaces: [team-a]"));
    assert!(!placed("sym_all", ", namespaceSelector: {}"));
}

/// Upstream "Does not satisfy the PodAffinity with labelSelector because of diff Namespace":
/// required affinity finds no match in the pod's own namespace (and the pod does not match
/// its own term, so the first-pod rule does not apply); naming the namespace satisfies it.
#[test]
fn required_affinity_is_namespace_scoped() {
    let affinity = |scope: &str| {
        format!("{{podAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{{labelSelector: {{matchLabels: {{app: x}}}}, topologyKey: kubernetes.io/hostname{scope}}}]}}}}")
    };
    let own = affinity("");
    let p = run(
        "affinity_own_ns",
        FOUR_NODES,
        "",
        &[
            Js::new("x", "team-b", "0s", "app: x"),
            Js::new("a", "team-a", "1m", "app: a").affinity(&own),
        ],
    );
    assert!(p["a"].is_empty(), "{p:?}");
    let listed = affinity(", namespaces: [team-b]");
    let p = run(
        "affinity_listed_ns",
        FOUR_NODES,
        "",
        &[
            Js::new("x", "team-b", "0s", "app: x"),
            Js::new("a", "team-a", "1m", "app: a").affinity(&listed),
        ],
    );
    assert_eq!(p["a"], p["x"], "{p:?}");
}

fn preferred(kind: &str, weight: u32, app: &str, scope: &str) -> String {
    format!("{{{kind}: {{preferredDuringSchedulingIgnoredDuringExecution: [{{weight: {weight}, podAffinityTerm: {{labelSelector: {{matchLabels: {{app: {app}}}}}, topologyKey: kubernetes.io/hostname{scope}}}}}]}}}}")
}

/// Upstream scoring_test.go TestPreferredAffinity "Affinity: pod that matches topology key &
/// pods in nodes will get high score comparing to others which doesn't match either pods in
/// nodes or in topology key": a weight-100 preference for J's pods beats LeastAllocated's
/// pull towards the emptier nodes; it stays soft when J's node is full, and it only sees the
/// pod's own namespace unless told otherwise.
#[test]
fn preferred_affinity_attracts_to_the_matching_domain() {
    let pref = preferred("podAffinity", 100, "j", "");
    let p = run(
        "pref_affinity",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "default", "0s", "app: j").cpu("4"),
            Js::new("p", "default", "1m", "app: p")
                .pods(2)
                .affinity(&pref),
        ],
    );
    assert_eq!(p["p"], vec![p["j"][0].clone(), p["j"][0].clone()], "{p:?}");
    // Without the preference the emptier nodes win.
    let p = run(
        "pref_affinity_none",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "default", "0s", "app: j").cpu("4"),
            Js::new("p", "default", "1m", "app: p").pods(2),
        ],
    );
    assert!(!p["p"].contains(&p["j"][0]), "{p:?}");
    // Soft: J's node has no room left, the pods still schedule elsewhere.
    let p = run(
        "pref_affinity_full",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "default", "0s", "app: j").cpu("8"),
            Js::new("p", "default", "1m", "app: p")
                .pods(2)
                .affinity(&pref),
        ],
    );
    assert_eq!(p["p"].len(), 2, "{p:?}");
    assert!(!p["p"].contains(&p["j"][0]), "{p:?}");
    // Namespace-scoped: J in another namespace does not attract, unless the term names it.
    let p = run(
        "pref_affinity_other_ns",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "team-b", "0s", "app: j").cpu("4"),
            Js::new("p", "default", "1m", "app: p")
                .pods(2)
                .affinity(&pref),
        ],
    );
    assert!(!p["p"].contains(&p["j"][0]), "{p:?}");
    let listed = preferred("podAffinity", 100, "j", ", namespaces: [team-b]");
    let p = run(
        "pref_affinity_listed_ns",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "team-b", "0s", "app: j").cpu("4"),
            Js::new("p", "default", "1m", "app: p")
                .pods(2)
                .affinity(&listed),
        ],
    );
    assert_eq!(p["p"], vec![p["j"][0].clone(), p["j"][0].clone()], "{p:?}");
}

/// Upstream TestPreferredAffinity "Anti Affinity: pod that does not match existing pods in
/// node will get high score": under MostAllocated the pods of one Job pack onto one node; a
/// preferred anti-affinity to their own label spreads them one per node.
#[test]
fn preferred_anti_affinity_spreads() {
    let top = "controlPlane: {scheduler: {scoringStrategy: MostAllocated}}\n";
    let anti = preferred("podAntiAffinity", 100, "s", "");
    let distinct = |nodes: &Vec<String>| {
        let mut v = nodes.clone();
        v.sort();
        v.dedup();
        v.len()
    };
    let p = run(
        "pref_anti_spread",
        FOUR_NODES,
        top,
        &[Js::new("s", "default", "0s", "app: s")
            .pods(4)
            .affinity(&anti)],
    );
    assert_eq!(distinct(&p["s"]), 4, "{p:?}");
    let p = run(
        "pref_anti_packed",
        FOUR_NODES,
        top,
        &[Js::new("s", "default", "0s", "app: s").pods(4)],
    );
    assert!(distinct(&p["s"]) < 4, "{p:?}");
}

/// Upstream TestPreferredAffinity "Affinity symmetry: considered only the
/// preferredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry": a placed pod's
/// preferred affinity to the incoming pod's labels draws the incoming pod, which has no terms.
#[test]
fn existing_pods_preferred_affinity_attracts_the_incoming_pod() {
    let pref = preferred("podAffinity", 100, "p", "");
    let p = run(
        "sym_pref",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "default", "0s", "app: j")
                .cpu("4")
                .affinity(&pref),
            Js::new("p", "default", "1m", "app: p"),
        ],
    );
    assert_eq!(p["p"], p["j"], "{p:?}");
    // And its preferred anti-affinity pushes away: MostAllocated alone would pick J's node.
    let top = "controlPlane: {scheduler: {scoringStrategy: MostAllocated}}\n";
    let anti = preferred("podAntiAffinity", 100, "p", "");
    let p = run(
        "sym_pref_anti",
        FOUR_NODES,
        top,
        &[
            Js::new("j", "default", "0s", "app: j")
                .cpu("4")
                .affinity(&anti),
            Js::new("p", "default", "1m", "app: p"),
        ],
    );
    assert_ne!(p["p"], p["j"], "{p:?}");
}

/// Upstream TestPreferredAffinityWithHardPodAffinitySymmetricWeight "Hard Pod Affinity
/// symmetry: hard pod affinity symmetry weights 1 by default, then nodes that match the hard
/// pod affinity symmetry rules, get a high score": a placed pod's *required* affinity term
/// that matches the incoming pod scores with hardPodAffinityWeight = 1 (normalized to the
/// top score). Scoped to the placed pod's namespace like any term.
#[test]
fn existing_pods_required_affinity_scores_with_hard_weight() {
    let hard = "{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {tier: t}}, topologyKey: kubernetes.io/hostname}]}}";
    let p = run(
        "sym_hard",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "default", "0s", "app: j, tier: t")
                .cpu("4")
                .affinity(hard),
            Js::new("p", "default", "1m", "app: p, tier: t"),
        ],
    );
    assert_eq!(p["j"].len(), 1, "first-pod rule: {p:?}");
    assert_eq!(p["p"], p["j"], "{p:?}");
    let p = run(
        "sym_hard_other_ns",
        FOUR_NODES,
        "",
        &[
            Js::new("j", "default", "0s", "app: j, tier: t")
                .cpu("4")
                .affinity(hard),
            Js::new("p", "team-b", "1m", "app: p, tier: t"),
        ],
    );
    assert_ne!(p["p"], p["j"], "{p:?}");
}

/// The scheduler's affinity index keeps Jobs' pod labels only from the first inter-pod term
/// compiled on: a run without one keeps none (issue #15's per-Job memory). A term arriving
/// after other Jobs are placed still sees them, as `repelled_by_team_b` checks (`x` is placed
/// a minute before the first term): the index is then given every existing Job's labels.
#[test]
fn the_affinity_index_keeps_labels_only_once_a_term_exists() {
    let text = |affinity: &str| {
        format!(
            "name: t\nrun: {{seed: 4, until: 30m}}\ncluster:\n{FOUR_NODES}workloads:\n\
             - at: 0s\n  pods: {{runFor: 1h}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    \
             kind: JobSet\n    metadata: {{name: x}}\n    spec:\n      replicatedJobs:\n      - name: w\n        \
             replicas: 2\n        template:\n          spec:\n            template:\n              \
             metadata: {{labels: {{app: x}}}}\n              spec:\n                \
             containers: [{{name: c, resources: {{requests: {{cpu: \"1\"}}}}}}]\n\
             - at: 1m\n  pods: {{runFor: 1h}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    \
             kind: JobSet\n    metadata: {{name: a}}\n    spec:\n      replicatedJobs:\n      - name: w\n        \
             template:\n          spec:\n            template:\n              \
             metadata: {{labels: {{app: a}}}}\n              spec:\n                \
             containers: [{{name: c, resources: {{requests: {{cpu: \"1\"}}}}}}]\n{affinity}"
        )
    };
    let dir = scratch("labels_once_a_term_exists");
    let plain = write(&dir, "plain.yaml", &text(""));
    let sim = simulate_scenario(load_scenario(&plain).unwrap());
    assert!(!sim.scheduler.keeps_pod_labels());
    assert!(sim.scheduler.kept_pod_labels(0).is_none());
    let anti = format!("                affinity: {}\n", anti_x(""));
    let late = write(&dir, "late.yaml", &text(&anti));
    let sim = simulate_scenario(load_scenario(&late).unwrap());
    assert!(sim.scheduler.keeps_pod_labels());
    // The Jobs created before the term have their labels, as the pods carry them.
    for j in 0..3 {
        let labels = sim.scheduler.kept_pod_labels(j).unwrap();
        let expected = sim.job_pod_labels(j);
        assert!(!expected.is_empty());
        for (k, v) in &expected {
            assert_eq!(labels.get(k), Some(v), "Job {j}, label {k}");
        }
        assert_eq!(
            labels.len(),
            expected.len() + 1,
            "the namespace pseudo-label"
        );
    }
    // `a`'s pod stays off the two nodes holding `x`'s pods.
    let node = |j: u32| sim.pods.iter().find(|p| p.job == j).and_then(|p| p.node);
    let (x0, x1, a) = (node(0), node(1), node(2));
    assert!(a.is_some() && a != x0 && a != x1, "{x0:?} {x1:?} {a:?}");
}

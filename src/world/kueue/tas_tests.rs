//! Topology-Aware Scheduling placement on Kueue's own fixtures: each `find` test names the
//! `TestFindTopologyAssignments` case (`pkg/cache/scheduler/tas_cache_test.go`) it mirrors.
//! Resources are [cpu in millicores, memory in bytes, pods], every pod requesting one `pods`.

use super::*;

const BLOCK: &str = "cloud.com/topology-block";
const RACK: &str = "cloud.com/topology-rack";
const HOST: &str = "kubernetes.io/hostname";
const GI: i64 = 1 << 30;

/// A node: its block, rack and host, cpu (cores), memory (GiB), pods.
type Node = (&'static str, &'static str, &'static str, i64, i64, i64);

fn snapshot(levels: &[&str], nodes: &[Node]) -> TasSnapshot {
    let mut s = TasSnapshot::new(levels.iter().map(|l| l.to_string()).collect(), 3);
    s.set_topology_name("default");
    s.set_dim_names(&["cpu", "memory", "pods"]);
    for &(b, r, h, cpu, mem, pods) in nodes {
        let all = [(BLOCK, b), (RACK, r), (HOST, h)];
        let values: Vec<&str> = levels
            .iter()
            .map(|l| all.iter().find(|(k, _)| k == l).expect("known level").1)
            .collect();
        s.add_node(&values, &[cpu * 1000, mem * GI, pods]);
    }
    s
}

//      b1                   b2
//   /      \             /      \
//  r1       r2          r1       r2
//  |      /  |  \       |         |
//  x3    x5  x1  x6     x2       x4
const DEFAULT_NODES: &[Node] = &[
    ("b1", "r1", "x3", 1, 1, 10),
    ("b1", "r2", "x5", 1, 1, 10),
    ("b1", "r2", "x1", 1, 1, 10),
    ("b1", "r2", "x6", 1, 1, 10),
    ("b2", "r1", "x2", 1, 1, 10),
    ("b2", "r2", "x4", 2, 4, 40),
];

//       b1           b2
//       |             |
//       r1           r1
//     /  |  \       /  \
//   x3  x5  x1     x6  x2
const SCATTERED_NODES: &[Node] = &[
    ("b1", "r1", "x3", 4, 1, 10),
    ("b1", "r1", "x5", 1, 1, 10),
    ("b1", "r1", "x1", 1, 1, 10),
    ("b2", "r1", "x6", 2, 1, 10),
    ("b2", "r1", "x2", 1, 1, 10),
];

const BINARY_TREES_NODES: &[Node] = &[
    ("b1", "r1", "x3", 1, 1, 10),
    ("b1", "r1", "x5", 1, 1, 10),
    ("b1", "r2", "x1", 1, 1, 10),
    ("b1", "r2", "x6", 1, 1, 10),
    ("b2", "r1", "x2", 1, 1, 10),
    ("b2", "r1", "x4", 1, 1, 10),
    ("b2", "r2", "x7", 1, 1, 10),
    ("b2", "r2", "x8", 1, 1, 10),
];

const THREE: &[&str] = &[BLOCK, RACK, HOST];
const TWO: &[&str] = &[BLOCK, RACK];

fn required(level: &str) -> TopologyRequest {
    TopologyRequest {
        mode: TopologyMode::Required(level.into()),
        slice: None,
    }
}

fn preferred(level: &str) -> TopologyRequest {
    TopologyRequest {
        mode: TopologyMode::Preferred(level.into()),
        slice: None,
    }
}

fn mode(mode: TopologyMode) -> TopologyRequest {
    TopologyRequest { mode, slice: None }
}

fn sliced(mut req: TopologyRequest, level: &str, size: u32) -> TopologyRequest {
    req.slice = Some((level.into(), size));
    req
}

/// cpu millicores, memory bytes per pod; one `pods` added as Kueue does.
fn run(
    s: &TasSnapshot,
    req: &TopologyRequest,
    cpu_m: i64,
    mem: i64,
    count: u32,
) -> Result<Vec<(String, u32)>, String> {
    let out = s.find(req, &[cpu_m, mem, 1], count, &|_| true)?;
    Ok(out
        .into_iter()
        .map(|(leaf, n)| (s.leaf_values(leaf).join("/"), n))
        .collect())
}

fn want(pairs: &[(&str, u32)]) -> Result<Vec<(String, u32)>, String> {
    Ok(pairs.iter().map(|(v, n)| (v.to_string(), *n)).collect())
}

// F23 (kueue-semantics §9.4, §11.3).
#[test]
fn minimize_the_number_of_used_racks_before_optimizing_the_number_of_nodes_bestfit() {
    let s = snapshot(
        THREE,
        &[
            ("b1", "r1", "x3", 2, 1, 10),
            ("b1", "r2", "x5", 2, 1, 20),
            ("b1", "r3", "x1", 1, 1, 10),
            ("b1", "r3", "x6", 1, 1, 10),
            ("b1", "r3", "x2", 1, 1, 10),
            ("b1", "r3", "x4", 1, 1, 10),
        ],
    );
    assert_eq!(
        run(&s, &required(BLOCK), 1000, 0, 4),
        want(&[
            ("b1/r3/x1", 1),
            ("b1/r3/x2", 1),
            ("b1/r3/x4", 1),
            ("b1/r3/x6", 1)
        ])
    );
}

// F23.
#[test]
fn block_preferred_pods_fit_in_2_blocks_bestfit() {
    let mut s = TasSnapshot::new(vec![BLOCK.into()], 3);
    s.set_topology_name("default");
    s.add_node(&["b1"], &[2000, 0, 20]);
    s.add_node(&["b2"], &[1000, 0, 10]);
    s.add_node(&["b3"], &[4000, 0, 40]);
    assert_eq!(
        run(&s, &preferred(BLOCK), 1000, 0, 5),
        want(&[("b2", 1), ("b3", 4)])
    );
}

#[test]
fn choose_the_node_that_can_accommodate_all_pods() {
    let s = snapshot(
        THREE,
        &[
            ("b1", "r1", "x3", 2, 1, 10),
            ("b1", "r1", "x5", 1, 1, 10),
            ("b1", "r1", "x1", 1, 1, 10),
        ],
    );
    assert_eq!(
        run(&s, &required(BLOCK), 1000, 0, 2),
        want(&[("b1/r1/x3", 2)])
    );
}

/// TASProfileMixed is on: unconstrained and implied requests pack the smallest gaps first.
#[test]
fn unconstrained_6_pods_fit_into_hosts_scattered_across_the_whole_datacenter() {
    let s = snapshot(THREE, SCATTERED_NODES);
    let expected = want(&[
        ("b1/r1/x1", 1),
        ("b1/r1/x3", 1),
        ("b1/r1/x5", 1),
        ("b2/r1/x2", 1),
        ("b2/r1/x6", 2),
    ]);
    // "unconstrained; 6 pods fit into hosts scattered across the whole datacenter even they
    // could fit into single rack; BestFit"
    assert_eq!(
        run(&s, &mode(TopologyMode::Unconstrained), 1000, 0, 6),
        expected
    );
    // "no annotation; implied default to unconstrained; …"
    assert_eq!(run(&s, &mode(TopologyMode::Implied), 1000, 0, 6), expected);
}

#[test]
fn unconstrained_a_single_pod_fits_into_each_host_leastfreecapacity_tasprofilemixed() {
    let s = snapshot(THREE, DEFAULT_NODES);
    assert_eq!(
        run(&s, &mode(TopologyMode::Unconstrained), 1000, 0, 1),
        want(&[("b1/r1/x3", 1)])
    );
}

#[test]
fn block_required_4_pods_fit_into_one_host_each_bestfit() {
    let s = snapshot(THREE, BINARY_TREES_NODES);
    assert_eq!(
        run(&s, &required(BLOCK), 1000, 0, 4),
        want(&[
            ("b1/r1/x3", 1),
            ("b1/r1/x5", 1),
            ("b1/r2/x1", 1),
            ("b1/r2/x6", 1)
        ])
    );
}

#[test]
fn host_required_single_pod_fits_in_the_host_bestfit() {
    let s = snapshot(THREE, DEFAULT_NODES);
    assert_eq!(
        run(&s, &required(HOST), 1000, 0, 1),
        want(&[("b1/r1/x3", 1)])
    );
}

#[test]
fn rack_required_multiple_pods_fit_in_a_rack_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(run(&s, &required(RACK), 1000, 0, 3), want(&[("b1/r2", 3)]));
}

#[test]
fn rack_required_multiple_pods_fit_in_some_racks_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(run(&s, &required(RACK), 1000, 0, 2), want(&[("b2/r2", 2)]));
}

#[test]
fn rack_required_too_many_pods_to_fit_in_any_rack_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(
        run(&s, &required(RACK), 1000, 0, 4),
        Err(r#"topology "default" allows to fit only 3 out of 4 pod(s)"#.into())
    );
}

#[test]
fn block_required_single_pod_fits_in_a_block_spread_across_two_racks_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(
        run(&s, &required(BLOCK), 1000, 0, 4),
        want(&[("b1/r1", 1), ("b1/r2", 3)])
    );
}

#[test]
fn block_required_single_pod_which_cannot_be_split_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(
        run(&s, &required(BLOCK), 4000, 0, 1),
        Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 4; excluded: resource "cpu": 4"#.into())
    );
}

#[test]
fn block_required_too_many_pods_to_fit_requested_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(
        run(&s, &required(BLOCK), 1000, 0, 5),
        Err(r#"topology "default" allows to fit only 4 out of 5 pod(s)"#.into())
    );
}

#[test]
fn rack_required_single_pod_requiring_memory_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(run(&s, &required(RACK), 0, 1024, 4), want(&[("b1/r1", 4)]));
}

#[test]
fn rack_preferred_but_only_block_can_accommodate_the_workload_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(
        run(&s, &preferred(RACK), 1000, 0, 4),
        want(&[("b1/r1", 1), ("b1/r2", 3)])
    );
}

#[test]
fn rack_preferred_but_only_multiple_blocks_can_accommodate_the_workload_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    let expected = want(&[("b1/r1", 1), ("b1/r2", 3), ("b2/r2", 2)]);
    assert_eq!(run(&s, &preferred(RACK), 1000, 0, 6), expected);
    // "block preferred; but only multiple blocks can accommodate the workload; BestFit"
    assert_eq!(run(&s, &preferred(BLOCK), 1000, 0, 6), expected);
}

#[test]
fn block_preferred_but_the_workload_cannot_be_accommodate_in_entire_topology_bestfit() {
    let s = snapshot(TWO, DEFAULT_NODES);
    assert_eq!(
        run(&s, &preferred(BLOCK), 1000, 0, 10),
        Err(r#"topology "default" allows to fit only 7 out of 10 pod(s)"#.into())
    );
}

#[test]
fn detailed_failure_message_with_exclusion_stats() {
    let mut s = TasSnapshot::new(vec![HOST.into()], 3);
    s.set_topology_name("default");
    s.set_dim_names(&["cpu", "memory", "pods"]);
    let x1 = s.add_node(&["x1"], &[1000, 0, 10]); // tainted key=value:NoSchedule
    let x2 = s.add_node(&["x2"], &[1000, 0, 10]); // zone-b
    let x3 = s.add_node(&["x3"], &[2000, 0, 10]); // zone-b
    s.add_node(&["x4"], &[100, 0, 10]); // zone-a, too little cpu
    let got = s.find_explained(&required(HOST), &[1000, 0, 1], 1, &|leaf| {
        if leaf == x1 {
            Err(Some(r#"taint "key=value:NoSchedule""#.to_string()))
        } else if leaf == x2 || leaf == x3 {
            Err(Some("nodeSelector".to_string()))
        } else {
            Ok(())
        }
    });
    assert_eq!(
        got,
        Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 4; excluded: nodeSelector: 2, resource "cpu": 1, taint "key=value:NoSchedule": 1"#.into())
    );
}

#[test]
fn resource_exclusion_picks_most_restrictive_resource() {
    let mut s = TasSnapshot::new(vec![HOST.into()], 3);
    s.set_topology_name("default");
    s.set_dim_names(&["example.com/gpu", "cpu", "pods"]);
    s.add_node(&["dual-shortage"], &[0, 500, 10]);
    assert_eq!(
        s.find(&required(HOST), &[1, 1000, 1], 1, &|_| true),
        Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 1; excluded: resource "cpu": 1"#.into())
    );
}

#[test]
fn block_required_for_podset_host_required_for_slices_bestfit() {
    let s = snapshot(
        THREE,
        &[
            ("b1", "r1", "x3", 3, 1, 10),
            ("b1", "r1", "x5", 3, 1, 10),
            ("b1", "r1", "x1", 3, 1, 10),
        ],
    );
    assert_eq!(
        run(&s, &sliced(required(BLOCK), HOST, 2), 1000, 0, 6),
        want(&[("b1/r1/x1", 2), ("b1/r1/x3", 2), ("b1/r1/x5", 2)])
    );
}

#[test]
fn block_required_for_podset_host_required_for_slices_prioritize_more_free_slice_capacity_first_and_then_tight_fit_bestfit(
) {
    let s = snapshot(
        THREE,
        &[
            ("b1", "r1", "x3", 6, 1, 10),
            ("b1", "r1", "x5", 5, 1, 10),
            ("b1", "r1", "x1", 4, 1, 10),
            ("b1", "r1", "x6", 2, 1, 10),
        ],
    );
    assert_eq!(
        run(&s, &sliced(required(BLOCK), HOST, 2), 1000, 0, 12),
        want(&[("b1/r1/x1", 4), ("b1/r1/x3", 6), ("b1/r1/x6", 2)])
    );
}

#[test]
fn block_required_for_podset_rack_required_for_slices_bestfit() {
    let s = snapshot(
        THREE,
        &[
            ("b1", "r1", "x3", 1, 1, 10),
            ("b1", "r1", "x5", 1, 1, 10),
            ("b1", "r2", "x1", 1, 1, 10),
            ("b1", "r2", "x6", 1, 1, 10),
            ("b1", "r2", "x2", 1, 1, 10),
            ("b2", "r1", "x4", 1, 1, 10),
            ("b2", "r1", "x7", 1, 1, 10),
        ],
    );
    assert_eq!(
        run(&s, &sliced(required(BLOCK), RACK, 2), 1000, 0, 4),
        want(&[
            ("b1/r1/x3", 1),
            ("b1/r1/x5", 1),
            ("b1/r2/x1", 1),
            ("b1/r2/x2", 1)
        ])
    );
}

#[test]
fn block_preferred_for_podset_rack_required_for_slices_bestfit() {
    let s = snapshot(THREE, DEFAULT_NODES);
    assert_eq!(
        run(&s, &sliced(preferred(BLOCK), RACK, 2), 1000, 0, 4),
        want(&[("b1/r2/x1", 1), ("b1/r2/x5", 1), ("b2/r2/x4", 2)])
    );
}

#[test]
fn block_required_for_podset_rack_required_for_slices_podset_fits_in_a_block_but_slices_do_not_fit_in_racks(
) {
    let s = snapshot(
        THREE,
        &[
            ("b1", "r1", "x3", 2, 1, 10),
            ("b1", "r2", "x5", 2, 1, 10),
            ("b1", "r3", "x1", 2, 1, 10),
        ],
    );
    assert_eq!(
        run(&s, &sliced(required(BLOCK), RACK, 3), 1000, 0, 6),
        Err(r#"topology "default" doesn't allow to fit any of 2 slice(s)"#.into())
    );
}

#[test]
fn no_topology_for_podset_host_required_for_slices_multiple_blocks_bestfit() {
    let s = snapshot(THREE, SCATTERED_NODES);
    assert_eq!(
        run(
            &s,
            &sliced(mode(TopologyMode::Unconstrained), HOST, 2),
            1000,
            0,
            6
        ),
        want(&[("b1/r1/x3", 4), ("b2/r1/x6", 2)])
    );
}

#[test]
fn no_topology_for_podset_rack_required_for_slices_multiple_blocks_bestfit() {
    let s = snapshot(THREE, DEFAULT_NODES);
    assert_eq!(
        run(
            &s,
            &sliced(mode(TopologyMode::Unconstrained), RACK, 2),
            1000,
            0,
            4
        ),
        want(&[("b1/r2/x1", 1), ("b1/r2/x5", 1), ("b2/r2/x4", 2)])
    );
}

#[test]
fn slice_required_topology_level_cannot_be_above_the_main_required_topology_level() {
    let s = snapshot(THREE, DEFAULT_NODES);
    assert_eq!(
        run(&s, &sliced(required(HOST), BLOCK, 1), 1000, 0, 1),
        Err("podset slice topology cloud.com/topology-block is above the podset topology kubernetes.io/hostname".into())
    );
}

#[test]
fn cannot_request_not_existing_slice_topology() {
    let s = snapshot(THREE, DEFAULT_NODES);
    assert_eq!(
        run(
            &s,
            &sliced(required(BLOCK), "not-existing-topology-level", 1),
            1000,
            0,
            1
        ),
        Err("no requested topology level for slices: not-existing-topology-level".into())
    );
    assert_eq!(
        run(&s, &required("cloud.com/zone"), 1000, 0, 1),
        Err("no requested topology level: cloud.com/zone".into())
    );
}

#[test]
fn nodes_with_equal_values_merge_and_usage_adjusts_the_leaf() {
    let mut s = snapshot(TWO, DEFAULT_NODES);
    // b1/r2 is x5+x1+x6: three cores.
    let leaf = s.add_node(&["b1", "r2"], &[0, 0, 0]);
    assert_eq!(s.leaf_free(leaf), &[3000, 3 * GI, 30]);
    s.adjust(leaf, &[1000, 0, 1], 2, 1);
    assert_eq!(s.leaf_free(leaf), &[1000, 3 * GI, 28]);
    assert_eq!(
        run(&s, &required(RACK), 1000, 0, 3),
        Err(r#"topology "default" allows to fit only 2 out of 3 pod(s)"#.into())
    );
    s.adjust(leaf, &[1000, 0, 1], 2, -1);
    assert_eq!(run(&s, &required(RACK), 1000, 0, 3), want(&[("b1/r2", 3)]));
    // An ineligible leaf holds nothing.
    assert_eq!(
        s.find(&required(RACK), &[1000, 0, 1], 3, &|l| l != leaf),
        Err(r#"topology "default" allows to fit only 2 out of 3 pod(s)"#.into())
    );
}

// ---- Annotations (`ValidateTASPodSetRequest`, `NewPodSetTopologyRequest`) ----

fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn annotations_parse() {
    assert_eq!(parse_request(&ann(&[]), 4), Ok(None));
    assert_eq!(parse_request(&ann(&[("other", "x")]), 4), Ok(None));
    assert_eq!(
        parse_request(&ann(&[(REQUIRED, RACK)]), 4),
        Ok(Some(required(RACK)))
    );
    assert_eq!(
        parse_request(
            &ann(&[
                (PREFERRED, BLOCK),
                (SLICE_REQUIRED, RACK),
                (SLICE_SIZE, "2")
            ]),
            4
        ),
        Ok(Some(sliced(preferred(BLOCK), RACK, 2)))
    );
    assert_eq!(
        parse_request(&ann(&[(UNCONSTRAINED, "true")]), 4),
        Ok(Some(mode(TopologyMode::Unconstrained)))
    );
    assert_eq!(
        parse_request(&ann(&[(SLICE_REQUIRED, HOST), (SLICE_SIZE, "4")]), 4),
        Ok(Some(sliced(mode(TopologyMode::Unconstrained), HOST, 4)))
    );
}

#[test]
fn annotations_refused_with_the_webhook_wording() {
    let err = |pairs: &[(&str, &str)], count| parse_request(&ann(pairs), count).unwrap_err();
    assert_eq!(
        err(&[(REQUIRED, RACK), (PREFERRED, BLOCK)], 4),
        (
            PREFERRED.to_string(),
            r#"Invalid value: must not contain more than one topology annotation: ["kueue.x-k8s.io/podset-required-topology", "kueue.x-k8s.io/podset-preferred-topology", "kueue.x-k8s.io/podset-unconstrained-topology"]"#.to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK)], 4),
        (
            SLICE_SIZE.to_string(),
            "Required value: must be set when 'kueue.x-k8s.io/podset-slice-required-topology' is specified".to_string()
        )
    );
    assert_eq!(
        err(&[(REQUIRED, RACK), (SLICE_SIZE, "2")], 4),
        (
            SLICE_SIZE.to_string(),
            "Forbidden: may not be set when 'kueue.x-k8s.io/podset-slice-required-topology' is not specified".to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK), (SLICE_SIZE, "0")], 4),
        (
            SLICE_SIZE.to_string(),
            r#"Invalid value: "0": must be greater than or equal to 1"#.to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK), (SLICE_SIZE, "two")], 4),
        (
            SLICE_SIZE.to_string(),
            r#"Invalid value: "two": must be a numeric value"#.to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK), (SLICE_SIZE, "8")], 4),
        (
            SLICE_SIZE.to_string(),
            r#"Invalid value: "8": must not be greater than pod set count 4"#.to_string()
        )
    );
    assert_eq!(
        err(&[(UNCONSTRAINED, "yes")], 4),
        (
            UNCONSTRAINED.to_string(),
            r#"Invalid value: "yes": must be a boolean value"#.to_string()
        )
    );
    let (key, msg) = err(&[(REQUIRED, RACK), (GROUP_NAME, "g")], 4);
    assert_eq!(key, GROUP_NAME);
    assert!(msg.contains("not simulated"), "{msg}");
    let (key, msg) = err(&[(SLICE_CONSTRAINTS, "[]")], 4);
    assert_eq!(key, SLICE_CONSTRAINTS);
    assert!(msg.contains("not simulated"), "{msg}");
}

// ---- Properties on random small topologies ----

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_topologies_keep_capacity_count_slices_and_required_domains() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut placed = 0;
    for case in 0..3000 {
        let nlevels = 1 + rng.below(3) as usize;
        let levels: Vec<String> = (0..nlevels).map(|l| format!("l{l}")).collect();
        let mut s = TasSnapshot::new(levels.clone(), 2);
        s.set_topology_name("t");
        let nodes = 1 + rng.below(12);
        for _ in 0..nodes {
            let values: Vec<String> = (0..nlevels)
                .map(|l| format!("v{}", rng.below(if l + 1 == nlevels { 6 } else { 3 })))
                .collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let cpu = rng.below(5) as i64;
            s.add_node(&refs, &[cpu, 8]);
        }
        let leaves = s.leaf_count() as u32;
        // Some usage, and a leaf or two excluded.
        for _ in 0..rng.below(3) {
            let leaf = rng.below(u64::from(leaves)) as u32;
            s.adjust(leaf, &[1, 1], 1, 1);
        }
        let excluded = if rng.below(3) == 0 {
            Some(rng.below(u64::from(leaves)) as u32)
        } else {
            None
        };
        let slice_size = 1 + rng.below(3) as u32;
        let count = slice_size * (1 + rng.below(6) as u32);
        let level = |rng: &mut Rng| levels[rng.below(nlevels as u64) as usize].clone();
        let main = match rng.below(4) {
            0 => TopologyMode::Required(level(&mut rng)),
            1 => TopologyMode::Preferred(level(&mut rng)),
            2 => TopologyMode::Unconstrained,
            _ => TopologyMode::Implied,
        };
        let slice_level = match &main {
            TopologyMode::Required(l) | TopologyMode::Preferred(l) => {
                let at = levels.iter().position(|x| x == l).unwrap();
                at + rng.below((nlevels - at) as u64) as usize
            }
            _ => rng.below(nlevels as u64) as usize,
        };
        let slice = if slice_size > 1 || rng.below(2) == 0 {
            Some((levels[slice_level].clone(), slice_size))
        } else {
            None
        };
        let slice_size = slice.as_ref().map_or(1, |s| s.1);
        let req = TopologyRequest {
            mode: main.clone(),
            slice: slice.clone(),
        };
        let per_pod = [1 + rng.below(2) as i64, 1];
        let Ok(got) = s.find(&req, &per_pod, count, &|l| Some(l) != excluded) else {
            continue;
        };
        placed += 1;
        let ctx = format!("case {case}: {req:?} count {count}");
        let total: u32 = got.iter().map(|&(_, n)| n).sum();
        assert_eq!(total, count, "{ctx}");
        let mut seen = std::collections::HashSet::new();
        for &(leaf, n) in &got {
            assert!(n > 0, "{ctx}");
            assert!(seen.insert(leaf), "{ctx}: leaf twice");
            assert_ne!(Some(leaf), excluded, "{ctx}: excluded leaf used");
            let free = s.leaf_free(leaf);
            for (d, r) in per_pod.iter().enumerate() {
                assert!(
                    i64::from(n) * r <= free[d],
                    "{ctx}: leaf {leaf} over capacity"
                );
            }
        }
        // Pods laid out in order, slices of `slice_size` consecutive pods: each slice inside
        // one domain of the slice level.
        let slice_at = slice.as_ref().map_or(nlevels - 1, |(l, _)| {
            levels.iter().position(|x| x == l).unwrap()
        });
        let mut ranks: Vec<&[String]> = Vec::new();
        for &(leaf, n) in &got {
            for _ in 0..n {
                ranks.push(&s.leaf_values(leaf)[..=slice_at]);
            }
        }
        for chunk in ranks.chunks(slice_size as usize) {
            assert!(chunk.iter().all(|v| *v == chunk[0]), "{ctx}: a slice split");
        }
        if let TopologyMode::Required(l) = &main {
            let at = levels.iter().position(|x| x == l).unwrap();
            let first = &s.leaf_values(got[0].0)[..=at];
            assert!(
                got.iter()
                    .all(|&(leaf, _)| &s.leaf_values(leaf)[..=at] == first),
                "{ctx}: required domain split"
            );
        }
    }
    assert!(placed > 500, "only {placed} placements");
}

#[test]
fn no_assignment_as_node_is_not_ready_bestfit() {
    let mut s = TasSnapshot::new(vec![HOST.into()], 3);
    s.set_topology_name("default");
    s.set_dim_names(&["cpu", "memory", "pods"]);
    let x1 = s.add_node(&["x1"], &[1000, GI, 10]);
    s.set_leaf_present(x1, false);
    assert_eq!(
        s.find(&required(HOST), &[1000, 0, 1], 1, &|_| true),
        Err("no topology domains at level: kubernetes.io/hostname".into())
    );
    // An absent leaf is not counted among the nodes either.
    s.add_node(&["x2"], &[500, GI, 10]);
    assert_eq!(
        s.find(&required(HOST), &[1000, 0, 1], 1, &|_| true),
        Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 1; excluded: resource "cpu": 1"#.into())
    );
    s.set_leaf_present(x1, true);
    assert_eq!(run(&s, &required(HOST), 1000, 0, 1), want(&[("x1", 1)]));
}

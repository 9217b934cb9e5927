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
    TopologyRequest::new(TopologyMode::Required(level.into()))
}

fn preferred(level: &str) -> TopologyRequest {
    TopologyRequest::new(TopologyMode::Preferred(level.into()))
}

fn mode(mode: TopologyMode) -> TopologyRequest {
    TopologyRequest::new(mode)
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
            format!("[{PREFERRED}]"),
            r#"Invalid value: must not contain more than one topology annotation: ["kueue.x-k8s.io/podset-required-topology", "kueue.x-k8s.io/podset-preferred-topology", "kueue.x-k8s.io/podset-unconstrained-topology"]"#.to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK)], 4),
        (
            format!("[{SLICE_SIZE}]"),
            "Required value: must be set when 'kueue.x-k8s.io/podset-slice-required-topology' is specified".to_string()
        )
    );
    assert_eq!(
        err(&[(REQUIRED, RACK), (SLICE_SIZE, "2")], 4),
        (
            format!("[{SLICE_SIZE}]"),
            "Forbidden: may not be set when 'kueue.x-k8s.io/podset-slice-required-topology' is not specified".to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK), (SLICE_SIZE, "0")], 4),
        (
            format!("[{SLICE_SIZE}]"),
            r#"Invalid value: "0": must be greater than or equal to 1"#.to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK), (SLICE_SIZE, "two")], 4),
        (
            format!("[{SLICE_SIZE}]"),
            r#"Invalid value: "two": must be a numeric value"#.to_string()
        )
    );
    assert_eq!(
        err(&[(SLICE_REQUIRED, RACK), (SLICE_SIZE, "8")], 4),
        (
            format!("[{SLICE_SIZE}]"),
            r#"Invalid value: "8": must not be greater than pod set count 4"#.to_string()
        )
    );
    assert_eq!(
        err(&[(UNCONSTRAINED, "yes")], 4),
        (
            format!("[{UNCONSTRAINED}]"),
            r#"Invalid value: "yes": must be a boolean value"#.to_string()
        )
    );
}

/// `podset-group-name` as `ValidateTASPodSetRequest` checks it and
/// `NewPodSetTopologyRequest` keeps it (`tas_validation.go`, `tas.go`).
#[test]
fn group_annotation_parses_and_is_refused_with_the_webhook_wording() {
    let group = |mut r: TopologyRequest| {
        r.group = Some("g".into());
        r
    };
    assert_eq!(
        parse_request(&ann(&[(REQUIRED, RACK), (GROUP_NAME, "g")]), 4),
        Ok(Some(group(required(RACK))))
    );
    assert_eq!(
        parse_request(&ann(&[(PREFERRED, RACK), (GROUP_NAME, "g")]), 1),
        Ok(Some(group(preferred(RACK))))
    );
    let err = |pairs: &[(&str, &str)]| parse_request(&ann(pairs), 4).unwrap_err();
    let at = format!("[{GROUP_NAME}]");
    assert_eq!(
        err(&[(REQUIRED, RACK), (GROUP_NAME, "12")]),
        (
            at.clone(),
            r#"Invalid value: "12": must not be a number"#.to_string()
        )
    );
    assert_eq!(
        err(&[(GROUP_NAME, "g")]),
        (
            at.clone(),
            "Forbidden: may not be set when neither 'kueue.x-k8s.io/podset-preferred-topology' nor 'kueue.x-k8s.io/podset-required-topology' is specified".to_string()
        )
    );
    assert_eq!(
        err(&[(UNCONSTRAINED, "true"), (GROUP_NAME, "g")]).0,
        at.clone()
    );
    assert_eq!(
        err(&[
            (REQUIRED, RACK),
            (GROUP_NAME, "g"),
            (SLICE_REQUIRED, HOST),
            (SLICE_SIZE, "2")
        ]),
        (
            at.clone(),
            "Forbidden: may not be set when 'kueue.x-k8s.io/podset-slice-size' is specified"
                .to_string()
        )
    );
    assert_eq!(
        err(&[(REQUIRED, RACK), (GROUP_NAME, "g"), (SLICE_CONSTRAINTS, r#"[{"topology":"h","size":1}]"#)]),
        (
            at,
            "Forbidden: may not be set when 'kueue.x-k8s.io/podset-slice-required-topology-constraints' is specified".to_string()
        )
    );
}

/// `podset-slice-required-topology-constraints` (`validateSliceRequiredTopologyConstraintsAnnotation`,
/// `ValidateSliceSizeAnnotationUpperBound`; `TASMultiLayerTopology` beta, on).
#[test]
fn slice_constraints_parse_and_are_refused_with_the_webhook_wording() {
    let layers = r#"[{"topology":"cloud.com/topology-rack","size":4},{"Topology":"kubernetes.io/hostname","size":2}]"#;
    let want = TopologyRequest {
        layers: vec![(HOST.into(), 2)],
        ..sliced(required(BLOCK), RACK, 4)
    };
    assert_eq!(
        parse_request(&ann(&[(REQUIRED, BLOCK), (SLICE_CONSTRAINTS, layers)]), 8),
        Ok(Some(want))
    );
    // Alone, a slice-only request: unconstrained above the outer layer.
    let one = r#"[{"topology":"cloud.com/topology-rack","size":4}]"#;
    assert_eq!(
        parse_request(&ann(&[(SLICE_CONSTRAINTS, one)]), 8),
        Ok(Some(sliced(mode(TopologyMode::Unconstrained), RACK, 4)))
    );
    let err =
        |json: &str, count| parse_request(&ann(&[(SLICE_CONSTRAINTS, json)]), count).unwrap_err();
    let at = format!("[{SLICE_CONSTRAINTS}]");
    assert_eq!(
        err("[]", 8),
        (
            at.clone(),
            r#"Invalid value: "[]": topology constraints must contain between 1 and 3 entries"#
                .to_string()
        )
    );
    assert_eq!(
        err(
            r#"[{"topology":"a","size":4},{"topology":"b","size":3}]"#,
            8
        ),
        (
            format!("{at}[1].size"),
            "Invalid value: 3: must evenly divide the parent layer size 4".to_string()
        )
    );
    assert_eq!(
        err(r#"[{"topology":"a","size":0}]"#, 8),
        (
            format!("{at}[0].size"),
            "Invalid value: 0: must be greater than or equal to 1".to_string()
        )
    );
    assert_eq!(
        err(
            r#"[{"topology":"a","size":4},{"topology":"a","size":2}]"#,
            8
        ),
        (
            format!("{at}[1].topology"),
            r#"Duplicate value: "a (also at index 0)""#.to_string()
        )
    );
    assert_eq!(
        err(r#"[{"topology":"a","size":16}]"#, 8),
        (
            at.clone(),
            "Invalid value: 16: must not be greater than pod set count 8".to_string()
        )
    );
    assert_eq!(
        err(r#"{"topology":"a"}"#, 8),
        (
            at.clone(),
            r#"Invalid value: "{\"topology\":\"a\"}": must be a valid JSON array: json: cannot unmarshal object into Go value of type []v1beta2.PodsetSliceRequiredTopologyConstraint"#.to_string()
        )
    );
    let both = parse_request(
        &ann(&[
            (SLICE_REQUIRED, RACK),
            (SLICE_SIZE, "2"),
            (SLICE_CONSTRAINTS, one),
        ]),
        8,
    );
    assert_eq!(
        both,
        Err((
            at,
            "Forbidden: may not be set when 'kueue.x-k8s.io/podset-slice-required-topology' is specified".to_string()
        ))
    );
}

// ---- PodSet groups (`TestFindTopologyAssignments`, `tas_cache_test.go`) ----

const GPU_DIMS: &[&str] = &["cpu", "example.com/gpu", "pods"];

/// A node: its values per level (highest first), cpu in millicores, gpus; 10 pods.
type GpuNode<'a> = (&'a [&'a str], i64, i64);

fn gpu_snapshot(levels: &[&str], nodes: &[GpuNode]) -> TasSnapshot {
    let mut s = TasSnapshot::new(levels.iter().map(|l| l.to_string()).collect(), 3);
    s.set_topology_name("default");
    s.set_dim_names(GPU_DIMS);
    for &(values, cpu_m, gpu) in nodes {
        s.add_node(values, &[cpu_m, gpu, 10]);
    }
    s
}

/// One PodSet of a group case: its request, cpu millicores and gpus per pod, count.
type Ps<'a> = (&'a TopologyRequest, i64, i64, u32);

type Hosts = Vec<(String, u32)>;

/// Places a group of two PodSets as `FindTopologyAssignmentsForFlavor` does: the workers
/// are the first unless the second has more pods (`findLeaderAndWorkers`). The assignments
/// of the first and the second PodSet, leaves named by their lowest value.
fn run_group(s: &TasSnapshot, first: Ps, second: Ps) -> Result<(Hosts, Hosts), String> {
    let swap = second.3 > first.3;
    let (w, l) = if swap {
        (second, first)
    } else {
        (first, second)
    };
    let (workers, leader) =
        s.find_group(w.0, &[w.1, w.2, 1], w.3, Some(&[l.1, l.2, 1]), &|_| Ok(()))?;
    let name = |v: Vec<(LeafIx, u32)>| -> Hosts {
        v.into_iter()
            .map(|(leaf, n)| (s.leaf_values(leaf).last().unwrap().clone(), n))
            .collect()
    };
    let (workers, leader) = (name(workers), name(leader));
    Ok(if swap {
        (leader, workers)
    } else {
        (workers, leader)
    })
}

fn hosts(pairs: &[(&str, u32)]) -> Hosts {
    pairs.iter().map(|(v, n)| (v.to_string(), *n)).collect()
}

#[test]
fn find_topology_assignment_for_two_podsets_with_the_same_group() {
    let s = gpu_snapshot(
        &[BLOCK],
        &[(&["b1"], 2000, 2), (&["b2"], 5000, 4), (&["b3"], 2000, 2)],
    );
    let r = required(BLOCK);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&r, 1000, 1, 4)),
        Ok((hosts(&[("b2", 1)]), hosts(&[("b2", 4)])))
    );
}

#[test]
fn find_topology_assignment_for_grouped_podsets_preserves_worker_capacity_when_placing_leader() {
    let s = gpu_snapshot(
        &[RACK, HOST],
        &[
            (&["r1", "h1"], 2000, 0),
            (&["r1", "h2"], 4000, 0),
            (&["r1", "h3"], 3000, 0),
        ],
    );
    let r = required(RACK);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&r, 2000, 0, 4)),
        Ok((
            hosts(&[("h3", 1)]),
            hosts(&[("h1", 1), ("h2", 2), ("h3", 1)])
        ))
    );
    // "… for sliced grouped podsets preserves worker capacity when placing leader"
    let sliced_workers = sliced(required(RACK), HOST, 2);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&sliced_workers, 1000, 0, 8)),
        Ok((
            hosts(&[("h3", 1)]),
            hosts(&[("h1", 2), ("h2", 4), ("h3", 2)])
        ))
    );
}

#[test]
fn find_topology_assignment_for_preferred_grouped_podsets_preserves_capacity_across_domains() {
    let s = gpu_snapshot(&[HOST], &[(&["h1"], 8000, 0), (&["h2"], 3000, 0)]);
    let p = preferred(HOST);
    assert_eq!(
        run_group(&s, (&p, 1000, 0, 1), (&p, 2000, 0, 5)),
        Ok((hosts(&[("h2", 1)]), hosts(&[("h1", 4), ("h2", 1)])))
    );
}

#[test]
fn find_topology_assignment_for_unconstrained_grouped_podsets_spreads_leader_and_worker_across_domains_with_tasprofilemixed(
) {
    let s = gpu_snapshot(&[HOST], &[(&["h1"], 1000, 0), (&["h2"], 0, 1)]);
    let u = mode(TopologyMode::Unconstrained);
    assert_eq!(
        run_group(&s, (&u, 1000, 0, 1), (&u, 0, 1, 1)),
        Ok((hosts(&[("h1", 1)]), hosts(&[("h2", 1)])))
    );
}

#[test]
fn find_topology_assignment_for_grouped_podsets_preserves_leader_below_the_slice_level() {
    let s = gpu_snapshot(
        &[RACK, HOST],
        &[
            (&["r1", "leader-host"], 1000, 0),
            (&["r1", "worker-host"], 0, 1),
        ],
    );
    let r = sliced(required(RACK), RACK, 1);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&r, 0, 1, 1)),
        Ok((hosts(&[("leader-host", 1)]), hosts(&[("worker-host", 1)])))
    );
}

#[test]
fn find_topology_assignment_for_two_podsets_with_the_same_group_with_domains_that_can_tightly_fit_leader_and_workers(
) {
    let s = gpu_snapshot(
        &[BLOCK],
        &[(&["b1"], 2000, 2), (&["b2"], 8000, 8), (&["b3"], 2000, 2)],
    );
    let r = required(BLOCK);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&r, 1000, 2, 4)),
        Ok((hosts(&[("b2", 1)]), hosts(&[("b2", 4)])))
    );
}

/// Three cases on one cluster: a filler pod of 2500m on small-used.
fn small_and_large() -> TasSnapshot {
    gpu_snapshot(
        THREE,
        &[
            (&["b1", "small", "small-used"], 2800 - 2500, 0),
            (&["b1", "small", "small-free"], 2800, 0),
            (&["b1", "large", "large-free"], 6000, 0),
        ],
    )
}

#[test]
fn find_topology_assignment_for_grouped_podsets_skips_domain_where_only_workers_fit_without_leader()
{
    let r = required(RACK);
    assert_eq!(
        run_group(&small_and_large(), (&r, 2500, 0, 1), (&r, 2500, 0, 1)),
        Ok((hosts(&[("large-free", 1)]), hosts(&[("large-free", 1)])))
    );
}

#[test]
fn find_topology_assignment_for_grouped_podsets_skips_domain_where_mixed_size_workers_only_fit_without_leader(
) {
    let r = required(RACK);
    assert_eq!(
        run_group(&small_and_large(), (&r, 2500, 0, 1), (&r, 500, 0, 2)),
        Ok((hosts(&[("large-free", 1)]), hosts(&[("large-free", 2)])))
    );
}

#[test]
fn find_topology_assignment_for_grouped_podsets_keeps_tight_domain_when_leader_and_workers_fit_together(
) {
    let r = required(RACK);
    assert_eq!(
        run_group(&small_and_large(), (&r, 1000, 0, 1), (&r, 1000, 0, 1)),
        Ok((hosts(&[("small-free", 1)]), hosts(&[("small-free", 1)])))
    );
}

#[test]
fn find_topology_assignment_for_two_podsets_with_the_same_group_no_fit() {
    let s = gpu_snapshot(&[BLOCK], &[(&["b1"], 1000, 0), (&["b2"], 4000, 4)]);
    let r = required(BLOCK);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&r, 1000, 1, 4)),
        Err(r#"topology "default" allows to fit only 4 out of 4 pod(s). Total nodes: 2; excluded: resource "example.com/gpu": 1"#.into())
    );
}

#[test]
fn find_topology_assignment_for_two_podsets_with_the_same_group_optimizes_domain_for_both_leader_and_workers(
) {
    let s = gpu_snapshot(&[BLOCK], &[(&["b1"], 11000, 8), (&["b2"], 4000, 4)]);
    let r = required(BLOCK);
    assert_eq!(
        run_group(&s, (&r, 1000, 0, 1), (&r, 1000, 1, 4)),
        Ok((hosts(&[("b1", 1)]), hosts(&[("b1", 4)])))
    );
}

#[test]
fn bestfit_podset_group_workers_spread_across_hosts() {
    let s = gpu_snapshot(
        THREE,
        &[
            (&["b1", "r1", "x1"], 20000, 4),
            (&["b1", "r1", "x2"], 20000, 2),
            (&["b1", "r1", "x3"], 20000, 2),
            (&["b1", "r1", "x4"], 20000, 2),
        ],
    );
    let (leader, workers) = (preferred(BLOCK), sliced(preferred(BLOCK), HOST, 2));
    assert_eq!(
        run_group(&s, (&leader, 1000, 0, 1), (&workers, 1000, 1, 6)),
        Ok((hosts(&[("x1", 1)]), hosts(&[("x1", 4), ("x2", 2)])))
    );
}

#[test]
fn find_topology_assignment_for_two_podsets_with_the_same_group_leader_does_not_fit_anywhere() {
    let s = gpu_snapshot(&[BLOCK], &[(&["b1"], 4000, 4), (&["b2"], 4000, 4)]);
    let r = required(BLOCK);
    assert_eq!(
        run_group(&s, (&r, 10000, 0, 1), (&r, 1000, 1, 4)),
        Err(r#"topology "default" allows to fit only 4 out of 4 pod(s)"#.into())
    );
}

#[test]
fn find_topology_assignment_for_two_podsets_with_the_same_group_multiple_hosts() {
    let s = gpu_snapshot(
        THREE,
        &[
            (&["b1", "r1", "x3"], 2000, 1),
            (&["b1", "r1", "x5"], 2000, 1),
            (&["b1", "r1", "x1"], 2000, 1),
            (&["b2", "r4", "x6"], 1000, 1),
            (&["b2", "r5", "x2"], 2000, 1),
            (&["b2", "r6", "x4"], 2000, 1),
        ],
    );
    let r = required(BLOCK);
    assert_eq!(
        run_group(&s, (&r, 2000, 0, 1), (&r, 1000, 1, 2)),
        Ok((hosts(&[("x1", 1)]), hosts(&[("x3", 1), ("x5", 1)])))
    );
}

// ---- Multi-layer slices (`TestFindTopologyAssignments`, "multi-layer topology: …") ----

fn layered(req: TopologyRequest, layers: &[(&str, u32)]) -> TopologyRequest {
    let mut layers = layers.iter().map(|&(l, n)| (l.to_string(), n));
    TopologyRequest {
        slice: layers.next(),
        layers: layers.collect(),
        ..req
    }
}

fn run_hosts(
    s: &TasSnapshot,
    req: &TopologyRequest,
    cpu_m: i64,
    gpu: i64,
    count: u32,
) -> Result<Hosts, String> {
    let found = s.find(req, &[cpu_m, gpu, 1], count, &|_| true)?;
    Ok(found
        .into_iter()
        .map(|(leaf, n)| (s.leaf_values(leaf).last().unwrap().clone(), n))
        .collect())
}

const FOUR_HOSTS: &[GpuNode] = &[
    (&["b1", "r1", "x1"], 1000, 0),
    (&["b1", "r1", "x2"], 4000, 0),
    (&["b1", "r2", "x3"], 3000, 0),
    (&["b1", "r2", "x4"], 4000, 0),
];

#[test]
fn multi_layer_topology_block_required_rack_slices_of_4_host_slices_of_2_tasmultilayertopology() {
    let s = gpu_snapshot(THREE, FOUR_HOSTS);
    let req = layered(required(BLOCK), &[(RACK, 4), (HOST, 2)]);
    assert_eq!(
        run_hosts(&s, &req, 1000, 0, 8),
        Ok(hosts(&[("x2", 4), ("x3", 2), ("x4", 2)]))
    );
}

#[test]
fn multi_layer_topology_no_feature_gate_additional_layers_ignored() {
    let s = gpu_snapshot(THREE, FOUR_HOSTS);
    let req = layered(required(BLOCK), &[(RACK, 4)]);
    assert_eq!(
        run_hosts(&s, &req, 1000, 0, 8),
        Ok(hosts(&[("x1", 1), ("x2", 3), ("x3", 3), ("x4", 1)]))
    );
}

#[test]
fn multi_layer_topology_mimic_a_real_world_gb200_cluster_with_nvl36_arch() {
    // 1 dc × 2 aizones × 2 blocks × 2 racks, 18 nodes of 2 GPUs per rack (merged into the
    // rack, the lowest level).
    let levels = ["dc", "aizone", "block", "rack"];
    let racks = [
        ["dc0", "aizone0", "block0", "r0"],
        ["dc0", "aizone0", "block0", "r1"],
        ["dc0", "aizone0", "block1", "r2"],
        ["dc0", "aizone0", "block1", "r3"],
        ["dc0", "aizone1", "block2", "r4"],
        ["dc0", "aizone1", "block2", "r5"],
        ["dc0", "aizone1", "block3", "r6"],
        ["dc0", "aizone1", "block3", "r7"],
    ];
    let mut s = TasSnapshot::new(levels.iter().map(|l| l.to_string()).collect(), 3);
    s.set_topology_name("default");
    s.set_dim_names(&["cpu", "nvidia.com/gpu", "pods"]);
    for r in &racks {
        for _ in 0..18 {
            s.add_node(r, &[0, 2, 110]);
        }
    }
    let req = layered(required("dc"), &[("aizone", 48), ("rack", 16)]);
    assert_eq!(
        run_hosts(&s, &req, 0, 2, 96),
        Ok(hosts(&[
            ("r0", 16),
            ("r1", 16),
            ("r2", 16),
            ("r4", 16),
            ("r5", 16),
            ("r6", 16)
        ]))
    );
}

#[test]
fn multi_layer_topology_host_slice_rounding_makes_rack_slice_impossible() {
    let s = gpu_snapshot(
        THREE,
        &[
            (&["b1", "r1", "x1"], 3000, 0),
            (&["b1", "r1", "x2"], 3000, 0),
            (&["b1", "r1", "x3"], 0, 0),
        ],
    );
    let req = layered(required(BLOCK), &[(RACK, 6), (HOST, 2)]);
    assert_eq!(
        run_hosts(&s, &req, 1000, 0, 6),
        Err(r#"topology "default" doesn't allow to fit; 0/1 slice(s) fit on level cloud.com/topology-rack; 2/3 slice(s) fit on level kubernetes.io/hostname. Total nodes: 3; excluded: resource "cpu": 1"#.into())
    );
}

#[test]
fn multi_layer_topology_small_host_kills_rack_slices_despite_enough_total_capacity() {
    let s = gpu_snapshot(
        THREE,
        &[
            (&["b1", "r1", "x1"], 7000, 0),
            (&["b1", "r1", "x2"], 4000, 0),
            (&["b1", "r2", "x3"], 7000, 0),
            (&["b1", "r2", "x4"], 3000, 0),
        ],
    );
    let req = layered(required(BLOCK), &[(RACK, 8), (HOST, 4)]);
    assert_eq!(
        run_hosts(&s, &req, 1000, 0, 16),
        Err(r#"topology "default" doesn't allow to fit; 1/2 slice(s) fit on level cloud.com/topology-rack; 3/4 slice(s) fit on level kubernetes.io/hostname"#.into())
    );
}

#[test]
fn multi_layer_topology_enough_hostname_slices_but_not_enough_rack_slices() {
    let s = gpu_snapshot(
        THREE,
        &[
            (&["b1", "r1", "x1"], 4000, 0),
            (&["b1", "r2", "x2"], 4000, 0),
            (&["b1", "r3", "x3"], 4000, 0),
        ],
    );
    let req = layered(required(BLOCK), &[(RACK, 6), (HOST, 2)]);
    assert_eq!(
        run_hosts(&s, &req, 1000, 0, 12),
        Err(r#"topology "default" doesn't allow to fit; 0/2 slice(s) fit on level cloud.com/topology-rack; 6/6 slice(s) fit on level kubernetes.io/hostname"#.into())
    );
}

/// An inner layer must sit below the one before it and divide its size (`buildSliceSizeAtLevel`).
#[test]
fn multi_layer_topology_inner_layers_checked_against_the_topology() {
    let s = gpu_snapshot(THREE, FOUR_HOSTS);
    let above = layered(required(BLOCK), &[(HOST, 4), (RACK, 2)]);
    assert_eq!(
        run_hosts(&s, &above, 1000, 0, 8),
        Err("additional slice layer topology cloud.com/topology-rack must be at a lower level than kubernetes.io/hostname".into())
    );
    let missing = layered(required(BLOCK), &[(RACK, 4), ("zone", 2)]);
    assert_eq!(
        run_hosts(&s, &missing, 1000, 0, 8),
        Err("no requested topology level for additional slice layer: zone".into())
    );
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
            slice: slice.clone(),
            ..TopologyRequest::new(main.clone())
        };
        let per_pod = [1 + rng.below(2) as i64, 1];
        let found = s.find(&req, &per_pod, count, &|l| Some(l) != excluded);
        // The general placement (groups, inner layers) without either is the fast one.
        let eligible = |l| {
            if Some(l) != excluded {
                Ok(())
            } else {
                Err(None)
            }
        };
        let general = s.find_group(&req, &per_pod, count, None, &eligible);
        assert_eq!(
            general.map(|(workers, _)| workers),
            found,
            "case {case}: {req:?} count {count}"
        );
        let Ok(got) = found else {
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

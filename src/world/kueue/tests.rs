//! Admission cycles on Kueue's own fixtures (kueue-semantics §11): each test names the
//! upstream test case it mirrors.

use super::assign::{assign, Mode, PodSetRequest};
use super::cycle::{run_cycle, Head, Verdict};
use super::model::*;
use super::queue::RequeueReason;
use super::quota::FrQuota;
use std::collections::BTreeMap;

fn flavor(name: &str, labels: &[(&str, &str)]) -> Flavor {
    Flavor {
        name: name.into(),
        node_labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        node_taints: vec![],
        tolerations: vec![],
        exists: true,
    }
}

fn units(n: i64) -> i64 {
    n * 1000
}

fn quota(nominal: i64, borrowing_limit: Option<i64>) -> FrQuota {
    FrQuota {
        nominal: units(nominal),
        borrowing_limit: borrowing_limit.map(units),
        lending_limit: None,
    }
}

fn cq(name: &str, cohort: Option<&str>, flavors: &[(&str, FrQuota)]) -> CqSpec {
    CqSpec {
        name: name.into(),
        cohort: cohort.map(Into::into),
        groups: vec![(
            vec!["cpu".into()],
            flavors
                .iter()
                .map(|(f, q)| (f.to_string(), vec![("cpu".to_string(), *q)]))
                .collect(),
        )],
        strategy: Strategy::StrictFifo,
        fungibility: Fungibility::default(),
        reclaim_any: false,
        may_preempt: false,
        namespace_selector: Some(Default::default()),
        stopped: false,
    }
}

fn pods(model: &Model, count: u32, cpu_each: i64) -> Vec<PodSetRequest> {
    vec![PodSetRequest {
        name: "main".into(),
        count,
        per_pod: vec![(model.resource_ix("cpu").unwrap(), units(cpu_each))],
        ..Default::default()
    }]
}

fn head<'a>(wl: u32, cq: CqIx, priority: i32, ts: u64, podsets: &'a [PodSetRequest]) -> Head<'a> {
    Head {
        wl,
        cq,
        priority,
        timestamp_ns: ts,
        podsets,
        progress: None,
        namespace_matches: true,
    }
}

/// F15, `TestSchedule` "cannot borrow if cohort was assigned and would result in
/// overadmission" and its sibling with 55 pods.
#[test]
fn cohort_assigned_in_the_cycle_is_not_overadmitted() {
    for (beta_pods, beta_admitted) in [(56, false), (55, true)] {
        let mut model = ModelBuilder {
            flavors: vec![flavor("on-demand", &[]), flavor("spot", &[])],
            cluster_queues: vec![
                cq(
                    "eng-alpha",
                    Some("eng"),
                    &[
                        ("on-demand", quota(50, Some(50))),
                        ("spot", quota(100, Some(0))),
                    ],
                ),
                cq(
                    "eng-beta",
                    Some("eng"),
                    &[
                        ("on-demand", quota(50, Some(10))),
                        ("spot", quota(0, Some(100))),
                    ],
                ),
            ],
            ..Default::default()
        }
        .build();
        let alpha = pods(&model, 45, 1);
        let beta = pods(&model, beta_pods, 1);
        let heads = [head(1, 0, 0, 1, &alpha), head(2, 1, 0, 2, &beta)];
        let out = run_cycle(&mut model, &heads);
        assert_eq!(out[0].wl, 1, "alpha does not borrow, so it goes first");
        assert_eq!(out[0].verdict, Verdict::Admitted);
        let on_demand_beta = out[1].assignment.as_ref().unwrap().flavors[0][0].1;
        assert_eq!(
            model.flavors[on_demand_beta].name, "on-demand",
            "no fallback to spot"
        );
        if beta_admitted {
            assert_eq!(out[1].verdict, Verdict::Admitted);
        } else {
            let Verdict::Requeue {
                reason,
                condition_reason,
                message,
            } = &out[1].verdict
            else {
                panic!("beta admitted with {beta_pods} pods");
            };
            assert_eq!(*reason, RequeueReason::FailedAfterNomination);
            assert_eq!(*condition_reason, "WaitingForQuota");
            assert_eq!(
                message,
                "Workload no longer fits after processing another workload"
            );
        }
    }
}

/// F16, `TestSchedule` "in a hierarchical cohort, workload borrowing less is scheduled
/// first": the borrowing level is compared before priority.
#[test]
fn workload_borrowing_less_goes_first() {
    let mut model = ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues: vec![
            cq(
                "guaranteed",
                Some("guaranteed"),
                &[("default", quota(0, None))],
            ),
            cq("best-effort", Some("r"), &[("default", quota(0, None))]),
        ],
        cohorts: vec![
            CohortSpec {
                name: "r".into(),
                parent: None,
                groups: vec![],
            },
            CohortSpec {
                name: "guaranteed".into(),
                parent: Some("r".into()),
                groups: vec![(
                    vec!["cpu".into()],
                    vec![("default".into(), vec![("cpu".into(), quota(4, None))])],
                )],
            },
        ],
        ..Default::default()
    }
    .build();
    let g = pods(&model, 1, 4);
    let b = pods(&model, 1, 4);
    let heads = [head(1, 1, 3, 1, &b), head(2, 0, 0, 2, &g)];
    let out = run_cycle(&mut model, &heads);
    assert_eq!((out[0].wl, &out[0].verdict), (2, &Verdict::Admitted));
    assert_eq!(out[0].assignment.as_ref().unwrap().borrowing, 1);
    assert_eq!(out[1].assignment.as_ref().unwrap().borrowing, 2);
    assert!(matches!(
        out[1].verdict,
        Verdict::Requeue {
            reason: RequeueReason::FailedAfterNomination,
            ..
        }
    ));
}

/// F17, `TestSchedule` "capacity blocked when lending clusterqueue not guaranteed to reclaim
/// (ReclaimWithinCohort=LowerPriority)" and its companion with `Any`. Priority preemption
/// is not simulated yet, so queue A's policy shows only as whether it can always reclaim.
#[test]
fn blocked_head_reserves_its_quota_unless_its_queue_can_always_reclaim() {
    for (reclaim_any, b1_admitted) in [(false, false), (true, true)] {
        let gpu = |name: &str, nominal: i64| {
            let mut spec = cq(name, Some("root"), &[]);
            spec.groups = vec![(
                vec!["gpu".into()],
                vec![("default".into(), vec![("gpu".into(), quota(nominal, None))])],
            )];
            spec
        };
        let mut a = gpu("ClusterQueueA", 2);
        a.reclaim_any = reclaim_any;
        a.may_preempt = true;
        let mut model = ModelBuilder {
            flavors: vec![flavor("default", &[])],
            cluster_queues: vec![a, gpu("ClusterQueueB", 0)],
            ..Default::default()
        }
        .build();
        let g = model.resource_ix("gpu").unwrap();
        let fr = model.fr(0, g).unwrap();
        model.tree.add_usage(0, fr, units(1)); // a1-admitted
        let request = |n| {
            vec![PodSetRequest {
                name: "main".into(),
                count: 1,
                per_pod: vec![(g, units(n))],
                ..Default::default()
            }]
        };
        let (a2, b1) = (request(2), request(1));
        let heads = [head(1, 0, 0, 1, &a2), head(2, 1, 0, 2, &b1)];
        let out = run_cycle(&mut model, &heads);
        assert_eq!(out[0].wl, 1);
        assert!(matches!(
            out[0].verdict,
            Verdict::Requeue {
                reason: RequeueReason::PreemptionNoCandidates,
                ..
            }
        ));
        assert_eq!(
            out[1].verdict == Verdict::Admitted,
            b1_admitted,
            "reclaim any: {reclaim_any}"
        );
        let expected = if b1_admitted { 2 } else { 1 };
        assert_eq!(
            model.tree.usage(0, fr) + model.tree.usage(1, fr),
            units(expected),
            "reservations released"
        );
    }
}

/// §12.1, the tpu-multislice example: one PodSet of 8 pods × 4 chips takes the whole 32.
#[test]
fn tpu_multislice_takes_the_whole_queue_and_a_second_waits() {
    let labels = [
        ("cloud.google.com/gke-tpu-accelerator", "tpu-v6e-slice"),
        ("cloud.google.com/gke-tpu-topology", "4x4"),
    ];
    let mut spec = cq("multislice-cluster-queue", None, &[]);
    spec.strategy = Strategy::BestEffortFifo;
    spec.groups = vec![(
        vec!["google.com/tpu".into()],
        vec![(
            "v6e-4x4".into(),
            vec![("google.com/tpu".into(), quota(32, None))],
        )],
    )];
    let mut model = ModelBuilder {
        flavors: vec![flavor("v6e-4x4", &labels)],
        cluster_queues: vec![spec],
        ..Default::default()
    }
    .build();
    let tpu = model.resource_ix("google.com/tpu").unwrap();
    let mut slice = PodSetRequest {
        name: "slice".into(),
        count: 8,
        per_pod: vec![(tpu, units(4))],
        ..Default::default()
    };
    slice.node_selector = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let podsets = vec![slice];
    let out = run_cycle(&mut model, &[head(1, 0, 0, 1, &podsets)]);
    assert_eq!(out[0].verdict, Verdict::Admitted);
    let out = run_cycle(&mut model, &[head(2, 0, 0, 2, &podsets)]);
    let Verdict::Requeue {
        reason,
        condition_reason,
        message,
    } = &out[0].verdict
    else {
        panic!("a second 32-chip Workload admitted");
    };
    // It fits the queue's nominal quota, so Kueue looks for preemption candidates; with
    // every policy Never there are none.
    assert_eq!(
        (*reason, *condition_reason),
        (RequeueReason::PreemptionNoCandidates, "WaitingForQuota")
    );
    assert_eq!(
        message,
        "couldn't assign flavors to pod set slice: insufficient unused quota for google.com/tpu in flavor v6e-4x4, 32 more needed"
    );
}

/// `TestAssignFlavors`-style checks of matching, fungibility and the NoFit reasons.
#[test]
fn flavors_are_matched_by_their_own_label_keys_and_tried_in_order() {
    let mut spec = cq(
        "q",
        Some("c"),
        &[("tpu", quota(4, None)), ("gpu", quota(4, None))],
    );
    spec.fungibility.try_next_when_can_borrow = true;
    let other = cq(
        "other",
        Some("c"),
        &[("tpu", quota(4, None)), ("gpu", quota(4, None))],
    );
    let mut model = ModelBuilder {
        flavors: vec![
            flavor("tpu", &[("accel", "tpu")]),
            flavor("gpu", &[("accel", "gpu")]),
        ],
        cluster_queues: vec![spec, other],
        ..Default::default()
    }
    .build();
    let mut ps = pods(&model, 1, 2);
    // A selector on a key the flavor labels must match; other keys are not looked at.
    ps[0].node_selector =
        BTreeMap::from([("accel".into(), "gpu".into()), ("zone".into(), "a".into())]);
    let cq0 = model.cluster_queues[0].clone();
    let a = assign(&model, &cq0, &ps, None);
    assert_eq!(a.mode, Mode::Fit);
    assert_eq!(model.flavors[a.flavors[0][0].1].name, "gpu");
    // Without a selector: 6 cpu borrows on both flavors; TryNextFlavor keeps scanning and the
    // lowest borrowing level wins, the first such flavor on a tie.
    let ps = pods(&model, 1, 6);
    let a = assign(&model, &cq0, &ps, None);
    assert_eq!((a.mode, a.borrowing), (Mode::Fit, 1));
    assert_eq!(model.flavors[a.flavors[0][0].1].name, "tpu");
    assert_eq!(a.progress, vec![vec![None]], "the scan reached the end");
    // 9 cpu is more than the cohort holds of either flavor.
    let ps = pods(&model, 1, 9);
    let a = assign(&model, &cq0, &ps, None);
    assert_eq!(a.mode, Mode::NoFit);
    assert_eq!(a.reason.unwrap().as_str(), "ExceedsMaxQuota");
    assert!(a.message.contains("insufficient quota for cpu in flavor tpu, previously considered podsets requests (0) + current podset request (9) > maximum capacity (8)"), "{}", a.message);
    let _ = &mut model;
}

//! Admission cycles on Kueue's own fixtures (kueue-semantics §11): each test names the
//! upstream test case it mirrors.

use super::assign::{assign, Mode, PodSetRequest, PreemptionView};
use super::cycle::{run_cycle, Head, Verdict};
use super::fair::{compare, drs, FairSharingSpec};
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
        preemption: PreemptionPolicy::default(),
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
        let out = run_cycle(&mut model, &heads, &[]);
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
    let out = run_cycle(&mut model, &heads, &[]);
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
        a.preemption.reclaim = if reclaim_any {
            Reclaim::Any
        } else {
            Reclaim::LowerPriority
        };
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
        let out = run_cycle(&mut model, &heads, &[]);
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
    let out = run_cycle(&mut model, &[head(1, 0, 0, 1, &podsets)], &[]);
    assert_eq!(out[0].verdict, Verdict::Admitted);
    let out = run_cycle(&mut model, &[head(2, 0, 0, 2, &podsets)], &[]);
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
    let a = assign(&model, &cq0, &ps, None, no_preemption());
    assert_eq!(a.mode, Mode::Fit);
    assert_eq!(model.flavors[a.flavors[0][0].1].name, "gpu");
    // Without a selector: 6 cpu borrows on both flavors; TryNextFlavor keeps scanning and the
    // lowest borrowing level wins, the first such flavor on a tie.
    let ps = pods(&model, 1, 6);
    let a = assign(&model, &cq0, &ps, None, no_preemption());
    assert_eq!((a.mode, a.borrowing), (Mode::Fit, 1));
    assert_eq!(model.flavors[a.flavors[0][0].1].name, "tpu");
    assert_eq!(a.progress, vec![vec![None]], "the scan reached the end");
    // 9 cpu is more than the cohort holds of either flavor.
    let ps = pods(&model, 1, 9);
    let a = assign(&model, &cq0, &ps, None, no_preemption());
    assert_eq!(a.mode, Mode::NoFit);
    assert_eq!(a.reason.unwrap().as_str(), "ExceedsMaxQuota");
    assert!(a.message.contains("insufficient quota for cpu in flavor tpu, previously considered podsets requests (0) + current podset request (9) > maximum capacity (8)"), "{}", a.message);
    let _ = &mut model;
}

fn no_preemption() -> PreemptionView<'static> {
    PreemptionView {
        cq: 0,
        priority: 0,
        timestamp_ns: 0,
        admitted: &[],
    }
}

/// `TestPreemption`'s ClusterQueues (kueue-semantics §11.2), all of cpu in flavor `default`.
fn preemption_fixture() -> Model {
    use super::model::{Reclaim as R, WithinQueue as W};
    let q = |name: &str,
             cohort: Option<&str>,
             nominal: i64,
             limit: Option<i64>,
             p: PreemptionPolicy| {
        let mut spec = cq(name, cohort, &[("default", quota(nominal, limit))]);
        spec.preemption = p;
        spec
    };
    let policy = |within: W, reclaim: R, borrow_within: Option<Option<i32>>| PreemptionPolicy {
        within,
        reclaim,
        borrow_within,
    };
    let lend = |name: &str, lending: i64| {
        let mut spec = q(
            name,
            Some("cohort-lend"),
            6,
            None,
            policy(W::LowerPriority, R::LowerPriority, None),
        );
        spec.groups[0].1[0].1[0].1.lending_limit = Some(units(lending));
        spec
    };
    let shared_borrow = Some(Some(0));
    let mut cluster_queues = vec![
        q(
            "standalone",
            None,
            6,
            None,
            policy(W::LowerPriority, R::Never, None),
        ),
        q(
            "c1",
            Some("cohort"),
            6,
            Some(6),
            policy(W::LowerPriority, R::LowerPriority, None),
        ),
        q(
            "c2",
            Some("cohort"),
            6,
            Some(6),
            policy(W::Never, R::Any, None),
        ),
        q(
            "preventStarvation",
            None,
            6,
            None,
            policy(W::LowerOrNewerEqualPriority, R::Never, None),
        ),
        q(
            "a_standard",
            Some("with_shared_cq"),
            1,
            Some(12),
            policy(W::Never, R::LowerPriority, shared_borrow),
        ),
        q(
            "b_standard",
            Some("with_shared_cq"),
            1,
            Some(12),
            policy(W::LowerPriority, R::Any, shared_borrow),
        ),
        q(
            "a_best_effort",
            Some("with_shared_cq"),
            1,
            Some(12),
            policy(W::Never, R::LowerPriority, shared_borrow),
        ),
        q(
            "b_best_effort",
            Some("with_shared_cq"),
            0,
            Some(13),
            policy(W::Never, R::Never, None),
        ),
        q(
            "shared",
            Some("with_shared_cq"),
            10,
            None,
            policy(W::Never, R::Never, None),
        ),
        lend("lend1", 4),
        lend("lend2", 2),
        // TestHierarchicalPreemptions: root r holds cohort c (2 cpu of its own) with q under
        // it, and q_borrowing directly.
        q(
            "q",
            Some("c"),
            0,
            None,
            policy(W::LowerPriority, R::Any, None),
        ),
        q(
            "q_borrowing",
            Some("r"),
            0,
            None,
            policy(W::Never, R::Never, None),
        ),
    ];
    for c in &mut cluster_queues {
        c.strategy = Strategy::BestEffortFifo;
    }
    let cohorts = vec![CohortSpec {
        name: "c".into(),
        parent: Some("r".into()),
        groups: vec![(
            vec!["cpu".into()],
            vec![("default".into(), vec![("cpu".into(), quota(2, None))])],
        )],
    }];
    ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues,
        cohorts,
        ..Default::default()
    }
    .build()
}

struct Admissions {
    model: Model,
    admitted: Vec<super::preempt::Admitted>,
}

impl Admissions {
    fn new() -> Self {
        Self::of(preemption_fixture())
    }

    fn of(model: Model) -> Self {
        Admissions {
            model,
            admitted: vec![],
        }
    }

    fn cq(&self, name: &str) -> CqIx {
        (self
            .model
            .cluster_queues
            .iter()
            .position(|c| c.name == name))
        .expect("fixture queue")
    }

    /// Workload `uid` of `priority` holding `cpu` in `queue`, created at `created_s` and
    /// reserved at `reserved_s`.
    fn admit(
        &mut self,
        queue: &str,
        uid: &str,
        priority: i32,
        cpu: i64,
        created_s: u64,
        reserved_s: u64,
    ) -> &mut Self {
        let cq = self.cq(queue);
        let fr = self
            .model
            .fr(0, self.model.resource_ix("cpu").unwrap())
            .unwrap();
        self.model
            .tree
            .add_usage(self.model.cluster_queues[cq].node, fr, units(cpu));
        self.admitted.push(super::preempt::Admitted {
            wl: self.admitted.len() as u32,
            cq,
            priority,
            timestamp_ns: created_s * 1_000_000_000,
            reserved_ns: reserved_s * 1_000_000_000,
            uid: uid.into(),
            usage: vec![(fr, units(cpu))],
            evicted: false,
            lq_usage: None,
        });
        self
    }

    /// The targets an incoming Workload of `priority` asking `cpu` in `queue` gets, by UID
    /// with their reasons.
    fn targets(
        &self,
        queue: &str,
        priority: i32,
        cpu: i64,
        created_s: u64,
    ) -> Vec<(String, &'static str)> {
        let fr = self
            .model
            .fr(0, self.model.resource_ix("cpu").unwrap())
            .unwrap();
        let usage = [(fr, units(cpu))];
        let contested = std::collections::BTreeSet::from([fr]);
        let p = super::preempt::Preemptor {
            cq: self.cq(queue),
            priority,
            timestamp_ns: created_s * 1_000_000_000,
            usage: &usage,
            contested: &contested,
            placement: None,
        };
        let mut out: Vec<(String, &'static str)> =
            super::preempt::targets(&self.model, &self.model.tree, &self.admitted, &p)
                .into_iter()
                .map(|t| (self.admitted[t.wl as usize].uid.clone(), t.variant.reason()))
                .collect();
        out.sort();
        out
    }
}

fn names(v: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = v.iter().map(|(n, r)| (n.to_string(), *r)).collect();
    out.sort();
    out
}

/// F1–F3, `TestPreemption` "preempt lowest priority", "preempt multiple", "minimal set
/// excludes low priority".
#[test]
fn within_the_queue_the_lowest_priorities_go_and_the_set_is_minimal() {
    let mut full = Admissions::new();
    full.admit("standalone", "low", -1, 2, 0, 1)
        .admit("standalone", "mid", 0, 2, 0, 1)
        .admit("standalone", "high", 1, 2, 0, 1);
    assert_eq!(
        full.targets("standalone", 1, 2, 0),
        names(&[("low", "InClusterQueue")])
    );
    assert_eq!(
        full.targets("standalone", 1, 3, 0),
        names(&[("low", "InClusterQueue"), ("mid", "InClusterQueue")])
    );
    let mut f3 = Admissions::new();
    f3.admit("standalone", "low", -1, 1, 0, 1)
        .admit("standalone", "mid", 0, 2, 0, 1)
        .admit("standalone", "high", 1, 3, 0, 1);
    assert_eq!(
        f3.targets("standalone", 1, 2, 0),
        names(&[("mid", "InClusterQueue")])
    );
}

/// F4–F7: reclaiming quota a borrower took, and when not to.
#[test]
fn reclaim_within_the_cohort_follows_its_policy() {
    // F4 "reclaim quota from borrower".
    let mut f = Admissions::new();
    f.admit("c1", "c1-low", -1, 3, 0, 1)
        .admit("c2", "c2-mid", 0, 3, 0, 1)
        .admit("c2", "c2-high", 1, 6, 0, 1);
    assert_eq!(
        f.targets("c1", 1, 3, 0),
        names(&[("c2-mid", "InCohortReclamation")])
    );
    // F5 "not enough workloads borrowing".
    let mut f = Admissions::new();
    f.admit("c1", "c1-high", 1, 4, 0, 1)
        .admit("c2", "c2-low-1", -1, 4, 0, 1)
        .admit("c2", "c2-low-2", -1, 4, 0, 1);
    assert_eq!(f.targets("c1", 1, 4, 0), vec![]);
    // F6: equal priority is not lower.
    let mut f = Admissions::new();
    f.admit("c1", "c1", 0, 2, 0, 1)
        .admit("c2", "c2-1", 0, 4, 0, 1)
        .admit("c2", "c2-2", 0, 4, 0, 1);
    assert_eq!(f.targets("c1", 0, 4, 0), vec![]);
    // F7: `Any` reclaims whatever the priority, lower first.
    let mut f = Admissions::new();
    f.admit("c1", "c1-1", 0, 4, 0, 1)
        .admit("c1", "c1-2", 1, 4, 0, 1)
        .admit("c2", "c2", 0, 2, 0, 1);
    assert_eq!(
        f.targets("c2", 0, 4, 0),
        names(&[("c1-1", "InCohortReclamation")])
    );
}

/// F8 "preempt newer workloads with the same priority": the most recently reserved goes.
#[test]
fn lower_or_newer_equal_priority_takes_the_most_recently_reserved() {
    let mut f = Admissions::new();
    f.admit("preventStarvation", "wl1", 2, 2, 15, 15)
        .admit("preventStarvation", "wl2", 1, 2, 15, 16)
        .admit("preventStarvation", "wl3", 1, 2, 15, 15);
    assert_eq!(
        f.targets("preventStarvation", 1, 2, 0),
        names(&[("wl2", "InClusterQueue")])
    );
}

/// F9–F11: `borrowWithinCohort` and its priority threshold.
#[test]
fn borrow_within_cohort_preempts_below_the_threshold_only() {
    let mut f = Admissions::new();
    f.admit("a_best_effort", "a_best_effort_low", -1, 10, 0, 1)
        .admit("b_best_effort", "b_best_effort_low", -1, 1, 0, 1);
    assert_eq!(
        f.targets("a_standard", 0, 10, 0),
        names(&[("a_best_effort_low", "InCohortReclaimWhileBorrowing")])
    );
    let mut f = Admissions::new();
    f.admit("b_standard", "b_standard", 1, 10, 0, 1);
    assert_eq!(f.targets("a_standard", 2, 10, 0), vec![]);
    let mut f = Admissions::new();
    f.admit("b_standard", "b_standard", 1, 13, 0, 1);
    assert_eq!(
        f.targets("a_standard", 2, 1, 0),
        names(&[("b_standard", "InCohortReclamation")])
    );
}

/// F12 "reclaim quota from lender" and F13: lending limits bound what can be reclaimed.
#[test]
fn lending_limits_bound_reclamation() {
    let mut f = Admissions::new();
    f.admit("lend1", "lend1-low", -1, 3, 0, 1)
        .admit("lend2", "lend2-mid", 0, 3, 0, 1)
        .admit("lend2", "lend2-high", 1, 4, 0, 1);
    assert_eq!(
        f.targets("lend1", 1, 3, 0),
        names(&[("lend2-mid", "InCohortReclamation")])
    );
    // F13: lend1 can reach 2 of its own + 6 lendable = 8 < 9: no flavor fits at all.
    let mut f = Admissions::new();
    f.admit("lend2", "lend2-low", -1, 10, 0, 1);
    let queue = f.model.cluster_queues[f.cq("lend1")].clone();
    let ps = pods(&f.model, 1, 9);
    let view = PreemptionView {
        cq: f.cq("lend1"),
        priority: 0,
        timestamp_ns: 0,
        admitted: &f.admitted,
    };
    let a = assign(&f.model, &queue, &ps, None, view);
    assert_eq!(
        (a.mode, a.reason.unwrap().as_str()),
        (Mode::NoFit, "ExceedsMaxQuota")
    );
}

/// F14, `TestHierarchicalPreemptions` "prefer to preempt hierarchical candidate": the
/// subtree that owns the quota reclaims it before touching a lower priority at home.
#[test]
fn the_subtree_owning_the_quota_reclaims_it_first() {
    let mut f = Admissions::new();
    f.admit("q_borrowing", "admitted_borrowing", 1, 1, 0, 1)
        .admit("q", "admitted_same_queue", -2, 1, 0, 1);
    assert_eq!(
        f.targets("q", 0, 1, 0),
        names(&[("admitted_borrowing", "InCohortReclamation")])
    );
}

/// F18, `TestSchedule` "A workload is only eligible to do preemptions if it fits fully
/// within nominal quota": 3 cpu asked of a 2-cpu queue without borrowWithinCohort is no fit,
/// so nobody is preempted and the Workload is parked.
#[test]
fn only_a_workload_within_its_nominal_quota_may_preempt() {
    use super::model::{Reclaim, WithinQueue};
    let mut alpha = cq("other-alpha", Some("other"), &[("default", quota(2, None))]);
    alpha.preemption = PreemptionPolicy {
        within: WithinQueue::LowerPriority,
        reclaim: Reclaim::Any,
        borrow_within: None,
    };
    alpha.strategy = Strategy::BestEffortFifo;
    let beta = cq("other-beta", Some("other"), &[("default", quota(2, None))]);
    let mut model = ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues: vec![alpha, beta],
        ..Default::default()
    }
    .build();
    let fr = model.fr(0, model.resource_ix("cpu").unwrap()).unwrap();
    let admitted: Vec<super::preempt::Admitted> = [(0, "a1"), (1, "b1")]
        .iter()
        .enumerate()
        .map(|(i, &(cq, uid))| {
            model
                .tree
                .add_usage(model.cluster_queues[cq].node, fr, units(1));
            super::preempt::Admitted {
                wl: i as u32,
                cq,
                priority: -1,
                timestamp_ns: 0,
                reserved_ns: 0,
                uid: uid.into(),
                usage: vec![(fr, units(1))],
                evicted: false,
                lq_usage: None,
            }
        })
        .collect();
    let incoming = pods(&model, 1, 3);
    let heads = [head(9, 0, 1, 5, &incoming)];
    let out = run_cycle(&mut model, &heads, &admitted);
    assert_eq!(out[0].assignment.as_ref().unwrap().mode, Mode::NoFit);
    assert!(matches!(
        out[0].verdict,
        Verdict::Requeue {
            reason: RequeueReason::NoFit,
            ..
        }
    ));
}

/// Required node affinity is matched on the flavor's own keys too (§5.4 step 2): any term,
/// each restricted to the keys the flavor labels; a term left empty matches anything.
#[test]
fn required_affinity_terms_are_restricted_to_the_flavor_keys() {
    use super::assign::matches_flavor;
    use crate::api::types::NodeSelectorRequirement;
    let req = |key: &str, op: &str, values: &[&str]| NodeSelectorRequirement {
        key: key.into(),
        operator: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let gpu = BTreeMap::from([("accel".to_string(), "gpu".to_string())]);
    let tpu = BTreeMap::from([("accel".to_string(), "tpu".to_string())]);
    let mut ps = PodSetRequest {
        affinity_terms: vec![vec![
            req("accel", "In", &["gpu"]),
            req("zone", "In", &["a"]),
        ]],
        ..Default::default()
    };
    assert!(matches_flavor(&ps, &gpu), "zone is not a flavor key");
    assert!(!matches_flavor(&ps, &tpu));
    ps.affinity_terms.push(vec![req("zone", "NotIn", &["b"])]);
    assert!(
        matches_flavor(&ps, &tpu),
        "a term with no flavor key matches anything"
    );
    ps.affinity_terms = vec![vec![req("accel", "NotIn", &["gpu"])]];
    assert!((!matches_flavor(&ps, &gpu)) && matches_flavor(&ps, &tpu));
}

// ---- Fair sharing (kueue-semantics §7) ----

/// A ClusterQueue in `cohort` with nominal quota per resource of flavor `default`.
fn cq_res(name: &str, cohort: Option<&str>, nominal: &[(&str, i64)]) -> CqSpec {
    let mut spec = cq(name, cohort, &[]);
    spec.groups = vec![(
        nominal.iter().map(|(r, _)| r.to_string()).collect(),
        vec![(
            "default".to_string(),
            (nominal.iter())
                .map(|&(r, n)| {
                    (
                        r.to_string(),
                        FrQuota {
                            nominal: n,
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        )],
    )];
    spec
}

fn fair(weights: &[(&str, i64)]) -> Option<FairSharingSpec> {
    Some(FairSharingSpec {
        strategies: vec![],
        cq_weights: weights.iter().map(|(n, w)| (n.to_string(), *w)).collect(),
        cohort_weights: BTreeMap::new(),
    })
}

/// `TestDominantResourceShare`: a ClusterQueue `cq` and a lender `lending-cq` in one cohort;
/// `cq` uses `usage` (per resource, flavor `default`); its DRS resource and weighted share.
fn dominant_share(
    cq_nominal: &[(&str, i64)],
    lender_nominal: &[(&str, i64)],
    weights: &[(&str, i64)],
    usage: &[(&str, i64)],
) -> (Option<String>, i64, bool) {
    let mut model = ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues: vec![
            cq_res("cq", Some("test-cohort"), cq_nominal),
            cq_res("lending-cq", Some("test-cohort"), lender_nominal),
        ],
        fair_sharing: fair(weights),
        ..Default::default()
    }
    .build();
    for &(r, v) in usage {
        let fr = model.fr(0, model.resource_ix(r).unwrap()).unwrap();
        model.tree.add_usage(model.cluster_queues[0].node, fr, v);
    }
    let fs = model.fair_sharing.as_ref().unwrap();
    let d = drs(&model, fs, &model.tree, model.cluster_queues[0].node, &[]);
    let root = model.tree.root(model.cluster_queues[0].node);
    let cohort = drs(&model, fs, &model.tree, root, &[]);
    let lender = drs(&model, fs, &model.tree, model.cluster_queues[1].node, &[]);
    assert!(!cohort.borrowing() && cohort.weighted_share() == 0);
    assert!(!lender.borrowing() && lender.weighted_share() == 0);
    let name = d.dominant.map(|r| model.resources[r].clone());
    (name, d.weighted_share(), d.borrowing())
}

/// `TestDominantResourceShare` (kueue-semantics §7.1's worked example and four more cases):
/// cpu in milli-units, gpus in units, weights in thousandths.
#[test]
fn dominant_resource_share_of_a_borrowing_queue() {
    let gpu = "example.com/gpu";
    let cq = [("cpu", units(2)), (gpu, 5)];
    let lender = [("cpu", units(8)), (gpu, 5)];
    // "usage above nominal": cpu (3−2)×1000/10 = 100, gpu (7−5)×1000/10 = 200.
    assert_eq!(
        dominant_share(&cq, &lender, &[], &[("cpu", units(3)), (gpu, 7)]),
        (Some(gpu.to_string()), 200, true)
    );
    // "one resource above nominal".
    assert_eq!(
        dominant_share(&cq, &lender, &[], &[("cpu", units(3)), (gpu, 3)]),
        (Some("cpu".to_string()), 100, true)
    );
    // "usage below nominal".
    assert_eq!(
        dominant_share(&cq, &lender, &[], &[("cpu", units(1)), (gpu, 2)]),
        (None, 0, false)
    );
    // "usage slightly above nominal in a cohort with large quotas": 1×1000/1500 rounds up.
    assert_eq!(
        dominant_share(
            &[(gpu, 500)],
            &[(gpu, 1000)],
            &[("lending-cq", 300_000)],
            &[(gpu, 501)]
        ),
        (Some(gpu.to_string()), 1, true)
    );
    // "above nominal with decimal weight": 200 / 0.5.
    assert_eq!(
        dominant_share(&[(gpu, 5)], &[(gpu, 5)], &[("cq", 500)], &[(gpu, 7)]),
        (Some(gpu.to_string()), 400, true)
    );
    // "above nominal with zero weight": an infinite share.
    assert_eq!(
        dominant_share(&[(gpu, 5)], &[(gpu, 10)], &[("cq", 0)], &[(gpu, 7)]),
        (Some(gpu.to_string()), i64::MAX, true)
    );
}

/// Shares compare exactly: 2/3 against 666/1000 and the zero-weight rule.
#[test]
fn shares_compare_as_exact_fractions() {
    let mut model = ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues: vec![
            cq("a", Some("k"), &[("default", quota(1, None))]),
            cq("b", Some("k"), &[("default", quota(1, None))]),
            cq("z", Some("k"), &[("default", quota(1, None))]),
        ],
        fair_sharing: fair(&[("z", 0)]),
        ..Default::default()
    }
    .build();
    let fr = model.fr(0, model.resource_ix("cpu").unwrap()).unwrap();
    let node = |m: &Model, i: usize| m.cluster_queues[i].node;
    // Lendable 3 cpu. a borrows 2000m of it: 2000×1000/3000 = 666.67; b borrows 1998m: 666.
    let (na, nb, nz) = (node(&model, 0), node(&model, 1), node(&model, 2));
    model.tree.add_usage(na, 0, units(1) + 2000);
    let fs = model.fair_sharing.as_ref().unwrap();
    let share = |m: &Model, n, extra: &[(usize, i64)]| drs(m, fs, &m.tree, n, extra);
    let a = share(&model, na, &[]);
    let b = share(&model, nb, &[(fr, units(1) + 1998)]);
    let b2 = share(&model, nb, &[(fr, units(1) + 2000)]);
    assert_eq!(compare(&a, &b), std::cmp::Ordering::Greater);
    assert_eq!(compare(&a, &b2), std::cmp::Ordering::Equal);
    assert_eq!((a.weighted_share(), b.weighted_share()), (667, 666));
    // A zero weight borrowing ranks above any finite share; not borrowing, it is zero.
    let z_idle = share(&model, nz, &[]);
    let z = share(&model, nz, &[(fr, units(1) + 1)]);
    assert_eq!(compare(&z, &a), std::cmp::Ordering::Greater);
    assert_eq!(compare(&z_idle, &b), std::cmp::Ordering::Less);
    assert_eq!(z.weighted_share(), i64::MAX);
}

/// F19, `TestScheduleForFairSharing` "fair sharing schedule workload with lowest drf after
/// admission": cohort A holds 100 cpu; b (nominal 0) already runs 10. With its entry b would
/// have 600, c 750: b1 goes first and c1 then no longer fits.
#[test]
fn fair_sharing_admits_the_lowest_share_after_admission_first() {
    let mut model = ModelBuilder {
        flavors: vec![flavor("on-demand", &[])],
        cluster_queues: vec![
            cq("b", Some("A"), &[("on-demand", quota(0, None))]),
            cq("c", Some("A"), &[("on-demand", quota(0, None))]),
        ],
        cohorts: vec![CohortSpec {
            name: "A".into(),
            parent: None,
            groups: vec![(
                vec!["cpu".into()],
                vec![("on-demand".into(), vec![("cpu".into(), quota(100, None))])],
            )],
        }],
        fair_sharing: fair(&[]),
        ..Default::default()
    }
    .build();
    let fr = model.fr(0, model.resource_ix("cpu").unwrap()).unwrap();
    model
        .tree
        .add_usage(model.cluster_queues[0].node, fr, units(10));
    let admitted = [super::preempt::Admitted {
        wl: 0,
        cq: 0,
        priority: 0,
        timestamp_ns: 0,
        reserved_ns: 0,
        uid: "b0".into(),
        usage: vec![(fr, units(10))],
        evicted: false,
        lq_usage: None,
    }];
    let b1 = pods(&model, 1, 50);
    let c1 = pods(&model, 1, 75);
    // c1 is older and listed first: only the shares put b1 ahead.
    let heads = [head(2, 1, 0, 1, &c1), head(1, 0, 0, 2, &b1)];
    let out = run_cycle(&mut model, &heads, &admitted);
    assert_eq!((out[0].wl, &out[0].verdict), (1, &Verdict::Admitted));
    assert_eq!(out[1].wl, 2);
    assert!(matches!(
        &out[1].verdict,
        Verdict::Requeue { reason: RequeueReason::FailedAfterNomination, message, .. }
            if message == "Workload no longer fits after processing another workload"
    ));
    // Without fair sharing the older c1 would have gone first.
    let mut classical = model.clone();
    classical.fair_sharing = None;
    classical
        .tree
        .remove_usage(classical.cluster_queues[0].node, fr, units(50));
    let out = run_cycle(&mut classical, &heads, &admitted);
    assert_eq!((out[0].wl, &out[0].verdict), (2, &Verdict::Admitted));
}

/// A preemptor whose queue's subtree is not borrowing on its FRs wins the tournament before
/// the shares are compared (`FairSharingPrioritizeNonBorrowing`): `TestScheduleForFairSharing`
/// "prefer non-borrowing workload" in spirit, here a ClusterQueue within its nominal quota
/// against one with a lower share that borrows.
#[test]
fn fair_sharing_prefers_an_entry_that_does_not_borrow() {
    let mut model = ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues: vec![
            cq("big", Some("k"), &[("default", quota(10, None))]),
            cq("small", Some("k"), &[("default", quota(0, None))]),
            cq("lender", Some("k"), &[("default", quota(90, None))]),
        ],
        fair_sharing: fair(&[]),
        ..Default::default()
    }
    .build();
    // big asks 10 (within nominal, share 0); small asks 1 (borrowing, share 1000/100 = 10).
    let big = pods(&model, 1, 10);
    let small = pods(&model, 1, 1);
    let heads = [head(1, 1, 5, 1, &small), head(2, 0, 0, 2, &big)];
    let out = run_cycle(&mut model, &heads, &[]);
    assert_eq!(out[0].wl, 2, "the entry within nominal goes first");
    assert_eq!(out[1].wl, 1);
    assert!(out.iter().all(|d| d.verdict == Verdict::Admitted));
}

/// `TestFairPreemptions`' ClusterQueues: a, b, c with 3 cpu each (within LowerPriority,
/// reclaim Any, borrowWithinCohort LowerPriority below −3, which fair sharing ignores) and
/// `preemptible` with none, all in cohort `all`.
fn fair_preemption_fixture(weights: &[(&str, i64)]) -> Admissions {
    use super::model::{Reclaim as R, WithinQueue as W};
    let mut cluster_queues: Vec<CqSpec> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            let mut spec = cq(name, Some("all"), &[("default", quota(3, None))]);
            spec.preemption = PreemptionPolicy {
                within: W::LowerPriority,
                reclaim: R::Any,
                borrow_within: Some(Some(-3)),
            };
            spec
        })
        .collect();
    cluster_queues.push(cq(
        "preemptible",
        Some("all"),
        &[("default", quota(0, None))],
    ));
    Admissions::of(
        ModelBuilder {
            flavors: vec![flavor("default", &[])],
            cluster_queues,
            fair_sharing: fair(weights),
            ..Default::default()
        }
        .build(),
    )
}

impl Admissions {
    /// Workloads of one cpu each named `names` (a name ending in `_low` has priority −1).
    fn units_in(&mut self, queue: &str, names: &[&str]) -> &mut Self {
        for n in names {
            let priority = if n.ends_with("_low") { -1 } else { 0 };
            self.admit(queue, n, priority, 1, 0, 1);
        }
        self
    }

    /// Admitted Workload `uid` holding `milli` cpu.
    fn admit_milli(&mut self, queue: &str, uid: &str, milli: i64) -> &mut Self {
        let cq = self.cq(queue);
        let fr = (self.model)
            .fr(0, self.model.resource_ix("cpu").unwrap())
            .unwrap();
        let node = self.model.cluster_queues[cq].node;
        self.model.tree.add_usage(node, fr, milli);
        self.admitted.push(super::preempt::Admitted {
            wl: self.admitted.len() as u32,
            cq,
            priority: 0,
            timestamp_ns: 0,
            reserved_ns: 1_000_000_000,
            uid: uid.into(),
            usage: vec![(fr, milli)],
            evicted: false,
            lq_usage: None,
        });
        self
    }

    fn targets_milli(&self, queue: &str, milli: i64) -> Vec<(String, &'static str)> {
        let fr = (self.model)
            .fr(0, self.model.resource_ix("cpu").unwrap())
            .unwrap();
        let usage = [(fr, milli)];
        let contested = std::collections::BTreeSet::from([fr]);
        let p = super::preempt::Preemptor {
            cq: self.cq(queue),
            priority: 0,
            timestamp_ns: 0,
            usage: &usage,
            contested: &contested,
            placement: None,
        };
        let mut out: Vec<(String, &'static str)> =
            super::preempt::targets(&self.model, &self.model.tree, &self.admitted, &p)
                .into_iter()
                .map(|t| (self.admitted[t.wl as usize].uid.clone(), t.variant.reason()))
                .collect();
        out.sort();
        out
    }
}

/// F22, `TestFairPreemptions` "reclaim nominal from user using the most": c stays within
/// its nominal quota with the incoming Workload, so it reclaims from the highest share
/// unconditionally (`FairSharingPreemptWithinNominal`).
#[test]
fn fair_preemption_reclaims_nominal_from_the_highest_share() {
    let mut f = fair_preemption_fixture(&[]);
    f.units_in("a", &["a1", "a2", "a3"])
        .units_in("b", &["b1", "b2", "b3", "b4", "b5"])
        .units_in("c", &["c1"]);
    assert_eq!(
        f.targets("c", 0, 1, 0),
        names(&[("b1", "InCohortReclamation")])
    );
    // "reclaim borrowable quota from user using the most": a borrows with the incoming
    // Workload (share 1000/9 ≈ 111), b after losing one has 111 too: S2-a passes.
    assert_eq!(
        f.targets("a", 0, 1, 0),
        names(&[("b1", "InCohortFairSharing")])
    );
}

/// F20, `TestFairPreemptions` "can't preempt when it would switch the imbalance": a would
/// borrow 2 (222) and b borrows 2 (222); S2-a (222 ≤ 111) and S2-b (222 < 222) both fail.
/// With "can't preempt when everyone under nominal".
#[test]
fn fair_preemption_does_not_switch_the_imbalance() {
    let mut f = fair_preemption_fixture(&[]);
    f.units_in("a", &["a1", "a2", "a3"])
        .units_in("b", &["b1", "b2", "b3", "b4", "b5"]);
    assert_eq!(f.targets("a", 0, 2, 0), vec![]);
    let mut f = fair_preemption_fixture(&[]);
    f.units_in("a", &["a1", "a2", "a3"])
        .units_in("b", &["b1", "b2", "b3"])
        .units_in("c", &["c1", "c2", "c3"]);
    assert_eq!(f.targets("c", 0, 1, 0), vec![]);
}

/// F21, `TestFairPreemptions` "can preempt a combination of same CQ and highest user", and
/// "can preempt lower priority workloads from same CQ".
#[test]
fn fair_preemption_combines_the_own_queue_and_the_highest_share() {
    let mut f = fair_preemption_fixture(&[]);
    f.units_in("a", &["a_low", "a2", "a3"])
        .units_in("b", &["b1", "b2", "b3", "b4", "b5", "b6"]);
    assert_eq!(
        f.targets("a", 0, 2, 0),
        names(&[("a_low", "InClusterQueue"), ("b1", "InCohortFairSharing")])
    );
    let mut f = fair_preemption_fixture(&[]);
    f.units_in("a", &["a1_low", "a2_low", "a3", "a4"])
        .units_in("b", &["b1", "b2", "b3", "b4", "b5"]);
    assert_eq!(
        f.targets("a", 0, 2, 0),
        names(&[("a1_low", "InClusterQueue"), ("a2_low", "InClusterQueue")])
    );
}

/// `TestFairPreemptions` cases with fractional Workloads: "preempt one from each CQ
/// borrowing", "prefer to preempt workloads that don't make the target CQ have the biggest
/// share", "preempt from different cluster queues if the end result has a smaller max
/// share", "can reclaim from queue using less, if taking the latest workload from user using
/// the most isn't enough".
#[test]
fn fair_preemption_spreads_over_the_highest_shares() {
    let mut f = fair_preemption_fixture(&[]);
    f.admit_milli("a", "a1", 500)
        .admit_milli("a", "a2", 500)
        .admit_milli("a", "a3", 3000)
        .admit_milli("b", "b1", 500)
        .admit_milli("b", "b2", 500)
        .admit_milli("b", "b3", 3000);
    assert_eq!(
        f.targets_milli("c", 2000),
        names(&[("a1", "InCohortReclamation"), ("b1", "InCohortReclamation")])
    );
    let mut f = fair_preemption_fixture(&[]);
    f.admit_milli("b", "b1", 2000)
        .admit_milli("b", "b2", 1000)
        .admit_milli("b", "b3", 2000)
        .admit_milli("c", "c1", 1000);
    assert_eq!(
        f.targets_milli("a", 3500),
        names(&[("b2", "InCohortFairSharing")])
    );
    let mut f = fair_preemption_fixture(&[]);
    f.admit_milli("b", "b1", 2000)
        .admit_milli("b", "b2", 2500)
        .admit_milli("c", "c1", 2000)
        .admit_milli("c", "c2", 2500);
    assert_eq!(
        f.targets_milli("a", 3500),
        names(&[("b1", "InCohortFairSharing"), ("c1", "InCohortFairSharing")])
    );
    let mut f = fair_preemption_fixture(&[]);
    f.admit_milli("a", "a1", 3000)
        .admit_milli("a", "a2", 1000)
        .admit_milli("b", "b1", 2000)
        .admit_milli("b", "b2", 3000);
    assert_eq!(
        f.targets_milli("c", 3000),
        names(&[("a1", "InCohortReclamation")])
    );
}

/// A fair-sharing tree of cpu in flavor `default`: ClusterQueues `(name, cohort, nominal
/// cpu (None: no resource group), weight in thousandths)`, each with `withinClusterQueue:
/// LowerPriority` and `reclaimWithinCohort: Any`, and cohorts `(name, parent, own cpu,
/// weight)`.
fn fair_tree(
    queues: &[(&str, &str, Option<i64>, i64)],
    cohorts: &[(&str, Option<&str>, i64, i64)],
) -> Admissions {
    use super::model::{Reclaim as R, WithinQueue as W};
    let cluster_queues = (queues.iter())
        .map(|&(name, cohort, nominal, _)| {
            let mut spec = cq(name, Some(cohort), &[("default", quota(0, None))]);
            match nominal {
                Some(n) => spec.groups[0].1[0].1[0].1.nominal = units(n),
                None => spec.groups.clear(),
            }
            spec.preemption = PreemptionPolicy {
                within: W::LowerPriority,
                reclaim: R::Any,
                borrow_within: None,
            };
            spec
        })
        .collect();
    let cohort_specs = (cohorts.iter())
        .map(|&(name, parent, own, _)| CohortSpec {
            name: name.into(),
            parent: parent.map(Into::into),
            groups: vec![(
                vec!["cpu".into()],
                vec![("default".into(), vec![("cpu".into(), quota(own, None))])],
            )],
        })
        .collect();
    Admissions::of(
        ModelBuilder {
            flavors: vec![flavor("default", &[])],
            cluster_queues,
            cohorts: cohort_specs,
            fair_sharing: Some(FairSharingSpec {
                strategies: vec![],
                cq_weights: (queues.iter()).map(|q| (q.0.to_string(), q.3)).collect(),
                cohort_weights: (cohorts.iter()).map(|c| (c.0.to_string(), c.3)).collect(),
            }),
            ..Default::default()
        }
        .build(),
    )
}

/// `TestFairPreemptions` on hierarchical cohorts: "hierarchical preemption" (a, weighted 2
/// under LEFT weighted 2, takes from b, c and e, the shares compared at each pair's
/// children of their lowest common ancestor), "borrowing cq in non-borrowing cohort is
/// protected", "deep preemption" (almost-LCAs A and B four levels up), "cohort with zero
/// weight can reclaim nominal quota".
#[test]
fn fair_preemption_compares_shares_below_the_lowest_common_ancestor() {
    let mut f = fair_tree(
        &[
            ("a", "LEFT", Some(1), 2000),
            ("b", "LEFT", Some(1), 1000),
            ("c", "ROOT", Some(1), 1000),
            ("d", "RIGHT", Some(1), 1000),
            ("e", "RIGHT", Some(1), 990),
        ],
        &[
            ("ROOT", None, 5, 1000),
            ("LEFT", Some("ROOT"), 5, 2000),
            ("RIGHT", Some("ROOT"), 5, 1000),
        ],
    );
    for q in ["b", "c", "d", "e"] {
        for p in 1..=5 {
            f.admit(q, &format!("{q}{p}"), p, 1, 0, 1);
        }
    }
    assert_eq!(
        f.targets("a", 0, 5, 0),
        names(&[
            ("b1", "InCohortFairSharing"),
            ("b2", "InCohortFairSharing"),
            ("c1", "InCohortFairSharing"),
            ("c2", "InCohortFairSharing"),
            ("e1", "InCohortFairSharing"),
        ])
    );

    let mut f = fair_tree(
        &[("a", "ROOT", Some(5), 10_000), ("b", "RIGHT", None, 100)],
        &[("ROOT", None, 0, 1000), ("RIGHT", Some("ROOT"), 1, 100)],
    );
    f.admit("a", "a1", -1, 1, 0, 1)
        .admit("a", "a2", -1, 1, 0, 1)
        .admit("a", "a3", -1, 1, 0, 1)
        .admit("b", "b1", -1, 1, 0, 1);
    assert_eq!(
        f.targets("a", 0, 5, 0),
        names(&[
            ("a1", "InClusterQueue"),
            ("a2", "InClusterQueue"),
            ("a3", "InClusterQueue"),
        ])
    );

    let mut f = fair_tree(
        &[("a", "AAA", Some(0), 1000), ("b", "BBB", Some(0), 1000)],
        &[
            ("ROOT", None, 0, 1000),
            ("A", Some("ROOT"), 0, 1010),
            ("AA", Some("A"), 0, 1000),
            ("AAA", Some("AA"), 0, 1000),
            ("B", Some("ROOT"), 0, 990),
            ("BB", Some("B"), 0, 1000),
            ("BBB", Some("BB"), 0, 1000),
            ("C", Some("ROOT"), 0, 1000),
            ("CC", Some("C"), 0, 1000),
            ("CCC", Some("CC"), 0, 1000),
            ("CCCC", Some("CCC"), 1, 1000),
        ],
    );
    f.admit("b", "b1", 0, 1, 0, 1);
    assert_eq!(
        f.targets("a", 0, 1, 0),
        names(&[("b1", "InCohortFairSharing")])
    );

    let mut f = fair_tree(
        &[("a", "A", Some(0), 0), ("b", "ROOT", Some(0), 1000)],
        &[("ROOT", None, 0, 1000), ("A", Some("ROOT"), 1, 0)],
    );
    f.admit("b", "b1", 0, 1, 0, 1);
    assert_eq!(
        f.targets("a", 0, 1, 0),
        names(&[("b1", "InCohortFairSharing")])
    );
}

/// `TestFairPreemptions` with weights: "CQ with higher weight can preempt more", "can
/// preempt anything borrowing from CQ with 0 weight", "can't preempt nominal from CQ with 0
/// weight", "cq with zero weight can reclaim nominal quota", "zero weight borrowing
/// preemptor cannot preempt from a borrowing CQ with a non-zero weight", "can preempt within
/// cluster queue when no cohort".
#[test]
fn fair_preemption_weighs_the_shares() {
    let three = |wa: i64, wb: i64| {
        fair_tree(
            &[
                ("a", "all", Some(3), wa),
                ("b", "all", Some(3), wb),
                ("c", "all", Some(3), 1000),
            ],
            &[],
        )
    };
    let bs = ["b1", "b2", "b3", "b4", "b5", "b6"];
    let mut f = three(2000, 1000);
    f.units_in("a", &["a1", "a2", "a3"]).units_in("b", &bs);
    assert_eq!(
        f.targets("a", 0, 2, 0),
        names(&[("b1", "InCohortFairSharing"), ("b2", "InCohortFairSharing")])
    );
    let mut f = three(1000, 0);
    f.units_in("a", &["a1", "a2", "a3"]).units_in("b", &bs);
    assert_eq!(
        f.targets("a", 0, 3, 0),
        names(&[
            ("b1", "InCohortFairSharing"),
            ("b2", "InCohortFairSharing"),
            ("b3", "InCohortFairSharing"),
        ])
    );
    let mut f = fair_tree(
        &[("a", "all", Some(3), 1000), ("b", "all", Some(3), 0)],
        &[],
    );
    f.units_in("a", &["a1", "a2", "a3"])
        .units_in("b", &["b1", "b2", "b3"]);
    assert_eq!(f.targets("a", 0, 1, 0), vec![]);
    let mut f = fair_tree(
        &[("a", "ROOT", Some(1), 0), ("b", "ROOT", Some(0), 1000)],
        &[],
    );
    f.units_in("b", &["b1"]);
    assert_eq!(
        f.targets("a", 0, 1, 0),
        names(&[("b1", "InCohortReclamation")])
    );
    let mut f = fair_tree(
        &[("a", "all", Some(1), 0), ("b", "all", Some(1), 1000)],
        &[],
    );
    f.units_in("a", &["a1"]).units_in("b", &["b1", "b2"]);
    assert_eq!(f.targets("a", 0, 1, 0), vec![]);
    // No cohort: only the own queue, by priority.
    let mut solo = cq("a", None, &[("default", quota(1, None))]);
    solo.preemption.within = super::model::WithinQueue::LowerPriority;
    let mut f = Admissions::of(
        ModelBuilder {
            flavors: vec![flavor("default", &[])],
            cluster_queues: vec![solo],
            fair_sharing: fair(&[]),
            ..Default::default()
        }
        .build(),
    );
    f.units_in("a", &["a1"]);
    assert_eq!(
        f.targets("a", 1000, 1, 0),
        names(&[("a1", "InClusterQueue")])
    );
}

/// `TestScheduleForFairSharing` "hierarchical fair sharing schedule workload which wins
/// tournament": cohort A (200 cpu of its own) holds cohorts B (d, e) and C (f, g), all
/// queues nominal 0; d, e and g already run 10, 20 and 100. In C, f1 (share 5 with it) beats
/// g1 (505); in B, d1 (400) beats e1 (405); at the root B with d1 (500) beats C with f1
/// (505). d1 takes the last 70 and nothing else fits.
#[test]
fn fair_sharing_tournament_runs_up_the_cohort_tree() {
    let queue = |name: &str, cohort: &str| cq(name, Some(cohort), &[("on-demand", quota(0, None))]);
    let child = |name: &str| CohortSpec {
        name: name.into(),
        parent: Some("A".into()),
        groups: vec![],
    };
    let mut model = ModelBuilder {
        flavors: vec![flavor("on-demand", &[])],
        cluster_queues: vec![
            queue("d", "B"),
            queue("e", "B"),
            queue("f", "C"),
            queue("g", "C"),
        ],
        cohorts: vec![
            CohortSpec {
                name: "A".into(),
                parent: None,
                groups: vec![(
                    vec!["cpu".into()],
                    vec![("on-demand".into(), vec![("cpu".into(), quota(200, None))])],
                )],
            },
            child("B"),
            child("C"),
        ],
        fair_sharing: fair(&[]),
        ..Default::default()
    }
    .build();
    let fr = model.fr(0, model.resource_ix("cpu").unwrap()).unwrap();
    let admitted: Vec<super::preempt::Admitted> = [(0, "d0", 10), (1, "e0", 20), (3, "g0", 100)]
        .iter()
        .enumerate()
        .map(|(i, &(cq, uid, cpu))| {
            model
                .tree
                .add_usage(model.cluster_queues[cq].node, fr, units(cpu));
            super::preempt::Admitted {
                wl: i as u32,
                cq,
                priority: 0,
                timestamp_ns: 0,
                reserved_ns: 0,
                uid: uid.into(),
                usage: vec![(fr, units(cpu))],
                evicted: false,
                lq_usage: None,
            }
        })
        .collect();
    let (d1, e1, f1, g1) = (
        pods(&model, 1, 70),
        pods(&model, 1, 61),
        pods(&model, 1, 1),
        pods(&model, 1, 1),
    );
    let heads = [
        head(10, 2, 0, 1, &f1),
        head(11, 3, 0, 2, &g1),
        head(12, 1, 0, 3, &e1),
        head(13, 0, 0, 4, &d1),
    ];
    let out = run_cycle(&mut model, &heads, &admitted);
    assert_eq!((out[0].wl, &out[0].verdict), (13, &Verdict::Admitted));
    for d in &out[1..] {
        assert!(
            matches!(&d.verdict, Verdict::Requeue { message, .. }
                if message == "Workload no longer fits after processing another workload"),
            "{d:?}"
        );
    }
}

/// The remaining `TestFairPreemptions` cases on its base ClusterQueues, and two on their own
/// trees: "workloads under priority threshold not capriciously preempted", "preempt lower
/// priority first, even if big" (S2-b only), "preempt workload that doesn't transfer the
/// imbalance, even if high priority" (S2-a only), "preempt huge workload if there is no
/// other option, as long as the target CQ gets a lower share", "can't preempt huge workload
/// if the incoming is also huge", "can't preempt 2 smaller workloads if the incoming is
/// huge", "preempt from target and others even if over nominal", "scenario above does not
/// flap", "cannot preempt if it would make the candidate CQ go under nominal after
/// preempting one element", "non-zero weight borrowing preemptor preempts from a borrowing
/// CQ", "candidates skipped by the first strategy are still available to the second
/// strategy".
#[test]
fn fair_preemption_strategies_and_their_retry() {
    use super::fair::FsStrategy::{
        LessThanInitialShare as S2b, LessThanOrEqualToFinalShare as S2a,
    };
    let mut f = fair_preemption_fixture(&[]);
    f.units_in("a", &["a1", "a2", "a3"])
        .units_in("b", &["b1", "b2", "b3"]);
    for p in ["preemptible1", "preemptible2", "preemptible3"] {
        f.admit("preemptible", p, -3, 1, 0, 1);
    }
    assert_eq!(f.targets("a", 0, 2, 0), vec![]);
    for (strategy, victim) in [(S2b, "b_low"), (S2a, "b_high")] {
        let mut f = fair_preemption_fixture(&[]);
        f.model.fair_sharing.as_mut().unwrap().strategies = vec![strategy];
        f.admit("a", "a1", 0, 3, 0, 1)
            .admit("b", "b_low", 0, 5, 0, 1)
            .admit("b", "b_high", 1, 1, 0, 1);
        assert_eq!(
            f.targets("a", 0, 1, 0),
            names(&[(victim, "InCohortFairSharing")]),
            "{strategy:?}"
        );
    }
    let mut f = fair_preemption_fixture(&[]);
    f.admit("b", "b1", 0, 9, 0, 1);
    assert_eq!(
        f.targets("a", 0, 2, 0),
        names(&[("b1", "InCohortReclamation")])
    );
    let mut f = fair_preemption_fixture(&[]);
    f.admit("a", "a1", 0, 2, 0, 1).admit("b", "b1", 0, 7, 0, 1);
    assert_eq!(f.targets("a", 0, 5, 0), vec![]);
    let mut f = fair_preemption_fixture(&[]);
    f.admit("b", "b1", 0, 2, 0, 1)
        .admit("b", "b2", 0, 2, 0, 1)
        .admit("b", "b3", 0, 3, 0, 1);
    assert_eq!(f.targets("a", 0, 6, 0), vec![]);
    let mut f = fair_preemption_fixture(&[]);
    f.admit("a", "a1_low", -1, 2, 0, 1)
        .admit("a", "a2_low", -1, 1, 0, 1)
        .admit("b", "b1", 0, 3, 0, 1)
        .admit("b", "b2", 0, 3, 0, 1);
    assert_eq!(
        f.targets("a", 0, 4, 0),
        names(&[("a1_low", "InClusterQueue"), ("b1", "InCohortFairSharing")])
    );
    let mut f = fair_preemption_fixture(&[]);
    f.admit_milli("a", "a1", 3500)
        .admit_milli("b", "b2", 2500)
        .admit_milli("c", "c2", 2500);
    assert_eq!(f.targets_milli("b", 2000), vec![]);
    let mut f = fair_preemption_fixture(&[]);
    f.admit("b", "b1", 0, 3, 0, 1)
        .admit("b", "b2", 0, 3, 0, 1)
        .admit("c", "c1", 0, 3, 0, 1);
    assert_eq!(f.targets("a", 0, 4, 0), vec![]);

    let mut f = fair_tree(
        &[("a", "all", Some(1), 1000), ("b", "all", Some(0), 1000)],
        &[("all", None, 3, 1000)],
    );
    f.units_in("b", &["b1", "b2", "b3"]);
    assert_eq!(
        f.targets("a", 0, 2, 0),
        names(&[("b1", "InCohortFairSharing")])
    );
    // A (weight 0) borrows, so p's share against x is infinite in the first pass; once y1
    // is gone A no longer borrows and the second pass takes x1.
    let mut f = fair_tree(
        &[
            ("p", "A", Some(2), 1000),
            ("y", "A", Some(2), 1000),
            ("x", "ROOT", Some(1), 1000),
        ],
        &[("A", Some("ROOT"), 1, 0)],
    );
    f.admit("p", "p1", 0, 2, 0, 1)
        .admit("y", "y1", 0, 2, 0, 1)
        .admit("y", "y2", 0, 2, 0, 1)
        .units_in("x", &["x1", "x2"]);
    assert_eq!(
        f.targets("p", 0, 1, 0),
        names(&[("x1", "InCohortFairSharing"), ("y1", "InCohortFairSharing")])
    );
}

/// `TestFairPreemptions` "nominal first: workload fitting within nominal can preempt despite
/// high aggregate DRS": a borrows 5 cheap cpu (a high share over both flavors) but asks for
/// premium cpu within its nominal 3, so it reclaims b's borrowed premium cpu.
#[test]
fn fair_preemption_within_nominal_on_the_contested_flavor() {
    use super::model::{Reclaim, WithinQueue};
    let mut a = cq(
        "a",
        Some("all"),
        &[("premium", quota(3, None)), ("cheap", quota(0, None))],
    );
    a.preemption = PreemptionPolicy {
        within: WithinQueue::Never,
        reclaim: Reclaim::Any,
        borrow_within: None,
    };
    let b = cq(
        "b",
        Some("all"),
        &[("premium", quota(0, None)), ("cheap", quota(6, None))],
    );
    let mut f = Admissions::of(
        ModelBuilder {
            flavors: vec![flavor("premium", &[]), flavor("cheap", &[])],
            cluster_queues: vec![a, b],
            fair_sharing: fair(&[]),
            ..Default::default()
        }
        .build(),
    );
    let cpu = f.model.resource_ix("cpu").unwrap();
    let (premium, cheap) = (f.model.fr(0, cpu).unwrap(), f.model.fr(1, cpu).unwrap());
    let held = [
        (0, "a_prem1", premium),
        (0, "a_prem2", premium),
        (0, "a_cheap1", cheap),
        (0, "a_cheap2", cheap),
        (0, "a_cheap3", cheap),
        (0, "a_cheap4", cheap),
        (0, "a_cheap5", cheap),
        (1, "b_prem1", premium),
    ];
    for (i, &(cq, uid, fr)) in held.iter().enumerate() {
        let node = f.model.cluster_queues[cq].node;
        f.model.tree.add_usage(node, fr, units(1));
        f.admitted.push(super::preempt::Admitted {
            wl: i as u32,
            cq,
            priority: 0,
            timestamp_ns: 0,
            reserved_ns: 0,
            uid: uid.into(),
            usage: vec![(fr, units(1))],
            evicted: false,
            lq_usage: None,
        });
    }
    let usage = [(premium, units(1))];
    let contested = std::collections::BTreeSet::from([premium]);
    let p = super::preempt::Preemptor {
        cq: 0,
        priority: 0,
        timestamp_ns: 0,
        usage: &usage,
        contested: &contested,
        placement: None,
    };
    let got: Vec<(String, &str)> =
        super::preempt::targets(&f.model, &f.model.tree, &f.admitted, &p)
            .into_iter()
            .map(|t| (f.admitted[t.wl as usize].uid.clone(), t.variant.reason()))
            .collect();
    assert_eq!(got, names(&[("b_prem1", "InCohortReclamation")]));
}

/// `TestScheduleForFairSharing` "fair sharing two queues with weight 0 schedules workload
/// which borrows less": cohort A holds 8 cpu, b and c (nominal 0, weight 0) borrow; b runs 4.
/// Both shares are infinite with the entries, so the unweighted ratios decide: c with 4
/// (500) beats b with 8 (1000) although b1 is older, and b1 no longer fits.
#[test]
fn fair_sharing_zero_weights_compare_by_unweighted_share() {
    let mut model = ModelBuilder {
        flavors: vec![flavor("default", &[])],
        cluster_queues: vec![
            cq("b", Some("A"), &[("default", quota(0, None))]),
            cq("c", Some("A"), &[("default", quota(0, None))]),
        ],
        cohorts: vec![CohortSpec {
            name: "A".into(),
            parent: None,
            groups: vec![(
                vec!["cpu".into()],
                vec![("default".into(), vec![("cpu".into(), quota(8, None))])],
            )],
        }],
        fair_sharing: fair(&[("b", 0), ("c", 0)]),
        ..Default::default()
    }
    .build();
    let fr = model.fr(0, model.resource_ix("cpu").unwrap()).unwrap();
    model
        .tree
        .add_usage(model.cluster_queues[0].node, fr, units(4));
    let admitted = [super::preempt::Admitted {
        wl: 0,
        cq: 0,
        priority: 0,
        timestamp_ns: 0,
        reserved_ns: 0,
        uid: "b0".into(),
        usage: vec![(fr, units(4))],
        evicted: false,
        lq_usage: None,
    }];
    let (b1, c1) = (pods(&model, 1, 4), pods(&model, 1, 4));
    let heads = [head(1, 0, 0, 1, &b1), head(2, 1, 0, 2, &c1)];
    let out = run_cycle(&mut model, &heads, &admitted);
    assert_eq!((out[0].wl, &out[0].verdict), (2, &Verdict::Admitted));
    assert!(matches!(
        &out[1].verdict,
        Verdict::Requeue { message, .. }
            if message == "Workload no longer fits after processing another workload"
    ));
}

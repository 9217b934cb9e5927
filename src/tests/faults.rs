//! Each fault injector, through the real failure path: the pod ends as the fault says (its
//! exit code, `DisruptionTarget`, eviction), the Job fails with its real reason or its
//! podFailurePolicy acts, and the JobSet failure policy restarts it.

use super::common::*;
use jobset_sim::report::summary;
use jobset_sim::scenario::load_scenario;
use jobset_sim::sim::Sim;

/// A small cluster (6 pools × 2 nodes, a `rack` label per pool) running one JobSet of 2 Jobs
/// × 2 pods that would run for `run_for`, with the given faults and extras.
fn run(test: &str, faults: &str, extra: &Extra) -> Sim {
    let dir = scratch(test);
    let text = format!(
        "name: {test}
run: {{seed: {seed}, until: {until}}}
cluster:
  nodePools:
  - {{name: cpu, count: 6, nodesPerPool: 2, capacity: {{cpu: 32, memory: 128Gi}}, topology: [{{key: example.com/rack, nodesPerDomain: 2}}]}}
faults:
{faults}
workloads:
- {pods}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: train}}
    spec:
      failurePolicy: {{maxRestarts: {max_restarts}{rules}}}
      replicatedJobs:
      - name: w
        replicas: 2
        template:
          spec: {{parallelism: {per_job}, completions: {per_job}, backoffLimit: {backoff}{job_extra}, template: {{spec: {{restartPolicy: Never, containers: [{{name: c, resources: {{requests: {{cpu: 20}}}}}}]}}}}}}
",
        seed = extra.seed,
        until = extra.until,
        pods = extra.pods,
        max_restarts = extra.max_restarts,
        rules = extra.rules,
        backoff = extra.backoff,
        job_extra = extra.job_extra,
        per_job = extra.pods_per_job,
    );
    let p = write(&dir, "s.yaml", &text);
    simulate_scenario(load_scenario(&p).unwrap())
}

struct Extra {
    seed: u64,
    until: &'static str,
    pods: &'static str,
    max_restarts: u32,
    rules: &'static str,
    backoff: u32,
    job_extra: &'static str,
    /// Pods per Job (2 Jobs); 6 fills the 12 nodes, one pod each.
    pods_per_job: u32,
}

impl Extra {
    /// A long run: pods that never finish on their own, restarts that never run out.
    fn long(until: &'static str) -> Self {
        Extra {
            until,
            pods: "pods: {runFor: 1000d}",
            max_restarts: 100000,
            ..Extra::default()
        }
    }
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            seed: 1,
            until: "3h",
            pods: "pods: {runFor: 1h}",
            max_restarts: 5,
            rules: "",
            backoff: 0,
            job_extra: "",
            pods_per_job: 2,
        }
    }
}

fn reasons(sim: &Sim) -> Vec<String> {
    sim.rec
        .rows
        .iter()
        .map(|r| format!("{} {}", r.state, r.reason))
        .collect()
}

fn job_failure_reasons(sim: &Sim) -> Vec<String> {
    sim.store
        .jobs
        .iter()
        .filter_map(|j| j.condition("Failed").map(|c| c.reason.clone()))
        .collect()
}

#[test]
fn scripted_pod_failure_exit_code_fails_the_job_and_restarts_the_jobset() {
    let sim = run(
        "fault_pod_exit",
        "- {kind: podFailures, at: 10m, replicatedJob: w, jobIndex: 1, podIndex: 0, exitCode: 42}",
        &Extra::default(),
    );
    assert!(reasons(&sim)
        .iter()
        .any(|r| r == "Fault Error: exit code 42"));
    assert_eq!(job_failure_reasons(&sim), vec!["BackoffLimitExceeded"]);
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].restarts, 1);
    assert_eq!(s.jobsets[0].terminal_state.as_deref(), Some("Completed"));
    assert_eq!(s.faults[0].faults, 1);
    assert_eq!(s.faults[0].pods_hit, 1);
    // The recovery starts at the fault.
    assert_eq!(s.recovery[0].failed_at_s, 600.0);
}

#[test]
fn oom_kill_reports_137_and_pod_failure_policy_matches_it() {
    // onExitCodes 137 -> FailJob: the Job fails with reason PodFailurePolicy; the JobSet
    // failure policy's rule on that reason fails the JobSet without restarting.
    let sim = run(
        "fault_oom",
        "- {kind: podFailures, at: 10m, podIndex: 1, jobIndex: 0, effect: oomKilled}",
        &Extra {
            job_extra: ", podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [137]}}]}",
            rules: ", rules: [{action: FailJobSet, onJobFailureReasons: [PodFailurePolicy]}]",
            ..Extra::default()
        },
    );
    assert!(reasons(&sim)
        .iter()
        .any(|r| r == "Fault OOMKilled: exit code 137"));
    assert_eq!(job_failure_reasons(&sim), vec!["PodFailurePolicy"]);
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].terminal_state.as_deref(), Some("Failed"));
    assert_eq!(s.jobsets[0].restarts, 0);
}

#[test]
fn kubelet_eviction_carries_disruption_target_that_pod_failure_policy_can_ignore() {
    // Ignore on DisruptionTarget: the evicted pod does not count, the Job replaces it and
    // nothing restarts (upstream: "pod failure policy ignores DisruptionTarget").
    let sim = run(
        "fault_evicted_ignored",
        "- {kind: podFailures, at: 10m, jobIndex: 0, podIndex: 0, effect: evicted}",
        &Extra {
            job_extra: ", podFailurePolicy: {rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]}",
            ..Extra::default()
        },
    );
    assert!(reasons(&sim).iter().any(|r| r == "Failed Evicted"));
    let s = summary::build(&sim, 0);
    assert_eq!(s.jobsets[0].restarts, 0);
    assert_eq!(s.jobsets[0].terminal_state.as_deref(), Some("Completed"));
    assert_eq!(s.pods.created, 5, "the evicted pod was replaced");
    // Without the rule the same eviction fails the Job and restarts the JobSet.
    let sim = run(
        "fault_evicted",
        "- {kind: podFailures, at: 10m, jobIndex: 0, podIndex: 0, effect: evicted}",
        &Extra::default(),
    );
    assert_eq!(summary::build(&sim, 0).jobsets[0].restarts, 1);
}

#[test]
fn maintenance_drains_with_disruption_target_and_the_node_returns() {
    // 12 pods fill the 12 nodes: the drained node's pod is replaced once the node is back.
    let sim = run(
        "fault_drain",
        "- {kind: scripted, at: 10m, node: cpu-0-0, effect: drain, repairAfter: 30m}",
        &Extra {
            job_extra: ", podFailurePolicy: {rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]}",
            pods_per_job: 6,
            ..Extra::default()
        },
    );
    assert!(reasons(&sim)
        .iter()
        .any(|r| r == "Terminating EvictionByEvictionAPI"));
    let s = summary::build(&sim, 0);
    assert_eq!(
        s.jobsets[0].restarts, 0,
        "the drain was ignored by podFailurePolicy"
    );
    assert_eq!(s.jobsets[0].terminal_state.as_deref(), Some("Completed"));
    let n = sim.cluster.node_by_name("cpu-0-0").unwrap();
    assert!(
        !sim.cluster.node(n).unschedulable,
        "uncordoned after maintenance"
    );
    assert_eq!(sim.rec.node_repairs.len(), 1);
    assert_eq!(sim.rec.node_repairs[0].0, 2_400_000_000_000);
}

#[test]
fn scripted_domain_failure_takes_every_node_down_through_not_ready_and_repair() {
    // Both nodes of rack 0 go down: NotReady after the grace period, taint-based eviction,
    // the JobSet restarts on the other racks; the rack returns after 1 h.
    let sim = run(
        "fault_domain",
        "- {kind: scripted, at: 10m, domain: {key: example.com/rack, value: cpu-rack-0}, repairAfter: 1h}",
        &Extra::default(),
    );
    let s = summary::build(&sim, 0);
    assert_eq!(s.faults[0].faults, 1);
    assert_eq!(sim.rec.node_failures.len(), 2);
    assert!(reasons(&sim)
        .iter()
        .any(|r| r == "Terminating DeletionByTaintManager"));
    assert_eq!(s.jobsets[0].restarts, 1);
    assert_eq!(s.jobsets[0].terminal_state.as_deref(), Some("Completed"));
    for name in ["cpu-0-0", "cpu-0-1"] {
        let n = &sim.cluster.node(sim.cluster.node_by_name(name).unwrap());
        assert!(
            n.ready && !n.failed && n.taints.is_empty(),
            "{name} back: {n:?}"
        );
    }
    // failed_at_s is the moment the nodes died, not the eviction minutes later.
    assert_eq!(s.recovery[0].failed_at_s, 600.0);
}

#[test]
fn random_node_failures_follow_the_cause_mix_and_repair() {
    // A high rate on 12 nodes for 30 days: every cause path occurs, nodes come back, and the
    // counts match the rate.
    let sim = run(
        "fault_random_nodes",
        "- {kind: nodeFailures, ratePer1000NodeDays: 50000, repair: {median: 1h, sigma: 0.5}, causes: [{name: gpu, weight: 2, effect: crash}, {name: sw, weight: 1, effect: podCrash, exitCode: 3}, {name: host, weight: 1, effect: down}]}",
        &Extra::long("30d"),
    );
    let s = summary::build(&sim, 0);
    let f = &s.faults[0];
    // 12 nodes × 50/day while in the pool; a gpu or host fault takes a node out for about an
    // hour, a host fault (NotReady, eviction) longer: thousands of faults.
    assert!(f.faults > 5_000, "{f:?}");
    for cause in ["gpu", "sw", "host"] {
        assert!(f.by_cause[cause].faults > 1000, "{cause}: {f:?}");
    }
    let share = f.by_cause["gpu"].faults as f64 / f.faults as f64;
    assert!((share - 0.5).abs() < 0.05, "gpu share {share}");
    assert!(s.jobsets[0].restarts > 100);
    assert!(sim.rec.node_repairs.len() > 1000);
    let r = reasons(&sim);
    assert!(r.iter().any(|x| x == "Fault DeviceFault: exit code 1"));
    assert!(r.iter().any(|x| x == "Fault Error: exit code 3"));
    assert!(r.iter().any(|x| x == "Terminating DeletionByTaintManager"));
}

#[test]
fn lemons_concentrate_failures() {
    let faults = |lemons: &str| {
        format!("- {{kind: nodeFailures, ratePer1000NodeDays: 1000, causes: [{{name: sw, weight: 1, effect: podCrash}}]{lemons}}}")
    };
    let count = |sim: &Sim| {
        let mut per_node = vec![0u64; sim.cluster.len()];
        for row in &sim.rec.rows {
            if row.state == "Fault" {
                per_node[row.node.unwrap() as usize] += 1;
            }
        }
        per_node
    };
    // 12 pods fill the 12 nodes, so every fault hits a pod and shows in the events.
    let extra = Extra {
        pods_per_job: 6,
        ..Extra::long("100d")
    };
    let lemon = run(
        "fault_lemons",
        &faults(", lemons: {fraction: 0.25, multiplier: 20}"),
        &extra,
    );
    let mut per_node = count(&lemon);
    per_node.sort_unstable();
    // 3 of 12 nodes fail 20 times as often: 60 of every 69 faults.
    let top3: u64 = per_node[9..].iter().sum();
    let all: u64 = per_node.iter().sum();
    assert!(top3 as f64 > 0.8 * all as f64, "{per_node:?}");
}

#[test]
fn pod_failures_at_a_rate_hit_running_pods_only() {
    let sim = run(
        "fault_pod_rate",
        "- {kind: podFailures, ratePer1000PodDays: 24000, replicatedJob: w}",
        &Extra::long("10d"),
    );
    let s = summary::build(&sim, 0);
    // 4 pods × 24 per pod-day × 10 days = 960 while they run (restarts take seconds).
    let f = &s.faults[0];
    assert!(f.faults > 800 && f.faults < 1100, "{f:?}");
    assert_eq!(f.pods_hit, f.faults);
    // Each fault fails its Job and restarts the JobSet, unless it lands while a restart for an
    // earlier one is already under way.
    let restarts = s.jobsets[0].restarts as u64;
    assert!(
        restarts <= f.faults && restarts as f64 > 0.95 * f.faults as f64,
        "{restarts}"
    );
}

#[test]
fn injectors_use_their_own_streams() {
    // Adding a second injector does not move the first one's faults.
    let one = "- {kind: nodeFailures, name: a, ratePer1000NodeDays: 5000, causes: [{name: x, weight: 1, effect: podCrash}]}";
    let two = format!(
        "{one}\n- {{kind: maintenance, name: b, ratePer1000NodeDays: 1, duration: {{median: 1h}}}}"
    );
    let extra = Extra::long("20d");
    let first_faults = |sim: &Sim| -> Vec<(u64, u32)> {
        sim.rec
            .rows
            .iter()
            .filter(|r| r.state == "Fault")
            .map(|r| (r.time_ns, r.node.unwrap()))
            .take(5)
            .collect()
    };
    let a = run("fault_streams_one", one, &extra);
    let b = run("fault_streams_two", &two, &extra);
    assert_eq!(first_faults(&a), first_faults(&b));
}

#[test]
fn same_seed_same_faults() {
    let f = "- {kind: nodeFailures, ratePer1000NodeDays: 20000, weibullShape: 0.7, repair: {median: 2h, sigma: 2.5}}";
    let extra = Extra::long("10d");
    let json = |test: &str, extra: &Extra| {
        let mut s = summary::build(&run(test, f, extra), 0);
        s.scenario = String::new();
        s.scenario_hash = String::new(); // the scenario names differ
        serde_json::to_string(&s).unwrap()
    };
    let a = json("fault_seed_a", &extra);
    let b = json("fault_seed_b", &extra);
    assert!(a == b, "same seed, different results");
    let c = json("fault_seed_c", &Extra { seed: 2, ..extra });
    assert!(a != c, "another seed, same results");
}

#[test]
fn random_domain_failures_take_whole_domains_down_together() {
    // Racks of 2 nodes fail at a high rate; every fault takes both nodes at the same instant,
    // through NotReady and taint eviction, and the rack returns together.
    let sim = run(
        "fault_random_domains",
        "- {kind: domainFailures, topologyKey: example.com/rack, ratePer1000DomainDays: 20000, repair: {median: 2h, sigma: 0.5}}",
        &Extra::long("10d"),
    );
    let s = summary::build(&sim, 0);
    let f = &s.faults[0];
    assert!(f.faults > 100, "{f:?}");
    // Two nodes out per fault, at the same time, both in one rack.
    assert_eq!(sim.rec.node_failures.len() as u64, 2 * f.faults);
    for pair in sim.rec.node_failures.chunks(2) {
        let rack = |n: u32| {
            sim.cluster
                .label_value(n, "example.com/rack")
                .unwrap()
                .to_string()
        };
        assert_eq!(pair[0].0, pair[1].0);
        assert_eq!(rack(pair[0].1), rack(pair[1].1));
    }
    assert_eq!(sim.rec.node_repairs.len() % 2, 0);
    assert!(reasons(&sim)
        .iter()
        .any(|r| r == "Terminating DeletionByTaintManager"));
    assert!(s.jobsets[0].restarts > 10);
}

#[test]
fn random_maintenance_drains_through_the_eviction_api() {
    let sim = run(
        "fault_random_maintenance",
        "- {kind: maintenance, ratePer1000NodeDays: 5000, duration: {median: 1h, sigma: 0}}",
        &Extra {
            pods_per_job: 6,
            ..Extra::long("10d")
        },
    );
    let s = summary::build(&sim, 0);
    let f = &s.faults[0];
    assert!(f.faults > 100, "{f:?}");
    assert_eq!(f.by_cause["maintenance"].faults, f.faults);
    assert!(reasons(&sim)
        .iter()
        .any(|r| r == "Terminating EvictionByEvictionAPI"));
    // Each drained node is back after exactly its hour.
    let back: std::collections::BTreeMap<u32, Vec<u64>> =
        sim.rec
            .node_repairs
            .iter()
            .fold(Default::default(), |mut m, &(t, n)| {
                m.entry(n).or_default().push(t);
                m
            });
    for &(t, n) in &sim.rec.node_failures {
        let hour = 3_600_000_000_000;
        if t + hour <= 10 * 86_400_000_000_000 {
            assert!(back[&n].contains(&(t + hour)), "node {n} out at {t}");
        }
    }
    // Without a podFailurePolicy the drained pod fails its Job: the JobSet restarts.
    assert!(s.jobsets[0].restarts > 10);
}

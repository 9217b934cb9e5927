//! The scheduler's fast path (`scheduler::fast`: pristine nodes counted from an index instead of
//! visited) must decide exactly as the plain scan: same nodes, same simulated costs, same
//! random draws. Each scenario runs both ways and every output must match byte for byte.

use super::common::*;
use jobset_sim::report::{self, summary};
use jobset_sim::scenario::load_scenario;
use jobset_sim::sim::Sim;
use std::path::Path;

fn outputs(path: &Path, seed: u64, fast: bool, require_fast: bool) -> (String, Vec<u8>) {
    // `events_csv` names the kept rows' pods after the run, removed ones included.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    let mut s = load_scenario(path).unwrap();
    s.seed = seed;
    let mut sim = Sim::new(s).unwrap();
    sim.scheduler.set_fast_scheduling(fast);
    run_checked(&mut sim);
    if fast && require_fast {
        assert!(
            sim.scheduler.fast_decisions + sim.scheduler.fast_domain_decisions > 0,
            "the fast path was never taken"
        );
    }
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    let json = serde_json::to_string_pretty(&summary::build(&sim, 0)).unwrap();
    (json, report::events_csv(&sim).unwrap())
}

fn same_both_ways(path: &Path, seeds: std::ops::RangeInclusive<u64>) {
    same_both_ways_if_taken(path, seeds, true)
}

/// The same, `require_fast` saying whether the fast path must have decided something.
fn same_both_ways_if_taken(path: &Path, seeds: std::ops::RangeInclusive<u64>, require_fast: bool) {
    for seed in seeds {
        let plain = outputs(path, seed, false, false);
        let fast = outputs(path, seed, true, require_fast);
        if plain.1 != fast.1 {
            let a = String::from_utf8_lossy(&plain.1);
            let b = String::from_utf8_lossy(&fast.1);
            let (i, (x, y)) = a
                .lines()
                .zip(b.lines())
                .enumerate()
                .find(|(_, (x, y))| x != y)
                .expect("a shorter event list");
            panic!(
                "{} seed {seed}: events differ at row {i}:\n plain {x}\n fast  {y}",
                path.display()
            );
        }
        assert!(
            plain.0 == fast.0,
            "{}: summaries differ (seed {seed})",
            path.display()
        );
    }
}

#[test]
fn repository_scenarios_decide_the_same() {
    for s in [
        "scenarios/quickstart.yaml",
        "scenarios/policies/restart-jobset.yaml",
        "scenarios/policies/recreate.yaml",
        "scenarios/policies/fail-jobset.yaml",
    ] {
        same_both_ways(&repo().join(s), 1..=3);
    }
}

/// Several pools (one tainted, one with less capacity), pods with and without tolerations, a
/// second workload, random failures with repair and cordons: pristine and used nodes of
/// different entries mix in every window.
#[test]
fn mixed_pools_with_failures_decide_the_same() {
    let dir = scratch("fast_path_mixed");
    let text = "name: mixed
run: {seed: 1, until: 1d}
cluster:
  nodePools:
  - {name: big, count: 3, nodesPerPool: 40, capacity: {cpu: 64, memory: 256Gi, nvidia.com/gpu: 8}}
  - {name: small, nodesPerPool: 30, capacity: {cpu: 16, memory: 64Gi}}
  - {name: soft, nodesPerPool: 20, capacity: {cpu: 64, memory: 256Gi}, taints: [{key: spot, value: 'true', effect: PreferNoSchedule}]}
  - {name: hard, nodesPerPool: 20, capacity: {cpu: 64, memory: 256Gi}, taints: [{key: dedicated, value: x, effect: NoSchedule}]}
faults:
- {kind: nodeFailures, ratePer1000NodeDays: 5000, repair: {median: 1h, sigma: 1}}
- {kind: maintenance, ratePer1000NodeDays: 500, duration: {median: 30m, sigma: 0}}
workloads:
- pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: gpu}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 4
        template:
          spec: {parallelism: 20, completions: 20, backoffLimit: 0, template: {spec: {containers: [{name: c, resources: {requests: {cpu: 30, nvidia.com/gpu: 4}, limits: {nvidia.com/gpu: 4}}}]}}}
- pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: cpu}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 3
        template:
          spec: {parallelism: 30, completions: 30, backoffLimit: 0, template: {spec: {tolerations: [{key: dedicated, operator: Exists}], containers: [{name: c, resources: {requests: {cpu: 10}}}]}}}
";
    let p = write(&dir, "s.yaml", text);
    same_both_ways(&p, 1..=2);
    // Without the PreferNoSchedule pool every entry is feasible for the CPU pods, so their
    // windows count pristine nodes of several entries at once.
    let no_soft: String = text
        .lines()
        .filter(|l| !l.contains("name: soft"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = write(&dir, "no-soft.yaml", &no_soft);
    same_both_ways(&p, 1..=2);
    // CPU pods that tolerate every taint, `unreachable` included: NotReady nodes awaiting
    // repair (kept out of the fast path's walk while no pod tolerates their taints) are
    // feasible for them, and must be found as the plain scan finds them.
    let tolerate_all = text.replace("{key: dedicated, operator: Exists}", "{operator: Exists}");
    assert_ne!(tolerate_all, text);
    let p = write(&dir, "tolerate-all.yaml", &tolerate_all);
    same_both_ways(&p, 1..=2);
}

/// JobSet exclusive placement (leaders walk the node pools' domains, followers are pinned):
/// the fast domain walk must pick the leaders' nodes as the plain walk does. Pools of three
/// shapes, a CPU workload without selector that leaves used nodes inside the leaders' domains,
/// more exclusive Jobs than domains (leaders that find none), random failures with repair and
/// cordons (NotReady and cordoned nodes in the walk), and JobSet restarts.
#[test]
fn exclusive_placement_domain_walks_decide_the_same() {
    let dir = scratch("fast_path_exclusive");
    let text = "name: exclusive
run: {seed: 1, until: 3h}
cluster:
  nodePools:
  - {name: tpu, count: 40, nodesPerPool: 8, labels: {accel: tpu}, capacity: {cpu: 64, memory: 256Gi, google.com/tpu: 4}}
  - {name: small, count: 8, nodesPerPool: 8, labels: {accel: tpu}, capacity: {cpu: 24, memory: 64Gi, google.com/tpu: 4}}
  - {name: soft, count: 4, nodesPerPool: 8, labels: {accel: tpu}, capacity: {cpu: 64, memory: 256Gi, google.com/tpu: 4}, taints: [{key: spot, value: 'true', effect: PreferNoSchedule}]}
faults:
- {kind: nodeFailures, ratePer1000NodeDays: 1500, repair: {median: 1h, sigma: 1}}
- {kind: maintenance, ratePer1000NodeDays: 500, duration: {median: 30m, sigma: 0}}
workloads:
- pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: a
      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 30
        template:
          spec: {parallelism: 8, completions: 8, backoffLimit: 0, template: {spec: {nodeSelector: {accel: tpu}, containers: [{name: c, resources: {requests: {cpu: 10}, limits: {google.com/tpu: 4}}}]}}}
- at: 10m
  pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: b
      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 30
        template:
          spec: {parallelism: 4, completions: 4, backoffLimit: 0, template: {spec: {nodeSelector: {accel: tpu}, containers: [{name: c, resources: {requests: {cpu: 10}, limits: {google.com/tpu: 4}}}]}}}
- pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: cpu}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 4
        template:
          spec: {parallelism: 25, completions: 25, backoffLimit: 0, template: {spec: {containers: [{name: c, resources: {requests: {cpu: 12}}}]}}}
";
    // With the PreferNoSchedule pool, whose nodes' score would depend on the window, the fast
    // walk leaves the decision to the plain one while such a node is pristine.
    let p = write(&dir, "s.yaml", text);
    same_both_ways_if_taken(&p, 1..=2, false);
    let no_soft: String = text
        .lines()
        .filter(|l| !l.contains("name: soft"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = write(&dir, "no-soft.yaml", &no_soft);
    same_both_ways(&p, 1..=2);
    // The fast domain walk decides most leaders here.
    let mut sim = Sim::new(load_scenario(&p).unwrap()).unwrap();
    sim.run();
    assert!(
        sim.scheduler.fast_domain_decisions > 100,
        "{} fast domain walks",
        sim.scheduler.fast_domain_decisions
    );
}

/// The leaders' walk counting free domains in bulk (`Pristine::free_domains`: the pristine
/// nodes of the domains without placed pods, one tree across all of them): one TPU pool entry
/// whose pools are the exclusive domains (a `slice` label), a CPU entry without that label
/// (the runs of no domain, walked one by one) filled by a CPU workload, more exclusive Jobs
/// than domains (leaders that find none), a CPU workload on the TPU pools too (used nodes
/// with room in the leaders' domains: used classes, which the bulk count leaves to the
/// per-domain walk), random failures with repair and cordons (nodes leaving and rejoining
/// the pristine count inside free and occupied domains), and JobSet restarts (domains
/// emptied and refilled).
#[test]
fn bulk_domain_walks_decide_the_same() {
    let dir = scratch("fast_path_bulk_walk");
    let text = "name: bulk-walk
run: {seed: 1, until: 3h}
cluster:
  nodePools:
  - {name: tpu, count: 40, nodesPerPool: 8, labels: {accel: tpu, slice: 's-{pool}'}, capacity: {cpu: 64, memory: 256Gi, google.com/tpu: 4}}
  - {name: cpu, count: 2, nodesPerPool: 8, labels: {kind: cpu}, capacity: {cpu: 16, memory: 64Gi}}
faults:
- {kind: nodeFailures, ratePer1000NodeDays: 1500, repair: {median: 1h, sigma: 1}}
- {kind: maintenance, ratePer1000NodeDays: 500, duration: {median: 30m, sigma: 0}}
workloads:
- pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: fill}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 2
        template:
          spec: {parallelism: 8, completions: 8, backoffLimit: 0, template: {spec: {nodeSelector: {kind: cpu}, containers: [{name: c, resources: {requests: {cpu: 10}}}]}}}
- at: 1m
  pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: a
      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: slice}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 30
        template:
          spec: {parallelism: 8, completions: 8, backoffLimit: 0, template: {spec: {nodeSelector: {accel: tpu}, containers: [{name: c, resources: {requests: {cpu: 10}, limits: {google.com/tpu: 4}}}]}}}
- at: 10m
  pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: b
      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: slice}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 30
        template:
          spec: {parallelism: 4, completions: 4, backoffLimit: 0, template: {spec: {nodeSelector: {accel: tpu}, containers: [{name: c, resources: {requests: {cpu: 10}, limits: {google.com/tpu: 4}}}]}}}
- at: 20m
  pods: {runFor: 100d}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: cpu}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: w
        replicas: 2
        template:
          spec: {parallelism: 10, completions: 10, backoffLimit: 0, template: {spec: {nodeSelector: {accel: tpu}, containers: [{name: c, resources: {requests: {cpu: 12}}}]}}}
";
    let p = write(&dir, "s.yaml", text);
    same_both_ways(&p, 1..=3);
    let mut sim = Sim::new(load_scenario(&p).unwrap()).unwrap();
    sim.run();
    assert!(
        sim.scheduler.fast_bulk_walks > 100,
        "{} bulk walks of {} fast domain walks",
        sim.scheduler.fast_bulk_walks,
        sim.scheduler.fast_domain_decisions
    );
}

/// Used classes (`cluster::pristine`: nodes in use grouped by their reservation state, counted
/// from one tree per class): single-pod Jobs of seven sizes arriving in waves and finishing at
/// different times leave nodes in more states than `MAX_CLASSES` (the rest found one by one),
/// classes empty and their slots reused, cordons (never classed); under both scoring
/// strategies. (A PreferNoSchedule pool sends these pods to the plain path: see
/// `mixed_pools_with_failures_decide_the_same`.)
#[test]
fn used_classes_decide_the_same() {
    let dir = scratch("fast_path_used_classes");
    let mut text = String::from(
        "name: classes
run: {seed: 1, until: 12h}
controlPlane: {scheduler: {scoringStrategy: STRATEGY}}
cluster:
  nodePools:
  - {name: a, nodesPerPool: 60, capacity: {cpu: 32, memory: 128Gi}}
  - {name: b, nodesPerPool: 20, capacity: {cpu: 48, memory: 64Gi}}
  - {name: c, nodesPerPool: 10, capacity: {cpu: 16, memory: 32Gi}}
faults:
- {kind: maintenance, ratePer1000NodeDays: 2000, duration: {median: 30m, sigma: 0}}
workloads:
",
    );
    for (i, (cpu, mem, run, at)) in [
        (1, "1Gi", "20m", "0s"),
        (3, "8Gi", "45m", "0s"),
        (5, "2Gi", "2h", "10m"),
        (7, "16Gi", "30m", "30m"),
        (2, "4Gi", "3h", "1h"),
        (4, "3Gi", "50m", "1h"),
        (6, "5Gi", "70m", "2h"),
    ]
    .into_iter()
    .enumerate()
    {
        text.push_str(&format!(
            "- at: {at}
  pods: {{runFor: {run}}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: j{i}}}
    spec:
      replicatedJobs:
      - name: w
        replicas: 120
        template:
          spec: {{parallelism: 1, completions: 1, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: {cpu}, memory: {mem}}}}}}}]}}}}}}
"
        ));
    }
    for strategy in ["LeastAllocated", "MostAllocated"] {
        let p = write(
            &dir,
            &format!("{strategy}.yaml"),
            &text.replace("STRATEGY", strategy),
        );
        same_both_ways(&p, 1..=3);
        // The nodes' states outnumbered the classes (slots are only added while none is
        // empty), so some used nodes were found one by one.
        let mut sim = Sim::new(load_scenario(&p).unwrap()).unwrap();
        run_checked(&mut sim);
        let classes = sim.cluster.pristine.classes.len();
        assert_eq!(classes, crate::cluster::pristine::MAX_CLASSES);
    }
}

/// The failure path from its index (`scheduler::diag`: every node's verdict per shape kept from
/// the cluster's change log): a diagnosis and DefaultPreemption's potential nodes as visiting
/// every node gives them. GKE phase 3 in small: one-pod nodes filled by low-priority training,
/// then high-priority inference that preempts it (the replacements pend and retry), a tainted
/// pool only some pods tolerate (taint reasons in the diagnosis, nodes preemption cannot
/// cure), a pool with less memory (several resource reasons), a pod with a nodeSelector (the
/// diagnosis over its posting list, left to the visit), random failures with repair and
/// cordons (NotReady taints, unschedulable nodes). Every failed cycle of a test build also
/// checks the index against the visit (`Scheduler::on_cycle`, `post_filter`).
#[test]
fn failure_path_index_decides_the_same() {
    let dir = scratch("fast_path_failure_index");
    let pods = |name: &str, at: &str, replicas: u32, class: &str, extra: &str| {
        format!(
            "- at: {at}
  pods: {{runFor: 100d}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: {name}}}
    spec:
      failurePolicy: {{maxRestarts: 100000}}
      replicatedJobs:
      - name: w
        replicas: {replicas}
        template:
          spec: {{parallelism: 10, completions: 10, backoffLimit: 1000000, template: {{spec: {{priorityClassName: {class}{extra}, containers: [{{name: c, resources: {{requests: {{cpu: 1, memory: 1Gi}}}}}}]}}}}}}
"
        )
    };
    let text = format!(
        "name: failure-index
run: {{seed: 1, until: 3h}}
controlPlane: {{profile: gke}}
cluster:
  nodePools:
  - {{name: worker, count: 4, nodesPerPool: 40, labels: {{tier: a}}, capacity: {{cpu: 2, memory: 8Gi, pods: 1}}}}
  - {{name: lowmem, nodesPerPool: 20, capacity: {{cpu: 2, memory: 512Mi, pods: 1}}}}
  - {{name: hard, nodesPerPool: 20, capacity: {{cpu: 2, memory: 8Gi, pods: 1}}, taints: [{{key: dedicated, value: x, effect: NoSchedule}}]}}
kueue:
  objects:
  - {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: training}}, value: 100}}
  - {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: inference}}, value: 1000}}
faults:
- {{kind: nodeFailures, ratePer1000NodeDays: 20000, repair: {{median: 20m, sigma: 1}}}}
- {{kind: maintenance, ratePer1000NodeDays: 5000, duration: {{median: 10m, sigma: 0}}}}
workloads:
{}{}{}{}{}",
        pods("training", "0s", 15, "training", ""),
        pods("tolerant", "0s", 2, "training", ", tolerations: [{key: dedicated, operator: Exists}]"),
        pods("inference", "30m", 4, "inference", ""),
        pods("selected", "40m", 2, "inference", ", nodeSelector: {tier: a}"),
        pods("scaled", "1h", 12, "inference", ""),
    );
    let p = write(&dir, "s.yaml", &text);
    same_both_ways_if_taken(&p, 1..=3, false);
    let mut sim = Sim::new(load_scenario(&p).unwrap()).unwrap();
    run_checked(&mut sim);
    assert!(
        sim.scheduler.fast_diagnoses > 100 && sim.scheduler.preemption_counts().0 > 50,
        "{} diagnoses from the index, {} preemptions",
        sim.scheduler.fast_diagnoses,
        sim.scheduler.preemption_counts().0
    );
}

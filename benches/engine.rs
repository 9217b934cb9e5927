//! Speed of the simulator itself: the event queue alone, and whole runs of small scenarios.
//! Run with `cargo bench --bench engine`; `scripts/bench.sh` prints the headline figures.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use jobset_sim::engine::{EventQueue, StreamDigest};
use jobset_sim::{Scenario, Simulation};
use std::path::Path;

/// Schedules and pops `n` events with a spread of times, as a run's mix of timers does.
fn queue_churn(n: u64) -> u64 {
    let mut q: EventQueue<u64> = EventQueue::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        q.schedule_in(x % 1_000_000_000, i);
        if i % 2 == 1 {
            q.pop();
        }
    }
    let mut sum = 0;
    while let Some((_, e)) = q.pop() {
        sum += e;
    }
    sum
}

/// `queue_churn` with one event in four cancelled before it is due, as a run's timeouts and
/// superseded syncs are: every pop then tests the cancellation marks.
fn queue_churn_cancelling(n: u64) -> u64 {
    let mut q: EventQueue<u64> = EventQueue::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut sum = 0;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = q.schedule_in(x % 1_000_000_000, i);
        if i % 4 == 3 {
            q.cancel(id);
        }
        if i % 2 == 1 {
            sum += q.pop().map_or(0, |(_, e)| e);
        }
    }
    while let Some((_, e)) = q.pop() {
        sum += e;
    }
    sum
}

/// The event digest over `n` records shaped like a run's: times rising, most events with one
/// id and no second one, one in four with both.
fn digest_records(n: u64) -> StreamDigest {
    let mut d = StreamDigest::default();
    for i in 0..n {
        let second = if i % 4 == 0 { (i % 2_048) as u32 } else { 0 };
        d.add(i * 1_000_003, (i % 20) as u8, (i % 900_000) as u32, second);
    }
    d
}

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    let n = 100_000;
    g.throughput(Throughput::Elements(n));
    g.bench_function("queue_schedule_pop_100k", |b| {
        b.iter(|| queue_churn(black_box(n)))
    });
    g.bench_function("queue_schedule_cancel_pop_100k", |b| {
        b.iter(|| queue_churn_cancelling(black_box(n)))
    });
    g.bench_function("event_digest_100k", |b| {
        b.iter(|| digest_records(black_box(n)))
    });
    g.finish();
}

fn scenarios(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let quick = Scenario::load(&root.join("scenarios/quickstart.yaml")).expect("quickstart loads");
    g.bench_function("quickstart", |b| {
        b.iter_batched(
            || Simulation::new(quick.clone()).expect("valid"),
            |mut sim| {
                sim.run().expect("runs");
                sim.events_delivered()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The 15k-node recovery: 938 exclusive Jobs scheduled twice, one restart (issue budget 0.5 s).
fn recovery(c: &mut Criterion) {
    let mut g = c.benchmark_group("recovery");
    g.sample_size(10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario =
        Scenario::load(&root.join("scenarios/recovery-15k.yaml")).expect("recovery-15k loads");
    g.bench_function("recovery_15k", |b| {
        b.iter_batched(
            || scenario.clone(),
            |s| {
                let mut sim = Simulation::new(s).expect("valid");
                sim.run().expect("runs");
                sim // dropped by criterion outside the measurement
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Scheduling decisions at 15k and 65k nodes: one JobSet of 256 Jobs × 16 pods placed from
/// an empty cluster, once with exclusive placement per node pool (leaders walk domains,
/// followers are pinned) and once without (the plain scan and its pristine-node fast path).
/// Throughput is in pods placed; cluster building is outside the measurement.
fn scheduling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduling");
    g.sample_size(10);
    for nodes in [15_008u32, 65_536] {
        for exclusive in [true, false] {
            let annotation = if exclusive {
                "\n      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}"
            } else {
                ""
            };
            let text = format!(
                "name: bench
run: {{seed: 1, until: 1h}}
cluster:
  nodePools:
  - {{name: tpu, count: {pools}, nodesPerPool: 16, capacity: {{cpu: 200, memory: 400Gi, google.com/tpu: 4}}}}
workloads:
- pods: {{runFor: 10h}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: train{annotation}
    spec:
      replicatedJobs:
      - name: w
        replicas: 256
        template:
          spec: {{parallelism: 16, completions: 16, backoffLimit: 0, template: {{spec: {{containers: [{{name: c, resources: {{limits: {{google.com/tpu: 4}}}}}}]}}}}}}
",
                pools = nodes / 16
            );
            let scenario = Scenario::from_text("bench.yaml", &text, Path::new("."))
                .expect("bench scenario loads");
            g.throughput(Throughput::Elements(256 * 16));
            let name = format!(
                "{}_nodes_{}",
                nodes,
                if exclusive { "exclusive" } else { "plain" }
            );
            g.bench_function(name, |b| {
                b.iter_batched(
                    || Simulation::new(scenario.clone()).expect("valid"),
                    |mut sim| {
                        sim.run().expect("runs");
                        assert_eq!(sim.summary_json()["pods"]["scheduled"], 256 * 16);
                        sim
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    // The leaders' walk over a fragmented fleet: 2,048 exclusive Jobs of 16 pods fill half of
    // 4,096 pools, the later leaders walking past the pools taken at random before them
    // (the free domains counted in bulk, the occupied ones skipped), as a recovery does.
    let text = "name: bench
run: {seed: 1, until: 3h}
cluster:
  nodePools:
  - {name: tpu, count: 4096, nodesPerPool: 16, capacity: {cpu: 200, memory: 400Gi, google.com/tpu: 4}}
workloads:
- pods: {runFor: 100h}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: train
      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}
    spec:
      replicatedJobs:
      - name: w
        replicas: 2048
        template:
          spec: {parallelism: 16, completions: 16, backoffLimit: 0, template: {spec: {containers: [{name: c, resources: {limits: {google.com/tpu: 4}}}]}}}
";
    let scenario =
        Scenario::from_text("bench.yaml", text, Path::new(".")).expect("bench scenario loads");
    g.throughput(Throughput::Elements(2048 * 16));
    g.bench_function("65536_nodes_exclusive_half_full", |b| {
        b.iter_batched(
            || Simulation::new(scenario.clone()).expect("valid"),
            |mut sim| {
                sim.run().expect("runs");
                assert_eq!(sim.summary_json()["pods"]["scheduled"], 2048 * 16);
                sim
            },
            BatchSize::LargeInput,
        )
    });
    // Whole-node pods placed and gone again and again (validation/llama3-54d over 4 days):
    // a 2,048-pod JobSet on 2,176 8-GPU nodes, restarted 26 times by node failures. Each pod
    // is one fast decision over the pristine nodes and the one used class (the full nodes),
    // and each reservation and release moves the node between them (`Pristine::sync`).
    // Throughput is in pods placed.
    let text = "name: bench
run: {seed: 1, until: 4d, stopWhenAllTerminal: true}
cluster:
  nodePools:
  - {name: h100, nodesPerPool: 2176, capacity: {cpu: 192, memory: 2Ti, nvidia.com/gpu: 8}, topology: [{key: example.com/tor, nodesPerDomain: 2}]}
faults:
- {kind: nodeFailures, name: unexpected, ratePer1000NodeDays: 3.79, repair: {median: 18h, sigma: 2.5}}
workloads:
- training: {work: 60d, checkpointInterval: 15m, checkpointCost: 10s, restartCost: 5m}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {name: llama3}
    spec:
      failurePolicy: {maxRestarts: 100000}
      replicatedJobs:
      - name: trainer
        replicas: 1
        template:
          spec:
            parallelism: 2048
            completions: 2048
            backoffLimit: 0
            completionMode: Indexed
            template: {spec: {restartPolicy: Never, containers: [{name: trainer, resources: {limits: {nvidia.com/gpu: 8}}}]}}
";
    let scenario =
        Scenario::from_text("bench.yaml", text, Path::new(".")).expect("bench scenario loads");
    let placed = 27 * 2048;
    g.throughput(Throughput::Elements(placed));
    g.bench_function("2176_nodes_whole_node_restarts", |b| {
        b.iter_batched(
            || Simulation::new(scenario.clone()).expect("valid"),
            |mut sim| {
                sim.run().expect("runs");
                assert_eq!(sim.summary_json()["pods"]["scheduled"], placed);
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Many single-pod child Jobs (scripts/bench-60k-single-pod-jobs.yaml at a sixth of its size):
/// one JobSet of 10,000 Jobs of one 8-CPU pod on 2,500 nodes, run until the JobSet completes.
/// The JobSet controller's per-reconcile work over its child Jobs and each Job's creation and
/// footprint dominate. Throughput is in Jobs.
fn single_pod_jobs(c: &mut Criterion) {
    let mut g = c.benchmark_group("controllers");
    g.sample_size(10);
    let jobs = 10_000u32;
    let text = format!(
        "name: bench
run: {{seed: 1, until: 2h, stopWhenAllTerminal: true}}
controlPlane: {{scheduler: {{qps: 0}}, jobController: {{qps: 0}}, jobsetController: {{qps: 0}}, garbageCollector: {{qps: 0}}}}
cluster:
  nodePools:
  - {{name: cpu, nodesPerPool: {nodes}, capacity: {{cpu: 32, memory: 128Gi}}}}
workloads:
- pods: {{runFor: 10m}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: many}}
    spec:
      replicatedJobs:
      - name: w
        replicas: {jobs}
        template:
          spec: {{parallelism: 1, completions: 1, backoffLimit: 0, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 8}}}}}}]}}}}}}
",
        nodes = jobs / 4
    );
    let scenario =
        Scenario::from_text("bench.yaml", &text, Path::new(".")).expect("bench scenario loads");
    g.throughput(Throughput::Elements(u64::from(jobs)));
    g.bench_function("single_pod_jobs_10k", |b| {
        b.iter_batched(
            || scenario.clone(),
            |s| {
                let mut sim = Simulation::new(s).expect("valid");
                sim.run().expect("runs");
                assert_eq!(sim.summary_json()["pods"]["succeeded"], u64::from(jobs));
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// A restart of a JobSet of 4,096 single-pod Jobs: one pod fails at 10 minutes, the JobSet
/// restarts (RestartJobSet), and the new attempt's Jobs are created as the old ones are
/// removed, one reconcile per removal, each reading which names are free
/// (`child_jobs::TakenNames`) and deleting only the Jobs that became previous since the last
/// pass (`ChildJobBooks::take_previous_to_delete`). Throughput is in Jobs per attempt.
fn restart_recreate(c: &mut Criterion) {
    let mut g = c.benchmark_group("controllers");
    g.sample_size(10);
    let jobs = 4_096u32;
    let text = format!(
        "name: bench-restart
run: {{seed: 1, until: 1h}}
cluster:
  nodePools:
  - {{name: cpu, nodesPerPool: {nodes}, capacity: {{cpu: 32, memory: 128Gi}}}}
workloads:
- pods:
    runFor: 24h
    exits: [{{replicatedJob: w, jobIndex: 7, podIndex: 0, attempt: 0, after: 10m, exitCode: 1}}]
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: restarts}}
    spec:
      failurePolicy: {{maxRestarts: 3}}
      replicatedJobs:
      - name: w
        replicas: {jobs}
        template:
          spec: {{parallelism: 1, completions: 1, backoffLimit: 0, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 8}}}}}}]}}}}}}
",
        nodes = jobs / 4
    );
    let scenario = Scenario::from_text("bench-restart.yaml", &text, Path::new("."))
        .expect("bench scenario loads");
    g.throughput(Throughput::Elements(u64::from(jobs)));
    g.bench_function("restart_recreate_4096_jobs", |b| {
        b.iter_batched(
            || scenario.clone(),
            |s| {
                let mut sim = Simulation::new(s).expect("valid");
                sim.run().expect("runs");
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The report of a stalled exclusive-placement recovery: 1,024 exclusive Jobs of 16 pods on
/// 512 node pools of 16; a pod fails at 10 minutes, the JobSet restarts, and at the end half
/// the leaders find no domain: their Jobs get one grouped diagnosis line
/// (`recoveries[].diagnosis`, "more exclusive Jobs than domains"). The run happens once,
/// outside the measurement; each iteration builds summary.json. Throughput is in Jobs.
fn stalled_report(c: &mut Criterion) {
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    let text = "name: bench
run: {seed: 1, until: 30m}
controlPlane: {scheduler: {qps: 0}, jobController: {qps: 0}, garbageCollector: {qps: 0}}
cluster:
  nodePools:
  - {name: tpu, count: 512, nodesPerPool: 16, capacity: {cpu: 200, memory: 400Gi, google.com/tpu: 4}}
workloads:
- pods:
    runFor: 10h
    exits: [{replicatedJob: w, jobIndex: 0, podIndex: 3, attempt: 0, after: 10m, exitCode: 1}]
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: train
      annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool}
    spec:
      failurePolicy: {maxRestarts: 3}
      replicatedJobs:
      - name: w
        replicas: 1024
        template:
          spec: {parallelism: 16, completions: 16, backoffLimit: 0, template: {spec: {containers: [{name: c, resources: {limits: {google.com/tpu: 4}}}]}}}
";
    let scenario =
        Scenario::from_text("bench.yaml", text, Path::new(".")).expect("bench scenario loads");
    let mut sim = Simulation::new(scenario).expect("valid");
    sim.run().expect("runs");
    let summary = sim.summary_json();
    // The diagnosis groups Jobs with the same reason into one line ("512 Jobs (…): leader
    // cannot be placed: …"), so the check reads the group's count, not the line count.
    let diagnosis = summary["recoveries"][0]["diagnosis"].to_string();
    assert!(
        diagnosis.contains("512 Jobs (") && diagnosis.contains("leader cannot be placed"),
        "every unplaced leader is diagnosed: {diagnosis}"
    );
    g.throughput(Throughput::Elements(1024));
    g.bench_function("stalled_exclusive_1024_jobs", |b| {
        b.iter(|| sim.summary_json())
    });
    g.finish();
}

/// A long training run's churn: llama3-54d (2,048 pods on 2,176 nodes, every node failure
/// restarts the JobSet and replaces all its pods) cut to its first 6 days, about 50 restarts
/// and 100k pods created, of which a few thousand exist at once: the kubelet's runtimes, the
/// Job controller's books and the recovery report's attempt times per pod and Job ever
/// created; the API server's pod names held by name family (`apiserver::pod_names`) and each
/// Job's pod list, from whose front every restart takes 2,048 pods (`sim::id_list`).
/// Throughput is in events.
fn long_run(c: &mut Criterion) {
    let mut g = c.benchmark_group("long_run");
    g.sample_size(10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("scenarios/validation/llama3-54d.yaml");
    let text = std::fs::read_to_string(&path).expect("llama3-54d is there");
    assert!(text.contains("until: 54d"));
    let text = text.replace("until: 54d", "until: 6d");
    let scenario = Scenario::from_text("llama3-6d.yaml", &text, &root.join("scenarios/validation"))
        .expect("llama3 cut to 6 days loads");
    let events = {
        let mut sim = Simulation::new(scenario.clone()).expect("valid");
        sim.run().expect("runs");
        sim.events_delivered()
    };
    g.throughput(Throughput::Elements(events));
    g.bench_function("llama3_6d", |b| {
        b.iter_batched(
            || scenario.clone(),
            |s| {
                let mut sim = Simulation::new(s).expect("valid");
                sim.run().expect("runs");
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// kube-scheduler's failure path at scale (`scheduler::diag`, issue 13 item 6): GKE phase 3
/// in small. 4,096 one-pod nodes, 3,500 low-priority training pods, then 3,500 high-priority
/// inference pods that preempt them; the replacements pend and retry. Every failed cycle takes
/// a diagnosis over every node and every preemptor lists its potential nodes: from the
/// failure index instead of a visit of each node. Throughput is in preemptors.
fn preemption(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduling");
    g.sample_size(10);
    let pods = |name: &str, at: &str, class: &str| {
        format!(
            "- at: {at}
  pods: {{runFor: 24h}}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata: {{name: {name}}}
    spec:
      replicatedJobs:
      - name: w
        replicas: 7
        template:
          spec: {{parallelism: 500, completions: 500, backoffLimit: 1000000, template: {{spec: {{priorityClassName: {class}, containers: [{{name: c, resources: {{requests: {{cpu: 5m, memory: 20M}}}}}}]}}}}}}
"
        )
    };
    let text = format!(
        "name: bench-preemption
run: {{seed: 1, until: 20m}}
controlPlane: {{profile: gke}}
cluster:
  nodePools:
  - {{name: worker, count: 4, nodesPerPool: 1024, capacity: {{cpu: 2, memory: 8Gi, pods: 1}}}}
kueue:
  objects:
  - {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: training}}, value: 100}}
  - {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: inference}}, value: 1000}}
workloads:
{}{}",
        pods("training", "0s", "training"),
        pods("inference", "5m", "inference"),
    );
    let scenario =
        Scenario::from_text("bench.yaml", &text, Path::new(".")).expect("bench scenario loads");
    g.throughput(Throughput::Elements(3500));
    g.bench_function("4096_nodes_preemption_phase3", |b| {
        b.iter_batched(
            || Simulation::new(scenario.clone()).expect("valid"),
            |mut sim| {
                sim.run().expect("runs");
                let s = sim.summary_json();
                assert!(
                    s["scheduler"]["preemptions"].as_u64().unwrap_or(0) > 2500,
                    "{}",
                    s["scheduler"]
                );
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Building recovery-131k's world before its first event: 131,072 nodes in 8,192 pools, their
/// labels interned (a hostname and a node pool per node), the label index, the label columns
/// and the capacity indexes. Throughput is in nodes.
fn cluster_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("cluster");
    g.sample_size(10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario =
        Scenario::load(&root.join("scenarios/recovery-131k.yaml")).expect("recovery-131k loads");
    g.throughput(Throughput::Elements(131_072));
    g.bench_function("build_131k_nodes", |b| {
        b.iter_batched(
            || scenario.clone(),
            |s| Simulation::new(s).expect("valid"),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The label interner's work at 131k nodes: a hostname per node looked up and inserted, then
/// looked up again, in a `HashMap` with `FastHasher` and, for the record, with `std`'s
/// SipHash. Throughput is in names.
fn label_hashing(c: &mut Criterion) {
    use jobset_sim::engine::hash::FastMap;
    use std::collections::HashMap;
    let names: Vec<String> = (0..131_072)
        .map(|i| format!("v5p-{}-{}", i / 16, i % 16))
        .collect();
    let mut g = c.benchmark_group("hash");
    g.sample_size(10);
    g.throughput(Throughput::Elements(names.len() as u64));
    g.bench_function("intern_131k_hostnames_fast", |b| {
        b.iter(|| {
            let mut ids: FastMap<&str, u32> = FastMap::default();
            for n in &names {
                let next = ids.len() as u32;
                ids.entry(n.as_str()).or_insert(next);
            }
            names.iter().map(|n| ids[n.as_str()] as u64).sum::<u64>()
        })
    });
    g.bench_function("intern_131k_hostnames_siphash", |b| {
        b.iter(|| {
            let mut ids: HashMap<&str, u32> = HashMap::new();
            for n in &names {
                let next = ids.len() as u32;
                ids.entry(n.as_str()).or_insert(next);
            }
            names.iter().map(|n| ids[n.as_str()] as u64).sum::<u64>()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    long_run,
    engine,
    label_hashing,
    cluster_build,
    scenarios,
    recovery,
    scheduling,
    preemption,
    single_pod_jobs,
    restart_recreate,
    stalled_report
);
criterion_main!(benches);

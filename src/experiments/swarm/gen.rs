//! Random valid scenarios for the swarm: one ChaCha stream per case, drawn from the swarm seed
//! and the case number, so a case is reproduced from those two numbers alone.
//!
//! The generator writes YAML text (the same text `--write` stores), so every case also goes
//! through the scenario loader, the manifest loader and admission. It aims at every feature a
//! scenario can use, in small sizes (a few nodes, a few pods) so hundreds of cases run in
//! seconds. It only draws combinations admission accepts and where every pod fits some empty
//! node; a case that the loader rejects is a failure of the generator, reported as such.

use crate::engine::rng::{below, StreamRng};
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

/// Time after the last fault during which every JobSet must settle (the liveness horizon).
pub(crate) const SETTLE_HORIZON_S: u64 = 3 * 86_400;

/// The random stream of case `case` of swarm `seed`.
pub(crate) fn case_rng(seed: u64, case: u64) -> StreamRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&case.to_le_bytes());
    key[16..24].copy_from_slice(b"swarm-v1");
    StreamRng::from_seed(key)
}

/// One generated scenario: its YAML text.
pub(crate) struct Case {
    pub yaml: String,
}

struct Gen {
    rng: StreamRng,
}

/// A node pool entry as drawn: what pods need to know to fit it.
struct Pool {
    name: String,
    tier: String,
    cpu: u32,
    gpus: u32,
    taint: Option<(String, &'static str)>,
    topology: bool,
    count: u32,
    per_pool: u32,
    nodes: u32,
    /// Prepared for one Job under the node-selector strategy: its namespaced name, and whether
    /// the nodes carry the strategy's NoSchedule taint.
    job: Option<(String, bool)>,
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen::<f64>() < p
    }
    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + below(&mut self.rng, hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[below(&mut self.rng, items.len() as u64) as usize]
    }
    fn dur_s(&mut self, lo: u64, hi: u64) -> String {
        format!("{}s", self.int(lo, hi))
    }
    /// A random subset (possibly empty) of `items`, in order.
    fn subset(&mut self, items: &[String]) -> Vec<String> {
        items.iter().filter(|_| self.chance(0.5)).cloned().collect()
    }
}

/// Generates case `case` of swarm `seed`.
pub(crate) fn generate(seed: u64, case: u64) -> Case {
    let mut g = Gen {
        rng: case_rng(seed, case),
    };
    let gates = feature_gates(&mut g);
    let (control, _) = control_plane(&mut g);
    let pools = draw_pools(&mut g);
    let n_workloads = g.int(1, 3);
    let mut workloads = vec![];
    let mut names = vec![];
    let mut pools = pools;
    let base_pools = pools.len();
    for w in 0..n_workloads {
        // Pods are only pinned to the drawn pools, never to those prepared for one Job.
        let (wl, name, rjs) = workload(&mut g, w, &pools[..base_pools], &gates);
        if wl["jobset"]["metadata"]["annotations"]
            .get(crate::api::keys::NODE_SELECTOR_STRATEGY)
            .is_some()
        {
            let ns = wl["jobset"]["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            add_job_pools(&mut g, &mut pools, &ns, &name, &rjs);
        }
        names.push((name, rjs));
        workloads.push(wl);
    }
    let faults = draw_faults(&mut g, &pools, &names);
    let faults_until_s = g.int(600, 6 * 3600);
    let mut root = Map::new();
    root.insert("name".into(), json!(format!("swarm-{seed}-{case}")));
    root.insert(
        "description".into(),
        json!(format!("jobset-sim swarm --seed {seed} --case {case}")),
    );
    root.insert(
        "run".into(),
        json!({
            "seed": g.rng.gen::<u32>(),
            "until": format!("{}s", faults_until_s + SETTLE_HORIZON_S),
            "faultsUntil": format!("{faults_until_s}s"),
        }),
    );
    root.insert("featureGates".into(), gates_value(&gates));
    if let Some(c) = control {
        root.insert("controlPlane".into(), c);
    }
    root.insert("cluster".into(), cluster_value(&mut g, &pools));
    root.insert("workloads".into(), Value::Array(workloads));
    if !faults.is_empty() {
        root.insert("faults".into(), Value::Array(faults));
    }
    let yaml = serde_yaml_ng::to_string(&Value::Object(root)).expect("a JSON value is YAML");
    Case { yaml }
}

struct Gates {
    restart_job: bool,
    in_place: bool,
    elastic: bool,
    tls: bool,
}

fn feature_gates(g: &mut Gen) -> Gates {
    Gates {
        restart_job: g.chance(0.5),
        in_place: g.chance(0.3),
        elastic: g.chance(0.2),
        tls: g.chance(0.8),
    }
}

fn gates_value(gates: &Gates) -> Value {
    json!({
        "RestartJob": gates.restart_job,
        "InPlaceRestart": gates.in_place,
        "ElasticJobSet": gates.elastic,
        "TLSOptions": gates.tls,
    })
}

/// Control-plane overrides (about half the cases keep the calibrated defaults), the JobSet
/// controller version and the exclusive-placement design.
fn control_plane(g: &mut Gen) -> (Option<Value>, &'static str) {
    let version = *g.pick(&["v0.12.0", "main"]);
    let mode = *g.pick(&["leaderFollower", "leaderFollower", "allPods"]);
    let mut c = Map::new();
    let mut js = Map::new();
    js.insert("version".into(), json!(version));
    js.insert("exclusivePlacement".into(), json!(mode));
    if g.chance(0.3) {
        js.insert("maxInFlight".into(), json!(g.int(1, 50)));
        js.insert("qps".into(), json!(g.int(5, 500)));
        js.insert("burst".into(), json!(g.int(1, 500)));
    }
    c.insert("jobsetController".into(), Value::Object(js));
    if g.chance(0.5) {
        insert_controller_costs(g, &mut c);
    }
    if g.chance(0.5) {
        c.insert("scheduler".into(), scheduler_costs(g));
    }
    if g.chance(0.5) {
        c.insert(
            "nodeLifecycle".into(),
            json!({
                "monitorPeriod": g.dur_s(1, 10),
                "monitorGracePeriod": g.dur_s(10, 60),
                "leaseRenewInterval": g.dur_s(1, 10),
                "evictionRatePerS": *g.pick(&[0.1, 1.0, 10.0]),
                "tolerationSeconds": g.int(0, 300),
                "orphanPodGcDelay": g.dur_s(1, 60),
            }),
        );
    }
    (Some(Value::Object(c)), version)
}

/// Latencies and rate limits of the API server, the Job controller, the garbage collector
/// and the kubelet.
fn insert_controller_costs(g: &mut Gen, c: &mut Map<String, Value>) {
    c.insert("watchDelay".into(), json!(format!("{}ms", g.int(0, 500))));
    c.insert(
        "apiCallLatency".into(),
        json!(format!("{}ms", g.int(1, 100))),
    );
    c.insert("jobSyncBatchPeriod".into(), json!(g.dur_s(0, 5)));
    c.insert(
        "jobsetReconcileCost".into(),
        json!(format!("{}ms", g.int(0, 20))),
    );
    c.insert("jobSyncCost".into(), json!(format!("{}ms", g.int(0, 10))));
    c.insert(
        "webhookLatency".into(),
        json!(format!("{}ms", g.int(0, 50))),
    );
    c.insert(
        "jobController".into(),
        json!({"qps": g.int(5, 100), "burst": g.int(1, 100)}),
    );
    c.insert(
        "garbageCollector".into(),
        json!({"qps": g.int(5, 100), "burst": g.int(1, 100)}),
    );
    c.insert(
        "kubelet".into(),
        json!({"podStartLatency": format!("{}ms", g.int(0, 5000)),
               "podStopLatency": format!("{}ms", g.int(0, 5000))}),
    );
}

/// The scheduler's costs, rate limits and scoring.
fn scheduler_costs(g: &mut Gen) -> Value {
    let cycle = g.int(0, 2000);
    let filter = g.int(0, 1000);
    let existing: u64;
    let mut scheduler = json!({
            "cycleBaseCost": format!("{cycle}us"),
            "perNodeFilterCost": format!("{filter}ns"),
            // Derived from the Filter draw, not drawn, so the generator's stream (and the
            // cases pinned by seed and number) stays what it was: 0 to 4 x the Filter
            // cost (the profiles span 0.33 x, gke, to 3.3 x, ci).
            "perRejectedNodeCost": format!("{}ns", filter * (cycle % 5)),
            "perNodeScoreCost": format!("{}ns", g.int(0, 5000)),
            "bindLatency": format!("{}ms", g.int(0, 50)),
            "percentageOfNodesToScore": g.int(0, 100),
            "scoringStrategy": *g.pick(&["LeastAllocated", "MostAllocated"]),
            "qps": g.int(0, 100),
            "burst": g.int(1, 200),
            "affinityPerExistingPodCost": ({
                existing = g.int(0, 5000);
                format!("{existing}ns")
            }),
    });
    // Derived, not drawn, so the generator's stream stays what it was (the draw above was
    // the one `affinityPerPodCost` before the constant was split): 0 to 1.5 x the
    // existing-pod cost (ci's fit is well below 1 x).
    scheduler["affinityPerPodTermCost"] = json!(format!("{}ns", existing * (cycle % 4) / 2));
    scheduler
}

fn draw_pools(g: &mut Gen) -> Vec<Pool> {
    let n = g.int(1, 3);
    let gpus = if g.chance(0.3) { 8 } else { 0 };
    (0..n)
        .map(|i| {
            let count = g.int(1, 3) as u32;
            let per_pool = g.int(1, 4) as u32;
            Pool {
                name: format!("p{i}"),
                tier: format!("t{i}"),
                // The first entry fits every pod and has no taint; the others may be smaller.
                cpu: if i == 0 { 16 } else { *g.pick(&[4, 8, 16]) },
                gpus: if i == 0 { gpus } else { *g.pick(&[0, gpus]) },
                taint: (i > 0 && g.chance(0.6)).then(|| {
                    let effect = *g.pick(&["NoSchedule", "PreferNoSchedule", "NoExecute"]);
                    (format!("dedicated-{i}"), effect)
                }),
                topology: g.chance(0.4),
                count,
                per_pool,
                nodes: count * per_pool,
                job: None,
            }
        })
        .collect()
}

/// The node-selector strategy pins each child Job to the nodes labelled with its namespaced
/// name (users prepare them beforehand, often tainted): one pool entry per Job.
fn add_job_pools(g: &mut Gen, pools: &mut Vec<Pool>, ns: &str, js: &str, rjs: &[RjShape]) {
    let topology = pools.iter().all(|p| p.topology);
    let gpus = pools[0].gpus;
    for (rj, replicas, _) in rjs {
        for i in 0..*replicas {
            let per_pool = g.int(1, 2) as u32;
            pools.push(Pool {
                name: format!("{js}-{rj}-{i}"),
                tier: format!("{js}-{rj}-{i}"),
                cpu: 16,
                gpus,
                taint: None,
                topology,
                count: 1,
                per_pool,
                nodes: per_pool,
                job: Some((format!("{ns}_{js}-{rj}-{i}"), g.chance(0.5))),
            });
        }
    }
}

fn cluster_value(g: &mut Gen, pools: &[Pool]) -> Value {
    let mut entries = vec![];
    for p in pools {
        let mut e = Map::new();
        e.insert("name".into(), json!(p.name));
        e.insert("count".into(), json!(p.count));
        e.insert("nodesPerPool".into(), json!(p.per_pool));
        let mut labels = json!({"tier": p.tier});
        if let Some((job, _)) = &p.job {
            labels[crate::api::keys::NAMESPACED_JOB] = json!(job);
        }
        e.insert("labels".into(), labels);
        let mut cap = json!({"cpu": p.cpu.to_string(), "memory": "64Gi"});
        if p.gpus > 0 {
            cap["nvidia.com/gpu"] = json!(p.gpus.to_string());
        }
        if g.chance(0.2) {
            cap["pods"] = json!(g.int(4, 110).to_string());
        }
        e.insert("capacity".into(), cap);
        if let Some((key, effect)) = &p.taint {
            e.insert(
                "taints".into(),
                json!([{"key": key, "value": "yes", "effect": effect}]),
            );
        }
        if let Some((_, true)) = &p.job {
            e.insert(
                "taints".into(),
                json!([{"key": crate::api::keys::NO_SCHEDULE_TAINT, "value": "true",
                        "effect": "NoSchedule"}]),
            );
        }
        if p.topology {
            e.insert(
                "topology".into(),
                json!([{"key": "example.com/rack", "nodesPerDomain": g.int(1, 3)}]),
            );
        }
        entries.push(Value::Object(e));
    }
    let mut c = Map::new();
    c.insert("nodePools".into(), Value::Array(entries));
    if g.chance(0.3) {
        c.insert(
            "namespaces".into(),
            json!({"team-a": {"labels": {"team": "a"}}, "team-b": {}}),
        );
    }
    Value::Object(c)
}

/// A replicated job's name, replicas and pods per Job, for fault selectors and Job pools.
type RjShape = (String, u64, u64);

/// One replicated job as drawn, with what the failure policy and the exits may refer to.
struct RjDraw {
    name: String,
    replicas: u64,
    pods_per_job: u64,
    /// A podFailurePolicy rule may `Ignore` a failure: it then never counts.
    ignores_failures: bool,
}

/// The draws of a workload that several of its parts depend on.
struct WorkloadFlags {
    /// Failures restart Jobs in place (the in-place restart gate).
    in_place: bool,
    /// A training workload: every pod must run at once.
    training: bool,
    /// Each replicated job after the first depends on the one before.
    depends: bool,
}

/// A JobSet spec as drawn, with what the workload's other fields depend on.
struct SpecDraw {
    spec: Map<String, Value>,
    suspended: bool,
    /// The failure policy may restart the JobSet without bound.
    unbounded_restarts: bool,
}

/// One workload: its scenario entry, the JobSet's
/// name and its replicated jobs (for fault selectors).
fn workload(g: &mut Gen, w: u64, pools: &[Pool], gates: &Gates) -> (Value, String, Vec<RjShape>) {
    let name = format!("js{w}");
    let in_place = gates.in_place && g.chance(0.4);
    let n_rj = g.int(1, 3);
    let (exclusive_key, node_selector_strategy) = exclusive_placement(g, pools);
    // Training needs every pod running at once, so no replicated job may wait for another.
    let training = !in_place && g.chance(0.25);
    let depends = !training && g.chance(0.25) && n_rj > 1;
    let mut rjs = vec![];
    let mut rj_values = vec![];
    for r in 0..n_rj {
        let (v, d) = replicated_job(g, r, pools, in_place, depends, !node_selector_strategy);
        rjs.push(d);
        rj_values.push(v);
    }
    let flags = WorkloadFlags {
        in_place,
        training,
        depends,
    };
    let drawn = jobset_spec(g, gates, &flags, &rjs, rj_values);
    let metadata = jobset_metadata(g, &name, exclusive_key, node_selector_strategy);
    let jobset = json!({
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "metadata": metadata,
        "spec": drawn.spec,
    });
    let mut wl = Map::new();
    wl.insert("at".into(), json!(g.dur_s(0, 1800)));
    wl.insert("jobset".into(), jobset);
    if let Some(updates) = suspend_updates(g, drawn.suspended) {
        wl.insert("updates".into(), updates);
    }
    let ignored_failures = rjs.iter().any(|r| r.ignores_failures);
    // Restarts that never count, or failures that never do, would repeat an exit forever.
    let bound_exits = drawn.unbounded_restarts || ignored_failures;
    insert_pods_and_training(g, &mut wl, training, &rjs, bound_exits);
    let rj_list = rjs
        .iter()
        .map(|r| (r.name.clone(), r.replicas, r.pods_per_job))
        .collect();
    (Value::Object(wl), name, rj_list)
}

/// The exclusive-placement topology key, if any, and whether the node-selector strategy pins
/// each Job to its own pool.
fn exclusive_placement(g: &mut Gen, pools: &[Pool]) -> (Option<&'static str>, bool) {
    let exclusive_key = if g.chance(0.35) {
        let rack = pools.iter().all(|p| p.topology) && g.chance(0.3);
        Some(if rack {
            "example.com/rack"
        } else {
            "cloud.google.com/gke-nodepool"
        })
    } else {
        None
    };
    // The node-selector strategy pins each Job to its own pool: no other nodeSelector.
    let node_selector_strategy =
        exclusive_key == Some("cloud.google.com/gke-nodepool") && g.chance(0.15);
    (exclusive_key, node_selector_strategy)
}

/// The JobSet's spec around its replicated jobs: success, failure and startup policies,
/// coordinator, TTL, network, suspension.
fn jobset_spec(
    g: &mut Gen,
    gates: &Gates,
    flags: &WorkloadFlags,
    rjs: &[RjDraw],
    rj_values: Vec<Value>,
) -> SpecDraw {
    let rj_names: Vec<String> = rjs.iter().map(|r| r.name.clone()).collect();
    let mut spec = Map::new();
    spec.insert("replicatedJobs".into(), Value::Array(rj_values));
    if g.chance(0.3) {
        let targets = g.subset(&rj_names);
        spec.insert(
            "successPolicy".into(),
            json!({"operator": *g.pick(&["All", "Any"]), "targetReplicatedJobs": targets}),
        );
    }
    let mut unbounded_restarts = false;
    if flags.in_place || g.chance(0.6) {
        let (fp, unbounded) = failure_policy(g, gates, flags.in_place, &rj_names);
        unbounded_restarts = unbounded;
        spec.insert("failurePolicy".into(), fp);
    }
    if !flags.depends && !flags.training && g.chance(0.3) {
        spec.insert(
            "startupPolicy".into(),
            json!({"startupPolicyOrder": *g.pick(&["AnyOrder", "InOrder"])}),
        );
    }
    insert_optional_spec_fields(g, &mut spec, &rjs[0]);
    let suspended = g.chance(0.15);
    if suspended {
        spec.insert("suspend".into(), json!(true));
    }
    SpecDraw {
        spec,
        suspended,
        unbounded_restarts,
    }
}

/// Perhaps a coordinator (a pod of the first replicated job `rj`), a TTL, network settings.
fn insert_optional_spec_fields(g: &mut Gen, spec: &mut Map<String, Value>, rj: &RjDraw) {
    if g.chance(0.2) {
        spec.insert(
            "coordinator".into(),
            json!({"replicatedJob": rj.name,
                   "jobIndex": g.int(0, rj.replicas - 1),
                   "podIndex": g.int(0, rj.pods_per_job - 1)}),
        );
    }
    if g.chance(0.2) {
        spec.insert("ttlSecondsAfterFinished".into(), json!(g.int(0, 120)));
    }
    if g.chance(0.2) {
        spec.insert(
            "network".into(),
            json!({"enableDNSHostnames": g.chance(0.5), "publishNotReadyAddresses": g.chance(0.5)}),
        );
    }
}

/// The JobSet's metadata: name, exclusive-placement annotations, perhaps a namespace.
fn jobset_metadata(
    g: &mut Gen,
    name: &str,
    exclusive_key: Option<&str>,
    node_selector_strategy: bool,
) -> Value {
    let mut annotations = Map::new();
    if let Some(key) = exclusive_key {
        annotations.insert(crate::api::keys::EXCLUSIVE_TOPOLOGY.into(), json!(key));
        if node_selector_strategy {
            annotations.insert(
                crate::api::keys::NODE_SELECTOR_STRATEGY.into(),
                json!("true"),
            );
        }
    }
    let mut metadata = json!({"name": name, "annotations": annotations});
    if g.chance(0.3) {
        metadata["namespace"] = json!(*g.pick(&["default", "team-a", "team-b"]));
    }
    metadata
}

/// Suspend updates while the JobSet runs: a suspended one is resumed, some others suspended
/// and resumed; `None` for the rest.
fn suspend_updates(g: &mut Gen, suspended: bool) -> Option<Value> {
    if !(suspended || g.chance(0.1)) {
        return None;
    }
    // Resume (and perhaps suspend and resume again) while it runs.
    let first = g.int(60, 3600);
    let mut updates = vec![];
    if !suspended {
        updates.push(json!({"at": format!("{first}s"), "suspend": true}));
    }
    updates.push(json!({"at": format!("{}s", first + g.int(60, 1800)), "suspend": false}));
    Some(Value::Array(updates))
}

/// The workload's pods (run times and exits; `bound_exits`: each exit happens at most once)
/// and, for a training workload, its training.
fn insert_pods_and_training(
    g: &mut Gen,
    wl: &mut Map<String, Value>,
    training: bool,
    rjs: &[RjDraw],
    bound_exits: bool,
) {
    if training {
        let mut t = json!({"work": g.dur_s(300, 7200)});
        if g.chance(0.6) {
            t["checkpointInterval"] = json!(g.dur_s(60, 1800));
            t["checkpointCost"] = json!(g.dur_s(0, 60));
        }
        if g.chance(0.5) {
            t["restartCost"] = json!(g.dur_s(0, 300));
        }
        wl.insert("training".into(), t);
        wl.insert("pods".into(), json!({"exits": exits(g, rjs, bound_exits)}));
    } else {
        let mut per_rj = Map::new();
        for rj in rjs {
            if g.chance(0.3) {
                per_rj.insert(rj.name.clone(), json!({"runFor": g.dur_s(10, 900)}));
            }
        }
        wl.insert(
            "pods".into(),
            json!({"runFor": g.dur_s(10, 900), "replicatedJobs": per_rj, "exits": exits(g, rjs, bound_exits)}),
        );
    }
}

/// One replicated job: its entry in the JobSet, and what the rest of the workload needs of it.
fn replicated_job(
    g: &mut Gen,
    r: u64,
    pools: &[Pool],
    in_place: bool,
    depends: bool,
    may_pin: bool,
) -> (Value, RjDraw) {
    let name = format!("r{r}");
    let replicas = g.int(1, 3);
    let parallelism = g.int(1, 3);
    let completions = if in_place || g.chance(0.7) {
        parallelism
    } else {
        parallelism + g.int(1, 2)
    };
    // The pool its pods are pinned to (by nodeSelector), or none; pool 0 fits every pod.
    let pool = if may_pin && g.chance(0.4) {
        Some(&pools[below(&mut g.rng, pools.len() as u64) as usize])
    } else {
        None
    };
    let requests = pod_requests(g, pools, pool);
    let restart_policy = if in_place {
        "Never"
    } else {
        *g.pick(&["Never", "Never", "OnFailure"])
    };
    let pod = pod_spec(g, &name, pool, restart_policy, requests);
    let mut job = Map::new();
    let mut ignores_failures = false;
    job.insert("parallelism".into(), json!(parallelism));
    job.insert("completions".into(), json!(completions));
    job.insert("completionMode".into(), json!("Indexed"));
    if in_place {
        job.insert("backoffLimit".into(), json!(i32::MAX));
        job.insert("podReplacementPolicy".into(), json!("Failed"));
    } else {
        ignores_failures = job_failure_mechanisms(g, &mut job, restart_policy);
    }
    job.insert(
        "template".into(),
        json!({"metadata": {"labels": {"app": name}}, "spec": pod}),
    );
    let mut rj = Map::new();
    rj.insert("name".into(), json!(name));
    rj.insert("replicas".into(), json!(replicas));
    if g.chance(0.2) {
        rj.insert("groupName".into(), json!(*g.pick(&["g-a", "g-b"])));
    }
    if depends && r > 0 {
        rj.insert(
            "dependsOn".into(),
            json!([{"name": format!("r{}", r - 1), "status": *g.pick(&["Ready", "Complete"])}]),
        );
    }
    rj.insert("template".into(), json!({"spec": job}));
    let drawn = RjDraw {
        name,
        replicas,
        pods_per_job: parallelism.min(completions),
        ignores_failures,
    };
    (Value::Object(rj), drawn)
}

/// A pod's resource requests: CPU and GPUs that fit `pool` (pool 0 when unpinned), memory.
/// [`pod_spec`] gives the GPUs their limit.
fn pod_requests(g: &mut Gen, pools: &[Pool], pool: Option<&Pool>) -> Value {
    let max_cpu = pool.map_or(16, |p| p.cpu);
    let cpu = *g.pick(&[1, 2, 4, 8, 16]).min(&max_cpu);
    let gpu_room = pool.map_or(pools[0].gpus, |p| p.gpus);
    let gpus = if gpu_room > 0 && g.chance(0.5) {
        *g.pick(&[1, 4, 8])
    } else {
        0
    };
    let mut requests = json!({"cpu": cpu.to_string(), "memory": format!("{}Gi", g.int(1, 32))});
    if gpus > 0 {
        requests["nvidia.com/gpu"] = json!(gpus.to_string());
    }
    requests
}

/// A replicated job's pod spec: its container, perhaps a sidecar, grace period, priority,
/// the pool's nodeSelector, tolerations and affinity.
fn pod_spec(
    g: &mut Gen,
    name: &str,
    pool: Option<&Pool>,
    restart_policy: &str,
    requests: Value,
) -> Map<String, Value> {
    let mut resources = json!({"requests": requests});
    // GPUs cannot be overcommitted: the API server refuses a request without an equal limit.
    if let Some(gpus) = resources["requests"].get("nvidia.com/gpu").cloned() {
        resources["limits"] = json!({"nvidia.com/gpu": gpus});
    }
    let mut container = json!({"name": "main", "resources": resources});
    if g.chance(0.2) {
        container["readinessProbe"] =
            json!({"initialDelaySeconds": g.int(0, 30), "periodSeconds": g.int(1, 10)});
    }
    let mut pod = Map::new();
    pod.insert("restartPolicy".into(), json!(restart_policy));
    pod.insert("containers".into(), json!([container]));
    if g.chance(0.15) {
        pod.insert(
            "initContainers".into(),
            json!([{"name": "sidecar", "restartPolicy": "Always",
                    "resources": {"requests": {"cpu": "0"}}}]),
        );
    }
    if g.chance(0.5) {
        pod.insert("terminationGracePeriodSeconds".into(), json!(g.int(0, 30)));
    }
    if g.chance(0.2) {
        pod.insert("priority".into(), json!(g.int(0, 1000)));
    }
    if let Some(p) = pool {
        pod.insert("nodeSelector".into(), json!({"tier": p.tier}));
    }
    let tolerations = pod_tolerations(g, pool);
    if !tolerations.is_empty() {
        pod.insert("tolerations".into(), Value::Array(tolerations));
    }
    if g.chance(0.15) {
        pod.insert("affinity".into(), affinity(g, name));
    }
    pod
}

/// A pod's tolerations: the pinned pool's taint, perhaps everything, perhaps unreachable
/// nodes for a while.
fn pod_tolerations(g: &mut Gen, pool: Option<&Pool>) -> Vec<Value> {
    let mut tolerations = vec![];
    if let Some((key, effect)) = pool.and_then(|p| p.taint.as_ref()) {
        tolerations.push(json!({"key": key, "operator": "Exists", "effect": effect}));
    }
    if g.chance(0.3) {
        tolerations.push(json!({"operator": "Exists"}));
    }
    if g.chance(0.2) {
        tolerations.push(
            json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                "effect": "NoExecute", "tolerationSeconds": g.int(0, 600)}),
        );
    }
    tolerations
}

/// Every way a Job fails by itself: backoffLimit, backoffLimitPerIndex with maxFailedIndexes,
/// podFailurePolicy (FailJob, Ignore, Count, FailIndex), activeDeadlineSeconds,
/// podReplacementPolicy. Returns whether a podFailurePolicy rule ignores some failures.
fn job_failure_mechanisms(g: &mut Gen, job: &mut Map<String, Value>, restart_policy: &str) -> bool {
    let mut ignores = false;
    // Kubernetes accepts backoffLimitPerIndex only with restartPolicy Never.
    let per_index = restart_policy == "Never" && g.chance(0.3);
    if per_index {
        job.insert("backoffLimitPerIndex".into(), json!(g.int(0, 2)));
        if g.chance(0.5) {
            job.insert("maxFailedIndexes".into(), json!(g.int(0, 2)));
        }
    } else if g.chance(0.7) {
        job.insert("backoffLimit".into(), json!(g.int(0, 3)));
    }
    if g.chance(0.15) {
        job.insert("activeDeadlineSeconds".into(), json!(g.int(300, 7200)));
    }
    if g.chance(0.2) {
        job.insert(
            "podReplacementPolicy".into(),
            json!(*g.pick(&["Failed", "TerminatingOrFailed"])),
        );
    }
    if restart_policy == "Never" && g.chance(0.35) {
        let mut rules = vec![];
        for _ in 0..g.int(1, 3) {
            let mut actions = vec!["FailJob", "Ignore", "Count"];
            if per_index {
                actions.push("FailIndex");
            }
            let action = *g.pick(&actions);
            ignores |= action == "Ignore";
            let rule = if g.chance(0.5) {
                json!({"action": action, "onExitCodes": {
                    "containerName": "main",
                    "operator": *g.pick(&["In", "NotIn"]),
                    "values": [*g.pick(&[1, 2, 42, 137])]}})
            } else {
                json!({"action": action,
                       "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]})
            };
            rules.push(rule);
        }
        job.insert("podFailurePolicy".into(), json!({"rules": rules}));
    }
    ignores
}

fn affinity(g: &mut Gen, app: &str) -> Value {
    let term = json!({"labelSelector": {"matchLabels": {"app": app}},
                      "topologyKey": "kubernetes.io/hostname"});
    if g.chance(0.5) {
        json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution":
            [{"weight": g.int(1, 100), "podAffinityTerm": term}]}})
    } else {
        json!({"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution":
            [{"weight": g.int(1, 100), "podAffinityTerm": term}]}})
    }
}

/// The failure policy, and whether a rule restarts without counting towards maxRestarts.
fn failure_policy(
    g: &mut Gen,
    gates: &Gates,
    in_place: bool,
    rj_names: &[String],
) -> (Value, bool) {
    let mut fp = Map::new();
    fp.insert("maxRestarts".into(), json!(g.int(0, 3)));
    let strategy = if in_place {
        "InPlaceRestart"
    } else {
        *g.pick(&["Recreate", "BlockingRecreate"])
    };
    fp.insert("restartStrategy".into(), json!(strategy));
    if g.chance(0.5) {
        let mut actions = vec![
            "FailJobSet",
            "RestartJobSet",
            "RestartJobSetAndIgnoreMaxRestarts",
        ];
        if gates.restart_job && !in_place {
            actions.extend(["RestartJob", "RestartJobAndIgnoreMaxRestarts"]);
        }
        let reasons: Vec<String> = [
            "BackoffLimitExceeded",
            "DeadlineExceeded",
            "FailedIndexes",
            "MaxFailedIndexesExceeded",
            "PodFailurePolicy",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rules = vec![];
        for i in 0..g.int(1, 3) {
            let mut rule = json!({"name": format!("rule{i}"), "action": *g.pick(&actions)});
            let picked = g.subset(&reasons);
            if !picked.is_empty() {
                rule["onJobFailureReasons"] = json!(picked);
            }
            if g.chance(0.2) {
                rule["onJobFailureMessagePatterns"] = json!([*g.pick(&[".*", "^Job has", "x+"])]);
            }
            let targets = g.subset(rj_names);
            if !targets.is_empty() {
                rule["targetReplicatedJobs"] = json!(targets);
            }
            rules.push(rule);
        }
        fp.insert("rules".into(), Value::Array(rules));
    }
    let unbounded = fp.get("rules").is_some_and(|rules| {
        rules.as_array().into_iter().flatten().any(|r| {
            r["action"]
                .as_str()
                .unwrap_or("")
                .ends_with("IgnoreMaxRestarts")
        })
    });
    (Value::Object(fp), unbounded)
}

/// Container exits other than a clean exit after `runFor`: on given attempts, retries, Job
/// attempts or always. With `bounded` every exit names its JobSet attempt, Job attempt and
/// retry, so it happens at most once: restarts that do not count towards maxRestarts, and
/// failures a podFailurePolicy ignores, would otherwise repeat a crash forever, by design
/// rather than by a bug.
fn exits(g: &mut Gen, rjs: &[RjDraw], bounded: bool) -> Value {
    let mut out = vec![];
    for _ in 0..g.int(0, 3) {
        let rj = &rjs[below(&mut g.rng, rjs.len() as u64) as usize];
        let mut e = json!({"after": g.dur_s(1, 600), "exitCode": *g.pick(&[1, 2, 42, 137])});
        if g.chance(0.8) {
            e["replicatedJob"] = json!(rj.name);
        }
        if g.chance(0.6) {
            e["jobIndex"] = json!(g.int(0, rj.replicas - 1));
        }
        if g.chance(0.6) {
            e["podIndex"] = json!(g.int(0, rj.pods_per_job - 1));
        }
        match g.int(0, 4) {
            0 => e["attempt"] = json!(g.int(0, 2)),
            1 => e["jobAttempt"] = json!(g.int(0, 1)),
            2 => e["retry"] = json!(g.int(0, 2)),
            3 => {
                e["attempt"] = json!(0);
                e["retry"] = json!(0);
            }
            _ => {} // every run: a crash loop until a limit ends it
        }
        if bounded {
            e["attempt"] = json!(g.int(0, 1));
            e["jobAttempt"] = json!(g.int(0, 1));
            e["retry"] = json!(g.int(0, 1));
        }
        out.push(e);
    }
    Value::Array(out)
}

/// Up to three fault injectors of any kind, over the pools' nodes and the workloads' pods.
fn draw_faults(g: &mut Gen, pools: &[Pool], jobsets: &[(String, Vec<RjShape>)]) -> Vec<Value> {
    let mut out = vec![];
    for i in 0..g.int(0, 3) {
        let name = format!("f{i}");
        let f = match g.int(0, 5) {
            0 => node_failures_fault(g, name, pools),
            1 => domain_failures_fault(g, name, pools),
            2 => json!({"kind": "maintenance", "name": name,
                        "ratePer1000NodeDays": *g.pick(&[50.0, 300.0]),
                        "duration": draw_repair(g)}),
            3 => pod_failures_fault(g, name, jobsets),
            _ => scripted_fault(g, name, pools),
        };
        out.push(f);
    }
    out
}

/// A repair (or maintenance) duration: a log-normal median and sigma.
fn draw_repair(g: &mut Gen) -> Value {
    json!({"median": g.dur_s(60, 3600), "sigma": *g.pick(&[0.0, 0.5, 1.0])})
}

/// A `nodeFailures` injector: a rate, perhaps repairs, Weibull shape, lemons, causes, pools.
fn node_failures_fault(g: &mut Gen, name: String, pools: &[Pool]) -> Value {
    let pool_names: Vec<String> = pools.iter().map(|p| p.name.clone()).collect();
    let mut f = json!({"kind": "nodeFailures", "name": name,
                       "ratePer1000NodeDays": *g.pick(&[50.0, 200.0, 1000.0])});
    if g.chance(0.8) {
        f["repair"] = draw_repair(g);
    }
    if g.chance(0.3) {
        f["weibullShape"] = json!(*g.pick(&[0.5, 1.5]));
    }
    if g.chance(0.3) {
        f["lemons"] = json!({"fraction": 0.25, "multiplier": 4.0});
    }
    if g.chance(0.4) {
        f["causes"] = json!([
            {"name": "gpu", "weight": 2.0, "effect": "crash", "exitCode": 42},
            {"name": "sw", "weight": 1.0, "effect": "podCrash"},
            {"name": "net", "weight": 1.0, "effect": "down", "repair": draw_repair(g)},
        ]);
    }
    if g.chance(0.3) {
        f["nodePools"] = json!([*g.pick(&pool_names)]);
    }
    f
}

/// A `domainFailures` injector over racks (when every pool has them) or node pools.
fn domain_failures_fault(g: &mut Gen, name: String, pools: &[Pool]) -> Value {
    let key = if pools.iter().all(|p| p.topology) && g.chance(0.5) {
        "example.com/rack"
    } else {
        "cloud.google.com/gke-nodepool"
    };
    let mut f = json!({"kind": "domainFailures", "name": name, "topologyKey": key,
                       "ratePer1000DomainDays": *g.pick(&[50.0, 300.0]),
                       "effect": *g.pick(&["down", "crash", "podCrash", "drain"])});
    if g.chance(0.8) || f["effect"] == "drain" {
        f["repair"] = draw_repair(g);
    }
    f
}

/// A `podFailures` injector, at a time or a rate, perhaps aimed at one workload's pods.
fn pod_failures_fault(g: &mut Gen, name: String, jobsets: &[(String, Vec<RjShape>)]) -> Value {
    let (js, rjs) = &jobsets[below(&mut g.rng, jobsets.len() as u64) as usize];
    let (rj, replicas, pods) = &rjs[below(&mut g.rng, rjs.len() as u64) as usize];
    let mut f = json!({"kind": "podFailures", "name": name,
                       "effect": *g.pick(&["exitCode", "oomKilled", "evicted"])});
    if f["effect"] == "exitCode" {
        f["exitCode"] = json!(*g.pick(&[1, 2, 42]));
    }
    if g.chance(0.5) {
        f["at"] = json!(g.dur_s(30, 7200));
    } else {
        f["ratePer1000PodDays"] = json!(*g.pick(&[100.0, 1000.0, 5000.0]));
    }
    if g.chance(0.7) {
        f["jobset"] = json!(js);
        if g.chance(0.7) {
            f["replicatedJob"] = json!(rj);
            if g.chance(0.5) {
                f["jobIndex"] = json!(g.int(0, replicas - 1));
            }
            if g.chance(0.5) {
                f["podIndex"] = json!(g.int(0, pods - 1));
            }
        }
    }
    f
}

/// A `scripted` fault on one node or one pool's nodes, perhaps repaired.
fn scripted_fault(g: &mut Gen, name: String, pools: &[Pool]) -> Value {
    let total_nodes: u32 = pools.iter().map(|p| p.nodes).sum();
    let effect = *g.pick(&["down", "crash", "podCrash", "drain"]);
    let mut f = json!({"kind": "scripted", "name": name, "at": g.dur_s(30, 7200),
                       "effect": effect});
    if g.chance(0.3) {
        let p = &pools[below(&mut g.rng, pools.len() as u64) as usize];
        f["domain"] = json!({"key": "tier", "value": p.tier});
    } else {
        let n = g.int(0, u64::from(total_nodes) - 1) as u32;
        f["node"] = json!(node_name(pools, n));
    }
    if effect == "drain" || g.chance(0.7) {
        f["repairAfter"] = json!(g.dur_s(60, 7200));
    }
    f
}

/// The name of the `n`-th node across the entries, as the cluster names it.
fn node_name(pools: &[Pool], mut n: u32) -> String {
    for p in pools {
        if n < p.nodes {
            let per = p.per_pool;
            let pool = if p.count == 1 {
                p.name.clone()
            } else {
                format!("{}-{}", p.name, n / per)
            };
            return format!("{pool}-{}", n % per);
        }
        n -= p.nodes;
    }
    unreachable!("n is below the total node count")
}

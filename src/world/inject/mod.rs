//! Fault injection: the scenario's `faults:` turned into events, each fault taking the real
//! Kubernetes path (node lifecycle, kubelet, Job controller, JobSet failure policy).
//!
//! Every injector has its own random stream (`faults/<name>`), so one injector's draws never
//! move another's. Random node and domain failures are independent renewal processes, one per
//! node or domain; a node out of the pool (down, cordoned for repair, drained) is skipped by
//! every injector until it returns, and its own process resumes from its return.

pub(crate) mod effects;
pub(crate) mod sample;

use crate::cluster::NodeId;
use crate::engine::{RngStreams, SimTime, StreamRng};
use crate::error::InputError;
use crate::scenario::faults::{FaultKind, NodeEffect, NS_PER_DAY};
use crate::sim::{Event, Sim};
use effects::NEVER;
use sample::Arrivals;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one injector did, for the summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct FaultStats {
    pub name: String,
    pub kind: String,
    /// Faults that happened (a fault on a node already out of the pool does not happen).
    pub faults: u64,
    /// Faults that hit at least one pod (bound and not finished).
    pub interruptions: u64,
    /// Pods hit.
    pub pods_hit: u64,
    /// By cause (random node failures) or by effect.
    pub by_cause: BTreeMap<String, CauseStats>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct CauseStats {
    pub faults: u64,
    pub interruptions: u64,
}

/// A pod position a rate-based pod injector may hit: (workload, replicated job index, job
/// index, completion index).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub workload: u32,
    pub rj: u32,
    pub job_index: u32,
    pub pod_index: u32,
}

struct Injector {
    rng: StreamRng,
    /// What it injects (its `faults[]` entry).
    kind: FaultKind,
    /// Node or domain processes: each target's arrivals (lemons have a shorter mean).
    arrivals: Vec<Arrivals>,
    /// Domain injectors and scripted domains: the nodes of each domain.
    domains: Vec<Vec<NodeId>>,
    /// Rate-based pod injectors: every pod position the selector matches.
    slots: Vec<Slot>,
}

/// The fault injectors: they decide what breaks and when, and hand each fault to the component
/// that would see it in a real cluster (`effects.rs`). Their reactions (`on_fault_fires`,
/// `on_node_repaired`) are handlers over a `Ctx`; the rest of the run reads what they did
/// through the accessors below.
#[derive(Default)]
pub(crate) struct FaultInjectors {
    injectors: Vec<Injector>,
    /// Past this time no fault fires (`run.faultsUntil`).
    faults_until_ns: Option<SimTime>,
    /// Out of the pool because of a fault, until repaired.
    node_out: Vec<bool>,
    /// How many of `node_out` are true (the timeline reads it at every sample).
    nodes_out_now: u64,
    /// When the repair of an out node is due (`NEVER`: none scheduled); read by diagnoses.
    repair_due_ns: Vec<SimTime>,
    stats: Vec<FaultStats>,
}

impl FaultInjectors {
    /// Node `n` is out of the pool because of a fault.
    pub(crate) fn node_out(&self, n: NodeId) -> bool {
        self.node_out[n as usize]
    }

    /// Nodes out of the pool now.
    pub(crate) fn nodes_out_now(&self) -> u64 {
        debug_assert_eq!(
            self.nodes_out_now,
            self.node_out.iter().filter(|&&o| o).count() as u64
        );
        self.nodes_out_now
    }

    /// When node `n`'s repair is due (`NEVER` when none is scheduled).
    pub(crate) fn repair_due_ns(&self, n: NodeId) -> Option<SimTime> {
        self.repair_due_ns.get(n as usize).copied()
    }

    /// What each injector did, in `faults[]` order.
    pub(crate) fn stats(&self) -> &[FaultStats] {
        &self.stats
    }
}

/// A fault entry that cannot be armed: the field (under `faults[i].`) and what is wrong.
type ArmError = (&'static str, String);

impl FaultInjectors {
    /// Ready for a cluster of `nodes` nodes: nothing out, no injector yet.
    fn reset(&mut self, nodes: usize, faults_until_ns: Option<SimTime>) {
        self.faults_until_ns = faults_until_ns;
        self.node_out = vec![false; nodes];
        self.nodes_out_now = 0;
        self.repair_due_ns = vec![NEVER; nodes];
    }

    /// Adds injector `inj` built from a `faults[]` entry of kind `kind_name`.
    fn add(&mut self, inj: Injector, name: &str, kind_name: &str) {
        self.injectors.push(inj);
        self.stats.push(FaultStats {
            name: name.to_string(),
            kind: kind_name.into(),
            ..Default::default()
        });
    }
}

/// The `kind` the summary reports for a fault entry.
fn kind_name(kind: &FaultKind) -> &'static str {
    match kind {
        FaultKind::NodeFailures { .. } => "nodeFailures",
        FaultKind::DomainFailures { .. } => "domainFailures",
        FaultKind::Maintenance { .. } => "maintenance",
        FaultKind::PodFailures { .. } => "podFailures",
        FaultKind::ScriptedNode { .. } | FaultKind::ScriptedDomain { .. } => "scripted",
    }
}

impl Sim {
    /// Builds every injector and schedules its first faults. Errors name the fault.
    pub(crate) fn schedule_faults(&mut self, streams: &RngStreams) -> Result<(), InputError> {
        let faults = self.scenario.faults.clone();
        (self.inject).reset(self.cluster.len(), self.scenario.faults_until_ns);
        for (i, f) in faults.iter().enumerate() {
            let mut inj = Injector {
                rng: streams.stream(&format!("faults/{}", f.name)),
                kind: f.kind.clone(),
                arrivals: vec![],
                domains: vec![],
                slots: vec![],
            };
            if let Err((field, message)) = self.arm(&mut inj, i as u16) {
                let path = format!("faults[{i}].{field}");
                return Err(InputError::new(&self.scenario.file, message).at_path(path));
            }
            self.inject.add(inj, &f.name, kind_name(&f.kind));
        }
        Ok(())
    }

    /// Prepares injector `fault`'s targets and schedules its first faults.
    fn arm(&mut self, inj: &mut Injector, fault: u16) -> Result<(), ArmError> {
        match inj.kind.clone() {
            FaultKind::NodeFailures {
                rate_per_node_day,
                weibull_shape,
                lemons,
                node_pools,
                ..
            } => {
                let nodes = self.nodes_of_pools(&node_pools);
                let mut mult = vec![1.0; self.cluster.len()];
                if let Some((fraction, m)) = lemons {
                    let k = ((nodes.len() as f64) * fraction).round() as usize;
                    for n in choose(&mut inj.rng, &nodes, k) {
                        mult[n as usize] = m;
                    }
                }
                let rate = (rate_per_node_day, weibull_shape);
                self.start_node_processes(inj, fault, &nodes, rate, &mult);
            }
            FaultKind::Maintenance {
                rate_per_node_day,
                node_pools,
                ..
            } => {
                let nodes = self.nodes_of_pools(&node_pools);
                let mult = vec![1.0; self.cluster.len()];
                self.start_node_processes(inj, fault, &nodes, (rate_per_node_day, None), &mult);
            }
            FaultKind::DomainFailures {
                topology_key,
                rate_per_domain_day,
                weibull_shape,
                node_pools,
                ..
            } => {
                inj.domains = self.domains_of_pools(&node_pools, &topology_key)?;
                let rate = (rate_per_domain_day, weibull_shape);
                self.start_domain_processes(inj, fault, rate);
            }
            FaultKind::PodFailures {
                rate_per_pod_day,
                at_ns,
                selector,
                ..
            } => {
                inj.slots = self.pod_slots(&selector);
                if inj.slots.is_empty() {
                    return Err(("kind", "no pod of the scenario's workloads matches this fault's jobset / replicatedJob / jobIndex / podIndex".into()));
                }
                self.start_pod_process(inj, fault, at_ns, rate_per_pod_day);
            }
            FaultKind::ScriptedNode { at_ns, node, .. } => {
                let Some(n) = self.cluster.node_by_name(&node) else {
                    return Err((
                        "node",
                        format!(
                            "no node named {node:?} in the cluster (nodes are named <pool>-<index>, e.g. {})",
                            self.cluster.node(0).name
                        ),
                    ));
                };
                (self.queue).schedule_at(at_ns, Event::FaultFires { fault, target: n });
            }
            FaultKind::ScriptedDomain {
                at_ns, key, value, ..
            } => {
                let nodes: Vec<NodeId> = (0..self.cluster.len() as NodeId)
                    .filter(|&n| self.cluster.label_value(n, &key) == Some(value.as_str()))
                    .collect();
                if nodes.is_empty() {
                    return Err(("domain", format!("no node has the label {key}={value}")));
                }
                inj.domains = vec![nodes];
                (self.queue).schedule_at(at_ns, Event::FaultFires { fault, target: 0 });
            }
        }
        Ok(())
    }

    /// The nodes of the named pools grouped by their value of `topology_key`, in value order.
    fn domains_of_pools(
        &self,
        pools: &[String],
        topology_key: &str,
    ) -> Result<Vec<Vec<NodeId>>, ArmError> {
        let mut by_value: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
        for n in self.nodes_of_pools(pools) {
            if let Some(v) = self.cluster.label_value(n, topology_key) {
                by_value.entry(v.to_string()).or_default().push(n);
            }
        }
        if by_value.is_empty() {
            return Err((
                "topologyKey",
                format!("no node has the label {topology_key:?}, so there is no domain to fail (declare it in cluster.nodePools[].labels or topology)"),
            ));
        }
        Ok(by_value.into_values().collect())
    }

    /// One arrival process per domain, at `(rate per domain-day, Weibull shape)`.
    fn start_domain_processes(
        &mut self,
        inj: &mut Injector,
        fault: u16,
        (rate_per_domain_day, weibull_shape): (f64, Option<f64>),
    ) {
        if rate_per_domain_day <= 0.0 {
            return;
        }
        for d in 0..inj.domains.len() {
            let a = Arrivals {
                mean_ns: NS_PER_DAY / rate_per_domain_day,
                weibull_shape,
            };
            let first = a.first_ns(&mut inj.rng);
            inj.arrivals.push(a);
            let target = d as u32;
            (self.queue).schedule_at(first, Event::FaultFires { fault, target });
        }
    }

    /// A pod injector's one firing at `at_ns`, or its arrival process over every slot.
    fn start_pod_process(
        &mut self,
        inj: &mut Injector,
        fault: u16,
        at_ns: Option<SimTime>,
        rate_per_pod_day: Option<f64>,
    ) {
        if let Some(t) = at_ns {
            (self.queue).schedule_at(t, Event::FaultFires { fault, target: 0 });
        } else if let Some(r) = rate_per_pod_day.filter(|&r| r > 0.0) {
            // One process over every slot at once; a draw on an empty slot is thinned
            // away, so each running pod fails at the given rate.
            let a = Arrivals {
                mean_ns: NS_PER_DAY / (r * inj.slots.len() as f64),
                weibull_shape: None,
            };
            let first = a.gap_ns(&mut inj.rng);
            inj.arrivals.push(a);
            (self.queue).schedule_at(first, Event::FaultFires { fault, target: 0 });
        }
    }

    /// Nodes of the named `cluster.nodePools` entries (all nodes when none is named). An
    /// entry with `count: N` built N pool instances, numbered in order across entries.
    fn nodes_of_pools(&self, pools: &[String]) -> Vec<NodeId> {
        let mut wanted = vec![pools.is_empty(); self.cluster.pool_names.len()];
        let mut first = 0usize;
        for spec in &self.scenario.node_pools {
            let n = spec.count as usize;
            if pools.contains(&spec.name) {
                for w in wanted.iter_mut().skip(first).take(n) {
                    *w = true;
                }
            }
            first += n;
        }
        (0..self.cluster.len() as NodeId)
            .filter(|&n| wanted[self.cluster.node(n).pool as usize])
            .collect()
    }

    fn start_node_processes(
        &mut self,
        inj: &mut Injector,
        fault: u16,
        nodes: &[NodeId],
        (rate_per_node_day, weibull_shape): (f64, Option<f64>),
        mult: &[f64],
    ) {
        inj.arrivals = (0..self.cluster.len())
            .map(|n| Arrivals {
                mean_ns: NS_PER_DAY / (rate_per_node_day * mult[n]),
                weibull_shape,
            })
            .collect();
        if rate_per_node_day <= 0.0 {
            return;
        }
        for &n in nodes {
            let first = inj.arrivals[n as usize].first_ns(&mut inj.rng);
            self.queue
                .schedule_at(first, Event::FaultFires { fault, target: n });
        }
    }

    /// Every pod position of the scenario's workloads that a pod selector matches.
    fn pod_slots(&self, sel: &crate::scenario::faults::PodSelector) -> Vec<Slot> {
        let mut out = vec![];
        for (w, wl) in self.scenario.workloads.iter().enumerate() {
            let js = &wl.jobset;
            if sel.jobset.as_deref().is_some_and(|n| n != js.metadata.name) {
                continue;
            }
            for (r, rj) in js.spec.replicated_jobs.iter().enumerate() {
                if sel.replicated_job.as_deref().is_some_and(|n| n != rj.name) {
                    continue;
                }
                let replicas = rj.replicas.unwrap_or(1).max(0) as u32;
                let pods = rj.template.spec.parallelism.unwrap_or(1).max(0) as u32;
                for job_index in 0..replicas {
                    if sel.job_index.is_some_and(|j| j != job_index) {
                        continue;
                    }
                    for pod_index in 0..pods {
                        if sel.pod_index.is_some_and(|p| p != pod_index) {
                            continue;
                        }
                        out.push(Slot {
                            workload: w as u32,
                            rj: r as u32,
                            job_index,
                            pod_index,
                        });
                    }
                }
            }
        }
        out
    }
}

fn effect_name(e: NodeEffect) -> &'static str {
    match e {
        NodeEffect::Down => "down",
        NodeEffect::Crash { .. } => "crash",
        NodeEffect::PodCrash { .. } => "podCrash",
        NodeEffect::Drain => "drain",
    }
}

fn pod_effect_name(e: crate::scenario::PodEffect) -> &'static str {
    match e {
        crate::scenario::PodEffect::Exit { .. } => "exitCode",
        crate::scenario::PodEffect::OomKilled => "oomKilled",
        crate::scenario::PodEffect::Evicted => "evicted",
    }
}

/// `k` distinct items, chosen uniformly (partial Fisher–Yates), in input order.
fn choose(rng: &mut StreamRng, items: &[NodeId], k: usize) -> Vec<NodeId> {
    let mut v = items.to_vec();
    let k = k.min(v.len());
    for i in 0..k {
        let j = i + crate::engine::rng::below(rng, (v.len() - i) as u64) as usize;
        v.swap(i, j);
    }
    let mut out = v[..k].to_vec();
    out.sort_unstable();
    out
}

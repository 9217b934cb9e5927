//! Scenario files: read, check and resolve into what the simulation needs.

pub mod faults;
pub mod memory;
pub mod never_fires;
pub mod types;

use crate::api::defaults::default_jobset;
use crate::api::fields::FieldValidation;
use crate::api::load::{load_jobsets_from_str, LoadedJobSet};
use crate::api::types::{JobSet, StringMap};
use crate::cluster::{NodePoolSpec, Taint, TaintEffect};
use crate::engine::time::parse_duration;
use crate::error::{InputError, SimError};
use crate::params::{ControlPlane, ScoringStrategy};
use crate::yaml::parse_document;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use types::*;

/// Feature gates of JobSet v0.12.0, with their defaults.
pub const KNOWN_FEATURE_GATES: &[(&str, bool)] = &[
    ("RestartJob", false),
    ("InPlaceRestart", false),
    ("ElasticJobSet", false),
    ("TLSOptions", true),
];

/// Size limits that keep a run within memory: pods alive at once across the scenario, and
/// completion indexes of one Job (the Job controller tracks each).
pub const MAX_PARALLEL_PODS: u64 = 5_000_000;
pub const MAX_COMPLETIONS_PER_JOB: u64 = 1_000_000;

/// The longest run: 100 years of simulated time, far from u64 nanosecond overflow.
pub const MAX_UNTIL_NS: u64 = 36_500 * 86_400 * 1_000_000_000;

/// Parses `--feature-gates RestartJob=true,InPlaceRestart=false` onto the v0.12.0 defaults.
pub fn parse_feature_gates(text: &str) -> Result<BTreeMap<String, bool>, String> {
    let mut gates: BTreeMap<String, bool> = KNOWN_FEATURE_GATES
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?}: expected GATE=true or GATE=false"))?;
        let value = match value.trim() {
            "true" => true,
            "false" => false,
            v => return Err(format!("{name}={v}: the value must be true or false")),
        };
        if !gates.contains_key(name.trim()) {
            let known: Vec<_> = KNOWN_FEATURE_GATES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown feature gate {name:?}; known gates: {}",
                known.join(", ")
            ));
        }
        gates.insert(name.trim().to_string(), value);
    }
    Ok(gates)
}

/// Default container run time when the scenario does not say.
pub const DEFAULT_RUN_FOR: &str = "10m";

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub file: String,
    pub seed: u64,
    pub until_ns: u64,
    pub stop_when_all_terminal: bool,
    /// `run.faultsUntil`: no fault fires after this time.
    pub faults_until_ns: Option<u64>,
    pub node_pools: Vec<NodePoolSpec>,
    /// Declared namespaces and their labels (`kubernetes.io/metadata.name` included).
    pub namespaces: BTreeMap<String, StringMap>,
    pub control: ControlPlane,
    pub feature_gates: BTreeMap<String, bool>,
    pub workloads: Vec<Workload>,
    pub faults: Vec<Fault>,
    /// `expect:` gates, checked by `run` after the simulation.
    pub expect: Vec<crate::gates::Expectation>,
    /// Largest memory estimate (`memory::MemoryEstimate`) a run may start with: `run.memoryLimit`,
    /// or `--memory-limit`, or 16 GiB.
    pub memory_limit_bytes: u64,
    /// SHA-1 (hex) of what the results depend on: the scenario document re-rendered (so
    /// comments and layout do not count) without `run.seed` (summaries report the seed on
    /// its own), and the bytes of every manifest file it reads.
    pub hash: String,
    /// What the user should hear before the run, located like errors: manifest fields that are
    /// not modelled (notices), undefined fields under `--validate=warn`.
    pub notes: Vec<Note>,
}

/// A message printed on stderr before a run, one line each.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub level: NoteLevel,
    pub at: InputError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteLevel {
    /// Something the simulator leaves out, as documented: `notice:`.
    Notice,
    /// Input that is probably wrong: `warning:`.
    Warning,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            NoteLevel::Notice => "notice",
            NoteLevel::Warning => "warning",
        };
        write!(f, "{level}: {}", self.at)
    }
}

pub use faults::{Fault, FaultKind, NodeEffect, PodEffect};

/// One JobSet to submit, with how its pods behave.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Defaulted as the admission webhook would.
    pub jobset: JobSet,
    /// Where it came from, for messages: `file` or `file (document N)`.
    pub source: String,
    pub source_file: String,
    pub at_ns: u64,
    pub run_for_ns: u64,
    pub run_for_by_rj: BTreeMap<String, u64>,
    pub exits: Vec<ExitRule>,
    /// Scripted updates: (time, new `spec.suspend`).
    pub updates: Vec<(u64, bool)>,
    pub training: Option<crate::training::Training>,
    pub unknown_fields: Vec<String>,
    /// The index of its `workloads[]` entry (a manifest may hold several JobSets).
    pub entry: usize,
}

/// A resolved `pods.exits` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitRule {
    pub replicated_job: Option<String>,
    pub job_index: Option<u32>,
    pub pod_index: Option<u32>,
    pub attempt: Option<i32>,
    pub job_attempt: Option<i32>,
    pub retry: Option<u32>,
    pub after_ns: u64,
    pub exit_code: i32,
    pub container: Option<String>,
}

/// What identifies one container run, for matching exit rules.
#[derive(Debug, Clone, Copy)]
pub struct ContainerRun<'a> {
    pub replicated_job: &'a str,
    pub job_index: u32,
    pub pod_index: u32,
    pub attempt: i32,
    pub job_attempt: i32,
    pub retry: u32,
}

impl ExitRule {
    pub fn matches(&self, run: &ContainerRun<'_>) -> bool {
        self.replicated_job
            .as_deref()
            .is_none_or(|r| r == run.replicated_job)
            && self.job_index.is_none_or(|j| j == run.job_index)
            && self.pod_index.is_none_or(|p| p == run.pod_index)
            && self.attempt.is_none_or(|a| a == run.attempt)
            && self.job_attempt.is_none_or(|a| a == run.job_attempt)
            && self.retry.is_none_or(|r| r == run.retry)
    }
}
impl Workload {
    pub fn run_for(&self, rj: &str) -> u64 {
        self.run_for_by_rj
            .get(rj)
            .copied()
            .unwrap_or(self.run_for_ns)
    }

    /// How a container run ends: `(after_ns, exit_code, container)`; by default exit 0 after
    /// `runFor`. An exit rule whose `after` is not earlier than `runFor` never fires.
    pub fn container_end(&self, run: &ContainerRun<'_>) -> (u64, i32, Option<&str>) {
        let run_for = self.run_for(run.replicated_job);
        match self.exits.iter().find(|e| e.matches(run)) {
            Some(e) if e.after_ns < run_for => (e.after_ns, e.exit_code, e.container.as_deref()),
            _ => (run_for, 0, None),
        }
    }
}

impl Scenario {
    pub fn gate(&self, name: &str) -> bool {
        self.feature_gates.get(name).copied().unwrap_or(false)
    }

    /// Lines to show the user before running (`notice: ...`, `warning: ...`).
    pub fn warnings(&self) -> Vec<String> {
        self.notes.iter().map(Note::to_string).collect()
    }
}

/// Reads a scenario file (`-`: standard input) and everything it refers to.
pub fn load_scenario(path: &Path) -> Result<Scenario, SimError> {
    let (file, text, base_dir) = crate::input::read(path, "scenario")?;
    load_scenario_from_str(&file, &text, &base_dir)
}

pub fn load_scenario_from_str(
    file: &str,
    text: &str,
    base_dir: &Path,
) -> Result<Scenario, SimError> {
    let docs = crate::yaml::documents(file, text)?;
    let non_empty = docs.iter().filter(|d| !d.is_null()).count();
    if non_empty == 0 {
        return Err(InputError::new(file, "the scenario file is empty").into());
    }
    if non_empty > 1 || docs.len() > 1 && !docs[0].is_mapping() {
        return Err(
            InputError::new(file, "a scenario file holds exactly one YAML document").into(),
        );
    }
    if !docs[0].is_mapping() {
        return Err(InputError::new(
            file,
            "expected a scenario (a YAML mapping with name, cluster, workloads)",
        )
        .into());
    }
    let raw = parse_document::<ScenarioFile>(file, text, 0, false)?.value;
    // Parsed here, where the text is at hand, so a bad expression's error names its line.
    let expect = crate::gates::parse_list(file, text, &raw.expect);
    // Errors found after parsing know their path; give them the line too.
    let resolved = resolve(file, raw, base_dir)
        .map_err(|e| crate::yaml::locate::fill_scenario(e, file, text, base_dir));
    match (resolved, expect) {
        (Ok(mut scenario), Ok(expect)) => {
            scenario.expect = expect;
            scenario.hash = content_hash(&docs[0], base_dir);
            locate_notes(&mut scenario.notes, file, text, base_dir);
            Ok(scenario)
        }
        (Err(SimError::Input(mut errors)), Err(more)) => {
            errors.extend(more);
            Err(SimError::Input(errors))
        }
        (Err(e), _) => Err(e),
        (Ok(_), Err(errors)) => Err(SimError::Input(errors)),
    }
}

/// `Scenario::hash` of a scenario document whose manifests are relative to `base_dir`.
fn content_hash(doc: &serde_yaml_ng::Value, base_dir: &Path) -> String {
    use sha1::{Digest, Sha1};
    let mut doc = doc.clone();
    if let Some(run) = doc.get_mut("run").and_then(|r| r.as_mapping_mut()) {
        run.remove("seed");
    }
    let mut hasher = Sha1::new();
    hasher.update(serde_yaml_ng::to_string(&doc).unwrap_or_default());
    let workloads = doc.get("workloads").and_then(|w| w.as_sequence());
    for w in workloads.into_iter().flatten() {
        if let Some(m) = w.get("manifest").and_then(|m| m.as_str()) {
            let bytes = std::fs::read(base_dir.join(m)).unwrap_or_default();
            hasher.update(format!("\nmanifest {m} {}\n", bytes.len()));
            hasher.update(&bytes);
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Gives notes the file, line and column errors get (see `fill_scenario`).
fn locate_notes(notes: &mut [Note], file: &str, text: &str, base_dir: &Path) {
    let at = notes.iter().map(|n| n.at.clone()).collect();
    let located = crate::yaml::locate::fill_scenario(SimError::Input(at), file, text, base_dir);
    if let SimError::Input(located) = located {
        for (note, at) in notes.iter_mut().zip(located) {
            note.at = at;
        }
    }
}

fn dur(file: &str, path: &str, text: &str) -> Result<u64, InputError> {
    parse_duration(text).map_err(|m| InputError::new(file, m).at_path(path))
}

fn opt_dur(
    file: &str,
    path: &str,
    text: &Option<String>,
    target: &mut u64,
) -> Result<(), InputError> {
    if let Some(t) = text {
        *target = dur(file, path, t)?;
    }
    Ok(())
}

fn resolve(file: &str, raw: ScenarioFile, base_dir: &Path) -> Result<Scenario, SimError> {
    let mut errors: Vec<InputError> = vec![];
    let err = |path: &str, msg: String| InputError::new(file, msg).at_path(path);

    if raw.name.trim().is_empty() {
        errors.push(err("name", "must not be empty".into()));
    }
    let until_ns = match dur(file, "run.until", &raw.run.until) {
        Ok(0) => {
            errors.push(err("run.until", "must be longer than 0s".into()));
            0
        }
        Ok(v) if v > MAX_UNTIL_NS => {
            errors.push(err(
                "run.until",
                "must be at most 36500d (100 years)".into(),
            ));
            0
        }
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            0
        }
    };

    let memory_limit_bytes = match &raw.run.memory_limit {
        None => memory::DEFAULT_MEMORY_LIMIT_BYTES,
        Some(text) => memory::parse_limit(text).unwrap_or_else(|m| {
            errors.push(err("run.memoryLimit", m));
            memory::DEFAULT_MEMORY_LIMIT_BYTES
        }),
    };
    let mut faults_until_ns = None;
    if let Some(t) = &raw.run.faults_until {
        match dur(file, "run.faultsUntil", t) {
            Ok(v) => faults_until_ns = Some(v),
            Err(e) => errors.push(e),
        }
    }

    // Cluster.
    let mut node_pools = vec![];
    let mut pool_names = BTreeSet::new();
    if raw.cluster.node_pools.is_empty() {
        errors.push(err(
            "cluster.nodePools",
            "at least one node pool is needed".into(),
        ));
    }
    for (i, p) in raw.cluster.node_pools.iter().enumerate() {
        let at = |f: &str| format!("cluster.nodePools[{i}].{f}");
        if !is_dns_label(&p.name) {
            errors.push(err(
                &at("name"),
                format!(
                    "{:?} is not a valid node pool name (lowercase letters, digits and '-')",
                    p.name
                ),
            ));
        }
        if !pool_names.insert(p.name.clone()) {
            errors.push(err(
                &at("name"),
                format!("node pool {:?} is defined twice", p.name),
            ));
        }
        if p.count == 0 {
            errors.push(err(&at("count"), "must be at least 1".into()));
        }
        if p.nodes_per_pool == 0 {
            errors.push(err(&at("nodesPerPool"), "must be at least 1".into()));
        }
        for (name, q) in &p.capacity {
            if q.milli < 0 {
                errors.push(err(
                    &at(&format!("capacity.{name}")),
                    "must not be negative".into(),
                ));
            }
        }
        let mut taints = vec![];
        for (t, taint) in p.taints.iter().enumerate() {
            match TaintEffect::parse(&taint.effect) {
                Some(effect) => taints.push(Taint {
                    key: taint.key.clone(),
                    value: taint.value.clone(),
                    effect,
                }),
                None => errors.push(err(
                    &at(&format!("taints[{t}].effect")),
                    format!(
                        "{:?} is not a taint effect: use NoSchedule, PreferNoSchedule or NoExecute",
                        taint.effect
                    ),
                )),
            }
        }
        let mut topology = vec![];
        for (t, level) in p.topology.iter().enumerate() {
            if level.nodes_per_domain == 0 {
                errors.push(err(
                    &at(&format!("topology[{t}].nodesPerDomain")),
                    "must be at least 1".into(),
                ));
            }
            topology.push((level.key.clone(), level.nodes_per_domain.max(1)));
        }
        node_pools.push(NodePoolSpec {
            name: p.name.clone(),
            count: p.count,
            nodes_per_pool: p.nodes_per_pool,
            labels: p.labels.clone(),
            taints,
            capacity: p.capacity.clone(),
            topology,
        });
    }
    let total_nodes: u64 = node_pools
        .iter()
        .map(|p| p.count as u64 * p.nodes_per_pool as u64)
        .sum();
    if total_nodes > 1_000_000 {
        errors.push(err(
            "cluster.nodePools",
            format!("{total_nodes} nodes is more than the 1,000,000 jobset-sim supports"),
        ));
    }

    let namespaces = resolve_namespaces(&raw.cluster.namespaces, &err, &mut errors);

    // Control plane.
    let mut control = ControlPlane::default();
    let cp = &raw.control_plane;
    let s = &cp.scheduler;
    let k = &cp.kubelet;
    for (path, value, target) in [
        (
            "controlPlane.watchDelay",
            &cp.watch_delay,
            &mut control.watch_delay_ns,
        ),
        (
            "controlPlane.apiCallLatency",
            &cp.api_call_latency,
            &mut control.api_call_latency_ns,
        ),
        (
            "controlPlane.jobSyncBatchPeriod",
            &cp.job_sync_batch_period,
            &mut control.job_sync_batch_period_ns,
        ),
        (
            "controlPlane.jobsetReconcileCost",
            &cp.jobset_reconcile_cost,
            &mut control.jobset_reconcile_cost_ns,
        ),
        (
            "controlPlane.jobSyncCost",
            &cp.job_sync_cost,
            &mut control.job_sync_cost_ns,
        ),
        (
            "controlPlane.scheduler.affinityPerPodCost",
            &s.affinity_per_pod_cost,
            &mut control.scheduler.affinity_per_pod_cost_ns,
        ),
        (
            "controlPlane.webhookLatency",
            &cp.webhook_latency,
            &mut control.webhook_latency_ns,
        ),
        (
            "controlPlane.scheduler.cycleBaseCost",
            &s.cycle_base_cost,
            &mut control.scheduler.cycle_base_cost_ns,
        ),
        (
            "controlPlane.scheduler.perNodeFilterCost",
            &s.per_node_filter_cost,
            &mut control.scheduler.per_node_filter_cost_ns,
        ),
        (
            "controlPlane.scheduler.perNodeScoreCost",
            &s.per_node_score_cost,
            &mut control.scheduler.per_node_score_cost_ns,
        ),
        (
            "controlPlane.scheduler.bindLatency",
            &s.bind_latency,
            &mut control.scheduler.bind_latency_ns,
        ),
        (
            "controlPlane.kubelet.podStartLatency",
            &k.pod_start_latency,
            &mut control.kubelet.pod_start_latency_ns,
        ),
        (
            "controlPlane.kubelet.podStopLatency",
            &k.pod_stop_latency,
            &mut control.kubelet.pod_stop_latency_ns,
        ),
    ] {
        if let Err(e) = opt_dur(file, path, value, target) {
            errors.push(e);
        }
    }
    let mut rate = |path: &str,
                    qps: Option<f64>,
                    burst: Option<u32>,
                    target: &mut crate::params::ClientRate| {
        if let Some(q) = qps {
            if !q.is_finite() || q < 0.0 {
                errors.push(err(
                    &format!("{path}.qps"),
                    "must be a number of requests per second, 0 for unlimited".into(),
                ));
            } else {
                target.qps = q;
            }
        }
        if let Some(b) = burst {
            if b == 0 {
                errors.push(err(&format!("{path}.burst"), "must be at least 1".into()));
            } else {
                target.burst = b;
            }
        }
    };
    rate(
        "controlPlane.scheduler",
        s.qps,
        s.burst,
        &mut control.scheduler.client,
    );
    if let Some(c) = &cp.job_controller {
        rate(
            "controlPlane.jobController",
            c.qps,
            c.burst,
            &mut control.job_controller_client,
        );
    }
    if let Some(c) = &cp.garbage_collector {
        rate(
            "controlPlane.garbageCollector",
            c.qps,
            c.burst,
            &mut control.gc_client,
        );
    }
    if let Some(c) = &cp.jobset_controller {
        rate(
            "controlPlane.jobsetController",
            c.qps,
            c.burst,
            &mut control.jobset_client,
        );
        match c.version.as_deref() {
            None | Some("v0.12.0") => {}
            Some("main") => {
                control.jobset_version = crate::control::pod_webhook::PlacementVersion::Main
            }
            Some(v) => errors.push(err(
                "controlPlane.jobsetController.version",
                format!("{v:?}: use v0.12.0 or main"),
            )),
        }
        match c.exclusive_placement.as_deref() {
            None | Some("leaderFollower") => {}
            Some("allPods") => {
                control.exclusive_placement = crate::params::ExclusivePlacement::AllPods
            }
            Some(v) => errors.push(err(
                "controlPlane.jobsetController.exclusivePlacement",
                format!("{v:?}: use leaderFollower or allPods"),
            )),
        }
        if let Some(m) = c.max_in_flight {
            if m == 0 {
                errors.push(err(
                    "controlPlane.jobsetController.maxInFlight",
                    "must be at least 1".into(),
                ));
            } else {
                control.jobset_max_in_flight = m;
            }
        }
    }
    let nl = &cp.node_lifecycle;
    for (path, value, target) in [
        (
            "controlPlane.nodeLifecycle.monitorPeriod",
            &nl.monitor_period,
            &mut control.node_lifecycle.monitor_period_ns,
        ),
        (
            "controlPlane.nodeLifecycle.monitorGracePeriod",
            &nl.monitor_grace_period,
            &mut control.node_lifecycle.monitor_grace_ns,
        ),
        (
            "controlPlane.nodeLifecycle.leaseRenewInterval",
            &nl.lease_renew_interval,
            &mut control.node_lifecycle.lease_renew_ns,
        ),
        (
            "controlPlane.nodeLifecycle.orphanPodGcDelay",
            &nl.orphan_pod_gc_delay,
            &mut control.node_lifecycle.orphan_pod_gc_ns,
        ),
    ] {
        if let Err(e) = opt_dur(file, path, value, target) {
            errors.push(e);
        }
    }
    if control.node_lifecycle.monitor_period_ns == 0 || control.node_lifecycle.lease_renew_ns == 0 {
        errors.push(err(
            "controlPlane.nodeLifecycle",
            "monitorPeriod and leaseRenewInterval must be longer than 0s".into(),
        ));
    }
    if let Some(r) = nl.eviction_rate_per_s {
        if !r.is_finite() || r <= 0.0 {
            errors.push(err(
                "controlPlane.nodeLifecycle.evictionRatePerS",
                "must be a positive number".into(),
            ));
        } else {
            control.node_lifecycle.eviction_rate_per_s = r;
        }
    }
    if let Some(t) = nl.toleration_seconds {
        control.node_lifecycle.toleration_ns =
            crate::engine::time::secs_field_ns(t.min(i64::MAX as u64) as i64);
    }
    if let Some(p) = s.percentage_of_nodes_to_score {
        if p > 100 {
            errors.push(err(
                "controlPlane.scheduler.percentageOfNodesToScore",
                "must be between 0 and 100".into(),
            ));
        }
        control.scheduler.percentage_of_nodes_to_score = p;
    }
    if let Some(strategy) = &s.scoring_strategy {
        control.scheduler.scoring = match strategy.as_str() {
            "LeastAllocated" => ScoringStrategy::LeastAllocated,
            "MostAllocated" => ScoringStrategy::MostAllocated,
            other => {
                errors.push(err(
                    "controlPlane.scheduler.scoringStrategy",
                    format!(
                        "{other:?} is not a scoring strategy: use LeastAllocated or MostAllocated"
                    ),
                ));
                ScoringStrategy::LeastAllocated
            }
        };
    }

    // Feature gates.
    let mut feature_gates: BTreeMap<String, bool> = KNOWN_FEATURE_GATES
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    for (name, value) in &raw.feature_gates {
        if !feature_gates.contains_key(name) {
            let known: Vec<_> = KNOWN_FEATURE_GATES.iter().map(|(n, _)| *n).collect();
            errors.push(err(
                &format!("featureGates.{name}"),
                format!("unknown feature gate; known gates: {}", known.join(", ")),
            ));
        }
        feature_gates.insert(name.clone(), *value);
    }

    let pool_list: Vec<String> = pool_names.iter().cloned().collect();
    let faults = faults::resolve(file, &raw.faults, &pool_list, &mut errors);

    // Workloads.
    let mut workloads = vec![];
    if raw.workloads.is_empty() {
        errors.push(err("workloads", "at least one workload is needed".into()));
    }
    let mut names = BTreeMap::<String, String>::new();
    let mut notes = vec![];
    for (i, w) in raw.workloads.iter().enumerate() {
        let at = |f: &str| format!("workloads[{i}].{f}");
        let at_ns = match &w.at {
            Some(t) => match dur(file, &at("at"), t) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    0
                }
            },
            None => 0,
        };
        let mut run_for_ns = parse_duration(DEFAULT_RUN_FOR).expect("valid default");
        if let Err(e) = opt_dur(file, &at("pods.runFor"), &w.pods.run_for, &mut run_for_ns) {
            errors.push(e);
        }
        let mut run_for_by_rj = BTreeMap::new();
        for (rj, o) in &w.pods.replicated_jobs {
            let mut v = run_for_ns;
            if let Err(e) = opt_dur(
                file,
                &at(&format!("pods.replicatedJobs.{rj}.runFor")),
                &o.run_for,
                &mut v,
            ) {
                errors.push(e);
            }
            run_for_by_rj.insert(rj.clone(), v);
        }
        let loaded: Vec<LoadedJobSet> = match (&w.manifest, &w.jobset) {
            (Some(_), Some(_)) => {
                errors.push(err(
                    &format!("workloads[{i}]"),
                    "give either `manifest` or `jobset`, not both".into(),
                ));
                continue;
            }
            (None, None) => {
                errors.push(err(
                    &format!("workloads[{i}]"),
                    "needs `manifest: <path>` or an inline `jobset:`".into(),
                ));
                continue;
            }
            (Some(rel), None) => {
                let path: PathBuf = base_dir.join(rel);
                let shown = path.display().to_string();
                match std::fs::read_to_string(&path) {
                    Ok(text) => match load_jobsets_from_str(&shown, &text) {
                        Ok(v) if v.is_empty() => {
                            errors.push(
                                InputError::new(&shown, "the manifest holds no JobSet").at_path(""),
                            );
                            continue;
                        }
                        Ok(v) => v,
                        Err(e) => {
                            errors.push(e);
                            continue;
                        }
                    },
                    Err(e) => {
                        errors.push(err(
                            &at("manifest"),
                            format!("cannot read manifest {shown}: {e}"),
                        ));
                        continue;
                    }
                }
            }
            (None, Some(value)) => {
                let text = serde_yaml_ng::to_string(value).unwrap_or_default();
                let shown = format!("{file} (workloads[{i}].jobset)");
                match load_jobsets_from_str(&shown, &text) {
                    Ok(mut v) => {
                        // Line numbers would point into our re-rendering, not the user's file.
                        for j in &mut v {
                            j.doc_index = 0;
                            for e in &mut j.undefined_fields {
                                (e.line, e.column) = (None, None);
                            }
                        }
                        v
                    }
                    Err(mut e) => {
                        e.line = None;
                        e.column = None;
                        errors.push(e);
                        continue;
                    }
                }
            }
        };
        let mut exits = vec![];
        for (x, e) in w.pods.exits.iter().enumerate() {
            let path = at(&format!("pods.exits[{x}].after"));
            match dur(file, &path, &e.after) {
                Ok(after_ns) => exits.push(ExitRule {
                    replicated_job: e.replicated_job.clone(),
                    job_index: e.job_index,
                    pod_index: e.pod_index,
                    attempt: e.attempt,
                    job_attempt: e.job_attempt,
                    retry: e.retry,
                    after_ns,
                    exit_code: e.exit_code,
                    container: e.container.clone(),
                }),
                Err(err) => errors.push(err),
            }
        }
        let mut updates = vec![];
        for (x, u) in w.updates.iter().enumerate() {
            match dur(file, &at(&format!("updates[{x}].at")), &u.at) {
                Ok(t) => updates.push((t, u.suspend)),
                Err(e) => errors.push(e),
            }
        }
        let training = match &w.training {
            None => None,
            Some(t) => {
                if w.pods.run_for.is_some()
                    || w.pods.replicated_jobs.values().any(|r| r.run_for.is_some())
                {
                    errors.push(err(
                        &at("pods.runFor"),
                        "with `training`, pods run until the work is done: leave runFor out".into(),
                    ));
                }
                crate::training::resolve(file, &at("training"), t, &mut errors)
            }
        };
        if training.is_some() {
            // Until the training model says the work is done.
            run_for_ns = crate::training::RUN_UNTIL_DONE_NS;
        }
        let rj_names: BTreeSet<String> = loaded
            .iter()
            .flat_map(|l| l.jobset.spec.replicated_jobs.iter().map(|r| r.name.clone()))
            .collect();
        // Names the scenario uses for replicated jobs must exist in the workload.
        let named = w
            .pods
            .exits
            .iter()
            .enumerate()
            .filter_map(|(x, e)| {
                e.replicated_job
                    .as_ref()
                    .map(|rj| (format!("pods.exits[{x}].replicatedJob"), rj))
            })
            .chain(
                w.pods
                    .replicated_jobs
                    .keys()
                    .map(|rj| (format!("pods.replicatedJobs.{rj}"), rj)),
            );
        for (path, rj) in named {
            if !rj_names.contains(rj) {
                let known = rj_names.iter().cloned().collect::<Vec<_>>().join(", ");
                errors.push(err(
                    &at(&path),
                    format!("no replicated job named {rj:?} in this workload (it has: {known})"),
                ));
            }
        }
        let several = loaded.len() > 1;
        for mut l in loaded {
            note_fields(&mut l, &mut notes, &mut errors);
            let mut jobset = l.jobset;
            if jobset.metadata.name.is_empty() {
                if let Some(g) = &jobset.metadata.generate_name {
                    // Deterministic stand-in for the API server's random suffix; the prefix
                    // is cut to 58 bytes first, as `names.SimpleNameGenerator` does.
                    let mut cut = g.len().min(58);
                    while !g.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    jobset.metadata.name = format!("{}{:05}", &g[..cut], workloads.len());
                }
            }
            let source = if several {
                format!("{} (document {})", l.file, l.doc_index + 1)
            } else {
                l.file.clone()
            };
            if let Some(prev) = names.insert(jobset.metadata.name.clone(), source.clone()) {
                errors.push(
                    InputError::new(
                        &source,
                        format!(
                            "JobSet {:?} is already defined by {prev}; names must be unique",
                            jobset.metadata.name
                        ),
                    )
                    .at_path("metadata.name"),
                );
            }
            default_jobset(&mut jobset);
            for e in crate::api::validation::validate_create(&jobset, &feature_gates, &[]) {
                // The path goes in its own field, so that the error can be located; upstream's
                // `<nil>` (no field) stays in the message, as the API server prints it.
                let (path, e) = match e.path.as_str() {
                    "<nil>" => (String::new(), e.to_string()),
                    _ => (e.path, e.message),
                };
                let msg = format!("JobSet {:?} is invalid: {e}", jobset.metadata.name);
                errors.push(InputError::new(&source, msg).at_path(path));
            }
            for e in crate::api::validation::child_job_errors(&jobset) {
                let msg = format!(
                    "JobSet {:?}: the API server would reject its Jobs: {}",
                    jobset.metadata.name, e.message
                );
                errors.push(InputError::new(&source, msg).at_path(e.path));
            }
            workloads.push(Workload {
                jobset,
                source,
                source_file: l.file,
                at_ns,
                run_for_ns,
                run_for_by_rj: run_for_by_rj.clone(),
                exits: exits.clone(),
                updates: updates.clone(),
                training,
                unknown_fields: l.unknown_fields,
                entry: i,
            });
        }
    }

    check_sizes(&workloads, &mut errors);
    if !errors.is_empty() {
        return Err(SimError::Input(errors));
    }
    let mut scenario = Scenario {
        name: raw.name,
        file: file.to_string(),
        seed: raw.run.seed,
        until_ns,
        stop_when_all_terminal: raw.run.stop_when_all_terminal,
        faults_until_ns,
        node_pools,
        namespaces,
        control,
        feature_gates,
        workloads,
        faults,
        expect: vec![],
        memory_limit_bytes,
        hash: String::new(),
        notes,
    };
    let never = never_fires::notes(&scenario);
    scenario.notes.extend(never);
    Ok(scenario)
}

/// Fields of a loaded JobSet that the user should hear about: undefined ones are errors (or
/// warnings under `--validate=warn`), defined but unmodelled ones are notices.
fn note_fields(l: &mut LoadedJobSet, notes: &mut Vec<Note>, errors: &mut Vec<InputError>) {
    let source = if l.doc_index > 0 {
        format!("{} (document {})", l.file, l.doc_index + 1)
    } else {
        l.file.clone()
    };
    let undefined = std::mem::take(&mut l.undefined_fields);
    match crate::api::fields::field_validation() {
        FieldValidation::Strict => errors.extend(undefined),
        FieldValidation::Warn => notes.extend(undefined.into_iter().map(|mut at| {
            at.message.push_str(" (ignored: --validate=warn)");
            Note {
                level: NoteLevel::Warning,
                at,
            }
        })),
    }
    for f in &l.unknown_fields {
        notes.push(Note {
            level: NoteLevel::Notice,
            at: InputError::new(
                &source,
                "Kubernetes field not modelled by jobset-sim; ignored",
            )
            .at_path(f),
        });
    }
}

/// `cluster.namespaces`: valid names and label values; the API server's own name label, when
/// written, must agree with the name.
fn resolve_namespaces(
    raw: &BTreeMap<String, crate::scenario::types::NamespaceSection>,
    err: &dyn Fn(&str, String) -> InputError,
    errors: &mut Vec<InputError>,
) -> BTreeMap<String, StringMap> {
    use crate::scheduler::affinity::NAMESPACE_NAME_LABEL;
    let mut out = BTreeMap::new();
    for (name, ns) in raw {
        let at = format!("cluster.namespaces.{name}");
        if !is_dns_label(name) {
            errors.push(err(
                &at,
                format!(
                    "{name:?} is not a valid namespace name (at most 63 lowercase letters, digits and '-')"
                ),
            ));
        }
        for (k, v) in &ns.labels {
            let path = format!("{at}.labels.{k}");
            if k.is_empty() {
                errors.push(err(&path, "a label key must not be empty".into()));
            }
            if let Some(problem) = crate::api::validation::is_label_value(v).into_iter().next() {
                errors.push(err(&path, format!("{v:?}: {problem}")));
            }
            if k == NAMESPACE_NAME_LABEL && v != name {
                errors.push(err(
                    &path,
                    format!("must equal the namespace's name {name:?} (the API server sets it)"),
                ));
            }
        }
        let mut labels = ns.labels.clone();
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
        out.insert(name.clone(), labels);
    }
    out
}

/// Refuses workloads too large to simulate, with the field that makes them so.
pub fn check_sizes(workloads: &[Workload], errors: &mut Vec<InputError>) {
    let mut total: u64 = 0;
    for w in workloads {
        for (i, rj) in w.jobset.spec.replicated_jobs.iter().enumerate() {
            let job = &rj.template.spec;
            let completions = job.completions.unwrap_or(1).max(0) as u64;
            if completions > MAX_COMPLETIONS_PER_JOB {
                errors.push(
                    InputError::new(&w.source, format!("{completions} completions is more than the {MAX_COMPLETIONS_PER_JOB} per Job jobset-sim supports"))
                        .at_path(format!("spec.replicatedJobs[{i}].template.spec.completions")),
                );
            }
            let replicas = rj.replicas.unwrap_or(1).max(0) as u64;
            let parallelism = job.parallelism.unwrap_or(1).max(0) as u64;
            total =
                total.saturating_add(replicas.saturating_mul(parallelism.min(completions.max(1))));
        }
    }
    if total > MAX_PARALLEL_PODS {
        errors.push(InputError::new(
            workloads.first().map(|w| w.source.as_str()).unwrap_or(""),
            format!("the workloads run up to {total} pods at once, more than the {MAX_PARALLEL_PODS} jobset-sim supports"),
        ));
    }
}

/// RFC 1123 label: what Kubernetes accepts as a node pool or node name component.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

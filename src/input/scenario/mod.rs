//! Scenario files: read, check and resolve into what the simulation needs.

mod cluster;
mod control_plane;
pub(crate) mod duration;
pub(crate) mod faults;
pub(crate) mod memory;
pub(crate) mod never_fires;
pub(crate) mod profile;
pub(crate) mod types;
mod workloads;

use crate::api::types::{JobSet, StringMap};
use crate::api::validation::resource_quantity_errors;
use crate::error::{InputError, SimError};
use crate::params::ControlPlane;
use crate::yaml::parse_document;
#[cfg(test)]
pub(crate) use cluster::LabelTemplate;
pub(crate) use cluster::NodePoolSpec;
use std::collections::BTreeMap;
use std::path::Path;
use types::*;
pub(crate) use workloads::Training;

/// Feature gates of JobSet v0.12.0, with their defaults.
pub(crate) const KNOWN_FEATURE_GATES: &[(&str, bool)] = &[
    ("RestartJob", false),
    ("InPlaceRestart", false),
    ("ElasticJobSet", false),
    ("TLSOptions", true),
];

/// Size limits that keep a run within memory: pods alive at once across the scenario, and
/// completion indexes of one Job (the Job controller tracks each).
pub(crate) const MAX_PARALLEL_PODS: u64 = 5_000_000;
pub(crate) const MAX_COMPLETIONS_PER_JOB: u64 = 1_000_000;

/// The longest run: 100 years of simulated time, far from u64 nanosecond overflow.
pub(crate) const MAX_UNTIL_NS: u64 = 36_500 * 86_400 * 1_000_000_000;
/// Container run time under the training model: longer than any run, so only the model ends it.
pub(crate) const RUN_UNTIL_DONE_NS: u64 = MAX_UNTIL_NS * 2;

/// Parses `--feature-gates RestartJob=true,InPlaceRestart=false` onto the v0.12.0 defaults.
pub(crate) fn parse_feature_gates(text: &str) -> Result<BTreeMap<String, bool>, String> {
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

#[derive(Debug, Clone)]
pub(crate) struct Scenario {
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
    /// The profile `control` starts from, and whether the scenario overrides it.
    pub control_plane_source: ControlPlaneSource,
    pub feature_gates: BTreeMap<String, bool>,
    pub workloads: Vec<Workload>,
    pub faults: Vec<Fault>,
    /// `expect:` gates, checked by `run` after the simulation.
    pub expect: Vec<crate::gates::Expectation>,
    /// Largest memory estimate (`memory::MemoryEstimate`) a run may start with: `run.memoryLimit`,
    /// or `--memory-limit`, or 16 GiB.
    pub memory_limit_bytes: u64,
    /// That limit as the user wrote it (`16Gi` when defaulted), for the refusal to quote.
    pub memory_limit_written: String,
    /// SHA-1 (hex) of what the results depend on: the scenario document re-rendered (so
    /// comments and layout do not count) without `run.seed` (summaries report the seed on
    /// its own), and the bytes of every manifest file and profile file it reads.
    pub hash: String,
    /// What the user should hear before the run, located like errors: manifest fields that are
    /// not modelled (notices), undefined fields under `--validate=warn`.
    pub notes: Vec<Note>,
    /// The `kueue:` section, checked and resolved; None without one.
    pub kueue: Option<crate::kueue_api::KueueSetup>,
}

/// A message printed on stderr before a run, one line each.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    pub level: NoteLevel,
    pub at: InputError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoteLevel {
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

pub(crate) use faults::{Fault, FaultKind, PodEffect};

/// One JobSet to submit, with how its pods behave.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    /// Defaulted as the admission webhook would.
    pub jobset: JobSet,
    /// Where it came from, for messages: `file` or `file (document N)`.
    pub source: String,
    pub at_ns: u64,
    pub run_for_ns: u64,
    pub run_for_by_rj: BTreeMap<String, u64>,
    pub exits: Vec<ExitRule>,
    /// Scripted updates: (time, new `spec.suspend`).
    pub updates: Vec<(u64, bool)>,
    pub training: Option<Training>,
    pub unknown_fields: Vec<String>,
    /// The index of its `workloads[]` entry (a manifest may hold several JobSets).
    pub entry: usize,
}

/// A resolved `pods.exits` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExitRule {
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
pub(crate) struct ContainerRun<'a> {
    pub replicated_job: &'a str,
    pub job_index: u32,
    pub pod_index: u32,
    pub attempt: i32,
    pub job_attempt: i32,
    pub retry: u32,
}

impl ExitRule {
    pub(crate) fn matches(&self, run: &ContainerRun<'_>) -> bool {
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
    pub(crate) fn run_for(&self, rj: &str) -> u64 {
        self.run_for_by_rj
            .get(rj)
            .copied()
            .unwrap_or(self.run_for_ns)
    }

    /// How a container run ends: `(after_ns, exit_code, container)`; by default exit 0 after
    /// `runFor`. An exit rule whose `after` is not earlier than `runFor` never fires.
    pub(crate) fn container_end(&self, run: &ContainerRun<'_>) -> (u64, i32, Option<&str>) {
        let run_for = self.run_for(run.replicated_job);
        match self.exits.iter().find(|e| e.matches(run)) {
            Some(e) if e.after_ns < run_for => (e.after_ns, e.exit_code, e.container.as_deref()),
            _ => (run_for, 0, None),
        }
    }
}

impl Scenario {
    pub(crate) fn gate(&self, name: &str) -> bool {
        self.feature_gates.get(name).copied().unwrap_or(false)
    }

    /// Lines to show the user before running (`notice: ...`, `warning: ...`).
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.notes.iter().map(Note::to_string).collect()
    }
}

/// Reads a scenario file (`-`: standard input) and everything it refers to.
pub(crate) fn load_scenario(path: &Path) -> Result<Scenario, SimError> {
    let (file, text, base_dir) = crate::source::read(path, "scenario")?;
    load_scenario_from_str(&file, &text, &base_dir)
}

pub(crate) fn load_scenario_from_str(
    file: &str,
    text: &str,
    base_dir: &Path,
) -> Result<Scenario, SimError> {
    load_scenario_under(file, text, base_dir, None)
}

/// [`load_scenario_from_str`] with `profile` standing in for the built-in default when the
/// scenario names none (`calibrate --profile`).
pub(crate) fn load_scenario_under(
    file: &str,
    text: &str,
    base_dir: &Path,
    profile: Option<&profile::Profile>,
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
    let resolved = resolve(file, raw, base_dir, profile)
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
    let profile = doc.get("controlPlane").and_then(|c| c.get("profile"));
    if let Some(p) = profile.and_then(|p| p.as_str()) {
        if !profile::is_built_in(p) {
            let bytes = std::fs::read(base_dir.join(p)).unwrap_or_default();
            hasher.update(format!("\nprofile {p} {}\n", bytes.len()));
            hasher.update(&bytes);
        }
    }
    let workloads = doc.get("workloads").and_then(|w| w.as_sequence());
    for w in workloads.into_iter().flatten() {
        if let Some(m) = w.get("manifest").and_then(|m| m.as_str()) {
            let bytes = std::fs::read(base_dir.join(m)).unwrap_or_default();
            hasher.update(format!("\nmanifest {m} {}\n", bytes.len()));
            hasher.update(&bytes);
        }
    }
    let kueue_files = doc.get("kueue").and_then(|k| k.get("files"));
    for f in kueue_files
        .and_then(|f| f.as_sequence())
        .into_iter()
        .flatten()
    {
        if let Some(f) = f.as_str() {
            let bytes = std::fs::read(base_dir.join(f)).unwrap_or_default();
            hasher.update(format!("\nkueue {f} {}\n", bytes.len()));
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

/// Problems found while resolving one scenario file, each with its field path; they are all
/// reported together, located by `yaml::locate::fill_scenario`.
pub(crate) struct Problems<'a> {
    file: &'a str,
    list: Vec<InputError>,
}

impl Problems<'_> {
    fn at(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let e = InputError::new(self.file, message.into()).at_path(path.into());
        self.list.push(e);
    }

    fn push(&mut self, e: InputError) {
        self.list.push(e);
    }

    fn count(&self) -> usize {
        self.list.len()
    }
}

/// What `run:` says: when the run ends, when faults stop, how much memory it may take.
struct RunLimits {
    until_ns: u64,
    faults_until_ns: Option<u64>,
    memory_limit_bytes: u64,
    memory_limit_written: String,
}

fn run_limits(run: &RunSection, problems: &mut Problems) -> RunLimits {
    let until_ns = run.until.ns;
    if until_ns == 0 {
        problems.at("run.until", "must be longer than 0s");
    } else if until_ns > MAX_UNTIL_NS {
        problems.at("run.until", "must be at most 36500d (100 years)");
    }
    let memory_limit_bytes = match &run.memory_limit {
        None => memory::DEFAULT_MEMORY_LIMIT_BYTES,
        Some(text) => memory::parse_limit(text).unwrap_or_else(|m| {
            problems.at("run.memoryLimit", m);
            memory::DEFAULT_MEMORY_LIMIT_BYTES
        }),
    };
    RunLimits {
        until_ns,
        faults_until_ns: run.faults_until.map(|d| d.ns),
        memory_limit_bytes,
        memory_limit_written: (run.memory_limit.clone())
            .unwrap_or_else(|| memory::DEFAULT_MEMORY_LIMIT.to_string()),
    }
}

/// `featureGates:` over JobSet v0.12.0's defaults; an unknown gate is an error.
fn feature_gates(raw: &BTreeMap<String, bool>, problems: &mut Problems) -> BTreeMap<String, bool> {
    let mut gates: BTreeMap<String, bool> = KNOWN_FEATURE_GATES
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    for (name, value) in raw {
        if !gates.contains_key(name) {
            let known: Vec<_> = KNOWN_FEATURE_GATES.iter().map(|(n, _)| *n).collect();
            problems.at(
                format!("featureGates.{name}"),
                format!("unknown feature gate; known gates: {}", known.join(", ")),
            );
        }
        gates.insert(name.clone(), *value);
    }
    gates
}

/// Turns the file as written into what the simulation needs, section by section, reporting
/// every problem found rather than the first.
fn resolve(
    file: &str,
    raw: ScenarioFile,
    base_dir: &Path,
    default_profile: Option<&profile::Profile>,
) -> Result<Scenario, SimError> {
    let mut problems = Problems { file, list: vec![] };
    if raw.name.trim().is_empty() {
        problems.at("name", "must not be empty");
    }
    let limits = run_limits(&raw.run, &mut problems);
    let cluster = cluster::resolve(&raw.cluster, &mut problems);
    let (base, profile) =
        profile_constants(&raw.control_plane, base_dir, default_profile, &mut problems);
    let control = control_plane::resolve(&raw.control_plane, base.clone(), &mut problems);
    let control_plane_source = ControlPlaneSource {
        overridden: control != base,
        ..profile
    };
    let feature_gates = feature_gates(&raw.feature_gates, &mut problems);
    let pool_names: Vec<String> = cluster.node_pools.iter().map(|p| p.name.clone()).collect();
    let faults = faults::resolve(file, &raw.faults, &pool_names, &mut problems.list);
    let mut resolved = workloads::resolve(&raw.workloads, base_dir, &feature_gates, &mut problems);
    check_sizes(&resolved.workloads, &mut problems.list);
    check_pod_resources(&resolved.workloads, &mut problems.list);
    let kueue = raw.kueue.as_ref().map(|section| {
        crate::kueue_api::load(
            section,
            file,
            base_dir,
            &mut problems.list,
            &mut resolved.notes,
        )
    });
    if !problems.list.is_empty() {
        return Err(SimError::Input(problems.list));
    }
    let mut scenario = Scenario {
        name: raw.name,
        file: file.to_string(),
        seed: raw.run.seed,
        until_ns: limits.until_ns,
        stop_when_all_terminal: raw.run.stop_when_all_terminal,
        faults_until_ns: limits.faults_until_ns,
        node_pools: cluster.node_pools,
        namespaces: cluster.namespaces,
        control,
        control_plane_source,
        feature_gates,
        workloads: resolved.workloads,
        faults,
        expect: vec![],
        memory_limit_bytes: limits.memory_limit_bytes,
        memory_limit_written: limits.memory_limit_written,
        hash: String::new(),
        notes: resolved.notes,
        kueue,
    };
    let never = never_fires::notes(&scenario);
    scenario.notes.extend(never);
    Ok(scenario)
}

/// The constants `controlPlane` overrides: those of the profile it names, else of
/// `default_profile`, else the built-in defaults (the `ci` profile). A profile file's own
/// problems are reported located in that file.
fn profile_constants(
    cp: &ControlPlaneSection,
    base_dir: &Path,
    default_profile: Option<&profile::Profile>,
    problems: &mut Problems,
) -> (ControlPlane, ControlPlaneSource) {
    let built_in_default = || {
        let (name, file, _) = profile::BUILT_IN[0];
        let source = ControlPlaneSource::of(name, file);
        (ControlPlane::default(), source)
    };
    let Some(spec) = &cp.profile else {
        return default_profile.map_or_else(built_in_default, |p| {
            (p.control.clone(), ControlPlaneSource::of(&p.name, &p.file))
        });
    };
    let loaded = profile::source(spec, base_dir)
        .map_err(|m| problems.at("controlPlane.profile", m))
        .ok()
        .and_then(|(file, text)| {
            profile::parse(&file, &text)
                .map_err(|errors| errors.into_iter().for_each(|e| problems.push(e)))
                .ok()
        });
    loaded.map_or_else(built_in_default, |p| {
        let source = ControlPlaneSource::of(&p.name, &p.file);
        (p.control, source)
    })
}

/// Which control-plane profile a scenario's constants come from, for the outputs: a result is
/// only comparable with another of the same hardware class.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct ControlPlaneSource {
    /// The profile's `name` (`ci`, `gke`, or a profile file's own).
    pub profile: String,
    /// Where it was read from (`profiles/ci.yaml` for a built-in one).
    pub profile_file: String,
    /// The scenario's `controlPlane` changes some constant of the profile.
    pub overridden: bool,
}

impl ControlPlaneSource {
    fn of(name: &str, file: &str) -> Self {
        ControlPlaneSource {
            profile: name.to_string(),
            profile_file: file.to_string(),
            overridden: false,
        }
    }
}

/// Refuses workloads too large to simulate, with the field that makes them so.
pub(crate) fn check_sizes(workloads: &[Workload], errors: &mut Vec<InputError>) {
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
        let message = format!(
            "the workloads run up to {total} pods at once, more than the {MAX_PARALLEL_PODS} \
             jobset-sim supports"
        );
        // Located at the replicated job that runs the most of them.
        if let Some(largest) = largest_replicated_job(workloads, |_, pods| pods) {
            errors.push(InputError::new(largest.source, message).at_path(largest.path));
        }
    }
}

/// A replicated job singled out by [`largest_replicated_job`], as an error names it.
pub(crate) struct ReplicatedJobField {
    /// Its workload's source (the manifest, or the scenario's inline JobSet).
    pub source: String,
    /// The field that makes it large, relative to the JobSet: `replicas` when it has more Jobs
    /// than pods per Job, else the field that sets its pods per Job.
    pub path: String,
    pub weight: u64,
}

/// The replicated job of `workloads` that weighs most by `weigh(jobs, pods at once)` (the
/// first of equals), for a size error to point at.
pub(crate) fn largest_replicated_job(
    workloads: &[Workload],
    weigh: impl Fn(u64, u64) -> u64,
) -> Option<ReplicatedJobField> {
    let mut largest: Option<ReplicatedJobField> = None;
    for w in workloads {
        for (i, rj) in w.jobset.spec.replicated_jobs.iter().enumerate() {
            let job = &rj.template.spec;
            let replicas = rj.replicas.unwrap_or(1).max(0) as u64;
            let parallelism = job.parallelism.unwrap_or(1).max(0) as u64;
            let completions = job.completions.unwrap_or(1).max(0) as u64;
            let pods_per_job = parallelism.min(completions.max(1));
            let weight = weigh(replicas, replicas.saturating_mul(pods_per_job));
            if largest.as_ref().is_some_and(|l| l.weight >= weight) {
                continue;
            }
            let field = if replicas >= pods_per_job {
                "replicas"
            } else if parallelism <= completions {
                "template.spec.parallelism"
            } else {
                "template.spec.completions"
            };
            largest = Some(ReplicatedJobField {
                source: w.source.clone(),
                path: format!("spec.replicatedJobs[{i}].{field}"),
                weight,
            });
        }
    }
    largest
}

/// Refuses pod templates whose resources the API server would refuse or the simulation could not
/// count: a request or limit that pod validation refuses ([`resource_quantity_errors`]: a
/// negative one, "must be greater than or equal to 0", or a fraction of an extended resource,
/// `nvidia.com/gpu: 0.5`, "must be an integer"; the Job controller could never create the
/// pods), or containers whose requests of one resource add up past what a quantity holds. Any
/// of them would leave a node's free capacity wrong, so the run would report nonsense or stop
/// half-way.
pub(crate) fn check_pod_resources(workloads: &[Workload], errors: &mut Vec<InputError>) {
    for w in workloads {
        for (i, rj) in w.jobset.spec.replicated_jobs.iter().enumerate() {
            let pod = &rj.template.spec.template.spec;
            let at = format!("spec.replicatedJobs[{i}].template.spec.template.spec");
            let lists = [
                ("containers", &pod.containers),
                ("initContainers", &pod.init_containers),
            ];
            for (list_name, containers) in lists {
                for (c, container) in containers.iter().enumerate() {
                    let resources = &container.resources;
                    for (kind, map) in [
                        ("requests", &resources.requests),
                        ("limits", &resources.limits),
                    ] {
                        for (name, q) in map {
                            for detail in resource_quantity_errors(name, q) {
                                let message = format!(
                                    "Invalid value: \"{}\": {detail} \
                                     (the API server would refuse the Job's pods)",
                                    resources.written(kind, name).unwrap_or(&q.display())
                                );
                                let path = format!("{at}.{list_name}[{c}].resources.{kind}.{name}");
                                errors.push(InputError::new(&w.source, message).at_path(path));
                            }
                        }
                    }
                }
            }
            // As the scheduler sums them (a missing request defaults to the limit).
            let mut total_milli: BTreeMap<&str, i128> = BTreeMap::new();
            for container in &pod.containers {
                let resources = &container.resources;
                let limits_unrequested = (resources.limits.iter())
                    .filter(|(name, _)| !resources.requests.contains_key(*name));
                for (name, q) in resources.requests.iter().chain(limits_unrequested) {
                    *total_milli.entry(name).or_default() += i128::from(q.milli.max(0));
                }
            }
            for (name, _) in total_milli
                .iter()
                .filter(|(_, t)| **t > i128::from(i64::MAX))
            {
                let message = format!(
                    "the containers' {name} requests add up to more than {} units, the \
                     largest quantity jobset-sim counts",
                    i64::MAX / 1000
                );
                errors
                    .push(InputError::new(&w.source, message).at_path(format!("{at}.containers")));
            }
        }
    }
}

/// RFC 1123 label: what Kubernetes accepts as a node pool or node name component.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

//! `workloads:`: the JobSets to submit (from manifest files or inline), each defaulted and
//! validated as the API server would, with how their pods behave.

use super::duration::DurationField;
use super::types::{ExitSection, TrainingSection, WorkloadSection};
use super::{ExitRule, Note, NoteLevel, Problems, Workload};
use crate::api::defaults::default_jobset;
use crate::api::fields::FieldValidation;
use crate::api::load::{load_jobsets_from_str, LoadedJobSet};
use crate::error::InputError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `training:` of a workload, resolved: the work to do and the checkpoint and restart costs
/// the training model (`crate::training`) charges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Training {
    pub work_ns: u64,
    /// 0: no checkpoints.
    pub checkpoint_interval_ns: u64,
    pub checkpoint_cost_ns: u64,
    pub restart_cost_ns: u64,
}

/// Default container run time when the scenario does not say: 10 minutes.
const DEFAULT_RUN_FOR_NS: u64 = 600 * crate::engine::time::NS_PER_S;

pub(super) struct Resolved {
    pub workloads: Vec<Workload>,
    pub notes: Vec<Note>,
}

pub(super) fn resolve(
    raw: &[WorkloadSection],
    base_dir: &Path,
    feature_gates: &BTreeMap<String, bool>,
    problems: &mut Problems,
) -> Resolved {
    if raw.is_empty() {
        problems.at("workloads", "at least one workload is needed");
    }
    let mut resolver = Resolver {
        base_dir,
        feature_gates,
        problems,
        names: BTreeMap::new(),
        out: Resolved {
            workloads: vec![],
            notes: vec![],
        },
    };
    for (i, w) in raw.iter().enumerate() {
        resolver.entry(i, w);
    }
    resolver.out
}

struct Resolver<'a, 'p> {
    base_dir: &'a Path,
    feature_gates: &'a BTreeMap<String, bool>,
    problems: &'a mut Problems<'p>,
    /// JobSet name to where it was defined, to refuse a second definition.
    names: BTreeMap<String, String>,
    out: Resolved,
}

/// What a `workloads[]` entry says of its pods, shared by every JobSet its manifest holds.
struct PodBehaviour {
    run_for_ns: u64,
    run_for_by_rj: BTreeMap<String, u64>,
    exits: Vec<ExitRule>,
    training: Option<Training>,
}

impl Resolver<'_, '_> {
    fn entry(&mut self, i: usize, w: &WorkloadSection) {
        let Some(loaded) = self.manifests(i, w) else {
            return;
        };
        let behaviour = self.pod_behaviour(i, w);
        self.check_replicated_job_names(i, w, &loaded);
        let several = loaded.len() > 1;
        for l in loaded {
            self.admit(l, several, i, w, &behaviour);
        }
    }

    fn pod_behaviour(&mut self, i: usize, w: &WorkloadSection) -> PodBehaviour {
        let mut run_for_ns = DurationField::ns_or(w.pods.run_for, DEFAULT_RUN_FOR_NS);
        let run_for_by_rj = w
            .pods
            .replicated_jobs
            .iter()
            .map(|(rj, o)| (rj.clone(), DurationField::ns_or(o.run_for, run_for_ns)))
            .collect();
        let training = w.training.as_ref().and_then(|t| self.training(i, w, t));
        if training.is_some() {
            // Until the training model says the work is done.
            run_for_ns = super::RUN_UNTIL_DONE_NS;
        }
        PodBehaviour {
            run_for_ns,
            run_for_by_rj,
            exits: w.pods.exits.iter().map(exit_rule).collect(),
            training,
        }
    }

    fn training(&mut self, i: usize, w: &WorkloadSection, t: &TrainingSection) -> Option<Training> {
        let pods = &w.pods;
        if pods.run_for.is_some() || pods.replicated_jobs.values().any(|r| r.run_for.is_some()) {
            self.problems.at(
                format!("workloads[{i}].pods.runFor"),
                "with `training`, pods run until the work is done: leave runFor out",
            );
        }
        training(&format!("workloads[{i}].training"), t, self.problems)
    }

    /// The JobSets of the entry's `manifest` file or inline `jobset`, or `None` after
    /// reporting why there are none.
    fn manifests(&mut self, i: usize, w: &WorkloadSection) -> Option<Vec<LoadedJobSet>> {
        let entry = format!("workloads[{i}]");
        match (&w.manifest, &w.jobset) {
            (Some(_), Some(_)) => {
                self.problems
                    .at(entry, "give either `manifest` or `jobset`, not both");
                None
            }
            (None, None) => {
                self.problems
                    .at(entry, "needs `manifest: <path>` or an inline `jobset:`");
                None
            }
            (Some(rel), None) => self.manifest_file(i, rel),
            (None, Some(value)) => self.inline_manifest(i, value),
        }
    }

    fn manifest_file(&mut self, i: usize, rel: &str) -> Option<Vec<LoadedJobSet>> {
        let path = self.base_dir.join(rel);
        let shown = path.display().to_string();
        let text = match crate::source::read_text(&path) {
            Ok(text) => text,
            Err(e) => {
                let message = format!("cannot read manifest {shown}: {e}");
                self.problems
                    .at(format!("workloads[{i}].manifest"), message);
                return None;
            }
        };
        match load_jobsets_from_str(&shown, &text) {
            Ok(v) if v.is_empty() => {
                let e = InputError::new(&shown, "the manifest holds no JobSet").at_path("");
                self.problems.push(e);
                None
            }
            Ok(v) => Some(v),
            Err(e) => {
                self.problems.push(e);
                None
            }
        }
    }

    fn inline_manifest(
        &mut self,
        i: usize,
        value: &serde_yaml_ng::Value,
    ) -> Option<Vec<LoadedJobSet>> {
        let text = serde_yaml_ng::to_string(value).unwrap_or_default();
        let shown = format!("{} (workloads[{i}].jobset)", self.problems.file);
        match load_jobsets_from_str(&shown, &text) {
            Ok(mut v) => {
                // Line numbers would point into our re-rendering, not the user's file.
                for j in &mut v {
                    j.doc_index = 0;
                    for e in &mut j.undefined_fields {
                        (e.line, e.column) = (None, None);
                    }
                }
                Some(v)
            }
            Err(mut e) => {
                (e.line, e.column) = (None, None);
                self.problems.push(e);
                None
            }
        }
    }

    /// Names the scenario uses for replicated jobs must exist in the workload.
    fn check_replicated_job_names(
        &mut self,
        i: usize,
        w: &WorkloadSection,
        loaded: &[LoadedJobSet],
    ) {
        let rj_names: BTreeSet<&str> = loaded
            .iter()
            .flat_map(|l| {
                l.jobset
                    .spec
                    .replicated_jobs
                    .iter()
                    .map(|r| r.name.as_str())
            })
            .collect();
        let exits = w.pods.exits.iter().enumerate().filter_map(|(x, e)| {
            let rj = e.replicated_job.as_deref()?;
            Some((format!("pods.exits[{x}].replicatedJob"), rj))
        });
        let overrides = w
            .pods
            .replicated_jobs
            .keys()
            .map(|rj| (format!("pods.replicatedJobs.{rj}"), rj.as_str()));
        for (path, rj) in exits.chain(overrides) {
            if !rj_names.contains(rj) {
                let known = rj_names.iter().copied().collect::<Vec<_>>().join(", ");
                self.problems.at(
                    format!("workloads[{i}].{path}"),
                    format!("no replicated job named {rj:?} in this workload (it has: {known})"),
                );
            }
        }
    }

    /// One JobSet of the entry: named, defaulted and validated as the API server would.
    fn admit(
        &mut self,
        mut l: LoadedJobSet,
        several: bool,
        entry: usize,
        w: &WorkloadSection,
        behaviour: &PodBehaviour,
    ) {
        note_fields(&mut l, &mut self.out.notes, self.problems);
        let mut jobset = l.jobset;
        if jobset.metadata.name.is_empty() {
            if let Some(prefix) = &jobset.metadata.generate_name {
                jobset.metadata.name = generated_name(prefix, self.out.workloads.len());
            }
        }
        let source = if several {
            format!("{} (document {})", l.file, l.doc_index + 1)
        } else {
            l.file.clone()
        };
        self.check_unique_name(&jobset.metadata.name, &source);
        default_jobset(&mut jobset);
        self.validate(&jobset, &source);
        self.out.workloads.push(Workload {
            jobset,
            source,
            at_ns: DurationField::ns_or(w.at, 0),
            run_for_ns: behaviour.run_for_ns,
            run_for_by_rj: behaviour.run_for_by_rj.clone(),
            exits: behaviour.exits.clone(),
            updates: w.updates.iter().map(|u| (u.at.ns, u.suspend)).collect(),
            training: behaviour.training,
            unknown_fields: l.unknown_fields,
            entry,
        });
    }

    fn check_unique_name(&mut self, name: &str, source: &str) {
        if let Some(prev) = self.names.insert(name.to_string(), source.to_string()) {
            let message =
                format!("JobSet {name:?} is already defined by {prev}; names must be unique");
            let e = InputError::new(source, message).at_path("metadata.name");
            self.problems.push(e);
        }
    }

    /// The API server's create validation, and what it would say to the Jobs' creates.
    fn validate(&mut self, jobset: &crate::api::types::JobSet, source: &str) {
        let name = &jobset.metadata.name;
        for e in crate::api::validation::validate_create(jobset, self.feature_gates, &[]) {
            // The path goes in its own field, so that the error can be located; upstream's
            // `<nil>` (no field) stays in the message, as the API server prints it.
            let (path, e) = match e.path.as_str() {
                "<nil>" => (String::new(), e.to_string()),
                _ => (e.path, e.message),
            };
            let message = format!("JobSet {name:?} is invalid: {e}");
            self.problems
                .push(InputError::new(source, message).at_path(path));
        }
        for e in crate::api::validation::child_job_errors(jobset) {
            let message = format!(
                "JobSet {name:?}: the API server would reject its Jobs: {}",
                e.message
            );
            self.problems
                .push(InputError::new(source, message).at_path(e.path));
        }
    }
}

/// Deterministic stand-in for the API server's random suffix; the prefix is cut to 58 bytes
/// first, as `names.SimpleNameGenerator` does.
fn generated_name(prefix: &str, ordinal: usize) -> String {
    let mut cut = prefix.len().min(58);
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ordinal:05}", &prefix[..cut])
}

fn exit_rule(e: &ExitSection) -> ExitRule {
    ExitRule {
        replicated_job: e.replicated_job.clone(),
        job_index: e.job_index,
        pod_index: e.pod_index,
        attempt: e.attempt,
        job_attempt: e.job_attempt,
        retry: e.retry,
        after_ns: e.after.ns,
        exit_code: e.exit_code,
        container: e.container.clone(),
    }
}

/// `training:`: the work to do, its checkpoints and the restart cost.
fn training(path: &str, t: &TrainingSection, problems: &mut Problems) -> Option<Training> {
    let before = problems.count();
    let checkpoint_interval_ns = DurationField::ns_or(t.checkpoint_interval, 0);
    if t.work.ns == 0 {
        problems.at(format!("{path}.work"), "must be longer than 0s");
    }
    if t.checkpoint_interval.is_some() && checkpoint_interval_ns == 0 {
        problems.at(
            format!("{path}.checkpointInterval"),
            "must be longer than 0s (leave it out for no checkpoints)",
        );
    }
    if t.checkpoint_cost.is_some() && t.checkpoint_interval.is_none() {
        problems.at(
            format!("{path}.checkpointCost"),
            "a checkpoint cost needs a checkpointInterval",
        );
    }
    (problems.count() == before).then_some(Training {
        work_ns: t.work.ns,
        checkpoint_interval_ns,
        checkpoint_cost_ns: DurationField::ns_or(t.checkpoint_cost, 0),
        restart_cost_ns: DurationField::ns_or(t.restart_cost, 0),
    })
}

/// Fields of a loaded JobSet that the user should hear about: undefined ones are errors (or
/// warnings under `--validate=warn`), defined but unmodelled ones are notices.
fn note_fields(l: &mut LoadedJobSet, notes: &mut Vec<Note>, problems: &mut Problems) {
    let source = if l.doc_index > 0 {
        format!("{} (document {})", l.file, l.doc_index + 1)
    } else {
        l.file.clone()
    };
    let undefined = std::mem::take(&mut l.undefined_fields);
    match crate::api::fields::field_validation() {
        FieldValidation::Strict => undefined.into_iter().for_each(|e| problems.push(e)),
        FieldValidation::Warn => notes.extend(undefined.into_iter().map(|mut at| {
            at.message.push_str(" (ignored: --validate=warn)");
            Note {
                level: NoteLevel::Warning,
                at,
            }
        })),
    }
    for f in &l.unknown_fields {
        let at = InputError::new(
            &source,
            "Kubernetes field not modelled by jobset-sim; ignored",
        )
        .at_path(f);
        notes.push(Note {
            level: NoteLevel::Notice,
            at,
        });
    }
}

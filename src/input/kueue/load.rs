//! Reading a scenario's `kueue:` section: its `files` (multi-document YAML, as `kubectl apply
//! -f` takes them), its inline `objects` and its `configuration`, document by document.
//!
//! Each document is checked against Kueue's field table first (a field Kueue does not define is
//! an error, or a warning under `--validate=warn`, as for JobSets), then read into the `raw`
//! structs (type errors carry their line and path); fields Kueue defines that the simulator
//! does not read are notices. `metadata` and `status` are accepted as written.

use super::raw::{
    AcSpec, CohortSpec, ConfigDoc, CqSpec, Doc, FlavorSpec, LqSpec, PcDoc, RawCheckScript,
    TopologySpec, WpcDoc,
};
use super::KueueSetup;
use crate::api::fields::{field_validation, undefined_in_kueue, FieldValidation};
use crate::error::InputError;
use crate::scenario::{Note, NoteLevel};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::path::Path;
use std::rc::Rc;

/// `kueue:` of a scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KueueSection {
    /// Multi-document YAML files of Kueue objects (and at most one Configuration), relative to
    /// the scenario file.
    #[serde(default)]
    pub files: Vec<String>,
    /// Kueue objects written inline, in the same shapes.
    #[serde(default)]
    pub objects: Vec<Value>,
    /// The body of a `config.kueue.x-k8s.io/v1beta2` Configuration.
    pub configuration: Option<Value>,
    /// What the controllers behind admission checks answer (docs/kueue.md, "Admission
    /// checks"); a check without a script is Ready at once.
    #[serde(default)]
    pub admission_check_scripts: Vec<Value>,
}

pub(super) const API_V1BETA2: &str = "kueue.x-k8s.io/v1beta2";
pub(super) const API_V1BETA1: &str = "kueue.x-k8s.io/v1beta1";
pub(super) const CONFIG_API: &str = "config.kueue.x-k8s.io/v1beta2";
const KINDS: [&str; 6] = [
    "ResourceFlavor",
    "ClusterQueue",
    "LocalQueue",
    "Cohort",
    "WorkloadPriorityClass",
    "Topology",
];

/// Where a document came from, to locate what is said about it.
#[derive(Debug, Clone)]
pub(super) enum Where {
    /// Document `doc` (0-based) of a file; `several` when the file holds more than one.
    File {
        file: String,
        text: Rc<str>,
        doc: usize,
        several: bool,
    },
    /// Part of the scenario file at `prefix` (`kueue.objects[2]`, `kueue.configuration`):
    /// located by the scenario loader, which has the text.
    Inline { scenario: String, prefix: String },
}

impl Where {
    /// An error or note about field `path` of this document (relative to the document).
    pub(super) fn at(&self, path: &str, message: impl Into<String>) -> InputError {
        match self {
            Where::File {
                file, text, doc, ..
            } => {
                let mut e = InputError::new(file, message).at_path(path);
                crate::yaml::locate::fill(&mut e, text, *doc);
                if e.line.is_none() {
                    // A document-wide remark: point at the document's `kind`.
                    if let Some((l, c)) = crate::yaml::locate::locate(text, *doc, "kind") {
                        e = e.at_line(l, c);
                    }
                }
                e
            }
            Where::Inline { scenario, prefix } => {
                let full = if path.is_empty() {
                    prefix.clone()
                } else {
                    format!("{prefix}.{path}")
                };
                InputError::new(scenario, message).at_path(full)
            }
        }
    }

    /// `objects.yaml (document 3)` or `kueue.objects[2]`, for "already defined by".
    pub(super) fn describe(&self) -> String {
        match self {
            Where::File {
                file, doc, several, ..
            } => {
                if *several {
                    format!("{file} (document {})", doc + 1)
                } else {
                    file.clone()
                }
            }
            Where::Inline { prefix, .. } => prefix.clone(),
        }
    }
}

/// One parsed object and where it came from.
#[derive(Debug, Clone)]
pub(super) struct Placed<T> {
    pub obj: T,
    pub at: Where,
    /// Written in `kueue.x-k8s.io/v1beta1`.
    pub v1beta1: bool,
}

/// Everything read, before validation.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub flavors: Vec<Placed<Doc<FlavorSpec>>>,
    pub cluster_queues: Vec<Placed<Doc<CqSpec>>>,
    pub local_queues: Vec<Placed<Doc<LqSpec>>>,
    pub cohorts: Vec<Placed<Doc<CohortSpec>>>,
    pub priority_classes: Vec<Placed<WpcDoc>>,
    pub pod_priority_classes: Vec<Placed<PcDoc>>,
    pub topologies: Vec<Placed<Doc<TopologySpec>>>,
    pub admission_checks: Vec<Placed<Doc<AcSpec>>>,
    pub scripts: Vec<Placed<RawCheckScript>>,
    pub config: Option<Placed<ConfigDoc>>,
}

/// What reading and checking say: errors stop the run, notes are printed before it.
pub(super) struct Out<'a> {
    pub errors: &'a mut Vec<InputError>,
    pub notes: &'a mut Vec<Note>,
}

impl Out<'_> {
    pub(super) fn notice(&mut self, at: InputError) {
        self.notes.push(Note {
            level: NoteLevel::Notice,
            at,
        });
    }

    pub(super) fn warning(&mut self, at: InputError) {
        self.notes.push(Note {
            level: NoteLevel::Warning,
            at,
        });
    }
}

/// Reads, checks and resolves a scenario's `kueue:` section. Problems go to `errors` (the
/// returned setup is then incomplete and must not be used) and `notes`.
pub(crate) fn load(
    section: &KueueSection,
    scenario_file: &str,
    base_dir: &Path,
    errors: &mut Vec<InputError>,
    notes: &mut Vec<Note>,
) -> KueueSetup {
    let mut out = Out { errors, notes };
    let mut read = Read::default();
    for (i, rel) in section.files.iter().enumerate() {
        let path = base_dir.join(rel);
        let shown = path.display().to_string();
        match crate::source::read_text(&path) {
            Ok(text) => read_file(&shown, &text, &mut read, &mut out),
            Err(e) => out.errors.push(
                InputError::new(scenario_file, format!("cannot read {shown}: {e}"))
                    .at_path(format!("kueue.files[{i}]")),
            ),
        }
    }
    for (i, value) in section.objects.iter().enumerate() {
        let at = Where::Inline {
            scenario: scenario_file.to_string(),
            prefix: format!("kueue.objects[{i}]"),
        };
        let text = serde_yaml_ng::to_string(value).unwrap_or_default();
        document(value, &text, 0, at, &mut read, &mut out);
    }
    if let Some(value) = &section.configuration {
        let at = Where::Inline {
            scenario: scenario_file.to_string(),
            prefix: "kueue.configuration".to_string(),
        };
        if value.is_mapping() {
            let text = serde_yaml_ng::to_string(value).unwrap_or_default();
            configuration(value, &text, 0, at, &mut read, &mut out);
        } else if !value.is_null() {
            out.errors.push(at.at(
                "",
                "expected the body of a Kueue Configuration (a mapping such as {waitForPodsReady: {timeout: 10m}})",
            ));
        }
    }
    for (i, value) in section.admission_check_scripts.iter().enumerate() {
        let at = Where::Inline {
            scenario: scenario_file.to_string(),
            prefix: format!("kueue.admissionCheckScripts[{i}]"),
        };
        let text = serde_yaml_ng::to_string(value).unwrap_or_default();
        if let Some(obj) = parse_plain::<RawCheckScript>(&text, &at, &mut out) {
            read.scripts.push(Placed {
                obj,
                at,
                v1beta1: false,
            });
        }
    }
    super::validate::resolve(read, &mut out)
}

/// Reads a jobset-sim extension (not a Kubernetes object) into `T`: unknown fields and type
/// errors are located at `at`.
fn parse_plain<T: DeserializeOwned>(text: &str, at: &Where, out: &mut Out) -> Option<T> {
    let file = match at {
        Where::File { file, .. } => file.clone(),
        Where::Inline { scenario, .. } => scenario.clone(),
    };
    match crate::yaml::parse_document::<T>(&file, text, 0, false) {
        Ok(parsed) => Some(parsed.value),
        Err(e) => {
            let path = e.path.clone().unwrap_or_default();
            out.errors.push(at.at(&path, e.message));
            None
        }
    }
}

/// [`load`] of one file's text, for tests.
#[cfg(test)]
pub(super) fn load_text(
    file: &str,
    text: &str,
    errors: &mut Vec<InputError>,
    notes: &mut Vec<Note>,
) -> KueueSetup {
    let mut out = Out { errors, notes };
    let mut read = Read::default();
    read_file(file, text, &mut read, &mut out);
    super::validate::resolve(read, &mut out)
}

fn read_file(file: &str, text: &str, read: &mut Read, out: &mut Out) {
    let docs = match crate::yaml::documents(file, text) {
        Ok(docs) => docs,
        Err(e) => {
            out.errors.push(e);
            return;
        }
    };
    let several = docs.iter().filter(|d| !d.is_null()).count() > 1;
    let text: Rc<str> = Rc::from(text);
    for (i, value) in docs.iter().enumerate() {
        if value.is_null() {
            continue;
        }
        let at = Where::File {
            file: file.to_string(),
            text: text.clone(),
            doc: i,
            several,
        };
        document(value, &text, i, at, read, out);
    }
}

/// One document: its kind decides how it is read.
fn document(value: &Value, text: &str, doc: usize, at: Where, read: &mut Read, out: &mut Out) {
    let get = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or("");
    let (api_version, kind) = (get("apiVersion"), get("kind"));
    let which = match &at {
        Where::File { several: true, .. } => format!("document {}: ", doc + 1),
        _ => String::new(),
    };
    if !value.is_mapping() {
        let msg = format!(
            "{}not a Kubernetes object (a YAML mapping with apiVersion and kind)",
            which
        );
        out.errors.push(at.at("", msg));
        return;
    }
    let v1beta1 = api_version == API_V1BETA1;
    let kueue_api = api_version == API_V1BETA2 || v1beta1;
    if api_version == CONFIG_API && kind == "Configuration" {
        configuration(value, text, doc, at, read, out);
        return;
    }
    if kueue_api && kind == "AdmissionCheck" {
        if let Some(obj) = parse::<Doc<AcSpec>>("AdmissionCheck", value, text, doc, &at, out, true)
        {
            read.admission_checks.push(Placed { obj, at, v1beta1 });
        }
        return;
    }
    if api_version == "scheduling.k8s.io/v1" && kind == "PriorityClass" {
        if let Some(obj) = parse::<PcDoc>("PriorityClass", value, text, doc, &at, out, true) {
            read.pod_priority_classes.push(Placed { obj, at, v1beta1 });
        }
        return;
    }
    if !kueue_api || !KINDS.contains(&kind) {
        let msg = format!("{which}{}", not_a_kueue_object(api_version, kind));
        let path = if kind.is_empty() { "" } else { "kind" };
        out.errors.push(at.at(path, msg));
        return;
    }
    let root = if v1beta1 && kind == "ClusterQueue" {
        "v1beta1.ClusterQueue"
    } else {
        kind
    };
    macro_rules! keep {
        ($ty:ty, $list:ident) => {
            if let Some(obj) = parse::<$ty>(root, value, text, doc, &at, out, true) {
                read.$list.push(Placed { obj, at, v1beta1 });
            }
        };
    }
    match kind {
        "ResourceFlavor" => keep!(Doc<FlavorSpec>, flavors),
        "ClusterQueue" => keep!(Doc<CqSpec>, cluster_queues),
        "LocalQueue" => keep!(Doc<LqSpec>, local_queues),
        "Cohort" => keep!(Doc<CohortSpec>, cohorts),
        "WorkloadPriorityClass" => keep!(WpcDoc, priority_classes),
        _ => keep!(Doc<TopologySpec>, topologies),
    }
}

/// What a document that is not read is, and the apiVersions and kinds that are read.
fn not_a_kueue_object(api_version: &str, kind: &str) -> String {
    let found = if kind.is_empty() && api_version.is_empty() {
        "an object without apiVersion and kind".to_string()
    } else {
        format!(
            "a {} ({})",
            if kind.is_empty() { "<no kind>" } else { kind },
            if api_version.is_empty() {
                "<no apiVersion>"
            } else {
                api_version
            }
        )
    };
    let hint = if api_version == "config.kueue.x-k8s.io/v1beta1" {
        format!(": jobset-sim reads the {CONFIG_API} Configuration (v1beta1's waitForPodsReady.enable and fairSharing.enable became presence of the block)")
    } else {
        format!(
            ": expected apiVersion {API_V1BETA2} (or v1beta1) with kind {}, or apiVersion {CONFIG_API} with kind Configuration",
            KINDS.join(", ")
        )
    };
    format!("{found} is not a Kueue object{hint}")
}

fn configuration(value: &Value, text: &str, doc: usize, at: Where, read: &mut Read, out: &mut Out) {
    let api_version = value.get("apiVersion").and_then(Value::as_str);
    let kind = value.get("kind").and_then(Value::as_str);
    if let Some(a) = api_version.filter(|a| *a != CONFIG_API) {
        out.errors.push(at.at(
            "apiVersion",
            format!("a Kueue Configuration is read in {CONFIG_API}, not {a}"),
        ));
        return;
    }
    if let Some(k) = kind.filter(|k| *k != "Configuration") {
        out.errors
            .push(at.at("kind", format!("expected kind Configuration here, not {k}")));
        return;
    }
    let Some(obj) = parse::<ConfigDoc>("Configuration", value, text, doc, &at, out, true) else {
        return;
    };
    if let Some(first) = &read.config {
        out.errors.push(at.at(
            "",
            format!(
                "a second Kueue Configuration: the first is {}; a scenario has at most one",
                first.at.describe()
            ),
        ));
        return;
    }
    read.config = Some(Placed {
        obj,
        at,
        v1beta1: false,
    });
}

/// Reads one document into `T` after checking its fields against `root`'s line of the table;
/// `None` after reporting why not. With `notice_unread`, defined fields `T` does not read are
/// notices.
fn parse<T: DeserializeOwned>(
    root: &str,
    value: &Value,
    text: &str,
    doc: usize,
    at: &Where,
    out: &mut Out,
    notice_unread: bool,
) -> Option<T> {
    let undefined = undefined_in_kueue(value, root);
    for u in &undefined {
        let mut e = at.at(&u.path, u.message());
        match field_validation() {
            FieldValidation::Strict => out.errors.push(e),
            FieldValidation::Warn => {
                e.message.push_str(" (ignored: --validate=warn)");
                out.warning(e);
            }
        }
    }
    let file = match at {
        Where::File { file, .. } => file.clone(),
        Where::Inline { scenario, .. } => scenario.clone(),
    };
    match crate::yaml::parse_document::<T>(&file, text, doc, true) {
        Ok(parsed) => {
            for path in parsed.ignored_paths {
                let silent = ["metadata", "status", "apiVersion", "kind"]
                    .iter()
                    .any(|root| is_within(&path, root))
                    || undefined.iter().any(|u| is_within(&path, &u.path));
                if notice_unread && !silent {
                    let what = if root == "Configuration" {
                        "Kueue configuration field"
                    } else {
                        "Kueue field"
                    };
                    out.notice(at.at(&path, format!("{what} not modelled by jobset-sim; ignored")));
                }
            }
            Some(parsed.value)
        }
        Err(mut e) => {
            if let Where::Inline { .. } = at {
                // The line would point into our re-rendering of the value.
                let path = e.path.take().unwrap_or_default();
                let located = at.at(&path, e.message);
                e = located;
            }
            out.errors.push(e);
            None
        }
    }
}

/// Whether field path `path` is `root` or lies under it.
pub(super) fn is_within(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

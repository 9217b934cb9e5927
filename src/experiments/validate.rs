//! `jobset-sim validate`: admission of every JobSet in some manifest files, reported per object.

use crate::api::defaults::default_jobset;
use crate::api::fields::{field_validation, FieldValidation};
use crate::api::load::{Document, LoadedJobSet};
use crate::api::types::JobSet;
use crate::api::validation::validate_create;
use crate::yaml::locate::locate;
use std::collections::BTreeMap;

pub(crate) struct Report {
    pub text: String,
    /// Lines for stderr, each with its level: `notice: ...` or `warning: ...`.
    pub warnings: Vec<String>,
    pub any_invalid: bool,
    /// Some JobSet has a field neither Kubernetes nor JobSet defines (`--validate=strict`).
    pub any_undefined_field: bool,
}

/// One block per document: `<file>: JobSet <ns>/<name>: valid`, or `invalid` followed by each
/// error indented, as `<file>:<line>:<column>: <path>: <message>` where the path can be found in
/// the file. Documents that are not JobSets are listed as skipped. `files` holds each file's
/// name, text and documents.
pub(crate) fn report(
    files: &[(String, String, Vec<Document>)],
    gates: &BTreeMap<String, bool>,
) -> Report {
    let mut r = Report {
        text: String::new(),
        warnings: vec![],
        any_invalid: false,
        any_undefined_field: false,
    };
    for (file, source, docs) in files {
        let several = docs.len() > 1;
        for doc in docs {
            match doc {
                Document::JobSet(loaded) => r.add_jobset(file, source, several, loaded, gates),
                Document::Malformed(e) => {
                    r.any_invalid = true;
                    r.text.push_str(&format!("{e}: invalid\n"));
                }
                Document::NotJobSet {
                    doc_index,
                    description,
                } => {
                    r.text.push_str(&format!(
                        "{file} (document {}): skipped: {description}\n",
                        doc_index + 1
                    ));
                }
            }
        }
    }
    r
}

/// `<namespace>/<name>` of a JobSet (its generateName when it has no name).
fn jobset_name(js: &JobSet) -> String {
    format!(
        "{}/{}",
        js.metadata.namespace.as_deref().unwrap_or("default"),
        if js.metadata.name.is_empty() {
            js.metadata.generate_name.clone().unwrap_or_default()
        } else {
            js.metadata.name.clone()
        }
    )
}

impl Report {
    /// Adds a JobSet's block (`several`: its file holds more than one document) and its
    /// notices and warnings.
    fn add_jobset(
        &mut self,
        file: &str,
        source: &str,
        several: bool,
        loaded: &LoadedJobSet,
        gates: &BTreeMap<String, bool>,
    ) {
        let mut js = loaded.jobset.clone();
        default_jobset(&mut js);
        let name = jobset_name(&js);
        let at = if several {
            format!(" (document {})", loaded.doc_index + 1)
        } else {
            String::new()
        };
        for f in &loaded.unknown_fields {
            let position = locate(source, loaded.doc_index, f)
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            self.warnings.push(format!(
                "notice: {file}{position}: {f}: Kubernetes field not modelled by jobset-sim; ignored"
            ));
        }
        let strict = field_validation() == FieldValidation::Strict;
        if !strict {
            for e in &loaded.undefined_fields {
                self.warnings
                    .push(format!("warning: {e} (ignored: --validate=warn)"));
            }
        }
        let undefined: &[_] = if strict {
            &loaded.undefined_fields
        } else {
            &[]
        };
        self.any_undefined_field |= !undefined.is_empty();
        let errors = validate_create(&js, gates, &[]);
        if errors.is_empty() && undefined.is_empty() {
            self.text
                .push_str(&format!("{file}{at}: JobSet {name}: valid\n"));
            return;
        }
        self.any_invalid = true;
        let text = &mut self.text;
        text.push_str(&format!("{file}{at}: JobSet {name}: invalid\n"));
        for e in undefined {
            text.push_str(&format!("  {e}\n"));
        }
        for e in errors {
            match locate(source, loaded.doc_index, &e.path) {
                Some((l, c)) => text.push_str(&format!("  {file}:{l}:{c}: {e}\n")),
                None => text.push_str(&format!("  {e}\n")),
            }
        }
    }
}

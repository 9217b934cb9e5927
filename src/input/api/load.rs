//! Reading JobSet manifests: multi-document YAML as `kubectl apply -f` takes it.

use super::keys::{JOBSET_API_VERSION, JOBSET_KIND};
use super::types::JobSet;
use crate::error::InputError;
use crate::yaml::{documents, parse_document};

/// One JobSet read from a file, with the fields the simulator ignores.
#[derive(Debug, Clone)]
pub(crate) struct LoadedJobSet {
    pub jobset: JobSet,
    pub file: String,
    pub doc_index: usize,
    /// Paths of fields Kubernetes defines but the simulator does not model (notices).
    pub unknown_fields: Vec<String>,
    /// Fields neither Kubernetes nor JobSet defines (typos): errors under `--validate=strict`,
    /// warnings under `--validate=warn`; located in the file's text.
    pub undefined_fields: Vec<InputError>,
}

/// What one document of a manifest file turned out to be.
#[derive(Debug, Clone)]
pub(crate) enum Document {
    JobSet(Box<LoadedJobSet>),
    /// A JobSet document whose fields do not have the JobSet schema's types.
    Malformed(InputError),
    /// A Kubernetes object of another kind, or something that is not an object at all.
    NotJobSet {
        doc_index: usize,
        description: String,
    },
}

/// Reads a YAML stream document by document, as `kubectl apply -f` would see it. Only a file
/// that is not YAML at all is an error here; empty documents are skipped.
pub(crate) fn load_documents(file: &str, text: &str) -> Result<Vec<Document>, InputError> {
    let docs = documents(file, text)?;
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        let Some(map) = doc.as_mapping() else {
            out.push(Document::NotJobSet {
                doc_index: i,
                description: "not a Kubernetes object (a YAML mapping with apiVersion and kind)"
                    .into(),
            });
            continue;
        };
        let get = |k: &str| map.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let (api_version, kind) = (get("apiVersion"), get("kind"));
        if kind != JOBSET_KIND || api_version != JOBSET_API_VERSION {
            let what = if kind.is_empty() && api_version.is_empty() {
                "an object without apiVersion and kind".to_string()
            } else {
                format!(
                    "a {} ({})",
                    if kind.is_empty() { "<no kind>" } else { kind },
                    api_version
                )
            };
            out.push(Document::NotJobSet {
                doc_index: i,
                description: format!("{what} is not a JobSet: expected apiVersion: {JOBSET_API_VERSION}, kind: {JOBSET_KIND}"),
            });
            continue;
        }
        match parse_document::<JobSet>(file, text, i, true) {
            Ok(parsed)
                if parsed.value.metadata.name.is_empty()
                    && parsed.value.metadata.generate_name.is_none() =>
            {
                let mut e = InputError::new(file, "JobSet has no name").at_path("metadata.name");
                crate::yaml::locate::fill(&mut e, text, i);
                out.push(Document::Malformed(e));
            }
            Ok(parsed) => {
                let undefined = super::fields::undefined_in_jobset(doc);
                // A typo is reported once, as undefined, not also as "not modelled".
                let unknown_fields = parsed
                    .ignored_paths
                    .into_iter()
                    .filter(|p| !undefined.iter().any(|u| is_within(p, &u.path)))
                    .collect();
                let undefined_fields = undefined
                    .iter()
                    .map(|u| {
                        let mut e = InputError::new(file, u.message()).at_path(&u.path);
                        crate::yaml::locate::fill(&mut e, text, i);
                        e
                    })
                    .collect();
                out.push(Document::JobSet(Box::new(LoadedJobSet {
                    jobset: parsed.value,
                    file: file.to_string(),
                    doc_index: parsed.doc_index,
                    unknown_fields,
                    undefined_fields,
                })))
            }
            Err(e) => out.push(Document::Malformed(e)),
        }
    }
    Ok(out)
}

/// Whether field path `path` is `root` or lies under it.
fn is_within(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Reads every JobSet in a YAML stream. Empty documents are skipped; a document of any other
/// kind is an error, because a scenario that silently dropped an object would mislead.
pub(crate) fn load_jobsets_from_str(
    file: &str,
    text: &str,
) -> Result<Vec<LoadedJobSet>, InputError> {
    let docs = load_documents(file, text)?;
    let several = docs.len() > 1;
    let mut out = Vec::new();
    for doc in docs {
        match doc {
            Document::JobSet(j) => out.push(*j),
            Document::Malformed(e) => return Err(e),
            Document::NotJobSet {
                doc_index,
                description,
            } => {
                let msg = if several {
                    format!("document {}: {description}", doc_index + 1)
                } else {
                    description
                };
                return Err(InputError::new(file, msg));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE: &str = "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: a\nspec:\n  replicatedJobs:\n  - name: w\n    template:\n      spec:\n        parallelism: 2\n        template:\n          spec:\n            containers:\n            - name: c\n              image: busybox\n              bogusField: 1\n";

    #[test]
    fn loads_a_jobset_and_tells_undefined_from_unmodelled_fields() {
        let text = SIMPLE.replace(
            "          spec:\n",
            "          spec:\n            hostUsers: false\n",
        );
        let js = load_jobsets_from_str("a.yaml", &text).unwrap();
        assert_eq!(js.len(), 1);
        assert_eq!(js[0].jobset.metadata.name, "a");
        // Kubernetes defines hostUsers; the simulator does not model it: a notice.
        assert_eq!(
            js[0].unknown_fields,
            vec!["spec.replicatedJobs[0].template.spec.template.spec.hostUsers"]
        );
        // Nobody defines bogusField: an error, located, with no notice besides.
        let e = &js[0].undefined_fields;
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].path.as_deref(),
            Some("spec.replicatedJobs[0].template.spec.template.spec.containers[0].bogusField")
        );
        assert_eq!(e[0].line, Some(17));
        assert!(e[0].message.contains("in a Container"), "{}", e[0].message);
    }

    #[test]
    fn rejects_other_kinds() {
        let err =
            load_jobsets_from_str("x.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
                .unwrap_err();
        assert!(
            err.message.contains("a Pod (v1) is not a JobSet"),
            "{}",
            err.message
        );
    }

    #[test]
    fn type_errors_carry_path_and_line() {
        let text = SIMPLE.replace("parallelism: 2", "parallelism: two");
        let err = load_jobsets_from_str("a.yaml", &text).unwrap_err();
        assert_eq!(
            err.path.as_deref(),
            Some("spec.replicatedJobs[0].template.spec.parallelism")
        );
        assert_eq!(err.line, Some(10));
    }

    #[test]
    fn multi_document_streams() {
        let text = format!("{SIMPLE}---\n{}", SIMPLE.replace("name: a", "name: b"));
        let js = load_jobsets_from_str("a.yaml", &text).unwrap();
        assert_eq!(js.len(), 2);
        assert_eq!(js[1].jobset.metadata.name, "b");
    }
}

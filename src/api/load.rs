//! Reading JobSet manifests: multi-document YAML as `kubectl apply -f` takes it.

use super::keys::{JOBSET_API_VERSION, JOBSET_KIND};
use super::types::JobSet;
use crate::error::InputError;
use crate::yaml::{documents, parse_document};

/// One JobSet read from a file, with the fields the simulator ignores.
#[derive(Debug, Clone)]
pub struct LoadedJobSet {
    pub jobset: JobSet,
    pub file: String,
    pub doc_index: usize,
    /// Paths of fields Kubernetes may know but the simulator does not model.
    pub unknown_fields: Vec<String>,
}

/// Reads every JobSet in a YAML stream. Empty documents are skipped; a document of any other
/// kind is an error, because a scenario that silently dropped an object would mislead.
pub fn load_jobsets_from_str(file: &str, text: &str) -> Result<Vec<LoadedJobSet>, InputError> {
    let docs = documents(file, text)?;
    let mut out = Vec::new();
    let several = docs.len() > 1;
    for (i, doc) in docs.iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        let where_ = |msg: String| {
            if several {
                format!("document {}: {msg}", i + 1)
            } else {
                msg
            }
        };
        let Some(map) = doc.as_mapping() else {
            return Err(InputError::new(
                file,
                where_(
                    "expected a Kubernetes object (a YAML mapping with apiVersion and kind)".into(),
                ),
            ));
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
            return Err(InputError::new(
                file,
                where_(format!("{what} is not a JobSet: expected apiVersion: {JOBSET_API_VERSION}, kind: {JOBSET_KIND}")),
            ));
        }
        let parsed = parse_document::<JobSet>(file, text, i, true)?;
        if parsed.value.metadata.name.is_empty() && parsed.value.metadata.generate_name.is_none() {
            return Err(
                InputError::new(file, where_("JobSet has no name".into())).at_path("metadata.name")
            );
        }
        out.push(LoadedJobSet {
            jobset: parsed.value,
            file: file.to_string(),
            doc_index: parsed.doc_index,
            unknown_fields: parsed.ignored_paths,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE: &str = "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: a\nspec:\n  replicatedJobs:\n  - name: w\n    template:\n      spec:\n        parallelism: 2\n        template:\n          spec:\n            containers:\n            - name: c\n              image: busybox\n              bogusField: 1\n";

    #[test]
    fn loads_a_jobset_and_reports_unknown_fields() {
        let js = load_jobsets_from_str("a.yaml", SIMPLE).unwrap();
        assert_eq!(js.len(), 1);
        assert_eq!(js[0].jobset.metadata.name, "a");
        assert_eq!(
            js[0].unknown_fields,
            vec!["spec.replicatedJobs[0].template.spec.template.spec.containers[0].bogusField"]
        );
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

//! Strict field checking, as `kubectl apply` does by default (`--validate=strict`): a field that
//! neither Kubernetes nor JobSet defines is an error, because a misspelt field is otherwise
//! dropped and silently changes what runs (`paralelism` leaves a Job at one pod).
//!
//! The names come from `fields.txt`, a table written by `scripts/field-table.py` from the
//! upstream API types (k8s.io/api core/v1 and batch/v1, k8s.io/apimachinery meta/v1,
//! sigs.k8s.io/jobset v1alpha2): one line per object type, `Type: field field:Other
//! field:[Other]`. A bare field holds a scalar, a list of scalars or a map with free keys
//! (labels, resource lists) and is not looked into; `:Other` holds an object, `:[Other]` a list.
//!
//! Whether an undefined field stops the run or only warns is the user's choice
//! (`--validate=strict|warn`); it is set once per process, before anything is read.

use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

const TABLE: &str = include_str!("fields.txt");

/// What a field of an object type holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Holds {
    Leaf,
    Object(&'static str),
    List(&'static str),
}

type Schema = HashMap<&'static str, Vec<(&'static str, Holds)>>;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| parse_table(TABLE))
}

/// Kueue's objects and configuration (`src/input/kueue/fields.txt`, written by hand from
/// kubernetes-sigs/kueue `apis/kueue/v1beta{1,2}` and `apis/config/v1beta2`), over the
/// Kubernetes types they hold (`ObjectMeta`, `LabelSelector`, `Toleration`).
fn kueue_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut s = parse_table(TABLE);
        s.extend(parse_table(KUEUE_TABLE));
        s
    })
}

const KUEUE_TABLE: &str = include_str!("../kueue/fields.txt");

fn parse_table(table: &'static str) -> Schema {
    let mut out = Schema::new();
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (ty, fields) = line.split_once(": ").expect("fields.txt: `Type: fields`");
        let fields = fields
            .split(' ')
            .map(|f| match f.split_once(':') {
                None => (f, Holds::Leaf),
                Some((name, inner)) => match inner.strip_prefix('[') {
                    Some(list) => (name, Holds::List(list.trim_end_matches(']'))),
                    None => (name, Holds::Object(inner)),
                },
            })
            .collect();
        out.insert(ty, fields);
    }
    out
}

/// A field of a manifest that no Kubernetes or JobSet type defines at its place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UndefinedField {
    /// Kubernetes-style path, `spec.replicatedJobs[0].template.spec.paralelism`.
    pub path: String,
    /// The object type that has no such field (`JobSpec`).
    pub in_type: &'static str,
    /// The defined field nearest in spelling, when one is near enough to be a likely typo.
    pub suggestion: Option<&'static str>,
    /// Who defines the fields besides Kubernetes: `JobSet` or `Kueue`.
    pub by: &'static str,
}

impl UndefinedField {
    /// `unknown field "paralelism" in a JobSpec; did you mean "parallelism"?`
    pub(crate) fn message(&self) -> String {
        let name = self.path.rsplit('.').next().unwrap_or(&self.path);
        let mut m = format!(
            "unknown field {name:?}: neither Kubernetes nor {} defines it in a {}",
            self.by,
            self.in_type.trim_start_matches("v1beta1.")
        );
        if let Some(s) = self.suggestion {
            m.push_str(&format!("; did you mean {s:?}?"));
        }
        m
    }
}

/// Every field of a JobSet document (a YAML mapping) that its schema does not define, in
/// document order.
pub(crate) fn undefined_in_jobset(doc: &Value) -> Vec<UndefinedField> {
    let mut out = vec![];
    let walker = Walker {
        schema: schema(),
        by: "JobSet",
    };
    walker.walk(doc, "JobSet", "", &mut out);
    out
}

/// Every field of a Kueue document that the table does not define for `root` (a line of
/// `kueue/fields.txt`: `ClusterQueue`, `v1beta1.ClusterQueue`, `Configuration`, ...).
pub(crate) fn undefined_in_kueue(doc: &Value, root: &str) -> Vec<UndefinedField> {
    let mut out = vec![];
    let walker = Walker {
        schema: kueue_schema(),
        by: "Kueue",
    };
    if let Some((ty, _)) = kueue_schema().get_key_value(root) {
        walker.walk(doc, ty, "", &mut out);
    }
    out
}

struct Walker {
    schema: &'static Schema,
    by: &'static str,
}

impl Walker {
    fn walk(&self, value: &Value, ty: &'static str, path: &str, out: &mut Vec<UndefinedField>) {
        let Some(map) = value.as_mapping() else {
            return; // a type error, reported by the typed parser
        };
        let Some(fields) = self.schema.get(ty) else {
            return;
        };
        for (key, child) in map {
            let name = match key {
                Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            let child_path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            match fields.iter().find(|(f, _)| *f == name) {
                None => out.push(UndefinedField {
                    suggestion: nearest(&name, fields.iter().map(|(f, _)| *f)),
                    path: child_path,
                    in_type: ty,
                    by: self.by,
                }),
                Some((_, Holds::Leaf)) => {}
                Some((_, Holds::Object(inner))) => self.walk(child, inner, &child_path, out),
                Some((_, Holds::List(inner))) => {
                    for (i, item) in child.as_sequence().into_iter().flatten().enumerate() {
                        self.walk(item, inner, &format!("{child_path}[{i}]"), out);
                    }
                }
            }
        }
    }
}

/// The candidate nearest to `name` by edit distance (case differences cost nothing), if it is
/// within a third of the name's length (at least 2 edits): close enough to be a typo.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

static WARN_ONLY: AtomicBool = AtomicBool::new(false);

/// `--validate`: what an undefined field does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldValidation {
    /// An error (exit 2), as kubectl's default.
    Strict,
    /// A warning on stderr; the field is ignored. For generated manifests.
    Warn,
}

impl std::str::FromStr for FieldValidation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "strict" => Ok(FieldValidation::Strict),
            "warn" => Ok(FieldValidation::Warn),
            _ => Err(format!("{s:?}: expected strict or warn")),
        }
    }
}

/// Sets the process's field validation; the command line calls it once, before reading input.
pub(crate) fn set_field_validation(mode: FieldValidation) {
    WARN_ONLY.store(mode == FieldValidation::Warn, Ordering::Relaxed);
}

pub(crate) fn field_validation() -> FieldValidation {
    if WARN_ONLY.load(Ordering::Relaxed) {
        FieldValidation::Warn
    } else {
        FieldValidation::Strict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn undefined(yaml: &str) -> Vec<UndefinedField> {
        undefined_in_jobset(&serde_yaml_ng::from_str(yaml).unwrap())
    }

    const JS: &str = "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: a, labels: {anything: goes}}\nspec:\n  failurePolicy: {maxRestarts: 1}\n  replicatedJobs:\n  - name: w\n    template:\n      spec:\n        parallelism: 2\n        template:\n          spec:\n            containers:\n            - name: c\n              image: busybox\n              resources: {requests: {cpu: 1, example.com/gpu: 2}}\n              env: [{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n";

    #[test]
    fn every_table_type_named_by_a_field_exists() {
        for s in [schema(), kueue_schema()] {
            for (ty, fields) in s {
                for (f, holds) in fields {
                    if let Holds::Object(t) | Holds::List(t) = holds {
                        assert!(s.contains_key(t), "{ty}.{f} holds {t}, which has no line");
                    }
                }
            }
            assert!(s.len() > 100, "{} types", s.len());
        }
    }

    #[test]
    fn a_valid_jobset_has_no_undefined_field() {
        assert_eq!(undefined(JS), vec![]);
    }

    #[test]
    fn typos_are_found_with_their_path_and_nearest_name() {
        let found = undefined(
            &JS.replace("parallelism", "paralelism")
                .replace("maxRestarts", "maxRestart")
                .replace("fieldPath", "fieldPth"),
        );
        let got: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|u| (u.path.as_str(), u.suggestion))
            .collect();
        assert_eq!(
            got,
            vec![
                ("spec.failurePolicy.maxRestart", Some("maxRestarts")),
                ("spec.replicatedJobs[0].template.spec.paralelism", Some("parallelism")),
                (
                    "spec.replicatedJobs[0].template.spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPth",
                    Some("fieldPath")
                ),
            ]
        );
        assert_eq!(
            found[1].message(),
            "unknown field \"paralelism\": neither Kubernetes nor JobSet defines it in a JobSpec; did you mean \"parallelism\"?"
        );
    }

    #[test]
    fn a_name_far_from_every_field_gets_no_suggestion() {
        let found = undefined(&JS.replace("parallelism: 2", "parallelism: 2\n        flavour: x"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].suggestion, None);
        assert_eq!(found[0].in_type, "JobSpec");
    }

    #[test]
    fn case_differences_are_typos_too() {
        assert_eq!(
            nearest("BackoffLimit", ["backoffLimit", "completions"].into_iter()),
            Some("backoffLimit")
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}

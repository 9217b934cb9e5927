//! `jobset-sim check BASELINE.json`: re-run the scenario a stored summary came from (its
//! `scenario` name and `seed`) and compare field by field. Runs are deterministic, so the default
//! is exact equality; `wall_ms` is the one key that legitimately differs and is skipped. A key
//! the fresh summary has and the baseline lacks is reported as a note, not a failure, so adding
//! a field to summary.json does not break every baseline at once.

use crate::fieldpath::{FieldPath, Seg};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Keys that differ between two runs of the same scenario and seed.
const IGNORED: &[&str] = &["wall_ms"];

/// `--tolerance REL` (every number) or `--tolerance PATH=REL` (numbers at or under PATH): the
/// largest relative difference |a − b| / max(|a|, |b|) still counted as the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerance {
    pub path: Option<FieldPath>,
    pub rel: f64,
}

impl Tolerance {
    pub fn parse(text: &str) -> Result<Tolerance, String> {
        let (path, rel) = match text.rsplit_once('=') {
            Some((p, r)) => (Some(FieldPath::parse(p.trim())?), r),
            None => (None, text),
        };
        let rel: f64 = rel
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| {
                format!("{text:?}: expected REL or PATH=REL with REL a number >= 0, e.g. 0.01")
            })?;
        Ok(Tolerance { path, rel })
    }
}

#[derive(Debug, Default, PartialEq)]
pub struct Diff {
    /// Differences that fail the check.
    pub differences: Vec<String>,
    /// Keys new since the baseline.
    pub notes: Vec<String>,
}

pub fn diff(baseline: &Value, fresh: &Value, tolerances: &[Tolerance]) -> Diff {
    let mut d = Diff::default();
    walk(&mut FieldPath(vec![]), baseline, fresh, tolerances, &mut d);
    d
}

fn walk(path: &mut FieldPath, base: &Value, fresh: &Value, tols: &[Tolerance], d: &mut Diff) {
    match (base, fresh) {
        (Value::Object(b), Value::Object(f)) => {
            for (k, bv) in b {
                if path.0.is_empty() && IGNORED.contains(&k.as_str()) {
                    continue;
                }
                path.0.push(Seg::Key(k.clone()));
                match f.get(k) {
                    Some(fv) => walk(path, bv, fv, tols, d),
                    None => d
                        .differences
                        .push(format!("{path}: baseline {bv}, now absent")),
                }
                path.0.pop();
            }
            for k in f.keys().filter(|k| !b.contains_key(*k)) {
                path.0.push(Seg::Key(k.clone()));
                d.notes
                    .push(format!("{path}: new key, not in the baseline (ignored)"));
                path.0.pop();
            }
        }
        (Value::Array(b), Value::Array(f)) => {
            if b.len() != f.len() {
                d.differences.push(format!(
                    "{path}: baseline {} entries, now {}",
                    b.len(),
                    f.len()
                ));
            }
            for (i, (bv, fv)) in b.iter().zip(f).enumerate() {
                path.0.push(Seg::Index(i));
                walk(path, bv, fv, tols, d);
                path.0.pop();
            }
        }
        (Value::Number(b), Value::Number(f)) => {
            let same = b == f || {
                let (x, y) = (
                    b.as_f64().unwrap_or(f64::NAN),
                    f.as_f64().unwrap_or(f64::NAN),
                );
                let rel = tolerance_at(path, tols);
                (x - y).abs() <= rel * x.abs().max(y.abs())
            };
            if !same {
                d.differences.push(format!("{path}: baseline {b}, now {f}"));
            }
        }
        (b, f) if b != f => d.differences.push(format!("{path}: baseline {b}, now {f}")),
        _ => {}
    }
}

/// The most specific tolerance that covers `path`; 0 (exact) when none does.
fn tolerance_at(path: &FieldPath, tols: &[Tolerance]) -> f64 {
    tols.iter()
        .filter(|t| t.path.as_ref().is_none_or(|p| path.starts_with(p)))
        .max_by_key(|t| t.path.as_ref().map_or(0, |p| p.0.len() + 1))
        .map_or(0.0, |t| t.rel)
}

/// The scenario file under `root` (searched recursively, in name order) whose file stem is
/// `name`; the caller checks that its `name:` matches.
pub fn find_scenario(root: &Path, name: &str) -> Option<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    let mut found = vec![];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml")
                && p.file_stem().is_some_and(|s| s == name)
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_summaries_differ_only_in_wall_time() {
        let a = json!({"wall_ms": 3, "events": 10, "jobsets": [{"restarts": 1}]});
        let b = json!({"wall_ms": 9, "events": 10, "jobsets": [{"restarts": 1}]});
        assert_eq!(diff(&a, &b, &[]), Diff::default());
    }

    #[test]
    fn reports_each_differing_field() {
        let a = json!({"events": 10, "jobsets": [{"restarts": 1, "name": "x"}], "gone": 1});
        let b = json!({"events": 11, "jobsets": [{"restarts": 2, "name": "x"}], "new": 1});
        let d = diff(&a, &b, &[]);
        assert_eq!(
            d.differences,
            vec![
                "events: baseline 10, now 11",
                "gone: baseline 1, now absent",
                "jobsets[0].restarts: baseline 1, now 2",
            ]
        );
        assert_eq!(d.notes, vec!["new: new key, not in the baseline (ignored)"]);
    }

    #[test]
    fn tolerances_apply_by_path() {
        let a = json!({"x": 100.0, "y": {"z": 100.0}});
        let b = json!({"x": 100.5, "y": {"z": 100.5}});
        let all = Tolerance::parse("0.01").unwrap();
        assert!(diff(&a, &b, std::slice::from_ref(&all))
            .differences
            .is_empty());
        let y_exact = Tolerance::parse("y=0").unwrap();
        assert_eq!(
            diff(&a, &b, &[all, y_exact]).differences,
            vec!["y.z: baseline 100.0, now 100.5"]
        );
        assert!(Tolerance::parse("x=-1").is_err());
        assert!(Tolerance::parse("lots").is_err());
    }
}

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

/// Top-level keys that say what made a summary rather than what happened in the run: a
/// difference in them is a note (see `identity_notes`), never a failure.
const IDENTITY: &[&str] = &["tool_version", "schema_version", "scenario_hash"];

/// `--tolerance REL` (every number) or `--tolerance PATH=REL` (numbers at or under PATH): the
/// largest relative difference |a − b| / max(|a|, |b|) still counted as the same.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tolerance {
    pub path: Option<FieldPath>,
    pub rel: f64,
}

impl Tolerance {
    pub(crate) fn parse(text: &str) -> Result<Tolerance, String> {
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

/// Why `--tolerance PATH=REL` would apply to nothing: its path names no field of any of the
/// `summaries` (the baselines it is checked against). The message names the first step that
/// exists nowhere and the nearest path that does: the typo corrected (the manifest loader's
/// "did you mean", `api::fields::nearest`), the last entry of a list indexed past its end, or
/// else the fields there are.
pub(crate) fn unknown_tolerance_path(path: &FieldPath, summaries: &[&Value]) -> Option<String> {
    if summaries.iter().any(|s| path.get_json(s).is_some()) {
        return None;
    }
    // The longest prefix some summary has, and what each such summary holds there.
    let depth_in = |s: &Value| {
        (0..path.0.len())
            .take_while(|&d| FieldPath(path.0[..=d].to_vec()).get_json(s).is_some())
            .count()
    };
    let depth = summaries.iter().map(|s| depth_in(s)).max().unwrap_or(0);
    let known = FieldPath(path.0[..depth].to_vec());
    let there: Vec<&Value> = (summaries.iter())
        .filter_map(|s| known.get_json(s))
        .collect();
    let mut keys: Vec<&str> = there
        .iter()
        .filter_map(|v| v.as_object())
        .flat_map(|o| o.keys().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let longest_list = there
        .iter()
        .filter_map(|v| v.as_array())
        .map(Vec::len)
        .max();
    let with = |seg: Seg| {
        let mut p = known.clone();
        p.0.push(seg);
        p
    };
    let entries = |n: usize| {
        if n == 1 {
            "1 entry".to_string()
        } else {
            format!("{n} entries")
        }
    };
    let hint = match (&path.0[depth], longest_list) {
        (Seg::Key(k), _) => crate::api::fields::nearest(k, keys.iter().copied()).map(|near| {
            format!(
                "did you mean {:?}?",
                with(Seg::Key(near.into())).to_string()
            )
        }),
        (Seg::Index(_), Some(n)) if n > 0 => Some(format!(
            "{known} has {}; did you mean {:?}?",
            entries(n),
            with(Seg::Index(n - 1)).to_string()
        )),
        _ => None,
    };
    let hint = hint.unwrap_or_else(|| match (keys.is_empty(), longest_list) {
        (false, _) if depth == 0 => format!("the top-level fields are {}", keys.join(", ")),
        (false, _) => format!("the fields under {known} are {}", keys.join(", ")),
        (true, Some(n)) if n > 0 => format!("{known} is a list of {}", entries(n)),
        _ => format!("{known} holds no fields"),
    });
    let missing = with(path.0[depth].clone());
    let not_there = if depth + 1 == path.0.len() {
        String::new()
    } else {
        format!(" ({missing} is not there)")
    };
    Some(format!(
        "{path:?} names no field of the baseline summaries{not_there}, so the tolerance would \
         apply to nothing; {hint}",
        path = path.to_string()
    ))
}

#[derive(Debug, Default, PartialEq)]
pub(crate) struct Diff {
    /// Differences that fail the check.
    pub differences: Vec<String>,
    /// Keys new since the baseline.
    pub notes: Vec<String>,
}

pub(crate) fn diff(baseline: &Value, fresh: &Value, tolerances: &[Tolerance]) -> Diff {
    let mut d = Diff {
        notes: identity_notes(baseline, fresh),
        ..Diff::default()
    };
    walk(&mut FieldPath(vec![]), baseline, fresh, tolerances, &mut d);
    d
}

fn walk(path: &mut FieldPath, base: &Value, fresh: &Value, tols: &[Tolerance], d: &mut Diff) {
    match (base, fresh) {
        (Value::Object(b), Value::Object(f)) => {
            for (k, bv) in b {
                if path.0.is_empty()
                    && (IGNORED.contains(&k.as_str()) || IDENTITY.contains(&k.as_str()))
                {
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
            let top = path.0.is_empty();
            let new_keys = f.keys().filter(|k| !b.contains_key(*k));
            for k in new_keys.filter(|k| !(top && IDENTITY.contains(&k.as_str()))) {
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

/// Notes on who made the two summaries: a baseline older than summary versions, another
/// schema or tool version, or a scenario edited since the baseline was stored.
fn identity_notes(baseline: &Value, fresh: &Value) -> Vec<String> {
    let mut notes = vec![];
    let schema = |v: &Value| v.get("schema_version").and_then(Value::as_u64);
    match (schema(baseline), schema(fresh)) {
        (None, Some(_)) => notes.push(
            "the baseline predates summary versions (no tool_version, schema_version, \
             scenario_hash); compared field by field"
                .to_string(),
        ),
        (Some(b), Some(f)) if b != f => notes.push(format!(
            "the baseline is summary schema {b}, this jobset-sim writes {f}: renamed or removed \
             keys show as differences; refresh the baseline"
        )),
        _ => {}
    }
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    if let (Some(b), Some(f)) = (text(baseline, "tool_version"), text(fresh, "tool_version")) {
        if b != f {
            notes.push(format!(
                "the baseline was written by jobset-sim {b}, this is {f}"
            ));
        }
    }
    if let (Some(b), Some(f)) = (
        text(baseline, "scenario_hash"),
        text(fresh, "scenario_hash"),
    ) {
        if b != f {
            notes.push(format!(
                "the scenario changed since the baseline (scenario_hash {}…, now {}…): \
                 differences may come from the scenario, not the simulator",
                &b[..b.len().min(12)],
                &f[..f.len().min(12)]
            ));
        }
    }
    notes
}

/// The schema version a baseline declares (0 for summaries older than the key).
pub(crate) fn schema_of(baseline: &Value) -> u64 {
    baseline
        .get("schema_version")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// The most specific tolerance that covers `path`; 0 (exact) when none does.
fn tolerance_at(path: &FieldPath, tols: &[Tolerance]) -> f64 {
    tols.iter()
        .filter(|t| t.path.as_ref().is_none_or(|p| path.starts_with(p)))
        .max_by_key(|t| t.path.as_ref().map_or(0, |p| p.0.len() + 1))
        .map_or(0.0, |t| t.rel)
}

/// The scenario file under `root` (searched recursively, in name order) whose file stem is
/// `name`; the caller checks that its `name:` matches. `manifests/` folders hold JobSet
/// manifests, not scenarios, and are skipped.
pub(crate) fn find_scenario(root: &Path, name: &str) -> Option<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    let mut found = vec![];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "manifests") {
                    stack.push(p);
                }
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
    fn identity_keys_are_notes_not_differences() {
        let old = json!({"events": 10});
        let new = json!({"tool_version": "0.2.0", "schema_version": 1,
                         "scenario_hash": "abc", "events": 10});
        let d = diff(&old, &new, &[]);
        assert!(d.differences.is_empty(), "{d:?}");
        assert_eq!(d.notes.len(), 1, "{d:?}");
        assert!(d.notes[0].contains("predates"), "{d:?}");
        let other = json!({"tool_version": "0.1.0", "schema_version": 1,
                           "scenario_hash": "abd", "events": 10});
        let d = diff(&other, &new, &[]);
        assert!(d.differences.is_empty(), "{d:?}");
        assert!(
            d.notes
                .iter()
                .any(|n| n.contains("jobset-sim 0.1.0, this is 0.2.0")),
            "{d:?}"
        );
        assert!(
            d.notes.iter().any(|n| n.contains("scenario changed")),
            "{d:?}"
        );
        assert_eq!(schema_of(&old), 0);
        assert_eq!(schema_of(&new), 1);
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

    #[test]
    fn a_tolerance_path_must_name_a_field() {
        let a = json!({"recovery": [{"pods_per_s": 1.0}], "pods": {"created": 3}});
        let b = json!({"recovery": [{"pods_per_s": 1.0}, {"pods_per_s": 2.0}]});
        let unknown = |p: &str| unknown_tolerance_path(&FieldPath::parse(p).unwrap(), &[&a, &b]);
        // Any summary having it is enough.
        assert_eq!(unknown("recovery[1].pods_per_s"), None);
        assert_eq!(unknown("pods"), None);
        let hint = |p: &str| {
            unknown(p)
                .unwrap()
                .split("apply to nothing; ")
                .last()
                .unwrap()
                .to_string()
        };
        assert_eq!(hint("recovry"), "did you mean \"recovery\"?");
        assert_eq!(hint("pods.create"), "did you mean \"pods.created\"?");
        assert_eq!(
            hint("recovery[5]"),
            "recovery has 2 entries; did you mean \"recovery[1]\"?"
        );
        assert_eq!(hint("zzz"), "the top-level fields are pods, recovery");
        assert_eq!(hint("pods.created.x"), "pods.created holds no fields");
        assert_eq!(
            unknown("pods.x.y").unwrap(),
            "\"pods.x.y\" names no field of the baseline summaries (pods.x is not there), so \
             the tolerance would apply to nothing; the fields under pods are created"
        );
    }
}

//! Edits of a scenario's parsed YAML: one axis value set at one field path. Missing mapping
//! keys are created (an optional field such as `controlPlane.jobsetController` may be absent
//! from the base), list indexes must exist; whether the field is one a scenario may have is
//! left to the scenario loader, so a sweep cell is checked exactly like a scenario file.

use crate::fieldpath::{FieldPath, Seg};
use crate::scenario::Scenario;
use serde_yaml_ng::{Mapping, Value};
use std::path::Path;

/// Sets `path` in `doc` to `value`.
pub(crate) fn set(doc: &mut Value, path: &FieldPath, value: Value) -> Result<(), String> {
    let mut cur = doc;
    for (depth, seg) in path.0.iter().enumerate() {
        let last = depth + 1 == path.0.len();
        let here = FieldPath(path.0[..depth].to_vec());
        let shown = if depth == 0 {
            "the scenario".to_string()
        } else {
            here.to_string()
        };
        cur = match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Mapping(Mapping::new());
                }
                let what = if cur.is_sequence() {
                    "a list"
                } else {
                    "a single value"
                };
                let map = cur
                    .as_mapping_mut()
                    .ok_or_else(|| format!("{shown} is {what}, not a mapping"))?;
                let key = Value::String(k.clone());
                if last {
                    map.insert(key, value);
                    return Ok(());
                }
                if !map.contains_key(&key) {
                    map.insert(key.clone(), Value::Null);
                }
                map.get_mut(&key).expect("just inserted")
            }
            Seg::Index(n) => {
                let seq = cur
                    .as_sequence_mut()
                    .ok_or_else(|| format!("{shown} is not a list, so [{n}] does not exist"))?;
                let len = seq.len();
                let item = seq
                    .get_mut(*n)
                    .ok_or_else(|| format!("{shown} has {len} entries, so [{n}] does not exist"))?;
                if last {
                    *item = value;
                    return Ok(());
                }
                item
            }
        };
    }
    Err("the path is empty".into())
}

/// When `path` goes into `workloads[i].jobset` of a workload that names a `manifest:` file,
/// replaces the reference by the manifest's JobSet written inline, so the edit has something to
/// land on. Only single-document manifests can be inlined (the axis would otherwise be
/// ambiguous).
pub(crate) fn inline_manifest_for(
    doc: &mut Value,
    path: &FieldPath,
    base_dir: &Path,
) -> Result<(), String> {
    let i = match path.0.as_slice() {
        [Seg::Key(w), Seg::Index(i), Seg::Key(j), ..] if w == "workloads" && j == "jobset" => *i,
        _ => return Ok(()),
    };
    let Some(workload) = doc
        .get_mut("workloads")
        .and_then(|w| w.as_sequence_mut())
        .and_then(|s| s.get_mut(i))
        .and_then(|w| w.as_mapping_mut())
    else {
        return Ok(()); // `set` reports the missing workload.
    };
    if workload.contains_key("jobset") {
        return Ok(());
    }
    let Some(rel) = workload
        .get("manifest")
        .and_then(|m| m.as_str())
        .map(str::to_string)
    else {
        return Ok(());
    };
    let file = base_dir.join(&rel);
    let shown = file.display().to_string();
    let text = crate::source::read_text(&file)
        .map_err(|e| format!("workloads[{i}].manifest: cannot read {shown}: {e}"))?;
    let docs: Vec<Value> = crate::yaml::documents(&shown, &text)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|d| !d.is_null())
        .collect();
    if docs.len() != 1 {
        return Err(format!(
            "workloads[{i}] takes its JobSets from {shown}, which holds {} documents; a sweep \
             can only edit a manifest of one JobSet: write the JobSet inline under `jobset:`",
            docs.len()
        ));
    }
    workload.remove("manifest");
    workload.insert(
        Value::String("jobset".into()),
        docs.into_iter().next().unwrap(),
    );
    Ok(())
}

/// Why an edit at `path` (an axis or `--set`) changes nothing: it lies on a field of an inline
/// JobSet that jobset-sim does not model. `file` is the name the edited scenario loaded under.
pub(crate) fn unmodelled_edit(path: &FieldPath, s: &Scenario, file: &str) -> Option<String> {
    let [Seg::Key(w), Seg::Index(i), Seg::Key(j), rest @ ..] = path.0.as_slice() else {
        return None;
    };
    if w != "workloads" || j != "jobset" {
        return None;
    }
    let rest = FieldPath(rest.to_vec());
    let source = format!("{file} (workloads[{i}].jobset)");
    for wl in s.workloads.iter().filter(|wl| wl.source == source) {
        for u in &wl.unknown_fields {
            if FieldPath::parse(u).is_ok_and(|up| rest.starts_with(&up)) {
                return Some(format!(
                    "no such field in a JobSet that jobset-sim models: {u} (check the spelling)"
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap()
    }

    #[test]
    fn sets_existing_and_new_fields() {
        let mut d = yaml("a: {b: 1}\nl: [{x: 1}, {x: 2}]\n");
        set(&mut d, &FieldPath::parse("a.b").unwrap(), Value::from(5)).unwrap();
        set(
            &mut d,
            &FieldPath::parse("a.c.d").unwrap(),
            Value::from("new"),
        )
        .unwrap();
        set(&mut d, &FieldPath::parse("l[1].x").unwrap(), Value::from(9)).unwrap();
        assert_eq!(d, yaml("a: {b: 5, c: {d: new}}\nl: [{x: 1}, {x: 9}]\n"));
    }

    #[test]
    fn refuses_missing_indexes_and_scalars() {
        let mut d = yaml("a: 1\nl: [1]\n");
        let e = set(&mut d, &FieldPath::parse("l[3]").unwrap(), Value::from(0)).unwrap_err();
        assert!(e.contains("has 1 entries"), "{e}");
        let e = set(&mut d, &FieldPath::parse("a.b").unwrap(), Value::from(0)).unwrap_err();
        assert!(e.contains("not a mapping"), "{e}");
        let e = set(&mut d, &FieldPath::parse("a[0]").unwrap(), Value::from(0)).unwrap_err();
        assert!(e.contains("not a list"), "{e}");
    }
}

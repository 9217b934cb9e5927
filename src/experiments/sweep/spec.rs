//! The sweep file (`docs/sweeps.md`): a base scenario, axes of field-path edits and seeds,
//! resolved into cells — each a scenario loaded by the normal loader, so a cell is validated
//! exactly like a scenario file.

use crate::edit::{self, unmodelled_edit};
use crate::error::{InputError, SimError};
use crate::fieldpath::{FieldPath, Seg};
use crate::scenario::{load_scenario_from_str, Scenario};
use serde::Deserialize;
use serde_yaml_ng::Value;
use sha1::{Digest, Sha1};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// More runs than this is a typo in a seed count, not a sweep.
pub(crate) const MAX_RUNS: usize = 1_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    #[serde(default)]
    #[allow(dead_code)] // Free text for the reader of the file.
    description: Option<String>,
    /// Base scenario, relative to the sweep file.
    scenario: String,
    seeds: Seeds,
    #[serde(default)]
    axes: Vec<AxisSection>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Seeds {
    Count(u64),
    List(Vec<u64>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AxisSection {
    /// Field path into the scenario, e.g. `workloads[0].jobset.spec.failurePolicy.maxRestarts`.
    path: String,
    /// Column name in the outputs; the path by default.
    #[serde(default)]
    name: Option<String>,
    values: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub name: String,
    pub path: FieldPath,
    pub values: Vec<Value>,
    /// Line of the axis' `path:` in the sweep file, for errors.
    pub line: Option<usize>,
}

/// One combination of axis values, loaded.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub id: String,
    /// One printed value per axis, as in runs.csv.
    pub values: Vec<String>,
    pub scenario: Scenario,
    /// `notice:` and `warning:` lines of this cell that the base scenario does not have (a
    /// warning only some axis value causes).
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Sweep {
    pub file: String,
    pub base: String,
    pub axes: Vec<Axis>,
    pub seeds: Vec<u64>,
    pub cells: Vec<Cell>,
    /// SHA-1 of everything that determines the results (every cell's scenario, the manifests
    /// it reads, the seeds): resumed and merged runs must come from the same sweep.
    pub hash: String,
    /// `notice:` and `warning:` lines of the base scenario, located in its file (each cell
    /// has its own besides, in `Cell::warnings`).
    pub warnings: Vec<String>,
}

impl Sweep {
    /// Every `notice:` and `warning:` line: the base scenario's, then each cell's own.
    pub(crate) fn all_warnings(&self) -> Vec<String> {
        let cells = self.cells.iter().flat_map(|c| c.warnings.iter().cloned());
        self.warnings.iter().cloned().chain(cells).collect()
    }
}

/// Prints an axis value as runs.csv shows it: strings bare, everything else as JSON.
pub(crate) fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

/// Loads a sweep file (`-`: standard input); `sets` (`--set`) edit the base scenario before the
/// axes do.
pub(crate) fn load_sweep(path: &Path, sets: &[crate::source::Set]) -> Result<Sweep, SimError> {
    let (file, text, dir) = crate::source::read(path, "sweep file")?;
    let raw = crate::yaml::parse_document::<SweepFile>(&file, &text, 0, false)?.value;
    let dir = dir.as_path();
    let base_path: PathBuf = dir.join(&raw.scenario);
    let base = base_path.display().to_string();
    let err = |p: &str, m: String| InputError::new(&file, m).at_path(p);

    let seeds = match raw.seeds {
        Seeds::Count(0) => return Err(err("seeds", "must be at least 1".into()).into()),
        Seeds::Count(n) => (1..=n).collect::<Vec<_>>(),
        Seeds::List(l) if l.is_empty() => {
            return Err(err("seeds", "the list of seeds is empty".into()).into())
        }
        Seeds::List(l) => {
            let distinct: BTreeSet<_> = l.iter().collect();
            if distinct.len() != l.len() {
                return Err(err("seeds", "a seed is listed twice".into()).into());
            }
            l
        }
    };
    let mut axes = vec![];
    let mut names = BTreeSet::new();
    let mut from_line = 0;
    for (k, a) in raw.axes.into_iter().enumerate() {
        let line = crate::gates::find_line(&text, &a.path, from_line);
        from_line = line.unwrap_or(from_line);
        let located = |e: InputError| match line {
            Some(l) => e.at_line(l, 1),
            None => e,
        };
        let fp =
            FieldPath::parse(&a.path).map_err(|m| located(err(&format!("axes[{k}].path"), m)))?;
        if a.values.is_empty() {
            return Err(located(err(&format!("axes[{k}].values"), "no values".into())).into());
        }
        let name = a.name.unwrap_or_else(|| a.path.clone());
        if !names.insert(name.clone()) || name == "cell" || name == "seed" {
            return Err(located(err(
                &format!("axes[{k}]"),
                format!("two columns would be named {name:?}: give the axis another `name:`"),
            ))
            .into());
        }
        axes.push(Axis {
            name,
            path: fp,
            values: a.values,
            line,
        });
    }
    let n_cells = axes.iter().map(|a| a.values.len()).product::<usize>();
    if n_cells.saturating_mul(seeds.len()) > MAX_RUNS {
        return Err(err(
            "axes",
            format!(
                "{n_cells} cells × {} seeds is more than {MAX_RUNS} runs",
                seeds.len()
            ),
        )
        .into());
    }

    // The base must load on its own, so its errors read as they would for `run`.
    let base_scenario = crate::source::load_scenario_with(&base_path, sets)?;
    let warnings = base_scenario.warnings();
    // A cell repeats the base's warnings with its own figures: one line per field suffices.
    let said = |n: &crate::scenario::Note| (n.level, n.at.path.clone());
    let base_notes: Vec<_> = base_scenario.notes.iter().map(said).collect();
    let base_text = std::fs::read_to_string(&base_path)
        .map_err(|e| InputError::new(&base, format!("cannot read scenario: {e}")))?;
    let base_dir = base_path.parent().unwrap_or(Path::new("."));
    let base_text = crate::source::apply(&base, &base_text, base_dir, sets)?;
    let base_doc: Value =
        serde_yaml_ng::from_str(&base_text).map_err(|e| crate::yaml::yaml_error(&base, e, ""))?;

    let mut hasher = Sha1::new();
    hasher.update(format!(
        "jobset-sim sweep 1 {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    hasher.update(format!("seeds {seeds:?}\n"));
    for a in &axes {
        hasher.update(format!("axis {} {}\n", a.name, a.path));
    }
    let mut cells = vec![];
    for c in 0..n_cells {
        let choice = choice_of(c, &axes);
        let id = format!("c{c}");
        let values: Vec<String> = axes
            .iter()
            .zip(&choice)
            .map(|(a, &v)| show_value(&a.values[v]))
            .collect();
        let label = axes
            .iter()
            .zip(&values)
            .map(|(a, v)| format!("{}={v}", a.name))
            .collect::<Vec<_>>()
            .join(", ");
        let in_cell = |k: Option<usize>, e: String| {
            let mut out = InputError::new(&file, format!("cell {id} ({label}): {e}"));
            if let Some(k) = k {
                out = out.at_path(format!("axes[{k}] {}", axes[k].path));
                if let Some(l) = axes[k].line {
                    out = out.at_line(l, 1);
                }
            }
            out
        };
        let mut doc = base_doc.clone();
        for (k, (a, &v)) in axes.iter().zip(&choice).enumerate() {
            edit::inline_manifest_for(&mut doc, &a.path, base_dir)
                .and_then(|()| edit::set(&mut doc, &a.path, a.values[v].clone()))
                .map_err(|m| in_cell(Some(k), m))?;
        }
        let rendered = serde_yaml_ng::to_string(&doc)
            .map_err(|e| SimError::Internal(format!("rendering cell {id}: {e}")))?;
        let cell_file = format!("{base} [sweep cell {id}]");
        let scenario = match load_scenario_from_str(&cell_file, &rendered, base_dir) {
            Ok(s) => s,
            Err(SimError::Input(errors)) => {
                // Stop at the first bad cell: the others would mostly repeat its errors.
                let errors = errors
                    .into_iter()
                    .map(|mut e| {
                        // Lines point into our rendering of the cell, not a file the user has.
                        e.line = None;
                        e.column = None;
                        let k = related_axis(&axes, &e, &cell_file);
                        in_cell(k, e.to_string())
                    })
                    .collect();
                return Err(SimError::Input(errors));
            }
            Err(e) => return Err(e),
        };
        check_modelled(&axes, &scenario, &cell_file).map_err(|(k, m)| in_cell(Some(k), m))?;
        let mut cell_warnings = vec![];
        for n in scenario
            .notes
            .iter()
            .filter(|n| !base_notes.contains(&said(n)))
        {
            let mut n = n.clone();
            // Lines point into our rendering of the cell, not a file the user has.
            (n.at.line, n.at.column) = (None, None);
            n.at.file = format!("{cell_file} ({label})");
            cell_warnings.push(n.to_string());
        }
        hasher.update(format!("cell {id}\n{rendered}\n"));
        for m in manifests_of(&doc) {
            let text = std::fs::read(base_dir.join(&m)).unwrap_or_default();
            hasher.update(format!("manifest {m} {}\n", text.len()));
            hasher.update(&text);
        }
        cells.push(Cell {
            id,
            values,
            scenario,
            warnings: cell_warnings,
        });
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Sweep {
        file,
        base,
        axes,
        seeds,
        cells,
        hash,
        warnings,
    })
}

/// Axis value indexes of cell `c`: the first axis varies slowest, like nested loops.
fn choice_of(mut c: usize, axes: &[Axis]) -> Vec<usize> {
    let mut out = vec![0; axes.len()];
    for (k, a) in axes.iter().enumerate().rev() {
        out[k] = c % a.values.len();
        c /= a.values.len();
    }
    out
}

/// The axis an error of a cell's scenario is about, if any: its field path lies on the
/// axis' path, or it is an error inside the JobSet the axis edits.
fn related_axis(axes: &[Axis], e: &crate::error::InputError, cell_file: &str) -> Option<usize> {
    let epath = e.path.as_deref().and_then(|p| FieldPath::parse(p).ok());
    axes.iter().position(|a| {
        if let Some(ep) = &epath {
            if e.file == cell_file && (a.path.starts_with(ep) || ep.starts_with(&a.path)) {
                return true;
            }
        }
        match a.path.0.as_slice() {
            [Seg::Key(w), Seg::Index(i), Seg::Key(j), rest @ ..]
                if w == "workloads" && j == "jobset" =>
            {
                e.file == format!("{cell_file} (workloads[{i}].jobset)")
                    && epath.as_ref().is_none_or(|ep| {
                        let r = FieldPath(rest.to_vec());
                        r.starts_with(ep) || ep.starts_with(&r)
                    })
            }
            _ => false,
        }
    })
}

/// Manifest fields jobset-sim does not model are warnings for `run`; for a sweep axis they
/// mean the path names no field we know (a typo), which would make the axis do nothing.
fn check_modelled(axes: &[Axis], s: &Scenario, cell_file: &str) -> Result<(), (usize, String)> {
    for (k, a) in axes.iter().enumerate() {
        if let Some(m) = unmodelled_edit(&a.path, s, cell_file) {
            return Err((k, m));
        }
    }
    Ok(())
}

/// Manifest files a scenario document still refers to.
fn manifests_of(doc: &Value) -> Vec<String> {
    doc.get("workloads")
        .and_then(|w| w.as_sequence())
        .map(|ws| {
            ws.iter()
                .filter_map(|w| w.get("manifest")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys a struct accepts, as serde lists them when it refuses an unknown one.
    fn accepted_keys<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let err = serde_yaml_ng::from_str::<T>("not_a_key: 1")
            .unwrap_err()
            .to_string();
        let list = err
            .split("expected one of ")
            .nth(1)
            .expect("serde lists the keys");
        list.split(", ")
            .map(|k| k.split('`').nth(1).expect("a quoted key").to_string())
            .collect()
    }

    #[test]
    fn every_sweep_file_key_is_in_the_sweeps_doc() {
        let doc = include_str!("../../../docs/sweeps.md");
        let table = doc
            .split("| key | meaning |")
            .nth(1)
            .expect("the sweep file's key table");
        let first_cells: Vec<&str> = table
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.split('|').nth(1))
            .collect();
        let top = accepted_keys::<SweepFile>().into_iter();
        let axis = accepted_keys::<AxisSection>()
            .into_iter()
            .map(|k| format!("axes[].{k}"));
        let keys: Vec<String> = top.chain(axis).collect();
        assert!(keys.len() >= 6, "{keys:?}");
        for key in keys {
            // A list's key is documented by its items' keys (`axes[].path` documents `axes`).
            let (whole, list) = (format!("`{key}`"), format!("`{key}[]."));
            let documented = first_cells
                .iter()
                .any(|c| c.contains(&whole) || c.contains(&list));
            assert!(
                documented,
                "sweep file key {key} is not in docs/sweeps.md's key table"
            );
        }
    }

    #[test]
    fn first_axis_varies_slowest() {
        let axis = |n: usize| Axis {
            name: String::new(),
            path: FieldPath::parse("a").unwrap(),
            values: vec![Value::Null; n],
            line: None,
        };
        let axes = vec![axis(2), axis(3)];
        let all: Vec<_> = (0..6).map(|c| choice_of(c, &axes)).collect();
        assert_eq!(
            all,
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![0, 2],
                vec![1, 0],
                vec![1, 1],
                vec![1, 2]
            ]
        );
    }

    #[test]
    fn values_print_plainly() {
        assert_eq!(show_value(&Value::from("Recreate")), "Recreate");
        assert_eq!(show_value(&Value::from(3)), "3");
        assert_eq!(show_value(&Value::from(true)), "true");
        assert_eq!(show_value(&Value::from(0.5)), "0.5");
    }
}

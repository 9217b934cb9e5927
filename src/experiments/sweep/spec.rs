//! The sweep file (`docs/sweeps.md`): a base scenario, axes of field-path edits and seeds,
//! resolved into cells — each a scenario loaded by the normal loader, so a cell is validated
//! exactly like a scenario file.

use crate::edit::{self, unmodelled_edit};
use crate::error::{InputError, SimError};
use crate::fieldpath::{FieldPath, Seg};
use crate::scenario::{load_scenario_from_str, Note, NoteLevel, Scenario};
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

#[derive(Debug)]
enum Seeds {
    Count(u64),
    List(Vec<u64>),
}

impl<'de> Deserialize<'de> for Seeds {
    /// By hand rather than `untagged`, whose error ("did not match any variant") names neither
    /// form.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let expected = || {
            serde::de::Error::custom(
                "expected a count of seeds (seeds 1..=N) or a list of distinct seeds, \
                 like 20 or [1, 7, 42], each a whole number from 0 to 18446744073709551615",
            )
        };
        match Value::deserialize(d)? {
            Value::Number(n) => n.as_u64().map(Seeds::Count).ok_or_else(expected),
            Value::Sequence(list) => (list.iter())
                .map(|v| v.as_u64().ok_or_else(expected))
                .collect::<Result<_, _>>()
                .map(Seeds::List),
            _ => Err(expected()),
        }
    }
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
    let base_path: PathBuf = dir.as_path().join(&raw.scenario);
    let base = base_path.display().to_string();
    let seeds = seeds_of(&file, raw.seeds).map_err(|mut e| {
        crate::yaml::locate::fill(&mut e, &text, 0);
        e
    })?;
    let axes = axes_of(&file, &text, raw.axes)?;
    let n_cells = axes.iter().map(|a| a.values.len()).product::<usize>();
    if n_cells.saturating_mul(seeds.len()) > MAX_RUNS {
        let msg = format!(
            "{n_cells} cells × {} seeds is more than {MAX_RUNS} runs",
            seeds.len()
        );
        return Err(InputError::new(&file, msg).at_path("axes").into());
    }
    let base_dir = base_path.parent().unwrap_or(Path::new("."));
    let base_scenario = load_base(&base_path, &base, base_dir, sets)
        .map_err(|e| at_scenario_field(e, &file, &text, &base))?;
    let maker = CellMaker {
        file: &file,
        base: &base,
        base_dir,
        base_scenario: &base_scenario,
        axes: &axes,
    };
    let mut hasher = sweep_hasher(&seeds, &axes);
    let cells = (0..n_cells)
        .map(|c| maker.cell(c, &mut hasher))
        .collect::<Result<Vec<_>, _>>()?;
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
        warnings: base_scenario.warnings,
    })
}

/// The seeds each cell runs with: `1..=n` for a count, else the listed ones (distinct). A count
/// past [`MAX_RUNS`] is refused before its list is built, which alone could exhaust memory.
fn seeds_of(file: &str, seeds: Seeds) -> Result<Vec<u64>, InputError> {
    let err = |m: &str| InputError::new(file, m).at_path("seeds");
    match seeds {
        Seeds::Count(0) => Err(err("must be at least 1")),
        Seeds::Count(n) if n > MAX_RUNS as u64 => Err(err(&format!(
            "{n} seeds is more than the {MAX_RUNS} runs a sweep may make"
        ))),
        Seeds::Count(n) => Ok((1..=n).collect()),
        Seeds::List(l) if l.is_empty() => Err(err("the list of seeds is empty")),
        Seeds::List(l) if l.iter().collect::<BTreeSet<_>>().len() != l.len() => {
            Err(err("a seed is listed twice"))
        }
        Seeds::List(l) => Ok(l),
    }
}

/// The sweep's axes: paths parsed, located in the sweep file, column names unique.
fn axes_of(file: &str, text: &str, sections: Vec<AxisSection>) -> Result<Vec<Axis>, SimError> {
    let mut axes = vec![];
    let mut names = BTreeSet::new();
    let mut from_line = 0;
    for (k, a) in sections.into_iter().enumerate() {
        let line = crate::gates::find_line(text, &a.path, from_line);
        from_line = line.unwrap_or(from_line);
        let err = |p: String, m: String| {
            let e = InputError::new(file, m).at_path(p);
            match line {
                Some(l) => e.at_line(l, 1),
                None => e,
            }
        };
        let fp = FieldPath::parse(&a.path).map_err(|m| err(format!("axes[{k}].path"), m))?;
        if a.values.is_empty() {
            return Err(err(format!("axes[{k}].values"), "no values".into()).into());
        }
        let name = a.name.unwrap_or_else(|| a.path.clone());
        if !names.insert(name.clone()) || name == "cell" || name == "seed" {
            return Err(err(
                format!("axes[{k}]"),
                format!("two columns would be named {name:?}: give the axis another `name:`"),
            )
            .into());
        }
        axes.push(Axis {
            name,
            path: fp,
            values: a.values,
            line,
        });
    }
    Ok(axes)
}

/// The base scenario as every cell starts from it.
struct BaseScenario {
    /// Its YAML document, `--set` edits applied.
    doc: Value,
    /// Its notes by level and field path: a cell repeats the base's notes with its own
    /// figures, and one line per field suffices.
    notes: Vec<(NoteLevel, Option<String>)>,
    /// Its `notice:` and `warning:` lines, located in its file.
    warnings: Vec<String>,
}

/// What tells a note apart from the base scenario's: its level and field path.
fn note_key(n: &Note) -> (NoteLevel, Option<String>) {
    (n.level, n.at.path.clone())
}

/// Loads the base scenario (`base` is its path as shown) and its document, `sets` applied.
fn load_base(
    base_path: &Path,
    base: &str,
    base_dir: &Path,
    sets: &[crate::source::Set],
) -> Result<BaseScenario, SimError> {
    // The base must load on its own, so its errors read as they would for `run`.
    let base_scenario = crate::source::load_scenario_with(base_path, sets)?;
    let warnings = base_scenario.warnings();
    let notes = base_scenario.notes.iter().map(note_key).collect();
    let text = crate::source::read_text(base_path)
        .map_err(|e| InputError::new(base, format!("cannot read scenario: {e}")))?;
    let text = crate::source::apply(base, &text, base_dir, sets)?;
    let doc: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| crate::yaml::yaml_error(base, e, ""))?;
    Ok(BaseScenario {
        doc,
        notes,
        warnings,
    })
}

/// Errors of the base scenario `base` that its own file cannot place (it does not exist, is
/// not readable, is empty) point at the sweep file's `scenario:` field instead, which is what
/// names it; errors located in the scenario (or its manifests) already show their cause.
fn at_scenario_field(err: SimError, file: &str, text: &str, base: &str) -> SimError {
    let SimError::Input(errors) = err else {
        return err;
    };
    let errors = errors.into_iter().map(|e| {
        if e.line.is_some() || e.file != base {
            return e;
        }
        let mut moved = InputError::new(file, e.to_string()).at_path("scenario");
        crate::yaml::locate::fill(&mut moved, text, 0);
        moved
    });
    SimError::Input(errors.collect())
}

/// The sweep's hash before its cells: the version, the seeds, the axes.
fn sweep_hasher(seeds: &[u64], axes: &[Axis]) -> Sha1 {
    let mut hasher = Sha1::new();
    hasher.update(format!(
        "jobset-sim sweep 1 {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    hasher.update(format!("seeds {seeds:?}\n"));
    for a in axes {
        hasher.update(format!("axis {} {}\n", a.name, a.path));
    }
    hasher
}

/// What every cell of a sweep is made from.
struct CellMaker<'a> {
    /// The sweep file, as errors name it.
    file: &'a str,
    /// The base scenario's path, as shown.
    base: &'a str,
    /// The base scenario's folder: manifests are read from there.
    base_dir: &'a Path,
    base_scenario: &'a BaseScenario,
    axes: &'a [Axis],
}

impl CellMaker<'_> {
    /// Cell `c`, loaded like a scenario file; its scenario and manifests go into `hasher`.
    fn cell(&self, c: usize, hasher: &mut Sha1) -> Result<Cell, SimError> {
        let choice = choice_of(c, self.axes);
        let id = format!("c{c}");
        let values: Vec<String> = self
            .axes
            .iter()
            .zip(&choice)
            .map(|(a, &v)| show_value(&a.values[v]))
            .collect();
        let label = self
            .axes
            .iter()
            .zip(&values)
            .map(|(a, v)| format!("{}={v}", a.name))
            .collect::<Vec<_>>()
            .join(", ");
        let in_cell = |k: Option<usize>, e: String| self.cell_error(&id, &label, k, e);
        let doc = self
            .edited_doc(&choice)
            .map_err(|(k, m)| in_cell(Some(k), m))?;
        let rendered = serde_yaml_ng::to_string(&doc)
            .map_err(|e| SimError::Internal(format!("rendering cell {id}: {e}")))?;
        let cell_file = format!("{} [sweep cell {id}]", self.base);
        let scenario = self.load_cell(&cell_file, &rendered, in_cell)?;
        // What `run` refuses before building (the memory estimate past `run.memoryLimit`) is
        // refused here, before any run: no cell runs, nothing is written.
        crate::scenario::memory::check(&scenario)
            .map_err(|e| self.size_error(e, &cell_file, in_cell))?;
        check_modelled(self.axes, &scenario, &cell_file).map_err(|(k, m)| in_cell(Some(k), m))?;
        let warnings = self.new_warnings(&scenario, &cell_file, &label);
        hasher.update(format!("cell {id}\n{rendered}\n"));
        for m in manifests_of(&doc) {
            let text = std::fs::read(self.base_dir.join(&m)).unwrap_or_default();
            hasher.update(format!("manifest {m} {}\n", text.len()));
            hasher.update(&text);
        }
        Ok(Cell {
            id,
            values,
            scenario,
            warnings,
        })
    }

    /// An error of cell `id` (`label` its axis values), at axis `k` when it is about one.
    fn cell_error(&self, id: &str, label: &str, k: Option<usize>, e: String) -> InputError {
        let mut out = InputError::new(self.file, format!("cell {id} ({label}): {e}"));
        if let Some(k) = k {
            out = out.at_path(format!("axes[{k}] {}", self.axes[k].path));
            if let Some(l) = self.axes[k].line {
                out = out.at_line(l, 1);
            }
        }
        out
    }

    /// The base document with each axis' chosen value set, or the axis that cannot be set.
    fn edited_doc(&self, choice: &[usize]) -> Result<Value, (usize, String)> {
        let mut doc = self.base_scenario.doc.clone();
        for (k, (a, &v)) in self.axes.iter().zip(choice).enumerate() {
            edit::inline_manifest_for(&mut doc, &a.path, self.base_dir)
                .and_then(|()| edit::set(&mut doc, &a.path, a.values[v].clone()))
                .map_err(|m| (k, m))?;
        }
        Ok(doc)
    }

    /// Loads a cell's rendered scenario; its input errors become the cell's (`in_cell`).
    fn load_cell(
        &self,
        cell_file: &str,
        rendered: &str,
        in_cell: impl Fn(Option<usize>, String) -> InputError,
    ) -> Result<Scenario, SimError> {
        match load_scenario_from_str(cell_file, rendered, self.base_dir) {
            Err(SimError::Input(errors)) => {
                // Stop at the first bad cell: the others would mostly repeat its errors.
                let errors = errors
                    .into_iter()
                    .map(|mut e| {
                        // Lines point into our rendering of the cell, not a file the user has.
                        e.line = None;
                        e.column = None;
                        let k = related_axis(self.axes, &e, cell_file);
                        in_cell(k, e.to_string())
                    })
                    .collect();
                Err(SimError::Input(errors))
            }
            loaded => loaded,
        }
    }

    /// A size error of a cell: at the axis it is about, else where the base scenario (the
    /// same there) writes the field.
    fn size_error(
        &self,
        mut e: InputError,
        cell_file: &str,
        in_cell: impl Fn(Option<usize>, String) -> InputError,
    ) -> SimError {
        if let Some(k) = related_axis(self.axes, &e, cell_file) {
            return in_cell(Some(k), e.to_string()).into();
        }
        e.file = e.file.replacen(cell_file, self.base, 1);
        crate::yaml::locate::fill_scenario_file(e.into(), Path::new(self.base))
    }

    /// The cell's `notice:` and `warning:` lines on fields the base scenario has none on.
    fn new_warnings(&self, scenario: &Scenario, cell_file: &str, label: &str) -> Vec<String> {
        let base_notes = &self.base_scenario.notes;
        let mut warnings = vec![];
        for n in scenario
            .notes
            .iter()
            .filter(|n| !base_notes.contains(&note_key(n)))
        {
            let mut n = n.clone();
            // Lines point into our rendering of the cell, not a file the user has.
            (n.at.line, n.at.column) = (None, None);
            n.at.file = format!("{cell_file} ({label})");
            warnings.push(n.to_string());
        }
        warnings
    }
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

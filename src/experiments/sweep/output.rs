//! What a sweep leaves in its out dir: `sweep.json` (the sweep's identity and layout, enough to
//! render the tables without the sweep file, which is what `merge` needs), `runs/<cell>-s<seed>.json`
//! (one finished run each, written atomically, so a killed sweep resumes) and the tables
//! `runs.csv` and `cells.csv`, rendered from those files alone so that a sweep, a resumed sweep
//! and a merge of shards write the same bytes.

use super::spec::Sweep;
use crate::error::{InputError, SimError};
use crate::headline::{fmt_csv, fmt_readable, METRICS};
use crate::report::write_atomic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) const META_FILE: &str = "sweep.json";
pub(crate) const RUNS_DIR: &str = "runs";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Meta {
    pub hash: String,
    pub sweep: String,
    pub scenario: String,
    pub axes: Vec<String>,
    pub seeds: Vec<u64>,
    pub cells: Vec<MetaCell>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct MetaCell {
    pub id: String,
    pub values: Vec<String>,
}

impl Meta {
    pub(crate) fn of(s: &Sweep) -> Meta {
        Meta {
            hash: s.hash.clone(),
            sweep: s.file.clone(),
            scenario: s.base.clone(),
            axes: s.axes.iter().map(|a| a.name.clone()).collect(),
            seeds: s.seeds.clone(),
            cells: s
                .cells
                .iter()
                .map(|c| MetaCell {
                    id: c.id.clone(),
                    values: c.values.clone(),
                })
                .collect(),
        }
    }

    pub(crate) fn runs(&self) -> usize {
        self.cells.len() * self.seeds.len()
    }

    /// (cell, seed) of run number `i`: cell-major, seeds in the sweep file's order.
    pub(crate) fn run_at(&self, i: usize) -> (usize, u64) {
        (i / self.seeds.len(), self.seeds[i % self.seeds.len()])
    }

    pub(crate) fn run_file(&self, i: usize) -> String {
        let (c, seed) = self.run_at(i);
        format!("{}-s{seed}.json", self.cells[c].id)
    }
}

/// The files a sweep writes in its out dir, besides `runs/`; `report.html` is `jobset-sim
/// report DIR`'s.
const SWEEP_FILES: &[&str] = &[META_FILE, "runs.csv", "cells.csv", "report.html"];

/// Refuses an out dir that holds anything a sweep (or `merge`, or `report`) does not write, as
/// `run --out` refuses a folder of foreign files: a sweep writes into its out dir and resumes
/// from it, so a mistyped `--out` (a source folder, a home directory) would otherwise get
/// `runs/` and the tables among someone's files. A new or empty folder, or one an earlier
/// sweep wrote (to resume it), passes; so do the temporary files of a write that was killed.
pub(crate) fn check_only_sweep_files(dir: &Path) -> Result<(), SimError> {
    let shown = dir.display().to_string();
    let refuse =
        |why: String| -> SimError { InputError::new(&shown, format!("--out: {why}")).into() };
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(refuse("it exists and is not a folder".into()));
    }
    let list = |d: &Path| {
        std::fs::read_dir(d)
            .map_err(|e| SimError::Output(format!("cannot list {}: {e}", d.display())))
            .map(|entries| entries.flatten().collect::<Vec<_>>())
    };
    let is_file = |e: &std::fs::DirEntry| e.file_type().is_ok_and(|t| t.is_file());
    let leftover = |name: &str| name.starts_with('.') && name.contains(".tmp-");
    let mut foreign = vec![];
    for e in list(dir)? {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_runs = name == RUNS_DIR && e.file_type().is_ok_and(|t| t.is_dir());
        if is_runs {
            for r in list(&e.path())? {
                let run = r.file_name().to_string_lossy().into_owned();
                if !(is_file(&r) && (run.ends_with(".json") || leftover(&run))) {
                    foreign.push(format!("{RUNS_DIR}/{run}"));
                }
            }
        } else if !(is_file(&e) && (SWEEP_FILES.contains(&name.as_str()) || leftover(&name))) {
            foreign.push(name);
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let more = if foreign.len() > 5 { ", ..." } else { "" };
    foreign.truncate(5);
    Err(refuse(format!(
        "it holds files a sweep does not write ({}{more}); give a new or empty folder, or the \
         out dir of an earlier run of this sweep to resume it",
        foreign.join(", ")
    )))
}

/// Reads `dir/sweep.json`, None when there is none.
pub(crate) fn read_meta(dir: &Path) -> Result<Option<Meta>, SimError> {
    let path = dir.join(META_FILE);
    let shown = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            InputError::new(
                shown,
                format!("not a sweep.json written by jobset-sim: {e}"),
            )
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InputError::new(shown, format!("cannot read: {e}")).into()),
    }
}

pub(crate) fn write_meta(dir: &Path, meta: &Meta) -> Result<(), SimError> {
    let json = serde_json::to_string_pretty(meta).map_err(|e| SimError::Internal(e.to_string()))?;
    write_atomic(dir, META_FILE, (json + "\n").as_bytes())
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RunFile {
    pub hash: String,
    pub cell: String,
    pub seed: u64,
    pub summary: Value,
    /// SHA-1 over the other fields (see [`RunFile::digest`]), so that a run file changed after
    /// the sweep wrote it is refused instead of entering the tables. Absent in files written
    /// before it existed; such files are run again.
    #[serde(default)]
    pub checksum: Option<String>,
}

impl RunFile {
    /// Hex SHA-1 of `hash`, `cell`, `seed` and the summary's compact JSON. The summary is
    /// re-serialized on reading, so only a change of content (not of spacing) alters it;
    /// serde_json writes object keys sorted and floats in their shortest exact form, so the
    /// round trip is stable.
    fn digest(&self) -> Result<String, SimError> {
        use sha1::{Digest, Sha1};
        let summary =
            serde_json::to_string(&self.summary).map_err(|e| SimError::Internal(e.to_string()))?;
        let mut h = Sha1::new();
        h.update(format!("{}\n{}\n{}\n", self.hash, self.cell, self.seed));
        h.update(summary);
        Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}

pub(crate) fn write_run(dir: &Path, meta: &Meta, i: usize, summary: Value) -> Result<(), SimError> {
    let (c, seed) = meta.run_at(i);
    let mut run = RunFile {
        hash: meta.hash.clone(),
        cell: meta.cells[c].id.clone(),
        seed,
        summary,
        checksum: None,
    };
    run.checksum = Some(run.digest()?);
    let json = serde_json::to_string(&run).map_err(|e| SimError::Internal(e.to_string()))?;
    write_atomic(
        &dir.join(RUNS_DIR),
        &meta.run_file(i),
        (json + "\n").as_bytes(),
    )
}

/// Run `i`'s summary if `dir` holds it finished for this very sweep; a missing, partial or
/// foreign file, or one without a checksum, reads as not done, so the run is redone. A file of
/// this sweep whose content no longer matches its checksum (edited after the sweep wrote it)
/// is an input error: its numbers cannot be trusted, and silently redoing it would hide that.
pub(crate) fn read_run(dir: &Path, meta: &Meta, i: usize) -> Result<Option<Value>, SimError> {
    let path = dir.join(RUNS_DIR).join(meta.run_file(i));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let Ok(run) = serde_json::from_str::<RunFile>(&text) else {
        return Ok(None);
    };
    let (c, seed) = meta.run_at(i);
    if run.hash != meta.hash || run.cell != meta.cells[c].id || run.seed != seed {
        return Ok(None);
    }
    let Some(stored) = &run.checksum else {
        return Ok(None);
    };
    if *stored != run.digest()? {
        let shown = path.display().to_string();
        return Err(InputError::new(
            shown,
            "this run file was changed after the sweep wrote it (its content does not match \
             its checksum); delete it to have the run done again",
        )
        .at_line(1, 1)
        .into());
    }
    Ok(Some(run.summary))
}

/// `runs.csv` and `cells.csv` from every run's summary, in run order.
pub(crate) fn render(meta: &Meta, summaries: &[Value]) -> Result<(Vec<u8>, Vec<u8>), SimError> {
    let csv_err = |e: csv::Error| SimError::Internal(format!("csv: {e}"));
    let mut runs = csv::Writer::from_writer(vec![]);
    let mut header = vec!["cell".to_string()];
    header.extend(meta.axes.iter().cloned());
    header.push("seed".into());
    header.extend(METRICS.iter().map(|m| m.name.to_string()));
    runs.write_record(&header).map_err(csv_err)?;
    // metric → cell → values, in seed order.
    let mut per_cell: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for (i, s) in summaries.iter().enumerate() {
        let (c, seed) = meta.run_at(i);
        let mut row = vec![meta.cells[c].id.clone()];
        row.extend(meta.cells[c].values.iter().cloned());
        row.push(seed.to_string());
        for (m, metric) in METRICS.iter().enumerate() {
            match (metric.compute)(s).filter(|v| v.is_finite()) {
                Some(v) => {
                    per_cell.entry((c, m)).or_default().push(v);
                    row.push(fmt_csv(v));
                }
                None => row.push(String::new()),
            }
        }
        runs.write_record(&row).map_err(csv_err)?;
    }
    let mut cells = csv::Writer::from_writer(vec![]);
    let mut header = vec!["cell".to_string()];
    header.extend(meta.axes.iter().cloned());
    for h in ["metric", "n", "mean", "sd", "ci95_lo", "ci95_hi"] {
        header.push(h.into());
    }
    cells.write_record(&header).map_err(csv_err)?;
    for (c, cell) in meta.cells.iter().enumerate() {
        for (m, metric) in METRICS.iter().enumerate() {
            let values = per_cell.get(&(c, m)).map(Vec::as_slice).unwrap_or(&[]);
            let stats = crate::stats::describe(values);
            let opt = |v: Option<f64>| v.map(fmt_csv).unwrap_or_default();
            let mut row = vec![cell.id.clone()];
            row.extend(cell.values.iter().cloned());
            row.push(metric.name.to_string());
            row.push(values.len().to_string());
            row.push(opt(stats.map(|s| s.mean)));
            row.push(opt(stats.and_then(|s| s.sd)));
            row.push(opt(stats.and_then(|s| s.ci95).map(|c| c.0)));
            row.push(opt(stats.and_then(|s| s.ci95).map(|c| c.1)));
            cells.write_record(&row).map_err(csv_err)?;
        }
    }
    let done = |w: csv::Writer<Vec<u8>>| {
        w.into_inner()
            .map_err(|e| SimError::Internal(format!("csv: {e}")))
    };
    Ok((done(runs)?, done(cells)?))
}

/// The headline metrics per cell for people: one row per metric any run has, one column per
/// cell (its axis values on top), each the mean to 4 significant digits, `±` the half-width
/// of its 95% interval when the seeds disagree; `-` when no run of the cell has the metric.
pub(crate) fn text_table(meta: &Meta, summaries: &[Value]) -> String {
    let mut rows: Vec<Vec<String>> = vec![];
    let mut head = vec!["cell".to_string()];
    head.extend(meta.cells.iter().map(|c| c.id.clone()));
    rows.push(head);
    for (k, axis) in meta.axes.iter().enumerate() {
        let mut row = vec![axis.clone()];
        row.extend(meta.cells.iter().map(|c| c.values[k].clone()));
        rows.push(row);
    }
    let separator = rows.len();
    for metric in METRICS {
        let mut row = vec![metric.name.to_string()];
        let mut any = false;
        for c in 0..meta.cells.len() {
            let values: Vec<f64> = (0..summaries.len())
                .filter(|&i| meta.run_at(i).0 == c)
                .filter_map(|i| (metric.compute)(&summaries[i]).filter(|v| v.is_finite()))
                .collect();
            row.push(match crate::stats::describe(&values) {
                None => "-".into(),
                Some(st) => {
                    any = true;
                    match st.ci95 {
                        Some((lo, hi)) if hi > lo => format!(
                            "{} ±{}",
                            fmt_readable(st.mean),
                            fmt_readable((hi - lo) / 2.0)
                        ),
                        _ => fmt_readable(st.mean),
                    }
                }
            });
        }
        if any {
            rows.push(row);
        }
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        if n == separator {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out += rule.join("  ").trim_end();
            out += "\n";
        }
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        out += cells.join("  ").trim_end();
        out += "\n";
    }
    format!(
        "mean per cell over {} seed(s), ± half the 95% confidence interval:\n{out}",
        meta.seeds.len()
    )
}

/// Writes both tables atomically.
pub(crate) fn write_tables(dir: &Path, meta: &Meta, summaries: &[Value]) -> Result<(), SimError> {
    let (runs, cells) = render(meta, summaries)?;
    write_atomic(dir, "runs.csv", &runs)?;
    write_atomic(dir, "cells.csv", &cells)
}

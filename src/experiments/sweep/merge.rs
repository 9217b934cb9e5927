//! `jobset-sim merge DIR... --out OUT`: joins the out dirs of a sweep's shards into the out dir
//! one process would have written (same runs.csv and cells.csv, byte for byte), refusing dirs of
//! different sweeps and naming runs no dir holds.

use super::output::{self, Meta, RUNS_DIR};
use crate::error::{InputError, SimError};
use crate::report::write_atomic;
use std::path::{Path, PathBuf};

/// How many missing runs an error lists before it only counts.
const MISSING_SHOWN: usize = 10;

/// Merges the shards' out dirs `dirs` into `out`; returns how many runs it holds.
pub(crate) fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, SimError> {
    let meta = shared_meta(dirs)?;
    let (summaries, found_in) = find_runs(dirs, &meta)?;
    let shown = out.display().to_string();
    output::check_only_sweep_files(out)?;
    std::fs::create_dir_all(out.join(RUNS_DIR))
        .map_err(|e| InputError::new(&shown, format!("cannot create the output directory: {e}")))?;
    if let Some(existing) = output::read_meta(out)? {
        if existing.hash != meta.hash {
            return Err(InputError::new(
                &shown,
                "holds runs of a different sweep; merge into another directory",
            )
            .into());
        }
    }
    output::write_meta(out, &meta)?;
    // The run files too, so OUT is a complete out dir (`sweep` resumes from it, `compare` can
    // read it), not just two tables.
    for i in 0..meta.runs() {
        if output::read_run(out, &meta, i)?.is_none() {
            let name = meta.run_file(i);
            let from = dirs[found_in[i]].join(RUNS_DIR).join(&name);
            let bytes = std::fs::read(&from)
                .map_err(|e| SimError::Internal(format!("cannot read {}: {e}", from.display())))?;
            write_atomic(&out.join(RUNS_DIR), &name, &bytes)?;
        }
    }
    output::write_tables(out, &meta, &summaries)?;
    Ok(meta.runs())
}

/// The sweep.json every dir holds; an error when one has none or is of another sweep.
fn shared_meta(dirs: &[PathBuf]) -> Result<Meta, SimError> {
    let mut meta: Option<(Meta, &PathBuf)> = None;
    for d in dirs {
        let shown = d.display().to_string();
        let m = output::read_meta(d)?.ok_or_else(|| {
            InputError::new(&shown, "no sweep.json here: not the out dir of a sweep")
        })?;
        match &meta {
            None => meta = Some((m, d)),
            Some((first, first_dir)) if first.hash != m.hash => {
                return Err(InputError::new(
                    &shown,
                    format!(
                        "holds runs of a different sweep than {} (hash {} vs {}); only shards of \
                         one sweep can be merged",
                        first_dir.display(),
                        m.hash,
                        first.hash
                    ),
                )
                .into())
            }
            Some(_) => {}
        }
    }
    match meta {
        Some((meta, _)) => Ok(meta),
        None => Err(InputError::new("merge", "no directories given").into()),
    }
}

/// Every run's summary, and the index of the first dir holding it; an error naming the runs
/// no dir holds.
fn find_runs(
    dirs: &[PathBuf],
    meta: &Meta,
) -> Result<(Vec<serde_json::Value>, Vec<usize>), SimError> {
    let mut summaries = Vec::with_capacity(meta.runs());
    let mut found_in = Vec::with_capacity(meta.runs());
    let mut missing = vec![];
    for i in 0..meta.runs() {
        let mut found = None;
        for (d, dir) in dirs.iter().enumerate() {
            if let Some(s) = output::read_run(dir, meta, i)? {
                found = Some((d, s));
                break;
            }
        }
        match found {
            Some((d, s)) => {
                summaries.push(s);
                found_in.push(d);
            }
            None => missing.push(meta.run_file(i)),
        }
    }
    if missing.is_empty() {
        return Ok((summaries, found_in));
    }
    let mut list = missing
        .iter()
        .take(MISSING_SHOWN)
        .map(|f| f.trim_end_matches(".json").to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if missing.len() > MISSING_SHOWN {
        list += &format!(", and {} more", missing.len() - MISSING_SHOWN);
    }
    Err(InputError::new(
        "merge",
        format!(
            "{} of {} runs are in none of the directories: {list}; run the missing shards \
             (or re-run a shard with the same --out to finish it)",
            missing.len(),
            meta.runs()
        ),
    )
    .into())
}

//! `jobset-sim sweep`: many runs of one scenario, varied along axes and over seeds, in
//! parallel across runs (each run stays single-threaded and deterministic), resumable, and
//! splittable into shards whose outputs `merge` joins. See `docs/sweeps.md`.

pub(crate) mod merge;
pub(crate) mod output;
pub(crate) mod spec;

use crate::error::{InputError, SimError};
use output::Meta;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// `--shard I/N`: this process does runs whose index mod N is I (zero-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub(crate) const ALL: Shard = Shard { index: 0, count: 1 };

    pub(crate) fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: expected I/N, e.g. 0/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: I is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: N is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("{text:?}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }

    pub(crate) fn owns(&self, run: usize) -> bool {
        run % self.count == self.index
    }
}

pub(crate) struct Options {
    pub jobs: usize,
    pub out: PathBuf,
    pub shard: Shard,
    /// A progress bar (stderr is a terminal).
    pub progress: bool,
    /// Otherwise a progress line this often (wall time), if at all.
    pub progress_lines_every_ms: Option<u64>,
    /// `--set` edits of the base scenario.
    pub sets: Vec<crate::source::Set>,
    /// Sweep the invariants during every run (`--check-invariants`).
    pub check_invariants: bool,
}

/// What a sweep did, for the closing message.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub total_runs: usize,
    pub ran: usize,
    pub resumed: usize,
    /// Whether the out dir now holds every run and so the tables were written.
    pub tables_written: bool,
    /// The headline metrics per cell, for the terminal (`output::text_table`).
    pub table: Option<String>,
}

pub(crate) fn run(path: &Path, opts: &Options) -> Result<Outcome, SimError> {
    let sweep = spec::load_sweep(path, &opts.sets)?;
    for line in sweep.all_warnings() {
        eprintln!("{line}");
    }
    let meta = Meta::of(&sweep);
    let out = &opts.out;
    let shown = out.display().to_string();
    output::check_only_sweep_files(out)?;
    if let Some(existing) = output::read_meta(out)? {
        if existing.hash != meta.hash {
            return Err(InputError::new(
                &shown,
                format!(
                    "this directory holds runs of a different sweep (sweep.json hash {}, {} now \
                     resolves to {}): the sweep file, its scenario or a manifest changed since; \
                     use another --out, or delete the directory to start over",
                    existing.hash, sweep.file, meta.hash
                ),
            )
            .into());
        }
    }
    std::fs::create_dir_all(out.join(output::RUNS_DIR))
        .map_err(|e| InputError::new(&shown, format!("cannot create the output directory: {e}")))?;
    output::write_meta(out, &meta)?;

    let mine: Vec<usize> = (0..meta.runs()).filter(|&i| opts.shard.owns(i)).collect();
    let mut todo = Vec::new();
    for &i in &mine {
        if output::read_run(out, &meta, i)?.is_none() {
            todo.push(i);
        }
    }
    let bar = progress_bar(todo.len(), opts.progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| SimError::Internal(format!("thread pool: {e}")))?;
    let lines = LogProgress::new(opts.progress_lines_every_ms, todo.len());
    pool.install(|| {
        todo.par_iter().try_for_each(|&i| {
            let (c, seed) = meta.run_at(i);
            let summary = crate::runner::run_to_summary(
                sweep.cells[c].scenario.clone(),
                seed,
                opts.check_invariants,
            )?;
            output::write_run(out, &meta, i, summary)?;
            bar.inc(1);
            lines.run_done();
            Ok::<(), SimError>(())
        })
    })?;
    bar.finish_and_clear();

    let all: Option<Vec<_>> = (0..meta.runs())
        .map(|i| output::read_run(out, &meta, i))
        .collect::<Result<_, _>>()?;
    let (tables_written, table) = match all {
        Some(summaries) => {
            output::write_tables(out, &meta, &summaries)?;
            (true, Some(output::text_table(&meta, &summaries)))
        }
        None => (false, None),
    };
    Ok(Outcome {
        total_runs: meta.runs(),
        ran: todo.len(),
        resumed: mine.len() - todo.len(),
        tables_written,
        table,
    })
}

/// What `sweep --dry-run` prints: the runs, the out dir and every cell with its values.
pub(crate) fn describe(sweep: &spec::Sweep, out: &Path) -> String {
    let mut text = format!(
        "sweep      {} (base scenario {})\nhash       {}\nruns       {} cells × {} seeds = {} runs, into {}\n",
        sweep.file,
        sweep.base,
        sweep.hash,
        sweep.cells.len(),
        sweep.seeds.len(),
        sweep.cells.len() * sweep.seeds.len(),
        out.display()
    );
    for c in &sweep.cells {
        let values: Vec<String> = sweep
            .axes
            .iter()
            .zip(&c.values)
            .map(|(a, v)| format!("{}={v}", a.name))
            .collect();
        text += &format!(
            "  {}: {} (scenario_hash {})\n",
            c.id,
            values.join(", "),
            &c.scenario.hash[..12]
        );
    }
    text
}

/// Progress lines for logs: every `every_ms` of wall time, how many runs are done.
struct LogProgress {
    every_ms: Option<u64>,
    total: usize,
    started: std::time::Instant,
    state: std::sync::Mutex<(usize, std::time::Instant)>,
}

impl LogProgress {
    fn new(every_ms: Option<u64>, total: usize) -> Self {
        let now = std::time::Instant::now();
        LogProgress {
            every_ms,
            total,
            started: now,
            state: std::sync::Mutex::new((0, now)),
        }
    }

    fn run_done(&self) {
        let Some(every) = self.every_ms else {
            return;
        };
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.0 += 1;
        let now = std::time::Instant::now();
        if now.duration_since(state.1).as_millis() as u64 >= every {
            state.1 = now;
            eprintln!(
                "progress: sweep {}/{} runs done, {:.0} s",
                state.0,
                self.total,
                now.duration_since(self.started).as_secs_f64()
            );
        }
    }
}

fn progress_bar(len: usize, visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "sweep {bar:40} {pos}/{len} runs  {elapsed} elapsed, ~{eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad} accepted");
        }
        let shards: Vec<_> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for run in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(run)).count(), 1);
        }
    }
}

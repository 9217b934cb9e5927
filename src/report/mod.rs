//! What a run hands back: the summary (JSON and a human table) and `events.csv`, written
//! atomically so a crash never leaves half a file behind.

pub(crate) mod distributions;
pub(crate) mod kueue;
pub(crate) mod output_set;
pub(crate) mod record;
pub(crate) mod recoveries;
pub(crate) mod recovery;
pub(crate) mod recovery_svg;
pub(crate) mod summary;
pub(crate) mod table;
pub(crate) mod timeline;
pub(crate) mod timeline_svg;

use crate::error::SimError;
use crate::sim::Sim;
use std::io::Write;
use std::path::Path;

/// Formats integer nanoseconds as seconds with all nine decimals, exactly.
pub(crate) fn secs_exact(ns: u64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename; on any failure the
/// temporary file is removed and `dir/name` is left as it was (exit 4).
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SimError> {
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        SimError::Output(format!("cannot write {}: {e}", dir.join(name).display()))
    })
}

/// `jobsets.csv`: one row per JobSet or Job state change, in time order (rows of one instant
/// keep the order the simulation produced them).
pub(crate) fn jobsets_csv(sim: &Sim) -> Result<Vec<u8>, SimError> {
    use crate::metrics::status_log::Subject;
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| SimError::Internal(format!("csv: {e}"));
    w.write_record([
        "time_s",
        "jobset",
        "job",
        "change",
        "condition",
        "status",
        "reason",
        "message",
    ])
    .map_err(err)?;
    let mut rows: Vec<_> = sim.rec.status_log.rows.iter().collect();
    rows.sort_by_key(|r| r.time_ns);
    for row in rows {
        let (jobset, job) = match row.subject {
            Subject::JobSet(js) => (sim.store.jobsets[js as usize].name.as_str(), ""),
            Subject::Job(j) => {
                let job = &sim.store.jobs[j as usize];
                (
                    sim.store.jobsets[job.jobset as usize].name.as_str(),
                    job.name.as_str(),
                )
            }
        };
        let status = match row.status {
            Some(true) => "True",
            Some(false) => "False",
            None => "",
        };
        w.write_record([
            secs_exact(row.time_ns).as_str(),
            jobset,
            job,
            row.change,
            row.condition.as_str(),
            status,
            row.reason.as_str(),
            row.message.as_str(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| SimError::Internal(format!("csv: {e}")))
}

/// `events.csv` of the rows a run kept (`Recorder::record_rows`): one row per pod state change,
/// in the order they happened. `run --out` writes the same rows as the run goes instead
/// (`metrics::events_csv`).
#[cfg(test)]
pub(crate) fn events_csv(sim: &Sim) -> Result<Vec<u8>, SimError> {
    assert!(
        sim.pods.keep_released,
        "events_csv reads removed pods after the run: call \
         sim::pod_store::keep_every_slot_in_this_test() before building the Sim"
    );
    let mut w = crate::metrics::events_csv::EventsCsv::new(vec![]);
    for row in &sim.rec.rows {
        let state = row.state.as_str();
        w.row(sim, row.time_ns, row.pod, row.node, state, &row.reason);
    }
    w.finish()
        .map_err(|e| SimError::Internal(format!("csv: {e}")))
}

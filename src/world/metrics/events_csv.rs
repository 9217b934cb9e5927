//! `events.csv` rows formatted as the run goes: one row per pod state change, written through
//! a buffered CSV writer to wherever the caller points it (the output set's staging folder for
//! `run --out`), so a long run's rows are never held in memory. The same formatting serves
//! `report::events_csv`, which writes the rows a run kept (tests, the library).

use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::sim::objects::PodId;
use crate::sim::Sim;
use std::io::Write;

/// Where a run's streamed rows go: a writer that, once the last row is flushed, puts the file
/// in its place (`report::output_set::StagedFile`: a part file renamed into the staging
/// folder). Dropped without `commit`, it leaves no file behind.
pub(crate) trait Sink: Write + Send {
    fn commit(self: Box<Self>) -> Result<(), crate::error::SimError>;
}

/// The header row.
pub(crate) const HEADER: [&str; 7] = ["time_s", "jobset", "job", "pod", "node", "state", "reason"];

/// Where rows go while the run goes: the CSV writer over the caller's sink, and the first
/// write error (later rows are dropped; the caller reports the error when the run ends).
pub(crate) struct EventsCsv<W: Write = Box<dyn Sink>> {
    w: csv::Writer<W>,
    error: Option<String>,
    /// Scratch buffers, reused for every row.
    pod_name: String,
    time: String,
}

impl<W: Write> std::fmt::Debug for EventsCsv<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsCsv")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<W: Write> EventsCsv<W> {
    /// Rows into `sink` through a 1 MiB buffer; the header is written at once.
    pub(crate) fn new(sink: W) -> EventsCsv<W> {
        let w = csv::WriterBuilder::new()
            .buffer_capacity(1 << 20)
            .from_writer(sink);
        let mut out = EventsCsv {
            w,
            error: None,
            pod_name: String::new(),
            time: String::new(),
        };
        let written = out.w.write_record(HEADER);
        out.note(written);
        out
    }

    fn note(&mut self, written: Result<(), csv::Error>) {
        if let (Err(e), None) = (written, &self.error) {
            self.error = Some(e.to_string());
        }
    }

    /// Writes one row of pod `pod`'s change at `time_ns` (names resolved from `sim` now: a
    /// pod's, its Job's, its JobSet's and a node's names never change).
    pub(crate) fn row(
        &mut self,
        sim: &Sim,
        time_ns: SimTime,
        pod: PodId,
        node: Option<NodeId>,
        state: &str,
        reason: &str,
    ) {
        if self.error.is_some() {
            return;
        }
        let p = &sim.pods[pod as usize];
        self.pod_name.clear();
        sim.write_pod_name(pod, &mut self.pod_name);
        let job = &sim.store.jobs[p.job as usize];
        let js = &sim.store.jobsets[job.jobset as usize];
        let node = node
            .map(|n| sim.cluster.node(n).name.as_str())
            .unwrap_or("");
        self.time.clear();
        write_secs_exact(&mut self.time, time_ns);
        let written = self.w.write_record([
            self.time.as_str(),
            js.name.as_str(),
            job.name.as_str(),
            self.pod_name.as_str(),
            node,
            state,
            reason,
        ]);
        self.note(written);
    }

    /// Flushes the rows and hands back the sink, or the first write error.
    pub(crate) fn finish(mut self) -> Result<W, String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.w.into_inner().map_err(|e| e.error().to_string())
    }
}

/// `report::secs_exact` into a buffer: integer nanoseconds as seconds with nine decimals.
fn write_secs_exact(out: &mut String, ns: u64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
}

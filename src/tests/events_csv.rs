//! `run --out` writes `events.csv` as the run goes (`metrics::events_csv`): the streamed bytes
//! must be the bytes of the rows a run keeps, written at its end (`report::events_csv`).

use crate::metrics::events_csv::{EventsCsv, Sink};
use crate::sim::Sim;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A sink into shared bytes, committed or not.
struct Shared(Arc<Mutex<Vec<u8>>>, Arc<Mutex<bool>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink for Shared {
    fn commit(self: Box<Self>) -> Result<(), crate::error::SimError> {
        *self.1.lock().unwrap() = true;
        Ok(())
    }
}

/// The rows streamed as the run goes are byte for byte the rows a run keeps, written at
/// its end: a run with restarts, node faults and unschedulable pods, over several seeds.
#[test]
fn streamed_rows_are_the_kept_rows() {
    // Walks removed pods after the run.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    for (path, seed) in [
        ("scenarios/policies/restart-jobset.yaml", 1),
        ("scenarios/policies/in-place-restart.yaml", 2),
        ("scenarios/stalled-recovery.yaml", 3),
        ("scenarios/quickstart.yaml", 4),
    ] {
        let mut s = crate::scenario::load_scenario(std::path::Path::new(path)).unwrap();
        s.seed = seed;
        let mut sim = Sim::new(s).unwrap();
        assert!(sim.rec.record_rows, "tests keep the rows");
        let bytes = Arc::new(Mutex::new(vec![]));
        let committed = Arc::new(Mutex::new(false));
        let sink = Shared(bytes.clone(), committed.clone());
        sim.rec.events_out = Some(Box::new(EventsCsv::new(Box::new(sink))));
        super::common::run_checked(&mut sim);
        let kept = crate::report::events_csv(&sim).unwrap();
        assert!(sim.rec.rows.len() > 10, "{path}: rows written");
        let out = sim.rec.events_out.take().unwrap();
        out.finish().unwrap().commit().unwrap();
        assert!(*committed.lock().unwrap());
        assert!(
            *bytes.lock().unwrap() == kept,
            "{path}: streamed rows differ"
        );
    }
}

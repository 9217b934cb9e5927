//! One run of a loaded scenario to its summary, for the commands that run many (sweep,
//! compare, check). Each run is single-threaded and deterministic; parallelism is across runs.

use crate::error::SimError;
use crate::report::summary;
use crate::scenario::Scenario;
use crate::sim::Sim;
use std::time::Instant;

/// Runs `scenario` with `seed` and returns `summary.json` as a JSON value.
pub fn run_to_summary(mut scenario: Scenario, seed: u64) -> Result<serde_json::Value, SimError> {
    scenario.seed = seed;
    let mut sim = Sim::new(scenario)?;
    // Only the summary is kept: no rows for events.csv.
    sim.rec.record_rows = false;
    sim.rec.status_log.keep_job_rows = false;
    let started = Instant::now();
    sim.run();
    let wall_ms = started.elapsed().as_millis() as u64;
    let s = summary::build(&sim, wall_ms);
    serde_json::to_value(&s).map_err(|e| SimError::Internal(e.to_string()))
}

//! One run of a loaded scenario to its summary, for the commands that run many (sweep,
//! compare, check). Each run is single-threaded and deterministic; parallelism is across runs.

use crate::error::SimError;
use crate::report::summary;
use crate::scenario::Scenario;
use crate::sim::Sim;
use std::time::Instant;

/// Runs `scenario` with `seed` and returns `summary.json` as a JSON value. With
/// `check_invariants` the invariants are swept during the run and a violation is an error.
pub(crate) fn run_to_summary(
    mut scenario: Scenario,
    seed: u64,
    check_invariants: bool,
) -> Result<serde_json::Value, SimError> {
    scenario.seed = seed;
    let mut sim = Sim::new(scenario)?;
    // Only the summary is kept: no rows for events.csv.
    sim.rec.record_rows = false;
    sim.rec.status_log.keep_job_rows = false;
    let started = Instant::now();
    run_sim(&mut sim, check_invariants)?;
    let wall_ms = started.elapsed().as_millis() as u64;
    let s = summary::build(&sim, wall_ms);
    serde_json::to_value(&s).map_err(|e| SimError::Internal(e.to_string()))
}

/// Runs `sim` to its end; with `check_invariants` (`--check-invariants`) the invariants are
/// swept every 1,000 events and at the end, and a violation is an internal error (exit 1)
/// naming it and the simulated time.
pub(crate) fn run_sim(sim: &mut Sim, check_invariants: bool) -> Result<(), SimError> {
    sim.check_invariants = check_invariants;
    sim.run();
    if sim.violations.is_empty() {
        Ok(())
    } else {
        Err(SimError::Internal(format!(
            "scenario {} seed {}: invariant violated {}",
            sim.scenario.name,
            sim.scenario.seed,
            sim.violations.join("; ")
        )))
    }
}

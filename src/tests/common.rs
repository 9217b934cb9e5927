//! Helpers of the in-process tests: run simulations with every invariant checked.
//!
//! Every test that runs a simulation goes through `simulate_scenario` / `run_checked`, so the
//! invariant sweeps of `src/world/sim/invariants.rs` run in every such test, not only in the few
//! that ask; the command-line tests (`tests/`) get `--check-invariants` the same way.

pub(crate) use super::fixtures::*;
use crate::scenario::Scenario;
use crate::sim::Sim;

/// Events between two invariant sweeps in tests: ten times as often as `--check-invariants`,
/// so short runs are swept many times, not only at their end.
pub(crate) const TEST_INVARIANT_PERIOD_EVENTS: u64 = 100;

/// Runs `sim` to its end with every invariant swept every `TEST_INVARIANT_PERIOD_EVENTS`
/// events and at the end; a violation fails the test, naming it.
pub(crate) fn run_checked(sim: &mut Sim) {
    sim.check_invariants = true;
    sim.invariant_period_events = TEST_INVARIANT_PERIOD_EVENTS;
    sim.run();
    assert!(
        sim.violations.is_empty(),
        "scenario {:?} seed {}: invariant violated: {:?}",
        sim.scenario.name,
        sim.scenario.seed,
        sim.violations
    );
}

/// Builds and runs `scenario` with every invariant checked (`run_checked`).
pub(crate) fn simulate_scenario(scenario: Scenario) -> Sim {
    let mut sim = Sim::new(scenario).unwrap_or_else(|e| panic!("{e}"));
    run_checked(&mut sim);
    sim
}

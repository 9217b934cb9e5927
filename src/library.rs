//! The library API: load a scenario, run it, read what it measured. Everything else in the
//! crate is private, so the compiler reports code nothing uses; the command line
//! (`jobset-sim`) is one more user of this module (`run_command_line`).

use crate::error::SimError;
use crate::report::summary;
use clap::Parser;
use std::fmt;
use std::path::Path;
use std::time::Instant;

/// Why loading or running failed. `exit_code` is what the command line exits with: 2 for bad
/// input (the message names the file, line and field path), 1 for a broken invariant, 4 when
/// results could not be written.
#[derive(Debug)]
pub struct Error(SimError);

impl Error {
    /// The command line's exit code for this error (2 input, 1 internal, 4 output).
    pub fn exit_code(&self) -> i32 {
        self.0.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl From<SimError> for Error {
    fn from(e: SimError) -> Self {
        Error(e)
    }
}

/// A scenario file, loaded and checked: the cluster, the control plane's constants, the
/// workloads (JobSet manifests) and the faults, resolved to what a run needs.
#[derive(Clone)]
pub struct Scenario(crate::scenario::Scenario);

impl Scenario {
    /// Loads the scenario file at `path`; manifests it names are read relative to its folder.
    pub fn load(path: &Path) -> Result<Scenario, Error> {
        Ok(Scenario(crate::scenario::load_scenario(path)?))
    }

    /// Loads a scenario from `text`, as if read from a file called `file_name` in `base_dir`
    /// (errors name `file_name`; relative manifest paths start at `base_dir`).
    pub fn from_text(file_name: &str, text: &str, base_dir: &Path) -> Result<Scenario, Error> {
        let scenario = crate::scenario::load_scenario_from_str(file_name, text, base_dir)?;
        Ok(Scenario(scenario))
    }

    /// The scenario's `name`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The root seed every random stream of a run derives from (`run.seed`).
    pub fn seed(&self) -> u64 {
        self.0.seed
    }

    /// The same scenario with another root seed.
    pub fn with_seed(mut self, seed: u64) -> Scenario {
        self.0.seed = seed;
        self
    }
}

/// One run of a scenario: build it, run it to its end, read its summary.
///
/// ```no_run
/// use jobset_sim::{Scenario, Simulation};
/// let scenario = Scenario::load("scenarios/quickstart.yaml".as_ref())?;
/// let mut run = Simulation::new(scenario)?;
/// run.run()?;
/// println!("{}", run.summary_json()["recovery"]["pods_per_s"]);
/// # Ok::<(), jobset_sim::Error>(())
/// ```
pub struct Simulation {
    sim: crate::sim::Sim,
    wall_ms: u64,
}

impl Simulation {
    /// Builds the cluster and schedules the workloads and faults; fails when a pod fits no
    /// node or the run would not fit in `run.memoryLimit`.
    pub fn new(scenario: Scenario) -> Result<Simulation, Error> {
        let sim = crate::sim::Sim::new(scenario.0)?;
        Ok(Simulation { sim, wall_ms: 0 })
    }

    /// Sweeps the simulator's invariants every `period_events` events and at the end
    /// (`--check-invariants` uses 1,000); `run` then fails on the first violation.
    pub fn check_invariants_every(&mut self, period_events: u64) -> &mut Simulation {
        self.sim.check_invariants = true;
        self.sim.invariant_period_events = period_events.max(1);
        self
    }

    /// Runs to `run.until`, or until every JobSet is terminal when the scenario says so.
    pub fn run(&mut self) -> Result<(), Error> {
        let started = Instant::now();
        let check_invariants = self.sim.check_invariants;
        let result = crate::runner::run_sim(&mut self.sim, check_invariants);
        self.wall_ms = started.elapsed().as_millis() as u64;
        Ok(result?)
    }

    /// Events delivered so far (the engine's count, the unit of the speed benchmarks).
    pub fn events_delivered(&self) -> u64 {
        self.sim.queue.delivered()
    }

    /// `summary.json` as a JSON value; docs/metrics.md documents every field.
    pub fn summary_json(&self) -> serde_json::Value {
        let summary = summary::build(&self.sim, self.wall_ms);
        serde_json::to_value(&summary).expect("a summary is plain data")
    }
}

/// The `jobset-sim` command line over the process's arguments: runs the command, prints its
/// error on stderr, and returns the exit code (0 success, 2 bad input, 1 internal error,
/// 3 a failed gate, 4 output not written).
pub fn run_command_line() -> i32 {
    let cli = crate::cli::Cli::parse();
    match crate::cli::main_with(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

//! jobset-sim: a deterministic discrete-event simulator of Kubernetes JobSet scheduling.
//!
//! The library API is small: [`Scenario`] (load a scenario file), [`Simulation`] (run it,
//! read its `summary.json`), [`Error`], [`run_command_line`] (the `jobset-sim` command), and
//! [`engine`], the discrete-event core (time, event queue, named random streams), which knows
//! nothing of Kubernetes. Everything else is crate-private; docs/architecture.md maps it.

// Crate-private by default: an item marked `pub` that the API above does not reach is a
// warning (an error under CI's clippy), so `pub(crate)` says what it means and the compiler
// reports code nothing uses.
#![warn(unreachable_pub)]

// The folders are the layers, each using only those above it: input (scenario and manifest
// files to a checked `Scenario`), the world and its components (the Kubernetes model the
// engine drives), reports (what a run writes), experiments (many runs: sweeps, baselines,
// calibration, the swarm), and the command line. Module paths stay one level deep
// (`crate::scheduler`), so a module is found by name; `#[path]` puts it in its layer's folder.
// docs/architecture.md draws the map.

// The discrete-event core: time, event queue, named random streams. Knows nothing of Kubernetes.
pub mod engine;

// Input.
#[path = "input/api/mod.rs"]
mod api;
#[path = "input/edit.rs"]
mod edit;
#[path = "input/error.rs"]
mod error;
#[path = "input/fieldpath.rs"]
mod fieldpath;
#[path = "input/gates.rs"]
mod gates;
#[path = "input/headline.rs"]
mod headline;
#[path = "input/kueue/mod.rs"]
mod kueue_api;
#[path = "input/params.rs"]
mod params;
#[path = "input/scenario/mod.rs"]
mod scenario;
#[path = "input/source.rs"]
mod source;
#[path = "input/yaml/mod.rs"]
mod yaml;

// The world and its components.
#[path = "world/apiserver/mod.rs"]
mod apiserver;
#[path = "world/cluster/mod.rs"]
mod cluster;
#[doc(hidden)]
pub use cluster::bench as cluster_bench;
#[path = "world/control/mod.rs"]
mod control;
#[path = "world/inject/mod.rs"]
mod inject;
#[path = "world/kueue/mod.rs"]
mod kueue;
#[path = "world/metrics/mod.rs"]
mod metrics;
#[path = "world/scheduler/mod.rs"]
mod scheduler;
#[path = "world/sim/mod.rs"]
mod sim;
#[path = "world/training.rs"]
mod training;

// Reports.
mod report;

// Experiments.
#[path = "experiments/baseline.rs"]
mod baseline;
#[path = "experiments/calibrate.rs"]
mod calibrate;
#[path = "experiments/compare.rs"]
mod compare;
// The fuzz targets' entry points (docs/fuzzing.md), public for the fuzz crate only.
#[doc(hidden)]
#[path = "experiments/fuzzing.rs"]
pub mod fuzzing;
#[path = "experiments/plan.rs"]
mod plan;
// The Topology-Aware Scheduling placement on a large topology, public for benches/tas.rs only.
#[path = "experiments/report_html.rs"]
mod report_html;
#[path = "experiments/runner.rs"]
mod runner;
#[path = "experiments/stats.rs"]
mod stats;
#[path = "experiments/swarm/mod.rs"]
mod swarm;
#[path = "experiments/sweep/mod.rs"]
mod sweep;
#[doc(hidden)]
#[path = "world/kueue/tas_bench.rs"]
pub mod tas_bench;
#[path = "experiments/validate.rs"]
mod validate;

// The command line and the library API.
mod cli;
mod library;

pub use library::{run_command_line, Error, Scenario, Simulation};

// The in-process tests name the crate as the command-line tests do (`jobset_sim::…`).
#[cfg(test)]
extern crate self as jobset_sim;
#[cfg(test)]
mod tests;

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

mod api;
mod baseline;
mod calibrate;
mod cli;
mod cli_swarm;
mod cli_sweep;
mod cluster;
mod compare;
mod control;
pub mod engine;
mod error;
mod fieldpath;
// The fuzz targets' entry points (docs/fuzzing.md), public for the fuzz crate only.
#[doc(hidden)]
pub mod fuzzing;
mod gates;
mod headline;
mod inject;
mod input;
mod library;
mod metrics;
mod params;
mod plan;
mod report;
mod runner;
mod scenario;
mod scheduler;
mod sim;
mod stats;
mod swarm;
mod sweep;
mod training;
mod validate;
mod yaml;

pub use library::{run_command_line, Error, Scenario, Simulation};

// The in-process tests name the crate as the command-line tests do (`jobset_sim::…`).
#[cfg(test)]
extern crate self as jobset_sim;
#[cfg(test)]
mod tests;

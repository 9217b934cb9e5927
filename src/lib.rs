//! jobset-sim: a deterministic discrete-event simulator of Kubernetes JobSet scheduling.

pub mod api;
pub mod baseline;
pub mod calibrate;
pub mod cli;
pub mod cli_swarm;
pub mod cli_sweep;
pub mod cluster;
pub mod compare;
pub mod control;
pub mod engine;
pub mod error;
pub mod fieldpath;
// The fuzz targets' entry points (docs/fuzzing.md).
pub mod fuzzing;
pub mod gates;
pub mod headline;
pub mod inject;
pub mod input;
pub mod metrics;
pub mod params;
pub mod plan;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod stats;
pub mod swarm;
pub mod sweep;
pub mod training;
pub mod validate;
pub mod yaml;

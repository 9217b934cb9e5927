//! jobset-sim: a deterministic discrete-event simulator of Kubernetes JobSet scheduling.

pub mod api;
pub mod calibrate;
pub mod cli;
pub mod cluster;
pub mod control;
pub mod engine;
pub mod error;
pub mod inject;
pub mod metrics;
pub mod params;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod training;
pub mod validate;
pub mod yaml;

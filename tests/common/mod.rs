//! Helpers of the command-line tests: run the real binary (simulations with
//! `--check-invariants`, so the invariant sweeps run in every test that simulates), make
//! scratch directories. The in-process tests live in `src/tests`.

#![allow(dead_code)]

#[path = "../../src/tests/fixtures.rs"]
mod fixtures;
pub use fixtures::*;
use std::process::{Command, Output};

/// Subcommands that run simulations, and so take `--check-invariants`.
const SIMULATING: &[&str] = &["run", "sweep", "compare", "check", "calibrate"];

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jobset-sim"))
}

/// `args` with `--check-invariants` added when they run simulations (and do not ask for help).
pub fn with_checks(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let simulates = args.first().is_some_and(|c| SIMULATING.contains(c));
    let help = args.iter().any(|a| *a == "--help" || *a == "-h");
    if simulates && !help && !args.contains(&"--check-invariants") {
        out.push("--check-invariants".into());
    }
    out
}

/// Runs the binary without invariant sweeps: only for runs of weeks of simulated time, where
/// a sweep every 1,000 events over a million pods takes minutes (their in-process
/// counterparts in src/tests/validation.rs sweep every 100,000 events).
pub fn run_long_unchecked(args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(repo())
        .output()
        .expect("binary runs")
}

/// Runs the binary in the repository; simulations run with `--check-invariants`.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(with_checks(args))
        .current_dir(repo())
        .output()
        .expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

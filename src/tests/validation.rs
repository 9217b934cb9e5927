//! Validation against published fleet data (shared/spec/failure-data.md §7): the scenarios in
//! scenarios/validation/ must land within the published figures' tolerances, averaged over
//! seeds. These are the slowest tests (tens of simulated days each).

use super::common::*;
use jobset_sim::report::summary::{self, Summary};
use jobset_sim::scenario::load_scenario;
use jobset_sim::sim::Sim;

fn run(scenario: &str, seed: u64) -> Summary {
    let mut s = load_scenario(&repo().join(scenario)).unwrap();
    s.seed = seed;
    let mut sim = Sim::new(s).unwrap();
    // Weeks of simulated time and a million pods: a sweep every 100,000 events (and at the
    // end) keeps these the slowest tests they already were, not ten times slower.
    sim.check_invariants = true;
    sim.invariant_period_events = 100_000;
    sim.run();
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    summary::build(&sim, 0)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// V1: Llama 3, 2,048 nodes for 54 days at 3.79 failures per 1,000 node-days: 419
/// unexpected interruptions (±10% over seeds), about 60–64% of them GPU faults.
#[test]
fn llama3_54_days_has_about_419_interruptions() {
    let runs: Vec<Summary> = (1..=3)
        .map(|seed| run("scenarios/validation/llama3-54d.yaml", seed))
        .collect();
    let interruptions: Vec<f64> = runs
        .iter()
        .map(|s| s.faults[0].interruptions as f64)
        .collect();
    let m = mean(&interruptions);
    assert!((m - 419.0).abs() <= 41.9, "mean {m} over {interruptions:?}");
    // Every interruption restarts the job (maxRestarts is far away).
    for s in &runs {
        let restarts = s.jobsets[0].restarts as f64;
        let hit = s.faults[0].interruptions as f64;
        assert!(
            restarts <= hit && restarts >= 0.95 * hit,
            "{restarts} vs {hit}"
        );
    }
    let gpu_causes = [
        "faulty-gpu",
        "gpu-hbm3-memory",
        "gpu-sram-memory",
        "gpu-system-processor",
        "silent-data-corruption",
        "gpu-thermal-interface",
    ];
    let gpu: u64 = runs
        .iter()
        .flat_map(|s| {
            gpu_causes
                .iter()
                .map(|c| s.faults[0].by_cause.get(*c).map_or(0, |x| x.interruptions))
        })
        .sum();
    let all: u64 = runs.iter().map(|s| s.faults[0].interruptions).sum();
    let share = gpu as f64 / all as f64;
    assert!((0.58..=0.70).contains(&share), "GPU share {share}");
}

fn ettr(scenario: &str) -> (f64, Vec<f64>) {
    let g: Vec<f64> = (1..=2)
        .map(|seed| run(scenario, seed).goodput.expect("a training model"))
        .collect();
    (mean(&g), g)
}

/// V2: Meta RSC-1 as one 16,000-GPU job, 5-minute restarts, 60-minute checkpoints:
/// E[ETTR] ≈ 0.70 (±0.03).
#[test]
fn meta_rsc_hourly_checkpoints_ettr_about_0_70() {
    let (m, g) = ettr("scenarios/validation/meta-rsc-ckpt-60m.yaml");
    assert!((m - 0.70).abs() <= 0.03, "ETTR {m} over {g:?}");
}

/// V2 with 5-minute checkpoints: E[ETTR] ≈ 0.93 (±0.03).
#[test]
fn meta_rsc_five_minute_checkpoints_ettr_about_0_93() {
    let (m, g) = ettr("scenarios/validation/meta-rsc-ckpt-5m.yaml");
    assert!((m - 0.93).abs() <= 0.03, "ETTR {m} over {g:?}");
}

//! Recovery throughput, defined once (docs/metrics.md): for each global restart of a JobSet, how
//! fast the new attempt's pods were bound and running again.

use crate::engine::time::to_secs;
use crate::engine::SimTime;
use crate::sim::Sim;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Recovery {
    pub jobset: String,
    pub attempt: i32,
    /// The container failure that triggered the restart.
    pub failed_at_s: f64,
    /// First pod of the new attempt created.
    pub first_create_s: Option<f64>,
    /// Last pod of the new attempt bound (null if that never happened).
    pub all_scheduled_s: Option<f64>,
    /// Last pod of the new attempt running.
    pub all_running_s: Option<f64>,
    /// `all_running_s - failed_at_s`.
    pub time_to_recover_s: Option<f64>,
    /// Pods of the new attempt bound between its first create and its last bind.
    pub pods: u64,
    /// `pods / (all_scheduled_s - first_create_s)`.
    pub pods_per_s: Option<f64>,
    /// Most binds of the new attempt in any 1 s window.
    pub peak_pods_per_s: u64,
    /// Binds of the new attempt in ClusterLoader2's 5-second windows over the same span as
    /// `pods_per_s` (first create to all scheduled); empty until all are scheduled.
    pub bind_windows: super::recoveries::Windows,
}

/// Pods a JobSet runs at once: Σ replicas × min(parallelism, completions).
pub(crate) fn expected_pods(sim: &Sim, js: usize) -> u64 {
    sim.store.jobsets[js].spec.spec.total_pods_at_once()
}

pub(crate) fn build(sim: &Sim) -> Vec<Recovery> {
    sim.rec
        .restarts
        .iter()
        .map(|r| {
            let expected = expected_pods(sim, r.jobset as usize) as usize;
            let empty = crate::metrics::AttemptTimes::default();
            let t = sim
                .rec
                .attempt_times
                .get(r.jobset, r.attempt)
                .unwrap_or(&empty);
            let first_create = t.first_created;
            let nth = |v: &Vec<SimTime>| -> Option<SimTime> {
                let mut v = v.clone();
                v.sort_unstable();
                (expected > 0 && v.len() >= expected).then(|| v[expected - 1])
            };
            let all_scheduled = nth(&t.scheduled);
            let all_running = nth(&t.running);
            let mut binds = t.scheduled.clone();
            binds.sort_unstable();
            let pods = match (first_create, all_scheduled) {
                (Some(a), Some(b)) => binds.iter().filter(|&&x| x >= a && x <= b).count() as u64,
                _ => binds.len() as u64,
            };
            let pods_per_s = match (first_create, all_scheduled) {
                (Some(a), Some(b)) if b > a => Some(pods as f64 / to_secs(b - a)),
                _ => None,
            };
            Recovery {
                jobset: sim.store.jobsets[r.jobset as usize].name.clone(),
                attempt: r.attempt,
                failed_at_s: to_secs(r.failed_at_ns),
                first_create_s: first_create.map(to_secs),
                all_scheduled_s: all_scheduled.map(to_secs),
                all_running_s: all_running.map(to_secs),
                time_to_recover_s: all_running.map(|t| to_secs(t.saturating_sub(r.failed_at_ns))),
                pods,
                pods_per_s,
                peak_pods_per_s: peak_per_second(&binds),
                bind_windows: super::recoveries::windows(&binds, first_create, all_scheduled),
            }
        })
        .collect()
}

/// Most events in any window of one second (sorted input).
pub(crate) fn peak_per_second(sorted: &[SimTime]) -> u64 {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..sorted.len() {
        while sorted[hi] - sorted[lo] >= 1_000_000_000 {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_window() {
        let s = 1_000_000_000u64;
        assert_eq!(peak_per_second(&[]), 0);
        assert_eq!(peak_per_second(&[0, 1, 2, s - 1, s, 2 * s]), 4);
        assert_eq!(peak_per_second(&[0, s, 2 * s]), 1);
    }
}

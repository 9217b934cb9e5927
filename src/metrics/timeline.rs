//! The timeline: the cluster's state sampled at a fixed simulated-time step, for
//! `timeline.csv` and `timeline.svg`. Samples are taken in the event loop as the clock passes
//! each step, from counters the simulation keeps, so sampling never scans pods or nodes.

use crate::engine::time::NS_PER_S;
use crate::engine::SimTime;
use crate::sim::Sim;

/// At most about this many samples per run: the step grows with the run's length.
const TARGET_SAMPLES: u64 = 4_000;

/// Steps the timeline may use: 1 s upward through round minutes, hours and days.
const STEPS_S: &[u64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_200, 1_800, 3_600, 7_200, 10_800, 21_600,
    43_200, 86_400, 172_800, 604_800,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub time_ns: SimTime,
    pub pods_pending: u64,
    pub pods_running: u64,
    /// Pods failed so far (cumulative).
    pub pods_failed: u64,
    pub nodes_available: u64,
    /// Out of the pool because of a fault (down, cordoned for repair, drained).
    pub nodes_out: u64,
    /// JobSet restarts so far.
    pub restarts: u64,
    /// Useful work / time since submission over the training JobSets, when there are any.
    pub goodput: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Timeline {
    pub step_ns: u64,
    next_ns: SimTime,
    pub samples: Vec<Sample>,
}

/// The smallest listed step that keeps a run of `until_ns` within the sample target.
pub fn step_for(until_ns: u64) -> u64 {
    let want_s = until_ns.div_ceil(TARGET_SAMPLES * NS_PER_S);
    let s = STEPS_S
        .iter()
        .copied()
        .find(|&s| s >= want_s)
        .unwrap_or(want_s.max(1));
    s * NS_PER_S
}

impl Timeline {
    pub fn new(until_ns: u64) -> Self {
        Timeline {
            step_ns: step_for(until_ns),
            next_ns: 0,
            samples: vec![],
        }
    }

    /// Whether a sample is due before handling an event at `now`.
    #[inline]
    pub fn due(&self, now: SimTime) -> bool {
        now >= self.next_ns
    }
}

impl Sim {
    /// Takes every sample whose time has come (the state is constant between events).
    pub(crate) fn sample_timeline(&mut self, now: SimTime) {
        while self.timeline.due(now) {
            let t = self.timeline.next_ns;
            let s = self.snapshot(t);
            self.timeline.samples.push(s);
            self.timeline.next_ns += self.timeline.step_ns;
        }
    }

    /// The state now, stamped `time_ns`.
    pub fn snapshot(&self, time_ns: SimTime) -> Sample {
        let out = self.inject.node_out.iter().filter(|&&o| o).count() as u64;
        let mut useful = 0u128;
        let mut wall = 0u128;
        let mut any = false;
        for (_, t) in self.training.states() {
            any = true;
            useful += t.progress_at(time_ns) as u128;
            let end = t.done_at_ns.unwrap_or(time_ns);
            wall += end.saturating_sub(t.submitted_ns) as u128;
        }
        Sample {
            time_ns,
            pods_pending: self.rec.pods_pending_now,
            pods_running: self.rec.pods_running_now,
            pods_failed: self.rec.pods_failed,
            nodes_available: self.cluster.len() as u64 - out,
            nodes_out: out,
            restarts: self.rec.restarts.len() as u64,
            goodput: (any && wall > 0).then(|| useful as f64 / wall as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_grows_with_the_run() {
        assert_eq!(step_for(2_400 * NS_PER_S), NS_PER_S);
        assert_eq!(step_for(54 * 86_400 * NS_PER_S), 1_200 * NS_PER_S);
        const { assert!(54 * 86_400 / 1_200 <= TARGET_SAMPLES) };
        assert_eq!(step_for(1), NS_PER_S);
    }
}

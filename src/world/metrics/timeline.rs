//! The timeline: the cluster's state sampled at a fixed simulated-time step, for
//! `timeline.csv` and `timeline.svg`. Samples are taken in the event loop as the clock passes
//! each step, from counters the simulation keeps, so sampling never scans pods or nodes.

use crate::engine::time::NS_PER_S;
use crate::engine::SimTime;
use crate::sim::Sim;

/// At most about this many samples on the run's step (samples inside recoveries come on top).
const TARGET_SAMPLES: u64 = 4_000;

/// Steps the timeline may use, each a multiple of the one before, so a coarser step keeps the
/// samples already on its grid: 1 s upward through round minutes, hours and days.
const STEPS_S: &[u64] = &[
    1, 5, 15, 30, 60, 300, 900, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400, 604_800,
];

/// While a recovery is open the timeline samples at the largest step at most this fraction of
/// its step (at least 1 s): a 31-second recovery in a 7-day run (5-minute step) gets 15-second
/// samples.
const FINE_DIVISOR: u64 = 16;

/// Fine samples stop this many of the run's steps after records opened: a recovery stalled
/// for days shows at the run's step after its first hour or so, not in thousands of rows.
const FINE_WINDOW_STEPS: u64 = 16;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
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
    /// Pods bound so far (cumulative): binds per second between samples.
    pub binds: u64,
    /// Some recovery record was open when the sample was taken.
    pub recovering: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    /// The step now; at the end of the run, the one chosen from its actual end.
    pub step_ns: u64,
    next_ns: SimTime,
    /// The first fine sample not taken yet, and the fine step (`fine_step_for(step_ns)`).
    next_fine_ns: SimTime,
    fine_step_ns: u64,
    pub samples: Vec<Sample>,
}

/// The smallest listed step that keeps a run of `end_ns` within the sample target: the step
/// a run of that length ends with, which the tests hold the coarsening to.
#[cfg(test)]
pub(crate) fn step_for(end_ns: u64) -> u64 {
    let want_s = end_ns.div_ceil(TARGET_SAMPLES * NS_PER_S);
    let s = STEPS_S
        .iter()
        .copied()
        .find(|&s| s >= want_s)
        .unwrap_or(want_s.max(1));
    s * NS_PER_S
}

/// The step inside recoveries for a timeline of step `step_ns`.
pub(crate) fn fine_step_for(step_ns: u64) -> u64 {
    let want_s = step_ns / NS_PER_S / FINE_DIVISOR;
    let s = STEPS_S
        .iter()
        .copied()
        .rev()
        .find(|&s| s <= want_s)
        .unwrap_or(1);
    s * NS_PER_S
}

fn align_up(t: SimTime, step: u64) -> SimTime {
    t.div_ceil(step).saturating_mul(step)
}

impl Timeline {
    /// Starts at the finest step; it grows as the run goes (see `push`).
    pub(crate) fn new() -> Self {
        Timeline {
            step_ns: STEPS_S[0] * NS_PER_S,
            next_ns: 0,
            next_fine_ns: 0,
            fine_step_ns: fine_step_for(STEPS_S[0] * NS_PER_S),
            samples: vec![],
        }
    }

    /// The next fine sample while records have been open since `open_since_ns`: on the fine
    /// grid, not before they opened (the state sampled is the one after their opening).
    /// None past the fine window.
    #[inline]
    fn next_fine(&self, open_since_ns: SimTime) -> Option<SimTime> {
        let t = if open_since_ns <= self.next_fine_ns {
            self.next_fine_ns
        } else {
            align_up(open_since_ns, self.fine_step_ns)
        };
        let window_end_ns = open_since_ns.saturating_add(FINE_WINDOW_STEPS * self.step_ns);
        (t < window_end_ns).then_some(t)
    }

    /// Whether a sample is due before handling an event at `now`.
    #[inline]
    pub(crate) fn due(&self, now: SimTime, open_since_ns: Option<SimTime>) -> bool {
        now >= self.next_ns
            || open_since_ns
                .and_then(|t| self.next_fine(t))
                .is_some_and(|t| now >= t)
    }

    /// The time of the next sample due by `now`, if any.
    fn next_due(&self, now: SimTime, open_since_ns: Option<SimTime>) -> Option<SimTime> {
        let fine = open_since_ns
            .and_then(|t| self.next_fine(t))
            .unwrap_or(SimTime::MAX);
        let t = self.next_ns.min(fine);
        (t <= now).then_some(t)
    }

    /// Keeps a sample; a run that outgrows the sample target at its step moves to the next
    /// step, keeping only the samples on the new grids.
    fn push(&mut self, s: Sample) {
        let t = s.time_ns;
        self.samples.push(s);
        self.next_fine_ns = align_up(t + 1, self.fine_step_ns);
        if t < self.next_ns {
            return;
        }
        self.next_ns = t + self.step_ns;
        if self.next_ns / self.step_ns > TARGET_SAMPLES {
            self.coarsen();
        }
    }

    fn coarsen(&mut self) {
        let Some(&next_s) = STEPS_S.iter().find(|&&s| s * NS_PER_S > self.step_ns) else {
            return;
        };
        self.step_ns = next_s * NS_PER_S;
        self.fine_step_ns = fine_step_for(self.step_ns);
        let (step, fine) = (self.step_ns, self.fine_step_ns);
        self.samples
            .retain(|s| s.time_ns % step == 0 || (s.recovering && s.time_ns % fine == 0));
        self.next_ns = align_up(self.next_ns, step);
        self.next_fine_ns = align_up(self.next_fine_ns, fine);
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    /// Takes every sample whose time has come (the state is constant between events).
    pub(crate) fn sample_timeline(&mut self, now: SimTime) {
        let open_since = self.rec.recoveries.open_since_ns();
        while let Some(t) = self.timeline.next_due(now, open_since) {
            let s = self.snapshot(t);
            self.timeline.push(s);
        }
    }

    /// The state now, stamped `time_ns`.
    pub(crate) fn snapshot(&self, time_ns: SimTime) -> Sample {
        let out = self.inject.nodes_out_now();
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
            binds: self.rec.pods_scheduled,
            recovering: self.rec.recoveries.open_since_ns().is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(time_ns: SimTime, recovering: bool) -> Sample {
        Sample {
            time_ns,
            pods_pending: 0,
            pods_running: 0,
            pods_failed: 0,
            nodes_available: 0,
            nodes_out: 0,
            restarts: 0,
            goodput: None,
            binds: 0,
            recovering,
        }
    }

    /// Drives a timeline as the event loop does, with events every `event_ns` to `end_ns`
    /// and a recovery open over `recovery` (start, end).
    fn drive(end_ns: SimTime, event_ns: u64, recovery: (SimTime, SimTime)) -> Timeline {
        let mut tl = Timeline::new();
        let mut now = 0;
        while now <= end_ns {
            let open = (now > recovery.0 && now <= recovery.1).then_some(recovery.0);
            while let Some(t) = tl.next_due(now, open) {
                tl.push(sample(t, open.is_some()));
            }
            now += event_ns;
        }
        tl
    }

    #[test]
    fn steps_divide_each_other_and_follow_the_length() {
        assert!(STEPS_S.windows(2).all(|w| w[1] % w[0] == 0));
        assert_eq!(step_for(2_400 * NS_PER_S), NS_PER_S);
        assert_eq!(step_for(7 * 86_400 * NS_PER_S), 300 * NS_PER_S);
        assert_eq!(step_for(54 * 86_400 * NS_PER_S), 1_800 * NS_PER_S);
        assert_eq!(fine_step_for(300 * NS_PER_S), 15 * NS_PER_S);
        assert_eq!(fine_step_for(1_800 * NS_PER_S), 60 * NS_PER_S);
        assert_eq!(fine_step_for(NS_PER_S), NS_PER_S);
    }

    #[test]
    fn the_step_follows_the_actual_end_not_a_limit() {
        // A 31-day run: whatever `until` said, the step is the one for 31 days.
        let end = 31 * 86_400 * NS_PER_S;
        let tl = drive(end, 7 * NS_PER_S, (0, 0));
        assert_eq!(tl.step_ns, step_for(end));
        let n = tl.samples.len() as u64;
        assert!((TARGET_SAMPLES / 5..=TARGET_SAMPLES).contains(&n), "{n}");
        assert!(tl.samples.iter().all(|s| s.time_ns % tl.step_ns == 0));
        assert!(tl.samples.windows(2).all(|w| w[0].time_ns < w[1].time_ns));
    }

    #[test]
    fn a_recovery_is_sampled_finer_and_kept_when_the_step_grows() {
        // A 31-second recovery one day into a 7-day run (5-minute step, 15-second inside).
        let at = 86_400 * NS_PER_S + 7 * NS_PER_S;
        let tl = drive(7 * 86_400 * NS_PER_S, NS_PER_S, (at, at + 31 * NS_PER_S));
        assert_eq!(tl.step_ns, 300 * NS_PER_S);
        let inside: Vec<u64> = tl
            .samples
            .iter()
            .filter(|s| s.recovering)
            .map(|s| s.time_ns / NS_PER_S)
            .collect();
        assert_eq!(inside, [86_415, 86_430]);
        // Outside the recovery every sample is on the run's step.
        assert!(tl
            .samples
            .iter()
            .filter(|s| !s.recovering)
            .all(|s| s.time_ns % tl.step_ns == 0));
    }
}

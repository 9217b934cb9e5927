//! Distributions of the run's latencies and rates: time to recover and recovery throughput per
//! recovery record (exact, nearest rank: a run has at most thousands of records), pod
//! scheduling latency and training recovery (HdrHistogram, 3 significant digits: a run has
//! millions of pods). Defined in docs/metrics.md.

use crate::engine::time::to_secs;
use crate::sim::Sim;
use hdrhistogram::Histogram;
use serde::Serialize;

/// Percentiles of one quantity; all null when nothing was observed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Dist {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Distributions {
    /// Failure → every needed pod running, per recovered record of `recoveries[]`
    /// (seconds), whatever the repair path.
    pub time_to_recover_s: Dist,
    /// Pod created → bound, per pod bound (seconds).
    pub pod_scheduling_latency_s: Dist,
    /// `recoveries[].pods_per_s`, per record that has one (pods/s).
    pub recovery_pods_per_s: Dist,
    /// Training interruption → progress resumes, per interruption (seconds).
    pub training_recovery_s: Dist,
}

/// Values are recorded in integer `unit`s of the reported quantity (e.g. 1e-6 for
/// microseconds of a quantity reported in seconds).
#[derive(Debug)]
struct Recorder {
    h: Histogram<u64>,
    unit: f64,
}

impl Recorder {
    fn new(unit: f64) -> Self {
        Recorder {
            h: Histogram::new(3).expect("3 significant digits is valid"),
            unit,
        }
    }

    fn add(&mut self, v: f64) {
        if v.is_finite() && v >= 0.0 {
            // The histogram grows to fit (auto-resize); nothing is clamped.
            let _ = self.h.record((v / self.unit).round() as u64);
        }
    }

    fn dist(&self) -> Dist {
        let n = self.h.len();
        let q = |p: f64| (n > 0).then(|| self.h.value_at_quantile(p) as f64 * self.unit);
        Dist {
            count: n,
            mean: (n > 0).then(|| self.h.mean() * self.unit),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: (n > 0).then(|| self.h.max() as f64 * self.unit),
        }
    }
}

/// The scheduling-latency histogram the metrics observer filled as pods bound
/// (`metrics::SchedulingLatency`, microseconds), as a distribution in seconds.
pub(crate) fn scheduling_latency(l: &crate::metrics::SchedulingLatency) -> Dist {
    Recorder {
        h: l.micros.clone(),
        unit: crate::metrics::SchedulingLatency::UNIT_S,
    }
    .dist()
}

/// Exact distribution of a few values: nearest-rank percentiles (rank ⌈p·n⌉), as the headline
/// metrics `recoveries.time_to_recover_p50_s` … compute them, so the two always agree.
fn exact(values: impl Iterator<Item = f64>) -> Dist {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite() && *x >= 0.0).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let rank = |p: f64| {
        let k = ((p * n as f64).ceil() as usize).clamp(1, n.max(1));
        v.get(k - 1).copied()
    };
    Dist {
        count: n as u64,
        mean: (n > 0).then(|| v.iter().sum::<f64>() / n as f64),
        p50: rank(0.5),
        p90: rank(0.9),
        p99: rank(0.99),
        max: v.last().copied(),
    }
}

/// `records` are summary.json's `recoveries[]`: one per interruption (docs/metrics.md), so a
/// RestartJob, in-place or pod-replacement policy has the same statistics as RestartJobSet.
pub(crate) fn build(sim: &Sim, records: &[super::recoveries::RecoveryEntry]) -> Distributions {
    let ttr = exact(records.iter().filter_map(|r| r.durations.time_to_recover_s));
    let rate = exact(records.iter().filter_map(|r| r.pods_per_s));
    let mut training = Recorder::new(1e-3);
    for (_, t) in sim.training.states() {
        for &r in &t.recoveries_ns {
            training.add(to_secs(r));
        }
    }
    Distributions {
        time_to_recover_s: ttr,
        pod_scheduling_latency_s: scheduling_latency(&sim.rec.scheduling_latency),
        recovery_pods_per_s: rate,
        training_recovery_s: training.dist(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_within_three_digits() {
        let mut r = Recorder::new(1e-3);
        for i in 1..=1000 {
            r.add(i as f64);
        }
        let d = r.dist();
        assert_eq!(d.count, 1000);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() / b < 2e-3;
        assert!(close(d.p50, 500.0), "{d:?}");
        assert!(close(d.p90, 900.0), "{d:?}");
        assert!(close(d.p99, 990.0), "{d:?}");
        assert!(close(d.max, 1000.0), "{d:?}");
        assert!(close(d.mean, 500.5), "{d:?}");
    }

    #[test]
    fn exact_percentiles_are_nearest_rank() {
        let d = exact([30.0, 10.0, 20.0, f64::NAN, 40.0].into_iter());
        assert_eq!(d.count, 4);
        assert_eq!((d.p50, d.p90, d.max), (Some(20.0), Some(40.0), Some(40.0)));
        assert_eq!(d.mean, Some(25.0));
        let one = exact([7.5].into_iter());
        assert_eq!(
            (one.p50, one.p99, one.max),
            (Some(7.5), Some(7.5), Some(7.5))
        );
        let none = exact(std::iter::empty());
        assert_eq!(none.count, 0);
        assert!(none.p50.is_none() && none.mean.is_none() && none.max.is_none());
    }

    #[test]
    fn empty_is_null() {
        let d = Recorder::new(1.0).dist();
        assert_eq!(d.count, 0);
        assert!(d.p50.is_none() && d.max.is_none() && d.mean.is_none());
    }
}

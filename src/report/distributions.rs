//! Distributions of the run's latencies and rates (HdrHistogram, 3 significant digits): time to
//! recover, pod scheduling latency, recovery throughput. Defined in docs/metrics.md.

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
    /// Failure → all pods of the new attempt Running, per recovery (seconds).
    pub time_to_recover_s: Dist,
    /// Pod created → bound, per pod bound (seconds).
    pub pod_scheduling_latency_s: Dist,
    /// Recovery throughput per recovery (pods/s).
    pub recovery_pods_per_s: Dist,
    /// Training interruption → progress resumes, per interruption (seconds).
    pub training_recovery_s: Dist,
}

/// Values are recorded in integer `unit`s of the reported quantity (e.g. 1e-6 for
/// microseconds of a quantity reported in seconds).
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

pub(crate) fn build(sim: &Sim, recoveries: &[super::recovery::Recovery]) -> Distributions {
    let mut ttr = Recorder::new(1e-3);
    let mut rate = Recorder::new(1e-3);
    for r in recoveries {
        if let Some(t) = r.time_to_recover_s {
            ttr.add(t);
        }
        if let Some(v) = r.pods_per_s {
            rate.add(v);
        }
    }
    let mut sched = Recorder::new(1e-6);
    for p in &sim.pods {
        if let Some(b) = p.bound_at_ns {
            sched.add(to_secs(b.saturating_sub(p.created_at_ns)));
        }
    }
    let mut training = Recorder::new(1e-3);
    for (_, t) in sim.training.states() {
        for &r in &t.recoveries_ns {
            training.add(to_secs(r));
        }
    }
    Distributions {
        time_to_recover_s: ttr.dist(),
        pod_scheduling_latency_s: sched.dist(),
        recovery_pods_per_s: rate.dist(),
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
    fn empty_is_null() {
        let d = Recorder::new(1.0).dist();
        assert_eq!(d.count, 0);
        assert!(d.p50.is_none() && d.max.is_none() && d.mean.is_none());
    }
}

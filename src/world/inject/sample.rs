//! Random durations for the fault injectors, in integer nanoseconds.

use crate::engine::StreamRng;
use crate::scenario::faults::Lognormal;
use rand::Rng;
use rand_distr::{Distribution, Gamma};

/// Longest duration drawn: far beyond any run (100 years), and far from u64 overflow.
const MAX_DRAW_NS: f64 = 36_500.0 * 86_400e9;

fn clamp_ns(x: f64) -> u64 {
    if x.is_nan() {
        return MAX_DRAW_NS as u64;
    }
    x.clamp(1.0, MAX_DRAW_NS) as u64
}

/// Uniform in (0, 1]: never 0, so logarithms stay finite.
fn unit(rng: &mut StreamRng) -> f64 {
    1.0 - rng.gen::<f64>()
}

/// Gamma function for the Weibull mean, via Lanczos (g = 7, n = 9); ample for shapes 0.1–10.
pub(crate) fn gamma_fn(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x))
    } else {
        let x = x - 1.0;
        let mut a = G[0];
        let t = x + 7.5;
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
    }
}

/// Inter-arrival times with mean `mean_ns`: exponential, or Weibull of the given shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrivals {
    pub mean_ns: f64,
    pub weibull_shape: Option<f64>,
}

impl Arrivals {
    /// Weibull scale λ such that the mean is `mean_ns`: mean = λ Γ(1 + 1/k).
    fn scale(&self, k: f64) -> f64 {
        self.mean_ns / gamma_fn(1.0 + 1.0 / k)
    }

    /// The next gap of the renewal process.
    pub(crate) fn gap_ns(&self, rng: &mut StreamRng) -> u64 {
        match self.weibull_shape {
            None => clamp_ns(-self.mean_ns * unit(rng).ln()),
            Some(k) => clamp_ns(self.scale(k) * (-unit(rng).ln()).powf(1.0 / k)),
        }
    }

    /// The first arrival of a process already running in steady state (the equilibrium
    /// distribution), so the rate seen from time 0 is the configured one. Starting every
    /// node fresh at 0 instead would, with a decreasing hazard (shape < 1), make the first
    /// days far more failure-prone than the rest. For a Weibull the interval that covers
    /// time 0 is length-biased: (L/λ)^k ~ Gamma(1 + 1/k); time 0 falls uniformly inside it.
    pub(crate) fn first_ns(&self, rng: &mut StreamRng) -> u64 {
        match self.weibull_shape {
            None => self.gap_ns(rng),
            Some(k) => {
                let y = Gamma::new(1.0 + 1.0 / k, 1.0)
                    .map(|g| g.sample(rng))
                    .unwrap_or(1.0);
                let covering = self.scale(k) * y.powf(1.0 / k);
                clamp_ns(covering * unit(rng))
            }
        }
    }
}

/// A lognormal duration (Box–Muller normal: two uniforms per draw, whatever the outcome, so
/// the stream advances the same way every time).
pub(crate) fn lognormal_ns(rng: &mut StreamRng, d: &Lognormal) -> u64 {
    let u1 = unit(rng);
    let u2 = rng.gen::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    clamp_ns(d.median_ns as f64 * (d.sigma * z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn gamma_function_known_values() {
        assert!((gamma_fn(1.0) - 1.0).abs() < 1e-12);
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }

    fn mean_of(n: usize, mut f: impl FnMut() -> u64) -> f64 {
        (0..n).map(|_| f() as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn exponential_and_weibull_gaps_have_the_configured_mean() {
        let mut rng = RngStreams::new(1).stream("t");
        for shape in [None, Some(0.6), Some(1.5)] {
            let a = Arrivals {
                mean_ns: 1e9,
                weibull_shape: shape,
            };
            let m = mean_of(200_000, || a.gap_ns(&mut rng));
            assert!((m / 1e9 - 1.0).abs() < 0.03, "shape {shape:?}: mean {m}");
        }
    }

    #[test]
    fn equilibrium_first_arrival_gives_the_configured_rate_from_time_zero() {
        // For a stationary renewal process, P(first arrival <= t) = (1/mean) ∫0^t S(u) du,
        // which for small t is about t / mean, whatever the shape. A fresh start with shape
        // 0.6 would give about twice that.
        let mut rng = RngStreams::new(2).stream("t");
        let a = Arrivals {
            mean_ns: 100.0,
            weibull_shape: Some(0.6),
        };
        let n = 200_000;
        let early = (0..n).filter(|_| a.first_ns(&mut rng) <= 10).count() as f64 / n as f64;
        let fresh = (0..n).filter(|_| a.gap_ns(&mut rng) <= 10).count() as f64 / n as f64;
        assert!(early < 0.1 && early > 0.06, "equilibrium {early}");
        assert!(fresh > 0.15, "fresh start {fresh}");
    }

    #[test]
    fn lognormal_median() {
        let mut rng = RngStreams::new(3).stream("t");
        let d = Lognormal {
            median_ns: 1_000_000,
            sigma: 2.5,
        };
        let mut v: Vec<u64> = (0..100_001).map(|_| lognormal_ns(&mut rng, &d)).collect();
        v.sort_unstable();
        let median = v[50_000] as f64;
        assert!((median / 1e6 - 1.0).abs() < 0.05, "median {median}");
        let fixed = Lognormal {
            median_ns: 5,
            sigma: 0.0,
        };
        assert_eq!(lognormal_ns(&mut rng, &fixed), 5);
    }
}

//! Small-sample statistics for sweeps and comparisons: mean, sample standard deviation and the
//! Student-t 95% confidence interval of the mean. Sweeps have few seeds per cell (5–50), where
//! the normal 1.96 would make intervals too narrow.

/// Summary of one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); None when n < 2.
    pub sd: Option<f64>,
    /// 95% confidence interval of the mean; None when n < 2.
    pub ci95: Option<(f64, f64)>,
}

/// None for an empty sample. Sums in the given order, so the same values in the same order
/// always give the same bits (sweep outputs are byte-compared).
pub(crate) fn describe(values: &[f64]) -> Option<Stats> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(Stats {
            n,
            mean,
            sd: None,
            ci95: None,
        });
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let half = t_975(n - 1) * sd / (n as f64).sqrt();
    Some(Stats {
        n,
        mean,
        sd: Some(sd),
        ci95: Some((mean - half, mean + half)),
    })
}

/// Two-sided 95% Student-t quantile (the 0.975 quantile) for `df` degrees of freedom.
pub(crate) fn t_975(df: usize) -> f64 {
    // Exact values up to 30; beyond, the Cornish–Fisher expansion is within 1e-6.
    const TABLE: [f64; 30] = [
        12.706204736,
        4.302652730,
        3.182446305,
        2.776445105,
        2.570581836,
        2.446911851,
        2.364624252,
        2.306004135,
        2.262157163,
        2.228138852,
        2.200985160,
        2.178812830,
        2.160368656,
        2.144786688,
        2.131449546,
        2.119905299,
        2.109815578,
        2.100922040,
        2.093024054,
        2.085963447,
        2.079613845,
        2.073873068,
        2.068657610,
        2.063898562,
        2.059538553,
        2.055529439,
        2.051830516,
        2.048407142,
        2.045229642,
        2.042272456,
    ];
    assert!(df >= 1, "t quantile needs at least one degree of freedom");
    if df <= 30 {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959963984540054;
    let v = df as f64;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92160.0 * v.powi(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn mean_sd_and_ci_of_a_known_sample() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7.
        let s = describe(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        let sd = (32.0f64 / 7.0).sqrt();
        assert!(close(s.sd.unwrap(), sd, 1e-12));
        // t(7, 0.975) = 2.364624252; half-width = t · sd / √8 = 1.787488...
        let (lo, hi) = s.ci95.unwrap();
        assert!(close(hi - 5.0, 2.364624252 * sd / 8f64.sqrt(), 1e-9));
        assert!(close(lo, 5.0 - 1.787_488, 1e-5), "lo {lo}");
    }

    #[test]
    fn small_samples() {
        assert_eq!(describe(&[]), None);
        let one = describe(&[3.5]).unwrap();
        assert_eq!((one.n, one.mean, one.sd, one.ci95), (1, 3.5, None, None));
        let same = describe(&[2.0, 2.0, 2.0]).unwrap();
        assert_eq!(same.sd, Some(0.0));
        assert_eq!(same.ci95, Some((2.0, 2.0)));
    }

    #[test]
    fn t_quantiles_match_tables() {
        assert!(close(t_975(1), 12.7062, 1e-4));
        assert!(close(t_975(10), 2.2281, 1e-4));
        assert!(close(t_975(40), 2.021075, 1e-5));
        assert!(close(t_975(60), 2.000298, 1e-5));
        assert!(close(t_975(120), 1.979930, 1e-5));
        assert!(close(t_975(100_000), 1.959988, 1e-5));
        // Monotone where the table hands over to the expansion.
        assert!(t_975(31) < t_975(30));
    }
}

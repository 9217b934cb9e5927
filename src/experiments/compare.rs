//! `jobset-sim compare A B`: both sides run on the same seeds (common random numbers), and each
//! headline metric is judged on its per-seed differences B − A with a paired-t 95% interval.
//! Pairing removes the seed-to-seed variation both sides share, so real differences show with
//! few seeds. A side is a scenario file or a sweep cell, `SWEEP.yaml#c3`.

use crate::error::{InputError, SimError};
use crate::headline::METRICS;
use crate::scenario::Scenario;
use crate::stats::describe;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

pub(crate) struct Side {
    pub label: String,
    pub scenario: Scenario,
    /// `notice:` and `warning:` lines to print before running.
    pub warnings: Vec<String>,
}

/// `--dry-run`: each side's plan (built as a run would build it, so the same errors stop it)
/// and the seeds both run.
pub(crate) fn plan(a: &Side, b: &Side, seeds: &[u64]) -> Result<String, SimError> {
    let mut out = String::new();
    for (name, side) in [("A", a), ("B", b)] {
        let sim = crate::sim::Sim::new(side.scenario.clone())?;
        out += &format!("side {name}    {}\n", side.label);
        for line in crate::plan::describe(&sim.scenario, sim.cluster.len()).lines() {
            // Each run takes its seed from the list below, not the scenario's.
            if !line.starts_with("seed ") {
                out += &format!("  {line}\n");
            }
        }
    }
    let shown: Vec<String> = seeds.iter().map(u64::to_string).collect();
    out += &format!(
        "seeds      {} (both sides run each): {} runs\n",
        shown.join(","),
        2 * seeds.len()
    );
    Ok(out)
}

/// `FILE` (a scenario) or `SWEEP#CELL` (a cell of a sweep, by id as in runs.csv: `c3`).
/// `sets` (`--set`) edit the scenario (for a cell, the sweep's base before its axes).
pub(crate) fn load_side(spec: &str, sets: &[crate::source::Set]) -> Result<Side, SimError> {
    let Some((file, cell)) = spec.rsplit_once('#') else {
        let scenario = crate::source::load_scenario_with(Path::new(spec), sets)?;
        // Refused before any run, located in the file like `run`'s refusal (a sweep cell's
        // is checked as the sweep loads).
        crate::scenario::memory::check(&scenario)
            .map_err(|e| crate::yaml::locate::fill_scenario_file(e.into(), Path::new(spec)))?;
        return Ok(Side {
            label: spec.to_string(),
            warnings: scenario.warnings(),
            scenario,
        });
    };
    let sweep = crate::sweep::spec::load_sweep(Path::new(file), sets)?;
    let wanted = if cell.starts_with('c') {
        cell.to_string()
    } else {
        format!("c{cell}")
    };
    let found = sweep
        .cells
        .into_iter()
        .find(|c| c.id == wanted)
        .ok_or_else(|| {
            InputError::new(
                file,
                format!("{cell:?}: no such cell; this sweep has cells c0 .. c{}", {
                    let n = sweep.axes.iter().map(|a| a.values.len()).product::<usize>();
                    n.saturating_sub(1)
                }),
            )
        })?;
    let label = format!(
        "{spec} ({})",
        sweep
            .axes
            .iter()
            .zip(&found.values)
            .map(|(a, v)| format!("{}={v}", a.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let warnings = sweep
        .warnings
        .iter()
        .chain(&found.warnings)
        .cloned()
        .collect();
    Ok(Side {
        label,
        scenario: found.scenario,
        warnings,
    })
}

#[derive(Debug, Serialize)]
pub(crate) struct Comparison {
    pub a: String,
    pub b: String,
    pub seeds: Vec<u64>,
    pub metrics: Vec<MetricDiff>,
}

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct MetricDiff {
    pub name: String,
    /// Seeds where both sides have the metric.
    pub n: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// Mean of B − A over the paired seeds.
    pub mean_diff: f64,
    pub sd_diff: Option<f64>,
    pub ci95_lo: Option<f64>,
    pub ci95_hi: Option<f64>,
    /// The 95% interval excludes zero.
    pub significant: bool,
    pub verdict: String,
}

pub(crate) fn compare(
    a: &Side,
    b: &Side,
    seeds: &[u64],
    jobs: usize,
    check_invariants: bool,
) -> Result<Comparison, SimError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| SimError::Internal(format!("thread pool: {e}")))?;
    let runs: Vec<(usize, u64)> = [0, 1]
        .into_iter()
        .flat_map(|side| seeds.iter().map(move |&s| (side, s)))
        .collect();
    let summaries = pool.install(|| {
        runs.par_iter()
            .map(|&(side, seed)| {
                let s = if side == 0 { a } else { b };
                crate::runner::run_to_summary(s.scenario.clone(), seed, check_invariants)
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let (sa, sb) = summaries.split_at(seeds.len());
    let metrics = METRICS
        .iter()
        .filter_map(|m| {
            let values = |side: &[serde_json::Value]| -> Vec<Option<f64>> {
                side.iter()
                    .map(|x| (m.compute)(x).filter(|v| v.is_finite()))
                    .collect()
            };
            judge_sides(m.name, &values(sa), &values(sb))
        })
        .collect();
    Ok(Comparison {
        a: a.label.clone(),
        b: b.label.clone(),
        seeds: seeds.to_vec(),
        metrics,
    })
}

/// One metric over the paired seeds, `None` where a run lacks it: the paired statistics over
/// the seeds where both have it, and the seeds where only one side has it said in the verdict,
/// so no metric is dropped silently. `None` only when neither side has it on any seed.
pub(crate) fn judge_sides(name: &str, a: &[Option<f64>], b: &[Option<f64>]) -> Option<MetricDiff> {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    let only = |x: &[Option<f64>], y: &[Option<f64>]| {
        x.iter()
            .zip(y)
            .filter(|(x, y)| x.is_some() && y.is_none())
            .count()
    };
    let (only_a, only_b) = (only(a, b), only(b, a));
    let missing = match (only_a, only_b) {
        (0, 0) => None,
        (n, 0) => Some(format!("missing on B in {n} of {} seeds", a.len())),
        (0, n) => Some(format!("missing on A in {n} of {} seeds", a.len())),
        (x, y) => Some(format!(
            "missing on B in {x} and on A in {y} of {} seeds",
            a.len()
        )),
    };
    let Some(missing) = missing else {
        return judge(name, &pairs);
    };
    let mean = |xs: &[Option<f64>]| {
        let v: Vec<f64> = xs.iter().flatten().copied().collect();
        describe(&v).map(|d| d.mean).unwrap_or(f64::NAN)
    };
    Some(match judge(name, &pairs) {
        Some(mut d) => {
            d.verdict = format!("{}; {missing}", d.verdict);
            d
        }
        None => MetricDiff {
            name: name.to_string(),
            n: 0,
            mean_a: mean(a),
            mean_b: mean(b),
            mean_diff: f64::NAN,
            sd_diff: None,
            ci95_lo: None,
            ci95_hi: None,
            significant: false,
            verdict: missing,
        },
    })
}

/// Paired statistics of one metric; None when no seed has it on both sides.
pub(crate) fn judge(name: &str, pairs: &[(f64, f64)]) -> Option<MetricDiff> {
    let diffs: Vec<f64> = pairs.iter().map(|(a, b)| b - a).collect();
    let d = describe(&diffs)?;
    let mean = |xs: Vec<f64>| describe(&xs).map(|s| s.mean).unwrap_or(f64::NAN);
    let (lo, hi) = d.ci95.unzip();
    let significant = d.ci95.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
    let verdict = if diffs.iter().all(|x| *x == 0.0) {
        "no difference (equal on every seed)".to_string()
    } else if let Some((lo, hi)) = d.ci95 {
        if lo > 0.0 {
            format!(
                "B higher by {} (95% CI {}..{})",
                num(d.mean),
                num(lo),
                num(hi)
            )
        } else if hi < 0.0 {
            format!(
                "B lower by {} (95% CI {}..{})",
                num(-d.mean),
                num(-hi),
                num(-lo)
            )
        } else {
            format!(
                "no significant difference (B − A 95% CI {}..{})",
                num(lo),
                num(hi)
            )
        }
    } else {
        format!("one seed only: B − A = {}, no interval", num(d.mean))
    };
    Some(MetricDiff {
        name: name.to_string(),
        n: d.n,
        mean_a: mean(pairs.iter().map(|p| p.0).collect()),
        mean_b: mean(pairs.iter().map(|p| p.1).collect()),
        mean_diff: d.mean,
        sd_diff: d.sd,
        ci95_lo: lo,
        ci95_hi: hi,
        significant,
        verdict,
    })
}

/// Four significant digits or so: enough to read a difference, short enough for a table.
pub(crate) fn num(v: f64) -> String {
    if v.is_nan() {
        return "-".into();
    }
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.digits$}")
}

pub(crate) fn table(c: &Comparison) -> String {
    let mut out = format!(
        "A: {}\nB: {}\nseeds: {} paired runs ({})\n\n",
        c.a,
        c.b,
        c.seeds.len(),
        seed_list(&c.seeds)
    );
    let rows: Vec<[String; 5]> = c
        .metrics
        .iter()
        .map(|m| {
            [
                m.name.clone(),
                num(m.mean_a),
                num(m.mean_b),
                num(m.mean_diff),
                m.verdict.clone(),
            ]
        })
        .collect();
    let header = [
        "METRIC".to_string(),
        "MEAN A".into(),
        "MEAN B".into(),
        "B − A".into(),
        "VERDICT".into(),
    ];
    let width = |i: usize| {
        rows.iter()
            .chain([&header])
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let w: Vec<usize> = (0..4).map(width).collect();
    for r in [&header].into_iter().chain(rows.iter()) {
        out += &format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3]
        );
    }
    out
}

fn seed_list(seeds: &[u64]) -> String {
    let contiguous = seeds.windows(2).all(|w| w[1] == w[0] + 1);
    match (seeds.first(), seeds.last()) {
        (Some(f), Some(l)) if contiguous && seeds.len() > 2 => format!("seeds {f}..={l}"),
        _ => format!(
            "seeds {}",
            seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sides_have_no_difference() {
        let d = judge("m", &[(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]).unwrap();
        assert_eq!(d.mean_diff, 0.0);
        assert!(!d.significant);
        assert!(d.verdict.starts_with("no difference"), "{}", d.verdict);
    }

    #[test]
    fn a_consistent_shift_is_significant() {
        // Differences 10, 12, 14: mean 12, sd 2, t(2) = 4.3027 → half-width 4.968.
        let d = judge("m", &[(0.0, 10.0), (5.0, 17.0), (1.0, 15.0)]).unwrap();
        assert_eq!(d.mean_diff, 12.0);
        assert!(d.significant);
        assert!((d.ci95_lo.unwrap() - 7.032).abs() < 1e-3);
        assert!(d.verdict.starts_with("B higher by 12.00"), "{}", d.verdict);
        let down = judge("m", &[(10.0, 0.0), (17.0, 5.0), (15.0, 1.0)]).unwrap();
        assert!(
            down.verdict
                .starts_with("B lower by 12.00 (95% CI 7.032..16.97)"),
            "{}",
            down.verdict
        );
    }

    #[test]
    fn noise_is_not_significant() {
        let d = judge("m", &[(0.0, 1.0), (0.0, -1.0), (0.0, 2.0), (0.0, -2.0)]).unwrap();
        assert!(!d.significant);
        assert!(
            d.verdict.starts_with("no significant difference"),
            "{}",
            d.verdict
        );
        assert!(judge("m", &[]).is_none());
    }

    /// A metric one side lacks keeps its row and says so; present on neither side, no row.
    #[test]
    fn a_metric_missing_on_one_side_is_reported_not_dropped() {
        let d = judge_sides("m", &[Some(2.0), Some(4.0)], &[None, None]).unwrap();
        assert_eq!(d.n, 0);
        assert_eq!(d.mean_a, 3.0);
        assert!(d.mean_b.is_nan());
        assert_eq!(d.verdict, "missing on B in 2 of 2 seeds");
        assert_eq!(num(d.mean_b), "-");
        let d = judge_sides(
            "m",
            &[Some(1.0), None, Some(1.0)],
            &[Some(1.0), Some(5.0), Some(1.0)],
        )
        .unwrap();
        assert_eq!(d.n, 2);
        assert_eq!(
            d.verdict,
            "no difference (equal on every seed); missing on A in 1 of 3 seeds"
        );
        assert!(judge_sides("m", &[None], &[None]).is_none());
        let same = judge_sides("m", &[Some(1.0)], &[Some(2.0)]).unwrap();
        assert_eq!(same, judge("m", &[(1.0, 2.0)]).unwrap());
    }
}

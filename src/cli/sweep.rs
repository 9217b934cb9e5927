//! The commands that run many simulations or judge one: `sweep`, `merge`, `compare`, `check`,
//! and the `expect:` gates of `run`. Kept out of `cli.rs` so that file stays the argument list.

use crate::cli::{CheckArgs, CompareArgs, MergeArgs, SweepArgs};
use crate::error::{InputError, SimError};
use crate::gates::Expectation;
use crate::report::summary::Summary;
use crate::sweep::{Options, Shard};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Exit code of a failed regression gate (`expect:` in `run`, a differing baseline in `check`).
pub(crate) const EXIT_GATE_FAILED: i32 = 3;

pub(super) fn jobs(arg: Option<usize>) -> Result<usize, SimError> {
    match arg {
        Some(0) => Err(InputError::new("--jobs", "must be at least 1").into()),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

pub(crate) fn sweep(args: SweepArgs) -> Result<(), SimError> {
    let shard = match &args.shard {
        Some(s) => Shard::parse(s).map_err(|m| InputError::new("--shard", m))?,
        None => Shard::ALL,
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.sweep.file_stem().unwrap_or_default();
        PathBuf::from("out").join(stem)
    });
    let sets = crate::source::Set::parse_all(&args.set)?;
    if args.dry_run {
        let sweep = crate::sweep::spec::load_sweep(&args.sweep, &sets)?;
        crate::sweep::output::check_only_sweep_files(&out)?;
        for line in sweep.all_warnings() {
            eprintln!("{line}");
        }
        print!("{}", crate::sweep::describe(&sweep, &out));
        println!("dry run: nothing ran, nothing was written");
        return Ok(());
    }
    let terminal = std::io::stderr().is_terminal();
    let opts = Options {
        jobs: jobs(args.jobs)?,
        out: out.clone(),
        shard,
        progress: terminal,
        progress_lines_every_ms: if terminal {
            None
        } else {
            crate::cli::progress_lines_every_ms()
        },
        sets,
        check_invariants: args.check_invariants,
    };
    let o = crate::sweep::run(&args.sweep, &opts)?;
    let mine = if shard == Shard::ALL {
        format!("{} runs", o.total_runs)
    } else {
        format!(
            "shard {}/{} of {} runs",
            shard.index, shard.count, o.total_runs
        )
    };
    println!(
        "{mine}: {} ran, {} already done in {}",
        o.ran,
        o.resumed,
        out.display()
    );
    if let Some(table) = &o.table {
        print!("{table}");
    }
    if o.tables_written {
        println!(
            "wrote {} and {}",
            out.join("runs.csv").display(),
            out.join("cells.csv").display()
        );
    } else {
        println!("runs.csv and cells.csv come once every run is done: `jobset-sim merge` the shards' directories");
    }
    Ok(())
}

pub(crate) fn merge(args: MergeArgs) -> Result<(), SimError> {
    let n = crate::sweep::merge::merge(&args.dirs, &args.out)?;
    println!(
        "merged {n} runs from {} directories; wrote {} and {}",
        args.dirs.len(),
        args.out.join("runs.csv").display(),
        args.out.join("cells.csv").display()
    );
    Ok(())
}

pub(crate) fn compare(args: CompareArgs) -> Result<(), SimError> {
    let seeds: Vec<u64> = match args.seed_list {
        Some(list) if list.is_empty() => {
            return Err(InputError::new("--seed-list", "no seeds").into())
        }
        Some(list) => list,
        None if args.seeds == 0 => {
            return Err(InputError::new("--seeds", "must be at least 1").into())
        }
        // Refused before the list is built, which alone could exhaust memory.
        None if args.seeds > crate::sweep::spec::MAX_RUNS as u64 => {
            let message = format!(
                "{} seeds is more than the {} runs a comparison may make",
                args.seeds,
                crate::sweep::spec::MAX_RUNS
            );
            return Err(InputError::new("--seeds", message).into());
        }
        None => (1..=args.seeds).collect(),
    };
    if args.a == "-" && args.b == "-" {
        return Err(InputError::new("-", "standard input can be only one side").into());
    }
    let sets = crate::source::Set::parse_all(&args.set)?;
    let a = crate::compare::load_side(&args.a, &sets)?;
    let b = crate::compare::load_side(&args.b, &sets)?;
    for line in a.warnings.iter().chain(&b.warnings) {
        eprintln!("{line}");
    }
    if args.dry_run {
        print!("{}", crate::compare::plan(&a, &b, &seeds)?);
        println!("dry run: nothing ran, nothing was written");
        return Ok(());
    }
    let c = crate::compare::compare(&a, &b, &seeds, jobs(args.jobs)?, args.check_invariants)?;
    if args.json {
        let json =
            serde_json::to_string_pretty(&c).map_err(|e| SimError::Internal(e.to_string()))?;
        println!("{json}");
    } else {
        print!("{}", crate::compare::table(&c));
    }
    Ok(())
}

/// After `run`: every failing expectation on stderr, then exit 3.
pub(crate) fn check_expectations(
    expect: &[Expectation],
    summary: &Summary,
) -> Result<(), SimError> {
    if expect.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_value(summary).map_err(|e| SimError::Internal(e.to_string()))?;
    let failures: Vec<String> = expect.iter().filter_map(|e| e.check(&json)).collect();
    if failures.is_empty() {
        return Ok(());
    }
    for f in &failures {
        eprintln!("{f}");
    }
    std::process::exit(EXIT_GATE_FAILED);
}

/// The headline metrics that changed, each with its relative change, then how many held.
fn headline_changes(stored: &serde_json::Value, fresh: &serde_json::Value) -> String {
    use crate::headline::{fmt_change, fmt_readable, METRICS};
    let show = |v: Option<f64>| v.map_or("absent".to_string(), fmt_readable);
    let mut out = String::from("  headline metrics:\n");
    let mut same = vec![];
    for m in METRICS {
        let (b, f) = ((m.compute)(stored), (m.compute)(fresh));
        if b == f {
            if b.is_some() {
                same.push(m.name);
            }
            continue;
        }
        let change = match (b, f) {
            (Some(b), Some(f)) => format!(" ({})", fmt_change(b, f)),
            _ => String::new(),
        };
        out += &format!("    {:<28} {} -> {}{change}\n", m.name, show(b), show(f));
    }
    if out.lines().count() == 1 {
        out += "    all the same\n";
    }
    if !same.is_empty() {
        out += &format!("    unchanged: {}\n", same.join(", "));
    }
    out
}

/// `check`: re-runs each baseline's scenario and seed and compares the summaries; exits with
/// EXIT_GATE_FAILED when one differs.
pub(crate) fn check(args: CheckArgs) -> Result<(), SimError> {
    if args.scenario.is_some() && args.baselines.len() > 1 {
        return Err(InputError::new(
            "--scenario",
            "names the scenario of a single baseline; give one baseline with it",
        )
        .into());
    }
    let tolerances = args
        .tolerance
        .iter()
        .map(|t| crate::baseline::Tolerance::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| InputError::new("--tolerance", m))?;
    // Load everything first: a bad baseline is exit 2 before any run.
    let baselines = (args.baselines.iter())
        .map(|b| load_baseline(b, args.scenario.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let stored: Vec<&serde_json::Value> = baselines.iter().map(|b| &b.stored).collect();
    // A tolerance on a path no baseline has would apply to nothing, silently.
    for path in tolerances.iter().filter_map(|t| t.path.as_ref()) {
        if let Some(why) = crate::baseline::unknown_tolerance_path(path, &stored) {
            return Err(InputError::new("--tolerance", why).into());
        }
    }
    let mut failed = 0;
    for b in baselines {
        if !rerun_matches(b, &tolerances, args.check_invariants)? {
            failed += 1;
        }
    }
    if failed > 0 {
        println!(
            "{failed} baseline(s) differ; if the change is intended, refresh with \
             `jobset-sim run SCENARIO --json > BASELINE.json` (docs/sweeps.md)"
        );
        std::process::exit(EXIT_GATE_FAILED);
    }
    Ok(())
}

/// A stored summary.json and the scenario it is of, loaded before any run.
struct Baseline {
    /// The baseline's file, as printed.
    shown: String,
    /// The scenario's file.
    path: PathBuf,
    scenario: crate::scenario::Scenario,
    seed: u64,
    stored: serde_json::Value,
}

/// Loads baseline `file` and its scenario (`scenario`, or the one under ./scenarios/ named
/// after it); its scenario's warnings go to stderr.
fn load_baseline(file: &Path, scenario: Option<&PathBuf>) -> Result<Baseline, SimError> {
    let shown = file.display().to_string();
    let text = crate::source::read_text(file)
        .map_err(|e| InputError::new(&shown, format!("cannot read baseline: {e}")))?;
    let stored: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        InputError::new(&shown, format!("not JSON: {e}")).at_line(e.line(), e.column())
    })?;
    let name = stored["scenario"].as_str().ok_or_else(|| {
        InputError::new(&shown, "no `scenario` name: not a summary.json").at_path("scenario")
    })?;
    let seed = stored["seed"]
        .as_u64()
        .ok_or_else(|| InputError::new(&shown, "no `seed`: not a summary.json").at_path("seed"))?;
    let path = match scenario {
        Some(p) => p.clone(),
        None => crate::baseline::find_scenario(Path::new("scenarios"), name).ok_or_else(|| {
            InputError::new(
                &shown,
                format!("no scenarios/**/{name}.yaml for scenario {name:?}: pass --scenario FILE"),
            )
        })?,
    };
    check_schema(&shown, &stored)?;
    let scenario = crate::scenario::load_scenario(&path)?;
    for line in scenario.warnings() {
        eprintln!("{line}");
    }
    if scenario.name != name {
        return Err(InputError::new(
            &shown,
            format!(
                "the baseline is of scenario {name:?} but {} is named {:?}",
                path.display(),
                scenario.name
            ),
        )
        .into());
    }
    Ok(Baseline {
        shown,
        path,
        scenario,
        seed,
        stored,
    })
}

/// Refuses a summary written with a newer layout than this jobset-sim reads.
fn check_schema(shown: &str, stored: &serde_json::Value) -> Result<(), SimError> {
    let schema = crate::baseline::schema_of(stored);
    if schema <= u64::from(crate::report::summary::SCHEMA_VERSION) {
        return Ok(());
    }
    Err(InputError::new(
        shown,
        format!(
            "summary schema {schema} is newer than this jobset-sim's ({}): check it with \
             the jobset-sim that wrote it ({})",
            crate::report::summary::SCHEMA_VERSION,
            stored["tool_version"].as_str().unwrap_or("unknown version")
        ),
    )
    .at_path("schema_version")
    .into())
}

/// Re-runs a baseline and prints how it compares; whether it matched within `tolerances`.
fn rerun_matches(
    b: Baseline,
    tolerances: &[crate::baseline::Tolerance],
    check_invariants: bool,
) -> Result<bool, SimError> {
    let fresh = crate::runner::run_to_summary(b.scenario, b.seed, check_invariants)?;
    let d = crate::baseline::diff(&b.stored, &fresh, tolerances);
    let (shown, seed) = (&b.shown, b.seed);
    for n in &d.notes {
        println!("{shown}: note: {n}");
    }
    if d.differences.is_empty() {
        println!("{shown}: same ({} seed {seed})", b.path.display());
        return Ok(true);
    }
    println!(
        "{shown}: DIFFERS from a fresh run of {} seed {seed}:",
        b.path.display()
    );
    print!("{}", headline_changes(&b.stored, &fresh));
    println!("  changed fields ({}):", d.differences.len());
    for x in &d.differences {
        println!("    {x}");
    }
    Ok(false)
}

//! `jobset-sim swarm`: runs the generated cases in parallel and reports every failure with the
//! one line that reproduces it.

use crate::cli::SwarmArgs;
use crate::error::{InputError, SimError};
use crate::swarm::{self, CaseResult, Totals};
use rayon::prelude::*;
use std::time::Instant;

/// Cases run between two progress lines.
const CHUNK_CASES: u64 = 2_000;

pub(crate) fn swarm(args: SwarmArgs) -> Result<(), SimError> {
    const CLASSES: [&str; 5] = [
        "rejected",
        "panic",
        "invariant",
        "liveness",
        "nondeterminism",
    ];
    if let Some(bad) = args.skip.iter().find(|c| !CLASSES.contains(&c.as_str())) {
        return Err(InputError::new(
            "--skip",
            format!(
                "unknown failure class {bad:?}; known: {}",
                CLASSES.join(", ")
            ),
        )
        .into());
    }
    if let Some(case) = args.case {
        return single_case(&args, case);
    }
    let jobs = check_range_and_jobs(&args)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| SimError::Internal(e.to_string()))?;
    let started = Instant::now();
    // Panics are caught and reported as failures; the default hook would print each one.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut totals = Totals::default();
    let mut failures: Vec<(u64, CaseResult)> = vec![];
    let end = args.first.saturating_add(args.cases);
    let mut from = args.first;
    while from < end {
        let to = from.saturating_add(CHUNK_CASES).min(end);
        let results: Vec<CaseResult> = pool.install(|| {
            (from..to)
                .into_par_iter()
                .map(|case| {
                    let twice = args.twice_every > 0 && case % args.twice_every == 0;
                    swarm::run_case(args.seed, case, twice)
                })
                .collect()
        });
        for (case, mut r) in (from..to).zip(results) {
            if let Some(f) = &r.failure {
                if r.known.is_none() && args.skip.iter().any(|c| c == f.class.name()) {
                    r.known = Some("skipped class (--skip)");
                }
            }
            totals.add(&r);
            if r.failure.is_some() {
                report_failure(&args, case, &r)?;
                failures.push((case, r));
            }
        }
        if end - args.first > CHUNK_CASES {
            eprintln!(
                "swarm: {} of {} cases, {} failed, {:.0} s",
                totals.cases,
                end - args.first,
                totals.failed,
                started.elapsed().as_secs_f64()
            );
        }
        from = to;
    }
    std::panic::set_hook(previous_hook);
    let wall_s = started.elapsed().as_secs_f64();
    print_totals(&args, &totals, wall_s);
    let failing = totals.failed + if args.strict { totals.known } else { 0 };
    if failing > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// One line per failure: the class, the case, the message, and how to reproduce it.
fn report_failure(args: &SwarmArgs, case: u64, r: &CaseResult) -> Result<(), SimError> {
    let f = r.failure.as_ref().expect("a failing case");
    let first_line = f.message.lines().next().unwrap_or("");
    let short: String = first_line.chars().take(300).collect();
    let known = r.known.map_or(String::new(), |k| format!(" [known: {k}]"));
    let mut repro = swarm::reproducer(args.seed, case);
    if let Some(dir) = &args.write {
        let path = write_case(dir, args.seed, case)?;
        repro = format!("{repro}  (scenario: {path})");
    }
    println!(
        "FAIL {} case {case}{known}: {short}\n  reproduce: {repro}",
        f.class.name()
    );
    Ok(())
}

fn write_case(dir: &std::path::Path, seed: u64, case: u64) -> Result<String, SimError> {
    let shown = dir.display().to_string();
    std::fs::create_dir_all(dir)
        .map_err(|e| InputError::new(&shown, format!("cannot create the directory: {e}")))?;
    let name = format!("swarm-{seed}-{case}.yaml");
    let yaml = swarm::gen::generate(seed, case).yaml;
    crate::report::write_atomic(dir, &name, yaml.as_bytes())?;
    Ok(dir.join(name).display().to_string())
}

fn print_totals(args: &SwarmArgs, t: &Totals, wall_s: f64) {
    let classes: Vec<String> = t.by_class.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!(
        "swarm --seed {} cases {}..{}: {} run in {wall_s:.1} s ({:.0} cases/s, {} events); \
         {} failed, {} known{}; JobSets: {} completed, {} failed, {} stalled with a diagnosis, \
         {} suspended; determinism checked on {} cases; digest {:016x}",
        args.seed,
        args.first,
        args.first + args.cases,
        t.cases,
        t.cases as f64 / wall_s.max(1e-9),
        t.events,
        t.failed,
        t.known,
        if classes.is_empty() {
            String::new()
        } else {
            format!(" ({})", classes.join(", "))
        },
        t.completed,
        t.jobsets_failed,
        t.stalled,
        t.suspended,
        t.determinism_checked,
        t.digest
    );
}

/// `--case K`: print its scenario, or run it (twice) and print the failure in full.
/// The threads to run on (`--jobs`, at least 1), once the case range is known to fit: case
/// numbers are u64, and a range past the end would silently run nothing.
fn check_range_and_jobs(args: &SwarmArgs) -> Result<usize, SimError> {
    if args.first.checked_add(args.cases).is_none() {
        let message = format!(
            "--first {} with --cases {} runs past the last case number, {}",
            args.first,
            args.cases,
            u64::MAX
        );
        return Err(InputError::new("--cases", message).into());
    }
    super::sweep::jobs(args.jobs)
}

fn single_case(args: &SwarmArgs, case: u64) -> Result<(), SimError> {
    if args.print_scenario {
        print!("{}", swarm::gen::generate(args.seed, case).yaml);
        return Ok(());
    }
    if let Some(dir) = &args.write {
        println!("scenario: {}", write_case(dir, args.seed, case)?);
    }
    let r = swarm::run_case(args.seed, case, true);
    match &r.failure {
        None => {
            println!(
                "case {case}: passed ({} events; JobSets {} completed, {} failed, {} stalled \
                 with a diagnosis, {} suspended; second run identical)",
                r.events, r.completed, r.failed, r.stalled, r.suspended
            );
            Ok(())
        }
        Some(f) => {
            let known = r.known.map_or(String::new(), |k| format!(" [known: {k}]"));
            println!("FAIL {} case {case}{known}:\n{}", f.class.name(), f.message);
            if r.known.is_none() || args.strict {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

//! The `jobset-sim` command line: thin glue between the arguments, the library and the files.

pub(crate) mod swarm;
pub(crate) mod sweep;

use crate::error::{InputError, SimError};
use crate::report::output_set::OutputSet;
use crate::report::{self, summary, table};
use crate::sim::Sim;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "jobset-sim",
    version,
    about = "Deterministic discrete-event simulator of Kubernetes JobSet scheduling at scale",
    long_about = "jobset-sim runs JobSet manifests on a simulated Kubernetes cluster (JobSet controller, \
Job controller, kube-scheduler, kubelets) in simulated time, and reports what happened. \
The same scenario and seed always give the same results.\n\n\
Exit codes: 0 the simulation ran (whatever the JobSets' outcome); 1 internal error; 2 bad input; \
3 a regression gate failed (`run`: an `expect:` of the scenario does not hold; `check`: the fresh \
summary differs from the baseline); 4 the results could not be written (disk full, no permission; \
the output folder is left as it was)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// What a manifest field that neither Kubernetes nor JobSet defines (a typo) does, as
    /// kubectl's flag: `strict` (default) stops with exit 2, naming the field and the nearest
    /// defined name; `warn` prints a warning and ignores the field (for generated manifests).
    /// Fields Kubernetes defines that jobset-sim does not model are a one-line notice either way.
    #[arg(
        long,
        global = true,
        value_name = "strict|warn",
        default_value = "strict"
    )]
    pub validate: crate::api::fields::FieldValidation,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run a scenario and print a summary.
    Run(RunArgs),
    /// Apply JobSet admission (defaulting, then create validation) to every JobSet in the
    /// files and print `valid` or each error, as the API server would reject it. A scenario
    /// file is loaded as `run` loads it (errors exit 2) and its warnings printed.
    ///
    /// Exit codes: 0 every JobSet is valid; 1 some JobSet is invalid; 2 a file is unreadable,
    /// is not YAML, an option is wrong, or a JobSet has a field neither Kubernetes nor JobSet
    /// defines (unless --validate=warn).
    Validate(ValidateArgs),
    /// Run the built-in calibration scenarios under a control-plane profile (--profile, default
    /// ci) and compare them with published numbers: the targets the profile was fitted on must
    /// be within tolerance (exit 1 otherwise); the others are reported as its predictions.
    Calibrate(CalibrateArgs),
    /// Run a sweep: a base scenario varied along axes (field paths × values) and over seeds,
    /// in parallel; writes runs.csv and cells.csv (docs/sweeps.md). Resumes from --out.
    Sweep(SweepArgs),
    /// Join the out dirs of a sweep's shards into the files one process would have written.
    Merge(MergeArgs),
    /// Run two scenarios (or sweep cells, SWEEP.yaml#c3) on the same seeds and report the
    /// paired differences of the headline metrics with 95% confidence intervals.
    Compare(CompareArgs),
    /// Write DIR/report.html, one self-contained page (no network needed) of a run's --out
    /// folder or a sweep's: summary, recoveries, charts, distributions, faults, training; for a
    /// sweep the cells with confidence intervals and a chart per headline metric.
    Report(ReportArgs),
    /// Re-run the scenario of each stored summary (baseline) and report every field that
    /// differs (wall_ms ignored). Exit codes: 0 all the same; 3 some differ; 2 bad input.
    Check(CheckArgs),
    /// Simulation-test the simulator: generate random valid scenarios from one seed, run each
    /// with every invariant checked, check liveness once faults stop and determinism on a
    /// sample. Prints one reproducing command per failure (docs/swarm.md).
    ///
    /// Exit codes: 0 no failure (known, tracked ones are listed); 1 some case failed.
    Swarm(SwarmArgs),
}

#[derive(Args, Debug)]
pub(crate) struct SwarmArgs {
    /// The swarm's seed: with the case number it fixes each generated scenario.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many cases to run (numbered from --first).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub cases: u64,
    /// The first case number.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub first: u64,
    /// Run only this case, and print its failure in full.
    #[arg(long, value_name = "K", conflicts_with_all = ["cases", "first"])]
    pub case: Option<u64>,
    /// Run every N-th case twice and require byte-identical summaries (0: never).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub twice_every: u64,
    /// Cases at once (threads); default: the available cores. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Write the scenario of every failing case (or of --case) to this directory, as
    /// `swarm-<seed>-<case>.yaml`, runnable with `jobset-sim run --check-invariants`.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Print the scenario of --case on stdout instead of running it.
    #[arg(long, requires = "case")]
    pub print_scenario: bool,
    /// Known, tracked failures fail the swarm too.
    #[arg(long)]
    pub strict: bool,
    /// Report failures of this class (`rejected`, `panic`, `invariant`, `liveness`,
    /// `nondeterminism`) without failing the swarm; repeatable. For a class with open findings.
    #[arg(long, value_name = "CLASS")]
    pub skip: Vec<String>,
}

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// Sweep file (YAML), or `-` for standard input (its `scenario:` is then relative to the
    /// current directory); see docs/sweeps.md.
    pub sweep: PathBuf,
    /// Override a field of the base scenario, before the axes: PATH is a field path as in a sweep's axes
    /// (`run.until`, `cluster.nodePools[0].count`,
    /// `workloads[0].jobset.spec.failurePolicy.maxRestarts`), VALUE is YAML. Repeatable;
    /// applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Load, validate and resolve, print what would run, and stop: nothing runs and nothing
    /// is written.
    #[arg(long)]
    pub dry_run: bool,

    /// Runs at once (threads); default: the available cores. Outputs do not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output directory; default `out/<sweep file name without .yaml>`. Re-running with the
    /// same directory skips the runs already finished there.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only the runs whose index (cell-major, then seed) mod N is I, zero-based; join the
    /// shards' directories with `merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Sweep the simulator's invariants during every run, as `run --check-invariants` does;
    /// a violation stops with exit code 1.
    #[arg(long)]
    pub check_invariants: bool,
}

#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// Out dirs of the shards of one sweep.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged out dir (sweep.json, runs/, runs.csv, cells.csv).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct CompareArgs {
    /// Scenario file, or a sweep cell as `SWEEP.yaml#c3` (cell ids as in runs.csv), or `-`
    /// for a scenario on standard input.
    pub a: String,
    /// Scenario file, or a sweep cell as `SWEEP.yaml#c3`.
    pub b: String,
    /// Run seeds 1..=N on both sides.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        conflicts_with = "seed_list"
    )]
    pub seeds: u64,
    /// Run exactly these seeds on both sides, e.g. `1,2,7`.
    #[arg(long, value_name = "S,...", value_delimiter = ',')]
    pub seed_list: Option<Vec<u64>>,
    /// Runs at once (threads); default: the available cores.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
    /// Load, validate and resolve both sides, print what would run, and stop: nothing runs.
    #[arg(long)]
    pub dry_run: bool,
    /// Override a field of both sides' scenarios: PATH is a field path as in a sweep's axes
    /// (`run.until`, `cluster.nodePools[0].count`,
    /// `workloads[0].jobset.spec.failurePolicy.maxRestarts`), VALUE is YAML. Repeatable;
    /// applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Sweep the simulator's invariants during every run, as `run --check-invariants` does;
    /// a violation stops with exit code 1.
    #[arg(long)]
    pub check_invariants: bool,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// Stored summaries (`jobset-sim run S --json > B.json`).
    #[arg(required = true)]
    pub baselines: Vec<PathBuf>,
    /// The scenario to re-run; by default the file under ./scenarios/ named after the
    /// baseline's `scenario` (only with a single baseline).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Accept numbers within a relative difference: `REL` for every number or `PATH=REL` for
    /// those at or under a summary path, e.g. `recovery=0.01`. Repeatable. Default: exact.
    #[arg(long, value_name = "[PATH=]REL")]
    pub tolerance: Vec<String>,
    /// Sweep the simulator's invariants during every run, as `run --check-invariants` does;
    /// a violation stops with exit code 1.
    #[arg(long)]
    pub check_invariants: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// A run's --out folder (summary.json) or a sweep's (sweep.json).
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct CalibrateArgs {
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The control-plane profile every target runs under: a built-in one (`ci`:
    /// scheduler_perf-class hardware and upstream client defaults; `gke`: fitted on the GKE
    /// 65,000-node benchmark) or a profile file (`path/to/mine.yaml`). Without it, every
    /// built-in profile in turn (one table each). The targets a profile names in
    /// `fittedTargets` gate the exit code; the others are reported as predictions
    /// (docs/calibration.md).
    #[arg(long, value_name = "NAME|PATH")]
    pub profile: Option<String>,
    /// Sweep the simulator's invariants during every run, as `run --check-invariants` does;
    /// a violation stops with exit code 1.
    #[arg(long)]
    pub check_invariants: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ValidateArgs {
    /// Manifest files (YAML, one or more documents each).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// JobSet feature gates as Kubernetes components take them, e.g.
    /// `RestartJob=true,InPlaceRestart=true`. Known gates: RestartJob, InPlaceRestart,
    /// ElasticJobSet (default false), TLSOptions (default true).
    #[arg(long, value_name = "GATE=BOOL,...")]
    pub feature_gates: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Scenario file (YAML), or `-` for standard input (manifest paths are then relative to
    /// the current directory); see docs/scenario-format.md.
    pub scenario: PathBuf,
    /// Override a scenario field: PATH is a field path as in a sweep's axes
    /// (`run.until`, `cluster.nodePools[0].count`,
    /// `workloads[0].jobset.spec.failurePolicy.maxRestarts`), VALUE is YAML. Repeatable;
    /// applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Load, validate and resolve, print what would run, and stop: nothing runs and nothing
    /// is written.
    #[arg(long)]
    pub dry_run: bool,

    /// Root random seed; overrides `run.seed` in the scenario. Same seed, same results.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Refuse to start a run whose memory estimate is past this quantity (e.g. 32Gi);
    /// overrides `run.memoryLimit` in the scenario. Default 16Gi.
    #[arg(long, value_name = "QUANTITY")]
    pub memory_limit: Option<String>,
    /// Folder for summary.json, record.json, events.csv, jobsets.csv, timeline.csv,
    /// timeline.svg and recovery.svg (and report.html with --report), created if missing. The new files replace the folder's
    /// contents as one set (no file of an earlier run stays); a folder holding other files is
    /// refused. Checked before the simulation.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// With --out, also write report.html: one self-contained page of the results
    /// (docs/report.md).
    #[arg(long, requires = "out")]
    pub report: bool,
    /// With --out, leave out events.csv (one row per pod state change: hundreds of MB for
    /// weeks of simulated training) and keep no rows in memory.
    #[arg(long, requires = "out")]
    pub no_events: bool,
    /// Check the simulator's invariants (no node over-committed, one Job per exclusive domain,
    /// no pod on a NotReady node, restarts within maxRestarts, every pod accounted for) every
    /// 1,000 events and at the end; a violation stops the run with exit code 1.
    #[arg(long)]
    pub check_invariants: bool,
}

pub(crate) fn main_with(cli: Cli) -> Result<(), SimError> {
    crate::api::fields::set_field_validation(cli.validate);
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Calibrate(args) => calibrate(args),
        Command::Sweep(args) => crate::cli::sweep::sweep(args),
        Command::Merge(args) => crate::cli::sweep::merge(args),
        Command::Compare(args) => crate::cli::sweep::compare(args),
        Command::Check(args) => crate::cli::sweep::check(args),
        Command::Report(args) => {
            let written = crate::report_html::write_report(&args.dir)?;
            println!("wrote {}", written.display());
            Ok(())
        }
        Command::Swarm(args) => crate::cli::swarm::swarm(args),
    }
}

/// Runs every target under the chosen profile, or under each built-in profile in turn when
/// none is chosen; exit 1 if a fitted target misses under any of them.
fn calibrate(args: CalibrateArgs) -> Result<(), SimError> {
    use crate::scenario::profile;
    let root = std::env::current_dir().map_err(|e| SimError::Internal(e.to_string()))?;
    let specs: Vec<&str> = match &args.profile {
        Some(spec) => vec![spec.as_str()],
        None => profile::BUILT_IN.iter().map(|(name, _, _)| *name).collect(),
    };
    let profiles = specs
        .iter()
        .map(|spec| profile::load(spec, Path::new(""), "--profile"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut all = vec![];
    for (i, profile) in profiles.iter().enumerate() {
        let results = crate::calibrate::run_all(&root, profile, args.check_invariants)?;
        if !args.json {
            if i > 0 {
                println!();
            }
            print!("{}", crate::calibrate::table(&results));
            println!(
                "\nprofile {} ({}): {}; fitted targets: {}",
                profile.name,
                profile.file,
                profile.description,
                profile.fitted_targets.join(", ")
            );
        }
        all.extend(results);
    }
    if args.json {
        let json =
            serde_json::to_string_pretty(&all).map_err(|e| SimError::Internal(e.to_string()))?;
        println!("{json}");
    }
    if all.iter().any(|r| r.pass == Some(false)) {
        std::process::exit(1);
    }
    Ok(())
}

/// `validate` reports problems in the manifests through its exit code, not as an error.
fn validate(args: ValidateArgs) -> Result<(), SimError> {
    let gates = crate::scenario::parse_feature_gates(args.feature_gates.as_deref().unwrap_or(""))
        .map_err(|m| InputError::new("--feature-gates", m))?;
    let mut texts = vec![];
    let mut scenarios = String::new();
    for f in &args.files {
        let shown = f.display().to_string();
        let text = crate::source::read_text(f)
            .map_err(|e| InputError::new(&shown, format!("cannot read: {e}")))?;
        if is_scenario(&text) {
            // Loaded as `run` loads it: admission of its JobSets with its own gates, and
            // its notices and warnings.
            let scenario = crate::scenario::load_scenario(f)?;
            for w in scenario.warnings() {
                eprintln!("{w}");
            }
            let kueue = scenario.kueue.as_ref().map_or(String::new(), |k| {
                let counts: Vec<String> = k
                    .counts()
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(kind, n)| format!("{n} {kind}"))
                    .collect();
                match counts.is_empty() {
                    true => "; Kueue: no objects".to_string(),
                    false => format!("; Kueue: {}", counts.join(", ")),
                }
            });
            scenarios += &format!(
                "{shown}: scenario {}: valid ({} JobSets{kueue})\n",
                scenario.name,
                scenario.workloads.len()
            );
            continue;
        }
        let docs = crate::api::load::load_documents(&shown, &text)?;
        if docs.is_empty() {
            // Otherwise it would pass without a line printed: an empty file given by mistake
            // (a truncated download, the wrong path) must not read as "all valid".
            let message = "holds no YAML document: nothing to validate";
            return Err(InputError::new(&shown, message).into());
        }
        texts.push((shown, text, docs));
    }
    let report = crate::validate::report(&texts, &gates);
    print!("{scenarios}{}", report.text);
    for w in &report.warnings {
        eprintln!("{w}");
    }
    if report.any_undefined_field {
        std::process::exit(2);
    }
    if report.any_invalid {
        std::process::exit(1);
    }
    Ok(())
}

/// A scenario file, not a manifest: one YAML mapping with `workloads` and no `kind`.
fn is_scenario(text: &str) -> bool {
    let Ok(doc) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
        return false;
    };
    doc.get("workloads").is_some() && doc.get("kind").is_none()
}

/// `JOBSET_SIM_PROGRESS_S` (seconds, default 10): how often runs and sweeps print a progress
/// line when stderr is not a terminal; 0 turns the lines off.
pub(crate) fn progress_lines_every_ms() -> Option<u64> {
    let seconds = std::env::var("JOBSET_SIM_PROGRESS_S")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(10.0);
    (seconds > 0.0).then(|| (seconds * 1000.0).round().max(1.0) as u64)
}

/// `--out`: summary.json, record.json, jobsets.csv, timeline.csv, timeline.svg, recovery.svg,
/// events.csv (unless
/// `--no-events`) and report.html (with `--report`), replacing the folder's previous contents
/// as one set.
fn write_run_outputs(
    set: &OutputSet,
    sim: &Sim,
    json: &str,
    events: Option<Box<crate::metrics::events_csv::EventsCsv>>,
    with_report: bool,
) -> Result<(), SimError> {
    // events.csv was written as the run went, into the staging folder: its last rows now.
    let streamed = match events {
        Some(events) => vec![events
            .finish()
            .map_err(|e| set.stream_failed("events.csv", &e))?],
        None => vec![],
    };
    let jobsets_csv = report::jobsets_csv(sim)?;
    let record_json = report::record::json(sim)?;
    let timeline_csv = report::timeline::csv(sim)?;
    let timeline_svg = report::timeline::svg(sim);
    let recovery_svg = report::recoveries::chart_svg(sim, &report::recoveries::build(sim));
    let report_html = match with_report {
        true => Some(crate::report_html::run_report(
            json,
            &timeline_svg,
            &recovery_svg,
        )?),
        false => None,
    };
    let mut files: Vec<(&str, &[u8])> = vec![
        ("summary.json", json.as_bytes()),
        (report::record::FILE, &record_json),
        ("jobsets.csv", &jobsets_csv),
        ("timeline.csv", &timeline_csv),
        ("timeline.svg", timeline_svg.as_bytes()),
        ("recovery.svg", recovery_svg.as_bytes()),
    ];
    if let Some(html) = &report_html {
        files.push((crate::report_html::FILE, html.as_bytes()));
    }
    set.write(&files, streamed)
}

fn run(args: RunArgs) -> Result<(), SimError> {
    let sets = crate::source::Set::parse_all(&args.set)?;
    let mut scenario = crate::source::load_scenario_with(&args.scenario, &sets)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(limit) = &args.memory_limit {
        scenario.memory_limit_bytes = crate::scenario::memory::parse_limit(limit)
            .map_err(|m| InputError::new("--memory-limit", m))?;
        scenario.memory_limit_written = limit.clone();
    }
    for line in scenario.warnings() {
        eprintln!("{line}");
    }
    // Sim::new finds more errors (pods that fit no node, unknown fault nodes): locate them too.
    let mut sim = Sim::new(scenario)
        .map_err(|e| crate::yaml::locate::fill_scenario_file(e, &args.scenario))?;
    // Rows are not kept: events.csv is written as the run goes (below).
    sim.rec.record_rows = false;
    // Job state changes are only kept for jobsets.csv.
    sim.rec.status_log.keep_job_rows = args.out.is_some();
    if args.dry_run {
        print!(
            "{}",
            crate::plan::describe(&sim.scenario, sim.cluster.len())
        );
        println!("dry run: nothing ran, nothing was written");
        return Ok(());
    }
    sim.show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    sim.progress_lines_every_ms = progress_lines_every_ms();
    // An output folder that cannot be written is found before the simulation, not after it.
    let out = args.out.as_deref().map(OutputSet::prepare).transpose()?;
    if let (Some(set), false) = (&out, args.no_events) {
        let file = set.stream("events.csv")?;
        sim.rec.events_out = Some(Box::new(crate::metrics::events_csv::EventsCsv::new(
            Box::new(file),
        )));
    }
    let started = Instant::now();
    crate::runner::run_sim(&mut sim, args.check_invariants)?;
    let wall_ms = started.elapsed().as_millis() as u64;
    let events = sim.rec.events_out.take();
    let summary = summary::build(&sim, wall_ms);
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| SimError::Internal(e.to_string()))?
        + "\n";
    let written = match &out {
        Some(set) => write_run_outputs(set, &sim, &json, events, args.report),
        None => Ok(()),
    };
    // The results are shown even when they could not be written.
    if args.json {
        print!("{json}");
    } else {
        print!("{}", table::render(&summary));
    }
    written?;
    crate::cli::sweep::check_expectations(&sim.scenario.expect, &summary)?;
    // The process ends here: freeing every object of a large run one by one only costs time.
    std::mem::forget(sim);
    Ok(())
}

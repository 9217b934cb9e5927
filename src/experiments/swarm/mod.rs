//! `jobset-sim swarm`: simulation testing of the simulator itself. From one seed it generates
//! random valid scenarios (`gen`), runs each with every invariant checked, then checks
//! liveness (once the faults stop, every JobSet ends or its stall is diagnosed by the
//! simulator), and runs a sample twice to check determinism. Every failure comes with one
//! line that reproduces it. See `docs/swarm.md`.

pub(crate) mod gen;

use crate::report::{summary, table};
use crate::scenario::load_scenario_from_str;
use crate::sim::Sim;
use std::path::Path;

/// What went wrong in one case, as a class (for counting) and a message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub class: FailureClass,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FailureClass {
    /// The generator wrote a scenario the loader or admission rejects: a generator bug, or a
    /// loader that rejects valid input.
    Rejected,
    /// The simulator panicked.
    Panic,
    /// `--check-invariants` found a violation.
    Invariant,
    /// A JobSet neither ended nor had a diagnosed stall long after the faults stopped.
    Liveness,
    /// Two runs of the same case gave different summaries.
    Nondeterminism,
}

impl FailureClass {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FailureClass::Rejected => "rejected",
            FailureClass::Panic => "panic",
            FailureClass::Invariant => "invariant",
            FailureClass::Liveness => "liveness",
            FailureClass::Nondeterminism => "nondeterminism",
        }
    }
}

/// Failures of a known, tracked cause: reported and counted, but not failing the swarm
/// (`--strict` makes them fail). Remove an entry once its fix lands.
pub(crate) struct Known {
    pub id: &'static str,
    pub applies: fn(&gen::Case, &Failure) -> bool,
}

pub(crate) const KNOWN: &[Known] = &[];

/// How one case ended.
#[derive(Debug, Clone, Default)]
pub(crate) struct CaseResult {
    pub failure: Option<Failure>,
    /// The known cause the failure is attributed to, if any.
    pub known: Option<&'static str>,
    pub events: u64,
    pub completed: u32,
    pub failed: u32,
    /// JobSets that did not end, each with the simulator's diagnosis.
    pub stalled: u32,
    pub suspended: u32,
    pub determinism_checked: bool,
    /// FNV-1a of the summary (wall time left out): the swarm's digest is built from these.
    pub digest: u64,
}

/// Runs case `case` of swarm `seed`; `twice` also checks that a second run is identical.
pub(crate) fn run_case(seed: u64, case: u64, twice: bool) -> CaseResult {
    let generated = gen::generate(seed, case);
    let mut result = match std::panic::catch_unwind(|| check_case(&generated, twice)) {
        Ok(r) => r,
        Err(payload) => CaseResult {
            failure: Some(Failure {
                class: FailureClass::Panic,
                message: panic_message(payload.as_ref()),
            }),
            ..CaseResult::default()
        },
    };
    if let Some(f) = &result.failure {
        result.known = KNOWN
            .iter()
            .find(|k| (k.applies)(&generated, f))
            .map(|k| k.id);
    }
    result
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into());
    format!("panicked: {text}")
}

fn fail(class: FailureClass, message: impl Into<String>) -> CaseResult {
    CaseResult {
        failure: Some(Failure {
            class,
            message: message.into(),
        }),
        ..CaseResult::default()
    }
}

/// One run of the case: the summary as JSON text (wall time 0) and the run's liveness counts,
/// or the failure.
fn run_once(case: &gen::Case) -> Result<(String, CaseResult), CaseResult> {
    let scenario = load_scenario_from_str("swarm.yaml", &case.yaml, Path::new("."))
        .map_err(|e| fail(FailureClass::Rejected, e.to_string()))?;
    let mut sim = Sim::new(scenario).map_err(|e| fail(FailureClass::Rejected, e.to_string()))?;
    sim.check_invariants = true;
    sim.rec.record_rows = false;
    sim.run();
    if !sim.violations.is_empty() {
        return Err(fail(FailureClass::Invariant, sim.violations.join("; ")));
    }
    let s = summary::build(&sim, 0);
    // The table is what users see: it must render whatever the run did.
    let _ = table::render(&s);
    let json = serde_json::to_string(&s).expect("a summary serializes");
    let mut r = CaseResult {
        events: s.events,
        digest: crate::engine::rng::fnv1a64(json.as_bytes()),
        ..CaseResult::default()
    };
    liveness(&sim, &s, &mut r)?;
    Ok((json, r))
}

fn check_case(case: &gen::Case, twice: bool) -> CaseResult {
    let (first, mut result) = match run_once(case) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if twice {
        match run_once(case) {
            Ok((second, _)) if second == first => result.determinism_checked = true,
            Ok((second, _)) => {
                let at = first
                    .bytes()
                    .zip(second.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(first.len().min(second.len()));
                let from = at.saturating_sub(60);
                return fail(
                    FailureClass::Nondeterminism,
                    format!(
                        "the second run's summary differs at byte {at}: {:?} vs {:?}",
                        &first[from..(at + 60).min(first.len())],
                        &second[from..(at + 60).min(second.len())]
                    ),
                );
            }
            Err(r) => {
                let f = r.failure.expect("an error carries a failure");
                return fail(
                    FailureClass::Nondeterminism,
                    format!(
                        "the second run failed where the first did not: {}",
                        f.message
                    ),
                );
            }
        }
    }
    result
}

/// An open recovery of the JobSet diagnosed as one that nothing can finish (failed indexes
/// never recreated while training needs every pod, or restarts that never count toward
/// maxRestarts, every attempt failing again).
fn never_finishes(s: &summary::Summary, jobset: &str, faults_until_s: f64) -> bool {
    use crate::report::recoveries::{BARRIER_NEVER_LIFTS, NEVER_FINISHES, RESTARTS_WITHOUT_END};
    let endless = |d: &String| {
        [NEVER_FINISHES, RESTARTS_WITHOUT_END, BARRIER_NEVER_LIFTS]
            .iter()
            .any(|end| d.ends_with(end))
    };
    let open_endless = s
        .recoveries
        .iter()
        .any(|r| r.jobset == jobset && r.diagnosis.iter().any(endless));
    open_endless || restarts_forever(s, jobset, faults_until_s)
}

/// After the faults stopped, the workload's own failures restarted the JobSet at least twice
/// through an action that never counts toward maxRestarts: a loop with no end, each record
/// showing its path.
fn restarts_forever(s: &summary::Summary, jobset: &str, faults_until_s: f64) -> bool {
    let uncounted = s.recoveries.iter().filter(|r| {
        r.jobset == jobset
            && r.stages.failed_s > faults_until_s
            && (r.decision.action.as_deref()).is_some_and(|a| a.ends_with("IgnoreMaxRestarts"))
    });
    uncounted.count() >= 2
}

/// The `upstream_behaviours` kinds that explain a JobSet which never ends.
const STALL_DIAGNOSES: &[&str] = {
    use crate::control::job::*;
    &[
        FOLLOWERS_DENIED_AFTER_LEADER_SUCCEEDED,
        FOLLOWERS_DENIED_AFTER_LEADER_INDEX_FAILED,
        FOLLOWERS_DENIED_FINISHED_LEADER_COUNTED,
        SUSPENDED_JOB_NEVER_RESUMED,
        IN_PLACE_BARRIER_NEVER_LIFTS,
    ]
};

/// The liveness phase. The faults stop at `run.faultsUntil`; the run then lasts
/// `gen::SETTLE_HORIZON_S` more (or ends when every JobSet has ended). At the end each JobSet
/// must be terminal, or suspended by the scenario, or stalled with the simulator's own
/// diagnosis: pods of it pending with the scheduler's verdict (`summary.json` `pending_pods`),
/// or followers denied for good by the modelled version (`upstream_behaviours`), or a
/// recovery that nothing can finish (`recoveries[].diagnosis`).
fn liveness(sim: &Sim, s: &summary::Summary, r: &mut CaseResult) -> Result<(), CaseResult> {
    let faults_until_s = sim
        .scenario
        .faults_until_ns
        .map_or(0.0, crate::engine::time::to_secs);
    if sim.store.jobsets.len() != sim.scenario.workloads.len() {
        return Err(fail(
            FailureClass::Liveness,
            format!(
                "{} of {} JobSets were created by the end",
                sim.store.jobsets.len(),
                sim.scenario.workloads.len()
            ),
        ));
    }
    for (js, j) in sim.store.jobsets.iter().zip(&s.jobsets) {
        match j.terminal_state.as_deref() {
            Some("Completed") => r.completed += 1,
            Some(_) => r.failed += 1,
            None if js.spec.spec.suspended() => r.suspended += 1,
            None => {
                let diagnosed = s
                    .pending_pods
                    .iter()
                    .any(|g| g.jobset == js.name && !g.reason.starts_with("not yet scheduled"))
                    || s.upstream_behaviours
                        .iter()
                        .any(|b| b.jobset == js.name && STALL_DIAGNOSES.contains(&b.kind))
                    || never_finishes(s, &js.name, faults_until_s);
                if !diagnosed {
                    return Err(fail(
                        FailureClass::Liveness,
                        format!(
                            "JobSet {} did not end and has no diagnosed stall at {} s \
                             ({} pods running, {} pending, {} pod creates denied, restarts {}, \
                             Job restarts {})",
                            js.name,
                            s.sim_end_s,
                            s.pods.running_at_end,
                            s.pods.pending_at_end,
                            s.pods.create_rejected,
                            j.restarts,
                            j.job_restarts
                        ),
                    ));
                }
                r.stalled += 1;
            }
        }
    }
    Ok(())
}

/// The swarm's totals.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    pub cases: u64,
    pub failed: u64,
    pub known: u64,
    pub events: u64,
    pub completed: u64,
    pub jobsets_failed: u64,
    pub stalled: u64,
    pub suspended: u64,
    pub determinism_checked: u64,
    pub by_class: std::collections::BTreeMap<&'static str, u64>,
    pub digest: u64,
}

impl Totals {
    pub(crate) fn add(&mut self, r: &CaseResult) {
        self.cases += 1;
        self.events += r.events;
        self.completed += u64::from(r.completed);
        self.jobsets_failed += u64::from(r.failed);
        self.stalled += u64::from(r.stalled);
        self.suspended += u64::from(r.suspended);
        self.determinism_checked += u64::from(r.determinism_checked);
        if let Some(f) = &r.failure {
            *self.by_class.entry(f.class.name()).or_default() += 1;
            if r.known.is_some() {
                self.known += 1;
            } else {
                self.failed += 1;
            }
        }
        // Order-dependent, so the digest pins every case's summary in case order.
        self.digest = self.digest.rotate_left(5) ^ r.digest;
    }
}

/// The line that reproduces case `case` of swarm `seed`.
pub(crate) fn reproducer(seed: u64, case: u64) -> String {
    format!("jobset-sim swarm --seed {seed} --case {case}")
}

//! Warnings for what a scenario asks for but the run can never do: an exit rule that the
//! container's normal end always beats, something scheduled at or after the end of the run,
//! a fault rate too low to yield a fault in the run. None of these is an error (a sweep may
//! vary `run.until` or a rate through such values on purpose), but each usually is a mistake
//! that would otherwise change nothing, silently. `docs/scenario-format.md` lists them.

use super::{Note, NoteLevel, Scenario, Workload};
use crate::engine::time::format_duration;
use crate::error::InputError;
use crate::scenario::faults::{FaultKind, PodSelector};

/// A fault process whose expected number of faults over the run is below this warns: the
/// run has less than a 5 % chance of seeing any fault from it (1 − e^−0.05 ≈ 4.9 %). The
/// expectation is an upper bound (every selected pod running for the whole run, every node
/// its own domain), so the warning never fires for a process that could plausibly fire.
pub(crate) const MIN_EXPECTED_FAULTS: f64 = 0.05;

const NS_PER_DAY: f64 = 86_400e9;

pub(super) fn notes(s: &Scenario) -> Vec<Note> {
    let mut out = vec![];
    let mut warn = |path: String, message: String| {
        out.push(Note {
            level: NoteLevel::Warning,
            at: InputError::new(&s.file, message).at_path(path),
        })
    };
    let until = format_duration(s.until_ns);
    for (entry, group) in by_entry(&s.workloads) {
        let first = group[0];
        let at = |f: &str| format!("workloads[{entry}].{f}");
        if first.at_ns >= s.until_ns {
            warn(
                at("at"),
                format!(
                    "the JobSet is created at {}, not before the run ends (run.until {until}): \
                     it never runs",
                    format_duration(first.at_ns)
                ),
            );
        }
        for (u, &(t, _)) in first.updates.iter().enumerate() {
            if t >= s.until_ns {
                warn(
                    at(&format!("updates[{u}].at")),
                    format!(
                        "{} is not before the run ends (run.until {until}): the update never \
                         happens",
                        format_duration(t)
                    ),
                );
            }
        }
        for (x, message) in exit_rules_that_never_fire(&group, s.until_ns) {
            warn(at(&format!("pods.exits[{x}]")), message);
        }
    }
    for (k, message) in faults_that_never_fire(s) {
        warn(k, message);
    }
    out
}

/// The resolved workloads of each `workloads[]` entry (a manifest may hold several JobSets).
fn by_entry(workloads: &[Workload]) -> Vec<(usize, Vec<&Workload>)> {
    let mut out: Vec<(usize, Vec<&Workload>)> = vec![];
    for w in workloads {
        match out.last_mut() {
            Some((entry, group)) if *entry == w.entry => group.push(w),
            _ => out.push((w.entry, vec![w])),
        }
    }
    out
}

/// `(index, why)` of each exit rule of one entry that no container run can ever take.
fn exit_rules_that_never_fire(group: &[&Workload], until_ns: u64) -> Vec<(usize, String)> {
    let first = group[0];
    let mut out = vec![];
    for (x, rule) in first.exits.iter().enumerate() {
        if let Some(earlier) = first.exits[..x].iter().position(|e| covers(e, rule)) {
            out.push((
                x,
                format!(
                    "every container run this rule matches also matches pods.exits[{earlier}], \
                     which comes first: this rule never fires"
                ),
            ));
            continue;
        }
        // The longest any container it can match runs before exiting 0.
        let longest_run_for = group
            .iter()
            .flat_map(|w| w.jobset.spec.replicated_jobs.iter().map(move |rj| (w, rj)))
            .filter(|(_, rj)| rule.replicated_job.as_ref().is_none_or(|n| *n == rj.name))
            .map(|(w, rj)| w.run_for(&rj.name))
            .max()
            .unwrap_or(0);
        if rule.after_ns >= longest_run_for {
            out.push((
                x,
                format!(
                    "after {} is not shorter than the container's runFor ({}): the container \
                     exits 0 first, so this rule never fires",
                    format_duration(rule.after_ns),
                    format_duration(longest_run_for)
                ),
            ));
        } else if first.at_ns.saturating_add(rule.after_ns) >= until_ns {
            out.push((
                x,
                format!(
                    "after {} of a container started at the JobSet's creation ({}) is not \
                     before the run ends (run.until {}): this rule never fires",
                    format_duration(rule.after_ns),
                    format_duration(first.at_ns),
                    format_duration(until_ns)
                ),
            ));
        }
    }
    out
}

/// Whether every container run `later` matches is matched by `earlier` too.
fn covers(earlier: &super::ExitRule, later: &super::ExitRule) -> bool {
    fn within<T: PartialEq>(e: &Option<T>, l: &Option<T>) -> bool {
        e.is_none() || e == l
    }
    within(&earlier.replicated_job, &later.replicated_job)
        && within(&earlier.job_index, &later.job_index)
        && within(&earlier.pod_index, &later.pod_index)
        && within(&earlier.attempt, &later.attempt)
        && within(&earlier.job_attempt, &later.job_attempt)
        && within(&earlier.retry, &later.retry)
}

/// `(field path, why)` of each fault injector that cannot fire within the run.
fn faults_that_never_fire(s: &Scenario) -> Vec<(String, String)> {
    let horizon_ns = s.until_ns.min(s.faults_until_ns.unwrap_or(u64::MAX));
    let ends = match s.faults_until_ns {
        Some(t) if t < s.until_ns => format!("run.faultsUntil {}", format_duration(t)),
        _ => format!("run.until {}", format_duration(s.until_ns)),
    };
    let mut out = vec![];
    for (k, f) in s.faults.iter().enumerate() {
        let at = |field: &str| format!("faults[{k}].{field}");
        if let Some(at_ns) = set_time(&f.kind) {
            if at_ns >= horizon_ns {
                out.push((
                    at("at"),
                    format!(
                        "{} is not before faults stop ({ends}): this fault never fires",
                        format_duration(at_ns)
                    ),
                ));
            }
            continue;
        }
        let Some((field, expected, unit)) = expected_faults(s, &f.kind, horizon_ns) else {
            continue;
        };
        // A rate of 0 turns an injector off on purpose (a sweep's baseline cell).
        if expected > 0.0 && expected < MIN_EXPECTED_FAULTS {
            out.push((
                at(field),
                format!(
                    "expects {} faults over the run ({unit} until {ends}): most likely none \
                     fires (warned below {MIN_EXPECTED_FAULTS} expected)",
                    round(expected)
                ),
            ));
        }
    }
    out
}

/// The time a fault fires at, for one scripted at a set time.
fn set_time(kind: &FaultKind) -> Option<u64> {
    match kind {
        FaultKind::ScriptedNode { at_ns, .. }
        | FaultKind::ScriptedDomain { at_ns, .. }
        | FaultKind::PodFailures {
            at_ns: Some(at_ns), ..
        } => Some(*at_ns),
        _ => None,
    }
}

/// A rate-driven injector's rate field, the faults it expects before `horizon_ns`, and what
/// that figure is over; `None` for an injector without a rate.
fn expected_faults(
    s: &Scenario,
    kind: &FaultKind,
    horizon_ns: u64,
) -> Option<(&'static str, f64, String)> {
    let days = |node_pools: &[String]| nodes_in(s, node_pools) * horizon_ns as f64 / NS_PER_DAY;
    match kind {
        FaultKind::NodeFailures {
            rate_per_node_day,
            lemons,
            node_pools,
            ..
        } => {
            let lemon_factor = lemons.map_or(1.0, |(share, mult)| 1.0 - share + share * mult);
            let node_days = days(node_pools);
            Some((
                "ratePer1000NodeDays",
                rate_per_node_day * lemon_factor * node_days,
                format!("{} node-days", round(node_days)),
            ))
        }
        FaultKind::Maintenance {
            rate_per_node_day,
            node_pools,
            ..
        } => {
            let node_days = days(node_pools);
            Some((
                "ratePer1000NodeDays",
                rate_per_node_day * node_days,
                format!("{} node-days", round(node_days)),
            ))
        }
        FaultKind::DomainFailures {
            rate_per_domain_day,
            node_pools,
            ..
        } => {
            // At most one domain per node.
            let domain_days = days(node_pools);
            Some((
                "ratePer1000DomainDays",
                rate_per_domain_day * domain_days,
                format!("at most {} domain-days", round(domain_days)),
            ))
        }
        FaultKind::PodFailures {
            rate_per_pod_day: Some(rate),
            selector,
            ..
        } => {
            let pod_days = pod_days_at_most(s, selector, horizon_ns);
            Some((
                "ratePer1000PodDays",
                rate * pod_days,
                format!("at most {} pod-days", round(pod_days)),
            ))
        }
        _ => None,
    }
}

/// A figure for a message: whole above 100, two decimals above 0.01, else two digits.
fn round(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 0.01 || v == 0.0 {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.1e}")
    }
}

/// Nodes of these `cluster.nodePools` entries (every node when empty).
fn nodes_in(s: &Scenario, pools: &[String]) -> f64 {
    s.node_pools
        .iter()
        .filter(|p| pools.is_empty() || pools.contains(&p.name))
        .map(|p| p.count as f64 * p.nodes_per_pool as f64)
        .sum()
}

/// Pod-days the selected pods could run at most: every pod they match running from its
/// JobSet's creation to the horizon.
fn pod_days_at_most(s: &Scenario, sel: &PodSelector, horizon_ns: u64) -> f64 {
    let mut total = 0.0;
    for w in &s.workloads {
        if sel
            .jobset
            .as_ref()
            .is_some_and(|n| *n != w.jobset.metadata.name)
        {
            continue;
        }
        let days = horizon_ns.saturating_sub(w.at_ns) as f64 / NS_PER_DAY;
        for rj in &w.jobset.spec.replicated_jobs {
            if sel.replicated_job.as_ref().is_some_and(|n| *n != rj.name) {
                continue;
            }
            let job = &rj.template.spec;
            let parallelism = job.parallelism.unwrap_or(1).max(0) as f64;
            let completions = job.completions.map_or(parallelism, |c| c.max(0) as f64);
            let jobs = rj.replicas.unwrap_or(1).max(0) as f64;
            let jobs = if sel.job_index.is_some() {
                jobs.min(1.0)
            } else {
                jobs
            };
            let pods = parallelism.min(completions);
            let pods = if sel.pod_index.is_some() {
                pods.min(1.0)
            } else {
                pods
            };
            total += jobs * pods * days;
        }
    }
    total
}

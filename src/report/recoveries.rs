//! `recoveries[]` of summary.json: one entry per interruption of a JobSet, with its stages,
//! the durations between them, the pods involved, its bind rate and, when it did not finish,
//! its progress and a diagnosis (docs/metrics.md, "Interruptions and recoveries").

use super::recovery_svg::Curve;
use crate::cluster::NodeId;
use crate::engine::time::to_secs;
use crate::engine::SimTime;
use crate::metrics::recoveries::{Record, State};
use crate::sim::objects::PodPhase;
use crate::sim::objects::{JobId, JsId, PodId};
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// ClusterLoader2's SchedulingThroughput window (calibration-v2 §D).
pub(crate) const WINDOW_NS: SimTime = 5_000_000_000;
/// An unfinished recovery with no pod created, bound or started for this long is `stalled`.
pub(crate) const STALL_NS: SimTime = 600_000_000_000;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RecoveryEntry {
    pub jobset: String,
    /// `recovered`, `stalled`, `unfinished at end of run`, `ended: JobSet Failed` / `Completed`.
    pub state: String,
    /// How it was (or is being) repaired: `RestartJobSet (Recreate)`, `RestartJob`,
    /// `InPlaceRestart`, `PodReplacement`, `ContainerRestart`, ...
    pub path: String,
    pub broke: Broke,
    pub decision: Decision,
    pub stages: Stages,
    pub durations: Durations,
    pub pods: Pods,
    /// Lost pod-time: ∫ (pods needed − pods running) dt from the failure to the record's end
    /// (all running, the JobSet's end, or the end of the run), in pod-seconds.
    pub lost_pod_s: f64,
    /// `pods.bound / (all_scheduled_s − first_pod_created_s)`; for unfinished records, so far
    /// (to the end of the run).
    pub pods_per_s: Option<f64>,
    /// Binds per second in 5-second windows from the first pod created (ClusterLoader2).
    pub bind_windows: Windows,
    /// Why it has not finished, from the simulation's state at the end; empty when it did.
    pub diagnosis: Vec<String>,
    /// For a recovered record: its longest stage and what that stage waited on.
    pub slowest_stage: Option<SlowestStage>,
}

/// Where a recovered record's time went: time to recover split into consecutive stages
/// (docs/metrics.md), the longest of them, and its cause from the simulation's own record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SlowestStage {
    /// `detect`, `decide`, `teardown`, `schedule` or `start`.
    pub stage: &'static str,
    pub duration_s: f64,
    /// Of the time to recover (0 to 1).
    pub share: f64,
    /// What the stage waited on, in a JobSet user's words.
    pub cause: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Broke {
    /// The fault injector's name, or null for the workload's own failure.
    pub injector: Option<String>,
    pub cause: String,
    /// The first node the fault took, and how many nodes it took.
    pub node: Option<String>,
    pub nodes: u32,
    /// Failures folded into this record (distinct instants) and pods they interrupted.
    pub failures: u32,
    pub pods_hit: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Decision {
    /// The failure policy rule that matched; null for the default action or no policy.
    pub rule: Option<String>,
    /// The action the JobSet controller took; null when it took none (the Job controller or
    /// the kubelet repaired it).
    pub action: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Stages {
    pub failed_s: f64,
    pub detected_s: Option<f64>,
    pub decided_s: Option<f64>,
    pub old_pods_gone_s: Option<f64>,
    pub jobs_recreated_s: Option<f64>,
    pub first_pod_created_s: Option<f64>,
    pub last_pod_created_s: Option<f64>,
    pub all_scheduled_s: Option<f64>,
    pub all_running_s: Option<f64>,
    pub training_resumed_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Durations {
    /// failed → detected.
    pub detect_s: Option<f64>,
    /// failed → decided.
    pub decide_s: Option<f64>,
    /// failed → old pods gone.
    pub teardown_s: Option<f64>,
    /// first → last pod created.
    pub create_s: Option<f64>,
    /// first pod created → all scheduled.
    pub schedule_s: Option<f64>,
    /// all scheduled → all running.
    pub start_s: Option<f64>,
    /// all running → training resumed (the restart cost).
    pub resume_s: Option<f64>,
    /// failed → all running: **time to recover**.
    pub time_to_recover_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Pods {
    /// Pods the JobSet runs at once.
    pub needed: u64,
    /// Running at the end of the record (all running, or at the end of the run).
    pub running: u64,
    pub created: u64,
    pub bound: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub(crate) struct Windows {
    pub windows: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

pub(crate) fn build(sim: &Sim) -> Vec<RecoveryEntry> {
    let end_ns = sim.ended_at_ns.unwrap_or(sim.now());
    let mut exclusive = ExclusiveCounts::default();
    sim.rec
        .recoveries
        .records
        .iter()
        .map(|r| entry(sim, r, end_ns, &mut exclusive))
        .collect()
}

fn span(a: Option<SimTime>, b: Option<SimTime>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(to_secs(b.saturating_sub(a))),
        _ => None,
    }
}

fn state_of(r: &Record, end_ns: SimTime) -> String {
    match r.state {
        State::Recovered => "recovered".into(),
        State::JobSetFinished => format!(
            "ended: JobSet {}",
            r.finished_as.as_deref().unwrap_or_default()
        ),
        State::Open if end_ns.saturating_sub(r.last_progress_ns) >= STALL_NS => "stalled".into(),
        State::Open => "unfinished at end of run".into(),
    }
}

fn entry(sim: &Sim, r: &Record, end_ns: SimTime, exclusive: &mut ExclusiveCounts) -> RecoveryEntry {
    let js = &sim.store.jobsets[r.jobset as usize];
    let failed = Some(r.failed_ns);
    let open = r.state == State::Open;
    let until = if open {
        Some(end_ns)
    } else {
        r.all_scheduled_ns
    };
    let pods_per_s = match (r.first_pod_created_ns, until) {
        (Some(a), Some(b)) if b > a => Some(r.pods_bound as f64 / to_secs(b - a)),
        _ => None,
    };
    RecoveryEntry {
        jobset: js.name.clone(),
        state: state_of(r, end_ns),
        path: r.path(js.spec.spec.restart_strategy()),
        broke: Broke {
            injector: r
                .broke
                .injector
                .map(|i| sim.inject.stats()[i as usize].name.clone()),
            cause: r.broke.cause.clone(),
            node: r.broke.node.map(|n| sim.cluster.node(n).name.clone()),
            nodes: r.broke.nodes,
            failures: r.failures,
            pods_hit: r.pods_hit,
        },
        decision: Decision {
            rule: r.rule.clone(),
            action: r.action.clone(),
        },
        stages: Stages {
            failed_s: to_secs(r.failed_ns),
            detected_s: r.detected_ns.map(to_secs),
            decided_s: r.decided_ns.map(to_secs),
            old_pods_gone_s: r.old_pods_gone_ns.map(to_secs),
            jobs_recreated_s: r.jobs_recreated_ns.map(to_secs),
            first_pod_created_s: r.first_pod_created_ns.map(to_secs),
            last_pod_created_s: r.last_pod_created_ns.map(to_secs),
            all_scheduled_s: r.all_scheduled_ns.map(to_secs),
            all_running_s: r.all_running_ns.map(to_secs),
            training_resumed_s: r.training_resumed_ns.map(to_secs),
        },
        durations: Durations {
            detect_s: span(failed, r.detected_ns),
            decide_s: span(failed, r.decided_ns),
            teardown_s: span(failed, r.old_pods_gone_ns),
            create_s: span(r.first_pod_created_ns, r.last_pod_created_ns),
            schedule_s: span(r.first_pod_created_ns, r.all_scheduled_ns),
            start_s: span(r.all_scheduled_ns, r.all_running_ns),
            resume_s: span(r.all_running_ns, r.training_resumed_ns),
            time_to_recover_s: span(failed, r.all_running_ns),
        },
        pods: Pods {
            needed: r.pods_needed,
            running: r.pods_running,
            created: r.pods_created,
            bound: r.pods_bound,
        },
        lost_pod_s: to_secs(r.lost_pod_ns(end_ns)),
        pods_per_s,
        bind_windows: windows(&r.bind_times_ns, r.first_pod_created_ns, until),
        diagnosis: match r.state {
            State::Open => diagnose(sim, r, exclusive),
            State::JobSetFinished => ended_lines(sim, r),
            State::Recovered => vec![],
        },
        slowest_stage: slowest_stage(sim, r),
    }
}

/// The consecutive stages of a recovered record, as (name, from, to): failure → detected →
/// decided → first pod created → all scheduled → all running, each mark no earlier than the
/// one before (a stage that did not happen is empty), so they add up to time to recover.
fn stage_spans(r: &Record) -> Vec<(&'static str, SimTime, SimTime)> {
    let Some(end) = r.all_running_ns else {
        return vec![];
    };
    let mut spans = vec![];
    let mut at = r.failed_ns;
    let marks = [
        ("detect", r.detected_ns),
        ("decide", r.decided_ns),
        ("teardown", r.first_pod_created_ns),
        ("schedule", r.first_pod_created_ns.and(r.all_scheduled_ns)),
    ];
    for (name, mark) in marks {
        if let Some(t) = mark {
            let t = t.clamp(at, end);
            spans.push((name, at, t));
            at = t;
        }
    }
    spans.push(("start", at, end));
    spans
}

/// The longest stage of a recovered record (the first of equals) and its cause.
fn slowest_stage(sim: &Sim, r: &Record) -> Option<SlowestStage> {
    let spans = stage_spans(r);
    let ttr_ns = r.all_running_ns? - r.failed_ns;
    // A recovery at the failure's instant: every stage is empty, and the last one (the pods
    // running again) says how.
    let &(stage, from, to) = if ttr_ns == 0 {
        spans.last()?
    } else {
        spans.iter().fold(
            None,
            |best: Option<&(&str, SimTime, SimTime)>, s| match best {
                Some(b) if b.2 - b.1 >= s.2 - s.1 => best,
                _ => Some(s),
            },
        )?
    };
    Some(SlowestStage {
        stage,
        duration_s: to_secs(to - from),
        share: if ttr_ns == 0 {
            1.0
        } else {
            (to - from) as f64 / ttr_ns as f64
        },
        cause: stage_cause(sim, r, stage, from, to),
    })
}

/// Seconds for a cause's text: `40 s`, `1.5 s`, `17 min`, `2 h 5 min`.
fn words_s(ns: SimTime) -> String {
    let s = to_secs(ns);
    match s {
        s if s < 10.0 => format!(
            "{} s",
            crate::headline::fmt_readable((s * 10.0).round() / 10.0)
        ),
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7_200.0 => format!("{:.0} min", s / 60.0),
        s => format!(
            "{} h {} min",
            (s / 3_600.0) as u64,
            ((s % 3_600.0) / 60.0) as u64
        ),
    }
}

/// Thousands separators: `15,008`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a stage of `r` (from `from` to `to`) waited on: only what the simulation recorded.
fn stage_cause(sim: &Sim, r: &Record, stage: &str, from: SimTime, to: SimTime) -> String {
    let params = &sim.params;
    match stage {
        "detect" => match r.broke.node {
            Some(n) => format!(
                "node {} NotReady only after the node lifecycle controller's grace period ({})",
                sim.cluster.node(n).name,
                words_s(params.node_lifecycle.monitor_grace_ns)
            ),
            None => "the failure was not yet seen by the control plane".into(),
        },
        "decide" => decide_cause(sim, r, to),
        "teardown" => teardown_cause(sim, r, to),
        "schedule" => schedule_cause(sim, r, from, to),
        _ => start_cause(sim, r, from, to),
    }
}

/// Detected → decided: the failed Job's pods going (the Job is `Failed` only once its pods
/// are gone, `FailureTarget` first), pods on a NotReady node waiting for the taint manager,
/// then the JobSet controller acting.
fn decide_cause(sim: &Sim, r: &Record, decided: SimTime) -> String {
    let since = |t: SimTime| words_s(t.saturating_sub(r.failed_ns));
    let mut parts = vec![];
    if r.taint_deletions_at_decision > 0 {
        parts.push(format!(
            "{} pod(s) on the NotReady node deleted by the taint manager once their NoExecute \
             toleration ran out (default {})",
            count(r.taint_deletions_at_decision),
            words_s(sim.params.node_lifecycle.toleration_ns)
        ));
    }
    if let Some(gone) = r.gone_at_decision_ns.filter(|_| r.removed_at_decision > 0) {
        let client = sim.params.job_controller_client;
        parts.push(format!(
            "{} pod(s) deleted before the Job was Failed (a Job is Failed only once its pods \
             are gone), the last gone {} after the failure (Job controller client {} qps)",
            count(r.removed_at_decision),
            since(gone),
            crate::headline::fmt_readable(client.qps)
        ));
    }
    parts.push(format!(
        "the failure policy acted {} after the failure ({})",
        since(decided),
        r.last_decision_cause
    ));
    parts.join("; ")
}

/// Failure (or decision) → first pod created: the old pods going and the Jobs coming back.
fn teardown_cause(sim: &Sim, r: &Record, first_created: SimTime) -> String {
    let since = |t: SimTime| words_s(t.saturating_sub(r.failed_ns));
    let mut parts = vec![];
    if r.taint_deletions > 0 {
        parts.push(format!(
            "{} pod(s) on the NotReady node deleted by the taint manager once their \
             NoExecute toleration ran out (default {})",
            count(r.taint_deletions),
            words_s(sim.params.node_lifecycle.toleration_ns)
        ));
    }
    let blocking = r
        .action
        .as_deref()
        .is_some_and(|a| a.starts_with("RestartJobSet"))
        && sim.store.jobsets[r.jobset as usize]
            .spec
            .spec
            .restart_strategy()
            == "BlockingRecreate";
    match r.old_pods_gone_ns.filter(|&t| t <= first_created) {
        Some(gone) if blocking => parts.push(format!(
            "BlockingRecreate: waited for the old Jobs' {} pod(s) to be gone ({} after the \
             failure) before recreating",
            count(r.pods_removed),
            since(gone)
        )),
        Some(gone) => parts.push(format!(
            "old pods gone {} after the failure ({} removed)",
            since(gone),
            count(r.pods_removed)
        )),
        None => {}
    }
    if let Some(j) = r.jobs_recreated_ns.filter(|&t| t <= first_created) {
        parts.push(format!("Jobs recreated {} after the failure", since(j)));
    } else if r.action.is_none() && r.taint_deletions == 0 {
        use crate::control::job::{MAX_POD_FAILURE_BACKOFF_NS, POD_FAILURE_BACKOFF_NS};
        parts.push(format!(
            "the Job controller re-creates a failed pod after its pod-failure back-off ({} \
             from the last failure, doubling up to {})",
            words_s(POD_FAILURE_BACKOFF_NS),
            words_s(MAX_POD_FAILURE_BACKOFF_NS)
        ));
    }
    parts.push(format!(
        "first pod created {} after the failure",
        since(first_created)
    ));
    parts.join("; ")
}

/// First pod created → all scheduled: a node repair, the Job API back-off, the scheduler's
/// back-off, the pod creation rate or the scheduler's own rate, in that order of precedence.
fn schedule_cause(sim: &Sim, r: &Record, from: SimTime, to: SimTime) -> String {
    let reason = &r.unschedulable_reason;
    if let Some(first) = r.first_unschedulable_ns {
        let repair = sim
            .rec
            .node_repairs
            .iter()
            .rev()
            .find(|&&(t, _)| t >= first && t <= to);
        if let Some(&(t, n)) = repair {
            return format!(
                "waited {} for node repair: {} failed scheduling attempt(s) ({reason}) until \
                 node {} came back",
                words_s(t - first),
                count(r.unschedulable_attempts),
                sim.cluster.node(n).name
            );
        }
    }
    if r.creates_refused > 0 {
        return format!(
            "Job API back-off: {} pod create(s) refused (a follower before its leader had a \
             node), each Job retried after its back-off",
            count(r.creates_refused)
        );
    }
    if r.unschedulable_attempts > 0 {
        let sp = &sim.params.scheduler;
        return format!(
            "scheduler back-off: {} failed scheduling attempt(s) ({reason}), each pod retried \
             after {}–{}",
            count(r.unschedulable_attempts),
            words_s(sp.initial_backoff_ns),
            words_s(sp.max_backoff_ns)
        );
    }
    let window = to - from;
    let client = sim.params.job_controller_client;
    if let Some(last) = r.last_pod_created_ns.filter(|&l| 2 * (l - from) >= window) {
        let span = last - from;
        let rate = if span > 0 {
            (r.pods_created.saturating_sub(1)) as f64 / to_secs(span)
        } else {
            f64::INFINITY
        };
        let limited = client.qps > 0.0 && rate >= 0.9 * client.qps;
        let fmt = crate::headline::fmt_readable;
        return if limited {
            format!(
                "pod creation rate-limited: {} creates at {} qps (Job controller client, \
                 burst {})",
                count(r.pods_created),
                fmt(client.qps),
                client.burst
            )
        } else {
            format!(
                "pod creation: {} creates in {} ({} pods/s)",
                count(r.pods_created),
                words_s(span),
                fmt(rate)
            )
        };
    }
    format!(
        "scheduling: {} binds in {} ({} pods/s)",
        count(r.pods_bound),
        words_s(window),
        crate::headline::fmt_readable(r.pods_bound as f64 / to_secs(window.max(1)))
    )
}

/// All scheduled → all running: a container restart's CrashLoopBackOff, an in-place restart,
/// or the kubelets starting the pods.
fn start_cause(sim: &Sim, r: &Record, from: SimTime, to: SimTime) -> String {
    if r.in_place {
        return "in-place restart: containers restarted in their pods, held at the barrier \
                until every pod reported the attempt"
            .into();
    }
    if r.container_restarts > 0 && r.pods_created == 0 {
        return match r.last_restart_backoff_ns {
            Some(b) if b > 0 => format!(
                "kubelet CrashLoopBackOff: the container restarted in place after a {} back-off",
                words_s(b)
            ),
            _ => "the kubelet restarted the container in place at once (first crash: no \
                  back-off; the kubelet's detection of the exit and the container's start are \
                  not modelled, docs/fidelity.md)"
                .into(),
        };
    }
    format!(
        "containers starting: the last pod running {} after all were bound (kubelet \
         podStartLatency {})",
        words_s(to - from),
        words_s(sim.params.kubelet.pod_start_latency_ns)
    )
}

/// Binds per second in consecutive 5-second windows from `from` to `until` (the last window
/// may be partial and counts over its full 5 s, as ClusterLoader2 does).
pub(crate) fn windows(binds: &[SimTime], from: Option<SimTime>, until: Option<SimTime>) -> Windows {
    let (Some(from), Some(until)) = (from, until) else {
        return Windows::default();
    };
    let mut rates = window_rates(binds, from, until);
    rates.sort_by(f64::total_cmp);
    let pct = |p: f64| -> Option<f64> {
        let rank = ((p / 100.0) * rates.len() as f64).ceil().max(1.0) as usize;
        rates.get(rank - 1).copied()
    };
    Windows {
        windows: rates.len() as u64,
        p50: pct(50.0),
        p90: pct(90.0),
        p99: pct(99.0),
        max: rates.last().copied(),
    }
}

/// Binds per second in each 5-second window from `from` to `until`, in time order.
fn window_rates(binds: &[SimTime], from: SimTime, until: SimTime) -> Vec<f64> {
    let n = (until.saturating_sub(from) / WINDOW_NS + 1) as usize;
    let mut counts = vec![0u64; n];
    for &t in binds {
        if t >= from && t <= until {
            counts[((t - from) / WINDOW_NS) as usize] += 1;
        }
    }
    counts.iter().map(|&c| c as f64 / 5.0).collect()
}

/// Window rates as a step function from `from_s`: a point where the rate changes, and 0 at the
/// end of the last window (a stall of days is a handful of points, not one per window).
fn rate_steps(rates: &[f64], from_s: f64) -> Vec<(f64, f64)> {
    let window_s = to_secs(WINDOW_NS);
    let mut out: Vec<(f64, f64)> = vec![];
    for (k, &rate) in rates.iter().enumerate() {
        if out.last().is_none_or(|p| p.1 != rate) {
            out.push((from_s + k as f64 * window_s, rate));
        }
    }
    out.push((from_s + rates.len() as f64 * window_s, 0.0));
    out
}

/// `recovery.svg` for the run's records (`entries` as built by [`build`]).
pub(crate) fn chart_svg(sim: &Sim, entries: &[RecoveryEntry]) -> String {
    let end_ns = sim.ended_at_ns.unwrap_or(sim.now());
    let curves: Vec<Curve> = sim
        .rec
        .recoveries
        .records
        .iter()
        .zip(entries)
        .enumerate()
        .map(|(i, (r, e))| curve(r, e, i + 1, end_ns))
        .collect();
    super::recovery_svg::render(&format!("{}: recoveries", sim.scenario.name), &curves)
}

/// One record as the chart draws it, times relative to its failure.
fn curve(r: &Record, e: &RecoveryEntry, number: usize, end_ns: SimTime) -> Curve {
    let since = |t: SimTime| to_secs(t.saturating_sub(r.failed_ns));
    let steps: Vec<(f64, u64, u64, u64)> = r
        .progress
        .steps()
        .map(|s| {
            let (c, sc, ru) = (s.created, s.scheduled, s.running);
            (to_secs(s.offset_ns), c.into(), sc.into(), ru.into())
        })
        .collect();
    let end_s = match r.state {
        State::Recovered => since(
            r.training_resumed_ns
                .or(r.all_running_ns)
                .unwrap_or(r.failed_ns),
        ),
        State::JobSetFinished => steps.last().map_or(0.0, |s| s.0),
        State::Open => since(end_ns),
    };
    let until = match r.state {
        State::Open => Some(end_ns),
        _ => r.all_scheduled_ns,
    };
    let bind_rates = match (r.first_pod_created_ns, until) {
        (Some(from), Some(until)) => {
            rate_steps(&window_rates(&r.bind_times_ns, from, until), since(from))
        }
        _ => vec![],
    };
    let stage = |t: Option<SimTime>| t.map(since);
    Curve {
        number,
        jobset: e.jobset.clone(),
        path: e.path.clone(),
        state: e.state.clone(),
        pods_needed: r.pods_needed,
        steps,
        end_s,
        stages_s: [
            stage(r.detected_ns),
            stage(r.old_pods_gone_ns),
            stage(r.jobs_recreated_ns),
            stage(r.all_scheduled_ns),
            stage(r.all_running_ns),
            stage(r.training_resumed_ns),
        ],
        bind_rates,
        time_to_recover_s: e.durations.time_to_recover_s,
        diagnosis: e.diagnosis.first().cloned(),
    }
}

/// Why an open recovery has not finished, in a JobSet user's words, from the state at the end:
/// for an exclusive-placement Job, the leader's domain and why its followers cannot fit there,
/// or why the leader finds no domain; pods the scheduler cannot place (grouped by Job and its
/// last verdict); nodes out of the pool; Jobs in API back-off; pods not yet created.
fn diagnose(sim: &Sim, r: &Record, exclusive: &mut ExclusiveCounts) -> Vec<String> {
    let js = r.jobset;
    let mut out = vec![];
    // A JobSet Kueue holds suspended waits for Kueue first: that line leads.
    out.extend(kueue_line(sim, js));
    let mut pods = PodTallies::default();
    for &j in sim.store.jobset_jobs(js) {
        diagnose_job(sim, j, exclusive, &mut pods, &mut out);
    }
    pods.push_lines(&mut out, r.pods_needed);
    if let Some(line) = restart_loop_line(r) {
        out.push(line);
    }
    out.extend(in_place_barrier_line(sim, js));
    let out_nodes = sim.inject.nodes_out_now() as usize;
    if out_nodes > 0 {
        out.push(format!(
            "{out_nodes} node(s) out of the pool, waiting for repair"
        ));
    }
    if out.is_empty() {
        out.push(format!(
            "{} of {} pods running; no pod blocked at the end",
            r.pods_running, r.pods_needed
        ));
    }
    group_job_lines(out)
}

/// The pods of a recovering JobSet's Jobs at the end, summed over its Jobs.
#[derive(Default)]
struct PodTallies {
    /// (Job name, the scheduler's last verdict) → pods that cannot be placed.
    unschedulable: BTreeMap<(String, String), u64>,
    /// Pods bound whose containers have not started.
    pending_bound: u64,
    /// Pods that exist.
    live: u64,
    /// Pods of failed (backoffLimitPerIndex) or succeeded indexes: never created again.
    not_recreated: u64,
}

impl PodTallies {
    /// The lines the tallies make: unschedulable pods, pods not started, pods not created.
    fn push_lines(self, out: &mut Vec<String>, pods_needed: u64) {
        for ((job, msg), n) in self.unschedulable {
            out.push(format!("Job {job}: {n} pod(s) cannot be scheduled: {msg}"));
        }
        let pending_bound = self.pending_bound;
        if pending_bound > 0 {
            out.push(format!(
                "{pending_bound} pod(s) bound, containers not started yet"
            ));
        }
        let live = self.live;
        if live + self.not_recreated < pods_needed {
            out.push(format!(
                "{} of {} pods exist; {} not created yet",
                live,
                pods_needed,
                pods_needed - live - self.not_recreated
            ));
        }
    }
}

/// Job `j`'s lines (API back-off, failed indexes, exclusive placement), its pods tallied.
fn diagnose_job(
    sim: &Sim,
    j: JobId,
    exclusive: &mut ExclusiveCounts,
    tallies: &mut PodTallies,
    out: &mut Vec<String>,
) {
    let job = &sim.store.jobs[j as usize];
    if !sim.store.job_exists(j) || job.deletion_ns.is_some() {
        return;
    }
    let api_backoff_steps = sim.job_controller.api_backoff_steps(j);
    if api_backoff_steps > 0 {
        out.push(format!(
            "Job {}: pod creates rejected, Job API back-off (step {api_backoff_steps})",
            job.name
        ));
    }
    if let Some(line) = failed_indexes_line(sim, j) {
        out.push(line);
        tallies.not_recreated += job.index_failed.iter().filter(|&&f| f).count() as u64;
    }
    // Succeeded indexes are done: nothing creates their pods again.
    tallies.not_recreated += job.succeeded_index.iter().filter(|&&s| s).count() as u64;
    let pods = live_pods(sim, j);
    tallies.live += pods.len() as u64;
    let unplaced: Vec<PodId> = pods
        .iter()
        .copied()
        .filter(|&p| sim.pods[p as usize].node.is_none())
        .collect();
    tallies.pending_bound += pods
        .iter()
        .filter(|&&p| {
            let pod = &sim.pods[p as usize];
            pod.phase == PodPhase::Pending && pod.node.is_some()
        })
        .count() as u64;
    if let Some(line) = exclusive_placement_line(sim, j, &pods, &unplaced, exclusive) {
        out.push(line);
        return;
    }
    for p in unplaced {
        if let Some(msg) = sim.last_unschedulable(p) {
            *tallies
                .unschedulable
                .entry((job.name.clone(), msg.to_string()))
                .or_default() += 1;
        }
    }
}

/// A JobSet whose Kueue Workload is not admitted at the end is suspended: the Workload's
/// state and, while pending, Kueue's `QuotaReserved=False` message.
fn kueue_line(sim: &Sim, js: JsId) -> Option<String> {
    use crate::kueue::workload::WlState;
    let k: &crate::kueue::controller::KueueController = &sim.kueue;
    let w = k.workloads().iter().find(|w| w.js == js)?;
    let cq =
        w.cq.map_or("-", |c| k.model().cluster_queues[c].name.as_str());
    match w.state {
        WlState::Pending => Some(format!(
            "JobSet suspended by Kueue: Workload pending in ClusterQueue {cq} ({}: {})",
            w.pending_reason.0, w.pending_reason.1
        )),
        WlState::Evicting => Some(format!(
            "JobSet being suspended by Kueue: Workload evicted ({})",
            w.evictions.last().map_or("-", |e| e.reason)
        )),
        WlState::BackingOff => {
            Some("JobSet suspended by Kueue: Workload waiting out its requeue back-off".into())
        }
        WlState::Reserved => Some(format!(
            "JobSet suspended by Kueue: quota reserved in ClusterQueue {cq}, waiting for admission checks"
        )),
        WlState::Finished if w.deactivated && sim.store.jobsets[js as usize].status.terminal_state.is_none() => {
            Some(format!(
                "JobSet suspended by Kueue for good: {}",
                w.pending_reason.1
            ))
        }
        WlState::Admitted | WlState::Finished => None,
    }
}

/// Why a record ended without recovering: the JobSet became terminal first. Its terminal
/// condition in upstream's words, the failure policy's last decision while the record was
/// open, and how far the recovery had come.
fn ended_lines(sim: &Sim, r: &Record) -> Vec<String> {
    let obj = &sim.store.jobsets[r.jobset as usize];
    let state = r.finished_as.as_deref().unwrap_or_default();
    let verb = if state == "Completed" {
        "completed"
    } else {
        "failed"
    };
    let ended_ns = (sim.rec.jobset_finished_ns(r.jobset)).unwrap_or(r.failed_ns);
    let mut first = format!(
        "JobSet {verb} before recovery, {} after the failure",
        words_s(ended_ns.saturating_sub(r.failed_ns))
    );
    if let Some(c) = obj.status.condition(state) {
        let _ = write!(first, ": {} ({})", c.reason, c.message);
    }
    let mut out = vec![first];
    if let Some(action) = &r.action {
        let rule = r
            .rule
            .as_deref()
            .map_or("the default action".to_string(), |n| format!("rule {n}"));
        out.push(format!(
            "the failure policy's last decision: {action} ({rule}) on {}",
            r.last_decision_cause
        ));
    }
    out.push(format!(
        "{} of {} pods running when the JobSet ended",
        r.pods_running, r.pods_needed
    ));
    out
}

/// The end of a failed-indexes diagnosis when nothing will ever finish the Job (the swarm's
/// liveness phase takes it as the stall's explanation).
pub(crate) const NEVER_FINISHES: &str = "; with a training model the other indexes run until \
     the work is done, which needs every pod running: the Job never finishes";

/// The end of an in-place barrier diagnosis when finished pods can never report the attempt.
pub(crate) const BARRIER_NEVER_LIFTS: &str = ": the barrier never lifts";

/// In-place restart: a running pod whose agent holds its worker behind the barrier, waiting
/// for every pod to report its attempt (`in_place_restart.go`, step 3: all pods of the JobSet,
/// Succeeded ones included, at one attempt). Pods that finished at another attempt never
/// report a newer one.
fn in_place_barrier_line(sim: &Sim, js: crate::sim::objects::JsId) -> Option<String> {
    let obj = &sim.store.jobsets[js as usize];
    let current = obj.status.current_in_place_restart_attempt;
    let pods = (sim.store.jobset_jobs(js).iter()).flat_map(|&j| sim.job_pods[j as usize].iter());
    let (mut waiting, mut finished_elsewhere) = (None, 0u64);
    for &p in pods {
        let pod = &sim.pods[p as usize];
        let Some(attempt) = pod.in_place_attempt.filter(|_| !pod.removed) else {
            continue;
        };
        let held = !sim.in_place_agents.barrier_lifted(p);
        if pod.phase == PodPhase::Running && held && current != Some(attempt) {
            waiting.get_or_insert((sim.pod_name(p), attempt));
        } else if pod.phase == PodPhase::Succeeded {
            finished_elsewhere += 1;
        }
    }
    let (name, attempt) = waiting?;
    let shown = current.map_or("none".to_string(), |c| c.to_string());
    let mut line = format!(
        "pod {name} waits at the in-place restart barrier for attempt {attempt} \
         (currentInPlaceRestartAttempt {shown}); it lifts when every pod reports one attempt"
    );
    if finished_elsewhere > 0 {
        line += &format!(
            ", and {finished_elsewhere} pod(s) have Succeeded and will never report \
             {attempt}{BARRIER_NEVER_LIFTS}"
        );
    }
    Some(line)
}

/// The end of a restart-loop diagnosis when the action does not count toward maxRestarts.
pub(crate) const RESTARTS_WITHOUT_END: &str =
    "; this action does not count toward maxRestarts, so the loop has no end";

/// A record that saw the failure policy restart the JobSet again and again: each attempt
/// failed before all its pods ran.
fn restart_loop_line(r: &Record) -> Option<String> {
    if r.decisions < 2 {
        return None;
    }
    let action = r.action.as_deref().unwrap_or_default();
    let rule = r.rule.as_deref().unwrap_or("the default action");
    let endless = action.ends_with("IgnoreMaxRestarts");
    Some(format!(
        "restarted {} times while recovering: every attempt failed again before all its pods \
         ran (last: {rule}, {action}, on {}){}",
        r.decisions,
        r.last_decision_cause,
        if endless { RESTARTS_WITHOUT_END } else { "" }
    ))
}

/// A Job with `backoffLimitPerIndex` whose failed indexes are not recreated: it ends only
/// when every other index has finished (`job_controller.go`, indexes past their per-index
/// limit are not re-created; the Job fails once all indexes are finished). With a training
/// model the others never finish, since training needs every pod.
fn failed_indexes_line(sim: &Sim, j: JobId) -> Option<String> {
    let job = &sim.store.jobs[j as usize];
    let limit = job.spec.backoff_limit_per_index?;
    let failed: Vec<String> = (job.index_failed.iter().enumerate())
        .filter(|(_, &f)| f)
        .map(|(i, _)| i.to_string())
        .collect();
    if failed.is_empty() {
        return None;
    }
    let training = sim.scenario.workloads[sim.jobset_workloads[job.jobset as usize] as usize]
        .training
        .is_some();
    let rest = if training { NEVER_FINISHES } else { "" };
    Some(format!(
        "Job {}: index(es) {} failed (backoffLimitPerIndex {limit}) and are not recreated; \
         the Job ends when its other indexes finish{rest}",
        job.name,
        failed.join(", ")
    ))
}

/// A Job's pods that exist and have not finished or started terminating.
fn live_pods(sim: &Sim, j: JobId) -> Vec<PodId> {
    sim.job_pods[j as usize]
        .iter()
        .copied()
        .filter(|&p| {
            let pod = &sim.pods[p as usize];
            pod.created && !pod.removed && pod.deletion_ns.is_none() && !pod.phase.terminal()
        })
        .collect()
}

/// For a Job placed by JobSet's leader/follower webhooks with pods the scheduler cannot place:
/// followers stuck in the leader's domain (with the domain's schedulable nodes and the repairs
/// due there), or a leader that finds no domain (with the count of exclusive Jobs and domains).
fn exclusive_placement_line(
    sim: &Sim,
    j: JobId,
    pods: &[PodId],
    unplaced: &[PodId],
    exclusive: &mut ExclusiveCounts,
) -> Option<String> {
    let job = &sim.store.jobs[j as usize];
    let key = sim.pod_templates.exclusive_key(j)?;
    if unplaced.is_empty() {
        return None;
    }
    let leader = pods
        .iter()
        .copied()
        .find(|&p| sim.pods[p as usize].index == 0);
    match leader.and_then(|p| sim.pods[p as usize].node) {
        Some(node) => Some(followers_line(sim, job, key, node, unplaced)),
        None => leader_line(sim, job, key, leader, exclusive),
    }
}

/// "Job X: leader on node N in KEY=D, which has S schedulable nodes for P pods (...); F
/// follower(s) cannot fit" when the domain lacks nodes. When it has enough, room is not what
/// holds the followers: "Job X: leader bound, its KEY domain has S schedulable node(s) for P
/// pods; followers ..." with the scheduler's last verdict on one, or that none has been tried
/// and failed yet (they wait in kube-scheduler's queue). That line names no node, so the
/// Jobs it fits group into one line (`group_job_lines`).
fn followers_line(
    sim: &Sim,
    job: &crate::sim::objects::JobObj,
    key: &str,
    leader_node: NodeId,
    unplaced: &[PodId],
) -> String {
    let domain = sim.cluster.label_value(leader_node, key).unwrap_or("");
    let nodes = sim.cluster.nodes_with_label(key, domain);
    let out_of_service: Vec<String> = nodes
        .iter()
        .copied()
        .filter(|&n| !node_schedulable(sim, n))
        .map(|n| node_state(sim, n))
        .collect();
    let schedulable = nodes.len() - out_of_service.len();
    let pods = job.parallelism;
    if schedulable >= pods as usize {
        let verdict = unplaced.iter().find_map(|&p| sim.last_unschedulable(p));
        let waiting = match verdict {
            Some(v) => format!("followers not scheduled yet: {v}"),
            None => "followers waiting in kube-scheduler's queue (no attempt failed yet)".into(),
        };
        return format!(
            "Job {}: leader bound, its {key} domain has {schedulable} schedulable node(s) for \
             {pods} pods; {waiting}",
            job.name
        );
    }
    let mut line = format!(
        "Job {}: leader on node {} in {key}={domain}, which has {schedulable} schedulable \
         node(s) for {pods} pods",
        job.name,
        sim.cluster.node(leader_node).name,
    );
    if !out_of_service.is_empty() {
        let _ = write!(line, " ({})", out_of_service.join("; "));
    }
    let _ = write!(line, "; {} follower(s) cannot fit", unplaced.len());
    line
}

/// Lines of several Jobs that say the same after the Job's name, as one: "N Jobs (a, b, …,
/// z): ..." (at 65,536 nodes thousands of Jobs wait in the same Job API back-off). Other
/// lines, and the order of first appearance, are kept.
fn group_job_lines(lines: Vec<String>) -> Vec<String> {
    let mut order: Vec<String> = vec![];
    let mut jobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        let split = line
            .strip_prefix("Job ")
            .and_then(|l| l.split_once(": "))
            .map(|(name, rest)| (name.to_string(), rest.to_string()));
        let (key, name) = match split {
            Some((name, rest)) => (format!("Job\u{0}{rest}"), Some(name)),
            None => (line, None),
        };
        let names = jobs.entry(key.clone()).or_default();
        if names.is_empty() || name.is_none() {
            order.push(key);
        }
        names.extend(name);
    }
    order
        .into_iter()
        .map(|key| match key.strip_prefix("Job\u{0}") {
            None => key,
            Some(rest) => {
                let names = &jobs[&key];
                match names.as_slice() {
                    [one] => format!("Job {one}: {rest}"),
                    [a, b] => format!("Jobs {a}, {b}: {rest}"),
                    [a, b, .., z] => format!(
                        "{} Jobs ({a}, {b}, …, {z}): {rest}",
                        count(names.len() as u64)
                    ),
                    [] => unreachable!("a Job line has a name"),
                }
            }
        })
        .collect()
}

/// What a leader that finds no domain is held against, per exclusive topology key: the key's
/// domains in the cluster and the exclusive Jobs that hold or want one. Both are facts of the
/// state at the end, the same for every Job of every record, so a report counts them once per
/// key (a stalled record asks for every Job whose leader is unplaced: thousands at 65k nodes).
#[derive(Debug, Default)]
pub(crate) struct ExclusiveCounts {
    /// (key, domains, exclusive Jobs), in the order first asked.
    by_key: Vec<(String, usize, usize)>,
}

impl ExclusiveCounts {
    /// (domains, exclusive Jobs) for `key`.
    fn get(&mut self, sim: &Sim, key: &str) -> (usize, usize) {
        if let Some(&(_, domains, jobs)) = self.by_key.iter().find(|(k, ..)| k == key) {
            return (domains, jobs);
        }
        let domains = sim.cluster.label_domains(key);
        let jobs = sim
            .store
            .jobs
            .iter()
            .enumerate()
            .filter(|&(j, o)| {
                let j = j as JobId;
                let exclusive = sim.pod_templates.exclusive_key(j);
                sim.store.job_exists(j)
                    && o.deletion_ns.is_none()
                    && exclusive == Some(key)
                    && !sim.job_pods[j as usize].is_empty()
                    && o.finished().is_none()
            })
            .count();
        self.by_key.push((key.to_string(), domains, jobs));
        (domains, jobs)
    }
}

/// A leader the scheduler cannot place: the count of exclusive Jobs against domains when
/// there are more Jobs, else the scheduler's last verdict.
fn leader_line(
    sim: &Sim,
    job: &crate::sim::objects::JobObj,
    key: &str,
    leader: Option<PodId>,
    exclusive: &mut ExclusiveCounts,
) -> Option<String> {
    let (domains, exclusive_jobs) = exclusive.get(sim, key);
    if exclusive_jobs > domains {
        return Some(format!(
            "Job {}: leader cannot be placed: more exclusive Jobs ({exclusive_jobs}) than {key} domains ({domains})",
            job.name
        ));
    }
    let verdict = sim.last_unschedulable(leader?)?;
    Some(format!(
        "Job {}: leader cannot be scheduled: {verdict}",
        job.name
    ))
}

fn node_schedulable(sim: &Sim, n: NodeId) -> bool {
    let node = sim.cluster.node(n);
    node.ready && !node.unschedulable && !node.failed
}

/// "N unschedulable: repair due at T" / "N NotReady" for a node out of service.
fn node_state(sim: &Sim, n: NodeId) -> String {
    let node = sim.cluster.node(n);
    let state = if !node.ready || node.failed {
        "NotReady"
    } else {
        "unschedulable"
    };
    match sim.inject.repair_due_ns(n) {
        Some(due) if due != crate::inject::effects::NEVER => format!(
            "{} {state}: repair due at {}",
            node.name,
            crate::engine::time::format_duration(due)
        ),
        Some(_) if sim.inject.node_out(n) => {
            format!("{} {state}: no repair scheduled", node.name)
        }
        _ => format!("{} {state}", node.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_jobs_that_say_the_same_are_one() {
        let lines = [
            "Job a-1: pod creates rejected, Job API back-off (step 11)",
            "Job a-2: leader bound; followers waiting",
            "Job a-3: pod creates rejected, Job API back-off (step 11)",
            "19 pod(s) bound, containers not started yet",
            "Job a-4: pod creates rejected, Job API back-off (step 11)",
            "Job a-5: leader bound; followers waiting",
            "Job a-6: leader on node n in k=d; 1 follower(s) cannot fit",
        ];
        let grouped = group_job_lines(lines.iter().map(|l| l.to_string()).collect());
        assert_eq!(
            grouped,
            [
                "3 Jobs (a-1, a-3, …, a-4): pod creates rejected, Job API back-off (step 11)",
                "Jobs a-2, a-5: leader bound; followers waiting",
                "19 pod(s) bound, containers not started yet",
                "Job a-6: leader on node n in k=d; 1 follower(s) cannot fit",
            ]
        );
    }

    #[test]
    fn windows_count_binds_per_five_seconds() {
        let s = 1_000_000_000;
        // 10 binds in the first window, 5 in the second, none in the third.
        let mut binds: Vec<SimTime> = (0..10).map(|i| i * s / 4).collect();
        binds.extend((0..5).map(|i| 5 * s + i * s));
        let w = windows(&binds, Some(0), Some(12 * s));
        assert_eq!(w.windows, 3);
        assert_eq!(w.max, Some(2.0));
        assert_eq!(w.p50, Some(1.0));
        assert_eq!(w.p90, Some(2.0));
        assert_eq!(windows(&binds, None, Some(1)), Windows::default());
    }
}

//! `record.json`: the run's record, one entry per JobSet, connecting every pod to the declared
//! workload: who owns it, the manifest after defaulting, the child Jobs generated, the pods by
//! final status, the resources and accelerators claimed, restarts with upstream's reasons,
//! kube-scheduler's FailedScheduling reasons, queue admission and the terminal state. Built once
//! at the end from the objects and the observers' logs (`Recorder`); every key is documented in
//! docs/metrics.md, "record.json".

use crate::api::keys::{JOB_INDEX, JOB_RESTART_ATTEMPT, REPLICATED_JOB_NAME};
use crate::api::types::{JobSet, ReplicatedJob, StringMap};
use crate::engine::time::to_secs;
use crate::engine::SimTime;
use crate::metrics::status_log::{StatusRow, Subject};
use crate::sim::objects::{JobId, JobObj, JobSetObj, JsId};
use crate::sim::Sim;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The file's name in a run's `--out` folder.
pub(crate) const FILE: &str = "record.json";

/// Layout version of record.json: raised when a key is renamed, removed or changes meaning
/// (adding a key does not raise it), as summary.json's `schema_version`.
/// 2: `jobs[]` became `job_groups[]` (what the Jobs of a group share said once).
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Where the owner is read from, first match wins: the metadata key (annotation before label)
/// that says who is accountable for the workload. docs/metrics.md, "record.json".
const OWNER_KEYS: &[(&str, &str)] = &[
    ("annotations", "owner"),
    ("labels", "owner"),
    ("annotations", "team"),
    ("labels", "team"),
];

#[derive(Debug, Serialize)]
pub(crate) struct Record {
    pub tool_version: String,
    pub schema_version: u32,
    pub scenario: String,
    pub scenario_hash: String,
    pub seed: u64,
    /// `controlPlane.jobsetController.version`: the JobSet controller release modelled.
    pub jobset_controller_version: &'static str,
    pub jobsets: Vec<JobSetRecord>,
}

#[derive(Debug, Serialize)]
pub(crate) struct JobSetRecord {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub api_version: String,
    pub kind: String,
    pub owner: Option<Owner>,
    pub submitted_at_s: f64,
    /// The JobSet as admitted, after the webhook's and the CRD's defaults, without nulls and
    /// without the fields the simulator accepts but does not model (image, command, ...).
    pub manifest: Value,
    pub replicated_jobs: Vec<ReplicatedJobRecord>,
    /// Every child Job, grouped: what the Jobs of a group share is written once.
    pub job_groups: Vec<JobGroup>,
    pub pods: PodsByFinalStatus,
    pub restarts: Restarts,
    pub failed_scheduling: FailedSchedulingRecord,
    /// Kueue admission (the JobSet's Workload as `summary.json`'s `kueue.workloads[]` lists
    /// it); null when Kueue does not manage the JobSet.
    pub queue_admission: Option<Value>,
    pub terminal: Terminal,
}

#[derive(Debug, Serialize)]
pub(crate) struct Owner {
    pub value: String,
    /// The metadata key read, e.g. `metadata.labels.team`.
    pub from: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReplicatedJobRecord {
    pub name: String,
    pub replicas: i32,
    /// After the Job API defaults, as the child Jobs have them.
    pub parallelism: i32,
    pub completions: i32,
    /// Pods that run at once: replicas × min(parallelism, completions).
    pub pods: u64,
    pub requests_per_pod: BTreeMap<String, String>,
    pub requests_total: BTreeMap<String, String>,
    pub accelerators_per_pod: BTreeMap<String, String>,
    pub accelerators_total: BTreeMap<String, String>,
}

/// The Jobs of one replicated job and attempt that ended with the same conditions (type,
/// reason, message): their shared labels and conditions once, and per Job only what differs.
#[derive(Debug, Serialize)]
pub(crate) struct JobGroup {
    pub replicated_job: String,
    pub restart_attempt: i32,
    /// The per-Job restart attempt under the RestartJob gate (`job-restart-attempt`); null
    /// without the gate.
    pub job_restart_attempt: Option<i32>,
    /// The labels every Job of the group carries with the same value.
    pub labels: StringMap,
    /// The label keys whose values differ between the group's Jobs (`job-index`,
    /// `job-key`, ...): each Job's `label_values` in this order.
    pub varying_labels: Vec<String>,
    /// The conditions every Job of the group has (times per Job in `condition_times_s`).
    pub conditions: Vec<GroupCondition>,
    pub jobs: Vec<JobRecord>,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord, Clone)]
pub(crate) struct GroupCondition {
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    pub message: String,
}

/// One Job of a group: what is its own.
#[derive(Debug, Serialize)]
pub(crate) struct JobRecord {
    pub name: String,
    pub job_index: u32,
    pub created_at_s: f64,
    /// When the Job object was gone (deleted by a restart or the JobSet's deletion); null if
    /// it still existed at the end.
    pub deleted_at_s: Option<f64>,
    /// Values of the group's `varying_labels`, in order; null where the Job lacks the label.
    pub label_values: Vec<Option<String>>,
    /// When each of the group's conditions was added, in order.
    pub condition_times_s: Vec<f64>,
}

use crate::metrics::count_pod;
pub(crate) use crate::metrics::PodsByFinalStatus;

#[derive(Debug, Serialize)]
pub(crate) struct Restarts {
    pub restarts: i32,
    pub restarts_count_towards_max: i32,
    pub job_restarts: i32,
    pub in_place_restarts: i32,
    pub max_restarts: i32,
    pub events: Vec<StatusEvent>,
}

/// One JobSet status-log row about a restart, in upstream's words.
#[derive(Debug, Serialize)]
pub(crate) struct StatusEvent {
    pub time_s: f64,
    /// `FailurePolicy` (the Event of the policy's action), `Condition` (RestartingJobSet) or
    /// `InPlaceRestart`.
    pub change: &'static str,
    pub condition: Option<String>,
    pub status: Option<&'static str>,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FailedSchedulingRecord {
    pub events: u64,
    pub pods: u64,
    pub reasons: Vec<ReasonCount>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReasonCount {
    pub reason: String,
    pub events: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Terminal {
    /// `Completed`, `Failed`, or null while still running at the end.
    pub state: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub finished_at_s: Option<f64>,
    pub conditions: Vec<FinalCondition>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FinalCondition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: &'static str,
    pub reason: String,
    pub message: String,
    pub last_transition_time_s: f64,
}

/// The record of the run.
pub(crate) fn build(sim: &Sim) -> Record {
    let jobs_by_jobset = group_jobs(sim);
    let pods_by_jobset = count_pods(sim);
    let rows_by_jobset = restart_rows(sim);
    let jobsets = sim
        .store
        .jobsets
        .iter()
        .enumerate()
        .map(|(id, js)| {
            let id = id as JsId;
            let parts = Parts {
                jobs: &jobs_by_jobset[id as usize],
                pods: &pods_by_jobset[id as usize],
                rows: &rows_by_jobset[id as usize],
            };
            jobset_record(sim, id, js, parts)
        })
        .collect();
    Record {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
        scenario: sim.scenario.name.clone(),
        scenario_hash: sim.scenario.hash.clone(),
        seed: sim.scenario.seed,
        jobset_controller_version: super::summary::jobset_version(sim),
        jobsets,
    }
}

/// `record.json`'s bytes.
pub(crate) fn json(sim: &Sim) -> Result<Vec<u8>, crate::error::SimError> {
    let mut text = serde_json::to_string_pretty(&build(sim))
        .map_err(|e| crate::error::SimError::Internal(format!("record.json: {e}")))?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// What one pass over the Jobs, pods and status log found for one JobSet.
struct Parts<'a> {
    jobs: &'a [JobId],
    pods: &'a PodsByFinalStatus,
    rows: &'a [&'a StatusRow],
}

fn jobset_record(sim: &Sim, id: JsId, js: &JobSetObj, parts: Parts) -> JobSetRecord {
    let spec = &js.spec.spec;
    JobSetRecord {
        name: js.name.clone(),
        namespace: js.namespace.clone(),
        uid: js.uid.clone(),
        api_version: js.spec.api_version.clone(),
        kind: js.spec.kind.clone(),
        owner: owner(&js.spec),
        submitted_at_s: to_secs(js.created_at_ns),
        manifest: manifest(&js.spec),
        replicated_jobs: spec
            .replicated_jobs
            .iter()
            .map(replicated_job_record)
            .collect(),
        job_groups: job_groups((parts.jobs.iter()).map(|&j| {
            let labels = sim.job_metadata(j).labels;
            (
                &sim.store.jobs[j as usize],
                labels,
                sim.rec.job_removed_ns(j),
            )
        })),
        pods: PodsByFinalStatus { ..*parts.pods },
        restarts: restarts(js, parts.rows),
        failed_scheduling: failed_scheduling(sim, id),
        queue_admission: super::kueue::queue_admission(sim, id),
        terminal: terminal(js, sim.rec.jobset_finished_ns(id)),
    }
}

/// The first of `OWNER_KEYS` the JobSet's metadata carries.
fn owner(js: &JobSet) -> Option<Owner> {
    OWNER_KEYS.iter().find_map(|&(map, key)| {
        let values = match map {
            "annotations" => &js.metadata.annotations,
            _ => &js.metadata.labels,
        };
        values.get(key).map(|v| Owner {
            value: v.clone(),
            from: format!("metadata.{map}.{key}"),
        })
    })
}

/// The admitted JobSet as JSON, nulls dropped: the manifest a reviewer compares with what was
/// submitted.
fn manifest(js: &JobSet) -> Value {
    let mut v = serde_json::to_value(js).unwrap_or(Value::Null);
    drop_nulls(&mut v);
    v
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn replicated_job_record(rj: &ReplicatedJob) -> ReplicatedJobRecord {
    let mut job_spec = rj.template.spec.clone();
    crate::api::defaults::default_job_spec(&mut job_spec);
    let parallelism = job_spec.parallelism.unwrap_or(1);
    let completions = job_spec.completions.unwrap_or(parallelism);
    let replicas = rj.replica_count();
    let pods = replicas.max(0) as u64 * parallelism.min(completions).max(0) as u64;
    let per_pod = crate::sim::shape::pod_requests(&rj.template.spec.template.spec);
    let accelerators: BTreeMap<String, i64> = per_pod
        .iter()
        .filter(|(name, _)| is_accelerator(name))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    ReplicatedJobRecord {
        name: rj.name.clone(),
        replicas,
        parallelism,
        completions,
        pods,
        requests_per_pod: quantities(&per_pod, 1),
        requests_total: quantities(&per_pod, pods),
        accelerators_per_pod: quantities(&accelerators, 1),
        accelerators_total: quantities(&accelerators, pods),
    }
}

/// An accelerator claim: an extended resource, `<vendor domain>/<name>` (`nvidia.com/gpu`,
/// `google.com/tpu`, `amd.com/gpu`, `aws.amazon.com/neuron`), outside the `kubernetes.io`
/// domains Kubernetes keeps for itself.
fn is_accelerator(resource: &str) -> bool {
    match resource.split_once('/') {
        Some((domain, _)) => domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io"),
        None => false,
    }
}

/// Milli-unit requests × `times`, written exactly as Kubernetes quantities.
fn quantities(milli: &BTreeMap<String, i64>, times: u64) -> BTreeMap<String, String> {
    milli
        .iter()
        .map(|(name, &m)| {
            let total = m as i128 * times as i128;
            (name.clone(), exact_quantity(name, total))
        })
        .collect()
}

/// Whole units (`8`), milli-units (`500m`), or for byte resources the largest binary suffix
/// that divides exactly (`16Gi`): never rounded.
fn exact_quantity(resource: &str, milli: i128) -> String {
    if milli % 1000 != 0 {
        return format!("{milli}m");
    }
    let units = milli / 1000;
    let bytes = resource == "memory"
        || resource.ends_with("ephemeral-storage")
        || resource.starts_with("hugepages-");
    if !bytes || units == 0 {
        return units.to_string();
    }
    let suffix = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        .iter()
        .enumerate()
        .rev()
        .find(|(k, _)| units % (1i128 << (10 * (k + 1))) == 0);
    match suffix {
        Some((k, s)) => format!("{}{s}", units >> (10 * (k + 1))),
        None => units.to_string(),
    }
}

/// The Jobs in creation order, grouped by replicated job, attempts and final conditions (in
/// the order of each group's first Job): recovery-65k's 8,192 Jobs are one group, not 8,192
/// copies of the same labels.
/// A Job, its labels and when its object was removed (the metrics recorder's note).
type LabelledJob<'a> = (&'a JobObj, StringMap, Option<SimTime>);

/// Each Job comes with its labels (`Sim::job_metadata`) and removal time.
fn job_groups<'a>(jobs: impl Iterator<Item = LabelledJob<'a>>) -> Vec<JobGroup> {
    type Key = (String, i32, Option<i32>, Vec<GroupCondition>);
    let mut order: Vec<Key> = vec![];
    let mut members: BTreeMap<Key, Vec<LabelledJob>> = BTreeMap::new();
    for (job, labels, removed_ns) in jobs {
        let key = (
            labels.get(REPLICATED_JOB_NAME).cloned().unwrap_or_default(),
            job.restart_attempt,
            labels.get(JOB_RESTART_ATTEMPT).and_then(|a| a.parse().ok()),
            job.conditions
                .iter()
                .map(|c| GroupCondition {
                    kind: c.kind.clone(),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                })
                .collect(),
        );
        let list = members.entry(key.clone()).or_default();
        if list.is_empty() {
            order.push(key);
        }
        list.push((job, labels, removed_ns));
    }
    order
        .into_iter()
        .map(|key| {
            let jobs = &members[&key];
            job_group(key.0, key.1, key.2, key.3, jobs)
        })
        .collect()
}

fn job_group(
    replicated_job: String,
    restart_attempt: i32,
    job_restart_attempt: Option<i32>,
    conditions: Vec<GroupCondition>,
    jobs: &[LabelledJob],
) -> JobGroup {
    // Shared: the first Job's labels that every other Job has with the same value.
    let labels: StringMap = jobs[0]
        .1
        .iter()
        .filter(|(k, v)| jobs.iter().all(|j| j.1.get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let varying: Vec<String> = jobs
        .iter()
        .flat_map(|j| j.1.keys())
        .filter(|k| !labels.contains_key(*k))
        .cloned()
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    let records = jobs
        .iter()
        .map(|(job, job_labels, removed_ns)| JobRecord {
            name: job.name.clone(),
            job_index: job_labels
                .get(JOB_INDEX)
                .and_then(|i| i.parse().ok())
                .unwrap_or(job.job_index),
            created_at_s: to_secs(job.created_at_ns),
            deleted_at_s: removed_ns.map(to_secs),
            label_values: varying.iter().map(|k| job_labels.get(k).cloned()).collect(),
            condition_times_s: job.conditions.iter().map(|c| to_secs(c.time_ns)).collect(),
        })
        .collect();
    JobGroup {
        replicated_job,
        restart_attempt,
        job_restart_attempt,
        labels,
        varying_labels: varying,
        conditions,
        jobs: records,
    }
}

/// Every Job ever created, by JobSet, in creation order: one pass over the Jobs.
fn group_jobs(sim: &Sim) -> Vec<Vec<JobId>> {
    let mut by_jobset = vec![vec![]; sim.store.jobsets.len()];
    for (j, job) in sim.store.jobs.iter().enumerate() {
        by_jobset[job.jobset as usize].push(j as JobId);
    }
    by_jobset
}

/// Every pod created, by JobSet and final status: the pods gone were counted as they went
/// (`Recorder::removed_pods`), the pods that exist at the end are counted here.
fn count_pods(sim: &Sim) -> Vec<PodsByFinalStatus> {
    let mut by_jobset: Vec<PodsByFinalStatus> = std::iter::repeat_with(Default::default)
        .take(sim.store.jobsets.len())
        .collect();
    for (counts, gone) in by_jobset.iter_mut().zip(&sim.rec.removed_pods) {
        counts.add(gone);
    }
    for p in sim.pods.iter().filter(|p| p.created && !p.removed) {
        count_pod(
            &mut by_jobset[sim.store.jobs[p.job as usize].jobset as usize],
            p,
        );
    }
    by_jobset
}

/// The JobSet status-log rows about restarts, by JobSet: one pass over the log.
fn restart_rows(sim: &Sim) -> Vec<Vec<&StatusRow>> {
    let mut by_jobset = vec![vec![]; sim.store.jobsets.len()];
    for row in &sim.rec.status_log.rows {
        let about_restart = match row.change {
            "FailurePolicy" | "InPlaceRestart" => true,
            "Condition" => row.condition == "RestartingJobSet",
            _ => false,
        };
        if let (true, Subject::JobSet(js)) = (about_restart, row.subject) {
            by_jobset[js as usize].push(row);
        }
    }
    by_jobset
}

fn restarts(js: &JobSetObj, rows: &[&StatusRow]) -> Restarts {
    let status = &js.status;
    Restarts {
        restarts: status.restarts,
        restarts_count_towards_max: status.restarts_count_towards_max,
        job_restarts: status
            .replicated_jobs
            .iter()
            .filter_map(|r| r.job_restarts.as_ref())
            .flatten()
            .sum(),
        in_place_restarts: status.current_in_place_restart_attempt.unwrap_or(0),
        max_restarts: js.spec.spec.max_restarts(),
        events: rows.iter().map(|r| status_event(r)).collect(),
    }
}

fn status_event(row: &StatusRow) -> StatusEvent {
    StatusEvent {
        time_s: to_secs(row.time_ns),
        change: row.change,
        condition: (!row.condition.is_empty()).then(|| row.condition.clone()),
        status: row.status.map(true_or_false),
        reason: row.reason.clone(),
        message: row.message.clone(),
    }
}

fn true_or_false(status: bool) -> &'static str {
    if status {
        "True"
    } else {
        "False"
    }
}

fn failed_scheduling(sim: &Sim, js: JsId) -> FailedSchedulingRecord {
    let f = sim.rec.failed_scheduling.of(js);
    FailedSchedulingRecord {
        events: f.attempts,
        pods: f.pods,
        reasons: f
            .attempts_by_reason
            .into_iter()
            .map(|(reason, events)| ReasonCount { reason, events })
            .collect(),
    }
}

fn terminal(js: &JobSetObj, finished_at_ns: Option<SimTime>) -> Terminal {
    let state = js.status.terminal_state.clone();
    let condition = state.as_deref().and_then(|t| js.status.condition(t));
    Terminal {
        reason: condition.map(|c| c.reason.clone()),
        message: condition.map(|c| c.message.clone()),
        state,
        finished_at_s: finished_at_ns.map(to_secs),
        conditions: js
            .status
            .conditions
            .iter()
            .map(|c| FinalCondition {
                kind: c.kind.clone(),
                status: true_or_false(c.status),
                reason: c.reason.clone(),
                message: c.message.clone(),
                last_transition_time_s: to_secs(c.last_transition_ns),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_exact() {
        assert_eq!(exact_quantity("memory", 16 * (1 << 30) * 1000), "16Gi");
        assert_eq!(exact_quantity("memory", 1_000_000_000 * 1000), "1000000000");
        assert_eq!(exact_quantity("cpu", 500), "500m");
        assert_eq!(exact_quantity("cpu", 4000), "4");
        assert_eq!(exact_quantity("nvidia.com/gpu", 8000 * 2048), "16384");
        assert_eq!(exact_quantity("memory", 0), "0");
    }

    #[test]
    fn accelerators_are_vendor_extended_resources() {
        assert!(is_accelerator("nvidia.com/gpu"));
        assert!(is_accelerator("google.com/tpu"));
        assert!(!is_accelerator("cpu"));
        assert!(!is_accelerator("hugepages-2Mi"));
        assert!(!is_accelerator("kubernetes.io/batch-cpu"));
        assert!(!is_accelerator("example.kubernetes.io/thing"));
    }

    /// The pod counts and the scheduling latencies gathered as pods bind and go are those of
    /// a walk over every pod ever created at the end (the arena still keeps every pod here):
    /// runs with restarts, node faults, unschedulable pods and pods left at the end.
    #[test]
    fn pods_counted_as_they_go_are_the_pods_walked_at_the_end() {
        // Walks removed pods after the run.
        crate::sim::pod_store::keep_every_slot_in_this_test();
        let mut removed_some = false;
        for (path, seed) in [
            ("scenarios/policies/restart-jobset.yaml", 1),
            ("scenarios/policies/in-place-restart.yaml", 2),
            ("scenarios/stalled-recovery.yaml", 3),
            ("scenarios/policies/recreate.yaml", 4),
        ] {
            let mut s = crate::scenario::load_scenario(std::path::Path::new(path)).unwrap();
            s.seed = seed;
            let sim = crate::tests::common::simulate_scenario(s);
            let mut walked: Vec<PodsByFinalStatus> = std::iter::repeat_with(Default::default)
                .take(sim.store.jobsets.len())
                .collect();
            let mut latency = crate::metrics::SchedulingLatency::default();
            for p in &sim.pods {
                if p.created {
                    count_pod(
                        &mut walked[sim.store.jobs[p.job as usize].jobset as usize],
                        p,
                    );
                }
                if let Some(b) = p.bound_at_ns.get() {
                    latency.add_pod(p.created_at_ns, b);
                }
            }
            removed_some |= sim.rec.removed_pods.iter().any(|c| c.created > 0);
            assert_eq!(count_pods(&sim), walked, "{path}");
            let dist = crate::report::distributions::scheduling_latency;
            assert_eq!(dist(&latency), dist(&sim.rec.scheduling_latency), "{path}");
        }
        assert!(removed_some, "the restarts remove pods");
    }

    #[test]
    fn nulls_are_dropped_at_every_depth() {
        let mut v = serde_json::json!({"a": null, "b": [{"c": null, "d": 1}], "e": {"f": null}});
        drop_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"b": [{"d": 1}], "e": {}}));
    }
}

//! The `kueue` section of `summary.json` (docs/metrics.md, "Kueue"): per Workload, how long it
//! queued, when it was admitted and when its pods were all ready, its evictions; per
//! ClusterQueue, what it holds and what waits at the end. Absent from runs without Kueue.

use crate::engine::time::to_secs;
use crate::kueue::controller::KueueController;
use crate::kueue::model::Model;
use crate::kueue::quota::FrId;
use crate::kueue::workload::{EvictionRecord, WlState};
use crate::metrics::kueue::CqSample;
use crate::report::timeline_svg::{QueueEviction, QueuePanel};
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct KueueSummary {
    /// Admission cycles the loop ran.
    pub admission_cycles: u64,
    pub workloads: Vec<WorkloadSummary>,
    pub cluster_queues: Vec<ClusterQueueSummary>,
    pub local_queues: Vec<LocalQueueSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct LocalQueueSummary {
    pub namespace: String,
    pub name: String,
    /// The ClusterQueue it names (which may not exist).
    pub cluster_queue: String,
    /// Workloads submitted through it.
    pub workloads: u64,
    pub admitted_workloads: u64,
    /// Workloads still waiting for quota at the end (not deactivated).
    pub pending_at_end: u64,
    /// Created → first admitted, mean and maximum over its Workloads admitted at least once;
    /// null when none was.
    pub queued_s_mean: Option<f64>,
    pub queued_s_max: Option<f64>,
    /// Only when its ClusterQueue orders by admission fair sharing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_fair_sharing: Option<LqFairSharing>,
}

/// A LocalQueue's admission-fair-sharing ledger entry (`status.fairSharing.
/// admissionFairSharingStatus` and the scheduler's entry penalties).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct LqFairSharing {
    /// `spec.fairSharing.weight`.
    pub weight: f64,
    /// `consumedResources` as of `last_update_s`, per resource name, in its units.
    pub consumed_resources_at_end: BTreeMap<String, f64>,
    pub last_update_s: f64,
    /// Entry penalties not settled at the end (Workloads holding quota, not yet admitted).
    pub pending_penalty_at_end: BTreeMap<String, f64>,
    /// What its Workloads are ordered by: Σ resource weight × (consumed + penalty) / weight;
    /// null for a weight of 0 (+∞, last).
    pub fair_sharing_usage_at_end: Option<f64>,
    /// After each change of the entry.
    pub series: Vec<LqPoint>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct LqPoint {
    pub time_s: f64,
    pub consumed_resources: BTreeMap<String, f64>,
    pub pending_penalty: BTreeMap<String, f64>,
    pub fair_sharing_usage: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct WorkloadSummary {
    /// The JobSet the Workload stands for.
    pub jobset: String,
    pub namespace: String,
    pub local_queue: String,
    /// Null when the LocalQueue or its ClusterQueue does not exist.
    pub cluster_queue: Option<String>,
    pub priority: i32,
    /// `pending`, `quota_reserved` (waiting for admission checks), `admitted`, `evicting`,
    /// `backing_off` or `finished` at the end.
    pub state: &'static str,
    pub created_at_s: f64,
    /// First admission (quota reserved and admitted in one write, unless the ClusterQueue
    /// has admission checks).
    pub admitted_at_s: Option<f64>,
    /// Only in a ClusterQueue with admission checks: the first quota reservation, and from
    /// it to the first admission (the admission-check wait; null if never admitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_reserved_at_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_check_wait_s: Option<Option<f64>>,
    /// Created → first admitted; null if never admitted.
    pub queued_s: Option<f64>,
    /// First time every replicated job's Jobs were ready (Kueue's PodsReady).
    pub pods_ready_at_s: Option<f64>,
    /// First admitted → pods ready.
    pub admitted_to_pods_ready_s: Option<f64>,
    pub finished_at_s: Option<f64>,
    pub evictions: Vec<Eviction>,
    /// `status.reclaimablePods` at the end: per PodSet (replicated job), the pods of its
    /// succeeded Jobs whose quota was given back; absent when none.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub reclaimable_pods: std::collections::BTreeMap<String, u32>,
    /// While pending: `QuotaReserved=False`'s reason and message as Kueue writes them.
    pub pending_reason: Option<String>,
    pub pending_message: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Eviction {
    pub time_s: f64,
    pub reason: &'static str,
    /// For `Preempted`: `InClusterQueue`, `InCohortReclamation`,
    /// `InCohortReclaimWhileBorrowing` or `InCohortFairSharing`; null otherwise.
    pub preempted_reason: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ClusterQueueSummary {
    pub name: String,
    /// Null when active, else the reason (`Stopped`, `FlavorNotFound`, `CohortCycle`).
    pub inactive_reason: Option<String>,
    pub admitted_workloads: u64,
    pub pending_at_end: usize,
    /// Quota in use at the end per `flavor/resource`, in the resource's units.
    pub usage_at_end: std::collections::BTreeMap<String, f64>,
    /// The most Workloads pending at once.
    pub peak_pending: u32,
    /// The most quota in use, and borrowed above the nominal quota, at once, per
    /// `flavor/resource`.
    pub peak_usage: std::collections::BTreeMap<String, f64>,
    pub peak_borrowed: std::collections::BTreeMap<String, f64>,
    /// After each change of the queue: its pending and admitted Workloads, quota in use and
    /// borrowed.
    pub series: Vec<CqPoint>,
    /// With fair sharing on, status `fairSharing.weightedShare` at the end: the dominant
    /// resource's borrowed share (thousandths of what the cohort could lend) over the
    /// queue's weight, rounded up; 9223372036854775807 for a zero weight that borrows.
    /// Absent without fair sharing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted_share: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct CqPoint {
    pub time_s: f64,
    pub pending: u32,
    pub admitted: u32,
    pub usage: std::collections::BTreeMap<String, f64>,
    pub borrowed: std::collections::BTreeMap<String, f64>,
}

/// `flavor/resource` → value in the resource's units.
fn by_label(labels: &[String], milli: &[i64]) -> std::collections::BTreeMap<String, f64> {
    (labels.iter().zip(milli))
        .map(|(l, &v)| (l.clone(), v as f64 / 1000.0))
        .collect()
}

pub(crate) fn build(sim: &Sim) -> Option<KueueSummary> {
    let k: &KueueController = &sim.kueue;
    if !k.enabled() {
        return None;
    }
    let workloads = k
        .workloads()
        .iter()
        .map(|w| workload_summary(sim, w))
        .collect();
    let cluster_queues = cluster_queues(k, &sim.rec.kueue);
    let local_queues = local_queues(sim);
    Some(KueueSummary {
        admission_cycles: k.cycles,
        workloads,
        cluster_queues,
        local_queues,
    })
}

/// `record.json`'s `queue_admission` of JobSet `js`: its Workload as the summary lists it, or
/// null when Kueue does not manage it.
pub(crate) fn queue_admission(
    sim: &Sim,
    js: crate::sim::objects::JsId,
) -> Option<serde_json::Value> {
    let k: &KueueController = &sim.kueue;
    let w = k.workloads().iter().find(|w| w.js == js)?;
    serde_json::to_value(workload_summary(sim, w)).ok()
}

fn workload_summary(sim: &Sim, w: &crate::kueue::workload::Workload) -> WorkloadSummary {
    let model = sim.kueue.model();
    let since = |a: Option<u64>, b: Option<u64>| Some(to_secs(b?.checked_sub(a?)?));
    let pending = w.state == WlState::Pending;
    WorkloadSummary {
        jobset: sim.store.jobsets[w.js as usize].name.clone(),
        namespace: w.namespace.clone(),
        local_queue: w.queue_name.clone(),
        cluster_queue: w.cq.map(|c| model.cluster_queues[c].name.clone()),
        priority: w.priority,
        state: match w.state {
            WlState::Pending => "pending",
            WlState::Reserved => "quota_reserved",
            WlState::Admitted => "admitted",
            WlState::Evicting => "evicting",
            WlState::BackingOff => "backing_off",
            WlState::Finished => "finished",
        },
        created_at_s: to_secs(w.created_ns),
        admitted_at_s: w.first_admitted_ns.map(to_secs),
        quota_reserved_at_s: w.first_reserved_ns.map(to_secs),
        admission_check_wait_s: (w.first_reserved_ns.is_some())
            .then(|| since(w.first_reserved_ns, w.first_admitted_ns)),
        queued_s: since(Some(w.created_ns), w.first_admitted_ns),
        pods_ready_at_s: w.first_pods_ready_ns.map(to_secs),
        admitted_to_pods_ready_s: since(w.first_admitted_ns, w.first_pods_ready_ns),
        finished_at_s: w.finished_ns.map(to_secs),
        evictions: (w.evictions.iter())
            .map(|e| Eviction {
                time_s: to_secs(e.at_ns),
                reason: e.reason,
                preempted_reason: e.preempted_reason,
            })
            .collect(),
        reclaimable_pods: (w.podsets.iter().zip(&w.reclaimable))
            .filter(|(_, &r)| r > 0)
            .map(|(ps, &r)| (ps.name.clone(), r))
            .collect(),
        pending_reason: pending.then(|| w.pending_reason.0.to_string()),
        pending_message: pending.then(|| w.pending_reason.1.clone()),
    }
}

fn cluster_queues(
    k: &KueueController,
    series: &crate::metrics::kueue::KueueSeries,
) -> Vec<ClusterQueueSummary> {
    let model = k.model();
    let shares = crate::kueue::fair::weighted_shares(model);
    (model.cluster_queues.iter().enumerate())
        .map(|(i, cq)| {
            let admitted = (k.workloads().iter())
                .filter(|w| w.cq == Some(i) && w.first_admitted_ns.is_some())
                .count() as u64;
            let mut usage_at_end = std::collections::BTreeMap::new();
            for g in &cq.groups {
                for &f in &g.flavors {
                    for &r in &g.resources {
                        if let Some(fr) = model.fr(f, r) {
                            let used = model.tree.usage(cq.node, fr);
                            let key = format!("{}/{}", model.flavors[f].name, model.resources[r]);
                            usage_at_end.insert(key, used as f64 / 1000.0);
                        }
                    }
                }
            }
            let labels: Vec<String> = model.frs_of(i).into_iter().map(|(_, l)| l).collect();
            let samples = series.of(i);
            let peak = |pick: fn(&crate::metrics::kueue::CqSample) -> &Vec<i64>| {
                let most: Vec<i64> = (0..labels.len())
                    .map(|j| samples.iter().map(|s| pick(s)[j]).max().unwrap_or(0))
                    .collect();
                by_label(&labels, &most)
            };
            ClusterQueueSummary {
                name: cq.name.clone(),
                inactive_reason: cq.inactive.clone(),
                admitted_workloads: admitted,
                pending_at_end: k.pending_in(i),
                usage_at_end,
                peak_pending: samples.iter().map(|s| s.pending).max().unwrap_or(0),
                peak_usage: peak(|s| &s.usage),
                peak_borrowed: peak(|s| &s.borrowed),
                series: (samples.iter())
                    .map(|s| CqPoint {
                        time_s: to_secs(s.at_ns),
                        pending: s.pending,
                        admitted: s.admitted,
                        usage: by_label(&labels, &s.usage),
                        borrowed: by_label(&labels, &s.borrowed),
                    })
                    .collect(),
                weighted_share: shares.as_ref().map(|s| s[i]),
            }
        })
        .collect()
}

/// Every LocalQueue, in the order the objects were read.
fn local_queues(sim: &Sim) -> Vec<LocalQueueSummary> {
    let k: &KueueController = &sim.kueue;
    let Some(setup) = sim.scenario.kueue.as_ref() else {
        return vec![];
    };
    (setup.local_queues.iter().enumerate())
        .map(|(i, lq)| {
            let mine: Vec<_> = (k.workloads().iter())
                .filter(|w| w.namespace == lq.namespace && w.queue_name == lq.name)
                .collect();
            let queued: Vec<f64> = (mine.iter())
                .filter_map(|w| Some(to_secs(w.first_admitted_ns? - w.created_ns)))
                .collect();
            let waiting = |w: &&&crate::kueue::workload::Workload| {
                w.state == WlState::Pending && !w.deactivated
            };
            LocalQueueSummary {
                namespace: lq.namespace.clone(),
                name: lq.name.clone(),
                cluster_queue: lq.cluster_queue.clone(),
                workloads: mine.len() as u64,
                admitted_workloads: queued.len() as u64,
                pending_at_end: mine.iter().filter(waiting).count() as u64,
                queued_s_mean: (!queued.is_empty())
                    .then(|| queued.iter().sum::<f64>() / queued.len() as f64),
                queued_s_max: queued.iter().copied().reduce(f64::max),
                admission_fair_sharing: lq_fair_sharing(sim, i),
            }
        })
        .collect()
}

fn lq_fair_sharing(sim: &Sim, lq: usize) -> Option<LqFairSharing> {
    let k: &KueueController = &sim.kueue;
    let (entry, weight, score) = k.afs_ledger_entry(lq)?;
    let listed = |v: &[(String, f64)]| v.iter().cloned().collect::<BTreeMap<_, _>>();
    let series: Vec<LqPoint> = (sim.rec.kueue.of_lq(lq).iter())
        .map(|s| LqPoint {
            time_s: to_secs(s.at_ns),
            consumed_resources: listed(&s.consumed),
            pending_penalty: listed(&s.pending_penalty),
            fair_sharing_usage: s.score,
        })
        .collect();
    Some(LqFairSharing {
        weight,
        consumed_resources_at_end: entry.consumed.clone(),
        last_update_s: to_secs(entry.last_update_ns),
        pending_penalty_at_end: entry.pending_penalty(),
        fair_sharing_usage_at_end: score.is_finite().then_some(score),
        series,
    })
}

/// timeline.svg's Kueue panels: for each ClusterQueue, then each cohort with two or more
/// ClusterQueues in its subtree (those queues summed), one panel per (flavor, resource) pair
/// it used or holds quota of, the pair used most first (`shown`); none without Kueue.
pub(crate) fn queue_panels(sim: &Sim) -> Vec<QueuePanel> {
    if !sim.kueue.enabled() {
        return vec![];
    }
    let model = sim.kueue.model();
    let mut panels = vec![];
    for i in 0..model.cluster_queues.len() {
        panels.extend(cluster_queue_panels(sim, i));
    }
    for (node, members) in cohort_subtrees(model).iter().filter(|(_, m)| m.len() >= 2) {
        panels.extend(cohort_panels(sim, *node, members));
    }
    panels
}

/// Cohort (tree node) → the ClusterQueues of its whole subtree (a parent cohort sums its
/// child cohorts' queues too), cohorts in the order met going up from each queue.
fn cohort_subtrees(model: &Model) -> Vec<(usize, Vec<usize>)> {
    let mut cohorts: Vec<(usize, Vec<usize>)> = vec![];
    for (i, cq) in model.cluster_queues.iter().enumerate() {
        let mut up = model.tree.parent(cq.node);
        while let Some(p) = up {
            match cohorts.iter_mut().find(|(n, _)| *n == p) {
                Some((_, members)) => members.push(i),
                None => cohorts.push((p, vec![i])),
            }
            up = model.tree.parent(p);
        }
    }
    cohorts
}

/// The evictions of Workloads of `cqs` that held quota of `fr` (all of them for a record
/// without its flavors), in time order.
fn queue_evictions(sim: &Sim, cqs: &[usize], fr: FrId) -> Vec<QueueEviction> {
    let mut v: Vec<QueueEviction> = (sim.kueue.workloads().iter())
        .filter(|w| w.cq.is_some_and(|c| cqs.contains(&c)))
        .flat_map(|w| {
            let js = &sim.store.jobsets[w.js as usize].name;
            let held = move |e: &&EvictionRecord| e.frs.is_empty() || e.frs.contains(&fr);
            w.evictions.iter().filter(held).map(move |e| {
                let full = match e.preempted_reason {
                    Some(p) => format!("{} ({p})", e.reason),
                    None => e.reason.to_string(),
                };
                QueueEviction {
                    t_s: to_secs(e.at_ns),
                    reason: e.preempted_reason.unwrap_or(e.reason).to_string(),
                    label: format!(
                        "{}: {js} evicted, {full}",
                        crate::engine::time::format_duration(e.at_ns)
                    ),
                }
            })
        })
        .collect();
    v.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    v
}

/// A ClusterQueue's panel title, with its cohort as the scenario names it.
fn cluster_queue_title(sim: &Sim, name: &str) -> String {
    let cohort = (sim.scenario.kueue.as_ref())
        .and_then(|specs| specs.cluster_queues.iter().find(|c| c.name == name))
        .and_then(|c| c.cohort.clone());
    match cohort {
        Some(c) => format!("ClusterQueue {name} (cohort {c})"),
        None => format!("ClusterQueue {name}"),
    }
}

/// The panels of ClusterQueue `i`: quota in use, borrowed and Workloads pending per pair shown.
fn cluster_queue_panels(sim: &Sim, i: usize) -> Vec<QueuePanel> {
    let model = sim.kueue.model();
    let cq = &model.cluster_queues[i];
    let end_s = to_secs(sim.ended_at_ns.unwrap_or(sim.now()));
    let frs = model.frs_of(i);
    let samples = sim.rec.kueue.of(i);
    let peak = |j: usize| samples.iter().map(|s| s.usage[j]).max().unwrap_or(0);
    let nominal = |j: usize| model.tree.quota(cq.node, frs[j].0).nominal;
    let title = cluster_queue_title(sim, &cq.name);
    let pts = |f: &dyn Fn(&CqSample) -> f64| steps(samples.iter().map(|s| (s.at_ns, f(s))), end_s);
    (shown(frs.len(), |j| (peak(j), nominal(j))).into_iter())
        .map(|j| QueuePanel {
            key: format!("kueue.cq.{}", cq.name),
            title: title.clone(),
            resource: frs[j].1.clone(),
            quota: nominal(j) as f64 / 1000.0,
            quota_label: "nominal",
            usage: pts(&|s| s.usage[j] as f64 / 1000.0),
            borrowed: Some(pts(&|s| s.borrowed[j] as f64 / 1000.0)),
            pending: pts(&|s| f64::from(s.pending)),
            evictions: queue_evictions(sim, &[i], frs[j].0),
        })
        .collect()
}

/// The (flavor, resource) pairs of `members`, first met first, and the index of each in
/// every member's own list.
type MemberFrs = (Vec<(FrId, String)>, Vec<Vec<Option<usize>>>);

/// The pairs of a cohort's member queues (see `MemberFrs`).
fn member_frs(model: &Model, members: &[usize]) -> MemberFrs {
    let mut frs: Vec<(FrId, String)> = vec![];
    for &m in members {
        for (fr, label) in model.frs_of(m) {
            if !frs.iter().any(|(f, _)| *f == fr) {
                frs.push((fr, label));
            }
        }
    }
    let index_in: Vec<Vec<Option<usize>>> = (members.iter())
        .map(|&m| {
            let own = model.frs_of(m);
            (frs.iter())
                .map(|(fr, _)| own.iter().position(|(f, _)| f == fr))
                .collect()
        })
        .collect();
    (frs, index_in)
}

/// The panels of cohort `node`, its subtree's queues `members` summed, per pair shown.
fn cohort_panels(sim: &Sim, node: usize, members: &[usize]) -> Vec<QueuePanel> {
    let model = sim.kueue.model();
    let end_s = to_secs(sim.ended_at_ns.unwrap_or(sim.now()));
    let (frs, index_in) = member_frs(model, members);
    let merged = merge_members(members, &index_in, &sim.rec.kueue, frs.len());
    let peak = |j: usize| merged.iter().map(|(_, _, u)| u[j]).max().unwrap_or(0);
    let quota = |j: usize| model.tree.subtree_quota(node, frs[j].0);
    let name = (model.cohorts.iter())
        .find(|(n, _)| *n == node)
        .map_or_else(|| "(unnamed)".into(), |(_, name)| name.clone());
    let names: Vec<&str> = (members.iter())
        .map(|&m| model.cluster_queues[m].name.as_str())
        .collect();
    (shown(frs.len(), |j| (peak(j), quota(j))).into_iter())
        .map(|j| QueuePanel {
            key: format!("kueue.cohort.{name}"),
            title: format!("Cohort {name} ({})", names.join(" + ")),
            resource: frs[j].1.clone(),
            quota: quota(j) as f64 / 1000.0,
            quota_label: "cohort quota",
            usage: steps(
                merged.iter().map(|(t, _, u)| (*t, u[j] as f64 / 1000.0)),
                end_s,
            ),
            borrowed: None,
            pending: steps(merged.iter().map(|(t, p, _)| (*t, f64::from(*p))), end_s),
            evictions: queue_evictions(sim, members, frs[j].0),
        })
        .collect()
}

/// The (flavor, resource) pairs a queue's panels show: every pair it used or holds quota of,
/// the largest (peak in use, quota) first, the first in the queue's resource groups among
/// equals; with none used and no quota, the first pair alone; none for none.
fn shown(n: usize, key: impl Fn(usize) -> (i64, i64)) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).filter(|&j| key(j) > (0, 0)).collect();
    v.sort_by(|&a, &b| key(b).cmp(&key(a)).then(a.cmp(&b)));
    if v.is_empty() && n > 0 {
        v.push(0);
    }
    v
}

/// A queue's samples as a step line over the run: from zero at time 0 (before its first
/// change the queue held nothing) to the run's end at its last value.
fn steps(samples: impl Iterator<Item = (u64, f64)>, end_s: f64) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = samples.map(|(t, x)| (to_secs(t), x)).collect();
    if v.first().is_none_or(|p| p.0 > 0.0) {
        v.insert(0, (0.0, 0.0));
    }
    let last = v[v.len() - 1];
    if last.0 < end_s {
        v.push((end_s, last.1));
    }
    v
}

/// The members' samples summed at every instant one of them changed: (time, pending, in use
/// per FR of `index_in`'s columns).
fn merge_members(
    members: &[usize],
    index_in: &[Vec<Option<usize>>],
    series: &crate::metrics::kueue::KueueSeries,
    frs: usize,
) -> Vec<(u64, u32, Vec<i64>)> {
    let mut times: Vec<u64> = (members.iter())
        .flat_map(|&m| series.of(m).iter().map(|s| s.at_ns))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut next = vec![0usize; members.len()];
    let mut out = Vec::with_capacity(times.len());
    for t in times {
        let (mut pending, mut usage) = (0u32, vec![0i64; frs]);
        for (k, &m) in members.iter().enumerate() {
            let s = series.of(m);
            while next[k] < s.len() && s[next[k]].at_ns <= t {
                next[k] += 1;
            }
            let Some(last) = next[k].checked_sub(1).map(|i| &s[i]) else {
                continue;
            };
            pending += last.pending;
            for (j, ix) in index_in[k].iter().enumerate() {
                if let Some(ix) = ix {
                    usage[j] += last.usage[*ix];
                }
            }
        }
        out.push((t, pending, usage));
    }
    out
}

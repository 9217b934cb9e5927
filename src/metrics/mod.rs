//! What a run observes: one row per pod state change (for `events.csv`) and the counters the
//! summary reports. Rows hold ids; names are resolved once, when the report is written.

pub mod timeline;

use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::sim::objects::PodId;
use crate::sim::Sim;

#[derive(Debug, Clone)]
pub struct PodEventRow {
    pub time_ns: SimTime,
    pub pod: PodId,
    pub node: Option<NodeId>,
    pub state: &'static str,
    pub reason: String,
}

/// A global JobSet restart, as the failure policy decided it.
#[derive(Debug, Clone)]
pub struct RestartRecord {
    pub jobset: crate::sim::objects::JsId,
    /// The new attempt (`status.restarts` after the restart).
    pub attempt: i32,
    /// The container failure that started it all.
    pub failed_at_ns: SimTime,
    /// When the JobSet controller applied the restart.
    pub decided_at_ns: SimTime,
}

#[derive(Debug, Default, Clone)]
pub struct AttemptTimes {
    pub created: Vec<SimTime>,
    pub scheduled: Vec<SimTime>,
    pub running: Vec<SimTime>,
}

/// The key of a (JobSet, restart attempt) in `Recorder::attempt_times`: one word, which the
/// sequence hasher mixes with one multiplication.
pub fn attempt_key(js: crate::sim::objects::JsId, attempt: i32) -> u64 {
    (js as u64) << 32 | attempt as u32 as u64
}

#[derive(Debug, Default)]
pub struct Recorder {
    pub rows: Vec<PodEventRow>,
    pub restarts: Vec<RestartRecord>,
    pub pods_created: u64,
    pub pods_scheduled: u64,
    pub pods_succeeded: u64,
    pub pods_failed: u64,
    pub jobs_created: u64,
    /// JobSet reconciles run.
    pub jobset_reconciles: u64,
    /// Pod creates denied by the JobSet validating webhook (followers before their leader).
    pub pod_creates_rejected: u64,
    /// Nodes taken out of the pool by a fault: (time, node).
    pub node_failures: Vec<(SimTime, NodeId)>,
    /// Nodes back from repair or maintenance: (time, node).
    pub node_repairs: Vec<(SimTime, NodeId)>,
    /// Pod-level faults that hit a running pod (pod injectors, software faults on a node).
    pub pod_faults: Vec<SimTime>,
    /// Keep every row (for events.csv). Off, only the counters and the recovery times are kept.
    pub record_rows: bool,
    /// Per (JobSet, restart attempt) with a restart record: when each pod of the attempt was
    /// first created, bound and running.
    /// Keyed by `attempt_key` (hashed: looked up on three state changes of every pod; read
    /// by key only).
    pub attempt_times:
        std::collections::HashMap<u64, AttemptTimes, crate::engine::queue::BuildSeqHasher>,
    /// Pods that exist now in phase Pending (bound or not) and Running: kept as pods change
    /// phase, so the timeline never scans every pod.
    pub pods_pending_now: u64,
    pub pods_running_now: u64,
}

impl Sim {
    /// Moves a pod to another phase, keeping the live counts.
    pub(crate) fn set_phase(&mut self, pod: PodId, phase: crate::sim::objects::PodPhase) {
        use crate::sim::objects::PodPhase;
        let p = &self.pods[pod as usize];
        if p.created && !p.removed {
            match p.phase {
                PodPhase::Pending => self.rec.pods_pending_now -= 1,
                PodPhase::Running => self.rec.pods_running_now -= 1,
                _ => {}
            }
            match phase {
                PodPhase::Pending => self.rec.pods_pending_now += 1,
                PodPhase::Running => self.rec.pods_running_now += 1,
                _ => {}
            }
        }
        self.change_pod(pod, |p| p.phase = phase);
    }

    /// Applies a change to a pod and keeps its Job's live counts (`JobObj::live`) in step:
    /// every change to a pod's phase, readiness, requested or actual deletion, or removal goes
    /// through here.
    pub(crate) fn change_pod(
        &mut self,
        pod: PodId,
        f: impl FnOnce(&mut crate::sim::objects::PodObj),
    ) {
        use crate::sim::objects::LiveCounts;
        let p = &mut self.pods[pod as usize];
        let before = LiveCounts::of(p);
        f(p);
        let after = LiveCounts::of(p);
        if before != after {
            let live = &mut self.jobs[p.job as usize].live;
            live.sub(before);
            live.add(after);
        }
    }

    /// Records a pod state change at the current time (the reason is copied only when rows
    /// are kept).
    pub(crate) fn record(&mut self, pod: PodId, state: &'static str, reason: &str) {
        // The first time a pod of a restarted attempt is created, bound, running: for the
        // recovery report, kept as the run goes so it needs no stored rows.
        let bit = match state {
            "Created" => 1,
            "Scheduled" => 2,
            "Running" => 4,
            _ => 0,
        };
        let now = self.now();
        if bit != 0 && self.pods[pod as usize].seen_states & bit == 0 {
            self.pods[pod as usize].seen_states |= bit;
            let job = &self.jobs[self.pods[pod as usize].job as usize];
            if let Some(t) = self
                .rec
                .attempt_times
                .get_mut(&attempt_key(job.jobset, job.restart_attempt))
            {
                match bit {
                    1 => t.created.push(now),
                    2 => t.scheduled.push(now),
                    _ => t.running.push(now),
                }
            }
        }
        if !self.rec.record_rows {
            return;
        }
        let node = self.pods[pod as usize].node;
        self.rec.rows.push(PodEventRow {
            time_ns: self.now(),
            pod,
            node,
            state,
            reason: reason.to_string(),
        });
    }
}

//! One ClusterQueue's pending Workloads (`pkg/cache/queue/cluster_queue.go`): the active heap
//! in admission order, the inadmissible (parked) set, and the equivalence hashes parked in
//! bulk (kueue-semantics §4).

use super::model::Strategy;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) type WlId = u32;

/// A Workload's place in its queue (§4.2): higher priority first, then the earlier
/// queue-order timestamp, then the UID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct QueueKey {
    pub priority: Reverse<i32>,
    pub timestamp_ns: u64,
    pub uid: String,
    pub wl: WlId,
}

/// Why a head was not admitted (the requeue reasons of §4.3 the simulator produces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequeueReason {
    NamespaceMismatch,
    NoFit,
    PreemptionNoCandidates,
    FailedAfterNomination,
    /// Preemptions issued for it: back at once, and under BestEffortFIFO the sticky head.
    PendingPreemption,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CqQueue {
    active: BTreeSet<QueueKey>,
    parked: BTreeMap<WlId, QueueKey>,
    /// Equivalence hashes of heads parked with NoFit or PreemptionNoCandidates (§4.5):
    /// Workloads with one of them go straight to the parked set until the next trigger.
    parked_hashes: BTreeSet<u64>,
    /// The sticky preemptor (§4.6, BestEffortFIFO): first until admitted or gone.
    sticky: Option<QueueKey>,
}

impl CqQueue {
    /// A new or updated pending Workload (§4.1).
    pub(crate) fn push(&mut self, key: QueueKey, hash: u64, strategy: Strategy) {
        if strategy == Strategy::BestEffortFifo && self.parked_hashes.contains(&hash) {
            self.parked.insert(key.wl, key);
        } else {
            self.active.insert(key);
        }
    }

    /// The head: the first Workload of the active heap, taken out for the cycle.
    pub(crate) fn pop_head(&mut self) -> Option<QueueKey> {
        if let Some(k) = self.sticky.take() {
            if self.active.remove(&k) {
                return Some(k);
            }
        }
        self.active.pop_first()
    }

    /// The Workload `pop_head` would take, without taking it.
    pub(crate) fn peek_head(&self) -> Option<WlId> {
        if let Some(k) = self.sticky.as_ref().filter(|k| self.active.contains(k)) {
            return Some(k.wl);
        }
        self.active.first().map(|k| k.wl)
    }

    /// The head under admission fair sharing (§8, `queueOrderingFunc`): the Workload of the
    /// LocalQueue with the lowest `score`, then the usual order (the sticky preemptor first,
    /// priority, timestamp, UID). Kueue rebuilds its heap whenever a penalty is pending; this
    /// scans the active Workloads, O(pending) per head, paid only by such ClusterQueues.
    fn afs_head(&self, score: &dyn Fn(WlId) -> f64) -> Option<&QueueKey> {
        let sticky = self.sticky.as_ref().map(|k| k.wl);
        (self.active.iter()).min_by(|a, b| {
            (score(a.wl).total_cmp(&score(b.wl)))
                .then_with(|| (sticky != Some(a.wl)).cmp(&(sticky != Some(b.wl))))
                .then_with(|| a.cmp(b))
        })
    }

    /// `pop_head`, or under admission fair sharing (`score`: each Workload's LocalQueue
    /// score) the head `afs_head` picks.
    pub(crate) fn pop_head_by(&mut self, score: Option<&dyn Fn(WlId) -> f64>) -> Option<QueueKey> {
        let Some(score) = score else {
            return self.pop_head();
        };
        let head = self.afs_head(score)?.clone();
        if self.sticky.as_ref().is_some_and(|k| k.wl == head.wl) {
            self.sticky = None;
        }
        self.active.remove(&head);
        Some(head)
    }

    /// `peek_head`, or under admission fair sharing the head `afs_head` picks.
    pub(crate) fn peek_head_by(&self, score: Option<&dyn Fn(WlId) -> f64>) -> Option<WlId> {
        match score {
            None => self.peek_head(),
            Some(score) => self.afs_head(score).map(|k| k.wl),
        }
    }

    pub(crate) fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    pub(crate) fn pending(&self) -> usize {
        self.active.len() + self.parked.len()
    }

    /// A head that was not admitted goes back (§4.3): immediately to the active heap, or
    /// parked until a requeue trigger. `scan_left`: its flavor scan has flavors left to try.
    /// Under BestEffortFIFO a head parked for NoFit or PreemptionNoCandidates parks every
    /// active Workload with the same equivalence hash (`hashes`: each active Workload's).
    pub(crate) fn requeue(
        &mut self,
        key: QueueKey,
        reason: RequeueReason,
        strategy: Strategy,
        scan_left: bool,
        hash: u64,
        hashes: impl Fn(WlId) -> u64,
    ) {
        if reason == RequeueReason::PendingPreemption && strategy == Strategy::BestEffortFifo {
            self.sticky = Some(key.clone());
        }
        if scan_left || Self::immediate(reason, strategy) {
            self.active.insert(key);
            return;
        }
        if strategy == Strategy::BestEffortFifo
            && matches!(
                reason,
                RequeueReason::NoFit | RequeueReason::PreemptionNoCandidates
            )
        {
            self.parked_hashes.insert(hash);
            let same: Vec<QueueKey> = self
                .active
                .iter()
                .filter(|k| hashes(k.wl) == hash)
                .cloned()
                .collect();
            for k in same {
                self.active.remove(&k);
                self.parked.insert(k.wl, k);
            }
        }
        self.parked.insert(key.wl, key);
    }

    fn immediate(reason: RequeueReason, strategy: Strategy) -> bool {
        match reason {
            RequeueReason::NamespaceMismatch => false,
            RequeueReason::FailedAfterNomination | RequeueReason::PendingPreemption => true,
            RequeueReason::NoFit | RequeueReason::PreemptionNoCandidates => {
                strategy == Strategy::StrictFifo
            }
        }
    }

    /// A requeue trigger (§4.4): every parked Workload back to the active heap, and the
    /// bulk-move hashes cleared.
    pub(crate) fn queue_inadmissible(&mut self) -> usize {
        let n = self.parked.len();
        for (_, k) in std::mem::take(&mut self.parked) {
            self.active.insert(k);
        }
        self.parked_hashes.clear();
        n
    }

    /// Takes Workload `wl` out of the queue wherever it is (it was deleted or finished).
    pub(crate) fn remove(&mut self, key: &QueueKey) {
        self.active.remove(key);
        self.parked.remove(&key.wl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(priority: i32, ts: u64, wl: WlId) -> QueueKey {
        QueueKey {
            priority: Reverse(priority),
            timestamp_ns: ts,
            uid: format!("uid-{wl}"),
            wl,
        }
    }

    // TestFIFOClusterQueue / TestStrictFIFO: priority first, then the older.
    #[test]
    fn heads_come_by_priority_then_age() {
        let mut q = CqQueue::default();
        q.push(key(0, 5, 1), 1, Strategy::StrictFifo);
        q.push(key(0, 3, 2), 2, Strategy::StrictFifo);
        q.push(key(1, 9, 3), 3, Strategy::StrictFifo);
        let order: Vec<WlId> = std::iter::from_fn(|| q.pop_head().map(|k| k.wl)).collect();
        assert_eq!(order, vec![3, 2, 1]);
    }

    // TestStrictFIFORequeueIfNotPresent / TestBestEffortFIFORequeueIfNotPresent.
    #[test]
    fn strict_fifo_keeps_a_head_that_does_not_fit_best_effort_parks_it() {
        for (strategy, back_in_heap) in [
            (Strategy::StrictFifo, true),
            (Strategy::BestEffortFifo, false),
        ] {
            let mut q = CqQueue::default();
            q.push(key(0, 1, 1), 7, strategy);
            q.push(key(0, 2, 2), 8, strategy);
            let head = q.pop_head().unwrap();
            q.requeue(head, RequeueReason::NoFit, strategy, false, 7, |w| {
                u64::from(w) + 6
            });
            assert_eq!(q.pop_head().unwrap().wl == 1, back_in_heap, "{strategy:?}");
        }
    }

    #[test]
    fn best_effort_parks_equivalent_workloads_in_bulk_until_a_trigger() {
        let s = Strategy::BestEffortFifo;
        let mut q = CqQueue::default();
        for wl in 1..=3 {
            q.push(key(0, u64::from(wl), wl), 42, s);
        }
        q.push(key(0, 9, 4), 43, s);
        let head = q.pop_head().unwrap();
        q.requeue(head, RequeueReason::NoFit, s, false, 42, |w| {
            if w == 4 {
                43
            } else {
                42
            }
        });
        assert_eq!(q.pop_head().unwrap().wl, 4);
        q.push(key(0, 10, 5), 42, s);
        assert!(
            !q.has_active(),
            "a later arrival with a parked hash is parked too"
        );
        assert_eq!(q.queue_inadmissible(), 4);
        assert_eq!(q.pop_head().unwrap().wl, 1);
    }

    #[test]
    fn skipped_heads_and_heads_with_flavors_left_come_back_at_once() {
        let s = Strategy::BestEffortFifo;
        let mut q = CqQueue::default();
        q.push(key(0, 1, 1), 1, s);
        let head = q.pop_head().unwrap();
        q.requeue(
            head,
            RequeueReason::FailedAfterNomination,
            s,
            false,
            1,
            |_| 0,
        );
        let head = q.pop_head().unwrap();
        q.requeue(head, RequeueReason::NoFit, s, true, 1, |_| 0);
        assert_eq!(q.pop_head().unwrap().wl, 1);
    }

    #[test]
    fn fair_sharing_heads_come_from_the_least_used_local_queue_then_by_the_usual_order() {
        let mut q = CqQueue::default();
        let s = Strategy::BestEffortFifo;
        // Workloads 1, 2 of one LocalQueue (score 5), 3, 4 of another (score 1), 5 of a
        // third with the same score as the second.
        for (priority, ts, wl) in [(9, 1, 1), (0, 2, 2), (0, 3, 3), (5, 4, 4), (0, 0, 5)] {
            q.push(key(priority, ts, wl), wl as u64, s);
        }
        let score = |wl: WlId| match wl {
            1 | 2 => 5.0,
            _ => 1.0,
        };
        assert_eq!(
            q.peek_head_by(Some(&score)),
            Some(4),
            "priority 5 among score 1"
        );
        let order: Vec<WlId> =
            std::iter::from_fn(|| q.pop_head_by(Some(&score)).map(|k| k.wl)).collect();
        assert_eq!(order, vec![4, 5, 3, 1, 2]);
    }

    #[test]
    fn under_fair_sharing_the_sticky_preemptor_leads_only_among_equal_scores() {
        let mut q = CqQueue::default();
        let s = Strategy::BestEffortFifo;
        q.push(key(0, 1, 1), 1, s);
        q.push(key(0, 2, 2), 2, s);
        q.push(key(0, 3, 3), 3, s);
        let head = q.pop_head().unwrap();
        assert_eq!(head.wl, 1);
        q.requeue(head, RequeueReason::PendingPreemption, s, false, 1, |w| {
            w as u64
        });
        let score = |wl: WlId| if wl == 3 { 0.0 } else { 1.0 };
        assert_eq!(
            q.peek_head_by(Some(&score)),
            Some(3),
            "a lower score beats sticky"
        );
        let flat = |_: WlId| 1.0;
        assert_eq!(q.peek_head_by(Some(&flat)), Some(1), "sticky among equals");
    }
}

//! The Job controller's work queue and its pool of sync workers, as client-go's workqueue
//! runs them (`k8s.io/client-go/util/workqueue/queue.go`): a key waiting in the queue is one
//! item however often it is added (the `dirty` set); a key being processed (the `processing`
//! set) that is added again waits until its sync ends and then joins the queue's tail; at most
//! `workers` syncs run at once (kube-controller-manager `--concurrent-job-syncs`, 5), the
//! rest wait in first-in, first-out order.
//!
//! The delaying part of the queue (a key added after a delay, the earliest due time kept) is
//! the Job controller's `enqueue_at` / `take_due`; a key enters this queue when it is due.

use crate::engine::SimTime;
use crate::sim::objects::JobId;
use std::collections::{BTreeSet, VecDeque};

#[derive(Debug)]
pub(crate) struct WorkQueue {
    /// Per worker: the key it is syncing and when that sync ends.
    busy: Vec<Option<(JobId, SimTime)>>,
    /// Keys due and waiting for a worker, oldest first.
    ready: VecDeque<JobId>,
    /// By `JobId`: its state in the queue.
    keys: Vec<KeyState>,
    /// Wake-ups scheduled to free workers (each time once).
    wakes: BTreeSet<SimTime>,
    /// The most syncs ever in flight at once (the pool's bound is asserted where it is taken).
    peak_in_flight: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct KeyState {
    /// Waiting in `ready` (client-go: in the dirty set, not processing).
    queued: bool,
    /// Being synced by a worker.
    processing: bool,
    /// Added while being synced: joins the queue when its sync ends.
    again: bool,
}

impl WorkQueue {
    pub(crate) fn new(workers: u32) -> Self {
        assert!(workers >= 1, "a worker pool has at least one worker");
        WorkQueue {
            busy: vec![None; workers as usize],
            ready: VecDeque::new(),
            keys: vec![],
            wakes: BTreeSet::new(),
            peak_in_flight: 0,
        }
    }

    fn key(&mut self, j: JobId) -> &mut KeyState {
        let at = j as usize;
        if self.keys.len() <= at {
            self.keys.resize(at + 1, KeyState::default());
        }
        &mut self.keys[at]
    }

    /// Key `j` is due at `now_ns` (client-go `Add`): queued once; a key being synced runs
    /// again after.
    pub(crate) fn add(&mut self, j: JobId, now_ns: SimTime) {
        self.release(now_ns);
        let key = self.key(j);
        if key.processing {
            key.again = true;
        } else if !key.queued {
            key.queued = true;
            self.ready.push_back(j);
        }
    }

    /// Ends the syncs due to end by `now_ns` (earliest first, then by worker): their workers
    /// are free, and a key added during its sync joins the queue.
    pub(crate) fn release(&mut self, now_ns: SimTime) {
        loop {
            let done = (self.busy.iter().enumerate())
                .filter_map(|(w, b)| b.map(|(j, end)| (end, w, j)))
                .filter(|&(end, _, _)| end <= now_ns)
                .min();
            let Some((_, w, j)) = done else { break };
            self.busy[w] = None;
            let key = self.key(j);
            key.processing = false;
            if std::mem::take(&mut key.again) {
                key.queued = true;
                self.ready.push_back(j);
            }
        }
    }

    /// A free worker takes the oldest waiting key at `now_ns`, if there is both. The caller
    /// runs its sync and says when it ends (`busy_until`).
    pub(crate) fn take(&mut self, now_ns: SimTime) -> Option<JobId> {
        self.release(now_ns);
        let w = self.busy.iter().position(Option::is_none)?;
        let j = self.ready.pop_front()?;
        let key = self.key(j);
        key.queued = false;
        key.processing = true;
        self.busy[w] = Some((j, now_ns));
        let in_flight = self.in_flight();
        assert!(
            in_flight as usize <= self.busy.len(),
            "at most {} Job syncs in flight",
            self.busy.len()
        );
        self.peak_in_flight = self.peak_in_flight.max(in_flight);
        Some(j)
    }

    /// The sync of `j` just taken keeps its worker until `end_ns`.
    pub(crate) fn busy_until(&mut self, j: JobId, end_ns: SimTime) {
        let slot = (self.busy.iter_mut().flatten()).find(|(k, _)| *k == j);
        let (_, end) = slot.expect("a sync in progress");
        *end = (*end).max(end_ns);
    }

    /// When a worker must be freed to make progress: the earliest end of a sync if keys are
    /// waiting, or of a sync whose key was added again. Some only when not already scheduled
    /// (the caller schedules it).
    pub(crate) fn next_wake(&mut self, now_ns: SimTime) -> Option<SimTime> {
        let waiting = !self.ready.is_empty();
        let keys = &self.keys;
        let wake = (self.busy.iter().flatten())
            .filter(|&&(j, _)| waiting || keys[j as usize].again)
            .map(|&(_, end)| end.max(now_ns))
            .min()?;
        self.wakes.insert(wake).then_some(wake)
    }

    /// A scheduled wake-up at `now_ns` happened.
    pub(crate) fn woke(&mut self, now_ns: SimTime) {
        self.wakes.remove(&now_ns);
    }

    /// Syncs in flight now.
    pub(crate) fn in_flight(&self) -> u32 {
        self.busy.iter().flatten().count() as u32
    }

    /// The most syncs that were ever in flight at once.
    #[cfg(test)]
    pub(crate) fn peak_in_flight(&self) -> u32 {
        self.peak_in_flight
    }

    /// Keys waiting for a worker.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> Vec<JobId> {
        self.ready.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key added twice while waiting is one item; keys are served in the order they came.
    #[test]
    fn a_key_waits_once_in_arrival_order() {
        let mut q = WorkQueue::new(1);
        q.add(3, 0);
        q.add(1, 0);
        q.add(3, 0);
        assert_eq!(q.waiting(), [3, 1]);
        assert_eq!(q.take(0), Some(3));
        q.busy_until(3, 10);
        assert_eq!(q.take(0), None, "the one worker is busy");
        assert_eq!(
            q.next_wake(0),
            Some(10),
            "a key waits: wake when the worker frees"
        );
        assert_eq!(q.next_wake(0), None, "scheduled once");
        assert_eq!(q.take(9), None);
        assert_eq!(q.take(10), Some(1));
    }

    /// A key added while its sync runs is not synced twice at once: it runs again after.
    #[test]
    fn a_key_added_during_its_sync_runs_again_after() {
        let mut q = WorkQueue::new(2);
        q.add(0, 0);
        assert_eq!(q.take(0), Some(0));
        q.busy_until(0, 50);
        q.add(0, 20);
        q.add(0, 30);
        assert_eq!(
            q.take(30),
            None,
            "a free worker, but the key is being synced"
        );
        assert_eq!(q.next_wake(30), Some(50));
        assert_eq!(q.take(50), Some(0), "once: the two adds were one");
        q.busy_until(0, 60);
        assert_eq!(q.take(60), None);
        assert_eq!(q.in_flight(), 0);
    }

    /// Never more syncs in flight than workers, whatever is queued.
    #[test]
    fn the_pool_bounds_syncs_in_flight() {
        let mut q = WorkQueue::new(3);
        for j in 0..10 {
            q.add(j, 0);
        }
        let mut started = vec![];
        let mut now = 0;
        while started.len() < 10 {
            while let Some(j) = q.take(now) {
                q.busy_until(j, now + 7);
                started.push((j, now));
            }
            assert!(q.in_flight() <= 3);
            now = q.next_wake(now).unwrap_or(now + 1);
        }
        assert_eq!(q.peak_in_flight(), 3);
        let order: Vec<JobId> = started.iter().map(|&(j, _)| j).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>(), "first in, first out");
        assert_eq!(started[3].1, 7, "the fourth waits for the first to end");
        assert_eq!(started[9].1, 21);
    }
}

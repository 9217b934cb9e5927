//! The event queue: a binary heap ordered by (time, insertion sequence), so two events at the same
//! instant always pop in the order they were scheduled, whatever the platform or thread count.

use super::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Handle of a scheduled event, used to cancel it. Sequence numbers are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

/// A min-queue of typed events. Cancellation is lazy: a cancelled id is remembered and its event
/// skipped when it reaches the head, which keeps `cancel` O(1) and the heap untouched.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    next_seq: u64,
    now: SimTime,
    cancelled: std::collections::HashSet<u64, BuildSeqHasher>,
    popped: u64,
    /// Events later than this never run (the run ends first): they are not stored.
    horizon: SimTime,
}

/// Ids of events dropped beyond the horizon carry this bit, so cancelling them is a no-op.
const DROPPED: u64 = 1 << 63;

/// Sequence numbers are already unique and well spread in their low bits: a multiplicative
/// hash is enough, and far cheaper than SipHash on every pop while cancellations are pending.
#[derive(Default, Clone, Copy)]
pub struct SeqHasher(u64);

impl std::hash::Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type BuildSeqHasher = std::hash::BuildHasherDefault<SeqHasher>;

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now: 0,
            cancelled: Default::default(),
            popped: 0,
            horizon: SimTime::MAX,
        }
    }

    /// Events scheduled after `horizon` are dropped: the run ends before they could happen.
    pub fn set_horizon(&mut self, horizon: SimTime) {
        self.horizon = horizon;
    }

    /// The time of the event most recently popped (the simulation clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// How many events have been delivered so far (cancelled ones excluded).
    pub fn delivered(&self) -> u64 {
        self.popped
    }

    /// Schedules `event` at absolute time `at`. Scheduling in the past is a logic error in the
    /// caller; the event is clamped to `now` so time never runs backwards.
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let at = at.max(self.now);
        if at > self.horizon {
            return EventId(seq | DROPPED);
        }
        self.heap.push(Reverse(Entry { at, seq, event }));
        EventId(seq)
    }

    /// Schedules `event` `delay_ns` after the current time.
    pub fn schedule_in(&mut self, delay_ns: u64, event: E) -> EventId {
        self.schedule_at(self.now.saturating_add(delay_ns), event)
    }

    /// Cancels a scheduled event. Cancelling an event that already ran is a no-op.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 & DROPPED == 0 && id.0 < self.next_seq {
            self.cancelled.insert(id.0);
        }
    }

    /// Time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Pops the next live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.skip_cancelled();
        let Reverse(entry) = self.heap.pop()?;
        self.now = entry.at;
        self.popped += 1;
        Some((entry.at, entry.event))
    }

    /// Events still scheduled, cancelled ones not yet skipped included.
    pub fn scheduled(&self) -> usize {
        self.heap.len()
    }

    fn skip_cancelled(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(Reverse(head)) = self.heap.peek() {
            if self.cancelled.remove(&head.seq) {
                self.heap.pop();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_like_a_sorted_list_with_cancellations() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = vec![];
        let mut ids = vec![];
        for i in 0..5_000u64 {
            let at = rng.gen_range(0..1_000u64);
            ids.push((q.schedule_at(at, i), at, i));
            reference.push((at, i));
        }
        for k in (0..5_000).step_by(7) {
            let (id, at, i) = ids[k];
            q.cancel(id);
            reference.retain(|&e| e != (at, i));
        }
        reference.sort();
        let popped: Vec<(u64, u64)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(popped, reference);
    }

    #[test]
    fn events_past_the_horizon_are_dropped_and_cancel_is_a_no_op() {
        let mut q = EventQueue::new();
        q.set_horizon(100);
        q.schedule_at(100, "end");
        let late = q.schedule_at(101, "never");
        q.cancel(late);
        assert_eq!(q.scheduled(), 1);
        assert_eq!(q.pop().map(|(_, e)| e), Some("end"));
        assert!(q.pop().is_none());
    }

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule_at(10, "b1");
        q.schedule_at(5, "a");
        q.schedule_at(10, "b2");
        q.schedule_at(10, "b3");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["a", "b1", "b2", "b3"]);
        assert_eq!(q.now(), 10);
    }

    #[test]
    fn cancelled_events_never_fire() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(1, 'a');
        q.schedule_at(2, 'b');
        let c = q.schedule_at(3, 'c');
        q.cancel(a);
        q.cancel(c);
        assert_eq!(q.pop(), Some((2, 'b')));
        assert_eq!(q.pop(), None);
        assert_eq!(q.delivered(), 1);
    }

    #[test]
    fn never_schedules_into_the_past() {
        let mut q = EventQueue::new();
        q.schedule_at(100, 1);
        q.pop();
        q.schedule_at(50, 2);
        assert_eq!(q.pop(), Some((100, 2)));
    }
}

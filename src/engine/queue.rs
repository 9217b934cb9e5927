//! The event queue: a radix heap ordered by (time, insertion sequence), so two events at the
//! same instant always pop in the order they were scheduled, whatever the platform or thread
//! count.
//!
//! Why a radix heap and not a binary heap: simulated time never runs backwards, so every new
//! event is at or after the last one popped, and a monotone integer queue applies. Events
//! live in buckets by the highest hexadecimal digit (4 bits) in which their time differs from
//! the last popped time, and by their own value of that digit; popping takes from the head
//! (events at exactly that time) and, when it is empty, moves the smallest non-empty bucket
//! down. Each event moves a few times at most over its life, where a binary heap of a few
//! thousand events sifts through a dozen levels on every pop (it was the single largest cost
//! of long runs).
//!
//! Why digits and not bits: with a bucket per differing bit, an event a minute ahead moved
//! down bucket by bucket as the clock closed in, about three moves per event in llama3-54d
//! (26 M moves for 9.1 M events). Sixteen buckets per digit split the same range finer, so
//! a refill moves only the events of one sixteenth of it. Buckets are ordered by (digit
//! position, digit value), which is the order of the time ranges they cover; a refill takes
//! the smallest and sends its events to lower positions, and the other buckets at its
//! position still differ from the new `last` in that digit, so they stay where they are.
//!
//! Order within one instant: bucket 0 holds the events at the last popped time in sequence
//! order. Events moved into it when it is refilled come first (sorted by sequence), and any
//! event scheduled later at that same time has a higher sequence than all of them and is
//! appended; so bucket 0 is always sorted and pops in FIFO order.
//!
//! Every bucket is in sequence order too, so a refill needs no sort: a bucket is filled by
//! appends (the newest sequence last) and by the redistribution of a higher bucket, which only
//! happens while it is empty (the one redistributed is the smallest non-empty) and keeps that
//! bucket's order.

use super::time::SimTime;

/// Handle of a scheduled event, used to cancel it. Sequence numbers are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

/// Bits per digit of the bucket index.
const DIGIT_BITS: u32 = 4;
/// Values of one digit: the buckets per digit position.
const DIGITS: u64 = 1 << DIGIT_BITS;
/// Bucket `position × DIGITS + value` holds the events whose time differs from `last` first
/// in digit `position` and has `value` there (never 0: `head` holds the events at `last`).
const BUCKETS: usize = (64 / DIGIT_BITS as usize) * DIGITS as usize;
/// Words of the non-empty bitmap.
const NONEMPTY_WORDS: usize = BUCKETS / 64;

/// A min-queue of typed events. Cancellation is lazy: a cancelled id is marked and its event
/// skipped when it reaches the head, which keeps `cancel` O(1) and the buckets untouched.
pub struct EventQueue<E> {
    /// Events at exactly `last`, in sequence order, from `head_pos` on (a plain vector and a
    /// cursor: it is emptied before every refill, so it never wraps as a ring would).
    head: Vec<Entry<E>>,
    head_pos: usize,
    /// `buckets[b]` for b in 1..BUCKETS (index 0 unused: that is `head`).
    buckets: Vec<Vec<Entry<E>>>,
    /// The earliest time in each bucket (`SimTime::MAX` when empty), kept on push so a
    /// refill need not scan its bucket twice.
    bucket_min: [SimTime; BUCKETS],
    /// Bit `b` set when bucket `b` holds events: the smallest is a few instructions away.
    nonempty: [u64; NONEMPTY_WORDS],
    /// The time the buckets are relative to: the last popped time, or the time `head` was
    /// last refilled at (never later than any stored event).
    last: SimTime,
    len: usize,
    next_seq: u64,
    now: SimTime,
    /// One bit per sequence number, set when its event is cancelled: a pop tests one bit of a
    /// word it mostly just read (sequences pop roughly in order), where a hash set of the
    /// cancelled ids was hashed and probed on every pop while any was pending. One bit per
    /// event scheduled (about 1.2 MB for a 54-day run's 10 M), up to the last one cancelled.
    cancelled: Vec<u64>,
    popped: u64,
    /// Events later than this never run (the run ends first): they are not stored.
    horizon: SimTime,
}

/// Ids of events dropped beyond the horizon carry this bit, so cancelling them is a no-op.
const DROPPED: u64 = 1 << 63;

/// Keys that are already unique and well spread in their low bits (sequence numbers, pod
/// serials, packed names): a multiplicative hash is enough, and far cheaper than SipHash.
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

pub type BuildSeqHasher = std::hash::BuildHasherDefault<SeqHasher>;

#[derive(Clone, Copy)]
struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of an event at `at` relative to `last` (`at >= last`); 0 when `at == last`.
fn bucket_of(at: SimTime, last: SimTime) -> usize {
    let differ = at ^ last;
    if differ == 0 {
        return 0;
    }
    let position = (u64::BITS - 1 - differ.leading_zeros()) / DIGIT_BITS;
    let value = (at >> (position * DIGIT_BITS)) & (DIGITS - 1);
    (position as u64 * DIGITS + value) as usize
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            head: Vec::new(),
            head_pos: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            bucket_min: [SimTime::MAX; BUCKETS],
            nonempty: [0; NONEMPTY_WORDS],
            last: 0,
            len: 0,
            next_seq: 0,
            now: 0,
            cancelled: Vec::new(),
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

    /// Schedules `event` at absolute time `at`, which must not be before `now`.
    ///
    /// # Panics
    /// When `at` is in the past: that is a bug in the caller (time would run backwards, and
    /// the event's order against those already delivered would be a lie). It stops the run
    /// rather than being clamped silently, so the bug is found where it is made.
    #[inline(always)] // 8 M calls in a 54-day run: the call cost a sixth of its work
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> EventId {
        assert!(
            at >= self.now,
            "internal error: an event was scheduled at {at} ns, before the current time {} ns",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        if at > self.horizon {
            return EventId(seq | DROPPED);
        }
        // `last` is never later than `now` (a refill moves it to the earliest stored event,
        // which pops next), so `at >= last` and the bucket index below is in range.
        assert!(at >= self.last, "queue bookkeeping: last is after now");
        let entry = Entry { at, seq, event };
        match bucket_of(at, self.last) {
            0 => self.head.push(entry),
            b => self.push_to(b, entry),
        }
        self.len += 1;
        EventId(seq)
    }

    /// Schedules `event` `delay_ns` after the current time.
    pub fn schedule_in(&mut self, delay_ns: u64, event: E) -> EventId {
        self.schedule_at(self.now.saturating_add(delay_ns), event)
    }

    /// Cancels a scheduled event. Cancelling an event that already ran is a no-op.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 & DROPPED == 0 && id.0 < self.next_seq {
            let word = (id.0 / 64) as usize;
            if word >= self.cancelled.len() {
                self.cancelled.resize(word + 1, 0);
            }
            self.cancelled[word] |= 1 << (id.0 % 64);
        }
    }

    /// Whether the event of sequence `seq` was cancelled; clears the mark (it pops once).
    fn take_cancelled(&mut self, seq: u64) -> bool {
        let Some(word) = self.cancelled.get_mut((seq / 64) as usize) else {
            return false;
        };
        let bit = 1 << (seq % 64);
        let marked = *word & bit != 0;
        *word &= !bit;
        marked
    }

    /// Pops the next live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            if self.head_pos == self.head.len() {
                self.head.clear();
                self.head_pos = 0;
                if !self.refill() {
                    return None;
                }
            }
            let entry = self.head[self.head_pos];
            self.head_pos += 1;
            self.len -= 1;
            if self.take_cancelled(entry.seq) {
                continue;
            }
            self.now = entry.at;
            self.popped += 1;
            return Some((entry.at, entry.event));
        }
    }

    /// Events still scheduled, cancelled ones not yet skipped included.
    pub fn scheduled(&self) -> usize {
        self.len
    }

    /// The smallest bucket holding events (the earliest time range), if any.
    fn smallest_nonempty(&self) -> Option<usize> {
        let (word, bits) = (self.nonempty.iter().enumerate()).find(|(_, bits)| **bits != 0)?;
        Some(word * 64 + bits.trailing_zeros() as usize)
    }

    fn push_to(&mut self, b: usize, entry: Entry<E>) {
        self.bucket_min[b] = self.bucket_min[b].min(entry.at);
        self.nonempty[b / 64] |= 1u64 << (b % 64);
        self.buckets[b].push(entry);
    }

    /// Moves the events of the earliest time into `head` (empty): the smallest non-empty
    /// bucket is redistributed around its minimum time. False when the queue is empty.
    fn refill(&mut self) -> bool {
        let Some(b) = self.smallest_nonempty() else {
            // Empty: a refill that skipped only cancelled events may have moved `last` past
            // `now`; bring it back so anything scheduled from `now` on has its bucket.
            self.last = self.now;
            return false;
        };
        self.nonempty[b / 64] &= !(1u64 << (b % 64));
        let mut moved = std::mem::take(&mut self.buckets[b]);
        let min = std::mem::replace(&mut self.bucket_min[b], SimTime::MAX);
        self.last = min;
        // Everything in bucket b lands in a lower bucket relative to its minimum, in its order
        // (the module's comment: then `head` is in sequence order with no sort).
        for entry in moved.drain(..) {
            match bucket_of(entry.at, min) {
                0 => self.head.push(entry),
                nb => self.push_to(nb, entry),
            }
        }
        // Keep the (now empty) allocation for the bucket's next use.
        self.buckets[b] = moved;
        debug_assert!(
            self.head.is_sorted_by_key(|e| e.seq),
            "a bucket out of order"
        );
        true
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
    #[should_panic(expected = "scheduled at 50 ns, before the current time 100 ns")]
    fn scheduling_into_the_past_stops_the_run() {
        let mut q = EventQueue::new();
        q.schedule_at(100, 1);
        q.pop();
        q.schedule_at(50, 2);
    }

    #[test]
    fn scheduling_at_now_is_allowed() {
        let mut q = EventQueue::new();
        q.schedule_at(100, 1);
        q.pop();
        q.schedule_at(100, 2);
        assert_eq!(q.pop(), Some((100, 2)));
    }

    /// Interleaved schedules, cancellations and pops, with many events at the same instant and
    /// times spread over many bit widths, pop exactly as an ordered map of (time, sequence).
    #[test]
    fn interleaved_use_matches_an_ordered_reference() {
        use rand::{Rng, SeedableRng};
        use std::collections::BTreeMap;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut q = EventQueue::new();
        let mut reference: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let mut live: Vec<(EventId, u64, u64)> = vec![];
        let mut seq = 0u64;
        for step in 0..50_000u64 {
            match rng.gen_range(0..10) {
                0..=4 => {
                    let delay = match rng.gen_range(0..5) {
                        0 => 0,
                        1 => rng.gen_range(0..10),
                        2 => rng.gen_range(0..1_000_000),
                        3 => rng.gen_range(0..1u64 << 50),
                        // Any bit length: every digit position of the buckets.
                        _ => rng.gen::<u64>() >> rng.gen_range(2..64),
                    };
                    let at = q.now() + delay;
                    let id = q.schedule_at(at, step);
                    reference.insert((at, seq), step);
                    live.push((id, at, seq));
                    seq += 1;
                }
                5 if !live.is_empty() => {
                    let (id, at, s) = live.swap_remove(rng.gen_range(0..live.len()));
                    q.cancel(id);
                    reference.remove(&(at, s));
                }
                _ => {
                    let want = reference.pop_first().map(|((at, _), e)| (at, e));
                    assert_eq!(q.pop(), want, "at step {step}");
                }
            }
        }
        while let Some(((at, _), e)) = reference.pop_first() {
            assert_eq!(q.pop(), Some((at, e)));
        }
        assert_eq!(q.pop(), None);
    }

    /// After a pop that skipped only cancelled events and found the queue empty, an event may
    /// still be scheduled at the current time.
    #[test]
    fn schedules_at_now_after_everything_left_was_cancelled() {
        let mut q = EventQueue::new();
        q.schedule_at(10, 'a');
        let late = q.schedule_at(1_000, 'b');
        assert_eq!(q.pop(), Some((10, 'a')));
        q.cancel(late);
        assert_eq!(q.pop(), None);
        // Relative to 1,000 (the cancelled event's time) 999 would sort before 10.
        q.schedule_at(10, 'c');
        q.schedule_at(999, 'd');
        assert_eq!(q.pop(), Some((10, 'c')));
        assert_eq!(q.pop(), Some((999, 'd')));
    }
}

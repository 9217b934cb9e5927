//! A controller's event recorder (client-go `tools/record`): the Events it records go to the
//! API server through the controller's own client, so each one sent takes a token of the
//! same rate limiter as its creates and deletes. Before sending, the event correlator's spam
//! filter (`EventSourceObjectSpamFilter`) lets each involved object (here: each Job) send a
//! burst of 25 events, then one per 5 minutes; what it drops is never sent.
//!
//! Simplification (docs/calibration.md, "API traffic"): upstream keeps the filter's buckets in
//! an LRU cache of 4,096 objects, and an object pushed out comes back with a full bucket; here
//! every Job keeps its bucket, so past 4,096 Jobs that each record more than 25 events within
//! 5 minutes, the model sends fewer events than upstream would.

use crate::engine::{SimTime, TokenBucket};

/// `defaultSpamBurst` and `defaultSpamQPS` (client-go `tools/record/events_cache.go`).
const SPAM_BURST: u32 = 25;
const SPAM_QPS: f64 = 1.0 / 300.0;

/// The spam filter's buckets, one per involved object, dense by its id.
#[derive(Debug, Default)]
pub(crate) struct EventRecorder {
    spam_buckets: Vec<TokenBucket>,
}

impl EventRecorder {
    /// Whether an event about `object` recorded at `at_ns` passes the spam filter (and is
    /// then sent).
    pub(crate) fn passes_spam_filter(&mut self, object: u32, at_ns: SimTime) -> bool {
        let i = object as usize;
        if self.spam_buckets.len() <= i {
            self.spam_buckets
                .resize(i + 1, TokenBucket::new(SPAM_QPS, SPAM_BURST));
        }
        self.spam_buckets[i].try_take(at_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::NS_PER_S;

    #[test]
    fn twenty_five_events_per_object_then_one_per_five_minutes() {
        let mut r = EventRecorder::default();
        let sent = (0..40).filter(|_| r.passes_spam_filter(7, 0)).count();
        assert_eq!(sent, 25);
        assert!(r.passes_spam_filter(3, 0), "each object has its own bucket");
        assert!(!r.passes_spam_filter(7, 299 * NS_PER_S));
        assert!(r.passes_spam_filter(7, 300 * NS_PER_S));
        assert!(!r.passes_spam_filter(7, 300 * NS_PER_S));
    }
}

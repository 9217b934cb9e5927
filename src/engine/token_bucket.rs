//! A client-side rate limiter (client-go's token bucket) in integer simulated time: `burst`
//! requests may go at once, then one every `interval_ns`. Callers reserve a slot and wait until
//! the returned time, as `RateLimiter.Wait` blocks.

use super::time::{SimTime, NS_PER_S};

#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    interval_ns: u64,
    burst: u64,
    /// Theoretical arrival time (GCRA): when the bucket would next be empty-and-refilled.
    tat_ns: SimTime,
}

impl TokenBucket {
    /// `qps` requests per second sustained, `burst` at once. A non-positive `qps` means no limit.
    pub fn new(qps: f64, burst: u32) -> Self {
        let interval_ns = if qps > 0.0 {
            (NS_PER_S as f64 / qps).round() as u64
        } else {
            0
        };
        TokenBucket {
            interval_ns,
            burst: burst.max(1) as u64,
            tat_ns: 0,
        }
    }

    /// Reserves one request at `now`; returns when it may be sent.
    pub fn reserve(&mut self, now: SimTime) -> SimTime {
        if self.interval_ns == 0 {
            return now;
        }
        self.tat_ns = self.tat_ns.max(now) + self.interval_ns;
        now.max(self.tat_ns.saturating_sub(self.burst * self.interval_ns))
    }

    /// Takes one request at `now` if a token is there, as client-go's `TryAccept`: true when
    /// it may go at once; false (the bucket unchanged) when it would have to wait.
    pub fn try_take(&mut self, now: SimTime) -> bool {
        if self.interval_ns == 0 {
            return true;
        }
        let tat = self.tat_ns.max(now) + self.interval_ns;
        if tat.saturating_sub(self.burst * self.interval_ns) > now {
            return false;
        }
        self.tat_ns = tat;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let mut b = TokenBucket::new(10.0, 3);
        let grants: Vec<u64> = (0..6).map(|_| b.reserve(0)).collect();
        let ms = 1_000_000;
        assert_eq!(grants, vec![0, 0, 0, 100 * ms, 200 * ms, 300 * ms]);
    }

    #[test]
    fn try_take_refuses_instead_of_waiting() {
        let mut b = TokenBucket::new(10.0, 2);
        assert!(b.try_take(0));
        assert!(b.try_take(0));
        assert!(!b.try_take(0), "the burst is spent");
        assert!(
            !b.try_take(99_999_999),
            "a refusal leaves the bucket as it was"
        );
        assert!(b.try_take(100_000_000), "one token back after 1/qps");
        assert!(!b.try_take(100_000_000));
        assert!(TokenBucket::new(0.0, 1).try_take(0), "no limit");
    }

    #[test]
    fn refills_while_idle() {
        let mut b = TokenBucket::new(10.0, 2);
        b.reserve(0);
        b.reserve(0);
        // A second later the bucket is full again: two more go at once.
        let t = NS_PER_S;
        assert_eq!(b.reserve(t), t);
        assert_eq!(b.reserve(t), t);
        assert_eq!(b.reserve(t), t + 100_000_000);
    }

    #[test]
    fn unlimited_when_qps_is_zero() {
        let mut b = TokenBucket::new(0.0, 1);
        assert_eq!(b.reserve(5), 5);
        assert_eq!(b.reserve(5), 5);
    }

    #[test]
    fn sustained_rate_matches_qps() {
        let mut b = TokenBucket::new(50.0, 100);
        let last = (0..1100).map(|_| b.reserve(0)).last().unwrap();
        // 100 at once, then 1000 more at 50/s: the last one 20 s in.
        assert_eq!(last, 20 * NS_PER_S);
    }
}

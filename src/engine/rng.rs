//! Randomness: one root seed, and one independent ChaCha stream per named component.
//!
//! Each component asks for its stream by name (`workload`, `scheduler`, `faults`, ...). The name is
//! hashed (FNV-1a, stable across platforms and releases) into the ChaCha stream id, so an extra
//! draw in the scheduler can never shift the fault injector's numbers.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random generator handed to one component.
pub type StreamRng = ChaCha8Rng;

#[derive(Debug, Clone, Copy)]
pub struct RngStreams {
    root_seed: u64,
}

impl RngStreams {
    pub fn new(root_seed: u64) -> Self {
        RngStreams { root_seed }
    }

    pub fn root_seed(&self) -> u64 {
        self.root_seed
    }

    /// The generator for the component called `name`.
    pub fn stream(&self, name: &str) -> StreamRng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.root_seed);
        rng.set_stream(fnv1a64(name.as_bytes()));
        rng
    }
}

/// FNV-1a, 64 bit: tiny, stable, and good enough to spread stream names.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= *b as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Draws a uniform integer in [0, n) without modulo bias.
pub fn below(rng: &mut StreamRng, n: u64) -> u64 {
    assert!(n > 0, "a uniform draw from an empty range");
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = rng.next_u64();
        if v < zone {
            return v % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = {
            let mut r = RngStreams::new(7).stream("scheduler");
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = RngStreams::new(7).stream("scheduler");
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
    }

    #[test]
    fn streams_are_independent_of_each_other() {
        let streams = RngStreams::new(7);
        let mut faults_alone = streams.stream("faults");
        let alone: Vec<u64> = (0..4).map(|_| faults_alone.next_u64()).collect();
        // Draw heavily from another stream first: the fault stream must not move.
        let mut sched = streams.stream("scheduler");
        for _ in 0..1000 {
            sched.next_u64();
        }
        let mut faults = streams.stream("faults");
        let after: Vec<u64> = (0..4).map(|_| faults.next_u64()).collect();
        assert_eq!(alone, after);
        let mut s2 = streams.stream("scheduler");
        assert_ne!(s2.next_u64(), alone[0]);
    }

    #[test]
    fn different_seeds_differ() {
        let mut a = RngStreams::new(1).stream("workload");
        let mut b = RngStreams::new(2).stream("workload");
        assert_ne!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = RngStreams::new(3).stream("x");
        for n in [1u64, 2, 3, 7, 1000] {
            for _ in 0..100 {
                assert!(below(&mut r, n) < n);
            }
        }
    }
}

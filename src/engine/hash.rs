//! A fast hasher for the maps on the simulation's hot paths (label interning, the cluster's
//! label index, the inter-pod affinity index), in place of `std`'s SipHash-1-3.
//!
//! SipHash resists hash flooding by untrusted keys; the simulator's keys are its own (label
//! strings of the scenario, node and Job ids), and SipHash was 3–4 % of a 131k-node recovery
//! (results/recovery-speed-2026-12-08.md). This one folds each 8-byte word into the state with
//! a 64×64→128-bit multiply whose halves are xored (the "folded multiply" of foldhash and
//! aHash's fallback), so every input bit reaches the low bits hashbrown picks buckets with.
//!
//! No output depends on it: no map using it is iterated where the order could reach an
//! output (their order under SipHash was already random per process), only looked up.

use std::hash::{BuildHasherDefault, Hasher};

/// Odd constants from the digits of π (as foldhash's seeds).
const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let full = (a as u128).wrapping_mul(b as u128);
    (full as u64) ^ ((full >> 64) as u64)
}

#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = fold_mul(self.0 ^ word ^ K1, K0);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // One more round: a single word's state is already mixed, but two maps' keys that
        // differ only in their last word must not keep it in the low bits only.
        fold_mul(self.0, K1 | 1)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length in the top byte: "a" and "a\0" differ.
            self.mix(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.mix(v as u64);
    }

    #[inline]
    fn write_u16(&mut self, v: u16) {
        self.mix(v as u64);
    }

    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.mix(v as u64);
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.mix(v);
    }

    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.mix(v as u64);
    }
}

pub type BuildFastHasher = BuildHasherDefault<FastHasher>;

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildFastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(v: &T) -> u64 {
        BuildFastHasher::default().hash_one(v)
    }

    #[test]
    fn equal_keys_hash_alike_and_near_keys_apart() {
        assert_eq!(hash(&"v5p-17-3"), hash(&"v5p-17-3".to_string()));
        assert_ne!(hash(&"a"), hash(&"a\0"));
        assert_ne!(hash(&(1u32, 2u32)), hash(&(2u32, 1u32)));
        // Node names that differ only in their last characters spread over the low bits
        // hashbrown takes its bucket from.
        let buckets: std::collections::BTreeSet<u64> = (0..4096)
            .map(|i| hash(&format!("v5p-{}-{}", i / 16, i % 16)) & 4095)
            .collect();
        assert!(
            buckets.len() > 2400,
            "{} of 4096 buckets used",
            buckets.len()
        );
    }
}

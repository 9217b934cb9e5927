//! A digest of the delivered event stream: FNV-1a (64 bit) over a fixed little-endian record of
//! every event, in delivery order. Two runs with the same digest delivered the same events in
//! the same order at the same times (up to the odds of a 64-bit collision), so a stored
//! baseline catches a change of order that leaves every total the same.
//!
//! Why FNV-1a: it is tiny, has no key, is the same on every platform and Rust version (unlike
//! `std`'s `DefaultHasher`, whose algorithm is unspecified), and anyone can recompute it from a
//! record of the events. The record of one event is 17 bytes: the time in nanoseconds (u64),
//! the kind (u8) and two object ids (u32 each; 0 where the event has fewer), all little-endian.

use super::time::SimTime;

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// `FNV_PRIME`⁴ (mod 2⁶⁴): four zero bytes at once.
const FNV_PRIME_POW4: u64 = FNV_PRIME
    .wrapping_mul(FNV_PRIME)
    .wrapping_mul(FNV_PRIME)
    .wrapping_mul(FNV_PRIME);

/// The running FNV-1a hash of the records of the events delivered so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamDigest(u64);

impl Default for StreamDigest {
    fn default() -> Self {
        StreamDigest(FNV_OFFSET_BASIS)
    }
}

impl StreamDigest {
    /// Adds one delivered event: its time, its kind and up to two object ids.
    ///
    /// Most events carry no second id: its four zero bytes are one multiplication by the
    /// prime's fourth power (a zero byte leaves the xor a no-op, and the products
    /// associate), where the byte-wise loop made four dependent ones on every event.
    #[inline]
    pub fn add(&mut self, at: SimTime, kind: u8, id_a: u32, id_b: u32) {
        let mut h = self.0;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
            }
        };
        eat(&at.to_le_bytes());
        eat(&[kind]);
        eat(&id_a.to_le_bytes());
        if id_b == 0 {
            h = h.wrapping_mul(FNV_PRIME_POW4);
        } else {
            eat(&id_b.to_le_bytes());
        }
        self.0 = h;
    }

    /// The digest as written in `summary.json`: 16 lowercase hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record layout is part of the format: this pins it against the byte-wise FNV-1a
    /// of the stream names (`rng::fnv1a64`), the textbook algorithm.
    #[test]
    fn is_fnv1a_over_the_little_endian_records() {
        let mut d = StreamDigest::default();
        d.add(0x0102_0304_0506_0708, 9, 0x0a0b_0c0d, 7);
        d.add(5, 0, 0, 0);
        let mut bytes = vec![
            8, 7, 6, 5, 4, 3, 2, 1, 9, 0x0d, 0x0c, 0x0b, 0x0a, 7, 0, 0, 0,
        ];
        bytes.extend([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            d.hex(),
            format!("{:016x}", super::super::rng::fnv1a64(&bytes))
        );
    }

    /// Records with and without a second id, zero and non-zero fields, give the byte-wise
    /// FNV-1a of their 17-byte records (the loop `add` had before its zero-id shortcut).
    #[test]
    fn matches_the_byte_wise_hash_on_any_record() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut d = StreamDigest::default();
        let mut reference = StreamDigest::default().0;
        for _ in 0..10_000 {
            let mut field = |bits: u32| match rng.gen_range(0..3) {
                0 => 0,
                1 => rng.gen_range(1..256),
                _ => rng.gen::<u64>() >> (64 - bits),
            };
            let (at, kind, a, b) = (
                field(64),
                field(8) as u8,
                field(32) as u32,
                field(32) as u32,
            );
            d.add(at, kind, a, b);
            let record = (at.to_le_bytes().into_iter())
                .chain([kind])
                .chain(a.to_le_bytes())
                .chain(b.to_le_bytes());
            reference = record.fold(reference, |h, byte| {
                (h ^ byte as u64).wrapping_mul(FNV_PRIME)
            });
            assert_eq!(d.0, reference, "after ({at}, {kind}, {a}, {b})");
        }
    }

    #[test]
    fn order_changes_the_digest() {
        let (mut ab, mut ba) = (StreamDigest::default(), StreamDigest::default());
        ab.add(10, 1, 1, 0);
        ab.add(10, 1, 2, 0);
        ba.add(10, 1, 2, 0);
        ba.add(10, 1, 1, 0);
        assert_ne!(ab, ba);
        assert_eq!(StreamDigest::default().hex(), "cbf29ce484222325");
    }
}

//! Early loads of memory a step is about to read.
//!
//! A long run comes back to each node only once per restart of its JobSet, and by then the
//! node's entries in a dozen per-node arrays are out of the core's caches. A step that
//! reads them one after the other (reserve a node's resources, then re-class it, then
//! update the trees over it) waits for each miss in turn. Touching them all first lets the
//! misses overlap: a prefetch hint is not waited for, so the core issues them all at once
//! and runs on; the reads that follow find the lines in cache or on their way.
//!
//! The hint is x86-64's `prefetcht0`. A plain load whose value is kept (`black_box`) was
//! tried first: the core cannot retire past a load it must keep the value of, so each touch
//! still waited for its miss, and the time moved from the readers to the touches. On other
//! targets `touch` does nothing; results never depend on it.

/// Starts the load of `values[i]`'s cache line into every cache level (nothing when `i` is
/// out of range, or off x86-64).
#[inline(always)]
pub fn touch<T>(values: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(v) = values.get(i) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint: it reads nothing into the program, never faults,
        // and the address is that of a live element of `values`. SSE, which the intrinsic
        // requires, is part of the x86-64 baseline every build targets.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((v as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, i);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_out_of_range_is_a_no_op() {
        let v = [1u32, 2, 3];
        touch(&v, 2);
        touch(&v, 3);
        touch::<u8>(&[], 0);
    }
}

//! The command's allocator: the system allocator, asking the kernel to back the heap with
//! transparent huge pages (`madvise(MADV_HUGEPAGE)`), as glibc does when its
//! `glibc.malloc.hugetlb=1` tunable is set.
//!
//! Why: a run's memory is mostly arrays that grow once and are then read at random (per node,
//! per pod, the event queue's buckets). With 4 KiB pages each first touch is a page fault
//! and a zeroed page (recovery-15k took about 9,700 faults, an eighth of its time in the
//! kernel), and each cold read can miss the TLB too. Where the kernel's THP mode is `madvise`
//! (a common default) this hint is what lets it use 2 MiB pages; under `always` it changes
//! nothing, and under `never` the kernel ignores it. Addresses never reach the outputs, so
//! the hint cannot change a result.
//!
//! What is advised: the main heap as it grows (glibc extends it with `brk`; whether an
//! extension keeps the flag depends on the kernel, so each growth seen is advised once), and
//! every block large enough to hold a whole huge page (glibc maps those on their own). Blocks
//! of the worker threads' arenas (`sweep`, `swarm`) get only the second.

use std::alloc::{GlobalAlloc, Layout, System};
#[cfg(all(target_os = "linux", target_env = "gnu"))]
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};

/// The huge page size of x86-64 (and of arm64 with 4 KiB base pages).
const HUGE_PAGE_BYTES: usize = 2 << 20;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const BASE_PAGE_BYTES: usize = 4 << 10;

pub(crate) struct HugePageHint;

/// Whether the hints are on (`enable_unless_opted_out`); off, this is glibc's allocator as is.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The end of the heap already advised (0 until the first allocation sees it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
static ADVISED_HEAP_END: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to `System` unchanged; the hints only advise the kernel about
// memory this process already owns.
unsafe impl GlobalAlloc for HugePageHint {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc_zeroed(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(block, layout, new_size) };
        advise(moved, new_size);
        moved
    }
}

/// Advises the heap's growth since the last call, and the whole huge pages inside a large
/// block.
fn advise(block: *mut u8, len: usize) {
    if block.is_null() || !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    // A block that ends below the advised end of the heap is in advised heap: no growth to
    // look for (asking for the heap's end on every allocation cost 1 % of a run).
    if block as usize + len > advised_heap_end() {
        advise_heap_growth();
    }
    if len >= HUGE_PAGE_BYTES {
        let start = (block as usize).next_multiple_of(HUGE_PAGE_BYTES);
        let end = (block as usize + len) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
        if end > start {
            hint_kernel(start, end - start);
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn advise_heap_growth() {
    // SAFETY: `sbrk(0)` moves nothing: it returns the current end of the heap.
    let end = unsafe { libc::sbrk(0) } as usize;
    let advised = ADVISED_HEAP_END.load(Ordering::Relaxed);
    if end <= advised || end == usize::MAX {
        return;
    }
    if ADVISED_HEAP_END
        .compare_exchange(advised, end, Ordering::Relaxed, Ordering::Relaxed)
        .is_err()
    {
        return; // another thread advises this growth
    }
    // The first call only notes the end: what the runtime allocated before main is small.
    if advised != 0 {
        let start = advised / BASE_PAGE_BYTES * BASE_PAGE_BYTES;
        hint_kernel(start, end - start);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn advise_heap_growth() {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn advised_heap_end() -> usize {
    ADVISED_HEAP_END.load(Ordering::Relaxed)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn advised_heap_end() -> usize {
    usize::MAX
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn hint_kernel(start: usize, len: usize) {
    // SAFETY: madvise reads and writes no memory; the range is page-aligned and mapped by
    // this process. A refusal (THP compiled out) leaves the pages as they were: ignored.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn hint_kernel(_start: usize, _len: usize) {}

/// Turns the hints on, unless `JOBSET_SIM_HUGE_PAGES=0` asks for glibc's allocator as it is
/// (where huge pages cost more than they save: in a virtual machine whose host backs a
/// guest's fresh 2 MiB page on its first write, llama3-54d ran a few per cent slower with
/// them, `results/speed-2026-12-13.md`). Called first thing in `main`.
pub(crate) fn enable_unless_opted_out() {
    if opted_out(std::env::var("JOBSET_SIM_HUGE_PAGES").ok().as_deref()) {
        return;
    }
    grow_heap_by_huge_pages();
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether the value of `JOBSET_SIM_HUGE_PAGES` turns the hints off: `0` does (spaces
/// around it allowed); unset or anything else leaves them on.
fn opted_out(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim() == "0")
}

/// Sets glibc's heap for huge pages, before the run allocates much:
/// - it grows 32 MiB at a time (the default pad is 128 KiB). glibc writes the header of the
///   heap's free top into a growth before this allocator sees it: that write maps a small
///   page, and the huge page around it starts as small pages. With the default pad that
///   happened to nearly every huge page of the heap (recovery-15k: 9,500 page faults where
///   there are now about 1,300); now to one in sixteen. Pad never touched is not resident.
/// - blocks under 32 MiB come from the heap. Setting the pad turns off glibc's own sliding
///   threshold (128 KiB up to 32 MiB, raised by each large block freed), which would leave
///   every block over 128 KiB mapped afresh, page fault by page fault, each time it grows.
fn grow_heap_by_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: a plain setting of the allocator, made before the run allocates much.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, (16 * HUGE_PAGE_BYTES) as libc::c_int);
        libc::mallopt(
            libc::M_MMAP_THRESHOLD,
            (16 * HUGE_PAGE_BYTES) as libc::c_int,
        );
    }
}

#[cfg(test)]
#[test]
fn only_a_zero_turns_the_hints_off() {
    assert!(opted_out(Some("0")));
    assert!(opted_out(Some(" 0\n")));
    for on in [None, Some(""), Some("1"), Some("00"), Some("off")] {
        assert!(!opted_out(on), "{on:?}");
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// The flags of the mapping holding `address`, from `/proc/self/smaps` (`VmFlags:`).
    fn mapping_flags(address: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().unwrap_or("");
            if let Some((from, to)) = range.split_once('-') {
                if let (Ok(from), Ok(to)) = (
                    usize::from_str_radix(from, 16),
                    usize::from_str_radix(to, 16),
                ) {
                    inside = (from..to).contains(&address);
                    continue;
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return Some(flags.to_string());
                }
            }
        }
        None
    }

    /// Turns the hints on (a test binary has no `main` to do it) where the kernel has THP: a
    /// kernel without it refuses the hint, and there is nothing to see.
    fn thp_available() -> bool {
        super::ENABLED.store(true, std::sync::atomic::Ordering::Relaxed);
        std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists()
    }

    fn is_advised(address: usize) -> bool {
        let flags = mapping_flags(address).expect("a mapping holds the address");
        flags.split_whitespace().any(|f| f == "hg")
    }

    #[test]
    fn a_large_block_is_advised_through_the_global_allocator() {
        if !thp_available() {
            return;
        }
        let large = vec![1u8; 8 * super::HUGE_PAGE_BYTES];
        assert!(is_advised(large.as_ptr() as usize + large.len() / 2));
    }

    /// The main heap's growth is advised when an allocation next sees it. (Test threads
    /// allocate from glibc's per-thread arenas, not the main heap: the growth is made here
    /// with `sbrk` itself, and left in place, as glibc allows foreign growth of the heap.)
    #[test]
    fn the_heap_grown_since_the_last_allocation_is_advised() {
        if !thp_available() {
            return;
        }
        super::advise_heap_growth();
        // SAFETY: grows the heap by 4 huge pages that nothing else uses.
        let start = unsafe { libc::sbrk(4 * super::HUGE_PAGE_BYTES as libc::intptr_t) } as usize;
        assert_ne!(start, usize::MAX, "sbrk failed");
        super::advise_heap_growth();
        let advised_end = super::ADVISED_HEAP_END.load(std::sync::atomic::Ordering::Relaxed);
        assert!(advised_end >= start + 4 * super::HUGE_PAGE_BYTES);
        assert!(is_advised(start + super::HUGE_PAGE_BYTES));
    }
}

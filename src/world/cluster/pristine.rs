//! Pristine nodes: nodes exactly as their pool built them (no pod reserved, the pool's taints
//! only, schedulable). For a pod without node or pod affinity, every pristine node of one pool
//! passes the same filters and scores the same, so the scheduler can count and pick them from
//! Fenwick trees instead of visiting each (`scheduler::fast`). Nodes that are not pristine are
//! found through a free-capacity index that skips the pristine ones.
//!
//! Nodes in use that are otherwise as their pool built them (its taints only, none of them
//! PreferNoSchedule, schedulable) are grouped the same way by their reservation state (used
//! classes: the same allocatable, used and score-used amounts): a pod passes the same filters
//! on every node of one class and scores them alike, so the fast path counts and picks them
//! from one Fenwick tree per class too. At most `MAX_CLASSES` classes hold nodes at once; a
//! node whose state would need another is left to the free-capacity index, as before.
//!
//! Nodes carrying a NoSchedule or NoExecute taint their pool did not give them (a NotReady
//! node's `unreachable` taint, waiting for repair) are kept out of that index too, grouped by
//! their whole taint list: a pod that tolerates none of a group's lists is rejected by every
//! node of it, so the scheduler checks each list once per decision instead of walking past
//! every such node (a long run accumulates dozens of them).

use super::free_index::FreeIndex;
use super::Taint;

/// Counts over node ids with O(log n) prefix sums and k-th selection.
///
/// The tree is sized to a power of two (positions past `n` stay zero), so selection needs no
/// bounds test in its descent and compiles to conditional moves: the scheduler's fast path
/// selects several times per decision, and the branches of the bounded form mispredicted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fenwick {
    tree: Vec<u32>,
    n: usize,
}

impl Fenwick {
    pub(crate) fn new(n: usize) -> Self {
        Fenwick {
            tree: vec![0; n.next_power_of_two() + 1],
            n,
        }
    }

    /// Starts loading the leaf that `add(i, _)` writes first (the levels above it are
    /// shared by many nodes, and warm).
    pub(crate) fn prefetch(&self, i: usize) {
        crate::engine::prefetch::touch(&self.tree, i + 1);
    }

    pub(crate) fn add(&mut self, i: usize, delta: i32) {
        let mut i = i + 1;
        while i < self.tree.len() {
            self.tree[i] = (self.tree[i] as i64 + delta as i64) as u32;
            i += i & i.wrapping_neg();
        }
    }

    /// `add` to two trees of the same size at once (a node's pool entry and all entries):
    /// one climb for both.
    pub(crate) fn add_to_both(a: &mut Fenwick, b: &mut Fenwick, i: usize, delta: i32) {
        assert_eq!(a.tree.len(), b.tree.len(), "trees over the same nodes");
        let mut i = i + 1;
        while i < a.tree.len() {
            a.tree[i] = a.tree[i].wrapping_add_signed(delta);
            b.tree[i] = b.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Ones in all.
    pub(crate) fn total(&self) -> u32 {
        self.tree[self.tree.len() - 1] // the root counts every position
    }

    /// Ones in [0, i).
    pub(crate) fn prefix(&self, i: usize) -> u32 {
        let mut i = i.min(self.tree.len() - 1);
        let mut s = 0;
        while i > 0 {
            s += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// Ones in [a, b).
    pub(crate) fn range(&self, a: usize, b: usize) -> u32 {
        if b <= a {
            0
        } else {
            self.prefix(b) - self.prefix(a)
        }
    }

    /// The position of the one with rank `k` (0-based), if there are more than `k`.
    pub(crate) fn select(&self, k: u32) -> Option<usize> {
        let size = self.tree.len() - 1;
        let mut rem = k + 1;
        if self.tree[size] < rem {
            return None; // `tree[size]` counts everything
        }
        // Below the root every probe stays within the tree.
        let mut pos = 0;
        let mut step = size / 2;
        while step > 0 {
            let v = self.tree[pos + step];
            let take = v < rem;
            pos += if take { step } else { 0 };
            rem -= if take { v } else { 0 };
            step /= 2;
        }
        (pos < self.n).then_some(pos)
    }
}

/// A sum of Fenwick trees over the same nodes: counts and selects over the union of the
/// node sets they count (disjoint sets: pristine nodes of some entries, used classes).
#[derive(Clone, Copy)]
pub(crate) struct TreeSum<'a> {
    trees: [Option<&'a Fenwick>; MAX_TREES],
    len: usize,
}

/// Trees a sum can hold: every pool entry's and every used class's, and the all-entries one.
pub(crate) const MAX_TREES: usize = 40;

impl Default for TreeSum<'_> {
    fn default() -> Self {
        TreeSum {
            trees: [None; MAX_TREES],
            len: 0,
        }
    }
}

impl<'a> TreeSum<'a> {
    pub(crate) fn push(&mut self, t: &'a Fenwick) {
        self.trees[self.len] = Some(t);
        self.len += 1;
    }

    fn each(&self) -> impl Iterator<Item = &'a Fenwick> + '_ {
        self.trees[..self.len].iter().map(|t| t.expect("pushed"))
    }

    /// Whether it sums no tree.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Counted nodes in [0, i).
    pub(crate) fn prefix(&self, i: usize) -> u32 {
        self.each().map(|t| t.prefix(i)).sum()
    }

    /// Counted nodes in [a, b).
    #[cfg(test)]
    pub(crate) fn range(&self, a: usize, b: usize) -> u32 {
        self.each().map(|t| t.range(a, b)).sum()
    }

    /// The counted node of rank `k` (0-based). Inlined up to the one-tree case, the fast
    /// path's usual one (it selects twice per decision).
    #[inline]
    pub(crate) fn select(&self, k: u32) -> Option<usize> {
        if self.len == 1 {
            return self.trees[0].expect("pushed").select(k);
        }
        self.select_summed(k)
    }

    /// `select` over several trees: one descent over their sums (all trees of one cluster
    /// have the same size).
    fn select_summed(&self, k: u32) -> Option<usize> {
        let first = self.trees[..self.len].first().copied().flatten()?;
        let size = first.tree.len() - 1;
        let mut rem = k + 1;
        if self.each().map(|t| t.tree[size]).sum::<u32>() < rem {
            return None;
        }
        let mut pos = 0;
        let mut step = size / 2;
        while step > 0 {
            let v: u32 = self.each().map(|t| t.tree[pos + step]).sum();
            if v < rem {
                pos += step;
                rem -= v;
            }
            step /= 2;
        }
        (pos < first.n).then_some(pos)
    }
}

/// Most used classes holding nodes at once.
pub(crate) const MAX_CLASSES: usize = 16;
const NO_CLASS: u32 = u32::MAX;

/// Nodes of one pool entry in one reservation state (see the module's comment).
#[derive(Debug, Clone)]
pub(crate) struct UsedClass {
    spec: u16,
    /// Allocatable, then used, per resource; then the two score-used amounts.
    key: Vec<i64>,
    pub nodes: u32,
    pub tree: Fenwick,
    representative: std::cell::Cell<u32>,
    /// Changes whenever the slot takes a new state, so that what was worked out for the
    /// class's nodes (the scheduler's `fast::CountedScores`) is known to be for its state.
    generation: u64,
}

impl UsedClass {
    /// The slot's state: a generation no other state of any slot has had.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Pristine {
    /// The `cluster.nodePools` entry each node was built from.
    pub spec_of: Vec<u16>,
    pub base_taints: Vec<Vec<Taint>>,
    pub is: Vec<bool>,
    /// Pristine nodes per pool entry, and of every entry together.
    pub per_spec: Vec<Fenwick>,
    pub all: Fenwick,
    /// Free capacity of the nodes that are not pristine and not in a taint group
    /// (`i64::MIN` for the others).
    pub others_free: FreeIndex,
    /// Whether each node is listed in `others_free` (`i64::MIN` in none of its dimensions):
    /// a node that stays out of it, as most do (pristine, classed or tainted), is not
    /// written to it again.
    in_others: Vec<bool>,
    /// Used classes (slots: an empty one is reused for the next new state).
    pub classes: Vec<UsedClass>,
    /// Each node's used class (`NO_CLASS` when in none).
    class_of: Vec<u32>,
    /// Schedulable, non-pristine nodes with a hard taint their pool did not give them, by
    /// taint list.
    pub taint_groups: Vec<TaintGroup>,
    /// Each node's taint group (`NO_GROUP` when in none).
    group_of: Vec<u32>,
    /// Per entry, the pristine node last used to stand for all of them (any one answers the
    /// filters and scores alike); found again by selection only once it stops being pristine.
    representative: Vec<std::cell::Cell<u32>>,
    /// Per topology a domain walk counts in bulk (`scheduler::fast`): its pristine nodes
    /// outside the domains that hold placed pods.
    pub free_domains: Vec<FreeDomains>,
    /// Class states handed out so far (`UsedClass::generation`).
    class_generations: u64,
}

/// The pristine nodes of one topology's free domains: those that hold no placed pod (as the
/// scheduler's affinity index counts them). A domain walk visits every such node without a
/// per-domain verdict (nothing placed there can repel the pod, and its affinity allows any
/// domain), so it counts them from `tree` across any number of domains at once; only the
/// domains holding pods, and the nodes without the topology's label, are looked at one by
/// one.
#[derive(Debug, Clone)]
pub(crate) struct FreeDomains {
    /// Each node's domain (`u32::MAX`: none).
    domain_of: Vec<u32>,
    /// Each domain's node ranges.
    ranges: Vec<Vec<(u32, u32)>>,
    /// Whether the domain holds placed pods.
    occupied: Vec<bool>,
    /// Pristine nodes in free domains.
    pub tree: Fenwick,
}

impl FreeDomains {
    /// Whether node `n` lies in a free domain.
    pub(crate) fn free(&self, n: usize) -> bool {
        let d = self.domain_of[n];
        d != u32::MAX && !self.occupied[d as usize]
    }
}

/// Nodes that share one taint list.
#[derive(Debug, Clone)]
pub(crate) struct TaintGroup {
    pub taints: Vec<Taint>,
    pub nodes: u32,
}

const NO_GROUP: u32 = u32::MAX;

/// Where a node stands for the scheduler's fast path.
pub(crate) enum NodeClass<'a> {
    /// As its pool built it.
    Pristine,
    /// Anything else that may fit a pod: found through `others_free`.
    Other,
    /// Carries these extra hard taints (and is schedulable otherwise).
    Tainted(&'a [Taint]),
    /// In use, schedulable, with its pool's taints only (none of them soft).
    Used(UsedState<'a>),
}

/// A used node's allocatable, used and score-used amounts: the pieces of `UsedClass::key`,
/// compared where they lie (copying them into one key per reservation and release was a
/// tenth of the cluster's work per pod).
#[derive(Clone, Copy)]
pub(crate) struct UsedState<'a> {
    pub alloc: &'a [i64],
    pub used: &'a [i64],
    pub score_used: &'a [i64; 2],
}

impl UsedState<'_> {
    /// Whether `key` (allocatable, then used, then score-used) is this state.
    fn is(&self, key: &[i64]) -> bool {
        let r = self.alloc.len();
        key.len() == 2 * r + 2
            && eq_i64(&key[..r], self.alloc)
            && eq_i64(&key[r..2 * r], self.used)
            && eq_i64(&key[2 * r..], self.score_used)
    }

    /// The state as one key.
    fn key(&self) -> Vec<i64> {
        [self.alloc, self.used, self.score_used].concat()
    }
}

/// Slices of a few amounts compared inline (the slice `==` calls out to `bcmp`).
fn eq_i64(a: &[i64], b: &[i64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl Pristine {
    /// Every node starts pristine.
    pub(crate) fn new(spec_of: Vec<u16>, base_taints: Vec<Vec<Taint>>, dims: usize) -> Self {
        let n = spec_of.len();
        let mut per_spec = vec![Fenwick::new(n); base_taints.len()];
        let mut all = Fenwick::new(n);
        for (i, &s) in spec_of.iter().enumerate() {
            per_spec[s as usize].add(i, 1);
            all.add(i, 1);
        }
        let free = vec![vec![i64::MIN; n]; dims];
        Pristine {
            representative: vec![std::cell::Cell::new(u32::MAX); base_taints.len()],
            is: vec![true; n],
            taint_groups: vec![],
            group_of: vec![NO_GROUP; n],
            classes: vec![],
            class_of: vec![NO_CLASS; n],
            others_free: FreeIndex::new(&free, n),
            in_others: vec![false; n],
            spec_of,
            base_taints,
            per_spec,
            all,
            free_domains: vec![],
            class_generations: 0,
        }
    }

    /// Starts counting the pristine nodes of a topology's free domains (see [`FreeDomains`]):
    /// each node's domain, the topology's runs `(first, last + 1, domain)` and which domains
    /// hold placed pods now. Returns its index in `free_domains`.
    pub(crate) fn watch_domains(
        &mut self,
        domain_of: Vec<u32>,
        runs: &[(u32, u32, u32)],
        occupied: Vec<bool>,
    ) -> usize {
        let mut ranges = vec![vec![]; occupied.len()];
        for &(a, b, d) in runs {
            if d != u32::MAX {
                ranges[d as usize].push((a, b));
            }
        }
        let mut fd = FreeDomains {
            domain_of,
            ranges,
            occupied,
            tree: Fenwick::new(self.is.len()),
        };
        for (n, &p) in self.is.iter().enumerate() {
            if p && fd.free(n) {
                fd.tree.add(n, 1);
            }
        }
        self.free_domains.push(fd);
        self.free_domains.len() - 1
    }

    /// Domain `d` of watched topology `w` now holds placed pods (`occupied`) or none.
    pub(crate) fn set_occupied(&mut self, w: usize, d: u32, occupied: bool) {
        let fd = &mut self.free_domains[w];
        if fd.occupied[d as usize] == occupied {
            return;
        }
        fd.occupied[d as usize] = occupied;
        let delta = if occupied { -1 } else { 1 };
        for &(a, b) in &fd.ranges[d as usize] {
            for n in a as usize..b as usize {
                if self.is[n] {
                    fd.tree.add(n, delta);
                }
            }
        }
    }

    pub(crate) fn specs(&self) -> usize {
        self.base_taints.len()
    }

    /// A pristine node of entry `e`, if it has any.
    pub(crate) fn representative(&self, e: usize) -> Option<usize> {
        let cached = self.representative[e].get() as usize;
        if cached < self.is.len() && self.is[cached] {
            return Some(cached);
        }
        let found = self.per_spec[e].select(0)?;
        self.representative[e].set(found as u32);
        Some(found)
    }

    /// A node of used class `c`, if it has any (cached like `representative`).
    pub(crate) fn class_representative(&self, c: usize) -> Option<usize> {
        let class = &self.classes[c];
        let cached = class.representative.get() as usize;
        if cached < self.class_of.len() && self.class_of[cached] == c as u32 {
            return Some(cached);
        }
        let found = class.tree.select(0)?;
        class.representative.set(found as u32);
        Some(found)
    }

    /// The used class for a node of entry `spec` in state `state`: the one holding that
    /// state, else an empty slot, else a new one while there are fewer than `MAX_CLASSES`.
    fn class_for(&mut self, spec: u16, state: UsedState) -> u32 {
        if let Some(c) = (self.classes.iter()).position(|c| c.spec == spec && state.is(&c.key)) {
            return c as u32;
        }
        let slot = match self.classes.iter().position(|c| c.nodes == 0) {
            Some(c) => c,
            None if self.classes.len() < MAX_CLASSES => {
                self.classes.push(UsedClass {
                    spec,
                    key: vec![],
                    nodes: 0,
                    tree: Fenwick::new(self.is.len()),
                    representative: std::cell::Cell::new(u32::MAX),
                    generation: 0,
                });
                self.classes.len() - 1
            }
            None => return NO_CLASS,
        };
        let c = &mut self.classes[slot];
        c.spec = spec;
        c.key = state.key();
        c.generation = self.class_generations;
        self.class_generations += 1;
        slot as u32
    }

    /// Brings node `n`'s entries up to date with its state.
    pub(crate) fn sync(&mut self, n: usize, class: NodeClass, free: impl Iterator<Item = i64>) {
        // Out of its used class first, so that its slot can take the node's new state.
        let old_class = self.class_of[n];
        if old_class != NO_CLASS {
            let c = &mut self.classes[old_class as usize];
            c.nodes -= 1;
            c.tree.add(n, -1);
            self.class_of[n] = NO_CLASS;
        }
        let used_class = match &class {
            NodeClass::Used(state) => self.class_for(self.spec_of[n], *state),
            _ => NO_CLASS,
        };
        if used_class != NO_CLASS {
            let c = &mut self.classes[used_class as usize];
            c.nodes += 1;
            c.tree.add(n, 1);
            self.class_of[n] = used_class;
        }
        let pristine = matches!(class, NodeClass::Pristine);
        if pristine != self.is[n] {
            self.is[n] = pristine;
            let d = if pristine { 1 } else { -1 };
            let spec = &mut self.per_spec[self.spec_of[n] as usize];
            Fenwick::add_to_both(spec, &mut self.all, n, d);
            for fd in &mut self.free_domains {
                if fd.free(n) {
                    fd.tree.add(n, d);
                }
            }
        }
        let group = match class {
            NodeClass::Tainted(taints) => {
                match self.taint_groups.iter().position(|g| g.taints == taints) {
                    Some(g) => g as u32,
                    None => {
                        self.taint_groups.push(TaintGroup {
                            taints: taints.to_vec(),
                            nodes: 0,
                        });
                        (self.taint_groups.len() - 1) as u32
                    }
                }
            }
            _ => NO_GROUP,
        };
        let old = self.group_of[n];
        if old != group {
            if old != NO_GROUP {
                self.taint_groups[old as usize].nodes -= 1;
            }
            if group != NO_GROUP {
                self.taint_groups[group as usize].nodes += 1;
            }
            self.group_of[n] = group;
        }
        let listed = match class {
            NodeClass::Other => true,
            NodeClass::Used(_) => used_class == NO_CLASS,
            _ => false,
        };
        if listed || self.in_others[n] {
            for (dim, f) in free.enumerate() {
                self.others_free
                    .set(dim, n, if listed { f } else { i64::MIN });
            }
            self.in_others[n] = listed;
        }
    }

    /// Starts loading what `sync` reads and writes of node `n` (`engine::prefetch`).
    #[inline(always)]
    pub(crate) fn prefetch(&self, n: usize) {
        use crate::engine::prefetch::touch;
        touch(&self.class_of, n);
        touch(&self.is, n);
        touch(&self.spec_of, n);
        touch(&self.group_of, n);
        touch(&self.in_others, n);
        self.all.prefetch(n);
        for fd in &self.free_domains {
            touch(&fd.domain_of, n);
            fd.tree.prefetch(n);
        }
        // Last: its address waits for the node's spec, which the line above started loading.
        if let Some(&spec) = self.spec_of.get(n) {
            self.per_spec[spec as usize].prefetch(n);
        }
    }

    /// The taint lists of the groups that hold nodes now.
    pub(crate) fn live_taint_groups(&self) -> impl Iterator<Item = &[Taint]> {
        self.taint_groups
            .iter()
            .filter(|g| g.nodes > 0)
            .map(|g| g.taints.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenwick_counts_and_selects() {
        let mut f = Fenwick::new(10);
        for i in [1, 4, 5, 9] {
            f.add(i, 1);
        }
        assert_eq!(f.prefix(5), 2);
        assert_eq!(f.range(4, 10), 3);
        assert_eq!(f.select(0), Some(1));
        assert_eq!(f.select(2), Some(5));
        assert_eq!(f.select(3), Some(9));
        assert_eq!(f.select(4), None);
        f.add(4, -1);
        assert_eq!(f.select(1), Some(5));
        let one = Fenwick::new(1);
        assert_eq!(one.select(0), None);
    }

    #[test]
    fn adding_to_both_trees_adds_to_each() {
        let (mut a, mut b) = (Fenwick::new(37), Fenwick::new(37));
        let (mut a1, mut b1) = (a.clone(), b.clone());
        for (i, d) in [(0, 1), (5, 1), (36, 1), (5, -1), (20, 1), (0, -1)] {
            Fenwick::add_to_both(&mut a, &mut b, i, d);
            a1.add(i, d);
            b1.add(i, d);
        }
        assert_eq!((a.tree.clone(), b.tree.clone()), (a1.tree, b1.tree));
        assert_eq!(a.select(1), Some(36));
    }

    #[test]
    fn fenwick_matches_a_plain_count_at_every_size() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for n in [0usize, 1, 2, 3, 5, 8, 9, 31, 33, 100] {
            let mut f = Fenwick::new(n);
            let mut ones = vec![false; n];
            for _ in 0..200 {
                if n > 0 {
                    let i = rng.gen_range(0..n);
                    f.add(i, if ones[i] { -1 } else { 1 });
                    ones[i] = !ones[i];
                }
                let positions: Vec<usize> = (0..n).filter(|&i| ones[i]).collect();
                for k in 0..=positions.len() {
                    assert_eq!(f.select(k as u32), positions.get(k).copied(), "n {n} k {k}");
                }
                let a = rng.gen_range(0..=n);
                let b = rng.gen_range(0..=n);
                let want = (a..b.max(a)).filter(|&i| ones[i]).count() as u32;
                assert_eq!(f.range(a, b), want, "n {n} [{a}, {b})");
            }
        }
    }

    #[test]
    fn tree_sums_count_and_select_over_the_union() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for n in [1usize, 2, 7, 33, 100] {
            // Three disjoint sets: each node in at most one tree.
            let mut trees = vec![Fenwick::new(n); 3];
            let mut owner: Vec<Option<usize>> = vec![None; n];
            for _ in 0..300 {
                let i = rng.gen_range(0..n);
                if let Some(t) = owner[i] {
                    trees[t].add(i, -1);
                    owner[i] = None;
                } else {
                    let t = rng.gen_range(0..3);
                    trees[t].add(i, 1);
                    owner[i] = Some(t);
                }
                let pick: Vec<usize> = (0..3).filter(|_| rng.gen_bool(0.6)).collect();
                let mut sum = TreeSum::default();
                for &t in &pick {
                    sum.push(&trees[t]);
                }
                let counted: Vec<usize> = (0..n)
                    .filter(|&i| owner[i].is_some_and(|t| pick.contains(&t)))
                    .collect();
                for k in 0..=counted.len() {
                    assert_eq!(sum.select(k as u32), counted.get(k).copied(), "n {n} k {k}");
                }
                let a = rng.gen_range(0..=n);
                let b = rng.gen_range(0..=n);
                let want = counted.iter().filter(|&&i| a <= i && i < b).count() as u32;
                assert_eq!(sum.range(a, b), want);
            }
        }
    }

    /// The free-domain tree counts exactly the pristine nodes of domains without placed
    /// pods (never a node without a domain), through random node and domain changes, from a
    /// watch started midway.
    #[test]
    fn free_domains_count_pristine_nodes_of_free_domains() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let n = 60;
        // Domains of uneven runs (one domain in two runs), and nodes of no domain.
        let domain_of: Vec<u32> = (0..n)
            .map(|i| match i {
                0..=9 => 0,
                10..=14 => u32::MAX,
                15..=29 => 1,
                30..=39 => 0,
                40..=44 => 2,
                _ => 3,
            })
            .collect();
        let mut runs: Vec<(u32, u32, u32)> = vec![];
        for (i, &d) in domain_of.iter().enumerate() {
            match runs.last_mut() {
                Some(r) if r.2 == d => r.1 += 1,
                _ => runs.push((i as u32, i as u32 + 1, d)),
            }
        }
        let mut p = Pristine::new(vec![0; n], vec![vec![]], 1);
        let free = |f: i64| std::iter::once(f);
        let mut occupied = vec![false; 4];
        for i in (0..n).step_by(7) {
            p.sync(i, NodeClass::Other, free(0));
        }
        occupied[1] = true;
        let w = p.watch_domains(domain_of.clone(), &runs, occupied.clone());
        for step in 0..400 {
            if rng.gen_bool(0.5) {
                let i = rng.gen_range(0..n);
                if rng.gen_bool(0.5) {
                    p.sync(i, NodeClass::Pristine, free(8));
                } else {
                    p.sync(i, NodeClass::Other, free(0));
                }
            } else {
                let d = rng.gen_range(0..4);
                occupied[d] = !occupied[d];
                p.set_occupied(w, d as u32, occupied[d]);
            }
            let fd = &p.free_domains[w];
            let want: Vec<usize> = (0..n)
                .filter(|&i| {
                    let d = domain_of[i];
                    p.is[i] && d != u32::MAX && !occupied[d as usize]
                })
                .collect();
            for i in 0..n {
                assert_eq!(
                    fd.free(i),
                    domain_of[i] != u32::MAX && !occupied[domain_of[i] as usize]
                );
            }
            for k in 0..=want.len() {
                assert_eq!(
                    fd.tree.select(k as u32),
                    want.get(k).copied(),
                    "step {step}"
                );
            }
        }
    }

    #[test]
    fn used_nodes_are_grouped_by_state_up_to_the_class_limit() {
        let n = MAX_CLASSES + 4;
        let mut p = Pristine::new(vec![0; n], vec![vec![]], 1);
        let free = |f: i64| std::iter::once(f);
        let sync_used = |p: &mut Pristine, node: usize, u: i64, f: i64| {
            let state = UsedState {
                alloc: &[32],
                used: &[u],
                score_used: &[u, u],
            };
            p.sync(node, NodeClass::Used(state), free(f))
        };
        // Nodes 0 and 1 share a state; node 2 has another.
        sync_used(&mut p, 0, 8, 24);
        sync_used(&mut p, 1, 8, 24);
        sync_used(&mut p, 2, 16, 16);
        assert_eq!(p.classes.len(), 2);
        assert_eq!(p.classes[0].tree.range(0, n), 2);
        assert_eq!(p.class_representative(0), Some(0));
        assert_eq!(
            p.others_free.next_fit_all(&[1], 0),
            None,
            "classed nodes are counted"
        );
        // Node 0 moves to node 2's state; its old class keeps node 1.
        sync_used(&mut p, 0, 16, 16);
        assert_eq!(p.class_representative(0), Some(1));
        assert_eq!(p.classes[1].tree.range(0, n), 2);
        // Node 1 leaves: its class empties and its slot takes the next new state.
        p.sync(1, NodeClass::Pristine, free(32));
        assert_eq!(p.class_representative(0), None);
        sync_used(&mut p, 3, 24, 8);
        assert_eq!(p.classes.len(), 2, "the empty slot is reused");
        assert_eq!(p.class_representative(0), Some(3));
        // Past the limit, a node in a new state is left to the free index.
        for i in 0..n - 4 {
            sync_used(&mut p, 4 + i, 100 + i as i64, 1);
        }
        assert_eq!(p.classes.len(), MAX_CLASSES);
        let unclassed = 4 + MAX_CLASSES - 2;
        assert_eq!(p.others_free.next_fit_all(&[1], 0), Some(unclassed));
        // Once its node leaves a class, a later sync of that node finds the freed slot.
        p.sync(2, NodeClass::Pristine, free(32));
        p.sync(0, NodeClass::Pristine, free(32));
        sync_used(&mut p, unclassed, 999, 1);
        assert_eq!(
            p.others_free.next_fit_all(&[1], unclassed),
            Some(unclassed + 1)
        );
    }

    #[test]
    fn tainted_nodes_leave_the_others_index_and_are_counted_by_taint_list() {
        use crate::cluster::TaintEffect;
        let unreachable = Taint {
            key: "node.kubernetes.io/unreachable".into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        };
        let mut p = Pristine::new(vec![0; 4], vec![vec![]], 1);
        let free = |f: i64| std::iter::once(f);
        p.sync(1, NodeClass::Other, free(8));
        p.sync(
            2,
            NodeClass::Tainted(std::slice::from_ref(&unreachable)),
            free(8),
        );
        p.sync(
            3,
            NodeClass::Tainted(std::slice::from_ref(&unreachable)),
            free(8),
        );
        assert_eq!(p.all.range(0, 4), 1, "only node 0 is still pristine");
        assert_eq!(p.others_free.next_fit_all(&[8], 0), Some(1));
        assert_eq!(
            p.others_free.next_fit_all(&[8], 2),
            None,
            "tainted nodes are skipped"
        );
        let groups: Vec<&[Taint]> = p.live_taint_groups().collect();
        assert_eq!(groups, vec![std::slice::from_ref(&unreachable)]);
        assert_eq!(p.taint_groups[0].nodes, 2);
        // Repaired: one node back to pristine, one in use again; the group empties.
        p.sync(2, NodeClass::Pristine, free(8));
        p.sync(3, NodeClass::Other, free(0));
        assert_eq!(p.live_taint_groups().count(), 0);
        assert_eq!(p.all.range(0, 4), 2);
        assert_eq!(p.others_free.next_fit_all(&[1], 2), None, "node 3 is full");
    }

    #[test]
    fn representative_is_always_a_pristine_node_of_its_entry() {
        let mut p = Pristine::new(vec![0, 1, 0, 1], vec![vec![], vec![]], 1);
        let free = |f: i64| std::iter::once(f);
        assert_eq!(p.representative(0), Some(0));
        assert_eq!(p.representative(1), Some(1));
        p.sync(0, NodeClass::Other, free(0));
        assert_eq!(
            p.representative(0),
            Some(2),
            "re-selected once node 0 is used"
        );
        p.sync(0, NodeClass::Pristine, free(8));
        assert_eq!(p.representative(0), Some(2), "kept while still pristine");
        p.sync(1, NodeClass::Other, free(0));
        p.sync(3, NodeClass::Other, free(0));
        assert_eq!(p.representative(1), None);
    }
}

//! Pristine nodes: nodes exactly as their pool built them (no pod reserved, the pool's taints
//! only, schedulable). For a pod without node or pod affinity, every pristine node of one pool
//! passes the same filters and scores the same, so the scheduler can count and pick them from
//! Fenwick trees instead of visiting each (`scheduler::fast`). Nodes that are not pristine are
//! found through a free-capacity index that skips the pristine ones.
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

    pub(crate) fn add(&mut self, i: usize, delta: i32) {
        let mut i = i + 1;
        while i < self.tree.len() {
            self.tree[i] = (self.tree[i] as i64 + delta as i64) as u32;
            i += i & i.wrapping_neg();
        }
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
    /// Schedulable, non-pristine nodes with a hard taint their pool did not give them, by
    /// taint list.
    pub taint_groups: Vec<TaintGroup>,
    /// Each node's taint group (`NO_GROUP` when in none).
    group_of: Vec<u32>,
    /// Per entry, the pristine node last used to stand for all of them (any one answers the
    /// filters and scores alike); found again by selection only once it stops being pristine.
    representative: Vec<std::cell::Cell<u32>>,
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
            others_free: FreeIndex::new(&free, n),
            spec_of,
            base_taints,
            per_spec,
            all,
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

    /// Brings node `n`'s entries up to date with its state.
    pub(crate) fn sync(&mut self, n: usize, class: NodeClass, free: impl Iterator<Item = i64>) {
        let pristine = matches!(class, NodeClass::Pristine);
        if pristine != self.is[n] {
            self.is[n] = pristine;
            let d = if pristine { 1 } else { -1 };
            self.per_spec[self.spec_of[n] as usize].add(n, d);
            self.all.add(n, d);
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
        let listed = matches!(class, NodeClass::Other);
        for (dim, f) in free.enumerate() {
            self.others_free
                .set(dim, n, if listed { f } else { i64::MIN });
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

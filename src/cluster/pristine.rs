//! Pristine nodes: nodes exactly as their pool built them (no pod reserved, the pool's taints
//! only, schedulable). For a pod without node or pod affinity, every pristine node of one pool
//! passes the same filters and scores the same, so the scheduler can count and pick them from
//! Fenwick trees instead of visiting each (`scheduler::fast`). Nodes that are not pristine are
//! found through a free-capacity index that skips the pristine ones.

use super::free_index::FreeIndex;
use super::Taint;

/// Counts over node ids with O(log n) prefix sums and k-th selection.
#[derive(Debug, Clone, Default)]
pub struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    pub fn new(n: usize) -> Self {
        Fenwick {
            tree: vec![0; n + 1],
        }
    }

    pub fn add(&mut self, i: usize, delta: i32) {
        let mut i = i + 1;
        while i < self.tree.len() {
            self.tree[i] = (self.tree[i] as i64 + delta as i64) as u32;
            i += i & i.wrapping_neg();
        }
    }

    /// Ones in [0, i).
    pub fn prefix(&self, i: usize) -> u32 {
        let mut i = i.min(self.tree.len() - 1);
        let mut s = 0;
        while i > 0 {
            s += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// Ones in [a, b).
    pub fn range(&self, a: usize, b: usize) -> u32 {
        if b <= a {
            0
        } else {
            self.prefix(b) - self.prefix(a)
        }
    }

    /// The position of the one with rank `k` (0-based), if there are more than `k`.
    pub fn select(&self, k: u32) -> Option<usize> {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut rem = k + 1;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] < rem {
                pos = next;
                rem -= self.tree[next];
            }
            step /= 2;
        }
        (pos < n).then_some(pos)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Pristine {
    /// The `cluster.nodePools` entry each node was built from.
    pub spec_of: Vec<u16>,
    pub base_taints: Vec<Vec<Taint>>,
    pub is: Vec<bool>,
    /// Pristine nodes per pool entry, and of every entry together.
    pub per_spec: Vec<Fenwick>,
    pub all: Fenwick,
    /// Free capacity of the nodes that are not pristine (`i64::MIN` for pristine ones).
    pub others_free: FreeIndex,
}

impl Pristine {
    /// Every node starts pristine.
    pub fn new(spec_of: Vec<u16>, base_taints: Vec<Vec<Taint>>, dims: usize) -> Self {
        let n = spec_of.len();
        let mut per_spec = vec![Fenwick::new(n); base_taints.len()];
        let mut all = Fenwick::new(n);
        for (i, &s) in spec_of.iter().enumerate() {
            per_spec[s as usize].add(i, 1);
            all.add(i, 1);
        }
        let free = vec![vec![i64::MIN; n]; dims];
        Pristine {
            is: vec![true; n],
            others_free: FreeIndex::new(&free, n),
            spec_of,
            base_taints,
            per_spec,
            all,
        }
    }

    pub fn specs(&self) -> usize {
        self.base_taints.len()
    }

    /// Brings node `n`'s entry up to date with its state.
    pub fn sync(&mut self, n: usize, pristine: bool, free: impl Iterator<Item = i64>) {
        if pristine != self.is[n] {
            self.is[n] = pristine;
            let d = if pristine { 1 } else { -1 };
            self.per_spec[self.spec_of[n] as usize].add(n, d);
            self.all.add(n, d);
        }
        for (dim, f) in free.enumerate() {
            self.others_free
                .set(dim, n, if pristine { i64::MIN } else { f });
        }
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
}

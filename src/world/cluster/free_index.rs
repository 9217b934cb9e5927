//! Free capacity per resource as max-segment trees over node ids, so the scheduler can jump
//! from a node to the next one with enough free of a resource in O(log n) instead of testing
//! every full node on the way. The nodes it skips are exactly those NodeResourcesFit would
//! reject, so decisions and the simulated cost of the scan do not change.

#[derive(Debug, Clone, Default)]
pub(crate) struct FreeIndex {
    /// Leaves (a power of two ≥ nodes).
    size: usize,
    nodes: usize,
    /// Per resource, `2 * size` entries: node i's free amount at `size + i`, maxima above.
    trees: Vec<Vec<i64>>,
}

impl FreeIndex {
    /// `free[d][n]`: free amount of resource `d` on node `n`.
    pub(crate) fn new(free: &[Vec<i64>], nodes: usize) -> Self {
        let size = nodes.next_power_of_two().max(1);
        let trees = free
            .iter()
            .map(|col| {
                let mut t = vec![i64::MIN; 2 * size];
                t[size..size + nodes].copy_from_slice(&col[..nodes]);
                for i in (1..size).rev() {
                    t[i] = t[2 * i].max(t[2 * i + 1]);
                }
                t
            })
            .collect();
        FreeIndex { size, nodes, trees }
    }

    /// Node `node` has `free` of resource `dim` now. Inlined up to the test whether it
    /// changed: a node's state change sets every resource, and most stay as they were.
    #[inline]
    pub(crate) fn set(&mut self, dim: usize, node: usize, free: i64) {
        if self.trees[dim][self.size + node] != free {
            self.update(dim, node, free);
        }
    }

    /// `set` of a changed amount: the leaf, and the maxima above it while they change.
    fn update(&mut self, dim: usize, node: usize, free: i64) {
        let t = &mut self.trees[dim];
        let mut i = self.size + node;
        t[i] = free;
        while i > 1 {
            i /= 2;
            let m = t[2 * i].max(t[2 * i + 1]);
            if t[i] == m {
                break; // the maxima above are unchanged
            }
            t[i] = m;
        }
    }

    /// The first node ≥ `from` with at least `need` free of resource `dim`.
    pub(crate) fn next_fit(&self, dim: usize, from: usize, need: i64) -> Option<usize> {
        if from >= self.nodes {
            return None;
        }
        let t = &self.trees[dim];
        if t[1] < need {
            return None; // no node has that much
        }
        let mut i = self.size + from;
        if t[i] < need {
            // Climb until a right sibling subtree holds a node with enough.
            loop {
                if i & 1 == 0 && t[i + 1] >= need {
                    i += 1;
                    break;
                }
                i /= 2;
                if i <= 1 {
                    return None;
                }
            }
            while i < self.size {
                i *= 2;
                if t[i] < need {
                    i += 1;
                }
            }
        }
        let node = i - self.size;
        (node < self.nodes).then_some(node)
    }

    /// The first node ≥ `from` with enough free of every requested resource (`request[d]`,
    /// zero requests ignored): each resource's tree proposes a node and the furthest proposal
    /// wins until all agree.
    pub(crate) fn next_fit_all(&self, request: &[i64], from: usize) -> Option<usize> {
        if from >= self.nodes {
            return None;
        }
        let mut pos = from;
        loop {
            let mut moved = false;
            for (d, &need) in request.iter().enumerate() {
                if need <= 0 {
                    continue;
                }
                let p = self.next_fit(d, pos, need)?;
                if p > pos {
                    pos = p;
                    moved = true;
                }
            }
            if !moved {
                return Some(pos);
            }
        }
    }
}

/// A [`FreeIndex`] over every node that catches up only when read. Every reservation and
/// release moves a node's free amounts, but only the plain scan and the invariant checks read
/// this index (the fast path reads `Pristine::others_free`): on a long run of whole-node pods
/// that is a few reads against millions of writes, and the four tree updates per write were a
/// fifth of the cluster's work per pod. A write records the node's amounts and lists the node
/// once; a read first brings the trees up to date with the listed nodes, in node order or not
/// (each tree holds each node's latest amount either way).
#[derive(Debug, Clone, Default)]
pub(crate) struct LazyFreeIndex {
    dims: usize,
    /// Each node's free amount per resource now, row per node.
    current: Vec<i64>,
    /// The trees and the nodes whose rows they do not hold yet: caught up on a read, which
    /// borrows the cluster shared.
    behind: std::cell::RefCell<Behind>,
}

#[derive(Debug, Clone, Default)]
struct Behind {
    index: FreeIndex,
    /// Nodes written since the last read, each once.
    nodes: Vec<u32>,
    /// Whether each node is in `nodes`.
    listed: Vec<bool>,
}

impl LazyFreeIndex {
    /// `free[d][n]`: free amount of resource `d` on node `n`.
    pub(crate) fn new(free: &[Vec<i64>], nodes: usize) -> Self {
        let dims = free.len();
        let mut current = vec![0; nodes * dims];
        for (d, col) in free.iter().enumerate() {
            for (n, &f) in col[..nodes].iter().enumerate() {
                current[n * dims + d] = f;
            }
        }
        LazyFreeIndex {
            dims,
            current,
            behind: std::cell::RefCell::new(Behind {
                index: FreeIndex::new(free, nodes),
                nodes: vec![],
                listed: vec![false; nodes],
            }),
        }
    }

    /// Node `node` has `free[d]` of each resource `d` now (every resource, in order).
    #[inline]
    pub(crate) fn set_node(&mut self, node: usize, free: impl Iterator<Item = i64>) {
        let row = &mut self.current[node * self.dims..(node + 1) * self.dims];
        for (slot, f) in row.iter_mut().zip(free) {
            *slot = f;
        }
        let behind = self.behind.get_mut();
        if !behind.listed[node] {
            behind.listed[node] = true;
            behind.nodes.push(node as u32);
        }
    }

    /// Starts loading node `node`'s row (`engine::prefetch`).
    pub(crate) fn prefetch(&self, node: usize) {
        crate::engine::prefetch::touch(&self.current, node * self.dims);
    }

    /// [`FreeIndex::next_fit_all`] over the amounts written so far.
    pub(crate) fn next_fit_all(&self, request: &[i64], from: usize) -> Option<usize> {
        let mut behind = self.behind.borrow_mut();
        if !behind.nodes.is_empty() {
            behind.catch_up(&self.current, self.dims);
        }
        behind.index.next_fit_all(request, from)
    }
}

impl Behind {
    /// Writes the listed nodes' rows of `current` into the trees.
    fn catch_up(&mut self, current: &[i64], dims: usize) {
        for &node in &self.nodes {
            let n = node as usize;
            for (d, &f) in current[n * dims..(n + 1) * dims].iter().enumerate() {
                self.index.set(d, n, f);
            }
            self.listed[n] = false;
        }
        self.nodes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(free: &[Vec<i64>], req: &[i64], from: usize) -> Option<usize> {
        (from..free[0].len()).find(|&n| {
            req.iter()
                .enumerate()
                .all(|(d, &r)| r <= 0 || free[d][n] >= r)
        })
    }

    #[test]
    fn matches_a_plain_scan() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for nodes in [1usize, 2, 3, 7, 64, 100] {
            let mut free: Vec<Vec<i64>> = (0..2)
                .map(|_| (0..nodes).map(|_| rng.gen_range(0..8)).collect())
                .collect();
            let mut idx = FreeIndex::new(&free, nodes);
            for _ in 0..300 {
                let d = rng.gen_range(0..2);
                let n = rng.gen_range(0..nodes);
                let v = rng.gen_range(0..8);
                free[d][n] = v;
                idx.set(d, n, v);
                let req = [rng.gen_range(0..8), rng.gen_range(0..8)];
                let from = rng.gen_range(0..nodes + 1);
                assert_eq!(
                    idx.next_fit_all(&req, from),
                    brute(&free, &req, from),
                    "{nodes} {req:?} {from}"
                );
            }
        }
    }

    /// The lazy index answers as the eager one after any mix of writes and reads.
    #[test]
    fn lazy_index_answers_as_the_eager_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for nodes in [1usize, 3, 64, 100] {
            let free: Vec<Vec<i64>> = (0..3)
                .map(|_| (0..nodes).map(|_| rng.gen_range(0..8)).collect())
                .collect();
            let mut eager = FreeIndex::new(&free, nodes);
            let mut lazy = LazyFreeIndex::new(&free, nodes);
            for _ in 0..300 {
                let n = rng.gen_range(0..nodes);
                let row: Vec<i64> = (0..3).map(|_| rng.gen_range(-1..8)).collect();
                for (d, &f) in row.iter().enumerate() {
                    eager.set(d, n, f);
                }
                lazy.set_node(n, row.iter().copied());
                if rng.gen_bool(0.3) {
                    let req = [
                        rng.gen_range(0..8),
                        rng.gen_range(0..8),
                        rng.gen_range(0..8),
                    ];
                    let from = rng.gen_range(0..nodes + 1);
                    assert_eq!(
                        lazy.next_fit_all(&req, from),
                        eager.next_fit_all(&req, from),
                        "{nodes} {req:?} {from}"
                    );
                }
            }
        }
    }
}

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
}

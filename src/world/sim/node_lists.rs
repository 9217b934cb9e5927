//! A short list of pod ids per node, stored flat.
//!
//! A list per node as its own `Vec` puts every node's ids in a separate heap block behind a
//! 24-byte header: binding a pod and removing it touch two cold cache lines per node, and a
//! long run does both for every pod (llama3-54d: 896k binds over 2,176 nodes). Most nodes
//! hold a few pods (a training pod takes the whole node), so each node keeps up to
//! `INLINE` ids in one 32-byte row of a flat table; a node that outgrows its row moves its
//! list to a `Vec` of its own for good (nodes that hold many small pods).
//!
//! Order is kept exactly as a `Vec` would keep it under the same calls (`push`,
//! `remove_keep_order`, `swap_remove_item`, `retain`): callers read lists in order.

use super::objects::PodId;

/// Ids kept in a node's row before its list moves out.
const INLINE: usize = 7;
/// The row's length word of a node whose list lives in `spilled`.
const SPILLED: u32 = u32::MAX;

/// One list of pod ids per node.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeLists {
    /// Per node: the length, then up to `INLINE` ids.
    rows: Vec<[u32; INLINE + 1]>,
    /// The lists of nodes whose row says `SPILLED` (empty for the others).
    spilled: Vec<Vec<PodId>>,
}

impl NodeLists {
    /// Empty lists with rows for `nodes` nodes (more grow on `push`).
    pub(crate) fn new(nodes: usize) -> Self {
        NodeLists {
            rows: vec![[0; INLINE + 1]; nodes],
            spilled: vec![],
        }
    }

    /// Node `n`'s ids, in order (none for a node never pushed to).
    pub(crate) fn get(&self, n: usize) -> &[PodId] {
        let Some(row) = self.rows.get(n) else {
            return &[];
        };
        match row[0] {
            SPILLED => &self.spilled[n],
            len => &row[1..=len as usize],
        }
    }

    /// Starts loading node `n`'s row, which `push` and the removals read first
    /// (`engine::prefetch`).
    pub(crate) fn prefetch(&self, n: usize) {
        crate::engine::prefetch::touch(&self.rows, n);
    }

    /// Appends `pod` to node `n`'s list.
    pub(crate) fn push(&mut self, n: usize, pod: PodId) {
        if self.rows.len() <= n {
            self.rows.resize(n + 1, [0; INLINE + 1]);
        }
        let row = &mut self.rows[n];
        let len = row[0];
        if (len as usize) < INLINE {
            row[len as usize + 1] = pod;
            row[0] = len + 1;
            return;
        }
        if len != SPILLED {
            if self.spilled.len() <= n {
                self.spilled.resize_with(n + 1, Vec::new);
            }
            self.spilled[n] = row[1..].to_vec();
            row[0] = SPILLED;
        }
        self.spilled[n].push(pod);
    }

    /// Removes the first `pod` from node `n`'s list, the others keeping their order
    /// (`Vec::remove`); false when it is not there.
    #[inline] // once per pod gone
    pub(crate) fn remove_keep_order(&mut self, n: usize, pod: PodId) -> bool {
        self.remove(n, pod, true)
    }

    /// Removes the first `pod` from node `n`'s list, the last id taking its place
    /// (`Vec::swap_remove`); false when it is not there.
    pub(crate) fn swap_remove_item(&mut self, n: usize, pod: PodId) -> bool {
        self.remove(n, pod, false)
    }

    #[inline(always)] // `keep_order` is known at each caller
    fn remove(&mut self, n: usize, pod: PodId, keep_order: bool) -> bool {
        let Some(i) = self.get(n).iter().position(|&p| p == pod) else {
            return false;
        };
        match (self.rows[n][0], keep_order) {
            (SPILLED, true) => drop(self.spilled[n].remove(i)),
            (SPILLED, false) => drop(self.spilled[n].swap_remove(i)),
            (len, keep_order) => {
                let row = &mut self.rows[n];
                if keep_order {
                    // A short shift by hand: `copy_within` is a `memmove` call, whose set-up
                    // costs more than moving the few ids a row holds (once per pod removed).
                    for j in i + 1..len as usize {
                        row[j] = row[j + 1];
                    }
                } else {
                    row[i + 1] = row[len as usize];
                }
                row[0] = len - 1;
            }
        }
        true
    }

    /// Keeps the ids of node `n` for which `keep` holds, in order (`Vec::retain`).
    pub(crate) fn retain(&mut self, n: usize, mut keep: impl FnMut(PodId) -> bool) {
        let Some(row) = self.rows.get(n) else {
            return;
        };
        match row[0] {
            SPILLED => self.spilled[n].retain(|&p| keep(p)),
            len => {
                let row = &mut self.rows[n];
                let mut kept = 0;
                for i in 1..=len as usize {
                    if keep(row[i]) {
                        kept += 1;
                        row[kept] = row[i];
                    }
                }
                row[0] = kept as u32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Any sequence of calls leaves every node's list as a `Vec` per node would be, through
    /// rows that fill, spill and empty again.
    #[test]
    fn keeps_each_list_as_a_vec_would() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let nodes = 5;
        // Rows for all but the last node: its row grows on its first push.
        let mut lists = NodeLists::new(nodes - 1);
        let mut vecs: Vec<Vec<PodId>> = vec![vec![]; nodes];
        for step in 0..40_000 {
            let n = rng.gen_range(0..nodes);
            // Node 0 grows past its row; the others hover around a few ids.
            let bound = if n == 0 { 3 * INLINE } else { INLINE + 1 };
            let pod = rng.gen_range(0..2 * bound as PodId);
            match rng.gen_range(0..4) {
                0 | 1 if vecs[n].len() < bound => {
                    lists.push(n, pod);
                    vecs[n].push(pod);
                }
                0 | 1 => {}
                2 => {
                    let i = vecs[n].iter().position(|&p| p == pod);
                    let swap = rng.gen_bool(0.5);
                    let removed = if swap {
                        lists.swap_remove_item(n, pod)
                    } else {
                        lists.remove_keep_order(n, pod)
                    };
                    assert_eq!(removed, i.is_some(), "step {step}");
                    if let Some(i) = i {
                        if swap {
                            vecs[n].swap_remove(i);
                        } else {
                            vecs[n].remove(i);
                        }
                    }
                }
                _ => {
                    let odd = rng.gen_bool(0.5) as PodId;
                    lists.retain(n, |p| p % 2 != odd || p < 3);
                    vecs[n].retain(|&p| p % 2 != odd || p < 3);
                }
            }
            assert_eq!(lists.get(n), &vecs[n][..], "step {step}, node {n}");
        }
        assert!(lists.rows[0][0] == SPILLED, "node 0 outgrew its row");
    }
}

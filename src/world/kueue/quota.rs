//! Kueue's quota arithmetic: the forest of ClusterQueues and cohorts with, per (flavor,
//! resource) pair, each node's quota, the quota its subtree offers its parent and its usage
//! (`pkg/cache/scheduler/resource_node.go`; docs/kueue.md "Quota").
//!
//! Nodes are dense indexes; every per-node figure is a dense vector over the FR ids
//! (`FrId`), which a run fixes once. Amounts are milli-units, like every quantity here.

/// A (flavor, resource) pair's dense index.
pub(crate) type FrId = usize;
/// A node of the tree: a ClusterQueue or a cohort.
pub(crate) type NodeIx = usize;

/// A node's quota for one FR as its spec writes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FrQuota {
    pub nominal: i64,
    pub borrowing_limit: Option<i64>,
    pub lending_limit: Option<i64>,
}

#[derive(Debug, Clone)]
struct TreeNode {
    parent: Option<NodeIx>,
    children: Vec<NodeIx>,
    is_cohort: bool,
    /// `max(min(#children, 1), max over child cohorts (height + 1))`: 0 for a ClusterQueue.
    height: u32,
    quota: Vec<FrQuota>,
    /// `SubtreeQuota`: a ClusterQueue's nominal; a cohort's own nominal plus what each child
    /// offers above its local part.
    subtree: Vec<i64>,
    usage: Vec<i64>,
}

/// The quota forest. Build with `add_node` and `set_parent`, then `finish` once.
#[derive(Debug, Clone)]
pub(crate) struct QuotaTree {
    frs: usize,
    nodes: Vec<TreeNode>,
    finished: bool,
}

impl QuotaTree {
    pub(crate) fn new(frs: usize) -> Self {
        QuotaTree {
            frs,
            nodes: Vec::new(),
            finished: false,
        }
    }

    /// A node with its quota per FR (missing FRs: nominal 0, no limits).
    pub(crate) fn add_node(&mut self, is_cohort: bool, quotas: &[(FrId, FrQuota)]) -> NodeIx {
        assert!(
            !self.finished,
            "nodes are added before the tree is finished"
        );
        let mut quota = vec![FrQuota::default(); self.frs];
        for &(fr, q) in quotas {
            quota[fr] = q;
        }
        self.nodes.push(TreeNode {
            parent: None,
            children: Vec::new(),
            is_cohort,
            height: 0,
            quota,
            subtree: vec![0; self.frs],
            usage: vec![0; self.frs],
        });
        self.nodes.len() - 1
    }

    /// Makes `child` a member of cohort `parent`. The caller keeps the forest acyclic.
    pub(crate) fn set_parent(&mut self, child: NodeIx, parent: NodeIx) {
        assert!(self.nodes[parent].is_cohort, "only cohorts have members");
        assert!(self.nodes[child].parent.is_none(), "one parent per node");
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
    }

    /// Computes subtree quotas and heights, bottom-up from every root.
    pub(crate) fn finish(&mut self) {
        self.finished = true;
        let roots: Vec<NodeIx> = (0..self.nodes.len())
            .filter(|&n| self.nodes[n].parent.is_none())
            .collect();
        for r in roots {
            self.compute_subtree(r);
        }
    }

    fn compute_subtree(&mut self, n: NodeIx) {
        let children = self.nodes[n].children.clone();
        let mut height = u32::from(!children.is_empty());
        let mut subtree: Vec<i64> = self.nodes[n].quota.iter().map(|q| q.nominal).collect();
        for c in children {
            self.compute_subtree(c);
            if self.nodes[c].is_cohort {
                height = height.max(self.nodes[c].height + 1);
            }
            for (fr, s) in subtree.iter_mut().enumerate() {
                let offered = self.nodes[c].subtree[fr] - self.local_quota(c, fr);
                *s = s.saturating_add(offered);
            }
        }
        self.nodes[n].height = height;
        self.nodes[n].subtree = subtree;
    }

    pub(crate) fn parent(&self, n: NodeIx) -> Option<NodeIx> {
        self.nodes[n].parent
    }

    /// The members of cohort `n` (ClusterQueues and cohorts) in the order they joined.
    pub(crate) fn children(&self, n: NodeIx) -> &[NodeIx] {
        &self.nodes[n].children
    }

    pub(crate) fn is_cohort(&self, n: NodeIx) -> bool {
        self.nodes[n].is_cohort
    }

    /// How many FRs every node has figures for.
    pub(crate) fn fr_count(&self) -> usize {
        self.frs
    }

    /// The root of `n`'s tree (`n` itself when it has no parent).
    pub(crate) fn root(&self, mut n: NodeIx) -> NodeIx {
        while let Some(p) = self.nodes[n].parent {
            n = p;
        }
        n
    }

    pub(crate) fn height(&self, n: NodeIx) -> u32 {
        self.nodes[n].height
    }

    pub(crate) fn quota(&self, n: NodeIx, fr: FrId) -> FrQuota {
        self.nodes[n].quota[fr]
    }

    pub(crate) fn usage(&self, n: NodeIx, fr: FrId) -> i64 {
        self.nodes[n].usage[fr]
    }

    pub(crate) fn subtree_quota(&self, n: NodeIx, fr: FrId) -> i64 {
        self.nodes[n].subtree[fr]
    }

    /// The part of the node's quota its parent never sees: `SubtreeQuota − lendingLimit`
    /// when a lending limit is set, else nothing.
    pub(crate) fn local_quota(&self, n: NodeIx, fr: FrId) -> i64 {
        let node = &self.nodes[n];
        match node.quota[fr].lending_limit {
            Some(lend) => (node.subtree[fr] - lend).max(0),
            None => 0,
        }
    }

    pub(crate) fn local_available(&self, n: NodeIx, fr: FrId) -> i64 {
        (self.local_quota(n, fr) - self.nodes[n].usage[fr]).max(0)
    }

    /// `available(N)`: may be negative after over-admission; `available` clamps it.
    fn raw_available(&self, n: NodeIx, fr: FrId) -> i64 {
        let node = &self.nodes[n];
        let Some(parent) = node.parent else {
            return node.subtree[fr] - node.usage[fr];
        };
        let mut parent_available = self.raw_available(parent, fr);
        if let Some(limit) = node.quota[fr].borrowing_limit {
            let local = self.local_quota(n, fr);
            let stored = (node.usage[fr] - local).max(0);
            let cap = (node.subtree[fr] - local) - stored + limit;
            parent_available = parent_available.min(cap);
        }
        self.local_available(n, fr) + parent_available
    }

    /// How much more of `fr` node `n` can take now (`Available`).
    pub(crate) fn available(&self, n: NodeIx, fr: FrId) -> i64 {
        self.raw_available(n, fr).max(0)
    }

    /// The most node `n` could ever hold of `fr`, with every other node idle.
    pub(crate) fn potential_available(&self, n: NodeIx, fr: FrId) -> i64 {
        let node = &self.nodes[n];
        let Some(parent) = node.parent else {
            return node.subtree[fr];
        };
        let potential = self
            .local_quota(n, fr)
            .saturating_add(self.potential_available(parent, fr));
        match node.quota[fr].borrowing_limit {
            Some(limit) => potential.min(node.subtree[fr].saturating_add(limit)),
            None => potential,
        }
    }

    /// `addUsage`: the part above the node's local room goes up to its parent.
    pub(crate) fn add_usage(&mut self, n: NodeIx, fr: FrId, amount: i64) {
        let room = self.local_available(n, fr);
        self.nodes[n].usage[fr] += amount;
        if let Some(parent) = self.nodes[n].parent {
            if amount > room {
                self.add_usage(parent, fr, amount - room);
            }
        }
    }

    /// `removeUsage`: the parent gives back at most what this node stored there.
    pub(crate) fn remove_usage(&mut self, n: NodeIx, fr: FrId, amount: i64) {
        let stored = self.nodes[n].usage[fr] - self.local_quota(n, fr);
        self.nodes[n].usage[fr] -= amount;
        debug_assert!(self.nodes[n].usage[fr] >= 0, "usage below zero");
        if let Some(parent) = self.nodes[n].parent {
            if stored > 0 {
                self.remove_usage(parent, fr, amount.min(stored));
            }
        }
    }

    /// Would node `n` borrow if it took `amount` more of `fr`?
    pub(crate) fn borrows_with(&self, n: NodeIx, fr: FrId, amount: i64) -> bool {
        self.nodes[n].subtree[fr] < self.nodes[n].usage[fr] + amount
    }

    /// `FindHeightOfLowestSubtreeThatFits`: the height of the lowest ancestor whose subtree
    /// holds `amount` more without borrowing (0: the ClusterQueue does not borrow), and
    /// whether that ancestor is not the root (the request could reclaim within the hierarchy).
    pub(crate) fn borrowing_level(&self, cq: NodeIx, fr: FrId, amount: i64) -> (u32, bool) {
        let Some(mut ancestor) = self.nodes[cq].parent else {
            return (0, false);
        };
        if !self.borrows_with(cq, fr, amount) {
            return (0, false);
        }
        let mut remaining = amount - self.local_available(cq, fr);
        loop {
            let parent = self.nodes[ancestor].parent;
            if !self.borrows_with(ancestor, fr, remaining) {
                return (self.height(ancestor), parent.is_some());
            }
            match parent {
                Some(p) => {
                    remaining -= self.local_available(ancestor, fr);
                    ancestor = p;
                }
                None => return (self.height(ancestor), false),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(nominal: i64) -> FrQuota {
        FrQuota {
            nominal,
            ..Default::default()
        }
    }

    /// Cohort K (no quota of its own) with ClusterQueues A and B, one FR.
    fn two_queues(a: FrQuota, b: FrQuota) -> (QuotaTree, NodeIx, NodeIx, NodeIx) {
        let mut t = QuotaTree::new(1);
        let na = t.add_node(false, &[(0, a)]);
        let nb = t.add_node(false, &[(0, b)]);
        let k = t.add_node(true, &[]);
        t.set_parent(na, k);
        t.set_parent(nb, k);
        t.finish();
        (t, na, nb, k)
    }

    // kueue-semantics §2's worked examples, from resource_node.go.
    #[test]
    fn borrowing_without_limits() {
        let (mut t, a, b, k) = two_queues(q(10), q(6));
        t.add_usage(a, 0, 12);
        t.add_usage(b, 0, 2);
        assert_eq!((t.subtree_quota(k, 0), t.usage(k, 0)), (16, 14));
        assert_eq!((t.available(a, 0), t.available(b, 0)), (2, 2));
        assert_eq!(t.potential_available(a, 0), 16);
        assert_eq!(t.borrowing_level(a, 0, 1), (1, false));
        assert_eq!(t.borrowing_level(b, 0, 1), (0, false));
    }

    #[test]
    fn borrowing_limit_caps_what_the_parent_offers() {
        let limited = FrQuota {
            nominal: 10,
            borrowing_limit: Some(4),
            lending_limit: None,
        };
        let (mut t, a, b, _) = two_queues(limited, q(6));
        t.add_usage(a, 0, 12);
        t.add_usage(b, 0, 2);
        assert_eq!(t.available(a, 0), 2);
        assert_eq!(t.potential_available(a, 0), 14);
        t.remove_usage(b, 0, 2);
        assert_eq!(t.available(a, 0), 2, "min(4 left in the cohort, 14 − 12)");
    }

    #[test]
    fn lending_limit_keeps_a_local_part() {
        let lender = FrQuota {
            nominal: 10,
            borrowing_limit: None,
            lending_limit: Some(4),
        };
        let (mut t, a, b, k) = two_queues(lender, q(6));
        t.add_usage(a, 0, 5);
        t.add_usage(b, 0, 8);
        assert_eq!(t.local_quota(a, 0), 6);
        assert_eq!(t.subtree_quota(k, 0), 10);
        assert_eq!(t.usage(k, 0), 8, "A's 5 stays local");
        assert_eq!(t.available(a, 0), 3);
        assert_eq!(t.available(b, 0), 2);
        assert_eq!(t.potential_available(b, 0), 10);
        // Usage leaves the tree the way it came.
        t.remove_usage(b, 0, 8);
        t.remove_usage(a, 0, 5);
        assert_eq!((t.usage(k, 0), t.usage(a, 0), t.usage(b, 0)), (0, 0, 0));
    }

    /// Fixture F16's tree: root r holds cohort `guaranteed` (4 of its own) with a 0-nominal
    /// queue, and a 0-nominal queue `best-effort` directly.
    #[test]
    fn borrowing_level_is_the_height_of_the_lowest_subtree_that_fits() {
        let mut t = QuotaTree::new(1);
        let guaranteed_cq = t.add_node(false, &[(0, q(0))]);
        let best_effort = t.add_node(false, &[(0, q(0))]);
        let guaranteed = t.add_node(true, &[(0, q(4))]);
        let root = t.add_node(true, &[]);
        t.set_parent(guaranteed_cq, guaranteed);
        t.set_parent(guaranteed, root);
        t.set_parent(best_effort, root);
        t.finish();
        assert_eq!((t.height(guaranteed), t.height(root)), (1, 2));
        assert_eq!(t.borrowing_level(guaranteed_cq, 0, 4), (1, true));
        assert_eq!(t.borrowing_level(best_effort, 0, 4), (2, false));
        assert_eq!(t.borrowing_level(best_effort, 0, 5), (2, false));
        assert_eq!(t.available(best_effort, 0), 4);
        t.add_usage(guaranteed_cq, 0, 4);
        assert_eq!(t.available(best_effort, 0), 0);
    }
}

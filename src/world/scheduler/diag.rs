//! kube-scheduler's failure path answered from an index (issue 13 item 6, issue 17).
//!
//! A pod that fits no node gets a diagnosis ("0/65536 nodes are available: ...") counted over
//! every node, and DefaultPreemption lists the nodes its Filter rejected for a reason
//! preemption can cure. The real scheduler evaluates every node for both, and the simulator
//! charges that (the simulated costs are unchanged); computed that way in wall time too, every
//! failed attempt on a 65,536-node cluster cost O(nodes), paid by each preemptor and by each
//! pending pod at every retry.
//!
//! Here each shape that failed recently keeps every node's verdict (`filter::check`) grouped
//! into reason classes, with the count per class and a Fenwick tree of the nodes preemption
//! may help. It catches up from the cluster's change log (`Cluster::changes`: every
//! reservation, release, taint and cordon goes through `Cluster::sync_pristine`), re-checking
//! only the nodes that changed. The diagnosis built from the counts is the one
//! `filter::diagnose` builds by visiting each node (the same reason strings, summed), and the
//! potential nodes come out in the same ascending order; `tests::fast_path` checks both.

use super::filter::{self, Reject};
use crate::cluster::pristine::Fenwick;
use crate::cluster::{Cluster, NodeId};
use crate::sim::shape::PodShape;

/// Shapes kept at once (least recently used one replaced).
const ENTRIES: usize = 4;

/// A reason class: rejections kube-scheduler reports with the same reason strings (the
/// grouping `filter::diagnose` makes), independent of any one node.
#[derive(Debug, Clone, PartialEq)]
enum Class {
    Unschedulable,
    NodeName,
    Taint(String, String),
    Selector,
    Resources(Vec<usize>),
}

impl Class {
    fn matches(&self, cluster: &Cluster, r: &Reject) -> bool {
        match (self, r) {
            (Class::Unschedulable, Reject::Unschedulable)
            | (Class::NodeName, Reject::NodeName)
            | (Class::Selector, Reject::Selector) => true,
            (Class::Taint(k, v), Reject::Taint { node, taint }) => {
                let t = &cluster.node(*node).taints[*taint];
                *k == t.key && *v == t.value
            }
            (Class::Resources(a), Reject::Resources(b)) => a == b,
            _ => false,
        }
    }

    fn of(cluster: &Cluster, r: Reject) -> Class {
        match r {
            Reject::Unschedulable => Class::Unschedulable,
            Reject::NodeName => Class::NodeName,
            Reject::Taint { node, taint } => {
                let t = &cluster.node(node).taints[taint];
                Class::Taint(t.key.clone(), t.value.clone())
            }
            Reject::Selector => Class::Selector,
            Reject::Resources(d) => Class::Resources(d),
        }
    }

    fn reasons(&self, cluster: &Cluster) -> Vec<String> {
        match self {
            Class::Unschedulable => Reject::Unschedulable.reasons(cluster),
            Class::NodeName => Reject::NodeName.reasons(cluster),
            Class::Taint(k, v) => vec![filter::taint_reason(k, v)],
            Class::Selector => Reject::Selector.reasons(cluster),
            Class::Resources(d) => filter::resource_reasons(cluster, d),
        }
    }

    /// Filter rejected the node as Unschedulable (not UnschedulableAndUnresolvable):
    /// preemption may cure it.
    fn curable(&self) -> bool {
        matches!(self, Class::Resources(_))
    }
}

/// Passes every filter (the class index 0 stands for it).
const PASSES: u16 = 0;

/// One shape's verdicts on every node.
struct Entry {
    shape: usize,
    epoch: u64,
    /// How far into the change log the verdicts are.
    pos: usize,
    last_use: u64,
    /// Per node: `PASSES` or 1 + the index of its class.
    class_of: Vec<u16>,
    /// The classes and how many nodes are in each.
    classes: Vec<(Class, usize)>,
    /// Nodes that pass or are curable (DefaultPreemption's potential nodes, without affinity).
    potential: Fenwick,
    potentials: usize,
}

impl Entry {
    fn build(cluster: &Cluster, shape_id: usize, shape: &PodShape) -> Entry {
        let n = cluster.len();
        let mut e = Entry {
            shape: shape_id,
            epoch: cluster.changes.epoch,
            pos: cluster.changes.nodes.len(),
            last_use: 0,
            class_of: vec![PASSES; n],
            classes: vec![],
            potential: Fenwick::new(n),
            potentials: 0,
        };
        for node in 0..n as NodeId {
            let c = e.classify(cluster, node, shape);
            e.class_of[node as usize] = c;
            e.count(c, 1);
            if e.is_potential(c) {
                e.potential.add(node as usize, 1);
                e.potentials += 1;
            }
        }
        e
    }

    fn classify(&mut self, cluster: &Cluster, node: NodeId, shape: &PodShape) -> u16 {
        match filter::check(cluster, node, shape, false) {
            Ok(()) => PASSES,
            Err(r) => {
                let at = match self
                    .classes
                    .iter()
                    .position(|(c, _)| c.matches(cluster, &r))
                {
                    Some(i) => i,
                    None => {
                        self.classes.push((Class::of(cluster, r), 0));
                        self.classes.len() - 1
                    }
                };
                assert!(at < u16::MAX as usize - 1, "too many reason classes");
                at as u16 + 1
            }
        }
    }

    fn is_potential(&self, c: u16) -> bool {
        c == PASSES || self.classes[c as usize - 1].0.curable()
    }

    /// Counts node verdict `c` in (`delta` 1) or out (-1). The node's potential bit follows.
    fn count(&mut self, c: u16, delta: i32) {
        if c != PASSES {
            let slot = &mut self.classes[c as usize - 1].1;
            *slot = (*slot as i64 + delta as i64) as usize;
        }
    }

    fn sync(&mut self, cluster: &Cluster, shape: &PodShape) {
        if self.epoch != cluster.changes.epoch || self.class_of.len() != cluster.len() {
            *self = Entry::build(cluster, self.shape, shape);
            return;
        }
        let log = &cluster.changes.nodes;
        for &node in &log[self.pos..] {
            let old = self.class_of[node as usize];
            let new = self.classify(cluster, node, shape);
            if old != new {
                let (was, is) = (self.is_potential(old), self.is_potential(new));
                self.count(old, -1);
                self.count(new, 1);
                self.class_of[node as usize] = new;
                if was != is {
                    self.potential.add(node as usize, if is { 1 } else { -1 });
                    self.potentials = if is {
                        self.potentials + 1
                    } else {
                        self.potentials - 1
                    };
                }
            }
        }
        self.pos = log.len();
    }

    fn diagnosis(&self, cluster: &Cluster) -> filter::Diagnosis {
        let mut d = filter::Diagnosis {
            nodes: cluster.len(),
            ..Default::default()
        };
        for (c, count) in &self.classes {
            if *count > 0 {
                for reason in c.reasons(cluster) {
                    d.add(reason, *count);
                }
            }
        }
        d
    }
}

/// The failure-path index: a few shapes' verdicts on every node, kept up to date.
#[derive(Default)]
pub(crate) struct DiagIndex {
    entries: Vec<Entry>,
    tick: u64,
}

impl DiagIndex {
    /// The entry of `shape_id`, brought up to date (built on first use): its index.
    fn sync(&mut self, cluster: &Cluster, shape_id: usize, shape: &PodShape) -> usize {
        self.tick += 1;
        let at = match self.entries.iter().position(|e| e.shape == shape_id) {
            Some(i) => i,
            None if self.entries.len() < ENTRIES => {
                self.entries.push(Entry::build(cluster, shape_id, shape));
                self.entries.len() - 1
            }
            None => {
                let i = (0..self.entries.len())
                    .min_by_key(|&i| self.entries[i].last_use)
                    .expect("ENTRIES > 0");
                self.entries[i] = Entry::build(cluster, shape_id, shape);
                i
            }
        };
        let e = &mut self.entries[at];
        e.last_use = self.tick;
        e.sync(cluster, shape);
        at
    }

    /// `filter::diagnose` over every node (no subset), from the counts.
    pub(crate) fn diagnose(
        &mut self,
        cluster: &Cluster,
        shape_id: usize,
        shape: &PodShape,
    ) -> filter::Diagnosis {
        let at = self.sync(cluster, shape_id, shape);
        self.entries[at].diagnosis(cluster)
    }

    /// Brings `shape_id`'s verdicts up to date for `potential`.
    pub(crate) fn prepare(&mut self, cluster: &Cluster, shape_id: usize, shape: &PodShape) {
        self.sync(cluster, shape_id, shape);
    }

    /// The potential nodes (passing, or rejected for room only) of a shape `prepare` brought
    /// up to date, as a view that lists them in ascending order from any rank.
    pub(crate) fn potential(&self, shape_id: usize) -> Potential<'_> {
        let entry = (self.entries.iter())
            .find(|e| e.shape == shape_id)
            .expect("prepared");
        Potential { entry }
    }
}

/// DefaultPreemption's potential nodes of one shape (no inter-pod affinity in play).
pub(crate) struct Potential<'a> {
    entry: &'a Entry,
}

impl Potential<'_> {
    pub(crate) fn len(&self) -> usize {
        self.entry.potentials
    }

    /// The potential nodes from the one of rank `offset`, ascending, wrapping around: the
    /// order of `nodes[(offset + i) % nodes.len()]` over the ascending list.
    pub(crate) fn starting_at_rank(&self, offset: usize) -> impl Iterator<Item = NodeId> + '_ {
        let e = self.entry;
        let n = e.class_of.len();
        let start = e.potential.select(offset as u32).unwrap_or(n);
        (start..n)
            .chain(0..start)
            .filter(move |&i| e.is_potential(e.class_of[i]))
            .map(|i| i as NodeId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_report_the_reject_reasons() {
        let c = Class::Taint("k".into(), String::new());
        let cluster = Cluster::build(&[], Default::default());
        assert_eq!(
            c.reasons(&cluster),
            vec!["node(s) had untolerated taint {k: }".to_string()]
        );
        assert!(Class::Resources(vec![0]).curable());
        assert!(!Class::Selector.curable());
    }
}

//! The simulated cluster: nodes, their labels, taints and capacity, topology domains, and the
//! indexes that let the scheduler find candidate nodes without scanning them all.

#[doc(hidden)]
pub mod bench;
pub(crate) mod free_index;
pub(crate) mod intern;
pub(crate) mod pristine;
pub(crate) mod resources;

use crate::api::keys::{HOSTNAME_LABEL, NODE_POOL_LABEL};
use crate::engine::hash::FastMap;
pub(crate) use intern::Interner;
pub(crate) use resources::ResourceIndex;
use std::collections::BTreeMap;

pub(crate) type NodeId = u32;

/// Whether a taint list holds a PreferNoSchedule taint (the scoring-only kind).
pub(crate) fn has_soft_taint(taints: &[Taint]) -> bool {
    taints
        .iter()
        .any(|t| t.effect == TaintEffect::PreferNoSchedule)
}

/// A missing label in a label column.
const NO_VALUE: u32 = u32::MAX;

pub(crate) use crate::api::taint::{Taint, TaintEffect};
pub(crate) use crate::scenario::NodePoolSpec;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub name: String,
    /// (key id, value id), sorted by key id.
    pub labels: Vec<(u32, u32)>,
    pub taints: Vec<Taint>,
    pub pool: u32,
    pub unschedulable: bool,
    pub ready: bool,
    /// When `ready` or `unschedulable` last changed.
    pub changed_at_ns: u64,
    /// The machine is down (a fault): no kubelet, no containers.
    pub failed: bool,
}

/// What binding, releasing and deleting pods read of a node, a few bytes beside the nodes:
/// those steps run for every pod, and in a long run the node's record (88 bytes, its taints
/// behind a pointer) is out of cache by then (perf: reading it was about 3 % of llama3-54d's
/// wall time). Written only by `update_node` (and the build), from the record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct NodeFlags {
    cordoned: bool,
    failed: bool,
    untainted: bool,
    /// The taints are exactly its pool's.
    base_taints: bool,
    /// A NoSchedule or NoExecute taint its pool does not have.
    extra_hard_taint: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub resources: ResourceIndex,
    /// Written only through `update_node`, which keeps the indexes below in step.
    nodes: Vec<Node>,
    /// Allocatable, `nodes.len() × resources.len()` milli-units, row per node.
    alloc: Vec<i64>,
    /// Requested by pods the scheduler has assumed or bound, same layout.
    used: Vec<i64>,
    /// cpu and memory requested as scoring counts them (non-zero defaults), per node.
    score_used: Vec<[i64; 2]>,
    pub keys: Interner,
    pub values: Interner,
    /// Node ids (ascending) per (label key, value).
    label_index: FastMap<(u32, u32), Vec<NodeId>>,
    /// Per label key, every node's value id (`NO_VALUE` when absent): the filters read a
    /// contiguous column instead of chasing each node's label list.
    label_columns: Vec<Vec<u32>>,
    /// Per label key, how many distinct values the nodes carry (the key's domains).
    label_domains: Vec<u32>,
    pub pool_names: Vec<String>,
    /// Free capacity per resource, for skipping full nodes in a scan (the plain path's; it
    /// catches up with the writes when read).
    pub free: free_index::LazyFreeIndex,
    /// Nodes as their pool built them, counted per pool entry.
    pub pristine: pristine::Pristine,
    /// Per node: carries a PreferNoSchedule taint. Scoring asks this of every feasible node,
    /// and most nodes have none: a dense column answers without touching the node.
    soft_tainted: Vec<bool>,
    /// Per node: what binding, releasing and deleting pods read of it (`NodeFlags`), kept by
    /// `update_node`.
    flags: Vec<NodeFlags>,
    /// The nodes whose state changed, in order: indexes kept outside the cluster (the
    /// scheduler's failure diagnosis, `scheduler::diag`) catch up from it.
    pub changes: ChangeLog,
}

/// Every node change (reservation, release, taint, cordon, readiness) since the log was last
/// cleared; `epoch` counts the clearings, so a reader that fell behind one rebuilds instead.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChangeLog {
    pub nodes: Vec<NodeId>,
    pub epoch: u64,
}

impl Cluster {
    /// Builds the nodes of every pool. `resources` must already hold every resource name that
    /// pods will request, so the dense arrays never grow.
    pub(crate) fn build(pools: &[NodePoolSpec], mut resources: ResourceIndex) -> Cluster {
        for p in pools {
            for name in p.capacity.keys() {
                resources.intern(name);
            }
        }
        let r = resources.len();
        let mut c = Cluster {
            resources,
            nodes: vec![],
            alloc: vec![],
            used: vec![],
            score_used: vec![],
            keys: Interner::default(),
            values: Interner::default(),
            label_index: FastMap::default(),
            label_columns: vec![],
            label_domains: vec![],
            pool_names: vec![],
            free: Default::default(),
            pristine: Default::default(),
            soft_tainted: vec![],
            flags: vec![],
            changes: ChangeLog::default(),
        };
        let nodes: usize = (pools.iter())
            .map(|p| p.count as usize * p.nodes_per_pool as usize)
            .sum();
        c.reserve_nodes(nodes);
        let mut spec_of: Vec<u16> = Vec::with_capacity(nodes);
        for (spec_id, spec) in pools.iter().enumerate() {
            let mut capacity_row = vec![0i64; r];
            for (name, q) in &spec.capacity {
                capacity_row[c.resources.get(name).expect("interned above")] = q.milli;
            }
            if !spec.capacity.contains_key("pods") {
                capacity_row[resources::PODS] = resources::DEFAULT_MAX_PODS * 1000;
            }
            let mut entry_node = 0u32;
            let mut plan = LabelPlan::new(spec, &mut c.keys);
            for p in 0..spec.count {
                let pool_name = if spec.count == 1 {
                    spec.name.clone()
                } else {
                    dashed_name(&spec.name, p)
                };
                let pool_id = c.pool_names.len() as u32;
                c.pool_names.push(pool_name.clone());
                plan.pool_value = None;
                for n in 0..spec.nodes_per_pool {
                    let name = dashed_name(&pool_name, n);
                    let at = NodeAt {
                        pool: p,
                        node: n,
                        entry_node,
                        pool_name: &pool_name,
                        name: &name,
                    };
                    let labels = plan.node_labels(spec, &at, &mut c.values);
                    c.add_node(name, labels, spec.taints.clone(), pool_id, &capacity_row);
                    spec_of.push(spec_id.min(u16::MAX as usize) as u16);
                    entry_node += 1;
                }
            }
        }
        c.build_label_columns();
        let free: Vec<Vec<i64>> = (0..r)
            .map(|d| (0..c.nodes.len()).map(|n| c.alloc[n * r + d]).collect())
            .collect();
        c.free = free_index::LazyFreeIndex::new(&free, c.nodes.len());
        c.pristine =
            pristine::Pristine::new(spec_of, pools.iter().map(|p| p.taints.clone()).collect(), r);
        c.flags = (0..c.nodes.len()).map(|n| c.flags_of(n)).collect();
        c
    }

    /// Room for `nodes` nodes in the per-node tables the build fills, and for a hostname
    /// value each in the values' interner: sized once instead of regrown.
    fn reserve_nodes(&mut self, nodes: usize) {
        let r = self.dims();
        self.values.reserve(nodes);
        self.nodes.reserve(nodes);
        self.alloc.reserve(nodes * r);
        self.used.reserve(nodes * r);
        self.score_used.reserve(nodes);
        self.soft_tainted.reserve(nodes);
    }

    /// Node `n`'s `NodeFlags` as its record and its pool's taints say now.
    fn flags_of(&self, n: usize) -> NodeFlags {
        let node = &self.nodes[n];
        let base = &self.pristine.base_taints[self.pristine.spec_of[n] as usize];
        NodeFlags {
            cordoned: node.unschedulable,
            failed: node.failed,
            untainted: node.taints.is_empty(),
            base_taints: node.taints == *base,
            extra_hard_taint: (node.taints.iter())
                .any(|t| t.effect != TaintEffect::PreferNoSchedule && !base.contains(t)),
        }
    }

    /// Whether the node's machine is down (`Node::failed`), without reading its record.
    pub(crate) fn node_failed(&self, node: NodeId) -> bool {
        self.flags[node as usize].failed
    }

    /// Whether the node's flags disagree with its record (the invariant sweep's check that
    /// every write went through `update_node`).
    pub(crate) fn flags_stale(&self, node: NodeId) -> bool {
        self.flags[node as usize] != self.flags_of(node as usize)
    }

    /// Whether the node is cordoned (`Node::unschedulable`), without reading its record.
    pub(crate) fn cordoned(&self, node: NodeId) -> bool {
        self.flags[node as usize].cordoned
    }

    /// Whether the node has no taints, without reading its record.
    pub(crate) fn untainted(&self, node: NodeId) -> bool {
        self.flags[node as usize].untainted
    }

    /// Whether the node carries a PreferNoSchedule taint.
    pub(crate) fn soft_tainted(&self, node: NodeId) -> bool {
        self.soft_tainted[node as usize]
    }

    /// One node, read-only: every write goes through `update_node`.
    pub(crate) fn node(&self, node: NodeId) -> &Node {
        &self.nodes[node as usize]
    }

    /// Applies a change to a node (its taints, `ready`, `unschedulable`, `failed`) and brings
    /// every index that depends on the node up to date, so no caller has to.
    pub(crate) fn update_node<R>(
        &mut self,
        node: NodeId,
        change: impl FnOnce(&mut Node) -> R,
    ) -> R {
        let result = change(&mut self.nodes[node as usize]);
        let n = node as usize;
        self.flags[n] = self.flags_of(n);
        self.soft_tainted[n] = has_soft_taint(&self.nodes[n].taints);
        self.sync_pristine(node);
        result
    }

    /// Starts loading everything of node `node` that a reservation or release reads and
    /// writes, so that the misses overlap (`engine::prefetch`). The scheduler calls it
    /// before a reservation or release, with the other lines it is about to read.
    #[inline(always)] // its touches only pay off without a call around them
    pub(crate) fn prefetch(&self, node: NodeId) {
        use crate::engine::prefetch::touch;
        let n = node as usize;
        let r = self.dims();
        touch(&self.used, n * r);
        touch(&self.alloc, n * r);
        touch(&self.score_used, n);
        touch(&self.flags, n);
        touch(&self.soft_tainted, n);
        self.free.prefetch(n);
        self.pristine.prefetch(n);
    }

    /// Brings the indexes up to date after anything that may change whether a node is
    /// pristine: its reservations, taints or `unschedulable`.
    fn sync_pristine(&mut self, node: NodeId) {
        let n = node as usize;
        // Bounded: a reader more than a few cluster sizes behind rebuilds from the nodes.
        if self.changes.nodes.len() >= 4 * self.nodes.len() + 4096 {
            self.changes.nodes.clear();
            self.changes.epoch += 1;
        }
        self.changes.nodes.push(node);
        let r = self.dims();
        let used = &self.used[n * r..(n + 1) * r];
        // The node's flags, not its record: reserve and release come here for every pod, and
        // in a long run the record is out of cache by then.
        let flags = self.flags[n];
        let pristine = used.iter().all(|&u| u == 0) && !flags.cordoned && flags.base_taints;
        // A cordoned node fits no pod: both free indexes skip it.
        let cordoned = flags.cordoned;
        let alloc = &self.alloc[n * r..(n + 1) * r];
        let class = if pristine {
            pristine::NodeClass::Pristine
        } else if flags.extra_hard_taint && !cordoned {
            pristine::NodeClass::Tainted(&self.nodes[n].taints)
        } else if !cordoned && flags.base_taints && !self.soft_tainted[n] {
            pristine::NodeClass::Used(pristine::UsedState {
                alloc,
                used,
                score_used: &self.score_used[n],
            })
        } else {
            pristine::NodeClass::Other
        };
        let free = alloc
            .iter()
            .zip(used)
            .map(|(a, u)| if cordoned { i64::MIN } else { a - u });
        self.free.set_node(n, free.clone());
        self.pristine.sync(n, class, free);
    }

    fn build_label_columns(&mut self) {
        let keys = self.keys.len();
        self.label_columns = vec![vec![NO_VALUE; self.nodes.len()]; keys];
        for (n, node) in self.nodes.iter().enumerate() {
            for &(k, v) in &node.labels {
                self.label_columns[k as usize][n] = v;
            }
        }
        self.label_domains = vec![0; keys];
        for &(k, _) in self.label_index.keys() {
            self.label_domains[k as usize] += 1;
        }
    }

    /// How many distinct values of label `key` the nodes carry: the key's topology domains
    /// (0 when no node has it). Node labels are fixed when the cluster is built.
    pub(crate) fn label_domains(&self, key: &str) -> usize {
        self.keys
            .get(key)
            .map_or(0, |k| self.label_domains[k as usize] as usize)
    }

    /// The value id of label `key` on `node`.
    pub(crate) fn node_label(&self, node: NodeId, key: u32) -> Option<u32> {
        let v = *self.label_columns.get(key as usize)?.get(node as usize)?;
        (v != NO_VALUE).then_some(v)
    }

    /// Adds a node; `labels` are (key id, value id) pairs, any order.
    fn add_node(
        &mut self,
        name: String,
        mut labels: Vec<(u32, u32)>,
        taints: Vec<Taint>,
        pool: u32,
        capacity: &[i64],
    ) {
        let id = self.nodes.len() as NodeId;
        labels.sort_unstable();
        let ids = labels;
        for &kv in &ids {
            self.label_index.entry(kv).or_default().push(id);
        }
        self.soft_tainted.push(has_soft_taint(&taints));
        self.nodes.push(Node {
            name,
            labels: ids,
            taints,
            pool,
            unschedulable: false,
            ready: true,
            changed_at_ns: 0,
            failed: false,
        });
        self.alloc.extend_from_slice(capacity);
        self.used.extend(std::iter::repeat_n(0, capacity.len()));
        self.score_used.push([0, 0]);
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn dims(&self) -> usize {
        self.resources.len()
    }

    pub(crate) fn alloc(&self, node: NodeId) -> &[i64] {
        let r = self.dims();
        &self.alloc[node as usize * r..(node as usize + 1) * r]
    }

    pub(crate) fn used(&self, node: NodeId) -> &[i64] {
        let r = self.dims();
        &self.used[node as usize * r..(node as usize + 1) * r]
    }

    pub(crate) fn score_used(&self, node: NodeId) -> [i64; 2] {
        self.score_used[node as usize]
    }

    /// Reserves a pod's requests on a node (the scheduler's "assume").
    fn reserve(&mut self, node: NodeId, request: &[i64], score_request: [i64; 2]) {
        let s = &mut self.score_used[node as usize];
        s[0] += score_request[0];
        s[1] += score_request[1];
        let r = self.dims();
        for (d, q) in request.iter().enumerate() {
            let i = node as usize * r + d;
            self.used[i] += q;
            // The scheduler's filters only pick a node with room: a reservation past the
            // node's allocatable is a bug in them, stopped here rather than found at the end.
            assert!(
                self.used[i] <= self.alloc[i],
                "internal error: node {} over-committed on {}: {} of {} milli-units",
                self.nodes[node as usize].name,
                self.resources.name(d),
                self.used[i],
                self.alloc[i]
            );
        }
        self.sync_pristine(node);
    }

    fn release(&mut self, node: NodeId, request: &[i64], score_request: [i64; 2]) {
        let s = &mut self.score_used[node as usize];
        s[0] -= score_request[0];
        s[1] -= score_request[1];
        let r = self.dims();
        for (d, q) in request.iter().enumerate() {
            let i = node as usize * r + d;
            self.used[i] -= q;
            assert!(
                self.used[i] >= 0,
                "internal error: node {} released more {} than was reserved",
                self.nodes[node as usize].name,
                self.resources.name(d)
            );
        }
        self.sync_pristine(node);
    }

    /// Nodes carrying label `key=value`, ascending by id; empty when no node has it.
    pub(crate) fn nodes_with_label(&self, key: &str, value: &str) -> &[NodeId] {
        match (self.keys.get(key), self.values.get(value)) {
            (Some(k), Some(v)) => self.nodes_with_label_id(k, v),
            _ => &[],
        }
    }

    /// [`Self::nodes_with_label`] by interned key and value ids.
    pub(crate) fn nodes_with_label_id(&self, key: u32, value: u32) -> &[NodeId] {
        (self.label_index.get(&(key, value))).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes_with_label(HOSTNAME_LABEL, name).first().copied()
    }

    pub(crate) fn label_value(&self, node: NodeId, key: &str) -> Option<&str> {
        let k = self.keys.get(key)?;
        self.node_label(node, k).map(|v| self.values.name(v))
    }
}

/// `format!("{prefix}-{n}")` without the formatting machinery: the build names every node
/// and pool so, and `format!` was a quarter of building a 15k-node cluster.
fn dashed_name(prefix: &str, n: u32) -> String {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = &digits[start..];
    let mut name = String::with_capacity(prefix.len() + 1 + digits.len());
    name.push_str(prefix);
    name.push('-');
    name.push_str(std::str::from_utf8(digits).expect("ASCII digits"));
    name
}

/// Where one node of a pool entry sits, for its per-node label values.
struct NodeAt<'a> {
    pool: u32,
    node: u32,
    entry_node: u32,
    pool_name: &'a str,
    name: &'a str,
}

/// Where a label's value comes from on the nodes of one pool entry.
enum LabelSource {
    /// The entry's `labels`: the same on every node (value id once interned).
    Fixed(String, Option<u32>),
    Hostname,
    NodePool,
    Template(usize),
    /// `topology[i]`, with the domain and value id of the node before (consecutive nodes
    /// share a domain).
    Topology(usize, Option<(u32, u32)>),
}

/// The labels every node of a pool entry carries, in key order, worked out once per entry:
/// the values are interned node by node in exactly the order a per-node `BTreeMap` of the
/// labels would list them (so every key and value id is what it always was), without
/// building that map and copying its strings for each of 131,072 nodes.
struct LabelPlan {
    /// (key id, source), sorted by key name.
    labels: Vec<(u32, LabelSource)>,
    /// The current pool's value of the node-pool label, once interned.
    pool_value: Option<u32>,
}

impl LabelPlan {
    fn new(spec: &NodePoolSpec, keys: &mut Interner) -> LabelPlan {
        // Later sources override earlier ones, as inserts into one map did.
        let mut by_key: BTreeMap<&str, LabelSource> = BTreeMap::new();
        for (k, v) in &spec.labels {
            by_key.insert(k, LabelSource::Fixed(v.clone(), None));
        }
        by_key.insert(HOSTNAME_LABEL, LabelSource::Hostname);
        by_key.insert(NODE_POOL_LABEL, LabelSource::NodePool);
        for (i, (k, _)) in spec.label_templates.iter().enumerate() {
            by_key.insert(k, LabelSource::Template(i));
        }
        for (i, (k, _)) in spec.topology.iter().enumerate() {
            by_key.insert(k, LabelSource::Topology(i, None));
        }
        // An entry without nodes interns no key, as before.
        let any_node = spec.count > 0 && spec.nodes_per_pool > 0;
        let labels = by_key
            .into_iter()
            .map(|(k, src)| (if any_node { keys.intern(k) } else { 0 }, src))
            .collect();
        LabelPlan {
            labels,
            pool_value: None,
        }
    }

    /// The (key id, value id) pairs of one node, interning its values in key order.
    fn node_labels(
        &mut self,
        spec: &NodePoolSpec,
        at: &NodeAt<'_>,
        values: &mut Interner,
    ) -> Vec<(u32, u32)> {
        let mut out = Vec::with_capacity(self.labels.len());
        for (k, src) in &mut self.labels {
            let v = match src {
                LabelSource::Fixed(value, id) => *id.get_or_insert_with(|| values.intern(value)),
                LabelSource::Hostname => values.intern(at.name),
                LabelSource::NodePool => {
                    *(self.pool_value).get_or_insert_with(|| values.intern(at.pool_name))
                }
                LabelSource::Template(i) => {
                    values.intern(&spec.label_templates[*i].1.expand(at.pool, at.node))
                }
                LabelSource::Topology(i, last) => {
                    let (key, per) = &spec.topology[*i];
                    let domain = at.entry_node / per;
                    match *last {
                        Some((d, id)) if d == domain => id,
                        _ => {
                            let suffix = key.rsplit('/').next().unwrap_or(key);
                            let id = values.intern(&format!("{}-{suffix}-{domain}", spec.name));
                            *last = Some((domain, id));
                            id
                        }
                    }
                }
            };
            out.push((*k, v));
        }
        out
    }
}

/// The scheduler cache's part of the cluster, which kube-scheduler alone reaches
/// (`Ctx::scheduler_cache`): the node capacity its pods hold from their assumption until they
/// are gone, and the free-domain counts its fast path reads. Kept in `Cluster` rather than in
/// the `Scheduler` because the indexes built on them (the free-capacity index, the pristine
/// nodes and their free domains) are indexes over the nodes too: every node write
/// (`update_node`) and every reservation move them, and one owner keeps them in step.
pub(crate) struct SchedulerCache<'a> {
    cluster: &'a mut Cluster,
    shapes: &'a [crate::sim::shape::PodShape],
}

impl<'a> SchedulerCache<'a> {
    pub(crate) fn new(cluster: &'a mut Cluster, shapes: &'a [crate::sim::shape::PodShape]) -> Self {
        SchedulerCache { cluster, shapes }
    }

    /// Assume: a pod of spec `shape` holds its requests on `node`.
    pub(crate) fn reserve(&mut self, node: NodeId, shape: crate::sim::objects::ShapeId) {
        let s = &self.shapes[shape as usize];
        self.cluster.reserve(node, &s.request, s.score_request);
    }

    /// A pod of spec `shape` that held its requests on `node` is gone or terminal.
    pub(crate) fn release(&mut self, node: NodeId, shape: crate::sim::objects::ShapeId) {
        let s = &self.shapes[shape as usize];
        self.cluster.release(node, &s.request, s.score_request);
    }

    /// A reservation of raw requests (the invariant tests over-commit a node with it).
    #[cfg(test)]
    pub(crate) fn reserve_requests(&mut self, node: NodeId, request: &[i64]) {
        self.cluster.reserve(node, request, [0, 0]);
    }

    /// `Pristine::watch_domains`: counts a topology's free domains from now on.
    pub(crate) fn watch_domains(
        &mut self,
        domain_of: Vec<u32>,
        runs: &[(u32, u32, u32)],
        occupied: Vec<bool>,
    ) -> usize {
        self.cluster
            .pristine
            .watch_domains(domain_of, runs, occupied)
    }

    /// `Pristine::set_occupied`: domain `d` of watched topology `w` holds placed pods or none.
    pub(crate) fn set_occupied(&mut self, w: usize, d: u32, occupied: bool) {
        self.cluster.pristine.set_occupied(w, d, occupied);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::quantity::Quantity;

    fn pool(name: &str, count: u32, per: u32) -> NodePoolSpec {
        NodePoolSpec {
            name: name.into(),
            count,
            nodes_per_pool: per,
            labels: [("accel".to_string(), "tpu".to_string())].into(),
            label_templates: vec![],
            taints: vec![],
            capacity: [("cpu".to_string(), Quantity::from_units(8))].into(),
            topology: vec![("topology.kubernetes.io/rack".into(), 4)],
        }
    }

    #[test]
    fn dashed_names_are_formatted_names() {
        for n in [0, 7, 10, 99, 100, 4095, 131_071, u32::MAX] {
            assert_eq!(dashed_name("v5p-12", n), format!("v5p-12-{n}"));
        }
        assert_eq!(dashed_name("", 3), "-3");
    }

    #[test]
    fn templated_labels_name_each_pool_and_node() {
        use crate::scenario::LabelTemplate;
        let mut spec = pool("slice", 3, 2);
        let job = LabelTemplate::parse("default_train-slice-{pool}")
            .unwrap()
            .unwrap();
        let host = LabelTemplate::parse("h{pool}.{node}").unwrap().unwrap();
        spec.label_templates = vec![("job".into(), job), ("host".into(), host)];
        let c = Cluster::build(&[spec], ResourceIndex::default());
        let labels_of = |n: NodeId| {
            (
                c.label_value(n, "job").unwrap(),
                c.label_value(n, "host").unwrap(),
            )
        };
        assert_eq!(labels_of(0), ("default_train-slice-0", "h0.0"));
        assert_eq!(labels_of(1), ("default_train-slice-0", "h0.1"));
        assert_eq!(labels_of(5), ("default_train-slice-2", "h2.1"));
        assert_eq!(
            c.label_value(5, "accel"),
            Some("tpu"),
            "fixed labels stay on every node"
        );
    }

    #[test]
    fn builds_pools_labels_and_topology() {
        let c = Cluster::build(&[pool("tpu", 2, 4)], ResourceIndex::default());
        assert_eq!(c.len(), 8);
        assert_eq!(c.node(5).name, "tpu-1-1");
        assert_eq!(c.label_value(5, NODE_POOL_LABEL), Some("tpu-1"));
        assert_eq!(
            c.label_value(5, "topology.kubernetes.io/rack"),
            Some("tpu-rack-1")
        );
        assert_eq!(c.nodes_with_label(NODE_POOL_LABEL, "tpu-0"), &[0, 1, 2, 3]);
        assert_eq!(c.nodes_with_label("accel", "tpu").len(), 8);
        assert_eq!(c.alloc(0)[resources::CPU], 8000);
        assert_eq!(c.alloc(0)[resources::PODS], 110_000);
        assert_eq!(c.node_by_name("tpu-0-3"), Some(3));
        // Domains per key: what a scan of every node's value finds.
        for key in [
            NODE_POOL_LABEL,
            HOSTNAME_LABEL,
            "accel",
            "topology.kubernetes.io/rack",
            "gpu",
        ] {
            let scan: std::collections::BTreeSet<&str> = (0..c.len() as NodeId)
                .filter_map(|n| c.label_value(n, key))
                .collect();
            assert_eq!(c.label_domains(key), scan.len(), "{key}");
        }
        assert_eq!(c.label_domains(NODE_POOL_LABEL), 2);
        assert_eq!(c.label_domains("topology.kubernetes.io/rack"), 2);
        assert_eq!(c.label_domains("gpu"), 0);
    }

    #[test]
    fn reserve_and_release() {
        let mut c = Cluster::build(&[pool("p", 1, 1)], ResourceIndex::default());
        let req = vec![2000, 0, 1000];
        c.reserve(0, &req, [2000, 0]);
        assert_eq!(c.used(0)[0], 2000);
        c.release(0, &req, [2000, 0]);
        assert_eq!(c.used(0)[0], 0);
    }
}

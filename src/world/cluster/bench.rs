//! The cluster's per-pod bookkeeping, for `benches/cluster.rs`: public only because a bench is
//! another crate. Builds llama3-54d's cluster (nodes of 8 GPUs) and binds and releases
//! whole-node pods on it, each a reservation or a release that brings the node's indexes up
//! to date (`Cluster::sync_pristine`: the pristine and used-class trees, the free-capacity
//! indexes), then reads the plain scan's free index once, which catches up with the writes.

use super::resources::ResourceIndex;
use super::Cluster;
use crate::api::quantity::Quantity;
use crate::scenario::NodePoolSpec;

/// A cluster of `nodes` nodes of 8 GPUs, and a whole-node pod's requests.
pub struct ClusterBench {
    cluster: Cluster,
    request: Vec<i64>,
}

impl ClusterBench {
    pub fn new(nodes: u32) -> Self {
        let capacity = [
            ("cpu", 192),
            ("memory", 2048 << 30),
            ("nvidia.com/gpu", 8),
            ("pods", 110),
        ];
        let spec = NodePoolSpec {
            name: "a3".into(),
            count: 1,
            nodes_per_pool: nodes,
            labels: Default::default(),
            label_templates: vec![],
            taints: vec![],
            capacity: (capacity.iter())
                .map(|&(name, units)| {
                    (
                        name.to_string(),
                        Quantity {
                            milli: units * 1000,
                        },
                    )
                })
                .collect(),
            topology: vec![("topology.kubernetes.io/block".into(), 32)],
        };
        let cluster = Cluster::build(&[spec], ResourceIndex::default());
        let mut request = vec![0; cluster.dims()];
        for (name, milli) in [("cpu", 180_000), ("nvidia.com/gpu", 8000), ("pods", 1000)] {
            request[cluster.resources.get(name).expect("a node resource")] = milli;
        }
        ClusterBench { cluster, request }
    }

    /// `rounds` times: a pod bound to every node in a stride order, then each released. Then
    /// the plain scan's first fit for the pod. Returns that node (none: every node is free).
    pub fn bind_and_release(&mut self, rounds: u32) -> Option<usize> {
        let n = self.cluster.len() as u32;
        let score_request = [self.request[super::resources::CPU], 0];
        for round in 0..rounds {
            let order = (0..n).map(|i| (i * 7 + round) % n);
            for node in order.clone() {
                self.cluster.reserve(node, &self.request, score_request);
            }
            for node in order {
                self.cluster.release(node, &self.request, score_request);
            }
        }
        self.cluster.free.next_fit_all(&self.request, 0)
    }
}

//! The Topology-Aware Scheduling placement on a large topology, for `benches/tas.rs`: public
//! only because a bench is another crate. Builds a three-level topology (block, rack, host) of
//! TPU hosts with some of them busy, and runs `TasSnapshot::find` for a request written as a
//! pod template's annotations.

use crate::kueue::tas::{parse_request, TasSnapshot, TopologyRequest};
use std::collections::BTreeMap;

/// A topology of `blocks × racks_per_block × hosts_per_rack` hosts of 4 chips (dims: chips,
/// pods). In one rack in `busy_every`, its first 1 to 5 hosts are taken by admitted Workloads
/// (the k-th such rack has k mod 5 + 1 busy hosts).
pub struct TasBench {
    snapshot: TasSnapshot,
}

/// A request: the pod template's `kueue.x-k8s.io/podset-*` annotations and the pod count.
pub struct TasBenchRequest {
    request: TopologyRequest,
    count: u32,
}

impl TasBench {
    pub fn new(blocks: u32, racks_per_block: u32, hosts_per_rack: u32, busy_every: u32) -> Self {
        let levels = [
            "cloud.google.com/gce-topology-block",
            "cloud.google.com/gce-topology-subblock",
            "kubernetes.io/hostname",
        ];
        let mut snapshot = TasSnapshot::new(levels.iter().map(|l| l.to_string()).collect(), 2);
        snapshot.set_topology_name("tpu-topology");
        snapshot.set_dim_names(&["google.com/tpu", "pods"]);
        let mut rack_ix = 0u32;
        for b in 0..blocks {
            for r in 0..racks_per_block {
                let busy = if busy_every > 0 && rack_ix.is_multiple_of(busy_every) {
                    (rack_ix / busy_every) % 5 + 1
                } else {
                    0
                };
                rack_ix += 1;
                for h in 0..hosts_per_rack {
                    let block = format!("block-{b}");
                    let rack = format!("block-{b}-rack-{r}");
                    let host = format!("tpu-{b}-{r}-{h}");
                    let leaf = snapshot.add_node(&[&block, &rack, &host], &[4, 110]);
                    if h < busy {
                        snapshot.adjust(leaf, &[4, 1], 1, 1);
                    }
                }
            }
        }
        TasBench { snapshot }
    }

    /// A request from annotations; panics when Kueue's webhook would refuse it.
    pub fn request(annotations: &[(&str, &str)], count: u32) -> TasBenchRequest {
        let map: BTreeMap<String, String> = annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let request = parse_request(&map, count)
            .expect("valid annotations")
            .unwrap_or(TopologyRequest::new(
                crate::kueue::tas::TopologyMode::Implied,
            ));
        TasBenchRequest { request, count }
    }

    /// One placement of pods of 4 chips: the number of hosts used, or 0 when it does not fit.
    pub fn find(&self, req: &TasBenchRequest) -> usize {
        match self
            .snapshot
            .find(&req.request, &[4, 1], req.count, &|_| true)
        {
            Ok(hosts) => {
                debug_assert!(hosts
                    .iter()
                    .all(|&(leaf, _)| !self.snapshot.leaf_values(leaf).is_empty()));
                hosts.len()
            }
            Err(_) => 0,
        }
    }

    /// One placement of a PodSet group: the request's pods as workers of 4 chips and a
    /// leader of one pod and no chip (`TasSnapshot::find_group`): the hosts the workers use,
    /// or 0 when it does not fit.
    pub fn find_group(&self, req: &TasBenchRequest) -> usize {
        match self
            .snapshot
            .find_group(&req.request, &[4, 1], req.count, Some(&[0, 1]), &|_| Ok(()))
        {
            Ok((workers, leader)) => {
                debug_assert_eq!(leader.len(), 1);
                workers.len()
            }
            Err(_) => 0,
        }
    }
}

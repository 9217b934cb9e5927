//! Kueue's second placement pass for a failed node (`TASFailedNodeReplacement`, kueue-semantics
//! §9.5; `pkg/cache/scheduler/tas_flavor_snapshot.go` `findReplacementAssignment`,
//! `requiredReplacementDomain`, `findIncompleteSliceDomain`): the pods an admitted PodSet had
//! on the lost node are placed again, inside the domain the rest of the assignment needs them
//! in, and merged into the assignment.
//!
//! The domain: with slices, when the lost pods break a slice (their count is not a multiple of
//! the outermost slice size), the domain of the innermost layer they break that the kept pods
//! leave incomplete; otherwise, under a required level, the domain at that level of the kept
//! pods; otherwise anywhere. With slices broken and a domain found, the lost pods are placed as
//! slices of the innermost layer whose size divides their count (one pod each when none does),
//! so the groups inside the broken slice are kept.

use super::{LeafIx, TasSnapshot, TopologyMode, TopologyRequest};

/// Kueue's exclusion reason for a leaf outside the required replacement domain.
const OUTSIDE_DOMAIN: &str = "topologyDomain";

impl TasSnapshot {
    /// The assignment after the lost node: the `lost_count` pods the PodSet had on it (its
    /// value for every level, `lost`) placed again given the leaves and counts it keeps
    /// (`kept`), merged with those as Kueue's `mergeTopologyAssignments` does (by leaf values,
    /// equal leaves summed). Leaves `eligible` refuses are left out without a word. Kueue's
    /// reason when the lost pods fit nowhere they may go.
    pub(crate) fn replace_assignment(
        &self,
        req: &TopologyRequest,
        per_pod: &[i64],
        (kept, lost, lost_count): (&[(LeafIx, u32)], &[&str], u32),
        eligible: &dyn Fn(LeafIx) -> bool,
    ) -> Result<Vec<(LeafIx, u32)>, String> {
        let domain = self.replacement_domain(req, kept, lost, lost_count);
        let narrowed;
        let req = match domain {
            Some(_) if breaks_slice(req, lost_count) => {
                narrowed = narrowed_request(req, lost_count);
                &narrowed
            }
            _ => req,
        };
        let found = self.find_explained(req, per_pod, lost_count, &|leaf| {
            if !eligible(leaf) {
                return Err(None);
            }
            match domain {
                Some((level, d)) if self.ancestor(leaf, level) != d => {
                    Err(Some(OUTSIDE_DOMAIN.to_string()))
                }
                _ => Ok(()),
            }
        })?;
        let mut all: Vec<(LeafIx, u32)> = kept.iter().copied().chain(found).collect();
        all.sort_by(|a, b| self.leaf_values(a.0).cmp(self.leaf_values(b.0)));
        let mut merged: Vec<(LeafIx, u32)> = Vec::with_capacity(all.len());
        for (leaf, count) in all {
            match merged.last_mut() {
                Some((last, n)) if *last == leaf => *n += count,
                _ => merged.push((leaf, count)),
            }
        }
        Ok(merged)
    }

    /// `requiredReplacementDomain`: (level, domain) the lost pods must go back into, or None
    /// for anywhere in the flavor.
    fn replacement_domain(
        &self,
        req: &TopologyRequest,
        kept: &[(LeafIx, u32)],
        lost: &[&str],
        lost_count: u32,
    ) -> Option<(usize, u32)> {
        // The lost node held the whole assignment: nothing to stay close to.
        let &(first_kept, _) = kept.first()?;
        if breaks_slice(req, lost_count) {
            let layers = slice_layers(req);
            // Single-layer: the slice layer; multi-layer: the innermost one the lost pods break.
            let (label, size) = if layers.len() > 1 {
                *layers
                    .iter()
                    .rev()
                    .find(|(_, s)| !lost_count.is_multiple_of(*s))?
            } else {
                layers[0]
            };
            return self.incomplete_slice_domain(kept, lost, lost_count, (label, size));
        }
        let TopologyMode::Required(label) = &req.mode else {
            return None;
        };
        let level = self.level_ix(label)?;
        Some((level, self.ancestor(first_kept, level)))
    }

    /// `findIncompleteSliceDomain`: the domain at the layer's level whose kept pods plus the
    /// lost ones make whole slices. Kueue takes the first such domain of a Go map (no defined
    /// order); here the lost leaf's own domain when it qualifies (the pods came from it), else
    /// the first in the assignment's order (docs/kueue.md).
    fn incomplete_slice_domain(
        &self,
        kept: &[(LeafIx, u32)],
        lost: &[&str],
        lost_count: u32,
        (label, size): (&str, u32),
    ) -> Option<(usize, u32)> {
        let level = self.level_ix(label)?;
        let mut held: Vec<(u32, u32)> = Vec::new();
        for &(leaf, count) in kept {
            let d = self.ancestor(leaf, level);
            match held.iter_mut().find(|(h, _)| *h == d) {
                Some((_, n)) => *n += count,
                None => held.push((d, count)),
            }
        }
        let completes = |&(_, n): &(u32, u32)| (n + lost_count).is_multiple_of(size);
        let own = self.domain_at(lost, level);
        let pick = (held.iter().find(|h| Some(h.0) == own && completes(h)))
            .or_else(|| held.iter().find(|h| completes(h)))?;
        Some((level, pick.0))
    }

    /// The domain at `level` on the path of a node's values (highest level first), if the
    /// topology has it.
    fn domain_at(&self, values: &[&str], level: usize) -> Option<u32> {
        let mut parent = super::NO_PARENT;
        for (l, value) in values.iter().enumerate().take(level + 1) {
            parent = *self.index[l].get(&(parent, (*value).to_string()))?;
        }
        Some(parent)
    }

    /// The domain at `level` that holds `leaf`.
    pub(crate) fn ancestor(&self, leaf: LeafIx, level: usize) -> u32 {
        let lowest = self.levels.len() - 1;
        ((level + 1..=lowest).rev()).fold(leaf, |d, l| self.parents[l][d as usize])
    }
}

/// The slice layers, outermost first, as (level label, size).
fn slice_layers(req: &TopologyRequest) -> Vec<(&str, u32)> {
    (req.slice.iter().chain(&req.layers))
        .map(|(l, s)| (l.as_str(), *s))
        .collect()
}

/// Slices are requested and the lost pods are not whole outermost slices.
fn breaks_slice(req: &TopologyRequest, lost_count: u32) -> bool {
    req.slice
        .as_ref()
        .is_some_and(|&(_, size)| size > 0 && !lost_count.is_multiple_of(size))
}

/// The request the lost pods of a broken slice are placed with: the same level, one slice
/// layer, the innermost whose size divides their count (pods one by one when none does).
fn narrowed_request(req: &TopologyRequest, lost_count: u32) -> TopologyRequest {
    let inner = (slice_layers(req).into_iter().rev())
        .find(|(_, s)| lost_count.is_multiple_of(*s))
        .map(|(l, s)| (l.to_string(), s));
    TopologyRequest {
        mode: req.mode.clone(),
        slice: inner,
        layers: Vec::new(),
        group: None,
    }
}

/// Kueue's own cases (`pkg/cache/scheduler/tas_cache_test.go`,
/// `TestFindTopologyAssignmentsMultiLayerReplacement`): every pod requests 1 cpu; the
/// unhealthy node is out of the snapshot (NotReady).
#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "cloud.com/topology-block";
    const RACK: &str = "cloud.com/topology-rack";
    const SWITCH: &str = "cloud.com/topology-switch";
    const HOST: &str = "kubernetes.io/hostname";
    const PER_POD: [i64; 3] = [1000, 0, 1];

    /// A node: its values (highest level first), cpu in millicores, pods of the PodSet's
    /// shape another Workload already holds there, and whether it is Ready.
    type Node = (&'static [&'static str], i64, u32, bool);

    fn snapshot(levels: &[&str], nodes: &[Node]) -> TasSnapshot {
        let mut s = TasSnapshot::new(levels.iter().map(|l| l.to_string()).collect(), 3);
        s.set_topology_name("default");
        s.set_dim_names(&["cpu", "memory", "pods"]);
        for &(values, cpu_m, used, ready) in nodes {
            let leaf = s.add_node(values, &[cpu_m, 1 << 30, 10]);
            s.adjust(leaf, &PER_POD, used, 1);
            s.set_leaf_present(leaf, ready);
        }
        s
    }

    fn leaf(s: &TasSnapshot, host: &str) -> LeafIx {
        (0..)
            .find(|&l| s.leaf_values(l).last().map(String::as_str) == Some(host))
            .expect("a known host")
    }

    /// The assignment after `lost` fails, as (host, count).
    fn replace(
        s: &TasSnapshot,
        req: &TopologyRequest,
        kept: &[(&str, u32)],
        lost: (&[&str], u32),
    ) -> Result<Vec<(String, u32)>, String> {
        let kept: Vec<(LeafIx, u32)> = kept.iter().map(|&(h, n)| (leaf(s, h), n)).collect();
        let got = s.replace_assignment(req, &PER_POD, (&kept, lost.0, lost.1), &|_| true)?;
        Ok(got
            .into_iter()
            .map(|(l, n)| (s.leaf_values(l).last().unwrap().clone(), n))
            .collect())
    }

    fn want(pairs: &[(&str, u32)]) -> Result<Vec<(String, u32)>, String> {
        Ok(pairs.iter().map(|&(h, n)| (h.to_string(), n)).collect())
    }

    fn required(level: &str, layers: &[(&str, u32)]) -> TopologyRequest {
        let mut req = TopologyRequest::new(TopologyMode::Required(level.into()));
        let mut layers = layers.iter().map(|&(l, n)| (l.to_string(), n));
        req.slice = layers.next();
        req.layers = layers.collect();
        req
    }

    #[test]
    fn replacement_does_not_cross_a_string_prefix_sibling_domain() {
        let s = snapshot(
            &[BLOCK, RACK, HOST],
            &[
                (&["b1", "rack-a", "x1"], 1000, 0, false),
                (&["b1", "rack-a", "x2"], 1000, 1, true),
                (&["b1", "rack-ab", "x3"], 1000, 0, true),
            ],
        );
        let got = replace(
            &s,
            &required(RACK, &[]),
            &[("x2", 1)],
            (&["b1", "rack-a", "x1"], 1),
        );
        assert_eq!(got, Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 2; excluded: resource "cpu": 1, topologyDomain: 1"#.into()));
    }

    const TWO_RACKS: &[Node] = &[
        (&["b1", "r1", "x1"], 1000, 0, true),
        (&["b1", "r1", "x2"], 1000, 0, true),
        (&["b1", "r2", "x3"], 1000, 0, false),
        (&["b1", "r2", "x4"], 1000, 0, true),
        (&["b1", "r2", "x5"], 2000, 0, true),
    ];

    #[test]
    fn replace_unhealthy_node_in_incomplete_rack_slice() {
        let s = snapshot(&[BLOCK, RACK, HOST], TWO_RACKS);
        let got = replace(
            &s,
            &required(BLOCK, &[(RACK, 2)]),
            &[("x1", 1), ("x2", 1), ("x4", 1)],
            (&["b1", "r2", "x3"], 1),
        );
        // Confined to rack r2; BestFit takes x4, the tighter fit.
        assert_eq!(got, want(&[("x1", 1), ("x2", 1), ("x4", 2)]));
    }

    /// `TWO_RACKS` without x5, with x4 changed by `edit`: x3's pod replaced inside rack r2.
    fn rack_slice_without_x5(edit: impl Fn(&mut Node)) -> Result<Vec<(String, u32)>, String> {
        let mut nodes = TWO_RACKS[..4].to_vec();
        edit(&mut nodes[3]);
        let s = snapshot(&[BLOCK, RACK, HOST], &nodes);
        replace(
            &s,
            &required(BLOCK, &[(RACK, 2)]),
            &[("x1", 1), ("x2", 1), ("x4", 1)],
            (&["b1", "r2", "x3"], 1),
        )
    }

    #[test]
    fn replacement_fails_when_no_capacity_in_incomplete_slice_domain() {
        let got = rack_slice_without_x5(|x4| x4.1 = 500);
        assert_eq!(got, Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 3; excluded: resource "cpu": 1, topologyDomain: 2"#.into()));
    }

    #[test]
    fn three_layers_innermost_broken_domain_confines_replacement_to_correct_switch() {
        let host = |r, sw, x, cpu_m, ready| -> Node {
            let values: &'static [&'static str] = Box::leak(Box::new(["b1", r, sw, x]));
            (values, cpu_m, 0, ready)
        };
        let s = snapshot(
            &[BLOCK, RACK, SWITCH, HOST],
            &[
                host("r1", "s1", "x1", 4000, true),
                host("r1", "s1", "x2", 4000, true),
                host("r1", "s2", "x3", 4000, false),
                host("r1", "s2", "x4", 8000, true),
                host("r2", "s3", "x5", 4000, true),
                host("r2", "s3", "x6", 4000, true),
                host("r2", "s4", "x7", 4000, true),
                host("r2", "s4", "x8", 4000, true),
            ],
        );
        let kept = [
            ("x1", 2),
            ("x2", 2),
            ("x4", 2),
            ("x5", 2),
            ("x6", 2),
            ("x7", 2),
            ("x8", 2),
        ];
        let got = replace(
            &s,
            &required(BLOCK, &[(RACK, 8), (SWITCH, 4), (HOST, 2)]),
            &kept,
            (&["b1", "r1", "s2", "x3"], 2),
        );
        // The switch layer is the innermost the 2 lost pods break: only x4 (switch s2) may
        // take them, though x1 would be the tighter fit in rack r1.
        let all = [
            ("x1", 2),
            ("x2", 2),
            ("x4", 4),
            ("x5", 2),
            ("x6", 2),
            ("x7", 2),
            ("x8", 2),
        ];
        assert_eq!(got, want(&all));
    }

    #[test]
    fn two_layers_slice_size_2_prevents_scattered_single_pod_placement_across_hosts() {
        let s = snapshot(
            &[BLOCK, RACK, HOST],
            &[
                (&["b1", "r1", "x1"], 2000, 0, true),
                (&["b1", "r1", "x2"], 2000, 0, true),
                (&["b1", "r2", "x3"], 2000, 0, false),
                (&["b1", "r2", "x4"], 1000, 0, true),
                (&["b1", "r2", "x5"], 1000, 0, true),
            ],
        );
        let got = replace(
            &s,
            &required(BLOCK, &[(RACK, 4), (HOST, 2)]),
            &[("x1", 2), ("x2", 2), ("x4", 2)],
            (&["b1", "r2", "x3"], 2),
        );
        // The 2 lost pods are one hostname slice: no host of rack r2 holds both.
        assert_eq!(got, Err(r#"topology "default" doesn't allow to fit any of 1 slice(s). Total nodes: 4; excluded: topologyDomain: 2"#.into()));
    }

    #[test]
    fn sibling_flavor_usage_on_replacement_candidate_blocks_the_replacement() {
        let got = rack_slice_without_x5(|x4| x4.2 = 1);
        assert_eq!(got, Err(r#"topology "default" doesn't allow to fit any of 1 pod(s). Total nodes: 3; excluded: resource "cpu": 1, topologyDomain: 2"#.into()));
    }

    #[test]
    fn the_lost_node_held_everything_replaces_anywhere_with_the_full_request() {
        let s = snapshot(&[BLOCK, RACK, HOST], TWO_RACKS);
        // One pod, rack required: the whole assignment is gone, so any rack will do.
        let got = replace(&s, &required(RACK, &[]), &[], (&["b1", "r2", "x3"], 1));
        assert_eq!(got, want(&[("x1", 1)]));
    }

    #[test]
    fn whole_slices_lost_go_anywhere_in_the_required_domain_as_slices() {
        let s = snapshot(&[BLOCK, RACK, HOST], TWO_RACKS);
        // x3 held a whole 1-pod slice: nothing is broken, the block is the domain.
        let got = replace(
            &s,
            &required(BLOCK, &[(HOST, 1)]),
            &[("x4", 1)],
            (&["b1", "r2", "x3"], 1),
        );
        assert_eq!(got, want(&[("x1", 1), ("x4", 1)]));
    }
}

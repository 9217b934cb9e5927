//! `findTopologyAssignment` in its general form (kueue-semantics §9.3,
//! `pkg/cache/scheduler/tas_flavor_snapshot.go`): a PodSet group (a leader PodSet of one pod
//! placed with its workers, `podset-group-name`) and multi-layer slices
//! (`podset-slice-required-topology-constraints`, `TASMultiLayerTopology`).
//!
//! Phase 1 counts, per domain, the workers it holds (`pods`), with one leader taken out of
//! one of its leaves (`pods_wl`), whether it holds a leader (`leaders`) and the slices of
//! each; phase 2 picks and descends as Kueue does, step for step: the domains are sorted
//! per step and their counts overwritten as they are taken (`updateCountsToMinimumGeneric`,
//! `consumeWithLeadersGeneric`, `prioritizeLeaderDomain`). Without a leader and without
//! inner slice layers it gives what `TasSnapshot::find` gives (a test checks it on random
//! topologies); `find` stays the fast path for those, this one sorts every candidate list.

use super::{
    count_in_free, go_quote, LeafIx, RequestLevels, Stats, TasSnapshot, TopologyMode,
    TopologyRequest,
};
use std::collections::BTreeMap;

/// Kueue's `domainState` for one find.
#[derive(Clone, Copy, Default, Debug)]
struct St {
    pods: i64,
    slices: i64,
    pods_wl: i64,
    slices_wl: i64,
    leaders: i64,
}

/// A found placement: the workers' leaves and pod counts, and the leader's (empty without a
/// leader), each in the order of the leaves' values.
pub(crate) type GroupFound = (Vec<(LeafIx, u32)>, Vec<(LeafIx, u32)>);

struct Run<'a> {
    snap: &'a TasSnapshot,
    st: Vec<Vec<St>>,
    ranks: &'a [Vec<u32>],
    best_fit: bool,
    unconstrained: bool,
    required: bool,
    count: i64,
    leader_count: i64,
    slice_size: i64,
    /// The inner slice layers' sizes per level below the outer slice level
    /// (`buildSliceSizeAtLevel`).
    size_at: BTreeMap<usize, i64>,
    /// Every slice layer, outermost first, with its level (for the multi-layer message).
    constraints: Vec<(String, i64)>,
    stats: Stats,
}

impl TasSnapshot {
    /// `findTopologyAssignment` for `count` workers of `per_pod` and, with `leader`, one
    /// leader pod of that request in the same placement (the caller adds one `pods` to each
    /// request). The workers' request decides the levels, the slices and the leaves excluded.
    pub(crate) fn find_group(
        &self,
        req: &TopologyRequest,
        per_pod: &[i64],
        count: u32,
        leader: Option<&[i64]>,
        exclusion: &dyn Fn(LeafIx) -> Result<(), Option<String>>,
    ) -> Result<GroupFound, String> {
        let levels = self.request_levels(req)?;
        let size_at = self.slice_size_at_levels(req, levels.slice_size, levels.slice_level)?;
        let constraints = if size_at.is_empty() {
            Vec::new()
        } else {
            std::iter::once((levels.slice_key.to_string(), levels.slice_size))
                .chain(req.layers.iter().map(|(t, s)| (t.clone(), i64::from(*s))))
                .collect()
        };
        let mut run = Run {
            snap: self,
            st: self
                .domains
                .iter()
                .map(|d| vec![St::default(); d.len()])
                .collect(),
            ranks: self.ranks(),
            best_fit: !levels.unconstrained,
            unconstrained: levels.unconstrained,
            required: matches!(req.mode, TopologyMode::Required(_)),
            count: i64::from(count),
            leader_count: i64::from(leader.is_some()),
            slice_size: levels.slice_size,
            size_at,
            constraints,
            stats: Stats::new(),
        };
        run.phase1(per_pod, leader, exclusion, levels.slice_level);

        // Phase 2a, then 2b above the slice level and at and below it.
        let (fit_level, fit) = run.find_level(levels.requested)?;
        let (count, leaders) = (run.count, run.leader_count);
        let cur = run.update_to_minimum(fit_level, fit, count, leaders, levels.slice_size, true);
        let (level, cur) = run.descend_in_slices(fit_level, cur, &levels);
        let leaves = run.descend_in_pods(level, cur, levels.lowest);
        Ok(run.placement(&leaves, levels.lowest, leader.is_some()))
    }

    /// `buildSliceSizeAtLevel`: each inner layer below the one before, dividing its size;
    /// the levels between take the inner layer's size. Kueue's message on a bad layer.
    fn slice_size_at_levels(
        &self,
        req: &TopologyRequest,
        slice_size: i64,
        slice_level: usize,
    ) -> Result<BTreeMap<usize, i64>, String> {
        let mut size_at = BTreeMap::new();
        let (mut prev_size, mut prev_level) = (slice_size, slice_level);
        for (topology, size) in &req.layers {
            let size = i64::from(*size);
            let Some(inner) = self.level_ix(topology) else {
                return Err(format!(
                    "no requested topology level for additional slice layer: {topology}"
                ));
            };
            if inner <= prev_level {
                return Err(format!(
                    "additional slice layer topology {topology} must be at a lower level than {}",
                    self.levels[prev_level]
                ));
            }
            if size <= 0 || prev_size % size != 0 {
                return Err(format!(
                    "additional slice layer size {size} must evenly divide parent layer size {prev_size}"
                ));
            }
            for l in prev_level + 1..=inner {
                size_at.insert(l, size);
            }
            prev_size = size;
            prev_level = inner;
        }
        Ok(size_at)
    }
}

impl Run<'_> {
    /// Phase 2b above the slice level: the children of all chosen domains, together, take
    /// whole slices. Returns the level reached and its chosen domains.
    fn descend_in_slices(
        &mut self,
        fit_level: usize,
        mut cur: Vec<u32>,
        levels: &RequestLevels<'_>,
    ) -> (usize, Vec<u32>) {
        let (count, leaders) = (self.count, self.leader_count);
        let mut level = fit_level;
        while level < levels.lowest.min(levels.slice_level) {
            let children: Vec<u32> = cur
                .iter()
                .flat_map(|&d| {
                    self.snap.domains[level][d as usize]
                        .children
                        .iter()
                        .copied()
                })
                .collect();
            let sorted = self.sorted(level + 1, &children);
            cur = self.update_to_minimum(level + 1, sorted, count, leaders, self.slice_size, true);
            level += 1;
        }
        (level, cur)
    }

    /// Phase 2b at and below the slice level: each domain's pods to its own children, in
    /// inner slices where a layer asks for them. Returns the chosen leaves.
    fn descend_in_pods(&mut self, mut level: usize, mut cur: Vec<u32>, lowest: usize) -> Vec<u32> {
        while level < lowest {
            let size_on = self.size_at.get(&(level + 1)).copied().unwrap_or(1);
            let mut next = Vec::new();
            for &d in &cur {
                let children = &self.snap.domains[level][d as usize].children;
                let sorted = self.sorted(level + 1, children);
                if size_on > 1 {
                    for &c in &sorted {
                        let s = &mut self.st[level + 1][c as usize];
                        s.slices = s.pods / size_on;
                        s.slices_wl = s.pods_wl / size_on;
                    }
                }
                let parent = self.st[level][d as usize];
                next.extend(self.update_to_minimum(
                    level + 1,
                    sorted,
                    parent.pods,
                    parent.leaders,
                    size_on,
                    size_on > 1,
                ));
            }
            cur = next;
            level += 1;
        }
        cur
    }

    /// The workers' and (with a leader) the leader's leaves and pod counts, in the order of
    /// the leaves' values.
    fn placement(&self, leaves: &[u32], lowest: usize, with_leader: bool) -> GroupFound {
        let by_rank = |v: &mut Vec<(LeafIx, u32)>| {
            v.sort_unstable_by_key(|&(leaf, _)| self.ranks[lowest][leaf as usize])
        };
        let st = &self.st[lowest];
        let mut workers: Vec<(LeafIx, u32)> = (leaves.iter())
            .filter(|&&d| st[d as usize].pods > 0)
            .map(|&d| (d, st[d as usize].pods as u32))
            .collect();
        let mut leader_at: Vec<(LeafIx, u32)> = Vec::new();
        if with_leader {
            leader_at = (leaves.iter())
                .filter(|&&d| st[d as usize].leaders > 0)
                .map(|&d| (d, st[d as usize].leaders as u32))
                .collect();
            by_rank(&mut leader_at);
        }
        by_rank(&mut workers);
        (workers, leader_at)
    }

    /// fillLeafCounts and fillInCountsHelper.
    fn phase1(
        &mut self,
        per_pod: &[i64],
        leader: Option<&[i64]>,
        exclusion: &dyn Fn(LeafIx) -> Result<(), Option<String>>,
        slice_level: usize,
    ) {
        let lowest = self.snap.levels.len() - 1;
        self.count_leaves(per_pod, leader, exclusion);
        let ss = self.slice_size;
        if lowest == slice_level {
            for s in &mut self.st[lowest] {
                s.slices = s.pods / ss;
                s.slices_wl = s.pods_wl / ss;
            }
        }
        for level in (0..lowest).rev() {
            for d in 0..self.snap.domains[level].len() {
                let mut s = self.sum_children(level, d, leader.is_some());
                if level == slice_level {
                    s.slices = s.pods / ss;
                    s.slices_wl = s.pods_wl / ss;
                }
                self.st[level][d] = s;
            }
        }
    }

    /// fillLeafCounts: each present, eligible leaf's workers, with and without the leader,
    /// and whether it holds the leader; the exclusion statistics of the others.
    fn count_leaves(
        &mut self,
        per_pod: &[i64],
        leader: Option<&[i64]>,
        exclusion: &dyn Fn(LeafIx) -> Result<(), Option<String>>,
    ) {
        let snap = self.snap;
        let lowest = snap.levels.len() - 1;
        let dims = snap.dims;
        let mut limited_by = vec![0usize; dims];
        for leaf in 0..snap.leaf_count() {
            if snap.absent[leaf] {
                continue;
            }
            if let Err(reason) = exclusion(leaf as LeafIx) {
                if let Some(reason) = reason {
                    *self.stats.entry(reason).or_insert(0) += 1;
                }
                continue;
            }
            let mut free = snap.free[leaf * dims..(leaf + 1) * dims].to_vec();
            let (pods, limiting) = count_in_free(&free, per_pod, &snap.dim_names);
            if pods == 0 {
                if let Some(d) = limiting {
                    limited_by[d] += 1;
                }
            }
            let s = &mut self.st[lowest][leaf];
            s.pods = pods;
            if let Some(lr) = leader {
                if count_in_free(&free, lr, &snap.dim_names).0 > 0 {
                    s.leaders = 1;
                    for (f, r) in free.iter_mut().zip(lr) {
                        *f -= r;
                    }
                }
            }
            s.pods_wl = count_in_free(&free, per_pod, &snap.dim_names).0;
        }
        for (d, &n) in limited_by.iter().enumerate() {
            if let (true, Some(name)) = (n > 0, snap.dim_names.get(d)) {
                self.stats.insert(format!("resource {}", go_quote(name)), n);
            }
        }
    }

    /// fillInCountsHelper for domain `d` of `level`: its children's counts summed (pods
    /// rounded down to whole inner slices), the leader's penalty the smallest among the
    /// children that could hold it. Slices at the slice level are the caller's.
    fn sum_children(&self, level: usize, d: usize, leader_required: bool) -> St {
        let inner = self.size_at.get(&(level + 1)).copied();
        let (mut pods, mut slices, mut leaders) = (0i64, 0i64, 0i64);
        let mut contributor = false;
        let (mut min_pods, mut min_slices) = (i64::MAX, i64::MAX);
        for &c in &self.snap.domains[level][d].children {
            let cs = self.st[level + 1][c as usize];
            let round = |n: i64| inner.map_or(n, |k| n / k * k);
            let (cp, cpw) = (round(cs.pods), round(cs.pods_wl));
            pods += cp;
            slices += cs.slices;
            if !leader_required || cs.leaders > 0 {
                contributor = true;
                min_pods = min_pods.min(cp - cpw);
                min_slices = min_slices.min(cs.slices - cs.slices_wl);
            }
            leaders = leaders.max(cs.leaders);
        }
        let (pods_wl, slices_wl) = if contributor {
            (pods - min_pods, slices - min_slices)
        } else {
            (0, 0)
        };
        St {
            pods,
            slices,
            pods_wl,
            slices_wl,
            leaders,
        }
    }

    fn get(&self, level: usize, d: u32) -> St {
        self.st[level][d as usize]
    }

    /// `sortedDomains`: slices descending (BestFit) or ascending (LeastFreeCapacity), then
    /// pods ascending, then the values.
    fn sorted(&self, level: usize, doms: &[u32]) -> Vec<u32> {
        let mut out = doms.to_vec();
        out.sort_by(|&a, &b| {
            let (x, y) = (self.get(level, a), self.get(level, b));
            let slices = if self.best_fit {
                y.slices.cmp(&x.slices)
            } else {
                x.slices.cmp(&y.slices)
            };
            slices
                .then(x.pods.cmp(&y.pods))
                .then(self.ranks[level][a as usize].cmp(&self.ranks[level][b as usize]))
        });
        out
    }

    /// `sortedDomainsWithLeader`: domains with a leader first, then as `sorted` on the
    /// counts with a leader.
    fn sorted_with_leader(&self, level: usize, doms: &[u32]) -> Vec<u32> {
        let mut out = doms.to_vec();
        out.sort_by(|&a, &b| {
            let (x, y) = (self.get(level, a), self.get(level, b));
            let slices = if self.best_fit {
                y.slices_wl.cmp(&x.slices_wl)
            } else {
                x.slices_wl.cmp(&y.slices_wl)
            };
            y.leaders
                .cmp(&x.leaders)
                .then(slices)
                .then(x.pods_wl.cmp(&y.pods_wl))
                .then(self.ranks[level][a as usize].cmp(&self.ranks[level][b as usize]))
        });
        out
    }

    /// `findBestFitDomainBy`: the first domain with the fewest units of at least `needed`
    /// among those holding `leaders` leaders, else the first domain.
    fn best_fit(
        &self,
        level: usize,
        doms: &[u32],
        needed: i64,
        leaders: i64,
        unit: fn(St, bool) -> i64,
    ) -> u32 {
        let mut best: Option<(u32, i64)> = None;
        for &d in doms {
            let s = self.get(level, d);
            if s.leaders < leaders {
                continue;
            }
            let n = unit(s, leaders > 0);
            if n >= needed && best.is_none_or(|(_, b)| n < b) {
                best = Some((d, n));
            }
        }
        best.map_or(doms[0], |(d, _)| d)
    }

    fn best_fit_slices(&self, level: usize, doms: &[u32], needed: i64, leaders: i64) -> u32 {
        self.best_fit(level, doms, needed, leaders, |s, wl| {
            if wl {
                s.slices_wl
            } else {
                s.slices
            }
        })
    }

    fn best_fit_pods(&self, level: usize, doms: &[u32], needed: i64, leaders: i64) -> u32 {
        self.best_fit(level, doms, needed, leaders, |s, wl| {
            if wl {
                s.pods_wl
            } else {
                s.pods
            }
        })
    }

    fn not_fit(&self, level: usize, fit: i64, total: i64) -> String {
        if self.constraints.is_empty() {
            return self.snap.not_fit(fit, total, self.slice_size, &self.stats);
        }
        // multiLayerNotFitMessage: the level's domain with the most slices (ties to the
        // smaller ID), and per layer how many of its slices fit under it.
        let snap = self.snap;
        let id = |d: u32| snap.domains[level][d as usize].values.join(",");
        let mut msg = format!("topology {} doesn't allow to fit", go_quote(&snap.name));
        let best = (0..snap.domains[level].len() as u32).min_by(|&a, &b| {
            let (x, y) = (self.get(level, a), self.get(level, b));
            y.slices.cmp(&x.slices).then_with(|| id(a).cmp(&id(b)))
        });
        let Some(best) = best else {
            return msg;
        };
        for (topology, size) in &self.constraints {
            let Some(target) = snap.level_ix(topology) else {
                continue;
            };
            let fit = self.slices_under(level, best, target, *size);
            msg.push_str(&format!(
                "; {fit}/{} slice(s) fit on level {topology}",
                self.count / size
            ));
        }
        msg.push_str(&snap.stats_suffix(&self.stats));
        msg
    }

    /// `countSlicesInSubtree`.
    fn slices_under(&self, level: usize, d: u32, target: usize, size: i64) -> i64 {
        if level == target {
            return self.get(level, d).pods / size;
        }
        (self.snap.domains[level][d as usize].children.iter())
            .map(|&c| self.slices_under(level + 1, c, target, size))
            .sum()
    }

    /// `findLevelWithFitDomains`.
    fn find_level(&self, level: usize) -> Result<(usize, Vec<u32>), String> {
        let snap = self.snap;
        let n = snap.domains[level].len();
        if n == 0 || snap.absent_count == snap.leaf_count() {
            return Err(format!(
                "no topology domains at level: {}",
                snap.levels[level]
            ));
        }
        let all: Vec<u32> = (0..n as u32).collect();
        let sorted = self.sorted_with_leader(level, &all);
        let mut top = sorted[0];
        let slice_count = self.count / self.slice_size;
        let lc = self.leader_count;
        let top_st = self.get(level, top);
        if self.best_fit && top_st.slices_wl >= slice_count && top_st.leaders >= lc {
            top = self.best_fit_slices(level, &sorted, slice_count, lc);
        }
        if !self.best_fit {
            if let Some(d) = self.least_free_fit(level, &sorted, slice_count)? {
                return Ok((level, vec![d]));
            }
        }
        let t = self.get(level, top);
        if t.slices_wl < slice_count || t.leaders < lc {
            if self.required {
                return Err(self.not_fit(level, t.slices, slice_count));
            }
            if level > 0 && !self.unconstrained {
                return self.find_level(level - 1);
            }
            return Ok((level, self.spread(level, sorted, slice_count)?));
        }
        Ok((level, vec![top]))
    }

    /// LeastFreeCapacity: the first domain in `sorted` that holds every slice (and the
    /// leader); Kueue's message when none does and the topology is required.
    fn least_free_fit(
        &self,
        level: usize,
        sorted: &[u32],
        slice_count: i64,
    ) -> Result<Option<u32>, String> {
        let lc = self.leader_count;
        for &c in sorted {
            let s = self.get(level, c);
            let mut capacity = s.slices;
            if lc > 0 {
                if s.leaders < lc {
                    continue;
                }
                capacity = s.slices_wl;
            }
            if capacity >= slice_count {
                return Ok(Some(c));
            }
        }
        if self.required {
            let max = self.get(level, sorted[sorted.len() - 1]).pods;
            return Err(self.not_fit(level, max, slice_count));
        }
        Ok(None)
    }

    /// Several domains of `level` together: first those holding the leader, then the others
    /// for the slices left; Kueue's message when they hold too few.
    fn spread(&self, level: usize, sorted: Vec<u32>, slice_count: i64) -> Result<Vec<u32>, String> {
        let lc = self.leader_count;
        let mut results = Vec::new();
        let mut remaining = slice_count;
        let mut remaining_leaders = lc;
        let sorted = self.prioritize_leader(level, sorted, self.count, lc, self.slice_size, true);
        let mut idx = 0;
        while remaining_leaders > 0
            && idx < sorted.len()
            && self.get(level, sorted[idx]).leaders > 0
        {
            let mut d = sorted[idx];
            if self.best_fit && self.get(level, d).slices_wl >= remaining {
                d = self.best_fit_slices(level, &sorted[idx..], remaining, remaining_leaders);
            }
            results.push(d);
            let s = self.get(level, d);
            remaining_leaders -= s.leaders;
            remaining -= s.slices_wl;
            idx += 1;
        }
        if remaining_leaders > 0 {
            return Err(self.not_fit(level, lc - remaining_leaders, slice_count));
        }
        let rest = self.sorted(level, &sorted[idx..]);
        let mut i = 0;
        while remaining > 0 && i < rest.len() {
            let mut d = rest[i];
            if self.best_fit && self.get(level, d).slices >= remaining {
                d = self.best_fit_slices(level, &rest[i..], remaining, 0);
            }
            results.push(d);
            remaining -= self.get(level, d).slices;
            i += 1;
        }
        if remaining > 0 {
            return Err(self.not_fit(level, slice_count - remaining, slice_count));
        }
        Ok(results)
    }

    /// `prioritizeLeaderDomain`: moves to the front the first domain that holds the leader
    /// and whose leader penalty still leaves room for every worker.
    fn prioritize_leader(
        &self,
        level: usize,
        doms: Vec<u32>,
        count: i64,
        leaders: i64,
        size: i64,
        slices: bool,
    ) -> Vec<u32> {
        if leaders == 0 || doms.len() < 2 {
            return doms;
        }
        let (required, available) = if slices {
            (
                count / size,
                doms.iter().map(|&d| self.get(level, d).slices).sum::<i64>(),
            )
        } else {
            (
                count,
                doms.iter().map(|&d| self.get(level, d).pods).sum::<i64>(),
            )
        };
        for (i, &d) in doms.iter().enumerate() {
            let s = self.get(level, d);
            if s.leaders < leaders {
                continue;
            }
            let penalty = if slices {
                s.slices - s.slices_wl
            } else {
                s.pods - s.pods_wl
            };
            if available - penalty < required {
                continue;
            }
            if i == 0 {
                return doms;
            }
            let mut out = doms;
            out[..=i].rotate_right(1);
            return out;
        }
        doms
    }

    /// `updateCountsToMinimumGeneric`: `doms` in order take `count` pods (in slices of
    /// `size` when `slices`) and `leaders` leaders, each all it holds, the last one the best
    /// fit among those left; their counts become what they take. Empty when they hold too
    /// few (Kueue logs `errCodeAssumptionsViolated` and returns nil).
    fn update_to_minimum(
        &mut self,
        level: usize,
        doms: Vec<u32>,
        count: i64,
        leaders: i64,
        size: i64,
        slices: bool,
    ) -> Vec<u32> {
        let doms = self.prioritize_leader(level, doms, count, leaders, size, slices);
        let mut result = Vec::new();
        let mut remaining = if slices { count / size } else { count };
        let mut remaining_leaders = leaders;
        for i in 0..doms.len() {
            let mut d = doms[i];
            if remaining_leaders > 0 {
                let (d, done) = self.consume_with_leaders(
                    level,
                    &doms[i..],
                    &mut remaining,
                    &mut remaining_leaders,
                    size,
                    slices,
                );
                result.push(d);
                if done {
                    return result;
                }
                continue;
            }
            let units = |s: St| if slices { s.slices } else { s.pods };
            if self.best_fit && units(self.get(level, d)) >= remaining {
                d = if slices {
                    self.best_fit_slices(level, &doms[i..], remaining, 0)
                } else {
                    self.best_fit_pods(level, &doms[i..], remaining, 0)
                };
            }
            let s = &mut self.st[level][d as usize];
            s.leaders = 0;
            if units(*s) >= remaining {
                s.pods = remaining * size;
                if slices {
                    s.slices = remaining;
                }
                result.push(d);
                return result;
            }
            s.pods = units(*s) * size;
            remaining -= units(*s);
            result.push(d);
        }
        Vec::new()
    }

    /// `consumeWithLeadersGeneric`.
    fn consume_with_leaders(
        &mut self,
        level: usize,
        rest: &[u32],
        remaining: &mut i64,
        remaining_leaders: &mut i64,
        size: i64,
        slices: bool,
    ) -> (u32, bool) {
        let with_leader = |s: St| if slices { s.slices_wl } else { s.pods_wl };
        let mut d = rest[0];
        let s = self.get(level, d);
        if self.best_fit && with_leader(s) >= *remaining && s.leaders >= *remaining_leaders {
            d = if slices {
                self.best_fit_slices(level, rest, *remaining, *remaining_leaders)
            } else {
                self.best_fit_pods(level, rest, *remaining, *remaining_leaders)
            };
        }
        let s = &mut self.st[level][d as usize];
        let set_primary = |s: &mut St, v: i64| {
            if slices {
                s.slices = v;
            } else {
                s.pods = v;
            }
        };
        if with_leader(*s) >= *remaining && s.leaders >= *remaining_leaders {
            set_primary(s, *remaining);
            s.leaders = *remaining_leaders;
            s.pods = *remaining * size;
            return (d, true);
        }
        let mut wl = with_leader(*s);
        if wl > *remaining {
            wl = *remaining;
            if slices {
                s.slices_wl = wl;
            } else {
                s.pods_wl = wl;
            }
        }
        if s.leaders > *remaining_leaders {
            s.leaders = *remaining_leaders;
        }
        set_primary(s, wl);
        s.pods = wl * size;
        *remaining_leaders -= s.leaders;
        *remaining -= wl;
        (d, false)
    }
}

//! The plain scan's decision without visiting every pristine node.
//!
//! kube-scheduler, for a pod with no selector and no affinity, filters nodes from a rotating
//! start until it has found `want` feasible ones (or looked at all), scores them, and picks the
//! best, ties at random. Every pristine node of one pool entry (see `cluster::pristine`) passes
//! the same filters and has the same score for such a pod, and so does every node of one used
//! class (nodes of one entry in use with the same amounts, its taints only). So the feasible
//! window is: pristine nodes of the feasible entries and nodes of the feasible used classes,
//! counted from Fenwick trees (`TreeSum`), merged in node order with the other nodes, found
//! through a free-capacity index that skips the counted ones and filtered one by one. The scores follow; the pick is uniform among the best (one draw, where the reservoir
//! sampling of the plain path draws once per tie: the same distribution). The window, the
//! nodes examined and scored (the simulated cost) are exactly those of the plain scan.

use super::affinity::PodCtx;
use super::filter;
use super::Scheduler;
use super::{resource_score, WEIGHT_RESOURCES_FIT, WEIGHT_TAINT_TOLERATION};
use crate::cluster::pristine::{Fenwick, FreeDomains, Pristine, TreeSum, MAX_CLASSES};
use crate::cluster::NodeId;
use crate::engine::rng::below;
use crate::params::ScoringStrategy;
use crate::sim::ctx::Ctx;
use crate::sim::objects::ShapeId;
use crate::sim::shape::PodShape;

/// The decision: the node, nodes examined and nodes scored.
pub(crate) struct FastDecision {
    pub node: Option<NodeId>,
    pub examined: usize,
    pub scored: usize,
}

/// Pool entries beyond this many take the plain path (the per-entry work grows with them).
const MAX_SPECS: usize = 16;

impl Scheduler {
    /// Whether the fast path decides exactly as the plain scan for this shape (no node name,
    /// selector, node affinity or pod-affinity scoring involved).
    pub(crate) fn fast_path_applies(&self, cx: &Ctx<'_>, shape: &PodShape, own_job: u32) -> bool {
        shape.node_name.is_none()
            && shape.node_affinity.is_none()
            && shape.preferred_node_affinity.is_empty()
            && shape.selector_ids.as_ref().is_some_and(|s| s.is_empty())
            && cx.cluster().pristine.specs() <= MAX_SPECS
            && self
                .placement
                .score_ctx(own_job, &shape.preferred)
                .is_none()
    }

    pub(crate) fn decide_fast(
        &mut self,
        cx: &Ctx<'_>,
        shape_id: usize,
        start: usize,
        want: usize,
    ) -> Option<FastDecision> {
        let n_all = cx.cluster().len();
        self.fast_window(cx, shape_id, start, want, None, |sim, cx, w| {
            // The plain scan's window: [start, n) then [0, start).
            for (lo, hi) in [(start, n_all), (0, start)] {
                if sim.window_range(cx, w, lo, hi) {
                    break;
                }
            }
        })
    }

    /// The domain walk's decision (a pod whose own inter-pod terms are all on one topology,
    /// such as a JobSet exclusive-placement leader) without visiting every node of the domains
    /// it walks: the same runs in the same order (`Scheduler::domain_walk`), each counted as the plain
    /// scan's window is. `None` when the plain walk must decide: terms on another topology
    /// (checked per node), filters that read per-node labels, per-node scores.
    pub(crate) fn decide_fast_domains(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: crate::sim::objects::PodId,
        ctx: &PodCtx,
        topo: u16,
        start: usize,
        want: usize,
    ) -> Option<FastDecision> {
        let (shape_id, own_job) = (cx.pod(pod).shape as usize, cx.pod(pod).job);
        let shape = cx.shape(shape_id as ShapeId);
        if !self.placement.terms_only_on(ctx, topo)
            || !shape.preferred_node_affinity.is_empty()
            || cx.cluster().pristine.specs() > MAX_SPECS
            || self.entry_verdicts(cx, shape).is_none()
            || self
                .placement
                .score_ctx(own_job, &shape.preferred)
                .is_some()
        {
            return None;
        }
        // The free domains counted in bulk, when the pod's terms allow it: the walk then
        // looks one by one only at the domains holding pods that it visits.
        let occupied = self.placement.occupied_candidates(ctx, topo);
        let watch = occupied.as_ref().map(|_| self.watch_free_domains(cx, topo));
        let special: Vec<(usize, usize)> = occupied
            .iter()
            .flatten()
            .filter_map(|&r| {
                let (a, b, d) = self.placement.topos[topo as usize].runs[r as usize];
                (!self.placement.domain_excluded(ctx, topo, d)).then_some((a as usize, b as usize))
            })
            .collect();
        let n_all = cx.cluster().len();
        let mut bulk = false;
        let d = self.fast_window(cx, shape_id, start, want, watch, |sim, cx, w| {
            if w.free.is_some() {
                bulk = true;
                for (lo, hi) in [(start, n_all), (0, start)] {
                    if sim.bulk_range(cx, w, &special, lo, hi) {
                        break;
                    }
                }
                return;
            }
            for (lo, hi) in sim.domain_walk(ctx, topo, start) {
                if sim.window_range(cx, w, lo, hi) {
                    break;
                }
            }
        });
        if bulk && d.is_some() {
            self.fast_bulk_walks += 1;
        }
        d
    }

    /// The index of `topo`'s free-domain counts in `Pristine::free_domains`, set up on first
    /// use from the placed pods (and kept up to date from then on: `sync_free_domains`).
    fn watch_free_domains(&mut self, cx: &mut Ctx<'_>, topo: u16) -> usize {
        if let Some(w) = self.placement.watch_of(topo) {
            return w;
        }
        let t = &self.placement.topos[topo as usize];
        let occupied = self.placement.occupied_domains(topo);
        let w = (cx.scheduler_cache()).watch_domains(t.domain_of.clone(), &t.runs, occupied);
        self.placement.set_watch(topo, w);
        w
    }

    /// Brings the free-domain counts up to date with the domains that started or stopped
    /// holding placed pods (after every change to the affinity index's placements).
    ///
    /// Inlined: called on every placement, and most move no domain's occupancy.
    #[inline(always)]
    pub(crate) fn sync_free_domains(&mut self, cx: &mut Ctx<'_>) {
        if self.placement.occupancy_changes.is_empty() {
            return;
        }
        for (w, d, occupied) in self.placement.occupancy_changes.drain(..) {
            cx.scheduler_cache().set_occupied(w as usize, d, occupied);
        }
    }

    /// The walk over `[lo, hi)` in node order when the free domains are counted in bulk
    /// (`w.free`): the pristine nodes of free domains from its tree, the other nodes there
    /// that pass the filters, and the runs of `special` (the runs of occupied domains or of
    /// none that the walk visits, sorted) as the plain domain walk counts a range. The same nodes in the
    /// same order as `domain_walk` with `window_range`. True when the window is full.
    fn bulk_range(
        &self,
        cx: &Ctx<'_>,
        w: &mut Window,
        special: &[(usize, usize)],
        lo: usize,
        hi: usize,
    ) -> bool {
        let mut pos = lo;
        let first = special.partition_point(|&(_, b)| b <= lo);
        for &(a, b) in &special[first..] {
            if a >= hi {
                break;
            }
            let (a, b) = (a.max(lo), b.min(hi));
            if pos < a && self.free_range(cx, w, pos, a) {
                return true;
            }
            if self.window_range(cx, w, a, b) {
                return true;
            }
            pos = b;
        }
        pos < hi && self.free_range(cx, w, pos, hi)
    }

    /// `window_range` over the free domains inside `[lo, hi)` (the other nodes there are not
    /// visited: the caller walks the runs it visits among them as `special` runs).
    fn free_range(&self, cx: &Ctx<'_>, w: &mut Window, lo: usize, hi: usize) -> bool {
        let free = w.free.expect("a bulk walk");
        self.counted_range(cx, w, Counted::Free(free), lo, hi)
    }

    /// Appends the feasible nodes of `[lo, hi)` to the window in node order: runs of pristine
    /// nodes of the feasible entries (counted, not visited) and the other nodes that pass the
    /// filters. True when the window is full.
    fn window_range(&self, cx: &Ctx<'_>, w: &mut Window, lo: usize, hi: usize) -> bool {
        let counted = w.counted;
        self.counted_range(cx, w, Counted::Window(counted), lo, hi)
    }

    /// Appends `[lo, hi)` to the window in node order: the runs `counts` counts in bulk and,
    /// between them, the other nodes it visits that fit and pass the filters. True when the
    /// window is full.
    fn counted_range(
        &self,
        cx: &Ctx<'_>,
        w: &mut Window,
        counts: Counted,
        lo: usize,
        hi: usize,
    ) -> bool {
        let pr = &cx.cluster().pristine;
        let shape = w.shape;
        let mut pos = lo;
        while pos < hi {
            // The next feasible node that is not counted, or the end of the range.
            let mut next = hi;
            let mut probe = pos;
            while let Some(x) = w.next_fit(
                |from| pr.others_free.next_fit_all(&shape.request, from),
                probe,
            ) {
                if x >= hi {
                    break;
                }
                if counts.visits(x) && filter::passes(cx.cluster(), x as NodeId, shape, false) {
                    next = x;
                    break;
                }
                probe = x + 1;
            }
            // `counts.range(pos, next)`, its lower prefix kept for the selection below.
            let before = counts.prefix(pos);
            let c = if next > pos {
                (counts.prefix(next) - before) as usize
            } else {
                0
            };
            if w.found + c >= w.want {
                // The window ends among the counted nodes before `next`.
                let taken = (w.want - w.found) as u32;
                let end = counts.select(before + taken - 1).expect("counted above");
                w.items
                    .push(counts.item(Span::new(pos, end + 1, before, taken)));
                w.found = w.want;
                w.last = Some(end);
                return true;
            }
            w.found += c;
            w.items
                .push(counts.item(Span::new(pos, next, before, c as u32)));
            if next == hi {
                break;
            }
            w.others.push(next as NodeId);
            w.items.push(Item::Other(next as NodeId));
            w.found += 1;
            w.last = Some(next);
            if w.found == w.want {
                return true;
            }
            pos = next + 1;
        }
        false
    }

    /// Scores the window `walk` builds and picks the node, as `select_host` does over the
    /// nodes the plain scan collects.
    ///
    /// `watch`: the free-domain counts (`Pristine::free_domains`) a domain walk may count in
    /// bulk; handed to the walk (`Window::free`) only when the window's counted nodes are
    /// the pristine nodes of one pool entry (every other entry has none, and no used class
    /// is feasible), which that tree counts within the free domains.
    fn fast_window(
        &mut self,
        cx: &Ctx<'_>,
        shape_id: usize,
        start: usize,
        want: usize,
        watch: Option<usize>,
        walk: impl FnOnce(&Scheduler, &Ctx<'_>, &mut Window),
    ) -> Option<FastDecision> {
        let n_all = cx.cluster().len();
        let shape = cx.shape(shape_id as ShapeId);
        let pr = &cx.cluster().pristine;
        // Nodes with extra hard taints are left out of the walk below: fine while the pod
        // tolerates none of their taint lists (every such node rejects it), else plain path.
        if pr
            .live_taint_groups()
            .any(|taints| filter::first_untolerated(taints, &shape.tolerations).is_none())
        {
            return None;
        }
        // Filled in place: returned by value, its tables were copied once per decision.
        let mut table = ClassTable::new(pr);
        self.fill_class_table(cx, shape_id, &mut table)?;
        let free = watch
            .filter(|_| table.one_entry_only)
            .map(|i| &pr.free_domains[i]);
        let mut items = std::mem::take(&mut self.window_items);
        items.clear();
        let mut w = Window {
            shape,
            counted: &table.counted,
            free,
            want,
            found: 0,
            items,
            others: vec![],
            last: None,
            fit_memo: None,
        };
        walk(self, cx, &mut w);
        let examined = match w.last {
            Some(l) if w.found == want => super::wrap_index(l + n_all - start, n_all) + 1,
            _ => n_all,
        };
        let node = match w.found {
            0 => None,
            // One feasible node: taken without scoring.
            1 => {
                let counted = Tied::Counted(&table.counted);
                Some(self.kth_in_order(&w.items, counted, w.free_tree(), |_| true, 0))
            }
            _ => Some(self.pick_in_window(cx, shape, &table, &w)),
        };
        let scored = if w.found > 1 { w.found } else { 0 };
        self.window_items = w.items;
        Some(FastDecision {
            node,
            examined,
            scored,
        })
    }

    /// The scores of the pool entries' pristine nodes and of the used classes, and the trees
    /// that count the feasible ones; none when the plain path must decide (an entry's soft
    /// taints, or several but not all entries feasible).
    fn fill_class_table<'a>(
        &mut self,
        cx: &'a Ctx<'_>,
        shape_id: usize,
        table: &mut ClassTable<'a>,
    ) -> Option<()> {
        let pr = &cx.cluster().pristine;
        self.counted_scores
            .start(shape_id as ShapeId, cx.params().scheduler.scoring);
        let with_nodes = self.score_pristine_entries(cx, shape_id, table)?;
        let feasible_specs = table.spec_score().iter().filter(|s| s.is_some()).count();
        // The trees that count the feasible pristine nodes, then the used classes'.
        match feasible_specs {
            0 => {}
            _ if feasible_specs == with_nodes => table.counted.push(&pr.all),
            1 => {
                let e = table.spec_score().iter().position(|s| s.is_some());
                table
                    .counted
                    .push(&pr.per_spec[e.expect("one is feasible")]);
            }
            _ => return None, // several but not all entries feasible: plain path
        };
        let classes_feasible = self.score_used_classes(cx, shape_id, table);
        let one_entry = with_nodes == 0 || (with_nodes == 1 && feasible_specs == 1);
        table.one_entry_only = one_entry && classes_feasible == 0;
        Some(())
    }

    /// Per pool entry with pristine nodes: feasible?, and the score of its pristine nodes
    /// (its representative's, worked out once per shape: `CountedScores`). Returns the
    /// entries with pristine nodes; none when an entry's soft taints would make its taint
    /// score depend on the window.
    fn score_pristine_entries(
        &mut self,
        cx: &Ctx<'_>,
        shape_id: usize,
        table: &mut ClassTable,
    ) -> Option<usize> {
        let pr = &cx.cluster().pristine;
        let mut with_nodes = 0;
        for (e, score) in table.spec_score[..table.specs].iter_mut().enumerate() {
            if pr.per_spec[e].total() == 0 {
                continue; // no pristine node to stand for the entry
            }
            with_nodes += 1;
            let verdict = match self.counted_scores.entries[e] {
                Some(v) => v,
                None => {
                    let v = self.entry_verdict(cx, shape_id, e);
                    self.counted_scores.entries[e] = Some(v);
                    v
                }
            };
            match verdict {
                EntryVerdict::Rejected => {}
                // Its taint score would depend on the window: plain path.
                EntryVerdict::SoftTainted => return None,
                EntryVerdict::Score(s) => *score = Some(s),
            }
        }
        Some(with_nodes)
    }

    /// What the filters and scores make of entry `e`'s pristine nodes (it has some), from
    /// its representative.
    fn entry_verdict(&self, cx: &Ctx<'_>, shape_id: usize, e: usize) -> EntryVerdict {
        let shape = cx.shape(shape_id as ShapeId);
        let pr = &cx.cluster().pristine;
        let rep = pr.representative(e).expect("the entry has pristine nodes") as NodeId;
        if !filter::passes(cx.cluster(), rep, shape, false) {
            return EntryVerdict::Rejected;
        }
        if self.untolerated_soft_taints(cx, rep, shape) != 0 {
            return EntryVerdict::SoftTainted;
        }
        let fit = resource_score(
            cx.cluster().alloc(rep),
            cx.cluster().score_used(rep),
            shape,
            cx.params().scheduler.scoring,
        );
        EntryVerdict::Score(WEIGHT_RESOURCES_FIT * fit + WEIGHT_TAINT_TOLERATION * 100)
    }

    /// Used classes: every node of one passes the filters and scores as its representative
    /// (its pool's taints, none soft; the same amounts). Scores the feasible ones into
    /// `table` (once per shape and class state: `CountedScores`), adds their trees to its
    /// counted nodes, and returns how many are feasible.
    fn score_used_classes<'a>(
        &mut self,
        cx: &'a Ctx<'_>,
        shape_id: usize,
        table: &mut ClassTable<'a>,
    ) -> usize {
        let pr = &cx.cluster().pristine;
        let mut classes_feasible = 0;
        for (c, score) in table.class_score[..table.classes].iter_mut().enumerate() {
            let class = &pr.classes[c];
            if class.nodes == 0 {
                continue; // an empty slot
            }
            let generation = class.generation();
            let class_score = match self.counted_scores.classes[c] {
                Some((g, s)) if g == generation => s,
                _ => {
                    let s = class_score(cx, shape_id, c);
                    self.counted_scores.classes[c] = Some((generation, s));
                    s
                }
            };
            let Some(s) = class_score else { continue };
            *score = Some(s);
            table.counted.push(&class.tree);
            classes_feasible += 1;
        }
        classes_feasible
    }

    /// The best-scoring node of a window of two or more feasible nodes, ties broken by one
    /// uniform draw in window order (as the plain path does).
    fn pick_in_window(
        &mut self,
        cx: &Ctx<'_>,
        shape: &PodShape,
        table: &ClassTable,
        w: &Window,
    ) -> NodeId {
        let pr = &cx.cluster().pristine;
        let free_tree = w.free_tree();
        // The common window: the counted nodes of one pool entry or used class, no other
        // node. They all score alike, so all of them tie: the draw below without counting
        // and scoring per group (the same draw over the same nodes in the same order). The
        // window's counted nodes are then exactly that group's (with one group feasible, the
        // trees it counts with count the same nodes), so the walk's counts stand.
        if w.others.is_empty() && table.only_group(pr).is_some() {
            let r = below(&mut self.rng, w.found as u64) as usize;
            let tied = Tied::Counted(&table.counted);
            return self.kth_in_order(&w.items, tied, free_tree, |_| false, r);
        }
        let mut spec_counts = [0usize; MAX_SPECS];
        let mut class_counts = [0usize; MAX_CLASSES];
        let counts = (&mut spec_counts, &mut class_counts);
        let counted = w.found - w.others.len();
        table.counts_in_window(pr, &w.items, free_tree, counted, counts);
        let other_scores = self.other_node_scores(cx, shape, &w.others);
        let in_window_best = |scores: &[Option<i64>], counts: &[usize]| {
            (scores.iter().zip(counts.iter()))
                .filter(|(_, &c)| c > 0)
                .filter_map(|(s, _)| *s)
                .max()
        };
        let best = in_window_best(table.spec_score(), &spec_counts)
            .into_iter()
            .chain(in_window_best(table.class_score(), &class_counts))
            .chain(other_scores.iter().copied())
            .max()
            .expect("the window is not empty");
        // Ties in window order, one uniform draw (as the plain path does).
        let mut tied = TreeSum::default();
        let mut counted_ties = 0;
        for (e, &count) in spec_counts[..table.specs].iter().enumerate() {
            if table.spec_score[e] == Some(best) && count > 0 {
                tied.push(&pr.per_spec[e]);
                counted_ties += count;
            }
        }
        for (c, &count) in class_counts[..table.classes].iter().enumerate() {
            if table.class_score[c] == Some(best) && count > 0 {
                tied.push(&pr.classes[c].tree);
                counted_ties += count;
            }
        }
        // Which of the other nodes tie, by their place in `others` (window order).
        let other_best: Vec<bool> = other_scores.iter().map(|&s| s == best).collect();
        let ties = counted_ties + other_best.iter().filter(|&&b| b).count();
        // Drawn only when there is a choice, as in the plain path.
        let r = if ties > 1 {
            below(&mut self.rng, ties as u64) as usize
        } else {
            0
        };
        // Free-domain items hold the one entry's pristine nodes: tied when that entry is.
        let free_tied = free_tree.filter(|_| !tied.is_empty());
        self.kth_in_order(&w.items, Tied::Some(&tied), free_tied, |i| other_best[i], r)
    }

    /// Scores of the window's nodes that are not pristine, in order, TaintToleration
    /// normalized over them (pristine nodes have no untolerated soft taint, so they only
    /// raise nothing).
    fn other_node_scores(&self, cx: &Ctx<'_>, shape: &PodShape, others: &[NodeId]) -> Vec<i64> {
        let strategy = cx.params().scheduler.scoring;
        let raw_taints: Vec<i64> = others
            .iter()
            .map(|&n| self.untolerated_soft_taints(cx, n, shape))
            .collect();
        let max_taints = raw_taints.iter().copied().max().unwrap_or(0);
        others
            .iter()
            .zip(&raw_taints)
            .map(|(&n, &t)| {
                let fit = resource_score(
                    cx.cluster().alloc(n),
                    cx.cluster().score_used(n),
                    shape,
                    strategy,
                );
                let taints = if max_taints > 0 {
                    (max_taints - t) * 100 / max_taints
                } else {
                    100
                };
                WEIGHT_RESOURCES_FIT * fit + WEIGHT_TAINT_TOLERATION * taints
            })
            .collect()
    }

    /// The `k`-th node of the window, in node order, among the nodes `tied` counts and the
    /// other nodes `other_ok` accepts (by their place among the window's other nodes), and
    /// in free-domain items the nodes `free` counts (the walk's counts: `free` is the tree
    /// it counted them from).
    fn kth_in_order(
        &self,
        items: &[Item],
        tied: Tied,
        free: Option<&Fenwick>,
        other_ok: impl Fn(usize) -> bool,
        mut k: usize,
    ) -> NodeId {
        let mut other = 0;
        for item in items {
            match *item {
                Item::Free(span) => {
                    let Some(f) = free else { continue };
                    let c = span.count as usize;
                    if k < c {
                        let node = f.select(span.before + k as u32).expect("counted");
                        return node as NodeId;
                    }
                    k -= c;
                }
                Item::Run(span) => {
                    let (before, c) = match tied {
                        Tied::Counted(_) => (span.before, span.count as usize),
                        Tied::Some(t) => {
                            let before = t.prefix(span.a);
                            let c = if span.b > span.a {
                                (t.prefix(span.b) - before) as usize
                            } else {
                                0
                            };
                            (before, c)
                        }
                    };
                    if k < c {
                        let node = tied.trees().select(before + k as u32).expect("counted");
                        return node as NodeId;
                    }
                    k -= c;
                }
                Item::Other(n) => {
                    if other_ok(other) {
                        if k == 0 {
                            return n;
                        }
                        k -= 1;
                    }
                    other += 1;
                }
            }
        }
        unreachable!("k is below the window's count")
    }
}

/// The score of used class `c`'s nodes (it has some) when they pass the filters, from its
/// representative.
fn class_score(cx: &Ctx<'_>, shape_id: usize, c: usize) -> Option<i64> {
    let shape = cx.shape(shape_id as ShapeId);
    let pr = &cx.cluster().pristine;
    let rep = pr.class_representative(c).expect("the class has nodes") as NodeId;
    if !filter::passes(cx.cluster(), rep, shape, false) {
        return None;
    }
    let strategy = cx.params().scheduler.scoring;
    let fit = resource_score(
        cx.cluster().alloc(rep),
        cx.cluster().score_used(rep),
        shape,
        strategy,
    );
    Some(WEIGHT_RESOURCES_FIT * fit + WEIGHT_TAINT_TOLERATION * 100)
}

/// The verdicts and scores of the nodes a fast decision counts, for the last shape decided
/// (`Scheduler::counted_scores`). Every pristine node of a pool entry is as its pool built it
/// and every node of a used class is in the class's state, so for one shape (shapes never
/// change once made) and one scoring strategy each answers the filters and scores alike for
/// the whole run, as long as a class slot holds the same state (its generation): worked out
/// once, not per decision (two filter runs and two scores per pod were a fifth of the fast
/// path's instructions on llama3-54d).
#[derive(Default)]
pub(crate) struct CountedScores {
    /// The shape and scoring strategy the verdicts below are for.
    key: Option<(ShapeId, ScoringStrategy)>,
    /// Per pool entry, once known: its pristine nodes' verdict.
    entries: [Option<EntryVerdict>; MAX_SPECS],
    /// Per used-class slot, once known: the slot's generation then, and its nodes' score
    /// when they pass the filters.
    classes: [Option<(u64, Option<i64>)>; MAX_CLASSES],
}

impl CountedScores {
    /// Keeps the verdicts known when they are for `shape` under `strategy`, else forgets
    /// them.
    fn start(&mut self, shape: ShapeId, strategy: ScoringStrategy) {
        if self.key != Some((shape, strategy)) {
            *self = CountedScores {
                key: Some((shape, strategy)),
                ..Default::default()
            };
        }
    }
}

/// What the filters and scores make of a pool entry's pristine nodes.
#[derive(Clone, Copy)]
enum EntryVerdict {
    /// A filter rejects them.
    Rejected,
    /// They carry PreferNoSchedule taints the pod does not tolerate: their taint score
    /// depends on the window, so the plain path decides.
    SoftTainted,
    /// They pass, with this score.
    Score(i64),
}

/// The nodes a fast decision counts rather than visits: per pool entry with pristine nodes
/// and per used class, the score of its nodes when they pass the filters. Tables live on the
/// stack (at most `MAX_SPECS` entries take this path): the fast path runs once per pod, and
/// four small heap vectors per decision were a measurable share of it.
struct ClassTable<'a> {
    spec_score: [Option<i64>; MAX_SPECS],
    specs: usize,
    class_score: [Option<i64>; MAX_CLASSES],
    classes: usize,
    /// Counts the feasible pristine nodes and the nodes of the feasible used classes.
    counted: TreeSum<'a>,
    /// The counted nodes are the pristine nodes of one pool entry (every other entry has
    /// none, and no used class is feasible): a domain walk may count free domains in bulk.
    one_entry_only: bool,
}

impl<'a> ClassTable<'a> {
    /// An empty table for the pool entries and used classes of `pr`.
    fn new(pr: &Pristine) -> Self {
        ClassTable {
            spec_score: [None; MAX_SPECS],
            specs: pr.specs(),
            class_score: [None; MAX_CLASSES],
            classes: pr.classes.len(),
            counted: TreeSum::default(),
            one_entry_only: false,
        }
    }

    /// The tree of the one pool entry or used class that is feasible, if only one is.
    fn only_group<'p>(&self, pr: &'p Pristine) -> Option<&'p Fenwick> {
        let entries = (self.spec_score().iter().enumerate())
            .filter(|(_, s)| s.is_some())
            .map(|(e, _)| &pr.per_spec[e]);
        let classes = (self.class_score().iter().enumerate())
            .filter(|(_, s)| s.is_some())
            .map(|(c, _)| &pr.classes[c].tree);
        let mut feasible = entries.chain(classes);
        let only = feasible.next()?;
        feasible.next().is_none().then_some(only)
    }

    fn spec_score(&self) -> &[Option<i64>] {
        &self.spec_score[..self.specs]
    }

    fn class_score(&self) -> &[Option<i64>] {
        &self.class_score[..self.classes]
    }

    /// The feasible pristine nodes per entry, and the nodes per feasible used class, inside
    /// the window `items` (free-domain items count the one entry's pristine nodes from
    /// `free`, its own tree; no class is feasible with those). `counted`: the counted nodes
    /// in the window, all of them the one group's when a single entry or class is feasible.
    fn counts_in_window(
        &self,
        pr: &Pristine,
        items: &[Item],
        free: Option<&Fenwick>,
        counted: usize,
        (spec_counts, class_counts): (&mut [usize; MAX_SPECS], &mut [usize; MAX_CLASSES]),
    ) {
        let feasible_spec = self.spec_score().iter().position(Option::is_some);
        let feasible_class = self.class_score().iter().position(Option::is_some);
        let groups = (self.spec_score().iter().chain(self.class_score()))
            .filter(|s| s.is_some())
            .count();
        if groups == 1 {
            match (feasible_spec, feasible_class) {
                (Some(e), _) => spec_counts[e] = counted,
                (_, Some(c)) => class_counts[c] = counted,
                _ => unreachable!("one group is feasible"),
            }
            return;
        }
        let in_window = |t: &Fenwick, spec: bool| -> usize {
            items
                .iter()
                .map(|item| match *item {
                    Item::Run(span) => t.range(span.a, span.b) as usize,
                    Item::Free(span) => match free {
                        Some(f) if spec => f.range(span.a, span.b) as usize,
                        _ => 0,
                    },
                    Item::Other(_) => 0,
                })
                .sum()
        };
        for (e, s) in self.spec_score().iter().enumerate() {
            spec_counts[e] = s.map_or(0, |_| in_window(&pr.per_spec[e], true));
        }
        for (c, s) in self.class_score().iter().enumerate() {
            class_counts[c] = s.map_or(0, |_| in_window(&pr.classes[c].tree, false));
        }
    }
}

/// A window being built: the feasible nodes found so far, in the order the scan finds them.
struct Window<'a> {
    shape: &'a PodShape,
    /// Counts the feasible pristine nodes and the nodes of feasible used classes. By
    /// reference: a `TreeSum` is 328 bytes, and each range of a walk copied it.
    counted: &'a TreeSum<'a>,
    /// The free-domain counts a domain walk counts in bulk (see `fast_window`), if any.
    free: Option<&'a FreeDomains>,
    want: usize,
    found: usize,
    items: Vec<Item>,
    /// The feasible nodes that are not pristine, in window order.
    others: Vec<NodeId>,
    /// The last node in the window.
    last: Option<usize>,
    /// The last free-index search: (from, the first fitting other node at or after it).
    /// A walk's ranges move forward, so most searches fall before the answer already found.
    fit_memo: Option<(usize, Option<usize>)>,
}

impl Window<'_> {
    /// The tree free-domain items count from: the one pool entry's pristine nodes.
    fn free_tree(&self) -> Option<&Fenwick> {
        self.free.map(|f| &f.tree)
    }

    /// `search(from)` (the first fitting node at or after `from`, which nothing changes during
    /// a decision), answered from the last search when `from` lies between its start and its
    /// answer: no fitting node lies in between.
    fn next_fit(
        &mut self,
        search: impl FnOnce(usize) -> Option<usize>,
        from: usize,
    ) -> Option<usize> {
        if let Some((a, found)) = self.fit_memo {
            if a <= from && found.is_none_or(|x| from <= x) {
                return found;
            }
        }
        let found = search(from);
        self.fit_memo = Some((from, found));
        found
    }
}

/// A piece of the window: the counted nodes in a span, the pristine nodes of free domains
/// in a span (`Window::free`), or one other feasible node.
pub(crate) enum Item {
    Run(Span),
    Free(Span),
    Other(NodeId),
}

/// Nodes `[a, b)` of a walk, with what the walk counted: `before` nodes before `a` and
/// `count` in the window from `a` (up to `b`, or up to the window's last node when it ends
/// inside). The pick reads these back instead of summing the trees again.
#[derive(Clone, Copy)]
pub(crate) struct Span {
    a: usize,
    b: usize,
    before: u32,
    count: u32,
}

impl Span {
    fn new(a: usize, b: usize, before: u32, count: u32) -> Self {
        Span {
            a,
            b,
            before,
            count,
        }
    }
}

/// The nodes a pick draws among in the window's runs of counted nodes.
#[derive(Clone, Copy)]
enum Tied<'a> {
    /// All of the window's counted nodes (`Window::counted`): the walk's counts stand.
    Counted(&'a TreeSum<'a>),
    /// Some of them, counted by these trees.
    Some(&'a TreeSum<'a>),
}

impl<'a> Tied<'a> {
    fn trees(self) -> &'a TreeSum<'a> {
        match self {
            Tied::Counted(t) | Tied::Some(t) => t,
        }
    }
}

/// What a range of a walk counts in bulk rather than visiting node by node.
#[derive(Clone, Copy)]
enum Counted<'a> {
    /// The window's counted nodes (`Window::counted`), appended as `Item::Run`; every other
    /// node is visited.
    Window(&'a TreeSum<'a>),
    /// The pristine nodes of free domains, appended as `Item::Free`; only the other nodes of
    /// free domains are visited (the caller walks the occupied ones as runs of their own).
    Free(&'a FreeDomains),
}

impl Counted<'_> {
    #[inline(always)] // several times per decision
    fn prefix(&self, i: usize) -> u32 {
        match self {
            Counted::Window(t) => t.prefix(i),
            Counted::Free(f) => f.tree.prefix(i),
        }
    }

    fn select(&self, k: u32) -> Option<usize> {
        match self {
            Counted::Window(t) => t.select(k),
            Counted::Free(f) => f.tree.select(k),
        }
    }

    /// Whether the walk visits `node` when it is not counted.
    fn visits(&self, node: usize) -> bool {
        match self {
            Counted::Window(_) => true,
            Counted::Free(f) => f.free(node),
        }
    }

    fn item(&self, span: Span) -> Item {
        match self {
            Counted::Window(_) => Item::Run(span),
            Counted::Free(_) => Item::Free(span),
        }
    }
}

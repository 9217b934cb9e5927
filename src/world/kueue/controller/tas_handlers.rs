//! The Kueue component's Topology-Aware Scheduling handlers (kueue-semantics §9): placement
//! during the admission cycle, the topology ungater (`topology_ungater.go`) and the node
//! controller's failure handling (`node_controller.go`, v0.19 gates), on the component's own
//! state and client.

use super::KueueController;
use crate::cluster::NodeId;
use crate::kueue::assign::Assignment;
use crate::kueue::cycle::{Head, Unplaced, Without};
use crate::kueue::model::{FlavorIx, Model};
use crate::kueue::queue::WlId;
use crate::kueue::tas::{parse_request, TopologyMode, TopologyRequest};
use crate::kueue::topology::{
    assigned_usage, effective_request, flavor_nodes, node_unhealthy, per_pod_request, Domain,
    FlavorView, Placement, TasShapes,
};
use crate::kueue::workload::{podset_count, WlState, Workload};
use crate::kueue_api::KueueSetup;
use crate::sim::ctx::Ctx;
use crate::sim::event::Event;
use crate::sim::objects::PodId;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub(super) struct TasState {
    /// Per flavor: its Topology's name and levels, highest first (None: not a TAS flavor).
    levels: Vec<Option<(String, Vec<String>)>>,
    /// Per flavor: the nodes its `nodeLabels` select (filled on first use).
    nodes: Vec<Option<Vec<NodeId>>>,
    shapes: TasShapes,
    /// Ungate patches in flight: the pod's Workload and the nodeSelector it gets.
    ungating: BTreeMap<PodId, (WlId, Vec<(String, String)>)>,
    /// Pods ungated so far, with their Workload and nodeSelector (for failed nodes).
    ungated: BTreeMap<PodId, (WlId, Vec<(String, String)>)>,
}

impl TasState {
    pub(super) fn new(setup: &KueueSetup) -> Result<TasState, String> {
        let levels = (setup.flavors.iter())
            .map(|f| {
                let Some(name) = &f.topology_name else {
                    return Ok(None);
                };
                let t = (setup.topologies.iter()).find(|t| &t.name == name);
                t.map(|t| Some((t.name.clone(), t.levels.clone())))
                    .ok_or_else(|| {
                        format!(
                            "ResourceFlavor {}: spec.topologyName: Topology \"{name}\" not found",
                            f.name
                        )
                    })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(TasState {
            nodes: vec![None; levels.len()],
            levels,
            ..TasState::default()
        })
    }

    pub(super) fn any(&self) -> bool {
        self.levels.iter().any(Option::is_some)
    }

    fn nodes_of(&mut self, ctx: &Ctx, model: &Model, f: FlavorIx) -> &[NodeId] {
        let labels = &model.flavors[f].node_labels;
        self.nodes[f].get_or_insert_with(|| flavor_nodes(ctx.cluster(), labels))
    }

    /// The placement step of one admission cycle.
    pub(super) fn placer<'a>(
        &'a mut self,
        ctx: &'a Ctx<'a>,
        workloads: &'a [Workload],
    ) -> Placer<'a> {
        Placer {
            tas: self,
            ctx,
            workloads,
            views: BTreeMap::new(),
            empty_views: BTreeMap::new(),
            out: BTreeMap::new(),
        }
    }

    /// The flavor's capacity now, with every admitted Workload's placement taken.
    fn view(
        &mut self,
        ctx: &Ctx,
        model: &Model,
        workloads: &[Workload],
        f: FlavorIx,
    ) -> FlavorView {
        let (topology, levels) = self.levels[f].clone().expect("a TAS flavor");
        let nodes = self.nodes_of(ctx, model, f).to_vec();
        let placements = (workloads.iter())
            .filter(|w| {
                matches!(
                    w.state,
                    WlState::Reserved | WlState::Admitted | WlState::Evicting
                )
            })
            .flat_map(|w| w.placements.iter().flatten());
        let assigned = assigned_usage(placements, f);
        let shapes = &self.shapes;
        let non_tas = |n: NodeId| {
            let mut sum = vec![0i64; ctx.cluster().dims()];
            for &pod in ctx.node_pod_list(n) {
                let p = ctx.pod(pod);
                if p.removed || p.phase.terminal() || shapes.contains(p.shape) {
                    continue;
                }
                for (s, &v) in sum.iter_mut().zip(&ctx.shape(p.shape).request) {
                    *s += v;
                }
            }
            sum
        };
        let topology = (topology.as_str(), levels.as_slice());
        FlavorView::build(ctx.cluster(), &nodes, topology, &non_tas, &assigned)
    }
}

/// Places the entries of one cycle, in processing order, on views of the TAS flavors that
/// take each placement as it is made (`TASRecomputeAssignmentWithinSchedulingCycle`).
pub(super) struct Placer<'a> {
    tas: &'a mut TasState,
    ctx: &'a Ctx<'a>,
    workloads: &'a [Workload],
    views: BTreeMap<FlavorIx, FlavorView>,
    /// Per flavor: the capacity with no Workload's placement taken (`WithSimulateEmpty`).
    empty_views: BTreeMap<FlavorIx, FlavorView>,
    out: BTreeMap<WlId, Vec<Option<Placement>>>,
}

impl Placer<'_> {
    pub(super) fn into_placements(self) -> BTreeMap<WlId, Vec<Option<Placement>>> {
        self.out
    }

    /// The PodSets placed by topology, with the flavor each took: those on a TAS flavor and
    /// those with a topology request (refused on another flavor).
    fn podset_flavors(&self, w: &Workload, a: &Assignment) -> Vec<(usize, FlavorIx)> {
        (0..w.podsets.len())
            .filter_map(|i| {
                let &(_, f) = a.flavors.get(i)?.first()?;
                let requested = w.topology_requests.get(i).is_some_and(Option::is_some);
                (self.tas.levels[f].is_some() || requested).then_some((i, f))
            })
            .collect()
    }

    /// Adds (`sign` 1) or takes out (-1) the placements of Workloads `wls` on the views.
    fn shift(&mut self, wls: &[WlId], sign: i64) {
        for &wl in wls {
            for p in self.workloads[wl as usize].placements.iter().flatten() {
                if let Some(view) = self.views.get_mut(&p.flavor) {
                    view.adjust(&p.domains, &p.per_pod, sign);
                }
            }
        }
    }

    fn view_mut(&mut self, model: &Model, f: FlavorIx, empty: bool) -> &mut FlavorView {
        let (views, none) = if empty {
            (&mut self.empty_views, Some(&[] as &[Workload]))
        } else {
            (&mut self.views, None)
        };
        let (tas, ctx) = (&mut *self.tas, self.ctx);
        let placed = none.unwrap_or(self.workloads);
        views
            .entry(f)
            .or_insert_with(|| tas.view(ctx, model, placed, f))
    }

    fn place_all(
        &mut self,
        model: &Model,
        w: &Workload,
        podsets: &[(usize, FlavorIx)],
        empty: bool,
    ) -> Result<Vec<Option<Placement>>, Unplaced> {
        let mut placed: Vec<Option<Placement>> = vec![None; w.podsets.len()];
        for &(i, f) in podsets {
            let ps = &w.podsets[i];
            let request = w.topology_requests.get(i).and_then(Option::as_ref);
            // A PodSet group is placed at its first PodSet, as one request.
            let partner = group_partner(w, podsets, i);
            if partner.is_some_and(|(j, _)| j < i) {
                continue;
            }
            let result = match (self.tas.levels[f].as_ref(), partner) {
                (None, _) => Err(format!(
                    "Flavor \"{}\" does not support TopologyAwareScheduling",
                    model.flavors[f].name
                )),
                (Some(_), Some((j, _))) => {
                    self.place_group(model, f, w, (i, j), empty).map(|(a, b)| {
                        placed[j] = Some(b);
                        a
                    })
                }
                (Some(_), None) => self.place_podset(model, f, ps, request, empty),
            };
            match result {
                Ok(p) => placed[i] = Some(p),
                Err(message) => {
                    self.undo(&placed, empty);
                    let message =
                        format!("couldn't assign flavors to pod set {}: {message}", ps.name);
                    return Err(Unplaced { podset: i, message });
                }
            }
        }
        Ok(placed)
    }

    fn place_podset(
        &mut self,
        model: &Model,
        f: FlavorIx,
        ps: &crate::kueue::assign::PodSetRequest,
        request: Option<&TopologyRequest>,
        empty: bool,
    ) -> Result<Placement, String> {
        let per_pod = per_pod_request(model, self.ctx.cluster(), ps);
        let view = self.view_mut(model, f, empty);
        let mut tolerations = ps.tolerations.clone();
        tolerations.extend(model.flavors[f].tolerations.iter().cloned());
        let request = effective_request(request);
        let domains = view.place(&request, &per_pod, ps.count, &tolerations, &|_| true)?;
        view.adjust(&domains, &per_pod, 1);
        Ok(Placement {
            flavor: f,
            domains,
            per_pod,
        })
    }

    /// Places a PodSet group, its PodSets `i < j` both on flavor `f`
    /// (`FindTopologyAssignmentsForFlavor`): the workers are the first PodSet unless the
    /// second has more pods (`findLeaderAndWorkers`); the workers' request, tolerations and
    /// topology decide. The placements of `i` and `j`.
    fn place_group(
        &mut self,
        model: &Model,
        f: FlavorIx,
        w: &Workload,
        (i, j): (usize, usize),
        empty: bool,
    ) -> Result<(Placement, Placement), String> {
        let (workers, leader) = if w.podsets[j].count > w.podsets[i].count {
            (j, i)
        } else {
            (i, j)
        };
        let cluster = self.ctx.cluster();
        let per_pod = per_pod_request(model, cluster, &w.podsets[workers]);
        let leader_per_pod = per_pod_request(model, cluster, &w.podsets[leader]);
        let request = effective_request(w.topology_requests.get(workers).and_then(Option::as_ref));
        let mut tolerations = w.podsets[workers].tolerations.clone();
        tolerations.extend(model.flavors[f].tolerations.iter().cloned());
        let view = self.view_mut(model, f, empty);
        let count = w.podsets[workers].count;
        let (wd, ld) =
            view.place_group(&request, &per_pod, count, &leader_per_pod, &tolerations)?;
        view.adjust(&wd, &per_pod, 1);
        view.adjust(&ld, &leader_per_pod, 1);
        let of = |domains, per_pod| Placement {
            flavor: f,
            domains,
            per_pod,
        };
        let (pw, pl) = (of(wd, per_pod), of(ld, leader_per_pod));
        Ok(if workers == i { (pw, pl) } else { (pl, pw) })
    }

    fn undo(&mut self, placed: &[Option<Placement>], empty: bool) {
        let views = if empty {
            &mut self.empty_views
        } else {
            &mut self.views
        };
        for p in placed.iter().flatten() {
            if let Some(view) = views.get_mut(&p.flavor) {
                view.adjust(&p.domains, &p.per_pod, -1);
            }
        }
    }
}

impl crate::kueue::cycle::Placer for Placer<'_> {
    fn places(&self, head: &Head, a: &Assignment) -> bool {
        let w = &self.workloads[head.wl as usize];
        !self.podset_flavors(w, a).is_empty()
    }

    /// Every PodSet on a TAS flavor, or with a topology request, must be placed.
    fn place(
        &mut self,
        model: &Model,
        head: &Head,
        a: &Assignment,
        without: Without,
        keep: bool,
    ) -> Result<(), Unplaced> {
        let w = &self.workloads[head.wl as usize];
        let podsets = self.podset_flavors(w, a);
        if podsets.is_empty() {
            return Ok(());
        }
        let gone: &[WlId] = match without {
            Without::These(wls) => wls,
            Without::Nothing | Without::AnyPlaced => &[],
        };
        let empty = matches!(without, Without::AnyPlaced);
        // Views first, so that taking the targets out reaches every flavor the entry uses.
        for &(_, f) in &podsets {
            if self.tas.levels[f].is_some() {
                self.view_mut(model, f, empty);
            }
        }
        self.shift(gone, -1);
        let placed = self.place_all(model, w, &podsets, empty);
        if let Ok(placed) = &placed {
            if !keep || empty {
                self.undo(placed, empty);
            }
        }
        self.shift(gone, 1);
        let placed = placed?;
        if keep && !empty {
            self.out.insert(head.wl, placed);
        }
        Ok(())
    }

    /// Places on the empty views, then moves the placement onto the cycle's views (Kueue's
    /// `FindTopologyAssignmentsForWorkload(WithSimulateEmpty)` then `cq.AddUsage` of its TAS
    /// usage); the entry itself keeps no placement.
    fn hold_empty(&mut self, model: &Model, head: &Head, a: &Assignment) {
        let w = &self.workloads[head.wl as usize];
        let podsets = self.podset_flavors(w, a);
        for &(_, f) in &podsets {
            if self.tas.levels[f].is_some() {
                self.view_mut(model, f, true);
                self.view_mut(model, f, false);
            }
        }
        let Ok(placed) = self.place_all(model, w, &podsets, true) else {
            return;
        };
        self.undo(&placed, true);
        for p in placed.iter().flatten() {
            if let Some(view) = self.views.get_mut(&p.flavor) {
                view.adjust(&p.domains, &p.per_pod, 1);
            }
        }
    }
}

/// The other PodSet of `i`'s group among `podsets` (those placed, with their flavors), if it
/// took the same flavor.
fn group_partner(
    w: &Workload,
    podsets: &[(usize, FlavorIx)],
    i: usize,
) -> Option<(usize, FlavorIx)> {
    let group = |k: usize| {
        (w.topology_requests.get(k))
            .and_then(Option::as_ref)
            .and_then(|r| r.group.as_ref())
    };
    let g = group(i)?;
    let f = podsets.iter().find(|&&(k, _)| k == i)?.1;
    (podsets.iter().copied()).find(|&(k, fk)| k != i && fk == f && group(k) == Some(g))
}

/// The role of PodSet `i` in the topology ungater's view of its group (`topology_ungater.go`):
/// `Some(true)` for the larger PodSet of a group of two (the second on a tie), whose ranks
/// are offset by the smaller one's count.
fn ungater_larger(w: &Workload, i: usize) -> Option<bool> {
    let group = |k: usize| {
        (w.topology_requests.get(k))
            .and_then(Option::as_ref)
            .and_then(|r| r.group.as_ref())
    };
    let g = group(i)?;
    let members: Vec<usize> = (0..w.podsets.len())
        .filter(|&k| group(k) == Some(g))
        .collect();
    let [a, b] = members[..] else {
        return None;
    };
    let (smaller, larger) = if w.podsets[a].count > w.podsets[b].count {
        (b, a)
    } else {
        (a, b)
    };
    Some(i == larger && i != smaller)
}

/// The PodSets' topology requests, parsed (`check_topology_requests` vetted them).
pub(super) fn topology_requests(js: &crate::api::types::JobSet) -> Vec<Option<TopologyRequest>> {
    (js.spec.replicated_jobs.iter())
        .map(|rj| {
            let annotations = &rj.template.spec.template.metadata.annotations;
            parse_request(annotations, podset_count(rj)).ok().flatten()
        })
        .collect()
}

/// Kueue's webhook on the JobSet's `kueue.x-k8s.io/podset-*` annotations.
pub(super) fn check_topology_requests(
    js: &crate::api::types::JobSet,
) -> Result<(), (String, String)> {
    let exclusive = crate::api::keys::EXCLUSIVE_TOPOLOGY;
    let is_exclusive = js.metadata.annotations.contains_key(exclusive);
    for (i, rj) in js.spec.replicated_jobs.iter().enumerate() {
        let annotations = &rj.template.spec.template.metadata.annotations;
        let at = format!("spec.replicatedJobs[{i}].template.spec.template.metadata.annotations");
        match parse_request(annotations, podset_count(rj)) {
            Err((key, message)) => {
                let name = &js.metadata.name;
                let message = format!("JobSet \"{name}\" is invalid: {message}");
                return Err((format!("{at}{key}"), message));
            }
            Ok(Some(_)) if is_exclusive => {
                let message = format!(
                    "Topology-Aware Scheduling (on replicatedJobs[{i}], {}) together with JobSet \
                     exclusive placement is not simulated: the two inject conflicting node \
                     selectors; use one (docs/kueue.md)",
                    rj.name
                );
                return Err((format!("metadata.annotations[{exclusive}]"), message));
            }
            Ok(_) => {}
        }
    }
    check_groups(js)
}

/// `ValidatePodSetGroupingTopology`: a group is exactly two PodSets, one of them of one pod,
/// both with the same required or preferred level. The first error.
fn check_groups(js: &crate::api::types::JobSet) -> Result<(), (String, String)> {
    let rjs = &js.spec.replicated_jobs;
    let requests = topology_requests(js);
    let at =
        |i: usize| format!("spec.replicatedJobs[{i}].template.spec.template.metadata.annotations");
    let key = crate::kueue::tas::GROUP_NAME;
    let fail = |path: String, message: String| {
        let name = &js.metadata.name;
        Err((path, format!("JobSet \"{name}\" is invalid: {message}")))
    };
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let Some(g) = r.as_ref().and_then(|r| r.group.as_deref()) else {
            continue;
        };
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, members)) => members.push(i),
            None => groups.push((g, vec![i])),
        }
    }
    let go = crate::api::validation::go_quote;
    for (g, members) in &groups {
        let [a, b] = members[..] else {
            return fail(
                format!("{}[{key}]", at(members[0])),
                format!(
                    "Invalid value: {}: can only define groups of exactly 2 pod sets, got: {} pod set(s)",
                    go(g),
                    members.len()
                ),
            );
        };
        let (ca, cb) = (podset_count(&rjs[a]), podset_count(&rjs[b]));
        if ca != 1 && cb != 1 {
            return fail(
                format!("{}[{key}]", at(a)),
                format!(
                    "Invalid value: {}: can only define groups where at least one pod set has only 1 replica, got: {ca} replica(s) and {cb} replica(s) in the group",
                    go(g)
                ),
            );
        }
        let level = |k: usize| match requests[k].as_ref().map(|r| &r.mode) {
            Some(TopologyMode::Required(l)) => Some((true, l.clone())),
            Some(TopologyMode::Preferred(l)) => Some((false, l.clone())),
            _ => None,
        };
        if level(a).is_none() || level(a) != level(b) {
            return fail(
                at(a),
                format!(
                    "Invalid value: must specify '{}' or '{}' topology consistent with '{}' in group '{g}'",
                    crate::kueue::tas::REQUIRED,
                    crate::kueue::tas::PREFERRED,
                    at(b)
                ),
            );
        }
    }
    Ok(())
}

impl KueueController {
    /// Some ResourceFlavor places by topology.
    pub(crate) fn places_by_topology(&self) -> bool {
        self.tas.any()
    }

    /// The ungater's pod watch (§9.5): a gated pod of an admitted TAS Workload gets the
    /// domain of its rank, `completionIndex + jobIndex × pods per Job`, through one patch on
    /// Kueue's client.
    pub(crate) fn on_pod_gated(&mut self, ctx: &mut Ctx, pod: PodId) {
        let p = ctx.pod(pod);
        if p.removed || p.node.is_some() || !ctx.shape(p.shape).gated {
            return;
        }
        let job = ctx.job(p.job);
        let Some(&wl) = self.by_jobset.get(&job.jobset) else {
            return;
        };
        let w = &self.workloads[wl as usize];
        let Some(Some(placement)) = w.placements.get(job.rj as usize) else {
            return;
        };
        let rank = job.job_index * job.parallelism.min(job.completions) + p.index;
        let selector = if ungater_larger(w, job.rj as usize) == Some(true) {
            self.greedy_domain(ctx, wl, job.rj, placement)
                .selector
                .clone()
        } else {
            placement.domain_of(rank).selector.clone()
        };
        let lands = self.client.reserve(ctx.now()) + ctx.params().api_call_latency_ns;
        self.tas.ungating.insert(pod, (wl, selector));
        ctx.schedule_at(lands, Event::KueueUngateLands(pod));
    }

    /// The ungater's greedy assignment (`assignGatedPodsToDomainsGreedy`), for the larger
    /// PodSet of a group: a JobSet's completion indexes start at 0, so with the group's rank
    /// offset (the leader's count) the first pod's rank is -1 and Kueue falls back to this.
    /// The first domain, in assignment order, that holds fewer of the PodSet's live pods
    /// (ungated or being ungated) than it was assigned; the last one if none.
    fn greedy_domain<'p>(
        &self,
        ctx: &Ctx,
        wl: WlId,
        rj: u32,
        placement: &'p Placement,
    ) -> &'p Domain {
        let mut used = vec![0u32; placement.domains.len()];
        let pods = self.tas.ungating.iter().chain(self.tas.ungated.iter());
        for (&pod, (owner, selector)) in pods {
            let p = ctx.pod(pod);
            if *owner != wl || p.removed || p.phase.terminal() || ctx.job(p.job).rj != rj {
                continue;
            }
            if let Some(d) = placement
                .domains
                .iter()
                .position(|d| &d.selector == selector)
            {
                used[d] += 1;
            }
        }
        (placement.domains.iter().zip(&used))
            .find(|(d, &n)| d.count > n)
            .map_or_else(
                || placement.domains.last().expect("a placement has a domain"),
                |(d, _)| d,
            )
    }

    /// The ungate patch landed: the gate is gone and the pod carries its domain's labels.
    pub(crate) fn on_ungate_lands(&mut self, ctx: &mut Ctx, pod: PodId) {
        let Some((wl, selector)) = self.tas.ungating.remove(&pod) else {
            return;
        };
        if ctx.pod_released(pod) {
            return;
        }
        let p = ctx.pod(pod);
        if p.removed || p.node.is_some() || !ctx.shape(p.shape).gated {
            return;
        }
        let shape = ctx.derive_ungated_shape(p.shape, &selector);
        self.tas.shapes.insert(shape);
        self.tas.ungated.insert(pod, (wl, selector));
        ctx.ungate_pod(pod, shape);
    }

    /// The node controller (§9.6): a node of an admitted TAS Workload's assignment that is
    /// NotReady or carries an untolerated taint, once the Workload has no pod running there,
    /// is replaced inside its domain, or the Workload is evicted (`NodeFailures`). It runs
    /// on the node's changes and on each pod stopping there (`Sim::tell_kueue_pod_stopped`).
    pub(crate) fn on_node_changed(&mut self, ctx: &mut Ctx, node: NodeId) {
        let affected: Vec<WlId> = (self.workloads.iter().enumerate())
            .filter(|(_, w)| w.state == WlState::Admitted)
            .filter(|(_, w)| w.placements.iter().flatten().any(|p| p.uses(node)))
            .map(|(i, _)| i as WlId)
            .collect();
        for wl in affected {
            if !self.unhealthy_for(ctx, wl, node) || self.has_progressing_pods(ctx, wl, node) {
                continue;
            }
            if !self.replace_node(ctx, wl, node) {
                self.evict(ctx, wl, "NodeFailures", None);
            }
        }
    }

    fn unhealthy_for(&self, ctx: &Ctx, wl: WlId, node: NodeId) -> bool {
        let w = &self.workloads[wl as usize];
        (w.podsets.iter().zip(&w.placements))
            .filter_map(|(ps, p)| p.as_ref().map(|p| (ps, p)))
            .filter(|(_, p)| p.uses(node))
            .any(|(ps, p)| {
                let mut tolerations = ps.tolerations.clone();
                tolerations.extend(self.model.flavors[p.flavor].tolerations.iter().cloned());
                node_unhealthy(ctx.cluster(), node, &tolerations)
            })
    }

    /// A pod of the Workload's JobSet bound to the node, neither terminating nor finished.
    fn has_progressing_pods(&self, ctx: &Ctx, wl: WlId, node: NodeId) -> bool {
        let js = self.workloads[wl as usize].js;
        ctx.node_pod_list(node).iter().any(|&pod| {
            let p = ctx.pod(pod);
            ctx.job(p.job).jobset == js
                && !p.removed
                && p.deletion_ns.is_none()
                && !p.phase.terminal()
        })
    }

    /// The second scheduling pass for an unhealthy node (`FlavorView::replace`): each
    /// PodSet's pods on it go back inside the domain the rest of its assignment needs them
    /// in. False when one cannot be placed.
    fn replace_node(&mut self, ctx: &mut Ctx, wl: WlId, node: NodeId) -> bool {
        let workloads = &self.workloads;
        let w = &workloads[wl as usize];
        let mut replaced = w.placements.clone();
        for (i, p) in w.placements.iter().enumerate() {
            let Some(p) = p.as_ref().filter(|p| p.uses(node)) else {
                continue;
            };
            let view = self.tas.view(ctx, &self.model, workloads, p.flavor);
            let request = effective_request(w.topology_requests.get(i).and_then(Option::as_ref));
            let mut tolerations = w.podsets[i].tolerations.clone();
            tolerations.extend(self.model.flavors[p.flavor].tolerations.iter().cloned());
            let levels = &self.tas.levels[p.flavor].as_ref().expect("a TAS flavor").1;
            let cluster = ctx.cluster();
            let values: Vec<&str> = (levels.iter())
                .map(|l| cluster.label_value(node, l).unwrap_or(""))
                .collect();
            let Ok(domains) = view.replace(
                (&request, &p.per_pod),
                &p.domains,
                (node, &values),
                &tolerations,
            ) else {
                return false;
            };
            replaced[i] = Some(Placement {
                domains,
                ..p.clone()
            });
        }
        let stale: Vec<PodId> = (self.tas.ungated.iter())
            .filter(|(_, (owner, sel))| *owner == wl && selects(ctx, sel, node))
            .map(|(&pod, _)| pod)
            .filter(|&pod| {
                let p = ctx.pod(pod);
                !p.removed && p.node.is_none() && p.deletion_ns.is_none()
            })
            .collect();
        self.workloads[wl as usize].placements = replaced;
        // Pods already sent to the failed node cannot schedule: Kueue fails them
        // (`TerminatedByKueue`); the Job controller replaces them and the ungater sends the
        // new ones to the replacement.
        for pod in stale {
            self.tas.ungated.remove(&pod);
            let client = &mut self.client;
            let latency = ctx.params().api_call_latency_ns;
            ctx.request_pod_delete(pod, "TerminatedByKueue", |at| client.reserve(at) + latency);
        }
        true
    }
}

/// Does the nodeSelector pick the node?
fn selects(ctx: &Ctx, selector: &[(String, String)], node: NodeId) -> bool {
    (selector.iter()).all(|(k, v)| ctx.cluster().label_value(node, k) == Some(v.as_str()))
}

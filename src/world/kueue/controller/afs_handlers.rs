//! Admission fair sharing in the controller (kueue-semantics §8; the ledger and its arithmetic
//! are `kueue/afs.rs`): the entry penalty pushed when a Workload reserves quota
//! (`scheduler.go` `updateEntryPenalty`), its settlement when the Workload turns Admitted
//! (`workload_controller.go` `updateAfsConsumedUsage`), the LocalQueue controller's sample
//! every `usageSamplingInterval` (`reconcileConsumedUsage`), and the scores the queues and
//! preemption read.

use super::KueueController;
use crate::kueue::afs::{Ledger, LqUsage, Usage};
use crate::kueue::model::CqIx;
use crate::kueue::queue::WlId;
use crate::kueue::workload::WlState;
use crate::kueue_api::KueueSetup;
use crate::sim::ctx::Ctx;
use crate::sim::event::Event;
use std::collections::BTreeMap;

/// The controller's admission-fair-sharing state (present when the configuration has
/// `admissionFairSharing` and the gate is on).
#[derive(Debug, Clone)]
pub(super) struct AfsState {
    ledger: Ledger,
    /// LocalQueue (namespace, name) -> its ledger index.
    lq_index: BTreeMap<(String, String), usize>,
    /// Each LocalQueue's `spec.fairSharing.weight`.
    lq_weight: Vec<f64>,
    /// Each LocalQueue feeds a ClusterQueue that uses admission fair sharing.
    lq_uses: Vec<bool>,
    /// The ClusterQueues with `admissionScope.admissionMode: UsageBasedAdmissionFairSharing`.
    cq_uses: Vec<bool>,
    /// Each Workload's LocalQueue's ledger index, when its ClusterQueue uses admission fair
    /// sharing.
    wl_lq: Vec<Option<usize>>,
    /// The sampling tick is scheduled.
    sampling: bool,
}

impl AfsState {
    pub(super) fn new(setup: &KueueSetup, cq_names: &[String]) -> Option<Self> {
        let config = setup.config.admission_fair_sharing.clone()?;
        let lqs = &setup.local_queues;
        let cq_uses: Vec<bool> = (cq_names.iter())
            .map(|name| {
                (setup.cluster_queues.iter()).any(|c| &c.name == name && c.admission_fair_sharing)
            })
            .collect();
        let lq_uses = (lqs.iter())
            .map(|l| {
                let cq = cq_names.iter().position(|n| *n == l.cluster_queue);
                cq.is_some_and(|cq| cq_uses[cq])
            })
            .collect();
        Some(AfsState {
            ledger: Ledger::new(config, lqs.len()),
            lq_index: (lqs.iter().enumerate())
                .map(|(i, l)| ((l.namespace.clone(), l.name.clone()), i))
                .collect(),
            lq_weight: (lqs.iter())
                .map(|l| l.fair_sharing_weight_milli as f64 / 1000.0)
                .collect(),
            lq_uses,
            cq_uses,
            wl_lq: vec![],
            sampling: false,
        })
    }
}

impl KueueController {
    /// A Workload was created (the last one): notes its LocalQueue's ledger index when its
    /// ClusterQueue uses admission fair sharing, and starts the samples.
    pub(super) fn afs_on_created(&mut self, ctx: &mut Ctx, wl: WlId) {
        let w = &self.workloads[wl as usize];
        let Some(afs) = self.afs.as_mut() else { return };
        let uses = w.cq.is_some_and(|cq| afs.cq_uses[cq]);
        let key = (w.namespace.clone(), w.queue_name.clone());
        let lq = afs.lq_index.get(&key).copied().filter(|_| uses);
        debug_assert_eq!(afs.wl_lq.len(), wl as usize, "Workloads are noted in order");
        afs.wl_lq.push(lq);
        self.afs_start_sampling(ctx);
    }

    /// The ledger index of Workload `wl`'s LocalQueue, when its ClusterQueue orders by
    /// admission fair sharing.
    fn afs_lq(&self, wl: WlId) -> Option<usize> {
        self.afs.as_ref()?.wl_lq[wl as usize]
    }

    /// Whether ClusterQueue `cq` orders its Workloads by their LocalQueues' scores.
    pub(super) fn afs_orders(&self, cq: CqIx) -> bool {
        self.afs.as_ref().is_some_and(|a| a.cq_uses[cq])
    }

    /// Every LocalQueue's score now (`CalculateUsage`), by ledger index.
    pub(super) fn afs_lq_scores(&self) -> Vec<f64> {
        let Some(afs) = &self.afs else { return vec![] };
        (0..afs.lq_weight.len())
            .map(|lq| afs.ledger.score(lq, afs.lq_weight[lq]))
            .collect()
    }

    /// Each Workload's LocalQueue score, for the queues' order (0 where unused: only the
    /// ClusterQueues that use admission fair sharing read them). Empty without it.
    pub(super) fn afs_wl_scores(&self) -> Vec<f64> {
        if self.afs.is_none() {
            return vec![];
        }
        let lq_scores = self.afs_lq_scores();
        (0..self.workloads.len() as WlId)
            .map(|wl| self.afs_score(&lq_scores, wl).map_or(0.0, |(_, s)| s))
            .collect()
    }

    /// Workload `wl`'s LocalQueue and its score (`LocalQueueFSUsage`), when its ClusterQueue
    /// uses admission fair sharing.
    pub(super) fn afs_score(&self, lq_scores: &[f64], wl: WlId) -> Option<(u32, f64)> {
        let lq = self.afs_lq(wl)?;
        Some((lq as u32, lq_scores[lq]))
    }

    /// The usage of an assignment, per resource name in base units (the FRs' milli-units
    /// summed over flavors: `FlattenFlavors`).
    fn usage_by_resource(&self, wl: WlId) -> Usage {
        let mut out = Usage::new();
        let Some(a) = &self.workloads[wl as usize].admission else {
            return out;
        };
        for &(fr, milli) in &a.usage {
            let r = self.model.resource_of_fr(fr);
            *out.entry(self.model.resources[r].clone()).or_default() += milli as f64 / 1000.0;
        }
        out
    }

    /// `GetAdmittedUsage` of every LocalQueue: what its Admitted Workloads use.
    fn admitted_usages(&self) -> Vec<Usage> {
        let lqs = self.afs.as_ref().map_or(0, |a| a.lq_weight.len());
        let mut out = vec![Usage::new(); lqs];
        for wl in 0..self.workloads.len() as WlId {
            let Some(lq) = self.afs_lq(wl) else { continue };
            if self.workloads[wl as usize].state == WlState::Admitted {
                for (r, v) in self.usage_by_resource(wl) {
                    *out[lq].entry(r).or_default() += v;
                }
            }
        }
        out
    }

    /// Quota reserved: the entry penalty, α(sampling interval) × its requests (the usage of
    /// its assignment: under `BlockUndeclared` every requested resource is covered, under
    /// `IgnoreUndeclared` Kueue filters to the covered ones, as the assignment does).
    pub(super) fn afs_on_reserved(&mut self, ctx: &mut Ctx, wl: WlId) {
        let Some(lq) = self.afs_lq(wl) else { return };
        let requests = self.usage_by_resource(wl);
        let afs = self.afs.as_mut().expect("afs_lq found it");
        afs.ledger.push_penalty(lq, wl, &requests);
        self.afs_observe(ctx, lq);
    }

    /// Admitted: the LocalQueue's consumed usage decays toward its live usage and takes the
    /// Workload's penalty.
    pub(super) fn afs_on_admitted(&mut self, ctx: &mut Ctx, wl: WlId) {
        let Some(lq) = self.afs_lq(wl) else { return };
        let live = self.admitted_usages().swap_remove(lq);
        let afs = self.afs.as_mut().expect("afs_lq found it");
        afs.ledger.settle(lq, wl, &live, ctx.now());
        self.afs_observe(ctx, lq);
    }

    /// A penalty its Workload can no longer settle goes (`workload_controller.go` Update:
    /// finished, or inactive with its reservation gone; an evicted Workload that stays
    /// active keeps its record and a new reservation replaces it).
    pub(super) fn afs_drop_penalty(&mut self, ctx: &mut Ctx, wl: WlId) {
        let Some(lq) = self.afs_lq(wl) else { return };
        let afs = self.afs.as_mut().expect("afs_lq found it");
        afs.ledger.drop_penalty(lq, wl);
        self.afs_observe(ctx, lq);
    }

    /// The metrics sample LocalQueue `lq`'s ledger entry after a change (`metrics/kueue.rs`).
    fn afs_observe(&self, ctx: &mut Ctx, lq: usize) {
        let Some(afs) = self.afs.as_ref().filter(|a| a.lq_uses[lq]) else {
            return;
        };
        let entry = afs.ledger.entry(lq);
        let listed = |u: &Usage| u.iter().map(|(r, v)| (r.clone(), *v)).collect();
        let score = afs.ledger.score(lq, afs.lq_weight[lq]);
        let sample = crate::metrics::kueue::LqSample {
            at_ns: ctx.now(),
            consumed: listed(&entry.consumed),
            pending_penalty: listed(&entry.pending_penalty()),
            score: score.is_finite().then_some(score),
        };
        ctx.metrics().kueue.observe_lq(lq, sample);
    }

    /// LocalQueue `lq`'s (setup order) ledger entry, weight and score now, when it feeds a
    /// ClusterQueue that orders by admission fair sharing.
    pub(crate) fn afs_ledger_entry(&self, lq: usize) -> Option<(&LqUsage, f64, f64)> {
        let afs = self.afs.as_ref()?;
        let weight = afs.lq_weight[lq];
        let score = afs.ledger.score(lq, weight);
        (afs.lq_uses[lq]).then(|| (afs.ledger.entry(lq), weight, score))
    }

    /// The LocalQueue controller's samples run (every interval from time 0, when the
    /// LocalQueues were created) while any Workload is unfinished. Samples skipped while
    /// nothing ran are one decay toward zero over the time they span.
    fn afs_start_sampling(&mut self, ctx: &mut Ctx) {
        let Some(afs) = self.afs.as_mut() else { return };
        if afs.sampling || !afs.cq_uses.iter().any(|&u| u) {
            return;
        }
        afs.sampling = true;
        let interval = afs.ledger.config.usage_sampling_interval_ns;
        let last = ctx.now() / interval * interval;
        for lq in 0..afs.lq_weight.len() {
            if afs.ledger.entry(lq).last_update_ns < last {
                afs.ledger.sample(lq, &Usage::new(), last);
            }
        }
        ctx.schedule_at(last + interval, Event::KueueAfsSample);
    }

    /// The sampling tick: every LocalQueue's consumed usage decays toward its live usage.
    pub(crate) fn on_afs_sample(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let live = self.admitted_usages();
        let done = self.all_finished();
        let Some(afs) = self.afs.as_mut() else { return };
        for (lq, live) in live.iter().enumerate() {
            afs.ledger.sample(lq, live, now);
        }
        for lq in 0..live.len() {
            self.afs_observe(ctx, lq);
        }
        let Some(afs) = self.afs.as_mut() else { return };
        if done {
            afs.sampling = false;
        } else {
            let interval = afs.ledger.config.usage_sampling_interval_ns;
            ctx.schedule_at(now + interval, Event::KueueAfsSample);
        }
    }
}

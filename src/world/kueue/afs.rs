//! Admission fair sharing (kueue-semantics §8; Kueue `pkg/util/admissionfairsharing`,
//! `pkg/cache/queue/afs/usage_ledger.go`, `localqueue_controller.go` `reconcileConsumedUsage`,
//! `workload_controller.go` `updateAfsConsumedUsage`, `scheduler.go` `updateEntryPenalty`).
//!
//! Each LocalQueue keeps a decayed record of what its admitted Workloads used
//! (`consumedResources`) plus the entry penalties of Workloads it just admitted; its score is
//! their weighted sum over its weight. Inside a ClusterQueue with
//! `admissionScope.admissionMode: UsageBasedAdmissionFairSharing`, the Workload of the
//! LocalQueue with the lower score goes first, and among preemption candidates of one
//! ClusterQueue the one of the higher score goes first.
//!
//! Quantities are kept as `f64` in the resource's base unit (cores, bytes, devices), where
//! Kueue keeps decimal quantities rounded down to 10⁻⁹ after each decay (`MulByFloat`): the
//! scores differ in the last bits at most, which decides an order only between LocalQueues
//! whose usages are equal to 10⁻⁹ (docs/fidelity.md, "Admission fair sharing").

use super::queue::WlId;
use crate::engine::time::SimTime;
use crate::kueue_api::AdmissionFairSharing;
use std::collections::BTreeMap;

/// Resource name -> quantity in base units.
pub(crate) type Usage = BTreeMap<String, f64>;

/// `calculateAlphaRate`: the weight of the newest sample after `elapsed_ns` for a half-life.
pub(crate) fn alpha(elapsed_ns: u64, half_life_ns: u64) -> f64 {
    if half_life_ns == 0 {
        return 0.0;
    }
    1.0 - 0.5f64.powf(elapsed_ns as f64 / half_life_ns as f64)
}

/// `CalculateDecayedConsumed`: `old × (1 − α) + new × α`.
pub(crate) fn decayed(old: &Usage, new: &Usage, elapsed_ns: u64, half_life_ns: u64) -> Usage {
    let a = alpha(elapsed_ns, half_life_ns);
    let mut out: Usage = old
        .iter()
        .map(|(r, v)| (r.clone(), v * (1.0 - a)))
        .collect();
    for (r, v) in new {
        *out.entry(r.clone()).or_default() += v * a;
    }
    out
}

fn add(into: &mut Usage, more: &Usage) {
    for (r, v) in more {
        *into.entry(r.clone()).or_default() += v;
    }
}

/// One LocalQueue's entry in the usage ledger (`UsageLedgerEntry`).
#[derive(Debug, Clone, Default)]
pub(crate) struct LqUsage {
    /// `status.fairSharing.admissionFairSharingStatus.consumedResources`.
    pub consumed: Usage,
    /// Entry penalties not yet settled, per Workload.
    penalties: BTreeMap<WlId, Usage>,
    pub last_update_ns: SimTime,
}

impl LqUsage {
    /// The sum of the pending entry penalties.
    pub(crate) fn pending_penalty(&self) -> Usage {
        let mut sum = Usage::new();
        for p in self.penalties.values() {
            add(&mut sum, p);
        }
        sum
    }
}

/// The ledger of every LocalQueue, with the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    pub config: AdmissionFairSharing,
    lqs: Vec<LqUsage>,
}

impl Ledger {
    pub(crate) fn new(config: AdmissionFairSharing, local_queues: usize) -> Self {
        Ledger {
            config,
            lqs: vec![LqUsage::default(); local_queues],
        }
    }

    pub(crate) fn entry(&self, lq: usize) -> &LqUsage {
        &self.lqs[lq]
    }

    /// `CalculateUsage`: Σ weight(resource) × (consumed + penalty) over the LocalQueue's
    /// weight, in resource-name order; +∞ for a weight ≤ 0.
    pub(crate) fn score(&self, lq: usize, lq_weight: f64) -> f64 {
        let e = &self.lqs[lq];
        let mut all = e.consumed.clone();
        add(&mut all, &e.pending_penalty());
        let usage: f64 = (all.iter())
            .map(|(r, v)| self.config.resource_weights.get(r).copied().unwrap_or(1.0) * v)
            .sum();
        if lq_weight <= 0.0 {
            return f64::INFINITY;
        }
        // An empty sum is -0.0, which `total_cmp` orders before 0.0: Kueue's quantities
        // have one zero, so +0.0 it is.
        usage / lq_weight + 0.0
    }

    /// `CalculateEntryPenalty` pushed at quota reservation: α(sampling interval) × the
    /// Workload's total requests (`updateEntryPenalty` add).
    pub(crate) fn push_penalty(&mut self, lq: usize, wl: WlId, requests: &Usage) {
        let a = alpha(
            self.config.usage_sampling_interval_ns,
            self.config.usage_half_life_ns,
        );
        let penalty: Usage = requests.iter().map(|(r, v)| (r.clone(), v * a)).collect();
        self.lqs[lq].penalties.insert(wl, penalty);
    }

    /// Drops a penalty its Workload can no longer settle (it finished or was deleted before
    /// being admitted).
    pub(crate) fn drop_penalty(&mut self, lq: usize, wl: WlId) {
        self.lqs[lq].penalties.remove(&wl);
    }

    /// `reconcileConsumedUsage`, every sampling interval: the consumed usage decays toward the
    /// LocalQueue's live admitted usage (reset to nothing for a half-life of 0).
    pub(crate) fn sample(&mut self, lq: usize, live: &Usage, now: SimTime) {
        let half_life = self.config.usage_half_life_ns;
        let e = &mut self.lqs[lq];
        e.consumed = if half_life == 0 {
            Usage::new()
        } else {
            decayed(
                &e.consumed,
                live,
                now.saturating_sub(e.last_update_ns),
                half_life,
            )
        };
        e.last_update_ns = now;
    }

    /// `updateAfsConsumedUsage`, at a Workload's transition to Admitted: decays toward the
    /// live usage (which now includes the Workload) and folds its penalty in.
    pub(crate) fn settle(&mut self, lq: usize, wl: WlId, live: &Usage, now: SimTime) {
        let half_life = self.config.usage_half_life_ns;
        let e = &mut self.lqs[lq];
        let elapsed = now.saturating_sub(e.last_update_ns);
        e.consumed = decayed(&e.consumed, live, elapsed, half_life);
        if let Some(p) = e.penalties.remove(&wl) {
            add(&mut e.consumed, &p);
        }
        e.last_update_ns = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn config(half_life_s: u64, sampling_s: u64) -> AdmissionFairSharing {
        AdmissionFairSharing {
            usage_half_life_ns: half_life_s * S,
            usage_sampling_interval_ns: sampling_s * S,
            resource_weights: BTreeMap::new(),
        }
    }

    fn cpu(v: f64) -> Usage {
        [("cpu".to_string(), v)].into_iter().collect()
    }

    #[test]
    fn a_half_life_halves_the_old_usage_and_zero_resets_it() {
        assert_eq!(alpha(10 * S, 10 * S), 0.5);
        assert_eq!(alpha(5 * S, 0), 0.0);
        let d = decayed(&cpu(8.0), &cpu(2.0), 10 * S, 10 * S);
        assert_eq!(d["cpu"], 5.0, "8 × 0.5 + 2 × 0.5");
        let mut l = Ledger::new(config(0, 60), 1);
        l.sample(0, &cpu(4.0), 60 * S);
        assert!(l.entry(0).consumed.is_empty(), "half-life 0 resets");
    }

    #[test]
    fn penalties_count_until_settled_then_fold_into_consumed() {
        // Half-life 10 s, sampling 10 s: α = 0.5; a penalty of 0.5 × 8 cpu = 4.
        let mut l = Ledger::new(config(10, 10), 2);
        l.push_penalty(0, 7, &cpu(8.0));
        assert_eq!(l.score(0, 1.0), 4.0);
        assert_eq!(l.score(1, 1.0), 0.0);
        // Admitted at once: no time elapsed, so the consumed usage keeps its value (0) and the
        // penalty folds in.
        l.settle(0, 7, &cpu(8.0), 0);
        assert_eq!(l.entry(0).consumed["cpu"], 4.0);
        assert!(l.entry(0).pending_penalty().is_empty());
        // Ten seconds later the sample moves halfway toward the live 8: 4 × 0.5 + 8 × 0.5.
        l.sample(0, &cpu(8.0), 10 * S);
        assert_eq!(l.score(0, 1.0), 6.0);
        assert_eq!(l.score(0, 2.0), 3.0, "the LocalQueue's weight divides");
    }

    #[test]
    fn an_unused_queue_scores_positive_zero() {
        let l = Ledger::new(config(600, 60), 1);
        let zero = l.score(0, 1.0);
        assert_eq!(zero.total_cmp(&0.0), std::cmp::Ordering::Equal);
    }

    #[test]
    fn a_non_positive_weight_scores_infinite_and_resource_weights_apply() {
        let mut c = config(10, 10);
        c.resource_weights.insert("memory".into(), 0.0);
        let mut l = Ledger::new(c, 1);
        l.push_penalty(
            0,
            1,
            &[("cpu".to_string(), 2.0), ("memory".to_string(), 1e9)]
                .into_iter()
                .collect(),
        );
        assert_eq!(l.score(0, 1.0), 1.0, "memory weighs 0");
        assert_eq!(l.score(0, 0.0), f64::INFINITY);
        l.drop_penalty(0, 1);
        assert_eq!(l.score(0, 1.0), 0.0);
    }
}

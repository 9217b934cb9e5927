//! From the Kueue objects of a scenario (`kueue_api::KueueSetup`) to the admission model,
//! refusing what the simulator does not model yet rather than running without it.

use super::fair::{FairSharingSpec, FsStrategy};
use super::model::{
    CohortSpec, CqSpec, Flavor, Fungibility, GroupSpec, Model, ModelBuilder, PreemptionPolicy,
    Reclaim, Strategy, WithinQueue,
};
use super::quota::FrQuota;
use crate::api::taint::TaintEffect;
use crate::kueue_api::{
    BorrowWithinCohortPolicy, FungibilityAction, FungibilityPreference, KueueSetup,
    QueueingStrategy, QuotaCheckStrategy, ReclaimWithinCohort, ResourceGroup, StopPolicy,
    WithinClusterQueue,
};

/// Compiles the setup, or says which object uses what is not simulated yet.
pub(crate) fn compile(setup: &KueueSetup) -> Result<Model, String> {
    let mut model = ModelBuilder {
        flavors: setup.flavors.iter().map(flavor).collect(),
        cluster_queues: setup.cluster_queues.iter().map(cq_spec).collect(),
        cohorts: (setup.cohorts.iter())
            .map(|c| CohortSpec {
                name: c.name.clone(),
                parent: c.parent.clone(),
                groups: groups(&c.resource_groups),
            })
            .collect(),
        block_undeclared: setup.config.quota_check_strategy == QuotaCheckStrategy::BlockUndeclared,
        fair_sharing: setup.config.fair_sharing.then(|| fair_sharing(setup)),
    }
    .build();
    // A ClusterQueue naming an AdmissionCheck that does not exist is inactive
    // (`AdmissionCheckNotFound`, `pkg/cache` `updateQueueStatus`).
    for (cq, spec) in model.cluster_queues.iter_mut().zip(&setup.cluster_queues) {
        let missing = (spec.admission_checks.iter())
            .any(|(name, _)| !setup.admission_checks.iter().any(|a| &a.name == name));
        if missing {
            cq.inactive
                .get_or_insert_with(|| "AdmissionCheckNotFound".into());
        }
    }
    Ok(model)
}

/// A ResourceFlavor as admission reads it: only NoSchedule and NoExecute taints count.
fn flavor(f: &crate::kueue_api::ResourceFlavor) -> Flavor {
    Flavor {
        name: f.name.clone(),
        node_labels: f.node_labels.clone(),
        node_taints: (f.node_taints.iter())
            .filter(|t| t.effect != TaintEffect::PreferNoSchedule)
            .cloned()
            .collect(),
        tolerations: f.tolerations.clone(),
        exists: true,
    }
}

/// A ClusterQueue as the model builder takes it.
fn cq_spec(c: &crate::kueue_api::ClusterQueue) -> CqSpec {
    let f = &c.flavor_fungibility;
    CqSpec {
        name: c.name.clone(),
        cohort: c.cohort.clone(),
        groups: groups(&c.resource_groups),
        strategy: match c.queueing_strategy {
            QueueingStrategy::StrictFifo => Strategy::StrictFifo,
            QueueingStrategy::BestEffortFifo => Strategy::BestEffortFifo,
        },
        fungibility: Fungibility {
            try_next_when_can_borrow: f.when_can_borrow == FungibilityAction::TryNextFlavor,
            try_next_when_can_preempt: f.when_can_preempt == FungibilityAction::TryNextFlavor,
            preemption_over_borrowing: f.preference
                == FungibilityPreference::PreemptionOverBorrowing,
        },
        preemption: preemption_policy(&c.preemption),
        namespace_selector: c.namespace_selector.clone(),
        stopped: c.stop_policy != StopPolicy::None,
    }
}

/// A ClusterQueue's `preemption` block as admission reads it.
fn preemption_policy(p: &crate::kueue_api::PreemptionPolicy) -> PreemptionPolicy {
    PreemptionPolicy {
        within: match p.within_cluster_queue {
            WithinClusterQueue::Never => WithinQueue::Never,
            WithinClusterQueue::LowerPriority => WithinQueue::LowerPriority,
            WithinClusterQueue::LowerOrNewerEqualPriority => WithinQueue::LowerOrNewerEqualPriority,
        },
        reclaim: match p.reclaim_within_cohort {
            ReclaimWithinCohort::Never => Reclaim::Never,
            ReclaimWithinCohort::LowerPriority => Reclaim::LowerPriority,
            ReclaimWithinCohort::Any => Reclaim::Any,
        },
        borrow_within: (p.borrow_within_cohort.policy != BorrowWithinCohortPolicy::Never)
            .then_some(p.borrow_within_cohort.max_priority_threshold),
    }
}

/// The configuration's strategies and the objects' `spec.fairSharing.weight`.
fn fair_sharing(setup: &KueueSetup) -> FairSharingSpec {
    use crate::kueue_api::FairSharingStrategy as S;
    FairSharingSpec {
        strategies: (setup.config.fair_sharing_strategies.iter())
            .map(|s| match s {
                S::LessThanOrEqualToFinalShare => FsStrategy::LessThanOrEqualToFinalShare,
                S::LessThanInitialShare => FsStrategy::LessThanInitialShare,
            })
            .collect(),
        cq_weights: (setup.cluster_queues.iter())
            .map(|c| (c.name.clone(), c.fair_sharing_weight_milli))
            .collect(),
        cohort_weights: (setup.cohorts.iter())
            .map(|c| (c.name.clone(), c.fair_sharing_weight_milli))
            .collect(),
    }
}

fn groups(groups: &[ResourceGroup]) -> Vec<GroupSpec> {
    groups
        .iter()
        .map(|g| {
            let flavors = g
                .flavors
                .iter()
                .map(|f| {
                    let quotas = (f.resources.iter())
                        .map(|r| {
                            let q = FrQuota {
                                nominal: r.nominal.milli,
                                borrowing_limit: r.borrowing_limit.map(|q| q.milli),
                                lending_limit: r.lending_limit.map(|q| q.milli),
                            };
                            (r.name.clone(), q)
                        })
                        .collect();
                    (f.name.clone(), quotas)
                })
                .collect();
            (g.covered_resources.clone(), flavors)
        })
        .collect()
}

//! Reclaimable pods (kueue-semantics §3.4, the `ReclaimablePods` gate, on by default): as a
//! JobSet's replicated jobs succeed, Kueue's job reconciler writes
//! `status.reclaimablePods` on the Workload (`jobframework/reconciler.go` step 4,
//! `JobSet.ReclaimablePods`), and the quota of those pods goes back to the ClusterQueue while
//! the rest of the JobSet runs (`workload.totalRequestsFromAdmission`).

use super::KueueController;
use crate::api::types::JobSet;
use crate::kueue::assign::PodSetRequest;
use crate::kueue::model::{FlavorIx, Model, ResIx};
use crate::kueue::queue::WlId;
use crate::kueue::quota::FrId;
use crate::kueue::workload::{equivalence_hash, pods_per_replica, WlState};
use crate::sim::ctx::Ctx;
use crate::sim::objects::ReplicatedJobStatus;

impl KueueController {
    /// Kueue's job reconciler saw the JobSet's status: when the reclaimable counts it derives
    /// differ from the Workload's, it writes them (one status PATCH on Kueue's client) and the
    /// cache applies them: usage shrinks by the reclaimed pods' requests, and an admitted
    /// Workload's change fires a requeue trigger for its cohort tree (`workload_controller.go`
    /// `Update`). While the Workload holds quota, the Workload webhook refuses a count that
    /// goes down (`validateReclaimablePodsUpdate`), so a JobSet whose succeeded Jobs are
    /// recreated keeps the counts it had until its quota is released.
    pub(super) fn sync_reclaimable(&mut self, ctx: &mut Ctx, wl: WlId) {
        let w = &self.workloads[wl as usize];
        if !self.reclaimable_pods || w.state == WlState::Finished {
            return;
        }
        let obj = ctx.jobset(w.js);
        let spec_counts: Vec<u32> = (w.podsets.iter().zip(&w.reclaimable))
            .map(|(ps, &r)| ps.count + r)
            .collect();
        let wanted = reclaimable_counts(&obj.spec, &obj.status.replicated_jobs, &spec_counts);
        let holds_quota = matches!(
            w.state,
            WlState::Reserved | WlState::Admitted | WlState::Evicting
        );
        let lowered = wanted.iter().zip(&w.reclaimable).any(|(n, o)| n < o);
        if wanted == w.reclaimable || (holds_quota && lowered) {
            return;
        }
        let _ = self.call_lands(ctx);
        self.apply_reclaimable(ctx, wl, wanted, &spec_counts);
    }

    /// The cache takes the new counts: PodSet counts, the equivalence hash, the usage of a
    /// Workload holding quota, and the queue entry of a pending one.
    fn apply_reclaimable(
        &mut self,
        ctx: &mut Ctx,
        wl: WlId,
        reclaimable: Vec<u32>,
        spec_counts: &[u32],
    ) {
        let w = &mut self.workloads[wl as usize];
        let was_pending = w.state == WlState::Pending;
        let old_key = w.key(wl);
        let old_counts: Vec<u32> = w.podsets.iter().map(|ps| ps.count).collect();
        for ((ps, &spec), &r) in w.podsets.iter_mut().zip(spec_counts).zip(&reclaimable) {
            assert!(r <= spec, "reclaimable pods beyond the PodSet's count");
            ps.count = spec - r;
        }
        w.reclaimable = reclaimable;
        w.hash = equivalence_hash(w.priority, &w.podsets);
        let Some(cq) = w.cq else {
            return;
        };
        if let Some(a) = w.admission.as_mut() {
            let cq_spec = &self.model.cluster_queues[cq];
            let node = cq_spec.node;
            for (i, ps) in w.podsets.iter().enumerate() {
                let gone = i64::from(old_counts[i]) - i64::from(ps.count);
                assert!(
                    gone >= 0,
                    "reclaimed usage only shrinks while quota is held"
                );
                let pods_covered = self.model.resource_ix("pods");
                for (fr, per_pod) in per_pod_usage(&self.model, pods_covered, ps, &a.flavors[i]) {
                    let freed = per_pod * gone;
                    self.model.tree.remove_usage(node, fr, freed);
                    let total = (a.usage.iter_mut().find(|(f, _)| *f == fr))
                        .expect("the assignment's usage lists every FR its PodSets take");
                    total.1 -= freed;
                    assert!(total.1 >= 0, "usage below zero after reclaiming pods");
                }
            }
            let admitted = w.state == WlState::Admitted;
            self.observe_cq(ctx, cq);
            if admitted {
                self.trigger_requeue(ctx, cq);
            }
        } else if was_pending {
            // A changed `reclaimablePods` moves a pending Workload back to the active heap
            // (`cluster_queue.go` `AddOrUpdate`).
            self.queues[cq].remove(&old_key);
            self.push(ctx, wl);
        }
    }
}

/// `JobSet.ReclaimablePods` limited to the PodSets' sizes (`LimitReclaimablePodsToPodSetSizes`):
/// per replicated job, in spec order, `succeeded × min(parallelism, completions)` when
/// `0 < succeeded ≤ replicas`, else 0 (not listed).
pub(super) fn reclaimable_counts(
    jobset: &JobSet,
    status: &[ReplicatedJobStatus],
    spec_counts: &[u32],
) -> Vec<u32> {
    (jobset.spec.replicated_jobs.iter().zip(spec_counts))
        .map(|(rj, &size)| {
            let succeeded = (status.iter())
                .find(|s| s.name == rj.name)
                .map_or(0, |s| s.succeeded);
            let replicas = rj.replicas.unwrap_or(1);
            if succeeded <= 0 || succeeded > replicas {
                return 0;
            }
            (succeeded as u32 * pods_per_replica(rj)).min(size)
        })
        .collect()
}

/// One pod's usage of each FR its PodSet was assigned (the `pods` resource counts 1 pod,
/// 1000 in milli-units, when the ClusterQueue covers it, as `PodSetScan::requests` adds it).
fn per_pod_usage(
    model: &Model,
    pods: Option<ResIx>,
    ps: &PodSetRequest,
    flavors: &[(ResIx, FlavorIx)],
) -> Vec<(FrId, i64)> {
    (flavors.iter())
        .filter_map(|&(r, f)| {
            let request = (ps.per_pod.iter())
                .find(|(pr, _)| *pr == r)
                .map(|&(_, v)| v)
                .or_else(|| (Some(r) == pods).then_some(1000))?;
            Some((model.fr(f, r)?, request))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobset(text: &str) -> JobSet {
        let mut loaded = crate::api::load::load_jobsets_from_str("r.yaml", text).expect("valid");
        loaded.remove(0).jobset
    }

    fn status(name: &str, succeeded: i32) -> ReplicatedJobStatus {
        ReplicatedJobStatus {
            name: name.into(),
            succeeded,
            ..Default::default()
        }
    }

    #[test]
    fn succeeded_jobs_times_pods_per_job_limited_to_the_podset() {
        // jobset_controller_test.go TestReclaimablePods: `succeeded × min(parallelism,
        // completions)` per replicated job; none listed for 0 or for more than `replicas`.
        let js = jobset(
            "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: r}\nspec:\n  replicatedJobs:\n  - name: a\n    replicas: 3\n    template: {spec: {parallelism: 4, completions: 2, template: {spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}}}\n  - name: b\n    replicas: 2\n    template: {spec: {parallelism: 1, template: {spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}}}\n",
        );
        let counts = |a, b| reclaimable_counts(&js, &[status("a", a), status("b", b)], &[6, 2]);
        assert_eq!(counts(2, 1), [4, 1]);
        assert_eq!(counts(0, 2), [0, 2]);
        assert_eq!(counts(4, 3), [0, 0], "more succeeded than replicas");
        // A PodSet already shrunk below the derived count caps it.
        assert_eq!(reclaimable_counts(&js, &[status("a", 3)], &[5, 2]), [5, 0]);
    }
}

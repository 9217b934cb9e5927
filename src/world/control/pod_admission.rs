//! The API server's side of a pod create, as the Job controller's client reaches it
//! (`Ctx::admit_pod`, `Ctx::create_pod`): the JobSet pod webhooks' verdict (their rules are the
//! kernels of `pod_webhook.rs`; this feeds them the Job's pods), the generated name, the store
//! insert, and the create's return (`PodCreated`). What the webhooks do that upstream reports
//! as a known behaviour is noted here, where it happens.

use super::job::{
    FOLLOWERS_DENIED_AFTER_LEADER_INDEX_FAILED, FOLLOWERS_DENIED_AFTER_LEADER_SUCCEEDED,
    FOLLOWERS_DENIED_FINISHED_LEADER_COUNTED, FOLLOWERS_FROM_STALE_LEADER,
};
use crate::metrics::objects::PodCreateRefusal::{Denied, NameConflict};
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

impl Sim {
    /// The pod webhooks on a create (§6.2): the shape the pod gets, or None when the
    /// validating webhook denies it. Without exclusive placement every pod is admitted as is.
    /// The webhooks are evaluated when the sync issues the create rather than when it lands a
    /// few milliseconds later. A follower admitted from a finished leader (v0.12.0) is
    /// `Admitted::from_stale_leader`.
    pub(crate) fn admit_pod(&mut self, j: JobId, index: u32) -> Option<Admitted> {
        let job = &self.store.jobs[j as usize];
        let template = self.pod_templates.of(j);
        let Some(key) = template.exclusive_key.clone() else {
            return Some(Admitted::plain(template.shape));
        };
        if index == 0 {
            let leader_shape = template.leader_shape.unwrap_or(template.shape);
            return Some(Admitted::plain(leader_shape));
        }
        // The leader lookup (§6.3) over this Job's pods: the only ones that carry its leader's
        // name and its owner UID (a pod of the previous attempt has another owner).
        use crate::control::pod_webhook::{self as webhook, LeaderLookup, PlacementVersion};
        let version = self.params.jobset_version;
        let named_like_leader = (self.job_pods[j as usize].iter())
            .map(|&p| &self.pods[p as usize])
            .filter(|p| p.index == 0 && p.created && !p.removed);
        let found = webhook::single_leader(named_like_leader, version);
        // v0.12.0 may find a leader that has finished: its followers are an upstream finding.
        let stale_leader = match &found {
            Ok(leader) if leader.phase.terminal() => (self.job_pods[j as usize].iter())
                .copied()
                .find(|&p| std::ptr::eq(&self.pods[p as usize], *leader)),
            _ => None,
        };
        let no_leader = matches!(found, Err(0));
        let lookup = match found {
            Err(count) => LeaderLookup::NotFound(webhook::leader_count_error(
                &format!("{}-0", job.name),
                count,
            )),
            Ok(leader) => match leader.node {
                None => LeaderLookup::Unscheduled,
                Some(node) => LeaderLookup::Bound(
                    self.cluster
                        .label_value(node, &key)
                        .map(str::to_string)
                        .ok_or_else(|| format!("node does not have topology label: {key}")),
                ),
            },
        };
        let own_selector = &job.spec.template.spec.node_selector;
        let Ok(domain) = webhook::admit_follower(own_selector, &key, lookup) else {
            if no_leader && version == PlacementVersion::Main {
                self.note_denied_after_leader_succeeded(j);
            }
            if version == PlacementVersion::V0_12_0 {
                self.note_denied_finished_leader_counted(j);
            }
            return None;
        };
        let job = &self.store.jobs[j as usize];
        let from_stale_leader = stale_leader.map(|leader| (leader, domain.clone()));
        if let Some(s) = self.pod_templates.follower_shape(j, &domain) {
            return Some(Admitted {
                shape: s,
                from_stale_leader,
            });
        }
        let mut spec = job.spec.template.spec.clone();
        spec.node_selector.insert(key, domain.clone());
        // The labels are read only to compile inter-pod terms: a follower's template seldom
        // has any, and building them (metadata_of) was a per-Job cost of every restart.
        let labels = if crate::sim::shape::has_inter_pod_terms(&spec) {
            self.job_pod_labels(j)
        } else {
            crate::api::types::StringMap::new()
        };
        let namespace = self.store.jobsets[job.jobset as usize].namespace.clone();
        let id = self.compile_pod_shape(&spec, &labels, &namespace);
        self.pod_templates.add_follower_shape(j, domain, id);
        Some(Admitted {
            shape: id,
            from_stale_leader,
        })
    }

    /// `main` ignores finished leader pods (kubernetes-sigs/jobset#1276), so once a Job's
    /// index 0 is done for good, no follower of it is ever admitted again: the Job neither
    /// progresses nor fails. Index 0 is done when it succeeded (completions > parallelism) or
    /// failed for good under `backoffLimitPerIndex` (the Job goes on with its other indexes
    /// and fails only when they are all done). An upstream behaviour, reported as such.
    fn note_denied_after_leader_succeeded(&mut self, j: JobId) {
        let job = &self.store.jobs[j as usize];
        let (kind, outcome) = if job.succeeded_index.first().copied().unwrap_or(false) {
            (FOLLOWERS_DENIED_AFTER_LEADER_SUCCEEDED, "has Succeeded")
        } else if job.index_failed.first().copied().unwrap_or(false) {
            (
                FOLLOWERS_DENIED_AFTER_LEADER_INDEX_FAILED,
                "failed for good (backoffLimitPerIndex), so it gets no new pod,",
            )
        } else {
            return;
        };
        let now = self.now();
        let jobset = self.store.jobsets[job.jobset as usize].name.clone();
        let name = job.name.clone();
        self.rec.note_upstream_behaviour(now, kind, j, "", || {
            let message = format!(
                "follower pod creates of Job {name} denied: its leader pod (index 0) {outcome} \
                 and main's leader lookup ignores finished pods (kubernetes-sigs/jobset#1276), \
                 so no follower is admitted again"
            );
            (jobset, name, message)
        });
    }

    /// v0.12.0's leader lookup skips terminating pods only, so a leader pod that Failed and
    /// was replaced still counts: with two pods named like the leader every follower create
    /// is denied ("expected 1 leader pod"), and the finished one stays while the Job lives (the
    /// Job controller does not delete finished pods). Noted when a finished one is among them.
    fn note_denied_finished_leader_counted(&mut self, j: JobId) {
        let leaders: Vec<PodId> = (self.job_pods[j as usize].iter().copied())
            .filter(|&p| {
                let pod = &self.pods[p as usize];
                pod.index == 0 && pod.created && !pod.removed && pod.deletion_ns.is_none()
            })
            .collect();
        let finished = leaders
            .iter()
            .copied()
            .find(|&p| self.pods[p as usize].phase.terminal());
        let (Some(finished), true) = (finished, leaders.len() >= 2) else {
            return;
        };
        let now = self.now();
        let job = &self.store.jobs[j as usize];
        let jobset = self.store.jobsets[job.jobset as usize].name.clone();
        let name = job.name.clone();
        let finished_name = self.pod_name(finished);
        let phase = format!("{:?}", self.pods[finished as usize].phase);
        let count = leaders.len();
        self.rec.note_upstream_behaviour(
            now,
            FOLLOWERS_DENIED_FINISHED_LEADER_COUNTED,
            j,
            "",
            || {
                let message = format!(
                    "follower pod creates of Job {name} denied: v0.12.0's leader lookup counts \
                     {count} pods named like the leader, among them {finished_name}, which \
                     {phase} and stays while the Job lives (expected 1 leader pod); main skips \
                     finished pods (kubernetes-sigs/jobset#1276)"
                );
                (jobset, name, message)
            },
        );
    }

    /// A follower created from a finished leader (v0.12.0 counts finished leader pods; main
    /// ignores them since kubernetes-sigs/jobset#1276): it goes to the domain the leader was
    /// in, wherever the Job's next leader lands, and v0.12.0 never repairs it (#1269).
    fn note_follower_from_stale_leader(&mut self, pod: PodId, leader: PodId, domain: &str) {
        let j = self.pods[pod as usize].job;
        let now = self.now();
        let job = &self.store.jobs[j as usize];
        let jobset = self.store.jobsets[job.jobset as usize].name.clone();
        let name = job.name.clone();
        let leader_name = self.pod_name(leader);
        let phase = if self.pods[leader as usize].phase == PodPhase::Succeeded {
            "Succeeded"
        } else {
            "Failed"
        };
        let key = self.pod_templates.exclusive_key(j).unwrap_or_default();
        self.rec
            .note_upstream_misplaced(pod, now, FOLLOWERS_FROM_STALE_LEADER, j, domain, || {
                let message = format!(
                    "followers of Job {name} created with nodeSelector {key}={domain} from leader \
                 pod {leader_name}, which had {phase}: v0.12.0 still counts a finished leader \
                 (fixed on main by kubernetes-sigs/jobset#1276) and does not repair misplaced \
                 followers (#1269)"
                );
                (jobset, name, message)
            });
    }

    /// A pod create the API server receives at `at`, with the webhooks' verdict (None: denied):
    /// the store takes the pod under a generated name and `PodCreated` follows. False when the
    /// create is refused (denied, or AlreadyExists: no free name), which the metrics count.
    pub(crate) fn api_create_pod(
        &mut self,
        j: JobId,
        index: u32,
        admitted: Option<&Admitted>,
        at: u64,
    ) -> bool {
        let Some(a) = admitted else {
            // Denied by the validating webhook: the API call still happened.
            let js = self.store.jobs[j as usize].jobset;
            self.rec.observe_pod_create_refused(js, Denied);
            return false;
        };
        if !self.create_pod(j, index, a.shape, at) {
            // AlreadyExists: a failed create, retried like a denied one.
            let js = self.store.jobs[j as usize].jobset;
            self.rec.observe_pod_create_refused(js, NameConflict);
            return false;
        }
        if let Some((leader, domain)) = &a.from_stale_leader {
            let pod = (self.pods.len() - 1) as PodId;
            self.note_follower_from_stale_leader(pod, *leader, domain);
        }
        true
    }

    /// Sends a pod create; false when the API server refuses it (AlreadyExists: no free name).
    fn create_pod(&mut self, j: JobId, index: u32, shape: ShapeId, at: u64) -> bool {
        let Some(suffix) = self.unique_pod_suffix(j, index) else {
            return false;
        };
        let pod = PodObj {
            suffix,
            job: j,
            index,
            shape,
            phase: PodPhase::Pending,
            node: None,
            ready: false,
            created: false,
            deletion_ns: MaybeTime::NONE,
            removed: false,
            unschedulable: false,
            created_at_ns: at,
            restart_count: 0,
            last_exit: None,
            disruption_target: false,
            in_place_attempt: None,
            bound_at_ns: MaybeTime::NONE,
            // Upstream's Job controller creates every pod with it.
            tracking_finalizer: TrackingFinalizer::On,
        };
        let id = self.insert_pod(pod);
        self.queue.schedule_at(at, Event::PodCreated(id));
        true
    }

    /// The create returned: the pod exists for other components.
    pub(crate) fn on_pod_created(&mut self, pod: PodId) {
        if self.pods[pod as usize].removed {
            return;
        }
        self.change_pod(pod, PodChange::Created);
    }
}

/// What the pod webhooks let through: the pod's shape, and for a follower placed from a
/// finished leader (v0.12.0), that leader and its domain.
#[derive(Debug, Clone)]
pub(crate) struct Admitted {
    shape: ShapeId,
    from_stale_leader: Option<(PodId, String)>,
}

impl Admitted {
    fn plain(shape: ShapeId) -> Self {
        Admitted {
            shape,
            from_stale_leader: None,
        }
    }
}

/// The leader lookup reads a pod's deletion timestamp and phase, as the webhook's view does.
impl crate::control::pod_webhook::LeaderCandidate for PodObj {
    fn terminating(&self) -> bool {
        self.deletion_ns.is_some()
    }
    fn phase(&self) -> crate::control::pod_webhook::PodPhaseView {
        use crate::control::pod_webhook::PodPhaseView;
        match self.phase {
            PodPhase::Pending => PodPhaseView::Pending,
            PodPhase::Running => PodPhaseView::Running,
            PodPhase::Succeeded => PodPhaseView::Succeeded,
            PodPhase::Failed => PodPhaseView::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "name: small\nrun: {seed: 7, until: 1h}\ncluster:\n  nodePools:\n  \
        - {name: cpu, nodesPerPool: 2, capacity: {cpu: 8}}\nworkloads:\n- pods: {runFor: 30s}\n  \
        jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {name: s}\n    \
        spec:\n      replicatedJobs:\n      - name: w\n        replicas: 1\n        template:\n          \
        spec:\n            parallelism: 2\n            completions: 2\n            template:\n              \
        spec:\n                containers: [{name: main, resources: {requests: {cpu: '1'}}}]\n";

    /// Live pods never share a name: a generated name a live pod holds is drawn again, and
    /// when all 8 attempts collide the create fails (AlreadyExists) instead of going through.
    #[test]
    fn a_generated_pod_name_held_by_a_live_pod_is_drawn_again() {
        let scenario =
            crate::scenario::load_scenario_from_str("s.yaml", SMALL, std::path::Path::new("."))
                .expect("valid scenario");
        let mut sim = Sim::new(scenario).expect("sim builds");
        sim.run();
        let live = sim.pods.iter().filter(|p| !p.removed).count();
        assert_eq!(
            sim.live_pod_names.len(),
            live,
            "each live pod holds its name"
        );
        let (jobset, rj, job_index) = (
            sim.store.jobs[0].jobset,
            sim.store.jobs[0].rj,
            sim.store.jobs[0].job_index,
        );
        let key = |suffix| PodNameKey {
            jobset,
            rj,
            job_index,
            index: 0,
            suffix,
        };
        let saved = sim.rng.names.clone();
        let draws: Vec<[u8; 5]> = (0..8).map(|_| sim.random_suffix()).collect();
        let keys: Vec<PodNameKey> = draws.iter().map(|&s| key(s)).collect();
        sim.rng.names = saved.clone();
        sim.live_pod_names.insert(keys[0]);
        assert_eq!(sim.unique_pod_suffix(0, 0), Some(draws[1]));
        sim.rng.names = saved;
        sim.live_pod_names.extend(keys);
        assert_eq!(sim.unique_pod_suffix(0, 0), None);
    }
}

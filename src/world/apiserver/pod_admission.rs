//! The API server's side of a pod create, as the Job controller's client reaches it
//! (`Ctx::admit_pod`, `Ctx::create_pod`): the JobSet pod webhooks' verdict (their rules are the
//! kernels of `control/pod_webhook.rs`; this feeds them the Job's pods), the generated name,
//! the store insert, and the create's return (`PodCreated`). What the webhooks do that
//! upstream reports as a known behaviour is noted here, where it happens.

use super::ApiServer;
use crate::control::job::{
    FOLLOWERS_DENIED_AFTER_LEADER_INDEX_FAILED, FOLLOWERS_DENIED_AFTER_LEADER_SUCCEEDED,
    FOLLOWERS_DENIED_FINISHED_LEADER_COUNTED, FOLLOWERS_FROM_STALE_LEADER,
};
use crate::metrics::objects::PodCreateRefusal::{Denied, NameConflict};
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::Event;

impl ApiServer {
    /// The pod webhooks on a create (§6.2): the shape the pod gets, or None when the
    /// validating webhook denies it. Without exclusive placement every pod is admitted as is.
    /// The webhooks are evaluated when the sync issues the create rather than when it lands a
    /// few milliseconds later. A follower admitted from a finished leader (v0.12.0) is
    /// `Admitted::from_stale_leader`.
    pub(crate) fn admit_pod(&mut self, ctx: &mut Ctx, j: JobId, index: u32) -> Option<Admitted> {
        let template = ctx.pod_template(j);
        let Some(key) = template.exclusive_key.clone() else {
            return Some(Admitted::plain(template.shape));
        };
        if index == 0 {
            let leader_shape = template.leader_shape.unwrap_or(template.shape);
            return Some(Admitted::plain(leader_shape));
        }
        let (lookup, no_leader, stale_leader) = leader_lookup(ctx, j, &key);
        use crate::control::pod_webhook::{self as webhook, PlacementVersion};
        let version = ctx.params().jobset_version;
        let own_selector = &ctx.job(j).spec.template.spec.node_selector;
        let Ok(domain) = webhook::admit_follower(own_selector, &key, lookup) else {
            if no_leader && version == PlacementVersion::Main {
                note_denied_after_leader_succeeded(ctx, j);
            }
            if version == PlacementVersion::V0_12_0 {
                note_denied_finished_leader_counted(ctx, j);
            }
            return None;
        };
        let from_stale_leader = stale_leader.map(|leader| (leader, domain.clone()));
        if let Some(s) = ctx.follower_shape(j, &domain) {
            return Some(Admitted {
                shape: s,
                from_stale_leader,
            });
        }
        let job = ctx.job(j);
        let mut spec = job.spec.template.spec.clone();
        spec.node_selector.insert(key, domain.clone());
        // The labels are read only to compile inter-pod terms: a follower's template seldom
        // has any, and building them (metadata_of) was a per-Job cost of every restart.
        let labels = if crate::sim::shape::has_inter_pod_terms(&spec) {
            ctx.job_pod_labels(j)
        } else {
            crate::api::types::StringMap::new()
        };
        let namespace = ctx.jobset(job.jobset).namespace.clone();
        let id = ctx.compile_pod_shape(&spec, &labels, &namespace);
        ctx.add_follower_shape(j, domain, id);
        Some(Admitted {
            shape: id,
            from_stale_leader,
        })
    }

    /// A pod create the API server receives at `at`, with the webhooks' verdict (None: denied):
    /// the store takes the pod under a generated name and `PodCreated` follows. False when the
    /// create is refused (denied, or AlreadyExists: no free name), which the metrics count.
    pub(crate) fn create_pod(
        &mut self,
        ctx: &mut Ctx,
        j: JobId,
        index: u32,
        admitted: Option<&Admitted>,
        at: u64,
    ) -> bool {
        let js = ctx.job(j).jobset;
        let Some(a) = admitted else {
            // Denied by the validating webhook: the API call still happened.
            ctx.metrics().observe_pod_create_refused(js, Denied);
            return false;
        };
        let Some(pod) = self.store_pod(ctx, j, index, a.shape, at) else {
            // AlreadyExists: a failed create, retried like a denied one.
            ctx.metrics().observe_pod_create_refused(js, NameConflict);
            return false;
        };
        if let Some((leader, domain)) = &a.from_stale_leader {
            note_follower_from_stale_leader(ctx, pod, *leader, domain);
        }
        true
    }

    /// Stores a new pod under a generated name, its create returning at `at`; None when no
    /// free name was found (AlreadyExists).
    fn store_pod(
        &mut self,
        ctx: &mut Ctx,
        j: JobId,
        index: u32,
        shape: ShapeId,
        at: u64,
    ) -> Option<PodId> {
        let job = ctx.job(j);
        let name = PodNameKey {
            jobset: job.jobset,
            rj: job.rj,
            job_index: job.job_index,
            index,
            suffix: [0; 5],
        };
        let suffix = self.generate_pod_suffix(name)?;
        let pod = PodObj::new_pending(suffix, j, index, shape, at);
        let id = ctx.insert_pod(pod);
        ctx.schedule_at(at, Event::PodCreated(id));
        Some(id)
    }

    /// The create returned: the pod exists for other components.
    pub(crate) fn on_pod_created(&mut self, ctx: &mut Ctx, pod: PodId) {
        if ctx.pod(pod).removed {
            return;
        }
        ctx.change_pod(pod, PodChange::Created);
    }
}

/// The leader lookup (§6.3) over Job `j`'s pods, the only ones that carry its leader's name
/// and its owner UID (a pod of the previous attempt has another owner): what the follower
/// webhook is told, whether no pod is named like the leader, and a finished leader that
/// v0.12.0 still finds.
fn leader_lookup(
    ctx: &Ctx,
    j: JobId,
    key: &str,
) -> (
    crate::control::pod_webhook::LeaderLookup,
    bool,
    Option<PodId>,
) {
    use crate::control::pod_webhook::{self as webhook, LeaderLookup};
    let version = ctx.params().jobset_version;
    let named_like_leader = (ctx.job_pods(j).iter())
        .map(|&p| ctx.pod(p))
        .filter(|p| p.index == 0 && p.created && !p.removed);
    let found = webhook::single_leader(named_like_leader, version);
    // v0.12.0 may find a leader that has finished: its followers are an upstream finding.
    let stale_leader = match &found {
        Ok(leader) if leader.phase.terminal() => (ctx.job_pods(j).iter())
            .copied()
            .find(|&p| std::ptr::eq(ctx.pod(p), *leader)),
        _ => None,
    };
    let no_leader = matches!(found, Err(0));
    let lookup = match found {
        Err(count) => LeaderLookup::NotFound(webhook::leader_count_error(
            &format!("{}-0", ctx.job(j).name),
            count,
        )),
        Ok(leader) => match leader.node {
            None => LeaderLookup::Unscheduled,
            Some(node) => LeaderLookup::Bound(
                ctx.node_label(node, key)
                    .map(str::to_string)
                    .ok_or_else(|| format!("node does not have topology label: {key}")),
            ),
        },
    };
    (lookup, no_leader, stale_leader)
}

/// `main` ignores finished leader pods (kubernetes-sigs/jobset#1276), so once a Job's
/// index 0 is done for good, no follower of it is ever admitted again: the Job neither
/// progresses nor fails. Index 0 is done when it succeeded (completions > parallelism) or
/// failed for good under `backoffLimitPerIndex` (the Job goes on with its other indexes
/// and fails only when they are all done). An upstream behaviour, reported as such.
fn note_denied_after_leader_succeeded(ctx: &mut Ctx, j: JobId) {
    let job = ctx.job(j);
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
    let now = ctx.now();
    let jobset = ctx.jobset(job.jobset).name.clone();
    let name = job.name.clone();
    ctx.metrics().note_upstream_behaviour(now, kind, j, "", || {
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
fn note_denied_finished_leader_counted(ctx: &mut Ctx, j: JobId) {
    let leaders: Vec<PodId> = (ctx.job_pods(j).iter().copied())
        .filter(|&p| {
            let pod = ctx.pod(p);
            pod.index == 0 && pod.created && !pod.removed && pod.deletion_ns.is_none()
        })
        .collect();
    let finished = leaders
        .iter()
        .copied()
        .find(|&p| ctx.pod(p).phase.terminal());
    let (Some(finished), true) = (finished, leaders.len() >= 2) else {
        return;
    };
    let now = ctx.now();
    let job = ctx.job(j);
    let jobset = ctx.jobset(job.jobset).name.clone();
    let name = job.name.clone();
    let finished_name = ctx.pod_name(finished);
    let phase = format!("{:?}", ctx.pod(finished).phase);
    let count = leaders.len();
    ctx.metrics().note_upstream_behaviour(
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
fn note_follower_from_stale_leader(ctx: &mut Ctx, pod: PodId, leader: PodId, domain: &str) {
    let j = ctx.pod(pod).job;
    let now = ctx.now();
    let job = ctx.job(j);
    let jobset = ctx.jobset(job.jobset).name.clone();
    let name = job.name.clone();
    let leader_name = ctx.pod_name(leader);
    let phase = if ctx.pod(leader).phase == PodPhase::Succeeded {
        "Succeeded"
    } else {
        "Failed"
    };
    let key = ctx.exclusive_key(j).unwrap_or_default().to_string();
    ctx.metrics()
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

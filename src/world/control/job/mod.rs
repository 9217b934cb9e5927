//! The Kubernetes Job controller (pkg/controller/job), for the Jobs JobSet creates: Indexed
//! pod creation with slow start, success and failure conditions, pod-failure backoff.

mod controller;

pub(crate) use controller::JobController;
// The pod-failure back-off, which the recovery report names when it is where the time went.
pub(crate) use controller::{MAX_POD_FAILURE_BACKOFF_NS, POD_FAILURE_BACKOFF_NS};

use super::gc::Client;
use crate::engine::time::secs_field_ns;
use crate::metrics::objects::PodCreateRefusal::{Denied, NameConflict};
use crate::sim::objects::*;
use crate::sim::pod_change::{PodBefore, PodChange};
use crate::sim::{Event, Sim};

/// What the podFailurePolicy says about one failed pod.
enum PodFailureAction {
    FailJob(String),
    Ignore,
    FailIndex,
    Count,
}

fn backoff_exceeded() -> (String, String) {
    (
        "BackoffLimitExceeded".into(),
        "Job has reached the specified backoff limit".into(),
    )
}

/// MaxPodCreateDeletePerSync.
const MAX_PODS_PER_SYNC: u32 = 500;

impl Sim {
    /// Adds a Job key to the Job controller's delaying queue (earliest due time wins).
    pub(crate) fn enqueue_job(&mut self, j: JobId, delay_ns: u64) {
        let due = self.now() + delay_ns;
        if !self.jobs[j as usize].removed && self.job_controller.enqueue(j, due) {
            self.queue.schedule_at(due, Event::SyncJob(j));
        }
    }

    /// The Job controller's pod informer books what its next sync reads: a pod's succeeded
    /// index, or a failed pod to count (once). A pod counts as failed when it reaches phase
    /// Failed, or when it is evicted, unless the Job waits for terminal pods
    /// (`podReplacementPolicy: Failed`). Returns whether it booked a failed pod.
    pub(crate) fn job_informer_books(
        &mut self,
        pod: PodId,
        before: &PodBefore,
        change: PodChange,
    ) -> bool {
        let p = &self.pods[pod as usize];
        let job = &mut self.jobs[p.job as usize];
        let index = p.index as usize;
        if p.phase == PodPhase::Succeeded && before.phase != PodPhase::Succeeded {
            if index < job.succeeded_index.len() && !job.succeeded_index[index] {
                job.succeeded_index[index] = true;
                job.succeeded += 1;
                self.jobset_controller.children.job_changed(p.job);
            }
            return false;
        }
        let evicted = matches!(change, PodChange::Deleting { evicted: true, .. });
        let failed = p.phase == PodPhase::Failed
            || (evicted && job.spec.pod_replacement_policy.as_deref() != Some("Failed"));
        if !failed || self.job_controller.counted_failed(pod) {
            return false;
        }
        self.job_controller.book_failed(p.job, pod);
        true
    }

    /// A pod of this Job changed: the controller syncs after its batching period.
    pub(crate) fn notify_job_of_pod(&mut self, pod: PodId) {
        let j = self.pods[pod as usize].job;
        let d = self.params.watch_delay_ns + self.params.job_sync_batch_period_ns;
        self.enqueue_job(j, d);
    }

    pub(crate) fn on_sync_job(&mut self, j: JobId) {
        if !self.job_controller.take_due(j, self.now()) {
            return;
        }
        let conditions_before = self.jobs[j as usize].conditions.len();
        self.sync_job(j);
        // Its status may have changed: the JobSet controller's Job watch hears of it.
        self.jobset_controller.children.job_changed(j);
        // A Job's conditions are append-only: the sync added those past the old length.
        let added = &self.jobs[j as usize].conditions[conditions_before..];
        self.rec.observe_job_conditions(self.queue.now(), j, added);
    }

    /// Status as the Job controller writes it: active and ready pods.
    pub(crate) fn job_ready_and_active(&self, j: JobId) -> (u32, u32) {
        let job = &self.jobs[j as usize];
        (job.status_ready, job.status_active)
    }

    fn sync_job(&mut self, j: JobId) {
        let now = self.now();
        {
            let job = &self.jobs[j as usize];
            if job.removed || job.deletion_ns.is_some() || job.finished().is_some() {
                return;
            }
        }
        let before = self.job_status_fingerprint(j);
        let suspended = self.jobs[j as usize].suspended;
        if !suspended && self.jobs[j as usize].start_time_ns.is_none() {
            self.jobs[j as usize].start_time_ns = Some(now);
        }
        self.arm_active_deadline(j);
        self.count_failed_pods(j);
        // The live pods (not finished, not being deleted), how many are ready, and whether
        // any is still terminating: kept as pods change, listed only when acted on.
        let live = self.job_controller.live(j);
        let terminating = live.terminating > 0;
        {
            let job = &mut self.jobs[j as usize];
            job.status_active = live.active;
            job.status_ready = live.ready;
        }

        // A Job that met its failure or success criteria finishes once its pods are gone
        // (FailureTarget / SuccessCriteriaMet first, §7.1).
        for (interim, terminal) in [
            ("FailureTarget", "Failed"),
            ("SuccessCriteriaMet", "Complete"),
        ] {
            if let Some(c) = self.jobs[j as usize].condition(interim).cloned() {
                if live.active_undeleted > 0 {
                    for p in self.active_pods(j) {
                        self.request_pod_delete(p, &c.reason, Client::JobController);
                    }
                }
                if live.active == 0 && !terminating {
                    self.add_job_condition(j, terminal, &c.reason, &c.message);
                }
                self.after_job_status_write(j, before);
                return;
            }
        }
        if let Some((reason, message)) = self.failure_criteria(j) {
            self.add_job_condition(j, "FailureTarget", &reason, &message);
            return self.sync_job_again_now(j, before);
        }
        let job = &self.jobs[j as usize];
        if job.succeeded >= job.completions {
            self.add_job_condition(
                j,
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            );
            return self.sync_job_again_now(j, before);
        }
        if suspended {
            if live.active_undeleted > 0 {
                for p in self.active_pods(j) {
                    self.request_pod_delete(p, "JobSuspended", Client::JobController);
                }
            }
            self.after_job_status_write(j, before);
            return;
        }
        self.create_missing_pods(j, live.active);
        self.after_job_status_write(j, before);
    }

    /// The Job's active pods (not finished, not being deleted), in creation order.
    fn active_pods(&self, j: JobId) -> Vec<PodId> {
        self.job_pods[j as usize]
            .iter()
            .copied()
            .filter(|&p| LiveCounts::of(&self.pods[p as usize], false).active == 1)
            .collect()
    }

    /// After adding an interim condition the same sync goes on to delete pods and, when none
    /// remain, to finish the Job.
    fn sync_job_again_now(&mut self, j: JobId, before: (u32, u32, u32, u32, usize)) {
        self.after_job_status_write(j, before);
        self.job_controller.forget_due(j);
        self.sync_job(j);
    }

    /// The Job's failure criteria in upstream's priority order (§7.1): a podFailurePolicy
    /// FailJob match (recorded while counting pods), the backoff limit, the active deadline,
    /// then the per-index limits.
    fn failure_criteria(&self, j: JobId) -> Option<(String, String)> {
        let now = self.now();
        let job = &self.jobs[j as usize];
        let on_failure = job.spec.template.spec.restart_policy.as_deref() != Some("Never");
        let limit = job.backoff_limit.max(0) as u64;
        if on_failure {
            let restarts: u64 = self
                .active_pods(j)
                .iter()
                .filter(|&&p| {
                    matches!(
                        self.pods[p as usize].phase,
                        PodPhase::Running | PodPhase::Pending
                    )
                })
                .map(|&p| self.pods[p as usize].restart_count as u64)
                .sum();
            if (limit == 0 && restarts > 0) || (limit > 0 && restarts >= limit) {
                return Some(backoff_exceeded());
            }
        }
        if job.failed as u64 > limit {
            return Some(backoff_exceeded());
        }
        if let (Some(start), Some(deadline_s)) =
            (job.start_time_ns, job.spec.active_deadline_seconds)
        {
            if now >= start.saturating_add(secs_field_ns(deadline_s)) {
                return Some((
                    "DeadlineExceeded".into(),
                    "Job was active longer than specified deadline".into(),
                ));
            }
        }
        if job.spec.backoff_limit_per_index.is_some() {
            let failed_indexes = job.index_failed.iter().filter(|&&f| f).count() as i64;
            if let Some(max) = job.spec.max_failed_indexes {
                if failed_indexes > max as i64 {
                    return Some((
                        "MaxFailedIndexesExceeded".into(),
                        "Job has exceeded the specified maximal number of failed indexes".into(),
                    ));
                }
            }
            let all_finished = (0..job.completions as usize)
                .all(|i| job.succeeded_index[i] || job.index_failed[i]);
            if failed_indexes > 0 && all_finished {
                return Some(("FailedIndexes".into(), "Job has failed indexes".into()));
            }
        }
        None
    }

    /// Wakes the Job when its activeDeadlineSeconds runs out. Re-armed on every sync, as the
    /// real controller requeues with the remaining time, because the work queue keeps only the
    /// earliest wake-up of a key.
    fn arm_active_deadline(&mut self, j: JobId) {
        let job = &self.jobs[j as usize];
        if let (Some(start), Some(d)) = (job.start_time_ns, job.spec.active_deadline_seconds) {
            let deadline = start.saturating_add(secs_field_ns(d));
            let now = self.now();
            if deadline > now {
                self.enqueue_job(j, deadline - now);
            }
        }
    }

    /// Accounts failed pods the controller has not seen yet, through the podFailurePolicy.
    fn count_failed_pods(&mut self, j: JobId) {
        let now = self.now();
        for pod in self.job_controller.take_uncounted(j) {
            let action = self.pod_failure_policy_action(j, pod);
            let index = self.pods[pod as usize].index as usize;
            let job = &mut self.jobs[j as usize];
            match action {
                PodFailureAction::FailJob(message) => {
                    job.add_condition("FailureTarget", "PodFailurePolicy", &message, now);
                }
                PodFailureAction::Ignore => {}
                PodFailureAction::FailIndex => {
                    if index < job.index_failed.len() {
                        job.index_failed[index] = true;
                    }
                }
                PodFailureAction::Count => {
                    job.failed += 1;
                    let failures = self.job_controller.count_failure(j, index, now);
                    let per_index = job.spec.backoff_limit_per_index;
                    if let (Some(failures), Some(limit)) = (failures, per_index) {
                        if failures as i64 > limit as i64 {
                            job.index_failed[index] = true;
                        }
                    }
                }
            }
        }
    }

    /// The first podFailurePolicy rule that matches the failed pod decides; none means Count.
    fn pod_failure_policy_action(&self, j: JobId, pod: PodId) -> PodFailureAction {
        let job = &self.jobs[j as usize];
        let Some(policy) = &job.spec.pod_failure_policy else {
            return PodFailureAction::Count;
        };
        let p = &self.pods[pod as usize];
        let name = self.pod_name(pod);
        let ns = &self.jobsets[job.jobset as usize].namespace;
        for (i, rule) in policy.rules.iter().enumerate() {
            let matched = if let Some(codes) = &rule.on_exit_codes {
                p.last_exit.map(|(c, code)| (&self.container_names[c as usize], code)).and_then(|(container, code)| {
                    let container_ok = codes.container_name.as_deref().is_none_or(|c| c == container);
                    let in_values = codes.values.contains(&code);
                    let op_ok = match codes.operator.as_str() {
                        "In" => in_values,
                        "NotIn" => !in_values,
                        _ => false,
                    };
                    (container_ok && op_ok).then(|| {
                        format!("Container {container} for pod {ns}/{} failed with exit code {code} matching {} rule at index {i}", name, rule.action)
                    })
                })
            } else {
                rule.on_pod_conditions.iter().find_map(|c| {
                    let status_ok = c.status.as_deref().unwrap_or("True") == "True";
                    let has = p.disruption_target
                        && c.condition_type == crate::control::pod_webhook::DISRUPTION_TARGET;
                    (status_ok && has).then(|| {
                        format!(
                            "Pod {ns}/{} has condition {} matching {} rule at index {i}",
                            name, c.condition_type, rule.action
                        )
                    })
                })
            };
            if let Some(message) = matched {
                return match rule.action.as_str() {
                    "FailJob" => PodFailureAction::FailJob(message),
                    "Ignore" => PodFailureAction::Ignore,
                    "FailIndex" => PodFailureAction::FailIndex,
                    _ => PodFailureAction::Count,
                };
            }
        }
        PodFailureAction::Count
    }

    fn job_status_fingerprint(&self, j: JobId) -> (u32, u32, u32, u32, usize) {
        let job = &self.jobs[j as usize];
        (
            job.status_active,
            job.status_ready,
            job.succeeded,
            job.failed,
            job.conditions.len(),
        )
    }

    /// A Job status write reaches the JobSet controller through its Job watch.
    fn after_job_status_write(&mut self, j: JobId, before: (u32, u32, u32, u32, usize)) {
        if self.job_status_fingerprint(j) != before {
            let js = self.jobs[j as usize].jobset;
            let d = self.params.job_sync_cost_ns
                + self.params.api_call_latency_ns
                + self.params.watch_delay_ns;
            self.enqueue_jobset(js, d);
        }
    }

    fn add_job_condition(&mut self, j: JobId, kind: &str, reason: &str, message: &str) {
        let now = self.now();
        self.jobs[j as usize].add_condition(kind, reason, message, now);
    }

    /// Creates pods for the lowest missing completion indexes, in slow-start batches
    /// (1, 2, 4, ...), each batch one round of API latency. Replacements of failed pods wait
    /// out the pod-failure backoff (10 s doubling to 10 min), per index with
    /// backoffLimitPerIndex, else per Job.
    fn create_missing_pods(&mut self, j: JobId, active: u32) {
        let now = self.now();
        let job = &self.jobs[j as usize];
        let want_active = job
            .parallelism
            .min(job.completions - job.succeeded.min(job.completions));
        if active >= want_active {
            return;
        }
        let per_index = job.spec.backoff_limit_per_index.is_some();
        if !per_index {
            if let Some(wait) = self.job_controller.job_backoff_left_ns(j, job.failed, now) {
                self.enqueue_job(j, wait);
                return;
            }
        }
        // With podReplacementPolicy Failed, a terminating pod still holds its index.
        let wait_for_terminal = job.spec.pod_replacement_policy.as_deref() == Some("Failed");
        let mut covered = vec![false; job.completions as usize];
        for &p in &self.job_pods[j as usize] {
            let pod = &self.pods[p as usize];
            let holds = !pod.phase.terminal()
                && (pod.deletion_ns.is_none() || (wait_for_terminal && !pod.removed));
            if holds && (pod.index as usize) < covered.len() {
                covered[pod.index as usize] = true;
            }
        }
        let budget = (want_active - active).min(MAX_PODS_PER_SYNC);
        let (missing, earliest_wait) =
            (self.job_controller).indexes_to_create(j, job, &covered, budget, now);
        if let Some(wait) = earliest_wait {
            self.enqueue_job(j, wait);
        }
        // Each batch's creates go out together through the rate limiter; the next batch waits
        // for the whole batch to return. A JobSet pod's create passes the pod webhooks.
        let mut batch_start = now + self.params.job_sync_cost_ns;
        let mut batch = 1usize;
        let mut offset = 0usize;
        let call = self.params.api_call_latency_ns + self.params.webhook_latency_ns;
        let mut rejected = false;
        // The webhooks answer the same for every follower of one sync: look the leader up once.
        let follower = if missing.iter().any(|&i| i > 0) {
            self.admit_pod(j, 1)
        } else {
            None
        };
        while offset < missing.len() && !rejected {
            let end = (offset + batch).min(missing.len());
            let mut batch_end = batch_start;
            for &index in &missing[offset..end] {
                let at = self.job_controller.send_call(batch_start) + call;
                let admitted = match index {
                    0 => self.admit_pod(j, 0),
                    _ => follower.clone(),
                };
                match admitted {
                    Some(a) => {
                        if !self.create_pod(j, index, a.shape, at) {
                            // AlreadyExists: a failed create, retried like a denied one.
                            self.rec.observe_pod_create_refused(
                                self.jobs[j as usize].jobset,
                                NameConflict,
                            );
                            rejected = true;
                        } else if let Some((leader, domain)) = &a.from_stale_leader {
                            let pod = (self.pods.len() - 1) as PodId;
                            self.note_follower_from_stale_leader(pod, *leader, domain);
                        }
                    }
                    None => {
                        // Denied by the validating webhook: the API call still happened.
                        self.rec
                            .observe_pod_create_refused(self.jobs[j as usize].jobset, Denied);
                        rejected = true;
                    }
                }
                batch_end = batch_end.max(at);
            }
            offset = end;
            batch *= 2;
            batch_start = batch_end;
        }
        // A batch with an error ends the sync with an error: the Job is retried through the
        // API back-off (1 s doubling to 60 s); a clean sync resets it.
        if let Some(delay) = self.job_controller.api_backoff_after_creates(j, rejected) {
            let wait = batch_start.saturating_sub(now) + delay;
            self.enqueue_job(j, wait);
        }
    }

    /// The pod webhooks on a create (§6.2): the shape the pod gets, or None when the
    /// validating webhook denies it. Without exclusive placement every pod is admitted as is.
    /// The webhooks are evaluated when the sync issues the create rather than when it lands a
    /// few milliseconds later. A follower admitted from a finished leader (v0.12.0) is
    /// `Admitted::from_stale_leader`.
    fn admit_pod(&mut self, j: JobId, index: u32) -> Option<Admitted> {
        let job = &self.jobs[j as usize];
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
        let job = &self.jobs[j as usize];
        let from_stale_leader = stale_leader.map(|leader| (leader, domain.clone()));
        if let Some(s) = self.pod_templates.follower_shape(j, &domain) {
            return Some(Admitted {
                shape: s,
                from_stale_leader,
            });
        }
        let mut spec = job.spec.template.spec.clone();
        spec.node_selector.insert(key, domain.clone());
        let labels = self.pod_templates.labels(j).clone();
        let namespace = self.jobsets[job.jobset as usize].namespace.clone();
        let shape = crate::sim::shape::compile_with_affinity(
            &spec,
            &self.cluster,
            &mut self.placement,
            &labels,
            &namespace,
        );
        let id = self.push_shape(shape);
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
        let job = &self.jobs[j as usize];
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
        let jobset = self.jobsets[job.jobset as usize].name.clone();
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
        let job = &self.jobs[j as usize];
        let jobset = self.jobsets[job.jobset as usize].name.clone();
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
        let job = &self.jobs[j as usize];
        let jobset = self.jobsets[job.jobset as usize].name.clone();
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
            deletion_ns: None,
            removed: false,
            last_unschedulable: None,
            created_at_ns: at,
            restart_count: 0,
            last_exit: None,
            disruption_target: false,
            in_place_attempt: None,
            bound_at_ns: None,
        };
        let id = self.insert_pod(pod);
        self.queue.schedule_at(at, Event::PodCreated(id));
        true
    }

    pub(crate) fn on_pod_created(&mut self, pod: PodId) {
        if self.pods[pod as usize].removed {
            return;
        }
        self.change_pod(pod, PodChange::Created);
    }
}

/// `summary.json` `upstream_behaviours` kinds (docs/metrics.md).
pub(crate) const FOLLOWERS_FROM_STALE_LEADER: &str = "followers-from-stale-leader";
pub(crate) const FOLLOWERS_DENIED_AFTER_LEADER_SUCCEEDED: &str =
    "followers-denied-after-leader-succeeded";
pub(crate) const FOLLOWERS_DENIED_AFTER_LEADER_INDEX_FAILED: &str =
    "followers-denied-after-leader-index-failed";
pub(crate) const UNREPAIRED_FOLLOWERS: &str = "unrepaired-followers";
pub(crate) const SUSPENDED_JOB_NEVER_RESUMED: &str = "suspended-job-never-resumed";
pub(crate) const IN_PLACE_BARRIER_NEVER_LIFTS: &str = "in-place-barrier-never-lifts";
pub(crate) const FOLLOWERS_DENIED_FINISHED_LEADER_COUNTED: &str =
    "followers-denied-finished-leader-counted";

/// What the pod webhooks let through: the pod's shape, and for a follower placed from a
/// finished leader (v0.12.0), that leader and its domain.
#[derive(Debug, Clone)]
struct Admitted {
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
        let (jobset, rj, job_index) = (sim.jobs[0].jobset, sim.jobs[0].rj, sim.jobs[0].job_index);
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

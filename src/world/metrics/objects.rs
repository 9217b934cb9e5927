//! The metrics observers of JobSet and Job object changes: creation, suspension, deletion,
//! status writes, reconciles and refused pod creates. The controllers call these where they
//! make the change; the counters, `jobsets.csv` rows and recovery records they feed are
//! written only here.

use super::recoveries::Decision;
use super::Recorder;
use crate::engine::SimTime;
use crate::sim::objects::{JobCondition, JobId, JobSetStatus, JsId};

/// A change of a Job object that the metrics observe.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JobChange<'a> {
    /// The JobSet controller's create landed (`job_restart_attempt`: the Job's own restart
    /// label under the RestartJob gate).
    Created {
        jobset: JsId,
        restart_attempt: i32,
        job_restart_attempt: Option<&'a str>,
        suspended: bool,
    },
    Suspended,
    Resumed,
    /// Foreground deletion started.
    Deleting,
    /// The object is gone.
    Deleted,
}

/// A change of a JobSet object that the metrics observe.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JobSetChange {
    /// Submitted; `pods_needed`: pods it runs at once; `staged`: its replicated jobs run in
    /// stages (a `dependsOn` with status `Complete`), so not all at once.
    Created {
        pods_needed: u64,
        staged: bool,
    },
    Deleting,
    Deleted,
}

/// Why the API refused a pod create of the Job controller.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PodCreateRefusal {
    /// No free generated name (AlreadyExists).
    NameConflict,
    /// Denied by the validating pod webhook.
    Denied,
}

impl Recorder {
    pub(crate) fn observe_job(&mut self, time_ns: SimTime, j: JobId, change: JobChange) {
        match change {
            JobChange::Created {
                jobset,
                restart_attempt,
                job_restart_attempt,
                suspended,
            } => {
                self.jobs_created += 1;
                let attempts = format!(
                    "restart attempt {restart_attempt}{}{}",
                    job_restart_attempt
                        .map(|a| format!(", job restart attempt {a}"))
                        .unwrap_or_default(),
                    if suspended { ", suspended" } else { "" }
                );
                self.status_log.job(time_ns, j, "Created", &attempts);
                self.recoveries.job_created(time_ns, jobset);
            }
            JobChange::Suspended => self.status_log.job(time_ns, j, "Suspended", ""),
            JobChange::Resumed => self.status_log.job(time_ns, j, "Resumed", ""),
            JobChange::Deleting => self.status_log.job(time_ns, j, "Deleting", ""),
            JobChange::Deleted => {
                self.note_job_removed(time_ns, j);
                self.status_log.job(time_ns, j, "Deleted", "");
            }
        }
    }

    /// Conditions a Job sync added (a Job's conditions are only ever added, True).
    pub(crate) fn observe_job_conditions(
        &mut self,
        time_ns: SimTime,
        j: JobId,
        added: &[JobCondition],
    ) {
        if !self.status_log.keep_job_rows {
            return;
        }
        for c in added {
            (self.status_log).job_condition(time_ns, j, &c.kind, &c.reason, &c.message);
        }
    }

    pub(crate) fn observe_jobset(&mut self, time_ns: SimTime, js: JsId, change: JobSetChange) {
        match change {
            JobSetChange::Created {
                pods_needed,
                staged,
            } => {
                self.status_log.jobset(time_ns, js, "Created");
                self.recoveries.add_jobset(js, pods_needed, staged);
            }
            JobSetChange::Deleting => self.status_log.jobset(time_ns, js, "Deleting"),
            JobSetChange::Deleted => self.status_log.jobset(time_ns, js, "Deleted"),
        }
    }

    /// A JobSet status write landed: its end, an in-place restart, the condition rows.
    pub(crate) fn observe_jobset_status(
        &mut self,
        now_ns: SimTime,
        js: JsId,
        before: &JobSetStatus,
        after: &JobSetStatus,
    ) {
        if let (None, Some(state)) = (&before.terminal_state, &after.terminal_state) {
            self.note_jobset_finished(now_ns, js);
            self.recoveries.jobset_finished(now_ns, js, state);
        }
        if before.current_in_place_restart_attempt != after.current_in_place_restart_attempt {
            self.recoveries.in_place_restart(js);
        }
        self.status_log
            .jobset_status_written(now_ns, js, before, after);
    }

    /// The failure policy decided on `js` for the `failed` Jobs (`decision.failed_ns`: the
    /// `Failed` condition time of the one it acted on).
    pub(crate) fn observe_failure_policy_decision(
        &mut self,
        now_ns: SimTime,
        js: JsId,
        failed: &[JobId],
        decision: Decision,
    ) {
        // The latest pod failure behind these Job failures: the interruption they continue.
        let pod_failed_ns = failed.iter().filter_map(|&j| self.last_failure_ns(j)).max();
        let decision = Decision {
            pod_failed_ns,
            ..decision
        };
        (self.recoveries).decided(now_ns, js, &decision);
    }

    /// The failure policy's action made an Event on the JobSet.
    pub(crate) fn observe_failure_policy_event(
        &mut self,
        now_ns: SimTime,
        js: JsId,
        reason: &str,
        message: &str,
    ) {
        (self.status_log).failure_policy(now_ns, js, reason, message);
    }

    /// The failure policy restarted the JobSet as `attempt` for the `failed` Jobs, each with
    /// the time of its `Failed` condition: a restart record, triggered by the first container
    /// failure among those Jobs, or by their condition when no pod of theirs failed (an
    /// active deadline, say).
    pub(crate) fn observe_jobset_restart(
        &mut self,
        now_ns: SimTime,
        js: JsId,
        attempt: i32,
        failed: &[(JobId, SimTime)],
    ) {
        let trigger = failed
            .iter()
            .map(|&(j, condition_ns)| self.first_failure_ns(j).unwrap_or(condition_ns))
            .min()
            .unwrap_or(now_ns);
        self.restarts.push(super::RestartRecord {
            jobset: js,
            attempt,
            failed_at_ns: trigger,
            decided_at_ns: now_ns,
        });
        self.attempt_times.open(js, attempt);
    }

    /// The JobSet controller's worker took a JobSet.
    pub(crate) fn observe_jobset_reconcile(&mut self) {
        self.jobset_reconciles += 1;
    }

    pub(crate) fn observe_pod_create_refused(&mut self, js: JsId, refusal: PodCreateRefusal) {
        self.recoveries.create_refused(js);
        match refusal {
            PodCreateRefusal::NameConflict => self.pod_create_name_conflicts += 1,
            PodCreateRefusal::Denied => self.pod_creates_rejected += 1,
        }
    }
}

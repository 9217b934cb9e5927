//! Every JobSet and Job state change, in the words the API objects and upstream's Events use
//! (`jobsets.csv`, and each JobSet's condition history in `summary.json`). Observed at the
//! points where a controller's write lands; nothing here is read back by the simulation.

use crate::engine::SimTime;
use crate::sim::objects::{Condition, JobId, JobSetStatus, JsId};

/// What a row is about: a JobSet, or one of its child Jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    JobSet(JsId),
    Job(JobId),
}

/// One state change (see `docs/metrics.md`, `jobsets.csv`, for the vocabulary).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatusRow {
    pub time_ns: SimTime,
    pub subject: Subject,
    /// `Created`, `Condition`, `FailurePolicy`, `Suspended`, `Resumed`, `Deleting`, `Deleted`.
    pub change: &'static str,
    /// The condition's type for `Condition` rows; empty otherwise.
    pub condition: String,
    /// The condition's status for `Condition` rows.
    pub status: Option<bool>,
    pub reason: String,
    pub message: String,
    /// For JobSet `Condition` rows: the condition's `lastTransitionTime` after the write (a
    /// new reason or message with an unchanged status keeps the earlier one).
    pub last_transition_ns: Option<SimTime>,
}

/// The log. JobSet rows are always kept (they are few and `summary.json` reports them); Job
/// rows only when `keep_job_rows` is set (for `jobsets.csv`).
#[derive(Debug, Default)]
pub(crate) struct StatusLog {
    pub rows: Vec<StatusRow>,
    pub keep_job_rows: bool,
}

/// Every value of `jobsets.csv`'s `change` column; `docs/metrics.md` documents each (a unit test
/// below checks it), and a row with any other value is a bug.
pub(crate) const CHANGES: &[&str] = &[
    "Created",
    "Condition",
    "FailurePolicy",
    "InPlaceRestart",
    "Suspended",
    "Resumed",
    "Deleting",
    "Deleted",
];

impl StatusLog {
    fn push(&mut self, time_ns: SimTime, subject: Subject, change: &'static str) -> &mut StatusRow {
        assert!(
            CHANGES.contains(&change),
            "undocumented status change {change:?}"
        );
        self.rows.push(StatusRow {
            time_ns,
            subject,
            change,
            condition: String::new(),
            status: None,
            reason: String::new(),
            message: String::new(),
            last_transition_ns: None,
        });
        self.rows.last_mut().expect("just pushed")
    }

    /// A plain JobSet change (`Created`, `Deleting`, `Deleted`).
    pub(crate) fn jobset(&mut self, time_ns: SimTime, js: JsId, change: &'static str) {
        self.push(time_ns, Subject::JobSet(js), change);
    }

    /// The JobSet's status write landed: one row per condition whose status, reason or message
    /// differs from `before` (conditions are never removed, only set False).
    pub(crate) fn jobset_status_written(
        &mut self,
        time_ns: SimTime,
        js: JsId,
        before: &JobSetStatus,
        after: &JobSetStatus,
    ) {
        for c in &after.conditions {
            let unchanged = before.conditions.iter().any(|b| {
                b.kind == c.kind
                    && b.status == c.status
                    && b.reason == c.reason
                    && b.message == c.message
            });
            if !unchanged {
                self.condition_row(time_ns, js, c);
            }
        }
        let attempt = after.current_in_place_restart_attempt;
        if attempt != before.current_in_place_restart_attempt {
            let row = self.push(time_ns, Subject::JobSet(js), "InPlaceRestart");
            row.message = format!(
                "currentInPlaceRestartAttempt {}",
                attempt.map_or("unset".into(), |a| a.to_string())
            );
        }
    }

    fn condition_row(&mut self, time_ns: SimTime, js: JsId, c: &Condition) {
        let row = self.push(time_ns, Subject::JobSet(js), "Condition");
        row.condition = c.kind.clone();
        row.status = Some(c.status);
        row.reason = c.reason.clone();
        row.message = c.message.clone();
        row.last_transition_ns = Some(c.last_transition_ns);
    }

    /// The failure policy acted: the Event upstream emits (reason and message).
    pub(crate) fn failure_policy(
        &mut self,
        time_ns: SimTime,
        js: JsId,
        reason: &str,
        message: &str,
    ) {
        let row = self.push(time_ns, Subject::JobSet(js), "FailurePolicy");
        row.reason = reason.to_string();
        row.message = message.to_string();
    }

    /// A plain Job change; `message` says why when there is more to say.
    pub(crate) fn job(&mut self, time_ns: SimTime, j: JobId, change: &'static str, message: &str) {
        assert!(
            CHANGES.contains(&change),
            "undocumented status change {change:?}"
        );
        if self.keep_job_rows {
            self.push(time_ns, Subject::Job(j), change).message = message.to_string();
        }
    }

    /// A condition the Job controller added (a Job's conditions are only ever added, True).
    pub(crate) fn job_condition(
        &mut self,
        time_ns: SimTime,
        j: JobId,
        kind: &str,
        reason: &str,
        message: &str,
    ) {
        if self.keep_job_rows {
            let row = self.push(time_ns, Subject::Job(j), "Condition");
            row.condition = kind.to_string();
            row.status = Some(true);
            row.reason = reason.to_string();
            row.message = message.to_string();
        }
    }

    /// The JobSet's condition changes, in order.
    pub(crate) fn jobset_conditions(&self, js: JsId) -> impl Iterator<Item = &StatusRow> {
        self.rows
            .iter()
            .filter(move |r| r.subject == Subject::JobSet(js) && r.change == "Condition")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::conditions::{condition, update_condition};

    #[test]
    fn a_status_write_logs_only_the_conditions_it_changed() {
        let mut before = JobSetStatus::default();
        update_condition(
            &mut before.conditions,
            condition("StartupPolicyCompleted", true, "R", "m"),
            1,
        );
        let mut after = before.clone();
        update_condition(
            &mut after.conditions,
            condition("RestartingJobSet", true, "FailurePolicy_r", "x"),
            5,
        );
        let mut log = StatusLog::default();
        log.jobset_status_written(5, 0, &before, &after);
        assert_eq!(log.rows.len(), 1);
        assert_eq!(log.rows[0].condition, "RestartingJobSet");
        assert_eq!(log.rows[0].reason, "FailurePolicy_r");
        assert_eq!(log.rows[0].status, Some(true));
        // Same status, new message: logged, with the earlier transition time.
        let before = after.clone();
        update_condition(
            &mut after.conditions,
            condition("RestartingJobSet", true, "FailurePolicy_r", "y"),
            9,
        );
        log.jobset_status_written(9, 0, &before, &after);
        assert_eq!(log.rows.len(), 2);
        assert_eq!(log.rows[1].message, "y");
        assert_eq!(log.rows[1].time_ns, 9);
        assert_eq!(log.rows[1].last_transition_ns, Some(5));
        assert_eq!(log.jobset_conditions(0).count(), 2);
        assert_eq!(log.jobset_conditions(1).count(), 0);
    }

    #[test]
    fn every_change_is_documented_in_the_metrics_doc() {
        let doc = include_str!("../../../docs/metrics.md");
        let table = doc
            .split("| change | on | meaning |")
            .nth(1)
            .expect("change table");
        let rows: Vec<&str> = table
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .collect();
        for change in CHANGES {
            let cell = format!("`{change}`");
            let documented = rows
                .iter()
                .any(|r| r.split('|').nth(1).is_some_and(|c| c.contains(&cell)));
            assert!(
                documented,
                "jobsets.csv change {change} is not in docs/metrics.md"
            );
        }
    }

    #[test]
    #[should_panic(expected = "undocumented status change")]
    fn an_unknown_change_stops_the_run() {
        StatusLog::default().jobset(1, 0, "Renamed");
    }

    #[test]
    fn job_rows_only_when_kept() {
        let mut log = StatusLog::default();
        log.job(1, 3, "Created", "");
        log.job_condition(2, 3, "Failed", "BackoffLimitExceeded", "m");
        assert!(log.rows.is_empty());
        log.keep_job_rows = true;
        log.job_condition(2, 3, "Failed", "BackoffLimitExceeded", "m");
        assert_eq!(log.rows[0].subject, Subject::Job(3));
    }
}

//! kube-scheduler's `FailedScheduling` Events, counted per JobSet for `record.json`. Upstream
//! emits one Event per failed scheduling attempt, its message the FitError
//! (`0/N nodes are available: 3 Insufficient cpu, 1 node(s) had untolerated taint {..}.`).
//! The message changes with every node count, so the record counts the reasons in it instead:
//! per reason, the attempts whose verdict named it. Observed where the scheduler gives its
//! verdict; nothing here is read back by the simulation.

use crate::sim::objects::JsId;
use std::collections::BTreeMap;

/// One JobSet's failed scheduling attempts.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct JobSetFailures {
    /// Failed attempts (FailedScheduling Events).
    pub attempts: u64,
    /// Pods with at least one failed attempt.
    pub pods: u64,
    /// Per reason of the verdict (`Insufficient cpu`, ...): attempts that named it.
    pub attempts_by_reason: BTreeMap<String, u64>,
}

/// Per JobSet (by id), grown as JobSets first fail to schedule.
#[derive(Debug, Default)]
pub(crate) struct FailedScheduling {
    by_jobset: Vec<JobSetFailures>,
}

impl FailedScheduling {
    /// One failed attempt of a pod of `js`, its verdict naming `reasons`; `first` when the
    /// pod had not failed before. Constant work per attempt: one increment per reason in the
    /// verdict, at most one per Filter plugin's reason.
    pub(crate) fn attempt_failed<'a>(
        &mut self,
        js: JsId,
        first: bool,
        reasons: impl Iterator<Item = &'a String>,
    ) {
        if self.by_jobset.len() <= js as usize {
            self.by_jobset
                .resize_with(js as usize + 1, JobSetFailures::default);
        }
        let f = &mut self.by_jobset[js as usize];
        f.attempts += 1;
        f.pods += first as u64;
        for reason in reasons {
            match f.attempts_by_reason.get_mut(reason.as_str()) {
                Some(n) => *n += 1,
                None => {
                    f.attempts_by_reason.insert(reason.clone(), 1);
                }
            }
        }
    }

    /// The JobSet's counts (all zero when none of its pods ever failed to schedule).
    pub(crate) fn of(&self, js: JsId) -> JobSetFailures {
        self.by_jobset.get(js as usize).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_attempts_pods_and_reasons_per_jobset() {
        let mut f = FailedScheduling::default();
        let cpu = "Insufficient cpu".to_string();
        let taint = "node(s) had untolerated taint {a: }".to_string();
        f.attempt_failed(1, true, [&cpu, &taint].into_iter());
        f.attempt_failed(1, false, [&cpu].into_iter());
        let one = f.of(1);
        assert_eq!((one.attempts, one.pods), (2, 1));
        assert_eq!(one.attempts_by_reason[&cpu], 2);
        assert_eq!(one.attempts_by_reason[&taint], 1);
        assert_eq!(f.of(0), JobSetFailures::default());
        assert_eq!(f.of(7), JobSetFailures::default());
    }
}

//! The JobSet failure policy (pkg/controllers/failure_policy.go, semantics §4): rule matching,
//! the first-failed-Job choice and the five actions with their counters.

use super::conditions::{condition, update_condition};
use crate::api::types::{FailurePolicy, FailurePolicyRule};
use crate::engine::SimTime;
use crate::sim::objects::JobSetStatus;

/// The facts about one failed child Job that the policy looks at.
#[derive(Debug, Clone)]
pub(crate) struct FailedJob {
    pub name: String,
    pub replicated_job: String,
    pub job_index: usize,
    pub reason: String,
    pub message: String,
    /// lastTransitionTime of the Job's Failed condition.
    pub failed_at_ns: SimTime,
}

/// Does `job` satisfy every matcher of `rule` (§4.2)? Message patterns are unanchored RE2
/// searches; a pattern that does not compile never matches.
pub(crate) fn rule_applies(rule: &FailurePolicyRule, job: &FailedJob) -> bool {
    if !rule.on_job_failure_reasons.is_empty() && !rule.on_job_failure_reasons.contains(&job.reason)
    {
        return false;
    }
    if !rule.on_job_failure_message_patterns.is_empty()
        && !rule
            .on_job_failure_message_patterns
            .iter()
            .any(|p| regex::Regex::new(p).is_ok_and(|re| re.is_match(&job.message)))
    {
        return false;
    }
    if job.replicated_job.is_empty() {
        return false;
    }
    rule.target_replicated_jobs.is_empty()
        || rule.target_replicated_jobs.contains(&job.replicated_job)
}

/// The earliest failure among `jobs`; equal times are broken by Job name ascending (upstream
/// keeps whichever its cache listed first, which is undefined).
pub(crate) fn earliest<'a>(jobs: impl Iterator<Item = &'a FailedJob>) -> Option<&'a FailedJob> {
    jobs.min_by(|a, b| (a.failed_at_ns, &a.name).cmp(&(b.failed_at_ns, &b.name)))
}

/// First rule (by index) that some failed Job satisfies, and its earliest such Job (§4.2).
pub(crate) fn find_rule_and_job<'a>(
    rules: &'a [FailurePolicyRule],
    failed: &'a [FailedJob],
) -> Option<(&'a FailurePolicyRule, &'a FailedJob)> {
    rules
        .iter()
        .find_map(|r| earliest(failed.iter().filter(|j| rule_applies(r, j))).map(|j| (r, j)))
}

/// What applying the policy decided, beyond the status edits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Failed {
        reason: String,
    },
    RestartedJobSet,
    RestartedJob {
        replicated_job: String,
        job_index: usize,
    },
    /// A RestartJob action with the gate off: the reconcile errors and is retried.
    GateError,
}

/// The upstream Event the controller emits for an outcome of the policy (reason and message,
/// semantics §4 table of actions): `<Action>FailurePolicyAction` for actions, the Failed
/// condition's reason and message for a failure.
pub(crate) fn event_for(
    outcome: &Outcome,
    status: &JobSetStatus,
    action: &str,
    first_failed_job: &str,
) -> Option<(String, String)> {
    match outcome {
        Outcome::Failed { reason } => {
            let msg = status.condition("Failed").map(|c| c.message.clone());
            Some((reason.clone(), msg.unwrap_or_default()))
        }
        Outcome::RestartedJobSet | Outcome::RestartedJob { .. } => Some((
            format!("{action}FailurePolicyAction"),
            format!(
                "applying {action} failure policy action (first failed job: {first_failed_job})"
            ),
        )),
        Outcome::GateError => None,
    }
}

/// Which rule the policy picks for `failed` and the action it takes (the default action when
/// no rule matches), with the Job it names: what `apply` acts on. None without failed Jobs;
/// without a policy, no rule and `FailJobSet`.
pub(crate) fn decide<'a>(
    policy: Option<&'a FailurePolicy>,
    failed: &'a [FailedJob],
) -> Option<(Option<&'a FailurePolicyRule>, &'a FailedJob, &'a str)> {
    let first = earliest(failed.iter())?;
    let Some(policy) = policy else {
        return Some((None, first, "FailJobSet"));
    };
    Some(match find_rule_and_job(&policy.rules, failed) {
        Some((r, j)) => (Some(r), j, r.action.as_str()),
        None => (None, first, "RestartJobSet"),
    })
}

/// Runs the failure policy over the failed Jobs of the current attempt and edits `status`.
/// `restart_job_gate` is the RestartJob feature gate.
pub(crate) fn apply(
    policy: Option<&FailurePolicy>,
    failed: &[FailedJob],
    status: &mut JobSetStatus,
    restart_job_gate: bool,
    now: SimTime,
) -> Option<Outcome> {
    let (rule, job, action) = decide(policy, failed)?;
    let Some(policy) = policy else {
        // §4.1: no policy, the JobSet fails at once.
        let msg = format!(
            "jobset failed due to one or more job failures (first failed job: {})",
            job.name
        );
        return Some(failed_with(status, "FailedJobs", &msg, now));
    };
    let limits = RestartLimits {
        max_restarts: policy.max_restarts.unwrap_or(0),
        counted_total: status.counted_restarts(restart_job_gate),
        restart_job_gate,
    };
    match action {
        "FailJobSet" => {
            let msg = format!(
                "applying FailJobSet failure policy action (first failed job: {})",
                job.name
            );
            Some(failed_with(
                status,
                "FailJobSetFailurePolicyAction",
                &msg,
                now,
            ))
        }
        "RestartJobSet" | "RestartJobSetAndIgnoreMaxRestarts" => {
            Some(restart_jobset(status, rule, job, action, &limits, now))
        }
        "RestartJob" | "RestartJobAndIgnoreMaxRestarts" => {
            restart_job(status, job, action, &limits, now)
        }
        _ => None,
    }
}

/// What bounds a counted restart: the policy's maxRestarts, the restarts counted so far and
/// the RestartJob gate (which decides what counts).
struct RestartLimits {
    max_restarts: i32,
    counted_total: i32,
    restart_job_gate: bool,
}

/// `RestartJobSet` (counted) or `RestartJobSetAndIgnoreMaxRestarts`: a new attempt of the
/// whole JobSet, or failure at maxRestarts.
fn restart_jobset(
    status: &mut JobSetStatus,
    rule: Option<&FailurePolicyRule>,
    job: &FailedJob,
    action: &str,
    limits: &RestartLimits,
    now: SimTime,
) -> Outcome {
    let counts = action == "RestartJobSet";
    if counts && limits.counted_total >= limits.max_restarts {
        return reached_max(status, job, now);
    }
    status.restarts += 1;
    if counts {
        status.restarts_count_towards_max += 1;
        assert_within_max(status, limits.restart_job_gate, limits.max_restarts);
    }
    let reason_for_restart = match rule {
        Some(r) => format!("FailurePolicy_{}", r.name),
        None => "DefaultFailurePolicy".to_string(),
    };
    let msg = format!(
        "applying {action} failure policy action (first failed job: {})",
        job.name
    );
    update_condition(
        &mut status.conditions,
        condition("RestartingJobSet", true, &reason_for_restart, msg),
        now,
    );
    Outcome::RestartedJobSet
}

/// `RestartJob` (counted) or `RestartJobAndIgnoreMaxRestarts`: the failed Job's index
/// restarts alone (under the RestartJob gate), or the JobSet fails at maxRestarts. None when
/// the status has no entry for the Job's replicated job.
fn restart_job(
    status: &mut JobSetStatus,
    job: &FailedJob,
    action: &str,
    limits: &RestartLimits,
    now: SimTime,
) -> Option<Outcome> {
    if !limits.restart_job_gate {
        return Some(Outcome::GateError);
    }
    let counts = action == "RestartJob";
    if counts && limits.counted_total >= limits.max_restarts {
        return Some(reached_max(status, job, now));
    }
    let rj = status
        .replicated_jobs
        .iter_mut()
        .find(|r| r.name == job.replicated_job)?;
    let replicas = rj
        .job_restarts
        .as_ref()
        .map(|v| v.len())
        .unwrap_or(0)
        .max(job.job_index + 1);
    let restarts = rj.job_restarts.get_or_insert_with(Vec::new);
    restarts.resize(replicas.max(restarts.len()), 0);
    restarts[job.job_index] += 1;
    if counts {
        let towards = rj
            .job_restarts_count_towards_max
            .get_or_insert_with(Vec::new);
        towards.resize(replicas.max(towards.len()), 0);
        towards[job.job_index] += 1;
        assert_within_max(status, limits.restart_job_gate, limits.max_restarts);
    }
    Some(Outcome::RestartedJob {
        replicated_job: job.replicated_job.clone(),
        job_index: job.job_index,
    })
}

/// A counted restart never takes the JobSet past maxRestarts (§4.4); a negative maxRestarts
/// (accepted by v0.12.0) allows none. Checked as each restart is counted, in every build.
fn assert_within_max(status: &JobSetStatus, restart_job_gate: bool, max_restarts: i32) {
    let counted = status.counted_restarts(restart_job_gate);
    assert!(
        counted <= max_restarts.max(0),
        "internal error: {counted} counted restarts, past maxRestarts {max_restarts}"
    );
}

fn reached_max(status: &mut JobSetStatus, job: &FailedJob, now: SimTime) -> Outcome {
    let msg = format!(
        "jobset failed due to reaching max number of restarts (first failed job: {})",
        job.name
    );
    failed_with(status, "ReachedMaxRestarts", &msg, now)
}

/// Marks the JobSet Failed (`fail`) and returns that outcome.
fn failed_with(status: &mut JobSetStatus, reason: &str, message: &str, now: SimTime) -> Outcome {
    fail(status, reason, message, now);
    Outcome::Failed {
        reason: reason.into(),
    }
}

/// Marks the JobSet Failed with `reason` and `message` (and RestartingJobSet False).
pub(crate) fn fail(status: &mut JobSetStatus, reason: &str, message: &str, now: SimTime) {
    update_condition(
        &mut status.conditions,
        condition("Failed", true, reason, message),
        now,
    );
    update_condition(
        &mut status.conditions,
        condition("RestartingJobSet", false, "JobSetFailed", "jobset failed"),
        now,
    );
    status.terminal_state = Some("Failed".into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::objects::ReplicatedJobStatus;

    fn job(name: &str, rj: &str, reason: &str, message: &str, at: SimTime) -> FailedJob {
        FailedJob {
            name: name.into(),
            replicated_job: rj.into(),
            job_index: 0,
            reason: reason.into(),
            message: message.into(),
            failed_at_ns: at,
        }
    }

    fn rule(
        name: &str,
        action: &str,
        reasons: &[&str],
        patterns: &[&str],
        targets: &[&str],
    ) -> FailurePolicyRule {
        FailurePolicyRule {
            name: name.into(),
            action: action.into(),
            on_job_failure_reasons: reasons.iter().map(|s| s.to_string()).collect(),
            on_job_failure_message_patterns: patterns.iter().map(|s| s.to_string()).collect(),
            target_replicated_jobs: targets.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// TestFailurePolicyRuleIsApplicable.
    #[test]
    fn rule_applicability() {
        let r = rule("r", "FailJobSet", &["BackoffLimitExceeded"], &[], &[]);
        assert!(!rule_applies(
            &r,
            &job("j", "rj", "DeadlineExceeded", "", 0)
        ));
        let r = rule("r", "FailJobSet", &[], &["^job failed because.*"], &[]);
        assert!(rule_applies(
            &r,
            &job("j", "rj", "x", "job failed because of a bug", 0)
        ));
        assert!(!rule_applies(
            &r,
            &job("j", "rj", "x", "another error message", 0)
        ));
        let r = rule(
            "r",
            "FailJobSet",
            &["BackoffLimitExceeded"],
            &[".*bug.*"],
            &[],
        );
        assert!(!rule_applies(
            &r,
            &job(
                "j",
                "rj",
                "BackoffLimitExceeded",
                "job failed due to something else",
                0
            )
        ));
        let r = rule("r", "FailJobSet", &[], &[], &["rj1"]);
        assert!(!rule_applies(&r, &job("j", "rj2", "x", "", 0)));
        let r = rule("r", "FailJobSet", &[], &["("], &[]);
        assert!(
            !rule_applies(&r, &job("j", "rj", "x", "(", 0)),
            "an invalid pattern never matches"
        );
    }

    /// TestFindFirstFailedPolicyRuleAndJob: first rule wins, earliest Job within it.
    #[test]
    fn first_rule_then_earliest_job() {
        let rules = vec![
            rule("r0", "FailJobSet", &[], &[], &["fakeReplicatedJobName"]),
            rule("r1", "FailJobSet", &["BackoffLimitExceeded"], &[], &[]),
        ];
        let failed = vec![
            job("job1", "rj", "BackoffLimitExceeded", "", 18 * 3600),
            job("job1Dup", "rj", "BackoffLimitExceeded", "", 12 * 3600),
        ];
        let (r, j) = find_rule_and_job(&rules, &failed).unwrap();
        assert_eq!((r.name.as_str(), j.name.as_str()), ("r1", "job1Dup"));
        let rules = vec![
            rule("R1", "FailJobSet", &["BackoffLimitExceeded"], &[], &[]),
            rule("R2", "FailJobSet", &["DeadlineExceeded"], &[], &[]),
            rule("R3", "FailJobSet", &["FailedIndexes"], &[], &[]),
        ];
        let failed = vec![job("job3", "rj", "FailedIndexes", "", 0)];
        assert_eq!(find_rule_and_job(&rules, &failed).unwrap().0.name, "R3");
    }

    fn policy(max: i32, rules: Vec<FailurePolicyRule>) -> FailurePolicy {
        FailurePolicy {
            max_restarts: Some(max),
            restart_strategy: Some("Recreate".into()),
            rules,
        }
    }

    fn status(restarts: i32, towards: i32) -> JobSetStatus {
        JobSetStatus {
            restarts,
            restarts_count_towards_max: towards,
            replicated_jobs: vec![ReplicatedJobStatus {
                name: "rjob".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// TestApplyFailurePolicyRuleAction: RestartJobSet under the limit.
    #[test]
    fn restart_jobset_under_limit() {
        let mut s = status(1, 1);
        let failed = vec![job("j", "rjob", "BackoffLimitExceeded", "", 0)];
        let out = apply(Some(&policy(5, vec![])), &failed, &mut s, false, 7);
        assert_eq!(out, Some(Outcome::RestartedJobSet));
        assert_eq!((s.restarts, s.restarts_count_towards_max), (2, 2));
        let c = s.condition("RestartingJobSet").unwrap();
        assert_eq!(c.reason, "DefaultFailurePolicy");
        let mut s = status(1, 1);
        apply(
            Some(&policy(
                5,
                vec![rule("Rule1", "RestartJobSet", &[], &[], &[])],
            )),
            &failed,
            &mut s,
            false,
            7,
        );
        assert_eq!(
            s.condition("RestartingJobSet").unwrap().reason,
            "FailurePolicy_Rule1"
        );
    }

    /// RestartJobSet at the limit fails the JobSet, counters unchanged.
    #[test]
    fn restart_jobset_at_limit() {
        let mut s = status(2, 2);
        let failed = vec![job("j", "rjob", "BackoffLimitExceeded", "", 0)];
        let out = apply(Some(&policy(2, vec![])), &failed, &mut s, false, 7);
        assert_eq!(
            out,
            Some(Outcome::Failed {
                reason: "ReachedMaxRestarts".into()
            })
        );
        assert_eq!((s.restarts, s.restarts_count_towards_max), (2, 2));
        assert_eq!(s.terminal_state.as_deref(), Some("Failed"));
        assert_eq!(
            s.condition("Failed").unwrap().message,
            "jobset failed due to reaching max number of restarts (first failed job: j)"
        );
    }

    #[test]
    fn ignore_max_restarts_global() {
        let mut s = status(1, 1);
        let failed = vec![job("j", "rjob", "x", "", 0)];
        apply(
            Some(&policy(
                1,
                vec![rule(
                    "r",
                    "RestartJobSetAndIgnoreMaxRestarts",
                    &[],
                    &[],
                    &[],
                )],
            )),
            &failed,
            &mut s,
            false,
            0,
        );
        assert_eq!((s.restarts, s.restarts_count_towards_max), (2, 1));
    }

    /// RestartJob with the gate on: per-index counters, no RestartingJobSet condition.
    #[test]
    fn restart_job_per_index() {
        let mut s = status(0, 0);
        s.replicated_jobs[0].job_restarts = Some(vec![0]);
        s.replicated_jobs[0].job_restarts_count_towards_max = Some(vec![0]);
        let failed = vec![job("j", "rjob", "x", "", 0)];
        let out = apply(
            Some(&policy(5, vec![rule("r", "RestartJob", &[], &[], &[])])),
            &failed,
            &mut s,
            true,
            0,
        );
        assert!(matches!(out, Some(Outcome::RestartedJob { .. })));
        assert_eq!(s.replicated_jobs[0].job_restarts, Some(vec![1]));
        assert_eq!(
            s.replicated_jobs[0].job_restarts_count_towards_max,
            Some(vec![1])
        );
        assert_eq!((s.restarts, s.restarts_count_towards_max), (0, 0));
        assert!(s.condition("RestartingJobSet").is_none());
        // Ignore-max variant from [1]/[0] -> [2]/[0].
        let mut s = status(0, 0);
        s.replicated_jobs[0].job_restarts = Some(vec![1]);
        s.replicated_jobs[0].job_restarts_count_towards_max = Some(vec![0]);
        apply(
            Some(&policy(
                5,
                vec![rule("r", "RestartJobAndIgnoreMaxRestarts", &[], &[], &[])],
            )),
            &failed,
            &mut s,
            true,
            0,
        );
        assert_eq!(s.replicated_jobs[0].job_restarts, Some(vec![2]));
        assert_eq!(
            s.replicated_jobs[0].job_restarts_count_towards_max,
            Some(vec![0])
        );
    }

    /// Combined limit: counted global + per-index restarts reach maxRestarts.
    #[test]
    fn combined_limit_fails() {
        for action in ["RestartJob", "RestartJobSet"] {
            let mut s = status(1, 1);
            s.replicated_jobs[0].job_restarts_count_towards_max = Some(vec![1]);
            let failed = vec![job("j", "rjob", "x", "", 0)];
            let out = apply(
                Some(&policy(2, vec![rule("r", action, &[], &[], &[])])),
                &failed,
                &mut s,
                true,
                0,
            );
            assert_eq!(
                out,
                Some(Outcome::Failed {
                    reason: "ReachedMaxRestarts".into()
                }),
                "{action}"
            );
        }
    }

    #[test]
    fn no_policy_fails_with_first_failed_job() {
        let mut s = status(0, 0);
        let failed = vec![
            job("b", "rj", "x", "", 5),
            job("a", "rj", "x", "", 5),
            job("c", "rj", "x", "", 9),
        ];
        apply(None, &failed, &mut s, false, 0);
        let c = s.condition("Failed").unwrap();
        assert_eq!(c.reason, "FailedJobs");
        assert_eq!(
            c.message,
            "jobset failed due to one or more job failures (first failed job: a)"
        );
    }
}

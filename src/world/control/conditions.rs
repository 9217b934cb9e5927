//! JobSet condition bookkeeping: `updateCondition` of jobset_controller.go, reproduced exactly
//! (semantics §1.11).

use crate::engine::SimTime;
use crate::sim::objects::Condition;

/// Applies one condition update; returns true when the status changed.
pub(crate) fn update_condition(
    conditions: &mut Vec<Condition>,
    new: Condition,
    now: SimTime,
) -> bool {
    let mut changed = false;
    if let Some(existing) = conditions.iter_mut().find(|c| c.kind == new.kind) {
        if existing.status != new.status {
            // Rule 1: status flips, transition time moves.
            *existing = Condition {
                last_transition_ns: now,
                ..new.clone()
            };
            changed = true;
        } else if existing.reason != new.reason || existing.message != new.message {
            // Rule 2: same status, new reason or message; transition time kept.
            existing.reason = new.reason.clone();
            existing.message = new.message.clone();
            changed = true;
        }
        // Rule 3: identical, nothing to do.
    } else if new.status {
        // Rule 4: a missing type is only added when True.
        conditions.push(Condition {
            last_transition_ns: now,
            ..new.clone()
        });
        changed = true;
    }
    // Rule 5: the two startup conditions exclude each other.
    if changed && new.status {
        let other = match new.kind.as_str() {
            "StartupPolicyInProgress" => Some("StartupPolicyCompleted"),
            "StartupPolicyCompleted" => Some("StartupPolicyInProgress"),
            _ => None,
        };
        if let Some(other) = other {
            if let Some(c) = conditions.iter_mut().find(|c| c.kind == other && c.status) {
                c.status = false;
                c.last_transition_ns = now;
            }
        }
    }
    changed
}

pub(crate) fn condition(
    kind: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
) -> Condition {
    Condition {
        kind: kind.into(),
        status,
        reason: reason.into(),
        message: message.into(),
        last_transition_ns: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TestUpdateConditions: a False condition is not added to an empty list.
    #[test]
    fn false_condition_on_empty_list_is_ignored() {
        let mut cs = vec![];
        assert!(!update_condition(
            &mut cs,
            condition("RestartingJobSet", false, "JobsReady", "all jobs are ready"),
            5
        ));
        assert!(cs.is_empty());
    }

    /// TestUpdateConditions: re-adding an identical Completed condition changes nothing.
    #[test]
    fn identical_condition_is_no_change() {
        let mut cs = vec![];
        let c = condition(
            "Completed",
            true,
            "AllJobsCompleted",
            "jobset completed successfully",
        );
        assert!(update_condition(&mut cs, c.clone(), 1));
        assert!(!update_condition(&mut cs, c, 2));
        assert_eq!(cs[0].last_transition_ns, 1);
    }

    /// TestUpdateConditions: same status with a new reason keeps lastTransitionTime.
    #[test]
    fn new_reason_keeps_transition_time() {
        let mut cs = vec![];
        update_condition(
            &mut cs,
            condition("RestartingJobSet", true, "DefaultFailurePolicy", "a"),
            1,
        );
        assert!(update_condition(
            &mut cs,
            condition("RestartingJobSet", true, "FailurePolicy_r", "b"),
            9
        ));
        assert_eq!(cs[0].reason, "FailurePolicy_r");
        assert_eq!(cs[0].last_transition_ns, 1);
        assert!(update_condition(
            &mut cs,
            condition("RestartingJobSet", false, "JobsReady", "all jobs are ready"),
            12
        ));
        assert_eq!(cs[0].last_transition_ns, 12);
    }

    #[test]
    fn startup_conditions_exclude_each_other() {
        let mut cs = vec![];
        update_condition(
            &mut cs,
            condition(
                "StartupPolicyInProgress",
                true,
                "InOrderStartupPolicyInProgress",
                "x",
            ),
            1,
        );
        update_condition(
            &mut cs,
            condition(
                "StartupPolicyCompleted",
                true,
                "InOrderStartupPolicyCompleted",
                "y",
            ),
            2,
        );
        assert!(
            !cs.iter()
                .find(|c| c.kind == "StartupPolicyInProgress")
                .unwrap()
                .status
        );
    }
}

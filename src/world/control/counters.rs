//! The small predicates over status counters that the JobSet controller's policies share:
//! Job readiness (§3.4), InOrder "started" (§5.2), DependsOn (§5.3).

use crate::sim::objects::ReplicatedJobStatus;

/// `calculateReplicatedJobStatuses`: a Job counts as ready when its ready plus succeeded pods
/// reach `parallelism`, or `completions` when that is set and smaller.
pub(crate) fn job_counts_as_ready(
    parallelism: u32,
    completions: Option<u32>,
    ready: u32,
    succeeded: u32,
) -> bool {
    let pods_count = match completions {
        Some(c) if c < parallelism => c,
        _ => parallelism,
    };
    succeeded + ready >= pods_count
}

/// `replicatedJobStarted`: every Job is ready, succeeded or failed.
pub(crate) fn replicated_job_started(replicas: i32, st: Option<&ReplicatedJobStatus>) -> bool {
    let (ready, succeeded, failed) = st
        .map(|s| (s.ready, s.succeeded, s.failed))
        .unwrap_or((0, 0, 0));
    replicas == ready + succeeded + failed
}

/// `dependencyReachedStatus`: exact equality, failed Jobs count for `Ready`; a dependency
/// without a status entry is not reached.
pub(crate) fn dependency_reached(
    st: Option<&ReplicatedJobStatus>,
    replicas: i32,
    wanted: &str,
) -> bool {
    let Some(st) = st else {
        return false;
    };
    match wanted {
        "Complete" => st.succeeded == replicas,
        _ => st.ready + st.succeeded + st.failed == replicas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(ready: i32, succeeded: i32, failed: i32, active: i32) -> ReplicatedJobStatus {
        ReplicatedJobStatus {
            name: "rj".into(),
            ready,
            succeeded,
            failed,
            active,
            ..Default::default()
        }
    }

    /// Mirrors TestCalculateReplicatedJobStatuses "partial jobs are ready" (§9.2 #2).
    #[test]
    fn partial_jobs_are_ready() {
        // RJ1: parallelism 1, completions 2, ready 1, succeeded 1.
        assert!(job_counts_as_ready(1, Some(2), 1, 1));
        // RJ2: (parallelism, completions, ready, succeeded); thresholds 5, 2, 2, 4.
        let jobs = [
            (5, None, 2, 3),
            (3, Some(2), 1, 1),
            (2, Some(3), 2, 1),
            (4, Some(5), 2, 1),
        ];
        let ready = jobs
            .iter()
            .filter(|&&(p, c, r, s)| job_counts_as_ready(p, c, r, s))
            .count();
        assert_eq!(ready, 3);
    }

    /// Mirrors TestReplicatedJobStarted (§9.2 #15).
    #[test]
    fn replicated_job_started_cases() {
        assert!(replicated_job_started(4, Some(&st(2, 1, 1, 0))));
        assert!(!replicated_job_started(4, Some(&st(0, 0, 0, 4))));
        assert!(!replicated_job_started(1, Some(&st(0, 0, 0, 0))));
        assert!(!replicated_job_started(1, None));
    }

    /// Mirrors TestDependencyReachedStatus (§9.2 #16).
    #[test]
    fn dependency_reached_cases() {
        assert!(!dependency_reached(Some(&st(2, 0, 0, 0)), 3, "Ready"));
        assert!(dependency_reached(Some(&st(1, 1, 1, 0)), 3, "Ready"));
        assert!(!dependency_reached(Some(&st(1, 1, 0, 0)), 2, "Complete"));
        assert!(dependency_reached(Some(&st(0, 2, 0, 0)), 2, "Complete"));
        assert!(
            !dependency_reached(None, 0, "Ready"),
            "no status entry, not reached"
        );
        // Equality, not >=: more than replicas (impossible upstream) does not count.
        assert!(!dependency_reached(Some(&st(3, 1, 0, 0)), 3, "Ready"));
    }
}

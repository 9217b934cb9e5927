//! JobSet conditions and Job outcomes reach the outputs in upstream's words: each JobSet's
//! condition history in summary.json and every JobSet and Job state change in jobsets.csv.

mod common;
use common::*;

fn run_out(scenario: &str, name: &str) -> (serde_json::Value, Vec<csv::StringRecord>) {
    let dir = scratch(name);
    let out = run(&["run", scenario, "--out", dir.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{scenario}: {}", stderr(&out));
    let summary = serde_json::from_str(&stdout(&out)).unwrap();
    let mut r = csv::Reader::from_path(dir.join("jobsets.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap(),
        vec![
            "time_s",
            "jobset",
            "job",
            "change",
            "condition",
            "status",
            "reason",
            "message"
        ]
    );
    (summary, r.records().map(Result::unwrap).collect())
}

fn conditions(s: &serde_json::Value) -> Vec<(String, String, String, String)> {
    s["jobsets"][0]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let f = |k: &str| c[k].as_str().unwrap().to_string();
            (f("type"), f("status"), f("reason"), f("message"))
        })
        .collect()
}

#[test]
fn restart_jobset_names_the_rule_and_the_first_failed_job() {
    let (s, rows) = run_out("scenarios/policies/restart-jobset.yaml", "status-rjs");
    let job = "restartjobset-action-example-leader-0";
    let msg = format!("applying RestartJobSet failure policy action (first failed job: {job})");
    let c = conditions(&s);
    assert_eq!(
        c,
        vec![
            (
                "RestartingJobSet".into(),
                "True".into(),
                "FailurePolicy_failurePolicyRule0".into(),
                msg.clone()
            ),
            (
                "RestartingJobSet".into(),
                "False".into(),
                "JobsReady".into(),
                "all jobs are ready".into()
            ),
            (
                "RestartingJobSet".into(),
                "False".into(),
                "JobSetCompleted".into(),
                "jobset completed successfully".into()
            ),
            (
                "Completed".into(),
                "True".into(),
                "AllJobsCompleted".into(),
                "jobset completed successfully".into()
            ),
        ]
    );
    // A new reason with the status unchanged keeps lastTransitionTime.
    let cs = s["jobsets"][0]["conditions"].as_array().unwrap();
    assert_eq!(cs[2]["last_transition_time_s"], cs[1]["time_s"]);
    // The Event of the action, then the Job's own outcome and its replacement.
    assert!(rows.iter().any(|r| &r[3] == "FailurePolicy"
        && &r[6] == "RestartJobSetFailurePolicyAction"
        && r[7] == msg));
    let job_rows: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| &r[2] == job)
        .map(|r| (&r[3], &r[4], &r[7]))
        .collect();
    assert_eq!(job_rows[0], ("Created", "", "restart attempt 0"));
    assert!(job_rows.contains(&(
        "Condition",
        "Failed",
        "Job has reached the specified backoff limit"
    )));
    assert!(job_rows.contains(&("Deleted", "", "")));
    assert!(job_rows.contains(&("Created", "", "restart attempt 1")));
    let times: Vec<f64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "rows in time order");
}

#[test]
fn failed_message_names_the_first_failed_job() {
    let (s, _) = run_out("scenarios/policies/fail-jobset.yaml", "status-fail");
    assert_eq!(
        conditions(&s),
        vec![(
            "Failed".into(),
            "True".into(),
            "FailJobSetFailurePolicyAction".into(),
            "applying FailJobSet failure policy action (first failed job: failjobset-action-example-leader-0)".into()
        )]
    );
}

#[test]
fn restart_job_is_an_event_and_a_new_job_attempt_not_a_condition() {
    let (s, rows) = run_out("scenarios/policies/restart-job.yaml", "status-rj");
    assert!(conditions(&s).iter().all(|c| c.0 != "RestartingJobSet"));
    assert!(rows.iter().any(|r| &r[3] == "FailurePolicy"
        && &r[6] == "RestartJobFailurePolicyAction"
        && &r[7]
            == "applying RestartJob failure policy action (first failed job: js-rj-worker-0)"));
    assert!(rows.iter().any(|r| &r[2] == "js-rj-worker-0"
        && &r[3] == "Created"
        && r[7].contains("job restart attempt 1")));
}

#[test]
fn in_order_startup_progress_is_recorded() {
    // Upstream's own example, unmodified: skipped (with a note) when the examples are absent.
    let Some(examples) = upstream_examples("in_order_startup_progress_is_recorded") else {
        return;
    };
    let dir = scratch("status-startup-src");
    let manifest = examples.join("startup-policy/startup-driver-ready.yaml");
    let text = format!(
        "name: in-order\nrun: {{seed: 1, until: 1h}}\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 4, capacity: {{cpu: 32, memory: 128Gi}}}}\nworkloads:\n- manifest: {}\n  pods: {{runFor: 100s}}\n",
        manifest.display()
    );
    let path = write(&dir, "in-order.yaml", &text);
    let (s, _) = run_out(path.to_str().unwrap(), "status-startup");
    let c = conditions(&s);
    let in_progress = c
        .iter()
        .position(|c| c.0 == "StartupPolicyInProgress" && c.1 == "True");
    let completed = c.iter().position(|c| {
        c == &(
            "StartupPolicyCompleted".into(),
            "True".into(),
            "InOrderStartupPolicyCompleted".into(),
            "in order startup policy has completed".into(),
        )
    });
    assert!(in_progress.is_some() && completed > in_progress, "{c:?}");
    assert_eq!(c[in_progress.unwrap()].2, "InOrderStartupPolicyInProgress");
    // Completed flips InProgress to False in the same write.
    assert!(c[in_progress.unwrap()..]
        .iter()
        .any(|c| c.0 == "StartupPolicyInProgress" && c.1 == "False"));
}

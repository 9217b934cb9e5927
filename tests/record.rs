//! `record.json`: one entry per JobSet connecting every pod to the declared workload. Checked
//! against runs whose outcome is known: a JobSet restarted to its maxRestarts by a named
//! failure-policy rule, a stalled recovery whose pods wait for room, and an owner label.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

/// Runs `scenario` with `--out` into a fresh folder; returns (record.json, summary.json).
fn run_with_record(test: &str, scenario: &str, extra: &[&str]) -> (Value, Value) {
    let out = scratch(test).join("run");
    let mut args = vec!["run", scenario, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (
        read_json(&out, "record.json"),
        read_json(&out, "summary.json"),
    )
}

fn read_json(dir: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn the_record_names_the_run_and_the_controller_version() {
    let (record, summary) = run_with_record(
        "record_identity",
        "scenarios/policies/restart-jobset-max.yaml",
        &["--set", "controlPlane.jobsetController.version=main"],
    );
    for key in ["tool_version", "scenario", "scenario_hash", "seed"] {
        assert_eq!(record[key], summary[key], "{key}");
    }
    // The record's layout has its own version, raised by the same rule as summary.json's.
    assert_eq!(record["schema_version"], 2);
    assert_eq!(record["jobset_controller_version"], "main");
    assert_eq!(record["jobsets"].as_array().unwrap().len(), 1);
    // summary.json points at the record and says how many JobSets it holds.
    assert_eq!(
        summary["record"],
        serde_json::json!({"file": "record.json", "jobsets": 1})
    );
}

#[test]
fn a_restarted_jobset_is_recorded_with_its_defaults_jobs_pods_and_reasons() {
    let (record, summary) = run_with_record(
        "record_restarts",
        "scenarios/policies/restart-jobset-max.yaml",
        &[],
    );
    let js = &record["jobsets"][0];
    assert_eq!(js["name"], "restartjobset-action-example");
    assert_eq!(js["namespace"], "default");
    assert_eq!(js["api_version"], "jobset.x-k8s.io/v1alpha2");
    assert_eq!(js["kind"], "JobSet");
    assert!(js["uid"].as_str().unwrap().len() == 36, "{}", js["uid"]);
    assert_eq!(js["owner"], Value::Null);
    assert_eq!(js["queue_admission"], Value::Null);
    check_defaulted_manifest(&js["manifest"]);
    check_child_jobs(js);
    check_pods_add_up(js, &summary);
    check_restart_reasons(js);
    let terminal = &js["terminal"];
    assert_eq!(terminal["state"], "Failed");
    assert_eq!(terminal["reason"], "ReachedMaxRestarts");
    assert_eq!(
        terminal["finished_at_s"],
        summary["jobsets"][0]["finished_at_s"]
    );
}

/// The webhook's and the CRD's defaults, as admitted.
fn check_defaulted_manifest(m: &Value) {
    let spec = &m["spec"];
    assert_eq!(m["metadata"]["namespace"], "default");
    assert_eq!(spec["successPolicy"]["operator"], "All");
    assert_eq!(spec["startupPolicy"]["startupPolicyOrder"], "AnyOrder");
    assert_eq!(spec["network"]["enableDNSHostnames"], true);
    let fp = &spec["failurePolicy"];
    assert_eq!(fp["maxRestarts"], 3);
    assert_eq!(fp["restartStrategy"], "Recreate");
    assert_eq!(fp["rules"][0]["name"], "failurePolicyRule0");
    assert_eq!(strs(&fp["rules"][0]["targetReplicatedJobs"]), ["leader"]);
    let rjs = spec["replicatedJobs"].as_array().unwrap();
    let names: Vec<&str> = rjs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["leader", "workers"]);
    for rj in rjs {
        assert_eq!(rj["replicas"], 1);
        assert_eq!(rj["groupName"], "default");
        assert_eq!(rj["template"]["spec"]["completionMode"], "Indexed");
        assert_eq!(
            rj["template"]["spec"]["template"]["spec"]["restartPolicy"],
            "OnFailure"
        );
        assert!(!rj.to_string().contains("null"), "no nulls: {rj}");
    }
}

/// Every Job of `job_groups[]` as a reviewer reads it, the group's shared parts put back:
/// name, replicated job, attempts, times, every label and every condition with its time. In
/// order of attempt, replicated job and index.
fn child_jobs(js: &Value) -> Vec<Value> {
    let mut jobs = vec![];
    for g in js["job_groups"].as_array().unwrap() {
        let keys = g["varying_labels"].as_array().unwrap();
        let conditions = g["conditions"].as_array().unwrap();
        for j in g["jobs"].as_array().unwrap() {
            let mut labels = g["labels"].as_object().unwrap().clone();
            for (k, v) in keys.iter().zip(j["label_values"].as_array().unwrap()) {
                if !v.is_null() {
                    labels.insert(k.as_str().unwrap().to_string(), v.clone());
                }
            }
            let times = j["condition_times_s"].as_array().unwrap();
            assert_eq!(times.len(), conditions.len(), "{g}");
            let conditions: Vec<Value> = conditions
                .iter()
                .zip(times)
                .map(|(c, t)| {
                    let mut c = c.clone();
                    c["time_s"] = t.clone();
                    c
                })
                .collect();
            jobs.push(serde_json::json!({
                "name": j["name"], "job_index": j["job_index"],
                "replicated_job": g["replicated_job"], "restart_attempt": g["restart_attempt"],
                "job_restart_attempt": g["job_restart_attempt"],
                "created_at_s": j["created_at_s"], "deleted_at_s": j["deleted_at_s"],
                "labels": labels, "conditions": conditions,
            }));
        }
    }
    let key = |j: &Value| {
        (
            j["restart_attempt"].as_i64(),
            j["job_restart_attempt"].as_i64(),
            j["replicated_job"].as_str().unwrap().to_string(),
            j["job_index"].as_u64(),
        )
    };
    jobs.sort_by_key(key);
    jobs
}

/// One Job per replicated job per attempt (3 restarts: 4 attempts), each leader Job Failed.
fn check_child_jobs(js: &Value) {
    let jobs = child_jobs(js);
    assert_eq!(jobs.len(), 2 * 4);
    for (i, job) in jobs.iter().enumerate() {
        let rj = if i % 2 == 0 { "leader" } else { "workers" };
        assert_eq!(job["name"], format!("restartjobset-action-example-{rj}-0"));
        assert_eq!(job["replicated_job"], rj);
        assert_eq!(job["restart_attempt"], i as u64 / 2);
        assert_eq!(
            job["job_restart_attempt"],
            Value::Null,
            "no RestartJob gate"
        );
        let labels = &job["labels"];
        assert_eq!(labels["jobset.sigs.k8s.io/jobset-name"], js["name"]);
        assert_eq!(labels["jobset.sigs.k8s.io/jobset-uid"], js["uid"]);
        assert_eq!(
            labels["jobset.sigs.k8s.io/restart-attempt"],
            (i / 2).to_string()
        );
        let conditions: Vec<&str> = job["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        if rj == "leader" {
            assert_eq!(conditions, ["FailureTarget", "Failed"], "{job}");
            assert_eq!(job["conditions"][1]["reason"], "BackoffLimitExceeded");
        } else {
            assert!(conditions.is_empty(), "{job}");
        }
    }
    // Every Job but the last attempt's was deleted by a restart.
    let deleted = jobs.iter().filter(|j| !j["deleted_at_s"].is_null()).count();
    assert_eq!(deleted, 6);
}

fn check_pods_add_up(js: &Value, summary: &Value) {
    let pods = &js["pods"];
    let created = pods["created"].as_u64().unwrap();
    assert_eq!(created, summary["pods"]["created"].as_u64().unwrap());
    let parts: u64 = [
        "succeeded",
        "failed",
        "deleted_unfinished",
        "running_at_end",
        "pending_at_end",
    ]
    .iter()
    .map(|k| pods[*k].as_u64().unwrap())
    .sum();
    assert_eq!(parts, created, "{pods}");
    assert_eq!(pods["running_at_end"], summary["pods"]["running_at_end"]);
    let rjs = js["replicated_jobs"].as_array().unwrap();
    assert_eq!(rjs[0]["pods"], 2);
    assert_eq!(rjs[0]["requests_per_pod"], serde_json::json!({}));
}

/// Upstream's words: the policy's Event and the RestartingJobSet condition naming the rule.
fn check_restart_reasons(js: &Value) {
    let restarts = &js["restarts"];
    assert_eq!(restarts["restarts"], 3);
    assert_eq!(restarts["max_restarts"], 3);
    let events = restarts["events"].as_array().unwrap();
    let count = |change: &str, reason: &str| {
        events
            .iter()
            .filter(|e| e["change"] == change && e["reason"] == reason)
            .count()
    };
    assert_eq!(
        count("FailurePolicy", "RestartJobSetFailurePolicyAction"),
        3
    );
    assert_eq!(count("Condition", "FailurePolicy_failurePolicyRule0"), 3);
    assert_eq!(count("FailurePolicy", "ReachedMaxRestarts"), 1);
    let first = events
        .iter()
        .find(|e| e["reason"] == "FailurePolicy_failurePolicyRule0")
        .unwrap();
    assert_eq!(first["condition"], "RestartingJobSet");
    assert_eq!(first["status"], "True");
    assert_eq!(
        first["message"],
        "applying RestartJobSet failure policy action (first failed job: restartjobset-action-example-leader-0)"
    );
}

#[test]
fn pods_that_wait_for_room_are_counted_as_failed_scheduling_by_reason() {
    let (record, summary) =
        run_with_record("record_stalled", "scenarios/stalled-recovery.yaml", &[]);
    let js = &record["jobsets"][0];
    let fs = &js["failed_scheduling"];
    let events = fs["events"].as_u64().unwrap();
    let pods = fs["pods"].as_u64().unwrap();
    assert!(events > 0 && pods > 0 && pods <= events, "{fs}");
    assert!(pods <= summary["pods"]["created"].as_u64().unwrap());
    // Pods the webhook refused were never created: the record counts what the summary does.
    assert_eq!(js["pods"]["created"], summary["pods"]["created"]);
    assert_eq!(
        js["pods"]["pending_at_end"],
        summary["pods"]["pending_at_end"]
    );
    let reasons = fs["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty());
    for r in reasons {
        let n = r["events"].as_u64().unwrap();
        assert!(n > 0 && n <= events, "{r}");
    }
    // Every pod of the slice wants 4 TPU chips, and the slices are full when pods wait.
    let tpu = reasons
        .iter()
        .find(|r| r["reason"] == "Insufficient google.com/tpu")
        .expect("Insufficient google.com/tpu is a reason");
    assert!(tpu["events"].as_u64().unwrap() > 0);
    // The pending pods at the end are among those the scheduler reported.
    let pending = summary["pending_pods"].as_array().unwrap();
    let waiting: u64 = pending.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert!(waiting <= pods, "{waiting} pending, {pods} ever failed");
    let rj = &js["replicated_jobs"][0];
    assert_eq!(rj["pods"], 512);
    assert_eq!(rj["accelerators_per_pod"]["google.com/tpu"], "4");
    assert_eq!(rj["accelerators_total"]["google.com/tpu"], "2048");
    assert_eq!(rj["requests_total"]["google.com/tpu"], "2048");
}

#[test]
fn the_owner_comes_from_the_documented_keys_annotation_first() {
    let dir = scratch("record_owner");
    let scenario = write(
        &dir,
        "owned.yaml",
        r#"name: owned
run: {seed: 1, until: 1h, stopWhenAllTerminal: true}
cluster:
  nodePools:
  - {name: gpu, nodesPerPool: 2, capacity: {cpu: 8, memory: 32Gi, nvidia.com/gpu: 4}}
workloads:
- pods: {runFor: 10s}
  jobset:
    apiVersion: jobset.x-k8s.io/v1alpha2
    kind: JobSet
    metadata:
      name: owned
      labels: {team: ml-infra, owner: label-owner}
      annotations: {owner: alice@example.com}
    spec:
      replicatedJobs:
      - name: w
        replicas: 2
        template:
          spec:
            parallelism: 3
            completions: 3
            template:
              spec:
                containers:
                - name: c
                  resources:
                    requests: {cpu: 500m, memory: 1536Mi}
                    limits: {nvidia.com/gpu: 1}
"#,
    );
    let (record, _) = run_with_record("record_owner_run", scenario.to_str().unwrap(), &[]);
    let js = &record["jobsets"][0];
    assert_eq!(js["owner"]["value"], "alice@example.com");
    assert_eq!(js["owner"]["from"], "metadata.annotations.owner");
    assert_eq!(js["manifest"]["metadata"]["labels"]["team"], "ml-infra");
    let rj = &js["replicated_jobs"][0];
    assert_eq!(rj["pods"], 6);
    let per_pod = &rj["requests_per_pod"];
    assert_eq!(per_pod["cpu"], "500m");
    assert_eq!(per_pod["memory"], "1536Mi");
    assert_eq!(per_pod["nvidia.com/gpu"], "1");
    assert_eq!(rj["requests_total"]["cpu"], "3");
    assert_eq!(rj["requests_total"]["memory"], "9Gi");
    assert_eq!(
        rj["accelerators_total"],
        serde_json::json!({"nvidia.com/gpu": "6"})
    );
    assert_eq!(js["terminal"]["state"], "Completed");
    assert_eq!(js["pods"]["succeeded"], 6);
}

#[test]
fn the_record_is_byte_identical_for_the_same_seed_with_or_without_events() {
    let root = scratch("record_determinism");
    let write_set = |name: &str, extra: &[&str]| {
        let out = root.join(name);
        let mut args = vec![
            "run",
            "scenarios/stalled-recovery.yaml",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        std::fs::read(out.join("record.json")).unwrap()
    };
    let first = write_set("a", &[]);
    assert_eq!(first, write_set("b", &[]), "same scenario and seed");
    assert_eq!(
        first,
        write_set("c", &["--no-events"]),
        "events.csv rows play no part"
    );
}

#[test]
fn a_restarted_job_is_told_apart_by_its_own_restart_attempt() {
    let (record, _) = run_with_record(
        "record_restart_job",
        "scenarios/policies/restart-job.yaml",
        &[],
    );
    let js = &record["jobsets"][0];
    assert_eq!(js["restarts"]["job_restarts"], 1);
    let jobs = child_jobs(js);
    let workers: Vec<&Value> = jobs
        .iter()
        .filter(|j| j["replicated_job"] == "rj-worker")
        .collect();
    assert_eq!(
        workers.len(),
        2,
        "the failed worker Job and its replacement"
    );
    assert_eq!(workers[0]["name"], workers[1]["name"]);
    assert_eq!(workers[0]["restart_attempt"], workers[1]["restart_attempt"]);
    assert_eq!(workers[0]["job_restart_attempt"], 0);
    assert_eq!(workers[1]["job_restart_attempt"], 1);
    assert_eq!(workers[0]["conditions"][1]["type"], "Failed");
    assert_eq!(workers[1]["conditions"][1]["type"], "Complete");
    let events = js["restarts"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["reason"], "RestartJobFailurePolicyAction");
}

/// What the Jobs of a replicated job share is written once: recovery-15k's child Jobs of one
/// attempt form one group, whose labels are the shared ones and whose Jobs carry only the
/// labels that differ (their indexes and job-key).
#[test]
fn jobs_of_a_replicated_job_are_grouped() {
    let (record, _) = run_with_record("record_groups", "scenarios/recovery-15k.yaml", &[]);
    let js = &record["jobsets"][0];
    let groups = js["job_groups"].as_array().unwrap();
    let jobs: usize = groups
        .iter()
        .map(|g| g["jobs"].as_array().unwrap().len())
        .sum();
    assert!(
        groups.len() <= 4 && jobs > 100 * groups.len(),
        "{} groups",
        groups.len()
    );
    for g in groups {
        assert_eq!(g["labels"]["jobset.sigs.k8s.io/jobset-name"], js["name"]);
        if g["jobs"].as_array().unwrap().len() == 1 {
            // A Job alone in its group (the one that failed): every label is its own.
            assert!(g["varying_labels"].as_array().unwrap().is_empty());
            continue;
        }
        let varying: Vec<&str> = g["varying_labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(
            varying.contains(&"jobset.sigs.k8s.io/job-key"),
            "{varying:?}"
        );
        assert!(!varying.contains(&"jobset.sigs.k8s.io/jobset-uid"));
    }
    let all = child_jobs(js);
    let keys: std::collections::BTreeSet<&str> = all
        .iter()
        .map(|j| j["labels"]["jobset.sigs.k8s.io/job-key"].as_str().unwrap())
        .collect();
    assert!(keys.len() * 2 >= all.len(), "job-keys kept per Job");
}

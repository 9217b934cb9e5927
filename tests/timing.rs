//! Control-plane timing that shapes results: client rate limits (calibration §1.3, §3.1) and
//! the recovery metrics built on them (docs/metrics.md).

mod common;
use common::*;

/// One JobSet of `pods` small pods on 100 big nodes, with extra controlPlane settings.
fn wide(
    test: &str,
    pods: u32,
    control: &str,
    extra_pods: &str,
) -> (serde_json::Value, Vec<(f64, String, String)>) {
    let dir = scratch(test);
    let text = format!(
        "name: {test}\nrun: {{seed: 1, until: 2h}}\ncontrolPlane: {control}\ncluster:\n  nodePools:\n  - {{name: big, nodesPerPool: 100, capacity: {{cpu: 256, memory: 1Ti}}}}\nworkloads:\n- pods: {{runFor: 10m{extra_pods}}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: wide}}\n    spec:\n      failurePolicy: {{maxRestarts: 1}}\n      replicatedJobs:\n      - name: w\n        template:\n          spec: {{parallelism: {pods}, completions: {pods}, backoffLimit: 0, template: {{spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 100m}}}}}}]}}}}}}\n"
    );
    let p = write(&dir, "s.yaml", &text);
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        p.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = std::fs::read_to_string(out_dir.join("events.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].parse().unwrap(), c[3].to_string(), c[5].to_string())
        })
        .collect();
    (serde_json::from_str(&stdout(&out)).unwrap(), rows)
}

fn span(rows: &[(f64, String, String)], state: &str) -> f64 {
    let t: Vec<f64> = rows.iter().filter(|r| r.2 == state).map(|r| r.0).collect();
    t.iter().cloned().fold(f64::MIN, f64::max) - t.iter().cloned().fold(f64::MAX, f64::min)
}

#[test]
fn scheduler_binds_at_its_client_qps() {
    // T5's mechanism: each bind is one request; after the burst, binds follow the QPS.
    // Job controller unthrottled so creation does not pace it.
    let fast_create = "{jobController: {qps: 0}, scheduler: {qps: 50, burst: 100}}";
    let (_, rows) = wide("sched_qps_50", 1000, fast_create, "");
    let s = span(&rows, "Scheduled");
    assert!(
        (17.0..20.0).contains(&s),
        "1000 binds at 50/s after a burst of 100: {s}s"
    );
    let (_, rows) = wide(
        "sched_qps_100",
        1000,
        "{jobController: {qps: 0}, scheduler: {qps: 100, burst: 100}}",
        "",
    );
    let s = span(&rows, "Scheduled");
    assert!((8.5..10.5).contains(&s), "at 100/s: {s}s");
}

#[test]
fn job_controller_creates_at_its_client_qps() {
    // §3.1: the Job controller's client, 20 QPS burst 30 by default.
    let (_, rows) = wide("job_qps", 300, "{}", "");
    let s = span(&rows, "Created");
    assert!(
        (13.0..15.0).contains(&s),
        "300 creates at 20/s after a burst of 30: {s}s"
    );
}

#[test]
fn recovery_is_measured_for_each_restart() {
    // One pod fails at 1 min; the JobSet restarts once; the new attempt's 300 pods are
    // created at the Job controller's 20/s and bound right behind.
    let (s, _) = wide(
        "recovery_metrics",
        300,
        "{}",
        ", exits: [{podIndex: 7, attempt: 0, after: 1m, exitCode: 1}]",
    );
    let r = &s["recovery"][0];
    assert_eq!(r["attempt"], 1);
    assert_eq!(r["pods"], 300);
    let f = |k: &str| r[k].as_f64().unwrap();
    assert!(f("failed_at_s") > 60.0 && f("failed_at_s") < 62.0, "{r}");
    assert!(f("first_create_s") > f("failed_at_s"));
    assert!(f("all_scheduled_s") >= f("first_create_s"));
    assert!(f("all_running_s") >= f("all_scheduled_s"));
    let rate = f("pods_per_s");
    assert!(
        (18.0..23.0).contains(&rate),
        "paced by pod creation at 20/s: {rate}"
    );
    assert!(r["peak_pods_per_s"].as_u64().unwrap() >= 20);
    assert!((f("time_to_recover_s") - (f("all_running_s") - f("failed_at_s"))).abs() < 1e-6);
}

#[test]
fn garbage_collector_deletes_at_its_client_qps() {
    // The old attempt's 300 pods are deleted by the GC at 20/s after a burst of 30.
    let (_, rows) = wide(
        "gc_qps",
        300,
        "{}",
        ", exits: [{podIndex: 7, attempt: 0, after: 1m, exitCode: 1}]",
    );
    let t: Vec<f64> = rows
        .iter()
        .filter(|r| r.2 == "Terminating")
        .map(|r| r.0)
        .collect();
    let s = t.iter().cloned().fold(f64::MIN, f64::max) - t.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        (12.0..15.0).contains(&s),
        "300 deletes, the Job controller's then the GC's: {s}s"
    );
}

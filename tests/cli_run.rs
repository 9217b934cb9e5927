//! `jobset-sim run` end to end: the quickstart, output files, and the summary's contents.

mod common;
use common::*;

#[test]
fn quickstart_completes_its_jobset() {
    let out = run(&["run", "scenarios/quickstart.yaml", "--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(s["scenario"], "quickstart");
    assert_eq!(s["jobsets"][0]["name"], "paralleljobs");
    assert_eq!(s["jobsets"][0]["terminal_state"], "Completed");
    assert_eq!(s["jobsets"][0]["restarts"], 0);
    // 4 workers + 1 driver, each run to completion once.
    assert_eq!(s["pods"]["created"], 5);
    assert_eq!(s["pods"]["scheduled"], 5);
    assert_eq!(s["pods"]["succeeded"], 5);
    assert_eq!(s["pods"]["failed"], 0);
    // The pods sleep 100 s: the JobSet cannot finish before that, nor much later.
    let done = s["jobsets"][0]["completed_at_s"].as_f64().unwrap();
    assert!((100.0..110.0).contains(&done), "completed at {done}");
    assert_eq!(
        s["sim_end_s"].as_f64().unwrap(),
        done,
        "run stops when all JobSets are terminal"
    );
}

#[test]
fn table_is_the_default_output() {
    let out = run(&["run", "scenarios/quickstart.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("JOBSET"), "{text}");
    assert!(text.contains("paralleljobs  Completed"), "{text}");
    assert!(
        text.contains("5 created, 5 scheduled, 5 succeeded, 0 failed"),
        "{text}"
    );
}

#[test]
fn out_dir_gets_summary_and_events() {
    let dir = scratch("out_dir_gets_summary_and_events");
    let out_dir = dir.join("nested/out");
    let out = run(&[
        "run",
        "scenarios/quickstart.yaml",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    for key in [
        "scenario",
        "seed",
        "sim_end_s",
        "events",
        "wall_ms",
        "jobsets",
        "pods",
    ] {
        assert!(summary.get(key).is_some(), "summary lacks {key}");
    }
    for key in ["name", "terminal_state", "restarts", "completed_at_s"] {
        assert!(
            summary["jobsets"][0].get(key).is_some(),
            "jobset summary lacks {key}"
        );
    }
    let events = std::fs::read_to_string(out_dir.join("events.csv")).unwrap();
    let mut lines = events.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,jobset,job,pod,node,state,reason")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // Each of the 5 pods goes Created -> Scheduled -> Running -> Succeeded.
    for state in ["Created", "Scheduled", "Running", "Succeeded"] {
        assert_eq!(rows.iter().filter(|r| r[5] == state).count(), 5, "{state}");
    }
    // Pods are named as the Job controller names Indexed pods: <job>-<index>-<5 chars>.
    let pod = rows
        .iter()
        .find(|r| r[2] == "paralleljobs-workers-0" && r[5] == "Created")
        .unwrap()[3];
    assert!(pod.starts_with("paralleljobs-workers-0-"), "{pod}");
    assert_eq!(pod.rsplit('-').next().unwrap().len(), 5);
    // Times never go backwards.
    let times: Vec<f64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "events.csv",
            "jobsets.csv",
            "record.json",
            "recovery.svg",
            "summary.json",
            "timeline.csv",
            "timeline.svg"
        ],
        "{names:?}"
    );
    // The timeline starts at 0 and has a sample at the end of the run.
    let timeline = std::fs::read_to_string(out_dir.join("timeline.csv")).unwrap();
    let mut t_lines = timeline.lines();
    assert_eq!(
        t_lines.next().unwrap(),
        "time_s,pods_pending,pods_running,pods_failed,nodes_available,nodes_out,restarts,goodput,step_s,binds_per_s,recovering"
    );
    assert!(t_lines.next().unwrap().starts_with("0,0,0,0,"));
    let svg = std::fs::read_to_string(out_dir.join("timeline.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..40]
    );
}

#[test]
fn child_jobs_follow_jobset_naming() {
    let dir = scratch("child_jobs_follow_jobset_naming");
    let scenario = write(&dir, "s.yaml", SMALL_SCENARIO);
    let out = run(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = std::fs::read_to_string(dir.join("o/events.csv")).unwrap();
    let mut jobs: Vec<&str> = events
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    jobs.sort();
    jobs.dedup();
    assert_eq!(jobs, vec!["small-workers-0", "small-workers-1"]);
    let pods: std::collections::BTreeSet<String> = events
        .lines()
        .skip(1)
        .map(|l| {
            let pod = l.split(',').nth(3).unwrap();
            pod[..pod.len() - 6].to_string()
        })
        .collect();
    let want: std::collections::BTreeSet<String> = (0..2)
        .flat_map(|j| (0..3).map(move |i| format!("small-workers-{j}-{i}")))
        .collect();
    assert_eq!(pods, want);
}

#[test]
fn resources_limit_where_pods_go() {
    // 2 Jobs x 3 pods of 1 cpu on three 8-cpu nodes all fit; 4-cpu pods fit two per node.
    let dir = scratch("resources_limit_where_pods_go");
    let text = SMALL_SCENARIO.replace("cpu: \"1\"", "cpu: \"4\"");
    let scenario = write(&dir, "s.yaml", &text);
    let out = run(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let events = std::fs::read_to_string(dir.join("o/events.csv")).unwrap();
    let mut per_node = std::collections::BTreeMap::<String, usize>::new();
    for l in events.lines().skip(1).filter(|l| l.contains(",Scheduled,")) {
        *per_node
            .entry(l.split(',').nth(4).unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_node.len(), 3);
    assert!(per_node.values().all(|&c| c == 2), "{per_node:?}");
}

#[test]
fn unschedulable_pods_stay_pending_with_the_filter_that_rejected_them() {
    // 10 pods of 6 cpu on three 8-cpu nodes: only 3 run at a time; with 1h of work each and a
    // 30 min limit, 7 stay pending and the summary says why.
    let dir = scratch("unschedulable_pods_stay_pending");
    let text = SMALL_SCENARIO
        .replace("cpu: \"1\"", "cpu: \"6\"")
        .replace("replicas: 2", "replicas: 1")
        .replace("parallelism: 3", "parallelism: 10")
        .replace("completions: 3", "completions: 10")
        .replace("runFor: 30s", "runFor: 1h")
        .replace("until: 1h", "until: 30m");
    let scenario = write(&dir, "s.yaml", &text);
    let out = run(&["run", scenario.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(s["sim_end_s"].as_f64().unwrap(), 1800.0);
    assert_eq!(s["jobsets"][0]["terminal_state"], serde_json::Value::Null);
    assert_eq!(s["pods"]["running_at_end"], 3);
    assert_eq!(s["pods"]["pending_at_end"], 7);
    let group = &s["pending_pods"][0];
    assert_eq!(group["count"], 7);
    assert_eq!(
        group["reason"],
        "0/3 nodes are available: 3 Insufficient cpu."
    );
    assert_eq!(group["pods"].as_array().unwrap().len(), 7);
    let table = stdout(&run(&["run", scenario.to_str().unwrap()]));
    assert!(table.contains("pods still pending at the end"), "{table}");
    assert!(table.contains("3 Insufficient cpu"), "{table}");
}

#[test]
fn pending_pods_are_retried_when_capacity_frees() {
    // Same 10 pods of 6 cpu, but short: they run in waves as capacity frees, and all finish.
    let dir = scratch("pending_pods_are_retried");
    let text = SMALL_SCENARIO
        .replace("cpu: \"1\"", "cpu: \"6\"")
        .replace("replicas: 2", "replicas: 1")
        .replace("parallelism: 3", "parallelism: 10")
        .replace("completions: 3", "completions: 10");
    let scenario = write(&dir, "s.yaml", &text);
    let out = run(&["run", scenario.to_str().unwrap(), "--json"]);
    let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(s["jobsets"][0]["terminal_state"], "Completed");
    assert_eq!(s["pods"]["succeeded"], 10);
    // Four waves of 30 s at the least.
    assert!(s["jobsets"][0]["completed_at_s"].as_f64().unwrap() > 120.0);
}

#[test]
fn help_explains_every_option() {
    let out = run(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for opt in ["--seed", "--out", "--json", "SCENARIO"] {
        assert!(text.contains(opt), "help lacks {opt}: {text}");
    }
}

#[test]
fn no_events_leaves_out_events_csv_only() {
    let dir = scratch("no_events_leaves_out_events_csv_only");
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        "scenarios/quickstart.yaml",
        "--out",
        out_dir.to_str().unwrap(),
        "--no-events",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "jobsets.csv",
            "record.json",
            "recovery.svg",
            "summary.json",
            "timeline.csv",
            "timeline.svg"
        ]
    );
    // The summary is the same with or without the rows.
    let with = run(&["run", "scenarios/quickstart.yaml", "--json"]);
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).unwrap();
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains("wall_ms"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&summary), strip(&stdout(&with)));
}

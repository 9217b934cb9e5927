//! No manifest, valid, invalid or garbage, makes the program panic: every upstream example is
//! mutated field by field (odd numbers, wrong types, deleted lines) and each variant is loaded,
//! defaulted and, when it loads, simulated for 20 minutes.

use super::common::*;
use jobset_sim::api::defaults::default_jobset;
use jobset_sim::api::load::load_jobsets_from_str;
use jobset_sim::scenario::load_scenario_from_str;
use jobset_sim::sim::Sim;
use std::panic::{catch_unwind, AssertUnwindSafe};

const BASE: &str = "name: fuzz
run: {seed: 1, until: 20m}
featureGates: {RestartJob: true, InPlaceRestart: true}
cluster:
  nodePools:
  - {name: cpu, count: 3, nodesPerPool: 2, capacity: {cpu: 32, memory: 128Gi}}
workloads:
- pods: {runFor: 1m, exits: [{podIndex: 0, attempt: 0, after: 20s, exitCode: 1}]}
  jobset: {apiVersion: jobset.x-k8s.io/v1alpha2, kind: JobSet, metadata: {name: placeholder}, spec: {replicatedJobs: []}}
";

const REPLACEMENTS: &[&str] = &["-1", "0", "2147483647", "x", "[]", "{a: 1}", "null"];

/// Every variant of `text` with one value replaced or one line removed.
fn mutations(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    for (i, line) in lines.iter().enumerate() {
        let mut variant = |new_line: Option<String>| {
            let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            match new_line {
                Some(l) => v[i] = l,
                None => {
                    v.remove(i);
                }
            }
            out.push(v.join("\n"));
        };
        variant(None);
        if let Some((key, value)) = line.split_once(": ") {
            if !value.trim().is_empty() && !value.trim_start().starts_with('|') {
                for r in REPLACEMENTS {
                    variant(Some(format!("{key}: {r}")));
                }
            }
        }
    }
    out
}

/// The upstream example manifests; none (the caller skips, saying so) when they are absent.
fn example_files() -> Option<Vec<std::path::PathBuf>> {
    let root = upstream_examples("mutated_upstream_manifests_never_panic")?;
    let mut files = vec![];
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    Some(files)
}

#[test]
fn mutated_upstream_manifests_never_panic() {
    let base = load_scenario_from_str("fuzz.yaml", BASE, std::path::Path::new(".")).unwrap();
    // events.csv is written from the kept rows after each run, which reads removed pods.
    crate::sim::pod_store::keep_every_slot_in_this_test();
    let mut simulated = 0;
    let mut cases = 0;
    let Some(files) = example_files() else {
        return;
    };
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, variant) in mutations(&text).into_iter().enumerate() {
            cases += 1;
            let result = catch_unwind(AssertUnwindSafe(|| {
                let Ok(loaded) = load_jobsets_from_str("m.yaml", &variant) else {
                    return false;
                };
                let Some(first) = loaded.into_iter().next() else {
                    return false;
                };
                let mut scenario = base.clone();
                let mut js = first.jobset;
                if js.metadata.name.is_empty() {
                    js.metadata.name = "generated".into();
                }
                default_jobset(&mut js);
                let _ =
                    jobset_sim::api::validation::validate_create(&js, &scenario.feature_gates, &[]);
                scenario.workloads[0].jobset = js;
                match Sim::new(scenario) {
                    Ok(mut sim) => {
                        run_checked(&mut sim);
                        let _ = jobset_sim::report::summary::build(&sim, 0);
                        let _ = jobset_sim::report::events_csv(&sim).unwrap();
                        true
                    }
                    Err(_) => false,
                }
            }));
            match result {
                Ok(ran) => simulated += ran as usize,
                Err(_) => panic!("variant {n} of {} panicked:\n{variant}", file.display()),
            }
        }
    }
    assert!(cases > 1000, "{cases} cases");
    assert!(
        simulated > cases / 4,
        "most variants still simulate: {simulated} of {cases}"
    );
}

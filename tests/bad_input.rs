//! Bad input never panics: every case exits 2 with a message naming the file, the line and
//! column where known and the field path, and leaves no output files behind.

mod common;
use common::*;
use std::path::Path;

/// Runs `run SCENARIO --out DIR` and checks the common contract of a bad-input failure.
fn rejects(dir: &Path, scenario: &Path) -> String {
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        stdout(&out).is_empty(),
        "nothing on stdout: {}",
        stdout(&out)
    );
    assert!(
        !out_dir.exists(),
        "no output directory may be created for bad input"
    );
    err
}

#[test]
fn missing_scenario_file() {
    let dir = scratch("missing_scenario_file");
    let err = rejects(&dir, &dir.join("nope.yaml"));
    assert!(err.contains("nope.yaml: cannot read scenario"), "{err}");
}

#[test]
fn yaml_syntax_error_names_line_and_column() {
    let dir = scratch("yaml_syntax_error");
    let p = write(&dir, "s.yaml", "name: x\ncluster:\n  nodePools: [\n");
    let err = rejects(&dir, &p);
    assert!(err.contains("s.yaml:4:1: "), "{err}");
}

#[test]
fn unknown_key_is_rejected_with_its_path() {
    let dir = scratch("unknown_key");
    let text = SMALL_SCENARIO.replace(
        "    nodesPerPool: 3\n",
        "    nodesPerPool: 3\n    colour: blue\n",
    );
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:7:5: cluster.nodePools[0].colour: unknown field `colour`"),
        "{err}"
    );
    assert!(
        err.contains("expected one of"),
        "says what would be valid: {err}"
    );
}

#[test]
fn unknown_top_level_key() {
    let dir = scratch("unknown_top_level_key");
    let p = write(&dir, "s.yaml", &format!("{SMALL_SCENARIO}sped: 3\n"));
    let err = rejects(&dir, &p);
    assert!(err.contains("sped: unknown field `sped`"), "{err}");
}

#[test]
fn wrong_type_names_path_and_line() {
    let dir = scratch("wrong_type");
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace("nodesPerPool: 3", "nodesPerPool: three"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:6:19: cluster.nodePools[0].nodesPerPool: invalid type: string \"three\", expected u32"),
        "{err}"
    );
}

#[test]
fn bad_duration_names_its_path() {
    let dir = scratch("bad_duration");
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace("until: 1h", "until: 10"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:2:23: run.until: invalid duration \"10\""),
        "{err}"
    );
}

#[test]
fn bad_quantity_names_its_path() {
    let dir = scratch("bad_quantity");
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace("cpu: 8,", "cpu: 8 cores,"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("cluster.nodePools[0].capacity.cpu: invalid quantity"),
        "{err}"
    );
}

#[test]
fn manifest_type_error_in_referenced_file() {
    let dir = scratch("manifest_type_error");
    write(
        &dir,
        "m.yaml",
        "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: big}\nspec:\n  replicatedJobs:\n  - name: w\n    replicas: many\n",
    );
    let p = write(&dir, "s.yaml", "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 1, capacity: {cpu: 1}}\nworkloads:\n- manifest: m.yaml\n");
    let err = rejects(&dir, &p);
    assert!(
        err.contains("m.yaml:7:15: spec.replicatedJobs[0].replicas: invalid type: string \"many\""),
        "{err}"
    );
}

#[test]
fn manifest_that_is_not_a_jobset() {
    let dir = scratch("not_a_jobset");
    write(
        &dir,
        "m.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
    );
    let p = write(&dir, "s.yaml", "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 1, capacity: {cpu: 1}}\nworkloads:\n- manifest: m.yaml\n");
    let err = rejects(&dir, &p);
    assert!(err.contains("m.yaml: a Pod (v1) is not a JobSet"), "{err}");
}

#[test]
fn second_document_that_is_not_a_jobset() {
    let dir = scratch("second_document");
    let js = "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: a}\nspec: {replicatedJobs: []}\n";
    write(
        &dir,
        "m.yaml",
        &format!("{js}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: x}}\n"),
    );
    let p = write(&dir, "s.yaml", "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 1, capacity: {cpu: 1}}\nworkloads:\n- manifest: m.yaml\n");
    let err = rejects(&dir, &p);
    assert!(
        err.contains("m.yaml: document 2: a ServiceAccount (v1) is not a JobSet"),
        "{err}"
    );
}

#[test]
fn missing_manifest_file() {
    let dir = scratch("missing_manifest");
    let p = write(&dir, "s.yaml", "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 1, capacity: {cpu: 1}}\nworkloads:\n- manifest: gone.yaml\n");
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:6:13: workloads[0].manifest: cannot read manifest"),
        "{err}"
    );
    assert!(err.contains("gone.yaml"), "{err}");
}

#[test]
fn inline_jobset_type_error_is_located_in_the_scenario() {
    let dir = scratch("inline_type_error");
    let text = SMALL_SCENARIO.replace("replicas: 2", "replicas: many");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:17:19: workloads[0].jobset.spec.replicatedJobs[0].replicas: invalid type: string \"many\""),
        "{err}"
    );
}

#[test]
fn inline_jobset_admission_errors_are_located_in_the_scenario() {
    let dir = scratch("inline_admission_error");
    let text = SMALL_SCENARIO.replace(
        "      - name: workers\n",
        "      - name: workers\n        groupName: Bad_Group\n",
    );
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:17:20: workloads[0].jobset.spec.replicatedJobs[0].groupName: JobSet \"small\" is invalid: Invalid value: \"Bad_Group\": a DNS-1035 label"),
        "{err}"
    );
}

#[test]
fn manifest_admission_errors_are_located_in_the_manifest() {
    let dir = scratch("manifest_admission_error");
    let js = |name: &str, extra: &str| {
        format!("apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: {name}\nspec:\n  replicatedJobs:\n  - name: w\n{extra}    template: {{spec: {{template: {{spec: {{containers: [{{name: c, image: x}}]}}}}}}}}\n")
    };
    // The second document of a multi-document manifest, after a comment and an empty document.
    write(
        &dir,
        "m.yaml",
        &format!(
            "# two JobSets\n{}---\n---\n{}",
            js("a", ""),
            js("b", "    groupName: Bad_Group\n")
        ),
    );
    let p = write(&dir, "s.yaml", "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 1, capacity: {cpu: 1}}\nworkloads:\n- manifest: m.yaml\n");
    let err = rejects(&dir, &p);
    // Line numbers count from the top of the file, so they say which document it is.
    assert!(
        err.contains("m.yaml:19:16: spec.replicatedJobs[0].groupName: JobSet \"b\" is invalid: Invalid value: \"Bad_Group\""),
        "{err}"
    );
}

#[test]
fn manifest_without_a_name_points_at_its_metadata() {
    let dir = scratch("manifest_without_name");
    write(
        &dir,
        "m.yaml",
        "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  labels: {a: b}\nspec:\n  replicatedJobs: []\n",
    );
    let p = write(&dir, "s.yaml", "name: s\ncluster:\n  nodePools:\n  - {name: cpu, nodesPerPool: 1, capacity: {cpu: 1}}\nworkloads:\n- manifest: m.yaml\n");
    let err = rejects(&dir, &p);
    assert!(
        err.contains("m.yaml:3:1: metadata.name: JobSet has no name"),
        "{err}"
    );
}

#[test]
fn pod_that_can_never_fit_any_node() {
    let dir = scratch("never_fits");
    let text = SMALL_SCENARIO.replace("cpu: \"1\"}", "cpu: \"1\"}, limits: {nvidia.com/gpu: 8}");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    // Sim::new finds this one, after loading: it is located all the same.
    assert!(
        err.contains("s.yaml:23:15: workloads[0].jobset.spec.replicatedJobs[0].template.spec.template.spec: pods of"),
        "{err}"
    );
    assert!(
        err.contains("pods of replicated job \"workers\" can never be scheduled, even on an empty cluster: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu."),
        "{err}"
    );
}

#[test]
fn pod_whose_node_selector_matches_no_node() {
    let dir = scratch("selector_matches_nothing");
    let text = SMALL_SCENARIO.replace(
        "                containers:",
        "                nodeSelector: {cloud.google.com/gke-tpu-accelerator: tpu-v5p-slice}\n                containers:",
    );
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("3 node(s) didn't match Pod's node affinity/selector"),
        "{err}"
    );
}

#[test]
fn pod_that_does_not_tolerate_a_taint() {
    let dir = scratch("untolerated_taint");
    let text = SMALL_SCENARIO.replace(
        "    capacity: {cpu: 8, memory: 32Gi}",
        "    capacity: {cpu: 8, memory: 32Gi}\n    taints: [{key: dedicated, value: ml, effect: NoSchedule}]",
    );
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("3 node(s) had untolerated taint {dedicated: ml}"),
        "{err}"
    );
}

#[test]
fn empty_scenario_file() {
    let dir = scratch("empty_scenario");
    let p = write(&dir, "s.yaml", "");
    let err = rejects(&dir, &p);
    assert!(err.contains("s.yaml: the scenario file is empty"), "{err}");
}

#[test]
fn duplicate_jobset_names() {
    let dir = scratch("duplicate_names");
    let ws = SMALL_SCENARIO.split("workloads:\n").nth(1).unwrap();
    let p = write(&dir, "s.yaml", &format!("{SMALL_SCENARIO}{ws}"));
    let err = rejects(&dir, &p);
    assert!(
        err.contains(
            "s.yaml:32:22: workloads[1].jobset.metadata.name: JobSet \"small\" is already defined"
        ),
        "{err}"
    );
}

#[test]
fn unknown_feature_gate() {
    let dir = scratch("unknown_gate");
    let p = write(
        &dir,
        "s.yaml",
        &format!("{SMALL_SCENARIO}featureGates: {{RestartJobs: true}}\n"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:28:29: featureGates.RestartJobs: unknown feature gate"),
        "{err}"
    );
}

#[test]
fn several_errors_are_all_reported() {
    // Problems of meaning are collected section by section and reported together.
    let dir = scratch("several_errors");
    let text = SMALL_SCENARIO
        .replace("until: 1h", "until: 0s")
        .replace("nodesPerPool: 3", "nodesPerPool: 0")
        .replace("name: workers", "name: Workers");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:2:23: run.until: must be longer than 0s"),
        "{err}"
    );
    assert!(
        err.contains("s.yaml:6:19: cluster.nodePools[0].nodesPerPool: must be at least 1"),
        "{err}"
    );
    assert!(err.contains("spec.replicatedJobs[0].name"), "{err}");
}

#[test]
fn a_malformed_duration_names_its_line_and_path() {
    // A value of the wrong form stops reading there, as any mistyped value does.
    let dir = scratch("malformed_duration");
    let text = SMALL_SCENARIO.replace("runFor: 30s", "runFor: 30");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:9:18: workloads[0].pods.runFor: invalid duration \"30\""),
        "{err}"
    );
}

#[test]
fn absurd_sizes_are_refused_not_attempted() {
    let dir = scratch("absurd_sizes");
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace("replicas: 2", "replicas: 2000000000"),
    );
    let err = rejects(&dir, &p);
    // Located at the field that makes the pods many (it used to name the file alone).
    assert!(
        err.contains("s.yaml:17:19: workloads[0].jobset.spec.replicatedJobs[0].replicas: the workloads run up to 6000000000 pods at once, more than the 5000000 jobset-sim supports"),
        "{err}"
    );
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace("completions: 3", "completions: 2000000000"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:21:26: workloads[0].jobset.spec.replicatedJobs[0].template.spec.completions: 2000000000 completions"),
        "{err}"
    );
}

#[test]
fn replicated_job_names_in_the_scenario_must_exist() {
    let dir = scratch("unknown_rj");
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace(
            "pods: {runFor: 30s}",
            "pods: {runFor: 30s, exits: [{replicatedJob: wrokers, after: 1s, exitCode: 1}]}",
        ),
    );
    let err = rejects(&dir, &p);
    assert!(err.contains("s.yaml:9:47: workloads[0].pods.exits[0].replicatedJob: no replicated job named \"wrokers\" in this workload (it has: workers)"), "{err}");
    let p = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace(
            "pods: {runFor: 30s}",
            "pods: {runFor: 30s, replicatedJobs: {driver: {runFor: 1m}}}",
        ),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:9:48: workloads[0].pods.replicatedJobs.driver: no replicated job named \"driver\""),
        "{err}"
    );
}

#[test]
fn faults_are_checked() {
    let dir = scratch("bad_faults");
    let p = write(
        &dir,
        "s.yaml",
        &format!("{SMALL_SCENARIO}faults: [{{kind: scripted, at: 1m, node: cpu-9}}]\n"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:28:41: faults[0].node: no node named \"cpu-9\""),
        "{err}"
    );
    let p = write(
        &dir,
        "s.yaml",
        &format!("{SMALL_SCENARIO}faults: [{{kind: meteor, at: 1m, node: cpu-0}}]\n"),
    );
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:28:17: faults[0].kind: \"meteor\" is not a fault kind"),
        "{err}"
    );
    let p = write(
        &dir,
        "s.yaml",
        &format!("{SMALL_SCENARIO}faults: [{{kind: scripted, at: 1m}}]\n"),
    );
    let err = rejects(&dir, &p);
    assert!(
        // The omitted field: the error points at the fault that lacks it.
        err.contains(
            "s.yaml:28:10: faults[0].node: a scripted fault names either one node or one domain"
        ),
        "{err}"
    );
}

#[test]
fn garbage_input_does_not_panic() {
    let dir = scratch("garbage");
    for (i, text) in [
        "[1, 2, 3]",
        "\"just a string\"",
        "name: [",
        "\u{0}\u{1}binary",
        "---\n---\n",
        "name: x\ncluster: 5\n",
    ]
    .iter()
    .enumerate()
    {
        let p = write(&dir, &format!("g{i}.yaml"), text);
        rejects(&dir, &p);
    }
}

#[test]
fn existing_output_is_left_untouched_on_bad_input() {
    let dir = scratch("existing_output");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("summary.json"), "previous").unwrap();
    let p = write(&dir, "s.yaml", "name: x\n");
    let out = run(&[
        "run",
        p.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("summary.json")).unwrap(),
        "previous"
    );
    assert!(!out_dir.join("events.csv").exists());
}

/// A JobSet name the API server would refuse (not a DNS-1123 subdomain, or past 253 characters)
/// is rejected with the API server's wording, even without replicated jobs whose generated
/// names would catch it; a 65,536-character name used to panic in the summary table.
#[test]
fn jobset_names_are_validated_like_the_api_server() {
    let dir = scratch("jobset_name_validation");
    let long = "a".repeat(65_536);
    let cases = [
        ("Not_A_DNS_Name!", "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        (long.as_str(), "must be no more than 253 characters"),
    ];
    for (name, detail) in cases {
        let text = format!(
            "name: n\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 1, capacity: {{cpu: 8}}}}\n\
             workloads:\n- pods: {{runFor: 30s}}\n  jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n\
             \x20   kind: JobSet\n    metadata: {{name: \"{name}\"}}\n    spec: {{replicatedJobs: []}}\n"
        );
        let p = write(&dir, "s.yaml", &text);
        let err = rejects(&dir, &p);
        let want = format!("Invalid value: \"{name}\": {detail}");
        assert!(err.contains(&want), "{}", &err[..err.len().min(2000)]);
        assert!(err.contains("s.yaml:10:22: workloads[0].jobset.metadata.name: "));
    }
}

/// Deep flow nesting is refused by a linear pre-scan, before the YAML parser (whose simple-key
/// bookkeeping is quadratic in the depth): the message is the pre-scan's, with the line and
/// column of the first bracket past the limit, for scenarios and manifests alike.
#[test]
fn deep_nesting_is_refused_before_parsing() {
    let dir = scratch("deep_nesting");
    let n = 50_000;
    let nested = format!("{}{}", "{a: ".repeat(n), "}".repeat(n));
    let p = write(&dir, "s.yaml", &format!("name: x\ncluster: {nested}\n"));
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:2:1034: YAML nested more than 256 levels deep"),
        "{err}"
    );
    let m = write(&dir, "m.yaml", &format!("# manifest\nspec: {nested}\n"));
    let out = run(&["validate", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("m.yaml:2:1031: YAML nested more than 256 levels deep"),
        "{}",
        stderr(&out)
    );
}

/// A scenario whose memory estimate is past the limit is refused before anything is built
/// (it used to abort out of memory): exit 2, the estimate, and how to raise the limit; the
/// flag and `run.memoryLimit` raise or lower it.
#[test]
fn a_run_past_the_memory_limit_is_refused_with_its_estimate() {
    let dir = scratch("memory_limit");
    let big = SMALL_SCENARIO
        .replace("replicas: 2", "replicas: 2500000")
        .replace("parallelism: 3", "parallelism: 1")
        .replace("completions: 3", "completions: 1");
    let p = write(&dir, "s.yaml", &big);
    let err = rejects(&dir, &p);
    // Located at the largest part of the estimate (it used to name the file alone).
    assert!(
        err.contains("s.yaml:17:19: workloads[0].jobset.spec.replicatedJobs[0].replicas: the scenario needs about 18.4 GiB of memory (2500000 Jobs, 2500000 pods at once, 3 nodes), more than the limit of 16Gi"),
        "{err}"
    );
    assert!(err.contains("--memory-limit 19Gi"), "{err}");
    // The small scenario under a limit set too low, by the flag and by the scenario.
    let small = write(&dir, "small.yaml", SMALL_SCENARIO);
    let out = run(&["run", small.to_str().unwrap(), "--memory-limit", "1Mi"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("more than the limit of 1Mi;"),
        "{}",
        stderr(&out)
    );
    let out = run(&["run", small.to_str().unwrap(), "--memory-limit", "lots"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--memory-limit: invalid quantity"),
        "{}",
        stderr(&out)
    );
    let low = SMALL_SCENARIO.replace(
        "run: {seed: 7, until: 1h}",
        "run: {seed: 7, until: 1h, memoryLimit: 1Mi}",
    );
    let low = write(&dir, "low.yaml", &low);
    let out = run(&["run", low.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The limit is quoted as written (it used to be echoed as "0.0 GiB").
    assert!(
        stderr(&out).contains("more than the limit of 1Mi;"),
        "{}",
        stderr(&out)
    );
    let out = run(&["run", low.to_str().unwrap(), "--memory-limit", "1Gi"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

const PARALLELISM_WITHOUT_COMPLETIONS: &str = "name: idx\nrun: {seed: 1, until: 1h}\ncluster:\n  \
    nodePools:\n  - {name: cpu, nodesPerPool: 2, capacity: {cpu: 8}}\nworkloads:\n- pods: {runFor: 30s}\n  \
    jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {name: s}\n    \
    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec:\n            \
    parallelism: 2\n            RESTART_PER_INDEX\n            template:\n              spec:\n                \
    restartPolicy: RESTART_POLICY\n                containers: [{name: main}]\n";

/// An Indexed Job (the JobSet default) with parallelism and no completions: the JobSet is
/// admitted, but the API server rejects every Job created from it (kubernetes
/// `validateJobSpec`), so the run would stall from its start. Refused at load, in the API
/// server's words, with the field's path and place (issue 15's swarm findings).
#[test]
fn indexed_job_without_completions_is_refused_as_the_api_server_would() {
    let dir = scratch("indexed_without_completions");
    let text = PARALLELISM_WITHOUT_COMPLETIONS
        .replace("RESTART_PER_INDEX\n            ", "")
        .replace("RESTART_POLICY", "Never");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains(
            "s.yaml:16:11: workloads[0].jobset.spec.replicatedJobs[0].template.spec.completions: \
             JobSet \"s\": the API server would reject its Jobs: Job.batch \"s-w-0\" is invalid: \
             spec.completions: Required value: when completion mode is Indexed"
        ),
        "{err}"
    );
    // With completions it runs.
    let fixed = write(
        &dir,
        "ok.yaml",
        &text.replace(
            "parallelism: 2\n",
            "parallelism: 2\n            completions: 2\n",
        ),
    );
    let out = run(&["run", fixed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `backoffLimitPerIndex` with `restartPolicy: OnFailure` passes the API server's Job
/// validation (only the completion mode is checked), so the simulator accepts it too.
#[test]
fn backoff_limit_per_index_with_on_failure_is_accepted_as_upstream_does() {
    let dir = scratch("per_index_on_failure");
    let text = PARALLELISM_WITHOUT_COMPLETIONS
        .replace(
            "RESTART_PER_INDEX",
            "completions: 2\n            backoffLimitPerIndex: 1",
        )
        .replace("RESTART_POLICY", "OnFailure");
    let p = write(&dir, "s.yaml", &text);
    let out = run(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `cluster.namespaces` rejects unknown keys, bad names and a contradicting name label.
#[test]
fn bad_namespace_sections_are_input_errors() {
    let cases = [
        (
            "    team-a: {lables: {x: y}}\n",
            "cluster.namespaces.team-a.lables: unknown field `lables`",
        ),
        (
            "    Team_A: {}\n",
            "cluster.namespaces.Team_A: \"Team_A\" is not a valid namespace name",
        ),
        (
            "    team-a: {labels: {kubernetes.io/metadata.name: other}}\n",
            "cluster.namespaces.team-a.labels.kubernetes.io/metadata.name: must equal",
        ),
        (
            "    team-a: {labels: {x: \"-bad-\"}}\n",
            "cluster.namespaces.team-a.labels.x: \"-bad-\"",
        ),
    ];
    for (i, (ns, want)) in cases.iter().enumerate() {
        let dir = scratch(&format!("bad_namespaces_{i}"));
        let text = SMALL_SCENARIO.replace(
            "cluster:\n  nodePools:\n",
            &format!("cluster:\n  namespaces:\n{ns}  nodePools:\n"),
        );
        assert_ne!(text, SMALL_SCENARIO, "the scenario has a cluster section");
        let p = write(&dir, "s.yaml", &text);
        let o = run(&["run", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(want), "want {want:?} in {}", stderr(&o));
    }
}

#[test]
fn bad_label_templates_name_the_label() {
    // `{pool}` and `{node}` are the only placeholders; a value must stay a valid label value
    // (at most 63 characters) on every node it expands on.
    let dir = scratch("bad_label_templates");
    let long = "x".repeat(61); // 61 + "11" + "2" = 64 on the last node
    let text = SMALL_SCENARIO.replace(
        "    nodesPerPool: 3\n",
        &format!(
            "    nodesPerPool: 3\n    count: 12\n    labels: {{job: \"j-{{slice}}\", open: \"j-{{pool\", long: \"{long}{{pool}}{{node}}\"}}\n"
        ),
    );
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("cluster.nodePools[0].labels.job: {slice} is not a placeholder"),
        "{err}"
    );
    assert!(
        err.contains(
            "cluster.nodePools[0].labels.open: \"j-{pool\" has a '{' that is never closed"
        ),
        "{err}"
    );
    assert!(
        err.contains("cluster.nodePools[0].labels.long: expands to")
            && err.contains("(64 characters); a label value has at most 63"),
        "{err}"
    );
    assert!(err.contains("s.yaml:"), "names the file and line: {err}");
}

/// A Kueue section with one ClusterQueue and its LocalQueue `q`.
const KUEUE_QUEUE: &str = "kueue:\n  objects:\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: ResourceFlavor, metadata: {name: f}}\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: ClusterQueue, metadata: {name: cq}, spec: {namespaceSelector: {}, resourceGroups: [{coveredResources: [cpu], flavors: [{name: f, resources: [{name: cpu, nominalQuota: 4}]}]}]}}\n  - {apiVersion: kueue.x-k8s.io/v1beta2, kind: LocalQueue, metadata: {namespace: default, name: q}, spec: {clusterQueue: cq}}\n";

#[test]
fn a_bad_topology_annotation_is_located_in_its_manifest() {
    let dir = scratch("tas_annotation_in_manifest");
    write(
        &dir,
        "m.yaml",
        "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: train\n  labels: {kueue.x-k8s.io/queue-name: q}\nspec:\n  replicatedJobs:\n  - name: w\n    template:\n      spec:\n        template:\n          metadata:\n            annotations:\n              kueue.x-k8s.io/podset-slice-required-topology: rack\n              kueue.x-k8s.io/podset-slice-size: \"sixty\"\n          spec: {containers: [{name: c, image: x}]}\n",
    );
    let text = format!("name: s\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 1, capacity: {{cpu: 1}}}}\n{KUEUE_QUEUE}workloads:\n- manifest: m.yaml\n");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("m.yaml:15:49: spec.replicatedJobs[0].template.spec.template.metadata.annotations[kueue.x-k8s.io/podset-slice-size]: JobSet \"train\" is invalid: Invalid value: \"sixty\": must be a numeric value"),
        "{err}"
    );
}

#[test]
fn a_bad_topology_annotation_inline_is_located_in_the_scenario() {
    let dir = scratch("tas_annotation_inline");
    let text = format!("name: s\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 1, capacity: {{cpu: 1}}}}\n{KUEUE_QUEUE}workloads:\n- jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata: {{name: train, labels: {{kueue.x-k8s.io/queue-name: q}}}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template:\n          spec:\n            template:\n              metadata:\n                annotations: {{kueue.x-k8s.io/podset-required-topology: rack, kueue.x-k8s.io/podset-preferred-topology: rack}}\n              spec: {{containers: [{{name: c, image: x}}]}}\n");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:22:120: "),
        "located on the annotations line: {err}"
    );
    assert!(
        err.contains("workloads[0].jobset.spec.replicatedJobs[0].template.spec.template.metadata.annotations[kueue.x-k8s.io/podset-preferred-topology]: JobSet \"train\" is invalid: Invalid value: must not contain more than one topology annotation"),
        "{err}"
    );
}

#[test]
fn a_bad_maximum_execution_time_label_is_refused_where_it_is_written() {
    let dir = scratch("max_exec_label");
    for (value, want) in [
        (
            "\"ten\"",
            "Invalid value: \"ten\": strconv.Atoi: parsing \"ten\": invalid syntax",
        ),
        ("\"0\"", "Invalid value: 0: should be greater than 0"),
    ] {
        let text = format!("name: s\ncluster:\n  nodePools:\n  - {{name: cpu, nodesPerPool: 1, capacity: {{cpu: 1}}}}\n{KUEUE_QUEUE}workloads:\n- jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    metadata:\n      name: train\n      labels: {{kueue.x-k8s.io/queue-name: q, kueue.x-k8s.io/max-exec-time-seconds: {value}}}\n    spec:\n      replicatedJobs:\n      - name: w\n        template: {{spec: {{template: {{spec: {{containers: [{{name: c, image: x}}]}}}}}}}}\n");
        let p = write(&dir, "s.yaml", &text);
        let err = rejects(&dir, &p);
        assert!(
            err.contains("s.yaml:16:84: ") && err.contains("workloads[0].jobset.metadata.labels[kueue.x-k8s.io/max-exec-time-seconds]: JobSet \"train\" is invalid: ") && err.contains(want),
            "{err}"
        );
    }
}

#[test]
fn a_worker_pool_of_zero_is_refused_where_it_is_written() {
    let dir = scratch("zero_workers");
    let text = scenario_with("{jobController: {workers: 0}, garbageCollector: {workers: 0}}");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("controlPlane:"))
        .unwrap();
    let cp = text.lines().nth(line - 1).unwrap();
    let first = cp.find("workers: 0").unwrap() + "workers: ".len() + 1;
    let second = cp.rfind("workers: 0").unwrap() + "workers: ".len() + 1;
    for (col, path) in [
        (first, "controlPlane.jobController.workers"),
        (second, "controlPlane.garbageCollector.workers"),
    ] {
        assert!(
            err.contains(&format!("s.yaml:{line}:{col}: {path}: must be at least 1")),
            "{err}"
        );
    }
}

/// A negative request or limit (the API server refuses such pods) or containers whose requests
/// add up past what a quantity holds used to reach the simulation and panic when the pod left
/// its node ("released more cpu than was reserved"); both are refused where they are written.
#[test]
fn negative_or_overflowing_pod_resources_are_refused_where_written() {
    let dir = scratch("pod_resources");
    let with_resources =
        |resources: &str| SMALL_SCENARIO.replace("resources: {requests: {cpu: \"1\"}}", resources);
    let line = 1 + SMALL_SCENARIO
        .lines()
        .position(|l| l.contains("resources:"))
        .unwrap();
    let at = "workloads[0].jobset.spec.replicatedJobs[0].template.spec.template.spec";
    for (i, (resources, path)) in [
        (
            "resources: {requests: {cpu: -1}}",
            "containers[0].resources.requests.cpu",
        ),
        (
            "resources: {limits: {memory: -1Gi}}",
            "containers[0].resources.limits.memory",
        ),
        (
            "resources: {requests: {nvidia.com/gpu: -2}, limits: {nvidia.com/gpu: -2}}",
            "containers[0].resources.requests.nvidia.com/gpu",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let p = write(&dir, &format!("neg{i}.yaml"), &with_resources(resources));
        let err = rejects(&dir, &p);
        assert!(
            err.contains(&format!(":{line}:"))
                && err.contains(&format!("{at}.{path}: Invalid value: "))
                && err.contains("must be greater than or equal to 0"),
            "{err}"
        );
        // The value as written (-1Gi used to be echoed as -1073741824).
        let written = resources.split(": ").last().unwrap().trim_end_matches('}');
        assert!(
            err.contains(&format!("Invalid value: \"{written}\"")),
            "{err}"
        );
    }
    let two_huge = "resources: {requests: {cpu: \"5000000000000000\"}}\n                - {name: second, image: b, resources: {requests: {cpu: \"5000000000000000\"}}}";
    let p = write(&dir, "sum.yaml", &with_resources(two_huge));
    let err = rejects(&dir, &p);
    assert!(
        err.contains(&format!(
            "{at}.containers: the containers' cpu requests add up to more than"
        )),
        "{err}"
    );
}

/// Extended resources are counted in whole units, as the API server checks a container's
/// requests and limits and a Node's capacity ("must be an integer"): `nvidia.com/gpu: 0.5` or
/// `500m` used to be accepted and run.
#[test]
fn fractional_extended_resources_are_refused_where_written() {
    let dir = scratch("fractional_extended");
    let pool = "    capacity: {cpu: 8, memory: 32Gi}\n";
    let gpu_pool = "    capacity: {cpu: 8, memory: 32Gi, nvidia.com/gpu: 8}\n";
    let resources = "resources: {requests: {cpu: \"1\"}}";
    let line_of =
        |text: &str, needle: &str| 1 + text.lines().position(|l| l.contains(needle)).unwrap();
    let at = "workloads[0].jobset.spec.replicatedJobs[0].template.spec.template.spec.containers[0]";
    for (i, (pool_with, resources_with, path, value, reason)) in [
        (
            gpu_pool,
            "resources: {limits: {nvidia.com/gpu: 0.5}}",
            format!("{at}.resources.limits.nvidia.com/gpu"),
            "0.5",
            "the API server would refuse the Job's pods",
        ),
        (
            gpu_pool,
            "resources: {requests: {nvidia.com/gpu: 500m}, limits: {nvidia.com/gpu: 500m}}",
            format!("{at}.resources.requests.nvidia.com/gpu"),
            "500m",
            "the API server would refuse the Job's pods",
        ),
        (
            "    capacity: {cpu: 8, memory: 32Gi, nvidia.com/gpu: 1.5}\n",
            resources,
            "cluster.nodePools[0].capacity.nvidia.com/gpu".to_string(),
            "1.5",
            "as the API server checks a Node's capacity",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let text = SMALL_SCENARIO
            .replace(pool, pool_with)
            .replace(resources, resources_with);
        let p = write(&dir, &format!("f{i}.yaml"), &text);
        let err = rejects(&dir, &p);
        let line = match path.starts_with("cluster") {
            true => line_of(&text, "capacity:"),
            false => line_of(&text, "resources:"),
        };
        let want = format!("{path}: Invalid value: \"{value}\": must be an integer ({reason})");
        assert!(
            err.contains(&format!("f{i}.yaml:{line}:")) && err.contains(&want),
            "{err}"
        );
    }
    // Whole quantities, however written, still run.
    let whole = SMALL_SCENARIO.replace(pool, gpu_pool).replace(
        resources,
        "resources: {requests: {nvidia.com/gpu: 1000m}, limits: {nvidia.com/gpu: 1}}",
    );
    let p = write(&dir, "whole.yaml", &whole);
    let out = run(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Input is read with a bound: `/dev/zero` as a scenario (or on standard input) used to be read
/// whole, taking every byte of memory before the parser could object.
#[cfg(target_os = "linux")]
#[test]
fn endless_input_is_refused_without_reading_it_whole() {
    let out = run(&["run", "/dev/zero"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/zero: cannot read scenario: larger than 64 MiB"),
        "{err}"
    );
    let out = bin()
        .args(["run", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("<stdin>: cannot read scenario from standard input: larger than"),
        "{err}"
    );
    let out = run(&["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A UTF-8 byte order mark, as some editors save files, used to fail the scenario with "did not
/// find expected <document start>" at line 2; the same file without it runs.
#[test]
fn a_byte_order_mark_is_ignored() {
    let dir = scratch("byte_order_mark");
    let p = write(&dir, "s.yaml", &format!("\u{feff}{SMALL_SCENARIO}"));
    let out = run(&["run", p.to_str().unwrap(), "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Node labels, taints and resource names are checked as the API server checks a Node's; a
/// label key with a space, or a resource named with an invisible character, used to pass.
#[test]
fn node_labels_taints_and_resource_names_are_checked() {
    let dir = scratch("node_pool_names");
    let pool = "    capacity: {cpu: 8, memory: 32Gi}\n";
    for (i, (extra, want)) in [
        (
            "    labels: {\"bad key\": v}\n",
            "cluster.nodePools[0].labels.bad key: \"bad key\" is not a valid label key",
        ),
        (
            "    labels: {team: \"a b\"}\n",
            "cluster.nodePools[0].labels.team: \"a b\" is not a valid label value",
        ),
        (
            "    labels: {slice: \"-{pool}\"}\n",
            "cluster.nodePools[0].labels.slice: expands to \"-0\", not a valid label value",
        ),
        (
            "    taints: [{key: \"x y\", value: v, effect: NoSchedule}]\n",
            "cluster.nodePools[0].taints[0].key: \"x y\" is not a valid taint key",
        ),
        (
            "    capacity: {cpu: 8, memory: 32Gi, \"gpu!\": 1}\n",
            "cluster.nodePools[0].capacity.gpu!: \"gpu!\" is not a valid resource name",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let text = match extra.starts_with("    capacity") {
            true => SMALL_SCENARIO.replace(pool, extra),
            false => SMALL_SCENARIO.replace(pool, &format!("{pool}{extra}")),
        };
        let p = write(&dir, &format!("n{i}.yaml"), &text);
        let err = rejects(&dir, &p);
        assert!(
            err.contains(&format!("n{i}.yaml:")) && err.contains(want),
            "{err}"
        );
    }
}

/// A list or mapping where a quantity belongs (a YAML merge key lands there) names the form
/// expected, not serde's "did not match any variant of untagged enum".
#[test]
fn a_quantity_of_the_wrong_shape_says_what_is_expected() {
    let dir = scratch("quantity_shape");
    let text = SMALL_SCENARIO.replace("{cpu: 8, memory: 32Gi}", "{cpu: [8], memory: 32Gi}");
    let p = write(&dir, "s.yaml", &text);
    let err = rejects(&dir, &p);
    assert!(
        err.contains("s.yaml:7:") && err.contains("cluster.nodePools[0].capacity.cpu: invalid type: sequence, expected a quantity, like 4, 500m"),
        "{err}"
    );
}

/// Counts are bounded before anything is built: a sweep of 4294967295 seeds, or `compare
/// --seeds` as large, used to abort on a 32 GiB allocation (u64::MAX: a panic).
#[test]
fn seed_counts_are_bounded_and_located() {
    let dir = scratch("seed_counts");
    write(&dir, "s.yaml", SMALL_SCENARIO);
    for (i, (seeds, want)) in [
        (
            "4294967295",
            "sweep0.yaml:1:8: seeds: 4294967295 seeds is more than the 1000000 runs",
        ),
        (
            "18446744073709551615",
            "seeds is more than the 1000000 runs",
        ),
        (
            "-3",
            "sweep2.yaml:1:8: seeds: expected a count of seeds (seeds 1..=N) or a list",
        ),
        (
            "[1, x]",
            "sweep3.yaml:1:8: seeds: expected a count of seeds",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let text = format!("seeds: {seeds}\nscenario: s.yaml\naxes: []\n");
        let p = write(&dir, &format!("sweep{i}.yaml"), &text);
        let out = run(&["sweep", p.to_str().unwrap(), "--dry-run"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
    }
    let s = dir.join("s.yaml");
    let s = s.to_str().unwrap();
    let out = run(&["compare", s, s, "--seeds", "4294967295", "--dry-run"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--seeds: 4294967295 seeds is more than"),
        "{err}"
    );
}

/// Command-line values that used to be ignored or wrap silently are refused (exit 2).
#[test]
fn meaningless_flags_are_refused() {
    let dir = scratch("meaningless_flags");
    let empty = write(&dir, "empty.yaml", "");
    let cases: [(&[&str], &str); 4] = [
        (
            &["validate", empty.to_str().unwrap()],
            "empty.yaml: holds no YAML document",
        ),
        (
            &["run", "scenarios/quickstart.yaml", "--no-events"],
            "--out <DIR>",
        ),
        (
            &["swarm", "--cases", "1", "--jobs", "0"],
            "--jobs: must be at least 1",
        ),
        (
            &["swarm", "--first", "18446744073709551615", "--cases", "2"],
            "runs past the last case number",
        ),
    ];
    for (args, want) in cases {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// `--out` below a file is a wrong argument (exit 2, before anything runs), not a write that
/// failed after the simulation (exit 4).
#[test]
fn an_output_folder_below_a_file_is_refused_before_the_run() {
    let dir = scratch("out_below_file");
    let file = write(&dir, "notes.txt", "mine");
    let out_dir = file.join("out");
    let out = run(&[
        "run",
        "scenarios/quickstart.yaml",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("notes.txt is a file, not a folder"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// Job and pod template fields the API server refuses when the JobSet controller creates the
/// child Jobs (kubernetes `validateJobSpec`, `ValidatePodSpec`) used to be accepted and run;
/// each is refused where it is written, with upstream's path and message.
#[test]
fn job_and_pod_fields_the_api_server_refuses_are_located() {
    let dir = scratch("job_and_pod_fields");
    let resources = "resources: {requests: {cpu: \"1\"}}";
    let in_pod = |extra: &str| {
        SMALL_SCENARIO.replace(resources, &format!("{resources}\n                {extra}"))
    };
    let in_job = |extra: &str| {
        SMALL_SCENARIO.replace(
            "completions: 3\n",
            &format!("completions: 3\n            {extra}\n"),
        )
    };
    let container =
        format!("- name: main\n                  image: busybox\n                  {resources}");
    let js = "workloads[0].jobset.spec.replicatedJobs[0].template.";
    let cases = [
        (
            SMALL_SCENARIO.replace(resources, "resources: {requests: {cpu: \"2\"}, limits: {cpu: \"1\"}}"),
            27,
            "spec.template.spec.containers[0].resources.requests",
            "Invalid value: \"2\": must be less than or equal to cpu limit of 1",
        ),
        // Quantities are quoted as written (they used to be echoed as 7812500Ki and 4Gi).
        (
            SMALL_SCENARIO.replace(resources, "resources: {requests: {memory: 8G}, limits: {memory: 4096Mi}}"),
            27,
            "spec.template.spec.containers[0].resources.requests",
            "Invalid value: \"8G\": must be less than or equal to memory limit of 4096Mi",
        ),
        // Extended resources cannot be overcommitted: a request must equal its limit, and a
        // request needs a limit (the API server does not default one from it).
        (
            SMALL_SCENARIO.replace(resources, "resources: {requests: {nvidia.com/gpu: 4}, limits: {nvidia.com/gpu: 8}}"),
            27,
            "spec.template.spec.containers[0].resources.requests",
            "Invalid value: \"4\": must be equal to nvidia.com/gpu limit of 8",
        ),
        (
            SMALL_SCENARIO.replace(resources, "resources: {requests: {cpu: \"1\", google.com/tpu: 4}}"),
            27,
            "spec.template.spec.containers[0].resources.limits",
            "Required value: Limit must be set for non overcommitable resources",
        ),
        (
            in_pod("tolerations: [{key: a, operator: Foo, value: b}]"),
            28,
            "spec.template.spec.tolerations[0].operator",
            "Unsupported value: \"Foo\": supported values: \"Equal\", \"Exists\"",
        ),
        (
            in_pod("tolerations: [{key: a, operator: Exists, value: b}]"),
            28,
            "spec.template.spec.tolerations[0].operator",
            "Invalid value: core.Toleration{Key:\"a\", Operator:\"Exists\", Value:\"b\", Effect:\"\", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is 'Exists'",
        ),
        (
            in_pod("topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]"),
            28,
            "spec.template.spec.topologySpreadConstraints[0].maxSkew",
            "Invalid value: 0: must be greater than zero",
        ),
        (
            in_pod("topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Maybe}]"),
            28,
            "spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable",
            "Unsupported value: \"Maybe\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
        ),
        (
            in_job("activeDeadlineSeconds: -5"),
            22,
            "spec.activeDeadlineSeconds",
            "Invalid value: -5: must be greater than or equal to 0",
        ),
        (
            in_job("backoffLimit: -1"),
            22,
            "spec.backoffLimit",
            "Invalid value: -1: must be greater than or equal to 0",
        ),
        (
            SMALL_SCENARIO.replace("parallelism: 3", "parallelism: -3"),
            20,
            "spec.parallelism",
            "Invalid value: -3: must be greater than or equal to 0",
        ),
        (
            SMALL_SCENARIO.replace("completions: 3", "completions: -3"),
            21,
            "spec.completions",
            "Invalid value: -3: must be greater than or equal to 0",
        ),
        (
            SMALL_SCENARIO.replace(&format!("containers:\n                {container}"), "containers: []"),
            24,
            "spec.template.spec.containers",
            "Required value",
        ),
    ];
    for (i, (text, line, path, message)) in cases.into_iter().enumerate() {
        assert_ne!(text, SMALL_SCENARIO, "case {i} edits the scenario");
        let p = write(&dir, &format!("case{i}.yaml"), &text);
        let err = rejects(&dir, &p);
        let want = format!("case{i}.yaml:{line}:");
        assert!(err.contains(&want), "case {i}: {err}");
        let want = format!(
            "{js}{path}: JobSet \"small\": the API server would reject its Jobs: \
             Job.batch \"small-workers-0\" is invalid: {path}: {message}"
        );
        assert!(err.contains(&want), "case {i}: want {want}\n got {err}");
    }
    // Requests equal to limits, `Exists` without a value and a valid constraint still run.
    let fine = in_pod(
        "tolerations: [{operator: Exists}, {key: a, operator: Equal, value: b}]\n                \
         topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]",
    )
    .replace(resources, "resources: {requests: {cpu: \"1\"}, limits: {cpu: \"1\"}}");
    let p = write(&dir, "fine.yaml", &fine);
    let out = run(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// An update scripted before its JobSet exists (`updates[].at` earlier than the workload's
/// `at`) is not bad input: it has a documented meaning (docs/scenario-format.md), applied at the
/// JobSet's create, right after it.
#[test]
fn an_update_before_its_jobset_exists_is_applied_at_its_create() {
    let dir = scratch("update_before_create");
    let text = SMALL_SCENARIO.replace(
        "- pods: {runFor: 30s}\n",
        "- pods: {runFor: 30s}\n  at: 10m\n  updates: [{at: 0s, suspend: true}, {at: 20m, suspend: false}]\n",
    );
    let p = write(&dir, "s.yaml", &text);
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        p.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let jobsets = std::fs::read_to_string(out_dir.join("jobsets.csv")).unwrap();
    assert!(
        jobsets.contains("600.050000000,small,,Condition,Suspended,True,SuspendedJobs,")
            && jobsets.contains("1200.060000000,small,,Condition,Suspended,False,ResumeJobs,"),
        "{jobsets}"
    );
}

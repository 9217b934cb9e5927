//! `jobset-sim validate`: admission per JobSet, exit 0 / 1 / 2, feature gates.

mod common;
use common::*;

/// The repository's own manifests (scenarios/manifests/), relative to the repository.
const OWN: &str = "scenarios/manifests";

#[test]
fn upstream_examples_are_valid_with_their_gates() {
    let Some(ex) = upstream_examples("upstream_examples_are_valid_with_their_gates") else {
        return;
    };
    let plain: Vec<String> = [
        "simple",
        "depends-on",
        "startup-policy",
        "volume-claim-policy",
        "tpu-multislice",
        "pytorch/cnn-mnist",
        "tensorflow",
    ]
    .iter()
    .flat_map(|d| {
        std::fs::read_dir(ex.join(d))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.ends_with(".yaml"))
            .collect::<Vec<_>>()
    })
    .collect();
    let args: Vec<&str> = std::iter::once("validate")
        .chain(plain.iter().map(|s| s.as_str()))
        .collect();
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("JobSet default/paralleljobs: valid"),
        "{text}"
    );
    // kueue-config.yaml holds no JobSet: listed as skipped, not an error.
    assert!(
        text.contains("kueue-config.yaml (document 1): skipped: a ResourceFlavor"),
        "{text}"
    );
}

#[test]
fn restart_job_actions_need_their_gate() {
    let f = format!("{OWN}/restart-job.yaml");
    let out = run(&["validate", &f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(
        "JobSet default/js: invalid\n  <nil>: Internal error: RestartJob and RestartJobAndIgnoreMaxRestarts failure policy actions are not allowed when RestartJob feature gate is disabled"
    ), "{}", stdout(&out));
    let out = run(&["validate", "--feature-gates", "RestartJob=true", &f]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn in_place_restart_needs_its_gate() {
    let f = format!("{OWN}/in-place-restart.yaml");
    assert_eq!(run(&["validate", &f]).status.code(), Some(1));
    assert_eq!(
        run(&["validate", "--feature-gates=InPlaceRestart=true", &f])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn invalid_jobset_lists_each_error_with_upstream_path() {
    let dir = scratch("validate_invalid");
    let name = "a".repeat(62);
    let f = write(
        &dir,
        "bad.yaml",
        &format!(
            "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {{name: {name}}}\nspec:\n  successPolicy: {{operator: All, targetReplicatedJobs: [does-not-exist]}}\n  replicatedJobs:\n  - name: rj\n    replicas: 101\n    template: {{spec: {{template: {{spec: {{containers: [{{name: c}}]}}}}}}}}\n"
        ),
    );
    let out = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("JobSet default/{name}: invalid")),
        "{text}"
    );
    // Each error names the line and column of its field in the file.
    assert!(text.contains(&format!("bad.yaml:7:11: spec.replicatedJobs[0].name: Invalid value: \"{name}-rj-100\": JobSet name is too long, job names generated for this JobSet will exceed 63 characters")), "{text}");
    // Errors without a field (upstream's `<nil>`) have no line to show.
    assert!(
        text.contains(
            "\n  <nil>: Internal error: invalid replicatedJob name 'does-not-exist' does not appear in .spec.ReplicatedJobs"
        ),
        "{text}"
    );
}

#[test]
fn run_refuses_an_invalid_jobset_with_exit_2() {
    let dir = scratch("run_invalid");
    let text = SMALL_SCENARIO.replace(
        "    spec:\n      replicatedJobs:",
        "    spec:\n      failurePolicy: {rules: [{action: RestartJob}]}\n      replicatedJobs:",
    );
    let p = write(&dir, "s.yaml", &text);
    let out = run(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // No field to point at: the error points at the inline JobSet.
    assert!(stderr(&out).contains("s.yaml:10:3: workloads[0].jobset: JobSet \"small\" is invalid: <nil>: Internal error: RestartJob and RestartJobAndIgnoreMaxRestarts"), "{}", stderr(&out));
    // The scenario's featureGates turn it on, and the run goes ahead.
    let p = write(
        &dir,
        "s2.yaml",
        &format!("{text}featureGates: {{RestartJob: true}}\n"),
    );
    assert_eq!(run(&["run", p.to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn errors_are_located_in_their_own_document() {
    let dir = scratch("validate_located");
    let js = |name: &str, extra: &str| {
        format!("apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: {name}\n  annotations:\n    alpha.jobset.sigs.k8s.io/exclusive-topology: rack\nspec:\n{extra}  replicatedJobs:\n  - name: w\n    template: {{spec: {{template: {{spec: {{containers: [{{name: c, image: x}}]}}}}}}}}\n")
    };
    let f = write(
        &dir,
        "two.yaml",
        &format!(
            "{}---\n# the second one\n{}---\napiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {{labels: {{a: b}}}}\n",
            js("ok", ""),
            js("bad", "  failurePolicy:\n    restartStrategy: Sometimes\n"),
        ),
    );
    let out = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("two.yaml (document 1): JobSet default/ok: valid\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "two.yaml:21:22: spec.failurePolicy.restartStrategy: Unsupported value: \"Sometimes\""
        ),
        "{text}"
    );
    // The omitted name points at the mapping that should hold it.
    assert!(
        text.contains("two.yaml:28:11: metadata.name: JobSet has no name: invalid"),
        "{text}"
    );
}

#[test]
fn malformed_document_is_invalid_not_a_crash() {
    let dir = scratch("validate_malformed");
    let f = write(&dir, "m.yaml", "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: x}\nspec:\n  replicatedJobs:\n  - name: w\n    replicas: many\n");
    let out = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("m.yaml:7:15: spec.replicatedJobs[0].replicas: invalid type: string \"many\", expected i32: invalid"), "{}", stdout(&out));
}

#[test]
fn unreadable_or_non_yaml_files_exit_2() {
    let dir = scratch("validate_unreadable");
    let out = run(&["validate", dir.join("missing.yaml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    let f = write(&dir, "x.yaml", "a: [\n");
    let out = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("x.yaml:2:1:"), "{}", stderr(&out));
}

#[test]
fn bad_feature_gates_exit_2() {
    let f = format!("{OWN}/paralleljobs.yaml");
    for bad in ["Bogus=true", "RestartJob", "RestartJob=yes"] {
        let out = run(&["validate", "--feature-gates", bad, &f]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).starts_with("error: --feature-gates: "),
            "{}",
            stderr(&out)
        );
    }
}

/// A scenario with the tpu-multislice example's Kueue objects and one of its own.
fn kueue_scenario(dir: &std::path::Path, extra_object: &str) -> std::path::PathBuf {
    write(
        dir,
        "kueue.yaml",
        &format!(
            "apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {{name: default-flavor}}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {{name: cq}}
spec:
  namespaceSelector: {{}}
  resourceGroups:
  - coveredResources: [cpu]
    flavors:
    - name: default-flavor
      resources:
      - name: cpu
        nominalQuota: 8
{extra_object}---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {{name: lq}}
spec: {{clusterQueue: cq}}
"
        ),
    );
    let scenario = SMALL_SCENARIO.replace(
        "workloads:",
        "kueue:\n  files: [kueue.yaml]\n  configuration: {waitForPodsReady: {timeout: 10m}}\nworkloads:",
    );
    write(dir, "s.yaml", &scenario)
}

#[test]
fn a_scenario_with_kueue_objects_is_validated_and_counted() {
    let dir = scratch("validate_kueue");
    let s = kueue_scenario(&dir, "");
    let out = run(&["validate", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "{}: scenario small: valid (1 JobSets; Kueue: 1 ResourceFlavor, 1 ClusterQueue, 1 LocalQueue)\n",
            s.display()
        )
    );
}

#[test]
fn run_refuses_a_bad_kueue_object_with_its_location_and_writes_nothing() {
    let dir = scratch("run_bad_kueue");
    let s = kueue_scenario(&dir, "        lendingLimit: 2\n");
    let out_dir = dir.join("out");
    let out = run(&[
        "run",
        s.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}:17:23: spec.resourceGroups[0].flavors[0].resources[0].lendingLimit: ClusterQueue \"cq\" is invalid: Invalid value: \"2\": must be nil when cohort is empty\n",
            dir.join("kueue.yaml").display()
        )
    );
    assert_eq!(stdout(&out), "");
    assert!(!out_dir.exists(), "nothing is written");
    // A valid one runs: its summary has the kueue section (the JobSet has no queue label, so
    // Kueue manages nothing and it runs as before).
    let s = kueue_scenario(&dir, "");
    let out = run(&[
        "run",
        s.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"kueue\""), "{summary}");
}

#[test]
fn an_undefined_kueue_field_is_an_error_or_under_validate_warn_a_warning() {
    let dir = scratch("validate_kueue_warn");
    let s = kueue_scenario(&dir, "        borowingLimit: 2\n");
    let out = run(&["validate", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let expected = format!(
        "{}:17:24: spec.resourceGroups[0].flavors[0].resources[0].borowingLimit: unknown field \"borowingLimit\": neither Kubernetes nor Kueue defines it in a ResourceQuota; did you mean \"borrowingLimit\"?",
        dir.join("kueue.yaml").display()
    );
    assert_eq!(stderr(&out), format!("error: {expected}\n"));
    let out = run(&["--validate=warn", "validate", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("warning: {expected} (ignored: --validate=warn)\n")
    );
}

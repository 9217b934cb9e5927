//! Strict manifests, as kubectl's default `--validate=strict`: a field neither Kubernetes nor
//! JobSet defines is an error naming file, line, column, field path and the nearest defined
//! name, in every command that reads manifests; `--validate=warn` makes it a warning; a field
//! Kubernetes defines that jobset-sim does not model is a one-line notice.

mod common;
use common::*;

/// The repository's quickstart manifest with `from` replaced by `to`, and a scenario running it.
fn typo_scenario(test: &str, from: &str, to: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = scratch(test);
    let manifest = std::fs::read_to_string(repo().join("scenarios/manifests/paralleljobs.yaml"))
        .unwrap()
        .replacen(from, to, 1);
    assert!(manifest.contains(to));
    let m = write(&dir, "m.yaml", &manifest);
    let scenario = std::fs::read_to_string(repo().join("scenarios/quickstart.yaml"))
        .unwrap()
        .replace("manifests/paralleljobs.yaml", "m.yaml");
    (write(&dir, "s.yaml", &scenario), m)
}

#[test]
fn a_misspelt_job_field_is_an_error_with_the_nearest_name() {
    let (s, m) = typo_scenario("strict_paralelism", "parallelism: 4", "paralelism: 4");
    let out = run(&["run", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let want = format!(
        "error: {}:13:21: spec.replicatedJobs[0].template.spec.paralelism: unknown field \"paralelism\": neither Kubernetes nor JobSet defines it in a JobSpec; did you mean \"parallelism\"?\n",
        m.display()
    );
    assert_eq!(stderr(&out), want);
    assert_eq!(stdout(&out), "", "nothing ran");
}

#[test]
fn a_misspelt_jobset_field_is_an_error_with_the_nearest_name() {
    let dir = scratch("strict_maxrestart");
    let text = std::fs::read_to_string(repo().join("scenarios/policies/restart-jobset.yaml"))
        .unwrap()
        .replace("../manifests/restart-jobset.yaml", "m.yaml");
    let s = write(&dir, "s.yaml", &text);
    let manifest = std::fs::read_to_string(repo().join("scenarios/manifests/restart-jobset.yaml"))
        .unwrap()
        .replace("maxRestarts: 3", "maxRestart: 3");
    write(&dir, "m.yaml", &manifest);
    let out = run(&["run", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("m.yaml:9:17: spec.failurePolicy.maxRestart: unknown field \"maxRestart\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"maxRestarts\"?"), "{err}");
}

#[test]
fn a_typo_in_an_inline_jobset_is_located_in_the_scenario() {
    let dir = scratch("strict_inline");
    let s = write(
        &dir,
        "s.yaml",
        &SMALL_SCENARIO.replace(
            "image: busybox",
            "image: busybox\n                  imagePullPolicyy: Always",
        ),
    );
    let out = run(&["run", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let want = format!(
        "error: {}:27:37: workloads[0].jobset.spec.replicatedJobs[0].template.spec.template.spec.containers[0].imagePullPolicyy: unknown field \"imagePullPolicyy\": neither Kubernetes nor JobSet defines it in a Container; did you mean \"imagePullPolicy\"?\n",
        s.display()
    );
    assert_eq!(stderr(&out), want);
}

#[test]
fn validate_warn_downgrades_to_a_warning_and_runs() {
    let (s, m) = typo_scenario("strict_warn", "parallelism: 4", "paralelism: 4");
    let out = run(&["run", s.to_str().unwrap(), "--validate=warn"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("warning: {}:13:21: spec.replicatedJobs[0].template.spec.paralelism: unknown field \"paralelism\": neither Kubernetes nor JobSet defines it in a JobSpec; did you mean \"parallelism\"? (ignored: --validate=warn)\n", m.display())
    );
    // The field is ignored, as the API server would with a warning: parallelism stays 1 and
    // the four workers run one after another (4 x 100 s instead of 100 s).
    assert!(
        stdout(&out).contains("simulated 6m46.88s"),
        "{}",
        stdout(&out)
    );
    let out = run(&["run", s.to_str().unwrap(), "--validate=lenient"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expected strict or warn"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_kubernetes_field_not_modelled_is_a_one_line_notice() {
    let (s, m) = typo_scenario(
        "strict_notice",
        "          spec:\n            containers:",
        "          spec:\n            hostUsers: false\n            containers:",
    );
    let out = run(&["run", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("notice: {}:18:24: spec.replicatedJobs[0].template.spec.template.spec.hostUsers: Kubernetes field not modelled by jobset-sim; ignored\n", m.display())
    );
}

#[test]
fn validate_sweep_compare_and_check_apply_the_same_rule() {
    let (s, m) = typo_scenario("strict_commands", "backoffLimit: 0", "backofLimit: 0");
    let s = s.to_str().unwrap();
    let where_ = format!(
        "{}:15:22: spec.replicatedJobs[0].template.spec.backofLimit",
        m.display()
    );
    let out = run(&["validate", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains(&where_), "{}", stdout(&out));
    let out = run(&["validate", m.to_str().unwrap(), "--validate=warn"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).starts_with(&format!("warning: {where_}")),
        "{}",
        stderr(&out)
    );

    let out = run(&["compare", s, "scenarios/quickstart.yaml", "--seeds", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&where_), "{}", stderr(&out));
    let out = run(&[
        "check",
        "results/baselines/quickstart.json",
        "--scenario",
        s,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&where_), "{}", stderr(&out));

    let dir = scratch("strict_sweep");
    let sweep = write(
        &dir,
        "sweep.yaml",
        &format!("scenario: {s}\nseeds: 1\naxes:\n- path: run.until\n  values: [1h]\n"),
    );
    let out = run(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("backofLimit"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did you mean \"backoffLimit\"?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_upstream_example_is_accepted_unmodified() {
    let Some(root) = upstream_examples("every_upstream_example_is_accepted_unmodified") else {
        return;
    };
    let mut files = vec![];
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p.display().to_string());
            }
        }
    }
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let mut args = vec![
        "validate",
        "--feature-gates",
        "RestartJob=true,InPlaceRestart=true",
    ];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("invalid"), "{}", stdout(&out));
}

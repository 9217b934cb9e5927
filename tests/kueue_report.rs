//! Kueue's metrics where people compare runs: `compare` on two Kueue scenarios that differ
//! only in their quotas prints the `kueue.*` headline metrics side by side.

mod common;
use common::*;

/// scenarios/kueue/multi-team.yaml and its files copied to `dir`, with the TPU quotas of
/// team-a and team-b (64 chips each) replaced by `a` and `b`.
fn multi_team_with_quotas(dir: &std::path::Path, a: u32, b: u32) -> String {
    let src = repo().join("scenarios/kueue");
    std::fs::create_dir_all(dir.join("manifests")).unwrap();
    for entry in std::fs::read_dir(src.join("manifests")).unwrap() {
        let p = entry.unwrap().path();
        if !p.is_file() {
            continue;
        }
        std::fs::copy(&p, dir.join("manifests").join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(src.join("multi-team.yaml"), dir.join("multi-team.yaml")).unwrap();
    let objects = std::fs::read_to_string(src.join("kueue-objects.yaml")).unwrap();
    let quota = "{name: google.com/tpu, nominalQuota: 64}";
    assert_eq!(objects.matches(quota).count(), 2, "team-a's, then team-b's");
    let objects = objects
        .replacen(
            quota,
            &format!("{{name: google.com/tpu, nominalQuota: {a}}}"),
            1,
        )
        .replacen(
            quota,
            &format!("{{name: google.com/tpu, nominalQuota: {b}}}"),
            1,
        );
    write(dir, "kueue-objects.yaml", &objects);
    dir.join("multi-team.yaml").to_str().unwrap().to_string()
}

#[test]
fn compare_shows_the_kueue_metrics_of_two_quota_splits_side_by_side() {
    let even = multi_team_with_quotas(&scratch("kueue_compare_even"), 64, 64);
    let skewed = multi_team_with_quotas(&scratch("kueue_compare_skewed"), 112, 16);
    let o = run(&["compare", &even, &skewed, "--seeds", "2", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let c: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let metrics = c["metrics"].as_array().unwrap();
    let kueue: Vec<&serde_json::Value> = metrics
        .iter()
        .filter(|m| m["name"].as_str().unwrap().starts_with("kueue."))
        .collect();
    let names: Vec<&str> = kueue.iter().map(|m| m["name"].as_str().unwrap()).collect();
    for want in [
        "kueue.queued_s",
        "kueue.queued_s.p95",
        "kueue.queued_s.max",
        "kueue.admitted_to_pods_ready_s",
        "kueue.admitted",
        "kueue.pending_at_end",
        "kueue.evictions",
        "kueue.preemptions",
        "kueue.reclaimable_pods",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for m in &kueue {
        assert_eq!(m["n"], 2, "both sides on both seeds: {m}");
    }
    // The quotas matter: with team-a's quota raised to the 112 chips its pre-training holds it
    // borrows nothing, team-b (16 chips) has nothing to reclaim, and its second inference
    // replica waits 55 minutes for the first to end instead of preempting the pre-training.
    let queued = kueue
        .iter()
        .find(|m| m["name"] == "kueue.queued_s")
        .unwrap();
    assert!(
        queued["mean_b"].as_f64().unwrap() > queued["mean_a"].as_f64().unwrap(),
        "{queued}"
    );
    assert!(
        queued["verdict"].as_str().unwrap().starts_with("B higher"),
        "{queued}"
    );

    // The table prints them too.
    let o = run(&["compare", &even, &skewed, "--seeds", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("kueue.queued_s "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("B higher by"), "{line}");
}

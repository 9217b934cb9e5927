//! Control-plane profiles change the constants a scenario resolves to; scenario keys override
//! them; a profile file is read relative to the scenario and counts in its hash.

use super::common::*;
use jobset_sim::params::ControlPlane;
use jobset_sim::scenario::load_scenario_from_str;
use std::path::Path;

fn control_of(text: &str, base: &Path) -> ControlPlane {
    load_scenario_from_str("s.yaml", text, base)
        .unwrap_or_else(|e| panic!("{e}"))
        .control
}

#[test]
fn selecting_a_profile_changes_the_constants_and_scenario_keys_override_it() {
    let here = Path::new(".");
    let default = control_of(SMALL_SCENARIO, here);
    assert_eq!(default, ControlPlane::default());
    assert_eq!(control_of(&scenario_with("{profile: ci}"), here), default);
    let gke = control_of(&scenario_with("{profile: gke}"), here);
    assert_ne!(gke, default);
    assert_eq!(gke.scheduler.per_node_filter_cost_ns, 30);
    assert_eq!(gke.scheduler.per_node_score_cost_ns, 390);
    assert_eq!(gke.scheduler.client.qps, 465.0);
    assert_eq!(gke.scheduler.per_rejected_node_cost_ns, 10);
    assert_eq!(gke.job_controller_client.qps, 450.0);
    // The two InterPodAffinity constants are read apart (ci's fit, gke's 0.3 x).
    assert_eq!(default.scheduler.affinity_per_existing_pod_cost_ns, 2_600);
    assert_eq!(default.scheduler.affinity_per_pod_term_cost_ns, 670);
    assert_eq!(gke.scheduler.affinity_per_existing_pod_cost_ns, 780);
    assert_eq!(gke.scheduler.affinity_per_pod_term_cost_ns, 201);
    let split = control_of(
        &scenario_with("{profile: gke, scheduler: {affinityPerPodTermCost: 5us}}"),
        here,
    );
    assert_eq!(split.scheduler.affinity_per_pod_term_cost_ns, 5_000);
    assert_eq!(split.scheduler.affinity_per_existing_pod_cost_ns, 780);
    // The scenario's own keys win; the rest stays the profile's.
    let mixed = control_of(
        &scenario_with("{profile: gke, scheduler: {perNodeFilterCost: 55ns, qps: 70}}"),
        here,
    );
    assert_eq!(mixed.scheduler.per_node_filter_cost_ns, 55);
    assert_eq!(mixed.scheduler.client.qps, 70.0);
    assert_eq!(mixed.scheduler.client.burst, 465);
    assert_eq!(mixed.scheduler.per_node_score_cost_ns, 390);
}

#[test]
fn a_profile_file_is_read_relative_to_the_scenario_and_hashed() {
    let dir = scratch("profile_file_relative");
    std::fs::create_dir_all(dir.join("profiles")).unwrap();
    let mine = ci_text()
        .replace("name: ci", "name: mine")
        .replace("perNodeFilterCost: 100ns", "perNodeFilterCost: 42ns");
    write(&dir.join("profiles"), "mine.yaml", &mine);
    let text = scenario_with("{profile: profiles/mine.yaml}");
    let scenario = load_scenario_from_str("s.yaml", &text, &dir).unwrap();
    assert_eq!(scenario.control.scheduler.per_node_filter_cost_ns, 42);
    // Editing the profile changes the scenario's hash: results depend on it.
    write(
        &dir.join("profiles"),
        "mine.yaml",
        &mine.replace("42ns", "43ns"),
    );
    let again = load_scenario_from_str("s.yaml", &text, &dir).unwrap();
    assert_ne!(scenario.hash, again.hash);
    // A built-in profile adds nothing to the hash but its name in the text.
    let plain = load_scenario_from_str("s.yaml", SMALL_SCENARIO, &dir).unwrap();
    let ci = load_scenario_from_str("s.yaml", &scenario_with("{profile: ci}"), &dir).unwrap();
    assert_ne!(plain.hash, ci.hash);
}

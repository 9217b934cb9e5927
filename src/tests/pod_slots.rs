//! Reused pod slots (`sim::pod_store`) change no run: the same scenario run with slots reused
//! and with every pod keeping its slot (as before issue #17's step 2) gives the same event
//! stream (`event_digest`) and the same summary, with every invariant swept in both.

use super::common::run_checked;
use crate::sim::Sim;

fn run(path: &str, reuse: bool) -> Sim {
    let scenario = crate::scenario::load_scenario(std::path::Path::new(path)).expect(path);
    let mut sim = Sim::new(scenario).expect(path);
    sim.pods.keep_released = !reuse;
    run_checked(&mut sim);
    sim
}

fn summary(sim: &Sim) -> String {
    serde_json::to_string(&crate::report::summary::build(sim, 0)).expect("serializes")
}

#[test]
fn a_run_with_reused_slots_is_the_run_without() {
    let mut reused_some = false;
    for path in [
        "scenarios/policies/restart-jobset.yaml",
        "scenarios/policies/in-place-restart.yaml",
        "scenarios/policies/recreate.yaml",
        "scenarios/policies/restart-job.yaml",
        "scenarios/stalled-recovery.yaml",
        "scenarios/kueue/tas-stalled-recovery.yaml",
        "scenarios/kueue/provisioning-delay.yaml",
    ] {
        let kept = run(path, false);
        let reused = run(path, true);
        assert_eq!(
            kept.pods.slots(),
            kept.pods.len(),
            "{path}: every pod kept its slot"
        );
        assert!(reused.pods.slots() <= reused.pods.len(), "{path}");
        reused_some |= reused.pods.slots() < reused.pods.len();
        assert_eq!(kept.pods.len(), reused.pods.len(), "{path}");
        assert_eq!(kept.event_digest.hex(), reused.event_digest.hex(), "{path}");
        assert_eq!(summary(&kept), summary(&reused), "{path}");
    }
    assert!(reused_some, "no run reused a slot");
}

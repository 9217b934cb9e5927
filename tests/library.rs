//! The library API as a program using the crate sees it: load a scenario, run it, read its
//! summary; a bad scenario is an `Error` with the command line's exit code.

use jobset_sim::{Scenario, Simulation};
use std::path::Path;

fn quickstart() -> Scenario {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Scenario::load(&root.join("scenarios/quickstart.yaml")).expect("quickstart loads")
}

#[test]
fn a_loaded_scenario_runs_to_its_summary() {
    let scenario = quickstart();
    assert_eq!(scenario.name(), "quickstart");
    let mut run = Simulation::new(scenario.clone()).unwrap();
    run.check_invariants_every(100).run().unwrap();
    assert!(run.events_delivered() > 0);
    let summary = run.summary_json();
    assert_eq!(summary["seed"], scenario.seed());
    assert_eq!(summary["jobsets"][0]["terminal_state"], "Completed");
    assert_eq!(summary["pods"]["created"], 5);
    assert_eq!(summary["pods"]["succeeded"], 5);
}

#[test]
fn the_same_seed_gives_the_same_summary_and_another_seed_is_reported() {
    let summary = |scenario: Scenario| {
        let mut run = Simulation::new(scenario).unwrap();
        run.run().unwrap();
        let mut s = run.summary_json();
        s.as_object_mut().unwrap().remove("wall_ms");
        s
    };
    assert_eq!(summary(quickstart()), summary(quickstart()));
    let other = summary(quickstart().with_seed(9));
    assert_eq!(other["seed"], 9);
}

#[test]
fn bad_input_is_an_error_with_exit_code_2_naming_the_file_and_field() {
    let text =
        "name: bad\nrun: {until: soon}\ncluster: {nodePools: [{name: p, capacity: {cpu: 1}}]}\n";
    let err = Scenario::from_text("bad.yaml", text, Path::new("."))
        .err()
        .expect("an unparseable duration is refused");
    assert_eq!(err.exit_code(), 2);
    let message = err.to_string();
    assert!(
        message.contains("bad.yaml") && message.contains("run.until"),
        "{message}"
    );
    let missing = Scenario::load(Path::new("no-such-scenario.yaml"))
        .err()
        .unwrap();
    assert_eq!(missing.exit_code(), 2);
}

//! `jobset-sim calibrate`: every fitted target within tolerance, predictions reported.

mod common;
use common::*;

#[test]
fn fitted_targets_pass_and_predictions_are_reported() {
    let out = run(&["calibrate", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let results: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "T2a", "T2b", "T4-order", "T4-ratio", "T5-100", "T5-300", "T6", "T8", "T1", "T3",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for r in &results {
        match r["kind"].as_str().unwrap() {
            "fitted" => assert_eq!(r["pass"], true, "{r}"),
            "prediction" => {
                assert!(r["pass"].is_null() && r["tolerance"].is_null(), "{r}");
                assert!(r["simulated"].as_f64().unwrap() > 0.0, "{r}");
            }
            k => panic!("unknown kind {k}"),
        }
        let ratio = r["simulated"].as_f64().unwrap() / r["published"].as_f64().unwrap();
        assert!((ratio - r["ratio"].as_f64().unwrap()).abs() < 1e-9);
    }
}

#[test]
fn table_output_names_every_target() {
    let out = run(&["calibrate"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("TARGET"), "{text}");
    assert!(text.contains("T1") && text.contains("reported"), "{text}");
}

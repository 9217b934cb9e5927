//! The numbers a gate accepts cover every number of real summaries.

use super::common::*;

/// Every number a real summary holds is a name a gate accepts (gates::SUMMARY_NUMBERS), so
/// the load-time check never refuses a real path.
#[test]
fn gate_paths_cover_every_number_of_real_summaries() {
    fn leaves(v: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    // Resource names hold dots: a gate quotes such a key.
                    let p = if k.contains('.') {
                        format!("{path}[{k:?}]")
                    } else if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    leaves(x, p, out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    leaves(x, format!("{path}[{i}]"), out);
                }
            }
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => out.push(path),
            _ => {}
        }
    }
    let mut summaries = vec![];
    for entry in std::fs::read_dir(repo().join("results/baselines")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        summaries.push(serde_json::from_str::<serde_json::Value>(&text).unwrap());
    }
    // Faults with causes and a training model; Kueue with admission checks, fair sharing
    // (weighted shares) and admission fair sharing (LocalQueue ledgers).
    for path in [
        "scenarios/validation/meta-rsc-ckpt-5m.yaml",
        "scenarios/kueue/provisioning-delay.yaml",
        "scenarios/kueue/fair-sharing.yaml",
        "scenarios/kueue/admission-fair-sharing.yaml",
    ] {
        let scenario = crate::scenario::load_scenario(&repo().join(path)).unwrap();
        let summary =
            crate::runner::run_to_summary(scenario.clone(), scenario.seed, false).unwrap();
        summaries.push(summary);
    }
    let mut missing = std::collections::BTreeSet::new();
    let mut seen = 0;
    for s in &summaries {
        let mut paths = vec![];
        leaves(s, String::new(), &mut paths);
        for p in paths
            .iter()
            .filter(|p| !["wall_ms", "schema_version"].contains(&p.as_str()))
        {
            seen += 1;
            let fp = jobset_sim::fieldpath::FieldPath::parse(p).unwrap();
            if !jobset_sim::gates::is_summary_number(&fp) {
                missing.insert(jobset_sim::gates::pattern_tokens(&fp).join("."));
            }
        }
    }
    assert!(seen > 100, "{seen}");
    assert!(
        missing.is_empty(),
        "summary.json numbers a gate would refuse: add them to gates::SUMMARY_NUMBERS \
         (and docs/metrics.md): {missing:?}"
    );
}

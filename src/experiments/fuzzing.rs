//! Entry points of the fuzz targets (`fuzz/`, docs/fuzzing.md), kept in the library so the
//! committed seeds and regression inputs also run as an ordinary test (`tests/fuzz_corpus.rs`)
//! on the stable toolchain. Each takes arbitrary bytes and must return without panicking,
//! whatever they hold. Public only because the fuzz crate and the test are other crates.

use std::collections::BTreeMap;
use std::path::Path;

/// Inputs longer than this are skipped: the loaders' cost on huge inputs is a separate
/// question (issue 15, finding 2), and the fuzzer's value is in the variety of small ones.
const MAX_INPUT_BYTES: usize = 64 * 1024;

fn text(data: &[u8]) -> Option<&str> {
    if data.len() > MAX_INPUT_BYTES {
        return None;
    }
    std::str::from_utf8(data).ok()
}

/// The scenario loader (which also loads inline manifests and applies admission). Manifest
/// paths resolve under a directory that does not exist, so no file is read.
pub fn scenario(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let base = Path::new("/nonexistent-fuzz-base");
    if let Err(e) = crate::scenario::load_scenario_from_str("fuzz.yaml", text, base) {
        let _ = e.to_string();
    }
}

/// The first byte picks the feature gates; the rest is a manifest stream, as `validate` reads it.
pub fn manifest(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some(text) = text(rest) else { return };
    let gates = gates(flags);
    match crate::api::load::load_documents("fuzz.yaml", text) {
        Ok(docs) => {
            let report =
                crate::validate::report(&[("fuzz.yaml".into(), text.to_string(), docs)], &gates);
            let _ = report.text.len();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The first byte picks the feature gates; the rest is a JobSet as JSON, defaulted and
/// validated as the API server would at creation.
pub fn admission(data: &[u8]) {
    let _ = admission_errors(data);
}

/// What [`admission`] finds: `None` when the bytes are no JobSet, else the creation errors.
pub fn admission_errors(data: &[u8]) -> Option<Vec<String>> {
    let (&flags, rest) = data.split_first()?;
    if rest.len() > MAX_INPUT_BYTES {
        return None;
    }
    let mut js = serde_json::from_slice::<crate::api::types::JobSet>(rest).ok()?;
    crate::api::defaults::default_jobset(&mut js);
    let errors = crate::api::validation::validate_create(&js, &gates(flags), &[]);
    Some(errors.iter().map(|e| e.to_string()).collect())
}

fn gates(flags: u8) -> BTreeMap<String, bool> {
    [
        "RestartJob",
        "InPlaceRestart",
        "ElasticJobSet",
        "TLSOptions",
    ]
    .iter()
    .enumerate()
    .map(|(i, g)| (g.to_string(), flags & (1 << i) != 0))
    .collect()
}

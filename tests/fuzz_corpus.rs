//! The fuzz targets' committed inputs run through the same entry points on every test run, on
//! the stable toolchain (docs/fuzzing.md): the seed corpus (`fuzz/seeds/`, rebuilt by
//! `scripts/fuzz-seeds.py`) and every minimised crash or slow input (`tests/fuzz-regressions/`).
//! An input that panics again fails its test, named.

use jobset_sim::fuzzing;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One input through its target; a panic names the file. A regression input that is slow again
/// (issue 15's quadratic parsing took 21 s) fails too: the bound is generous for a debug build
/// on a loaded machine.
const SLOW_INPUT: Duration = Duration::from_secs(20);

fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn replay(target: &str, run: fn(&[u8])) {
    let seeds = inputs(&root().join("fuzz").join("seeds").join(target));
    assert!(
        seeds.len() >= 10,
        "fuzz/seeds/{target} holds {} inputs",
        seeds.len()
    );
    let regressions = inputs(&root().join("tests").join("fuzz-regressions").join(target));
    for (path, data) in seeds.iter().chain(&regressions) {
        let started = Instant::now();
        if std::panic::catch_unwind(|| run(data)).is_err() {
            panic!("{}: the {target} target panicked", path.display());
        }
        let took = started.elapsed();
        assert!(
            took < SLOW_INPUT,
            "{}: {target} took {took:?}",
            path.display()
        );
    }
}

#[test]
fn scenario_inputs() {
    replay("scenario", fuzzing::scenario);
}

#[test]
fn manifest_inputs() {
    replay("manifest", fuzzing::manifest);
}

#[test]
fn admission_inputs() {
    replay("admission", fuzzing::admission);
}

/// The seeds are valid, so the fuzzer starts from deep inside the loaders: every scenario seed
/// loads (manifest paths resolved where the seed came from) and every JobSet seed passes
/// admission with all feature gates on.
#[test]
fn seeds_are_valid() {
    for (path, data) in inputs(&root().join("fuzz").join("seeds").join("scenario")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = String::from_utf8(data).unwrap();
        let base = if name.starts_with("scenarios_") {
            // scenarios_policies_recreate.yaml came from scenarios/policies/.
            let dir = name
                .trim_end_matches(".yaml")
                .split('_')
                .collect::<Vec<_>>();
            root().join(dir[..dir.len() - 1].join("/"))
        } else {
            root()
        };
        jobset_sim::Scenario::from_text(&name, &text, &base)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (path, data) in inputs(&root().join("fuzz").join("seeds").join("admission")) {
        let errors = fuzzing::admission_errors(&data);
        assert_eq!(errors, Some(vec![]), "{}", path.display());
    }
}

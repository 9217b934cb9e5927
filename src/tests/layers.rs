//! The folder layout is the layering (docs/architecture.md): a module may use modules of its own
//! layer and of the layers above it, never of one below. Each top-level module's layer is read
//! from where `lib.rs` puts it; every `crate::<module>` a file names is checked against it.

use super::common::{repo, rust_files};
use std::collections::BTreeMap;
use std::path::Path;

/// The layers, top (used by all) to bottom (uses all), as folders under `src/`.
const LAYERS: &[&str] = &["engine", "input", "world", "report", "experiments", "cli"];

fn layer_of_folder(path: &str) -> Option<usize> {
    let first = path.split('/').next()?;
    LAYERS.iter().position(|l| *l == first)
}

/// Each top-level module of `lib.rs` and its layer: from its `#[path]`, or its own folder.
fn module_layers(lib_rs: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let mut path_attr: Option<String> = None;
    for line in lib_rs.lines().map(str::trim) {
        if let Some(p) = line.strip_prefix("#[path = \"") {
            path_attr = p.strip_suffix("\"]").map(str::to_string);
            continue;
        }
        let decl = line.strip_prefix("pub ").unwrap_or(line);
        let Some(name) = decl.strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) else {
            continue;
        };
        let folder = path_attr.take().unwrap_or_else(|| name.to_string());
        if let Some(layer) = layer_of_folder(&folder) {
            out.insert(name.to_string(), layer);
        }
    }
    out
}

/// The modules a source text names as `crate::<module>`, comments left out.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for part in code.split("crate::").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((i + 1, name));
        }
    }
    out
}

/// Uses of a lower layer, as `file:line: layer uses crate::module (layer)`.
fn backward_uses(src: &Path, layers: &BTreeMap<String, usize>) -> Vec<String> {
    let mut found = vec![];
    for (layer, folder) in LAYERS.iter().enumerate() {
        let mut files = vec![];
        let dir = src.join(folder);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, module) in crate_paths(&text) {
                if let Some(&used) = layers.get(&module) {
                    if used > layer {
                        found.push(format!(
                            "{}:{line}: {folder} uses crate::{module} ({})",
                            file.display(),
                            LAYERS[used]
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_layer_uses_a_layer_below_it() {
    let src = repo().join("src");
    let layers = module_layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    for module in ["engine", "scenario", "scheduler", "report", "sweep", "cli"] {
        assert!(
            layers.contains_key(module),
            "{module} not mapped: {layers:?}"
        );
    }
    let found = backward_uses(&src, &layers);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_backward_use() {
    // A checker that cannot fail proves nothing: a world file naming an experiment is caught.
    let layers = module_layers("#[path = \"world/sim/mod.rs\"]\nmod sim;\n#[path = \"experiments/sweep/mod.rs\"]\nmod sweep;\n");
    assert_eq!(layers["sim"], 2);
    assert_eq!(layers["sweep"], 4);
    let names = crate_paths("use crate::sweep::spec; // crate::cli in a comment\n");
    assert_eq!(names, vec![(1, "sweep".to_string())]);
    let src = super::common::scratch("layers_backward");
    std::fs::create_dir_all(src.join("world/sim")).unwrap();
    std::fs::write(
        src.join("world/sim/mod.rs"),
        "fn f() { crate::sweep::run(); }\n",
    )
    .unwrap();
    let found = backward_uses(&src, &layers);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("mod.rs:1: world uses crate::sweep (experiments)"));
}

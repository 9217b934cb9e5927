//! Functions short enough to read at once (issue #11): no function of the crate outside its
//! tests is longer than `MAX_FUNCTION_LINES`, counted from its `fn` line to its closing brace
//! as `cargo fmt` lays it out. A longer one is split into named steps (docs/architecture.md).
//! A `match` that is a flat table of one-call arms may grow to the limit, not past it.

use super::common::{repo, rust_files};

const MAX_FUNCTION_LINES: usize = 80;

/// A function found in a source text.
#[derive(Debug, PartialEq)]
struct Function {
    first_line: usize,
    name: String,
    lines: usize,
}

/// The name of the function a line declares, if it declares one (`pub`, `pub(crate)`,
/// `const`, `async`, `unsafe` and `extern "C"` qualifiers allowed).
fn declared_fn(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    for qualifier in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("extern \"C\" ").unwrap_or(rest);
    let after = rest.strip_prefix("fn ")?;
    let end = after
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    (end > 0).then(|| &after[..end])
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Every function with a body in `text`, with its length in lines.
fn functions(text: &str) -> Vec<Function> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < lines.len() {
        let Some(name) = declared_fn(lines[i]) else {
            i += 1;
            continue;
        };
        let depth = indent(lines[i]);
        // The signature ends at the line that opens the body, or at `;` (no body).
        let Some(open) = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_end();
            l.ends_with('{') || l.ends_with(';') || l.ends_with('}')
        }) else {
            break;
        };
        let opening = lines[open].trim_end();
        if !opening.ends_with('{') {
            i = open + 1; // a declaration, or a body on one line
            continue;
        }
        let close = (open + 1..lines.len())
            .find(|&k| indent(lines[k]) == depth && lines[k].trim_start().starts_with('}'))
            .unwrap_or(lines.len() - 1);
        out.push(Function {
            first_line: i + 1,
            name: name.to_string(),
            lines: close - i + 1,
        });
        i = close + 1;
    }
    out
}

/// Test code is left out: `src/tests/` and files of tests (`tests.rs`, `*_tests.rs`).
fn is_test_file(relative: &str) -> bool {
    relative.starts_with("tests/") || relative.ends_with("tests.rs")
}

#[test]
fn no_function_outside_tests_is_longer_than_the_limit() {
    let src = repo().join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    files.sort();
    let mut too_long = vec![];
    let mut counted = 0;
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if is_test_file(&relative) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for f in functions(&text) {
            counted += 1;
            if f.lines > MAX_FUNCTION_LINES {
                too_long.push(format!(
                    "src/{relative}:{} {} ({} lines)",
                    f.first_line, f.name, f.lines
                ));
            }
        }
    }
    assert!(
        counted > 1000,
        "only {counted} functions found: the scan is broken"
    );
    assert!(
        too_long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines; split each into named steps:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn the_scan_measures_bodies_and_skips_declarations() {
    let text = "\
pub(crate) fn outline(a: u32) -> u32 {
    step(a)
}

trait T {
    fn declared(&self);
    fn one_line(&self) {}
}

impl X {
    pub fn long(
        &self,
    ) {
        if true {
            body();
        }
    }
}
";
    let found = functions(text);
    let summary: Vec<(usize, &str, usize)> = found
        .iter()
        .map(|f| (f.first_line, f.name.as_str(), f.lines))
        .collect();
    assert_eq!(summary, vec![(1, "outline", 3), (11, "long", 7)]);
}

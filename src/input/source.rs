//! Where a scenario or sweep file comes from — a file, or standard input when the path is `-`
//! — and the `--set PATH=VALUE` edits applied to a scenario before it loads (the same
//! field-path editing as a sweep's axes, `edit`).

use crate::edit;
use crate::error::{InputError, SimError};
use crate::fieldpath::FieldPath;
use crate::scenario::{load_scenario_from_str, Scenario};
use serde_yaml_ng::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How messages name standard input.
pub(crate) const STDIN_NAME: &str = "<stdin>";

pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A file's name for messages, its text, and the directory its relative paths start from
/// (the current directory for standard input).
pub(crate) fn read(path: &Path, what: &str) -> Result<(String, String, PathBuf), SimError> {
    if is_stdin(path) {
        let text = read_text_from(std::io::stdin().lock()).map_err(|e| {
            InputError::new(
                STDIN_NAME,
                format!("cannot read {what} from standard input: {e}"),
            )
        })?;
        return Ok((STDIN_NAME.to_string(), text, PathBuf::from(".")));
    }
    let file = path.display().to_string();
    let text =
        read_text(path).map_err(|e| InputError::new(&file, format!("cannot read {what}: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    Ok((file, text, dir))
}

/// The largest input text read. Scenarios, manifests, profiles, sweep files and summaries are
/// kilobytes to a few megabytes; past this the input is something else (`/dev/zero`, a disk
/// image, a log), and reading it whole would exhaust memory before the parser could say so.
pub(crate) const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads a whole input file (scenario, manifest, profile, sweep file, baseline) as UTF-8 text,
/// refusing one larger than [`MAX_INPUT_BYTES`]; a leading UTF-8 byte order mark, which some
/// editors write, is dropped as `kubectl` drops it. Errors read as the standard library's.
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    read_text_from(std::fs::File::open(path)?)
}

fn read_text_from(reader: impl Read) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        let message = format!(
            "larger than {} MiB: not a scenario, manifest or summary",
            MAX_INPUT_BYTES >> 20
        );
        return Err(Error::new(ErrorKind::InvalidData, message));
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::InvalidData, "stream did not contain valid UTF-8"))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// One `--set PATH=VALUE`: VALUE is YAML (`3`, `true`, `2h`, `[a, b]`, `{cpu: 8}`).
#[derive(Debug, Clone)]
pub(crate) struct Set {
    pub text: String,
    pub path: FieldPath,
    pub value: Value,
}

impl Set {
    pub(crate) fn parse(text: &str) -> Result<Set, InputError> {
        let bad = |m: String| InputError::new("--set", m);
        // The first '=' outside brackets: a quoted key may hold one.
        let mut depth = 0usize;
        let eq = text.char_indices().find_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                '=' if depth == 0 => return Some(i),
                _ => {}
            }
            None
        });
        let eq = eq.ok_or_else(|| {
            bad(format!(
                "{text:?}: expected PATH=VALUE, e.g. run.until=2h or \
                 workloads[0].jobset.spec.failurePolicy.maxRestarts=5"
            ))
        })?;
        let path =
            FieldPath::parse(text[..eq].trim()).map_err(|m| bad(format!("{text:?}: {m}")))?;
        let value: Value = serde_yaml_ng::from_str(&text[eq + 1..])
            .map_err(|e| bad(format!("{text:?}: the value is not YAML: {e}")))?;
        Ok(Set {
            text: text.to_string(),
            path,
            value,
        })
    }

    pub(crate) fn parse_all(texts: &[String]) -> Result<Vec<Set>, SimError> {
        let mut out = vec![];
        let mut errors = vec![];
        for t in texts {
            match Set::parse(t) {
                Ok(s) => out.push(s),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(SimError::Input(errors))
        }
    }
}

/// The scenario text with every edit applied, rendered back to YAML.
pub(crate) fn apply(
    file: &str,
    text: &str,
    base_dir: &Path,
    sets: &[Set],
) -> Result<String, SimError> {
    let mut doc: Value =
        serde_yaml_ng::from_str(text).map_err(|e| crate::yaml::yaml_error(file, e, ""))?;
    for s in sets {
        edit::inline_manifest_for(&mut doc, &s.path, base_dir)
            .and_then(|()| edit::set(&mut doc, &s.path, s.value.clone()))
            .map_err(|m| InputError::new("--set", format!("{}: {m}", s.text)))?;
    }
    serde_yaml_ng::to_string(&doc).map_err(|e| SimError::Internal(format!("rendering: {e}")))
}

/// Loads a scenario (a file, or `-` for standard input) with `--set` edits. The file must load
/// on its own first, so its own errors name their lines; errors of the edited scenario name
/// `FILE (with --set)` and the field path, without lines (they would point into our rendering).
pub(crate) fn load_scenario_with(path: &Path, sets: &[Set]) -> Result<Scenario, SimError> {
    let (file, text, base_dir) = read(path, "scenario")?;
    let plain = load_scenario_from_str(&file, &text, &base_dir)?;
    if sets.is_empty() {
        return Ok(plain);
    }
    let edited = apply(&file, &text, &base_dir, sets)?;
    let shown = format!("{file} (with --set)");
    let scenario = load_scenario_from_str(&shown, &edited, &base_dir).map_err(|e| match e {
        SimError::Input(errors) => SimError::Input(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.file.starts_with(&shown) {
                        e.line = None;
                        e.column = None;
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    })?;
    for s in sets {
        if let Some(m) = edit::unmodelled_edit(&s.path, &scenario, &shown) {
            return Err(InputError::new("--set", format!("{}: {m}", s.text)).into());
        }
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_text_is_bounded_and_loses_its_byte_order_mark() {
        let text = read_text_from(&b"\xef\xbb\xbfname: x\n"[..]).unwrap();
        assert_eq!(text, "name: x\n");
        let endless = std::io::repeat(0);
        let err = read_text_from(endless).unwrap_err().to_string();
        assert!(err.contains("larger than 64 MiB"), "{err}");
        let err = read_text_from(&b"\xff\xfe"[..]).unwrap_err().to_string();
        assert_eq!(err, "stream did not contain valid UTF-8");
    }

    #[test]
    fn parses_path_and_yaml_value() {
        let s = Set::parse("run.until=2h").unwrap();
        assert_eq!(s.path.to_string(), "run.until");
        assert_eq!(s.value, Value::from("2h"));
        let s = Set::parse("workloads[0].jobset.spec.failurePolicy.maxRestarts=5").unwrap();
        assert_eq!(s.value, Value::from(5));
        let s = Set::parse(r#"a["k=v.w"]=[1, 2]"#).unwrap();
        assert_eq!(s.path.to_string(), r#"a["k=v.w"]"#);
        assert!(s.value.is_sequence());
        for bad in ["run.until", "=3", "a..b=1", "a={"] {
            assert!(Set::parse(bad).is_err(), "{bad} accepted");
        }
    }
}

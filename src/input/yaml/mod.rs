//! YAML reading shared by scenarios and manifests: multi-document streams, error locations, field
//! paths, and (for manifests) the list of fields we ignore.

use crate::error::InputError;
use serde::de::DeserializeOwned;

pub(crate) mod locate;
pub(crate) mod nesting;

/// One parsed document and the paths of any fields that were not recognised.
pub(crate) struct Parsed<T> {
    pub value: T,
    pub ignored_paths: Vec<String>,
    /// 0-based position of the document in the stream.
    pub doc_index: usize,
}

/// Splits a YAML stream into documents as generic values (for a first look at `kind`).
pub(crate) fn documents(file: &str, text: &str) -> Result<Vec<serde_yaml_ng::Value>, InputError> {
    nesting::check(file, text)?;
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let value =
            serde_yaml_ng::Value::deserialize_from(doc).map_err(|e| yaml_error(file, e, ""))?;
        out.push(value);
    }
    Ok(out)
}

trait DeserializeFrom: Sized {
    fn deserialize_from(d: serde_yaml_ng::Deserializer<'_>) -> Result<Self, serde_yaml_ng::Error>;
}

impl DeserializeFrom for serde_yaml_ng::Value {
    fn deserialize_from(d: serde_yaml_ng::Deserializer<'_>) -> Result<Self, serde_yaml_ng::Error> {
        serde::Deserialize::deserialize(d)
    }
}

/// Deserializes document `wanted` of the stream into `T`, with field paths on errors. When
/// `collect_ignored` is set, fields `T` does not declare are collected instead of failing
/// (types with `deny_unknown_fields` fail on them regardless).
pub(crate) fn parse_document<T: DeserializeOwned>(
    file: &str,
    text: &str,
    wanted: usize,
    collect_ignored: bool,
) -> Result<Parsed<T>, InputError> {
    nesting::check(file, text)?;
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        if i != wanted {
            continue;
        }
        let mut ignored = Vec::new();
        let mut track = serde_path_to_error::Track::new();
        let result: Result<T, serde_yaml_ng::Error> = if collect_ignored {
            let tracked = serde_path_to_error::Deserializer::new(doc, &mut track);
            serde_ignored::deserialize(tracked, |path| ignored.push(format_ignored_path(&path)))
        } else {
            let tracked = serde_path_to_error::Deserializer::new(doc, &mut track);
            T::deserialize(tracked)
        };
        return match result {
            Ok(value) => Ok(Parsed {
                value,
                ignored_paths: ignored,
                doc_index: i,
            }),
            Err(e) => {
                let path = track.path().to_string();
                let mut err = yaml_error(file, e, &path);
                // An error raised once a whole value was read (an `untagged` enum, a type that
                // reads a `Value` first) carries the document's start, not the value's: place
                // it by its path instead.
                if (err.line, err.column) == (Some(1), Some(1)) {
                    if let Some((line, column)) = locate::locate(text, i, &path) {
                        err = err.at_line(line, column);
                    }
                }
                Err(err)
            }
        };
    }
    Err(InputError::new(
        file,
        format!("document {} not found", wanted + 1),
    ))
}

/// Turns a serde_yaml_ng error into an InputError with line, column and path.
pub(crate) fn yaml_error(file: &str, e: serde_yaml_ng::Error, path: &str) -> InputError {
    let mut message = e.to_string();
    // The library appends " at line L column C"; we print the location ourselves.
    if let Some(pos) = message.rfind(" at line ") {
        message.truncate(pos);
    }
    // serde_yaml_ng may prefix the path (or its parent); we print the path ourselves.
    if !path.is_empty() && path != "." {
        if let Some((prefix, rest)) = message.split_once(": ") {
            if path.starts_with(prefix) {
                message = rest.to_string();
            }
        }
    }
    let mut err = InputError::new(file, message).at_path(path);
    if let Some(loc) = e.location() {
        err = err.at_line(loc.line(), loc.column());
    }
    err
}

/// Formats a serde_ignored path the way Kubernetes prints field paths: `a.b[0].c`.
fn format_ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", format_ignored_path(parent)),
        Path::Map { parent, key } => {
            let p = format_ignored_path(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => format_ignored_path(parent),
    }
}

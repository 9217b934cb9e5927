//! Control-plane profiles: every constant of `controlPlane:` for one hardware class, as a YAML
//! file a user can copy and edit (`profiles/*.yaml`; docs/calibration.md says where each value
//! comes from and how to fit a profile of one's own).
//!
//! A scenario names one with `controlPlane.profile` (a built-in name, or a file relative to the
//! scenario file); its other `controlPlane` keys override the profile's values. Without one, a
//! scenario runs on `ControlPlane::default()`, which the built-in `ci` profile states exactly.
//!
//! A profile must set every constant: a missing one would silently take the `ci` value, and a
//! profile is meant to say everything about its hardware class. The constants a profile must
//! set are the leaves of the built-in `ci` profile's `controlPlane` (tests/docs_drift.rs checks
//! that those are every key of `ControlPlaneSection` but the scenario's choices).

use super::control_plane;
use super::types::ControlPlaneSection;
use super::Problems;
use crate::error::{InputError, SimError};
use crate::params::ControlPlane;
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::path::Path;

/// The profiles the binary carries: (name, file as shown in messages, text).
pub(crate) const BUILT_IN: &[(&str, &str, &str)] = &[
    (
        "ci",
        "profiles/ci.yaml",
        include_str!("../../../profiles/ci.yaml"),
    ),
    (
        "gke",
        "profiles/gke.yaml",
        include_str!("../../../profiles/gke.yaml"),
    ),
];

/// Every target `calibrate` runs, in its order (`crate::calibrate` builds them); a profile's
/// `fittedTargets` names some of them.
pub(crate) const TARGET_IDS: &[&str] = &[
    "T2a",
    "T2b",
    "T4-order",
    "T4-ratio",
    "T4-match",
    "T5-100",
    "T5-300",
    "T6-ds",
    "T6-ds-perf",
    "T6-scan",
    "T8",
    "G1",
    "G1-lag",
    "G2a",
    "G2b",
    "T1",
    "T3",
    "T1-ns",
    "T3-ns",
];

/// The profile whose constants are `ControlPlane::default()`.
#[cfg(test)]
pub(crate) const DEFAULT_PROFILE: &str = "ci";

/// `controlPlane` keys a scenario chooses (what to model, not how fast the hardware is): a
/// profile may not set them.
pub(crate) const SCENARIO_CHOICES: &[&str] = &[
    "profile",
    "scheduler.scoringStrategy",
    "jobsetController.version",
    "jobsetController.exclusivePlacement",
];

/// A profile file as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfileFile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// `calibrate` targets these constants were fitted to (gating its exit code under this
    /// profile); the other targets are reported as predictions.
    #[serde(default)]
    fitted_targets: Vec<String>,
    control_plane: ControlPlaneSection,
}

/// A loaded profile.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub name: String,
    /// Where it was read from, as messages show it (`profiles/gke.yaml` for a built-in one).
    pub file: String,
    /// The profile's `description:`, printed under `calibrate`'s table.
    pub description: String,
    pub fitted_targets: Vec<String>,
    pub control: ControlPlane,
}

/// Whether `spec` names a built-in profile rather than a file.
pub(crate) fn is_built_in(spec: &str) -> bool {
    BUILT_IN.iter().any(|(name, _, _)| *name == spec)
}

/// Loads the profile `spec` names: a built-in name, or a file (relative paths from
/// `base_dir`). Problems inside the file are located in it (file:line:column and field path);
/// a name that is neither is one error against `--profile`-style `origin`.
pub(crate) fn load(spec: &str, base_dir: &Path, origin: &str) -> Result<Profile, SimError> {
    let (file, text) = source(spec, base_dir).map_err(|m| InputError::new(origin, m))?;
    parse(&file, &text).map_err(SimError::Input)
}

/// The file name to show and the text of the profile `spec` names.
pub(super) fn source(spec: &str, base_dir: &Path) -> Result<(String, String), String> {
    if let Some((_, file, text)) = BUILT_IN.iter().find(|(name, _, _)| *name == spec) {
        return Ok((file.to_string(), text.to_string()));
    }
    if !looks_like_path(spec) {
        let names: Vec<&str> = BUILT_IN.iter().map(|(n, _, _)| *n).collect();
        return Err(format!(
            "{spec:?} is not a built-in profile ({}) nor a profile file (a path ending in .yaml or .yml)",
            names.join(", ")
        ));
    }
    // Relative to the scenario file; `calibrate --profile` passes "" (the current directory).
    let path = base_dir.join(spec);
    let shown = path.display().to_string();
    crate::source::read_text(&path)
        .map(|text| (shown.clone(), text))
        .map_err(|e| format!("cannot read profile {shown}: {e}"))
}

fn looks_like_path(spec: &str) -> bool {
    spec.contains('/') || spec.ends_with(".yaml") || spec.ends_with(".yml")
}

/// Reads a profile's text: every constant present, none of the scenario's choices, each
/// value of the right type and in range. All problems are reported together, located.
pub(crate) fn parse(file: &str, text: &str) -> Result<Profile, Vec<InputError>> {
    let docs = crate::yaml::documents(file, text).map_err(|e| vec![e])?;
    let non_empty: Vec<&Value> = docs.iter().filter(|d| !d.is_null()).collect();
    if non_empty.len() != 1 || !non_empty[0].is_mapping() {
        return Err(vec![InputError::new(
            file,
            "a profile file holds one YAML mapping (name, controlPlane, fittedTargets)",
        )]);
    }
    let raw = crate::yaml::parse_document::<ProfileFile>(file, text, 0, false)
        .map_err(|e| vec![e])?
        .value;
    let mut problems = Problems { file, list: vec![] };
    if raw.name.trim().is_empty() {
        problems.at("name", "must not be empty");
    }
    check_keys(non_empty[0], &mut problems);
    check_targets(&raw.fitted_targets, &mut problems);
    let control =
        control_plane::resolve(&raw.control_plane, ControlPlane::default(), &mut problems);
    if !problems.list.is_empty() {
        let mut errors = problems.list;
        for e in &mut errors {
            crate::yaml::locate::fill(e, text, 0);
        }
        return Err(errors);
    }
    Ok(Profile {
        name: raw.name,
        file: file.to_string(),
        description: raw.description.unwrap_or_default(),
        fitted_targets: raw.fitted_targets,
        control,
    })
}

/// Every constant the `ci` profile sets is set; no scenario choice is.
fn check_keys(doc: &Value, problems: &mut Problems) {
    let control = doc.get("controlPlane");
    for key in SCENARIO_CHOICES {
        if control.is_some_and(|c| lookup(c, key).is_some()) {
            problems.at(
                format!("controlPlane.{key}"),
                "is a scenario's choice, not a constant of the hardware: set it in the scenario's controlPlane",
            );
        }
    }
    for key in constant_keys() {
        if control.and_then(|c| lookup(c, &key)).is_none() {
            problems.at(
                format!("controlPlane.{key}"),
                "missing: a profile sets every constant (copy it from profiles/ci.yaml)",
            );
        }
    }
}

fn check_targets(targets: &[String], problems: &mut Problems) {
    for (i, id) in targets.iter().enumerate() {
        if !TARGET_IDS.contains(&id.as_str()) {
            problems.at(
                format!("fittedTargets[{i}]"),
                format!(
                    "{id:?} is not a calibrate target; targets: {}",
                    TARGET_IDS.join(", ")
                ),
            );
        }
    }
}

/// The dotted paths (under `controlPlane`) of every constant a profile sets: the leaves of the
/// built-in `ci` profile.
pub(crate) fn constant_keys() -> Vec<String> {
    let ci = serde_yaml_ng::from_str::<Value>(BUILT_IN[0].2).unwrap_or(Value::Null);
    let mut out = vec![];
    if let Some(control) = ci.get("controlPlane") {
        leaves(control, "", &mut out);
    }
    out
}

fn leaves(value: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(map) = value.as_mapping() else {
        out.push(prefix.to_string());
        return;
    };
    for (key, child) in map {
        let key = key.as_str().unwrap_or_default();
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        leaves(child, &path, out);
    }
}

/// The value at a dotted path of mappings, if every step is there (and the leaf is not null).
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_states_the_defaults() {
        let ci = parse(BUILT_IN[0].1, BUILT_IN[0].2).unwrap();
        assert_eq!(ci.name, DEFAULT_PROFILE);
        assert_eq!(ci.control, ControlPlane::default());
    }

    #[test]
    fn every_built_in_profile_loads() {
        for (name, file, text) in BUILT_IN {
            let p = parse(file, text).unwrap_or_else(|e| panic!("{file}: {e:?}"));
            assert_eq!(&p.name, name);
            assert!(!p.fitted_targets.is_empty(), "{file}");
        }
    }

    #[test]
    fn a_missing_constant_is_named_at_its_parent() {
        let text = BUILT_IN[0].2.replace("    perNodeScoreCost: 1300ns", "");
        let errors = parse("mine.yaml", &text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(
            e.path.as_deref(),
            Some("controlPlane.scheduler.perNodeScoreCost")
        );
        let scheduler_line = text.lines().position(|l| l == "  scheduler:").unwrap() + 1;
        assert_eq!(e.line, Some(scheduler_line), "{e}");
    }

    #[test]
    fn a_scenario_choice_is_refused() {
        let text = BUILT_IN[0].2.replace(
            "  scheduler:\n",
            "  scheduler:\n    scoringStrategy: MostAllocated\n",
        );
        let errors = parse("mine.yaml", &text).unwrap_err();
        assert_eq!(
            errors[0].path.as_deref(),
            Some("controlPlane.scheduler.scoringStrategy")
        );
        assert!(errors[0].line.is_some());
    }
}

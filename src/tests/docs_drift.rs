//! The documentation keeps up with the code: every scenario key, headline metric, events.csv
//! state and command-line flag the code defines must be documented. Each list is taken from
//! the code itself (the scenario's serde structs, `headline::METRICS`, `PodState::ALL`, clap's
//! command tree), so adding one without its documentation fails here.

use clap::CommandFactory;
use jobset_sim::scenario::types::ScenarioFile;
use std::collections::BTreeSet;

fn read_doc(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

fn fail_if_missing(what: &str, doc: &str, missing: &[String]) {
    assert!(
        missing.is_empty(),
        "{} {what} in the code but not in {doc}:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

// ---- Scenario keys, from the serde structs -------------------------------------------------

/// Walks a `Deserialize` type without any input: it answers every struct with all of its
/// fields (recording their paths), every list with one element, every map with one entry
/// (key `*`), every option with a value, so each nested struct is reached once.
mod trace {
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;

    #[derive(Debug)]
    pub(super) struct Error(String);
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for Error {}
    impl de::Error for Error {
        fn custom<T: std::fmt::Display>(m: T) -> Self {
            Error(m.to_string())
        }
    }

    #[derive(Clone, Copy)]
    pub(super) struct Tracer<'a> {
        pub path: &'a [String],
        pub keys: &'a RefCell<Vec<Vec<String>>>,
    }

    impl<'a> Tracer<'a> {
        fn depth_ok(&self) -> Result<(), Error> {
            if self.path.len() > 16 {
                return Err(Error(format!("too deep at {}", self.path.join("."))));
            }
            Ok(())
        }
    }

    struct One<'a> {
        tracer: Option<Tracer<'a>>,
        map_key_given: bool,
    }

    impl<'de, 'a> SeqAccess<'de> for One<'a> {
        type Error = Error;
        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            match self.tracer.take() {
                Some(t) => seed.deserialize(t).map(Some),
                None => Ok(None),
            }
        }
    }

    impl<'de, 'a> MapAccess<'de> for One<'a> {
        type Error = Error;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            if self.map_key_given || self.tracer.is_none() {
                return Ok(None);
            }
            self.map_key_given = true;
            seed.deserialize(IntoDeserializer::<Error>::into_deserializer("*"))
                .map(Some)
        }
        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            let t = self.tracer.take().expect("a value after its key");
            let path: Vec<String> = t.path.iter().cloned().chain(["*".to_string()]).collect();
            seed.deserialize(Tracer {
                path: &path,
                keys: t.keys,
            })
        }
    }

    struct Fields<'a> {
        tracer: Tracer<'a>,
        fields: &'static [&'static str],
        next: usize,
    }

    impl<'de, 'a> MapAccess<'de> for Fields<'a> {
        type Error = Error;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            let Some(field) = self.fields.get(self.next) else {
                return Ok(None);
            };
            seed.deserialize(IntoDeserializer::<Error>::into_deserializer(*field))
                .map(Some)
        }
        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            let field = self.fields[self.next];
            self.next += 1;
            let path: Vec<String> = self
                .tracer
                .path
                .iter()
                .cloned()
                .chain([field.to_string()])
                .collect();
            seed.deserialize(Tracer {
                path: &path,
                keys: self.tracer.keys,
            })
        }
    }

    macro_rules! integers {
        ($($method:ident),*) => {$(
            fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
                v.visit_u64(1)
            }
        )*};
    }

    impl<'de, 'a> de::Deserializer<'de> for Tracer<'a> {
        type Error = Error;

        // Free-form values (a YAML value, an untagged quantity) take a string.
        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_str("0")
        }
        fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_bool(true)
        }
        integers!(
            deserialize_i8,
            deserialize_i16,
            deserialize_i32,
            deserialize_i64,
            deserialize_u8,
            deserialize_u16,
            deserialize_u32,
            deserialize_u64
        );
        fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_f64(1.0)
        }
        fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_f64(1.0)
        }
        fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_char('a')
        }
        fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_str("0")
        }
        fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_str("0")
        }
        fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_bytes(b"1")
        }
        fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_bytes(b"1")
        }
        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_some(self)
        }
        fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_unit()
        }
        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_unit()
        }
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_newtype_struct(self)
        }
        fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.depth_ok()?;
            v.visit_seq(One {
                tracer: Some(self),
                map_key_given: false,
            })
        }
        fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, Error> {
            self.deserialize_seq(v)
        }
        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: usize,
            v: V,
        ) -> Result<V::Value, Error> {
            self.deserialize_seq(v)
        }
        fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.depth_ok()?;
            v.visit_map(One {
                tracer: Some(self),
                map_key_given: false,
            })
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Error> {
            self.depth_ok()?;
            for f in fields {
                let mut key = self.path.to_vec();
                key.push(f.to_string());
                self.keys.borrow_mut().push(key);
            }
            v.visit_map(Fields {
                tracer: self,
                fields,
                next: 0,
            })
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            Err(Error(format!("enum {name}: not traced")))
        }
        fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_str("0")
        }
        fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_unit()
        }
    }
}

/// Every key path of a scenario file (`workloads.pods.exits.after`; `*` for a map key).
fn scenario_keys() -> Vec<Vec<String>> {
    let keys = std::cell::RefCell::new(vec![]);
    let tracer = trace::Tracer {
        path: &[],
        keys: &keys,
    };
    if let Err(e) = <ScenarioFile as serde::Deserialize>::deserialize(tracer) {
        panic!("tracing the scenario's structs failed: {e}");
    }
    keys.into_inner()
}

/// A key as the docs write it, made into path segments: `pods.replicatedJobs.<name>.runFor`
/// gives `pods, replicatedJobs, *, runFor`; `axes[].path` gives `axes, path`.
fn segments(key: &str) -> Vec<String> {
    key.split('.')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s.split('[').next().unwrap_or(s).trim_end_matches('?');
            if s.starts_with('<') {
                "*".to_string()
            } else {
                s.to_string()
            }
        })
        .collect()
}

fn is_key_like(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._[]<>?".contains(c))
}

/// The backtick spans of a line, in order.
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// The names inside `{a, b, c?}` lists of a line (`{key: x, nodesPerDomain: 4}` gives `key`,
/// `nodesPerDomain`).
fn brace_names(text: &str) -> Vec<String> {
    let mut out = vec![];
    for part in text.split('{').skip(1) {
        let inner = part.split('}').next().unwrap_or("");
        for item in inner.split(',') {
            let name = item.split(':').next().unwrap_or("").trim();
            let name = name.trim_end_matches('?');
            if is_key_like(name) && !name.contains('.') {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// A key the docs document: its segments, and whether it is a full path from the top.
struct DocKey {
    segments: Vec<String>,
    from_top: bool,
}

impl DocKey {
    /// `P` is documented by this key when the key's last segment is `P`'s and its segments
    /// appear in `P` in order (a section's keys are written relative to the section).
    fn documents(&self, path: &[String]) -> bool {
        // A section is documented by the keys written under it (`scheduler.qps`
        // documents `scheduler`).
        (1..=self.segments.len()).any(|n| self.documents_exactly(&self.segments[..n], path))
    }

    fn documents_exactly(&self, segments: &[String], path: &[String]) -> bool {
        if self.from_top {
            return segments == path;
        }
        if segments.last() != path.last() {
            return false;
        }
        let mut rest = path.iter();
        segments.iter().all(|s| rest.any(|p| p == s))
    }
}

/// The keys a scenario-format document documents: the first column of its key tables
/// (prefixed by the section when the heading names a key: `## run` → `run.seed`), the
/// `{a, b}` lists in a row (under that row's key), and dotted key paths in prose.
fn documented_keys(doc: &str) -> Vec<DocKey> {
    let mut keys = vec![];
    let mut section: Option<Vec<String>> = None;
    let mut top_level = false;
    let mut in_table = false;
    let mut in_code_block = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        if let Some(heading) = line.strip_prefix('#') {
            let title = heading.trim_start_matches('#').trim();
            top_level = title.eq_ignore_ascii_case("top level");
            section = is_key_like(title).then(|| segments(title));
            in_table = false;
            continue;
        }
        let is_row = line.starts_with('|');
        let header = is_row && !in_table;
        in_table = is_row;
        if !is_row {
            for span in code_spans(line) {
                if span.contains('.') && is_key_like(span) {
                    keys.push(DocKey {
                        segments: segments(span),
                        from_top: false,
                    });
                }
            }
            continue;
        }
        if header || line.starts_with("| ---") {
            continue;
        }
        let first_cell = line.split('|').nth(1).unwrap_or("");
        let mut previous: Vec<String> = vec![];
        let mut row_keys: Vec<Vec<String>> = vec![];
        for span in code_spans(first_cell) {
            if !is_key_like(span) {
                continue;
            }
            // `jobController.qps`, `.burst`: a leading dot continues the previous key.
            let mut segs = if span.starts_with('.') && !previous.is_empty() {
                previous[..previous.len() - 1].to_vec()
            } else {
                vec![]
            };
            segs.extend(segments(span));
            previous = segs.clone();
            row_keys.push(segs);
        }
        let prefix = section.clone().unwrap_or_default();
        for name in brace_names(line) {
            if let Some(owner) = row_keys.first() {
                let mut segs = prefix.clone();
                segs.extend(owner.iter().cloned());
                segs.push(name);
                keys.push(DocKey {
                    segments: segs,
                    from_top: false,
                });
            }
        }
        for k in row_keys {
            let mut segs = prefix.clone();
            segs.extend(k);
            keys.push(DocKey {
                segments: segs,
                from_top: top_level,
            });
        }
    }
    keys
}

/// Scenario keys the given doc text does not document.
fn undocumented_scenario_keys(doc: &str) -> Vec<String> {
    let documented = documented_keys(doc);
    let mut missing: Vec<String> = scenario_keys()
        .into_iter()
        .filter(|k| !documented.iter().any(|d| d.documents(k)))
        .map(|k| k.join("."))
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

#[test]
fn every_scenario_key_is_in_the_scenario_format() {
    let keys = scenario_keys();
    // The walk reaches the deepest structs, so the check covers them.
    for deep in [
        "workloads.pods.exits.after",
        "workloads.pods.replicatedJobs.*.runFor",
        "faults.causes.repair.sigma",
        "controlPlane.scheduler.qps",
        "cluster.namespaces.*.labels",
    ] {
        assert!(
            keys.iter().any(|k| k.join(".") == deep),
            "the walk of the scenario structs missed {deep}"
        );
    }
    let doc = read_doc("docs/scenario-format.md");
    fail_if_missing(
        "scenario keys are",
        "docs/scenario-format.md",
        &undocumented_scenario_keys(&doc),
    );
}

#[test]
fn a_scenario_key_removed_from_the_docs_is_found() {
    let doc = read_doc("docs/scenario-format.md");
    // Each of these rows documents one key that nothing else in the file documents.
    for (row_start, key) in [
        ("| `stopWhenAllTerminal`", "run.stopWhenAllTerminal"),
        (
            "| `nodeLifecycle.orphanPodGcDelay`",
            "controlPlane.nodeLifecycle.orphanPodGcDelay",
        ),
        ("| `checkpointCost`", "workloads.training.checkpointCost"),
        ("| `weibullShape`", "faults.weibullShape"),
        ("| `retry`", "workloads.pods.exits.retry"),
        ("| `updates`", "workloads.updates"),
    ] {
        let without: String = doc
            .lines()
            .filter(|l| !l.starts_with(row_start))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            without != doc,
            "docs/scenario-format.md has no row {row_start}"
        );
        let missing = undocumented_scenario_keys(&without);
        assert!(
            missing.iter().any(|m| m == key),
            "removing {row_start} left {key} documented; missing: {missing:?}"
        );
    }
}

// ---- Headline metrics -----------------------------------------------------------------------

/// Names in the first column of every table of a doc (`` `a`, `b` `` gives both).
fn first_column_names(doc: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with('|')) {
        let first_cell = line.split('|').nth(1).unwrap_or("");
        names.extend(code_spans(first_cell).into_iter().map(str::to_string));
    }
    names
}

fn undocumented_metrics(doc: &str) -> Vec<String> {
    let names = first_column_names(doc);
    jobset_sim::headline::names()
        .into_iter()
        .filter(|m| !names.contains(*m))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_headline_metric_is_in_the_sweeps_doc() {
    let doc = read_doc("docs/sweeps.md");
    fail_if_missing(
        "headline metrics are",
        "docs/sweeps.md (Headline metrics table)",
        &undocumented_metrics(&doc),
    );
    let without: String = doc
        .lines()
        .filter(|l| !l.starts_with("| `lost_work_s` |"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(undocumented_metrics(&without), ["lost_work_s"]);
}

// ---- events.csv states ------------------------------------------------------------------------

/// The rows of the `| state | when | reason |` table of docs/metrics.md.
fn documented_states(doc: &str) -> BTreeSet<String> {
    let start = doc
        .find("| state | when | reason |")
        .expect("docs/metrics.md has the events.csv states table");
    let mut states = BTreeSet::new();
    for line in doc[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let first_cell = line.split('|').nth(1).unwrap_or("");
        states.extend(code_spans(first_cell).into_iter().map(str::to_string));
    }
    states
}

#[test]
fn every_events_csv_state_is_in_the_metrics_doc() {
    let doc = read_doc("docs/metrics.md");
    let check = |doc: &str| -> Vec<String> {
        let documented = documented_states(doc);
        jobset_sim::metrics::PodState::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .filter(|s| !documented.contains(s))
            .collect()
    };
    fail_if_missing(
        "events.csv states are",
        "docs/metrics.md (events.csv states)",
        &check(&doc),
    );
    let without: String = doc
        .lines()
        .filter(|l| !l.starts_with("| `Fault` |"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(check(&without), ["Fault"]);
}

// ---- Command-line flags -------------------------------------------------------------------------

/// For each subcommand, the `--flags` its synopsis in the README lacks. A synopsis is a line
/// starting `jobset-sim SUB` with its indented continuation lines; a subcommand may have
/// several.
fn flags_missing_from_synopses(readme: &str) -> Vec<String> {
    let cli = jobset_sim::cli::Cli::command();
    let mut missing = vec![];
    for arg in cli.get_arguments().filter(|a| a.is_global_set()) {
        let flag = format!("--{}", arg.get_long().expect("global flags are long"));
        if !mentions_flag(readme, &flag) {
            missing.push(format!("{flag} (every command)"));
        }
    }
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        let synopsis = synopsis_of(readme, name);
        if synopsis.is_empty() {
            missing.push(format!("jobset-sim {name}: no synopsis"));
            continue;
        }
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" || long == "version" || arg.is_global_set() {
                continue;
            }
            let flag = format!("--{long}");
            if !mentions_flag(&synopsis, &flag) {
                missing.push(format!("jobset-sim {name} {flag}"));
            }
        }
    }
    missing
}

fn synopsis_of(readme: &str, sub: &str) -> String {
    let start = format!("jobset-sim {sub}");
    let mut text = String::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.starts_with(&start) && line[start.len()..].chars().next().is_none_or(|c| c == ' ') {
            inside = true;
        } else if inside && !line.starts_with(' ') {
            inside = false;
        }
        if inside {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

fn mentions_flag(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(i, _)| {
        text[i + flag.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'))
    })
}

#[test]
fn every_flag_is_in_its_commands_synopsis_in_the_readme() {
    let readme = read_doc("README.md");
    fail_if_missing(
        "flags are",
        "README.md (the synopses `jobset-sim COMMAND ...`)",
        &flags_missing_from_synopses(&readme),
    );
    let without = readme.replacen("[--check-invariants]", "", 1);
    assert!(
        flags_missing_from_synopses(&without)
            .contains(&"jobset-sim run --check-invariants".to_string()),
        "removing a flag from the run synopsis went unnoticed"
    );
}

// ---- Profiles, from the scenario's controlPlane struct --------------------------------------

/// Every constant of `controlPlane` is set by the built-in `ci` profile (whose keys every
/// profile must set, `scenario::profile`), and nothing else is: a constant added to
/// `ControlPlaneSection` needs its value and source in profiles/*.yaml.
#[test]
fn profiles_set_every_control_plane_constant() {
    use jobset_sim::scenario::profile::{constant_keys, SCENARIO_CHOICES};
    let keys = scenario_keys();
    let under_control_plane: Vec<&[String]> = keys
        .iter()
        .filter(|k| k.len() > 1 && k[0] == "controlPlane")
        .map(|k| &k[1..])
        .collect();
    let is_leaf = |k: &[String]| {
        !under_control_plane
            .iter()
            .any(|other| other.len() > k.len() && other.starts_with(k))
    };
    let expected: BTreeSet<String> = under_control_plane
        .iter()
        .filter(|k| is_leaf(k))
        .map(|k| k.join("."))
        .filter(|k| !SCENARIO_CHOICES.contains(&k.as_str()))
        .collect();
    let in_profiles: BTreeSet<String> = constant_keys().into_iter().collect();
    let missing: Vec<String> = expected.difference(&in_profiles).cloned().collect();
    fail_if_missing("controlPlane constants", "profiles/ci.yaml", &missing);
    let extra: Vec<String> = in_profiles.difference(&expected).cloned().collect();
    assert!(
        extra.is_empty(),
        "profiles/ci.yaml sets unknown keys: {extra:?}"
    );
}

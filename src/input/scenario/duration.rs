//! A span of simulated time as a scenario writes it (`90s`, `1h30m`, `2d`).
//!
//! The text is parsed while the file is read, so a bad value is reported like any type
//! error: with the file, line, column and field path that `yaml::parse_document` attaches to
//! every deserialization error. No resolver has to name the field again to report it.

use crate::engine::time::parse_duration;
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A parsed duration field, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DurationField {
    pub ns: u64,
}

impl DurationField {
    /// The value of an optional field, or `default_ns` when it is absent.
    pub(crate) fn ns_or(field: Option<DurationField>, default_ns: u64) -> u64 {
        field.map_or(default_ns, |d| d.ns)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = DurationField;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a duration such as 90s, 10m, 1h30m, 250ms or 2d")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<DurationField, E> {
        parse_duration(text)
            .map(|ns| DurationField { ns })
            .map_err(E::custom)
    }

    // A bare YAML number reaches here when the deserializer resolved its type: `0` is a
    // duration, any other number lacks its unit, as the text rule says.
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<DurationField, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<DurationField, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<DurationField, E> {
        self.visit_str(&value.to_string())
    }
}

impl<'de> Deserialize<'de> for DurationField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::NS_PER_S;

    #[derive(Debug, serde::Deserialize)]
    struct Holder {
        after: DurationField,
        limit: Option<DurationField>,
    }

    fn parse(text: &str) -> Result<Holder, String> {
        crate::yaml::parse_document::<Holder>("t.yaml", text, 0, false)
            .map(|p| p.value)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_text_and_a_bare_zero() {
        let h = parse("after: 1h30m\nlimit: 0\n").unwrap();
        assert_eq!(h.after.ns, 5_400 * NS_PER_S);
        assert_eq!(h.limit, Some(DurationField { ns: 0 }));
        assert_eq!(DurationField::ns_or(None, 7), 7);
    }

    #[test]
    fn a_bad_value_names_its_line_column_and_path() {
        let err = parse("limit: 1s\nafter: 10\n").unwrap_err();
        assert!(
            err.starts_with("t.yaml:2:8: after: invalid duration \"10\""),
            "{err}"
        );
        let err = parse("after: 1s\nlimit: 5x\n").unwrap_err();
        assert!(
            err.starts_with("t.yaml:2:8: limit: invalid duration \"5x\""),
            "{err}"
        );
    }
}

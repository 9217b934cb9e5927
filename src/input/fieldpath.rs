//! Field paths as the rest of the program prints them (`workloads[0].jobset.spec.replicas`),
//! parsed so sweeps can edit a scenario, and gates and `check` can read a summary, by the same
//! names. A key holding dots is written in brackets: `annotations["example.com/key"]`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A parsed path, printed back in the canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath(pub Vec<Seg>);

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) if k.contains(['.', '[', ']', '"']) || k.is_empty() => {
                    write!(f, "[{k:?}]")?
                }
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
            }
        }
        Ok(())
    }
}

impl FieldPath {
    pub(crate) fn parse(text: &str) -> Result<FieldPath, String> {
        let bytes = text.as_bytes();
        let mut segs = vec![];
        let mut i = 0;
        let mut expect_key = true;
        if text.trim().is_empty() {
            return Err("the path is empty".into());
        }
        while i < bytes.len() {
            match bytes[i] {
                b'[' => {
                    let close = text[i..]
                        .find(']')
                        .map(|c| i + c)
                        .ok_or_else(|| format!("{text:?}: '[' without ']'"))?;
                    let inner = &text[i + 1..close];
                    if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                        segs.push(Seg::Key(q.to_string()));
                    } else {
                        let n = inner.parse::<usize>().map_err(|_| {
                            format!("{text:?}: [{inner}] is neither an index nor a quoted key")
                        })?;
                        segs.push(Seg::Index(n));
                    }
                    i = close + 1;
                    expect_key = false;
                }
                b'.' => {
                    if expect_key {
                        return Err(format!("{text:?}: empty field name"));
                    }
                    i += 1;
                    expect_key = true;
                    if i == bytes.len() {
                        return Err(format!("{text:?}: ends with '.'"));
                    }
                }
                _ => {
                    if !expect_key {
                        return Err(format!("{text:?}: expected '.' or '[' at byte {i}"));
                    }
                    let end = text[i..]
                        .find(['.', '['])
                        .map(|c| i + c)
                        .unwrap_or(text.len());
                    let key = text[i..end].trim();
                    if key.is_empty() || key.contains([']', '"', ' ']) {
                        return Err(format!("{text:?}: {key:?} is not a field name"));
                    }
                    segs.push(Seg::Key(key.to_string()));
                    i = end;
                    expect_key = false;
                }
            }
        }
        Ok(FieldPath(segs))
    }

    /// The value at this path in a JSON document, if every step exists.
    pub(crate) fn get_json<'a>(
        &self,
        mut v: &'a serde_json::Value,
    ) -> Option<&'a serde_json::Value> {
        for s in &self.0 {
            v = match s {
                Seg::Key(k) => v.as_object()?.get(k)?,
                Seg::Index(n) => v.as_array()?.get(*n)?,
            };
        }
        Some(v)
    }

    /// True when `self` equals `other` or lies inside it.
    pub(crate) fn starts_with(&self, other: &FieldPath) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_paths() {
        let p = FieldPath::parse("workloads[0].jobset.spec.failurePolicy.maxRestarts").unwrap();
        assert_eq!(p.0.len(), 6);
        assert_eq!(p.0[1], Seg::Index(0));
        assert_eq!(
            p.to_string(),
            "workloads[0].jobset.spec.failurePolicy.maxRestarts"
        );
        let q = FieldPath::parse(r#"metadata.annotations["a.b/c"]"#).unwrap();
        assert_eq!(q.0[2], Seg::Key("a.b/c".into()));
        assert_eq!(q.to_string(), r#"metadata.annotations["a.b/c"]"#);
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "a..b", ".a", "a.", "a[x]", "a[0", "a[0]b", "a b"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn reads_json() {
        let v = serde_json::json!({"jobsets": [{"restarts": 2}]});
        let p = FieldPath::parse("jobsets[0].restarts").unwrap();
        assert_eq!(p.get_json(&v), Some(&serde_json::json!(2)));
        assert_eq!(FieldPath::parse("jobsets[1]").unwrap().get_json(&v), None);
    }
}

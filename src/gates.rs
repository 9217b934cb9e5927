//! Regression gates: a scenario's `expect:` list (`"recovery.pods_per_s >= 250"`), parsed when
//! the scenario loads so a typo in an operator fails before a long run, and checked by `run`
//! against the summary. A metric is a headline metric (`crate::headline`) or else a path into
//! summary.json (`jobsets[0].restarts`).

use crate::error::InputError;
use crate::fieldpath::FieldPath;
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

impl Op {
    // Two-character operators first, so `>=` is not read as `>`.
    const ALL: [(&'static str, Op); 6] = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];

    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Op::Ge => value >= bound,
            Op::Le => value <= bound,
            Op::Gt => value > bound,
            Op::Lt => value < bound,
            Op::Eq => value == bound,
            Op::Ne => value != bound,
        }
    }

    fn text(self) -> &'static str {
        Op::ALL.iter().find(|(_, o)| *o == self).unwrap().0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub metric: String,
    path: FieldPath,
    pub op: Op,
    pub bound: f64,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op.text(), self.bound)
    }
}

impl Expectation {
    pub fn parse(text: &str) -> Result<Expectation, String> {
        let (pos, sym, op) = Op::ALL
            .iter()
            .filter_map(|(sym, op)| text.find(sym).map(|p| (p, *sym, *op)))
            .min_by_key(|(p, sym, _)| (*p, std::cmp::Reverse(sym.len())))
            .ok_or_else(|| {
                format!("{text:?}: expected METRIC OP NUMBER with OP one of >=, <=, >, <, ==, !=")
            })?;
        let metric = text[..pos].trim();
        let bound_text = text[pos + sym.len()..].trim();
        if metric.is_empty() {
            return Err(format!("{text:?}: no metric before {sym}"));
        }
        let path = FieldPath::parse(metric).map_err(|e| format!("bad metric name: {e}"))?;
        let bound = bound_text
            .parse::<f64>()
            .ok()
            .filter(|b| b.is_finite())
            .ok_or_else(|| format!("{text:?}: {bound_text:?} is not a number"))?;
        Ok(Expectation {
            metric: metric.to_string(),
            path,
            op,
            bound,
        })
    }

    /// The metric's value in a summary, or why there is none.
    pub fn value(&self, summary: &Value) -> Result<f64, String> {
        if let Some(m) = crate::headline::find(&self.metric) {
            return (m.compute)(summary)
                .ok_or_else(|| format!("{} is absent from this run's summary", self.metric));
        }
        match self.path.get_json(summary) {
            Some(Value::Number(n)) => Ok(n.as_f64().unwrap_or(f64::NAN)),
            Some(Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
            Some(other) => Err(format!(
                "{} is {other} in the summary, not a number",
                self.metric
            )),
            None => Err(format!(
                "{} is not in the summary (headline metrics: {}; or a summary.json path such as jobsets[0].restarts)",
                self.metric,
                crate::headline::names().join(", ")
            )),
        }
    }

    /// None when the expectation holds; otherwise the message to print.
    pub fn check(&self, summary: &Value) -> Option<String> {
        match self.value(summary) {
            Ok(v) if self.op.holds(v, self.bound) => None,
            Ok(v) => Some(format!(
                "expectation failed: {}: value {v}, bound {} {}",
                self,
                self.op.text(),
                self.bound
            )),
            Err(why) => Some(format!("expectation failed: {self}: {why}")),
        }
    }
}

/// Parses a scenario's `expect:` list; errors name the file, the line (found in the text) and
/// `expect[i]`.
pub fn parse_list(
    file: &str,
    text: &str,
    items: &[String],
) -> Result<Vec<Expectation>, Vec<InputError>> {
    let mut out = vec![];
    let mut errors = vec![];
    let mut search_from_line = 0;
    for (i, item) in items.iter().enumerate() {
        let line = find_line(text, item, search_from_line);
        if let Some(l) = line {
            search_from_line = l;
        }
        match Expectation::parse(item) {
            Ok(e) => out.push(e),
            Err(msg) => {
                let mut e = InputError::new(file, msg).at_path(format!("expect[{i}]"));
                if let Some(l) = line {
                    e = e.at_line(l, 1);
                }
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// 1-based line of the first line at or after `from` (1-based) that holds `needle`.
pub fn find_line(text: &str, needle: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle.trim()))
        .map(|(n, _)| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_expressions() {
        let e = Expectation::parse("recovery.pods_per_s >= 250").unwrap();
        assert_eq!(
            (e.metric.as_str(), e.op, e.bound),
            ("recovery.pods_per_s", Op::Ge, 250.0)
        );
        let e = Expectation::parse("jobsets[0].restarts==1").unwrap();
        assert_eq!((e.op, e.bound), (Op::Eq, 1.0));
        assert_eq!(Expectation::parse("goodput > 0.9").unwrap().op, Op::Gt);
        for bad in [
            "recovery.pods_per_s",
            ">= 3",
            "x >= many",
            "x => 3",
            "a..b < 1",
            "x < inf",
        ] {
            assert!(Expectation::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn checks_headline_metrics_and_paths() {
        let s = json!({"jobsets": [{"restarts": 1, "finished_at_s": 5.0}],
                       "recovery": [{"pods_per_s": 133.6}]});
        assert!(Expectation::parse("jobsets[0].restarts == 1")
            .unwrap()
            .check(&s)
            .is_none());
        let fail = Expectation::parse("recovery.pods_per_s >= 250")
            .unwrap()
            .check(&s)
            .unwrap();
        assert!(fail.contains("value 133.6"), "{fail}");
        assert!(fail.contains(">= 250"), "{fail}");
        let missing = Expectation::parse("goodput >= 0.9")
            .unwrap()
            .check(&s)
            .unwrap();
        assert!(missing.contains("absent"), "{missing}");
        let nopath = Expectation::parse("jobsets[3].restarts < 2")
            .unwrap()
            .check(&s)
            .unwrap();
        assert!(nopath.contains("not in the summary"), "{nopath}");
    }

    #[test]
    fn errors_carry_line_and_path() {
        let text = "name: x\nexpect:\n- \"restarts == 1\"\n- \"restarts = 1\"\n";
        let items = vec!["restarts == 1".to_string(), "restarts = 1".to_string()];
        let errs = parse_list("s.yaml", text, &items).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(4));
        assert_eq!(errs[0].path.as_deref(), Some("expect[1]"));
    }
}

//! Regression gates: a scenario's `expect:` list (`"recovery.pods_per_s >= 250"`), parsed when
//! the scenario loads so a typo in an operator fails before a long run, and checked by `run`
//! against the summary. A metric is a headline metric (`crate::headline`) or else a path into
//! summary.json (`jobsets[0].restarts`).

use crate::error::InputError;
use crate::fieldpath::{FieldPath, Seg};
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
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
pub(crate) struct Expectation {
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
    pub(crate) fn parse(text: &str) -> Result<Expectation, String> {
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
        if crate::headline::find(metric).is_none() && !is_summary_number(&path) {
            return Err(unknown_metric(metric));
        }
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
    pub(crate) fn value(&self, summary: &Value) -> Result<f64, String> {
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
    pub(crate) fn check(&self, summary: &Value) -> Option<String> {
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

/// Every number (or boolean) summary.json can hold, as a pattern: `[]` stands for any list
/// index, `*` for any key of a map (fault causes). Gates may name these besides the headline
/// metrics; a test checks the list against real summaries, so a new summary key must be added
/// here (and to docs/metrics.md).
pub(crate) const SUMMARY_NUMBERS: &[&str] = &[
    "seed",
    "control_plane.overridden",
    "sim_end_s",
    "events",
    "nodes",
    "goodput",
    "jobsets[].restarts",
    "jobsets[].restarts_count_towards_max",
    "jobsets[].job_restarts",
    "jobsets[].in_place_restarts",
    "jobsets[].max_restarts",
    "jobsets[].submitted_at_s",
    "jobsets[].completed_at_s",
    "jobsets[].finished_at_s",
    "record.jobsets",
    "pods.created",
    "pods.scheduled",
    "pods.succeeded",
    "pods.failed",
    "pods.pending_at_end",
    "pods.running_at_end",
    "pods.create_rejected",
    "pods.create_name_conflicts",
    "api_calls.job_controller.*",
    "api_calls.garbage_collector.*",
    "pending_pods[].count",
    "recovery[].attempt",
    "recovery[].failed_at_s",
    "recovery[].first_create_s",
    "recovery[].all_scheduled_s",
    "recovery[].all_running_s",
    "recovery[].time_to_recover_s",
    "recovery[].pods",
    "recovery[].pods_per_s",
    "recovery[].peak_pods_per_s",
    "recovery[].bind_windows.*",
    "jobsets[].conditions[].time_s",
    "jobsets[].conditions[].last_transition_time_s",
    "recoveries[].broke.failures",
    "recoveries[].broke.nodes",
    "recoveries[].broke.pods_hit",
    "recoveries[].stages.*",
    "recoveries[].durations.*",
    "recoveries[].pods.*",
    "recoveries[].lost_pod_s",
    "recoveries[].pods_per_s",
    "recoveries[].bind_windows.*",
    "recoveries[].slowest_stage.duration_s",
    "recoveries[].slowest_stage.share",
    "distributions.*.count",
    "distributions.*.mean",
    "distributions.*.p50",
    "distributions.*.p90",
    "distributions.*.p99",
    "distributions.*.max",
    "faults[].faults",
    "faults[].interruptions",
    "faults[].pods_hit",
    "faults[].by_cause.*.faults",
    "faults[].by_cause.*.interruptions",
    "training[].complete",
    "training[].done_at_s",
    "training[].goodput",
    "training[].interruptions",
    "training[].useful_work_s",
    "training[].lost_work_s",
    "training[].checkpoint_writing_s",
    "training[].time_in_recovery_s",
    "training[].time_to_first_progress_s",
    "training[].work_s",
    "training[].wall_s",
    "scheduler.cycles",
    "scheduler.nodes_examined",
    "scheduler.jobset_reconciles",
    "kueue.admission_cycles",
    "kueue.workloads[].priority",
    "kueue.workloads[].created_at_s",
    "kueue.workloads[].admitted_at_s",
    "kueue.workloads[].queued_s",
    "kueue.workloads[].pods_ready_at_s",
    "kueue.workloads[].admitted_to_pods_ready_s",
    "kueue.workloads[].finished_at_s",
    "kueue.workloads[].admission_check_wait_s",
    "kueue.workloads[].quota_reserved_at_s",
    "kueue.workloads[].evictions[].time_s",
    "kueue.workloads[].reclaimable_pods.*",
    "kueue.cluster_queues[].admitted_workloads",
    "kueue.cluster_queues[].pending_at_end",
    "kueue.cluster_queues[].peak_pending",
    "kueue.cluster_queues[].usage_at_end.*",
    "kueue.cluster_queues[].peak_usage.*",
    "kueue.cluster_queues[].peak_borrowed.*",
    "kueue.cluster_queues[].weighted_share",
    "kueue.cluster_queues[].series[].time_s",
    "kueue.cluster_queues[].series[].pending",
    "kueue.cluster_queues[].series[].admitted",
    "kueue.cluster_queues[].series[].usage.*",
    "kueue.cluster_queues[].series[].borrowed.*",
    "kueue.local_queues[].workloads",
    "kueue.local_queues[].admitted_workloads",
    "kueue.local_queues[].pending_at_end",
    "kueue.local_queues[].queued_s_mean",
    "kueue.local_queues[].queued_s_max",
    "kueue.local_queues[].admission_fair_sharing.weight",
    "kueue.local_queues[].admission_fair_sharing.consumed_resources_at_end.*",
    "kueue.local_queues[].admission_fair_sharing.pending_penalty_at_end.*",
    "kueue.local_queues[].admission_fair_sharing.fair_sharing_usage_at_end",
    "kueue.local_queues[].admission_fair_sharing.last_update_s",
    "kueue.local_queues[].admission_fair_sharing.series[].time_s",
    "kueue.local_queues[].admission_fair_sharing.series[].consumed_resources.*",
    "kueue.local_queues[].admission_fair_sharing.series[].pending_penalty.*",
    "kueue.local_queues[].admission_fair_sharing.series[].fair_sharing_usage",
];

/// A path's segments as the patterns of SUMMARY_NUMBERS spell them (`[]` for every index).
pub(crate) fn pattern_tokens(path: &FieldPath) -> Vec<String> {
    path.0
        .iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(_) => "[]".to_string(),
        })
        .collect()
}

fn pattern_of(pattern: &str) -> Vec<&str> {
    pattern
        .split('.')
        .flat_map(|part| match part.strip_suffix("[]") {
            Some(key) => vec![key, "[]"],
            None => vec![part],
        })
        .collect()
}

/// Whether `path` names a number of summary.json (SUMMARY_NUMBERS).
pub(crate) fn is_summary_number(path: &FieldPath) -> bool {
    let tokens = pattern_tokens(path);
    SUMMARY_NUMBERS.iter().any(|p| {
        let pat = pattern_of(p);
        pat.len() == tokens.len()
            && pat
                .iter()
                .zip(&tokens)
                .all(|(p, t)| *p == t || (*p == "*" && t != "[]"))
    })
}

/// The error for a metric that is neither a headline metric nor a summary number: the closest
/// name first, then every valid name.
fn unknown_metric(metric: &str) -> String {
    let headline = crate::headline::names();
    let nearest = headline
        .iter()
        .copied()
        .chain(SUMMARY_NUMBERS.iter().copied())
        .min_by_key(|n| edit_distance(metric, n))
        .filter(|n| edit_distance(metric, n) <= metric.len().max(4) / 3 + 1);
    let hint = nearest.map_or(String::new(), |n| format!(" (did you mean {n}?)"));
    format!(
        "unknown metric {metric:?}{hint}; valid: the headline metrics {}; or a summary.json \
         number {} ([] is any index, such as jobsets[0].restarts; * any key)",
        headline.join(", "),
        SUMMARY_NUMBERS.join(", ")
    )
}

/// Levenshtein distance, for "did you mean".
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Parses a scenario's `expect:` list; errors name the file, the line (found in the text) and
/// `expect[i]`.
pub(crate) fn parse_list(
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
pub(crate) fn find_line(text: &str, needle: &str, from: usize) -> Option<usize> {
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

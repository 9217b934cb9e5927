//! `report.html`: one self-contained page (inline CSS and SVG, no script or font from the
//! network) for a run's `--out` folder or a sweep's. It reads only the files in the folder, so
//! `jobset-sim report DIR` works on any folder a run or sweep left, and renders summary.json
//! generically: a key added to the summary (a new recovery field) shows without a change here.

use crate::error::{InputError, SimError};
use crate::headline::{fmt_readable, METRICS};
use crate::sweep::output::{self as sweep_out, Meta};
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

pub(crate) const FILE: &str = "report.html";

/// Writes DIR/report.html for a run folder (summary.json) or a sweep folder (sweep.json).
pub(crate) fn write_report(dir: &Path) -> Result<std::path::PathBuf, SimError> {
    let shown = dir.display().to_string();
    let html = if dir.join(sweep_out::META_FILE).is_file() {
        sweep_page(dir)?
    } else if dir.join("summary.json").is_file() {
        let text = crate::source::read_text(&dir.join("summary.json")).map_err(|e| {
            InputError::new(format!("{shown}/summary.json"), format!("cannot read: {e}"))
        })?;
        let summary: Value = serde_json::from_str(&text).map_err(|e| {
            InputError::new(format!("{shown}/summary.json"), format!("not JSON: {e}"))
                .at_line(e.line(), e.column())
        })?;
        let charts = Charts {
            timeline: std::fs::read_to_string(dir.join("timeline.svg")).ok(),
            recovery: std::fs::read_to_string(dir.join("recovery.svg")).ok(),
        };
        run_page(&summary, &KeyOrder::of(&text), &charts)
    } else {
        return Err(InputError::new(
            &shown,
            "neither a run's --out folder (summary.json) nor a sweep's (sweep.json)",
        )
        .into());
    };
    crate::report::write_atomic(dir, FILE, html.as_bytes())?;
    Ok(dir.join(FILE))
}

/// The run's charts embedded in its page (None: the file is not in the folder).
struct Charts {
    timeline: Option<String>,
    recovery: Option<String>,
}

/// The page of one run from its summary.json text, timeline.svg and recovery.svg, for
/// `run --out --report`, which writes it with the rest of the folder as one set.
pub(crate) fn run_report(
    summary_json: &str,
    timeline_svg: &str,
    recovery_svg: &str,
) -> Result<String, SimError> {
    let summary: Value = serde_json::from_str(summary_json)
        .map_err(|e| SimError::Internal(format!("summary.json is not JSON: {e}")))?;
    let charts = Charts {
        timeline: Some(timeline_svg.to_string()),
        recovery: Some(recovery_svg.to_string()),
    };
    Ok(run_page(&summary, &KeyOrder::of(summary_json), &charts))
}

/// An SVG file's text as an inline chart, or a note that the folder lacks it.
fn embed_chart(svg: Option<&str>, file: &str) -> String {
    match svg {
        Some(svg) => format!(
            "<div class=\"chart\">{}</div>",
            svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        ),
        None => format!("<p class=\"muted\">no {file} in this folder</p>"),
    }
}

/// Every object key of a JSON text in the order it first appears under its parent key (a
/// list's entries share the list's key). summary.json is written from structs whose fields go
/// from identity to detail (name, state, then counts, then nested records); tables show their
/// columns in that order, not alphabetically.
#[derive(Default)]
pub(crate) struct KeyOrder(Vec<(String, String)>);

impl KeyOrder {
    fn of(json: &str) -> KeyOrder {
        let mut keys: Vec<(String, String)> = vec![];
        let mut parents: Vec<String> = vec![];
        let mut last_key: Option<String> = None;
        let mut chars = json.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            match c {
                '{' | '[' => {
                    let parent = last_key.take().or_else(|| parents.last().cloned());
                    parents.push(parent.unwrap_or_default());
                    continue;
                }
                '}' | ']' => {
                    parents.pop();
                    last_key = None;
                    continue;
                }
                '"' => {}
                _ => continue,
            }
            let mut end = start + 1;
            let mut escaped = false;
            for (i, c) in chars.by_ref() {
                end = i;
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => break,
                    _ => {}
                }
            }
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            if chars.peek().is_some_and(|(_, c)| *c == ':') {
                let key = serde_json::from_str::<String>(&json[start..=end]).unwrap_or_default();
                let entry = (parents.last().cloned().unwrap_or_default(), key.clone());
                if !keys.contains(&entry) {
                    keys.push(entry);
                }
                last_key = Some(key);
            }
        }
        KeyOrder(keys)
    }

    /// The keys of an object under `parent` in the JSON's order (keys it lacks last).
    fn sort<'a>(&self, parent: &str, keys: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
        let mut keys: Vec<&String> = keys.collect();
        keys.sort_by_key(|k| {
            self.0
                .iter()
                .position(|(p, o)| p == parent && o == *k)
                .unwrap_or(usize::MAX)
        });
        keys
    }
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:14px;\
color:#222;margin:24px auto;max-width:1200px;padding:0 16px}\
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;\
padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}\
.sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}\
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f4f4f4;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.wrap{overflow-x:auto}td.nest{padding:2px}td.nest table{margin:0;font-size:12px;width:100%}\
td.nest th{background:#fafafa;font-weight:500;white-space:nowrap}th{white-space:nowrap}.muted{color:#888}svg{max-width:100%;height:auto}\
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #eee;padding:4px}\
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;\
height:12px;margin-right:4px;vertical-align:-1px}";

/// Marks the page rendered (charts counted) for the browser test; nothing else runs.
const SCRIPT: &str = "<script>window.addEventListener('load',function(){document.documentElement.\
setAttribute('data-charts',document.querySelectorAll('svg').length);});</script>";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style>{SCRIPT}</head>\n<body>\n{body}\n\
<p class=\"muted\">Written by jobset-sim {} (docs/report.md).</p>\n</body></html>\n",
        esc(title),
        env!("CARGO_PKG_VERSION")
    )
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JSON value as a table cell: numbers readable (the exact value in the tooltip), objects
/// and lists as nested tables.
fn cell(v: &Value, order: &KeyOrder, key: &str) -> String {
    match v {
        Value::Null => "<td class=\"muted\">—</td>".into(),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            format!("<td class=\"n\" title=\"{n}\">{}</td>", fmt_readable(f))
        }
        Value::Bool(b) => format!("<td>{b}</td>"),
        Value::String(s) => format!("<td>{}</td>", esc(s)),
        Value::Array(a) if a.is_empty() => "<td class=\"muted\">none</td>".into(),
        Value::Object(o) if o.is_empty() => "<td class=\"muted\">none</td>".into(),
        Value::Array(_) | Value::Object(_) => {
            format!("<td class=\"nest\">{}</td>", table(v, order, key))
        }
    }
}

/// Any JSON value as a table: a list of objects has one row per entry and a column per key
/// (the union, in first-seen order); an object has one row per key; scalars print alone.
pub(crate) fn table(v: &Value, order: &KeyOrder, parent: &str) -> String {
    match v {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let mut seen: Vec<&String> = vec![];
            for i in items {
                for k in i.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !seen.contains(&k) {
                        seen.push(k);
                    }
                }
            }
            let keys = order.sort(parent, seen.into_iter());
            let mut out = String::from("<div class=\"wrap\"><table><tr>");
            for k in &keys {
                let _ = write!(out, "<th>{}</th>", esc(k));
            }
            out += "</tr>";
            for i in items {
                out += "<tr>";
                for k in &keys {
                    out += &cell(i.get(k.as_str()).unwrap_or(&Value::Null), order, k);
                }
                out += "</tr>";
            }
            out += "</table></div>";
            // Hundreds of recoveries (weeks of training) fold away instead of filling the page.
            if items.len() > LONG_TABLE_ROWS {
                out = format!(
                    "<details><summary>{} entries (click to show)</summary>{out}</details>",
                    items.len()
                );
            }
            out
        }
        Value::Array(items) if items.is_empty() => "<p class=\"muted\">none</p>".into(),
        Value::Array(items) => {
            let mut out = String::from("<table>");
            for (n, i) in items.iter().enumerate() {
                let _ = write!(out, "<tr><th>{n}</th>{}</tr>", cell(i, order, parent));
            }
            out + "</table>"
        }
        Value::Object(m) => {
            let mut out = String::from("<div class=\"wrap\"><table>");
            for k in order.sort(parent, m.keys()) {
                let _ = write!(out, "<tr><th>{}</th>{}</tr>", esc(k), cell(&m[k], order, k));
            }
            out + "</table></div>"
        }
        other => format!("<table><tr>{}</tr></table>", cell(other, order, parent)),
    }
}

/// Lists longer than this are folded (`<details>`).
const LONG_TABLE_ROWS: usize = 25;

/// Keys of summary.json with a section of their own; the rest go in the overview.
const SECTIONS: &[(&str, &str)] = &[
    ("jobsets", "JobSets"),
    ("pods", "Pods"),
    ("pending_pods", "Pods pending at the end"),
    ("recovery", "Recoveries"),
    ("recoveries", "Interruptions and recoveries"),
    ("distributions", "Distributions"),
    ("faults", "Faults"),
    ("training", "Training"),
    ("scheduler", "Scheduler"),
    ("kueue", "Kueue"),
];

fn run_page(s: &Value, order: &KeyOrder, charts: &Charts) -> String {
    let name = s["scenario"].as_str().unwrap_or("run");
    let mut body = format!(
        "<h1>{}</h1><p class=\"sub\">seed {} · simulated {} s · {} nodes · {} events</p>",
        esc(name),
        s["seed"],
        s["sim_end_s"].as_f64().map_or("?".into(), |v| {
            let ns = (v * 1e9).round().max(0.0) as u64;
            format!(
                "{} ({})",
                crate::engine::time::format_duration(ns),
                fmt_readable(v)
            )
        }),
        s["nodes"],
        s["events"]
    );
    body += "<h2>Headline metrics</h2><table><tr><th>metric</th><th>value</th></tr>";
    for m in METRICS {
        if let Some(v) = (m.compute)(s) {
            let _ = write!(
                body,
                "<tr><th>{}</th><td class=\"n\" title=\"{v}\">{}</td></tr>",
                m.name,
                fmt_readable(v)
            );
        }
    }
    body += "</table>";
    let overview: serde_json::Map<String, Value> = s
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !SECTIONS.iter().any(|(key, _)| key == k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    body += "<h2>Summary</h2>";
    body += &table(&Value::Object(overview), order, "");
    body += "<h2>Timeline</h2>";
    body += &embed_chart(charts.timeline.as_deref(), "timeline.svg");
    for (key, title) in SECTIONS {
        let Some(v) = s.get(*key) else { continue };
        let _ = write!(body, "<h2>{title}</h2>");
        if *key == "recovery" {
            body += &recovery_chart(v);
        }
        if *key == "recoveries" {
            body += &embed_chart(charts.recovery.as_deref(), "recovery.svg");
        }
        if *key == "kueue" {
            body += &kueue_section(v, order);
            continue;
        }
        body += &table(v, order, key);
    }
    page(&format!("jobset-sim report: {name}"), &body)
}

/// summary.json's `kueue`: the Workloads and the ClusterQueues as tables of their own, each
/// queue's `series` left to summary.json and the timeline's Kueue panels (a nested table of
/// hundreds of samples per row would bury the rest).
fn kueue_section(v: &Value, order: &KeyOrder) -> String {
    let mut out = format!(
        "<p>{} admission cycles. Quota in use, borrowed and Workloads pending over time: the \
         timeline's ClusterQueue and cohort panels above, and <code>kueue.cluster_queues[].series</code> \
         in summary.json; each LocalQueue's admission-fair-sharing usage over time: \
         <code>kueue.local_queues[].admission_fair_sharing.series</code>.</p>",
        v["admission_cycles"]
    );
    let queues: Vec<Value> = (v["cluster_queues"].as_array().into_iter().flatten())
        .map(|q| {
            let mut q = q.clone();
            if let Some(o) = q.as_object_mut() {
                o.remove("series");
            }
            q
        })
        .collect();
    let local: Vec<Value> = (v["local_queues"].as_array().into_iter().flatten())
        .map(|q| {
            let mut q = q.clone();
            if let Some(afs) = q.get_mut("admission_fair_sharing") {
                afs.as_object_mut().map(|o| o.remove("series"));
            }
            q
        })
        .collect();
    for (key, title, part) in [
        ("workloads", "Workloads", v["workloads"].clone()),
        ("cluster_queues", "ClusterQueues", Value::Array(queues)),
        ("local_queues", "LocalQueues", Value::Array(local)),
    ] {
        let _ = write!(out, "<h3>{title}</h3>");
        out += &table(&part, order, key);
    }
    out
}

/// The phases of a recovery, in order: (start key, end key, label, colour).
const PHASES: &[(&str, &str, &str, &str)] = &[
    (
        "failed_at_s",
        "first_create_s",
        "failure → first new pod",
        "#d62728",
    ),
    (
        "first_create_s",
        "all_scheduled_s",
        "pods created and scheduled",
        "#ff7f0e",
    ),
    (
        "all_scheduled_s",
        "all_running_s",
        "scheduled → all running",
        "#2ca02c",
    ),
];

/// One horizontal bar per recovery, split into its phases, on a common axis of seconds since
/// the failure.
fn recovery_chart(v: &Value) -> String {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        return String::new();
    };
    let shown: Vec<&Value> = items.iter().take(40).collect();
    let span = |r: &Value| -> Option<f64> {
        Some(r.get("all_running_s")?.as_f64()? - r.get("failed_at_s")?.as_f64()?)
    };
    let longest = shown.iter().filter_map(|r| span(r)).fold(0.0f64, f64::max);
    if longest <= 0.0 {
        return String::new();
    }
    let (left, width, row) = (150.0, 760.0, 22.0);
    let height = 40.0 + row * shown.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\" font-size=\"11\" font-family=\"DejaVu Sans, sans-serif\">",
        left + width + 40.0,
        left + width + 40.0
    );
    for k in 0..=4 {
        let x = left + width * k as f64 / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"8\" x2=\"{x}\" y2=\"{}\" stroke=\"#e6e6e6\"/>\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{} s</text>",
            height - 24.0,
            height - 10.0,
            fmt_readable(longest * k as f64 / 4.0)
        );
    }
    for (i, r) in shown.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let label = format!(
            "{} #{}",
            r.get("jobset").and_then(Value::as_str).unwrap_or("?"),
            r.get("attempt").map_or("?".into(), |a| a.to_string())
        );
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + 13.0,
            esc(&label)
        );
        let Some(t0) = r.get("failed_at_s").and_then(Value::as_f64) else {
            continue;
        };
        for (from, to, what, colour) in PHASES {
            let (Some(a), Some(b)) = (
                r.get(*from).and_then(Value::as_f64),
                r.get(*to).and_then(Value::as_f64),
            ) else {
                continue;
            };
            let x = left + (a - t0) / longest * width;
            let w = ((b - a) / longest * width).max(1.0);
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{colour}\">\
                 <title>{what}: {} s</title></rect>",
                fmt_readable(b - a)
            );
        }
    }
    svg += "</svg>";
    let mut legend = String::from("<p class=\"legend\">");
    for (_, _, what, colour) in PHASES {
        let _ = write!(
            legend,
            "<span><i class=\"sw\" style=\"background:{colour}\"></i>{what}</span>"
        );
    }
    let more = if items.len() > shown.len() {
        format!(" (first {} of {})", shown.len(), items.len())
    } else {
        String::new()
    };
    format!("<h3>Time to recover, by phase{more}</h3>{legend}</p><div class=\"chart\">{svg}</div>")
}

fn sweep_page(dir: &Path) -> Result<String, SimError> {
    let meta = sweep_out::read_meta(dir)?.ok_or_else(|| {
        InputError::new(dir.display().to_string(), "no sweep.json in this folder")
    })?;
    let summaries: Vec<Option<Value>> = (0..meta.runs())
        .map(|i| sweep_out::read_run(dir, &meta, i))
        .collect::<Result<_, _>>()?;
    let done = summaries.iter().filter(|s| s.is_some()).count();
    let mut body = format!(
        "<h1>Sweep {}</h1><p class=\"sub\">base scenario {} · {} cells × {} seeds · {done} of {} \
         runs done · sweep hash {}</p>",
        esc(&meta.sweep),
        esc(&meta.scenario),
        meta.cells.len(),
        meta.seeds.len(),
        meta.runs(),
        esc(&meta.hash[..meta.hash.len().min(12)])
    );
    body += "<h2>Cells</h2><table><tr><th>cell</th>";
    for a in &meta.axes {
        let _ = write!(body, "<th>{}</th>", esc(a));
    }
    body += "</tr>";
    for c in &meta.cells {
        let _ = write!(body, "<tr><th>{}</th>", esc(&c.id));
        for v in &c.values {
            let _ = write!(body, "<td>{}</td>", esc(v));
        }
        body += "</tr>";
    }
    body += "</table>";
    let stats = cell_stats(&meta, &summaries);
    body += "<h2>Headline metrics per cell</h2><p class=\"muted\">mean over the seeds with \
             its 95% confidence interval (Student t); n = runs that have the metric.</p>";
    body += "<div class=\"wrap\"><table><tr><th>metric</th>";
    for c in &meta.cells {
        let _ = write!(
            body,
            "<th>{}<br><span class=\"muted\">{}</span></th>",
            esc(&c.id),
            esc(&c.values.join(", "))
        );
    }
    body += "</tr>";
    for (m, per_cell) in &stats {
        let _ = write!(body, "<tr><th>{m}</th>");
        for st in per_cell {
            body += &match st {
                None => "<td class=\"muted\">—</td>".to_string(),
                Some(st) => match st.ci95 {
                    Some((lo, hi)) => format!(
                        "<td class=\"n\">{}<br><span class=\"muted\">{} … {} (n {})</span></td>",
                        fmt_readable(st.mean),
                        fmt_readable(lo),
                        fmt_readable(hi),
                        st.n
                    ),
                    None => format!(
                        "<td class=\"n\">{}<br><span class=\"muted\">n {}</span></td>",
                        fmt_readable(st.mean),
                        st.n
                    ),
                },
            };
        }
        body += "</tr>";
    }
    body += "</table></div><h2>Charts</h2><div class=\"charts\">";
    for (m, per_cell) in &stats {
        body += &metric_chart(m, &meta, per_cell);
    }
    body += "</div>";
    Ok(page(
        &format!("jobset-sim sweep report: {}", meta.sweep),
        &body,
    ))
}

type CellStats = Vec<(&'static str, Vec<Option<crate::stats::Stats>>)>;

/// Per headline metric that some run has: the statistics of each cell.
fn cell_stats(meta: &Meta, summaries: &[Option<Value>]) -> CellStats {
    let mut out = vec![];
    for metric in METRICS {
        let per_cell: Vec<_> = (0..meta.cells.len())
            .map(|c| {
                let values: Vec<f64> = summaries
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| meta.run_at(*i).0 == c)
                    .filter_map(|(_, s)| (metric.compute)(s.as_ref()?))
                    .filter(|v| v.is_finite())
                    .collect();
                crate::stats::describe(&values)
            })
            .collect();
        if per_cell.iter().any(Option::is_some) {
            out.push((metric.name, per_cell));
        }
    }
    out
}

/// One metric across the cells: a dot at each mean with its 95% interval as a whisker.
fn metric_chart(name: &str, meta: &Meta, per_cell: &[Option<crate::stats::Stats>]) -> String {
    // Each cell is labelled by its axis values, one line per axis, under its whisker.
    let axes = meta.axes.len().max(1);
    let (w, left, top) = (360.0, 56.0, 28.0);
    let bottom = 18.0 + 13.0 * axes as f64;
    let h = 180.0 + bottom;
    let ends = per_cell.iter().flatten().flat_map(|s| {
        let (lo, hi) = s.ci95.unwrap_or((s.mean, s.mean));
        [lo, hi, s.mean]
    });
    let (mut lo, mut hi) = ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo > 0.0 && lo < hi * 0.5 {
        lo = 0.0;
    }
    if (hi - lo).abs() < 1e-12 {
        let pad = hi.abs().max(1.0) * 0.1;
        lo -= pad;
        hi += pad;
    }
    let plot_h = h - top - bottom;
    let y = |v: f64| top + plot_h * (1.0 - (v - lo) / (hi - lo));
    let n = per_cell.len().max(1) as f64;
    let x = |c: usize| left + (w - left - 12.0) * (c as f64 + 0.5) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} \
         {h}\" font-size=\"11\" font-family=\"DejaVu Sans, sans-serif\"><text x=\"{left}\" \
         y=\"16\" font-weight=\"bold\">{}</text>",
        esc(name)
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{}\" y2=\"{yy:.1}\" stroke=\"#eee\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            w - 12.0,
            left - 4.0,
            yy + 4.0,
            fmt_readable(v)
        );
    }
    for (c, st) in per_cell.iter().enumerate() {
        let xx = x(c);
        svg += &cell_label(meta, c, xx, h - bottom + 16.0, (w - left) / n);
        let Some(st) = st else { continue };
        if let Some((a, b)) = st.ci95 {
            let _ = write!(
                svg,
                "<path d=\"M{xx:.1} {:.1}V{:.1}M{:.1} {:.1}h10M{:.1} {:.1}h10\" stroke=\"#1f77b4\" \
                 stroke-width=\"1.5\"/>",
                y(a),
                y(b),
                xx - 5.0,
                y(a),
                xx - 5.0,
                y(b)
            );
        }
        let _ = write!(
            svg,
            "<circle cx=\"{xx:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#1f77b4\"><title>{} {}: {}</title>\
             </circle>",
            y(st.mean),
            esc(&meta.cells[c].id),
            esc(&meta.cells[c].values.join(", ")),
            fmt_readable(st.mean)
        );
    }
    svg += "</svg>";
    format!("<div class=\"chart\">{svg}</div>")
}

/// A cell's axis values under its point in a chart, one line each, cut to the room a cell
/// has (the full `axis=value` list and the cell id in the tooltip).
fn cell_label(meta: &Meta, c: usize, x: f64, y: f64, room_px: f64) -> String {
    let cell = &meta.cells[c];
    let full: Vec<String> = meta
        .axes
        .iter()
        .zip(&cell.values)
        .map(|(a, v)| format!("{a}={v}"))
        .collect();
    // About 6.5 px per character at 11 px.
    let max_chars = ((room_px / 6.5) as usize).max(4);
    let mut out = format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\" fill=\"#555\"><title>{} ({})</title>",
        esc(&full.join(", ")),
        esc(&cell.id)
    );
    let values: Vec<&String> = if cell.values.is_empty() {
        vec![&cell.id]
    } else {
        cell.values.iter().collect()
    };
    for (i, v) in values.into_iter().enumerate() {
        let shown: String = if v.chars().count() > max_chars {
            v.chars().take(max_chars - 1).collect::<String>() + "…"
        } else {
            v.clone()
        };
        let dy = if i == 0 { 0.0 } else { 13.0 };
        let _ = write!(
            out,
            "<tspan x=\"{x:.1}\" dy=\"{dy}\">{}</tspan>",
            esc(&shown)
        );
    }
    out + "</text>"
}

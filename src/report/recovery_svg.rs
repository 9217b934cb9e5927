//! `recovery.svg`: every recovery of the run against time since its failure.
//!
//! Pure, like `timeline_svg`: the caller hands over one [`Curve`] per recovery record and this
//! module only draws, so the same records always give the same bytes. Top to bottom:
//! 1. the records drawn (colour per record, with their path and outcome);
//! 2. pods created since the failure, scheduled and running, per record; with more than
//!    [`MAX_OVERLAID`] records, the median and the p10–p90 band of pods running over all of
//!    them, and only the unfinished and the slowest drawn one by one;
//! 3. the bind rate in 5-second windows (ClusterLoader2's window throughput);
//! 4. one strip per stage (detection … training resumed), a tick per record;
//! 5. a histogram of time to recover, records that did not recover in a bar of their own.
//!
//! Records that did not recover are dashed and labelled with their state at the end of their
//! line; one that runs past the axis (a stall of days beside recoveries of seconds) is cut at
//! the right edge with its length written there.

use super::timeline_svg::{
    esc, nice_125, px, si, text_width_px, thousands, time_ticks, truncate_chars, FONT,
};
use std::fmt::Write as _;

/// The stages marked, in order, as `Curve::stages_s` holds them.
pub(crate) const STAGES: [&str; 6] = [
    "detected",
    "old pods gone",
    "Jobs recreated",
    "all scheduled",
    "all running",
    "training resumed",
];

/// (time since the failure in seconds, pods created since it, scheduled, running).
pub(crate) type Step = (f64, u64, u64, u64);

/// One recovery record, times in seconds since its failure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Curve {
    /// Its position in summary.json's `recoveries[]`, from 1.
    pub number: usize,
    pub jobset: String,
    pub path: String,
    /// summary.json's `state`: `recovered`, `stalled`, `unfinished at end of run`, ...
    pub state: String,
    pub pods_needed: u64,
    /// (time, pods created since the failure, scheduled, running), in time order; the last
    /// is the state at `end_s`.
    pub steps: Vec<Step>,
    /// Where the record ends: training resumed or all running, else the end of the run.
    pub end_s: f64,
    pub stages_s: [Option<f64>; STAGES.len()],
    /// Binds per second in 5-second windows as a step function: (time the rate becomes
    /// this, rate), 0 after the last window.
    pub bind_rates: Vec<(f64, f64)>,
    pub time_to_recover_s: Option<f64>,
    /// The first line of the diagnosis of a record that did not recover.
    pub diagnosis: Option<String>,
}

impl Curve {
    fn recovered(&self) -> bool {
        self.time_to_recover_s.is_some()
    }
    /// (created, scheduled, running) at `t_s`: the last step at or before it.
    fn at(&self, t_s: f64) -> (u64, u64, u64) {
        let i = self.steps.partition_point(|s| s.0 <= t_s);
        let s = self.steps[i.saturating_sub(1).min(self.steps.len() - 1)];
        (s.1, s.2, s.3)
    }
    /// Binds per second in the window holding `t_s` (0 outside the windows).
    fn rate_at(&self, t_s: f64) -> f64 {
        let i = self.bind_rates.partition_point(|w| w.0 <= t_s);
        i.checked_sub(1).map_or(0.0, |i| self.bind_rates[i].1)
    }
}

/// At most this many records are overlaid; beyond, percentile bands.
pub(crate) const MAX_OVERLAID: usize = 8;
/// With bands: records not recovered drawn one by one (at most), and the slowest recovered.
const MAX_UNFINISHED_SHOWN: usize = 5;
const SLOWEST_SHOWN: usize = 3;
/// Evaluation points of the bands across the plot.
const BAND_COLUMNS: usize = 212;
/// A record not recovered that ends past this many times the recovered ones is cut at the edge.
const CUT_FACTOR: f64 = 3.0;

const WIDTH_PX: f64 = 1000.0;
const LEFT_PX: f64 = 104.0;
/// Room for the labels of records that did not recover, at the end of their lines.
const RIGHT_PX: f64 = 170.0;
const PLOT_W_PX: f64 = WIDTH_PX - LEFT_PX - RIGHT_PX;
const HEADER_PX: f64 = 22.0;
const PODS_H_PX: f64 = 190.0;
const RATE_H_PX: f64 = 90.0;
const GAP_PX: f64 = 12.0;
const STAGE_ROW_PX: f64 = 12.0;
const LEGEND_ROW_PX: f64 = 15.0;
const HIST_H_PX: f64 = 120.0;
const HIST_LEFT_PX: f64 = LEFT_PX;
/// The histogram's own bar for records that did not recover sits right of the bins.
const HIST_EXTRA_W_PX: f64 = 110.0;
const MAX_LEGEND_CHARS: usize = 68;
/// A diagnosis line spans the chart's width.
const MAX_DIAGNOSIS_CHARS: usize = 135;

const PALETTE: [&str; MAX_OVERLAID] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
];
const COLOUR_BAND: &str = "#1f77b4";
const COLOUR_GRID: &str = "#e6e6e6";
const COLOUR_AXIS: &str = "#888888";
const COLOUR_MUTED: &str = "#555555";
const COLOUR_NOT_RECOVERED: &str = "#d62728";
const DASH_NOT_RECOVERED: &str = "7 4";

/// Renders the chart; records need steps (a record without any is skipped).
pub(crate) fn render(title: &str, curves: &[Curve]) -> String {
    let curves: Vec<&Curve> = curves.iter().filter(|c| !c.steps.is_empty()).collect();
    let title = truncate_chars(title, 120);
    if curves.is_empty() {
        return render_empty(&title);
    }
    let layout = Layout::new(&curves);
    let mut y = 50.0;
    let mut body = String::with_capacity(32 * 1024);
    y = layout.draw_legend(&mut body, y);
    layout.draw_pods(&mut body, y);
    y += HEADER_PX + PODS_H_PX + GAP_PX;
    layout.draw_rates(&mut body, y);
    y += HEADER_PX + RATE_H_PX + 4.0;
    layout.draw_stages(&mut body, y);
    y += STAGES.len() as f64 * STAGE_ROW_PX + 2.0;
    draw_time_axis(&mut body, &layout, y);
    y += 44.0;
    draw_histogram(&mut body, &curves, y);
    y += HEADER_PX + HIST_H_PX + 40.0;
    let mut out = header(&title, y);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"39\" fill=\"{COLOUR_MUTED}\">{}</text>",
        px(LEFT_PX),
        esc(&subtitle(&curves))
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

fn header(title: &str, height_px: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\" font-size=\"11\" data-chart=\"recovery\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n\
         <text x=\"{l}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{t}</text>\n",
        w = px(WIDTH_PX),
        h = px(height_px),
        l = px(LEFT_PX),
        t = esc(title),
    )
}

fn render_empty(title: &str) -> String {
    let mut out = header(title, 110.0);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"70\" text-anchor=\"middle\" font-size=\"14\" fill=\"{COLOUR_MUTED}\">\
         no interruption in this run: nothing to recover</text>\n</svg>",
        px(WIDTH_PX / 2.0)
    );
    out
}

/// "3 recoveries · 2 recovered · 1 stalled · time to recover p50 31 s, p90 …, max …".
fn subtitle(curves: &[&Curve]) -> String {
    let mut ttr: Vec<f64> = curves.iter().filter_map(|c| c.time_to_recover_s).collect();
    ttr.sort_by(f64::total_cmp);
    let mut states: Vec<(&str, usize)> = vec![];
    for c in curves.iter().filter(|c| !c.recovered()) {
        match states.iter_mut().find(|s| s.0 == c.state) {
            Some(s) => s.1 += 1,
            None => states.push((&c.state, 1)),
        }
    }
    let mut text = format!(
        "{} recoveries · {} recovered",
        thousands(curves.len() as u64),
        thousands(ttr.len() as u64)
    );
    for (state, n) in states {
        let _ = write!(text, " · {n} {state}");
    }
    if !ttr.is_empty() {
        let pct = |p: f64| ttr[((p * ttr.len() as f64).ceil() as usize).clamp(1, ttr.len()) - 1];
        let _ = write!(
            text,
            " · time to recover p50 {}, p90 {}, max {}",
            duration(pct(0.5)),
            duration(pct(0.9)),
            duration(ttr[ttr.len() - 1])
        );
    }
    text
}

/// "0.4 s", "31 s", "3 min 25 s", "5 h 12 min", "2 d 4 h".
pub(crate) fn duration(s: f64) -> String {
    let s = if s.is_finite() { s.max(0.0) } else { 0.0 };
    if s < 10.0 {
        return format!("{} s", (s * 10.0).round() / 10.0);
    }
    let whole = s.round() as u64;
    match whole {
        0..120 => format!("{whole} s"),
        120..7_200 => format!("{} min {} s", whole / 60, whole % 60),
        7_200..172_800 => format!("{} h {} min", whole / 3600, whole / 60 % 60),
        _ => format!("{} d {} h", whole / 86_400, whole / 3600 % 24),
    }
}

/// What is drawn and on which scales.
struct Layout<'a> {
    curves: &'a [&'a Curve],
    /// Records drawn one by one, with their colour.
    shown: Vec<(&'a Curve, &'static str)>,
    band: bool,
    span_s: f64,
    /// Pods on the y axis when every record needs the same count, else % of needed.
    uniform_needed: Option<u64>,
    pods_top: f64,
    rate_top: f64,
}

impl<'a> Layout<'a> {
    fn new(curves: &'a [&'a Curve]) -> Layout<'a> {
        let band = curves.len() > MAX_OVERLAID;
        // With bands, the first colour is the band's: records drawn one by one take the others.
        let palette = &PALETTE[usize::from(band)..];
        let shown: Vec<(&Curve, &str)> = shown_records(curves, band)
            .into_iter()
            .zip(palette.iter().copied())
            .collect();
        let first = curves[0].pods_needed;
        let uniform_needed = curves
            .iter()
            .all(|c| c.pods_needed == first)
            .then_some(first);
        let mut l = Layout {
            curves,
            shown,
            band,
            span_s: span_s(curves),
            uniform_needed,
            pods_top: 1.0,
            rate_top: 1.0,
        };
        l.pods_top = l.max_pods_value().max(l.scale_value(first, first));
        l.rate_top = l.max_rate();
        l
    }

    /// A pod count as drawn: pods, or % of the record's needed pods.
    fn scale_value(&self, count: u64, needed: u64) -> f64 {
        match self.uniform_needed {
            Some(_) => count as f64,
            None => 100.0 * count as f64 / needed.max(1) as f64,
        }
    }

    /// The most pods scheduled or running: pods created past it (a recovery that restarted
    /// again creates the JobSet's pods more than once) are cut at the top and their count
    /// written there.
    fn max_pods_value(&self) -> f64 {
        let mut top = 1.0f64;
        for c in self.curves {
            for s in &c.steps {
                top = top.max(self.scale_value(s.2.max(s.3), c.pods_needed));
            }
        }
        top
    }

    fn max_rate(&self) -> f64 {
        self.curves
            .iter()
            .flat_map(|c| c.bind_rates.iter().map(|w| w.1))
            .fold(1.0, f64::max)
    }

    fn x_px(&self, t_s: f64) -> f64 {
        LEFT_PX + (t_s / self.span_s).clamp(0.0, 1.0) * PLOT_W_PX
    }
}

/// All records when few; else the unfinished ones and the slowest recovered.
fn shown_records<'a>(curves: &[&'a Curve], band: bool) -> Vec<&'a Curve> {
    if !band {
        return curves.to_vec();
    }
    let mut out: Vec<&Curve> = curves
        .iter()
        .copied()
        .filter(|c| !c.recovered())
        .take(MAX_UNFINISHED_SHOWN)
        .collect();
    let mut slow: Vec<&Curve> = curves.iter().copied().filter(|c| c.recovered()).collect();
    let ttr = |c: &Curve| c.time_to_recover_s.unwrap_or(0.0);
    slow.sort_by(|a, b| ttr(b).total_cmp(&ttr(a)));
    out.extend(slow.into_iter().take(SLOWEST_SHOWN));
    out.sort_by_key(|c| c.number);
    out
}

/// The axis covers every recovered record to its end, and the others unless they run past
/// `CUT_FACTOR` times that (they are then cut at the edge).
fn span_s(curves: &[&Curve]) -> f64 {
    let recovered = curves
        .iter()
        .filter(|c| c.recovered())
        .map(|c| c.end_s)
        .fold(0.0, f64::max);
    let all = curves.iter().map(|c| c.end_s).fold(0.0, f64::max);
    let span = if recovered > 0.0 && all > CUT_FACTOR * recovered {
        recovered
    } else {
        all
    };
    if span.is_finite() && span > 0.0 {
        span * 1.02
    } else {
        1.0
    }
}

/// Linear 0..top scale of a panel `height_px` tall whose plot starts at `top_px`.
struct YAxis {
    top: f64,
    step: f64,
    plot_top_px: f64,
    height_px: f64,
}

impl YAxis {
    fn new(max: f64, plot_top_px: f64, height_px: f64) -> YAxis {
        YAxis::with_step(max, nice_125(max / 4.0), plot_top_px, height_px)
    }
    /// Whole-number ticks (counts of records).
    fn counts(max: f64, plot_top_px: f64, height_px: f64) -> YAxis {
        YAxis::with_step(max, nice_125(max / 4.0).max(1.0), plot_top_px, height_px)
    }
    fn with_step(max: f64, step: f64, plot_top_px: f64, height_px: f64) -> YAxis {
        let top = ((max / step) - 1e-9).ceil().max(1.0) * step;
        YAxis {
            top,
            step,
            plot_top_px,
            height_px,
        }
    }
    fn y_px(&self, v: f64) -> f64 {
        self.plot_top_px + self.height_px * (1.0 - (v / self.top).clamp(0.0, 1.0))
    }
    /// Grid lines, tick labels and the frame of a panel.
    fn draw(&self, out: &mut String, title: &str, unit: &str) {
        let n = (self.top / self.step).round().clamp(1.0, 20.0) as usize;
        let mut grid = String::new();
        for i in 0..=n {
            let v = i as f64 * self.step;
            let y = self.y_px(v);
            let _ = write!(
                grid,
                "M{} {}H{}",
                px(LEFT_PX),
                px(y),
                px(LEFT_PX + PLOT_W_PX)
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{COLOUR_MUTED}\">{}{unit}</text>",
                px(LEFT_PX - 6.0),
                px(y + 4.0),
                si(v, self.step)
            );
        }
        let bottom = self.plot_top_px + self.height_px;
        let _ = writeln!(
            out,
            "<path d=\"{grid}\" stroke=\"{COLOUR_GRID}\" fill=\"none\"/>\n\
             <path d=\"M{l} {t}V{b}H{r}\" stroke=\"{COLOUR_AXIS}\" fill=\"none\"/>\n\
             <text x=\"{l}\" y=\"{h}\" font-weight=\"bold\" font-size=\"12\">{}</text>",
            esc(title),
            l = px(LEFT_PX),
            t = px(self.plot_top_px),
            b = px(bottom),
            r = px(LEFT_PX + PLOT_W_PX),
            h = px(self.plot_top_px - 8.0),
        );
    }
}

impl Layout<'_> {
    /// The records drawn one by one (two columns) and the line styles; returns the y below.
    fn draw_legend(&self, out: &mut String, top_px: f64) -> f64 {
        let mut y = top_px + 11.0;
        if self.band {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\"><tspan fill=\"{COLOUR_BAND}\" font-weight=\"bold\">\
                 median and p10–p90 of all {} records</tspan> (pods running, created, \
                 scheduled; bind rate: median and p90); drawn one by one: {}</text>",
                px(LEFT_PX),
                px(y),
                thousands(self.curves.len() as u64),
                self.shown_words()
            );
            y += LEGEND_ROW_PX;
        }
        let column_w_px = (PLOT_W_PX + RIGHT_PX) / 2.0;
        let mut column = 0;
        for (c, colour) in &self.shown {
            let text = legend_text(c);
            // A long entry takes a whole row.
            let wide = text.chars().count() > MAX_LEGEND_CHARS;
            if column == 1 && wide {
                (column, y) = (0, y + LEGEND_ROW_PX);
            }
            let x = LEFT_PX + column as f64 * column_w_px;
            let row_y = y;
            if wide || column == 1 {
                (column, y) = (0, y + LEGEND_ROW_PX);
            } else {
                column = 1;
            }
            let _ = writeln!(
                out,
                "<path d=\"M{} {}h16\" stroke=\"{colour}\" stroke-width=\"2.5\"{}/>\
                 <text data-record=\"{}\" x=\"{}\" y=\"{}\">{}</text>",
                px(x),
                px(row_y - 4.0),
                dash_attr(c),
                c.number,
                px(x + 20.0),
                px(row_y),
                esc(&truncate_chars(&text, 2 * MAX_LEGEND_CHARS))
            );
        }
        if column == 1 {
            y += LEGEND_ROW_PX;
        }
        for (c, colour) in self.shown.iter().filter(|(c, _)| c.diagnosis.is_some()) {
            // An ended record's diagnosis says how it ended ("JobSet failed before ...").
            let state = if c.state.starts_with("ended") {
                "ended"
            } else {
                c.state.as_str()
            };
            let text = format!(
                "#{} {state}: {}",
                c.number,
                c.diagnosis.as_deref().unwrap_or("")
            );
            for line in wrap(&text, MAX_DIAGNOSIS_CHARS, 2) {
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
                    px(LEFT_PX),
                    px(y),
                    esc(&line)
                );
                y += LEGEND_ROW_PX;
            }
        }
        self.draw_style_key(out, y);
        y + 8.0
    }

    fn shown_words(&self) -> String {
        let unfinished = self.shown.iter().filter(|c| !c.0.recovered()).count();
        let slowest = self.shown.len() - unfinished;
        match (unfinished, slowest) {
            (0, s) => format!("the slowest {s}"),
            (u, 0) => format!("{u} not recovered"),
            (u, s) => format!("{u} not recovered and the slowest {s}"),
        }
    }

    /// "━ running ─ scheduled ┈ created since the failure ╌ not recovered".
    fn draw_style_key(&self, out: &mut String, y: f64) {
        let keys = [
            ("2.5", "", "pods running"),
            ("1.2", "", "scheduled (bound)"),
            (
                "1.2",
                " stroke-dasharray=\"1 2\"",
                "created since the failure",
            ),
            (
                "2.5",
                " stroke-dasharray=\"7 4\"",
                "not recovered (dashed, state at the line's end)",
            ),
        ];
        let mut x = LEFT_PX;
        for (width, dash, text) in keys {
            let _ = writeln!(
                out,
                "<path d=\"M{} {}h18\" stroke=\"{COLOUR_MUTED}\" stroke-width=\"{width}\"{dash}/>\
                 <text x=\"{}\" y=\"{}\" fill=\"{COLOUR_MUTED}\">{text}</text>",
                px(x),
                px(y - 4.0),
                px(x + 22.0),
                px(y)
            );
            x += 22.0 + text_width_px(text, 11.0) + 18.0;
        }
    }

    fn draw_pods(&self, out: &mut String, top_px: f64) {
        let axis = YAxis::new(self.pods_top, top_px + HEADER_PX, PODS_H_PX);
        let (title, unit) = match self.uniform_needed {
            Some(n) => (format!("Pods of the JobSet ({} needed)", thousands(n)), ""),
            None => ("Pods, % of those the JobSet needs".to_string(), "%"),
        };
        axis.draw(out, &title, unit);
        self.draw_time_grid(out, &axis);
        if self.band {
            self.draw_pod_bands(out, &axis);
        }
        for (c, colour) in &self.shown {
            self.draw_pod_lines(out, &axis, c, colour);
        }
        self.note_created_off_scale(out, &axis, text_width_px(&title, 12.0));
        self.draw_end_labels(out, &axis);
    }

    /// "created past the top: #3 4,096 · #4 1,024" beside the panel's title, for records whose
    /// created line leaves the panel (a recovery that restarted again creates the pods again).
    fn note_created_off_scale(&self, out: &mut String, axis: &YAxis, title_w_px: f64) {
        let off: Vec<String> = self
            .shown
            .iter()
            .filter_map(|(c, _)| c.steps.last().map(|s| (c, s.1)))
            .filter(|(c, created)| self.scale_value(*created, c.pods_needed) > axis.top)
            .map(|(c, created)| format!("#{} {}", c.number, thousands(created)))
            .collect();
        if off.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{COLOUR_MUTED}\">\
             created lines cut at the top: {}</text>",
            px(LEFT_PX + title_w_px + 16.0),
            px(axis.plot_top_px - 8.0),
            esc(&off.join(" · "))
        );
    }

    fn draw_time_grid(&self, out: &mut String, axis: &YAxis) {
        let mut d = String::new();
        for t in time_ticks(0.0, self.span_s) {
            let x = px(self.x_px(t.value_s));
            let _ = write!(
                d,
                "M{x} {}V{}",
                px(axis.plot_top_px),
                px(axis.plot_top_px + axis.height_px)
            );
        }
        let _ = writeln!(
            out,
            "<path d=\"{d}\" stroke=\"{COLOUR_GRID}\" fill=\"none\"/>"
        );
    }

    /// Median lines of created, scheduled and running, and the p10–p90 band of running.
    fn draw_pod_bands(&self, out: &mut String, axis: &YAxis) {
        let columns = self.band_columns(|c, t| {
            let (cr, sc, ru) = c.at(t);
            let n = c.pods_needed;
            [
                self.scale_value(cr, n),
                self.scale_value(sc, n),
                self.scale_value(ru, n),
            ]
        });
        let points = |series: usize, p: f64| -> Vec<(f64, f64)> {
            columns
                .iter()
                .map(|(t, v)| (*t, percentile(&v[series], p)))
                .collect()
        };
        draw_band(out, self, axis, &points(2, 0.1), &points(2, 0.9));
        for (series, width, dash) in [
            (0, "1.2", " stroke-dasharray=\"1 2\""),
            (1, "1.2", ""),
            (2, "2.5", ""),
        ] {
            let d = polyline(self, axis, &points(series, 0.5));
            let _ = writeln!(
                out,
                "<path d=\"{d}\" stroke=\"{COLOUR_BAND}\" stroke-width=\"{width}\"{dash} fill=\"none\"/>"
            );
        }
    }

    /// For each band column, its time and, per series, the values of every record, sorted.
    fn band_columns<const N: usize>(
        &self,
        value: impl Fn(&Curve, f64) -> [f64; N],
    ) -> Vec<(f64, [Vec<f64>; N])> {
        (0..=BAND_COLUMNS)
            .map(|i| {
                let t = self.span_s * i as f64 / BAND_COLUMNS as f64;
                let mut series: [Vec<f64>; N] = std::array::from_fn(|_| vec![]);
                for c in self.curves {
                    for (s, v) in series.iter_mut().zip(value(c, t)) {
                        s.push(v);
                    }
                }
                for s in &mut series {
                    s.sort_by(f64::total_cmp);
                }
                (t, series)
            })
            .collect()
    }

    /// Step lines of one record: running thick, scheduled thin, created dotted.
    fn draw_pod_lines(&self, out: &mut String, axis: &YAxis, c: &Curve, colour: &str) {
        // (which count of a step, stroke width, dots)
        let series = [
            (1, "1.2", " stroke-dasharray=\"1 2\""),
            (2, "1.2", ""),
            (3, "2.5", ""),
        ];
        for (which, width, dotted) in series {
            let points: Vec<(f64, f64)> = c
                .steps
                .iter()
                .map(|s| {
                    let count = [s.1, s.2, s.3][which - 1];
                    (s.0, self.scale_value(count, c.pods_needed))
                })
                .collect();
            let d = step_path(self, axis, &points, c.end_s);
            let dash = if dotted.is_empty() && !c.recovered() {
                dash_attr(c)
            } else {
                dotted.to_string()
            };
            let _ = writeln!(
                out,
                "<path d=\"{d}\" stroke=\"{colour}\" stroke-width=\"{width}\"{dash} \
                 fill=\"none\" stroke-opacity=\"0.9\"><title>#{} {}</title></path>",
                c.number,
                esc(&c.jobset)
            );
        }
    }

    /// "#4 stalled" at the end of each record that did not recover (pushed apart vertically).
    fn draw_end_labels(&self, out: &mut String, axis: &YAxis) {
        let mut labels: Vec<(f64, f64, String, &str)> = self
            .shown
            .iter()
            .filter(|(c, _)| !c.recovered())
            .map(|(c, colour)| {
                let running = self.scale_value(c.at(c.end_s).2, c.pods_needed);
                let cut = c.end_s > self.span_s;
                let state = c.state.split(" at end").next().unwrap_or_default();
                let mut text = format!("#{} {state}", c.number);
                if cut {
                    text = format!("{text}, {} →", duration(c.end_s));
                }
                (self.x_px(c.end_s), axis.y_px(running), text, *colour)
            })
            .collect();
        labels.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut last_y = f64::NEG_INFINITY;
        let label_x = LEFT_PX + PLOT_W_PX + 8.0;
        let chars = ((WIDTH_PX - 4.0 - label_x) / (11.0 * 0.58)).floor() as usize;
        for (x, y, text, colour) in labels {
            let text_y = (y + 4.0).max(last_y + 12.0);
            last_y = text_y;
            let _ = writeln!(
                out,
                "<path d=\"M{} {}H{}L{} {}\" stroke=\"{colour}\" stroke-dasharray=\"1 2\" fill=\"none\"/>\
                 <text x=\"{}\" y=\"{}\" fill=\"{colour}\" font-weight=\"bold\">{}</text>",
                px(x),
                px(y),
                px(label_x - 6.0),
                px(label_x - 2.0),
                px(text_y - 4.0),
                px(label_x),
                px(text_y),
                esc(&truncate_chars(&text, chars))
            );
        }
    }

    fn draw_rates(&self, out: &mut String, top_px: f64) {
        let axis = YAxis::new(self.rate_top, top_px + HEADER_PX, RATE_H_PX);
        axis.draw(out, "Bind rate, binds/s in 5-s windows", "");
        self.draw_time_grid(out, &axis);
        if self.band {
            let columns = self.band_columns(|c, t| [c.rate_at(t)]);
            for (p, width) in [(0.9, "1"), (0.5, "2")] {
                let points: Vec<(f64, f64)> = columns
                    .iter()
                    .map(|(t, v)| (*t, percentile(&v[0], p)))
                    .collect();
                let _ = writeln!(
                    out,
                    "<path d=\"{}\" stroke=\"{COLOUR_BAND}\" stroke-width=\"{width}\" fill=\"none\"/>",
                    polyline(self, &axis, &points)
                );
            }
        }
        for (c, colour) in &self.shown {
            let Some(&(end_s, _)) = c.bind_rates.last() else {
                continue;
            };
            let d = step_path(self, &axis, &c.bind_rates, end_s);
            let _ = writeln!(
                out,
                "<path d=\"{d}\" stroke=\"{colour}\" stroke-width=\"1.5\"{} fill=\"none\"/>",
                if c.recovered() {
                    String::new()
                } else {
                    dash_attr(c)
                }
            );
        }
    }

    /// One row per stage; a tick per record at the stage's time (grey for records not drawn
    /// one by one, in the record's colour for the others).
    fn draw_stages(&self, out: &mut String, top_px: f64) {
        for (row, stage) in STAGES.iter().enumerate() {
            let y = top_px + row as f64 * STAGE_ROW_PX;
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f7f7f7\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"end\" fill=\"{COLOUR_MUTED}\">{stage}</text>",
                px(LEFT_PX),
                px(y),
                px(PLOT_W_PX),
                px(STAGE_ROW_PX - 1.0),
                px(LEFT_PX - 6.0),
                px(y + 9.0)
            );
            if self.band {
                let (d, ticks) = self.stage_ticks(self.curves.iter().copied(), row, y);
                let _ = writeln!(
                    out,
                    "<path data-stage=\"{stage}\" data-ticks=\"{ticks}\" d=\"{d}\" stroke=\"#999999\" \
                     stroke-opacity=\"0.6\" fill=\"none\"/>"
                );
            }
            for (c, colour) in &self.shown {
                let (d, ticks) = self.stage_ticks(std::iter::once(*c), row, y);
                if ticks > 0 {
                    let _ = writeln!(
                        out,
                        "<path data-stage=\"{stage}\" data-record=\"{}\" d=\"{d}\" stroke=\"{colour}\" \
                         stroke-width=\"2\" fill=\"none\"/>",
                        c.number
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"9\" fill=\"{COLOUR_MUTED}\">stages (a tick per record)</text>",
            px(LEFT_PX + PLOT_W_PX + 6.0),
            px(top_px + 9.0)
        );
    }

    /// Tick path of one stage for `curves`, and the ticks in it (stages past the axis are
    /// left out).
    fn stage_ticks<'c>(
        &self,
        curves: impl Iterator<Item = &'c Curve>,
        row: usize,
        y: f64,
    ) -> (String, usize) {
        let mut d = String::new();
        let mut ticks = 0;
        for c in curves {
            if let Some(t) = c.stages_s[row].filter(|&t| t <= self.span_s) {
                let _ = write!(
                    d,
                    "M{} {}v{}",
                    px(self.x_px(t)),
                    px(y + 1.0),
                    px(STAGE_ROW_PX - 3.0)
                );
                ticks += 1;
            }
        }
        if d.is_empty() {
            d.push_str("M0 0");
        }
        (d, ticks)
    }
}

/// At most `lines` lines of at most `width` characters, broken at spaces; the last line ends
/// with "…" when text is left over.
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let line = out.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(String::new());
        }
        let line = out.last_mut().expect("one line at least");
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    let more = out.len() > lines;
    out.truncate(lines);
    out.iter_mut().for_each(|l| *l = truncate_chars(l, width));
    if more {
        let last = out.last_mut().expect("one line at least");
        *last = truncate_chars(&format!("{last} …"), width);
    }
    out
}

fn legend_text(c: &Curve) -> String {
    let outcome = match c.time_to_recover_s {
        Some(t) => format!("recovered in {}", duration(t)),
        None => {
            let running = c.steps.last().map_or(0, |s| s.3);
            format!(
                "{}, {} of {} running",
                c.state,
                thousands(running),
                thousands(c.pods_needed)
            )
        }
    };
    format!("#{} {} · {} · {outcome}", c.number, c.jobset, c.path)
}

fn dash_attr(c: &Curve) -> String {
    if c.recovered() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{DASH_NOT_RECOVERED}\"")
    }
}

/// The `p` quantile (nearest rank) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// A step line through `points` (value held until the next point), to `end_s`.
fn step_path(l: &Layout, axis: &YAxis, points: &[(f64, f64)], end_s: f64) -> String {
    let mut d = String::with_capacity(points.len() * 16);
    for (i, &(t, v)) in points.iter().enumerate() {
        if t > l.span_s {
            break;
        }
        let (x, y) = (px(l.x_px(t)), px(axis.y_px(v)));
        if i == 0 {
            let _ = write!(d, "M{x} {y}");
        } else {
            let _ = write!(d, "H{x}V{y}");
        }
    }
    let _ = write!(d, "H{}", px(l.x_px(end_s)));
    d
}

fn polyline(l: &Layout, axis: &YAxis, points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    for (i, &(t, v)) in points.iter().enumerate() {
        let _ = write!(
            d,
            "{}{} {}",
            if i == 0 { "M" } else { "L" },
            px(l.x_px(t)),
            px(axis.y_px(v))
        );
    }
    d
}

fn draw_band(out: &mut String, l: &Layout, axis: &YAxis, low: &[(f64, f64)], high: &[(f64, f64)]) {
    let mut d = polyline(l, axis, high);
    for &(t, v) in low.iter().rev() {
        let _ = write!(d, "L{} {}", px(l.x_px(t)), px(axis.y_px(v)));
    }
    let _ = writeln!(
        out,
        "<path d=\"{d}Z\" fill=\"{COLOUR_BAND}\" fill-opacity=\"0.18\" stroke=\"none\"/>"
    );
}

fn draw_time_axis(out: &mut String, l: &Layout, top_px: f64) {
    let mut d = String::new();
    for t in time_ticks(0.0, l.span_s) {
        let x = l.x_px(t.value_s);
        let _ = write!(d, "M{} {}v4", px(x), px(top_px));
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_MUTED}\">{}</text>",
            px(x),
            px(top_px + 16.0),
            esc(&t.label)
        );
    }
    let _ = writeln!(
        out,
        "<path d=\"{d}\" stroke=\"{COLOUR_AXIS}\" fill=\"none\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_MUTED}\">time since the failure</text>",
        px(LEFT_PX + PLOT_W_PX / 2.0),
        px(top_px + 32.0)
    );
}

/// Time to recover (failure → all pods running) in round bins; records that did not recover
/// in a dashed bar of their own on the right.
fn draw_histogram(out: &mut String, curves: &[&Curve], top_px: f64) {
    let ttr: Vec<f64> = curves.iter().filter_map(|c| c.time_to_recover_s).collect();
    let not_recovered = curves.len() - ttr.len();
    let bins = Bins::of(&ttr);
    let most = bins
        .counts
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(not_recovered as u64);
    // Headroom for the count above the tallest bar.
    let axis = YAxis::counts(most.max(1) as f64 * 1.15, top_px + HEADER_PX, HIST_H_PX);
    let plot_w = PLOT_W_PX + RIGHT_PX - HIST_EXTRA_W_PX - 40.0;
    let bar_x = HIST_LEFT_PX + plot_w + 50.0;
    axis.draw_hist_frame(out, plot_w);
    let bin_w = plot_w / bins.counts.len().max(1) as f64;
    for (i, &n) in bins.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
        let x = HIST_LEFT_PX + i as f64 * bin_w;
        // A single record beside hundreds still shows.
        let y = axis.y_px(n as f64).min(axis.y_px(0.0) - 2.0);
        let lo = i as f64 * bins.width_s;
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{COLOUR_BAND}\">\
             <title>{n} recovered in {}–{}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{COLOUR_MUTED}\">{n}</text>",
            px(x + 0.5),
            px(y),
            px((bin_w - 1.0).max(1.0)),
            px(axis.y_px(0.0) - y),
            duration(lo),
            duration(lo + bins.width_s),
            px(x + bin_w / 2.0),
            px(y - 3.0)
        );
    }
    draw_hist_time_axis(out, &bins, plot_w, axis.y_px(0.0));
    if not_recovered > 0 {
        let (x, y) = (bar_x, axis.y_px(not_recovered as f64));
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"30\" height=\"{}\" fill=\"#fbe3e3\" stroke=\"{COLOUR_NOT_RECOVERED}\" \
             stroke-dasharray=\"{DASH_NOT_RECOVERED}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_NOT_RECOVERED}\">{not_recovered}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_NOT_RECOVERED}\">not recovered</text>",
            px(x),
            px(y),
            px(axis.y_px(0.0) - y),
            px(x + 15.0),
            px(y - 3.0),
            px(x + 15.0),
            px(axis.y_px(0.0) + 16.0)
        );
    }
}

impl YAxis {
    fn draw_hist_frame(&self, out: &mut String, plot_w: f64) {
        let n = (self.top / self.step).round().clamp(1.0, 20.0) as usize;
        let mut grid = String::new();
        for i in 0..=n {
            let v = i as f64 * self.step;
            let y = self.y_px(v);
            let _ = write!(grid, "M{} {}h{}", px(HIST_LEFT_PX), px(y), px(plot_w));
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{COLOUR_MUTED}\">{}</text>",
                px(HIST_LEFT_PX - 6.0),
                px(y + 4.0),
                si(v, self.step.max(1.0))
            );
        }
        let _ = writeln!(
            out,
            "<path d=\"{grid}\" stroke=\"{COLOUR_GRID}\" fill=\"none\"/>\n\
             <text x=\"{}\" y=\"{}\" font-weight=\"bold\" font-size=\"12\">Time to recover \
             (failure → all pods running), records per bin</text>",
            px(HIST_LEFT_PX),
            px(self.plot_top_px - 8.0)
        );
    }
}

/// Equal bins of a round width from 0 past the largest value.
struct Bins {
    width_s: f64,
    counts: Vec<u64>,
}

impl Bins {
    const TARGET: f64 = 24.0;
    fn of(values: &[f64]) -> Bins {
        let max = values.iter().copied().fold(0.0, f64::max);
        let width_s = nice_125((max / Self::TARGET).max(0.1));
        // A dozen bins at least, so a lone value is a bar, not the whole axis.
        let n = ((max / width_s).floor() as usize + 1).clamp(12, 200);
        let mut counts = vec![0u64; n];
        for &v in values {
            counts[((v / width_s).floor().max(0.0) as usize).min(n - 1)] += 1;
        }
        Bins { width_s, counts }
    }
}

fn draw_hist_time_axis(out: &mut String, bins: &Bins, plot_w: f64, y: f64) {
    let span = bins.width_s * bins.counts.len() as f64;
    let mut d = format!("M{} {}h{}", px(HIST_LEFT_PX), px(y), px(plot_w));
    for t in time_ticks(0.0, span) {
        let x = HIST_LEFT_PX + t.value_s / span * plot_w;
        let _ = write!(d, "M{} {}v4", px(x), px(y));
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_MUTED}\">{}</text>",
            px(x),
            px(y + 16.0),
            esc(&t.label)
        );
    }
    let _ = writeln!(
        out,
        "<path d=\"{d}\" stroke=\"{COLOUR_AXIS}\" fill=\"none\"/>"
    );
}

#[cfg(test)]
mod tests {
    use super::super::timeline_svg::tests::check_xml;
    use super::*;

    /// A RestartJobSet-like record: the pods go, come back and run, over `ttr_s`.
    fn recovered(number: usize, ttr_s: f64) -> Curve {
        let half = ttr_s / 2.0;
        Curve {
            number,
            jobset: "train".into(),
            path: "RestartJobSet (Recreate)".into(),
            state: "recovered".into(),
            pods_needed: 8,
            steps: vec![
                (0.0, 0, 8, 7),
                (1.0, 0, 0, 0),
                (half, 8, 8, 0),
                (ttr_s, 8, 8, 8),
            ],
            end_s: ttr_s,
            stages_s: [
                Some(0.5),
                Some(1.0),
                Some(1.0),
                Some(half),
                Some(ttr_s),
                None,
            ],
            bind_rates: vec![(1.0, 1.6), (6.0, 0.0)],
            time_to_recover_s: Some(ttr_s),
            diagnosis: None,
        }
    }

    fn stalled(number: usize, end_s: f64) -> Curve {
        Curve {
            state: "stalled".into(),
            steps: vec![(0.0, 0, 8, 7), (1.0, 0, 0, 0), (2.0, 8, 7, 7)],
            end_s,
            stages_s: [Some(0.5), Some(1.0), Some(1.0), None, None, None],
            time_to_recover_s: None,
            diagnosis: Some("Job train-0: 1 pod(s) cannot be scheduled".into()),
            ..recovered(number, 3.0)
        }
    }

    fn stage_marks(svg: &str, record: usize) -> usize {
        STAGES
            .iter()
            .filter(|s| svg.contains(&format!("data-stage=\"{s}\" data-record=\"{record}\"")))
            .count()
    }

    #[test]
    fn every_record_and_stage_is_drawn_and_a_stall_is_dashed_and_labelled() {
        let curves = [recovered(1, 30.0), recovered(2, 40.0), stalled(3, 50.0)];
        let svg = render("t", &curves);
        check_xml(&svg).unwrap();
        for n in 1..=3 {
            assert!(
                svg.contains(&format!("data-record=\"{n}\" x=")),
                "legend #{n}"
            );
        }
        assert_eq!(
            stage_marks(&svg, 1),
            5,
            "training resumed is not a stage of #1"
        );
        assert_eq!(stage_marks(&svg, 3), 3);
        assert!(svg.contains(">#3 stalled</text>"));
        assert!(svg.contains(
            "stroke-dasharray=\"7 4\" fill=\"none\" stroke-opacity=\"0.9\"><title>#3 train"
        ));
        assert!(svg.contains("#3 stalled: Job train-0: 1 pod(s) cannot be scheduled"));
        assert!(svg.contains("1 not recovered") || svg.contains(">not recovered</text>"));
        assert_eq!(svg, render("t", &curves), "deterministic");
    }

    #[test]
    fn a_stall_of_days_beside_quick_recoveries_is_cut_at_the_edge() {
        let svg = render("t", &[recovered(1, 30.0), stalled(2, 3.0 * 86_400.0)]);
        check_xml(&svg).unwrap();
        assert!(svg.contains(">#2 stalled, 3 d 0 h →</text>"), "{svg}");
        // The axis follows the recovered record, not the stall.
        assert!(svg.contains(">30 s</text>"));
    }

    #[test]
    fn many_records_become_bands_with_the_slowest_and_unfinished_drawn() {
        let mut curves: Vec<Curve> = (1..=40).map(|n| recovered(n, 20.0 + n as f64)).collect();
        curves.push(stalled(41, 30.0));
        let svg = render("t", &curves);
        check_xml(&svg).unwrap();
        assert!(svg.contains("fill-opacity=\"0.18\""), "the p10–p90 band");
        assert!(svg.contains("median and p10–p90 of all 41 records"));
        let drawn: Vec<usize> = (1..=41)
            .filter(|n| svg.contains(&format!("data-record=\"{n}\" x=")))
            .collect();
        assert_eq!(drawn, [38, 39, 40, 41], "the slowest three and the stall");
        assert!(svg.contains("data-stage=\"all running\" data-ticks=\"40\""));
        assert!(svg.contains("data-stage=\"detected\" data-ticks=\"41\""));
    }

    #[test]
    fn no_record_is_a_note_and_durations_read_well() {
        let svg = render("t", &[]);
        check_xml(&svg).unwrap();
        assert!(svg.contains("no interruption in this run"));
        assert_eq!(duration(0.04), "0 s");
        assert_eq!(duration(3.25), "3.3 s");
        assert_eq!(duration(114.0), "114 s");
        assert_eq!(duration(205.0), "3 min 25 s");
        assert_eq!(duration(56_481.0), "15 h 41 min");
        assert_eq!(duration(380_288.0), "4 d 9 h");
    }

    #[test]
    fn long_diagnoses_wrap_on_two_lines() {
        let text = "a ".repeat(200);
        let lines = wrap(text.trim(), 20, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert!(lines.iter().all(|l| l.chars().count() <= 20));
        assert_eq!(wrap("short", 20, 2), ["short"]);
    }
}

//! `timeline.svg`: the run's timeline as a standalone SVG chart.
//!
//! Pure and dependency-free on purpose: the caller hands over samples and markers, this module
//! only draws them, so the picture can be tested without running a simulation and the same
//! input always gives the same bytes (CI diffs and golden files stay meaningful).
//!
//! Layout, top to bottom, all panels sharing one time axis:
//! 1. pods running / pending / failed;
//! 2. binds per second (when the rows have it);
//! 3. nodes ready (left axis) and not ready (right axis: a handful of broken nodes would be an
//!    invisible line on a 15,000-node scale);
//! 4. goodput so far (0–1, only when some row has it) and cumulative restarts (step line);
//! 5. a marker strip ("rug"): one row per marker kind, one tick per pixel column.
//!
//! Bands (recoveries stalled or unfinished) shade their time range through every panel.
//!
//! When markers are few they are also drawn as dashed lines through the panels and labelled;
//! when many, only the rug remains, so a 54-day run with hundreds of failures stays readable.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One sample of the cluster's state at simulated time `t_s`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimelineRow {
    pub t_s: f64,
    pub pods_pending: u64,
    pub pods_running: u64,
    /// Pods failed so far in this interval, or cumulative: drawn as given, labelled "failed".
    pub pods_failed: u64,
    pub nodes_ready: u64,
    pub nodes_not_ready: u64,
    /// Cumulative JobSet restarts.
    pub restarts: u64,
    /// Goodput so far in [0, 1]; None when the scenario has no training model.
    pub goodput: Option<f64>,
    /// Binds per second since the previous row; None for the first (or when not known).
    pub binds_per_s: Option<f64>,
}

/// What a marker marks. Fault markers come one per fault, as the fault table counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkerKind {
    /// A fault of a node-level injector (node, domain, maintenance, scripted).
    NodeFailure,
    /// A fault of a pod-level injector.
    PodFailure,
    /// A workload's own failure (no injector) that led to a restart.
    WorkloadFailure,
    Restart,
    Repair,
}

/// A shaded time range across the panels: a recovery stalled or unfinished.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    pub from_s: f64,
    pub to_s: f64,
    pub label: String,
}

/// A Kueue ClusterQueue (or a cohort, its member queues summed) over time: a panel of its own
/// below the others, with one (flavor, resource) pair's quota in use against its quota, the
/// part borrowed, the Workloads pending (stepped, right axis) and the queue's evictions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueuePanel {
    /// timeline.csv's column prefix: `kueue.cq.team-a` or `kueue.cohort.ml-platform`.
    pub key: String,
    /// "ClusterQueue team-a" or "Cohort ml-platform".
    pub title: String,
    /// The `flavor/resource` pair drawn.
    pub resource: String,
    /// The quota line, in the resource's units: the queue's nominal quota, or what the cohort
    /// holds (its subtree quota).
    pub quota: f64,
    /// The quota line's legend word: "nominal" or "cohort quota".
    pub quota_label: &'static str,
    /// (t_s, in use) after each change, in time order; a step line.
    pub usage: Vec<(f64, f64)>,
    /// (t_s, borrowed above the nominal quota); None for a cohort.
    pub borrowed: Option<Vec<(f64, f64)>>,
    /// (t_s, Workloads pending).
    pub pending: Vec<(f64, f64)>,
    pub evictions: Vec<QueueEviction>,
}

/// One eviction of a Workload of the queue: a triangle at the top of its panel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueueEviction {
    pub t_s: f64,
    /// `Preempted/InCohortReclamation`, `PodsReadyTimeout`, …: grouped in the legend.
    pub reason: String,
    /// The triangle's tooltip (`<title>`).
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Marker {
    pub t_s: f64,
    pub kind: MarkerKind,
    pub label: String,
}

const WIDTH_PX: f64 = 1000.0;
const MARGIN_LEFT_PX: f64 = 76.0;
const MARGIN_RIGHT_PX: f64 = 76.0;
const PLOT_W_PX: f64 = WIDTH_PX - MARGIN_LEFT_PX - MARGIN_RIGHT_PX;
/// Whole pixel columns of the plot area: the unit of downsampling and of marker density.
const PLOT_COLUMNS: usize = PLOT_W_PX as usize;
const PANEL_HEADER_PX: f64 = 20.0;
const PANEL_PLOT_H_PX: f64 = 130.0;
const PANEL_GAP_PX: f64 = 14.0;
const LABEL_ROW_H_PX: f64 = 13.0;
const LABEL_ROWS: usize = 3;
const RUG_ROW_H_PX: f64 = 11.0;
/// Above this many markers no marker gets its own text: labels would overlap into noise.
const MAX_LABELLED_MARKERS: usize = 20;
/// Above this many distinct (kind, pixel column) pairs dashed lines through the panels would
/// hide the data; the rug alone carries the markers then.
const MAX_FULL_HEIGHT_MARKER_LINES: usize = 40;
/// About eight intervals fit an 848-pixel axis with room for labels like "35 min".
const MAX_TIME_INTERVALS: f64 = 8.0;
/// Up to five intervals (26 px apart) on a 130-pixel panel; with four, 2,048 nodes would need
/// a 3k top and waste a third of the panel.
const Y_INTERVALS: f64 = 5.0;
/// Times beyond ±31,000 years are clamped so spans and tick arithmetic stay finite and exact
/// enough; no simulation runs that long.
const MAX_ABS_T_S: f64 = 1e12;
const MAX_TITLE_CHARS: usize = 120;
const MAX_LABEL_CHARS: usize = 40;
pub(super) const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

const COLOUR_RUNNING: &str = "#1f77b4";
const COLOUR_PENDING: &str = "#ff7f0e";
const COLOUR_FAILED: &str = "#d62728";
const COLOUR_READY: &str = "#2ca02c";
const COLOUR_NOT_READY: &str = "#d62728";
const COLOUR_GOODPUT: &str = "#17becf";
const COLOUR_RESTARTS: &str = "#9467bd";
const COLOUR_BINDS: &str = "#8c564b";
const COLOUR_BAND: &str = "#d62728";
const COLOUR_BAND_TEXT: &str = "#a01818";
const COLOUR_GRID: &str = "#e6e6e6";
const COLOUR_AXIS: &str = "#888888";
const COLOUR_MUTED: &str = "#555555";
const COLOUR_QUEUE_USAGE: &str = "#1f77b4";
const COLOUR_QUEUE_BORROWED: &str = "#ff7f0e";
const COLOUR_QUEUE_QUOTA: &str = "#7f7f7f";
const COLOUR_QUEUE_PENDING: &str = "#9467bd";
const COLOUR_EVICTION: &str = "#d62728";
/// A Kueue panel's title line, above its legend line.
const QUEUE_TITLE_PX: f64 = 16.0;
/// Above this many evictions in a queue's panel only the triangles remain, no lines.
const MAX_EVICTION_LINES: usize = 40;

const KINDS: [MarkerKind; 5] = [
    MarkerKind::NodeFailure,
    MarkerKind::PodFailure,
    MarkerKind::WorkloadFailure,
    MarkerKind::Restart,
    MarkerKind::Repair,
];

impl MarkerKind {
    fn index(self) -> usize {
        match self {
            MarkerKind::NodeFailure => 0,
            MarkerKind::PodFailure => 1,
            MarkerKind::WorkloadFailure => 2,
            MarkerKind::Restart => 3,
            MarkerKind::Repair => 4,
        }
    }
    fn colour(self) -> &'static str {
        match self {
            MarkerKind::NodeFailure => "#d62728",
            MarkerKind::PodFailure => "#e377c2",
            MarkerKind::WorkloadFailure => "#8c564b",
            MarkerKind::Restart => "#9467bd",
            MarkerKind::Repair => "#2ca02c",
        }
    }
    fn name(self) -> &'static str {
        match self {
            MarkerKind::NodeFailure => "node fault",
            MarkerKind::PodFailure => "pod fault",
            MarkerKind::WorkloadFailure => "workload failure",
            MarkerKind::Restart => "restart",
            MarkerKind::Repair => "repair",
        }
    }
    /// Fits the 76-pixel left margin beside the rug row.
    fn short_name(self) -> &'static str {
        match self {
            MarkerKind::NodeFailure => "node fault",
            MarkerKind::PodFailure => "pod fault",
            MarkerKind::WorkloadFailure => "workload",
            MarkerKind::Restart => "restart",
            MarkerKind::Repair => "repair",
        }
    }
}

/// Renders the timeline chart without bands.
#[cfg(test)]
pub(crate) fn render(title: &str, rows: &[TimelineRow], markers: &[Marker]) -> String {
    render_with_bands(title, rows, markers, &[], &[])
}

/// Renders the timeline chart. Never panics; rows and markers need not be sorted; rows or
/// markers with a non-finite time are ignored, as are non-finite goodput values.
pub(crate) fn render_with_bands(
    title: &str,
    rows: &[TimelineRow],
    markers: &[Marker],
    bands: &[Band],
    queues: &[QueuePanel],
) -> String {
    let mut rows: Vec<&TimelineRow> = rows.iter().filter(|r| r.t_s.is_finite()).collect();
    // Stable sort: samples at the same instant keep the caller's order.
    rows.sort_by(|a, b| clamp_t(a.t_s).total_cmp(&clamp_t(b.t_s)));
    let mut markers: Vec<&Marker> = markers.iter().filter(|m| m.t_s.is_finite()).collect();
    markers.sort_by(|a, b| clamp_t(a.t_s).total_cmp(&clamp_t(b.t_s)));
    let title = truncate_chars(title, MAX_TITLE_CHARS);
    if rows.is_empty() {
        return render_empty(&title, markers.len());
    }
    let axis = TimeAxis::new(&rows, &markers);
    let mut out = String::with_capacity(64 * 1024);
    let ticks = time_ticks(axis.lo_s, axis.hi_s);
    let placed = MarkerLayout::new(&markers, &axis);
    let has_binds = rows
        .iter()
        .any(|r| r.binds_per_s.is_some_and(|b| b.is_finite()));
    let layout = Layout::new(&placed, 3 + usize::from(has_binds), queues.len());
    draw_header(
        &mut out,
        &title,
        &rows,
        &axis,
        markers.len(),
        layout.height_px,
    );
    draw_grid(&mut out, &axis, &ticks, &layout.panel_tops_px);
    draw_bands(&mut out, &axis, bands, &layout.panel_tops_px);
    draw_pods_panel(&mut out, &axis, &rows, layout.panel_tops_px[0]);
    // Panel 2: binds per second, the headline metric's rate, when the rows have it.
    if has_binds {
        draw_binds_panel(&mut out, &axis, &rows, layout.panel_tops_px[1]);
    }
    let next = 1 + usize::from(has_binds);
    draw_nodes_panel(&mut out, &axis, &rows, layout.panel_tops_px[next]);
    draw_restarts_panel(&mut out, &axis, &rows, layout.panel_tops_px[next + 1]);
    for (q, &top) in queues.iter().zip(&layout.panel_tops_px[next + 2..]) {
        draw_queue_panel(&mut out, &axis, top, q);
    }
    let plot_segments: Vec<(f64, f64)> = (layout.panel_tops_px.iter())
        .map(|&t| (t + PANEL_HEADER_PX, t + PANEL_HEADER_PX + PANEL_PLOT_H_PX))
        .collect();
    placed.draw(
        &mut out,
        layout.label_band_top_px,
        &plot_segments,
        layout.rug_top_px,
    );
    draw_time_axis(&mut out, &axis, &ticks, layout.axis_top_px);
    out.push_str("</svg>\n");
    out
}

/// The chart's vertical layout, computed up front so the SVG's height is known for the
/// header.
struct Layout {
    label_band_top_px: f64,
    /// The top of each panel: the fixed ones, then one per Kueue queue.
    panel_tops_px: Vec<f64>,
    rug_top_px: f64,
    axis_top_px: f64,
    height_px: f64,
}

impl Layout {
    fn new(placed: &MarkerLayout, fixed_panels: usize, queue_panels: usize) -> Self {
        let panel_px = PANEL_HEADER_PX + PANEL_PLOT_H_PX + PANEL_GAP_PX;
        let mut y_px = 50.0;
        let label_band_top_px = y_px;
        if !placed.labels.is_empty() {
            y_px += LABEL_ROWS as f64 * LABEL_ROW_H_PX + 4.0;
        }
        let mut panel_tops_px: Vec<f64> = (0..fixed_panels)
            .map(|i| y_px + i as f64 * panel_px)
            .collect();
        y_px += fixed_panels as f64 * panel_px;
        // Kueue panels have a title line above their legend line.
        for _ in 0..queue_panels {
            y_px += QUEUE_TITLE_PX;
            panel_tops_px.push(y_px);
            y_px += panel_px;
        }
        // The last panel's gap is not needed below it: the rug or the time axis follows closely.
        let panels_bottom_px = y_px - PANEL_GAP_PX;
        let rug_top_px = panels_bottom_px + 4.0;
        let axis_top_px = if placed.kinds_present.is_empty() {
            panels_bottom_px
        } else {
            rug_top_px + PANEL_HEADER_PX + placed.kinds_present.len() as f64 * RUG_ROW_H_PX + 2.0
        };
        Layout {
            label_band_top_px,
            panel_tops_px,
            rug_top_px,
            axis_top_px,
            height_px: axis_top_px + 44.0,
        }
    }
}

/// The SVG's opening tag and background, the title and the line under it.
fn draw_header(
    out: &mut String,
    title: &str,
    rows: &[&TimelineRow],
    axis: &TimeAxis,
    markers: usize,
    height_px: f64,
) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\" font-size=\"11\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
        w = px(WIDTH_PX),
        h = px(height_px),
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{}</text>",
        px(MARGIN_LEFT_PX),
        esc(title)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"39\" fill=\"{COLOUR_MUTED}\">{} samples over {} · {} markers</text>",
        px(MARGIN_LEFT_PX),
        thousands(rows.len() as u64),
        format_span(axis.hi_s - axis.lo_s),
        thousands(markers as u64),
    );
}

/// The vertical time grid through every panel, drawn first so data sits on top.
fn draw_grid(out: &mut String, axis: &TimeAxis, ticks: &[Tick], panel_tops_px: &[f64]) {
    let mut grid = String::new();
    for tick in ticks {
        let x = axis.x_px(tick.value_s);
        for &top in panel_tops_px {
            let plot_top = top + PANEL_HEADER_PX;
            let _ = write!(
                grid,
                "M{} {}V{}",
                px(x),
                px(plot_top),
                px(plot_top + PANEL_PLOT_H_PX)
            );
        }
    }
    if !grid.is_empty() {
        let _ = writeln!(
            out,
            "<path d=\"{grid}\" stroke=\"{COLOUR_GRID}\" stroke-width=\"1\" fill=\"none\"/>"
        );
    }
}

/// The largest of `value` over the rows.
fn max_of(rows: &[&TimelineRow], value: impl Fn(&TimelineRow) -> f64) -> f64 {
    rows.iter().map(|r| value(r)).fold(0.0, f64::max)
}

/// Panel 1: pods running, pending and failed.
fn draw_pods_panel(out: &mut String, axis: &TimeAxis, rows: &[&TimelineRow], top_px: f64) {
    let pods_scale = YScale::for_max(
        max_of(rows, |r| {
            r.pods_running.max(r.pods_pending).max(r.pods_failed) as f64
        }),
        true,
    );
    let pods_lines = vec![
        Series::counts(
            rows,
            |r| r.pods_running,
            "running",
            COLOUR_RUNNING,
            Legend::Peak,
        ),
        Series::counts(
            rows,
            |r| r.pods_pending,
            "pending",
            COLOUR_PENDING,
            Legend::Peak,
        ),
        Series::counts(
            rows,
            |r| r.pods_failed,
            "failed",
            COLOUR_FAILED,
            Legend::Peak,
        )
        .dashed(),
    ];
    draw_panel(out, axis, top_px, "Pods", &pods_scale, None, &pods_lines);
}

/// The nodes panel; not-ready gets its own right-hand scale.
fn draw_nodes_panel(out: &mut String, axis: &TimeAxis, rows: &[&TimelineRow], top_px: f64) {
    let ready_scale = YScale::for_max(max_of(rows, |r| r.nodes_ready as f64), true);
    let not_ready_scale = YScale::for_max(max_of(rows, |r| r.nodes_not_ready as f64), true);
    let node_lines = vec![
        Series::counts(rows, |r| r.nodes_ready, "ready", COLOUR_READY, Legend::Min),
        Series::counts(
            rows,
            |r| r.nodes_not_ready,
            "not ready (right axis)",
            COLOUR_NOT_READY,
            Legend::Peak,
        )
        .on_right(),
    ];
    let right = Some((&not_ready_scale, COLOUR_NOT_READY));
    draw_panel(out, axis, top_px, "Nodes", &ready_scale, right, &node_lines);
}

/// The last fixed panel: goodput (when modelled) and restarts.
fn draw_restarts_panel(out: &mut String, axis: &TimeAxis, rows: &[&TimelineRow], top_px: f64) {
    let restarts_scale = YScale::for_max(max_of(rows, |r| r.restarts as f64), true);
    let restarts = Series::counts(
        rows,
        |r| r.restarts,
        "restarts (cumulative)",
        COLOUR_RESTARTS,
        Legend::Last,
    )
    .stepped();
    let has_goodput = rows
        .iter()
        .any(|r| r.goodput.is_some_and(|g| g.is_finite()));
    if !has_goodput {
        draw_panel(
            out,
            axis,
            top_px,
            "Restarts",
            &restarts_scale,
            None,
            &[restarts],
        );
        return;
    }
    let goodput = Series {
        label: "goodput so far".into(),
        colour: COLOUR_GOODPUT,
        dash: None,
        step: false,
        right_axis: false,
        legend_value: Legend::Last,
        points: rows
            .iter()
            .filter_map(|r| {
                r.goodput
                    .filter(|g| g.is_finite())
                    .map(|g| (clamp_t(r.t_s), g.clamp(0.0, 1.0)))
            })
            .collect(),
        keep_last: false,
    };
    let mut restarts = restarts;
    restarts.label = "restarts (cumulative, right axis)".into();
    draw_panel(
        out,
        axis,
        top_px,
        "Goodput & restarts",
        &YScale::unit_interval(),
        Some((&restarts_scale, COLOUR_RESTARTS)),
        &[goodput, restarts.on_right()],
    );
}

fn draw_binds_panel(out: &mut String, axis: &TimeAxis, rows: &[&TimelineRow], top_px: f64) {
    let points: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let b = r.binds_per_s.filter(|b| b.is_finite())?;
            Some((clamp_t(r.t_s), b.max(0.0)))
        })
        .collect();
    let scale = YScale::for_max(points.iter().map(|p| p.1).fold(0.0, f64::max), false);
    let binds = Series {
        label: "binds/s since the previous sample".into(),
        colour: COLOUR_BINDS,
        dash: None,
        step: true,
        right_axis: false,
        legend_value: Legend::Peak,
        points,
        keep_last: false,
    };
    draw_panel(
        out,
        axis,
        top_px,
        "Binds per second",
        &scale,
        None,
        &[binds],
    );
}

/// Shaded ranges through every panel, each labelled at its start in the first panel.
fn draw_bands(out: &mut String, axis: &TimeAxis, bands: &[Band], panel_tops_px: &[f64]) {
    for (i, b) in bands.iter().enumerate() {
        if !(b.from_s.is_finite() && b.to_s.is_finite()) {
            continue;
        }
        let (x0, x1) = (axis.x_px(b.from_s), axis.x_px(b.to_s));
        let w = (x1 - x0).max(2.0);
        for &top in panel_tops_px {
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{COLOUR_BAND}\" \
                 fill-opacity=\"0.12\"/>",
                px(x0),
                px(top + PANEL_HEADER_PX),
                px(w),
                px(PANEL_PLOT_H_PX)
            );
        }
        // Labels go down a row each so neighbouring bands do not overlap; a label runs right
        // from the band's start, or left from its end when there is more room that way.
        let y = panel_tops_px[0] + PANEL_HEADER_PX + 12.0 + (i % 3) as f64 * 12.0;
        let right_room_px = MARGIN_LEFT_PX + PLOT_W_PX - x0 - 4.0;
        let left_room_px = x1 - 3.0 - MARGIN_LEFT_PX;
        let anchor_end =
            right_room_px < text_width_px(&b.label, 10.0) && left_room_px > right_room_px;
        let room_px = if anchor_end {
            left_room_px
        } else {
            right_room_px
        };
        let chars = (room_px / (10.0 * 0.58)).floor().clamp(8.0, 90.0) as usize;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{COLOUR_BAND_TEXT}\" stroke=\"#ffffff\" \
             stroke-width=\"3\" paint-order=\"stroke\"{}>{}</text>",
            px(if anchor_end { x1 - 3.0 } else { x0 + 3.0 }),
            px(y),
            if anchor_end { " text-anchor=\"end\"" } else { "" },
            esc(&truncate_chars(&b.label, chars))
        );
    }
}

fn render_empty(title: &str, markers: usize) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"120\" \
         viewBox=\"0 0 {w} 120\" font-family=\"{FONT}\" font-size=\"11\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"120\" fill=\"#ffffff\"/>\n\
         <text x=\"{l}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{t}</text>\n\
         <text x=\"{c}\" y=\"70\" text-anchor=\"middle\" font-size=\"14\" fill=\"{COLOUR_MUTED}\">\
         no samples{m}</text>\n</svg>\n",
        w = px(WIDTH_PX),
        l = px(MARGIN_LEFT_PX),
        c = px(WIDTH_PX / 2.0),
        t = esc(title),
        m = if markers > 0 {
            format!(" ({} markers not drawn)", thousands(markers as u64))
        } else {
            String::new()
        },
    );
    out
}

fn clamp_t(t_s: f64) -> f64 {
    t_s.clamp(-MAX_ABS_T_S, MAX_ABS_T_S)
}

/// Maps simulated seconds to x pixels.
struct TimeAxis {
    lo_s: f64,
    hi_s: f64,
}

impl TimeAxis {
    fn new(rows: &[&TimelineRow], markers: &[&Marker]) -> TimeAxis {
        let ts = rows
            .iter()
            .map(|r| clamp_t(r.t_s))
            .chain(markers.iter().map(|m| clamp_t(m.t_s)));
        let (mut lo, mut hi) = ts.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
            (lo.min(t), hi.max(t))
        });
        // Simulations start at 0: anchor the axis there unless the data is a late window.
        if lo > 0.0 && lo <= 0.1 * hi {
            lo = 0.0;
        }
        if hi - lo <= 0.0 {
            // One instant: a one-second window keeps every mapping finite.
            hi = lo + 1.0;
        }
        TimeAxis { lo_s: lo, hi_s: hi }
    }
    fn x_px(&self, t_s: f64) -> f64 {
        let f = (clamp_t(t_s) - self.lo_s) / (self.hi_s - self.lo_s);
        MARGIN_LEFT_PX + f.clamp(0.0, 1.0) * PLOT_W_PX
    }
    /// Pixel column of the plot area holding `t_s`.
    fn column(&self, t_s: f64) -> usize {
        let c = (self.x_px(t_s) - MARGIN_LEFT_PX).floor();
        (c.max(0.0) as usize).min(PLOT_COLUMNS - 1)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    pub(super) value_s: f64,
    pub(super) label: String,
}

/// The unit for a span: the largest one that still gives several ticks.
fn time_unit(span_s: f64) -> (&'static str, f64, &'static [f64]) {
    const S: &[f64] = &[1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0];
    const MIN: &[f64] = &[1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0];
    const H: &[f64] = &[1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 24.0];
    // Weeks read better than 10-day steps on multi-week runs.
    const D: &[f64] = &[1.0, 2.0, 7.0, 14.0, 28.0];
    if span_s < 600.0 {
        ("s", 1.0, S)
    } else if span_s < 8.0 * 3600.0 {
        ("min", 60.0, MIN)
    } else if span_s < 8.0 * 86400.0 {
        ("h", 3600.0, H)
    } else {
        ("d", 86400.0, D)
    }
}

/// Ticks at round multiples of a unit chosen from the span ("0 min", "5 min", … or "0 d",
/// "7 d", …).
pub(super) fn time_ticks(lo_s: f64, hi_s: f64) -> Vec<Tick> {
    let span_s = hi_s - lo_s;
    if !(span_s.is_finite() && span_s > 0.0) {
        return vec![];
    }
    let (unit, unit_s, preferred) = time_unit(span_s);
    let raw = span_s / unit_s / MAX_TIME_INTERVALS;
    let step = if raw < preferred[0] {
        nice_125(raw)
    } else {
        preferred
            .iter()
            .copied()
            .find(|&p| p >= raw)
            .unwrap_or_else(|| nice_125(raw))
    };
    let decimals = decimals_for(step);
    let (lo_u, hi_u) = (lo_s / unit_s, hi_s / unit_s);
    let mut k = (lo_u / step - 1e-9).ceil();
    let mut ticks = vec![];
    // The cap guards against k + 1 == k for absurdly large times.
    while k * step <= hi_u + step * 1e-9 && ticks.len() < 64 {
        let v = k * step;
        ticks.push(Tick {
            value_s: v * unit_s,
            label: format!("{} {unit}", trim_zeros(&fixed(v, decimals))),
        });
        k += 1.0;
    }
    ticks
}

/// "40 min", "54 d", "12.5 s": the span in the axis's own unit.
fn format_span(span_s: f64) -> String {
    let (unit, unit_s, _) = time_unit(span_s);
    format!("{} {unit}", trim_zeros(&format!("{:.1}", span_s / unit_s)))
}

/// Smallest 1-2-5 × 10^k at least `raw`.
pub(super) fn nice_125(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let base = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * base >= raw * (1.0 - 1e-9) {
            return m * base;
        }
    }
    10.0 * base
}

/// Fewest decimals that print every multiple of `step` exactly (0.25 needs two, 0.5 one).
pub(super) fn decimals_for(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (0..9)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(9)
}

/// A y scale from 0 to a round top with round ticks.
struct YScale {
    top: f64,
    step: f64,
}

impl YScale {
    fn for_max(max: f64, integer: bool) -> YScale {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            1.0
        };
        let mut step = nice_125(max / Y_INTERVALS);
        if integer {
            // Half a pod is not a tick anyone wants to read.
            step = step.max(1.0);
        }
        let top = ((max / step) - 1e-9).ceil().max(1.0) * step;
        YScale { top, step }
    }
    fn unit_interval() -> YScale {
        YScale {
            top: 1.0,
            step: 0.25,
        }
    }
    fn y_px(&self, v: f64, plot_top_px: f64) -> f64 {
        let f = (v / self.top).clamp(0.0, 1.0);
        plot_top_px + PANEL_PLOT_H_PX * (1.0 - f)
    }
    fn ticks(&self) -> Vec<f64> {
        let n = (self.top / self.step).round().clamp(1.0, 20.0) as usize;
        (0..=n).map(|i| i as f64 * self.step).collect()
    }
}

#[derive(Clone, Copy)]
enum Legend {
    Peak,
    Min,
    Last,
    /// The label alone.
    Label,
}

struct Series {
    label: String,
    colour: &'static str,
    dash: Option<&'static str>,
    step: bool,
    right_axis: bool,
    legend_value: Legend,
    /// (t_s, value) in time order.
    points: Vec<(f64, f64)>,
    /// Keep each pixel's last value as well as its extremes: a step line of state after
    /// each change (a Kueue queue's) would otherwise carry a pixel's minimum or maximum on
    /// to the next pixel instead of where the pixel's changes ended.
    keep_last: bool,
}

impl Series {
    fn counts(
        rows: &[&TimelineRow],
        f: impl Fn(&TimelineRow) -> u64,
        label: &str,
        colour: &'static str,
        legend_value: Legend,
    ) -> Series {
        Series {
            label: label.into(),
            colour,
            dash: None,
            step: false,
            right_axis: false,
            legend_value,
            points: rows.iter().map(|r| (clamp_t(r.t_s), f(r) as f64)).collect(),
            keep_last: false,
        }
    }
    fn dashed(mut self) -> Series {
        self.dash = Some("5 3");
        self
    }
    fn stepped(mut self) -> Series {
        self.step = true;
        self
    }
    fn on_right(mut self) -> Series {
        self.right_axis = true;
        self
    }
    /// The `stroke-dasharray` attribute of a dashed series; empty for a solid one.
    fn dash_attr(&self) -> String {
        self.dash
            .map(|da| format!(" stroke-dasharray=\"{da}\""))
            .unwrap_or_default()
    }
    fn legend_text(&self, fraction: bool) -> String {
        let values = self.points.iter().map(|p| p.1);
        let (word, v) = match self.legend_value {
            Legend::Peak => ("peak", values.fold(f64::NEG_INFINITY, f64::max)),
            Legend::Min => ("min", values.fold(f64::INFINITY, f64::min)),
            Legend::Last => ("final", self.points.last().map_or(f64::NAN, |p| p.1)),
            Legend::Label => return self.label.clone(),
        };
        if !v.is_finite() {
            return self.label.clone();
        }
        let v = if fraction {
            format!("{v:.3}")
        } else {
            thousands(v as u64)
        };
        format!("{} · {word} {v}", self.label)
    }
}

/// Each pixel column's run of consecutive points, as indexes: its first point, its minimum,
/// its maximum and its last point (strict comparisons keep the earliest extreme).
fn bucket_runs(points: &[(f64, f64)], lo_s: f64, hi_s: f64, buckets: usize) -> Vec<[usize; 4]> {
    let buckets = buckets.max(1);
    let span = hi_s - lo_s;
    let bucket_of = |t: f64| -> usize {
        let f = if span > 0.0 { (t - lo_s) / span } else { 0.0 };
        ((f * buckets as f64).floor().max(0.0) as usize).min(buckets - 1)
    };
    let mut runs = Vec::with_capacity(points.len().min(buckets));
    let mut i = 0;
    while i < points.len() {
        let b = bucket_of(points[i].0);
        let (mut min_i, mut max_i, mut j) = (i, i, i + 1);
        while j < points.len() && bucket_of(points[j].0) == b {
            if points[j].1 < points[min_i].1 {
                min_i = j;
            }
            if points[j].1 > points[max_i].1 {
                max_i = j;
            }
            j += 1;
        }
        runs.push([i, min_i, max_i, j - 1]);
        i = j;
    }
    runs
}

/// At most two points per bucket (the bucket's minimum and maximum, in time order), so a
/// one-sample spike survives however many samples share its pixel.
fn downsample_min_max(
    points: &[(f64, f64)],
    lo_s: f64,
    hi_s: f64,
    buckets: usize,
) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len().min(2 * buckets.max(1)));
    for [first, min_i, max_i, last] in bucket_runs(points, lo_s, hi_s, buckets) {
        if min_i == max_i {
            // A flat bucket: its first and last points keep the line's true extent.
            out.push(points[first]);
            if last != first {
                out.push(points[last]);
            }
        } else {
            out.push(points[min_i.min(max_i)]);
            out.push(points[min_i.max(max_i)]);
        }
    }
    out
}

/// At most four points per bucket, in time order: its first, minimum, maximum and last, so a
/// step line keeps its spikes and ends each pixel at the value it really had there.
fn downsample_steps(
    points: &[(f64, f64)],
    lo_s: f64,
    hi_s: f64,
    buckets: usize,
) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len().min(4 * buckets.max(1)));
    for mut keep in bucket_runs(points, lo_s, hi_s, buckets) {
        keep.sort_unstable();
        let mut last = None;
        for k in keep {
            if last != Some(k) {
                out.push(points[k]);
                last = Some(k);
            }
        }
    }
    out
}

/// Drops points inside a flat run: a line through them draws the same pixels, and long flat
/// stretches (nodes ready for days) would otherwise dominate the file's size.
fn drop_flat_interior(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points;
    }
    let mut out = Vec::with_capacity(points.len());
    out.push(points[0]);
    for w in points.windows(3) {
        if !(w[0].1 == w[1].1 && w[1].1 == w[2].1) {
            out.push(w[1]);
        }
    }
    out.push(points[points.len() - 1]);
    out
}

/// One panel: its axes and grid, its series, then its title and legend above the plot.
fn draw_panel(
    out: &mut String,
    axis: &TimeAxis,
    top_px: f64,
    title: &str,
    left: &YScale,
    right: Option<(&YScale, &str)>,
    lines: &[Series],
) {
    let plot_top = top_px + PANEL_HEADER_PX;
    draw_y_axes(out, plot_top, left, right);
    // Series, first-listed on top: the primary line (running pods) must not vanish under a
    // secondary one where they cross.
    for s in lines.iter().rev() {
        let scale = match (s.right_axis, right) {
            (true, Some((r, _))) => r,
            _ => left,
        };
        draw_series(out, axis, scale, plot_top, s);
    }
    draw_panel_legend(out, top_px, title, lines, left.step < 1.0);
}

/// The left scale's grid and tick labels, the right scale's tick marks, and the plot's frame.
fn draw_y_axes(out: &mut String, plot_top: f64, left: &YScale, right: Option<(&YScale, &str)>) {
    let plot_bottom = plot_top + PANEL_PLOT_H_PX;
    let left_x = MARGIN_LEFT_PX;
    let right_x = MARGIN_LEFT_PX + PLOT_W_PX;
    let mut grid = String::new();
    for v in left.ticks() {
        let y = left.y_px(v, plot_top);
        let _ = write!(grid, "M{} {}H{}", px(left_x), px(y), px(right_x));
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{COLOUR_MUTED}\">{}</text>",
            px(left_x - 6.0),
            px(y + 4.0),
            si(v, left.step)
        );
    }
    let _ = writeln!(
        out,
        "<path d=\"{grid}\" stroke=\"{COLOUR_GRID}\" stroke-width=\"1\" fill=\"none\"/>"
    );
    if let Some((scale, colour)) = right {
        // Its ticks rarely fall on the left scale's grid lines, so mark them on the axis.
        let mut marks = String::new();
        for v in scale.ticks() {
            let y = scale.y_px(v, plot_top);
            let _ = write!(marks, "M{} {}h4", px(right_x), px(y));
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
                px(right_x + 6.0),
                px(y + 4.0),
                si(v, scale.step)
            );
        }
        let _ = writeln!(
            out,
            "<path d=\"{marks}\" stroke=\"{colour}\" stroke-width=\"1\" fill=\"none\"/>"
        );
    }
    let _ = writeln!(
        out,
        "<path d=\"M{l} {t}V{b}H{r}{rv}\" stroke=\"{COLOUR_AXIS}\" stroke-width=\"1\" fill=\"none\"/>",
        l = px(left_x),
        t = px(plot_top),
        b = px(plot_bottom),
        r = px(right_x),
        rv = if right.is_some() {
            format!("V{}", px(plot_top))
        } else {
            String::new()
        },
    );
}

/// One series' line against `scale`, thinned to what the plot's pixel columns can show.
fn draw_series(out: &mut String, axis: &TimeAxis, scale: &YScale, plot_top: f64, s: &Series) {
    let pts = drop_flat_interior(if s.keep_last {
        downsample_steps(&s.points, axis.lo_s, axis.hi_s, PLOT_COLUMNS)
    } else {
        downsample_min_max(&s.points, axis.lo_s, axis.hi_s, PLOT_COLUMNS)
    });
    if pts.is_empty() {
        return;
    }
    let mut d = String::with_capacity(pts.len() * 14);
    for (i, &(t, v)) in pts.iter().enumerate() {
        let (x, y) = (axis.x_px(t), scale.y_px(v, plot_top));
        if i == 0 {
            let _ = write!(d, "M{} {}", px(x), px(y));
        } else if s.step {
            let _ = write!(d, "H{}V{}", px(x), px(y));
        } else {
            let _ = write!(d, "L{} {}", px(x), px(y));
        }
    }
    if pts.len() == 1 {
        // A lone sample still shows as a short tick rather than vanishing.
        d.push_str("h1");
    }
    let _ = writeln!(
        out,
        "<path d=\"{d}\" stroke=\"{}\" stroke-width=\"1.5\" fill=\"none\" \
         stroke-linejoin=\"round\"{}/>",
        s.colour,
        s.dash_attr()
    );
}

/// A panel's header: its title, then one legend entry per series (`fraction_left`: the left
/// scale's values are fractions).
fn draw_panel_legend(
    out: &mut String,
    top_px: f64,
    title: &str,
    lines: &[Series],
    fraction_left: bool,
) {
    let header_y = top_px + 14.0;
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\" font-size=\"12\">{}</text>",
        px(MARGIN_LEFT_PX),
        px(header_y),
        esc(title)
    );
    let mut x = MARGIN_LEFT_PX + text_width_px(title, 12.0) + 18.0;
    for s in lines {
        let text = s.legend_text(fraction_left && !s.right_axis);
        let _ = writeln!(
            out,
            "<path d=\"M{} {}h18\" stroke=\"{}\" stroke-width=\"2\"{}/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            px(x),
            px(header_y - 4.0),
            s.colour,
            s.dash_attr(),
            px(x + 22.0),
            px(header_y),
            esc(&text)
        );
        x += 22.0 + text_width_px(&text, 11.0) + 16.0;
    }
}

/// A Kueue queue's panel: quota in use, borrowed and the quota line on the left axis (the
/// resource's units), Workloads pending on the right, evictions as triangles along the top
/// (each with its reason as a tooltip) and, when few, dashed lines down the panel.
fn draw_queue_panel(out: &mut String, axis: &TimeAxis, top_px: f64, q: &QueuePanel) {
    let (left, right, lines) = queue_series(axis, q);
    draw_panel(
        out,
        axis,
        top_px,
        &q.resource,
        &left,
        Some((&right, COLOUR_QUEUE_PENDING)),
        &lines,
    );
    // The title line above: the queue, then its evictions' legend.
    let title_y = top_px - 2.0;
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\" font-size=\"12\">{}</text>",
        px(MARGIN_LEFT_PX),
        px(title_y),
        esc(&q.title)
    );
    let legend_x = MARGIN_LEFT_PX + text_width_px(&q.title, 12.0) + 18.0;
    let evictions: Vec<&QueueEviction> = q.evictions.iter().filter(|e| e.t_s.is_finite()).collect();
    if evictions.is_empty() {
        return;
    }
    draw_evictions(out, axis, top_px + PANEL_HEADER_PX, &evictions);
    draw_eviction_legend(out, legend_x, title_y, &evictions);
}

/// A queue's points that can be drawn: finite, times clamped, values never negative.
fn finite_points(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    pts.iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|&(t, v)| (clamp_t(t), v.max(0.0)))
        .collect()
}

/// A queue panel's left and right scales and its series: in use, borrowed, the quota,
/// Workloads pending.
fn queue_series(axis: &TimeAxis, q: &QueuePanel) -> (YScale, YScale, Vec<Series>) {
    let usage = finite_points(&q.usage);
    let borrowed = q.borrowed.as_deref().map(finite_points);
    let pending = finite_points(&q.pending);
    let quota = if q.quota.is_finite() {
        q.quota.max(0.0)
    } else {
        0.0
    };
    let peak = |pts: &[(f64, f64)]| pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let integer = (usage.iter().chain(borrowed.iter().flatten()))
        .map(|p| p.1)
        .chain([quota])
        .all(|v| v.fract() == 0.0);
    // Headroom on both scales, so a queue full to its quota and its pending peak do not
    // both run along the top edge.
    let left = YScale::for_max(1.1 * peak(&usage).max(quota), integer);
    let right = YScale::for_max(1.25 * peak(&pending), true);
    let mut lines = vec![queue_step("in use", COLOUR_QUEUE_USAGE, usage)];
    if let Some(b) = borrowed {
        lines.push(queue_step("borrowed", COLOUR_QUEUE_BORROWED, b).dashed());
    }
    let quota_text = if integer {
        thousands(quota as u64)
    } else {
        trim_zeros(&format!("{quota:.3}"))
    };
    lines.push(Series {
        label: format!("{} {quota_text}", q.quota_label),
        colour: COLOUR_QUEUE_QUOTA,
        dash: Some("2 3"),
        step: false,
        right_axis: false,
        legend_value: Legend::Label,
        points: vec![(axis.lo_s, quota), (axis.hi_s, quota)],
        keep_last: false,
    });
    let pending_label = "pending Workloads (right axis)";
    lines.push(queue_step(pending_label, COLOUR_QUEUE_PENDING, pending).on_right());
    (left, right, lines)
}

/// A queue's state as a step line that keeps each pixel's last value, its peak in the legend.
fn queue_step(label: &str, colour: &'static str, points: Vec<(f64, f64)>) -> Series {
    Series {
        label: label.into(),
        colour,
        dash: None,
        step: true,
        right_axis: false,
        legend_value: Legend::Peak,
        points,
        keep_last: true,
    }
}

/// Evictions along the plot's top as triangles with their labels as tooltips and, when few,
/// dashed lines down the plot.
fn draw_evictions(out: &mut String, axis: &TimeAxis, plot_top: f64, evictions: &[&QueueEviction]) {
    if evictions.len() <= MAX_EVICTION_LINES {
        let mut d = String::new();
        for e in evictions {
            let x = axis.x_px(e.t_s);
            let _ = write!(
                d,
                "M{} {}V{}",
                px(x),
                px(plot_top),
                px(plot_top + PANEL_PLOT_H_PX)
            );
        }
        let _ = writeln!(
            out,
            "<path d=\"{d}\" stroke=\"{COLOUR_EVICTION}\" stroke-width=\"1\" \
             stroke-dasharray=\"4 3\" stroke-opacity=\"0.7\" fill=\"none\"/>"
        );
    }
    for e in evictions {
        let x = axis.x_px(e.t_s);
        let _ = writeln!(
            out,
            "<path d=\"M{} {}h9l-4.5 7z\" fill=\"{COLOUR_EVICTION}\"><title>{}</title></path>",
            px(x - 4.5),
            px(plot_top),
            esc(&e.label)
        );
    }
}

/// The evictions' legend on the title line at `x`: a triangle, then the count per reason,
/// most frequent first, cut to the room left.
fn draw_eviction_legend(out: &mut String, x: f64, title_y: f64, evictions: &[&QueueEviction]) {
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for e in evictions {
        *by_reason.entry(e.reason.as_str()).or_insert(0) += 1;
    }
    let mut reasons: Vec<(&str, usize)> = by_reason.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
    let text = format!("evictions: {}", parts.join(", "));
    let chars = ((WIDTH_PX - 4.0 - (x + 14.0)) / (11.0 * 0.58))
        .floor()
        .max(12.0) as usize;
    let _ = writeln!(
        out,
        "<path d=\"M{} {}h9l-4.5 7z\" fill=\"{COLOUR_EVICTION}\"/>\
         <text x=\"{}\" y=\"{}\">{}</text>",
        px(x),
        px(title_y - 8.0),
        px(x + 14.0),
        px(title_y),
        esc(&truncate_chars(&text, chars))
    );
}

fn draw_time_axis(out: &mut String, axis: &TimeAxis, ticks: &[Tick], top_px: f64) {
    let mut d = String::new();
    for t in ticks {
        let _ = write!(d, "M{} {}v4", px(axis.x_px(t.value_s)), px(top_px));
    }
    if !d.is_empty() {
        let _ = writeln!(
            out,
            "<path d=\"{d}\" stroke=\"{COLOUR_AXIS}\" stroke-width=\"1\" fill=\"none\"/>"
        );
    }
    for t in ticks {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_MUTED}\">{}</text>",
            px(axis.x_px(t.value_s)),
            px(top_px + 16.0),
            esc(&t.label)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{COLOUR_MUTED}\">simulated time</text>",
        px(MARGIN_LEFT_PX + PLOT_W_PX / 2.0),
        px(top_px + 34.0)
    );
}

/// Where markers go: rug ticks per (kind, pixel column), optional lines through the panels,
/// optional text labels.
struct MarkerLayout {
    /// (kind index, column) → markers there.
    columns: BTreeMap<(usize, usize), u32>,
    counts: [u64; 5],
    kinds_present: Vec<MarkerKind>,
    full_height: bool,
    labels: Vec<PlacedLabel>,
}

struct PlacedLabel {
    x_px: f64,
    row: usize,
    anchor_end: bool,
    text: String,
    colour: &'static str,
}

impl MarkerLayout {
    fn new(markers: &[&Marker], axis: &TimeAxis) -> MarkerLayout {
        let mut columns = BTreeMap::new();
        let mut counts = [0u64; 5];
        for m in markers {
            *columns
                .entry((m.kind.index(), axis.column(m.t_s)))
                .or_insert(0u32) += 1;
            counts[m.kind.index()] += 1;
        }
        let kinds_present: Vec<MarkerKind> = KINDS
            .iter()
            .copied()
            .filter(|k| counts[k.index()] > 0)
            .collect();
        let full_height = columns.len() <= MAX_FULL_HEIGHT_MARKER_LINES;
        let mut labels = vec![];
        if markers.len() <= MAX_LABELLED_MARKERS {
            // Identical labels at one pixel (four pods of one failed node) become one "×4".
            let mut grouped: BTreeMap<(usize, usize, String), u32> = BTreeMap::new();
            for m in markers {
                let text =
                    truncate_chars(&m.label.replace(['\n', '\r', '\t'], " "), MAX_LABEL_CHARS);
                if text.trim().is_empty() {
                    continue;
                }
                *grouped
                    .entry((axis.column(m.t_s), m.kind.index(), text))
                    .or_insert(0) += 1;
            }
            // Greedy rows: a label goes on the first row where it does not overlap.
            let mut row_end_px = [f64::NEG_INFINITY; LABEL_ROWS];
            for ((col, kind, text), n) in grouped {
                let text = if n > 1 { format!("{text} ×{n}") } else { text };
                let x = MARGIN_LEFT_PX + col as f64 + 0.5;
                let w = text_width_px(&text, 10.0);
                let anchor_end = x + 3.0 + w > MARGIN_LEFT_PX + PLOT_W_PX;
                let (start, end) = if anchor_end {
                    (x - 3.0 - w, x - 3.0)
                } else {
                    (x + 3.0, x + 3.0 + w)
                };
                if let Some(row) = (0..LABEL_ROWS).find(|&r| row_end_px[r] + 6.0 <= start) {
                    row_end_px[row] = end;
                    labels.push(PlacedLabel {
                        x_px: if anchor_end { end } else { start },
                        row,
                        anchor_end,
                        text,
                        colour: KINDS[kind].colour(),
                    });
                }
            }
        }
        MarkerLayout {
            columns,
            counts,
            kinds_present,
            full_height,
            labels,
        }
    }

    /// The markers: lines through the panels (when few), their labels, then the rug below
    /// the panels.
    fn draw(
        &self,
        out: &mut String,
        label_band_top_px: f64,
        plot_segments: &[(f64, f64)],
        rug_top_px: f64,
    ) {
        if self.kinds_present.is_empty() {
            return;
        }
        if self.full_height {
            self.draw_lines(out, label_band_top_px, plot_segments);
        }
        self.draw_labels(out, label_band_top_px);
        self.draw_rug_legend(out, rug_top_px);
        let rows_top = rug_top_px + PANEL_HEADER_PX;
        for (row, kind) in self.kinds_present.iter().enumerate() {
            self.draw_rug_row(out, *kind, rows_top + row as f64 * RUG_ROW_H_PX);
        }
    }

    /// One dashed path per kind: a line per marked column through the label band (when there
    /// are labels) and each plot.
    fn draw_lines(&self, out: &mut String, label_band_top_px: f64, plot_segments: &[(f64, f64)]) {
        let label_bottom = label_band_top_px + LABEL_ROWS as f64 * LABEL_ROW_H_PX;
        for kind in &self.kinds_present {
            let mut d = String::new();
            for &(_, col) in self.columns.keys().filter(|key| key.0 == kind.index()) {
                let x = px(column_x_px(col));
                if !self.labels.is_empty() {
                    let _ = write!(d, "M{x} {}V{}", px(label_band_top_px), px(label_bottom));
                }
                for &(a, b) in plot_segments {
                    let _ = write!(d, "M{x} {}V{}", px(a), px(b));
                }
            }
            let _ = writeln!(
                out,
                "<path d=\"{d}\" stroke=\"{}\" stroke-width=\"1\" stroke-dasharray=\"4 3\" \
                 stroke-opacity=\"0.7\" fill=\"none\"/>",
                kind.colour()
            );
        }
    }

    /// The placed labels, in their rows of the label band.
    fn draw_labels(&self, out: &mut String, label_band_top_px: f64) {
        for l in &self.labels {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{}\"{}>{}</text>",
                px(l.x_px),
                px(label_band_top_px + (l.row + 1) as f64 * LABEL_ROW_H_PX - 3.0),
                l.colour,
                if l.anchor_end {
                    " text-anchor=\"end\""
                } else {
                    ""
                },
                esc(&l.text)
            );
        }
    }

    /// The rug's header: its title, then each kind present with its count.
    fn draw_rug_legend(&self, out: &mut String, rug_top_px: f64) {
        let header_y = rug_top_px + 14.0;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-weight=\"bold\" font-size=\"12\">Markers</text>",
            px(MARGIN_LEFT_PX),
            px(header_y)
        );
        let mut x = MARGIN_LEFT_PX + text_width_px("Markers", 12.0) + 18.0;
        for kind in &self.kinds_present {
            let text = format!("{} ({})", kind.name(), thousands(self.counts[kind.index()]));
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
                 <text x=\"{}\" y=\"{}\">{}</text>",
                px(x),
                px(header_y - 9.0),
                kind.colour(),
                px(x + 14.0),
                px(header_y),
                esc(&text)
            );
            x += 14.0 + text_width_px(&text, 11.0) + 16.0;
        }
    }

    /// The rug row of one kind at `top`: a tick per marked column.
    fn draw_rug_row(&self, out: &mut String, kind: MarkerKind, top: f64) {
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f7f7f7\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            px(MARGIN_LEFT_PX),
            px(top),
            px(PLOT_W_PX),
            px(RUG_ROW_H_PX - 1.0),
            px(MARGIN_LEFT_PX - 6.0),
            px(top + 8.0),
            kind.colour(),
            kind.short_name()
        );
        // Opacity encodes how many markers share the pixel: a lone failure stays visible,
        // a burst stands out.
        let mut by_level: [String; 3] = Default::default();
        for (&(_, col), &n) in self.columns.iter().filter(|(key, _)| key.0 == kind.index()) {
            let level = match n {
                1 => 0,
                2..=3 => 1,
                _ => 2,
            };
            let _ = write!(
                by_level[level],
                "M{} {}v{}",
                px(column_x_px(col)),
                px(top + 1.0),
                px(RUG_ROW_H_PX - 3.0)
            );
        }
        for (level, d) in by_level.iter().enumerate() {
            if d.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "<path d=\"{d}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-opacity=\"{}\" fill=\"none\"/>",
                kind.colour(),
                ["0.55", "0.8", "1"][level]
            );
        }
    }
}

/// The x of a pixel column's centre.
fn column_x_px(col: usize) -> f64 {
    MARGIN_LEFT_PX + col as f64 + 0.5
}

/// One decimal is enough for pixel coordinates and keeps files small; `-0.0` is folded to
/// `0` so equal pictures are equal bytes.
pub(super) fn px(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").map(str::to_owned).unwrap_or(s);
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_owned()
    } else {
        s
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

/// Axis labels: "0", "0.25", "500", "2.5k", "15k", "1.2M".
pub(super) fn si(v: f64, step: f64) -> String {
    let (div, suffix) = if v.abs() >= 1e6 {
        (1e6, "M")
    } else if v.abs() >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let s = fixed(v / div, decimals_for(step / div));
    format!("{}{suffix}", trim_zeros(&s))
}

/// 15000 → "15,000".
pub(super) fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rough width for laying out legends and labels; SVG has no text metrics without a
/// renderer, and 0.58 em per character is close for sans-serif digits and lower case.
pub(super) fn text_width_px(s: &str, font_px: f64) -> f64 {
    s.chars().count() as f64 * font_px * 0.58
}

pub(super) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Escapes text for both element content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 forbids these even as character references; one stray byte in a label
            // must not make the whole file unreadable.
            '\t' | '\n' | '\r' => o.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A small XML well-formedness check: balanced tags, quoted attributes, only known
    /// entities, one root element. Enough to catch what a string-building renderer can break.
    pub(in crate::report) fn check_xml(s: &str) -> Result<(), String> {
        let mut stack: Vec<String> = vec![];
        let mut roots = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let Some(i) = rest.find('<') else {
                if !stack.is_empty() {
                    return Err("unclosed element at end".into());
                }
                if !rest.trim().is_empty() {
                    return Err("text after root".into());
                }
                break;
            };
            check_text(&rest[..i], stack.is_empty())?;
            rest = &rest[i..];
            let end = rest.find('>').ok_or("unterminated tag")?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or(format!("close </{name}> without open"))?;
                if open != name {
                    return Err(format!("<{open}> closed by </{name}>"));
                }
                continue;
            }
            let (name, self_closing) = check_open_tag(tag)?;
            if stack.is_empty() {
                roots += 1;
                if name != "svg" {
                    return Err(format!("root is <{name}>"));
                }
            }
            if !self_closing {
                stack.push(name.to_owned());
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(())
    }

    /// Checks the text before a tag (`outside_root`: no element is open).
    fn check_text(text: &str, outside_root: bool) -> Result<(), String> {
        if text.contains('>') {
            return Err(format!("raw > in text {text:?}"));
        }
        if outside_root && !text.trim().is_empty() {
            return Err(format!("text outside root: {text:?}"));
        }
        check_entities(text)
    }

    /// Checks that every `&` starts a known entity or a decimal character reference.
    fn check_entities(text: &str) -> Result<(), String> {
        let mut rest = text;
        while let Some(i) = rest.find('&') {
            let after = &rest[i + 1..];
            let end = after.find(';').ok_or("unterminated entity")?;
            let name = &after[..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                || (name.starts_with('#')
                    && name.len() > 1
                    && name[1..].chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad entity &{name};"));
            }
            rest = &after[end + 1..];
        }
        Ok(())
    }

    /// Checks an opening tag (between `<` and `>`); its name, and whether it closes itself.
    fn check_open_tag(tag: &str) -> Result<(&str, bool), String> {
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
        let name = &body[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad tag name {name:?}"));
        }
        check_attributes(name, body[name_end..].trim_start())?;
        Ok((name, self_closing))
    }

    /// Checks a tag's attributes: name="value" pairs separated by whitespace, names unique.
    fn check_attributes(tag_name: &str, mut attrs: &str) -> Result<(), String> {
        let mut seen = vec![];
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or(format!("attribute without value in <{tag_name}>"))?;
            let an = &attrs[..eq];
            if an.is_empty()
                || !an
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!("bad attribute name {an:?}"));
            }
            if seen.contains(&an) {
                return Err(format!("duplicate attribute {an}"));
            }
            seen.push(an);
            let after = &attrs[eq + 1..];
            if !after.starts_with('"') {
                return Err(format!("unquoted attribute {an}"));
            }
            let close = after[1..].find('"').ok_or("unterminated attribute")?;
            let value = &after[1..1 + close];
            if value.contains('<') {
                return Err("< in attribute".into());
            }
            check_entities(value)?;
            attrs = after[close + 2..].trim_start();
        }
        Ok(())
    }

    fn row(t_s: f64, running: u64) -> TimelineRow {
        TimelineRow {
            binds_per_s: None,
            t_s,
            pods_pending: 0,
            pods_running: running,
            pods_failed: 0,
            nodes_ready: 10,
            nodes_not_ready: 0,
            restarts: 0,
            goodput: None,
        }
    }

    /// A small deterministic generator, so sample data needs no `rand` and never changes.
    struct Lcg(u64);
    impl Lcg {
        fn next_f64(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The recovery-15k shape: 40 minutes, one node failure at 10 min, one restart, running
    /// pods drop from 15,000 to 0 and climb back within about two minutes.
    fn recovery_15k() -> (Vec<TimelineRow>, Vec<Marker>) {
        let total = 15_000u64;
        let mut rows = vec![];
        for t in 0..=2400u64 {
            let t_s = t as f64;
            // Initial ramp at ~250 pods/s, then steady; after the restart at 605 s old pods
            // terminate within 10 s and the new attempt ramps from 625 s.
            let (running, pending) = if t < 5 {
                (0, total)
            } else if t < 605 {
                let r = ((t - 5) * 250).min(total);
                (r, total - r)
            } else if t < 615 {
                (total - (t - 605) * total / 10, 0)
            } else if t < 625 {
                (0, (t - 615) * total / 10)
            } else {
                let r = ((t - 625) * 140).min(total);
                (r, total - r)
            };
            rows.push(TimelineRow {
                binds_per_s: None,
                t_s,
                pods_pending: pending,
                pods_running: running,
                pods_failed: if (600..605).contains(&t) { 4 } else { 0 },
                nodes_ready: if (600..1500).contains(&t) {
                    total - 1
                } else {
                    total
                },
                nodes_not_ready: u64::from((600..1500).contains(&t)),
                restarts: u64::from(t >= 605),
                goodput: Some(if t < 65 {
                    0.0
                } else {
                    let lost = if t >= 605 {
                        120.0_f64.min(t_s - 605.0)
                    } else {
                        0.0
                    };
                    (t_s - 65.0 - lost) / t_s
                }),
            });
        }
        let markers = vec![
            Marker {
                t_s: 600.0,
                kind: MarkerKind::NodeFailure,
                label: "gke-pool-3-node-0412 NotReady".into(),
            },
            Marker {
                t_s: 600.0,
                kind: MarkerKind::PodFailure,
                label: "exit code 1".into(),
            },
            Marker {
                t_s: 605.0,
                kind: MarkerKind::Restart,
                label: "restart 1 (RestartJobSet)".into(),
            },
            Marker {
                t_s: 1500.0,
                kind: MarkerKind::Repair,
                label: "node repaired".into(),
            },
        ];
        (rows, markers)
    }

    /// The long-run shape: 54 days at 2,048 nodes, ~5,000 samples, 419 markers.
    fn long_run_2048() -> (Vec<TimelineRow>, Vec<Marker>) {
        let nodes = 2048u64;
        let span_s = 54.0 * 86400.0;
        let mut rng = Lcg(42);
        let mut markers = vec![];
        let mut fail_times = vec![];
        let mut t = 0.0;
        // ~140 node failures: each brings a pod failure and a restart; some get a repair.
        while markers.len() < 419 {
            t += rng.next_f64() * 2.0 * span_s / 140.0;
            if t >= span_s {
                t = rng.next_f64() * span_s;
            }
            fail_times.push(t);
            markers.push(Marker {
                t_s: t,
                kind: MarkerKind::NodeFailure,
                label: format!("node-{}", (rng.next_f64() * nodes as f64) as u64),
            });
            markers.push(Marker {
                t_s: t + 1.0,
                kind: MarkerKind::PodFailure,
                label: "exit code 137".into(),
            });
            markers.push(Marker {
                t_s: t + 5.0,
                kind: MarkerKind::Restart,
                label: "restart".into(),
            });
            if markers.len() < 419 && rng.next_f64() < 0.3 {
                markers.push(Marker {
                    t_s: t + 3600.0 * 4.0,
                    kind: MarkerKind::Repair,
                    label: "repaired".into(),
                });
            }
        }
        markers.truncate(419);
        fail_times.sort_by(f64::total_cmp);
        let mut rows = vec![];
        let n = 5000;
        let mut lost_s = 0.0;
        for i in 0..n {
            let t_s = span_s * i as f64 / (n - 1) as f64;
            let dt = span_s / (n - 1) as f64;
            let restarts = fail_times.iter().filter(|&&f| f <= t_s).count() as u64;
            let recent = fail_times.iter().any(|&f| f <= t_s && t_s - f < 600.0);
            let broken = fail_times
                .iter()
                .filter(|&&f| f <= t_s && t_s - f < 4.0 * 3600.0)
                .count() as u64;
            if recent {
                lost_s += dt;
            }
            rows.push(TimelineRow {
                binds_per_s: None,
                t_s,
                pods_pending: if recent { nodes } else { 0 },
                pods_running: if recent { 0 } else { nodes },
                pods_failed: u64::from(recent) * 4,
                nodes_ready: nodes - broken,
                nodes_not_ready: broken,
                restarts,
                goodput: if i == 0 {
                    None
                } else {
                    Some(1.0 - (lost_s + restarts as f64 * 900.0) / t_s)
                },
            });
        }
        (rows, markers)
    }

    #[test]
    fn output_is_well_formed_standalone_svg() {
        for (rows, markers) in [recovery_15k(), long_run_2048()] {
            let svg = render("run", &rows, &markers);
            check_xml(&svg).unwrap();
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.contains("viewBox=\"0 0 1000 "));
            assert!(svg.contains(" width=\"1000\" height=\""));
        }
    }

    #[test]
    fn xml_checker_rejects_broken_documents() {
        assert!(check_xml("<svg><g></svg>").is_err());
        assert!(check_xml("<svg a=\"1\">x & y</svg>").is_err());
        assert!(check_xml("<svg a=1/>").is_err());
        assert!(check_xml("<svg/><svg/>").is_err());
        assert!(check_xml("<svg a=\"&lt;\">&amp;</svg>").is_ok());
    }

    #[test]
    fn title_and_labels_are_escaped() {
        let evil = "a&b <c> \"d\" 'e'\u{1}";
        let svg = render(
            evil,
            &[row(0.0, 1), row(10.0, 2)],
            &[Marker {
                t_s: 5.0,
                kind: MarkerKind::Restart,
                label: evil.into(),
            }],
        );
        check_xml(&svg).unwrap();
        assert!(svg.contains("a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;"));
        assert!(!svg.contains("<c>"));
        assert!(!svg.contains('\u{1}'));
    }

    #[test]
    fn time_ticks_follow_the_span() {
        let labels = |lo: f64, hi: f64| -> Vec<String> {
            time_ticks(lo, hi).into_iter().map(|t| t.label).collect()
        };
        let m = labels(0.0, 2400.0);
        assert!(m.iter().all(|l| l.ends_with(" min")), "{m:?}");
        assert_eq!(m[0], "0 min");
        assert!(m.contains(&"10 min".to_string()) && m.contains(&"40 min".to_string()));
        assert!(m.len() >= 4 && m.len() <= 9, "{m:?}");

        let d = labels(0.0, 54.0 * 86400.0);
        assert_eq!(&d[..3], ["0 d", "7 d", "14 d"]);
        assert_eq!(d.last().unwrap(), "49 d");

        let s = labels(0.0, 30.0);
        assert_eq!(&s[..3], ["0 s", "5 s", "10 s"]);
        let h = labels(0.0, 36.0 * 3600.0);
        assert!(h.iter().all(|l| l.ends_with(" h")), "{h:?}");
        let sub = labels(100.0, 101.0);
        assert_eq!(sub.first().unwrap(), "100 s");
        assert!(sub.contains(&"100.2 s".to_string()), "{sub:?}");
        // Ticks stay inside the range and are increasing.
        for (lo, hi) in [
            (0.0, 2400.0),
            (13.0, 5000.0),
            (-60.0, 60.0),
            (1e6, 1e6 + 0.01),
        ] {
            let t = time_ticks(lo, hi);
            assert!(!t.is_empty());
            assert!(t.windows(2).all(|w| w[0].value_s < w[1].value_s));
            assert!(t
                .iter()
                .all(|x| x.value_s >= lo - 1e-6 && x.value_s <= hi + 1e-6));
        }
        assert!(time_ticks(5.0, 5.0).is_empty());
        assert!(time_ticks(0.0, f64::INFINITY).is_empty());
    }

    #[test]
    fn y_scales_are_round_and_labelled_compactly() {
        let s = YScale::for_max(15_000.0, true);
        assert_eq!(s.top, 15_000.0);
        let labels: Vec<String> = s.ticks().iter().map(|&v| si(v, s.step)).collect();
        assert_eq!(labels, ["0", "5k", "10k", "15k"]);
        let s = YScale::for_max(2_048.0, true);
        assert_eq!((s.top, s.step), (2_500.0, 500.0));
        let s = YScale::for_max(3.0, true);
        assert_eq!((s.top, s.step), (3.0, 1.0));
        let s = YScale::for_max(0.0, true);
        assert_eq!((s.top, s.step), (1.0, 1.0));
        assert_eq!(si(2_500.0, 500.0), "2.5k");
        assert_eq!(si(1_200_000.0, 200_000.0), "1.2M");
        assert_eq!(si(0.25, 0.25), "0.25");
        assert_eq!(thousands(15_000), "15,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn downsampling_keeps_min_and_max() {
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 100.0)).collect();
        pts[4_321].1 = 1e6;
        pts[7_777].1 = -5.0;
        let out = downsample_min_max(&pts, 0.0, 9_999.0, 100);
        assert!(out.len() <= 200);
        assert!(out.contains(&(4_321.0, 1e6)));
        assert!(out.contains(&(7_777.0, -5.0)));
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "time order kept");
        // Flat runs collapse to their ends.
        let flat = drop_flat_interior(downsample_min_max(&pts[..4_000], 0.0, 9_999.0, 100));
        assert_eq!(flat, [(0.0, 100.0), (3_999.0, 100.0)]);
    }

    #[test]
    fn bands_shade_every_panel_and_binds_get_their_panel() {
        let mut rows: Vec<TimelineRow> = (0..100).map(|t| row(t as f64, 5)).collect();
        for (i, r) in rows.iter_mut().enumerate().skip(1) {
            r.binds_per_s = Some((i % 7) as f64);
        }
        let band = Band {
            from_s: 40.0,
            to_s: 99.0,
            label: "#2 stalled: Job train-1: leader on node n-3 …".into(),
        };
        let svg = render_with_bands("t", &rows, &[], std::slice::from_ref(&band), &[]);
        check_xml(&svg).unwrap();
        assert!(svg.contains(">Binds per second</text>"));
        assert!(svg.contains("binds/s since the previous sample · peak 6"));
        assert_eq!(
            svg.matches("fill-opacity=\"0.12\"").count(),
            4,
            "one per panel"
        );
        assert!(svg.contains("#2 stalled: Job train-1: leader on node n-3 …</text>"));
        // Without binds, three panels as before.
        let plain = render("t", &[row(0.0, 1), row(1.0, 2)], &[]);
        assert!(!plain.contains("Binds per second"));
    }

    fn queue(key: &str, evictions: usize) -> QueuePanel {
        QueuePanel {
            key: format!("kueue.cq.{key}"),
            title: format!("ClusterQueue {key} (cohort <ml>)"),
            resource: "tpu-v6e-4x4/google.com/tpu".into(),
            quota: 64.0,
            quota_label: "nominal",
            usage: vec![(0.0, 0.0), (10.0, 112.0), (50.0, 64.0), (99.0, 64.0)],
            borrowed: Some(vec![(0.0, 0.0), (10.0, 48.0), (50.0, 0.0), (99.0, 0.0)]),
            pending: vec![(0.0, 0.0), (5.0, 3.0), (10.0, 1.0), (99.0, 1.0)],
            evictions: (0..evictions)
                .map(|i| QueueEviction {
                    t_s: 50.0 + i as f64,
                    reason: "InCohortReclamation".into(),
                    label: format!("50 s: train-{i} evicted, Preempted (InCohortReclamation)"),
                })
                .collect(),
        }
    }

    #[test]
    fn step_downsampling_keeps_each_pixels_last_value() {
        // Three changes inside one pixel: 32 in use, 24 while a victim stops, 32 again once
        // the preemptor is admitted.
        let pts = [
            (0.0, 32.0),
            (0.1, 24.0),
            (0.2, 32.0),
            (50.0, 32.0),
            (100.0, 0.0),
        ];
        assert_eq!(downsample_steps(&pts, 0.0, 100.0, 10), pts.to_vec());
        // Minimum and maximum alone would end the pixel at 24 and draw 24 until 50.
        let min_max = downsample_min_max(&pts, 0.0, 100.0, 10);
        assert_eq!(&min_max[..3], &[(0.0, 32.0), (0.1, 24.0), (50.0, 32.0)]);
        // A bucket keeps at most four points: first, minimum, maximum, last (here the first
        // is the minimum).
        let dense: Vec<(f64, f64)> = (0..100)
            .map(|i| (i as f64 / 100.0, (i % 7) as f64))
            .collect();
        let out = downsample_steps(&dense, 0.0, 100.0, 10);
        assert_eq!(out, vec![(0.0, 0.0), (0.06, 6.0), (0.99, 1.0)]);
    }

    #[test]
    fn kueue_queues_get_a_panel_each_and_none_without_kueue() {
        let rows: Vec<TimelineRow> = (0..100).map(|t| row(t as f64, 5)).collect();
        let plain = render("t", &rows, &[]);
        let with = render_with_bands("t", &rows, &[], &[], &[queue("a", 1), queue("b", 0)]);
        check_xml(&with).unwrap();
        // Without queues the chart is the one it always was.
        assert_eq!(render_with_bands("t", &rows, &[], &[], &[]), plain);
        assert!(!plain.contains("ClusterQueue"));
        assert!(with.contains(">ClusterQueue a (cohort &lt;ml&gt;)</text>"));
        assert_eq!(
            with.matches(">tpu-v6e-4x4/google.com/tpu</text>").count(),
            2
        );
        assert!(with.contains(">ClusterQueue b (cohort &lt;ml&gt;)"));
        for legend in [
            "in use · peak 112",
            "borrowed · peak 48",
            "nominal 64",
            "pending Workloads (right axis) · peak 3",
        ] {
            assert_eq!(with.matches(legend).count(), 2, "{legend}");
        }
        // Two more panels: the SVG grows by two panel heights.
        let height = |svg: &str| -> f64 {
            let h = svg.split("height=\"").nth(1).unwrap();
            h[..h.find('"').unwrap()].parse().unwrap()
        };
        assert_eq!(
            height(&with) - height(&plain),
            2.0 * (QUEUE_TITLE_PX + PANEL_HEADER_PX + PANEL_PLOT_H_PX + PANEL_GAP_PX)
        );
        // The eviction: a triangle with its reason as a tooltip, and counted in the legend.
        assert_eq!(
            with.matches("<title>50 s: train-0 evicted, Preempted (InCohortReclamation)</title>")
                .count(),
            1
        );
        assert!(with.contains(">evictions: InCohortReclamation ×1</text>"));
        // Many evictions keep their triangles but lose their lines.
        let many = render_with_bands("t", &rows, &[], &[], &[queue("a", 45)]);
        check_xml(&many).unwrap();
        assert_eq!(many.matches("<title>").count(), 45);
        assert!(!many.contains("stroke=\"#d62728\" stroke-width=\"1\" stroke-dasharray"));
        assert!(many.contains(">evictions: InCohortReclamation ×45</text>"));
    }

    #[test]
    fn dense_markers_become_a_rug_without_per_marker_text() {
        let (rows, markers) = long_run_2048();
        assert_eq!(markers.len(), 419);
        let svg = render("long", &rows, &markers);
        assert!(!svg.contains("exit code 137"));
        assert!(!svg.contains("repaired<"));
        assert!(
            !svg.contains("stroke-dasharray=\"4 3\""),
            "no full-height lines"
        );
        assert!(svg.contains(">node fault ("));
        assert!(svg.matches("<text").count() < 60);
    }

    #[test]
    fn sparse_markers_get_lines_and_labels() {
        let (rows, markers) = recovery_15k();
        let svg = render("recovery", &rows, &markers);
        assert!(svg.contains("stroke-dasharray=\"4 3\""));
        assert!(svg.contains(">restart 1 (RestartJobSet)</text>"));
        assert!(svg.contains("not ready (right axis)"));
        assert!(svg.contains("goodput so far"));
    }

    #[test]
    fn output_is_deterministic() {
        let (rows, markers) = long_run_2048();
        assert_eq!(render("x", &rows, &markers), render("x", &rows, &markers));
        let (rows, markers) = recovery_15k();
        let mut shuffled = rows.clone();
        shuffled.reverse();
        assert_eq!(
            render("x", &rows, &markers),
            render("x", &shuffled, &markers)
        );
    }

    #[test]
    fn long_run_stays_small() {
        let (rows, markers) = long_run_2048();
        assert_eq!(rows.len(), 5_000);
        let svg = render("long", &rows, &markers);
        assert!(svg.len() < 300_000, "{} bytes", svg.len());
        // The worst case for size: every series jumps at every sample.
        let noisy: Vec<TimelineRow> = (0..5_000u64)
            .map(|i| TimelineRow {
                binds_per_s: None,
                t_s: i as f64,
                pods_pending: (i * 7919) % 2048,
                pods_running: (i * 104_729) % 2048,
                pods_failed: i % 5,
                nodes_ready: 2048 - i % 3,
                nodes_not_ready: i % 3,
                restarts: i / 12,
                goodput: Some((i % 100) as f64 / 100.0),
            })
            .collect();
        let svg = render("noisy", &noisy, &markers);
        check_xml(&svg).unwrap();
        assert!(svg.len() < 300_000, "{} bytes", svg.len());
    }

    #[test]
    fn edge_cases_render_without_panicking() {
        let empty = render("t", &[], &[]);
        check_xml(&empty).unwrap();
        assert!(empty.contains("no samples"));
        let nan_only = render("t", &[row(f64::NAN, 1)], &[]);
        assert!(nan_only.contains("no samples"));

        let one = render("t", &[row(42.0, 7)], &[]);
        check_xml(&one).unwrap();
        assert!(!one.contains("NaN") && !one.contains("inf"));

        let zero_span = render("t", &[row(5.0, 0), row(5.0, 0), row(5.0, 3)], &[]);
        check_xml(&zero_span).unwrap();

        let mut weird = vec![
            row(0.0, 0),
            row(f64::INFINITY, 1),
            row(1e300, 2),
            row(-1e300, 3),
        ];
        weird[0].goodput = Some(f64::NAN);
        weird[2].goodput = Some(f64::INFINITY);
        weird[3].goodput = Some(7.0);
        let markers = [
            Marker {
                t_s: f64::NAN,
                kind: MarkerKind::Repair,
                label: String::new(),
            },
            Marker {
                t_s: -1e300,
                kind: MarkerKind::NodeFailure,
                label: "x".repeat(1000),
            },
        ];
        let svg = render("t", &weird, &markers);
        check_xml(&svg).unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"));

        let all_zero: Vec<TimelineRow> = (0..100)
            .map(|i| TimelineRow {
                binds_per_s: None,
                t_s: i as f64,
                pods_pending: 0,
                pods_running: 0,
                pods_failed: 0,
                nodes_ready: 0,
                nodes_not_ready: 0,
                restarts: 0,
                goodput: Some(0.0),
            })
            .collect();
        check_xml(&render("zeros", &all_zero, &[])).unwrap();
        let big = TimelineRow {
            binds_per_s: None,
            t_s: 1.0,
            pods_pending: u64::MAX,
            pods_running: u64::MAX,
            pods_failed: u64::MAX,
            nodes_ready: u64::MAX,
            nodes_not_ready: u64::MAX,
            restarts: u64::MAX,
            goodput: Some(-0.0),
        };
        check_xml(&render("big", &[row(0.0, 0), big], &[])).unwrap();
    }

    /// Writes both example shapes under the temp dir for eyeballing:
    /// `cargo test --lib report::timeline_svg -- --ignored`, then open
    /// `$TMPDIR/timeline-recovery-15k.svg` and `$TMPDIR/timeline-54d-2048.svg`.
    #[test]
    #[ignore]
    fn write_examples() {
        let dir = std::env::temp_dir();
        let (rows, markers) = recovery_15k();
        let a = render(
            "recovery-15k: full restart at 15,000 nodes",
            &rows,
            &markers,
        );
        std::fs::write(dir.join("timeline-recovery-15k.svg"), &a).unwrap();
        let (rows, markers) = long_run_2048();
        let b = render("goodput-54d: 2,048 nodes, 54 days", &rows, &markers);
        std::fs::write(dir.join("timeline-54d-2048.svg"), &b).unwrap();
        println!("recovery-15k {} bytes, 54d-2048 {} bytes", a.len(), b.len());
    }
}

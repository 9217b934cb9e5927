//! The report page: written for a run and a sweep, self-contained, and rendered by headless
//! Chromium without console errors and with its charts (skipped, saying so, when Chromium is
//! not installed; under CI=true a missing Chromium is a failure).

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn assert_self_contained(html: &str) {
    for needle in [
        "<link",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
        "<iframe",
    ] {
        assert!(
            !html.contains(needle),
            "report.html refers outside itself: {needle}"
        );
    }
}

/// The headless Chromium to use, or None (with a message) when there is none outside CI.
fn chromium() -> Option<String> {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(name.to_string());
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but no chromium: .ci/run installs Debian's `chromium` package");
    }
    eprintln!(
        "SKIPPED: report.html browser check: no `chromium` on PATH (apt-get install chromium); \
         under CI=true this is a failure"
    );
    None
}

/// Loads the page in headless Chromium; returns the DOM after load and Chromium's log.
fn render(browser: &str, html: &Path, name: &str) -> (String, String) {
    let profile = scratch(&format!("chromium-profile-{name}"));
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.canonicalize().unwrap().display()))
        .output()
        .expect("chromium starts");
    assert!(o.status.success(), "chromium failed: {}", stderr(&o));
    (stdout(&o), stderr(&o))
}

/// Renders the page and checks it; returns the DOM after load (None without Chromium).
fn check_in_browser(html: &Path, name: &str, min_charts: usize) -> Option<String> {
    let browser = chromium()?;
    let (dom, log) = render(&browser, html, name);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let charts = dom
        .split("data-charts=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| {
            panic!(
                "the page's load handler did not run: {}",
                &dom[..dom.len().min(500)]
            )
        });
    assert!(
        charts >= min_charts,
        "{charts} charts rendered, expected {min_charts}"
    );
    Some(dom)
}

#[test]
fn run_report_shows_summary_recoveries_and_charts() {
    let dir = scratch("report_run");
    let out = dir.join("out");
    let o = run(&[
        "run",
        "scenarios/recovery-15k.yaml",
        "--out",
        out.to_str().unwrap(),
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    for says in [
        "<h1>recovery-15k</h1>",
        "Headline metrics",
        "recovery.pods_per_s",
        "Time to recover, by phase",
        "first_create_s",
        "Distributions",
        "pod_scheduling_latency_s",
        "scenario_hash",
    ] {
        assert!(html.contains(says), "{says} missing");
    }
    // The timeline chart, the phase bars and recovery.svg, inline.
    assert!(html.matches("<svg").count() >= 3);
    assert!(
        html.contains("data-chart=\"recovery\""),
        "recovery.svg missing"
    );
    let recovery_svg = std::fs::read_to_string(out.join("recovery.svg")).unwrap();
    assert!(
        html.contains(recovery_svg.trim_end()),
        "recovery.svg not embedded whole"
    );
    // Columns keep summary.json's order: a JobSet's name first, not alphabetical.
    let jobsets = &html[html.find("<h2>JobSets</h2>").unwrap()..];
    let header = &jobsets[..jobsets.find("</tr>").unwrap()];
    assert!(
        header.starts_with("<h2>JobSets</h2><div class=\"wrap\"><table><tr><th>name</th>"),
        "{header}"
    );
    let name_at = |key: &str| header.find(&format!("<th>{key}</th>")).unwrap();
    assert!(name_at("restarts") < name_at("completed_at_s"), "{header}");
    // `report DIR` writes the same page from the folder.
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = run(&["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        html
    );
    if let Some(dom) = check_in_browser(&out.join("report.html"), "run", 3) {
        // The recovery chart is in the rendered page, with the run's one record (the crash,
        // the container's restart in place and the JobSet's restart are one interruption).
        let chart = dom
            .split("data-chart=\"recovery\"")
            .nth(1)
            .expect("recovery chart in the DOM");
        assert!(
            chart.contains("#1 train · RestartJobSet (Recreate)"),
            "record #1 in the rendered chart"
        );
        assert!(!chart.contains("#2 train"), "one record only");
    }
}

#[test]
fn sweep_report_has_the_cell_table_and_a_chart_per_metric() {
    let dir = scratch("report_sweep");
    let out = dir.join("out");
    let o = run(&[
        "sweep",
        "tests/fixtures/sweep/sweep.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("Headline metrics per cell"));
    assert!(html.contains("BlockingRecreate"));
    // Chart labels name each cell's axis values, one line per axis, not c0..cN.
    assert!(
        html.contains("<tspan x=\"") && html.contains(">Recreate</tspan><tspan"),
        "charts are not labelled by axis values"
    );
    assert!(html.contains("(c3)</title>"));
    let charts = html.matches("<svg").count();
    assert!(charts >= 8, "{charts} charts");
    check_in_browser(&out.join("report.html"), "sweep", charts);
}

#[test]
fn report_of_a_folder_without_results_is_exit_2() {
    let dir = scratch("report_empty");
    let o = run(&["report", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("neither a run's --out folder"),
        "{}",
        stderr(&o)
    );
    let o = run(&["run", "scenarios/quickstart.yaml", "--report"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

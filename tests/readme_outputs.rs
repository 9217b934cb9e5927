//! The README's examples of output are what the program prints: each block after a line
//! `<!-- output of: jobset-sim ARGS -->` must be, line for line, in the standard output of
//! `jobset-sim ARGS` run now in the repository. A line `...` (or indented `...`) stands for
//! lines left out, a line starting with `$ ` is the command, and the wall time of the
//! `simulated ... in N ms of wall time` line is not compared. A change that moves an output
//! the README shows fails here until the README shows the new output.

mod common;

use std::collections::HashSet;

const MARKER: &str = "<!-- output of: jobset-sim ";

/// A marked block: the README line of its marker, the arguments, its lines with their numbers.
struct Block {
    line: usize,
    args: String,
    lines: Vec<(usize, String)>,
}

fn marked_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((line, text)) = lines.next() {
        let Some(args) = text.strip_prefix(MARKER) else {
            continue;
        };
        let args = args.trim_end_matches("-->").trim().to_string();
        let fence = lines.next().map(|(_, l)| l);
        assert!(
            fence.is_some_and(|f| f.starts_with("```")),
            "README.md:{line}: the marker must be followed by a code block"
        );
        let body = lines
            .by_ref()
            .take_while(|(_, l)| !l.starts_with("```"))
            .map(|(n, l)| (n, l.to_string()))
            .collect();
        blocks.push(Block {
            line,
            args,
            lines: body,
        });
    }
    blocks
}

/// The line with its wall time taken out.
fn normalized(line: &str) -> String {
    let line = line.trim_end();
    match (line.find(" in "), line.find(" ms of wall time")) {
        (Some(from), Some(to)) if from < to => {
            format!("{} in N{}", &line[..from], &line[to..])
        }
        _ => line.to_string(),
    }
}

fn compared(line: &str) -> bool {
    let t = line.trim();
    !(t.is_empty() || t == "..." || line.starts_with("$ "))
}

#[test]
fn every_marked_readme_block_is_the_programs_output() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).expect("README.md");
    let blocks = marked_blocks(&readme);
    assert!(
        blocks.len() >= 8,
        "only {} marked blocks: a marker was lost",
        blocks.len()
    );
    let mut problems = Vec::new();
    for block in &blocks {
        let args: Vec<&str> = block.args.split_whitespace().collect();
        let out = common::run_long_unchecked(&args);
        assert!(
            out.status.success(),
            "README.md:{}: `jobset-sim {}` failed: {}",
            block.line,
            block.args,
            common::stderr(&out)
        );
        let printed: HashSet<String> = common::stdout(&out).lines().map(normalized).collect();
        for (n, text) in block.lines.iter().filter(|(_, l)| compared(l)) {
            if !printed.contains(&normalized(text)) {
                problems.push(format!(
                    "README.md:{n}: {text:?} is not printed by `jobset-sim {}`",
                    block.args
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nShow the program's real output in the README (and update the prose around it).",
        problems.join("\n")
    );
}

#[test]
fn a_changed_line_is_found() {
    let readme = format!("x\n{MARKER}run a.yaml -->\n```text\nabc\n...\n$ cmd\n```\n");
    let blocks = marked_blocks(&readme);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].args, "run a.yaml");
    let kept: Vec<&str> = (blocks[0].lines.iter())
        .filter(|(_, l)| compared(l))
        .map(|(_, l)| l.as_str())
        .collect();
    assert_eq!(kept, ["abc"]);
    assert_eq!(
        normalized("simulated 40m in 896 ms of wall time (229449 events)"),
        normalized("simulated 40m in 12 ms of wall time (229449 events)")
    );
    assert_ne!(normalized("pods: 5 created"), normalized("pods: 6 created"));
}

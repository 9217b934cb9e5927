//! Finds where a field path (`spec.replicatedJobs[0].replicas`) sits in a YAML text, so that
//! errors found after parsing (scenario resolution, JobSet admission) can name the line and
//! column the way serde's own errors do.
//!
//! serde_yaml_ng gives no positions for values that parsed fine, so this is a small scanner of
//! its own. It only has to be right for YAML that serde_yaml_ng already accepted; for anything
//! else it must merely not panic. It understands block mappings and sequences at any
//! indentation, `- key: v` items, flow collections, quoted keys, comments, block scalars,
//! multi-document streams, and skips anchors and tags. When a path cannot be followed to its
//! end (an omitted field, a path into an alias, a path spelled differently from the document),
//! the position of the deepest node that was found is returned: "spec.foo: Required value"
//! points at `spec:`.

use crate::error::{InputError, SimError};
use std::collections::BTreeMap;
use std::path::Path;

/// 1-based line and column (in characters, as libyaml counts them).
type Pos = (usize, usize);

/// Nesting beyond this is not followed; it keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 200;

/// Line and column of the value at `path` in document `doc_index` (0-based) of `text`; the key's
/// position when the value is a block collection on the following lines. `None` when the
/// document does not exist, is empty, or the path is empty or upstream's `<nil>`.
pub(crate) fn locate(text: &str, doc_index: usize, path: &str) -> Option<(usize, usize)> {
    if path.is_empty() || path == "<nil>" {
        return None;
    }
    let lines = document_lines(text, doc_index)?;
    let first = lines.first()?.first;
    let mut parser = Parser {
        lines,
        next: 0,
        depth: 0,
    };
    let root = parser.node_at(0, first, -1);
    Some(walk(&root, path))
}

/// Fills `line`/`column` of an error that has a path but no position, from document `doc_index`
/// of `text`.
pub(crate) fn fill(err: &mut InputError, text: &str, doc_index: usize) {
    if err.line.is_some() {
        return;
    }
    let Some(path) = err.path.as_deref() else {
        return;
    };
    if let Some((line, column)) = locate(text, doc_index, path) {
        err.line = Some(line);
        err.column = Some(column);
    }
}

/// Gives positions to the errors of a scenario (read from `file`, whose text is `text`, with
/// manifests relative to `base_dir`) that have a path but no line:
/// - errors about the scenario file itself are located in `text`;
/// - errors about an inline `jobset:` (reported against `<file> (workloads[i].jobset)`, with paths
///   relative to the JobSet) are moved to the scenario file with the full path
///   `workloads[i].jobset.<path>`, because the JobSet was re-rendered and only the scenario file
///   is something the user can open;
/// - errors about a `manifest:` file (`<shown>` or `<shown> (document N)`) are located in that
///   file, which is read again: only the file names survive in the errors. Once located, the
///   document suffix is dropped: the line says which document it is.
pub(crate) fn fill_scenario(err: SimError, file: &str, text: &str, base_dir: &Path) -> SimError {
    let SimError::Input(mut errors) = err else {
        return err;
    };
    let manifests = manifest_files(text, base_dir);
    let mut texts: BTreeMap<String, Option<String>> = BTreeMap::new();
    for e in &mut errors {
        if e.line.is_some() {
            continue;
        }
        if e.file == file {
            fill(e, text, 0);
        } else if let Some(i) = inline_workload(&e.file, file) {
            e.file = file.to_string();
            e.path = Some(match e.path.take() {
                Some(p) => format!("workloads[{i}].jobset.{p}"),
                None => format!("workloads[{i}].jobset"),
            });
            fill(e, text, 0);
        } else {
            let (name, doc) = split_document_suffix(&e.file);
            let name = name.to_string();
            if !manifests.contains(&name) {
                continue;
            }
            let manifest = texts
                .entry(name.clone())
                .or_insert_with(|| crate::source::read_text(Path::new(&name)).ok());
            if let Some(manifest) = manifest {
                // Without a "(document N)" suffix the file holds one JobSet: the first
                // document with content.
                if let Some(d) = doc.or_else(|| first_document(manifest)) {
                    fill(e, manifest, d);
                }
                // Lines count from the top of the file, so `m.yaml:40:7` says which document;
                // `m.yaml (document 2):40:7` would not be a location editors can open.
                if e.line.is_some() && doc.is_some() {
                    e.file = name;
                }
            }
        }
    }
    SimError::Input(errors)
}

/// [`fill_scenario`] for errors found after the scenario was loaded (when the simulation is set
/// up), whose text is no longer at hand: reads the scenario file again.
pub(crate) fn fill_scenario_file(err: SimError, path: &Path) -> SimError {
    match crate::source::read_text(path) {
        Ok(text) => fill_scenario(
            err,
            &path.display().to_string(),
            &text,
            path.parent().unwrap_or(Path::new(".")),
        ),
        Err(_) => err,
    }
}

/// The manifest files a scenario refers to, spelled as the errors about them spell them.
fn manifest_files(text: &str, base_dir: &Path) -> Vec<String> {
    let Ok(value) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
        return vec![];
    };
    let Some(workloads) = value.get("workloads").and_then(|w| w.as_sequence()) else {
        return vec![];
    };
    workloads
        .iter()
        .filter_map(|w| w.get("manifest").and_then(|m| m.as_str()))
        .map(|m| base_dir.join(m).display().to_string())
        .collect()
}

/// `i` when `source` is `<file> (workloads[i].jobset)`, how inline JobSets are named.
fn inline_workload(source: &str, file: &str) -> Option<usize> {
    source
        .strip_prefix(file)?
        .strip_prefix(" (workloads[")?
        .strip_suffix("].jobset)")?
        .parse()
        .ok()
}

/// `("m.yaml", Some(1))` for `m.yaml (document 2)`; `("m.yaml", None)` for `m.yaml`.
fn split_document_suffix(source: &str) -> (&str, Option<usize>) {
    if let Some(rest) = source.strip_suffix(')') {
        if let Some((name, n)) = rest.rsplit_once(" (document ") {
            if let Ok(n) = n.parse::<usize>() {
                return (name, n.checked_sub(1));
            }
        }
    }
    (source, None)
}

/// Index of the first document that holds something.
fn first_document(text: &str) -> Option<usize> {
    let mut split = DocSplit::default();
    for (n, raw) in text.split('\n').enumerate() {
        if let LineKind::Content(_) = split.classify(clean_line(n, raw)) {
            return Some(split.index);
        }
    }
    None
}

// =============================================================================================
// Documents and lines
// =============================================================================================

/// One line of the wanted document that holds content. Blank and comment-only lines are left
/// out: nothing can be located on them.
struct Line<'a> {
    /// 1-based line number in the whole text.
    no: usize,
    text: &'a str,
    /// Byte offset of the first content (the indentation, or what follows `--- `).
    first: usize,
}

enum LineKind {
    /// Content starting at this byte offset.
    Content(usize),
    /// `---` or `...` with nothing after it.
    Marker,
    /// Blank, comment or directive.
    Skip,
}

/// Tracks document boundaries the way libyaml (and so serde_yaml_ng) counts documents: `---`
/// starts a new document unless the current one is still empty and implicit; `...` ends one.
#[derive(Default)]
struct DocSplit {
    index: usize,
    explicit: bool,
    content: bool,
}

impl DocSplit {
    fn classify(&mut self, line: &str) -> LineKind {
        let b = line.as_bytes();
        let is_marker = |m: &[u8]| b.starts_with(m) && b.get(3).is_none_or(|c| is_ws(*c));
        if is_marker(b"---") {
            if self.content || self.explicit {
                self.index += 1;
            }
            self.explicit = true;
            self.content = false;
            let first = skip_spaces(b, 3);
            if is_blank_from(b, first) {
                return LineKind::Marker;
            }
            self.content = true;
            return LineKind::Content(first);
        }
        if is_marker(b"...") {
            if self.content || self.explicit {
                self.index += 1;
            }
            self.explicit = false;
            self.content = false;
            return LineKind::Marker;
        }
        let first = skip_spaces(b, 0);
        if is_blank_from(b, first) || (!self.content && b.first() == Some(&b'%')) {
            return LineKind::Skip;
        }
        self.content = true;
        LineKind::Content(first)
    }
}

/// The line without its `\r` (CRLF files) and, on the first line, without a byte-order mark,
/// which libyaml does not count as a column.
fn clean_line(n: usize, raw: &str) -> &str {
    let line = raw.strip_suffix('\r').unwrap_or(raw);
    if n == 0 {
        line.strip_prefix('\u{feff}').unwrap_or(line)
    } else {
        line
    }
}

fn document_lines(text: &str, wanted: usize) -> Option<Vec<Line<'_>>> {
    let mut split = DocSplit::default();
    let mut out = Vec::new();
    for (n, raw) in text.split('\n').enumerate() {
        let line = clean_line(n, raw);
        let kind = split.classify(line);
        if split.index > wanted {
            break;
        }
        if let LineKind::Content(first) = kind {
            if split.index == wanted {
                out.push(Line {
                    no: n + 1,
                    text: line,
                    first,
                });
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

// =============================================================================================
// A tree of positions
// =============================================================================================

#[derive(Debug)]
struct Located {
    /// Where an error about this node should point.
    at: Pos,
    node: Node,
}

#[derive(Debug)]
enum Node {
    Map(Vec<(String, Located)>),
    Seq(Vec<Located>),
    /// A scalar, an alias, or something not understood.
    Leaf,
}

fn leaf(at: Pos) -> Located {
    Located {
        at,
        node: Node::Leaf,
    }
}

/// Follows `path` as far as the tree allows and returns the position reached.
fn walk(root: &Located, path: &str) -> Pos {
    let mut cur = root;
    let mut rest = path;
    loop {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if rest.is_empty() {
            return cur.at;
        }
        let next = match &cur.node {
            Node::Seq(items) => index_segment(rest).and_then(|(i, after)| {
                let item = items.get(i)?;
                Some((item, after))
            }),
            Node::Map(entries) => key_segment(entries, rest),
            Node::Leaf => None,
        };
        match next {
            Some((node, after)) => {
                cur = node;
                rest = after;
            }
            None => return cur.at,
        }
    }
}

/// `[3]rest` → `(3, "rest")`.
fn index_segment(rest: &str) -> Option<(usize, &str)> {
    let inner = rest.strip_prefix('[')?;
    let (digits, after) = inner.split_once(']')?;
    Some((digits.parse().ok()?, after))
}

/// The entry of a mapping that `rest` starts with. Keys may hold dots and slashes
/// (`nvidia.com/gpu`, `alpha.jobset.sigs.k8s.io/exclusive-topology`) and producers write them
/// unquoted, so the longest key that is followed by the end, `.` or `[` wins. Bracketed keys
/// (`["a.b/c"]`, `['a.b']`, `[a.b]`) are matched exactly.
fn key_segment<'t, 'p>(
    entries: &'t [(String, Located)],
    rest: &'p str,
) -> Option<(&'t Located, &'p str)> {
    if let Some(inner) = rest.strip_prefix('[') {
        for quote in ['"', '\''] {
            if let Some(q) = inner.strip_prefix(quote) {
                let close = format!("{quote}]");
                let (key, after) = q.split_once(close.as_str())?;
                let (_, node) = entries.iter().find(|(k, _)| k == key)?;
                return Some((node, after));
            }
        }
        let (key, after) = inner.split_once(']')?;
        let (_, node) = entries.iter().find(|(k, _)| k == key)?;
        return Some((node, after));
    }
    entries
        .iter()
        .filter(|(k, _)| {
            !k.is_empty()
                && rest.starts_with(k.as_str())
                && matches!(rest.as_bytes().get(k.len()), None | Some(b'.') | Some(b'['))
        })
        .max_by_key(|(k, _)| k.len())
        .map(|(k, node)| (node, &rest[k.len()..]))
}

// =============================================================================================
// The scanner
// =============================================================================================

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| is_ws(*c)) {
        i += 1;
    }
    i
}

/// Nothing but spaces or a comment from `i` on.
fn is_blank_from(b: &[u8], i: usize) -> bool {
    let i = skip_spaces(b, i);
    match b.get(i) {
        None => true,
        Some(b'#') => i == 0 || b.get(i - 1).is_some_and(|c| is_ws(*c)),
        Some(_) => false,
    }
}

/// Skips anchors (`&a`) and tags (`!t`, `!!map`) and the spaces after them.
fn skip_properties(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b'&') | Some(b'!')) {
        while b.get(i).is_some_and(|c| !is_ws(*c)) {
            i += 1;
        }
        i = skip_spaces(b, i);
    }
    i
}

/// A `-` sequence entry indicator at `i`.
fn is_dash(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'-') && b.get(i + 1).is_none_or(|c| is_ws(*c))
}

/// Position of byte offset `byte` of `text`, columns counted in characters.
fn pos_in(no: usize, text: &str, byte: usize) -> Pos {
    let col = text.char_indices().take_while(|(i, _)| *i < byte).count();
    (no, col + 1)
}

/// Reads a quoted scalar starting at `b[i]` (the quote) on one line. Returns its value and the
/// offset after the closing quote, or `None` if it does not close on this line.
fn quoted_on_line(text: &str, i: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let quote = *b.get(i)?;
    let mut out = Vec::new();
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        if quote == b'\'' && c == b'\'' {
            if b.get(j + 1) == Some(&b'\'') {
                out.push(b'\'');
                j += 2;
                continue;
            }
            return Some((String::from_utf8_lossy(&out).into_owned(), j + 1));
        }
        if quote == b'"' && c == b'"' {
            return Some((String::from_utf8_lossy(&out).into_owned(), j + 1));
        }
        if quote == b'"' && c == b'\\' {
            let esc = b.get(j + 1).copied();
            match esc {
                Some(b'n') => out.push(b'\n'),
                Some(b't') => out.push(b'\t'),
                Some(e @ (b'"' | b'\\' | b'/' | b' ')) => out.push(e),
                Some(e) => out.extend_from_slice(&[b'\\', e]),
                None => return None,
            }
            j += 2;
            continue;
        }
        out.push(c);
        j += 1;
    }
    None
}

/// If a block mapping key starts at `i`, returns it and the offset of its `:`.
fn block_key(text: &str, i: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let is_colon = |j: usize| b.get(j) == Some(&b':') && b.get(j + 1).is_none_or(|c| is_ws(*c));
    match *b.get(i)? {
        b'"' | b'\'' => {
            let (key, end) = quoted_on_line(text, i)?;
            let colon = skip_spaces(b, end);
            is_colon(colon).then_some((key, colon))
        }
        b'{' | b'[' | b'#' | b'|' | b'>' | b'*' | b'&' | b'!' | b'%' | b'@' | b'`' => None,
        b'-' | b'?' if b.get(i + 1).is_none_or(|c| is_ws(*c)) => None,
        _ => {
            let mut j = i;
            while j < b.len() {
                if is_colon(j) {
                    let key = text.get(i..j).unwrap_or("").trim_end().to_string();
                    return Some((key, j));
                }
                if b[j] == b'#' && j > i && is_ws(b[j - 1]) {
                    return None;
                }
                j += 1;
            }
            None
        }
    }
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    /// Index of the first line not consumed yet.
    next: usize,
    depth: usize,
}

impl Parser<'_> {
    fn pos(&self, li: usize, byte: usize) -> Pos {
        match self.lines.get(li) {
            Some(l) => pos_in(l.no, l.text, byte),
            None => self.lines.last().map_or((1, 1), |l| (l.no, 1)),
        }
    }

    fn bytes(&self, li: usize) -> &[u8] {
        self.lines.get(li).map_or(&[], |l| l.text.as_bytes())
    }

    fn indent(&self, li: usize) -> usize {
        self.lines.get(li).map_or(0, |l| l.first)
    }

    /// Consumes the lines after the current one that are indented more than `parent`: the rest
    /// of a multi-line scalar, a block scalar, or content we could not place.
    fn skip_deeper(&mut self, parent: isize) {
        while self.next < self.lines.len() && self.indent(self.next) as isize > parent {
            self.next += 1;
        }
    }

    /// The node whose content starts at byte `col` of line `li`, inside a block collection
    /// indented at `parent` (-1 at the root). Leaves `self.next` past everything it consumed,
    /// always beyond `li`.
    fn node_at(&mut self, li: usize, col: usize, parent: isize) -> Located {
        let at = self.pos(li, col);
        self.next = li + 1;
        if self.depth >= MAX_DEPTH {
            self.skip_deeper(parent);
            return leaf(at);
        }
        self.depth += 1;
        let out = self.node_inner(li, col, parent, at);
        self.depth -= 1;
        out
    }

    fn node_inner(&mut self, li: usize, col: usize, parent: isize, at: Pos) -> Located {
        let b = self.bytes(li);
        let col = skip_properties(b, col);
        if is_blank_from(b, col) {
            // Only an anchor or tag here: the node is on the next lines.
            if self.next < self.lines.len() && self.indent(self.next) as isize > parent {
                let j = self.next;
                return self.node_at(j, self.indent(j), parent);
            }
            return leaf(at);
        }
        match b.get(col) {
            _ if is_dash(b, col) => self.sequence(li, col),
            Some(b'{') | Some(b'[') => {
                let (node, end_line) = self.flow(li, col);
                self.next = end_line + 1;
                self.skip_deeper(parent);
                node
            }
            _ => match self.lines.get(li).and_then(|l| block_key(l.text, col)) {
                Some(_) => self.mapping(li, col),
                None => {
                    // A scalar; any more-indented lines are its continuation.
                    self.skip_deeper(parent);
                    leaf(self.pos(li, col))
                }
            },
        }
    }

    /// A block sequence whose first `-` is at byte `s` of line `li`.
    fn sequence(&mut self, li: usize, s: usize) -> Located {
        let at = self.pos(li, s);
        let mut items = Vec::new();
        let mut li = li;
        loop {
            let b = self.bytes(li);
            let c = skip_spaces(b, s + 1);
            if is_blank_from(b, c) {
                // `-` alone: the item is on the following, deeper lines.
                self.next = li + 1;
                if self.next < self.lines.len() && self.indent(self.next) > s {
                    let j = self.next;
                    items.push(self.node_at(j, self.indent(j), s as isize));
                } else {
                    items.push(leaf(self.pos(li, s)));
                }
            } else {
                items.push(self.node_at(li, c, s as isize));
            }
            let j = self.next;
            if j < self.lines.len() && self.indent(j) == s && is_dash(self.bytes(j), s) {
                li = j;
            } else {
                break;
            }
        }
        Located {
            at,
            node: Node::Seq(items),
        }
    }

    /// A block mapping whose first key starts at byte `m` of line `li`; its other keys are on
    /// lines indented exactly `m`.
    fn mapping(&mut self, li: usize, m: usize) -> Located {
        let at = self.pos(li, m);
        let mut entries = Vec::new();
        let mut li = li;
        let mut col = m;
        loop {
            let Some((key, colon)) = self.lines.get(li).and_then(|l| block_key(l.text, col)) else {
                // Not a key where one belongs: skip it and what hangs below it.
                self.next = li + 1;
                self.skip_deeper(m as isize);
                break;
            };
            let key_at = self.pos(li, col);
            let b = self.bytes(li);
            let v = skip_properties(b, skip_spaces(b, colon + 1));
            let value = if is_blank_from(b, v) {
                // The value is on the following lines: a deeper node, or a sequence at the key's
                // own indentation. Errors about it point at the key, the line that names it.
                self.next = li + 1;
                let j = self.next;
                let node = if j < self.lines.len() && self.indent(j) > m {
                    self.node_at(j, self.indent(j), m as isize).node
                } else if j < self.lines.len()
                    && self.indent(j) == m
                    && is_dash(self.bytes(j), m)
                    && self.depth < MAX_DEPTH
                {
                    self.depth += 1;
                    let seq = self.sequence(j, m);
                    self.depth -= 1;
                    seq.node
                } else {
                    Node::Leaf
                };
                Located { at: key_at, node }
            } else {
                self.node_at(li, v, m as isize)
            };
            entries.push((key, value));
            let j = self.next;
            if j < self.lines.len() && self.indent(j) == m && !is_dash(self.bytes(j), m) {
                li = j;
                col = m;
            } else {
                break;
            }
        }
        Located {
            at,
            node: Node::Map(entries),
        }
    }

    // ---- flow collections: a cursor that may cross lines ----

    /// A flow collection starting at byte `col` of line `li`; returns it and the line it ends on.
    fn flow(&mut self, li: usize, col: usize) -> (Located, usize) {
        let mut cur = (li, col);
        let node = self.flow_node(&mut cur);
        (node, cur.0.min(self.lines.len().saturating_sub(1)))
    }

    fn byte(&self, cur: (usize, usize)) -> Option<u8> {
        self.bytes(cur.0).get(cur.1).copied()
    }

    /// Moves past spaces, comments and line ends.
    fn flow_skip(&self, cur: &mut (usize, usize)) {
        while cur.0 < self.lines.len() {
            let b = self.bytes(cur.0);
            cur.1 = skip_spaces(b, cur.1);
            if is_blank_from(b, cur.1) {
                cur.0 += 1;
                cur.1 = 0;
            } else {
                return;
            }
        }
    }

    fn flow_node(&mut self, cur: &mut (usize, usize)) -> Located {
        self.flow_skip(cur);
        let at = self.pos(cur.0, cur.1);
        if self.depth >= MAX_DEPTH {
            // Give up on the rest of the document rather than recurse further.
            *cur = (self.lines.len(), 0);
            return leaf(at);
        }
        let b = self.bytes(cur.0);
        cur.1 = skip_properties(b, cur.1);
        self.depth += 1;
        let node = match self.byte(*cur) {
            Some(open @ (b'{' | b'[')) => {
                cur.1 += 1;
                self.flow_collection(cur, open, at)
            }
            _ => {
                self.flow_scalar(cur);
                leaf(at)
            }
        };
        self.depth -= 1;
        node
    }

    /// Entries of `{...}` or items of `[...]`; `key: value` pairs inside `[...]` become
    /// one-entry mappings, as YAML defines them.
    fn flow_collection(&mut self, cur: &mut (usize, usize), open: u8, at: Pos) -> Located {
        let close = if open == b'{' { b'}' } else { b']' };
        let mut entries = Vec::new();
        let mut items = Vec::new();
        let mut expecting = true;
        loop {
            self.flow_skip(cur);
            let before = *cur;
            match self.byte(*cur) {
                None => break,
                Some(c) if c == close => {
                    cur.1 += 1;
                    break;
                }
                Some(b',') => {
                    cur.1 += 1;
                    expecting = true;
                    continue;
                }
                Some(b'}') | Some(b']') => {
                    // The wrong closing bracket: malformed, end here.
                    cur.1 += 1;
                    break;
                }
                Some(_) => {}
            }
            let key_at = self.pos(cur.0, cur.1);
            let key = self.flow_key_text(*cur);
            let first = self.flow_node(cur);
            self.flow_skip(cur);
            let pair = if self.byte(*cur) == Some(b':') {
                cur.1 += 1;
                self.flow_skip(cur);
                let value = match self.byte(*cur) {
                    Some(b',') | Some(b'}') | Some(b']') | None => leaf(key_at),
                    Some(_) => self.flow_node(cur),
                };
                Some(value)
            } else {
                None
            };
            if expecting {
                if open == b'{' {
                    entries.push((key, pair.unwrap_or_else(|| leaf(key_at))));
                } else if let Some(value) = pair {
                    items.push(Located {
                        at: key_at,
                        node: Node::Map(vec![(key, value)]),
                    });
                } else {
                    items.push(first);
                }
            }
            expecting = false;
            if *cur == before {
                // Never loop without consuming input.
                cur.1 += 1;
            }
        }
        let node = if open == b'{' {
            Node::Map(entries)
        } else {
            Node::Seq(items)
        };
        Located { at, node }
    }

    /// The text of a flow key at `cur` (quoted or plain), without consuming it.
    fn flow_key_text(&self, cur: (usize, usize)) -> String {
        let Some(line) = self.lines.get(cur.0) else {
            return String::new();
        };
        let b = line.text.as_bytes();
        let start = skip_properties(b, cur.1);
        if matches!(b.get(start), Some(b'"') | Some(b'\'')) {
            return quoted_on_line(line.text, start)
                .map(|(k, _)| k)
                .unwrap_or_default();
        }
        let end = plain_flow_end(b, start);
        line.text
            .get(start..end)
            .unwrap_or("")
            .trim_end()
            .to_string()
    }

    /// Consumes a scalar inside a flow collection (quoted scalars may span lines).
    fn flow_scalar(&mut self, cur: &mut (usize, usize)) {
        let b = self.bytes(cur.0);
        match b.get(cur.1).copied() {
            Some(q @ (b'"' | b'\'')) => {
                cur.1 += 1;
                while cur.0 < self.lines.len() {
                    let b = self.bytes(cur.0);
                    while let Some(&c) = b.get(cur.1) {
                        if q == b'"' && c == b'\\' {
                            cur.1 += 2;
                        } else if c == q {
                            if q == b'\'' && b.get(cur.1 + 1) == Some(&b'\'') {
                                cur.1 += 2;
                            } else {
                                cur.1 += 1;
                                return;
                            }
                        } else {
                            cur.1 += 1;
                        }
                    }
                    cur.0 += 1;
                    cur.1 = 0;
                }
            }
            Some(_) => cur.1 = plain_flow_end(b, cur.1).max(cur.1 + 1).min(b.len()),
            None => {}
        }
    }
}

/// Where a plain scalar inside a flow collection ends: at `,`, a bracket, `: `, or a comment.
fn plain_flow_end(b: &[u8], mut i: usize) -> usize {
    let start = i;
    while let Some(&c) = b.get(i) {
        match c {
            b',' | b'[' | b']' | b'{' | b'}' => break,
            b':' if b
                .get(i + 1)
                .is_none_or(|n| is_ws(*n) || matches!(n, b',' | b'[' | b']' | b'{' | b'}')) =>
            {
                break
            }
            b'#' if i > start && is_ws(b[i - 1]) => break,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOBSET: &str = "\
# a comment before anything
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: demo   # trailing comment
  annotations:
    alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool
    \"quoted.key\": x
spec:
  replicatedJobs:
  - name: workers
    replicas: 2
    template:
      spec:
        parallelism: 3
        template:
          spec:
            containers:
            - name: main
              image: busybox
              resources: {requests: {cpu: \"1\", nvidia.com/gpu: 8}}
            - name: side
              image: 'side:1'
              command:
              - sh
              - -c
              - |
                echo hi: there
                exit 0
  - name: driver
    template: {spec: {template: {spec: {containers: [{name: d, image: x}]}}}}
";

    fn at(text: &str, path: &str) -> Option<(usize, usize)> {
        locate(text, 0, path)
    }

    #[test]
    fn block_mappings_and_sequences() {
        assert_eq!(at(JOBSET, "kind"), Some((3, 7)));
        assert_eq!(at(JOBSET, "metadata.name"), Some((5, 9)));
        assert_eq!(
            at(JOBSET, "spec.replicatedJobs[0].replicas"),
            Some((12, 15))
        );
        assert_eq!(at(JOBSET, "spec.replicatedJobs[0]"), Some((11, 5)));
        assert_eq!(at(JOBSET, "spec.replicatedJobs[1].name"), Some((30, 11)));
        assert_eq!(
            at(
                JOBSET,
                "spec.replicatedJobs[0].template.spec.template.spec.containers[1].image"
            ),
            Some((23, 22))
        );
        assert_eq!(
            at(
                JOBSET,
                "spec.replicatedJobs[0].template.spec.template.spec.containers[1].command[2]"
            ),
            Some((27, 17))
        );
    }

    #[test]
    fn block_collections_point_at_their_key() {
        assert_eq!(at(JOBSET, "spec"), Some((9, 1)));
        assert_eq!(at(JOBSET, "spec.replicatedJobs"), Some((10, 3)));
        assert_eq!(
            at(JOBSET, "spec.replicatedJobs[0].template.spec"),
            Some((14, 7))
        );
    }

    #[test]
    fn missing_fields_point_at_their_parent() {
        assert_eq!(at(JOBSET, "spec.successPolicy"), Some((9, 1)));
        assert_eq!(at(JOBSET, "spec.successPolicy.operator"), Some((9, 1)));
        assert_eq!(
            at(JOBSET, "spec.replicatedJobs[0].groupName"),
            Some((11, 5))
        );
        // An index past the end points at the sequence.
        assert_eq!(at(JOBSET, "spec.replicatedJobs[7].name"), Some((10, 3)));
        // Upstream spells some paths differently from the document (`template` for `templates`).
        assert_eq!(
            at(JOBSET, "spec.replicatedJobs[0].bogus[0].name"),
            Some((11, 5))
        );
        // A missing top-level field: the document itself.
        assert_eq!(at(JOBSET, "status"), Some((2, 1)));
    }

    #[test]
    fn keys_with_dots_and_slashes() {
        assert_eq!(
            at(
                JOBSET,
                "metadata.annotations.alpha.jobset.sigs.k8s.io/exclusive-topology"
            ),
            Some((7, 50))
        );
        assert_eq!(
            at(
                JOBSET,
                "metadata.annotations[\"alpha.jobset.sigs.k8s.io/exclusive-topology\"]"
            ),
            Some((7, 50))
        );
        assert_eq!(
            at(
                JOBSET,
                "metadata.annotations[alpha.jobset.sigs.k8s.io/exclusive-topology]"
            ),
            Some((7, 50))
        );
        assert_eq!(at(JOBSET, "metadata.annotations.quoted.key"), Some((8, 19)));
        assert_eq!(
            at(
                JOBSET,
                "spec.replicatedJobs[0].template.spec.template.spec.containers[0].resources.requests.nvidia.com/gpu"
            ),
            Some((21, 64))
        );
        // Longest key wins when a shorter one is a prefix.
        let text = "a:\n  b: 1\n  b.c: 2\n  b.c.d: 3\n";
        assert_eq!(at(text, "a.b.c"), Some((3, 8)));
        assert_eq!(at(text, "a.b.c.d"), Some((4, 10)));
        assert_eq!(at(text, "a.b"), Some((2, 6)));
    }

    #[test]
    fn flow_collections() {
        assert_eq!(
            at(
                JOBSET,
                "spec.replicatedJobs[0].template.spec.template.spec.containers[0].resources"
            ),
            Some((21, 26))
        );
        assert_eq!(
            at(
                JOBSET,
                "spec.replicatedJobs[0].template.spec.template.spec.containers[0].resources.requests.cpu"
            ),
            Some((21, 43))
        );
        assert_eq!(
            at(
                JOBSET,
                "spec.replicatedJobs[1].template.spec.template.spec.containers[0].image"
            ),
            Some((31, 71))
        );
        let text = "a: {x: 1, b: [p, q, {r: s}]}\nc: [1,\n  2, 3]\n";
        assert_eq!(at(text, "a"), Some((1, 4)));
        assert_eq!(at(text, "a.b"), Some((1, 14)));
        assert_eq!(at(text, "a.b[1]"), Some((1, 18)));
        assert_eq!(at(text, "a.b[2].r"), Some((1, 25)));
        assert_eq!(at(text, "a.b[9]"), Some((1, 14)));
        assert_eq!(at(text, "a.missing"), Some((1, 4)));
        assert_eq!(at(text, "c[2]"), Some((3, 6)));
        // Pairs inside flow sequences, quoted flow keys, empty values.
        let text = "s: [k: v, \"q.k\": 1, {e: }]\n";
        assert_eq!(at(text, "s[0].k"), Some((1, 8)));
        assert_eq!(at(text, "s[1][\"q.k\"]"), Some((1, 18)));
        assert_eq!(at(text, "s[2].e"), Some((1, 22)));
    }

    #[test]
    fn item_mappings_and_compact_sequences() {
        let text = "items:\n- a: 1\n  b: 2\n-   c: 3\n    d:\n    - x\n    - y\n- - n1\n  - n2\n-\n  e: 5\n";
        assert_eq!(at(text, "items[0].b"), Some((3, 6)));
        assert_eq!(at(text, "items[1].c"), Some((4, 8)));
        assert_eq!(at(text, "items[1].d[1]"), Some((7, 7)));
        assert_eq!(at(text, "items[2][1]"), Some((9, 5)));
        assert_eq!(at(text, "items[3].e"), Some((11, 6)));
        // A whole document indented.
        assert_eq!(at("  a:\n    b: 1\n  c: 2\n", "c"), Some((3, 6)));
    }

    #[test]
    fn quoted_keys_and_values() {
        let text = "'it''s': 1\n\"a\\\"b\": 2\nc: \"x: y # z\"\nd: 'p: q'\ne: 4\n";
        assert_eq!(at(text, "it's"), Some((1, 10)));
        assert_eq!(at(text, "a\"b"), Some((2, 9)));
        assert_eq!(at(text, "e"), Some((5, 4)));
    }

    #[test]
    fn multi_line_scalars_and_block_scalars() {
        let text = "a: |\n  x: 1\n  - y\n\n  # not a comment\nb: >-\n  folded\nc: plain\n  continued: no\nd: \"two\n  lines\"\ne: 1\n";
        assert_eq!(at(text, "b"), Some((6, 4)));
        assert_eq!(at(text, "c"), Some((8, 4)));
        assert_eq!(at(text, "d"), Some((10, 4)));
        assert_eq!(at(text, "e"), Some((12, 4)));
        assert_eq!(at(text, "a.x"), Some((1, 4)));
    }

    #[test]
    fn documents_are_counted_as_serde_yaml_ng_counts_them() {
        let texts = [
            "a: 1\n---\nb: 2\n---\nc: 3\n",
            "---\na: 1\n---\nb: 2\n",
            "# c\n%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n",
            "a: 1\n---\n---\nb: 2\n",
            "---\n---\na: 1\n",
            "--- {a: 1}\n--- # x\nb: 2\n",
        ];
        for text in texts {
            let docs: Vec<serde_yaml_ng::Value> = serde_yaml_ng::Deserializer::from_str(text)
                .map(|d| serde::Deserialize::deserialize(d).unwrap())
                .collect();
            for (i, doc) in docs.iter().enumerate() {
                let found = locate(text, i, "a").or_else(|| locate(text, i, "b"));
                assert_eq!(found.is_some(), !doc.is_null(), "{text:?} document {i}");
            }
            assert_eq!(locate(text, docs.len(), "a"), None, "{text:?}");
        }
        let text = "a: 1\n---\nkind: X\nb:\n  c: 2\n";
        assert_eq!(locate(text, 1, "b.c"), Some((5, 6)));
        assert_eq!(locate(text, 1, "b.d"), Some((4, 1)));
        assert_eq!(locate("--- {a: 1}\n", 0, "a"), Some((1, 9)));
        assert_eq!(first_document("---\n---\n# x\nb: 2\n"), Some(1));
        assert_eq!(first_document("a: 1\n"), Some(0));
        assert_eq!(first_document("# only\n"), None);
    }

    #[test]
    fn anchors_aliases_and_tags() {
        let text = "base: &b\n  x: 1\nuse:\n  <<: *b\n  y: !!str 2\nitem: &i {p: 1}\nref: *i\nt: !tag\n  z: 3\n";
        assert_eq!(at(text, "base.x"), Some((2, 6)));
        assert_eq!(at(text, "use.y"), Some((5, 12)));
        assert_eq!(at(text, "item.p"), Some((6, 14)));
        // Through an alias: the alias itself.
        assert_eq!(at(text, "ref.p"), Some((7, 6)));
        assert_eq!(at(text, "use.x"), Some((3, 1)));
        assert_eq!(at(text, "t.z"), Some((9, 6)));
    }

    #[test]
    fn columns_count_characters_and_crlf_is_handled() {
        let text = "é: ü\r\nb: 1\r\n";
        assert_eq!(at(text, "é"), Some((1, 4)));
        assert_eq!(at(text, "b"), Some((2, 4)));
        assert_eq!(at("\u{feff}a: 1\n", "a"), Some((1, 4)));
    }

    #[test]
    fn nothing_to_locate() {
        assert_eq!(at("", "a"), None);
        assert_eq!(at("# only a comment\n", "a"), None);
        assert_eq!(at("a: 1\n", ""), None);
        assert_eq!(at("a: 1\n", "<nil>"), None);
        assert_eq!(locate("a: 1\n", 3, "a"), None);
        // A scalar document: the scalar.
        assert_eq!(at("just text\n", "a.b"), Some((1, 1)));
    }

    #[test]
    fn serde_positions_agree() {
        // Where serde_yaml_ng reports a type error, locate points at the same place.
        let text = JOBSET.replace("replicas: 2", "replicas: two");
        let err = crate::api::load::load_jobsets_from_str("a.yaml", &text).unwrap_err();
        let path = err.path.clone().unwrap();
        assert_eq!(
            locate(&text, 0, &path),
            Some((err.line.unwrap(), err.column.unwrap()))
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(at(&deep, "a[0][0]"), Some((1, 6)));
        let dashes = format!("a: \n{}x\n", "- ".repeat(50_000));
        assert!(at(&dashes, "a[0][0][0]").is_some());
        let mut nested = String::new();
        for i in 0..2_000 {
            nested.push_str(&" ".repeat(i));
            nested.push_str("k:\n");
        }
        assert!(at(&nested, &vec!["k"; 2_000].join(".")).is_some());
    }

    /// Never panics, whatever the text and path: every prefix, every one-byte deletion and
    /// insertions of YAML's special characters at every position of some documents.
    #[test]
    fn mutated_inputs_never_panic() {
        let samples = [
            JOBSET,
            "a: {x: 1, b: [p, q, {r: s}]}\nc: [1,\n  2, 3]\n",
            "items:\n- a: 1\n  b: 2\n- - n1\n  - n2\n-\n  e: 5\n---\n'k''': \"v\\\"\"\n...\n",
            "base: &b\n  x: 1\nuse:\n  <<: *b\nt: !tag\n  z: |\n    é\n",
        ];
        let paths = [
            "a.b[2].r",
            "items[1][0]",
            "spec.replicatedJobs[0].template.spec.template.spec.containers[1].image",
            "metadata.annotations[\"alpha.jobset.sigs.k8s.io/exclusive-topology",
            "c[99999999999999999999999].",
        ];
        let inserts = [
            "- ", ": ", "\n ", "{", "]", "\"", "'", " #", "&", "|", "\t", "---\n", "é",
        ];
        let check = |text: &str| {
            for doc in 0..2 {
                for p in paths {
                    let _ = locate(text, doc, p);
                }
            }
            let _ = first_document(text);
        };
        for sample in samples {
            let boundaries: Vec<usize> = (0..=sample.len())
                .filter(|i| sample.is_char_boundary(*i))
                .collect();
            for &i in &boundaries {
                check(&sample[..i]);
                if let Some(&j) = boundaries.iter().find(|&&j| j > i) {
                    check(&format!("{}{}", &sample[..i], &sample[j..]));
                }
                for ins in inserts {
                    check(&format!("{}{ins}{}", &sample[..i], &sample[i..]));
                }
            }
        }
    }
}

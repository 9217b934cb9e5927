//! A linear pre-scan of YAML text that refuses deep flow nesting before the parser sees it.
//!
//! The YAML parser keeps one "possible simple key" per open flow collection and re-examines all
//! of them at every token, so text like `{a: {a: {a: ...` costs time quadratic in its depth: a
//! 200 KB file nested 50,000 levels took about 20 s to be refused by the deserializer's own
//! recursion limit (128 levels), which only applies after the whole document is scanned. This
//! scan walks the text once, tracks the depth of flow collections (`[`, `{`) the way the YAML
//! scanner opens and closes them, and stops at the first bracket past [`MAX_FLOW_DEPTH`].
//!
//! Block nesting (`- - - x`, indentation) is left to the parser: it costs linear time there.

use crate::error::InputError;

/// Deepest flow nesting handed to the parser. Twice the deserializer's recursion limit (128),
/// so no document the deserializer would accept is refused here, and the parser's work on what
/// passes stays small (the simple-key checks cost at most this many steps per token).
pub(crate) const MAX_FLOW_DEPTH: usize = 256;

/// Refuses `text` if its flow collections nest deeper than [`MAX_FLOW_DEPTH`], naming the line
/// and column of the first bracket past the limit.
pub(crate) fn check(file: &str, text: &str) -> Result<(), InputError> {
    match Scan::new(text).first_too_deep() {
        None => Ok(()),
        Some((line, column)) => Err(InputError::new(
            file,
            format!(
                "YAML nested more than {MAX_FLOW_DEPTH} levels deep in `[`/`{{` collections; \
                 refused before parsing (JobSet manifests and scenarios nest a few levels)"
            ),
        )
        .at_line(line, column)),
    }
}

/// Scanner state: a position in the text, the current line's indentation, the flow depth.
struct Scan<'a> {
    b: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    flow_depth: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Self {
        Scan {
            b: text.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            flow_depth: 0,
        }
    }

    /// 1-based (line, column) of the first bracket that opens a flow collection past the limit.
    fn first_too_deep(mut self) -> Option<(usize, usize)> {
        while self.pos < self.b.len() {
            let found = if self.flow_depth == 0 {
                self.block_line()
            } else {
                self.flow_token()
            };
            if found {
                let before = &self.b[self.line_start..self.pos];
                let column = String::from_utf8_lossy(before).chars().count() + 1;
                return Some((self.line, column));
            }
        }
        None
    }

    fn peek(&self, at: usize) -> u8 {
        self.b.get(at).copied().unwrap_or(b'\n')
    }

    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    fn skip_to_line_end(&mut self) {
        while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    /// Opens a flow collection at `pos`; true when that goes past the limit.
    fn open(&mut self) -> bool {
        self.flow_depth += 1;
        if self.flow_depth > MAX_FLOW_DEPTH {
            return true;
        }
        self.pos += 1;
        false
    }

    /// One token in flow context. Plain scalars there cannot hold `[]{},`, so every bracket
    /// outside quotes and comments opens or closes a collection.
    fn flow_token(&mut self) -> bool {
        match self.b[self.pos] {
            b'[' | b'{' => return self.open(),
            b']' | b'}' => {
                self.flow_depth -= 1;
                self.pos += 1;
            }
            b'"' | b'\'' => self.skip_quoted(),
            b'#' if self.after_space() => self.skip_to_line_end(),
            b'\n' => self.newline(),
            _ => self.pos += 1,
        }
        false
    }

    /// The rest of a line in block context: indicators (`- `, `? `, `: `) lead to a node, and a
    /// node that starts with a bracket opens a flow collection; other text is a plain scalar,
    /// whose brackets are ordinary characters.
    fn block_line(&mut self) -> bool {
        let indent = self.skip_spaces();
        loop {
            match self.peek(self.pos) {
                b'\n' if self.pos >= self.b.len() => return false,
                b'\n' => {
                    self.newline();
                    return false;
                }
                b'[' | b'{' => return self.open(),
                b'"' | b'\'' => self.skip_quoted(),
                b'#' => self.skip_to_line_end(),
                b'|' | b'>' => {
                    self.skip_block_scalar(indent);
                    return false;
                }
                b'-' | b'?' | b':' if is_blank(self.peek(self.pos + 1)) => self.pos += 1,
                b' ' | b'\t' => self.pos += 1,
                _ => self.skip_plain_in_block(),
            }
            if self.flow_depth > 0 {
                return false;
            }
        }
    }

    /// A plain scalar in block context ends at `: `, ` #` or the end of the line.
    fn skip_plain_in_block(&mut self) {
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            if c == b'\n'
                || c == b':' && is_blank(self.peek(self.pos + 1))
                || c == b'#' && self.after_space()
            {
                return;
            }
            self.pos += 1;
        }
    }

    fn skip_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek(self.pos) == b' ' {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Skips a quoted scalar, which may span lines; `\` escapes in double quotes, `''` in single.
    fn skip_quoted(&mut self) {
        let quote = self.b[self.pos];
        self.pos += 1;
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b'\\' if quote == b'"' => {
                    self.pos += 1;
                    if self.peek(self.pos) == b'\n' {
                        self.newline();
                    } else {
                        self.pos += 1;
                    }
                }
                c if c == quote => {
                    if quote == b'\'' && self.peek(self.pos + 1) == b'\'' {
                        self.pos += 2;
                        continue;
                    }
                    self.pos += 1;
                    return;
                }
                b'\n' => self.newline(),
                _ => self.pos += 1,
            }
        }
    }

    /// Skips a `|` or `>` block scalar: the rest of its header line, then every line that is
    /// blank or indented deeper than the line that introduced it.
    fn skip_block_scalar(&mut self, parent_indent: usize) {
        self.skip_to_line_end();
        while self.pos < self.b.len() {
            self.newline();
            let indent = self.skip_spaces();
            let blank = self.peek(self.pos) == b'\n';
            if !blank && indent <= parent_indent {
                // Not part of the scalar: rescan this line from its start.
                self.pos = self.line_start;
                return;
            }
            self.skip_to_line_end();
        }
    }

    fn after_space(&self) -> bool {
        self.pos == self.line_start || matches!(self.b[self.pos - 1], b' ' | b'\t')
    }
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str) -> Option<(usize, usize)> {
        Scan::new(text).first_too_deep()
    }

    #[test]
    fn deep_flow_mappings_are_refused_at_the_first_bracket_past_the_limit() {
        let n = 50_000;
        let text = format!("name: x\ncluster: {}{}\n", "{a: ".repeat(n), "}".repeat(n));
        // Column of the 257th `{`: it follows "cluster: " and 256 copies of "{a: ".
        assert_eq!(depth_error(&text), Some((2, 10 + 4 * MAX_FLOW_DEPTH)));
        let e = check("s.yaml", &text).unwrap_err();
        assert_eq!(e.to_string(), format!("s.yaml:2:{}: YAML nested more than 256 levels deep in `[`/`{{` collections; refused before parsing (JobSet manifests and scenarios nest a few levels)", 10 + 4 * MAX_FLOW_DEPTH));
    }

    #[test]
    fn deep_flow_sequences_are_refused() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(depth_error(&text), Some((1, MAX_FLOW_DEPTH + 1)));
    }

    #[test]
    fn nesting_up_to_the_limit_passes() {
        let n = MAX_FLOW_DEPTH;
        let text = format!("a:\n- {}{}\n- [x]\n", "[".repeat(n), "]".repeat(n));
        assert_eq!(depth_error(&text), None);
        // Sibling collections do not add up.
        let many = "- {a: [1, {b: 2}]}\n".repeat(10_000);
        assert_eq!(depth_error(&many), None);
    }

    #[test]
    fn brackets_in_plain_scalars_quotes_comments_and_block_scalars_do_not_count() {
        let opens = "[".repeat(MAX_FLOW_DEPTH + 1);
        let texts = [
            format!("regex: a{opens}\n"),
            format!("s: \"{opens}\"\nt: '{opens}'' {opens}'\n"),
            format!("# {opens}\nk: v # {opens}\n"),
            format!("script: |\n  {opens}\n\n  {opens}\nnext: 1\n"),
            format!("q: \"a\n  {opens}\"\n"),
            format!("f: [\"{opens}\", '{opens}']\n"),
        ];
        for t in texts {
            assert_eq!(depth_error(&t), None, "{t}");
        }
        // After the block scalar ends, brackets count again.
        let after = format!("script: |\n  x\nnext: {opens}\n");
        assert_eq!(depth_error(&after), Some((3, 7 + MAX_FLOW_DEPTH)));
    }
}

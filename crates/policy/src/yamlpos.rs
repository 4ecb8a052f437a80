//! Source positions for YAML paths. `yaml_serde` gives values without positions, so this
//! module reads the document's structure from its text: block mappings and sequences by
//! indentation (`key:`, `- item`, the `- key: v` compact form, sequences at their parent
//! key's indentation), flow collections (`{a: 1, b: [x, y]}`, also across lines) with a small
//! recursive reader, and skips block scalars (`|`, `>`) and comments. It records the position
//! of every mapping key and sequence item it can place; lookups fall back to the nearest
//! recorded ancestor, so a diagnostic always gets the best position known.
//!
//! It never fails: text it cannot place (malformed YAML is reported by `yaml_serde` anyway)
//! is skipped. Flow nesting deeper than [`MAX_FLOW_DEPTH`] is not indexed.

use crate::diag::Pos;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Flow collections nested deeper than this are not indexed (bounded recursion).
pub const MAX_FLOW_DEPTH: usize = 64;

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

#[derive(Debug, Clone, Copy)]
struct Span {
    /// The key (`key:`), or the start of a sequence item's content (its `-` when the
    /// content starts on a later line).
    key: Pos,
    /// Where the value starts, when it starts on the key's line.
    value: Option<Pos>,
}

/// Recorded positions of one document.
#[derive(Debug, Default)]
pub struct Positions {
    spans: HashMap<Vec<Seg>, Span>,
    /// Keys seen a second time under the same parent (a YAML error), in text order.
    dups: Vec<(Vec<Seg>, Pos)>,
}

struct Frame {
    /// Indentation (in characters) of this container's entries.
    indent: usize,
    path: Vec<Seg>,
    seq: bool,
    next: usize,
}

fn is_item(body: &str) -> bool {
    body == "-" || body.starts_with("- ")
}

fn chars_in(s: &str) -> usize {
    s.chars().count()
}

/// The line without its comment and trailing blanks. A `#` starts a comment at the start of
/// the line or after a blank, outside quoted scalars (a quote opens a scalar only where a
/// scalar can start: after a blank or one of `[{,:`).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some('\'') => {
                if c == '\'' {
                    if chars.peek().map(|(_, n)| *n) == Some('\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
            }
            Some(_) => {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    quote = None;
                }
            }
            None => {
                let at_start = prev.is_none_or(|p| p.is_whitespace() || "[{,:".contains(p));
                if (c == '"' || c == '\'') && at_start {
                    quote = Some(c);
                } else if c == '#' && prev.is_none_or(char::is_whitespace) {
                    return line[..i].trim_end();
                }
            }
        }
        prev = Some(c);
    }
    line.trim_end()
}

/// Split `key: value` (also `key:` at the end of the line, and quoted keys). Returns the key,
/// and the value text with its character offset in `body`.
fn split_key(body: &str) -> Option<(String, &str, usize)> {
    if body.starts_with('[') || body.starts_with('{') || body.starts_with("? ") {
        return None;
    }
    let (key, after) = if let Some(q) = body.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let (k, len) = read_quoted(&body[1..], q)?;
        (k, 1 + len)
    } else {
        let bytes = body.as_bytes();
        let mut found = None;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t')
            {
                found = Some(i);
                break;
            }
        }
        let i = found?;
        (body[..i].trim_end().to_string(), i)
    };
    let rest = body[after..].trim_start();
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    let value = rest.trim_start();
    let value_off = chars_in(body) - chars_in(value);
    Some((key, value, value_off))
}

/// Read a quoted scalar whose opening quote was just consumed; returns the unescaped text
/// (escapes are kept simple: `''` in single quotes, `\x` in double quotes) and the number of
/// bytes consumed including the closing quote.
fn read_quoted(s: &str, q: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == q {
            if q == '\'' && it.peek().map(|(_, n)| *n) == Some('\'') {
                it.next();
                out.push('\'');
                continue;
            }
            return Some((out, i + c.len_utf8()));
        }
        if q == '"' && c == '\\' {
            if let Some((_, n)) = it.next() {
                out.push(n);
            }
            continue;
        }
        out.push(c);
    }
    None
}

/// A value that is only an anchor or a tag: its content follows on the next lines.
fn is_node_property_only(value: &str) -> bool {
    !value.is_empty()
        && value
            .split_whitespace()
            .all(|w| w.starts_with('&') || w.starts_with('!'))
}

fn is_block_scalar(value: &str) -> bool {
    let v = value
        .split_whitespace()
        .find(|w| !(w.starts_with('&') || w.starts_with('!')))
        .unwrap_or("");
    (v.starts_with('|') || v.starts_with('>'))
        && v[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
}

impl Positions {
    /// Index a single-document YAML text.
    pub fn index(text: &str) -> Positions {
        let lines: Vec<&str> = text.lines().collect();
        let mut pos = Positions::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut pending: Option<(Vec<Seg>, usize)> = None;
        let mut block_scalar: Option<usize> = None;
        let mut skip_until = 0usize;

        for (ln, raw) in lines.iter().enumerate() {
            if ln < skip_until {
                continue;
            }
            let content = strip_comment(raw);
            let body = content.trim_start_matches(' ');
            let indent = content.len() - body.len();
            if let Some(bi) = block_scalar {
                if body.is_empty() || indent > bi {
                    continue;
                }
                block_scalar = None;
            }
            if body.is_empty() {
                continue;
            }
            if indent == 0
                && (body == "---"
                    || body.starts_with("--- ")
                    || body == "..."
                    || body.starts_with('%'))
            {
                continue;
            }
            if stack.is_empty() {
                stack.push(Frame {
                    indent,
                    path: Vec::new(),
                    seq: is_item(body),
                    next: 0,
                });
            }
            if let Some((path, owner)) = pending.take()
                && (indent > owner || (indent == owner && is_item(body)))
            {
                stack.push(Frame {
                    indent,
                    path,
                    seq: is_item(body),
                    next: 0,
                });
            }
            while stack.len() > 1 {
                let top = &stack[stack.len() - 1];
                if top.indent > indent || (top.indent == indent && top.seq && !is_item(body)) {
                    stack.pop();
                } else {
                    break;
                }
            }
            if stack.last().map(|f| f.indent) != Some(indent) {
                continue; // a continuation line of a multi-line scalar, or malformed
            }
            let mut st = EntryState {
                lines: &lines,
                ln,
                pending: &mut pending,
                block_scalar: &mut block_scalar,
                skip_until: &mut skip_until,
            };
            pos.entry(&mut stack, &mut st, indent, body);
        }
        pos
    }

    fn record(&mut self, path: Vec<Seg>, key: Pos, value: Option<Pos>) {
        match self.spans.entry(path) {
            Entry::Occupied(e) => self.dups.push((e.key().clone(), key)),
            Entry::Vacant(e) => {
                e.insert(Span { key, value });
            }
        }
    }

    /// Where a mapping key named `name` is repeated (the second occurrence), if anywhere.
    pub fn duplicate(&self, name: &str) -> Option<Pos> {
        self.dups
            .iter()
            .find(|(p, _)| p.last() == Some(&Seg::Key(name.to_string())))
            .map(|(_, pos)| *pos)
    }

    fn entry(&mut self, stack: &mut Vec<Frame>, st: &mut EntryState, indent: usize, body: &str) {
        let line = st.ln + 1;
        let Some(top) = stack.last_mut() else { return };
        if is_item(body) {
            if !top.seq {
                return;
            }
            let mut item = top.path.clone();
            item.push(Seg::Idx(top.next));
            top.next += 1;
            let rest = body[1..].trim_start_matches(' ');
            let rest_indent = indent + (body.len() - rest.len());
            // an item is placed at its content (`id` of `- id: x`), at the `-` when empty
            let value = (!rest.is_empty()).then(|| Pos::new(line, rest_indent + 1));
            self.record(
                item.clone(),
                value.unwrap_or(Pos::new(line, indent + 1)),
                value,
            );
            if rest.is_empty() || is_node_property_only(rest) {
                *st.pending = Some((item, indent));
            } else if is_item(rest) {
                stack.push(Frame {
                    indent: rest_indent,
                    path: item,
                    seq: true,
                    next: 0,
                });
                self.entry(stack, st, rest_indent, rest);
            } else if rest.starts_with('{') || rest.starts_with('[') {
                self.flow_from(st, byte_of(st.lines[st.ln], rest), item);
            } else if split_key(rest).is_some() {
                stack.push(Frame {
                    indent: rest_indent,
                    path: item,
                    seq: false,
                    next: 0,
                });
                self.entry(stack, st, rest_indent, rest);
            } else if is_block_scalar(rest) {
                *st.block_scalar = Some(indent);
            }
            return;
        }
        if top.seq {
            return;
        }
        let Some((key, value, value_off)) = split_key(body) else {
            return;
        };
        let mut path = top.path.clone();
        path.push(Seg::Key(key));
        let key_col = col_of(st.lines[st.ln], body) + 1;
        let value_pos = (!value.is_empty()).then(|| Pos::new(line, key_col + value_off));
        self.record(path.clone(), Pos::new(line, key_col), value_pos);
        if value.is_empty() || is_node_property_only(value) {
            *st.pending = Some((path, indent));
        } else if is_block_scalar(value) {
            *st.block_scalar = Some(indent);
        } else if value.starts_with('{') || value.starts_with('[') {
            self.flow_from(st, byte_of(st.lines[st.ln], value), path);
        }
    }

    /// Index a flow collection starting at byte `start` of the current line.
    fn flow_from(&mut self, st: &mut EntryState, start: usize, path: Vec<Seg>) {
        let mut cur = Cursor {
            lines: st.lines,
            line: st.ln,
            byte: start,
        };
        self.flow_node(&mut cur, path, 0);
        if cur.line > st.ln {
            *st.skip_until = cur.line + 1;
        }
    }

    fn flow_node(&mut self, cur: &mut Cursor, path: Vec<Seg>, depth: usize) {
        if depth > MAX_FLOW_DEPTH {
            return;
        }
        cur.skip_blank();
        match cur.peek() {
            Some('{') => {
                cur.bump();
                loop {
                    cur.skip_blank();
                    match cur.peek() {
                        None => return,
                        Some('}') => {
                            cur.bump();
                            return;
                        }
                        _ => {}
                    }
                    let key_pos = cur.pos();
                    let key = cur.scalar(true);
                    let mut p = path.clone();
                    p.push(Seg::Key(key));
                    cur.skip_blank();
                    let mut value_pos = None;
                    if cur.peek() == Some(':') {
                        cur.bump();
                        cur.skip_blank();
                        if !matches!(cur.peek(), Some(',') | Some('}') | None) {
                            value_pos = Some(cur.pos());
                        }
                    }
                    self.record(p.clone(), key_pos, value_pos);
                    if value_pos.is_some() {
                        self.flow_node(cur, p, depth + 1);
                        cur.skip_blank();
                    }
                    match cur.peek() {
                        Some(',') => cur.bump(),
                        Some('}') => {
                            cur.bump();
                            return;
                        }
                        _ => return, // malformed
                    }
                }
            }
            Some('[') => {
                cur.bump();
                let mut i = 0;
                loop {
                    cur.skip_blank();
                    match cur.peek() {
                        None => return,
                        Some(']') => {
                            cur.bump();
                            return;
                        }
                        _ => {}
                    }
                    let item_pos = cur.pos();
                    let mut p = path.clone();
                    p.push(Seg::Idx(i));
                    i += 1;
                    self.record(p.clone(), item_pos, Some(item_pos));
                    self.flow_node(cur, p, depth + 1);
                    cur.skip_blank();
                    match cur.peek() {
                        Some(',') => cur.bump(),
                        Some(']') => {
                            cur.bump();
                            return;
                        }
                        _ => return, // malformed
                    }
                }
            }
            _ => {
                cur.scalar(false);
            }
        }
    }

    fn span(&self, path: &[Seg]) -> Option<Span> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.spans.get(&path[..n]).copied())
    }

    /// Position of the key (or sequence item) at `path`, else of its nearest recorded
    /// ancestor.
    pub fn key(&self, path: &[Seg]) -> Option<Pos> {
        self.span(path).map(|s| s.key)
    }

    /// Position of the value at `path` (its key when the value starts on a later line), else
    /// of its nearest recorded ancestor.
    pub fn value(&self, path: &[Seg]) -> Option<Pos> {
        self.span(path).map(|s| s.value.unwrap_or(s.key))
    }
}

/// Byte offset where `sub` (a slice of `line`) starts in `line`.
fn byte_of(line: &str, sub: &str) -> usize {
    (sub.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

/// Character column (0-based) where `sub` starts in `line` (`sub` is a slice of `line`).
fn col_of(line: &str, sub: &str) -> usize {
    line.get(..byte_of(line, sub)).map(chars_in).unwrap_or(0)
}

struct EntryState<'a, 'b> {
    lines: &'b [&'a str],
    ln: usize,
    pending: &'b mut Option<(Vec<Seg>, usize)>,
    block_scalar: &'b mut Option<usize>,
    skip_until: &'b mut usize,
}

struct Cursor<'a, 'b> {
    lines: &'b [&'a str],
    line: usize,
    byte: usize,
}

impl<'a> Cursor<'a, '_> {
    fn rest(&self) -> &'a str {
        self.lines
            .get(self.line)
            .copied()
            .and_then(|l| l.get(self.byte..))
            .unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.byte += c.len_utf8();
        }
    }

    fn pos(&self) -> Pos {
        let line = self.lines.get(self.line).copied().unwrap_or("");
        Pos::new(
            self.line + 1,
            line.get(..self.byte).map(chars_in).unwrap_or(0) + 1,
        )
    }

    /// Skip blanks, line ends and comments.
    fn skip_blank(&mut self) {
        loop {
            if self.line >= self.lines.len() {
                return;
            }
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.byte += rest.len() - trimmed.len();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                self.line += 1;
                self.byte = 0;
                continue;
            }
            return;
        }
    }

    /// Read a flow scalar (quoted, or plain up to `,`, `]`, `}`, or `: ` when it is a key).
    fn scalar(&mut self, key: bool) -> String {
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                self.bump();
                match read_quoted(self.rest(), q) {
                    Some((s, n)) => {
                        self.byte += n;
                        s
                    }
                    None => {
                        let s = self.rest().to_string();
                        self.byte += s.len();
                        s
                    }
                }
            }
            _ => {
                let rest = self.rest();
                let b = rest.as_bytes();
                let mut end = b.len();
                for (i, c) in b.iter().enumerate() {
                    let stop = match c {
                        b',' | b']' | b'}' | b'[' | b'{' => true,
                        b':' => {
                            key || i + 1 == b.len() || matches!(b[i + 1], b' ' | b',' | b']' | b'}')
                        }
                        b'#' => i > 0 && b[i - 1] == b' ',
                        _ => false,
                    };
                    if stop {
                        end = i;
                        break;
                    }
                }
                let s = rest[..end].trim().to_string();
                self.byte += end;
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Seg {
        Seg::Key(s.to_string())
    }

    #[test]
    fn block_and_flow() {
        let text = "\
version: 1   # comment
fail_on: { severity: HIGH, kev: true,
  max_age_days: 30 }
rules:
- id: CVE-1
  severity: LOW
-   rule: DD-DF-001
    action: ignore
image:
  allowed_registries: [\"ghcr.io/acme/*\", docker.io]
ignore:
  - id: CVE-2
    reason: |
      multi: line
      - not an item
    expires: 2024-01-01
  -
    id: CVE-3
  - {id: CVE-4, reason: x}
";
        let p = Positions::index(text);
        assert_eq!(p.key(&[k("version")]), Some(Pos::new(1, 1)));
        assert_eq!(p.value(&[k("version")]), Some(Pos::new(1, 10)));
        assert_eq!(p.key(&[k("fail_on"), k("severity")]), Some(Pos::new(2, 12)));
        assert_eq!(
            p.value(&[k("fail_on"), k("severity")]),
            Some(Pos::new(2, 22))
        );
        assert_eq!(p.key(&[k("fail_on"), k("kev")]), Some(Pos::new(2, 28)));
        assert_eq!(
            p.key(&[k("fail_on"), k("max_age_days")]),
            Some(Pos::new(3, 3))
        );
        assert_eq!(p.key(&[k("rules")]), Some(Pos::new(4, 1)));
        assert_eq!(p.key(&[k("rules"), Seg::Idx(0)]), Some(Pos::new(5, 3)));
        assert_eq!(p.value(&[k("rules"), Seg::Idx(0)]), Some(Pos::new(5, 3)));
        assert_eq!(
            p.key(&[k("rules"), Seg::Idx(0), k("severity")]),
            Some(Pos::new(6, 3))
        );
        assert_eq!(
            p.key(&[k("rules"), Seg::Idx(1), k("action")]),
            Some(Pos::new(8, 5))
        );
        assert_eq!(
            p.key(&[k("image"), k("allowed_registries"), Seg::Idx(1)]),
            Some(Pos::new(10, 42))
        );
        assert_eq!(p.value(&[k("ignore"), Seg::Idx(0)]), Some(Pos::new(12, 5)));
        assert_eq!(
            p.key(&[k("ignore"), Seg::Idx(0), k("expires")]),
            Some(Pos::new(16, 5))
        );
        // the block scalar's "- not an item" is not an entry of `ignore`
        assert_eq!(p.key(&[k("ignore"), Seg::Idx(1)]), Some(Pos::new(17, 3)));
        assert_eq!(
            p.key(&[k("ignore"), Seg::Idx(1), k("id")]),
            Some(Pos::new(18, 5))
        );
        assert_eq!(
            p.key(&[k("ignore"), Seg::Idx(2), k("reason")]),
            Some(Pos::new(19, 17))
        );
        // unknown paths fall back to the nearest ancestor
        assert_eq!(
            p.key(&[k("ignore"), Seg::Idx(2), k("nope")]),
            Some(Pos::new(19, 5))
        );
        assert_eq!(p.key(&[k("nothing")]), None);
        assert_eq!(p.duplicate("id"), None);
        let p = Positions::index("a: 1\nb:\n  c: 1\n  c: 2\n");
        assert_eq!(p.duplicate("c"), Some(Pos::new(4, 3)));
    }

    #[test]
    fn quoted_keys_comments_and_nesting() {
        let text =
            "a:\n  \"b c\": 1 # x: y\n  'd''e': '#not: comment'\n  f:\n    - - x\n      - y\n";
        let p = Positions::index(text);
        assert_eq!(p.key(&[k("a"), k("b c")]), Some(Pos::new(2, 3)));
        assert_eq!(p.key(&[k("a"), k("d'e")]), Some(Pos::new(3, 3)));
        assert_eq!(p.key(&[k("a"), k("x")]), Some(Pos::new(1, 1)));
        assert_eq!(
            p.key(&[k("a"), k("f"), Seg::Idx(0), Seg::Idx(1)]),
            Some(Pos::new(6, 9))
        );
    }

    #[test]
    fn hostile_text_does_not_panic() {
        for t in [
            "",
            "- ",
            "{",
            "[[[[[[",
            "a: {b: [c, {d: \"",
            ": :",
            "\"unterminated: x",
            "a:\n\t- b",
            "é: ü\n  - ñ: {ö: [ä",
        ] {
            let _ = Positions::index(t);
        }
        let deep = format!("a: {}", "[".repeat(10_000));
        let _ = Positions::index(&deep);
    }
}

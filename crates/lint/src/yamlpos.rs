//! Line numbers for YAML paths. `yaml_serde` gives values but no positions, so this module reads
//! the block structure of a document's text (indentation, `key:` and `- ` items, block scalars)
//! and records the line of every key and sequence item it can place. Lookups fall back to the
//! nearest recorded ancestor, so a finding always gets a line: the field's own line for block
//! YAML (what `kubectl`, Helm and humans write), its parent's line inside flow collections.

use std::collections::HashMap;

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

pub fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// Recorded lines of one document.
#[derive(Debug, Default)]
pub struct Positions {
    lines: HashMap<Vec<Seg>, usize>,
    /// Line of the document's first content line.
    pub start: usize,
}

struct Frame {
    /// Indentation of the entries of this container.
    indent: usize,
    path: Vec<Seg>,
    next_index: usize,
    /// A sequence written at the same indentation as its parent key (`key:\n- a`).
    same_indent_seq: bool,
}

impl Positions {
    /// Index a document. `lines` are its lines; `first_line` is the 1-based line number of the
    /// first of them in the file.
    pub fn index(lines: &[&str], first_line: usize) -> Positions {
        let mut pos = Positions {
            start: first_line,
            ..Default::default()
        };
        let mut stack: Vec<Frame> = vec![Frame {
            indent: 0,
            path: Vec::new(),
            next_index: 0,
            same_indent_seq: false,
        }];
        let mut first_content = true;
        // (path, indent of the line that owns it) of a key whose value starts on a later line.
        let mut pending: Option<(Vec<Seg>, usize)> = None;
        // Lines more indented than this belong to a block scalar.
        let mut block_scalar: Option<usize> = None;
        // Open brackets of a flow collection spanning lines.
        let mut flow_depth: i32 = 0;

        for (n, raw) in lines.iter().enumerate() {
            let lineno = first_line + n;
            let body = raw.trim_end();
            let content = body.trim_start();
            let indent = body.len() - content.len();
            if let Some(bi) = block_scalar {
                if content.is_empty() || indent > bi {
                    continue;
                }
                block_scalar = None;
            }
            if flow_depth > 0 {
                flow_depth += bracket_balance(content);
                continue;
            }
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if first_content {
                pos.start = lineno;
                first_content = false;
                stack[0].indent = indent;
            }
            if let Some((path, owner_indent)) = pending.take() {
                let top_indent = stack.last().map(|f| f.indent).unwrap_or(0);
                let is_item = content == "-" || content.starts_with("- ");
                if indent > owner_indent
                    || (indent == owner_indent && is_item && indent >= top_indent)
                {
                    stack.push(Frame {
                        indent,
                        path,
                        next_index: 0,
                        same_indent_seq: indent == owner_indent,
                    });
                }
            }
            // Close containers this line is outside of.
            while stack.len() > 1 {
                let top = stack.last().expect("non-empty");
                let is_item = content == "-" || content.starts_with("- ");
                if top.indent > indent || (top.same_indent_seq && top.indent == indent && !is_item)
                {
                    stack.pop();
                } else {
                    break;
                }
            }
            if stack.last().map(|f| f.indent) != Some(indent) {
                continue; // continuation of a multi-line plain scalar, or malformed
            }
            pos.line_entry(
                &mut stack,
                content,
                indent,
                lineno,
                &mut pending,
                &mut block_scalar,
                &mut flow_depth,
            );
        }
        pos
    }

    #[allow(clippy::too_many_arguments)]
    fn line_entry(
        &mut self,
        stack: &mut Vec<Frame>,
        content: &str,
        indent: usize,
        lineno: usize,
        pending: &mut Option<(Vec<Seg>, usize)>,
        block_scalar: &mut Option<usize>,
        flow_depth: &mut i32,
    ) {
        if content == "-" || content.starts_with("- ") {
            let top = stack.last_mut().expect("non-empty");
            let mut item = top.path.clone();
            item.push(Seg::Idx(top.next_index));
            top.next_index += 1;
            self.lines.entry(item.clone()).or_insert(lineno);
            let rest = content[1..].trim_start();
            let rest_indent = indent + (content.len() - rest.len());
            if rest.is_empty() || rest.starts_with('#') || is_anchor_only(rest) {
                *pending = Some((item, indent));
                return;
            }
            // `- key: v` opens a mapping, `- - x` a nested sequence, at the item's column.
            if split_key(rest).is_some() || rest.starts_with("- ") {
                stack.push(Frame {
                    indent: rest_indent,
                    path: item,
                    next_index: 0,
                    same_indent_seq: false,
                });
                self.line_entry(
                    stack,
                    rest,
                    rest_indent,
                    lineno,
                    pending,
                    block_scalar,
                    flow_depth,
                );
            } else {
                self.value_tail(rest, indent, block_scalar, flow_depth);
            }
            return;
        }
        let Some((k, value)) = split_key(content) else {
            return;
        };
        let top = stack.last().expect("non-empty");
        let mut path = top.path.clone();
        path.push(Seg::Key(k));
        self.lines.entry(path.clone()).or_insert(lineno);
        let v = value.trim();
        if v.is_empty() || v.starts_with('#') || is_anchor_only(v) {
            *pending = Some((path, indent));
        } else {
            self.value_tail(v, indent, block_scalar, flow_depth);
        }
    }

    fn value_tail(
        &mut self,
        v: &str,
        owner_indent: usize,
        block_scalar: &mut Option<usize>,
        flow_depth: &mut i32,
    ) {
        let v = strip_props(v);
        if v.starts_with('|') || v.starts_with('>') {
            *block_scalar = Some(owner_indent);
        } else if v.starts_with('[') || v.starts_with('{') {
            let b = bracket_balance(v);
            if b > 0 {
                *flow_depth = b;
            }
        }
    }

    /// The line of `path`, or of its nearest recorded ancestor, or the document start.
    pub fn line(&self, path: &[Seg]) -> usize {
        for len in (1..=path.len()).rev() {
            if let Some(l) = self.lines.get(&path[..len]) {
                return *l;
            }
        }
        self.start
    }

    /// The line of `path` only if recorded exactly.
    #[cfg(test)]
    pub fn exact(&self, path: &[Seg]) -> Option<usize> {
        self.lines.get(path).copied()
    }
}

/// `&anchor` or `!tag` alone (the value follows on the next lines).
fn is_anchor_only(v: &str) -> bool {
    let v = v.trim();
    (v.starts_with('&') || v.starts_with('!')) && !v.contains(' ')
}

/// Drop a leading `&anchor` / `!tag` from a value.
fn strip_props(v: &str) -> &str {
    let mut v = v.trim_start();
    while v.starts_with('&') || v.starts_with('!') {
        match v.find(' ') {
            Some(i) => v = v[i..].trim_start(),
            None => return "",
        }
    }
    v
}

/// Split `key: value` / `key:` (quoted keys allowed). None for plain scalars and flow values.
fn split_key(s: &str) -> Option<(String, &str)> {
    let bytes = s.as_bytes();
    let (key, after) = match bytes.first()? {
        b'"' | b'\'' => {
            let q = bytes[0];
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\\' && q == b'"' {
                    i += 2;
                    continue;
                }
                if bytes[i] == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            if i >= bytes.len() {
                return None;
            }
            let key = s[1..i].to_string();
            (key, &s[i + 1..])
        }
        b'[' | b'{' | b'#' | b'|' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' => return None,
        _ => {
            // first ": " or trailing ":" outside quotes
            let mut i = 0;
            loop {
                let j = s[i..].find(':')? + i;
                let next = bytes.get(j + 1);
                if next.is_none() || next == Some(&b' ') || next == Some(&b'\t') {
                    break (s[..j].trim_end().to_string(), &s[j..]);
                }
                i = j + 1;
            }
        }
    };
    let rest = after.trim_start();
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    Some((key, rest))
}

fn bracket_balance(s: &str) -> i32 {
    let mut b = 0;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '[' | '{') => b += 1,
            (None, ']' | '}') => b -= 1,
            (None, '#') => break,
            _ => {}
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(parts: &[&str]) -> Vec<Seg> {
        parts
            .iter()
            .map(|s| match s.parse::<usize>() {
                Ok(i) => Seg::Idx(i),
                Err(_) => key(s),
            })
            .collect()
    }

    #[test]
    fn block_structure() {
        let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    note: |
      containers:
        - name: fake
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
      - image: side
        name: side
        ports: [{containerPort: 80,
          hostPort: 80}]
        args:
          - a
          - b
      volumes:
        - name: v
          hostPath:
            path: /var/run/docker.sock
";
        let lines: Vec<&str> = text.lines().collect();
        let pos = Positions::index(&lines, 1);
        let c = ["spec", "template", "spec", "containers"];
        let at = |extra: &[&str]| {
            let mut v: Vec<&str> = c.to_vec();
            v.extend_from_slice(extra);
            pos.exact(&p(&v))
        };
        assert_eq!(at(&["0"]), Some(13));
        assert_eq!(at(&["0", "name"]), Some(13));
        assert_eq!(at(&["0", "securityContext", "privileged"]), Some(16));
        assert_eq!(at(&["1"]), Some(17));
        assert_eq!(at(&["1", "name"]), Some(18));
        assert_eq!(at(&["1", "args", "1"]), Some(23));
        assert_eq!(at(&["1", "ports"]), Some(19));
        assert_eq!(at(&["2"]), None);
        assert_eq!(
            pos.exact(&p(&[
                "spec", "template", "spec", "volumes", "0", "hostPath", "path"
            ])),
            Some(27)
        );
        assert_eq!(pos.exact(&p(&["metadata", "annotations", "note"])), Some(6));
        // fallback to the nearest ancestor
        assert_eq!(
            pos.line(&p(&[
                "spec",
                "template",
                "spec",
                "containers",
                "1",
                "ports",
                "0",
                "hostPort"
            ])),
            19
        );
    }

    #[test]
    fn same_indent_sequences_and_quoted_keys() {
        let text = "\
spec:
  containers:
  - name: a
    \"image\": x
  - name: b
  hostNetwork: true
";
        let lines: Vec<&str> = text.lines().collect();
        let pos = Positions::index(&lines, 10);
        assert_eq!(
            pos.exact(&p(&["spec", "containers", "0", "image"])),
            Some(13)
        );
        assert_eq!(pos.exact(&p(&["spec", "containers", "1"])), Some(14));
        assert_eq!(pos.exact(&p(&["spec", "hostNetwork"])), Some(15));
    }
}

//! Ruby gems (RubyGems).
//!
//! Installed gems (image and source tree): the specifications RubyGems writes when it installs a
//! gem, `<gem dir>/specifications/<name>-<version>[-<platform>].gemspec` (and
//! `specifications/default/` for Ruby's default gems), under any gem home:
//! `usr/local/bundle/`, `var/lib/gems/3.1.0/`, `usr/share/rubygems-integration/all/`,
//! `vendor/bundle/ruby/3.2.0/`, …. These are generated Ruby code; they are read with a small
//! line parser, never evaluated: inside the `Gem::Specification.new do |s|` block (any block
//! variable name), `s.name = …`, `s.version = …`, `s.license = …` and `s.licenses = […]`, where
//! a value is a string literal (`"…"`, `'…'`, `%q{…}`, `%Q<…>`, …) optionally followed by
//! `.freeze`, `Gem::Version.new("…")`, or a constant assigned a literal earlier in the file. A
//! version that is any other expression cannot be known without running Ruby: the spec is
//! skipped with a warning. Several licences are joined with ` OR ` (RubyGems lists the licences
//! a user may choose from).
//!
//! Source trees only: `Gemfile.lock` / `gems.locked` — the `specs:` entries (4-space indent,
//! `name (version)` or `name (version-platform)`, the platform dropped) of the `GEM`, `GIT`,
//! `PATH` and `PLUGIN SOURCE` sections, in any order. Dependency lines (6-space indent) and the
//! other sections (`PLATFORMS`, `DEPENDENCIES`, `RUBY VERSION`, `BUNDLED WITH`, …) are ignored.
//! Bundler does not record groups in the lockfile, so no package is marked dev.

use super::common::{excerpt, finish, split_last, warn};
use super::{Ecosystem, LangPackage, Scope};

pub fn wants(path: &str, scope: Scope) -> bool {
    let (dir, name) = split_last(path);
    if name.ends_with(".gemspec") {
        let (grand, parent) = split_last(dir);
        return parent == "specifications"
            || (parent == "default" && split_last(grand).1 == "specifications");
    }
    scope == Scope::Fs && matches!(name, "Gemfile.lock" | "gems.locked")
}

pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let name = split_last(path).1;
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let pkgs = if name.ends_with(".gemspec") {
        parse_gemspec(content, warnings)
    } else if matches!(name, "Gemfile.lock" | "gems.locked") {
        parse_gemfile_lock(content, warnings)
    } else {
        Vec::new()
    };
    finish(pkgs)
}

// ---------------------------------------------------------------------------------------------
// Gemfile.lock

fn parse_gemfile_lock(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = String::from_utf8_lossy(content);
    let mut out = Vec::new();
    let mut nwarn = 0;
    let mut in_source = false;
    let mut in_specs = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == 0 {
            // A section header.
            in_source = matches!(line.trim_end(), "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE");
            in_specs = false;
            continue;
        }
        if !in_source {
            continue;
        }
        match indent {
            2 => in_specs = line.trim_end() == "  specs:",
            4 if in_specs => match parse_spec_line(line[4..].trim_end()) {
                Some((name, version)) => out.push(LangPackage::new(Ecosystem::Gem, name, version)),
                None => warn(warnings, &mut nwarn, || {
                    format!(
                        "line {}: not a `name (version)` spec: {}",
                        i + 1,
                        excerpt(line.trim())
                    )
                }),
            },
            _ => {} // 6 spaces: a dependency of the spec above; other indents: nothing we read
        }
    }
    out
}

/// `name (version)` / `name (version-platform)` → `(name, version)`.
fn parse_spec_line(s: &str) -> Option<(&str, &str)> {
    let (name, rest) = s.split_once(" (")?;
    let inner = rest.strip_suffix(')')?;
    // Bundler: the version runs up to the first `-`, the rest is the platform.
    let version = inner.split_once('-').map_or(inner, |(v, _)| v).trim();
    let name = name.trim();
    let valid = |x: &str| !x.is_empty() && !x.contains([' ', '(', ')']);
    (valid(name) && valid(version)).then_some((name, version))
}

// ---------------------------------------------------------------------------------------------
// Installed gemspecs

/// Constants remembered before the spec block (generated specs have none; hand-written ones a
/// `VERSION`), and the longest value kept: bounds the work and memory a hostile file can cause.
const MAX_CONSTANTS: usize = 32;
const MAX_CONSTANT_LEN: usize = 256;

fn parse_gemspec(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = String::from_utf8_lossy(content);
    // Constants assigned a literal before the spec block (`VERSION = "1.2.3"`).
    let mut consts: Vec<(&str, String)> = Vec::new();
    let mut var: Option<&str> = None;
    let mut name: Option<String> = None;
    let mut version: Option<Result<String, String>> = None;
    let mut licenses: Option<Vec<String>> = None;

    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some(v) = var else {
            if let Some(i) = t.find("Gem::Specification.new") {
                match block_variable(&t[i..]) {
                    Some(v) => var = Some(v),
                    None => {
                        warnings
                            .push("Gem::Specification.new without a block variable".to_string());
                        return Vec::new();
                    }
                }
            } else if consts.len() < MAX_CONSTANTS
                && let Some((lhs, rhs)) = assignment(t)
                && is_constant(lhs)
                && let Some((val, _)) = string_expr(rhs, &consts)
                && val.len() <= MAX_CONSTANT_LEN
            {
                consts.push((lhs, val));
            }
            continue;
        };
        let Some((attr, rhs)) = t
            .strip_prefix(v)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(assignment)
        else {
            continue;
        };
        match attr {
            "name" if name.is_none() => name = string_expr(rhs, &consts).map(|(s, _)| s),
            "version" if version.is_none() => {
                version = Some(version_expr(rhs, &consts).ok_or_else(|| excerpt(rhs)));
            }
            "license" if licenses.is_none() => {
                licenses = string_expr(rhs, &consts).map(|(s, _)| vec![s]);
            }
            "licenses" if licenses.is_none() => licenses = string_array(rhs, &consts),
            _ => {}
        }
    }

    if var.is_none() {
        warnings.push("no Gem::Specification.new block".to_string());
        return Vec::new();
    }
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        warnings.push("gemspec without a literal name".to_string());
        return Vec::new();
    };
    let version = match version {
        Some(Ok(v)) if !v.is_empty() => v,
        Some(Err(expr)) => {
            warnings.push(format!("{name}: version is not a literal: {expr}"));
            return Vec::new();
        }
        _ => {
            warnings.push(format!("{name}: gemspec without a version"));
            return Vec::new();
        }
    };
    let mut p = LangPackage::new(Ecosystem::Gem, name, version);
    p.license = licenses
        .map(|l| {
            l.into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty())
        .map(|l| l.join(" OR "));
    vec![p]
}

/// The block variable of `Gem::Specification.new do |s|` (or `{ |spec|`).
fn block_variable(s: &str) -> Option<&str> {
    let (_, after) = s.split_once('|')?;
    let (v, _) = after.split_once('|')?;
    let v = v.trim();
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(v)
}

/// `lhs = rhs` (not `==`, `=~`, `=>`) → `(lhs, rhs)`, both trimmed.
fn assignment(s: &str) -> Option<(&str, &str)> {
    let i = s.find('=')?;
    let lhs = s[..i].trim();
    let rhs = &s[i + 1..];
    if rhs.starts_with(['=', '~', '>'])
        || lhs.is_empty()
        || !lhs.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return None;
    }
    Some((lhs, rhs.trim()))
}

fn is_constant(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
}

/// A version: a string expression or `Gem::Version.new(<string expression>)`.
fn version_expr(s: &str, consts: &[(&str, String)]) -> Option<String> {
    if let Some(inner) = s.strip_prefix("Gem::Version.new(") {
        let (v, rest) = string_expr(inner, consts)?;
        return rest.trim_start().starts_with(')').then_some(v);
    }
    string_expr(s, consts).map(|(v, _)| v)
}

/// `[ <string expression>, … ]` on one line.
fn string_array(s: &str, consts: &[(&str, String)]) -> Option<Vec<String>> {
    let mut rest = s.strip_prefix('[')?.trim_start();
    let mut out = Vec::new();
    loop {
        if rest.starts_with(']') {
            return Some(out);
        }
        let (v, r) = string_expr(rest, consts)?;
        out.push(v);
        rest = r.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else {
            return rest.starts_with(']').then_some(out);
        }
    }
}

/// A string literal (or a known constant), optionally `.freeze`d → (value, rest of the input).
fn string_expr<'s>(s: &'s str, consts: &[(&str, String)]) -> Option<(String, &'s str)> {
    let s = s.trim_start();
    let (value, mut rest) = if let Some(r) = s.strip_prefix('"') {
        double_quoted(r)?
    } else if let Some(r) = s.strip_prefix('\'') {
        single_quoted(r)?
    } else if let Some(r) = s.strip_prefix('%') {
        percent_literal(r)?
    } else if s.starts_with(|c: char| c.is_ascii_uppercase()) {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        let (name, r) = s.split_at(end);
        if r.starts_with("::") || (r.starts_with('.') && !r.starts_with(".freeze")) {
            return None; // `Foo::VERSION`, `Foo.version`: needs Ruby to evaluate
        }
        let value = consts.iter().rev().find(|(n, _)| *n == name)?.1.clone();
        (value, r)
    } else {
        return None;
    };
    while let Some(r) = rest
        .strip_prefix(".freeze")
        .or_else(|| rest.strip_prefix(".dup"))
    {
        rest = r;
    }
    Some((value, rest))
}

fn double_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            '#' if s[i + 1..].starts_with('{') => return None, // interpolation
            c => out.push(c),
        }
    }
    None
}

fn single_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                q @ ('\'' | '\\') => out.push(q),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

/// `%q{…}`, `%Q(…)`, `%<…>`, `%q|…|`, … (the leading `%` already consumed). No escapes or
/// nesting: names and versions never contain their delimiters.
fn percent_literal(s: &str) -> Option<(String, &str)> {
    // `%q` does not interpolate; `%Q` and bare `%` do, like a double-quoted string.
    let (interpolates, s) = match s.strip_prefix('q') {
        Some(r) => (false, r),
        None => (true, s.strip_prefix('Q').unwrap_or(s)),
    };
    let open = s.chars().next()?;
    let close = match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        c if c.is_ascii_punctuation() => c,
        _ => return None,
    };
    let body = &s[open.len_utf8()..];
    let end = body.find(close)?;
    let value = &body[..end];
    if interpolates && value.contains("#{") {
        return None;
    }
    Some((value.to_string(), &body[end + close.len_utf8()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_by_scope() {
        let img = Scope::Image;
        assert!(wants(
            "usr/local/bundle/specifications/rack-2.2.3.gemspec",
            img
        ));
        assert!(wants(
            "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            img
        ));
        assert!(wants(
            "usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec",
            img
        ));
        assert!(wants(
            "usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec",
            img
        ));
        assert!(!wants("usr/local/bundle/gems/rack-2.2.3/rack.gemspec", img));
        assert!(!wants("app/default/x.gemspec", img));
        assert!(!wants("app/Gemfile.lock", img));
        assert!(wants("app/Gemfile.lock", Scope::Fs));
        assert!(wants("gems.locked", Scope::Fs));
        assert!(!wants("app/Gemfile", Scope::Fs));
    }

    #[test]
    fn string_expressions() {
        let c = vec![("VERSION", "3.0.0".to_string())];
        let v = |s: &str| string_expr(s, &c).map(|(v, _)| v);
        assert_eq!(v(r#""rss".freeze"#).as_deref(), Some("rss"));
        assert_eq!(v("'a\\'b'").as_deref(), Some("a'b"));
        assert_eq!(v("%q{rake}").as_deref(), Some("rake"));
        assert_eq!(v("%q<rexml>.freeze").as_deref(), Some("rexml"));
        assert_eq!(v("%Q(x)").as_deref(), Some("x"));
        assert_eq!(v("VERSION").as_deref(), Some("3.0.0"));
        assert_eq!(v(r#""a#{b}""#), None);
        assert_eq!(v("Foo::VERSION"), None);
        assert_eq!(v("Foo.version"), None);
        assert_eq!(v("OTHER"), None);
        assert_eq!(v(r#""unterminated"#), None);
        assert_eq!(
            version_expr(r#"Gem::Version.new("1.2.3")"#, &c).as_deref(),
            Some("1.2.3")
        );
        assert_eq!(
            string_array(r#"["Ruby".freeze, 'BSD-2-Clause'.freeze]"#, &c),
            Some(vec!["Ruby".to_string(), "BSD-2-Clause".to_string()])
        );
        assert_eq!(string_array("[]", &c), Some(vec![]));
        assert_eq!(string_array("[\"a\"", &c), None);
    }
}

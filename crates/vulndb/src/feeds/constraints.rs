//! Version-constraint syntaxes of the native language feeds, turned into
//! [`Constraint`] groups (OR of AND-groups). Pure functions: no version is compared here (the
//! matcher compares, with each ecosystem's own ordering); only the syntax is desugared.
//!
//! * RubyGems requirements (RubySec): [`ruby_requirement`], [`gem_bump`].
//! * Composer constraints (FriendsOfPHP branches): [`composer_group`].
//! * npm ranges (node-semver syntax, Node.js security WG): [`npm_range`].
//!
//! A string that does not parse is an `Err` with a short reason; callers turn it into a feed
//! warning and skip the row (never "affects every version").

use std::cmp::Ordering;

use super::natural_cmp;
use crate::model::{Constraint, ConstraintOp};

/// Longest constraint string accepted (the real feeds stay under 200 bytes).
const MAX_LEN: usize = 4096;
/// Most `||` alternatives / comparators accepted in one string.
const MAX_PARTS: usize = 256;

fn op_from(s: &str) -> Option<ConstraintOp> {
    Some(match s {
        "<" => ConstraintOp::Lt,
        "<=" => ConstraintOp::Le,
        ">" => ConstraintOp::Gt,
        ">=" => ConstraintOp::Ge,
        "=" | "==" => ConstraintOp::Eq,
        "!=" => ConstraintOp::Ne,
        _ => return None,
    })
}

/// Split a leading operator (the longest of `ops` that prefixes `s`) from the rest.
fn split_op<'a>(s: &'a str, ops: &[&'static str]) -> (&'static str, &'a str) {
    let mut best = "";
    for op in ops {
        if s.starts_with(op) && op.len() > best.len() {
            best = op;
        }
    }
    (best, s[best.len()..].trim_start())
}

fn too_long(s: &str) -> Result<(), String> {
    if s.len() > MAX_LEN {
        return Err(format!("constraint longer than {MAX_LEN} bytes"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// RubyGems

/// A RubyGems version as `Gem::Version` accepts it: `[0-9]+(\.[0-9A-Za-z]+)*` optionally
/// followed by `-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`.
fn is_gem_version(v: &str) -> bool {
    let (main, pre) = match v.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (v, None),
    };
    let mut segs = main.split('.');
    let first_ok = segs
        .next()
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let main_ok =
        first_ok && segs.all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    main_ok && pre_ok
}

/// The segments of a gem version as `Gem::Version#segments` gives them: digit runs as
/// numbers, letter runs as strings (`2.1.0pre1` → `[2, 1, 0, "pre", 1]`; a `-` starts a
/// prerelease, as `Gem::Version` reads `-` as `.pre.`).
fn gem_segments(v: &str) -> Vec<Result<u64, String>> {
    let v = v.replace('-', ".pre.");
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            // Digit runs too long for u64 are kept as text (they sort as strings then).
            out.push(
                v[start..i]
                    .parse::<u64>()
                    .map_err(|_| v[start..i].to_string()),
            );
        } else if b[i].is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Err(v[start..i].to_string()));
        } else {
            i += 1;
        }
    }
    out
}

/// `Gem::Version#bump`: drop the prerelease part (every segment from the first letter
/// segment on), drop the last segment if more than one remains, increment the new last one.
/// `5.2.4` → `5.3`, `5.2` → `6`, `5` → `6`, `1.0.0.rc1.1` → `1.1`, `2.1.0pre1` → `2.2`.
/// `None` for a version without a leading number.
pub(crate) fn gem_bump(v: &str) -> Option<String> {
    let segs = gem_segments(v);
    let mut nums: Vec<u64> = segs.iter().map_while(|s| s.clone().ok()).collect();
    if nums.is_empty() {
        return None;
    }
    if nums.len() > 1 {
        nums.pop();
    }
    let last = nums.last_mut()?;
    *last = last.checked_add(1)?;
    Some(
        nums.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// One RubyGems requirement string (`"~> 5.2.4, >= 5.2.4.3"`) → one AND-group.
///
/// Comma-separated requirements, each `[op] version` with op `=`, `!=`, `>`, `<`, `>=`, `<=`,
/// `~>` (no op = `=`). `~> V` = `>= V` and `< bump(V)` ([`gem_bump`]): `~> 5.2.4` →
/// `>= 5.2.4, < 5.3`; `~> 5` → `>= 5, < 6`. (RubyGems compares the *release* of the
/// candidate with the bump, so prereleases of the bumped version — `5.3.0.beta1` — are inside
/// `~> 5.2.4` for RubyGems but below `< 5.3` here; no feed entry depends on that.)
pub(crate) fn ruby_requirement(s: &str) -> Result<Vec<Constraint>, String> {
    too_long(s)?;
    let mut out = Vec::new();
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() > MAX_PARTS {
        return Err(format!("more than {MAX_PARTS} requirements"));
    }
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("empty requirement in {s:?}"));
        }
        let (op, version) = split_op(part, &["=", "!=", ">", "<", ">=", "<=", "~>"]);
        if !is_gem_version(version) {
            return Err(format!("not a gem version: {version:?} in {s:?}"));
        }
        match op {
            "~>" => {
                let upper =
                    gem_bump(version).ok_or_else(|| format!("cannot bump {version:?} in {s:?}"))?;
                out.push(Constraint::new(ConstraintOp::Ge, version));
                out.push(Constraint::new(ConstraintOp::Lt, upper));
            }
            "" => out.push(Constraint::new(ConstraintOp::Eq, version)),
            op => {
                let op = op_from(op).ok_or_else(|| format!("unknown operator {op:?}"))?;
                out.push(Constraint::new(op, version));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Composer

/// A FriendsOfPHP branch's `versions` list (`[">=2.3.0", "<2.3.19"]`) → one AND-group.
///
/// Each item is `op version` with op `>=`, `>`, `<=`, `<`, `=`/`==` or `!=` (spaces allowed
/// after the op). An op with no version (`">="`) is an empty bound ("from the start") and
/// adds nothing. An item without an op, a version with whitespace inside, or a list that bounds
/// nothing at all is an error.
pub(crate) fn composer_group(items: &[String]) -> Result<Vec<Constraint>, String> {
    if items.len() > MAX_PARTS {
        return Err(format!("more than {MAX_PARTS} constraints"));
    }
    let mut out = Vec::new();
    for item in items {
        too_long(item)?;
        let t = item.trim();
        let (op, version) = split_op(t, &[">=", ">", "<=", "<", "=", "==", "!="]);
        let op = op_from(op).ok_or_else(|| format!("no comparison operator in {item:?}"))?;
        if version.is_empty() {
            if matches!(op, ConstraintOp::Ge | ConstraintOp::Gt) {
                continue; // empty lower bound: from the start
            }
            return Err(format!("{item:?} has no version"));
        }
        if version
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '|')
        {
            return Err(format!("not one version: {version:?}"));
        }
        out.push(Constraint::new(op, version));
    }
    if out.is_empty() {
        return Err(format!("no constraint in {items:?}"));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// npm (node-semver ranges)

/// One component of a partial version: a number or a wildcard (`x`, `X`, `*`, or missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Num(u64),
    X,
}

/// A partial semver version: `1`, `1.2`, `1.2.x`, `1.2.3-beta.1` (build metadata dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Partial {
    major: Part,
    minor: Part,
    patch: Part,
    /// Prerelease (without the `-`), only with a full version.
    pre: Option<String>,
}

impl Partial {
    fn any_x(&self) -> bool {
        self.major == Part::X || self.minor == Part::X || self.patch == Part::X
    }
    fn num(p: Part) -> u64 {
        match p {
            Part::Num(n) => n,
            Part::X => 0,
        }
    }
    /// `M.m.p[-pre]` with wildcards as 0.
    fn full(&self) -> String {
        let base = format!(
            "{}.{}.{}",
            Self::num(self.major),
            Self::num(self.minor),
            Self::num(self.patch)
        );
        match &self.pre {
            Some(p) => format!("{base}-{p}"),
            None => base,
        }
    }
}

fn parse_part(s: &str) -> Result<Part, String> {
    if matches!(s, "x" | "X" | "*") {
        return Ok(Part::X);
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("not a version number: {s:?}"));
    }
    s.parse::<u64>()
        .map(Part::Num)
        .map_err(|_| format!("version number too large: {s:?}"))
}

/// Parse a (partial) semver version as node-semver accepts it: an optional leading `v` or
/// `=`, up to three dot-separated numbers or wildcards, then `-prerelease` and `+build` (only
/// after three components).
fn parse_partial(s: &str) -> Result<Partial, String> {
    let s = s.trim_start_matches(['v', 'V', '=']).trim();
    if s.is_empty() {
        return Err("missing version".into());
    }
    let (s, _build) = match s.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    // The prerelease starts at the first `-` after the third component.
    let mut comps: Vec<&str> = Vec::with_capacity(3);
    let mut rest = s;
    let mut pre = None;
    for i in 0..3 {
        let end = rest.find(['.', '-']).unwrap_or(rest.len());
        comps.push(&rest[..end]);
        rest = &rest[end..];
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('-') {
            if i < 2 {
                return Err(format!("prerelease on a partial version: {s:?}"));
            }
            pre = Some(&rest[1..]);
            rest = "";
            break;
        }
        // a '.'
        if i == 2 {
            return Err(format!("more than three version components: {s:?}"));
        }
        rest = &rest[1..];
    }
    if !rest.is_empty() {
        return Err(format!("bad version: {s:?}"));
    }
    let ident_ok =
        |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if let Some(p) = pre
        && !p.split('.').all(ident_ok)
    {
        return Err(format!("bad prerelease in {s:?}"));
    }
    let major = parse_part(comps[0])?;
    let mut minor = match comps.get(1) {
        Some(c) => parse_part(c)?,
        None => Part::X,
    };
    let mut patch = match comps.get(2) {
        Some(c) => parse_part(c)?,
        None => Part::X,
    };
    // Everything after a wildcard is a wildcard (`1.x.3` reads as `1.x`).
    if major == Part::X {
        minor = Part::X;
    }
    if minor == Part::X {
        patch = Part::X;
    }
    if pre.is_some() && patch == Part::X {
        return Err(format!("prerelease on a wildcard version: {s:?}"));
    }
    Ok(Partial {
        major,
        minor,
        patch,
        pre: pre.map(str::to_string),
    })
}

fn c(op: ConstraintOp, v: impl Into<String>) -> Constraint {
    Constraint::new(op, v)
}

/// The range no version satisfies (node-semver writes `<0.0.0-0`).
fn nothing() -> Vec<Constraint> {
    vec![c(ConstraintOp::Lt, "0.0.0-0")]
}

/// `[op]partial` → constraints (node-semver `replaceXRange` and plain comparators).
fn primitive(op: &str, p: &Partial) -> Vec<Constraint> {
    use ConstraintOp::*;
    if !p.any_x() {
        let v = p.full();
        return vec![match op {
            "<" => c(Lt, v),
            "<=" => c(Le, v),
            ">" => c(Gt, v),
            ">=" => c(Ge, v),
            _ => c(Eq, v), // "" and "="
        }];
    }
    let (maj, min) = (Partial::num(p.major), Partial::num(p.minor));
    if p.major == Part::X {
        // `*`, `>=*`, `<=*`: anything; `<*`, `>*`: nothing.
        return if matches!(op, "<" | ">") {
            nothing()
        } else {
            Vec::new()
        };
    }
    let minor_x = p.minor == Part::X;
    match op {
        // `>1` → `>=2.0.0`; `>1.2` → `>=1.3.0`
        ">" => {
            let v = if minor_x {
                format!("{}.0.0", maj.saturating_add(1))
            } else {
                format!("{maj}.{}.0", min.saturating_add(1))
            };
            vec![c(Ge, v)]
        }
        // `>=1` → `>=1.0.0`; `>=1.2` → `>=1.2.0`
        ">=" => vec![c(Ge, format!("{maj}.{min}.0"))],
        // `<1` → `<1.0.0-0`; `<1.2` → `<1.2.0-0`
        "<" => vec![c(Lt, format!("{maj}.{min}.0-0"))],
        // `<=1` → `<2.0.0-0`; `<=1.2` → `<1.3.0-0`
        "<=" => {
            let v = if minor_x {
                format!("{}.0.0-0", maj.saturating_add(1))
            } else {
                format!("{maj}.{}.0-0", min.saturating_add(1))
            };
            vec![c(Lt, v)]
        }
        // ``/`=`: `1` / `1.x` → `>=1.0.0 <2.0.0-0`; `1.2` / `1.2.x` → `>=1.2.0 <1.3.0-0`
        _ => {
            if minor_x {
                vec![
                    c(Ge, format!("{maj}.0.0")),
                    c(Lt, format!("{}.0.0-0", maj.saturating_add(1))),
                ]
            } else {
                vec![
                    c(Ge, format!("{maj}.{min}.0")),
                    c(Lt, format!("{maj}.{}.0-0", min.saturating_add(1))),
                ]
            }
        }
    }
}

/// `~partial` (node-semver `replaceTilde`).
fn tilde(p: &Partial) -> Vec<Constraint> {
    use ConstraintOp::*;
    let (maj, min) = (Partial::num(p.major), Partial::num(p.minor));
    if p.major == Part::X {
        return Vec::new();
    }
    if p.minor == Part::X {
        // ~1 → >=1.0.0 <2.0.0-0
        return vec![
            c(Ge, format!("{maj}.0.0")),
            c(Lt, format!("{}.0.0-0", maj.saturating_add(1))),
        ];
    }
    // ~1.2 → >=1.2.0 <1.3.0-0; ~1.2.3[-pre] → >=1.2.3[-pre] <1.3.0-0
    vec![
        c(Ge, p.full()),
        c(Lt, format!("{maj}.{}.0-0", min.saturating_add(1))),
    ]
}

/// `^partial` (node-semver `replaceCaret`): the upper bound bumps the left-most non-zero
/// component of `M.m.p`.
fn caret(p: &Partial) -> Vec<Constraint> {
    use ConstraintOp::*;
    let (maj, min, pat) = (
        Partial::num(p.major),
        Partial::num(p.minor),
        Partial::num(p.patch),
    );
    if p.major == Part::X {
        return Vec::new();
    }
    let next_major = format!("{}.0.0-0", maj.saturating_add(1));
    let next_minor = format!("{maj}.{}.0-0", min.saturating_add(1));
    if p.minor == Part::X {
        // ^1 / ^1.x → >=1.0.0 <2.0.0-0; ^0.x → >=0.0.0 <1.0.0-0
        return vec![c(Ge, format!("{maj}.0.0")), c(Lt, next_major)];
    }
    if p.patch == Part::X {
        // ^0.2.x → >=0.2.0 <0.3.0-0 (also ^0.0.x → <0.1.0-0); ^1.2.x → >=1.2.0 <2.0.0-0
        let upper = if maj == 0 { next_minor } else { next_major };
        return vec![c(Ge, format!("{maj}.{min}.0")), c(Lt, upper)];
    }
    // Full version (with or without prerelease).
    let upper = if maj == 0 {
        if min == 0 {
            format!("{maj}.{min}.{}-0", pat.saturating_add(1))
        } else {
            next_minor
        }
    } else {
        next_major
    };
    vec![c(Ge, p.full()), c(Lt, upper)]
}

/// `A - B` (node-semver `hyphenReplace`): a partial lower end is filled with zeros, a partial
/// upper end becomes `<` the next major/minor, a full upper end is inclusive.
fn hyphen(a: &Partial, b: &Partial) -> Vec<Constraint> {
    use ConstraintOp::*;
    let mut out = Vec::new();
    if a.major != Part::X {
        out.push(c(Ge, a.full()));
    }
    if b.major == Part::X {
        // no upper bound
    } else if b.minor == Part::X {
        out.push(c(
            Lt,
            format!("{}.0.0-0", Partial::num(b.major).saturating_add(1)),
        ));
    } else if b.patch == Part::X {
        out.push(c(
            Lt,
            format!(
                "{}.{}.0-0",
                Partial::num(b.major),
                Partial::num(b.minor).saturating_add(1)
            ),
        ));
    } else {
        out.push(c(Le, b.full()));
    }
    out
}

/// One `||` alternative → one AND-group.
fn npm_group(s: &str) -> Result<Vec<Constraint>, String> {
    let toks: Vec<&str> = s.split_whitespace().collect();
    if toks.is_empty() {
        return Err("empty alternative".into());
    }
    if toks.len() > MAX_PARTS {
        return Err(format!("more than {MAX_PARTS} comparators"));
    }
    if toks.len() == 3 && toks[1] == "-" {
        return Ok(hyphen(&parse_partial(toks[0])?, &parse_partial(toks[2])?));
    }
    // An operator standing alone is joined with the next token (`>= 1.2.3` → `>=1.2.3`).
    let mut comparators: Vec<String> = Vec::new();
    let mut pending: Option<&str> = None;
    for t in toks {
        if matches!(t, "<" | "<=" | ">" | ">=" | "=" | "~" | "~>" | "^") {
            if pending.is_some() {
                return Err(format!("two operators in a row in {s:?}"));
            }
            pending = Some(t);
            continue;
        }
        if t == "-" {
            return Err(format!("misplaced hyphen in {s:?}"));
        }
        comparators.push(match pending.take() {
            Some(op) => format!("{op}{t}"),
            None => t.to_string(),
        });
    }
    if let Some(op) = pending {
        return Err(format!("operator {op:?} without a version in {s:?}"));
    }
    let mut out = Vec::new();
    for comp in &comparators {
        let (op, rest) = split_op(comp, &["<", "<=", ">", ">=", "=", "~", "~>", "^"]);
        let p = parse_partial(rest).map_err(|e| format!("{e} in {s:?}"))?;
        out.extend(match op {
            "~" | "~>" => tilde(&p),
            "^" => caret(&p),
            op => primitive(op, &p),
        });
    }
    Ok(out)
}

/// An npm range (node-semver syntax) → OR of AND-groups.
///
/// `||` separates alternatives; inside one, whitespace-separated comparators all apply.
/// Desugaring follows node-semver (without `includePrerelease`):
///
/// | written | constraints |
/// |---|---|
/// | `1.2.3`, `=1.2.3`, `v1.2.3` | `=1.2.3` |
/// | `<1.2.3`, `<=`, `>`, `>=` | as written |
/// | `*`, `x`, `>=*` | an empty group (every version) |
/// | `<*`, `>*` | `<0.0.0-0` (no version) |
/// | `1.x`, `1`, `=1` | `>=1.0.0 <2.0.0-0` |
/// | `1.2.x`, `1.2` | `>=1.2.0 <1.3.0-0` |
/// | `>1` / `>1.2` | `>=2.0.0` / `>=1.3.0` |
/// | `>=1` / `>=1.2` | `>=1.0.0` / `>=1.2.0` |
/// | `<1` / `<1.2` | `<1.0.0-0` / `<1.2.0-0` |
/// | `<=1` / `<=1.2` | `<2.0.0-0` / `<1.3.0-0` |
/// | `~1.2.3` / `~1.2` / `~1` | `>=1.2.3 <1.3.0-0` / `>=1.2.0 <1.3.0-0` / `>=1.0.0 <2.0.0-0` |
/// | `^1.2.3` / `^0.2.3` / `^0.0.3` | `>=1.2.3 <2.0.0-0` / `>=0.2.3 <0.3.0-0` / `>=0.0.3 <0.0.4-0` |
/// | `^1.x` / `^0.x` / `^0.0.x` / `^1.2.x` | `<2.0.0-0` / `<1.0.0-0` / `<0.1.0-0` / `<2.0.0-0` upper bounds |
/// | `1.2.3 - 2.3.4` / `1.2 - 2.3` / `1 - 2` | `>=1.2.3 <=2.3.4` / `>=1.2.0 <2.4.0-0` / `>=1.0.0 <3.0.0-0` |
///
/// Build metadata is dropped; a leading `v`/`=` on a version is dropped. `-0` is the lowest
/// prerelease, so `<2.0.0-0` excludes 2.0.0's prereleases as node-semver does. (node-semver
/// also refuses a prerelease version unless a comparator of the satisfied group names the same
/// `major.minor.patch` with a prerelease; that is the matcher's rule to apply.) An empty string
/// or an empty alternative is an error, not "every version".
pub(crate) fn npm_range(s: &str) -> Result<Vec<Vec<Constraint>>, String> {
    too_long(s)?;
    let alts: Vec<&str> = s.split("||").collect();
    if alts.len() > MAX_PARTS {
        return Err(format!("more than {MAX_PARTS} alternatives"));
    }
    alts.into_iter().map(npm_group).collect()
}

// ---------------------------------------------------------------------------------------------
// Fixed version for display

/// The lowest of `versions` in natural order (digit runs compared as numbers), the textually
/// first among equals. For display only.
fn lowest<'a>(versions: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    versions.fold(None, |best: Option<&str>, v| match best {
        Some(b) if natural_cmp(v, b) != Ordering::Less => Some(b),
        _ => Some(v),
    })
}

/// The fixed version to show for patched groups (`unaffected`-style): each group's lower bound
/// is its highest `>=`/`>`/`=` version (`~> 5.2.4, >= 5.2.4.3` → `5.2.4.3`); the result is the
/// lowest of those over the groups. `None` when no group has a lower bound.
pub(crate) fn first_patched(groups: &[Vec<Constraint>]) -> Option<String> {
    let bounds = groups.iter().filter_map(|g| {
        g.iter()
            .filter(|c| matches!(c.op, ConstraintOp::Ge | ConstraintOp::Gt | ConstraintOp::Eq))
            .map(|c| c.version.as_str())
            .fold(None, |best: Option<&str>, v| match best {
                Some(b) if natural_cmp(v, b) != Ordering::Greater => Some(b),
                _ => Some(v),
            })
    });
    lowest(bounds).map(str::to_string)
}

/// The fixed version to show for affected groups (Composer branches): the lowest strict `<`
/// upper bound over the groups (`>=2.3.0, <2.3.19` → `2.3.19`), leaving out bounds that are
/// another group's `>=` lower bound: those only end a branch whose successor is affected too
/// (`>=2.0.0, <2.1.0` next to `>=2.1.0, <2.1.5`: 2.1.0 is no fix). `None` when no group has
/// one (`<=` bounds name the last affected version, not a fix).
pub(crate) fn first_upper_fix(groups: &[Vec<Constraint>]) -> Option<String> {
    let all = || groups.iter().flat_map(|g| g.iter());
    let lowers: Vec<&str> = all()
        .filter(|c| c.op == ConstraintOp::Ge)
        .map(|c| c.version.as_str())
        .collect();
    let bounds = all()
        .filter(|c| c.op == ConstraintOp::Lt && !lowers.contains(&c.version.as_str()))
        .map(|c| c.version.as_str());
    lowest(bounds).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConstraintOp::*;

    fn g(items: &[(ConstraintOp, &str)]) -> Vec<Constraint> {
        items.iter().map(|(o, v)| c(*o, *v)).collect()
    }

    /// Render groups as `>=1.0.0 <2.0.0-0 || =3.0.0` for compact assertions.
    fn show(groups: &[Vec<Constraint>]) -> String {
        groups
            .iter()
            .map(|g| {
                if g.is_empty() {
                    "*".to_string()
                } else {
                    g.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            })
            .collect::<Vec<_>>()
            .join(" || ")
    }

    fn npm(s: &str) -> String {
        show(&npm_range(s).unwrap_or_else(|e| panic!("{s:?}: {e}")))
    }

    #[test]
    fn gem_bumps() {
        assert_eq!(gem_bump("5.2.4").as_deref(), Some("5.3"));
        assert_eq!(gem_bump("5.2").as_deref(), Some("6"));
        assert_eq!(gem_bump("5").as_deref(), Some("6"));
        assert_eq!(gem_bump("1.0.0.rc1.1").as_deref(), Some("1.1"));
        assert_eq!(gem_bump("2.1.0pre1").as_deref(), Some("2.2"));
        assert_eq!(gem_bump("4.0.0.beta8").as_deref(), Some("4.1"));
        assert_eq!(gem_bump("7.0.0-rc3").as_deref(), Some("7.1"));
        assert_eq!(gem_bump("1.02.3").as_deref(), Some("1.3"));
        assert_eq!(gem_bump("0.9").as_deref(), Some("1"));
        assert_eq!(gem_bump("beta"), None);
    }

    #[test]
    fn ruby_requirements() {
        assert_eq!(
            ruby_requirement("~> 5.2.4, >= 5.2.4.3").unwrap(),
            g(&[(Ge, "5.2.4"), (Lt, "5.3"), (Ge, "5.2.4.3")])
        );
        assert_eq!(
            ruby_requirement(">= 6.0.3.1").unwrap(),
            g(&[(Ge, "6.0.3.1")])
        );
        assert_eq!(ruby_requirement("< 4.0.0").unwrap(), g(&[(Lt, "4.0.0")]));
        assert_eq!(
            ruby_requirement("~> 5").unwrap(),
            g(&[(Ge, "5"), (Lt, "6")])
        );
        assert_eq!(ruby_requirement("1.2.3").unwrap(), g(&[(Eq, "1.2.3")]));
        assert_eq!(ruby_requirement("= 1.2.3").unwrap(), g(&[(Eq, "1.2.3")]));
        assert_eq!(ruby_requirement("!= 1.2.3").unwrap(), g(&[(Ne, "1.2.3")]));
        assert_eq!(ruby_requirement("<=1.2").unwrap(), g(&[(Le, "1.2")]));
        assert_eq!(ruby_requirement(">1.2").unwrap(), g(&[(Gt, "1.2")]));
        assert_eq!(
            ruby_requirement("~> 6.1.0.rc2").unwrap(),
            g(&[(Ge, "6.1.0.rc2"), (Lt, "6.2")])
        );
        assert_eq!(
            ruby_requirement(">= 1.8.2-r2").unwrap(),
            g(&[(Ge, "1.8.2-r2")])
        );
        for bad in [
            "",
            ">=",
            "~> ",
            ">= 1.0,",
            "=> 1.0",
            ">= abc",
            ">= 1..2",
            "1.0 || 2.0",
        ] {
            assert!(ruby_requirement(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn composer_groups() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            composer_group(&s(&[">=2.3.0", "<2.3.19"])).unwrap(),
            g(&[(Ge, "2.3.0"), (Lt, "2.3.19")])
        );
        assert_eq!(
            composer_group(&s(&["<4.6.3"])).unwrap(),
            g(&[(Lt, "4.6.3")])
        );
        assert_eq!(
            composer_group(&s(&[">= 2.0.0-alpha1", "<= 2.4.4-p9"])).unwrap(),
            g(&[(Ge, "2.0.0-alpha1"), (Le, "2.4.4-p9")])
        );
        assert_eq!(
            composer_group(&s(&[">=", "<1.2"])).unwrap(),
            g(&[(Lt, "1.2")])
        );
        assert_eq!(composer_group(&s(&[">1.0", "=="])).ok(), None);
        assert!(composer_group(&s(&[])).is_err());
        assert!(composer_group(&s(&["1.0"])).is_err());
        assert!(composer_group(&s(&["<1.0 <2.0"])).is_err());
        assert!(composer_group(&s(&[">="])).is_err());
    }

    #[test]
    fn npm_primitives_and_x_ranges() {
        assert_eq!(npm("<=1.5.1"), "<=1.5.1");
        assert_eq!(npm(">=1.5.2"), ">=1.5.2");
        assert_eq!(npm("< 0.3.0"), "<0.3.0");
        assert_eq!(npm("<  2.0.5"), "<2.0.5");
        assert_eq!(npm("0.5.0"), "=0.5.0");
        assert_eq!(npm("=3.0.0-rc.1"), "=3.0.0-rc.1");
        assert_eq!(npm("<=v2.0.0-alpha7"), "<=2.0.0-alpha7");
        assert_eq!(npm("*"), "*");
        assert_eq!(npm("x"), "*");
        assert_eq!(npm(">=*"), "*");
        assert_eq!(npm("<*"), "<0.0.0-0");
        assert_eq!(npm("1.x"), ">=1.0.0 <2.0.0-0");
        assert_eq!(npm("1"), ">=1.0.0 <2.0.0-0");
        assert_eq!(npm("=1"), ">=1.0.0 <2.0.0-0");
        assert_eq!(npm("1.2.*"), ">=1.2.0 <1.3.0-0");
        assert_eq!(npm("1.2"), ">=1.2.0 <1.3.0-0");
        assert_eq!(
            npm("9.7.x || 10.x"),
            ">=9.7.0 <9.8.0-0 || >=10.0.0 <11.0.0-0"
        );
        assert_eq!(npm(">1"), ">=2.0.0");
        assert_eq!(npm(">1.2"), ">=1.3.0");
        assert_eq!(npm(">= 1.x"), ">=1.0.0");
        assert_eq!(npm(">= 2.2.x"), ">=2.2.0");
        assert_eq!(npm(">= 4"), ">=4.0.0");
        assert_eq!(npm("<3.11"), "<3.11.0-0");
        assert_eq!(npm("<1"), "<1.0.0-0");
        assert_eq!(npm("<= 1.0"), "<1.1.0-0");
        assert_eq!(npm("<= 10"), "<11.0.0-0");
        assert_eq!(npm("1.2.3+build.5"), "=1.2.3");
    }

    #[test]
    fn npm_tilde_caret_hyphen() {
        assert_eq!(npm("~1.2.3"), ">=1.2.3 <1.3.0-0");
        assert_eq!(npm("~1.2"), ">=1.2.0 <1.3.0-0");
        assert_eq!(npm("~1"), ">=1.0.0 <2.0.0-0");
        assert_eq!(npm("~0.2.2"), ">=0.2.2 <0.3.0-0");
        assert_eq!(npm("~0.8.0-pre"), ">=0.8.0-pre <0.9.0-0");
        assert_eq!(npm("~> 1.2.3"), ">=1.2.3 <1.3.0-0");
        assert_eq!(npm("^1.2.3"), ">=1.2.3 <2.0.0-0");
        assert_eq!(npm("^0.2.3"), ">=0.2.3 <0.3.0-0");
        assert_eq!(npm("^0.0.3"), ">=0.0.3 <0.0.4-0");
        assert_eq!(npm("^1.2.3-beta.2"), ">=1.2.3-beta.2 <2.0.0-0");
        assert_eq!(npm("^0.0.3-beta"), ">=0.0.3-beta <0.0.4-0");
        assert_eq!(npm("^5.0.0-beta.5"), ">=5.0.0-beta.5 <6.0.0-0");
        assert_eq!(npm("^1.2.x"), ">=1.2.0 <2.0.0-0");
        assert_eq!(npm("^0.0.x"), ">=0.0.0 <0.1.0-0");
        assert_eq!(npm("^0.0"), ">=0.0.0 <0.1.0-0");
        assert_eq!(npm("^1.x"), ">=1.0.0 <2.0.0-0");
        assert_eq!(npm("^0.x"), ">=0.0.0 <1.0.0-0");
        assert_eq!(npm("^1"), ">=1.0.0 <2.0.0-0");
        assert_eq!(npm("^*"), "*");
        assert_eq!(npm("1.2.3 - 2.3.4"), ">=1.2.3 <=2.3.4");
        assert_eq!(npm("1.2 - 2.3.4"), ">=1.2.0 <=2.3.4");
        assert_eq!(npm("1.2.3 - 2.3"), ">=1.2.3 <2.4.0-0");
        assert_eq!(npm("1.2.3 - 2"), ">=1.2.3 <3.0.0-0");
        assert_eq!(npm("* - 2"), "<3.0.0-0");
        assert_eq!(npm("1 - *"), ">=1.0.0");
    }

    #[test]
    fn npm_real_feed_shapes() {
        // Strings as they stand in the Node.js security WG files.
        assert_eq!(
            npm("< 3.1.3  || >= 4.0.0 <4.1.1"),
            "<3.1.3 || >=4.0.0 <4.1.1"
        );
        assert_eq!(npm("<1.6.5 || < 2.1.7 > 2.0.0"), "<1.6.5 || <2.1.7 >2.0.0");
        assert_eq!(npm("<5.0.3 >=5.0.0 || < 4.2.1"), "<5.0.3 >=5.0.0 || <4.2.1");
        assert_eq!(
            npm(">= 0.2.0 <= 0.9.6 || ~0.8.0-pre"),
            ">=0.2.0 <=0.9.6 || >=0.8.0-pre <0.9.0-0"
        );
        assert_eq!(npm("<3.11 || >= 4 <4.5"), "<3.11.0-0 || >=4.0.0 <4.5.0-0");
        assert_eq!(
            npm(">=3.4.6 < 4.0.0|| >=4.0.5"),
            ">=3.4.6 <4.0.0 || >=4.0.5"
        );
        assert_eq!(npm("2.1.0-M1 || 2.1.0-M2"), "=2.1.0-M1 || =2.1.0-M2");
        assert_eq!(
            npm(" 10.x || 12.x"),
            ">=10.0.0 <11.0.0-0 || >=12.0.0 <13.0.0-0"
        );
        assert_eq!(
            npm("^6.14.4 || ^8.11.4 || >= 10.9.0"),
            ">=6.14.4 <7.0.0-0 || >=8.11.4 <9.0.0-0 || >=10.9.0"
        );
        assert_eq!(npm("<0.0.0"), "<0.0.0");
    }

    #[test]
    fn npm_errors() {
        for bad in [
            "",
            "   ",
            "1.x ||",
            "|| 1.0.0",
            ">=",
            ">= >= 1.0.0",
            "1.2.3 -",
            "1.0.0 - 2.0.0 - 3.0.0",
            "abc",
            "1.2.3.4",
            "1.2-beta",
            "1.x-beta",
            ">=1.0.0-",
            ">=1.0.0-beta..1",
            "99999999999999999999999.0.0",
            "1,2",
        ] {
            assert!(
                npm_range(bad).is_err(),
                "{bad:?} parsed as {:?}",
                npm_range(bad)
            );
        }
        let long = "1.0.0 ".repeat(MAX_PARTS + 1);
        assert!(npm_range(&long).is_err());
        assert!(npm_range(&"x".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn fixed_versions_for_display() {
        let rails = vec![
            g(&[(Ge, "5.2.4"), (Lt, "5.3"), (Ge, "5.2.4.3")]),
            g(&[(Ge, "6.0.3.1")]),
        ];
        assert_eq!(first_patched(&rails).as_deref(), Some("5.2.4.3"));
        let npm_groups = npm_range(">=1.0.1 || >=0.9.5 <1.0.0").unwrap();
        assert_eq!(first_patched(&npm_groups).as_deref(), Some("0.9.5"));
        assert_eq!(first_patched(&[g(&[(Lt, "4.0.0")])]), None);
        assert_eq!(first_patched(&[]), None);
        assert_eq!(
            first_patched(&[g(&[(Gt, "1.10.8")]), g(&[(Ge, "1.9")])]).as_deref(),
            Some("1.9")
        );
        // Node.js core: `^5.10.0 || 4.4.2`
        let core = npm_range("^5.10.0 || 4.4.2").unwrap();
        assert_eq!(first_patched(&core).as_deref(), Some("4.4.2"));

        let branches = vec![
            g(&[(Ge, "2.0.0"), (Lt, "2.1.0")]),
            g(&[(Ge, "2.3.0"), (Lt, "2.3.19")]),
        ];
        assert_eq!(first_upper_fix(&branches).as_deref(), Some("2.1.0"));
        // A branch end that the next branch continues is no fix.
        let branches = vec![
            g(&[(Ge, "2.0.0"), (Lt, "2.1.0")]),
            g(&[(Ge, "2.1.0"), (Lt, "2.2.0")]),
            g(&[(Ge, "2.2.0"), (Lt, "2.2.7")]),
            g(&[(Ge, "2.3.0"), (Lt, "2.3.19")]),
        ];
        assert_eq!(first_upper_fix(&branches).as_deref(), Some("2.2.7"));
        assert_eq!(
            first_upper_fix(&[
                g(&[(Ge, "1.0"), (Lt, "2.0")]),
                g(&[(Ge, "2.0"), (Le, "2.5")])
            ]),
            None
        );
        assert_eq!(first_upper_fix(&[g(&[(Le, "1.3.0")])]), None);
    }
}

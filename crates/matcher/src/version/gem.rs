//! RubyGems versions, compared like `Gem::Version#<=>` (RubyGems 3.x).
//!
//! # Format
//!
//! What `Gem::Version.correct?` accepts:
//!
//! ```text
//! \s* [ digits ( "." [0-9A-Za-z]+ )* [ "-" [0-9A-Za-z-]+ ( "." [0-9A-Za-z-]+ )* ] ] \s*
//! ```
//!
//! with `\s` Ruby's ASCII whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`). A blank string is
//! the version `0`. Everything else (`1a`, `.1`, `1.`, `1..2`, `1.0-`, `1.0_1`,
//! non-ASCII) is an error.
//!
//! # Ordering
//!
//! `Gem::Version` replaces every `-` with `.pre.`, then reads the string as *segments*:
//! runs of digits (numbers) and runs of letters (strings); `1.0.b1-x` is `[1, 0, "b", 1,
//! "pre", "x"]`. A string segment marks a pre-release. The *canonical segments* drop the
//! trailing zeros of the leading numeric part and of the rest separately (`1.0.0 → [1]`,
//! `1.0.a.0 → [1, "a"]`). Two versions compare segment by segment, a missing segment
//! counting as 0: numbers numerically (any size), strings bytewise (case-sensitive: `"B" <
//! "a"`), a string below a number. So `1.0 == 1`, `1.0.a < 1.0`, `1.0.a < 1.0.b < 1.0.0.1`,
//! `1.0-rc1 == 1.0.pre.rc1 < 1.0`, and `1.0.a1 == 1.0.a.1` (both `[1, "a", 1]`).

use super::{Scheme, VersionError, cmp_digit_runs};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid RubyGems version. Holds the original string.
#[derive(Debug, Clone)]
pub struct GemVersion {
    raw: String,
}

impl GemVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(GemVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the version holds a letter (`Gem::Version#prerelease?`).
    pub fn is_prerelease(&self) -> bool {
        self.raw.bytes().any(|c| c.is_ascii_alphabetic())
    }

    /// The canonical segments joined with `.` (`1.0.0` → `1`, `1.0-rc1` → `1.pre.rc.1`,
    /// blank → `0`).
    pub fn canonical(&self) -> String {
        let segs = canonical_segments(core(&self.raw).unwrap_or("0"));
        if segs.is_empty() {
            return "0".to_owned();
        }
        let texts: Vec<&str> = segs
            .iter()
            .map(|s| match s {
                Seg::Num("") => "0",
                Seg::Num(t) | Seg::Str(t) => t,
            })
            .collect();
        texts.join(".")
    }
}

impl FromStr for GemVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GemVersion::parse(s)
    }
}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_cores(
            core(&self.raw).unwrap_or("0"),
            core(&other.raw).unwrap_or("0"),
        )
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as `Gem::Version#<=>` sees it (`1.0 == 1`), consistent with [`Ord`].
impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

/// Compares two version strings like `Gem::Version#<=>`. An invalid string is an error (`a`
/// is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let ca = core(a).map_err(|r| VersionError::new(Scheme::Gem, a, r))?;
    let cb = core(b).map_err(|r| VersionError::new(Scheme::Gem, b, r))?;
    Ok(cmp_cores(ca, cb))
}

/// Validates without allocating.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    core(s)
        .map(drop)
        .map_err(|r| VersionError::new(Scheme::Gem, s, r))
}

/// Ruby's `\s`.
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// The version without surrounding whitespace (`"0"` for a blank string), validated.
fn core(input: &str) -> Result<&str, &'static str> {
    let s = input.trim_matches(is_ruby_space);
    if s.is_empty() {
        return Ok("0");
    }
    let b = s.as_bytes();
    let run = |mut i: usize, ok: fn(u8) -> bool| {
        while b.get(i).is_some_and(|&c| ok(c)) {
            i += 1;
        }
        i
    };
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let alnum_dash = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    let mut i = run(0, |c| c.is_ascii_digit());
    if i == 0 {
        return Err("malformed version number string: must start with a digit");
    }
    while b.get(i) == Some(&b'.') {
        let end = run(i + 1, alnum);
        if end == i + 1 {
            break;
        }
        i = end;
    }
    if b.get(i) == Some(&b'-') {
        let end = run(i + 1, alnum_dash);
        if end > i + 1 {
            i = end;
            while b.get(i) == Some(&b'.') {
                let end = run(i + 1, alnum_dash);
                if end == i + 1 {
                    break;
                }
                i = end;
            }
        }
    }
    if i != b.len() {
        return Err("malformed version number string");
    }
    Ok(s)
}

/// A segment: digits of a number without leading zeros (`""` is 0), or letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Num(&'a str),
    Str(&'a str),
}

/// `Gem::Version#segments` of a validated core (`-` reads as `.pre.`).
fn segments(s: &str) -> Vec<Seg<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            out.push(Seg::Num(s[start..i].trim_start_matches('0')));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
                i += 1;
            }
            out.push(Seg::Str(&s[start..i]));
        } else {
            if c == b'-' {
                out.push(Seg::Str("pre"));
            }
            i += 1;
        }
    }
    out
}

/// `Gem::Version#canonical_segments`.
fn canonical_segments(s: &str) -> Vec<Seg<'_>> {
    let mut segs = segments(s);
    let split = segs
        .iter()
        .position(|x| matches!(x, Seg::Str(_)))
        .unwrap_or(segs.len());
    let mut strings = segs.split_off(split);
    for part in [&mut segs, &mut strings] {
        while part.last() == Some(&Seg::Num("")) {
            part.pop();
        }
    }
    segs.append(&mut strings);
    segs
}

fn cmp_cores(a: &str, b: &str) -> Ordering {
    let (x, y) = (canonical_segments(a), canonical_segments(b));
    let zero = Seg::Num("");
    for i in 0..x.len().max(y.len()) {
        let l = x.get(i).unwrap_or(&zero);
        let r = y.get(i).unwrap_or(&zero);
        let ord = match (l, r) {
            (Seg::Num(p), Seg::Num(q)) => cmp_digit_runs(p.as_bytes(), q.as_bytes()),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            (Seg::Str(p), Seg::Str(q)) => p.as_bytes().cmp(q.as_bytes()),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn order() {
        // Examples of the Gem::Version documentation ("1.0.a.2 < 1.0.b1 < 1.0", the
        // pre-release rules) and its canonicalisation.
        let sorted = [
            "0.9", "1.0.a", "1.0.a.2", "1.0.b1", "1.0.rc1", "1.0", "1.0.0.1", "1.0.1.a", "1.0.1",
            "1.1",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(compare("1.0", "1").unwrap(), Equal);
        assert_eq!(compare("1.0.a1", "1.0.a.1").unwrap(), Equal);
        assert_eq!(compare("1.0-rc1", "1.0.pre.rc1").unwrap(), Equal);
        assert_eq!(compare("1.a.0", "1.0.a").unwrap(), Equal);
        assert_eq!(compare("", "0").unwrap(), Equal);
        assert_eq!(compare(" 1.0\n", "1").unwrap(), Equal);
        assert_eq!(compare("1.0.B", "1.0.a").unwrap(), Less);
        let v: GemVersion = "1.0.0-rc1".parse().unwrap();
        assert_eq!(v.canonical(), "1.pre.rc.1");
        assert!(v.is_prerelease());
    }

    #[test]
    fn malformed() {
        for v in [
            "1a", ".1", "1.", "1..2", "1.0-", "1.0_1", "v1.0", "1.0 1", "\u{a0}1",
        ] {
            assert!(compare(v, "1").is_err(), "{v:?}");
        }
        for v in ["1--", "1.0-a-b.c-", "1.0.0.alpha", "007"] {
            assert!(compare(v, "1").is_ok(), "{v:?}");
        }
    }
}

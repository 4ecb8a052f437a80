//! Semantic Versioning 2.0.0, as npm and crates.io use it.
//!
//! The grammar is the strict one of the SemVer 2.0.0 specification, which is also what
//! node-semver's `SemVer` class accepts without its `loose` option; the ordering is the
//! specification's precedence, which is what `semver.compare` computes. Both are tested
//! against node-semver on thousands of generated pairs.
//!
//! # Format
//!
//! ```text
//! version    = [ "=" ] [ "v" ] core [ "-" prerelease ] [ "+" build ]
//! core       = number "." number "." number
//! number     = "0" / nonzero-digit *digit
//! prerelease = identifier *( "." identifier )   ; numeric identifiers without leading zeros
//! build      = build-id *( "." build-id )       ; any non-empty [0-9A-Za-z-] run
//! ```
//!
//! Surrounding whitespace (JavaScript's `String.prototype.trim` set: ASCII blanks and line
//! terminators, NBSP, the Unicode space separators, U+2028/U+2029 and U+FEFF) is ignored.
//! A leading `v` is accepted (as node-semver does), and so is a leading `=` (which
//! node-semver accepts only in loose mode): `=v1.2.3`, `v1.2.3`, `=1.2.3` and `1.2.3` are the
//! same version. Everything else is an error: fewer or more than three core numbers (`1.2`,
//! `1.2.3.4`), leading zeros in a number or numeric pre-release identifier (`01.2.3`,
//! `1.2.3-01`), empty identifiers (`1.2.3-`, `1.2.3-a..b`, `1.2.3+`), characters outside
//! `[0-9A-Za-z-]` in identifiers, an upper-case `V`, anything that is not a version
//! (`latest`, `*`, `^1.2.3`).
//!
//! # Ordering
//!
//! Major, minor and patch compare numerically; a version with a pre-release is below the
//! same version without one (`1.0.0-rc.1 < 1.0.0`); pre-release identifiers compare left to
//! right, numeric ones numerically, alphanumeric ones by ASCII order, numeric below
//! alphanumeric (`1.0.0-1 < 1.0.0-alpha`), and a shorter list below a longer one it is a
//! prefix of (`1.0.0-alpha < 1.0.0-alpha.1`). Build metadata is ignored (`1.0.0+a ==
//! 1.0.0+b`), so [`Ord`]/[`Eq`] on [`SemVersion`] follow precedence, not string equality.
//!
//! Numbers of any length compare exactly, as digit strings. node-semver differs only outside
//! what it can represent: it rejects strings longer than 256 characters and core numbers
//! above 2^53-1, and compares numeric pre-release identifiers of 2^53-1 and more as
//! JavaScript floats; such versions are accepted and compared exactly here.

use super::{Scheme, VersionError, cmp_digit_runs};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid semantic version. Holds the original string.
#[derive(Debug, Clone)]
pub struct SemVersion {
    raw: String,
}

impl SemVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(SemVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The canonical form, `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`: without whitespace,
    /// `=` or `v`.
    pub fn canonical(&self) -> String {
        let p = parts(&self.raw);
        let mut out = format!("{}.{}.{}", p.major, p.minor, p.patch);
        if !p.pre.is_empty() {
            out.push('-');
            out.push_str(p.pre);
        }
        if !p.build.is_empty() {
            out.push('+');
            out.push_str(p.build);
        }
        out
    }

    /// The pre-release identifiers as written (empty for a release).
    pub fn prerelease(&self) -> &str {
        parts(&self.raw).pre
    }

    /// The build metadata as written (empty when absent).
    pub fn build(&self) -> &str {
        parts(&self.raw).build
    }
}

/// The parts of a string already validated.
fn parts(raw: &str) -> Parts<'_> {
    parse(raw).unwrap_or(Parts::ZERO)
}

impl FromStr for SemVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SemVersion::parse(s)
    }
}

impl fmt::Display for SemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_parts(&parts(&self.raw), &parts(&other.raw))
    }
}

impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality of precedence (`1.0.0+a == 1.0.0`), consistent with [`Ord`].
impl PartialEq for SemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVersion {}

/// Compares two version strings by SemVer precedence, without allocating. An invalid string
/// is an error (`a` is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse(a).map_err(|r| VersionError::new(Scheme::Semver, a, r))?;
    let pb = parse(b).map_err(|r| VersionError::new(Scheme::Semver, b, r))?;
    Ok(cmp_parts(&pa, &pb))
}

/// Validates without allocating.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    parse(s)
        .map(drop)
        .map_err(|r| VersionError::new(Scheme::Semver, s, r))
}

/// The borrowed parts of a version: digit strings of the core numbers, the pre-release and
/// build texts without their `-`/`+` (empty when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub(crate) major: &'a str,
    pub(crate) minor: &'a str,
    pub(crate) patch: &'a str,
    pub(crate) pre: &'a str,
    pub(crate) build: &'a str,
}

impl Parts<'static> {
    const ZERO: Parts<'static> = Parts {
        major: "0",
        minor: "0",
        patch: "0",
        pre: "",
        build: "",
    };
}

/// JavaScript's `String.prototype.trim` whitespace: WhiteSpace and LineTerminator.
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Trims, removes the optional `=`/`v` prefix, parses the rest strictly.
fn parse(input: &str) -> Result<Parts<'_>, &'static str> {
    let s = input.trim_matches(is_js_space);
    if s.is_empty() {
        return Err("version string is empty");
    }
    let s = s.strip_prefix('=').unwrap_or(s);
    let s = s.strip_prefix('v').unwrap_or(s);
    parse_strict(s)
}

/// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`, nothing before or after.
pub(crate) fn parse_strict(s: &str) -> Result<Parts<'_>, &'static str> {
    let b = s.as_bytes();
    let mut i = 0;
    let major = number(s, &mut i)?;
    expect_dot(b, &mut i)?;
    let minor = number(s, &mut i)?;
    expect_dot(b, &mut i)?;
    let patch = number(s, &mut i)?;
    let mut pre = "";
    if b.get(i) == Some(&b'-') {
        let start = i + 1;
        let end = b[start..]
            .iter()
            .position(|&c| c == b'+')
            .map_or(b.len(), |p| start + p);
        pre = &s[start..end];
        check_prerelease(pre)?;
        i = end;
    }
    let mut build = "";
    if b.get(i) == Some(&b'+') {
        build = &s[i + 1..];
        check_build(build)?;
        i = b.len();
    }
    if i != b.len() {
        return Err(match b[i] {
            b'.' => "more than three version numbers",
            _ => "unexpected character after MAJOR.MINOR.PATCH",
        });
    }
    Ok(Parts {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

fn expect_dot(b: &[u8], i: &mut usize) -> Result<(), &'static str> {
    if b.get(*i) == Some(&b'.') {
        *i += 1;
        Ok(())
    } else {
        Err("not MAJOR.MINOR.PATCH")
    }
}

/// A core number: `0` or digits without a leading zero.
fn number<'a>(s: &'a str, i: &mut usize) -> Result<&'a str, &'static str> {
    let b = s.as_bytes();
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    let n = &s[start..*i];
    if n.is_empty() {
        return Err("not MAJOR.MINOR.PATCH");
    }
    if n.len() > 1 && n.starts_with('0') {
        return Err("version number has a leading zero");
    }
    Ok(n)
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn is_numeric(id: &str) -> bool {
    id.bytes().all(|c| c.is_ascii_digit())
}

pub(crate) fn check_prerelease(pre: &str) -> Result<(), &'static str> {
    for id in pre.split('.') {
        if id.is_empty() {
            return Err("empty pre-release identifier");
        }
        if !id.bytes().all(is_ident_char) {
            return Err("invalid character in pre-release identifier");
        }
        if id.len() > 1 && id.starts_with('0') && is_numeric(id) {
            return Err("numeric pre-release identifier has a leading zero");
        }
    }
    Ok(())
}

pub(crate) fn check_build(build: &str) -> Result<(), &'static str> {
    for id in build.split('.') {
        if id.is_empty() {
            return Err("empty build metadata identifier");
        }
        if !id.bytes().all(is_ident_char) {
            return Err("invalid character in build metadata");
        }
    }
    Ok(())
}

pub(crate) fn cmp_parts(a: &Parts<'_>, b: &Parts<'_>) -> Ordering {
    cmp_digit_runs(a.major.as_bytes(), b.major.as_bytes())
        .then_with(|| cmp_digit_runs(a.minor.as_bytes(), b.minor.as_bytes()))
        .then_with(|| cmp_digit_runs(a.patch.as_bytes(), b.patch.as_bytes()))
        .then_with(|| cmp_prerelease(a.pre, b.pre))
}

/// Pre-release precedence; `""` is no pre-release (above every pre-release).
pub(crate) fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut xa = a.split('.');
    let mut xb = b.split('.');
    loop {
        match (xa.next(), xb.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (is_numeric(x), is_numeric(y)) {
                    (true, true) => cmp_digit_runs(x.as_bytes(), y.as_bytes()),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.as_bytes().cmp(y.as_bytes()),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn spec_order() {
        // The precedence example of the SemVer 2.0.0 specification (section 11).
        let sorted = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn prefixes_and_build() {
        assert_eq!(compare("v1.2.3", "1.2.3").unwrap(), Equal);
        assert_eq!(compare("=v1.2.3", " =1.2.3\u{feff}").unwrap(), Equal);
        assert_eq!(compare("1.2.3+build.5", "1.2.3").unwrap(), Equal);
        assert_eq!(compare("1.2.3-1", "1.2.3-a").unwrap(), Less);
        assert_eq!(compare("1.2.3-0a", "1.2.3-1").unwrap(), Greater);
        let v: SemVersion = " v1.2.3-rc.1+b.01 ".parse().unwrap();
        assert_eq!(v.canonical(), "1.2.3-rc.1+b.01");
        assert_eq!((v.prerelease(), v.build()), ("rc.1", "b.01"));
    }

    #[test]
    fn errors() {
        for (v, reason) in [
            ("", "version string is empty"),
            ("  ", "version string is empty"),
            ("1.2", "not MAJOR.MINOR.PATCH"),
            ("latest", "not MAJOR.MINOR.PATCH"),
            ("1.2.3.4", "more than three version numbers"),
            ("01.2.3", "version number has a leading zero"),
            (
                "1.2.3-01",
                "numeric pre-release identifier has a leading zero",
            ),
            ("1.2.3-", "empty pre-release identifier"),
            ("1.2.3-a..b", "empty pre-release identifier"),
            ("1.2.3+", "empty build metadata identifier"),
            ("1.2.3-a_b", "invalid character in pre-release identifier"),
            ("1.2.3+a+b", "invalid character in build metadata"),
            ("V1.2.3", "not MAJOR.MINOR.PATCH"),
            ("1.2.3 x", "unexpected character after MAJOR.MINOR.PATCH"),
            ("\u{85}1.2.3", "not MAJOR.MINOR.PATCH"),
        ] {
            let e = compare(v, "1.0.0").unwrap_err();
            assert_eq!(e.reason(), reason, "{v:?}");
            assert_eq!(e.scheme(), Scheme::Semver);
        }
    }
}

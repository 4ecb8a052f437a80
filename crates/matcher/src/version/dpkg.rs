//! Debian package versions (dpkg), as used by Debian and Ubuntu.
//!
//! This reproduces dpkg's own code — `parseversion()` (lib/dpkg/parsehelp.c) for parsing and
//! `dpkg_version_compare()`/`verrevcmp()` (lib/dpkg/version.c) for ordering — and is tested
//! against the real `dpkg --compare-versions` on thousands of generated and real pairs.
//!
//! # Format
//!
//! `[epoch:]upstream_version[-debian_revision]`
//!
//! * Leading and trailing blanks (space, tab) are ignored; a blank inside is an error.
//! * **epoch**: everything before the *first* `:`. Read like C `strtol`: optional leading
//!   whitespace and sign, then decimal digits that must run up to the colon. It must be
//!   within `0..=2147483647` (`INT_MAX`); `-0` is accepted as 0. No colon means epoch 0.
//! * **revision**: everything after the *last* `-` of the rest (so the upstream version may
//!   contain hyphens, the revision never does). A trailing `-` (empty revision) is an error;
//!   no hyphen means an empty revision.
//! * **upstream**: what remains; it must not be empty.
//!
//! Errors (dpkg's own messages, see [`VersionError::reason`]): `version string is empty`,
//! `version string has embedded spaces`, `epoch in version is empty`, `epoch in version is
//! not number`, `epoch in version is negative`, `epoch in version is too big`, `nothing after
//! colon in version number`, `revision number is empty`, `version number is empty`; plus,
//! Rust strings being able to hold it, `version string contains a NUL byte`.
//!
//! dpkg only *warns* (and then uses the version as parsed) when the upstream version does not
//! start with a digit, or when either part holds characters outside Debian policy's set
//! (upstream: alphanumerics and `.+-~:`, revision: alphanumerics and `.+~`). Those versions
//! are accepted here too, as `dpkg --compare-versions` accepts them;
//! [`DebVersion::syntax_warning`] tells which warning dpkg would print.
//!
//! # Ordering
//!
//! Epochs compare numerically; then the upstream versions, then the revisions, each with
//! `verrevcmp`: the strings are read as alternating runs of non-digits and digits.
//!
//! * Non-digit runs compare character by character, where `~` sorts before everything (even
//!   the end of the run, so `1.0~rc1 < 1.0`), then the end of the run, then letters
//!   (ASCII order: `A` < `Z` < `a`), then every other character (ASCII order, after all
//!   letters: `1.0a < 1.0+`).
//! * Digit runs compare by numeric value: leading zeros are ignored (`1.01 == 1.1`), a
//!   missing run counts as 0, and runs of any length work (compared as strings after removing
//!   the zeros, never converted to a fixed-size integer).
//!
//! Consequently different strings can be equal (`1.0 == 1.00 == 0:1.0 == 1.0-0`); [`Ord`] and
//! [`Eq`] on [`DebVersion`] follow dpkg, not string equality.
//!
//! Bytes outside ASCII (only found in versions dpkg warns about) order as dpkg does on
//! platforms where C `char` is signed (amd64, the reference): after letters, before ASCII
//! punctuation.
//!
//! `dpkg --compare-versions` treats the literal argument `<unknown>` and the empty argument as
//! a blank version; that is a command-line convention, not part of the version syntax: here
//! the empty string is an error and `<unknown>` an ordinary (warned-about) version.

use super::{Scheme, VersionError, cmp_digit_runs};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The largest epoch dpkg accepts (`INT_MAX`).
pub const MAX_EPOCH: u64 = i32::MAX as u64;

/// A parsed Debian package version.
#[derive(Debug, Clone)]
pub struct DebVersion {
    epoch: u64,
    upstream: String,
    revision: String,
}

/// The borrowed parts of a version string, as `parseversion` splits it.
#[derive(Debug, Clone, Copy)]
struct Parts<'a> {
    epoch: u64,
    upstream: &'a str,
    revision: &'a str,
}

impl DebVersion {
    /// Parses a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let p = parse_parts(s).map_err(|reason| VersionError::new(Scheme::Dpkg, s, reason))?;
        Ok(DebVersion {
            epoch: p.epoch,
            upstream: p.upstream.to_owned(),
            revision: p.revision.to_owned(),
        })
    }

    /// The epoch (0 when the string has none).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The upstream version: never empty.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision: empty when the string has no hyphen.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The warning dpkg prints for this version (it still accepts it), if any — one of
    /// `version number does not start with digit`, `invalid character in version number`,
    /// `invalid character in revision number`. Like dpkg, reports the first only.
    pub fn syntax_warning(&self) -> Option<&'static str> {
        self.parts().syntax_warning()
    }

    fn parts(&self) -> Parts<'_> {
        Parts {
            epoch: self.epoch,
            upstream: &self.upstream,
            revision: &self.revision,
        }
    }
}

impl FromStr for DebVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DebVersion::parse(s)
    }
}

/// The canonical form: the epoch is written when it is not 0 or when the rest holds a colon
/// (as dpkg writes it), the revision when it is not empty. Parsing the output
/// gives back the same epoch, upstream and revision.
impl fmt::Display for DebVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 || self.upstream.contains(':') || self.revision.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_parts(&self.parts(), &other.parts())
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as dpkg sees it (`1.0 == 1.00`), consistent with [`Ord`].
impl PartialEq for DebVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebVersion {}

/// Compares two version strings like `dpkg --compare-versions`, without allocating.
/// An invalid string is an error (`a` is checked first).
/// Validates without allocating.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    parse_parts(s)
        .map(drop)
        .map_err(|reason| VersionError::new(Scheme::Dpkg, s, reason))
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse_parts(a).map_err(|r| VersionError::new(Scheme::Dpkg, a, r))?;
    let pb = parse_parts(b).map_err(|r| VersionError::new(Scheme::Dpkg, b, r))?;
    Ok(cmp_parts(&pa, &pb))
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// C `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `parseversion()`: the hard errors, in dpkg's order. Warnings are not errors.
fn parse_parts(input: &str) -> Result<Parts<'_>, &'static str> {
    if input.as_bytes().contains(&0) {
        return Err("version string contains a NUL byte");
    }
    let s = input.trim_start_matches(is_blank);
    if s.is_empty() {
        return Err("version string is empty");
    }
    let end = s.find(is_blank).unwrap_or(s.len());
    if !s[end..].trim_start_matches(is_blank).is_empty() {
        return Err("version string has embedded spaces");
    }
    let body = &s[..end];
    let (epoch, version) = match body.find(':') {
        Some(colon) => {
            let epoch = parse_epoch(&body[..colon])?;
            // dpkg looks at the character after the colon in the whole (left-trimmed) string,
            // so "1: " gets "version number is empty" below rather than this message.
            if colon + 1 == s.len() {
                return Err("nothing after colon in version number");
            }
            (epoch, &body[colon + 1..])
        }
        None => (0, body),
    };
    let (upstream, revision) = match version.rfind('-') {
        Some(h) => {
            let revision = &version[h + 1..];
            if revision.is_empty() {
                return Err("revision number is empty");
            }
            (&version[..h], revision)
        }
        None => (version, ""),
    };
    if upstream.is_empty() {
        return Err("version number is empty");
    }
    Ok(Parts {
        epoch,
        upstream,
        revision,
    })
}

/// The epoch as dpkg reads it with `strtol(string, &end, 10)`, `end` having to be the colon.
fn parse_epoch(ep: &str) -> Result<u64, &'static str> {
    let b = ep.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        // strtol converted nothing: its end pointer is the start of the string.
        return Err("epoch in version is empty");
    }
    if i != b.len() {
        return Err("epoch in version is not number");
    }
    let digits = &b[digits_start..];
    let significant = &digits[digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len())..];
    if significant.is_empty() {
        return Ok(0); // "0", "000", "-0", "+0"
    }
    if negative {
        return Err("epoch in version is negative");
    }
    if significant.len() > 10 {
        return Err("epoch in version is too big");
    }
    let value = significant
        .iter()
        .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    if value > MAX_EPOCH {
        return Err("epoch in version is too big");
    }
    Ok(value)
}

impl Parts<'_> {
    fn syntax_warning(&self) -> Option<&'static str> {
        let up = self.upstream.as_bytes();
        if !up[0].is_ascii_digit() {
            return Some("version number does not start with digit");
        }
        if up[1..]
            .iter()
            .any(|&c| !c.is_ascii_alphanumeric() && !b".-+~:".contains(&c))
        {
            return Some("invalid character in version number");
        }
        if self
            .revision
            .bytes()
            .any(|c| !c.is_ascii_alphanumeric() && !b".+~".contains(&c))
        {
            return Some("invalid character in revision number");
        }
        None
    }
}

/// `dpkg_version_compare()`.
fn cmp_parts(a: &Parts<'_>, b: &Parts<'_>) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream.as_bytes(), b.upstream.as_bytes()))
        .then_with(|| verrevcmp(a.revision.as_bytes(), b.revision.as_bytes()))
}

/// The weight of one character in a non-digit run; `None` is the end of the run.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        // dpkg computes `c + 256` on a signed char: bytes >= 0x80 end up at their own value.
        Some(c) if c >= 0x80 => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp()`.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let digit_at = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        // Non-digit run. When the weights are equal both sides hold a non-digit character
        // (the end of a string weighs 0 like a digit, but non-digits never weigh 0).
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run, by numeric value.
        let (si, sj) = (i, j);
        while digit_at(a, i) {
            i += 1;
        }
        while digit_at(b, j) {
            j += 1;
        }
        let ord = cmp_digit_runs(&a[si..i], &b[sj..j]);
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
    fn order_of_characters() {
        // ~ < end < letters < other characters; within digits, numeric value.
        // "0.0~" < "0." because an absent digit run is 0; "0.01a" > "0.1": equal digit runs,
        // then "a" > end.
        let sorted = [
            "0~~", "0~~a", "0~", "0", "0a", "0z", "0+", "0.0~", "0.", "0.1", "0.01a",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(compare("1.0", "1.00").unwrap(), Equal);
        assert_eq!(compare("0.", "0.0").unwrap(), Equal);
        assert_eq!(compare("0:1.0", "1.0-0").unwrap(), Equal);
        assert_eq!(compare("1.0A", "1.0a").unwrap(), Less);
    }

    #[test]
    fn parts() {
        let v: DebVersion = " 2:1.2-3-4+deb12u1\t".parse().unwrap();
        assert_eq!(
            (v.epoch(), v.upstream(), v.revision()),
            (2, "1.2-3", "4+deb12u1")
        );
        assert_eq!(v.to_string(), "2:1.2-3-4+deb12u1");
        let v: DebVersion = "0:1:2".parse().unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (0, "1:2", ""));
        assert_eq!(v.to_string(), "0:1:2");
        assert_eq!(v.syntax_warning(), None);
        let v: DebVersion = "0:0--:".parse().unwrap();
        assert_eq!((v.upstream(), v.revision()), ("0-", ":"));
        assert_eq!(v.to_string(), "0:0--:");
        assert_eq!(
            v.syntax_warning(),
            Some("invalid character in revision number")
        );
        let v: DebVersion = "00:1.0".parse().unwrap();
        assert_eq!(v.to_string(), "1.0");
    }

    #[test]
    fn errors() {
        let cases = [
            ("", "version string is empty"),
            (" \t", "version string is empty"),
            ("1 0", "version string has embedded spaces"),
            (":1", "epoch in version is empty"),
            ("a:1", "epoch in version is empty"),
            ("+:1", "epoch in version is empty"),
            ("1a:1", "epoch in version is not number"),
            ("0x1:1", "epoch in version is not number"),
            ("-1:1", "epoch in version is negative"),
            ("-99999999999999999999999:1", "epoch in version is negative"),
            ("2147483648:1", "epoch in version is too big"),
            ("99999999999999999999999:1", "epoch in version is too big"),
            ("1:", "nothing after colon in version number"),
            ("1: ", "version number is empty"),
            ("1.0-", "revision number is empty"),
            ("-", "revision number is empty"),
            ("-1", "version number is empty"),
            ("1:-1", "version number is empty"),
            ("1.0\0", "version string contains a NUL byte"),
        ];
        for (s, reason) in cases {
            let e = DebVersion::parse(s).unwrap_err();
            assert_eq!(e.reason(), reason, "{s:?}");
            assert_eq!(e.scheme(), Scheme::Dpkg);
        }
        for ok in [
            "2147483647:1",
            "-0:1",
            "+1:1",
            "\n5:1",
            "0000000000000001:1",
        ] {
            DebVersion::parse(ok).unwrap();
        }
    }

    #[test]
    fn warnings() {
        let w = |s: &str| DebVersion::parse(s).unwrap().syntax_warning();
        assert_eq!(w("1.0-1+deb12u1"), None);
        assert_eq!(w("1:2.3~rc1+dfsg-1~bpo11+1"), None);
        assert_eq!(w("abc"), Some("version number does not start with digit"));
        assert_eq!(w("1_0"), Some("invalid character in version number"));
        assert_eq!(w("1:1.0-a:b"), Some("invalid character in revision number"));
        assert_eq!(w("1.é"), Some("invalid character in version number"));
    }
}

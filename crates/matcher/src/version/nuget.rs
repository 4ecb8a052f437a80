//! NuGet package versions, as NuGet.Versioning's `NuGetVersion.TryParse` reads them and the
//! default `VersionComparer` orders them.
//!
//! # Format
//!
//! ```text
//! N[.N[.N[.N]]] [ "-" label *( "." label ) ] [ "+" meta *( "." meta ) ]
//! ```
//!
//! * Surrounding whitespace is trimmed (.NET `String.Trim`: Unicode white space).
//! * One to four numbers, each read like .NET `int.TryParse`: ASCII digits, leading zeros
//!   allowed (`01.002` is `1.2`), at most 2147483647, and — as .NET allows — surrounding
//!   ASCII blanks (`1. 2` is `1.2`). Missing numbers are 0: `1 == 1.0 == 1.0.0 == 1.0.0.0`.
//! * Release labels and metadata identifiers: non-empty runs of `[0-9A-Za-z-]`; an
//!   all-digit label must not have a leading zero (`1.0-01` is invalid), metadata may.
//!
//! Everything else is an error (`1.0.0.0.0`, `a.b`, `1.0-`, `1.0-a..b`, `1.0+`,
//! `2147483648.0`). .NET also accepts trailing NUL characters after a number; such strings
//! are errors here.
//!
//! # Ordering
//!
//! Major, minor, patch, revision numerically; then a version with release labels is below
//! the same version without (`1.0.0-beta < 1.0.0`); labels compare one by one: labels that
//! .NET reads as integers (`int.TryParse`: digits, optionally after a `-`, within the 32-bit
//! range) compare numerically and come before other labels, which compare
//! case-insensitively (`1.0-BETA == 1.0-beta`, `1.0-2 < 1.0-10 < 1.0-a`); fewer labels come
//! first when one list begins the other. Metadata is ignored (`1.0+a == 1.0+b`).

use super::{Scheme, VersionError};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid NuGet version. Holds the original string.
#[derive(Debug, Clone)]
pub struct NugetVersion {
    raw: String,
}

impl NugetVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(NugetVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The normalised form (`ToNormalizedString`): three numbers, a fourth only when it is
    /// not 0, then the labels and metadata as written (`01.2-RC.1+x` → `1.2.0-RC.1+x`).
    pub fn normalized(&self) -> String {
        match parse(&self.raw) {
            Ok(p) => {
                let [a, b, c, d] = p.numbers;
                let mut out = format!("{a}.{b}.{c}");
                if d != 0 {
                    out.push_str(&format!(".{d}"));
                }
                if let Some(l) = p.labels {
                    out.push('-');
                    out.push_str(l);
                }
                if let Some(m) = p.metadata {
                    out.push('+');
                    out.push_str(m);
                }
                out
            }
            Err(_) => self.raw.clone(),
        }
    }
}

impl FromStr for NugetVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NugetVersion::parse(s)
    }
}

impl fmt::Display for NugetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for NugetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (parse(&self.raw), parse(&other.raw)) {
            (Ok(a), Ok(b)) => cmp_parsed(&a, &b),
            // Unreachable: both strings were validated.
            _ => self.raw.cmp(&other.raw),
        }
    }
}

impl PartialOrd for NugetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as NuGet's default comparer sees it (`1.0 == 1.0.0.0`), consistent with [`Ord`].
impl PartialEq for NugetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NugetVersion {}

/// Compares two version strings like NuGet's `VersionComparer.Default`, without allocating.
/// An invalid string is an error (`a` is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse(a).map_err(|r| VersionError::new(Scheme::Nuget, a, r))?;
    let pb = parse(b).map_err(|r| VersionError::new(Scheme::Nuget, b, r))?;
    Ok(cmp_parsed(&pa, &pb))
}

/// Validates without allocating.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    parse(s)
        .map(drop)
        .map_err(|r| VersionError::new(Scheme::Nuget, s, r))
}

#[derive(Debug, Clone, Copy)]
struct Parsed<'a> {
    numbers: [u32; 4],
    labels: Option<&'a str>,
    metadata: Option<&'a str>,
}

/// .NET's number-parsing white space.
fn is_net_blank(c: u8) -> bool {
    c == b' ' || (b'\t'..=b'\r').contains(&c)
}

fn parse(input: &str) -> Result<Parsed<'_>, &'static str> {
    let s = input.trim();
    if s.is_empty() {
        return Err("version string is empty");
    }
    let (version, rest) = match s.find(['-', '+']) {
        Some(p) => (&s[..p], Some(&s[p..])),
        None => (s, None),
    };
    if version.is_empty() {
        return Err("version number is missing");
    }
    let mut labels = None;
    let mut metadata = None;
    if let Some(rest) = rest {
        let (l, m) = match rest.strip_prefix('-') {
            Some(after) => match after.split_once('+') {
                Some((l, m)) => (Some(l), Some(m)),
                None => (Some(after), None),
            },
            None => (None, Some(&rest[1..])),
        };
        if let Some(l) = l {
            for label in l.split('.') {
                if label.is_empty() {
                    return Err("empty release label");
                }
                if !label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    return Err("invalid character in release label");
                }
                if label.len() > 1 && label.starts_with('0') && is_digits(label) {
                    return Err("numeric release label has a leading zero");
                }
            }
            labels = Some(l);
        }
        if let Some(m) = m {
            for part in m.split('.') {
                if part.is_empty() {
                    return Err("empty metadata identifier");
                }
                if !part.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                    return Err("invalid character in metadata");
                }
            }
            metadata = Some(m);
        }
    }
    let mut numbers = [0u32; 4];
    for (count, part) in version.split('.').enumerate() {
        let Some(slot) = numbers.get_mut(count) else {
            return Err("more than four version numbers");
        };
        *slot = int_component(part)?;
    }
    Ok(Parsed {
        numbers,
        labels,
        metadata,
    })
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// A version number as .NET's `int.TryParse` reads it (blanks around, non-negative).
fn int_component(part: &str) -> Result<u32, &'static str> {
    let t = part.trim_matches(|c: char| c.is_ascii() && is_net_blank(c as u8));
    if !is_digits(t) {
        return Err("version number is not a number");
    }
    let significant = t.trim_start_matches('0');
    if significant.len() > 10 {
        return Err("version number is too large");
    }
    let value = significant
        .bytes()
        .fold(0u64, |v, c| v * 10 + u64::from(c - b'0'));
    if value > i32::MAX as u64 {
        return Err("version number is too large");
    }
    // Checked above: value <= i32::MAX.
    Ok(value as u32)
}

/// A label's value as .NET's `int.TryParse` reads it, if it does.
fn label_int(label: &str) -> Option<i64> {
    let (negative, digits) = match label.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, label),
    };
    if !is_digits(digits) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 10 {
        return None;
    }
    let magnitude = significant
        .bytes()
        .fold(0i64, |v, c| v * 10 + i64::from(c - b'0'));
    let value = if negative { -magnitude } else { magnitude };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&value)
        .then_some(value)
}

fn cmp_label(a: &str, b: &str) -> Ordering {
    match (label_int(a), label_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

fn cmp_parsed(a: &Parsed<'_>, b: &Parsed<'_>) -> Ordering {
    a.numbers
        .cmp(&b.numbers)
        .then_with(|| match (a.labels, b.labels) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => {
                let (mut p, mut q) = (x.split('.'), y.split('.'));
                loop {
                    match (p.next(), q.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(l), Some(r)) => {
                            let ord = cmp_label(l, r);
                            if ord != Ordering::Equal {
                                return ord;
                            }
                        }
                    }
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn order() {
        // NuGet's documented precedence ("Package versioning": pre-release labels, 4-part
        // versions, case-insensitive labels), written by hand.
        let sorted = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1",
            "1.10",
            "2.0.0.0-pre",
            "2",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(compare("1.0", "1.0.0.0").unwrap(), Equal);
        assert_eq!(compare("1", "1.0.0").unwrap(), Equal);
        assert_eq!(compare("01.002.0003", "1.2.3").unwrap(), Equal);
        assert_eq!(compare("1.0.0-BETA", "1.0.0-beta").unwrap(), Equal);
        assert_eq!(compare("1.0.0+build.1", "1.0.0+other").unwrap(), Equal);
        assert_eq!(compare("1.0.0-2", "1.0.0-10").unwrap(), Less);
        assert_eq!(compare("1.0.0--1", "1.0.0-0").unwrap(), Less);
        assert_eq!(compare("1.0.0-99999999999", "1.0.0-a").unwrap(), Less);
        assert_eq!(compare("1.0.0-99999999999", "1.0.0-2").unwrap(), Greater);
        assert_eq!(compare(" 1. 2 ", "1.2").unwrap(), Equal);
        let v: NugetVersion = "01.2-RC.1+x".parse().unwrap();
        assert_eq!(v.normalized(), "1.2.0-RC.1+x");
        let v: NugetVersion = "1.2.3.4".parse().unwrap();
        assert_eq!(v.normalized(), "1.2.3.4");
    }

    #[test]
    fn invalid() {
        for v in [
            "",
            "1.0.0.0.0",
            "a.b",
            "1.0-",
            "1.0-a..b",
            "1.0+",
            "1.0-a+",
            "-1.0",
            "1.0-01",
            "1.0-a_b",
            "2147483648.0",
            "1..0",
            "1.0.",
            "1.0\0",
        ] {
            assert!(compare(v, "1").is_err(), "{v:?}");
        }
        assert!(compare("2147483647.0", "1").is_ok());
        assert!(compare("1.0+01.a-b", "1").is_ok());
    }
}

//! Python package versions (PEP 440), as `packaging.version.Version` parses, normalises and
//! orders them.
//!
//! pip, PyPI and OSV's `PyPI` ecosystem all order versions with `packaging`; this module
//! reproduces its parser (the `VERSION_PATTERN` regular expression, matched in full after
//! stripping whitespace) and its comparison key, and is tested against `packaging` itself on
//! thousands of generated pairs (order and normal form).
//!
//! # Format
//!
//! ```text
//! [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
//! ```
//!
//! with everything `packaging` tolerates and normalises away:
//!
//! * surrounding whitespace (Python's `str.isspace` set), a leading `v`/`V`, any letter case;
//! * **epoch** `N!` (default 0);
//! * **release** `N(.N)*`: at least one number; trailing zeros do not matter for ordering
//!   (`1.0 == 1.0.0 == 1`);
//! * **pre-release**: `a`, `b`, `rc`, also spelled `alpha`, `beta`, `c`, `pre`, `preview`,
//!   optionally preceded and followed by one of `.`, `-`, `_`, with an optional number
//!   (implicitly 0): `1.0-ALPHA.1 == 1.0a1`, `1.0c == 1.0rc0`;
//! * **post-release**: `post`, also `rev` or `r`, with the same optional separators and
//!   number (`1.0-r == 1.0.post0`), or the implicit form `-N` (`1.0-1 == 1.0.post1`);
//! * **dev-release**: `dev` with the same optional separators and number;
//! * **local version** `+label`: alphanumeric segments separated by `.`, `-` or `_`
//!   (`1.0+ubuntu-1 == 1.0+ubuntu.1`).
//!
//! Anything else — including the "legacy" versions `packaging` rejects since version 22
//! (`2.0.0-final`, `0.3m1`, `2019-09-12`, `trunk`) — is an error. Numbers may be of any
//! length: they compare as digit strings (CPython's `int()` refuses more than 4300 digits,
//! which makes `packaging` raise `ValueError` there; this module has no such limit).
//!
//! # Ordering
//!
//! By epoch, then release (missing components count as 0), then:
//!
//! * a dev-release of a final release comes before its pre-releases
//!   (`1.0.dev0 < 1.0a0 < 1.0a0.post0.dev0 < 1.0a0.post0 < 1.0b0 < 1.0rc0 < 1.0`);
//! * pre-releases order `a < b < rc`, then by number, and all come before the release;
//! * a post-release comes after its release (`1.0 < 1.0.post0.dev0 < 1.0.post0 <
//!   1.0.post1`); a dev-release comes before the same version without `dev`;
//! * without a local label before with one (`1.0 < 1.0+0`); local segments compare one by
//!   one, numbers numerically, strings lexically (after lower-casing), a string below a
//!   number (`1.0+abc < 1.0+1`), a shorter label below a longer one it begins
//!   (`1.0+a < 1.0+a.1`).
//!
//! [`normalize`] gives `packaging`'s normal form (`str(Version(v))`); two versions compare
//! equal exactly when their normal forms, with trailing `.0` release components removed,
//! are equal.

use super::{Scheme, VersionError, cmp_digit_runs};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid PEP 440 version. Holds the original string.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    raw: String,
}

impl Pep440Version {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(Pep440Version { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The normal form, as `str(packaging.version.Version(v))` writes it.
    pub fn normalized(&self) -> String {
        parse(&self.raw).map_or_else(|_| self.raw.clone(), |p| p.normal_form())
    }

    /// Whether this is a pre-release or dev-release (`packaging`'s `is_prerelease`).
    pub fn is_prerelease(&self) -> bool {
        parse(&self.raw).is_ok_and(|p| p.pre.is_some() || p.dev.is_some())
    }
}

impl FromStr for Pep440Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pep440Version::parse(s)
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (parse(&self.raw), parse(&other.raw)) {
            (Ok(a), Ok(b)) => cmp_parsed(&a, &b),
            // Unreachable: both strings were validated.
            _ => self.raw.cmp(&other.raw),
        }
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as `packaging` sees it (`1.0 == 1.0.0 == v1.0`), consistent with [`Ord`].
impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

/// Compares two version strings like `packaging.version.Version`, without allocating. An
/// invalid string is an error (`a` is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse(a).map_err(|r| VersionError::new(Scheme::Pep440, a, r))?;
    let pb = parse(b).map_err(|r| VersionError::new(Scheme::Pep440, b, r))?;
    Ok(cmp_parsed(&pa, &pb))
}

/// Validates without allocating.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    parse(s)
        .map(drop)
        .map_err(|r| VersionError::new(Scheme::Pep440, s, r))
}

/// The normal form of a version string (`str(packaging.version.Version(s))`): `V1.0-ALPHA`
/// → `1.0a0`, `1!02.0.post` → `1!2.0.post0`, `1.0+Ubuntu-01` → `1.0+ubuntu.1`.
pub fn normalize(s: &str) -> Result<String, VersionError> {
    parse(s)
        .map(|p| p.normal_form())
        .map_err(|r| VersionError::new(Scheme::Pep440, s, r))
}

/// Pre-release kinds, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    A,
    B,
    Rc,
}

impl Pre {
    fn as_str(self) -> &'static str {
        match self {
            Pre::A => "a",
            Pre::B => "b",
            Pre::Rc => "rc",
        }
    }

    fn rank(self) -> i8 {
        match self {
            Pre::A => 0,
            Pre::B => 1,
            Pre::Rc => 2,
        }
    }
}

/// The spellings of the pre-release kinds, in the order the pattern tries them.
const PRE_WORDS: &[(&str, Pre)] = &[
    ("alpha", Pre::A),
    ("a", Pre::A),
    ("beta", Pre::B),
    ("b", Pre::B),
    ("preview", Pre::Rc),
    ("pre", Pre::Rc),
    ("c", Pre::Rc),
    ("rc", Pre::Rc),
];
const POST_WORDS: &[(&str, ())] = &[("post", ()), ("rev", ()), ("r", ())];
const DEV_WORDS: &[(&str, ())] = &[("dev", ())];

/// A parsed version, borrowing the digit strings (`""` for an implicit 0).
#[derive(Debug, Clone, Copy)]
struct Parsed<'a> {
    epoch: &'a str,
    release: &'a str,
    pre: Option<(Pre, &'a str)>,
    post: Option<&'a str>,
    dev: Option<&'a str>,
    local: Option<&'a str>,
}

/// Python's `str.isspace()`, which is also what `\s` matches in a `str` pattern: Unicode
/// `White_Space` plus the information separators U+001C..U+001F.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn is_sep(c: Option<&u8>) -> bool {
    matches!(c, Some(b'.' | b'-' | b'_'))
}

fn digits_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

fn alnum_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        i += 1;
    }
    i
}

/// The first of `words` (ASCII case-insensitively) that `rest` starts with.
fn match_word<T: Copy>(rest: &[u8], words: &[(&str, T)]) -> Option<(T, usize)> {
    words.iter().find_map(|&(w, t)| {
        let w = w.as_bytes();
        (rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w)).then_some((t, w.len()))
    })
}

/// An optional `[._-]word[._-]N` part at `i`: `(kind, number, end)`.
fn lettered<'a, T: Copy>(s: &'a str, i: usize, words: &[(&str, T)]) -> Option<(T, &'a str, usize)> {
    let b = s.as_bytes();
    let mut j = i;
    if is_sep(b.get(j)) {
        j += 1;
    }
    let (kind, len) = match_word(&b[j..], words)?;
    j += len;
    if is_sep(b.get(j)) {
        j += 1;
    }
    let end = digits_end(b, j);
    Some((kind, &s[j..end], end))
}

fn parse(input: &str) -> Result<Parsed<'_>, &'static str> {
    let s = input.trim_matches(is_py_space);
    if s.is_empty() {
        return Err("version string is empty");
    }
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b[0], b'v' | b'V'));

    let mut epoch = "";
    let d = digits_end(b, i);
    if d > i && b.get(d) == Some(&b'!') {
        epoch = &s[i..d];
        i = d + 1;
    }

    let release_start = i;
    i = digits_end(b, i);
    if i == release_start {
        return Err("not a PEP 440 version: the release number is missing");
    }
    while b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits_end(b, i + 1);
    }
    let release = &s[release_start..i];

    let mut pre = None;
    if let Some((kind, n, end)) = lettered(s, i, PRE_WORDS) {
        pre = Some((kind, n));
        i = end;
    }

    let mut post = None;
    if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let end = digits_end(b, i + 1);
        post = Some(&s[i + 1..end]);
        i = end;
    } else if let Some(((), n, end)) = lettered(s, i, POST_WORDS) {
        post = Some(n);
        i = end;
    }

    let mut dev = None;
    if let Some(((), n, end)) = lettered(s, i, DEV_WORDS) {
        dev = Some(n);
        i = end;
    }

    let mut local = None;
    if b.get(i) == Some(&b'+') {
        let start = i + 1;
        let mut j = alnum_end(b, start);
        if j == start {
            return Err("not a PEP 440 version: empty local version label");
        }
        while is_sep(b.get(j)) && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
            j = alnum_end(b, j + 1);
        }
        local = Some(&s[start..j]);
        i = j;
    }

    if i != b.len() {
        return Err("not a PEP 440 version");
    }
    Ok(Parsed {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// The decimal value of a digit string without leading zeros (`""`, `"00"` → `"0"`).
fn number(digits: &str) -> &str {
    let t = digits.trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

fn is_digits(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit())
}

fn local_segments(local: &str) -> impl Iterator<Item = &str> {
    local.split(['.', '-', '_'])
}

impl Parsed<'_> {
    fn normal_form(&self) -> String {
        let mut out = String::with_capacity(self.release.len() + 16);
        if number(self.epoch) != "0" {
            out.push_str(number(self.epoch));
            out.push('!');
        }
        for (k, n) in self.release.split('.').enumerate() {
            if k > 0 {
                out.push('.');
            }
            out.push_str(number(n));
        }
        if let Some((kind, n)) = self.pre {
            out.push_str(kind.as_str());
            out.push_str(number(n));
        }
        if let Some(n) = self.post {
            out.push_str(".post");
            out.push_str(number(n));
        }
        if let Some(n) = self.dev {
            out.push_str(".dev");
            out.push_str(number(n));
        }
        if let Some(local) = self.local {
            out.push('+');
            for (k, seg) in local_segments(local).enumerate() {
                if k > 0 {
                    out.push('.');
                }
                if is_digits(seg) {
                    out.push_str(number(seg));
                } else {
                    out.push_str(&seg.to_ascii_lowercase());
                }
            }
        }
        out
    }

    /// `packaging`'s suffix key `(pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)`.
    fn suffix(&self) -> (i8, &str, u8, &str, u8, &str) {
        let (pre_rank, pre_n) = match self.pre {
            None if self.post.is_none() && self.dev.is_some() => (-1, ""),
            None => (3, ""),
            Some((kind, n)) => (kind.rank(), n),
        };
        let (post_rank, post_n) = self.post.map_or((0, ""), |n| (1, n));
        let (dev_rank, dev_n) = self.dev.map_or((1, ""), |n| (0, n));
        (pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)
    }
}

fn cmp_parsed(a: &Parsed<'_>, b: &Parsed<'_>) -> Ordering {
    let digits = |x: &str, y: &str| cmp_digit_runs(x.as_bytes(), y.as_bytes());
    digits(a.epoch, b.epoch)
        .then_with(|| cmp_release(a.release, b.release))
        .then_with(|| {
            let (x, y) = (a.suffix(), b.suffix());
            x.0.cmp(&y.0)
                .then_with(|| digits(x.1, y.1))
                .then_with(|| x.2.cmp(&y.2))
                .then_with(|| digits(x.3, y.3))
                .then_with(|| x.4.cmp(&y.4))
                .then_with(|| digits(x.5, y.5))
        })
        .then_with(|| cmp_local(a.local, b.local))
}

/// Release segments, the shorter padded with zeros.
fn cmp_release(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        let (p, q) = (x.next(), y.next());
        if p.is_none() && q.is_none() {
            return Ordering::Equal;
        }
        let ord = cmp_digit_runs(p.unwrap_or("").as_bytes(), q.unwrap_or("").as_bytes());
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

fn cmp_local(a: Option<&str>, b: Option<&str>) -> Ordering {
    let (a, b) = match (a, b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Less,
        (Some(_), None) => return Ordering::Greater,
        (Some(a), Some(b)) => (a, b),
    };
    let (mut x, mut y) = (local_segments(a), local_segments(b));
    loop {
        let ord = match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match (is_digits(p), is_digits(q)) {
                (true, true) => cmp_digit_runs(p.as_bytes(), q.as_bytes()),
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => p
                    .bytes()
                    .map(|c| c.to_ascii_lowercase())
                    .cmp(q.bytes().map(|c| c.to_ascii_lowercase())),
            },
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn pep440_examples() {
        // The summary ordering example of PEP 440 ("Summary of permitted suffixes and
        // relative ordering"), plus epochs and local labels.
        let sorted = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn normal_forms() {
        for (v, n) in [
            ("1.0", "1.0"),
            (" V1.0-ALPHA.1\n", "1.0a1"),
            ("1.0c", "1.0rc0"),
            ("1.0-pre_2", "1.0rc2"),
            ("1.0preview", "1.0rc0"),
            ("1.0-1", "1.0.post1"),
            ("1.0-r", "1.0.post0"),
            ("1.0.rev-3", "1.0.post3"),
            ("1.0_dev", "1.0.dev0"),
            ("0!01.002", "1.2"),
            ("007!1", "7!1"),
            ("1.0.post0.dev0", "1.0.post0.dev0"),
            ("1.0+Ubuntu-01_x", "1.0+ubuntu.1.x"),
            ("1.0a.post.dev", "1.0a0.post0.dev0"),
        ] {
            assert_eq!(normalize(v).unwrap(), n, "{v:?}");
            assert_eq!(compare(v, n).unwrap(), Equal, "{v:?}");
        }
    }

    #[test]
    fn equalities() {
        assert_eq!(compare("1.0", "1.0.0").unwrap(), Equal);
        assert_eq!(compare("1", "1.0.0.0.0").unwrap(), Equal);
        assert_eq!(compare("1.0.dev0", "1.0a0").unwrap(), Less);
        assert_eq!(compare("1.0+local", "1.0").unwrap(), Greater);
        assert_eq!(compare("1.0+a", "1.0+A").unwrap(), Equal);
        assert_eq!(compare("1.0+1.a", "1.0+1-a").unwrap(), Equal);
        assert_eq!(compare("1.0+01", "1.0+1").unwrap(), Equal);
        assert_eq!(compare("1.0+a", "1.0+a.0").unwrap(), Less);
    }

    #[test]
    fn invalid() {
        for v in [
            "",
            " ",
            "v",
            "1.",
            ".1",
            "1..2",
            "1.0-",
            "1.0+",
            "1.0+a.",
            "1.0+a..b",
            "1.0a1a",
            "2.0.0-final",
            "0.3m1",
            "2019-09-12x",
            "trunk",
            "1.0 a",
            "1!",
            "1.0.post1-1",
            "\u{ff11}.0",
        ] {
            assert!(compare(v, "1").is_err(), "{v:?} should be invalid");
        }
    }
}

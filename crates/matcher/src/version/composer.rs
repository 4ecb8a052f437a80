//! Composer (Packagist) versions: composer/semver's `VersionParser::normalize`, then PHP's
//! `version_compare` on the normalised strings — what `Composer\Semver\Comparator` and
//! constraint matching do.
//!
//! # Normalisation
//!
//! [`normalize`] reproduces `VersionParser::normalize` (composer/semver 3.x):
//!
//! * surrounding `" \t\n\r\0\x0B"` is trimmed (PHP `trim`); an alias (`1.0.x-dev as 1.0.0`)
//!   keeps its left side; a stability flag (`@dev`, `@stable`, ...) is dropped;
//! * `master`, `trunk`, `default` and names starting with `dev-` are branches:
//!   `dev-<name>` (see below);
//! * build metadata (`+...`) is dropped;
//! * **classical versions** `[v]N[.N[.N[.N]]]` (first number of at most 5 digits) are padded
//!   to four numbers (`1.2` → `1.2.0.0`; leading zeros are kept) and take an optional
//!   stability suffix, separated by nothing or one of `.`, `_`, `-`: `alpha`/`a`,
//!   `beta`/`b`, `RC`, `patch`/`pl`/`p` (any case) with optional numbers (`-beta.2` →
//!   `-beta2`), and/or `dev`: `1.0.0-b2` → `1.0.0.0-beta2`, `1.0-rc` → `1.0.0.0-RC`,
//!   `2.1.3-p1` → `2.1.3.0-patch1`, `1.0-dev` → `1.0.0.0-dev`. The suffix
//!   `stable` (lower case) is dropped with everything after it; written in another case
//!   (`STABLE`) it is kept as `-stable` (composer/semver does exactly this);
//! * **date versions** `[v]YYYY[sep]MM...` (4 digits, then 1 to 6 groups of 2, then an
//!   optional group of 1 to 3, separators `.`, `:`, `-` optional) keep their digits and turn
//!   separators into `.` (`2010-01-02` → `2010.01.02`, `20100102` stays), with the same
//!   suffixes;
//! * **numeric branches** `[v]N[.N|x|*][...]` followed by `-dev`/`.dev`/`dev` become
//!   `N.N.N.N-dev` with `x`/`*` as `9999999` (`1.x-dev` → `1.9999999.9999999.9999999-dev`).
//!
//! Anything else is an error (`1.0.0.0.0`, `1.0-2`, `foo`, `1.0.0-foo`, `12345.6.7.8.9`).
//!
//! # Ordering
//!
//! PHP `version_compare` on the normalised strings: `-`, `_`, `+` become `.`, a `.` is
//! inserted between digits and non-digits, then parts compare one by one — numbers
//! numerically, words by rank `dev < alpha = a < beta = b < RC = rc < # < pl = p` (any
//! other word, such as `stable`, below `dev`; a number counts as `#`) — and when one side
//! runs out, the other's next part decides (a number: longer is greater; a word: compared
//! with `#`). So `1.0.0.0-dev < 1.0.0.0-alpha1 < 1.0.0.0-beta < 1.0.0.0-RC1 < 1.0.0.0 <
//! 1.0.0.0-patch1 < 1.0.0.1`, `1.0 == 1.0.0 == v1.0.0.0`.
//!
//! Branches (`dev-master`, `dev-feature/x`) have no order: Composer never matches them
//! against version constraints. Comparing a branch with anything but the same branch is an
//! error here.
//!
//! # Deviations
//!
//! PHP reads each numeric part with C `strtol`, which saturates at 2^63-1, so larger numbers
//! all compare equal in PHP; here numbers of any size compare exactly. Strings containing
//! ASCII control characters (after trimming) are rejected, where composer/semver's regular
//! expressions accept a few of them through quirks (a newline before `$`, a tab that
//! `normalizeBranch` trims); such strings do not occur in real data.

use super::{Scheme, VersionError, cmp_digit_runs};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid Composer version. Holds the original string.
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    raw: String,
}

impl ComposerVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(ComposerVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The normalised version (`1.2` → `1.2.0.0`), as [`normalize`] gives it.
    pub fn normalized(&self) -> String {
        norm(&self.raw).unwrap_or_else(|_| self.raw.clone())
    }

    /// Whether this is a branch (`dev-master`), which has no order.
    pub fn is_branch(&self) -> bool {
        self.normalized().starts_with("dev-")
    }
}

impl FromStr for ComposerVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ComposerVersion::parse(s)
    }
}

impl fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Validates a version string (branches are valid).
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    norm(s)
        .map(drop)
        .map_err(|r| VersionError::new(Scheme::Composer, s, r))
}

/// `VersionParser::normalize` (see the module documentation).
pub fn normalize(s: &str) -> Result<String, VersionError> {
    norm(s).map_err(|r| VersionError::new(Scheme::Composer, s, r))
}

/// Compares two versions: normalised, then PHP `version_compare`. An invalid string is an
/// error (`a` is checked first), and so is a branch compared with anything but itself.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let na = norm(a).map_err(|r| VersionError::new(Scheme::Composer, a, r))?;
    let nb = norm(b).map_err(|r| VersionError::new(Scheme::Composer, b, r))?;
    let (ba, bb) = (na.starts_with("dev-"), nb.starts_with("dev-"));
    if ba || bb {
        if na == nb {
            return Ok(Ordering::Equal);
        }
        let branch = if ba { a } else { b };
        return Err(VersionError::new(
            Scheme::Composer,
            branch,
            "a branch (dev-*) has no order relative to other versions",
        ));
    }
    Ok(version_compare(na.as_bytes(), nb.as_bytes()))
}

/// PHP `trim()`'s default characters.
fn is_php_trim(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{0b}')
}

const STABILITY_FLAGS: &[&str] = &["stable", "RC", "beta", "alpha", "dev"];
/// The stability words of `$modifierRegex`, in the order the pattern tries them.
const MODIFIERS: &[&str] = &[
    "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
];

fn starts_with_ci(s: &[u8], word: &str) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

fn digits_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

fn norm(input: &str) -> Result<String, &'static str> {
    let mut v = input.trim_matches(is_php_trim);
    if v.bytes().any(|c| c.is_ascii_control()) {
        return Err("control character in version");
    }
    if v.is_empty() {
        return Err("version string is empty");
    }
    // Alias: `^([^,\s]++) ++as ++([^,\s]++)$`.
    if let Some(left) = alias_source(v) {
        v = left;
    }
    // Stability flag: `@(?:stable|RC|beta|alpha|dev)$`, case-insensitively.
    if let Some(at) = v.rfind('@') {
        let flag = &v.as_bytes()[at + 1..];
        if STABILITY_FLAGS
            .iter()
            .any(|f| flag.eq_ignore_ascii_case(f.as_bytes()))
        {
            v = &v[..at];
        }
    }
    if matches!(v, "master" | "trunk" | "default") {
        return Ok(format!("dev-{v}"));
    }
    if starts_with_ci(v.as_bytes(), "dev-") {
        return Ok(format!("dev-{}", &v[4..]));
    }
    // Build metadata: `^([^,\s+]++)\+[^\s]++$`.
    if let Some(p) = v.find([',', ' ', '+'])
        && p > 0
        && v.as_bytes()[p] == b'+'
        && p + 1 < v.len()
        && !v[p + 1..].contains(' ')
    {
        v = &v[..p];
    }
    if let Some(n) = classical(v) {
        return Ok(n);
    }
    if let Some(n) = date(v) {
        return Ok(n);
    }
    // Numeric branches: `(.*?)[.-]?dev$`, then `normalizeBranch`.
    let b = v.as_bytes();
    if b.len() >= 3 && b[b.len() - 3..].eq_ignore_ascii_case(b"dev") {
        let mut end = b.len() - 3;
        if end > 0 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        if let Some(n) = numeric_branch(v[..end].trim_matches(is_php_trim)) {
            return Ok(n);
        }
    }
    Err("invalid version string")
}

fn alias_source(v: &str) -> Option<&str> {
    let p = v.find([',', ' '])?;
    if p == 0 || v.as_bytes()[p] != b' ' {
        return None;
    }
    let rest = v[p..].trim_start_matches(' ');
    if rest.len() == v.len() - p {
        return None;
    }
    let rest = rest.strip_prefix("as")?;
    let target = rest.trim_start_matches(' ');
    if target.len() == rest.len() || target.is_empty() || target.contains([',', ' ']) {
        return None;
    }
    Some(&v[..p])
}

/// The parsed `$modifierRegex` at the end of a version: `(word, numbers, dev)`.
struct Modifier<'a> {
    word: Option<(&'a str, &'a str)>,
    dev: bool,
}

/// Matches `[._-]?(?:(word)((?:[.-]?\d+)*+)?)?([.-]?dev)?$` against all of `s`.
fn modifier(s: &str) -> Option<Modifier<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'.' | b'_' | b'-')) {
        i = 1;
    }
    let mut word = None;
    if let Some(w) = MODIFIERS.iter().find(|w| starts_with_ci(&b[i..], w)) {
        let wstart = i;
        i += w.len();
        let nstart = i;
        loop {
            let j = if matches!(b.get(i), Some(b'.' | b'-')) {
                i + 1
            } else {
                i
            };
            let end = digits_end(b, j);
            if end == j {
                break;
            }
            i = end;
        }
        word = Some((&s[wstart..wstart + w.len()], &s[nstart..i]));
    }
    let mut dev = false;
    let j = if matches!(b.get(i), Some(b'.' | b'-')) {
        i + 1
    } else {
        i
    };
    if starts_with_ci(&b[j..], "dev") {
        i = j + 3;
        dev = true;
    }
    (i == b.len()).then_some(Modifier { word, dev })
}

/// Appends the normalised stability suffix (nothing after a lower-case `stable`).
fn with_modifier(mut version: String, m: &Modifier<'_>) -> String {
    if let Some((word, numbers)) = m.word {
        if word == "stable" {
            return version;
        }
        version.push('-');
        let lower = word.to_ascii_lowercase();
        version.push_str(match lower.as_str() {
            "a" => "alpha",
            "b" => "beta",
            "p" | "pl" => "patch",
            "rc" => "RC",
            other => other,
        });
        version.push_str(numbers.trim_start_matches(['.', '-']));
    }
    if m.dev {
        version.push_str("-dev");
    }
    version
}

/// `^v?(\d{1,5})(\.\d++)?(\.\d++)?(\.\d++)?{modifier}$`.
fn classical(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let start = usize::from(matches!(b.first(), Some(b'v' | b'V')));
    let end = digits_end(b, start);
    if end == start || end - start > 5 {
        return None;
    }
    let mut out = v[start..end].to_owned();
    let mut i = end;
    let mut parts = 1;
    while parts < 4 && b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let e = digits_end(b, i + 1);
        out.push_str(&v[i..e]);
        i = e;
        parts += 1;
    }
    let m = modifier(&v[i..])?;
    for _ in parts..4 {
        out.push_str(".0");
    }
    Some(with_modifier(out, &m))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?){modifier}$`.
fn date(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let start = usize::from(matches!(b.first(), Some(b'v' | b'V')));
    // The date part ends with a digit that a non-digit (or the end) follows; the modifier
    // cannot hold a digit before a letter, so at most one such end works.
    let limit = (start + 27).min(b.len());
    for end in (start + 6..=limit).rev() {
        if !b[end - 1].is_ascii_digit() || b.get(end).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        if !date_part(&b[start..end]) {
            continue;
        }
        if let Some(m) = modifier(&v[end..]) {
            let d: String = v[start..end]
                .chars()
                .map(|c| if c.is_ascii_digit() { c } else { '.' })
                .collect();
            return Some(with_modifier(d, &m));
        }
    }
    None
}

/// Whether all of `t` matches `\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?`.
fn date_part(t: &[u8]) -> bool {
    fn is_sep(c: u8) -> bool {
        matches!(c, b'.' | b':' | b'-')
    }
    fn digits(t: &[u8], n: usize) -> bool {
        t.len() >= n && t[..n].iter().all(u8::is_ascii_digit)
    }
    fn tail(t: &[u8]) -> bool {
        let t = match t.first() {
            Some(&c) if is_sep(c) => &t[1..],
            _ => t,
        };
        (1..=3).contains(&t.len()) && t.iter().all(u8::is_ascii_digit)
    }
    fn groups(t: &[u8], done: usize) -> bool {
        if done >= 1 && (t.is_empty() || tail(t)) {
            return true;
        }
        if done == 6 {
            return false;
        }
        if let Some(&c) = t.first()
            && is_sep(c)
            && digits(&t[1..], 2)
            && groups(&t[3..], done + 1)
        {
            return true;
        }
        digits(t, 2) && groups(&t[2..], done + 1)
    }
    t.len() <= 26 && digits(t, 4) && groups(&t[4..], 0)
}

/// `normalizeBranch` for a numeric branch: `^v?(\d++)(\.(?:\d++|[xX*]))?{0,3}$`.
fn numeric_branch(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let start = usize::from(matches!(b.first(), Some(b'v' | b'V')));
    let end = digits_end(b, start);
    if end == start {
        return None;
    }
    let mut out = name[start..end].to_owned();
    let mut i = end;
    let mut parts = 1;
    while parts < 4 && b.get(i) == Some(&b'.') {
        match b.get(i + 1) {
            Some(b'x' | b'X' | b'*') => {
                out.push_str(".9999999");
                i += 2;
            }
            Some(c) if c.is_ascii_digit() => {
                let e = digits_end(b, i + 1);
                out.push_str(&name[i..e]);
                i = e;
            }
            _ => return None,
        }
        parts += 1;
    }
    if i != b.len() {
        return None;
    }
    for _ in parts..4 {
        out.push_str(".9999999");
    }
    out.push_str("-dev");
    Some(out)
}

/// PHP's `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become `.`
/// (never two in a row), and a `.` separates digits from non-digits.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 2);
    let Some((&first, rest)) = v.split_first() else {
        return out;
    };
    out.push(first);
    let is_dig = |c: u8| c.is_ascii_digit();
    let is_ndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut lp = first;
    for &p in rest {
        let lq = out.last().copied().unwrap_or(0);
        if matches!(p, b'-' | b'_' | b'+') {
            if lq != b'.' {
                out.push(b'.');
            }
        } else if (is_ndig(lp) && is_dig(p)) || (is_dig(lp) && is_ndig(p)) {
            if lq != b'.' {
                out.push(b'.');
            }
            out.push(p);
        } else if !p.is_ascii_alphanumeric() {
            if lq != b'.' {
                out.push(b'.');
            }
        } else {
            out.push(p);
        }
        lp = p;
    }
    out
}

/// `compare_special_version_forms`: the rank of a word by its prefix; -1 for others.
fn special_form(form: &[u8]) -> i8 {
    const FORMS: &[(&[u8], i8)] = &[
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |&(_, order)| order)
}

const NUMBER_FORM: &[u8] = b"#N#";

fn cmp_parts(x: &[u8], y: &[u8]) -> Ordering {
    let dx = x.first().is_some_and(u8::is_ascii_digit);
    let dy = y.first().is_some_and(u8::is_ascii_digit);
    fn leading(s: &[u8]) -> &[u8] {
        let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
        &s[..n]
    }
    match (dx, dy) {
        (true, true) => cmp_digit_runs(leading(x), leading(y)),
        (false, false) => special_form(x).cmp(&special_form(y)),
        (true, false) => special_form(NUMBER_FORM).cmp(&special_form(y)),
        (false, true) => special_form(x).cmp(&special_form(NUMBER_FORM)),
    }
}

/// PHP's `php_version_compare`, with its tail recursion as a loop.
fn version_compare(a: &[u8], b: &[u8]) -> Ordering {
    let canon = |s: &[u8]| {
        if s.first() == Some(&b'#') {
            s.to_vec()
        } else {
            canonicalize(s)
        }
    };
    let (ca, cb) = (canon(a), canon(b));
    let (mut x, mut y): (&[u8], &[u8]) = (&ca, &cb);
    loop {
        if x.is_empty() || y.is_empty() {
            return (!x.is_empty()).cmp(&!y.is_empty());
        }
        let (mut p1, mut p2) = (0, 0);
        let (mut more1, mut more2) = (true, true);
        let mut ord = Ordering::Equal;
        while p1 < x.len() && p2 < y.len() && more1 && more2 {
            let n1 = x[p1..].iter().position(|&c| c == b'.').map(|k| p1 + k);
            let n2 = y[p2..].iter().position(|&c| c == b'.').map(|k| p2 + k);
            more1 = n1.is_some();
            more2 = n2.is_some();
            ord = cmp_parts(&x[p1..n1.unwrap_or(x.len())], &y[p2..n2.unwrap_or(y.len())]);
            if ord != Ordering::Equal {
                return ord;
            }
            if let Some(n) = n1 {
                p1 = n + 1;
            }
            if let Some(n) = n2 {
                p2 = n + 1;
            }
        }
        debug_assert_eq!(ord, Ordering::Equal);
        if more1 {
            if x.get(p1).is_some_and(u8::is_ascii_digit) {
                return Ordering::Greater;
            }
            // version_compare(rest of x, "#N#"); the rest is already canonical.
            x = &x[p1..];
            y = NUMBER_FORM;
        } else if more2 {
            if y.get(p2).is_some_and(u8::is_ascii_digit) {
                return Ordering::Less;
            }
            x = NUMBER_FORM;
            y = &y[p2..];
        } else {
            return Ordering::Equal;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn normalize_examples() {
        // Behaviour documented by composer/semver (its VersionParser tests' categories:
        // padding, stabilities, dates, branches, aliases, flags, metadata), written by hand.
        for (v, n) in [
            ("1.0.0", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("v1.0.0", "1.0.0.0"),
            ("V1.0", "1.0.0.0"),
            ("0", "0.0.0.0"),
            ("00.01.03.04", "00.01.03.04"),
            ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0-rc1", "1.0.0.0-RC1"),
            ("1.0.0-pl3-dev", "1.0.0.0-patch3-dev"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("0.4.0-beta.2", "0.4.0.0-beta2"),
            ("1.0.0-b2", "1.0.0.0-beta2"),
            ("1.0.0-alpha1", "1.0.0.0-alpha1"),
            ("1.0.0a1", "1.0.0.0-alpha1"),
            ("1.0.0-p1", "1.0.0.0-patch1"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0-stable-dev", "1.0.0.0"),
            ("1.0.0-STABLE", "1.0.0.0-stable"),
            ("1.0.0.", "1.0.0.0"),
            ("1.0.0-", "1.0.0.0"),
            ("2010.01", "2010.01.0.0"),
            ("2010.01.02", "2010.01.02.0"),
            ("2010-01-02", "2010.01.02"),
            ("2010-01-02.5", "2010.01.02.5"),
            ("20100102-203040", "20100102.203040"),
            ("20100102203040-10", "20100102203040.10"),
            ("2010-01-02-beta", "2010.01.02-beta"),
            ("123456", "123456"),
            ("123456.1", "123456.1"),
            ("1.0.0+foo", "1.0.0.0"),
            ("1.0.0-alpha.3.1+foo/-bar", "1.0.0.0-alpha3.1"),
            ("1.0.0-dev@dev", "1.0.0.0-dev"),
            ("1.0.0@stable", "1.0.0.0"),
            ("1.0.x-dev as 1.0.0", "1.0.9999999.9999999-dev"),
            ("dev-master", "dev-master"),
            ("master", "dev-master"),
            ("dev-Feature/Foo", "dev-Feature/Foo"),
            ("DEV-x", "dev-x"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("v2.*-dev", "2.9999999.9999999.9999999-dev"),
            ("2.0.X.x.dev", "2.0.9999999.9999999-dev"),
            ("  1.0.0\n", "1.0.0.0"),
        ] {
            assert_eq!(normalize(v).unwrap(), n, "{v:?}");
        }
        for v in [
            "",
            "a",
            "1.0.0-meh",
            "1.0.0.0.0",
            "1.0-2",
            "foo-dev",
            "12345.6.7.8.9",
            "1.0\tx",
            "feature-foo",
            "1.0.0+",
        ] {
            assert!(normalize(v).is_err(), "{v:?}");
        }
    }

    #[test]
    fn order() {
        let sorted = [
            "1.0.0-STABLE",
            "1.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha2",
            "1.0.0-beta",
            "1.0.0-RC1",
            "1.0.0-rc2",
            "1.0",
            "1.0.0-patch1",
            "1.0.0-p2",
            "1.0.0.1",
            "1.0.1-dev",
            "1.0.1",
            "1.x-dev",
            "2",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(compare("1.0", "v1.0.0.0").unwrap(), Equal);
        assert_eq!(compare("1.0.0-b1", "1.0.0-beta.1").unwrap(), Equal);
        assert_eq!(compare("01.0", "1.0").unwrap(), Equal);
        assert_eq!(compare("dev-master", "master").unwrap(), Equal);
        let e = compare("dev-master", "1.0").unwrap_err();
        assert_eq!(e.input(), "dev-master");
        assert!(compare("1.0", "dev-foo").is_err());
    }

    #[test]
    fn php_version_compare() {
        // Cases of PHP's version_compare documentation and tests (written by hand).
        let vc = |a: &str, b: &str| version_compare(a.as_bytes(), b.as_bytes());
        assert_eq!(vc("5.2", "5.2.0"), Less);
        assert_eq!(vc("1.0rc1", "1.0"), Less);
        assert_eq!(vc("1.0", "1.0.0"), Less);
        assert_eq!(vc("1.0-dev", "1.0a"), Less);
        assert_eq!(vc("1.0pl1", "1.0"), Greater);
        assert_eq!(vc("1.0", "1.0"), Equal);
        assert_eq!(vc("1", ""), Greater);
        assert_eq!(vc("", ""), Equal);
        assert_eq!(vc("1.0.0.0-stable", "1.0.0.0-dev"), Less);
        assert_eq!(vc("1-2", "1.2"), Equal);
        assert_eq!(vc("1.0b", "1.0beta"), Equal);
        assert_eq!(vc("1.#.#", "1"), Less);
    }
}

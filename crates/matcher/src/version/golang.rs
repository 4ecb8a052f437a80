//! Go module versions (and Go toolchain versions, for the standard library).
//!
//! Module versions follow `golang.org/x/mod/semver`, the package the `go` command orders
//! versions with: semantic versions with a `v` prefix. OSV's Go records write them without
//! the `v` (`1.2.3`), so the prefix is optional here.
//!
//! # Format
//!
//! ```text
//! version = [ "v" ] major [ "." minor [ "." patch [ "-" prerelease ] [ "+" build ] ] ]
//! ```
//!
//! * Numbers have no leading zeros (`v01.0.0` is invalid), pre-release and build identifiers
//!   follow SemVer 2.0.0 (see [`super::semver`]).
//! * The shorthands `v1` and `v1.2` mean `v1.0.0` and `v1.2.0` (x/mod/semver accepts them,
//!   without pre-release or build).
//! * `+incompatible` (a v2+ module without a `go.mod`) is build metadata: ignored for
//!   ordering, `v2.0.0+incompatible == v2.0.0`.
//! * Pseudo-versions — `v0.0.0-20191109021931-daa7c04131f5`,
//!   `v1.2.4-pre.0.20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5` —
//!   are ordinary pre-releases and order as such: below the release they precede, by
//!   timestamp among themselves. [`is_pseudo_version`] recognises them.
//! * Go toolchain versions, as the standard library is versioned (`go1.21.3`, `go1.22rc1`,
//!   `go1.20`, `go1.9.2rc2`, `go1.19beta1`, `go1`), are accepted too and compared as the
//!   semantic version [`toolchain_to_semver`] gives them (`1.21.3`, `1.22.0-rc.1`,
//!   `1.20.0`, `1.9.2-rc.2`, `1.19.0-beta.1`, `1.0.0`), which is how OSV's `stdlib` records
//!   are written. `go1.0` is not a Go version (there is only `go1`) and is an error.
//!
//! No whitespace is trimmed (the `go` command accepts none).
//!
//! # Ordering
//!
//! SemVer precedence: numbers numerically (any length), a pre-release below its release,
//! identifiers as in SemVer 2.0.0, build metadata ignored.

use super::semver::{self as sv, Parts};
use super::{Scheme, VersionError};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid Go module or toolchain version. Holds the original string.
#[derive(Debug, Clone)]
pub struct GoVersion {
    raw: String,
}

impl GoVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(GoVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The canonical module version, as x/mod/semver's `Canonical` writes it (with `v`,
    /// shorthands expanded, build metadata dropped): `v1.2.0` for `1.2`, `v2.0.0` for
    /// `v2.0.0+incompatible`, `v1.22.0-rc.1` for `go1.22rc1`.
    pub fn canonical(&self) -> String {
        match parse(&self.raw) {
            Ok(p) => {
                let mut out = format!("v{}.{}.{}", p.major, p.minor, p.patch);
                if !p.pre.is_empty() {
                    out.push('-');
                    out.push_str(&p.pre);
                }
                out
            }
            Err(_) => self.raw.clone(),
        }
    }
}

impl FromStr for GoVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GoVersion::parse(s)
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (parse(&self.raw), parse(&other.raw)) {
            (Ok(a), Ok(b)) => cmp(&a, &b),
            // Unreachable: both strings were validated.
            _ => self.raw.cmp(&other.raw),
        }
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality of precedence (`v1.2 == v1.2.0`, `v2.0.0+incompatible == v2.0.0`).
impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

/// Compares two Go versions. An invalid string is an error (`a` is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse(a).map_err(|r| VersionError::new(Scheme::Go, a, r))?;
    let pb = parse(b).map_err(|r| VersionError::new(Scheme::Go, b, r))?;
    Ok(cmp(&pa, &pb))
}

/// Validates a version string.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    parse(s)
        .map(drop)
        .map_err(|r| VersionError::new(Scheme::Go, s, r))
}

/// A parsed version; the pre-release is owned only for toolchain versions (`rc1` → `rc.1`).
#[derive(Debug)]
struct GoParts<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    pre: Cow<'a, str>,
}

fn cmp(a: &GoParts<'_>, b: &GoParts<'_>) -> Ordering {
    let pa = Parts {
        major: a.major,
        minor: a.minor,
        patch: a.patch,
        pre: &a.pre,
        build: "",
    };
    let pb = Parts {
        major: b.major,
        minor: b.minor,
        patch: b.patch,
        pre: &b.pre,
        build: "",
    };
    sv::cmp_parts(&pa, &pb)
}

fn parse(s: &str) -> Result<GoParts<'_>, &'static str> {
    if s.is_empty() {
        return Err("version string is empty");
    }
    if s.starts_with("go") {
        let t = parse_toolchain(s).ok_or("invalid Go toolchain version")?;
        return Ok(GoParts {
            major: t.major,
            minor: t.minor,
            patch: t.patch,
            pre: match t.pre {
                Some((kind, n)) => Cow::Owned(format!("{kind}.{n}")),
                None => Cow::Borrowed(""),
            },
        });
    }
    let v = s.strip_prefix('v').unwrap_or(s);
    let b = v.as_bytes();
    let mut i = 0;
    let major = number(v, &mut i)?;
    if i == b.len() {
        return Ok(short(major, "0"));
    }
    if b[i] != b'.' {
        return Err("expected '.' after the major version");
    }
    i += 1;
    let minor = number(v, &mut i)?;
    if i == b.len() {
        return Ok(short(major, minor));
    }
    if b[i] != b'.' {
        return Err("expected '.' after the minor version");
    }
    i += 1;
    let patch = number(v, &mut i)?;
    let mut pre = "";
    if b.get(i) == Some(&b'-') {
        let start = i + 1;
        let end = b[start..]
            .iter()
            .position(|&c| c == b'+')
            .map_or(b.len(), |p| start + p);
        pre = &v[start..end];
        sv::check_prerelease(pre)?;
        i = end;
    }
    if b.get(i) == Some(&b'+') {
        sv::check_build(&v[i + 1..])?;
        i = b.len();
    }
    if i != b.len() {
        return Err("unexpected character after the patch version");
    }
    Ok(GoParts {
        major,
        minor,
        patch,
        pre: Cow::Borrowed(pre),
    })
}

fn short<'a>(major: &'a str, minor: &'a str) -> GoParts<'a> {
    GoParts {
        major,
        minor,
        patch: "0",
        pre: Cow::Borrowed(""),
    }
}

/// A number without a leading zero.
fn number<'a>(s: &'a str, i: &mut usize) -> Result<&'a str, &'static str> {
    let b = s.as_bytes();
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    let n = &s[start..*i];
    if n.is_empty() {
        return Err("expected a version number");
    }
    if n.len() > 1 && n.starts_with('0') {
        return Err("version number has a leading zero");
    }
    Ok(n)
}

/// A parsed toolchain version: `go{major}.{minor}[.{patch}][{beta|rc|-pre}{n}]`.
struct Toolchain<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    pre: Option<(&'static str, &'a str)>,
}

fn parse_toolchain(s: &str) -> Option<Toolchain<'_>> {
    let rest = s.strip_prefix("go")?;
    if rest == "1" {
        return Some(Toolchain {
            major: "1",
            minor: "0",
            patch: "0",
            pre: None,
        });
    }
    let b = rest.as_bytes();
    let mut i = 0;
    let major = number(rest, &mut i).ok()?;
    if b.get(i) != Some(&b'.') {
        return None;
    }
    i += 1;
    let minor = number(rest, &mut i).ok()?;
    if major == "1" && minor == "0" {
        return None; // "go1.0" does not exist: the first release is "go1"
    }
    let mut patch = "0";
    if b.get(i) == Some(&b'.') {
        i += 1;
        patch = number(rest, &mut i).ok()?;
    }
    let tail = &rest[i..];
    let pre = if tail.is_empty() {
        None
    } else {
        let (kind, n) = if let Some(n) = tail.strip_prefix("beta") {
            ("beta", n)
        } else if let Some(n) = tail.strip_prefix("rc") {
            ("rc", n)
        } else if let Some(n) = tail.strip_prefix("-pre") {
            ("pre", n)
        } else {
            return None;
        };
        let mut j = 0;
        let n_digits = number(n, &mut j).ok()?;
        if j != n.len() {
            return None;
        }
        Some((kind, n_digits))
    };
    Some(Toolchain {
        major,
        minor,
        patch,
        pre,
    })
}

/// The semantic version (without `v`) of a Go toolchain version, as OSV's Go `stdlib` and
/// `toolchain` records write them: `go1.21.3` → `1.21.3`, `go1.20` → `1.20.0`,
/// `go1.22rc1` → `1.22.0-rc.1`, `go1.9.2rc2` → `1.9.2-rc.2`, `go1.19beta1` →
/// `1.19.0-beta.1`, `go1` → `1.0.0`. `None` for anything else (including `go1.0`, numbers
/// with leading zeros, and module versions).
pub fn toolchain_to_semver(s: &str) -> Option<String> {
    let t = parse_toolchain(s)?;
    let mut out = format!("{}.{}.{}", t.major, t.minor, t.patch);
    if let Some((kind, n)) = t.pre {
        out.push_str(&format!("-{kind}.{n}"));
    }
    Some(out)
}

/// Whether `v` is a Go pseudo-version (as x/mod/module's `IsPseudoVersion` decides, the `v`
/// being optional here): a valid version whose pre-release ends in
/// `[0.]yyyymmddhhmmss-<revision>` — `v0.0.0-20191109021931-daa7c04131f5`,
/// `v1.2.4-pre.0.20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`,
/// optionally with `+incompatible` (or other build metadata).
pub fn is_pseudo_version(v: &str) -> bool {
    if v.starts_with("go") {
        return false;
    }
    let Ok(p) = parse(v) else { return false };
    let pre: &str = &p.pre;
    if pre.is_empty() || v.matches('-').count() < 2 {
        return false;
    }
    // The last identifier: `yyyymmddhhmmss-<revision>`.
    let (head, last) = match pre.rsplit_once('.') {
        Some((h, l)) => (Some(h), l),
        None => (None, pre),
    };
    let Some((stamp, rev)) = last.split_once('-') else {
        return false;
    };
    if stamp.len() != 14
        || !stamp.bytes().all(|c| c.is_ascii_digit())
        || rev.is_empty()
        || !rev.bytes().all(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    // vX.0.0-yyyymmddhhmmss-rev, or vX.Y.Z-[pre.]0.yyyymmddhhmmss-rev.
    match head {
        None => p.minor == "0" && p.patch == "0",
        Some(h) => h == "0" || h.ends_with(".0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn module_versions() {
        let sorted = [
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101000000-000000000000",
            "v0.1.0",
            "v1.2.3-pre",
            "v1.2.3-pre.0.20191109021931-daa7c04131f5",
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "1.2.4",
            "v2.0.0+incompatible",
            "v2.0.1",
        ];
        for w in sorted.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(compare("v2.0.0+incompatible", "2.0.0").unwrap(), Equal);
        assert_eq!(compare("v1", "v1.0.0").unwrap(), Equal);
        assert_eq!(compare("v1.2", "1.2.0").unwrap(), Equal);
        let v: GoVersion = "v1.2".parse().unwrap();
        assert_eq!(v.canonical(), "v1.2.0");
    }

    #[test]
    fn toolchain() {
        for (t, s) in [
            ("go1.21.3", "1.21.3"),
            ("go1.22rc1", "1.22.0-rc.1"),
            ("go1.20", "1.20.0"),
            ("go1.9.2rc2", "1.9.2-rc.2"),
            ("go1.19beta1", "1.19.0-beta.1"),
            ("go1", "1.0.0"),
            ("go1.9-pre2", "1.9.0-pre.2"),
        ] {
            assert_eq!(toolchain_to_semver(t).as_deref(), Some(s), "{t}");
            assert_eq!(compare(t, s).unwrap(), Equal, "{t}");
        }
        for bad in [
            "go1.0",
            "go",
            "go1.",
            "go01.2",
            "go1.2rc",
            "go1.2rc01",
            "go1.2.3.4",
            "v1.2.3",
            "1.2.3",
            "go1.2 ",
        ] {
            assert_eq!(toolchain_to_semver(bad), None, "{bad}");
        }
        assert_eq!(compare("go1.21rc2", "go1.21.0").unwrap(), Less);
        assert_eq!(compare("go1.21rc2", "1.21.0-0").unwrap(), Greater);
        assert!(compare("go1.0", "1.0.0").is_err());
    }

    #[test]
    fn pseudo() {
        for p in [
            "v0.0.0-20191109021931-daa7c04131f5",
            "0.0.0-20191109021931-daa7c04131f5",
            "v1.2.4-pre.0.20191109021931-daa7c04131f5",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v2.0.1-0.20191109021931-daa7c04131f5+incompatible",
            "v2.0.0-20191109021931-daa7c04131f5",
        ] {
            assert!(is_pseudo_version(p), "{p}");
        }
        for p in [
            "v1.2.3",
            "v1.2.0-20191109021931-daa7c04131f5",
            "v1.2.4-pre.1.20191109021931-daa7c04131f5",
            "v1.2.4-0.2019110902193-daa7c04131f5",
            "go1.2",
        ] {
            assert!(!is_pseudo_version(p), "{p}");
        }
    }

    #[test]
    fn errors() {
        for (v, reason) in [
            ("", "version string is empty"),
            ("v", "expected a version number"),
            ("v01.2.3", "version number has a leading zero"),
            ("v1.2-pre", "expected '.' after the minor version"),
            (
                "v1.2.3-01",
                "numeric pre-release identifier has a leading zero",
            ),
            ("v1.2.3.4", "unexpected character after the patch version"),
            (" v1.2.3", "expected a version number"),
            ("go1.0", "invalid Go toolchain version"),
            ("latest", "expected a version number"),
        ] {
            assert_eq!(compare(v, "v1").unwrap_err().reason(), reason, "{v:?}");
        }
    }
}

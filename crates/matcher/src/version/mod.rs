//! Exact version comparison, one scheme per package ecosystem.
//!
//! A vulnerability matcher is only as right as its version comparison: "is the installed
//! version below the fixed one?" must be answered exactly as the distribution's own package
//! manager answers it, or findings are missed or invented. Each scheme here reproduces one
//! package manager's algorithm, and is tested against that package manager wherever it runs
//! in the test environment (Go's and NuGet's against their documented behaviour and the
//! real OSV feeds):
//!
//! | scheme | namespaces | reference |
//! |---|---|---|
//! | [`Scheme::Dpkg`] ([`dpkg`]) | `debian:*`, `ubuntu:*` | dpkg's `lib/dpkg/version.c` + `parseversion`; tested against `dpkg --compare-versions` |
//! | [`Scheme::Apk`] ([`apk`]) | `alpine:*` | apk-tools 2.x `src/version.c` (token-based comparison); tested with apk-tools' own test table and the real secdb |
//! | [`Scheme::Rpm`] ([`rpm`]) | `rhel`, `centos`, `rocky`, `almalinux`, `ol`, `amzn`, `fedora`, `sles`, `opensuse*`, `azurelinux`, `mariner`, `photon` | rpm 4.18 `rpmverCmp`/`rpmvercmp` (epoch, `~`, `^`); tested against the real `rpm` |
//! | [`Scheme::Pep440`] ([`pep440`]) | `pypi` | Python `packaging.version.Version` (parse, normal form, order); tested against `packaging` |
//! | [`Scheme::Semver`] ([`semver`]) | `npm`, `crates.io` | SemVer 2.0.0 precedence, node-semver's strict grammar; tested against node-semver's `semver.compare` |
//! | [`Scheme::Go`] ([`golang`]) | `go` | `golang.org/x/mod/semver` (`v` optional, shorthands, `+incompatible`, pseudo-versions) and Go toolchain versions (`go1.22rc1`) |
//! | [`Scheme::Maven`] ([`maven`]) | `maven` | maven-artifact 3.9 `ComparableVersion`; tested against its jar (optional test) |
//! | [`Scheme::Gem`] ([`gem`]) | `rubygems` | RubyGems `Gem::Version#<=>`; tested against Ruby's RubyGems (optional test) |
//! | [`Scheme::Composer`] ([`composer`]) | `packagist` | composer/semver `VersionParser::normalize`, then PHP `version_compare`; tested against both (optional test) |
//! | [`Scheme::Nuget`] ([`nuget`]) | `nuget` | NuGet.Versioning `NuGetVersion` and its default `VersionComparer` |
//!
//! Invalid version strings are errors ([`VersionError`]), never panics and never a silent
//! guess: callers decide what an unparseable version means for a finding. Every input,
//! however long or odd (huge digit runs, control characters, non-ASCII), is handled in time
//! linear in its length, without overflow.
//!
//! ```
//! use drydock_matcher::version::Scheme;
//! use std::cmp::Ordering;
//!
//! let dpkg = Scheme::for_namespace("debian:12").unwrap();
//! assert_eq!(dpkg.compare("1.0~rc1-1", "1.0-1").unwrap(), Ordering::Less);
//! let apk = Scheme::for_namespace("alpine:3.20").unwrap();
//! assert_eq!(apk.compare("1.0_rc1-r0", "1.0-r0").unwrap(), Ordering::Less);
//! assert!(apk.compare("1.0-1", "1.0").is_err());
//! let pypi = Scheme::for_namespace("pypi").unwrap();
//! assert_eq!(pypi.compare("1.0.dev0", "1.0a0").unwrap(), Ordering::Less);
//! let maven = Scheme::for_namespace("maven").unwrap();
//! assert_eq!(maven.compare("2.0.0.Final", "2.0.0").unwrap(), Ordering::Equal);
//! assert!(Scheme::Semver.compare("1.2", "1.2.0").is_err());
//! ```

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod gem;
pub mod golang;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod semver;

pub use apk::ApkVersion;
pub use composer::ComposerVersion;
pub use dpkg::DebVersion;
pub use gem::GemVersion;
pub use golang::GoVersion;
pub use maven::MavenVersion;
pub use nuget::NugetVersion;
pub use pep440::Pep440Version;
pub use rpm::RpmVersion;
pub use semver::SemVersion;

use std::cmp::Ordering;
use std::fmt;

/// A version comparison scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// Debian/Ubuntu package versions, `[epoch:]upstream[-revision]`, compared like dpkg.
    Dpkg,
    /// Alpine package versions, `1.2.3a_rc1_p2-r4`, compared like apk-tools.
    Apk,
    /// RPM versions, `[epoch:]version[-release]`, compared like rpm's `rpmverCmp`.
    Rpm,
    /// Python package versions (PEP 440), compared like `packaging.version.Version`.
    Pep440,
    /// Semantic Versioning 2.0.0 (npm, crates.io).
    Semver,
    /// Go module versions (`v1.2.3`, pseudo-versions) and Go toolchain versions (`go1.21.3`).
    Go,
    /// Maven versions, compared like maven-artifact's `ComparableVersion`.
    Maven,
    /// RubyGems versions, compared like `Gem::Version`.
    Gem,
    /// Composer (Packagist) versions: composer/semver normalisation, PHP `version_compare`.
    Composer,
    /// NuGet versions, compared like `NuGetVersion`.
    Nuget,
}

impl Scheme {
    /// Compares two version strings in this scheme. An invalid string (either side) is an
    /// error; `a` is checked first, so the error names `a` when both are invalid.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Semver => semver::compare(a, b),
            Scheme::Go => golang::compare(a, b),
            Scheme::Maven => maven::compare(a, b),
            Scheme::Gem => gem::compare(a, b),
            Scheme::Composer => composer::compare(a, b),
            Scheme::Nuget => nuget::compare(a, b),
        }
    }

    /// Checks that `v` is a valid version string in this scheme.
    pub fn validate(self, v: &str) -> Result<(), VersionError> {
        match self {
            Scheme::Dpkg => dpkg::check(v),
            Scheme::Apk => apk::check(v),
            Scheme::Rpm => rpm::check(v),
            Scheme::Pep440 => pep440::check(v),
            Scheme::Semver => semver::check(v),
            Scheme::Go => golang::check(v),
            Scheme::Maven => maven::check(v),
            Scheme::Gem => gem::check(v),
            Scheme::Composer => composer::check(v),
            Scheme::Nuget => nuget::check(v),
        }
    }

    /// The scheme of a normalised namespace (`debian:12`, `ubuntu:22.04`, `alpine:3.20`,
    /// `alpine:edge`; a bare `debian` also works), or of a language ecosystem namespace
    /// (`pypi`, `npm`, `crates.io`, `go`, `maven`, `rubygems`, `packagist`, `nuget`). Names
    /// are matched without regard to ASCII case. `None` for namespaces whose scheme is not
    /// implemented here.
    pub fn for_namespace(ns: &str) -> Option<Scheme> {
        if let Some(&(_, scheme)) = LANGUAGE_NAMESPACES
            .iter()
            .find(|(name, _)| ns.eq_ignore_ascii_case(name))
        {
            return Some(scheme);
        }
        let distro = ns.split_once(':').map_or(ns, |(d, _)| d);
        if distro.eq_ignore_ascii_case("debian") || distro.eq_ignore_ascii_case("ubuntu") {
            Some(Scheme::Dpkg)
        } else if distro.eq_ignore_ascii_case("alpine") {
            Some(Scheme::Apk)
        } else if RPM_DISTROS.iter().any(|d| distro.eq_ignore_ascii_case(d)) {
            Some(Scheme::Rpm)
        } else {
            None
        }
    }

    /// Short lowercase name: `dpkg`, `apk`, `rpm`, `pep440`, `semver`, `go`, `maven`, `gem`,
    /// `composer`, `nuget`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Pep440 => "pep440",
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::Gem => "gem",
            Scheme::Composer => "composer",
            Scheme::Nuget => "nuget",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Language-ecosystem namespaces (whole names, as the DB spells them) and their schemes.
const LANGUAGE_NAMESPACES: &[(&str, Scheme)] = &[
    ("pypi", Scheme::Pep440),
    ("npm", Scheme::Semver),
    ("crates.io", Scheme::Semver),
    ("go", Scheme::Go),
    ("maven", Scheme::Maven),
    ("rubygems", Scheme::Gem),
    ("packagist", Scheme::Composer),
    ("nuget", Scheme::Nuget),
];

/// Distributions (namespace prefixes) whose packages are RPMs.
const RPM_DISTROS: &[&str] = &[
    "rhel",
    "centos",
    "rocky",
    "almalinux",
    "ol",
    "amzn",
    "fedora",
    "sles",
    "opensuse",
    "opensuse-leap",
    "opensuse-tumbleweed",
    "azurelinux",
    "mariner",
    "photon",
];

/// Longest prefix of an offending input kept in a [`VersionError`] (hostile inputs can be
/// megabytes long; the error only needs to identify them).
const MAX_ERROR_INPUT: usize = 200;

/// An invalid version string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct VersionError {
    scheme: Scheme,
    input: String,
    truncated: bool,
    reason: &'static str,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ellipsis = if self.truncated { "…" } else { "" };
        write!(
            f,
            "invalid {} version {:?}{}: {}",
            self.scheme, self.input, ellipsis, self.reason
        )
    }
}

impl VersionError {
    pub(crate) fn new(scheme: Scheme, input: &str, reason: &'static str) -> Self {
        let mut end = input.len().min(MAX_ERROR_INPUT);
        while !input.is_char_boundary(end) {
            end -= 1;
        }
        VersionError {
            scheme,
            input: input[..end].to_owned(),
            truncated: end < input.len(),
            reason,
        }
    }

    /// The scheme whose rules the input broke.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The offending input, cut to its first 200 bytes (see [`Self::is_truncated`]).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Whether [`Self::input`] was cut.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Why it is invalid. For dpkg these are dpkg's own messages (`epoch in version is
    /// empty`, `revision number is empty`, ...).
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// Compares two runs of ASCII digits by numeric value, without converting them to integers
/// (so runs of any length work): leading zeros are ignored, then the longer run is larger,
/// then the first differing digit decides.
pub(crate) fn cmp_digit_runs(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_leading_zeros(a);
    let b = strip_leading_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_leading_zeros(s: &[u8]) -> &[u8] {
    let nz = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[nz..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces() {
        assert_eq!(Scheme::for_namespace("debian:12"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::for_namespace("ubuntu:22.04"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::for_namespace("debian"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::for_namespace("Debian:bookworm"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::for_namespace("alpine:3.20"), Some(Scheme::Apk));
        assert_eq!(Scheme::for_namespace("alpine:edge"), Some(Scheme::Apk));
        assert_eq!(Scheme::for_namespace("almalinux:9"), Some(Scheme::Rpm));
        assert_eq!(Scheme::for_namespace("azurelinux:3.0"), Some(Scheme::Rpm));
        assert_eq!(Scheme::for_namespace("sles:15.5"), Some(Scheme::Rpm));
        assert_eq!(Scheme::for_namespace("amzn:2023"), Some(Scheme::Rpm));
        assert_eq!(Scheme::for_namespace("pypi"), Some(Scheme::Pep440));
        assert_eq!(Scheme::for_namespace("PyPI"), Some(Scheme::Pep440));
        assert_eq!(Scheme::for_namespace("npm"), Some(Scheme::Semver));
        assert_eq!(Scheme::for_namespace("crates.io"), Some(Scheme::Semver));
        assert_eq!(Scheme::for_namespace("go"), Some(Scheme::Go));
        assert_eq!(Scheme::for_namespace("maven"), Some(Scheme::Maven));
        assert_eq!(Scheme::for_namespace("rubygems"), Some(Scheme::Gem));
        assert_eq!(Scheme::for_namespace("packagist"), Some(Scheme::Composer));
        assert_eq!(Scheme::for_namespace("nuget"), Some(Scheme::Nuget));
        assert_eq!(Scheme::for_namespace("pypi:extra"), None);
        assert_eq!(Scheme::for_namespace("golang"), None);
        assert_eq!(Scheme::for_namespace("cratesio"), None);
        assert_eq!(Scheme::for_namespace("debianish:1"), None);
        assert_eq!(Scheme::for_namespace(""), None);
    }

    #[test]
    fn digit_runs() {
        assert_eq!(cmp_digit_runs(b"", b"0"), Ordering::Equal);
        assert_eq!(cmp_digit_runs(b"007", b"7"), Ordering::Equal);
        assert_eq!(cmp_digit_runs(b"10", b"9"), Ordering::Greater);
        assert_eq!(cmp_digit_runs(b"0012", b"013"), Ordering::Less);
        let big = "9".repeat(10_000);
        let bigger = format!("1{}", "0".repeat(10_000));
        assert_eq!(
            cmp_digit_runs(big.as_bytes(), bigger.as_bytes()),
            Ordering::Less
        );
    }

    #[test]
    fn error_truncates_long_input() {
        let long = "é".repeat(500);
        let e = VersionError::new(Scheme::Apk, &long, "x");
        assert!(e.is_truncated());
        assert!(e.input().len() <= MAX_ERROR_INPUT);
        assert!(e.to_string().ends_with("…: x"));
        let short = VersionError::new(Scheme::Dpkg, "a b", "version string has embedded spaces");
        assert_eq!(
            short.to_string(),
            "invalid dpkg version \"a b\": version string has embedded spaces"
        );
    }
}

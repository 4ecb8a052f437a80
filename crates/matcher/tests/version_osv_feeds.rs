//! Every version string of the real OSV feeds in `../shared` must parse in its ecosystem's
//! scheme, except an exact, documented list.
//!
//! Collected per feed: `affected[].ranges[].events[]` values (`introduced`, `fixed`,
//! `last_affected`, `limit`; not the `"0"` lower bound) of `ECOSYSTEM` and `SEMVER` ranges,
//! and `affected[].versions[]`, for the affected packages of the given ecosystem.

mod version_support;

use drydock_matcher::version::Scheme;
use std::collections::BTreeSet;

/// The distinct version strings of `zip` (under `feeds/osv/`) for `ecosystem`, and those
/// that `scheme` rejects.
fn failures(zip: &str, ecosystem: &str, scheme: Scheme) -> (usize, Vec<String>) {
    let path = version_support::shared_dir().join("feeds/osv").join(zip);
    let all: BTreeSet<String> = version_support::osv_versions(&path, ecosystem)
        .into_iter()
        .flatten()
        .collect();
    let bad: Vec<String> = all
        .iter()
        .filter(|v| scheme.validate(v).is_err())
        .cloned()
        .collect();
    eprintln!(
        "{zip} {ecosystem} ({scheme}): {} distinct versions, {} fail to parse",
        all.len(),
        bad.len()
    );
    (all.len(), bad)
}

fn assert_failures(zip: &str, ecosystem: &str, scheme: Scheme, min: usize, expected: &[&str]) {
    let (count, bad) = failures(zip, ecosystem, scheme);
    assert!(count >= min, "{zip} {ecosystem}: only {count} versions");
    assert_eq!(
        bad, expected,
        "{zip} {ecosystem}: unexpected parse failures"
    );
}

/// PyPI: 13,064 distinct versions. The 77 failures are versions that are not PEP 440 (and
/// that Python's `packaging` rejects too, since version 22 dropped "legacy" versions): 75
/// only in `versions[]` lists (old releases on PyPI under non-PEP 440 names), 2 in ranges
/// (`0.2.0-n653`, fixed of PYSEC-2021-371; `2019-09-12`, fixed of PYSEC-2019-125).
#[test]
fn pypi() {
    assert_failures(
        "PyPI/all.zip",
        "PyPI",
        Scheme::Pep440,
        13_000,
        &[
            "-class.-jw.util.version.Version-",
            "0.1-bulbasaur",
            "0.1-charmander",
            "0.2.0-n653",
            "0.3.1-p1",
            "0.3.2d",
            "0.3.2d.dev",
            "0.3.2e.dev",
            "0.3.2f",
            "0.3.2f.dev",
            "0.3.2g.dev",
            "0.3m1",
            "0.3m2",
            "0.3m3",
            "0.3m4",
            "0.3m5",
            "0.4.0-p1",
            "0.4m1",
            "0.4m2",
            "0.4m3",
            "0.4m4",
            "0.4m5",
            "0.5m1",
            "0.5m2",
            "0.5m3",
            "0.5m4",
            "0.5m5",
            "0.6m1",
            "0.6m2",
            "0.6m3",
            "0.6m4",
            "0.6m5",
            "0.6m6",
            "0.7.0d",
            "0.7.1.fix1",
            "0.7.10p1",
            "0.7.11p1",
            "0.7.11p2",
            "0.7.11p3",
            "0.7.4.svn.r2010",
            "0.8.1p1",
            "0.8.3p1",
            "0.8.4p1",
            "0.8.4p2",
            "0.8.6p1",
            "0.8.7p1",
            "0.9-doduo",
            "0.9-eevee",
            "0.9-fearow",
            "0.9-gyarados",
            "0.9-horsea",
            "0.9-ivysaur",
            "1.0beta6.1",
            "2.0.0-final",
            "2.0.1rc2-git",
            "2013-01-21T20:33:09+0100",
            "2013-01-23T17:11:52+0100",
            "2013-02-01T20:50:46+0100",
            "2013-02-02T19:59:03+0100",
            "2013-02-02T20:23:17+0100",
            "2013-02-08T17:40:57+0000",
            "2013-03-27T16:32:26+0100",
            "2013-05-09T12:47:53+0200",
            "2013-05-10T17:55:56+0200",
            "2013-05-14T20:16:05+0200",
            "2013-06-01T10:32:51+0200",
            "2013-07-19T09:11:08+0000",
            "2013-08-12T21:48:56+0200",
            "2013-09-11T19-27-10",
            "2013-12-23T17-51-15",
            "2014-01-12T15-52-10",
            "2019-09-12",
            "3.0.0b3-",
            "4.11-final",
            "5.0-final",
            "a3",
            "trunk",
        ],
    );
}

/// Go: module versions (`1.2.3`, pseudo-versions) and the standard library's, all valid.
#[test]
fn go() {
    assert_failures("Go/all.zip", "Go", Scheme::Go, 2_400, &[]);
}

/// crates.io (RustSec): all valid SemVer.
#[test]
fn crates_io() {
    assert_failures("crates.io/all.zip", "crates.io", Scheme::Semver, 600, &[]);
}

/// Maven (subset): every string is a Maven version.
#[test]
fn maven() {
    assert_failures("Maven/subset.zip", "Maven", Scheme::Maven, 3_500, &[]);
}

/// The other ecosystems' records recorded with the Maven subset, and the mixed sample.
/// Failures: `branch-v0.1.1`, a `versions[]` entry of the osv-scanner test record
/// TEST-2026-21 (a Git-ranged Go package: a branch name, not a version); `0.1` and `0.2`,
/// the SEMVER range of GHSA-wcg3-cvx6-7396 (crate `time`) written without patch numbers —
/// not SemVer, so the matcher reports them instead of guessing.
#[test]
fn other_ecosystems_in_the_samples() {
    assert_failures("Maven/subset.zip", "RubyGems", Scheme::Gem, 100, &[]);
    assert_failures("Maven/subset.zip", "NuGet", Scheme::Nuget, 15, &[]);
    assert_failures("Maven/subset.zip", "PyPI", Scheme::Pep440, 30, &[]);
    let mixed = "_samples/mixed-ecosystems.zip";
    assert_failures(mixed, "NuGet", Scheme::Nuget, 30, &[]);
    assert_failures(mixed, "Packagist", Scheme::Composer, 30, &[]);
    assert_failures(mixed, "PyPI", Scheme::Pep440, 30, &[]);
    assert_failures(mixed, "Go", Scheme::Go, 25, &["branch-v0.1.1"]);
    assert_failures(mixed, "crates.io", Scheme::Semver, 25, &["0.1", "0.2"]);
}

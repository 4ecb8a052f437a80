//! Helpers shared by the integration tests.
#![allow(dead_code)]

use drydock_policy::Date;
use drydock_report::Report;
use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `../shared` (real data), or `$DRYDOCK_SHARED`.
pub fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

pub fn sample_path(name: &str) -> PathBuf {
    repo().join("docs/samples").join(name)
}

pub fn sample_json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(sample_path(name)).expect("sample report");
    serde_json::from_str(&text).expect("sample JSON")
}

pub fn report_from(v: serde_json::Value) -> Report {
    serde_json::from_value(v).expect("a Report")
}

/// `docs/samples/report.json`: a real scan of Alpine 3.20.3 (56 findings, 27 CVEs).
pub fn alpine_report() -> Report {
    report_from(sample_json("report.json"))
}

/// `docs/samples/debian-bookworm-secrets.json`: a real scan of a Debian image with planted
/// secrets (12 secrets, misconfigurations DD-IMG-001 and DD-IMG-004, no findings).
pub fn secrets_report() -> Report {
    report_from(sample_json("debian-bookworm-secrets.json"))
}

pub fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d).expect("date")
}

/// The day the tests evaluate on (never the wall clock).
pub fn today() -> Date {
    date(2026, 6, 1)
}

pub fn example(name: &str) -> PathBuf {
    repo().join("examples/policies").join(name)
}

/// Read the members of a `.tar.gz` whose path ends with one of `suffixes`.
pub fn tar_members(archive: &std::path::Path, suffixes: &[&str]) -> Vec<(String, String)> {
    use std::io::Read;
    let f = std::fs::File::open(archive).expect("archive");
    let mut t = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for e in t.entries().expect("entries") {
        let mut e = e.expect("entry");
        let path = e.path().expect("path").display().to_string();
        if suffixes.iter().any(|s| path.ends_with(s)) {
            let mut s = String::new();
            e.read_to_string(&mut s).expect("text");
            out.push((path, s));
        }
    }
    out.sort();
    out
}

//! OSV zips (`osv/<Ecosystem>/*.zip`, one `<id>.json` per advisory, as in the OSV bucket's
//! `<Ecosystem>/all.zip`) and loose OSV records (`osv/<folder>/*.json`).
//!
//! Entries are read one at a time from the archive with a per-entry size cap (zip-bomb guard).
//! A zip that cannot be opened or whose entries fail to decompress (truncated, corrupt) is an
//! error naming the file; a JSON entry that does not parse is a warning.

use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};

use serde::Deserialize;

use super::null_default;
use crate::build::{Ctx, FeedReport, newer_date};
use crate::cvss;
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity, SeverityRating};
use crate::namespace::{normalize_osv_ecosystem, normalize_package_name};
use crate::sink::VulnFacts;

#[derive(Debug, Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    upstream: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    related: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_default")]
    affected: Vec<Affected>,
    #[serde(default, deserialize_with = "null_default")]
    references: Vec<Reference>,
    #[serde(default)]
    database_specific: Option<Specific>,
}

#[derive(Debug, Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(default)]
    url: Option<String>,
}

/// The parts of `database_specific` / `ecosystem_specific` used here.
#[derive(Debug, Default, Deserialize)]
struct Specific {
    #[serde(default)]
    severity: Option<serde_json::Value>,
    /// Debian OSV records: the tracker urgency.
    #[serde(default)]
    urgency: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Affected {
    #[serde(default)]
    package: Option<Package>,
    #[serde(default, deserialize_with = "null_default")]
    ranges: Vec<OsvRange>,
    #[serde(default, deserialize_with = "null_default")]
    versions: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    ecosystem_specific: Option<Specific>,
    #[serde(default)]
    database_specific: Option<Specific>,
}

#[derive(Debug, Deserialize)]
struct Package {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "null_default")]
    events: Vec<Event>,
}

#[derive(Debug, Default, Deserialize)]
struct Event {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

/// Id prefixes of distro advisories (as opposed to vulnerability ids).
const DISTRO_ADVISORY_PREFIXES: &[&str] = &[
    "ALSA-",
    "ALBA-",
    "ALEA-",
    "RLSA-",
    "RXSA-",
    "RHSA-",
    "RHBA-",
    "RHEA-",
    "ELSA-",
    "DSA-",
    "DLA-",
    "DTSA-",
    "USN-",
    "LSN-",
    "SUSE-",
    "openSUSE-",
    "ALAS",
    "MGASA-",
];

/// Pair OSV events into ranges: each `introduced` opens a range closed by the next
/// `fixed`/`last_affected`/`limit`. A terminator with no open range gets `introduced: None`.
fn pair_events(events: &[Event]) -> Vec<Range> {
    let mut out = Vec::new();
    let mut open: Option<Range> = None;
    for e in events {
        if let Some(i) = &e.introduced {
            if let Some(r) = open.take() {
                out.push(r);
            }
            open = Some(Range {
                introduced: Some(i.clone()),
                ..Range::default()
            });
        }
        if e.fixed.is_some() || e.last_affected.is_some() || e.limit.is_some() {
            let mut r = open.take().unwrap_or_default();
            r.fixed = e.fixed.clone();
            r.last_affected = e.last_affected.clone();
            r.limit = e.limit.clone();
            out.push(r);
        }
    }
    if let Some(r) = open {
        out.push(r);
    }
    out
}

/// A textual severity (`HIGH`, `MODERATE`, `medium`, Debian urgencies).
fn text_severity(v: &serde_json::Value) -> Option<Severity> {
    let s = v.as_str()?;
    Severity::parse(s.trim_end_matches('*')).or_else(|| super::debian_urgency(s))
}

/// Severities an OSV `severity[]` list states, with the CVSS vector when there is one.
fn ratings(list: &[OsvSeverity], source: &str) -> Vec<SeverityRating> {
    let mut out = Vec::new();
    for s in list {
        let r = match s.kind.as_str() {
            "CVSS_V3" => match cvss::v3_base(&s.score) {
                Some((score, sev)) => SeverityRating {
                    source: source.to_string(),
                    severity: sev,
                    cvss_vector: Some(s.score.clone()),
                    score: Some(score),
                },
                None => SeverityRating {
                    source: source.to_string(),
                    severity: Severity::Unknown,
                    cvss_vector: Some(s.score.clone()),
                    score: None,
                },
            },
            "CVSS_V2" | "CVSS_V4" => SeverityRating {
                source: source.to_string(),
                severity: Severity::Unknown,
                cvss_vector: Some(s.score.clone()),
                score: None,
            },
            // "Ubuntu" (and any other word-valued type): a qualitative rating.
            _ => match Severity::parse(&s.score) {
                Some(sev) => SeverityRating {
                    source: source.to_string(),
                    severity: sev,
                    cvss_vector: None,
                    score: None,
                },
                None => continue,
            },
        };
        out.push(r);
    }
    out
}

/// Qualitative rating first, else a computed CVSS v3 rating, else nothing.
fn best(ratings: &[SeverityRating]) -> Option<Severity> {
    ratings
        .iter()
        .find(|r| r.cvss_vector.is_none() && r.severity != Severity::Unknown)
        .or_else(|| ratings.iter().find(|r| r.score.is_some()))
        .map(|r| r.severity)
}

/// Counters shared across one feed's zips.
struct Tally<'a> {
    feed: FeedReport,
    seen: &'a mut HashSet<String>,
}

/// Load the zips and loose `*.json` records of one `osv/<folder>` as feed `osv/<folder>`.
pub(crate) fn load(
    ctx: &mut Ctx<'_>,
    folder: &str,
    files: &[std::path::PathBuf],
    seen: &mut HashSet<String>,
) -> Result<()> {
    let (feed, mark) = ctx.begin_feed(&format!("osv/{folder}"));
    let mut t = Tally { feed, seen };
    for f in files {
        t.feed.files.push(ctx.rel(f));
        let is_json = f
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json {
            load_json(ctx, f, &mut t)?;
        } else {
            load_zip(ctx, f, &mut t)?;
        }
    }
    ctx.end_feed(t.feed, mark);
    Ok(())
}

/// One loose OSV record (`osv/<folder>/<id>.json`, e.g. hand-written test records). Same
/// rules as a zip entry: over the size cap or not a valid record → a warning.
fn load_json(ctx: &mut Ctx<'_>, path: &Path, t: &mut Tally<'_>) -> Result<()> {
    let rel = ctx.rel(path);
    let cap = ctx.opts.max_zip_entry_bytes;
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > cap {
        ctx.report.oversized_entries_skipped += 1;
        ctx.warn(
            &mut t.feed,
            format!("{rel}: {len} bytes, over the {cap}-byte cap: skipped"),
        );
        return Ok(());
    }
    let bytes = super::read_file(path)?;
    match serde_json::from_slice::<Record>(&bytes) {
        Ok(rec) => load_record(ctx, rec, &rel, t),
        Err(e) => {
            ctx.warn(&mut t.feed, format!("{rel}: not a valid OSV record ({e})"));
            Ok(())
        }
    }
}

/// What the reader thread hands to the inserting thread.
enum Item {
    Record(Box<Record>),
    /// A warning; `true` when the entry was skipped for its size.
    Warn(String, bool),
}

/// Decompress and parse the entries of one zip, in archive order, sending them to `tx`.
/// Runs on its own thread so that parsing overlaps with inserting (the build uses 2 cores).
fn read_zip(path: &Path, rel: &str, cap: u64, tx: &SyncSender<Result<Item>>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| Error::feed(path, format!("not a readable zip archive ({e})")))?;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Error::feed(path, format!("entry #{i}: {e}")))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if entry.is_dir() || !name.to_ascii_lowercase().ends_with(".json") {
            continue;
        }
        let oversized = |size: String| {
            Item::Warn(
                format!(
                    "{rel}: {name}: {size} bytes uncompressed, over the {cap}-byte cap: skipped"
                ),
                true,
            )
        };
        if entry.size() > cap {
            if tx.send(Ok(oversized(entry.size().to_string()))).is_err() {
                return Ok(());
            }
            continue;
        }
        buf.clear();
        // `take` guards against a size field that lies.
        (&mut entry)
            .take(cap + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::feed(path, format!("{name}: cannot decompress ({e})")))?;
        let item = if buf.len() as u64 > cap {
            oversized(format!("more than {cap}"))
        } else {
            match serde_json::from_slice::<Record>(&buf) {
                Ok(r) => Item::Record(Box::new(r)),
                Err(e) => Item::Warn(
                    format!("{rel}: {name}: not a valid OSV record ({e})"),
                    false,
                ),
            }
        };
        if tx.send(Ok(item)).is_err() {
            return Ok(()); // the inserting side stopped on an error of its own
        }
    }
    Ok(())
}

fn load_zip(ctx: &mut Ctx<'_>, path: &Path, t: &mut Tally<'_>) -> Result<()> {
    let rel = ctx.rel(path);
    let cap = ctx.opts.max_zip_entry_bytes;
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Result<Item>>(512);
        let reader_rel = rel.clone();
        scope.spawn(move || {
            if let Err(e) = read_zip(path, &reader_rel, cap, &tx) {
                let _ = tx.send(Err(e));
            }
        });
        for item in rx {
            match item? {
                Item::Record(rec) => load_record(ctx, *rec, &rel, t)?,
                Item::Warn(msg, oversized) => {
                    if oversized {
                        ctx.report.oversized_entries_skipped += 1;
                    }
                    ctx.warn(&mut t.feed, msg);
                }
            }
        }
        Ok(())
    })
}

fn load_record(ctx: &mut Ctx<'_>, rec: Record, rel: &str, t: &mut Tally<'_>) -> Result<()> {
    if rec
        .withdrawn
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        ctx.report.withdrawn_skipped += 1;
        return Ok(());
    }
    let id = rec.id.trim().to_string();
    if id.is_empty() {
        ctx.warn(&mut t.feed, format!("{rel}: record without id skipped"));
        return Ok(());
    }
    if !t.seen.insert(id.clone()) {
        ctx.report.duplicate_records_skipped += 1;
        return Ok(());
    }
    t.feed.records += 1;
    newer_date(&mut t.feed.newest_date, rec.modified.as_deref());

    // Aliases: aliases ∪ upstream; distro advisories that name their CVEs only under
    // `related` (AlmaLinux) get those CVEs too, so the matcher can merge them.
    let mut aliases: BTreeSet<&str> = rec
        .aliases
        .iter()
        .chain(&rec.upstream)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && *s != id)
        .collect();
    if aliases.is_empty() && DISTRO_ADVISORY_PREFIXES.iter().any(|p| id.starts_with(p)) {
        aliases.extend(
            rec.related
                .iter()
                .map(|s| s.trim())
                .filter(|s| s.starts_with("CVE-")),
        );
    }

    // Source name: the ecosystem of the first affected package (`osv:go`, `osv:almalinux`).
    let first_ns = rec
        .affected
        .iter()
        .filter_map(|a| a.package.as_ref())
        .find_map(|p| normalize_osv_ecosystem(&p.ecosystem));
    let record_source = source_of(first_ns.as_deref());

    ctx.sink.vuln(&VulnFacts {
        id: &id,
        summary: rec.summary.as_deref(),
        details: rec.details.as_deref(),
        published: real_date(rec.published.as_deref()),
        modified: real_date(rec.modified.as_deref()),
    })?;
    for a in &aliases {
        ctx.sink.alias(&id, a)?;
    }
    for r in &rec.references {
        if let Some(u) = &r.url {
            ctx.sink.reference(&id, u)?;
        }
    }
    let mut record_ratings = ratings(&rec.severity, &record_source);
    if let Some(sev) = rec
        .database_specific
        .as_ref()
        .and_then(|d| d.severity.as_ref())
        .and_then(text_severity)
    {
        record_ratings.insert(
            0,
            SeverityRating {
                source: record_source.clone(),
                severity: sev,
                cvss_vector: None,
                score: None,
            },
        );
    }
    for r in &record_ratings {
        ctx.sink.severity(&id, r)?;
    }
    let record_best = best(&record_ratings);

    for (n, a) in rec.affected.iter().enumerate() {
        let Some(pkg) = a.package.as_ref().filter(|p| !p.name.trim().is_empty()) else {
            ctx.warn(
                &mut t.feed,
                format!("{rel}: {id}: affected[{n}] has no package: skipped"),
            );
            continue;
        };
        let Some(namespace) = normalize_osv_ecosystem(&pkg.ecosystem) else {
            ctx.warn(
                &mut t.feed,
                format!("{rel}: {id}: affected[{n}] has no ecosystem: skipped"),
            );
            continue;
        };
        let mut ranges = Vec::new();
        let mut dropped_git = false;
        for r in &a.ranges {
            match r.kind.as_str() {
                "ECOSYSTEM" | "SEMVER" => ranges.extend(pair_events(&r.events)),
                "GIT" => {
                    ctx.report.git_ranges_dropped += 1;
                    dropped_git = true;
                }
                other => ctx.warn(
                    &mut t.feed,
                    format!("{rel}: {id}: affected[{n}]: range type {other} dropped"),
                ),
            }
        }
        let versions: Vec<String> = a.versions.iter().map(|v| v.trim().to_string()).collect();
        if ranges.is_empty() && versions.is_empty() && dropped_git {
            // Only commit ranges: nothing a package version can be matched against.
            continue;
        }
        let fixed_version = ranges.iter().find_map(|r| r.fixed.clone());
        let status = if fixed_version.is_some() {
            FixStatus::Fixed
        } else {
            FixStatus::NotFixed
        };
        let source = source_of(Some(&namespace));
        let severity = affected_severity(a, &source).or(record_best);
        ctx.sink.affected(&AffectedRecord {
            vuln_id: id.clone(),
            package: normalize_package_name(&namespace, pkg.name.trim()),
            namespace,
            status,
            fixed_version,
            ranges,
            versions,
            source,
            advisory_ids: vec![id.clone()],
            severity,
            affected_constraints: Vec::new(),
            unaffected_constraints: Vec::new(),
        })?;
    }
    Ok(())
}

/// Drop the `0001-01-01T00:00:00Z` placeholders (Go advisories in the repository copy).
fn real_date(d: Option<&str>) -> Option<&str> {
    d.filter(|d| !d.starts_with("0001-"))
}

/// `osv:<ecosystem>` from a namespace (`almalinux:8` → `osv:almalinux`).
fn source_of(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("osv:{}", ns.split(':').next().unwrap_or(ns)),
        None => "osv".to_string(),
    }
}

/// Severity stated for one affected package (ecosystem/database-specific, or its own list).
fn affected_severity(a: &Affected, source: &str) -> Option<Severity> {
    for s in [&a.ecosystem_specific, &a.database_specific]
        .into_iter()
        .flatten()
    {
        if let Some(sev) = s.severity.as_ref().and_then(text_severity) {
            return Some(sev);
        }
        if let Some(sev) = s.urgency.as_deref().and_then(super::debian_urgency) {
            return Some(sev);
        }
    }
    best(&ratings(&a.severity, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, v: &str) -> Event {
        let mut e = Event::default();
        match kind {
            "introduced" => e.introduced = Some(v.into()),
            "fixed" => e.fixed = Some(v.into()),
            "last_affected" => e.last_affected = Some(v.into()),
            _ => e.limit = Some(v.into()),
        }
        e
    }

    #[test]
    fn pairing() {
        let r = pair_events(&[
            ev("introduced", "0"),
            ev("fixed", "1.18.6"),
            ev("introduced", "1.19.0-0"),
            ev("fixed", "1.19.1"),
        ]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].introduced.as_deref(), Some("0"));
        assert_eq!(r[0].fixed.as_deref(), Some("1.18.6"));
        assert_eq!(r[1].introduced.as_deref(), Some("1.19.0-0"));
        assert_eq!(r[1].fixed.as_deref(), Some("1.19.1"));

        let r = pair_events(&[ev("introduced", "0")]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].fixed, None);

        let r = pair_events(&[ev("introduced", "0"), ev("last_affected", "10.1.15")]);
        assert_eq!(r[0].last_affected.as_deref(), Some("10.1.15"));

        let r = pair_events(&[
            ev("introduced", "1"),
            ev("introduced", "2"),
            ev("fixed", "3"),
        ]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].fixed, None);
        assert_eq!(r[1].introduced.as_deref(), Some("2"));
    }

    #[test]
    fn sources() {
        assert_eq!(source_of(Some("almalinux:8")), "osv:almalinux");
        assert_eq!(source_of(Some("crates.io")), "osv:crates.io");
        assert_eq!(source_of(None), "osv");
    }
}

//! Helpers shared by the native (non-OSV) language feeds: RubySec, FriendsOfPHP and the
//! Node.js security WG. Each ships as a `.tar.gz` snapshot of its git repository.

use std::path::Path;

use super::tarball::{self, TarFile};
use crate::build::{Ctx, FeedReport, newer_date};
use crate::cvss;
use crate::error::Result;
use crate::model::{AffectedRecord, Constraint, FixStatus, Severity, SeverityRating};
use crate::namespace::normalize_package_name;
use crate::sink::VulnFacts;

/// Load one native feed: read its archive, convert each wanted file with `convert`, write the
/// converted advisories. `records` counts the advisories loaded; a file that does not convert
/// is a warning naming it.
pub(crate) fn load(
    ctx: &mut Ctx<'_>,
    name: &str,
    path: &Path,
    wanted: &dyn Fn(&str) -> bool,
    convert: fn(&str, &[u8]) -> std::result::Result<Converted, String>,
) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(name);
    let files = read_archive(ctx, &mut feed, path, wanted)?;
    let rel = ctx.rel(path);
    for f in &files {
        match convert(&f.path, &f.data) {
            Ok(c) => {
                write(ctx, &mut feed, &c)?;
                feed.records += 1;
            }
            Err(msg) => ctx.warn(&mut feed, format!("{rel}: {}: {msg}; skipped", f.path)),
        }
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

/// Read the feed's archive; per-entry warnings go to the feed report. Returns the wanted
/// files with paths relative to the repository root.
fn read_archive(
    ctx: &mut Ctx<'_>,
    feed: &mut FeedReport,
    path: &Path,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<TarFile>> {
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let contents = tarball::read(path, ctx.opts.max_zip_entry_bytes, wanted)?;
    for w in contents.warnings {
        ctx.warn(feed, format!("{rel}: {w}"));
    }
    if let Some(p) = &contents.prefix {
        tracing::debug!(archive = %rel, prefix = %p, "archive has a top-level folder");
    }
    Ok(contents.files)
}

/// One advisory of a native feed, converted: the facts of its vulnerability id(s) and the
/// `affected` rows. Written by [`write`].
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Converted {
    /// The vulnerability ids the advisory's rows carry (one, or one per CVE of an npm
    /// advisory naming several).
    pub ids: Vec<String>,
    /// Pairs of ids naming the same vulnerability.
    pub aliases: Vec<(String, String)>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub references: Vec<String>,
    pub ratings: Vec<SeverityRating>,
    pub rows: Vec<AffectedRecord>,
    /// The advisory's newest date (`YYYY-…`) for the feed's `newest_date`.
    pub date: Option<String>,
}

/// Write one converted advisory through the sink.
pub(crate) fn write(ctx: &mut Ctx<'_>, feed: &mut FeedReport, c: &Converted) -> Result<()> {
    for id in &c.ids {
        ctx.sink.vuln(&VulnFacts {
            id,
            summary: c.summary.as_deref(),
            details: c.details.as_deref(),
            published: c.published.as_deref(),
            modified: c.modified.as_deref(),
        })?;
        for r in &c.references {
            ctx.sink.reference(id, r)?;
        }
        for r in &c.ratings {
            ctx.sink.severity(id, r)?;
        }
    }
    for (a, b) in &c.aliases {
        ctx.sink.alias(a, b)?;
    }
    for r in &c.rows {
        ctx.sink.ensure_vuln(&r.vuln_id)?;
        ctx.sink.affected(r)?;
    }
    newer_date(&mut feed.newest_date, c.date.as_deref());
    Ok(())
}

/// What one row of a native feed says; [`Row::record`] makes the `affected` record.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    pub namespace: &'a str,
    pub package: &'a str,
    pub source: &'a str,
    pub advisory_ids: Vec<String>,
    pub severity: Option<Severity>,
    pub affected: Vec<Vec<Constraint>>,
    pub unaffected: Vec<Vec<Constraint>>,
    /// The fix to show; the row is `fixed` when there is one, else `not-fixed`.
    pub fixed: Option<String>,
}

impl Row<'_> {
    pub(crate) fn record(&self, vuln_id: &str) -> AffectedRecord {
        AffectedRecord {
            vuln_id: vuln_id.to_string(),
            namespace: self.namespace.to_string(),
            package: normalize_package_name(self.namespace, self.package),
            status: if self.fixed.is_some() {
                FixStatus::Fixed
            } else {
                FixStatus::NotFixed
            },
            fixed_version: self.fixed.clone(),
            ranges: Vec::new(),
            versions: Vec::new(),
            source: self.source.to_string(),
            advisory_ids: self.advisory_ids.clone(),
            severity: self.severity,
            affected_constraints: self.affected.clone(),
            unaffected_constraints: self.unaffected.clone(),
        }
    }
}

/// `CVE-…` from a field that may or may not carry the prefix (`2020-8164` → `CVE-2020-8164`).
pub(crate) fn cve_id(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    let body = t
        .strip_prefix("CVE-")
        .or_else(|| t.strip_prefix("cve-"))
        .unwrap_or(t);
    let (year, num) = body.split_once('-')?;
    (year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit()))
    .then(|| format!("CVE-{body}"))
}

/// `GHSA-xxxx-xxxx-xxxx` from a field with or without the prefix.
pub(crate) fn ghsa_id(raw: &str) -> Option<String> {
    let t = raw.trim();
    let body = t.strip_prefix("GHSA-").unwrap_or(t);
    is_ghsa_body(body).then(|| format!("GHSA-{body}"))
}

fn is_ghsa_body(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The first GHSA id inside a text (a URL such as
/// `…/security/advisories/GHSA-8559-gwj3-q37r`).
pub(crate) fn ghsa_in(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find("GHSA-") {
        let cand = rest[i + 5..].get(..14).unwrap_or("");
        if is_ghsa_body(cand) {
            return Some(format!("GHSA-{cand}"));
        }
        rest = &rest[i + 5..];
    }
    None
}

/// A CVSS base score as a feed writes it (no vector): the v3.x/v4.0 bands, or the v2 bands
/// (`v2 = true`: 0–3.9 Low, 4–6.9 Medium, 7–10 High). `None` outside 0–10.
pub(crate) fn score_rating(source: &str, score: f64, v2: bool) -> Option<SeverityRating> {
    if !(0.0..=10.0).contains(&score) {
        return None;
    }
    let severity = if v2 {
        if score < 4.0 {
            Severity::Low
        } else if score < 7.0 {
            Severity::Medium
        } else {
            Severity::High
        }
    } else {
        cvss::rating(score)
    };
    Some(SeverityRating {
        source: source.to_string(),
        severity,
        cvss_vector: None,
        score: Some(score),
    })
}

/// A CVSS v3 vector scored here; `None` when it is not a valid v3.0/v3.1 vector.
pub(crate) fn vector_rating(source: &str, vector: &str) -> Option<SeverityRating> {
    let (score, severity) = cvss::v3_base(vector)?;
    Some(SeverityRating {
        source: source.to_string(),
        severity,
        cvss_vector: Some(vector.trim().to_string()),
        score: Some(score),
    })
}

/// The last path component without its extension (`gems/rack/CVE-2020-8161.yml` →
/// `CVE-2020-8161`).
pub(crate) fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

/// A short text of an error for a warning line (YAML/JSON errors can be long).
pub(crate) fn short(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(cve_id("2020-8164").as_deref(), Some("CVE-2020-8164"));
        assert_eq!(cve_id("CVE-2014-5245").as_deref(), Some("CVE-2014-5245"));
        assert_eq!(
            cve_id(" 2021-1000001 ").as_deref(),
            Some("CVE-2021-1000001")
        );
        assert_eq!(cve_id("~"), None);
        assert_eq!(cve_id("2020-81"), None);
        assert_eq!(cve_id(""), None);
        assert_eq!(
            ghsa_id("8727-m6gj-mc37").as_deref(),
            Some("GHSA-8727-m6gj-mc37")
        );
        assert_eq!(
            ghsa_id("GHSA-8727-m6gj-mc37").as_deref(),
            Some("GHSA-8727-m6gj-mc37")
        );
        assert_eq!(ghsa_id("8727-m6gj"), None);
        assert_eq!(
            ghsa_in("https://github.com/EasyCorp/EasyAdminBundle/security/advisories/GHSA-8559-gwj3-q37r")
                .as_deref(),
            Some("GHSA-8559-gwj3-q37r")
        );
        assert_eq!(
            ghsa_in("GHSA-12 GHSA-abcd-efgh-ijkl").as_deref(),
            Some("GHSA-abcd-efgh-ijkl")
        );
        assert_eq!(ghsa_in("https://symfony.com/cve-2014-5245"), None);
        assert_eq!(stem("gems/rack/CVE-2020-8161.yml"), "CVE-2020-8161");
        assert_eq!(stem("vuln/npm/12.json"), "12");
        assert_eq!(stem("a/b/2021-03-16-1.yaml"), "2021-03-16-1");
    }

    #[test]
    fn score_bands() {
        let r = |s, v2| score_rating("x", s, v2).map(|r| r.severity);
        assert_eq!(r(7.5, false), Some(Severity::High));
        assert_eq!(r(9.8, false), Some(Severity::Critical));
        assert_eq!(r(9.8, true), Some(Severity::High));
        assert_eq!(r(5.0, true), Some(Severity::Medium));
        assert_eq!(r(3.9, true), Some(Severity::Low));
        assert_eq!(r(0.0, false), Some(Severity::Negligible));
        assert_eq!(r(11.0, false), None);
        assert_eq!(r(f64::NAN, false), None);
        let v = vector_rating("x", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N").unwrap();
        assert_eq!(v.score, Some(6.5));
        assert_eq!(v.severity, Severity::Medium);
        assert!(vector_rating("x", "AV:N/AC:L").is_none());
    }
}

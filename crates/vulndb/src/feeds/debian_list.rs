//! Debian security-tracker advisory lists (`data/DSA/list`, `data/DLA/list`, `data/DTSA/list`).
//!
//! Hand-written parser: the format is the tracker's own line-based text (no library reads it),
//! and it is small:
//!
//! ```text
//! [29 Mar 2023] DSA-5380-1 xorg-server - security update
//!     {CVE-2023-1393}
//!     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
//!     [woody] - mantis <not-affected> (Vulnerable code not present)
//!     [sarge] - zlib 1:1.2.2-4.sarge.2 (bug #123; medium)
//!     NOTE: ...
//! ```
//!
//! Dates are `29 Mar 2023` or (old DTSAs) `August 26th, 2005`. Each `[release] - package X`
//! line gives one row per listed CVE (or per advisory when it lists none). When several
//! advisories give the same (release, package, CVE), the earliest advisory's fix is kept (later
//! ones are regression or follow-up updates) and all advisory ids are listed.

use std::collections::BTreeMap;
use std::path::Path;

use super::{debian_urgency, read_file};
use crate::build::{Ctx, FeedReport, newer_date};
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity};
use crate::namespace::debian_namespace;
use crate::sink::VulnFacts;

/// One advisory block.
#[derive(Debug, Default)]
struct Advisory {
    id: String,
    /// `YYYY-MM-DD`.
    date: Option<String>,
    /// Header text after the id (`xorg-server - security update`).
    summary: String,
    cves: Vec<String>,
    lines: Vec<ReleaseLine>,
}

#[derive(Debug)]
struct ReleaseLine {
    namespace: String,
    package: String,
    status: FixStatus,
    fixed: Option<String>,
    severity: Option<Severity>,
}

/// Order key of an advisory: (date, number, revision).
type Key = (String, u64, u64);

fn key(a: &Advisory) -> Key {
    let mut nums =
        a.id.split('-')
            .skip(1)
            .map(|n| n.parse::<u64>().unwrap_or(u64::MAX));
    (
        a.date.clone().unwrap_or_else(|| "9999-99-99".into()),
        nums.next().unwrap_or(u64::MAX),
        nums.next().unwrap_or(0),
    )
}

/// `29 Mar 2023` / `August 26th, 2005` → `2023-03-29`.
pub(crate) fn parse_date(s: &str) -> Option<String> {
    let cleaned = s.replace(',', " ");
    let toks: Vec<&str> = cleaned.split_whitespace().collect();
    if toks.len() != 3 {
        return None;
    }
    let month = |t: &str| -> Option<u32> {
        let t = t.to_ascii_lowercase();
        let names = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        names
            .iter()
            .position(|m| t.starts_with(m))
            .map(|p| p as u32 + 1)
    };
    let day = |t: &str| -> Option<u32> {
        let d = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        d.parse().ok().filter(|d| (1..=31).contains(d))
    };
    let (d, m, y) = match (day(toks[0]), month(toks[0])) {
        (Some(d), _) => (d, month(toks[1])?, toks[2]),
        (None, Some(m)) => (day(toks[1])?, m, toks[2]),
        _ => return None,
    };
    let y: u32 = y.parse().ok().filter(|y| (1990..=2200).contains(y))?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn is_advisory_id(t: &str) -> bool {
    let mut it = t.split('-');
    matches!(it.next(), Some("DSA" | "DLA" | "DTSA"))
        && it
            .next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && it.all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `[bullseye] - xorg-server 2:1.20.11-1+deb11u6 (medium)` → release line.
fn parse_release_line(line: &str) -> std::result::Result<ReleaseLine, String> {
    let rest = line.trim().strip_prefix('[').ok_or("no [release]")?;
    let (release, rest) = rest.split_once(']').ok_or("no closing ]")?;
    let namespace =
        debian_namespace(release.trim()).ok_or_else(|| format!("unknown release `{release}`"))?;
    let rest = rest
        .trim_start()
        .strip_prefix('-')
        .ok_or("no ` - ` after the release")?;
    let mut toks = rest.split_whitespace();
    let package = toks.next().ok_or("no package")?.to_string();
    let value = toks.next().ok_or("no version")?;
    let tail: Vec<&str> = toks.collect();
    let tail = tail.join(" ");
    // "(medium)", "(bug #12345; medium)", "(Vulnerable code not present)".
    let severity = tail
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .and_then(|t| t.rsplit(';').next())
        .and_then(debian_urgency);
    let (status, fixed) = match value {
        "<not-affected>" => (FixStatus::NotAffected, None),
        "<unfixed>" | "<postponed>" | "<undetermined>" => (FixStatus::NotFixed, None),
        "<end-of-life>" => (FixStatus::EndOfLife, None),
        "<no-dsa>" | "<ignored>" => (FixStatus::WontFix, None),
        v if v.starts_with('<') => return Err(format!("unknown marker {v}")),
        v => (FixStatus::Fixed, Some(v.to_string())),
    };
    Ok(ReleaseLine {
        namespace,
        package,
        status,
        fixed,
        severity,
    })
}

/// Parse one list file into advisories (warnings for lines that cannot be read).
fn parse(ctx: &mut Ctx<'_>, feed: &mut FeedReport, path: &Path, text: &str) -> Vec<Advisory> {
    let rel = ctx.rel(path);
    let mut out: Vec<Advisory> = Vec::new();
    // false while inside a block whose header could not be read: its lines are skipped.
    let mut in_block = false;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("NOTE:") {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            // Header: "[date] ID rest".
            let parsed = header.split_once(']').and_then(|(date, rest)| {
                let rest = rest.trim();
                let (id, summary) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                is_advisory_id(id).then_some((date, id, summary))
            });
            match parsed {
                Some((date, id, summary)) => {
                    let parsed_date = parse_date(date);
                    if parsed_date.is_none() {
                        ctx.warn(feed, format!("{rel}:{lineno}: unreadable date `{date}`"));
                    }
                    out.push(Advisory {
                        id: id.to_string(),
                        date: parsed_date,
                        summary: summary.trim().to_string(),
                        ..Advisory::default()
                    });
                    in_block = true;
                }
                None => {
                    ctx.warn(feed, format!("{rel}:{lineno}: unreadable advisory header"));
                    in_block = false;
                }
            }
            continue;
        }
        if !in_block {
            continue;
        }
        let Some(adv) = out.last_mut() else { continue };
        if let Some(inner) = trimmed.strip_prefix('{') {
            let inner = inner.trim_end().trim_end_matches('}');
            adv.cves
                .extend(inner.split_whitespace().map(str::to_string));
        } else if trimmed.starts_with('[') {
            match parse_release_line(trimmed) {
                Ok(l) => adv.lines.push(l),
                Err(e) => ctx.warn(feed, format!("{rel}:{lineno}: release line skipped: {e}")),
            }
        } else {
            ctx.warn(feed, format!("{rel}:{lineno}: unrecognised line skipped"));
        }
    }
    out
}

/// Load one list as feed `name` (`debian-dsa`, `debian-dla`, `debian-dtsa`).
pub(crate) fn load(ctx: &mut Ctx<'_>, name: &str, path: &Path) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(name);
    feed.files.push(ctx.rel(path));
    let bytes = read_file(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::feed(path, format!("not UTF-8 text ({e})")))?;
    if text.trim().is_empty() {
        return Err(Error::feed(path, "empty advisory list"));
    }
    let advisories = parse(ctx, &mut feed, path, text);
    if !text.ends_with('\n') {
        // Upstream lists always end with a newline; trimmed copies (test samples) may not.
        let rel = ctx.rel(path);
        ctx.warn(
            &mut feed,
            format!("{rel}: the last line has no newline: the file may be truncated"),
        );
    }

    // (namespace, package, vuln id) → (key of the earliest advisory, its row, all advisories).
    type Row = (Key, AffectedRecord, Vec<(Key, String)>);
    let mut rows: BTreeMap<(String, String, String), Row> = BTreeMap::new();
    for adv in &advisories {
        feed.records += 1;
        newer_date(&mut feed.newest_date, adv.date.as_deref());
        if adv.cves.is_empty() && adv.lines.is_empty() {
            continue; // announcements (end of life, key changes)
        }
        ctx.sink.vuln(&VulnFacts {
            id: &adv.id,
            summary: Some(&adv.summary),
            published: adv.date.as_deref(),
            ..VulnFacts::default()
        })?;
        for cve in &adv.cves {
            ctx.sink.ensure_vuln(cve)?;
            ctx.sink.alias(&adv.id, cve)?;
        }
        let k = key(adv);
        let vuln_ids: Vec<&String> = if adv.cves.is_empty() {
            vec![&adv.id]
        } else {
            adv.cves.iter().collect()
        };
        for line in &adv.lines {
            for vid in &vuln_ids {
                let record = AffectedRecord {
                    vuln_id: (*vid).clone(),
                    namespace: line.namespace.clone(),
                    package: line.package.clone(),
                    status: line.status,
                    fixed_version: line.fixed.clone(),
                    ranges: line
                        .fixed
                        .as_ref()
                        .map(|f| {
                            vec![Range {
                                introduced: Some("0".into()),
                                fixed: Some(f.clone()),
                                ..Range::default()
                            }]
                        })
                        .unwrap_or_default(),
                    versions: Vec::new(),
                    source: name.to_string(),
                    advisory_ids: Vec::new(),
                    severity: line.severity,
                    affected_constraints: Vec::new(),
                    unaffected_constraints: Vec::new(),
                };
                let rk = (line.namespace.clone(), line.package.clone(), (*vid).clone());
                let row = rows
                    .entry(rk)
                    .or_insert_with(|| (k.clone(), record.clone(), Vec::new()));
                if k < row.0 {
                    row.0 = k.clone();
                    row.1 = record;
                }
                row.2.push((k.clone(), adv.id.clone()));
            }
        }
    }
    for (_, (_, mut r, mut ids)) in rows {
        ids.sort();
        ids.dedup();
        r.advisory_ids = ids.into_iter().map(|(_, id)| id).collect();
        ctx.sink.affected(&r)?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("29 Mar 2023").as_deref(), Some("2023-03-29"));
        assert_eq!(parse_date("01 Aug 2002").as_deref(), Some("2002-08-01"));
        assert_eq!(
            parse_date("August 26th, 2005").as_deref(),
            Some("2005-08-26")
        );
        assert_eq!(
            parse_date("September 1st, 2005").as_deref(),
            Some("2005-09-01")
        );
        assert_eq!(
            parse_date("March 22nd, 2006").as_deref(),
            Some("2006-03-22")
        );
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date("32 Mar 2023"), None);
    }

    #[test]
    fn release_lines() {
        let l = parse_release_line("[bullseye] - xorg-server 2:1.20.11-1+deb11u6").unwrap();
        assert_eq!(l.namespace, "debian:11");
        assert_eq!(l.package, "xorg-server");
        assert_eq!(l.fixed.as_deref(), Some("2:1.20.11-1+deb11u6"));
        assert_eq!(l.status, FixStatus::Fixed);
        assert_eq!(l.severity, None);

        let l = parse_release_line("[sarge] - zlib 1:1.2.2-4.sarge.2 (bug #123; medium)").unwrap();
        assert_eq!(l.namespace, "debian:3.1");
        assert_eq!(l.severity, Some(Severity::Medium));

        let l = parse_release_line("[woody] - mantis <not-affected> (Vulnerable code not present)")
            .unwrap();
        assert_eq!(l.status, FixStatus::NotAffected);
        assert_eq!(l.fixed, None);

        let l = parse_release_line("[woody] - mozilla <unfixed>").unwrap();
        assert_eq!(l.status, FixStatus::NotFixed);
        let l = parse_release_line("[lenny] - clamav <end-of-life>").unwrap();
        assert_eq!(l.status, FixStatus::EndOfLife);

        assert!(parse_release_line("[hamm2] - x 1.0").is_err());
        assert!(parse_release_line("[bullseye] - x").is_err());
        assert!(parse_release_line("[bullseye] - x <weird>").is_err());
    }

    #[test]
    fn advisory_ids() {
        assert!(is_advisory_id("DSA-5380-1"));
        assert!(is_advisory_id("DSA-141"));
        assert!(is_advisory_id("DTSA-8-2"));
        assert!(is_advisory_id("DLA-3380-1"));
        assert!(!is_advisory_id("DSA-"));
        assert!(!is_advisory_id("USN-1-1"));
    }
}

//! Debian security tracker JSON export (`debian/tracker.json`, published at
//! `https://security-tracker.debian.org/tracker/data/json`):
//! `{source package: {CVE: {description, scope, debianbug, releases: {codename: {status,
//! fixed_version, urgency, nodsa, nodsa_reason, repositories}}}}}`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer};

use super::{debian_urgency, read_file};
use crate::build::Ctx;
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity, SeverityRating};
use crate::namespace::debian_namespace;
use crate::sink::VulnFacts;

const SOURCE: &str = "debian-tracker";

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "releases")]
    releases: BTreeMap<String, Release>,
}

/// A CVE entry that may be malformed: one bad entry is a warning, not a failed build.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MaybeEntry {
    Ok(Entry),
    Bad(serde::de::IgnoredAny),
}

#[derive(Debug, Default, Deserialize)]
struct Release {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    nodsa_reason: Option<String>,
}

/// `releases` is a map, or `[]` when the CVE has no release data.
fn releases<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, Release>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum R {
        Map(BTreeMap<String, Release>),
        List(Vec<serde::de::IgnoredAny>),
        Null(()),
    }
    Ok(match R::deserialize(d)? {
        R::Map(m) => m,
        R::List(v) if v.is_empty() => BTreeMap::new(),
        R::List(_) => return Err(serde::de::Error::custom("`releases` is a non-empty list")),
        R::Null(()) => BTreeMap::new(),
    })
}

/// The status rules of the tracker export (see `docs/data-sources.md`).
fn map_status(r: &Release) -> std::result::Result<(FixStatus, Option<String>), String> {
    let urgency = r.urgency.as_deref().unwrap_or("").trim();
    match r.status.as_deref().unwrap_or("") {
        "resolved" => match r.fixed_version.as_deref().map(str::trim) {
            Some("0") => Ok((FixStatus::NotAffected, None)),
            Some(v) if !v.is_empty() => Ok((FixStatus::Fixed, Some(v.to_string()))),
            _ => Err("resolved without fixed_version".into()),
        },
        "open" | "undetermined" => {
            if urgency == "end-of-life" {
                Ok((FixStatus::EndOfLife, None))
            } else if r.nodsa_reason.as_deref() == Some("ignored") {
                Ok((FixStatus::WontFix, None))
            } else {
                Ok((FixStatus::NotFixed, None))
            }
        }
        other => Err(format!("unknown status `{other}`")),
    }
}

/// Load `debian/tracker.json` as feed `debian-tracker`.
pub(crate) fn load(ctx: &mut Ctx<'_>, path: &Path) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(SOURCE);
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let bytes = read_file(path)?;
    let data: BTreeMap<String, BTreeMap<String, MaybeEntry>> =
        serde_json::from_slice(&bytes).map_err(|e| super::json_error(path, e))?;
    drop(bytes);
    if data.is_empty() {
        return Err(Error::feed(path, "no package in the tracker export"));
    }

    for (package, cves) in &data {
        for (cve, entry) in cves {
            feed.records += 1;
            let entry = match entry {
                MaybeEntry::Ok(e) => e,
                MaybeEntry::Bad(_) => {
                    ctx.warn(
                        &mut feed,
                        format!("{rel}: {package}/{cve}: malformed entry skipped"),
                    );
                    continue;
                }
            };
            ctx.sink.vuln(&VulnFacts {
                id: cve,
                summary: entry.description.as_deref(),
                ..VulnFacts::default()
            })?;
            let mut worst: Option<Severity> = None;
            for (codename, r) in &entry.releases {
                let Some(namespace) = debian_namespace(codename) else {
                    ctx.warn(
                        &mut feed,
                        format!("{rel}: {package}/{cve}: unknown release `{codename}` skipped"),
                    );
                    continue;
                };
                let (status, fixed) = match map_status(r) {
                    Ok(s) => s,
                    Err(e) => {
                        ctx.warn(&mut feed, format!("{rel}: {package}/{cve}/{codename}: {e}"));
                        continue;
                    }
                };
                let severity = r.urgency.as_deref().and_then(debian_urgency);
                worst = worst.max(severity);
                ctx.sink.affected(&AffectedRecord {
                    vuln_id: cve.clone(),
                    namespace,
                    package: package.clone(),
                    status,
                    ranges: fixed
                        .as_ref()
                        .map(|f| {
                            vec![Range {
                                introduced: Some("0".into()),
                                fixed: Some(f.clone()),
                                ..Range::default()
                            }]
                        })
                        .unwrap_or_default(),
                    fixed_version: fixed,
                    versions: Vec::new(),
                    source: SOURCE.to_string(),
                    advisory_ids: Vec::new(),
                    severity,
                    affected_constraints: Vec::new(),
                    unaffected_constraints: Vec::new(),
                })?;
            }
            if let Some(sev) = worst {
                ctx.sink.severity(
                    cve,
                    &SeverityRating {
                        source: SOURCE.to_string(),
                        severity: sev,
                        cvss_vector: None,
                        score: None,
                    },
                )?;
            }
        }
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(status: &str, fixed: Option<&str>, urgency: &str, reason: Option<&str>) -> Release {
        Release {
            status: Some(status.into()),
            fixed_version: fixed.map(Into::into),
            urgency: Some(urgency.into()),
            nodsa_reason: reason.map(Into::into),
        }
    }

    #[test]
    fn statuses() {
        let s = |r: Release| map_status(&r).map(|(s, _)| s);
        assert_eq!(
            s(rel("resolved", Some("0"), "low", None)),
            Ok(FixStatus::NotAffected)
        );
        assert_eq!(
            s(rel("resolved", Some("1.0-1"), "low", None)),
            Ok(FixStatus::Fixed)
        );
        assert_eq!(s(rel("open", None, "low", None)), Ok(FixStatus::NotFixed));
        assert_eq!(
            s(rel("open", None, "low", Some("ignored"))),
            Ok(FixStatus::WontFix)
        );
        assert_eq!(
            s(rel("open", None, "low", Some("postponed"))),
            Ok(FixStatus::NotFixed)
        );
        assert_eq!(
            s(rel("undetermined", None, "not yet assigned", None)),
            Ok(FixStatus::NotFixed)
        );
        assert_eq!(
            s(rel("open", None, "end-of-life", None)),
            Ok(FixStatus::EndOfLife)
        );
        assert!(s(rel("resolved", None, "low", None)).is_err());
        assert!(s(rel("weird", None, "low", None)).is_err());
    }
}

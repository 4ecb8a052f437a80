//! SUSE CVRF 1.1 (`suse-cvrf/*.xml`, one `cvrf-suse-su-YYYY-NNNN-N.xml` or
//! `cvrf-opensuse-su-…` per patch): SUSE Linux Enterprise and openSUSE.
//!
//! The product tree relates binary packages (`libopenssl0_9_8-0.9.8j-106.12.1`, i.e.
//! `name-version-release`, no epoch) to products (`SUSE Linux Enterprise Server 12 SP4`); each
//! `<Vulnerability>` lists the fixed product ids per CVE. Products map to namespaces:
//! `SUSE Linux Enterprise <line> <M>[ SP<n>]` → `sles:<M>[.<n>]` (the os-release `VERSION_ID`
//! of SLES and SLE BCI images) for the server, desktop, SAP, HPC and module lines;
//! `openSUSE Leap <X.Y>` → `opensuse-leap:<X.Y>`; `openSUSE <X.Y>` → `opensuse:<X.Y>`.
//! Extended-support streams (`… SP4-LTSS`), Real Time, Point of Sale, Micro and Live Patching
//! products are skipped (their packages are not those of a plain SLES image).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::read_file;
use super::xml::{child, children, text};
use crate::build::{Ctx, FeedReport, newer_date};
use crate::cvss;
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity, SeverityRating};
use crate::sink::VulnFacts;

pub(crate) const SOURCE: &str = "suse-cvrf";

/// (namespace, package, CVE, status, fixed version) of one `affected` row.
type RowKey = (String, String, String, FixStatus, Option<String>);

/// The namespace of a CVRF product name, `None` for products not matched here.
pub(crate) fn product_namespace(product: &str) -> Option<String> {
    let p = product.trim();
    if let Some(v) = p.strip_prefix("openSUSE Leap ") {
        return is_version(v).then(|| format!("opensuse-leap:{v}"));
    }
    if let Some(v) = p.strip_prefix("openSUSE ") {
        return is_version(v).then(|| format!("opensuse:{v}"));
    }
    let line = p.strip_prefix("SUSE Linux Enterprise ")?;
    if [
        "Real Time",
        "Realtime",
        "Point of Sale",
        "Micro",
        "Live Patching",
    ]
    .iter()
    .any(|x| line.starts_with(x) || line.contains(&format!("Module for {x}")))
    {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let (major, sp) = match words.as_slice() {
        [.., m, sp] if sp.starts_with("SP") && is_digits(m) && is_digits(&sp[2..]) => {
            (*m, Some(&sp[2..]))
        }
        [.., m] if is_digits(m) => (*m, None),
        _ => return None,
    };
    match sp {
        Some(n) if n != "0" => Some(format!("sles:{major}.{n}")),
        _ => Some(format!("sles:{major}")),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_version(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_digits)
}

/// `libopenssl0_9_8-0.9.8j-106.12.1` → (`libopenssl0_9_8`, `0.9.8j-106.12.1`).
pub(crate) fn split_nvr(nvr: &str) -> Option<(&str, String)> {
    let (rest, release) = nvr.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty())
        .then(|| (name, format!("{version}-{release}")))
}

/// Load CVRF files as feed `suse-cvrf`.
pub(crate) fn load(ctx: &mut Ctx<'_>, files: &[PathBuf]) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(SOURCE);
    for path in files {
        load_file(ctx, &mut feed, path)?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

fn load_file(ctx: &mut Ctx<'_>, feed: &mut FeedReport, path: &Path) -> Result<()> {
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let bytes = read_file(path)?;
    let xml =
        std::str::from_utf8(&bytes).map_err(|e| Error::feed(path, format!("not UTF-8 ({e})")))?;
    let doc = super::xml::parse(xml).map_err(|e| Error::feed(path, e))?;
    let root = doc.root_element();
    if root.tag_name().name() != "cvrfdoc" {
        return Err(Error::feed(path, "not a CVRF document (no <cvrfdoc>)"));
    }
    let tracking = child(root, "DocumentTracking");
    let Some(advisory) = tracking
        .and_then(|t| child(t, "Identification"))
        .and_then(|i| text(child(i, "ID")))
    else {
        ctx.warn(
            feed,
            format!("{rel}: no DocumentTracking/Identification/ID: skipped"),
        );
        return Ok(());
    };
    feed.records += 1;
    let released = tracking.and_then(|t| text(child(t, "InitialReleaseDate")));
    newer_date(
        &mut feed.newest_date,
        tracking
            .and_then(|t| text(child(t, "CurrentReleaseDate")))
            .as_deref(),
    );
    let title = text(child(root, "DocumentTitle"));
    let details = child(root, "DocumentNotes").and_then(|notes| {
        children(notes, "Note")
            .find(|n| n.attribute("Title") == Some("Details"))
            .and_then(|n| text(Some(n)))
    });
    ctx.sink.vuln(&VulnFacts {
        id: &advisory,
        summary: title.as_deref(),
        details: details.as_deref(),
        published: released.as_deref(),
        ..VulnFacts::default()
    })?;

    // full product id → (package, version-release, namespace)
    let mut products: HashMap<String, (String, String, String)> = HashMap::new();
    if let Some(tree) = child(root, "ProductTree") {
        for r in children(tree, "Relationship") {
            let (Some(comp), Some(prod)) = (
                r.attribute("ProductReference"),
                r.attribute("RelatesToProductReference"),
            ) else {
                continue;
            };
            let Some(full) = child(r, "FullProductName").and_then(|f| f.attribute("ProductID"))
            else {
                continue;
            };
            if let (Some(ns), Some((name, vr))) = (product_namespace(prod), split_nvr(comp)) {
                products.insert(full.to_string(), (name.to_string(), vr, ns));
            }
        }
    }

    let mut rows: BTreeMap<RowKey, Option<Severity>> = BTreeMap::new();
    for v in children(root, "Vulnerability") {
        let Some(cve) = text(child(v, "CVE")) else {
            continue;
        };
        let severity = child(v, "Threats").and_then(|t| {
            children(t, "Threat")
                .find(|t| t.attribute("Type") == Some("Impact"))
                .and_then(|t| text(child(t, "Description")))
                .and_then(|d| Severity::parse(&d))
        });
        let description = child(v, "Notes").and_then(|n| text(child(n, "Note")));
        ctx.sink.vuln(&VulnFacts {
            id: &cve,
            details: description.as_deref(),
            ..VulnFacts::default()
        })?;
        ctx.sink.alias(&advisory, &cve)?;
        if let Some(sets) = child(v, "CVSSScoreSets") {
            for set in children(sets, "ScoreSetV3") {
                if let Some(vector) = text(child(set, "VectorV3")) {
                    let computed = cvss::v3_base(&vector);
                    ctx.sink.severity(
                        &cve,
                        &SeverityRating {
                            source: SOURCE.to_string(),
                            severity: computed.map(|(_, s)| s).unwrap_or(Severity::Unknown),
                            cvss_vector: Some(vector.clone()),
                            score: text(child(set, "BaseScoreV3"))
                                .and_then(|s| s.parse().ok())
                                .or(computed.map(|(s, _)| s)),
                        },
                    )?;
                }
            }
        }
        if let Some(refs) = child(v, "References") {
            for r in children(refs, "Reference") {
                if let Some(u) = text(child(r, "URL")) {
                    ctx.sink.reference(&cve, &u)?;
                }
            }
        }
        let Some(statuses) = child(v, "ProductStatuses") else {
            continue;
        };
        for st in children(statuses, "Status") {
            let status = match st.attribute("Type") {
                Some("Fixed") => FixStatus::Fixed,
                Some("Known Affected") => FixStatus::NotFixed,
                Some("Known Not Affected") => FixStatus::NotAffected,
                _ => continue,
            };
            for id in children(st, "ProductID").filter_map(|n| text(Some(n))) {
                let Some((pkg, vr, ns)) = products.get(&id) else {
                    continue;
                };
                let fixed = (status == FixStatus::Fixed).then(|| vr.clone());
                let sev = rows
                    .entry((ns.clone(), pkg.clone(), cve.clone(), status, fixed))
                    .or_insert(None);
                *sev = sev.or(severity);
            }
        }
    }
    for ((ns, pkg, cve, status, fixed), severity) in rows {
        let ranges = match &fixed {
            Some(f) => vec![Range {
                introduced: Some("0".into()),
                fixed: Some(f.clone()),
                ..Default::default()
            }],
            None => vec![],
        };
        ctx.sink.affected(&AffectedRecord {
            vuln_id: cve,
            namespace: ns,
            package: pkg,
            status,
            fixed_version: fixed,
            ranges,
            versions: vec![],
            source: SOURCE.to_string(),
            advisory_ids: vec![advisory.clone()],
            severity,
            affected_constraints: Vec::new(),
            unaffected_constraints: Vec::new(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products() {
        let n = |p: &str| product_namespace(p);
        assert_eq!(
            n("SUSE Linux Enterprise Server 12 SP4").as_deref(),
            Some("sles:12.4")
        );
        assert_eq!(
            n("SUSE Linux Enterprise Server 15").as_deref(),
            Some("sles:15")
        );
        assert_eq!(
            n("SUSE Linux Enterprise Module for Basesystem 15 SP5").as_deref(),
            Some("sles:15.5")
        );
        assert_eq!(
            n("SUSE Linux Enterprise Server for SAP Applications 12 SP3").as_deref(),
            Some("sles:12.3")
        );
        assert_eq!(n("SUSE Linux Enterprise Server 11 SP4-LTSS"), None);
        assert_eq!(n("SUSE Linux Enterprise Real Time Extension 12 SP4"), None);
        assert_eq!(
            n("SUSE Linux Enterprise Module for Realtime packages 15 SP1"),
            None
        );
        assert_eq!(n("SUSE Linux Enterprise Point of Sale 11 SP3"), None);
        assert_eq!(
            n("openSUSE Leap 15.0").as_deref(),
            Some("opensuse-leap:15.0")
        );
        assert_eq!(n("openSUSE 13.2").as_deref(), Some("opensuse:13.2"));
        assert_eq!(n("openSUSE Tumbleweed"), None);
        assert_eq!(
            split_nvr("libopenssl0_9_8-0.9.8j-106.12.1"),
            Some(("libopenssl0_9_8", "0.9.8j-106.12.1".to_string()))
        );
        assert_eq!(split_nvr("nodash"), None);
    }
}

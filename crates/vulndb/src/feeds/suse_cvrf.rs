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
//!
//! The documents are read from loose files (`suse-cvrf/*.xml`, plain or compressed) and from
//! SUSE's archive of all of them (`suse-cvrf/cvrf.tar.bz2`, streamed one document at a time,
//! never unpacked on disk). A loose file replaces the archive entry of the same file name.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use super::tarball::{self, Compression, Entry};
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

/// Largest single CVRF document read from an archive (kernel updates run to a few MiB; larger
/// entries are skipped with a warning).
pub(crate) const MAX_DOC_BYTES: u64 = 256 << 20;

/// Most uncompressed bytes read from one archive (zip-bomb guard).
pub(crate) const MAX_ARCHIVE_BYTES: u64 = 64 << 30;

/// The file name of an archive entry or loose file.
fn base_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Load CVRF documents as feed `suse-cvrf`: the archives' `*.xml` entries (minus those with a
/// loose copy), then the loose files. A loose file that cannot be read as a CVRF document stops
/// the build; a bad entry inside an archive is a warning. Invalid UTF-8 is a warning either way.
pub(crate) fn load(ctx: &mut Ctx<'_>, archives: &[PathBuf], files: &[PathBuf]) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(SOURCE);
    let loose: HashSet<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    for archive in archives {
        let arel = ctx.rel(archive);
        feed.files.push(arel.clone());
        let mut replaced = 0u64;
        tarball::for_each_file(
            archive,
            Compression::Bzip2,
            MAX_DOC_BYTES,
            MAX_ARCHIVE_BYTES,
            &|p: &str| p.ends_with(".xml"),
            &mut |path: &str, entry: Entry<'_>| {
                if loose.contains(base_name(path)) {
                    replaced += 1;
                    return Ok(());
                }
                let label = format!("{arel}:{path}");
                let bytes = match entry {
                    Entry::Data(b) => b,
                    Entry::TooLarge(n) => {
                        ctx.warn(
                            &mut feed,
                            format!(
                                "{label}: {n} bytes, over the {MAX_DOC_BYTES}-byte cap: skipped"
                            ),
                        );
                        return Ok(());
                    }
                };
                let xml = utf8_lossy(ctx, &mut feed, &label, bytes);
                if let Err(msg) = load_doc(ctx, &mut feed, &label, &xml)? {
                    ctx.warn(&mut feed, format!("{label}: {msg}: skipped"));
                }
                Ok(())
            },
        )?;
        if replaced > 0 {
            ctx.note(format!(
                "{arel}: {replaced} document(s) replaced by loose copies"
            ));
        }
    }
    for path in files {
        let rel = ctx.rel(path);
        feed.files.push(rel.clone());
        let bytes = super::oval::read_xml(path)?;
        let xml = utf8_lossy(ctx, &mut feed, &rel, &bytes);
        if let Err(msg) = load_doc(ctx, &mut feed, &rel, &xml)? {
            return Err(Error::feed(path, msg));
        }
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

/// The document as text; a few real documents carry Latin-1 bytes in their notes
/// (`cvrf-opensuse-su-2016-0874-1.xml`: `Ga\xebl`): read with replacement characters and a
/// warning.
fn utf8_lossy<'b>(
    ctx: &mut Ctx<'_>,
    feed: &mut FeedReport,
    rel: &str,
    bytes: &'b [u8],
) -> std::borrow::Cow<'b, str> {
    match std::str::from_utf8(bytes) {
        Ok(x) => std::borrow::Cow::Borrowed(x),
        Err(e) => {
            ctx.warn(
                feed,
                format!("{rel}: not UTF-8 ({e}): read with replacement characters"),
            );
            String::from_utf8_lossy(bytes)
        }
    }
}

/// One CVRF document; `Ok(Err(msg))` when it is not one (invalid XML, another root element).
fn load_doc(
    ctx: &mut Ctx<'_>,
    feed: &mut FeedReport,
    rel: &str,
    xml: &str,
) -> Result<std::result::Result<(), String>> {
    let doc = match super::xml::parse(xml) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let root = doc.root_element();
    if root.tag_name().name() != "cvrfdoc" {
        return Ok(Err("not a CVRF document (no <cvrfdoc>)".into()));
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
        return Ok(Ok(()));
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
    Ok(Ok(()))
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

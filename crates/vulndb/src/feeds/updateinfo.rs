//! yum/dnf `updateinfo.xml` (plain or `.gz`): Amazon Linux ALAS (`amazon/<release>/`) and
//! Rocky Linux (`rocky/<release>/`).
//!
//! Each `<update type="security">` lists CVE references and, per collection, the fixed binary
//! packages (`<package name epoch version release arch>`). One row per (CVE, binary package)
//! with the fix `[epoch:]version-release` (epoch 0 omitted); an update without CVE references
//! gives rows under its own id. Packages of a module collection (`<module name stream>`, Rocky)
//! are keyed `name:stream/package` so that only installed packages of that stream match.
//! Non-security updates (bug fixes, enhancements) are skipped.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::xml::{child, text};
use super::{natural_cmp, read_file};
use crate::build::{Ctx, FeedReport, newer_date};
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity, SeverityRating};
use crate::sink::VulnFacts;

/// Largest decompressed updateinfo accepted (the AL2 file is ~30 MiB).
const MAX_XML: u64 = 512 << 20;

/// Which distro a folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distro {
    Amazon,
    Rocky,
}

impl Distro {
    pub fn source(self) -> &'static str {
        match self {
            Distro::Amazon => "amazon-alas",
            Distro::Rocky => "rocky-updateinfo",
        }
    }
    fn namespace(self, release: &str) -> String {
        match self {
            Distro::Amazon => format!("amzn:{release}"),
            Distro::Rocky => format!("rocky:{release}"),
        }
    }
}

/// One security update.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Update {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Option<String>,
    pub issued: Option<String>,
    pub cves: Vec<String>,
    pub references: Vec<String>,
    /// `(package key, fixed evr)`.
    pub packages: Vec<(String, String)>,
}

/// Parse an updateinfo document; returns the security updates.
pub(crate) fn parse(xml: &str) -> std::result::Result<Vec<Update>, String> {
    let doc = super::xml::parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "updates" {
        return Err("not an updateinfo document (no <updates>)".into());
    }
    let mut out = Vec::new();
    for u in root.children().filter(|n| n.has_tag_name("update")) {
        if u.attribute("type") != Some("security") {
            continue;
        }
        let mut up = Update {
            id: text(child(u, "id")).unwrap_or_default(),
            title: text(child(u, "title")),
            description: text(child(u, "description")),
            severity: text(child(u, "severity")),
            issued: child(u, "issued")
                .and_then(|i| i.attribute("date"))
                .map(str::to_string),
            ..Default::default()
        };
        if let Some(refs) = child(u, "references") {
            for r in refs.children().filter(|n| n.has_tag_name("reference")) {
                if r.attribute("type") == Some("cve")
                    && let Some(id) = r.attribute("id").map(str::trim)
                    && !id.is_empty()
                    && !up.cves.iter().any(|c| c == id)
                {
                    up.cves.push(id.to_string());
                }
                if let Some(h) = r.attribute("href") {
                    up.references.push(h.trim().to_string());
                }
            }
        }
        if let Some(list) = child(u, "pkglist") {
            for coll in list.children().filter(|n| n.has_tag_name("collection")) {
                let module = child(coll, "module").and_then(|m| {
                    Some(format!(
                        "{}:{}",
                        m.attribute("name")?,
                        m.attribute("stream")?
                    ))
                });
                for p in coll.children().filter(|n| n.has_tag_name("package")) {
                    let (Some(name), Some(version), Some(release)) = (
                        p.attribute("name"),
                        p.attribute("version"),
                        p.attribute("release"),
                    ) else {
                        continue;
                    };
                    let evr = match p.attribute("epoch").map(str::trim) {
                        None | Some("") | Some("0") => format!("{version}-{release}"),
                        Some(e) => format!("{e}:{version}-{release}"),
                    };
                    let key = match &module {
                        Some(m) => format!("{m}/{name}"),
                        None => name.to_string(),
                    };
                    let pair = (key, evr);
                    if !up.packages.contains(&pair) {
                        up.packages.push(pair);
                    }
                }
            }
        }
        out.push(up);
    }
    Ok(out)
}

/// Read `updateinfo.xml` or `updateinfo.xml.gz` (size-capped).
fn read_xml(path: &Path) -> Result<String> {
    let bytes = read_file(path)?;
    let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(MAX_XML + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::feed(path, format!("gzip: {e}")))?;
        if out.len() as u64 > MAX_XML {
            return Err(Error::feed(path, "decompressed size over 512 MiB"));
        }
        out
    } else {
        bytes
    };
    String::from_utf8(raw).map_err(|e| Error::feed(path, format!("not UTF-8 ({e})")))
}

/// Load `(release, file)` pairs of one distro as one feed.
pub(crate) fn load(ctx: &mut Ctx<'_>, distro: Distro, files: &[(String, PathBuf)]) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(distro.source());
    for (release, path) in files {
        load_file(ctx, &mut feed, distro, release, path)?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

fn load_file(
    ctx: &mut Ctx<'_>,
    feed: &mut FeedReport,
    distro: Distro,
    release: &str,
    path: &Path,
) -> Result<()> {
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let xml = read_xml(path)?;
    let updates = parse(&xml).map_err(|e| Error::feed(path, e))?;
    let ns = distro.namespace(release);
    let source = distro.source();
    let mut rows: BTreeMap<(String, String), AffectedRecord> = BTreeMap::new();
    for up in &updates {
        if up.id.is_empty() || up.packages.is_empty() {
            ctx.warn(
                feed,
                format!("{rel}: security update without id or packages: skipped"),
            );
            continue;
        }
        feed.records += 1;
        newer_date(&mut feed.newest_date, up.issued.as_deref());
        let severity = up.severity.as_deref().and_then(Severity::parse);
        ctx.sink.vuln(&VulnFacts {
            id: &up.id,
            summary: up.title.as_deref(),
            details: up.description.as_deref(),
            published: up.issued.as_deref(),
            ..VulnFacts::default()
        })?;
        for c in &up.cves {
            ctx.sink.alias(&up.id, c)?;
        }
        for r in &up.references {
            ctx.sink.reference(&up.id, r)?;
        }
        let ids: Vec<&str> = if up.cves.is_empty() {
            vec![up.id.as_str()]
        } else {
            up.cves.iter().map(String::as_str).collect()
        };
        for id in ids {
            ctx.sink.ensure_vuln(id)?;
            if let Some(s) = severity {
                ctx.sink.severity(
                    id,
                    &SeverityRating {
                        source: source.to_string(),
                        severity: s,
                        cvss_vector: None,
                        score: None,
                    },
                )?;
            }
            for (pkg, evr) in &up.packages {
                let key = (pkg.clone(), id.to_string());
                match rows.get_mut(&key) {
                    Some(old) => {
                        // a later update fixing the same CVE again (regression): keep the
                        // first fix, list both advisories
                        if !old.advisory_ids.contains(&up.id) {
                            old.advisory_ids.push(up.id.clone());
                        }
                        if let Some(o) = &old.fixed_version
                            && natural_cmp(evr, o).is_lt()
                        {
                            old.fixed_version = Some(evr.clone());
                            old.ranges[0].fixed = Some(evr.clone());
                        }
                    }
                    None => {
                        rows.insert(
                            key,
                            AffectedRecord {
                                vuln_id: id.to_string(),
                                namespace: ns.clone(),
                                package: pkg.clone(),
                                status: FixStatus::Fixed,
                                fixed_version: Some(evr.clone()),
                                ranges: vec![Range {
                                    introduced: Some("0".into()),
                                    fixed: Some(evr.clone()),
                                    ..Default::default()
                                }],
                                versions: vec![],
                                source: source.to_string(),
                                advisory_ids: vec![up.id.clone()],
                                severity,
                                affected_constraints: Vec::new(),
                                unaffected_constraints: Vec::new(),
                            },
                        );
                    }
                }
            }
        }
    }
    for rec in rows.values() {
        ctx.sink.affected(rec)?;
    }
    Ok(())
}

//! OVAL definitions with `rpminfo` tests: Azure Linux / CBL-Mariner (`azurelinux-oval/`),
//! Oracle Linux ELSA (`oracle-oval/`) and VMware Photon OS PHSA (`photon-oval/`).
//!
//! A definition's criteria tree names tests; an `rpminfo_test` joins an object (the package
//! name) with a state (`evr` with operation `less than`, or a signature key / release check).
//! Every test reached from a definition whose state carries an `evr` bound gives one `(package,
//! fixed version)` pair; tests without an `evr` (signature keys, "Oracle Linux 8 is installed")
//! only select the release; a criterion whose test is missing (trimmed files) is read from its
//! comment (`bind-devel is earlier than 30:9.3.3-8.el5`). The parser is a DOM walk over
//! `roxmltree` (the files are 2–60 MiB; no OVAL crate is maintained).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use roxmltree::Node;

use super::read_file;
use super::xml::{child, text};
use crate::build::{Ctx, FeedReport, newer_date};
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity, SeverityRating};
use crate::sink::VulnFacts;

/// One definition, reduced to what the DB stores.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Definition {
    pub id: String,
    pub title: String,
    /// CVE ids (references with source `CVE`, Oracle `<cve>`).
    pub cves: Vec<String>,
    /// Advisory ids (Oracle `ELSA-…` references).
    pub advisories: Vec<String>,
    pub severity: Option<String>,
    pub description: Option<String>,
    pub issued: Option<String>,
    pub references: Vec<String>,
    /// `(package, evr bound, inclusive, release)`: affected below the bound (`less than`), or
    /// up to and including it (`less than or equal`, Mariner's "no patch available"
    /// definitions); `release` is the "… N is installed" criterion in scope (Oracle and Photon
    /// definitions covering several releases have one criteria branch per release).
    pub packages: Vec<(String, String, bool, Option<String>)>,
    /// Release numbers named by "Oracle Linux 8 is installed" / "Photon OS 3 is installed"
    /// criteria.
    pub releases: Vec<String>,
    /// Azure Linux `<patchable>`: `true`, `false` (no fixed package published yet) or
    /// `Not Applicable` ("this CVE either no longer is or was never applicable").
    pub patchable: Option<String>,
}

/// Parse an OVAL document into definitions.
pub(crate) fn parse(xml: &str) -> std::result::Result<Vec<Definition>, String> {
    let doc = super::xml::parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "oval_definitions" {
        return Err("not an OVAL definitions document".into());
    }
    // tests → (object, state); objects → name; states → evr bound
    let mut tests: HashMap<&str, (Option<&str>, Option<&str>)> = HashMap::new();
    let mut objects: HashMap<&str, String> = HashMap::new();
    let mut states: HashMap<&str, (String, bool)> = HashMap::new();
    for section in root.children().filter(|n| n.is_element()) {
        for n in section.children().filter(|n| n.is_element()) {
            let Some(id) = n.attribute("id") else {
                continue;
            };
            match n.tag_name().name() {
                "rpminfo_test" => {
                    let obj = child(n, "object").and_then(|o| o.attribute("object_ref"));
                    let st = child(n, "state").and_then(|s| s.attribute("state_ref"));
                    tests.insert(id, (obj, st));
                }
                "rpminfo_object" => {
                    if let Some(name) = text(child(n, "name")) {
                        objects.insert(id, name);
                    }
                }
                "rpminfo_state" => {
                    let Some(evr) = child(n, "evr") else { continue };
                    let inclusive = match evr.attribute("operation").unwrap_or("less than") {
                        "less than" => false,
                        "less than or equal" => true,
                        _ => continue,
                    };
                    if let Some(v) = text(Some(evr)) {
                        // one real Azure Linux bound reads "0: 1.20.10-1.azl3": whitespace is
                        // never part of an EVR, drop it
                        states.insert(id, (v.split_whitespace().collect(), inclusive));
                    }
                }
                _ => {}
            }
        }
    }
    let Some(defs) = child(root, "definitions") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for d in defs
        .children()
        .filter(|n| n.has_tag_name("definition") || n.tag_name().name() == "definition")
    {
        let mut def = Definition {
            id: d.attribute("id").unwrap_or_default().to_string(),
            ..Default::default()
        };
        if let Some(m) = child(d, "metadata") {
            def.title = text(child(m, "title")).unwrap_or_default();
            def.description = text(child(m, "description"));
            def.severity = text(child(m, "severity"));
            def.issued = text(child(m, "advisory_date"));
            def.patchable = text(child(m, "patchable"));
            for r in m.children().filter(|c| c.tag_name().name() == "reference") {
                let id = r.attribute("ref_id").unwrap_or_default().trim();
                match r.attribute("source").unwrap_or_default() {
                    // Photon writes `CVE:00001:CVE-2019-16168`
                    s if s.eq_ignore_ascii_case("cve") && id.contains("CVE-") => {
                        push_unique(&mut def.cves, &id[id.find("CVE-").unwrap_or(0)..])
                    }
                    s if s.eq_ignore_ascii_case("elsa") && !id.is_empty() => {
                        push_unique(&mut def.advisories, id)
                    }
                    _ => {}
                }
                if let Some(u) = r.attribute("ref_url") {
                    push_unique(&mut def.references, u.trim());
                }
            }
            if let Some(a) = child(m, "advisory") {
                def.severity = def.severity.or_else(|| text(child(a, "severity")));
                def.issued = def.issued.or_else(|| {
                    child(a, "issued")
                        .and_then(|i| i.attribute("date"))
                        .map(str::to_string)
                });
                for c in a.children().filter(|c| c.tag_name().name() == "cve") {
                    if let Some(t) = text(Some(c)) {
                        push_unique(&mut def.cves, &t);
                    }
                }
            }
        }
        if let Some(c) = child(d, "criteria") {
            walk_criteria(c, None, &tests, &objects, &states, &mut def);
        }
        out.push(def);
    }
    Ok(out)
}

/// The release a "<distro> N is installed" criterion names.
fn installed_release(comment: &str) -> Option<&str> {
    comment
        .strip_prefix("Oracle Linux ")
        .or_else(|| comment.strip_prefix("Photon OS "))
        .and_then(|r| r.strip_suffix(" is installed"))
        .map(str::trim)
}

type Tests<'a> = HashMap<&'a str, (Option<&'a str>, Option<&'a str>)>;

/// Collect the package tests under `c`, each with the release criterion in scope (a
/// `… is installed` criterion applies to its own `<criteria>` and everything below).
fn walk_criteria(
    c: Node<'_, '_>,
    inherited: Option<&str>,
    tests: &Tests<'_>,
    objects: &HashMap<&str, String>,
    states: &HashMap<&str, (String, bool)>,
    def: &mut Definition,
) {
    let own = c
        .children()
        .filter(|n| n.tag_name().name() == "criterion")
        .find_map(|n| installed_release(n.attribute("comment").unwrap_or_default()));
    let release = own.or(inherited);
    if let Some(r) = own {
        push_unique(&mut def.releases, r);
    }
    for n in c.children().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "criteria" => walk_criteria(n, release, tests, objects, states, def),
            "criterion" => {
                let resolved = n
                    .attribute("test_ref")
                    .and_then(|t| tests.get(t))
                    .and_then(|&(obj, st)| {
                        let (name, (evr, inclusive)) = (objects.get(obj?)?, states.get(st?)?);
                        Some((name.clone(), evr.clone(), *inclusive))
                    })
                    // files trimmed of their tests (and Oracle's own criteria comments) say
                    // "bind-devel is earlier than 30:9.3.3-8.el5"
                    .or_else(|| {
                        let (name, evr) = n
                            .attribute("comment")?
                            .trim()
                            .split_once(" is earlier than ")?;
                        (!name.contains(' ') && !evr.contains(' '))
                            .then(|| (name.to_string(), evr.to_string(), false))
                    });
                if let Some((name, evr, inclusive)) = resolved {
                    let entry = (name, evr, inclusive, release.map(str::to_string));
                    if !def.packages.contains(&entry) {
                        def.packages.push(entry);
                    }
                }
            }
            _ => {}
        }
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Largest decompressed XML document accepted (Oracle's `elsa-all` is well over 1 GiB of XML
/// uncompressed; the per-year files are smaller — prefer those).
const MAX_XML: u64 = 2 << 30;

/// Read an XML feed file, plain, bzip2-compressed (`com.oracle.elsa-2024.xml.bz2`, recognised by
/// the `BZh` magic) or gzip-compressed (`com.vmware.phsa-photon3.xml.gz`, magic `1f 8b`),
/// size-capped.
pub(crate) fn read_xml(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let bytes = read_file(path)?;
    let (kind, mut reader): (&str, Box<dyn Read + '_>) = if bytes.starts_with(b"BZh") {
        (
            "bzip2",
            Box::new(bzip2::read::MultiBzDecoder::new(&bytes[..])),
        )
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        (
            "gzip",
            Box::new(flate2::read::MultiGzDecoder::new(&bytes[..])),
        )
    } else {
        return Ok(bytes);
    };
    let mut out = Vec::new();
    (&mut reader)
        .take(MAX_XML + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::feed(path, format!("{kind}: {e}")))?;
    if out.len() as u64 > MAX_XML {
        return Err(Error::feed(path, "decompressed size over 2 GiB"));
    }
    Ok(out)
}

/// `0:2.6.7-3.azl3` → `2.6.7-3.azl3` (an explicit zero epoch compares equal to none).
pub(crate) fn strip_zero_epoch(evr: &str) -> &str {
    evr.strip_prefix("0:").unwrap_or(evr)
}

/// `azurelinux-3.0-oval.xml` → `azurelinux:3.0`; `cbl-mariner-2.0-oval.xml` → `mariner:2.0`
/// (also with `.gz` / `.bz2` after `.xml`).
pub(crate) fn azure_namespace(file_name: &str) -> Option<String> {
    let name = file_name
        .strip_suffix(".gz")
        .or_else(|| file_name.strip_suffix(".bz2"))
        .unwrap_or(file_name);
    let stem = name.strip_suffix(".xml")?;
    let stem = stem.strip_suffix("-oval").unwrap_or(stem);
    let (distro, version) = stem.rsplit_once('-')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let distro = match distro {
        "azurelinux" => "azurelinux",
        "cbl-mariner" | "mariner" => "mariner",
        _ => return None,
    };
    Some(format!("{distro}:{version}"))
}

/// Which OVAL publisher a folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Azure,
    Oracle,
    Photon,
}

impl Flavor {
    pub fn source(self) -> &'static str {
        match self {
            Flavor::Azure => "azurelinux-oval",
            Flavor::Oracle => "oracle-oval",
            Flavor::Photon => "photon-oval",
        }
    }
}

/// Load OVAL files of one publisher as one feed.
pub(crate) fn load(ctx: &mut Ctx<'_>, flavor: Flavor, files: &[std::path::PathBuf]) -> Result<()> {
    let source = flavor.source();
    let (mut feed, mark) = ctx.begin_feed(source);
    for path in files {
        load_file(ctx, &mut feed, flavor, path)?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

fn load_file(ctx: &mut Ctx<'_>, feed: &mut FeedReport, flavor: Flavor, path: &Path) -> Result<()> {
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let bytes = read_xml(path)?;
    let xml =
        std::str::from_utf8(&bytes).map_err(|e| Error::feed(path, format!("not UTF-8 ({e})")))?;
    let defs = parse(xml).map_err(|e| Error::feed(path, e))?;
    let file_ns = match flavor {
        Flavor::Azure => {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            Some(azure_namespace(&name).ok_or_else(|| {
                Error::feed(path, "file name names no release (want azurelinux-3.0-oval.xml, cbl-mariner-2.0-oval.xml)")
            })?)
        }
        Flavor::Oracle | Flavor::Photon => None,
    };
    let source = flavor.source();
    // (namespace, package, vuln id, ranges) → row: the same bound named again (Oracle lists a
    // package once per architecture) is one row with the advisories merged; different bounds
    // for one CVE (Azure Linux 3.0 has xorg-x11-server CVE-2023-1393 below both 1.20.10-4 and
    // 1.20.10-6) stay separate rows — OVAL reports a system affected when any definition holds,
    // and the matcher takes the union of the rows
    let mut rows: BTreeMap<(String, String, String, String), AffectedRecord> = BTreeMap::new();
    for def in &defs {
        if def.packages.is_empty() {
            ctx.warn(feed, format!("{rel}: {}: no package test: skipped", def.id));
            continue;
        }
        feed.records += 1;
        newer_date(&mut feed.newest_date, def.issued.as_deref());
        let severity = def.severity.as_deref().and_then(Severity::parse);
        let release_ns = |r: &str| match flavor {
            // Photon's os-release VERSION_ID is "3.0"
            Flavor::Photon if !r.contains('.') => format!("photon:{r}.0"),
            Flavor::Photon => format!("photon:{r}"),
            _ => format!("ol:{r}"),
        };
        // a package test outside any "… is installed" branch belongs to the only release named
        let only_release = (def.releases.len() == 1).then(|| def.releases[0].as_str());
        let ns_of = |release: Option<&str>| -> Option<String> {
            match &file_ns {
                Some(ns) => Some(ns.clone()),
                None => release.or(only_release).map(release_ns),
            }
        };
        if file_ns.is_none() && def.releases.is_empty() {
            ctx.warn(
                feed,
                format!("{rel}: {}: names no release: skipped", def.id),
            );
            continue;
        }
        let advisory = match flavor {
            Flavor::Oracle => def.advisories.first().cloned(),
            // "PHSA-2020:00001 sqlite Security Update. (Important)"
            Flavor::Photon => def
                .title
                .split_whitespace()
                .next()
                .filter(|w| w.starts_with("PHSA-"))
                .map(str::to_string),
            Flavor::Azure => None,
        };
        let mut ids: Vec<String> = def.cves.clone();
        if ids.is_empty() {
            match &advisory {
                Some(a) => ids.push(a.clone()),
                None => {
                    ctx.warn(
                        feed,
                        format!("{rel}: {}: no CVE or advisory id: skipped", def.id),
                    );
                    continue;
                }
            }
        }
        let summary = if def.title.is_empty() {
            None
        } else {
            Some(def.title.as_str())
        };
        if let Some(a) = &advisory {
            ctx.sink.vuln(&VulnFacts {
                id: a,
                summary,
                details: def.description.as_deref(),
                published: def.issued.as_deref(),
                ..VulnFacts::default()
            })?;
            for c in &def.cves {
                ctx.sink.alias(a, c)?;
            }
        }
        for id in &ids {
            let first_hand = advisory.is_none();
            ctx.sink.vuln(&VulnFacts {
                id,
                summary: if first_hand { summary } else { None },
                details: if first_hand {
                    def.description.as_deref()
                } else {
                    None
                },
                published: if first_hand {
                    def.issued.as_deref()
                } else {
                    None
                },
                ..VulnFacts::default()
            })?;
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
            for r in &def.references {
                ctx.sink.reference(id, r)?;
            }
            {
                let patchable = def.patchable.as_deref().map(str::to_ascii_lowercase);
                let not_applicable = patchable.as_deref() == Some("not applicable");
                for (pkg, evr, inclusive, release) in &def.packages {
                    let Some(ns) = ns_of(release.as_deref()) else {
                        continue;
                    };
                    let ns = &ns;
                    let bound = strip_zero_epoch(evr).to_string();
                    let fixed =
                        !not_applicable && patchable.as_deref() != Some("false") && !inclusive;
                    let (status, ranges) = if not_applicable {
                        (FixStatus::NotAffected, vec![])
                    } else {
                        (
                            if fixed {
                                FixStatus::Fixed
                            } else {
                                FixStatus::NotFixed
                            },
                            vec![Range {
                                introduced: Some("0".into()),
                                fixed: fixed.then(|| bound.clone()),
                                limit: (!fixed && !inclusive).then(|| bound.clone()),
                                last_affected: inclusive.then(|| bound.clone()),
                            }],
                        )
                    };
                    let rec = AffectedRecord {
                        vuln_id: id.clone(),
                        namespace: ns.clone(),
                        package: pkg.clone(),
                        status,
                        fixed_version: fixed.then(|| bound.clone()),
                        ranges,
                        versions: vec![],
                        source: source.to_string(),
                        advisory_ids: advisory.iter().cloned().collect(),
                        severity,
                        affected_constraints: Vec::new(),
                        unaffected_constraints: Vec::new(),
                    };
                    let key = (
                        ns.clone(),
                        pkg.clone(),
                        id.clone(),
                        format!("{:?}", rec.ranges),
                    );
                    match rows.get_mut(&key) {
                        None => {
                            rows.insert(key, rec);
                        }
                        Some(old) => {
                            for a in rec.advisory_ids {
                                if !old.advisory_ids.contains(&a) {
                                    old.advisory_ids.push(a);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    for rec in rows.values() {
        ctx.sink.ensure_vuln(&rec.vuln_id)?;
        ctx.sink.affected(rec)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_from_file_names() {
        assert_eq!(
            azure_namespace("azurelinux-3.0-oval.xml").as_deref(),
            Some("azurelinux:3.0")
        );
        assert_eq!(
            azure_namespace("cbl-mariner-2.0-oval.xml").as_deref(),
            Some("mariner:2.0")
        );
        assert_eq!(
            azure_namespace("cbl-mariner-1.0-oval.xml").as_deref(),
            Some("mariner:1.0")
        );
        assert_eq!(
            azure_namespace("azurelinux-3.0-oval.xml.gz").as_deref(),
            Some("azurelinux:3.0")
        );
        assert_eq!(azure_namespace("oval.xml"), None);
        assert_eq!(azure_namespace("photon-3.0-oval.xml"), None);
    }

    #[test]
    fn compressed_xml_is_read_whole_or_not_at_all() {
        // hand-written document
        let xml = b"<oval_definitions><definitions/></oval_definitions>";
        let dir = tempfile::tempdir().unwrap();
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut e, xml).unwrap();
            e.finish().unwrap()
        };
        let p = dir.path().join("a.xml.gz");
        std::fs::write(&p, &gz).unwrap();
        assert_eq!(read_xml(&p).unwrap(), xml);
        std::fs::write(&p, &gz[..gz.len() - 5]).unwrap();
        let e = read_xml(&p).unwrap_err().to_string();
        assert!(e.contains("a.xml.gz") && e.contains("gzip"), "{e}");
        let plain = dir.path().join("b.xml");
        std::fs::write(&plain, xml).unwrap();
        assert_eq!(read_xml(&plain).unwrap(), xml);
    }
}

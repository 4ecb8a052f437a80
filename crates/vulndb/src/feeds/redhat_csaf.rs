//! Red Hat CSAF VEX (`redhat-csaf/**/cve-*.json`, one CSAF 2.0 VEX document per CVE, as in
//! Red Hat's `csaf/vex` archive): RHEL and UBI.
//!
//! The product tree names products (`BaseOS-9.3.0.Z.MAIN`, with CPE
//! `cpe:/o:redhat:enterprise_linux:9::baseos`) and components (with purls
//! `pkg:rpm/redhat/curl@7.76.1-26.el9_3.2?arch=src`); relationships join them into product ids
//! (`BaseOS-9.3.0.Z.MAIN:curl-0:7.76.1-26.el9_3.2.src`) that the vulnerability's
//! `product_status` lists as `fixed`, `known_affected` or `known_not_affected`.
//!
//! Only products whose CPE is RHEL itself (`cpe:/[ao]:redhat:enterprise_linux:<N>…`) are
//! stored, in namespace `rhel:<N>`; layered products (Satellite, JBoss, EUS streams with their
//! own `rhel_eus` CPE, …) are skipped. Rows are keyed by **source** package: fixed components
//! are the `arch=src` purls (the fix is `[epoch:]version-release`); unfixed ones are named by
//! component. A component with an `rpmmod` qualifier (`nodejs:18:…`) is keyed
//! `nodejs:18/<name>`.
//!
//! The documents are read from Red Hat's archive of all of them (`redhat-csaf/<name>.tar.zst`,
//! entries `YYYY/cve-YYYY-NNNN.json`, streamed: never unpacked on disk) and from loose files
//! `redhat-csaf/**/*.json` (the documents changed since the archive was built, which
//! `update` fetches one by one, or an unpacked archive). A loose file replaces the archive
//! entry with the same path; `redhat-csaf/deletions.csv` (Red Hat's list of deleted documents)
//! removes the archive entries deleted on or after the archive's date.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use time::OffsetDateTime;

use super::read_file;
use super::tarball::{self, Compression, Entry};
use crate::build::{Ctx, FeedReport, newer_date};
use crate::cvss;
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range, Severity, SeverityRating};
use crate::sink::VulnFacts;

pub(crate) const SOURCE: &str = "redhat-csaf";

/// Largest single VEX document read from an archive (the largest real documents are a few MiB;
/// larger entries are skipped with a warning).
pub(crate) const MAX_DOC_BYTES: u64 = 256 << 20;

/// Most uncompressed bytes read from one archive (zip-bomb guard; the real archive expands to
/// a few GiB).
pub(crate) const MAX_ARCHIVE_BYTES: u64 = 64 << 30;

/// Largest `changes.csv` / `deletions.csv` accepted (the real `changes.csv` is ~3.4 MB).
pub(crate) const MAX_CSV_BYTES: u64 = 64 << 20;

/// The name `deletions.csv` is saved under in the feed folder.
pub(crate) const DELETIONS: &str = "deletions.csv";

/// One row of Red Hat's `changes.csv` / `deletions.csv`: `"2023/cve-2023-0044.json","2023-12-12T00:00:00+00:00"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvRow {
    pub path: String,
    pub time: OffsetDateTime,
}

/// Parse `changes.csv` / `deletions.csv`: the rows that parse, and the 1-based numbers of the
/// non-empty lines that do not (a bad timestamp, an unsafe path, a third column).
pub(crate) fn parse_csv(text: &str) -> (Vec<CsvRow>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"').trim())
            .collect();
        let row = match fields.as_slice() {
            [path, time] if safe_doc_path(path) => parse_time(time).map(|time| CsvRow {
                path: path.to_string(),
                time,
            }),
            _ => None,
        };
        match row {
            Some(r) => rows.push(r),
            None => bad.push(i + 1),
        }
    }
    (rows, bad)
}

/// An RFC 3339 timestamp (`2023-12-12T00:00:00+00:00`).
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()
}

/// A document path as Red Hat writes them: relative, `/`-separated, plain components, at most
/// three deep, ending in `.json` (`2023/cve-2023-0044.json`).
pub(crate) fn safe_doc_path(p: &str) -> bool {
    let parts: Vec<&str> = p.split('/').collect();
    p.len() <= 200
        && p.ends_with(".json")
        && parts.len() <= 3
        && parts.iter().all(|c| {
            !c.is_empty()
                && *c != "."
                && *c != ".."
                && !c.starts_with('.')
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// The date in an archive name (`csaf_vex_2023-10-31.tar.zst` → 2023-10-31T00:00Z): the last
/// `YYYY-MM-DD` between `_` or `.` separators.
pub(crate) fn archive_date(name: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    name.split(['_', '.'])
        .filter_map(|part| time::Date::parse(part, &format).ok())
        .next_back()
        .map(|d| d.midnight().assume_utc())
}

/// (namespace, package key, status, fixed version) of one `affected` row.
type RowKey = (String, String, FixStatus, Option<String>);

/// A parsed `pkg:rpm/...` purl: name, version, qualifiers (percent-decoded).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RpmPurl {
    pub name: String,
    pub version: Option<String>,
    pub arch: Option<String>,
    pub epoch: Option<String>,
    pub rpmmod: Option<String>,
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse `pkg:rpm/<namespace>/<name>[@<version>][?<qualifiers>]`.
pub(crate) fn parse_rpm_purl(purl: &str) -> Option<RpmPurl> {
    let rest = purl.strip_prefix("pkg:rpm/")?;
    let (path, quals) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let path = path.split('#').next().unwrap_or(path);
    let (ns_name, version) = match path.rsplit_once('@') {
        Some((n, v)) => (n, Some(pct_decode(v))),
        None => (path, None),
    };
    let name = pct_decode(ns_name.rsplit('/').next()?);
    if name.is_empty() {
        return None;
    }
    let mut p = RpmPurl {
        name,
        version: version.filter(|v| !v.is_empty()),
        ..Default::default()
    };
    for kv in quals.unwrap_or("").split('&') {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        let v = pct_decode(v);
        match k {
            "arch" => p.arch = Some(v),
            "epoch" => p.epoch = Some(v),
            "rpmmod" => p.rpmmod = Some(v),
            _ => {}
        }
    }
    Some(p)
}

/// `cpe:/o:redhat:enterprise_linux:9::baseos` → `9`; any other product → `None`.
pub(crate) fn rhel_major(cpe: &str) -> Option<String> {
    let parts: Vec<&str> = cpe.split(':').collect();
    if parts.len() < 5
        || parts[0] != "cpe"
        || !matches!(parts[1], "/o" | "/a")
        || parts[2] != "redhat"
        || parts[3] != "enterprise_linux"
    {
        return None;
    }
    let major = parts[4].split('.').next()?;
    (!major.is_empty() && major.bytes().all(|b| b.is_ascii_digit())).then(|| major.to_string())
}

/// Every `redhat-csaf/**/*.json`, sorted.
pub(crate) fn discover(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<String>,
) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            discover(&p, out, skipped)?;
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        } else {
            skipped.push(p.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

fn s(v: &Value) -> Option<&str> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn walk_branches<'a>(
    v: &'a Value,
    cpes: &mut HashMap<&'a str, &'a str>,
    purls: &mut HashMap<&'a str, &'a str>,
) {
    for b in v.as_array().into_iter().flatten() {
        if let Some(p) = b.get("product")
            && let Some(id) = s(&p["product_id"])
        {
            let helper = &p["product_identification_helper"];
            if let Some(c) = s(&helper["cpe"]) {
                cpes.insert(id, c);
            }
            if let Some(u) = s(&helper["purl"]) {
                purls.insert(id, u);
            }
        }
        walk_branches(&b["branches"], cpes, purls);
    }
}

/// What the build reads from `redhat-csaf/`.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    /// The archive of all documents (`*.tar.zst`; the newest by name when there are several).
    pub archive: Option<PathBuf>,
    /// `deletions.csv`.
    pub deletions: Option<PathBuf>,
    /// Loose documents (`**/*.json`), sorted.
    pub files: Vec<PathBuf>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.archive.is_none() && self.files.is_empty()
    }
}

/// Look at `redhat-csaf/`: the archive(s), `deletions.csv`, loose `**/*.json`; everything else
/// (and archives older than the newest) goes to `skipped` (paths relative to `root`).
pub(crate) fn discover_folder(
    root: &Path,
    dir: &Path,
    out: &mut Sources,
    skipped: &mut Vec<String>,
) -> Result<()> {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| p.to_string_lossy().into_owned())
    };
    let mut archives = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    let mut loose_skipped = Vec::new();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            discover(&p, &mut out.files, &mut loose_skipped)?;
        } else if name.ends_with(".tar.zst") && p.is_file() {
            archives.push(p);
        } else if name == DELETIONS && p.is_file() {
            out.deletions = Some(p);
        } else if name.ends_with(".json") && p.is_file() {
            out.files.push(p);
        } else {
            skipped.push(rel(&p));
        }
    }
    skipped.extend(loose_skipped.iter().map(|p| rel(Path::new(p))));
    // names carry the date (`csaf_vex_2023-10-31.tar.zst`): the last one is the newest
    if let Some(newest) = archives.pop() {
        out.archive = Some(newest);
    }
    skipped.extend(archives.iter().map(|p| rel(p)));
    out.files.sort();
    Ok(())
}

/// Load the VEX documents as feed `redhat-csaf`: the archive's entries (minus those replaced
/// by a loose file or deleted after the archive's date), then the loose files.
pub(crate) fn load(ctx: &mut Ctx<'_>, root: &Path, src: &Sources) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(SOURCE);
    let folder = root.join("redhat-csaf");
    // loose documents by their path inside the folder (`2023/cve-2023-0044.json`)
    let loose: HashSet<String> = src
        .files
        .iter()
        .filter_map(|p| p.strip_prefix(&folder).ok())
        .map(|r| {
            r.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    if let Some(archive) = &src.archive {
        let arel = ctx.rel(archive);
        feed.files.push(arel.clone());
        let name = archive
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let date = archive_date(&name);
        let mut deleted = HashSet::new();
        if let Some(d) = &src.deletions {
            let drel = ctx.rel(d);
            let text = read_csv_file(d)?;
            let (rows, bad) = parse_csv(&text);
            if !bad.is_empty() {
                ctx.warn(
                    &mut feed,
                    format!(
                        "{drel}: {} line(s) not read (first: line {})",
                        bad.len(),
                        bad[0]
                    ),
                );
            }
            // deletions before the archive's date are not in it (a document deleted and
            // created again has a newer loose copy, which wins anyway)
            deleted.extend(
                rows.into_iter()
                    .filter(|r| date.is_none_or(|d| r.time >= d))
                    .map(|r| r.path),
            );
        }
        let (mut replaced, mut removed) = (0u64, 0u64);
        tarball::for_each_file(
            archive,
            Compression::Zstd,
            MAX_DOC_BYTES,
            MAX_ARCHIVE_BYTES,
            &|p: &str| p.ends_with(".json"),
            &mut |path: &str, entry: Entry<'_>| {
                if loose.contains(path) {
                    replaced += 1;
                    return Ok(());
                }
                if deleted.contains(path) {
                    removed += 1;
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
                match serde_json::from_slice::<Value>(bytes) {
                    Ok(doc) => load_doc(ctx, &mut feed, &label, &doc),
                    Err(e) => {
                        ctx.warn(&mut feed, format!("{label}: invalid JSON ({e}): skipped"));
                        Ok(())
                    }
                }
            },
        )?;
        if replaced + removed > 0 {
            ctx.note(format!(
                "{arel}: {replaced} document(s) replaced by newer loose copies, {removed} deleted since the archive was built"
            ));
        }
    }
    for path in &src.files {
        let rel = ctx.rel(path);
        feed.files.push(rel.clone());
        let bytes = read_file(path)?;
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| super::json_error(path, e))?;
        load_doc(ctx, &mut feed, &rel, &doc)?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

/// Read a CSV list, size-capped.
fn read_csv_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut s = String::new();
    f.take(MAX_CSV_BYTES + 1)
        .read_to_string(&mut s)
        .map_err(|e| Error::feed(path, format!("not UTF-8 text ({e})")))?;
    if s.len() as u64 > MAX_CSV_BYTES {
        return Err(Error::feed(path, format!("over {MAX_CSV_BYTES} bytes")));
    }
    Ok(s)
}

/// One VEX document (`rel` names it in warnings).
fn load_doc(ctx: &mut Ctx<'_>, feed: &mut FeedReport, rel: &str, doc: &Value) -> Result<()> {
    let Some(vuln) = doc["vulnerabilities"].as_array().and_then(|v| v.first()) else {
        ctx.warn(
            feed,
            format!("{rel}: no vulnerabilities (not a VEX document): skipped"),
        );
        return Ok(());
    };
    let Some(cve) = s(&vuln["cve"]) else {
        ctx.warn(
            feed,
            format!("{rel}: vulnerability without a CVE id: skipped"),
        );
        return Ok(());
    };
    feed.records += 1;
    newer_date(
        &mut feed.newest_date,
        s(&doc["document"]["tracking"]["current_release_date"]),
    );

    let mut cpes = HashMap::new();
    let mut purls = HashMap::new();
    walk_branches(&doc["product_tree"]["branches"], &mut cpes, &mut purls);
    let mut rels: HashMap<&str, (&str, &str)> = HashMap::new();
    for r in doc["product_tree"]["relationships"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let (Some(full), Some(comp), Some(prod)) = (
            s(&r["full_product_name"]["product_id"]),
            s(&r["product_reference"]),
            s(&r["relates_to_product_reference"]),
        ) {
            rels.insert(full, (comp, prod));
        }
    }
    // product id → (remediation category, advisory id, details)
    let mut remediation: HashMap<&str, (&str, Option<String>, &str)> = HashMap::new();
    for r in vuln["remediations"].as_array().into_iter().flatten() {
        let cat = s(&r["category"]).unwrap_or("");
        let advisory = s(&r["url"])
            .and_then(|u| u.rsplit('/').next())
            .filter(|a| a.starts_with("RH"))
            .map(str::to_string);
        let details = s(&r["details"]).unwrap_or("");
        for id in r["product_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(s)
        {
            remediation
                .entry(id)
                .or_insert((cat, advisory.clone(), details));
        }
    }
    let mut impact: HashMap<&str, Severity> = HashMap::new();
    for t in vuln["threats"].as_array().into_iter().flatten() {
        if s(&t["category"]) != Some("impact") {
            continue;
        }
        if let Some(sev) = s(&t["details"]).and_then(Severity::parse) {
            for id in t["product_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(s)
            {
                impact.insert(id, sev);
            }
        }
    }
    let doc_severity = s(&doc["document"]["aggregate_severity"]["text"]).and_then(Severity::parse);

    // vulnerability facts, CVSS, references
    let details = vuln["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| s(&n["category"]) == Some("description"))
        .and_then(|n| s(&n["text"]));
    ctx.sink.vuln(&VulnFacts {
        id: cve,
        summary: s(&vuln["title"]),
        details,
        published: s(&vuln["release_date"]),
        modified: s(&doc["document"]["tracking"]["current_release_date"]),
    })?;
    for sc in vuln["scores"].as_array().into_iter().flatten() {
        let v3 = &sc["cvss_v3"];
        if let Some(vector) = s(&v3["vectorString"]) {
            let computed = cvss::v3_base(vector);
            let score = v3["baseScore"].as_f64().or(computed.map(|(sc, _)| sc));
            let severity = s(&v3["baseSeverity"])
                .and_then(Severity::parse)
                .or(computed.map(|(_, sev)| sev))
                .unwrap_or(Severity::Unknown);
            ctx.sink.severity(
                cve,
                &SeverityRating {
                    source: SOURCE.to_string(),
                    severity,
                    cvss_vector: Some(vector.to_string()),
                    score,
                },
            )?;
        }
    }
    for r in vuln["references"].as_array().into_iter().flatten() {
        if let Some(u) = s(&r["url"]) {
            ctx.sink.reference(cve, u)?;
        }
    }

    // (namespace, package, status, fixed) → advisories, severity
    let mut rows: BTreeMap<RowKey, (Vec<String>, Option<Severity>)> = BTreeMap::new();
    for (status_key, status) in [
        ("fixed", FixStatus::Fixed),
        ("known_affected", FixStatus::NotFixed),
        ("known_not_affected", FixStatus::NotAffected),
    ] {
        for id in vuln["product_status"][status_key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(s)
        {
            let Some(&(comp, prod)) = rels.get(id) else {
                continue;
            };
            let Some(major) = cpes.get(prod).and_then(|c| rhel_major(c)) else {
                continue;
            };
            let purl = purls.get(comp).and_then(|p| parse_rpm_purl(p)).or_else(|| {
                // components without a purl: a bare name (`curl`, `curl.src`)
                let name = comp.strip_suffix(".src").unwrap_or(comp);
                (!name.contains(':')).then(|| RpmPurl {
                    name: name.to_string(),
                    ..Default::default()
                })
            });
            let Some(purl) = purl else { continue };
            let key = match purl.rpmmod.as_deref().and_then(module_stream) {
                Some(m) => format!("{m}/{}", purl.name),
                None => purl.name.clone(),
            };
            let (status, fixed) = match status {
                FixStatus::Fixed => {
                    // the source RPM carries the fix for every binary built from it
                    if purl.arch.as_deref() != Some("src") {
                        continue;
                    }
                    let Some(v) = purl.version.clone() else {
                        continue;
                    };
                    let fixed = match purl.epoch.as_deref() {
                        Some(e) if e != "0" => format!("{e}:{v}"),
                        _ => v,
                    };
                    (FixStatus::Fixed, Some(fixed))
                }
                FixStatus::NotFixed => match remediation.get(id) {
                    Some(("no_fix_planned", _, d)) if d.contains("Out of support scope") => {
                        (FixStatus::EndOfLife, None)
                    }
                    Some(("no_fix_planned", _, _)) => (FixStatus::WontFix, None),
                    _ => (FixStatus::NotFixed, None),
                },
                other => (other, None),
            };
            let entry = rows
                .entry((format!("rhel:{major}"), key, status, fixed))
                .or_insert_with(|| (Vec::new(), None));
            if let Some((_, Some(a), _)) = remediation.get(id)
                && !entry.0.contains(a)
            {
                entry.0.push(a.clone());
            }
            entry.1 = entry.1.or(impact.get(id).copied()).or(doc_severity);
        }
    }
    for ((ns, pkg, status, fixed), (mut advisories, severity)) in rows {
        advisories.sort();
        for a in &advisories {
            ctx.sink.vuln(&VulnFacts {
                id: a,
                ..VulnFacts::default()
            })?;
            ctx.sink.alias(a, cve)?;
        }
        let ranges = match (&status, &fixed) {
            (FixStatus::Fixed, Some(f)) => vec![Range {
                introduced: Some("0".into()),
                fixed: Some(f.clone()),
                ..Default::default()
            }],
            _ => vec![],
        };
        ctx.sink.affected(&AffectedRecord {
            vuln_id: cve.to_string(),
            namespace: ns,
            package: pkg,
            status,
            fixed_version: fixed,
            ranges,
            versions: vec![],
            source: SOURCE.to_string(),
            advisory_ids: advisories,
            severity,
            affected_constraints: Vec::new(),
            unaffected_constraints: Vec::new(),
        })?;
    }
    Ok(())
}

/// `nodejs:18:8080020230911105043:63b34585` → `nodejs:18`.
fn module_stream(rpmmod: &str) -> Option<String> {
    let mut it = rpmmod.split(':');
    match (it.next(), it.next()) {
        (Some(n), Some(s)) if !n.is_empty() && !s.is_empty() => Some(format!("{n}:{s}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_and_cpes() {
        assert_eq!(
            parse_rpm_purl("pkg:rpm/redhat/curl@7.76.1-26.el9_3.2?arch=src"),
            Some(RpmPurl {
                name: "curl".into(),
                version: Some("7.76.1-26.el9_3.2".into()),
                arch: Some("src".into()),
                ..Default::default()
            })
        );
        let p = parse_rpm_purl(
            "pkg:rpm/redhat/nodejs@18.14.2-3.module%2Bel8.8.0%2B18254%2Bd8a6c4a5?arch=src&epoch=1&rpmmod=nodejs:18:8080020230303093218:63b34585",
        )
        .unwrap();
        assert_eq!(
            p.version.as_deref(),
            Some("18.14.2-3.module+el8.8.0+18254+d8a6c4a5")
        );
        assert_eq!(p.epoch.as_deref(), Some("1"));
        assert_eq!(
            module_stream(p.rpmmod.as_deref().unwrap()).as_deref(),
            Some("nodejs:18")
        );
        assert_eq!(parse_rpm_purl("pkg:rpm/redhat/curl").unwrap().version, None);
        assert_eq!(parse_rpm_purl("pkg:deb/debian/curl@1"), None);
        assert_eq!(
            rhel_major("cpe:/o:redhat:enterprise_linux:9::baseos").as_deref(),
            Some("9")
        );
        assert_eq!(
            rhel_major("cpe:/a:redhat:enterprise_linux:8::appstream").as_deref(),
            Some("8")
        );
        assert_eq!(
            rhel_major("cpe:/o:redhat:enterprise_linux:7").as_deref(),
            Some("7")
        );
        assert_eq!(rhel_major("cpe:/o:redhat:rhel_eus:9.0::baseos"), None);
        assert_eq!(
            rhel_major("cpe:/a:redhat:rhel_satellite_client:6::el7"),
            None
        );
    }
}

//! CycloneDX 1.6 JSON: the image, its OS and packages as components, and the findings as
//! `vulnerabilities`. Own serde types (the `cyclonedx-bom` crate stops at 1.5).
//!
//! * `serialNumber` is `urn:uuid:` + a name-based (v5) UUID of the image ID (else manifest
//!   digest, else the source), so the same image always gets the same serial number and
//!   snapshots are stable; `version` is always 1. Two BOMs of one image made with different
//!   vulnerability data therefore share a serial number: compare `metadata.timestamp`.
//! * `bom-ref`s: `image` for the image, `os:<id>@<version>` for the OS, the purl for a
//!   package, or purl + `|` + path when several packages share a purl (the same library in
//!   two places); `#<n>` is appended in the rare case that is still not unique.
//! * Secrets and misconfigurations are not SBOM content and are left out.

use crate::common::{
    License, advisory_url, classify_license, clean_text, created_time, feed_url, id_publisher,
    image_key, image_name, is_web_url, normalise_time, split_reference, to_pretty_json,
    utc_seconds, uuid_v5,
};
use crate::{Analysis as VexAnalysis, Format, Report, ReportError};
use drydock_inventory::{Package, PackageKind};
use drydock_matcher::Finding;
use drydock_vulndb::{FixStatus, Severity, SeverityRating};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// `bom-ref` of the image component.
pub const IMAGE_REF: &str = "image";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: LicenseObj },
    Expression { expression: String },
}

#[derive(Serialize)]
struct LicenseObj {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Serialize, Clone)]
struct Property {
    name: &'static str,
    value: String,
}

fn prop(name: &'static str, value: impl Into<String>) -> Property {
    Property {
        name,
        value: value.into(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<VulnReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    analysis: Analysis,
    affects: Vec<Affects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize, PartialEq, Eq, Hash, Clone)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct VulnReference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Analysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<String>,
    detail: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize, PartialEq, Eq)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

/// CycloneDX `severity` (lowercase; NEGLIGIBLE has no CycloneDX level and maps to `info`).
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "info",
        Severity::Unknown => "unknown",
    }
}

/// CycloneDX rating `method` from a CVSS vector's version prefix (v2 vectors have none).
pub fn method(vector: Option<&str>) -> &'static str {
    match vector {
        Some(v) if v.starts_with("CVSS:3.1/") => "CVSSv31",
        Some(v) if v.starts_with("CVSS:3.0/") => "CVSSv3",
        Some(v) if v.starts_with("CVSS:4.0/") => "CVSSv4",
        Some(v) if v.starts_with("AV:") || v.starts_with("(AV:") => "CVSSv2",
        _ => "other",
    }
}

/// Split the ecosystem's namespace off a package name: Maven `group:artifact`, npm
/// `@scope/name`.
fn group_and_name(p: &Package) -> (Option<String>, String) {
    match p.kind {
        PackageKind::Maven => match p.name.split_once(':') {
            Some((g, a)) if !g.is_empty() && !a.is_empty() => (Some(g.into()), a.into()),
            _ => (None, p.name.clone()),
        },
        PackageKind::Npm if p.name.starts_with('@') => match p.name.split_once('/') {
            Some((g, n)) if !n.is_empty() => (Some(g.into()), n.into()),
            _ => (None, p.name.clone()),
        },
        _ => (None, p.name.clone()),
    }
}

fn licenses(p: &Package) -> Vec<LicenseChoice> {
    match p.license.as_deref().and_then(classify_license) {
        None => Vec::new(),
        Some(License::Id(id)) => vec![LicenseChoice::License {
            license: LicenseObj {
                id: Some(id.to_string()),
                name: None,
            },
        }],
        Some(License::Expression(e)) => vec![LicenseChoice::Expression {
            expression: e.to_string(),
        }],
        Some(License::Other(text)) => vec![LicenseChoice::License {
            license: LicenseObj {
                id: None,
                name: Some(clean_text(text)),
            },
        }],
    }
}

/// The `bom-ref` of every package, in order (see the module docs).
pub fn package_refs(packages: &[Package]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for p in packages {
        *count.entry(p.purl.as_str()).or_default() += 1;
    }
    let mut used: HashSet<String> = HashSet::new();
    packages
        .iter()
        .map(|p| {
            let base = if p.purl.trim().is_empty() {
                format!("{}:{}@{}|{}", p.kind.as_str(), p.name, p.version, p.path)
            } else if count[p.purl.as_str()] > 1 {
                format!("{}|{}", p.purl, p.path)
            } else {
                p.purl.clone()
            };
            let mut r = base.clone();
            let mut n = 2;
            while !used.insert(r.clone()) {
                r = format!("{base}#{n}");
                n += 1;
            }
            r
        })
        .collect()
}

fn os_ref(r: &Report) -> Option<String> {
    r.os.as_ref().map(|o| {
        format!(
            "os:{}@{}",
            o.id,
            o.version_id.as_deref().unwrap_or("unknown")
        )
    })
}

fn image_component(r: &Report) -> Component {
    let name = image_name(r);
    let (repo, tag) = split_reference(name);
    let version = tag
        .map(str::to_string)
        .or_else(|| r.artifact.manifest_digest.clone())
        .or_else(|| r.artifact.image_id.clone());
    let mut hashes = Vec::new();
    if let Some(hex) = r
        .artifact
        .image_id
        .as_deref()
        .and_then(|d| d.strip_prefix("sha256:"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        // the image ID is the SHA-256 of the image config
        hashes.push(Hash {
            alg: "SHA-256",
            content: hex.to_ascii_lowercase(),
        });
    }
    let mut properties = vec![
        prop("drydock:image:source", clean_text(&r.artifact.source)),
        prop("drydock:image:format", r.artifact.format.clone()),
    ];
    if let Some(id) = &r.artifact.image_id {
        properties.push(prop("drydock:image:id", id.clone()));
    }
    if let Some(d) = &r.artifact.manifest_digest {
        properties.push(prop("drydock:image:manifest_digest", d.clone()));
    }
    for t in &r.artifact.repo_tags {
        properties.push(prop("drydock:image:repo_tag", clean_text(t)));
    }
    if let Some(p) = &r.artifact.platform {
        properties.push(prop("drydock:image:platform", p.clone()));
    }
    for l in &r.artifact.layers {
        properties.push(prop(
            "drydock:image:layer",
            format!("{} {}", l.index, l.diff_id),
        ));
    }
    Component {
        kind: "container",
        bom_ref: Some(IMAGE_REF.to_string()),
        name: clean_text(repo),
        version: version.map(|v| clean_text(&v)),
        hashes,
        properties,
        ..Component::default()
    }
}

fn package_component(p: &Package, bom_ref: String) -> Component {
    let (group, name) = group_and_name(p);
    let mut properties = vec![
        prop("drydock:package:kind", p.kind.as_str()),
        prop("drydock:package:path", clean_text(&p.path)),
        prop("drydock:layer:index", p.layer_index.to_string()),
        prop("drydock:layer:diff_id", p.layer_diff_id.clone()),
        prop("drydock:package:dev", p.dev.to_string()),
    ];
    if p.source_name != p.name || p.source_version != p.version {
        properties.push(prop(
            "drydock:package:source",
            clean_text(&format!("{} {}", p.source_name, p.source_version)),
        ));
    }
    // TODO: component `hashes` once the inventory records package digests (jar/wheel/gem
    // checksums); Package has none yet.
    Component {
        kind: "library",
        bom_ref: Some(bom_ref),
        group: group.map(|g| clean_text(&g)),
        name: clean_text(&name),
        version: Some(clean_text(&p.version)),
        scope: p.dev.then_some("optional"),
        licenses: licenses(p),
        purl: (!p.purl.trim().is_empty()).then(|| p.purl.clone()),
        properties,
        ..Component::default()
    }
}

/// Where a vulnerability id is published: the feed that reported it, linked to the id's
/// public page when there is one.
fn source(f: &Finding) -> Option<Source> {
    let name = f.sources.first()?.clone();
    Some(Source {
        url: feed_url(&name, &f.id),
        name,
    })
}

/// A rating's source: the NVD's own scores as `NVD`, a CNA's score the NVD republishes under
/// the CNA's name, both linked to the CVE's NVD page.
fn rating_source(r: &SeverityRating, id: &str) -> Source {
    let nvd_page = || {
        id.starts_with("CVE-")
            .then(|| format!("https://nvd.nist.gov/vuln/detail/{id}"))
    };
    if r.source == "nvd" {
        Source {
            name: "NVD".into(),
            url: nvd_page(),
        }
    } else if let Some(cna) = r.source.strip_prefix("nvd:") {
        Source {
            name: clean_text(cna),
            url: nvd_page(),
        }
    } else {
        Source {
            name: r.source.clone(),
            url: None,
        }
    }
}

fn rating(r: &SeverityRating, id: &str) -> Rating {
    let vector = r.cvss_vector.as_ref().map(|v| clean_text(v));
    Rating {
        source: Some(rating_source(r, id)),
        score: r.score.filter(|s| s.is_finite()),
        severity: severity(r.severity),
        method: method(vector.as_deref()),
        vector,
    }
}

/// Ratings of all findings of one id, without repeats; the finding's own (qualitative)
/// severity when no rating backs it.
fn ratings(findings: &[&Finding]) -> Vec<Rating> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for f in findings {
        for r in &f.ratings {
            let key = format!(
                "{}|{}|{:?}|{:?}",
                r.source,
                r.severity.as_str(),
                r.cvss_vector,
                r.score
            );
            if seen.insert(key) {
                out.push(rating(r, &f.id));
            }
        }
        if f.severity != Severity::Unknown
            && !f.ratings.iter().any(|r| r.severity == f.severity)
            && let Some(src) = &f.severity_source
        {
            let key = format!("{src}|{}|None|None", f.severity.as_str());
            if seen.insert(key) {
                out.push(Rating {
                    source: Some(Source {
                        name: src.clone(),
                        url: None,
                    }),
                    score: None,
                    severity: severity(f.severity),
                    method: "other",
                    vector: None,
                });
            }
        }
    }
    out
}

fn vulnerability(id: &str, findings: &[&Finding], refs: &HashMap<&str, &str>) -> Vulnerability {
    let first = findings[0];
    let mut aliases = BTreeSet::new();
    let mut advisories = Vec::new();
    let mut seen_urls = HashSet::new();
    for f in findings {
        aliases.extend(f.aliases.iter().filter(|a| a.as_str() != id).cloned());
        for u in f.references.iter().filter(|u| is_web_url(u)) {
            if seen_urls.insert(u.clone()) {
                advisories.push(Advisory { url: u.clone() });
            }
        }
    }
    let references = aliases
        .into_iter()
        .map(|a| VulnReference {
            source: Source {
                name: id_publisher(&a),
                url: advisory_url(&a),
            },
            id: a,
        })
        .collect();

    // affects: one entry per component, installed version affected, fixed version not
    let mut affects: Vec<Affects> = Vec::new();
    let mut recommendation = Vec::new();
    let mut response: Vec<String> = Vec::new();
    let mut detail = Vec::new();
    for f in findings {
        let p = &f.package;
        let key = format!("{}|{}|{}", p.purl, p.path, p.name);
        let Some(r) = refs.get(key.as_str()) else {
            continue;
        };
        let mut versions = vec![AffectedVersion {
            version: clean_text(&p.version),
            status: "affected",
        }];
        if let Some(v) = &f.fixed_version {
            versions.push(AffectedVersion {
                version: clean_text(v),
                status: "unaffected",
            });
        }
        match affects.iter_mut().find(|a| a.reference == *r) {
            Some(a) => {
                for v in versions {
                    if !a.versions.contains(&v) {
                        a.versions.push(v);
                    }
                }
            }
            None => affects.push(Affects {
                reference: r.to_string(),
                versions,
            }),
        }
        let who = format!("{} {}", clean_text(&p.name), clean_text(&p.version));
        let (resp, line) = match (&f.fixed_version, f.status) {
            (Some(v), _) => (
                Some("update"),
                format!("Upgrade {} to {}", clean_text(&p.name), clean_text(v)),
            ),
            (None, FixStatus::WontFix) => {
                (Some("will_not_fix"), format!("{who}: will not be fixed"))
            }
            (None, FixStatus::EndOfLife) => (
                Some("can_not_fix"),
                format!("{who}: no fix, the release is end-of-life"),
            ),
            (None, _) => (None, format!("{who}: no fix released yet")),
        };
        if let Some(resp) = resp
            && !response.iter().any(|r| r == resp)
        {
            response.push(resp.to_string());
        }
        if f.fixed_version.is_some() {
            if !recommendation.contains(&line) {
                recommendation.push(line);
            }
        } else if !detail.contains(&line) {
            detail.push(line);
        }
    }
    let mut detail_text = format!(
        "Reported by {} (status: {}); exploitability in this image has not been assessed.",
        first.sources.join(", "),
        first.status.as_str()
    );
    if !detail.is_empty() {
        detail_text.push(' ');
        detail_text.push_str(&detail.join("; "));
        detail_text.push('.');
    }

    let mut properties = Vec::new();
    if let Some(e) = &first.epss {
        properties.push(prop("drydock:epss:score", e.score.to_string()));
        properties.push(prop("drydock:epss:percentile", e.percentile.to_string()));
        properties.push(prop("drydock:epss:date", clean_text(&e.date)));
    }
    if let Some(k) = &first.kev {
        properties.push(prop("drydock:kev:date_added", clean_text(&k.date_added)));
        if let Some(d) = &k.due_date {
            properties.push(prop("drydock:kev:due_date", clean_text(d)));
        }
        if let Some(u) = &k.known_ransomware_campaign_use {
            properties.push(prop(
                "drydock:kev:known_ransomware_campaign_use",
                clean_text(u),
            ));
        }
    }
    Vulnerability {
        id: id.to_string(),
        source: source(first),
        references,
        ratings: ratings(findings),
        description: first
            .title
            .as_deref()
            .map(clean_text)
            .filter(|t| !t.trim().is_empty()),
        recommendation: (!recommendation.is_empty()).then(|| recommendation.join("; ")),
        advisories,
        published: first.published.as_deref().and_then(normalise_time),
        analysis: Analysis {
            state: "in_triage",
            justification: None,
            response,
            detail: detail_text,
        },
        affects,
        properties,
    }
}

/// Render the CycloneDX 1.6 JSON document.
pub fn render(report: &Report) -> Result<String, ReportError> {
    to_pretty_json(&build(report, false), Format::CycloneDx)
}

/// Render the CycloneDX 1.6 VEX document: the BOM of [`render`], with one vulnerability per
/// id and analysis. Kept findings are `in_triage` unless a VEX statement says `affected`
/// (`exploitable`) or `under_investigation`; suppressed findings are included with the
/// analysis their suppression gives ([`Report::vex`]): `not_affected` with a justification,
/// `resolved`, or `exploitable` with `will_not_fix` for a risk accepted by an ignore entry.
pub fn render_vex(report: &Report) -> Result<String, ReportError> {
    to_pretty_json(&build(report, true), Format::CycloneDxVex)
}

/// Group findings by id (and, for VEX, by analysis), in order of first appearance.
fn grouped<'a>(
    items: &[(&'a Finding, Option<&'a VexAnalysis>)],
) -> Vec<(&'a str, Option<&'a VexAnalysis>, Vec<&'a Finding>)> {
    let mut out: Vec<(&str, Option<&VexAnalysis>, Vec<&Finding>)> = Vec::new();
    for (f, a) in items {
        match out
            .iter_mut()
            .find(|(id, b, _)| *id == f.id.as_str() && b == a)
        {
            Some((_, _, v)) => v.push(f),
            None => out.push((f.id.as_str(), *a, vec![f])),
        }
    }
    out
}

fn build(r: &Report, vex: bool) -> Bom {
    let refs = package_refs(&r.packages);
    let mut components = Vec::new();
    let mut depends_on = Vec::new();
    if let (Some(os), Some(os_ref)) = (&r.os, os_ref(r)) {
        components.push(Component {
            kind: "operating-system",
            bom_ref: Some(os_ref.clone()),
            name: clean_text(&os.id),
            version: os.version_id.as_deref().map(clean_text),
            description: os.pretty_name.as_deref().map(clean_text),
            ..Component::default()
        });
        depends_on.push(os_ref);
    }
    for (p, bom_ref) in r.packages.iter().zip(&refs) {
        components.push(package_component(p, bom_ref.clone()));
        depends_on.push(bom_ref.clone());
    }

    // findings name packages by copy: find each one's component by purl, path and name
    let by_key: HashMap<String, &str> = r
        .packages
        .iter()
        .zip(&refs)
        .map(|(p, r)| (format!("{}|{}|{}", p.purl, p.path, p.name), r.as_str()))
        .collect();
    let by_key: HashMap<&str, &str> = by_key.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let mut items: Vec<(&Finding, Option<&VexAnalysis>)> = r
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f, if vex { r.vex.kept.get(&i) } else { None }))
        .collect();
    if vex {
        items.extend(
            r.vex
                .suppressed
                .iter()
                .map(|s| (&s.finding, Some(&s.analysis))),
        );
    }
    let vulnerabilities = grouped(&items)
        .into_iter()
        .map(|(id, a, fs)| {
            let mut v = vulnerability(id, &fs, &by_key);
            if let Some(a) = a {
                v.analysis = Analysis {
                    state: a.state.as_str(),
                    justification: a.justification.clone(),
                    response: a.response.clone(),
                    detail: clean_text(&a.detail),
                };
            }
            v
        })
        .collect();

    Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!(
            "urn:uuid:{}",
            uuid_v5(&[
                if vex { "cyclonedx-vex" } else { "cyclonedx" },
                image_key(r)
            ])
        ),
        version: 1,
        metadata: Metadata {
            timestamp: Some(utc_seconds(created_time(r))),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: "drydock".to_string(),
                    version: Some(clean_text(&r.tool.version)),
                    ..Component::default()
                }],
            },
            component: image_component(r),
        },
        components,
        dependencies: vec![Dependency {
            reference: IMAGE_REF.to_string(),
            depends_on,
        }],
        vulnerabilities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_from_vector_prefixes() {
        assert_eq!(
            method(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")),
            "CVSSv31"
        );
        assert_eq!(
            method(Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")),
            "CVSSv3"
        );
        assert_eq!(
            method(Some(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
            )),
            "CVSSv4"
        );
        assert_eq!(method(Some("AV:N/AC:L/Au:N/C:P/I:P/A:P")), "CVSSv2");
        assert_eq!(method(None), "other");
        assert_eq!(severity(Severity::Negligible), "info");
    }
}

//! GitLab container scanning report (security report schema [`SCHEMA_VERSION`], the
//! `container-scanning-report-format.json` of GitLab's security-report-schemas), for
//! `artifacts:reports:container_scanning`.
//!
//! One vulnerability per finding: a deterministic `id` (name-based UUID of image, id,
//! package, version and path, so GitLab tracks it across pipelines), `identifiers` (the id,
//! then its aliases), `location` {`dependency` {`package` {`name`}, `version`},
//! `operating_system`, `image`}, `severity` (`Critical`/`High`/`Medium`/`Low`; NEGLIGIBLE →
//! `Info`, UNKNOWN → `Unknown`), `solution` from the fixed version, `links` from the
//! references and `cvss_vectors` (CVSS v2 and v3.x only: the schema has no v4). Secrets and
//! misconfigurations have no place in this report type; `scan.messages` counts them, and
//! scan warnings are passed on as `warn` messages.

use crate::common::{
    advisory_url, clean_text, created_time, id_type, image_name, is_web_url, layer_text,
    to_pretty_json, truncate, utc_seconds, uuid_v5,
};
use crate::{Format, Report, ReportError};
use drydock_matcher::Finding;
use drydock_vulndb::{FixStatus, Severity};
use serde::Serialize;

/// The security report schema version written.
pub const SCHEMA_VERSION: &str = "15.0.7";

#[derive(Serialize)]
struct GitlabReport {
    version: &'static str,
    scan: Scan,
    vulnerabilities: Vec<Vulnerability>,
    remediations: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Analyzer,
    scanner: Analyzer,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    start_time: String,
    end_time: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Analyzer {
    id: &'static str,
    name: &'static str,
    vendor: Vendor,
    version: String,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    name: String,
    description: String,
    severity: &'static str,
    solution: String,
    location: Location,
    identifiers: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cvss_vectors: Vec<CvssVector>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    details: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Location {
    dependency: Dependency,
    operating_system: String,
    image: String,
}

#[derive(Serialize)]
struct Dependency {
    package: PackageName,
    version: String,
}

#[derive(Serialize)]
struct PackageName {
    name: String,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct CvssVector {
    vendor: String,
    vector: String,
}

#[derive(Serialize)]
struct Link {
    url: String,
}

/// GitLab's severity names.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Negligible => "Info",
        Severity::Unknown => "Unknown",
    }
}

/// A vector the schema accepts: CVSS v3.x with its prefix, or a bare v2 vector.
fn accepted_vector(v: &str) -> bool {
    let v3 = v.starts_with("CVSS:3.0/") || v.starts_with("CVSS:3.1/");
    let v2 = v.starts_with("AV:") && v.contains("/Au:");
    (v3 && (32..=128).contains(&v.len())) || (v2 && (16..=128).contains(&v.len()))
}

/// `yyyy-mm-ddThh:mm:ss` (UTC, no zone designator, as the schema's pattern wants).
fn scan_time(r: &Report) -> String {
    utc_seconds(created_time(r))
        .trim_end_matches('Z')
        .to_string()
}

fn identifier(id: &str) -> Option<Identifier> {
    let id = clean_text(id);
    let id = id.trim();
    (!id.is_empty()).then(|| Identifier {
        kind: id_type(id),
        name: id.to_string(),
        value: id.to_string(),
        url: advisory_url(id),
    })
}

fn text(name: &str, value: String) -> serde_json::Value {
    serde_json::json!({"type": "text", "name": name, "value": value})
}

fn vulnerability(r: &Report, f: &Finding, os: &str, image: &str) -> Vulnerability {
    let p = &f.package;
    let title = f
        .title
        .as_deref()
        .map(clean_text)
        .filter(|t| !t.trim().is_empty());
    let name = truncate(title.as_deref().unwrap_or(&f.id), 255);
    let mut description = title.clone().unwrap_or_else(|| {
        format!(
            "{} affects {} {}",
            f.id,
            clean_text(&p.name),
            clean_text(&p.version)
        )
    });
    if let Some(k) = &f.kev {
        description.push_str(&format!(
            "\n\nKnown exploited: listed in the CISA KEV catalogue on {}.",
            clean_text(&k.date_added)
        ));
    }
    let solution = match (&f.fixed_version, f.status) {
        (Some(v), _) => format!("Upgrade {} to {}", clean_text(&p.name), clean_text(v)),
        (None, FixStatus::WontFix) => "No fix: the distribution will not fix this".into(),
        (None, FixStatus::EndOfLife) => "No fix: the release is end-of-life".into(),
        (None, _) => "No fix available yet".into(),
    };
    let mut identifiers: Vec<Identifier> = identifier(&f.id).into_iter().collect();
    for a in &f.aliases {
        if a != &f.id
            && let Some(i) = identifier(a)
        {
            identifiers.push(i);
        }
    }
    if identifiers.is_empty() {
        // an empty id cannot come from the matcher; keep the report valid regardless
        identifiers.push(Identifier {
            kind: "drydock".into(),
            name: "unnamed vulnerability".into(),
            value: "unnamed".into(),
            url: None,
        });
    }
    let cvss_vectors: Vec<CvssVector> = f
        .ratings
        .iter()
        .filter_map(|rt| {
            let v = rt.cvss_vector.as_deref()?.trim();
            accepted_vector(v).then(|| CvssVector {
                vendor: if rt.source.trim().is_empty() {
                    "unknown".into()
                } else if rt.source == "nvd" {
                    "NVD".into()
                } else {
                    clean_text(&rt.source)
                },
                vector: v.to_string(),
            })
        })
        .take(10)
        .collect();
    let links = f
        .references
        .iter()
        .filter(|u| is_web_url(u))
        .map(|u| Link { url: u.clone() })
        .collect();
    let mut details = serde_json::Map::new();
    details.insert(
        "package_kind".into(),
        text("Package kind", p.kind.as_str().into()),
    );
    details.insert(
        "package_path".into(),
        text("Package path", clean_text(&p.path)),
    );
    details.insert("purl".into(), text("Package URL", clean_text(&p.purl)));
    details.insert(
        "layer".into(),
        text("Layer", layer_text(p.layer_index, &p.layer_diff_id)),
    );
    details.insert(
        "status".into(),
        text("Fix status", f.status.as_str().into()),
    );
    if let Some(k) = &f.kev {
        details.insert(
            "kev".into(),
            text("CISA KEV date added", clean_text(&k.date_added)),
        );
    }
    if let Some(e) = &f.epss {
        details.insert(
            "epss".into(),
            text(
                "EPSS",
                format!(
                    "{} (percentile {}, {})",
                    e.score,
                    e.percentile,
                    clean_text(&e.date)
                ),
            ),
        );
    }
    Vulnerability {
        id: uuid_v5(&[
            "gitlab",
            crate::common::image_key(r),
            &f.id,
            p.kind.as_str(),
            &p.name,
            &p.version,
            &p.path,
        ]),
        name,
        description: truncate(&description, 1_048_576),
        severity: severity(f.severity),
        solution: truncate(&solution, 7000),
        location: Location {
            dependency: Dependency {
                package: PackageName {
                    name: clean_text(&p.name),
                },
                version: clean_text(&p.version),
            },
            operating_system: os.to_string(),
            image: image.to_string(),
        },
        identifiers,
        cvss_vectors,
        links,
        details,
    }
}

/// Render the GitLab container scanning report.
pub fn render(r: &Report) -> Result<String, ReportError> {
    let os =
        r.os.as_ref()
            .map(|o| match &o.version_id {
                Some(v) => format!("{} {}", o.id, v),
                None => o.id.clone(),
            })
            .map(|s| clean_text(&s))
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "Unknown".to_string());
    let image = Some(clean_text(image_name(r)))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let vulnerabilities = r
        .findings
        .iter()
        .map(|f| vulnerability(r, f, &os, &image))
        .collect();
    let mut messages = Vec::new();
    if !r.secrets.is_empty() || !r.misconfigurations.is_empty() {
        messages.push(Message {
            level: "info",
            value: format!(
                "{} secrets and {} misconfigurations are not part of a container scanning report; see the SARIF or JSON output",
                r.secrets.len(),
                r.misconfigurations.len()
            ),
        });
    }
    for w in &r.warnings {
        let w = clean_text(w);
        if !w.trim().is_empty() {
            messages.push(Message {
                level: "warn",
                value: w,
            });
        }
    }
    let time = scan_time(r);
    let analyzer = || Analyzer {
        id: "drydock",
        name: "Drydock",
        vendor: Vendor { name: "Drydock" },
        version: Some(clean_text(&r.tool.version))
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "unknown".into()),
    };
    let report = GitlabReport {
        version: SCHEMA_VERSION,
        scan: Scan {
            analyzer: analyzer(),
            scanner: analyzer(),
            kind: "container_scanning",
            status: "success",
            start_time: time.clone(),
            end_time: time,
            messages,
        },
        vulnerabilities,
        remediations: Vec::new(),
    };
    to_pretty_json(&report, Format::Gitlab)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_v2_and_v3_vectors() {
        assert!(accepted_vector(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
        ));
        assert!(accepted_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P"));
        assert!(!accepted_vector(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
        ));
        assert!(!accepted_vector("high"));
    }
}

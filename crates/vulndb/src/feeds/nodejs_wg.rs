//! Node.js security working group vulnerability data (`nodejs-security-wg/vuln.tar.gz`, the
//! `vuln/` folder of nodejs/security-wg, or a snapshot of the whole repository).
//!
//! * `vuln/npm/<n>.json`: npm package advisories: `id`, `module_name`, `cves[]`,
//!   `vulnerable_versions` and `patched_versions` (npm semver ranges), `title`, `overview`,
//!   `recommendation`, `references[]`, `cvss_vector` (CVSS 3.0), `cvss_score`, `created_at`,
//!   `updated_at`, `publish_date`, `coordinating_vendor`. Rows: namespace `npm`, package
//!   `module_name`.
//! * `vuln/core/<n>.json`: Node.js runtime CVEs: `cve[]`, `vulnerable`, `patched` (semver
//!   ranges over Node.js versions), `description`, `overview`, `ref`, `severity`
//!   (`low`…`critical`, `unknown`). Rows: namespace `nodejs`, package `node`.
//!
//! `index.json` (an aggregate of the same records) is not read. Each CVE of an advisory is a
//! row of its own (a few npm and core advisories name several distinct CVEs); an advisory
//! without a CVE gets the id `NSWG-ECO-<n>` (npm) or `NSWG-CORE-<n>` (core), which is also
//! recorded as an alias of each of its CVEs. `vulnerable…` → `affected_constraints`,
//! `patched…` → `unaffected_constraints` ([`super::constraints::npm_range`]); a patched range
//! `<0.0.0` / `<=0.0.0` is the WG's way to say "no fix" and is dropped.

use serde::Deserialize;

use super::Scalar;
use super::constraints::{first_patched, npm_range};
use super::native::{Converted, Row, cve_id, score_rating, short, stem, vector_rating};
use crate::model::{Constraint, ConstraintOp, Severity, SeverityRating};

pub(crate) const SOURCE: &str = "nodejs-security-wg";

#[derive(Debug, Deserialize)]
struct NpmAdvisory {
    #[serde(default)]
    id: Option<Scalar>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    publish_date: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    module_name: Option<String>,
    #[serde(default)]
    cves: Option<Vec<String>>,
    #[serde(default)]
    vulnerable_versions: Option<String>,
    #[serde(default)]
    patched_versions: Option<String>,
    #[serde(default)]
    overview: Option<String>,
    #[serde(default)]
    references: Option<Vec<String>>,
    #[serde(default)]
    cvss_vector: Option<String>,
    #[serde(default)]
    cvss_score: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct CoreAdvisory {
    #[serde(default)]
    cve: Option<Vec<String>>,
    #[serde(default)]
    vulnerable: Option<String>,
    #[serde(default)]
    patched: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    overview: Option<String>,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    publish_date: Option<String>,
}

/// `vuln/npm/<n>.json` and `vuln/core/<n>.json`, not `index.json`.
pub(crate) fn wanted(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 3
        && parts[0] == "vuln"
        && matches!(parts[1], "npm" | "core")
        && parts[2].ends_with(".json")
        && parts[2] != "index.json"
        && parts[2].len() > 5
}

/// The advisory's CVE ids (normalised, deduplicated, in order).
fn cves(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in list {
        if let Some(id) = cve_id(c)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

/// A patched range that only says "no fix" (`<0.0.0`, `<=0.0.0`).
fn no_fix(group: &[Constraint]) -> bool {
    matches!(group, [c] if matches!(c.op, ConstraintOp::Lt | ConstraintOp::Le)
        && matches!(c.version.as_str(), "0.0.0" | "0.0.0-0"))
}

/// An OR of AND-groups.
type Groups = Vec<Vec<Constraint>>;

/// Affected and unaffected groups of one advisory; `Err` when `vulnerable` is missing or
/// does not parse, or `patched` does not parse.
fn groups(
    vulnerable: Option<&str>,
    patched: Option<&str>,
) -> std::result::Result<(Groups, Groups), String> {
    let vulnerable = vulnerable
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or("no vulnerable versions")?;
    let affected = npm_range(vulnerable).map_err(|e| format!("vulnerable versions: {e}"))?;
    let unaffected = match patched.map(str::trim).filter(|p| !p.is_empty()) {
        None => Vec::new(),
        Some(p) => npm_range(p)
            .map_err(|e| format!("patched versions: {e}"))?
            .into_iter()
            .filter(|g| !no_fix(g))
            .collect(),
    };
    Ok((affected, unaffected))
}

/// The ids of an advisory's rows and the alias pairs: one row per CVE, else the WG id.
fn ids(cves: Vec<String>, wg_id: String) -> (Vec<String>, Vec<(String, String)>) {
    if cves.is_empty() {
        return (vec![wg_id], Vec::new());
    }
    let aliases = cves.iter().map(|c| (c.clone(), wg_id.clone())).collect();
    (cves, aliases)
}

/// Convert `vuln/npm/<n>.json`.
fn convert_npm(path: &str, bytes: &[u8]) -> std::result::Result<Converted, String> {
    let a: NpmAdvisory = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a security WG npm advisory ({})", short(e)))?;
    let n =
        a.id.as_ref()
            .map(|i| i.0.trim().to_string())
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| stem(path).to_string());
    let wg_id = format!("NSWG-ECO-{n}");
    let module = a
        .module_name
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or("no module_name")?;
    let (affected, unaffected) = groups(
        a.vulnerable_versions.as_deref(),
        a.patched_versions.as_deref(),
    )
    .map_err(|e| format!("{wg_id}: {e}"))?;
    let rating: Option<SeverityRating> = a
        .cvss_vector
        .as_deref()
        .and_then(|v| vector_rating(SOURCE, v))
        .or_else(|| a.cvss_score.and_then(|s| score_rating(SOURCE, s, false)));
    let (ids, aliases) = ids(cves(a.cves.as_deref().unwrap_or_default()), wg_id.clone());
    let row = Row {
        namespace: "npm",
        package: module,
        source: SOURCE,
        advisory_ids: vec![wg_id],
        severity: rating.as_ref().map(|r| r.severity),
        fixed: first_patched(&unaffected),
        affected,
        unaffected,
    };
    let mut date = None;
    for d in [&a.created_at, &a.updated_at, &a.publish_date] {
        crate::build::newer_date(&mut date, d.as_deref());
    }
    Ok(Converted {
        rows: ids.iter().map(|id| row.record(id)).collect(),
        ids,
        aliases,
        summary: a.title.map(|t| t.trim().to_string()),
        details: a.overview,
        published: a.publish_date,
        modified: a.updated_at,
        references: a.references.unwrap_or_default(),
        ratings: rating.into_iter().collect(),
        date,
    })
}

/// Convert `vuln/core/<n>.json`.
fn convert_core(path: &str, bytes: &[u8]) -> std::result::Result<Converted, String> {
    let a: CoreAdvisory = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a security WG core advisory ({})", short(e)))?;
    let wg_id = format!("NSWG-CORE-{}", stem(path));
    let (affected, unaffected) = groups(a.vulnerable.as_deref(), a.patched.as_deref())
        .map_err(|e| format!("{wg_id}: {e}"))?;
    // `unknown` is the WG saying it has no rating: no row.
    let severity = a
        .severity
        .as_deref()
        .and_then(Severity::parse)
        .filter(|s| *s != Severity::Unknown);
    let (ids, aliases) = ids(cves(a.cve.as_deref().unwrap_or_default()), wg_id.clone());
    let row = Row {
        namespace: "nodejs",
        package: "node",
        source: SOURCE,
        advisory_ids: vec![wg_id],
        severity,
        fixed: first_patched(&unaffected),
        affected,
        unaffected,
    };
    let mut date = None;
    crate::build::newer_date(&mut date, a.publish_date.as_deref());
    Ok(Converted {
        rows: ids.iter().map(|id| row.record(id)).collect(),
        ids,
        aliases,
        summary: a.description.map(|t| t.trim().to_string()),
        details: a.overview,
        published: a.publish_date,
        modified: None,
        references: a.reference.into_iter().collect(),
        ratings: severity
            .map(|severity| SeverityRating {
                source: SOURCE.to_string(),
                severity,
                cvss_vector: None,
                score: None,
            })
            .into_iter()
            .collect(),
        date,
    })
}

/// Convert one file of the `vuln/` folder (its path in the repository and its bytes).
pub(crate) fn convert(path: &str, bytes: &[u8]) -> std::result::Result<Converted, String> {
    if path.starts_with("vuln/core/") {
        convert_core(path, bytes)
    } else {
        convert_npm(path, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConstraintOp::*, FixStatus};

    fn g(items: &[(ConstraintOp, &str)]) -> Vec<Constraint> {
        items.iter().map(|(o, v)| Constraint::new(*o, *v)).collect()
    }

    #[test]
    fn paths() {
        assert!(wanted("vuln/npm/1.json"));
        assert!(wanted("vuln/core/171.json"));
        assert!(!wanted("vuln/npm/index.json"));
        assert!(!wanted("vuln/core/index.json"));
        assert!(!wanted("vuln/npm/.json"));
        assert!(!wanted("tools/vuln/npm/1.json"));
        assert!(!wanted("vuln/npm/1.md"));
    }

    /// Hand-written, in the published format.
    #[test]
    fn hand_written_npm() {
        let j = br#"{"id": 9001, "created_at": "2099-01-01", "updated_at": "2099-02-01",
            "title": "Example", "module_name": "example-mod", "publish_date": "2099-01-15",
            "cves": ["CVE-2099-1000", "CVE-2099-1001"],
            "vulnerable_versions": "<1.2.3 || >=2.0.0 <2.0.4", "patched_versions": ">=1.2.3 <2.0.0 || >=2.0.4",
            "overview": "o", "recommendation": "r", "references": ["https://example.invalid/r"],
            "cvss_vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss_score": 9.8,
            "coordinating_vendor": null}"#;
        let c = convert("vuln/npm/9001.json", j).unwrap();
        assert_eq!(c.ids, ["CVE-2099-1000", "CVE-2099-1001"]);
        assert_eq!(
            c.aliases,
            [
                ("CVE-2099-1000".to_string(), "NSWG-ECO-9001".to_string()),
                ("CVE-2099-1001".to_string(), "NSWG-ECO-9001".to_string())
            ]
        );
        assert_eq!(c.rows.len(), 2);
        let r = &c.rows[1];
        assert_eq!(r.vuln_id, "CVE-2099-1001");
        assert_eq!(
            (r.namespace.as_str(), r.package.as_str()),
            ("npm", "example-mod")
        );
        assert_eq!(
            r.affected_constraints,
            vec![g(&[(Lt, "1.2.3")]), g(&[(Ge, "2.0.0"), (Lt, "2.0.4")])]
        );
        assert_eq!(
            r.unaffected_constraints,
            vec![g(&[(Ge, "1.2.3"), (Lt, "2.0.0")]), g(&[(Ge, "2.0.4")])]
        );
        assert_eq!(r.fixed_version.as_deref(), Some("1.2.3"));
        assert_eq!(r.status, FixStatus::Fixed);
        assert_eq!(r.severity, Some(Severity::Critical));
        assert_eq!(r.advisory_ids, ["NSWG-ECO-9001"]);
        assert_eq!(c.date.as_deref(), Some("2099-02-01"));

        // No CVE, "no fix" patched range, everything vulnerable.
        let j = br#"{"id": 9002, "module_name": "m", "cves": [], "vulnerable_versions": "*",
            "patched_versions": "<0.0.0", "cvss_vector": null, "cvss_score": 5}"#;
        let c = convert("vuln/npm/9002.json", j).unwrap();
        assert_eq!(c.ids, ["NSWG-ECO-9002"]);
        let r = &c.rows[0];
        assert_eq!(r.affected_constraints, vec![Vec::<Constraint>::new()]);
        assert!(r.unaffected_constraints.is_empty());
        assert_eq!(r.status, FixStatus::NotFixed);
        assert_eq!(r.severity, Some(Severity::Medium));
    }

    /// Hand-written, in the published format.
    #[test]
    fn hand_written_core() {
        let j = br#"{"cve": [], "vulnerable": "4.x || 6.x", "patched": "^4.8.4 || ^6.11.1",
            "description": "d", "overview": "o", "affectedEnvironments": ["all"], "severity": "unknown"}"#;
        let c = convert("vuln/core/77.json", j).unwrap();
        assert_eq!(c.ids, ["NSWG-CORE-77"]);
        let r = &c.rows[0];
        assert_eq!(
            (r.namespace.as_str(), r.package.as_str()),
            ("nodejs", "node")
        );
        assert_eq!(
            r.affected_constraints,
            vec![
                g(&[(Ge, "4.0.0"), (Lt, "5.0.0-0")]),
                g(&[(Ge, "6.0.0"), (Lt, "7.0.0-0")])
            ]
        );
        assert_eq!(r.fixed_version.as_deref(), Some("4.8.4"));
        assert_eq!(r.severity, None);
        assert!(c.ratings.is_empty());
    }

    #[test]
    fn bad_advisories_are_errors() {
        for (path, bytes, words) in [
            ("vuln/npm/1.json", &br#"{"id": 1, "module_name": "m""#[..], "not a security WG npm advisory"),
            ("vuln/npm/1.json", br#"{"id": 1, "module_name": "m", "vulnerable_versions": ""}"#, "NSWG-ECO-1: no vulnerable versions"),
            ("vuln/npm/1.json", br#"{"id": 1, "module_name": "m", "vulnerable_versions": "<1.0 ||"}"#, "NSWG-ECO-1: vulnerable versions"),
            ("vuln/npm/1.json", br#"{"id": 1, "module_name": "m", "vulnerable_versions": "<1", "patched_versions": ">=x.y"}"#, "patched versions"),
            ("vuln/npm/1.json", br#"{"id": 1, "vulnerable_versions": "<1"}"#, "no module_name"),
            ("vuln/core/3.json", br#"[1, 2]"#, "not a security WG core advisory"),
        ] {
            let e = convert(path, bytes).unwrap_err();
            assert!(e.contains(words), "{e}");
        }
    }
}

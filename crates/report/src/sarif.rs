//! SARIF 2.1.0, as GitHub code scanning reads it.
//!
//! One run; `tool.driver.rules` holds one rule per vulnerability id, per secret rule and per
//! misconfiguration rule (in order of first appearance), and `results` one result per
//! finding, secret and misconfiguration. Hand-written serde types: the subset of SARIF this
//! needs is small, and owning it keeps field order and omissions under our control (the
//! `serde-sarif` crate would add a builder layer and a code generator's dependencies for
//! the same output).
//!
//! Severity: `level` is `error` for CRITICAL/HIGH, `warning` for MEDIUM and UNKNOWN (an
//! unrated vulnerability must not look harmless), `note` for LOW/NEGLIGIBLE. GitHub ranks
//! security alerts by the rule's `properties.security-severity`: the CVSS score of the rating
//! the finding's severity came from, else 9.5/8.0/5.5/2.0/1.0 for
//! CRITICAL/HIGH/MEDIUM/LOW/NEGLIGIBLE; omitted for UNKNOWN (never guessed).
//!
//! Locations: `artifactLocation.uri` is the package's database or manifest path without the
//! leading `/` (percent-encoded as a relative reference); for the image config (secrets in
//! `config:Env[..]`, image misconfigurations) it is the image name. Full secrets are never
//! written, even when the report holds them (`--show-secrets`): SARIF files get uploaded.

use crate::common::{
    advisory_url, clean_text, image_key, image_name, is_web_url, layer_text, to_pretty_json,
    uuid_v5,
};
use crate::{Format, Report, ReportError};
use drydock_lint::Misconfig;
use drydock_matcher::Finding;
use drydock_secrets::SecretFinding;
use drydock_vulndb::{FixStatus, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[path = "sarif_hygiene.rs"]
mod hygiene;

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Key of Drydock's entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "drydock/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<String>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    /// FIRST EPSS score (probability of exploitation in 30 days, 0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    epss: Option<f64>,
    #[serde(rename = "epss-percentile", skip_serializing_if = "Option::is_none")]
    epss_percentile: Option<f64>,
    precision: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

/// SARIF `level` of a vulnerability or secret severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Unknown => "warning",
        Severity::Low | Severity::Negligible => "note",
    }
}

fn lint_level(s: drydock_lint::Severity) -> &'static str {
    match s {
        drydock_lint::Severity::Critical | drydock_lint::Severity::High => "error",
        drydock_lint::Severity::Medium => "warning",
        drydock_lint::Severity::Low => "note",
    }
}

/// The score GitHub ranks by when no CVSS score backs the severity.
fn severity_score(s: Severity) -> Option<f64> {
    match s {
        Severity::Critical => Some(9.5),
        Severity::High => Some(8.0),
        Severity::Medium => Some(5.5),
        Severity::Low => Some(2.0),
        Severity::Negligible => Some(1.0),
        Severity::Unknown => None,
    }
}

fn lint_severity(s: drydock_lint::Severity) -> Severity {
    match s {
        drydock_lint::Severity::Critical => Severity::Critical,
        drydock_lint::Severity::High => Severity::High,
        drydock_lint::Severity::Medium => Severity::Medium,
        drydock_lint::Severity::Low => Severity::Low,
    }
}

/// The score of a finding: the CVSS score of the rating its severity came from, else the
/// severity's stand-in score.
fn finding_score(f: &Finding) -> Option<f64> {
    let rated = f
        .ratings
        .iter()
        .filter(|r| Some(&r.source) == f.severity_source.as_ref() && r.severity == f.severity)
        .filter_map(|r| r.score)
        .find(|s| s.is_finite() && (0.0..=10.0).contains(s));
    rated.or_else(|| severity_score(f.severity))
}

fn epss_line(e: &drydock_vulndb::EpssScore) -> String {
    format!(
        "EPSS: {} (percentile {}, {})",
        e.score,
        e.percentile,
        clean_text(&e.date)
    )
}

/// `CVSS (NVD): 9.8 CVSS:3.1/…`, or `(cna@… via NVD)` for a CNA's score.
fn nvd_line(r: &drydock_vulndb::SeverityRating) -> String {
    let who = match r.source.strip_prefix("nvd:") {
        Some(cna) => format!("{} via NVD", clean_text(cna)),
        None => "NVD".to_string(),
    };
    format!(
        "CVSS ({who}): {} {}",
        r.score.map(score_text).unwrap_or_default(),
        clean_text(r.cvss_vector.as_deref().unwrap_or(""))
    )
}

fn score_text(s: f64) -> String {
    format!("{s:.1}")
}

/// A path or name as a relative URI reference: no leading `/`, and every character outside
/// the unreserved and sub-delimiter sets (and `/`, `@`) percent-encoded — `:` too, so that
/// the first segment never reads as a scheme.
pub fn relative_uri(path: &str) -> String {
    let path = path.trim_start_matches('/');
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Rules in order of first appearance, with their index.
struct Rules {
    rules: Vec<Rule>,
    index: HashMap<String, usize>,
}

impl Rules {
    fn get_or_add(&mut self, id: &str, make: impl FnOnce() -> Rule) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.rules.len();
        self.rules.push(make());
        self.index.insert(id.to_string(), i);
        i
    }
}

fn vuln_rule(id: &str, findings: &[&Finding]) -> Rule {
    let first = findings[0];
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Unknown);
    let score = findings
        .iter()
        .filter_map(|f| finding_score(f))
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        });
    let title = first
        .title
        .as_deref()
        .map(clean_text)
        .filter(|t| !t.trim().is_empty());
    let short = match &title {
        Some(t) => format!("{id}: {t}"),
        None => format!("{id}: vulnerability in {}", first.package.name),
    };
    let mut full = title.clone().unwrap_or_else(|| id.to_string());
    if !first.aliases.is_empty() {
        full.push_str(&format!(" (also known as {})", first.aliases.join(", ")));
    }
    let help_uri = first
        .references
        .iter()
        .find(|r| is_web_url(r))
        .cloned()
        .or_else(|| advisory_url(id));
    // help: the vulnerability, every affected package and the references
    let mut text = format!("Vulnerability {id}\nSeverity: {}\n", worst.as_str());
    let mut md = format!("**Vulnerability {id}**\n\n");
    if let Some(t) = &title {
        text.push_str(&format!("{t}\n"));
        md.push_str(&format!("{}\n\n", md_escape(t)));
    }
    if let Some(k) = &first.kev {
        let line = format!(
            "Known exploited (CISA KEV, added {})",
            clean_text(&k.date_added)
        );
        text.push_str(&format!("{line}\n"));
        md.push_str(&format!("{line}\n\n"));
    }
    if let Some(e) = &first.epss {
        let line = epss_line(e);
        text.push_str(&format!("{line}\n"));
        md.push_str(&format!("{line}\n\n"));
    }
    for r in first.ratings.iter().filter(|r| r.source.starts_with("nvd")) {
        let line = nvd_line(r);
        text.push_str(&format!("{line}\n"));
        md.push_str(&format!("{}\n\n", md_escape(&line)));
    }
    md.push_str("| Severity | Package | Installed version | Fixed version | Path |\n");
    md.push_str("| --- | --- | --- | --- | --- |\n");
    for f in findings {
        let fixed = f.fixed_version.as_deref().unwrap_or("");
        text.push_str(&format!(
            "Package {} {} ({}): fixed version {}\n",
            clean_text(&f.package.name),
            clean_text(&f.package.version),
            f.package.path,
            if fixed.is_empty() { "none" } else { fixed },
        ));
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            f.severity.as_str(),
            md_escape(&f.package.name),
            md_escape(&f.package.version),
            md_escape(fixed),
            md_escape(&f.package.path)
        ));
    }
    let refs: Vec<&String> = first.references.iter().filter(|r| is_web_url(r)).collect();
    if !refs.is_empty() {
        md.push_str("\nReferences:\n");
        for r in refs {
            text.push_str(&format!("{r}\n"));
            md.push_str(&format!("- <{r}>\n"));
        }
    }
    let mut tags = vec!["security".to_string(), "vulnerability".to_string()];
    for f in findings {
        let k = f.package.kind.as_str().to_string();
        if !tags.contains(&k) {
            tags.push(k);
        }
    }
    Rule {
        id: id.to_string(),
        name: "PackageVulnerability",
        short_description: Text { text: short },
        full_description: Text { text: full },
        help_uri,
        help: Help { text, markdown: md },
        default_configuration: Configuration {
            level: level(worst),
        },
        properties: RuleProperties {
            security_severity: score.map(score_text),
            epss: first.epss.as_ref().map(|e| e.score),
            epss_percentile: first.epss.as_ref().map(|e| e.percentile),
            precision: "very-high",
            tags,
        },
    }
}

fn secret_rule(id: &str, secrets: &[&SecretFinding]) -> Rule {
    let first = &secrets[0].found;
    let worst = secrets
        .iter()
        .map(|s| s.found.severity)
        .max()
        .unwrap_or(first.severity);
    let title = clean_text(&first.title);
    let text = format!(
        "Secret rule {}: {title}. Remove the secret from the image (from every layer: deleting it in a later layer does not remove it) and rotate it.",
        first.rule_id
    );
    Rule {
        id: id.to_string(),
        name: "Secret",
        short_description: Text {
            text: format!("Secret: {title}"),
        },
        full_description: Text { text: text.clone() },
        help_uri: None,
        help: Help {
            markdown: md_escape(&text),
            text,
        },
        default_configuration: Configuration {
            level: level(worst),
        },
        properties: RuleProperties {
            security_severity: severity_score(worst).map(score_text),
            epss: None,
            epss_percentile: None,
            precision: "high",
            tags: vec!["security".into(), "secret".into()],
        },
    }
}

fn misconfig_rule(m: &Misconfig) -> Rule {
    let title = clean_text(&m.title);
    let remediation = clean_text(&m.remediation);
    let mut text = format!("{title}\n\nRemediation: {remediation}\n");
    let mut md = format!(
        "**{}**\n\nRemediation: {}\n",
        md_escape(&title),
        md_escape(&remediation)
    );
    if !m.references.is_empty() {
        md.push_str("\nReferences:\n");
        for r in &m.references {
            let line = format!("{} {}: {}", r.standard, r.item, r.note);
            text.push_str(&format!("{}\n", clean_text(&line)));
            md.push_str(&format!("- {}\n", md_escape(&line)));
        }
    }
    let sev = lint_severity(m.severity);
    Rule {
        id: m.rule_id.clone(),
        name: "Misconfiguration",
        short_description: Text {
            text: format!("{}: {title}", m.rule_id),
        },
        full_description: Text {
            text: format!("{title}. {remediation}"),
        },
        help_uri: None,
        help: Help { text, markdown: md },
        default_configuration: Configuration {
            level: lint_level(m.severity),
        },
        properties: RuleProperties {
            security_severity: severity_score(sev).map(score_text),
            epss: None,
            epss_percentile: None,
            precision: "very-high",
            tags: vec!["security".into(), "misconfiguration".into()],
        },
    }
}

/// Escape the characters Markdown would interpret in table cells and text.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean_text(s).chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn vuln_message(f: &Finding) -> String {
    let p = &f.package;
    let mut m = format!(
        "Package: {} ({})\nInstalled version: {}\nVulnerability: {}\nSeverity: {}\n",
        clean_text(&p.name),
        p.kind.as_str(),
        clean_text(&p.version),
        f.id,
        f.severity.as_str()
    );
    match (&f.fixed_version, f.status) {
        (Some(v), _) => m.push_str(&format!("Fixed version: {}\n", clean_text(v))),
        (None, FixStatus::WontFix) => m.push_str("Fixed version: none (will not be fixed)\n"),
        (None, FixStatus::EndOfLife) => {
            m.push_str("Fixed version: none (the release is end-of-life)\n")
        }
        (None, _) => m.push_str("Fixed version: none yet\n"),
    }
    if let Some(k) = &f.kev {
        m.push_str(&format!(
            "Known exploited: CISA KEV, added {}\n",
            clean_text(&k.date_added)
        ));
    }
    if let Some(e) = &f.epss {
        m.push_str(&epss_line(e));
        m.push('\n');
    }
    m.push_str(&format!(
        "Path: {}\nLayer: {}",
        clean_text(&p.path),
        layer_text(p.layer_index, &p.layer_diff_id)
    ));
    m
}

fn image_location(r: &Report, what: &str) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: relative_uri(image_name(r)),
            },
            region: None,
        },
        message: Some(Text {
            text: clean_text(what),
        }),
    }
}

fn file_location(path: &str, line: Option<usize>) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: relative_uri(path),
            },
            region: line.filter(|&l| l > 0).map(|l| Region { start_line: l }),
        },
        message: None,
    }
}

/// Stable fingerprints: a name-based UUID of what identifies the result (never the line or
/// the installed version, which change between builds without making it a new problem);
/// the n-th repeat of the same identity in one report (the same secret twice in a file)
/// gets `n` added, so every result keeps its own alert.
#[derive(Default)]
struct Fingerprints {
    seen: HashMap<String, usize>,
}

impl Fingerprints {
    fn make(&mut self, parts: &[&str]) -> BTreeMap<&'static str, String> {
        let base = uuid_v5(parts);
        let n = self.seen.entry(base.clone()).or_default();
        *n += 1;
        let fp = if *n == 1 {
            base
        } else {
            let mut p = parts.to_vec();
            let n = n.to_string();
            p.push(&n);
            uuid_v5(&p)
        };
        BTreeMap::from([(FINGERPRINT_KEY, fp)])
    }
}

/// Render with default options (no `informationUri`).
pub fn render(report: &Report) -> Result<String, ReportError> {
    render_with(report, None)
}

/// Render; `information_uri` goes to `tool.driver.informationUri` when given.
pub fn render_with(report: &Report, information_uri: Option<&str>) -> Result<String, ReportError> {
    let log = build(report, information_uri);
    to_pretty_json(&log, Format::Sarif)
}

fn build(r: &Report, information_uri: Option<&str>) -> Log {
    let mut rules = Rules {
        rules: Vec::new(),
        index: HashMap::new(),
    };
    let mut results = Vec::new();
    let mut fingerprints = Fingerprints::default();
    let image = image_key(r);

    // vulnerabilities: one rule per id (with every finding of that id), one result each
    let mut by_id: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in &r.findings {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    for f in &r.findings {
        let idx = rules.get_or_add(&f.id, || vuln_rule(&f.id, &by_id[f.id.as_str()]));
        let p = &f.package;
        results.push(SarifResult {
            rule_id: f.id.clone(),
            rule_index: idx,
            level: level(f.severity),
            message: Text {
                text: vuln_message(f),
            },
            locations: vec![file_location(&p.path, None)],
            partial_fingerprints: fingerprints.make(&[
                "vulnerability",
                image,
                &f.id,
                p.kind.as_str(),
                &p.name,
                &p.path,
            ]),
        });
    }

    // secrets: one rule per secret rule
    let mut by_rule: HashMap<&str, Vec<&SecretFinding>> = HashMap::new();
    for s in &r.secrets {
        by_rule.entry(s.found.rule_id.as_str()).or_default().push(s);
    }
    for s in &r.secrets {
        let id = format!("secret/{}", s.found.rule_id);
        let idx = rules.get_or_add(&id, || secret_rule(&id, &by_rule[s.found.rule_id.as_str()]));
        let mut text = format!("{} in {}", clean_text(&s.found.title), clean_text(&s.path));
        if s.found.line > 0 && !s.path.starts_with("config:") {
            text.push_str(&format!(":{}", s.found.line));
        }
        match s.layer_index {
            Some(l) => text.push_str(&format!(
                ", {}",
                layer_text(l, s.layer_diff_id.as_deref().unwrap_or(""))
            )),
            None => text.push_str(", image config"),
        }
        if s.deleted_in_later_layer {
            text.push_str(" (deleted in a later layer, still readable from this one)");
        }
        if !s.found.redacted.is_empty() {
            text.push_str(&format!(
                "\nMatch (redacted): {}",
                clean_text(&s.found.redacted)
            ));
        }
        let location = if s.path.starts_with("config:") {
            image_location(r, &s.path)
        } else {
            file_location(&s.path, Some(s.found.line))
        };
        results.push(SarifResult {
            rule_id: id.clone(),
            rule_index: idx,
            level: level(s.found.severity),
            message: Text { text },
            locations: vec![location],
            partial_fingerprints: fingerprints.make(&[
                "secret",
                image,
                &s.found.rule_id,
                &s.path,
                &s.found.fingerprint,
            ]),
        });
    }

    // misconfigurations: one rule per rule id
    for m in &r.misconfigurations {
        let idx = rules.get_or_add(&m.rule_id, || misconfig_rule(m));
        let mut text = clean_text(&m.message);
        if let Some(res) = &m.resource {
            text = format!("{}: {text}", clean_text(res));
        }
        let in_image = m.file == "image config" || m.file.is_empty();
        let location = if in_image {
            image_location(r, "image config")
        } else {
            file_location(&m.file, m.line)
        };
        results.push(SarifResult {
            rule_id: m.rule_id.clone(),
            rule_index: idx,
            level: lint_level(m.severity),
            message: Text { text },
            locations: vec![location],
            partial_fingerprints: fingerprints.make(&[
                "misconfiguration",
                image,
                &m.rule_id,
                &m.file,
                m.resource.as_deref().unwrap_or(""),
                &m.message,
            ]),
        });
    }

    hygiene::results(r, image, &mut rules, &mut fingerprints, &mut results);

    let mut properties = BTreeMap::new();
    properties.insert("imageName", serde_json::json!(image_name(r)));
    if let Some(score) = hygiene::score(r) {
        properties.insert("hygieneScore", serde_json::json!(score));
    }
    if let Some(id) = &r.artifact.image_id {
        properties.insert("imageId", serde_json::json!(id));
    }
    if let Some(d) = &r.artifact.manifest_digest {
        properties.insert("manifestDigest", serde_json::json!(d));
    }
    if !r.artifact.repo_tags.is_empty() {
        properties.insert("repoTags", serde_json::json!(r.artifact.repo_tags));
    }
    if let Some(os) = &r.os {
        properties.insert("os", serde_json::json!(os.display()));
    }
    let invocations = if r.warnings.is_empty() {
        Vec::new()
    } else {
        vec![Invocation {
            execution_successful: true,
            tool_execution_notifications: r
                .warnings
                .iter()
                .map(|w| Notification {
                    level: "warning",
                    message: Text {
                        text: clean_text(w),
                    },
                })
                .collect(),
        }]
    };
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "drydock",
                    version: r.tool.version.clone(),
                    information_uri: information_uri.map(str::to_string),
                    rules: rules.rules,
                },
            },
            invocations,
            results,
            properties,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(
            relative_uri("/lib/apk/db/installed"),
            "lib/apk/db/installed"
        );
        assert_eq!(relative_uri("alpine:3.20"), "alpine%3A3.20");
        assert_eq!(
            relative_uri("/opt/app.war!/WEB-INF/lib/a b.jar"),
            "opt/app.war!/WEB-INF/lib/a%20b.jar"
        );
        assert_eq!(relative_uri("/x/é#?[]"), "x/%C3%A9%23%3F%5B%5D");
        assert_eq!(relative_uri("/"), ".");
    }

    #[test]
    fn levels_and_scores() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Unknown), "warning");
        assert_eq!(level(Severity::Negligible), "note");
        assert_eq!(severity_score(Severity::High), Some(8.0));
        assert_eq!(severity_score(Severity::Unknown), None);
        assert_eq!(score_text(9.8), "9.8");
        assert_eq!(score_text(10.0), "10.0");
    }
}

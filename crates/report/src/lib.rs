//! drydock-report: the scan report as data, and its renderings (terminal table, JSON, SARIF,
//! CycloneDX, SPDX, JUnit XML, CSV, GitLab container scanning, HTML, PDF), plus the fleet
//! report of the server ([`fleet`]: CSV and PDF).
//!
//! The JSON form is versioned by [`SCHEMA_VERSION`] and documented in `docs/report-json.md`;
//! any change to its shape bumps the version. The other formats are pure functions of a
//! [`Report`] (one module each; the mapping of report fields to each format is documented in
//! `docs/report-formats.md`); [`render`] picks a text one by [`Format`], [`render_bytes`] any
//! one (PDF is binary).

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use drydock_inventory::{OsInfo, Package};
use drydock_lint::Misconfig;
use drydock_matcher::Finding;
use drydock_secrets::SecretFinding;
use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

mod common;
pub mod csv;
pub mod cyclonedx;
pub mod fleet;
pub mod gitlab;
pub mod html;
pub mod junit;
pub mod pdf;
pub mod sarif;
pub mod spdx;

/// Version of the JSON report schema.
pub const SCHEMA_VERSION: &str = "1.1";

/// A complete scan report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    /// RFC 3339 time of the scan.
    pub created_at: String,
    pub artifact: Artifact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// The namespace OS packages were matched in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<DbSummary>,
    pub packages: Vec<Package>,
    pub findings: Vec<Finding>,
    /// Secrets found in layers (also in files deleted later) and in the image config.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretFinding>,
    /// Misconfigurations of the image config (`--scanners misconfig`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<Misconfig>,
    pub summary: Summary,
    /// The policy evaluation (`--policy`/`--vex`): gate decision and reasons, what was
    /// suppressed and by what, Rego denies, policy diagnostics (see docs/policy.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
    /// Image hygiene (base-image attribution, wasted bytes, multi-stage and minimal-base
    /// advice, score; docs/hygiene.md); images only, `--no-hygiene` turns it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hygiene: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// VEX analyses the policy evaluation made (`--vex`, ignores, rules): what
    /// `cyclonedx-vex` renders. Not part of the JSON report (its `policy` section says the
    /// same).
    #[serde(skip)]
    pub vex: VexAnalyses,
}

/// CycloneDX `analysis.state` of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisState {
    Resolved,
    Exploitable,
    InTriage,
    FalsePositive,
    NotAffected,
}

impl AnalysisState {
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisState::Resolved => "resolved",
            AnalysisState::Exploitable => "exploitable",
            AnalysisState::InTriage => "in_triage",
            AnalysisState::FalsePositive => "false_positive",
            AnalysisState::NotAffected => "not_affected",
        }
    }
}

/// A VEX analysis of one finding, in CycloneDX terms.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Analysis {
    pub state: AnalysisState,
    /// A CycloneDX `analysis.justification` (`code_not_present`, `code_not_reachable`,
    /// `requires_environment`, `protected_by_mitigating_control`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// CycloneDX `analysis.response` values (`update`, `will_not_fix`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<String>,
    pub detail: String,
}

/// A finding the policy suppressed, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub analysis: Analysis,
}

/// The VEX side of a policy evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VexAnalyses {
    /// Analyses of kept findings that a VEX statement annotates, by index in
    /// [`Report::findings`]; the others are `in_triage`.
    pub kept: BTreeMap<usize, Analysis>,
    /// Findings suppressed by VEX, an ignore entry or a rule.
    pub suppressed: Vec<SuppressedFinding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What was scanned.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Artifact {
    /// `image`.
    pub kind: String,
    /// The path or reference given on the command line.
    pub source: String,
    /// `docker-archive`, `oci-layout`, `oci-archive`, `rootfs-archive`.
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub layers: Vec<LayerSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerSummary {
    pub index: usize,
    pub diff_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Stored (compressed) size.
    pub size: u64,
    /// Uncompressed tar size.
    pub uncompressed_size: u64,
    pub files: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DbSummary {
    pub schema_version: String,
    pub built_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub packages: usize,
    pub findings: usize,
    /// Distinct vulnerability ids.
    pub vulnerabilities: usize,
    /// Findings with a fixed version available.
    pub fixable: usize,
    /// Count per severity name (`CRITICAL`, `HIGH`, ..., `UNKNOWN`), every level present.
    pub by_severity: BTreeMap<String, usize>,
    /// Secrets found (after filtering).
    #[serde(default)]
    pub secrets: usize,
}

impl Summary {
    pub fn compute(
        packages: &[Package],
        findings: &[Finding],
        secrets: &[SecretFinding],
    ) -> Summary {
        let mut by_severity: BTreeMap<String, usize> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Negligible,
            Severity::Unknown,
        ]
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
        for f in findings {
            *by_severity
                .entry(f.severity.as_str().to_string())
                .or_default() += 1;
        }
        let ids: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| f.id.as_str()).collect();
        Summary {
            packages: packages.len(),
            findings: findings.len(),
            vulnerabilities: ids.len(),
            fixable: findings.iter().filter(|f| f.fixable()).count(),
            by_severity,
            secrets: secrets.len(),
        }
    }
}

/// Pretty JSON with a trailing newline.
pub fn to_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Negligible | Severity::Unknown => Color::Grey,
    }
}

/// One line: what was scanned and what was found.
pub fn summary_line(r: &Report) -> String {
    let target =
        r.os.as_ref()
            .map(|o| o.display())
            .unwrap_or_else(|| "unknown OS".into());
    let sev: Vec<String> = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"]
        .iter()
        .map(|k| {
            format!(
                "{k}: {}",
                r.summary.by_severity.get(*k).copied().unwrap_or(0)
            )
        })
        .collect();
    let mut line = format!(
        "{} ({}): {} packages, {} vulnerabilities in {} findings ({}), {} fixable",
        r.artifact.source,
        target,
        r.summary.packages,
        r.summary.vulnerabilities,
        r.summary.findings,
        sev.join(", "),
        r.summary.fixable
    );
    if r.summary.secrets > 0 {
        line.push_str(&format!(", {} secrets", r.summary.secrets));
    }
    if !r.misconfigurations.is_empty() {
        line.push_str(&format!(
            ", {} misconfigurations",
            r.misconfigurations.len()
        ));
    }
    line
}

/// `92.0%`: an EPSS probability as a percentage for the table.
pub fn epss_percent(score: f64) -> String {
    let p = score * 100.0;
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_string()
    } else {
        format!("{p:.1}%")
    }
}

fn findings_table(findings: &[&Finding], color: bool) -> String {
    let mut t = Table::new();
    // the EPSS column only when some finding of this table has a score
    let with_epss = findings.iter().any(|f| f.epss.is_some());
    let mut header = vec![
        "Package",
        "Installed",
        "Vulnerability",
        "Severity",
        "Status",
        "Fixed in",
        "Layer",
    ];
    if with_epss {
        header.insert(4, "EPSS");
    }
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    let mut last_pkg: Option<(&str, &str, &str)> = None;
    for f in findings {
        let key = (
            f.package.name.as_str(),
            f.package.version.as_str(),
            f.package.path.as_str(),
        );
        let (name, ver) = if last_pkg == Some(key) {
            (String::new(), String::new())
        } else {
            (f.package.name.clone(), f.package.version.clone())
        };
        last_pkg = Some(key);
        let mut sev = Cell::new(f.severity.as_str());
        if color {
            sev = sev.fg(severity_color(f.severity));
        }
        let id = if f.kev.is_some() {
            format!("{} (KEV)", f.id)
        } else {
            f.id.clone()
        };
        let mut row = vec![
            Cell::new(name),
            Cell::new(ver),
            Cell::new(id),
            sev,
            Cell::new(f.status.as_str()),
            Cell::new(f.fixed_version.as_deref().unwrap_or("")),
            Cell::new(f.package.layer_index),
        ];
        if with_epss {
            row.insert(
                4,
                Cell::new(
                    f.epss
                        .as_ref()
                        .map(|e| epss_percent(e.score))
                        .unwrap_or_default(),
                ),
            );
        }
        t.add_row(row);
    }
    if !color {
        t.force_no_tty();
    }
    let mut out = t.to_string();
    out.push('\n');
    out
}

/// The terminal table, grouped by package (OS packages, then one table per language package
/// file); colours only when `color` (a TTY).
pub fn render_table(r: &Report, color: bool) -> String {
    let mut out = String::new();
    out.push_str(&summary_line(r));
    out.push('\n');
    if r.findings.is_empty() {
        out.push_str("No vulnerabilities found.\n");
    } else {
        // OS packages first, then one table per language package file (a lockfile, a jar,
        // a binary), in path order
        let os: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.package.kind.is_os())
            .collect();
        if !os.is_empty() {
            out.push_str(&findings_table(&os, color));
        }
        let mut files: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
        for f in r.findings.iter().filter(|f| !f.package.kind.is_os()) {
            let file = f.package.path.split("!/").next().unwrap_or(&f.package.path);
            files
                .entry((file, f.package.kind.as_str()))
                .or_default()
                .push(f);
        }
        for ((file, kind), fs) in files {
            out.push_str(&format!("\n{file} ({kind})\n"));
            out.push_str(&findings_table(&fs, color));
        }
    }
    if !r.misconfigurations.is_empty() {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec![
                "Misconfiguration",
                "Rule",
                "Severity",
                "Where",
                "Message",
            ]);
        for m in &r.misconfigurations {
            t.add_row(vec![
                Cell::new(&m.title),
                Cell::new(&m.rule_id),
                Cell::new(m.severity.as_str()),
                Cell::new(&m.file),
                Cell::new(&m.message),
            ]);
        }
        if !color {
            t.force_no_tty();
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !r.secrets.is_empty() {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec![
                "Secret", "Severity", "Location", "Line", "Layer", "Match",
            ]);
        for s in &r.secrets {
            let mut sev = Cell::new(s.found.severity.as_str());
            if color {
                sev = sev.fg(severity_color(s.found.severity));
            }
            let layer = match (s.layer_index, s.deleted_in_later_layer) {
                (Some(l), true) => format!("{l} (deleted later)"),
                (Some(l), false) => l.to_string(),
                (None, _) => "config".to_string(),
            };
            t.add_row(vec![
                Cell::new(&s.found.title),
                sev,
                Cell::new(&s.path),
                Cell::new(if s.found.line > 0 {
                    s.found.line.to_string()
                } else {
                    String::new()
                }),
                Cell::new(layer),
                Cell::new(s.found.secret.as_deref().unwrap_or(&s.found.redacted)),
            ]);
        }
        if !color {
            t.force_no_tty();
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for w in &r.warnings {
        out.push_str("warning: ");
        out.push_str(w);
        out.push('\n');
    }
    out
}

/// An output format of `--format` / `--output fmt=path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The terminal table ([`render_table`]).
    Table,
    /// Drydock's own JSON report ([`to_json`], `docs/report-json.md`).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning ([`sarif::render`]).
    Sarif,
    /// CycloneDX 1.6 JSON: SBOM plus vulnerabilities ([`cyclonedx::render`]).
    CycloneDx,
    /// CycloneDX 1.6 JSON VEX: the same BOM with an analysis for every finding, the
    /// suppressed ones included ([`cyclonedx::render_vex`]).
    CycloneDxVex,
    /// SPDX 2.3 JSON SBOM ([`spdx::render`]).
    Spdx,
    /// JUnit XML for CI test reports ([`junit::render`]).
    Junit,
    /// CSV, one row per finding, secret and misconfiguration ([`csv::render`]).
    Csv,
    /// GitLab container scanning report ([`gitlab::render`]).
    Gitlab,
    /// One self-contained HTML page: inline CSS, no scripts ([`html::render`]).
    Html,
    /// A paginated PDF document ([`pdf::render`]); binary: use [`render_bytes`].
    Pdf,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 11] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::CycloneDx,
        Format::CycloneDxVex,
        Format::Spdx,
        Format::Junit,
        Format::Csv,
        Format::Gitlab,
        Format::Html,
        Format::Pdf,
    ];

    /// A binary format (PDF): not text, not for a terminal.
    pub fn is_binary(self) -> bool {
        self == Format::Pdf
    }

    /// The canonical name (what [`FromStr`] accepts, besides the `spdx` alias).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::CycloneDx => "cyclonedx",
            Format::CycloneDxVex => "cyclonedx-vex",
            Format::Spdx => "spdx-json",
            Format::Junit => "junit",
            Format::Csv => "csv",
            Format::Gitlab => "gitlab",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }

    /// The usual file extension for `--output` paths without one.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::CycloneDx => "cdx.json",
            Format::CycloneDxVex => "vex.cdx.json",
            Format::Spdx => "spdx.json",
            Format::Junit => "junit.xml",
            Format::Csv => "csv",
            Format::Gitlab => "gitlab.json",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown format {0:?} (expected one of: table, json, sarif, cyclonedx, cyclonedx-vex, spdx-json, junit, csv, gitlab, html, pdf)"
)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Case-insensitive; `spdx` is an alias of `spdx-json`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "table" => Format::Table,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "cyclonedx" => Format::CycloneDx,
            "cyclonedx-vex" => Format::CycloneDxVex,
            "spdx-json" | "spdx" => Format::Spdx,
            "junit" => Format::Junit,
            "csv" => Format::Csv,
            "gitlab" => Format::Gitlab,
            "html" => Format::Html,
            "pdf" => Format::Pdf,
            _ => return Err(UnknownFormat(s.to_string())),
        })
    }
}

/// Errors while rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot serialise the {format} report: {source}")]
    Json {
        format: Format,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the CSV report: {0}")]
    Csv(String),
    #[error("cannot typeset the PDF report: {0}")]
    Pdf(String),
    #[error("the {0} format is binary: render it with render_bytes")]
    Binary(Format),
}

/// Settings of the renderings that are not part of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Colours in the table (a TTY).
    pub color: bool,
    /// `tool.driver.informationUri` of SARIF output (an absolute URI); omitted when `None`.
    pub information_uri: Option<String>,
    /// Prefix of SPDX `documentNamespace` URIs (see [`spdx::DEFAULT_NAMESPACE_BASE`]).
    pub spdx_namespace_base: String,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            information_uri: None,
            spdx_namespace_base: spdx::DEFAULT_NAMESPACE_BASE.to_string(),
        }
    }
}

/// Render `report` in `format` with default options (`color` only affects the table).
pub fn render(report: &Report, format: Format, color: bool) -> Result<String, ReportError> {
    render_with(
        report,
        format,
        &RenderOptions {
            color,
            ..RenderOptions::default()
        },
    )
}

/// Render `report` in a text `format` (every format but [`Format::Pdf`], which gives
/// [`ReportError::Binary`]).
pub fn render_with(
    report: &Report,
    format: Format,
    options: &RenderOptions,
) -> Result<String, ReportError> {
    match format {
        Format::Table => Ok(render_table(report, options.color)),
        Format::Json => Ok(to_json(report)),
        Format::Sarif => sarif::render_with(report, options.information_uri.as_deref()),
        Format::CycloneDx => cyclonedx::render(report),
        Format::CycloneDxVex => cyclonedx::render_vex(report),
        Format::Spdx => spdx::render_with(report, &options.spdx_namespace_base),
        Format::Junit => Ok(junit::render(report)),
        Format::Csv => csv::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Html => Ok(html::render(report)),
        Format::Pdf => Err(ReportError::Binary(format)),
    }
}

/// Render `report` in any `format` as bytes (text formats as UTF-8).
pub fn render_bytes(
    report: &Report,
    format: Format,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Pdf => pdf::render(report),
        _ => render_with(report, format, options).map(String::into_bytes),
    }
}

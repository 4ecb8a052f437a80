//! The configuration-scan report: its versioned JSON shape (docs/misconfig-rules.md) and the
//! terminal table.

use crate::{Misconfig, Severity};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: &str = "1.0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What kind of file was examined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Dockerfile,
    Kubernetes,
    /// A YAML file that could not be parsed (so its kind is unknown).
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Ok,
    Error,
    /// Not linted, on purpose (e.g. an unrendered Helm template); `error` says why.
    Skipped,
}

/// One examined file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub kind: FileKind,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Findings in this file (after filtering).
    pub misconfigurations: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub misconfigurations: usize,
    /// Count per severity; every severity is present.
    pub by_severity: BTreeMap<String, usize>,
}

/// The result of [`crate::scan_config_path`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigReport {
    pub schema_version: String,
    pub tool: Tool,
    /// The path that was scanned, as given.
    pub target: String,
    pub files: Vec<FileEntry>,
    pub misconfigurations: Vec<Misconfig>,
    pub summary: Summary,
}

impl ConfigReport {
    pub(crate) fn new(target: String, files: Vec<FileEntry>, misconfigs: Vec<Misconfig>) -> Self {
        let mut r = ConfigReport {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "drydock".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            target,
            files,
            misconfigurations: misconfigs,
            summary: Summary {
                files: 0,
                errors: 0,
                misconfigurations: 0,
                by_severity: BTreeMap::new(),
            },
        };
        r.recount();
        r
    }

    /// Keep only findings of these severities (all when empty) and recount.
    pub fn retain_severities(&mut self, keep: &[Severity]) {
        if !keep.is_empty() {
            self.misconfigurations
                .retain(|m| keep.contains(&m.severity));
        }
        self.recount();
    }

    fn recount(&mut self) {
        for f in &mut self.files {
            f.misconfigurations = self
                .misconfigurations
                .iter()
                .filter(|m| m.file == f.path)
                .count();
        }
        let mut by = BTreeMap::new();
        for s in Severity::ALL {
            by.insert(s.as_str().to_string(), 0);
        }
        for m in &self.misconfigurations {
            *by.entry(m.severity.as_str().to_string()).or_default() += 1;
        }
        self.summary = Summary {
            files: self.files.len(),
            errors: self
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Error)
                .count(),
            misconfigurations: self.misconfigurations.len(),
            by_severity: by,
        };
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }

    /// One line: what was scanned and what was found.
    pub fn summary_line(&self) -> String {
        let sev: Vec<String> = Severity::ALL
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s.as_str(),
                    self.summary
                        .by_severity
                        .get(s.as_str())
                        .copied()
                        .unwrap_or(0)
                )
            })
            .collect();
        format!(
            "{}: {} files ({} with errors), {} misconfigurations ({})",
            self.target,
            self.summary.files,
            self.summary.errors,
            self.summary.misconfigurations,
            sev.join(", ")
        )
    }
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
    }
}

/// The terminal rendering: a summary line, then per file a table (line, rule, severity,
/// message); per-file errors after it. Colours only when `color` (a TTY).
pub fn render_table(r: &ConfigReport, color: bool) -> String {
    let mut out = String::new();
    out.push_str(&r.summary_line());
    out.push('\n');
    for f in &r.files {
        let findings: Vec<&Misconfig> = r
            .misconfigurations
            .iter()
            .filter(|m| m.file == f.path)
            .collect();
        if findings.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&format!(
            "{} ({:?}, {} misconfigurations)\n",
            f.path,
            f.kind,
            findings.len()
        ));
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec!["Line", "Rule", "Severity", "Title", "Message"]);
        for m in findings {
            let mut sev = Cell::new(m.severity.as_str());
            if color {
                sev = sev.fg(severity_color(m.severity));
            }
            t.add_row(vec![
                Cell::new(m.line.map(|l| l.to_string()).unwrap_or_default()),
                Cell::new(&m.rule_id),
                sev,
                Cell::new(&m.title),
                Cell::new(&m.message),
            ]);
        }
        if !color {
            t.force_no_tty();
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    let errors: Vec<&crate::FileEntry> = r
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Error)
        .collect();
    if !errors.is_empty() {
        out.push('\n');
        for f in errors {
            out.push_str(&format!(
                "error: {}\n",
                f.error.as_deref().unwrap_or("cannot be linted")
            ));
        }
    }
    for f in r.files.iter().filter(|f| f.status == FileStatus::Skipped) {
        out.push_str(&format!(
            "skipped: {}\n",
            f.error.as_deref().unwrap_or(&f.path)
        ));
    }
    if r.misconfigurations.is_empty() && r.summary.errors == 0 {
        out.push_str("No misconfigurations found.\n");
    }
    out
}

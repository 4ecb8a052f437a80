//! CSV: one row per finding, then one per secret and one per misconfiguration, in the same
//! columns ([`HEADER`]); `type` says which a row is, and columns that do not apply are empty.
//!
//! | column | vulnerability | secret | misconfiguration |
//! |---|---|---|---|
//! | `type` | `vulnerability` | `secret` | `misconfiguration` |
//! | `target` | OS / package file group | `secrets` | `misconfigurations` |
//! | `path` | package DB or manifest | file or `config:...` | file or `image config` |
//! | `line` | | line (empty when 0) | line |
//! | `kind`, `name`, `installed_version` | the package | | `name` = resource |
//! | `id` | vulnerability id | rule id | rule id |
//! | `aliases` | `;`-joined | | |
//! | `severity` | severity | severity | severity |
//! | `status` | fix status | `present` / `deleted-in-later-layer` | |
//! | `fixed_version` | fixed version | | |
//! | `layer_index`, `layer_diff_id` | the package's layer | the file's layer | |
//! | `title` | title | title + redacted match | title: message |
//! | `cvss` | highest CVSS v3/v4 base score of any source | | |
//! | `epss`, `epss_percentile` | FIRST EPSS score and percentile (0–1) | | |
//! | `kev` | `true` when listed in CISA KEV | | |
//!
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) are prefixed with `'`. Full secrets are never written.

use crate::common::{clean_text, target_name};
use crate::{Report, ReportError};

/// The header row.
pub const HEADER: [&str; 19] = [
    "type",
    "target",
    "path",
    "line",
    "kind",
    "name",
    "installed_version",
    "id",
    "aliases",
    "severity",
    "status",
    "fixed_version",
    "layer_index",
    "layer_diff_id",
    "title",
    "cvss",
    "epss",
    "epss_percentile",
    "kev",
];

/// A cell safe to open in a spreadsheet: control characters (except newline and tab) dropped,
/// formula-looking text prefixed with `'`.
pub fn cell(s: &str) -> String {
    let s = clean_text(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// Render the CSV document (header first, `\n` line ends).
pub fn render(r: &Report) -> Result<String, ReportError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let err = |e: ::csv::Error| ReportError::Csv(e.to_string());
    w.write_record(HEADER).map_err(err)?;
    for f in &r.findings {
        let p = &f.package;
        let row = [
            "vulnerability".to_string(),
            target_name(r, p.kind, &p.path),
            p.path.clone(),
            String::new(),
            p.kind.as_str().to_string(),
            p.name.clone(),
            p.version.clone(),
            f.id.clone(),
            f.aliases.join(";"),
            f.severity.as_str().to_string(),
            f.status.as_str().to_string(),
            f.fixed_version.clone().unwrap_or_default(),
            p.layer_index.to_string(),
            p.layer_diff_id.clone(),
            f.title.clone().unwrap_or_default(),
            f.cvss_score()
                .map(|s| format!("{s:.1}"))
                .unwrap_or_default(),
            f.epss
                .as_ref()
                .map(|e| e.score.to_string())
                .unwrap_or_default(),
            f.epss
                .as_ref()
                .map(|e| e.percentile.to_string())
                .unwrap_or_default(),
            if f.kev.is_some() { "true" } else { "" }.to_string(),
        ];
        w.write_record(row.iter().map(|c| cell(c))).map_err(err)?;
    }
    for s in &r.secrets {
        let mut title = s.found.title.clone();
        if !s.found.redacted.is_empty() {
            title.push_str(": ");
            title.push_str(&s.found.redacted);
        }
        let row = [
            "secret".to_string(),
            "secrets".to_string(),
            s.path.clone(),
            if s.found.line > 0 {
                s.found.line.to_string()
            } else {
                String::new()
            },
            String::new(),
            String::new(),
            String::new(),
            s.found.rule_id.clone(),
            String::new(),
            s.found.severity.as_str().to_string(),
            if s.deleted_in_later_layer {
                "deleted-in-later-layer".to_string()
            } else {
                "present".to_string()
            },
            String::new(),
            s.layer_index.map(|l| l.to_string()).unwrap_or_default(),
            s.layer_diff_id.clone().unwrap_or_default(),
            title,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        w.write_record(row.iter().map(|c| cell(c))).map_err(err)?;
    }
    for m in &r.misconfigurations {
        let row = [
            "misconfiguration".to_string(),
            "misconfigurations".to_string(),
            m.file.clone(),
            m.line.map(|l| l.to_string()).unwrap_or_default(),
            String::new(),
            m.resource.clone().unwrap_or_default(),
            String::new(),
            m.rule_id.clone(),
            String::new(),
            m.severity.as_str().to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("{}: {}", m.title, m.message),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        w.write_record(row.iter().map(|c| cell(c))).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("1.2-3"), "1.2-3");
        assert_eq!(cell("a\u{7}b"), "ab");
    }
}

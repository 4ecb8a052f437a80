//! Snapshots of the report (versioned JSON and the table) for a small tree with a Dockerfile,
//! a Kubernetes manifest and a broken YAML file; and the catalogue against its documentation.

use drydock_lint::{LintConfig, Severity, catalogue, render_table, scan_config_path};
use std::path::Path;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/report")
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(&fixture().display().to_string()), "[FIXTURE]");
    s.add_filter(
        &format!(
            r#""version": "{}""#,
            regex_escape(env!("CARGO_PKG_VERSION"))
        ),
        r#""version": "[VERSION]""#,
    );
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

#[test]
fn json_report_snapshot() {
    let r = scan_config_path(&fixture(), &LintConfig::default());
    settings().bind(|| insta::assert_snapshot!("config_report_json", r.to_json()));
}

#[test]
fn table_snapshot_and_severity_filter() {
    let mut r = scan_config_path(&fixture(), &LintConfig::default());
    settings().bind(|| insta::assert_snapshot!("config_report_table", render_table(&r, false)));
    r.retain_severities(&[Severity::Critical, Severity::High]);
    let kept: Vec<(&str, &str)> = r
        .misconfigurations
        .iter()
        .map(|m| (m.file.as_str(), m.rule_id.as_str()))
        .collect();
    assert_eq!(
        kept,
        vec![
            ("deploy/web.yaml", "DD-K8S-001"),
            ("web/Dockerfile", "DD-DF-001"),
            ("web/Dockerfile", "DD-DF-003")
        ]
    );
    assert_eq!(r.summary.misconfigurations, 3);
    assert_eq!(r.summary.by_severity["MEDIUM"], 0);
    assert_eq!(
        r.files
            .iter()
            .map(|f| f.misconfigurations)
            .collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

/// docs/misconfig-rules.md lists every rule of the catalogue with the same title and severity
/// (one table row per rule: `| DD-… | title | SEVERITY | …`), and nothing else.
#[test]
fn rules_doc_matches_catalogue() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/misconfig-rules.md"),
    )
    .unwrap();
    let rows: Vec<(String, String, String)> = doc
        .lines()
        .filter(|l| l.starts_with("| DD-"))
        .map(|l| {
            let c: Vec<&str> = l.split('|').map(str::trim).collect();
            (c[1].to_string(), c[2].to_string(), c[3].to_string())
        })
        .collect();
    let want: Vec<(String, String, String)> = catalogue()
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                r.title.clone(),
                r.severity.as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(rows, want);
    assert_eq!(catalogue().len(), 51);
}

/// Ids are unique, prefixed by their target, and every rule cites at least one standard.
#[test]
fn catalogue_is_well_formed() {
    let mut ids = std::collections::BTreeSet::new();
    for r in catalogue() {
        assert!(ids.insert(r.id.clone()), "duplicate id {}", r.id);
        let prefix = match r.target {
            drydock_lint::Target::Dockerfile => "DD-DF-",
            drydock_lint::Target::Kubernetes => "DD-K8S-",
            drydock_lint::Target::Image => "DD-IMG-",
        };
        assert!(r.id.starts_with(prefix), "{} is not a {prefix} id", r.id);
        assert_eq!(r.id.len(), prefix.len() + 3, "{}: three-digit number", r.id);
        assert!(!r.references.is_empty(), "{} has no reference", r.id);
        assert!(!r.remediation.is_empty() && !r.title.is_empty());
    }
    assert_eq!(
        drydock_lint::rule("DD-K8S-010").unwrap().title,
        "AppArmor set to unconfined"
    );
    assert!(drydock_lint::rule("DD-DF-999").is_none());
}

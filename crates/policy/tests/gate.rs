//! The gate on the real sample reports: the example policy file, thresholds, rules, image
//! requirements. Reports "modified" below are the real ones with fields changed by hand.

mod common;

use common::*;
use drydock_policy::{Action, Evaluation, FailKind, Policy, evaluate};
use drydock_vulndb::{FixStatus, Severity};
use serde_json::json;

fn example_policy() -> Policy {
    Policy::load(&example("drydock.yaml")).unwrap()
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    // the policy file's path depends on the checkout
    s.add_filter(
        r#""[^"]*examples/policies/drydock.yaml"#,
        "\"examples/policies/drydock.yaml",
    );
    s
}

fn gate_view(ev: &Evaluation) -> serde_json::Value {
    json!({
        "gate": ev.gate,
        "diagnostics": ev.diagnostics,
        "kept": {
            "findings": ev.findings.len(),
            "secrets": ev.secrets.len(),
            "misconfigurations": ev.misconfigurations.len(),
        },
        "suppressed": ev.suppressed.len(),
    })
}

#[test]
fn example_policy_on_the_alpine_report() {
    let report = alpine_report();
    let ev = evaluate(&report, Some(&example_policy()), &[], None, today()).unwrap();
    assert!(ev.gate.failed);
    assert_eq!(
        ev.gate.reasons,
        [
            "2 findings ≥ HIGH with a fix: CVE-2024-12797",
            "image reference docker.io/example/app is not from an allowed registry (ghcr.io/acme, docker.io/library/*)",
        ]
    );
    // CVE-2024-9143 on libcrypto3 (1) and the 10 CVEs of ALSA-2026:1472 on two packages (20)
    assert_eq!(ev.suppressed.len(), 21);
    assert_eq!(ev.findings.len(), 35);
    let raised: Vec<(&str, Option<Severity>, Severity)> = ev
        .findings
        .iter()
        .filter(|k| k.original_severity.is_some())
        .map(|k| (k.id.as_str(), k.original_severity, k.severity))
        .collect();
    assert_eq!(
        raised,
        [
            ("CVE-2024-12797", Some(Severity::Unknown), Severity::High),
            ("CVE-2024-12797", Some(Severity::Unknown), Severity::High)
        ]
    );
    settings().bind(|| insta::assert_json_snapshot!("example_policy_alpine", gate_view(&ev)));
}

#[test]
fn example_policy_on_the_debian_secrets_report() {
    let report = secrets_report();
    let ev = evaluate(&report, Some(&example_policy()), &[], None, today()).unwrap();
    assert!(ev.gate.failed);
    // 12 secrets: 2 url-basic-auth ignored, dotenv-file warned, 9 fail
    assert_eq!(ev.secrets.len(), 10);
    assert_eq!(
        ev.secrets
            .iter()
            .filter(|k| k.fails == [FailKind::Secret])
            .count(),
        9
    );
    assert_eq!(
        ev.secrets
            .iter()
            .find(|k| k.id == "dotenv-file")
            .unwrap()
            .action,
        Some(Action::Warn)
    );
    let root = ev
        .misconfigurations
        .iter()
        .find(|k| k.id == "DD-IMG-001")
        .unwrap();
    assert_eq!(root.fails, [FailKind::Misconfiguration, FailKind::RootUser]);
    settings()
        .bind(|| insta::assert_json_snapshot!("example_policy_debian_secrets", gate_view(&ev)));
}

#[test]
fn fixable_only_and_age() {
    // modified: libssl3's CVE-2025-9231 made unfixed; publication dates added by hand
    let mut report = alpine_report();
    for f in report.findings.iter_mut() {
        match (f.id.as_str(), f.package.name.as_str()) {
            ("CVE-2025-9231", "libssl3") => {
                f.status = FixStatus::NotFixed;
                f.fixed_version = None;
            }
            ("CVE-2025-26519", _) => f.published = Some("2026-04-01T00:00:00Z".into()),
            ("CVE-2026-40200", _) => f.published = Some("2026-05-20".into()),
            // the placeholder date Go advisories carry: not a date
            ("CVE-2026-6042", _) => f.published = Some("0001-01-01T00:00:00Z".into()),
            _ => {}
        }
    }
    let policy = |fixable: bool| {
        Policy::parse(
            &format!(
                "version: 1\nfail_on: {{severity: MEDIUM, fixable_only: {fixable}, max_age_days: 30}}\nrules:\n  - id: CVE-2025-9231\n    severity: medium\n"
            ),
            "p.yaml",
        )
        .unwrap()
    };
    let ev = evaluate(&report, Some(&policy(true)), &[], None, today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        [
            "1 finding ≥ MEDIUM with a fix: CVE-2025-9231",
            "2 findings published more than 30 days ago: CVE-2025-26519",
        ]
    );
    let ev = evaluate(&report, Some(&policy(false)), &[], None, today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        [
            "2 findings ≥ MEDIUM: CVE-2025-9231",
            "2 findings published more than 30 days ago: CVE-2025-26519",
        ]
    );
    // 61 days before `today` fails, 12 days does not, the placeholder is skipped
    let aged: Vec<(&str, &str)> = ev
        .findings
        .iter()
        .filter(|k| k.fails.contains(&FailKind::Age))
        .map(|k| {
            (
                k.id.as_str(),
                report.findings[k.index].package.name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        aged,
        [("CVE-2025-26519", "musl"), ("CVE-2025-26519", "musl-utils")]
    );
}

#[test]
fn kev_threshold_and_rule_actions() {
    // modified: a made-up KEV entry for CVE-2026-31790 (not CISA data)
    let mut report = alpine_report();
    for f in report
        .findings
        .iter_mut()
        .filter(|f| f.id == "CVE-2026-31790")
    {
        f.kev = Some(serde_json::from_value(json!({"date_added": "2026-05-01"})).unwrap());
    }
    let text = "\
version: 1
fail_on: { kev: true }
rules:
  - id: CVE-2026-28390
    action: fail
    reason: we promised the customer
  - id: CVE-2026-31790
    action: warn
  - id: CVE-2026-28387
    action: ignore
    reason: no DANE in our clients
  - id: CVE-1999-0001
    severity: LOW
";
    let policy = Policy::parse(text, "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        ["2 items set to fail by rules: CVE-2026-28390"]
    );
    assert_eq!(
        ev.gate.warnings,
        ["2 findings would fail the gate but rules set them to warn: CVE-2026-31790"]
    );
    assert_eq!(ev.suppressed.len(), 2);
    assert_eq!(ev.suppressed[0].reason, "no DANE in our clients");
    let d: Vec<String> = ev.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        d,
        ["p.yaml:12:5: note[rule-unused]: rule for CVE-1999-0001 matched nothing in this report"]
    );
    // without the warn rule, KEV fails the gate
    let policy = Policy::parse("version: 1\nfail_on: { kev: true }\n", "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        ["2 findings in CISA KEV (known exploited): CVE-2026-31790"]
    );
    assert_eq!(
        ev.gate.summary(),
        "failed: 2 findings in CISA KEV (known exploited): CVE-2026-31790"
    );
}

#[test]
fn many_ids_are_abbreviated() {
    let policy = Policy::parse("version: 1\nfail_on: {severity: UNKNOWN}\n", "p.yaml").unwrap();
    let ev = evaluate(&alpine_report(), Some(&policy), &[], None, today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        [
            "56 findings ≥ UNKNOWN: CVE-2024-58251, CVE-2025-46394, CVE-2024-12797, CVE-2024-13176, \
          CVE-2024-9143, CVE-2025-15467, CVE-2025-15468, CVE-2025-66199, CVE-2025-68160, \
          CVE-2025-69418, … (17 more)"
        ]
    );
}

#[test]
fn misconfiguration_rules_and_non_root() {
    let report = secrets_report();
    let text = "\
version: 1
misconfigurations: { severity: CRITICAL }
image: { non_root: true }
rules:
  - rule: DD-IMG-004
    severity: MEDIUM
  - rule: DD-IMG-001
    action: warn
";
    let policy = Policy::parse(text, "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    assert!(!ev.gate.failed, "{:?}", ev.gate);
    assert_eq!(
        ev.gate.warnings,
        ["image runs as root (DD-IMG-001: Config.User is empty: the container runs as root)"]
    );
    let m = &ev.misconfigurations[1];
    assert_eq!(
        (m.id.as_str(), m.severity, m.original_severity),
        ("DD-IMG-004", Severity::Medium, Some(Severity::Critical))
    );
    // the Rego view carries the changed severity
    let filtered = ev.filtered_report(&report);
    assert_eq!(
        filtered.misconfigurations[1].severity,
        drydock_lint::Severity::Medium
    );
    assert_eq!(filtered.secrets.len(), 12);

    // no misconfiguration results: non_root cannot be checked, and says so
    let policy = Policy::parse("version: 1\nimage:\n  non_root: true\n", "p.yaml").unwrap();
    let ev = evaluate(&alpine_report(), Some(&policy), &[], None, today()).unwrap();
    assert!(!ev.gate.failed);
    assert_eq!(ev.diagnostics.len(), 1);
    assert_eq!(ev.diagnostics[0].code, "image-user-unknown");
    assert_eq!(
        (ev.diagnostics[0].line, ev.diagnostics[0].column),
        (Some(3), Some(3))
    );
}

#[test]
fn allowed_registries() {
    let report = alpine_report(); // repo tag example/app:1.0
    let check = |list: &str| {
        let p = Policy::parse(
            &format!("version: 1\nimage:\n  allowed_registries: {list}\n"),
            "p.yaml",
        )
        .unwrap();
        evaluate(&report, Some(&p), &[], None, today())
            .unwrap()
            .gate
    };
    assert!(!check("[docker.io]").failed);
    assert!(!check("[index.docker.io]").failed);
    assert!(!check("[docker.io/example]").failed);
    assert!(!check("['docker.io/example/*']").failed);
    assert!(!check("['*/example/app']").failed);
    assert!(check("[docker.io/exam]").failed);
    assert!(check("['docker.io/library/*']").failed);
    assert!(check("[ghcr.io]").failed);

    // a registry scan: the reference scanned is checked too
    let mut r = alpine_report();
    r.artifact.format = "registry".into();
    r.artifact.source = "quay.io/acme/app:2".into();
    let p = Policy::parse(
        "version: 1\nimage:\n  allowed_registries: [docker.io]\n",
        "p.yaml",
    )
    .unwrap();
    let ev = evaluate(&r, Some(&p), &[], None, today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        ["image reference quay.io/acme/app is not from an allowed registry (docker.io)"]
    );
    // no reference at all: cannot be checked
    r.artifact.format = "oci-layout".into();
    r.artifact.repo_tags.clear();
    let ev = evaluate(&r, Some(&p), &[], None, today()).unwrap();
    assert!(!ev.gate.failed);
    assert_eq!(ev.diagnostics[0].code, "image-reference-unknown");
    assert_eq!(ev.diagnostics[0].line, Some(3));
}

#[test]
fn no_policy_passes_and_evaluation_serialises() {
    let report = secrets_report();
    let ev = evaluate(&report, None, &[], None, today()).unwrap();
    assert!(!ev.gate.failed);
    assert_eq!(
        (
            ev.findings.len(),
            ev.secrets.len(),
            ev.misconfigurations.len()
        ),
        (0, 12, 2)
    );
    let ev = evaluate(&report, Some(&example_policy()), &[], None, today()).unwrap();
    let text = serde_json::to_string(&ev).unwrap();
    let back: Evaluation = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ev);
}

#[test]
fn epss_and_cvss_thresholds() {
    // modified: EPSS scores and an NVD rating set by hand on two findings of the real report
    let mut report = alpine_report();
    for f in report.findings.iter_mut() {
        match (f.id.as_str(), f.package.name.as_str()) {
            ("CVE-2025-9231", "libssl3") => {
                f.epss = Some(drydock_vulndb::EpssScore {
                    score: 0.42,
                    percentile: 0.97,
                    date: "2026-05-01".into(),
                })
            }
            ("CVE-2025-26519", _) => f.ratings.push(drydock_vulndb::SeverityRating {
                source: "nvd".into(),
                severity: Severity::Critical,
                cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                score: Some(9.8),
            }),
            _ => {}
        }
    }
    let policy = |yaml: &str| Policy::parse(yaml, "p.yaml").unwrap();
    let ev = evaluate(
        &report,
        Some(&policy(
            "version: 1\nfail_on: { epss_above: 0.1, cvss_above: 9 }\n",
        )),
        &[],
        None,
        today(),
    )
    .unwrap();
    assert!(ev.gate.failed);
    assert_eq!(
        ev.gate.reasons,
        [
            "1 finding with EPSS ≥ 0.1: CVE-2025-9231 (0.42)",
            "2 findings with CVSS ≥ 9.0: CVE-2025-26519 (9.8)",
        ]
    );
    let k = ev
        .findings
        .iter()
        .find(|k| k.id == "CVE-2025-9231" && report.findings[k.index].package.name == "libssl3")
        .unwrap();
    assert_eq!(k.fails, [FailKind::Epss]);
    // above every score: passes
    let ev = evaluate(
        &report,
        Some(&policy(
            "version: 1\nfail_on: { epss_above: 0.5, cvss_above: 9.9 }\n",
        )),
        &[],
        None,
        today(),
    )
    .unwrap();
    assert!(!ev.gate.failed, "{:?}", ev.gate.reasons);
}

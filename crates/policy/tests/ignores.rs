//! `ignore:` entries on the real sample reports: expiry, scoping, aliases, unused entries.

mod common;

use common::*;
use drydock_policy::{DiagSeverity, Item, Policy, SuppressedBy, evaluate};

fn suppressed_findings(ev: &drydock_policy::Evaluation) -> Vec<(String, String)> {
    ev.suppressed
        .iter()
        .filter_map(|s| match &s.what {
            Item::Finding { id, package, .. } => Some((id.clone(), package.clone())),
            _ => None,
        })
        .collect()
}

/// Acceptance: an ignore whose `expires` is in the past is not applied, and is reported as
/// expired with the policy file's name, line and column.
#[test]
fn expired_ignore_is_not_applied_and_reported_with_position() {
    let report = alpine_report();
    let text = "\
version: 1
ignore:
  - id: CVE-2024-9143
    reason: named curves only
    expires: 2026-05-31
  - id: CVE-2025-26519
    reason: iconv EUC-KR input is never decoded here
    expires: 2026-06-01
";
    let policy = Policy::parse(text, "drydock.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();

    // CVE-2024-9143 (libcrypto3, libssl3) stays: its ignore expired the day before `today`
    let kept_9143: Vec<&str> = ev
        .findings
        .iter()
        .filter(|k| k.id == "CVE-2024-9143")
        .map(|k| report.findings[k.index].package.name.as_str())
        .collect();
    assert_eq!(kept_9143, ["libcrypto3", "libssl3"]);
    // CVE-2025-26519 (musl, musl-utils) is ignored: `expires` is inclusive
    assert_eq!(
        suppressed_findings(&ev),
        [
            ("CVE-2025-26519".to_string(), "musl".to_string()),
            ("CVE-2025-26519".to_string(), "musl-utils".to_string())
        ]
    );
    assert_eq!(ev.findings.len(), 54);

    let expired: Vec<_> = ev
        .diagnostics
        .iter()
        .filter(|d| d.code == "ignore-expired")
        .collect();
    assert_eq!(expired.len(), 1);
    let d = expired[0];
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(
        (d.file.as_deref(), d.line, d.column),
        (Some("drydock.yaml"), Some(3), Some(5))
    );
    assert_eq!(
        d.to_string(),
        "drydock.yaml:3:5: warning[ignore-expired]: ignore of CVE-2024-9143 expired on 2026-05-31 \
         and no longer applies; 2 items it matched now count again (reason was: named curves only)"
    );
    // the suppression records where the entry is
    assert_eq!(
        ev.suppressed[0].by,
        SuppressedBy::Ignore {
            file: "drydock.yaml".into(),
            line: Some(6),
            column: Some(5),
            id: "CVE-2025-26519".into(),
            expires: Some("2026-06-01".into()),
        }
    );
    assert_eq!(
        ev.suppressed[0].reason,
        "iconv EUC-KR input is never decoded here"
    );
}

#[test]
fn expired_ignore_from_a_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drydock.yaml");
    std::fs::write(
        &path,
        "version: 1\n\n# old exception\nignore:\n- {id: CVE-2024-12797, reason: 'RPK unused', expires: 2025-01-01}\n",
    )
    .unwrap();
    let policy = Policy::load(&path).unwrap();
    let ev = evaluate(&alpine_report(), Some(&policy), &[], None, today()).unwrap();
    let d = &ev.diagnostics[0];
    assert_eq!(d.code, "ignore-expired");
    assert_eq!(d.file.as_deref(), Some(path.display().to_string().as_str()));
    assert_eq!((d.line, d.column), (Some(5), Some(3)));
    assert!(ev.suppressed.is_empty());
    assert_eq!(ev.findings.len(), 56);
}

#[test]
fn package_and_purl_globs_scope_an_ignore() {
    let report = alpine_report();
    let text = "\
version: 1
ignore:
  - id: CVE-2024-58251
    package: busybox*         # the name or the source package's name
    reason: no netstat in our images
  - id: CVE-2025-46394
    package: pkg:apk/alpine/ssl_client
    reason: tar is not run on untrusted input
  - id: CVE-2026-6042
    package: openssl            # source package name: matches nothing of musl
    reason: wrong scope on purpose
  - id: CVE-2026-40200
    package: musl               # musl-utils's source package is musl: both match
    path: /lib/apk/db/installed
    reason: scoped to the apk database
";
    let policy = Policy::parse(text, "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    assert_eq!(
        suppressed_findings(&ev),
        [
            ("CVE-2024-58251".into(), "busybox".into()),
            ("CVE-2024-58251".into(), "busybox-binsh".into()),
            // ssl_client's source package is busybox
            ("CVE-2024-58251".into(), "ssl_client".into()),
            ("CVE-2025-46394".into(), "ssl_client".into()),
            ("CVE-2026-40200".into(), "musl".into()),
            ("CVE-2026-40200".into(), "musl-utils".into()),
        ]
    );
    let unused: Vec<String> = ev
        .diagnostics
        .iter()
        .filter(|d| d.code == "ignore-unused")
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        unused,
        [
            "p.yaml:9:5: warning[ignore-unused]: ignore of CVE-2026-6042 matched nothing in this report"
        ]
    );
}

#[test]
fn an_alias_matches_and_ids_are_case_insensitive() {
    let report = alpine_report();
    // ALSA-2026:1472 is an alias of 11 CVEs on libcrypto3 and libssl3 in the real report
    let text = "version: 1\nignore:\n  - id: ALSA-2026:1472\n    reason: fixed by the next base image\n  - id: cve-2026-31789\n    reason: lower case\n";
    let policy = Policy::parse(text, "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    let ids: std::collections::BTreeSet<String> = suppressed_findings(&ev)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        [
            "CVE-2025-15467",
            "CVE-2025-15468",
            "CVE-2025-66199",
            "CVE-2025-68160",
            "CVE-2025-69418",
            "CVE-2025-69419",
            "CVE-2025-69420",
            "CVE-2025-69421",
            "CVE-2026-22795",
            "CVE-2026-22796",
            "CVE-2026-31789",
        ]
    );
    // 10 CVEs × 2 packages by the alias, 1 CVE × 2 packages by id
    assert_eq!(ev.suppressed.len(), 22);
    assert_eq!(ev.findings.len(), 34);
    assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
}

#[test]
fn ignores_apply_to_secrets_and_misconfigurations() {
    let report = secrets_report();
    let fp = report.secrets[2].found.fingerprint.clone(); // stripe-secret-key in app.ini
    let text = format!(
        "version: 1
ignore:
  - id: url-basic-auth
    path: /app/python/**
    reason: examples in a vendored library
  - id: {fp}
    reason: a revoked test key, by fingerprint
  - id: DD-IMG-001
    path: image config
    reason: the runtime sets the user
  - id: private-key
    package: openssl
    reason: secrets have no package, so this matches nothing
"
    );
    let policy = Policy::parse(&text, "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    let what: Vec<String> = ev
        .suppressed
        .iter()
        .map(|s| match &s.what {
            Item::Secret { rule_id, path, .. } => format!("secret {rule_id} {path}"),
            Item::Misconfiguration { rule_id, file, .. } => format!("misconfig {rule_id} {file}"),
            Item::Finding { id, .. } => format!("finding {id}"),
        })
        .collect();
    assert_eq!(
        what,
        [
            "secret url-basic-auth /app/python/werkzeug/urls.py",
            "secret url-basic-auth /app/python/werkzeug/urls.py",
            "secret stripe-secret-key /app/config/app.ini",
            "misconfig DD-IMG-001 image config",
        ]
    );
    assert_eq!(ev.secrets.len(), 9);
    assert_eq!(ev.misconfigurations.len(), 1);
    assert_eq!(ev.misconfigurations[0].id, "DD-IMG-004");
    let unused: Vec<(String, Option<usize>)> = ev
        .diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.line))
        .collect();
    assert_eq!(unused, [("ignore-unused".to_string(), Some(11))]);
}

#[test]
fn overlapping_ignores_the_first_one_suppresses_both_are_used() {
    let report = alpine_report();
    let text = "version: 1\nignore:\n  - id: CVE-2024-9143\n    reason: first\n  - id: CVE-2024-9143\n    package: libssl3\n    reason: second, narrower\n";
    let policy = Policy::parse(text, "p.yaml").unwrap();
    let ev = evaluate(&report, Some(&policy), &[], None, today()).unwrap();
    let reasons: Vec<&str> = ev.suppressed.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons, ["first", "first"]);
    assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
}

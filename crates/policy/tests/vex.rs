//! OpenVEX on the real sample report. The VEX documents here are hand-written (in the
//! OpenVEX 0.2.0 format, validated against the published schema) except those read from the
//! vunnel fixtures, which are real Chainguard documents.

mod common;

use common::*;
use drydock_policy::{Item, Policy, SuppressedBy, VexDoc, VexStatus, evaluate};
use serde_json::{Value, json};
use std::sync::OnceLock;

fn schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let p = shared().join("schemas/openvex-0.2.0/openvex_json_schema.json");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    })
}

fn violations(doc: &Value) -> Vec<String> {
    schema()
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A hand-written OpenVEX document with these statements; checked against the schema.
fn vex_doc(name: &str, statements: Value) -> VexDoc {
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://example.com/vex/{name}"),
        "author": "Drydock tests (hand-written)",
        "timestamp": "2026-01-10T09:00:00Z",
        "version": 1,
        "statements": statements,
    });
    assert_eq!(
        violations(&doc),
        Vec::<String>::new(),
        "{name} is valid OpenVEX"
    );
    VexDoc::parse(&doc.to_string(), name).unwrap()
}

fn kept_pairs(
    ev: &drydock_policy::Evaluation,
    report: &drydock_report::Report,
) -> Vec<(String, String)> {
    ev.findings
        .iter()
        .map(|k| (k.id.clone(), report.findings[k.index].package.name.clone()))
        .collect()
}

/// Acceptance: a VEX `not_affected` for one CVE on one package removes exactly that finding;
/// all others are kept.
#[test]
fn not_affected_removes_exactly_that_finding() {
    let report = alpine_report();
    let doc = vex_doc(
        "acme.openvex.json",
        json!([{
            "vulnerability": {"name": "CVE-2024-9143"},
            "products": [{"@id": "pkg:apk/alpine/libcrypto3@3.3.2-r0"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "only named curves are used"
        }]),
    );
    let ev = evaluate(&report, None, &[doc], None, today()).unwrap();
    assert_eq!(ev.suppressed.len(), 1);
    let s = &ev.suppressed[0];
    assert_eq!(
        s.what,
        Item::Finding {
            index: 6,
            id: "CVE-2024-9143".into(),
            package: "libcrypto3".into(),
            version: "3.3.2-r0".into(),
            purl: "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=3.20.3&upstream=openssl"
                .into(),
        }
    );
    assert_eq!(
        s.by,
        SuppressedBy::Vex {
            file: "acme.openvex.json".into(),
            statement: 0,
            statement_id: None,
            vulnerability: "CVE-2024-9143".into(),
            status: VexStatus::NotAffected,
            justification: Some("vulnerable_code_not_in_execute_path".into()),
        }
    );
    assert_eq!(
        s.reason,
        "not_affected: vulnerable_code_not_in_execute_path — only named curves are used"
    );
    // every other finding is kept, in report order; libssl3's CVE-2024-9143 among them
    let kept: Vec<usize> = ev.findings.iter().map(|k| k.index).collect();
    let expected: Vec<usize> = (0..56).filter(|i| *i != 6).collect();
    assert_eq!(kept, expected);
    assert!(kept_pairs(&ev, &report).contains(&("CVE-2024-9143".into(), "libssl3".into())));
    assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    assert!(!ev.gate.failed);
}

#[test]
fn image_products_subcomponents_and_aliases() {
    let report = alpine_report();
    let doc = vex_doc(
        "image.openvex.json",
        json!([
            {   // the whole image, named by its config digest: every package's finding
                "vulnerability": {"name": "CVE-2025-46394"},
                "products": [{"@id": "pkg:oci/app@sha256%3Aa18f7c6c54f419025d5f9459d51f8837588b095cbc5d8e4ca7401e1e6d7cf49d"}],
                "status": "fixed"
            },
            {   // the image by reference, one subcomponent
                "vulnerability": {"name": "CVE-2025-26519"},
                "products": [{
                    "@id": "example/app:1.0",
                    "subcomponents": [{"identifiers": {"purl": "pkg:apk/alpine/musl-utils"}}]
                }],
                "status": "not_affected",
                "justification": "vulnerable_code_cannot_be_controlled_by_adversary"
            },
            {   // named by an alias the finding carries (ALSA-2025:1330 of CVE-2024-12797)
                "vulnerability": {"name": "ALSA-2025:1330"},
                "products": [{"@id": "pkg:apk/alpine/libssl3"}],
                "status": "not_affected",
                "impact_statement": "TLS raw public keys are disabled"
            },
            {   // another image: applies to nothing here
                "vulnerability": {"name": "CVE-2026-6042"},
                "products": [{"@id": "pkg:oci/other@sha256%3A0000"}],
                "status": "fixed"
            }
        ]),
    );
    let ev = evaluate(&report, None, &[doc], None, today()).unwrap();
    let gone: Vec<(String, String)> = ev
        .suppressed
        .iter()
        .map(|s| match &s.what {
            Item::Finding { id, package, .. } => (id.clone(), package.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        gone,
        [
            ("CVE-2025-46394".into(), "busybox".into()),
            ("CVE-2025-46394".into(), "busybox-binsh".into()),
            ("CVE-2024-12797".into(), "libssl3".into()),
            ("CVE-2025-26519".into(), "musl-utils".into()),
            ("CVE-2025-46394".into(), "ssl_client".into()),
        ]
    );
    assert_eq!(ev.findings.len(), 51);
    let notes: Vec<String> = ev.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        notes,
        [
            "image.openvex.json: note[vex-unused]: 1 of 4 statements applied to no finding of this report: CVE-2026-6042"
        ]
    );
}

#[test]
fn affected_and_under_investigation_annotate() {
    let report = alpine_report();
    let doc = vex_doc(
        "notes.openvex.json",
        json!([
            {
                "vulnerability": {"name": "CVE-2025-9230"},
                "products": [{"@id": "pkg:apk/alpine/libssl3@3.3.2-r0"}],
                "status": "affected",
                "action_statement": "upgrade to 3.3.5-r0 with the next base image"
            },
            {
                "vulnerability": {"name": "CVE-2025-9231"},
                "products": [{"identifiers": {"purl": "pkg:apk/alpine/libcrypto3"}}],
                "status": "under_investigation"
            }
        ]),
    );
    let ev = evaluate(&report, None, &[doc], None, today()).unwrap();
    assert!(ev.suppressed.is_empty());
    let annotated: Vec<(String, String, VexStatus, String)> = ev
        .findings
        .iter()
        .filter(|k| !k.vex.is_empty())
        .map(|k| {
            (
                k.id.clone(),
                report.findings[k.index].package.name.clone(),
                k.vex[0].status,
                k.vex[0].explanation.clone(),
            )
        })
        .collect();
    assert_eq!(
        annotated,
        [
            (
                "CVE-2025-9231".into(),
                "libcrypto3".into(),
                VexStatus::UnderInvestigation,
                "under_investigation".into()
            ),
            (
                "CVE-2025-9230".into(),
                "libssl3".into(),
                VexStatus::Affected,
                "affected — upgrade to 3.3.5-r0 with the next base image".into()
            ),
        ]
    );
    assert_eq!(ev.findings.len(), 56);
}

#[test]
fn the_newest_statement_wins() {
    let report = alpine_report();
    let stmt = |status: &str, ts: &str| {
        let mut s = json!({
            "vulnerability": {"name": "CVE-2024-13176"},
            "products": [{"@id": "pkg:apk/alpine/libcrypto3"}],
            "status": status,
            "timestamp": ts
        });
        if status == "not_affected" {
            s["justification"] = json!("inline_mitigations_already_exist");
        }
        s
    };
    // newer under_investigation after an older not_affected: the finding comes back
    let a = vex_doc(
        "a.json",
        json!([stmt("not_affected", "2026-01-01T00:00:00Z")]),
    );
    let b = vex_doc(
        "b.json",
        json!([stmt("under_investigation", "2026-03-01T00:00:00Z")]),
    );
    let ev = evaluate(&report, None, &[b.clone(), a.clone()], None, today()).unwrap();
    assert!(ev.suppressed.is_empty());
    let k = ev.findings.iter().find(|k| k.index == 5).unwrap();
    assert_eq!(
        (k.id.as_str(), k.vex[0].file.as_str()),
        ("CVE-2024-13176", "b.json")
    );
    // the other way round it is suppressed, whatever the order the documents come in
    let a2 = vex_doc(
        "a2.json",
        json!([stmt("not_affected", "2026-04-01T00:00:00Z")]),
    );
    let ev = evaluate(&report, None, &[a2, b], None, today()).unwrap();
    assert_eq!(ev.suppressed.len(), 1);
    assert_eq!(ev.findings.len(), 55);
}

#[test]
fn unusable_statements_are_reported_and_skipped() {
    let report = alpine_report();
    // written by hand, and deliberately not schema-valid: no justification, no products
    let text = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/bad",
        "author": "Drydock tests (hand-written)",
        "timestamp": "2026-01-10T09:00:00Z",
        "version": 1,
        "statements": [
            {"vulnerability": {"name": "CVE-2024-9143"}, "products": [{"@id": "pkg:apk/alpine/libssl3"}], "status": "not_affected"},
            {"vulnerability": {"name": "CVE-2024-12797"}, "status": "fixed"},
            {"vulnerability": {"name": "CVE-2024-13176"}, "products": [{"@id": "pkg:apk/alpine/libssl3"}], "status": "exploitable"},
            {"products": [{"@id": "pkg:apk/alpine/libssl3"}], "status": "fixed"},
            {"vulnerability": {"name": "CVE-2025-9232"}, "products": [{"@id": "pkg:apk/alpine/libssl3"}], "status": "affected"}
        ]
    });
    assert_eq!(violations(&text).len(), 4, "{:?}", violations(&text));
    let doc = VexDoc::parse(&text.to_string(), "bad.json").unwrap();
    let msgs: Vec<String> = doc.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "bad.json: warning[vex-statement-skipped]: statements[0]: CVE-2024-9143: `not_affected` needs a `justification` or an `impact_statement`; skipped",
            "bad.json: warning[vex-statement-skipped]: statements[1]: CVE-2024-12797: no products; skipped",
            "bad.json: warning[vex-statement-skipped]: statements[2]: CVE-2024-13176: unknown status \"exploitable\" (expected not_affected, affected, fixed or under_investigation); skipped",
            "bad.json: warning[vex-statement-skipped]: statements[3]: no `vulnerability.name`; skipped",
            "bad.json: warning[vex-missing-action]: statements[4]: CVE-2025-9232: `affected` should carry an `action_statement`",
        ]
    );
    let ev = evaluate(&report, None, &[doc], None, today()).unwrap();
    assert!(ev.suppressed.is_empty());
    assert_eq!(ev.findings.len(), 56);
    assert_eq!(ev.diagnostics.len(), 5);

    for (bad, msg) in [
        ("[]", "not a JSON object"),
        (
            "{\"document\": {\"category\": \"csaf_vex\"}}",
            "no `statements` list: not an OpenVEX document",
        ),
    ] {
        let e = VexDoc::parse(bad, "x.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("x.json: invalid VEX document: {msg}")
        );
    }
    assert!(VexDoc::parse("{", "x.json").is_err());
}

#[test]
fn vex_precedes_ignores() {
    let report = alpine_report();
    let doc = vex_doc(
        "v.json",
        json!([{
            "vulnerability": {"name": "CVE-2026-6042"},
            "products": [{"@id": "pkg:apk/alpine/musl"}, {"@id": "pkg:apk/alpine/musl-utils"}],
            "status": "fixed"
        }]),
    );
    let policy = Policy::parse(
        "version: 1\nignore:\n  - id: CVE-2026-6042\n    reason: also ignored\n",
        "p.yaml",
    )
    .unwrap();
    let ev = evaluate(&report, Some(&policy), &[doc], None, today()).unwrap();
    assert_eq!(ev.suppressed.len(), 2);
    assert!(
        ev.suppressed
            .iter()
            .all(|s| matches!(s.by, SuppressedBy::Vex { .. }))
    );
    let d: Vec<String> = ev.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        d,
        [
            "p.yaml:3:5: warning[ignore-unused]: ignore of CVE-2026-6042 matched only findings VEX already suppresses"
        ]
    );
}

/// Real OpenVEX documents (Chainguard, from the vunnel test fixtures): they read, and their
/// statements (named by a CGA id, with the CVE as an alias) match by alias.
#[test]
fn real_chainguard_documents() {
    let archive = shared().join("fixtures/vunnel-test-fixtures.tar.gz");
    let members = tar_members(&archive, &[".openvex.json"]);
    let names: Vec<&str> = members
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "spring-security-web.openvex.json",
            "joblib.openvex.json",
            "urllib3.openvex.json"
        ]
    );
    let mut docs = Vec::new();
    for (path, text) in &members {
        let v: Value = serde_json::from_str(text).unwrap();
        // the documents carry a top-level `supplier`, which the 0.2.0 schema does not allow;
        // that is their only deviation, and the reader accepts it
        let errs = violations(&v);
        assert_eq!(errs.len(), 1, "{path}: {errs:?}");
        assert!(errs[0].contains("supplier"), "{errs:?}");
        let d = VexDoc::parse(text, path).unwrap();
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert_eq!(d.statements.len(), 1);
        assert_eq!(d.statements[0].status, VexStatus::Fixed);
        docs.push(d);
    }
    let urllib3 = &docs[2].statements[0];
    assert_eq!(urllib3.vulnerability, "CGA-7qjw-ggh3-pp9f");
    assert_eq!(urllib3.aliases, ["CVE-2023-45803", "GHSA-g4mx-q9vg-27p4"]);

    // Hand-made findings (the sample report has no Python packages): the real report's
    // first finding with its id, aliases and package replaced.
    let mut report = alpine_report();
    let template = report.findings[0].clone();
    let make = |id: &str, purl: &str, version: &str| {
        let mut f = template.clone();
        f.id = id.into();
        f.aliases = vec![];
        f.package.name = "urllib3".into();
        f.package.version = version.into();
        f.package.purl = purl.into();
        f
    };
    report.findings = vec![
        make(
            "CVE-2023-45803",
            "pkg:pypi/urllib3@1.26.16%2Bcgr.1",
            "1.26.16+cgr.1",
        ),
        make("CVE-2023-45803", "pkg:pypi/urllib3@1.26.16", "1.26.16"),
        make(
            "GHSA-g4mx-q9vg-27p4",
            "pkg:pypi/urllib3@1.26.16%2Bcgr.0",
            "1.26.16+cgr.0",
        ),
    ];
    let ev = evaluate(&report, None, &docs, None, today()).unwrap();
    let gone: Vec<usize> = ev
        .suppressed
        .iter()
        .map(|s| match s.what {
            Item::Finding { index, .. } => index,
            _ => usize::MAX,
        })
        .collect();
    assert_eq!(gone, [0, 2]);
    assert_eq!(ev.findings.len(), 1);
    assert_eq!(ev.findings[0].index, 1);
}

/// The CycloneDX analyses an evaluation hands to `cyclonedx-vex`: a `not_affected` VEX
/// statement, an ignore entry, an `affected` statement on a kept finding.
#[test]
fn analyses_for_cyclonedx_vex() {
    use drydock_report::AnalysisState;
    let report = alpine_report();
    let doc = vex_doc(
        "acme.openvex.json",
        json!([
            {
                "vulnerability": {"name": "CVE-2024-9143"},
                "products": [{"@id": "pkg:apk/alpine/libcrypto3@3.3.2-r0"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "only named curves are used"
            },
            {
                "vulnerability": {"name": "CVE-2024-9143"},
                "products": [{"@id": "pkg:apk/alpine/libssl3@3.3.2-r0"}],
                "status": "affected",
                "action_statement": "upgrade"
            }
        ]),
    );
    let policy = Policy::parse(
        "version: 1\nignore:\n  - id: CVE-2026-6042\n    reason: musl is not used for DNS here\n    expires: 2099-01-01\n",
        "p.yaml",
    )
    .unwrap();
    let ev = evaluate(&report, Some(&policy), &[doc], None, today()).unwrap();
    let filtered = ev.filtered_report(&report);
    let vex = &filtered.vex;
    // suppressed: 1 by VEX, 2 by the ignore (musl and musl-utils)
    let got: Vec<(&str, &str, AnalysisState, Option<&str>)> = vex
        .suppressed
        .iter()
        .map(|s| {
            (
                s.finding.id.as_str(),
                s.finding.package.name.as_str(),
                s.analysis.state,
                s.analysis.justification.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "CVE-2024-9143",
                "libcrypto3",
                AnalysisState::NotAffected,
                Some("code_not_reachable")
            ),
            ("CVE-2026-6042", "musl", AnalysisState::Exploitable, None),
            (
                "CVE-2026-6042",
                "musl-utils",
                AnalysisState::Exploitable,
                None
            ),
        ]
    );
    assert_eq!(vex.suppressed[1].analysis.response, ["will_not_fix"]);
    assert_eq!(
        vex.suppressed[1].analysis.detail,
        "Risk accepted: ignore of CVE-2026-6042 in p.yaml:3 (until 2099-01-01): musl is not used for DNS here"
    );
    // kept: the affected statement, by index in the filtered report
    assert_eq!(vex.kept.len(), 1);
    let (i, a) = vex.kept.iter().next().unwrap();
    assert_eq!(filtered.findings[*i].id, "CVE-2024-9143");
    assert_eq!(filtered.findings[*i].package.name, "libssl3");
    assert_eq!(a.state, AnalysisState::Exploitable);
    assert_eq!(
        drydock_policy::cyclonedx_justification("inline_mitigations_already_exist"),
        Some("protected_by_mitigating_control")
    );
}

//! `--vex` and `--policy` end to end, on Drydock's own CycloneDX of the Alpine 3.20.3 sample
//! (docs/samples/report.cdx.json) matched with `drydock sbom` against the real feeds.

mod common;

use common::*;
use std::path::Path;

fn sample_sbom() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/samples/report.cdx.json"
    ))
}

fn ids(r: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn vex_not_affected_removes_exactly_one_finding() {
    let dir = scratch("policy-vex");
    let vex = dir.join("acme.openvex.json");
    std::fs::write(
        &vex,
        serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/acme-1",
            "author": "Acme security team",
            "timestamp": "2026-01-01T00:00:00Z",
            "version": 1,
            "statements": [{
                "vulnerability": {"name": "CVE-2024-9143"},
                "products": [{"@id": "pkg:apk/alpine/libcrypto3@3.3.2-r0"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path"
            }]
        })
        .to_string(),
    )
    .unwrap();
    let all = scan_json_as("sbom", sample_sbom(), full_db(), &[]);
    let vexed = scan_json_as(
        "sbom",
        sample_sbom(),
        full_db(),
        &["--vex", vex.to_str().unwrap()],
    );
    let mut expected = ids(&all);
    let gone = ("libcrypto3".to_string(), "CVE-2024-9143".to_string());
    assert!(expected.contains(&gone));
    expected.retain(|x| *x != gone);
    assert_eq!(ids(&vexed), expected);
    assert_eq!(
        vexed["policy"]["suppressed"].as_array().unwrap().len(),
        1,
        "{}",
        vexed["policy"]
    );
}

#[test]
fn a_rego_kev_policy_and_an_expired_ignore() {
    let dir = scratch("policy-gate");
    // a gate no finding can pass, and an ignore that expired: it must not apply
    let policy = dir.join("drydock.yaml");
    std::fs::write(
        &policy,
        "version: 1\nfail_on:\n  severity: UNKNOWN\nignore:\n  - id: CVE-2024-9143\n    reason: accepted until the base image update\n    expires: 2020-01-01\n",
    )
    .unwrap();
    let out = drydock()
        .arg("sbom")
        .arg(sample_sbom())
        .arg("--db")
        .arg(full_db())
        .args(["-f", "json", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("drydock.yaml:5:"), "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(stderr.contains("policy gate: failed"), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        ids(&r).contains(&("libcrypto3".to_string(), "CVE-2024-9143".to_string())),
        "the expired ignore must not apply"
    );
    // the example Rego policy, when nothing is in KEV, passes; with --exit-code the gate
    // of a failing policy uses that code
    let kev = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/policies/kev.rego"
    ));
    let out = drydock()
        .arg("sbom")
        .arg(sample_sbom())
        .arg("--db")
        .arg(full_db())
        .args(["-f", "json", "-q", "--policy"])
        .arg(kev)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = drydock()
        .arg("sbom")
        .arg(sample_sbom())
        .arg("--db")
        .arg(full_db())
        .args(["-f", "json", "-q", "--exit-code", "7", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
}

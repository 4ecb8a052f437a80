//! `drydock config`: the real binary on the Dockerfile corpus of crates/lint and on broken
//! inputs — output formats, severity filter, exit codes, per-file errors.

mod common;

use common::drydock;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../lint/tests/dockerfiles")
        .join(case)
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn rules_and_lines(v: &Value) -> Vec<(String, u64)> {
    v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                m["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn classic_example_json_and_severity_filter() {
    let out = drydock()
        .args(["config", "--format", "json", "--quiet"])
        .arg(corpus("01-classic"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    assert_eq!(v["schema_version"], "1.0");
    assert_eq!(v["files"][0]["path"], "Dockerfile");
    assert_eq!(v["files"][0]["kind"], "dockerfile");
    assert_eq!(
        rules_and_lines(&v),
        vec![
            ("DD-DF-012".to_string(), 1),
            ("DD-DF-021".to_string(), 1),
            ("DD-DF-001".to_string(), 2),
            ("DD-DF-005".to_string(), 3),
            ("DD-DF-003".to_string(), 5),
        ]
    );

    let out = drydock()
        .args(["config", "-f", "json", "-q", "--severity", "critical,HIGH"])
        .arg(corpus("01-classic"))
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(
        rules_and_lines(&v),
        vec![
            ("DD-DF-001".to_string(), 2),
            ("DD-DF-005".to_string(), 3),
            ("DD-DF-003".to_string(), 5),
        ]
    );
    assert_eq!(v["summary"]["misconfigurations"], 3);
    assert_eq!(v["summary"]["by_severity"]["LOW"], 0);
    assert_eq!(v["files"][0]["misconfigurations"], 3);
}

#[test]
fn exit_code_gate() {
    // Findings remain → the requested code.
    drydock()
        .args(["config", "--exit-code", "3", "-q"])
        .arg(corpus("01-classic"))
        .assert()
        .code(3);
    // Only LOW findings, filtered away → 0.
    drydock()
        .args([
            "config",
            "--exit-code",
            "3",
            "-q",
            "--severity",
            "HIGH,CRITICAL",
        ])
        .arg(corpus("24-dockerignore-ok"))
        .assert()
        .code(0);
    // The good Dockerfile: nothing at all.
    let out = drydock()
        .args(["config", "--exit-code", "3"])
        .arg(corpus("02-go-multistage-good"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.ends_with("No misconfigurations found.\n"), "{table}");
    assert!(
        table.contains(": 1 files (0 with errors), 0 misconfigurations"),
        "{table}"
    );
}

#[test]
fn table_output_lists_rules_per_file() {
    let out = drydock()
        .arg("config")
        .arg(corpus("09-debian-sshd"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Dockerfile (Dockerfile, 7 misconfigurations)"),
        "{table}"
    );
    for needle in [
        "DD-DF-003",
        "EXPOSE 22: port 22 is SSH",
        "RUN contains a secret (chpasswd-password: Dock****)",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in\n{table}");
    }
    assert!(!table.contains("Docker!"), "the password is redacted");
    assert!(!table.contains('\u{1b}'), "no colour when not a TTY");
}

#[test]
fn broken_file_is_reported_and_others_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::create_dir_all(dir.path().join("b")).unwrap();
    std::fs::write(
        dir.path().join("a/Dockerfile"),
        "FROM alpine:3.20\nRUN <<EOF\necho unterminated\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b/Containerfile"),
        "FROM alpine:3.20\nUSER 0\nHEALTHCHECK NONE\n",
    )
    .unwrap();
    let report = dir.path().join("report.json");
    let out = drydock()
        .args(["config", "--format", "json", "--output"])
        .arg(&report)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "a file could not be linted");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "error: a/Dockerfile:4:1: Dockerfile parse error: expected end of here-document (EOF), but reached eof"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 files (1 with errors), 2 misconfigurations"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["files"][0]["status"], "error");
    assert_eq!(v["files"][1]["path"], "b/Containerfile");
    assert_eq!(
        rules_and_lines(&v),
        vec![("DD-DF-012".to_string(), 1), ("DD-DF-001".to_string(), 2)]
    );
}

#[test]
fn policy_flags() {
    let out = drydock()
        .args([
            "config",
            "-f",
            "json",
            "-q",
            "--allowed-registries",
            "registry.example.com,ghcr.io/acme",
            "--digest-severity",
            "high",
        ])
        .arg(corpus("24-dockerignore-ok"))
        .output()
        .unwrap();
    let v = json_of(&out);
    let sev: Vec<(String, String)> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                m["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sev,
        vec![
            ("DD-DF-012".to_string(), "HIGH".to_string()),
            ("DD-DF-013".to_string(), "HIGH".to_string()),
        ]
    );
}

#[test]
fn kubernetes_file_and_usage_errors() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../lint/tests/cases/kubernetes/DD-K8S-001.pos.yaml");
    let out = drydock()
        .args(["config", "-f", "json", "-q", "-s", "CRITICAL"])
        .arg(&f)
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["files"][0]["kind"], "kubernetes");
    assert_eq!(rules_and_lines(&v), vec![("DD-K8S-001".to_string(), 26)]);
    assert_eq!(
        v["misconfigurations"][0]["resource"],
        "Deployment shop/api container app"
    );

    let out = drydock()
        .args(["config", "/nonexistent/drydock-config-test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: /nonexistent/drydock-config-test: no such file or directory\n"
    );
    drydock()
        .args(["config", "--severity", "SEVERE", "."])
        .assert()
        .code(2);
}

/// `drydock config` reuses the secrets crate's rules: a PyPI token shape (which the lint
/// crate's own patterns do not know) in an ENV value is reported. The token is fake.
#[test]
fn dockerfile_secrets_use_the_secrets_crate_rules() {
    let dir = tempfile::tempdir().unwrap();
    let token = format!("pypi-AgEFake{}", "Zq8x".repeat(14));
    let digest = "a".repeat(64);
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM alpine:3.20@sha256:{digest}\nUSER 10001\nENV UPLOAD_NOTE={token}\nHEALTHCHECK CMD true\n"
        ),
    )
    .unwrap();
    let out = drydock()
        .arg("config")
        .arg(dir.path())
        .args(["-f", "json", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("DD-DF-004"), "{text}");
    assert!(text.contains("pypi-token"), "{text}");
    assert!(!text.contains(&token), "the token must be redacted: {text}");
}

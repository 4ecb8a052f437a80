//! The Dockerfile corpus (tests/dockerfiles/<case>/: Dockerfile, optional .dockerignore,
//! expected.txt) — also the corpus of the side-by-side with hadolint and trivy
//! (bench/lint-compare.sh, docs/misconfig-compare.md). Each case must give exactly the findings
//! in its expected.txt; the classic example and the good Dockerfiles are checked on
//! their own as well.

use drydock_lint::{LintConfig, Severity, lint_dockerfile, scan_config_path};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dockerfiles")
}

fn triples(findings: &[drydock_lint::Misconfig]) -> Vec<(usize, String, Severity)> {
    findings
        .iter()
        .map(|m| (m.line.unwrap(), m.rule_id.clone(), m.severity))
        .collect()
}

#[test]
fn every_case_gives_exactly_its_expected_findings() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 20,
        "the side-by-side needs at least 20 Dockerfiles"
    );
    let mut failures = Vec::new();
    for dir in dirs {
        let report = scan_config_path(&dir, &LintConfig::default());
        assert_eq!(report.files.len(), 1, "{}", dir.display());
        assert_eq!(report.summary.errors, 0, "{:?}", report.files);
        let got = triples(&report.misconfigurations);
        let want: Vec<(usize, String, Severity)> =
            std::fs::read_to_string(dir.join("expected.txt"))
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(|l| {
                    let p: Vec<&str> = l.split_whitespace().collect();
                    (
                        p[0].parse().unwrap(),
                        p[1].to_string(),
                        Severity::parse(p[2]).unwrap(),
                    )
                })
                .collect();
        if got != want {
            failures.push(format!(
                "{}:\n  expected {want:?}\n  got      {got:?}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The acceptance example: root user, port 22 and the auth key — and nothing for
/// port 80. The two LOW findings (no digest, no HEALTHCHECK) are true as well; above LOW the
/// result is exactly the three.
#[test]
fn classic_example_caught_exactly() {
    let path = corpus().join("01-classic/Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "FROM ubuntu:focal-20200423\nUSER root\nRUN curl http://my.service/?auth=ABD54F0356FA0054\n\
         EXPOSE 80/tcp\nEXPOSE 22/tcp\nENTRYPOINT [\"/main\"]\n"
    );
    let f = lint_dockerfile(Path::new("Dockerfile"), &text, &LintConfig::default()).unwrap();
    assert_eq!(
        triples(&f),
        vec![
            (1, "DD-DF-012".to_string(), Severity::Low),
            (1, "DD-DF-021".to_string(), Severity::Low),
            (2, "DD-DF-001".to_string(), Severity::High),
            (3, "DD-DF-005".to_string(), Severity::Critical),
            (5, "DD-DF-003".to_string(), Severity::High),
        ]
    );
    let above_low: Vec<&drydock_lint::Misconfig> =
        f.iter().filter(|m| m.severity > Severity::Low).collect();
    assert_eq!(above_low.len(), 3);
    assert_eq!(
        above_low[0].message,
        "USER root: the container runs as root"
    );
    assert_eq!(
        above_low[1].message,
        "RUN contains a secret (url-query-credential: ABD5************)"
    );
    assert_eq!(above_low[2].message, "EXPOSE 22/tcp: port 22 is SSH");
    assert!(f.iter().all(|m| m.line != Some(4)), "nothing for EXPOSE 80");
    // The secret itself is never printed in full.
    assert!(f.iter().all(|m| !m.message.contains("ABD54F0356FA0054")));
}

#[test]
fn good_multistage_nonroot_pinned_dockerfiles_have_no_findings() {
    for case in ["02-go-multistage-good", "22-python-good"] {
        let report = scan_config_path(&corpus().join(case), &LintConfig::default());
        assert_eq!(report.files.len(), 1);
        assert_eq!(
            report.misconfigurations,
            vec![],
            "{case} should be clean: {:#?}",
            report.misconfigurations
        );
    }
}

/// Severity overrides and disabled rules (the policy knobs) act on the same corpus.
#[test]
fn policy_overrides_and_disabled_rules() {
    let text = std::fs::read_to_string(corpus().join("01-classic/Dockerfile")).unwrap();
    let mut cfg = LintConfig::default();
    cfg.severity_overrides
        .insert("DD-DF-012".to_string(), Severity::High);
    cfg.disabled_rules.insert("DD-DF-021".to_string());
    let f = lint_dockerfile(Path::new("Dockerfile"), &text, &cfg).unwrap();
    assert_eq!(
        triples(&f)[..2],
        [
            (1, "DD-DF-012".to_string(), Severity::High),
            (2, "DD-DF-001".to_string(), Severity::High),
        ]
    );
    assert_eq!(f.len(), 4);
}

//! The policy file: the documented example, diagnostics with positions, hostile input.

mod common;

use common::*;
use drydock_policy::{Action, DiagSeverity, Policy, PolicyError, SecretsAction};
use drydock_vulndb::Severity;
use proptest::prelude::*;

/// id, package, path, expires, line
type IgnoreView<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<String>,
    usize,
);

#[test]
fn the_example_is_valid_and_documented_verbatim() {
    let path = example("drydock.yaml");
    let p = Policy::load(&path).unwrap();
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let f = p.fail_on.as_ref().unwrap();
    assert_eq!(
        (f.severity, f.fixable_only, f.kev, f.max_age_days),
        (Some(Severity::High), true, true, Some(30))
    );
    assert_eq!(p.secrets, Some(SecretsAction::Fail));
    assert_eq!(p.misconfigurations.unwrap().severity, Severity::High);
    let rules: Vec<(&str, Option<Severity>, Option<Action>)> = p
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.severity, r.action))
        .collect();
    assert_eq!(
        rules,
        [
            ("CVE-2024-12797", Some(Severity::High), None),
            ("DD-IMG-003", None, Some(Action::Ignore)),
            ("dotenv-file", None, Some(Action::Warn)),
        ]
    );
    let registries: Vec<&str> = p
        .image
        .allowed_registries
        .iter()
        .map(|g| g.as_str())
        .collect();
    assert_eq!(registries, ["ghcr.io/acme", "docker.io/library/*"]);
    assert!(p.image.non_root);
    let ignores: Vec<IgnoreView> = p
        .ignore
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.package.as_ref().map(|g| g.as_str()),
                i.path.as_ref().map(|g| g.as_str()),
                i.expires.map(|d| d.to_string()),
                i.pos.unwrap().line,
            )
        })
        .collect();
    assert_eq!(
        ignores,
        [
            (
                "CVE-2024-9143",
                Some("libcrypto3"),
                None,
                Some("2026-12-31".into()),
                38
            ),
            ("ALSA-2026:1472", None, None, Some("2026-09-30".into()), 42),
            ("url-basic-auth", None, Some("/app/python/**"), None, 45),
        ]
    );
    // docs/policy.md shows this very file
    let doc = std::fs::read_to_string(repo().join("docs/policy.md")).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        doc.contains(&text),
        "docs/policy.md must include examples/policies/drydock.yaml verbatim"
    );
}

/// A policy with many mistakes (hand-written): every one is reported, at its position, in
/// one go.
#[test]
fn several_mistakes_snapshot() {
    let text = "\
version: 1
fail_on:
  severity: HGH
  fixable_only: yes          # YAML 1.2: a string, not a boolean
  max_age_days: -3
secret: fail
misconfigurations: { severity: NEGLIGIBLE, level: 2 }
rules:
  - id: CVE-2024-12797
    rule: DD-IMG-001
    action: block
  - severity: LOW
  - id: CVE-2025-9230
image:
  allowed_registries: ghcr.io/acme
  non_root: \"true\"
ignore:
  - id: CVE-2024-9143
    reason: curves
    expires: 2026-13-01
  - id: CVE-2025-9230
    reason: \"\"
  - reason: no id
  - id: CVE-2024-9143
    package: libssl3
    reason: ok
    expirs: 2026-01-01
  - CVE-2025-26519
";
    let err = Policy::parse(text, "drydock.yaml").unwrap_err();
    let PolicyError::Invalid { file, diagnostics } = &err else {
        panic!("{err}");
    };
    assert_eq!(file, "drydock.yaml");
    assert_eq!(diagnostics.iter().filter(|d| d.is_error()).count(), 16);
    let rendered: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.bind(|| {
        insta::assert_json_snapshot!("several_mistakes", diagnostics);
        insta::assert_snapshot!("several_mistakes_rendered", rendered.join("\n"));
    });
    assert!(
        err.to_string()
            .starts_with("drydock.yaml: invalid policy: 16 errors, first: 3:13: "),
        "{err}"
    );
}

#[test]
fn syntax_errors_and_warnings() {
    // duplicate keys are a YAML error with a position
    let e = Policy::parse("version: 1\nsecrets: fail\nsecrets: warn\n", "p.yaml").unwrap_err();
    let d = &e.diagnostics()[0];
    assert_eq!(d.code, "yaml-syntax");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(d.line, Some(3));
    assert!(d.message.contains("duplicate"), "{}", d.message);
    // a tab where indentation is expected
    let e = Policy::parse("version: 1\nfail_on:\n\tkev: true\n", "p.yaml").unwrap_err();
    assert_eq!(e.diagnostics()[0].code, "yaml-syntax");
    assert_eq!(e.diagnostics()[0].line, Some(3));

    // warnings do not make the file invalid: they travel with the policy
    let p = Policy::parse(
        "version: 1\nfail_on:\n  fixable_only: true\nimage:\n  allowed_registries: []\nrules:\n  - id: CVE-1\nignore:\n  - {id: CVE-2, reason: a}\n  - {id: CVE-2, reason: b}\n",
        "p.yaml",
    )
    .unwrap();
    let w: Vec<String> = p.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        w,
        [
            "p.yaml:3:3: warning[no-effect]: `fail_on.fixable_only` has no effect without `fail_on.severity`",
            "p.yaml:5:3: warning[no-effect]: `image.allowed_registries` is empty: every registry is allowed",
            "p.yaml:7:5: warning[no-effect]: rules[0] (CVE-1) sets neither `severity` nor `action`",
            "p.yaml:10:5: warning[duplicate-entry]: ignore[1] repeats an earlier entry for CVE-2 (line 9)",
        ]
    );
    // anchors and merge keys work
    let p = Policy::parse(
        "version: 1\nx-common: &c {reason: shared, expires: 2027-01-01}\nignore:\n  - {<<: *c, id: CVE-3}\n",
        "p.yaml",
    );
    // `x-common` is not a policy key
    assert_eq!(p.unwrap_err().diagnostics()[0].code, "unknown-key");
    let p = Policy::parse(
        "version: 1\nignore:\n  - &e {id: CVE-3, reason: shared}\n  - {<<: *e, id: CVE-4}\n",
        "p.yaml",
    )
    .unwrap();
    assert_eq!(p.ignore[1].id, "CVE-4");
    assert_eq!(p.ignore[1].reason, "shared");
}

#[test]
fn load_errors() {
    let e = Policy::load(std::path::Path::new("/nonexistent/drydock.yaml")).unwrap_err();
    assert!(matches!(e, PolicyError::Io { .. }), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bin.yaml");
    std::fs::write(&p, [0xff, 0xfe, 0x00]).unwrap();
    assert!(Policy::load(&p).is_err());
}

fn example_text() -> String {
    std::fs::read_to_string(example("drydock.yaml")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary text never panics the parser (an error or a policy comes back).
    #[test]
    fn arbitrary_text_never_panics(s in "[ -~\\t\\n\u{e9}]{0,300}") {
        let _ = Policy::parse(&s, "p.yaml");
    }

    /// Lines of the example cut, duplicated or re-indented: never a panic, and an error
    /// always points inside the file.
    #[test]
    fn mangled_example_never_panics(
        ops in proptest::collection::vec((0usize..60, 0u8..4, 0usize..8), 1..6)
    ) {
        let mut lines: Vec<String> = example_text().lines().map(str::to_string).collect();
        for (at, op, n) in ops {
            if lines.is_empty() { break; }
            let i = at % lines.len();
            match op {
                0 => { lines.remove(i); }
                1 => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => { lines[i] = format!("{}{}", " ".repeat(n), lines[i].trim_start()); }
                _ => { let cut = lines[i].len().min(n * 3); let l = lines[i].chars().take(cut).collect(); lines[i] = l; }
            }
        }
        let text = lines.join("\n");
        let count = text.lines().count().max(1);
        if let Err(e) = Policy::parse(&text, "p.yaml") {
            for d in e.diagnostics() {
                if let Some(l) = d.line {
                    prop_assert!(l >= 1 && l <= count + 1, "{d} in\n{text}");
                }
            }
        }
    }
}

//! Every built-in rule against table-driven positive and negative cases
//! (`tests/cases/rules.toml`, fake credentials generated at run time).

#[path = "support/fake.rs"]
mod fake;

use drydock_secrets::{Rules, Scanner};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default = "default_path")]
    path: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    bytes: Option<String>,
    find: Vec<(String, usize, usize, String)>,
}

fn default_path() -> String {
    "/app/config.txt".to_string()
}

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

impl Case {
    fn content(&self) -> Vec<u8> {
        match (&self.text, &self.bytes) {
            (Some(t), None) => fake::expand(t).into_bytes(),
            (None, Some(h)) => {
                let h: String = h.chars().filter(|c| !c.is_whitespace()).collect();
                hex::decode(h).unwrap_or_else(|e| panic!("{}: bad hex: {e}", self.name))
            }
            _ => panic!("{}: give exactly one of text and bytes", self.name),
        }
    }
}

fn cases() -> Vec<Case> {
    let text = include_str!("cases/rules.toml");
    toml::from_str::<Cases>(text).expect("cases parse").case
}

#[test]
fn every_case_finds_exactly_what_it_lists() {
    let scanner = Scanner::builtin();
    let mut failures = Vec::new();
    for case in cases() {
        let content = case.content();
        let got: Vec<(String, usize, usize, String)> = scanner
            .scan_bytes(&case.path, &content)
            .into_iter()
            .map(|m| (m.rule_id, m.line, m.column, m.redacted))
            .collect();
        let want: Vec<(String, usize, usize, String)> = case
            .find
            .iter()
            .map(|(r, l, c, red)| (r.clone(), *l, *c, fake::expand(red)))
            .collect();
        if got != want {
            failures.push(format!(
                "{}\n    want {want:?}\n     got {got:?}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Each built-in rule has a case that finds it and a near miss: a case that contains one of
/// its keywords (content rules) or matches its path (file rules) and yet must not find it.
#[test]
fn every_builtin_rule_has_positive_and_negative_cases() {
    let rules = Rules::builtin();
    let spec = rules.spec();
    let scanner = Scanner::builtin();
    let mut positive = BTreeSet::new();
    let mut negative = BTreeSet::new();
    for case in cases() {
        let content = case.content();
        let lower = String::from_utf8_lossy(&content).to_ascii_lowercase();
        let found: BTreeSet<String> = scanner
            .scan_bytes(&case.path, &content)
            .into_iter()
            .map(|m| m.rule_id)
            .collect();
        positive.extend(found.iter().cloned());
        for r in &spec.rules {
            if !found.contains(&r.id) && r.keywords.iter().any(|k| lower.contains(k.as_str())) {
                negative.insert(r.id.clone());
            }
        }
        for f in &spec.files {
            let re = regex::Regex::new(&f.path).unwrap();
            if !found.contains(&f.id) && re.is_match(&case.path) {
                negative.insert(f.id.clone());
            }
        }
    }
    let all: BTreeSet<String> = rules.ids().into_iter().map(String::from).collect();
    let no_pos: Vec<_> = all.difference(&positive).collect();
    let no_neg: Vec<_> = all.difference(&negative).collect();
    assert!(
        no_pos.is_empty(),
        "rules without a positive case: {no_pos:?}"
    );
    assert!(
        no_neg.is_empty(),
        "rules without a negative case: {no_neg:?}"
    );
}

#[test]
fn the_builtin_rule_list_is_the_documented_one() {
    let rules = Rules::builtin();
    assert_eq!(
        rules.ids(),
        vec![
            "gcp-service-account",
            "private-key",
            "aws-secret-access-key",
            "aws-access-key-id",
            "azure-storage-connection-string",
            "azure-storage-account-key",
            "github-token",
            "gitlab-token",
            "slack-token",
            "slack-webhook",
            "stripe-secret-key",
            "npm-token",
            "pypi-token",
            "dockerhub-token",
            "google-api-key",
            "jwt",
            "db-url-password",
            "url-basic-auth",
            "url-query-credential",
            "http-auth-header",
            "generic-secret-assignment",
            "dotenv-file",
            "ssh-private-key-file",
            "aws-credentials-file",
            "docker-config-auth",
            "npmrc-auth",
            "pypirc-password",
            "git-credentials",
            "kubeconfig-credentials",
            "netrc-password",
            "pgpass-password",
            "private-key-file",
            "pkcs12-file",
        ]
    );
    assert_eq!(
        rules.allow_ids(),
        vec![
            "package-docs",
            "package-code-weak-matches",
            "example-marker",
            "masked-value",
            "template-reference",
            "placeholder-word",
            "upper-snake-placeholder",
        ]
    );
    // docs/secrets.md lists every rule id
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/secrets.md"),
    )
    .expect("docs/secrets.md");
    for id in rules.ids().into_iter().chain(rules.allow_ids()) {
        assert!(
            doc.contains(&format!("`{id}`")),
            "docs/secrets.md does not list {id}"
        );
    }
}

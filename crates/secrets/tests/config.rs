//! User config files (TOML and YAML): disabling rules, adding and replacing rules, allow-list
//! paths and values; errors name what is wrong. Credentials are fake (support/fake.rs).

#[path = "support/fake.rs"]
mod fake;

use drydock_secrets::{
    Config, ConfigFormat, RuleFile, Rules, Scanner, SecretsError, load_config, parse_config,
};

const TOML: &str = r#"
disable = ["jwt"]

[[rule]]
id = "acme-api-token"
title = "ACME API token"
severity = "HIGH"
keywords = ["acme_"]
regex = '\b(acme_[a-z0-9]{32})\b'

[[allow]]
id = "our-fixtures"
description = "test fixtures of our own app"
path = '^/app/tests/'

[[allow]]
id = "staging-token"
description = "the shared staging token is public"
secret = '^acme_0{4}'
"#;

const YAML: &str = r#"
disable: [jwt]
rules:
  - id: acme-api-token
    title: ACME API token
    severity: HIGH
    keywords: [acme_]
    regex: '\b(acme_[a-z0-9]{32})\b'
allow:
  - id: our-fixtures
    description: test fixtures of our own app
    path: '^/app/tests/'
  - id: staging-token
    description: the shared staging token is public
    secret: '^acme_0{4}'
"#;

fn scanner(cfg: &Config) -> Scanner {
    Scanner::new(Rules::with_config(cfg, "test config").expect("config applies"))
}

fn found(s: &Scanner, path: &str, text: &str) -> Vec<(String, usize, usize)> {
    s.scan_bytes(path, fake::expand(text).as_bytes())
        .into_iter()
        .map(|m| (m.rule_id, m.line, m.column))
        .collect()
}

fn jwt_text() -> &'static str {
    "t = eyJ{b64url:20:1}.eyJ{b64url:30:2}.{b64url:43:3}"
}

#[test]
fn toml_and_yaml_configs_are_the_same_config() {
    let t = parse_config(TOML, ConfigFormat::Toml, "t.toml").unwrap();
    let y = parse_config(YAML, ConfigFormat::Yaml, "y.yaml").unwrap();
    assert_eq!(t, y);
    assert_eq!(t.disable, vec!["jwt".to_string()]);
    assert_eq!(t.rules.len(), 1);
    assert_eq!(t.allow.len(), 2);
}

#[test]
fn config_disables_adds_and_allow_lists() {
    let cfg = parse_config(TOML, ConfigFormat::Toml, "t.toml").unwrap();
    let builtin = Scanner::builtin();
    let custom = scanner(&cfg);
    // jwt: built-in finds it, the config disabled it
    assert_eq!(
        found(&builtin, "/app/a.txt", jwt_text()),
        vec![("jwt".into(), 1, 5)]
    );
    assert_eq!(found(&custom, "/app/a.txt", jwt_text()), vec![]);
    // the added rule
    let acme = "ACME=acme_{digits:32:4}";
    assert_eq!(found(&builtin, "/app/a.txt", acme), vec![]);
    assert_eq!(
        found(&custom, "/app/a.txt", acme),
        vec![("acme-api-token".into(), 1, 6)]
    );
    // allow-listed path: skipped before reading; allow-listed value: dropped
    assert!(custom.skips_path("app/tests/fixtures/a.txt"));
    assert!(!custom.skips_path("app/src/a.txt"));
    assert_eq!(found(&custom, "/app/tests/fixtures/a.txt", acme), vec![]);
    assert_eq!(
        found(&custom, "/app/a.txt", "ACME=acme_0000{digits:28:5}"),
        vec![]
    );
    // built-in rules and allow entries stay
    assert_eq!(
        custom.rules().ids().len(),
        Rules::builtin().ids().len() // one disabled, one added
    );
    assert_eq!(
        custom.rules().allow_ids().len(),
        Rules::builtin().allow_ids().len() + 2
    );
}

#[test]
fn a_config_rule_with_a_builtin_id_replaces_it() {
    let cfg = parse_config(
        r#"
[[rule]]
id = "generic-secret-assignment"
title = "Stricter generic rule"
severity = "LOW"
keywords = ["password"]
entropy = 4.5
regex = '(?i)password\s*=\s*(?P<secret>\S{8,})'
"#,
        ConfigFormat::Toml,
        "strict.toml",
    )
    .unwrap();
    let s = scanner(&cfg);
    // same position in the rule list, new definition
    assert_eq!(s.rules().ids(), Rules::builtin().ids());
    let text = "password = {alnum:16:6}";
    assert_eq!(
        found(&Scanner::builtin(), "/a", text),
        vec![("generic-secret-assignment".into(), 1, 1)]
    );
    // 16 characters cannot reach 4.5 bits of entropy (log2 16 = 4)
    assert_eq!(found(&s, "/a", text), vec![]);
    let long = "password = {alnum:64:7}";
    let m = s.scan_bytes("/a", fake::expand(long).as_bytes());
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].title, "Stricter generic rule");
    assert_eq!(m[0].severity, drydock_secrets::Severity::Low);
}

#[test]
fn disabling_a_builtin_allow_entry_brings_back_its_matches() {
    let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE";
    assert_eq!(found(&Scanner::builtin(), "/a", text), vec![]);
    let cfg = Config {
        disable_allow: vec!["example-marker".into()],
        ..Config::default()
    };
    assert_eq!(
        found(&scanner(&cfg), "/a", text),
        vec![("aws-access-key-id".into(), 1, 21)]
    );
    // documentation paths are skipped unread until package-docs is disabled
    let pem = "{pem:RSA PRIVATE KEY:8}";
    assert_eq!(
        found(&Scanner::builtin(), "/usr/share/doc/x/key.txt", pem),
        vec![]
    );
    let cfg = Config {
        disable_allow: vec!["package-docs".into()],
        ..Config::default()
    };
    assert_eq!(
        found(&scanner(&cfg), "/usr/share/doc/x/key.txt", pem),
        vec![("private-key".into(), 1, 1)]
    );
}

#[test]
fn allow_entries_can_target_rules() {
    let cfg = parse_config(
        r#"
[[allow]]
id = "vendored-jwts"
description = "sample JWTs of a vendored library"
path = '^/app/vendor/'
rules = ["jwt"]
"#,
        ConfigFormat::Toml,
        "r.toml",
    )
    .unwrap();
    let s = scanner(&cfg);
    let text = format!("{}\n{}", jwt_text(), "GITHUB_TOKEN=ghp_{alnum:36:9}");
    // a rule-targeted path entry does not skip the file: other rules still apply
    assert!(!s.skips_path("/app/vendor/lib.js"));
    assert_eq!(
        found(&s, "/app/vendor/lib.js", &text),
        vec![("github-token".into(), 2, 14)]
    );
    assert_eq!(
        found(&s, "/app/src/lib.js", &text),
        vec![("jwt".into(), 1, 5), ("github-token".into(), 2, 14)]
    );
    // the built-in entry for installed language packages drops only context-based rules
    let pkg = "/usr/lib/python3/dist-packages/x/doc.py";
    let both = "url = 'https://user:{alnum:12:10}@host.fake'\nkey = 'AKIA{upper32:16:11}'";
    assert_eq!(
        found(&Scanner::builtin(), pkg, both),
        vec![("aws-access-key-id".into(), 2, 8)]
    );
    assert_eq!(
        found(&Scanner::builtin(), "/srv/app/doc.py", both),
        vec![
            ("url-basic-auth".into(), 1, 8),
            ("aws-access-key-id".into(), 2, 8)
        ]
    );
}

#[test]
fn keywords_gate_the_regex_to_nearby_lines() {
    let cfg = parse_config(
        r#"
[[rule]]
id = "near"
title = "secret near zzz"
severity = "LOW"
keywords = ["ZZZ"]
regex = 'secret[0-9]+'

[[rule]]
id = "window"
title = "secret within 20 bytes after qqq"
severity = "LOW"
keywords = ["qqq"]
window_after = 20
regex = 'token[0-9]+'

[[rule]]
id = "everywhere"
title = "no keywords: whole text"
severity = "LOW"
regex = 'marker[0-9]+'

[[rule]]
id = "only-in-etc"
title = "path filter"
severity = "LOW"
keywords = ["pin="]
path = '^/etc/'
regex = 'pin=[0-9]{4}'
"#,
        ConfigFormat::Toml,
        "k.toml",
    )
    .unwrap();
    let s =
        Scanner::new(Rules::compile(RuleFile::default().with_config(&cfg, "k").unwrap()).unwrap());
    // no keyword: the regex never runs
    assert_eq!(found(&s, "/a", "secret123"), vec![]);
    // keyword on the line (any case)
    assert_eq!(
        found(&s, "/a", "zzz: secret123"),
        vec![("near".into(), 1, 6)]
    );
    // keyword on another line
    assert_eq!(found(&s, "/a", "zzz\nsecret123"), vec![]);
    // window_after reaches the next line
    assert_eq!(
        found(&s, "/a", "qqq\ntoken42"),
        vec![("window".into(), 2, 1)]
    );
    assert_eq!(
        found(&s, "/a", "qqq\n..............................\ntoken42"),
        vec![]
    );
    // a rule without keywords sees everything
    assert_eq!(
        found(&s, "/a", "a\nb marker7\nc marker8"),
        vec![("everywhere".into(), 2, 3), ("everywhere".into(), 3, 3)]
    );
    // path filter
    assert_eq!(
        found(&s, "/etc/app.conf", "pin=1234"),
        vec![("only-in-etc".into(), 1, 1)]
    );
    assert_eq!(found(&s, "/app/app.conf", "pin=1234"), vec![]);
}

#[test]
fn config_files_load_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("secrets.toml");
    let y = dir.path().join("secrets.yml");
    let other = dir.path().join("secrets.conf");
    std::fs::write(&t, TOML).unwrap();
    std::fs::write(&y, YAML).unwrap();
    std::fs::write(&other, YAML).unwrap();
    let from_toml = load_config(&t).unwrap();
    assert_eq!(load_config(&y).unwrap(), from_toml);
    assert_eq!(load_config(&other).unwrap(), from_toml);
    let missing = load_config(&dir.path().join("nope.toml")).unwrap_err();
    assert!(matches!(missing, SecretsError::Io { .. }), "{missing}");
}

#[test]
fn config_errors_say_what_is_wrong() {
    let err = |text: &str| {
        let cfg = match parse_config(text, ConfigFormat::Toml, "bad.toml") {
            Ok(c) => c,
            Err(e) => return e.to_string(),
        };
        Rules::with_config(&cfg, "bad.toml")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(r#"disable = ["no-such-rule"]"#),
        r#"bad.toml: cannot disable unknown rule "no-such-rule""#
    );
    assert_eq!(
        err(r#"disable_allow = ["no-such-entry"]"#),
        r#"bad.toml: cannot disable unknown rule "no-such-entry""#
    );
    let bad_regex = err(r#"
[[rule]]
id = "broken"
title = "x"
severity = "LOW"
keywords = ["x"]
regex = '(unclosed'
"#);
    assert!(
        bad_regex.starts_with("secret rule broken: regex: regex parse error"),
        "{bad_regex}"
    );
    assert_eq!(
        err(r#"
[[allow]]
id = "empty"
description = "no condition"
"#),
        "secret rule allow/empty: allow-list entry with no condition (path, secret or match)"
    );
    assert_eq!(
        err(r#"
[[rule]]
id = "dup"
title = "x"
severity = "LOW"
regex = 'a'
[[rule]]
id = "dup"
title = "y"
severity = "LOW"
regex = 'b'
"#),
        "secret rule dup: duplicate rule id"
    );
    assert_eq!(
        err(r#"
[[rule]]
id = "grp"
title = "x"
severity = "LOW"
regex = '(a)'
secret_group = "nope"
"#),
        r#"secret rule grp: no capture group "nope""#
    );
    assert_eq!(
        err(r#"
[[rule]]
id = "kw"
title = "x"
severity = "LOW"
keywords = [""]
regex = 'a'
"#),
        "secret rule kw: empty keyword"
    );
    assert_eq!(
        err(r#"
[[allow]]
id = "typo"
description = "x"
path = '^/x/'
rules = ["githb-token"]
"#),
        r#"secret rule allow/typo: allow-list entry names unknown rule "githb-token""#
    );
    // typos in field names are errors, not silently ignored
    let typo = err("[[rule]]\nid = \"t\"\ntitle = \"x\"\nseverity = \"LOW\"\nregexp = 'a'\n");
    assert!(typo.starts_with("bad.toml: "), "{typo}");
    assert!(typo.contains("unknown field `regexp`"), "{typo}");
    let sev = err("[[rule]]\nid = \"t\"\ntitle = \"x\"\nseverity = \"SEVERE\"\nregex = 'a'\n");
    assert!(sev.contains("unknown variant `SEVERE`"), "{sev}");
}

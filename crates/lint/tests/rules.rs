//! Rule-by-rule cases, table-driven from files under tests/cases/:
//!
//! * `dockerfile/<RULE>.<pos|neg>-<what>.Dockerfile` and `kubernetes/<RULE>.<…>.yaml`;
//! * a `# expect: RULE@LINE …` line lists exactly the findings *of that rule* the file must
//!   give (as a multiset; empty for negative cases); other rules are not looked at, except in
//!   `good.*` and `all.*` files, where the expectation covers every rule;
//! * `# dockerignore: none` / `# dockerignore: pat, pat` sets the build context;
//! * `# allowed-registries: a, b` sets the registry policy.
//!
//! Every rule of the catalogue must have at least one positive case.

use drydock_lint::{BuildContext, LintConfig, Target, catalogue};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn cases(dir: &str) -> Vec<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn header<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("# {name}:")))
        .map(str::trim)
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

struct Case {
    path: PathBuf,
    rule: String,
    all_rules: bool,
    expected: Vec<String>,
    text: String,
}

fn load(path: PathBuf) -> Case {
    let text = std::fs::read_to_string(&path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let rule = name.split('.').next().unwrap().to_string();
    let expect = header(&text, "expect")
        .unwrap_or_else(|| {
            if name.contains(".pos") {
                panic!("{name}: a positive case needs a `# expect:` line")
            }
            ""
        })
        .to_string();
    let mut expected: Vec<String> = expect.split_whitespace().map(str::to_string).collect();
    expected.sort();
    Case {
        all_rules: rule == "good" || rule == "all",
        rule,
        expected,
        text,
        path,
    }
}

fn got(case: &Case, findings: &[drydock_lint::Misconfig]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .filter(|m| case.all_rules || m.rule_id == case.rule)
        .map(|m| format!("{}@{}", m.rule_id, m.line.unwrap()))
        .collect();
    v.sort();
    v
}

fn config(case: &Case) -> LintConfig<'static> {
    LintConfig {
        allowed_registries: header(&case.text, "allowed-registries")
            .map(list)
            .unwrap_or_default(),
        ..LintConfig::default()
    }
}

#[test]
fn dockerfile_cases() {
    let mut failures = Vec::new();
    let all = cases("dockerfile");
    assert!(all.len() >= 60, "only {} Dockerfile cases", all.len());
    for path in all {
        let case = load(path);
        let ctx = match header(&case.text, "dockerignore") {
            None => BuildContext::Unknown,
            Some("none") => BuildContext::NoDockerignore,
            Some(p) => BuildContext::Dockerignore(list(p).join("\n")),
        };
        let findings =
            drydock_lint::lint_dockerfile_in_context(&case.path, &case.text, &ctx, &config(&case))
                .unwrap_or_else(|e| panic!("{}: {e}", case.path.display()));
        let g = got(&case, &findings);
        if g != case.expected {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.path.file_name().unwrap().to_string_lossy(),
                case.expected,
                g
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn kubernetes_cases() {
    let mut failures = Vec::new();
    let all = cases("kubernetes");
    assert!(all.len() >= 30, "only {} Kubernetes cases", all.len());
    for path in all {
        let case = load(path);
        let findings = drydock_lint::lint_kubernetes(&case.path, &case.text, &config(&case))
            .unwrap_or_else(|e| panic!("{}: {e}", case.path.display()));
        let g = got(&case, &findings);
        if g != case.expected {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.path.file_name().unwrap().to_string_lossy(),
                case.expected,
                g
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Each rule has a positive case (for image rules: in tests/image_config.rs).
#[test]
fn every_rule_has_a_positive_case() {
    let mut covered = BTreeSet::new();
    for dir in ["dockerfile", "kubernetes"] {
        for p in cases(dir) {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.contains(".pos") {
                covered.insert(name.split('.').next().unwrap().to_string());
            }
        }
    }
    let missing: Vec<&str> = catalogue()
        .iter()
        .filter(|r| r.target != Target::Image && !covered.contains(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a positive case: {missing:?}"
    );
}

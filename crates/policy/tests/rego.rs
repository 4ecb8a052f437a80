//! Rego: the example policies on real report JSON (table in `rego_cases.yaml`), the combined
//! gate, limits and load errors.

mod common;

use common::*;
use drydock_policy::{Policy, RegoPolicy, evaluate};
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    input: String,
    #[serde(default)]
    modify: Vec<Modify>,
    policies: Vec<String>,
    deny: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Modify {
    finding: String,
    set: serde_json::Map<String, Value>,
}

fn load_input(case: &Case) -> Value {
    let text = std::fs::read_to_string(repo().join(&case.input)).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for m in &case.modify {
        let mut hits = 0;
        for f in v["findings"].as_array_mut().unwrap() {
            if f["id"] == m.finding.as_str() {
                hits += 1;
                for (k, val) in &m.set {
                    f[k] = val.clone();
                }
            }
        }
        assert!(hits > 0, "{}: no finding {}", case.name, m.finding);
    }
    v
}

#[test]
fn table_of_cases() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/rego_cases.yaml"
    ))
    .unwrap();
    let cases: Vec<Case> = yaml_serde::from_str(&text).unwrap();
    assert_eq!(cases.len(), 8);
    for case in &cases {
        let paths: Vec<_> = case.policies.iter().map(|p| example(p)).collect();
        let rego = RegoPolicy::load(&paths).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        // the input must still be a valid report
        let input = load_input(case);
        let _ = report_from(input.clone());
        let denies = rego
            .evaluate(&input)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let msgs: Vec<&str> = denies.iter().map(|d| d.msg.as_str()).collect();
        assert_eq!(msgs, case.deny, "{}", case.name);
    }
}

/// Acceptance: a Rego policy denying any KEV-listed CVE fails the gate with its message.
#[test]
fn kev_policy_fails_the_gate() {
    // the real report, modified by hand: CVE-2024-13176 marked as KEV-listed (made up)
    let mut report = alpine_report();
    for f in report
        .findings
        .iter_mut()
        .filter(|f| f.id == "CVE-2024-13176")
    {
        f.kev =
            Some(serde_json::from_value(serde_json::json!({"date_added": "2025-06-10"})).unwrap());
    }
    let rego = RegoPolicy::load(&[example("kev.rego")]).unwrap();
    let ev = evaluate(&report, None, &[], Some(&rego), today()).unwrap();
    assert!(ev.gate.failed);
    assert_eq!(
        ev.gate.reasons,
        [
            "rego: CVE-2024-13176 in libcrypto3 3.3.2-r0 is known to be exploited (CISA KEV since 2025-06-10)",
            "rego: CVE-2024-13176 in libssl3 3.3.2-r0 is known to be exploited (CISA KEV since 2025-06-10)",
        ]
    );
    assert_eq!(ev.denies.len(), 2);
    // the unmodified report passes
    let ev = evaluate(&alpine_report(), None, &[], Some(&rego), today()).unwrap();
    assert!(!ev.gate.failed);
    assert_eq!(ev.gate.summary(), "passed");

    // Rego sees the report after the policy file: an ignore of one of the two findings
    // leaves one message, and a rule raising a severity is visible to it
    let policy = Policy::parse(
        "version: 1
ignore:
  - id: CVE-2024-13176
    package: libssl3
    reason: libssl3 is not linked by our binaries
rules:
  - id: CVE-2024-13176
    severity: CRITICAL
",
        "p.yaml",
    )
    .unwrap();
    let both =
        RegoPolicy::load(&[example("kev.rego"), example("no-critical-fixable.rego")]).unwrap();
    let ev = evaluate(&report, Some(&policy), &[], Some(&both), today()).unwrap();
    assert_eq!(
        ev.gate.reasons,
        [
            "rego: CVE-2024-13176 (CRITICAL) in libcrypto3 3.3.2-r0 is fixed in 3.3.2-r2",
            "rego: CVE-2024-13176 in libcrypto3 3.3.2-r0 is known to be exploited (CISA KEV since 2025-06-10)",
        ]
    );
}

#[test]
fn a_directory_loads_every_rego_file() {
    let rego = RegoPolicy::load(&[repo().join("examples/policies")]).unwrap();
    let names: Vec<&str> = rego
        .files()
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["kev.rego", "no-critical-fixable.rego", "root-user.rego"]
    );
}

#[test]
fn deny_objects_and_load_errors() {
    let src = |t: &str| vec![("p.rego".to_string(), t.to_string())];
    let rego = RegoPolicy::from_sources(&src(
        "package drydock\n\ndeny contains {\"msg\": sprintf(\"%d findings\", [count(input.findings)]), \"level\": \"high\"} if { count(input.findings) > 50 }\n",
    ))
    .unwrap();
    let d = rego.evaluate(&sample_json("report.json")).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].msg, "56 findings");
    assert_eq!(d[0].details.as_ref().unwrap()["level"], "high");

    // a package without deny, another package, a syntax error, nothing at all
    for (text, want) in [
        (
            "package drydock\n\nallow := true\n",
            "no module declares `data.drydock.deny`",
        ),
        (
            "package other\n\ndeny contains \"x\" if { true }\n",
            "no module declares `data.drydock.deny`",
        ),
        ("package drydock\n\ndeny contains msg if {\n", "p.rego"),
    ] {
        let e = RegoPolicy::from_sources(&src(text))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("rego: ") && e.contains(want), "{e}");
    }
    assert!(RegoPolicy::from_sources(&[]).is_err());
    // builtins left out of the build (time.*) are an error, not a silent miss
    let e = RegoPolicy::from_sources(&src(
        "package drydock\n\ndeny contains \"late\" if { time.now_ns() > 0 }\n",
    ))
    .and_then(|r| r.evaluate(&sample_json("report.json")))
    .unwrap_err()
    .to_string();
    assert!(e.contains("time.now_ns"), "{e}");
    assert!(RegoPolicy::load(&[repo().join("examples/policies/missing.rego")]).is_err());

    // a deny rule whose body never holds yields no messages
    let rego = RegoPolicy::from_sources(&src(
        "package drydock\n\ndeny contains \"x\" if { input.nothing }\n",
    ))
    .unwrap();
    assert!(
        rego.evaluate(&sample_json("report.json"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_runaway_policy_is_stopped_by_the_time_limit() {
    // 25 million iterations: far longer than the limit
    let text = "package drydock\n\ndeny contains \"slow\" if {\n\tn := count([1 | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000)])\n\tn > 0\n}\n";
    let rego = RegoPolicy::from_sources(&[("slow.rego".to_string(), text.to_string())])
        .unwrap()
        .with_time_limit(Duration::from_millis(300));
    let t = Instant::now();
    let e = rego.evaluate(&sample_json("report.json")).unwrap_err();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        e.to_string()
            .starts_with("rego: evaluating data.drydock.deny"),
        "{e}"
    );
    assert!(e.to_string().contains("exceeded time limit"), "{e}");
    // and through `evaluate`, an error rather than a verdict
    let ev = evaluate(&alpine_report(), None, &[], Some(&rego), today());
    assert!(ev.is_err());
}

#[test]
fn rego_policy_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<RegoPolicy>();
    check::<drydock_policy::Evaluation>();
}

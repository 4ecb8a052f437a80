//! Decisions of the shipped policy (deploy/policies/admission.rego) per namespace mode,
//! with fake back ends (fixed digests, signatures and scan summaries): the real registry,
//! signing and scanning are exercised end to end by crates/cli/tests/webhook.rs.

use drydock_webhook::admission::parse_review;
use drydock_webhook::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const D_CLEAN: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const D_VULN: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const D_UNSIGNED: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const D_SLOW: &str = "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";

struct Fake {
    scans: AtomicUsize,
}

fn digest_of(image: &str) -> Option<&'static str> {
    let repo = image.split(['@', ':']).next().unwrap_or("");
    Some(match repo {
        "reg/clean" => D_CLEAN,
        "reg/vuln" => D_VULN,
        "reg/unsigned" => D_UNSIGNED,
        "reg/slow" => D_SLOW,
        _ => return None,
    })
}

impl ImageResolver for Fake {
    fn resolve(&self, image: &str) -> Result<ImageFacts, String> {
        match digest_of(image) {
            Some(d) => Ok(ImageFacts {
                digest: d.into(),
                user: Some("1000".into()),
            }),
            None => Err("reg: connection refused".into()),
        }
    }
}

impl SignatureChecker for Fake {
    fn check(&self, _image: &str, digest: &str) -> SignatureResult {
        SignatureResult {
            verified: digest != D_UNSIGNED,
            reason: if digest == D_UNSIGNED {
                "no signatures (sha256-ccc.sig not found)".into()
            } else {
                "verified by key 0011".into()
            },
        }
    }
}

impl ImageScanner for Fake {
    fn scan(&self, _image: &str, digest: &str) -> Result<ScanSummary, String> {
        self.scans.fetch_add(1, Ordering::SeqCst);
        if digest == D_SLOW {
            std::thread::sleep(Duration::from_millis(600));
        }
        let mut s = ScanSummary {
            digest: digest.into(),
            packages: 10,
            ..Default::default()
        };
        if digest == D_VULN {
            s.findings = 2;
            s.by_severity.insert("CRITICAL".into(), 1);
            s.by_severity.insert("HIGH".into(), 1);
            s.critical_fixable = vec!["CVE-2024-22682".into()];
            s.kev = vec!["CVE-2021-44228".into()];
        }
        Ok(s)
    }
}

fn webhook(config: Config) -> (Arc<Webhook>, Arc<Fake>) {
    let fake = Arc::new(Fake {
        scans: AtomicUsize::new(0),
    });
    let policy = load_policy(&[concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/policies"
    )])
    .unwrap();
    (
        Arc::new(Webhook::new(
            config,
            policy,
            fake.clone(),
            fake.clone(),
            fake.clone(),
            None,
        )),
        fake,
    )
}

fn shipped_config() -> Config {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/policies/config.yaml"
    ))
    .unwrap();
    Config::from_yaml(&text).unwrap()
}

fn pod(namespace: &str, image: &str, run_as_user: i64) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "3b1c-uid", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace, "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:ci:deployer"},
            "object": {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {"containers": [{"name": "app", "image": image,
                          "securityContext": {"runAsUser": run_as_user}}]}
            }
        }
    })
}

async fn decide(w: &Arc<Webhook>, review: &Value) -> admission::Response {
    w.validate(parse_review(&serde_json::to_vec(review).unwrap()).unwrap())
        .await
}

fn pinned(repo: &str) -> String {
    format!("{repo}:1@{}", digest_of(repo).unwrap())
}

#[tokio::test]
async fn shipped_policy_per_namespace() {
    let (w, _) = webhook(shipped_config());
    // (namespace, image, uid) → (allowed, deny message parts, warning parts)
    type Case<'a> = (&'a str, String, i64, bool, &'a [&'a str], &'a [&'a str]);
    let cases: Vec<Case> = vec![
        ("prod", pinned("reg/clean"), 1000, true, &[], &[]),
        ("dev", pinned("reg/clean"), 1000, true, &[], &[]),
        (
            "prod",
            pinned("reg/vuln"),
            1000,
            false,
            &[
                "critical vulnerability CVE-2024-22682 has a fix",
                "CVE-2021-44228 is known to be exploited (CISA KEV)",
            ],
            &["1 high-severity vulnerabilities"],
        ),
        (
            "dev",
            pinned("reg/vuln"),
            1000,
            true,
            &[],
            &[
                "critical vulnerability CVE-2024-22682 has a fix",
                "1 high-severity",
            ],
        ),
        (
            "prod",
            "reg/clean:1".into(),
            1000,
            false,
            &["reg/clean:1: not pinned by digest (use reg/clean:1@sha256:aaaa"],
            &[],
        ),
        (
            "dev",
            "reg/clean:1".into(),
            1000,
            true,
            &[],
            &["not pinned by digest"],
        ),
        (
            "prod",
            pinned("reg/unsigned"),
            1000,
            false,
            &["not signed: no signatures (sha256-ccc.sig not found)"],
            &[],
        ),
        (
            "dev",
            pinned("reg/unsigned"),
            1000,
            true,
            &[],
            &["not signed"],
        ),
        (
            "prod",
            pinned("reg/clean"),
            0,
            false,
            &["container app runs as root"],
            &[],
        ),
        // excluded namespace: never checked
        ("kube-system", pinned("reg/unsigned"), 0, true, &[], &[]),
    ];
    for (ns, image, uid, allowed, deny, warn) in cases {
        let r = decide(&w, &pod(ns, &image, uid)).await;
        let what = format!("{ns} {image} uid={uid}: {r:?}");
        assert_eq!(r.allowed, allowed, "{what}");
        let msg = r.message.clone().unwrap_or_default();
        for d in deny {
            assert!(msg.contains(d), "missing {d:?} in {what}");
        }
        if allowed {
            assert!(r.message.is_none(), "{what}");
        }
        for x in warn {
            assert!(
                r.warnings.iter().any(|w| w.contains(x)),
                "missing warning {x:?} in {what}"
            );
        }
        if warn.is_empty() {
            assert!(r.warnings.is_empty(), "{what}");
        }
    }
}

#[tokio::test]
async fn every_workload_kind_and_container_type_is_checked() {
    let (w, _) = webhook(shipped_config());
    let spec = json!({"securityContext": {"runAsNonRoot": true},
        "initContainers": [{"name": "init", "image": pinned("reg/clean")}],
        "containers": [{"name": "app", "image": pinned("reg/clean")}],
        "ephemeralContainers": [{"name": "dbg", "image": pinned("reg/unsigned")}]});
    let objects = [
        (
            "Deployment",
            "apps",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "StatefulSet",
            "apps",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "DaemonSet",
            "apps",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "ReplicaSet",
            "apps",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "Job",
            "batch",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "CronJob",
            "batch",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        ("Pod", "", json!({"spec": spec})),
    ];
    for (kind, group, mut obj) in objects {
        obj["metadata"] = json!({"name": "x", "namespace": "prod"});
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": group, "version": "v1", "kind": kind},
                        "namespace": "prod", "operation": "UPDATE", "object": obj}});
        let r = decide(&w, &review).await;
        assert!(!r.allowed, "{kind}");
        let m = r.message.unwrap();
        // only the ephemeral container's image is unsigned
        assert!(m.contains("container dbg: reg/unsigned:1@"), "{kind}: {m}");
        assert!(!m.contains("container app"), "{kind}: {m}");
        assert!(!m.contains("container init"), "{kind}: {m}");
    }
}

#[tokio::test]
async fn audit_mode_never_denies_but_reports() {
    let (w, _) = webhook(Config {
        audit: true,
        ..shipped_config()
    });
    let r = decide(&w, &pod("prod", &pinned("reg/vuln"), 0)).await;
    assert!(r.allowed);
    let (k, v) = &r.audit_annotations[0];
    assert_eq!(k, "drydock.dev/would-deny");
    assert!(
        v.contains("critical vulnerability CVE-2024-22682 has a fix"),
        "{v}"
    );
    assert!(v.contains("runs as root"), "{v}");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("container app: audit: would deny"))
            || r.warnings.iter().any(|w| w.contains("audit: would deny"))
    );
    assert_eq!(w.metrics.audit_would_deny.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn scan_deadline_and_on_timeout() {
    let cfg = Config {
        scan_deadline_ms: 100,
        ..shipped_config()
    };
    let (w, fake) = webhook(cfg.clone());
    let r = decide(&w, &pod("prod", &pinned("reg/slow"), 1000)).await;
    assert!(!r.allowed);
    assert!(
        r.message
            .unwrap()
            .contains("no scan within the 100 ms deadline")
    );
    // the scan goes on; once done, the same request is allowed (from the cache)
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = decide(&w, &pod("prod", &pinned("reg/slow"), 1000)).await;
    assert!(r.allowed, "{r:?}");
    assert_eq!(fake.scans.load(Ordering::SeqCst), 1);

    let (w, _) = webhook(Config {
        on_timeout: FailAction::Allow,
        ..cfg
    });
    let r = decide(&w, &pod("prod", &pinned("reg/slow"), 1000)).await;
    assert!(r.allowed, "{r:?}");
    assert!(r.warnings[0].contains("allowed (fail-open): reg/slow:1@"));
    assert!(r.warnings[0].contains("no scan within the 100 ms deadline"));
}

#[tokio::test]
async fn registry_errors_fail_closed_or_open() {
    let (w, _) = webhook(shipped_config());
    let r = decide(&w, &pod("prod", "reg/down:1", 1000)).await;
    assert!(!r.allowed);
    assert!(
        r.message
            .unwrap()
            .contains("reg/down:1: cannot resolve the image: reg: connection refused")
    );
    let (w, _) = webhook(Config {
        on_error: FailAction::Allow,
        ..shipped_config()
    });
    let r = decide(&w, &pod("prod", "reg/down:1", 1000)).await;
    assert!(r.allowed);
    assert!(
        r.warnings[0].starts_with("container app: allowed (fail-open): reg/down:1: cannot resolve")
    );
}

#[tokio::test]
async fn decisions_are_cached_per_input() {
    let (w, fake) = webhook(shipped_config());
    for _ in 0..5 {
        assert!(
            decide(&w, &pod("prod", &pinned("reg/clean"), 1000))
                .await
                .allowed
        );
    }
    assert_eq!(fake.scans.load(Ordering::SeqCst), 1);
    assert_eq!(w.metrics.rego_evaluations.load(Ordering::Relaxed), 1);
    assert_eq!(w.metrics.decision_cache_hits.load(Ordering::Relaxed), 4);
    w.clear_caches();
    assert!(
        decide(&w, &pod("prod", &pinned("reg/clean"), 1000))
            .await
            .allowed
    );
    assert_eq!(fake.scans.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn mutation_pins_every_container() {
    let (w, _) = webhook(shipped_config());
    let mut review = pod("prod", "reg/clean:1", 1000);
    review["request"]["object"]["spec"]["initContainers"] =
        json!([{"name": "init", "image": "reg/vuln:2"}, {"name": "gone", "image": "reg/down:1"}]);
    let r = w
        .mutate(parse_review(&serde_json::to_vec(&review).unwrap()).unwrap())
        .await;
    assert!(r.allowed);
    assert_eq!(
        r.patch,
        vec![
            json!({"op": "replace", "path": "/spec/initContainers/0/image", "value": format!("reg/vuln:2@{D_VULN}")}),
            json!({"op": "replace", "path": "/spec/containers/0/image", "value": format!("reg/clean:1@{D_CLEAN}")}),
        ]
    );
    assert!(r.warnings[0].contains("container gone: not pinned"));
}

/// A tiny HTTP receiver on 127.0.0.1: records each request's head and body, answers 202.
/// Requests received: (head, JSON body).
type Received = Arc<Mutex<Vec<(String, Value)>>>;

fn receiver() -> (String, Received) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            g.lock()
                .unwrap()
                .push((head, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            let _ = s.write_all(
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (addr, got)
}

#[tokio::test]
async fn admitted_pods_are_reported_to_the_runtime_inventory() {
    let (addr, got) = receiver();
    let fake = Arc::new(Fake {
        scans: AtomicUsize::new(0),
    });
    let policy = load_policy(&[concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/policies"
    )])
    .unwrap();
    let reporter = RuntimeReporter::start(&format!("http://{addr}"), Some("tok-123".into()), 16);
    let w = Arc::new(Webhook::new(
        Config {
            cluster: "test-cluster".into(),
            ..shipped_config()
        },
        policy,
        fake.clone(),
        fake.clone(),
        fake,
        Some(reporter.clone()),
    ));
    let mut review = pod("prod", &pinned("reg/clean"), 1000);
    review["request"]["object"]["metadata"]["ownerReferences"] =
        json!([{"kind": "ReplicaSet", "name": "web-7d9f", "controller": true}]);
    assert!(decide(&w, &review).await.allowed);
    // a denied pod is not reported
    assert!(
        !decide(&w, &pod("prod", &pinned("reg/unsigned"), 1000))
            .await
            .allowed
    );
    for _ in 0..100 {
        if !got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let (head, body) = &got[0];
    assert!(head.starts_with("POST /api/v1/runtime HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: bearer tok-123"),
        "{head}"
    );
    assert_eq!(
        body,
        &json!({"records": [{"cluster": "test-cluster", "namespace": "prod", "workload": "web-7d9f",
            "kind": "ReplicaSet", "container": "app", "image": pinned("reg/clean"), "digest": D_CLEAN}]})
    );
    assert_eq!(reporter.stats.sent.load(Ordering::Relaxed), 1);
    let _ = HashMap::<(), ()>::new();
}

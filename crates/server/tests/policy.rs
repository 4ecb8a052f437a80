//! `drydock server --policy drydock.yaml`: the verdict of a submission is the policy file's
//! gate over the submission's findings (the real Alpine 3.20 secdb, a real Alpine 3.20.3
//! image): a per-rule severity override fails it, an ignore entry with a future `expires`
//! lets it pass, an expired one stops applying.

mod common;

use common::*;
use drydock_server::Engine;
use serde_json::json;
use std::sync::Arc;

async fn verdict_with(policy_yaml: &str) -> serde_json::Value {
    let store = TestStore::new(Kind::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let mut cfg = config(&store, data.path(), feeds.path());
    cfg.db_update_interval = None;
    let policy = drydock_policy::Policy::parse(policy_yaml, "drydock.yaml").unwrap();
    cfg.policy = Some(Arc::new(policy));
    let engine = Engine::new(cfg).await.unwrap();
    engine.tick(false).await.unwrap();
    let now = engine.now();
    let org = engine.store.ensure_org("acme", now).await.unwrap();
    let scopes = [drydock_server::store::Scope::Submit].into_iter().collect();
    let token = engine
        .store
        .create_token(org, "ci", &scopes, now)
        .await
        .unwrap();
    let api = Api::new(&serve(engine.clone()).await);
    let (sbom, meta) = alpine_submission("3.20.3", "team/api", "1.0");
    let (st, v) = api
        .post(
            "/api/v1/images",
            &token,
            &json!({"sbom": sbom, "image": meta}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["vuln_id"] == "CVE-2024-12797"),
        "{v}"
    );
    store.cleanup().await;
    v["verdict"].clone()
}

const BASE: &str = "version: 1
fail_on:
  severity: high
rules:
  - id: CVE-2024-12797
    severity: HIGH
    reason: raised for this test
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_file_decides_the_verdict() {
    // the secdb gives no severities: without the rule nothing reaches HIGH
    let v = verdict_with("version: 1\nfail_on:\n  severity: high\n").await;
    assert_eq!(v["pass"], true, "{v}");
    assert_eq!(v["rule"], "policy drydock.yaml");

    let v = verdict_with(BASE).await;
    assert_eq!(v["pass"], false, "{v}");
    let reasons = v["reasons"].to_string();
    assert!(reasons.contains("CVE-2024-12797"), "{v}");

    let ignored = format!(
        "{BASE}ignore:\n  - id: CVE-2024-12797\n    reason: accepted until the base bump\n    expires: 2099-12-31\n"
    );
    let v = verdict_with(&ignored).await;
    assert_eq!(v["pass"], true, "{v}");

    let expired = ignored.replace("2099-12-31", "2020-01-01");
    let v = verdict_with(&expired).await;
    assert_eq!(v["pass"], false, "{v}");
    assert!(v["reasons"].to_string().contains("CVE-2024-12797"), "{v}");
}

//! SLA clocks, runtime inventory, and several replicas sharing one store — on SQLite and on
//! PostgreSQL.

mod common;

use common::*;
use drydock_server::store::Scope;
use serde_json::json;

async fn setup(
    store: &TestStore,
) -> (
    std::sync::Arc<drydock_server::Engine>,
    Api,
    String,
    tempfile::TempDir,
    tempfile::TempDir,
) {
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let engine = engine(store, data.path(), feeds.path()).await;
    engine.tick(false).await.unwrap();
    let now = engine.now();
    let org = engine.store.ensure_org("acme", now).await.unwrap();
    let token = engine
        .store
        .create_token(org, "t", &[Scope::Admin].into_iter().collect(), now)
        .await
        .unwrap();
    let api = Api::new(&serve(engine.clone()).await);
    (engine, api, token, data, feeds)
}

async fn sla_and_runtime(store: &TestStore) {
    let (engine, api, token, _data, feeds) = setup(store).await;
    let (sbom, meta) = alpine_submission("3.20.3", "team/api", "1.0");
    let (st, _) = api
        .post(
            "/api/v1/images",
            &token,
            &json!({"sbom": sbom, "image": meta}),
        )
        .await;
    assert_eq!(st, 200);
    let rec = json!({"records": [{"cluster": "prod-eu", "namespace": "prod", "workload": "api",
        "kind": "Deployment", "container": "api", "image": "team/api:1.0", "digest": meta.digest}]});
    assert_eq!(api.post("/api/v1/runtime", &token, &rec).await.0, 200);
    let (_, m) = api.get_text("/metrics", &token).await;
    assert!(m.contains("drydock_running_images{org=\"acme\"} 1"), "{m}");
    assert!(
        m.contains("drydock_running_images_scanned_ratio{org=\"acme\"} 1"),
        "{m}"
    );

    publish_test_advisory(feeds.path());
    engine.tick(false).await.unwrap();
    let sel = |e: &str| format!("/api/v1/findings?query={}", q(e));
    let (_, v) = api
        .get(
            &sel("namespace = prod and cluster = prod-eu and severity >= high and fixable"),
            &token,
        )
        .await;
    assert_eq!(v["count"], 1, "{v}");
    assert_eq!(v["findings"][0]["vuln_id"], TEST_ADVISORY_ID);
    let (_, v) = api.get(&sel("namespace = staging"), &token).await;
    assert_eq!(v["count"], 0);
    let (_, v) = api
        .get(&sel("age > 30d and id = DRYDOCK-TEST-2026-0001"), &token)
        .await;
    assert_eq!(v["count"], 1, "published 2025-01-15: older than 30 days");

    // 6 days later: 1 day of 7 left → at risk, not breached
    engine.clock.advance(6 * 86_400);
    let (_, s) = api.get("/api/v1/sla", &token).await;
    assert_eq!(s["stats"]["at_risk"], 1, "{s}");
    assert_eq!(s["stats"]["open_breaches"], 0, "{s}");
    let (_, v) = api.get(&sel("sla_due < 2d"), &token).await;
    assert_eq!(v["count"], 1);
    let (_, v) = api.get(&sel("sla_breached"), &token).await;
    assert_eq!(v["count"], 0);
    let (_, v) = api
        .get(
            &sel("first_seen > 5d and first_seen < 7d and id = DRYDOCK-TEST-2026-0001"),
            &token,
        )
        .await;
    assert_eq!(v["count"], 1);

    // 8 days: breached; the running image was not scanned in the last 24 h
    engine.clock.advance(2 * 86_400);
    let (_, v) = api.get(&sel("sla_breached"), &token).await;
    assert_eq!(v["count"], 1, "{v}");
    assert_eq!(v["findings"][0]["sla_breached"], true);
    let (_, m) = api.get_text("/metrics", &token).await;
    assert!(
        m.contains("drydock_sla_open_breaches{org=\"acme\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("drydock_running_images_scanned_24h{org=\"acme\"} 0"),
        "{m}"
    );

    // fixed after 8 days: MTTR(HIGH) = 192 h, no open breach left
    std::fs::remove_dir_all(feeds.path().join("osv")).unwrap();
    engine.tick(false).await.unwrap();
    let (_, s) = api.get("/api/v1/sla", &token).await;
    assert_eq!(s["stats"]["open_breaches"], 0, "{s}");
    let mttr = s["stats"]["mttr_hours_by_severity"]["HIGH"]
        .as_f64()
        .unwrap();
    assert!((192.0..192.1).contains(&mttr), "{mttr}");
    let (_, rep) = api.get("/api/v1/reports?format=json", &token).await;
    assert!(
        (192.0..192.1).contains(
            &rep["sla"]["mttr_hours_by_severity"]["HIGH"]
                .as_f64()
                .unwrap()
        )
    );
    assert_eq!(rep["trend"].as_array().unwrap().len(), 30);
}

both_stores!(sla_runtime, sla_and_runtime);

async fn replicas(store: &TestStore) {
    // two replicas (own data dirs, one store, the same feed folder)
    let feeds = feed_dir();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e1 = engine(store, d1.path(), feeds.path()).await;
    let e2 = engine(store, d2.path(), feeds.path()).await;
    let (a, b) = tokio::join!(e1.tick(false), e2.tick(false));
    a.unwrap();
    b.unwrap();
    assert_eq!(
        e1.vulndb().unwrap().update_id,
        e2.vulndb().unwrap().update_id
    );
    assert_eq!(e1.store.update_count().await.unwrap(), 1);
    let now = e1.now();
    let org = e1.store.ensure_org("acme", now).await.unwrap();
    let token = e1
        .store
        .create_token(org, "t", &[Scope::Admin].into_iter().collect(), now)
        .await
        .unwrap();
    let api1 = Api::new(&serve(e1.clone()).await);
    let api2 = Api::new(&serve(e2.clone()).await);
    let (hooks, got) = receiver().await;
    api1.post(
        "/api/v1/webhooks",
        &token,
        &json!({"kind": "generic", "url": format!("{hooks}/hook/g")}),
    )
    .await;
    let (sbom, meta) = alpine_submission("3.20.3", "team/api", "1.0");
    assert_eq!(
        api2.post(
            "/api/v1/images",
            &token,
            &json!({"sbom": sbom, "image": meta})
        )
        .await
        .0,
        200
    );

    publish_test_advisory(feeds.path());
    let (a, b) = tokio::join!(e1.tick(false), e2.tick(false));
    a.unwrap();
    b.unwrap();
    let (a, b) = tokio::join!(e1.tick(false), e2.tick(false));
    a.unwrap();
    b.unwrap();
    assert_eq!(
        e1.vulndb().unwrap().update_id,
        e2.vulndb().unwrap().update_id
    );
    assert_eq!(e1.store.update_count().await.unwrap(), 2);
    let ran = e1
        .counters
        .rematch_jobs
        .load(std::sync::atomic::Ordering::Relaxed)
        + e2.counters
            .rematch_jobs
            .load(std::sync::atomic::Ordering::Relaxed);
    // two updates (baseline, advisory): two re-match jobs, each run by one replica only
    assert_eq!(ran, 2);
    let jobs = e1.store.job_counts().await.unwrap();
    assert_eq!(jobs.get("done"), Some(&2), "{jobs:?}");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one notification for one update: {got:?}");
    assert_eq!(got[0].1["findings"][0]["id"], TEST_ADVISORY_ID);
    let (_, v) = api1
        .get(
            &format!(
                "/api/v1/findings?query={}",
                q("id = DRYDOCK-TEST-2026-0001")
            ),
            &token,
        )
        .await;
    assert_eq!(v["count"], 1);
}

both_stores!(two_replicas, replicas);

async fn skip_locked(store: &TestStore) {
    // 40 jobs, two claimers racing: every job claimed exactly once
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let e = engine(store, data.path(), feeds.path()).await;
    let now = e.now();
    for i in 0..40 {
        assert!(
            e.store
                .enqueue("test", &format!("k{i}"), "{}", now)
                .await
                .unwrap()
        );
    }
    assert!(
        !e.store.enqueue("test", "k0", "{}", now).await.unwrap(),
        "(kind, key) is unique"
    );
    let claim = |w: &'static str| {
        let s = e.store.clone();
        async move {
            let mut mine = Vec::new();
            while let Some(j) = s.claim_job(&["test"], None, w, now, 900).await.unwrap() {
                mine.push(j.key.clone());
                s.finish_job(&j, Ok("{}".into()), now).await.unwrap();
            }
            mine
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(claim("w1")), tokio::spawn(claim("w2")));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(n, 40, "w1 {} + w2 {}", a.len(), b.len());
    assert_eq!(all.len(), 40);
    // an abandoned job (locked long ago) is claimable again
    assert!(e.store.enqueue("test", "stale", "{}", now).await.unwrap());
    let j = e
        .store
        .claim_job(&["test"], None, "dead", now, 900)
        .await
        .unwrap()
        .unwrap();
    assert!(
        e.store
            .claim_job(&["test"], None, "w1", now + 10, 900)
            .await
            .unwrap()
            .is_none()
    );
    let again = e
        .store
        .claim_job(&["test"], None, "w1", now + 1000, 900)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, j.id);
    assert_eq!(again.attempts, 2);
}

both_stores!(job_claims, skip_locked);

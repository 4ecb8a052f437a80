//! Tenants and tokens, on SQLite and on PostgreSQL: tenant A's token never reads tenant B's
//! images, findings, runtime inventory, reports, SLA figures or metrics — on every read
//! endpoint — and scopes are enforced (submit / read / admin), tokens are stored hashed.

mod common;

use common::*;
use drydock_server::store::Scope;
use serde_json::json;
use sqlx::Row as _;

async fn scenario(store: &TestStore) {
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let engine = engine(store, data.path(), feeds.path()).await;
    engine.tick(false).await.unwrap();
    let now = engine.now();
    let all: std::collections::BTreeSet<Scope> = [Scope::Submit, Scope::Read].into_iter().collect();
    let a = engine.store.ensure_org("tenant-a", now).await.unwrap();
    let b = engine.store.ensure_org("tenant-b", now).await.unwrap();
    assert_ne!(a, b);
    assert_eq!(engine.store.ensure_org("tenant-a", now).await.unwrap(), a);
    let ta = engine.store.create_token(a, "a", &all, now).await.unwrap();
    let tb = engine.store.create_token(b, "b", &all, now).await.unwrap();
    let base = serve(engine.clone()).await;
    let api = Api::new(&base);

    // A submits team-a/app (Alpine 3.19, no findings); B submits team-b/app (Alpine 3.20,
    // real findings) and runs it in namespace b-prod; B also reports the digest of A's image
    // as running in b-secret.
    let (sa, ma) = alpine_submission("3.19.4", "team-a/app", "1");
    let (sb, mb) = alpine_submission("3.20.3", "team-b/app", "2");
    let (st, va) = api
        .post("/api/v1/images", &ta, &json!({"sbom": sa, "image": ma}))
        .await;
    assert_eq!(st, 200, "{va}");
    let (st, vb) = api
        .post("/api/v1/images", &tb, &json!({"sbom": sb, "image": mb}))
        .await;
    assert_eq!(st, 200, "{vb}");
    let a_id = va["image_id"].as_i64().unwrap();
    let b_id = vb["image_id"].as_i64().unwrap();
    let b_digest = mb.digest.clone();
    assert!(!vb["findings"].as_array().unwrap().is_empty());
    let rec = |ns: &str, digest: &str| {
        json!({"cluster": "c1", "namespace": ns, "workload": "app", "kind": "Deployment",
               "container": "app", "image": "x", "digest": digest})
    };
    let (st, _) = api
        .post(
            "/api/v1/runtime",
            &tb,
            &json!({"records": [rec("b-prod", &b_digest), rec("b-secret", &ma.digest)]}),
        )
        .await;
    assert_eq!(st, 200);

    // every read endpoint, with A's token
    let (st, v) = api.get("/api/v1/images", &ta).await;
    assert_eq!(st, 200);
    let listed: Vec<i64> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![a_id]);
    for path in [
        format!("/api/v1/images/{b_id}"),
        format!("/api/v1/images/{b_digest}"),
        format!("/api/v1/images/{b_id}/findings"),
        format!("/api/v1/images/{b_digest}/findings"),
    ] {
        let (st, v) = api.get(&path, &ta).await;
        assert_eq!(st, 404, "{path}: {v}");
    }
    for expr in [
        "",
        "severity >= unknown",
        "repo = team-b/app",
        "image ~ team-b",
        "namespace = b-prod",
        "namespace = b-secret",
        "cluster = c1",
    ] {
        let (st, v) = api
            .get(
                &format!("/api/v1/findings?include_fixed=true&query={}", q(expr)),
                &ta,
            )
            .await;
        assert_eq!(st, 200);
        assert_eq!(v["count"], 0, "A sees B's findings with {expr:?}: {v}");
    }
    let (_, v) = api.get("/api/v1/runtime", &ta).await;
    assert_eq!(v["records"], json!([]));
    // B's registry watch is B's alone
    engine
        .store
        .add_watch(b, "127.0.0.1:5000/team-b/app", true, now)
        .await
        .unwrap();
    let (st, v) = api.get("/api/v1/watches", &ta).await;
    assert_eq!(st, 200);
    assert_eq!(v["watches"], json!([]));
    let (_, v) = api.get("/api/v1/watches", &tb).await;
    assert_eq!(v["watches"][0]["repository"], "127.0.0.1:5000/team-b/app");
    let (_, v) = api.get("/api/v1/reports?format=json", &ta).await;
    assert_eq!(v["rows"], json!([]));
    assert_eq!(v["counts"], json!({}));
    let (_, csv) = api.get_text("/api/v1/reports?format=csv", &ta).await;
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
    let (_, v) = api.get("/api/v1/sla", &ta).await;
    assert_eq!(v["stats"]["open_by_severity"], json!({}));
    let (_, m) = api.get_text("/metrics", &ta).await;
    assert!(m.contains("drydock_images{org=\"tenant-a\"} 1"), "{m}");
    assert!(!m.contains("tenant-b"));
    assert!(
        m.contains("drydock_running_images{org=\"tenant-a\"} 0"),
        "{m}"
    );

    // B sees its own
    let (_, v) = api
        .get(
            &format!("/api/v1/findings?query={}", q("namespace = b-prod")),
            &tb,
        )
        .await;
    assert!(v["count"].as_u64().unwrap() > 0);
    let (st, _) = api.get(&format!("/api/v1/images/{b_id}"), &tb).await;
    assert_eq!(st, 200);

    // scopes
    let read_only: std::collections::BTreeSet<Scope> = [Scope::Read].into_iter().collect();
    let submit_only: std::collections::BTreeSet<Scope> = [Scope::Submit].into_iter().collect();
    let r = engine
        .store
        .create_token(a, "r", &read_only, now)
        .await
        .unwrap();
    let s = engine
        .store
        .create_token(a, "s", &submit_only, now)
        .await
        .unwrap();
    let (sa2, ma2) = alpine_submission("3.18.9", "team-a/other", "1");
    let (st, _) = api
        .post("/api/v1/images", &r, &json!({"sbom": sa2, "image": ma2}))
        .await;
    assert_eq!(st, 403);
    for path in [
        "/api/v1/images",
        "/api/v1/findings",
        "/metrics",
        "/api/v1/reports",
    ] {
        assert_eq!(api.get(path, &s).await.0, 403, "{path}");
        assert_eq!(api.get(path, "ddk_not-a-token").await.0, 401, "{path}");
    }
    let (st, _) = api
        .post(
            "/api/v1/tokens",
            &r,
            &json!({"name": "x", "scopes": ["read"]}),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = api
        .post(
            "/api/v1/webhooks",
            &ta,
            &json!({"kind": "generic", "url": "http://127.0.0.1:9/x"}),
        )
        .await;
    assert_eq!(st, 403, "submit+read is not admin");

    // tokens are stored as SHA-256 only; a revoked token is refused
    let rows = sqlx::query("SELECT token_hash FROM tokens")
        .fetch_all(engine.store.pool())
        .await
        .unwrap();
    for row in &rows {
        let h: String = row.try_get(0).unwrap();
        assert_eq!(h.len(), 64);
        assert_ne!(h, ta);
    }
    assert!(
        rows.iter()
            .any(|row| row.try_get::<String, _>(0).unwrap()
                == drydock_server::store::hash_token(&ta))
    );
    let p = engine.store.authenticate(&r).await.unwrap().unwrap();
    assert!(
        !engine.store.revoke_token(b, p.token_id, now).await.unwrap(),
        "B cannot revoke A's"
    );
    assert!(engine.store.revoke_token(a, p.token_id, now).await.unwrap());
    assert_eq!(api.get("/api/v1/images", &r).await.0, 401);
}

both_stores!(tenant_isolation, scenario);

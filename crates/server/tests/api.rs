//! The OpenAPI document: served at /api/openapi.json, lists exactly the routes the router
//! serves, and documents the scope each handler enforces (checked against the handlers with
//! tokens of every scope).

mod common;

use common::*;
use drydock_server::store::Scope;
use serde_json::{Value, json};

async fn scenario(store: &TestStore) {
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let engine = engine(store, data.path(), feeds.path()).await;
    engine.tick(false).await.unwrap();
    let now = engine.now();
    let org = engine.store.ensure_org("o", now).await.unwrap();
    let mut tokens = std::collections::BTreeMap::new();
    for s in [Scope::Submit, Scope::Read, Scope::Admin] {
        let t = engine
            .store
            .create_token(org, s.as_str(), &[s].into_iter().collect(), now)
            .await
            .unwrap();
        tokens.insert(s.as_str().to_string(), t);
    }
    let api = Api::new(&serve(engine.clone()).await);
    let r = reqwest::get(format!("{}/api/openapi.json", api.base))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<String> = Vec::new();
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            documented.push(format!("{} {path}", method.to_uppercase()));
            let url = path.replace("{id}", "1");
            let scope = op["x-drydock-scope"].as_str();
            let call = |token: Option<String>| {
                let http = api.http.clone();
                let full = format!("{}{url}", api.base);
                let method = method.clone();
                async move {
                    let mut rq = match method.as_str() {
                        "get" => http.get(&full),
                        _ => http.post(&full).json(&json!({})),
                    };
                    if let Some(t) = token {
                        rq = rq.bearer_auth(t);
                    }
                    rq.send().await.unwrap().status().as_u16()
                }
            };
            match scope {
                None => assert_eq!(call(None).await, 200, "{method} {path} is public"),
                Some(s) => {
                    assert_eq!(call(None).await, 401, "{method} {path} without a token");
                    for (name, t) in &tokens {
                        let st = call(Some(t.clone())).await;
                        let allowed = name == s || name == "admin";
                        if allowed {
                            assert!(st != 401 && st != 403, "{method} {path} with {name}: {st}");
                        } else {
                            assert_eq!(st, 403, "{method} {path} with {name}");
                        }
                    }
                }
            }
        }
    }
    documented.sort();
    let mut expected = vec![
        "GET /healthz",
        "GET /api/openapi.json",
        "POST /api/v1/images",
        "GET /api/v1/images",
        "GET /api/v1/images/{id}",
        "GET /api/v1/images/{id}/findings",
        "GET /api/v1/findings",
        "GET /api/v1/query/fields",
        "POST /api/v1/runtime",
        "GET /api/v1/runtime",
        "GET /api/v1/reports",
        "GET /api/v1/sla",
        "POST /api/v1/tokens",
        "POST /api/v1/webhooks",
        "GET /api/v1/webhooks",
        "POST /api/v1/watches",
        "GET /api/v1/watches",
        "POST /api/v1/registry/events",
        "GET /metrics",
    ];
    expected.sort();
    assert_eq!(documented, expected);
}

both_stores!(openapi_matches_router, scenario);

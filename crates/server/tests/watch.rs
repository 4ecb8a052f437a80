//! Registry at rest, on SQLite and on PostgreSQL, against a REAL registry (Debian's
//! `docker-registry` on 127.0.0.1) whose `notifications` section posts its events to the
//! server under test: a watched repository is polled for its tags and its digests are
//! pulled and catalogued (real Alpine 3.20.3 images, matched against the real secdb); a
//! push reaches the server as a distribution notification and is scanned without waiting
//! for the poll interval; a tag pushed again for a known digest moves the tag without a
//! second pull; an unreachable registry is recorded on its watch; tenants only see and
//! trigger their own watches.

mod common;
#[path = "../../registry/tests/common/mod.rs"]
mod reg;

use common::*;
use drydock_server::Engine;
use drydock_testkit as tk;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A docker-archive of real Alpine 3.20.3 plus an app layer saying `marker`.
fn app_image(dir: &Path, marker: &str) -> std::path::PathBuf {
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"));
    let app = tk::layer_tar(&[tk::Entry::file("srv/app/version", format!("{marker}\n"))]);
    let out = dir.join(format!("{marker}.tar"));
    let config = tk::ImageConfig {
        user: Some("app".into()),
        ..tk::ImageConfig::default()
    };
    tk::write_docker_archive(&out, &[base, app], &config, tk::Compression::None, None);
    out
}

fn images_by_digest(v: &Value) -> std::collections::BTreeMap<String, Value> {
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["digest"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

fn tags(img: &Value) -> Vec<String> {
    let mut t: Vec<String> = img["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

/// Wait (up to 20 s) until `check` holds: the registry delivers notifications in the
/// background after the push returns.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn push(registry: &reg::Registry, archive: &Path, repo_tag: &str) -> String {
    tokio::task::block_in_place(|| registry.push_archive(archive, repo_tag))
}

async fn scenario(store: &TestStore) {
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let mut cfg = config(store, data.path(), feeds.path());
    cfg.db_update_interval = None;
    // polls only when never polled or made due by a notification
    cfg.watch_interval = Duration::from_secs(3600);
    cfg.registry = Some(Arc::new(drydock_server::watch::RegistryScanner::default()));
    let engine = Engine::new(cfg).await.unwrap();
    engine.tick(false).await.unwrap();

    let now = engine.now();
    use drydock_server::store::Scope::*;
    let scopes = |s: &[drydock_server::store::Scope]| s.iter().copied().collect();
    let acme = engine.store.ensure_org("acme", now).await.unwrap();
    let admin = engine
        .store
        .create_token(acme, "admin", &scopes(&[Admin]), now)
        .await
        .unwrap();
    let hook = engine
        .store
        .create_token(acme, "registry", &scopes(&[Submit]), now)
        .await
        .unwrap();
    let other = engine.store.ensure_org("other", now).await.unwrap();
    let other_admin = engine
        .store
        .create_token(other, "admin", &scopes(&[Admin]), now)
        .await
        .unwrap();
    let base = serve(engine.clone()).await;
    let api = Api::new(&base);

    // a real registry that notifies the server of every push
    let notifications = format!(
        "notifications:\n  endpoints:\n    - name: drydock\n      url: {base}/api/v1/registry/events\n      headers:\n        Authorization: [\"Bearer {hook}\"]\n      timeout: 2s\n      threshold: 3\n      backoff: 200ms\n"
    );
    let registry = reg::Registry::start_with(reg::Auth::None, &notifications);
    let repo = format!("{}/team/app", registry.host);
    let dir = tempfile::tempdir().unwrap();
    let one = app_image(dir.path(), "one");
    let two = app_image(dir.path(), "two");

    // pushed before anyone watches: the notification is ignored, nothing is scanned
    let d1 = push(&registry, &one, "team/app:1.0");
    tokio::time::sleep(Duration::from_millis(500)).await;
    engine.run_jobs().await.unwrap();
    let (_, v) = api.get("/api/v1/images", &admin).await;
    assert_eq!(v["images"], json!([]), "{v}");

    // a watch takes a repository, not a tag or digest
    let (st, v) = api
        .post(
            "/api/v1/watches",
            &admin,
            &json!({"repository": format!("{repo}:1.0"), "insecure": true}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = api
        .post(
            "/api/v1/watches",
            &admin,
            &json!({"repository": repo, "insecure": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    // and one on a registry that is not there
    let dead = format!("127.0.0.1:{}/team/gone", free_port());
    let (st, _) = api
        .post(
            "/api/v1/watches",
            &admin,
            &json!({"repository": dead, "insecure": true}),
        )
        .await;
    assert_eq!(st, 201);

    // the first poll lists the tags, queues the digest, and the same tick scans it
    engine.tick(false).await.unwrap();
    assert_eq!(engine.counters.registry_scans.load(Ordering::Relaxed), 1);
    let (st, v) = api.get("/api/v1/images", &admin).await;
    assert_eq!(st, 200);
    let imgs = images_by_digest(&v);
    assert_eq!(imgs.len(), 1, "{v}");
    let img = &imgs[&d1];
    assert_eq!(img["repo"], json!(repo));
    assert_eq!(tags(img), ["1.0"]);
    assert_eq!(img["source"], "registry");
    assert_eq!(img["os"], "Alpine Linux v3.20");
    assert!(img["package_count"].as_i64().unwrap() >= 14, "{img}");
    // the real Alpine 3.20 secdb has open findings for 3.20.3 (OpenSSL among them)
    let (_, detail) = api.get(&format!("/api/v1/images/{d1}"), &admin).await;
    assert_eq!(detail["config_user"], "app", "{detail}");
    assert_eq!(detail["layers"].as_array().unwrap().len(), 2, "{detail}");
    let (_, f) = api
        .get(&format!("/api/v1/images/{d1}/findings"), &admin)
        .await;
    let found = f["findings"].as_array().unwrap();
    assert!(found.iter().any(|f| f["package"] == "libcrypto3"), "{f}");

    // watch states: the live one saw 1 tag, the dead one carries its error
    let (_, w) = api.get("/api/v1/watches", &admin).await;
    let ws = w["watches"].as_array().unwrap();
    assert_eq!(ws.len(), 2, "{w}");
    let live = ws.iter().find(|w| w["repository"] == json!(repo)).unwrap();
    assert_eq!(live["last_tags"], 1, "{w}");
    assert_eq!(live["last_error"], Value::Null, "{w}");
    let gone = ws.iter().find(|w| w["repository"] == json!(dead)).unwrap();
    assert!(
        gone["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("127.0.0.1"),
        "{w}"
    );

    // a new image pushed: the registry's notification queues it at once (no poll due)
    let d2 = push(&registry, &two, "team/app:2.0");
    assert_ne!(d1, d2);
    let key = format!("{acme}:{repo}@{d2}");
    eventually("the push notification", || async {
        engine
            .store
            .job_state("scan", &key)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    engine.run_jobs().await.unwrap();
    let (state, result) = engine.store.job_state("scan", &key).await.unwrap().unwrap();
    assert_eq!(state, "done", "{result:?}");
    let result: Value = serde_json::from_str(&result.unwrap()).unwrap();
    assert_eq!(result["scanned"], true, "{result}");
    assert_eq!(engine.counters.registry_scans.load(Ordering::Relaxed), 2);
    let (_, v) = api.get("/api/v1/images", &admin).await;
    let imgs = images_by_digest(&v);
    assert_eq!(tags(&imgs[&d2]), ["2.0"]);

    // `latest` and `1.0` pushed for the second image: no pull, the tags move
    assert_eq!(push(&registry, &two, "team/app:latest"), d2);
    assert_eq!(push(&registry, &two, "team/app:1.0"), d2);
    eventually("the tag notifications", || async {
        let ws = engine.store.org_watches(acme).await.unwrap();
        ws.iter()
            .find(|w| w.repository == repo)
            .unwrap()
            .last_polled
            .is_none()
    })
    .await;
    // the second notification may land after the first poll: poll until both tags moved
    eventually("the tags to move", || async {
        engine.tick(false).await.unwrap();
        let (_, v) = api.get("/api/v1/images", &admin).await;
        let imgs = images_by_digest(&v);
        tags(&imgs[&d2]) == ["1.0", "2.0", "latest"] && tags(&imgs[&d1]).is_empty()
    })
    .await;
    assert_eq!(engine.counters.registry_scans.load(Ordering::Relaxed), 2);

    // tenants: the other org sees no watch, and its events cannot trigger acme's
    let (_, w) = api.get("/api/v1/watches", &other_admin).await;
    assert_eq!(w["watches"], json!([]));
    let event = json!({"events": [{
        "action": "push",
        "target": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                   "digest": format!("sha256:{}", "ab".repeat(32)), "repository": "team/app",
                   "tag": "9.9"},
        "request": {"host": registry.host},
    }]});
    let (st, v) = api
        .post("/api/v1/registry/events", &other_admin, &event)
        .await;
    assert_eq!(st, 202, "{v}");
    assert_eq!(v, json!({"accepted": 0, "ignored": 1}));
    // malformed envelopes are refused; read-only tokens may not post events
    let r = api
        .http
        .post(format!("{base}/api/v1/registry/events"))
        .bearer_auth(&hook)
        .body("{\"events\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let read = engine
        .store
        .create_token(acme, "dash", &scopes(&[Read]), now)
        .await
        .unwrap();
    let (st, _) = api.post("/api/v1/registry/events", &read, &event).await;
    assert_eq!(st, 403);
    // the other org's watch of the same repository path scans into the other org only
    let (st, _) = api
        .post(
            "/api/v1/watches",
            &other_admin,
            &json!({"repository": repo, "insecure": true}),
        )
        .await;
    assert_eq!(st, 201);
    engine.tick(false).await.unwrap();
    let (_, v) = api.get("/api/v1/images", &other_admin).await;
    let imgs = images_by_digest(&v);
    assert_eq!(imgs.len(), 1, "{v}");
    assert_eq!(tags(&imgs[&d2]), ["1.0", "2.0", "latest"]);
    let (_, v) = api.get("/api/v1/images", &admin).await;
    assert_eq!(images_by_digest(&v).len(), 2);
    let (st, m) = api.get_text("/metrics", &admin).await;
    assert_eq!(st, 200);
    assert!(m.contains("drydock_registry_scans_total 3"), "{m}");
    assert!(m.contains("drydock_registry_failures_total 1"), "{m}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

both_stores!(registry_watch, scenario);

/// A registry whose answer is partial: `1.0` fails to resolve, `2.0` points at a digest
/// whose pull fails.
#[derive(Debug)]
struct Partial;

const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

impl drydock_server::watch::RegistrySource for Partial {
    fn list_tags(&self, _: &str, _: bool) -> drydock_server::Result<Vec<String>> {
        Ok(vec!["2.0".into(), "1.0".into()])
    }
    fn resolve(&self, reference: &str, _: bool) -> drydock_server::Result<String> {
        if reference.ends_with(":1.0") {
            Err(drydock_server::Error::Registry("manifest unknown".into()))
        } else {
            Ok(D2.into())
        }
    }
    fn scan(
        &self,
        reference: &str,
        _: bool,
    ) -> drydock_server::Result<(
        drydock_server::store::ImageMeta,
        drydock_inventory::Inventory,
    )> {
        Err(drydock_server::Error::Registry(format!(
            "{reference}: connection reset"
        )))
    }
}

/// A partial poll never takes tags away, names what failed, and a failing pull is a failed
/// (retried) job, not a stored image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_poll_only_adds_tags() {
    let store = TestStore::new(Kind::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let mut cfg = config(&store, data.path(), feeds.path());
    cfg.db_update_interval = None;
    cfg.registry = Some(Arc::new(Partial));
    let engine = Engine::new(cfg).await.unwrap();
    engine.tick(false).await.unwrap();
    let now = engine.now();
    let org = engine.store.ensure_org("acme", now).await.unwrap();
    let repo = "registry.example:5000/team/app";
    // the image `1.0` named when it was submitted
    let (sbom, meta) = alpine_submission("3.20.3", repo, "1.0");
    let req: drydock_server::SubmitRequest =
        serde_json::from_value(json!({"sbom": sbom, "image": meta})).unwrap();
    let scopes = [drydock_server::store::Scope::Submit].into_iter().collect();
    let token = engine
        .store
        .create_token(org, "ci", &scopes, now)
        .await
        .unwrap();
    let who = engine.store.authenticate(&token).await.unwrap().unwrap();
    engine.submit(&who, req, "submit").await.unwrap();
    engine.store.add_watch(org, repo, false, now).await.unwrap();

    engine.tick(false).await.unwrap();
    let w = engine.store.org_watches(org).await.unwrap();
    assert_eq!(w[0].last_tags, Some(2));
    assert_eq!(
        w[0].last_error.as_deref(),
        Some("1.0: registry: manifest unknown")
    );
    let imgs = engine.store.list_images(org, 10).await.unwrap();
    assert_eq!(imgs.len(), 1, "{imgs:?}");
    assert_eq!(imgs[0].digest, meta.digest);
    assert_eq!(imgs[0].tags, vec!["1.0".to_string()]);
    // the pull of 2.0 failed: re-queued with its error, nothing stored
    let key = format!("{org}:{repo}@{D2}");
    let (state, _) = engine.store.job_state("scan", &key).await.unwrap().unwrap();
    assert_eq!(state, "queued");
    assert_eq!(engine.counters.registry_failures.load(Ordering::Relaxed), 1);
    store.cleanup().await;
}

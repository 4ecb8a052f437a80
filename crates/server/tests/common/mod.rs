//! Shared set-up for the server tests: a store on SQLite or on a real PostgreSQL (one fresh
//! database per test), real Alpine images turned into Drydock CycloneDX SBOMs, a local feed
//! folder built from ../shared, a running server on 127.0.0.1 and a webhook receiver.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drydock_image::{AnalyzeOptions, Image, MergedView, OpenOptions, analyze_image};
use drydock_inventory::{InventoryAnalyzer, build_inventory};
use drydock_server::store::ImageMeta;
use drydock_server::{Config, DbSource, Engine};
use drydock_testkit as tk;
use serde_json::Value;

/// The store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A store URL for one test, and what to clean up after it.
pub struct TestStore {
    pub url: String,
    pub kind: Kind,
    pg_admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// `None` when PostgreSQL is not configured outside CI (the test then skips, loudly).
    pub async fn new(kind: Kind) -> Option<TestStore> {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("store.sqlite").display());
                Some(TestStore {
                    url,
                    kind,
                    pg_admin: None,
                    _dir: Some(dir),
                })
            }
            Kind::Postgres => {
                let Ok(admin) = std::env::var("DRYDOCK_TEST_POSTGRES") else {
                    if std::env::var("CI").as_deref() == Ok("true") {
                        panic!(
                            "DRYDOCK_TEST_POSTGRES is not set: CI must run the PostgreSQL \
                             variants (scripts/test.sh starts PostgreSQL and sets it)"
                        );
                    }
                    eprintln!(
                        "\n*** SKIPPED: PostgreSQL variant — DRYDOCK_TEST_POSTGRES is not set \
                         (scripts/test.sh sets it) ***\n"
                    );
                    return None;
                };
                let mut raw = [0u8; 6];
                getrandom_fill(&mut raw);
                let name = format!(
                    "drydock_t_{}",
                    raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
                );
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("connect to DRYDOCK_TEST_POSTGRES");
                sqlx::Executor::execute(
                    &mut conn,
                    sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
                )
                .await
                .unwrap();
                let base = admin.rsplit_once('/').unwrap().0.to_string();
                Some(TestStore {
                    url: format!("{base}/{name}"),
                    kind,
                    pg_admin: Some((admin, name)),
                    _dir: None,
                })
            }
        }
    }

    /// Drop the test database (PostgreSQL).
    pub async fn cleanup(self) {
        if let Some((admin, name)) = &self.pg_admin {
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(admin)
                .await
                .unwrap();
            let _ = sqlx::Executor::execute(
                &mut conn,
                sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
            )
            .await;
        }
    }
}

fn getrandom_fill(buf: &mut [u8]) {
    // time + pid + counter: unique enough for test database names
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let v = t ^ (u64::from(std::process::id()) << 32) ^ N.fetch_add(1, Ordering::Relaxed);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (v >> (8 * (i % 8))) as u8 ^ (i as u8).wrapping_mul(31);
    }
}

/// Run an async test body on both stores.
#[macro_export]
macro_rules! both_stores {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = common::TestStore::new(common::Kind::Sqlite).await.unwrap();
                $body(&s).await;
                s.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(s) = common::TestStore::new(common::Kind::Postgres).await else {
                    return;
                };
                $body(&s).await;
                s.cleanup().await;
            }
        }
    };
}

/// A feed folder with the real Alpine 3.20 secdb (subset) from ../shared.
pub fn feed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = tk::shared_dir().join("feeds/alpine-secdb/v3.20/main.json");
    let dst = dir.path().join("alpine-secdb/v3.20");
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::copy(&src, dst.join("main.json")).unwrap();
    dir
}

/// The TEST-ONLY advisory used to "publish" a DB update: an OSV record, clearly marked as
/// not real, affecting the `ca-certificates` origin package on Alpine 3.20 below a made-up
/// fixed version.
pub const TEST_ADVISORY_ID: &str = "DRYDOCK-TEST-2026-0001";

pub fn publish_test_advisory(feeds: &Path) -> PathBuf {
    let dir = feeds.join("osv/Alpine-drydock-test");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{TEST_ADVISORY_ID}.json"));
    let doc = serde_json::json!({
        "schema_version": "1.6.0",
        "id": TEST_ADVISORY_ID,
        "summary": "TEST ADVISORY written by the Drydock server tests — not a real vulnerability",
        "published": "2025-01-15T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
        "affected": [{
            "package": {"ecosystem": "Alpine:v3.20", "name": "ca-certificates"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99999999-r0"}]}],
            "database_specific": {"severity": "HIGH"}
        }],
        "database_specific": {"severity": "HIGH"}
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path
}

/// A real Alpine image (minirootfs + one app layer), scanned in-process into Drydock's
/// CycloneDX SBOM, and the metadata a submission sends.
pub fn alpine_submission(version: &str, repo: &str, tag: &str) -> (Value, ImageMeta) {
    let dir = tempfile::tempdir().unwrap();
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs(version));
    let app = tk::layer_tar(&[tk::Entry::file(
        "srv/app/run.sh",
        format!("#!/bin/sh\necho {repo}\n"),
    )]);
    let out = dir.path().join("image.tar");
    tk::write_docker_archive(
        &out,
        &[base, app],
        &tk::ImageConfig::default(),
        tk::Compression::None,
        Some(&format!("{repo}:{tag}")),
    );
    let image = Image::open(&out, &OpenOptions::default()).unwrap();
    let layers = analyze_image(
        &image,
        &InventoryAnalyzer::image(),
        &AnalyzeOptions::default(),
        &|_, _| {},
    )
    .unwrap();
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let view = MergedView::apply(layers);
    let inv = build_inventory(&view, &diff_ids);
    let artifact = drydock_report::Artifact {
        kind: "image".into(),
        source: out.display().to_string(),
        format: image.format.as_str().into(),
        image_id: image.image_id.clone(),
        manifest_digest: image.manifest_digest.clone(),
        repo_tags: image.repo_tags.clone(),
        platform: Some(image.config.platform()),
        layers: vec![],
    };
    let report = drydock_report::Report {
        schema_version: drydock_report::SCHEMA_VERSION.into(),
        tool: drydock_report::Tool {
            name: "drydock".into(),
            version: "test".into(),
        },
        created_at: "2026-01-01T00:00:00Z".into(),
        artifact,
        os: inv.os.clone(),
        namespace: None,
        db: None,
        summary: drydock_report::Summary::compute(&inv.packages, &[], &[]),
        packages: inv.packages.clone(),
        findings: vec![],
        secrets: vec![],
        misconfigurations: vec![],
        policy: None,
        hygiene: None,
        vex: Default::default(),
        warnings: vec![],
    };
    let text = drydock_report::render(&report, drydock_report::Format::CycloneDx, false).unwrap();
    let meta = ImageMeta {
        digest: image
            .manifest_digest
            .clone()
            .or(image.image_id.clone())
            .unwrap(),
        repo: repo.into(),
        tags: vec![tag.into()],
        labels: [(
            "org.opencontainers.image.source".to_string(),
            format!("https://git.example/{repo}"),
        )]
        .into_iter()
        .collect(),
        layers: diff_ids,
        config_user: Some("1000".into()),
        config_ports: vec!["8080/tcp".into()],
        platform: Some("linux/amd64".into()),
    };
    (serde_json::from_str(&text).unwrap(), meta)
}

/// A configured engine over `store` with DB updates from `feeds` on every tick.
/// The tests' engine configuration: feeds from `feeds`, a DB update on every tick, no
/// periodic full re-match, no background scheduler, verdicts failing from HIGH.
pub fn config(store: &TestStore, data: &Path, feeds: &Path) -> Config {
    let mut cfg = Config::new(&store.url, data, DbSource::Feeds(feeds.to_path_buf()));
    cfg.db_update_interval = Some(Duration::ZERO);
    cfg.full_rematch_interval = None;
    cfg.tick = Duration::from_secs(3600);
    cfg.fail_on = drydock_vulndb::Severity::High;
    cfg.replica_id = "test-replica".into();
    cfg
}

pub async fn engine(store: &TestStore, data: &Path, feeds: &Path) -> Arc<Engine> {
    Engine::new(config(store, data, feeds)).await.unwrap()
}

/// Serve the API of `engine` on 127.0.0.1 (no background scheduler: tests tick by hand).
pub async fn serve(engine: Arc<Engine>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, drydock_server::api::router(engine))
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

/// What the webhook receiver got: (hook name, JSON body).
pub type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on 127.0.0.1 recording every JSON body posted to `/hook/<name>`.
pub async fn receiver() -> (String, Received) {
    use axum::extract::{Path as AxPath, State};
    let got: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook/{name}",
            axum::routing::post(
                |State(g): State<Received>,
                 AxPath(name): AxPath<String>,
                 body: axum::body::Bytes| async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    g.lock().unwrap().push((name, v));
                    "ok"
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), got)
}

/// An HTTP client for the API.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_string(),
            http: reqwest::Client::new(),
        }
    }
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    pub async fn get_text(&self, path: &str, token: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
    pub async fn get_bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// `?query=...` with the expression URL-encoded.
pub fn q(expr: &str) -> String {
    let mut out = String::new();
    for b in expr.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

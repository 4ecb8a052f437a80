//! The HTTPS server (axum + rustls with aws-lc-rs): `POST /validate`, `POST /mutate`,
//! `GET /healthz`, `GET /metrics`. The certificate and key are read from files and reloaded
//! when either changes (checked every `reload_every`).

use crate::admission::{parse_review, review_response};
use crate::decide::Webhook;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum_server::tls_rustls::RustlsConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Largest AdmissionReview body accepted (the API server sends at most ~3 MiB objects).
const MAX_BODY: usize = 8 << 20;

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn router(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(webhook)
}

fn json_response(v: serde_json::Value) -> axum::response::Response {
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn validate(State(w): State<Arc<Webhook>>, body: Bytes) -> axum::response::Response {
    match parse_review(&body) {
        Ok(req) => {
            let (api, uid) = (req.api_version.clone(), req.uid.clone());
            let resp = w.validate(req).await;
            json_response(review_response(&api, &uid, &resp))
        }
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

async fn mutate(State(w): State<Arc<Webhook>>, body: Bytes) -> axum::response::Response {
    match parse_review(&body) {
        Ok(req) => {
            let (api, uid) = (req.api_version.clone(), req.uid.clone());
            let resp = w.mutate(req).await;
            json_response(review_response(&api, &uid, &resp))
        }
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

async fn metrics(State(w): State<Arc<Webhook>>) -> String {
    w.metrics.prometheus()
}

fn mtimes(tls: &TlsFiles) -> (Option<SystemTime>, Option<SystemTime>) {
    let m = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (m(&tls.cert), m(&tls.key))
}

/// Serve until the process ends. Installs aws-lc-rs as rustls's process-wide provider.
pub async fn serve(
    webhook: Arc<Webhook>,
    addr: SocketAddr,
    tls: TlsFiles,
    reload_every: Duration,
) -> std::io::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = RustlsConfig::from_pem_file(&tls.cert, &tls.key).await?;
    let reload = config.clone();
    let files = tls.clone();
    tokio::spawn(async move {
        let mut last = mtimes(&files);
        loop {
            tokio::time::sleep(reload_every).await;
            let now = mtimes(&files);
            if now != last {
                match reload.reload_from_pem_file(&files.cert, &files.key).await {
                    Ok(()) => {
                        tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                        last = now;
                    }
                    // a half-written pair: keep the old certificate, try again next time
                    Err(e) => tracing::warn!(error = %e, "TLS certificate reload failed"),
                }
            }
        }
    });
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        if let Some(a) = h.listening().await {
            eprintln!("drydock webhook listening on https://{a}");
        }
    });
    axum_server::bind_rustls(addr, config)
        .handle(handle)
        .serve(router(webhook).into_make_service())
        .await
}

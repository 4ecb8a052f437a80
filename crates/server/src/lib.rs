//! drydock-server: one place that knows every image a team builds, stores and runs.
//!
//! * [`store`]: SQLite (default) or PostgreSQL through sqlx, migrations, orgs, hashed
//!   tokens with scopes; every query takes the caller's org.
//! * [`engine`]: submissions (SBOM + metadata → findings + verdict), vulnerability-DB
//!   updates with a fingerprint diff, continuous re-matching through the inverted index
//!   `(namespace, package) → images`, notifications, reports.
//! * [`query`]: the filter language (`severity >= high and fixable`), compiled to SQL with
//!   bound parameters.
//! * [`watch`]: registry watches (tag polling, registry notifications, `scan` jobs).
//! * [`api`]: the HTTP API (axum), [`ui`]: the server-rendered dashboard, [`metrics`]: Prometheus text, [`sla`]: SLA policy,
//!   MTTR and trends.
//!
//! Deployment, API and the query grammar: `docs/server.md`.

pub mod api;
pub mod engine;
mod error;
pub mod fleet;
pub mod matching;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod query;
pub mod sla;
pub mod store;
pub mod ui;
pub mod watch;

pub use engine::{Config, DbSource, Engine, SubmitRequest, SubmitResponse};
pub use error::{Error, Result};

use std::sync::Arc;
use std::time::Duration;

/// Serve the API on `listener` and run the scheduler every `config.tick` until `shutdown`
/// resolves.
pub async fn serve(
    engine: Arc<Engine>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let sched = spawn_scheduler(engine.clone());
    let app = app(engine);
    let r = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Other(format!("HTTP server: {e}")));
    sched.abort();
    r
}

/// The whole HTTP surface: the API and the dashboard.
pub fn app(engine: Arc<Engine>) -> axum::Router {
    api::router_with(engine, ui::router())
}

/// Run [`Engine::tick`] every `config.tick` in the background.
pub fn spawn_scheduler(engine: Arc<Engine>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(engine.config.tick.max(Duration::from_millis(50)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = engine.tick(false).await {
                tracing::warn!("scheduler tick failed: {e}");
            }
        }
    })
}

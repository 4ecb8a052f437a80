//! HTTP API (axum): `/api/v1/...`, `/api/openapi.json`, `/metrics`, `/healthz`.
//!
//! Every read goes through the token's org: handlers never take an org from the request.
//! The dashboard ([`crate::ui`]) mounts its routes with [`router_with`]: it gets the same
//! [`AppState`]; its extractor also reads the login cookie (GET pages only), the API never does.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::engine::{Engine, SubmitRequest};
use crate::error::Error;
use crate::store::{Principal, RuntimeRecord, Scope};

/// Shared state of every handler.
pub type AppState = Arc<Engine>;

/// Largest request body (SBOMs of big images run to tens of MB).
pub const MAX_BODY: usize = 128 << 20;

/// The HTTP status an error answers with (the API and the dashboard agree).
pub(crate) fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::BadRequest(_) | Error::Query(_) | Error::Sbom(_) | Error::Json(_) => {
            StatusCode::BAD_REQUEST
        }
        Error::NoVulnDb => StatusCode::SERVICE_UNAVAILABLE,
        Error::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
        Error::Registry(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = status_of(&self);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("request failed: {self}");
        }
        let mut r = (status, Json(json!({ "error": self.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"drydock\""),
            );
        }
        r
    }
}

/// The authenticated principal (`Authorization: Bearer <token>`).
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(Error::Unauthorized)?;
        let p = state
            .store
            .authenticate(token)
            .await?
            .ok_or(Error::Unauthorized)?;
        Ok(Auth(p))
    }
}

/// The API router.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The API router merged with extra routes (the dashboard).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/images", post(submit).get(list_images))
        .route("/api/v1/images/{id}", get(get_image))
        .route("/api/v1/images/{id}/findings", get(image_findings))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/query/fields", get(query_fields))
        .route("/api/v1/runtime", post(post_runtime).get(get_runtime))
        .route("/api/v1/reports", get(reports))
        .route("/api/v1/sla", get(sla))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/webhooks", post(add_webhook).get(list_webhooks))
        .route("/api/v1/watches", post(add_watch).get(list_watches))
        .route("/api/v1/registry/events", post(registry_events))
        .route("/metrics", get(metrics))
        .merge(extra)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Parse a JSON body after the scope check (an extractor would answer 422 before it).
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::BadRequest(format!("request body: {e}")))
}

async fn healthz(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "vulndb": s.vulndb().map(|v| json!({"update_id": v.update_id, "built_at": v.built_at})),
    }))
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::OPENAPI_JSON,
    )
        .into_response()
}

async fn submit(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    p.require(Scope::Submit)?;
    let req: SubmitRequest = json_body(&body)?;
    let r = s.submit(&p, req, "submit").await?;
    Ok((StatusCode::OK, Json(r)).into_response())
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<i64>,
}

async fn list_images(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ListParams>,
) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let images = s
        .store
        .list_images(p.org_id, q.limit.unwrap_or(500).clamp(1, 10_000))
        .await?;
    Ok(Json(json!({ "images": images })).into_response())
}

async fn get_image(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    Ok(Json(s.store.get_image(p.org_id, &id).await?).into_response())
}

async fn image_findings(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let img = s.store.get_image(p.org_id, &id).await?;
    let image_id = img["id"].as_i64().ok_or(Error::NotFound)?;
    let now = s.now();
    let rows = s
        .store
        .findings(
            p.org_id,
            &crate::store::FindingQuery {
                image_id: Some(image_id),
                limit: 100_000,
                ..Default::default()
            },
            now,
        )
        .await?;
    Ok(Json(json!({ "findings": rows })).into_response())
}

#[derive(Deserialize)]
struct FindingParams {
    query: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    include_fixed: Option<bool>,
}

async fn findings(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<FindingParams>,
) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let rows = s
        .query_findings(
            &p,
            q.query.as_deref(),
            q.include_fixed.unwrap_or(false),
            q.limit.unwrap_or(100).clamp(1, 10_000),
            q.offset.unwrap_or(0),
        )
        .await?;
    Ok(Json(json!({ "query": q.query, "count": rows.len(), "findings": rows })).into_response())
}

async fn query_fields() -> Json<serde_json::Value> {
    Json(json!({
        "fields": crate::query::FIELDS.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>()
    }))
}

#[derive(Deserialize)]
struct RuntimeBody {
    records: Vec<RuntimeRecord>,
}

async fn post_runtime(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    p.require(Scope::Submit)?;
    let body: RuntimeBody = json_body(&body)?;
    let n = s.runtime(&p, &body.records).await?;
    Ok(Json(json!({ "accepted": n })).into_response())
}

async fn get_runtime(State(s): State<AppState>, Auth(p): Auth) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let recs = s.store.runtime(p.org_id).await?;
    let list: Vec<_> = recs
        .into_iter()
        .map(|(r, seen)| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["last_seen"] = json!(seen);
            v
        })
        .collect();
    Ok(Json(json!({ "records": list })).into_response())
}

#[derive(Deserialize)]
struct ReportParams {
    query: Option<String>,
    format: Option<String>,
}

async fn reports(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ReportParams>,
) -> Result<Response, Error> {
    report_response(
        &s,
        &p,
        q.query.as_deref(),
        q.format.as_deref().unwrap_or("json"),
    )
    .await
}

/// The fleet report of `p`'s org for `query` in `format` (json, csv or pdf) as a download;
/// shared by the API and the dashboard's report links.
pub(crate) async fn report_response(
    s: &AppState,
    p: &Principal,
    query: Option<&str>,
    format: &str,
) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let report = s.fleet_report(p, query).await?;
    let name = format!("drydock-report-{}", report.org);
    match format {
        "json" => Ok(Json(report).into_response()),
        "csv" => {
            let body = crate::fleet::render_fleet_csv(&report)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.csv\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        "pdf" => {
            let body = tokio::task::spawn_blocking(move || crate::fleet::render_fleet_pdf(&report))
                .await??;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.pdf\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        other => Err(Error::BadRequest(format!(
            "format {other:?}: expected json, csv or pdf"
        ))),
    }
}

async fn sla(State(s): State<AppState>, Auth(p): Auth) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let now = s.now();
    let times = s.store.finding_times(Some(p.org_id)).await?;
    let stats = crate::sla::stats(&times, &s.config.sla, now);
    let breached = s
        .query_findings(&p, Some("sla_breached"), false, 1000, 0)
        .await?;
    let at_risk_window = s.config.sla.clone();
    Ok(Json(json!({
        "policy": at_risk_window,
        "stats": stats,
        "breached": breached,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct TokenBody {
    name: String,
    scopes: Vec<String>,
}

async fn create_token(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    p.require(Scope::Admin)?;
    let b: TokenBody = json_body(&body)?;
    let scopes: BTreeSet<Scope> = b
        .scopes
        .iter()
        .map(|x| {
            Scope::parse(x).ok_or_else(|| {
                Error::BadRequest(format!("scope {x:?}: expected submit, read or admin"))
            })
        })
        .collect::<Result<_, _>>()?;
    let token = s
        .store
        .create_token(p.org_id, &b.name, &scopes, s.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "org": p.org })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct WebhookBody {
    kind: String,
    url: String,
}

async fn add_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    p.require(Scope::Admin)?;
    let b: WebhookBody = json_body(&body)?;
    let id = s
        .store
        .add_webhook(p.org_id, &b.kind, &b.url, s.now())
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn list_webhooks(State(s): State<AppState>, Auth(p): Auth) -> Result<Response, Error> {
    p.require(Scope::Admin)?;
    let list: Vec<_> = s
        .store
        .webhooks(p.org_id)
        .await?
        .into_iter()
        .map(|(id, kind, url)| json!({"id": id, "kind": kind, "url": url}))
        .collect();
    Ok(Json(json!({ "webhooks": list })).into_response())
}

#[derive(Deserialize)]
struct WatchBody {
    repository: String,
    #[serde(default)]
    insecure: bool,
}

async fn add_watch(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    p.require(Scope::Admin)?;
    let b: WatchBody = json_body(&body)?;
    // `host[:port]/path`, no tag or digest: the poll lists the tags itself
    let r = drydock_registry::Reference::parse(b.repository.trim())
        .map_err(|e| Error::BadRequest(format!("repository {:?}: {e}", b.repository)))?;
    let last = b.repository.trim().rsplit('/').next().unwrap_or("");
    if last.contains([':', '@']) || r.digest().is_some() {
        return Err(Error::BadRequest(format!(
            "repository {:?}: name a repository, without a tag or digest",
            b.repository
        )));
    }
    let id = s
        .store
        .add_watch(p.org_id, &r.name(), b.insecure, s.now())
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn list_watches(State(s): State<AppState>, Auth(p): Auth) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let list = s.store.org_watches(p.org_id).await?;
    Ok(Json(json!({ "watches": list })).into_response())
}

/// Distribution-registry notifications (configure the registry's `notifications.endpoints`
/// with this URL and an `Authorization: Bearer <submit token>` header).
async fn registry_events(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    p.require(Scope::Submit)?;
    let env: crate::watch::Envelope = json_body(&body)?;
    let (accepted, ignored) = s.registry_events(&p, &env).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "accepted": accepted, "ignored": ignored })),
    )
        .into_response())
}

async fn metrics(State(s): State<AppState>, Auth(p): Auth) -> Result<Response, Error> {
    p.require(Scope::Read)?;
    let body = crate::metrics::render(&s, &p).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

//! The web dashboard: server-rendered HTML (maud escapes every value), one stylesheet served
//! from the binary, no JavaScript, no external assets.
//!
//! Pages: `/` (overview), `/ui/images`, `/ui/images/{id}`, `/ui/findings?query=...`,
//! `/ui/report?format=csv|pdf|json&query=...` (downloads), `/ui/login`, `/ui/logout`.
//!
//! Auth: the login form checks the token and stores it in an `HttpOnly; SameSite=Strict`
//! cookie; `Authorization: Bearer` works too. Every page needs the read scope and reads only
//! the token's org, exactly like the API. Only the UI's GET pages read the cookie (the API
//! never does, so a cookie can never drive a state-changing API call); the only POSTs are
//! login and logout, and SameSite=Strict keeps other sites from sending the cookie at all.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::api::AppState;
use crate::error::Error;
use crate::store::{FindingQuery, FindingRow, Principal, Scope};

/// Name of the login cookie.
pub const COOKIE: &str = "drydock_token";

/// Most findings one findings page shows (the report links carry all of them).
pub const PAGE_LIMIT: i64 = 1000;

/// Severities from worst to least, as stored.
const SEVERITIES: [&str; 6] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"];

const CSS: &str = include_str!("ui/style.css");

/// The dashboard's routes, merged into the API router by [`crate::app`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/ui", get(|| async { redirect("/") }))
        .route("/ui/style.css", get(css))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/images", get(images))
        .route("/ui/images/{id}", get(image))
        .route("/ui/findings", get(findings))
        .route("/ui/report", get(report))
}

// ------------------------------------------------------------------------------ auth

/// The signed-in principal of a dashboard request (cookie or bearer token, read scope).
struct UiAuth(Principal);

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(|t| t.trim().to_string())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for UiAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let login = || {
            redirect(&format!(
                "/ui/login?next={}",
                crate::ui::encode_component(&next)
            ))
        };
        let Some(token) = bearer(&parts.headers).or_else(|| cookie_token(&parts.headers)) else {
            return Err(login());
        };
        match state.store.authenticate(&token).await {
            Ok(Some(p)) => match p.require(Scope::Read) {
                Ok(()) => Ok(UiAuth(p)),
                Err(e) => Err(error_page(None, e)),
            },
            // an unknown or revoked token: forget it and sign in again
            Ok(None) => {
                let mut r = login();
                r.headers_mut()
                    .insert(header::SET_COOKIE, clear_cookie(&parts.headers));
                Err(r)
            }
            Err(e) => Err(error_page(None, e)),
        }
    }
}

fn secure(headers: &HeaderMap) -> &'static str {
    // behind a TLS-terminating proxy the cookie must never travel in clear text
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    if https { "; Secure" } else { "" }
}

fn set_cookie(token: &str, headers: &HeaderMap) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{}",
        secure(headers)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("drydock_token=; Path=/; Max-Age=0"))
}

fn clear_cookie(headers: &HeaderMap) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(headers)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("drydock_token=; Path=/; Max-Age=0"))
}

/// A token as issued (`ddk_` + hex): anything else never reaches a cookie.
fn token_shape_ok(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 200
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A local path to return to after signing in (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    login_form(StatusCode::OK, q.next.as_deref(), None)
}

fn login_form(status: StatusCode, next: Option<&str>, error: Option<&str>) -> Response {
    let next = safe_next(next);
    let body = html! {
        div.login {
            h1 { "Drydock" }
            p.muted { "Sign in with an API token that has the read scope." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/ui/login" {
                input type="hidden" name="next" value=(next);
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="off" required autofocus;
                button type="submit" { "Sign in" }
            }
        }
    };
    page(status, "Sign in", None, body)
}

#[derive(Deserialize)]
struct LoginBody {
    token: String,
    next: Option<String>,
}

async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginBody>,
) -> Response {
    let token = f.token.trim();
    let next = f.next.as_deref();
    if !token_shape_ok(token) {
        return login_form(StatusCode::UNAUTHORIZED, next, Some("Unknown token."));
    }
    match s.store.authenticate(token).await {
        Ok(Some(p)) => {
            if p.require(Scope::Read).is_err() {
                return login_form(
                    StatusCode::FORBIDDEN,
                    next,
                    Some("This token lacks the read scope."),
                );
            }
            let mut r = redirect(&safe_next(next));
            r.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(token, &headers));
            r
        }
        Ok(None) => login_form(StatusCode::UNAUTHORIZED, next, Some("Unknown token.")),
        Err(e) => error_page(None, e),
    }
}

async fn logout(headers: HeaderMap) -> Response {
    let mut r = redirect("/ui/login");
    r.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&headers));
    r
}

// ------------------------------------------------------------------------------ pages

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn overview(State(s): State<AppState>, UiAuth(p): UiAuth) -> Response {
    match overview_body(&s, &p).await {
        Ok(b) => page(StatusCode::OK, "Overview", Some(&p), b),
        Err(e) => error_page(Some(&p), e),
    }
}

async fn overview_body(s: &AppState, p: &Principal) -> Result<Markup, Error> {
    let now = s.now();
    let open = s.store.open_counts(p.org_id).await?;
    let images = s.store.image_count(p.org_id).await?;
    // the same figures the fleet report carries: SLA stats and the 30-day trend
    let times = s.store.finding_times(Some(p.org_id)).await?;
    let stats = crate::sla::stats(&times, &s.config.sla, now);
    let trend = crate::sla::trend(&times, now, 30);
    let total: i64 = open.values().sum();
    Ok(html! {
        h1 { "Overview" }
        section.cards {
            a.card href="/ui/images" data-stat="images" {
                span.n { (images) } span.l { "images" }
            }
            a.card href="/ui/findings" data-stat="open" {
                span.n { (total) } span.l { "open findings" }
            }
            a.card.bad href="/ui/findings?query=sla_breached" data-stat="breached" {
                span.n { (stats.open_breaches) } span.l { "SLA breached" }
            }
            div.card.warn data-stat="at-risk" {
                span.n { (stats.at_risk) } span.l { "SLA at risk" }
            }
        }
        h2 { "Open findings by severity" }
        section.cards {
            @for sev in SEVERITIES {
                @let n = open.get(sev).copied().unwrap_or(0);
                a class={"card sev " (sev_class(sev))}
                    href={"/ui/findings?query=" (encode_component(&format!("severity = {}", sev.to_lowercase())))}
                    data-severity=(sev) {
                    span.n { (n) } span.l { (sev.to_lowercase()) }
                }
            }
        }
        h2 { "Open findings per day (30 days)" }
        (trend_chart(&trend))
        h2 { "Mean time to remediate" }
        table.mttr {
            thead { tr { th { "Severity" } th { "SLA window" } th.num { "Fixed" } th.num { "MTTR" } } }
            tbody {
                @for sev in SEVERITIES {
                    @let fixed = stats.fixed_by_severity.get(sev).copied().unwrap_or(0);
                    @let window = drydock_vulndb::Severity::parse(sev).and_then(|v| s.config.sla.window(v));
                    tr data-severity=(sev) {
                        td { span class={"badge " (sev_class(sev))} { (sev) } }
                        td { @match window { Some(w) => (duration(w)), None => "—" } }
                        td.num { (fixed) }
                        td.num { @match stats.mttr_hours_by_severity.get(sev) {
                            Some(h) => (format!("{h:.1} h")), None => "—" } }
                    }
                }
            }
        }
    })
}

/// A stacked bar chart of open findings per day by severity, as inline SVG (no script).
fn trend_chart(trend: &[(String, BTreeMap<String, u64>)]) -> Markup {
    const W: f64 = 760.0;
    const H: f64 = 180.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 22.0;
    let max = trend
        .iter()
        .map(|(_, c)| c.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = trend.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bar = (slot * 0.7).max(1.0);
    let plot_h = H - BOTTOM - 8.0;
    let y_of = |v: u64| 8.0 + plot_h - plot_h * v as f64 / max as f64;
    html! {
        figure.chart {
            svg viewBox={"0 0 " (W) " " (H)} width="100%" role="img"
                aria-label="Open findings per day by severity" {
                line x1=(LEFT) y1=(y_of(0)) x2=(W) y2=(y_of(0)) class="axis" {}
                line x1=(LEFT) y1=(y_of(max)) x2=(W) y2=(y_of(max)) class="grid" {}
                text x=(LEFT - 6.0) y=(y_of(max) + 4.0) text-anchor="end" class="tick" { (max) }
                text x=(LEFT - 6.0) y=(y_of(0) + 4.0) text-anchor="end" class="tick" { "0" }
                @for (i, (date, counts)) in trend.iter().enumerate() {
                    @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                    @let total: u64 = counts.values().sum();
                    g data-date=(date) data-total=(total) {
                        title { (date) ": " (total) " open" }
                        @let mut acc = 0u64;
                        @for sev in SEVERITIES.iter().rev() {
                            @let v = counts.get(*sev).copied().unwrap_or(0);
                            @if v > 0 {
                                @let y0 = y_of(acc);
                                @let y1 = y_of(acc + v);
                                rect x=(format!("{x:.1}")) y=(format!("{y1:.1}")) width=(format!("{bar:.1}"))
                                    height=(format!("{:.1}", y0 - y1)) class=(sev_class(sev)) {}
                                ({ acc += v; "" })
                            }
                        }
                    }
                    @if i == 0 || i + 1 == trend.len() || (i % 7 == 0 && i + 4 < trend.len()) {
                        text x=(format!("{:.1}", x + bar / 2.0)) y=(H - 6.0) text-anchor="middle" class="tick" {
                            (date.get(5..).unwrap_or(date))
                        }
                    }
                }
            }
            figcaption.legend {
                @for sev in SEVERITIES {
                    span { i class={"sw " (sev_class(sev))} {} (sev.to_lowercase()) }
                }
            }
        }
    }
}

async fn images(State(s): State<AppState>, UiAuth(p): UiAuth) -> Response {
    let list = match s.store.list_images(p.org_id, 1000).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(&p), e),
    };
    let body = html! {
        h1 { "Images" }
        @if list.is_empty() {
            p.muted { "No image has been submitted yet (" code { "drydock image --submit" } ")." }
        } @else {
            table.images {
                thead { tr {
                    th { "Image" } th { "Digest" } th { "OS" } th.num { "Packages" }
                    th { "Last scanned" } th { "Open findings" }
                } }
                tbody {
                    @for img in &list {
                        tr data-image-id=(img.id) {
                            td { a.name href={"/ui/images/" (img.id)} {
                                (crate::store::image_name(&img.repo, img.tags.first().map(String::as_str), &img.digest))
                            } }
                            td { code title=(img.digest) { (short_digest(&img.digest)) } }
                            td { (img.os.as_deref().unwrap_or("—")) }
                            td.num { (img.package_count) }
                            td { (datetime(img.last_scanned)) }
                            td { (counts(&img.open_findings)) }
                        }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, "Images", Some(&p), body)
}

async fn image(State(s): State<AppState>, UiAuth(p): UiAuth, Path(id): Path<String>) -> Response {
    match image_body(&s, &p, &id).await {
        Ok((title, b)) => page(StatusCode::OK, &title, Some(&p), b),
        Err(e) => error_page(Some(&p), e),
    }
}

async fn image_body(s: &AppState, p: &Principal, id: &str) -> Result<(String, Markup), Error> {
    let img = s.store.get_image(p.org_id, id).await?;
    let image_id = img["id"].as_i64().ok_or(Error::NotFound)?;
    let rows = s
        .store
        .findings(
            p.org_id,
            &FindingQuery {
                image_id: Some(image_id),
                limit: 100_000,
                ..Default::default()
            },
            s.now(),
        )
        .await?;
    let str_of = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    let repo = str_of(&img["repo"]);
    let digest = str_of(&img["digest"]);
    let tags: Vec<String> = img["tags"]
        .as_array()
        .map(|a| a.iter().map(str_of).collect())
        .unwrap_or_default();
    let name = crate::store::image_name(&repo, tags.first().map(String::as_str), &digest);
    let empty = Vec::new();
    let layers = img["layers"].as_array().unwrap_or(&empty);
    let packages = img["packages"].as_array().unwrap_or(&empty);
    let open: BTreeMap<String, i64> =
        serde_json::from_value(img["open_findings"].clone()).unwrap_or_default();
    let body = html! {
        h1 { (name) }
        p { (counts(&open)) }
        section.meta {
            dl {
                dt { "Repository" } dd { (repo) }
                dt { "Tags" } dd { @for t in &tags { code { (t) } " " } }
                dt { "Digest" } dd { code { (digest) } }
                dt { "OS" } dd { (str_of(&img["os"])) }
                dt { "Platform" } dd { (str_of(&img["platform"])) }
                dt { "Source" } dd { (str_of(&img["source"])) }
                dt { "User" } dd { (str_of(&img["config_user"])) }
                dt { "Ports" } dd {
                    @for port in img["config_ports"].as_array().unwrap_or(&empty) { code { (str_of(port)) } " " }
                }
                dt { "First seen" } dd { (datetime(img["first_seen"].as_i64().unwrap_or(0))) }
                dt { "Last scanned" } dd { (datetime(img["last_scanned"].as_i64().unwrap_or(0))) }
                @if let Some(ci) = img["ci"].as_object() {
                    @for (k, v) in ci {
                        @if !v.is_null() { dt { "CI " (k) } dd { (str_of(v)) } }
                    }
                }
            }
            @if let Some(labels) = img["labels"].as_object().filter(|l| !l.is_empty()) {
                h3 { "Labels" }
                table.labels { tbody {
                    @for (k, v) in labels { tr { td { code { (k) } } td { (str_of(v)) } } }
                } }
            }
        }
        h2 { "Findings (" (rows.len()) ")" }
        (findings_table(&rows, false))
        h2 { "Layers (" (layers.len()) ")" }
        table.layers {
            thead { tr { th.num { "#" } th { "diffID" } th.num { "Packages" } } }
            tbody {
                @for (i, l) in layers.iter().enumerate() {
                    @let n = packages.iter().filter(|p| p["layer_index"].as_u64() == Some(i as u64)).count();
                    tr { td.num { (i) } td { code { (str_of(l)) } } td.num { (n) } }
                }
            }
        }
        h2 { "Packages (" (packages.len()) ")" }
        table.packages {
            thead { tr { th { "Name" } th { "Version" } th { "Type" } th { "Source" } th { "License" } th.num { "Layer" } } }
            tbody {
                @for pk in packages {
                    tr {
                        td { (str_of(&pk["name"])) }
                        td { code { (str_of(&pk["version"])) } }
                        td { (str_of(&pk["kind"])) }
                        td { (str_of(&pk["source_name"])) }
                        td { (str_of(&pk["license"])) }
                        td.num { (str_of(&pk["layer_index"])) }
                    }
                }
            }
        }
    };
    Ok((name, body))
}

#[derive(Deserialize)]
struct FindingsParams {
    query: Option<String>,
}

async fn findings(
    State(s): State<AppState>,
    UiAuth(p): UiAuth,
    Query(q): Query<FindingsParams>,
) -> Response {
    let query = q.query.unwrap_or_default();
    let expr = Some(query.as_str()).filter(|q| !q.trim().is_empty());
    let result = s.query_findings(&p, expr, false, PAGE_LIMIT + 1, 0).await;
    let (status, rows, error) = match result {
        Ok(rows) => (StatusCode::OK, rows, None),
        // a bad query is the user's typo: show the parser's message with the box
        Err(e @ (Error::Query(_) | Error::BadRequest(_))) => {
            (StatusCode::BAD_REQUEST, Vec::new(), Some(e.to_string()))
        }
        Err(e) => return error_page(Some(&p), e),
    };
    let more = rows.len() as i64 > PAGE_LIMIT;
    let rows = &rows[..rows.len().min(PAGE_LIMIT as usize)];
    let link = |format: &str| {
        let mut u = format!("/ui/report?format={format}");
        if let Some(e) = expr {
            u.push_str("&query=");
            u.push_str(&encode_component(e));
        }
        u
    };
    let body = html! {
        h1 { "Findings" }
        form.query method="get" action="/ui/findings" {
            input #query type="search" name="query" value=(query)
                placeholder="severity >= high and fixable" aria-label="Query" autocomplete="off";
            button type="submit" { "Search" }
        }
        p.muted.help {
            "Fields: "
            @for (i, (f, d)) in crate::query::FIELDS.iter().enumerate() {
                @if i > 0 { ", " }
                code title=(d) { (f) }
            }
            ". Combine with " code { "and" } ", " code { "or" } ", " code { "not" } " and parentheses."
        }
        @if let Some(e) = &error {
            p.error role="alert" { (e) }
        } @else {
            p.summary {
                span #count { (rows.len()) } @if more { "+" } " open findings"
                @if more { " (first " (PAGE_LIMIT) " shown; the reports carry all)" }
                span.downloads {
                    "Download: "
                    a href=(link("csv")) download { "CSV" } " · "
                    a href=(link("pdf")) download { "PDF" } " · "
                    a href=(link("json")) download { "JSON" }
                }
            }
            (findings_table(rows, true))
        }
    };
    page(status, "Findings", Some(&p), body)
}

fn findings_table(rows: &[FindingRow], with_image: bool) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted.empty { "No open findings." }
        } @else {
            table.findings {
                thead { tr {
                    th { "Vulnerability" } th { "Severity" }
                    @if with_image { th { "Image" } }
                    th { "Package" } th { "Version" } th { "Fixed in" } th.num { "CVSS" }
                    th { "First seen" } th { "SLA due" }
                } }
                tbody {
                    @for f in rows {
                        tr class=[f.sla_breached.then_some("breached")] {
                            td.vid title=[f.title.as_deref()] { (f.vuln_id) @if f.kev { " " span.kev { "KEV" } } }
                            td { span class={"badge " (sev_class(&f.severity))} { (f.severity) } }
                            @if with_image { td { a href={"/ui/images/" (f.image_id)} { (f.image) } } }
                            td { (f.package) }
                            td { code { (f.version) } }
                            td { @match &f.fixed_version { Some(v) => code { (v) }, None => span.muted { "—" } } }
                            td.num { @match f.cvss { Some(c) => (format!("{c:.1}")), None => "—" } }
                            td { (datetime(f.first_seen)) }
                            td { @match f.sla_due { Some(d) => (datetime(d)), None => "—" }
                                 @if f.sla_breached { " " span.overdue { "overdue" } } }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct ReportParams {
    query: Option<String>,
    format: Option<String>,
}

async fn report(
    State(s): State<AppState>,
    UiAuth(p): UiAuth,
    Query(q): Query<ReportParams>,
) -> Response {
    let query = q.query.as_deref().filter(|q| !q.trim().is_empty());
    let format = q.format.as_deref().unwrap_or("csv");
    match crate::api::report_response(&s, &p, query, format).await {
        Ok(mut r) => {
            if format == "json" {
                r.headers_mut().insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!(
                        "attachment; filename=\"drydock-report-{}.json\"",
                        p.org
                            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
                    ))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                );
            }
            r
        }
        Err(e) => error_page(Some(&p), e),
    }
}

// ------------------------------------------------------------------------------ layout

fn page(status: StatusCode, title: &str, who: Option<&Principal>, body: Markup) -> Response {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Drydock" }
                link rel="stylesheet" href="/ui/style.css";
            }
            body {
                @if let Some(p) = who {
                    header.top {
                        a.brand href="/" { "Drydock" }
                        nav {
                            a href="/" { "Overview" }
                            a href="/ui/images" { "Images" }
                            a href="/ui/findings" { "Findings" }
                        }
                        span.org title="organisation of this token" { (p.org) }
                        form method="post" action="/ui/logout" { button.link type="submit" { "Sign out" } }
                    }
                }
                main { (body) }
            }
        }
    };
    let mut r = (status, axum::response::Html(doc.into_string())).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn error_page(who: Option<&Principal>, e: Error) -> Response {
    let status = crate::api::status_of(&e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!("dashboard request failed: {e}");
    }
    let msg = match &e {
        Error::NotFound => "Not found.".to_string(),
        _ if status == StatusCode::INTERNAL_SERVER_ERROR => {
            "Internal error; the server log has the details.".to_string()
        }
        other => other.to_string(),
    };
    let body = html! {
        h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
        p.error role="alert" { (msg) }
        p { a href="/" { "Back to the overview" } }
    };
    page(status, "Error", who, body)
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn counts(open: &BTreeMap<String, i64>) -> Markup {
    html! {
        span.counts {
            @for sev in SEVERITIES {
                @if let Some(n) = open.get(sev).filter(|n| **n > 0) {
                    span class={"badge " (sev_class(sev))} title=(sev) data-severity=(sev) {
                        (sev.chars().next().unwrap_or('?')) " " (n)
                    }
                }
            }
            @if open.values().all(|n| *n == 0) { span.muted { "none" } }
        }
    }
}

fn sev_class(sev: &str) -> &'static str {
    match sev {
        "CRITICAL" => "s-critical",
        "HIGH" => "s-high",
        "MEDIUM" => "s-medium",
        "LOW" => "s-low",
        "NEGLIGIBLE" => "s-negligible",
        _ => "s-unknown",
    }
}

fn short_digest(d: &str) -> String {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    hex.get(..12).unwrap_or(hex).to_string()
}

fn datetime(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!("{} {:02}:{:02} UTC", d.date(), d.hour(), d.minute()),
        Err(_) => "—".into(),
    }
}

fn duration(secs: i64) -> String {
    if secs % 86_400 == 0 {
        format!("{} d", secs / 86_400)
    } else if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} s", secs)
    }
}

/// Percent-encode a URL query component.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/ui/images?x=1")), "/ui/images?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; drydock_token=ddk_abc; b=2"),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("ddk_abc"));
        let c = set_cookie("ddk_abc", &h);
        assert_eq!(
            c.to_str().unwrap(),
            "drydock_token=ddk_abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
        );
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(
            set_cookie("ddk_abc", &h)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(!token_shape_ok("ddk_abc; Domain=evil"));
        assert!(token_shape_ok("ddk_0123abcd"));
    }

    #[test]
    fn encodes_query_components() {
        assert_eq!(
            encode_component("severity >= high"),
            "severity%20%3E%3D%20high"
        );
        assert_eq!(encode_component("/ui?a=b&c"), "/ui%3Fa%3Db%26c");
    }
}

//! The HTTP layer: scheme choice, redirects (followed by hand, with a limit), retries with
//! exponential back-off honouring `Retry-After`, and the auth flows (anonymous, Basic, bearer
//! token per scope).

use crate::auth::{Challenge, Credential, CredentialSources, parse_challenges};
use crate::error::{Error, Result, summarise_error_body};
use crate::reference::api_host;
use crate::{RegistryOptions, Stats};
use reqwest::blocking::{Client, Response};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Error bodies are read up to this size for their code and message.
const MAX_ERROR_BODY: u64 = 64 << 10;
/// Token responses are small.
const MAX_TOKEN_BODY: u64 = 1 << 20;

/// What a 404 means, for the error returned.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    /// A manifest, named by this reference.
    Manifest(String),
    /// Anything else: a blob, a tag list, the catalog.
    Other(String),
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// `application/x-www-form-urlencoded` (token requests).
    Form(&'a str),
    /// Bytes with their content type (blob uploads, manifest pushes).
    Bytes {
        data: &'a [u8],
        content_type: &'a str,
    },
}

/// One logical request to a registry's API.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest<'a> {
    /// Registry as in [`crate::Reference::registry`].
    pub registry: &'a str,
    /// `/v2/…` (with query), or an absolute URL (a `Link: <…>; rel="next"` target).
    pub target: String,
    /// Token scope (`repository:<name>:pull`, `registry:catalog:*`).
    pub scope: String,
    pub accept: Option<&'a str>,
    /// Ask for the bytes from this offset on (`Range: bytes=N-`).
    pub range_from: Option<u64>,
    pub subject: Subject,
}

#[derive(Debug, Clone)]
struct Token {
    value: String,
    expires: Instant,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub tokens: AtomicU64,
    pub blob_bytes: AtomicU64,
    pub blobs_opened: AtomicU64,
    pub resumes: AtomicU64,
}

/// A counting semaphore bounding concurrent blob downloads (released by the reader that
/// acquired it, when it finishes or is dropped).
pub(crate) struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Semaphore {
    fn new(n: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }

    pub(crate) fn acquire(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }

    pub(crate) fn release(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.cv.notify_one();
    }
}

/// The shared state of a [`crate::RegistryClient`].
pub(crate) struct Inner {
    pub opts: RegistryOptions,
    secure: Client,
    insecure: Client,
    creds: CredentialSources,
    cred_cache: Mutex<HashMap<String, Option<Credential>>>,
    schemes: Mutex<HashMap<String, &'static str>>,
    tokens: Mutex<HashMap<(String, String), Token>>,
    basic: Mutex<HashSet<String>>,
    pub permits: Semaphore,
    pub counters: Counters,
}

fn build_client(opts: &RegistryOptions, accept_invalid: bool) -> Result<Client> {
    let mut b = Client::builder()
        .user_agent(opts.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.connect_timeout)
        // blocking reqwest: bounds each read (and waiting for the response head), not the
        // whole transfer, so large layers are fine
        .timeout(opts.read_timeout)
        .pool_max_idle_per_host(opts.parallel.max(1));
    for pem_path in &opts.ca_certs {
        let pem = std::fs::read(pem_path).map_err(|e| Error::Transport {
            url: pem_path.display().to_string(),
            message: format!("cannot read CA certificate: {e}"),
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Transport {
            url: pem_path.display().to_string(),
            message: format!("invalid CA certificate: {e}"),
        })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if accept_invalid {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build().map_err(|e| Error::Transport {
        url: String::new(),
        message: format!("cannot set up the HTTP client: {}", chain(&e)),
    })
}

/// An error with its sources, `a: b: c` (reqwest's own message alone hides the cause).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// May a failed send be retried? Resets, aborts, timeouts and connections closed before a
/// response: yes. Refused connections, DNS and TLS failures: no (retrying would only delay the
/// error).
fn retryable(e: &reqwest::Error) -> bool {
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionReset
                    | ConnectionAborted
                    | BrokenPipe
                    | UnexpectedEof
                    | TimedOut
                    | Interrupted
            );
        }
        cur = c.source();
    }
    if e.is_timeout() {
        return true;
    }
    // connect errors without an I/O cause are DNS or TLS failures
    !e.is_connect() && !e.is_builder() && !e.is_redirect()
}

/// Is this status worth retrying (with back-off)?
fn retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let when = time::PrimitiveDateTime::parse(v, fmt).ok()?.assume_utc();
    let now = time::OffsetDateTime::from(now);
    let d = when - now;
    Some(if d.is_negative() {
        Duration::ZERO
    } else {
        d.unsigned_abs()
    })
}

fn retry_after_of(resp: &Response) -> Option<Duration> {
    let v = resp.headers().get(header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(v, SystemTime::now())
}

/// Read at most `limit` bytes of a body (an error body, a token).
fn read_limited(resp: Response, limit: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = resp.take(limit).read_to_end(&mut buf);
    buf
}

fn origin(u: &Url) -> (String, String, Option<u16>) {
    (
        u.scheme().to_string(),
        u.host_str().unwrap_or("").to_string(),
        u.port_or_known_default(),
    )
}

fn host_port(u: &Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Inner {
    pub(crate) fn new(opts: &RegistryOptions) -> Result<Inner> {
        let creds = CredentialSources {
            explicit: match (&opts.username, &opts.password) {
                (Some(u), Some(p)) => Some(Credential::Basic {
                    username: u.clone(),
                    password: p.clone(),
                }),
                (Some(_), None) | (None, Some(_)) => {
                    return Err(Error::Credentials {
                        registry: "(all)".into(),
                        message: "a username needs a password and a password a username".into(),
                    });
                }
                (None, None) => None,
            },
            env: opts.env_credentials,
            docker_config: opts.docker_config.clone(),
            helper_path: opts.credential_helper_path.clone(),
        };
        Ok(Inner {
            secure: build_client(opts, false)?,
            insecure: build_client(opts, true)?,
            opts: opts.clone(),
            creds,
            cred_cache: Mutex::new(HashMap::new()),
            schemes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            basic: Mutex::new(HashSet::new()),
            permits: Semaphore::new(opts.parallel),
            counters: Counters::default(),
        })
    }

    pub(crate) fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            tokens_fetched: c.tokens.load(Ordering::Relaxed),
            blobs_opened: c.blobs_opened.load(Ordering::Relaxed),
            blob_bytes: c.blob_bytes.load(Ordering::Relaxed),
            resumes: c.resumes.load(Ordering::Relaxed),
        }
    }

    fn is_insecure(&self, host: &str) -> bool {
        let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
        self.opts
            .insecure_hosts
            .iter()
            .any(|h| h == host || h == bare)
    }

    fn client_for(&self, url: &Url) -> &Client {
        if self.is_insecure(&host_port(url)) {
            &self.insecure
        } else {
            &self.secure
        }
    }

    /// `scheme://host[:port]` of a registry's API. Plain HTTP only when asked: for every
    /// registry with `plain_http`, or for an insecure host where HTTPS does not answer.
    pub(crate) fn base_url(&self, registry: &str) -> String {
        let host = api_host(registry);
        if self.opts.plain_http {
            return format!("http://{host}");
        }
        if !self.is_insecure(registry) && !self.is_insecure(&host) {
            return format!("https://{host}");
        }
        if let Some(s) = self
            .schemes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&host)
        {
            return format!("{s}://{host}");
        }
        // an insecure registry: HTTPS without certificate checks if it speaks TLS, else HTTP
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let probe = self.insecure.get(format!("https://{host}/v2/")).send();
        let scheme = if probe.is_ok() { "https" } else { "http" };
        tracing::debug!(registry, scheme, "insecure registry probed");
        self.schemes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.clone(), scheme);
        format!("{scheme}://{host}")
    }

    fn credentials(&self, registry: &str) -> Result<Option<Credential>> {
        if let Some(c) = self
            .cred_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(registry)
        {
            return Ok(c.clone());
        }
        let c = self.creds.lookup(registry)?;
        self.cred_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(registry.to_string(), c.clone());
        Ok(c)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.opts.retry_base_delay;
        let d = base.saturating_mul(1u32 << attempt.min(16));
        d.min(self.opts.max_backoff)
    }

    fn sleep_before_retry(&self, attempt: u32, wait: Duration, why: &str, url: &Url) {
        tracing::warn!(%url, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, why, "retrying");
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(wait);
    }

    /// One HTTP exchange following redirects by hand (at most `max_redirects`). The
    /// `Authorization` header goes only to the origin of `url`.
    fn exchange(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        auth: Option<&str>,
        body: Option<Payload<'_>>,
    ) -> std::result::Result<Response, (Option<reqwest::Error>, Error)> {
        let first = origin(url);
        let mut current = url.clone();
        let mut method = method.clone();
        let mut body = body;
        for _hop in 0..=self.opts.max_redirects {
            let mut rb = self
                .client_for(&current)
                .request(method.clone(), current.clone())
                .headers(headers.clone());
            if let Some(a) = auth
                && origin(&current) == first
            {
                rb = rb.header(header::AUTHORIZATION, a);
            }
            match body {
                Some(Payload::Form(b)) => {
                    rb = rb
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(b.to_string());
                }
                Some(Payload::Bytes { data, content_type }) => {
                    rb = rb
                        .header(header::CONTENT_TYPE, content_type)
                        .body(data.to_vec());
                }
                None => {}
            }
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match rb.send() {
                Ok(r) => r,
                Err(e) => {
                    let err = Error::Transport {
                        url: current.to_string(),
                        message: chain(&e),
                    };
                    return Err((Some(e), err));
                }
            };
            if !resp.status().is_redirection() || resp.status() == StatusCode::NOT_MODIFIED {
                return Ok(resp);
            }
            let Some(loc) = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
            else {
                return Ok(resp); // a 3xx without Location: let the caller report it
            };
            let next = current.join(loc).map_err(|e| {
                (
                    None,
                    Error::InvalidResponse {
                        what: format!("redirect from {current}"),
                        reason: format!("bad Location {loc:?}: {e}"),
                    },
                )
            })?;
            if resp.status() == StatusCode::SEE_OTHER && method == Method::POST {
                method = Method::GET;
                body = None;
            }
            tracing::debug!(from = %current, to = %next, "redirect");
            current = next;
        }
        Err((
            None,
            Error::TooManyRedirects {
                url: url.to_string(),
                limit: self.opts.max_redirects,
            },
        ))
    }

    /// [`Self::exchange`] with retries: transport failures that may be transient, and 429 /
    /// 5xx answers, are retried up to `max_retries` times with exponential back-off (or the
    /// server's `Retry-After`, when it is not longer than `max_retry_wait`). Returns the final
    /// response whatever its status.
    pub(crate) fn execute(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        auth: Option<&str>,
        body: Option<Payload<'_>>,
    ) -> Result<Response> {
        let mut attempt = 0u32;
        loop {
            match self.exchange(method, url, headers, auth, body) {
                Ok(resp) => {
                    let status = resp.status();
                    if !retryable_status(status) || attempt >= self.opts.max_retries {
                        return Ok(resp);
                    }
                    let wait = match retry_after_of(&resp) {
                        Some(w) if w > self.opts.max_retry_wait => return Ok(resp),
                        Some(w) => w,
                        None => self.backoff(attempt),
                    };
                    drop(resp);
                    self.sleep_before_retry(attempt, wait, status.as_str(), url);
                    attempt += 1;
                }
                Err((Some(e), err)) if retryable(&e) && attempt < self.opts.max_retries => {
                    let why = err.to_string();
                    self.sleep_before_retry(attempt, self.backoff(attempt), &why, url);
                    attempt += 1;
                }
                Err((_, err)) => return Err(err),
            }
        }
    }

    fn cached_token(&self, registry: &str, scope: &str) -> Option<String> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let key = (registry.to_string(), scope.to_string());
        match tokens.get(&key) {
            Some(t) if t.expires > Instant::now() => Some(t.value.clone()),
            Some(_) => {
                tokens.remove(&key);
                None
            }
            None => None,
        }
    }

    fn auth_header(&self, registry: &str, scope: &str) -> Result<Option<String>> {
        if let Some(t) = self.cached_token(registry, scope) {
            return Ok(Some(format!("Bearer {t}")));
        }
        if self
            .basic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(registry)
        {
            return Ok(self.credentials(registry)?.and_then(|c| c.basic_header()));
        }
        Ok(None)
    }

    /// A successful (2xx) response to an API request, authenticating as the registry asks.
    pub(crate) fn send(&self, req: &ApiRequest<'_>) -> Result<Response> {
        self.send_with(req, &Method::GET, None)
    }

    /// [`Self::send`] with another method and an optional body (uploads, pushes, `HEAD`).
    pub(crate) fn send_with(
        &self,
        req: &ApiRequest<'_>,
        method: &Method,
        body: Option<Payload<'_>>,
    ) -> Result<Response> {
        let url_text = if req.target.starts_with('/') {
            format!("{}{}", self.base_url(req.registry), req.target)
        } else {
            req.target.clone()
        };
        let url = Url::parse(&url_text).map_err(|e| Error::InvalidResponse {
            what: "URL".into(),
            reason: format!("{url_text}: {e}"),
        })?;
        let mut headers = HeaderMap::new();
        if let Some(a) = req.accept {
            headers.insert(
                header::ACCEPT,
                HeaderValue::from_str(a).expect("static accept header"),
            );
        }
        if let Some(from) = req.range_from {
            headers.insert(
                header::RANGE,
                HeaderValue::from_str(&format!("bytes={from}-")).expect("range header"),
            );
        }
        let mut authenticated = false;
        loop {
            let auth = self.auth_header(req.registry, &req.scope)?;
            let resp = self.execute(method, &url, &headers, auth.as_deref(), body)?;
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            if status == StatusCode::UNAUTHORIZED {
                let values: Vec<String> = resp
                    .headers()
                    .get_all(header::WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok().map(str::to_string))
                    .collect();
                let body = read_limited(resp, MAX_ERROR_BODY);
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                let challenges = parse_challenges(&refs);
                if !authenticated {
                    self.authenticate(req, &challenges, auth.is_some(), &body)?;
                    authenticated = true;
                    continue;
                }
                return Err(self.still_unauthorized(req, &challenges, &body)?);
            }
            return Err(self.status_error(req, &url, resp));
        }
    }

    /// After a 401: get what the challenge asks for (a token for the scope, or Basic
    /// credentials), or fail with [`Error::Unauthorized`].
    fn authenticate(
        &self,
        req: &ApiRequest<'_>,
        challenges: &[Challenge],
        sent_auth: bool,
        body: &[u8],
    ) -> Result<()> {
        let registry = req.registry;
        if let Some(b) = challenges.iter().find(|c| c.scheme == "bearer") {
            if sent_auth && b.param("error") == Some("insufficient_scope") {
                // a current token that lacks the scope: a fresh one will not help
                let cred = self.credentials(registry)?;
                return Err(denied(registry, &req.scope, cred.is_some()));
            }
            self.tokens
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&(registry.to_string(), req.scope.clone()));
            let scope = b
                .param("scope")
                .map(str::to_string)
                .unwrap_or_else(|| req.scope.clone());
            let token = self.fetch_token(registry, b, &scope)?;
            self.tokens
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((registry.to_string(), req.scope.clone()), token);
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            let (_, message) = summarise_error_body(body);
            if sent_auth {
                return Err(Error::Unauthorized {
                    registry: registry.to_string(),
                    message: format!("the registry rejected the credentials ({message})"),
                });
            }
            return match self.credentials(registry)? {
                Some(Credential::Basic { .. }) => {
                    self.basic
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(registry.to_string());
                    Ok(())
                }
                Some(Credential::IdentityToken(_)) => Err(Error::Unauthorized {
                    registry: registry.to_string(),
                    message: "the registry wants Basic auth but the stored credential is an \
                              identity token"
                        .into(),
                }),
                None => Err(Error::Unauthorized {
                    registry: registry.to_string(),
                    message: format!(
                        "the registry requires credentials and none were found ({message})"
                    ),
                }),
            };
        }
        let (code, message) = summarise_error_body(body);
        Err(Error::Unauthorized {
            registry: registry.to_string(),
            message: format!(
                "HTTP 401 without a usable WWW-Authenticate challenge ({code}: {message})"
            ),
        })
    }

    /// A second 401 after authenticating.
    fn still_unauthorized(
        &self,
        req: &ApiRequest<'_>,
        challenges: &[Challenge],
        body: &[u8],
    ) -> Result<Error> {
        let registry = req.registry;
        if challenges
            .iter()
            .any(|c| c.scheme == "bearer" && c.param("error") == Some("insufficient_scope"))
        {
            let cred = self.credentials(registry)?;
            return Ok(denied(registry, &req.scope, cred.is_some()));
        }
        let (code, message) = summarise_error_body(body);
        Ok(Error::Unauthorized {
            registry: registry.to_string(),
            message: format!("the registry rejected the credentials ({code}: {message})"),
        })
    }

    /// Get a bearer token from the challenge's realm for `scope`: anonymously, with Basic
    /// credentials, or by exchanging an identity (refresh) token.
    fn fetch_token(&self, registry: &str, ch: &Challenge, scope: &str) -> Result<Token> {
        let realm = ch.param("realm").ok_or_else(|| Error::InvalidResponse {
            what: format!("auth challenge from {registry}"),
            reason: "Bearer challenge without a realm".into(),
        })?;
        let mut url = Url::parse(realm).map_err(|e| Error::InvalidResponse {
            what: format!("auth challenge from {registry}"),
            reason: format!("bad realm {realm:?}: {e}"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidResponse {
                what: format!("auth challenge from {registry}"),
                reason: format!("realm {realm:?} is not an http(s) URL"),
            });
        }
        let cred = self.credentials(registry)?;
        // a password (or identity token) goes over plain HTTP only where plain HTTP was
        // allowed: `plain_http`, or an insecure registry or token host
        if url.scheme() == "http"
            && cred.is_some()
            && !self.opts.plain_http
            && !self.is_insecure(&host_port(&url))
            && !self.is_insecure(registry)
        {
            return Err(Error::Unauthorized {
                registry: registry.to_string(),
                message: format!(
                    "refusing to send credentials to the token service {realm} over plain HTTP \
                     (list its host as insecure to allow it)"
                ),
            });
        }
        let service = ch.param("service");
        let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
        let (method, auth, body) = match &cred {
            Some(Credential::IdentityToken(refresh)) => {
                let mut form = Url::parse("http://form.invalid/").expect("static URL");
                {
                    let mut q = form.query_pairs_mut();
                    q.append_pair("grant_type", "refresh_token");
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    for s in &scopes {
                        q.append_pair("scope", s);
                    }
                    q.append_pair("client_id", "drydock");
                    q.append_pair("refresh_token", refresh);
                }
                (
                    Method::POST,
                    None,
                    Some(form.query().unwrap_or("").to_string()),
                )
            }
            other => {
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    for s in &scopes {
                        q.append_pair("scope", s);
                    }
                }
                (
                    Method::GET,
                    other.as_ref().and_then(Credential::basic_header),
                    None,
                )
            }
        };
        self.counters.tokens.fetch_add(1, Ordering::Relaxed);
        let resp = self.execute(
            &method,
            &url,
            &HeaderMap::new(),
            auth.as_deref(),
            body.as_deref().map(Payload::Form),
        )?;
        let status = resp.status();
        let text = read_limited(resp, MAX_TOKEN_BODY);
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let (code, message) = summarise_error_body(&text);
            let who = match &cred {
                Some(Credential::Basic { username, .. }) => format!(" for user {username:?}"),
                Some(Credential::IdentityToken(_)) => " (identity token)".into(),
                None => " (anonymous)".into(),
            };
            return Err(Error::Unauthorized {
                registry: registry.to_string(),
                message: format!(
                    "the token service refused a token{who}: HTTP {}{}",
                    status.as_u16(),
                    if code.is_empty() && message.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", [code, message].join(": ").trim_matches([' ', ':']))
                    }
                ),
            });
        }
        if !status.is_success() {
            let (code, message) = summarise_error_body(&text);
            return Err(Error::Http {
                url: url.to_string(),
                status: status.as_u16(),
                code,
                message,
            });
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&text).map_err(|e| Error::InvalidResponse {
                what: format!("token from {realm}"),
                reason: e.to_string(),
            })?;
        let value = if parsed.token.is_empty() {
            parsed.access_token
        } else {
            parsed.token
        };
        if value.is_empty() {
            return Err(Error::InvalidResponse {
                what: format!("token from {realm}"),
                reason: "no token in the response".into(),
            });
        }
        // the spec's default lifetime is 60 s; renew 5 s early
        let life = Duration::from_secs(parsed.expires_in.unwrap_or(60).max(10) - 5);
        Ok(Token {
            value,
            expires: Instant::now() + life,
        })
    }

    /// The error for a final non-2xx, non-401 status.
    fn status_error(&self, req: &ApiRequest<'_>, url: &Url, resp: Response) -> Error {
        let status = resp.status();
        let retry_after = retry_after_of(&resp);
        let body = read_limited(resp, MAX_ERROR_BODY);
        let (code, message) = summarise_error_body(&body);
        let registry = req.registry.to_string();
        match status.as_u16() {
            403 => Error::Denied {
                registry,
                message: if code.is_empty() {
                    message
                } else {
                    format!("{code}: {message}")
                },
            },
            404 => match &req.subject {
                Subject::Manifest(reference) => Error::ManifestUnknown {
                    reference: reference.clone(),
                    code,
                    message,
                },
                Subject::Other(what) => Error::NotFound {
                    what: what.clone(),
                    code,
                    message,
                },
            },
            429 => Error::TooManyRequests {
                registry,
                retry_after,
            },
            s => Error::Http {
                url: url.to_string(),
                status: s,
                code,
                message,
            },
        }
    }
}

fn denied(registry: &str, scope: &str, have_credentials: bool) -> Error {
    Error::Denied {
        registry: registry.to_string(),
        message: format!(
            "the token does not grant {scope}{}",
            if have_credentials {
                ""
            } else {
                " (no credentials were found for this registry; anonymous access)"
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 07:27:50 UTC
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        // a date in the past: retry now
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn semaphore_bounds_permits() {
        let s = std::sync::Arc::new(Semaphore::new(2));
        s.acquire();
        s.acquire();
        assert_eq!(*s.free.lock().unwrap(), 0);
        let s2 = s.clone();
        let waiter = std::thread::spawn(move || {
            s2.acquire();
            "acquired"
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "a third permit must wait");
        s.release();
        assert_eq!(waiter.join().unwrap(), "acquired");
        assert_eq!(*s.free.lock().unwrap(), 0);
    }
}

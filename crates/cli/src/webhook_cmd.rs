//! `drydock webhook`: the Kubernetes admission webhook server (drydock-webhook) with this
//! CLI's scan pipeline as its scanner.

use crate::sign_cmd::{RegistryFlags, read_public_keys, registry_scan_flags, scan_args};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use drydock_webhook::{
    Config, FailAction, ImageScanner, RuntimeReporter, ScanSummary, TlsFiles, Webhook,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The default admission policy (also in deploy/policies/admission.rego).
const DEFAULT_POLICY: &str = include_str!("../../../deploy/policies/admission.rego");

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Fail {
    Allow,
    Deny,
}

impl From<Fail> for FailAction {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Allow => FailAction::Allow,
            Fail::Deny => FailAction::Deny,
        }
    }
}

#[derive(Args)]
pub struct WebhookArgs {
    /// Address to listen on (HTTPS).
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// TLS certificate chain (PEM); reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// TLS private key (PEM); reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    /// How often the certificate files are checked for changes, in seconds.
    #[arg(long, default_value_t = 10)]
    pub cert_reload_interval: u64,
    /// Webhook configuration (YAML: namespace modes, deadlines, fail actions, caches;
    /// docs/webhook.md) [default: every namespace enforces, kube-system excluded].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Admission policy: Rego files or directories (package `drydock.admission`, rules
    /// `deny` and `warn`) [default: the built-in deploy/policies/admission.rego].
    #[arg(long, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
    /// cosign public keys (PEM) that image signatures must verify with (repeatable).
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// Audit mode: never deny; log and annotate what would have been denied.
    #[arg(long)]
    pub audit: bool,
    /// Longest wait for an on-demand scan, in milliseconds (overrides the config).
    #[arg(long, value_name = "MS")]
    pub scan_deadline: Option<u64>,
    /// When the scan misses the deadline (overrides the config's `on_timeout`).
    #[arg(long, value_enum)]
    pub on_timeout: Option<Fail>,
    /// When the registry is unreachable or the image cannot be resolved or scanned
    /// (overrides the config's `on_error`).
    #[arg(long, value_enum)]
    pub on_error: Option<Fail>,
    /// Drydock server: receives the runtime inventory (`POST {server}/api/v1/runtime`) and is
    /// asked first for a digest's findings (`GET /api/v1/images/{digest}`), so an image the
    /// server already knows is never pulled; the token then needs `read` besides `submit`.
    #[arg(long, value_name = "URL", env = "DRYDOCK_SERVER")]
    pub server: Option<String>,
    /// Bearer token for the server.
    #[arg(long, env = "DRYDOCK_SERVER_TOKEN", hide_env_values = true)]
    pub server_token: Option<String>,
    /// Cluster name in runtime inventory records (overrides the config's `cluster`).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Runtime inventory records queued at most (more are dropped and counted).
    #[arg(long, default_value_t = 10_000)]
    pub runtime_queue: usize,
    /// Vulnerability DB for on-demand scans.
    #[arg(long, env = "DRYDOCK_DB")]
    pub db: Option<PathBuf>,
    /// Build the DB from these recorded feeds when it does not exist yet.
    #[arg(long, env = "DRYDOCK_FEEDS")]
    pub feeds: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// Scans with `drydock image`'s pipeline (layer cache included: a warm re-scan of a known
/// digest downloads nothing).
struct CliScanner {
    flags: Vec<String>,
    /// A Drydock server asked first for a digest it already knows (its findings are kept
    /// current by its re-matching): `(url, token)`.
    server: Option<(String, Option<String>)>,
}

impl CliScanner {
    /// The server's scan of `digest` (`GET /api/v1/images/{digest}` and its findings), or
    /// `None` when the server does not know the digest or cannot be asked (the webhook then
    /// scans on demand).
    fn server_lookup(&self, digest: &str) -> Option<ScanSummary> {
        let (server, token) = self.server.as_ref()?;
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .ok()?;
        let get = |path: &str| -> Option<serde_json::Value> {
            let mut req = client.get(crate::server_cmd::api_url(server, path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            match req.send() {
                Ok(r) if r.status().is_success() => r.json().ok(),
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => None,
                Ok(r) => {
                    tracing::warn!(%digest, status = %r.status(), "server scan lookup refused");
                    None
                }
                Err(e) => {
                    tracing::warn!(%digest, "server scan lookup failed: {e}");
                    None
                }
            }
        };
        let image = get(&format!("/api/v1/images/{digest}"))?;
        let findings = get(&format!("/api/v1/images/{digest}/findings"))?;
        Some(summary_from_server(digest, &image, &findings))
    }
}

/// The policy's view of a server's stored image (`GET /api/v1/images/{digest}`) and its open
/// findings (`GET /api/v1/images/{digest}/findings`).
fn summary_from_server(
    digest: &str,
    image: &serde_json::Value,
    findings: &serde_json::Value,
) -> ScanSummary {
    let rows = findings["findings"].as_array().cloned().unwrap_or_default();
    let mut by_severity = std::collections::BTreeMap::new();
    let (mut fixable, mut critical_fixable, mut kev) = (0, Vec::new(), Vec::new());
    for f in &rows {
        let id = f["vuln_id"].as_str().unwrap_or_default().to_string();
        let severity = f["severity"].as_str().unwrap_or("UNKNOWN").to_string();
        let fix = f["fixable"].as_bool().unwrap_or(false);
        if fix {
            fixable += 1;
            if severity == "CRITICAL" {
                critical_fixable.push(id.clone());
            }
        }
        if f["kev"].as_bool().unwrap_or(false) {
            kev.push(id);
        }
        *by_severity.entry(severity).or_insert(0) += 1;
    }
    critical_fixable.sort();
    critical_fixable.dedup();
    kev.sort();
    kev.dedup();
    let scanned_at = image["last_scanned"]
        .as_i64()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    ScanSummary {
        digest: digest.to_string(),
        os: image["os"].as_str().map(str::to_string),
        packages: image["package_count"].as_u64().unwrap_or(0) as usize,
        findings: rows.len(),
        by_severity,
        fixable,
        critical_fixable,
        kev,
        scanned_at,
    }
}

impl ImageScanner for CliScanner {
    fn lookup(&self, digest: &str) -> Option<ScanSummary> {
        self.server_lookup(digest)
    }

    fn scan(&self, image: &str, digest: &str) -> Result<ScanSummary, String> {
        let run = || -> Result<ScanSummary> {
            let args = scan_args(image, &self.flags)?;
            let report = crate::scan::scan_report(&args, crate::scan::Target::Image)?;
            Ok(summarise(&report, digest))
        };
        run().map_err(|e| format!("{e:#}"))
    }
}

/// The policy's view of a report.
pub fn summarise(report: &drydock_report::Report, digest: &str) -> ScanSummary {
    let mut critical_fixable = Vec::new();
    let mut kev = Vec::new();
    for f in &report.findings {
        if f.severity == drydock_vulndb::Severity::Critical && f.fixable() {
            critical_fixable.push(f.id.clone());
        }
        if f.kev.is_some() {
            kev.push(f.id.clone());
        }
    }
    critical_fixable.sort();
    critical_fixable.dedup();
    kev.sort();
    kev.dedup();
    ScanSummary {
        digest: digest.to_string(),
        os: report.os.as_ref().map(|o| o.display()),
        packages: report.summary.packages,
        findings: report.summary.findings,
        by_severity: report
            .summary
            .by_severity
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        fixable: report.summary.fixable,
        critical_fixable,
        kev,
        scanned_at: report.created_at.clone(),
    }
}

pub fn run(args: &WebhookArgs) -> Result<ExitCode> {
    // one TLS provider for the whole process (reqwest, axum-server): aws-lc-rs
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut config = match &args.config {
        Some(p) => Config::from_yaml(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => Config::default(),
    };
    if args.audit {
        config.audit = true;
    }
    if let Some(ms) = args.scan_deadline {
        config.scan_deadline_ms = ms;
    }
    if let Some(f) = args.on_timeout {
        config.on_timeout = f.into();
    }
    if let Some(f) = args.on_error {
        config.on_error = f.into();
    }
    if let Some(c) = &args.cluster {
        config.cluster = c.clone();
    }
    let policy = if args.policy.is_empty() {
        drydock_policy::RegoPolicy::from_sources_package(
            &[("admission.rego".to_string(), DEFAULT_POLICY.to_string())],
            drydock_webhook::POLICY_PACKAGE,
        )?
    } else {
        drydock_webhook::load_policy(&args.policy)?
    };
    let keys = read_public_keys(&args.key)?;
    // `--insecure` alone has no image to take the registry from here: it means every
    // registry (the webhook sees many)
    let mut reg = args.registry.clone();
    let all_insecure = reg.insecure.iter().any(String::is_empty);
    reg.insecure.retain(|h| !h.is_empty());
    let client = drydock_registry::RegistryClient::new(&drydock_registry::RegistryOptions {
        insecure_hosts: reg.insecure.clone(),
        plain_http: all_insecure,
        username: reg.username.clone(),
        password: reg.password.clone(),
        env_credentials: true,
        // a webhook must answer within its timeout: fail fast on a dead registry
        connect_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(10),
        max_retries: 1,
        retry_base_delay: Duration::from_millis(100),
        ..Default::default()
    })?;
    let backend = Arc::new(drydock_webhook::registry::RegistryBackend::new(
        client, keys,
    ));
    let mut scan_flags = registry_scan_flags(&args.registry, &args.db, &args.feeds);
    if all_insecure {
        // each scanned image's own registry
        scan_flags.retain(|f| f != "--insecure");
        scan_flags.push("--insecure".into());
    }
    let scanner = Arc::new(CliScanner {
        flags: scan_flags,
        server: args.server.clone().map(|s| (s, args.server_token.clone())),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let reporter = args
            .server
            .as_ref()
            .map(|s| RuntimeReporter::start(s, args.server_token.clone(), args.runtime_queue));
        let webhook = Arc::new(Webhook::new(
            config,
            policy,
            backend.clone(),
            backend,
            scanner,
            reporter,
        ));
        drydock_webhook::serve(
            webhook,
            args.listen,
            TlsFiles {
                cert: args.tls_cert.clone(),
                key: args.tls_key.clone(),
            },
            Duration::from_secs(args.cert_reload_interval.max(1)),
        )
        .await
    })
    .context("serving the webhook")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_testkit as tk;

    /// A real `drydock-server` (SQLite, DB from the real Alpine 3.20 secdb) holding a real
    /// Alpine 3.20.3 image: the webhook's lookup answers from it without any scan, unknown
    /// digests and refused tokens fall through to the on-demand scan (`None`).
    #[test]
    fn a_digest_the_server_knows_is_not_scanned_again() {
        let dir = tempfile::tempdir().unwrap();
        let feeds = dir.path().join("feeds/alpine-secdb/v3.20");
        std::fs::create_dir_all(&feeds).unwrap();
        std::fs::copy(
            tk::shared_dir().join("feeds/alpine-secdb/v3.20/main.json"),
            feeds.join("main.json"),
        )
        .unwrap();
        let archive = dir.path().join("alpine.tar");
        tk::write_docker_archive(
            &archive,
            &[tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"))],
            &tk::ImageConfig::default(),
            tk::Compression::None,
            None,
        );
        let image = drydock_image::Image::open(&archive, &Default::default()).unwrap();
        let layers = drydock_image::analyze_image(
            &image,
            &drydock_inventory::InventoryAnalyzer::image(),
            &Default::default(),
            &|_, _| {},
        )
        .unwrap();
        let ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
        let inv =
            drydock_inventory::build_inventory(&drydock_image::MergedView::apply(layers), &ids);
        let digest = format!("sha256:{}", "ab".repeat(32));

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (url, read, submit_only, expected) = rt.block_on(async {
            let cfg = drydock_server::Config::new(
                &format!("sqlite://{}", dir.path().join("s.sqlite").display()),
                &dir.path().join("data"),
                drydock_server::DbSource::Feeds(dir.path().join("feeds")),
            );
            let engine = drydock_server::Engine::new(cfg).await.unwrap();
            engine.tick(false).await.unwrap();
            let now = engine.now();
            let org = engine.store.ensure_org("acme", now).await.unwrap();
            use drydock_server::store::{CiContext, ImageMeta, Scope};
            let meta = ImageMeta {
                digest: digest.clone(),
                repo: "registry.example/team/app".into(),
                tags: vec!["1.0".into()],
                ..Default::default()
            };
            let stored = engine
                .store_inventory(org, &meta, &CiContext::default(), "submit", inv)
                .await
                .unwrap();
            let read = engine
                .store
                .create_token(
                    org,
                    "webhook",
                    &[Scope::Read, Scope::Submit].into_iter().collect(),
                    now,
                )
                .await
                .unwrap();
            let submit_only = engine
                .store
                .create_token(org, "runtime", &[Scope::Submit].into_iter().collect(), now)
                .await
                .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                drydock_server::serve(engine, listener, std::future::pending())
                    .await
                    .unwrap();
            });
            (format!("http://{addr}"), read, submit_only, stored)
        });
        let scanner = |token: &str| CliScanner {
            flags: vec![],
            server: Some((url.clone(), Some(token.to_string()))),
        };

        let s = scanner(&read)
            .lookup(&digest)
            .expect("the server knows the digest");
        assert_eq!(s.digest, digest);
        assert_eq!(s.packages, expected.packages);
        assert!(s.packages >= 14, "{s:?}");
        assert_eq!(s.findings, expected.findings.len());
        assert!(s.findings > 0, "{s:?}");
        assert_eq!(
            s.fixable,
            expected.findings.iter().filter(|f| f.fixable).count()
        );
        assert_eq!(s.by_severity.values().sum::<usize>(), s.findings);
        assert_eq!(s.os.as_deref(), Some("Alpine Linux v3.20"));
        assert!(s.scanned_at.starts_with("20"), "{s:?}");

        let other = format!("sha256:{}", "cd".repeat(32));
        assert!(scanner(&read).lookup(&other).is_none());
        // a token without `read` is refused: the webhook scans on demand instead
        assert!(scanner(&submit_only).lookup(&digest).is_none());
        assert!(
            CliScanner {
                flags: vec![],
                server: None
            }
            .lookup(&digest)
            .is_none()
        );
        drop(rt);
    }
}

//! `drydock server`, `drydock query`, `drydock report`, and `drydock image --submit`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use drydock_server::store::{CiContext, ImageMeta, Scope};
use drydock_server::{Config, DbSource, Engine, SubmitResponse};

use crate::ImageArgs;

fn parse_duration(s: &str) -> Result<Duration, String> {
    drydock_server::sla::parse_duration(s)
        .map(|n| Duration::from_secs(n as u64))
        .ok_or_else(|| format!("{s:?}: expected a duration such as 30s, 10m, 6h, 1d"))
}

fn parse_sla(s: &str) -> Result<drydock_server::sla::SlaPolicy, String> {
    drydock_server::sla::SlaPolicy::parse(s)
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    pub action: Option<ServerAction>,
    #[command(flatten)]
    pub run: ServerRunArgs,
}

#[derive(Subcommand)]
pub enum ServerAction {
    /// Create an API token (the org is created when missing) and print it; only its hash is
    /// stored.
    Token(TokenArgs),
}

#[derive(Args)]
pub struct StoreArgs {
    /// Store URL: `sqlite://PATH` (default: `<data dir>/drydock.sqlite`) or
    /// `postgres://user:pass@host/db` (several replicas can share one PostgreSQL).
    #[arg(long, env = "DRYDOCK_DATABASE_URL")]
    pub database: Option<String>,
    /// Directory for the SQLite store, vulnerability DB versions and downloaded feeds
    /// [default: <user data dir>/drydock-server].
    #[arg(long, env = "DRYDOCK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl StoreArgs {
    fn data_dir(&self) -> Result<PathBuf> {
        match &self.data_dir {
            Some(d) => Ok(d.clone()),
            None => Ok(dirs::data_dir()
                .context("no user data directory; pass --data-dir")?
                .join("drydock-server")),
        }
    }
    fn database(&self) -> Result<String> {
        match &self.database {
            Some(d) => Ok(d.clone()),
            None => {
                let dir = self.data_dir()?;
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Ok(format!("sqlite://{}", dir.join("drydock.sqlite").display()))
            }
        }
    }
}

#[derive(Args)]
pub struct ServerRunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "DRYDOCK_LISTEN")]
    pub listen: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Build the vulnerability DB from this folder of feeds (laid out like ../shared/feeds) on
    /// every scheduled update, instead of downloading the feeds.
    #[arg(long, env = "DRYDOCK_FEEDS", conflicts_with = "vulndb")]
    pub feeds: Option<PathBuf>,
    /// Use this vulnerability DB file, maintained by `drydock db update` elsewhere; the server
    /// re-reads it on every scheduled update and re-matches what changed.
    #[arg(long, env = "DRYDOCK_VULNDB")]
    pub vulndb: Option<PathBuf>,
    /// How often the vulnerability DB is updated (and the feed diff re-matched).
    #[arg(long, default_value = "6h", value_parser = parse_duration)]
    pub db_update_interval: Duration,
    /// How often every stored inventory is re-matched in full (safety net).
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub full_rematch_interval: Duration,
    /// Scheduler period: background jobs and notifications are picked up this often.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub tick: Duration,
    /// SLA due times per severity from first seen (e.g. `critical=24h,high=7d,medium=30d,low=90d`;
    /// `none` removes one) [default: critical=24h,high=7d,medium=30d].
    #[arg(long, value_parser = parse_sla)]
    pub sla: Option<drydock_server::sla::SlaPolicy>,
    /// Submissions fail their verdict when an open finding is at least this severe.
    #[arg(long, default_value = "critical", value_parser = crate::parse_severity)]
    pub fail_on: drydock_vulndb::Severity,
    /// Only findings with a fix available fail the verdict.
    #[arg(long)]
    pub fail_on_fixable_only: bool,
    /// A drydock.yaml policy whose gate is the verdict of every submission (fail_on, rules,
    /// ignores with expiry), as `drydock image --policy` decides it; replaces --fail-on.
    #[arg(long, env = "DRYDOCK_POLICY")]
    pub policy: Option<PathBuf>,
    /// How often each watched registry repository (`POST /api/v1/watches`) has its tags
    /// listed; registry notifications make a repository due at once.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub watch_interval: Duration,
    /// At most this many tags of one watched repository are resolved per poll.
    #[arg(long, default_value_t = 1000)]
    pub watch_max_tags: usize,
    /// Do not poll or scan registries (watches stay stored; notifications are refused).
    #[arg(long)]
    pub no_registry: bool,
    /// This replica's name in job locks [default: $HOSTNAME-pid].
    #[arg(long, env = "DRYDOCK_REPLICA_ID")]
    pub replica_id: Option<String>,
    /// On start, create this org and an admin token for it when `--bootstrap-token-file`
    /// does not exist yet; the token is written to that file (mode 0600).
    #[arg(long, requires = "bootstrap_token_file")]
    pub bootstrap_org: Option<String>,
    /// File receiving the bootstrap admin token (see --bootstrap-org).
    #[arg(long)]
    pub bootstrap_token_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct TokenArgs {
    /// The org (tenant) the token belongs to.
    #[arg(long)]
    pub org: String,
    /// Scopes (comma-separated): submit, read, admin.
    #[arg(long, value_delimiter = ',', default_value = "submit,read")]
    pub scopes: Vec<String>,
    /// A name to recognise the token by.
    #[arg(long, default_value = "cli")]
    pub name: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Args)]
pub struct ClientArgs {
    /// Drydock server base URL.
    #[arg(long, env = "DRYDOCK_SERVER")]
    pub server: String,
    /// API token (read scope).
    #[arg(long, env = "DRYDOCK_TOKEN", hide_env_values = true)]
    pub token: String,
}

#[derive(Args)]
pub struct QueryArgs {
    /// Filter expression, e.g. `severity >= high and age > 30d and fixable and namespace = prod`
    /// (docs/server.md lists the fields); empty = every open finding.
    #[arg(default_value = "")]
    pub query: String,
    #[command(flatten)]
    pub client: ClientArgs,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// At most this many findings.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Also fixed findings.
    #[arg(long)]
    pub include_fixed: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Filter expression selecting the findings (empty = every open finding).
    #[arg(long, default_value = "")]
    pub query: String,
    /// Report format: csv, pdf or json.
    #[arg(long, short = 'f', default_value = "csv", value_parser = ["csv", "pdf", "json"])]
    pub format: String,
    /// Write the report here instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run_server(args: &ServerArgs) -> Result<ExitCode> {
    match &args.action {
        Some(ServerAction::Token(t)) => run_token(t),
        None => run_serve(&args.run),
    }
}

fn run_token(t: &TokenArgs) -> Result<ExitCode> {
    let scopes: BTreeSet<Scope> = t
        .scopes
        .iter()
        .map(|s| {
            Scope::parse(s).with_context(|| format!("--scopes: {s:?} is not submit, read or admin"))
        })
        .collect::<Result<_>>()?;
    let url = t.store.database()?;
    runtime()?.block_on(async {
        let store = drydock_server::store::Store::connect(&url).await?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let org = store.ensure_org(&t.org, now).await?;
        let token = store.create_token(org, &t.name, &scopes, now).await?;
        println!("{token}");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run_serve(a: &ServerRunArgs) -> Result<ExitCode> {
    let data_dir = a.store.data_dir()?;
    let url = a.store.database()?;
    let source = match (&a.feeds, &a.vulndb) {
        (Some(f), _) => DbSource::Feeds(f.clone()),
        (None, Some(v)) => DbSource::File(v.clone()),
        (None, None) => DbSource::Download(Box::default(), Box::default()),
    };
    let mut cfg = Config::new(&url, &data_dir, source);
    cfg.db_update_interval = Some(a.db_update_interval);
    cfg.full_rematch_interval = Some(a.full_rematch_interval);
    cfg.tick = a.tick;
    if let Some(s) = &a.sla {
        cfg.sla = s.clone();
    }
    cfg.fail_on = a.fail_on;
    cfg.fail_on_fixable_only = a.fail_on_fixable_only;
    if let Some(r) = &a.replica_id {
        cfg.replica_id = r.clone();
    }
    if let Some(p) = &a.policy {
        let policy = drydock_policy::Policy::load(p).map_err(|e| anyhow::anyhow!("{e}"))?;
        for d in &policy.diagnostics {
            eprintln!("{d}");
        }
        cfg.policy = Some(std::sync::Arc::new(policy));
    }
    cfg.watch_interval = a.watch_interval;
    cfg.watch_max_tags = a.watch_max_tags;
    if !a.no_registry {
        cfg.registry = Some(std::sync::Arc::new(
            drydock_server::watch::RegistryScanner::default(),
        ));
    }
    runtime()?.block_on(async {
        let engine = Engine::new(cfg).await.context("opening the store")?;
        if let (Some(org), Some(file)) = (&a.bootstrap_org, &a.bootstrap_token_file)
            && !file.exists()
        {
            let now = engine.now();
            let id = engine.store.ensure_org(org, now).await?;
            let scopes = [Scope::Admin, Scope::Read, Scope::Submit]
                .into_iter()
                .collect();
            let token = engine
                .store
                .create_token(id, "bootstrap", &scopes, now)
                .await?;
            write_secret(file, &token)?;
            eprintln!(
                "bootstrap admin token for org {org} written to {}",
                file.display()
            );
        }
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        eprintln!(
            "drydock server listening on http://{} (store: {})",
            listener.local_addr()?,
            if url.starts_with("sqlite") {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        drydock_server::serve(engine, listener, shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn write_secret(path: &std::path::Path, token: &str) -> Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "{token}")?;
    Ok(())
}

pub(crate) fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .context("HTTP client")
}

pub(crate) fn api_url(server: &str, path: &str) -> String {
    format!("{}{path}", server.trim_end_matches('/'))
}

/// An HTTP error answer as an error with the server's message.
pub(crate) fn check(
    resp: reqwest::blocking::Response,
    what: &str,
) -> Result<reqwest::blocking::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp.text().unwrap_or_default();
    let msg = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or(body);
    bail!("{what}: HTTP {status}: {msg}")
}

pub fn run_query(a: &QueryArgs) -> Result<ExitCode> {
    let resp = client()?
        .get(api_url(&a.client.server, "/api/v1/findings"))
        .bearer_auth(&a.client.token)
        .query(&[
            ("query", a.query.as_str()),
            ("limit", &a.limit.to_string()),
            (
                "include_fixed",
                if a.include_fixed { "true" } else { "false" },
            ),
        ])
        .send()
        .with_context(|| format!("querying {}", a.client.server))?;
    let v: serde_json::Value = check(resp, "query")?.json()?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v["findings"])?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "SEVERITY",
        "ID",
        "PACKAGE",
        "VERSION",
        "FIXED IN",
        "IMAGE",
        "FIRST SEEN",
        "SLA DUE",
    ]);
    let day = |v: &serde_json::Value| {
        v.as_i64()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .map(|t| t.date().to_string())
            .unwrap_or_default()
    };
    let findings = v["findings"].as_array().cloned().unwrap_or_default();
    for f in &findings {
        let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
        let mut due = day(&f["sla_due"]);
        if f["sla_breached"].as_bool() == Some(true) {
            due.push_str(" (breached)");
        }
        t.add_row([
            s("severity"),
            s("vuln_id"),
            s("package"),
            s("version"),
            s("fixed_version"),
            s("image"),
            day(&f["first_seen"]),
            due,
        ]);
    }
    println!("{t}");
    eprintln!("{} finding(s)", findings.len());
    Ok(ExitCode::SUCCESS)
}

pub fn run_report(a: &ReportArgs) -> Result<ExitCode> {
    let resp = client()?
        .get(api_url(&a.client.server, "/api/v1/reports"))
        .bearer_auth(&a.client.token)
        .query(&[("query", a.query.as_str()), ("format", a.format.as_str())])
        .send()
        .with_context(|| format!("requesting the report from {}", a.client.server))?;
    let bytes = check(resp, "report")?.bytes()?;
    match &a.output {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Image metadata for a submission: digest, repository, tags, layers from the report; user,
/// ports and labels from the image config (read again: manifest and config only, no layer).
fn image_meta(args: &ImageArgs, report: &drydock_report::Report) -> Result<ImageMeta> {
    let a = &report.artifact;
    let digest = a
        .manifest_digest
        .clone()
        .or_else(|| a.image_id.clone())
        .context("the image has neither a manifest digest nor an image id to submit under")?;
    let (mut repo, mut tags) = (String::new(), Vec::new());
    for rt in &a.repo_tags {
        // `repo:tag` where the repo may carry a registry port
        let (r, t) = match rt.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t)),
            _ => (rt.as_str(), None),
        };
        if repo.is_empty() {
            repo = r.to_string();
        }
        if r == repo
            && let Some(t) = t
        {
            tags.push(t.to_string());
        }
    }
    if repo.is_empty() && !std::path::Path::new(&a.source).exists() {
        repo = a.source.split(['@', ':']).next().unwrap_or("").to_string();
    }
    let platform: Option<drydock_image::Platform> = args
        .platform
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let (user, ports, labels) = match crate::scan::open_image(args, platform) {
        Ok(img) => (
            img.config.config.user.clone().filter(|u| !u.is_empty()),
            img.config.config.exposed_ports.keys().cloned().collect(),
            img.config.config.labels.clone(),
        ),
        Err(_) => (None, vec![], Default::default()),
    };
    Ok(ImageMeta {
        digest,
        repo,
        tags,
        labels,
        layers: a.layers.iter().map(|l| l.diff_id.clone()).collect(),
        config_user: user,
        config_ports: ports,
        platform: a.platform.clone(),
    })
}

/// `drydock image --submit URL`: write the local reports, send the SBOM + metadata + CI
/// context, print the server's verdict; a failed verdict is a policy failure exit code.
pub fn submit_report(args: &ImageArgs, report: drydock_report::Report) -> Result<ExitCode> {
    let server = args.submit.as_deref().expect("called with --submit");
    let token = args
        .token
        .as_deref()
        .context("--submit needs --token (or DRYDOCK_TOKEN)")?;
    let meta = image_meta(args, &report)?;
    let sbom_text = drydock_report::render(&report, drydock_report::Format::CycloneDx, false)
        .context("rendering the CycloneDX SBOM")?;
    let sbom: serde_json::Value = serde_json::from_str(&sbom_text)?;
    let ci = CiContext {
        pipeline: args.ci_pipeline.clone(),
        commit: args.ci_commit.clone(),
        branch: args.ci_branch.clone(),
        url: args.ci_url.clone(),
    };
    let body = serde_json::json!({ "sbom": sbom, "image": meta, "ci": ci });
    let local = crate::scan::finish(args, report)?;
    let resp = client()?
        .post(api_url(server, "/api/v1/images"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .with_context(|| format!("submitting to {server}"))?;
    let answer: SubmitResponse = check(resp, "submit")?
        .json()
        .context("reading the verdict")?;
    if !args.quiet || !answer.verdict.pass {
        let counts: Vec<String> = answer
            .counts
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        eprintln!(
            "submitted {} to {server} (image {}): {} — {}",
            answer.digest,
            answer.image_id,
            if answer.verdict.pass { "PASS" } else { "FAIL" },
            if counts.is_empty() {
                "no open findings".to_string()
            } else {
                counts.join(", ")
            }
        );
        if !answer.verdict.pass {
            eprintln!("server policy: {}", answer.verdict.rule);
            for r in &answer.verdict.reasons {
                eprintln!("  {r}");
            }
        }
    }
    if !answer.verdict.pass {
        return Ok(ExitCode::from(if args.exit_code != 0 {
            args.exit_code
        } else {
            1
        }));
    }
    Ok(local)
}

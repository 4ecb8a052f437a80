//! `drydock`: the command-line front end. Thin: parses flags, wires the crates together,
//! turns results into output and an exit code.

mod base_check;
mod config_cmd;
mod k8s_cmd;
mod registry_cmd;
mod scan;
mod server_cmd;
mod sign_cmd;
mod webhook_cmd;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "drydock",
    version,
    about = "Find what is wrong in a container image before it ships",
    long_about = "Drydock scans container images for known vulnerabilities in OS and language \
                  packages, secrets and misconfigurations, reading docker-archive tarballs, OCI \
                  image layouts, OCI archives and registries without a Docker daemon and without \
                  extracting them.\n\n\
                  Exit codes: 0 = pass (nothing left after filtering, or no gate set); \
                  N = policy failure: the value of --exit-code when findings remain, or when a \
                  --policy gate fails (1 when --exit-code is not set); 2 = invalid usage; \
                  3 = a scan error (unreadable image, missing DB, a registry refusing the \
                  credentials, ...)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log verbosity for diagnostics on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "warn", env = "DRYDOCK_LOG")]
    log_level: String,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image: docker-archive tar (`docker save`, optionally gzip/zstd), OCI layout
    /// directory, OCI archive, or a plain rootfs tarball.
    Image(ImageArgs),
    /// Scan a local directory (a source checkout or an unpacked root filesystem): language
    /// lockfiles and manifests (package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock,
    /// requirements*.txt, Pipfile.lock, uv.lock, pdm.lock, go.mod, Cargo.lock, Gemfile.lock,
    /// composer.lock, pom.xml, gradle.lockfile, packages.lock.json, ...), installed packages,
    /// secrets in every file, and OS packages when it holds a package DB. Same flags and
    /// outputs as `image`.
    Fs(ImageArgs),
    /// Match an SBOM (CycloneDX or SPDX JSON: Drydock's own, syft's, trivy's, ...) against the
    /// vulnerability DB without the image. Same flags and outputs as `image`.
    Sbom(ImageArgs),
    /// Scan many images of a registry: `registry scan host[:port]/repo` (all tags, or
    /// `--tags` globs, `--since` days) or `registry scan host[:port]` (every repository of
    /// the catalog), with a summary table per image.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Build, update and inspect the vulnerability database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Inspect or empty the layer-analysis cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Lint Dockerfiles and Kubernetes manifests (a file or a directory) for
    /// misconfigurations: root users, admin ports, secrets, privileged pods, unpinned images, ...
    Config(config_cmd::ConfigArgs),
    /// Run the Drydock server (API, continuous re-matching, reports; docs/server.md), or
    /// `server token` to create an API token.
    Server(Box<server_cmd::ServerArgs>),
    /// Query a Drydock server's findings with a filter expression
    /// (`severity >= high and fixable and namespace = prod`).
    Query(server_cmd::QueryArgs),
    /// Download a fleet report (CSV, PDF or JSON) from a Drydock server.
    Report(server_cmd::ReportArgs),
    /// Kubernetes: `k8s inventory` lists the images running in a cluster (through the
    /// Kubernetes API) as runtime records, printed as JSON or sent to a Drydock server.
    #[command(subcommand)]
    K8s(k8s_cmd::K8sCommand),
    /// Kubernetes admission webhook (HTTPS): checks every container image of Pods and
    /// workloads against the Rego admission policy (digest, scan, signature, root), per
    /// namespace mode (enforce, warn, audit); `/mutate` pins images by digest.
    Webhook(Box<webhook_cmd::WebhookArgs>),
    /// Sign an image with a cosign key (pushes `sha256-<hex>.sig`, cosign's tag scheme).
    Sign(sign_cmd::SignArgs),
    /// Verify an image's cosign key-based signatures; prints the verified payloads.
    Verify(sign_cmd::VerifyArgs),
    /// Attach a signed in-toto attestation (DSSE, `sha256-<hex>.att`): `--type vuln` attaches
    /// the scan report.
    Attest(sign_cmd::AttestArgs),
    /// Verify an image's attestations; prints the verified in-toto statements.
    VerifyAttestation(sign_cmd::VerifyAttestationArgs),
    /// Write a cosign key pair (`cosign.key` encrypted with COSIGN_PASSWORD, `cosign.pub`).
    GenerateKeyPair(sign_cmd::GenerateKeyPairArgs),
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Scan every tag of a repository, or every repository of a registry's catalog.
    Scan(registry_cmd::RegistryScanArgs),
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Vulnerability DB file [default: <user cache dir>/drydock/db/drydock.db].
    #[arg(long, env = "DRYDOCK_DB")]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    pub fn path(&self) -> Result<PathBuf> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => Ok(dirs::cache_dir()
                .context("no user cache directory; pass --db")?
                .join("drydock/db/drydock.db")),
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum PkgType {
    /// OS packages (dpkg, apk, rpm).
    Os,
    /// Language packages.
    Library,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Scanner {
    /// Known vulnerabilities in OS and language packages.
    Vuln,
    /// Secrets in layers and the image config.
    Secret,
    /// Misconfigurations of the image config (root user, admin ports, no HEALTHCHECK, secrets
    /// in Env/Labels). Not on by default.
    Misconfig,
}

fn parse_format(s: &str) -> Result<drydock_report::Format, String> {
    s.parse::<drydock_report::Format>()
        .map_err(|e| e.to_string())
}

/// One `--output` value: `PATH` (the `--format` report) or `FORMAT=PATH`.
#[derive(Clone, Debug)]
pub struct OutputSpec {
    pub format: Option<drydock_report::Format>,
    pub path: PathBuf,
}

fn parse_output(s: &str) -> Result<OutputSpec, String> {
    if let Some((f, p)) = s.split_once('=')
        && let Ok(format) = f.parse::<drydock_report::Format>()
    {
        if p.is_empty() {
            return Err(format!("{s}: no path after {f}="));
        }
        return Ok(OutputSpec {
            format: Some(format),
            path: PathBuf::from(p),
        });
    }
    Ok(OutputSpec {
        format: None,
        path: PathBuf::from(s),
    })
}

fn parse_severity(s: &str) -> Result<drydock_vulndb::Severity, String> {
    drydock_vulndb::Severity::parse(s)
        .ok_or_else(|| "expected CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN".to_string())
}

fn parse_status(s: &str) -> Result<drydock_vulndb::FixStatus, String> {
    drydock_vulndb::FixStatus::parse(&s.to_ascii_lowercase())
        .filter(|st| *st != drydock_vulndb::FixStatus::NotAffected)
        .ok_or_else(|| "expected fixed, not-fixed, wont-fix or end-of-life".to_string())
}

#[derive(Args, Clone)]
pub struct ImageArgs {
    /// The image: a path (tar file or OCI layout directory) or, when no such path exists, a
    /// registry reference `host[:port]/repo[:tag][@sha256:…]` (Docker Hub shorthand allowed).
    pub image: PathBuf,
    /// Registries (host[:port]) that may be reached over plain HTTP or with an unverified TLS
    /// certificate; `--insecure` alone means the registry of the image reference.
    #[arg(long, value_name = "HOST", num_args = 0..=1, default_missing_value = "", action = clap::ArgAction::Append)]
    pub insecure: Vec<String>,
    /// Registry user name (also DRYDOCK_REGISTRY_USERNAME, then ~/.docker/config.json).
    #[arg(long, env = "DRYDOCK_REGISTRY_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token (also DRYDOCK_REGISTRY_PASSWORD).
    #[arg(long, env = "DRYDOCK_REGISTRY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// When the DB does not exist yet, build it from this directory of recorded feeds (laid
    /// out like ../shared/feeds) instead of downloading the feeds.
    #[arg(long, env = "DRYDOCK_FEEDS")]
    pub feeds: Option<PathBuf>,
    /// Platform to select from a multi-platform image (os/arch[/variant]) [default:
    /// linux/amd64 when the index has it, else the only platform present].
    #[arg(long)]
    pub platform: Option<String>,
    /// Output format: table, json, sarif, cyclonedx, cyclonedx-vex (every finding with its VEX
    /// analysis, suppressed ones included), spdx-json, junit, csv, gitlab, html, pdf (binary:
    /// with no --output it is refused when stdout is a terminal).
    #[arg(long, short = 'f', default_value = "table", value_parser = parse_format)]
    pub format: drydock_report::Format,
    /// Write the report to this file instead of stdout; `FORMAT=PATH` writes that format
    /// there too (repeatable: `-o sarif=out.sarif -o cyclonedx=sbom.cdx.json`).
    #[arg(long, short = 'o', value_parser = parse_output)]
    pub output: Vec<OutputSpec>,
    /// Policy files (repeatable): a `drydock.yaml` (gate, per-rule overrides, ignores with
    /// expiry; docs/policy.md) and/or Rego files (`*.rego`, `data.drydock.deny`). When given,
    /// the policy's gate decides the exit code.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    /// OpenVEX documents (repeatable): `not_affected`/`fixed` statements suppress findings,
    /// `affected`/`under_investigation` annotate them.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Only report these severities (comma-separated: CRITICAL,HIGH,MEDIUM,LOW,NEGLIGIBLE,UNKNOWN).
    #[arg(long, short = 's', value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<drydock_vulndb::Severity>,
    /// Only report these fix states (comma-separated: fixed,not-fixed,wont-fix,end-of-life).
    #[arg(long, value_delimiter = ',', value_parser = parse_status)]
    pub status: Vec<drydock_vulndb::FixStatus>,
    /// Do not report vulnerabilities without a released fix.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Only report findings listed in CISA KEV (known exploited). With --epss-above and
    /// --cvss-above: a finding is kept when it meets any of them; all three combine with
    /// --severity/--status/--ignore-unfixed, and --exit-code fails on what is left.
    #[arg(long)]
    pub kev: bool,
    /// Only report findings whose EPSS score (FIRST's probability of exploitation in the
    /// next 30 days, 0-1) is at or above this, e.g. 0.1.
    #[arg(long, value_name = "PROBABILITY", value_parser = scan::parse_epss)]
    pub epss_above: Option<f64>,
    /// Only report findings whose highest CVSS v3/v4 base score (any source, NVD included)
    /// is at or above this, e.g. 7.
    #[arg(long, value_name = "SCORE", value_parser = scan::parse_cvss)]
    pub cvss_above: Option<f64>,
    /// Order of the findings in every output: severity, epss, cvss or kev (highest first)
    /// [default: by package].
    #[arg(long, value_enum)]
    pub sort_by: Option<scan::SortBy>,
    /// Which packages to catalog and match (comma-separated): `os` (dpkg, apk, rpm) and
    /// `library` (language packages: installed Python/npm/Java/Go/Rust/Ruby/PHP/.NET
    /// packages and binaries; in `drydock fs` also lockfiles and manifests).
    #[arg(long, value_delimiter = ',', value_enum, default_value = "os,library")]
    pub pkg_types: Vec<PkgType>,
    /// What to look for (comma-separated): `vuln` (package vulnerabilities), `secret`
    /// (secrets in every layer, also in files deleted later, and in the image config),
    /// `misconfig` (image-config checks).
    #[arg(long, value_delimiter = ',', value_enum, default_value = "vuln,secret")]
    pub scanners: Vec<Scanner>,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Secret-scanning config (TOML or YAML): extra rules, disabled rule ids, allow-lists
    /// (docs/secrets.md).
    #[arg(long, value_name = "FILE", env = "DRYDOCK_SECRET_CONFIG")]
    pub secret_config: Option<PathBuf>,
    /// Exit with this code when any finding remains after filtering (0 = never fail).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// No progress and no summary on stderr; only the report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Leave out the image hygiene section (base-image attribution, wasted bytes, multi-stage
    /// and minimal-base advice, score; docs/hygiene.md).
    #[arg(long)]
    pub no_hygiene: bool,
    /// Do not ask the base image's registry whether its tag now points to a newer build.
    /// By default, when the image names its base (`org.opencontainers.image.base.name`
    /// label), hygiene resolves that tag and, if it moved, scans the newer build to say how
    /// many base vulnerabilities a rebuild fixes (nothing is named when the registry cannot
    /// be reached within 3 s).
    #[arg(long)]
    pub no_base_check: bool,
    /// Skip checking each layer's sha256 against the diffID in the image config.
    #[arg(long)]
    pub no_verify_layers: bool,
    /// Number of layers analysed in parallel (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    pub parallel: usize,
    /// Layer-analysis cache directory [default: <user cache dir>/drydock/layers]. A layer seen
    /// before (same diffID, analyzers and options) is not read again — for a registry image,
    /// not even downloaded. Findings are never cached: a newer DB re-matches.
    #[arg(long, env = "DRYDOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer-analysis cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Upper bound of the layer-analysis cache in MiB; least-recently-used entries are evicted.
    #[arg(long, default_value_t = 2048)]
    pub cache_max_size: u64,
    /// Directory for temporary files (decompressed archives) [default: the system temp dir].
    #[arg(long, env = "DRYDOCK_TMPDIR")]
    pub temp_dir: Option<PathBuf>,
    /// Also send the SBOM, image metadata and CI context (never layer content) to this Drydock
    /// server; its policy verdict decides the exit code (a failed verdict exits with
    /// --exit-code, or 1).
    #[arg(long, value_name = "URL")]
    pub submit: Option<String>,
    /// API token for --submit (submit scope).
    #[arg(long, env = "DRYDOCK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// CI pipeline (name or id) sent with --submit.
    #[arg(long, env = "DRYDOCK_CI_PIPELINE")]
    pub ci_pipeline: Option<String>,
    /// Commit sent with --submit.
    #[arg(long, env = "DRYDOCK_CI_COMMIT")]
    pub ci_commit: Option<String>,
    /// Branch sent with --submit.
    #[arg(long, env = "DRYDOCK_CI_BRANCH")]
    pub ci_branch: Option<String>,
    /// Link to the CI run sent with --submit.
    #[arg(long, env = "DRYDOCK_CI_URL")]
    pub ci_url: Option<String>,
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Entries, size and bound.
    Info(CacheArgs),
    /// Remove every entry.
    Clean(CacheArgs),
    /// Evict least-recently-used entries beyond --cache-max-size.
    Prune(CacheArgs),
}

#[derive(Args)]
pub struct CacheArgs {
    /// Layer-analysis cache directory [default: <user cache dir>/drydock/layers].
    #[arg(long, env = "DRYDOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Bound in MiB.
    #[arg(long, default_value_t = 2048)]
    pub cache_max_size: u64,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Build the DB from a directory of feeds laid out like ../shared/feeds.
    Build {
        /// Feed directory.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Download the feeds from their public addresses (or mirrors) and rebuild the DB.
    Update(Box<scan::UpdateArgs>),
    /// Print schema version, build time, and per-feed record counts and dates.
    Info {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let result = match cli.command {
        Command::Image(args) => scan::run_scan(&args, scan::Target::Image),
        Command::Fs(args) => scan::run_scan(&args, scan::Target::Fs),
        Command::Registry(RegistryCommand::Scan(args)) => registry_cmd::run(&args),
        Command::Sbom(args) => scan::run_sbom(&args),
        Command::Db(DbCommand::Build { from, db }) => scan::run_db_build(&from, &db),
        Command::Db(DbCommand::Update(args)) => {
            scan::run_db_update(&args).map(|_| ExitCode::SUCCESS)
        }
        Command::Db(DbCommand::Info { db, json }) => scan::run_db_info(&db, json),
        Command::Cache(CacheCommand::Info(a)) => scan::run_cache(&a, "info"),
        Command::Cache(CacheCommand::Clean(a)) => scan::run_cache(&a, "clean"),
        Command::Cache(CacheCommand::Prune(a)) => scan::run_cache(&a, "prune"),
        Command::Config(args) => config_cmd::run(&args),
        Command::Server(args) => server_cmd::run_server(&args),
        Command::Query(args) => server_cmd::run_query(&args),
        Command::Report(args) => server_cmd::run_report(&args),
        Command::K8s(cmd) => k8s_cmd::run(&cmd),
        Command::Webhook(args) => webhook_cmd::run(&args),
        Command::Sign(args) => sign_cmd::run_sign(&args),
        Command::Verify(args) => sign_cmd::run_verify(&args),
        Command::Attest(args) => sign_cmd::run_attest(&args),
        Command::VerifyAttestation(args) => sign_cmd::run_verify_attestation(&args),
        Command::GenerateKeyPair(args) => sign_cmd::run_generate_key_pair(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // every scan error (unreadable image, missing DB, a registry refusing the
            // credentials, ...) is 3, distinct from a policy failure (--exit-code N)
            ExitCode::from(3)
        }
    }
}

//! The `image` and `db` commands.

use crate::{DbArgs, ImageArgs};
use anyhow::{Context, Result};
use clap::Args;
use drydock_image::{
    AnalyzeOptions, Both, Image, MergedView, OpenOptions, Platform, analyze_dir, analyze_image,
    analyze_image_cached,
};
use drydock_inventory::{InventoryAnalyzer, build_inventory};
use drydock_matcher::{Filter, match_inventory};
use drydock_report::Format;
use drydock_report::{Artifact, DbSummary, LayerSummary, Report, Summary, Tool};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Where downloaded feeds are kept [default: <db dir>/feeds].
    #[arg(long)]
    pub feeds_dir: Option<PathBuf>,
    /// Base URL of the Alpine secdb (mirror).
    #[arg(long, env = "DRYDOCK_ALPINE_SECDB_URL")]
    pub alpine_url: Option<String>,
    /// URL of the Debian security tracker JSON export (mirror).
    #[arg(long, env = "DRYDOCK_DEBIAN_TRACKER_URL")]
    pub debian_tracker_url: Option<String>,
    /// Base URL of the Debian security tracker data lists (`{base}/DSA/list`, ...).
    #[arg(long, env = "DRYDOCK_DEBIAN_LISTS_URL")]
    pub debian_lists_url: Option<String>,
    /// Base URL of the OSV bucket (`{base}/<Ecosystem>/all.zip`).
    #[arg(long, env = "DRYDOCK_OSV_URL")]
    pub osv_url: Option<String>,
    /// URL of the CISA KEV catalogue JSON.
    #[arg(long, env = "DRYDOCK_KEV_URL")]
    pub kev_url: Option<String>,
    /// URL of the RubySec advisory DB archive (tar.gz of the repository).
    #[arg(long, env = "DRYDOCK_RUBYSEC_URL")]
    pub rubysec_url: Option<String>,
    /// URL of the FriendsOfPHP security-advisories archive (tar.gz).
    #[arg(long, env = "DRYDOCK_FRIENDSOFPHP_URL")]
    pub friendsofphp_url: Option<String>,
    /// URL of the Node.js security WG archive (tar.gz).
    #[arg(long, env = "DRYDOCK_NODEJS_SECURITY_WG_URL")]
    pub nodejs_security_wg_url: Option<String>,
    /// Base URL of Red Hat's CSAF VEX folder (`archive_latest.txt`, `changes.csv`, ...).
    #[arg(long, env = "DRYDOCK_REDHAT_CSAF_URL")]
    pub redhat_csaf_url: Option<String>,
    /// URL of SUSE's CVRF archive (`cvrf.tar.bz2`; only with `--with-feeds suse-cvrf`).
    #[arg(long, env = "DRYDOCK_SUSE_CVRF_URL")]
    pub suse_cvrf_url: Option<String>,
    /// Base URL of the Photon OVAL folder.
    #[arg(long, env = "DRYDOCK_PHOTON_OVAL_URL")]
    pub photon_oval_url: Option<String>,
    /// URL of FIRST's daily EPSS scores (`epss_scores-current.csv.gz`).
    #[arg(long, env = "DRYDOCK_EPSS_URL")]
    pub epss_url: Option<String>,
    /// NVD CVE API 2.0 endpoint (only with `--with-feeds nvd`).
    #[arg(long, env = "DRYDOCK_NVD_URL")]
    pub nvd_url: Option<String>,
    /// NVD API key, sent as the `apiKey` header: 50 instead of 5 requests per 30 s.
    #[arg(long, env = "NVD_API_KEY", hide_env_values = true)]
    pub nvd_api_key: Option<String>,
    /// Photon releases whose OVAL to fetch (comma-separated, e.g. 3,4,5) [default: 1-5].
    #[arg(long, value_delimiter = ',')]
    pub photon_releases: Vec<String>,
    /// Skip feeds fetched by default (comma-separated: rubysec, friendsofphp,
    /// nodejs-security-wg, redhat-csaf, photon-oval, oracle-oval, epss).
    #[arg(long, value_delimiter = ',')]
    pub skip_feeds: Vec<String>,
    /// Also fetch opt-in feeds (comma-separated: suse-cvrf, a large archive re-downloaded
    /// whole each time; nvd, CVSS scores from the NVD API: every CVE on the first run,
    /// then only the changes).
    #[arg(long, value_delimiter = ',')]
    pub with_feeds: Vec<String>,
    /// OSV ecosystems to download (comma-separated) [default: the built-in list].
    #[arg(long, value_delimiter = ',')]
    pub osv_ecosystems: Vec<String>,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn stderr_tty(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

pub fn run_db_build(from: &Path, db: &DbArgs) -> Result<ExitCode> {
    let out = db.path()?;
    let started = std::time::Instant::now();
    let report = drydock_vulndb::build(from, &out, &drydock_vulndb::BuildOptions::default())
        .with_context(|| format!("building the vulnerability DB from {}", from.display()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "built {} in {:.1}s ({:.1} MiB)",
        out.display(),
        started.elapsed().as_secs_f64(),
        size as f64 / (1 << 20) as f64
    );
    for w in report.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_db_update(args: &UpdateArgs) -> Result<()> {
    let out = args.db.path()?;
    let feeds_dir = match &args.feeds_dir {
        Some(d) => d.clone(),
        None => out.parent().unwrap_or(Path::new(".")).join("feeds"),
    };
    let mut urls = drydock_vulndb::FeedUrls::default();
    if let Some(u) = &args.alpine_url {
        urls.alpine_secdb = u.clone();
    }
    if let Some(u) = &args.debian_tracker_url {
        urls.debian_tracker = u.clone();
    }
    if let Some(u) = &args.debian_lists_url {
        urls.debian_lists = u.clone();
    }
    if let Some(u) = &args.osv_url {
        urls.osv = u.clone();
    }
    if let Some(u) = &args.kev_url {
        urls.kev = u.clone();
    }
    if let Some(u) = &args.rubysec_url {
        urls.rubysec = u.clone();
    }
    if let Some(u) = &args.friendsofphp_url {
        urls.friendsofphp = u.clone();
    }
    if let Some(u) = &args.nodejs_security_wg_url {
        urls.nodejs_security_wg = u.clone();
    }
    if let Some(u) = &args.redhat_csaf_url {
        urls.redhat_csaf = u.clone();
    }
    if let Some(u) = &args.suse_cvrf_url {
        urls.suse_cvrf = u.clone();
    }
    if let Some(u) = &args.photon_oval_url {
        urls.photon_oval = u.clone();
    }
    if let Some(u) = &args.epss_url {
        urls.epss = u.clone();
    }
    if let Some(u) = &args.nvd_url {
        urls.nvd = u.clone();
    }
    let mut opts = drydock_vulndb::UpdateOptions::default();
    if !args.osv_ecosystems.is_empty() {
        opts.osv_ecosystems = args.osv_ecosystems.clone();
    }
    for f in &args.skip_feeds {
        match f.as_str() {
            "rubysec" => opts.rubysec = false,
            "friendsofphp" => opts.friendsofphp = false,
            "nodejs-security-wg" => opts.nodejs_security_wg = false,
            "redhat-csaf" => opts.redhat_csaf = false,
            "photon-oval" => opts.photon_oval.clear(),
            "oracle-oval" => opts.oracle_oval.clear(),
            "epss" => opts.epss = false,
            other => anyhow::bail!(
                "--skip-feeds: unknown feed {other} (rubysec, friendsofphp, \
                 nodejs-security-wg, redhat-csaf, photon-oval, oracle-oval, epss)"
            ),
        }
    }
    for f in &args.with_feeds {
        match f.as_str() {
            "suse-cvrf" => opts.suse_cvrf = true,
            "nvd" => opts.nvd = true,
            other => anyhow::bail!("--with-feeds: unknown feed {other} (suse-cvrf, nvd)"),
        }
    }
    if let Some(k) = args.nvd_api_key.as_deref().filter(|k| !k.trim().is_empty()) {
        opts.nvd_options.api_key = Some(k.trim().to_string());
        // the NVD allows 50 requests per 30 s with a key
        opts.nvd_options.request_delay = std::time::Duration::from_millis(700);
    }
    if !args.photon_releases.is_empty() {
        opts.photon_oval = args
            .photon_releases
            .iter()
            .map(|r| {
                let n = r.trim_end_matches(".0");
                format!("com.vmware.phsa-photon{n}.xml.gz")
            })
            .collect();
    }
    if !args.quiet {
        eprintln!(
            "downloading vulnerability feeds into {} ...",
            feeds_dir.display()
        );
    }
    let started = std::time::Instant::now();
    let report = drydock_vulndb::update(&urls, &feeds_dir, &out, &opts)
        .context("updating the vulnerability DB")?;
    if !args.quiet {
        eprintln!(
            "updated {} in {:.1}s",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        for w in report.warnings.iter().take(20) {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}

pub fn run_db_info(db: &DbArgs, json: bool) -> Result<ExitCode> {
    let path = db.path()?;
    let db = drydock_vulndb::Db::open(&path)
        .with_context(|| format!("opening the vulnerability DB {}", path.display()))?;
    let info = db.info()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!("database:        {}", path.display());
        println!("schema version:  {}", info.schema_version);
        println!("built at:        {}", info.built_at);
        println!("{:<24} {:>10}  newest", "feed", "records");
        for f in &info.feeds {
            println!(
                "{:<24} {:>10}  {}",
                f.name,
                f.records,
                f.newest_date.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Open the DB, creating it on first use (from `--feeds` if given, else by downloading).
fn ensure_db(args: &ImageArgs) -> Result<drydock_vulndb::Db> {
    let path = args.db.path()?;
    if !path.exists() {
        match &args.feeds {
            Some(dir) => {
                if !args.quiet {
                    eprintln!(
                        "vulnerability DB {} not found: building it from {} (first use)",
                        path.display(),
                        dir.display()
                    );
                }
                drydock_vulndb::build(dir, &path, &drydock_vulndb::BuildOptions::default())
                    .with_context(|| {
                        format!("building the vulnerability DB from {}", dir.display())
                    })?;
            }
            None => {
                if !args.quiet {
                    eprintln!(
                        "vulnerability DB {} not found: downloading the feeds (first use; \
                         pass --feeds <dir> to build from recorded feeds instead)",
                        path.display()
                    );
                }
                run_db_update(&UpdateArgs {
                    db: args.db.clone(),
                    feeds_dir: None,
                    alpine_url: None,
                    debian_tracker_url: None,
                    debian_lists_url: None,
                    osv_url: None,
                    kev_url: None,
                    rubysec_url: None,
                    friendsofphp_url: None,
                    nodejs_security_wg_url: None,
                    redhat_csaf_url: None,
                    suse_cvrf_url: None,
                    photon_oval_url: None,
                    epss_url: None,
                    nvd_url: None,
                    nvd_api_key: None,
                    photon_releases: vec![],
                    skip_feeds: vec![],
                    with_feeds: vec![],
                    osv_ecosystems: vec![],
                    quiet: args.quiet,
                })?;
            }
        }
    }
    drydock_vulndb::Db::open(&path)
        .with_context(|| format!("opening the vulnerability DB {}", path.display()))
}

fn filter(args: &ImageArgs) -> Filter {
    Filter {
        ignore_unfixed: args.ignore_unfixed,
        severities: args.severity.clone(),
        statuses: args.status.clone(),
    }
}

/// The lint checks' secret detector (ENV/ARG/LABEL values, RUN scripts, image Env/Labels): the
/// lint crate's built-in patterns plus every rule of the secrets crate.
pub fn lint_secret_detector(text: &str) -> Vec<drydock_lint::SecretMatch> {
    static SCANNER: std::sync::OnceLock<drydock_secrets::Scanner> = std::sync::OnceLock::new();
    let scanner = SCANNER.get_or_init(|| {
        drydock_secrets::Scanner::with_options(
            drydock_secrets::Rules::builtin(),
            drydock_secrets::ScanOptions {
                show_secrets: true,
                ..Default::default()
            },
        )
    });
    // the lint crate's own Dockerfile-specific patterns (e.g. `chpasswd` input) stay; the
    // secrets crate adds every credential rule it has, where they do not overlap
    let mut out = drydock_lint::builtin_detector(text);
    for m in scanner.scan_text("lint", text.as_bytes()) {
        let Some(secret) = m.secret.as_deref().filter(|s| !s.is_empty()) else {
            continue;
        };
        if let Some(start) = text.find(secret) {
            let end = start + secret.len();
            if out.iter().any(|o| o.start < end && start < o.end) {
                continue;
            }
            out.push(drydock_lint::SecretMatch {
                kind: m.rule_id.clone(),
                start,
                end,
            });
        }
    }
    out
}

/// Setuid/setgid files and world-writable directories from the layer walk that are still in
/// the final image: not deleted, and (for files) not written again by a later layer.
fn surviving_modes<T>(layers: &[drydock_image::LayerAnalysis<T>]) -> Vec<drydock_lint::LayerMode> {
    let mut out = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        for (path, mode, is_dir) in &l.special_modes {
            let later = &layers[i + 1..];
            let gone = later
                .iter()
                .any(|n| n.deleted(path) || (!is_dir && n.wrote(path)));
            if !gone {
                out.push(drydock_lint::LayerMode {
                    layer: l.index,
                    path: path.to_string(),
                    mode: *mode,
                    is_dir: *is_dir,
                });
            }
        }
    }
    out
}

/// The layer cache directory: the flag, else the user cache dir.
fn cache_dir(flag: &Option<PathBuf>) -> Result<PathBuf> {
    match flag {
        Some(d) => Ok(d.clone()),
        None => Ok(dirs::cache_dir()
            .context("no user cache directory; pass --cache-dir")?
            .join("drydock/layers")),
    }
}

pub fn run_cache(args: &crate::CacheArgs, action: &str) -> Result<ExitCode> {
    let dir = cache_dir(&args.cache_dir)?;
    let cache = drydock_image::LayerCache::open(&dir, args.cache_max_size << 20)?;
    match action {
        "clean" => println!("removed {} entries from {}", cache.clean()?, dir.display()),
        "prune" => println!("evicted {} entries from {}", cache.prune()?, dir.display()),
        _ => {
            let i = cache.info()?;
            println!("cache:    {}", i.dir.display());
            println!("entries:  {}", i.entries);
            println!(
                "size:     {:.1} MiB of {:.0} MiB",
                i.bytes as f64 / (1 << 20) as f64,
                i.max_bytes as f64 / (1 << 20) as f64
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The secret scanner: built-in rules plus the user's config, if any.
fn secret_scanner(args: &ImageArgs) -> Result<drydock_secrets::Scanner> {
    let rules = match &args.secret_config {
        Some(p) => {
            let cfg = drydock_secrets::load_config(p)
                .with_context(|| format!("reading secret config {}", p.display()))?;
            drydock_secrets::Rules::with_config(&cfg, &p.display().to_string())?
        }
        None => drydock_secrets::Rules::builtin(),
    };
    Ok(drydock_secrets::Scanner::with_options(
        rules,
        drydock_secrets::ScanOptions {
            show_secrets: args.show_secrets,
            ..Default::default()
        },
    ))
}

/// A local path when it exists, else a registry reference.
pub(crate) fn open_image(args: &ImageArgs, platform: Option<Platform>) -> Result<Image> {
    if args.image.exists() {
        return Image::open(
            &args.image,
            &OpenOptions {
                platform,
                temp_dir: args.temp_dir.clone(),
                ..Default::default()
            },
        )
        .with_context(|| format!("reading image {}", args.image.display()));
    }
    let text = args.image.to_string_lossy();
    let reference = drydock_registry::Reference::parse(&text).with_context(|| {
        format!("{text}: no such file or directory, and not a registry reference")
    })?;
    let insecure_hosts = args
        .insecure
        .iter()
        .map(|h| {
            if h.is_empty() {
                reference.registry().to_string()
            } else {
                h.clone()
            }
        })
        .collect();
    let opts = drydock_registry::RegistryOptions {
        insecure_hosts,
        username: args.username.clone(),
        password: args.password.clone(),
        env_credentials: true,
        parallel: if args.parallel == 0 { 4 } else { args.parallel },
        ..Default::default()
    };
    let client = drydock_registry::RegistryClient::new(&opts)?;
    let pulling = || format!("pulling {reference}");
    let m = client
        .resolve_manifest(&reference, platform.as_ref())
        .with_context(pulling)?;
    // image configs are cached by digest beside the layer analyses, so that a warm re-scan
    // downloads no blob at all; a cached copy that fails its digest check is fetched again
    let configs = (!args.no_cache)
        .then(|| cache_dir(&args.cache_dir).map(|d| d.join("configs")))
        .transpose()?;
    let cached_path = configs.as_ref().and_then(|d| {
        drydock_image::digest_hex(&m.config_digest)
            .ok()
            .map(|h| d.join(format!("{h}.json")))
    });
    let build = |config: &[u8]| {
        Image::from_manifest(
            &m.reference.to_string(),
            m.repo_tags(),
            &m.manifest_digest,
            &m.manifest,
            config,
            client.blob_fetcher(&reference),
        )
    };
    if let Some(bytes) = cached_path.as_ref().and_then(|p| std::fs::read(p).ok())
        && let Ok(image) = build(&bytes)
    {
        return Ok(image);
    }
    let config = client
        .fetch_config(&m, platform.as_ref())
        .with_context(pulling)?;
    let image = build(&config).with_context(pulling)?;
    if let (Some(dir), Some(path)) = (&configs, &cached_path) {
        // best effort: a cache that cannot be written only costs a download next time
        let _ = std::fs::create_dir_all(dir).and_then(|_| {
            let tmp = dir.join(format!(".tmp-{}", std::process::id()));
            std::fs::write(&tmp, &config)?;
            std::fs::rename(&tmp, path)
        });
    }
    Ok(image)
}

/// What `run_scan` reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An image (path or registry reference).
    Image,
    /// A local directory (source checkout, unpacked rootfs), read as one layer.
    Fs,
}

pub fn run_scan(args: &ImageArgs, target: Target) -> Result<ExitCode> {
    if let Some(code) = refuse_binary_on_tty(args) {
        return Ok(code);
    }
    let report = scan_report(args, target)?;
    if args.submit.is_some() {
        return crate::server_cmd::submit_report(args, report);
    }
    finish(args, report)
}

/// Apply `--policy`/`--vex`, write the reports, decide the exit code.
pub(crate) fn finish(args: &ImageArgs, report: Report) -> Result<ExitCode> {
    let (report, policy_gate) = apply_policy(args, report)?;
    write_reports(args, &report)?;
    if !args.quiet && (!args.output.is_empty() || args.format != Format::Table) {
        eprintln!("{}", drydock_report::summary_line(&report));
    }
    match policy_gate {
        Some(g) => {
            if !args.quiet || g.failed {
                eprintln!("policy gate: {}", g.summary());
            }
            Ok(if g.failed {
                ExitCode::from(if args.exit_code != 0 {
                    args.exit_code
                } else {
                    1
                })
            } else {
                ExitCode::SUCCESS
            })
        }
        None => {
            let code = gate(args, &report);
            if code != ExitCode::SUCCESS {
                eprintln!("{}", gate_reason(args, &report));
            }
            Ok(code)
        }
    }
}

/// Evaluate the policy files and VEX documents; the filtered report (suppressed items
/// removed, severities as rules set them, `policy` section filled) and, when a policy file
/// or Rego policy was given, its gate.
pub fn apply_policy(
    args: &ImageArgs,
    report: Report,
) -> Result<(Report, Option<drydock_policy::Gate>)> {
    if args.policy.is_empty() && args.vex.is_empty() {
        return Ok((report, None));
    }
    let (rego_files, yaml_files): (Vec<&PathBuf>, Vec<&PathBuf>) = args
        .policy
        .iter()
        .partition(|p| p.extension().is_some_and(|e| e == "rego"));
    if yaml_files.len() > 1 {
        anyhow::bail!("--policy: give at most one drydock.yaml (and any number of .rego files)");
    }
    let policy = yaml_files
        .first()
        .map(|p| drydock_policy::Policy::load(p))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rego = (!rego_files.is_empty())
        .then(|| drydock_policy::RegoPolicy::load(&rego_files))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let vex = args
        .vex
        .iter()
        .map(|p| drydock_policy::VexDoc::load(p))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = time::OffsetDateTime::now_utc().date();
    let ev = drydock_policy::evaluate(&report, policy.as_ref(), &vex, rego.as_ref(), now)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for d in &ev.diagnostics {
        eprintln!("{d}");
    }
    let mut filtered = ev.filtered_report(&report);
    filtered.policy = Some(serde_json::to_value(&ev)?);
    let gated = policy.is_some() || rego.is_some();
    Ok((filtered, gated.then(|| ev.gate.clone())))
}

/// The `--format` report to stdout (or to the plain `--output PATH`), plus every
/// `--output FORMAT=PATH`.
pub fn write_reports(args: &ImageArgs, report: &Report) -> Result<()> {
    let main_path = args
        .output
        .iter()
        .rev()
        .find(|o| o.format.is_none())
        .map(|o| o.path.as_path());
    let color = main_path.is_none() && std::io::stdout().is_terminal();
    let options = drydock_report::RenderOptions {
        color,
        ..Default::default()
    };
    let mut main = drydock_report::render_bytes(report, args.format, &options)
        .with_context(|| format!("rendering the {} report", args.format))?;
    if args.format == Format::Table
        && let Some(h) = report
            .hygiene
            .as_ref()
            .and_then(|v| serde_json::from_value::<drydock_hygiene::Hygiene>(v.clone()).ok())
    {
        main.push(b'\n');
        main.extend_from_slice(drydock_hygiene::render_text(&h).as_bytes());
    }
    // with only FORMAT=PATH outputs, stdout still gets the --format report
    write_output(main_path, &main)?;
    for o in &args.output {
        if let Some(f) = o.format {
            let bytes = drydock_report::render_bytes(report, f, &Default::default())
                .with_context(|| format!("rendering the {f} report"))?;
            write_output(Some(&o.path), &bytes)?;
        }
    }
    Ok(())
}

/// A binary `--format` (PDF) bound for stdout is refused when stdout is a terminal: a usage
/// error (exit 2), checked before scanning.
fn refuse_binary_on_tty(args: &ImageArgs) -> Option<ExitCode> {
    let to_stdout = !args.output.iter().any(|o| o.format.is_none());
    (args.format.is_binary() && to_stdout && std::io::stdout().is_terminal()).then(|| {
        eprintln!(
            "error: the {0} format is binary and stdout is a terminal: write it to a file \
             (--output report.{1}) or redirect stdout",
            args.format,
            args.format.extension()
        );
        ExitCode::from(2)
    })
}

/// Stdout, or the `--output` file.
pub fn write_output(output: Option<&Path>, rendered: impl AsRef<[u8]>) -> Result<()> {
    let rendered = rendered.as_ref();
    match output {
        Some(p) => {
            std::fs::write(p, rendered).with_context(|| format!("writing {}", p.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(rendered)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// The exit code for a report: `--exit-code` when anything remains after filtering.
pub fn gate(args: &ImageArgs, report: &Report) -> ExitCode {
    if args.exit_code != 0
        && (!report.findings.is_empty()
            || !report.secrets.is_empty()
            || !report.misconfigurations.is_empty())
    {
        return ExitCode::from(args.exit_code);
    }
    ExitCode::SUCCESS
}

/// `--epss-above`: a probability from 0 to 1.
pub fn parse_epss(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err("expected an EPSS probability from 0 to 1, e.g. 0.1".into()),
    }
}

/// `--cvss-above`: a base score from 0 to 10.
pub fn parse_cvss(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=10.0).contains(&v) => Ok(v),
        _ => Err("expected a CVSS base score from 0 to 10, e.g. 7".into()),
    }
}

/// `--sort-by`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// Severity, then CVSS score, highest first.
    Severity,
    /// EPSS score, highest first (findings without one last), then severity.
    Epss,
    /// Highest CVSS v3/v4 base score first (findings without one last), then severity.
    Cvss,
    /// CISA KEV-listed findings first, then EPSS, then severity.
    Kev,
}

/// Whether `--kev`, `--epss-above` and `--cvss-above` keep a finding: when none is given,
/// every finding; otherwise one meeting any of those given.
pub fn risk_filter_keeps(args: &ImageArgs, f: &drydock_matcher::Finding) -> bool {
    if !args.kev && args.epss_above.is_none() && args.cvss_above.is_none() {
        return true;
    }
    (args.kev && f.kev.is_some())
        || args
            .epss_above
            .is_some_and(|t| f.epss.as_ref().is_some_and(|e| e.score >= t))
        || args
            .cvss_above
            .is_some_and(|t| f.cvss_score().is_some_and(|c| c >= t))
}

/// Stable sort, highest risk first.
pub fn sort_findings(findings: &mut [drydock_matcher::Finding], by: SortBy) {
    use std::cmp::Ordering;
    let num = |a: Option<f64>, b: Option<f64>| -> Ordering {
        // descending, None last
        match (a, b) {
            (Some(x), Some(y)) => y.partial_cmp(&x).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    };
    let epss = |f: &drydock_matcher::Finding| f.epss.as_ref().map(|e| e.score);
    findings.sort_by(|a, b| match by {
        SortBy::Severity => b
            .severity
            .cmp(&a.severity)
            .then_with(|| num(a.cvss_score(), b.cvss_score())),
        SortBy::Epss => num(epss(a), epss(b)).then_with(|| b.severity.cmp(&a.severity)),
        SortBy::Cvss => {
            num(a.cvss_score(), b.cvss_score()).then_with(|| b.severity.cmp(&a.severity))
        }
        SortBy::Kev => b
            .kev
            .is_some()
            .cmp(&a.kev.is_some())
            .then_with(|| num(epss(a), epss(b)))
            .then_with(|| b.severity.cmp(&a.severity)),
    });
}

/// Why `--exit-code` fails the scan, for the summary on stderr.
pub fn gate_reason(args: &ImageArgs, report: &Report) -> String {
    let mut filters = Vec::new();
    if !args.severity.is_empty() {
        let s: Vec<&str> = args.severity.iter().map(|s| s.as_str()).collect();
        filters.push(format!("--severity {}", s.join(",")));
    }
    if !args.status.is_empty() {
        let s: Vec<&str> = args.status.iter().map(|s| s.as_str()).collect();
        filters.push(format!("--status {}", s.join(",")));
    }
    if args.ignore_unfixed {
        filters.push("--ignore-unfixed".into());
    }
    let mut risk = Vec::new();
    if args.kev {
        risk.push("in CISA KEV (--kev)".to_string());
    }
    if let Some(t) = args.epss_above {
        risk.push(format!("with EPSS ≥ {t} (--epss-above)"));
    }
    if let Some(t) = args.cvss_above {
        risk.push(format!("with CVSS ≥ {t:.1} (--cvss-above)"));
    }
    let mut parts = Vec::new();
    if !report.findings.is_empty() {
        let n = report.findings.len();
        let mut what = format!("{n} finding{}", if n == 1 { "" } else { "s" });
        if !risk.is_empty() {
            what.push(' ');
            what.push_str(&risk.join(" or "));
        }
        if !filters.is_empty() {
            what.push_str(&format!(" after {}", filters.join(" ")));
        }
        let mut seen = std::collections::BTreeSet::new();
        let ids: Vec<String> = report
            .findings
            .iter()
            .filter(|f| seen.insert(f.id.as_str()))
            .map(|f| {
                let mut why = Vec::new();
                if args.kev && f.kev.is_some() {
                    why.push("KEV".to_string());
                }
                if let (Some(_), Some(e)) = (args.epss_above, &f.epss) {
                    why.push(format!("EPSS {}", e.score));
                }
                if let (Some(_), Some(c)) = (args.cvss_above, f.cvss_score()) {
                    why.push(format!("CVSS {c:.1}"));
                }
                if why.is_empty() {
                    f.id.clone()
                } else {
                    format!("{} ({})", f.id, why.join(", "))
                }
            })
            .collect();
        let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
        let more = if ids.len() > 10 {
            format!(", … ({} more)", ids.len() - 10)
        } else {
            String::new()
        };
        parts.push(format!("{what}: {}{more}", shown.join(", ")));
    }
    if !report.secrets.is_empty() {
        parts.push(format!("{} secrets", report.secrets.len()));
    }
    if !report.misconfigurations.is_empty() {
        parts.push(format!(
            "{} misconfigurations",
            report.misconfigurations.len()
        ));
    }
    format!(
        "gate failed (--exit-code {}): {}",
        args.exit_code,
        parts.join("; ")
    )
}

/// Scan one image or directory into a report (nothing printed but progress).
pub fn scan_report(args: &ImageArgs, target: Target) -> Result<Report> {
    let filter = filter(args);
    let platform: Option<Platform> = args
        .platform
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let db = ensure_db(args)?;
    let image = match target {
        Target::Image => Some(open_image(args, platform)?),
        Target::Fs => None,
    };

    let bar = if stderr_tty(args.quiet) {
        let b = ProgressBar::new(image.as_ref().map_or(1, |i| i.layers.len()) as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} analysing layers {pos}/{len} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(b)
    } else {
        None
    };
    let secret_scanner = if args.scanners.contains(&crate::Scanner::Secret) {
        Some(secret_scanner(args)?)
    } else {
        None
    };
    let opts = AnalyzeOptions {
        verify_diff_ids: !args.no_verify_layers,
        parallelism: args.parallel,
        ..Default::default()
    };
    let progress = |_: &drydock_image::Layer, _cached: bool| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let kind = if image.is_some() {
        "image"
    } else {
        "directory"
    };
    let what = || format!("reading {kind} {}", args.image.display());
    let cache = if args.no_cache {
        None
    } else {
        Some(drydock_image::LayerCache::open(
            &cache_dir(&args.cache_dir)?,
            args.cache_max_size << 20,
        )?)
    };
    let libraries = args.pkg_types.contains(&crate::PkgType::Library);
    let inventory = match (&image, !libraries) {
        (_, true) => InventoryAnalyzer::os_only(),
        (Some(_), false) => InventoryAnalyzer::image(),
        (None, false) => InventoryAnalyzer::fs(),
    };
    // images: the hygiene analyzer reads package sizes in the same walk
    let hygiene_on = image.is_some() && !args.no_hygiene;
    let opts = AnalyzeOptions {
        record_sizes: hygiene_on,
        ..opts
    };
    type Layers<T> = Vec<drydock_image::LayerAnalysis<T>>;
    let split2 = |v: Layers<(
        Option<drydock_inventory::Artifact>,
        Option<drydock_hygiene::PkgSizes>,
    )>| {
        v.into_iter()
            .map(|l| l.split())
            .unzip::<_, _, Vec<_>, Vec<_>>()
    };
    let (layers, secret_layers, hygiene_layers) = match (&image, &secret_scanner) {
        (Some(image), Some(scanner)) if hygiene_on => {
            let analyzer = Both(Both(inventory, drydock_hygiene::HygieneAnalyzer), scanner);
            let all = match &cache {
                Some(c) => analyze_image_cached(image, &analyzer, &opts, c, &progress),
                None => analyze_image(image, &analyzer, &opts, &progress),
            }
            .with_context(what)?;
            let (ih, sec): (Vec<_>, Vec<_>) = all.into_iter().map(|l| l.split()).unzip();
            let (inv, hyg) = split2(ih);
            (inv, Some(sec), Some(hyg))
        }
        (Some(image), None) if hygiene_on => {
            let analyzer = Both(inventory, drydock_hygiene::HygieneAnalyzer);
            let ih = match &cache {
                Some(c) => analyze_image_cached(image, &analyzer, &opts, c, &progress),
                None => analyze_image(image, &analyzer, &opts, &progress),
            }
            .with_context(what)?;
            let (inv, hyg) = split2(ih);
            (inv, None, Some(hyg))
        }
        (Some(image), Some(scanner)) => {
            let analyzer = Both(inventory, scanner);
            let both = match &cache {
                Some(c) => analyze_image_cached(image, &analyzer, &opts, c, &progress),
                None => analyze_image(image, &analyzer, &opts, &progress),
            }
            .with_context(what)?;
            let (inv, sec): (Vec<_>, Vec<_>) = both.into_iter().map(|l| l.split()).unzip();
            (inv, Some(sec), None)
        }
        (Some(image), None) => (
            match &cache {
                Some(c) => analyze_image_cached(image, &inventory, &opts, c, &progress),
                None => analyze_image(image, &inventory, &opts, &progress),
            }
            .with_context(what)?,
            None,
            None,
        ),
        (None, Some(scanner)) => {
            let (inv, sec) = analyze_dir(&args.image, &Both(inventory, scanner))
                .with_context(what)?
                .split();
            (vec![inv], Some(vec![sec]), None)
        }
        (None, None) => (
            vec![analyze_dir(&args.image, &inventory).with_context(what)?],
            None,
            None,
        ),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut secrets = Vec::new();
    if let (Some(scanner), Some(sl)) = (&secret_scanner, &secret_layers) {
        secrets = drydock_secrets::secrets_from_layers(sl);
        if let Some(image) = &image {
            secrets.extend(scanner.scan_image_config(&image.config));
        } else {
            // a directory is not a layer: report paths as they are, without layer fields
            for s in &mut secrets {
                s.layer_index = None;
                s.layer_diff_id = None;
            }
        }
        secrets.retain(|s| {
            filter.severities.is_empty() || filter.severities.contains(&s.found.severity)
        });
    }

    let mut misconfigurations = Vec::new();
    if let Some(image) = &image
        && args.scanners.contains(&crate::Scanner::Misconfig)
    {
        let lint = drydock_lint::LintConfig {
            secret_detector: Some(&lint_secret_detector),
            ..Default::default()
        };
        let raw = (!image.config_json.is_null()).then_some(&image.config_json);
        misconfigurations = drydock_lint::lint_image_config(&image.config, raw, &lint);
        misconfigurations.extend(drydock_lint::lint_layer_modes(
            &surviving_modes(&layers),
            &lint,
        ));
        misconfigurations.retain(|m: &drydock_lint::Misconfig| {
            filter.severities.is_empty()
                || drydock_vulndb::Severity::parse(m.severity.as_str())
                    .is_some_and(|s| filter.severities.contains(&s))
        });
    }
    let mut warnings: Vec<String> = Vec::new();
    let layer_summaries: Vec<LayerSummary> = layers
        .iter()
        .map(|l| {
            let meta = image.as_ref().map(|i| &i.layers[l.index]);
            for w in &l.warnings {
                warnings.push(format!("layer {}: {w}", l.index));
            }
            LayerSummary {
                index: l.index,
                diff_id: l.diff_id.clone(),
                digest: meta.and_then(|m| m.digest.clone()),
                size: meta.map_or(l.stats.file_bytes, |m| m.size),
                uncompressed_size: l.stats.tar_bytes,
                files: l.stats.files,
                created_by: meta.and_then(|m| m.created_by.clone()),
            }
        })
        .collect();
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let view = MergedView::apply(layers);
    let inventory = build_inventory(&view, &diff_ids);
    let artifact = Artifact {
        kind: if image.is_some() {
            "image"
        } else {
            "filesystem"
        }
        .into(),
        source: args.image.display().to_string(),
        format: image
            .as_ref()
            .map_or("directory", |i| i.format.as_str())
            .into(),
        image_id: image.as_ref().and_then(|i| i.image_id.clone()),
        manifest_digest: image.as_ref().and_then(|i| i.manifest_digest.clone()),
        repo_tags: image
            .as_ref()
            .map(|i| i.repo_tags.clone())
            .unwrap_or_default(),
        platform: image
            .as_ref()
            .filter(|i| !i.config.os.is_empty())
            .map(|i| i.config.platform()),
        layers: layer_summaries,
    };
    let mut report = finish_report(
        args,
        &db,
        inventory,
        artifact,
        secrets,
        misconfigurations,
        warnings,
    )?;
    if let (Some(image), Some(hyg)) = (&image, &hygiene_layers) {
        let mut h = drydock_hygiene::analyze(&drydock_hygiene::HygieneInput {
            layers: hyg,
            config: &image.config,
            packages: &report.packages,
            os: report.os.as_ref(),
            findings: args
                .scanners
                .contains(&crate::Scanner::Vuln)
                .then_some(report.findings.as_slice()),
        });
        if !args.no_base_check && args.scanners.contains(&crate::Scanner::Vuln) {
            let platform: Option<Platform> = args.platform.as_deref().and_then(|p| p.parse().ok());
            crate::base_check::check(args, platform.as_ref(), &mut h);
        }
        report.hygiene = Some(serde_json::to_value(&h)?);
    }
    Ok(report)
}

/// Match an inventory and assemble the report (shared by image, fs and SBOM scans).
fn finish_report(
    args: &ImageArgs,
    db: &drydock_vulndb::Db,
    mut inventory: drydock_inventory::Inventory,
    artifact: Artifact,
    secrets: Vec<drydock_secrets::SecretFinding>,
    misconfigurations: Vec<drydock_lint::Misconfig>,
    mut warnings: Vec<String>,
) -> Result<Report> {
    let filter = filter(args);
    if !args.pkg_types.contains(&crate::PkgType::Os) {
        inventory.packages.retain(|p| !p.kind.is_os());
    }
    if !args.pkg_types.contains(&crate::PkgType::Library) {
        inventory.packages.retain(|p| p.kind.is_os());
    }
    warnings.append(&mut inventory.warnings);
    let matched = if args.scanners.contains(&crate::Scanner::Vuln) {
        match_inventory(db, &inventory).context("matching packages against the DB")?
    } else {
        drydock_matcher::MatchResult::default()
    };
    warnings.extend(matched.warnings);
    let mut findings: Vec<_> = matched
        .findings
        .into_iter()
        .filter(|f| filter.keep(f) && risk_filter_keeps(args, f))
        .collect();
    if let Some(by) = args.sort_by {
        sort_findings(&mut findings, by);
    }
    let info = db.info()?;
    Ok(Report {
        schema_version: drydock_report::SCHEMA_VERSION.into(),
        tool: Tool {
            name: "drydock".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        artifact,
        os: inventory.os.clone(),
        namespace: matched.namespace,
        db: Some(DbSummary {
            schema_version: info.schema_version.to_string(),
            built_at: info.built_at.clone(),
        }),
        summary: Summary::compute(&inventory.packages, &findings, &secrets),
        packages: inventory.packages,
        findings,
        secrets,
        misconfigurations,
        policy: None,
        hygiene: None,
        warnings,
        vex: Default::default(),
    })
}

/// `drydock sbom <file>`: match a CycloneDX or SPDX JSON SBOM without the image.
pub fn sbom_report(args: &ImageArgs) -> Result<Report> {
    let path = &args.image;
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading SBOM {}", path.display()))?
        .len();
    if size > drydock_inventory::sbom::MAX_SBOM_SIZE as u64 {
        anyhow::bail!(
            "SBOM {} is {size} bytes, over the {} byte limit",
            path.display(),
            drydock_inventory::sbom::MAX_SBOM_SIZE
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading SBOM {}", path.display()))?;
    let inventory = drydock_inventory::sbom::parse_sbom(&bytes)
        .with_context(|| format!("reading SBOM {}", path.display()))?;
    let db = ensure_db(args)?;
    let artifact = Artifact {
        kind: "sbom".into(),
        source: path.display().to_string(),
        format: "sbom".into(),
        image_id: None,
        manifest_digest: None,
        repo_tags: vec![],
        platform: None,
        layers: vec![],
    };
    finish_report(args, &db, inventory, artifact, vec![], vec![], vec![])
}

pub fn run_sbom(args: &ImageArgs) -> Result<ExitCode> {
    if let Some(code) = refuse_binary_on_tty(args) {
        return Ok(code);
    }
    let report = sbom_report(args)?;
    finish(args, report)
}

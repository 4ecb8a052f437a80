//! `drydock config <path>`: lint Dockerfiles and Kubernetes manifests in a file or directory.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use drydock_lint::{LintConfig, Severity, render_table, scan_config_path};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    /// Human-readable table, one per file.
    Table,
    /// The versioned JSON report (docs/misconfig-rules.md).
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| "expected CRITICAL, HIGH, MEDIUM or LOW".to_string())
}

#[derive(Args)]
pub struct ConfigArgs {
    /// A Dockerfile, a Kubernetes YAML file, or a directory to search for both.
    pub path: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ConfigFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma-separated: CRITICAL,HIGH,MEDIUM,LOW).
    #[arg(long, short = 's', value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<Severity>,
    /// Exit with this code when any misconfiguration remains after filtering (0 = never fail).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// No summary on stderr; only the report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Registries (or registry/path prefixes) base and workload images may come from
    /// (comma-separated); when set, images from elsewhere are reported.
    #[arg(long, value_delimiter = ',')]
    pub allowed_registries: Vec<String>,
    /// Severity of "image not pinned by digest" (DD-DF-012, DD-K8S-019).
    #[arg(long, value_parser = parse_severity)]
    pub digest_severity: Option<Severity>,
}

/// Run the scan; exit 1 when some file could not be linted (after writing the report).
pub fn run(args: &ConfigArgs) -> Result<ExitCode> {
    if !args.path.exists() {
        bail!("{}: no such file or directory", args.path.display());
    }
    let mut cfg = LintConfig {
        secret_detector: Some(&crate::scan::lint_secret_detector),
        allowed_registries: args.allowed_registries.clone(),
        ..LintConfig::default()
    };
    if let Some(s) = args.digest_severity {
        cfg.severity_overrides.insert("DD-DF-012".to_string(), s);
        cfg.severity_overrides.insert("DD-K8S-019".to_string(), s);
    }
    let mut report = scan_config_path(&args.path, &cfg);
    report.retain_severities(&args.severity);

    let text = match args.format {
        ConfigFormat::Json => report.to_json(),
        ConfigFormat::Table => {
            let color = args.output.is_none() && std::io::stdout().is_terminal();
            render_table(&report, color)
        }
    };
    match &args.output {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .context("writing the report")?;
        }
    }
    if !args.quiet {
        if report.files.is_empty() {
            eprintln!(
                "no Dockerfiles or Kubernetes manifests found in {}",
                args.path.display()
            );
        } else if args.output.is_some() || args.format != ConfigFormat::Table {
            eprintln!("{}", report.summary_line());
        }
    }
    if report.summary.errors > 0 {
        // The table on stdout already lists them; otherwise say it on stderr.
        if args.format != ConfigFormat::Table || args.output.is_some() {
            for f in report
                .files
                .iter()
                .filter(|f| f.status == drydock_lint::FileStatus::Error)
            {
                eprintln!("error: {}", f.error.as_deref().unwrap_or(&f.path));
            }
        }
        return Ok(ExitCode::from(3));
    }
    if args.exit_code != 0 && !report.misconfigurations.is_empty() {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

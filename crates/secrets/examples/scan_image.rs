//! Scan a container image for secrets and print the findings as JSON (used by
//! `bench/secrets.sh` until the CLI has `drydock image --scanners secret`).
//!
//! ```text
//! cargo run --release -p drydock-secrets --example scan_image -- <image> \
//!     [--config rules.toml|rules.yaml] [--show-secrets] [--explain-allowed] [--parallel N]
//!     [--max-file-size BYTES]
//! ```
//!
//! `<image>`: docker-archive, OCI layout/archive or rootfs tarball (anything
//! `drydock_image::Image::open` reads). Output on stdout:
//! `{"image", "layers", "tar_bytes", "files", "seconds", "findings": [...], "warnings": [...]}`.

use drydock_image::{AnalyzeOptions, Image, OpenOptions, analyze_image};
use drydock_secrets::{Rules, ScanOptions, Scanner, load_config, secrets_from_layers};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    image: PathBuf,
    config: Option<PathBuf>,
    opts: ScanOptions,
    parallel: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut image = None;
    let mut a = Args {
        image: PathBuf::new(),
        config: None,
        opts: ScanOptions::default(),
        parallel: 0,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--config" => a.config = Some(PathBuf::from(value("--config")?)),
            "--show-secrets" => a.opts.show_secrets = true,
            "--explain-allowed" => a.opts.explain_allowed = true,
            "--parallel" => {
                a.parallel = value("--parallel")?
                    .parse()
                    .map_err(|e| format!("--parallel: {e}"))?
            }
            "--max-file-size" => {
                a.opts.max_file_size = value("--max-file-size")?
                    .parse()
                    .map_err(|e| format!("--max-file-size: {e}"))?
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => image = Some(PathBuf::from(s)),
        }
    }
    a.image = image.ok_or("usage: scan_image <image> [--config FILE] [--show-secrets] [--explain-allowed] [--parallel N] [--max-file-size BYTES]")?;
    Ok(a)
}

fn run(args: Args) -> Result<serde_json::Value, String> {
    let started = Instant::now();
    let rules = match &args.config {
        Some(path) => {
            let cfg = load_config(path).map_err(|e| e.to_string())?;
            Rules::with_config(&cfg, &path.display().to_string()).map_err(|e| e.to_string())?
        }
        None => Rules::builtin(),
    };
    let scanner = Scanner::with_options(rules, args.opts);
    let image = Image::open(&args.image, &OpenOptions::default()).map_err(|e| e.to_string())?;
    let opts = AnalyzeOptions {
        parallelism: args.parallel,
        record_paths: true,
        ..AnalyzeOptions::default()
    };
    let layers = analyze_image(&image, &scanner, &opts, &|_, _| {}).map_err(|e| e.to_string())?;
    let tar_bytes: u64 = layers.iter().map(|l| l.stats.tar_bytes).sum();
    let files: u64 = layers.iter().map(|l| l.stats.files).sum();
    let warnings: Vec<String> = layers
        .iter()
        .flat_map(|l| {
            l.warnings
                .iter()
                .map(move |w| format!("layer {}: {w}", l.index))
        })
        .collect();
    let mut findings = secrets_from_layers(&layers);
    findings.extend(scanner.scan_image_config(&image.config));
    Ok(serde_json::json!({
        "image": args.image.display().to_string(),
        "layers": layers.len(),
        "tar_bytes": tar_bytes,
        "files": files,
        "seconds": started.elapsed().as_secs_f64(),
        "findings": findings,
        "warnings": warnings,
    }))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scan_image: {e}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scan_image: {e}");
            ExitCode::FAILURE
        }
    }
}

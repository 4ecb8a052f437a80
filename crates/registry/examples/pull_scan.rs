//! Pull an image from a registry and inventory it, streaming every layer once (no temp copy).
//! Used by `bench/registry.sh` until the CLI's `drydock image <ref>` is wired to the client.
//!
//! ```text
//! cargo run --release -p drydock-registry --example pull_scan -- \
//!     [--plain-http | --insecure] [--platform linux/arm64] [--parallel N] \
//!     [--username U --password P] 127.0.0.1:5000/test/alpine:3.20
//! pull_scan --file image.tar      # the same scan of a local image, for comparison
//! ```
//!
//! Prints one JSON line: digests, layer count, OS, package count, timings and client stats.

use drydock_image::{AnalyzeOptions, Image, MergedView, OpenOptions, Platform, analyze_image};
use drydock_inventory::{InventoryAnalyzer, build_inventory};
use drydock_registry::{Reference, RegistryClient, RegistryOptions};
use std::process::ExitCode;
use std::time::Instant;

fn usage() -> ExitCode {
    eprintln!(
        "usage: pull_scan [--plain-http] [--insecure] [--platform os/arch[/variant]] \
         [--parallel N] [--username U --password P] <reference>\n       pull_scan --file <image>"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut opts = RegistryOptions::default();
    let mut platform: Option<Platform> = None;
    let mut insecure = false;
    let mut target = None;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--plain-http" => opts.plain_http = true,
            "--insecure" => insecure = true,
            "--platform" => match args.next().map(|p| p.parse()) {
                Some(Ok(p)) => platform = Some(p),
                _ => return usage(),
            },
            "--parallel" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => opts.parallel = n,
                None => return usage(),
            },
            "--file" => file = args.next(),
            "--username" => opts.username = args.next(),
            "--password" => opts.password = args.next(),
            s if s.starts_with('-') => return usage(),
            s => target = Some(s.to_string()),
        }
    }
    if let Some(path) = file {
        let t0 = Instant::now();
        let image = match Image::open(std::path::Path::new(&path), &OpenOptions::default()) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        return scan(&image, opts.parallel, t0, None);
    }
    let Some(target) = target else {
        return usage();
    };
    let reference = match Reference::parse(&target) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if insecure {
        opts.insecure_hosts.push(reference.registry().to_string());
    }
    let t0 = Instant::now();
    let client = match RegistryClient::new(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let image = match client.open_image(&reference, platform.as_ref()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(if e.is_auth() { 3 } else { 1 });
        }
    };
    let t_resolve = t0.elapsed();
    scan(&image, opts.parallel, t0, Some((&client, t_resolve)))
}

fn scan(
    image: &Image,
    parallel: usize,
    t0: Instant,
    registry: Option<(&RegistryClient, std::time::Duration)>,
) -> ExitCode {
    let layers = match analyze_image(
        image,
        &InventoryAnalyzer::default(),
        &AnalyzeOptions {
            parallelism: parallel,
            ..AnalyzeOptions::default()
        },
        &|_, _| {},
    ) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let view = MergedView::apply(layers);
    let inventory = build_inventory(&view, &diff_ids);
    let total = t0.elapsed();
    let mut out = serde_json::json!({
        "source": image.source,
        "manifest_digest": image.manifest_digest,
        "image_id": image.image_id,
        "layers": image.layers.len(),
        "compressed_bytes": image.layers.iter().map(|l| l.size).sum::<u64>(),
        "os": inventory.os.as_ref().map(|o| format!("{} {}", o.id, o.version_id.clone().unwrap_or_default())),
        "packages": inventory.packages.len(),
        "total_ms": total.as_millis() as u64,
    });
    if let Some((client, t_resolve)) = registry {
        let s = client.stats();
        out["resolve_ms"] = serde_json::json!(t_resolve.as_millis() as u64);
        out["requests"] = serde_json::json!(s.requests);
        out["retries"] = serde_json::json!(s.retries);
        out["blob_bytes"] = serde_json::json!(s.blob_bytes);
    }
    println!("{out}");
    ExitCode::SUCCESS
}

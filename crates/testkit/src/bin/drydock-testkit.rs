//! `drydock-testkit`: the test kit's builders on the command line, for the `bench/` scripts.
//!
//! ```text
//! drydock-testkit cache-dir
//! drydock-testkit debian-rootfs <suite>
//! drydock-testkit lang-image-layers
//! drydock-testkit docker-archive <out.tar> [options] <layer.tar[.gz|.zst]>...
//! drydock-testkit oci-layout <dir> [options] <layer>...
//! drydock-testkit oci-archive <out.tar> [options] <layer>...
//! drydock-testkit layer-from-dir <dir> <out.tar>
//! drydock-testkit diff-layer <lower.tar> <upper-dir> <out.tar>
//! drydock-testkit million-files-layer <out.tar> <n>
//! drydock-testkit gzip-bomb <out.tar.gz> <file-size-bytes>
//!
//! options: --compression none|gzip|zstd   (docker-archive default none, OCI default gzip)
//!          --tag <repo:tag>               (docker-archive; repeatable)
//!          --modern                       (docker-archive: Docker >= 25 layout)
//!          --history <created_by>         (one per layer, repeatable)
//!          --env <K=V>                    (repeatable)
//! ```
//!
//! Prints what it wrote (path, digests, sizes) on stdout, one `key: value` per line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use drydock_testkit::*;

const USAGE: &str = "usage: drydock-testkit <command> ...
  cache-dir
  debian-rootfs <suite>
  lang-image-layers
  docker-archive <out.tar> [--compression none|gzip|zstd] [--tag T]... [--modern] [--history H]... [--env K=V]... <layer>...
  oci-layout <dir> [--compression ...] [--history H]... [--env K=V]... <layer>...
  oci-archive <out.tar> [--compression ...] [--history H]... [--env K=V]... <layer>...
  layer-from-dir <dir> <out.tar>
  diff-layer <lower.tar> <upper-dir> <out.tar>
  million-files-layer <out.tar> <n>
  gzip-bomb <out.tar.gz> <file-size-bytes>";

struct ImageArgs {
    out: PathBuf,
    compression: Option<Compression>,
    tags: Vec<String>,
    modern: bool,
    cfg: ImageConfig,
    layers: Vec<PathBuf>,
}

fn parse_image_args(args: &[String]) -> Result<ImageArgs, String> {
    let mut it = args.iter();
    let out = PathBuf::from(it.next().ok_or("missing output path")?);
    let mut a = ImageArgs {
        out,
        compression: None,
        tags: Vec::new(),
        modern: false,
        cfg: ImageConfig::default(),
        layers: Vec::new(),
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--compression" => {
                a.compression = Some(match value("--compression")?.as_str() {
                    "none" => Compression::None,
                    "gzip" => Compression::Gzip,
                    "zstd" => Compression::Zstd,
                    other => return Err(format!("unknown compression {other}")),
                })
            }
            "--tag" => a.tags.push(value("--tag")?),
            "--modern" => a.modern = true,
            "--history" => a.cfg.history.push(value("--history")?),
            "--env" => a.cfg.env.push(value("--env")?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            layer => a.layers.push(PathBuf::from(layer)),
        }
    }
    if a.layers.is_empty() {
        return Err("no layers given".into());
    }
    Ok(a)
}

fn print_image(path: &std::path::Path, d: &ImageDigests) {
    println!("path: {}", path.display());
    println!("manifest: {}", d.manifest_digest);
    println!("config: {}", d.config_digest);
    for (i, ((diff, dig), size)) in d
        .diff_ids
        .iter()
        .zip(&d.layer_digests)
        .zip(&d.layer_sizes)
        .enumerate()
    {
        println!("layer{i}: {dig} size={size} diff_id={diff}");
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.chars().last() {
        Some('K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M') => (&s[..s.len() - 1], 1 << 20),
        Some('G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.replace('_', "")
        .parse::<u64>()
        .map(|n| n * mult)
        .map_err(|e| format!("bad number {s:?}: {e}"))
}

fn run(args: &[String]) -> Result<(), String> {
    let (cmd, rest) = args.split_first().ok_or(USAGE)?;
    let start = Instant::now();
    match cmd.as_str() {
        "cache-dir" => println!("{}", cache_dir().display()),
        "lang-image-layers" => {
            for l in lang_image_layers()? {
                println!("{}", l.display());
            }
        }
        "debian-rootfs" => {
            let suite = rest.first().ok_or("missing suite")?;
            println!("{}", debian_rootfs_tar(suite)?.display());
        }
        "docker-archive" => {
            let a = parse_image_args(rest)?;
            let opts = DockerArchiveOptions {
                compression: a.compression.unwrap_or(Compression::None),
                repo_tags: a.tags,
                layout: if a.modern {
                    DockerLayout::Modern
                } else {
                    DockerLayout::Legacy
                },
            };
            let d = write_docker_archive_with(&a.out, &a.layers, &a.cfg, &opts);
            print_image(&a.out, &d);
        }
        "oci-layout" | "oci-archive" => {
            let a = parse_image_args(rest)?;
            let c = a.compression.unwrap_or(Compression::Gzip);
            let d = if cmd == "oci-layout" {
                write_oci_layout(&a.out, &a.layers, &a.cfg, c)
            } else {
                write_oci_archive(&a.out, &a.layers, &a.cfg, c)
            };
            print_image(&a.out, &d);
        }
        "layer-from-dir" => {
            let [dir, out] = rest else {
                return Err("layer-from-dir <dir> <out.tar>".into());
            };
            let n = layer_from_dir_to_file(dir, out);
            println!("path: {out}\nsize: {n}");
        }
        "diff-layer" => {
            let [lower, upper, out] = rest else {
                return Err("diff-layer <lower.tar> <upper-dir> <out.tar>".into());
            };
            let s = diff_layer(lower, upper, out);
            println!(
                "path: {out}\nchanged: {}\nwhiteouts: {}\nsize: {}",
                s.changed, s.whiteouts, s.bytes
            );
        }
        "million-files-layer" => {
            let [out, n] = rest else {
                return Err("million-files-layer <out.tar> <n>".into());
            };
            let n = parse_size(n)? as usize;
            let size = million_files_layer(std::path::Path::new(out), n);
            println!("path: {out}\nfiles: {n}\nsize: {size}");
        }
        "gzip-bomb" => {
            let [out, n] = rest else {
                return Err("gzip-bomb <out.tar.gz> <file-size-bytes>".into());
            };
            let n = parse_size(n)?;
            let size = hostile::gzip_bomb(std::path::Path::new(out), n);
            println!("path: {out}\nuncompressed_file: {n}\nsize: {size}");
        }
        "-h" | "--help" | "help" => println!("{USAGE}"),
        other => return Err(format!("unknown command {other}\n{USAGE}")),
    }
    eprintln!(
        "drydock-testkit {cmd}: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drydock-testkit: {e}");
            ExitCode::FAILURE
        }
    }
}

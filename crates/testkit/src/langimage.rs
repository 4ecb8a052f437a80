//! A Debian image with old language packages in it, for the language-package tests: built
//! once from real sources with the ecosystems' own tools and cached outside the repository.
//!
//! Layers (each an uncompressed tar, cached under `<cache_dir()>/lang-image-v2/`):
//! 0. `debootstrap --variant=minbase bookworm` ([`crate::debian_rootfs_tar`]);
//! 1. Python: `pip install --target usr/local/lib/python3.11/site-packages` of old
//!    requests, urllib3, Django (wheels) and PyYAML (built from its sdist);
//! 2. npm: `npm install` of old lodash, minimist and express into `/app`;
//! 3. Go: `/usr/bin/docker-registry` from Debian's `docker-registry` package (`apt-get
//!    download`);
//! 4. Rust: a small program built with `cargo auditable` against old smallvec and regex,
//!    at `/usr/local/bin/rustapp`;
//! 5. Java: the jars of Debian's `libyaml-snake-java`, `libcommons-compress-java` and `liblog4j1.2-java`, plus
//!    `/opt/app/app.war` holding them under `WEB-INF/lib/` (nested archives).
//!
//! Every tool used is the real one; nothing is fabricated. A file lock serialises builders.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rootfs::cache_dir;

/// Versions installed in the Python layer (`name==version`).
pub const PYTHON_PACKAGES: &[&str] = &["requests==2.19.1", "urllib3==1.24.1", "Django==2.2"];
/// Installed from its sdist (no wheel for this version on Linux).
pub const PYTHON_SDIST_PACKAGES: &[&str] = &["PyYAML==5.3.1"];
/// Packages installed in the npm layer (`name@version`; their dependencies come too).
pub const NPM_PACKAGES: &[&str] = &["lodash@4.17.4", "minimist@0.0.8", "express@4.15.0"];
/// Debian packages whose jars form the Java layer.
pub const JAVA_DEBS: &[&str] = &[
    "libyaml-snake-java",
    "libcommons-compress-java",
    "liblog4j1.2-java",
];
/// The Debian package carrying the Go binary.
pub const GO_DEB: &str = "docker-registry";

const RUST_CARGO_TOML: &str = r#"[package]
name = "rustapp"
version = "0.1.0"
edition = "2021"

[dependencies]
smallvec = "=1.6.0"
regex = "=1.5.4"

[profile.release]
opt-level = 1
"#;

const RUST_MAIN: &str = r#"fn main() {
    let mut v: smallvec::SmallVec<[u8; 4]> = smallvec::SmallVec::new();
    v.push(1);
    let re = regex::Regex::new("a+b").unwrap();
    println!("{} {}", v.len(), re.is_match("aab"));
}
"#;

/// The layer tars of the language test image, bottom first. Built on first use (needs root
/// for debootstrap, network access to the package registries, and `pip`, `npm`, `apt-get`,
/// `dpkg-deb`, `cargo`; `cargo-auditable` is installed with `cargo install` when missing).
///
/// # Errors
/// A message naming the step that failed and its output.
pub fn lang_image_layers() -> Result<Vec<PathBuf>, String> {
    let dir = cache_dir().join("lang-image-v2");
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let lock_path = dir.join("build.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("opening lock {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    let mut layers = vec![crate::debian_rootfs_tar("bookworm")?];
    layers.push(layer(&dir, "python", build_python)?);
    layers.push(layer(&dir, "npm", build_npm)?);
    layers.push(layer(&dir, "go", build_go)?);
    layers.push(layer(&dir, "rust", |s| build_rust(&dir, s))?);
    layers.push(layer(&dir, "java", build_java)?);
    Ok(layers)
}

/// `<dir>/<name>.tar`, made by `build` filling a staging directory when absent.
fn layer(
    dir: &Path,
    name: &str,
    build: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let tar = dir.join(format!("{name}.tar"));
    if tar.is_file() {
        return Ok(tar);
    }
    let staging = dir.join(format!("{name}.staging"));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| format!("removing {}: {e}", staging.display()))?;
    }
    fs::create_dir_all(&staging).map_err(|e| format!("creating {}: {e}", staging.display()))?;
    build(&staging).map_err(|e| format!("building the {name} layer: {e}"))?;
    let tmp = dir.join(format!("{name}.tar.tmp"));
    run(Command::new("tar")
        .arg("--numeric-owner")
        .arg("--owner=0")
        .arg("--group=0")
        .arg("--sort=name")
        .arg("--mtime=2024-01-01 00:00:00")
        .arg("-C")
        .arg(&staging)
        .arg("-cf")
        .arg(&tmp)
        .arg("."))?;
    fs::rename(&tmp, &tar).map_err(|e| format!("renaming {}: {e}", tmp.display()))?;
    let _ = fs::remove_dir_all(&staging);
    Ok(tar)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("running {shown}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!("{shown} failed ({}):\n{tail}", out.status));
    }
    Ok(())
}

fn python() -> String {
    std::env::var("DRYDOCK_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn build_python(staging: &Path) -> Result<(), String> {
    let site = staging.join("usr/local/lib/python3.11/site-packages");
    fs::create_dir_all(&site).map_err(|e| e.to_string())?;
    let pip = |extra: &[&str], pkgs: &[&str]| {
        run(Command::new(python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-compile",
            ])
            .args(["--disable-pip-version-check", "--no-warn-script-location"])
            .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
            .args(extra)
            .arg("--target")
            .arg(&site)
            .args(pkgs))
    };
    pip(
        &[
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--platform",
            "manylinux2014_x86_64",
        ],
        PYTHON_PACKAGES,
    )?;
    pip(&["--no-binary=:all:"], PYTHON_SDIST_PACKAGES)?;
    // scripts pip put in <target>/bin are not part of the site-packages tree
    let _ = fs::remove_dir_all(site.join("bin"));
    Ok(())
}

fn build_npm(staging: &Path) -> Result<(), String> {
    let app = staging.join("app");
    fs::create_dir_all(&app).map_err(|e| e.to_string())?;
    fs::write(
        app.join("package.json"),
        "{\"name\": \"drydock-lang-test-app\", \"version\": \"1.0.0\", \"private\": true}\n",
    )
    .map_err(|e| e.to_string())?;
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--silent",
        ])
        .arg("--prefix")
        .arg(&app)
        .args(NPM_PACKAGES))
}

/// `apt-get download` the packages into a temp dir and unpack them with `dpkg-deb -x`.
fn debs_into(staging: &Path, pkgs: &[&str]) -> Result<(), String> {
    let dl = tempfile::tempdir().map_err(|e| e.to_string())?;
    run(Command::new("apt-get")
        .current_dir(dl.path())
        .args(["download", "-q"])
        .args(pkgs))?;
    for e in fs::read_dir(dl.path()).map_err(|e| e.to_string())? {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "deb") {
            run(Command::new("dpkg-deb").arg("-x").arg(&p).arg(staging))?;
        }
    }
    Ok(())
}

fn build_go(staging: &Path) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    debs_into(tmp.path(), &[GO_DEB])?;
    let bin = staging.join("usr/bin");
    fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    fs::copy(
        tmp.path().join("usr/bin/docker-registry"),
        bin.join("docker-registry"),
    )
    .map_err(|e| format!("copying docker-registry: {e}"))?;
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn build_rust(dir: &Path, staging: &Path) -> Result<(), String> {
    let has_auditable = Command::new(cargo())
        .args(["auditable", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_auditable {
        run(Command::new(cargo()).args(["install", "--locked", "--quiet", "cargo-auditable"]))?;
    }
    let src = dir.join("rustapp");
    fs::create_dir_all(src.join("src")).map_err(|e| e.to_string())?;
    fs::write(src.join("Cargo.toml"), RUST_CARGO_TOML).map_err(|e| e.to_string())?;
    fs::write(src.join("src/main.rs"), RUST_MAIN).map_err(|e| e.to_string())?;
    // its own target dir: the outer `cargo test` holds the lock on the workspace's
    run(Command::new(cargo())
        .args(["auditable", "build", "--release", "--quiet"])
        .current_dir(&src)
        .env("CARGO_TARGET_DIR", src.join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET"))?;
    let bin = staging.join("usr/local/bin");
    fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    fs::copy(src.join("target/release/rustapp"), bin.join("rustapp"))
        .map_err(|e| format!("copying rustapp: {e}"))?;
    Ok(())
}

fn build_java(staging: &Path) -> Result<(), String> {
    debs_into(staging, JAVA_DEBS)?;
    // keep only the jars (Debian's docs are not part of the test)
    let _ = fs::remove_dir_all(staging.join("usr/share/doc"));
    let java = staging.join("usr/share/java");
    let mut jars: Vec<PathBuf> = fs::read_dir(&java)
        .map_err(|e| format!("{}: {e}", java.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            // the versioned names (Debian makes them symlinks to the unversioned files)
            p.extension().is_some_and(|x| x == "jar")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().chars().any(|c| c.is_ascii_digit()))
        })
        .collect();
    jars.sort();
    // a web application archive holding the same jars, as an application server deploys it
    let war_dir = staging.join("opt/app");
    fs::create_dir_all(&war_dir).map_err(|e| e.to_string())?;
    let file = fs::File::create(war_dir.join("app.war")).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("META-INF/MANIFEST.MF", opts)
        .map_err(|e| e.to_string())?;
    zip.write_all(b"Manifest-Version: 1.0\r\n\r\n")
        .map_err(|e| e.to_string())?;
    for jar in &jars {
        let name = jar.file_name().unwrap_or_default().to_string_lossy();
        zip.start_file(format!("WEB-INF/lib/{name}"), opts)
            .map_err(|e| e.to_string())?;
        // fs::read follows the symlink to the jar inside the staging tree
        zip.write_all(&fs::read(jar).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

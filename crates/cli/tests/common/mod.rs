//! Shared helpers for the end-to-end tests: run the real `drydock` binary on images the tests
//! build from real root filesystems, against DBs built from the real feeds in `../shared`.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use drydock_testkit as tk;

pub fn drydock() -> Command {
    let mut c = Command::cargo_bin("drydock").expect("drydock binary");
    // a private layer cache per test binary: never the user's, never another run's
    c.env_remove("DRYDOCK_DB")
        .env_remove("DRYDOCK_FEEDS")
        .env("DRYDOCK_CACHE_DIR", scratch("layer-cache"));
    c
}

/// A scratch dir under the target dir (kept for the life of the test binary).
pub fn scratch(name: &str) -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // scratch dirs of test processes that have ended (DBs and images: hundreds of MB each)
    SWEPT.call_once(|| {
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(pid) = name.strip_prefix("e2e-")
                && pid.parse::<u32>().is_ok()
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
    let d = root.join(format!("e2e-{}", std::process::id())).join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Build a DB with `drydock db build` from a feeds dir holding only the given subdirectories
/// of `../shared/feeds` (all of them when `subdirs` is empty).
pub fn build_db(name: &str, subdirs: &[&str]) -> PathBuf {
    let shared = tk::shared_dir().join("feeds");
    let from = if subdirs.is_empty() {
        shared
    } else {
        let d = scratch(&format!("feeds-{name}"));
        for s in subdirs {
            let link = d.join(s);
            if !link.exists() {
                std::os::unix::fs::symlink(shared.join(s), &link).unwrap();
            }
        }
        d
    };
    build_db_from(name, &from)
}

/// `drydock db build --from <from>` into a scratch DB named `name`.
pub fn build_db_from(name: &str, from: &Path) -> PathBuf {
    let db = scratch("db").join(format!("{name}.db"));
    drydock()
        .args(["db", "build", "--from"])
        .arg(from)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    db
}

/// The DB built from every feed in `../shared/feeds`, once per test binary.
/// The DB of every feed in `../shared/feeds` plus the hand-written npm/NuGet OSV records of
/// `crates/vulndb/tests/data/osv-handwritten` (as the OSV folder `_handwritten`).
pub fn full_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| build_db_from("full", &full_feeds()))
}

/// `../shared/feeds` with `osv/_handwritten` added, as a folder of symlinks.
pub fn full_feeds() -> PathBuf {
    let shared = tk::shared_dir().join("feeds");
    let d = scratch("feeds-full");
    for e in std::fs::read_dir(&shared).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        let link = d.join(&name);
        if name == "osv" {
            std::fs::create_dir_all(&link).unwrap();
            for o in std::fs::read_dir(e.path()).unwrap() {
                let o = o.unwrap();
                let l = link.join(o.file_name());
                if !l.exists() {
                    std::os::unix::fs::symlink(o.path(), &l).unwrap();
                }
            }
            let hw = link.join("_handwritten");
            if !hw.exists() {
                std::os::unix::fs::symlink(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../vulndb/tests/data/osv-handwritten"),
                    &hw,
                )
                .unwrap();
            }
        } else if !link.exists() {
            std::os::unix::fs::symlink(e.path(), &link).unwrap();
        }
    }
    d
}

/// Scan and return the parsed JSON report (asserting exit 0).
pub fn scan_json(image: &Path, db: &Path, extra: &[&str]) -> Value {
    scan_json_as("image", image, db, extra)
}

/// Like [`scan_json`] with another subcommand (`fs`).
pub fn scan_json_as(cmd: &str, image: &Path, db: &Path, extra: &[&str]) -> Value {
    let out = drydock()
        .arg(cmd)
        .arg(image)
        .arg("--db")
        .arg(db)
        .args(["--format", "json", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "drydock failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// (name, version) of every package in a report, sorted.
pub fn packages(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// (package, vulnerability id, fixed version) of every finding, sorted.
pub fn findings(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
                f["fixed_version"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `dpkg --compare-versions a lt b`, with the real dpkg (CI installs it).
pub fn dpkg_lt(a: &str, b: &str) -> bool {
    let st = std::process::Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .expect("dpkg must be installed (scripts/test.sh installs it)");
    st.success()
}

/// `dpkg-query -W` over a dpkg admin dir: (name, version) of installed packages, sorted.
pub fn dpkg_query(admindir: &Path) -> Vec<(String, String)> {
    let out = std::process::Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args(["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"])
        .output()
        .expect("dpkg-query must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut it = l.split('\t');
            let st = it.next()?;
            let (n, ver) = (it.next()?, it.next()?);
            // second letter is the state: n = not-installed, c = config-files only
            (!matches!(st.as_bytes().get(1), Some(b'n' | b'c')))
                .then(|| (n.to_string(), ver.to_string()))
        })
        .collect();
    v.sort();
    v
}

/// One insta settings wrapper for every snapshot: normalises what changes between runs
/// (scratch paths, timestamps, the tool version) so that snapshots only change with behaviour.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r#"/[^\s"]*/e2e-\d+/"#, "[SCRATCH]/");
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]");
    s.add_filter(
        &format!(
            r#""version": "{}""#,
            regex_escape(env!("CARGO_PKG_VERSION"))
        ),
        r#""version": "[VERSION]""#,
    );
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET over plain HTTP/1.0 (no client library needed).
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// A running `drydock server`: killed (and waited for) when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    pub port: u16,
}

impl ServerProcess {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `drydock server token --org ORG --scopes SCOPES --data-dir DATA`: the printed token.
pub fn server_token(data: &Path, org: &str, scopes: &str) -> String {
    let out = drydock()
        .args([
            "server",
            "token",
            "--org",
            org,
            "--scopes",
            scopes,
            "--data-dir",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The real `drydock server` on a free port of 127.0.0.1 (SQLite store in `data`, DB built
/// from `feeds`), once its first vulnerability DB is in place (`/healthz` names it).
pub fn start_server(data: &Path, feeds: &Path, extra: &[&str]) -> ServerProcess {
    let port = free_port();
    let bin = assert_cmd::cargo::cargo_bin("drydock");
    let child = std::process::Command::new(bin)
        .args([
            "server",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .arg("--feeds")
        .arg(feeds)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // owned at once: dropping it (also on the panic below) kills and waits
    let server = ServerProcess { child, port };
    let started = std::time::Instant::now();
    loop {
        if let Some(r) = http_get(port, "/healthz")
            && r.contains("\"update_id\"")
        {
            return server;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "server not ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A feeds folder holding only the real Alpine secdb of `../shared/feeds` (a symlink): a
/// small DB for servers whose tests do not need more.
pub fn alpine_feeds(name: &str) -> PathBuf {
    let feeds = scratch(name);
    let link = feeds.join("alpine-secdb");
    if !link.exists() {
        std::os::unix::fs::symlink(tk::shared_dir().join("feeds/alpine-secdb"), &link).unwrap();
    }
    feeds
}

//! `update` against a real HTTP server on 127.0.0.1 that serves the files of `../shared/feeds`
//! under the upstream URL paths.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use drydock_vulndb::{BuildOptions, Db, Error, FeedUrls, UpdateOptions, build, update};

const VUNNEL_DEBIAN: &str = "tests/unit/providers/debian/test-fixtures/input/debian.json";

/// What the server answers for one path.
#[derive(Clone)]
enum Reply {
    /// 200 with these bytes.
    Body(Vec<u8>),
    /// A bare status code.
    Status(u16),
    /// Announce `len` bytes, send `body`, close.
    ShortBody(Vec<u8>, u64),
}

/// A minimal HTTP/1.1 server: one request per connection, files from a path map.
struct Server {
    addr: String,
    stop: Arc<AtomicBool>,
    overrides: Arc<Mutex<HashMap<String, Reply>>>,
    served: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(files: HashMap<String, PathBuf>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let overrides: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let served: Arc<Mutex<Vec<String>>> = Arc::default();
        let (s, o, log) = (stop.clone(), overrides.clone(), served.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let _ = handle(conn, &files, &o, &log);
            }
        });
        Server {
            addr,
            stop,
            overrides,
            served,
            thread: Some(thread),
        }
    }

    fn set(&self, path: &str, reply: Reply) {
        self.overrides
            .lock()
            .unwrap()
            .insert(path.to_string(), reply);
    }

    fn urls(&self) -> FeedUrls {
        FeedUrls {
            alpine_secdb: format!("{}/alpine/", self.addr),
            debian_tracker: format!("{}/tracker/data/json", self.addr),
            debian_lists: format!("{}/security-tracker/data", self.addr),
            osv: format!("{}/osv", self.addr),
            kev: format!("{}/kev/known_exploited_vulnerabilities.json", self.addr),
            azurelinux_oval: format!("{}/azurelinux", self.addr),
            oracle_oval: format!("{}/oracle", self.addr),
            amazon_mirror_lists: vec![("2".into(), format!("{}/amazon/2/mirror.list", self.addr))],
            rocky: format!("{}/rocky", self.addr),
            rubysec: format!("{}/gh/rubysec/ruby-advisory-db.tar.gz", self.addr),
            friendsofphp: format!("{}/gh/FriendsOfPHP/security-advisories.tar.gz", self.addr),
            nodejs_security_wg: format!("{}/gh/nodejs/security-wg.tar.gz", self.addr),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(
    mut conn: TcpStream,
    files: &HashMap<String, PathBuf>,
    overrides: &Mutex<HashMap<String, Reply>>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    log.lock().unwrap().push(path.clone());
    let reply = overrides
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| match files.get(&path) {
            Some(f) => Reply::Body(std::fs::read(f).unwrap()),
            None => Reply::Status(404),
        });
    let (status, body, len) = match reply {
        Reply::Body(b) => (200, b.clone(), b.len() as u64),
        Reply::Status(s) => (s, Vec::new(), 0),
        Reply::ShortBody(b, n) => (200, b, n),
    };
    write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )?;
    conn.write_all(&body)?;
    conn.flush()
}

/// Upstream paths → files: Alpine v3.3–v3.11 and v3.20, DSA/DLA/DTSA, the tracker sample,
/// four OSV ecosystems, KEV.
fn upstream_files(tracker: &Path) -> HashMap<String, PathBuf> {
    let f = common::feeds();
    let mut m = HashMap::new();
    for b in (3..=11).chain([20]) {
        for repo in ["main", "community"] {
            let p = f.join(format!("alpine-secdb/v3.{b}/{repo}.json"));
            if p.exists() {
                m.insert(format!("/alpine/v3.{b}/{repo}.json"), p);
            }
        }
    }
    for l in ["DSA", "DLA", "DTSA"] {
        m.insert(
            format!("/security-tracker/data/{l}/list"),
            f.join(format!("debian/{l}.list")),
        );
    }
    m.insert("/tracker/data/json".into(), tracker.to_path_buf());
    for eco in ["AlmaLinux", "Go", "PyPI", "crates.io"] {
        m.insert(
            format!("/osv/{eco}/all.zip"),
            f.join(format!("osv/{eco}/all.zip")),
        );
    }
    m.insert(
        "/kev/known_exploited_vulnerabilities.json".into(),
        f.join("kev/known_exploited_vulnerabilities.json"),
    );
    for (path, rel) in NATIVE {
        m.insert(path.to_string(), f.join(rel));
    }
    m
}

/// Server paths of the three native language feed archives → their recorded copies.
const NATIVE: [(&str, &str); 3] = [
    (
        "/gh/rubysec/ruby-advisory-db.tar.gz",
        "rubysec/ruby-advisory-db.tar.gz",
    ),
    (
        "/gh/FriendsOfPHP/security-advisories.tar.gz",
        "friendsofphp/security-advisories.tar.gz",
    ),
    (
        "/gh/nodejs/security-wg.tar.gz",
        "nodejs-security-wg/vuln.tar.gz",
    ),
];

fn options(branches: &[&str], ecosystems: &[&str]) -> UpdateOptions {
    UpdateOptions {
        alpine_branches: branches.iter().map(|s| s.to_string()).collect(),
        osv_ecosystems: ecosystems.iter().map(|s| s.to_string()).collect(),
        ..UpdateOptions::default()
    }
}

fn tracker_sample(dir: &Path) -> PathBuf {
    common::unpack("vunnel-test-fixtures.tar.gz", &[VUNNEL_DEBIAN], dir);
    dir.join(VUNNEL_DEBIAN)
}

#[test]
fn update_downloads_the_layout_build_reads() {
    let fx = tempfile::tempdir().unwrap();
    let tracker = tracker_sample(fx.path());
    let server = Server::start(upstream_files(&tracker));

    let work = tempfile::tempdir().unwrap();
    let feeds_dir = work.path().join("feeds");
    let out = work.path().join("vulndb.sqlite");
    let mut branches: Vec<String> = (3..=11).map(|b| format!("v3.{b}")).collect();
    branches.extend(["v3.20".into(), "v3.21".into()]);
    let opts = options(
        &branches.iter().map(String::as_str).collect::<Vec<_>>(),
        &["AlmaLinux", "Go", "PyPI", "crates.io"],
    );
    let report = update(&server.urls(), &feeds_dir, &out, &opts).unwrap();
    // v3.20 has no community.json here and v3.21 nothing: notes, not errors.
    for missing in [
        "/alpine/v3.20/community.json",
        "/alpine/v3.21/main.json",
        "/alpine/v3.21/community.json",
    ] {
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains(missing) && n.contains("404")),
            "{missing}: {:?}",
            report.notes
        );
    }
    assert!(
        server
            .served
            .lock()
            .unwrap()
            .contains(&"/security-tracker/data/DTSA/list".to_string())
    );

    // The same files, laid out by hand, built directly.
    let mut rels: Vec<String> = Vec::new();
    for b in 3..=11 {
        rels.push(format!("alpine-secdb/v3.{b}/main.json"));
        rels.push(format!("alpine-secdb/v3.{b}/community.json"));
    }
    rels.push("alpine-secdb/v3.20/main.json".into());
    for l in ["DSA", "DLA", "DTSA"] {
        rels.push(format!("debian/{l}.list"));
    }
    for eco in ["AlmaLinux", "Go", "PyPI", "crates.io"] {
        rels.push(format!("osv/{eco}/all.zip"));
    }
    rels.push("kev/known_exploited_vulnerabilities.json".into());
    for (_, rel) in NATIVE {
        rels.push(rel.into());
    }
    let direct = common::feed_dir(&rels.iter().map(String::as_str).collect::<Vec<_>>());
    common::link(direct.path(), "debian/tracker.json", &tracker);
    let direct_db = direct.path().join("direct.sqlite");
    let direct_report = build(direct.path(), &direct_db, &BuildOptions::default()).unwrap();

    let (a, b) = (
        Db::open(&out).unwrap().info().unwrap(),
        Db::open(&direct_db).unwrap().info().unwrap(),
    );
    assert_eq!(a.feeds, b.feeds);
    assert_eq!(a.affected_rows, b.affected_rows);
    assert_eq!(a.vulnerabilities, b.vulnerabilities);
    assert_eq!(report.affected_rows, direct_report.affected_rows);
    let names: Vec<&str> = a.feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alpine-secdb",
            "debian-dla",
            "debian-dsa",
            "debian-dtsa",
            "debian-tracker",
            "friendsofphp",
            "kev",
            "nodejs-security-wg",
            "osv/AlmaLinux",
            "osv/Go",
            "osv/PyPI",
            "osv/crates.io",
            "rubysec"
        ]
    );
    assert_eq!(
        common::dump_affected(&out),
        common::dump_affected(&direct_db)
    );
    // The downloaded files are byte-identical to the served ones.
    assert_eq!(
        std::fs::read(feeds_dir.join("osv/crates.io/all.zip")).unwrap(),
        std::fs::read(common::feeds().join("osv/crates.io/all.zip")).unwrap()
    );
    assert_eq!(
        std::fs::read(feeds_dir.join("debian/tracker.json")).unwrap(),
        std::fs::read(&tracker).unwrap()
    );
    for (_, rel) in NATIVE {
        assert_eq!(
            std::fs::read(feeds_dir.join(rel)).unwrap(),
            std::fs::read(common::feeds().join(rel)).unwrap(),
            "{rel}"
        );
    }
}

/// Files in `dir` (recursively) whose name starts with `.drydock-`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(leftovers(&p));
        } else if p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".drydock-")
        {
            out.push(p);
        }
    }
    out
}

#[test]
fn bad_downloads_leave_the_previous_db_and_feeds_alone() {
    let fx = tempfile::tempdir().unwrap();
    let server = Server::start(upstream_files(&tracker_sample(fx.path())));
    let urls = server.urls();
    let work = tempfile::tempdir().unwrap();
    let feeds_dir = work.path().join("feeds");
    let out = work.path().join("vulndb.sqlite");
    let small = UpdateOptions {
        debian_lists: false,
        debian_tracker: false,
        ..options(&["v3.20"], &["Go"])
    };
    update(&urls, &feeds_dir, &out, &small).unwrap();
    let db_before = std::fs::read(&out).unwrap();
    let zip_before = std::fs::read(feeds_dir.join("osv/Go/all.zip")).unwrap();
    let kev_before =
        std::fs::read(feeds_dir.join("kev/known_exploited_vulnerabilities.json")).unwrap();
    let rubysec_before = std::fs::read(feeds_dir.join("rubysec/ruby-advisory-db.tar.gz")).unwrap();
    let unchanged = || {
        assert_eq!(
            std::fs::read(feeds_dir.join("rubysec/ruby-advisory-db.tar.gz")).unwrap(),
            rubysec_before
        );
        assert_eq!(std::fs::read(&out).unwrap(), db_before, "DB changed");
        assert_eq!(
            std::fs::read(feeds_dir.join("osv/Go/all.zip")).unwrap(),
            zip_before
        );
        assert_eq!(
            std::fs::read(feeds_dir.join("kev/known_exploited_vulnerabilities.json")).unwrap(),
            kev_before
        );
        assert!(
            leftovers(work.path()).is_empty(),
            "{:?}",
            leftovers(work.path())
        );
    };

    // A truncated zip, served as a complete 200 response.
    let go = std::fs::read(common::feeds().join("osv/Go/all.zip")).unwrap();
    server.set("/osv/Go/all.zip", Reply::Body(go[..go.len() / 2].to_vec()));
    let e = update(&urls, &feeds_dir, &out, &small).unwrap_err();
    eprintln!("truncated zip: {e}");
    assert!(
        matches!(&e, Error::BadDownload { url, msg } if url.ends_with("/osv/Go/all.zip") && msg.contains("zip")),
        "{e}"
    );
    unchanged();

    // A truncated JSON document.
    server.set("/osv/Go/all.zip", Reply::Body(go.clone()));
    let kev =
        std::fs::read(common::feeds().join("kev/known_exploited_vulnerabilities.json")).unwrap();
    server.set(
        "/kev/known_exploited_vulnerabilities.json",
        Reply::Body(kev[..kev.len() - 100].to_vec()),
    );
    let e = update(&urls, &feeds_dir, &out, &small).unwrap_err();
    eprintln!("truncated JSON: {e}");
    assert!(
        matches!(&e, Error::BadDownload { url, msg } if url.ends_with("/kev/known_exploited_vulnerabilities.json") && msg.contains("JSON")),
        "{e}"
    );
    unchanged();

    // A truncated archive of a native feed, served as a complete 200 response.
    server.set(
        "/kev/known_exploited_vulnerabilities.json",
        Reply::Body(kev.clone()),
    );
    let rs = std::fs::read(common::feeds().join("rubysec/ruby-advisory-db.tar.gz")).unwrap();
    server.set(
        "/gh/rubysec/ruby-advisory-db.tar.gz",
        Reply::Body(rs[..rs.len() * 2 / 3].to_vec()),
    );
    let e = update(&urls, &feeds_dir, &out, &small).unwrap_err();
    eprintln!("truncated tar.gz: {e}");
    assert!(
        matches!(&e, Error::BadDownload { url, msg } if url.ends_with("/gh/rubysec/ruby-advisory-db.tar.gz") && msg.contains("truncated")),
        "{e}"
    );
    unchanged();
    // An HTML page served with 200 instead of the archive.
    server.set(
        "/gh/rubysec/ruby-advisory-db.tar.gz",
        Reply::Body(b"<html>rate limit exceeded</html>".to_vec()),
    );
    let e = update(&urls, &feeds_dir, &out, &small).unwrap_err();
    assert!(
        matches!(&e, Error::BadDownload { url, .. } if url.ends_with("/gh/rubysec/ruby-advisory-db.tar.gz")),
        "{e}"
    );
    unchanged();
    server.set(
        "/gh/rubysec/ruby-advisory-db.tar.gz",
        Reply::Body(rs.clone()),
    );

    // The connection closes before the announced length.
    server.set(
        "/kev/known_exploited_vulnerabilities.json",
        Reply::ShortBody(kev[..1000].to_vec(), kev.len() as u64),
    );
    let e = update(&urls, &feeds_dir, &out, &small).unwrap_err();
    eprintln!("short body: {e}");
    assert!(
        e.to_string()
            .contains("/kev/known_exploited_vulnerabilities.json"),
        "{e}"
    );
    unchanged();

    // HTTP errors name the URL; a 404 is an error outside the Alpine branches.
    server.set(
        "/kev/known_exploited_vulnerabilities.json",
        Reply::Status(500),
    );
    let e = update(&urls, &feeds_dir, &out, &small).unwrap_err();
    assert!(
        matches!(&e, Error::HttpStatus { status: 500, url } if url.ends_with("/kev/known_exploited_vulnerabilities.json")),
        "{e}"
    );
    assert!(e.to_string().contains("HTTP 500"), "{e}");
    unchanged();
    server.set(
        "/kev/known_exploited_vulnerabilities.json",
        Reply::Body(kev.clone()),
    );
    let e = update(&urls, &feeds_dir, &out, &options(&[], &["NoSuchEcosystem"])).unwrap_err();
    assert!(
        matches!(&e, Error::HttpStatus { status: 404, url } if url.ends_with("/osv/NoSuchEcosystem/all.zip")),
        "{e}"
    );

    // The size cap.
    let capped = UpdateOptions {
        max_download_bytes: 1000,
        ..small.clone()
    };
    let e = update(&urls, &feeds_dir, &out, &capped).unwrap_err();
    assert!(matches!(&e, Error::TooLarge { limit: 1000, .. }), "{e}");
    unchanged();

    // Options cannot escape the feed folder.
    let e = update(&urls, &feeds_dir, &out, &options(&["../x"], &[])).unwrap_err();
    assert!(matches!(e, Error::InvalidOption(_)), "{e}");

    // And with good answers again, the update succeeds.
    update(&urls, &feeds_dir, &out, &small).unwrap();
}

/// The native language feeds as GitHub serves them (a `<repo>-<branch>/` top folder): `update`
/// saves them under the names `build` reads, and the DB equals one built from the recorded
/// copies.
#[test]
fn update_fetches_github_archives_of_the_native_feeds() {
    let src = tempfile::tempdir().unwrap();
    let mut files = HashMap::new();
    for ((path, rel), prefix) in NATIVE.iter().zip([
        "ruby-advisory-db-master",
        "security-advisories-master",
        "security-wg-main",
    ]) {
        let p = src.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            common::github_layout(&common::feeds().join(rel), prefix),
        )
        .unwrap();
        files.insert(path.to_string(), p);
    }
    let server = Server::start(files);
    let only_native = UpdateOptions {
        alpine_branches: vec![],
        debian_tracker: false,
        debian_lists: false,
        osv_ecosystems: vec![],
        kev: false,
        azurelinux_oval: vec![],
        oracle_oval: vec![],
        amazon: false,
        rocky_releases: vec![],
        ..UpdateOptions::default()
    };
    let work = tempfile::tempdir().unwrap();
    let feeds_dir = work.path().join("feeds");
    let out = work.path().join("vulndb.sqlite");
    let report = update(&server.urls(), &feeds_dir, &out, &only_native).unwrap();
    assert_eq!(report.warning_count, 0, "{:?}", report.warnings);
    let names: Vec<&str> = report.feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["rubysec", "friendsofphp", "nodejs-security-wg"]);
    let mut served = server.served.lock().unwrap().clone();
    served.sort();
    assert_eq!(
        served,
        [
            "/gh/FriendsOfPHP/security-advisories.tar.gz",
            "/gh/nodejs/security-wg.tar.gz",
            "/gh/rubysec/ruby-advisory-db.tar.gz"
        ]
    );
    for (_, rel) in NATIVE {
        assert!(feeds_dir.join(rel).is_file(), "{rel}");
    }

    let direct = common::feed_dir(&NATIVE.map(|(_, rel)| rel));
    let direct_db = direct.path().join("direct.sqlite");
    build(direct.path(), &direct_db, &BuildOptions::default()).unwrap();
    assert_eq!(
        common::dump_affected(&out),
        common::dump_affected(&direct_db)
    );
    assert_eq!(
        Db::open(&out).unwrap().info().unwrap().feeds,
        Db::open(&direct_db).unwrap().info().unwrap().feeds
    );

    // Each feed can be turned off.
    let none = UpdateOptions {
        rubysec: false,
        friendsofphp: false,
        nodejs_security_wg: false,
        kev: true,
        ..only_native
    };
    server.set(
        "/kev/known_exploited_vulnerabilities.json",
        Reply::Body(
            std::fs::read(common::feeds().join("kev/known_exploited_vulnerabilities.json"))
                .unwrap(),
        ),
    );
    server.served.lock().unwrap().clear();
    update(&server.urls(), &feeds_dir, &out, &none).unwrap();
    assert_eq!(
        *server.served.lock().unwrap(),
        ["/kev/known_exploited_vulnerabilities.json"]
    );
}

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
            redhat_csaf: format!("{}/rh/vex", self.addr),
            suse_cvrf: format!("{}/suse/cvrf.tar.bz2", self.addr),
            photon_oval: format!("{}/photon", self.addr),
            epss: format!("{}/epss/epss_scores-current.csv.gz", self.addr),
            nvd: format!("{}/rest/json/cves/2.0", self.addr),
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
        // the RPM feeds have their own tests below
        redhat_csaf: false,
        photon_oval: vec![],
        epss: false,
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
        photon_oval: vec![],
        redhat_csaf: false,
        amazon: false,
        rocky_releases: vec![],
        epss: false,
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

const CLAIRCORE: &str = "claircore-testdata.tar.gz";
const VLU: &str = "vuln-list-update-testdata.tar.gz";

/// The real archive of five VEX documents in claircore's test data (Red Hat's layout:
/// `2023/cve-2023-NNNN.json`), and real single documents.
const RECORDED_VEX_ARCHIVE: &str = "rhel/vex/testdata/server/csaf_vex_2023-10-31.tar.zst";
const VEX_DOCS: [&str; 3] = [
    "rhel/vex/testdata/cve-2023-38545.json",
    "rhel/vex/testdata/cve-2022-38752.json",
    "rhel/vex/testdata/cve-2023-4154.json",
];

/// Only the given RPM feeds on.
fn rpm_only() -> UpdateOptions {
    UpdateOptions {
        alpine_branches: vec![],
        debian_tracker: false,
        debian_lists: false,
        osv_ecosystems: vec![],
        kev: false,
        azurelinux_oval: vec![],
        oracle_oval: vec![],
        photon_oval: vec![],
        redhat_csaf: false,
        suse_cvrf: false,
        amazon: false,
        rocky_releases: vec![],
        rubysec: false,
        friendsofphp: false,
        nodejs_security_wg: false,
        epss: false,
        ..UpdateOptions::default()
    }
}

/// The regular files of a `.tar.zst`, in archive order.
fn tar_zst_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut ar = tar::Archive::new(zstd::stream::read::Decoder::new(bytes).unwrap());
    let mut out = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.header().entry_type().is_file() {
            let p = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            out.push((p, data));
        }
    }
    out
}

/// A tar archive of `entries` (with a folder entry per year, as Red Hat's archive has),
/// compressed by `compress`.
fn tar_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut folders = std::collections::BTreeSet::new();
    for (p, data) in entries {
        if let Some((dir, _)) = p.rsplit_once('/')
            && folders.insert(dir.to_string())
        {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
            h.set_size(0);
            h.set_cksum();
            b.append_data(&mut h, format!("{dir}/"), &[][..]).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, p, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// Every file under `dir`, relative, sorted (hidden ones included).
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn served(server: &Server) -> Vec<String> {
    std::mem::take(&mut *server.served.lock().unwrap())
}

/// Red Hat CSAF VEX end to end: the archive named by `archive_latest.txt`, then only the
/// documents `changes.csv` lists as changed since the archive's date (deletions applied); a
/// second run fetches only the one new change; a truncated document or archive fails and
/// leaves the DB and the feed folder as they were; a new archive supersedes the loose
/// documents. All documents are Red Hat's (claircore's recorded archive and documents); the
/// two CSV lists are hand-written in Red Hat's format (as in vunnel's recorded server
/// fixture: `"path","timestamp"`).
#[test]
fn update_fetches_redhat_csaf_vex() {
    let fx = tempfile::tempdir().unwrap();
    let mut wanted = vec![RECORDED_VEX_ARCHIVE];
    wanted.extend(VEX_DOCS);
    common::unpack(CLAIRCORE, &wanted, fx.path());
    let read = |f: &str| std::fs::read(fx.path().join(f)).unwrap();
    let recorded = read(RECORDED_VEX_ARCHIVE);
    let recorded_entries = tar_zst_entries(&recorded);
    assert_eq!(
        recorded_entries
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>(),
        [
            "2023/cve-2023-0051.json",
            "2023/cve-2023-0049.json",
            "2023/cve-2023-0045.json",
            "2023/cve-2023-0044.json",
            "2023/cve-2023-0030.json"
        ]
    );
    let (curl, snakeyaml, samba) = (read(VEX_DOCS[0]), read(VEX_DOCS[1]), read(VEX_DOCS[2]));

    let server = Server::start(HashMap::new());
    let urls = server.urls();
    // Red Hat writes the bare name, without a newline
    server.set(
        "/rh/vex/archive_latest.txt",
        Reply::Body(b"csaf_vex_2023-10-31.tar.zst".to_vec()),
    );
    server.set(
        "/rh/vex/csaf_vex_2023-10-31.tar.zst",
        Reply::Body(recorded.clone()),
    );
    // hand-written, newest first like Red Hat's: curl's document appeared after the archive
    // was built; CVE-2023-0030 changed, then was deleted; 0049 changed before the archive
    let mut changes = String::from(
        "\"2023/cve-2023-38545.json\",\"2023-11-02T10:00:00+00:00\"\n\
         \"2023/cve-2023-0030.json\",\"2023-11-01T00:00:00+00:00\"\n\
         \"2023/cve-2023-0049.json\",\"2023-10-20T00:00:00+00:00\"\n",
    );
    server.set(
        "/rh/vex/changes.csv",
        Reply::Body(changes.clone().into_bytes()),
    );
    let deletions = "\"2023/cve-2023-0030.json\",\"2023-11-03T00:00:00+00:00\"\n\
                     \"2021/cve-2021-0001.json\",\"2023-01-01T00:00:00+00:00\"\n";
    server.set("/rh/vex/deletions.csv", Reply::Body(deletions.into()));
    server.set(
        "/rh/vex/2023/cve-2023-38545.json",
        Reply::Body(curl.clone()),
    );
    server.set(
        "/rh/vex/2022/cve-2022-38752.json",
        Reply::Body(snakeyaml.clone()),
    );

    let work = tempfile::tempdir().unwrap();
    let feeds_dir = work.path().join("feeds");
    let out = work.path().join("vulndb.sqlite");
    let opts = UpdateOptions {
        redhat_csaf: true,
        ..rpm_only()
    };

    // 1. First run: the archive, the lists, the one document changed since 2023-10-31.
    let report = update(&urls, &feeds_dir, &out, &opts).unwrap();
    assert_eq!(
        served(&server),
        [
            "/rh/vex/archive_latest.txt",
            "/rh/vex/csaf_vex_2023-10-31.tar.zst",
            "/rh/vex/changes.csv",
            "/rh/vex/deletions.csv",
            "/rh/vex/2023/cve-2023-38545.json"
        ]
    );
    assert!(
        report.notes.iter().any(|n| n
            == "redhat-csaf: 1 document(s) changed since 2023-10-31: 1 downloaded, 0 already held, 0 missing; 1 deleted"),
        "{:?}",
        report.notes
    );
    let rh = feeds_dir.join("redhat-csaf");
    assert_eq!(
        tree(&rh),
        [
            ".update-state.json",
            "2023/cve-2023-38545.json",
            "csaf_vex_2023-10-31.tar.zst",
            "deletions.csv"
        ]
    );
    assert_eq!(
        std::fs::read(rh.join("csaf_vex_2023-10-31.tar.zst")).unwrap(),
        recorded
    );
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "redhat-csaf")
        .unwrap();
    assert_eq!(
        feed.files,
        [
            "redhat-csaf/csaf_vex_2023-10-31.tar.zst",
            "redhat-csaf/2023/cve-2023-38545.json"
        ]
    );
    // 0051, 0049, 0045, 0044 from the archive (0030 deleted), curl's document
    assert_eq!(feed.records, 5);
    assert_eq!(report.warning_count, 0, "{:?}", report.warnings);
    let db = Db::open(&out).unwrap();
    let curl_fixes = |db: &Db| {
        let mut f: Vec<(String, String)> = db
            .affected("rhel:9", "curl")
            .unwrap()
            .into_iter()
            .map(|r| (r.fixed_version.unwrap(), r.advisory_ids.join(",")))
            .collect();
        f.sort();
        f
    };
    let want_curl = vec![
        (
            "7.76.1-23.el9_2.4".to_string(),
            "RHSA-2023:5763".to_string(),
        ),
        (
            "7.76.1-26.el9_3.2".to_string(),
            "RHSA-2023:6745".to_string(),
        ),
    ];
    assert_eq!(curl_fixes(&db), want_curl);
    assert!(db.vulnerability("CVE-2023-0030").unwrap().is_none());
    for id in [
        "CVE-2023-0044",
        "CVE-2023-0045",
        "CVE-2023-0049",
        "CVE-2023-0051",
    ] {
        assert!(db.vulnerability(id).unwrap().is_some(), "{id}");
    }
    assert!(db.affected("rhel:7", "snakeyaml").unwrap().is_empty());
    drop(db);
    let first_rows = common::dump_affected(&out);

    // 2. A document changes. Served truncated first: an error naming it, nothing changed.
    changes.insert_str(
        0,
        "\"2022/cve-2022-38752.json\",\"2023-11-05T00:00:00+00:00\"\n",
    );
    server.set(
        "/rh/vex/changes.csv",
        Reply::Body(changes.clone().into_bytes()),
    );
    server.set(
        "/rh/vex/2022/cve-2022-38752.json",
        Reply::Body(snakeyaml[..snakeyaml.len() / 2].to_vec()),
    );
    let db_before = std::fs::read(&out).unwrap();
    let tree_before = tree(&rh);
    let e = update(&urls, &feeds_dir, &out, &opts).unwrap_err();
    assert!(
        matches!(&e, Error::BadDownload { url, msg } if url.ends_with("/rh/vex/2022/cve-2022-38752.json") && msg.contains("JSON")),
        "{e}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), db_before);
    assert_eq!(tree(&rh), tree_before);
    served(&server);
    // ... then whole: only that document is fetched.
    server.set(
        "/rh/vex/2022/cve-2022-38752.json",
        Reply::Body(snakeyaml.clone()),
    );
    let report = update(&urls, &feeds_dir, &out, &opts).unwrap();
    assert_eq!(
        served(&server),
        [
            "/rh/vex/archive_latest.txt",
            "/rh/vex/changes.csv",
            "/rh/vex/deletions.csv",
            "/rh/vex/2022/cve-2022-38752.json"
        ]
    );
    assert!(
        report.notes.iter().any(|n| n
            == "redhat-csaf: 2 document(s) changed since 2023-10-31: 1 downloaded, 1 already held, 0 missing; 1 deleted"),
        "{:?}",
        report.notes
    );
    let db = Db::open(&out).unwrap();
    let rows = db.affected("rhel:7", "snakeyaml").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].vuln_id, "CVE-2022-38752");
    assert_eq!(rows[0].status, drydock_vulndb::FixStatus::EndOfLife);
    assert_eq!(curl_fixes(&db), want_curl);
    drop(db);
    assert!(common::dump_affected(&out).len() > first_rows.len());

    // 3. Nothing new: the three small documents only.
    update(&urls, &feeds_dir, &out, &opts).unwrap();
    assert_eq!(
        served(&server),
        [
            "/rh/vex/archive_latest.txt",
            "/rh/vex/changes.csv",
            "/rh/vex/deletions.csv"
        ]
    );

    // 4. A new archive, built here from the real documents (CVE-2023-0030 deleted before it
    // was built), served truncated first: an error naming it, nothing changed.
    let mut entries: Vec<(String, Vec<u8>)> = recorded_entries
        .iter()
        .filter(|(p, _)| p != "2023/cve-2023-0030.json")
        .cloned()
        .collect();
    entries.push(("2023/cve-2023-38545.json".into(), curl.clone()));
    entries.push(("2022/cve-2022-38752.json".into(), snakeyaml.clone()));
    entries.push(("2023/cve-2023-4154.json".into(), samba.clone()));
    let new_archive = zstd::encode_all(&tar_of(&entries)[..], 19).unwrap();
    server.set(
        "/rh/vex/archive_latest.txt",
        Reply::Body(b"csaf_vex_2023-11-07.tar.zst\n".to_vec()),
    );
    server.set(
        "/rh/vex/csaf_vex_2023-11-07.tar.zst",
        Reply::Body(new_archive[..new_archive.len() / 2].to_vec()),
    );
    let db_before = std::fs::read(&out).unwrap();
    let tree_before = tree(&rh);
    let e = update(&urls, &feeds_dir, &out, &opts).unwrap_err();
    eprintln!("truncated archive: {e}");
    assert!(
        matches!(&e, Error::BadDownload { url, msg } if url.ends_with("/rh/vex/csaf_vex_2023-11-07.tar.zst") && msg.contains("truncated")),
        "{e}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), db_before);
    assert_eq!(tree(&rh), tree_before);
    served(&server);
    server.set(
        "/rh/vex/csaf_vex_2023-11-07.tar.zst",
        Reply::Body(new_archive.clone()),
    );
    let report = update(&urls, &feeds_dir, &out, &opts).unwrap();
    // every change is older than the new archive: nothing more to fetch
    assert_eq!(
        served(&server),
        [
            "/rh/vex/archive_latest.txt",
            "/rh/vex/csaf_vex_2023-11-07.tar.zst",
            "/rh/vex/changes.csv",
            "/rh/vex/deletions.csv"
        ]
    );
    // the old archive and the loose documents it superseded are gone
    assert_eq!(
        tree(&rh),
        [
            ".update-state.json",
            "csaf_vex_2023-11-07.tar.zst",
            "deletions.csv"
        ]
    );
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "redhat-csaf")
        .unwrap();
    assert_eq!(feed.files, ["redhat-csaf/csaf_vex_2023-11-07.tar.zst"]);
    assert_eq!(feed.records, 7);
    let db = Db::open(&out).unwrap();
    assert_eq!(curl_fixes(&db), want_curl);
    let rows = db.affected("rhel:9", "samba").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].vuln_id.as_str(), rows[0].status),
        ("CVE-2023-4154", drydock_vulndb::FixStatus::NotAffected)
    );
    drop(db);
    // The same archive placed in a feed folder by hand builds the same rows.
    let direct = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(direct.path().join("redhat-csaf")).unwrap();
    std::fs::write(
        direct
            .path()
            .join("redhat-csaf/csaf_vex_2023-11-07.tar.zst"),
        &new_archive,
    )
    .unwrap();
    let direct_db = direct.path().join("direct.sqlite");
    build(direct.path(), &direct_db, &BuildOptions::default()).unwrap();
    assert_eq!(
        common::dump_affected(&out),
        common::dump_affected(&direct_db)
    );
    assert!(
        leftovers(work.path()).is_empty(),
        "{:?}",
        leftovers(work.path())
    );

    // 5. Red Hat's pointer naming something else is an error.
    server.set(
        "/rh/vex/archive_latest.txt",
        Reply::Body(b"../../etc/passwd".to_vec()),
    );
    let e = update(&urls, &feeds_dir, &out, &opts).unwrap_err();
    assert!(
        matches!(&e, Error::BadDownload { url, .. } if url.ends_with("/rh/vex/archive_latest.txt")),
        "{e}"
    );
}

/// Photon OVAL (gzip, as published) and SUSE's CVRF archive, from real documents: the DB
/// equals one built from the same documents laid out as loose files; a truncated archive fails
/// and leaves the DB alone; a broken document inside the archive is a warning.
#[test]
fn update_fetches_photon_oval_and_suse_cvrf() {
    let fx = tempfile::tempdir().unwrap();
    let photon = "photon/testdata/com.vmware.phsa-photon3.xml";
    common::unpack(CLAIRCORE, &[photon], fx.path());
    let suse_names = [
        "cvrf-opensuse-su-2015-0225-1.xml",
        "cvrf-opensuse-su-2015-0798-1.xml",
        "cvrf-opensuse-su-2015-1289-1.xml",
        "cvrf-opensuse-su-2016-0874-1.xml",
        "cvrf-opensuse-su-2016-3233-1.xml",
        "cvrf-opensuse-su-2018-1633-1.xml",
        "cvrf-suse-su-2018-1784-1.xml",
        "cvrf-suse-su-2019-14018-1.xml",
        "cvrf-suse-su-2019-1608-1.xml",
        "cvrf-suse-su-2019-3294-1.xml",
        "cvrf-suse-su-2019-3295-1.xml",
    ];
    let suse_files: Vec<String> = suse_names
        .iter()
        .map(|n| format!("suse/cvrf/testdata/cvrf/{n}"))
        .collect();
    let broken = "suse/cvrf/testdata/broken-cvrf/cvrf-suse-su-2018-1784-1.xml";
    let mut wanted: Vec<&str> = suse_files.iter().map(String::as_str).collect();
    wanted.push(broken);
    common::unpack(VLU, &wanted, fx.path());

    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, &std::fs::read(fx.path().join(photon)).unwrap()).unwrap();
        e.finish().unwrap()
    };
    let suse_entries = |replace_broken: bool| -> Vec<(String, Vec<u8>)> {
        suse_names
            .iter()
            .zip(&suse_files)
            .map(|(n, f)| {
                let src = if replace_broken && *n == "cvrf-suse-su-2018-1784-1.xml" {
                    broken
                } else {
                    f.as_str()
                };
                (
                    format!("cvrf/{n}"),
                    std::fs::read(fx.path().join(src)).unwrap(),
                )
            })
            .collect()
    };
    let bz2 = |tar: &[u8]| {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        std::io::Write::write_all(&mut e, tar).unwrap();
        e.finish().unwrap()
    };
    let mut suse_tar = tar_of(&suse_entries(false));
    let suse_archive = bz2(&suse_tar);

    let server = Server::start(HashMap::new());
    let urls = server.urls();
    server.set(
        "/photon/com.vmware.phsa-photon3.xml.gz",
        Reply::Body(gz.clone()),
    );
    server.set("/suse/cvrf.tar.bz2", Reply::Body(suse_archive.clone()));
    let opts = UpdateOptions {
        photon_oval: vec![
            "com.vmware.phsa-photon3.xml.gz".into(),
            "com.vmware.phsa-photon6.xml.gz".into(),
        ],
        suse_cvrf: true,
        ..rpm_only()
    };
    let work = tempfile::tempdir().unwrap();
    let feeds_dir = work.path().join("feeds");
    let out = work.path().join("vulndb.sqlite");
    let report = update(&urls, &feeds_dir, &out, &opts).unwrap();
    let mut got = served(&server);
    got.sort();
    assert_eq!(
        got,
        [
            "/photon/com.vmware.phsa-photon3.xml.gz",
            "/photon/com.vmware.phsa-photon6.xml.gz",
            "/suse/cvrf.tar.bz2"
        ]
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.ends_with("/photon/com.vmware.phsa-photon6.xml.gz: 404 Not Found, skipped")),
        "{:?}",
        report.notes
    );
    // one real document has Latin-1 bytes in a note
    assert_eq!(
        report.warnings,
        [
            "suse-cvrf/cvrf.tar.bz2:cvrf/cvrf-opensuse-su-2016-0874-1.xml: not UTF-8 (invalid utf-8 sequence of 1 bytes from index 3159): read with replacement characters"
        ]
    );
    assert_eq!(
        tree(&feeds_dir),
        [
            "photon-oval/com.vmware.phsa-photon3.xml.gz",
            "suse-cvrf/cvrf.tar.bz2"
        ]
    );
    let names: Vec<&str> = report.feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["suse-cvrf", "photon-oval"]);
    let suse = &report.feeds[0];
    assert_eq!(suse.files, ["suse-cvrf/cvrf.tar.bz2"]);
    assert_eq!(suse.records, 11);
    assert_eq!(report.feeds[1].records, 222);

    let db = Db::open(&out).unwrap();
    let rows = db.affected("photon:3.0", "sqlite-libs").unwrap();
    let r = rows.iter().find(|r| r.vuln_id == "CVE-2019-16168").unwrap();
    assert_eq!(r.fixed_version.as_deref(), Some("3.27.2-5.ph3"));
    assert_eq!(r.advisory_ids, vec!["PHSA-2020:00001"]);
    let rows = db.affected("sles:12.4", "libopenssl0_9_8").unwrap();
    let r = rows.iter().find(|r| r.vuln_id == "CVE-2019-1559").unwrap();
    assert_eq!(r.fixed_version.as_deref(), Some("0.9.8j-106.12.1"));
    assert_eq!(r.advisory_ids, vec!["SUSE-SU-2019:1608-1"]);
    let rows = db.affected("opensuse-leap:15.0", "glibc").unwrap();
    let r = rows.iter().find(|r| r.vuln_id == "CVE-2018-11237").unwrap();
    assert_eq!(r.fixed_version.as_deref(), Some("2.26-lp150.11.3.2"));
    drop(db);

    // The same documents as loose files build the same rows.
    let direct = tempfile::tempdir().unwrap();
    for (n, f) in suse_names.iter().zip(&suse_files) {
        common::link(direct.path(), &format!("suse-cvrf/{n}"), &fx.path().join(f));
    }
    common::link(
        direct.path(),
        "photon-oval/com.vmware.phsa-photon3.xml",
        &fx.path().join(photon),
    );
    let direct_db = direct.path().join("direct.sqlite");
    let direct_report = build(direct.path(), &direct_db, &BuildOptions::default()).unwrap();
    assert_eq!(direct_report.feeds[0].records, 11);
    assert_eq!(
        direct_report.warnings,
        [
            "suse-cvrf/cvrf-opensuse-su-2016-0874-1.xml: not UTF-8 (invalid utf-8 sequence of 1 bytes from index 3159): read with replacement characters"
        ]
    );
    assert_eq!(
        common::dump_affected(&out),
        common::dump_affected(&direct_db)
    );

    // A truncated archive (whole bzip2 stream of a tar cut short, and a cut stream) fails,
    // naming the URL; the DB and the feed folder stay as they were.
    let db_before = std::fs::read(&out).unwrap();
    suse_tar.truncate(suse_tar.len() - 2048);
    for body in [
        bz2(&suse_tar),
        suse_archive[..suse_archive.len() / 2].to_vec(),
    ] {
        server.set("/suse/cvrf.tar.bz2", Reply::Body(body));
        let e = update(&urls, &feeds_dir, &out, &opts).unwrap_err();
        assert!(
            matches!(&e, Error::BadDownload { url, msg } if url.ends_with("/suse/cvrf.tar.bz2") && msg.contains("truncated")),
            "{e}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), db_before);
        assert_eq!(
            std::fs::read(feeds_dir.join("suse-cvrf/cvrf.tar.bz2")).unwrap(),
            suse_archive
        );
        assert!(
            leftovers(work.path()).is_empty(),
            "{:?}",
            leftovers(work.path())
        );
    }

    // The real broken document inside the archive: one warning, the other ten documents.
    server.set(
        "/suse/cvrf.tar.bz2",
        Reply::Body(bz2(&tar_of(&suse_entries(true)))),
    );
    let report = update(&urls, &feeds_dir, &out, &opts).unwrap();
    assert_eq!(report.warning_count, 2, "{:?}", report.warnings);
    assert!(
        report.warnings[1]
            .starts_with("suse-cvrf/cvrf.tar.bz2:cvrf/cvrf-suse-su-2018-1784-1.xml: invalid XML"),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.feeds[0].records, 10);
}

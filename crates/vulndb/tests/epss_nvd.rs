//! EPSS and NVD: the parsers on real published samples (claircore's and vunnel's EPSS CSVs,
//! vuln-list-update's, vunnel's and osv.dev's NVD API 2.0 pages), and `update` against an
//! HTTP server on 127.0.0.1 serving those files: paging, the incremental `lastMod` window,
//! the `apiKey` header, retries, and bad downloads that leave the DB untouched.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use drydock_vulndb::{
    BuildOptions, Db, EpssScore, Error, FeedUrls, NvdOptions, Severity, UpdateOptions, build,
    update,
};
use time::macros::datetime;

const CLAIR_EPSS: &str = "enricher/epss/testdata/data.csv";
const VUNNEL_EPSS: &str = "tests/unit/providers/epss/test-fixtures";
const VLU_NVD: &str = "nvd/testdata/fixtures";
const VUNNEL_NVD: &str = "tests/unit/providers/nvd/test-fixtures";
const OSV_NVD: &str = "vulnfeeds/test_data/nvdcve-2.0";

/// The real samples, unpacked into one temporary folder.
struct Fixtures {
    dir: tempfile::TempDir,
}

impl Fixtures {
    fn new() -> Fixtures {
        let dir = tempfile::tempdir().unwrap();
        common::unpack("claircore-testdata.tar.gz", &[CLAIR_EPSS], dir.path());
        let vunnel: Vec<String> = ["example-1.csv", "invalid-header.csv", "missing-date.csv"]
            .iter()
            .map(|f| format!("{VUNNEL_EPSS}/{f}"))
            .chain(
                ["full-page.json", "single-entry.json"]
                    .iter()
                    .map(|f| format!("{VUNNEL_NVD}/{f}")),
            )
            .collect();
        common::unpack(
            "vunnel-test-fixtures.tar.gz",
            &vunnel.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        );
        let vlu: Vec<String> = ["respPage1.json", "respPage2.json", "emptyResp.json"]
            .iter()
            .map(|f| format!("{VLU_NVD}/{f}"))
            .collect();
        common::unpack(
            "vuln-list-update-testdata.tar.gz",
            &vlu.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        );
        let osv: Vec<String> = [
            "CVE-2017-6507.json",
            "CVE-2024-3094.json",
            "CVE-2014-1424.json",
        ]
        .iter()
        .map(|f| format!("{OSV_NVD}/{f}"))
        .collect();
        common::unpack(
            "osv.dev-vulnfeeds-test_data.tar.gz",
            &osv.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        );
        Fixtures { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap()
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn quick() -> BuildOptions {
    BuildOptions {
        vacuum: false,
        ..BuildOptions::default()
    }
}

/// A feed folder holding `files` (`rel` → bytes).
fn folder(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    d
}

fn epss(db: &Db, cve: &str) -> Option<(f64, f64, String)> {
    db.epss(cve).unwrap().map(
        |EpssScore {
             score,
             percentile,
             date,
         }| (score, percentile, date),
    )
}

// ------------------------------------------------------------------------------ EPSS

#[test]
fn epss_claircore_sample_gzip_compressed() {
    let fx = Fixtures::new();
    let feeds = folder(&[("epss/epss_scores-current.csv.gz", gz(&fx.bytes(CLAIR_EPSS)))]);
    let out = feeds.path().join("db.sqlite");
    let report = build(feeds.path(), &out, &quick()).unwrap();
    let f = report.feeds.iter().find(|f| f.name == "epss").unwrap();
    assert_eq!(f.records, 29);
    assert_eq!(f.newest_date.as_deref(), Some("2024-10-25"));
    assert_eq!(report.warning_count, 0);
    let db = Db::open(&out).unwrap();
    assert_eq!(
        epss(&db, "CVE-1999-0005"),
        Some((0.91963, 0.9903, "2024-10-25".into()))
    );
    assert_eq!(
        epss(&db, "CVE-2022-34668"),
        Some((0.00311, 0.70519, "2024-10-25".into()))
    );
    assert_eq!(
        epss(&db, "CVE-2024-9987"),
        Some((0.00043, 0.09778, "2024-10-25".into()))
    );
    assert_eq!(epss(&db, "CVE-1999-0001"), None);
    // EPSS adds no vulnerability records of its own
    assert_eq!(db.vulnerability("CVE-1999-0005").unwrap(), None);
    let info = db.info().unwrap();
    assert_eq!(info.schema_version, 3);
}

#[test]
fn epss_vunnel_sample_plain_csv() {
    let fx = Fixtures::new();
    let feeds = folder(&[(
        "epss/example-1.csv",
        fx.bytes(&format!("{VUNNEL_EPSS}/example-1.csv")),
    )]);
    let out = feeds.path().join("db.sqlite");
    build(feeds.path(), &out, &quick()).unwrap();
    let db = Db::open(&out).unwrap();
    let got: Vec<_> = (1..=5)
        .map(|n| epss(&db, &format!("CVE-1999-000{n}")).unwrap())
        .collect();
    let d = "2025-02-20".to_string();
    assert_eq!(
        got,
        vec![
            (0.00383, 0.73075, d.clone()),
            (0.01328, 0.85996, d.clone()),
            (0.04409, 0.9244, d.clone()),
            (0.00917, 0.82963, d.clone()),
            (0.91963, 0.99214, d),
        ]
    );
}

#[test]
fn epss_invalid_files_fail_the_build_and_keep_the_db() {
    let fx = Fixtures::new();
    let good = folder(&[(
        "epss/example-1.csv",
        fx.bytes(&format!("{VUNNEL_EPSS}/example-1.csv")),
    )]);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("db.sqlite");
    build(good.path(), &out, &quick()).unwrap();
    let before = std::fs::read(&out).unwrap();
    for (file, expect) in [
        (
            "invalid-header.csv",
            "unexpected header \"invalid,header,format\"; expected `cve,epss,percentile`",
        ),
        ("missing-date.csv", "no score_date in the first line"),
    ] {
        let bad = folder(&[(
            &format!("epss/{file}"),
            gz(&fx.bytes(&format!("{VUNNEL_EPSS}/{file}"))),
        )]);
        let e = build(bad.path(), &out, &quick()).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::Feed { .. }), "{msg}");
        assert!(msg.contains(file), "{msg}");
        assert!(msg.contains("not a FIRST EPSS file"), "{msg}");
        assert!(msg.contains(expect), "{msg}");
        assert_eq!(std::fs::read(&out).unwrap(), before, "{file}");
    }
    // a truncated gzip is an error too
    let whole = gz(&fx.bytes(CLAIR_EPSS));
    let cut = folder(&[("epss/x.csv.gz", whole[..whole.len() / 2].to_vec())]);
    let msg = build(cut.path(), &out, &quick()).unwrap_err().to_string();
    assert!(msg.contains("truncated or corrupt"), "{msg}");
    let db = Db::open(&out).unwrap();
    assert_eq!(epss(&db, "CVE-1999-0001").unwrap().0, 0.00383);
}

// ------------------------------------------------------------------------------ NVD parsing

fn nvd_scores(db: &Db, cve: &str) -> Vec<(String, String, String, f64, Severity)> {
    db.nvd(cve)
        .unwrap()
        .unwrap_or_else(|| panic!("{cve} not in the DB"))
        .cvss
        .into_iter()
        .map(|c| (c.version, c.source, c.kind, c.score, c.severity))
        .collect()
}

#[test]
fn nvd_real_pages() {
    let fx = Fixtures::new();
    let feeds = folder(&[
        (
            "nvd/a-full-page.json",
            fx.bytes(&format!("{VUNNEL_NVD}/full-page.json")),
        ),
        (
            "nvd/b-respPage2.json.gz",
            gz(&fx.bytes(&format!("{VLU_NVD}/respPage2.json"))),
        ),
        (
            "nvd/c-CVE-2017-6507.json",
            fx.bytes(&format!("{OSV_NVD}/CVE-2017-6507.json")),
        ),
        (
            "nvd/c-CVE-2024-3094.json",
            fx.bytes(&format!("{OSV_NVD}/CVE-2024-3094.json")),
        ),
        (
            "nvd/c-CVE-2014-1424.json",
            fx.bytes(&format!("{OSV_NVD}/CVE-2014-1424.json")),
        ),
    ]);
    let out = feeds.path().join("db.sqlite");
    let report = build(feeds.path(), &out, &quick()).unwrap();
    let f = report.feeds.iter().find(|f| f.name == "nvd").unwrap();
    assert_eq!(f.records, 38 + 1 + 3);
    assert_eq!(f.files.len(), 5);
    let db = Db::open(&out).unwrap();
    let s = |v: &str, src: &str, t: &str, score: f64, sev: Severity| {
        (v.to_string(), src.to_string(), t.to_string(), score, sev)
    };
    assert_eq!(
        nvd_scores(&db, "CVE-2023-27314"),
        vec![
            s("3.1", "nvd@nist.gov", "Primary", 7.5, Severity::High),
            s(
                "3.1",
                "security-alert@netapp.com",
                "Secondary",
                7.5,
                Severity::High
            ),
        ]
    );
    // a CNA can be the primary source
    assert_eq!(
        nvd_scores(&db, "CVE-2023-22068"),
        vec![s(
            "3.1",
            "secalert_us@oracle.com",
            "Primary",
            4.9,
            Severity::Medium
        )]
    );
    // awaiting analysis, no metrics yet: a record without scores
    assert_eq!(nvd_scores(&db, "CVE-2023-43250"), vec![]);
    let rec = db.nvd("CVE-2023-43250").unwrap().unwrap();
    assert_eq!(rec.published.as_deref(), Some("2023-10-18T16:15:08.790"));
    // v3.1 from the NVD, v4.0 from a CNA (v2 is not kept)
    assert_eq!(
        nvd_scores(&db, "CVE-2024-5732"),
        vec![
            s("3.1", "nvd@nist.gov", "Primary", 9.8, Severity::Critical),
            s("3.1", "cna@vuldb.com", "Secondary", 7.3, Severity::High),
            s("4.0", "cna@vuldb.com", "Secondary", 6.9, Severity::Medium),
        ]
    );
    let v4 = &db.nvd("CVE-2024-5732").unwrap().unwrap().cvss[2];
    assert!(
        v4.vector
            .starts_with("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/")
    );
    // v3.0 only (osv.dev's copy of an API 2.0 answer)
    assert_eq!(
        nvd_scores(&db, "CVE-2017-6507"),
        vec![s("3.0", "nvd@nist.gov", "Primary", 5.9, Severity::Medium)]
    );
    assert_eq!(
        nvd_scores(&db, "CVE-2024-3094"),
        vec![
            s("3.1", "nvd@nist.gov", "Primary", 10.0, Severity::Critical),
            s(
                "3.1",
                "secalert@redhat.com",
                "Secondary",
                10.0,
                Severity::Critical
            ),
        ]
    );
    assert_eq!(nvd_scores(&db, "CVE-2014-1424"), vec![]);
    assert_eq!(db.nvd("CVE-2099-0001").unwrap(), None);
}

#[test]
fn nvd_truncated_page_fails_the_build() {
    let fx = Fixtures::new();
    let whole = fx.bytes(&format!("{VUNNEL_NVD}/full-page.json"));
    let feeds = folder(&[("nvd/p.json", whole[..whole.len() - 100].to_vec())]);
    let out = feeds.path().join("db.sqlite");
    let msg = build(feeds.path(), &out, &quick()).unwrap_err().to_string();
    assert!(msg.contains("nvd/p.json"), "{msg}");
    assert!(msg.contains("truncated JSON"), "{msg}");
    assert!(!out.exists());
}

// ------------------------------------------------------------------------------ the server

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    Status(u16),
    /// Announce `len` bytes, send `body`, close.
    Short(Vec<u8>, u64),
}

type Route = Box<dyn Fn(&str, usize) -> Reply + Send>;

/// One request per connection; `route(target, how many times this target was asked)`.
struct Server {
    addr: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    route: Arc<Mutex<Route>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(route: Route) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let route = Arc::new(Mutex::new(route));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, r, st) = (seen.clone(), route.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let _ = handle(conn, &s, &r);
            }
        });
        Server {
            addr,
            seen,
            route,
            stop,
            thread: Some(thread),
        }
    }

    fn set(&self, route: Route) {
        *self.route.lock().unwrap() = route;
    }

    fn seen(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
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
    seen: &Mutex<Vec<Seen>>,
    route: &Mutex<Route>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let n = {
        let mut s = seen.lock().unwrap();
        s.push(Seen {
            target: target.clone(),
            headers,
        });
        s.iter().filter(|x| x.target == target).count()
    };
    let reply = (route.lock().unwrap())(&target, n);
    let (status, body, len) = match reply {
        Reply::Body(b) => (200, b.clone(), b.len() as u64),
        Reply::Status(s) => (s, Vec::new(), 0),
        Reply::Short(b, n) => (200, b, n),
    };
    write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )?;
    conn.write_all(&body)?;
    conn.flush()
}

fn urls(server: &Server) -> FeedUrls {
    FeedUrls {
        epss: format!("{}/epss/epss_scores-current.csv.gz", server.addr),
        nvd: format!("{}/rest/json/cves/2.0", server.addr),
        ..FeedUrls::default()
    }
}

/// Only EPSS and/or the NVD, fast pacing.
fn only(epss: bool, nvd: bool, now: time::OffsetDateTime) -> UpdateOptions {
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
        epss,
        nvd,
        nvd_options: NvdOptions {
            api_key: Some("test-key-0123".into()),
            results_per_page: 2,
            request_delay: Duration::from_millis(1),
            retries: 2,
            retry_delay: Duration::from_millis(5),
            now: Some(now),
        },
        build: quick(),
        ..UpdateOptions::default()
    }
}

#[test]
fn epss_update_and_a_bad_download() {
    let fx = Fixtures::new();
    let good = gz(&fx.bytes(&format!("{VUNNEL_EPSS}/example-1.csv")));
    let g = good.clone();
    let server = Server::start(Box::new(move |t, _| {
        if t == "/epss/epss_scores-current.csv.gz" {
            Reply::Body(g.clone())
        } else {
            Reply::Status(404)
        }
    }));
    let work = tempfile::tempdir().unwrap();
    let feeds = work.path().join("feeds");
    let out = work.path().join("db.sqlite");
    let now = datetime!(2025-02-21 00:00 UTC);
    update(&urls(&server), &feeds, &out, &only(true, false, now)).unwrap();
    let db = Db::open(&out).unwrap();
    assert_eq!(epss(&db, "CVE-1999-0005").unwrap().0, 0.91963);
    drop(db);
    let saved = feeds.join("epss/epss_scores-current.csv.gz");
    assert_eq!(std::fs::read(&saved).unwrap(), good);
    let before = std::fs::read(&out).unwrap();

    for (file, expect) in [
        ("invalid-header.csv", "unexpected header"),
        ("missing-date.csv", "no score_date"),
    ] {
        let bad = gz(&fx.bytes(&format!("{VUNNEL_EPSS}/{file}")));
        server.set(Box::new(move |_, _| Reply::Body(bad.clone())));
        let e = update(&urls(&server), &feeds, &out, &only(true, false, now)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::BadDownload { .. }), "{msg}");
        assert!(msg.contains("/epss/epss_scores-current.csv.gz"), "{msg}");
        assert!(msg.contains(expect), "{msg}");
        // the previous file and DB are untouched
        assert_eq!(std::fs::read(&saved).unwrap(), good);
        assert_eq!(std::fs::read(&out).unwrap(), before);
    }
    // a truncated body
    let g = good.clone();
    server.set(Box::new(move |_, _| {
        Reply::Short(g[..g.len() / 2].to_vec(), g.len() as u64)
    }));
    assert!(update(&urls(&server), &feeds, &out, &only(true, false, now)).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

/// Files of `dir`, sorted, with their bytes.
fn snapshot_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn nvd_full_sync_then_incremental_windows() {
    let fx = Fixtures::new();
    let page1 = fx.bytes(&format!("{VLU_NVD}/respPage1.json"));
    let page2 = fx.bytes(&format!("{VLU_NVD}/respPage2.json"));
    let single = fx.bytes(&format!("{VUNNEL_NVD}/single-entry.json"));
    let empty = fx.bytes(&format!("{VLU_NVD}/emptyResp.json"));

    let (p1, p2) = (page1.clone(), page2.clone());
    // the first request is answered 503 once (NVD busy): it is retried
    let server = Server::start(Box::new(move |t, n| match t {
        "/rest/json/cves/2.0?resultsPerPage=2&startIndex=0" if n == 1 => Reply::Status(503),
        "/rest/json/cves/2.0?resultsPerPage=2&startIndex=0" => Reply::Body(p1.clone()),
        "/rest/json/cves/2.0?resultsPerPage=2&startIndex=2" => Reply::Body(p2.clone()),
        _ => Reply::Status(404),
    }));
    let work = tempfile::tempdir().unwrap();
    let feeds = work.path().join("feeds");
    let out = work.path().join("db.sqlite");
    let t0 = datetime!(2024-06-01 00:00 UTC);
    let report = update(&urls(&server), &feeds, &out, &only(false, true, t0)).unwrap();
    let seen = server.seen();
    let targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/rest/json/cves/2.0?resultsPerPage=2&startIndex=0",
            "/rest/json/cves/2.0?resultsPerPage=2&startIndex=0",
            "/rest/json/cves/2.0?resultsPerPage=2&startIndex=2",
        ]
    );
    for s in &seen {
        assert_eq!(s.header("apiKey"), Some("test-key-0123"), "{}", s.target);
    }
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("nvd: full sync, 3 CVE records")),
        "{:?}",
        report.notes
    );
    let db = Db::open(&out).unwrap();
    for cve in ["CVE-2020-8167", "CVE-2021-22903", "CVE-2024-5732"] {
        assert!(db.nvd(cve).unwrap().is_some(), "{cve}");
    }
    assert_eq!(db.nvd("CVE-2020-8167").unwrap().unwrap().cvss[0].score, 6.5);
    assert_eq!(db.nvd("CVE-2022-1576").unwrap(), None);
    drop(db);
    let nvd_dir = feeds.join("nvd");
    let names: Vec<String> = snapshot_dir(&nvd_dir).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            ".update-state.json",
            "full-000000000.json.gz",
            "full-000000002.json.gz"
        ]
    );
    let state = std::fs::read_to_string(nvd_dir.join(".update-state.json")).unwrap();
    assert!(
        state.contains("\"synced_until\": \"2024-06-01T00:00:00Z\""),
        "{state}"
    );

    // 150 days later: two windows (120 + 30 days) from where the first run ended
    let w1 = "lastModStartDate=2024-06-01T00:00:00.000%2B00:00&lastModEndDate=2024-09-29T00:00:00.000%2B00:00";
    let w2 = "lastModStartDate=2024-09-29T00:00:00.000%2B00:00&lastModEndDate=2024-10-29T00:00:00.000%2B00:00";
    let (s1, e1) = (single.clone(), empty.clone());
    server.set(Box::new(move |t, _| {
        if t.contains(w1) {
            Reply::Body(s1.clone())
        } else if t.contains(w2) {
            Reply::Body(e1.clone())
        } else {
            Reply::Status(404)
        }
    }));
    let t1 = t0 + time::Duration::days(150);
    let report = update(&urls(&server), &feeds, &out, &only(false, true, t1)).unwrap();
    let seen = server.seen();
    let targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            format!("/rest/json/cves/2.0?resultsPerPage=2&startIndex=0&{w1}"),
            format!("/rest/json/cves/2.0?resultsPerPage=2&startIndex=0&{w2}"),
        ]
    );
    assert!(
        seen.iter()
            .all(|s| s.header("apiKey") == Some("test-key-0123"))
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("nvd: incremental update, 1 CVE records")),
        "{:?}",
        report.notes
    );
    let db = Db::open(&out).unwrap();
    assert_eq!(
        db.nvd("CVE-2022-1576").unwrap().unwrap().cvss[0].vector,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N"
    );
    assert!(db.nvd("CVE-2024-5732").unwrap().is_some());
    let info = db.info().unwrap();
    assert_eq!(
        info.feeds.iter().find(|f| f.name == "nvd").unwrap().records,
        4
    );
    drop(db);
    let before_db = std::fs::read(&out).unwrap();
    let before_dir = snapshot_dir(&nvd_dir);
    assert!(
        before_dir
            .iter()
            .any(|(n, _)| n == "update-20240929T000000Z-000000000.json.gz")
    );

    // a third run whose page arrives truncated: an error naming the URL, nothing changed
    let cut = single[..single.len() - 40].to_vec();
    server.set(Box::new(move |_, _| Reply::Body(cut.clone())));
    let t2 = t1 + time::Duration::days(1);
    let e = update(&urls(&server), &feeds, &out, &only(false, true, t2)).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::BadDownload { .. }), "{msg}");
    assert!(
        msg.contains("lastModStartDate=2024-10-29T00:00:00.000%2B00:00"),
        "{msg}"
    );
    assert!(msg.contains("truncated JSON"), "{msg}");
    assert_eq!(std::fs::read(&out).unwrap(), before_db);
    assert_eq!(snapshot_dir(&nvd_dir), before_dir);
    // ... and a body shorter than announced
    let s2 = single.clone();
    server.set(Box::new(move |_, _| {
        Reply::Short(s2[..100].to_vec(), s2.len() as u64)
    }));
    let msg = update(&urls(&server), &feeds, &out, &only(false, true, t2))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("truncated"), "{msg}");
    // ... and a page holding fewer records than its position promises
    let p1 = page1.clone();
    server.set(Box::new(move |t, _| {
        if t.contains("startIndex=0") {
            // respPage1 claims totalResults 3 and holds 2: with 3 per page, one is missing
            Reply::Body(p1.clone())
        } else {
            Reply::Status(404)
        }
    }));
    let mut three = only(false, true, t2);
    three.nvd_options.results_per_page = 3;
    let msg = update(&urls(&server), &feeds, &out, &three)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("page at startIndex 0 holds 2 records, 3 expected (totalResults 3)"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before_db);
    assert_eq!(snapshot_dir(&nvd_dir), before_dir);
    // rate limited for good: 403 after every retry
    server.seen();
    server.set(Box::new(|_, _| Reply::Status(403)));
    let e = update(&urls(&server), &feeds, &out, &only(false, true, t2)).unwrap_err();
    assert!(matches!(e, Error::HttpStatus { status: 403, .. }), "{e}");
    assert_eq!(server.seen().len(), 3, "one request and two retries");
    assert_eq!(std::fs::read(&out).unwrap(), before_db);
    assert_eq!(snapshot_dir(&nvd_dir), before_dir);
}

#[test]
fn defaults() {
    let u = FeedUrls::default();
    assert_eq!(u.nvd, "https://services.nvd.nist.gov/rest/json/cves/2.0");
    assert!(u.epss.ends_with("/epss_scores-current.csv.gz"));
    let o = UpdateOptions::default();
    assert!(o.epss);
    assert!(!o.nvd, "a full NVD sync is opt-in");
    assert_eq!(o.nvd_options.results_per_page, 2000);
    assert_eq!(o.nvd_options.api_key, None);
}

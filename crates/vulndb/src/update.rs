//! `update`: download the feeds into a feed folder (the layout `build` reads), then build.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize as _;

use crate::build::{BuildOptions, BuildReport, build};
use crate::error::{Error, Result};

/// Where each feed is downloaded from. Every field is a base URL (no trailing `/` needed);
/// the defaults are the feeds' public addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedUrls {
    /// Alpine secdb; files are `<base>/<branch>/<repo>.json`.
    pub alpine_secdb: String,
    /// Debian security tracker JSON export (the full URL of the document).
    pub debian_tracker: String,
    /// Debian tracker data folder; files are `<base>/{DSA,DLA,DTSA}/list`.
    pub debian_lists: String,
    /// OSV bucket; files are `<base>/<Ecosystem>/all.zip`.
    pub osv: String,
    /// CISA KEV catalogue (the full URL of the JSON document).
    pub kev: String,
}

impl Default for FeedUrls {
    fn default() -> Self {
        FeedUrls {
            alpine_secdb: "https://secdb.alpinelinux.org".into(),
            debian_tracker: "https://security-tracker.debian.org/tracker/data/json".into(),
            debian_lists:
                "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data"
                    .into(),
            osv: "https://osv-vulnerabilities.storage.googleapis.com".into(),
            kev: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
                .into(),
        }
    }
}

/// Which feeds [`update`] downloads, and how.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Alpine branches (`v3.20`, `edge`); each gets `main.json` and `community.json`.
    /// Empty = no Alpine download.
    pub alpine_branches: Vec<String>,
    /// Alpine repositories per branch.
    pub alpine_repos: Vec<String>,
    /// Download the Debian tracker JSON export.
    pub debian_tracker: bool,
    /// Download the DSA/DLA/DTSA lists.
    pub debian_lists: bool,
    /// OSV ecosystems (as the bucket spells them: `PyPI`, `crates.io`). Empty = no OSV.
    pub osv_ecosystems: Vec<String>,
    /// Download the KEV catalogue.
    pub kev: bool,
    /// Connection timeout per request.
    pub connect_timeout: Duration,
    /// Whole-request timeout per file (large OSV zips need minutes on slow links).
    pub timeout: Duration,
    /// Largest file accepted; larger downloads fail with [`Error::TooLarge`].
    pub max_download_bytes: u64,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Options for the build that follows the downloads.
    pub build: BuildOptions,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        let mut alpine_branches: Vec<String> = (3..=22).map(|m| format!("v3.{m}")).collect();
        alpine_branches.push("edge".into());
        UpdateOptions {
            alpine_branches,
            alpine_repos: vec!["main".into(), "community".into()],
            debian_tracker: true,
            debian_lists: true,
            osv_ecosystems: [
                "Debian",
                "Ubuntu",
                "Alpine",
                "AlmaLinux",
                "PyPI",
                "npm",
                "Go",
                "crates.io",
                "Maven",
                "NuGet",
                "Packagist",
                "RubyGems",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            kev: true,
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(30 * 60),
            max_download_bytes: 2 * 1024 * 1024 * 1024,
            user_agent: format!("drydock-vulndb/{}", env!("CARGO_PKG_VERSION")),
            build: BuildOptions::default(),
        }
    }
}

/// How to check a downloaded file before it replaces the previous copy.
#[derive(Debug, Clone, Copy)]
enum Check {
    Json,
    Zip,
    Text,
}

/// One file to fetch.
struct Job {
    url: String,
    dest: PathBuf,
    check: Check,
    /// A 404 is a note, not an error (Alpine branches/repos that do not exist).
    optional: bool,
}

fn join(base: &str, rest: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        rest.trim_start_matches('/')
    )
}

/// Only plain path components may come from options (they become folder names).
fn safe_component(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && !s.contains(['/', '\\'])
        && !s.chars().any(char::is_control)
}

fn jobs(urls: &FeedUrls, dir: &Path, opts: &UpdateOptions) -> Result<Vec<Job>> {
    let bad = |what: &str| Error::InvalidOption(format!("not a plain folder name: {what:?}"));
    let mut out = Vec::new();
    for branch in &opts.alpine_branches {
        if !safe_component(branch) {
            return Err(bad(branch));
        }
        for repo in &opts.alpine_repos {
            if !safe_component(repo) {
                return Err(bad(repo));
            }
            out.push(Job {
                url: join(&urls.alpine_secdb, &format!("{branch}/{repo}.json")),
                dest: dir
                    .join("alpine-secdb")
                    .join(branch)
                    .join(format!("{repo}.json")),
                check: Check::Json,
                optional: true,
            });
        }
    }
    if opts.debian_lists {
        for l in ["DSA", "DLA", "DTSA"] {
            out.push(Job {
                url: join(&urls.debian_lists, &format!("{l}/list")),
                dest: dir.join("debian").join(format!("{l}.list")),
                check: Check::Text,
                optional: false,
            });
        }
    }
    if opts.debian_tracker {
        out.push(Job {
            url: urls.debian_tracker.clone(),
            dest: dir.join("debian").join("tracker.json"),
            check: Check::Json,
            optional: false,
        });
    }
    for eco in &opts.osv_ecosystems {
        if !safe_component(eco) {
            return Err(bad(eco));
        }
        out.push(Job {
            url: join(&urls.osv, &format!("{eco}/all.zip")),
            dest: dir.join("osv").join(eco).join("all.zip"),
            check: Check::Zip,
            optional: false,
        });
    }
    if opts.kev {
        out.push(Job {
            url: urls.kev.clone(),
            dest: dir.join("kev").join("known_exploited_vulnerabilities.json"),
            check: Check::Json,
            optional: false,
        });
    }
    Ok(out)
}

/// Download the selected feeds into `feeds_dir` (the layout [`build`] reads), then build
/// `out_db` from the whole folder.
///
/// Each file is streamed to a temporary file in its destination folder, checked (JSON parses,
/// zip opens, text is UTF-8), and only then renamed over the previous copy; an HTTP error,
/// timeout, size-cap breach or failed check stops the update with an error naming the URL,
/// before the build, so the previous DB at `out_db` is left as it was. A 404 for an Alpine
/// branch or repository is skipped with a note in the report.
pub fn update(
    urls: &FeedUrls,
    feeds_dir: &Path,
    out_db: &Path,
    opts: &UpdateOptions,
) -> Result<BuildReport> {
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.timeout)
        .user_agent(opts.user_agent.clone())
        .build()
        .map_err(|e| Error::Http {
            url: "(HTTP client set-up)".into(),
            source: e,
        })?;
    let mut notes = Vec::new();
    for job in jobs(urls, feeds_dir, opts)? {
        match fetch(&client, &job, opts.max_download_bytes)? {
            Some(bytes) => {
                tracing::info!(url = %job.url, bytes, "downloaded");
                notes.push(format!("downloaded {} ({bytes} bytes)", job.url));
            }
            None => notes.push(format!("{}: 404 Not Found, skipped", job.url)),
        }
    }
    let mut report = build(feeds_dir, out_db, &opts.build)?;
    notes.append(&mut report.notes);
    report.notes = notes;
    Ok(report)
}

/// Fetch one file; `Ok(None)` for an optional file that does not exist upstream.
fn fetch(client: &reqwest::blocking::Client, job: &Job, cap: u64) -> Result<Option<u64>> {
    let url = &job.url;
    let http = |e: reqwest::Error| Error::Http {
        url: url.clone(),
        source: e,
    };
    let mut resp = client.get(url).send().map_err(http)?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_FOUND && job.optional {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(Error::HttpStatus {
            url: url.clone(),
            status: status.as_u16(),
        });
    }
    let declared = resp.content_length();
    if declared.is_some_and(|n| n > cap) {
        return Err(Error::TooLarge {
            url: url.clone(),
            limit: cap,
        });
    }

    let dir = job.dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".drydock-download-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    let mut written: u64 = 0;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = resp.read(&mut buf).map_err(|e| Error::BadDownload {
                url: url.clone(),
                msg: format!("body read failed after {written} bytes: {e}"),
            })?;
            if n == 0 {
                break;
            }
            written += n as u64;
            if written > cap {
                return Err(Error::TooLarge {
                    url: url.clone(),
                    limit: cap,
                });
            }
            out.write_all(&buf[..n])
                .map_err(|e| Error::io(tmp_path(&job.dest), e))?;
        }
        out.flush().map_err(|e| Error::io(tmp_path(&job.dest), e))?;
    }
    if let Some(n) = declared.filter(|&n| n != written) {
        return Err(Error::BadDownload {
            url: url.clone(),
            msg: format!("truncated: {written} of {n} bytes received"),
        });
    }
    check(tmp.path(), job.check).map_err(|msg| Error::BadDownload {
        url: url.clone(),
        msg,
    })?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(&job.dest)
        .map_err(|e| Error::io(&job.dest, e.error))?;
    Ok(Some(written))
}

fn tmp_path(dest: &Path) -> PathBuf {
    dest.with_extension("download")
}

/// A light check that the file is what it claims to be (catches truncation and HTML error
/// pages served with 200).
fn check(path: &Path, kind: Check) -> std::result::Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    match kind {
        Check::Json => {
            let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
            serde::de::IgnoredAny::deserialize(&mut de)
                .map_err(|e| format!("invalid JSON: {e}"))?;
            de.end().map_err(|e| format!("invalid JSON: {e}"))
        }
        Check::Zip => {
            let mut zip = zip::ZipArchive::new(BufReader::new(file))
                .map_err(|e| format!("not a readable zip archive: {e}"))?;
            // The central directory is at the end: a truncated archive fails above. Reading
            // the last entry also checks its data is complete.
            if let Some(last) = zip.len().checked_sub(1) {
                let mut e = zip.by_index(last).map_err(|e| e.to_string())?;
                std::io::copy(&mut e, &mut std::io::sink())
                    .map_err(|e| format!("last entry unreadable: {e}"))?;
            }
            Ok(())
        }
        Check::Text => {
            let mut s = String::new();
            BufReader::new(file)
                .read_to_string(&mut s)
                .map_err(|e| format!("not UTF-8 text: {e}"))?;
            if s.trim().is_empty() {
                return Err("empty".into());
            }
            Ok(())
        }
    }
}

//! `update`: download the feeds into a feed folder (the layout `build` reads), then build.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize as _;

use crate::build::{BuildOptions, BuildReport, build};
use crate::error::{Error, Result};

mod nvd;
mod redhat_csaf;

pub use nvd::{MAX_WINDOW_DAYS as NVD_MAX_WINDOW_DAYS, NvdOptions};

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
    /// Azure Linux / CBL-Mariner OVAL; files are `<base>/<file>` (`azurelinux-3.0-oval.xml`).
    pub azurelinux_oval: String,
    /// Oracle Linux ELSA OVAL; files are `<base>/<file>` (`com.oracle.elsa-all.xml.bz2`).
    pub oracle_oval: String,
    /// Amazon Linux `(release, mirror.list URL)`: the mirror list's first URL is the
    /// repository whose `repodata/repomd.xml` names the current `updateinfo.xml.gz`.
    pub amazon_mirror_lists: Vec<(String, String)>,
    /// Rocky Linux mirror; repositories are `<base>/<release>/<repo>/x86_64/os/`.
    pub rocky: String,
    /// RubySec ruby-advisory-db: the full URL of a `.tar.gz` of the repository (by default
    /// the GitHub archive of its default branch), saved as `rubysec/ruby-advisory-db.tar.gz`.
    pub rubysec: String,
    /// FriendsOfPHP security-advisories: the full URL of a `.tar.gz` of the repository, saved
    /// as `friendsofphp/security-advisories.tar.gz`.
    pub friendsofphp: String,
    /// Node.js security WG: the full URL of a `.tar.gz` of the repository (or of its `vuln/`
    /// folder), saved as `nodejs-security-wg/vuln.tar.gz`.
    pub nodejs_security_wg: String,
    /// Red Hat CSAF VEX folder: `<base>/archive_latest.txt` names the archive of every
    /// document (`<base>/csaf_vex_YYYY-MM-DD.tar.zst`); `<base>/changes.csv` and
    /// `<base>/deletions.csv` list the documents (`<base>/YYYY/cve-YYYY-NNNN.json`) changed or
    /// deleted since.
    pub redhat_csaf: String,
    /// SUSE CVRF: the full URL of the `.tar.bz2` of every CVRF document, saved as
    /// `suse-cvrf/cvrf.tar.bz2`.
    pub suse_cvrf: String,
    /// VMware Photon OS OVAL; files are `<base>/<file>` (`com.vmware.phsa-photon5.xml.gz`).
    pub photon_oval: String,
    /// FIRST EPSS: the full URL of the day's scores (`.csv.gz`), saved as
    /// `epss/epss_scores-current.csv.gz`.
    pub epss: String,
    /// NVD CVE API 2.0 endpoint (`…/rest/json/cves/2.0`); pages are saved under `nvd/`.
    pub nvd: String,
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
            azurelinux_oval:
                "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main"
                    .into(),
            oracle_oval: "https://linux.oracle.com/security/oval".into(),
            amazon_mirror_lists: vec![
                (
                    "2".into(),
                    "https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list".into(),
                ),
                (
                    "2023".into(),
                    "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list"
                        .into(),
                ),
            ],
            rocky: "https://dl.rockylinux.org/pub/rocky".into(),
            rubysec: "https://github.com/rubysec/ruby-advisory-db/archive/refs/heads/master.tar.gz"
                .into(),
            friendsofphp:
                "https://github.com/FriendsOfPHP/security-advisories/archive/refs/heads/master.tar.gz"
                    .into(),
            nodejs_security_wg:
                "https://github.com/nodejs/security-wg/archive/refs/heads/main.tar.gz".into(),
            redhat_csaf: "https://security.access.redhat.com/data/csaf/v2/vex".into(),
            suse_cvrf: "https://ftp.suse.com/pub/projects/security/cvrf.tar.bz2".into(),
            photon_oval: "https://packages.vmware.com/photon/photon_oval_definitions".into(),
            epss: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz".into(),
            nvd: "https://services.nvd.nist.gov/rest/json/cves/2.0".into(),
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
    /// Azure Linux / CBL-Mariner OVAL files (`<distro>-<release>-oval.xml`, the names the
    /// builder takes the namespace from). Empty = none.
    pub azurelinux_oval: Vec<String>,
    /// Oracle Linux OVAL files (plain or `.bz2`). Empty = none.
    pub oracle_oval: Vec<String>,
    /// VMware Photon OS OVAL files (`com.vmware.phsa-photon<N>.xml.gz`, plain `.xml` works
    /// too). Empty = none; a 404 is a note.
    pub photon_oval: Vec<String>,
    /// Download Red Hat CSAF VEX ([`FeedUrls::redhat_csaf`]): the archive named by
    /// `archive_latest.txt` when it is not already in the feed folder, then the documents
    /// `changes.csv` lists as changed since the archive's date and not already held.
    pub redhat_csaf: bool,
    /// Download SUSE CVRF ([`FeedUrls::suse_cvrf`], the whole archive every time; a few
    /// hundred MB): off by default.
    pub suse_cvrf: bool,
    /// Download Amazon Linux updateinfo for the releases in [`FeedUrls::amazon_mirror_lists`].
    pub amazon: bool,
    /// Rocky Linux releases (`8`, `9`) and repositories (`BaseOS`, `AppStream`) whose
    /// updateinfo is downloaded. Empty = none.
    pub rocky_releases: Vec<String>,
    pub rocky_repos: Vec<String>,
    /// Download the RubySec advisory archive ([`FeedUrls::rubysec`]).
    pub rubysec: bool,
    /// Download the FriendsOfPHP advisory archive ([`FeedUrls::friendsofphp`]).
    pub friendsofphp: bool,
    /// Download the Node.js security WG archive ([`FeedUrls::nodejs_security_wg`]).
    pub nodejs_security_wg: bool,
    /// Download the FIRST EPSS scores ([`FeedUrls::epss`], one ~2 MB file a day).
    pub epss: bool,
    /// Sync CVSS data from the NVD API ([`FeedUrls::nvd`]): the first run pages through
    /// every CVE (hours without an API key), so it is off by default.
    pub nvd: bool,
    /// How the NVD is asked (API key, page size, pacing, retries).
    pub nvd_options: NvdOptions,
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
            azurelinux_oval: vec![
                "azurelinux-3.0-oval.xml".into(),
                "cbl-mariner-2.0-oval.xml".into(),
            ],
            oracle_oval: vec!["com.oracle.elsa-all.xml.bz2".into()],
            photon_oval: (1..=5)
                .map(|n| format!("com.vmware.phsa-photon{n}.xml.gz"))
                .collect(),
            redhat_csaf: true,
            suse_cvrf: false,
            amazon: true,
            rocky_releases: vec!["8".into(), "9".into()],
            rocky_repos: vec!["BaseOS".into(), "AppStream".into()],
            rubysec: true,
            friendsofphp: true,
            nodejs_security_wg: true,
            epss: true,
            nvd: false,
            nvd_options: NvdOptions::default(),
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
    /// bzip2 that decompresses to the end, or plain XML.
    Bz2OrXml,
    /// updateinfo: gzip that decompresses to the end, or plain XML.
    GzOrXml,
    /// Well-formed XML (roxmltree parses it).
    Xml,
    Zip,
    Text,
    /// A gzip-compressed tar archive that decompresses and lists to its end.
    TarGz,
    /// A zstd-compressed tar archive that decompresses and lists to its end (with its
    /// end-of-archive marker) and holds at least one `*.json` document.
    TarZst,
    /// A bzip2-compressed tar archive, likewise, with at least one `*.xml` document.
    TarBz2,
    /// A FIRST EPSS CSV (gzip or plain) with its comment line, header and score rows.
    Epss,
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
    for file in &opts.oracle_oval {
        if !safe_component(file) {
            return Err(bad(file));
        }
        out.push(Job {
            url: join(&urls.oracle_oval, file),
            dest: dir.join("oracle-oval").join(file),
            check: Check::Bz2OrXml,
            optional: true,
        });
    }
    for file in &opts.photon_oval {
        if !safe_component(file) {
            return Err(bad(file));
        }
        out.push(Job {
            url: join(&urls.photon_oval, file),
            dest: dir.join("photon-oval").join(file),
            check: Check::GzOrXml,
            // releases come and go: a 404 is a note
            optional: true,
        });
    }
    if opts.suse_cvrf {
        out.push(Job {
            url: urls.suse_cvrf.clone(),
            dest: dir.join(crate::feeds::SUSE_CVRF_ARCHIVE),
            check: Check::TarBz2,
            optional: false,
        });
    }
    for file in &opts.azurelinux_oval {
        if !safe_component(file) {
            return Err(bad(file));
        }
        out.push(Job {
            url: join(&urls.azurelinux_oval, file),
            dest: dir.join("azurelinux-oval").join(file),
            check: Check::Xml,
            // releases come and go (cbl-mariner-1.0 was retired): a 404 is a note
            optional: true,
        });
    }
    for (on, url, rel) in [
        (opts.rubysec, &urls.rubysec, crate::feeds::RUBYSEC_ARCHIVE),
        (
            opts.friendsofphp,
            &urls.friendsofphp,
            crate::feeds::FRIENDSOFPHP_ARCHIVE,
        ),
        (
            opts.nodejs_security_wg,
            &urls.nodejs_security_wg,
            crate::feeds::NODEJS_WG_ARCHIVE,
        ),
    ] {
        if on {
            out.push(Job {
                url: url.clone(),
                dest: dir.join(rel),
                check: Check::TarGz,
                optional: false,
            });
        }
    }
    if opts.kev {
        out.push(Job {
            url: urls.kev.clone(),
            dest: dir.join("kev").join("known_exploited_vulnerabilities.json"),
            check: Check::Json,
            optional: false,
        });
    }
    if opts.epss {
        out.push(Job {
            url: urls.epss.clone(),
            dest: dir.join("epss").join("epss_scores-current.csv.gz"),
            check: Check::Epss,
            optional: false,
        });
    }
    Ok(out)
}

/// An updateinfo file found through a repository's `repomd.xml`.
struct RepoJob {
    /// The mirror list to read the repository URL from, or the repository URL itself.
    start: String,
    via_mirror_list: bool,
    dest: PathBuf,
}

fn repo_jobs(urls: &FeedUrls, dir: &Path, opts: &UpdateOptions) -> Result<Vec<RepoJob>> {
    let bad = |what: &str| Error::InvalidOption(format!("not a plain folder name: {what:?}"));
    let mut out = Vec::new();
    if opts.amazon {
        for (release, list) in &urls.amazon_mirror_lists {
            if !safe_component(release) {
                return Err(bad(release));
            }
            out.push(RepoJob {
                start: list.clone(),
                via_mirror_list: true,
                dest: dir.join("amazon").join(release).join("updateinfo.xml.gz"),
            });
        }
    }
    for release in &opts.rocky_releases {
        if !safe_component(release) {
            return Err(bad(release));
        }
        for repo in &opts.rocky_repos {
            if !safe_component(repo) {
                return Err(bad(repo));
            }
            out.push(RepoJob {
                start: join(&urls.rocky, &format!("{release}/{repo}/x86_64/os")),
                via_mirror_list: false,
                dest: dir
                    .join("rocky")
                    .join(release)
                    .join(format!("updateinfo-{repo}.xml.gz")),
            });
        }
    }
    Ok(out)
}

/// The `location href` of the `updateinfo` entry of a `repomd.xml`.
pub(crate) fn repomd_updateinfo(xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.root_element()
        .children()
        .filter(|n| n.tag_name().name() == "data" && n.attribute("type") == Some("updateinfo"))
        .find_map(|d| {
            d.children()
                .find(|c| c.tag_name().name() == "location")
                .and_then(|l| l.attribute("href"))
                .map(str::to_string)
        })
}

/// GET a small text document (mirror list, repomd); `None` on 404.
fn fetch_text(client: &reqwest::blocking::Client, url: &str) -> Result<Option<String>> {
    fetch_text_capped(client, url, 16 << 20)
}

/// GET a text document of at most `cap` bytes (larger is [`Error::TooLarge`]); `None` on 404.
fn fetch_text_capped(
    client: &reqwest::blocking::Client,
    url: &str,
    cap: u64,
) -> Result<Option<String>> {
    let http = |e: reqwest::Error| Error::Http {
        url: url.to_string(),
        source: e,
    };
    let resp = client.get(url).send().map_err(http)?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(Error::HttpStatus {
            url: url.to_string(),
            status: resp.status().as_u16(),
        });
    }
    let declared = resp.content_length();
    let mut body = String::new();
    resp.take(cap + 1)
        .read_to_string(&mut body)
        .map_err(|e| Error::BadDownload {
            url: url.to_string(),
            msg: format!("not UTF-8 text, or the body read failed: {e}"),
        })?;
    if body.len() as u64 > cap {
        return Err(Error::TooLarge {
            url: url.to_string(),
            limit: cap,
        });
    }
    if let Some(n) = declared.filter(|&n| n != body.len() as u64) {
        return Err(Error::BadDownload {
            url: url.to_string(),
            msg: format!("truncated: {} of {n} bytes received", body.len()),
        });
    }
    Ok(Some(body))
}

/// Resolve a repository job to the updateinfo URL; `Ok(Err(note))` when upstream lacks a step.
fn resolve_repo(
    client: &reqwest::blocking::Client,
    job: &RepoJob,
) -> Result<std::result::Result<String, String>> {
    let base = if job.via_mirror_list {
        let Some(list) = fetch_text(client, &job.start)? else {
            return Ok(Err(format!("{}: 404 Not Found, skipped", job.start)));
        };
        match list
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("http://") || l.starts_with("https://"))
        {
            Some(u) => u.to_string(),
            None => {
                return Err(Error::BadDownload {
                    url: job.start.clone(),
                    msg: "mirror list names no repository URL".into(),
                });
            }
        }
    } else {
        job.start.clone()
    };
    let repomd_url = join(&base, "repodata/repomd.xml");
    let Some(repomd) = fetch_text(client, &repomd_url)? else {
        return Ok(Err(format!("{repomd_url}: 404 Not Found, skipped")));
    };
    let href = repomd_updateinfo(&repomd).ok_or_else(|| Error::BadDownload {
        url: repomd_url.clone(),
        msg: "repomd.xml lists no updateinfo".into(),
    })?;
    if href.contains("://") {
        return Ok(Ok(href));
    }
    Ok(Ok(join(&base, &href)))
}

/// Download the selected feeds into `feeds_dir` (the layout [`build`] reads), then build
/// `out_db` from the whole folder.
///
/// Each file is streamed to a temporary file in its destination folder, checked (JSON parses,
/// zip opens, text is UTF-8), and only then renamed over the previous copy; an HTTP error,
/// timeout, size-cap breach or failed check (a `.tar.gz` must decompress and list to its end)
/// stops the update with an error naming the URL,
/// before the build, so the previous DB at `out_db` is left as it was. A 404 for an Alpine
/// branch or repository, or an Azure Linux or Photon OVAL file, is skipped with a note in the
/// report.
///
/// EPSS is checked end to end like the other files (comment line with a score date, the
/// `cve,epss,percentile` header, every line readable). The NVD (when [`UpdateOptions::nvd`])
/// is fetched after Red Hat, page by page, and committed as a whole (see [`NvdOptions`]).
///
/// Red Hat CSAF VEX is fetched after the single files and committed as a whole: the archive
/// (when new), then the documents changed since its date are staged in hidden temporary files,
/// and only when all of them passed their checks are they moved into `redhat-csaf/` (older archives and loose
/// documents they supersede removed, deleted documents removed, `deletions.csv` and the
/// update state written). A failure anywhere leaves the folder as it was.
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
    for rj in repo_jobs(urls, feeds_dir, opts)? {
        let url = match resolve_repo(&client, &rj)? {
            Ok(u) => u,
            Err(note) => {
                notes.push(note);
                continue;
            }
        };
        let job = Job {
            url,
            dest: rj.dest,
            check: Check::GzOrXml,
            optional: true,
        };
        match fetch(&client, &job, opts.max_download_bytes)? {
            Some(bytes) => notes.push(format!("downloaded {} ({bytes} bytes)", job.url)),
            None => notes.push(format!("{}: 404 Not Found, skipped", job.url)),
        }
    }
    if opts.redhat_csaf {
        redhat_csaf::update(
            &client,
            &urls.redhat_csaf,
            feeds_dir,
            opts.max_download_bytes,
            &mut notes,
        )?;
    }
    if opts.nvd {
        nvd::update(
            &client,
            &urls.nvd,
            feeds_dir,
            &opts.nvd_options,
            opts.max_download_bytes,
            &mut notes,
        )?;
    }
    let mut report = build(feeds_dir, out_db, &opts.build)?;
    notes.append(&mut report.notes);
    report.notes = notes;
    Ok(report)
}

/// Fetch one file; `Ok(None)` for an optional file that does not exist upstream.
fn fetch(client: &reqwest::blocking::Client, job: &Job, cap: u64) -> Result<Option<u64>> {
    let Some((tmp, written)) = download(client, job, cap)? else {
        return Ok(None);
    };
    tmp.persist(&job.dest)
        .map_err(|e| Error::io(&job.dest, e.error))?;
    Ok(Some(written))
}

/// Download one file into a checked temporary file next to `job.dest` (not yet renamed into
/// place; removed if dropped); `Ok(None)` for an optional file that does not exist upstream.
fn download(
    client: &reqwest::blocking::Client,
    job: &Job,
    cap: u64,
) -> Result<Option<(tempfile::NamedTempFile, u64)>> {
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
    Ok(Some((tmp, written)))
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
        Check::Bz2OrXml | Check::GzOrXml => {
            let mut head = [0u8; 3];
            let n = (&file).read(&mut head).map_err(|e| e.to_string())?;
            let reopened = std::fs::File::open(path).map_err(|e| e.to_string())?;
            let reader: Box<dyn Read> = if n == 3 && &head == b"BZh" {
                Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(reopened)))
            } else if n >= 2 && head[..2] == [0x1f, 0x8b] {
                Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(reopened)))
            } else {
                return check(path, Check::Xml);
            };
            let mut start = [0u8; 64];
            let mut reader = BufReader::new(reader);
            let got = reader
                .read(&mut start)
                .map_err(|e| format!("corrupt: {e}"))?;
            if !String::from_utf8_lossy(&start[..got])
                .trim_start()
                .starts_with('<')
            {
                return Err("decompressed content is not XML".into());
            }
            std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(|e| format!("corrupt or truncated: {e}"))?;
            Ok(())
        }
        Check::Xml => {
            let mut s = String::new();
            BufReader::new(file)
                .read_to_string(&mut s)
                .map_err(|e| format!("not UTF-8 text: {e}"))?;
            crate::feeds::xml::parse(&s).map(|_| ())
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
        Check::TarGz => {
            // Decompressed and listed to the end of the gzip stream; nothing is kept.
            let contents =
                crate::feeds::tarball::read(path, 0, &|_| false).map_err(|e| match e {
                    Error::Feed { msg, .. } => msg,
                    other => other.to_string(),
                })?;
            if contents.file_entries == 0 {
                return Err("archive holds no files".into());
            }
            Ok(())
        }
        Check::TarZst | Check::TarBz2 => {
            use crate::feeds::tarball::{Compression, for_each_file};
            let (compression, ext, max_doc, max_total) = match kind {
                Check::TarZst => (
                    Compression::Zstd,
                    ".json",
                    crate::feeds::redhat_csaf::MAX_DOC_BYTES,
                    crate::feeds::redhat_csaf::MAX_ARCHIVE_BYTES,
                ),
                _ => (
                    Compression::Bzip2,
                    ".xml",
                    crate::feeds::suse_cvrf::MAX_DOC_BYTES,
                    crate::feeds::suse_cvrf::MAX_ARCHIVE_BYTES,
                ),
            };
            // Decompressed and listed to the end; entries are read (so a short one is seen)
            // but not kept.
            let stats = for_each_file(
                path,
                compression,
                max_doc,
                max_total,
                &|p: &str| p.ends_with(ext),
                &mut |_, _| Ok(()),
            )
            .map_err(|e| match e {
                Error::Feed { msg, .. } => msg,
                other => other.to_string(),
            })?;
            if stats.wanted == 0 {
                return Err(format!("archive holds no {ext} document"));
            }
            Ok(())
        }
        Check::Epss => crate::feeds::epss::check(path).map(|_| ()),
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

#[cfg(test)]
mod rpm_feed_tests {
    use super::*;

    #[test]
    fn repomd_names_the_updateinfo() {
        let xml = r#"<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary"><location href="repodata/p.xml.gz"/></data><data type="updateinfo"><location href="repodata/abc-updateinfo.xml.gz"/></data></repomd>"#;
        assert_eq!(
            repomd_updateinfo(xml).as_deref(),
            Some("repodata/abc-updateinfo.xml.gz")
        );
        assert_eq!(repomd_updateinfo("<repomd/>"), None);
        assert_eq!(repomd_updateinfo("not xml"), None);
    }

    #[test]
    fn azure_linux_oval_jobs() {
        let urls = FeedUrls {
            azurelinux_oval: "http://127.0.0.1:1/az/".into(),
            ..FeedUrls::default()
        };
        let opts = UpdateOptions {
            alpine_branches: vec![],
            debian_tracker: false,
            debian_lists: false,
            osv_ecosystems: vec![],
            kev: false,
            oracle_oval: vec![],
            photon_oval: vec![],
            rubysec: false,
            friendsofphp: false,
            nodejs_security_wg: false,
            epss: false,
            ..UpdateOptions::default()
        };
        let js = jobs(&urls, Path::new("/f"), &opts).unwrap();
        let got: Vec<(String, PathBuf)> = js.into_iter().map(|j| (j.url, j.dest)).collect();
        assert_eq!(
            got,
            vec![
                (
                    "http://127.0.0.1:1/az/azurelinux-3.0-oval.xml".to_string(),
                    PathBuf::from("/f/azurelinux-oval/azurelinux-3.0-oval.xml")
                ),
                (
                    "http://127.0.0.1:1/az/cbl-mariner-2.0-oval.xml".to_string(),
                    PathBuf::from("/f/azurelinux-oval/cbl-mariner-2.0-oval.xml")
                ),
            ]
        );
        let bad = UpdateOptions {
            azurelinux_oval: vec!["../x.xml".into()],
            ..opts
        };
        assert!(jobs(&urls, Path::new("/f"), &bad).is_err());
    }

    #[test]
    fn native_feed_jobs() {
        let urls = FeedUrls {
            rubysec: "http://127.0.0.1:1/rs.tar.gz".into(),
            nodejs_security_wg: "http://127.0.0.1:1/nw.tar.gz".into(),
            ..FeedUrls::default()
        };
        let opts = UpdateOptions {
            alpine_branches: vec![],
            debian_tracker: false,
            debian_lists: false,
            osv_ecosystems: vec![],
            kev: false,
            oracle_oval: vec![],
            azurelinux_oval: vec![],
            photon_oval: vec![],
            friendsofphp: false,
            epss: false,
            ..UpdateOptions::default()
        };
        let got: Vec<(String, PathBuf)> = jobs(&urls, Path::new("/f"), &opts)
            .unwrap()
            .into_iter()
            .map(|j| (j.url, j.dest))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "http://127.0.0.1:1/rs.tar.gz".to_string(),
                    PathBuf::from("/f/rubysec/ruby-advisory-db.tar.gz")
                ),
                (
                    "http://127.0.0.1:1/nw.tar.gz".to_string(),
                    PathBuf::from("/f/nodejs-security-wg/vuln.tar.gz")
                ),
            ]
        );
        // The defaults are the GitHub archives of the three repositories' default branches.
        let d = FeedUrls::default();
        assert!(
            d.rubysec
                .ends_with("/rubysec/ruby-advisory-db/archive/refs/heads/master.tar.gz")
        );
        assert!(
            d.friendsofphp
                .ends_with("/FriendsOfPHP/security-advisories/archive/refs/heads/master.tar.gz")
        );
        assert!(
            d.nodejs_security_wg
                .ends_with("/nodejs/security-wg/archive/refs/heads/main.tar.gz")
        );
    }

    #[test]
    fn photon_and_suse_jobs_and_defaults() {
        let urls = FeedUrls {
            photon_oval: "http://127.0.0.1:1/photon/".into(),
            suse_cvrf: "http://127.0.0.1:1/suse/cvrf.tar.bz2".into(),
            ..FeedUrls::default()
        };
        let opts = UpdateOptions {
            alpine_branches: vec![],
            debian_tracker: false,
            debian_lists: false,
            osv_ecosystems: vec![],
            kev: false,
            oracle_oval: vec![],
            azurelinux_oval: vec![],
            photon_oval: vec!["com.vmware.phsa-photon5.xml.gz".into()],
            suse_cvrf: true,
            rubysec: false,
            friendsofphp: false,
            nodejs_security_wg: false,
            epss: false,
            ..UpdateOptions::default()
        };
        let got: Vec<(String, PathBuf)> = jobs(&urls, Path::new("/f"), &opts)
            .unwrap()
            .into_iter()
            .map(|j| (j.url, j.dest))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "http://127.0.0.1:1/photon/com.vmware.phsa-photon5.xml.gz".to_string(),
                    PathBuf::from("/f/photon-oval/com.vmware.phsa-photon5.xml.gz")
                ),
                (
                    "http://127.0.0.1:1/suse/cvrf.tar.bz2".to_string(),
                    PathBuf::from("/f/suse-cvrf/cvrf.tar.bz2")
                ),
            ]
        );
        let bad = UpdateOptions {
            photon_oval: vec!["../../x.xml".into()],
            ..opts
        };
        assert!(jobs(&urls, Path::new("/f"), &bad).is_err());

        // Defaults: Photon 1-5, Red Hat on, SUSE off (the whole archive every time), Oracle's
        // elsa-all kept (see docs/data-sources.md).
        let d = UpdateOptions::default();
        assert_eq!(
            d.photon_oval,
            (1..=5)
                .map(|n| format!("com.vmware.phsa-photon{n}.xml.gz"))
                .collect::<Vec<_>>()
        );
        assert!(d.redhat_csaf);
        assert!(!d.suse_cvrf);
        assert_eq!(d.oracle_oval, ["com.oracle.elsa-all.xml.bz2"]);
        let u = FeedUrls::default();
        assert_eq!(
            u.redhat_csaf,
            "https://security.access.redhat.com/data/csaf/v2/vex"
        );
        assert_eq!(
            u.suse_cvrf,
            "https://ftp.suse.com/pub/projects/security/cvrf.tar.bz2"
        );
        assert_eq!(
            u.photon_oval,
            "https://packages.vmware.com/photon/photon_oval_definitions"
        );
    }

    #[test]
    fn tar_zst_check() {
        // the real archive of five VEX documents in claircore's test data
        let fx = tempfile::tempdir().unwrap();
        let rel = "rhel/vex/testdata/server/csaf_vex_2023-10-31.tar.zst";
        let f = std::fs::File::open(
            drydock_testkit::shared_dir().join("fixtures/claircore-testdata.tar.gz"),
        )
        .unwrap();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
        let mut real = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path().unwrap().to_string_lossy() == rel {
                e.read_to_end(&mut real).unwrap();
            }
        }
        assert_eq!(real.len(), 6581);
        let p = fx.path().join("a.tar.zst");
        std::fs::write(&p, &real).unwrap();
        assert_eq!(check(&p, Check::TarZst), Ok(()));
        for cut in [real.len() - 1, real.len() / 2, 4] {
            std::fs::write(&p, &real[..cut]).unwrap();
            let e = check(&p, Check::TarZst).unwrap_err();
            assert!(
                e.contains("truncated or corrupt .tar.zst"),
                "cut {cut}: {e}"
            );
        }
        // an archive of no document (claircore's empty_archive.tar.zst is the same shape)
        std::fs::write(&p, zstd::encode_all(&[0u8; 1024][..], 3).unwrap()).unwrap();
        assert_eq!(
            check(&p, Check::TarZst),
            Err("archive holds no .json document".to_string())
        );
    }

    #[test]
    fn tar_gz_check() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::read(
            drydock_testkit::shared_dir().join("feeds/nodejs-security-wg/vuln.tar.gz"),
        )
        .expect("the recorded Node.js security WG archive");
        let p = dir.path().join("x.tar.gz");
        std::fs::write(&p, &real).unwrap();
        assert_eq!(check(&p, Check::TarGz), Ok(()));
        for cut in [real.len() - 8, real.len() / 2, 100] {
            std::fs::write(&p, &real[..cut]).unwrap();
            let e = check(&p, Check::TarGz).unwrap_err();
            assert!(
                e.contains("truncated") || e.contains("tar.gz"),
                "cut {cut}: {e}"
            );
        }
        std::fs::write(&p, b"<html>rate limited</html>").unwrap();
        assert!(check(&p, Check::TarGz).is_err());
    }
}

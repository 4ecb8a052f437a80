//! `update` for the NVD CVE API 2.0 (`/rest/json/cves/2.0`).
//!
//! The first run pages through every CVE (`startIndex`, `resultsPerPage`); later runs ask only
//! for the CVEs modified since the previous run ended (`lastModStartDate`/`lastModEndDate`,
//! in windows of at most 120 days, the API's limit). Every page is checked (a complete API
//! 2.0 response holding the number of records its position promises), gzip-compressed and
//! staged in a hidden folder; only when every page of the run arrived are they moved into
//! `nvd/` and `nvd/.update-state.json` (hidden: the build ignores it) records the end of the
//! window. A failure anywhere leaves the folder, and so the DB built from it, as it was.
//!
//! The NVD allows 5 requests per rolling 30 s without an API key and 50 with one (sent as the
//! `apiKey` header); [`NvdOptions::request_delay`] spaces the requests, and a 403, 429 or 503
//! answer (what the NVD sends when the limit is hit or the service is busy) is retried after
//! [`NvdOptions::retry_delay`], doubled each time, up to [`NvdOptions::retries`] times.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::feeds::nvd::{MaybeItem, parse_page};

/// The update state, inside `nvd/`.
const STATE: &str = ".update-state.json";

/// The API's largest `lastModStartDate`..`lastModEndDate` range.
pub const MAX_WINDOW_DAYS: i64 = 120;

/// How the NVD is asked.
#[derive(Debug, Clone)]
pub struct NvdOptions {
    /// Sent as the `apiKey` header when set.
    pub api_key: Option<String>,
    /// `resultsPerPage` (the API's maximum is 2000).
    pub results_per_page: u32,
    /// Pause between two requests (6 s without a key, 0.6 s with one, keep under the limits).
    pub request_delay: Duration,
    /// Retries of a request answered 403, 429 or 503, or failing to connect.
    pub retries: u32,
    /// First pause before a retry; doubled for each further one.
    pub retry_delay: Duration,
    /// The end of the incremental window; `None` = now. Set it in tests.
    pub now: Option<OffsetDateTime>,
}

impl Default for NvdOptions {
    fn default() -> Self {
        NvdOptions {
            api_key: None,
            results_per_page: 2000,
            request_delay: Duration::from_secs(6),
            retries: 5,
            retry_delay: Duration::from_secs(30),
            now: None,
        }
    }
}

/// What an earlier update left in `nvd/`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// RFC 3339 end of the last window fetched (the start of the full sync for the first run).
    synced_until: String,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The API's date-time format with an explicit UTC offset, `+` already URL-encoded:
/// `2024-01-31T00:00:00.000%2B00:00`.
pub(crate) fn api_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000%2B00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `[start, end)` split into windows of at most [`MAX_WINDOW_DAYS`].
pub(crate) fn windows(
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let mut out = Vec::new();
    let mut s = start;
    while s < end {
        let e = (s + time::Duration::days(MAX_WINDOW_DAYS)).min(end);
        out.push((s, e));
        s = e;
    }
    out
}

fn compact(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// GET one page, retrying what the NVD answers when it is rate limiting or busy.
fn get_page(
    client: &reqwest::blocking::Client,
    url: &str,
    opts: &NvdOptions,
    cap: u64,
) -> Result<Vec<u8>> {
    let mut attempt = 0;
    let mut delay = opts.retry_delay;
    loop {
        let mut req = client.get(url);
        if let Some(k) = &opts.api_key {
            req = req.header("apiKey", k);
        }
        let retry = |attempt: u32| attempt < opts.retries;
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if retry(attempt) && (e.is_connect() || e.is_timeout()) => {
                tracing::warn!(%url, "NVD request failed ({e}); retrying in {delay:?}");
                std::thread::sleep(delay);
                attempt += 1;
                delay *= 2;
                continue;
            }
            Err(e) => {
                return Err(Error::Http {
                    url: url.to_string(),
                    source: e,
                });
            }
        };
        let status = resp.status().as_u16();
        if matches!(status, 403 | 429 | 503) && retry(attempt) {
            tracing::warn!(%url, status, "NVD rate limit or busy; retrying in {delay:?}");
            std::thread::sleep(delay);
            attempt += 1;
            delay *= 2;
            continue;
        }
        if !resp.status().is_success() {
            return Err(Error::HttpStatus {
                url: url.to_string(),
                status,
            });
        }
        let declared = resp.content_length();
        let mut body = Vec::new();
        resp.take(cap + 1)
            .read_to_end(&mut body)
            .map_err(|e| Error::BadDownload {
                url: url.to_string(),
                msg: format!(
                    "truncated: body read failed after {} bytes: {e}",
                    body.len()
                ),
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
        return Ok(body);
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}

/// Fetch every page of one query (`extra` = the `lastMod…` parameters, or empty) into
/// `staging`, named `<prefix>-<startIndex>.json.gz`. Returns the number of CVE records.
#[allow(clippy::too_many_arguments)]
fn fetch_query(
    client: &reqwest::blocking::Client,
    base: &str,
    extra: &str,
    prefix: &str,
    staging: &Path,
    opts: &NvdOptions,
    cap: u64,
    first_request: &mut bool,
) -> Result<u64> {
    let per_page = u64::from(opts.results_per_page.max(1));
    let mut start: u64 = 0;
    let mut records = 0;
    loop {
        if !*first_request {
            std::thread::sleep(opts.request_delay);
        }
        *first_request = false;
        let url = format!(
            "{}?resultsPerPage={per_page}&startIndex={start}{extra}",
            base.trim_end_matches('/')
        );
        let body = get_page(client, &url, opts, cap)?;
        let page = parse_page(&body).map_err(|msg| Error::BadDownload {
            url: url.clone(),
            msg,
        })?;
        let got = page.vulnerabilities.len() as u64;
        // a page holds resultsPerPage records, or what is left
        let expected = per_page.min(page.total_results.saturating_sub(start));
        if got < expected {
            return Err(Error::BadDownload {
                url,
                msg: format!(
                    "page at startIndex {start} holds {got} records, {expected} expected \
                     (totalResults {})",
                    page.total_results
                ),
            });
        }
        if let Some(i) = page
            .vulnerabilities
            .iter()
            .position(|v| matches!(v, MaybeItem::Bad(_)))
        {
            tracing::warn!(%url, "vulnerabilities[{i}] malformed (the build skips it)");
        }
        if got > 0 {
            let dest = staging.join(format!("{prefix}-{start:09}.json.gz"));
            let gz = gzip(&body).map_err(|e| Error::io(&dest, e))?;
            std::fs::write(&dest, gz).map_err(|e| Error::io(&dest, e))?;
        }
        records += got;
        start += got;
        if got == 0 || start >= page.total_results {
            return Ok(records);
        }
    }
}

/// Fetch the NVD into `<feeds_dir>/nvd/`: everything on the first run, the CVEs modified
/// since the previous run afterwards.
pub(super) fn update(
    client: &reqwest::blocking::Client,
    base: &str,
    feeds_dir: &Path,
    opts: &NvdOptions,
    cap: u64,
    notes: &mut Vec<String>,
) -> Result<()> {
    let folder = feeds_dir.join("nvd");
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    let now = opts.now.unwrap_or_else(OffsetDateTime::now_utc);
    let state: Option<State> = std::fs::read(folder.join(STATE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let since = state.as_ref().and_then(|s| {
        OffsetDateTime::parse(
            &s.synced_until,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
    });
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(&folder)
        .map_err(|e| Error::io(&folder, e))?;
    let mut first = true;
    let full = since.is_none();
    let mut records = 0;
    match since {
        None => {
            records += fetch_query(
                client,
                base,
                "",
                "full",
                staging.path(),
                opts,
                cap,
                &mut first,
            )?;
        }
        Some(since) => {
            for (s, e) in windows(since, now) {
                let extra = format!(
                    "&lastModStartDate={}&lastModEndDate={}",
                    api_time(s),
                    api_time(e)
                );
                let prefix = format!("update-{}", compact(e));
                records += fetch_query(
                    client,
                    base,
                    &extra,
                    &prefix,
                    staging.path(),
                    opts,
                    cap,
                    &mut first,
                )?;
            }
        }
    }
    // every page arrived: commit
    if full {
        for f in std::fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))? {
            let p = f.map_err(|e| Error::io(&folder, e))?.path();
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.is_file() && !n.starts_with('.') && (n.ends_with(".json") || n.ends_with(".gz")) {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    for f in std::fs::read_dir(staging.path()).map_err(|e| Error::io(staging.path(), e))? {
        let p = f.map_err(|e| Error::io(staging.path(), e))?.path();
        if let Some(name) = p.file_name() {
            let dest = folder.join(name);
            std::fs::rename(&p, &dest).map_err(|e| Error::io(&dest, e))?;
        }
    }
    let st = State {
        synced_until: rfc3339(now),
    };
    let tmp = folder.join(".update-state.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&st).unwrap_or_default())
        .map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, folder.join(STATE)).map_err(|e| Error::io(folder.join(STATE), e))?;
    notes.push(format!(
        "nvd: {} {records} CVE records ({})",
        if full {
            "full sync,"
        } else {
            "incremental update,"
        },
        match since {
            Some(s) => format!("modified {} .. {}", rfc3339(s), rfc3339(now)),
            None => format!("as of {}", rfc3339(now)),
        }
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn api_time_format() {
        assert_eq!(
            api_time(datetime!(2024-01-31 05:06:07 UTC)),
            "2024-01-31T05:06:07.000%2B00:00"
        );
        assert_eq!(
            api_time(datetime!(2024-01-31 05:06:07 +02:00)),
            "2024-01-31T03:06:07.000%2B00:00"
        );
    }

    #[test]
    fn windows_are_at_most_120_days() {
        let s = datetime!(2024-01-01 00:00 UTC);
        let e = datetime!(2024-10-01 00:00 UTC);
        let w = windows(s, e);
        assert_eq!(
            w,
            vec![
                (s, datetime!(2024-04-30 00:00 UTC)),
                (
                    datetime!(2024-04-30 00:00 UTC),
                    datetime!(2024-08-28 00:00 UTC)
                ),
                (datetime!(2024-08-28 00:00 UTC), e),
            ]
        );
        assert!(windows(e, e).is_empty());
    }
}

//! NVD CVE API 2.0 response pages (`nvd/*.json`, `nvd/*.json.gz`): CVSS v3.1, v3.0 and v4.0
//! base metrics per CVE, with their source, and the publication date.
//!
//! `update` saves every page it fetched (the first full sync, then the pages of each
//! incremental `lastModStartDate`/`lastModEndDate` window) under names that sort in fetch
//! order; the build reads them in that order and a later copy of a CVE replaces an earlier
//! one, so the DB holds each CVE as last fetched. A `Rejected` CVE is removed.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::build::{Ctx, newer_date};
use crate::error::{Error, Result};
use crate::model::{NVD_SOURCE, NvdCvss, Severity};

/// A response page of `/rest/json/cves/2.0`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page {
    pub total_results: u64,
    #[serde(default)]
    pub vulnerabilities: Vec<MaybeItem>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum MaybeItem {
    Ok(Box<Item>),
    Bad(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    pub cve: Cve,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Cve {
    pub id: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub vuln_status: Option<String>,
    #[serde(default)]
    pub metrics: Metrics,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Metrics {
    #[serde(default, rename = "cvssMetricV40")]
    v40: Vec<MaybeMetric>,
    #[serde(default, rename = "cvssMetricV31")]
    v31: Vec<MaybeMetric>,
    #[serde(default, rename = "cvssMetricV30")]
    v30: Vec<MaybeMetric>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MaybeMetric {
    Ok(Metric),
    Bad(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    source: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    cvss_data: CvssData,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    version: String,
    vector_string: String,
    base_score: f64,
    #[serde(default)]
    base_severity: Option<String>,
}

impl Cve {
    /// The CVSS v3.1, v3.0 and v4.0 metrics: NVD's own first, then other primary sources,
    /// then secondary ones; metrics that do not parse are left out (counted in the second
    /// value).
    pub(crate) fn cvss(&self) -> (Vec<NvdCvss>, usize) {
        let mut out = Vec::new();
        let mut bad = 0;
        for (want, list) in [
            ("3.1", &self.metrics.v31),
            ("3.0", &self.metrics.v30),
            ("4.0", &self.metrics.v40),
        ] {
            for m in list {
                let MaybeMetric::Ok(m) = m else {
                    bad += 1;
                    continue;
                };
                let d = &m.cvss_data;
                let prefix = format!("CVSS:{want}/");
                if d.version != want
                    || !d.vector_string.starts_with(&prefix)
                    || !(0.0..=10.0).contains(&d.base_score)
                {
                    bad += 1;
                    continue;
                }
                let severity = d
                    .base_severity
                    .as_deref()
                    .and_then(Severity::parse)
                    .unwrap_or_else(|| crate::cvss::rating(d.base_score));
                out.push(NvdCvss {
                    version: want.to_string(),
                    source: m.source.trim().to_string(),
                    kind: m.kind.clone().unwrap_or_else(|| "Secondary".into()),
                    vector: d.vector_string.trim().to_string(),
                    score: d.base_score,
                    severity,
                });
            }
        }
        out.sort_by_key(|c| (rank(c), version_rank(&c.version)));
        (out, bad)
    }
}

/// NVD's own scores first, then other primary sources, then secondary ones.
fn rank(c: &NvdCvss) -> u8 {
    if c.source == NVD_SOURCE {
        0
    } else if c.kind == "Primary" {
        1
    } else {
        2
    }
}

fn version_rank(v: &str) -> u8 {
    match v {
        "3.1" => 0,
        "3.0" => 1,
        _ => 2,
    }
}

/// Parse one page. `Err` when the bytes are not a complete API 2.0 response.
pub(crate) fn parse_page(bytes: &[u8]) -> std::result::Result<Page, String> {
    serde_json::from_slice::<Page>(bytes).map_err(|e| {
        if e.is_eof() {
            format!("truncated JSON ({e})")
        } else if e.is_data() {
            format!("not an NVD API 2.0 response ({e})")
        } else {
            format!("invalid JSON ({e})")
        }
    })
}

/// Read a page file (`.json`, or `.json.gz`).
pub(crate) fn read_page_file(path: &Path) -> Result<Page> {
    let raw = super::read_file(path)?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::feed(path, format!("truncated or corrupt gzip: {e}")))?;
        out
    } else {
        raw
    };
    parse_page(&bytes).map_err(|m| Error::feed(path, m))
}

/// Load every page file, in order, as feed `nvd`.
pub(crate) fn load(ctx: &mut Ctx<'_>, files: &[PathBuf]) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed("nvd");
    for path in files {
        let rel = ctx.rel(path);
        feed.files.push(rel.clone());
        let page = read_page_file(path)?;
        for (i, item) in page.vulnerabilities.iter().enumerate() {
            let MaybeItem::Ok(item) = item else {
                ctx.warn(
                    &mut feed,
                    format!("{rel}: vulnerabilities[{i}] malformed: skipped"),
                );
                continue;
            };
            let cve = &item.cve;
            let id = cve.id.trim();
            if !id.starts_with("CVE-") {
                ctx.warn(&mut feed, format!("{rel}: {id:?} is not a CVE id: skipped"));
                continue;
            }
            let (cvss, bad) = cve.cvss();
            if bad > 0 {
                ctx.warn(
                    &mut feed,
                    format!("{rel}: {id}: {bad} CVSS metric(s) malformed: skipped"),
                );
            }
            ctx.sink.nvd_record(
                id,
                cve.published.as_deref(),
                cve.last_modified.as_deref(),
                cve.vuln_status.as_deref(),
                &cvss,
            )?;
            newer_date(&mut feed.newest_date, cve.last_modified.as_deref());
        }
    }
    // records: distinct CVEs held after every page was applied
    feed.records = ctx.sink.count("nvd_cves")?;
    ctx.end_feed(feed, mark);
    Ok(())
}

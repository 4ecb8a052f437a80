//! CISA Known Exploited Vulnerabilities catalogue (`kev/known_exploited_vulnerabilities.json`).

use std::path::Path;

use serde::Deserialize;

use super::read_file;
use crate::build::{Ctx, newer_date};
use crate::error::{Error, Result};
use crate::sink::{KevRow, VulnFacts};

#[derive(Debug, Deserialize)]
struct Catalogue {
    vulnerabilities: Vec<MaybeEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MaybeEntry {
    Ok(Box<Entry>),
    Bad(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vendor_project: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    vulnerability_name: Option<String>,
    date_added: String,
    #[serde(default)]
    short_description: Option<String>,
    #[serde(default)]
    required_action: Option<String>,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

/// Load the KEV catalogue as feed `kev`.
pub(crate) fn load(ctx: &mut Ctx<'_>, path: &Path) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed("kev");
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let bytes = read_file(path)?;
    let cat: Catalogue = serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_data() {
            Error::feed(path, format!("not a KEV catalogue ({e})"))
        } else {
            super::json_error(path, e)
        }
    })?;
    for (i, e) in cat.vulnerabilities.iter().enumerate() {
        let e = match e {
            MaybeEntry::Ok(e) if !e.cve_id.trim().is_empty() => e,
            _ => {
                ctx.warn(
                    &mut feed,
                    format!("{rel}: vulnerabilities[{i}] malformed: skipped"),
                );
                continue;
            }
        };
        let cve = e.cve_id.trim();
        if !ctx.sink.kev(&KevRow {
            cve_id: cve,
            vendor_project: e.vendor_project.as_deref(),
            product: e.product.as_deref(),
            vulnerability_name: e.vulnerability_name.as_deref(),
            date_added: e.date_added.trim(),
            short_description: e.short_description.as_deref(),
            required_action: e.required_action.as_deref(),
            due_date: e.due_date.as_deref(),
            known_ransomware_campaign_use: e.known_ransomware_campaign_use.as_deref(),
            notes: e.notes.as_deref(),
        })? {
            ctx.warn(
                &mut feed,
                format!("{rel}: {cve} listed twice: second entry skipped"),
            );
            continue;
        }
        feed.records += 1;
        newer_date(&mut feed.newest_date, Some(&e.date_added));
        // The KEV name is only a fallback summary for CVEs no other feed describes.
        ctx.sink.vuln(&VulnFacts {
            id: cve,
            summary: e.vulnerability_name.as_deref(),
            details: e.short_description.as_deref(),
            ..VulnFacts::default()
        })?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

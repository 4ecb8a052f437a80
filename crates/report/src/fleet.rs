//! crates/report/src/fleet.rs — shared contract between the server and the report crate.
//!
//! A fleet report is what the server knows about every image of a tenant: open findings per
//! severity, SLA figures, the trend of open findings per day and one row per open finding
//! (an image × package × vulnerability). It renders as CSV ([`render_fleet_csv`]) and as a
//! paginated PDF ([`render_fleet_pdf`]: summary and SLA page, a stacked bar chart of open
//! findings by severity over time drawn as vector graphics, then the findings table with its
//! header repeated on every page).

use crate::csv::cell;
use crate::pdf::{Figure, compile, date_part, score, short_digest, text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The error type of the fleet renderings (the crate's [`crate::ReportError`]).
pub use crate::ReportError as Error;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetReport {
    /// E.g. "Drydock vulnerability report".
    pub title: String,
    /// The tenant.
    pub org: String,
    /// RFC 3339.
    pub generated_at: String,
    /// The filter expression used, if any.
    pub query: Option<String>,
    /// Open findings by severity name (`CRITICAL`, `HIGH`, ...).
    pub counts: BTreeMap<String, u64>,
    pub sla: FleetSla,
    /// Open findings per day.
    pub trend: Vec<TrendPoint>,
    pub rows: Vec<FleetRow>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetSla {
    pub open_breaches: u64,
    pub at_risk: u64,
    /// Mean time to remediate, in hours, by severity name.
    pub mttr_hours_by_severity: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrendPoint {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Open findings that day by severity name.
    pub counts: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetRow {
    pub image: String,
    pub digest: String,
    pub package: String,
    pub version: String,
    pub ecosystem: String,
    pub id: String,
    pub severity: String,
    pub cvss: Option<f64>,
    pub epss: Option<f64>,
    pub kev: bool,
    pub fixed_version: Option<String>,
    pub first_seen: String,
    pub sla_due: Option<String>,
    pub sla_breached: bool,
    pub namespaces: Vec<String>,
}

/// The header row of [`render_fleet_csv`].
pub const FLEET_CSV_HEADER: [&str; 15] = [
    "image",
    "digest",
    "package",
    "version",
    "ecosystem",
    "id",
    "severity",
    "cvss",
    "epss",
    "kev",
    "fixed_version",
    "first_seen",
    "sla_due",
    "sla_breached",
    "namespaces",
];

/// CSV, one row per [`FleetRow`] in the columns of [`FLEET_CSV_HEADER`] (`\n` line ends;
/// `kev`/`sla_breached` as `true`/`false`, `namespaces` `;`-joined, absent values empty;
/// formula-looking cells prefixed with `'` as in [`crate::csv`]).
pub fn render_fleet_csv(r: &FleetReport) -> Result<String, Error> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let err = |e: ::csv::Error| Error::Csv(e.to_string());
    w.write_record(FLEET_CSV_HEADER).map_err(err)?;
    let num = |v: Option<f64>| v.filter(|v| v.is_finite()).map(|v| v.to_string());
    for row in &r.rows {
        let record = [
            row.image.clone(),
            row.digest.clone(),
            row.package.clone(),
            row.version.clone(),
            row.ecosystem.clone(),
            row.id.clone(),
            row.severity.clone(),
            num(row.cvss).unwrap_or_default(),
            num(row.epss).unwrap_or_default(),
            row.kev.to_string(),
            row.fixed_version.clone().unwrap_or_default(),
            row.first_seen.clone(),
            row.sla_due.clone().unwrap_or_default(),
            row.sla_breached.to_string(),
            row.namespaces.join(";"),
        ];
        w.write_record(record.iter().map(|c| cell(c)))
            .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::Csv(e.to_string()))
}

#[derive(Debug, Serialize)]
struct Mttr {
    severity: String,
    text: String,
    /// Of the longest MTTR shown, for the bar.
    fraction: f64,
}

#[derive(Debug, Serialize)]
struct RowView {
    image: String,
    digest: String,
    package: String,
    ecosystem: String,
    version: String,
    id: String,
    kev: bool,
    severity: String,
    cvss: Option<String>,
    epss: Option<String>,
    fixed_version: Option<String>,
    first_seen: String,
    sla_due: Option<String>,
    sla_breached: bool,
}

#[derive(Debug, Serialize)]
struct FleetView {
    title: String,
    org: String,
    generated: String,
    query: Option<String>,
    images: usize,
    total: u64,
    counts: BTreeMap<String, u64>,
    figures: Vec<Figure>,
    mttr: Vec<Mttr>,
    trend: Vec<TrendPoint>,
    rows: Vec<RowView>,
}

const SEVERITIES: [&str; 6] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"];

fn severity_name(s: &str) -> String {
    let up = s.trim().to_ascii_uppercase();
    if SEVERITIES.contains(&up.as_str()) {
        up
    } else {
        "UNKNOWN".to_string()
    }
}

fn upper_counts(c: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (k, v) in c {
        *out.entry(severity_name(k)).or_default() += v;
    }
    out
}

/// `36.5 h` below two days, else `4.2 days`.
pub(crate) fn duration_text(hours: f64) -> String {
    if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// EPSS probability as a percentage (`97.6%`, `<0.1%`).
pub(crate) fn epss_text(p: f64) -> String {
    let pct = p * 100.0;
    if pct > 0.0 && pct < 0.1 {
        "<0.1%".to_string()
    } else {
        format!("{pct:.1}%")
    }
}

fn fleet_view(r: &FleetReport) -> FleetView {
    let counts = upper_counts(&r.counts);
    let total: u64 = counts.values().sum();
    let images: std::collections::BTreeSet<&str> = r
        .rows
        .iter()
        .map(|row| {
            if row.digest.is_empty() {
                row.image.as_str()
            } else {
                row.digest.as_str()
            }
        })
        .collect();
    let kev = r.rows.iter().filter(|row| row.kev).count();
    let tone = |n: u64, t: &'static str| if n > 0 { t } else { "" };
    let figures = vec![
        Figure::new("Open findings", total, ""),
        Figure::new(
            "SLA breaches",
            r.sla.open_breaches,
            tone(r.sla.open_breaches, "bad"),
        ),
        Figure::new("SLA at risk", r.sla.at_risk, tone(r.sla.at_risk, "warn")),
        Figure::new("Known exploited", kev, tone(kev as u64, "bad")),
    ];
    let mttr_hours: Vec<(String, f64)> = SEVERITIES
        .iter()
        .filter_map(|s| {
            r.sla
                .mttr_hours_by_severity
                .iter()
                .find(|(k, _)| severity_name(k) == *s)
                .map(|(_, v)| (s.to_string(), *v))
        })
        .filter(|(_, v)| v.is_finite() && *v >= 0.0)
        .collect();
    let longest = mttr_hours.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let mttr = mttr_hours
        .into_iter()
        .map(|(severity, h)| Mttr {
            severity,
            text: duration_text(h),
            fraction: if longest > 0.0 { h / longest } else { 0.0 },
        })
        .collect();
    let trend = r
        .trend
        .iter()
        .map(|p| TrendPoint {
            date: text(&p.date, 20),
            counts: upper_counts(&p.counts),
        })
        .collect();
    let rows = r
        .rows
        .iter()
        .map(|row| RowView {
            image: text(&row.image, 200),
            digest: if row.digest.is_empty() {
                String::new()
            } else {
                short_digest(&text(&row.digest, 100))
            },
            package: text(&row.package, 200),
            ecosystem: text(&row.ecosystem, 40),
            version: text(&row.version, 120),
            id: text(&row.id, 80),
            kev: row.kev,
            severity: severity_name(&row.severity),
            cvss: score(row.cvss),
            epss: row.epss.filter(|v| v.is_finite()).map(epss_text),
            fixed_version: row.fixed_version.as_deref().map(|v| text(v, 120)),
            first_seen: date_part(&row.first_seen),
            sla_due: row.sla_due.as_deref().map(date_part),
            sla_breached: row.sla_breached,
        })
        .collect();
    FleetView {
        title: if r.title.trim().is_empty() {
            "Drydock vulnerability report".to_string()
        } else {
            text(&r.title, 120)
        },
        org: text(&r.org, 120),
        generated: text(&r.generated_at, 40),
        query: r
            .query
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(|q| text(q, 300)),
        images: images.len(),
        total,
        counts,
        figures,
        mttr,
        trend,
        rows,
    }
}

/// The fleet PDF: a summary page (open findings by severity, SLA breaches and findings at
/// risk, known-exploited count, mean time to remediate per severity, the trend chart), then
/// every row in a table spanning pages with its header repeated.
pub fn render_fleet_pdf(r: &FleetReport) -> Result<Vec<u8>, Error> {
    compile(crate::pdf::FLEET, &fleet_view(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_of_durations_and_probabilities() {
        assert_eq!(duration_text(36.54), "36.5 h");
        assert_eq!(duration_text(100.8), "4.2 days");
        assert_eq!(epss_text(0.97565), "97.6%");
        assert_eq!(epss_text(0.0004), "<0.1%");
        assert_eq!(epss_text(0.0), "0.0%");
        assert_eq!(severity_name("high"), "HIGH");
        assert_eq!(severity_name("bogus"), "UNKNOWN");
    }
}

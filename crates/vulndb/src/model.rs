//! Plain data types stored in and read from the vulnerability DB.

use serde::{Deserialize, Serialize};

/// How a vulnerability stands for one package in one namespace, as the feed says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixStatus {
    /// Fixed in `fixed_version` (versions below it are affected) or per `ranges`.
    Fixed,
    /// Affected, no fix released yet (all versions affected unless `ranges` says otherwise).
    NotFixed,
    /// Affected, and the distro decided not to fix (e.g. Debian `<no-dsa>` ignored).
    WontFix,
    /// The distro states the package is not affected.
    NotAffected,
    /// The release or package is out of support; no fix will come.
    EndOfLife,
}

impl FixStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FixStatus::Fixed => "fixed",
            FixStatus::NotFixed => "not-fixed",
            FixStatus::WontFix => "wont-fix",
            FixStatus::NotAffected => "not-affected",
            FixStatus::EndOfLife => "end-of-life",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "fixed" => FixStatus::Fixed,
            "not-fixed" => FixStatus::NotFixed,
            "wont-fix" => FixStatus::WontFix,
            "not-affected" => FixStatus::NotAffected,
            "end-of-life" => FixStatus::EndOfLife,
            _ => return None,
        })
    }
}

/// Severity as a feed rates it. `Unknown` when the source gives none: never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Negligible => "NEGLIGIBLE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
    /// Case-insensitive parse of the names above (also `moderate` → Medium, `important` → High,
    /// `unimportant` → Negligible). Anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "unknown" => Severity::Unknown,
            "negligible" | "unimportant" => Severity::Negligible,
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// One OSV-style range: events in version order. Versions are in the namespace's own scheme.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `"0"` means "from the beginning".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// One row of `affected`: what a feed says about one package in one namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedRecord {
    /// Primary id of the vulnerability (CVE id when the feed gives one, else the feed's id).
    pub vuln_id: String,
    /// Normalised namespace: `debian:12`, `ubuntu:22.04`, `alpine:3.20`, `alpine:edge`,
    /// `almalinux:9`, or a language ecosystem (`pypi`, `npm`, `go`, `crates.io`, `maven`, ...).
    pub namespace: String,
    /// Package name as matched: the *source* package for Debian/Ubuntu, the origin for Alpine.
    pub package: String,
    pub status: FixStatus,
    /// The first fixed version for display (and for distro feeds, the bound itself).
    pub fixed_version: Option<String>,
    /// OSV-style ranges; for distro feeds with a single fixed version this is
    /// `[{introduced: "0", fixed: V}]`; empty for not-fixed/wont-fix/end-of-life (all affected)
    /// and not-affected.
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions (OSV `versions`).
    pub versions: Vec<String>,
    /// Feed name that produced this row (`alpine-secdb`, `debian-tracker`, `debian-dsa`, `osv`, ...).
    pub source: String,
    /// The feed's own advisory ids for this row (e.g. `DSA-5000-1`, `ALPINE-...`, OSV id).
    pub advisory_ids: Vec<String>,
    /// Severity as this source rates it for this package (e.g. Debian urgency), if any.
    pub severity: Option<Severity>,
}

/// A severity rating from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityRating {
    pub source: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// A CISA KEV catalogue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevEntry {
    pub date_added: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_ransomware_campaign_use: Option<String>,
}

/// Vulnerability-level facts (shared by all affected rows with this id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnRecord {
    pub id: String,
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub severities: Vec<SeverityRating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevEntry>,
}

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

/// A comparison operator of a [`Constraint`]; serialised as `<`, `<=`, `>`, `>=`, `=`, `!=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConstraintOp {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl ConstraintOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintOp::Lt => "<",
            ConstraintOp::Le => "<=",
            ConstraintOp::Gt => ">",
            ConstraintOp::Ge => ">=",
            ConstraintOp::Eq => "=",
            ConstraintOp::Ne => "!=",
        }
    }

    /// Whether `ordering` (of the installed version against [`Constraint::version`])
    /// satisfies this operator.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            ConstraintOp::Lt => ordering == Less,
            ConstraintOp::Le => ordering != Greater,
            ConstraintOp::Gt => ordering == Greater,
            ConstraintOp::Ge => ordering != Less,
            ConstraintOp::Eq => ordering == Equal,
            ConstraintOp::Ne => ordering != Equal,
        }
    }
}

/// A version comparison: `(op, version)`, e.g. `(Ge, "5.2.4.3")`. The version is in the
/// namespace's own scheme (RubyGems, Composer, npm semver); the DB crate never compares
/// versions, the matcher does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Constraint {
    pub op: ConstraintOp,
    pub version: String,
}

impl Constraint {
    pub fn new(op: ConstraintOp, version: impl Into<String>) -> Self {
        Constraint {
            op,
            version: version.into(),
        }
    }
}

impl std::fmt::Display for Constraint {
    /// `>=5.2.4.3`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.op.as_str(), self.version)
    }
}

/// One row of `affected`: what a feed says about one package in one namespace.
///
/// Rows of the native language feeds (RubySec, FriendsOfPHP, Node.js security WG) state
/// version constraints instead of OSV ranges: such a row has empty `ranges`/`versions` and
/// affects a version iff (`affected_constraints` is empty, or some group of it is fully
/// satisfied) and no group of `unaffected_constraints` is fully satisfied.
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
    /// Versions the feed says are affected: an OR of AND-groups (a version is in the set when
    /// it satisfies every constraint of at least one group; a group with no constraints is
    /// satisfied by every version). Empty = no constraint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected_constraints: Vec<Vec<Constraint>>,
    /// Versions the feed says are not affected (patched or never affected): an OR of
    /// AND-groups; a version satisfying any group is NOT affected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unaffected_constraints: Vec<Vec<Constraint>>,
}

impl AffectedRecord {
    /// Whether this row carries version constraints (native language feeds) rather than
    /// ranges.
    pub fn has_constraints(&self) -> bool {
        !self.affected_constraints.is_empty() || !self.unaffected_constraints.is_empty()
    }
}

/// The JSON of the `affected.constraints` column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredConstraints {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Vec<Constraint>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unaffected: Vec<Vec<Constraint>>,
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

/// A FIRST EPSS score of one CVE: the probability of exploitation activity in the next 30
/// days (`score`, 0–1) and its rank among all scored CVEs (`percentile`, 0–1), as of `date`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub score: f64,
    pub percentile: f64,
    /// The score date of the EPSS file (`YYYY-MM-DD`).
    pub date: String,
}

/// NVD's CVSS data for one CVE (NVD API 2.0, feed `nvd`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NvdRecord {
    /// `published` of the CVE record (as NVD writes it, e.g. `2024-06-07T10:15:12.293`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// CVSS v3.1, v3.0 and v4.0 base metrics, NVD's own (`nvd@nist.gov`) first, then the
    /// other primary and the secondary sources.
    pub cvss: Vec<NvdCvss>,
}

/// One CVSS base metric as the NVD publishes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvdCvss {
    /// `3.1`, `3.0` or `4.0`.
    pub version: String,
    /// Who scored it: `nvd@nist.gov` (the NVD itself) or a CNA's address.
    pub source: String,
    /// `Primary` or `Secondary`, as the NVD labels the metric.
    #[serde(rename = "type")]
    pub kind: String,
    pub vector: String,
    pub score: f64,
    pub severity: Severity,
}

/// The NVD's own scoring source.
pub const NVD_SOURCE: &str = "nvd@nist.gov";

impl NvdCvss {
    /// The rating as the matcher reports it: source `nvd` for the NVD's own scores,
    /// `nvd:<source>` for a CNA's score the NVD republishes.
    pub fn to_rating(&self) -> SeverityRating {
        SeverityRating {
            source: if self.source == NVD_SOURCE {
                "nvd".to_string()
            } else {
                format!("nvd:{}", self.source)
            },
            severity: self.severity,
            cvss_vector: Some(self.vector.clone()),
            score: Some(self.score),
        }
    }
}

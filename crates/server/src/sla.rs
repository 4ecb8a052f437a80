//! SLA policy (due times per severity, measured from `first_seen`) and the success metrics
//! built on it: MTTR per severity, open breaches, at-risk findings.

use std::collections::BTreeMap;

use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};

/// Due time per severity, in seconds; `None` = no SLA for that severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub critical: Option<i64>,
    pub high: Option<i64>,
    pub medium: Option<i64>,
    pub low: Option<i64>,
    /// A finding is "at risk" when less than this share of its SLA window is left (0..1).
    #[serde(default = "default_at_risk")]
    pub at_risk_fraction_permille: i64,
}

fn default_at_risk() -> i64 {
    250
}

impl Default for SlaPolicy {
    /// critical 24 h, high 7 d, medium 30 d, low none.
    fn default() -> Self {
        SlaPolicy {
            critical: Some(24 * 3600),
            high: Some(7 * 86_400),
            medium: Some(30 * 86_400),
            low: None,
            at_risk_fraction_permille: default_at_risk(),
        }
    }
}

impl SlaPolicy {
    /// Window for a severity.
    pub fn window(&self, s: Severity) -> Option<i64> {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            _ => None,
        }
    }

    /// The deadline of a finding first seen at `first_seen`.
    pub fn due(&self, s: Severity, first_seen: i64) -> Option<i64> {
        self.window(s).map(|w| first_seen + w)
    }

    /// (severity rank, window) for every severity.
    pub fn by_rank(&self) -> Vec<(i64, Option<i64>)> {
        [
            Severity::Unknown,
            Severity::Negligible,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .map(|s| (s as i64, self.window(s)))
        .collect()
    }

    /// Parse `critical=24h,high=7d,medium=30d,low=90d` (any subset; `none` clears one).
    pub fn parse(spec: &str) -> Result<SlaPolicy, String> {
        let mut p = SlaPolicy::default();
        for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected SEVERITY=DURATION"))?;
            let secs = if v.eq_ignore_ascii_case("none") {
                None
            } else {
                Some(parse_duration(v).ok_or_else(|| {
                    format!("{part:?}: expected a duration such as 24h, 7d or 2w")
                })?)
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "critical" => p.critical = secs,
                "high" => p.high = secs,
                "medium" => p.medium = secs,
                "low" => p.low = secs,
                other => return Err(format!("{other:?}: expected critical, high, medium or low")),
            }
        }
        Ok(p)
    }
}

/// `24h`, `7d`, `2w`, `90m`, `30s` → seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at_checked(s.len().checked_sub(1)?)?;
    let n: i64 = n.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    (n >= 0).then_some(n * mult)
}

/// SLA figures over a set of findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaStats {
    pub open_breaches: u64,
    pub at_risk: u64,
    /// Mean time to remediate (first_seen → fixed_at), hours, per severity name.
    pub mttr_hours_by_severity: BTreeMap<String, f64>,
    /// Fixed findings counted per severity (the MTTR sample sizes).
    pub fixed_by_severity: BTreeMap<String, u64>,
    /// Open findings per severity.
    pub open_by_severity: BTreeMap<String, u64>,
}

/// Compute [`SlaStats`] from (severity, first_seen, fixed_at, sla_due) tuples.
pub fn stats(
    rows: &[(String, i64, Option<i64>, Option<i64>)],
    policy: &SlaPolicy,
    now: i64,
) -> SlaStats {
    let mut out = SlaStats::default();
    let mut sums: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for (sev, first_seen, fixed_at, due) in rows {
        match fixed_at {
            Some(f) => {
                let e = sums.entry(sev.clone()).or_default();
                e.0 += (f - first_seen).max(0) as f64 / 3600.0;
                e.1 += 1;
            }
            None => {
                *out.open_by_severity.entry(sev.clone()).or_default() += 1;
                if let Some(d) = due {
                    if now > *d {
                        out.open_breaches += 1;
                    } else {
                        let window = (d - first_seen).max(1);
                        if (d - now) * 1000 < window * policy.at_risk_fraction_permille {
                            out.at_risk += 1;
                        }
                    }
                }
            }
        }
    }
    for (sev, (sum, n)) in sums {
        out.mttr_hours_by_severity
            .insert(sev.clone(), sum / n as f64);
        out.fixed_by_severity.insert(sev, n);
    }
    out
}

/// Open findings per day and severity for the last `days` days (ending today), from
/// (severity, first_seen, fixed_at) tuples: the trend of the overview and the PDF.
pub fn trend(
    rows: &[(String, i64, Option<i64>, Option<i64>)],
    now: i64,
    days: i64,
) -> Vec<(String, BTreeMap<String, u64>)> {
    let today = now - now.rem_euclid(86_400);
    let mut out = Vec::new();
    for back in (0..days).rev() {
        let day_start = today - back * 86_400;
        let end = day_start + 86_400;
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (sev, first_seen, fixed_at, _) in rows {
            if *first_seen < end && fixed_at.is_none_or(|f| f >= end) {
                *counts.entry(sev.clone()).or_default() += 1;
            }
        }
        let date = time::OffsetDateTime::from_unix_timestamp(day_start)
            .map(|t| t.date().to_string())
            .unwrap_or_default();
        out.push((date, counts));
    }
    out
}
